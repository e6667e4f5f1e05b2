"""One way to describe an operation, for the OpenAPI parts that areas add (fleet, mapping)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}


def operation(
    summary: str,
    security: list[str],
    *,
    texts: Mapping[int, str],
    errors: tuple[int, ...],
    body: dict[str, Any] | None = None,
    body_required: bool = True,
    status: int = 200,
    content: str = "application/json",
) -> dict[str, Any]:
    """An operation answering JSON (or ``content``, as bytes) with JSON errors described by ``texts``."""
    schema = {"type": "object"} if content == "application/json" else {"type": "string", "format": "binary"}
    responses: dict[str, Any] = {str(status): {"description": "OK", "content": {content: {"schema": schema}}}}
    for code in errors:
        responses[str(code)] = {
            "description": texts[code],
            "content": {"application/json": {"schema": ERROR_SCHEMA}},
        }
    op: dict[str, Any] = {"summary": summary, "responses": responses, "security": [{s: []} for s in security]}
    if body is not None:
        op["requestBody"] = {"required": body_required, "content": {"application/json": {"schema": body}}}
    return op


#: Path parameters every part of the document shares: what each one names.
PATH_PARAMETERS = {
    "case_id": "A case id",
    "hash": "A stored picture's SHA-256, 64 hex digits",
    "token_id": "A token's numeric id",
    "message_id": "A message id (a submission's `id`, or `sms-<MessageSid>`)",
    "sender": "A blocked sender, as `GET /api/v1/moderation/blocked` lists it",
    "lang": "A language tag",
    "name": "A display's (or group's) name",
    "output": "One of the display's outputs (`main` when it names none)",
    "calibration": "A saved calibration's name",
    "id": "An id",
    "file": "A file of the panel (letters, digits, `_`, `.`, `-`)",
    "layout": "A layout's name (lower-case letters, digits, `-`, `_`)",
}

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def declare_path_parameters(paths: dict[str, Any]) -> dict[str, Any]:
    """Declare, once per path, each ``{parameter}`` the path names that an operation does not."""
    for path, item in paths.items():
        for name in re.findall(r"{([^}]+)}", path):
            operations = [item[m] for m in _METHODS if m in item]
            if all(_declares(op.get("parameters", ()), name) for op in operations):
                continue
            if _declares(item.get("parameters", ()), name):
                continue
            item.setdefault("parameters", []).append(
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "description": PATH_PARAMETERS.get(name, name),
                    "schema": {"type": "string"},
                }
            )
    return paths


def _declares(parameters: Any, name: str) -> bool:
    return any(p.get("in") == "path" and p.get("name") == name for p in parameters)


def access(permission: str | None) -> list[dict[str, list[str]]]:
    """Who may call: a bearer token or an operator session whose role grants ``permission``;
    None: anyone (an explicit empty requirement)."""
    return [] if permission is None else [{"bearer": []}, {"session": []}]


def query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def endpoint(
    summary: str,
    permission: str | None,
    *,
    errors: Mapping[int, str],
    ok: dict[str, Any] | None = None,
    status: int = 200,
    content: str | None = "application/json",
    ok_text: str = "OK",
    body: dict[str, Any] | None = None,
    body_content: str = "application/json",
    body_required: bool = True,
    parameters: list[dict[str, Any]] | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """An operation: its success (``content`` None: no body), its JSON errors, who may call it.

    ``permission`` (viewer, operator, admin) is named in the summary and the description, as
    the security schemes (bearer token, session cookie) cannot say which role they need."""
    if content is None:
        success: dict[str, Any] = {"description": ok_text}
    else:
        if ok is None:
            ok = {"type": "object"} if content == "application/json" else {"type": "string"}
        success = {"description": ok_text, "content": {content: {"schema": ok}}}
    responses: dict[str, Any] = {str(status): success}
    for code, text in sorted(errors.items()):
        responses[str(code)] = {
            "description": text,
            "content": {"application/json": {"schema": ERROR_SCHEMA}},
        }
    if permission is None:
        who = "Anyone: no credentials."
    else:
        who = f"Needs {permission} access: a bearer token or a session whose role grants it" + (
            "." if permission == "viewer" else "; a session also sends X-CSRF-Token on a change."
        )
    if description is not None:
        who = description if permission is None else f"{description}\n\n{who}"
    op: dict[str, Any] = {
        "summary": summary if permission is None else f"{summary} ({permission})",
        "description": who,
        "security": access(permission),
        "responses": responses,
    }
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = {"required": body_required, "content": {body_content: {"schema": body}}}
    return op


#: What each error status means in general; an operation may say more about its own.
ERROR_TEXT = {
    400: "Malformed JSON, invalid UTF-8, or an object naming a key twice (`duplicate_key`, naming it)",
    401: "Missing, unknown or revoked credentials, or an expired session",
    403: "Authenticated but not allowed (scope/role), or missing X-CSRF-Token on a session's change",
    404: "No such resource",
    409: "Refused now: `error.code` says why",
    413: "Body too large",
    415: "Content-Type is not application/json",
    422: "A field is invalid; `error.field` names it",
    429: "Rate limited",
    503: "The store could not make the change durable (`store_failed`; `storage_full`: the disk is full); nothing changed, retry after `Retry-After` seconds",
}


def errors(*codes: int, special: Mapping[int, str] | None = None) -> dict[int, str]:
    """``codes`` with their general meaning, except where ``special`` says it for this operation."""
    said = dict(special or {})
    return {code: said.pop(code, ERROR_TEXT[code]) for code in codes} | said
