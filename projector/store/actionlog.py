"""The action log's reads, and what both stores' ``record_actions`` share.

Writing the log differs per database (SQLite: one ``executemany`` under savepoints;
PostgreSQL: one ``INSERT ... SELECT FROM unnest ... RETURNING``), reading it does not:
totals, the record and the hourly chart are the same SQL on both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from projector.core.model import Action, Totals
from projector.store.connection import StoreBase

#: The columns of ``actions`` a store writes, in the order ``action_row`` gives.
ACTION_COLUMNS = "id, channel, country, case_id, count, at, received_at, source, entered_by"


def action_row(action: Action, received_at: float) -> tuple[Any, ...]:
    return (
        action.id,
        action.channel.value,
        action.country,
        action.case,
        action.count,
        action.at,
        received_at,
        action.source,
        action.entered_by,
    )


def first_of_each_id(batch: Sequence[Action], seen: set[str]) -> list[Action]:
    """The batch without ids seen earlier in this call or repeated within it."""
    first: dict[str, Action] = {}
    for action in batch:
        if action.id not in seen and action.id not in first:
            first[action.id] = action
    return list(first.values())


class ActionLogMixin(StoreBase):
    def action_count(self) -> int:
        """Rows in the log (an offline tally of 500 letters is one row)."""
        return int(self._conn.execute("SELECT count(*) FROM actions").fetchone()[0])

    def load_totals(self) -> Totals:
        """Totals derived from the log, exactly as ``Totals.add`` would count them."""
        # int(): PostgreSQL's sum of a bigint is a numeric (a Decimal in Python).
        return Totals.of(
            total=int(self._conn.execute("SELECT coalesce(sum(count), 0) FROM actions").fetchone()[0]),
            by_channel=self._sum_by("channel"),
            by_case=self._sum_by("case_id"),
            by_country=self._sum_by("country"),
        )

    def _sum_by(self, column: str) -> dict[str, int]:
        sql = f"SELECT {column}, sum(count) FROM actions WHERE {column} IS NOT NULL GROUP BY {column}"
        return {key: int(total) for key, total in self._conn.execute(sql)}

    def record_beaten_at(self, record: int) -> float | None:
        """When the running total (in log order) first went above ``record``."""
        if record <= 0:
            return None
        row = self._conn.execute(
            "SELECT received_at FROM ("
            " SELECT seq, received_at, sum(count) OVER (ORDER BY seq ROWS UNBOUNDED PRECEDING) AS running"
            " FROM actions"
            ") AS log WHERE running > ? ORDER BY seq LIMIT 1",
            (record,),
        ).fetchone()
        return None if row is None else float(row[0])

    def actions_per_hour(self, since: float) -> list[tuple[int, str, int]]:
        """``(hour_start, channel, count)`` for every hour from ``since``, for charts."""
        rows = self._conn.execute(
            f"SELECT {self._HOUR_OF} AS hour, channel, sum(count)"
            " FROM actions WHERE received_at >= ? GROUP BY hour, channel ORDER BY hour, channel",
            (since,),
        )
        return [(int(hour), str(channel), int(total)) for hour, channel, total in rows]
