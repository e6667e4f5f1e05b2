"""A display answers the server's thumbnail request with a small JPEG of its screen."""

from __future__ import annotations

import base64
import io
import time

from PIL import Image
from websockets.asyncio.server import ServerConnection

from projector.core.protocol import Thumbnail, ThumbnailRequest
from projector.core.wire import encode
from projector.display.frame_info import FrameInfo
from projector.display.run import run_display
from tests.display.fake_server import FakeServer
from tests.display.screens import live_options
from tests.display.test_link import snapshot


def test_a_thumbnail_request_gets_a_jpeg_of_the_screen() -> None:
    async def script(ws: ServerConnection, n: int) -> None:
        await ws.send(snapshot(1234, 3))
        await ws.send(encode(ThumbnailRequest(64)))
        await ws.wait_closed()

    server = FakeServer(script).start()
    deadline = time.monotonic() + 20

    def on_frame(info: FrameInfo) -> bool:
        return any(isinstance(f, Thumbnail) for f in server.received) or time.monotonic() > deadline

    try:
        run_display(live_options(server.url, on_frame))
    finally:
        server.stop()
    (thumb,) = [f for f in server.received if isinstance(f, Thumbnail)]
    image = Image.open(io.BytesIO(base64.b64decode(thumb.data)))
    assert image.format == "JPEG" and image.size == (64, 36)
    _, brightest = image.convert("L").getextrema()
    assert isinstance(brightest, int | float) and brightest > 100  # the totals scene, not a black frame
