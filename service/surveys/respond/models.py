"""The respondent path's types: an invitation as the page shows it, the form the page and the
JSON twin show, the JSON twin's bodies, and the outcome of a submission."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

from ...guard import NOT_ABOUT_ANSWERS

COMMENT_MAX = 2000


class Invitation(msgspec.Struct, frozen=True):
    org_id: UUID
    wave_id: UUID
    team_id: UUID
    responded: bool
    is_open: bool
    k: int
    comment_k: int
    locale: str
    items: list[dict[str, Any]]  # {"key", "texts", "min", "max"} in the wave's order
    # The group the answers count toward, from the wave's frozen plan (None: a wave opened
    # before plans were frozen at open): its name, people invited, whether pooled, and the
    # other teams of a pooled group ({"name", "parent": a team whose own members are meant}).
    group_name: str | None = None
    group_invited: int | None = None
    group_pooled: bool = False
    group_partners: list[dict[str, Any]] = []


class Choice(msgspec.Struct, frozen=True):
    value: Annotated[int, NOT_ABOUT_ANSWERS]  # a point of the item's scale
    label: str


class FormItem(msgspec.Struct, frozen=True):
    key: str
    text: str  # in the form's language
    choices: list[Choice]


class AnswerGroup(msgspec.Struct, frozen=True):
    """The group a person's answers count toward, as the wave froze it when it opened."""

    name: str
    pooled: bool  # the person's team is reported together with other teams
    together_with: list[str]  # those other teams
    # The count of people invited to the group: design.md wants the person to see it, as their
    # defence (how many others their answer is mixed with); it says nothing about answers.
    invited: Annotated[int, NOT_ABOUT_ANSWERS]
    text: str  # the sentence the page shows, in the form's language


class RespondForm(msgspec.Struct, frozen=True, kw_only=True):
    """What the survey page renders and what GET /api/v1/respond/{token} returns."""

    lang: str
    items: list[FormItem]
    group: AnswerGroup | None  # None for a wave opened before groups were frozen at open
    k: Annotated[int, NOT_ABOUT_ANSWERS]
    comment_k: Annotated[int, NOT_ABOUT_ANSWERS]
    comment_max: Annotated[int, NOT_ABOUT_ANSWERS] = COMMENT_MAX


# Wide enough for any scale; whether a value fits its item is the submission's rule.
AnswerValue = Annotated[int, msgspec.Meta(ge=-100, le=100)]


class RespondIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    answers: Annotated[dict[str, AnswerValue], msgspec.Meta(max_length=20)]
    comment: Annotated[str, msgspec.Meta(max_length=COMMENT_MAX)] | None = None


class RespondOut(msgspec.Struct, frozen=True):
    status: str = "recorded"


# stored: the ballot is in the box. unavailable: unknown or used token (never told apart).
# closed: the wave no longer takes answers (used or not). invalid: see `errors`.
Status = Literal["stored", "unavailable", "closed", "invalid"]


class Outcome(msgspec.Struct, frozen=True):
    """What became of a submission, and why when it was refused."""

    status: Status
    # {item key or "comment": error code (the i18n key)}; only for "invalid".
    errors: dict[str, str] = {}
