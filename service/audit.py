"""The audit log: who changed what, and when (docs/privacy.md, "Admins").

Every action that changes the directory, a pulse, a wave, a key, a widget token, the org's
floors or a console setting calls `record()` on the connection of its own transaction, so a
failed change leaves no entry and a change never lacks one. The table is append-only (migration
0011 refuses UPDATE, DELETE and TRUNCATE); nothing here changes or removes an entry.

Nothing from the anonymous side is ever recorded: no answer, comment, ballot, token or address.
Details are small and name no person beyond the ids the admin API already shows: field names,
new thresholds, a team's new name, counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
import msgspec

from . import queries
from .auth import Principal
from .guard import NOT_ABOUT_ANSWERS

ActorKind = Literal["api_key", "person", "cli", "system"]

# Every action, with the kind of object it names. The list is the contract: docs/admin-api.md,
# the `Action` and `ObjectKind` types below and tests/test_audit.py name the same ones.
ACTIONS: dict[str, str] = {
    "org.create": "org",
    "org.floors": "org",
    "key.create": "api_key",
    "key.revoke": "api_key",
    "team.create": "team",
    "team.rename": "team",
    "team.move": "team",
    "team.archive": "team",
    "team.leaders": "team",
    "team.report_with": "team",
    "team.focus": "team",
    "person.create": "person",
    "person.update": "person",
    "person.deactivate": "person",
    "person.admin": "person",
    "person.settings": "person",
    "people.import": "org",
    "item.add": "item",
    "item.retire": "item",
    "pulse.create": "pulse",
    "pulse.update": "pulse",
    "pulse.activate": "pulse",
    "pulse.deactivate": "pulse",
    "wave.open": "wave",
    "wave.close": "wave",
    "widget_token.create": "widget_token",
    "widget_token.revoke": "widget_token",
}
ObjectKind = Literal["org", "api_key", "team", "person", "item", "pulse", "wave", "widget_token"]
Action = Literal[
    "org.create", "org.floors", "key.create", "key.revoke", "team.create", "team.rename",
    "team.move", "team.archive", "team.leaders", "team.report_with", "team.focus",
    "person.create", "person.update",
    "person.deactivate", "person.admin", "person.settings", "people.import", "item.add",
    "item.retire", "pulse.create", "pulse.update", "pulse.activate", "pulse.deactivate",
    "wave.open", "wave.close", "widget_token.create", "widget_token.revoke",
]  # fmt: skip

# Belt and braces: a detail under one of these names would be the anonymous side or a secret.
_NEVER = frozenset(
    ("answer", "answers", "comment", "comments", "body", "ballot", "token", "key", "secret",
     "ip", "address", "user_agent", "email")
)  # fmt: skip

DetailValue = str | bool | int | UUID | None | Sequence[str | UUID]
Details = Mapping[str, DetailValue]


class Actor(msgspec.Struct, frozen=True):
    """Who acts, in which org: an API key, a console user (a person), the operator's CLI, or
    the system (the scheduler). Only keys and people have an id."""

    org_id: UUID
    kind: ActorKind
    id: UUID | None = None

    @classmethod
    def of_key(cls, who: Principal) -> Actor:
        return cls(who.org_id, "api_key", who.key_id)

    @classmethod
    def of_person(cls, org_id: UUID, person_id: UUID) -> Actor:
        return cls(org_id, "person", person_id)

    @classmethod
    def cli(cls, org_id: UUID) -> Actor:
        return cls(org_id, "cli")

    @classmethod
    def system(cls, org_id: UUID) -> Actor:
        return cls(org_id, "system")


def _checked(action: str, object_kind: str, details: Details | None) -> dict[str, Any]:
    if ACTIONS.get(action) != object_kind:
        raise ValueError(f"unknown audit action {action!r} on {object_kind!r}")
    out = dict(details or {})
    bad = sorted(k for k in out if k.lower() in _NEVER)
    if bad:
        raise ValueError(f"audit details may not hold {bad}")
    return out


async def record(
    conn: asyncpg.Connection,
    actor: Actor,
    action: str,
    object_kind: str,
    object_id: UUID | None,
    details: Details | None = None,
) -> None:
    """Append one entry, in the caller's transaction (the change and its entry commit together)."""
    if (actor.kind in ("api_key", "person")) != (actor.id is not None):
        need = "needs an id" if actor.id is None else "has no id"
        raise ValueError(f"an actor of kind {actor.kind} {need}")
    await conn.execute(
        queries.INSERT_AUDIT,
        actor.org_id,
        actor.kind,
        actor.id,
        action,
        object_kind,
        object_id,
        _checked(action, object_kind, details),
    )


# --- reading ------------------------------------------------------------------------------------

Count = Annotated[int, NOT_ABOUT_ANSWERS]
# Small numbers an action names (thresholds, import counts): none is about anyone's answers.
ShownValue = str | bool | Annotated[int, NOT_ABOUT_ANSWERS] | list[str] | None


class AuditFilter(msgspec.Struct, frozen=True, kw_only=True):
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    actor_kind: ActorKind | None = None
    actor_id: UUID | None = None
    action: Action | None = None
    object_kind: ObjectKind | None = None
    object_id: UUID | None = None

    def params(self) -> list[Any]:
        return [
            self.since,
            self.until,
            self.actor_kind,
            self.actor_id,
            self.action,
            self.object_kind,
            self.object_id,
        ]


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    id: Annotated[
        UUID,
        msgspec.Meta(
            description="The entry's id", examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"]
        ),
    ]
    at: Annotated[
        datetime,
        msgspec.Meta(
            description="When the change was made (the same transaction as the change)",
            examples=["2026-01-05T09:14:03.512Z"],
        ),
    ]
    actor_kind: Annotated[
        ActorKind,
        msgspec.Meta(
            description=(
                "Who made it: an API key, a console user (`person`), the operator's CLI, or the "
                "scheduler (`system`)"
            ),
            examples=["api_key"],
        ),
    ]
    actor_id: Annotated[
        UUID | None,
        msgspec.Meta(
            description="The key's or the person's id; null for the CLI and the scheduler",
            examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"],
        ),
    ]
    action: Annotated[
        Action,
        msgspec.Meta(description="What was done, as `object.verb`", examples=["pulse.create"]),
    ]
    object_kind: Annotated[
        ObjectKind, msgspec.Meta(description="The kind of thing changed", examples=["pulse"])
    ]
    object_id: Annotated[
        UUID | None,
        msgspec.Meta(
            description=(
                "The id of the thing changed (null for an item, named by its key in the details)"
            ),
            examples=["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"],
        ),
    ]
    details: Annotated[
        dict[str, ShownValue],
        msgspec.Meta(
            description=(
                "A few facts about the change: field names and small values such as new "
                "thresholds or a new name. Never an email, a person's name, an answer, a "
                "comment, a token or an address"
            ),
            examples=[{"name": "Engineering pulse", "k": 5, "comment_k": 10}],
        ),
    ]


class AuditPage(msgspec.Struct, frozen=True):
    items: Annotated[
        list[AuditEntry], msgspec.Meta(description="The entries of this page, newest first")
    ]
    total: Annotated[
        Count, msgspec.Meta(description="How many entries match the filters", examples=[1])
    ]
    limit: Annotated[Count, msgspec.Meta(description="The page size asked for", examples=[100])]
    offset: Annotated[
        Count,
        msgspec.Meta(description="How many matching entries come before this page", examples=[0]),
    ]


def _entry(row: asyncpg.Record) -> AuditEntry:
    return msgspec.convert(dict(row.items()), AuditEntry)


async def entries(
    conn: asyncpg.Connection | asyncpg.Pool,
    org_id: UUID,
    where: AuditFilter,
    *,
    limit: int,
    offset: int,
) -> AuditPage:
    """One page of the org's log, newest first."""
    rows = await conn.fetch(queries.AUDIT_PAGE, org_id, *where.params(), limit, offset)
    total = await conn.fetchval(queries.AUDIT_COUNT, org_id, *where.params())
    return AuditPage([_entry(r) for r in rows], total, limit, offset)
