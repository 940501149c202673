"""A local SMTP sink for `candor dev`: every message is kept as an .eml file in the data folder.

The dev outbox page (devpages.py) lists what is captured here, so a try-out never needs a real
mail server and every invitation link can be clicked.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class _SaveToFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        stamp = f"{time.time_ns()}"
        path = self.folder / f"{stamp}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(envelope.original_content or envelope.content)
        tmp.rename(path)
        return "250 Message accepted for delivery"


class SmtpSink:
    """aiosmtpd on a loopback port, writing into `folder`; start() returns an SMTP_URL."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self.controller = Controller(_SaveToFolder(folder), hostname="127.0.0.1", port=port)

    def start(self) -> str:
        self.controller.start()
        return f"smtp://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.controller.stop()
