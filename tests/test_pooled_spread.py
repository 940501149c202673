"""A small cell's published numbers say nothing about how its own answers are spread.

In one wave, two teams with the same number of respondents, the same sum and the same
favourable count publish identical numbers — scores, intervals, changes — on every output path
(trend JSON, heatmap JSON, both CSVs, the widget), however differently their answers are spread.
Their own sums of squares would tell "someone answered 1" apart from "everyone answered 4".
"""

from __future__ import annotations

import csv
import io
from typing import Any

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.guard import LARGE_CELL, Aggregate, Released, cell_from, spread
from tests.factories import Org, make_org, make_widget_token
from tests.worlds import answered_wave, make_world


@st.composite
def same_n_sum_and_favourable(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    """Two answer lists (1-7) with equal length, sum and top-two-box count, unequal spread."""
    n = draw(st.integers(5, 9))
    a = draw(st.lists(st.integers(2, 5), min_size=n, max_size=n))
    # Move points between two answers inside the non-favourable range (1-5): the sum and the
    # favourable count stay, the spread changes.
    i, j = draw(st.sampled_from([(x, y) for x in range(n) for y in range(n) if x != y]))
    d = draw(st.integers(1, 3))
    b = list(a)
    b[i], b[j] = b[i] - d, b[j] + d
    if not (1 <= b[i] <= 5 and 1 <= b[j] <= 5) or sorted(a) == sorted(b):
        b = [a[0] - 1, a[1] + 1, *a[2:]] if a[0] >= 2 and a[1] <= 4 else [1, *a[1:-1], a[-1]]
    return a, b


def _numbers(cell: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in cell.items() if k not in ("reason", "reason_code", "reason_about")}


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(pair=same_n_sum_and_favourable())
async def test_two_cells_with_the_same_n_sum_and_favourable_publish_the_same_numbers(
    client: Any, pool: asyncpg.Pool, pair: tuple[list[int], list[int]]
) -> None:
    a, b = pair
    if (
        sum(a) != sum(b)
        or sorted(a) == sorted(b)
        or sum(v >= 6 for v in a) != sum(v >= 6 for v in b)
    ):
        return  # the fallback construction did not give a fair pair; nothing to compare
    org: Org = await make_org(pool, f"Spread {sum(a)}-{len(a)}-{a}-{b}"[:100])
    spec = {"Root": {"A": {}, "B": {}}}
    teams, pulse_id = await make_world(pool, org.id, spec, {"Root": 0, "A": len(a), "B": len(b)})
    base = [4] * len(a)
    await answered_wave(pool, org.id, pulse_id, {teams["A"]: base, teams["B"]: base})
    wave = await answered_wave(pool, org.id, pulse_id, {teams["A"]: a, teams["B"]: b})

    trends = {}
    for name in ("A", "B"):
        r = await client.get(f"/api/v1/teams/{teams[name]}/trend", headers=org.headers)
        trends[name] = r.json()["series"]
    for sa, sb in zip(trends["A"], trends["B"], strict=True):
        for pa, pb in zip(sa["points"], sb["points"], strict=True):
            assert _numbers(pa["result"]) == _numbers(pb["result"])
            assert (pa["delta"], pa["delta_ci"], pa["change"]) == (
                pb["delta"],
                pb["delta_ci"],
                pb["change"],
            )
    hm = (
        await client.get(
            f"/api/v1/waves/{wave}/heatmap", params={"scope": "team"}, headers=org.headers
        )
    ).json()
    rows = {row["team_name"]: row for row in hm["rows"]}
    assert {d: _numbers(c) for d, c in rows["A"]["cells"].items()} == {
        d: _numbers(c) for d, c in rows["B"]["cells"].items()
    }

    def rows_of(text: str, team: str | None = None) -> list[dict[str, str]]:
        """CSV rows (of one team, when given) without the team's own id and name."""
        return [
            {k: v for k, v in r.items() if k not in ("team_id", "team_name")}
            for r in csv.DictReader(io.StringIO(text))
            if team is None or r["team_name"] == team
        ]

    heat = (
        await client.get(
            f"/api/v1/waves/{wave}/heatmap.csv", params={"scope": "team"}, headers=org.headers
        )
    ).text
    assert rows_of(heat, "A") == rows_of(heat, "B") != []
    trend_csv = {}
    for name in ("A", "B"):
        url = f"/api/v1/teams/{teams[name]}/trend.csv"
        trend_csv[name] = rows_of((await client.get(url, headers=org.headers)).text)
    assert trend_csv["A"] == trend_csv["B"] != []
    widgets = []
    for name in ("A", "B"):
        token = (await make_widget_token(client, org.headers, teams[name]))["token"]
        body = (await client.get("/embed/v1/trend.json", params={"token": token})).json()
        widgets.append({k: v for k, v in body.items() if k != "team"})
    assert widgets[0] == widgets[1]


def test_a_small_cells_intervals_use_the_waves_spread_and_a_large_ones_its_own() -> None:
    def agg(values: list[int], pooled: float | None) -> Aggregate:
        return Aggregate(
            n=len(values),
            sum_raw=float(sum(values)),
            sumsq_raw=float(sum(v * v for v in values)),
            sum100=sum((v - 1) / 6 * 100 for v in values),
            sumsq100=sum(((v - 1) / 6 * 100) ** 2 for v in values),
            favourable=sum(v >= 6 for v in values),
            scale_min=1,
            scale_max=7,
            pooled_var_raw=pooled,
            pooled_var100=None if pooled is None else pooled * (100 / 6) ** 2,
        )

    same_a, same_b = [4, 4, 4, 4, 4], [2, 4, 4, 5, 5]
    for pooled in (1.7, None):
        assert cell_from(Released(agg(same_a, pooled))) == cell_from(Released(agg(same_b, pooled)))
    # With no pooled spread (a small wave), the even spread over the scale: wide and shared.
    assert spread(agg(same_a, None))[0] == 36 / 12
    large = [1, 7] * (LARGE_CELL // 2)
    assert spread(agg(large, 0.5))[0] > 8  # its own (9.3), not the pooled 0.5
