"""What closing a wave sets off beyond the surveys slice, in the closing transaction.

The surveys slice knows nothing of analytics or the console; the app and the worker hand
`after_close` to `close_wave` (service/surveys/waves/lifecycle.py), and this is it: the rollup
and the guard's decisions first, then one "results are in" mail per leader who wants it. Both
happen in the same transaction as the close, so results exist exactly when the wave is closed
and no leader is told before they do.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from .analytics.rollup import rollup_wave
from .console.results import queue_results


async def after_close(conn: asyncpg.Connection, org_id: UUID, wave_id: UUID) -> None:
    await rollup_wave(conn, org_id, wave_id)
    await queue_results(conn, org_id, wave_id)
