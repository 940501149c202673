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
    name: Annotated[
        Name,
        msgspec.Meta(
            description=(
                "The team's name, unique among its siblings ignoring case (1-200 characters, not "
                "only spaces, no control characters)"
            ),
            examples=["Platform"],
        ),
    ]
    parent_id: Annotated[
        UUID | None,
        msgspec.Meta(
            description="The parent team; null or absent makes a root team",
            examples=["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"],
        ),
    ] = None


class TeamRename(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: Annotated[
        Name,
        msgspec.Meta(
            description=(
                "The new name, unique among the team's siblings ignoring case (1-200 characters, "
                "not only spaces, no control characters)"
            ),
            examples=["Platform & Tools"],
        ),
    ]


class TeamMove(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    parent_id: Annotated[
        UUID | None,
        msgspec.Meta(
            description=(
                "The new parent team; null makes the team a root. Not the team itself or a team "
                "below it"
            ),
            examples=["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"],
        ),
    ]  # None makes the team a root


class TeamReportWith(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    # A sibling or the parent; null clears the choice (the plan's default partner applies).
    report_with: Annotated[
        UUID | None,
        msgspec.Meta(
            description=(
                "The team to report together with while this team has fewer than k people: a "
                "sibling or the parent. Null clears the choice (the reporting plan's default "
                "partner applies)"
            ),
            examples=["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"],
        ),
    ]


class TeamOut(msgspec.Struct, frozen=True):
    id: Annotated[
        UUID,
        msgspec.Meta(
            description="The team's id", examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"]
        ),
    ]
    name: Annotated[str, msgspec.Meta(description="The team's name", examples=["Platform"])]
    parent_id: Annotated[
        UUID | None,
        msgspec.Meta(
            description="The parent team; null for a root team",
            examples=["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"],
        ),
    ]
    archived: Annotated[
        bool,
        msgspec.Meta(
            description=(
                "True once archived: it keeps its history and takes no new people or pulses"
            ),
            examples=[False],
        ),
    ]
    created_at: Annotated[
        datetime,
        msgspec.Meta(description="When the team was created", examples=["2026-11-30T09:00:00Z"]),
    ]
    # Whom the team is reported together with when it has fewer than k people (an admin's
    # choice: a sibling or the parent); None: the reporting plan's default.
    report_with: Annotated[
        UUID | None,
        msgspec.Meta(
            description=(
                "The admin's choice of whom the team is reported together with while it has "
                "fewer than k people (a sibling or the parent); null: the reporting plan's "
                "default"
            ),
            examples=[None],
        ),
    ] = None


class TeamNode(msgspec.Struct, frozen=True):
    id: Annotated[
        UUID,
        msgspec.Meta(
            description="The team's id", examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"]
        ),
    ]
    name: Annotated[str, msgspec.Meta(description="The team's name", examples=["Engineering"])]
    archived: Annotated[bool, msgspec.Meta(description="True once archived", examples=[False])]
    children: Annotated[
        list[TeamNode],
        msgspec.Meta(
            description="The teams directly below this one, each with its own children",
            examples=[[]],
        ),
    ]


class TeamPage(msgspec.Struct, frozen=True):
    items: Annotated[list[TeamOut], msgspec.Meta(description="The entries of this page")]
    total: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="How many there are in all", examples=[42]),
    ]
    limit: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="The page size asked for", examples=[100]),
    ]
    offset: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="How many come before this page", examples=[0]),
    ]


# --- people ----------------------------------------------------------------------------------


class PersonIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    email: Annotated[
        Email,
        msgspec.Meta(
            description=(
                "The person's work email, unique in the org ignoring case; an address the mailer "
                "can send to (ASCII, a dotted domain)"
            ),
            examples=["ann@example.com"],
        ),
    ]
    display_name: Annotated[
        Name,
        msgspec.Meta(
            description=(
                "The name shown to admins (1-200 characters, not only spaces, no control "
                "characters)"
            ),
            examples=["Ann de Vries"],
        ),
    ]
    locale: Annotated[
        Locale,
        msgspec.Meta(
            description="The language of the person's emails and survey pages", examples=["nl"]
        ),
    ] = "en"
    team_id: Annotated[
        UUID | None,
        msgspec.Meta(
            description="The person's team; null for none",
            examples=["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"],
        ),
    ] = None
    active: Annotated[
        bool, msgspec.Meta(description="Whether the person is invited to pulses", examples=[True])
    ] = True


class PersonPatch(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    email: Annotated[
        Email | msgspec.UnsetType,
        msgspec.Meta(
            description="A new email, unique in the org ignoring case; leave out to keep",
            examples=["ann.devries@example.com"],
        ),
    ] = msgspec.UNSET
    display_name: Annotated[
        Name | msgspec.UnsetType,
        msgspec.Meta(
            description=(
                "A new display name (1-200 characters, not only spaces, no control characters); "
                "leave out to keep"
            ),
            examples=["Ann de Vries"],
        ),
    ] = msgspec.UNSET
    locale: Annotated[
        Locale | msgspec.UnsetType,
        msgspec.Meta(
            description="A new language (`en` or `nl`); leave out to keep", examples=["en"]
        ),
    ] = msgspec.UNSET
    team_id: Annotated[
        UUID | msgspec.UnsetType | None,
        msgspec.Meta(
            description="A new team; null takes the person out of their team; leave out to keep",
            examples=["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"],
        ),
    ] = msgspec.UNSET  # null: no team
    active: Annotated[
        bool | msgspec.UnsetType,
        msgspec.Meta(
            description="Whether the person is invited to pulses; leave out to keep",
            examples=[False],
        ),
    ] = msgspec.UNSET


class PersonOut(msgspec.Struct, frozen=True):
    id: Annotated[
        UUID,
        msgspec.Meta(
            description="The person's id", examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"]
        ),
    ]
    email: Annotated[
        str, msgspec.Meta(description="The person's work email", examples=["ann@example.com"])
    ]
    display_name: Annotated[
        str, msgspec.Meta(description="The name shown to admins", examples=["Ann de Vries"])
    ]
    locale: Annotated[
        str,
        msgspec.Meta(
            description="The language of the person's emails and survey pages", examples=["nl"]
        ),
    ]
    team_id: Annotated[
        UUID | None,
        msgspec.Meta(
            description="The person's team; null for none",
            examples=["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"],
        ),
    ]
    active: Annotated[
        bool, msgspec.Meta(description="Whether the person is invited to pulses", examples=[True])
    ]
    created_at: Annotated[
        datetime,
        msgspec.Meta(description="When the person was added", examples=["2026-11-30T09:00:00Z"]),
    ]
    updated_at: Annotated[
        datetime,
        msgspec.Meta(
            description="When the person was last changed", examples=["2026-11-30T09:00:00Z"]
        ),
    ]


class PersonPage(msgspec.Struct, frozen=True):
    items: Annotated[list[PersonOut], msgspec.Meta(description="The entries of this page")]
    total: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="How many there are in all", examples=[42]),
    ]
    limit: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="The page size asked for", examples=[100]),
    ]
    offset: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="How many come before this page", examples=[0]),
    ]


# --- the CSV import --------------------------------------------------------------------------


class ImportReport(msgspec.Struct, frozen=True):
    dry_run: Annotated[
        bool,
        msgspec.Meta(
            description="True when nothing was written: the counts say what a real import would do",
            examples=[True],
        ),
    ]
    rows: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="People rows in the file", examples=[3]),
    ]
    created: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS], msgspec.Meta(description="People added", examples=[2])
    ]
    updated: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="Known people whose details changed", examples=[0]),
    ]
    unchanged: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="Known people whose row changed nothing", examples=[0]),
    ]
    deactivated: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(
            description=(
                "Active people who become inactive, by `active=false` in their row or by absence "
                "with `deactivate_missing`"
            ),
            examples=[1],
        ),
    ]  # active people who become inactive (by their row, or by absence)
    teams_created: Annotated[
        list[str],
        msgspec.Meta(
            description="Team paths created because the file named them",
            examples=[["Engineering", "Engineering/Platform"]],
        ),
    ]
    # (person, team) pairs the `leads` column marks that were not leaders yet
    leaders_added: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(
            description="Leader roles the `leads` column adds (pairs of person and team)",
            examples=[1],
        ),
    ] = 0


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
