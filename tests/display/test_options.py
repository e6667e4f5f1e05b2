"""The ``projector display`` flags and the options code builds."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from projector.display import DisplayOptions, add_display_arguments, options_from_args
from projector.display.link import backoff_delay, websocket_url
from projector.display.options import parse_languages
from projector.display.output.mode import OutputMode


def parse(*argv: str) -> DisplayOptions:
    parser = argparse.ArgumentParser()
    add_display_arguments(parser)
    return options_from_args(parser.parse_args(list(argv)))


def test_flags_become_options(tmp_path: Path) -> None:
    opts = parse(
        "--server",
        "http://127.0.0.1:8080",
        "--token",
        "t0k",
        "--name",
        "facade",
        "--monitor",
        "1",
        "--windowed",
        "--size",
        "1280x720",
        "--scene",
        "totals",
        "--fps",
        "30",
        "--no-offline-mark",
        "--media",
        str(tmp_path),
        "--rotation",
        "20",
    )
    assert opts.server == "http://127.0.0.1:8080" and opts.token == "t0k" and opts.name == "facade"
    assert (
        opts.monitor == 1
        and opts.mode is OutputMode.WINDOW
        and opts.size == (1280, 720)
        and opts.scene == "totals"
    )
    assert opts.fps == 30 and not opts.offline_mark and opts.media == tmp_path and opts.rotation == 20


def test_headless_flags(tmp_path: Path) -> None:
    opts = parse("--headless", "--frames", "5", "--out", str(tmp_path))
    assert opts.mode is OutputMode.HEADLESS and opts.frames == 5 and opts.out == tmp_path
    assert opts.render_size() == (1920, 1080)
    with pytest.raises(ValueError, match="--frames"):
        parse("--headless")
    with pytest.raises(ValueError, match="--headless"):
        parse("--out", str(tmp_path))


def test_the_token_can_come_from_the_environment(monkeypatch: Any) -> None:
    monkeypatch.setenv("PROJECTOR_DISPLAY_TOKEN", "from-env")
    assert parse().token == "from-env"


def test_sound_is_allowed_unless_the_venue_refuses_it(monkeypatch: Any) -> None:
    monkeypatch.delenv("PROJECTOR_NO_AUDIO", raising=False)
    assert parse().audio is True
    assert parse("--no-audio").audio is False
    monkeypatch.setenv("PROJECTOR_NO_AUDIO", "1")
    assert parse().audio is False
    monkeypatch.setenv("PROJECTOR_NO_AUDIO", "0")
    assert parse().audio is True


@pytest.mark.parametrize(
    "argv",
    [
        ["--size", "big"],
        ["--size", "0x0"],
        ["--size", "99999x10"],
        ["--fps", "0"],
        ["--rotation", "nan"],
        ["--monitor", "-1"],
        ["--frames", "0"],
    ],
)
def test_absurd_flags_are_refused_by_argparse(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    add_display_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(argv)


def test_a_bad_server_address_is_refused() -> None:
    with pytest.raises(ValueError, match="server"):
        parse("--server", "ftp://nowhere")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("ws://h:1/ws", "ws://h:1/ws"),
        ("http://h:8080", "ws://h:8080/ws"),
        ("https://x.org", "wss://x.org/ws"),
        ("h:9", "ws://h:9/ws"),
        ("ws://h:1", "ws://h:1/ws"),
        ("http://h/projector/", "ws://h/projector/ws"),
    ],
)
def test_websocket_url(given: str, expected: str) -> None:
    assert websocket_url(given) == expected


def test_backoff_is_fully_jittered_doubling_and_capped() -> None:
    assert backoff_delay(0, rng=lambda: 1.0) == 0.5
    assert backoff_delay(3, rng=lambda: 1.0) == 4.0
    assert backoff_delay(50, rng=lambda: 1.0) == 30.0
    assert backoff_delay(50, rng=lambda: 0.0) == 0.0
    assert all(0 <= backoff_delay(i) <= 30 for i in range(100))


def test_languages_and_the_cache_come_from_flags(tmp_path: Path) -> None:  # issue 7

    assert parse_languages("TR, en,pt_br,,tr") == ("tr", "en", "pt-BR")
    with pytest.raises(argparse.ArgumentTypeError):
        parse_languages("tr,english")
    parser = argparse.ArgumentParser()
    add_display_arguments(parser)
    opts = options_from_args(
        parser.parse_args(["--languages", "tr,en", "--cache", str(tmp_path), "--cache-size", "64"])
    )
    assert opts.languages == ("tr", "en") and opts.cache == tmp_path and opts.cache_bytes == 64 * 2**20
    assert opts.cache_dir() == tmp_path
    default = options_from_args(parser.parse_args(["--server", "http://h:1", "--name", "lobby/tv"]))
    cache_dir = default.cache_dir()
    assert cache_dir is not None and cache_dir.name == "lobby_tv"
    headless = options_from_args(parser.parse_args(["--server", "http://h:1", "--headless", "--frames", "1"]))
    assert headless.cache_dir() is None  # a render never picks up a show from an earlier run


def test_several_servers_to_fail_over_between() -> None:
    opts = parse("--server", "http://node-a:8080, http://node-b:8080")
    assert opts.servers == ("http://node-a:8080", "http://node-b:8080")
    assert opts.server == "http://node-a:8080"  # pictures and the form's address come from the first
    with pytest.raises(ValueError, match="not a server address"):
        parse("--server", "http://node-a:8080,ftp://nope")
