"""One display's websocket conversation, without the websocket (sans-I/O).

The server's handler owns the socket, the clock, the token store and the hub;
this session owns the rules: what a hello must be, who may run a display, what
each later frame means, when a display has sent so much garbage that the
server gives up on it, and the facts the panel and ``/metrics`` report about
the connection. The handler feeds it text and the time and carries out what it
answers, so every rule here is tested without a server, a socket or a clock.

The conversation::

    receive_hello(data)  -> Hello | Refusal      the first frame
    authorize(...)       -> Refusal | None       what the handler looked up
    receive(data, now)   -> list[Effect]         every later frame
    protocol_error(exc, now) -> list[Effect]     a frame another service refused

``hello_timeout()`` is the refusal for a display that never said hello (the
handler's receive timed out). Same style as ``projector.core.replica``, the
display side's model of the same protocol.
"""

from __future__ import annotations

import base64
import enum
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from projector.core import wire
from projector.core.fleet import parse_display_name
from projector.core.model import ValidationError
from projector.core.protocol import (
    SUPPORTED_VERSIONS,
    ErrorFrame,
    Frame,
    Hello,
    MappingFrame,
    Ping,
    Pong,
    ProtocolError,
    Resync,
    Status,
    Thumbnail,
)

#: A display must say hello this quickly after connecting (seconds; the handler times it).
HELLO_TIMEOUT = 10.0
#: Bad frames a display may send before the server gives up on it: enough to ride out
#: a version skew that makes every status fail, few enough that a broken client cannot
#: keep a socket busy forever.
MAX_PROTOCOL_ERRORS = 50

#: WebSocket close codes (RFC 6455): the peer broke the protocol / broke a policy.
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_POLICY_VIOLATION = 1008

#: The first bytes of every JPEG (start-of-image marker).
JPEG_MAGIC = b"\xff\xd8"


@dataclass(frozen=True, slots=True)
class Refusal:
    """The handshake failed: send ``frame``, then close with ``close_code`` and ``code`` as reason.

    ``bad_frame``: the hello itself did not decode, so it counts as a protocol error in
    ``/metrics`` (a refused token or an old protocol version is a refusal, not garbage).
    """

    code: str
    message: str
    close_code: int
    bad_frame: bool = False

    @property
    def frame(self) -> ErrorFrame:
        return ErrorFrame(self.code, self.message)


# --- effects: what the handler must do after a frame ------------------------------------


@dataclass(frozen=True, slots=True)
class Send:
    """Send this frame to the display (through the hub's queue, like every other frame)."""

    frame: Frame


@dataclass(frozen=True, slots=True)
class BadFrame:
    """The display broke the protocol: count it in ``/metrics`` and log it. A ``Send`` of
    the matching error frame follows, so the display learns what it did wrong."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Close:
    """Give up on the display: close the socket and stop reading."""

    code: int
    reason: str


@dataclass(frozen=True, slots=True)
class StatusReported:
    """A status report arrived at ``at``: keep it for the panel, the fleet and its alerts."""

    status: Status
    at: float


@dataclass(frozen=True, slots=True)
class ThumbnailReceived:
    """A picture of the display's whole canvas arrived at ``at`` (checked: base64 of a JPEG)."""

    jpeg: bytes
    at: float
    #: The preview cue as the display entered it offscreen, not what it shows.
    preview: bool = False


@dataclass(frozen=True, slots=True)
class ResyncWanted:
    """The display saw a gap in the events: send it a fresh snapshot."""


@dataclass(frozen=True, slots=True)
class ForMappings:
    """A frame of the projection-mapping protocol (issue 6): a keyboard calibration or one
    output's picture. The mapping service checks and stores it (it needs the store, so it
    cannot live here); if it raises ``ProtocolError``, hand that to ``protocol_error``."""

    frame: MappingFrame | Thumbnail


Effect = Send | BadFrame | Close | StatusReported | ThumbnailReceived | ResyncWanted | ForMappings


# --- health facts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionHealth:
    """What the server knows of one connection, for the panel and ``/metrics``."""

    #: When the display was let in (None: not yet, or refused).
    connected_at: float | None
    #: Frames received after the hello, good and bad alike.
    frames_received: int
    #: When the last of them arrived (None: none yet).
    last_frame_at: float | None
    #: Protocol errors by code, the hello's included.
    errors: Mapping[str, int]

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


class Phase(enum.Enum):
    AWAITING_HELLO = "awaiting_hello"
    #: A hello decoded; the handler is checking its token and the fleet.
    AUTHORIZING = "authorizing"
    OPEN = "open"
    #: Refused at the handshake or closed for too many errors: nothing more is read.
    CLOSED = "closed"


class SessionStateError(RuntimeError):
    """The handler called the session out of order (a bug in the handler, not the display)."""


class DisplaySession:
    def __init__(self, max_errors: int = MAX_PROTOCOL_ERRORS) -> None:
        self.max_errors = max_errors
        self.phase = Phase.AWAITING_HELLO
        self.hello: Hello | None = None
        self._connected_at: float | None = None
        self._frames = 0
        self._last_frame_at: float | None = None
        self._errors: Counter[str] = Counter()
        #: Bad frames since the hello: the cap counts these.
        self._bad_frames = 0

    # --- the handshake ---------------------------------------------------------------

    def receive_hello(self, data: str | bytes) -> Hello | Refusal:
        """The first frame: a hello of a protocol version we speak, or a refusal."""
        self._expect(Phase.AWAITING_HELLO)
        try:
            frame = wire.decode(data)
        except ProtocolError as exc:
            self._errors[exc.code] += 1
            return self._refuse(exc.code, exc.message, CLOSE_PROTOCOL_ERROR, bad_frame=True)
        if not isinstance(frame, Hello):
            return self._refuse("expected_hello", "the first frame must be a hello", CLOSE_PROTOCOL_ERROR)
        if frame.protocol not in SUPPORTED_VERSIONS:
            supported = ", ".join(str(v) for v in sorted(SUPPORTED_VERSIONS))
            return self._refuse(
                "unsupported_protocol",
                f"protocol {frame.protocol} not supported; server speaks {supported}",
                CLOSE_PROTOCOL_ERROR,
            )
        try:
            # The rules of an operator's rename: a name with '/' or a control character
            # could not be edited on the panel afterwards (nor shown safely in a log line).
            parse_display_name(frame.name, "hello.name")
        except ValidationError as exc:
            self._errors["bad_field"] += 1
            return self._refuse(
                "bad_field", f"{exc.field}: {exc.message}", CLOSE_PROTOCOL_ERROR, bad_frame=True
            )
        self.hello = frame
        self.phase = Phase.AUTHORIZING
        return frame

    def hello_timeout(self, waited: float = HELLO_TIMEOUT) -> Refusal:
        """The display connected and said nothing for ``waited`` seconds (the handler's timeout)."""
        self._expect(Phase.AWAITING_HELLO)
        return self._refuse("hello_timeout", f"send hello within {waited:.0f} s", CLOSE_POLICY_VIOLATION)

    def authorize(
        self, *, token_ok: bool, can_display: bool, role: str, retired: bool, now: float
    ) -> Refusal | None:
        """Let the display in, or say why not, from what the handler looked up.

        ``token_ok``: the hello's token is known and not revoked; ``can_display`` and
        ``role``: what that token may do; ``retired``: an operator retired the display's
        name. Checked in that order, so a stranger learns nothing about the fleet.
        ``now`` becomes ``connected_at``.
        """
        self._expect(Phase.AUTHORIZING)
        if not token_ok:
            return self._refuse("unauthorized", "unknown or revoked display token", CLOSE_POLICY_VIOLATION)
        if not can_display:
            return self._refuse("forbidden", f"a {role!r} token cannot run a display", CLOSE_POLICY_VIOLATION)
        if retired:
            return self._refuse(
                "retired",
                "an operator retired this display; un-retire it on the panel",
                CLOSE_POLICY_VIOLATION,
            )
        self.phase = Phase.OPEN
        self._connected_at = now
        return None

    # --- after the handshake -----------------------------------------------------------

    def receive(self, data: str | bytes, now: float) -> list[Effect]:
        """One frame from an accepted display, received at ``now``: what to do about it."""
        if self.phase is Phase.CLOSED:
            return []  # frames still in flight while the socket closes: nobody listens
        self._expect(Phase.OPEN)
        self._frames += 1
        self._last_frame_at = now
        try:
            return self._handle(wire.decode(data), now)
        except ProtocolError as exc:
            return self.protocol_error(exc, now)

    def protocol_error(self, error: ProtocolError, now: float) -> list[Effect]:
        """A frame broke the protocol (here, or in the service a ``ForMappings`` went to).

        The display hears why and the link survives, up to ``max_errors``: then the
        server closes, since a client that only sends garbage only costs us CPU.
        """
        if self.phase is Phase.CLOSED:
            return []
        self._expect(Phase.OPEN)
        self._errors[error.code] += 1
        effects: list[Effect] = [
            BadFrame(error.code, error.message),
            Send(ErrorFrame(error.code, error.message)),
        ]
        self._bad_frames += 1
        if self._bad_frames >= self.max_errors:
            self.phase = Phase.CLOSED
            effects.append(Close(CLOSE_POLICY_VIOLATION, "too many protocol errors"))
        return effects

    def _handle(self, frame: Frame, now: float) -> list[Effect]:
        match frame:
            case Status():
                return [StatusReported(frame, now)]
            case Ping(ping_id, client_time):
                # When the ping arrived and when the pong left: the display's clock sync
                # needs both. Both are ``now``: the pong is made at once, and the time it
                # waits in the hub's queue is the network's, which the display measures.
                return [Send(Pong(ping_id, client_time, now, received_at=now))]
            case Resync():
                return [ResyncWanted()]
            case Thumbnail(output=None):
                return [ThumbnailReceived(_jpeg(frame.data), now, frame.preview)]
            case Thumbnail() | MappingFrame():
                return [ForMappings(frame)]
            case Hello():
                raise ProtocolError("unexpected", "hello was already received on this connection")
            case _:
                raise ProtocolError(
                    "unexpected_type", f"a display may not send {type(frame).__name__} frames"
                )

    # --- facts ----------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Refused, or closed for too many errors: the handler stops reading."""
        return self.phase is Phase.CLOSED

    @property
    def health(self) -> SessionHealth:
        return SessionHealth(
            connected_at=self._connected_at,
            frames_received=self._frames,
            last_frame_at=self._last_frame_at,
            errors=MappingProxyType(dict(self._errors)),
        )

    # --- helpers ----------------------------------------------------------------------------

    def _refuse(self, code: str, message: str, close_code: int, *, bad_frame: bool = False) -> Refusal:
        self.phase = Phase.CLOSED
        return Refusal(code, message, close_code, bad_frame)

    def _expect(self, phase: Phase) -> None:
        if self.phase is not phase:
            raise SessionStateError(f"session is {self.phase.value}, not {phase.value}")


def _jpeg(data: str) -> bytes:
    """A thumbnail's picture: base64 of a JPEG, or the same errors the server always gave."""
    try:
        image = base64.b64decode(data, validate=True)
    except ValueError:
        raise ProtocolError("bad_field", "thumbnail.data: not base64") from None
    if not image.startswith(JPEG_MAGIC):
        raise ProtocolError("bad_field", "thumbnail.data: not a JPEG")
    return image
