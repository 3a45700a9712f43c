"""Analytic checks of the clinical functions on hand-made arrays (no simulation)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from alssim.anatomy import ALSFRS_ITEMS
from alssim.clinical import (
    alsfrs,
    diagnosis,
    electro,
    fasciculations,
    progression,
    respiratory,
    staging,
    strength,
    umn_signs,
)

T = np.arange(0.0, 13.0)  # monthly records


def _pool(a):
    """Shape (T, 1, 1) from a 1-D series."""
    return np.asarray(a, dtype=float)[:, None, None]


# ------------------------------------------------------------------ reinnervation
def test_reinnervation_is_a_first_order_lag_to_the_orphaned_fibres():
    alive = _pool(np.where(T >= 1, 50.0, 100.0))
    zero = np.zeros_like(alive)
    tau = 2.0
    r = strength.reinnervated_fibres(T, np.full((1, 1), 100.0), alive, zero,
                                     max_unit_enlargement=5.0, delay_months=tau,
                                     dysfunctional_sprouting=0.5)
    # orphaning spread linearly over [0, 1], then a constant target of 50
    r1 = 50.0 - 50.0 * tau * (1 - np.exp(-1 / tau))
    expected = np.where(T >= 1, 50.0 + (r1 - 50.0) * np.exp(-(T - 1) / tau), 0.0)
    np.testing.assert_allclose(r[:, 0, 0], expected, rtol=1e-12, atol=1e-12)
    immediate = strength.reinnervated_fibres(T, np.full((1, 1), 100.0), alive, zero,
                                             max_unit_enlargement=5.0, delay_months=0.0,
                                             dysfunctional_sprouting=0.5)
    np.testing.assert_allclose(immediate[:, 0, 0], np.where(T >= 1, 50.0, 0.0))


def test_reinnervation_capacity_and_sprouting_of_dysfunctional_units():
    # 10 of 100 fibres' units survive; each can grow to 5x: 40 adopted, innervated 50%
    alive = _pool(np.where(T >= 1, 10.0, 100.0))
    zero = np.zeros_like(alive)
    r = strength.reinnervated_fibres(T, np.full((1, 1), 100.0), alive, zero,
                                     max_unit_enlargement=5.0, delay_months=0.0,
                                     dysfunctional_sprouting=0.5)
    assert r[-1, 0, 0] == pytest.approx(40.0)
    m = strength.innervated_fraction(np.full((1, 1), 100.0), alive, r)
    assert m[-1, 0, 0] == pytest.approx(0.5)
    # half the survivors dysfunctional, sprouting half as much: capacity 4 * (5 + 2.5) = 30
    r2 = strength.reinnervated_fibres(T, np.full((1, 1), 100.0), alive, alive / 2,
                                      max_unit_enlargement=5.0, delay_months=0.0,
                                      dysfunctional_sprouting=0.5)
    assert r2[-1, 0, 0] == pytest.approx(30.0)
    off = strength.reinnervated_fibres(T, np.full((1, 1), 100.0), alive, zero,
                                       max_unit_enlargement=5.0, delay_months=0.0,
                                       dysfunctional_sprouting=0.5, enabled=False)
    assert not off.any()


def test_adopted_fibres_are_lost_with_their_adopting_units():
    # 60 survive at t=1 and adopt 40 at once; at t=5 half the survivors die, long lag
    a = np.where(T >= 1, 60.0, 100.0)
    a = np.where(T >= 5, 30.0, a)
    r = strength.reinnervated_fibres(T, np.full((1, 1), 100.0), _pool(a), _pool(0 * a),
                                     max_unit_enlargement=3.0, delay_months=1e9,
                                     dysfunctional_sprouting=1.0)
    assert r[4, 0, 0] == pytest.approx(0.0, abs=1e-6)
    r0 = strength.reinnervated_fibres(T, np.full((1, 1), 100.0), _pool(a), _pool(0 * a),
                                      max_unit_enlargement=3.0, delay_months=0.0,
                                      dysfunctional_sprouting=1.0)
    # immediate: 40 adopted (capacity 120), then 70 orphaned and capacity 60 -> 60
    assert r0[4, 0, 0] == pytest.approx(40.0) and r0[5, 0, 0] == pytest.approx(60.0)
    slow = strength.reinnervated_fibres(T, np.full((1, 1), 100.0), _pool(a), _pool(0 * a),
                                        max_unit_enlargement=3.0, delay_months=2.0,
                                        dysfunctional_sprouting=1.0)
    carried = slow[4, 0, 0] * 30.0 / 60.0
    h = 1 / 2.0
    expected = 60.0 + (carried - 40.0) * np.exp(-h) - (60.0 - 40.0) * (1 - np.exp(-h)) / h
    assert slow[5, 0, 0] == pytest.approx(expected)


@settings(max_examples=30)
@given(
    losses=hnp.arrays(float, (12, 3), elements=st.floats(0.0, 0.3)),
    dys=hnp.arrays(float, (13, 3), elements=st.floats(0.0, 1.0)),
    k=st.floats(1.0, 10.0), tau=st.floats(0.0, 24.0), s=st.floats(0.0, 1.0),
)
def test_reinnervation_bounds(losses, dys, k, tau, s):
    alive = 100.0 * np.vstack([np.ones((1, 3)), np.cumprod(1 - losses, axis=0)])
    d = alive * dys
    r = strength.reinnervated_fibres(T, np.full(3, 100.0), alive, d, max_unit_enlargement=k,
                                     delay_months=tau, dysfunctional_sprouting=s)
    cap = (k - 1) * ((alive - d) + s * d)
    assert (r >= -1e-9).all()
    assert (r <= np.minimum(100.0 - alive, cap) + 1e-9).all()
    m = strength.innervated_fraction(np.full(3, 100.0), alive, r)
    assert ((m >= 0) & (m <= 1)).all()


def _reinnervated_record_by_record(t, f0, a, d, k, tau, s):
    """The recurrence of :func:`strength.reinnervated_fibres` written one record at a time, as
    its docstring states it: the vectorised function must give these numbers bit for bit."""
    orphaned = np.maximum(f0 - a, 0.0)
    target = np.minimum(orphaned, np.maximum((k - 1.0) * ((a - d) + s * d), 0.0))
    out = np.zeros_like(a)
    r = np.zeros(a.shape[1:])
    for n in range(1, a.shape[0]):
        kept = np.zeros(a.shape[1:])
        np.divide(a[n], a[n - 1], out=kept, where=a[n - 1] != 0)
        carried = np.minimum(r * kept, target[n - 1])
        dt = t[n] - t[n - 1]
        if tau <= 0 or dt > 700.0 * tau:
            r = target[n]
        else:
            h = dt / tau
            r = (target[n] + (carried - target[n - 1]) * np.exp(-h)
                 - (target[n] - target[n - 1]) * (-np.expm1(-h)) / h)
        r = np.clip(r, 0.0, target[n])
        out[n] = r
    return out


@settings(max_examples=40)
@given(
    losses=hnp.arrays(float, (12, 3), elements=st.floats(0.0, 0.6)),
    dys=hnp.arrays(float, (13, 3), elements=st.floats(0.0, 1.0)),
    steps=hnp.arrays(float, 12, elements=st.floats(0.01, 40.0)),
    k=st.floats(1.0, 10.0), tau=st.sampled_from([0.0, 0.01, 0.5, 3.0, 24.0]),
    s=st.floats(0.0, 1.0),
)
def test_reinnervation_is_the_record_by_record_recurrence_exactly(losses, dys, steps, k, tau,
                                                                   s):
    t = np.concatenate([[0.0], np.cumsum(steps)])
    alive = 100.0 * np.vstack([np.ones((1, 3)), np.cumprod(1 - losses, axis=0)])
    alive[alive < 20.0] = 0.0  # pools lost entirely
    d = alive * dys
    got = strength.reinnervated_fibres(t, np.full(3, 100.0), alive, d, max_unit_enlargement=k,
                                       delay_months=tau, dysfunctional_sprouting=s)
    want = _reinnervated_record_by_record(t, np.full(3, 100.0), alive, d, k, tau, s)
    assert np.array_equal(got, want)


@settings(max_examples=40)
@given(losses=hnp.arrays(float, (12, 2), elements=st.floats(0.0, 0.5)),
       umn=hnp.arrays(float, (12, 2), elements=st.floats(0.0, 0.5)))
def test_without_reinnervation_strength_never_rises(losses, umn):
    alive = 100.0 * np.vstack([np.ones((1, 2)), np.cumprod(1 - losses, axis=0)])
    umn_lost = 1 - np.vstack([np.ones((1, 2)), np.cumprod(1 - umn, axis=0)])
    r = strength.reinnervated_fibres(T, np.full(2, 100.0), alive, 0 * alive,
                                     max_unit_enlargement=5, delay_months=1,
                                     dysfunctional_sprouting=1, enabled=False)
    s = strength.innervated_fraction(np.full(2, 100.0), alive, r) * strength.umn_drive(
        umn_lost, 0.3, 0.4)
    assert (np.diff(s, axis=0) <= 1e-12).all()


def test_umn_drive_and_mrc_grade():
    u = np.array([0.0, 0.4, 0.7, 1.0])
    np.testing.assert_allclose(strength.umn_drive(u, 0.3, 0.4), [1.0, 1.0, 0.85, 0.7])
    thr = (0.02, 0.05, 0.15, 0.40, 0.80)
    s = np.array([0.0, 0.019, 0.02, 0.05, 0.149, 0.15, 0.4, 0.79, 0.8, 1.0])
    np.testing.assert_array_equal(strength.mrc_grade(s, thr), [0, 0, 1, 2, 2, 3, 4, 4, 5, 5])
    assert strength.atrophy_sign(np.array([0.29, 0.3]), 0.3).tolist() == [False, True]


# ------------------------------------------------------------------ UMN signs
def test_ashworth_reflex_and_babinski_levels():
    thr = (0.15, 0.30, 0.45, 0.60, 0.80)
    eff = np.array([0.0, 0.15, 0.3, 0.45, 0.6, 0.8, 1.0])
    np.testing.assert_array_equal(umn_signs.ashworth(eff, thr), [0, 1, 1.5, 2, 3, 4, 4])
    kw = dict(brisk=0.15, clonus=0.5, reduced_below=0.4, absent_below=0.1, brisk_lost_below=0.05)
    m = np.ones(4)
    np.testing.assert_array_equal(umn_signs.reflex_grade(np.array([0, 0.2, 0.5, 1.0]), m, **kw),
                                  [2, 3, 4, 4])
    # without UMN damage a wasted muscle loses the reflex
    np.testing.assert_array_equal(
        umn_signs.reflex_grade(np.zeros(3), np.array([0.5, 0.3, 0.05]), **kw), [2, 1, 0])
    # UMN damage keeps it brisk in a wasted muscle (see test_reflex_stays_brisk_...)
    assert umn_signs.reflex_grade(np.array([0.2]), np.array([0.3]), **kw)[0] == 3
    u3 = np.full((1, 2, 2), 0.3)
    b = umn_signs.babinski(u3, np.ones((1, 2, 2)), threshold=0.25, lost_below=0.05)
    assert b.all()
    assert not umn_signs.babinski(u3, np.ones((1, 2, 2)), threshold=0.35, lost_below=0.05).any()


def test_masking_a_segment_with_both_losses():
    idx = umn_signs.umn_index(np.array([0.6]), np.array([0.2]), 0.5)
    assert idx[0] == pytest.approx(0.7)
    full = umn_signs.effective_umn_index(idx, np.array([1.0]))
    gone = umn_signs.effective_umn_index(idx, np.array([0.1]))
    assert umn_signs.ashworth(full, (0.15, 0.3, 0.45, 0.6, 0.8))[0] == 3.0
    assert umn_signs.ashworth(gone, (0.15, 0.3, 0.45, 0.6, 0.8))[0] == 0.0


# ------------------------------------------------------------------ fasciculations
def test_fasciculation_rate_and_score():
    rate = fasciculations.fasciculation_rate(np.array([0.0, 0.1, 0.1]), np.array([1.0, 0, 1]),
                                             rate_per_unit=0.15, reference_motor_units=200,
                                             disinhibition_gain=1.0)
    np.testing.assert_allclose(rate, [0.0, 3.0, 6.0])
    np.testing.assert_array_equal(
        fasciculations.fasciculation_score(np.array([0, 1.9, 2, 6, 15, 30, 99]),
                                           (2, 6, 15, 30)), [0, 0, 1, 2, 3, 4, 4])


# ------------------------------------------------------------------ ALSFRS-R, FVC, stages
class _Seg:
    def __init__(self, functions):
        self.functions = functions


class _Anat:
    def __init__(self, segs):
        self.segments = segs
        self.n_segments = len(segs)


def test_item_mapping_uses_shares_and_the_dominant_hand():
    anat = _Anat([_Seg({"speech": 1.0, "swallowing": 1.0}),
                  _Seg({"handwriting": 1.0, "walking": 0.5}), _Seg({"walking": 0.5})])
    w = alsfrs.item_shares(anat)
    assert w.shape == (12, 3)
    cap = np.ones((1, 3, 2))
    cap[0, 1, 1] = 0.2  # right arm weak
    cap[0, 2, :] = 0.6
    f = alsfrs.item_function(cap, w, dominant_side=1)
    i = {n: k for k, n in enumerate(ALSFRS_ITEMS)}
    assert f[0, i["handwriting"]] == pytest.approx(0.2)
    assert alsfrs.item_function(cap, w, dominant_side=0)[0, i["handwriting"]] == 1.0
    assert f[0, i["walking"]] == pytest.approx(0.5 * 0.6 + 0.5 * 0.6)
    assert f[0, i["dyspnoea"]] == 1.0  # served by no segment: never lost
    items = alsfrs.item_scores(f, (0.15, 0.35, 0.55, 0.8))
    assert items[0, i["handwriting"]] == 1 and items[0, i["walking"]] == 3
    dom = alsfrs.domain_scores(items)
    assert sum(int(v[0]) for v in dom.values()) == int(items.sum())


def test_items_with_their_own_thresholds():
    f = np.array([[0.80] * 12, [0.18] * 12])
    i = {n: k for k, n in enumerate(ALSFRS_ITEMS)}
    common = (0.20, 0.45, 0.70, 0.85)
    items = alsfrs.item_scores(f, common, {"swallowing": (0.15, 0.45, 0.65, 0.78)})
    # the same function, graded by the item's own thresholds: speech changes first, nothing by
    # mouth only after speech is lost
    assert items[0, i["speech"]] == 3 and items[0, i["swallowing"]] == 4
    assert items[1, i["speech"]] == 0 and items[1, i["swallowing"]] == 1
    assert items[0, i["salivation"]] == 3  # no thresholds of its own: the common ones
    assert np.array_equal(alsfrs.item_scores(f, common, {}), alsfrs.item_scores(f, common))


def test_involvement_is_cumulative():
    cap = _pool([1.0, 0.7, 0.9, 1.0])
    assert alsfrs.involvement(cap, 0.8)[:, 0, 0].tolist() == [False, True, True, True]


def test_fvc_from_the_respiratory_pump():
    w = np.zeros((12, 3))
    w[ALSFRS_ITEMS.index("respiratory_insufficiency")] = [0, 0.6, 0.4]
    pw = respiratory.pump_weights(w)
    np.testing.assert_allclose(pw, [0, 0.6, 0.4])
    s = np.ones((2, 3, 2))
    s[1, 1] = 0.5
    pump = respiratory.pump_strength(s, pw)
    np.testing.assert_allclose(pump, [1.0, 0.7])
    np.testing.assert_allclose(respiratory.fvc_percent(pump, 100.0, 1.0), [100.0, 70.0])
    np.testing.assert_allclose(respiratory.fvc_percent(pump, 100.0, 0.5),
                               [100.0, 100.0 * 0.7**0.5])
    # no respiratory segment: the pump keeps full strength
    np.testing.assert_allclose(respiratory.pump_strength(s, np.zeros(3)), [1.0, 1.0])


def test_kings_stage_codes_and_monotone():
    regions = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1], [1, 1, 1], [1, 1, 1],
                        [1, 1, 1]], dtype=bool)
    g = np.array([0, 0, 0, 0, 1, 1, 1], dtype=bool)
    niv = np.array([0, 0, 0, 0, 0, 1, 1], dtype=bool)
    dead = np.array([0, 0, 0, 0, 0, 0, 1], dtype=bool)
    k = staging.kings_stage(regions, g, niv, dead)
    np.testing.assert_array_equal(k, [0, 1, 2, 3, 4.0, 4.5, 5.0])
    assert set(k) <= set(staging.KINGS_LEVELS)


def test_mitos_domains():
    i = {n: k for k, n in enumerate(ALSFRS_ITEMS)}
    items = np.full((6, 12), 4)
    items[1, i["walking"]] = 1
    items[2, i["swallowing"]] = 1
    items[3, i["speech"]] = 1  # speech alone does not lose communication
    items[4, [i["speech"], i["handwriting"]]] = 1
    items[5, i["respiratory_insufficiency"]] = 2
    np.testing.assert_array_equal(staging.mitos_stage(items, np.zeros(6, bool)),
                                  [0, 1, 1, 0, 1, 1])
    assert staging.mitos_stage(items, np.ones(6, bool)).tolist() == [5] * 6


# ------------------------------------------------------------------ EMG, MUNE, CMAP
def test_fibrillations_decay_and_stop_when_reinnervated():
    own_lost = _pool(np.where(T >= 1, 0.5, 0.0))
    tau = 4.0
    f = electro.fibrillation_density(T, own_lost, own_lost, tau)[:, 0, 0]
    np.testing.assert_allclose(f, np.where(T >= 1, 0.5 * np.exp(-(T - 1) / tau), 0.0))
    f2 = electro.fibrillation_density(T, own_lost, _pool(np.where(T >= 3, 0.1, 0.5 * (T >= 1))),
                                      tau)[:, 0, 0]
    assert f2[3] == pytest.approx(0.1)
    np.testing.assert_array_equal(electro.fibrillation_grade(np.array([0, 0.02, 0.5]),
                                                             (0.02, 0.08, 0.2, 0.4)), [0, 1, 4])


def test_mune_cmap_and_split_hand():
    names = ("thenar", "first_dorsal_interosseous", "hypothenar", "biceps")
    e = np.array([1.5, 1.5, 1.0, 1.0])  # the anatomy's vulnerability exponents
    a = np.full((1, 4, 2), 0.64)
    mu = electro.mune(np.array([250, 120, 250, 300]), a, e)
    np.testing.assert_allclose(mu[0, :, 0], [250 * 0.512, 120 * 0.512, 160, 192])
    # the CMAP reads each muscle's own innervated fraction (exponent and reinnervation applied)
    m_own, _ = strength.muscle_pools(a, np.zeros_like(a), e)
    cmap = electro.cmap_percent(m_own)
    np.testing.assert_allclose(cmap[0, :, 0], [51.2, 51.2, 64.0, 64.0])
    si = electro.split_hand_index(cmap, names, np.array([1, 1, 1, 0]), 2, 12.0)
    assert np.isnan(si[0, 0]).all()
    np.testing.assert_allclose(si[0, 1], 12.0 * 0.512 * 0.512 / 0.64)
    healthy = electro.split_hand_index(np.full((1, 4, 2), 100.0), names,
                                       np.array([1, 1, 1, 0]), 2, 12.0)
    np.testing.assert_allclose(healthy[0, 1], 12.0)
    assert np.isnan(electro.mup_enlargement(np.array([0.0]), np.array([0.0])))[0]
    assert electro.mup_enlargement(np.array([50.0]), np.array([25.0]))[0] == 1.5


# ------------------------------------------------------------------ criteria and diagnosis
def _regions(*flags):
    return np.array([flags], dtype=bool)


@pytest.mark.parametrize(("umn", "lmn", "limbs", "code"), [
    ((0, 0, 0, 0), (0, 0, 0, 0), 0, 0),
    ((0, 1, 0, 0), (0, 1, 0, 0), 0, 1),              # UMN + LMN in one region: possible
    ((1, 0, 0, 1), (0, 0, 0, 0), 0, 1),              # UMN alone in two regions: possible
    ((0, 0, 0, 1), (1, 0, 0, 0), 0, 1),              # LMN rostral to UMN: possible
    ((0, 1, 0, 0), (0, 0, 0, 0), 2, 2),              # UMN + EMG in two limbs: lab-supported
    ((1, 0, 0, 1), (1, 0, 0, 1), 0, 3),              # 2 regions, UMN rostral to LMN: probable
    ((0, 1, 0, 1), (0, 1, 0, 1), 0, 3),
    ((1, 1, 0, 1), (1, 1, 0, 1), 0, 4),              # 3 regions: definite
])
def test_el_escorial(umn, lmn, limbs, code):
    assert diagnosis.el_escorial(_regions(*umn), _regions(*lmn), np.array([limbs]))[0] == code


def test_awaji_and_gold_coast():
    assert diagnosis.awaji(_regions(1, 1, 0, 1), _regions(1, 1, 0, 1))[0] == 3
    assert diagnosis.awaji(_regions(1, 0, 0, 1), _regions(1, 0, 0, 1))[0] == 2
    assert diagnosis.awaji(_regions(1, 0, 0, 0), _regions(1, 0, 0, 1))[0] == 1
    assert diagnosis.awaji(_regions(0, 0, 0, 0), _regions(1, 1, 0, 0))[0] == 0
    gc = diagnosis.gold_coast(np.array([True, True, False]),
                              np.array([[0, 0, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0]], bool),
                              np.array([[1, 1, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]], bool))
    assert gc.tolist() == [True, False, False]


def test_pool_regions():
    flag = np.zeros((1, 3, 2), bool)
    flag[0, 2, 1] = True
    r = diagnosis.pool_regions(flag, np.array([0, 1, 1]), 4)
    assert r.tolist() == [[False, True, False, False]]


def test_visits_and_diagnosis_time():
    v = diagnosis.visit_times(10.0, 6.0, 3.0, 30.0)
    np.testing.assert_allclose(v, [16, 19, 22, 25, 28])
    assert len(diagnosis.visit_times(np.inf, 6, 3, 30)) == 0
    times = np.arange(0.0, 31.0)
    met = times >= 20.5
    t, rec = diagnosis.diagnosis_visit(times, met, v)
    assert t == 22.0 and rec == 22
    assert diagnosis.diagnosis_visit(times, np.zeros(31, bool), v) == (np.inf, -1)


# ------------------------------------------------------------------ progression
def test_d50_fit_recovers_the_sigmoid():
    t = np.arange(0.0, 60.0)
    y = progression.d50_model(t, 28.0, 7.0)
    fit = progression.fit_d50(t, y)
    assert fit["d50_months"] == pytest.approx(28.0, rel=1e-4)
    assert fit["dx_months"] == pytest.approx(7.0, rel=1e-4)
    assert fit["highly_aggressive"] is True and fit["rmse"] < 1e-6
    assert progression.d50_model(np.array([28.0]), 28.0, 7.0)[0] == 24.0
    assert progression.fit_d50(t[:2], y[:2]) is None


def test_delta_fs_and_linear_slope():
    assert progression.delta_fs(40.0, 8.0) == 1.0
    assert progression.delta_fs(48.0, 0.0) is None
    assert progression.linear_slope(np.arange(5.0), 48 - 0.5 * np.arange(5.0)) == \
        pytest.approx(-0.5)
    assert progression.linear_slope(np.array([1.0]), np.array([40.0])) is None


# ------------------------------------------------------------------ the mixed picture (UMN signs)
_REFLEX = dict(brisk=0.15, clonus=0.5, reduced_below=0.4, absent_below=0.1,
               brisk_lost_below=0.05)


def test_reflex_stays_brisk_in_a_weak_wasted_muscle():
    """Brisk in a wasted muscle until it is nearly empty; clonus fades first."""
    m = np.array([1.0, 0.5, 0.3, 0.1, 0.06, 0.04])
    np.testing.assert_array_equal(umn_signs.reflex_grade(np.full(6, 0.3), m, **_REFLEX),
                                  [3, 3, 3, 3, 3, 0])
    np.testing.assert_array_equal(umn_signs.reflex_grade(np.full(6, 0.9), m, **_REFLEX),
                                  [4, 4, 3, 3, 3, 0])
    # pure LMN loss: reduced, then absent
    np.testing.assert_array_equal(umn_signs.reflex_grade(np.zeros(6), m, **_REFLEX),
                                  [2, 2, 1, 1, 0, 0])


@settings(max_examples=60, deadline=None)
@given(u=hnp.arrays(float, 30, elements=st.floats(0, 1)),
       loss=hnp.arrays(float, 30, elements=st.floats(0, 0.2)))
def test_babinski_persists_until_the_toe_extensors_are_paralysed(u, loss):
    """Once present, the extensor plantar response stays while the toe extensors can move,
    whatever the UMN index does later (pyramidal signs persist; Alvarez 2018)."""
    m = np.clip(1.0 - np.cumsum(loss), 0.0, 1.0)  # LMN loss only grows
    b = umn_signs.babinski(u, m, threshold=0.25, lost_below=0.05)
    k = np.flatnonzero(u >= 0.25)
    if k.size == 0:
        assert not b.any()
        return
    after = np.arange(30) >= k[0]
    np.testing.assert_array_equal(b, after & (m >= 0.05))


class _UmnParams:
    dysfunction_weight = 0.5
    ashworth_thresholds = (0.15, 0.30, 0.45, 0.60, 0.80)
    brisk_threshold = 0.15
    clonus_threshold = 0.5
    reflex_reduced_below = 0.4
    reflex_absent_below = 0.1
    babinski_threshold = 0.25
    brisk_lost_below = 0.05
    babinski_lost_below = 0.05
    pseudobulbar_threshold = 0.3
    abdominal_reflex_threshold = 0.6


_REGIONS = ("bulbar", "cervical", "thoracic", "lumbosacral")


def _signs(u, m):
    shape = (len(u), len(_REGIONS), 2)
    return umn_signs.regional_signs(np.broadcast_to(np.asarray(u, float)[:, None, None], shape),
                                    np.broadcast_to(np.asarray(m, float)[:, None, None], shape),
                                    _REGIONS, _UmnParams)


def test_signs_are_reported_only_where_a_clinician_examines_them():
    s = _signs([0.0, 0.9], [1.0, 1.0])
    nan = {name: np.isnan(arr).all(axis=(0, 2)) for name, arr in s.items() if name != "umn_sign"}
    #                                   bulbar cervical thoracic lumbosacral
    assert nan["ashworth"].tolist() == [True, False, True, False]  # no bulbar Ashworth
    assert nan["reflex"].tolist() == [True, False, True, False]  # no thoracic clonus
    assert nan["babinski"].tolist() == [True, True, True, False]
    assert nan["jaw_jerk"].tolist() == [False, True, True, True]
    assert nan["pseudobulbar_signs"].tolist() == [False, True, True, True]
    assert nan["abdominal_reflexes_lost"].tolist() == [True, True, False, True]
    assert not s["umn_sign"][0].any() and s["umn_sign"][1].all()
    assert s["jaw_jerk"][1, 0, 0] == 4 and s["pseudobulbar_signs"][1, 0, 0] == 1
    assert s["abdominal_reflexes_lost"][1, 2, 0] == 1


def test_jaw_jerk_and_pseudobulbar_signs_are_one_midline_finding():
    """Corticobulbar damage of one hemisphere gives a brisk jaw jerk, not a jaw jerk on one
    side: both sides report the same finding, and both count as a bulbar UMN sign."""
    u = np.zeros((1, len(_REGIONS), 2))
    u[0, 0, 0] = 0.9  # left corticobulbar neurons only
    s = umn_signs.regional_signs(u, np.ones_like(u), _REGIONS, _UmnParams)
    assert s["jaw_jerk"][0, 0].tolist() == [4.0, 4.0]
    assert s["pseudobulbar_signs"][0, 0].tolist() == [1.0, 1.0]
    assert s["umn_sign"][0, 0].tolist() == [True, True]


def test_thoracic_umn_sign_is_the_loss_of_abdominal_reflexes():
    """Enough UMN damage for limb spasticity, not for losing the abdominal reflexes: no thoracic
    UMN sign; an empty abdominal wall has no reflex, but that is no UMN sign."""
    s = _signs([0.4, 0.7, 0.7], [1.0, 1.0, 0.02])
    th = _REGIONS.index("thoracic")
    assert s["umn_sign"][:, th].tolist() == [[False, False], [True, True], [False, False]]
    assert s["abdominal_reflexes_lost"][:, th, 0].tolist() == [0.0, 1.0, 1.0]
    assert s["umn_sign"][0, _REGIONS.index("cervical")].all()  # MAS 1+, brisk reflexes


def test_el_escorial_counts_the_region_appropriate_signs():
    """LMN signs in every region; UMN index 0.4 (brisk limb reflexes and jaw jerk, abdominal
    reflexes kept): UMN + LMN in bulbar, cervical and lumbosacral only."""
    s = _signs([0.4], [1.0])
    region = np.arange(len(_REGIONS))
    umn = diagnosis.pool_regions(s["umn_sign"], region, len(_REGIONS))
    assert umn.tolist() == [[True, True, False, True]]
    lmn = np.ones((1, 4), dtype=bool)
    assert diagnosis.EL_ESCORIAL_LABELS[int(diagnosis.el_escorial(umn, lmn, np.zeros(1))[0])] \
        == "definite"
    # thoracic UMN damage alone, below the abdominal threshold, is no sign at all
    u = np.zeros((1, 4, 2))
    u[:, 2] = 0.4
    only = umn_signs.regional_signs(u, np.ones((1, 4, 2)), _REGIONS, _UmnParams)["umn_sign"]
    umn = diagnosis.pool_regions(only, region, len(_REGIONS))
    assert not umn.any()
    assert diagnosis.el_escorial(umn, lmn[:, [2]].repeat(4, axis=1) & (region == 2),
                                 np.zeros(1))[0] == 0


# ------------------------------------------------------------------ muscles
def test_muscle_pools_follow_the_segment_with_the_exponent():
    f = np.array([1.0, 0.5, 0.25, 0.0])[:, None, None] * np.ones((1, 3, 2))
    d = 0.5 * f  # half the surviving fibres belong to dysfunctional units
    alive, dys = strength.muscle_pools(f, d, np.array([1.0, 2.0, 0.5]))
    np.testing.assert_allclose(alive[:, 0, 0], [1.0, 0.5, 0.25, 0.0])
    np.testing.assert_allclose(alive[:, 1, 0], [1.0, 0.25, 0.0625, 0.0])
    np.testing.assert_allclose(alive[:, 2, 1], np.sqrt([1.0, 0.5, 0.25, 0.0]))
    np.testing.assert_allclose(dys, 0.5 * alive)
    # e = 1 gives the segment's own reinnervation exactly (the model is scale-free)
    t = np.arange(6.0)
    a = _pool([1.0, 0.8, 0.6, 0.4, 0.3, 0.2]) * 40.0
    dd = 0.3 * a
    kw = {"max_unit_enlargement": 3.0, "delay_months": 2.0, "dysfunctional_sprouting": 0.25}
    r_seg = strength.reinnervated_fibres(t, np.array([[40.0]]), a, dd, **kw)
    m_a, m_d = strength.muscle_pools(a / 40.0, dd / 40.0, np.array([1.0]))
    r_mus = strength.reinnervated_fibres(t, 1.0, m_a, m_d, **kw)
    np.testing.assert_allclose(r_mus, r_seg / 40.0, atol=1e-12)


@given(hnp.arrays(float, (5, 4, 2), elements=st.floats(0.0, 1.0)),
       st.lists(st.floats(1.0, 3.0), min_size=4, max_size=4))
@settings(max_examples=40, deadline=None)
def test_more_vulnerable_muscles_keep_less(f, e):
    alive, dys = strength.muscle_pools(f, 0.3 * f, np.array(e))
    assert (alive <= f + 1e-12).all() and (alive >= 0).all()
    assert (dys <= alive + 1e-12).all()


def test_segment_mean_and_mrc_sum_score():
    vals = np.array([[[0.2, 1.0], [0.4, 1.0], [0.9, 0.5]]])  # (T=1, M=3, 2)
    seg = np.array([0, 0, 2])
    pool = np.full((1, 3, 2), 0.7)
    out = strength.segment_mean(vals, seg, pool)
    np.testing.assert_allclose(out[0], [[0.3, 1.0], [0.7, 0.7], [0.9, 0.5]])
    mrc = np.array([[[5, 4], [1, 0], [3, 3]]])
    np.testing.assert_array_equal(strength.mrc_sum_score(mrc, np.array([True, True, False])),
                                  [10])
    assert strength.segment_mean(np.zeros((1, 0, 2)), np.zeros(0, int), pool).shape == (1, 3, 2)
