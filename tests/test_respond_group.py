"""The respondent knows their group: the page and its JSON twin name the group the answers count
toward and how many people were invited to it, from the plan the wave froze when it opened."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import asyncpg

from service.surveys.respond import token_for
from service.surveys.waves import open_wave
from tests.factories import TEST_SECRET, Org, full_answers, make_people, make_pulse, make_team_tree
from tests.worlds import close_test_wave, open_test_wave

PLATFORM_EN = (
    "Your answers count toward Platform: 6 people were invited. Results are shown only if at "
    "least 5 of them answer."
)
PLATFORM_NL = (
    "Je antwoorden tellen mee voor Platform: er zijn 6 mensen uitgenodigd. Uitkomsten worden "
    "alleen getoond als minstens 5 van hen antwoorden."
)


async def _product_wave(
    pool: asyncpg.Pool, org: Org, teams: list[str] | None = None
) -> tuple[dict[str, UUID], UUID, dict[str, str]]:
    """Platform (12), Data (7) and Design (3) under Product; an open wave; a token per team."""
    ids = await make_team_tree(
        pool, org.id, {"Product": {"Platform": {}, "Data": {}, "Design": {}}}
    )
    for name, n in {"Platform": 12, "Data": 7, "Design": 3}.items():
        await make_people(pool, org.id, ids[name], n, locale="nl" if name == "Data" else "en")
    pulse_id = await make_pulse(pool, org.id, [ids[t] for t in teams or ["Product"]])
    async with pool.acquire() as conn:
        wave_id = await open_wave(conn, org.id, pulse_id, secret=TEST_SECRET)
    rows = await pool.fetch(
        "SELECT DISTINCT ON (team_id) id, team_id FROM invitations WHERE wave_id = $1", wave_id
    )
    names = {v: k for k, v in ids.items() if "/" not in k}
    tokens = {names[r["team_id"]]: token_for(TEST_SECRET, r["id"]) for r in rows}
    return ids, wave_id, tokens


async def test_the_page_and_json_name_the_team_and_its_invited_count_in_en_and_nl(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id, people=6, k=5)
    en = await client.get(f"/s/{w.tokens[0]}")
    nl = await client.get(f"/s/{w.tokens[0]}?lang=nl")
    assert en.status_code == nl.status_code == 200
    assert PLATFORM_EN in en.text and PLATFORM_NL in nl.text
    js = await client.get(f"/api/v1/respond/{w.tokens[0]}")
    assert js.status_code == 200 and js.headers["cache-control"] == "no-store"
    body = js.json()
    assert body["group"] == {
        "name": "Platform",
        "pooled": False,
        "together_with": [],
        "invited": 6,
        "text": PLATFORM_EN,
    }
    assert (body["lang"], body["k"], body["comment_k"]) == ("en", 5, 10)
    assert [i["key"] for i in body["items"]] == w.item_keys
    assert [c["value"] for c in body["items"][0]["choices"]] == list(range(1, 8))
    dutch = await client.get(
        f"/api/v1/respond/{w.tokens[0]}", headers={"Accept-Language": "nl-NL,nl;q=0.9"}
    )
    assert dutch.json()["group"]["text"] == PLATFORM_NL and dutch.json()["lang"] == "nl"
    # Reading the form uses nothing up: the token still submits.
    posted = await client.post(
        f"/api/v1/respond/{w.tokens[0]}", json={"answers": full_answers(w.item_keys)}
    )
    assert posted.status_code == 201


async def test_a_pooled_team_is_told_whom_it_is_reported_with(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    _, _, tokens = await _product_wave(pool, org)
    design = await client.get(f"/s/{tokens['Design']}")
    assert (
        "Your answers count toward “Data &amp; Design” (your team is reported together with "
        "Data): 10 people were invited. Results are shown only if at least 5 of them answer."
    ) in design.text
    data = await client.get(f"/s/{tokens['Data']}")  # Data's people read Dutch
    assert (
        "Je antwoorden tellen mee voor “Data &amp; Design” (je team wordt samen met Design "
        "gerapporteerd): er zijn 10 mensen uitgenodigd."
    ) in data.text
    group = (await client.get(f"/api/v1/respond/{tokens['Design']}?lang=en")).json()["group"]
    assert (group["name"], group["pooled"], group["together_with"], group["invited"]) == (
        "Data & Design",
        True,
        ["Data"],
        10,
    )
    platform = (await client.get(f"/api/v1/respond/{tokens['Platform']}")).json()["group"]
    assert (platform["name"], platform["invited"], platform["pooled"]) == ("Platform", 12, False)


async def test_the_group_is_the_one_frozen_at_open(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    ids, _, tokens = await _product_wave(pool, org)
    await make_people(pool, org.id, ids["Design"], 4)
    await pool.execute(
        "UPDATE teams SET report_with = $2 WHERE id = $1", ids["Design"], ids["Platform"]
    )
    group = (await client.get(f"/api/v1/respond/{tokens['Design']}")).json()["group"]
    assert (group["name"], group["invited"]) == ("Data & Design", 10)


async def test_a_group_that_can_never_report_says_so(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    _, _, tokens = await _product_wave(pool, org, teams=["Design"])
    page = await client.get(f"/s/{tokens['Design']}")
    assert (
        "Your answers count toward Design: 3 people were invited. Results are shown only when "
        "at least 5 people answer, so this group&#39;s results will not be shown."
    ) in page.text
    nl = (await client.get(f"/api/v1/respond/{tokens['Design']}?lang=nl")).json()["group"]
    assert nl["text"] == (
        "Je antwoorden tellen mee voor Design: er zijn 3 mensen uitgenodigd. Uitkomsten worden "
        "alleen getoond als minstens 5 mensen antwoorden, dus die van deze groep worden niet "
        "getoond."
    )


async def test_a_wave_opened_before_groups_were_frozen_shows_no_group_line(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id, people=6, k=5)
    await pool.execute("DELETE FROM wave_plan WHERE wave_id = $1", w.wave_id)
    page = await client.get(f"/s/{w.tokens[0]}")
    assert page.status_code == 200 and "count toward" not in page.text
    assert (await client.get(f"/api/v1/respond/{w.tokens[0]}")).json()["group"] is None


async def test_the_json_read_keeps_the_oracles_of_the_page(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id, people=6, k=5, locale="nl")
    posted = await client.post(
        f"/api/v1/respond/{w.tokens[0]}", json={"answers": full_answers(w.item_keys)}
    )
    assert posted.status_code == 201
    unknown = token_for(TEST_SECRET, uuid4())
    used = await client.get(f"/api/v1/respond/{w.tokens[0]}")
    fake = await client.get(f"/api/v1/respond/{unknown}")
    garbage = await client.get("/api/v1/respond/not-a-token")
    assert used.status_code == fake.status_code == garbage.status_code == 404
    assert used.content == fake.content == garbage.content
    assert "Platform" not in used.text
    await close_test_wave(pool, org.id, w.wave_id)
    closed_used = await client.get(f"/api/v1/respond/{w.tokens[0]}")
    closed_unused = await client.get(f"/api/v1/respond/{w.tokens[1]}")
    assert closed_used.status_code == closed_unused.status_code == 410
    assert closed_used.content == closed_unused.content
