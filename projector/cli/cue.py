"""``projector cue ...``: show control from a terminal or a script.

Talks to the server's HTTP API with an operator token, like a Stream Deck
button would. ``--server`` and ``--token`` default to ``$PROJECTOR_SERVER``
(else http://127.0.0.1:8080) and ``$PROJECTOR_TOKEN``. GO, back and jump may
say when the cue goes on screen (``--at 21:00`` on the server's clock, or
``--in 0.5``) and for whom (``--target group:facade``): see ``cue_time``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from projector.cli.cue_time import check_target, parse_at, parse_in
from projector.cli.http import CliError, request

ACTIONS = ("go", "back", "hold", "resume", "panic", "blackout", "jump", "list", "load", "export")
#: The actions that may be timed and aimed (the server's ``at``, ``in`` and ``target``).
TIMED = ("go", "back", "jump")


def add_cue_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=ACTIONS, help="what to do")
    parser.add_argument("target", nargs="?", help="jump: the cue id; load: a show TOML file")
    parser.add_argument("--server", default=os.environ.get("PROJECTOR_SERVER", "http://127.0.0.1:8080"))
    parser.add_argument("--token", default=os.environ.get("PROJECTOR_TOKEN", ""), help="operator token")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--on", dest="on", action="store_const", const=True, help="blackout: on")
    group.add_argument("--off", dest="on", action="store_const", const=False, help="blackout: off")
    when = parser.add_mutually_exclusive_group()
    when.add_argument(
        "--at",
        metavar="TIME",
        help="go, back, jump: on screen at HH:MM[:SS] today, or an ISO date and time, in the server's zone",
    )
    when.add_argument(
        "--in", dest="in_", metavar="SECONDS", help="go, back, jump: on screen SECONDS from now"
    )
    parser.add_argument(
        "--target",
        dest="audience",
        metavar="group:NAME|display:NAME",
        help="go, back, jump: only these displays, instead of the cue's own",
    )


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
    note = ""
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
            timing, note = _timing(ns)
            state = _call(ns, "POST", "/api/v1/cue/jump", {"cue": ns.target, **timing})
        elif ns.action == "blackout":
            _timing(ns)  # refuses --at, --in and --target here
            state = _call(ns, "POST", "/api/v1/cue/blackout", {} if ns.on is None else {"on": ns.on})
        else:
            timing, note = _timing(ns)
            state = _call(ns, "POST", f"/api/v1/cue/{ns.action}", timing)
    except CueError as exc:
        print(f"projector cue {ns.action}: {exc}", file=sys.stderr)
        return 1
    print(describe(state))
    if ns.action in TIMED and note:
        print(note)
    return 0


def _timing(ns: argparse.Namespace) -> tuple[dict[str, Any], str]:
    """The body's ``at``/``in``/``target`` for GO, back and jump, and a line saying what was asked."""
    at, in_, audience = getattr(ns, "at", None), getattr(ns, "in_", None), getattr(ns, "audience", None)
    if at is None and in_ is None and audience is None:
        return {}, ""
    if ns.action not in TIMED:
        raise CueError("--at, --in and --target are for go, back and jump")
    body: dict[str, Any] = {}
    said: list[str] = []
    if audience is not None:
        body["target"] = check_target(audience)  # before any call: a typo costs no round trip
    if in_ is not None:
        body["in"] = parse_in(in_)
        said.append(f"on screen in {body['in']:g} s")
    if at is not None:
        now, zone = _server_clock(ns)
        when = parse_at(at, now, zone)
        body["at"] = when.timestamp()
        said.append(f"on screen at {when:%H:%M:%S} server time ({zone or when.tzinfo})")
    if audience is not None:
        said.append(f"for {body['target']}")
    return body, "scheduled: " + ", ".join(said)


def _server_clock(ns: argparse.Namespace) -> tuple[datetime, tzinfo | None]:
    """The server's time now and its zone (``GET /api/v1/schedules``): ``--at`` is read on them."""
    answer = _call(ns, "GET", "/api/v1/schedules")
    try:
        now = datetime.fromisoformat(answer["now"])
    except (KeyError, TypeError, ValueError):
        raise CueError("the server did not say its time; give --in SECONDS instead") from None
    if now.tzinfo is None:
        raise CueError("the server's time has no zone; give --in SECONDS instead")
    try:
        zone: tzinfo | None = ZoneInfo(str(answer.get("timezone", "")))
    except (ZoneInfoNotFoundError, ValueError):
        zone = None  # a zone only named by its abbreviation: the offset of "now" stands for today
    return now, zone
