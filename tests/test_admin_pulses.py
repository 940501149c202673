"""An admin sets up and runs pulses in the console: a form with a live preview, overlap asked
about in words, waves opened and closed with a confirmation, delivery shown in bands. Every bad
form is the page again with the reason, and changes nothing; another org's ids are 404 pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import asyncpg

from tests.factories import Org, Signed, make_org, make_people, make_team_tree, signed_in
from tests.worlds import ConsoleWorld, console_world

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def _admin(pool: asyncpg.Pool) -> tuple[ConsoleWorld, Signed]:
    w = await console_world(pool)
    return w, await signed_in(pool, w.org.id, w.admin)


async def _state(pool: asyncpg.Pool) -> list[Any]:
    pulses = await pool.fetch("SELECT * FROM pulses ORDER BY created_at, id")
    waves = await pool.fetch("SELECT id, state FROM waves ORDER BY id")
    audit = await pool.fetchval("SELECT count(*) FROM audit_log")
    return [[dict(r) for r in pulses], [dict(r) for r in waves], audit]


async def _core_items(pool: asyncpg.Pool, org_id: UUID) -> list[str]:
    rows = await pool.fetch(
        "SELECT DISTINCT ON (dimension) key FROM items WHERE org_id = $1 AND NOT retired"
        " AND source = 'builtin' AND key <> 'ft.did_try' ORDER BY dimension, key",
        org_id,
    )
    return [r["key"] for r in rows]


def _pulse_form(
    signed: Signed, teams: list[UUID], core: list[str], **more: str
) -> list[tuple[str, str]]:
    fields = [
        ("csrf", signed.csrf),
        ("name", "Ops pulse"),
        *[("team", str(t)) for t in teams],
        *[(f"item:{k}", "core") for k in core],
        ("items_per_wave", str(max(3, len(core)))),
        ("cadence", "every_n_weeks"),
        ("cadence_weeks", "2"),
        ("open_days", "7"),
        ("k", "5"),
        ("comment_k", "10"),
        ("reminder_days", "3, 5"),
        ("starts_on", "2031-03-03"),
        ("starts_time", "09:00"),
        ("action", "save"),
    ]
    replaced = dict(more)
    out = [(n, replaced.pop(n, v)) for n, v in fields]
    return out + list(replaced.items())


async def _post(client: Any, path: str, signed: Signed, fields: list[tuple[str, str]]) -> Any:
    return await client.post(
        path,
        content=urlencode(fields).encode(),
        headers={**signed.headers, **FORM},
        follow_redirects=False,
    )


async def test_the_pulse_pages_list_show_and_offer_the_bank_in_both_languages(
    client: Any, pool: asyncpg.Pool
) -> None:
    w, admin = await _admin(pool)
    home = await client.get("/console/admin", headers=admin.headers)
    assert (
        'href="/console/admin/pulses"' in home.text and 'href="/console/admin/waves"' in home.text
    )
    listing = await client.get("/console/admin/pulses", headers=admin.headers)
    assert listing.status_code == 200
    assert "Fortnightly team pulse" in listing.text and "Active" in listing.text
    new = await client.get("/console/admin/pulses/new", headers=admin.headers)
    assert new.status_code == 200
    assert 'name="csrf"' in new.text and "<script" not in new.text
    for team in ("Platform", "Design", "Field sales"):
        assert team in new.text
    # Each item with its wording in English and in Dutch, and the org's floors.
    text = await pool.fetchval(
        "SELECT texts FROM items WHERE org_id = $1 AND key = 'ps.risk'", w.org.id
    )
    import json

    words = json.loads(text) if isinstance(text, str) else text
    assert _escaped(words["en"]) in new.text and _escaped(words["nl"]) in new.text
    assert "at least 3 respondents, comments at least 3" in new.text
    pulse = await pool.fetchval("SELECT id FROM pulses WHERE org_id = $1", w.org.id)
    edit = await client.get(f"/console/admin/pulses/{pulse}", headers=admin.headers)
    assert edit.status_code == 200 and 'value="Fortnightly team pulse"' in edit.text
    nl = await signed_in_nl(pool, w)
    page = await client.get("/console/admin/pulses", headers=nl.headers)
    assert "Pulsen" in page.text and "Actief" in page.text


def _escaped(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


async def signed_in_nl(pool: asyncpg.Pool, w: ConsoleWorld) -> Signed:
    await pool.execute("UPDATE people SET locale = 'nl' WHERE id = $1", w.admin)
    return await signed_in(pool, w.org.id, w.admin)


async def test_preview_shows_invitees_plan_overlap_and_first_wave_without_saving(
    client: Any, pool: asyncpg.Pool
) -> None:
    w, admin = await _admin(pool)
    core = await _core_items(pool, w.org.id)
    before = await _state(pool)
    fields = _pulse_form(admin, [w.teams["Product"]], core, action="preview")
    r = await _post(client, "/console/admin/pulses/new", admin, fields)
    assert r.status_code == 200, r.text
    assert "A wave would invite 33 people." in r.text
    assert "Design: 3 people" in r.text and "Data: 7 people" in r.text
    assert "3 Mar 2031 at 09:00 UTC" in r.text
    assert "Data &amp; Design" in r.text  # pooled, with its reason
    assert "33 of them in “Fortnightly team pulse”" in r.text
    assert 'name="allow_overlap" required' in r.text
    assert "opens within a minute of saving" not in r.text
    assert await _state(pool) == before
    # A first wave in the past opens the moment the pulse is saved: the preview says so.
    fields = _pulse_form(
        admin, [w.teams["Product"]], core, action="preview", starts_on="2020-01-06"
    )
    r = await _post(client, "/console/admin/pulses/new", admin, fields)
    assert "opens within a minute of saving" in r.text
    # A new pulse's form starts tomorrow, not at a moment that has already passed.
    r = await client.get("/console/admin/pulses/new", headers=admin.headers)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert f'name="starts_on" value="{tomorrow}"' in r.text
    # Design alone can never report: said in the preview.
    fields = _pulse_form(admin, [w.teams["Design"]], core, action="preview")
    r = await _post(client, "/console/admin/pulses/new", admin, fields)
    assert "Teams that can never report" in r.text
    assert re.search(r'class="field-error">Design</p>', r.text)
    assert await _state(pool) == before


async def test_saving_over_another_active_pulse_needs_the_confirm_box(
    client: Any, pool: asyncpg.Pool
) -> None:
    w, admin = await _admin(pool)
    core = await _core_items(pool, w.org.id)
    before = await _state(pool)
    fields = _pulse_form(admin, [w.teams["Data"]], core)
    r = await _post(client, "/console/admin/pulses/new", admin, fields)
    assert r.status_code == 409 and "tick “I confirm” to save anyway" in r.text
    assert await _state(pool) == before
    r = await _post(client, "/console/admin/pulses/new", admin, [*fields, ("allow_overlap", "on")])
    assert r.status_code == 303, r.text
    new_id = UUID(r.headers["location"].split("/")[-1].split("?")[0])
    row = await pool.fetchrow("SELECT name, team_ids, k FROM pulses WHERE id = $1", new_id)
    assert (row["name"], row["team_ids"], row["k"]) == ("Ops pulse", [w.teams["Data"]], 5)
    logged = await pool.fetchrow(
        "SELECT actor_kind, actor_id FROM audit_log WHERE action = 'pulse.create'"
        " AND object_id = $1",
        new_id,
    )
    assert logged is not None and logged["actor_id"] == w.admin
    saved = await client.get(r.headers["location"], headers=admin.headers)
    assert "The pulse was saved." in saved.text


async def test_a_pulse_over_new_teams_is_created_and_edited(
    client: Any, pool: asyncpg.Pool
) -> None:
    w, admin = await _admin(pool)
    ops = (await make_team_tree(pool, w.org.id, {"Ops": {}}))["Ops"]
    await make_people(pool, w.org.id, ops, 6)
    core = await _core_items(pool, w.org.id)
    r = await _post(client, "/console/admin/pulses/new", admin, _pulse_form(admin, [ops], core))
    assert r.status_code == 303, r.text
    pulse = r.headers["location"].split("/")[-1].split("?")[0]
    fields = _pulse_form(admin, [ops], core, name="Ops weekly", cadence="weekly", k="6")
    r = await _post(client, f"/console/admin/pulses/{pulse}", admin, fields)
    assert r.status_code == 303, r.text
    row = await pool.fetchrow(
        "SELECT name, cadence, cadence_weeks, k FROM pulses WHERE id = $1", UUID(pulse)
    )
    assert tuple(row) == ("Ops weekly", "weekly", 1, 6)
    actions = await pool.fetch(
        "SELECT action FROM audit_log WHERE object_id = $1 ORDER BY at", UUID(pulse)
    )
    assert [a["action"] for a in actions] == ["pulse.create", "pulse.update"]


async def test_bad_forms_are_the_page_again_with_words_and_change_nothing(
    client: Any, pool: asyncpg.Pool
) -> None:
    w, admin = await _admin(pool)
    ops = (await make_team_tree(pool, w.org.id, {"Ops": {}}))["Ops"]
    await make_people(pool, w.org.id, ops, 6)
    core = await _core_items(pool, w.org.id)
    before = await _state(pool)
    cases = [
        ({"name": ""}, "Give the pulse a name."),
        ({"k": "five"}, "k must be a whole number"),
        ({"k": "2", "comment_k": "3"}, "k must be a whole number"),
        ({"open_days": "99"}, "Days open must be a whole number from 1 to 28."),
        ({"cadence": "hourly"}, "Choose how often a wave opens."),
        ({"reminder_days": "soon"}, "Write the reminder days as whole numbers"),
        ({"starts_on": "2031-02-30"}, "Give the first wave&#39;s date"),
        ({"k": "7", "comment_k": "6"}, "before comments show (6) must be at least"),
        ({"reminder_days": "9"}, "Reminder days must fall inside the 7 days a wave is open"),
        ({"item:nope.never": "core"}, "not one of your organisation&#39;s questions"),
    ]
    for change, words in cases:
        r = await _post(
            client, "/console/admin/pulses/new", admin, _pulse_form(admin, [ops], core, **change)
        )
        assert r.status_code == 422, (change, r.status_code)
        assert words in r.text, (change, r.text[-3000:])
        assert "The pulse was not saved" in r.text and "Traceback" not in r.text
    no_team = [f for f in _pulse_form(admin, [ops], core) if f[0] != "team"]
    r = await _post(client, "/console/admin/pulses/new", admin, no_team)
    assert r.status_code == 422 and "Tick at least one team." in r.text
    bad_team = _pulse_form(admin, [UUID(int=5)], core)
    r = await _post(client, "/console/admin/pulses/new", admin, bad_team)
    assert r.status_code == 422 and "are not teams of your organisation" in r.text
    # No token, a wrong token, not a form: refused, nothing written.
    r = await _post(
        client, "/console/admin/pulses/new", admin, _pulse_form(admin, [ops], core, csrf="x")
    )
    assert r.status_code == 403
    r = await client.post("/console/admin/pulses/new", json={"name": "x"}, headers=admin.headers)
    assert r.status_code == 403
    assert await _state(pool) == before


async def test_other_orgs_ids_and_leaders_meet_the_404_page(
    client: Any, pool: asyncpg.Pool
) -> None:
    w, admin = await _admin(pool)
    other = await make_org(pool, "Globex")
    teams = await make_team_tree(pool, other.id, {"Globex HQ": {}})
    await make_people(pool, other.id, teams["Globex HQ"], 5)
    their_pulse = await _api_pulse(client, other, teams["Globex HQ"])
    opened = await client.post(f"/api/v1/pulses/{their_pulse}/waves", headers=other.headers)
    their_wave = opened.json()["id"]
    before = await _state(pool)
    for path in (
        f"/console/admin/pulses/{their_pulse}",
        f"/console/admin/waves/{their_wave}",
        f"/console/admin/waves/{their_wave}/close",
        "/console/admin/pulses/not-a-uuid",
        "/console/admin/waves/not-a-uuid",
    ):
        r = await client.get(path, headers=admin.headers)
        assert r.status_code == 404 and "Globex" not in r.text, path
    core = await _core_items(pool, w.org.id)
    r = await _post(
        client,
        f"/console/admin/pulses/{their_pulse}",
        admin,
        _pulse_form(admin, [w.teams["Data"]], core),
    )
    assert r.status_code == 404
    r = await _post(
        client,
        "/console/admin/waves/open",
        admin,
        [("csrf", admin.csrf), ("pulse", str(their_pulse))],
    )
    assert r.status_code == 404
    r = await _post(
        client, f"/console/admin/waves/{their_wave}/close", admin, [("csrf", admin.csrf)]
    )
    assert r.status_code == 404
    # Another org's team in the form is an unknown team.
    r = await _post(
        client, "/console/admin/pulses/new", admin, _pulse_form(admin, [teams["Globex HQ"]], core)
    )
    assert r.status_code == 422 and "Globex" not in r.text
    assert await _state(pool) == before
    leader = await signed_in(pool, w.org.id, w.leader)
    for path in ("/console/admin/pulses", "/console/admin/pulses/new", "/console/admin/waves"):
        r = await client.get(path, headers=leader.headers)
        assert r.status_code == 404, path
    r = await _post(
        client,
        "/console/admin/waves/open",
        leader,
        [("csrf", leader.csrf), ("pulse", str(their_pulse))],
    )
    assert r.status_code == 404
    assert await _state(pool) == before


async def _api_pulse(client: Any, org: Org, team: UUID) -> UUID:
    r = await client.post(
        "/api/v1/pulses",
        json={"name": "Globex pulse", "team_ids": [str(team)]},
        headers=org.headers,
    )
    assert r.status_code == 201, r.text
    return UUID(r.json()["id"])


async def test_open_now_close_with_confirmation_and_banded_delivery(
    client: Any, pool: asyncpg.Pool
) -> None:
    w, admin = await _admin(pool)
    waves = await client.get("/console/admin/waves", headers=admin.headers)
    assert waves.status_code == 200
    assert "Fortnightly team pulse, wave 8" in waves.text and "Closed" in waves.text
    pulse = await pool.fetchval("SELECT id FROM pulses WHERE org_id = $1", w.org.id)
    r = await _post(
        client, "/console/admin/waves/open", admin, [("csrf", admin.csrf), ("pulse", str(pulse))]
    )
    assert r.status_code == 303, r.text
    wave = r.headers["location"].split("/")[-1].split("?")[0]
    page = await client.get(r.headers["location"], headers=admin.headers)
    assert page.status_code == 200 and "The wave is open" in page.text
    assert "Reminders sent" in page.text and "Answering so far, per group (banded)" in page.text
    assert re.search(r"<td>(low|moderate|high)</td>", page.text)
    logged = await pool.fetchval(
        "SELECT actor_id FROM audit_log WHERE action = 'wave.open' AND object_id = $1", UUID(wave)
    )
    assert logged == w.admin
    # A second "open now" while one is open: the list again, with the reason; nothing changes.
    before = await _state(pool)
    r = await _post(
        client, "/console/admin/waves/open", admin, [("csrf", admin.csrf), ("pulse", str(pulse))]
    )
    assert r.status_code == 409 and "already has an open wave" in r.text
    assert await _state(pool) == before
    confirm = await client.get(f"/console/admin/waves/{wave}/close", headers=admin.headers)
    assert confirm.status_code == 200
    for words in (
        "stops answers",
        "computes the results",
        "emails the team leaders",
        "cannot be undone",
    ):
        assert words in confirm.text
    r = await _post(client, f"/console/admin/waves/{wave}/close", admin, [("csrf", "wrong")])
    assert r.status_code == 403 and await _state(pool) == before
    r = await _post(client, f"/console/admin/waves/{wave}/close", admin, [("csrf", admin.csrf)])
    assert r.status_code == 303
    assert await pool.fetchval("SELECT state FROM waves WHERE id = $1", UUID(wave)) == "closed"
    closed = await client.get(r.headers["location"], headers=admin.headers)
    assert "The wave is closed" in closed.text and "Close now" not in closed.text
    again = await client.get(f"/console/admin/waves/{wave}/close", headers=admin.headers)
    assert "already closed" in again.text
