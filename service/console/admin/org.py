"""The org chart page: the team tree with its people (active, own and below) and leaders.

The chart is read here (admin/queries.py) as the directory stands now; each team links to its
admin page (team_admin.py), and the page links to the CSV import (org_import.py).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import asyncpg
import msgspec
from litestar import Request, Response, get
from litestar.datastructures import State

from ...errors import CandorError, InvalidInput
from ...guard import ADMIN_ONLY
from .. import i18n
from ..models import Page
from ..pages import PAGE_RESPONSES, page_of, render
from ..sessions import ConsoleSession
from . import queries
from .home import ADMIN


class Refusal(InvalidInput):
    """A form of the org pages refused for a reason the page words itself (a text key)."""

    def __init__(self, key: str, **values: str | int | list[str]) -> None:
        super().__init__(i18n.t("en", key, **values), code=key, values=values)
        self.key = key


def refusal_words(exc: CandorError, lang: str) -> str:
    """Why a change was refused, in the page's language where the words are the console's own
    (the directory's own checks speak English, as in the API)."""
    if isinstance(exc, Refusal):
        return i18n.t(lang, exc.key, **exc.values)
    return exc.detail


class ChartTeam(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    parent_id: UUID | None
    report_with: UUID | None
    own: Annotated[int, ADMIN_ONLY]  # active people in the team itself
    total: Annotated[int, ADMIN_ONLY]  # active people in the team and every team below it
    leaders: list[str]
    children: list[ChartTeam]


class OrgChartView(msgspec.Struct, frozen=True):
    page: Page
    tree: list[ChartTeam]
    people: Annotated[int, ADMIN_ONLY]  # active people in the org
    teams: Annotated[int, ADMIN_ONLY]


async def load_chart(conn: asyncpg.Connection, org_id: UUID) -> list[ChartTeam]:
    """The org's live teams as a tree, by name, with headcounts summed up the tree."""
    rows = await conn.fetch(queries.CHART_TEAMS, org_id)
    ids = {r["id"] for r in rows}
    kids: dict[UUID | None, list[Any]] = {}
    for r in sorted(rows, key=lambda r: (r["name"].lower(), r["id"])):
        kids.setdefault(r["parent_id"] if r["parent_id"] in ids else None, []).append(r)

    def node(r: Any) -> ChartTeam:
        children = [node(c) for c in kids.get(r["id"], [])]
        return ChartTeam(
            r["id"],
            r["name"],
            r["parent_id"],
            r["report_with"],
            r["headcount"],
            r["headcount"] + sum(c.total for c in children),
            list(r["leaders"]),
            children,
        )

    return [node(r) for r in kids.get(None, [])]


def flatten(tree: list[ChartTeam], prefix: str = "") -> list[tuple[ChartTeam, str]]:
    """Every team with its path ("Engineering/Platform"), depth first."""
    out: list[tuple[ChartTeam, str]] = []
    for t in tree:
        path = f"{prefix}/{t.name}" if prefix else t.name
        out.append((t, path))
        out += flatten(t.children, path)
    return out


@get(
    "/admin/org",
    opt={"view": OrgChartView},
    dependencies=ADMIN,
    summary="The org chart: teams, headcounts and leaders (HTML; admin persons only)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def org_chart(
    request: Request[Any, Any, State], state: State, session: ConsoleSession
) -> Response[bytes]:
    async with state.pool.acquire() as conn:
        tree = await load_chart(conn, session.org_id)
        people = await conn.fetchval(queries.COUNT_ACTIVE_PEOPLE, session.org_id)
    view = OrgChartView(
        page=page_of(session, request, "admin"), tree=tree, people=people, teams=len(flatten(tree))
    )
    return render("admin/org.html", view.page.lang, v=view)
