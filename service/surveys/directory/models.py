"""The directory's bodies and parameter types: teams, people, pages of them, the import report.

Names and emails use the shared rules of service/text.py, so the API, the CSV import and the
mailer agree on what a name or an address may be.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from litestar.params import Parameter

from ...guard import NOT_ABOUT_ANSWERS
from ...text import Email, Name

__all__ = [
    "Email",
    "ImportChange",
    "ImportChanges",
    "ImportLead",
    "ImportReport",
    "Limit",
    "Locale",
    "Name",
    "Offset",
    "PersonIn",
    "PersonOut",
    "PersonPage",
    "PersonPatch",
    "TeamIn",
    "TeamMove",
    "TeamNode",
    "TeamOut",
    "TeamPage",
    "TeamRename",
    "TeamReportWith",
]

Locale = Literal["en", "nl"]
Limit = Annotated[int, Parameter(ge=1, le=500)]
Offset = Annotated[int, Parameter(ge=0, le=10_000_000)]

# --- teams -----------------------------------------------------------------------------------


class TeamIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: Name
    parent_id: UUID | None = None


class TeamRename(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: Name


class TeamMove(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    parent_id: UUID | None  # None makes the team a root


class TeamReportWith(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    # A sibling or the parent; null clears the choice (the plan's default partner applies).
    report_with: UUID | None


class TeamOut(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    parent_id: UUID | None
    archived: bool
    created_at: datetime
    # Whom the team is reported together with when it has fewer than k people (an admin's
    # choice: a sibling or the parent); None: the reporting plan's default.
    report_with: UUID | None = None


class TeamNode(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    archived: bool
    children: list[TeamNode]


class TeamPage(msgspec.Struct, frozen=True):
    items: list[TeamOut]
    total: Annotated[int, NOT_ABOUT_ANSWERS]
    limit: Annotated[int, NOT_ABOUT_ANSWERS]
    offset: Annotated[int, NOT_ABOUT_ANSWERS]


# --- people ----------------------------------------------------------------------------------


class PersonIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    email: Email
    display_name: Name
    locale: Locale = "en"
    team_id: UUID | None = None
    active: bool = True


class PersonPatch(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    email: Email | msgspec.UnsetType = msgspec.UNSET
    display_name: Name | msgspec.UnsetType = msgspec.UNSET
    locale: Locale | msgspec.UnsetType = msgspec.UNSET
    team_id: UUID | msgspec.UnsetType | None = msgspec.UNSET  # null: no team
    active: bool | msgspec.UnsetType = msgspec.UNSET


class PersonOut(msgspec.Struct, frozen=True):
    id: UUID
    email: str
    display_name: str
    locale: str
    team_id: UUID | None
    active: bool
    created_at: datetime
    updated_at: datetime


class PersonPage(msgspec.Struct, frozen=True):
    items: list[PersonOut]
    total: Annotated[int, NOT_ABOUT_ANSWERS]
    limit: Annotated[int, NOT_ABOUT_ANSWERS]
    offset: Annotated[int, NOT_ABOUT_ANSWERS]


# --- the CSV import --------------------------------------------------------------------------


class ImportReport(msgspec.Struct, frozen=True):
    dry_run: bool
    rows: Annotated[int, NOT_ABOUT_ANSWERS]
    created: Annotated[int, NOT_ABOUT_ANSWERS]
    updated: Annotated[int, NOT_ABOUT_ANSWERS]
    unchanged: Annotated[int, NOT_ABOUT_ANSWERS]
    deactivated: Annotated[
        int, NOT_ABOUT_ANSWERS
    ]  # active people who become inactive (by their row, or by absence)
    teams_created: list[str]
    # (person, team) pairs the `leads` column marks that were not leaders yet
    leaders_added: Annotated[int, NOT_ABOUT_ANSWERS] = 0


class ImportChange(msgspec.Struct, frozen=True):
    """One person a run would create, change or deactivate; `line` 0: not in the file."""

    line: Annotated[int, NOT_ABOUT_ANSWERS]
    email: str
    display_name: str
    fields: list[str]  # what changes: email, display_name, locale, team, active


class ImportLead(msgspec.Struct, frozen=True):
    line: Annotated[int, NOT_ABOUT_ANSWERS]
    email: str
    team: str  # the path (or id) as the file wrote it


class ImportChanges(msgspec.Struct, frozen=True):
    """A dry run's diff, person by person (the first DIFF_LISTED of each kind)."""

    created: list[ImportChange]
    changed: list[ImportChange]
    deactivated: list[ImportChange]
    leaders: list[ImportLead]
