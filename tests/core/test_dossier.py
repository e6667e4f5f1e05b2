"""Dossier rules in the core: languages, translations, focus points, further portraits, and the wire."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from projector.core.dossier import case_from_json
from projector.core.model import Case, CaseText, Portrait, ValidationError, case_text, parse_lang
from projector.core.protocol import Snapshot, _Fields, case_from_wire, case_to_wire, from_wire, to_wire
from projector.core.state import ShowState

H1, H2 = "a" * 64, "b" * 64


def case(**kw: object) -> Case:
    base: dict[str, object] = {
        "id": "ayse",
        "name": "Ayşe",
        "country": "TR",
        "story": "Journalist jailed.",
        "ask": "Write now.",
        "lang": "en",
        "translations": MappingProxyType(
            {
                "tr": CaseText("Gazeteci tutuklandı.", "Hemen yazın."),
                "pt-BR": CaseText("Jornalista presa.", ""),
            }
        ),
    }
    base.update(kw)
    return Case(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("languages", "expected"),
    [
        ((), "en"),
        (("tr", "en"), "tr"),
        (("de", "tr"), "tr"),  # no German: the next language the display has
        (("de", "fr"), "en"),  # none of them: the dossier's default
        (("en", "tr"), "en"),
        (("pt",), "pt-BR"),  # a base language takes a regional translation
        (("tr-CY",), "tr"),  # and a regional display takes the base translation
    ],
)
def test_the_first_language_the_dossier_has_wins(languages: tuple[str, ...], expected: str) -> None:
    lang, text = case_text(case(), languages)
    assert lang == expected
    if expected == "tr":
        assert text == CaseText("Gazeteci tutuklandı.", "Hemen yazın.")
    if expected == "en":
        assert text == CaseText("Journalist jailed.", "Write now.")


def test_an_empty_translation_does_not_count() -> None:
    empty = case(translations=MappingProxyType({"tr": CaseText("", "")}))
    assert case_text(empty, ("tr", "en"))[0] == "en"


@pytest.mark.parametrize(
    ("raw", "tag"), [("EN", "en"), ("pt_br", "pt-BR"), ("zh-hant", "zh-Hant"), ("sr-Latn-RS", "sr-Latn-RS")]
)
def test_language_tags_are_normalised(raw: str, tag: str) -> None:
    assert parse_lang(raw) == tag


@pytest.mark.parametrize("bad", ["", "english", "e", "en--us", "../en", 3, None])
def test_bad_language_tags_are_refused(bad: object) -> None:
    with pytest.raises(ValidationError):
        parse_lang(bad)


def test_a_case_body_with_everything() -> None:
    c = case_from_json(
        "ayse",
        {
            "name": "Ayşe",
            "country": "tr",
            "lang": "EN",
            "story": "Jailed.",
            "ask": "Write.",
            "status": "released",
            "portrait": H1,
            "focus": [0.5, 0.3],
            "translations": {"tr": {"story": "Tutuklandı.", "ask": "Yazın."}},
            "portraits": [{"media": H2, "focus": [0.1, 0.9]}],
        },
    )
    assert (c.country, c.lang, c.portrait, c.focus) == ("TR", "en", H1, (0.5, 0.3))
    assert c.translations["tr"] == CaseText("Tutuklandı.", "Yazın.")
    assert c.portraits == (Portrait(H2, (0.1, 0.9)),)
    assert c.media() == (H1, H2)
    assert c.languages == ("en", "tr")


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"focus": [0.5, 1.5]}, "focus"),
        ({"focus": "middle"}, "focus"),
        ({"translations": {"en": {"story": "x"}}}, "translations.en"),
        ({"translations": {"tr": {"story": "x", "stroy": "y"}}}, "translations.tr.stroy"),
        ({"translations": {"klingon!": {"story": "x"}}}, "translations.klingon!"),
        ({"translations": {"tr": {"story": "x" * 2001}}}, "translations.tr.story"),
        ({"portraits": [{"media": "../../etc/passwd"}]}, "portraits[0].media"),
        ({"portraits": [{"media": H2}, {"media": H2}]}, "portraits[1].media"),
        ({"portraits": [{"media": f"{i:064x}"} for i in range(9)]}, "portraits"),
        ({"portrait": "../secret.png"}, "portrait"),
        ({"portrait": ".hidden"}, "portrait"),
        ({"lang": "xx-"}, "lang"),
        ({"status": "freed"}, "status"),
        ({"nickname": "A"}, "nickname"),
    ],
)
def test_a_bad_case_body_names_the_field(patch: dict[str, object], field: str) -> None:
    body = {"name": "Ayşe", "country": "TR", **patch}
    with pytest.raises(ValidationError) as info:
        case_from_json("ayse", body)
    assert info.value.field == field


def test_the_wire_carries_the_new_fields_and_older_frames_still_decode() -> None:
    c = case(portrait=H1, focus=(0.25, 0.75), portraits=(Portrait(H2, None),))
    state = ShowState(rev=3, cases=MappingProxyType({c.id: c}))
    frame = from_wire(to_wire(Snapshot(state, 1.0)))
    assert isinstance(frame, Snapshot) and frame.state.cases["ayse"] == c
    old = case_to_wire(c)
    for key in ("lang", "translations", "focus", "portraits"):
        del old[key]

    decoded = case_from_wire(_Fields(old, "case"))
    assert decoded.lang == "en" and decoded.translations == {} and decoded.portraits == ()
