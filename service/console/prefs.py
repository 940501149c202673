"""A console user's own settings: the "results are in" email and the console's language.

Each save is logged (service/audit.py) as the person who made it, in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..audit import Actor, record
from . import queries
from .sessions import ConsoleSession


async def save_prefs(
    conn: Any, session: ConsoleSession, results_mail: bool | None, lang: str, now: datetime
) -> None:
    """Store the settings sent (None: leave the results email as it is)."""
    async with conn.transaction():
        await conn.execute(
            queries.SAVE_PREFS, session.org_id, session.person_id, results_mail, lang, now
        )
        details: dict[str, str | bool] = {"locale": lang}
        if results_mail is not None:
            details["results_mail"] = results_mail
        await record(
            conn,
            Actor.of_person(session.org_id, session.person_id),
            "person.settings",
            "person",
            session.person_id,
            details,
        )
