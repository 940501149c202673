"""Dev-only pages: the outbox of mails captured by the local SMTP sink.

Mounted only when CANDOR_ENV=dev (see app.py). Shows every captured mail with its links, so a
try-out user can open an invitation as the employee would.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from litestar.response import Template

from .errors import NotFound


class CapturedMail(msgspec.Struct, frozen=True):
    id: str
    to: str
    subject: str
    date: str
    text: str
    html: str | None


def _outbox(state: State) -> Path:
    return Path(state.settings.data_dir) / "outbox"


def _read(path: Path) -> CapturedMail:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    return CapturedMail(
        id=path.stem,
        to=str(msg.get("To", "")),
        subject=str(msg.get("Subject", "")),
        date=str(msg.get("Date", "")),
        text=text_part.get_content() if text_part is not None else "",
        html=html_part.get_content() if html_part is not None else None,
    )


def list_mails(folder: Path, limit: int = 200) -> list[CapturedMail]:
    if not folder.exists():
        return []
    files = sorted(folder.glob("*.eml"), reverse=True)[:limit]
    return [_read(p) for p in files]


@get("/dev/outbox", include_in_schema=False)
async def outbox(state: State) -> Template:
    return Template("dev_outbox.html", context={"mails": list_mails(_outbox(state))})


@get("/dev/outbox/{mail_id:str}", include_in_schema=False)
async def outbox_mail(state: State, mail_id: str) -> Response[Any]:
    if not mail_id.isdigit():
        raise NotFound("No such mail.")
    path = _outbox(state) / f"{mail_id}.eml"
    if not path.exists():
        raise NotFound("No such mail.")
    return Template("dev_mail.html", context={"mail": _read(path)})


ROUTES = [outbox, outbox_mail]
