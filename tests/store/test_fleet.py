"""The fleet in the store: display settings, declared groups, schedules (overlaps refused), stored shows."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from projector.core.model import ValidationError
from projector.core.safe_area import Box, SafeArea
from projector.core.schedule import Entry
from projector.store.fleet import SAFE_AREA_MIGRATION, DisplaySettings
from projector.store.sqlite import APPLICATION_ID, MIGRATIONS, SqliteStore, _statements

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=ZoneInfo("Europe/Istanbul"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "projector.db")
    yield s
    s.close()


def test_display_settings_survive_a_reopen_and_names_are_unique(store: SqliteStore, tmp_path: Path) -> None:
    store.save_display(DisplaySettings("laptop-3", "facade-left", ("facade", "istanbul"), 40.0), 1.0)
    store.save_display(DisplaySettings("pi-lobby", "lobby"), 1.0)
    store.save_display(DisplaySettings("laptop-3", "facade-left", ("facade",), 35.0, retired_at=9.0), 2.0)
    with pytest.raises(sqlite3.IntegrityError):
        store.save_display(DisplaySettings("other", "lobby"), 3.0)
    store.close()
    again = SqliteStore(tmp_path / "projector.db")
    try:
        assert again.fleet_displays() == [
            DisplaySettings("laptop-3", "facade-left", ("facade",), 35.0, 9.0),
            DisplaySettings("pi-lobby", "lobby", (), 0.0, None),
        ]
    finally:
        again.close()


def test_declared_groups(store: SqliteStore) -> None:
    store.declare_group("istanbul", 1.0)
    store.declare_group("istanbul", 2.0)
    store.declare_group("facade", 1.0)
    assert store.declared_groups() == ["facade", "istanbul"]
    assert store.undeclare_group("facade") and not store.undeclare_group("facade")
    assert store.declared_groups() == ["istanbul"]


def test_schedules_are_stored_and_an_overlap_for_the_same_target_is_refused(store: SqliteStore) -> None:
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


def test_stored_shows(store: SqliteStore) -> None:
    store.put_show("night", "Night", '{"id": "night"}', 1.0)
    store.put_show("night", "Night 2", '{"id": "night", "name": "Night 2"}', 2.0)
    assert store.list_shows() == [("night", "Night 2", 2.0)]
    assert store.get_show("night") == '{"id": "night", "name": "Night 2"}'
    assert store.get_show("day") is None
    assert store.delete_show("night") and store.list_shows() == []


# --- safe areas (issue 12) ------------------------------------------------------------------------

FACADE = SafeArea(0.05, 0.02, 0.1, 0.02, (Box(0.1, 0.2, 0.15, 0.3), Box(0.6, 0.2, 0.15, 0.3)))
LEFT = SafeArea(top=0.1)


def test_safe_areas_survive_a_reopen_and_clear(store: SqliteStore, tmp_path: Path) -> None:
    store.save_display(
        DisplaySettings("laptop-3", "facade", safe_area=FACADE, output_safe_areas=(("left", LEFT),)), 1.0
    )
    store.save_display(
        DisplaySettings(
            "pi-lobby", "lobby", output_safe_areas=(("main", SafeArea(avoid=(Box(0, 0, 1, 0.1),))),)
        ),
        1.0,
    )
    store.close()
    again = SqliteStore(tmp_path / "projector.db")
    try:
        facade, lobby = again.fleet_displays()
        assert facade.safe_area == FACADE and facade.output_safe_areas == (("left", LEFT),)
        assert lobby.safe_area is None and lobby.output_safe_areas[0][1].avoid == (Box(0, 0, 1, 0.1),)
        again.save_display(DisplaySettings("laptop-3", "facade"), 2.0)  # cleared
        assert again.fleet_displays()[0] == DisplaySettings("laptop-3", "facade")
    finally:
        again.close()


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


def test_a_stored_safe_area_that_no_longer_parses_is_dropped_not_fatal(store: SqliteStore) -> None:
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
