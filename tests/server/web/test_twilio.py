import xml.etree.ElementTree as ET

import pytest

from projector.server.web.twilio import compute_signature, twiml_empty, verify_signature

# Twilio's published example (security docs).
TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}
EXPECTED = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_twilio_published_example() -> None:
    assert compute_signature(TOKEN, URL, PARAMS) == EXPECTED
    assert verify_signature(TOKEN, URL, PARAMS, EXPECTED)


def test_parameter_order_does_not_matter() -> None:
    shuffled = list(reversed(list(PARAMS.items())))
    assert compute_signature(TOKEN, URL, shuffled) == EXPECTED
    assert verify_signature(TOKEN, URL, shuffled, EXPECTED)


@pytest.mark.parametrize(
    ("token", "url", "params"),
    [
        ("12346", URL, PARAMS),
        (TOKEN, URL.replace("foo=1", "foo=2"), PARAMS),
        (TOKEN, "https://mycompany.com/myapp.php", PARAMS),
        (TOKEN, URL, {**PARAMS, "Digits": "1235"}),
        (TOKEN, URL, {**PARAMS, "Body": "extra"}),
        (TOKEN, URL, {k: v for k, v in PARAMS.items() if k != "To"}),
    ],
)
def test_tampering_fails(token: str, url: str, params: dict[str, str]) -> None:
    assert not verify_signature(token, url, params, EXPECTED)


@pytest.mark.parametrize("signature", ["", "0/KCTR6DLpKmkAf8muzZqo1nDgQ", "garbage", "ÿ"])
def test_bad_signatures_fail(signature: str) -> None:
    assert not verify_signature(TOKEN, URL, PARAMS, signature)


def test_empty_token_fails_even_if_signature_matches() -> None:
    assert not verify_signature("", URL, PARAMS, compute_signature("", URL, PARAMS))


def test_repeated_names_keep_arrival_order_after_a_stable_sort() -> None:
    pairs = [("To", "+1"), ("MediaUrl", "b"), ("MediaUrl", "a")]
    sig = compute_signature(TOKEN, URL, pairs)
    assert sig == compute_signature(TOKEN, URL + "MediaUrlbMediaUrlaTo+1", [])
    assert verify_signature(TOKEN, URL, pairs, sig)
    assert not verify_signature(TOKEN, URL, [("To", "+1"), ("MediaUrl", "a"), ("MediaUrl", "b")], sig)


def test_default_port_added_or_removed_still_verifies() -> None:
    with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2"
    assert verify_signature(TOKEN, with_port, PARAMS, EXPECTED)
    sig = compute_signature(TOKEN, with_port, PARAMS)
    assert verify_signature(TOKEN, URL, PARAMS, sig)
    assert not verify_signature(TOKEN, "https://mycompany.com:8443/myapp.php?foo=1&bar=2", PARAMS, EXPECTED)


def test_unicode_values_are_signed_as_utf8() -> None:
    params = {"Body": "Özgürlük 🕊", "From": "+905551112233"}
    sig = compute_signature(TOKEN, URL, params)
    assert verify_signature(TOKEN, URL, params, sig)
    assert not verify_signature(TOKEN, URL, {**params, "Body": "Ozgurluk 🕊"}, sig)


def test_twiml_empty_is_an_empty_response_document() -> None:
    doc = twiml_empty()
    root = ET.fromstring(doc)
    assert root.tag == "Response" and len(root) == 0 and not (root.text or "").strip()
    assert doc.startswith("<?xml")
