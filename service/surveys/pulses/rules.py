"""The rules a pulse must satisfy, checked as a whole on create and on every change.

Each rule raises InvalidInput naming the problem, so a bad pulse is a clear 400 and nothing
is stored: live, non-overlapping teams of the org; known, live items with one core item per
dimension asked; a window that fits inside the cadence; k >= 3 and comment_k >= k; reminders
inside the window. Thresholds below the org's floors (service/orgs.py) are a 422 that names the
floor and who can change it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, get_args
from uuid import UUID

import asyncpg

from ...errors import InvalidInput
from ...orgs import require_within_floors
from . import queries
from .bank import FOLLOW_UP_ITEM, builtin_items
from .schedule import cadence_days

DEFAULT_REMINDERS = (3, 5)

# Every rule that can refuse a pulse, as the code a page words in its reader's language
# (service/console/admin/texts/refusals.toml); the API answers with the English detail.
RuleCode = Literal[
    "team_twice",
    "team_unknown",
    "team_archived",
    "team_nested",
    "item_follow_up",
    "item_twice",
    "item_unknown",
    "item_retired",
    "core_doubled",
    "core_missing",
    "per_wave_below_core",
    "per_wave_above_items",
    "rotating_never",
    "cadence_weeks_low",
    "cadence_weeks_unused",
    "open_days_long",
    "comment_k_below_k",
    "reminder_late",
    "reminder_twice",
    "starts_at_zone",
]
RULE_CODES: tuple[str, ...] = get_args(RuleCode)


def _refused(code: RuleCode, detail: str, **values: str | int | list[str]) -> InvalidInput:
    return InvalidInput(detail, code=f"pulse.{code}", values=values)


async def _check_teams(conn: asyncpg.Connection, org_id: UUID, team_ids: list[UUID]) -> None:
    if len(set(team_ids)) != len(team_ids):
        raise _refused("team_twice", "team_ids lists a team twice.")
    rows = await conn.fetch(queries.TEAMS_ARCHIVED, org_id, team_ids)
    found = {r["id"]: r["archived"] for r in rows}
    unknown = [str(t) for t in team_ids if t not in found]
    if unknown:
        raise _refused(
            "team_unknown", f"Not teams of this org: {', '.join(unknown)}.", teams=unknown
        )
    archived = [str(t) for t in team_ids if found[t]]
    if archived:
        raise _refused(
            "team_archived",
            f"Archived teams cannot be surveyed: {', '.join(archived)}.",
            teams=archived,
        )
    nested = await conn.fetch(queries.NESTED_ROOTS, org_id, team_ids)
    if nested:
        pairs = "; ".join(f"{r['id']} is inside {r['root']}" for r in nested)
        raise _refused(
            "team_nested",
            f"team_ids are subtree roots and must not overlap: {pairs}.",
            teams=[str(r["id"]) for r in nested],
            roots=[str(r["root"]) for r in nested],
        )


async def _default_items(conn: asyncpg.Connection, org_id: UUID) -> tuple[list[str], list[str]]:
    bank = builtin_items()
    live = {r["key"] for r in await conn.fetch(queries.LIVE_ITEM_KEYS, org_id)}
    core = [i.key for i in bank if i.core and i.key in live]
    dims = {i.dimension for i in bank if i.key in core}
    rotating = [i.key for i in bank if not i.core and i.dimension in dims and i.key in live]
    return core, rotating


async def _check_items(
    conn: asyncpg.Connection, org_id: UUID, core: list[str], rotating: list[str], per_wave: int
) -> None:
    every = core + rotating
    if FOLLOW_UP_ITEM in every:
        raise _refused(
            "item_follow_up",
            f"{FOLLOW_UP_ITEM} is the follow-up item: Candor asks it by itself of a team that has "
            "recorded a focus; leave it out of the pulse's items.",
            item=FOLLOW_UP_ITEM,
        )
    twice = sorted({k for k in every if every.count(k) > 1})
    if twice:
        raise _refused(
            "item_twice",
            f"Items listed more than once (core and rotating together): {', '.join(twice)}.",
            items=twice,
        )
    rows = await conn.fetch(queries.ITEMS_BY_KEY, org_id, every)
    found = {r["key"]: r for r in rows}
    unknown = [k for k in every if k not in found]
    if unknown:
        raise _refused(
            "item_unknown", f"Unknown items for this org: {', '.join(unknown)}.", items=unknown
        )
    retired = [k for k in every if found[k]["retired"]]
    if retired:
        raise _refused(
            "item_retired", f"Retired items cannot be used: {', '.join(retired)}.", items=retired
        )
    core_dims = [found[k]["dimension"] for k in core]
    doubled = sorted({d for d in core_dims if core_dims.count(d) > 1})
    if doubled:
        raise _refused(
            "core_doubled",
            f"One core item per dimension; more than one given for: {', '.join(doubled)}.",
            dimensions=doubled,
        )
    uncovered = sorted({found[k]["dimension"] for k in rotating} - set(core_dims))
    if uncovered:
        raise _refused(
            "core_missing",
            "Every dimension asked needs a core item so its trend stays comparable; "
            f"none given for: {', '.join(uncovered)}.",
            dimensions=uncovered,
        )
    if per_wave < len(core):
        raise _refused(
            "per_wave_below_core",
            f"items_per_wave ({per_wave}) is smaller than the {len(core)} core items.",
            per_wave=per_wave,
            core=len(core),
        )
    if per_wave > len(every):
        raise _refused(
            "per_wave_above_items",
            f"items_per_wave ({per_wave}) is more than the {len(every)} items given.",
            per_wave=per_wave,
            items=len(every),
        )
    if rotating and per_wave == len(core):
        raise _refused(
            "rotating_never",
            f"With {per_wave} items per wave and {len(core)} core items, "
            "rotating items never come round.",
            per_wave=per_wave,
            core=len(core),
        )


def _check_schedule(values: dict[str, Any]) -> None:
    cadence, weeks, open_days = values["cadence"], values["cadence_weeks"], values["open_days"]
    if cadence == "every_n_weeks" and weeks < 2:
        raise _refused(
            "cadence_weeks_low",
            "An every_n_weeks cadence needs cadence_weeks of 2 or more (or use weekly).",
        )
    if cadence != "every_n_weeks" and weeks != 1:
        raise _refused(
            "cadence_weeks_unused", "cadence_weeks only applies to the every_n_weeks cadence."
        )
    length = cadence_days(cadence, weeks)
    if open_days > length:
        raise _refused(
            "open_days_long",
            f"open_days ({open_days}) is longer than the cadence ({length} days): "
            "a wave would still be open when the next one starts.",
            open_days=open_days,
            length=length,
        )
    if values["comment_k"] < values["k"]:
        raise _refused(
            "comment_k_below_k",
            f"comment_k ({values['comment_k']}) must be at least k ({values['k']}).",
            comment_k=values["comment_k"],
            k=values["k"],
        )
    reminders = values["reminder_days"]
    late = [d for d in reminders if d >= open_days]
    if late:
        raise _refused(
            "reminder_late",
            f"Reminder days must fall inside the {open_days}-day window; not {late}.",
            open_days=open_days,
            days=[str(d) for d in late],
        )
    if len(set(reminders)) != len(reminders):
        raise _refused("reminder_twice", "A reminder day is listed twice.")
    starts = values["starts_at"]
    if starts.tzinfo is None:
        raise _refused(
            "starts_at_zone", "starts_at needs a time zone (e.g. 2026-01-05T09:00:00+01:00)."
        )


async def validate_pulse(
    conn: asyncpg.Connection, org_id: UUID, values: dict[str, Any]
) -> dict[str, Any]:
    """Fill in the defaults left open (None) and check every rule; return the final values."""
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
    await require_within_floors(conn, org_id, values["k"], values["comment_k"])
    await _check_teams(conn, org_id, values["team_ids"])
    await _check_items(
        conn, org_id, values["core_items"], values["rotating_items"], values["items_per_wave"]
    )
    return values
