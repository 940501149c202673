"""Opting out of pulse emails: the signed link in every email, its page, and the record.

The link carries org, person and wave ids plus an HMAC under the server secret, so it cannot
be guessed or altered, and it is separate from the survey token (opting out neither uses nor
reveals the answer link). GET shows a confirmation button, because mail scanners prefetch
links; POST opts out (also the RFC 8058 one-click POST that mail clients send). Opting out sets
people.opted_out, so later waves skip the person, cancels their unsent mail, and records the
wave it came from so admins can see a count. Nothing here touches answers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from uuid import UUID

import asyncpg
from litestar import get, post
from litestar.datastructures import State
from litestar.response import Template

from ...apidoc import pages
from ...ratelimit import RESPOND, limited

_DOMAIN = b"candor-optout:"
_MAC_BYTES = 16

_TEXTS = {
    "en": {
        "title": "Stop pulse survey emails",
        "ask": "Press the button to stop receiving pulse survey emails from your organisation. "
        "Your earlier answers stay anonymous and are not affected.",
        "button": "Stop these emails",
        "done": "Done: you will not receive pulse survey emails anymore. "
        "Ask your people team if you want to receive them again.",
        "unknown": "This link is not valid. Please use the link from your latest email.",
    },
    "nl": {
        "title": "Geen pulse-enquêtes meer ontvangen",
        "ask": "Druk op de knop om geen e-mails over pulse-enquêtes van je organisatie meer te "
        "ontvangen. Je eerdere antwoorden blijven anoniem en veranderen niet.",
        "button": "Stop deze e-mails",
        "done": "Gelukt: je ontvangt geen e-mails over pulse-enquêtes meer. "
        "Vraag je HR-team als je ze weer wilt ontvangen.",
        "unknown": "Deze link is niet geldig. Gebruik de link uit je laatste e-mail.",
    },
}


def _mac(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), _DOMAIN + payload, hashlib.sha256).digest()[:_MAC_BYTES]


def optout_token(secret: str, org_id: UUID, person_id: UUID, wave_id: UUID) -> str:
    payload = org_id.bytes + person_id.bytes + wave_id.bytes
    raw = payload + _mac(secret, payload)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def read_optout_token(secret: str, token: str) -> tuple[UUID, UUID, UUID] | None:
    """(org_id, person_id, wave_id) of a genuine token, None for anything else."""
    if len(token) != 86:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "==")
    except (binascii.Error, ValueError):
        return None
    payload, mac = raw[:48], raw[48:]
    if len(raw) != 64 or not hmac.compare_digest(mac, _mac(secret, payload)):
        return None
    return UUID(bytes=payload[:16]), UUID(bytes=payload[16:32]), UUID(bytes=payload[32:])


async def opt_out(conn: asyncpg.Connection, org_id: UUID, person_id: UUID, wave_id: UUID) -> bool:
    """Opt a person out; True when they exist. Idempotent."""
    async with conn.transaction():
        found = await conn.fetchval(
            "UPDATE people SET opted_out = true, updated_at = now() "
            "WHERE org_id = $1 AND id = $2 RETURNING true",
            org_id,
            person_id,
        )
        if not found:
            return False
        await conn.execute(
            """
            INSERT INTO opt_outs (org_id, person_id, wave_id) VALUES ($1, $2, $3)
            ON CONFLICT (org_id, person_id) DO NOTHING
            """,
            org_id,
            person_id,
            wave_id,
        )
        await conn.execute(
            """
            UPDATE outbox o SET state = 'skipped', last_error = 'opted out'
            FROM invitations i
            WHERE i.org_id = o.org_id AND i.id = o.invitation_id
              AND o.org_id = $1 AND i.person_id = $2 AND o.state = 'pending'
            """,
            org_id,
            person_id,
        )
    return True


async def _locale(state: State, ids: tuple[UUID, UUID, UUID] | None) -> str:
    if ids is None:
        return "en"
    locale = await state.pool.fetchval(
        "SELECT locale FROM people WHERE org_id = $1 AND id = $2", ids[0], ids[1]
    )
    return locale if locale in _TEXTS else "en"


def _page(locale: str, page_state: str, status: int = 200) -> Template:
    return Template(
        "mail_optout.html",
        context={"locale": locale, "t": _TEXTS[locale], "state": page_state},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


@get(
    "/optout/{token:str}",
    tags=["respondent pages"],
    summary="Opt-out page linked from every email (HTML for a person)",
    before_request=limited(RESPOND, page=True),
    media_type="text/html",
    responses=pages(404, 429),
)
async def optout_page(state: State, token: str) -> Template:
    ids = read_optout_token(state.settings.secret_key, token)
    locale = await _locale(state, ids)
    return _page(locale, "ask" if ids else "unknown", 200 if ids else 404)


@post(
    "/optout/{token:str}",
    tags=["respondent pages"],
    summary="Confirm the opt-out: no more pulse emails to this person",
    status_code=200,
    before_request=limited(RESPOND, page=True),
    media_type="text/html",
    responses=pages(404, 429),
)
async def optout_confirm(state: State, token: str) -> Template:
    ids = read_optout_token(state.settings.secret_key, token)
    if ids is None:
        return _page("en", "unknown", 404)
    async with state.pool.acquire() as conn:
        done = await opt_out(conn, *ids)
    locale = await _locale(state, ids)
    return _page(locale, "done" if done else "unknown", 200 if done else 404)


ROUTES = [optout_page, optout_confirm]
