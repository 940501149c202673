"""The audit log's admin routes: `GET /api/v1/audit` (JSON, paginated) and `/api/v1/audit.csv`.

Admin keys only; a leader key gets 404, as for people. Both take the same filters, and both list
the newest entries first. Reading the log writes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import Parameter

from .audit import Action, ActorKind, AuditEntry, AuditFilter, AuditPage, ObjectKind, entries
from .auth import Principal, provide_principal
from .csvfile import render_csv
from .errors import InvalidInput

Limit = Annotated[int, Parameter(ge=1, le=500, description="Entries per page")]
Offset = Annotated[int, Parameter(ge=0, le=10_000_000, description="Entries to skip")]
CsvLimit = Annotated[int, Parameter(ge=1, le=100_000, description="At most this many rows")]
Since = Annotated[
    datetime | None, Parameter(description="Entries at or after this time (with a time zone)")
]
Until = Annotated[
    datetime | None, Parameter(description="Entries before this time (with a time zone)")
]

CSV_COLUMNS = ["at", "actor_kind", "actor_id", "action", "object_kind", "object_id", "details"]


def audit_filter(
    who: Principal,
    since: Since = None,
    until: Until = None,
    actor_kind: ActorKind | None = None,
    actor_id: UUID | None = None,
    action: Action | None = None,
    object_kind: ObjectKind | None = None,
    object_id: UUID | None = None,
) -> AuditFilter:
    """The filters both routes take, checked: a bad combination is a 400 naming it.

    A leader key is turned away (404) before its filters are looked at.
    """
    who.require_admin()
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(f"'{name}' needs a time zone, e.g. 2026-01-05T09:00:00Z.")
    if since is not None and until is not None and since >= until:
        raise InvalidInput("'since' must be before 'until'.")
    if actor_id is not None and actor_kind in ("cli", "system"):
        raise InvalidInput(
            f"A {actor_kind} entry has no actor_id; leave actor_id out, or ask for "
            "actor_kind=api_key or actor_kind=person."
        )
    return AuditFilter(
        since=since,
        until=until,
        actor_kind=actor_kind,
        actor_id=actor_id,
        action=action,
        object_kind=object_kind,
        object_id=object_id,
    )


def csv_row(e: AuditEntry) -> list[object]:
    details = msgspec.json.encode(e.details).decode()
    return [
        e.at.isoformat(),
        e.actor_kind,
        e.actor_id,
        e.action,
        e.object_kind,
        e.object_id,
        details,
    ]


class AuditController(Controller):
    path = "/api/v1"
    tags = ["audit"]
    dependencies = {
        "who": Provide(provide_principal),
        "where": Provide(audit_filter, sync_to_thread=False),
    }

    @get(
        "/audit",
        description=(
            "The append-only log of every change made by an admin key, a console user, the "
            "operator's CLI or the scheduler, newest first. Filters combine with AND: `since` "
            "(inclusive) and `until` (exclusive) with a time zone, `actor_kind`, `actor_id`, "
            "`action`, `object_kind`, `object_id`. Entries never hold an email, a name, an "
            "answer, a comment or a token. Leader keys get 404."
        ),
        summary="The org's audit log, newest first (admin)",
    )
    async def audit(
        self,
        state: State,
        who: Principal,
        where: AuditFilter,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> AuditPage:
        who.require_admin()
        return await entries(state.pool, who.org_id, where, limit=limit, offset=offset)

    @get(
        "/audit.csv",
        description=(
            "The audit log as a UTF-8 CSV file with the same filters, up to 100,000 rows at once,"
            " one row per entry with its details as JSON. Text a spreadsheet would run as a "
            "formula is quoted."
        ),
        summary="The same log as CSV (admin)",
        media_type="text/csv",
        opt={"view": AuditPage},
    )
    async def audit_csv(
        self,
        state: State,
        who: Principal,
        where: AuditFilter,
        limit: CsvLimit = 100_000,
        offset: Offset = 0,
    ) -> Response[bytes]:
        who.require_admin()
        page = await entries(state.pool, who.org_id, where, limit=limit, offset=offset)
        return Response(
            content=render_csv(CSV_COLUMNS, [csv_row(e) for e in page.items]),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
        )


ROUTES = [AuditController]
