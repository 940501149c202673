"""A team's focus: one dimension and one thing it will try, with the date it was agreed.

Team-level text written by a leader and kept as history (each save is a new row); nothing ties
it to a respondent. Whether it may appear on the team's widget is the leader's choice, stored
with it (the widget reads the latest focus marked so). Each save is logged (service/audit.py)
as the leader who made it, with its dimension; the text stays out of the log.
"""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from ..audit import Actor
from ..audit import record as log
from . import i18n, queries
from .models import FocusEntry, FocusForm
from .sessions import ConsoleSession

TRY_MAX = 280


async def history(conn: Any, org_id: UUID, team_id: UUID, lang: str) -> list[FocusEntry]:
    rows = await conn.fetch(queries.FOCUS_HISTORY, org_id, team_id)
    return [
        FocusEntry(
            dimension=r["dimension"],
            name=i18n.dimension_name(r["dimension"], lang),
            try_text=r["try_text"],
            agreed_on=r["agreed_on"],
            shown_on_widget=r["shown_on_widget"],
        )
        for r in rows
    ]


def _clean(text: str) -> str:
    text = " ".join(text.replace("\r\n", "\n").split())
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")


def check(form: FocusForm, dimensions: set[str], today: date) -> tuple[dict[str, str], date | None]:
    """Error keys per field (texts.toml words), and the parsed date when it is valid."""
    errors: dict[str, str] = {}
    if form.dimension not in dimensions:
        errors["dimension"] = "focus_err_dimension"
    text = _clean(form.try_text)
    if not text or len(text) > TRY_MAX:
        errors["try_text"] = "focus_err_try"
    agreed: date | None = None
    try:
        agreed = date.fromisoformat(form.agreed_on.strip())
    except ValueError:
        errors["agreed_on"] = "focus_err_date"
    else:
        # A conversation is recorded after it took place (a day's slack for time zones).
        if agreed > today + timedelta(days=1) or agreed.year < 2000:
            errors["agreed_on"] = "focus_err_date"
            agreed = None
    return errors, agreed


async def record(
    conn: Any, session: ConsoleSession, team_id: UUID, form: FocusForm, agreed_on: date
) -> None:
    async with conn.transaction():
        await conn.execute(
            queries.INSERT_FOCUS,
            session.org_id,
            team_id,
            form.dimension,
            _clean(form.try_text),
            agreed_on,
            form.show_on_widget,
        )
        await log(
            conn,
            Actor.of_person(session.org_id, session.person_id),
            "team.focus",
            "team",
            team_id,
            {"dimension": form.dimension, "shown_on_widget": form.show_on_widget},
        )
