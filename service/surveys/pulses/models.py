"""The pulses slice's bodies and types: items and instruments, pulses, planned waves, and the
format of the built-in bank's files.

Names and texts people read use the shared rules of service/text.py (no control characters).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from ...guard import NOT_ABOUT_ANSWERS
from ...guard.preview import PreviewGroup, Said
from ...text import VISIBLE_TEXT_PATTERN, Name, Text

K_FLOOR = 3  # no pulse may publish a number resting on fewer respondents than this

KEY_PATTERN = r"^[a-z0-9][a-z0-9_.-]{1,63}$"
ItemKey = Annotated[str, msgspec.Meta(pattern=KEY_PATTERN)]
Dimension = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{1,47}$")]
InstrumentName = Annotated[
    str, msgspec.Meta(min_length=1, max_length=100, pattern=VISIBLE_TEXT_PATTERN)
]
ScaleMin = Annotated[int, msgspec.Meta(ge=0, le=10)]
ScaleMax = Annotated[int, msgspec.Meta(ge=1, le=11)]
Cadence = Literal["weekly", "every_n_weeks", "monthly"]

TeamIds = Annotated[list[UUID], msgspec.Meta(min_length=1, max_length=100)]
CoreItems = Annotated[list[ItemKey], msgspec.Meta(min_length=1, max_length=7)]
RotatingItems = Annotated[list[ItemKey], msgspec.Meta(max_length=200)]
ItemsPerWave = Annotated[int, msgspec.Meta(ge=3, le=7)]
CadenceWeeks = Annotated[int, msgspec.Meta(ge=1, le=26)]
OpenDays = Annotated[int, msgspec.Meta(ge=1, le=28)]
K = Annotated[int, msgspec.Meta(ge=K_FLOOR, le=100)]
CommentK = Annotated[int, msgspec.Meta(ge=K_FLOOR, le=1000)]
ReminderDays = Annotated[
    list[Annotated[int, msgspec.Meta(ge=1, le=27)]], msgspec.Meta(max_length=5)
]

# --- items -----------------------------------------------------------------------------------


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
    scale_min: Annotated[int, NOT_ABOUT_ANSWERS]
    scale_max: Annotated[int, NOT_ABOUT_ANSWERS]
    reverse: bool
    texts: dict[str, str]
    instrument: str
    source: str
    retired: bool
    core: bool  # the built-in bank's suggested core item for its dimension
    created_at: datetime


class BankItem(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One `[[item]]` of a built-in bank file (bank.py)."""

    key: ItemKey
    dimension: Dimension
    texts: dict[str, str]
    reverse: bool = False
    scale_min: int = 1
    scale_max: int = 7
    core: bool = False  # the stable item asked in every wave for its dimension


class BankFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    item: list[BankItem]


# --- pulses ----------------------------------------------------------------------------------


class PulseIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    name: Name
    team_ids: TeamIds
    # Omitted: the built-in core items, and the other built-in items of their dimensions.
    core_items: CoreItems | None = None
    rotating_items: RotatingItems | None = None
    items_per_wave: ItemsPerWave = 5
    cadence: Cadence = "every_n_weeks"
    # Omitted: 2 for every_n_weeks, else 1.
    cadence_weeks: CadenceWeeks | None = None
    open_days: OpenDays = 7
    k: K = 5
    comment_k: CommentK = 10
    # Omitted: days 3 and 5 of the window, those that fall inside it.
    reminder_days: ReminderDays | None = None
    starts_at: datetime | None = None  # default: now
    # Go ahead although some invitees are already in another active pulse (else a 409).
    allow_overlap: bool = False


class PulsePatch(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Only the fields sent change; the result is checked as a whole, like a new pulse."""

    name: Name | None = None
    team_ids: TeamIds | None = None
    core_items: CoreItems | None = None
    rotating_items: RotatingItems | None = None
    items_per_wave: ItemsPerWave | None = None
    cadence: Cadence | None = None
    cadence_weeks: CadenceWeeks | None = None
    open_days: OpenDays | None = None
    k: K | None = None
    comment_k: CommentK | None = None
    reminder_days: ReminderDays | None = None
    starts_at: datetime | None = None
    # Go ahead although the new teams reach people already in another active pulse.
    allow_overlap: bool = False


class PulseActivate(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """The optional body of resuming a pulse."""

    allow_overlap: bool = False


class PulseOut(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    name: str
    team_ids: list[UUID]
    core_items: list[str]
    rotating_items: list[str]
    items_per_wave: Annotated[int, NOT_ABOUT_ANSWERS]
    cadence: Cadence
    cadence_weeks: Annotated[int, NOT_ABOUT_ANSWERS]
    open_days: Annotated[int, NOT_ABOUT_ANSWERS]
    k: Annotated[int, NOT_ABOUT_ANSWERS]
    comment_k: Annotated[int, NOT_ABOUT_ANSWERS]
    reminder_days: list[Annotated[int, NOT_ABOUT_ANSWERS]]
    starts_at: datetime
    next_wave_at: datetime | None
    active: bool
    created_at: datetime


class PulseSaved(PulseOut, frozen=True, kw_only=True):
    """A created or changed pulse, with what an admin should know about its groups (teams
    that can never be reported, choices that no longer fit). Saved either way."""

    warnings: list[str]


class PulsePreview(msgspec.Struct, frozen=True, kw_only=True):
    """The groups the next wave would report, from today's tree, people and choices."""

    pulse_id: UUID
    k: Annotated[int, NOT_ABOUT_ANSWERS]
    invited: Annotated[int, NOT_ABOUT_ANSWERS]  # people the wave would invite, in total
    groups: list[PreviewGroup]  # never first, then pooled, then on their own
    warnings: list[str]


class Overlap(msgspec.Struct, frozen=True, kw_only=True):
    """Another active pulse that would invite some of the same people."""

    pulse_id: UUID
    name: str
    people: Annotated[int, NOT_ABOUT_ANSWERS]  # people both pulses would invite


class TeamInvited(msgspec.Struct, frozen=True, kw_only=True):
    team_id: UUID
    parent_id: UUID | None  # None for a subtree root of the pulse
    name: str
    invited: Annotated[int, NOT_ABOUT_ANSWERS]  # its own active, not opted-out members


class DraftPreview(msgspec.Struct, frozen=True, kw_only=True):
    """What a pulse body would do if it were saved now: who is invited (per team), the
    groups its next wave would report and why, the teams that could never report, the people
    already in another active pulse, and when its first wave would open."""

    k: Annotated[int, NOT_ABOUT_ANSWERS]
    comment_k: Annotated[int, NOT_ABOUT_ANSWERS]
    invited: Annotated[int, NOT_ABOUT_ANSWERS]
    teams: list[TeamInvited]  # the pulse's live teams, parents before their children
    groups: list[PreviewGroup]  # never first, then pooled, then on their own
    never: list[str]  # names of the teams whose answers could never be reported
    overlap: list[Overlap]
    first_wave_at: datetime
    warnings: list[str]
    notes: list[Said] = []  # each warning as a code and values (for pages in other languages)


class ScheduledWave(msgspec.Struct, frozen=True):
    seq: Annotated[int, NOT_ABOUT_ANSWERS]
    opens_at: datetime
    item_keys: list[str]
