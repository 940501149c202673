"""What the waves API returns: a wave with the team tree it froze when it opened."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from ...guard import ADMIN_ONLY, NOT_ABOUT_ANSWERS


class WaveTeamOut(msgspec.Struct, frozen=True):
    team_id: Annotated[
        UUID,
        msgspec.Meta(
            description="A team the wave reached", examples=["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"]
        ),
    ]
    parent_id: Annotated[
        UUID | None,
        msgspec.Meta(
            description="Its parent in the tree the wave froze when it opened; null for a root",
            examples=[None],
        ),
    ]
    name: Annotated[
        str, msgspec.Meta(description="Its name when the wave opened", examples=["Platform"])
    ]
    # Only admins see how many were invited per team: for a leader a small count next to a
    # later participation figure would be a number resting on fewer than k people.
    invited: Annotated[
        Annotated[int | None, ADMIN_ONLY],
        msgspec.Meta(
            description="People invited from this team; only for admin keys (null for a leader)",
            examples=[11],
        ),
    ] = None


class WaveOut(msgspec.Struct, frozen=True):
    id: Annotated[
        UUID,
        msgspec.Meta(
            description="The wave's id", examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"]
        ),
    ]
    pulse_id: Annotated[
        UUID,
        msgspec.Meta(
            description="The pulse it belongs to", examples=["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"]
        ),
    ]
    seq: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="The wave's number within the pulse", examples=[3]),
    ]
    state: Annotated[
        str,
        msgspec.Meta(
            description="`open` while it takes answers, then `closed`", examples=["closed"]
        ),
    ]
    item_keys: Annotated[
        list[str],
        msgspec.Meta(
            description="The items it asks",
            examples=[["ps.risk", "su.disagree", "tr.reliable", "le.look_back", "ps.help"]],
        ),
    ]
    k: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="The k it locked when it opened", examples=[5]),
    ]
    comment_k: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="The comment threshold it locked when it opened", examples=[10]),
    ]
    opens_at: Annotated[
        datetime, msgspec.Meta(description="When it opened", examples=["2026-01-05T08:00:00Z"])
    ]
    closes_at: Annotated[
        datetime,
        msgspec.Meta(
            description="When it closes (or closed) by schedule", examples=["2026-01-12T08:00:00Z"]
        ),
    ]
    closed_at: Annotated[
        datetime | None,
        msgspec.Meta(
            description="When it actually closed; null while open",
            examples=["2026-01-12T08:00:02Z"],
        ),
    ]
    teams: Annotated[
        list[WaveTeamOut],
        msgspec.Meta(description="The teams it reached, as the tree stood when it opened"),
    ]
