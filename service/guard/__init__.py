"""The anonymity guard: the one place that decides which numbers may leave the service.

Pure functions over plain data; it imports nothing from the service but its own modules, so
both slices (surveys, analytics) and the pages can use it without depending on each other.

- `suppression`: the plan of a closed wave (which cells are hidden, with a code), made once.
- `release`: every read passes stored numbers through `release_*()`: `Released` or `Withheld`.
- `published`: the `Cell` built from a decision, and the markers every other number must carry.
- `codes`: why something is hidden, as a code and as words.
- `stats`: intervals and change calls, computed from released aggregates only.
"""

from __future__ import annotations

from .codes import (
    COMPLEMENT_REASON,
    NOT_ASKED_REASON,
    OPEN_REASON,
    Code,
    PlanCode,
    comments_reason_for,
    reason_for,
)
from .published import (
    ADMIN_ONLY,
    DERIVED,
    LARGE_CELL,
    MARKERS,
    NOT_ABOUT_ANSWERS,
    AdminCount,
    Cell,
    Meta,
    admin_only,
    cell_from,
    change_between,
    spread,
    withheld_cell,
)
from .release import (
    Aggregate,
    Participation,
    Released,
    Withheld,
    participation_band,
    release_cell,
    release_comments,
    release_count,
    release_live_band,
    release_participation,
    withheld,
)
from .suppression import GroupKey, Scope, WavePlan, WaveTree, plan_wave, suppress, wave_tree

__all__ = [
    "ADMIN_ONLY",
    "COMPLEMENT_REASON",
    "DERIVED",
    "LARGE_CELL",
    "MARKERS",
    "NOT_ABOUT_ANSWERS",
    "NOT_ASKED_REASON",
    "OPEN_REASON",
    "AdminCount",
    "Aggregate",
    "Cell",
    "Code",
    "GroupKey",
    "Meta",
    "Participation",
    "PlanCode",
    "Released",
    "Scope",
    "WavePlan",
    "WaveTree",
    "Withheld",
    "admin_only",
    "cell_from",
    "change_between",
    "comments_reason_for",
    "participation_band",
    "plan_wave",
    "reason_for",
    "release_cell",
    "release_comments",
    "release_count",
    "release_live_band",
    "release_participation",
    "spread",
    "suppress",
    "wave_tree",
    "withheld",
    "withheld_cell",
]
