"""The fleet in the store: display settings, declared groups, schedules (overlaps refused), stored shows."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from projector.core.model import ValidationError
from projector.core.safe_area import Box, SafeArea
from projector.core.schedule import Entry
from projector.store.base import Store
from projector.store.fleet import SAFE_AREA_MIGRATION, DisplaySettings
from projector.store.sqlite import APPLICATION_ID, MIGRATIONS, SqliteStore, _statements
from tests.store.support import StoreFactory

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=ZoneInfo("Europe/Istanbul"))


# ``store`` and ``open_store`` (conftest.py) run these against every store; the tests that
# look inside the SQLite file (migrations, hand-edited rows, its exception) use ``SqliteStore``.


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "projector.db") as s:
        yield s


def test_display_settings_survive_a_reopen(store: Store, open_store: StoreFactory) -> None:
    store.save_display(DisplaySettings("laptop-3", "facade-left", ("facade", "istanbul"), 40.0), 1.0)
    store.save_display(DisplaySettings("pi-lobby", "lobby"), 1.0)
    store.save_display(DisplaySettings("laptop-3", "facade-left", ("facade",), 35.0, retired_at=9.0), 2.0)
    with closing(open_store()) as again:
        assert again.fleet_displays() == [
            DisplaySettings("laptop-3", "facade-left", ("facade",), 35.0, 9.0),
            DisplaySettings("pi-lobby", "lobby", (), 0.0, None),
        ]


def test_sqlite_refuses_a_display_name_another_display_has(sqlite_store: SqliteStore) -> None:
    sqlite_store.save_display(DisplaySettings("pi-lobby", "lobby"), 1.0)
    with pytest.raises(sqlite3.IntegrityError):
        sqlite_store.save_display(DisplaySettings("other", "lobby"), 3.0)


def test_declared_groups(store: Store) -> None:
    store.declare_group("istanbul", 1.0)
    store.declare_group("istanbul", 2.0)
    store.declare_group("facade", 1.0)
    assert store.declared_groups() == ["facade", "istanbul"]
    assert store.undeclare_group("facade") and not store.undeclare_group("facade")
    assert store.declared_groups() == ["istanbul"]


def test_schedules_are_stored_and_an_overlap_for_the_same_target_is_refused(store: Store) -> None:
    dusk = store.add_schedule(Entry("group:facade", "show:night", 18 * 60, 2 * 60, days=(4, 5)), NOW)
    gala = store.add_schedule(Entry("all", "cue:gala", 20 * 60, 21 * 60, on=date(2026, 11, 27)), NOW)
    assert dusk.id is not None and gala.id == dusk.id + 1
    with pytest.raises(ValidationError, match=f"overlaps #{dusk.id}"):
        store.add_schedule(Entry("group:facade", "cue:x", 60, 3 * 60, days=(5,)), NOW)  # Saturday 01:00
    store.add_schedule(Entry("group:lobby", "cue:x", 60, 3 * 60, days=(5,)), NOW)  # another target
    assert [e.what for e in store.list_schedules()] == ["show:night", "cue:gala", "cue:x"]
    assert store.list_schedules()[1] == gala
    assert store.delete_schedule(gala.id or 0) and not store.delete_schedule(gala.id or 0)
    assert len(store.list_schedules()) == 2


def test_stored_shows(store: Store) -> None:
    store.put_show("night", "Night", '{"id": "night"}', 1.0)
    store.put_show("night", "Night 2", '{"id": "night", "name": "Night 2"}', 2.0)
    assert store.list_shows() == [("night", "Night 2", 2.0)]
    assert store.get_show("night") == '{"id": "night", "name": "Night 2"}'
    assert store.get_show("day") is None
    assert store.delete_show("night") and store.list_shows() == []


# --- safe areas (issue 12) ------------------------------------------------------------------------

FACADE = SafeArea(0.05, 0.02, 0.1, 0.02, (Box(0.1, 0.2, 0.15, 0.3), Box(0.6, 0.2, 0.15, 0.3)))
LEFT = SafeArea(top=0.1)


def test_safe_areas_survive_a_reopen_and_clear(store: Store, open_store: StoreFactory) -> None:
    store.save_display(
        DisplaySettings("laptop-3", "facade", safe_area=FACADE, output_safe_areas=(("left", LEFT),)), 1.0
    )
    store.save_display(
        DisplaySettings(
            "pi-lobby", "lobby", output_safe_areas=(("main", SafeArea(avoid=(Box(0, 0, 1, 0.1),))),)
        ),
        1.0,
    )
    with closing(open_store()) as again:
        facade, lobby = again.fleet_displays()
        assert facade.safe_area == FACADE and facade.output_safe_areas == (("left", LEFT),)
        assert lobby.safe_area is None and lobby.output_safe_areas[0][1].avoid == (Box(0, 0, 1, 0.1),)
        again.save_display(DisplaySettings("laptop-3", "facade"), 2.0)  # cleared
        assert again.fleet_displays()[0] == DisplaySettings("laptop-3", "facade")


def test_a_database_from_before_safe_areas_is_migrated_keeping_its_displays(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    before = MIGRATIONS.index(SAFE_AREA_MIGRATION)
    for migration in MIGRATIONS[:before]:
        for statement in _statements(migration):
            conn.execute(statement)
    conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version={before}")
    conn.execute(
        "INSERT INTO fleet_displays (hello_name, name, groups, latency_ms, updated_at)"
        " VALUES ('pi', 'lobby', '[\"hall\"]', 25, 1)"
    )
    conn.close()
    store = SqliteStore(path)
    try:
        assert store.fleet_displays() == [DisplaySettings("pi", "lobby", ("hall",), 25.0)]
        store.save_display(DisplaySettings("pi", "lobby", ("hall",), 25.0, safe_area=LEFT), 2.0)
        assert store.fleet_displays()[0].safe_area == LEFT
    finally:
        store.close()


def test_a_stored_safe_area_that_no_longer_parses_is_dropped_not_fatal(sqlite_store: SqliteStore) -> None:
    store = sqlite_store  # rows edited by hand, as an operator might
    store.save_display(
        DisplaySettings("pi", "lobby", safe_area=LEFT, output_safe_areas=(("main", LEFT),)), 1.0
    )
    with store._transaction() as conn:
        conn.execute(
            'UPDATE fleet_displays SET safe_area = \'{"margins": {"top": 0.9}}\','
            ' output_safe_areas = \'{"main": "nonsense", "side": {"margins": {"left": 0.2}}}\''
        )
    [lobby] = store.fleet_displays()
    assert lobby.safe_area is None
    assert lobby.output_safe_areas == (("side", SafeArea(left=0.2)),)
