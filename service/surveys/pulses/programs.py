"""A pulse's life: create, change, deactivate and resume it; read it; plan its next waves.

Every write checks the pulse as a whole with rules.py first, so a bad pulse is a clear 400 (a
422 below the org's floors) and nothing is stored; every change is logged (service/audit.py) in
its own transaction. Admins see every pulse of their org; a leader sees the pulses that reach
into their subtrees, each showing only the surveyed teams the leader may see. The pure
schedule (which items a wave asks, when the next opens) is schedule.py's.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from ...audit import Actor, record
from ...auth import Principal, visible_team_ids
from ...errors import NotFound
from . import queries
from .models import PulseIn, PulseOut, PulsePatch, ScheduledWave
from .overlap import refuse_overlap
from .rules import validate_pulse
from .schedule import items_for_wave, next_wave_at

# The settings a client writes, in the order UPDATE_PULSE and INSERT_PULSE take them.
WRITABLE = (
    "name", "team_ids", "core_items", "rotating_items", "items_per_wave", "cadence",
    "cadence_weeks", "open_days", "k", "comment_k", "reminder_days", "starts_at",
)  # fmt: skip


def _pulse(row: asyncpg.Record | None) -> PulseOut:
    assert row is not None
    return msgspec.convert(dict(row), PulseOut)


def _settings(values: dict[str, Any]) -> list[Any]:
    return [values[f] for f in WRITABLE]


class _Schedule:
    """Adapts a dict of pulse values to what `next_wave_at` reads."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.starts_at = values["starts_at"]
        self.cadence = values["cadence"]
        self.cadence_weeks = values["cadence_weeks"]


# What the log keeps of a pulse's new values: its reach and thresholds (other fields by name).
LOGGED = ("name", "team_ids", "k", "comment_k")


async def create_pulse(
    conn: asyncpg.Connection, org_id: UUID, data: PulseIn, *, actor: Actor
) -> PulseOut:
    async with conn.transaction():
        values = await validate_pulse(conn, org_id, {f: getattr(data, f) for f in WRITABLE})
        if not data.allow_overlap:
            await refuse_overlap(conn, org_id, values["team_ids"], None)
        out = _pulse(await conn.fetchrow(queries.INSERT_PULSE, org_id, *_settings(values)))
        await record(conn, actor, "pulse.create", "pulse", out.id, {f: values[f] for f in LOGGED})
    return out


async def get_pulse(conn: asyncpg.Connection, org_id: UUID, pulse_id: UUID) -> PulseOut:
    row = await conn.fetchrow(queries.GET_PULSE, org_id, pulse_id)
    if row is None:
        raise NotFound("No such pulse.")
    return _pulse(row)


async def update_pulse(
    conn: asyncpg.Connection, org_id: UUID, pulse_id: UUID, data: PulsePatch, *, actor: Actor
) -> PulseOut:
    async with conn.transaction():
        row = await conn.fetchrow(queries.GET_PULSE_FOR_UPDATE, org_id, pulse_id)
        if row is None:
            raise NotFound("No such pulse.")
        values = {f: row[f] for f in WRITABLE}
        sent = {f: getattr(data, f) for f in WRITABLE if getattr(data, f) is not None}
        if "cadence" in sent and "cadence_weeks" not in sent:
            sent["cadence_weeks"] = None  # the new cadence's default
        values.update(sent)
        values = await validate_pulse(conn, org_id, values)
        if row["active"] and values["team_ids"] != row["team_ids"] and not data.allow_overlap:
            await refuse_overlap(conn, org_id, values["team_ids"], pulse_id)
        last_open = await conn.fetchval(queries.LAST_WAVE_OPENED_AT, org_id, pulse_id)
        due = next_wave_at(_Schedule(values), last_open) if last_open else values["starts_at"]
        updated = await conn.fetchrow(
            queries.UPDATE_PULSE, org_id, pulse_id, *_settings(values), due
        )
        changed = [f for f in WRITABLE if values[f] != row[f]]
        if changed:
            details = {"fields": changed, **{f: values[f] for f in LOGGED if f in changed}}
            await record(conn, actor, "pulse.update", "pulse", pulse_id, details)
    return _pulse(updated)


async def deactivate_pulse(
    conn: asyncpg.Connection, org_id: UUID, pulse_id: UUID, *, actor: Actor
) -> PulseOut:
    async with conn.transaction():
        row = await conn.fetchrow(queries.DEACTIVATE_PULSE, org_id, pulse_id)
        if row is None:
            raise NotFound("No such pulse.")
        await record(conn, actor, "pulse.deactivate", "pulse", pulse_id)
    return _pulse(row)


async def activate_pulse(
    conn: asyncpg.Connection,
    org_id: UUID,
    pulse_id: UUID,
    *,
    actor: Actor,
    allow_overlap: bool = False,
) -> PulseOut:
    """Resume a pulse at its next slot from now; its teams and items are checked again first,
    and (unless `allow_overlap`) that no other active pulse invites any of its people."""
    async with conn.transaction():
        row = await conn.fetchrow(queries.GET_PULSE_FOR_UPDATE, org_id, pulse_id)
        if row is None:
            raise NotFound("No such pulse.")
        values = await validate_pulse(conn, org_id, {f: row[f] for f in WRITABLE})
        if not row["active"] and not allow_overlap:
            await refuse_overlap(conn, org_id, values["team_ids"], pulse_id)
        now = await conn.fetchval(queries.NOW)
        updated = await conn.fetchrow(
            queries.ACTIVATE_PULSE, org_id, pulse_id, next_wave_at(_Schedule(values), now)
        )
        await record(conn, actor, "pulse.activate", "pulse", pulse_id)
    return _pulse(updated)


async def _leader_view(
    conn: asyncpg.Connection, who: Principal, pulses: list[PulseOut]
) -> list[PulseOut]:
    """The pulses that reach a leader's teams, showing only the roots the leader may see."""
    if who.is_admin or not pulses:
        return pulses
    visible = await visible_team_ids(conn, who)
    # One query for all pulses: which surveyed roots have a visible team at or below them.
    roots = list({t for p in pulses for t in p.team_ids})
    reaching = {
        r["root_id"]
        for r in await conn.fetch(queries.ROOTS_REACHING, who.org_id, roots, list(visible))
    }
    return [
        msgspec.structs.replace(p, team_ids=[t for t in p.team_ids if t in visible])
        for p in pulses
        if reaching.intersection(p.team_ids)
    ]


async def list_pulses(
    conn: asyncpg.Connection, who: Principal, active: bool | None
) -> list[PulseOut]:
    rows = await conn.fetch(queries.LIST_PULSES, who.org_id, active)
    return await _leader_view(conn, who, [_pulse(r) for r in rows])


async def show_pulse(conn: asyncpg.Connection, who: Principal, pulse_id: UUID) -> PulseOut:
    """One pulse as the caller may see it; 404 for a leader whose teams it does not reach."""
    shown = await _leader_view(conn, who, [await get_pulse(conn, who.org_id, pulse_id)])
    if not shown:
        raise NotFound("No such pulse.")
    return shown[0]


async def plan_waves(
    conn: asyncpg.Connection, org_id: UUID, pulse_id: UUID, waves: int
) -> list[ScheduledWave]:
    """The next `waves` waves of a pulse: when each opens and which items it asks."""
    pulse = await get_pulse(conn, org_id, pulse_id)
    last = await conn.fetchrow(queries.LAST_WAVE, org_id, pulse_id)
    seq = last["seq"] if last else 0
    at = pulse.next_wave_at or (next_wave_at(pulse, last["opens_at"]) if last else pulse.starts_at)
    planned = []
    for _ in range(waves):
        seq += 1
        planned.append(ScheduledWave(seq, at, items_for_wave(pulse, seq)))
        at = next_wave_at(pulse, at)
    return planned
