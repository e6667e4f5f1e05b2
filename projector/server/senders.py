"""The public form's sender ids: issued and signed by the server, so a client cannot mint new ones.

A cookie is ``<id>.<issued>.<HMAC-SHA256>`` under a per-install key made once (on first use) in
the store's settings and never replaced; one that this install did not sign is no cookie at all
(the sender is then the address, see ``routes/messages.py``).
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
from typing import Any

from projector.store.writer import StoreWriter

SENDER_KEY_SETTING = "sender_cookie_key"
_SIGNED_COOKIE = re.compile(r"([A-Za-z0-9_-]{24})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})")


class SenderSigner:
    """Signs and checks the public form's sender ids with the install's key (loaded once)."""

    def __init__(self, store: StoreWriter) -> None:
        self.store = store
        self._key: bytes | None = None

    async def key(self) -> bytes:
        if self._key is None:
            self._key = bytes.fromhex(await self.store.call(_sender_key))
        return self._key

    @staticmethod
    def sign(key: bytes, sender_id: str, issued: float) -> str:
        """``<id>.<issued, whole seconds>.<HMAC-SHA256 of both, base64url>``."""
        body = f"{sender_id}.{int(issued)}"
        mac = hmac.new(key, b"projector-sender:" + body.encode(), "sha256").digest()
        return f"{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"

    @classmethod
    def verify(cls, key: bytes, cookie: str) -> tuple[str, float] | None:
        """The id a cookie carries and when it was issued, if this install signed it; else None."""
        match = _SIGNED_COOKIE.fullmatch(cookie)
        if match is None:
            return None
        issued = float(match[2])
        return (match[1], issued) if hmac.compare_digest(cls.sign(key, match[1], issued), cookie) else None


def _sender_key(s: Any) -> str:
    """The install's cookie key, made on first use; an existing key is never replaced."""
    key = s.get_setting(SENDER_KEY_SETTING)
    if key is None:
        s.set_setting(SENDER_KEY_SETTING, secrets.token_hex(32))
        key = s.get_setting(SENDER_KEY_SETTING)
    return str(key)
