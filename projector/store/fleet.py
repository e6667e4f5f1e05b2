"""Displays as a fleet in the store: names, groups, latency offsets, safe areas, retirements,
schedules, stored shows.

A display is known by the name its ``hello`` carries (``hello_name``: set on
the display machine, ``--name``); an operator may give it another ``name``,
put it in groups, give it a latency offset and a safe area (for its canvas and
per output), all kept here, so a display that restarts comes back as the
operator left it. A display without a row here is simply called by its hello
name and is in no group.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from projector.core.model import ValidationError
from projector.core.safe_area import SafeArea, parse_safe_area, safe_area_to_wire
from projector.core.schedule import Entry, check_overlaps
from projector.store.connection import StoreBase

log = logging.getLogger("projector.store")

#: Schema migration for the fleet: ONE entry of ``MIGRATIONS``; its text is final once released.
FLEET_MIGRATION = """
    CREATE TABLE fleet_displays (
        hello_name TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        groups TEXT NOT NULL DEFAULT '[]',
        latency_ms REAL NOT NULL DEFAULT 0 CHECK (latency_ms >= 0),
        retired_at REAL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE fleet_groups (
        name TEXT PRIMARY KEY,
        created_at REAL NOT NULL
    );
    CREATE TABLE schedules (
        id INTEGER PRIMARY KEY,
        target TEXT NOT NULL,
        what TEXT NOT NULL,
        days TEXT,
        on_date TEXT,
        start_min INTEGER NOT NULL CHECK (start_min BETWEEN 0 AND 1439),
        end_min INTEGER NOT NULL CHECK (end_min BETWEEN 0 AND 1439),
        label TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        CHECK ((days IS NULL) <> (on_date IS NULL))
    );
    CREATE TABLE shows (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        body TEXT NOT NULL,
        updated_at REAL NOT NULL
    );
"""


#: Schema migration for safe areas (issue 12): ONE entry of ``MIGRATIONS``, after ``FLEET_MIGRATION``.
#: ``safe_area`` is the canvas's (JSON as ``safe_area_to_wire`` writes it, NULL: none);
#: ``output_safe_areas`` is a JSON object, output name -> safe area.
SAFE_AREA_MIGRATION = """
    ALTER TABLE fleet_displays ADD COLUMN safe_area TEXT;
    ALTER TABLE fleet_displays ADD COLUMN output_safe_areas TEXT NOT NULL DEFAULT '{}';
"""

#: Schema migration for display locales (issue 13), after ``SAFE_AREA_MIGRATION``: the tag an
#: operator chose (``tr-TR``), NULL: the display's own (its ``--locale``, else the campaign's).
LOCALE_MIGRATION = """
    ALTER TABLE fleet_displays ADD COLUMN locale TEXT;
"""


@dataclass(frozen=True, slots=True)
class DisplaySettings:
    hello_name: str
    name: str
    groups: tuple[str, ...] = ()
    latency_ms: float = 0.0
    retired_at: float | None = None
    #: Where words may go on the whole canvas (None: anywhere).
    safe_area: SafeArea | None = None
    #: Per output, in fractions of that output: (name, area) pairs sorted by name.
    output_safe_areas: tuple[tuple[str, SafeArea], ...] = ()
    #: The locale an operator chose for the display (None: its own).
    locale: str | None = None


def _safe_area_json(area: SafeArea | None) -> str | None:
    return None if area is None else json.dumps(safe_area_to_wire(area))


def _output_safe_areas_json(areas: tuple[tuple[str, SafeArea], ...]) -> str:
    return json.dumps({name: safe_area_to_wire(a) for name, a in sorted(areas)})


def _read_safe_area(raw: object, hello_name: str, where: str) -> SafeArea | None:
    """A stored safe area; one that no longer parses (edited by hand, an older rule) is
    logged and dropped, so it cannot keep the display's settings from loading."""
    if raw is None:
        return None
    try:
        return parse_safe_area(json.loads(str(raw)), where)
    except (ValueError, ValidationError) as exc:
        log.warning("ignoring the stored %s of display %r: %s", where, hello_name, exc)
        return None


def _read_output_safe_areas(raw: object, hello_name: str) -> tuple[tuple[str, SafeArea], ...]:
    try:
        found = json.loads(str(raw)) if raw is not None else {}
    except ValueError:
        found = None
    if not isinstance(found, dict):
        log.warning("ignoring the stored output safe areas of display %r", hello_name)
        return ()
    pairs = []
    for name, value in sorted(found.items()):
        area = _read_safe_area(json.dumps(value), hello_name, f"output_safe_areas.{name}")
        if area is not None:
            pairs.append((str(name), area))
    return tuple(pairs)


def _entry(row: tuple[Any, ...]) -> Entry:
    # ``Any``: sqlite3 rows are untyped; the conversions below make each field its type.
    id_, target, what, days, on_date, start, end, label = row
    return Entry(
        target=str(target),
        what=str(what),
        start=int(start),
        end=int(end),
        days=tuple(json.loads(str(days))) if days is not None else (),
        on=date.fromisoformat(str(on_date)) if on_date is not None else None,
        label=str(label),
        id=int(id_),
    )


class FleetMixin(StoreBase):
    # --- displays ---------------------------------------------------------------------

    def fleet_displays(self) -> list[DisplaySettings]:
        rows = self._conn.execute(
            "SELECT hello_name, name, groups, latency_ms, retired_at, safe_area, output_safe_areas,"
            " locale FROM fleet_displays ORDER BY name"
        ).fetchall()
        return [
            DisplaySettings(
                h,
                n,
                tuple(json.loads(g)),
                float(lat),
                r,
                _read_safe_area(area, h, "safe_area"),
                _read_output_safe_areas(per_output, h),
                None if locale is None else str(locale),
            )
            for h, n, g, lat, r, area, per_output, locale in rows
        ]

    def save_display(self, settings: DisplaySettings, now: float) -> None:
        """Insert or replace a display's settings (``name`` must be unique: IntegrityError)."""
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO fleet_displays (hello_name, name, groups, latency_ms, retired_at, safe_area,"
                " output_safe_areas, locale, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (hello_name) DO UPDATE SET name = excluded.name,"
                " groups = excluded.groups, latency_ms = excluded.latency_ms,"
                " retired_at = excluded.retired_at, safe_area = excluded.safe_area,"
                " output_safe_areas = excluded.output_safe_areas, locale = excluded.locale,"
                " updated_at = excluded.updated_at",
                (
                    settings.hello_name,
                    settings.name,
                    json.dumps(list(settings.groups)),
                    settings.latency_ms,
                    settings.retired_at,
                    _safe_area_json(settings.safe_area),
                    _output_safe_areas_json(settings.output_safe_areas),
                    settings.locale,
                    now,
                ),
            )

    # --- declared groups ------------------------------------------------------------------

    def declared_groups(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT name FROM fleet_groups ORDER BY name")]

    def declare_group(self, name: str, now: float) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO fleet_groups (name, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (name, now),
            )

    def undeclare_group(self, name: str) -> bool:
        with self._transaction() as conn:
            return conn.execute("DELETE FROM fleet_groups WHERE name = ?", (name,)).rowcount > 0

    # --- schedules --------------------------------------------------------------------------

    def list_schedules(self) -> list[Entry]:
        rows = self._conn.execute(
            "SELECT id, target, what, days, on_date, start_min, end_min, label FROM schedules ORDER BY id"
        ).fetchall()
        return [_entry(r) for r in rows]

    def add_schedule(self, entry: Entry, now: datetime) -> Entry:
        """Store an entry unless it overlaps one for the same target (``ValidationError``)."""
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT id, target, what, days, on_date, start_min, end_min, label FROM schedules"
                " WHERE target = ?",
                (entry.target,),
            ).fetchall()
            check_overlaps(entry, [_entry(r) for r in rows])
            [(new_id,)] = conn.execute(
                "INSERT INTO schedules (target, what, days, on_date, start_min, end_min, label, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    entry.target,
                    entry.what,
                    None if entry.on is not None else json.dumps(list(entry.days)),
                    entry.on.isoformat() if entry.on is not None else None,
                    entry.start,
                    entry.end,
                    entry.label,
                    now.timestamp(),
                ),
            ).fetchall()
        return Entry(
            entry.target, entry.what, entry.start, entry.end, entry.days, entry.on, entry.label, int(new_id)
        )

    def delete_schedule(self, entry_id: int) -> bool:
        with self._transaction() as conn:
            return conn.execute("DELETE FROM schedules WHERE id = ?", (entry_id,)).rowcount > 0

    # --- stored shows (what schedules and operators load by id) ----------------------------

    def list_shows(self) -> list[tuple[str, str, float]]:
        """(id, name, updated_at) of every stored show."""
        return [
            (i, n, float(u))
            for i, n, u in self._conn.execute("SELECT id, name, updated_at FROM shows ORDER BY id")
        ]

    def get_show(self, show_id: str) -> str | None:
        """The stored show's JSON (as ``show_to_wire`` wrote it), or None."""
        row = self._conn.execute("SELECT body FROM shows WHERE id = ?", (show_id,)).fetchone()
        return None if row is None else str(row[0])

    def put_show(self, show_id: str, name: str, body: str, now: float) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO shows (id, name, body, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (id)"
                " DO UPDATE SET name = excluded.name, body = excluded.body, updated_at = excluded.updated_at",
                (show_id, name, body, now),
            )

    def delete_show(self, show_id: str) -> bool:
        with self._transaction() as conn:
            return conn.execute("DELETE FROM shows WHERE id = ?", (show_id,)).rowcount > 0
