"""Several ``projector serve`` nodes on one PostgreSQL database share one live show.

Real server processes and real websocket displays: totals exact on every node whichever
node took the actions, a GO on one node reaching a display on another, two GOs at the same
moment advancing once, the same revisions everywhere, a node killed with SIGKILL during
ingest (nothing acknowledged lost or doubled), and the timers moving to another node when
the node that ran them dies. The event log's codec is checked here too.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
import websockets
from PIL import Image

from projector.core.cues import Cue, Show
from projector.core.model import Action, Campaign, Case, Channel, Totals
from projector.core.state import (
    BlackoutChanged,
    CampaignChanged,
    CaseUpdated,
    CommandRefused,
    CueChanged,
    Event,
    Go,
    Message,
    MessageShown,
    RecordBeaten,
    SetBlackout,
    ShowLoaded,
    ShowState,
    TotalsChanged,
    UpsertCase,
)
from projector.server import tasks
from projector.server.hub import Hub
from projector.server.node_clock import NodeClock
from projector.server.shared_show import SharedShow, event_body, event_from_body
from projector.server.show import Show as ServerShow
from projector.server.web.metrics import Metrics
from projector.store.writer import StoreWriter
from tests.server.nodes import Node, create_token, http
from tests.store.pg_cluster import postgres_cluster, postgres_url

__all__ = ["postgres_cluster", "postgres_url"]

SHOW: dict[str, Any] = {
    "id": "night",
    "name": "Night",
    "cues": [
        {"id": "one", "scene": "totals", "duration": 0.1},
        {"id": "two", "scene": "portrait", "duration": 0.1},
        {"id": "three", "scene": "messages", "duration": 0.1},
    ],
}


def _nodes(tmp_path: Path, database: str, n: int) -> list[Node]:
    return [Node(tmp_path / f"node-{i}", database) for i in range(n)]


def _eventually(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def _hello(token: str) -> str:
    return json.dumps(
        {"v": 1, "type": "hello", "name": "wall", "token": token, "protocol": 1, "resolution": [1280, 720]}
    )


def _batches(prefix: str, count: int, size: int) -> list[list[dict[str, Any]]]:
    return [
        [{"id": f"{prefix}-{b}-{i}", "channel": "letter", "country": "TR"} for i in range(size)]
        for b in range(count)
    ]


def test_every_event_kind_survives_the_log() -> None:
    case = Case("ayse", "Ayşe", "TR", story="Bir gazeteci.")
    events: list[Event] = [
        TotalsChanged(1, Totals().add((Action("a", Channel.SMS, country="KH", count=3),))),
        RecordBeaten(2, 1700000000.5),
        CampaignChanged(3, Campaign("Write", 10, 5, tagline="Yaz")),
        CaseUpdated(4, case),
        MessageShown(5, Message("m1", "صامدون", "ليلى", "MA", "ar", 12.0, pinned=True)),
        ShowLoaded(6, Show("s", "S", (Cue("c", "totals", hold=3.0, target="group:paris"),))),
        CueChanged(7, 0, None, 1700000001.25, False, "group:paris"),
        BlackoutChanged(8, True),
    ]
    for event in events:
        assert event_from_body(event_body(event)) == event


def test_three_nodes_share_totals_cues_and_revisions(tmp_path: Path, postgres_url: str) -> None:
    ingest = create_token(postgres_url, tmp_path, "ingest")
    operator = create_token(postgres_url, tmp_path, "operator")
    display = create_token(postgres_url, tmp_path, "display")
    nodes = _nodes(tmp_path, postgres_url, 3)
    try:
        for node in nodes:
            node.start()
        a, b, c = nodes
        seen: list[dict[str, Any]] = []

        async def watch(stop: asyncio.Event) -> None:
            async with websockets.connect(c.ws_url) as ws:
                await ws.send(_hello(display))
                seen.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
                while not stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        seen.append(json.loads(await asyncio.wait_for(ws.recv(), 0.2)))

        async def scenario() -> None:
            stop = asyncio.Event()
            watcher = asyncio.create_task(watch(stop))
            await asyncio.sleep(0.5)
            # Ingest on A and B at once; C gets every batch of A again (a retry through another node).
            batches_a, batches_b = _batches("a", 20, 50), _batches("b", 20, 50)

            def post(node: Node, batch: list[dict[str, Any]]) -> int:
                status, reply = http("POST", node.base + "/api/v1/actions", ingest, {"actions": batch})
                assert status == 200, reply
                return int(reply["accepted"])

            jobs = [(a, x) for x in batches_a] + [(b, x) for x in batches_b] + [(c, x) for x in batches_a]
            accepted = sum(await asyncio.gather(*(asyncio.to_thread(post, n, x) for n, x in jobs)))
            assert accepted == 2000  # the retries through C counted once
            for node in nodes:
                assert _eventually(lambda n=node: http("GET", n.base + "/api/v1/totals")[1]["total"] == 2000)
            # A show loaded on A, GO on B: C's display takes the cue.
            assert http("PUT", a.base + "/api/v1/show", operator, SHOW)[0] == 200
            status, reply = http("POST", b.base + "/api/v1/cue/go", operator, {"expected": None})
            assert status == 200 and reply["program"] == 0, reply
            # Two GOs at the same moment on two nodes, both for the cue they saw: one advances.
            await asyncio.sleep(0.3)  # past the first cue's transition
            gos = await asyncio.gather(
                *(
                    asyncio.to_thread(http, "POST", n.base + "/api/v1/cue/go", operator, {"expected": 0})
                    for n in (a, c)
                )
            )
            assert sorted(status for status, _ in gos) == [200, 409], gos
            await asyncio.sleep(1.0)
            stop.set()
            await watcher

        asyncio.run(scenario())
        shows = [http("GET", n.base + "/api/v1/show", operator)[1] for n in nodes]
        assert {s["program"] for s in shows} == {1}
        assert len({s["rev"] for s in shows}) == 1, [s["rev"] for s in shows]
        totals = [f["total"] for f in seen if f["type"] == "totals"]
        assert totals[-1] == 2000 and totals == sorted(totals)  # never a backward count
        programs = [f["program"] for f in seen if f["type"] == "cue"]
        assert programs[-2:] == [0, 1]
        revs = [f["rev"] for f in seen[1:] if "rev" in f]
        assert revs == sorted(revs)
    finally:
        logs = [node.stop() for node in nodes]
    assert not any("Traceback" in out for out in logs), "\n".join(logs)


def test_a_node_killed_during_ingest_loses_and_doubles_nothing(tmp_path: Path, postgres_url: str) -> None:
    ingest = create_token(postgres_url, tmp_path, "ingest")
    a, b = _nodes(tmp_path, postgres_url, 2)
    try:
        a.start()
        b.start()
        sent: list[list[dict[str, Any]]] = []
        acked: set[str] = set()

        def feed() -> None:
            while True:
                batch = [{"id": uuid.uuid4().hex, "channel": "sms", "country": "KE"} for _ in range(25)]
                sent.append(batch)
                try:
                    status, _ = http("POST", a.base + "/api/v1/actions", ingest, {"actions": batch})
                except OSError:
                    return
                if status == 200:
                    acked.update(x["id"] for x in batch)

        with ThreadPoolExecutor(3) as pool:
            feeders = [pool.submit(feed) for _ in range(3)]
            _eventually(lambda: len(acked) >= 500)
            a.kill()
            for f in feeders:
                f.result()
        # Every batch is retried on B, as a client does when its node went away.
        for batch in sent:
            assert http("POST", b.base + "/api/v1/actions", ingest, {"actions": batch})[0] == 200
        ids = {x["id"] for batch in sent for x in batch}
        total = http("GET", b.base + "/api/v1/totals")[1]["total"]
        assert total == len(ids) and len(acked) <= total
        # A node started now counts the same.
        c = Node(tmp_path / "node-c", postgres_url).start()
        assert http("GET", c.base + "/api/v1/totals")[1]["total"] == len(ids)
        c.stop()
    finally:
        a.kill()
        b.stop()


def test_the_timers_move_to_another_node_when_theirs_dies(tmp_path: Path, postgres_url: str) -> None:
    operator = create_token(postgres_url, tmp_path, "operator")
    a, b = _nodes(tmp_path, postgres_url, 2)
    try:
        a.start()  # first up: it holds the timer lease
        b.start()
        show = {**SHOW, "cues": [{**SHOW["cues"][0], "hold": 3.0}, *SHOW["cues"][1:]]}
        assert http("PUT", b.base + "/api/v1/show", operator, show)[0] == 200
        assert http("POST", b.base + "/api/v1/cue/go", operator, {})[0] == 200
        a.kill()
        # The hold of cue 0 runs out 3 s after GO; B takes over the timers and follows on.
        assert _eventually(lambda: http("GET", b.base + "/api/v1/show", operator)[1]["program"] == 1, 10)
        time.sleep(1.5)
        assert http("GET", b.base + "/api/v1/show", operator)[1]["program"] == 1  # once, not twice
    finally:
        a.kill()
        out = b.stop()
    assert "runs the timers" in out, out[-3000:]


def _raw(
    method: str, url: str, token: str, data: bytes | None = None, kind: str = "image/png"
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", kind)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _picture() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((200, 260), 60).convert("RGB").save(out, "PNG")
    return out.getvalue()


def test_a_picture_uploaded_on_one_node_is_served_by_the_others(tmp_path: Path, postgres_url: str) -> None:
    operator = create_token(postgres_url, tmp_path, "operator")
    display = create_token(postgres_url, tmp_path, "display")
    a, b, c = _nodes(tmp_path, postgres_url, 3)
    try:
        a.start(), b.start()
        picture = _picture()
        status, reply = _raw("POST", a.base + "/api/v1/media?name=ayse.png", operator, picture)
        assert status in (200, 201), reply
        media_hash = json.loads(reply)["hash"]
        # Node B never saw the upload: it copies the file from the database, checked, once.
        assert not (b.data_dir / "media" / media_hash[:2] / media_hash).exists()
        assert _raw("GET", f"{b.base}/api/v1/media/{media_hash}", display) == (200, picture)
        status, thumb = _raw("GET", f"{b.base}/api/v1/media/{media_hash}/variants/thumb", display)
        assert status == 200 and thumb[:3] == b"\xff\xd8\xff"  # a JPEG made on B from B's copy
        # A case on A with that portrait: C (started afterwards) makes its variants by itself.
        case = {"name": "Ayşe", "country": "TR", "portrait": media_hash, "focus": [0.4, 0.3]}
        assert http("PUT", a.base + "/api/v1/cases/ayse", operator, case)[0] == 200
        c.start()
        made = (
            c.data_dir / "media" / "variants" / media_hash[:2] / media_hash / "portrait-1080@0.400,0.300.jpg"
        )
        assert _eventually(made.is_file, timeout=20), sorted(p.name for p in made.parent.glob("*"))
        # A hash no node took in is still a 404, on every node.
        for node in (a, b, c):
            status, _ = _raw("GET", f"{node.base}/api/v1/media/{'ab' * 32}", display)
            assert status == 404
    finally:
        for node in (a, b, c):
            node.stop()


def test_a_node_whose_clock_is_minutes_off_stamps_cues_with_the_shared_time(
    tmp_path: Path, postgres_url: str
) -> None:
    # libfaketime preloaded into the server itself (not the faketime wrapper, which would get
    # the test's signals instead of the server): five minutes ahead, its monotonic clock left
    # alone, as a wrong wall clock leaves it.
    libraries = sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))
    if not libraries:
        assert not os.environ.get("CI"), "CI installs faketime (.ci/run)"
        pytest.skip("libfaketime is not installed (apt install faketime)")
    operator = create_token(postgres_url, tmp_path, "operator")
    display = create_token(postgres_url, tmp_path, "display")
    a = Node(tmp_path / "a", postgres_url)
    b = Node(tmp_path / "b", postgres_url)
    b.env.update(LD_PRELOAD=str(libraries[0]), FAKETIME="+5m", DONT_FAKE_MONOTONIC="1")
    try:
        a.start()
        b.start()
        assert http("PUT", a.base + "/api/v1/show", operator, SHOW)[0] == 200
        status, reply = http("POST", b.base + "/api/v1/cue/go", operator, {})
        assert status == 200, reply
        assert abs(reply["program_at"] - time.time()) < 2  # the database's time, not B's
        at_a = _eventually(lambda: http("GET", a.base + "/api/v1/show", operator)[1]["program_at"])
        assert at_a == reply["program_at"]
        # A GO on A straight after is not refused as "still transitioning" for five minutes.
        time.sleep(0.3)
        assert http("POST", a.base + "/api/v1/cue/go", operator, {})[0] == 200

        async def server_time() -> float:
            async with websockets.connect(b.ws_url) as ws:
                await ws.send(_hello(display))
                snapshot = json.loads(await asyncio.wait_for(ws.recv(), 5))
                return float(snapshot["server_time"])

        assert abs(asyncio.run(server_time()) - time.time()) < 2  # what B's displays synchronise with
    finally:
        a.stop()
        out = b.stop()
    assert "off the database's" in out, out[-3000:]


async def _a_node(database: str, tmp_path: Path, name: str) -> tuple[SharedShow, StoreWriter]:
    """A node's shared show in this process, on the real database (no server around it)."""
    writer = StoreWriter(tmp_path / f"{name}.db", database=database)
    await asyncio.to_thread(writer.start)
    show = ServerShow(ShowState(), Hub(Metrics()))
    shared = SharedShow(show, writer, name, NodeClock())
    await shared.start(lambda store: ShowState())
    return shared, writer


async def test_a_snapshot_is_never_older_than_the_log_when_a_display_arrives(
    tmp_path: Path, postgres_url: str
) -> None:
    ahead, ahead_writer = await _a_node(postgres_url, tmp_path, "ahead")
    behind, behind_writer = await _a_node(postgres_url, tmp_path, "behind")
    try:
        # The node a display comes over to is not following (as if its wake-up had not come yet).
        await tasks.stop(behind._task)
        for i in range(5):
            await ahead.show.execute(SetBlackout(i % 2 == 0))
        assert ahead.show.state.rev == 5 and behind.show.state.rev == 0
        # What the display route does before the snapshot; callers at once share the read.
        await asyncio.gather(*(behind.caught_up() for _ in range(20)))
        assert behind.show.state.rev == 5 and behind.show.state.blackout is True
        await ahead.show.execute(SetBlackout(False))
        await behind.caught_up()  # a later arrival reads again
        assert behind.show.state.rev == 6 and behind.show.state.blackout is False
    finally:
        for shared, writer in ((ahead, ahead_writer), (behind, behind_writer)):
            await shared.close()
            await asyncio.to_thread(writer.close)


async def test_a_fact_and_its_event_are_committed_together_or_not_at_all(
    tmp_path: Path, postgres_url: str
) -> None:
    here, here_writer = await _a_node(postgres_url, tmp_path, "here")
    there, there_writer = await _a_node(postgres_url, tmp_path, "there")
    ayse = Case("ayse", "Ayşe", "TR")
    try:

        def stored(case: Case, *commands: Any) -> Any:
            def write(store: Any) -> list[Any]:
                store.upsert_case(case)
                return list(commands)

            return write

        # Stored and shown as one: the other node applies the event and finds the row.
        await here.show.execute_written(here_writer, stored(ayse, UpsertCase(ayse)))
        await there.caught_up()
        assert "ayse" in there.show.state.cases
        assert await there_writer.call(lambda s: s.get_case("ayse")) == ayse
        # A command refused (GO with no show loaded) takes its write back with it.
        mehmet = Case("mehmet", "Mehmet", "TR")
        with pytest.raises(CommandRefused):
            await here.show.execute_written(here_writer, stored(mehmet, UpsertCase(mehmet), Go()))

        # A write that fails leaves no event either.
        def broken(store: Any) -> list[Any]:
            store.upsert_case(mehmet)
            raise ValueError("the pin limit")

        with pytest.raises(ValueError, match="pin limit"):
            await here.show.execute_written(here_writer, broken)
        assert await here_writer.call(lambda s: s.get_case("mehmet")) is None
        await there.caught_up()
        assert here.show.state.rev == there.show.state.rev == 1
        assert "mehmet" not in here.show.state.cases and "mehmet" not in there.show.state.cases
    finally:
        for shared, writer in ((here, here_writer), (there, there_writer)):
            await shared.close()
            await asyncio.to_thread(writer.close)


def _post(url: str, token: str, body: Any) -> tuple[int, str | None]:
    """The status and the ``Retry-After`` header (None when absent) of a JSON POST."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=15) as r:
            return r.status, r.headers.get("Retry-After")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Retry-After")


def test_nodes_ride_out_a_database_restart_under_load(
    tmp_path: Path, postgres_cluster: Any, postgres_url: str
) -> None:
    ingest = create_token(postgres_url, tmp_path, "ingest")
    operator = create_token(postgres_url, tmp_path, "operator")
    a, b = _nodes(tmp_path, postgres_url, 2)
    answers: list[tuple[int, str | None]] = []
    batches: list[list[dict[str, Any]]] = []
    stop = False
    try:
        a.start()
        b.start()
        assert http("PUT", a.base + "/api/v1/show", operator, SHOW)[0] == 200

        def feed(node: Node) -> None:
            # A client that retries each batch (same ids) until it is acknowledged.
            while not stop:
                batch = [{"id": uuid.uuid4().hex, "channel": "sms", "country": "KE"} for _ in range(20)]
                batches.append(batch)
                while True:
                    try:
                        answer = _post(node.base + "/api/v1/actions", ingest, {"actions": batch})
                    except OSError:
                        answer = (0, None)
                    answers.append(answer)
                    if answer[0] == 200:
                        break
                    time.sleep(0.1)

        with ThreadPoolExecutor(2) as pool:
            feeders = [pool.submit(feed, node) for node in (a, b)]
            _eventually(lambda: len(batches) >= 20)
            postgres_cluster.pause()  # fast shutdown: every session is cut
            time.sleep(2)
            postgres_cluster.resume()
            _eventually(lambda: sum(1 for s, _ in answers[-10:] if s == 200) >= 5, timeout=30)
            stop = True
            for f in feeders:
                f.result()
        refused = [(s, r) for s, r in answers if s != 200]
        assert refused, "the restart was not seen"
        # Meanwhile: 503 with Retry-After, never a 500 (a connection refused by a node itself is 0).
        assert all(s == 503 and r is not None for s, r in refused if s != 0), refused
        ids = {x["id"] for batch in batches for x in batch}
        for node in (a, b):  # exact on both: each acknowledged batch once, whatever was retried
            assert _eventually(lambda n=node: http("GET", n.base + "/api/v1/totals")[1]["total"] == len(ids))
        # The shared show works again: a GO on B reaches A.
        status, reply = http("POST", b.base + "/api/v1/cue/go", operator, {"expected": None})
        assert status == 200, reply
        assert _eventually(lambda: http("GET", a.base + "/api/v1/show", operator)[1]["program"] == 0)
    finally:
        stop = True
        logs = [node.stop() for node in (a, b)]
    traced = [out[out.index("Traceback") - 300 :][:4000] for out in logs if "Traceback" in out]
    assert not traced, traced[0]


def test_a_node_shares_the_files_it_took_in_before_nodes_shared_media(
    tmp_path: Path, postgres_url: str
) -> None:
    operator = create_token(postgres_url, tmp_path, "operator")
    display = create_token(postgres_url, tmp_path, "display")
    a, b = _nodes(tmp_path, postgres_url, 2)
    try:
        a.start()
        picture = _picture()
        status, reply = _raw("POST", a.base + "/api/v1/media?name=old.png", operator, picture)
        assert status in (200, 201), reply
        media_hash = json.loads(reply)["hash"]
        a.stop()
        # As a store that ran one node before this: the record, but no shared copy.
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute("DELETE FROM media_chunks WHERE hash = %s", (media_hash,))
        a.start()  # it copies what it has into the database at start
        b.start()
        assert _eventually(
            lambda: _raw("GET", f"{b.base}/api/v1/media/{media_hash}", display) == (200, picture), timeout=20
        )
    finally:
        a.stop()
        b.stop()
