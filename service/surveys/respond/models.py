"""The respondent path's types: an invitation as the page shows it, the JSON twin's bodies,
and the outcome of a submission."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

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
