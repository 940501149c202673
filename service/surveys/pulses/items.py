"""The org's question items: list them, add the org's own items or a whole instrument
(for example a licensed, validated scale), and retire items that should no longer be asked.

Every org starts with a copy of the built-in bank (bank.py). Keys are stable forever: a retired
item keeps its key, so past waves, responses and trends that mention it stay readable.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from ...audit import Actor, record
from ...errors import Conflict, InvalidInput, NotFound
from . import queries
from .bank import FOLLOW_UP_ITEM, builtin_items
from .models import InstrumentItem, ItemOut


def _core_keys() -> frozenset[str]:
    return frozenset(i.key for i in builtin_items() if i.core)


def _reserved_prefixes() -> frozenset[str]:
    keys = [i.key for i in builtin_items()] + [FOLLOW_UP_ITEM]
    return frozenset(k.split(".", 1)[0] + "." for k in keys if "." in k)


def _item(row: asyncpg.Record) -> ItemOut:
    return ItemOut(**dict(row), core=row["key"] in _core_keys())


def _check(item: InstrumentItem) -> None:
    if item.scale_max <= item.scale_min:
        raise InvalidInput(f"Item {item.key}: scale_max must be above scale_min.")
    if item.scale_max - item.scale_min > 10:
        raise InvalidInput(f"Item {item.key}: a scale has at most 11 points.")
    reserved = [p for p in _reserved_prefixes() if item.key.startswith(p)]
    if reserved:
        raise InvalidInput(
            f"Item {item.key}: keys starting with {reserved[0]!r} are kept for the built-in bank; "
            "pick a prefix of your own (for example your instrument's initials)."
        )


async def add_items(
    conn: asyncpg.Connection,
    org_id: UUID,
    items: list[InstrumentItem],
    instrument: str,
    *,
    actor: Actor,
) -> list[ItemOut]:
    """Add items all together or not at all."""
    keys = [i.key for i in items]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise InvalidInput(f"Item keys given more than once: {', '.join(twice)}.")
    for item in items:
        _check(item)
    async with conn.transaction():
        taken = await conn.fetch(queries.ITEM_KEYS_TAKEN, org_id, keys)
        if taken:
            raise Conflict(f"Item keys already in use: {', '.join(r['key'] for r in taken)}.")
        rows = await conn.fetch(
            queries.INSERT_ITEMS,
            org_id,
            keys,
            [i.dimension for i in items],
            [i.scale_min for i in items],
            [i.scale_max for i in items],
            [i.reverse for i in items],
            [{"en": i.texts.en.strip(), "nl": i.texts.nl.strip()} for i in items],
            list(range(len(items))),
            instrument.strip(),
        )
        await record(
            conn,
            actor,
            "item.add",
            "item",
            None,
            {"instrument": instrument.strip(), "count": len(keys), "items": keys[:20]},
        )
    by_key = {r["key"]: _item(r) for r in rows}
    return [by_key[k] for k in keys]


async def retire_item(conn: asyncpg.Connection, org_id: UUID, key: str, *, actor: Actor) -> ItemOut:
    """Stop an item from being picked for new pulses; refuse while an active pulse asks it."""
    async with conn.transaction():
        row = await conn.fetchrow(queries.GET_ITEM_FOR_UPDATE, org_id, key)
        if row is None:
            raise NotFound("No such item.")
        was_retired = row["retired"]
        using = await conn.fetch(queries.ACTIVE_PULSES_ASKING, org_id, key)
        if using:
            names = ", ".join(repr(r["name"]) for r in using)
            raise Conflict(f"Item {key} is asked by active pulse(s) {names}; take it out first.")
        row = await conn.fetchrow(queries.RETIRE_ITEM, org_id, key)
        if row is not None and not was_retired:
            await record(conn, actor, "item.retire", "item", None, {"item": key})
    assert row is not None
    return _item(row)


async def list_items(
    conn: asyncpg.Connection | asyncpg.Pool,
    org_id: UUID,
    *,
    dimension: str | None,
    include_retired: bool,
) -> list[ItemOut]:
    rows = await conn.fetch(queries.LIST_ITEMS, org_id, dimension, include_retired)
    return [_item(r) for r in rows]


async def get_item(conn: asyncpg.Connection | asyncpg.Pool, org_id: UUID, key: str) -> ItemOut:
    row = await conn.fetchrow(queries.GET_ITEM, org_id, key)
    if row is None:
        raise NotFound("No such item.")
    return _item(row)
