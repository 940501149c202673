"""The "results are in" email: after a wave closes, one mail per leader who wants it.

`results_mails()` computes, for a closed wave, the mail each leader of the wave's teams should
get (in their language, unless they turned it off): their teams in that wave, each with a link
to its console page and one word on the guard's decision: results ready, or not shown with the
guard's reason. It carries no score, count or rate: nothing the guard would not show, and less
than the page does. `queue_results()` runs in the closing transaction (wired where the app and
the worker are assembled, service/closing.py) and queues one `console_mail` row per leader; the
console's mail job writes and sends each when its turn comes.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from ..analytics.trends import team_trend
from ..settings import Settings
from . import i18n, queries
from .mail import Mail, render


class TeamLine(msgspec.Struct, frozen=True):
    name: str
    link: str
    status: str


async def _status(conn: Any, org_id: UUID, team_id: UUID, wave_id: UUID, lang: str) -> str:
    trend = await team_trend(conn, org_id, team_id, subtree=True, waves_limit=8)
    wave = next((w for w in trend.waves if w.wave_id == wave_id), None)
    if wave is None or wave.state != "closed":
        return i18n.t(lang, "mail_results_hidden", reason=i18n.reason("open", lang, 0))
    if wave.reason_code is not None:
        reason = i18n.reason(wave.reason_code, lang, wave.k, wave.reason_about)
        return i18n.t(lang, "mail_results_hidden", reason=reason)
    return i18n.t(lang, "mail_results_shown")


async def queue_results(conn: Any, org_id: UUID, wave_id: UUID) -> None:
    """Queue the wave's "results are in" mails (in the caller's closing transaction)."""
    await conn.execute(queries.QUEUE_RESULTS, org_id, wave_id)


async def results_mail_for(
    conn: Any, settings: Settings, org_id: UUID, wave_id: UUID, person_id: UUID
) -> Mail | None:
    """The one mail a leader gets for a wave (None when they no longer lead any of its teams
    or turned the mail off since it was queued)."""
    for mail in await results_mails(conn, settings, org_id, wave_id):
        if mail.person_id == person_id:
            return mail
    return None


async def results_mails(conn: Any, settings: Settings, org_id: UUID, wave_id: UUID) -> list[Mail]:
    """The mails to send for a closed wave; empty for an open or unknown wave."""
    wave = await conn.fetchrow(queries.WAVE_STATE, org_id, wave_id)
    if wave is None or wave["state"] != "closed":
        return []
    base = settings.public_base_url
    mails = []
    for r in await conn.fetch(queries.RESULTS_RECIPIENTS, org_id, wave_id):
        lang = i18n.pick(r["locale"])
        teams = [
            TeamLine(
                name=name,
                link=f"{base}/console/teams/{team_id}",
                status=await _status(conn, org_id, team_id, wave_id, lang),
            )
            for team_id, name in zip(r["team_ids"], r["team_names"], strict=True)
        ]
        subject = i18n.t(lang, "mail_results_subject", org=wave["org_name"])
        text, html = render(
            "results",
            lang,
            name=r["display_name"],
            teams=teams,
            subject=subject,
            settings_link=f"{base}/console/settings",
        )
        mails.append(Mail(r["person_id"], r["email"], r["display_name"], lang, subject, text, html))
    return mails
