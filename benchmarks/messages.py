"""Supporter messages: screening throughput, and approval to the wall.

    python benchmarks/messages.py [--approvals 60]

1. The moderation rules alone (``projector.core.moderation.screen``), messages
   per second over a mix of clean, link-carrying, blocklisted and long texts
   in several scripts, each from its own sender.
2. Through the real server: inbound SMS (signed as Twilio signs them, each
   from its own number) per second, each counted as an action and screened.
3. Approval to the wall: a display in this process, paced at 60 fps with the
   messages scene pinned; for each approval (its answer carries the rev that
   shows the message) the time to the first frame drawn from that rev.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import scenes  # noqa: F401  (registers the built-in scenes: the display never imports them)
from benchmarks._server import BenchServer, call_api, create_token, table
from projector.core.moderation import Rules, SenderHistory, screen
from projector.display.frame_info import FrameInfo
from projector.display.options import DisplayOptions
from projector.display.output.mode import OutputMode
from projector.display.run import run_display
from projector.server.web.twilio import compute_signature

TWILIO = "bench-twilio-token"
WARM_UP_S = 2.0
TEXTS = [
    "Stay strong, Ayşe. We are with you.",
    "حرية لطارق الآن، نحن معك",
    "Держись! Мы с тобой. Read more at https://example.org/free",
    "हम तुम्हारे साथ हैं, आज़ादी अभी",
    "you 1d10t",
    "ស្មារតីរឹងមាំ យើងនៅជាមួយអ្នក",
    "x" * 400,
    "Libertad para Ramon! Llama al +34 600 123 456",
]


def screening_rate(n: int = 20_000) -> float:
    rules = Rules()
    started = time.perf_counter()
    for i in range(n):
        screen(
            TEXTS[i % len(TEXTS)],
            "Sam",
            lang=None,
            source="web",
            sender_history=SenderHistory(),
            now=1e9,
            rules=rules,
        )
    return n / (time.perf_counter() - started)


def post_sms(base: str, i: int) -> None:
    url = base + "/api/v1/sms/twilio"
    params = {"MessageSid": f"SMbench{i}", "From": f"+1415555{i % 10000:04d}", "Body": TEXTS[i % 4]}
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(params).encode(),
        headers={"X-Twilio-Signature": compute_signature(TWILIO, url, params)},
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        r.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--approvals", type=int, default=60)
    parser.add_argument("--sms", type=int, default=400)
    args = parser.parse_args()
    rate = screening_rate()
    frames: list[FrameInfo] = []
    approvals: list[tuple[float, int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        display, operator = create_token(data_dir, "display"), create_token(data_dir, "operator")
        with BenchServer(data_dir, twilio_auth_token=TWILIO) as server:
            started = time.perf_counter()
            for i in range(args.sms):
                post_sms(server.base, i)
            sms_rate = args.sms / (time.perf_counter() - started)
            listed = call_api(server.base, operator, "GET", "/api/v1/messages?status=pending")
            pending = [m["id"] for m in listed["messages"]]
            ready = threading.Event()

            def moderator() -> None:
                ready.wait(30)
                time.sleep(WARM_UP_S)
                for message_id in pending[: args.approvals]:
                    sent = time.monotonic()
                    rev = call_api(
                        server.base, operator, "POST", f"/api/v1/messages/{message_id}/approve", {}
                    )["rev"]
                    approvals.append((sent, rev))
                    time.sleep(0.15)

            thread = threading.Thread(target=moderator)
            thread.start()

            def on_frame(info: FrameInfo) -> bool:
                frames.append(info)
                if info.connected:
                    ready.set()
                return not thread.is_alive()

            run_display(
                DisplayOptions(
                    server=server.base, token=display, name="wall", mode=OutputMode.HEADLESS, realtime=True,
                    size=(1920, 1080), scene="messages", on_frame=on_frame, media=None,
                )
            )  # fmt: skip
            thread.join()
    delays = []
    for sent, rev in approvals:
        first = next((f for f in frames if f.rev >= rev and f.time >= sent), None)
        if first is not None:
            delays.append((first.time - sent) * 1000)
    q = statistics.quantiles(delays, n=100)
    # The wall loads its fonts a little each frame for its first second or so
    # (once per display process); the steady state is what an audience watches.
    warm = [f for f in frames if f.time - frames[0].time < WARM_UP_S]
    steady = [f for f in frames if f.time - frames[0].time >= WARM_UP_S]
    intervals = [(b.time - a.time) * 1000 for a, b in itertools.pairwise(steady)]
    gaps = statistics.quantiles(intervals, n=100)
    work = statistics.quantiles([f.work_ms for f in steady], n=100)
    over = sum(1 for f in steady if f.work_ms > 16.7)
    span = steady[-1].time - steady[0].time
    print(
        table(
            ["measure", "value", "aim"],
            [
                ["moderation rules alone", f"{rate:,.0f} messages/s", ""],
                [
                    "inbound SMS through the server (signed, counted, screened)",
                    f"{sms_rate:,.0f} /s (1 client)",
                    "",
                ],
                ["approvals measured / messages pending", f"{len(delays)} / {len(pending)}", ""],
                ["approve (HTTP) -> first frame with it, p50", f"{q[49]:.1f} ms", ""],
                ["approve (HTTP) -> first frame with it, p99", f"{q[98]:.1f} ms", ""],
                ["wall frame rate while messages arrive", f"{len(steady) / span:.1f} fps", "60"],
                [
                    "wall frame work (update + draw) p50 / p99",
                    f"{work[49]:.1f} / {work[98]:.1f} ms",
                    "<= 16.7",
                ],
                ["frames over 16.7 ms of work", f"{over} of {len(steady)}", ""],
                ["wall frame interval p99 (includes the OS scheduler)", f"{gaps[98]:.1f} ms", ""],
                ["wall frame interval, worst", f"{max(intervals):.1f} ms", ""],
                [
                    f"first {WARM_UP_S:.0f} s (fonts loading), worst frame work",
                    f"{max(f.work_ms for f in warm):.1f} ms",
                    "",
                ],
            ],
        )
    )


if __name__ == "__main__":
    main()
