"""Change flags reach back past a round that published nothing: the heatmap's earlier point is
the latest published one within the trend's window, read in two steps (the round just before,
then further back only for what it did not publish) with the same result as one wide read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from service.analytics import queries
from service.analytics.changes import WINDOW, wave_changes
from tests.factories import Org
from tests.worlds import answered_wave, make_world


async def test_a_change_skips_a_round_too_small_to_publish(pool: asyncpg.Pool, org: Org) -> None:
    teams, pulse_id = await make_world(pool, org.id, {"Ops": {}}, {"Ops": 6}, k=5)
    ops = teams["Ops"]
    start = datetime.now(UTC) - timedelta(days=40)
    first = await answered_wave(pool, org.id, pulse_id, {ops: [2, 3, 3, 2, 3, 2]}, opens_at=start)
    await answered_wave(
        pool, org.id, pulse_id, {ops: [7, 7]}, opens_at=start + timedelta(days=14)
    )  # two answers: nothing published
    last = await answered_wave(
        pool, org.id, pulse_id, {ops: [6, 7, 6, 6, 7, 6]}, opens_at=start + timedelta(days=28)
    )
    async with pool.acquire() as conn:
        dims = [
            r["key"]
            for r in await conn.fetch(
                "SELECT DISTINCT key FROM wave_cells WHERE wave_id = $1 AND kind = 'dimension'",
                last,
            )
        ]
        changes = await wave_changes(conn, org.id, last, [ops], dims, k=5)
        wide = await conn.fetch(
            queries.PREVIOUS_CELLS, org.id, last, "subtree", [ops], dims, WINDOW
        )
        just_before = await conn.fetch(
            queries.PREVIOUS_CELLS, org.id, last, "subtree", [ops], dims, 1
        )
        first_cells = await conn.fetch(
            "SELECT key, n FROM wave_cells WHERE wave_id = $1 AND scope = 'subtree'"
            " AND kind = 'dimension' AND team_id = $2",
            first,
            ops,
        )
    assert dims and not just_before, "the round just before published nothing"
    assert {(r["team_id"], r["key"]) for r in wide} == set(changes)
    assert {r["key"]: r["n"] for r in wide} == {r["key"]: r["n"] for r in first_cells}
    assert {c.change for c in changes.values()} == {"up"}
