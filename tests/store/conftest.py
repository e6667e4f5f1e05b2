"""The ``store`` fixture: every store implementation the contract tests run against.

Contract tests (``test_contract.py``, ``test_fleet.py``) ask for ``store`` (an
open ``Store``) or ``open_store`` (a factory: each call opens the same
database again, as a restart would). Both are parametrised over ``STORES``, so
a PostgreSQL store joins the suite by adding one entry there. Tests of
SQLite's own behaviour (files, pragmas, migrations) use ``SqliteStore`` directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from projector.store.base import Store
from projector.store.sqlite import SqliteStore
from tests.store.support import StoreFactory


def _sqlite(tmp_path: Path) -> StoreFactory:
    path = tmp_path / "projector.db"
    return lambda: SqliteStore(path)


#: Implementation name -> how to get a factory for a fresh, empty database in ``tmp_path``.
STORES: dict[str, Callable[[Path], StoreFactory]] = {"sqlite": _sqlite}


@pytest.fixture(params=sorted(STORES))
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    # ``request.param`` is typed Any by pytest; it is one of the keys of STORES.
    name: str = request.param
    return STORES[name](tmp_path)


@pytest.fixture
def store(open_store: StoreFactory) -> Iterator[Store]:
    s = open_store()
    yield s
    s.close()
