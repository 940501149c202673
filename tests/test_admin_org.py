"""The admin console's org area: the org chart, the CSV import (with the `leads` column, also
through the API), a team's admin page and the people pages. Every form refuses a wrong CSRF
token, every id of another org is a 404 page, a person without the admin flag meets the 404
page, and a refused change changes nothing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
import pytest

from service.console.admin.org_import import MAX_UPLOAD_BYTES
from service.console.sessions import COOKIE, PRE_COOKIE
from service.surveys.directory.models import ImportReport
from tests.factories import (
    TEST_SECRET,
    Org,
    Signed,
    form_token,
    make_org,
    make_people,
    make_team_tree,
    signed_in,
)
from tests.test_cli import acandor, one_line_error


@dataclass(frozen=True)
class World:
    org: Org
    teams: dict[str, UUID]
    admin: UUID
    plain: UUID  # a person without any role
    admin_s: Signed
    plain_s: Signed

    @property
    def cookies(self) -> dict[str, str]:
        return {COOKIE: self.admin_s.cookie}


async def _person(pool: asyncpg.Pool, org: UUID, email: str, name: str, admin: bool) -> UUID:
    found: UUID = await pool.fetchval(
        "INSERT INTO people (org_id, email, display_name, admin) VALUES ($1, $2, $3, $4) "
        "RETURNING id",
        org,
        email,
        name,
        admin,
    )
    return found


async def _world(pool: asyncpg.Pool, name: str = "Acme") -> World:
    org = await make_org(pool, name)
    teams = await make_team_tree(
        pool, org.id, {"Engineering": {"Platform": {}, "Apps": {}}, "Sales": {}}
    )
    await make_people(pool, org.id, teams["Platform"], 6)
    await make_people(pool, org.id, teams["Apps"], 2)
    await make_people(pool, org.id, teams["Sales"], 4)
    admin = await _person(pool, org.id, "ada@example.com", "Ada Admin", True)
    plain = await _person(pool, org.id, "pim@example.com", "Pim Plain", False)
    return World(
        org,
        teams,
        admin,
        plain,
        await signed_in(pool, org.id, admin),
        await signed_in(pool, org.id, plain),
    )


@pytest.fixture
async def client(client: Any) -> AsyncIterator[Any]:
    """The suite's client, not following redirects: a form's 303 is part of what is tested."""
    was = client.follow_redirects
    client.follow_redirects = False
    try:
        yield client
    finally:
        client.follow_redirects = was


@pytest.fixture
async def w(pool: asyncpg.Pool) -> World:
    return await _world(pool)


async def _snapshot(pool: asyncpg.Pool) -> list[Any]:
    rows = []
    for table in ("teams", "people", "team_leaders"):
        rows += [dict(r) for r in await pool.fetch(f"SELECT * FROM {table} ORDER BY 1, 2, 3")]
    return rows


async def _audit(pool: asyncpg.Pool, action: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT actor_kind, actor_id, details FROM audit_log WHERE action = $1 ORDER BY 1", action
    )


# --- who may see the pages -----------------------------------------------------------------

PAGES = ["/console/admin/org", "/console/admin/org/import", "/console/admin/people"]


async def test_every_org_page_is_a_404_page_for_a_person_without_the_admin_flag(
    client: Any, w: World
) -> None:
    for path in [
        *PAGES,
        f"/console/admin/teams/{w.teams['Sales']}",
        f"/console/admin/people/{w.admin}",
    ]:
        r = await client.get(path, cookies={COOKIE: w.plain_s.cookie})
        assert r.status_code == 404 and "text/html" in r.headers["content-type"], path
        r = await client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/console/sign-in")
        r = await client.get(path, cookies=w.cookies)
        assert r.status_code == 200, path
        assert "script" not in r.text.lower()
        assert r.headers["content-security-policy"].startswith("default-src 'none'")


async def test_the_front_page_lists_the_org_and_people_areas(client: Any, w: World) -> None:
    r = await client.get("/console/admin", cookies=w.cookies)
    assert 'href="/console/admin/org"' in r.text and 'href="/console/admin/people"' in r.text


# --- the org chart ---------------------------------------------------------------------------


async def test_the_org_chart_shows_the_tree_with_headcounts_and_leaders(
    client: Any, pool: asyncpg.Pool, w: World
) -> None:
    await pool.execute(
        "INSERT INTO team_leaders (org_id, team_id, person_id) VALUES ($1, $2, $3)",
        w.org.id,
        w.teams["Engineering"],
        w.plain,
    )
    await make_people(pool, w.org.id, w.teams["Apps"], 1, active=False)
    r = await client.get("/console/admin/org", cookies=w.cookies)
    assert r.status_code == 200
    text = re.sub(r"\s+", " ", r.text)
    assert "14 active people in 4 teams." in text
    assert f'<a href="/console/admin/teams/{w.teams["Engineering"]}">Engineering</a>' in text
    assert "· 8 people (0 directly in this team) · led by Pim Plain" in text
    assert 'Apps</a> <span class="meta">· 2 people · no leader yet' in text
    nl = await client.post(
        "/console/language",
        data={"csrf": w.admin_s.csrf, "lang": "nl", "next": "/console/admin/org"},
        cookies=w.cookies,
    )
    assert nl.status_code == 303
    r = await client.get("/console/admin/org", cookies=w.cookies)
    assert "geleid door Pim Plain" in r.text and '<html lang="nl">' in r.text


# --- the CSV import --------------------------------------------------------------------------

CSV = """email,display_name,team,leads
ann@example.com,Ann,Engineering/Platform,Engineering/Platform
pim@example.com,Pim Renamed,Sales,
new@example.com,Nina,Engineering/Data,Engineering|Engineering/Data
"""


async def _upload(
    client: Any, w: World, body: bytes | str, *, csrf: str | None = None, **options: str
) -> Any:
    data = body.encode() if isinstance(body, str) else body
    return await client.post(
        "/console/admin/org/import",
        data={"csrf": w.admin_s.csrf if csrf is None else csrf, **options},
        files={"file": ("people.csv", data, "text/csv")},
        cookies=w.cookies,
    )


def _upload_id(html: str) -> str:
    found = re.search(r'name="upload" value="([^"]+)"', html)
    assert found, "no apply form"
    return found.group(1)


async def test_an_upload_shows_the_diff_and_stores_nothing_until_applied(
    client: Any, pool: asyncpg.Pool, w: World
) -> None:
    before = await _snapshot(pool)
    r = await _upload(client, w, CSV, create_teams="on")
    assert r.status_code == 200, r.text[-3000:]
    text = re.sub(r"\s+", " ", r.text)
    assert "New people: 2" in text and "People changed: 1" in text
    assert "New leader roles: 3" in text and "New teams: 1 (Engineering/Data)" in text
    assert "<td>pim@example.com</td><td>Pim Renamed</td><td>name, team</td>" in text
    assert "<td>new@example.com</td><td>Engineering|Engineering/Data</td>" not in text
    assert "<td>new@example.com</td><td>Engineering/Data</td>" in text
    assert await _snapshot(pool) == before
    upload = _upload_id(r.text)

    # The apply form's token is checked like every other form's.
    bad = await client.post(
        "/console/admin/org/import/apply",
        data={"csrf": "x" * 43, "upload": upload},
        cookies=w.cookies,
    )
    assert bad.status_code == 403 and await _snapshot(pool) == before

    done = await client.post(
        "/console/admin/org/import/apply",
        data={"csrf": w.admin_s.csrf, "upload": upload},
        cookies=w.cookies,
    )
    assert done.status_code == 200 and "has been imported" in done.text, done.text[-2500:]
    leads = await pool.fetch(
        "SELECT p.email, t.name FROM team_leaders tl JOIN people p ON p.id = tl.person_id "
        "JOIN teams t ON t.id = tl.team_id WHERE tl.org_id = $1 ORDER BY 1, 2",
        w.org.id,
    )
    assert [tuple(r) for r in leads] == [
        ("ann@example.com", "Platform"),
        ("new@example.com", "Data"),
        ("new@example.com", "Engineering"),
    ]
    (entry,) = await _audit(pool, "people.import")
    assert entry["actor_kind"] == "person" and entry["actor_id"] == w.admin
    details = (
        msgspec.json.decode(entry["details"])
        if isinstance(entry["details"], str)
        else entry["details"]
    )
    assert details["created"] == 2 and details["leaders_added"] == 3

    # An upload is applied once.
    again = await client.post(
        "/console/admin/org/import/apply",
        data={"csrf": w.admin_s.csrf, "upload": upload},
        cookies=w.cookies,
    )
    assert again.status_code == 409 and "no longer available" in again.text


async def test_an_upload_is_applied_only_by_the_person_who_uploaded_it(
    client: Any, pool: asyncpg.Pool, w: World
) -> None:
    r = await _upload(client, w, CSV, create_teams="on")
    upload = _upload_id(r.text)
    other_id = await _person(pool, w.org.id, "bo@example.com", "Bo Admin", True)
    other = await signed_in(pool, w.org.id, other_id)
    before = await _snapshot(pool)
    r = await client.post(
        "/console/admin/org/import/apply",
        data={"csrf": other.csrf, "upload": upload},
        cookies={COOKIE: other.cookie},
    )
    assert r.status_code == 409 and await _snapshot(pool) == before


async def test_bad_rows_are_listed_by_line_and_nothing_is_offered_to_apply(
    client: Any, pool: asyncpg.Pool, w: World
) -> None:
    before = await _snapshot(pool)
    body = (
        "email,display_name,leads\n"
        "ann@example.com,Ann,Engineering/Nowhere\n"
        "bob@example.com,Bob,Sales||\n"
        "not-an-email,Carl,\n"
        "dee@example.com,Dee,Sales|//\n"
    )
    r = await _upload(client, w, body)
    assert r.status_code == 422
    text = re.sub(r"\s+", " ", r.text)
    assert (
        '<td class="num">2</td><td>leads</td><td>Unknown team &#39;Engineering/Nowhere&#39;.</td>'
        in text
    )
    assert '<td class="num">4</td><td>email</td>' in text
    assert '<td class="num">5</td><td>leads</td>' in text
    assert 'name="upload"' not in r.text
    assert await _snapshot(pool) == before


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "Choose a CSV file"),
        (b"\xff\xfe not utf-8", "not valid UTF-8"),
        (b"email,name\nann@example.com,Ann\n", "Wrong columns"),
        (b'email,display_name\n"ann@example.com,Ann\n', "not valid CSV"),
    ],
)
async def test_malformed_files_are_refused_in_words(
    client: Any, pool: asyncpg.Pool, w: World, body: bytes, words: str
) -> None:
    before = await _snapshot(pool)
    r = await _upload(client, w, body)
    assert 400 <= r.status_code < 500 and words in r.text
    assert await _snapshot(pool) == before


async def test_an_oversized_upload_gets_a_page_in_words(client: Any, w: World) -> None:
    r = await _upload(client, w, b"email,display_name\n" + b"x" * MAX_UPLOAD_BYTES)
    assert r.status_code == 413 and "larger than 4 MB" in r.text
    # Far beyond the limit, the body is not even read to the end.
    r = await _upload(client, w, b"email,display_name\n" + b"x" * (MAX_UPLOAD_BYTES + 200_000))
    assert r.status_code == 413 and "larger than 4 MB" in r.text


async def test_an_upload_with_a_wrong_token_or_no_form_is_refused(client: Any, w: World) -> None:
    r = await _upload(client, w, CSV, csrf="wrong")
    assert r.status_code == 403
    r = await client.post(
        "/console/admin/org/import",
        content=b"csrf=" + w.admin_s.csrf.encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
        cookies=w.cookies,
    )
    assert r.status_code == 403
    r = await client.post(
        "/console/admin/org/import",
        content=b"--x\r\nbroken",
        headers={"content-type": "multipart/form-data; boundary=x"},
        cookies=w.cookies,
    )
    assert 400 <= r.status_code < 500
    r = await client.post(
        "/console/admin/org/import/apply",
        data={"csrf": w.admin_s.csrf, "upload": "../../etc"},
        cookies=w.cookies,
    )
    assert r.status_code == 409


# --- the leads column through the API --------------------------------------------------------


async def test_the_api_import_marks_leaders_from_the_leads_column(
    client: Any, pool: asyncpg.Pool, w: World
) -> None:
    headers = {**w.org.headers, "content-type": "text/csv"}
    body = "email,display_name,leads\nann@example.com,Ann,Sales | Engineering/Apps\n"
    r = await client.post("/api/v1/people/import?dry_run=true", content=body, headers=headers)
    assert r.status_code == 200
    assert msgspec.json.decode(r.content, type=ImportReport).leaders_added == 2
    assert await pool.fetchval("SELECT count(*) FROM team_leaders") == 0
    r = await client.post("/api/v1/people/import", content=body, headers=headers)
    assert msgspec.json.decode(r.content, type=ImportReport).leaders_added == 2
    r = await client.post("/api/v1/people/import", content=body, headers=headers)
    assert msgspec.json.decode(r.content, type=ImportReport).leaders_added == 0
    assert await pool.fetchval("SELECT count(*) FROM team_leaders") == 2


async def test_the_api_import_refuses_bad_leads_paths_with_their_line(
    client: Any, pool: asyncpg.Pool, w: World
) -> None:
    headers = {**w.org.headers, "content-type": "text/csv"}
    other = await make_org(pool, "Other")
    theirs = await make_team_tree(pool, other.id, ["Theirs"])
    before = await _snapshot(pool)
    body = (
        "email,display_name,leads\n"
        "ann@example.com,Ann,Sales\n"
        f"bob@example.com,Bob,{theirs['Theirs']}\n"
        "cy@example.com,Cy,Sales/Nope\n"
    )
    r = await client.post("/api/v1/people/import", content=body, headers=headers)
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert [(e["line"], e["column"]) for e in errors] == [(3, "leads"), (4, "leads")]
    assert await _snapshot(pool) == before


# --- a team's admin page ---------------------------------------------------------------------


async def test_the_team_page_sets_and_unsets_leaders(
    client: Any, pool: asyncpg.Pool, w: World
) -> None:
    sales = w.teams["Sales"]
    r = await client.get(f"/console/admin/teams/{sales}", cookies=w.cookies)
    assert r.status_code == 200 and "no leader yet" in r.text
    r = await client.post(
        f"/console/admin/teams/{sales}/leaders",
        data={"csrf": w.admin_s.csrf, "add_email": "PIM@example.com"},
        cookies=w.cookies,
    )
    assert r.status_code == 303 and r.headers["location"].endswith("?saved=leaders")
    page = await client.get(r.headers["location"], cookies=w.cookies)
    assert "Pim Plain (pim@example.com)" in page.text and "leaders have been saved" in page.text
    (entry,) = await _audit(pool, "team.leaders")
    assert entry["actor_kind"] == "person" and entry["actor_id"] == w.admin
    # Unticked: removed.
    r = await client.post(
        f"/console/admin/teams/{sales}/leaders", data={"csrf": w.admin_s.csrf}, cookies=w.cookies
    )
    assert r.status_code == 303
    assert await pool.fetchval("SELECT count(*) FROM team_leaders") == 0


async def test_refused_leader_changes_say_why_and_change_nothing(
    client: Any, pool: asyncpg.Pool, w: World
) -> None:
    sales = w.teams["Sales"]
    other = await make_org(pool, "Other")
    stranger = await _person(pool, other.id, "sam@other.example", "Sam", False)
    before = await _snapshot(pool)
    r = await client.post(
        f"/console/admin/teams/{sales}/leaders",
        data={"csrf": w.admin_s.csrf, "add_email": "sam@other.example"},
        cookies=w.cookies,
    )
    assert r.status_code == 400 and "Nobody in this org has the email address" in r.text
    await client.post(
        "/console/language",
        data={"csrf": w.admin_s.csrf, "lang": "nl", "next": "/console/admin/org"},
        cookies=w.cookies,
    )
    r = await client.post(
        f"/console/admin/teams/{sales}/leaders",
        data={"csrf": w.admin_s.csrf, "add_email": "sam@other.example"},
        cookies=w.cookies,
    )
    assert r.status_code == 400 and "Niemand in deze organisatie heeft" in r.text
    r = await client.post(
        f"/console/admin/teams/{sales}/leaders",
        data={"csrf": w.admin_s.csrf, f"keep_{stranger}": "on"},
        cookies=w.cookies,
    )
    assert r.status_code == 400 and "Not people of this org" in r.text
    r = await client.post(
        f"/console/admin/teams/{sales}/leaders",
        data={"csrf": "nope", "add_email": "pim@example.com"},
        cookies=w.cookies,
    )
    assert r.status_code == 403
    assert await _snapshot(pool) == before


async def test_the_report_with_choice_and_what_it_does(
    client: Any, pool: asyncpg.Pool, w: World
) -> None:
    apps, platform = w.teams["Apps"], w.teams["Platform"]
    r = await client.get(f"/console/admin/teams/{apps}", cookies=w.cookies)
    text = re.sub(r"\s+", " ", r.text)
    assert "This team has 2 active people, fewer than k = 3" in text
    assert f'<option value="{platform}">the sibling team Engineering/Platform</option>' in text
    r = await client.post(
        f"/console/admin/teams/{apps}/report-with",
        data={"csrf": w.admin_s.csrf, "report_with": str(platform)},
        cookies=w.cookies,
    )
    assert r.status_code == 303
    assert await pool.fetchval("SELECT report_with FROM teams WHERE id = $1", apps) == platform
    page = await client.get(r.headers["location"], cookies=w.cookies)
    assert f'<option value="{platform}" selected>' in page.text
    (entry,) = await _audit(pool, "team.report_with")
    assert entry["actor_kind"] == "person"
    # A team that is neither parent nor sibling is refused in words; nothing changes.
    before = await _snapshot(pool)
    r = await client.post(
        f"/console/admin/teams/{apps}/report-with",
        data={"csrf": w.admin_s.csrf, "report_with": str(w.teams["Sales"])},
        cookies=w.cookies,
    )
    assert r.status_code == 400 and "is neither" in r.text
    r = await client.post(
        f"/console/admin/teams/{apps}/report-with",
        data={"csrf": w.admin_s.csrf, "report_with": "not-a-team"},
        cookies=w.cookies,
    )
    assert r.status_code == 400
    assert await _snapshot(pool) == before
    r = await client.post(
        f"/console/admin/teams/{apps}/report-with",
        data={"csrf": w.admin_s.csrf, "report_with": "default"},
        cookies=w.cookies,
    )
    assert r.status_code == 303
    assert await pool.fetchval("SELECT report_with FROM teams WHERE id = $1", apps) is None


async def test_unknown_and_other_orgs_team_and_person_ids_are_404_pages(
    client: Any, pool: asyncpg.Pool, w: World
) -> None:
    other = await _world(pool, "Other")
    before = await _snapshot(pool)
    theirs, them = other.teams["Sales"], other.plain
    for path in [
        f"/console/admin/teams/{theirs}",
        "/console/admin/teams/not-a-uuid",
        f"/console/admin/teams/{UUID(int=1)}",
        f"/console/admin/people/{them}",
        "/console/admin/people/nope",
    ]:
        r = await client.get(path, cookies=w.cookies)
        assert r.status_code == 404, path
    for path, data in [
        (f"/console/admin/teams/{theirs}/leaders", {"add_email": "pim@example.com"}),
        (f"/console/admin/teams/{theirs}/report-with", {"report_with": "default"}),
        (
            f"/console/admin/people/{them}",
            {"display_name": "X", "email": "x@example.com", "locale": "en"},
        ),
    ]:
        r = await client.post(path, data={"csrf": w.admin_s.csrf, **data}, cookies=w.cookies)
        assert r.status_code == 404, path
    assert await _snapshot(pool) == before


# --- the people pages ------------------------------------------------------------------------


async def test_people_search_by_name_or_email(client: Any, w: World) -> None:
    r = await client.get("/console/admin/people", params={"q": "PIM"}, cookies=w.cookies)
    assert r.status_code == 200 and "1 people match" in r.text and "Pim Plain" in r.text
    r = await client.get("/console/admin/people", params={"q": "ada@"}, cookies=w.cookies)
    assert "Ada Admin" in r.text and "Pim Plain" not in r.text
    r = await client.get("/console/admin/people", params={"q": "%"}, cookies=w.cookies)
    assert "0 people match" in r.text
    r = await client.get("/console/admin/people", params={"q": "x" * 500}, cookies=w.cookies)
    assert r.status_code == 400


async def test_editing_a_person_and_marking_an_admin_is_audited(
    client: Any, pool: asyncpg.Pool, w: World
) -> None:
    r = await client.get(f"/console/admin/people/{w.plain}", cookies=w.cookies)
    assert r.status_code == 200 and 'value="Pim Plain"' in r.text
    form = {
        "csrf": w.admin_s.csrf,
        "display_name": "Pim Moved",
        "email": "pim@example.com",
        "team_id": str(w.teams["Sales"]),
        "locale": "nl",
        "active": "on",
        "admin": "on",
    }
    r = await client.post(f"/console/admin/people/{w.plain}", data=form, cookies=w.cookies)
    assert r.status_code == 303
    row = await pool.fetchrow("SELECT * FROM people WHERE id = $1", w.plain)
    assert (row["display_name"], row["team_id"], row["locale"], row["admin"]) == (
        "Pim Moved",
        w.teams["Sales"],
        "nl",
        True,
    )
    assert [e["actor_id"] for e in await _audit(pool, "person.update")] == [w.admin]
    assert [e["actor_id"] for e in await _audit(pool, "person.admin")] == [w.admin]


@pytest.mark.parametrize(
    ("change", "words", "status"),
    [
        ({"email": "ada@example.com"}, "already has this email", 409),
        ({"email": "not an email"}, "Check the name, email address", 400),
        ({"display_name": ""}, "Check the name, email address", 400),
        ({"locale": "fr"}, "Check the name, email address", 400),
        ({"team_id": "garbage"}, "Pick a team", 400),
        ({"team_id": str(UUID(int=7))}, "is not a team of this org", 400),
    ],
)
async def test_a_refused_edit_says_why_and_changes_nothing(
    client: Any, pool: asyncpg.Pool, w: World, change: dict[str, str], words: str, status: int
) -> None:
    before = await _snapshot(pool)
    form = {
        "csrf": w.admin_s.csrf,
        "display_name": "Pim Plain",
        "email": "pim@example.com",
        "team_id": "",
        "locale": "en",
        "active": "on",
        "admin": "on",
        **change,
    }
    r = await client.post(f"/console/admin/people/{w.plain}", data=form, cookies=w.cookies)
    assert r.status_code == status and words in r.text, r.text[-2000:]
    assert await _snapshot(pool) == before


async def test_an_admin_cannot_remove_their_own_admin_flag_and_a_wrong_token_is_refused(
    client: Any, pool: asyncpg.Pool, w: World
) -> None:
    before = await _snapshot(pool)
    form = {"display_name": "Ada", "email": "ada@example.com", "locale": "en", "active": "on"}
    r = await client.post(
        f"/console/admin/people/{w.admin}", data={"csrf": w.admin_s.csrf, **form}, cookies=w.cookies
    )
    assert r.status_code == 400 and "your own admin role" in r.text
    r = await client.post(
        f"/console/admin/people/{w.plain}", data={"csrf": "bad", **form}, cookies=w.cookies
    )
    assert r.status_code == 403
    assert await _snapshot(pool) == before


# --- the CLI: the first admin and their sign-in link ----------------------------------------


async def _sign_in_with(client: Any, url: str) -> Any:
    path = url.removeprefix("http://testserver.local")
    confirm = await client.get(path)
    assert confirm.status_code == 200, confirm.text[-500:]
    pre = confirm.cookies.get(PRE_COOKIE) or client.cookies.get(PRE_COOKIE)
    r = await client.post(
        path,
        data={"csrf": form_token(confirm.text)},
        headers={"Cookie": f"{PRE_COOKIE}={pre}"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/console/admin", r.text[-500:]
    return r.cookies.get(COOKIE)


async def test_org_create_makes_the_first_admin_and_prints_a_sign_in_link(
    database_url: str, pool: asyncpg.Pool, client: Any, tmp_path: Path
) -> None:
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "PUBLIC_BASE_URL": "http://testserver.local",
    }
    r = await acandor(
        *("org", "create", "Initech", "--admin-email", "boss@initech.example"),
        *("--admin-name", "Bill Lumbergh"),
        data_dir=tmp_path,
        **env,
    )
    assert r.returncode == 0, r.stderr
    link = re.search(r"(http://testserver\.local/console/link/\S+)", r.stdout)
    assert link and "7 days" in r.stdout
    key = r.stdout.strip().split()[-1]
    assert (
        await client.get("/api/v1/org", headers={"Authorization": f"Bearer {key}"})
    ).status_code == 200
    row = await pool.fetchrow("SELECT display_name, admin FROM people")
    assert tuple(row) == ("Bill Lumbergh", True)
    actions = {a["action"] for a in await pool.fetch("SELECT action FROM audit_log")}
    assert {"org.create", "person.create", "person.admin"} <= actions

    cookie = await _sign_in_with(client, link.group(1))
    home = await client.get("/console/admin", headers={"Cookie": f"{COOKIE}={cookie}"})
    assert home.status_code == 200 and "Org chart" in home.text
    # The link works once; `candor org admin` prints a fresh one.
    assert (
        await client.get(link.group(1).removeprefix("http://testserver.local"))
    ).status_code == 404
    again = await acandor(
        "org", "admin", "Initech", "BOSS@initech.example", data_dir=tmp_path, **env
    )
    assert again.returncode == 0, again.stderr
    fresh = re.search(r"(http://testserver\.local/console/link/\S+)", again.stdout)
    assert fresh and fresh.group(1) != link.group(1)
    await _sign_in_with(client, fresh.group(1))


async def test_org_admin_refuses_people_who_are_not_admins_in_one_line(
    database_url: str, pool: asyncpg.Pool, w: World, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET}
    line = one_line_error(
        await acandor("org", "admin", "Acme", "pim@example.com", data_dir=tmp_path, **env)
    )
    assert "not an admin" in line
    line = one_line_error(
        await acandor("org", "admin", "Acme", "who@example.com", data_dir=tmp_path, **env)
    )
    assert "nobody in this org" in line
    no_secret = {"DATABASE_URL": database_url}
    line = one_line_error(
        await acandor("org", "admin", "Acme", "ada@example.com", data_dir=tmp_path, **no_secret)
    )
    assert "SECRET_KEY" in line
    line = one_line_error(
        await acandor(
            "org", "create", "Bad", "--admin-email", "not-an-email", data_dir=tmp_path, **env
        )
    )
    assert "--admin-email" in line
    assert await pool.fetchval("SELECT count(*) FROM orgs WHERE name = 'Bad'") == 0
    assert await pool.fetchval("SELECT count(*) FROM signin_links") == 0
