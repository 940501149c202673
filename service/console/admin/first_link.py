"""The sign-in link the CLI prints for an org's admin: `candor org create --admin-email` and
`candor org admin ORG EMAIL`.

It is a console sign-in link like the mailed ones (signin.py: the token is an HMAC of the link
id under SECRET_KEY, only its hash is stored, it works once), except that it lives
FIRST_LINK_DAYS days instead of 15 minutes: it is printed to an operator who passes it on to
the first admin, often not within minutes, and there is no mailer to ask again yet. It leads
to the admin console's front page.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from .. import queries as console_queries
from ..sessions import digest
from ..signin import link_token
from . import queries

FIRST_LINK_DAYS = 7
NEXT = "/console/admin"


class NotAnAdmin(LookupError):
    """No person with that email in the org, or one without the admin flag."""


async def admin_link(
    conn: asyncpg.Connection, secret_key: str, org_id: UUID, email: str, now: datetime
) -> tuple[str, str]:
    """A new sign-in link's path (/console/link/TOKEN) for the org's admin with this email,
    and the person's display name."""
    person = await conn.fetchrow(queries.PERSON_ROLE_BY_EMAIL, org_id, email.strip())
    if person is None:
        raise NotAnAdmin(f"nobody in this org has the email address {email.strip()!r}")
    if not person["admin"]:
        raise NotAnAdmin(
            f"{person['email']} is not an admin of this org; mark them admin first (the "
            "console's people page, or PUT /api/v1/people/{id}/admin)"
        )
    link_id = uuid.uuid4()
    token = link_token(secret_key, link_id)
    await conn.execute(
        console_queries.INSERT_LINK,
        org_id,
        link_id,
        person["id"],
        digest(token),
        NEXT,
        now,
        now + timedelta(days=FIRST_LINK_DAYS),
    )
    return f"/console/link/{token}", str(person["display_name"])
