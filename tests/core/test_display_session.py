"""The display's websocket conversation without a websocket: ``projector.core.display_session``.

The codes and messages here are the ones the server's handler has always sent
(see ``tests/server/test_app.py``), so moving the handler onto the session changes
nothing a display can see.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from typing import Any

import pytest

from projector.core import wire
from projector.core.display_session import (
    CLOSE_POLICY_VIOLATION,
    CLOSE_PROTOCOL_ERROR,
    MAX_PROTOCOL_ERRORS,
    BadFrame,
    Close,
    DisplaySession,
    Effect,
    ForMappings,
    Phase,
    Refusal,
    ResyncWanted,
    Send,
    SessionStateError,
    StatusReported,
    ThumbnailReceived,
)
from projector.core.protocol import ErrorFrame, Hello, MappingFrame, Pong, ProtocolError, Status, Thumbnail

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16


def hello_text(**changes: Any) -> str:
    frame: dict[str, Any] = {
        "v": 1,
        "type": "hello",
        "name": "lobby",
        "token": "pj_secret",
        "protocol": 1,
        "resolution": [800, 600],
    }
    frame.update(changes)
    return json.dumps(frame)


def frame_text(**fields: Any) -> str:
    return json.dumps({"v": 1, **fields})


def open_session(now: float = 100.0, **kwargs: Any) -> DisplaySession:
    session = DisplaySession(**kwargs)
    assert isinstance(session.receive_hello(hello_text()), Hello)
    assert session.authorize(token_ok=True, can_display=True, role="display", retired=False, now=now) is None
    return session


# --- the handshake ---------------------------------------------------------------------------


def test_a_good_hello_is_returned_and_the_display_let_in() -> None:
    session = DisplaySession()
    hello = session.receive_hello(hello_text(capabilities=["thumbnail"]))
    assert isinstance(hello, Hello)
    assert (hello.name, hello.resolution, hello.capabilities) == ("lobby", (800, 600), ("thumbnail",))
    phase = session.phase  # read into a local: mypy would keep session.phase narrowed past authorize()
    assert session.hello == hello and phase is Phase.AUTHORIZING
    assert session.authorize(token_ok=True, can_display=True, role="display", retired=False, now=5.0) is None
    assert session.phase is Phase.OPEN and session.health.connected_at == 5.0


def test_a_binary_hello_is_refused() -> None:
    # The handler passes a binary message's bytes as they are: binary is not the protocol.
    refusal = DisplaySession().receive_hello(hello_text().encode())
    assert refusal == Refusal(
        "binary_frame",
        "binary frames are not part of the protocol; send JSON text",
        CLOSE_PROTOCOL_ERROR,
        bad_frame=True,
    )


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        (frame_text(type="status", fps=1.0, frame_p99_ms=1.0, scene="s", rev=0), "expected_hello",
         "the first frame must be a hello"),
        (hello_text(protocol=7), "unsupported_protocol", "protocol 7 not supported; server speaks 1"),
        (hello_text(resolution="big"), "bad_field", None),
        ("{oops", "malformed", None),
        ('{"v": 1, "type": "teleport"}', "unknown_type", None),
        ('{"v": 9, "type": "hello"}', "unsupported_version", None),
        ("x" * (2 * 1024 * 1024), "too_big", None),
        # A hello name follows the operator's rename rules (parse_display_name).
        (hello_text(name="lobby/left"), "bad_field",
         "hello.name: must not contain control characters or '/'"),
        (hello_text(name="lobby\x1b[2J"), "bad_field",
         "hello.name: must not contain control characters or '/'"),
        (hello_text(name="lobby\u202e"), "bad_field",
         "hello.name: must not contain control characters or '/'"),
        (hello_text(name=" lobby"), "bad_field", "hello.name: must not start or end with a space"),
        (hello_text(name="   "), "bad_field", "hello.name: must be a non-empty name"),
    ],
)  # fmt: skip
def test_bad_hellos_are_refused_with_a_protocol_error_close(
    text: str, code: str, message: str | None
) -> None:
    session = DisplaySession()
    refusal = session.receive_hello(text)
    assert isinstance(refusal, Refusal)
    assert (refusal.code, refusal.close_code) == (code, CLOSE_PROTOCOL_ERROR)
    assert refusal.message == message if message is not None else refusal.message
    assert refusal.frame == ErrorFrame(refusal.code, refusal.message)
    assert session.phase is Phase.CLOSED and session.hello is None
    # Garbage counts as a protocol error in /metrics; a well-formed wrong hello does not.
    decoded = code in ("expected_hello", "unsupported_protocol")
    assert refusal.bad_frame is not decoded
    assert dict(session.health.errors) == ({} if decoded else {code: 1})


def test_a_hello_name_of_the_longest_rename_is_let_in_and_one_more_is_refused() -> None:
    # The same limit as a rename (MAX_DISPLAY_NAME), whichever check meets it first.
    assert isinstance(DisplaySession().receive_hello(hello_text(name="é" * 100)), Hello)
    refusal = DisplaySession().receive_hello(hello_text(name="é" * 101))
    assert isinstance(refusal, Refusal) and refusal.code == "bad_field"
    assert refusal.close_code == CLOSE_PROTOCOL_ERROR


@pytest.mark.parametrize(
    ("facts", "code", "message"),
    [
        ({"token_ok": False, "can_display": False, "role": ""}, "unauthorized",
         "unknown or revoked display token"),
        ({"can_display": False, "role": "ingest"}, "forbidden", "a 'ingest' token cannot run a display"),
        ({"retired": True}, "retired", "an operator retired this display; un-retire it on the panel"),
        # A stranger hears "unauthorized" even for a retired name: the fleet is not its business.
        ({"token_ok": False, "can_display": False, "role": "", "retired": True}, "unauthorized",
         "unknown or revoked display token"),
    ],
)  # fmt: skip
def test_authorization_refusals_close_with_a_policy_violation(
    facts: dict[str, Any], code: str, message: str
) -> None:
    session = DisplaySession()
    session.receive_hello(hello_text())
    given: dict[str, Any] = {"token_ok": True, "can_display": True, "role": "display", "retired": False}
    given.update(facts)
    assert session.authorize(**given, now=1.0) == Refusal(code, message, CLOSE_POLICY_VIOLATION)
    assert session.phase is Phase.CLOSED and session.health.connected_at is None


def test_a_silent_display_is_refused_after_the_hello_timeout() -> None:
    session = DisplaySession()
    assert session.hello_timeout() == Refusal(
        "hello_timeout", "send hello within 10 s", CLOSE_POLICY_VIOLATION
    )
    assert session.closed
    # The handler's own timeout (tests shorten it) is the one the display hears about.
    assert DisplaySession().hello_timeout(2.0).message == "send hello within 2 s"


def test_the_handler_calling_out_of_order_is_a_bug_not_a_display_error() -> None:
    session = DisplaySession()
    with pytest.raises(SessionStateError):
        session.receive("{}", 1.0)  # before the hello
    with pytest.raises(SessionStateError):
        session.authorize(token_ok=True, can_display=True, role="display", retired=False, now=1.0)
    session.receive_hello(hello_text())
    with pytest.raises(SessionStateError):
        session.receive_hello(hello_text())  # the second hello goes through receive()
    with pytest.raises(SessionStateError):
        session.receive("{}", 1.0)  # before authorize


# --- frames after the hello ------------------------------------------------------------------


def thumbnail_text(data: str, **more: Any) -> str:
    return frame_text(type="thumbnail", format="jpeg", data=data, **more)


def error_effects(code: str, message: str) -> list[Effect]:
    return [BadFrame(code, message), Send(ErrorFrame(code, message))]


#: Every bad frame the server has handled after a hello: (frame, code, message or None
#: where the message comes from the decoder and is its business).
BAD_FRAMES: list[tuple[str | bytes, str, str | None]] = [
    (b"\x01\x02", "binary_frame", "binary frames are not part of the protocol; send JSON text"),
    ("{oops", "malformed", None),
    ('{"v": 1, "type": "status", "fps": NaN}', "malformed", None),
    ("[" * 100_000, "malformed", None),
    ('{"v": 1, "type": "teleport"}', "unknown_type", None),
    ('{"v": 9, "type": "status"}', "unsupported_version", None),
    ('{"v": 1, "type": "status", "fps": "fast"}', "bad_field", None),
    ("x" * (2 * 1024 * 1024), "too_big", None),
    (
        '{"v": 1, "type": "totals", "rev": 9, "total": 5, "by_channel": {}, "by_case": {}, "by_country": {}}',
        "unexpected_type",
        "a display may not send EventFrame frames",
    ),
    (frame_text(type="error", code="x", message="y"), "unexpected_type", "a display may not send ErrorFrame frames"),
    (frame_text(type="thumbnail_request", width=320), "unexpected_type",
     "a display may not send ThumbnailRequest frames"),
    (hello_text(), "unexpected", "hello was already received on this connection"),
    (thumbnail_text("not base64!"), "bad_field", "thumbnail.data: not base64"),
    (thumbnail_text(base64.b64encode(b"GIF89a").decode()), "bad_field", "thumbnail.data: not a JPEG"),
    (thumbnail_text(""), "bad_field", "thumbnail.data: not a JPEG"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "code", "message"), BAD_FRAMES)
def test_bad_frames_get_the_same_error_as_always_and_the_link_survives(
    data: str | bytes, code: str, message: str | None
) -> None:
    session = open_session()
    effects = session.receive(data, 200.0)
    assert len(effects) == 2, effects
    bad, send = effects
    assert isinstance(bad, BadFrame) and bad.code == code and bad.message
    if message is not None:
        assert bad.message == message
    assert send == Send(ErrorFrame(code, bad.message))
    assert session.phase is Phase.OPEN
    health = session.health
    assert (health.frames_received, health.last_frame_at, dict(health.errors)) == (1, 200.0, {code: 1})


def test_a_status_is_reported_with_its_arrival_time() -> None:
    session = open_session()
    text = frame_text(type="status", fps=59.5, frame_p99_ms=9.1, scene="totals", rev=3, error="font missing")
    assert session.receive(text, 7.5) == [StatusReported(Status(59.5, 9.1, "totals", 3, "font missing"), 7.5)]


def test_a_ping_is_answered_with_when_it_arrived() -> None:
    session = open_session()
    assert session.receive(frame_text(type="ping", id=4, client_time=1.25), 900.5) == [
        Send(Pong(4, 1.25, 900.5, received_at=900.5))
    ]


def test_a_resync_asks_for_a_snapshot() -> None:
    assert open_session().receive(frame_text(type="resync", rev=2), 1.0) == [ResyncWanted()]


def test_a_thumbnail_arrives_as_checked_jpeg_bytes() -> None:
    session = open_session()
    effects = session.receive(thumbnail_text(base64.b64encode(JPEG).decode()), 3.0)
    assert effects == [ThumbnailReceived(JPEG, 3.0)]


@pytest.mark.parametrize(
    "frame",
    [
        MappingFrame("main", None),
        # One output's picture: the mapping service checks it (it knows the outputs).
        Thumbnail("jpeg", "not base64, its checks", output="main"),
    ],
)
def test_frames_of_the_mapping_protocol_go_to_the_mapping_service(frame: MappingFrame | Thumbnail) -> None:
    session = open_session()
    assert session.receive(wire.encode(frame), 1.0) == [ForMappings(frame)]


def test_an_error_from_the_mapping_service_counts_like_any_other() -> None:
    session = open_session(max_errors=2)
    error = ProtocolError("bad_field", "mapping.output: this display has no output 'side'")
    assert session.protocol_error(error, 1.0) == error_effects(error.code, error.message)
    assert session.protocol_error(error, 2.0)[-1] == Close(CLOSE_POLICY_VIOLATION, "too many protocol errors")
    assert session.health.errors == {"bad_field": 2}


# --- the error cap -----------------------------------------------------------------------------


def test_the_fiftieth_bad_frame_closes_the_connection() -> None:
    session = open_session()
    for i in range(MAX_PROTOCOL_ERRORS - 1):
        assert session.receive("{oops", float(i))[-1] != Close(
            CLOSE_POLICY_VIOLATION, "too many protocol errors"
        )
        # Good frames between bad ones do not reset the count: a display that sends
        # garbage now and then is still sending garbage.
        assert session.receive(frame_text(type="resync", rev=0), float(i)) == [ResyncWanted()]
    effects = session.receive("{oops", 99.0)
    assert effects[:2] == error_effects("malformed", effects[0].message)  # type: ignore[union-attr]
    assert effects[2] == Close(CLOSE_POLICY_VIOLATION, "too many protocol errors")
    assert session.closed
    # What still arrives while the socket closes is not read.
    assert session.receive(frame_text(type="resync", rev=0), 100.0) == []
    assert session.protocol_error(ProtocolError("malformed", "late"), 100.0) == []
    health = session.health
    assert health.errors == {"malformed": MAX_PROTOCOL_ERRORS} and health.error_count == MAX_PROTOCOL_ERRORS
    assert health.frames_received == 2 * MAX_PROTOCOL_ERRORS - 1 and health.last_frame_at == 99.0


# --- health ------------------------------------------------------------------------------------


def test_health_facts_start_empty_and_are_a_snapshot() -> None:
    session = open_session(now=10.0)
    before = session.health
    assert (before.connected_at, before.frames_received, before.last_frame_at) == (10.0, 0, None)
    assert before.errors == {} and before.error_count == 0
    session.receive("{oops", 11.0)
    assert before.errors == {}  # the earlier snapshot did not change under its reader
    with pytest.raises(TypeError):
        session.health.errors["malformed"] = 0  # type: ignore[index]


# --- purity -------------------------------------------------------------------------------------


def test_the_session_imports_no_io_library() -> None:
    code = (
        "import sys, projector.core.display_session\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('aiohttp', 'pygame', 'asyncio', 'websockets', 'prometheus_client', 'moderngl'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
