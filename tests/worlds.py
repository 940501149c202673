"""Ready-made worlds for tests, built with the factories and the service's own functions.

* `open_test_wave()`: a team "Platform" under "Engineering" with n people, a pulse over it and
  its first wave open (outbox filled, tokens known); `close_test_wave()` closes it for real.
* `make_world()` / `answered_wave()`: an org chart with people and a pulse; waves opened,
  answered in each team and closed through the real `open_wave` / `close_wave` and rollup.
* `console_world()`: the demo org (eight closed rounds, a Product lead and an admin person).
* `build_widget_world()`: a small published history for widget tests (three teams).
* `seed_fuzz_world()`: two orgs, Acme and the victim Globex, for the fuzzer and the isolation
  matrix, with `fuzz_server_env()` for the app that serves them.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from service.analytics.rollup import rollup_wave
from service.analytics.widgets.tokens import store_token
from service.audit import Actor
from service.auth import create_key
from service.orgs import create_org
from service.surveys.directory.models import PersonIn, TeamIn
from service.surveys.directory.people import create_person
from service.surveys.directory.teams import create_team
from service.surveys.pulses.bank import install_builtin_items
from service.surveys.respond import submit
from service.surveys.waves import close_wave, open_wave
from tests.factories import (
    TEST_SECRET,
    Org,
    item_keys_of,
    make_org,
    make_people,
    make_pulse,
    make_team_tree,
    tokens_by_team,
    tokens_of,
)
from tests.servers import open_pool

# ---- one open wave ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenWave:
    org_id: UUID
    wave_id: UUID
    pulse_id: UUID
    teams: dict[str, UUID]  # "Engineering", "Platform" (and "Engineering/Platform")
    team_id: UUID  # Platform, where the people are
    people: list[UUID]  # in creation order
    tokens: list[str]  # one per invitation, in invitation-id order
    item_keys: list[str]


async def open_test_wave(
    pool: asyncpg.Pool,
    org_id: UUID,
    *,
    people: int = 6,
    locale: str = "en",
    **pulse: Any,
) -> OpenWave:
    """A team "Platform" under "Engineering" with `people` members, a pulse over Engineering
    (k 3 unless given; any other pulse column by keyword) and its first wave, open."""
    teams = await make_team_tree(pool, org_id, {"Engineering": {"Platform": {}}})
    members = await make_people(pool, org_id, teams["Platform"], people, locale=locale)
    pulse.setdefault("k", 3)
    pulse_id = await make_pulse(pool, org_id, [teams["Engineering"]], **pulse)
    async with pool.acquire() as conn:
        wave_id = await open_wave(conn, org_id, pulse_id, secret=TEST_SECRET)
    return OpenWave(
        org_id,
        wave_id,
        pulse_id,
        teams,
        teams["Platform"],
        members,
        await tokens_of(pool, wave_id),
        await item_keys_of(pool, wave_id),
    )


async def close_test_wave(pool: asyncpg.Pool, org_id: UUID, wave_id: UUID) -> bool:
    """Close a wave as the app does (ballot box emptied, rolled up); False if it was not open."""
    async with pool.acquire() as conn:
        return await close_wave(conn, org_id, wave_id, after_close=rollup_wave)


# ---- answered history (analytics) ------------------------------------------------------------


async def make_world(
    pool: asyncpg.Pool,
    org_id: UUID,
    spec: Mapping[str, object],
    sizes: Mapping[str, int],
    **pulse: object,
) -> tuple[dict[str, UUID], UUID]:
    """Teams from `spec`, `sizes[name]` people in each, one pulse over the roots."""
    teams = await make_team_tree(pool, org_id, spec)  # type: ignore[arg-type]
    for name, n in sizes.items():
        if n:
            await make_people(pool, org_id, teams[name], n)
    roots = [teams[name] for name in spec]
    pulse_id = await make_pulse(pool, org_id, roots, **pulse)
    return teams, pulse_id


async def answered_wave(
    pool: asyncpg.Pool,
    org_id: UUID,
    pulse_id: UUID,
    scores: Mapping[UUID, Sequence[int]],
    *,
    comments: Mapping[UUID, Sequence[str]] | None = None,
    opens_at: datetime | None = None,
    close: bool = True,
) -> UUID:
    """Open a wave; in each team, one ballot per score (every item answered so that its
    reverse-keyed value is that score); mark as many invitations responded; close it."""
    async with pool.acquire() as conn:
        wave_id = await open_wave(conn, org_id, pulse_id, opens_at=opens_at, secret=TEST_SECRET)
        items = await conn.fetch(
            """
            SELECT i.key, i.reverse, i.scale_min, i.scale_max
            FROM waves w JOIN items i ON i.org_id = w.org_id AND i.key = ANY (w.item_keys)
            WHERE w.org_id = $1 AND w.id = $2
            """,
            org_id,
            wave_id,
        )
        for team_id, values in scores.items():
            texts = list((comments or {}).get(team_id, ()))
            for i, v in enumerate(values):
                answers = {
                    it["key"]: (it["scale_min"] + it["scale_max"] - v) if it["reverse"] else v
                    for it in items
                }
                await conn.execute(
                    "INSERT INTO ballots (org_id, wave_id, team_id, answers, comment)"
                    " VALUES ($1, $2, $3, $4, $5)",
                    org_id,
                    wave_id,
                    team_id,
                    answers,
                    texts[i] if i < len(texts) else None,
                )
            await conn.execute(
                """
                UPDATE invitations SET responded = true WHERE id IN (
                    SELECT id FROM invitations WHERE org_id = $1 AND wave_id = $2 AND team_id = $3
                    ORDER BY id LIMIT $4)
                """,
                org_id,
                wave_id,
                team_id,
                len(values),
            )
        if close:
            await close_wave(conn, org_id, wave_id, after_close=rollup_wave)
    return wave_id


# ---- the console's demo org ------------------------------------------------------------------


@dataclass(frozen=True)
class ConsoleWorld:
    org: Org
    teams: dict[str, UUID]
    leader: UUID  # leads Product (Platform, Mobile, Data, Design below it)
    admin: UUID


async def console_world(pool: asyncpg.Pool, name: str = "Demo Co") -> ConsoleWorld:
    """The demo history (real open_wave / close_wave, real rollups) in a fresh org, with the
    demo's console roles: sign them in with `factories.signed_in()`."""
    from service.demo import seed_console_roles, seed_history

    org = await make_org(pool, name)
    async with pool.acquire() as conn:
        await seed_history(conn, org.id, TEST_SECRET)
        roles = await seed_console_roles(conn, org.id)
    rows = await pool.fetch("SELECT name, id FROM teams WHERE org_id = $1", org.id)
    return ConsoleWorld(
        org, {r["name"]: r["id"] for r in rows}, roles["leader_id"], roles["admin_id"]
    )


# ---- widgets: a small published history ------------------------------------------------------
# Waves are written as the close of a wave leaves them (closed, responses in place, on fixed past
# dates) and then `rollup_wave()` computes the rollups and the guard's decisions exactly as at a
# real close; widgets read them only through `analytics.trends.team_trend()`.

CORE = {
    "psychological_safety": "ps.risk",
    "speaking_up": "su.disagree",
    "trust": "tr.reliable",
    "learning": "le.look_back",
}
# Per wave, the answers of the big team's twelve respondents (1-7 scale) to the core item of
# psychological safety; the other dimensions' core items get these shifted by OFFSETS.
BIG_TEAM_WAVES = [
    [3, 4, 4, 4, 5, 5, 5, 5, 4, 3, 4, 5],
    [4, 5, 5, 5, 6, 6, 6, 6, 5, 4, 5, 6],
    [5, 6, 6, 6, 7, 7, 7, 7, 6, 5, 6, 6],
]
OFFSETS = {"psychological_safety": 0, "speaking_up": -1, "trust": 1, "learning": -2}
SMALL_TEAM_ANSWERS = [6, 7, 5]  # three respondents: below k = 5


def score100(values: list[int]) -> float:
    """The 0-100 dimension score of respondents answering one item each (scale 1-7)."""
    return sum((v - 1) / 6 * 100 for v in values) / len(values)


@dataclass(frozen=True)
class WidgetWorld:
    org_id: UUID
    big: UUID  # "Platform": 12 respondents in each of 3 closed waves
    small: UUID  # "Apps": 3 respondents in its one closed wave (suppressed)
    quiet: UUID  # "Design": only an open wave, nothing published yet
    waves: list[UUID]
    close_days: list[datetime]


async def close_wave_with(
    pool: asyncpg.Pool,
    org_id: UUID,
    pulse_id: UUID,
    seq: int,
    team_id: UUID,
    answers: list[dict[str, int]],
    *,
    closes_at: datetime,
    invited: int,
    state: str = "closed",
) -> UUID:
    """Write one wave over one team as its close leaves it, then roll it up for real."""
    keys = sorted({k for a in answers for k in a}) or list(CORE.values())
    async with pool.acquire() as conn, conn.transaction():
        wave_id: UUID = await conn.fetchval(
            """
            INSERT INTO waves (org_id, pulse_id, seq, item_keys, k, comment_k, opens_at,
                               closes_at, state, closed_at)
            VALUES ($1, $2, $3, $4, 5, 10, $5, $6, $7, $8) RETURNING id
            """,
            org_id,
            pulse_id,
            seq,
            keys,
            closes_at - timedelta(days=6),
            closes_at,
            state,
            closes_at if state == "closed" else None,
        )
        await conn.execute(
            """
            INSERT INTO wave_teams (org_id, wave_id, team_id, parent_id, name, invited)
            SELECT $1, $2, id, NULL, name, $4 FROM teams WHERE org_id = $1 AND id = $3
            """,
            org_id,
            wave_id,
            team_id,
            invited,
        )
        if state == "closed":
            await conn.executemany(
                "INSERT INTO responses (org_id, wave_id, team_id, answers) VALUES ($1, $2, $3, $4)",
                [(org_id, wave_id, team_id, a) for a in answers],
            )
            await rollup_wave(conn, org_id, wave_id)
    return wave_id


async def close_tree_wave(
    pool: asyncpg.Pool,
    org_id: UUID,
    pulse_id: UUID,
    answers_by_team: dict[UUID, list[dict[str, int]]],
    *,
    closes_at: datetime,
) -> UUID:
    """One closed wave over several teams of a tree (parents as in `teams`), rolled up."""
    async with pool.acquire() as conn, conn.transaction():
        wave_id: UUID = await conn.fetchval(
            """
            INSERT INTO waves (org_id, pulse_id, seq, item_keys, k, comment_k, opens_at,
                               closes_at, state, closed_at)
            VALUES ($1, $2, 1, $3, 5, 10, $4, $5, 'closed', $5) RETURNING id
            """,
            org_id,
            pulse_id,
            list(CORE.values()),
            closes_at - timedelta(days=6),
            closes_at,
        )
        await conn.execute(
            """
            INSERT INTO wave_teams (org_id, wave_id, team_id, parent_id, name, invited)
            SELECT $1, $2, t.id,
                   CASE WHEN t.parent_id = ANY ($3::uuid[]) THEN t.parent_id END, t.name, 8
            FROM teams t WHERE t.org_id = $1 AND t.id = ANY ($3::uuid[])
            """,
            org_id,
            wave_id,
            list(answers_by_team),
        )
        await conn.executemany(
            "INSERT INTO responses (org_id, wave_id, team_id, answers) VALUES ($1, $2, $3, $4)",
            [(org_id, wave_id, t, a) for t, answers in answers_by_team.items() for a in answers],
        )
        await rollup_wave(conn, org_id, wave_id)
    return wave_id


def answers_for(dimension: str, values: list[int]) -> list[int]:
    """What the respondents answered to `dimension`'s core item in one wave."""
    return [min(7, max(1, v + OFFSETS[dimension])) for v in values]


def _all_core(values: list[int]) -> list[dict[str, int]]:
    return [{CORE[d]: answers_for(d, values)[i] for d in CORE} for i in range(len(values))]


async def build_widget_world(pool: asyncpg.Pool, org_id: UUID) -> WidgetWorld:
    """Platform (12 answers in each of 3 closed waves), Apps (3: suppressed), Design (open)."""
    teams = await make_team_tree(pool, org_id, ["Platform", "Apps", "Design"])
    pulse_id = await make_pulse(pool, org_id, [teams["Platform"], teams["Apps"], teams["Design"]])
    start = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)
    waves: list[UUID] = []
    days: list[datetime] = []
    for i, values in enumerate(BIG_TEAM_WAVES):
        when = start + timedelta(weeks=2 * i)
        waves.append(
            await close_wave_with(
                pool,
                org_id,
                pulse_id,
                i + 1,
                teams["Platform"],
                _all_core(values),
                closes_at=when,
                invited=14,
            )
        )
        days.append(when)
    await close_wave_with(
        pool,
        org_id,
        pulse_id,
        10,
        teams["Apps"],
        _all_core(SMALL_TEAM_ANSWERS),
        closes_at=start,
        invited=4,
    )
    await close_wave_with(
        pool,
        org_id,
        pulse_id,
        20,
        teams["Design"],
        [],
        closes_at=datetime.now(UTC) + timedelta(days=3),
        invited=6,
        state="open",
    )
    return WidgetWorld(org_id, teams["Platform"], teams["Apps"], teams["Design"], waves, days)


# ---- the fuzz world: two orgs, one of them the victim ------------------------------------------

# Built through the service's own functions (org creation, teams, people, real submissions
# through `submit`, `open_wave` / `close_wave` with their rollups, API keys, widget tokens): an org
# "Acme" with a team tree, a closed wave with enough answers to publish something and a small team
# that stays suppressed, an open wave, a leader key on a subtree, widget tokens (valid, for another
# team, revoked, expired) and a revoked key; and a victim org "Globex" whose names, emails and ids
# must never show up in anything Acme's credentials can read.

FUZZ_SECRET = "fuzz-secret-key-" + "f" * 32


@dataclass
class OrgWorld:
    """One org as its admin knows it; `names` are strings that identify its people and teams."""

    id: UUID
    name: str
    admin_key: str
    admin_key_id: UUID
    teams: dict[str, UUID]
    people: list[UUID]
    pulse_id: UUID
    closed_wave: UUID
    open_wave: UUID
    widget_token: str
    widget_token_id: UUID
    names: list[str] = field(default_factory=list)

    def ids(self) -> list[str]:
        return [
            str(self.id),
            str(self.admin_key_id),
            *(str(t) for t in self.teams.values()),
            *(str(p) for p in self.people),
            str(self.pulse_id),
            str(self.closed_wave),
            str(self.open_wave),
            str(self.widget_token_id),
        ]


@dataclass
class FuzzWorld:
    acme: OrgWorld
    globex: OrgWorld
    leader_key: str  # Acme leader scoped to Engineering (Platform, Apps, Tiny below it)
    leader_scope: list[UUID]
    sales_leader_key: str  # Acme leader scoped to Sales only: Engineering is out of scope
    sales_pulse: (
        UUID  # Acme's second pulse, over Sales only (out of the Engineering leader's scope)
    )
    sales_wave: UUID  # its closed wave
    sales_people: list[UUID]
    revoked_key: str  # an Acme admin key, revoked
    spare_key_id: UUID  # an Acme key the fuzzer may revoke without locking itself out
    other_team_widget: str  # an Acme widget token for Sales, not for Platform
    revoked_widget: str
    expired_widget: str
    respond_tokens: list[str]  # unused invitations of Acme's open wave
    open_item_keys: list[str]
    emails: list[str]  # every person's email in both orgs (never for a leader's eyes)


async def _teams(conn: asyncpg.Connection, org_id: UUID, spec: dict[str, Any]) -> dict[str, UUID]:
    ids: dict[str, UUID] = {}

    async def build(level: dict[str, Any], parent: UUID | None) -> None:
        for name, sub in level.items():
            team = await create_team(
                conn, org_id, TeamIn(name=name, parent_id=parent), actor=Actor.cli(org_id)
            )
            ids[name] = team.id
            await build(sub, team.id)

    await build(spec, None)
    return ids


async def _people(
    conn: asyncpg.Connection, org_id: UUID, team_id: UUID, n: int, who: str, domain: str
) -> tuple[list[UUID], list[str], list[str]]:
    ids: list[UUID] = []
    emails: list[str] = []
    names: list[str] = []
    for i in range(n):
        email = f"{who.lower()}.{i}.{secrets.token_hex(3)}@{domain}"
        name = f"{who} Person{i}"
        person = await create_person(
            conn,
            org_id,
            PersonIn(email=email, display_name=name, team_id=team_id),
            actor=Actor.cli(org_id),
        )
        ids.append(person.id)
        emails.append(email)
        names.append(name)
    return ids, emails, names


async def _answer(
    conn: asyncpg.Connection,
    tokens: list[str],
    keys: list[str],
    *,
    base: int,
    comment: str | None = None,
) -> None:
    """Submit through the real single-statement submit, one ballot per token."""
    for i, token in enumerate(tokens):
        answers = {k: 1 + (base + i + j) % 7 for j, k in enumerate(keys)}
        outcome = await submit(conn, token, answers, comment and f"{comment} {i}")
        assert outcome.status == "stored", f"a seeded submission was refused: {outcome}"


async def _closed_wave(
    conn: asyncpg.Connection,
    org_id: UUID,
    pulse_id: UUID,
    teams: dict[str, UUID],
    sizes: dict[str, tuple[int, int]],
    who: str,
    secret: str,
) -> UUID:
    """Open a wave a day ago, submit `sizes[team][1]` real answers per team, close it."""
    wave = await open_wave(
        conn, org_id, pulse_id, opens_at=datetime.now(UTC) - timedelta(days=1), secret=secret
    )
    tokens = await tokens_by_team(conn, wave, secret)
    keys = await item_keys_of(conn, wave)
    for team, (_, respondents) in sizes.items():
        if teams[team] in tokens:
            comment = f"{who} comment" if respondents >= 10 else None
            await _answer(conn, tokens[teams[team]][:respondents], keys, base=3, comment=comment)
    assert await close_wave(conn, org_id, wave, after_close=rollup_wave)
    return wave


async def _org(
    pool: asyncpg.Pool,
    name: str,
    spec: dict[str, Any],
    sizes: dict[str, tuple[int, int]],
    who: str,
    domain: str,
    widget_team: str,
    secret: str,
    pulse_roots: list[str],
) -> tuple[OrgWorld, list[str], dict[UUID, list[str]], list[str]]:
    """An org with teams, people, a closed wave (`sizes[team] = (members, respondents)`) and an
    open one; returns the world, the emails, the open wave's tokens and its item keys."""
    async with pool.acquire() as conn, conn.transaction():
        org_id, admin_key = await create_org(conn, name, setup=[install_builtin_items])
        teams = await _teams(conn, org_id, spec)
        people: list[UUID] = []
        emails: list[str] = []
        names = [name, *teams]
        for team, (members, _) in sizes.items():
            ids, mails, display = await _people(conn, org_id, teams[team], members, who, domain)
            people += ids
            emails += mails
            names += display
    roots = [teams[t] for t in pulse_roots]
    pulse_id = await make_pulse(pool, org_id, roots, k=5, comment_k=10)
    async with pool.acquire() as conn:
        closed = await _closed_wave(conn, org_id, pulse_id, teams, sizes, who, secret)
        current = await open_wave(conn, org_id, pulse_id, secret=secret)
        open_tokens = await tokens_by_team(conn, current, secret)
        open_keys = await item_keys_of(conn, current)
        key_id = await conn.fetchval("SELECT id FROM api_keys WHERE org_id = $1", org_id)
        token_id, _, widget = await store_token(
            conn,
            org_id,
            team_id=teams[widget_team],
            subtree=True,
            allowed_origins=["https://wiki.example.com"],
            label=f"{name} wiki",
            expires_at=datetime.now(UTC) + timedelta(days=30),
        )
    world = OrgWorld(
        id=org_id,
        name=name,
        admin_key=admin_key,
        admin_key_id=key_id,
        teams=teams,
        people=people,
        pulse_id=pulse_id,
        closed_wave=closed,
        open_wave=current,
        widget_token=widget,
        widget_token_id=token_id,
        names=names,
    )
    return world, emails, open_tokens, open_keys


ENG, PLATFORM, APPS, TINY, SALES = (
    "Zephyr Engineering",
    "Quasar Platform",
    "Nimbus Apps",
    "Pico Tiny",
    "Saffron Sales",
)
VAULT, NIGHT = "Globex Obsidian Vault", "Globex Umbra Night Shift"
GLOBEX_ITEM = "globex.secret_sauce"


async def seed_fuzz_world(dsn: str, secret: str = FUZZ_SECRET) -> FuzzWorld:
    """Seed both orgs on the database at `dsn` (which must be empty and migrated); `secret` is
    the SECRET_KEY of the app that will serve it (respondent tokens derive from it)."""

    pool = await open_pool(dsn, max_size=4)
    try:
        acme, acme_emails, open_tokens, open_keys = await _org(
            pool,
            "Acme",
            {ENG: {PLATFORM: {}, APPS: {}, TINY: {}}, SALES: {}},
            # Platform publishes (and shows comments), Tiny (3) stays suppressed.
            {PLATFORM: (12, 11), APPS: (7, 6), TINY: (3, 3), SALES: (6, 5)},
            "Alice",
            "acme.test",
            PLATFORM,
            secret,
            [ENG],
        )
        globex, globex_emails, _, _ = await _org(
            pool,
            "Globex Victim Corp",
            {VAULT: {NIGHT: {}}},
            {NIGHT: (11, 10)},
            "Victor",
            "globex.test",
            NIGHT,
            secret,
            [VAULT],
        )
        sales_people = list(
            await pool.fetchval(
                "SELECT array_agg(id) FROM people WHERE org_id = $1 AND team_id = $2",
                acme.id,
                acme.teams[SALES],
            )
        )
        sales_pulse = await make_pulse(pool, acme.id, [acme.teams[SALES]], k=5, name="Sales pulse")
        async with pool.acquire() as conn:
            sales_wave = await _closed_wave(
                conn, acme.id, sales_pulse, acme.teams, {SALES: (6, 5)}, "Alice", secret
            )
            await conn.execute(
                """INSERT INTO items (org_id, key, dimension, scale_min, scale_max, reverse,
                                      texts, instrument, source)
                   SELECT $1, $2, dimension, scale_min, scale_max, reverse, texts,
                          'Globex private scale', 'org'
                   FROM items WHERE org_id = $1 AND key = 'ps.risk'""",
                globex.id,
                GLOBEX_ITEM,
            )
            globex.names.append(GLOBEX_ITEM)
            _, leader = await create_key(conn, acme.id, "eng lead", "leader", [acme.teams[ENG]])
            _, sales_leader = await create_key(
                conn, acme.id, "sales lead", "leader", [acme.teams[SALES]]
            )
            revoked_id, revoked = await create_key(conn, acme.id, "old", "admin")
            await conn.execute("UPDATE api_keys SET revoked_at = now() WHERE id = $1", revoked_id)
            spare_id, _ = await create_key(conn, acme.id, "spare", "leader", [acme.teams[APPS]])
            later = datetime.now(UTC) + timedelta(days=30)
            _, _, other_team = await store_token(
                conn,
                acme.id,
                team_id=acme.teams[SALES],
                subtree=False,
                allowed_origins=[],
                label="sales wiki",
                expires_at=later,
            )
            revoked_w_id, _, revoked_w = await store_token(
                conn,
                acme.id,
                team_id=acme.teams[PLATFORM],
                subtree=True,
                allowed_origins=[],
                label="gone",
                expires_at=later,
            )
            await conn.execute(
                "UPDATE widget_tokens SET revoked_at = now() WHERE id = $1", revoked_w_id
            )
            expired_w_id, _, expired_w = await store_token(
                conn,
                acme.id,
                team_id=acme.teams[PLATFORM],
                subtree=True,
                allowed_origins=[],
                label="old",
                expires_at=later,
            )
            await conn.execute(
                "UPDATE widget_tokens SET expires_at = now() - interval '1 day' WHERE id = $1",
                expired_w_id,
            )
    finally:
        await pool.close()
    return FuzzWorld(
        acme=acme,
        globex=globex,
        leader_key=leader,
        leader_scope=[acme.teams[ENG]],
        sales_leader_key=sales_leader,
        sales_pulse=sales_pulse,
        sales_wave=sales_wave,
        sales_people=sales_people,
        revoked_key=revoked,
        spare_key_id=spare_id,
        other_team_widget=other_team,
        revoked_widget=revoked_w,
        expired_widget=expired_w,
        respond_tokens=[t for ts in open_tokens.values() for t in ts],
        open_item_keys=open_keys,
        emails=acme_emails + globex_emails,
    )


def fuzz_server_env(dsn: str, redis_url: str, data_dir: Path) -> dict[str, str]:
    """The environment of the app that serves a fuzz world (give it to servers.serve_app)."""
    return {
        "CANDOR_ENV": "test",
        "DATABASE_URL": dsn,
        "REDIS_URL": redis_url,
        "SECRET_KEY": FUZZ_SECRET,
        "PUBLIC_BASE_URL": "http://fuzz.example.test",
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "json",
        "CANDOR_DATA_DIR": str(data_dir),
        "ARQ_QUEUE": f"candor-fuzz:{secrets.token_hex(4)}",
        # Limits are their own test's business; here they would turn the fuzzer's findings into
        # a wall of 429s after the first twenty bad keys.
        "RATE_LIMIT": "off",
        "DB_POOL_MIN": "1",
        "DB_POOL_MAX": "8",
    }
