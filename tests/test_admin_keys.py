"""The admin console's keys, widget tokens and audit log pages: what an admin can do there, that
a secret is shown once and never again, that every change is audited with the person as actor,
and that hostile or mistaken input is a page in words that changes nothing."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from service.audit import Actor, record
from tests.factories import Signed, make_org, signed_in
from tests.worlds import ConsoleWorld, console_world

KEYS = "/console/admin/keys"
WIDGETS = "/console/admin/widgets"
AUDIT = "/console/admin/audit"
SECRET = re.compile(r"cnd_[A-Za-z0-9_-]{43}")
TOKEN = re.compile(r"cwt_[A-Za-z0-9_-]{43}")


async def _admin(pool: asyncpg.Pool) -> tuple[ConsoleWorld, Signed]:
    w = await console_world(pool)
    return w, await signed_in(pool, w.org.id, w.admin)


async def _post(client: Any, s: Signed, path: str, data: Any) -> Any:
    return await client.post(path, content=_form(data), headers=_headers(s), follow_redirects=False)


def _form(data: Any) -> str:
    from urllib.parse import urlencode

    return urlencode(data, doseq=True)


def _headers(s: Signed) -> dict[str, str]:
    return {**s.headers, "Content-Type": "application/x-www-form-urlencoded"}


async def _key_count(pool: asyncpg.Pool, org_id: UUID) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM api_keys WHERE org_id = $1", org_id))


async def _audit(pool: asyncpg.Pool, org_id: UUID, action: str) -> list[asyncpg.Record]:
    """The entries of `action` made in the console (the org's own creation is the CLI's)."""
    return list(
        await pool.fetch(
            "SELECT actor_kind, actor_id, object_id, details FROM audit_log "
            "WHERE org_id = $1 AND action = $2 AND actor_kind = 'person'",
            org_id,
            action,
        )
    )


# --- API keys ------------------------------------------------------------------------------------


async def test_a_leader_key_is_made_for_picked_teams_and_its_secret_is_shown_once(
    client: Any, pool: asyncpg.Pool
) -> None:
    w, s = await _admin(pool)
    page = await client.get(KEYS, headers=s.headers)
    assert page.status_code == 200 and "<h1>API keys</h1>" in page.text
    assert "Platform" in page.text and 'name="team"' in page.text
    before = await _key_count(pool, w.org.id)
    data = {
        "csrf": s.csrf,
        "name": "HR dashboard",
        "role": "leader",
        "team": [str(w.teams["Platform"]), str(w.teams["Design"])],
    }
    made = await _post(client, s, KEYS, data)
    assert made.status_code == 200 and "location" not in made.headers
    assert made.headers["cache-control"] == "no-store"
    secrets = SECRET.findall(made.text)
    assert len(set(secrets)) == 1
    secret = secrets[0]
    assert "Design, Platform" in made.text
    assert await _key_count(pool, w.org.id) == before + 1
    # The key works, as a leader key: the org, but not the admin routes.
    bearer = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/api/v1/org", headers=bearer)).status_code == 200
    assert (await client.get("/api/v1/keys", headers=bearer)).status_code == 404
    # Afterwards only its prefix shows: the list, the confirmation page, the log.
    listed = await client.get(KEYS, headers=s.headers)
    assert "HR dashboard" in listed.text and secret not in listed.text
    assert secret[:12] in listed.text
    key_id = await pool.fetchval(
        "SELECT id FROM api_keys WHERE org_id = $1 AND name = 'HR dashboard'", w.org.id
    )
    confirm = await client.get(f"{KEYS}/{key_id}/revoke", headers=s.headers)
    assert secret not in confirm.text
    log = await client.get(AUDIT, headers=s.headers)
    assert secret not in log.text
    csv = await client.get(f"{AUDIT}.csv", headers=s.headers)
    assert secret not in csv.text
    # Audited, with the person as the actor.
    entries = await _audit(pool, w.org.id, "key.create")
    assert [(e["actor_kind"], e["actor_id"], e["object_id"]) for e in entries] == [
        ("person", w.admin, key_id)
    ]


async def test_an_admin_key_is_made_without_teams(client: Any, pool: asyncpg.Pool) -> None:
    _w, s = await _admin(pool)
    made = await _post(client, s, KEYS, {"csrf": s.csrf, "name": "Sync job", "role": "admin"})
    assert made.status_code == 200
    secret = SECRET.findall(made.text)[0]
    bearer = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/api/v1/keys", headers=bearer)).status_code == 200


async def test_a_wrong_key_form_is_answered_in_words_and_makes_nothing(
    client: Any, pool: asyncpg.Pool
) -> None:
    w, s = await _admin(pool)
    before = await _key_count(pool, w.org.id)
    platform = str(w.teams["Platform"])
    cases = [
        ({"name": "Lead key", "role": "leader"}, "needs at least one team"),
        ({"name": "Admin", "role": "admin", "team": platform}, "untick the teams"),
        ({"name": "Bad\nname", "role": "admin"}, "without line breaks"),
        ({"name": "Bell\x07", "role": "admin"}, "control characters"),
        ({"name": "Bidi\u202e", "role": "admin"}, "control characters"),
        ({"name": "   ", "role": "admin"}, "Give the key a name"),
        ({"name": "x" * 201, "role": "admin"}, "up to 200 characters"),
        ({"name": "Odd", "role": "owner"}, "Choose an admin key or a team lead key"),
    ]
    for fields, words in cases:
        r = await _post(client, s, KEYS, {"csrf": s.csrf, **fields})
        assert r.status_code == 422, fields
        assert words in r.text, fields
        assert 'class="error-summary"' in r.text and SECRET.search(r.text) is None
    assert await _key_count(pool, w.org.id) == before
    assert await _audit(pool, w.org.id, "key.create") == []


async def test_a_leader_key_may_see_many_teams(client: Any, pool: asyncpg.Pool) -> None:
    # Far more ticked boxes than any other console form has fields.
    w, s = await _admin(pool)
    many = [
        await pool.fetchval(
            "INSERT INTO teams (org_id, name, parent_id) VALUES ($1, $2, $3) RETURNING id",
            w.org.id,
            f"Squad {i:02}",
            w.teams["Platform"],
        )
        for i in range(60)
    ]
    data = {"csrf": s.csrf, "name": "Wide", "role": "leader", "team": [str(t) for t in many]}
    made = await _post(client, s, KEYS, data)
    assert made.status_code == 200 and SECRET.search(made.text)
    scope = await pool.fetchval("SELECT scope_team_ids FROM api_keys WHERE name = 'Wide'")
    assert sorted(scope) == sorted(many)


async def test_key_forms_without_the_right_csrf_token_change_nothing(
    client: Any, pool: asyncpg.Pool
) -> None:
    w, s = await _admin(pool)
    before = await _key_count(pool, w.org.id)
    key_id = await pool.fetchval("SELECT id FROM api_keys WHERE org_id = $1", w.org.id)
    for token in (None, "", "x" * 43, s.csrf[:-1] + ("A" if s.csrf[-1] != "A" else "B")):
        data = {"name": "Sneaky", "role": "admin"}
        if token is not None:
            data["csrf"] = token
        r = await _post(client, s, KEYS, data)
        assert r.status_code == 403 and "text/html" in r.headers["content-type"]
        r = await _post(
            client, s, f"{KEYS}/{key_id}/revoke", {} if token is None else {"csrf": token}
        )
        assert r.status_code == 403
    assert await _key_count(pool, w.org.id) == before
    assert await pool.fetchval("SELECT revoked_at FROM api_keys WHERE id = $1", key_id) is None


async def test_a_key_is_revoked_after_a_confirmation_and_only_once(
    client: Any, pool: asyncpg.Pool
) -> None:
    w, s = await _admin(pool)
    made = await _post(client, s, KEYS, {"csrf": s.csrf, "name": "Old tool", "role": "admin"})
    secret = SECRET.findall(made.text)[0]
    key_id = await pool.fetchval(
        "SELECT id FROM api_keys WHERE org_id = $1 AND name = 'Old tool'", w.org.id
    )
    listed = await client.get(KEYS, headers=s.headers)
    assert f'href="{KEYS}/{key_id}/revoke"' in listed.text
    confirm = await client.get(f"{KEYS}/{key_id}/revoke", headers=s.headers)
    assert confirm.status_code == 200 and "stops working at once" in confirm.text
    assert f'action="{KEYS}/{key_id}/revoke"' in confirm.text
    done = await _post(client, s, f"{KEYS}/{key_id}/revoke", {"csrf": s.csrf})
    assert done.status_code == 303 and done.headers["location"] == f"{KEYS}?revoked=1"
    after = await client.get(done.headers["location"], headers=s.headers)
    assert "The key is revoked." in after.text and "revoked on" in after.text
    bearer = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/api/v1/org", headers=bearer)).status_code == 401
    again = await _post(client, s, f"{KEYS}/{key_id}/revoke", {"csrf": s.csrf})
    assert again.status_code == 409 and "already revoked" in again.text
    page = await client.get(f"{KEYS}/{key_id}/revoke", headers=s.headers)
    assert "already revoked" in page.text and 'method="post" action="/console/admin/keys' not in (
        page.text
    )
    entries = await _audit(pool, w.org.id, "key.revoke")
    assert [(e["actor_kind"], e["actor_id"], e["object_id"]) for e in entries] == [
        ("person", w.admin, key_id)
    ]


async def test_unknown_or_other_orgs_keys_and_teams_are_404(
    client: Any, pool: asyncpg.Pool
) -> None:
    w, s = await _admin(pool)
    other = await make_org(pool, "Globex")
    theirs = await pool.fetchval("SELECT id FROM api_keys WHERE org_id = $1", other.id)
    their_team = await pool.fetchval(
        "INSERT INTO teams (org_id, name) VALUES ($1, 'Theirs') RETURNING id", other.id
    )
    for key in (theirs, uuid4(), "not-a-uuid", "1%20OR%201=1"):
        assert (await client.get(f"{KEYS}/{key}/revoke", headers=s.headers)).status_code == 404
        r = await _post(client, s, f"{KEYS}/{key}/revoke", {"csrf": s.csrf})
        assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert await pool.fetchval("SELECT revoked_at FROM api_keys WHERE id = $1", theirs) is None
    before = await _key_count(pool, w.org.id)
    for team in (their_team, uuid4(), "Platform"):
        data = {"csrf": s.csrf, "name": "Forged", "role": "leader", "team": str(team)}
        assert (await _post(client, s, KEYS, data)).status_code == 404
    assert await _key_count(pool, w.org.id) == before


# --- widget tokens -------------------------------------------------------------------------------


def _widget_form(s: Signed, team_id: UUID, **extra: str) -> dict[str, str]:
    expires = (datetime.now(UTC) + timedelta(days=90)).date().isoformat()
    return {
        "csrf": s.csrf,
        "label": "Platform wiki",
        "team": str(team_id),
        "subtree": "on",
        "origins": "https://wiki.example.com\nhttps://Intranet.Example.com:443/",
        "expires": expires,
        **extra,
    }


async def test_a_widget_token_is_shown_once_with_snippets_and_a_live_preview(
    client: Any, pool: asyncpg.Pool
) -> None:
    w, s = await _admin(pool)
    page = await client.get(WIDGETS, headers=s.headers)
    assert page.status_code == 200 and "<h1>Widget tokens</h1>" in page.text
    made = await _post(client, s, WIDGETS, _widget_form(s, w.teams["Product"]))
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    tokens = set(TOKEN.findall(made.text))
    assert len(tokens) == 1
    token = tokens.pop()
    assert "https://wiki.example.com, https://intranet.example.com" in made.text
    # The snippets of docs/widgets.md, ready to copy (escaped inside their text boxes).
    text = html.unescape(made.text)
    assert f'<iframe src="http://testserver.local/embed/v1/frame?token={token}"' in text
    assert '<script src="http://testserver.local/embed/v1/candor.js" defer></script>' in text
    assert f'<candor-team-trend token="{token}"></candor-team-trend>' in text
    assert f"/embed/v1/badge.svg?token={token}&dimension=psychological_safety" in text
    # The preview frames our own widget page: this page may frame ourselves, the widget allows it.
    assert f'<iframe id="preview" src="/embed/v1/frame?token={token}&amp;lang=en"' in made.text
    assert "frame-src 'self'" in made.headers["content-security-policy"]
    frame = await client.get("/embed/v1/frame", params={"token": token, "lang": "en"})
    assert frame.status_code == 200 and "Product" in frame.text
    assert (
        "frame-ancestors 'self' https://wiki.example.com"
        in frame.headers["content-security-policy"]
    )
    # Other console pages still frame nothing.
    assert "frame-src" not in page.headers["content-security-policy"]
    listed = await client.get(WIDGETS, headers=s.headers)
    assert "Platform wiki" in listed.text and token not in listed.text
    assert token[:10] in listed.text
    entries = await _audit(pool, w.org.id, "widget_token.create")
    assert [(e["actor_kind"], e["actor_id"]) for e in entries] == [("person", w.admin)]


async def test_a_wrong_widget_form_is_answered_in_words_and_makes_nothing(
    client: Any, pool: asyncpg.Pool
) -> None:
    w, s = await _admin(pool)
    team = w.teams["Platform"]
    past = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    far = (datetime.now(UTC) + timedelta(days=4 * 365)).date().isoformat()
    cases = [
        ({"label": "Line\nbreak"}, "without line breaks"),
        ({"label": ""}, "Give the token a label"),
        ({"team": ""}, "Choose the team the widget shows"),
        ({"origins": "https://wiki.example.com/path"}, "no path, no wildcard"),
        ({"origins": "https://*.example.com"}, "no path, no wildcard"),
        ({"origins": "javascript:alert(1)"}, "no path, no wildcard"),
        ({"origins": " ".join(f"https://s{i}.example.com" for i in range(21))}, "at most 20"),
        ({"expires": past}, "a day after today"),
        ({"expires": far}, "at most three years"),
        ({"expires": "soon"}, "a day after today"),
    ]
    for extra, words in cases:
        r = await _post(client, s, WIDGETS, _widget_form(s, team, **extra))
        assert r.status_code == 422, extra
        assert words in r.text, extra
        assert TOKEN.search(r.text) is None
    assert await pool.fetchval("SELECT count(*) FROM widget_tokens") == 0
    other = await make_org(pool, "Globex")
    their_team = await pool.fetchval(
        "INSERT INTO teams (org_id, name) VALUES ($1, 'Theirs') RETURNING id", other.id
    )
    for forged in (str(their_team), str(uuid4()), "Platform"):
        r = await _post(client, s, WIDGETS, _widget_form(s, team, team=forged))
        assert r.status_code == 404, forged
    r = await _post(client, s, WIDGETS, {**_widget_form(s, team), "csrf": "nope"})
    assert r.status_code == 403
    assert await pool.fetchval("SELECT count(*) FROM widget_tokens") == 0


async def test_a_widget_token_is_revoked_after_a_confirmation_and_only_once(
    client: Any, pool: asyncpg.Pool
) -> None:
    w, s = await _admin(pool)
    made = await _post(client, s, WIDGETS, _widget_form(s, w.teams["Platform"], origins=""))
    assert "badge image only" in made.text
    token = TOKEN.findall(made.text)[0]
    token_id = await pool.fetchval("SELECT id FROM widget_tokens WHERE org_id = $1", w.org.id)
    frame = await client.get("/embed/v1/frame", params={"token": token})
    assert frame.status_code == 200
    assert frame.headers["content-security-policy"].endswith("frame-ancestors 'self'")
    confirm = await client.get(f"{WIDGETS}/{token_id}/revoke", headers=s.headers)
    assert confirm.status_code == 200 and "unavailable" in confirm.text
    done = await _post(client, s, f"{WIDGETS}/{token_id}/revoke", {"csrf": s.csrf})
    assert done.status_code == 303 and done.headers["location"] == f"{WIDGETS}?revoked=1"
    assert (await client.get("/embed/v1/frame", params={"token": token})).status_code == 404
    again = await _post(client, s, f"{WIDGETS}/{token_id}/revoke", {"csrf": s.csrf})
    assert again.status_code == 409 and "already revoked" in again.text
    entries = await _audit(pool, w.org.id, "widget_token.revoke")
    assert [(e["actor_kind"], e["object_id"]) for e in entries] == [("person", token_id)]
    other = await make_org(pool, "Globex")
    theirs = await pool.fetchval(
        "INSERT INTO teams (org_id, name) VALUES ($1, 'Theirs') RETURNING id", other.id
    )
    async with pool.acquire() as conn:
        from service.analytics.widgets.tokens import store_token

        their_token, _, _ = await store_token(
            conn,
            other.id,
            team_id=theirs,
            subtree=True,
            allowed_origins=[],
            label="Theirs",
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
    for tid in (their_token, uuid4(), "nope"):
        assert (await client.get(f"{WIDGETS}/{tid}/revoke", headers=s.headers)).status_code == 404
        r = await _post(client, s, f"{WIDGETS}/{tid}/revoke", {"csrf": s.csrf})
        assert r.status_code == 404
    assert (
        await pool.fetchval("SELECT revoked_at FROM widget_tokens WHERE id = $1", their_token)
        is None
    )


# --- the audit log -------------------------------------------------------------------------------


async def test_the_audit_log_lists_the_orgs_entries_newest_first_and_filters_them(
    client: Any, pool: asyncpg.Pool
) -> None:
    w, s = await _admin(pool)
    other = await make_org(pool, "Globex")  # its own org.create entry must not show
    await _post(client, s, KEYS, {"csrf": s.csrf, "name": "First", "role": "admin"})
    await _post(client, s, KEYS, {"csrf": s.csrf, "name": "Second", "role": "admin"})
    page = await client.get(AUDIT, headers=s.headers)
    assert page.status_code == 200 and "<h1>Audit log</h1>" in page.text
    assert "Alex Admin" in page.text  # the person, by name
    assert page.text.index("Second") < page.text.index("First")
    assert str(other.id) not in page.text
    theirs = await pool.fetch("SELECT id FROM audit_log WHERE org_id = $1", other.id)
    assert all(str(r["id"]) not in page.text for r in theirs)
    mine = await client.get(
        AUDIT, params={"actor_kind": "person", "actor_id": str(w.admin)}, headers=s.headers
    )
    assert "Entries 1 to 2 of 2" in mine.text
    today = datetime.now(UTC).date()
    dated = await client.get(
        AUDIT,
        params={
            "since": today.isoformat(),
            "until": today.isoformat(),
            "action": "key.create",
            "actor_kind": "person",
        },
        headers=s.headers,
    )
    assert "Entries 1 to 2 of 2" in dated.text
    assert f"{AUDIT}.csv?since={today.isoformat()}" in dated.text
    yesterday = (today - timedelta(days=1)).isoformat()
    none = await client.get(AUDIT, params={"until": yesterday}, headers=s.headers)
    assert "No entries match this filter." in none.text
    csv = await client.get(
        f"{AUDIT}.csv", params={"action": "key.create", "actor_kind": "person"}, headers=s.headers
    )
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    lines = csv.text.strip().splitlines()
    assert lines[0].startswith("at,actor_kind,actor_id,action") and len(lines) == 3
    assert all(",person," in line and ",key.create," in line for line in lines[1:])


async def test_the_audit_log_pages_through_many_entries(client: Any, pool: asyncpg.Pool) -> None:
    w, s = await _admin(pool)
    async with pool.acquire() as conn:
        for _ in range(60):
            await record(conn, Actor.cli(w.org.id), "org.floors", "org", w.org.id, {"k": 5})
    first = await client.get(AUDIT, params={"action": "org.floors"}, headers=s.headers)
    assert "Entries 1 to 50 of 60" in first.text
    older = re.search(r'href="/console/admin/audit\?([^"]+)">Older entries', first.text)
    assert older and "offset=50" in older.group(1) and "action=org.floors" in older.group(1)
    second = await client.get(f"{AUDIT}?{older.group(1).replace('&amp;', '&')}", headers=s.headers)
    assert "Entries 51 to 60 of 60" in second.text and "Newer entries" in second.text
    assert "Older entries" not in second.text
    for offset in ("-5", "²", "9" * 40, "1e3", ""):
        odd = await client.get(AUDIT, params={"offset": offset}, headers=s.headers)
        assert odd.status_code == 200 and "Entries 1 to" in odd.text, offset


async def test_bad_audit_filters_get_a_friendly_400_page(client: Any, pool: asyncpg.Pool) -> None:
    _w, s = await _admin(pool)
    cases = [
        ({"since": "yesterday"}, "year-month-day"),
        ({"until": "2026-13-45"}, "year-month-day"),
        ({"since": "2026-12-02", "until": "2026-11-01"}, "swap them"),
        ({"actor_id": "alex"}, "copy it from a link"),
        ({"object_id": "' OR 1=1 --"}, "copy it from a link"),
        ({"actor_kind": "robot"}, "Choose one of the options"),
        ({"action": "drop.table"}, "Choose one of the options"),
        ({"object_kind": "answer"}, "Choose one of the options"),
    ]
    for params, words in cases:
        r = await client.get(AUDIT, params=params, headers=s.headers)
        assert r.status_code == 400, params
        assert "text/html" in r.headers["content-type"] and words in r.text, params
        csv = await client.get(f"{AUDIT}.csv", params=params, headers=s.headers)
        assert csv.status_code == 400 and words in csv.text, params


# --- who may see these pages ---------------------------------------------------------------------


async def test_only_admins_reach_these_pages_and_forms(client: Any, pool: asyncpg.Pool) -> None:
    w, s = await _admin(pool)
    leader = await signed_in(pool, w.org.id, w.leader)
    key_id = await pool.fetchval("SELECT id FROM api_keys WHERE org_id = $1", w.org.id)
    before = await _key_count(pool, w.org.id)
    gets = [KEYS, WIDGETS, AUDIT, f"{AUDIT}.csv", f"{KEYS}/{key_id}/revoke"]
    for path in gets:
        r = await client.get(path, headers=leader.headers)
        assert r.status_code == 404 and "text/html" in r.headers["content-type"], path
        anon = await client.get(path, follow_redirects=False)
        assert anon.status_code == 303 and anon.headers["location"].startswith(
            "/console/sign-in"
        ), path
    posts = [
        (KEYS, {"name": "Mine", "role": "admin"}),
        (f"{KEYS}/{key_id}/revoke", {}),
        (WIDGETS, {"label": "Mine", "team": str(w.teams["Platform"])}),
    ]
    for path, data in posts:
        r = await _post(client, leader, path, {"csrf": leader.csrf, **data})
        assert r.status_code == 404, path
    assert await _key_count(pool, w.org.id) == before
    assert await pool.fetchval("SELECT revoked_at FROM api_keys WHERE id = $1", key_id) is None
    home = await client.get("/console/admin", headers=s.headers)
    for path in (KEYS, WIDGETS, AUDIT):
        assert f'href="{path}"' in home.text


async def test_the_pages_speak_dutch(client: Any, pool: asyncpg.Pool) -> None:
    _w, s = await _admin(pool)
    switched = await _post(
        client, s, "/console/language", {"csrf": s.csrf, "lang": "nl", "next": KEYS}
    )
    assert switched.status_code == 303
    keys = await client.get(KEYS, headers=s.headers)
    assert 'lang="nl"' in keys.text and "<h1>API-sleutels</h1>" in keys.text
    widgets = await client.get(WIDGETS, headers=s.headers)
    assert "<h1>Widgettokens</h1>" in widgets.text
    audit = await client.get(AUDIT, headers=s.headers)
    assert "<h1>Auditlogboek</h1>" in audit.text
    bad = await _post(client, s, KEYS, {"csrf": s.csrf, "name": "", "role": "leader"})
    assert "Geef de sleutel een naam" in bad.text


async def test_no_secret_reaches_a_log(client: Any, pool: asyncpg.Pool, caplog: Any) -> None:
    from structlog.testing import capture_logs

    w, s = await _admin(pool)
    with capture_logs() as logs:
        key = await _post(client, s, KEYS, {"csrf": s.csrf, "name": "Quiet", "role": "admin"})
        widget = await _post(client, s, WIDGETS, _widget_form(s, w.teams["Design"]))
    secrets = SECRET.findall(key.text) + TOKEN.findall(widget.text)
    assert len(secrets) >= 2
    logged = repr(logs) + caplog.text
    assert all(secret not in logged for secret in secrets)
    details = repr(await pool.fetch("SELECT details FROM audit_log WHERE org_id = $1", w.org.id))
    assert all(secret not in details and secret[:12] not in details for secret in secrets)


def test_every_audit_action_and_object_kind_has_words_in_both_languages() -> None:
    # A new action without words here would turn the audit page into an error page.
    from typing import get_args

    from service.audit import ACTIONS, ObjectKind
    from service.console import i18n

    keys = [f"audit_do_{a.replace('.', '_')}" for a in ACTIONS]
    keys += [f"audit_obj_{k}" for k in get_args(ObjectKind)]
    for lang in ("en", "nl"):
        for key in keys:
            assert i18n.t(lang, key) != key, (lang, key)
