"""Displays as a fleet in the store: groups, offsets, schedules (issue 8). Filled in by the fleet work."""

from __future__ import annotations

from projector.store.base import StoreBase

#: Schema migration for the fleet: ONE entry of ``MIGRATIONS``; its text is final once released.
FLEET_MIGRATION = ""


class FleetMixin(StoreBase):
    pass
