"""The org's question items as an API: list them, add the org's own items or a whole instrument
(for example a licensed, validated scale), and retire items that should no longer be asked.

Every org starts with a copy of the built-in bank (bank.py). Keys are stable forever: a retired
item keeps its key, so past waves, responses and trends that mention it stay readable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import Provide

from ...apidoc import problems
from ...auth import Principal, provide_principal
from ...errors import Conflict, InvalidInput, NotFound
from .bank import builtin_items

KEY_PATTERN = r"^[a-z0-9][a-z0-9_.-]{1,63}$"
ItemKey = Annotated[str, msgspec.Meta(pattern=KEY_PATTERN)]
Dimension = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{1,47}$")]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"\S")]
InstrumentName = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"\S")]
ScaleMin = Annotated[int, msgspec.Meta(ge=0, le=10)]
ScaleMax = Annotated[int, msgspec.Meta(ge=1, le=11)]


class Texts(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    en: Text
    nl: Text


class InstrumentItem(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    key: ItemKey
    dimension: Dimension
    texts: Texts
    scale_min: ScaleMin = 1
    scale_max: ScaleMax = 7
    reverse: bool = False


class ItemIn(InstrumentItem, forbid_unknown_fields=True, frozen=True, kw_only=True):
    instrument: InstrumentName = "custom"


class InstrumentIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: InstrumentName
    items: Annotated[list[InstrumentItem], msgspec.Meta(min_length=1, max_length=100)]


class ItemOut(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    dimension: str
    scale_min: int
    scale_max: int
    reverse: bool
    texts: dict[str, str]
    instrument: str
    source: str
    retired: bool
    core: bool  # the built-in bank's suggested core item for its dimension
    created_at: datetime


_COLS = (
    "key, dimension, scale_min, scale_max, reverse, texts, instrument, source, retired, created_at"
)


def _core_keys() -> frozenset[str]:
    return frozenset(i.key for i in builtin_items() if i.core)


def _reserved_prefixes() -> frozenset[str]:
    return frozenset(i.key.split(".", 1)[0] + "." for i in builtin_items() if "." in i.key)


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
    conn: asyncpg.Connection, org_id: UUID, items: list[InstrumentItem], instrument: str
) -> list[ItemOut]:
    """Add items all together or not at all."""
    keys = [i.key for i in items]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise InvalidInput(f"Item keys given more than once: {', '.join(twice)}.")
    for item in items:
        _check(item)
    async with conn.transaction():
        taken = await conn.fetch(
            "SELECT key FROM items WHERE org_id = $1 AND key = ANY($2::text[])", org_id, keys
        )
        if taken:
            raise Conflict(f"Item keys already in use: {', '.join(r['key'] for r in taken)}.")
        rows = await conn.fetch(
            f"""
            INSERT INTO items (org_id, key, dimension, scale_min, scale_max, reverse, texts,
                               instrument, source)
            SELECT $1, u.key, u.dimension, u.lo, u.hi, u.rev, u.texts, $9, 'org'
            FROM unnest($2::text[], $3::text[], $4::smallint[], $5::smallint[], $6::bool[],
                        $7::jsonb[], $8::int[]) AS u(key, dimension, lo, hi, rev, texts, ord)
            ORDER BY u.ord
            RETURNING {_COLS}
            """,
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
    by_key = {r["key"]: _item(r) for r in rows}
    return [by_key[k] for k in keys]


async def retire_item(conn: asyncpg.Connection, org_id: UUID, key: str) -> ItemOut:
    """Stop an item from being picked for new pulses; refuse while an active pulse asks it."""
    async with conn.transaction():
        row = await conn.fetchrow(
            f"SELECT {_COLS} FROM items WHERE org_id = $1 AND key = $2 FOR UPDATE", org_id, key
        )
        if row is None:
            raise NotFound("No such item.")
        using = await conn.fetch(
            """SELECT name FROM pulses WHERE org_id = $1 AND active
               AND ($2 = ANY(core_items) OR $2 = ANY(rotating_items)) ORDER BY name""",
            org_id,
            key,
        )
        if using:
            names = ", ".join(repr(r["name"]) for r in using)
            raise Conflict(f"Item {key} is asked by active pulse(s) {names}; take it out first.")
        row = await conn.fetchrow(
            f"UPDATE items SET retired = true WHERE org_id = $1 AND key = $2 RETURNING {_COLS}",
            org_id,
            key,
        )
    assert row is not None
    return _item(row)


class QuestionController(Controller):
    path = "/api/v1"
    tags = ["items"]
    dependencies = {"who": Provide(provide_principal)}

    @get("/items", summary="The org's items (filter by dimension)")
    async def list_items(
        self,
        state: State,
        who: Principal,
        dimension: str | None = None,
        include_retired: bool = False,
    ) -> list[ItemOut]:
        rows = await state.pool.fetch(
            f"""SELECT {_COLS} FROM items
                WHERE org_id = $1 AND ($2::text IS NULL OR dimension = $2) AND ($3 OR NOT retired)
                ORDER BY dimension, source, key""",
            who.org_id,
            dimension,
            include_retired,
        )
        return [_item(r) for r in rows]

    @get("/items/{key:str}", summary="One item")
    async def get_item(self, state: State, who: Principal, key: str) -> ItemOut:
        row = await state.pool.fetchrow(
            f"SELECT {_COLS} FROM items WHERE org_id = $1 AND key = $2", who.org_id, key[:64]
        )
        if row is None:
            raise NotFound("No such item.")
        return _item(row)

    @post("/items", summary="Add an item of the org's own (admin)", responses=problems(409))
    async def add_item(self, state: State, who: Principal, data: ItemIn) -> ItemOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return (await add_items(conn, who.org_id, [data], data.instrument))[0]

    @post(
        "/instruments",
        summary="Add a whole instrument (e.g. a licensed scale) at once (admin)",
        responses=problems(409),
    )
    async def add_instrument(
        self, state: State, who: Principal, data: InstrumentIn
    ) -> list[ItemOut]:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await add_items(conn, who.org_id, list(data.items), data.name)

    @post(
        "/items/{key:str}/retire",
        summary="Retire an item (admin)",
        status_code=200,
        responses=problems(409),
    )
    async def retire(self, state: State, who: Principal, key: str) -> ItemOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await retire_item(conn, who.org_id, key[:64])


ROUTES = [QuestionController]
