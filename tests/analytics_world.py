"""Helpers for analytics tests: an org chart with people, and waves answered and closed for real.

Waves go through the real `open_wave` / `close_wave` (so rollups run where production runs
them); answers land in the ballot box exactly as a submission would leave them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from service.analytics.rollup import rollup_wave
from service.auth import create_key
from service.surveys.waves import close_wave, open_wave
from tests.conftest import TEST_SECRET
from tests.factories import make_people, make_pulse, make_team_tree


async def make_world(
    pool: asyncpg.Pool,
    org_id: UUID,
    spec: Mapping[str, object],
    sizes: Mapping[str, int],
    **pulse: object,
) -> tuple[dict[str, UUID], UUID]:
    """Teams from `spec`, `sizes[name]` people in each, one pulse over the roots."""
    teams = await make_team_tree(pool, org_id, spec)  # type: ignore[arg-type]
    for name, n in sizes.items():
        if n:
            await make_people(pool, org_id, teams[name], n)
    roots = [teams[name] for name in spec]
    pulse_id = await make_pulse(pool, org_id, roots, **pulse)
    return teams, pulse_id


async def answered_wave(
    pool: asyncpg.Pool,
    org_id: UUID,
    pulse_id: UUID,
    scores: Mapping[UUID, Sequence[int]],
    *,
    comments: Mapping[UUID, Sequence[str]] | None = None,
    opens_at: datetime | None = None,
    close: bool = True,
) -> UUID:
    """Open a wave; in each team, one ballot per score (every item answered so that its
    reverse-keyed value is that score); mark as many invitations responded; close it."""
    async with pool.acquire() as conn:
        wave_id = await open_wave(conn, org_id, pulse_id, opens_at=opens_at, secret=TEST_SECRET)
        items = await conn.fetch(
            """
            SELECT i.key, i.reverse, i.scale_min, i.scale_max
            FROM waves w JOIN items i ON i.org_id = w.org_id AND i.key = ANY (w.item_keys)
            WHERE w.org_id = $1 AND w.id = $2
            """,
            org_id,
            wave_id,
        )
        for team_id, values in scores.items():
            texts = list((comments or {}).get(team_id, ()))
            for i, v in enumerate(values):
                answers = {
                    it["key"]: (it["scale_min"] + it["scale_max"] - v) if it["reverse"] else v
                    for it in items
                }
                await conn.execute(
                    "INSERT INTO ballots (org_id, wave_id, team_id, answers, comment)"
                    " VALUES ($1, $2, $3, $4, $5)",
                    org_id,
                    wave_id,
                    team_id,
                    answers,
                    texts[i] if i < len(texts) else None,
                )
            await conn.execute(
                """
                UPDATE invitations SET responded = true WHERE id IN (
                    SELECT id FROM invitations WHERE org_id = $1 AND wave_id = $2 AND team_id = $3
                    ORDER BY id LIMIT $4)
                """,
                org_id,
                wave_id,
                team_id,
                len(values),
            )
        if close:
            await close_wave(conn, org_id, wave_id, after_close=rollup_wave)
    return wave_id


async def leader_headers(pool: asyncpg.Pool, org_id: UUID, *teams: UUID) -> dict[str, str]:
    async with pool.acquire() as conn:
        _, key = await create_key(conn, org_id, "leader", "leader", list(teams))
    return {"Authorization": f"Bearer {key}"}
