"""``projector cue ...``: show control from a terminal or a script.

Talks to the server's HTTP API with an operator token, like a Stream Deck
button would. ``--server`` and ``--token`` default to ``$PROJECTOR_SERVER``
(else http://127.0.0.1:8080) and ``$PROJECTOR_TOKEN``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from projector.cli.http import CliError, request

ACTIONS = ("go", "back", "hold", "resume", "panic", "blackout", "jump", "list", "load", "export")


def add_cue_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=ACTIONS, help="what to do")
    parser.add_argument("target", nargs="?", help="jump: the cue id; load: a show TOML file")
    parser.add_argument("--server", default=os.environ.get("PROJECTOR_SERVER", "http://127.0.0.1:8080"))
    parser.add_argument("--token", default=os.environ.get("PROJECTOR_TOKEN", ""), help="operator token")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--on", dest="on", action="store_const", const=True, help="blackout: on")
    group.add_argument("--off", dest="on", action="store_const", const=False, help="blackout: off")


CueError = CliError  # the name callers and tests know


def _request(
    ns: argparse.Namespace, method: str, path: str, body: bytes | None, ctype: str
) -> tuple[str, bytes]:
    return request(ns.server, ns.token, method, path, body, ctype)


def _call(ns: argparse.Namespace, method: str, path: str, payload: object = None) -> Any:
    body = None if payload is None else json.dumps(payload).encode()
    return json.loads(_request(ns, method, path, body, "application/json")[1])


def describe(state: dict[str, Any]) -> str:
    show = state.get("show")
    if not show:
        return "no show loaded"
    lines = [f"{show['name']} ({show['id']}){'  loop' if show.get('loop') else ''}"]
    for i, cue in enumerate(show["cues"]):
        mark = "ON AIR" if i == state.get("program") else ("NEXT" if i == state.get("preview") else "")
        hold = f" hold {cue['hold']:g}s" if cue.get("hold") is not None else ""
        lines.append(
            f"{mark:>6} {i + 1:>3}. {cue['id']:<12} {cue['scene']:<10} {cue['transition']} "
            f"{cue['duration']:g}s{hold}  {cue.get('label', '')}".rstrip()
        )
    if state.get("blackout"):
        lines.append("BLACKOUT is on")
    if state.get("held"):
        lines.append("HELD: auto-follow paused")
    return "\n".join(lines)


def run_cue(ns: argparse.Namespace) -> int:
    try:
        state: Any
        if ns.action == "list":
            state = _call(ns, "GET", "/api/v1/show")
        elif ns.action == "export":
            print(_request(ns, "GET", "/api/v1/show.toml", None, "application/json")[1].decode(), end="")
            return 0
        elif ns.action == "load":
            if not ns.target:
                raise CueError("load needs a show file: projector cue load show.toml")
            try:
                data = Path(ns.target).read_bytes()
            except OSError as exc:
                raise CueError(f"cannot read {ns.target}: {exc.strerror}") from None
            state = json.loads(_request(ns, "POST", "/api/v1/show.toml", data, "application/toml")[1])
        elif ns.action == "jump":
            if not ns.target:
                raise CueError("jump needs a cue id: projector cue jump CUE")
            state = _call(ns, "POST", "/api/v1/cue/jump", {"cue": ns.target})
        elif ns.action == "blackout":
            state = _call(ns, "POST", "/api/v1/cue/blackout", {} if ns.on is None else {"on": ns.on})
        else:
            state = _call(ns, "POST", f"/api/v1/cue/{ns.action}", {})
    except CueError as exc:
        print(f"projector cue {ns.action}: {exc}", file=sys.stderr)
        return 1
    print(describe(state))
    return 0
