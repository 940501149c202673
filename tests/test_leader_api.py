"""The leader API: trend, heatmap, comments and CSV, what each key may see, and bad input."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import asyncpg

from service.analytics.trends import team_trend
from tests.factories import Org, make_leader_headers
from tests.worlds import answered_wave, make_world

SPEC = {"Eng": {"Platform": {}, "Apps": {}, "Ops": {}, "Tiny": {}}, "Sales": {}}
SIZES = {"Eng": 0, "Platform": 12, "Apps": 10, "Ops": 7, "Tiny": 3, "Sales": 8}
START = datetime(2026, 1, 5, 9, tzinfo=UTC)


async def _history(
    pool: asyncpg.Pool, org: Org, waves: int = 3
) -> tuple[dict[str, Any], list[Any]]:
    """Platform improves, Apps declines, Tiny is too small (and Ops, the next smallest, is
    hidden with it); Sales is another subtree."""
    teams, pulse_id = await make_world(pool, org.id, SPEC, SIZES, comment_k=10)
    ids = []
    for w in range(waves):
        scores = {
            teams["Platform"]: [2 + w * 2] * 6 + [3 + w * 2] * 5,
            teams["Apps"]: [6 - w * 2] * 5 + [7 - w * 2] * 4,
            teams["Ops"]: [4, 5, 4, 5, 4, 5],
            teams["Tiny"]: [4, 5],
            teams["Sales"]: [5, 5, 6, 6, 4, 5],
        }
        comments = {teams["Platform"]: [f"wave {w} note {i}" for i in range(11)]}
        ids.append(
            await answered_wave(
                pool,
                org.id,
                pulse_id,
                scores,
                comments=comments,
                opens_at=START + timedelta(weeks=2 * w),
            )
        )
    return teams | {"pulse": pulse_id}, ids


async def test_trend_shows_scores_intervals_change_and_participation(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    teams, _ = await _history(pool, org)
    r = await client.get(f"/api/v1/teams/{teams['Platform']}/trend", headers=org.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["team_name"] == "Platform" and body["scope"] == "subtree"
    assert [w["respondents"] for w in body["waves"]] == [11, 11, 11]
    assert body["waves"][0]["participation"] == {
        "rate_pct": 90,
        "band": "high",
        "reason": None,
        "reason_code": None,
    }
    series = {s["key"]: s for s in body["series"]}
    assert series
    for s in series.values():
        p0, p1, p2 = s["points"]
        assert p0["result"]["published"] and p0["delta"] is None and p0["change"] is None
        assert p0["result"]["mean"] == round((2 * 6 + 3 * 5) / 11, 2)
        lo, hi = p0["result"]["mean_ci"]["low"], p0["result"]["mean_ci"]["high"]
        assert lo < p0["result"]["mean"] < hi
        assert p1["change"] == "up" and p1["delta"] > 0
        assert p2["change"] == "up"
    r = await client.get(f"/api/v1/teams/{teams['Apps']}/trend", headers=org.headers)
    assert all(s["points"][1]["change"] == "down" for s in r.json()["series"])


async def test_a_team_below_k_is_reported_with_its_smallest_sibling_and_says_so(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    # Tiny has 3 people (k=5): the plan reports it together with Ops (7), the smallest
    # sibling that brings the group to 5 or more. Both teams' pages show the pooled group.
    teams, _ = await _history(pool, org)
    tiny = (await client.get(f"/api/v1/teams/{teams['Tiny']}/trend", headers=org.headers)).json()
    ops = (await client.get(f"/api/v1/teams/{teams['Ops']}/trend", headers=org.headers)).json()
    for body in (tiny, ops):
        assert {(w["group"], w["pooled"]) for w in body["waves"]} == {("Ops & Tiny", True)}
        assert [w["respondents"] for w in body["waves"]] == [8, 8, 8]
    assert tiny["series"] == ops["series"]
    assert all(p["result"]["published"] for s in tiny["series"] for p in s["points"])
    # Nothing else had to be hidden to protect Tiny: Eng's subtree and its other teams show.
    eng = (await client.get(f"/api/v1/teams/{teams['Eng']}/trend", headers=org.headers)).json()
    assert all(w["respondents"] for w in eng["waves"])


async def test_a_group_with_too_few_responses_shows_reasons_and_no_numbers(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    teams, pulse_id = await make_world(pool, org.id, SPEC, SIZES, comment_k=10)
    scores = {
        teams["Platform"]: [5] * 10,
        teams["Apps"]: [4] * 9,
        teams["Ops"]: [4, 5, 4, 5, 4, 5],
        teams["Tiny"]: [4, 5],
        teams["Sales"]: [5, 4, 5],  # 3 of 8: too few in a closed wave
    }
    await answered_wave(pool, org.id, pulse_id, scores, opens_at=START)
    r = await client.get(f"/api/v1/teams/{teams['Sales']}/trend", headers=org.headers)
    body = r.json()
    assert {w["reason"] for w in body["waves"]} == {"fewer than 5 responses"}
    assert all(w["respondents"] is None for w in body["waves"])
    assert all(w["participation"]["rate_pct"] is None for w in body["waves"])
    for s in body["series"]:
        for p in s["points"]:
            assert p["result"] == {
                "published": False,
                "reason": "fewer than 5 responses",
                "reason_code": "few",
                "reason_about": None,
                "n": None,
                "mean": None,
                "mean_ci": None,
                "score": None,
                "score_ci": None,
                "favourable_pct": None,
                "favourable_ci": None,
            }


async def test_leader_sees_own_subtree_and_gets_404_elsewhere_like_for_unknown_teams(
    client: Any, pool: asyncpg.Pool, org: Org, other_org: Org
) -> None:
    teams, waves = await _history(pool, org, waves=1)
    lead = await make_leader_headers(pool, org.id, [teams["Eng"]])
    assert (
        await client.get(f"/api/v1/teams/{teams['Apps']}/trend", headers=lead)
    ).status_code == 200
    outside = await client.get(f"/api/v1/teams/{teams['Sales']}/trend", headers=lead)
    unknown = await client.get(f"/api/v1/teams/{uuid4()}/trend", headers=lead)
    foreign = await client.get(f"/api/v1/teams/{teams['Apps']}/trend", headers=other_org.headers)
    assert outside.status_code == unknown.status_code == foreign.status_code == 404
    assert outside.json()["detail"] == unknown.json()["detail"] == foreign.json()["detail"]
    # The heatmap of a wave only lists the leader's teams.
    hm = (await client.get(f"/api/v1/waves/{waves[0]}/heatmap", headers=lead)).json()
    assert teams["Sales"] not in {row["team_id"] for row in hm["rows"]}
    assert {row["team_name"] for row in hm["rows"]} == {"Eng", "Platform", "Apps", "Ops", "Tiny"}
    sales_lead = await make_leader_headers(pool, org.id, [teams["Sales"]])
    assert (
        await client.get(f"/api/v1/waves/{waves[0]}/heatmap", headers=sales_lead)
    ).status_code == 200
    r = await client.get(f"/api/v1/waves/{waves[0]}/heatmap", headers=other_org.headers)
    assert r.status_code == 404


async def test_trend_heatmap_and_csv_hide_the_same_cells(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    teams, pulse_id = await make_world(pool, org.id, SPEC, SIZES, comment_k=10)
    scores = {
        teams["Platform"]: [5] * 10,
        teams["Apps"]: [4] * 9,
        teams["Ops"]: [4, 5],  # reported with Tiny: 4 answers in all, too few
        teams["Tiny"]: [4, 5],
        teams["Sales"]: [5, 4, 5],
    }
    wave = await answered_wave(pool, org.id, pulse_id, scores, opens_at=START)
    hm = (await client.get(f"/api/v1/waves/{wave}/heatmap", headers=org.headers)).json()
    hidden_in_heatmap = {
        (row["team_id"], dim)
        for row in hm["rows"]
        for dim, cell in row["cells"].items()
        if not cell["published"]
    }
    hidden_in_trends = set()
    reasons = {}
    for name in ("Eng", "Platform", "Apps", "Ops", "Tiny", "Sales"):
        t = (await client.get(f"/api/v1/teams/{teams[name]}/trend", headers=org.headers)).json()
        for s in t["series"]:
            if not s["points"][0]["result"]["published"]:
                hidden_in_trends.add((str(teams[name]), s["key"]))
                reasons[name] = s["points"][0]["result"]["reason"]
    text = (await client.get(f"/api/v1/waves/{wave}/heatmap.csv", headers=org.headers)).text
    rows = list(csv.DictReader(io.StringIO(text)))
    hidden_in_csv = {(r["team_id"], r["dimension"]) for r in rows if r["published"] == "no"}
    assert hidden_in_heatmap == hidden_in_trends == hidden_in_csv
    hidden_teams = {t for t, _ in hidden_in_csv}
    # "Ops & Tiny" (4) is too few; Apps, the smallest other part of Eng, is hidden with it so
    # that Eng minus Platform and Apps is not the pair, and its reason names them.
    assert {str(teams[n]) for n in ("Ops", "Tiny", "Apps", "Sales")} == hidden_teams
    assert reasons["Tiny"] == reasons["Ops"] == "fewer than 5 responses"
    assert "Ops & Tiny" in reasons["Apps"] and "subtraction" in reasons["Apps"]


async def test_csv_carries_the_same_numbers_as_json(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    teams, _ = await _history(pool, org, waves=2)
    url = f"/api/v1/teams/{teams['Platform']}/trend"
    body = (await client.get(url, headers=org.headers)).json()
    r = await client.get(url + ".csv", headers=org.headers)
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == sum(len(s["points"]) for s in body["series"])
    first = body["series"][0]
    row = next(x for x in rows if x["key"] == first["key"] and x["delta"])
    assert float(row["score"]) == first["points"][1]["result"]["score"]
    assert float(row["delta"]) == first["points"][1]["delta"]
    assert row["change"] == first["points"][1]["change"]


async def test_csv_neutralises_formulas_in_team_names(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    teams, pulse_id = await make_world(pool, org.id, {"=HYPERLINK(1)": {}}, {"=HYPERLINK(1)": 6})
    await answered_wave(pool, org.id, pulse_id, {teams["=HYPERLINK(1)"]: [5] * 6})
    text = (
        await client.get(f"/api/v1/teams/{teams['=HYPERLINK(1)']}/trend.csv", headers=org.headers)
    ).text
    assert "'=HYPERLINK(1)" in text


async def test_filters_by_dimension_kind_and_dates(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    teams, _ = await _history(pool, org)
    url = f"/api/v1/teams/{teams['Platform']}/trend"
    all_dims = [s["key"] for s in (await client.get(url, headers=org.headers)).json()["series"]]
    one = (await client.get(url, params={"key": all_dims[0]}, headers=org.headers)).json()
    assert [s["key"] for s in one["series"]] == [all_dims[0]]
    items = (await client.get(url, params={"kind": "item"}, headers=org.headers)).json()
    assert items["series"] and all(s["dimension"] for s in items["series"])
    since = (START + timedelta(weeks=2)).date().isoformat()
    later = (await client.get(url, params={"since": since}, headers=org.headers)).json()
    assert len(later["waves"]) == 2
    last = (await client.get(url, params={"waves": 1}, headers=org.headers)).json()
    assert len(last["waves"]) == 1 and last["waves"][0]["opens_on"] == "2026-02-02"


async def test_bad_input_is_a_clear_4xx(client: Any, pool: asyncpg.Pool, org: Org) -> None:
    teams, waves = await _history(pool, org, waves=1)
    t = f"/api/v1/teams/{teams['Platform']}/trend"
    h = f"/api/v1/waves/{waves[0]}/heatmap"
    cases = [
        (t, {"key": "no_such_dimension"}, 400),
        (t, {"kind": "item", "key": "no.such.item"}, 400),
        (t, {"since": "2026-13-45"}, 400),
        (t, {"since": "yesterday"}, 400),
        (t, {"since": "2026-03-01", "until": "2026-01-01"}, 400),
        (t, {"waves": "100000"}, 400),
        (t, {"waves": "0"}, 400),
        (t, {"scope": "everything"}, 400),
        (h, {"limit": "100000"}, 400),
        (h, {"offset": "-1"}, 400),
        (h, {"dimension": "x" * 500}, 400),
        (h, {"dimension": "no_such_dimension"}, 400),
        ("/api/v1/teams/not-a-uuid/trend", {}, 404),
        (f"/api/v1/waves/{uuid4()}/heatmap", {}, 404),
    ]
    for url, params, status in cases:
        r = await client.get(url, params=params, headers=org.headers)
        assert r.status_code == status, (url, params, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")


async def test_open_wave_is_announced_but_has_no_numbers(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    teams, _ = await _history(pool, org, waves=1)
    wave_id = await answered_wave(
        pool,
        org.id,
        teams["pulse"],
        {teams["Platform"]: [7] * 11},
        close=False,
        opens_at=START + timedelta(weeks=8),
    )
    body = (
        await client.get(f"/api/v1/teams/{teams['Platform']}/trend", headers=org.headers)
    ).json()
    assert body["waves"][-1]["state"] == "open"
    assert body["waves"][-1]["reason"] == "wave still open"
    assert all(s["points"][-1]["result"]["reason"] == "wave still open" for s in body["series"])
    r = await client.get(f"/api/v1/waves/{wave_id}/heatmap", headers=org.headers)
    assert r.status_code == 409 and "still open" in r.json()["detail"]
    r = await client.get(
        f"/api/v1/teams/{teams['Platform']}/waves/{wave_id}/comments", headers=org.headers
    )
    assert r.status_code == 409


async def test_comments_shown_only_for_large_groups_without_dates_or_ids(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    teams, waves = await _history(pool, org, waves=1)
    url = f"/api/v1/teams/{teams['Platform']}/waves/{waves[0]}/comments"
    body = (await client.get(url, headers=org.headers)).json()
    assert body["shown"] and body["total"] == 11
    assert sorted(body["comments"]) == sorted(f"wave 0 note {i}" for i in range(11))
    assert all(isinstance(c, str) for c in body["comments"])
    page = (await client.get(url, params={"limit": 5, "offset": 10}, headers=org.headers)).json()
    assert len(page["comments"]) == 1
    small = f"/api/v1/teams/{teams['Sales']}/waves/{waves[0]}/comments"
    body = (await client.get(small, headers=org.headers)).json()
    assert not body["shown"] and body["comments"] == [] and body["total"] is None
    assert body["reason"] == "comments are shown only for groups of at least 10 responses"
    # Eng (28) minus Platform (11) leaves 17 >= 10: Eng's comments may be shown, Apps' (9) not.
    eng = f"/api/v1/teams/{teams['Eng']}/waves/{waves[0]}/comments"
    assert (await client.get(eng, params={"scope": "subtree"}, headers=org.headers)).json()[
        "total"
    ] == 11
    apps = f"/api/v1/teams/{teams['Apps']}/waves/{waves[0]}/comments"
    assert not (await client.get(apps, headers=org.headers)).json()["shown"]
    lead = await make_leader_headers(pool, org.id, [teams["Sales"]])
    assert (await client.get(url, headers=lead)).status_code == 404
    assert (await client.get(url, params={"limit": 10000}, headers=org.headers)).status_code == 400


async def test_team_trend_function_limits_waves_and_is_guarded(
    pool: asyncpg.Pool, org: Org
) -> None:
    teams, _ = await _history(pool, org)
    async with pool.acquire() as conn:
        trend = await team_trend(conn, org.id, teams["Eng"], subtree=True, waves_limit=2)
        own = await team_trend(conn, org.id, teams["Eng"], subtree=False)
    assert len(trend.waves) == 2 and trend.waves[0].opens_on < trend.waves[1].opens_on
    assert all(w.respondents == 11 + 9 + 6 + 2 for w in trend.waves)
    # Nobody sits in Eng itself: its own-team view is empty, not zero.
    assert all(w.respondents is None and w.reason for w in own.waves)
