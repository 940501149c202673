"""The demo org that `candor dev` seeds once, so a new user sees real output at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg

from ..orgs import create_org
from ..settings import Settings
from ..surveys.bank import install_builtin_items

DEMO_ORG = "Demo Co"


async def seed_demo(conn: asyncpg.Connection, folder: Path, settings: Settings) -> dict[str, Any]:
    """Create the demo org on first run; return its name and admin key (kept in the data folder)."""
    key_file = folder / "demo_admin_key"
    org_id = await conn.fetchval("SELECT id FROM orgs WHERE name = $1", DEMO_ORG)
    if org_id is None or not key_file.exists():
        async with conn.transaction():
            if org_id is not None:
                await conn.execute("DELETE FROM orgs WHERE id = $1", org_id)
            org_id, key = await create_org(conn, DEMO_ORG, setup=[install_builtin_items])
        key_file.write_text(key)
        key_file.chmod(0o600)
    return {"org_id": str(org_id), "org_name": DEMO_ORG, "admin_key": key_file.read_text().strip()}
