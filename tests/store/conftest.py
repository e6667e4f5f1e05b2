"""The ``store`` fixture: every store implementation the contract tests run against.

Contract tests (``test_contract.py``, ``test_fleet.py``) ask for ``store`` (an
open ``Store``) or ``open_store`` (a factory: each call opens the same
database again, as a restart would). Both are parametrised over ``STORES``:
SQLite (a file in ``tmp_path``) and PostgreSQL (a fresh database on the session's
throwaway cluster, ``pg_cluster.py``; started only when a PostgreSQL test runs).
Tests of one database's own behaviour (files, pragmas, migrations) use
``SqliteStore`` or ``PostgresStore`` directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from projector.store.base import Store
from projector.store.postgres import PostgresStore
from projector.store.sqlite import SqliteStore
from tests.store.pg_cluster import postgres_cluster, postgres_url
from tests.store.support import StoreFactory

__all__ = ["postgres_cluster", "postgres_url"]  # fixtures for the tests here


def _sqlite(request: pytest.FixtureRequest) -> StoreFactory:
    path = request.getfixturevalue("tmp_path") / "projector.db"
    return lambda: SqliteStore(path)


def _postgres(request: pytest.FixtureRequest) -> StoreFactory:
    url: str = request.getfixturevalue("postgres_url")
    return lambda: PostgresStore(url)


#: Implementation name -> how to get a factory for a fresh, empty database.
STORES: dict[str, Callable[[pytest.FixtureRequest], StoreFactory]] = {
    "sqlite": _sqlite,
    "postgres": _postgres,
}


@pytest.fixture(params=sorted(STORES))
def open_store(request: pytest.FixtureRequest) -> StoreFactory:
    # ``request.param`` is typed Any by pytest; it is one of the keys of STORES.
    name: str = request.param
    return STORES[name](request)


@pytest.fixture
def store(open_store: StoreFactory) -> Iterator[Store]:
    s = open_store()
    yield s
    s.close()
