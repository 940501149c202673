"""Synthetic orgs for the scale benchmarks, loaded fast: COPY and server-side generate_series.

A row-by-row load of millions of responses takes hours; everything here is either one binary
COPY (`copy_records_to_table`) or one `INSERT ... SELECT` over `generate_series` per table, so
the database does the work without a round trip per row.

The team tree has the shape of a real org: root -> divisions -> departments -> teams, with
`per_department` teams under each department (49 by default, so a department's subtree is
50 teams: the size a leader typically sees in a heatmap).
"""

from __future__ import annotations

import random
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.auth import create_key
from service.surveys.pulses.bank import builtin_items, install_builtin_items


@dataclass
class Tree:
    ids: list[UUID]
    parent: dict[UUID, UUID | None]
    names: dict[UUID, str]
    departments: list[UUID]
    leaves: list[UUID]
    children: dict[UUID, list[UUID]] = field(default_factory=dict)

    def subtree(self, root: UUID) -> list[UUID]:
        out, stack = [], [root]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(self.children.get(node, ()))
        return out


def team_tree(n_teams: int, per_department: int = 49, per_division: int = 10) -> Tree:
    """About n_teams teams (at least 4); parents come before children (COPY needs that)."""
    n_departments = max(1, round((n_teams - 1) / (per_department + 1 + 1 / per_division)))
    n_divisions = max(1, -(-n_departments // per_division))
    root = uuid.uuid4()
    parent: dict[UUID, UUID | None] = {root: None}
    names = {root: "Company"}
    divisions = [uuid.uuid4() for _ in range(n_divisions)]
    for i, d in enumerate(divisions):
        parent[d], names[d] = root, f"Division {i}"
    departments = [uuid.uuid4() for _ in range(n_departments)]
    for i, d in enumerate(departments):
        parent[d], names[d] = divisions[i % n_divisions], f"Department {i}"
    leaves: list[UUID] = []
    i = 0
    while len(parent) < n_teams:
        t = uuid.uuid4()
        parent[t], names[t] = departments[i % n_departments], f"Team {i}"
        leaves.append(t)
        i += 1
    children: dict[UUID, list[UUID]] = {}
    for t, p in parent.items():
        if p is not None:
            children.setdefault(p, []).append(t)
    return Tree(list(parent), parent, names, departments, leaves, children)


async def new_org(conn: asyncpg.Connection, name: str, tree: Tree) -> tuple[UUID, str]:
    """Org, built-in items, an admin key and the teams (one COPY); returns (org id, key)."""
    org_id: UUID = await conn.fetchval("INSERT INTO orgs (name) VALUES ($1) RETURNING id", name)
    await install_builtin_items(conn, org_id)
    _, key = await create_key(conn, org_id, "bench", "admin")
    await conn.copy_records_to_table(
        "teams",
        records=[(org_id, t, tree.parent[t], tree.names[t]) for t in tree.ids],
        columns=["org_id", "id", "parent_id", "name"],
    )
    return org_id, key


def pulse_layout() -> dict[str, Any]:
    items = builtin_items()
    core = [i.key for i in items if i.core]
    rotating = [i.key for i in items if not i.core]
    # The most a wave may ask (7): every dimension's core item and three rotating ones.
    return {"core_items": core, "rotating_items": rotating, "items_per_wave": 7}


async def new_pulse(conn: asyncpg.Connection, org_id: UUID, roots: list[UUID]) -> UUID:
    layout = pulse_layout()
    pulse_id: UUID = await conn.fetchval(
        """
        INSERT INTO pulses (org_id, name, team_ids, core_items, rotating_items, items_per_wave,
                            cadence, open_days, k, comment_k)
        VALUES ($1, 'Weekly pulse', $2, $3, $4, $5, 'weekly', 5, 5, 10) RETURNING id
        """,
        org_id,
        roots,
        layout["core_items"],
        layout["rotating_items"],
        layout["items_per_wave"],
    )
    return pulse_id


# People spread over the leaf teams, round robin; emails are unique per org.
PEOPLE = """
INSERT INTO people (org_id, email, display_name, team_id)
SELECT $1, 'p' || g || '@bench.test', 'Person ' || g, ($2::uuid[])[1 + g % cardinality($2)]
FROM generate_series(1, $3) g
"""


async def add_people(conn: asyncpg.Connection, org_id: UUID, teams: list[UUID], n: int) -> None:
    await conn.execute(PEOPLE, org_id, teams, n)


# A ballot for about `share` of the invitations (chosen by a byte of the token hash, which is
# uniform), each answering every item of the wave with a team-specific lean, and a comment on
# about one ballot in seven. The invitations are marked responded in the same statement, as a
# submit would.
BALLOTS = """
WITH chosen AS (
    UPDATE invitations SET responded = true
    WHERE org_id = $1 AND wave_id = $2 AND get_byte(token_hash, 0) < $4
    RETURNING team_id, get_byte(token_hash, 1) AS b
)
INSERT INTO ballots (org_id, wave_id, team_id, answers, comment)
SELECT $1, $2, c.team_id,
       (SELECT jsonb_object_agg(k, least(7, greatest(1,
               3 + (abs(hashtext(c.team_id::text || k)) % 3) + floor(random() * 3)::int - 1)))
        FROM unnest($3::text[]) k),
       CASE WHEN c.b < 36 THEN 'A comment that says something about the team, number ' || c.b END
FROM chosen c
"""


async def fill_ballot_box(
    conn: asyncpg.Connection, org_id: UUID, wave_id: UUID, share: float = 0.7
) -> int:
    keys = await conn.fetchval(
        "SELECT item_keys FROM waves WHERE org_id = $1 AND id = $2", org_id, wave_id
    )
    status = await conn.execute(BALLOTS, org_id, wave_id, keys, round(256 * share))
    return int(status.split()[-1])


def rng(seed: int) -> random.Random:
    return random.Random(seed)
