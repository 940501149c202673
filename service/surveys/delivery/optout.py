"""Opting out of pulse emails: the signed link in every email, its page's words, the record.

The link carries org, person and wave ids plus an HMAC under the server secret, so it cannot
be guessed or altered, and it is separate from the survey token (opting out neither uses nor
reveals the answer link). GET shows a confirmation button, because mail scanners prefetch
links; POST opts out (also the RFC 8058 one-click POST that mail clients send). Opting out sets
people.opted_out, so later waves skip the person, cancels their unsent mail, and records the
wave it came from so admins can see a count. Nothing here touches answers. The page's two
handlers are in routes.py.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from uuid import UUID

import asyncpg

from . import queries

_DOMAIN = b"candor-optout:"
_MAC_BYTES = 16

TEXTS = {
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
        if not await conn.fetchval(queries.OPT_OUT_PERSON, org_id, person_id):
            return False
        await conn.execute(queries.RECORD_OPT_OUT, org_id, person_id, wave_id)
        await conn.execute(queries.SKIP_PENDING_OF_PERSON, org_id, person_id)
    return True


async def page_locale(pool: asyncpg.Pool, ids: tuple[UUID, UUID, UUID] | None) -> str:
    """The opt-out page's language: the person's own, when the link is genuine."""
    if ids is None:
        return "en"
    locale = await pool.fetchval(queries.PERSON_LOCALE, ids[0], ids[1])
    return locale if locale in TEXTS else "en"
