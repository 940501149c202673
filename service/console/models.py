"""The view Structs the console's pages render; each page route names its Struct in opt["view"].

Every number in them is a guard Struct (`Cell`, `Participation`, `stats.Interval`) or carries a
guard marker saying what it is (tests/test_guard_is_the_only_way_out.py walks them). Words
(reasons, change calls, bands) are already in the reader's language.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

import msgspec

from .. import guard
from ..guard import Cell, Participation, stats

Delta = Annotated[float | None, guard.DERIVED]  # change of two released cells


class Page(msgspec.Struct, frozen=True):
    """What every signed-in page shows around its content."""

    lang: str
    person: str
    org: str
    csrf: str
    here: str  # this page's path (the language switch returns to it)
    nav: str  # which menu entry is current
    is_admin: bool = False  # shows the admin section in the menu


class DimensionLatest(msgspec.Struct, frozen=True):
    key: str
    name: str
    cell: Cell
    reason: str | None  # why the cell is hidden, in words
    change: stats.Change | None
    change_words: str | None
    delta: Delta


class TeamCard(msgspec.Struct, frozen=True):
    team_id: UUID
    name: str
    has_children: bool
    closed_on: date | None
    dimensions: list[DimensionLatest]
    participation: Participation | None
    participation_words: str | None
    group_reason: str | None  # the whole group hidden in the latest round
    open_closes_on: date | None
    next_round_on: date | None
    group: str | None = None  # the pooled group of the latest round ("Data & Design")


class MyTeamsView(msgspec.Struct, frozen=True):
    page: Page
    admin: bool
    teams: list[TeamCard]


class TrendRow(msgspec.Struct, frozen=True):
    wave_id: UUID
    closed_on: date
    cell: Cell
    reason: str | None
    change: stats.Change | None
    change_words: str | None
    delta: Delta


class DimensionTrend(msgspec.Struct, frozen=True):
    key: str
    name: str
    svg: str
    rows: list[TrendRow]


class WaveRow(msgspec.Struct, frozen=True):
    wave_id: UUID
    closed_on: date
    respondents: Annotated[int | None, guard.DERIVED]  # guard.release_count, via the trend
    participation: Participation
    participation_words: str | None
    reason: str | None
    group: str | None = None  # the pooled group this round reported, if any


class FocusEntry(msgspec.Struct, frozen=True):
    dimension: str
    name: str
    try_text: str
    agreed_on: date
    shown_on_widget: bool


class CommentsView(msgspec.Struct, frozen=True):
    closed_on: date
    shown: bool
    comments: list[str]
    note: str | None


class Suggestion(msgspec.Struct, frozen=True):
    dimension: str
    name: str
    why: str


class TeamHeader(msgspec.Struct, frozen=True):
    team_id: UUID
    name: str
    has_children: bool
    closed_on: date | None
    open_closes_on: date | None
    next_round_on: date | None
    # "Reported together as “Data & Design”" and why, when the latest round pooled the team.
    group_note: str | None = None


class TeamPageView(msgspec.Struct, frozen=True):
    page: Page
    team: TeamHeader
    dimensions: list[DimensionTrend]
    waves: list[WaveRow]
    suggestion: Suggestion | None
    comments: CommentsView | None
    focus: list[FocusEntry]


class ItemCell(msgspec.Struct, frozen=True):
    cell: Cell
    reason: str | None


class ItemRow(msgspec.Struct, frozen=True):
    key: str
    wording: str
    dimension: str
    cells: list[ItemCell]  # one per round, oldest first
    change: stats.Change | None
    change_words: str | None
    delta: Delta


class ItemsView(msgspec.Struct, frozen=True):
    page: Page
    team: TeamHeader
    rounds: list[date]
    items: list[ItemRow]


class GuideView(msgspec.Struct, frozen=True):
    dimension: str
    name: str
    why: str
    questions: list[str]


class TalkView(msgspec.Struct, frozen=True):
    page: Page
    team: TeamHeader
    suggestion: Suggestion | None
    guide: GuideView | None
    others: list[GuideView]


class FocusForm(msgspec.Struct, frozen=True):
    dimension: str = ""
    try_text: str = ""
    agreed_on: str = ""
    show_on_widget: bool = False


class FocusView(msgspec.Struct, frozen=True):
    page: Page
    team: TeamHeader
    dimensions: list[tuple[str, str]]  # (key, name)
    form: FocusForm
    errors: dict[str, str]
    saved: bool
    history: list[FocusEntry]


class HeatCell(msgspec.Struct, frozen=True):
    dimension: str
    cell: Cell
    shade: Annotated[int, guard.DERIVED]  # 0-9 colour step of the published score
    reason: str | None
    change: stats.Change | None
    change_words: str | None
    delta: Delta


class HeatRow(msgspec.Struct, frozen=True):
    team_id: UUID
    name: str
    depth: guard.Meta  # indentation in the tree
    cells: list[HeatCell]
    participation: Participation
    participation_words: str | None
    reason: str | None
    group: str | None = None  # the pooled group the row reports ("Data & Design"), if any


class RoundOption(msgspec.Struct, frozen=True):
    wave_id: UUID
    closed_on: date


class HeatmapView(msgspec.Struct, frozen=True):
    page: Page
    rounds: list[RoundOption]
    wave_id: UUID | None
    closed_on: date | None
    dimensions: list[tuple[str, str]]
    rows: list[HeatRow]
    total: guard.Meta
    limit: guard.Meta
    offset: guard.Meta


class SettingsView(msgspec.Struct, frozen=True):
    page: Page
    results_mail: bool
    saved: bool
