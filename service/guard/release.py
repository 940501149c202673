"""Release, on every read: a stored cell's numbers leave only as `Released`, or as `Withheld`.

`release_*()` re-checks the plan stored at close, k and the wave's state. A withheld value
carries a code and words, never its n. Everything a leader, a widget viewer or a console page
sees is built from these results (see `published.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import msgspec

from .codes import Code, comments_reason_for, reason_for


class Aggregate(msgspec.Struct, frozen=True):
    """A cell's raw aggregates as stored by the rollup."""

    n: int
    sum_raw: float
    sumsq_raw: float
    sum100: float
    sumsq100: float
    favourable: int
    scale_min: int
    scale_max: int
    # The wave's spread of this measure over all its respondents (None: too few to say).
    pooled_var_raw: float | None = None
    pooled_var100: float | None = None


class Released(msgspec.Struct, frozen=True):
    """Aggregates the guard let through; the only input the statistics are computed from."""

    agg: Aggregate


class Withheld(msgspec.Struct, frozen=True):
    """A value that is not shown: why, as a code for programs and as words for people.

    `about` names the group the reason refers to (see `codes.reason_for`), never a count.
    """

    code: Code
    reason: str
    about: str | None = None


def withheld(code: Code, k: int, about: str | None = None) -> Withheld:
    return Withheld(code, reason_for(code, k, about), about)


def release_cell(
    agg: Aggregate | None,
    hidden_code: str | None,
    *,
    k: int,
    wave_closed: bool,
    because: str | None = None,
) -> Released | Withheld:
    """Let a cell's numbers out only for a closed wave, an unhidden cell and n >= k."""
    if not wave_closed:
        return withheld("open", k)
    if agg is None:
        # No rollup row (nobody answered it): indistinguishable from too few responses.
        return withheld("few", k)
    if hidden_code is not None:
        return _stored(hidden_code, k, because)
    if agg.n < k:
        # Defence in depth: a stored decision can never publish a cell below k.
        return withheld("few", k)
    return Released(agg)


def release_count(
    n: int, hidden_code: str | None, *, k: int, wave_closed: bool, because: str | None = None
) -> int | Withheld:
    """A group's respondent count, under the same rules as its cells."""
    if not wave_closed:
        return withheld("open", k)
    if hidden_code is not None:
        return _stored(hidden_code, k, because)
    if n < k:
        return withheld("few", k)
    return n


def _stored(code: str, k: int, because: str | None) -> Withheld:
    # A stored code the reader does not know still hides the cell, with generic words.
    known: Code = code if code in ("complement", "pooled") else "few"  # type: ignore[assignment]
    about = because if known != "few" else None
    return Withheld(known, reason_for(code, k, about), about)


class Participation(msgspec.Struct, frozen=True):
    rate_pct: Annotated[
        int | None,
        msgspec.Meta(
            description=(
                "The share of invited people who answered, rounded to 5 points; null when not shown"
            ),
            examples=[70],
        ),
    ]  # rounded to 5 points
    band: Annotated[
        str | None,
        msgspec.Meta(
            description=(
                "`low` (under 40 %), `moderate` (40-69 %) or `high` (70 % or more); null when "
                "not shown"
            ),
            examples=["high"],
        ),
    ]  # "low" (< 40 %), "moderate" (40-69 %), "high" (>= 70 %)
    reason: Annotated[
        str | None,
        msgspec.Meta(
            description="Why participation is not shown, in words; null when shown", examples=[None]
        ),
    ] = None
    reason_code: Annotated[
        Code | None,
        msgspec.Meta(
            description="A code for the reason (`invitees`, `unpublished`, ...); null when shown",
            examples=[None],
        ),
    ] = None


def _no_rate(code: Code, k: int) -> Participation:
    return Participation(None, None, reason_for(code, k), code)


def release_participation(
    invited: int, responded: int, *, k: int, cell_published: bool, wave_closed: bool
) -> Participation:
    """A participation rate only for groups of at least k invitees whose numbers are published.

    A rate next to a hidden cell would let a reader multiply it back into a count below k, so
    participation follows the cell's fate as well as the invitee rule.
    """
    if not wave_closed:
        return _no_rate("open", k)
    if invited < k:
        return _no_rate("invitees", k)
    if not cell_published:
        return _no_rate("unpublished", k)
    rate = 100.0 * min(responded, invited) / invited
    rounded = int(5 * round(rate / 5))
    return Participation(rounded, participation_band(rounded))


def release_live_band(invited: int, responded: int, *, k: int) -> Participation:
    """While a wave is open, only a band ("low", "moderate", "high") for groups of at least k
    invited: an exact count that ticks up with every answer would be a live signal of who
    answered when."""
    if invited < k:
        return _no_rate("invitees", k)
    return Participation(None, participation_band(100.0 * min(responded, invited) / invited))


def participation_band(rate_pct: float) -> str:
    if rate_pct >= 70:
        return "high"
    if rate_pct >= 40:
        return "moderate"
    return "low"


def release_comments(
    bodies: Sequence[str],
    group_n: int,
    comments_hidden: str | None,
    *,
    comment_k: int,
    wave_closed: bool,
) -> list[str] | Withheld:
    """Comment texts only (no ids, no dates), for a closed wave and a large enough group."""
    if not wave_closed:
        return withheld("open", comment_k)
    if comments_hidden is not None:
        code: Code = comments_hidden if comments_hidden in ("complement", "pooled") else "few"  # type: ignore[assignment]
        return Withheld(code, comments_reason_for(code, comment_k))
    if group_n < comment_k:
        return Withheld("few", comments_reason_for("few", comment_k))
    return list(bodies)
