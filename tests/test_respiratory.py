"""Breathing: the pump, airway protection, the NIV indication as a care event, death and NIV."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

import alssim
from alssim.clinical import respiratory as resp
from alssim.clinical.alsfrs import item_shares
from alssim.config.loader import configs_dir

#: Small, weekly-stepped, 4-weekly-recorded patients over 20 years (no one censored who matters).
SMALL = {"simulation.scale": 0.02, "simulation.horizon_years": 20.0,
         "simulation.dt_days": 7.0, "simulation.output_interval_days": 28.0}
#: NIV from its indication, always tolerated and used: the mechanism alone.
NIV_ON = {"interventions.niv.enabled": True, "interventions.niv.tolerance_good_bulbar": 1.0,
          "interventions.niv.tolerance_poor_bulbar": 1.0}
N_PATIENTS = 40


# ----------------------------------------------------------------------------- pure functions
def test_fvc_falls_less_than_pump_strength():
    # Braun 1983: vital capacity ~55% of predicted at 30% of respiratory muscle strength
    assert resp.fvc_percent(np.array([0.3]), 100.0, 0.5)[0] == pytest.approx(54.77, abs=0.01)
    assert resp.fvc_percent(np.array([1.0, 0.0]), 100.0, 0.5).tolist() == [100.0, 0.0]


def test_failure_level_lies_below_the_niv_threshold_without_a_point_mass():
    q = (np.arange(1000) + 0.5) / 1000
    levels = np.array([resp.failure_level(45.0, 0.25, x, 50.0) for x in q])
    assert (levels < 50.0).all() and (np.diff(levels) > 0).all()
    # a cap would put the third of patients above 50 on it; the truncated law spreads them
    capped = np.minimum(45.0 * np.exp(0.25 * norm.ppf(q)), 50.0)
    assert np.mean(capped >= 49.9) > 0.3
    assert np.mean(levels >= 49.9) < 0.01
    # its quantiles are those of the lognormal below the ceiling: the median is its q = 0.33
    top = norm.cdf(np.log(50.0 / 45.0) / 0.25)
    assert resp.failure_level(45.0, 0.25, 0.5, 50.0) == pytest.approx(
        45.0 * np.exp(0.25 * norm.ppf(0.5 * top)))
    # far below the ceiling the truncation hardly matters; sigma 0 is the cap
    assert resp.failure_level(20.0, 0.25, 0.5, 50.0) == pytest.approx(20.0, rel=1e-4)
    assert resp.failure_level(45.0, 0.0, 0.9, 50.0) == 45.0
    assert resp.failure_level(55.0, 0.0, 0.9, 50.0) == 50.0


def test_expiratory_weakness_lowers_the_vital_capacity_by_its_share():
    anat = alssim.load_config().anatomy
    shares = item_shares(anat)
    w = resp.expiratory_weights(shares)
    # the expiratory muscles are the pump's segments without the diaphragm: thoracic alone
    assert w[anat.segment_names.index("thoracic")] == pytest.approx(1.0)
    assert w[anat.segment_names.index("phrenic")] == 0.0
    pump = np.array([1.0, 1.0, 0.7, 0.7])
    exp = np.array([1.0, 0.0, 0.0, 0.5])
    fvc = resp.fvc_percent(pump, 100.0, 0.5, exp, 0.33)
    # intercostals and abdominals paralysed, diaphragm intact: 0.7 ** 0.5 * 0.67 = 56%
    assert fvc == pytest.approx([100.0, 67.0, 0.7**0.5 * 67.0, 0.7**0.5 * 83.5])
    # share 0 (the default) or no expiratory strength given: the inspiratory pump alone
    assert resp.fvc_percent(pump, 100.0, 0.5, exp, 0.0) == pytest.approx(100.0 * pump**0.5)
    assert resp.fvc_percent(pump, 100.0, 0.5) == pytest.approx(100.0 * pump**0.5)


def test_trial_fvc_slope_follows_the_enrolment_of_the_trial():
    t = np.arange(0.0, 80.0, 1.0)
    fvc = np.clip(100.0 - 3.0 * np.clip(t - 20.0, 0.0, None), 0.0, None)  # falls 3/month from 20
    inf = float("inf")
    # onset at 10: enters at 25.6 -> month 26 (FVC 82), 12 months of a straight line
    assert resp.trial_fvc_slope(t, fvc, 10.0, 15.0, inf) == pytest.approx(-3.0)
    # not before the diagnosis: diagnosed at 30, enters at 30 (FVC 70)
    assert resp.trial_fvc_slope(t, fvc, 10.0, 30.0, inf) == pytest.approx(-3.0)
    # FVC below 65% at entry (diagnosed at 32: FVC 64), or entry beyond 24 months of symptoms
    assert resp.trial_fvc_slope(t, fvc, 10.0, 32.0, inf) is None
    assert resp.trial_fvc_slope(t, fvc, 0.0, 24.5, inf) is None
    # follow-up ends at death: flat before month 20, so the slope over months 16-18 is 0
    assert resp.trial_fvc_slope(t, fvc, 0.0, 1.0, 19.0) == pytest.approx(0.0)
    # fewer than three records alive after entry, or never diagnosed
    assert resp.trial_fvc_slope(t, fvc, 0.0, 1.0, 17.5) is None
    assert resp.trial_fvc_slope(t, fvc, 0.0, inf, inf) is None
    # the other entry criteria are read at the entry record only (month 26 here)
    late = t >= 27.0
    assert resp.trial_fvc_slope(t, fvc, 10.0, 15.0, inf, eligible=late) is None
    assert resp.trial_fvc_slope(t, fvc, 10.0, 15.0, inf, eligible=t >= 26.0) == pytest.approx(-3.0)
    assert resp.trial_fvc_slope(t, fvc, 10.0, 15.0, inf, eligible=t < 27.0) == pytest.approx(-3.0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=30), st.floats(0.1, 2.0))
def test_fvc_is_monotone_in_pump_strength(pump, exponent):
    p = np.sort(np.array(pump))
    f = resp.fvc_percent(p, 100.0, exponent)
    assert np.all(np.diff(f) >= -1e-12)
    assert np.all((f >= 0) & (f <= 100.0 + 1e-9))


def test_bulbar_muscles_are_not_part_of_the_pump():
    anat = alssim.load_config().anatomy
    w = resp.pump_weights(item_shares(anat))
    names = anat.segment_names
    assert w[names.index("bulbar")] == 0.0
    assert w.sum() == pytest.approx(1.0)
    d = resp.diaphragm_weights(item_shares(anat))
    assert d[names.index("phrenic")] == pytest.approx(1.0)  # the phrenic nucleus C3-C5


def test_each_published_criterion_indicates_niv_and_the_indication_stays():
    kw = {"niv_fvc": 50.0, "niv_snip": 40.0, "orthopnoea_score": 3}
    ok = np.array([80.0, 80.0, 80.0])
    snip_ok = np.array([70.0, 70.0, 70.0])
    items_ok = np.array([4, 4, 4])
    assert not resp.niv_indicated(ok, snip_ok, items_ok, **kw).any()
    by_fvc = resp.niv_indicated(np.array([80.0, 45.0, 60.0]), snip_ok, items_ok, **kw)
    by_snip = resp.niv_indicated(ok, np.array([70.0, 35.0, 50.0]), items_ok, **kw)
    by_orth = resp.niv_indicated(ok, snip_ok, np.array([4, 3, 4]), **kw)
    by_hypo = resp.niv_indicated(ok, snip_ok, items_ok, hypoventilating=np.array(
        [False, True, False]), **kw)
    for got in (by_fvc, by_snip, by_orth, by_hypo):
        assert got.tolist() == [False, True, True]


def test_orthopnoea_indicates_niv_once_the_patient_sleeps_propped_up():
    # ALSFRS-R item 11: 3 = some difficulty sleeping, no more than two pillows (not yet
    # orthopnoea); 2 = needs extra pillows (orthopnoea, the criterion of Miller 2009)
    rp = alssim.load_config().clinical.respiratory
    kw = {"niv_fvc": rp.niv_fvc, "niv_snip": rp.niv_snip,
          "orthopnoea_score": rp.niv_orthopnoea_item}
    ok, snip_ok = np.full(4, 80.0), np.full(4, 70.0)
    got = resp.niv_indicated(ok, snip_ok, np.array([4, 3, 3, 2]), **kw)
    assert got.tolist() == [False, False, False, True]


def test_hypoventilation_awake_or_in_rem_sleep_below_the_hypercapnia_level():
    awake = np.array([80.0, 54.0, 60.0, 80.0])
    rem = np.array([70.0, 70.0, 50.0, 55.0])
    assert resp.hypoventilation(awake, rem, 55.0).tolist() == [False, True, True, False]


def test_item_12_grades_the_support_given():
    on_niv = np.array([False, True, True, True, True])
    trach = np.array([False, False, False, False, True])
    fvc = np.array([45.0, 45.0, 35.0, 20.0, 10.0])
    got = resp.support_item(on_niv, trach, fvc, night_fvc=40.0, continuous_fvc=25.0)
    assert got.tolist() == [4, 3, 2, 1, 0]


def test_cumulative_hazard_of_a_constant_hazard_is_rate_times_time():
    t = np.linspace(0.0, 24.0, 25)
    assert np.allclose(resp.cumulative_hazard(t, np.full(25, 0.05)), 0.05 * t)


def test_aspiration_hazard_rises_with_lost_swallowing_and_a_weak_cough():
    h = resp.aspiration_hazard(np.array([1.0, 0.6, 0.2, 0.0]), np.ones(4), max_rate=0.1,
                               exponent=2.0, cough_gain=1.0)
    assert h[0] == 0.0 and np.all(np.diff(h) > 0) and h[-1] == pytest.approx(0.1)
    weak = resp.aspiration_hazard(np.array([0.2]), np.array([0.0]), max_rate=0.1,
                                  exponent=2.0, cough_gain=1.0)
    assert weak[0] == pytest.approx(2 * h[2])


def test_aspiration_hazard_is_zero_until_dysphagia_begins():
    swallowing = np.array([1.0, 0.8, 0.65, 0.5, 0.0])
    h = resp.aspiration_hazard(swallowing, np.ones(5), max_rate=0.1, exponent=2.0,
                               cough_gain=1.0, dysphagia_onset=0.65)
    assert h[0] == h[1] == h[2] == 0.0 and 0.0 < h[3] < h[4] == pytest.approx(0.1)
    assert h[3] == pytest.approx(0.1 * ((0.65 - 0.5) / 0.65) ** 2)
    with pytest.raises(ValueError, match="dysphagia_onset"):
        resp.aspiration_hazard(swallowing, np.ones(5), max_rate=0.1, exponent=2.0,
                               cough_gain=1.0, dysphagia_onset=0.0)


@pytest.mark.parametrize("item", [2, 3])
def test_no_fatal_aspiration_before_the_swallowing_score_allows_it(item):
    # with a hazard so high that any allowed risk kills within a record, the bulbar-onset
    # patient dies of aspiration only once the swallowing score is at or below
    # aspiration_swallowing_item (the score reads the muscles' function with spasticity, the
    # airway their strength, so the risk may begin a little after the score falls); with 4
    # (any loss counts) the same patient dies with normal swallowing
    path = configs_dir() / "phenotypes" / "bulbar_onset.toml"
    fast = {**SMALL, "clinical.respiratory.aspiration_max_rate": 100.0}

    def death_swallowing(item: int) -> int:
        cfg = alssim.load_config(path, overrides={
            **fast, "clinical.respiratory.aspiration_swallowing_item": item})
        c = alssim.simulate(cfg, seed=1).clinical
        s = c.summary()
        assert s["cause_of_death"] == "aspiration_pneumonia"
        k = int(np.searchsorted(c.times_months, s["death_months"] - 1e-9))
        return int(c["alsfrs_r_swallowing"][k])

    assert death_swallowing(item) <= item
    assert death_swallowing(4) == 4


# ----------------------------------------------------------------------------- patients
@pytest.fixture(scope="module")
def untreated():
    cfg = alssim.load_config(overrides=SMALL)
    return alssim.run_cohort(cfg, n=N_PATIENTS, seed=21, executor="serial", progress=False)


@pytest.fixture(scope="module")
def ventilated():
    cfg = alssim.load_config(overrides={**SMALL, **NIV_ON})
    return alssim.run_cohort(cfg, n=N_PATIENTS, seed=21, executor="serial", progress=False)


def _col(cohort, name):
    return cohort.patients[f"clinical.{name}"]


@pytest.mark.slow
def test_untreated_patients_live_through_the_niv_indication(untreated):
    niv = _col(untreated, "kings_stage_months.4B")
    death = _col(untreated, "survival_months")
    both = niv.notna() & death.notna()
    assert both.sum() >= N_PATIENTS // 2
    lived = death[both] - niv[both]
    assert (lived >= 0).all()
    # King's 4B lasts: most untreated patients live months after the indication, but only
    # months: 3.0 (median) in patients who declined NIV (Sancho 2018 ERJ Open Res
    # 4:00159-2017), 4.1 in King's stage 4 (Chen 2018 Front Neurol 9:442)
    assert (lived > 0).mean() >= 0.8
    assert 2.0 <= lived.median() <= 6.0
    # both causes of death occur; respiratory failure is not the only one
    causes = set(_col(untreated, "cause_of_death").dropna())
    assert causes == {"respiratory_failure", "aspiration_pneumonia"}


def test_item_12_is_normal_without_ventilation():
    res = alssim.simulate(alssim.load_config(overrides=SMALL), seed=3)
    course = res.clinical
    alive = course["patient_alive"].astype(bool)
    assert (course["alsfrs_r_respiratory_insufficiency"][alive] == 4).all()
    assert course["niv_needed"][alive].any()  # the indication came, support was not given


@pytest.mark.slow
def test_niv_lengthens_life_with_good_bulbar_function_but_not_with_poor(untreated, ventilated):
    a = untreated.patients.set_index("patient")
    b = ventilated.patients.set_index("patient")
    start = a["clinical.kings_stage_months.4B"]
    died = a["clinical.survival_months"].notna() & b["clinical.survival_months"].notna()
    gain = (b["clinical.survival_months"] - a["clinical.survival_months"])[died & start.notna()]
    good, poor = [], []
    limit = alssim.load_config().interventions.niv.min_bulbar_domain
    for pid in gain.index:
        # the bulbar domain at the start of NIV decides (the ventilated patient's own run)
        course = ventilated.simulate_patient(int(pid)).clinical
        if not course["on_niv"].any():
            continue
        k = int(np.argmax(course["on_niv"]))
        bulbar = int(course["alsfrs_r_bulbar_domain"][k])
        (good if bulbar >= limit else poor).append(gain[pid])
    assert len(good) >= 5
    assert np.mean(good) > 1.0  # months
    assert all(g >= -1e-6 for g in good)
    assert all(abs(g) < 1e-6 for g in poor)


@pytest.mark.slow
def test_spinal_onset_patients_reach_gastrostomy_need_before_death(untreated):
    df = untreated.patients
    spinal = df["onset.site"].isin(["upper_limb", "lower_limb"]) & df[
        "clinical.survival_months"].notna()
    reached = df.loc[spinal, "clinical.kings_stage_months.4A"].notna()
    assert spinal.sum() >= 15
    assert reached.mean() >= 0.4


def test_kings_fourth_region_is_the_diaphragm(untreated):
    # the respiratory region is involved with breathing symptoms or the NIV indication, not
    # at a normal FVC through the trunk muscles
    res = alssim.simulate(alssim.load_config(overrides={**SMALL, "onset.segment": "thoracic"}),
                          seed=4)
    course = res.clinical
    months = course.summary()["region_involvement_months"]["respiratory"]
    if months is not None:
        k = int(np.searchsorted(course.months_from_clinical_onset, months - 1e-6))
        assert course["fvc_percent"][k] < 95.0 or course["niv_needed"][k]
    resp_t = untreated.patients["clinical.region_involvement_months.respiratory"]
    niv_t = untreated.patients["clinical.kings_stage_months.4B"]
    ok = resp_t.notna() & niv_t.notna()
    assert (resp_t[ok] <= niv_t[ok] + 1e-6).all()


def test_causes_of_death_and_care_times_are_reported(untreated):
    df = untreated.patients
    dead = df["clinical.survival_months"].notna()
    assert df.loc[dead, "clinical.cause_of_death"].notna().all()
    assert df.loc[~dead, "clinical.cause_of_death"].isna().all()
    for col in ("kings_stage_duration_months.1", "fvc_slope_per_month", "niv_start_months",
                "tracheostomy_months", "gastrostomy_months"):
        assert f"clinical.{col}" in df.columns
    assert (df.loc[dead, "clinical.fvc_slope_per_month"].dropna() <= 0.5).all()
    # no treatment was given: no start times
    assert df["clinical.niv_start_months"].isna().all()
    assert df["clinical.tracheostomy_months"].isna().all()
    stages = df.loc[dead, [f"clinical.kings_stage_duration_months.{k}" for k in "1234"]]
    assert (stages.fillna(0.0) >= 0).all().all()


def test_a_patient_dying_of_hypercapnic_failure_sleeps_upright_first():
    # hypoventilation in REM sleep begins at a diaphragm-only vital capacity of hypercapnia_fvc
    # (55%, a diaphragm at 30%) and death from hypercapnic failure follows it: by then
    # orthopnoea is severe (ALSFRS-R item 11 at most 1, sleeping only sitting up); the
    # respiratory-onset patient used to die with item 11 still 2
    cfg = alssim.load_config("configs/phenotypes/respiratory_onset.toml",
                             overrides={"simulation.scale": 0.05,
                                        "simulation.horizon_years": 15.0})
    c = alssim.simulate(cfg, seed=1).clinical
    assert c.summary()["cause_of_death"] == "respiratory_failure"
    alive = np.flatnonzero(np.asarray(c["patient_alive"], dtype=bool))
    assert c["alsfrs_r_orthopnoea"][alive[-1]] <= 1


def test_a_failing_diaphragm_kills_untreated_patients_within_months():
    # respiratory onset: the diaphragm fails while the intercostal and accessory muscles still
    # work; in REM sleep the diaphragm breathes alone (Arnulf 2000), and without ventilation the
    # patient dies months, not years, after the indication (18.7 months when only the awake pump
    # could kill)
    cfg = alssim.load_config("configs/phenotypes/respiratory_onset.toml",
                             overrides={"simulation.scale": 0.05,
                                        "simulation.horizon_years": 15.0})
    s = alssim.simulate(cfg, seed=1).clinical.summary()
    assert s["cause_of_death"] == "respiratory_failure"
    assert s["survival_months"] - s["kings_stage_months"]["4B"] <= 15.0


def test_own_healthy_fvc_scatters_about_the_predicted_value():
    assert resp.own_healthy_fvc(100.0, 12.0, 0.5) == pytest.approx(100.0)
    assert resp.own_healthy_fvc(100.0, 12.0, norm.cdf(1.0)) == pytest.approx(112.0)
    assert resp.own_healthy_fvc(100.0, 0.0, 0.01) == 100.0
    # held within 3.09 SD: a quantile of 1e-12 gives the 0.001 quantile
    assert resp.own_healthy_fvc(100.0, 12.0, 1e-12) == pytest.approx(100.0 - 12.0 * 3.0902,
                                                                      abs=1e-3)
    assert resp.own_healthy_fvc(100.0, 50.0, 1e-12) == 0.0  # never negative


def test_own_healthy_fvc_scales_what_spirometry_reads_not_when_the_pump_fails():
    """The same patient with and without the between-patient scatter: the measured FVC differs by
    a constant factor (its own value before onset over the mean), death comes at the same time."""
    ov = {"simulation.scale": 0.02, "simulation.horizon_years": 12.0,
          "simulation.dt_days": 7.0}
    spread = alssim.simulate(alssim.load_config(overrides=ov), seed=2).clinical
    same = alssim.simulate(alssim.load_config(
        overrides={**ov, "clinical.respiratory.fvc_healthy_sd": 0.0}), seed=2).clinical
    own = resp.own_healthy_fvc(100.0, 12.0, 0.03359477182635351)  # seed 2's draw
    np.testing.assert_allclose(spread["fvc_percent"], same["fvc_percent"] * own / 100.0,
                               rtol=1e-12)
    assert spread["fvc_percent"][0] == pytest.approx(own) and own < 80.0
    assert spread.summary()["survival_months"] == same.summary()["survival_months"]
    assert spread.summary()["cause_of_death"] == same.summary()["cause_of_death"]
    np.testing.assert_array_equal(spread["pump_strength"], same["pump_strength"])
