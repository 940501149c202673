"""The console's pages over HTTP: a signed-in leader sees what a leader key would, in words.

The demo history (Platform up, Mobile down, Design too small on its own and reported together
with Data as "Data & Design") is the world; where a test needs hidden numbers, it adds a round in
which only three people of Data & Design answered. Numbers on the pages are compared with the
leader API's JSON for a key of the same scope.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from service.auth import create_key
from service.console.results import results_mails
from service.settings import Settings
from tests.factories import signed_in
from tests.worlds import ConsoleWorld, answered_wave, console_world


async def few_in_data_and_design(pool: asyncpg.Pool, w: ConsoleWorld) -> None:
    """One more closed round: Data & Design has 3 answers (hidden, fewer than 5), and Platform
    is hidden with it so that those 3 cannot be worked out from Product's total."""
    pulse_id = await pool.fetchval("SELECT id FROM pulses WHERE org_id = $1", w.org.id)
    scores = {w.teams["Platform"]: [5] * 6, w.teams["Mobile"]: [4] * 7}
    scores |= {w.teams["Data"]: [3, 3], w.teams["Design"]: [6]}
    scores |= {w.teams["Field sales"]: [5] * 6, w.teams["Inside sales"]: [5] * 5}
    await answered_wave(
        pool, w.org.id, pulse_id, scores, opens_at=datetime.now(UTC) - timedelta(days=6)
    )


async def _leader_key(pool: asyncpg.Pool, w: ConsoleWorld, team: str) -> dict[str, str]:
    async with pool.acquire() as conn:
        _, key = await create_key(conn, w.org.id, "same scope", "leader", [w.teams[team]])
    return {"Authorization": f"Bearer {key}"}


async def test_the_team_page_shows_the_numbers_a_leader_key_of_the_same_scope_gets(
    client: Any, pool: asyncpg.Pool
) -> None:
    w = await console_world(pool)
    s = await signed_in(pool, w.org.id, w.leader)
    api = await client.get(
        f"/api/v1/teams/{w.teams['Mobile']}/trend", headers=await _leader_key(pool, w, "Product")
    )
    page = await client.get(f"/console/teams/{w.teams['Mobile']}", headers=s.headers)
    assert api.status_code == page.status_code == 200
    for series in api.json()["series"]:
        for point in series["points"]:
            cell = point["result"]
            if cell["published"]:
                low, high = cell["score_ci"]["low"], cell["score_ci"]["high"]
                assert f'<td class="num">{cell["score"]}</td>' in page.text
                assert f"<td>{low}–{high}</td>" in page.text
    # Mobile declined: the change is said in words, and it is the suggested topic.
    assert "down" in page.text and "Worth talking about" in page.text


async def test_hidden_points_show_their_reasons_and_no_number(
    client: Any, pool: asyncpg.Pool
) -> None:
    w = await console_world(pool)
    await few_in_data_and_design(pool, w)
    s = await signed_in(pool, w.org.id, w.leader)
    design = await client.get(f"/console/teams/{w.teams['Design']}", headers=s.headers)
    assert design.status_code == 200
    assert "fewer than 5 responses" in design.text
    # Every dimension's latest round is a hidden row: a reason, and no number in it.
    latest = re.findall(r"<tbody>\s*<tr>(.*?)</tr>", design.text, re.S)
    assert latest and all(
        "fewer than 5 responses" in row and '<td class="num">' not in row for row in latest
    )
    platform = await client.get(f"/console/teams/{w.teams['Platform']}", headers=s.headers)
    assert (
        "hidden so that Data &amp; Design, with fewer than 5 responses, cannot be worked out "
        "by subtraction; both show once Data &amp; Design has 5 or more"
    ) in platform.text
    switched = await client.post(
        "/console/language",
        data={"csrf": s.csrf, "lang": "nl", "next": f"/console/teams/{w.teams['Design']}"},
        headers=s.headers,
        follow_redirects=False,
    )
    assert switched.headers["location"] == f"/console/teams/{w.teams['Design']}"
    nl = await client.get(switched.headers["location"], headers=s.headers)
    assert 'lang="nl"' in nl.text
    assert "minder dan 5 reacties" in nl.text


async def test_the_questions_tab_shows_wording_not_keys(client: Any, pool: asyncpg.Pool) -> None:
    w = await console_world(pool)
    s = await signed_in(pool, w.org.id, w.leader)
    r = await client.get(f"/console/teams/{w.teams['Platform']}/items", headers=s.headers)
    assert r.status_code == 200
    assert "We regularly look back together" in r.text
    shown = re.findall(r'<span class="wording">([^<]+)</span>', r.text)
    assert shown and not any(re.fullmatch(r"[a-z]+\.[a-z_]+", text) for text in shown)


async def test_comments_appear_only_for_rounds_over_the_comment_threshold(
    client: Any, pool: asyncpg.Pool
) -> None:
    w = await console_world(pool)
    s = await signed_in(pool, w.org.id, w.leader)
    product = await client.get(f"/console/teams/{w.teams['Product']}", headers=s.headers)
    assert '<ul class="comments">' in product.text
    platform = await client.get(f"/console/teams/{w.teams['Platform']}", headers=s.headers)
    assert '<ul class="comments">' not in platform.text
    assert "at least 10 people answered" in platform.text


async def test_a_focus_is_recorded_kept_as_history_and_marked_on_the_trend(
    client: Any, pool: asyncpg.Pool
) -> None:
    w = await console_world(pool)
    s = await signed_in(pool, w.org.id, w.leader)
    team = w.teams["Mobile"]
    bad = await client.post(
        f"/console/teams/{team}/focus",
        data={"csrf": s.csrf, "dimension": "nonsense", "try_text": "x" * 281, "agreed_on": "soon"},
        headers=s.headers,
    )
    assert bad.status_code == 422 and "Please check the form" in bad.text
    for text, day in (
        ("Start meetings with a round of concerns", "2026-01-05"),
        ("Rotate who chairs the retro", "2026-02-02"),
    ):
        r = await client.post(
            f"/console/teams/{team}/focus",
            data={
                "csrf": s.csrf,
                "dimension": "speaking_up",
                "try_text": text,
                "agreed_on": day,
                "show_on_widget": "on",
            },
            headers=s.headers,
            follow_redirects=False,
        )
        assert r.status_code == 303
        saved = await client.get(r.headers["location"], headers=s.headers)
        assert "The focus is saved." in saved.text
    rows = await pool.fetch("SELECT try_text, shown_on_widget FROM team_focus ORDER BY agreed_on")
    assert [r["try_text"] for r in rows] == [
        "Start meetings with a round of concerns",
        "Rotate who chairs the retro",
    ]
    assert all(r["shown_on_widget"] for r in rows)
    page = await client.get(f"/console/teams/{team}", headers=s.headers)
    assert page.text.count('<g class="focus">') == 2
    assert "Rotate who chairs the retro" in page.text


async def test_talk_about_it_suggests_the_drop_and_gives_questions_in_both_languages(
    client: Any, pool: asyncpg.Pool
) -> None:
    w = await console_world(pool)
    s = await signed_in(pool, w.org.id, w.leader)
    r = await client.get(f"/console/teams/{w.teams['Mobile']}/talk", headers=s.headers)
    assert r.status_code == 200
    questions = re.findall(r"<ol class=\"questions\">(.*?)</ol>", r.text, re.S)
    assert questions and 3 <= questions[0].count("<li>") <= 5
    assert '<p class="suggest">' in r.text


async def test_the_heatmap_shows_the_subtree_with_reasons_flags_and_a_csv(
    client: Any, pool: asyncpg.Pool
) -> None:
    w = await console_world(pool)
    await few_in_data_and_design(pool, w)
    s = await signed_in(pool, w.org.id, w.leader)
    r = await client.get("/console/heatmap", headers=s.headers)
    assert r.status_code == 200
    for name in ("Product", "Platform", "Mobile", "Data", "Design"):
        assert f">{name}</a>" in r.text
    assert "Sales" not in r.text  # another subtree
    assert "fewer than 5 responses" in r.text
    assert 'class="change' in r.text
    wave = re.search(r'href="/console/heatmap.csv\?wave=([0-9a-f-]+)"', r.text)
    assert wave
    got = await client.get(f"/console/heatmap.csv?wave={wave.group(1)}", headers=s.headers)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    teams = {row["team_name"] for row in csv.DictReader(io.StringIO(got.text))}
    assert teams == {"Product", "Platform", "Mobile", "Data", "Design"}


async def test_an_admin_person_sees_the_whole_org(client: Any, pool: asyncpg.Pool) -> None:
    w = await console_world(pool)
    s = await signed_in(pool, w.org.id, w.admin)
    r = await client.get("/console/teams", headers=s.headers)
    assert "Product" in r.text and "Sales" in r.text
    assert (
        await client.get(f"/console/teams/{w.teams['Field sales']}", headers=s.headers)
    ).status_code == 200


async def test_out_of_scope_and_unknown_pages_are_friendly_404s(
    client: Any, pool: asyncpg.Pool
) -> None:
    w = await console_world(pool)
    other = await console_world(pool, "Other Co")
    s = await signed_in(pool, w.org.id, w.leader)
    for path in (
        f"/console/teams/{w.teams['Field sales']}",
        f"/console/teams/{other.teams['Platform']}",
        f"/console/teams/{other.teams['Platform']}/items",
        "/console/no-such-page",
    ):
        r = await client.get(path, headers=s.headers)
        assert r.status_code == 404, path
        assert "Page not found" in r.text and "Traceback" not in r.text
    bad = await client.get("/console/teams/not-a-uuid", headers=s.headers)
    assert 400 <= bad.status_code < 500 and "<html" in bad.text


async def test_results_are_in_mail_names_teams_and_links_but_no_number(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    w = await console_world(pool)
    await few_in_data_and_design(pool, w)
    await pool.execute(
        "INSERT INTO team_leaders (org_id, team_id, person_id) VALUES ($1, $2, $3)",
        w.org.id,
        w.teams["Design"],
        w.leader,
    )
    wave = await pool.fetchval(
        "SELECT id FROM waves WHERE org_id = $1 ORDER BY closes_at DESC LIMIT 1", w.org.id
    )
    mails = await results_mails(pool, settings, w.org.id, wave)
    assert len(mails) == 1 and mails[0].recipient == "lead@demo.example"
    text = mails[0].text
    assert (
        f"/console/teams/{w.teams['Product']}" in text
        and f"/console/teams/{w.teams['Design']}" in text
    )
    assert "results are ready" in text and "fewer than 5 responses" in text
    # No number but the threshold the guard itself names.
    assert set(re.findall(r"\d+", re.sub(r"http\S+", "", text))) == {"5", "15", "30"}
    await pool.execute(
        "INSERT INTO console_prefs (org_id, person_id, results_mail) VALUES ($1, $2, false)",
        w.org.id,
        w.leader,
    )
    assert await results_mails(pool, settings, w.org.id, wave) == []
