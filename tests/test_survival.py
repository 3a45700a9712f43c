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


def test_the_k_group_log_rank_formula_agrees_with_scipy_for_two_groups():
    """The statistic written here for three or more groups is scipy's for two (its z squared),
    with ties and censoring."""
    from scipy.stats import CensoredData, logrank

    from alssim.survival import _k_group_statistic, _risk_table

    rng = np.random.default_rng(11)
    for _ in range(20):
        t = np.round(rng.exponential(5.0, 60))  # ties
        e = rng.random(60) < 0.7
        g = rng.integers(0, 2, 60)
        ev = np.unique(t[e])
        n_all, d_all = _risk_table(t, e, ev)
        tables = [_risk_table(t[g == i], e[g == i], ev) for i in (0, 1)]
        n_g = np.array([n for n, _ in tables], dtype=float)
        o = np.array([d.sum() for _, d in tables], dtype=float)
        ex = (d_all * n_g / np.maximum(n_all, 1)).sum(axis=1)
        z = logrank(CensoredData.right_censored(t[g == 0], ~e[g == 0]),
                    CensoredData.right_censored(t[g == 1], ~e[g == 1])).statistic
        assert _k_group_statistic(o, ex, n_all, d_all, n_g) == pytest.approx(z**2, rel=1e-10)
        assert logrank_test(t, e, g).statistic == pytest.approx(z**2, rel=1e-12)


def test_cox_gives_the_boundary_when_an_arm_has_no_events():
    """All deaths in one arm: no finite maximum of the partial likelihood. The result says so
    (hazard ratio 0 or inf, no interval), instead of an overflow or a NaN."""
    t = np.arange(1.0, 9.0)
    arm = np.r_[np.zeros(4), np.ones(4)]
    no_treated_deaths = cox_hazard_ratio(t, arm == 0, arm)
    assert no_treated_deaths.separated and no_treated_deaths.hazard_ratio == 0.0
    assert no_treated_deaths.log_hr == -np.inf and np.isnan(no_treated_deaths.lower)
    assert np.isnan(no_treated_deaths.pvalue)
    no_control_deaths = cox_hazard_ratio(t, arm == 1, arm)
    assert no_control_deaths.separated and no_control_deaths.hazard_ratio == np.inf
    # deaths in both arms, the arms interleaved in time: an ordinary estimate, not flagged
    mixed = np.tile([0.0, 1.0], 4)
    both = cox_hazard_ratio(t, np.ones(8, bool), mixed)
    assert not both.separated and 0 < both.hazard_ratio < np.inf
    assert both.lower < both.hazard_ratio < both.upper
    # every control dies before any treated patient: the same boundary, found by the fit
    assert cox_hazard_ratio(t, np.ones(8, bool), arm).separated
    # no deaths at all: nothing to estimate
    assert np.isnan(cox_hazard_ratio(t, np.zeros(8, bool), arm).hazard_ratio)


def test_cox_refuses_a_treatment_coded_other_than_0_and_1():
    t, e = np.arange(1.0, 5.0), np.ones(4, bool)
    with pytest.raises(ValueError, match=r"coded 0 \(control\) and 1 \(treated\); got values 1, 2"):
        cox_hazard_ratio(t, e, [1, 1, 2, 2])
    with pytest.raises(ValueError, match="both arms"):
        cox_hazard_ratio(t, e, [1, 1, 1, 1])
    assert cox_hazard_ratio(t, e, [False, True, False, True]).hazard_ratio > 0
