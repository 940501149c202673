"""The built-in question bank: item files in `item_bank/*.toml`, copied into every new org.

Each TOML file holds `[[item]]` tables with a stable `key`, a `dimension`, an optional scale
(default 1-7 agree), a `reverse` flag and the text per locale (`en`, `nl`).
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from uuid import UUID

import asyncpg
import msgspec

from . import queries
from .models import BankFile, BankItem

ITEMS_DIR = Path(__file__).resolve().parent / "item_bank"
FOLLOW_UP_FILE = Path(__file__).resolve().parent / "follow_up.toml"
LOCALES = ("en", "nl")
# Asked by Candor itself of a team that has recorded a focus; never part of a pulse's items.
FOLLOW_UP_ITEM = "ft.did_try"


@lru_cache(maxsize=1)
def builtin_items() -> tuple[BankItem, ...]:
    return load_bank(ITEMS_DIR)


@lru_cache(maxsize=1)
def follow_up_item() -> BankItem:
    """The follow-up item (see follow_up.toml)."""
    (item,) = _read([FOLLOW_UP_FILE])
    if item.key != FOLLOW_UP_ITEM:
        raise ValueError(f"follow_up.toml must hold {FOLLOW_UP_ITEM}")
    return item


def _read(paths: list[Path]) -> list[BankItem]:
    items: list[BankItem] = []
    for path in paths:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        try:
            items.extend(msgspec.convert(data, BankFile).item)
        except msgspec.ValidationError as exc:
            raise ValueError(f"{path.name}: {exc}") from None
    return items


def load_bank(folder: Path) -> tuple[BankItem, ...]:
    """Read and check every `*.toml` in `folder`; a broken bank fails loudly at startup."""
    items: list[BankItem] = []
    for path in sorted(folder.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        try:
            items.extend(msgspec.convert(data, BankFile).item)
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
        queries.INSTALL_BUILTIN_ITEM,
        [
            (org_id, i.key, i.dimension, i.scale_min, i.scale_max, i.reverse, i.texts)
            for i in (*builtin_items(), follow_up_item())
        ],
    )
