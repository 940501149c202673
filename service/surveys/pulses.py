"""Pulses: which teams are asked which items how often, with what anonymity thresholds.

The admin API creates, lists, reads, changes and deactivates pulses; leaders read the pulses
that reach into their subtrees. Two pure functions serve the wave opener and the scheduler:
`items_for_wave(pulse, seq)` (core items plus a rotating window that walks through every
rotating item) and `next_wave_at(pulse, after)`.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, Protocol
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, get, patch, post
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import Parameter

from ..auth import Principal, provide_principal, visible_team_ids
from ..errors import InvalidInput, NotFound

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
ItemKey = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_.-]{1,63}$")]
Cadence = Literal["weekly", "every_n_weeks", "monthly"]
K_FLOOR = 3
DEFAULT_REMINDERS = (3, 5)
MONTH_DAYS = 28  # the shortest month bounds a monthly pulse's open window


class PulseIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    name: Name
    team_ids: Annotated[list[UUID], msgspec.Meta(min_length=1, max_length=100)]
    # Omitted: the built-in core items, and the other built-in items of their dimensions.
    core_items: Annotated[list[ItemKey], msgspec.Meta(min_length=1, max_length=7)] | None = None
    rotating_items: Annotated[list[ItemKey], msgspec.Meta(max_length=200)] | None = None
    items_per_wave: Annotated[int, msgspec.Meta(ge=3, le=7)] = 5
    cadence: Cadence = "every_n_weeks"
    # Omitted: 2 for every_n_weeks, else 1.
    cadence_weeks: Annotated[int, msgspec.Meta(ge=1, le=26)] | None = None
    open_days: Annotated[int, msgspec.Meta(ge=1, le=28)] = 7
    k: Annotated[int, msgspec.Meta(ge=K_FLOOR, le=100)] = 5
    comment_k: Annotated[int, msgspec.Meta(ge=K_FLOOR, le=1000)] = 10
    # Omitted: days 3 and 5 of the window, those that fall inside it.
    reminder_days: (
        Annotated[list[Annotated[int, msgspec.Meta(ge=1, le=27)]], msgspec.Meta(max_length=5)]
        | None
    ) = None
    starts_at: datetime | None = None  # default: now


class PulsePatch(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Only the fields sent change; the result is checked as a whole, like a new pulse."""

    name: Name | None = None
    team_ids: Annotated[list[UUID], msgspec.Meta(min_length=1, max_length=100)] | None = None
    core_items: Annotated[list[ItemKey], msgspec.Meta(min_length=1, max_length=7)] | None = None
    rotating_items: Annotated[list[ItemKey], msgspec.Meta(max_length=200)] | None = None
    items_per_wave: Annotated[int, msgspec.Meta(ge=3, le=7)] | None = None
    cadence: Cadence | None = None
    cadence_weeks: Annotated[int, msgspec.Meta(ge=1, le=26)] | None = None
    open_days: Annotated[int, msgspec.Meta(ge=1, le=28)] | None = None
    k: Annotated[int, msgspec.Meta(ge=K_FLOOR, le=100)] | None = None
    comment_k: Annotated[int, msgspec.Meta(ge=K_FLOOR, le=1000)] | None = None
    reminder_days: (
        Annotated[list[Annotated[int, msgspec.Meta(ge=1, le=27)]], msgspec.Meta(max_length=5)]
        | None
    ) = None
    starts_at: datetime | None = None


class PulseOut(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    name: str
    team_ids: list[UUID]
    core_items: list[str]
    rotating_items: list[str]
    items_per_wave: int
    cadence: Cadence
    cadence_weeks: int
    open_days: int
    k: int
    comment_k: int
    reminder_days: list[int]
    starts_at: datetime
    next_wave_at: datetime | None
    active: bool
    created_at: datetime


class ScheduledWave(msgspec.Struct, frozen=True):
    seq: int
    opens_at: datetime
    item_keys: list[str]


# --- the pure schedule -------------------------------------------------------------------------


class PulseLike(Protocol):
    @property
    def core_items(self) -> Sequence[str]: ...
    @property
    def rotating_items(self) -> Sequence[str]: ...
    @property
    def items_per_wave(self) -> int: ...


def _field(pulse: Any, name: str) -> Any:
    # The wave opener hands in an asyncpg Record, the API a Struct; both work.
    return pulse[name] if isinstance(pulse, Mapping | asyncpg.Record) else getattr(pulse, name)


def items_for_wave(pulse: PulseLike | Mapping[str, Any] | asyncpg.Record, seq: int) -> list[str]:
    """The item keys of wave `seq` (1, 2, ...): every core item, then a window of rotating ones.

    The window moves by its own width each wave and wraps around, so consecutive waves ask
    different rotating items, every one of them comes round within ceil(n / width) waves, and
    the same pulse and seq always give the same list.
    """
    core = list(_field(pulse, "core_items"))
    rotating = [k for k in _field(pulse, "rotating_items") if k not in core]
    width = min(max(int(_field(pulse, "items_per_wave")) - len(core), 0), len(rotating))
    if width == 0:
        return core
    start = ((seq - 1) * width) % len(rotating)
    return core + [rotating[(start + i) % len(rotating)] for i in range(width)]


def _add_months(moment: datetime, months: int) -> datetime:
    # Keep the day of the month of the start; a short month takes its last day instead.
    total = moment.month - 1 + months
    year, month = moment.year + total // 12, total % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def next_wave_at(pulse: Any, after: datetime) -> datetime:
    """The first scheduled opening strictly after `after` (the start itself if that is later).

    Missed slots are skipped, not caught up: a scheduler that was down for a month opens one
    wave, not four.
    """
    starts: datetime = _field(pulse, "starts_at")
    if after < starts:
        return starts
    cadence = _field(pulse, "cadence")
    if cadence == "monthly":
        n = (after.year - starts.year) * 12 + after.month - starts.month
        while _add_months(starts, n) <= after:
            n += 1
        while n > 0 and _add_months(starts, n - 1) > after:
            n -= 1
        return _add_months(starts, n)
    weeks = 1 if cadence == "weekly" else int(_field(pulse, "cadence_weeks"))
    period = timedelta(weeks=weeks)
    n = (after - starts) // period + 1
    return starts + n * period


def cadence_days(cadence: str, weeks: int) -> int:
    return {"weekly": 7, "every_n_weeks": 7 * weeks, "monthly": MONTH_DAYS}[cadence]


# --- rules ---------------------------------------------------------------------------------


async def _check_teams(conn: asyncpg.Connection, org_id: UUID, team_ids: list[UUID]) -> None:
    if len(set(team_ids)) != len(team_ids):
        raise InvalidInput("team_ids lists a team twice.")
    rows = await conn.fetch(
        """SELECT id, archived_at IS NOT NULL AS archived FROM teams
           WHERE org_id = $1 AND id = ANY($2::uuid[])""",
        org_id,
        team_ids,
    )
    found = {r["id"]: r["archived"] for r in rows}
    unknown = [str(t) for t in team_ids if t not in found]
    if unknown:
        raise InvalidInput(f"Not teams of this org: {', '.join(unknown)}.")
    archived = [str(t) for t in team_ids if found[t]]
    if archived:
        raise InvalidInput(f"Archived teams cannot be surveyed: {', '.join(archived)}.")
    nested = await conn.fetch(
        """
        WITH RECURSIVE below AS (
            SELECT id AS root, id FROM teams WHERE org_id = $1 AND id = ANY($2::uuid[])
            UNION
            SELECT b.root, t.id FROM teams t JOIN below b ON t.parent_id = b.id WHERE t.org_id = $1
        )
        SELECT root, id FROM below WHERE root <> id AND id = ANY($2::uuid[])
        """,
        org_id,
        team_ids,
    )
    if nested:
        pairs = "; ".join(f"{r['id']} is inside {r['root']}" for r in nested)
        raise InvalidInput(f"team_ids are subtree roots and must not overlap: {pairs}.")


async def _default_items(conn: asyncpg.Connection, org_id: UUID) -> tuple[list[str], list[str]]:
    from .bank import builtin_items

    bank = builtin_items()
    live = {
        r["key"]
        for r in await conn.fetch("SELECT key FROM items WHERE org_id = $1 AND NOT retired", org_id)
    }
    core = [i.key for i in bank if i.core and i.key in live]
    dims = {i.dimension for i in bank if i.key in core}
    rotating = [i.key for i in bank if not i.core and i.dimension in dims and i.key in live]
    return core, rotating


async def _check_items(
    conn: asyncpg.Connection, org_id: UUID, core: list[str], rotating: list[str], per_wave: int
) -> None:
    every = core + rotating
    twice = sorted({k for k in every if every.count(k) > 1})
    if twice:
        raise InvalidInput(
            f"Items listed more than once (core and rotating together): {', '.join(twice)}."
        )
    rows = await conn.fetch(
        "SELECT key, dimension, retired FROM items WHERE org_id = $1 AND key = ANY($2::text[])",
        org_id,
        every,
    )
    found = {r["key"]: r for r in rows}
    unknown = [k for k in every if k not in found]
    if unknown:
        raise InvalidInput(f"Unknown items for this org: {', '.join(unknown)}.")
    retired = [k for k in every if found[k]["retired"]]
    if retired:
        raise InvalidInput(f"Retired items cannot be used: {', '.join(retired)}.")
    core_dims = [found[k]["dimension"] for k in core]
    doubled = sorted({d for d in core_dims if core_dims.count(d) > 1})
    if doubled:
        raise InvalidInput(
            f"One core item per dimension; more than one given for: {', '.join(doubled)}."
        )
    uncovered = sorted({found[k]["dimension"] for k in rotating} - set(core_dims))
    if uncovered:
        raise InvalidInput(
            "Every dimension asked needs a core item so its trend stays comparable; "
            f"none given for: {', '.join(uncovered)}."
        )
    if per_wave < len(core):
        raise InvalidInput(
            f"items_per_wave ({per_wave}) is smaller than the {len(core)} core items."
        )
    if per_wave > len(every):
        raise InvalidInput(
            f"items_per_wave ({per_wave}) is more than the {len(every)} items given."
        )
    if rotating and per_wave == len(core):
        raise InvalidInput(
            f"With {per_wave} items per wave and {len(core)} core items, "
            "rotating items never come round."
        )


def _check_schedule(values: dict[str, Any]) -> None:
    cadence, weeks, open_days = values["cadence"], values["cadence_weeks"], values["open_days"]
    if cadence == "every_n_weeks" and weeks < 2:
        raise InvalidInput(
            "An every_n_weeks cadence needs cadence_weeks of 2 or more (or use weekly)."
        )
    if cadence != "every_n_weeks" and weeks != 1:
        raise InvalidInput("cadence_weeks only applies to the every_n_weeks cadence.")
    length = cadence_days(cadence, weeks)
    if open_days > length:
        raise InvalidInput(
            f"open_days ({open_days}) is longer than the cadence ({length} days): "
            "a wave would still be open when the next one starts."
        )
    if values["comment_k"] < values["k"]:
        raise InvalidInput(f"comment_k ({values['comment_k']}) must be at least k ({values['k']}).")
    reminders = values["reminder_days"]
    late = [d for d in reminders if d >= open_days]
    if late:
        raise InvalidInput(
            f"Reminder days must fall inside the {open_days}-day window; not {late}."
        )
    if len(set(reminders)) != len(reminders):
        raise InvalidInput("A reminder day is listed twice.")
    starts = values["starts_at"]
    if starts.tzinfo is None:
        raise InvalidInput("starts_at needs a time zone (e.g. 2026-01-05T09:00:00+01:00).")


_COLS = """id, name, team_ids, core_items, rotating_items, items_per_wave, cadence, cadence_weeks,
open_days, k, comment_k, reminder_days, starts_at, next_wave_at, active, created_at"""


def _pulse(row: asyncpg.Record) -> PulseOut:
    return msgspec.convert(dict(row), PulseOut)


async def _validated(
    conn: asyncpg.Connection, org_id: UUID, values: dict[str, Any]
) -> dict[str, Any]:
    if values["core_items"] is None:
        values["core_items"], default_rotating = await _default_items(conn, org_id)
        if values["rotating_items"] is None:
            values["rotating_items"] = default_rotating
    values["rotating_items"] = values["rotating_items"] or []
    if values["reminder_days"] is None:
        values["reminder_days"] = [d for d in DEFAULT_REMINDERS if d < values["open_days"]]
    values["reminder_days"] = sorted(values["reminder_days"])
    values["starts_at"] = values["starts_at"] or datetime.now(UTC)
    if values["cadence_weeks"] is None:
        values["cadence_weeks"] = 2 if values["cadence"] == "every_n_weeks" else 1
    _check_schedule(values)
    await _check_teams(conn, org_id, values["team_ids"])
    await _check_items(
        conn, org_id, values["core_items"], values["rotating_items"], values["items_per_wave"]
    )
    return values


_WRITABLE = (
    "name", "team_ids", "core_items", "rotating_items", "items_per_wave", "cadence",
    "cadence_weeks", "open_days", "k", "comment_k", "reminder_days", "starts_at",
)  # fmt: skip


async def create_pulse(conn: asyncpg.Connection, org_id: UUID, data: PulseIn) -> PulseOut:
    values = await _validated(conn, org_id, {f: getattr(data, f) for f in _WRITABLE})
    placeholders = ", ".join(f"${i}" for i in range(2, len(_WRITABLE) + 2))
    row = await conn.fetchrow(
        f"""
        INSERT INTO pulses (org_id, {", ".join(_WRITABLE)}, next_wave_at)
        VALUES ($1, {placeholders}, ${len(_WRITABLE) + 2})
        RETURNING {_COLS}
        """,
        org_id,
        *(values[f] for f in _WRITABLE),
        values["starts_at"],
    )
    assert row is not None
    return _pulse(row)


async def get_pulse(conn: asyncpg.Connection, org_id: UUID, pulse_id: UUID) -> PulseOut:
    row = await conn.fetchrow(
        f"SELECT {_COLS} FROM pulses WHERE org_id = $1 AND id = $2", org_id, pulse_id
    )
    if row is None:
        raise NotFound("No such pulse.")
    return _pulse(row)


async def update_pulse(
    conn: asyncpg.Connection, org_id: UUID, pulse_id: UUID, data: PulsePatch
) -> PulseOut:
    async with conn.transaction():
        row = await conn.fetchrow(
            f"SELECT {_COLS} FROM pulses WHERE org_id = $1 AND id = $2 FOR UPDATE", org_id, pulse_id
        )
        if row is None:
            raise NotFound("No such pulse.")
        values = {f: row[f] for f in _WRITABLE}
        sent = {f: getattr(data, f) for f in _WRITABLE if getattr(data, f) is not None}
        if "cadence" in sent and "cadence_weeks" not in sent:
            sent["cadence_weeks"] = None  # the new cadence's default
        values.update(sent)
        values = await _validated(conn, org_id, values)
        last_open = await conn.fetchval(
            "SELECT max(opens_at) FROM waves WHERE org_id = $1 AND pulse_id = $2", org_id, pulse_id
        )
        due = next_wave_at(_Schedule(values), last_open) if last_open else values["starts_at"]
        sets = ", ".join(f"{f} = ${i}" for i, f in enumerate(_WRITABLE, start=3))
        updated = await conn.fetchrow(
            f"""
            UPDATE pulses SET {sets}, next_wave_at = CASE WHEN active THEN ${len(_WRITABLE) + 3} END
            WHERE org_id = $1 AND id = $2 RETURNING {_COLS}
            """,
            org_id,
            pulse_id,
            *(values[f] for f in _WRITABLE),
            due,
        )
    assert updated is not None
    return _pulse(updated)


class _Schedule:
    """Adapts a dict of pulse values to what `next_wave_at` reads."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.starts_at = values["starts_at"]
        self.cadence = values["cadence"]
        self.cadence_weeks = values["cadence_weeks"]


async def deactivate_pulse(conn: asyncpg.Connection, org_id: UUID, pulse_id: UUID) -> PulseOut:
    row = await conn.fetchrow(
        f"""
        UPDATE pulses SET active = false, next_wave_at = NULL
        WHERE org_id = $1 AND id = $2 RETURNING {_COLS}
        """,
        org_id,
        pulse_id,
    )
    if row is None:
        raise NotFound("No such pulse.")
    return _pulse(row)


async def _leader_view(
    conn: asyncpg.Connection, who: Principal, pulses: list[PulseOut]
) -> list[PulseOut]:
    """The pulses that reach a leader's teams, showing only the roots the leader may see."""
    if who.is_admin:
        return pulses
    visible = await visible_team_ids(conn, who)
    shown = []
    for p in pulses:
        covered = {
            r["id"]
            for r in await conn.fetch(
                """
                WITH RECURSIVE below AS (
                    SELECT id FROM teams WHERE org_id = $1 AND id = ANY($2::uuid[])
                    UNION
                    SELECT t.id FROM teams t JOIN below b ON t.parent_id = b.id WHERE t.org_id = $1
                )
                SELECT id FROM below
                """,
                who.org_id,
                p.team_ids,
            )
        }
        if covered & visible:
            shown.append(
                msgspec.structs.replace(p, team_ids=[t for t in p.team_ids if t in visible])
            )
    return shown


class PulseController(Controller):
    path = "/api/v1/pulses"
    tags = ["pulses"]
    dependencies = {"who": Provide(provide_principal)}

    @post("", summary="Create a pulse (admin)")
    async def create(self, state: State, who: Principal, data: PulseIn) -> PulseOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await create_pulse(conn, who.org_id, data)

    @get("", summary="List pulses (leaders: those reaching their teams)")
    async def list_pulses(
        self, state: State, who: Principal, active: bool | None = None
    ) -> list[PulseOut]:
        async with state.pool.acquire() as conn:
            rows = await conn.fetch(
                f"""SELECT {_COLS} FROM pulses
                    WHERE org_id = $1 AND ($2::bool IS NULL OR active = $2)
                    ORDER BY created_at, id""",
                who.org_id,
                active,
            )
            return await _leader_view(conn, who, [_pulse(r) for r in rows])

    @get("/{pulse_id:uuid}", summary="One pulse")
    async def get_one(self, state: State, who: Principal, pulse_id: UUID) -> PulseOut:
        async with state.pool.acquire() as conn:
            shown = await _leader_view(conn, who, [await get_pulse(conn, who.org_id, pulse_id)])
        if not shown:
            raise NotFound("No such pulse.")
        return shown[0]

    @get("/{pulse_id:uuid}/schedule", summary="The next waves: when they open and what they ask")
    async def schedule(
        self,
        state: State,
        who: Principal,
        pulse_id: UUID,
        waves: Annotated[int, Parameter(ge=1, le=52)] = 6,
    ) -> list[ScheduledWave]:
        who.require_admin()
        async with state.pool.acquire() as conn:
            pulse = await get_pulse(conn, who.org_id, pulse_id)
            last = await conn.fetchrow(
                """SELECT seq, opens_at FROM waves WHERE org_id = $1 AND pulse_id = $2
                   ORDER BY seq DESC LIMIT 1""",
                who.org_id,
                pulse_id,
            )
        seq = last["seq"] if last else 0
        at = pulse.next_wave_at or (
            next_wave_at(pulse, last["opens_at"]) if last else pulse.starts_at
        )
        planned = []
        for _ in range(waves):
            seq += 1
            planned.append(ScheduledWave(seq, at, items_for_wave(pulse, seq)))
            at = next_wave_at(pulse, at)
        return planned

    @patch(
        "/{pulse_id:uuid}",
        summary="Change a pulse (admin); waves already opened keep their settings",
    )
    async def update(
        self, state: State, who: Principal, pulse_id: UUID, data: PulsePatch
    ) -> PulseOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await update_pulse(conn, who.org_id, pulse_id, data)

    @post(
        "/{pulse_id:uuid}/deactivate",
        summary="Stop a pulse from opening waves (admin)",
        status_code=200,
    )
    async def deactivate(self, state: State, who: Principal, pulse_id: UUID) -> PulseOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await deactivate_pulse(conn, who.org_id, pulse_id)


ROUTES = [PulseController]
