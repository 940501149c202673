"""Background jobs of the surveys domain, collected by service/worker.py.

FUNCTIONS are enqueued by name (`deliver_wave`, by kick_delivery with a deterministic job id);
CRONS are (function, arq cron keyword arguments). The crons run every minute, staggered so
a wave that closes is never reminded in the same second, and the sweeper also runs when a
worker starts so a restart picks up whatever was left.
"""

from __future__ import annotations

from typing import Any

from .delivery import deliver_wave, queue_reminders, sweep_outbox
from .waves import close_due_waves, open_due_waves, reseal_open_waves

FUNCTIONS: list[Any] = [deliver_wave]
CRONS: list[tuple[Any, dict[str, Any]]] = [
    (close_due_waves, {"second": 0}),
    (open_due_waves, {"second": 10}),
    (queue_reminders, {"second": 20}),
    (sweep_outbox, {"second": {30, 59}, "run_at_startup": True}),
    # Reshuffle open waves' ballot boxes so a backup taken mid-wave cannot link by row order.
    (reseal_open_waves, {"minute": set(range(0, 60, 5)), "second": 40}),
]
