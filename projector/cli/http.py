"""The command line's HTTP calls to a running server, with the server's own error messages."""

from __future__ import annotations

import json
import urllib.error
import urllib.request


class CliError(Exception):
    """What the command line prints, plainly, before it exits non-zero."""


def request(
    server: str,
    token: str,
    method: str,
    path: str,
    body: bytes | None,
    ctype: str,
    *,
    timeout: float = 10,
    no_token: str = "an operator token is needed: --token or $PROJECTOR_TOKEN",
) -> tuple[str, bytes]:
    """(content type, body) of the answer; a refusal raises CliError with the server's message."""
    if not token:
        raise CliError(no_token)
    call = urllib.request.Request(
        server.rstrip("/") + path,
        data=body,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": ctype},
    )
    try:
        with urllib.request.urlopen(call, timeout=timeout) as response:
            return response.headers.get("Content-Type", ""), bytes(response.read())
    except urllib.error.HTTPError as exc:
        try:
            error = json.loads(exc.read())["error"]
            message = f"{error['message']} ({error['code']})"
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {exc.code}"
        raise CliError(message) from None
    except urllib.error.URLError as exc:
        raise CliError(f"cannot reach {server}: {exc.reason}") from None
