"""How many bytes of pictures per second the server takes from one display, and the rate it asks for.

A display keeps to its own, tighter budget (``projector.display.thumbnails``);
this cap is the server's guard against one that does not (broken or hostile):
what goes over it is dropped on arrival, never queued, so the panels and the
server's memory see at most this much per display whatever it sends.
"""

from __future__ import annotations

from projector.core.byte_budget import ByteBudget

#: JPEG bytes per second per display, and the burst a quick run of cues may use: half again
#: over what an honest display sends at most (48,000 base64 characters, 36,000 bytes).
MAX_BYTES_PER_SECOND = 64_000
BURST_BYTES = 128_000
#: While a panel watches: a picture at most this often (and at once after a cue, a blackout, a pattern).
STREAM_EVERY = 0.4


def thumbnail_budget() -> ByteBudget:
    return ByteBudget(MAX_BYTES_PER_SECOND, BURST_BYTES)
