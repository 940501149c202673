"""Widget tokens and the embeds: the same guarded numbers, only where allowed, never a leak."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx

from service.analytics.trends import team_trend
from service.analytics.widgets.tokens import hash_token
from tests.factories import (
    ROOT,
    Org,
    make_leader_headers,
    make_pulse,
    make_team_tree,
    make_widget_token,
)
from tests.servers import live_server
from tests.waiting import wait_for
from tests.worlds import (
    BIG_TEAM_WAVES,
    CORE,
    WidgetWorld,
    answers_for,
    build_widget_world,
    close_tree_wave,
    close_wave_with,
    score100,
)

ORIGIN = "https://wiki.example.com"
JSON = "/embed/v1/trend.json"
FRAME = "/embed/v1/frame"
BADGE = "/embed/v1/badge.svg"


async def _world_and_token(
    client: Any, org: Org, pool: Any, **extra: Any
) -> tuple[WidgetWorld, str]:
    world = await build_widget_world(pool, org.id)
    extra.setdefault("allowed_origins", [ORIGIN])
    tok = await make_widget_token(client, org.headers, world.big, **extra)
    return world, tok["token"]


# ---- admin API -------------------------------------------------------------------------------


async def test_a_widget_token_is_shown_once_stored_hashed_and_listed_without_it(
    client: Any, org: Org, pool: Any
) -> None:
    world = await build_widget_world(pool, org.id)
    made = await make_widget_token(
        client, org.headers, world.big, allowed_origins=["https://Wiki.Example.com:443/"]
    )
    token = made["token"]
    assert re.fullmatch(r"cwt_[A-Za-z0-9_-]{43}", token)
    assert made["allowed_origins"] == [ORIGIN]
    assert token in made["embed"]["iframe"] and "/embed/v1/candor.js" in made["embed"]["component"]
    row = await pool.fetchrow("SELECT token_hash, prefix FROM widget_tokens")
    assert row["token_hash"] == hash_token(token)
    dump = await pool.fetchval("SELECT string_agg(t::text, '') FROM widget_tokens t")
    assert token not in dump
    listed = (await client.get("/api/v1/widget-tokens", headers=org.headers)).json()
    assert len(listed) == 1 and listed[0]["active"] is True
    assert "token" not in listed[0] and token not in str(listed)


async def test_only_an_admin_key_of_the_same_org_manages_widget_tokens(
    client: Any, org: Org, other_org: Org, pool: Any
) -> None:
    world = await build_widget_world(pool, org.id)
    body = {"label": "wiki", "team_id": str(world.big)}
    assert (await client.post("/api/v1/widget-tokens", json=body)).status_code == 401
    leader = await make_leader_headers(pool, org.id, [world.big])
    assert (
        await client.post("/api/v1/widget-tokens", json=body, headers=leader)
    ).status_code == 404
    assert (await client.get("/api/v1/widget-tokens", headers=leader)).status_code == 404
    # Another org's admin can neither mint for this team nor see or revoke this org's tokens.
    r = await client.post("/api/v1/widget-tokens", json=body, headers=other_org.headers)
    assert r.status_code == 404
    made = await make_widget_token(client, org.headers, world.big)
    assert (await client.get("/api/v1/widget-tokens", headers=other_org.headers)).json() == []
    r = await client.delete(f"/api/v1/widget-tokens/{made['id']}", headers=other_org.headers)
    assert r.status_code == 404
    assert (await client.get(JSON, params={"token": made["token"]})).status_code == 200


async def test_bad_token_bodies_are_4xx_and_store_nothing(client: Any, org: Org, pool: Any) -> None:
    world = await build_widget_world(pool, org.id)
    team = str(world.big)
    now = datetime.now(UTC)
    bad: list[Any] = [
        {"label": "", "team_id": team},
        {"label": "x" * 201, "team_id": team},
        {"label": "x", "team_id": "not-a-uuid"},
        {"label": "x", "team_id": str(uuid4())},
        {"label": "x", "team_id": team, "allowed_origins": ["https://*.example.com"]},
        {"label": "x", "team_id": team, "allowed_origins": ["https://example.com/wiki"]},
        {"label": "x", "team_id": team, "allowed_origins": ["javascript:alert(1)"]},
        {"label": "x", "team_id": team, "allowed_origins": ["https://a.example; script-src *"]},
        {
            "label": "x",
            "team_id": team,
            "allowed_origins": [f"https://h{i}.example" for i in range(21)],
        },
        {"label": "x", "team_id": team, "expires_at": (now - timedelta(days=1)).isoformat()},
        {"label": "x", "team_id": team, "expires_at": (now + timedelta(days=4 * 366)).isoformat()},
        {"label": "x", "team_id": team, "expires_at": "2030-01-01T00:00:00"},
        {"label": "x", "team_id": team, "extra": 1},
        [],
    ]
    for body in bad:
        r = await client.post("/api/v1/widget-tokens", json=body, headers=org.headers)
        assert 400 <= r.status_code < 500, (body, r.status_code)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert await pool.fetchval("SELECT count(*) FROM widget_tokens") == 0
    r = await client.delete(f"/api/v1/widget-tokens/{uuid4()}", headers=org.headers)
    assert r.status_code == 404


# ---- the numbers -----------------------------------------------------------------------------


async def test_every_form_shows_the_guarded_trend_rounded_to_whole_points(
    client: Any, org: Org, pool: Any
) -> None:
    world, token = await _world_and_token(client, org, pool)
    trend = await team_trend(pool, org.id, world.big, subtree=True, waves_limit=8)
    body = (await client.get(JSON, params={"token": token})).json()
    assert body["status"] == "ok" and body["team"] == "Platform"
    assert len(body["waves"]) == len(BIG_TEAM_WAVES)
    by_key = {d["key"]: d for d in body["dimensions"]}
    assert set(by_key) == set(CORE)
    for series in trend.series:
        shown = by_key[series.key]
        assert [p["score"] for p in shown["points"]] == [
            round(p.result.score) for p in series.points if p.result.score is not None
        ]
        assert shown["latest"] == round(series.points[-1].result.score or -1)
        assert shown["delta"] == round(series.points[-1].delta or 0)
        assert shown["change"] == series.points[-1].change
    # And independently of the trend code: psychological safety's latest score by hand.
    ps = by_key["psychological_safety"]
    hand = score100(answers_for("psychological_safety", BIG_TEAM_WAVES[-1]))
    assert ps["latest"] == round(hand)
    assert body["participation"] == "85%"  # 12 of 14 invited, rounded to 5 points

    page = (await client.get(FRAME, params={"token": token})).text
    for key, dim in by_key.items():
        assert f'<tr data-dimension="{key}">' in page
        assert f'data-score="{dim["latest"]}"' in page
    badge = (await client.get(BADGE, params={"token": token})).text
    # 12 answers a wave (of fewer than 30 in the whole wave) get the wide, shared spread, not
    # their own: a 15-point rise is then within what two such waves cannot tell apart.
    assert ps["delta"] >= 10 and ps["change"] == "no detectable change"
    assert f">{ps['latest']} ≈<" in badge


def test_the_badge_draws_the_change_arrow_it_is_given() -> None:
    from service.analytics.widgets.svg import change_label
    from service.analytics.widgets.view import DimensionView

    def dim(change: Any, delta: int) -> DimensionView:
        return DimensionView("trust", "trust", [], 70, delta, change, None, None)

    assert change_label(dim("up", 4)) == "▲ 4"
    assert change_label(dim("down", -3)) == "▼ 3"
    assert change_label(dim("no detectable change", 2)) == "≈"


async def test_suppressed_and_unpublished_teams_get_a_kind_explanation_and_no_numbers(
    client: Any, org: Org, pool: Any
) -> None:
    world = await build_widget_world(pool, org.id)
    small = (await make_widget_token(client, org.headers, world.small))["token"]
    quiet = (await make_widget_token(client, org.headers, world.quiet))["token"]
    body = (await client.get(JSON, params={"token": small})).json()
    assert body["status"] == "suppressed"
    assert body["message"] == "too few answered in that round (at least 5 needed)"
    assert body["dimensions"] == [] and body["participation"] is None
    nl = (await client.get(JSON, params={"token": small, "lang": "nl"})).json()
    assert nl["message"] == "te weinig reacties in die ronde (minstens 5 nodig)"
    body = (await client.get(JSON, params={"token": quiet})).json()
    assert body["status"] == "not_published" and "closed" in body["message"]
    page = (await client.get(FRAME, params={"token": small})).text
    assert "too few answered in that round (at least 5 needed)" in page and "<svg class" not in page
    assert not re.search(r"data-score", page)
    badge = (await client.get(BADGE, params={"token": small})).text
    assert "too few answered in that round (at least 5 needed)" in badge
    # The small team's three answers appear nowhere, not even as a count.
    assert ">3<" not in page and '"n"' not in str(body)


async def test_a_small_teams_widget_shows_its_pooled_group_and_says_so(
    client: Any, org: Org, pool: Any
) -> None:
    from tests.worlds import answered_wave, make_world

    spec = {"Eng": {"Platform": {}, "Ops": {}, "Tiny": {}}}
    teams, pulse_id = await make_world(
        pool, org.id, spec, {"Eng": 0, "Platform": 12, "Ops": 7, "Tiny": 3}
    )
    scores = {teams["Platform"]: [5] * 10, teams["Ops"]: [4] * 6, teams["Tiny"]: [6, 6]}
    await answered_wave(pool, org.id, pulse_id, scores)
    token = (await make_widget_token(client, org.headers, teams["Tiny"]))["token"]
    body = (await client.get(JSON, params={"token": token})).json()
    assert body["status"] == "ok"
    assert body["group_note"] == (
        "Reported together as “Ops & Tiny”: too few people for a group of its own."
    )
    page = (await client.get(FRAME, params={"token": token, "lang": "nl"})).text
    assert "Samen gerapporteerd als “Ops &amp; Tiny”" in page and "data-score" in page


async def test_a_teams_focus_shows_on_its_widget_only_when_its_leader_chose_so(
    client: Any, org: Org, pool: Any
) -> None:
    world, token = await _world_and_token(client, org, pool)
    first = await client.get(JSON, params={"token": token})
    assert first.json()["focus"] is None
    await pool.execute(
        """INSERT INTO team_focus (org_id, team_id, dimension, try_text, agreed_on,
                                  shown_on_widget)
           VALUES ($1, $2, 'speaking_up', 'Open each planning with a round of concerns',
                   '2026-11-02', true)""",
        org.id,
        world.big,
    )
    # The focus changes the widget: the old ETag no longer matches, the new body carries it.
    again = await client.get(
        JSON, params={"token": token}, headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 200
    assert again.json()["focus"] == {
        "dimension": "speaking up",
        "trying": "Open each planning with a round of concerns",
        "since": "2 Nov",
    }
    page = (await client.get(FRAME, params={"token": token, "lang": "nl"})).text
    assert "Onze focus" in page and "Open each planning with a round of concerns" in page
    # A newer focus the leader keeps to the team's page hides it from the widget again.
    await pool.execute(
        """INSERT INTO team_focus (org_id, team_id, dimension, try_text, agreed_on)
           VALUES ($1, $2, 'trust', 'Share one mistake a week', '2026-11-20')""",
        org.id,
        world.big,
    )
    assert (await client.get(JSON, params={"token": token})).json()["focus"] is None


# ---- tokens that must not work ---------------------------------------------------------------


async def test_unknown_revoked_expired_and_wrong_team_tokens_all_look_the_same(
    client: Any, org: Org, pool: Any
) -> None:
    world, token = await _world_and_token(client, org, pool)
    revoked = await make_widget_token(client, org.headers, world.big)
    await client.delete(f"/api/v1/widget-tokens/{revoked['id']}", headers=org.headers)
    expired = await make_widget_token(client, org.headers, world.big)
    await pool.execute(
        "UPDATE widget_tokens SET expires_at = now() - interval '1 second' WHERE id = $1",
        expired["id"],
    )
    cases = [
        {"token": "cwt_" + "A" * 43},
        {"token": "nonsense"},
        {"token": ""},
        {},
        {"token": revoked["token"]},
        {"token": expired["token"]},
        {"token": token, "team": str(world.small)},
        {"token": token, "team": str(uuid4())},
    ]
    answers: dict[str, set[tuple[int, bytes]]] = {JSON: set(), FRAME: set(), BADGE: set()}
    for params in cases:
        for path, seen in answers.items():
            r = await client.get(path, params=params)
            assert r.status_code == 404, (path, params)
            assert r.headers["cache-control"] == "no-store"
            body = re.sub(rb'"request_id":"[^"]*"', b"", r.content)
            seen.add((r.status_code, body))
    for path, seen in answers.items():
        assert len(seen) == 1, path  # one answer for all: nothing tells the cases apart
    assert (
        await client.get(JSON, params={"token": token, "team": str(world.big)})
    ).status_code == 200


async def test_revoking_or_expiring_stops_a_token_at_once_even_for_revalidation(
    client: Any, org: Org, pool: Any
) -> None:
    world = await build_widget_world(pool, org.id)
    made = await make_widget_token(client, org.headers, world.big)
    first = await client.get(JSON, params={"token": made["token"]})
    etag = first.headers["etag"]
    again = await client.get(JSON, params={"token": made["token"]}, headers={"If-None-Match": etag})
    assert again.status_code == 304
    r = await client.delete(f"/api/v1/widget-tokens/{made['id']}", headers=org.headers)
    assert r.status_code == 204
    for path in (JSON, FRAME, BADGE):
        r = await client.get(path, params={"token": made["token"]}, headers={"If-None-Match": etag})
        assert r.status_code == 404, path
    listed = (await client.get("/api/v1/widget-tokens", headers=org.headers)).json()
    assert listed[0]["active"] is False and listed[0]["revoked_at"]

    # Expiry: a token made to expire in a second works, then stops once that second has passed
    # (asked again and again until then), even though the first answer was cached in memory.
    soon = datetime.now(UTC) + timedelta(seconds=1)
    other = await make_widget_token(client, org.headers, world.big, expires_at=soon.isoformat())
    assert (await client.get(BADGE, params={"token": other["token"]})).status_code == 200

    async def badge() -> int:
        return int((await client.get(BADGE, params={"token": other["token"]})).status_code)

    await wait_for(badge, lambda status: status == 404, "the expired token to stop", timeout=5)
    assert datetime.now(UTC) >= soon, "it stopped before it expired"


async def test_a_token_changed_in_the_database_is_forgotten_by_every_cache_within_a_second(
    client: Any, org: Org, pool: Any
) -> None:
    """An operator's SQL (or another API process) revokes: the trigger's NOTIFY empties caches."""
    world = await build_widget_world(pool, org.id)
    made = await make_widget_token(client, org.headers, world.big)
    assert (await client.get(BADGE, params={"token": made["token"]})).status_code == 200
    await pool.execute("UPDATE widget_tokens SET revoked_at = now() WHERE id = $1", made["id"])

    async def badge() -> int:
        return int((await client.get(BADGE, params={"token": made["token"]})).status_code)

    await wait_for(badge, lambda status: status == 404, "every cache to forget it", timeout=1)


# ---- bad parameters --------------------------------------------------------------------------


async def test_absurd_parameters_are_a_clear_400_in_each_form_and_never_a_500(
    client: Any, org: Org, pool: Any
) -> None:
    _, token = await _world_and_token(client, org, pool)
    bad = [
        {"size": "xxl"},
        {"size": "9" * 50},
        {"theme": "purple"},
        {"theme": "<script>"},
        {"lang": "fr"},
        {"lang": "en" * 100},
        {"waves": "0"},
        {"waves": "1"},
        {"waves": "100000"},
        {"waves": "-3"},
        {"waves": "abc"},
        {"team": "not-a-uuid"},
        {"dimension": "../../etc"},
        {"dimension": "x" * 500},
        {"token": "cwt_" + "x" * 10_000},
    ]
    for params in bad:
        p = {"token": token, **params}
        r = await client.get(JSON, params=p)
        assert r.status_code == 400, params
        assert r.headers["content-type"].startswith("application/problem+json")
        r = await client.get(FRAME, params=p)
        assert r.status_code == 400, params
        assert r.headers["content-type"].startswith("text/html")
        assert "cannot use" in r.text and "<script>" not in r.text
        r = await client.get(BADGE, params=p)
        assert r.status_code == 400, params
        assert r.headers["content-type"].startswith("image/svg+xml")
        ET.fromstring(r.text)  # still a well-formed image
    ok = {"size": "l", "theme": "dark", "lang": "nl", "waves": "26", "dimension": "trust"}
    for path in (JSON, FRAME, BADGE):
        assert (await client.get(path, params={"token": token, **ok})).status_code == 200


# ---- security headers ------------------------------------------------------------------------


async def test_only_the_tokens_origins_may_frame_the_page(client: Any, org: Org, pool: Any) -> None:
    world, token = await _world_and_token(
        client, org, pool, allowed_origins=[ORIGIN, "http://localhost:8080"]
    )
    r = await client.get(FRAME, params={"token": token})
    csp = r.headers["content-security-policy"]
    # Candor's own origin too: the admin console previews a new token's widget in a frame.
    assert "frame-ancestors 'self' https://wiki.example.com http://localhost:8080" in csp
    assert "script-src" not in csp and "default-src 'none'" in csp
    assert r.headers["referrer-policy"] == "no-referrer"
    bare = (await make_widget_token(client, org.headers, world.big))["token"]
    r = await client.get(FRAME, params={"token": bare})
    assert r.headers["content-security-policy"].endswith("frame-ancestors 'self'")
    # Everything else keeps the app's default: framed nowhere.
    for path in ("/health", JSON, BADGE):
        r = await client.get(path, params={"token": token})
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path


async def test_widget_error_pages_may_be_framed_by_no_one(client: Any, org: Org, pool: Any) -> None:
    # A page that shows nothing of the org has no reason to sit in anyone's frame.
    _, token = await _world_and_token(client, org, pool)
    cases = [
        ({"token": "cwt_" + "x" * 43}, 404),  # unknown token
        ({}, 404),  # no token at all
        ({"token": token, "size": "xxl"}, 400),  # bad size
        ({"token": token, "waves": "abc"}, 400),
    ]
    for params, status in cases:
        r = await client.get(FRAME, params=params)
        assert r.status_code == status, params
        csp = r.headers["content-security-policy"]
        assert csp.endswith("frame-ancestors 'none'"), (params, csp)
        assert "*" not in csp, params


async def test_cors_reflects_only_an_allowed_origin(client: Any, org: Org, pool: Any) -> None:
    _, token = await _world_and_token(client, org, pool)
    r = await client.get(JSON, params={"token": token}, headers={"Origin": ORIGIN})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert "Origin" in r.headers["vary"]
    assert "access-control-allow-credentials" not in r.headers
    r = await client.get(JSON, params={"token": token}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert "access-control-allow-origin" not in r.headers
    assert "dimensions" not in r.text
    r = await client.get(JSON, params={"token": token})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers


async def test_no_embed_response_sets_a_cookie(client: Any, org: Org, pool: Any) -> None:
    _, token = await _world_and_token(client, org, pool)
    for path in (JSON, FRAME, BADGE, "/embed/v1/candor.js"):
        for params in ({"token": token}, {"token": "bad"}, {"token": token, "size": "huge"}):
            r = await client.get(path, params=params, headers={"Origin": ORIGIN})
            assert "set-cookie" not in r.headers, path


async def test_revalidation_is_304_until_a_wave_closes_then_fresh(
    client: Any, org: Org, pool: Any
) -> None:
    world, token = await _world_and_token(client, org, pool)
    tags = {}
    for path in (JSON, FRAME, BADGE):
        r = await client.get(path, params={"token": token}, headers={"Origin": ORIGIN})
        assert r.status_code == 200
        assert r.headers["cache-control"] == "public, no-cache"
        tags[path] = r.headers["etag"]
        r = await client.get(
            path, params={"token": token}, headers={"If-None-Match": tags[path], "Origin": ORIGIN}
        )
        assert r.status_code == 304 and r.content == b"", path
        assert r.headers["etag"] == tags[path]
        if path == JSON:
            assert r.headers["access-control-allow-origin"] == ORIGIN
        if path == FRAME:
            assert (
                "frame-ancestors 'self' https://wiki.example.com"
                in r.headers["content-security-policy"]
            )
    assert len(set(tags.values())) == 3
    # Parameters that change the drawing change the tag.
    r = await client.get(FRAME, params={"token": token, "theme": "dark"})
    assert r.headers["etag"] != tags[FRAME]
    r = await client.get(JSON, params={"token": token, "lang": "nl"})
    assert r.headers["etag"] != tags[JSON]

    # A new wave closes: the numbers may change, so every form answers afresh.
    pulse = await make_pulse(pool, org.id, [world.big])
    values = [7] * 12
    answers = [{CORE[d]: answers_for(d, values)[i] for d in CORE} for i in range(12)]
    await close_wave_with(
        pool, org.id, pulse, 1, world.big, answers, closes_at=datetime.now(UTC), invited=12
    )
    for path in (JSON, FRAME, BADGE):
        r = await client.get(path, params={"token": token}, headers={"If-None-Match": tags[path]})
        assert r.status_code == 200, path
        assert r.headers["etag"] != tags[path]
    body = (await client.get(JSON, params={"token": token})).json()
    ps = next(d for d in body["dimensions"] if d["key"] == "psychological_safety")
    assert ps["latest"] == 100 and len(body["waves"]) == 4


async def test_the_component_script_is_cached_and_revalidated(client: Any) -> None:
    r = await client.get("/embed/v1/candor.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert "customElements.define" in r.text and "candor-team-trend" in r.text
    assert "innerHTML" not in r.text  # every value is set as text, never parsed
    r2 = await client.get("/embed/v1/candor.js", headers={"If-None-Match": r.headers["etag"]})
    assert r2.status_code == 304


# ---- look and feel ---------------------------------------------------------------------------


async def test_drawings_are_accessible_well_formed_and_themed(
    client: Any, org: Org, pool: Any
) -> None:
    _, token = await _world_and_token(client, org, pool)
    page = (await client.get(FRAME, params={"token": token, "theme": "dark", "size": "s"})).text
    assert '<html lang="en" class="theme-dark size-s">' in page
    chart = re.search(r"<svg xmlns.*?</svg>", page, re.S)
    assert chart is not None
    svg = ET.fromstring(chart.group(0))
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.get("role") == "img" and svg.get("tabindex") == "0"
    desc = svg.find(f"{ns}desc")
    assert desc is not None and "psychological safety: " in (desc.text or "")
    assert svg.find(f"{ns}title") is not None
    assert "<caption" in page  # the text alternative with the numbers
    nl = (await client.get(FRAME, params={"token": token, "lang": "nl"})).text
    assert "psychologische veiligheid" in nl and '<html lang="nl"' in nl
    for params in ({}, {"lang": "nl", "theme": "dark", "size": "l"}, {"dimension": "trust"}):
        badge = await client.get(BADGE, params={"token": token, **params})
        root = ET.fromstring(badge.text)
        assert root.get("role") == "img" and root.find(f"{ns}title") is not None
    badge = (await client.get(BADGE, params={"token": token, "dimension": "unknown_thing"})).text
    assert "too few answered in that round" in badge  # an unmeasured dimension shows no number


async def test_team_names_are_escaped_everywhere(client: Any, org: Org, pool: Any) -> None:
    world, token = await _world_and_token(client, org, pool)
    await pool.execute(
        "UPDATE teams SET name = $2 WHERE id = $1", world.big, '<script>alert("x")</script>'
    )
    page = (await client.get(FRAME, params={"token": token})).text
    assert "<script>" not in page and "&lt;script&gt;" in page
    body = (await client.get(JSON, params={"token": token})).json()
    assert body["team"] == '<script>alert("x")</script>'  # data; the component sets it as text


# ---- no route bypasses the guard, no token reaches a log -------------------------------------


def test_widgets_read_numbers_only_through_team_trend() -> None:
    folder = ROOT / "service" / "analytics" / "widgets"
    for path in folder.rglob("*.py"):
        source = path.read_text()
        for table in ("wave_cells", "wave_groups", "responses", "ballots", "comments"):
            assert not re.search(rf"\b(FROM|JOIN)\s+{table}\b", source, re.I), (path, table)
    assert "team_trend(" in (folder / "data.py").read_text()


async def test_a_token_never_reaches_a_log_line(
    client: Any, org: Org, pool: Any, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    world, token = await _world_and_token(client, org, pool)
    revoked = await make_widget_token(client, org.headers, world.big)
    await client.delete(f"/api/v1/widget-tokens/{revoked['id']}", headers=org.headers)
    with live_server(database_url, redis_url, tmp_path / "server.log") as server:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            for params in (
                {"token": token},
                {"token": token, "size": "huge"},
                {"token": revoked["token"]},
                {"token": token, "team": str(uuid4())},
            ):
                for path in (JSON, FRAME, BADGE):
                    await http.get(path, params=params, headers={"Origin": ORIGIN})
    log = server.log_text()  # the server has stopped: every line it wrote is in the file
    assert '"route": "/embed/v1/trend.json"' in log or '"route":"/embed/v1/trend.json"' in log
    for secret in (token, revoked["token"], token[4:20]):
        assert secret not in log


def test_rendered_bodies_stay_bounded_and_keep_the_recent_ones() -> None:
    from service.analytics.widgets.rendered import RenderedBodies

    bodies = RenderedBodies(max_entries=3)
    for i in range(5):
        bodies.put(f'"{i}"', str(i).encode())
    assert bodies.get('"0"') is None and bodies.get('"1"') is None
    assert bodies.get('"2"') == b"2"  # touched: now the most recent
    bodies.put('"5"', b"5")
    assert bodies.get('"3"') is None and bodies.get('"2"') == b"2"


async def test_a_subtree_token_shows_the_subtree_and_a_team_token_only_the_team(
    client: Any, org: Org, pool: Any
) -> None:
    teams = await make_team_tree(pool, org.id, {"Eng": {"Web": {}, "Ops": {}}})
    pulse = await make_pulse(pool, org.id, [teams["Eng"]])
    six = [{key: 6 for key in CORE.values()}] * 6
    await close_tree_wave(
        pool,
        org.id,
        pulse,
        {teams["Eng"]: [], teams["Web"]: six, teams["Ops"]: six},
        closes_at=datetime.now(UTC),
    )
    whole = await make_widget_token(client, org.headers, teams["Eng"], subtree=True)
    own = await make_widget_token(client, org.headers, teams["Eng"], subtree=False)
    body = (await client.get(JSON, params={"token": whole["token"]})).json()
    assert body["status"] == "ok"
    assert {d["latest"] for d in body["dimensions"]} == {round(score100([6]))}
    # Nobody answered in Eng itself: its own-team view has nothing to publish.
    body = (await client.get(JSON, params={"token": own["token"]})).json()
    assert body["status"] == "suppressed" and body["dimensions"] == []
