"""Console mail, written in the person's language: the sign-in link and "results are in".

This module writes messages and sends one over its own SMTP connection (the SMTP_URL options
are the delivery slice's `smtp_options`); sending.py runs the queue. A sign-in link's token is
derived here from the link id (see signin.py) and lives only in the mail itself.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path
from typing import Any
from uuid import UUID

import aiosmtplib
import msgspec
import structlog
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..settings import Settings
from ..surveys.delivery import smtp_options
from . import i18n
from .signin import link_token

log = structlog.get_logger("candor.console.mail")

SMTP_TIMEOUT = 20.0

_env = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates" / "mail"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


class Mail(msgspec.Struct, frozen=True):
    """One message ready to send: who gets it, and its text and HTML bodies."""

    person_id: UUID
    recipient: str
    display_name: str
    locale: str
    subject: str
    text: str
    html: str


def render(template: str, locale: str, **context: Any) -> tuple[str, str]:
    """(text, html) of `template` in `locale`; `t` gives the template the console's words."""
    lang = i18n.pick(locale)

    def t(key: str, **kw: Any) -> str:
        return i18n.t(lang, key, **kw)

    text = _env.get_template(f"{template}_{lang}.txt").render(t=t, **context)
    html = _env.get_template(f"{template}_{lang}.html").render(t=t, lang=lang, **context)
    return text, html


def signin_mail(
    settings: Settings,
    *,
    person_id: UUID,
    email: str,
    name: str,
    org: str,
    locale: str,
    link_id: UUID,
) -> Mail:
    lang = i18n.pick(locale)
    link = f"{settings.public_base_url}/console/link/{link_token(settings.secret_key, link_id)}"
    subject = i18n.t(lang, "mail_signin_subject", org=org)
    text, html = render("signin", lang, name=name, org=org, link=link, subject=subject)
    return Mail(person_id, email, name, lang, subject, text, html)


def message(settings: Settings, mail: Mail, now: datetime) -> EmailMessage:
    msg = EmailMessage()
    name, addr = parseaddr(settings.mail_from)
    msg["From"] = formataddr((name, addr))
    msg["To"] = formataddr((" ".join(mail.display_name.split()), mail.recipient))
    msg["Subject"] = " ".join(mail.subject.split())
    msg["Date"] = format_datetime(now.astimezone(UTC))
    msg["Message-ID"] = make_msgid(domain=addr.rpartition("@")[2] or "candor")
    msg["Auto-Submitted"] = "auto-generated"
    msg["Content-Language"] = mail.locale
    msg.set_content(mail.text)
    msg.add_alternative(mail.html, subtype="html")
    return msg


async def send(settings: Settings, msg: EmailMessage) -> None:
    """One message over its own connection (console mail is rare: no pooling needed)."""
    if not settings.smtp_url:
        raise RuntimeError("SMTP_URL is not set")
    _, domain = parseaddr(settings.mail_from)
    options = smtp_options(
        settings.smtp_url,
        timeout=SMTP_TIMEOUT,
        local_hostname=domain.rpartition("@")[2] or "candor",
    )
    async with asyncio.timeout(SMTP_TIMEOUT * 3):
        await aiosmtplib.send(msg, **options)
