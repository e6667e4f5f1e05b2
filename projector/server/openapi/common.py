"""One way to describe an operation, for the OpenAPI parts that areas add (fleet, mapping)."""

from __future__ import annotations

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
