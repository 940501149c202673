"""People a pulse would invite who are already invited by another active pulse of the org.

Two active pulses over the same people mail them twice on two schedules, and each pulse's
results rest on the same answers' authors. Creating a pulse, changing the teams of an active
one, or resuming one is refused with a 409 that names how many people overlap and with which
pulse, unless the caller confirms (`allow_overlap`); the previews show the same list.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from ...errors import Conflict
from . import queries
from .models import Overlap


async def overlapping(
    conn: asyncpg.Connection, org_id: UUID, team_ids: list[UUID], pulse_id: UUID | None
) -> list[Overlap]:
    """The other active pulses that would invite some of the same people, most shared first."""
    rows = await conn.fetch(queries.OVERLAPPING_PULSES, org_id, team_ids, pulse_id)
    return [Overlap(pulse_id=r["pulse_id"], name=r["name"], people=r["people"]) for r in rows]


def _people(n: int) -> str:
    return "1 person" if n == 1 else f"{n} people"


async def refuse_overlap(
    conn: asyncpg.Connection, org_id: UUID, team_ids: list[UUID], pulse_id: UUID | None
) -> None:
    """Conflict when another active pulse would invite some of the same people."""
    found = await overlapping(conn, org_id, team_ids, pulse_id)
    if not found:
        return
    first = found[0]
    others = f" (and {len(found) - 1} other active pulses)" if len(found) > 1 else ""
    raise Conflict(
        f"{_people(first.people)} this pulse would invite "
        f"{'is' if first.people == 1 else 'are'} already in the active pulse "
        f"“{first.name}” ({first.pulse_id}){others}, and would be asked twice. "
        'Send "allow_overlap": true to go ahead anyway.',
        errors=[{"pulse_id": str(o.pulse_id), "pulse": o.name, "people": o.people} for o in found],
    )
