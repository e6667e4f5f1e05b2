"""Uploaded files' shared copy in PostgreSQL: in once, out whole and checked, on a real database."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import psycopg
import pytest

from projector.store.media_bytes import CHUNK_BYTES, MediaBytes
from projector.store.postgres import PostgresStore
from projector.store.records import StoreError
from tests.store.pg_cluster import postgres_cluster, postgres_url

__all__ = ["postgres_cluster", "postgres_url"]


def _file(folder: Path, size: int) -> tuple[str, Path]:
    data = os.urandom(size)
    media_hash = hashlib.sha256(data).hexdigest()
    path = folder / media_hash
    path.write_bytes(data)
    return media_hash, path


@pytest.fixture
def shared(postgres_url: str) -> MediaBytes:
    PostgresStore(postgres_url).close()  # the schema, as a node's start makes it
    return MediaBytes(postgres_url)


def _chunks(url: str, media_hash: str) -> list[int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT octet_length(data) FROM media_chunks WHERE hash = %s ORDER BY n", (media_hash,)
        ).fetchall()
    return [int(r[0]) for r in rows]


def test_a_file_goes_in_by_chunks_and_comes_out_whole(shared: MediaBytes, tmp_path: Path) -> None:
    media_hash, path = _file(tmp_path, 2 * CHUNK_BYTES + 12345)
    shared.put(media_hash, path)
    assert _chunks(shared.url, media_hash) == [CHUNK_BYTES, CHUNK_BYTES, 12345]
    dest = tmp_path / "node-b" / media_hash[:2] / media_hash
    assert shared.get(media_hash, dest)
    assert dest.read_bytes() == path.read_bytes()
    assert [p.name for p in dest.parent.iterdir()] == [media_hash]  # no partial file left


def test_putting_the_same_file_twice_keeps_one_copy(shared: MediaBytes, tmp_path: Path) -> None:
    media_hash, path = _file(tmp_path, 5000)
    shared.put(media_hash, path)
    shared.put(media_hash, path)
    assert _chunks(shared.url, media_hash) == [5000]


def test_a_copy_cut_short_is_made_whole_by_the_next_put(shared: MediaBytes, tmp_path: Path) -> None:
    media_hash, path = _file(tmp_path, CHUNK_BYTES + 10)
    shared.put(media_hash, path)
    with psycopg.connect(shared.url, autocommit=True) as conn:
        conn.execute("DELETE FROM media_chunks WHERE hash = %s AND n = 1", (media_hash,))
    shared.put(media_hash, path)
    assert _chunks(shared.url, media_hash) == [CHUNK_BYTES, 10]


def test_an_unknown_file_is_false_and_writes_nothing(shared: MediaBytes, tmp_path: Path) -> None:
    dest = tmp_path / "out" / ("ab" * 32)
    assert not shared.get("ab" * 32, dest)
    assert not dest.exists() and list(dest.parent.iterdir()) == []


def test_a_damaged_copy_is_refused_and_never_served(shared: MediaBytes, tmp_path: Path) -> None:
    media_hash, path = _file(tmp_path, 3000)
    shared.put(media_hash, path)
    with psycopg.connect(shared.url, autocommit=True) as conn:
        conn.execute("UPDATE media_chunks SET data = %s WHERE hash = %s", (b"x" * 3000, media_hash))
    dest = tmp_path / "out" / media_hash
    with pytest.raises(StoreError, match="does not match its hash"):
        shared.get(media_hash, dest)
    assert not dest.exists() and list(dest.parent.iterdir()) == []


def test_a_database_that_is_away_is_a_store_error(tmp_path: Path) -> None:
    media_hash, path = _file(tmp_path, 10)
    away = MediaBytes("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
    with pytest.raises(StoreError, match="cannot connect"):
        away.put(media_hash, path)
    with pytest.raises(StoreError, match="cannot connect"):
        away.get(media_hash, tmp_path / "x")


def test_missing_names_the_files_without_a_whole_copy(shared: MediaBytes, tmp_path: Path) -> None:
    whole, path = _file(tmp_path, 4000)
    shared.put(whole, path)
    cut, cut_path = _file(tmp_path, CHUNK_BYTES + 1)
    shared.put(cut, cut_path)
    with psycopg.connect(shared.url, autocommit=True) as conn:
        conn.execute("DELETE FROM media_chunks WHERE hash = %s AND n = 1", (cut,))
    absent = "cd" * 32
    assert shared.missing({whole: 4000, cut: CHUNK_BYTES + 1, absent: 10}) == [cut, absent]
    assert shared.missing({}) == []
