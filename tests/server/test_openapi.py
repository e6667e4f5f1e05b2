"""The OpenAPI document is the whole v1 contract: every route the app serves is in it, nothing in it
is a route the app does not serve, and it holds together as OpenAPI 3.1."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from aiohttp import web
from openapi_spec_validator import validate

from projector.server.app import build_app
from projector.server.config import load_config
from projector.server.openapi.document import openapi_document

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
#: An aiohttp ``{name:a|b|c}`` part: a plain alternation of literal words (no other regex).
_ALTERNATION = re.compile(r"[A-Za-z0-9_.~-]+(\|[A-Za-z0-9_.~-]+)+")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> web.Application:
    return build_app(load_config(overrides={"data_dir": tmp_path_factory.mktemp("data")}))


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document()


def _groups(pattern: str) -> dict[str, str]:
    """Each named group's own regex in a compiled route pattern, parentheses balanced."""
    found: dict[str, str] = {}
    for match in re.finditer(r"\(\?P<(\w+)>", pattern):
        depth, i = 1, match.end()
        while depth:
            if pattern[i] == "\\":
                i += 2
                continue
            depth += {"(": 1, ")": -1}.get(pattern[i], 0)
            i += 1
        found[match.group(1)] = pattern[match.end() : i - 1]
    return found


def expand(info: Mapping[str, object]) -> list[str]:
    """The documented paths a resource stands for: ``{decision:approve|reject}`` is two concrete paths."""
    if "path" in info:
        return [str(info["path"])]
    paths = [str(info["formatter"])]
    pattern = info["pattern"]
    assert isinstance(pattern, re.Pattern)
    for name, regex in _groups(pattern.pattern).items():
        if _ALTERNATION.fullmatch(regex):
            paths = [p.replace("{" + name + "}", word) for p in paths for word in regex.split("|")]
    return paths


def served(app: web.Application) -> set[tuple[str, str]]:
    """(method, path) for every route (HEAD is aiohttp's own, beside each GET)."""
    pairs = set()
    for route in app.router.routes():
        if route.method != "HEAD" and route.resource is not None:
            pairs |= {(route.method.lower(), path) for path in expand(route.resource.get_info())}
    return pairs


def documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method, path) for path, item in document["paths"].items() for method in item if method in METHODS
    }


def _show(pairs: set[tuple[str, str]]) -> str:
    return "\n".join(
        f"  {method.upper()} {path}" for method, path in sorted(pairs, key=lambda p: (p[1], p[0]))
    )


def test_expanding_an_alternation_gives_concrete_paths() -> None:
    pattern = re.compile(r"/api/v1/messages/(?P<message_id>[^{}/]+)/(?P<decision>approve|reject)")
    info = {"formatter": "/api/v1/messages/{message_id}/{decision}", "pattern": pattern}
    assert expand(info) == ["/api/v1/messages/{message_id}/approve", "/api/v1/messages/{message_id}/reject"]
    file = {"formatter": "/panel/{file}", "pattern": re.compile(r"/panel/(?P<file>[A-Za-z0-9_.-]+)")}
    assert expand(file) == ["/panel/{file}"]


def test_every_route_the_app_serves_is_documented(app: web.Application, document: dict[str, Any]) -> None:
    missing = served(app) - documented(document)
    assert not missing, "routes missing from the OpenAPI document:\n" + _show(missing)


def test_every_documented_operation_is_served(app: web.Application, document: dict[str, Any]) -> None:
    extra = documented(document) - served(app)
    assert not extra, "documented, but the app has no such route:\n" + _show(extra)


def test_the_route_list_covers_the_moderation_decisions(app: web.Application) -> None:
    routes = served(app)
    for action in ("approve", "reject", "pin", "unpin"):
        assert ("post", f"/api/v1/messages/{{message_id}}/{action}") in routes


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def test_every_operation_has_a_summary_and_responses(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    for method, path, op in _operations(document):
        assert op.get("summary"), (method, path)
        responses = op.get("responses")
        assert isinstance(responses, dict) and responses, (method, path)
        for status, response in responses.items():
            assert re.fullmatch(r"[1-5][0-9][0-9]|[1-5]XX|default", status), (method, path, status)
            assert response.get("description"), (method, path, status)


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolve(document: dict[str, Any], ref: str) -> object:
    assert ref.startswith("#/"), f"{ref} points outside the document"
    node: object = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def test_every_ref_resolves_within_the_document(document: dict[str, Any]) -> None:
    refs = set(_refs(document))
    assert "#/components/schemas/Error" in refs
    for ref in refs:
        _resolve(document, ref)


def test_every_security_requirement_names_a_scheme(document: dict[str, Any]) -> None:
    schemes = set(document["components"]["securitySchemes"])
    for method, path, op in _operations(document):
        for requirement in op.get("security", []):
            assert set(requirement) <= schemes, (method, path, requirement)


def test_every_path_parameter_is_declared(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        named = set(re.findall(r"{([^}]+)}", path))
        for method in METHODS:
            if method not in item:
                continue
            declared = {
                p["name"]: p
                for p in [*item.get("parameters", []), *item[method].get("parameters", [])]
                if p.get("in") == "path"
            }
            assert set(declared) == named, (method, path, sorted(declared), sorted(named))
            assert all(p.get("required") is True for p in declared.values()), (method, path)


def test_the_document_is_json_and_valid_openapi_3_1(document: dict[str, Any]) -> None:
    json.dumps(document, allow_nan=False)
    validate(document)  # the test extra installs the validator: a missing one is a failure


def test_the_new_operations_say_who_may_call_them(document: dict[str, Any]) -> None:
    paths = document["paths"]
    twilio = paths["/api/v1/sms/twilio"]["post"]
    assert twilio["security"] == [{"twilio": []}]
    assert "application/x-www-form-urlencoded" in twilio["requestBody"]["content"]
    assert set(twilio["responses"]) >= {"200", "400", "403", "503"}
    assert paths["/ws"]["get"]["security"] == [] and "101" in paths["/ws"]["get"]["responses"]
    assert "101" in paths["/api/v1/panel/ws"]["get"]["responses"]
    for path, method, role in [
        ("/api/v1/users", "get", "admin"),
        ("/api/v1/users", "post", "admin"),
        ("/api/v1/moderation/log", "get", "viewer"),
        ("/api/v1/moderation/blocklists/{lang}", "put", "operator"),
        ("/api/v1/show.toml", "post", "operator"),
    ]:
        op = paths[path][method]
        assert op["security"] == [{"bearer": []}, {"session": []}], (method, path)
        assert f"({role})" in op["summary"], (method, path)
    toml = paths["/api/v1/show.toml"]
    assert "application/toml" in toml["get"]["responses"]["200"]["content"]
    assert "application/toml" in toml["post"]["requestBody"]["content"]
    assert "204" in paths["/api/v1/moderation/blocked/{sender}"]["delete"]["responses"]
    entries = paths["/api/v1/moderation/blocklists/{lang}"]["put"]["requestBody"]["content"][
        "application/json"
    ]
    assert entries["schema"]["properties"]["entries"]["maxItems"] == 5_000
