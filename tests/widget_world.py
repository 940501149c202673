"""A small published history for widget tests: closed waves with real rollups.

Waves are written as the close of a wave leaves them (closed, responses in place) and then
`analytics.rollup.rollup_wave()` computes the rollups and the guard's decisions, exactly as at a
real close; widgets read them only through `analytics.trends.team_trend()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from service.analytics.rollup import rollup_wave
from tests.factories import make_pulse, make_team_tree

CORE = {
    "psychological_safety": "ps.risk",
    "speaking_up": "su.disagree",
    "trust": "tr.reliable",
    "learning": "le.look_back",
}
# Per wave, the answers of the big team's twelve respondents (1-7 scale) to the core item of
# psychological safety; the other dimensions' core items get these shifted by OFFSETS.
BIG_TEAM_WAVES = [
    [3, 4, 4, 4, 5, 5, 5, 5, 4, 3, 4, 5],
    [4, 5, 5, 5, 6, 6, 6, 6, 5, 4, 5, 6],
    [5, 6, 6, 6, 7, 7, 7, 7, 6, 5, 6, 6],
]
OFFSETS = {"psychological_safety": 0, "speaking_up": -1, "trust": 1, "learning": -2}
SMALL_TEAM_ANSWERS = [6, 7, 5]  # three respondents: below k = 5


def score100(values: list[int]) -> float:
    """The 0-100 dimension score of respondents answering one item each (scale 1-7)."""
    return sum((v - 1) / 6 * 100 for v in values) / len(values)


@dataclass(frozen=True)
class World:
    org_id: UUID
    big: UUID  # "Platform": 12 respondents in each of 3 closed waves
    small: UUID  # "Apps": 3 respondents in its one closed wave (suppressed)
    quiet: UUID  # "Design": only an open wave, nothing published yet
    waves: list[UUID]
    close_days: list[datetime]


async def close_wave_with(
    pool: asyncpg.Pool,
    org_id: UUID,
    pulse_id: UUID,
    seq: int,
    team_id: UUID,
    answers: list[dict[str, int]],
    *,
    closes_at: datetime,
    invited: int,
    state: str = "closed",
) -> UUID:
    """Write one wave over one team as its close leaves it, then roll it up for real."""
    keys = sorted({k for a in answers for k in a}) or list(CORE.values())
    async with pool.acquire() as conn, conn.transaction():
        wave_id: UUID = await conn.fetchval(
            """
            INSERT INTO waves (org_id, pulse_id, seq, item_keys, k, comment_k, opens_at,
                               closes_at, state, closed_at)
            VALUES ($1, $2, $3, $4, 5, 10, $5, $6, $7, $8) RETURNING id
            """,
            org_id,
            pulse_id,
            seq,
            keys,
            closes_at - timedelta(days=6),
            closes_at,
            state,
            closes_at if state == "closed" else None,
        )
        await conn.execute(
            """
            INSERT INTO wave_teams (org_id, wave_id, team_id, parent_id, name, invited)
            SELECT $1, $2, id, NULL, name, $4 FROM teams WHERE org_id = $1 AND id = $3
            """,
            org_id,
            wave_id,
            team_id,
            invited,
        )
        if state == "closed":
            await conn.executemany(
                "INSERT INTO responses (org_id, wave_id, team_id, answers) VALUES ($1, $2, $3, $4)",
                [(org_id, wave_id, team_id, a) for a in answers],
            )
            await rollup_wave(conn, org_id, wave_id)
    return wave_id


async def close_tree_wave(
    pool: asyncpg.Pool,
    org_id: UUID,
    pulse_id: UUID,
    answers_by_team: dict[UUID, list[dict[str, int]]],
    *,
    closes_at: datetime,
) -> UUID:
    """One closed wave over several teams of a tree (parents as in `teams`), rolled up."""
    async with pool.acquire() as conn, conn.transaction():
        wave_id: UUID = await conn.fetchval(
            """
            INSERT INTO waves (org_id, pulse_id, seq, item_keys, k, comment_k, opens_at,
                               closes_at, state, closed_at)
            VALUES ($1, $2, 1, $3, 5, 10, $4, $5, 'closed', $5) RETURNING id
            """,
            org_id,
            pulse_id,
            list(CORE.values()),
            closes_at - timedelta(days=6),
            closes_at,
        )
        await conn.execute(
            """
            INSERT INTO wave_teams (org_id, wave_id, team_id, parent_id, name, invited)
            SELECT $1, $2, t.id,
                   CASE WHEN t.parent_id = ANY ($3::uuid[]) THEN t.parent_id END, t.name, 8
            FROM teams t WHERE t.org_id = $1 AND t.id = ANY ($3::uuid[])
            """,
            org_id,
            wave_id,
            list(answers_by_team),
        )
        await conn.executemany(
            "INSERT INTO responses (org_id, wave_id, team_id, answers) VALUES ($1, $2, $3, $4)",
            [(org_id, wave_id, t, a) for t, answers in answers_by_team.items() for a in answers],
        )
        await rollup_wave(conn, org_id, wave_id)
    return wave_id


def answers_for(dimension: str, values: list[int]) -> list[int]:
    """What the respondents answered to `dimension`'s core item in one wave."""
    return [min(7, max(1, v + OFFSETS[dimension])) for v in values]


def _all_core(values: list[int]) -> list[dict[str, int]]:
    return [{CORE[d]: answers_for(d, values)[i] for d in CORE} for i in range(len(values))]


async def build_world(pool: asyncpg.Pool, org_id: UUID) -> World:
    teams = await make_team_tree(pool, org_id, ["Platform", "Apps", "Design"])
    pulse_id = await make_pulse(pool, org_id, [teams["Platform"], teams["Apps"], teams["Design"]])
    start = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)
    waves: list[UUID] = []
    days: list[datetime] = []
    for i, values in enumerate(BIG_TEAM_WAVES):
        when = start + timedelta(weeks=2 * i)
        waves.append(
            await close_wave_with(
                pool,
                org_id,
                pulse_id,
                i + 1,
                teams["Platform"],
                _all_core(values),
                closes_at=when,
                invited=14,
            )
        )
        days.append(when)
    await close_wave_with(
        pool,
        org_id,
        pulse_id,
        10,
        teams["Apps"],
        _all_core(SMALL_TEAM_ANSWERS),
        closes_at=start,
        invited=4,
    )
    await close_wave_with(
        pool,
        org_id,
        pulse_id,
        20,
        teams["Design"],
        [],
        closes_at=datetime.now(UTC) + timedelta(days=3),
        invited=6,
        state="open",
    )
    return World(org_id, teams["Platform"], teams["Apps"], teams["Design"], waves, days)


async def make_widget_token(
    client: Any, headers: dict[str, str], team_id: UUID, **extra: Any
) -> dict[str, Any]:
    body = {"label": "team wiki", "team_id": str(team_id), **extra}
    r = await client.post("/api/v1/widget-tokens", json=body, headers=headers)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result
