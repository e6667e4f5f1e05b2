"""``SqliteStore`` and ``PostgresStore`` meet the ``Store`` protocol, checked twice.

Statically: ``_is_a_store`` only type-checks if each store has every
member of ``Store`` with a compatible signature (run ``mypy --strict`` on this
file). At run time: the tests below, so a plain ``pytest`` run notices a
method added to the protocol but not to the store, or a signature that drifted.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from projector.store.base import Store
from projector.store.postgres import PostgresStore
from projector.store.sqlite import SqliteStore
from projector.store.writer import StoreWriter


def _is_a_store(store: SqliteStore) -> Store:
    return store  # mypy: SqliteStore is structurally a Store


def _postgres_is_a_store(store: PostgresStore) -> Store:
    return store  # mypy: PostgresStore is structurally a Store


def _protocol_members() -> list[str]:
    # ``Protocol`` adds private machinery (``_is_protocol``, ...); public names are the contract.
    return sorted(name for name in vars(Store) if not name.startswith("_"))


def test_the_protocol_lists_what_the_callers_use() -> None:
    members = _protocol_members()
    assert len(members) >= 50  # a sanity floor: an emptied protocol would pass the next test
    assert {"record_actions", "load_totals", "verify_token", "add_message", "save_display"} <= set(members)


@pytest.mark.parametrize("implementation", [SqliteStore, PostgresStore], ids=["sqlite", "postgres"])
def test_each_store_has_every_member_with_the_same_parameters(implementation: type[Store]) -> None:
    for name in _protocol_members():
        implemented = getattr(implementation, name, None)
        assert callable(implemented), f"{implementation.__name__} lacks {name}"
        wanted = [
            (p.name, p.kind, p.default) for p in inspect.signature(getattr(Store, name)).parameters.values()
        ]
        found = [(p.name, p.kind, p.default) for p in inspect.signature(implemented).parameters.values()]
        assert found == wanted, name


def test_the_only_public_extras_are_database_specific() -> None:
    # A public method the server may call must be on the protocol, or a second store would lack it.
    def extras(implementation: type[object]) -> set[str]:
        return {name for name in dir(implementation) if not name.startswith("_")} - set(_protocol_members())

    # ``put_setting_in`` writes inside a transaction the caller holds (both stores have it).
    assert extras(SqliteStore) == {"journal_mode", "put_setting_in"}  # ``path`` is an instance attribute
    # ``where`` and ``record_hook`` are instance attributes; the connection and the consistent
    # read are what a node's shared show builds on (``projector/server/shared_show.py``).
    assert extras(PostgresStore) == {"schema_version", "put_setting_in", "connection", "consistent_read"}


def test_an_opened_sqlite_store_is_a_store(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "projector.db") as opened:
        store = _is_a_store(opened)
        assert store.action_count() == 0


async def test_the_writer_runs_any_store_its_factory_opens(tmp_path: Path) -> None:
    opened: list[Store] = []

    def factory() -> Store:
        store = SqliteStore(tmp_path / "elsewhere.db")
        opened.append(store)
        return store

    writer = StoreWriter(tmp_path / "named-in-errors.db", factory=factory)
    writer.start()
    try:
        assert await writer.call(lambda s: s is opened[0])
        assert await writer.call(lambda s: s.action_count()) == 0
    finally:
        await writer.aclose()
    assert (tmp_path / "elsewhere.db").exists()
    assert not (tmp_path / "named-in-errors.db").exists()
