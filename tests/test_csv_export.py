"""CSV exports: one charset, and no cell a spreadsheet would run as a formula.

Spreadsheets split a CSV on commas or, in many locales (Dutch and German Excel), on semicolons;
some users paste it as tab-separated text. Whichever separator the reader picks, no field may
start with a formula trigger. Numbers stay plain numbers for the comma reader (a negative delta
is `-16.7`, which a spreadsheet reads as a number, not a formula).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.analytics.export import heatmap_csv, trend_csv
from service.analytics.heatmap import wave_heatmap
from service.analytics.trends import team_trend
from service.console.sessions import COOKIE
from tests.factories import Org, signed_in
from tests.worlds import answered_wave, make_world

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?\d+(\.\d+)?\Z")
HOSTILE = [
    "x;=1+1;y",
    "=HYPERLINK(1)",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "tab\t=1+1",
    "\t=lead",
    'q;"=1+1"',
    "comma,=1;@x",
    "line\n=1+1",
    "cr\r+1",
    "a;;=3;",
    ";-1",
    '";=2',
    "\r\n-5",
]
START = datetime(2026, 3, 2, 9, tzinfo=UTC)


def fields(text: str, delimiter: str) -> list[str]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [f for row in reader for f in row]


def formula_fields(text: str) -> list[tuple[str, str]]:
    """Every (reading, field) that a spreadsheet would take for a formula."""
    bad = [
        ("comma", f) for f in fields(text, ",") if f.startswith(TRIGGERS) and not NUMBER.match(f)
    ]
    for name, delimiter in (("semicolon", ";"), ("tab", "\t")):
        bad += [(name, f) for f in fields(text, delimiter) if f.startswith(TRIGGERS)]
    return bad


async def _hostile_world(pool: asyncpg.Pool, org: Org) -> tuple[dict[str, Any], Any]:
    """Every hostile name a published team, with a falling score (so deltas are negative)."""
    teams, pulse_id = await make_world(
        pool, org.id, {n: {} for n in HOSTILE}, dict.fromkeys(HOSTILE, 6)
    )
    wave = None
    for w, score in enumerate((6, 4)):
        wave = await answered_wave(
            pool,
            org.id,
            pulse_id,
            {teams[n]: [score] * 6 for n in HOSTILE},
            opens_at=START + timedelta(weeks=w),
        )
    return teams, wave


async def test_csv_routes_send_exactly_one_charset(
    client: Any, app: Any, pool: asyncpg.Pool, org: Org
) -> None:
    teams, pulse_id = await make_world(pool, org.id, {"Platform": {}}, {"Platform": 6})
    wave = await answered_wave(pool, org.id, pulse_id, {teams["Platform"]: [5] * 6})
    urls = {
        "/api/v1/teams/{team_id:uuid}/trend.csv": f"/api/v1/teams/{teams['Platform']}/trend.csv",
        "/api/v1/waves/{wave_id:uuid}/heatmap.csv": f"/api/v1/waves/{wave}/heatmap.csv",
    }
    csv_routes = {
        route.path
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if "GET" in handler.http_methods
        and (route.path.endswith(".csv") or "csv" in str(handler.media_type))
    }
    # The console's heatmap CSV (a session, not a key) is the same file for a signed-in admin.
    admin = await pool.fetchval(
        """INSERT INTO people (org_id, email, display_name, admin) VALUES ($1, $2, 'Ada', true)
           RETURNING id""",
        org.id,
        "ada@example.test",
    )
    session = await signed_in(pool, org.id, admin)
    console = {
        "/console/heatmap.csv": f"/console/heatmap.csv?wave={wave}",
        "/console/admin/audit.csv": "/console/admin/audit.csv",
    }
    urls["/api/v1/audit.csv"] = "/api/v1/audit.csv"
    assert csv_routes == set(urls) | set(console), "a new CSV route: add it here"
    for url in urls.values():
        r = await client.get(url, headers=org.headers)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "text/csv; charset=utf-8", url
    for url in console.values():
        r = await client.get(url, cookies={COOKIE: session.cookie})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "text/csv; charset=utf-8", url


async def test_no_csv_field_is_a_formula_whatever_the_separator(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    teams, wave = await _hostile_world(pool, org)
    texts = [(await client.get(f"/api/v1/waves/{wave}/heatmap.csv", headers=org.headers)).text]
    for name in HOSTILE:
        r = await client.get(f"/api/v1/teams/{teams[name]}/trend.csv", headers=org.headers)
        assert r.status_code == 200, r.text
        texts.append(r.text)
    for text in texts:
        assert formula_fields(text) == [], text
    # The names survive, recognisably, for the comma reader.
    heatmap_rows = list(csv.DictReader(io.StringIO(texts[0], newline="")))
    assert {r["team_name"].replace("'", "") for r in heatmap_rows} == {
        n.replace("'", "") for n in HOSTILE
    }
    assert {"'-2+3", "x;'=1+1;y"} <= {r["team_name"] for r in heatmap_rows}
    # Negative deltas stay numbers, written as numbers.
    trend_rows = list(csv.DictReader(io.StringIO(texts[1], newline="")))
    deltas = [r["delta"] for r in trend_rows if r["delta"]]
    assert deltas and all(NUMBER.match(d) and float(d) < 0 for d in deltas)
    assert f",{deltas[0]}," in texts[1]


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.text(alphabet=st.sampled_from("=+-@\t\r\n;,\"' xA1"), min_size=1, max_size=12))
def _check_any_name(trend: Any, heatmap: Any, name: str) -> None:
    renamed_trend = msgspec.structs.replace(trend, team_name=name)
    rows = [msgspec.structs.replace(r, team_name=name) for r in heatmap.rows]
    renamed_heatmap = msgspec.structs.replace(heatmap, rows=rows)
    for body in (trend_csv(renamed_trend), heatmap_csv(renamed_heatmap)):
        text = body.decode()
        assert formula_fields(text) == [], (name, text)


async def test_any_team_name_is_formula_safe(pool: asyncpg.Pool, org: Org) -> None:
    teams, wave = await _hostile_world(pool, org)
    async with pool.acquire() as conn:
        trend = await team_trend(conn, org.id, teams[HOSTILE[0]])
        heatmap = await wave_heatmap(conn, org.id, wave, visible=None)
    assert any(p.delta is not None for s in trend.series for p in s.points)
    _check_any_name(trend, heatmap)
