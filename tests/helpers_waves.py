"""Helpers for wave and respondent tests: open a wave over a small org chart, get its links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from service.analytics.rollup import rollup_wave
from service.surveys.respond import token_for
from service.surveys.waves import close_wave, open_wave
from tests.conftest import TEST_SECRET
from tests.factories import make_people, make_pulse, make_team_tree


@dataclass(frozen=True)
class OpenWave:
    wave_id: UUID
    pulse_id: UUID
    teams: dict[str, UUID]
    tokens: list[str]  # one per invitation, in invitation-id order
    item_keys: list[str]


async def tokens_of(pool: asyncpg.Pool, wave_id: UUID) -> list[str]:
    ids = await pool.fetch("SELECT id FROM invitations WHERE wave_id = $1 ORDER BY id", wave_id)
    return [token_for(TEST_SECRET, r["id"]) for r in ids]


async def open_test_wave(
    pool: asyncpg.Pool,
    org_id: UUID,
    *,
    people: int = 6,
    locale: str = "en",
    **pulse: Any,
) -> OpenWave:
    """A team "Platform" under "Engineering" with `people` members, a pulse, an open wave."""
    teams = await make_team_tree(pool, org_id, {"Engineering": {"Platform": {}}})
    await make_people(pool, org_id, teams["Platform"], people, locale=locale)
    pulse.setdefault("k", 3)
    pulse_id = await make_pulse(pool, org_id, [teams["Engineering"]], **pulse)
    async with pool.acquire() as conn:
        wave_id = await open_wave(conn, org_id, pulse_id, secret=TEST_SECRET)
    keys = await pool.fetchval("SELECT item_keys FROM waves WHERE id = $1", wave_id)
    return OpenWave(wave_id, pulse_id, teams, await tokens_of(pool, wave_id), list(keys))


async def close(pool: asyncpg.Pool, org_id: UUID, wave_id: UUID) -> bool:
    async with pool.acquire() as conn:
        return await close_wave(conn, org_id, wave_id, after_close=rollup_wave)


def full_answers(item_keys: list[str], value: int = 5) -> dict[str, int]:
    return {key: value for key in item_keys}
