"""The built-in question bank: item files in `items/*.toml`, copied into every new org.

Each TOML file holds `[[item]]` tables with a stable `key`, a `dimension`, an optional scale
(default 1-7 agree), a `reverse` flag and the text per locale (`en`, `nl`).
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from uuid import UUID

import asyncpg
import msgspec

ITEMS_DIR = Path(__file__).resolve().parent / "item_bank"
LOCALES = ("en", "nl")


class BankItem(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    key: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_.-]{1,63}$")]
    dimension: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{1,47}$")]
    texts: dict[str, str]
    reverse: bool = False
    scale_min: int = 1
    scale_max: int = 7
    core: bool = False  # the stable item asked in every wave for its dimension


class _BankFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    item: list[BankItem]


@lru_cache(maxsize=1)
def builtin_items() -> tuple[BankItem, ...]:
    return load_bank(ITEMS_DIR)


def load_bank(folder: Path) -> tuple[BankItem, ...]:
    """Read and check every `*.toml` in `folder`; a broken bank fails loudly at startup."""
    items: list[BankItem] = []
    for path in sorted(folder.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        try:
            items.extend(msgspec.convert(data, _BankFile).item)
        except msgspec.ValidationError as exc:
            raise ValueError(f"{path.name}: {exc}") from None
    keys = [i.key for i in items]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate item key in the built-in bank")
    for i in items:
        missing = [loc for loc in LOCALES if not i.texts.get(loc)]
        if missing:
            raise ValueError(f"item {i.key} lacks text for {', '.join(missing)}")
    # Pulses default to the core items, one per dimension, so trends stay comparable.
    for dim in {i.dimension for i in items}:
        cores = [i.key for i in items if i.dimension == dim and i.core]
        if len(cores) != 1:
            raise ValueError(f"dimension {dim} needs exactly one core item, has {cores}")
    return tuple(items)


async def install_builtin_items(conn: asyncpg.Connection, org_id: UUID) -> None:
    """Copy the built-in bank into an org (new items only; an org's copy is never overwritten)."""
    await conn.executemany(
        """
        INSERT INTO items (org_id, key, dimension, scale_min, scale_max, reverse, texts,
                           instrument, source)
        VALUES ($1, $2, $3, $4, $5, $6, $7, 'candor', 'builtin')
        ON CONFLICT (org_id, key) DO NOTHING
        """,
        [
            (org_id, i.key, i.dimension, i.scale_min, i.scale_max, i.reverse, i.texts)
            for i in builtin_items()
        ],
    )
