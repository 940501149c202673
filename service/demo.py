"""The demo org that `candor dev` seeds once, so a new user sees real output at once.

Besides the org and its admin key, the demo gets about four months of fortnightly waves, opened
and closed through the real `open_wave` / `close_wave` (so the rollups and the anonymity guard
run exactly as in production), with answers dropped in the ballot box as submissions leave
them. The story: Platform improves, Mobile declines, Data holds steady, Design (3 people) is
too small to report on its own and is reported together with Data as "Data & Design" (the
admin's "report with" choice, which is also the plan's default), Sales is a second subtree.
Seeding is idempotent: the history is written only when the demo org has no waves yet.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from . import queries
from .analytics.rollup import rollup_wave
from .orgs import create_org
from .settings import Settings
from .surveys.pulses.bank import builtin_items, install_builtin_items
from .surveys.waves import close_wave, open_wave

DEMO_ORG = "Demo Co"
# Who signs in to the leaders' console in the demo: Product's lead, and an admin.
DEMO_LEADER = ("lead@demo.example", "Pat Lead", "Product")
DEMO_ADMIN = ("admin@demo.example", "Alex Admin")
WAVES = 8
FORTNIGHT = timedelta(days=14)

# team -> (parent, people, first wave's mean, last wave's mean) on the 1-7 agree scale
DEMO_TEAMS: dict[str, tuple[str | None, int, float, float]] = {
    "Product": (None, 0, 0, 0),
    "Platform": ("Product", 11, 3.7, 5.9),
    "Mobile": ("Product", 12, 5.7, 3.8),
    "Data": ("Product", 7, 5.0, 5.1),
    "Design": ("Product", 3, 4.5, 4.6),
    "Sales": (None, 0, 0, 0),
    "Field sales": ("Sales", 9, 4.6, 5.0),
    "Inside sales": ("Sales", 7, 5.2, 5.0),
}

DEMO_COMMENTS = (
    "Retros feel more useful since we started picking one thing to change.",
    "Hard to raise problems when deadlines are this tight.",
    "I would like more context on why priorities change.",
    "Pairing sessions made it easier to ask questions.",
    "Meetings run over and the quiet voices get lost.",
    "Good to see follow-up on last month's feedback.",
    "Not sure anyone reads these, but here goes: more focus time please.",
    "The new on-call rota takes a lot of stress away.",
)


async def seed_demo(conn: asyncpg.Connection, folder: Path, settings: Settings) -> dict[str, Any]:
    """Create the demo org on first run; return its name and admin key (kept in the data folder)."""
    key_file = folder / "demo_admin_key"
    org_id = await conn.fetchval(queries.ORG_BY_NAME, DEMO_ORG)
    if org_id is None or not key_file.exists():
        async with conn.transaction():
            if org_id is not None:
                await conn.execute(queries.DELETE_ORG, org_id)
            org_id, key = await create_org(conn, DEMO_ORG, setup=[install_builtin_items])
        key_file.write_text(key)
        key_file.chmod(0o600)
    if not await conn.fetchval(queries.ORG_HAS_WAVES, org_id):
        await seed_history(conn, org_id, settings.secret_key)
    roles = await seed_console_roles(conn, org_id)
    pulse_id = await conn.fetchval(queries.DEMO_PULSE_ID, org_id)
    return {
        "org_id": str(org_id),
        "org_name": DEMO_ORG,
        "admin_key": key_file.read_text().strip(),
        "pulse_id": str(pulse_id),
        **roles,
    }


async def seed_console_roles(conn: asyncpg.Connection, org_id: UUID) -> dict[str, Any]:
    """The demo leader (of Product) and the demo admin; idempotent."""
    email, name, team = DEMO_LEADER
    leader = await conn.fetchval(queries.DEMO_ROLE_PERSON, org_id, email, name, False)
    await conn.execute(queries.DEMO_LEADS, org_id, team, leader)
    admin = await conn.fetchval(
        queries.DEMO_ROLE_PERSON, org_id, DEMO_ADMIN[0], DEMO_ADMIN[1], True
    )
    return {
        "leader_email": email,
        "leader_id": leader,
        "admin_email": DEMO_ADMIN[0],
        "admin_id": admin,
    }


async def seed_history(
    conn: asyncpg.Connection, org_id: UUID, secret: str, *, now: datetime | None = None
) -> UUID:
    """Teams, people, a pulse and WAVES closed waves; returns the pulse id. One transaction."""
    rng = random.Random(20260101)
    now = now or datetime.now(UTC)
    first = now - FORTNIGHT * WAVES
    async with conn.transaction():
        ids: dict[str, UUID] = {}
        for name, (parent, size, _, _) in DEMO_TEAMS.items():
            ids[name] = await conn.fetchval(
                queries.DEMO_TEAM,
                org_id,
                ids[parent] if parent else None,
                name,
            )
            slug = name.lower().replace(" ", "-")
            await conn.executemany(
                queries.DEMO_PERSON,
                [
                    (org_id, f"{slug}-{i + 1}@demo.example", f"{name} member {i + 1}", ids[name])
                    for i in range(size)
                ],
            )
        await conn.execute(queries.DEMO_REPORT_WITH, org_id, ids["Design"], ids["Data"])
        core = [i.key for i in builtin_items() if i.core]
        rotating = [i.key for i in builtin_items() if not i.core]
        pulse_id: UUID = await conn.fetchval(
            queries.DEMO_PULSE,
            org_id,
            [ids["Product"], ids["Sales"]],
            core,
            rotating,
            min(7, len(core) + 2),
            first,
            now + FORTNIGHT,  # the next wave is due in the future: no surprise mail at start
        )
        for w in range(WAVES):
            await _demo_wave(conn, org_id, pulse_id, ids, w, first + FORTNIGHT * w, secret, rng)
    return pulse_id


async def _demo_wave(
    conn: asyncpg.Connection,
    org_id: UUID,
    pulse_id: UUID,
    ids: dict[str, UUID],
    w: int,
    opens_at: datetime,
    secret: str,
    rng: random.Random,
) -> None:
    wave_id = await open_wave(conn, org_id, pulse_id, opens_at=opens_at, secret=secret)
    items = await conn.fetch(
        queries.DEMO_WAVE_ITEMS,
        org_id,
        wave_id,
    )
    progress = w / (WAVES - 1)
    for name, (_, size, start, end) in DEMO_TEAMS.items():
        if not size:
            continue
        mean = start + (end - start) * progress
        answering = max(1, min(size, round(size * rng.uniform(0.7, 0.95))))
        for _ in range(answering):
            person = mean + rng.gauss(0, 0.6)
            answers = {}
            for it in items:
                v = min(it["scale_max"], max(it["scale_min"], round(person + rng.gauss(0, 0.7))))
                answers[it["key"]] = it["scale_min"] + it["scale_max"] - v if it["reverse"] else v
            comment = rng.choice(DEMO_COMMENTS) if rng.random() < 0.5 else None
            await conn.execute(
                queries.DEMO_BALLOT,
                org_id,
                wave_id,
                ids[name],
                answers,
                comment,
            )
        await conn.execute(
            queries.DEMO_MARK_RESPONDED,
            org_id,
            wave_id,
            ids[name],
            answering,
        )
    await conn.execute(
        queries.DEMO_SKIP_MAIL,
        org_id,
        wave_id,
    )
    await close_wave(conn, org_id, wave_id, after_close=rollup_wave)


async def send_demo_signin_links(
    conn: asyncpg.Connection, secret_key: str, redis_url: str, queue: str
) -> None:
    """Sign-in links for the demo leader and admin, mailed at once (they land in the dev outbox).

    `secret_key` must be the SECRET_KEY of the worker that writes the mail: the link's token is
    derived from it there.
    """
    from .app import redis_client
    from .console.sending import kick
    from .console.signin import request_links

    queued = []
    for email in (DEMO_LEADER[0], DEMO_ADMIN[0]):
        queued += await request_links(conn, secret_key, email, None, datetime.now(UTC))
    redis = redis_client(redis_url, queue)
    try:
        for org_id, mail_id in queued:
            await kick(redis, org_id, mail_id)
    finally:
        await redis.aclose()
