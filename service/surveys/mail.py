"""Invitation and reminder emails: multipart text + HTML in the person's locale.

`build_message()` turns a claimed outbox row into an EmailMessage with the personal link
(`{PUBLIC_BASE_URL}/s/{token}`, the token derived from the invitation id, so a reminder carries
the same link), the deadline, why answers are anonymous and what k is, and the headers a good
mailer sends: Message-ID (stable per outbox row, so a rare re-send is recognisable as the same
mail), Date, List-Id, List-Unsubscribe (+ one-click POST, RFC 8058). Names and org strings are
escaped in HTML by jinja's autoescape and stripped of line breaks in headers.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..settings import Settings
from .optout import optout_token
from .outbox import OutboxItem

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
_EMAIL = re.compile(
    r"[^@\s<>()\[\],;:\\\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)


class InvalidAddress(ValueError):
    """The person's email address cannot be written into an envelope."""


def pick_locale(locale: str | None) -> str:
    """The person's locale when we have templates for it, else English."""
    return locale if locale in LOCALES else DEFAULT_LOCALE


def check_address(email: str) -> str:
    if not _EMAIL.fullmatch(email or ""):
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


def respondent_link(settings: Settings, invitation_id: object) -> str:
    from .tokens import token_for

    return f"{settings.public_base_url}/s/{token_for(settings.secret_key, invitation_id)}"  # type: ignore[arg-type]


def optout_link(settings: Settings, item: OutboxItem) -> str:
    token = optout_token(settings.secret_key, item.org_id, item.person_id, item.wave_id)
    return f"{settings.public_base_url}/optout/{token}"


def build_message(
    settings: Settings, item: OutboxItem, *, now: datetime | None = None
) -> EmailMessage:
    """The email for one outbox row; raises InvalidAddress for an unusable recipient."""
    now = now or datetime.now(UTC)
    locale = pick_locale(item.locale)
    to = check_address(item.email)
    domain = mail_domain(settings)
    reminder = item.kind == "reminder"
    org = _one_line(item.org_name)
    subject = _SUBJECTS[(locale, item.kind)].format(org=org)
    context = {
        "name": _one_line(item.display_name),
        "org": org,
        "pulse": _one_line(item.pulse_name),
        "reminder": reminder,
        "link": respondent_link(settings, item.invitation_id),
        "optout": optout_link(settings, item),
        "closes": format_deadline(item.closes_at, locale),
        "days_left": max(1, math.ceil((item.closes_at - now).total_seconds() / 86400)),
        "k": item.k,
        "subject": subject,
    }
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = settings.mail_from
    local, _, host = to.rpartition("@")
    try:
        msg["To"] = Address(display_name=_one_line(item.display_name), username=local, domain=host)
    except (ValueError, IndexError, TypeError):
        raise InvalidAddress("invalid email address") from None
    msg["Date"] = format_datetime(now.astimezone(UTC))
    msg["Message-ID"] = f"<{item.id}@{domain}>"
    msg["List-Id"] = f"<pulse-{item.pulse_id}.{domain}>"
    msg["List-Unsubscribe"] = f"<{context['optout']}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Content-Language"] = locale
    msg.set_content(_env.get_template(f"mail_{locale}.txt").render(context))
    msg.add_alternative(_env.get_template(f"mail_{locale}.html").render(context), subtype="html")
    return msg
