"""The delivery slice's types: a claimed outbox row, a built email, and the status view."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from ...guard import ADMIN_ONLY, DERIVED, NOT_ABOUT_ANSWERS

Kind = Literal["invite", "reminder"]


class OutboxItem(msgspec.Struct, frozen=True):
    """A claimed row with everything needed to write and address its email."""

    id: UUID
    org_id: UUID
    invitation_id: UUID
    kind: Kind
    reminder_no: int
    attempts: int
    person_id: UUID
    email: str
    display_name: str
    locale: str | None
    opted_out: bool
    responded: bool
    wave_id: UUID
    wave_state: str
    closes_at: datetime
    k: int
    pulse_id: UUID
    pulse_name: str
    org_name: str


class OutgoingMail(msgspec.Struct, frozen=True):
    """A ready-to-send message: the envelope recipient, its Message-ID and the RFC 5322 bytes."""

    recipient: str
    message_id: str
    data: bytes


# --- GET /api/v1/waves/{wave_id}/delivery -------------------------------------------------------


class FailedEmail(msgspec.Struct, frozen=True):
    person_id: Annotated[
        UUID,
        msgspec.Meta(
            description="Who the email was for", examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"]
        ),
    ]
    email: Annotated[
        str, msgspec.Meta(description="The address it went to", examples=["bob@example.com"])
    ]
    display_name: Annotated[
        str, msgspec.Meta(description="The person's name", examples=["Bob Smith"])
    ]
    kind: Annotated[str, msgspec.Meta(description="`invite` or `reminder`", examples=["invite"])]
    reminder_no: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="Which reminder (0 for the invitation)", examples=[0]),
    ]
    attempts: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(description="How many times sending was tried", examples=[3]),
    ]
    last_error: Annotated[
        str | None,
        msgspec.Meta(
            description="What the mail server said last", examples=["550 5.1.1 mailbox unavailable"]
        ),
    ]


class TeamParticipation(msgspec.Struct, frozen=True):
    team_id: Annotated[
        UUID,
        msgspec.Meta(description="The team", examples=["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"]),
    ]
    name: Annotated[str, msgspec.Meta(description="Its name", examples=["Platform"])]
    rate_pct: Annotated[
        Annotated[int | None, DERIVED],
        msgspec.Meta(
            description=(
                "The share of invited people who answered, rounded to 5 points; null when not shown"
            ),
            examples=[70],
        ),
    ]
    band: Annotated[
        str | None,
        msgspec.Meta(
            description=(
                "`low` (under 40 %), `moderate` (40-69 %) or `high` (70 % or more); null when "
                "not shown"
            ),
            examples=["high"],
        ),
    ]
    reason: Annotated[
        str | None,
        msgspec.Meta(
            description="Why nothing is shown, in words (a group too small); null when shown",
            examples=[None],
        ),
    ]


class GroupPart(msgspec.Struct, frozen=True):
    """A team in a reporting group; `direct`: its own members, apart from its sub-teams."""

    name: Annotated[str, msgspec.Meta(description="The team's name", examples=["Data"])]
    direct: Annotated[
        bool,
        msgspec.Meta(
            description="True: the team's own members, apart from its sub-teams", examples=[False]
        ),
    ]


class GroupProgress(msgspec.Struct, frozen=True):
    """How one reporting group is answering, as an admin may see it: a band while the wave is
    open, the rounded rate once it closed (both only for groups of at least k invited)."""

    group: Annotated[
        str,
        msgspec.Meta(
            description='The reporting group\'s name ("Data & Design" when pooled)',
            examples=["Data & Design"],
        ),
    ]
    band: Annotated[
        str | None,
        msgspec.Meta(
            description="While the wave is open: `low`, `moderate` or `high`; null when not shown",
            examples=["moderate"],
        ),
    ]
    rate_pct: Annotated[
        Annotated[int | None, DERIVED],
        msgspec.Meta(
            description=(
                "Once closed: the share who answered, rounded to 5 points; null when not shown"
            ),
            examples=[None],
        ),
    ]
    reason: Annotated[
        str | None,
        msgspec.Meta(
            description="Why nothing is shown, in words; null when shown", examples=[None]
        ),
    ]
    parts: Annotated[
        list[GroupPart],
        msgspec.Meta(description="The group's teams, to name it in another language"),
    ] = []


class DeliveryStatus(msgspec.Struct, frozen=True):
    """Admins get the counts and failures; leaders only `participation`, through the guard."""

    wave_id: Annotated[
        UUID,
        msgspec.Meta(description="The wave", examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"]),
    ]
    state: Annotated[str, msgspec.Meta(description="`open` or `closed`", examples=["open"])]
    k: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS], msgspec.Meta(description="The wave's k", examples=[5])
    ]
    invited: Annotated[
        Annotated[int | None, ADMIN_ONLY],
        msgspec.Meta(description="People invited (admin keys only)", examples=[49]),
    ] = None
    delivered: Annotated[
        Annotated[int | None, ADMIN_ONLY],
        msgspec.Meta(
            description="Invitations the mail server accepted (admin keys only)", examples=[47]
        ),
    ] = None
    pending: Annotated[
        Annotated[int | None, ADMIN_ONLY],
        msgspec.Meta(
            description="Invitations still waiting to be sent (admin keys only)", examples=[0]
        ),
    ] = None
    failed: Annotated[
        Annotated[int | None, ADMIN_ONLY],
        msgspec.Meta(
            description="Invitations that could not be sent (admin keys only)", examples=[1]
        ),
    ] = None
    skipped: Annotated[
        Annotated[int | None, ADMIN_ONLY],
        msgspec.Meta(
            description=(
                "Invitations not sent because the person opted out or the wave closed first "
                "(admin keys only)"
            ),
            examples=[1],
        ),
    ] = None
    reminders_sent: Annotated[
        Annotated[int | None, ADMIN_ONLY],
        msgspec.Meta(description="Reminders sent (admin keys only)", examples=[20]),
    ] = None
    responded: Annotated[
        Annotated[int | None, ADMIN_ONLY],
        msgspec.Meta(description="People who answered (admin keys only)", examples=[31]),
    ] = None
    opted_out: Annotated[
        Annotated[int | None, ADMIN_ONLY],
        msgspec.Meta(
            description="Invited people who have opted out of pulse emails (admin keys only)",
            examples=[1],
        ),
    ] = None
    response_rate_pct: Annotated[
        Annotated[float | None, ADMIN_ONLY],
        msgspec.Meta(
            description="Responded as a share of invited (admin keys only)", examples=[63.3]
        ),
    ] = None
    failures: Annotated[
        list[FailedEmail] | None,
        msgspec.Meta(description="The emails that failed, to fix the addresses (admin keys only)"),
    ] = None
    participation: Annotated[
        list[TeamParticipation] | None,
        msgspec.Meta(
            description="Per team, for a leader key: participation through the anonymity guard"
        ),
    ] = None
    progress: Annotated[
        list[GroupProgress] | None,
        msgspec.Meta(
            description=(
                "Per reporting group, for admin keys: a band while open, the rounded rate once "
                "closed"
            )
        ),
    ] = None  # admins, per reporting group
