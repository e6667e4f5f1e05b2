"""JSON text framing around the pure protocol core (``projector.core.protocol``)."""

from __future__ import annotations

import json

from projector.core.protocol import MAX_FRAME_BYTES, Frame, ProtocolError, from_wire, to_wire


def encode(frame: Frame) -> str:
    return json.dumps(to_wire(frame), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def decode(text: str | bytes) -> Frame:
    """Parse one text frame. Binary frames, oversize frames and bad JSON raise ``ProtocolError``."""
    if isinstance(text, bytes | bytearray):
        raise ProtocolError("binary_frame", "binary frames are not part of the protocol; send JSON text")
    if len(text) > MAX_FRAME_BYTES:
        raise ProtocolError("too_big", f"frame of {len(text)} characters exceeds {MAX_FRAME_BYTES}")
    try:
        obj = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError("malformed", f"frame is not valid JSON: {exc}") from None
    return from_wire(obj)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")
