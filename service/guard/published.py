"""What a published cell looks like, built only from a guard decision; and the number markers.

`cell_from()` turns `Released | Withheld` into a `Cell`: the statistics of a released cell, or
only the code and words of a withheld one. Every Struct defined in `service.guard` is a guard
result. A number in any other Struct that a leader-facing route returns must say what it is,
with one of the markers below; tests/test_guard_is_the_only_way_out.py walks every route's
return type and fails on a bare number.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from . import stats
from .codes import Code
from .release import Aggregate, Released, Withheld

# A number computed from guard results only (e.g. a published score rounded for a widget).
DERIVED = msgspec.Meta(extra={"candor_number": "derived from a guard result"})
# A number that says nothing about anyone's answers: paging, thresholds, scale ends, directory
# counts, sequence numbers.
NOT_ABOUT_ANSWERS = msgspec.Meta(extra={"candor_number": "not about answers"})
# A number only admins may see, filled through `admin_only()`; None for everyone else.
ADMIN_ONLY = msgspec.Meta(extra={"candor_number": "admin only"})

MARKERS = (DERIVED, NOT_ABOUT_ANSWERS, ADMIN_ONLY)
Meta = Annotated[int, NOT_ABOUT_ANSWERS]  # e.g. `limit: guard.Meta`
AdminCount = Annotated[int | None, ADMIN_ONLY]


def admin_only(is_admin: bool, value: Any) -> Any:
    """The one path by which an admin-only number reaches a response: None unless admin."""
    return value if is_admin else None


class Cell(msgspec.Struct, frozen=True):
    """One published-or-not number set: a group x wave x dimension (or item)."""

    published: Annotated[
        bool,
        msgspec.Meta(
            description=(
                "True when the numbers are shown; false when the guard holds them back (then "
                "`reason` says why)"
            ),
            examples=[True],
        ),
    ]
    reason: Annotated[
        str | None,
        msgspec.Meta(
            description="Why the numbers are not shown, in words; null when shown", examples=[None]
        ),
    ] = None
    reason_code: Annotated[
        Code | None,
        msgspec.Meta(
            description=(
                "A code for the reason: `few` (fewer than k respondents), `complement` (hidden "
                "so a smaller group cannot be worked out by subtraction), `open` (wave still "
                "open), `not_asked`, `invitees`, `unpublished` or `pooled`; null when shown"
            ),
            examples=[None],
        ),
    ] = None
    reason_about: Annotated[
        str | None,
        msgspec.Meta(description="The group the reason names; null when shown", examples=[None]),
    ] = None  # the group the reason names (see codes.reason_for)
    n: Annotated[
        int | None,
        msgspec.Meta(
            description="Respondents behind the numbers (at least k); null when not shown",
            examples=[12],
        ),
    ] = None
    mean: Annotated[
        float | None,
        msgspec.Meta(
            description=(
                "The mean answer on the item scale, after reverse-keying; null when not shown"
            ),
            examples=[5.4],
        ),
    ] = None  # on the item scale, after reverse-keying
    mean_ci: Annotated[
        stats.Interval | None,
        msgspec.Meta(description="The uncertainty of the mean (an interval); null when not shown"),
    ] = None
    score: Annotated[
        float | None,
        msgspec.Meta(
            description="The same mean on a 0-100 scale; null when not shown", examples=[73.3]
        ),
    ] = None  # the same on 0-100
    score_ci: Annotated[
        stats.Interval | None,
        msgspec.Meta(description="The uncertainty of the score (an interval); null when not shown"),
    ] = None
    favourable_pct: Annotated[
        float | None,
        msgspec.Meta(
            description="The share of favourable answers, in percent; null when not shown",
            examples=[67.0],
        ),
    ] = None
    favourable_ci: Annotated[
        stats.Interval | None,
        msgspec.Meta(
            description="The uncertainty of that share (an interval); null when not shown"
        ),
    ] = None


# Below this many respondents a cell's own spread could be read back from its interval (with
# its mean and favourable share it narrows down who answered what), so it publishes the wave's.
LARGE_CELL = 30


def spread(a: Aggregate) -> tuple[float, float]:
    """The variances (item scale, 0-100) a cell's intervals and changes are computed with.

    A large cell uses its own. A small one uses the wave's pooled spread of the measure; when
    the wave itself is small, the spread of answers spread evenly over the scale (wide, honest,
    and the same for every small cell), so nothing of a small cell's own spread is published.
    """
    if a.n >= LARGE_CELL:
        return (
            stats.variance(a.n, a.sum_raw, a.sumsq_raw),
            stats.variance(a.n, a.sum100, a.sumsq100),
        )
    if a.pooled_var_raw is not None and a.pooled_var100 is not None:
        return a.pooled_var_raw, a.pooled_var100
    width = a.scale_max - a.scale_min
    return width * width / 12.0, 100.0 * 100.0 / 12.0


def cell_from(decision: Released | Withheld) -> Cell:
    """Statistics of a released cell, or just the reason of a withheld one."""
    if isinstance(decision, Withheld):
        return Cell(
            published=False,
            reason=decision.reason,
            reason_code=decision.code,
            reason_about=decision.about,
        )
    a = decision.agg
    var_raw, var100 = spread(a)
    # Sums arrive as floats added in whatever order the rollup met the answers: two cells with
    # the same true sum can differ in the last bits. Rounding far below what is published makes
    # them publish the same numbers (and a half-way score round the same way).
    mean_raw, mean100 = round(a.sum_raw / a.n, 9), round(a.sum100 / a.n, 9)
    m_ci = stats.interval_with_spread(a.n, mean_raw, var_raw, lo=a.scale_min, hi=a.scale_max)
    s_ci = stats.interval_with_spread(a.n, mean100, var100, lo=0.0, hi=100.0)
    f_ci = stats.wilson(a.favourable, a.n)
    return Cell(
        published=True,
        n=a.n,
        mean=round(mean_raw, 2),
        mean_ci=stats.Interval(round(m_ci.low, 2), round(m_ci.high, 2)),
        score=round(mean100, 1),
        score_ci=stats.Interval(round(s_ci.low, 1), round(s_ci.high, 1)),
        favourable_pct=round(100 * a.favourable / a.n, 1),
        favourable_ci=stats.Interval(round(100 * f_ci.low, 1), round(100 * f_ci.high, 1)),
    )


def withheld_cell(code: Code, reason: str) -> Cell:
    return Cell(published=False, reason=reason, reason_code=code)


def change_between(before: Aggregate, after: Aggregate) -> stats.Difference:
    """The change of the 0-100 score from one released cell to the next, each with its spread."""
    return stats.change_with_spread(
        (before.n, round(before.sum100 / before.n, 9), spread(before)[1]),
        (after.n, round(after.sum100 / after.n, 9), spread(after)[1]),
    )
