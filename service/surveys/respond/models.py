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
    value: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="A point of the item's scale", examples=[5]),
    ]  # a point of the item's scale
    label: Annotated[
        str,
        msgspec.Meta(
            description="What the point means, in the form's language", examples=["Agree"]
        ),
    ]


class FormItem(msgspec.Struct, frozen=True):
    key: Annotated[
        str, msgspec.Meta(description="The item's key (the answer's name)", examples=["ps.risk"])
    ]
    text: Annotated[
        str,
        msgspec.Meta(
            description="The item's wording in the form's language",
            examples=["I can take a risk in this team without fear of how others will react."],
        ),
    ]  # in the form's language
    choices: Annotated[
        list[Choice], msgspec.Meta(description="The points of its scale, lowest first")
    ]


class AnswerGroup(msgspec.Struct, frozen=True):
    """The group a person's answers count toward, as the wave froze it when it opened."""

    name: Annotated[
        str,
        msgspec.Meta(description="The group the answers count toward", examples=["Data & Design"]),
    ]
    pooled: Annotated[
        bool,
        msgspec.Meta(
            description="True when the person's team is reported together with other teams",
            examples=[True],
        ),
    ]  # the person's team is reported together with other teams
    together_with: Annotated[
        list[str], msgspec.Meta(description="Those other teams", examples=[["Design"]])
    ]  # those other teams
    # The count of people invited to the group: design.md wants the person to see it, as their
    # defence (how many others their answer is mixed with); it says nothing about answers.
    invited: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(
            description="People invited to the group: how many others an answer is mixed with",
            examples=[10],
        ),
    ]
    text: Annotated[
        str,
        msgspec.Meta(
            description="The same as a sentence in the form's language",
            examples=["Your answers count toward Data & Design, 10 people invited."],
        ),
    ]  # the sentence the page shows, in the form's language


class RespondForm(msgspec.Struct, frozen=True, kw_only=True):
    """What the survey page renders and what GET /api/v1/respond/{token} returns."""

    lang: Annotated[str, msgspec.Meta(description="The language of the texts", examples=["en"])]
    items: Annotated[
        list[FormItem], msgspec.Meta(description="The items to answer, in the wave's order")
    ]
    group: Annotated[
        AnswerGroup | None,
        msgspec.Meta(
            description=(
                "The group the answers count toward; null for a wave opened before groups were "
                "frozen at open"
            )
        ),
    ]  # None for a wave opened before groups were frozen at open
    k: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(
            description="Numbers are published only for groups of at least this many respondents",
            examples=[5],
        ),
    ]
    comment_k: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(
            description="Comments are shown only for groups of at least this many responses",
            examples=[10],
        ),
    ]
    comment_max: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="The longest comment accepted, in characters", examples=[2000]),
    ] = COMMENT_MAX


# Wide enough for any scale; whether a value fits its item is the submission's rule.
AnswerValue = Annotated[int, msgspec.Meta(ge=-100, le=100)]


class RespondIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    answers: Annotated[dict[str, AnswerValue], msgspec.Meta(max_length=20)]
    comment: Annotated[str, msgspec.Meta(max_length=COMMENT_MAX)] | None = None


class RespondOut(msgspec.Struct, frozen=True):
    status: Annotated[
        str,
        msgspec.Meta(description="`recorded` when the answers are stored", examples=["recorded"]),
    ] = "recorded"


# stored: the ballot is in the box. unavailable: unknown or used token (never told apart).
# closed: the wave no longer takes answers (used or not). invalid: see `errors`.
Status = Literal["stored", "unavailable", "closed", "invalid"]


class Outcome(msgspec.Struct, frozen=True):
    """What became of a submission, and why when it was refused."""

    status: Status
    # {item key or "comment": error code (the i18n key)}; only for "invalid".
    errors: dict[str, str] = {}
