"""Reading the console's HTML forms (application/x-www-form-urlencoded) and checking CSRF."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from litestar import Request

from ..errors import InvalidInput
from .sessions import ConsoleSession, CsrfRefused, csrf_ok

FORM_MAX_BYTES = 16_384
EMAIL = re.compile(r"[^@\s,;<>]{1,64}@[^@\s,;<>]+\.[^@\s,;<>.]+")


async def form_fields(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The fields of a posted form (the last value of a repeated name wins)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if media != "application/x-www-form-urlencoded" or len(body) > FORM_MAX_BYTES:
        raise InvalidInput("Send the form as a form.")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=32)
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("The form could not be read.") from None
    return {name: value.replace("\x00", "") for name, value in pairs}


async def checked_form(request: Request[Any, Any, Any], session: ConsoleSession) -> dict[str, str]:
    """The form's fields once its CSRF token matches the session's; 403 otherwise."""
    try:
        fields = await form_fields(request)
    except InvalidInput:
        fields = {}  # an unreadable form carries no token either
    if not csrf_ok(session, fields.get("csrf")):
        raise CsrfRefused("The form's token does not match this session.")
    return fields


def well_formed_email(value: str) -> bool:
    return len(value) <= 254 and EMAIL.fullmatch(value) is not None
