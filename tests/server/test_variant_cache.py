"""The ad-hoc variant cache: focus points on a grid, files evicted least recently used first."""

from __future__ import annotations

from pathlib import Path

from media.variants import VARIANTS
from projector.server.variant_cache import FOCUS_GRID, VariantCache, snap

HASH = "ab" * 32


def _file(cache: VariantCache, x: float, size: int = 100) -> Path:
    path = cache.path(HASH, VARIANTS["portrait-1080"], (x, 0.5))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return path


def test_a_focus_snaps_to_the_grid_so_the_set_is_finite() -> None:
    assert FOCUS_GRID == 20
    assert snap((0.512, 0.288)) == (0.5, 0.3)
    assert snap((0.0, 1.0)) == (0.0, 1.0)
    points = {snap((i / 997, j / 991)) for i in range(998) for j in range(992)}
    assert len(points) == (FOCUS_GRID + 1) ** 2


def test_least_recently_used_go_first_and_a_file_being_sent_stays(tmp_path: Path) -> None:
    cache = VariantCache(tmp_path / "adhoc", max_bytes=250)
    a, b = _file(cache, 0.1), _file(cache, 0.2)
    cache.added(a, 100)
    cache.added(b, 100)
    with cache.using(a):  # a is used again: b is now the oldest
        pass
    c = _file(cache, 0.3)
    with cache.using(c):
        cache.added(c, 100)
    assert not b.exists() and a.exists() and c.exists() and cache.total == 200
    with cache.using(a):  # being sent: skipped, the next oldest goes instead
        d = _file(cache, 0.4)
        cache.added(d, 100)
        assert a.exists() and not c.exists() and d.exists()


def test_files_kept_for_their_readers_go_when_the_last_reader_is_done(tmp_path: Path) -> None:
    cache = VariantCache(tmp_path / "adhoc", max_bytes=250)
    files = [_file(cache, i / 10) for i in range(1, 5)]
    with cache.using(files[0]), cache.using(files[1]), cache.using(files[2]), cache.using(files[3]):
        for f in files:
            cache.added(f, 100)  # all four being sent: none can go yet
        assert cache.total == 400 and all(f.exists() for f in files)
    # Back within the bound once they are sent, without waiting for another file to be made.
    assert cache.total <= 250 and sum(f.exists() for f in files) == 2
    assert files[3].exists()  # the most recently used stays


def test_what_an_earlier_run_left_is_counted_and_trimmed(tmp_path: Path) -> None:
    cache = VariantCache(tmp_path / "adhoc", max_bytes=250)
    paths = [_file(cache, x / 10) for x in range(5)]
    (paths[0].parent / ".variant-abc").write_bytes(b"half-written")
    again = VariantCache(tmp_path / "adhoc", max_bytes=250)
    again.load()
    assert len(again) == 2 and again.total == 200
    assert not (paths[0].parent / ".variant-abc").exists()
    assert sum(p.exists() for p in paths) == 2
