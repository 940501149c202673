"""A realistic two-org world for the fuzzer and the isolation matrix, and the app served for real.

`seed_world()` builds, through the service's own functions (org creation, teams, people, real
submissions through `submit`, `open_wave` / `close_wave` with their rollups, API keys,
widget tokens), an org "Acme" with a team tree, a closed wave with enough answers to publish
something and a small team that stays suppressed, an open wave, a leader key on a subtree, widget
tokens (valid, for another team, revoked, expired) and a revoked key; and a victim org "Globex"
whose names, emails and ids must never show up in anything Acme's credentials can read.

`scratch_database()` makes a database of its own on a server, and `serve_app()` runs the app
under granian with production flags (service/serve.py) on it, logging to a file that a failing
check can quote.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import asyncpg

from service.analytics.rollup import rollup_wave
from service.audit import Actor
from service.auth import create_key
from service.embedded import free_port
from service.migrate import migrate
from service.orgs import create_org
from service.serve import granian_argv
from service.surveys.directory.models import PersonIn, TeamIn
from service.surveys.directory.people import create_person
from service.surveys.directory.teams import create_team
from service.surveys.pulses.bank import install_builtin_items
from service.surveys.respond import submit, token_for
from service.surveys.waves import close_wave, open_wave
from tests.factories import make_pulse

ROOT = Path(__file__).resolve().parent.parent
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
class World:
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


def _with_db(dsn: str, name: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path="/" + name))


@contextlib.asynccontextmanager
async def scratch_database(server_dsn: str, prefix: str = "candor_fuzz") -> AsyncIterator[str]:
    """A fresh, migrated database on `server_dsn`, dropped afterwards."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        dsn = _with_db(server_dsn, name)
        conn = await asyncpg.connect(dsn)
        try:
            await migrate(conn)
        finally:
            await conn.close()
        yield dsn
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _pool(dsn: str) -> asyncpg.Pool:
    from service.db import _init_connection

    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4, init=_init_connection)
    assert pool is not None
    return pool


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


async def _wave_tokens(
    conn: asyncpg.Connection, wave_id: UUID, secret: str
) -> dict[UUID, list[str]]:
    rows = await conn.fetch(
        "SELECT id, team_id FROM invitations WHERE wave_id = $1 ORDER BY id", wave_id
    )
    out: dict[UUID, list[str]] = {}
    for r in rows:
        out.setdefault(r["team_id"], []).append(token_for(secret, r["id"]))
    return out


async def _item_keys(conn: asyncpg.Connection, wave_id: UUID) -> list[str]:
    return list(await conn.fetchval("SELECT item_keys FROM waves WHERE id = $1", wave_id))


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
    tokens = await _wave_tokens(conn, wave, secret)
    keys = await _item_keys(conn, wave)
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
        open_tokens = await _wave_tokens(conn, current, secret)
        open_keys = await _item_keys(conn, current)
        key_id = await conn.fetchval("SELECT id FROM api_keys WHERE org_id = $1", org_id)
        from service.analytics.widgets.tokens import store_token

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


async def seed_world(dsn: str, secret: str = FUZZ_SECRET) -> World:
    """Seed both orgs on the database at `dsn` (which must be empty and migrated); `secret` is
    the SECRET_KEY of the app that will serve it (respondent tokens derive from it)."""
    from service.analytics.widgets.tokens import store_token

    pool = await _pool(dsn)
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
    return World(
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


@dataclass(frozen=True)
class Server:
    base_url: str
    log_path: Path

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def server_env(dsn: str, redis_url: str, data_dir: Path) -> dict[str, str]:
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


@contextlib.contextmanager
def serve_app(env: dict[str, str], log_path: Path) -> Iterator[Server]:
    """The real app under granian, with production flags, until the block ends."""
    port = free_port()
    argv = granian_argv("127.0.0.1", port, 1)
    clean = {k: v for k, v in os.environ.items() if k not in ("SMTP_URL", "DATABASE_URL")}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            argv, env={**clean, **env}, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        server = Server(base, log_path)
        try:
            deadline = time.monotonic() + 30
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"the app exited during start-up:\n{server.log_tail()}")
                with contextlib.suppress(OSError):
                    with urllib.request.urlopen(base + "/ready", timeout=1) as r:
                        if r.status == 200:
                            break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the app did not become ready:\n{server.log_tail()}")
                time.sleep(0.1)
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
