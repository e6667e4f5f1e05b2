"""Twilio webhook signatures and the empty TwiML answer.

Twilio signs every webhook request: ``X-Twilio-Signature`` is
``base64(HMAC-SHA1(auth_token, url + name1 + value1 + name2 + value2 ...))``
where ``url`` is the full URL Twilio called (query string included, exactly
as configured) and the POST parameters are sorted by name. A repeated name
contributes every one of its values, in the order they arrived.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

Params = Mapping[str, str] | Sequence[tuple[str, str]]

_DEFAULT_PORTS = {"https": 443, "http": 80}


def _pairs(params: Params) -> list[tuple[str, str]]:
    items = list(params.items()) if isinstance(params, Mapping) else list(params)
    return sorted(items, key=lambda pair: pair[0])  # sorted() is stable: repeated names keep their order


def compute_signature(auth_token: str, url: str, params: Params) -> str:
    """The signature Twilio sends for ``url`` with these POST ``params``."""
    payload = url + "".join(name + value for name, value in _pairs(params))
    digest = hmac.new(auth_token.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _url_variants(url: str) -> list[str]:
    """The URL as given, plus the same URL with the default port added or removed.

    Twilio's own helper libraries accept both: whether the port appears in the
    signed URL depends on how the webhook was configured, and a reverse proxy
    may hand the server either form.
    """
    variants = [url]
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return variants
    default = _DEFAULT_PORTS.get(parts.scheme.lower())
    if default is None or not parts.hostname:
        return variants
    userinfo, _, _hostport = parts.netloc.rpartition("@")
    prefix = userinfo + "@" if userinfo else ""
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if port is None:
        variants.append(urlunsplit(parts._replace(netloc=f"{prefix}{host}:{default}")))
    elif port == default:
        variants.append(urlunsplit(parts._replace(netloc=f"{prefix}{host}")))
    return variants


def verify_signature(auth_token: str, url: str, params: Params, signature: str) -> bool:
    """True only if ``signature`` is Twilio's signature of this request (constant-time compare)."""
    if not auth_token or not signature:
        return False
    given = signature.strip().encode("utf-8")
    ok = False
    for candidate in _url_variants(url):
        expected = compute_signature(auth_token, candidate, params).encode("ascii")
        ok |= hmac.compare_digest(expected, given)
    return ok


def twiml_empty() -> str:
    """An empty TwiML document: the webhook's 200 answer (send no reply SMS)."""
    return '<?xml version="1.0" encoding="UTF-8"?><Response/>'
