"""Real SMTP servers for tests: the session's capturing mailbox and servers that misbehave.

Both are aiosmtpd servers on loopback ports, so the code under test talks real SMTP over real
sockets. `MailBox` keeps every message it receives (the `mailbox` fixture hands it out, emptied
for each test). `Smtp` is a handler told to misbehave: a 451 for the first N messages, 550 for
some addresses, a hang or a dropped connection during DATA, or a slow accept.

    with smtp_server(Smtp(fail_first=2)) as url:
        worker_settings = with_smtp(settings, url)
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import msgspec
from aiosmtpd.controller import Controller

from service.embedded import free_port
from service.settings import Settings

# A respondent's link in a mail body; group 1 is the token.
LINK = re.compile(r"https?://[^\s\"<>]+/s/([A-Za-z0-9_-]{43})")


def _parse(envelope: Any) -> EmailMessage:
    msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


@dataclass
class MailBox:
    """Messages received by the session's SMTP server, as parsed EmailMessages."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(_parse(envelope))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def clear(self) -> None:
        self.messages.clear()
        self.envelopes.clear()


@dataclass
class Smtp:
    """A real aiosmtpd server whose DATA handler can be told to misbehave."""

    received: list[EmailMessage] = field(default_factory=list)
    calls: int = 0
    fail_first: int = 0  # answer 451 to the first N DATA commands
    reject: set[str] = field(default_factory=set)  # answer 550 to RCPT of these addresses
    hang_first: int = 0  # never answer the first N DATA commands (until the client gives up)
    drop_first: int = 0  # close the connection during the first N DATA commands
    # Seconds to take over accepting each message: a slow server is what such a test is about,
    # so this pause is the behaviour under test, not a wait for something.
    delay: float = 0.0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.reject:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.calls += 1
        n = self.calls
        if n <= self.fail_first:
            return "451 4.3.0 Try again later"
        if n <= self.fail_first + self.hang_first:
            await _hang_up_on_nobody(server)
            return "451 4.4.2 Too slow"
        if n <= self.fail_first + self.hang_first + self.drop_first:
            server.transport.close()
            return "421 closing"
        if self.delay:
            await asyncio.sleep(self.delay)
        self.received.append(_parse(envelope))
        return "250 OK queued"

    def recipients(self) -> Counter[str]:
        return Counter(str(m["To"].addresses[0].addr_spec) for m in self.received)


async def _hang_up_on_nobody(server: Any, longest: float = 30.0) -> None:
    """Say nothing until the client has given up and closed the connection (or `longest`)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + longest
    while loop.time() < deadline:
        transport = getattr(server, "transport", None)
        if transport is None or transport.is_closing():
            return
        await asyncio.sleep(0.05)


@contextmanager
def smtp_server(handler: Any, **controller_kwargs: Any) -> Iterator[str]:
    """Run `handler` (a MailBox, an Smtp) on a loopback port; yields its smtp:// URL."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **controller_kwargs)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


def with_smtp(settings: Settings, url: str) -> Settings:
    """The same settings, sending mail to `url`."""
    return msgspec.structs.replace(settings, smtp_url=url)
