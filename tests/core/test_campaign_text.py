"""The campaign's words per language: chosen field by field, never blank, checked whole."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from projector.core import wire
from projector.core.model import (
    Campaign,
    CampaignText,
    ValidationError,
    campaign_field,
    campaign_text,
    parse_campaign_translations,
)
from projector.core.protocol import ProtocolError, Snapshot, You, from_wire, to_wire
from projector.core.state import SetCampaign, ShowState, reduce

CAMPAIGN = Campaign(
    "Write for Rights",
    goal=100,
    record=10,
    lang="en",
    tagline="Actions for human rights",
    call_to_action="Send a message",
    translations=MappingProxyType(
        {
            "tr": CampaignText("Haklar İçin Yaz", "İnsan hakları için eylemler", ""),
            "pt-BR": CampaignText("Escreva por Direitos", "", "Envie uma mensagem"),
            "fr": CampaignText("", "", ""),
        }
    ),
)


def test_a_display_gets_its_languages_words_field_by_field() -> None:
    tr = campaign_text(CAMPAIGN, ("tr-TR", "tr"))
    assert tr.name == "Haklar İçin Yaz" and tr.tagline == "İnsan hakları için eylemler"
    # Turkish gives no call to action: the default language's, never a blank.
    assert tr.call_to_action == "Send a message"


def test_the_base_language_matches_either_way_round() -> None:
    pt = campaign_text(CAMPAIGN, ("pt",))
    assert (pt.name, pt.tagline, pt.call_to_action) == (
        "Escreva por Direitos",
        "Actions for human rights",
        "Envie uma mensagem",
    )


def test_an_empty_translation_and_an_unknown_language_fall_back_to_the_default() -> None:
    assert campaign_text(CAMPAIGN, ("fr",)) == CampaignText(
        "Write for Rights", "Actions for human rights", "Send a message"
    )
    assert campaign_text(CAMPAIGN, ("km",)).name == "Write for Rights"
    assert campaign_text(CAMPAIGN).tagline == "Actions for human rights"


def test_a_later_wanted_language_fills_what_an_earlier_one_lacks() -> None:
    assert campaign_text(CAMPAIGN, ("tr", "pt-BR")).call_to_action == "Envie uma mensagem"


def test_translations_are_checked_whole_and_errors_name_the_field() -> None:
    good = parse_campaign_translations({"tr": {"tagline": "İnsan hakları"}, "pt-br": {}})
    assert set(good) == {"tr", "pt-BR"} and good["tr"].name == ""
    for bad, field in [
        ([], "translations"),
        ({"tr": "words"}, "translations.tr"),
        ({"tr": {"slogan": "x"}}, "translations.tr.slogan"),
        ({"tr": {"tagline": 5}}, "translations.tr.tagline"),
        ({"tr": {"tagline": "x" * 201}}, "translations.tr.tagline"),
        ({"tr": {"name": "a\x00b"}}, "translations.tr.name"),
        ({"not a tag!": {}}, "translations.not a tag!"),
    ]:
        with pytest.raises(ValidationError) as exc:
            parse_campaign_translations(bad)
        assert exc.value.field == field, (bad, exc.value.field)


def test_the_campaign_round_trips_on_the_wire_and_an_older_peers_campaign_decodes() -> None:
    state, _ = reduce(ShowState(), SetCampaign(CAMPAIGN), 1.0)
    frame = Snapshot(state, 2.0)
    assert wire.decode(wire.encode(frame)) == frame
    old = to_wire(frame)
    old["campaign"] = {"name": "W4R", "goal": 5, "record": 1}  # version 1 shape
    decoded = from_wire(old)
    assert isinstance(decoded, Snapshot)
    assert decoded.state.campaign == Campaign("W4R", 5, 1)


def test_a_bad_campaign_translation_on_the_wire_names_the_field() -> None:
    state, _ = reduce(ShowState(), SetCampaign(CAMPAIGN), 1.0)
    body = to_wire(Snapshot(state, 2.0))
    body["campaign"]["translations"] = {"tr": {"tagline": 3}}
    with pytest.raises(ProtocolError) as exc:
        from_wire(body)
    assert "translations.tr" in str(exc.value) and "tagline" in str(exc.value)


def test_a_you_frame_carries_the_operators_locale() -> None:
    you = You("lobby", locale="tr-TR")
    assert from_wire(to_wire(you)) == you
    assert "locale" not in to_wire(You("lobby"))  # unset: the version-1 shape
    with pytest.raises(ProtocolError):
        from_wire({**to_wire(you), "locale": 7})


def test_each_field_says_which_language_it_is_in() -> None:
    """The scenes set the name in capitals by that language's rules (no dotted I in English)."""
    assert campaign_field(CAMPAIGN, ("tr-TR", "tr"), "name") == ("Haklar İçin Yaz", "tr")
    assert campaign_field(CAMPAIGN, ("tr-TR", "tr"), "call_to_action") == ("Send a message", "en")
    assert campaign_field(CAMPAIGN, ("pt",), "call_to_action") == ("Envie uma mensagem", "pt-BR")
    assert campaign_field(Campaign("", lang="fr"), ("km",), "tagline") == ("", "fr")
