"""A team's (or subtree's) trend per dimension or item over its waves, built from rollups.

`team_trend()` is the one function every trend reader uses: the leader API, its CSV export and
the widgets. Every number in its result came through the guard (`guard.release_*`); a hidden
point carries only the reason. Its signature is a contract with the widgets: keep it stable.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Literal
from uuid import UUID

import asyncpg
import msgspec
from asyncpg.pool import PoolConnectionProxy

from .. import guard
from ..errors import NotFound
from ..guard import Aggregate, Cell, Participation, Released, Withheld, cell_from, stats
from . import queries

# Anything that runs a query: a pool, a connection, or a pooled connection.
Conn = asyncpg.Connection | asyncpg.Pool | PoolConnectionProxy
Kind = Literal["dimension", "item"]
Scope = Literal["team", "subtree"]


def aggregate_of(row: asyncpg.Record) -> Aggregate:
    return Aggregate(
        n=row["n"],
        sum_raw=row["sum_raw"],
        sumsq_raw=row["sumsq_raw"],
        sum100=row["sum100"],
        sumsq100=row["sumsq100"],
        favourable=row["favourable"],
        scale_min=row["scale_min"],
        scale_max=row["scale_max"],
        pooled_var_raw=row["pooled_var_raw"],
        pooled_var100=row["pooled_var100"],
    )


class WavePoint(msgspec.Struct, frozen=True):
    """A wave as seen from one group: when, how many answered (if shown), participation."""

    wave_id: Annotated[
        UUID,
        msgspec.Meta(description="The wave", examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"]),
    ]
    opens_on: Annotated[
        date, msgspec.Meta(description="The day it opened", examples=["2026-01-05"])
    ]
    closes_on: Annotated[
        date, msgspec.Meta(description="The day it closes or closed", examples=["2026-01-12"])
    ]
    state: Annotated[
        Literal["open", "closed"],
        msgspec.Meta(description="`open` (nothing published yet) or `closed`", examples=["closed"]),
    ]
    respondents: Annotated[
        Annotated[int | None, guard.DERIVED],
        msgspec.Meta(
            description="Respondents behind this wave's numbers; null when not shown", examples=[12]
        ),
    ]  # guard.release_count
    participation: Annotated[
        Participation,
        msgspec.Meta(description="How many of those invited answered, through the guard"),
    ]
    # The wave's threshold: numbers of this wave rest on at least k respondents.
    k: Annotated[
        guard.Meta,
        msgspec.Meta(
            description="The wave's threshold: its numbers rest on at least k respondents",
            examples=[5],
        ),
    ]
    reason: Annotated[
        str | None,
        msgspec.Meta(
            description="Why this wave shows no numbers, in words; null when shown", examples=[None]
        ),
    ] = None
    reason_code: Annotated[
        guard.Code | None,
        msgspec.Meta(
            description=(
                "A code for the reason: `few` (fewer than k respondents), `complement` (hidden "
                "so a smaller group cannot be worked out by subtraction), `open` (wave still "
                "open), `not_asked`, `invitees`, `unpublished` or `pooled`; null when shown"
            ),
            examples=[None],
        ),
    ] = None
    reason_about: Annotated[
        str | None,
        msgspec.Meta(description="The group the reason names; null when shown", examples=[None]),
    ] = None
    # The group this wave's numbers describe: the team itself, or the pooled group it was
    # reported in ("Data & Design") when it had fewer than k people.
    group: Annotated[
        str | None,
        msgspec.Meta(
            description=(
                "The group this wave's numbers describe: the team, or the pooled group it was "
                "reported in"
            ),
            examples=["Platform"],
        ),
    ] = None
    pooled: Annotated[
        bool,
        msgspec.Meta(
            description="True when the team was reported together with another in this wave",
            examples=[False],
        ),
    ] = False


class TrendPoint(msgspec.Struct, frozen=True):
    wave_id: Annotated[
        UUID,
        msgspec.Meta(description="The wave", examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"]),
    ]
    opens_on: Annotated[
        date, msgspec.Meta(description="The day it opened", examples=["2026-01-05"])
    ]
    result: Annotated[
        Cell,
        msgspec.Meta(description="The wave's numbers for this series, or why they are held back"),
    ]
    # Change of the 0-100 score since the previous published point of this series.
    delta: Annotated[
        Annotated[float | None, guard.DERIVED],
        msgspec.Meta(
            description=(
                "Change of the 0-100 score since the previous shown point of this series; null "
                "for the first or when either is hidden"
            ),
            examples=[4.2],
        ),
    ] = None  # of two released cells
    delta_ci: Annotated[
        stats.Interval | None,
        msgspec.Meta(description="The uncertainty of that change (an interval)"),
    ] = None
    change: Annotated[
        stats.Change | None,
        msgspec.Meta(
            description="`up`, `down` or `no detectable change`, judged with the uncertainty",
            examples=["no detectable change"],
        ),
    ] = None


class Series(msgspec.Struct, frozen=True):
    kind: Annotated[Kind, msgspec.Meta(description="`dimension` or `item`", examples=["dimension"])]
    key: Annotated[
        str,
        msgspec.Meta(
            description="The dimension's or item's key", examples=["psychological_safety"]
        ),
    ]
    points: Annotated[
        list[TrendPoint], msgspec.Meta(description="One point per wave, oldest first")
    ]
    dimension: Annotated[
        str | None,
        msgspec.Meta(
            description="For an item, its dimension; null for a dimension", examples=[None]
        ),
    ] = None  # for items


class TeamTrend(msgspec.Struct, frozen=True):
    team_id: Annotated[
        UUID,
        msgspec.Meta(description="The team", examples=["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"]),
    ]
    team_name: Annotated[str, msgspec.Meta(description="Its name", examples=["Platform"])]
    scope: Annotated[
        Scope,
        msgspec.Meta(
            description="`subtree` (with every team below it) or `team` (its own people)",
            examples=["subtree"],
        ),
    ]
    waves: Annotated[
        list[WavePoint],
        msgspec.Meta(
            description="The waves in range, oldest first, with what each shows of this group"
        ),
    ]
    series: Annotated[list[Series], msgspec.Meta(description="One series per dimension or item")]


def _day(value: date | None, end: bool = False) -> datetime | None:
    if value is None:
        return None
    return datetime.combine(value, time.max if end else time.min, tzinfo=UTC)


async def team_trend(
    conn: Conn,
    org_id: UUID,
    team_id: UUID,
    *,
    subtree: bool = True,
    waves_limit: int = 12,
    kind: Kind = "dimension",
    keys: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
) -> TeamTrend:
    """The guarded trend of a team (or its subtree) over its latest `waves_limit` waves.

    Scope checks are the caller's job; this only knows the org. Unknown team -> NotFound.
    """
    scope: Scope = "subtree" if subtree else "team"
    team = await conn.fetchrow(queries.TREND_TEAM, org_id, team_id)
    if team is None:
        raise NotFound("No such team.")
    name: str = team["name"]
    item_dims: dict[str, str] = team["item_dims"]
    lo, hi = _day(since), _day(until, end=True)
    rows = await conn.fetch(queries.TREND_WAVES, org_id, team_id, scope, lo, hi, waves_limit)
    closed = sorted(
        (r for r in rows if r["state"] == "closed"), key=lambda r: (r["opens_at"], r["id"])
    )
    opened = sorted((r for r in rows if r["state"] == "open"), key=lambda r: r["opens_at"])
    cells = await conn.fetch(
        queries.TREND_CELLS, org_id, team_id, scope, kind, [w["id"] for w in closed], keys
    )
    by_cell = {(r["wave_id"], r["key"]): r for r in cells}

    waves: list[WavePoint] = []
    for w in closed:
        group = guard.release_count(
            w["n"], w["hidden"], k=w["k"], wave_closed=True, because=w["hidden_because"]
        )
        published = isinstance(group, int)
        waves.append(
            WavePoint(
                wave_id=w["id"],
                opens_on=w["opens_at"].date(),
                closes_on=w["closes_at"].date(),
                state="closed",
                respondents=group if isinstance(group, int) else None,
                participation=guard.release_participation(
                    w["invited"],
                    w["responded"],
                    k=w["k"],
                    cell_published=published,
                    wave_closed=True,
                ),
                k=w["k"],
                reason=group.reason if isinstance(group, Withheld) else None,
                reason_code=group.code if isinstance(group, Withheld) else None,
                reason_about=group.about if isinstance(group, Withheld) else None,
                group=w["name"] or name,
                pooled=bool(w["pooled"]),
            )
        )
    for w in opened:
        waves.append(
            WavePoint(
                wave_id=w["id"],
                opens_on=w["opens_at"].date(),
                closes_on=w["closes_at"].date(),
                state="open",
                respondents=None,
                participation=guard.release_participation(
                    0, 0, k=w["k"], cell_published=False, wave_closed=False
                ),
                k=w["k"],
                reason=guard.OPEN_REASON,
                reason_code="open",
                group=name,
            )
        )

    asked: dict[UUID, set[str]] = {}
    for w in closed:
        item_keys = set(w["item_keys"])
        if w["follow_up_item"] and not w["follows_up"]:
            # The follow-up item was asked only of teams with a focus; not of this group.
            item_keys.discard(w["follow_up_item"])
        asked[w["id"]] = (
            item_keys if kind == "item" else {item_dims[i] for i in item_keys if i in item_dims}
        )
    series_keys = sorted(set(keys) if keys is not None else set().union(*asked.values(), set()))
    series = [_series(kind, key, closed, opened, asked, by_cell, item_dims) for key in series_keys]
    return TeamTrend(team_id=team_id, team_name=name, scope=scope, waves=waves, series=series)


def _series(
    kind: Kind,
    key: str,
    closed: list[asyncpg.Record],
    opened: list[asyncpg.Record],
    asked: dict[UUID, set[str]],
    by_cell: dict[tuple[UUID, str], asyncpg.Record],
    item_dims: dict[str, str],
) -> Series:
    points: list[TrendPoint] = []
    previous: Aggregate | None = None
    previous_group: object = None
    for w in closed:
        if key not in asked[w["id"]]:
            points.append(
                TrendPoint(
                    w["id"],
                    w["opens_at"].date(),
                    guard.withheld_cell("not_asked", guard.NOT_ASKED_REASON),
                )
            )
            continue
        row = by_cell.get((w["id"], key))
        decision = guard.release_cell(
            aggregate_of(row) if row else None,
            row["hidden"] if row else None,
            k=w["k"],
            wave_closed=True,
            because=row["hidden_because"] if row else None,
        )
        point = TrendPoint(w["id"], w["opens_at"].date(), cell_from(decision))
        if isinstance(decision, Released):
            a = decision.agg
            # A change is only called between two waves that describe the same group: a team
            # reported alone one wave and pooled the next has no comparable pair.
            group = (w["name"], w["pooled"])
            if previous is not None and previous_group == group:
                diff = guard.change_between(previous, a)
                point = TrendPoint(
                    point.wave_id,
                    point.opens_on,
                    point.result,
                    delta=round(diff.delta, 1),
                    delta_ci=stats.Interval(
                        round(diff.interval.low, 1), round(diff.interval.high, 1)
                    ),
                    change=diff.change,
                )
            previous, previous_group = a, group
        points.append(point)
    for w in opened:
        points.append(
            TrendPoint(
                w["id"], w["opens_at"].date(), guard.withheld_cell("open", guard.OPEN_REASON)
            )
        )
    return Series(
        kind=kind, key=key, points=points, dimension=item_dims.get(key) if kind == "item" else None
    )


async def known_keys(conn: Conn, org_id: UUID, kind: Kind) -> set[str]:
    """The org's dimensions, or its item keys: what a trend or heatmap may be filtered by."""
    rows = await conn.fetch(
        queries.DIMENSIONS if kind == "dimension" else queries.ITEM_KEYS, org_id
    )
    return {r[0] for r in rows}
