"""The display wire protocol: typed frames to and from JSON-shaped values.

Like the protocol core of ``websockets``, this module does no I/O and does not
even parse JSON: ``to_wire`` returns plain dicts/lists/str/int/float/None and
``from_wire`` takes them. ``projector.wire`` adds the JSON text layer. Every
way a frame can be wrong raises ``ProtocolError`` naming what was wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from projector.core.cues import AnyScene, Show, parse_show, show_to_wire
from projector.core.model import (
    Campaign,
    Case,
    CaseStatus,
    Channel,
    Totals,
    ValidationError,
    is_country_code,
)
from projector.core.state import (
    BlackoutChanged,
    CampaignChanged,
    CaseRemoved,
    CaseUpdated,
    CueChanged,
    Event,
    Message,
    MessageRetracted,
    MessageShown,
    RecordBeaten,
    ShowLoaded,
    ShowState,
    TotalsChanged,
)

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})
#: Largest text frame either side accepts. A snapshot with a full wall and
#: dozens of cases is tens of KB; a megabyte is garbage or an attack.
MAX_FRAME_BYTES = 1 << 20


class ProtocolError(Exception):
    """A frame broke the protocol. ``code`` is machine-readable, for the error frame."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --- frames -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hello:
    name: str
    token: str
    protocol: int
    resolution: tuple[int, int]
    capabilities: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Status:
    """What a display reports every few seconds."""

    fps: float
    frame_p99_ms: float
    scene: str
    rev: int
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Ping:
    """A clock probe; the server answers ``Pong`` with its own time."""

    id: int
    client_time: float


@dataclass(frozen=True, slots=True)
class Resync:
    """A display that saw a gap asks for a fresh snapshot."""

    rev: int


@dataclass(frozen=True, slots=True)
class ThumbnailRequest:
    """The server asks a display for a small picture of what it shows now."""

    width: int


@dataclass(frozen=True, slots=True)
class Thumbnail:
    """A display's answer: a JPEG, base64-encoded."""

    format: str
    data: str


MAX_THUMBNAIL_WIDTH = 640
MAX_THUMBNAIL_CHARS = 400_000


@dataclass(frozen=True, slots=True)
class Snapshot:
    state: ShowState
    server_time: float


@dataclass(frozen=True, slots=True)
class EventFrame:
    """One event. ``first_rev`` is the first rev the frame covers: the hub merges
    a run of adjacent totals updates into the latest, and says where the run
    began, so a replica can still tell a merge from a real gap."""

    event: Event
    first_rev: int


@dataclass(frozen=True, slots=True)
class Pong:
    id: int
    client_time: float
    server_time: float


@dataclass(frozen=True, slots=True)
class ErrorFrame:
    code: str
    message: str


ClientFrame = Hello | Status | Ping | Resync | Thumbnail
ServerFrame = Snapshot | EventFrame | Pong | ErrorFrame | ThumbnailRequest
Frame = ClientFrame | ServerFrame


def event_frame(event: Event) -> EventFrame:
    return EventFrame(event, event.rev)


# --- encoding -----------------------------------------------------------------------


def _totals(t: Totals) -> dict[str, Any]:
    return {
        "total": t.total,
        "by_channel": dict(t.by_channel),
        "by_case": dict(t.by_case),
        "by_country": dict(t.by_country),
    }


def campaign_to_wire(c: Campaign) -> dict[str, Any]:
    return {"name": c.name, "goal": c.goal, "record": c.record}


def case_to_wire(c: Case) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "country": c.country,
        "story": c.story,
        "ask": c.ask,
        "status": c.status.value,
        "portrait": c.portrait,
    }


def message_to_wire(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "text": m.text,
        "name": m.name,
        "country": m.country,
        "lang": m.lang,
        "shown_at": m.shown_at,
        "pinned": m.pinned,
    }


def totals_to_wire(t: Totals) -> dict[str, Any]:
    return _totals(t)


def _event_body(event: Event) -> dict[str, Any]:
    match event:
        case TotalsChanged(_, totals):
            return {"type": "totals", **_totals(totals)}
        case RecordBeaten(_, at):
            return {"type": "record_beaten", "at": at}
        case CampaignChanged(_, campaign):
            return {"type": "campaign", "campaign": campaign_to_wire(campaign)}
        case CaseUpdated(_, case):
            return {"type": "case", "case": case_to_wire(case)}
        case CaseRemoved(_, case_id):
            return {"type": "case_removed", "id": case_id}
        case MessageShown(_, message):
            return {"type": "message_shown", "message": message_to_wire(message)}
        case MessageRetracted(_, message_id):
            return {"type": "message_retracted", "id": message_id}
        case ShowLoaded(_, show):
            return {"type": "show", "show": None if show is None else show_to_wire(show)}
        case CueChanged(_, program, preview, at, held):
            return {"type": "cue", "program": program, "preview": preview, "at": at, "held": held}
        case BlackoutChanged(_, on):
            return {"type": "blackout", "on": on}
    raise TypeError(f"not an event: {event!r}")  # pragma: no cover


def to_wire(frame: Frame) -> dict[str, Any]:
    """Encode a frame as a JSON-shaped dict with the envelope ``{"v", "type", ...}``."""
    body: dict[str, Any]
    match frame:
        case Hello():
            body = {
                "type": "hello",
                "name": frame.name,
                "token": frame.token,
                "protocol": frame.protocol,
                "resolution": list(frame.resolution),
                "capabilities": list(frame.capabilities),
            }
        case Status():
            body = {
                "type": "status",
                "fps": frame.fps,
                "frame_p99_ms": frame.frame_p99_ms,
                "scene": frame.scene,
                "rev": frame.rev,
                "error": frame.error,
            }
        case Ping():
            body = {"type": "ping", "id": frame.id, "client_time": frame.client_time}
        case Resync():
            body = {"type": "resync", "rev": frame.rev}
        case ThumbnailRequest(width):
            body = {"type": "thumbnail_request", "width": width}
        case Thumbnail(fmt, data):
            body = {"type": "thumbnail", "format": fmt, "data": data}
        case Snapshot(state, server_time):
            body = {
                "type": "snapshot",
                "rev": state.rev,
                "server_time": server_time,
                "campaign": campaign_to_wire(state.campaign),
                "totals": _totals(state.totals),
                "record_beaten_at": state.record_beaten_at,
                "cases": [case_to_wire(c) for c in state.cases.values()],
                "wall": [message_to_wire(m) for m in state.wall],
                "show": None if state.show is None else show_to_wire(state.show),
                "program": state.program,
                "preview": state.preview,
                "program_at": state.program_at,
                "held": state.held,
                "blackout": state.blackout,
            }
        case EventFrame(event, first_rev):
            body = _event_body(event)
            body["rev"] = event.rev
            if first_rev != event.rev:
                body["from"] = first_rev
        case Pong():
            body = {
                "type": "pong",
                "id": frame.id,
                "client_time": frame.client_time,
                "server_time": frame.server_time,
            }
        case ErrorFrame(code, message):
            body = {"type": "error", "code": code, "message": message}
        case _:  # pragma: no cover
            raise TypeError(f"not a frame: {frame!r}")
    return {"v": PROTOCOL_VERSION, **body}


# --- decoding -----------------------------------------------------------------------


class _Fields:
    """Typed access to a frame's fields; every failure names the field."""

    def __init__(self, obj: Mapping[str, Any], where: str) -> None:
        self.obj = obj
        self.where = where

    def _bad(self, name: str, expected: str) -> ProtocolError:
        return ProtocolError("bad_field", f"{self.where}.{name}: expected {expected}")

    def get(self, name: str) -> Any:
        if name not in self.obj:
            raise ProtocolError("missing_field", f"{self.where}: missing field {name!r}")
        return self.obj[name]

    def integer(self, name: str, *, minimum: int = 0) -> int:
        value = self.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self._bad(name, f"an integer >= {minimum}")
        return value

    def number(self, name: str) -> float:
        value = self.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise self._bad(name, "a number")
        return float(value)

    def opt_float(self, name: str) -> float | None:
        return None if self.obj.get(name) is None else self.number(name)

    def text(self, name: str, *, max_length: int = 10_000) -> str:
        value = self.get(name)
        if not isinstance(value, str) or len(value) > max_length:
            raise self._bad(name, f"a string of at most {max_length} characters")
        return value

    def opt_str(self, name: str, *, max_length: int = 10_000) -> str | None:
        return None if self.obj.get(name) is None else self.text(name, max_length=max_length)

    def opt_bool(self, name: str) -> bool:
        """A flag that older peers leave out: absent or null is false."""
        value = self.obj.get(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self._bad(name, "true or false")
        return value

    def obj_field(self, name: str) -> _Fields:
        value = self.get(name)
        if not isinstance(value, dict):
            raise self._bad(name, "an object")
        return _Fields(value, f"{self.where}.{name}")

    def array(self, name: str) -> list[Any]:
        value = self.get(name)
        if not isinstance(value, list):
            raise self._bad(name, "a list")
        return value

    def counts(self, name: str) -> dict[str, int]:
        value = self.get(name)
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
            for k, v in value.items()
        ):
            raise self._bad(name, "an object of non-negative integer counts")
        return value


def _totals_from(f: _Fields) -> Totals:
    by_channel = f.counts("by_channel")
    for key in by_channel:
        try:
            Channel.parse(key)
        except ValidationError as exc:
            raise ProtocolError("bad_field", f"{f.where}.by_channel: {exc.message}") from None
    return Totals.of(f.integer("total"), by_channel, f.counts("by_case"), f.counts("by_country"))


def campaign_from_wire(f: _Fields) -> Campaign:
    return Campaign(name=f.text("name", max_length=200), goal=f.integer("goal"), record=f.integer("record"))


def case_from_wire(f: _Fields) -> Case:
    country = f.text("country", max_length=2)
    if not is_country_code(country):
        raise ProtocolError("bad_field", f"{f.where}.country: unknown country {country!r}")
    try:
        status = CaseStatus(f.text("status", max_length=20))
    except ValueError:
        raise ProtocolError("bad_field", f"{f.where}.status: unknown case status") from None
    return Case(
        id=f.text("id", max_length=64),
        name=f.text("name", max_length=200),
        country=country,
        story=f.text("story"),
        ask=f.text("ask"),
        status=status,
        portrait=f.opt_str("portrait", max_length=200),
    )


def message_from_wire(f: _Fields) -> Message:
    return Message(
        id=f.text("id", max_length=128),
        text=f.text("text"),
        name=f.text("name", max_length=200),
        country=f.opt_str("country", max_length=2),
        lang=f.opt_str("lang", max_length=35),
        shown_at=f.number("shown_at"),
        pinned=f.opt_bool("pinned"),
    )


def _show_from(f: _Fields, name: str) -> Show | None:
    raw = f.get(name)
    if raw is None:
        return None
    try:
        return parse_show(raw, AnyScene())
    except ValidationError as exc:
        raise ProtocolError("bad_field", f"{f.where}.{name}.{exc.field}: {exc.message}") from None


def _cue_index(f: _Fields, name: str, show: Show | None) -> int | None:
    value = f.obj.get(name)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or show is None
        or not 0 <= value < len(show.cues)
    ):
        raise ProtocolError("bad_field", f"{f.where}.{name}: expected a cue index of the loaded show")
    return value


def _event_from(kind: str, f: _Fields, rev: int) -> Event:
    match kind:
        case "totals":
            return TotalsChanged(rev, _totals_from(f))
        case "record_beaten":
            return RecordBeaten(rev, f.opt_float("at"))
        case "campaign":
            return CampaignChanged(rev, campaign_from_wire(f.obj_field("campaign")))
        case "case":
            return CaseUpdated(rev, case_from_wire(f.obj_field("case")))
        case "case_removed":
            return CaseRemoved(rev, f.text("id", max_length=64))
        case "message_shown":
            return MessageShown(rev, message_from_wire(f.obj_field("message")))
        case "message_retracted":
            return MessageRetracted(rev, f.text("id", max_length=128))
        case "show":
            return ShowLoaded(rev, _show_from(f, "show"))
        case "cue":
            # Indexes are checked against the show when applied (the replica has it).
            program = f.obj.get("program")
            preview = f.obj.get("preview")
            for name, value in (("program", program), ("preview", preview)):
                if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                    raise ProtocolError("bad_field", f"cue.{name}: expected a cue index or null")
            held = f.obj.get("held", False)
            if not isinstance(held, bool):
                raise ProtocolError("bad_field", "cue.held: expected true or false")
            return CueChanged(rev, program, preview, f.opt_float("at"), held)
        case "blackout":
            on = f.get("on")
            if not isinstance(on, bool):
                raise ProtocolError("bad_field", "blackout.on: expected true or false")
            return BlackoutChanged(rev, on)
    raise ProtocolError("unknown_type", f"unknown frame type {kind!r}")


_EVENT_TYPES = frozenset(
    {
        "totals",
        "record_beaten",
        "campaign",
        "case",
        "case_removed",
        "message_shown",
        "message_retracted",
        "show",
        "cue",
        "blackout",
    }
)


def from_wire(obj: object) -> Frame:
    """Decode one JSON-shaped value into a frame, or raise ``ProtocolError``."""
    if not isinstance(obj, dict):
        raise ProtocolError("malformed", "a frame must be a JSON object")
    version = obj.get("v")
    if version not in SUPPORTED_VERSIONS:
        raise ProtocolError("unsupported_version", f"frame version {version!r} is not supported (v=1)")
    kind = obj.get("type")
    if not isinstance(kind, str):
        raise ProtocolError("missing_field", "frame: missing field 'type'")
    f = _Fields(obj, kind)
    match kind:
        case "hello":
            res = f.array("resolution")
            if len(res) != 2 or not all(
                isinstance(x, int) and not isinstance(x, bool) and 0 < x <= 16384 for x in res
            ):
                raise ProtocolError("bad_field", "hello.resolution: expected [width, height] in pixels")
            caps = f.array("capabilities") if "capabilities" in obj else []
            if not all(isinstance(c, str) for c in caps):
                raise ProtocolError("bad_field", "hello.capabilities: expected a list of strings")
            return Hello(
                name=f.text("name", max_length=100),
                token=f.text("token", max_length=200),
                protocol=f.integer("protocol"),
                resolution=(res[0], res[1]),
                capabilities=tuple(caps),
            )
        case "status":
            return Status(
                fps=f.number("fps"),
                frame_p99_ms=f.number("frame_p99_ms"),
                scene=f.text("scene", max_length=100),
                rev=f.integer("rev"),
                error=f.opt_str("error", max_length=2000),
            )
        case "ping":
            return Ping(id=f.integer("id"), client_time=f.number("client_time"))
        case "resync":
            return Resync(rev=f.integer("rev"))
        case "thumbnail_request":
            width = f.integer("width", minimum=16)
            if width > MAX_THUMBNAIL_WIDTH:
                raise ProtocolError("bad_field", f"thumbnail_request.width: at most {MAX_THUMBNAIL_WIDTH}")
            return ThumbnailRequest(width)
        case "thumbnail":
            fmt = f.text("format", max_length=10)
            if fmt != "jpeg":
                raise ProtocolError("bad_field", "thumbnail.format: only 'jpeg' is accepted")
            return Thumbnail(fmt, f.text("data", max_length=MAX_THUMBNAIL_CHARS))
        case "pong":
            return Pong(
                id=f.integer("id"), client_time=f.number("client_time"), server_time=f.number("server_time")
            )
        case "error":
            return ErrorFrame(code=f.text("code", max_length=100), message=f.text("message"))
        case "snapshot":
            cases = {}
            for i, raw in enumerate(f.array("cases")):
                if not isinstance(raw, dict):
                    raise ProtocolError("bad_field", f"snapshot.cases[{i}]: expected an object")
                case = case_from_wire(_Fields(raw, f"snapshot.cases[{i}]"))
                cases[case.id] = case
            wall = []
            for i, raw in enumerate(f.array("wall")):
                if not isinstance(raw, dict):
                    raise ProtocolError("bad_field", f"snapshot.wall[{i}]: expected an object")
                wall.append(message_from_wire(_Fields(raw, f"snapshot.wall[{i}]")))
            show = _show_from(f, "show") if "show" in obj else None
            held = obj.get("held", False)
            blackout = obj.get("blackout", False)
            if not isinstance(held, bool) or not isinstance(blackout, bool):
                raise ProtocolError("bad_field", "snapshot.held/blackout: expected true or false")
            state = ShowState(
                show=show,
                program=_cue_index(f, "program", show),
                preview=_cue_index(f, "preview", show),
                program_at=f.opt_float("program_at"),
                held=held,
                blackout=blackout,
                rev=f.integer("rev"),
                campaign=campaign_from_wire(f.obj_field("campaign")),
                totals=_totals_from(f.obj_field("totals")),
                record_beaten_at=f.opt_float("record_beaten_at"),
                cases=MappingProxyType(cases),
                wall=tuple(wall),
            )
            return Snapshot(state, f.number("server_time"))
    if kind in _EVENT_TYPES:
        rev = f.integer("rev", minimum=1)
        first = f.integer("from", minimum=1) if "from" in obj else rev
        if first > rev:
            raise ProtocolError("bad_field", f"{kind}.from: must not be after rev")
        return EventFrame(_event_from(kind, f, rev), first)
    raise ProtocolError("unknown_type", f"unknown frame type {kind!r}")
