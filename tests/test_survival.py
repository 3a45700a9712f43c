"""Survival statistics against closed forms and simulated truth."""

from __future__ import annotations

import numpy as np
import pytest

from alssim.survival import cox_hazard_ratio, kaplan_meier, logrank_test


def test_kaplan_meier_hand_example():
    # times 1, 2+, 3, 3, 4+, 5 (+ censored): S = 5/6, then x (1 - 2/4) at 3, x 0 at 5
    km = kaplan_meier([1, 2, 3, 3, 4, 5], [1, 0, 1, 1, 0, 1])
    assert km.time.tolist() == [0, 1, 3, 5]
    assert km.survival == pytest.approx([1, 5 / 6, 5 / 12, 0])
    assert km.at_risk.tolist() == [6, 6, 4, 1]
    assert km.median == 3


def test_kaplan_meier_without_censoring_is_the_empirical_survival():
    t = np.random.default_rng(1).exponential(size=500)
    km = kaplan_meier(t)
    assert km.at(np.sort(t)) == pytest.approx(1 - np.arange(1, 501) / 500)


def test_median_interval_covers_the_truth():
    rng = np.random.default_rng(2)
    hits = 0
    for _ in range(200):
        t, c = rng.exponential(size=200), rng.exponential(3.0, size=200)
        km = kaplan_meier(np.minimum(t, c), t < c)
        hits += km.median_lower <= np.log(2) <= km.median_upper
    assert 0.88 <= hits / 200 <= 0.99


def test_cox_recovers_the_hazard_ratio_with_nominal_coverage():
    rng = np.random.default_rng(3)
    hr, covered, estimates = 0.7, 0, []
    for _ in range(200):
        g = rng.integers(0, 2, 300)
        t = rng.exponential(1 / np.where(g == 1, hr, 1.0))
        c = rng.exponential(2.0, 300)
        fit = cox_hazard_ratio(np.minimum(t, c), t < c, g)
        covered += fit.lower <= hr <= fit.upper
        estimates.append(fit.log_hr)
    assert np.mean(estimates) == pytest.approx(np.log(hr), abs=0.03)
    assert 0.9 <= covered / 200 <= 0.99


def test_logrank_and_cox_hold_their_size_under_the_null():
    rng = np.random.default_rng(4)
    p_lr, p_cox = [], []
    for _ in range(400):
        g = rng.integers(0, 2, 150)
        t, c = rng.exponential(size=150), rng.exponential(2.0, 150)
        p_lr.append(logrank_test(np.minimum(t, c), t < c, g).pvalue)
        p_cox.append(cox_hazard_ratio(np.minimum(t, c), t < c, g).pvalue)
    for p in (np.array(p_lr), np.array(p_cox)):
        assert 0.02 <= (p < 0.05).mean() <= 0.09


def test_logrank_detects_a_difference_and_handles_three_groups():
    rng = np.random.default_rng(5)
    g = np.repeat([0, 1, 2], 200)
    t = rng.exponential(1 / np.array([1.0, 1.0, 2.0])[g])
    res = logrank_test(t, np.ones_like(t, bool), g)
    assert res.dof == 2 and res.pvalue < 1e-6
    assert res.observed.sum() == pytest.approx(res.expected.sum())


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="same length"):
        kaplan_meier([1, 2], [1])
    with pytest.raises(ValueError, match="non-negative"):
        kaplan_meier([-1, 2])
    with pytest.raises(ValueError, match="two groups"):
        logrank_test([1, 2], [1, 1], [0, 0])


def test_p_values_never_underflow_to_zero_and_print_as_a_bound():
    from alssim.survival import P_FLOOR, format_pvalue

    # two groups, 3000 deaths at month 1 against 3000 at month 100: chi2.sf underflows
    t = np.r_[np.full(3000, 1.0), np.full(3000, 100.0)]
    g = np.r_[np.zeros(3000), np.ones(3000)]
    lr = logrank_test(t, np.ones(t.size, bool), g)
    assert lr.statistic > 2000 and lr.pvalue == P_FLOOR > 0
    assert format_pvalue(lr.pvalue) == "p < 1e-300"
    assert format_pvalue(0.0) == "p < 1e-300"
    assert format_pvalue(3.2e-12) == "p = 3.2e-12"
    assert format_pvalue(0.012345) == "p = 0.0123"
    assert format_pvalue(float("nan")) == format_pvalue(None) == "p = n/a"
