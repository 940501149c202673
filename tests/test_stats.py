"""Trend statistics against known values: t quantiles, intervals, and when a change is a change."""

from __future__ import annotations

import math
import random

import pytest

from service.guard import stats

# Published two-sided 95 % critical values of Student's t.
KNOWN_T = {
    1: 12.7062,
    2: 4.3027,
    4: 2.7764,
    5: 2.5706,
    10: 2.2281,
    29: 2.0452,
    30: 2.0423,
    31: 2.0395,
    40: 2.0211,
    60: 2.0003,
    120: 1.9799,
    1000: 1.9623,
}


@pytest.mark.parametrize(("df", "expected"), sorted(KNOWN_T.items()))
def test_t_quantile_matches_tables(df: int, expected: float) -> None:
    assert stats.t975(df) == pytest.approx(expected, abs=2e-4)


def test_t_quantile_between_table_rows_lies_between_them() -> None:
    assert stats.t975(4) > stats.t975(4.5) > stats.t975(5)
    assert stats.t975(10**7) == pytest.approx(stats.Z95, abs=1e-5)


def test_t_quantile_refuses_less_than_one_degree_of_freedom() -> None:
    with pytest.raises(ValueError):
        stats.t975(0.5)


def test_mean_interval_of_one_to_five() -> None:
    xs = [1, 2, 3, 4, 5]
    ci = stats.mean_interval(5, sum(xs), sum(x * x for x in xs), lo=1, hi=7)
    half = 2.7764 * math.sqrt(2.5 / 5)
    assert ci.low == pytest.approx(3 - half, abs=1e-3)
    assert ci.high == pytest.approx(3 + half, abs=1e-3)


def test_mean_interval_is_clipped_to_the_scale() -> None:
    xs = [7, 7, 7, 7, 1]
    ci = stats.mean_interval(5, sum(xs), sum(x * x for x in xs), lo=1, hi=7)
    assert ci.high == 7


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (0, 10, 0.0, 0.2775),
        (5, 10, 0.2366, 0.7634),
        (9, 10, 0.5958, 0.9821),
        (50, 100, 0.4038, 0.5962),
    ],
)
def test_wilson_interval_matches_known_values(k: int, n: int, low: float, high: float) -> None:
    ci = stats.wilson(k, n)
    assert ci.low == pytest.approx(low, abs=1e-4)
    assert ci.high == pytest.approx(high, abs=1e-4)


def _sums(xs: list[float]) -> tuple[int, float, float]:
    return len(xs), sum(xs), sum(x * x for x in xs)


def test_small_noisy_difference_is_no_detectable_change_but_the_delta_is_given() -> None:
    before = _sums([40, 60, 55, 45, 50, 70, 30])
    after = _sums([45, 65, 55, 50, 50, 70, 35])
    d = stats.welch_change(before, after)
    assert d.change == "no detectable change"
    assert d.delta == pytest.approx(20 / 7, abs=1e-9)  # each rose by 0 or 5
    assert d.interval.low < 0 < d.interval.high


def test_clear_rise_and_fall_are_called() -> None:
    low = _sums([20, 25, 30, 22, 28, 24, 26, 21])
    high = _sums([70, 75, 80, 72, 78, 74, 76, 71])
    assert stats.welch_change(low, high).change == "up"
    assert stats.welch_change(high, low).change == "down"


def test_welch_interval_matches_a_textbook_computation() -> None:
    a = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4]
    b = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4]
    d = stats.welch_change(_sums(a), _sums(b))
    # Welch's t for these samples: t = 2.46 with about 24.9 degrees of freedom (p ~ 0.021).
    se = (d.interval.high - d.interval.low) / 2 / stats.t975(24.9)
    assert d.delta / se == pytest.approx(2.46, abs=0.01)
    assert d.change == "up"


def test_unanimous_waves_compare_exactly() -> None:
    assert stats.welch_change(_sums([50] * 5), _sums([50] * 5)).change == "no detectable change"
    assert stats.welch_change(_sums([50] * 5), _sums([60] * 5)).change == "up"


def test_interval_covers_the_true_mean_about_95_percent_of_the_time() -> None:
    rng = random.Random(7)
    hits = 0
    for _ in range(2000):
        xs = [rng.gauss(50, 15) for _ in range(8)]
        ci = stats.mean_interval(*_sums(xs), lo=-1e9, hi=1e9)
        hits += ci.low <= 50 <= ci.high
    assert 0.93 <= hits / 2000 <= 0.97
