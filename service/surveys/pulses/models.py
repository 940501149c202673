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
    en: Annotated[
        Text,
        msgspec.Meta(
            description="The item's wording in English",
            examples=["I can take a risk in this team without fear of how others will react."],
        ),
    ]
    nl: Annotated[
        Text,
        msgspec.Meta(
            description="The item's wording in Dutch",
            examples=["Ik kan in dit team een risico nemen zonder bang te zijn voor de reacties."],
        ),
    ]


class InstrumentItem(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    key: Annotated[
        ItemKey,
        msgspec.Meta(
            description=(
                "The item's key: lowercase `a-z 0-9 . _ -`, stable forever, not starting with a "
                "built-in prefix (`ps.`, `su.`, `tr.`, `le.`)"
            ),
            examples=["ocs.voice"],
        ),
    ]
    dimension: Annotated[
        Dimension,
        msgspec.Meta(
            description=(
                "The dimension the item measures: a built-in one (`psychological_safety`, "
                "`speaking_up`, `trust`, `learning`) or the org's own"
            ),
            examples=["climate"],
        ),
    ]
    texts: Annotated[
        Texts, msgspec.Meta(description="The item's wording in English and Dutch (both required)")
    ]
    scale_min: Annotated[
        ScaleMin, msgspec.Meta(description="The lowest point of the answer scale", examples=[1])
    ] = 1
    scale_max: Annotated[
        ScaleMax,
        msgspec.Meta(
            description="The highest point of the answer scale (2 to 11 points in all)",
            examples=[5],
        ),
    ] = 7
    reverse: Annotated[
        bool,
        msgspec.Meta(
            description=(
                "True when agreeing is the unfavourable answer: the item is flipped before scoring"
            ),
            examples=[False],
        ),
    ] = False


class ItemIn(InstrumentItem, forbid_unknown_fields=True, frozen=True, kw_only=True):
    instrument: Annotated[
        InstrumentName,
        msgspec.Meta(description="The instrument the item belongs to", examples=["custom"]),
    ] = "custom"


class InstrumentIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: Annotated[
        InstrumentName,
        msgspec.Meta(
            description="The instrument's name, e.g. a licensed scale's",
            examples=["Our licensed climate scale"],
        ),
    ]
    items: Annotated[
        Annotated[list[InstrumentItem], msgspec.Meta(min_length=1, max_length=100)],
        msgspec.Meta(description="The instrument's items (1 to 100), added all or nothing"),
    ]


class ItemOut(msgspec.Struct, frozen=True, kw_only=True):
    key: Annotated[str, msgspec.Meta(description="The item's key", examples=["ps.risk"])]
    dimension: Annotated[
        str,
        msgspec.Meta(description="The dimension it measures", examples=["psychological_safety"]),
    ]
    scale_min: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="The lowest point of the answer scale", examples=[1]),
    ]
    scale_max: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="The highest point of the answer scale", examples=[7]),
    ]
    reverse: Annotated[
        bool,
        msgspec.Meta(
            description="True when agreeing is the unfavourable answer (flipped before scoring)",
            examples=[False],
        ),
    ]
    texts: Annotated[
        dict[str, str],
        msgspec.Meta(
            description="The wording by language (`en`, `nl`)",
            examples=[
                {
                    "en": "I can take a risk in this team.",
                    "nl": "Ik kan in dit team een risico nemen.",
                }
            ],
        ),
    ]
    instrument: Annotated[
        str, msgspec.Meta(description="The instrument it belongs to", examples=["candor"])
    ]
    source: Annotated[
        str,
        msgspec.Meta(
            description="`builtin` for Candor's own bank, `org` for the org's own items",
            examples=["builtin"],
        ),
    ]
    retired: Annotated[
        bool,
        msgspec.Meta(
            description="True once retired: no new pulse may ask it, past results stay readable",
            examples=[False],
        ),
    ]
    core: Annotated[
        bool,
        msgspec.Meta(
            description=(
                "True for the built-in bank's core item of its dimension, asked in every wave so "
                "trends stay comparable"
            ),
            examples=[True],
        ),
    ]  # the built-in bank's suggested core item for its dimension
    created_at: Annotated[
        datetime,
        msgspec.Meta(description="When the item was added", examples=["2026-11-30T09:00:00Z"]),
    ]


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
    name: Annotated[
        Name,
        msgspec.Meta(
            description=(
                "The pulse's name (1-200 characters, not only spaces, no control characters)"
            ),
            examples=["Engineering pulse"],
        ),
    ]
    team_ids: Annotated[
        TeamIds,
        msgspec.Meta(
            description=(
                "The teams the pulse reaches, each with every team below it; live teams of the "
                "org whose subtrees do not overlap (1 to 100)"
            ),
            examples=[["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"]],
        ),
    ]
    # Omitted: the built-in core items, and the other built-in items of their dimensions.
    core_items: Annotated[
        CoreItems | None,
        msgspec.Meta(
            description=(
                "Items asked in every wave, one per dimension; null or absent: the built-in core "
                "items"
            ),
            examples=[["ps.risk", "su.disagree", "tr.reliable", "le.look_back"]],
        ),
    ] = None
    rotating_items: Annotated[
        RotatingItems | None,
        msgspec.Meta(
            description=(
                "Items that take turns in the remaining places; null or absent: the other "
                "built-in items of the core items' dimensions"
            ),
            examples=[["ps.mistakes", "ps.help", "su.silence", "tr.fair", "le.feedback"]],
        ),
    ] = None
    items_per_wave: Annotated[
        ItemsPerWave,
        msgspec.Meta(
            description="Items in each wave (3 to 7): every core item plus rotating ones",
            examples=[6],
        ),
    ] = 5
    cadence: Annotated[
        Cadence, msgspec.Meta(description="How often a wave opens", examples=["every_n_weeks"])
    ] = "every_n_weeks"
    # Omitted: 2 for every_n_weeks, else 1.
    cadence_weeks: Annotated[
        CadenceWeeks | None,
        msgspec.Meta(
            description="For `every_n_weeks`, the weeks between waves (2 to 26); null or absent: 2",
            examples=[2],
        ),
    ] = None
    open_days: Annotated[
        OpenDays,
        msgspec.Meta(
            description="Days a wave stays open (1 to 28), not longer than the cadence",
            examples=[7],
        ),
    ] = 7
    k: Annotated[
        K,
        msgspec.Meta(
            description=(
                "The fewest respondents behind any published number: 3 or more, and at least the "
                "org's floor (422 below it)"
            ),
            examples=[5],
        ),
    ] = 5
    comment_k: Annotated[
        CommentK,
        msgspec.Meta(
            description=(
                "The fewest responses before a group's comments are shown: at least `k` and the "
                "org's comment floor"
            ),
            examples=[10],
        ),
    ] = 10
    # Omitted: days 3 and 5 of the window, those that fall inside it.
    reminder_days: Annotated[
        ReminderDays | None,
        msgspec.Meta(
            description=(
                "Days after a wave opens on which people who have not answered get a reminder, "
                "each inside the open window; null or absent: days 3 and 5 where they fit"
            ),
            examples=[[3, 5]],
        ),
    ] = None
    starts_at: Annotated[
        datetime | None,
        msgspec.Meta(
            description="When the first wave opens, with a time zone; null or absent: now",
            examples=["2026-01-05T09:00:00+01:00"],
        ),
    ] = None  # default: now
    # Go ahead although some invitees are already in another active pulse (else a 409).
    allow_overlap: Annotated[
        bool,
        msgspec.Meta(
            description=(
                "Go ahead although some of the people it would invite are already in another "
                "active pulse of the org (otherwise 409)"
            ),
            examples=[False],
        ),
    ] = False


class PulsePatch(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Only the fields sent change; the result is checked as a whole, like a new pulse."""

    name: Annotated[
        Name | None,
        msgspec.Meta(
            description=(
                "The pulse's name (1-200 characters, not only spaces, no control characters); "
                "leave out to keep"
            ),
            examples=["Engineering pulse"],
        ),
    ] = None
    team_ids: Annotated[
        TeamIds | None,
        msgspec.Meta(
            description=(
                "The teams the pulse reaches, each with every team below it; live teams of the "
                "org whose subtrees do not overlap (1 to 100); leave out to keep"
            ),
            examples=[["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"]],
        ),
    ] = None
    core_items: Annotated[
        CoreItems | None,
        msgspec.Meta(
            description=(
                "Items asked in every wave, one per dimension; null or absent: the built-in core "
                "items; leave out to keep"
            ),
            examples=[["ps.risk", "su.disagree", "tr.reliable", "le.look_back"]],
        ),
    ] = None
    rotating_items: Annotated[
        RotatingItems | None,
        msgspec.Meta(
            description=(
                "Items that take turns in the remaining places; null or absent: the other "
                "built-in items of the core items' dimensions; leave out to keep"
            ),
            examples=[["ps.mistakes", "ps.help", "su.silence", "tr.fair", "le.feedback"]],
        ),
    ] = None
    items_per_wave: Annotated[
        ItemsPerWave | None,
        msgspec.Meta(
            description=(
                "Items in each wave (3 to 7): every core item plus rotating ones; leave out to keep"
            ),
            examples=[6],
        ),
    ] = None
    cadence: Annotated[
        Cadence | None,
        msgspec.Meta(
            description="How often a wave opens; leave out to keep", examples=["every_n_weeks"]
        ),
    ] = None
    cadence_weeks: Annotated[
        CadenceWeeks | None,
        msgspec.Meta(
            description=(
                "For `every_n_weeks`, the weeks between waves (2 to 26); null or absent: 2; "
                "leave out to keep"
            ),
            examples=[2],
        ),
    ] = None
    open_days: Annotated[
        OpenDays | None,
        msgspec.Meta(
            description=(
                "Days a wave stays open (1 to 28), not longer than the cadence; leave out to keep"
            ),
            examples=[7],
        ),
    ] = None
    k: Annotated[
        K | None,
        msgspec.Meta(
            description=(
                "The fewest respondents behind any published number: 3 or more, and at least the "
                "org's floor (422 below it); leave out to keep"
            ),
            examples=[5],
        ),
    ] = None
    comment_k: Annotated[
        CommentK | None,
        msgspec.Meta(
            description=(
                "The fewest responses before a group's comments are shown: at least `k` and the "
                "org's comment floor; leave out to keep"
            ),
            examples=[10],
        ),
    ] = None
    reminder_days: Annotated[
        ReminderDays | None,
        msgspec.Meta(
            description=(
                "Days after a wave opens on which people who have not answered get a reminder, "
                "each inside the open window; null or absent: days 3 and 5 where they fit; leave "
                "out to keep"
            ),
            examples=[[3, 5]],
        ),
    ] = None
    starts_at: Annotated[
        datetime | None,
        msgspec.Meta(
            description=(
                "When the first wave opens, with a time zone; null or absent: now; leave out to "
                "keep"
            ),
            examples=["2026-01-05T09:00:00+01:00"],
        ),
    ] = None
    # Go ahead although the new teams reach people already in another active pulse.
    allow_overlap: Annotated[
        bool,
        msgspec.Meta(
            description=(
                "Go ahead although new teams reach people already in another active pulse of the "
                "org (otherwise 409)"
            ),
            examples=[False],
        ),
    ] = False


class PulseActivate(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """The optional body of resuming a pulse."""

    allow_overlap: Annotated[
        bool,
        msgspec.Meta(
            description=(
                "Go ahead although some of the people it would invite are already in another "
                "active pulse of the org (otherwise 409)"
            ),
            examples=[False],
        ),
    ] = False


class PulseOut(msgspec.Struct, frozen=True, kw_only=True):
    id: Annotated[
        UUID,
        msgspec.Meta(
            description="The pulse's id", examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"]
        ),
    ]
    name: Annotated[
        str, msgspec.Meta(description="The pulse's name", examples=["Engineering pulse"])
    ]
    team_ids: Annotated[
        list[UUID],
        msgspec.Meta(
            description="The teams the pulse reaches (each with every team below it)",
            examples=[["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"]],
        ),
    ]
    core_items: Annotated[
        list[str],
        msgspec.Meta(
            description="Items asked in every wave",
            examples=[["ps.risk", "su.disagree", "tr.reliable", "le.look_back"]],
        ),
    ]
    rotating_items: Annotated[
        list[str],
        msgspec.Meta(
            description="Items that take turns in the remaining places",
            examples=[["ps.mistakes", "ps.help", "su.silence"]],
        ),
    ]
    items_per_wave: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="Items in each wave", examples=[6]),
    ]
    cadence: Annotated[
        Cadence, msgspec.Meta(description="How often a wave opens", examples=["every_n_weeks"])
    ]
    cadence_weeks: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="Weeks between waves (for `every_n_weeks`)", examples=[2]),
    ]
    open_days: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="Days a wave stays open", examples=[7]),
    ]
    k: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(
            description="The fewest respondents behind any published number", examples=[5]
        ),
    ]
    comment_k: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(
            description="The fewest responses before a group's comments are shown", examples=[10]
        ),
    ]
    reminder_days: Annotated[
        list[Annotated[int, NOT_ABOUT_ANSWERS]],
        msgspec.Meta(description="Days after opening on which reminders go out", examples=[[3, 5]]),
    ]
    starts_at: Annotated[
        datetime,
        msgspec.Meta(
            description="When the first wave opened or opens", examples=["2026-01-05T08:00:00Z"]
        ),
    ]
    next_wave_at: Annotated[
        datetime | None,
        msgspec.Meta(
            description=(
                "When the scheduler opens the next wave; null when none is due (an inactive pulse)"
            ),
            examples=["2026-01-19T08:00:00Z"],
        ),
    ]
    active: Annotated[
        bool, msgspec.Meta(description="Whether the pulse opens waves", examples=[True])
    ]
    created_at: Annotated[
        datetime,
        msgspec.Meta(description="When the pulse was created", examples=["2026-11-30T09:00:00Z"]),
    ]


class PulseSaved(PulseOut, frozen=True, kw_only=True):
    """A created or changed pulse, with what an admin should know about its groups (teams
    that can never be reported, choices that no longer fit). Saved either way."""

    warnings: Annotated[
        list[str],
        msgspec.Meta(
            description=(
                "What an admin should know, in words: groups that can never be reported, choices "
                "that do not fit the pulse's tree, nobody to invite. The pulse is saved either "
                "way"
            ),
            examples=[
                [
                    (
                        "Design and its 3 people can never be reported: the pulse reaches only 3 "
                        "people (fewer than 5)."
                    )
                ]
            ],
        ),
    ]


class PulsePreview(msgspec.Struct, frozen=True, kw_only=True):
    """The groups the next wave would report, from today's tree, people and choices."""

    pulse_id: Annotated[
        UUID,
        msgspec.Meta(description="The pulse", examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"]),
    ]
    k: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(
            description="The pulse's k: the fewest people a group needs to report", examples=[5]
        ),
    ]
    invited: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(
            description="People the next wave would invite, in total (active, not opted out)",
            examples=[49],
        ),
    ]  # people the wave would invite, in total
    groups: Annotated[
        list[PreviewGroup],
        msgspec.Meta(
            description=(
                "The groups the next wave would report: those that can never report first, then "
                "pooled ones, then teams on their own"
            )
        ),
    ]  # never first, then pooled, then on their own
    warnings: Annotated[
        list[str], msgspec.Meta(description="The same warnings a save gives", examples=[[]])
    ]


class Overlap(msgspec.Struct, frozen=True, kw_only=True):
    """Another active pulse that would invite some of the same people."""

    pulse_id: Annotated[
        UUID,
        msgspec.Meta(
            description="The other active pulse", examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"]
        ),
    ]
    name: Annotated[str, msgspec.Meta(description="Its name", examples=["Sales pulse"])]
    people: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="People both pulses would invite", examples=[4]),
    ]  # people both pulses would invite


class TeamInvited(msgspec.Struct, frozen=True, kw_only=True):
    team_id: Annotated[
        UUID,
        msgspec.Meta(
            description="A live team the pulse would reach",
            examples=["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"],
        ),
    ]
    parent_id: Annotated[
        UUID | None,
        msgspec.Meta(
            description="Its parent; null for a root of one of the pulse's subtrees",
            examples=[None],
        ),
    ]  # None for a subtree root of the pulse
    name: Annotated[str, msgspec.Meta(description="Its name", examples=["Platform"])]
    invited: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(
            description="Its own members the pulse would invite (active, not opted out)",
            examples=[11],
        ),
    ]  # its own active, not opted-out members


class DraftPreview(msgspec.Struct, frozen=True, kw_only=True):
    """What a pulse body would do if it were saved now: who is invited (per team), the
    groups its next wave would report and why, the teams that could never report, the people
    already in another active pulse, and when its first wave would open."""

    k: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="The k the body asks for", examples=[5]),
    ]
    comment_k: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="The comment threshold the body asks for", examples=[10]),
    ]
    invited: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="People the pulse would invite, in total", examples=[49]),
    ]
    teams: Annotated[
        list[TeamInvited],
        msgspec.Meta(
            description=(
                "The pulse's live teams, parents before their children, with who each would invite"
            )
        ),
    ]  # the pulse's live teams, parents before their children
    groups: Annotated[
        list[PreviewGroup],
        msgspec.Meta(
            description=(
                "The groups its next wave would report: those that can never report first, then "
                "pooled ones, then teams on their own"
            )
        ),
    ]  # never first, then pooled, then on their own
    never: Annotated[
        list[str],
        msgspec.Meta(
            description="Names of the teams whose answers could never be reported",
            examples=[["Design"]],
        ),
    ]  # names of the teams whose answers could never be reported
    overlap: Annotated[
        list[Overlap],
        msgspec.Meta(description="Other active pulses that already invite some of the same people"),
    ]
    first_wave_at: Annotated[
        datetime,
        msgspec.Meta(
            description="When the first wave would open", examples=["2026-01-05T08:00:00Z"]
        ),
    ]
    warnings: Annotated[
        list[str],
        msgspec.Meta(
            description="What an admin should know, in words, as a save would say it", examples=[[]]
        ),
    ]
    notes: Annotated[
        list[Said],
        msgspec.Meta(
            description="Each warning as a code and the values its words need, in the same order"
        ),
    ] = []


class ScheduledWave(msgspec.Struct, frozen=True):
    seq: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="The wave's number within the pulse", examples=[3]),
    ]
    opens_at: Annotated[
        datetime, msgspec.Meta(description="When it opens", examples=["2026-01-19T08:00:00Z"])
    ]
    item_keys: Annotated[
        list[str],
        msgspec.Meta(
            description="The items it asks: every core item and this wave's rotating ones",
            examples=[
                ["ps.risk", "su.disagree", "tr.reliable", "le.look_back", "ps.help", "su.silence"]
            ],
        ),
    ]
