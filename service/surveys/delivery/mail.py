"""Invitation and reminder emails: multipart text + HTML in the person's locale.

`build_message()` turns a claimed outbox row into the bytes of one email with the personal link
(`{PUBLIC_BASE_URL}/s/{token}`, the token derived from the invitation id, so a reminder carries
the same link), the deadline, why answers are anonymous and what k is, and the headers a good
mailer sends: Message-ID (stable per outbox row, so a rare re-send is recognisable as the same
mail), Date, List-Id, List-Unsubscribe (+ one-click POST, RFC 8058). Names and org strings are
escaped in HTML by jinja's autoescape and stripped of line breaks in headers.
"""

from __future__ import annotations

import binascii
import math
from datetime import UTC, datetime
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from uuid import UUID

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import escape

from ...settings import Settings
from ...text import sendable_email
from ..respond import token_for
from .models import OutboxItem, OutgoingMail
from .optout import optout_token

LOCALES = ("en", "nl")
DEFAULT_LOCALE = "en"

_env = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)

_SUBJECTS = {
    ("en", "invite"): "{org}: how is your team doing? (1 minute, anonymous)",
    ("en", "reminder"): "Reminder — {org}: how is your team doing? (1 minute, anonymous)",
    ("nl", "invite"): "{org}: hoe gaat het met je team? (1 minuut, anoniem)",
    ("nl", "reminder"): "Herinnering — {org}: hoe gaat het met je team? (1 minuut, anoniem)",
}
_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
}
_WEEKDAYS = {
    "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
    "nl": "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag",
}


# Deliberately plain: one @, no spaces or brackets, a dotted domain. Anything stranger is a
# data-entry error that the admin should see as a failure, not a bounce days later.
class InvalidAddress(ValueError):
    """The person's email address cannot be written into an envelope."""


def pick_locale(locale: str | None) -> str:
    """The person's locale when we have templates for it, else English."""
    return locale if locale in LOCALES else DEFAULT_LOCALE


def check_address(email: str) -> str:
    # The one rule the API and the CSV import also apply (service/text.py), so an address the
    # directory accepted is one the mailer sends.
    if not sendable_email(email or ""):
        raise InvalidAddress("invalid email address")
    return email


def _one_line(value: str) -> str:
    # Header values must never carry a line break (header injection); collapse whitespace.
    return " ".join(value.split())


def format_deadline(when: datetime, locale: str) -> str:
    when = when.astimezone(UTC)
    day = _WEEKDAYS[locale].split()[when.weekday()]
    month = _MONTHS[locale].split()[when.month - 1]
    return f"{day} {when.day} {month} {when.year}, {when:%H:%M} UTC"


def mail_domain(settings: Settings) -> str:
    _, addr = parseaddr(settings.mail_from)
    return addr.rpartition("@")[2] or urlsplit(settings.public_base_url).hostname or "candor"


def respondent_link(settings: Settings, invitation_id: UUID) -> str:
    return f"{settings.public_base_url}/s/{token_for(settings.secret_key, invitation_id)}"


def optout_link(settings: Settings, item: OutboxItem) -> str:
    token = optout_token(settings.secret_key, item.org_id, item.person_id, item.wave_id)
    return f"{settings.public_base_url}/optout/{token}"


def _qp(text: str) -> bytes:
    # binascii's quoted-printable is C; the email package's is pure Python and ~50x slower,
    # which at 10,000 emails a wave is the difference between seconds and a minute.
    return binascii.b2a_qp(text.replace("\r\n", "\n").encode("utf-8"), istext=True).replace(
        b"\n", b"\r\n"
    )


@lru_cache(maxsize=256)  # the subject is the same for a whole wave; encoding it is slow
def _header(value: str) -> str:
    value = _one_line(value)
    if value.isascii():
        return value
    return Header(value, "utf-8", maxlinelen=76).encode(linesep="\r\n")


@lru_cache(maxsize=16)
def _from_header(mail_from: str) -> str:
    name, addr = parseaddr(mail_from)
    return formataddr((name, addr), charset="utf-8")


# The personal parts are put in after rendering: a wave's emails share one rendering per
# locale and kind, which keeps a 10,000-person wave's CPU in the SMTP conversation.
_NAME, _LINK, _OPTOUT = "\x00name\x00", "\x00link\x00", "\x00optout\x00"


@lru_cache(maxsize=64)
def _bodies(
    locale: str,
    kind: str,
    org: str,
    pulse: str,
    closes_at: datetime,
    days_left: int,
    k: int,
    subject: str,
) -> tuple[str, str]:
    context = {
        "name": _NAME,
        "org": org,
        "pulse": pulse,
        "reminder": kind == "reminder",
        "link": _LINK,
        "optout": _OPTOUT,
        "closes": format_deadline(closes_at, locale),
        "days_left": days_left,
        "k": k,
        "subject": subject,
    }
    text = _env.get_template(f"mail_{locale}.txt").render(context)
    html = _env.get_template(f"mail_{locale}.html").render(context)
    return text, html


def build_message(
    settings: Settings, item: OutboxItem, *, now: datetime | None = None
) -> OutgoingMail:
    """The email for one outbox row; raises InvalidAddress for an unusable recipient.

    Written by hand as multipart/alternative (text, then HTML) with quoted-printable UTF-8
    bodies; every header value is one line (no injection) and RFC 2047-encoded when not ASCII.
    """
    now = now or datetime.now(UTC)
    locale = pick_locale(item.locale)
    to = check_address(item.email)
    domain = mail_domain(settings)
    org = _one_line(item.org_name)
    name = _one_line(item.display_name)
    subject = _SUBJECTS[(locale, item.kind)].format(org=org)
    link = respondent_link(settings, item.invitation_id)
    optout = optout_link(settings, item)
    text, html = _bodies(
        locale,
        item.kind,
        org,
        _one_line(item.pulse_name),
        item.closes_at,
        max(1, math.ceil((item.closes_at - now).total_seconds() / 86400)),
        item.k,
        subject,
    )
    personal = {_NAME: name, _LINK: link, _OPTOUT: optout}
    for marker, value in personal.items():
        text = text.replace(marker, value)
        html = html.replace(marker, str(escape(value)))
    message_id = f"<{item.id}@{domain}>"
    try:
        to_header = formataddr((name, to), charset="utf-8")
    except (UnicodeError, ValueError):
        raise InvalidAddress("invalid email address") from None
    boundary = f"=_candor_{item.id.hex}"  # "=_" never occurs in quoted-printable text
    headers = [
        ("From", _from_header(settings.mail_from)),
        ("To", to_header),
        ("Subject", _header(subject)),
        ("Date", format_datetime(now.astimezone(UTC))),
        ("Message-ID", message_id),
        ("List-Id", f"<pulse-{item.pulse_id}.{domain}>"),
        ("List-Unsubscribe", f"<{optout}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ("Content-Language", locale),
        ("MIME-Version", "1.0"),
        ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
    ]
    part = (
        '--{b}\r\nContent-Type: text/{t}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    )
    data = b"".join(
        [
            "".join(f"{k}: {v}\r\n" for k, v in headers).encode("ascii"),
            b"\r\n",
            part.format(b=boundary, t="plain").encode("ascii"),
            _qp(text),
            b"\r\n",
            part.format(b=boundary, t="html").encode("ascii"),
            _qp(html),
            f"\r\n--{boundary}--\r\n".encode("ascii"),
        ]
    )
    return OutgoingMail(recipient=to, message_id=message_id, data=data)
