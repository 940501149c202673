"""Background jobs of the surveys domain, collected by service/worker.py.

FUNCTIONS are enqueued by id; CRONS are (function, arq cron keyword arguments).
"""

from __future__ import annotations

from typing import Any

FUNCTIONS: list[Any] = []
CRONS: list[tuple[Any, dict[str, Any]]] = []
