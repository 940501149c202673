"""Shared async test factories: a team tree, people in a team, a pulse over some teams.

Other test modules build their worlds with these; the signatures stay stable:

    teams = await make_team_tree(pool, org.id, {"Engineering": {"Platform": {}, "Apps": {}}})
    people = await make_people(pool, org.id, teams["Platform"], 7, locale="nl")
    pulse_id = await make_pulse(pool, org.id, [teams["Engineering"]], k=3)
    leader = await make_leader_headers(pool, org.id, [teams["Engineering"]])  # request headers

Everything is written with plain SQL (no HTTP), so a factory never depends on a route under test.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from service.surveys.pulses.bank import builtin_items

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
