"""Pictures for the panel: their cadence, at once after a blackout, none when unchanged, the cap."""

from __future__ import annotations

import asyncio
import base64
import io
import time
from dataclasses import replace

import pygame
from PIL import Image
from websockets.asyncio.server import ServerConnection

from projector.core.byte_budget import ByteBudget
from projector.core.protocol import PatternFrame, Snapshot, Thumbnail, ThumbnailRequest
from projector.core.wire import encode as wire_encode
from projector.display.frame_info import FrameInfo
from projector.display.run import run_display
from projector.display.thumbnails import (
    PREVIEW_EVERY,
    Picture,
    PictureSender,
    Shot,
    ThumbnailSchedule,
    encode,
    sample,
)
from tests.display.fake_server import FakeServer
from tests.display.screens import live_options, sample_state


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def picture(colour: tuple[int, int, int], size: tuple[int, int] = (1920, 1080), **kw: object) -> Picture:
    surface = pygame.Surface(size)
    surface.fill(colour)
    pygame.draw.circle(surface, (255, 255, 255), (size[0] // 3, size[1] // 2), size[1] // 4)
    return Picture(sample(surface, 320), 320, **kw)  # type: ignore[arg-type]


def test_a_stream_sends_at_its_cadence_and_at_once_after_a_change() -> None:
    schedule, now = ThumbnailSchedule(), 0.0
    assert schedule.program_due(now) is None  # nobody asked
    schedule.request(320, None, 0.5)
    assert schedule.program_due(now) == Shot(320, None, False)  # a new stream starts with a picture
    taken = [k / 16 for k in range(1, 40) if schedule.program_due(k / 16)]  # frames at 16 fps
    assert taken == [0.5, 1.0, 1.5, 2.0]
    schedule.changed()  # a blackout between two beats goes on the next frame
    assert schedule.program_due(2.51) and not schedule.program_due(2.52)
    schedule.request(320, None, 0)  # the last panel went
    schedule.changed()
    assert not any(schedule.program_due(t) for t in (2.0, 5.0, 60.0))
    schedule.request(64, "left", None)  # a one-off, as older servers and the Map view ask
    assert schedule.program_due(61.0) == Shot(64, "left", True)  # sent even if unchanged
    assert schedule.program_due(70.0) is None


def test_a_one_off_picture_of_an_output_leaves_the_stream_as_it_was() -> None:
    schedule = ThumbnailSchedule()
    schedule.request(320, None, 0.5)
    assert schedule.program_due(0.0) == Shot(320, None, False)
    schedule.request(160, "left", None)  # the Map view, while the panel's stream goes on
    assert schedule.program_due(0.5) == Shot(160, "left", True)
    assert schedule.program_due(0.52) == Shot(320, None, False)  # the beat it took comes next
    assert schedule.program_due(1.0) is None and schedule.program_due(1.02) == Shot(320, None, False)


def test_the_preview_picture_goes_when_it_changes_and_every_few_seconds_while_watched() -> None:
    schedule = ThumbnailSchedule()
    schedule.preview_changed()
    assert not schedule.preview_due(0.0)  # nobody watches
    schedule.request(320, None, 0.4)
    assert schedule.preview_due(0.0) and not schedule.preview_due(1.0)
    schedule.preview_changed()
    assert schedule.preview_due(1.1)
    assert not schedule.preview_due(1.0 + PREVIEW_EVERY) and schedule.preview_due(1.2 + PREVIEW_EVERY)


def test_a_sample_is_encoded_as_a_small_jpeg_of_the_width_asked() -> None:
    for size in ((1920, 1080), (1080, 1920), (3840, 1080)):
        digest, jpeg = encode(picture((200, 30, 30), size))
        image = Image.open(io.BytesIO(jpeg))
        assert image.format == "JPEG" and image.width == 320
        assert abs(image.height - 320 * size[1] / size[0]) <= 1
        assert len(jpeg) < 15_000  # a few KB
        pixel = image.convert("RGB").getpixel((5, 5))  # red, not blue: the channels the right way round
        assert isinstance(pixel, tuple) and pixel[0] > 150
        assert digest == encode(picture((200, 30, 30), size))[0]


def test_an_unchanged_picture_is_not_sent_again_unless_asked_for() -> None:
    sent: list[Thumbnail] = []
    sender = PictureSender(sent.append, Clock())
    assert sender.offer(picture((10, 10, 10))) == "sent"
    assert sender.offer(picture((10, 10, 10))) == "unchanged"
    assert sender.offer(picture((10, 10, 10), preview=True)) == "sent"  # a kind of its own
    assert sender.offer(picture((10, 10, 10), force=True)) == "sent"  # a one-off request
    assert sender.offer(picture((0, 0, 0))) == "sent"
    sender.forget()  # a new stream
    assert sender.offer(picture((0, 0, 0))) == "sent"
    assert [t.preview for t in sent] == [False, True, False, False, False]


def test_pictures_keep_to_the_byte_budget() -> None:
    sent: list[Thumbnail] = []
    clock = Clock()
    sender = PictureSender(sent.append, clock, ByteBudget(rate=8_000, burst=16_000))
    start = clock.now
    outcomes = []
    for i in range(300):  # every frame of 5 s at 60 fps changes
        clock.now = start + i / 60
        outcomes.append(sender.offer(picture((i % 256, (7 * i) % 256, 90))))
    elapsed = clock.now - start
    assert "over budget" in outcomes and sent
    assert sender.bytes_sent <= 16_000 + 8_000 * elapsed
    assert sender.bytes_sent == sum(len(t.data) for t in sent)


def test_a_blackout_reaches_the_server_as_a_black_picture_at_once() -> None:
    """A stream with a 30 s beat: only the change itself can make the black picture go within a second."""
    state = sample_state(1234, rev=3)
    blackout_at: list[float] = []
    black_at: list[float] = []

    async def script(ws: ServerConnection, n: int) -> None:
        await ws.send(wire_encode(Snapshot(state, time.time())))
        await ws.send(wire_encode(ThumbnailRequest(160, every=30.0)))
        while not thumbnails():  # the stream's first picture: the totals
            await asyncio.sleep(0.02)
        blackout_at.append(time.monotonic())
        await ws.send(wire_encode(Snapshot(replace(state, rev=4, blackout=True), time.time())))
        await ws.wait_closed()

    server = FakeServer(script).start()
    deadline = time.monotonic() + 20

    def thumbnails() -> list[Thumbnail]:
        return [f for f in server.received if isinstance(f, Thumbnail)]

    def on_frame(info: FrameInfo) -> bool:
        if not black_at and any(_brightest(t) < 20 for t in thumbnails()):
            black_at.append(time.monotonic())
        # A second more, to see that a still black frame is not sent again.
        return (bool(black_at) and time.monotonic() > black_at[0] + 1.0) or time.monotonic() > deadline

    try:
        run_display(live_options(server.url, on_frame, scene=None))
    finally:
        server.stop()
    pictures = thumbnails()
    assert _brightest(pictures[0]) > 100  # the totals, lit
    assert black_at, "no black picture after the blackout"
    assert black_at[0] - blackout_at[0] < 1.0
    # One cut to a still black frame: one black picture, and nothing after it while it stays black.
    assert [_brightest(t) < 20 for t in pictures] == [False] * (len(pictures) - 1) + [True]


def _brightest(thumb: Thumbnail) -> int:
    image = Image.open(io.BytesIO(base64.b64decode(thumb.data)))
    extrema = image.convert("L").getextrema()
    high = extrema[1] if isinstance(extrema, tuple) else extrema
    assert isinstance(high, int | float)
    return int(high)


def test_a_test_pattern_reaches_the_server_at_once() -> None:
    patterned_at: list[float] = []
    pictures_at: list[tuple[float, int]] = []

    async def script(ws: ServerConnection, n: int) -> None:
        await ws.send(wire_encode(Snapshot(sample_state(1234, rev=3), time.time())))
        await ws.send(wire_encode(ThumbnailRequest(160, every=30.0)))
        while not pictures_at:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
        patterned_at.append(time.monotonic())
        await ws.send(wire_encode(PatternFrame("main", "grid")))
        await ws.wait_closed()

    server = FakeServer(script).start()
    deadline = time.monotonic() + 20

    def on_frame(info: FrameInfo) -> bool:
        count = sum(1 for f in server.received if isinstance(f, Thumbnail))
        if count > len(pictures_at):
            pictures_at.append((time.monotonic(), count))
        return len(pictures_at) >= 2 or time.monotonic() > deadline

    try:
        run_display(live_options(server.url, on_frame))
    finally:
        server.stop()
    assert len(pictures_at) >= 2 and patterned_at, "no picture after the pattern"
    assert pictures_at[1][0] - patterned_at[0] < 1.0  # not at the stream's 30 s beat
    first, second = [f for f in server.received if isinstance(f, Thumbnail)][:2]
    assert first.data != second.data and second.output is None
