"""The diagnostic pathway: consultation, referral, neurology visits, EMG, and the diagnosis."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import alssim
from alssim.clinical import diagnosis as dx
from alssim.clinical import pathway as pw
from alssim.errors import ConfigError
from alssim.validation.metrics import prepare

FAST = {"simulation.scale": 0.02, "simulation.dt_days": 7.0}


@pytest.fixture(scope="module")
def cohort():
    cfg = alssim.load_config(overrides=FAST)
    return alssim.run_cohort(cfg, 200, seed=3, executor="serial", progress=False)


@pytest.fixture(scope="module")
def early_dx_cohort():
    """Diagnosis also on clinical signs before the EMG (``require_emg = false``)."""
    cfg = alssim.load_config(overrides={**FAST, "clinical.diagnosis.require_emg": False,
                                        "clinical.diagnosis.criteria": "el_escorial",
                                        "clinical.diagnosis.min_category": "possible"})
    return alssim.run_cohort(cfg, 120, seed=4, executor="serial", progress=False)


def _params(**kw):
    return alssim.load_config(overrides={f"clinical.diagnosis.{k}": v
                                         for k, v in kw.items()}).clinical.diagnosis


# --------------------------------------------------------------------------- delays
def test_lognormal_delay_median_and_order():
    assert pw.lognormal_delay(0.5, 4.0, 1.0) == pytest.approx(4.0)
    assert pw.lognormal_delay(0.5, 4.0, 0.0) == 4.0
    lo, hi = pw.lognormal_delay(0.25, 4.0, 1.0), pw.lognormal_delay(0.75, 4.0, 1.0)
    # quartiles of a lognormal: median * exp(-/+ 0.6745 sigma)
    assert lo == pytest.approx(4.0 * math.exp(-0.6744898), rel=1e-6)
    assert hi == pytest.approx(4.0 * math.exp(0.6744898), rel=1e-6)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        pw.lognormal_delay(1.0, 4.0, 1.0)


@pytest.mark.slow
@settings(max_examples=50, deadline=None)
@given(q=st.floats(0.001, 0.999), r=st.floats(0.001, 0.999), e=st.floats(0.001, 0.999),
       f=st.floats(0.001, 0.999), bulbar=st.booleans(),
       urgent=st.one_of(st.just(math.inf), st.floats(0.0, 60.0)))
def test_pathway_steps_follow_each_other(q, r, e, f, bulbar, urgent):
    p = pw.pathway({"first_consultation": q, "referral": r, "emg_wait": e,
                    "neurology_follow_up": f}, _params(), bulbar, urgent_months=urgent)
    assert 0 <= p.first_consultation_months <= p.first_neurology_months <= p.emg_months
    assert p.follow_up_interval_months > 0
    if math.isfinite(urgent):
        assert p.first_neurology_months <= max(p.first_consultation_months,
                                               urgent + _params().urgent_referral_months) + 1e-9


def test_bulbar_onset_and_fast_disability_reach_the_neurologist_sooner():
    draws = {"first_consultation": 0.6, "referral": 0.7, "emg_wait": 0.5,
             "neurology_follow_up": 0.5}
    par = _params()
    limb = pw.pathway(draws, par, bulbar_onset=False)
    bulbar = pw.pathway(draws, par, bulbar_onset=True)
    assert bulbar.first_neurology_months == pytest.approx(
        par.bulbar_delay_factor * limb.first_neurology_months)
    # the ALSFRS-R falls by the urgent drop 2 months after onset: neurologist within a month
    fast = pw.pathway(draws, par, bulbar_onset=False, urgent_months=2.0)
    assert fast.first_neurology_months == pytest.approx(2.0 + par.urgent_referral_months)
    assert fast.first_neurology_months < limb.first_neurology_months
    # the draws are quantiles: a later draw never gives an earlier visit
    later = pw.pathway({**draws, "referral": 0.9}, par, bulbar_onset=False)
    assert later.first_neurology_months > limb.first_neurology_months


def test_visits_start_at_the_first_neurology_visit_and_include_the_emg():
    p = pw.Pathway(first_consultation_months=1.0, first_neurology_months=5.0, emg_months=6.5,
                   follow_up_interval_months=3.0)
    v = p.visits(onset_months=10.0, horizon_months=30.0)
    np.testing.assert_allclose(v, [15.0, 16.5, 18.0, 21.0, 24.0, 27.0, 30.0])
    assert p.visits(onset_months=math.inf, horizon_months=30.0).size == 0
    assert p.visits(onset_months=26.0, horizon_months=30.0).size == 0


# --------------------------------------------------------------------------- the visit
def test_emg_findings_count_only_from_the_emg_on():
    t = np.arange(0.0, 24.0)
    with_emg = t >= 3.0  # met at once with EMG findings (e.g. 2 limbs of denervation)
    clinical = t >= 12.0  # met later from the clinical signs alone
    visits = np.array([5.0, 8.0, 11.0, 14.0])
    assert dx.diagnosis_visit(t, with_emg, visits, met_before_emg=clinical,
                              emg_months=10.0)[0] == 11.0
    assert dx.diagnosis_visit(t, with_emg, visits, met_before_emg=clinical,
                              emg_months=math.inf)[0] == 14.0
    # default: the EMG counts at every visit
    assert dx.diagnosis_visit(t, with_emg, visits)[0] == 5.0


@settings(max_examples=60, deadline=None)
@given(met=st.lists(st.booleans(), min_size=12, max_size=12),
       met0=st.lists(st.booleans(), min_size=12, max_size=12),
       emg=st.floats(0.0, 14.0), first=st.floats(0.0, 11.0))
def test_no_diagnosis_before_the_first_visit_or_on_findings_not_yet_made(met, met0, emg, first):
    t = np.arange(12.0)
    visits = first + 2.0 * np.arange(6)
    when, rec = dx.diagnosis_visit(t, np.array(met), visits, met_before_emg=np.array(met0),
                                   emg_months=emg)
    if rec < 0:
        assert when == math.inf
        return
    assert when >= first and when in visits
    # an EMG within 1e-9 months of the visit counts as done at it (the code's float tolerance)
    assert (met if when >= emg - 1e-9 else met0)[rec]


# --------------------------------------------------------------------------- cohorts
@pytest.mark.slow
def test_diagnostic_delay_has_a_spread_and_bulbar_onset_is_diagnosed_sooner(cohort):
    d = prepare(cohort.patients, cohort.config.anatomy)
    delay = d["dx_delay"].dropna().to_numpy()
    assert delay.size > 150
    q1, q3 = np.quantile(delay, [0.25, 0.75])
    assert q3 - q1 > 4.0  # published IQR 6.7-15.2 (Martinez-Molina 2020)
    assert np.mean(np.isclose(delay, np.median(delay), atol=0.5)) < 0.2  # no single visit
    bulbar = np.median(d.loc[d["site"] == "bulbar", "dx_delay"].dropna())
    limb = np.median(d.loc[d["site"].isin(("upper_limb", "lower_limb")), "dx_delay"].dropna())
    assert bulbar < 0.95 * limb


@pytest.mark.slow
def test_slow_patients_wait_longer_for_the_diagnosis(cohort):
    p = cohort.patients
    has = np.isfinite(p["clinical.clinical_onset_months"].to_numpy(dtype=float))
    speed = p.loc[has, "speed"].to_numpy(dtype=float)
    delay = prepare(p, cohort.config.anatomy)["dx_delay"].to_numpy()
    lo, hi = np.quantile(speed, [1 / 3, 2 / 3])
    assert np.nanmedian(delay[speed <= lo]) > np.nanmedian(delay[speed >= hi]) + 1.0


def _pathway_times(p):
    """Diagnosis, first neurology visit and EMG months of a patient table, and who was diagnosed."""
    dx_m, neuro, emg = (p[f"clinical.diagnosis.{k}"].to_numpy(dtype=float)
                        for k in ("months", "first_neurology_months", "emg_months"))
    return dx_m, np.isfinite(dx_m), neuro, emg


@pytest.mark.slow
def test_no_diagnosis_before_the_first_neurology_visit_and_the_emg(cohort):
    p = cohort.patients
    dx_m, ok, neuro, emg = _pathway_times(p)
    consult = p["clinical.diagnosis.first_consultation_months"].to_numpy(dtype=float)
    assert (consult[ok] <= neuro[ok] + 1e-6).all()
    assert (dx_m[ok] >= neuro[ok] - 1e-6).all()
    # the default criteria need the work-up (require_emg): diagnosis from the EMG on
    assert (dx_m[ok] >= emg[ok] - 1e-6).all()
    assert p.loc[ok, "clinical.diagnosis.emg_before_diagnosis"].astype(bool).all()


@pytest.mark.slow
def test_emg_dependent_categories_only_after_the_emg(early_dx_cohort):
    p = early_dx_cohort.patients
    dx_m, ok, neuro, emg = _pathway_times(p)
    assert (dx_m[ok] >= neuro[ok] - 1e-6).all()
    before = ok & (dx_m < emg - 1e-6)
    assert before.sum() > 10  # many are diagnosed on clinical signs before the EMG
    assert not p.loc[before, "clinical.diagnosis.emg_before_diagnosis"].astype(bool).any()
    # probable laboratory-supported needs EMG signs in two limbs: never before the EMG
    ee = p.loc[before, "clinical.diagnosis.el_escorial"]
    assert not (ee == "probable_laboratory_supported").any()
    after = p.loc[ok & ~before, "clinical.diagnosis.emg_before_diagnosis"].astype(bool)
    assert after.all()


@pytest.mark.slow
def test_the_state_at_diagnosis_is_reported(cohort):
    p = cohort.patients
    ok = np.isfinite(p["clinical.diagnosis.months"].to_numpy(dtype=float))
    for col, lo, hi in (("fvc_percent", 0, 200), ("kings_stage", 0, 5), ("mitos_stage", 0, 5),
                        ("alsfrs_r", 0, 48)):
        v = p.loc[ok, f"clinical.diagnosis.{col}"].to_numpy(dtype=float)
        assert np.isfinite(v).all() and (v >= lo).all() and (v <= hi).all(), col
    umn = p["clinical.diagnosis.first_visit_umn_regions"].dropna().to_numpy(dtype=float)
    assert umn.size > 100 and set(np.unique(umn)) <= {0, 1, 2, 3, 4}
    m50 = p["clinical.onset_muscle_mune_50_months"].dropna().to_numpy(dtype=float)
    assert m50.size > 100 and np.isfinite(m50).all()


def test_the_retired_first_visit_key_names_its_replacement():
    with pytest.raises(ConfigError, match="first_consultation_median_months"):
        alssim.load_config(overrides={"clinical.diagnosis.first_visit_delay_months": 9.5})
