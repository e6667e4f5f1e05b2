"""The server's side of projection mapping: the outputs each display reported, its pictures and test patterns.

Mappings themselves are kept in the store's settings table, per display (by the
name in its hello, which an operator's rename does not change) and output, as
the mapping's JSON (``mapping/<display>/<output>``; ``null`` is the identity),
with the outputs the display last reported (``outputs/<display>``), so the panel
can calibrate a display that is off.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from dataclasses import dataclass, field

from projector.core import wire
from projector.core.calibration import DEFAULT_OUTPUT
from projector.core.mapping import (
    OutputMapping,
    is_identity,
    mapping_to_wire,
    parse_mapping,
    validate_mapping,
)
from projector.core.model import ValidationError
from projector.core.protocol import Hello, MappingFrame, OutputInfo, PatternFrame, ProtocolError, Thumbnail
from projector.server.hub import DisplayConnection, DisplayRecord, Hub
from projector.store.writer import StoreWriter

log = logging.getLogger("projector.mapping")


def mapping_key(hello_name: str, output: str) -> str:
    return f"mapping/{hello_name}/{output}"


@dataclass
class _Display:
    """What the server knows of one display's outputs."""

    outputs: dict[str, tuple[int, int]] = field(default_factory=dict)
    pictures: dict[str, tuple[bytes, float]] = field(default_factory=dict)
    patterns: dict[str, str] = field(default_factory=dict)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


class Mappings:
    """The server's side of projection mapping: outputs seen, pictures, patterns; the store keeps mappings."""

    def __init__(self, hub: Hub, store: StoreWriter) -> None:
        self.hub = hub
        self._store = store
        self.displays: dict[str, _Display] = {}
        #: Store deletions of forgotten displays' outputs, kept until done (asyncio holds
        #: only weak references to tasks).
        self._forgetting: set[asyncio.Task[None]] = set()
        hub.on_forget.append(self.forget)

    def forget(self, record: DisplayRecord) -> None:
        """The hub forgot a display: drop its outputs and pictures here and in the store too,
        or a flood of made-up names would leave a row each. They come back with its next
        hello (stored after this deletion: the store runs calls in order); mappings someone
        calibrated stay in the store."""
        hello_name = record.hello_name or record.name
        if self.connections(hello_name):
            return
        self.displays.pop(hello_name, None)
        task = asyncio.get_running_loop().create_task(self._forget_outputs(hello_name))
        self._forgetting.add(task)
        task.add_done_callback(self._forgetting.discard)

    async def _forget_outputs(self, hello_name: str) -> None:
        try:
            await self._store.call(lambda s: s.delete_setting(f"outputs/{hello_name}"))
        except Exception:
            log.exception("could not forget the outputs of display %r", hello_name)

    # --- displays and their outputs ------------------------------------------------------------

    def display(self, hello_name: str) -> _Display:
        found = self.displays.get(hello_name)
        if found is None:
            found = self.displays[hello_name] = _Display()
        return found

    def connections(self, hello_name: str) -> list[DisplayConnection]:
        return [c for c in self.hub.clients if (c.hello_name or c.name) == hello_name and not c.closed]

    async def outputs_of(self, hello_name: str) -> dict[str, tuple[int, int]]:
        """The outputs a display reported (this run, or the last time it was connected)."""
        known = self.displays.get(hello_name)
        if known is not None and known.outputs:
            return known.outputs
        raw = await self._store.call(lambda s: s.get_setting(f"outputs/{hello_name}"))
        if not raw:
            return {}
        try:
            outputs = {str(o["name"]): (int(o["size"][0]), int(o["size"][1])) for o in json.loads(raw)}
        except (ValueError, KeyError, TypeError, IndexError):
            log.warning("ignoring the stored outputs of %r", hello_name)
            return {}
        known = self.display(hello_name)
        if not known.outputs:  # a hello may have come while the store was read
            known.outputs = outputs
        return known.outputs

    async def load(self, hello_name: str, output: str) -> OutputMapping | None:
        """The stored mapping (None: the identity)."""
        raw = await self._store.call(lambda s: s.get_setting(mapping_key(hello_name, output)))
        if not raw or raw == "null":
            return None
        try:
            return parse_mapping(json.loads(raw))
        except (ValueError, ValidationError) as exc:
            log.warning("ignoring the stored mapping of %s/%s: %s", hello_name, output, exc)
            return None

    async def store(self, hello_name: str, output: str, mapping: OutputMapping | None) -> None:
        value = "null" if mapping is None or is_identity(mapping) else json.dumps(mapping_to_wire(mapping))
        await self._store.call(lambda s: s.set_setting(mapping_key(hello_name, output), value))

    def push(self, hello_name: str, frame: MappingFrame | PatternFrame) -> bool:
        """Send a frame to the display if it is connected and speaks mapping; True if sent."""
        sent = False
        for conn in self.connections(hello_name):
            if "mapping" in conn.capabilities:
                self.hub.send(conn, wire.encode(frame))
                sent = True
        return sent

    async def connected(self, conn: DisplayConnection, hello: Hello) -> None:
        """A display said hello: remember its outputs, send it their mappings and patterns.

        Never raises: a store that fails here must not cost the display its connection.
        """
        try:
            await self._connected(conn, hello)
        except Exception:
            log.exception("could not send display %r its mappings", conn.name)

    async def _connected(self, conn: DisplayConnection, hello: Hello) -> None:
        hello_name = conn.hello_name or conn.name
        outputs = hello.outputs or (OutputInfo(DEFAULT_OUTPUT, hello.resolution),)
        known = self.display(hello_name)
        sizes = {o.name: o.size for o in outputs}
        before, known.outputs = known.outputs, sizes  # at once: before the snapshot is even sent
        if sizes != before:
            text = json.dumps([{"name": o.name, "size": list(o.size)} for o in outputs])
            await self._store.call(lambda s: s.set_setting(f"outputs/{hello_name}", text))
        if "mapping" not in conn.capabilities:
            return
        for output in sizes:
            mapping = await self.load(hello_name, output)
            if mapping is not None:
                # Sent even when made for another size: the display refuses it and says why.
                self.hub.send(conn, wire.encode(MappingFrame(output, mapping)))
            if output in known.patterns:
                self.hub.send(conn, wire.encode(PatternFrame(output, known.patterns[output])))

    async def from_display(self, conn: DisplayConnection, frame: object) -> bool:
        """Frames of the mapping protocol from a display; False for any other frame."""
        hello_name = conn.hello_name or conn.name
        if isinstance(frame, Thumbnail) and frame.output is not None:
            try:
                image = base64.b64decode(frame.data, validate=True)
            except ValueError:
                raise ProtocolError("bad_field", "thumbnail.data: not base64") from None
            if not image.startswith(b"\xff\xd8"):
                raise ProtocolError("bad_field", "thumbnail.data: not a JPEG")
            known = self.display(hello_name)
            known.pictures[frame.output] = (image, time.time())
            known.arrived.set()
            return True
        if isinstance(frame, MappingFrame):
            # The display was calibrated from its keyboard: check, keep, and echo it back.
            sizes = await self.outputs_of(hello_name)
            if frame.output not in sizes:
                raise ProtocolError(
                    "bad_field", f"mapping.output: this display has no output {frame.output!r}"
                )
            mapping = frame.mapping
            if mapping is not None:
                try:
                    validate_mapping(mapping, expected_size=sizes[frame.output])
                except ValidationError as exc:
                    raise ProtocolError("bad_field", f"mapping.mapping.{exc.field}: {exc.message}") from None
            try:
                await self.store(hello_name, frame.output, mapping)
            except Exception as exc:
                log.exception("could not store the keyboard calibration of %r", conn.name)
                raise ProtocolError("store_failed", f"the calibration was not stored: {exc}") from None
            log.info("display %r calibrated output %r from its keyboard", conn.name, frame.output)
            self.push(hello_name, MappingFrame(frame.output, mapping))
            return True
        return False
