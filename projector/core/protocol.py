"""The display wire protocol: typed frames to and from JSON-shaped values.

Like the protocol core of ``websockets``, this module does no I/O and does not
even parse JSON: ``to_wire`` returns plain dicts/lists/str/int/float/None and
``from_wire`` takes them. ``projector.core.wire`` adds the JSON text layer. Every
way a frame can be wrong raises ``ProtocolError`` naming what was wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeVar

from projector.core.brand import brand_to_dict, parse_brand
from projector.core.calibration import MAX_OUTPUTS, parse_output_name, parse_pattern
from projector.core.cues import AnyScene, Show, parse_show, show_to_wire
from projector.core.fleet import MAX_LATENCY_MS, parse_display_name, parse_groups, parse_target
from projector.core.layout_spec import LAYOUT_NAME, MAX_LAYOUT_SOURCE, MAX_LAYOUTS
from projector.core.mapping import OutputMapping, mapping_to_wire, parse_mapping
from projector.core.model import (
    CAMPAIGN_TEXT_FIELDS,
    DEFAULT_LANG,
    MAX_CAMPAIGN_TEXT,
    MAX_EXTRA_PORTRAITS,
    MAX_LANGUAGES,
    MAX_LOCALE_TAG,
    Brand,
    Campaign,
    CampaignText,
    Case,
    CaseStatus,
    CaseText,
    Channel,
    Portrait,
    Totals,
    ValidationError,
    is_country_code,
    parse_focus,
    parse_lang,
    parse_media_hash,
)
from projector.core.safe_area import SafeArea, parse_safe_area, safe_area_to_wire
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

T = TypeVar("T")

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
    #: The display's outputs (projection mapping, issue 6); empty from an older display,
    #: which has one output, ``main``, of its resolution.
    outputs: tuple[OutputInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class Status:
    """What a display reports every few seconds."""

    fps: float
    frame_p99_ms: float
    scene: str
    rev: int
    error: str | None = None
    #: Media the display's show needs: how many are in its cache, how many are not yet
    #: (None: a display that does not cache media, or an older one).
    media_ready: int | None = None
    media_missing: int | None = None
    #: Health (issue 8), all optional so an older display's status still decodes.
    health: Health | None = None
    #: The output stage in use (issue 6): ``software`` or ``opengl``, and why it was chosen.
    output_path: str | None = None
    output_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Health:
    """What a display knows about its own condition, beyond fps and frame time."""

    #: The frame rate it paces to.
    target_fps: float | None = None
    #: Frames since start that took longer than one frame interval (a missed refresh).
    dropped: int | None = None
    #: Resident memory of the display process (MiB), and the hottest thermal zone (°C).
    memory_mb: float | None = None
    temperature_c: float | None = None
    #: The clock estimate (server minus display) and the round trip it rests on.
    clock_offset_ms: float | None = None
    rtt_ms: float | None = None
    #: Connections made since start (1 on the first): a flaky link shows as a climbing count.
    connections: int | None = None


HEALTH_FIELDS = (
    "target_fps", "dropped", "memory_mb", "temperature_c", "clock_offset_ms", "rtt_ms", "connections"
)  # fmt: skip


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
    #: Which output's picture, as the projector gets it (None: the display's first output).
    output: str | None = None
    #: While operators watch (capability ``thumbnail_stream``): a picture at most every
    #: ``every`` seconds, and at once after a cue, a blackout or a pattern, until a request
    #: with ``every`` 0 stops it. None: one picture now (what older servers ask).
    every: float | None = None


@dataclass(frozen=True, slots=True)
class Thumbnail:
    """A display's answer: a JPEG, base64-encoded."""

    format: str
    data: str
    #: The output it shows when the request named one.
    output: str | None = None
    #: The preview cue as this display has already entered it (offscreen), not what it shows.
    preview: bool = False


MAX_THUMBNAIL_WIDTH = 640
#: The slowest stream a server may ask for (seconds between pictures).
MAX_THUMBNAIL_EVERY = 60.0
MAX_THUMBNAIL_CHARS = 400_000


@dataclass(frozen=True, slots=True)
class Snapshot:
    state: ShowState
    server_time: float
    #: Who the receiving display is (name, groups); None from an older server.
    you: You | None = None


@dataclass(frozen=True, slots=True)
class EventFrame:
    """One event. ``first_rev`` is the first rev the frame covers: the hub merges
    a run of adjacent totals updates into the latest, and says where the run
    began, so a replica can still tell a merge from a real gap."""

    event: Event
    first_rev: int


@dataclass(frozen=True, slots=True)
class Pong:
    """The answer to a ping: ``server_time`` is when the server sent it, ``received_at``
    when the ping arrived (None from an older server: taken as ``server_time``)."""

    id: int
    client_time: float
    server_time: float
    received_at: float | None = None


#: Longest ``submit_url`` a ``you`` frame may carry (it ends up in a QR code).
MAX_SUBMIT_URL = 2000


@dataclass(frozen=True, slots=True)
class You:
    """Who the server knows a display as: its name (an operator may rename it), its
    groups, and how much earlier it should switch (a slow projector's latency).

    Also where the display may put words: ``safe_area`` for its whole canvas and
    ``output_safe_areas`` per output (``(name, area)`` pairs sorted by name, so the
    frame stays hashable), both set by an operator; and ``submit_url``, the
    server's public message form (None: the display derives it from its server's
    address). A ``you`` frame is the whole truth: a field left out is "none".
    """

    name: str
    groups: tuple[str, ...] = ()
    latency_ms: float = 0.0
    safe_area: SafeArea | None = None
    output_safe_areas: tuple[tuple[str, SafeArea], ...] = ()
    submit_url: str | None = None
    #: The display's locale as an operator set it (``tr-TR``); None: the display's own choice.
    locale: str | None = None


#: What the server may ask a display to do (``Command.do``).
COMMANDS = frozenset({"identify", "reload"})


@dataclass(frozen=True, slots=True)
class Command:
    """An operator's request to one display: ``identify`` (show the ident card for
    ``seconds``) or ``reload`` (reconnect and enter its scenes afresh)."""

    do: str
    seconds: float = 5.0


@dataclass(frozen=True, slots=True)
class ErrorFrame:
    code: str
    message: str


# Projection mapping (issue 6): calibrations and test patterns per output.


@dataclass(frozen=True, slots=True)
class OutputInfo:
    """One output a display drives, as its hello lists it."""

    name: str
    size: tuple[int, int]


@dataclass(frozen=True, slots=True)
class MappingFrame:
    """Server to display: use ``mapping`` on ``output`` from the next frame (None: the identity).
    Display to server: the display was calibrated from its keyboard; the server checks,
    stores and echoes it."""

    output: str
    mapping: OutputMapping | None


@dataclass(frozen=True, slots=True)
class PatternFrame:
    """Server to display: show a test pattern through ``output``'s mapping (None: the show)."""

    output: str
    pattern: str | None


ClientFrame = Hello | Status | Ping | Resync | Thumbnail | MappingFrame
ServerFrame = Snapshot | EventFrame | Pong | ErrorFrame | ThumbnailRequest | You | Command | PatternFrame
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
    return {
        "name": c.name,
        "goal": c.goal,
        "record": c.record,
        "lang": c.lang,
        "tagline": c.tagline,
        "call_to_action": c.call_to_action,
        "translations": {
            lang: {name: getattr(t, name) for name in CAMPAIGN_TEXT_FIELDS}
            for lang, t in c.translations.items()
        },
        "brand": brand_to_dict(c.brand),
        "layouts": dict(c.layouts),
    }


def case_to_wire(c: Case) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "country": c.country,
        "story": c.story,
        "ask": c.ask,
        "status": c.status.value,
        "portrait": c.portrait,
        "lang": c.lang,
        "translations": {lang: {"story": t.story, "ask": t.ask} for lang, t in c.translations.items()},
        "focus": None if c.focus is None else list(c.focus),
        "portraits": [
            {"media": p.media, "focus": None if p.focus is None else list(p.focus)} for p in c.portraits
        ],
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
        case CueChanged(_, program, preview, at, held, target):
            body = {"type": "cue", "program": program, "preview": preview, "at": at, "held": held}
            if target is not None:
                body["target"] = target
            return body
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
            if frame.outputs:
                body["outputs"] = [{"name": o.name, "size": list(o.size)} for o in frame.outputs]
        case Status():
            body = {
                "type": "status",
                "fps": frame.fps,
                "frame_p99_ms": frame.frame_p99_ms,
                "scene": frame.scene,
                "rev": frame.rev,
                "error": frame.error,
            }
            if frame.media_ready is not None or frame.media_missing is not None:
                body["media_ready"] = frame.media_ready
                body["media_missing"] = frame.media_missing
            if frame.health is not None:
                for name in HEALTH_FIELDS:
                    value = getattr(frame.health, name)
                    if value is not None:
                        body[name] = value
            if frame.output_path is not None:
                body["output_path"] = frame.output_path
                body["output_reason"] = frame.output_reason
        case Ping():
            body = {"type": "ping", "id": frame.id, "client_time": frame.client_time}
        case Resync():
            body = {"type": "resync", "rev": frame.rev}
        case ThumbnailRequest(width, output, every):
            body = {"type": "thumbnail_request", "width": width}
            if output is not None:
                body["output"] = output
            if every is not None:
                body["every"] = every
        case Thumbnail(fmt, data, output, preview):
            body = {"type": "thumbnail", "format": fmt, "data": data}
            if output is not None:
                body["output"] = output
            if preview:
                body["preview"] = True
        case MappingFrame(output, mapping):
            body = {
                "type": "mapping",
                "output": output,
                "mapping": None if mapping is None else mapping_to_wire(mapping),
            }
        case PatternFrame(output, pattern):
            body = {"type": "pattern", "output": output, "pattern": pattern}
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
            if state.targeted:
                body["program_target"] = state.program_target
                body["targeted"] = [list(e) for e in state.targeted]
            if frame.you is not None:
                body["you"] = _you_body(frame.you)
        case You():
            body = {"type": "you", **_you_body(frame)}
        case Command(do, seconds):
            body = {"type": "command", "do": do, "seconds": seconds}
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
            if frame.received_at is not None:
                body["received_at"] = frame.received_at
        case ErrorFrame(code, message):
            body = {"type": "error", "code": code, "message": message}
        case _:  # pragma: no cover
            raise TypeError(f"not a frame: {frame!r}")
    return {"v": PROTOCOL_VERSION, **body}


def _you_body(you: You) -> dict[str, Any]:
    body: dict[str, Any] = {"name": you.name, "groups": list(you.groups), "latency_ms": you.latency_ms}
    # Left out when unset: the frame an operator never touched stays the version-1 shape.
    if you.safe_area is not None:
        body["safe_area"] = safe_area_to_wire(you.safe_area)
    if you.output_safe_areas:
        body["output_safe_areas"] = {name: safe_area_to_wire(a) for name, a in you.output_safe_areas}
    if you.submit_url is not None:
        body["submit_url"] = you.submit_url
    if you.locale is not None:
        body["locale"] = you.locale
    return body


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
    # lang, tagline, call_to_action and translations came with issue 13: optional, so an
    # older server's snapshot still decodes.
    try:
        lang = parse_lang(f.obj.get("lang") or DEFAULT_LANG, f"{f.where}.lang")
    except ValidationError as exc:
        raise ProtocolError("bad_field", f"{exc.field}: {exc.message}") from None
    return Campaign(
        name=f.text("name", max_length=200),
        goal=f.integer("goal"),
        record=f.integer("record"),
        lang=lang,
        tagline=f.opt_str("tagline", max_length=MAX_CAMPAIGN_TEXT) or "",
        call_to_action=f.opt_str("call_to_action", max_length=MAX_CAMPAIGN_TEXT) or "",
        translations=_campaign_translations_from(f),
        brand=_brand_from(f),
        layouts=_layouts_from(f),
    )


def _brand_from(f: _Fields) -> Brand:
    # The brand kit and layouts came with issue 18: absent (an older server), the house look.
    raw = f.obj.get("brand")
    if raw is None:
        return Brand()
    if not isinstance(raw, dict):
        raise ProtocolError("bad_field", f"{f.where}.brand: expected an object")
    try:
        return parse_brand(raw, Brand(), f"{f.where}.brand.")
    except ValidationError as exc:
        raise ProtocolError("bad_field", f"{exc.field}: {exc.message}") from None


def _layouts_from(f: _Fields) -> Mapping[str, str]:
    raw = f.obj.get("layouts")
    if raw is None:
        return MappingProxyType({})
    where = f"{f.where}.layouts"
    if not isinstance(raw, dict) or len(raw) > MAX_LAYOUTS:
        raise ProtocolError("bad_field", f"{where}: expected an object of at most {MAX_LAYOUTS} layouts")
    for name, source in raw.items():
        if not isinstance(name, str) or not LAYOUT_NAME.match(name):
            raise ProtocolError("bad_field", f"{where}: {name!r} is not a layout name")
        if not isinstance(source, str) or len(source) > MAX_LAYOUT_SOURCE:
            raise ProtocolError(
                "bad_field", f"{where}.{name}: expected a layout of at most {MAX_LAYOUT_SOURCE} characters"
            )
    return MappingProxyType(dict(raw))


def _campaign_translations_from(f: _Fields) -> Mapping[str, CampaignText]:
    return _per_language(
        f,
        lambda t: CampaignText(
            *(t.opt_str(name, max_length=MAX_CAMPAIGN_TEXT) or "" for name in CAMPAIGN_TEXT_FIELDS)
        ),
    )


def case_from_wire(f: _Fields) -> Case:
    country = f.text("country", max_length=2)
    if not is_country_code(country):
        raise ProtocolError("bad_field", f"{f.where}.country: unknown country {country!r}")
    try:
        status = CaseStatus(f.text("status", max_length=20))
    except ValueError:
        raise ProtocolError("bad_field", f"{f.where}.status: unknown case status") from None
    # lang, translations, focus and portraits came with issue 7: optional, so an
    # older server's snapshot still decodes.
    try:
        lang = parse_lang(f.obj.get("lang") or DEFAULT_LANG, f"{f.where}.lang")
        focus = None if f.obj.get("focus") is None else parse_focus(f.obj["focus"], f"{f.where}.focus")
    except ValidationError as exc:
        raise ProtocolError("bad_field", f"{exc.field}: {exc.message}") from None
    return Case(
        id=f.text("id", max_length=64),
        name=f.text("name", max_length=200),
        country=country,
        story=f.text("story"),
        ask=f.text("ask"),
        status=status,
        portrait=f.opt_str("portrait", max_length=200),
        lang=lang,
        translations=_translations_from(f),
        focus=focus,
        portraits=_portraits_from(f),
    )


def _per_language(f: _Fields, make: Callable[[_Fields], T]) -> Mapping[str, T]:
    """``translations``: language tag -> an object ``make`` decodes; absent is none."""
    raw = f.obj.get("translations")
    if raw is None:
        return MappingProxyType({})
    if not isinstance(raw, dict) or len(raw) > MAX_LANGUAGES:
        raise ProtocolError("bad_field", f"{f.where}.translations: expected an object of languages")
    texts: dict[str, T] = {}
    for lang, body in raw.items():
        where = f"{f.where}.translations.{lang}"
        if not isinstance(body, dict):
            raise ProtocolError("bad_field", f"{where}: expected an object")
        try:
            tag = parse_lang(lang, where)
        except ValidationError as exc:
            raise ProtocolError("bad_field", f"{exc.field}: {exc.message}") from None
        texts[tag] = make(_Fields(body, where))
    return MappingProxyType(texts)


def _translations_from(f: _Fields) -> Mapping[str, CaseText]:
    return _per_language(f, lambda t: CaseText(story=t.text("story"), ask=t.text("ask")))


def _portraits_from(f: _Fields) -> tuple[Portrait, ...]:
    raw = f.obj.get("portraits")
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_EXTRA_PORTRAITS:
        raise ProtocolError(
            "bad_field", f"{f.where}.portraits: expected a list of at most {MAX_EXTRA_PORTRAITS}"
        )
    portraits = []
    for i, item in enumerate(raw):
        where = f"{f.where}.portraits[{i}]"
        if not isinstance(item, dict):
            raise ProtocolError("bad_field", f"{where}: expected an object")
        try:
            media = parse_media_hash(item.get("media"), f"{where}.media")
            focus = None if item.get("focus") is None else parse_focus(item["focus"], f"{where}.focus")
        except ValidationError as exc:
            raise ProtocolError("bad_field", f"{exc.field}: {exc.message}") from None
        portraits.append(Portrait(media, focus))
    return tuple(portraits)


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


def _target_from(f: _Fields, name: str) -> str:
    """A cue target; absent (an older server) means every display."""
    raw = f.obj.get(name)
    if raw is None:
        return "all"
    try:
        return str(parse_target(raw, f"{f.where}.{name}"))
    except ValidationError as exc:
        raise ProtocolError("bad_field", f"{exc.field}: {exc.message}") from None


def _targeted_from(f: _Fields, show: Show | None) -> dict[str, Any]:
    """``program_target`` and ``targeted`` of a snapshot; derived from ``program`` when absent."""
    program = f.obj.get("program")
    raw = f.obj.get("targeted")
    if raw is None:
        if not isinstance(program, int) or isinstance(program, bool):
            return {}
        target = show.target_of(program) if show is not None and 0 <= program < len(show.cues) else "all"
        return {"program_target": target, "targeted": ((target, program, f.opt_float("program_at")),)}
    if not isinstance(raw, list) or len(raw) > 10_000:
        raise ProtocolError("bad_field", f"{f.where}.targeted: expected a list")
    entries = []
    for i, item in enumerate(raw):
        where = f"{f.where}.targeted[{i}]"
        if not isinstance(item, list) or len(item) != 3:
            raise ProtocolError("bad_field", f"{where}: expected [target, cue index, at]")
        target, index, at = item
        entry = _Fields({"target": target, "index": index, "at": at}, where)
        if show is None or not isinstance(index, int) or not 0 <= index < len(show.cues):
            raise ProtocolError("bad_field", f"{where}: expected a cue index of the loaded show")
        entries.append((_target_from(entry, "target"), entry.integer("index"), entry.opt_float("at")))
    return {
        "program_target": _target_from(f, "program_target") if entries else None,
        "targeted": tuple(entries),
    }


def _you_from(f: _Fields) -> You:
    groups = f.array("groups") if "groups" in f.obj else []
    try:
        name = parse_display_name(f.get("name"), f"{f.where}.name")
        parsed = parse_groups(groups, f"{f.where}.groups")
    except ValidationError as exc:
        raise ProtocolError("bad_field", f"{exc.field}: {exc.message}") from None
    latency = f.number("latency_ms") if "latency_ms" in f.obj else 0.0
    if not 0 <= latency <= MAX_LATENCY_MS:
        raise ProtocolError("bad_field", f"{f.where}.latency_ms: expected 0 to {MAX_LATENCY_MS:g}")
    # A locale tag is checked by the display (it falls back to English with a warning):
    # the core knows no locale data, and a display must not drop the server over one.
    locale = f.opt_str("locale", max_length=MAX_LOCALE_TAG)
    return You(name, parsed, latency, *_safe_areas_from(f), _submit_url_from(f), locale)


def _safe_area_from(raw: object, where: str) -> SafeArea:
    try:
        return parse_safe_area(raw, where)
    except ValidationError as exc:
        raise ProtocolError("bad_field", f"{exc.field}: {exc.message}") from None


def _safe_areas_from(f: _Fields) -> tuple[SafeArea | None, tuple[tuple[str, SafeArea], ...]]:
    """``safe_area`` and ``output_safe_areas`` of a ``you``: absent (an older server) or null is none."""
    raw = f.obj.get("safe_area")
    canvas = None if raw is None else _safe_area_from(raw, f"{f.where}.safe_area")
    per_output = f.obj.get("output_safe_areas")
    if per_output is None:
        return canvas, ()
    if not isinstance(per_output, dict) or len(per_output) > MAX_OUTPUTS:
        raise f._bad("output_safe_areas", f"an object of at most {MAX_OUTPUTS} outputs' safe areas")
    where = f"{f.where}.output_safe_areas"
    pairs = []
    for name in sorted(per_output):
        try:
            output = parse_output_name(name, where)
        except ValidationError as exc:
            raise ProtocolError("bad_field", f"{exc.field}: {exc.message}") from None
        pairs.append((output, _safe_area_from(per_output[name], f"{where}.{output}")))
    return canvas, tuple(pairs)


def _submit_url_from(f: _Fields) -> str | None:
    """The server's public message form: an http(s) URL a QR code can carry, or None."""
    url = f.opt_str("submit_url", max_length=MAX_SUBMIT_URL)
    if url is None:
        return None
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest or not url.isprintable() or " " in url:
        raise f._bad("submit_url", "an http:// or https:// address")
    return url


def _health_from(f: _Fields) -> Health | None:
    """The optional health fields of a status frame; None when it has none."""
    values: dict[str, Any] = {}
    for name in HEALTH_FIELDS:
        if f.obj.get(name) is None:
            continue
        if name in ("dropped", "connections"):
            values[name] = f.integer(name)
        else:
            value = f.number(name)
            if value in (float("inf"), float("-inf")):
                raise ProtocolError("bad_field", f"{f.where}.{name}: expected a finite number")
            values[name] = value
    return Health(**values) if values else None


def _output_from(f: _Fields, name: str) -> str:
    try:
        return parse_output_name(f.get(name), f"{f.where}.{name}")
    except ValidationError as exc:
        raise ProtocolError("bad_field", f"{exc.field}: {exc.message}") from None


def _opt_output(f: _Fields) -> str | None:
    return None if f.obj.get("output") is None else _output_from(f, "output")


def _outputs_from(f: _Fields) -> tuple[OutputInfo, ...]:
    raw = f.array("outputs")
    if not 1 <= len(raw) <= MAX_OUTPUTS:
        raise ProtocolError("bad_field", f"{f.where}.outputs: expected 1 to {MAX_OUTPUTS} outputs")
    outputs: list[OutputInfo] = []
    for i, item in enumerate(raw):
        where = f"{f.where}.outputs[{i}]"
        if not isinstance(item, dict):
            raise ProtocolError("bad_field", f"{where}: expected an object")
        o = _Fields(item, where)
        name = _output_from(o, "name")
        size = o.array("size")
        if len(size) != 2 or not all(
            isinstance(x, int) and not isinstance(x, bool) and 16 <= x <= 16384 for x in size
        ):
            raise ProtocolError("bad_field", f"{where}.size: expected [width, height], 16 to 16384 pixels")
        if any(out.name == name for out in outputs):
            raise ProtocolError("bad_field", f"{where}.name: two outputs are called {name!r}")
        outputs.append(OutputInfo(name, (size[0], size[1])))
    return tuple(outputs)


def _output_path_from(f: _Fields) -> str | None:
    path = f.opt_str("output_path", max_length=20)
    if path not in (None, "software", "opengl"):
        raise ProtocolError("bad_field", f"{f.where}.output_path: expected 'software' or 'opengl'")
    return path


def _mapping_from(f: _Fields) -> OutputMapping | None:
    raw = f.get("mapping")
    if raw is None:
        return None
    try:
        return parse_mapping(raw)
    except ValidationError as exc:
        raise ProtocolError("bad_field", f"{f.where}.mapping.{exc.field}: {exc.message}") from None


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
            target = _target_from(f, "target") if program is not None else None
            return CueChanged(rev, program, preview, f.opt_float("at"), held, target)
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
                outputs=_outputs_from(f) if obj.get("outputs") is not None else (),
            )
        case "status":
            return Status(
                fps=f.number("fps"),
                frame_p99_ms=f.number("frame_p99_ms"),
                scene=f.text("scene", max_length=100),
                rev=f.integer("rev"),
                error=f.opt_str("error", max_length=2000),
                media_ready=None if obj.get("media_ready") is None else f.integer("media_ready"),
                media_missing=None if obj.get("media_missing") is None else f.integer("media_missing"),
                health=_health_from(f),
                output_path=_output_path_from(f),
                output_reason=f.opt_str("output_reason", max_length=500),
            )
        case "ping":
            return Ping(id=f.integer("id"), client_time=f.number("client_time"))
        case "resync":
            return Resync(rev=f.integer("rev"))
        case "thumbnail_request":
            width = f.integer("width", minimum=16)
            if width > MAX_THUMBNAIL_WIDTH:
                raise ProtocolError("bad_field", f"thumbnail_request.width: at most {MAX_THUMBNAIL_WIDTH}")
            every = f.opt_float("every")
            if every is not None and not 0 <= every <= MAX_THUMBNAIL_EVERY:
                raise ProtocolError(
                    "bad_field", f"thumbnail_request.every: 0 to {MAX_THUMBNAIL_EVERY:.0f} seconds"
                )
            return ThumbnailRequest(width, _opt_output(f), every)
        case "thumbnail":
            fmt = f.text("format", max_length=10)
            if fmt != "jpeg":
                raise ProtocolError("bad_field", "thumbnail.format: only 'jpeg' is accepted")
            data = f.text("data", max_length=MAX_THUMBNAIL_CHARS)
            return Thumbnail(fmt, data, _opt_output(f), f.opt_bool("preview"))
        case "mapping":
            return MappingFrame(_output_from(f, "output"), _mapping_from(f))
        case "pattern":
            try:
                pattern = parse_pattern(f.get("pattern"), "pattern.pattern")
            except ValidationError as exc:
                raise ProtocolError("bad_field", f"{exc.field}: {exc.message}") from None
            return PatternFrame(_output_from(f, "output"), pattern)
        case "pong":
            return Pong(
                id=f.integer("id"),
                client_time=f.number("client_time"),
                server_time=f.number("server_time"),
                received_at=f.opt_float("received_at"),
            )
        case "you":
            return _you_from(f)
        case "command":
            do = f.text("do", max_length=20)
            if do not in COMMANDS:
                raise ProtocolError("bad_field", f"command.do: expected one of {', '.join(sorted(COMMANDS))}")
            seconds = f.number("seconds") if "seconds" in obj else 5.0
            if not 0 <= seconds <= 600:
                raise ProtocolError("bad_field", "command.seconds: expected 0 to 600")
            return Command(do, seconds)
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
                **_targeted_from(f, show),
            )
            you = _you_from(f.obj_field("you")) if obj.get("you") is not None else None
            return Snapshot(state, f.number("server_time"), you)
    if kind in _EVENT_TYPES:
        rev = f.integer("rev", minimum=1)
        first = f.integer("from", minimum=1) if "from" in obj else rev
        if first > rev:
            raise ProtocolError("bad_field", f"{kind}.from: must not be after rev")
        return EventFrame(_event_from(kind, f, rev), first)
    raise ProtocolError("unknown_type", f"unknown frame type {kind!r}")
