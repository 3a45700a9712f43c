"""The clinical course of simulated patients: ranges, phenotypes, reinnervation, outputs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import alssim
from alssim.anatomy import ALSFRS_ITEMS
from alssim.clinical import CLINICAL_VARIABLES, assess
from alssim.clinical.alsfrs import ALSFRS_DOMAINS
from alssim.clinical.pools import pool_state

#: A whole course (10 years) at a small scale, weekly steps, 4-weekly records.
COURSE = {
    "simulation.scale": 0.02,
    "simulation.horizon_years": 10.0,
    "simulation.dt_days": 7.0,
    "simulation.output_interval_days": 28.0,
}
#: Spread between UMN and LMN off, and no background ageing, so one compartment stays intact.
ISOLATED = {"spread.anterograde_rate": 0.0, "spread.retrograde_rate": 0.0,
            "mechanisms.ageing.enabled": False}


def course_config(**overrides):
    return alssim.load_config(overrides={**COURSE, **overrides})


@pytest.fixture(scope="module")
def default_run():
    return alssim.simulate(course_config(), seed=2)


@pytest.fixture(scope="module")
def no_reinnervation_run():
    return alssim.simulate(course_config(**{"clinical.strength.reinnervation": False}), seed=2)


def check_ranges(course):
    """Every clinical variable within its range and, for scores, its levels."""
    for name, spec in CLINICAL_VARIABLES.items():
        arr = np.asarray(course[name], dtype=float)
        finite = arr[~np.isnan(arr)]
        nan_allowed = "NaN" in spec.doc
        assert nan_allowed or finite.size == arr.size, name
        assert (finite >= spec.low - 1e-12).all() and (finite <= spec.high + 1e-12).all(), name
        if spec.levels is not None:
            assert set(np.unique(finite)) <= set(spec.levels), name
    items = np.stack([course[f"alsfrs_r_{n}"] for n in ALSFRS_ITEMS], axis=1)
    np.testing.assert_array_equal(course["alsfrs_r"], items.sum(axis=1))
    for dom, idx in ALSFRS_DOMAINS.items():
        np.testing.assert_array_equal(course[f"alsfrs_r_{dom}_domain"],
                                      items[:, list(idx)].sum(axis=1))


def test_scores_in_range_and_total_is_sum_of_items(default_run):
    c = default_run.clinical
    check_ranges(c)
    assert c["alsfrs_r"][0] == 48 and c["alsfrs_r"][-1] < 48
    t, s = len(default_run.times_months), default_run.anatomy.n_segments
    assert c["strength"].shape == (t, s, 2) and c["alsfrs_r"].shape == (t,)
    assert c["mune"].shape == (t, len(c.muscles), 2)


@settings(max_examples=8)
@given(seed=st.integers(0, 2**32 - 1),
       anatomy=st.sampled_from(["default", "four_regions"]),
       compartment=st.sampled_from(["both", "umn", "lmn"]))
def test_scores_in_range_for_any_patient(seed, anatomy, compartment):
    seg = "cervical" if anatomy == "four_regions" else "cervical_lower"
    cfg = alssim.load_config(overrides={
        **COURSE, "simulation.scale": 0.01, "anatomy": anatomy, "onset.segment": seg,
        "onset.compartment": compartment})
    check_ranges(alssim.simulate(cfg, seed=seed).clinical)


@settings(max_examples=6)
@given(seed=st.integers(0, 2**32 - 1))
def test_without_reinnervation_strength_never_rises(seed):
    cfg = course_config(**{"simulation.scale": 0.01, "onset.mode": "sampled",
                           "clinical.strength.reinnervation": False})
    c = alssim.simulate(cfg, seed=seed).clinical
    assert not c["reinnervated"].any()
    assert (np.diff(c["strength"], axis=0) <= 1e-12).all()


def test_lmn_only_pma_like_has_no_spasticity():
    c = alssim.simulate(course_config(**{"onset.compartment": "lmn", **ISOLATED}), seed=2).clinical
    assert (np.nan_to_num(c["ashworth"]) == 0).all() and not np.nan_to_num(c["babinski"]).any()
    assert (np.nan_to_num(c["reflex"]) <= 2).all() and not c["umn_sign"].any()
    # ... while the LMN picture is there
    assert c["atrophy_sign"].any() and c["fasciculation_score"].max() >= 1
    assert c["mrc"].min() <= 3


def test_diaphragm_fasciculations_are_not_a_sign_on_examination():
    """Onset in the phrenic pool: its units fasciculate (the rate the EMG reads), but the
    diaphragm cannot be inspected, so its fasciculation score stays 0."""
    c = alssim.simulate(course_config(**{"onset.segment": "phrenic", "onset.compartment": "lmn"}),
                        seed=2).clinical
    phrenic = list(c.segments).index("phrenic")
    assert c["fasciculation_rate"][:, phrenic, :].max() > 0
    assert (c["fasciculation_score"][:, phrenic, :] == 0).all()


def test_umn_only_pls_like_has_no_fasciculations_or_atrophy():
    c = alssim.simulate(course_config(**{"onset.compartment": "umn", **ISOLATED}), seed=2).clinical
    assert (c["fasciculation_rate"] == 0).all() and (c["fasciculation_score"] == 0).all()
    assert (c["atrophy"] == 0).all() and not c["atrophy_sign"].any()
    assert not c["fibrillation_grade"].any() and not c["lmn_sign"].any()
    # ... while the UMN picture is there
    assert np.nanmax(c["ashworth"]) >= 2 and np.nanmax(c["babinski"]) == 1
    assert np.nanmax(c["reflex"]) >= 3


def test_a_segment_with_both_losses_is_weak_stiff_and_twitching(default_run):
    c = default_run.clinical
    seg, side = default_run.onset.segment, default_run.onset.side
    mas = c.select("ashworth", seg, side)
    mrc = c.select("mrc", seg, side)
    fasc = c.select("fasciculation_score", seg, side)
    together = (mas >= 1) & (mrc <= 4) & (fasc >= 1)
    assert together.any()
    # later, LMN loss removes the muscle and masks the spasticity
    assert mas[-1] < mas.max()


def test_fasciculations_rise_then_fall_in_a_degenerating_segment(default_run):
    c = default_run.clinical
    rate = c.select("fasciculation_rate", default_run.onset.segment, default_run.onset.side)
    peak = int(rate.argmax())
    assert 0 < peak < len(rate) - 1
    assert rate[0] < 0.1 * rate[peak] and rate[-1] < 0.5 * rate[peak]
    lost = pool_state(default_run).lmn_lost[:, default_run.anatomy.segment_index(
        default_run.onset.segment), 1]
    assert 0.05 < lost[peak] < 0.95  # the peak falls while the pool is partly denervated


def test_reinnervation_keeps_strength_while_mune_falls(default_run, no_reinnervation_run):
    c, c0 = default_run.clinical, no_reinnervation_run.clinical
    j = c.muscles.index("thenar")
    mune = c["mune_percent"][:, j, 1]
    k = int(np.argmax(mune <= 70.0))  # 30% of the thenar units lost
    assert mune[k] <= 70.0 and mune[0] == 100.0
    # the force of a muscle of vulnerability 1 (the triceps of the same segment: its pool share;
    # the hypothenar, spared in the split hand, loses units more slowly)
    h = c.muscles.index("triceps")
    s, s0 = c["muscle_strength"][:, h, 1], c0["muscle_strength"][:, h, 1]
    assert s[k] >= 0.85 and s[k] - s0[k] >= 0.2
    # the thenar muscle, lost faster, is held up by reinnervation too
    assert c["muscle_strength"][k, j, 1] - c0["muscle_strength"][k, j, 1] >= 0.2
    assert c["cmap_percent"][k, j, 1] > c0["cmap_percent"][k, j, 1]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_strength_holds_until_forty_percent_of_units_are_lost(seed):
    cfg = course_config(**{"onset.mode": "sampled"})
    res = alssim.simulate(cfg, seed=seed)
    c = res.clinical
    # muscles of vulnerability 1 keep their segment's share of its pool (the distal muscles
    # lost first are tested in tests/test_muscles.py)
    muscles = [m for seg in cfg.anatomy.segments for m in seg.muscles]
    plain = [j for j, m in enumerate(muscles) if m.vulnerability == 1.0]
    lost = pool_state(res).lmn_lost[:, [c.segments.index(c.muscle_segments[j]) for j in plain]]
    s = c["muscle_strength"][:, plain]
    assert (lost >= 0.4).any()  # the test is not vacuous
    # reinnervation holds force while a third of the units are gone (the large FF units first);
    # where loss is fast (late spread into a small pool such as the phrenic nucleus) it cannot
    # keep up to 40%, as the CMAP falls earlier in fast disease
    assert s[lost < 0.3].min() >= 0.8


def test_course_events_are_consistent(default_run):
    c = default_run.clinical
    ev = c.summary()
    onset = ev["clinical_onset_months"]
    assert onset is not None and onset > 0  # a pre-symptomatic period
    assert ev["onset_segment"] == default_run.onset.segment
    assert ev["segment_involvement_months"][f"{ev['onset_segment']}:{ev['onset_side']}"] == 0
    assert ev["first_spread"]["direction"] in ("contralateral", "rostral", "caudal")
    km = ev["kings_stage_months"]
    reached = [km[k] for k in ("1", "2", "3", "5") if km[k] is not None]
    assert reached == sorted(reached) and km["1"] == 0
    assert km["4B"] is not None and km["4B"] <= km["5"]
    assert km["4A"] is None or km["4A"] <= km["5"]
    assert min(v for v in (km["4A"], km["4B"]) if v is not None) == pytest.approx(
        float(c.times_months[np.argmax(c["kings_stage"] >= 4)]) - onset)
    assert np.all(np.diff(c["kings_stage"]) >= 0)
    assert ev["survival_months"] is not None and not ev["censored"]
    death = onset + ev["survival_months"]
    # alive: FVC above the patient's own failure level; dead of respiratory failure: below it
    from alssim.clinical.respiratory import failure_level, hypoventilation

    rp = default_run.config.clinical.respiratory
    level = failure_level(rp.failure_fvc, rp.failure_reserve_sigma,
                          default_run.clinical_draws["respiratory_reserve"], rp.hypercapnia_fvc)
    assert level < rp.hypercapnia_fvc
    # (hypercapnic failure follows the inspiratory vital capacity: the measured FVC also loses
    # the expiratory reserve volume, which indicates ventilation but does not stop breathing)
    assert c["inspiratory_vc_percent"][c.times_months < death - 1e-9].min() >= level
    assert (c["fvc_percent"] <= c["inspiratory_vc_percent"] + 1e-9).all()
    k_death = int(np.searchsorted(c.times_months, death - 1e-9))
    assert ev["cause_of_death"] in ("respiratory_failure", "aspiration_pneumonia")
    # respiratory failure: the awake inspiratory vital capacity below the level, or the
    # diaphragm alone (REM sleep) below it times rem_failure_ratio; hypoventilation (awake or
    # in REM sleep) came first and indicated ventilation
    low = bool(c["inspiratory_vc_percent"][k_death] < level
               or c["rem_ventilation_percent"][k_death] < level * rp.rem_failure_ratio)
    assert low == (ev["cause_of_death"] == "respiratory_failure")
    before = c.times_months < death - 1e-9
    hypo = hypoventilation(c["inspiratory_vc_percent"], c["rem_ventilation_percent"],
                           rp.hypercapnia_fvc)[before]
    if low:
        assert hypo.any() and c["niv_needed"][before][int(np.argmax(hypo))]
    assert (c["mitos_stage"][c.times_months >= death - 1e-9] == 5).all()
    dx = ev["diagnosis"]
    assert dx["months"] >= dx["emg_months"] >= dx["first_neurology_months"] \
        >= dx["first_consultation_months"] >= 0
    assert dx["gold_coast"] is True
    assert ev["alsfrs_r_dfs"] == pytest.approx((48 - dx["alsfrs_r"]) / dx["months"], abs=1e-5)
    assert ev["alsfrs_r_slope_per_month"] < 0
    assert ev["d50"]["d50_months"] > 0 and ev["d50"]["rmse"] < 6


def test_diagnosis_waits_for_the_criterion():
    strict = course_config(**{"clinical.diagnosis.criteria": "el_escorial",
                              "clinical.diagnosis.min_category": "definite"})
    loose = course_config()
    a = alssim.simulate(strict, seed=2).clinical.summary()["diagnosis"]
    b = alssim.simulate(loose, seed=2).clinical.summary()["diagnosis"]
    assert b["months"] is not None and a["months"] is not None
    assert a["months"] > b["months"] and a["el_escorial"] == "definite"
    assert a["alsfrs_r"] < b["alsfrs_r"]


def test_to_dataframe_holds_every_clinical_variable(default_run):
    df = default_run.to_dataframe()
    assert set(CLINICAL_VARIABLES) <= set(df["variable"].cat.categories)
    c = default_run.clinical
    g = df[df["variable"] == "alsfrs_r"]
    assert set(g["segment"]) == {"all"} and set(g["side"]) == {"both"}
    np.testing.assert_array_equal(g["value"].to_numpy(), c.while_alive("alsfrs_r"))
    s = df[(df["variable"] == "strength") & (df["segment"] == "thoracic") & (df["side"] == "left")]
    assert set(s["population"]) == {"clinical"}
    living = ~c.after_death
    np.testing.assert_array_equal(s["value"].to_numpy()[living],
                                  c.select("strength", "thoracic", "left")[living])
    m = df[(df["variable"] == "mune") & (df["population"] == "thenar") & (df["side"] == "right")]
    np.testing.assert_array_equal(m["value"].to_numpy()[living],
                                  c["mune"][living, c.muscles.index("thenar"), 1])
    assert list(df.columns) == ["time_months", "segment", "side", "population", "variable",
                                "value"]
    rel = df[df["variable"] == "months_from_clinical_onset"]
    np.testing.assert_allclose(rel["value"], rel["time_months"] - c.clinical_onset_months)


# --------------------------------------------------------------------------- values after death
#: A patient who dies within the horizon (about month 47 of 60), small and quick.
DYING = {"simulation.scale": 0.01, "simulation.horizon_years": 9.0, "simulation.dt_days": 14.0,
         "simulation.output_interval_days": 56.0}


@pytest.fixture(scope="module")
def dying_run():
    res = alssim.simulate(alssim.load_config(overrides=DYING), seed=2)
    death = res.summary["clinical"]["death_months"]
    assert death is not None and death < res.times_months[-1] - 6  # not vacuous
    return res


def test_after_death_marks_the_records_after_the_record_of_death(dying_run):
    c = dying_run.clinical
    t = dying_run.times_months
    k = int(np.argmin(c["patient_alive"]))  # the record of death
    assert t[k] == pytest.approx(c.summary()["death_months"], abs=1e-6)
    np.testing.assert_array_equal(c.after_death, np.arange(len(t)) > k)
    # the record of death keeps the state at death; the record after it is missing
    assert c.while_alive("alsfrs_r")[k] == c["alsfrs_r"][k]
    assert np.isnan(c.while_alive("alsfrs_r")[k + 1:]).all()
    assert np.isnan(c.while_alive("strength")[k + 1:]).all()
    assert np.isfinite(c.while_alive("strength")[:k + 1]).all()
    np.testing.assert_array_equal(c.while_alive("patient_alive"), c["patient_alive"])
    kept = {n for n, spec in CLINICAL_VARIABLES.items() if spec.defined_after_death}
    assert kept == {"patient_alive", "months_from_clinical_onset"}
    censored = alssim.simulate(alssim.load_config(overrides={**DYING,
                                                             "simulation.horizon_years": 2.0}),
                               seed=2).clinical
    assert censored.summary()["censored"] and not censored.after_death.any()


def test_tidy_table_has_no_values_after_death(dying_run):
    """The tidy table (and so timeseries.csv) holds no neuron count, score or sign of a dead
    patient: every value after the record of death is NaN, the rows are kept."""
    df = dying_run.to_dataframe()
    c = dying_run.clinical
    death_t = dying_run.summary["clinical"]["death_months"]  # the record of death (1e-6 months)
    after = df["time_months"] > death_t + 1e-6
    exempt = df["variable"].isin(["patient_alive", "months_from_clinical_onset"])
    assert after.any()
    assert df.loc[after & ~exempt, "value"].isna().all()
    assert (df.loc[after & (df["variable"] == "patient_alive"), "value"] == 0).all()
    assert df.loc[after & (df["variable"] == "months_from_clinical_onset"), "value"].notna().all()
    for name in ("alive", "dead", "alsfrs_r", "fvc_percent", "kings_stage", "mitos_stage",
                 "mrc", "ashworth", "reflex", "fasciculation_score", "mune", "el_escorial"):
        rows = df[df["variable"] == name]
        assert rows.loc[rows["time_months"] > death_t + 1e-6, "value"].isna().all(), name
        assert rows.loc[rows["time_months"] <= death_t + 1e-6, "value"].notna().all(), name
    # every record keeps its rows: death shows as missing values, not as a shorter table
    t, p = dying_run["alive"].shape
    assert len(df[df["variable"] == "alive"]) == t * p
    assert len(df[df["variable"] == "alsfrs_r"]) == t
    # the model's values stay available on request, and in the arrays
    raw = dying_run.to_dataframe(after_death="keep")
    g = raw[raw["variable"] == "alsfrs_r"]["value"].to_numpy()
    np.testing.assert_array_equal(g, c["alsfrs_r"])
    with pytest.raises(ValueError, match="after_death"):
        dying_run.to_dataframe(after_death="zero")


def test_timeseries_csv_is_empty_after_death(dying_run, tmp_path):
    import pandas as pd

    from alssim.cli.main import main
    from alssim.config.loader import configs_dir

    sets = [a for k, v in DYING.items() for a in ("--set", f"{k}={v}")]
    out = tmp_path / "run"
    assert main(["run", str(configs_dir() / "default.toml"), *sets, "--seed", "2",
                 "--out", str(out)]) == 0
    ts = pd.read_csv(out / "timeseries.csv")
    death = json.loads((out / "summary.json").read_text())["clinical"]["death_months"]
    assert death == dying_run.summary["clinical"]["death_months"]  # summaries unchanged
    after = ts["time_months"] > death + 1e-6
    for name in ("alive", "alsfrs_r", "fvc_percent", "kings_stage", "strength"):
        rows = ts[ts["variable"] == name]
        assert rows.loc[after, "value"].isna().all() and rows.loc[~after, "value"].notna().all()
    alive_flag = ts[ts["variable"] == "patient_alive"]
    assert (alive_flag.loc[after, "value"] == 0).all()


def test_cohort_means_of_the_tables_are_over_the_living():
    """Averaging several patients' tidy tables over time never counts the dead: after a
    patient dies the mean ALSFRS-R is the mean of those still alive, with n the number alive."""
    import pandas as pd

    results = [alssim.simulate(alssim.load_config(overrides=DYING), seed=s) for s in (1, 2)]
    # the later death first: patient 0 outlives patient 1
    results.sort(key=lambda r: -r.summary["clinical"]["death_months"])
    deaths = [r.summary["clinical"]["death_months"] for r in results]
    assert deaths[1] < deaths[0] < results[0].times_months[-1]
    df = pd.concat([r.to_dataframe().assign(patient=i) for i, r in enumerate(results)])
    scores = df[df["variable"] == "alsfrs_r"]
    by_time = scores.groupby("time_months")["value"].agg(["mean", "count"])
    between = by_time[(by_time.index > deaths[1] + 1e-6) & (by_time.index <= deaths[0] + 1e-6)]
    assert len(between) > 0
    t = results[0].times_months
    own = pd.Series(results[0].clinical["alsfrs_r"], index=t).loc[between.index]
    np.testing.assert_array_equal(between["mean"].to_numpy(), own.to_numpy())
    assert (between["count"] == 1).all()  # n at risk: one patient alive
    assert (by_time.loc[by_time.index > deaths[0] + 1e-6, "count"] == 0).all()


def test_summary_is_json_and_survives_save_load(default_run, tmp_path):
    s = default_run.summary["clinical"]
    text = json.dumps(default_run.summary, allow_nan=False)
    assert json.loads(text)["clinical"] == s
    for key in ("clinical_onset_months", "segment_involvement_months",
                "region_involvement_months", "first_spread", "kings_stage_months",
                "mitos_stage_months", "diagnosis", "survival_months", "alsfrs_r_dfs", "d50"):
        assert key in s
    default_run.save(tmp_path / "r")
    assert alssim.load(tmp_path / "r").summary["clinical"] == s


def test_no_clinical_onset_gives_nulls_not_nan():
    cfg = alssim.load_config(overrides={**COURSE, "simulation.horizon_years": 1.0})
    res = alssim.simulate(cfg, seed=1)
    s = res.summary["clinical"]
    json.dumps(s, allow_nan=False)
    assert s["clinical_onset_months"] is None and s["survival_months"] is None
    assert s["censored"] is True and s["d50"] is None
    df = res.to_dataframe()
    assert not (df["variable"] == "months_from_clinical_onset").any()
    assert not df["value"].isna().any()


def test_assess_is_pure_and_repeatable(default_run):
    a = assess(default_run)
    for name in CLINICAL_VARIABLES:
        np.testing.assert_array_equal(a[name], default_run.clinical[name])
    with pytest.raises(ValueError):
        default_run.clinical["strength"][0, 0, 0] = 0.0


@pytest.mark.parametrize(("key", "value", "fragment"), [
    ("clinical.strength.max_unit_enlargement", 0.5, "clinical.strength.max_unit_enlargement"),
    ("clinical.function.item_thresholds", [0.5, 0.4, 0.6, 0.8], "increasing"),
    ("clinical.diagnosis.criteria", "gold_cost", "gold_coast"),
    ("clinical.respiratory.failure_fvc", 60.0, "hypercapnia_fvc"),
])
def test_clinical_parameters_are_validated(key, value, fragment):
    with pytest.raises(alssim.ConfigError, match=fragment):
        alssim.load_config(overrides={key: value})


def test_no_nan_or_inf_in_summary_numbers(default_run):
    def walk(x):
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, float):
            assert math.isfinite(x)
    walk(default_run.summary)


# ------------------------------------------------------------------ the mixed picture (UMN signs)
def _mixed_patients():
    """Onset compartment 'both' in an arm and in a leg, four patients each."""
    for seg in ("cervical_lower", "lumbosacral"):
        cfg = course_config(**{"onset.segment": seg, "onset.compartment": "both"})
        for seed in range(1, 5):
            yield alssim.simulate(cfg, seed=seed)


@pytest.fixture(scope="module")
def mixed_runs():
    return list(_mixed_patients())


def _onset_series(course, name):
    """``name`` in the onset segment and side, records up to and including death."""
    ev = course.summary()
    s = course.segments.index(ev["onset_segment"])
    d = ("left", "right").index(ev["onset_side"])
    k = int(np.flatnonzero(~course.after_death)[-1])
    return np.asarray(course[name], dtype=float)[:k + 1, s, d]


def test_brisk_reflexes_coexist_with_weakness_and_fasciculations(mixed_runs):
    """The mixed picture: in most patients with UMN + LMN onset, the onset limb is weak (MRC <= 3),
    fasciculating and still has brisk reflexes at the record of death; and whenever UMN damage
    raises the reflex, it stays brisk until the muscle is nearly empty."""
    at_death = 0
    for res in mixed_runs:
        c = res.clinical
        assert not c.summary()["censored"]
        refl, mrc, fasc = (_onset_series(c, n) for n in ("reflex", "mrc", "fasciculation_score"))
        u, m = _onset_series(c, "umn_index"), _onset_series(c, "innervated")
        us = res.config.clinical.umn_signs
        raised = (u >= us.brisk_threshold) & (m >= us.brisk_lost_below)
        assert (refl[raised] >= 3).all()
        mixed = (refl >= 3) & (mrc <= 3) & (fasc >= 1)
        assert mixed.sum() >= 5  # months, not a passing record
        at_death += bool(mixed[-1])
    assert at_death >= 6, at_death  # of 8


def test_babinski_persists_once_present(mixed_runs):
    """Once extensor, the plantar response stays extensor at every later living record, unless
    the toe extensors are essentially paralysed (innervated < babinski_lost_below)."""
    seen = 0
    for res in mixed_runs:
        c = res.clinical
        k = int(np.flatnonzero(~c.after_death)[-1])
        ls = c.segments.index("lumbosacral")
        bab = np.asarray(c["babinski"], dtype=float)[:k + 1, ls]
        m = np.asarray(c["innervated"])[:k + 1, ls]
        lost_below = res.config.clinical.umn_signs.babinski_lost_below
        for side in range(2):
            b = bab[:, side] == 1
            if not b.any():
                continue
            seen += 1
            later = np.arange(k + 1) >= int(b.argmax())
            np.testing.assert_array_equal(b[later], m[later, side] >= lost_below)
    assert seen >= 8


def test_signs_are_reported_only_where_examined(default_run):
    """No thoracic clonus, no bulbar or diaphragm Ashworth: limb signs are NaN in bulbar, phrenic
    and thoracic segments
    (rows left out of the tidy table); jaw jerk and pseudobulbar signs only bulbar, abdominal
    reflexes only thoracic, Babinski only lumbosacral."""
    c = default_run.clinical
    check_ranges(c)
    # the phrenic nucleus serves breathing alone: the diaphragm has no tone or reflex to examine
    region = {s.name: ("none" if s.name == "phrenic" else s.el_escorial_region)
              for s in default_run.anatomy.segments}
    where = {name: {s for s, r in region.items() if r in regions} for name, regions in
             {"ashworth": ("cervical", "lumbosacral"), "reflex": ("cervical", "lumbosacral"),
              "babinski": ("lumbosacral",), "jaw_jerk": ("bulbar",),
              "pseudobulbar_signs": ("bulbar",), "abdominal_reflexes_lost": ("thoracic",)}.items()}
    assert where["ashworth"] and where["babinski"] and where["jaw_jerk"]
    df = default_run.to_dataframe()
    for name, segs in where.items():
        arr = np.asarray(c[name], dtype=float)
        for i, seg in enumerate(c.segments):
            assert np.isnan(arr[:, i]).all() != (seg in segs), (name, seg)
        rows = df[(df["variable"] == name) & df["value"].notna()]  # after death: all NaN
        assert set(rows["segment"]) == segs, name
        # not even NaN rows after death where the sign is never examined
        assert set(df.loc[df["variable"] == name, "segment"]) == segs, name
    living = ~c.after_death
    assert (np.asarray(c["jaw_jerk"])[living, 0] >= 2).all()  # corticobulbar damage, no less


def test_el_escorial_counts_what_a_clinician_sees(default_run):
    """UMN signs per region are those examined there, and the criteria read exactly those."""
    from alssim.anatomy import EL_ESCORIAL_REGIONS
    from alssim.clinical import diagnosis

    c = default_run.clinical
    anat = default_run.anatomy
    us = default_run.config.clinical.umn_signs
    umn = np.asarray(c["umn_sign"], dtype=bool)
    seg = {s.name: i for i, s in enumerate(anat.segments)}

    def sign(name, i):
        return np.nan_to_num(np.asarray(c[name], dtype=float)[:, i])

    for s in anat.segments:
        i, r = seg[s.name], s.el_escorial_region
        if r == "bulbar":
            want = (sign("jaw_jerk", i) >= 3) | (sign("pseudobulbar_signs", i) == 1)
        elif r == "thoracic":
            want = ((sign("abdominal_reflexes_lost", i) == 1)
                    & (np.asarray(c["innervated"])[:, i] >= us.brisk_lost_below))
        else:
            want = ((sign("ashworth", i) >= 1) | (sign("reflex", i) >= 3)
                    | (sign("babinski", i) == 1))
        np.testing.assert_array_equal(umn[:, i], want, err_msg=s.name)
    ee_idx = np.array([EL_ESCORIAL_REGIONS.index(s.el_escorial_region) for s in anat.segments])
    n_r = len(EL_ESCORIAL_REGIONS)
    limb = np.isin(ee_idx, [1, 3])[:, None]
    emg = np.asarray(c["emg_lmn_sign"], dtype=bool)
    emg_limbs = sum(diagnosis.pool_regions(emg[..., d:d + 1] & limb, ee_idx, n_r).sum(axis=1)
                    for d in range(2))
    ee = diagnosis.el_escorial(diagnosis.pool_regions(umn, ee_idx, n_r),
                               diagnosis.pool_regions(c["lmn_sign"], ee_idx, n_r), emg_limbs)
    np.testing.assert_array_equal(ee, c["el_escorial"])


def test_umn_sign_parameters_are_validated():
    with pytest.raises(alssim.ConfigError, match=r"clinical\.umn_signs\.brisk_lost_below"):
        alssim.load_config(overrides={"clinical.umn_signs.brisk_lost_below": 0.5})


def test_no_segment_or_region_is_involved_after_death():
    # a flail-arm patient dies before the legs are reached: the legs are never involved, not
    # involved a month after death (the course after death is not the patient's)
    cfg = alssim.load_config("configs/phenotypes/flail_arm.toml",
                             overrides={"simulation.scale": 0.05,
                                        "simulation.horizon_years": 15.0})
    s = alssim.simulate(cfg, seed=6).clinical.summary()
    death = s["survival_months"]
    assert death is not None
    months = [*s["segment_involvement_months"].values(), *s["region_involvement_months"].values()]
    assert any(m is None for m in months)
    assert all(m is None or m <= death + 1e-6 for m in months)
    assert s["first_spread"]["months"] is None or s["first_spread"]["months"] <= death + 1e-6


def test_climbing_stairs_is_lost_before_walking():
    # leg-onset patients: climbing stairs asks more of the legs than walking (Cedarbaum 1999
    # anchors): never better than walking, worse for part of the course, both normal together
    cfg = course_config(**{"onset.segment": "lumbosacral"})
    for seed in (1, 2):
        course = alssim.simulate(cfg, seed=seed).clinical
        walk = np.asarray(course["alsfrs_r_walking"])
        stairs = np.asarray(course["alsfrs_r_climbing_stairs"])
        assert (stairs <= walk).all()
        assert (stairs < walk).sum() >= 3
        np.testing.assert_array_equal(stairs == 4, walk == 4)
        # stairs cannot be climbed while the patient still has functional leg movement
        assert ((stairs == 0) & (walk >= 1)).any()


def test_trial_entry_is_read_from_the_record_the_trial_enrols(default_run):
    """The trial entry of the summary is the record the vital-capacity slope starts from:
    15.6 months after onset or later (here the diagnosis, 17.1 months), with that record's
    ALSFRS-R and FVC, and the slope is the least-squares line of the next 12 months."""
    from alssim.clinical import respiratory as resp
    from alssim.clinical.progression import linear_slope

    c = default_run.clinical
    entry = c.events["trial_entry"]
    t = np.asarray(c.times_months)
    k = int(np.argmin(np.abs(t - (c.clinical_onset_months + entry["months"]))))
    assert t[k] - c.clinical_onset_months == pytest.approx(entry["months"], abs=1e-3)
    assert entry["months"] >= max(resp.TRIAL_ENTRY_MONTHS, c.events["diagnosis"]["months"])
    assert t[k - 1] - c.clinical_onset_months < max(resp.TRIAL_ENTRY_MONTHS,
                                                    c.events["diagnosis"]["months"])
    assert entry["alsfrs_r"] == int(c["alsfrs_r"][k])
    assert entry["fvc_percent"] == pytest.approx(float(c["fvc_percent"][k]), abs=1e-3)
    follow = (t >= t[k]) & (t <= t[k] + 12.0 + 1e-9)
    assert c.events["fvc_trial_slope_per_month"] == pytest.approx(
        linear_slope(t[follow] - t[k], np.asarray(c["fvc_percent"])[follow]), abs=1e-6)
