"""Leader routes: trend, heatmap, comments and their CSV twins, all behind the org API key.

Admin keys see the whole org; leader keys the subtrees of their scope teams. Anything outside
the key's org or scope is 404, the same answer as for something that does not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import Parameter

from ..apidoc import problems
from ..auth import Principal, provide_principal, require_team_in_scope, visible_team_ids
from ..errors import InvalidInput
from .comments import TeamComments, team_comments
from .export import heatmap_csv, trend_csv
from .heatmap import Heatmap, wave_heatmap
from .trends import Kind, Scope, TeamTrend, known_keys, team_trend

Keys = Annotated[
    list[Annotated[str, Parameter(max_length=64)]] | None,
    Parameter(max_items=50, description="Only these dimensions (or item keys); repeatable"),
]
# `scope` is a reserved handler argument in litestar (the ASGI scope), hence the alias.
GroupParam = Annotated[
    Scope, Parameter(query="scope", description="'subtree' (team and below) or 'team' only")
]
Waves = Annotated[int, Parameter(ge=1, le=104, description="How many latest waves")]
Limit = Annotated[int, Parameter(ge=1, le=1000)]
Offset = Annotated[int, Parameter(ge=0, le=1_000_000)]


def _check_dates(since: date | None, until: date | None) -> None:
    if since and until and since > until:
        raise InvalidInput("'since' is after 'until'; swap them.")


async def _check_keys(state: State, org_id: UUID, kind: Kind, keys: list[str] | None) -> None:
    """Unknown dimensions or items are a 400 (they are the org's item bank, not secrets)."""
    if not keys:
        return
    unknown = sorted(set(keys) - await known_keys(state.pool, org_id, kind))
    if unknown:
        raise InvalidInput(f"Unknown {kind}: {', '.join(unknown)}.")


def _csv(body: bytes, name: str) -> Response[bytes]:
    # Litestar appends "; charset=utf-8" to every text/* media type itself.
    return Response(
        content=body,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


class LeaderController(Controller):
    path = "/api/v1"
    tags = ["leader"]
    dependencies = {"who": Provide(provide_principal)}

    async def _trend(
        self,
        state: State,
        who: Principal,
        team_id: UUID,
        scope: Scope,
        kind: Kind,
        keys: list[str] | None,
        since: date | None,
        until: date | None,
        waves: int,
    ) -> TeamTrend:
        _check_dates(since, until)
        await _check_keys(state, who.org_id, kind, keys)
        async with state.pool.acquire() as conn:
            await require_team_in_scope(conn, who, team_id)
            return await team_trend(
                conn,
                who.org_id,
                team_id,
                subtree=scope == "subtree",
                waves_limit=waves,
                kind=kind,
                keys=keys,
                since=since,
                until=until,
            )

    @get(
        "/teams/{team_id:uuid}/trend",
        description=(
            "A team's scores over closed waves, per dimension (`kind=dimension`, the default) or "
            "per item (`kind=item`), for the team and every team below it (`scope=subtree`, the "
            "default) or its own people only (`scope=team`). `key` picks dimensions or items; "
            "`since`, `until` and `waves` limit the range. Every number has passed the anonymity "
            "guard: a wave point that cannot be shown carries a reason instead of a number."
        ),
        summary="Trend of a team or its subtree over waves",
    )
    async def trend(
        self,
        state: State,
        who: Principal,
        team_id: UUID,
        group: GroupParam = "subtree",
        kind: Kind = "dimension",
        key: Keys = None,
        since: date | None = None,
        until: date | None = None,
        waves: Waves = 12,
    ) -> TeamTrend:
        return await self._trend(state, who, team_id, group, kind, key, since, until, waves)

    @get(
        "/teams/{team_id:uuid}/trend.csv",
        description=(
            "The same trend as a UTF-8 CSV file, one row per wave and dimension or item, with the"
            " same parameters and the same guard. Text a spreadsheet would run as a formula is "
            "quoted."
        ),
        summary="The same trend as CSV",
        media_type="text/csv",
        opt={"view": TeamTrend},
    )
    async def trend_as_csv(
        self,
        state: State,
        who: Principal,
        team_id: UUID,
        group: GroupParam = "subtree",
        kind: Kind = "dimension",
        key: Keys = None,
        since: date | None = None,
        until: date | None = None,
        waves: Waves = 12,
    ) -> Response[bytes]:
        trend = await self._trend(state, who, team_id, group, kind, key, since, until, waves)
        return _csv(trend_csv(trend), f"trend-{team_id}")

    async def _heatmap(
        self,
        state: State,
        who: Principal,
        wave_id: UUID,
        scope: Scope,
        dimension: list[str] | None,
        limit: int,
        offset: int,
    ) -> Heatmap:
        await _check_keys(state, who.org_id, "dimension", dimension)
        async with state.pool.acquire() as conn:
            visible = None if who.is_admin else await visible_team_ids(conn, who)
            return await wave_heatmap(
                conn,
                who.org_id,
                wave_id,
                visible=visible,
                scope=scope,
                dimensions=dimension,
                limit=limit,
                offset=offset,
            )

    @get(
        "/waves/{wave_id:uuid}/heatmap",
        description=(
            "One closed wave as teams x dimensions (or one `dimension`), for the key's teams, "
            "paginated with `limit` and `offset` (at most 1000 rows). Cells the anonymity guard "
            "holds back carry a reason instead of numbers. A wave still open answers 409."
        ),
        summary="Teams x dimensions of one closed wave",
        responses=problems(409),
    )
    async def heatmap(
        self,
        state: State,
        who: Principal,
        wave_id: UUID,
        group: GroupParam = "subtree",
        dimension: Keys = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Heatmap:
        return await self._heatmap(state, who, wave_id, group, dimension, limit, offset)

    @get(
        "/waves/{wave_id:uuid}/heatmap.csv",
        description=(
            "The same heatmap as a UTF-8 CSV file, with the same parameters and the same guard. "
            "Text a spreadsheet would run as a formula is quoted."
        ),
        summary="The same heatmap as CSV",
        media_type="text/csv",
        opt={"view": Heatmap},
        responses=problems(409),
    )
    async def heatmap_as_csv(
        self,
        state: State,
        who: Principal,
        wave_id: UUID,
        group: GroupParam = "subtree",
        dimension: Keys = None,
        limit: Limit = 1000,
        offset: Offset = 0,
    ) -> Response[bytes]:
        hm = await self._heatmap(state, who, wave_id, group, dimension, limit, offset)
        return _csv(heatmap_csv(hm), f"heatmap-{wave_id}")

    @get(
        "/teams/{team_id:uuid}/waves/{wave_id:uuid}/comments",
        description=(
            "The free-text comments of a team in one closed wave, only when its group has at "
            "least the wave's comment threshold of responses; otherwise the answer says why none "
            "are shown. Comments come as bare texts in a random order, without who wrote them or "
            "when. "
            "`scope=team` (the default) or `scope=subtree`; paginated with `limit` and `offset` "
            "(at most 200)."
        ),
        summary="Comments of a team in one closed wave (only for large enough groups)",
        responses=problems(409),
    )
    async def comments(
        self,
        state: State,
        who: Principal,
        team_id: UUID,
        wave_id: UUID,
        group: GroupParam = "team",
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        offset: Offset = 0,
    ) -> TeamComments:
        async with state.pool.acquire() as conn:
            await require_team_in_scope(conn, who, team_id)
            return await team_comments(
                conn,
                who.org_id,
                team_id,
                wave_id,
                subtree=group == "subtree",
                limit=limit,
                offset=offset,
            )


LEADER: list[Any] = [LeaderController]
