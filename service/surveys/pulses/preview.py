"""What a pulse's next wave would report: today's tree through the reporting plan, in words.

`preview_pulse()` answers GET /pulses/{id}/preview; `with_warnings()` adds the plan's warnings
(groups that can never report, choices that no longer fit) to a pulse just created or changed,
which is saved either way. Both read the tree, invited counts and "report with" choices as
`open_wave` would freeze them now, and plan with the guard (guard/plan.py, guard/preview.py),
so the preview is the plan the next wave makes unless the directory changes in between.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg
import msgspec

from ...guard.plan import PlanTeam
from ...guard.preview import PlanPreview, preview_plan
from . import queries
from .models import PulseOut, PulsePreview, PulseSaved
from .programs import get_pulse


async def plan_today(
    conn: asyncpg.Connection, org_id: UUID, team_ids: list[UUID], k: int
) -> PlanPreview:
    """The groups a wave over these subtree roots would report if it opened now."""
    rows = await conn.fetch(queries.PLAN_TEAMS_TODAY, org_id, team_ids)
    teams = [
        PlanTeam(r["team_id"], r["parent_id"], r["name"], r["invited"], r["report_with"])
        for r in rows
    ]
    return preview_plan(teams, k)


async def preview_pulse(conn: asyncpg.Connection, org_id: UUID, pulse_id: UUID) -> PulsePreview:
    pulse = await get_pulse(conn, org_id, pulse_id)
    plan = await plan_today(conn, org_id, pulse.team_ids, pulse.k)
    return PulsePreview(
        pulse_id=pulse.id,
        k=plan.k,
        invited=plan.invited,
        groups=plan.groups,
        warnings=plan.warnings,
    )


async def with_warnings(conn: asyncpg.Connection, org_id: UUID, pulse: PulseOut) -> PulseSaved:
    plan = await plan_today(conn, org_id, pulse.team_ids, pulse.k)
    return PulseSaved(**msgspec.structs.asdict(pulse), warnings=plan.warnings)
