"""Respondent tokens: derived from the invitation id, stored only as a hash.

A token is base64url(HMAC-SHA256(SECRET_KEY, "candor-invitation:" + invitation id)) without
padding: 43 characters, 256 bits. Deriving it (rather than storing a random one) lets a reminder
re-send the same link while the database holds nothing but sha256(token); a dump of the
database plus the logs is not enough to rebuild a link without the server's secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from uuid import UUID

TOKEN_LENGTH = 43
_DOMAIN = b"candor-invitation:"
# Checked before any database lookup so garbage never costs a query (and never reaches SQL).
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def token_for(secret: str, invitation_id: UUID) -> str:
    """The link token of one invitation (the same every time, so reminders reuse it)."""
    mac = hmac.new(secret.encode(), _DOMAIN + invitation_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def token_hash(token: str) -> bytes:
    """What `invitations.token_hash` holds for a token."""
    return hashlib.sha256(token.encode("ascii")).digest()


def is_well_formed(token: str) -> bool:
    """True when `token` could have come from `token_for` (length and alphabet only)."""
    return _TOKEN_SHAPE.fullmatch(token) is not None
