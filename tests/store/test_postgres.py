"""PostgreSQL's own behaviour: migrations under a lock, refusals, durability, several nodes, reconnection.

The contract every store meets runs in ``test_contract.py`` (on this store too); these
tests need a real PostgreSQL (``pg_cluster.py``) and look at what SQLite does not have.
"""

from __future__ import annotations

import threading
from contextlib import closing

import psycopg
import pytest

from projector.core.model import Channel
from projector.store.postgres import SCHEMA_VERSION, PostgresStore, describe_url
from projector.store.records import StoreError
from tests.store.pg_cluster import PostgresCluster
from tests.store.support import act

# --- the schema ------------------------------------------------------------------------------


def test_a_new_database_is_migrated_once_and_reopened_as_it_is(postgres_url: str) -> None:
    with PostgresStore(postgres_url) as store:
        assert store.schema_version() == SCHEMA_VERSION
    with PostgresStore(postgres_url) as store, psycopg.connect(postgres_url) as conn:
        rows = conn.execute("SELECT version FROM projector_schema ORDER BY version").fetchall()
        assert rows == [(v,) for v in range(1, SCHEMA_VERSION + 1)]
        assert store.action_count() == 0


def test_nodes_starting_together_on_a_new_database_migrate_it_once(postgres_url: str) -> None:
    opened: list[PostgresStore] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def node() -> None:
        start.wait()
        try:
            opened.append(PostgresStore(postgres_url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=node) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for store in opened:
        store.close()
    assert errors == [] and len(opened) == 4
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT count(*) FROM projector_schema").fetchone() == (SCHEMA_VERSION,)


def test_a_newer_schema_is_refused_with_both_versions_named(postgres_url: str) -> None:
    PostgresStore(postgres_url).close()
    with psycopg.connect(postgres_url) as conn:
        conn.execute("INSERT INTO projector_schema (version) VALUES (%s)", (SCHEMA_VERSION + 1,))
    with pytest.raises(
        StoreError, match=f"schema version {SCHEMA_VERSION + 1}, newer .*\\({SCHEMA_VERSION}\\)"
    ):
        PostgresStore(postgres_url)


def test_a_database_of_something_else_is_refused(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TABLE actions (what text)")
    with pytest.raises(StoreError, match="not a projector database"):
        PostgresStore(postgres_url)


# --- bad URLs ----------------------------------------------------------------------------------


def test_an_unreachable_database_is_one_clear_error_without_the_password() -> None:
    url = "postgresql://projector:hunter2@127.0.0.1:1/nowhere"
    with pytest.raises(StoreError) as caught:
        PostgresStore(url)
    message = str(caught.value)
    assert message.startswith("cannot connect to postgresql://projector@127.0.0.1:1/nowhere: ")
    assert "hunter2" not in message and "\n" not in message


def test_a_database_that_does_not_exist_is_named(postgres_cluster: PostgresCluster) -> None:
    with pytest.raises(StoreError, match='database "no_such_db" does not exist'):
        PostgresStore(postgres_cluster.url("no_such_db"))


@pytest.mark.parametrize("url", ["postgresql://host:notaport/db", "postgresql://x/db?nonsense=1"])
def test_a_malformed_url_is_refused(url: str) -> None:
    with pytest.raises(StoreError, match=r"database URL is not valid|cannot connect"):
        PostgresStore(url)


def test_urls_are_described_without_passwords() -> None:
    assert (
        describe_url("postgresql://ana:secret@db.example:6543/shows")
        == "postgresql://ana@db.example:6543/shows"
    )
    assert describe_url("postgres:///local") == "postgresql://localhost/local"


# --- durability and the action log -----------------------------------------------------------------


def test_commits_are_synchronous_whatever_the_database_default(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        name = conn.info.dbname
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SHOW synchronous_commit").fetchone() == ("off",)
    with PostgresStore(postgres_url) as store:
        assert store._conn.execute("SHOW synchronous_commit").fetchone() == ("on",)


def test_two_nodes_racing_the_same_ids_count_each_once(postgres_url: str) -> None:
    PostgresStore(postgres_url).close()
    ids = [f"a{i}" for i in range(400)]
    results: dict[int, int] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def node(k: int) -> None:
        try:
            send(k)
        except BaseException as exc:  # a deadlock between the nodes would land here
            errors.append(exc)

    def send(k: int) -> None:
        with PostgresStore(postgres_url) as store:
            start.wait()
            accepted = 0
            # Each node sends every id, in small batches, in opposite orders: they meet half-way,
            # each holding ids the other is about to insert.
            order = ids if k == 0 else list(reversed(ids))
            for i in range(0, len(order), 20):
                [result] = store.record_actions([[act(x, 2) for x in order[i : i + 20]]], float(i))
                accepted += len(result.accepted)
            results[k] = accepted

    threads = [threading.Thread(target=node, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results[0] + results[1] == len(ids)  # every id accepted by exactly one node
    with PostgresStore(postgres_url) as store:
        assert store.action_count() == len(ids)
        assert store.load_totals().total == 2 * len(ids)


def test_a_batch_the_database_refuses_is_the_only_one_lost(postgres_url: str) -> None:
    with PostgresStore(postgres_url) as store:
        # A rule only the database knows: the group is redone batch by batch under savepoints.
        store._conn.execute("ALTER TABLE actions ADD CONSTRAINT no_xx CHECK (country <> 'XX')")
        store.record_actions([[act("old")]], 1.0)
        good, bad, again = store.record_actions(
            [
                [act("a"), act("old")],
                [act("b"), act("x", country="XX")],
                [act("b"), act("c", channel=Channel.SMS)],
            ],
            2.0,
        )
        assert [a.id for a in good.accepted] == ["a"] and good.duplicates == 1
        assert bad.error is not None and "refused by the database" in bad.error and "no_xx" in bad.error
        assert [a.id for a in again.accepted] == ["b", "c"]  # "b" of the refused batch was not stored
        assert store.action_count() == 4


def test_a_nul_character_refuses_only_its_batch(postgres_url: str) -> None:
    with PostgresStore(postgres_url) as store:
        bad, good = store.record_actions([[act("a\x00b")], [act("ok")]], 1.0)
        assert bad.error is not None and "NUL" in bad.error
        assert [a.id for a in good.accepted] == ["ok"]


# --- a database that restarts ----------------------------------------------------------------------


def kill(store: PostgresStore) -> None:
    """End the store's session from outside, as a database restart would."""
    row = store._conn.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None
    pid = row[0]
    with psycopg.connect(store._conn.url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_broken_connection_is_replaced_at_the_next_call(postgres_url: str) -> None:
    with PostgresStore(postgres_url) as store:
        store.record_actions([[act("a")]], 1.0)
        kill(store)
        with pytest.raises(StoreError, match="unavailable"):
            store.action_count()  # the call that meets the break fails (the server's 503) ...
        assert store.action_count() == 1  # ... the next one has a new connection
        [result] = store.record_actions([[act("a"), act("b")]], 2.0)
        assert [a.id for a in result.accepted] == ["b"] and result.duplicates == 1
        for call in (lambda: store.set_setting("k", "v"), lambda: store.record_actions([[act("c")]], 3.0)):
            kill(store)
            with pytest.raises(StoreError, match="unavailable"):
                call()
            call()  # the retry works
        assert store.get_setting("k") == "v" and store.action_count() == 3


def test_the_write_lock_serialises_writers_across_nodes(postgres_url: str) -> None:
    # The pin limit is a read-then-write: without the lock, two nodes could both see 9 pins and both pin.
    with closing(PostgresStore(postgres_url)) as first, closing(PostgresStore(postgres_url)) as second:
        for i in range(14):
            first.add_message(f"m{i}", "hi", "Lea", None, None, "web", None, 1.0)
        start = threading.Barrier(2)
        outcomes: list[str] = []

        def pin(store: PostgresStore, ids: range) -> None:
            start.wait()
            for i in ids:
                try:
                    store.set_pinned(f"m{i}", True, "ana", 2.0)
                    outcomes.append("pinned")
                except ValueError:
                    outcomes.append("refused")

        threads = [
            threading.Thread(target=pin, args=(first, range(0, 14, 2))),
            threading.Thread(target=pin, args=(second, range(1, 14, 2))),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["pinned"] * 10 + ["refused"] * 4
        assert sum(m.pinned for m in first.list_messages(None, 100)) == 10
