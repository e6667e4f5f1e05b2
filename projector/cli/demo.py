"""``projector demo``: a whole campaign night on one machine.

Starts the server (embedded SQLite) in a background thread, seeds it with the
demo case dossiers and a month of earlier actions (so last year's record is
beaten a minute or so into the demo), runs the simulated campaign feed, and
runs a display in the main thread (pygame owns the main thread). Everything
stops when the display stops.

The display cycles through every scene a viewer of a campaign night sees
(``DEMO_CYCLE``, or ``--cycle``): the totals, each case's portrait, the wall of
messages, the call to action with its QR code, and the ticker.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import random
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import scenes  # noqa: F401  (the built-in scenes register on import; the display never imports them)
from media.dossier import DEMO_DIR, load_dossiers
from projector.cli.feed import run_feed
from projector.cli.logs import setup_logging
from projector.core.model import Action, Campaign, Channel
from projector.display.options import DisplayOptions, parse_cycle, parse_languages, parse_size
from projector.display.output.mode import OutputMode
from projector.display.run import run_display
from projector.server.app import build_app
from projector.server.config import Config
from projector.server.listen import listen, runner_for
from projector.store.sqlite import SqliteStore

log = logging.getLogger("projector.cli.demo")

DEMO_CAMPAIGN = Campaign("Write for Rights 2026", goal=2_300_000, record=1_900_000)
#: Actions already counted before the demo starts: just under the record.
DEMO_HISTORY_TOTAL = 1_898_800

#: Where earlier actions came from (weights), for a believable breakdown.
_HISTORY_COUNTRIES = {
    "FR": 14, "DE": 12, "GB": 10, "PL": 8, "TR": 6, "MX": 6, "BR": 6, "KE": 4, "NG": 4, "IN": 5,
    "PH": 3, "ES": 6, "IT": 5, "NL": 4, "CA": 4, "US": 6, "AR": 3, "ZA": 3, "JP": 2, "KR": 2,
}  # fmt: skip
_HISTORY_CHANNELS = {"email": 34, "signature": 30, "letter": 16, "sms": 9, "tweet": 8, "fax": 1, "other": 2}

#: The demo's rotation: every scene a viewer should see (not the ident card, the
#: fallback or blackout, which are for crews and faults). ``portrait`` takes the
#: next case each time, so two of them show more of the cases; the wall comes
#: twice because messages arrive all the time and are the liveliest part.
DEMO_CYCLE = ("totals", "portrait", "messages", "qr", "portrait", "messages", "ticker")


@dataclass(frozen=True)
class DemoSecrets:
    admin_password: str
    ingest: str
    operator: str
    display: str


def history(case_ids: list[str], seed: int = 7) -> list[Action]:
    """Earlier tallies (deterministic ids, so re-seeding counts nothing twice)."""
    rng = random.Random(seed)
    countries, cweights = zip(*_HISTORY_COUNTRIES.items(), strict=True)
    channels, hweights = zip(*_HISTORY_CHANNELS.items(), strict=True)
    actions: list[Action] = []
    left = DEMO_HISTORY_TOTAL
    i = 0
    while left > 0:
        count = min(left, rng.randint(2_000, 9_000))
        actions.append(
            Action(
                id=f"demo-history-{i}",
                channel=Channel(rng.choices(channels, hweights)[0]),
                country=rng.choices(countries, cweights)[0],
                count=count,
                case=rng.choice(case_ids) if case_ids and rng.random() < 0.8 else None,
                source="demo-history",
                entered_by="demo",
            )
        )
        left -= count
        i += 1
    return actions


def seed_store(db_path: Path) -> DemoSecrets:
    """Cases, campaign, history, an operator login and tokens for the demo."""

    now = time.time()
    store = SqliteStore(db_path)
    try:
        for dossier in load_dossiers(DEMO_DIR):
            portrait = dossier.portrait_path.name if dossier.portrait_path else None
            store.upsert_case(replace(dossier.case, portrait=portrait))
        store.save_campaign(DEMO_CAMPAIGN)
        case_ids = [c.id for c in store.list_cases()]
        store.record_actions([history(case_ids)], now - 3 * 86400)
        password = secrets.token_urlsafe(12)
        if store.get_user("admin") is None:
            store.create_user("admin", password, "admin", now)
        else:
            store.set_password("admin", password)
        return DemoSecrets(
            admin_password=password,
            ingest=store.create_token("ingest", "demo feed", now)[1],
            operator=store.create_token("operator", "demo feed moderator", now)[1],
            display=store.create_token("display", "demo display", now)[1],
        )
    finally:
        store.close()


class ServerThread:
    """The aiohttp server and the simulated feed, on their own event loop."""

    def __init__(self, config: Config, demo: DemoSecrets, case_ids: list[str], rate: float) -> None:
        self.config = config
        self.demo = demo
        self.case_ids = case_ids
        self.rate = rate
        self.port = 0
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="demo-server", daemon=True)

    def start(self, timeout: float = 30.0) -> None:
        self._thread.start()
        if not self.ready.wait(timeout) or self.error is not None:
            raise RuntimeError(f"the demo server did not start: {self.error}")

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(15)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the main thread
            self.error = exc
            self.ready.set()

    async def _main(self) -> None:

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        runner = runner_for(build_app(self.config))
        await runner.setup()
        try:
            site = await listen(runner, self.config)
        except OSError:
            log.warning("port %d is busy; using a free one", self.config.port)
            site = await listen(runner, self.config, port=0)
        self.port = site.bound_port
        self.ready.set()
        base = f"http://{self.config.host}:{self.port}"
        feed = asyncio.create_task(
            run_feed(
                base,
                self.demo.ingest,
                self.demo.operator,
                rate=self.rate,
                stop=self._stop,
                case_ids=self.case_ids,
            )
        )
        await self._stop.wait()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(feed, 5)
        await runner.cleanup()


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:

    parser.add_argument(
        "--data-dir", type=Path, help="keep the demo's database here (default: a fresh temp dir)"
    )
    parser.add_argument("--port", type=int, default=8080, help="server port (a free one if busy)")
    parser.add_argument("--rate", type=float, default=40.0, help="simulated actions per second (default 40)")
    parser.add_argument("--headless", action="store_true", help="render with no screen")
    parser.add_argument("--frames", type=int, help="stop after N frames")
    parser.add_argument("--out", type=Path, help="headless: write DIR/frame-00001.png ...")
    parser.add_argument("--size", type=parse_size, help="WxH (default: the screen; 1920x1080 headless)")
    parser.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    parser.add_argument(
        "--languages",
        type=parse_languages,
        default=(),
        help="case stories in these languages first, e.g. tr,es",
    )
    parser.add_argument(
        "--locale",
        default=os.environ.get("PROJECTOR_LOCALE") or None,
        help="the display's locale, e.g. ar, tr-TR (default: $PROJECTOR_LOCALE, else the campaign's: en)",
    )
    parser.add_argument("--scene", help="pin one scene instead of the rotation")
    parser.add_argument("--rotation", type=float, default=12.0, help="seconds per scene (default 12)")
    parser.add_argument(
        "--cycle",
        type=parse_cycle,
        default=DEMO_CYCLE,
        help=f"the rotation's scenes in order (default {','.join(DEMO_CYCLE)})",
    )
    parser.add_argument(
        "--output-path", choices=("auto", "software", "opengl"), default="auto", help="output stage"
    )


def display_options(ns: argparse.Namespace, base: str, demo: DemoSecrets, data_dir: Path) -> DisplayOptions:
    """The demo's display, from its flags: also what the demo's own test runs.

    Its picture cache and saved show live in the demo's own data folder: a new demo
    must not start by playing the last demo's (higher) totals from ``~/.cache``.
    """
    return DisplayOptions(
        server=base,
        token=demo.display,
        name="demo",
        mode=OutputMode.from_flags(headless=ns.headless, windowed=ns.windowed),
        frames=ns.frames,
        out=ns.out,
        size=ns.size,
        scene=ns.scene,
        rotation=ns.rotation,
        cycle=ns.cycle,
        media=DEMO_DIR,
        languages=ns.languages,
        locale=ns.locale,
        output_path=ns.output_path,
        cache=data_dir / "display-cache",
    )


@dataclass(frozen=True)
class RunningDemo:
    base: str  # the server's URL
    demo: DemoSecrets
    data_dir: Path


@contextlib.contextmanager
def demo_server(ns: argparse.Namespace) -> Iterator[RunningDemo]:
    """A seeded database, and the server and the feed on their thread; all stopped on leaving."""
    with contextlib.ExitStack() as stack:
        data_dir = ns.data_dir or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="projector-demo-"))
        )
        data_dir.mkdir(parents=True, exist_ok=True)
        config = replace(Config(), data_dir=data_dir, port=ns.port, host="127.0.0.1")
        demo = seed_store(config.db_path)

        case_ids = [d.case.id for d in load_dossiers(DEMO_DIR)]
        server_thread = ServerThread(config, demo, case_ids, ns.rate)
        server_thread.start()
        try:
            yield RunningDemo(f"http://127.0.0.1:{server_thread.port}", demo, data_dir)
        finally:
            server_thread.stop()


def run_demo(ns: argparse.Namespace) -> int:

    setup_logging()
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    if ns.headless and not ns.frames:
        print("projector demo: --headless needs --frames N", file=sys.stderr)
        return 2
    with demo_server(ns) as running:
        base, demo = running.base, running.demo
        print(
            "\n".join(
                [
                    "projector demo is running",
                    f"  server:          {base}  (API docs: {base}/api/v1/openapi.json)",
                    f"  operator login:  admin / {demo.admin_password}   (POST {base}/api/v1/login)",
                    f"  operator token:  {demo.operator}",
                    f"  ingest token:    {demo.ingest}",
                    f"  data:            {running.data_dir}",
                    "  quit the display with Ctrl+Shift+Q (or close the window)",
                ]
            ),
            flush=True,
        )
        return run_display(display_options(ns, base, demo, running.data_dir))
