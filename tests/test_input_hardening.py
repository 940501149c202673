"""Names, texts and addresses that cannot be shown or mailed are refused at the door.

Control characters (C0 incl. TAB/LF/CR, DEL, C1) break CSV exports, log lines, mail headers and
pages, so no name or text field takes them: a 400 that says so through the API, a numbered row
in the CSV import, one line from the CLI. An email address is taken only if the mailer will send
to it, so nobody is imported who can never be invited.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import asyncpg
import pytest

from tests.factories import Org, make_people, make_team_tree

API = "/api/v1"
CSV = {"content-type": "text/csv; charset=utf-8"}

# One of each kind: line breaks and tab, NUL and ESC (C0), DEL, NEL and the last C1.
CONTROLLED = [
    "Eng\nOps",
    "Eng\r",
    "\tEng",
    "Eng\x00",
    "Eng\x1b[31m",
    "Eng\x7f",
    "Eng\x85",
    "Eng\x9f",
]
# Not control characters: must stay welcome.
FINE = ["Équipe Zürich", "Eng – Ops", "Ωmega 2", "日本チーム"]


def _says_control_characters(r: Any) -> bool:
    body = r.json()
    words = " ".join([body.get("detail", "")] + [e.get("message", "") for e in body["errors"]])
    return "control characters" in words


async def test_control_characters_in_team_names_are_a_clear_400(
    client: Any, org: Org, pool: asyncpg.Pool
) -> None:
    t = await make_team_tree(pool, org.id, ["Eng"])
    for name in CONTROLLED:
        r = await client.post(f"{API}/teams", json={"name": name}, headers=org.headers)
        assert r.status_code == 400, (name, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert _says_control_characters(r), r.text
        r = await client.patch(f"{API}/teams/{t['Eng']}", json={"name": name}, headers=org.headers)
        assert r.status_code == 400, (name, r.text)
    assert await pool.fetchval("SELECT count(*) FROM teams") == 1
    assert await pool.fetchval("SELECT name FROM teams") == "Eng"
    for name in FINE:
        r = await client.post(f"{API}/teams", json={"name": name}, headers=org.headers)
        assert r.status_code == 201, (name, r.text)


async def test_control_characters_in_display_names_are_a_clear_400(
    client: Any, org: Org, pool: asyncpg.Pool
) -> None:
    t = await make_team_tree(pool, org.id, ["Eng"])
    [person] = await make_people(pool, org.id, t["Eng"], 1)
    for i, name in enumerate(CONTROLLED):
        body = {"email": f"p{i}@example.test", "display_name": name}
        r = await client.post(f"{API}/people", json=body, headers=org.headers)
        assert r.status_code == 400, (name, r.text)
        assert _says_control_characters(r), r.text
        r = await client.patch(
            f"{API}/people/{person}", json={"display_name": name}, headers=org.headers
        )
        assert r.status_code == 400, (name, r.text)
    assert await pool.fetchval("SELECT count(*) FROM people") == 1
    names = await pool.fetch("SELECT display_name FROM people")
    assert not any(c in names[0]["display_name"] for c in "\n\r\t\x00\x1b\x7f\x85\x9f")


async def test_control_characters_in_pulse_names_are_a_clear_400(
    client: Any, org: Org, pool: asyncpg.Pool
) -> None:
    t = await make_team_tree(pool, org.id, ["Eng"])
    r = await client.post(
        f"{API}/pulses", json={"name": "Pulse", "team_ids": [str(t["Eng"])]}, headers=org.headers
    )
    assert r.status_code == 201, r.text
    pulse = r.json()["id"]
    for name in [*CONTROLLED, "   "]:
        r = await client.post(
            f"{API}/pulses", json={"name": name, "team_ids": [str(t["Eng"])]}, headers=org.headers
        )
        assert r.status_code == 400, (name, r.text)
        r = await client.patch(f"{API}/pulses/{pulse}", json={"name": name}, headers=org.headers)
        assert r.status_code == 400, (name, r.text)
    assert [r["name"] for r in await pool.fetch("SELECT name FROM pulses")] == ["Pulse"]


async def test_control_characters_in_item_texts_and_instrument_names_are_a_clear_400(
    client: Any, org: Org, pool: asyncpg.Pool
) -> None:
    before = await pool.fetchval("SELECT count(*) FROM items")
    item: dict[str, Any] = {
        "key": "acme.x",
        "dimension": "focus",
        "texts": {"en": "I can focus.", "nl": "Ik kan me concentreren."},
    }
    for text in CONTROLLED:
        for body in (
            {**item, "texts": {"en": text, "nl": "Tekst"}},
            {**item, "texts": {"en": "Text", "nl": text}},
            {**item, "instrument": text},
        ):
            r = await client.post(f"{API}/items", json=body, headers=org.headers)
            assert r.status_code == 400, (body, r.text)
            assert _says_control_characters(r), r.text
        r = await client.post(
            f"{API}/instruments", json={"name": text, "items": [item]}, headers=org.headers
        )
        assert r.status_code == 400, (text, r.text)
    assert await pool.fetchval("SELECT count(*) FROM items") == before


async def test_the_csv_import_names_each_row_with_control_characters(
    client: Any, org: Org, pool: asyncpg.Pool
) -> None:
    body = (
        "email,display_name,team\n"
        "ann@example.test,Ann,Engineering\n"
        'bob@example.test,"Bob\nSmith",Engineering\n'  # a line break inside a quoted cell
        "carl@example.test,Carl\x1b[2J,Engineering\n"
        "dana@example.test,Dana,Engi\x07neering/Platform\n"
        "erik@example.test,Er\x85ik,\n"
    )
    r = await client.post(
        f"{API}/people/import", content=body.encode(), headers={**org.headers, **CSV}
    )
    assert r.status_code == 422, r.text
    found = [(e["line"], e["column"]) for e in r.json()["errors"]]
    assert found == [(3, "display_name"), (5, "display_name"), (6, "team"), (7, "display_name")]
    assert all("control characters" in e["reason"] for e in r.json()["errors"])
    assert await pool.fetchval("SELECT count(*) FROM people") == 0
    assert await pool.fetchval("SELECT count(*) FROM teams") == 0


async def test_an_address_the_mailer_refuses_is_refused_by_post_people(
    client: Any, org: Org, pool: asyncpg.Pool
) -> None:
    r = await client.post(
        f"{API}/people", json={"email": "ü@example.test", "display_name": "Ü"}, headers=org.headers
    )
    assert r.status_code == 400, r.text
    assert "mailer" in r.json()["errors"][0]["message"]
    assert await pool.fetchval("SELECT count(*) FROM people") == 0


async def test_an_address_the_mailer_refuses_is_refused_by_patch_people(
    client: Any, org: Org, pool: asyncpg.Pool
) -> None:
    t = await make_team_tree(pool, org.id, ["Eng"])
    [person] = await make_people(pool, org.id, t["Eng"], 1)
    before = await pool.fetchval("SELECT email FROM people WHERE id = $1", person)
    for email in ("ü@example.test", "ann@exämple.test", "ann@example", "ann@-example.test"):
        r = await client.patch(f"{API}/people/{person}", json={"email": email}, headers=org.headers)
        assert r.status_code == 400, (email, r.text)
    assert await pool.fetchval("SELECT email FROM people WHERE id = $1", person) == before


async def test_the_csv_import_names_the_line_of_an_address_the_mailer_refuses(
    client: Any, org: Org, pool: asyncpg.Pool
) -> None:
    body = "email,display_name\nann@example.test,Ann\nü@example.test,Ü\nbob@example.test,Bob\n"
    r = await client.post(
        f"{API}/people/import", content=body.encode(), headers={**org.headers, **CSV}
    )
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert (error["line"], error["column"]) == (3, "email")
    assert "ü@example.test" in error["reason"]
    assert await pool.fetchval("SELECT count(*) FROM people") == 0


async def test_create_org_refuses_control_characters(pool: asyncpg.Pool) -> None:
    from service.orgs import create_org

    for name in ("Acme\nCorp", "Acme\x1b[2J", "Acme\x85"):
        async with pool.acquire() as conn, conn.transaction():
            with pytest.raises(ValueError, match="control characters"):
                await create_org(conn, name)
    assert await pool.fetchval("SELECT count(*) FROM orgs") == 0


def test_cli_org_create_refuses_control_characters_in_one_line(database_url: str) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SECRET_KEY")},
        "SECRET_KEY": "s" * 40,
        "CANDOR_ENV": "production",
        "DATABASE_URL": database_url,
    }
    r = subprocess.run(
        [sys.executable, "-m", "service.cli", "org", "create", "Acme\x1b[2JCorp"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1, r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "control characters" in lines[0], r.stderr
    assert "Traceback" not in r.stderr
