"""Hashing of passwords and secrets, kept apart from the storage code.

Two kinds of secret need two kinds of hash:

- Passwords are chosen by people and guessable, so they get a slow,
  memory-hard hash (scrypt from the standard library) with a random salt. The
  encoded form carries its parameters (``scrypt$n$r$p$salt$hash``) so the cost
  can be raised later without breaking stored hashes; ``needs_rehash`` tells
  the caller when a stored hash is weaker than today's parameters.
- API tokens and session ids are 256 random bits made by us. Guessing is
  hopeless, so a plain SHA-256 is enough: it lets the store find a token by
  its hash in one indexed lookup, and a stolen database reveals no usable key.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import secrets

#: scrypt cost: 16 MiB of memory and roughly 50 ms per hash on a laptop.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32

#: scrypt first runs PBKDF2 over the password, so its cost grows with the
#: password's length; a cap keeps a login request from becoming a CPU sink.
MAX_PASSWORD_LENGTH = 1024

#: Every API token starts with this, so a leaked one is easy to recognise in
#: logs and by secret scanners.
TOKEN_PREFIX = "pj_"
#: Characters of a token kept in clear for listings ("pj_" plus 7 random ones,
#: about 42 of its 256 bits: enough to tell tokens apart, useless to guess).
TOKEN_DISPLAY_LENGTH = 10
#: A presented token longer than this is not one of ours; skip hashing it.
MAX_TOKEN_LENGTH = 256

_SCHEME = "scrypt"


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    # hashlib's default memory ceiling (32 MiB in OpenSSL) would reject larger
    # parameters stored by a later version; allow what the parameters need.
    maxmem = 2 * 128 * n * r * p + 1024 * 1024
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=dklen)


def _check_password(password: str) -> None:
    if not isinstance(password, str) or not password:
        raise ValueError("password must be a non-empty string")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"password must be at most {MAX_PASSWORD_LENGTH} characters")


def hash_password(password: str) -> str:
    """Return ``scrypt$n$r$p$salt_b64$hash_b64`` for a new random salt."""
    _check_password(password)
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, HASH_BYTES)
    return f"{_SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64encode(salt)}${_b64encode(digest)}"


def _parse(encoded: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != _SCHEME:
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        return None
    if n < 2 or n & (n - 1) or r < 1 or p < 1 or not digest:
        return None
    return n, r, p, salt, digest


def verify_password(password: str, encoded: str) -> bool:
    """True when ``password`` matches; False for a wrong password or a malformed hash."""
    parsed = _parse(encoded)
    if parsed is None or not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
        return False
    n, r, p, salt, expected = parsed
    actual = _scrypt(password, salt, n, r, p, len(expected))
    return hmac.compare_digest(actual, expected)


def needs_rehash(encoded: str) -> bool:
    """True when a stored hash uses other parameters than today's: rehash it at the next login."""
    parsed = _parse(encoded)
    if parsed is None:
        return True
    n, r, p, salt, digest = parsed
    return (n, r, p, len(salt), len(digest)) != (SCRYPT_N, SCRYPT_R, SCRYPT_P, SALT_BYTES, HASH_BYTES)


@functools.cache
def _dummy_hash() -> str:
    return hash_password("projector-dummy-password")


def burn_password_check(password: str) -> None:
    """Spend the time of one real check, so a login for an unknown user takes
    as long as one for a known user and response times do not reveal names."""
    verify_password(password if isinstance(password, str) else "", _dummy_hash())


def hash_token(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (API token, session id)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_token_secret() -> str:
    """A fresh API token: ``pj_`` and 32 random bytes, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_session_secret() -> str:
    """A fresh session id or CSRF token: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)
