"""What a pulse's next wave would report: today's tree through the reporting plan, in words.

`preview_pulse()` answers GET /pulses/{id}/preview, `preview_draft()` POST /pulses/preview (an
unsaved body, with the people already in another active pulse, the invited count per team and
the first wave's date; the admin console's pulse form shows the same); `with_warnings()` adds
the plan's warnings (groups that can never report, choices that no longer fit) to a pulse just
created or changed, which is saved either way. All read the tree, invited counts and "report
with" choices as `open_wave` would freeze them now, and plan with the guard (guard/plan.py,
guard/preview.py), so the preview is the plan the next wave makes unless the directory
changes in between.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec

from ...guard.plan import PlanTeam
from ...guard.preview import PlanPreview, preview_plan
from . import queries
from .models import DraftPreview, PulseIn, PulseOut, PulsePreview, PulseSaved, TeamInvited
from .overlap import overlapping
from .programs import WRITABLE, get_pulse
from .rules import validate_pulse
from .schedule import next_wave_at


async def _teams_today(
    conn: asyncpg.Connection, org_id: UUID, team_ids: list[UUID]
) -> list[PlanTeam]:
    rows = await conn.fetch(queries.PLAN_TEAMS_TODAY, org_id, team_ids)
    return [
        PlanTeam(r["team_id"], r["parent_id"], r["name"], r["invited"], r["report_with"])
        for r in rows
    ]


async def plan_today(
    conn: asyncpg.Connection, org_id: UUID, team_ids: list[UUID], k: int
) -> PlanPreview:
    """The groups a wave over these subtree roots would report if it opened now."""
    return preview_plan(await _teams_today(conn, org_id, team_ids), k)


def _tree_order(teams: list[PlanTeam]) -> list[TeamInvited]:
    """Parents before their children, siblings by name."""
    below: dict[UUID | None, list[PlanTeam]] = {}
    for t in teams:
        below.setdefault(t.parent_id, []).append(t)
    out: list[TeamInvited] = []

    def walk(parent: UUID | None) -> None:
        for t in sorted(below.get(parent, []), key=lambda t: (t.name.casefold(), t.id)):
            out.append(
                TeamInvited(team_id=t.id, parent_id=t.parent_id, name=t.name, invited=t.invited)
            )
            walk(t.id)

    walk(None)
    return out


async def preview_draft(
    conn: asyncpg.Connection, org_id: UUID, data: PulseIn, pulse_id: UUID | None = None
) -> DraftPreview:
    """What saving `data` would do now (as a new pulse, or as `pulse_id`'s new settings): the
    body is checked by the same rules as saving it (a bad one raises the same error), and
    nothing is written."""
    values = await validate_pulse(conn, org_id, {f: getattr(data, f) for f in WRITABLE})
    teams = await _teams_today(conn, org_id, values["team_ids"])
    plan = preview_plan(teams, values["k"])
    first: datetime = values["starts_at"]
    if pulse_id is not None:
        last_open = await conn.fetchval(queries.LAST_WAVE_OPENED_AT, org_id, pulse_id)
        if last_open is not None:
            first = next_wave_at(values, last_open)
    never = sorted(
        {p.name for g in plan.groups if g.status == "never" for p in g.parts}, key=str.casefold
    )
    return DraftPreview(
        k=plan.k,
        comment_k=values["comment_k"],
        invited=plan.invited,
        teams=_tree_order(teams),
        groups=plan.groups,
        never=never,
        overlap=await overlapping(conn, org_id, values["team_ids"], pulse_id),
        first_wave_at=first,
        warnings=plan.warnings,
        notes=plan.notes,
    )


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
