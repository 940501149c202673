"""Test factories: one thing at a time, written straight into the database.

An org (with its floors and an admin key), a team tree, people in a team, a pulse, a leader's
key, a widget token, a console session and its form token, the tokens of a wave's invitations;
and `clean_database()`, which empties every table between tests. The signatures stay stable:

    org = await make_org(pool)                       # k 3, comment_k 3 unless floors=...
    teams = await make_team_tree(pool, org.id, {"Engineering": {"Platform": {}, "Apps": {}}})
    people = await make_people(pool, org.id, teams["Platform"], 7, locale="nl")
    pulse_id = await make_pulse(pool, org.id, [teams["Engineering"]], k=3)
    leader = await make_leader_headers(pool, org.id, [teams["Engineering"]])  # request headers
    session = await signed_in(pool, org.id, person_id)  # session.headers, session.csrf

Everything but `make_widget_token` (which goes through the API, as an admin would) is plain SQL
or a service function, so a factory never depends on a route under test. Whole worlds built from
these (an open wave, answered history, the console, widget and fuzz worlds) are in
tests/worlds.py.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from service.orgs import Floors
from service.surveys.pulses.bank import builtin_items
from service.surveys.respond import token_for

# The SECRET_KEY of the app under test: respondent tokens derive from it.
TEST_SECRET = "test-secret-key-" + "x" * 32
# The repository root: where served apps and commands run, where docs and sources are read.
ROOT = Path(__file__).resolve().parent.parent


_TABLES = """
SELECT string_agg(format('%I', tablename), ', ')
FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'
"""


async def clean_database(pool: asyncpg.Pool) -> None:
    """Empty every table but the migrations' record (TRUNCATE, so other connections see it)."""
    tables = await pool.fetchval(_TABLES)
    if not tables:
        return
    async with pool.acquire() as conn, conn.transaction():
        # The audit log refuses TRUNCATE (migration 0011); the replica role, which only a
        # superuser may take, skips that trigger for this one statement.
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute(f"TRUNCATE {tables} CASCADE")


@dataclass(frozen=True)
class Org:
    id: UUID
    admin_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}


async def make_org(pool: asyncpg.Pool, name: str = "Acme", floors: Floors | None = None) -> Org:
    """An org with its built-in items and an admin key.

    Its floors are the design's lowest (k 3, comment_k 3), which every pulse could use before
    floors existed, so tests of other promises may use small groups; tests of the floors pass
    `floors=DEFAULT_FLOORS` (or others) from service.orgs.
    """
    from service.orgs import create_org
    from service.surveys.pulses.bank import install_builtin_items

    async with pool.acquire() as conn, conn.transaction():
        org_id, key = await create_org(
            conn, name, setup=[install_builtin_items], floors=floors or Floors(3, 3)
        )
    return Org(org_id, key)


# A tree spec maps a team name to the spec of its children; a list of names is a flat level.
TreeSpec = Mapping[str, Any] | list[str]


async def make_team_tree(pool: asyncpg.Pool, org_id: UUID, spec: TreeSpec) -> dict[str, UUID]:
    """Create the teams of `spec`; return name -> id, and also "Parent/Child" path -> id.

    `{"Engineering": {"Platform": {}, "Apps": {}}, "Sales": {}}` makes two roots, one of them
    with two children. When a name occurs twice in the tree, its bare-name entry is the last
    one created; use the path key to be precise.
    """
    ids: dict[str, UUID] = {}

    async def build(
        conn: asyncpg.Connection, level: TreeSpec, parent: UUID | None, path: str
    ) -> None:
        children: Mapping[str, Any] = (
            {name: {} for name in level} if isinstance(level, list) else level
        )
        for name, sub in children.items():
            team_id: UUID = await conn.fetchval(
                "INSERT INTO teams (org_id, parent_id, name) VALUES ($1, $2, $3) RETURNING id",
                org_id,
                parent,
                name,
            )
            full = f"{path}/{name}" if path else name
            ids[name] = team_id
            ids[full] = team_id
            await build(conn, sub or {}, team_id, full)

    async with pool.acquire() as conn, conn.transaction():
        await build(conn, spec, None, "")
    return ids


async def make_people(
    pool: asyncpg.Pool,
    org_id: UUID,
    team_id: UUID | None,
    n: int,
    locale: str = "en",
    *,
    active: bool = True,
) -> list[UUID]:
    """Create `n` people in one team with unique emails; return their ids in creation order."""
    tag = secrets.token_hex(4)
    emails = [f"person-{tag}-{i}@example.test" for i in range(n)]
    names = [f"Person {tag} {i}" for i in range(n)]
    rows = await pool.fetch(
        """
        INSERT INTO people (org_id, email, display_name, locale, team_id, active)
        SELECT $1, e.email, e.name, $3, $4, $5
        FROM unnest($2::text[], $6::text[]) WITH ORDINALITY AS e(email, name, ord)
        ORDER BY e.ord
        RETURNING id, email
        """,
        org_id,
        emails,
        locale,
        team_id,
        active,
        names,
    )
    by_email = {r["email"]: r["id"] for r in rows}
    return [by_email[e] for e in emails]


def default_pulse_items() -> tuple[list[str], list[str]]:
    """The built-in bank's core items (one per dimension) and the rest as rotating items."""
    items = builtin_items()
    core = [i.key for i in items if i.core]
    rotating = [i.key for i in items if not i.core]
    return core, rotating


async def make_pulse(
    pool: asyncpg.Pool, org_id: UUID, team_ids: list[UUID], **overrides: Any
) -> UUID:
    """Create an active pulse over `team_ids` (subtree roots); return its id.

    Defaults: the built-in core items plus every other built-in item rotating, 6 items per
    wave, weekly, open 6 days, k=5, comment_k=10, reminders on days 3 and 5, first wave due
    now (`next_wave_at = starts_at`). Any column of
    `pulses` can be overridden by keyword (e.g. `k=3, core_items=[...], starts_at=...`).
    """
    core, rotating = default_pulse_items()
    values: dict[str, Any] = {
        "name": "Team pulse",
        "team_ids": list(team_ids),
        "core_items": core,
        "rotating_items": rotating,
        "items_per_wave": min(7, max(3, len(core) + 2)),
        "cadence": "weekly",
        "cadence_weeks": 1,
        "open_days": 6,
        "k": 5,
        "comment_k": 10,
        "reminder_days": [3, 5],
        "starts_at": datetime.now(UTC),
        "active": True,
    }
    values.update(overrides)
    values.setdefault("next_wave_at", values["starts_at"])
    columns = list(values)
    placeholders = ", ".join(f"${i}" for i in range(2, len(columns) + 2))
    pulse_id: UUID = await pool.fetchval(
        f"""INSERT INTO pulses (org_id, {", ".join(columns)}) VALUES ($1, {placeholders})
            RETURNING id""",
        org_id,
        *values.values(),
    )
    return pulse_id


async def make_leader_headers(
    pool: asyncpg.Pool, org_id: UUID, team_ids: list[UUID]
) -> dict[str, str]:
    """Authorization headers of a new leader key scoped to `team_ids` (and their subtrees)."""
    from service.auth import create_key

    async with pool.acquire() as conn:
        _, key = await create_key(conn, org_id, "leader", "leader", list(team_ids))
    return {"Authorization": f"Bearer {key}"}


async def make_widget_token(
    client: Any, headers: dict[str, str], team_id: UUID, **extra: Any
) -> dict[str, Any]:
    """A widget token for `team_id` made through the API with `headers` (an admin's); the
    API's answer (`token`, `id`, ...)."""
    body = {"label": "team wiki", "team_id": str(team_id), **extra}
    r = await client.post("/api/v1/widget-tokens", json=body, headers=headers)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


async def tokens_of(pool: asyncpg.Pool, wave_id: UUID) -> list[str]:
    """The respondent tokens of a wave's invitations, in invitation-id order."""
    ids = await pool.fetch("SELECT id FROM invitations WHERE wave_id = $1 ORDER BY id", wave_id)
    return [token_for(TEST_SECRET, r["id"]) for r in ids]


async def tokens_by_team(
    conn: asyncpg.Connection | asyncpg.Pool, wave_id: UUID, secret: str = TEST_SECRET
) -> dict[UUID, list[str]]:
    """The same, per team of the invited person."""
    rows = await conn.fetch(
        "SELECT id, team_id FROM invitations WHERE wave_id = $1 ORDER BY id", wave_id
    )
    out: dict[UUID, list[str]] = {}
    for r in rows:
        out.setdefault(r["team_id"], []).append(token_for(secret, r["id"]))
    return out


async def item_keys_of(conn: asyncpg.Connection | asyncpg.Pool, wave_id: UUID) -> list[str]:
    """The items a wave asks, in its order."""
    return list(await conn.fetchval("SELECT item_keys FROM waves WHERE id = $1", wave_id))


def full_answers(item_keys: list[str], value: int = 5) -> dict[str, int]:
    """Every item answered with `value`."""
    return {key: value for key in item_keys}


@dataclass(frozen=True)
class Signed:
    """A console session: its cookie and the CSRF token its forms carry."""

    cookie: str
    csrf: str

    @property
    def headers(self) -> dict[str, str]:
        from service.console.sessions import COOKIE

        return {"Cookie": f"{COOKIE}={self.cookie}"}


async def signed_in(pool: asyncpg.Pool, org_id: UUID, person_id: UUID) -> Signed:
    """Start a console session for a person, the way a used sign-in link does."""
    from service.console.sessions import load_session, start_session

    async with pool.acquire() as conn:
        now = datetime.now(UTC)
        value = await start_session(conn, org_id, person_id, now)
        session = await load_session(conn, value, now)
    assert session is not None
    return Signed(value, session.csrf)


def form_token(html: str) -> str:
    """The CSRF token of the (first) form on a console page."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)
