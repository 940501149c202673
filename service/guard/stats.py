"""Trend statistics from released aggregates: means, favourable %, intervals, change calls.

Everything here works on counts, sums and sums of squares (what the rollups keep), so no raw
response is needed. 95 % intervals: Student t for means, Wilson for proportions. A change
between two waves is called "up" or "down" only when the Welch interval of the difference
excludes zero; otherwise it is "no detectable change", and the delta is given either way.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import msgspec

Z95 = 1.959963984540054
Change = Literal["up", "down", "no detectable change"]

# Two-sided 95 % quantiles of Student's t (0.975 quantile) for 1..30 degrees of freedom.
_T975 = (
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
    2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
    2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
)  # fmt: skip


def t975(df: float) -> float:
    """The 0.975 quantile of Student's t with `df` degrees of freedom (df may be fractional).

    Exact table up to 30; above that the Cornish-Fisher expansion around the normal quantile,
    which is within 1e-4 of the true value from df 30 on.
    """
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if df <= 30:
        lo = math.floor(df)
        if lo == df or lo == 30:
            return _T975[lo - 1]
        # Interpolate in 1/df, in which the quantile is nearly linear.
        a, b = _T975[lo - 1], _T975[lo]
        w = (1 / lo - 1 / df) / (1 / lo - 1 / (lo + 1))
        return a + (b - a) * w
    z = Z95
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    return z + g1 / df + g2 / df**2 + g3 / df**3


class Interval(msgspec.Struct, frozen=True):
    low: Annotated[float, msgspec.Meta(description="The interval's lower end", examples=[64.1])]
    high: Annotated[float, msgspec.Meta(description="The interval's upper end", examples=[82.5])]


def mean(n: int, total: float) -> float:
    return total / n


def variance(n: int, total: float, total_sq: float) -> float:
    """Sample variance from sums (clamped at 0 against rounding)."""
    if n < 2:
        return 0.0
    return max(0.0, (total_sq - total * total / n) / (n - 1))


def mean_interval(n: int, total: float, total_sq: float, *, lo: float, hi: float) -> Interval:
    """95 % t-interval of a mean from the cell's own sums, clipped to the scale [lo, hi]."""
    return interval_with_spread(n, total / n, variance(n, total, total_sq), lo=lo, hi=hi)


def interval_with_spread(n: int, m: float, var: float, *, lo: float, hi: float) -> Interval:
    """95 % t-interval of a mean `m` of `n` answers whose spread is taken to be `var`."""
    if n < 2:
        return Interval(lo, hi)
    half = t975(n - 1) * math.sqrt(var / n)
    return Interval(max(lo, m - half), min(hi, m + half))


def wilson(successes: int, n: int, z: float = Z95) -> Interval:
    """Wilson score interval of a proportion, as fractions in [0, 1]."""
    if n <= 0:
        return Interval(0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


class Difference(msgspec.Struct, frozen=True):
    delta: float
    interval: Interval
    change: Change


def welch_change(before: tuple[int, float, float], after: tuple[int, float, float]) -> Difference:
    """Difference of means after - before, each given as (n, sum, sum of squares)."""
    n1, s1, q1 = before
    n2, s2, q2 = after
    return change_with_spread(
        (n1, s1 / n1, variance(n1, s1, q1)), (n2, s2 / n2, variance(n2, s2, q2))
    )


def change_with_spread(
    before: tuple[int, float, float], after: tuple[int, float, float]
) -> Difference:
    """Difference of means after - before, each given as (n, mean, variance of the answers)."""
    n1, m1, var1 = before
    n2, m2, var2 = after
    delta = m2 - m1
    v1, v2 = var1 / n1, var2 / n2
    se = math.sqrt(v1 + v2)
    if se == 0:
        # Both waves answered unanimously: any difference is certain, none is none.
        change: Change = "up" if delta > 0 else "down" if delta < 0 else "no detectable change"
        return Difference(delta, Interval(delta, delta), change)
    df_den = (v1 * v1 / (n1 - 1) if n1 > 1 else 0.0) + (v2 * v2 / (n2 - 1) if n2 > 1 else 0.0)
    df = (v1 + v2) ** 2 / df_den if df_den > 0 else 1.0
    half = t975(max(1.0, df)) * se
    low, high = delta - half, delta + half
    if low > 0:
        change = "up"
    elif high < 0:
        change = "down"
    else:
        change = "no detectable change"
    return Difference(delta, Interval(low, high), change)
