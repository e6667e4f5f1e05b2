"""Show control over OSC: real UDP packets from python-osc fire GO, blackout and cues; bad packets,
wrong types and unknown hosts are refused, answered (or not) and counted."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pythonosc.osc_bundle_builder import OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.udp_client import SimpleUDPClient

from projector.server.config import Config
from projector.server.osc import (
    MAX_BUNDLE_DEPTH,
    OscError,
    bundle_depth,
    command_for,
    host_allowed,
    parse_allowed,
)
from projector.server.services import SERVICES
from tests.conftest import RunningServer, recv_json, start_server

SHOW_BODY = {
    "id": "osc",
    "cues": [
        {"id": "intro", "scene": "ident", "transition": "cut"},
        {"id": "count", "scene": "totals", "transition": "cut"},
        {"id": "wall", "scene": "messages", "transition": "cut", "target": "group:facade"},
    ],
}


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def osc_server(config: Config, **settings: Any) -> tuple[RunningServer, SimpleUDPClient]:
    port = free_udp_port()
    live = await start_server(replace(config, osc_port=port, **settings))
    return live, SimpleUDPClient("127.0.0.1", port)


@pytest.fixture
async def osc(config: Config) -> AsyncIterator[tuple[RunningServer, SimpleUDPClient]]:
    live, client = await osc_server(config)
    await live.put_json("/api/v1/groups/facade", None)
    status, body = await live.put_json("/api/v1/show", SHOW_BODY)
    assert status == 200, body
    try:
        yield live, client
    finally:
        client.close()
        await live.session.close()
        await live.runner.cleanup()


async def reply(client: SimpleUDPClient, timeout: float = 3.0) -> list[Any]:
    """The server's answer to the last packet: [address, *args]; [] when none came."""
    message = await asyncio.to_thread(lambda: next(client.get_messages(timeout), None))
    return [] if message is None else [message.address, *message.params]


async def metric(live: RunningServer, outcome: str) -> float:
    async with live.session.get(live.base + "/metrics") as r:
        text = await r.text()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "projector_osc_messages_total" and sample.labels == {"outcome": outcome}:
                return float(sample.value)
    return 0.0


async def test_go_blackout_and_cue_packets_fire_and_a_display_sees_the_cue(
    osc: tuple[RunningServer, SimpleUDPClient],
) -> None:
    live, client = osc
    show = live.app[SERVICES].show
    ws = await live.display("tv")
    assert (await recv_json(ws))["type"] == "snapshot"
    client.send_message("/projector/go", [])
    assert await reply(client) == ["/projector/ok", "/projector/go"]
    assert show.state.program == 0
    frame = await recv_json(ws)
    assert (frame["type"], frame["program"], frame["target"]) == ("cue", 0, "all")
    client.send_message("/projector/blackout", 1)
    assert await reply(client) == ["/projector/ok", "/projector/blackout"]
    assert show.state.blackout is True
    assert (await recv_json(ws))["type"] == "blackout"
    client.send_message("/projector/blackout", False)  # OSC's F works too
    await reply(client)
    assert show.state.blackout is False
    client.send_message("/projector/cue", ["wall"])
    await reply(client)
    assert (show.state.program, show.state.program_target) == (2, "group:facade")
    client.send_message("/projector/cue", ["count", "group:facade"])  # aimed at a group
    await reply(client)
    assert (show.state.program, show.state.program_target) == (1, "group:facade")
    client.send_message("/projector/back", [])
    await reply(client)
    assert show.state.program == 0
    client.send_message("/projector/hold", [])
    await reply(client)
    assert show.state.held
    client.send_message("/projector/resume", [])
    await reply(client)
    client.send_message("/projector/panic", [])
    await reply(client)
    assert (show.state.program, show.state.held) == (0, False)
    assert await metric(live, "ok") == 9
    await ws.close()


async def test_a_bundle_time_tag_schedules_the_cue(osc: tuple[RunningServer, SimpleUDPClient]) -> None:
    live, client = osc
    when = time.time() + 0.5
    bundle = OscBundleBuilder(when)  # type: ignore[arg-type]
    bundle.add_content(OscMessageBuilder("/projector/go").build())
    client.send(bundle.build())
    assert await reply(client) == ["/projector/ok", "/projector/go"]
    assert live.app[SERVICES].show.state.program_at == pytest.approx(when, abs=0.001)


@pytest.mark.parametrize(
    ("address", "args", "code", "words"),
    [
        ("/projector/blackout", "on", "bad_args", "expects 0 or 1"),
        ("/projector/blackout", 0.5, "bad_args", "expects 0 or 1"),
        ("/projector/blackout", 2, "bad_args", "expects 0 or 1"),
        ("/projector/cue", 3, "bad_args", "cue id as a string"),
        ("/projector/cue", [], "bad_args", "cue id as a string"),
        ("/projector/cue", ["nope"], "unknown_cue", "no cue 'nope'"),
        ("/projector/go", [7], "bad_args", "target must be a string"),
        ("/projector/go", ["group:lobby"], "bad_args", "unknown group 'lobby'"),
        ("/projector/go", ["a", "b"], "bad_args", "at most 1"),
        ("/projector/panic", [1], "bad_args", "at most 0"),
        ("/projector/self-destruct", [], "unknown_address", "unknown address"),
        ("/lights/go", [], "unknown_address", "start with /projector/"),
    ],
)
async def test_wrong_types_and_unknown_addresses_are_refused_with_an_answer(
    osc: tuple[RunningServer, SimpleUDPClient], address: str, args: Any, code: str, words: str
) -> None:
    live, client = osc
    before = live.app[SERVICES].show.state
    client.send_message(address, args)
    answer = await reply(client)
    assert answer[:2] == ["/projector/error", code], answer
    assert words in answer[2]
    assert live.app[SERVICES].show.state == before


async def test_garbage_is_counted_and_answered_and_the_server_carries_on(
    osc: tuple[RunningServer, SimpleUDPClient],
) -> None:
    live, client = osc
    client._sock.sendto(b"\x00\x01 not osc at all", ("127.0.0.1", client._port))
    answer = await reply(client)
    assert answer[:2] == ["/projector/error", "malformed"]
    assert await metric(live, "malformed") == 1
    client.send_message("/projector/go", [])
    assert (await reply(client))[0] == "/projector/ok"


def nested(packet: bytes, depth: int) -> bytes:
    """``packet`` wrapped in ``depth`` bundles, each holding the next (time tag 1: "now")."""
    for _ in range(depth):
        packet = b"#bundle\x00" + (1).to_bytes(8, "big") + len(packet).to_bytes(4, "big") + packet
    return packet


async def test_bundles_nested_thousands_deep_are_refused_with_one_line_and_no_recursion(
    osc: tuple[RunningServer, SimpleUDPClient], caplog: pytest.LogCaptureFixture
) -> None:
    live, client = osc
    go = OscMessageBuilder(address="/projector/go").build().dgram
    before = live.app[SERVICES].show.state
    with caplog.at_level("DEBUG"):
        client._sock.sendto(nested(go, 2000), ("127.0.0.1", client._port))
        answer = await reply(client)
    assert answer[:2] == ["/projector/error", "malformed"], answer
    assert f"nested more than {MAX_BUNDLE_DEPTH} deep" in answer[2]
    assert live.app[SERVICES].show.state == before
    refusals = [r for r in caplog.records if r.name == "projector.server.osc"]
    assert len(refusals) == 1 and refusals[0].exc_info is None
    assert "RecursionError" not in caplog.text and "Traceback" not in caplog.text
    assert await metric(live, "malformed") == 1
    # A bundle nested a few levels, as a desk might send, still fires.
    client._sock.sendto(nested(go, 3), ("127.0.0.1", client._port))
    assert (await reply(client))[0] == "/projector/ok"
    assert live.app[SERVICES].show.state.program == 0


def test_bundle_depth_counts_nesting_without_recursing() -> None:
    go = OscMessageBuilder(address="/projector/go").build().dgram
    assert bundle_depth(go) == 0
    assert bundle_depth(nested(go, 1)) == 1
    assert bundle_depth(nested(go, 5)) == 5
    assert bundle_depth(nested(go, 5_000)) == MAX_BUNDLE_DEPTH + 1  # stops counting early
    assert bundle_depth(b"#bundle\x00" + b"\x00" * 8 + b"\xff\xff\xff\xff") == 1  # a size past the end


async def test_packets_from_an_unknown_host_are_dropped_unanswered(config: Config) -> None:
    live, client = await osc_server(config, osc_allowed_hosts="10.9.9.9, 192.168.50.0/24")
    try:
        await live.put_json("/api/v1/show", SHOW_BODY)
        client.send_message("/projector/go", [])
        assert await reply(client, timeout=0.5) == []
        assert live.app[SERVICES].show.state.program is None
        assert await metric(live, "unknown_host") == 1
    finally:
        client.close()
        await live.session.close()
        await live.runner.cleanup()


def test_allowed_hosts_and_networks() -> None:
    allowed = parse_allowed("127.0.0.1, ::1, 192.168.50.0/24")
    assert host_allowed("127.0.0.1", allowed)
    assert host_allowed("::ffff:127.0.0.1", allowed)  # an IPv4 sender on a dual-stack socket
    assert host_allowed("192.168.50.23", allowed)
    assert not host_allowed("192.168.51.1", allowed)
    assert not host_allowed("not-an-ip", allowed)
    with pytest.raises(ValueError, match="osc_allowed_hosts: 'lighting-desk'"):
        parse_allowed("lighting-desk")


def test_command_for_is_strict_about_types() -> None:
    with pytest.raises(OscError):
        command_for("/projector/blackout", [1.0])
    assert command_for("/projector/blackout", [])[0].on is None  # type: ignore[union-attr]
