"""Password and secret hashing."""

from __future__ import annotations

import hashlib

import pytest

from projector.store import security


def test_a_password_hash_names_its_parameters_and_salts_each_time() -> None:
    first = security.hash_password("correct horse")
    second = security.hash_password("correct horse")
    scheme, n, r, p, salt, digest = first.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", 2**14, 8, 1)
    assert salt and digest
    assert first != second  # a fresh salt each time
    assert "correct horse" not in first


def test_verify_password() -> None:
    encoded = security.hash_password("correct horse")
    assert security.verify_password("correct horse", encoded)
    assert not security.verify_password("correct horsE", encoded)
    assert not security.verify_password("", encoded)
    assert not security.verify_password("x" * 5000, encoded)


@pytest.mark.parametrize(
    "encoded",
    ["", "plain", "bcrypt$1$2$3$AAAA$AAAA", "scrypt$3$8$1$AAAA$AAAA", "scrypt$16384$8$1$!!$AAAA"],
)
def test_a_malformed_hash_never_verifies(encoded: str) -> None:
    assert not security.verify_password("anything", encoded)
    assert security.needs_rehash(encoded)


def test_parameters_can_change_later(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security, "SCRYPT_N", 2**10)
    old = security.hash_password("pw")
    monkeypatch.undo()
    assert security.verify_password("pw", old)  # the stored parameters are used
    assert security.needs_rehash(old)
    assert not security.needs_rehash(security.hash_password("pw"))


def test_empty_and_overlong_passwords_are_refused() -> None:
    with pytest.raises(ValueError):
        security.hash_password("")
    with pytest.raises(ValueError):
        security.hash_password("x" * (security.MAX_PASSWORD_LENGTH + 1))


def test_token_secrets_and_their_hash() -> None:
    secret = security.new_token_secret()
    assert secret.startswith("pj_") and len(secret) == 3 + 43
    assert secret != security.new_token_secret()
    assert security.hash_token(secret) == hashlib.sha256(secret.encode()).hexdigest()


def test_the_dummy_check_runs_without_error() -> None:
    security.burn_password_check("whatever")
    # Ignored type error: None where a str belongs is what a malformed login sends; it must not raise
    security.burn_password_check(None)  # type: ignore[arg-type]
