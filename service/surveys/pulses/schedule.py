"""The pure schedule of a pulse: which items a wave asks, and when the next wave opens.

`items_for_wave(pulse, seq)` is what the wave opener freezes into a wave; `next_wave_at(pulse,
after)` is what the scheduler stores as the pulse's next due time. Both accept a PulseOut, an
asyncpg Record of the `pulses` table, or a plain mapping, and touch no database.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

import asyncpg

MONTH_DAYS = 28  # the shortest month bounds a monthly pulse's open window


class PulseLike(Protocol):
    @property
    def core_items(self) -> Sequence[str]: ...
    @property
    def rotating_items(self) -> Sequence[str]: ...
    @property
    def items_per_wave(self) -> int: ...


def _field(pulse: Any, name: str) -> Any:
    # The wave opener hands in an asyncpg Record, the API a Struct; both work.
    return pulse[name] if isinstance(pulse, Mapping | asyncpg.Record) else getattr(pulse, name)


def items_for_wave(pulse: PulseLike | Mapping[str, Any] | asyncpg.Record, seq: int) -> list[str]:
    """The item keys of wave `seq` (1, 2, ...): every core item, then a window of rotating ones.

    The window moves by its own width each wave and wraps around, so consecutive waves ask
    different rotating items, every one of them comes round within ceil(n / width) waves, and
    the same pulse and seq always give the same list.
    """
    core = list(_field(pulse, "core_items"))
    rotating = [k for k in _field(pulse, "rotating_items") if k not in core]
    width = min(max(int(_field(pulse, "items_per_wave")) - len(core), 0), len(rotating))
    if width == 0:
        return core
    start = ((seq - 1) * width) % len(rotating)
    return core + [rotating[(start + i) % len(rotating)] for i in range(width)]


def _add_months(moment: datetime, months: int) -> datetime:
    # Keep the day of the month of the start; a short month takes its last day instead.
    total = moment.month - 1 + months
    year, month = moment.year + total // 12, total % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def next_wave_at(pulse: Any, after: datetime) -> datetime:
    """The first scheduled opening strictly after `after` (the start itself if that is later).

    Missed slots are skipped, not caught up: a scheduler that was down for a month opens one
    wave, not four.
    """
    starts: datetime = _field(pulse, "starts_at")
    if after < starts:
        return starts
    cadence = _field(pulse, "cadence")
    if cadence == "monthly":
        n = (after.year - starts.year) * 12 + after.month - starts.month
        while _add_months(starts, n) <= after:
            n += 1
        while n > 0 and _add_months(starts, n - 1) > after:
            n -= 1
        return _add_months(starts, n)
    weeks = 1 if cadence == "weekly" else int(_field(pulse, "cadence_weeks"))
    period = timedelta(weeks=weeks)
    n = (after - starts) // period + 1
    return starts + n * period


def cadence_days(cadence: str, weeks: int) -> int:
    return {"weekly": 7, "every_n_weeks": 7 * weeks, "monthly": MONTH_DAYS}[cadence]
