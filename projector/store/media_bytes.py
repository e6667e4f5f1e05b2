"""Uploaded files' bytes in PostgreSQL, so every node can serve what any node took in (issue 17).

One node keeps its pictures and videos in the library beside its database
(``media.library``). Several nodes on one PostgreSQL database do not share a disk:
a portrait uploaded through node A must still reach a display connected to node B.
So a node that takes an upload also writes the file's bytes into ``media_chunks``
(content-addressed, as the library is: the key is the SHA-256 the file is named by),
and a node that is asked for a file it lacks copies it from there into its own
library once, checking the hash, then serves it from disk as before. The database
is the shared copy; each node's library is a cache of it.

The bytes go in before the ``media`` row that names them (``MediaService.record``),
so a row another node sees always has its bytes; a crash between the two leaves
only chunks no row names, which the next upload of the same file reuses.

Each call opens a connection of its own rather than using the store's: a video of
hundreds of megabytes must not hold the writer thread (and every action behind it)
for the seconds its copy takes. Copies are rare (one per file per node).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

import psycopg

from projector.store.postgres import PgConnection
from projector.store.records import StoreError

#: Bytes per row of ``media_chunks``: large enough that a video is a few hundred rows,
#: small enough that a read or a write never holds more than this in memory at once.
CHUNK_BYTES = 1 << 20


class MediaBytes:
    """The shared copy of every uploaded file, in the database at ``url``."""

    def __init__(self, url: str) -> None:
        self.url = url

    def put(self, media_hash: str, path: Path) -> None:
        """Copy the file at ``path`` (named by its hash) into the database, unless it is there.

        Blocking: run it off the event loop. ``StoreError`` when the database cannot be
        reached (the upload is then refused with a 503: a file only one node has would
        break the others' displays).
        """
        conn = PgConnection(self.url)
        try:
            with conn.unavailable_as_store_error(), conn.raw.transaction():
                raw = conn.raw
                # One writer per hash at a time; a second upload of the same file waits, then finds it.
                raw.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (media_hash,))
                if self._stored(raw, media_hash, path.stat().st_size):
                    return
                raw.execute("DELETE FROM media_chunks WHERE hash = %s", (media_hash,))  # a copy cut short
                with path.open("rb") as f:
                    for n, chunk in enumerate(iter(lambda: f.read(CHUNK_BYTES), b"")):
                        raw.execute(
                            "INSERT INTO media_chunks (hash, n, data) VALUES (%s, %s, %s)",
                            (media_hash, n, chunk),
                        )
        finally:
            conn.close()

    def missing(self, sizes: dict[str, int]) -> list[str]:
        """Of the files named (hash: size in bytes), those the database has no whole copy of."""
        if not sizes:
            return []
        conn = PgConnection(self.url)
        try:
            with conn.unavailable_as_store_error():
                rows = conn.raw.execute(
                    "SELECT hash, sum(octet_length(data)) FROM media_chunks WHERE hash = ANY(%s) GROUP BY hash",
                    (list(sizes),),
                ).fetchall()
        finally:
            conn.close()
        stored = {str(h): int(str(n)) for h, n in rows}
        return [h for h, size in sizes.items() if stored.get(h) != size]

    def get(self, media_hash: str, dest: Path) -> bool:
        """Copy the file named ``media_hash`` from the database to ``dest``; False if it has none.

        Written beside ``dest`` and renamed into place only once its SHA-256 is the hash,
        so a reader never sees half a file and a damaged copy is never served.
        Blocking: run it off the event loop.
        """
        conn = PgConnection(self.url)
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_name(f".fetch-{dest.name}-{os.getpid()}")
        digest = hashlib.sha256()
        found = False
        try:
            with conn.unavailable_as_store_error(), conn.raw.transaction(), partial.open("wb") as out:
                raw = conn.raw
                # A server-side cursor: the rows come a few at a time, never the whole video at once.
                with raw.cursor(name="media_chunks") as cursor:
                    cursor.itersize = 4
                    cursor.execute("SELECT data FROM media_chunks WHERE hash = %s ORDER BY n", (media_hash,))
                    for (data,) in cursor:
                        found = True
                        digest.update(data)
                        out.write(data)
                out.flush()
                os.fsync(out.fileno())
            if not found:
                return False
            if digest.hexdigest() != media_hash:
                raise StoreError(f"media {media_hash[:12]}…: the database's copy does not match its hash")
            os.replace(partial, dest)
            return True
        except psycopg.Error as exc:  # not a lost connection (that is a StoreError already)
            raise StoreError(f"media {media_hash[:12]}…: cannot read it from the database: {exc}") from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
            conn.close()

    @staticmethod
    def _stored(raw: psycopg.Connection[tuple[object, ...]], media_hash: str, size: int) -> bool:
        row = raw.execute(
            "SELECT coalesce(sum(octet_length(data)), 0) FROM media_chunks WHERE hash = %s", (media_hash,)
        ).fetchone()
        return row is not None and int(str(row[0])) == size
