"""What the waves API returns: a wave with the team tree it froze when it opened."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from ...guard import ADMIN_ONLY, NOT_ABOUT_ANSWERS


class WaveTeamOut(msgspec.Struct, frozen=True):
    team_id: UUID
    parent_id: UUID | None
    name: str
    # Only admins see how many were invited per team: for a leader a small count next to a
    # later participation figure would be a number resting on fewer than k people.
    invited: Annotated[int | None, ADMIN_ONLY] = None


class WaveOut(msgspec.Struct, frozen=True):
    id: UUID
    pulse_id: UUID
    seq: Annotated[int, NOT_ABOUT_ANSWERS]
    state: str
    item_keys: list[str]
    k: Annotated[int, NOT_ABOUT_ANSWERS]
    comment_k: Annotated[int, NOT_ABOUT_ANSWERS]
    opens_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    teams: list[WaveTeamOut]
