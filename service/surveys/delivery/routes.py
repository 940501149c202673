"""The delivery slice over HTTP: the admin/leader delivery status of a wave, and the opt-out
page linked from every email (GET asks, because mail scanners prefetch links; POST opts out,
also as the RFC 8058 one-click POST mail clients send)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import Provide
from litestar.response import Template

from ...apidoc import pages
from ...auth import Principal, provide_principal
from ...ratelimit import RESPOND, limited
from .models import DeliveryStatus
from .optout import TEXTS, opt_out, page_locale, read_optout_token
from .status import delivery_status


class DeliveryStatusController(Controller):
    path = "/api/v1"
    tags = ["waves"]
    dependencies = {"who": Provide(provide_principal)}

    @get(
        "/waves/{wave_id:uuid}/delivery",
        description=(
            "How a wave's invitations went out. An admin key gets the counts (invited, "
            "delivered, pending, failed, skipped, reminders sent, responded, opted out), the "
            "failed addresses to fix and the progress of each reporting group; a leader key gets "
            "only participation, rounded and only for groups large enough, never who answered."
        ),
        summary="Delivery status of a wave (admin: counts and failures; leader: participation)",
    )
    async def delivery(self, state: State, who: Principal, wave_id: UUID) -> DeliveryStatus:
        async with state.pool.acquire() as conn:
            return await delivery_status(conn, who, wave_id)


def _optout_page(locale: str, page_state: str, status: int = 200) -> Template:
    return Template(
        "mail_optout.html",
        context={"locale": locale, "t": TEXTS[locale], "state": page_state},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


@get(
    "/optout/{token:str}",
    description=(
        "The page behind the opt-out link in every invitation: it asks the person to confirm."
        " An unknown link gets a page saying so (404)."
    ),
    tags=["respondent pages"],
    summary="Opt-out page linked from every email (HTML for a person)",
    before_request=limited(RESPOND, page=True),
    media_type="text/html",
    opt={"view": None},  # no number: the form, a message, a stylesheet
    responses=pages(404, 429),
)
async def optout_page(state: State, token: str) -> Template:
    ids = read_optout_token(state.settings.secret_key, token)
    locale = await page_locale(state.pool, ids)
    return _optout_page(locale, "ask" if ids else "unknown", 200 if ids else 404)


@post(
    "/optout/{token:str}",
    description=(
        "Confirms the opt-out from the page: this person gets no more pulse emails. The "
        "answer is a page in the person's language; an unknown link gets a page saying so "
        "(404)."
    ),
    tags=["respondent pages"],
    summary="Confirm the opt-out: no more pulse emails to this person",
    status_code=200,
    before_request=limited(RESPOND, page=True),
    media_type="text/html",
    opt={"view": None},  # no number: the form, a message, a stylesheet
    responses=pages(404, 429),
)
async def optout_confirm(state: State, token: str) -> Template:
    ids = read_optout_token(state.settings.secret_key, token)
    if ids is None:
        return _optout_page("en", "unknown", 404)
    async with state.pool.acquire() as conn:
        done = await opt_out(conn, *ids)
    locale = await page_locale(state.pool, ids)
    return _optout_page(locale, "done" if done else "unknown", 200 if done else 404)


STATUS: list[Any] = [DeliveryStatusController]
OPT_OUT: list[Any] = [optout_page, optout_confirm]
