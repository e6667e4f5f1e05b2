"""Pictures of what is on air, for the operator panel, without stalling the frame loop.

While a panel watches, the server asks for a stream (``ThumbnailRequest.every``):
a small JPEG at most every ``every`` seconds, and on the next frame after the
picture changed for a reason an operator cares about (a cue, a blackout, a test
pattern), so the panel never shows the totals after a blackout. When no panel
watches the server stops the stream and only one-off requests remain.

The split, so the render thread pays well under a millisecond:

- the render thread (``ThumbnailSchedule`` says when) takes a nearest-neighbour
  sample of the frame at twice the thumbnail's size, a fresh small surface;
- a worker thread (``ThumbnailWorker``) averages it down 2x (a box filter: the
  sample's aliasing mostly goes), hashes it, and encodes the JPEG with Pillow,
  which lets go of the GIL while it works; ``PictureSender`` drops a picture that
  has not changed since the last one sent, or that the byte budget cannot take.

The worker keeps only the newest picture of each kind (program, preview): a slow
encode loses old pictures, never queues them.
"""

from __future__ import annotations

import base64
import io
import logging
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import pygame
from PIL import Image

from projector.core.byte_budget import ByteBudget
from projector.core.protocol import Thumbnail

log = logging.getLogger(__name__)

#: What a display sends at most, program and preview pictures together (bytes per second, and
#: the burst a quick run of cues may use). A 320 px picture is 3 to 15 KB, so twice a second
#: fits with room for the pictures a cue or a blackout adds. The server holds each display to
#: a looser cap of its own (``projector.server.thumbnail_cap``), so an honest display never meets it.
MAX_BYTES_PER_SECOND = 48_000
BURST_BYTES = 96_000
JPEG_QUALITY = 60
#: The preview cue's picture is drawn offscreen (a whole extra scene draw): when it changes, and
#: this often while a panel watches, for live values in it.
PREVIEW_EVERY = 5.0


@dataclass(frozen=True, slots=True)
class Shot:
    """A picture to take this frame: how wide, of which output, and whether it goes even unchanged."""

    width: int
    output: str | None
    force: bool


@dataclass(slots=True)
class ThumbnailSchedule:
    """When the render thread takes a picture. Pure: every time is passed in."""

    #: Seconds between stream pictures (None: no stream), and the stream's width and output.
    every: float | None = None
    width: int = 320
    output: str | None = None
    #: A one-off request (width, output) waits for the next frame; it never changes the stream
    #: (the Map view asks for one output's picture while the panel's stream goes on).
    once: tuple[int, str | None] | None = None
    #: Something an operator cares about changed: the next frame's picture goes at once.
    urgent: bool = False
    next_at: float = 0.0
    preview_stale: bool = False
    preview_at: float = 0.0

    @property
    def streaming(self) -> bool:
        return self.every is not None

    def request(self, width: int, output: str | None, every: float | None) -> None:
        """The server's ``ThumbnailRequest``: one picture (``every`` None), a stream, or stop (0)."""
        if every is None:
            self.once = (width, output)
        elif every <= 0:
            self.stop()
        else:
            self.width, self.output = width, output
            self.every, self.urgent, self.preview_stale = every, True, True

    def stop(self) -> None:
        """No panel watches (or the link dropped: a new connection asks afresh)."""
        self.every, self.urgent, self.preview_stale = None, False, False

    def changed(self) -> None:
        """A cue, a blackout or a pattern: the next frame's picture goes, whatever the cadence."""
        if self.streaming:
            self.urgent = True

    def preview_changed(self) -> None:
        if self.streaming:
            self.preview_stale = True

    def program_due(self, now: float) -> Shot | None:
        """The picture this frame takes, if any (it counts as taken); a one-off goes first."""
        if self.once is not None:
            (width, output), self.once = self.once, None
            return Shot(width, output, True)
        if self.every is not None and (self.urgent or now >= self.next_at):
            self.urgent, self.next_at = False, now + self.every
            return Shot(self.width, self.output, False)
        return None

    def preview_due(self, now: float) -> bool:
        due = self.streaming and (self.preview_stale or now >= self.preview_at)
        if due:
            self.preview_stale, self.preview_at = False, now + PREVIEW_EVERY
        return due


def sample(surface: pygame.Surface, width: int) -> pygame.Surface:
    """The render thread's part: nearest-neighbour, at twice the thumbnail's size (a fraction of a ms)."""
    w, h = surface.get_size()
    height = max(1, round(h * width / w))
    return pygame.transform.scale(surface, (min(w, 2 * width), min(h, 2 * height)))


@dataclass(frozen=True, slots=True)
class Picture:
    """One sample on its way to the worker."""

    surface: pygame.Surface
    width: int
    output: str | None = None
    preview: bool = False
    #: A one-off request: sent even when it has not changed.
    force: bool = False


def _image(surface: pygame.Surface) -> Image.Image:
    """The sample as a Pillow image: a copy of its buffer when the format allows, no per-pixel loop."""
    size = surface.get_size()
    if surface.get_bytesize() == 4 and surface.get_masks()[:3] == (0xFF0000, 0xFF00, 0xFF):
        raw = surface.get_buffer().raw
        return Image.frombuffer("RGB", size, raw, "raw", "BGRX", surface.get_pitch(), 1)
    return Image.frombytes("RGB", size, pygame.image.tobytes(surface, "RGB"))


def encode(picture: Picture, quality: int = JPEG_QUALITY) -> tuple[int, bytes]:
    """(a hash of the pixels, the JPEG) of a sample, ``picture.width`` wide."""
    image = _image(picture.surface)
    w, h = image.size
    height = max(1, round(h * picture.width / w))
    small = image.resize((picture.width, height), Image.Resampling.BOX)
    digest = zlib.crc32(small.tobytes())
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=quality)
    return digest, buffer.getvalue()


class PictureSender:
    """The worker's decisions: skip an unchanged picture, keep to the byte budget, send."""

    def __init__(
        self,
        send: Callable[[Thumbnail], object],
        clock: Callable[[], float],
        budget: ByteBudget | None = None,
    ) -> None:
        self.send = send
        self.clock = clock
        self.budget = budget or ByteBudget(MAX_BYTES_PER_SECOND, BURST_BYTES)
        self._last: dict[tuple[str | None, bool], int] = {}
        self.sent = self.unchanged = self.over_budget = 0
        self.bytes_sent = 0

    def forget(self) -> None:
        """A new stream (a new connection, a new panel): its first picture goes even if unchanged."""
        self._last.clear()

    def offer(self, picture: Picture) -> str:
        """Encode and send ``picture``; says what happened ("sent", "unchanged", "over budget")."""
        digest, jpeg = encode(picture)
        key = (picture.output, picture.preview)
        if not picture.force and self._last.get(key) == digest:
            self.unchanged += 1
            return "unchanged"
        data = base64.b64encode(jpeg).decode("ascii")
        if not self.budget.take(len(data), self.clock()):
            # Not remembered: the next picture of this kind goes when the budget allows.
            self.over_budget += 1
            return "over budget"
        self._last[key] = digest
        self.send(Thumbnail("jpeg", data, picture.output, picture.preview))
        self.sent += 1
        self.bytes_sent += len(data)
        return "sent"


class ThumbnailWorker:
    """A daemon thread that encodes and sends the newest picture of each kind."""

    def __init__(self, sender: PictureSender) -> None:
        self.sender = sender
        self._pending: dict[bool, Picture] = {}
        self._wake = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="thumbnails", daemon=True)
        self._thread.start()

    def put(self, picture: Picture) -> None:
        """Hand a sample over (never blocks for long); an older one not yet encoded is replaced."""
        with self._wake:
            self._pending[picture.preview] = picture
            self._wake.notify()

    def forget(self) -> None:
        with self._wake:
            self._pending.clear()
            self.sender.forget()

    def _run(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._pending or self._stopped)
                if self._stopped:
                    return
                _, picture = self._pending.popitem()
            try:
                self.sender.offer(picture)
            except Exception:
                log.exception("could not encode or send a thumbnail")

    def close(self, timeout: float = 2.0) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify_all()
        self._thread.join(timeout)
