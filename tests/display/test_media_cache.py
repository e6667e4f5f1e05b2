"""A display's media cache against a real HTTP server: verified, resumed, bounded, and calm when things break."""

from __future__ import annotations

import errno
import io
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pytest
from PIL import Image

from projector.core.model import Brand, Campaign, Case, CaseText
from projector.core.state import ShowState
from projector.display.media_cache import STATE_FILE, MediaCache, media_base_url, needed_media
from tests.display.media_server import MediaServer

TOKEN = "display-token"


def picture(seed: int, side: int = 200) -> bytes:
    """A PNG of some tens of kilobytes, different for every seed."""
    out = io.BytesIO()
    Image.effect_noise((side, side), 40 + seed).convert("RGB").save(out, "PNG")
    return out.getvalue()


def wait_until(predicate: Callable[[], object], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[MediaServer]:
    with MediaServer(tmp_path, TOKEN) as s:
        yield s


def cache_for(tmp_path: Path, server: MediaServer, **kw: object) -> MediaCache:
    kw.setdefault("retry", (0.05, 0.2))
    return MediaCache(tmp_path / "cache", server=server.base + "/ws", token=TOKEN, **kw)  # type: ignore[arg-type]


def test_pictures_are_fetched_verified_and_counted(tmp_path: Path, server: MediaServer) -> None:
    hashes = [server.add(picture(i)) for i in range(3)]
    cache = cache_for(tmp_path, server)
    try:
        assert cache.path(hashes[0]) is None
        cache.want(hashes)
        wait_until(lambda: cache.counts() == (3, 0))
        for h in hashes:
            path = cache.path(h)
            assert path is not None and path.read_bytes() == (server.dir / h).read_bytes()
        assert not list(cache.media_dir.glob("*.part"))
    finally:
        cache.close()


def test_a_download_that_does_not_match_its_hash_is_refused(
    tmp_path: Path, server: MediaServer, caplog: pytest.LogCaptureFixture
) -> None:
    good = picture(1)
    h = server.add(good)
    server.lies[h] = picture(2)  # a proxy, a bug or an attacker sends other bytes
    cache = cache_for(tmp_path, server)
    try:
        cache.want([h])
        wait_until(lambda: "does not match its hash" in caplog.text)
        assert cache.path(h) is None and cache.counts() == (0, 1)
        assert not (cache.media_dir / h).exists() and not (cache.media_dir / f"{h}.part").exists()
        del server.lies[h]  # the right bytes, next try
        wait_until(lambda: cache.path(h) is not None)
        assert cache.path(h).read_bytes() == good  # type: ignore[union-attr]
    finally:
        cache.close()


def test_a_download_cut_halfway_resumes_from_where_it_stopped(tmp_path: Path, server: MediaServer) -> None:
    data = picture(3, side=400)
    h = server.add(data)
    server.cut_once.add(h)
    cache = cache_for(tmp_path, server)
    try:
        cache.want([h])
        wait_until(lambda: cache.path(h) is not None)
        assert cache.path(h).read_bytes() == data  # type: ignore[union-attr]
    finally:
        cache.close()
    assert len(server.requests) == 2, server.requests
    assert "Range" not in server.requests[0]
    first = int(server.requests[1]["Range"].removeprefix("bytes=").rstrip("-"))
    assert 0 < first <= len(data) // 2  # only the missing half was asked for
    assert server.requests[1]["If-Range"] == f'"{h}"'
    assert cache.resumed == 1


def test_the_cache_stays_within_its_bound_evicting_least_recently_used_but_never_what_the_show_needs(
    tmp_path: Path, server: MediaServer
) -> None:
    pictures = {i: picture(i) for i in range(5)}
    hashes = {i: server.add(data) for i, data in pictures.items()}
    size = max(len(d) for d in pictures.values())
    cache = cache_for(tmp_path, server, max_bytes=int(size * 3.5))
    try:
        cache.want([hashes[0], hashes[1], hashes[2]])
        wait_until(lambda: cache.counts() == (3, 0))
        cache.path(hashes[0])  # 0 was shown again just now: 1 is the least recently used
        cache.want([hashes[3], hashes[4]])
        wait_until(lambda: cache.counts() == (2, 0))
        on_disk = {p.name for p in cache.media_dir.iterdir()}
        assert hashes[3] in on_disk and hashes[4] in on_disk
        assert hashes[1] not in on_disk and hashes[2] not in on_disk  # the two least recently used went
        assert hashes[0] in on_disk
        assert sum(p.stat().st_size for p in cache.media_dir.iterdir()) <= size * 3.5
    finally:
        cache.close()


def test_a_show_bigger_than_the_cache_keeps_everything_it_needs_and_says_so(
    tmp_path: Path, server: MediaServer, caplog: pytest.LogCaptureFixture
) -> None:
    hashes = [server.add(picture(i)) for i in range(3)]
    cache = cache_for(tmp_path, server, max_bytes=1000)
    try:
        cache.want(hashes)
        wait_until(lambda: cache.counts() == (3, 0))
        assert "more pictures" in caplog.text and "than the cache may hold" in caplog.text
    finally:
        cache.close()


def test_a_full_disk_is_logged_and_retried_without_a_crash(
    tmp_path: Path, server: MediaServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = server.add(picture(9))
    h = server.add(picture(1))
    cache = cache_for(tmp_path, server)
    try:
        cache.want([old])
        wait_until(lambda: cache.counts() == (1, 0))

        def full(self: MediaCache, out: object, chunk: bytes) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(MediaCache, "_write_chunk", full)
        cache.want([h])
        wait_until(lambda: "disk full" in caplog.text)
        assert cache.path(h) is None and not (cache.media_dir / f"{h}.part").exists()
        assert not (cache.media_dir / old).exists()  # room was made: it is not needed any more
        monkeypatch.undo()  # space again
        wait_until(lambda: cache.path(h) is not None)
        assert cache._thread.is_alive()
    finally:
        cache.close()


def test_names_that_are_not_hashes_never_become_paths(tmp_path: Path, server: MediaServer) -> None:
    cache = cache_for(tmp_path, server)
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    try:
        cache.want(["../../secret.txt", "/etc/passwd", "A" * 64, "0" * 63, "../" + "0" * 61])
        assert cache.counts() == (0, 0)
        time.sleep(0.2)
        assert server.requests == []
        assert cache.path("../../secret.txt") is None and cache.path("../secret.txt") is None
    finally:
        cache.close()


def test_a_cached_file_that_rotted_is_refused_and_fetched_again(tmp_path: Path, server: MediaServer) -> None:
    data = picture(4)
    h = server.add(data)
    media = tmp_path / "cache" / "media"
    media.mkdir(parents=True)
    (media / h).write_bytes(data[:-10] + b"0123456789")  # same name, other bytes: a bad sector
    (media / "not-a-hash.png").write_bytes(b"x")
    cache = cache_for(tmp_path, server)
    try:
        cache.want([h])
        wait_until(lambda: cache.path(h) is not None)
        assert cache.path(h).read_bytes() == data  # type: ignore[union-attr]
        assert len(server.requests) == 1
    finally:
        cache.close()


def test_an_unreachable_server_counts_missing_and_retries(tmp_path: Path, server: MediaServer) -> None:
    data = picture(5)
    h = server.add(data)
    server.stop()
    cache = cache_for(tmp_path, server)
    try:
        cache.want([h])
        time.sleep(0.3)
        assert cache.counts() == (0, 1) and cache._thread.is_alive()
    finally:
        cache.close()


def test_a_refused_token_is_not_a_crash(
    tmp_path: Path, server: MediaServer, caplog: pytest.LogCaptureFixture
) -> None:
    h = server.add(picture(6))
    cache = MediaCache(tmp_path / "cache", server=server.base, token="wrong", retry=(0.05, 0.2))
    try:
        with caplog.at_level(logging.WARNING):
            cache.want([h])
            wait_until(lambda: "token was refused" in caplog.text)
        assert cache.counts() == (0, 1)
    finally:
        cache.close()


def two_language_state() -> ShowState:
    case = Case(
        "ayse",
        "Ayşe",
        "TR",
        "Journalist jailed.",
        "Write now.",
        portrait="ab" * 32,
        lang="en",
        translations=MappingProxyType({"tr": CaseText("Gazeteci tutuklandı.", "Hemen yazın.")}),
        focus=(0.5, 0.3),
    )
    return ShowState(rev=7, cases=MappingProxyType({case.id: case}))


def test_the_show_is_saved_atomically_and_read_back(tmp_path: Path) -> None:
    cache = MediaCache(tmp_path / "cache")
    state = two_language_state()
    cache.save_state(state)
    cache.close()  # flushes
    assert not list((tmp_path / "cache").glob(".tmp-*"))
    again = MediaCache(tmp_path / "cache")
    try:
        loaded = again.load_state()
    finally:
        again.close()
    assert loaded is not None and loaded.rev == 7 and loaded.cases == state.cases
    assert needed_media(loaded) == {"ab" * 32}


def test_an_unreadable_saved_show_is_ignored(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "cache"
    root.mkdir()
    (root / STATE_FILE).write_text('{"v": 1, "type": "snapshot", "rev": ')
    cache = MediaCache(root)
    try:
        assert cache.load_state() is None
    finally:
        cache.close()
    assert "unreadable" in caplog.text


def test_media_base_url_follows_the_display_server_address() -> None:
    assert media_base_url("http://h:8080") == "http://h:8080"
    assert media_base_url("ws://h:8080/ws") == "http://h:8080"
    assert media_base_url("wss://example.org/projector/ws") == "https://example.org/projector"
    assert media_base_url("h:9") == "http://h:9"


def test_an_unwritable_cache_folder_is_not_a_crash(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = MediaCache(blocker / "cache")
    try:
        assert not cache.usable and cache.path("ab" * 32) is None
        cache.save_state(two_language_state())
    finally:
        cache.close()
    assert "cannot be created" in caplog.text
    assert os.path.isfile(blocker)


def test_the_brand_logo_and_the_layouts_pictures_are_fetched_with_the_portraits() -> None:
    image = "cd" * 32
    layouts = {
        "tonight": f"[[regions]]\nkind = 'image'\nmedia = '{image}'\nx = 0\ny = 0\nw = 1\nh = 1\n",
        "broken": "[[regions]\n",  # one that does not parse names nothing and breaks nothing
    }
    campaign = Campaign(brand=Brand(logo="ef" * 32), layouts=MappingProxyType(layouts))
    state = replace(ShowState(), campaign=campaign)
    assert needed_media(state) == {"ef" * 32, image}
    # The kit's uploaded headline font is fetched the same way; a packaged font needs nothing.
    font = "0f" * 32
    state = replace(state, campaign=replace(campaign, brand=Brand(logo="ef" * 32, font=f"upload:{font}")))
    assert needed_media(state) == {"ef" * 32, image, font}
