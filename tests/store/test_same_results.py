"""SQLite and PostgreSQL, fed the same random calls, give the same answers.

The contract suite checks chosen cases on each store; this drives both with the same
long random sequence (groups of batches, ids repeated within and across batches and
calls, now and then a batch one store or the other must refuse) and compares every
result, the totals, the record and the hourly chart along the way.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from projector.core.model import Action, Channel
from projector.store.base import Store
from projector.store.postgres import PostgresStore
from projector.store.records import RecordResult
from projector.store.sqlite import SqliteStore


def _batch(rng: random.Random, pool: int) -> list[Any]:
    batch: list[Any] = [
        Action(
            f"id-{rng.randrange(pool)}",
            rng.choice(list(Channel)),
            rng.choice(["DE", "FR", "KH"]),
            rng.choice([1, 1, 2, 7]),
            rng.choice([None, "case-a"]),
            at=rng.choice([None, 1_700_000_000.5]),
        )
        for _ in range(rng.choice([1, 1, 1, 3, 20]))
    ]
    trouble = rng.random()
    if trouble < 0.04:
        batch.append(Action("bad-count", Channel.SMS, "DE", 0))  # the database's CHECK refuses it
    elif trouble < 0.06:
        batch.append("not an action")
    elif trouble < 0.07:
        batch.append(Action("huge", Channel.SMS, "DE", 2**70))
    return batch


def _outcome(result: RecordResult) -> tuple[Any, ...]:
    return (tuple(a.id for a in result.accepted), result.duplicates, result.error is None, result.received_at)


@pytest.mark.parametrize("seed", [1, 2])
def test_both_stores_answer_a_random_sequence_alike(seed: int, tmp_path: Path, postgres_url: str) -> None:
    rng = random.Random(seed)
    stores: list[Store] = [SqliteStore(tmp_path / "projector.db"), PostgresStore(postgres_url)]
    try:
        for call in range(150):
            groups = [_batch(rng, pool=300) for _ in range(rng.choice([1, 1, 4]))]
            now = 3600.0 * 400_000 + call * 97.0
            outcomes = [[_outcome(r) for r in s.record_actions(groups, now)] for s in stores]
            assert outcomes[0] == outcomes[1], f"call {call}"
            if call % 25 == 24:
                sqlite, postgres = stores
                assert sqlite.load_totals() == postgres.load_totals()
                assert sqlite.action_count() == postgres.action_count()
                for record in (1, 50, 500, 2_000):
                    assert sqlite.record_beaten_at(record) == postgres.record_beaten_at(record)
                assert sqlite.actions_per_hour(0.0) == postgres.actions_per_hour(0.0)
    finally:
        for s in stores:
            s.close()
