"""Pulses: which teams are asked which items how often, with what anonymity thresholds.

The admin API creates, lists, reads, changes, deactivates and resumes pulses; leaders read
the pulses that reach into their subtrees. The rules live in pulse_rules.py; the pure schedule
the wave opener and the scheduler use (`items_for_wave`, `next_wave_at`) lives in schedule.py
and is re-exported here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, get, patch, post
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import Parameter

from ...auth import Principal, provide_principal, visible_team_ids
from ...errors import NotFound
from .rules import validate_pulse
from .schedule import items_for_wave, next_wave_at

__all__ = ["ROUTES", "PulseIn", "PulseOut", "items_for_wave", "next_wave_at"]

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
ItemKey = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_.-]{1,63}$")]
Cadence = Literal["weekly", "every_n_weeks", "monthly"]
K_FLOOR = 3


class PulseIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    name: Name
    team_ids: Annotated[list[UUID], msgspec.Meta(min_length=1, max_length=100)]
    # Omitted: the built-in core items, and the other built-in items of their dimensions.
    core_items: Annotated[list[ItemKey], msgspec.Meta(min_length=1, max_length=7)] | None = None
    rotating_items: Annotated[list[ItemKey], msgspec.Meta(max_length=200)] | None = None
    items_per_wave: Annotated[int, msgspec.Meta(ge=3, le=7)] = 5
    cadence: Cadence = "every_n_weeks"
    # Omitted: 2 for every_n_weeks, else 1.
    cadence_weeks: Annotated[int, msgspec.Meta(ge=1, le=26)] | None = None
    open_days: Annotated[int, msgspec.Meta(ge=1, le=28)] = 7
    k: Annotated[int, msgspec.Meta(ge=K_FLOOR, le=100)] = 5
    comment_k: Annotated[int, msgspec.Meta(ge=K_FLOOR, le=1000)] = 10
    # Omitted: days 3 and 5 of the window, those that fall inside it.
    reminder_days: (
        Annotated[list[Annotated[int, msgspec.Meta(ge=1, le=27)]], msgspec.Meta(max_length=5)]
        | None
    ) = None
    starts_at: datetime | None = None  # default: now


class PulsePatch(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Only the fields sent change; the result is checked as a whole, like a new pulse."""

    name: Name | None = None
    team_ids: Annotated[list[UUID], msgspec.Meta(min_length=1, max_length=100)] | None = None
    core_items: Annotated[list[ItemKey], msgspec.Meta(min_length=1, max_length=7)] | None = None
    rotating_items: Annotated[list[ItemKey], msgspec.Meta(max_length=200)] | None = None
    items_per_wave: Annotated[int, msgspec.Meta(ge=3, le=7)] | None = None
    cadence: Cadence | None = None
    cadence_weeks: Annotated[int, msgspec.Meta(ge=1, le=26)] | None = None
    open_days: Annotated[int, msgspec.Meta(ge=1, le=28)] | None = None
    k: Annotated[int, msgspec.Meta(ge=K_FLOOR, le=100)] | None = None
    comment_k: Annotated[int, msgspec.Meta(ge=K_FLOOR, le=1000)] | None = None
    reminder_days: (
        Annotated[list[Annotated[int, msgspec.Meta(ge=1, le=27)]], msgspec.Meta(max_length=5)]
        | None
    ) = None
    starts_at: datetime | None = None


class PulseOut(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    name: str
    team_ids: list[UUID]
    core_items: list[str]
    rotating_items: list[str]
    items_per_wave: int
    cadence: Cadence
    cadence_weeks: int
    open_days: int
    k: int
    comment_k: int
    reminder_days: list[int]
    starts_at: datetime
    next_wave_at: datetime | None
    active: bool
    created_at: datetime


class ScheduledWave(msgspec.Struct, frozen=True):
    seq: int
    opens_at: datetime
    item_keys: list[str]


_COLS = """id, name, team_ids, core_items, rotating_items, items_per_wave, cadence, cadence_weeks,
open_days, k, comment_k, reminder_days, starts_at, next_wave_at, active, created_at"""


def _pulse(row: asyncpg.Record) -> PulseOut:
    return msgspec.convert(dict(row), PulseOut)


_WRITABLE = (
    "name", "team_ids", "core_items", "rotating_items", "items_per_wave", "cadence",
    "cadence_weeks", "open_days", "k", "comment_k", "reminder_days", "starts_at",
)  # fmt: skip


async def create_pulse(conn: asyncpg.Connection, org_id: UUID, data: PulseIn) -> PulseOut:
    values = await validate_pulse(conn, org_id, {f: getattr(data, f) for f in _WRITABLE})
    placeholders = ", ".join(f"${i}" for i in range(2, len(_WRITABLE) + 2))
    row = await conn.fetchrow(
        f"""
        INSERT INTO pulses (org_id, {", ".join(_WRITABLE)}, next_wave_at)
        VALUES ($1, {placeholders}, ${len(_WRITABLE) + 2})
        RETURNING {_COLS}
        """,
        org_id,
        *(values[f] for f in _WRITABLE),
        values["starts_at"],
    )
    assert row is not None
    return _pulse(row)


async def get_pulse(conn: asyncpg.Connection, org_id: UUID, pulse_id: UUID) -> PulseOut:
    row = await conn.fetchrow(
        f"SELECT {_COLS} FROM pulses WHERE org_id = $1 AND id = $2", org_id, pulse_id
    )
    if row is None:
        raise NotFound("No such pulse.")
    return _pulse(row)


async def update_pulse(
    conn: asyncpg.Connection, org_id: UUID, pulse_id: UUID, data: PulsePatch
) -> PulseOut:
    async with conn.transaction():
        row = await conn.fetchrow(
            f"SELECT {_COLS} FROM pulses WHERE org_id = $1 AND id = $2 FOR UPDATE", org_id, pulse_id
        )
        if row is None:
            raise NotFound("No such pulse.")
        values = {f: row[f] for f in _WRITABLE}
        sent = {f: getattr(data, f) for f in _WRITABLE if getattr(data, f) is not None}
        if "cadence" in sent and "cadence_weeks" not in sent:
            sent["cadence_weeks"] = None  # the new cadence's default
        values.update(sent)
        values = await validate_pulse(conn, org_id, values)
        last_open = await conn.fetchval(
            "SELECT max(opens_at) FROM waves WHERE org_id = $1 AND pulse_id = $2", org_id, pulse_id
        )
        due = next_wave_at(_Schedule(values), last_open) if last_open else values["starts_at"]
        sets = ", ".join(f"{f} = ${i}" for i, f in enumerate(_WRITABLE, start=3))
        updated = await conn.fetchrow(
            f"""
            UPDATE pulses SET {sets},
                next_wave_at = CASE WHEN active THEN ${len(_WRITABLE) + 3}::timestamptz END
            WHERE org_id = $1 AND id = $2 RETURNING {_COLS}
            """,
            org_id,
            pulse_id,
            *(values[f] for f in _WRITABLE),
            due,
        )
    assert updated is not None
    return _pulse(updated)


class _Schedule:
    """Adapts a dict of pulse values to what `next_wave_at` reads."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.starts_at = values["starts_at"]
        self.cadence = values["cadence"]
        self.cadence_weeks = values["cadence_weeks"]


async def deactivate_pulse(conn: asyncpg.Connection, org_id: UUID, pulse_id: UUID) -> PulseOut:
    row = await conn.fetchrow(
        f"""
        UPDATE pulses SET active = false, next_wave_at = NULL
        WHERE org_id = $1 AND id = $2 RETURNING {_COLS}
        """,
        org_id,
        pulse_id,
    )
    if row is None:
        raise NotFound("No such pulse.")
    return _pulse(row)


async def activate_pulse(conn: asyncpg.Connection, org_id: UUID, pulse_id: UUID) -> PulseOut:
    """Resume a pulse at its next slot from now; its teams and items are checked again first."""
    async with conn.transaction():
        row = await conn.fetchrow(
            f"SELECT {_COLS} FROM pulses WHERE org_id = $1 AND id = $2 FOR UPDATE", org_id, pulse_id
        )
        if row is None:
            raise NotFound("No such pulse.")
        values = await validate_pulse(conn, org_id, {f: row[f] for f in _WRITABLE})
        now = await conn.fetchval("SELECT now()")
        updated = await conn.fetchrow(
            f"""
            UPDATE pulses SET active = true, next_wave_at = coalesce(
                CASE WHEN active THEN next_wave_at END, $3)
            WHERE org_id = $1 AND id = $2 RETURNING {_COLS}
            """,
            org_id,
            pulse_id,
            next_wave_at(_Schedule(values), now),
        )
    assert updated is not None
    return _pulse(updated)


async def _leader_view(
    conn: asyncpg.Connection, who: Principal, pulses: list[PulseOut]
) -> list[PulseOut]:
    """The pulses that reach a leader's teams, showing only the roots the leader may see."""
    if who.is_admin:
        return pulses
    visible = await visible_team_ids(conn, who)
    shown = []
    for p in pulses:
        covered = {
            r["id"]
            for r in await conn.fetch(
                """
                WITH RECURSIVE below AS (
                    SELECT id FROM teams WHERE org_id = $1 AND id = ANY($2::uuid[])
                    UNION
                    SELECT t.id FROM teams t JOIN below b ON t.parent_id = b.id WHERE t.org_id = $1
                )
                SELECT id FROM below
                """,
                who.org_id,
                p.team_ids,
            )
        }
        if covered & visible:
            shown.append(
                msgspec.structs.replace(p, team_ids=[t for t in p.team_ids if t in visible])
            )
    return shown


class PulseController(Controller):
    path = "/api/v1/pulses"
    tags = ["pulses"]
    dependencies = {"who": Provide(provide_principal)}

    @post("", summary="Create a pulse (admin)")
    async def create(self, state: State, who: Principal, data: PulseIn) -> PulseOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await create_pulse(conn, who.org_id, data)

    @get("", summary="List pulses (leaders: those reaching their teams)")
    async def list_pulses(
        self, state: State, who: Principal, active: bool | None = None
    ) -> list[PulseOut]:
        async with state.pool.acquire() as conn:
            rows = await conn.fetch(
                f"""SELECT {_COLS} FROM pulses
                    WHERE org_id = $1 AND ($2::bool IS NULL OR active = $2)
                    ORDER BY created_at, id""",
                who.org_id,
                active,
            )
            return await _leader_view(conn, who, [_pulse(r) for r in rows])

    @get("/{pulse_id:uuid}", summary="One pulse")
    async def get_one(self, state: State, who: Principal, pulse_id: UUID) -> PulseOut:
        async with state.pool.acquire() as conn:
            shown = await _leader_view(conn, who, [await get_pulse(conn, who.org_id, pulse_id)])
        if not shown:
            raise NotFound("No such pulse.")
        return shown[0]

    @get("/{pulse_id:uuid}/schedule", summary="The next waves: when they open and what they ask")
    async def schedule(
        self,
        state: State,
        who: Principal,
        pulse_id: UUID,
        waves: Annotated[int, Parameter(ge=1, le=52)] = 6,
    ) -> list[ScheduledWave]:
        who.require_admin()
        async with state.pool.acquire() as conn:
            pulse = await get_pulse(conn, who.org_id, pulse_id)
            last = await conn.fetchrow(
                """SELECT seq, opens_at FROM waves WHERE org_id = $1 AND pulse_id = $2
                   ORDER BY seq DESC LIMIT 1""",
                who.org_id,
                pulse_id,
            )
        seq = last["seq"] if last else 0
        at = pulse.next_wave_at or (
            next_wave_at(pulse, last["opens_at"]) if last else pulse.starts_at
        )
        planned = []
        for _ in range(waves):
            seq += 1
            planned.append(ScheduledWave(seq, at, items_for_wave(pulse, seq)))
            at = next_wave_at(pulse, at)
        return planned

    @patch(
        "/{pulse_id:uuid}",
        summary="Change a pulse (admin); waves already opened keep their settings",
    )
    async def update(
        self, state: State, who: Principal, pulse_id: UUID, data: PulsePatch
    ) -> PulseOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await update_pulse(conn, who.org_id, pulse_id, data)

    @post(
        "/{pulse_id:uuid}/deactivate",
        summary="Stop a pulse from opening waves (admin)",
        status_code=200,
    )
    async def deactivate(self, state: State, who: Principal, pulse_id: UUID) -> PulseOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await deactivate_pulse(conn, who.org_id, pulse_id)

    @post(
        "/{pulse_id:uuid}/activate",
        summary="Resume a deactivated pulse at its next slot (admin)",
        status_code=200,
    )
    async def activate(self, state: State, who: Principal, pulse_id: UUID) -> PulseOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await activate_pulse(conn, who.org_id, pulse_id)


ROUTES = [PulseController]
