"""Admin view of a wave's delivery: who was invited, reached, failed, responded, opted out.

GET /api/v1/waves/{wave_id}/delivery

- Admin keys see exact counts for the whole wave, the response rate, and the per-person list
  of failed emails (address and last SMTP error) so they can fix the directory.
- Leader keys never see counts or people. They get one participation figure per team at the
  top of their part of the wave, through the anonymity guard: only after the wave closed, only
  for groups of at least k invitees whose results are published, rounded to 5 points.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import Provide

from ...auth import Principal, provide_principal, visible_team_ids
from ...errors import NotFound
from ...guard import release_participation

FAILURE_LIST_LIMIT = 1000


class FailedEmail(msgspec.Struct, frozen=True):
    person_id: UUID
    email: str
    display_name: str
    kind: str
    reminder_no: int
    attempts: int
    last_error: str | None


class TeamParticipation(msgspec.Struct, frozen=True):
    team_id: UUID
    name: str
    rate_pct: int | None
    band: str | None
    reason: str | None


class DeliveryStatus(msgspec.Struct, frozen=True):
    wave_id: UUID
    state: str
    k: int
    invited: int | None = None
    delivered: int | None = None
    pending: int | None = None
    failed: int | None = None
    skipped: int | None = None
    reminders_sent: int | None = None
    responded: int | None = None
    opted_out: int | None = None
    response_rate_pct: float | None = None
    failures: list[FailedEmail] | None = None
    participation: list[TeamParticipation] | None = None


_COUNTS = """
SELECT count(*) AS invited,
       count(*) FILTER (WHERE o.state = 'sent') AS delivered,
       count(*) FILTER (WHERE o.state IN ('pending', 'sending')) AS pending,
       count(*) FILTER (WHERE o.state = 'failed') AS failed,
       count(*) FILTER (WHERE o.state = 'skipped') AS skipped,
       count(*) FILTER (WHERE i.responded) AS responded
FROM invitations i
LEFT JOIN outbox o ON o.org_id = i.org_id AND o.invitation_id = i.id AND o.kind = 'invite'
WHERE i.org_id = $1 AND i.wave_id = $2
"""

_REMINDERS_SENT = """
SELECT count(*) FROM outbox o
JOIN invitations i ON i.org_id = o.org_id AND i.id = o.invitation_id
WHERE o.org_id = $1 AND i.wave_id = $2 AND o.kind = 'reminder' AND o.state = 'sent'
"""

_FAILURES = """
SELECT p.id AS person_id, p.email, p.display_name, o.kind, o.reminder_no, o.attempts,
       o.last_error
FROM outbox o
JOIN invitations i ON i.org_id = o.org_id AND i.id = o.invitation_id
JOIN people p ON p.org_id = i.org_id AND p.id = i.person_id
WHERE o.org_id = $1 AND i.wave_id = $2 AND o.state = 'failed'
ORDER BY lower(p.email), o.kind, o.reminder_no
LIMIT $3
"""


async def admin_status(conn: Any, org_id: UUID, wave: Any) -> DeliveryStatus:
    counts = await conn.fetchrow(_COUNTS, org_id, wave["id"])
    invited = counts["invited"]
    failures = await conn.fetch(_FAILURES, org_id, wave["id"], FAILURE_LIST_LIMIT)
    return DeliveryStatus(
        wave_id=wave["id"],
        state=wave["state"],
        k=wave["k"],
        invited=invited,
        delivered=counts["delivered"],
        pending=counts["pending"],
        failed=counts["failed"],
        skipped=counts["skipped"],
        reminders_sent=await conn.fetchval(_REMINDERS_SENT, org_id, wave["id"]),
        responded=counts["responded"],
        opted_out=await conn.fetchval(
            "SELECT count(*) FROM opt_outs WHERE org_id = $1 AND wave_id = $2",
            org_id,
            wave["id"],
        ),
        response_rate_pct=round(100 * counts["responded"] / invited, 1) if invited else None,
        failures=[FailedEmail(**dict(r)) for r in failures],
    )


async def leader_status(conn: Any, who: Principal, wave: Any) -> DeliveryStatus:
    visible = await visible_team_ids(conn, who)
    teams = await conn.fetch(
        "SELECT team_id, parent_id, name FROM wave_teams WHERE org_id = $1 AND wave_id = $2",
        who.org_id,
        wave["id"],
    )
    mine = [t for t in teams if t["team_id"] in visible]
    if not mine:
        raise NotFound("No such wave.")
    mine_ids = {t["team_id"] for t in mine}
    tops = [t for t in mine if t["parent_id"] not in mine_ids]
    groups = {
        r["team_id"]: r
        for r in await conn.fetch(
            """
            SELECT team_id, invited, responded, hidden FROM wave_groups
            WHERE org_id = $1 AND wave_id = $2 AND scope = 'subtree' AND team_id = ANY($3::uuid[])
            """,
            who.org_id,
            wave["id"],
            [t["team_id"] for t in tops],
        )
    }
    closed = wave["state"] == "closed"
    shown: list[TeamParticipation] = []
    for team in sorted(tops, key=lambda t: (t["name"], t["team_id"])):
        group = groups.get(team["team_id"])
        decision = release_participation(
            group["invited"] if group else 0,
            group["responded"] if group else 0,
            k=wave["k"],
            cell_published=group is not None and group["hidden"] is None,
            wave_closed=closed and group is not None,
        )
        shown.append(
            TeamParticipation(
                team["team_id"], team["name"], decision.rate_pct, decision.band, decision.reason
            )
        )
    return DeliveryStatus(wave_id=wave["id"], state=wave["state"], k=wave["k"], participation=shown)


class DeliveryStatusController(Controller):
    path = "/api/v1"
    tags = ["waves"]
    dependencies = {"who": Provide(provide_principal)}

    @get(
        "/waves/{wave_id:uuid}/delivery",
        summary="Delivery status of a wave (admin: counts and failures; leader: participation)",
    )
    async def delivery(self, state: State, who: Principal, wave_id: UUID) -> DeliveryStatus:
        async with state.pool.acquire() as conn:
            wave = await conn.fetchrow(
                "SELECT id, state, k FROM waves WHERE org_id = $1 AND id = $2",
                who.org_id,
                wave_id,
            )
            if wave is None:
                raise NotFound("No such wave.")
            if who.is_admin:
                return await admin_status(conn, who.org_id, wave)
            return await leader_status(conn, who, wave)
