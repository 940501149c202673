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
    person_id: UUID
    email: str
    display_name: str
    kind: str
    reminder_no: Annotated[int, NOT_ABOUT_ANSWERS]
    attempts: Annotated[int, NOT_ABOUT_ANSWERS]
    last_error: str | None


class TeamParticipation(msgspec.Struct, frozen=True):
    team_id: UUID
    name: str
    rate_pct: Annotated[int | None, DERIVED]
    band: str | None
    reason: str | None


class GroupPart(msgspec.Struct, frozen=True):
    """A team in a reporting group; `direct`: its own members, apart from its sub-teams."""

    name: str
    direct: bool


class GroupProgress(msgspec.Struct, frozen=True):
    """How one reporting group is answering, as an admin may see it: a band while the wave is
    open, the rounded rate once it closed (both only for groups of at least k invited)."""

    group: str
    band: str | None
    rate_pct: Annotated[int | None, DERIVED]
    reason: str | None
    parts: list[GroupPart] = []  # the group's teams, to name it in another language


class DeliveryStatus(msgspec.Struct, frozen=True):
    """Admins get the counts and failures; leaders only `participation`, through the guard."""

    wave_id: UUID
    state: str
    k: Annotated[int, NOT_ABOUT_ANSWERS]
    invited: Annotated[int | None, ADMIN_ONLY] = None
    delivered: Annotated[int | None, ADMIN_ONLY] = None
    pending: Annotated[int | None, ADMIN_ONLY] = None
    failed: Annotated[int | None, ADMIN_ONLY] = None
    skipped: Annotated[int | None, ADMIN_ONLY] = None
    reminders_sent: Annotated[int | None, ADMIN_ONLY] = None
    responded: Annotated[int | None, ADMIN_ONLY] = None
    opted_out: Annotated[int | None, ADMIN_ONLY] = None
    response_rate_pct: Annotated[float | None, ADMIN_ONLY] = None
    failures: list[FailedEmail] | None = None
    participation: list[TeamParticipation] | None = None
    progress: list[GroupProgress] | None = None  # admins, per reporting group
