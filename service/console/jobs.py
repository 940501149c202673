"""Background jobs of the console, collected by service/worker.py (same shape as surveys/jobs)."""

from __future__ import annotations

from typing import Any

from .sending import send_console_mail, sweep_console_mail

FUNCTIONS: list[Any] = [send_console_mail]
CRONS: list[tuple[Any, dict[str, Any]]] = [
    (sweep_console_mail, {"second": 45, "run_at_startup": True}),
]
