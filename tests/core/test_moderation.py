import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from projector.core.moderation import (
    BIDI_CONTROLS,
    DEFAULT_BLOCKLIST,
    Rules,
    Screened,
    SenderHistory,
    Verdict,
    find_blocked,
    is_blank,
    message_key,
    normalize,
    parse_blocklist,
    screen,
    strip_contacts,
)

RULES = Rules()
EMPTY = SenderHistory()


def run(
    text: str,
    name: str = "Ann",
    *,
    lang: str | None = "en",
    source: str = "web",
    history: SenderHistory = EMPTY,
    now: float = 1000.0,
    rules: Rules = RULES,
) -> Screened:
    return screen(text, name, lang=lang, source=source, sender_history=history, now=now, rules=rules)


def history(*entries: tuple[float, str]) -> SenderHistory:
    return SenderHistory(tuple(entries))


# ------------------------------------------------------------------ normalize


def test_normalize_composes_collapses_and_strips() -> None:
    assert normalize("  e\u0301te\u0301\n\n  libre\t! ") == "été libre !"


def test_zalgo_is_capped_to_two_marks_per_base() -> None:
    zalgo = "a" + "\u0301\u0300\u0302" * 100 + "b" + "\u0489" * 50
    out = normalize(zalgo)
    assert len(out) <= 2 + 2 + 2
    assert out.startswith("á") or out.startswith("a")  # NFC may compose the first mark
    for i, ch in enumerate(out):
        if unicodedata.category(ch) in ("Mn", "Me"):
            stack = 0
            while i >= 0 and unicodedata.category(out[i]) in ("Mn", "Me"):
                stack, i = stack + 1, i - 1
            assert stack <= 2
    assert normalize("x" + "\u0301" * 300, max_marks=0) == "x"


def test_zwj_cannot_be_used_to_restart_mark_stacks() -> None:
    out = normalize("a" + ("\u0301\u0302\u200d" * 50))
    assert sum(unicodedata.category(c) == "Mn" for c in out) <= 2


@pytest.mark.parametrize("control", sorted(BIDI_CONTROLS))
def test_bidi_controls_are_removed(control: str) -> None:
    out = normalize(f"{control}evil{control}")
    assert out == "evil"


def test_rlo_trick_loses_its_override() -> None:
    out = normalize("\u202eevil")
    assert "\u202e" not in out and out == "evil"
    assert run("gnp.\u202eexe").text == "gnp.exe"


def test_invisible_format_controls_and_c0_c1_are_removed() -> None:
    assert normalize("a\u200bb\ufeffc\u00add\u2060e") == "abcde"
    assert normalize("a\x00b\x07c\x1bd\x7fe\x9bf") == "abcdef"
    assert normalize("line one\nline two\r\nthree\x85four") == "line one line two three four"


def test_lone_surrogates_are_removed() -> None:
    assert normalize("a\ud800b\udfffc") == "abc"


@pytest.mark.parametrize(
    "text",
    [
        "الحرية لأحمد",  # Arabic
        "مُحَمَّد",  # Arabic with harakat (shadda + vowel: two marks)
        "آزادی\u200cخواهی برای همه",  # Persian with ZWNJ
        "חֵרוּת לְכֻלָּם",  # Hebrew with niqqud
        "स्वतंत्रता क्‍ष",  # Devanagari with virama and ZWJ
        "ಕನ್ನಡ\u200cದ",  # Kannada with ZWNJ
        "សេរីភាព សម្រាប់ ទាំងអស់គ្នា",  # Khmer with coeng
        "👩\u200d👩\u200d👧 ❤\ufe0f 1\ufe0f\u20e3 👍🏽",  # emoji ZWJ sequences, VS16, keycap, skin tone
    ],
)
def test_complex_scripts_survive_unchanged(text: str) -> None:
    nfc = unicodedata.normalize("NFC", text)
    assert normalize(text) == nfc


def test_html_and_sql_are_just_text() -> None:
    html = "<script>alert('x')</script> <b>free</b> &amp;"
    sql = "Robert'); DROP TABLE messages;--"
    for text in (html, sql):
        got = run(text)
        assert got.text == text
        assert got.verdict is Verdict.HOLD and got.reasons == ()


_bidi_or_controls = st.sampled_from(
    [
        *sorted(BIDI_CONTROLS),
        "\u200d",
        "\u200c",
        "\x00",
        "\n",
        "\x85",
        "\u0301",
        "\u0489",
        "\ud800",
        "\udc00",
        " ",
        "\u3000",
    ]
)
_texts = st.lists(st.one_of(st.characters(), _bidi_or_controls), max_size=60).map("".join)


@settings(max_examples=400, deadline=None)
@given(_texts)
def test_normalize_never_raises_and_leaves_no_controls(text: str) -> None:
    out = normalize(text)
    for ch in out:
        assert ch not in BIDI_CONTROLS
        assert unicodedata.category(ch) not in ("Cc", "Cs")
        assert unicodedata.category(ch) != "Cf" or ch in "\u200c\u200d"
    assert out == out.strip() and "  " not in out


@settings(max_examples=400, deadline=None)
@given(_texts, st.integers(min_value=0, max_value=3))
def test_normalize_is_idempotent(text: str, max_marks: int) -> None:
    once = normalize(text, max_marks=max_marks)
    assert normalize(once, max_marks=max_marks) == once


# ------------------------------------------------------------ strip_contacts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://evil.example/x?y=1 now", "see now"),
        ("see http://bit.ly/abc", "see"),
        ("go to www.evil.com today", "go to today"),
        ("visit evil.com/x please", "visit please"),
        ("visit Evil.NET", "visit"),
        ("write me: someone@example.org thanks", "write me: thanks"),
        ("call +1 (555) 123-4567", "call"),
        ("call 0212 555 12 34 now", "call now"),
        ("call 555.123.4567", "call"),
    ],
)
def test_contacts_are_stripped(text: str, expected: str) -> None:
    assert strip_contacts(text) == (expected, True)


@pytest.mark.parametrize(
    "text",
    [
        "Free Ayşe now!",
        "We sent 1,200 letters and 55 faxes",
        "10 years, 3 months",
        "From 2019-2024 she was held",
        "e.g. this, i.e. that",
        "end of story.Next one",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert strip_contacts(text) == (text, False)


def test_screen_strips_links_and_phones_with_a_reason_but_holds() -> None:
    got = run("Free her! evil.com/x call +90 555 123 45 67")
    assert got.text == "Free her! call"
    assert got.verdict is Verdict.HOLD
    assert "link removed" in got.reasons and "phone number removed" in got.reasons


def test_contact_removal_alone_never_auto_approves() -> None:
    got = run("Free her! www.x.io", source="partner", rules=Rules(trusted_sources=frozenset({"partner"})))
    assert got.verdict is Verdict.HOLD


def test_links_in_the_name_are_removed() -> None:
    got = run("Free her!", name="Ann www.spam.com")
    assert got.name == "Ann" and "link removed from name" in got.reasons


# ---------------------------------------------------------------- lengths


def test_empty_and_whitespace_only_rejected() -> None:
    for text in ("", "   \n\t  ", "\u202e\u200b", "\x00\x01"):
        got = run(text)
        assert got.verdict is Verdict.REJECT and "empty message" in got.reasons


INVISIBLE_ONLY = [
    "\u200d\u200d\u200d\u200d",  # zero-width joiners: normalize keeps them for shaping
    "\u200c\u200d \u200c",
    "\u200b\ufeff\u2060",  # ZWSP, BOM, word joiner
    "\u200e\u200f\u061c\u2066\u2069",  # bidi marks and isolates
    "\u3164\u3164\u115f",  # Hangul fillers
    "\u2800\u2800\u2800",  # the blank braille cell
    "\u034f\ufe0f\u0301\u200d",  # marks with nothing to sit on
    "\u00ad\U000e0041\U000e0042",  # soft hyphen, tag characters
]


@pytest.mark.parametrize("text", INVISIBLE_ONLY)
def test_a_text_of_only_invisible_characters_is_empty(text: str) -> None:
    assert is_blank(text)
    got = run(text)
    assert got.verdict is Verdict.REJECT and "empty message" in got.reasons and got.text == ""
    assert run("Free her", name=text).name == ""  # and a blank name is no name


@pytest.mark.parametrize(
    "text", ["\U0001f469\u200d\U0001f469\u200d\U0001f467", "a", "\u0645\u200c\u06cc", "\u2764\ufe0f"]
)
def test_a_text_with_anything_visible_is_not_blank(text: str) -> None:
    assert not is_blank(text)


def test_too_short_fires_and_does_not() -> None:
    assert run("a").verdict is Verdict.REJECT and "too short (1 < 2)" in run("a").reasons
    assert run("ok").verdict is Verdict.HOLD


def test_too_long_is_rejected_not_truncated() -> None:
    got = run("x" * 412)
    assert got.verdict is Verdict.REJECT and "too long (412 > 280)" in got.reasons
    assert run("x" * 280).verdict is Verdict.HOLD


def test_100kb_text_is_rejected_as_too_long() -> None:
    got = run("free " * 20_480)
    assert got.verdict is Verdict.REJECT
    assert any(r.startswith("too long") for r in got.reasons)


def test_zalgo_message_within_limit_after_cleaning_is_held() -> None:
    got = run("free" + "\u0301" * 300)
    assert got.verdict is Verdict.HOLD and len(got.text) <= 6


def test_name_too_long_rejected() -> None:
    assert "name too long (61 > 60)" in run("hello", name="n" * 61).reasons
    assert run("hello", name="n" * 60).verdict is Verdict.HOLD


# -------------------------------------------------------------- blocklists


@pytest.mark.parametrize(
    "text",
    [
        "you idiot",
        "You IDIOT!",
        "1d10t",
        "you 1D!0T",
        "@ss-hole idiot",
        "1d!0t!!",
        "@ss-hole",
        "f.u.c.k",
        "id-iot",
        "ｉｄｉｏｔ",
        "i.d.i.o.t",
        "idiooooot",
        "іdіоt",
    ],
)
def test_blocked_word_and_its_disguises_rejected(text: str) -> None:
    got = run(text)
    assert got.verdict is Verdict.REJECT and any(r.startswith("blocked word") for r in got.reasons)


@pytest.mark.parametrize(
    "text", ["Scunthorpe stands with her", "a classic assassin plot", "Shitake? no, shiitake", "idiotic laws"]
)
def test_substring_in_a_spaced_language_is_not_rejected(text: str) -> None:
    assert run(text).verdict is Verdict.HOLD


def test_phrases_match_on_word_boundaries() -> None:
    rules = Rules(blocklists={"en": frozenset({"go home"})})
    assert run("Go   HOME!", rules=rules).verdict is Verdict.REJECT
    assert run("we go homeward", rules=rules).verdict is Verdict.HOLD
    assert run("go... home", rules=rules).verdict is Verdict.REJECT  # punctuation is a word break


def test_diacritics_removed_before_matching() -> None:
    assert "blocked word 'enculé'" in run("encule", lang="fr").reasons
    assert "blocked word 'şerefsiz'" in run("SEREFSIZ", lang="tr").reasons
    assert run("CABRON", lang="es").verdict is Verdict.REJECT


def test_language_selects_lists_and_star_applies_everywhere() -> None:
    rules = Rules(blocklists={"*": frozenset({"spam"}), "es": frozenset({"tonto"})})
    assert run("tonto", lang="es-MX", rules=rules).verdict is Verdict.REJECT
    assert run("tonto", lang="en", rules=rules).verdict is Verdict.HOLD
    assert run("tonto", lang=None, rules=rules).verdict is Verdict.REJECT  # unknown language: all lists
    assert run("spam", lang="fr", rules=rules).verdict is Verdict.REJECT


def test_thai_substring_match() -> None:
    rules = Rules(blocklists={"th": frozenset({"ควาย"})})
    assert run("แกมันควายจริงๆ", lang="th", rules=rules).verdict is Verdict.REJECT
    assert run("แก มัน ค วาย", lang="th", rules=rules).verdict is Verdict.REJECT  # spaces inserted
    assert run("ปล่อยตัวเธอเดี๋ยวนี้", lang="th", rules=rules).verdict is Verdict.HOLD


def test_cjk_substring_match() -> None:
    rules = Rules(blocklists={"*": frozenset({"笨蛋"})})
    assert run("你是笨蛋吗", lang="zh", rules=rules).verdict is Verdict.REJECT
    assert run("自由", lang="zh", rules=rules).verdict is Verdict.HOLD


def test_blocked_word_in_the_name_rejected() -> None:
    got = run("Free her", name="Mr Idiot")
    assert got.verdict is Verdict.REJECT and "blocked word 'idiot' in name" in got.reasons


def test_default_blocklist_covers_four_languages_and_matches_itself() -> None:
    assert {"en", "es", "fr", "tr"} <= set(DEFAULT_BLOCKLIST)
    for lang, entries in DEFAULT_BLOCKLIST.items():
        for entry in entries:
            assert entry in find_blocked(entry, DEFAULT_BLOCKLIST, lang)


def test_default_blocklist_leaves_everyday_words_alone() -> None:
    for text in (
        "I got a pic of the con",
        "mi perro y yo",
        "Merci pour tout",
        "Özgürlük için",
        "Put a sign up",
    ):
        assert find_blocked(text, DEFAULT_BLOCKLIST, None) == [], text


def test_parse_blocklist() -> None:
    text = "# insults\nIdiot\n\n  go   home  # phrase\n#only comment\n   \nควาย\n"
    assert parse_blocklist(text) == frozenset({"idiot", "go home", "ควาย"})


# ------------------------------------------------------- flood and duplicates


def test_flood_after_flood_max() -> None:
    h = history((500.0, "a"), (700.0, "b"))
    assert run("third one", history=h).verdict is Verdict.HOLD
    h = h.record(900.0, "c")
    got = run("fourth one", history=h)
    assert got.verdict is Verdict.REJECT
    assert "flood: 4 messages from this sender in 10 minutes" in got.reasons


def test_flood_window_slides() -> None:
    h = history((500.0, "a"), (700.0, "b"), (900.0, "c"))
    assert run("hello again", history=h, now=1000.0).verdict is Verdict.REJECT
    assert run("hello again", history=h, now=1101.0).verdict is Verdict.HOLD  # 500 is now 601 s old


def test_duplicate_within_window_rejected_allowed_after() -> None:
    key = message_key("Free Ayşe now!")
    h = history((0.0, key))
    got = run("free   AYŞE, now", history=h, now=1000.0)
    assert got.verdict is Verdict.REJECT and "duplicate of a recent message" in got.reasons
    assert run("Free Ayşe now!", history=h, now=3601.0).verdict is Verdict.HOLD
    assert run("Free Ayşe today!", history=h, now=1000.0).verdict is Verdict.HOLD


def test_message_key() -> None:
    assert message_key("Free  AYŞE, now!!") == message_key("free ayşe now") == "freeayşenow"
    assert message_key("❤️ ❤️") == message_key("❤️❤️") != ""


def test_record_prunes_old_entries_and_stays_bounded() -> None:
    h = history((0.0, "old"), (3000.0, "mid"))
    h2 = h.record(4000.0, "new")
    assert h2.entries == ((3000.0, "mid"), (4000.0, "new"))
    assert h.entries == ((0.0, "old"), (3000.0, "mid"))  # immutable
    assert h.record(4000.0, "x", keep_for=100.0).entries == ((4000.0, "x"),)
    big = EMPTY
    for i in range(1000):
        big = big.record(float(i), str(i))
    assert len(big.entries) <= 256 and big.entries[-1] == (999.0, "999")


def test_screened_key_is_what_to_record() -> None:
    got = run("Free her now")
    assert got.key == message_key("Free her now")
    h = EMPTY.record(1000.0, got.key)
    assert run("free her NOW", history=h, now=1001.0).verdict is Verdict.REJECT


# ---------------------------------------------------------------- verdicts


def test_trusted_source_auto_approves_only_when_clean() -> None:
    rules = Rules(trusted_sources=frozenset({"partner"}))
    assert run("Free her now", source="partner", rules=rules).verdict is Verdict.APPROVE
    assert run("Free her now", source="web", rules=rules).verdict is Verdict.HOLD
    assert run("you idiot", source="partner", rules=rules).verdict is Verdict.REJECT
    assert run("Free her, call 555 123 4567", source="partner", rules=rules).verdict is Verdict.HOLD
    h = history((999.0, message_key("Free her now")))
    assert run("Free her now", source="partner", history=h, rules=rules).verdict is Verdict.REJECT


def test_screen_is_pure_and_returns_cleaned_text() -> None:
    a = run("  Free\u202e her \u200b now ", name=" Ann\u202e ")
    b = run("  Free\u202e her \u200b now ", name=" Ann\u202e ")
    assert a == b
    assert a.text == "Free her now" and a.name == "Ann" and a.verdict is Verdict.HOLD


def test_huge_name_rejected_unread() -> None:
    got = run("hello", name="n" * 100_000)
    assert got.verdict is Verdict.REJECT and got.reasons == ("name too long (100000 > 60)",)


def test_dates_are_not_phone_numbers_but_grouped_digits_are() -> None:
    assert strip_contacts("Released 28.11.2026, at last") == ("Released 28.11.2026, at last", False)
    assert strip_contacts("Since 2026-11-28 and 1/2/2024") == ("Since 2026-11-28 and 1/2/2024", False)
    assert strip_contacts("Call 612 345 678 tonight") == ("Call tonight", True)
