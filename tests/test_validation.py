"""Validation layer: metric functions on hand-made tables, phenotype rules, a reduced validation.

The reduced validation simulates a small cohort (n = 80, seed 3, scale 0.02, weekly steps): its
tolerances are wide on purpose. With 80 patients a share has a 95% interval of about +-0.1 and a
median survival of about +-25%, so the test only checks that each figure lands in a broad
plausible band, not that it matches the literature (that is `alssim validate`, n = 2000).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
import tomli_w

import alssim
from alssim.anatomy import ALSFRS_ITEMS
from alssim.clinical.phenotype import PHENOTYPES, classify_phenotype
from alssim.config.schema import DAYS_PER_MONTH
from alssim.errors import ConfigError
from alssim.validation import (
    METRICS,
    Target,
    ValidationReport,
    bootstrap_ci,
    clopper_pearson,
    evaluate,
    km_median,
    load_targets,
    passes,
    prepare,
    run_validation,
    write_report,
)


# --------------------------------------------------------------------------- statistics
def test_km_median_by_hand():
    # S: t=1 0.8; t=2 (one event, one censored after it) 0.6; t=3 (2 at risk) 0.3 -> median 3
    t = [1, 2, 2, 3, 4]
    e = [True, True, False, True, True]
    assert km_median(np.array(t), np.array(e)) == 3.0
    assert km_median(np.array([1.0, 2, 3, 4, 5]), np.ones(5, bool)) == 3.0
    assert km_median(np.array([5.0, 6, 7]), np.array([True, False, False])) == math.inf
    assert math.isnan(km_median(np.array([]), np.array([], bool)))


def test_km_median_matches_the_analysis_estimator():
    from alssim.analysis import kaplan_meier

    rng = np.random.default_rng(0)
    t = np.round(rng.exponential(30, 300), 1)
    e = rng.random(300) < 0.8
    assert km_median(t, e) == kaplan_meier(t, e).median


def test_clopper_pearson_known_values():
    lo, hi = clopper_pearson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / 10), rel=1e-9)
    lo, hi = clopper_pearson(5, 10)
    assert lo == pytest.approx(0.1870860, abs=1e-6) and hi == pytest.approx(0.8129140, abs=1e-6)


def test_bootstrap_ci_is_seeded_and_has_the_standard_error_width():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"x": rng.normal(10.0, 2.0, 400)})
    f = lambda d: float(d["x"].mean())  # noqa: E731
    a = bootstrap_ci(df, f, n_boot=200, seed=5)
    b = bootstrap_ci(df, f, n_boot=200, seed=5)
    assert a == b
    est, lo, hi = a
    assert lo < est < hi
    assert hi - lo == pytest.approx(2 * 1.96 * 2.0 / 20, rel=0.3)  # ~ +-1.96 SE


# --------------------------------------------------------------------------- pass rule
def test_pass_rule():
    q = Target("x", "", "", "", "", 2.0, 4.0)
    assert passes(q, 3.0, 2.5, 3.5)  # point estimate inside
    assert passes(q, 3.0, 1.0, 5.0, n=5000)  # a wide interval does not matter
    # the point estimate decides; an overlapping interval is enough only for small subgroups
    assert not passes(q, 5.0, 3.9, 6.0)
    assert not passes(q, 5.0, 3.9, 6.0, n=100)
    assert passes(q, 5.0, 3.9, 6.0, n=99)
    assert not passes(q, 5.0, 4.1, 6.0, n=10)
    assert not passes(q, math.nan, 1.0, 5.0)
    qual = Target("y", "", "", "", "", 0.0, 0.99, kind="qualitative", relation="ratio < 1")
    assert passes(qual, 0.8, 0.5, 1.2) and not passes(qual, 1.1, 0.9, 1.3)
    noise = Target("z", "", "", "", "", -1e9, 0.0, kind="qualitative",
                   relation="slope <= 0 within noise")
    assert passes(noise, 0.01, -0.01, 0.03) and not passes(noise, 0.01, 0.005, 0.03)


def test_every_target_has_a_metric_and_a_sane_interval():
    targets = load_targets()
    assert len(targets) >= 30
    for t in targets:
        assert t.id in METRICS
        assert t.low <= t.high and t.source


# --------------------------------------------------------------------------- prepared table
def _row(seg, side="right", **times):
    base = {"clinical.clinical_onset_months": 30.0, "clinical.onset_segment": seg,
            "clinical.onset_side": side, "clinical.survival_months": 30.0,
            "clinical.censored": False, "horizon_months": 180.0, "age_years": 60.0,
            "genotype": "sporadic"}
    for s in ("bulbar", "cervical_upper", "cervical_lower", "thoracic", "lumbosacral"):
        for d in ("left", "right"):
            base[f"clinical.segment_involvement_months.{s}:{d}"] = times.get(f"{s}_{d}")
    base[f"clinical.segment_involvement_months.{seg}:{side}"] = 0.0
    return base


def test_prepare_classifies_first_spread_and_region_order():
    rows = [
        _row("cervical_lower", cervical_lower_left=5.0, lumbosacral_right=9.0),  # contra
        _row("cervical_lower", cervical_upper_right=3.0, cervical_lower_left=8.0),  # same limb
        _row("lumbosacral", thoracic_right=4.0, lumbosacral_left=6.0),  # vertical
        _row("lumbosacral", lumbosacral_left=4.0, thoracic_right=4.0),  # tie: half each
        _row("bulbar", lumbosacral_left=7.0, cervical_upper_left=9.0),  # legs before arms
        _row("bulbar", cervical_upper_left=5.0, bulbar_left=1.0),
    ]
    d = prepare(pd.DataFrame(rows))
    np.testing.assert_allclose(d["spread_contra"][:4], [1.0, 1.0, 0.0, 0.5])
    assert d["spread_contra"][4:].isna().all()  # bulbar onset left out
    assert METRICS["first_spread_contralateral_ratio"](d) == pytest.approx(2.5 / 1.5)
    np.testing.assert_allclose(d["legs_before_arms"][4:], [1.0, 0.0])
    assert METRICS["bulbar_to_legs"](d) == 0.5
    assert METRICS["onset_share_bulbar"](d) == pytest.approx(2 / 6)
    assert METRICS["median_survival"](d) == 30.0
    # the sampled age is the age at clinical onset, as the registries report it: the 30 months
    # of preclinical disease are not added
    assert d["age_onset"][0] == pytest.approx(60.0)


def test_prepare_censors_survivors_at_the_horizon():
    rows = [_row("bulbar"), _row("bulbar")]
    rows[1].update({"clinical.survival_months": None, "clinical.censored": True})
    d = prepare(pd.DataFrame(rows))
    assert d["time"].tolist() == [30.0, 150.0] and d["event"].tolist() == [True, False]


def test_limb_onset_survival_leaves_out_the_flail_syndromes_as_the_source_did():
    # Wijesekera 2009 report limb-onset ALS (31-35 months) apart from the flail-arm and
    # flail-leg syndromes (61 and 69 months); PMA stays in their limb-onset group
    survival = {"classic": 30.0, "pma": 34.0, "flail_arm": 60.0, "flail_leg": 70.0}
    rows = []
    for phenotype, months in survival.items():
        for seg in ("cervical_lower", "lumbosacral"):
            r = _row(seg)
            r.update({"clinical.survival_months": months, "clinical.phenotype": phenotype})
            rows.append(r)
    rows.append(_row("bulbar"))  # not limb onset
    rows[-1]["clinical.phenotype"] = "bulbar"
    d = prepare(pd.DataFrame(rows))
    # four limb-onset patients without the flail syndromes (30, 30, 34, 34): the KM median is
    # the first time survival falls to one half
    assert METRICS["median_survival_limb"](d) == pytest.approx(30.0)
    assert METRICS["survival_flail_leg"](d) == pytest.approx(70.0)
    for r in rows[:2]:
        r["clinical.phenotype"] = "flail_arm"
    d = prepare(pd.DataFrame(rows))
    assert METRICS["median_survival_limb"](d) == pytest.approx(34.0)


def test_standardised_stage_times_are_read_from_records_that_begin_at_entry():
    # a trial's or database's records begin after the diagnosis (PRO-ACT: 8.3 months): a stage
    # reached before is dated at the first record, and a patient who died before entry, or was
    # never diagnosed, is not in the cohort
    times = (2.0, 15.0, 20.0, 4.0, 4.0)
    dx = (4.0, 4.0, 4.0, 25.0, None)
    rows = [_row("bulbar") for _ in times]
    for r, t, x in zip(rows, times, dx, strict=True):
        r["clinical.kings_estimated_stage_months.2"] = t
        r["clinical.diagnosis.months"] = x
    d = prepare(pd.DataFrame(rows))
    # entry at 12.3 for the first three (survival 30): seen at 12.3, 15 and 20
    assert METRICS["kings_2_standardised"](d) == pytest.approx(15.0 / 30.0)
    rows[0]["clinical.diagnosis.months"] = 0.0  # entry at 8.3: the stage reached at 2 seen then
    rows[1]["clinical.kings_estimated_stage_months.2"] = 5.0
    d = prepare(pd.DataFrame(rows))
    assert METRICS["kings_2_standardised"](d) == pytest.approx(12.3 / 30.0)


def test_standardised_stage_times_read_the_stage_estimated_from_the_alsfrs():
    # Balendra 2023 staged its cohorts from the ALSFRS-R: the four standardised times read
    # clinical.kings_estimated_stage_months; the stage durations (Chen 2018, a clinical
    # registry) keep the clinical stage
    rows = [_row("bulbar"), _row("bulbar"), _row("bulbar")]
    for r, (clin, est) in zip(rows, ((3.0, 6.0), (6.0, 12.0), (9.0, 18.0)), strict=True):
        r.update({f"clinical.kings_stage_months.{k}": clin for k in ("2", "3", "4A", "4B")})
        r.update({f"clinical.kings_estimated_stage_months.{k}": est
                  for k in ("2", "3", "4A", "4B")})
        r.update({f"clinical.kings_stage_duration_months.{k}": clin for k in "1234"})
    rows[2]["clinical.kings_estimated_stage_months.4B"] = None  # never reached: left out
    for r in rows:
        r["clinical.diagnosis.months"] = 0.0
    d = prepare(pd.DataFrame(rows))
    for k in ("2", "3", "4a"):
        assert METRICS[f"kings_{k}_standardised"](d) == pytest.approx(12.0 / 30.0)
    # records begin 8.3 months after the diagnosis: the stage reached at 6 is seen at 8.3
    assert METRICS["kings_4b_standardised"](d) == pytest.approx((8.3 + 12.0) / 2 / 30.0)
    assert METRICS["onset_to_second_region"](d) == pytest.approx(6.0)  # clinical stage 2
    for k in "1234":
        assert METRICS[f"kings_stage_{k}_duration"](d) == pytest.approx(6.0)


# --------------------------------------------------------------------------- phenotypes
ANATOMY = alssim.load_config().anatomy
BULBAR, HAND, LEG = (ANATOMY.segment_index(s) for s in ("bulbar", "cervical_lower", "lumbosacral"))


class _Course:
    """A minimal stand-in for ClinicalCourse: arrays by name, events, times."""

    def __init__(self, n_t=40, onset=10.0, death=None, onset_segment="cervical_lower"):
        self.times_months = np.arange(n_t, dtype=float)
        self.clinical_onset_months = onset
        self.events = {"onset_segment": onset_segment, "onset_side": "right",
                       "death_months": death}
        shape = (n_t, len(ANATOMY.segments), 2)
        self.arrays = {"involved": np.zeros(shape, bool), "ashworth": np.zeros(shape),
                       "reflex": np.full(shape, 2.0), "umn_sign": np.zeros(shape, bool),
                       "lmn_sign": np.zeros(shape, bool), "strength": np.ones(shape)}
        self.arrays.update({f"alsfrs_r_{i}": np.full(n_t, 4) for i in ALSFRS_ITEMS})

    def __getitem__(self, name):
        return self.arrays[name]

    def lmn_weak(self, name, start, sides=(0, 1)):
        """LMN weakness (involved, LMN sign, strength 0.5) in segment ``name`` from ``start``."""
        seg = ANATOMY.segment_index(name)
        for side in sides:
            self.arrays["involved"][start:, seg, side] = True
            self.arrays["lmn_sign"][start:, seg, side] = True
            self.arrays["strength"][start:, seg, side] = 0.5


def test_flail_arm_pma_umn_predominant_rules():
    # flail arm is proximal (Wijesekera 2009): both shoulders (C3-C5), nothing else for a year
    c = _Course(onset_segment="cervical_upper")
    c.lmn_weak("cervical_upper", 10)
    assert classify_phenotype(c, ANATOMY) == "flail_arm"
    # distal (hand) LMN weakness confined to the arms, no UMN sign: PMA, not flail arm
    c = _Course()
    c.lmn_weak("cervical_lower", 10)
    assert classify_phenotype(c, ANATOMY) == "pma"
    c.arrays["ashworth"][15:, HAND, 1] = 1.0  # spasticity and a UMN sign: classic
    c.arrays["umn_sign"][15:, HAND, 1] = True
    assert classify_phenotype(c, ANATOMY) == "classic"
    c = _Course(onset_segment="lumbosacral")
    c.lmn_weak("lumbosacral", 10, sides=(0,))
    c.arrays["involved"][18:, BULBAR, :] = True  # bulbar within 12 months: not flail leg
    assert classify_phenotype(c, ANATOMY) == "pma"  # but no UMN sign in 24 months
    c = _Course(onset_segment="bulbar")
    c.arrays["umn_sign"][10:, BULBAR, :] = True
    assert classify_phenotype(c, ANATOMY) == "umn_predominant"
    c = _Course(onset_segment="bulbar", death=20.0)  # dies before the windows close, no sign
    assert classify_phenotype(c, ANATOMY) == "bulbar"
    c.lmn_weak("bulbar", 10)  # pure LMN bulbar onset: progressive bulbar palsy, not PMA
    assert classify_phenotype(c, ANATOMY) == "bulbar"
    c = _Course(onset=math.inf)
    assert classify_phenotype(c, ANATOMY) == "none"
    assert set(PHENOTYPES) >= {"flail_arm", "flail_leg", "pma", "umn_predominant", "respiratory"}


def test_respiratory_onset_and_rapid_lmn_courses_are_labelled():
    # breathlessness before any bulbar or limb item, with only mild bulbar and limb loss for 6
    # months (Chiò 2011; Gautier 2010): respiratory, although the onset segment is in the
    # upper-limb region and the signs are LMN only
    c = _Course(onset_segment="cervical_upper")
    c.lmn_weak("cervical_upper", 10)
    c.arrays["involved"][16:, BULBAR, :] = True  # bulbar involved within a year: not flail arm
    c.arrays["alsfrs_r_dyspnoea"][12:] = 3
    c.arrays["alsfrs_r_handwriting"][15:] = 3
    assert classify_phenotype(c, ANATOMY) == "respiratory"
    c.arrays["alsfrs_r_handwriting"][13:] = 2  # not mild within 6 months: LMN only, so PMA
    assert classify_phenotype(c, ANATOMY) == "pma"
    c.arrays["alsfrs_r_handwriting"][:] = 4
    c.arrays["alsfrs_r_handwriting"][11:] = 3  # a limb item first: not respiratory onset
    assert classify_phenotype(c, ANATOMY) == "pma"
    # a rapid course that kills within the 24-month window with LMN signs only (SOD1 A4V,
    # Cudkowicz 1998): PMA, whatever spread to other regions
    c = _Course(onset_segment="lumbosacral", death=28.0)
    c.lmn_weak("lumbosacral", 10)
    c.lmn_weak("cervical_lower", 14)
    c.lmn_weak("bulbar", 18)
    assert classify_phenotype(c, ANATOMY) == "pma"
    c.arrays["umn_sign"][20:, LEG, 0] = True  # one UMN sign before death: classic
    assert classify_phenotype(c, ANATOMY) == "classic"


# --------------------------------------------------------------------------- reduced validation
@pytest.fixture(scope="module")
def small_validation():
    return run_validation(n=80, seed=3, workers=1, n_boot=60)


@pytest.mark.slow
def test_reduced_validation(small_validation, tmp_path):
    report, cohort = small_validation
    tab = report.table.set_index("id")
    assert set(tab.index) == {t.id for t in load_targets()}
    assert report.n_patients >= 70  # almost everyone has a clinical onset within 15 years
    # wide tolerances for n = 80 (see the module docstring)
    assert 0.10 <= tab.loc["onset_share_bulbar", "simulated"] <= 0.45
    assert 0.20 <= tab.loc["onset_share_upper_limb", "simulated"] <= 0.55
    assert 18.0 <= tab.loc["median_survival", "simulated"] <= 70.0
    assert 0.1 <= tab.loc["alsfrs_decline_median", "simulated"] <= 1.5
    assert 5.0 <= tab.loc["onset_to_second_region", "simulated"] <= 25.0
    assert 1.0 <= tab.loc["first_spread_contralateral_ratio", "simulated"] <= 10.0
    assert 1.0 <= tab.loc["munix_decline", "simulated"] <= 8.0
    # about 20 bulbar- and 27 lower-limb-onset patients: a share is known to about +-0.2; the
    # check is that the long-range route exists (legs before arms after bulbar onset happens at
    # all) and runs one way (bulbar before arms after leg onset stays rare)
    assert 0.0 < tab.loc["bulbar_to_legs", "simulated"] <= 0.7
    assert tab.loc["lumbar_to_bulbar", "simulated"] <= 0.25
    ok = tab[tab["ci_low"].notna()]
    assert (ok["ci_low"] <= ok["simulated"] + 1e-9).all()
    assert (ok["simulated"] <= ok["ci_high"] + 1e-9).all()
    # re-evaluating the same table with the same seed gives the same report
    again = evaluate(cohort, n_boot=60, seed=3)
    pd.testing.assert_frame_equal(again.table, report.table)
    files = write_report(report, tmp_path / "val", figures=False)
    text = (tmp_path / "val" / "report.md").read_text()
    assert "| figure |" in text and "median_survival" in text
    assert pd.read_csv(tmp_path / "val" / "validation.csv").shape[0] == len(tab)
    assert len(files) == 2


@pytest.mark.slow
def test_report_states_the_record_interval_that_event_times_take(small_validation):
    """The header's sentence on time resolution is true of the cohort it describes: survival,
    time to a second region and King's stage times are whole numbers of the record interval."""
    report, cohort = small_validation
    days = report.meta["record_interval_days"]
    assert days == 28.0  # 30-day output interval, 7-day steps: every 4th step
    assert "recorded every 28 days (0.92 months)" in report.to_markdown()
    step = days / DAYS_PER_MONTH
    d = cohort.patients
    times = pd.concat([d["clinical.survival_months"],
                       d["clinical.kings_stage_months.2"] - d["clinical.kings_stage_months.1"]])
    times = times.dropna().to_numpy(dtype=float)
    assert times.size > 50
    np.testing.assert_allclose(times / step, np.round(times / step), atol=1e-6)


@pytest.mark.slow
def test_cli_validate_writes_a_report_and_reports_failures(tmp_path):
    from alssim.cli.main import main

    out = tmp_path / "v"
    code = main(["validate", "--n", "12", "--seed", "2", "--workers", "1", "--boot", "10",
                 "--out", str(out), "--no-figures", "--quiet"])
    assert code == 3  # some figure outside tolerance: certain with 12 patients
    assert (out / "report.md").is_file() and (out / "validation.csv").is_file()
    table = pd.read_csv(out / "validation.csv")
    assert not table["passed"].all()
    assert main(["validate", "--n", "12", "--out", str(out), "--workers", "1"]) == 1  # no --force


def test_targets_that_are_not_a_regular_file_are_refused_at_once():
    from alssim.validation import load_targets

    with pytest.raises(alssim.ConfigError, match="/dev/zero"):
        load_targets("/dev/zero")


def test_munix_decline_reads_the_total_score_of_the_less_affected_side():
    # Neuwirth 2015 report the decline of the MUNIX total score (six muscles, less affected side,
    # patients who reached month 12): the metric reads that marker, not the mean over every
    # affected limb muscle of both sides
    rows = [_row("cervical_lower"), _row("cervical_lower")]
    for r, v in zip(rows, (2.0, 4.0), strict=True):
        r["clinical.motor_units.munix_total_decline_percent_per_month"] = v
        r["clinical.motor_units.mune_decline_percent_per_month"] = 10.0
    assert METRICS["munix_decline"](prepare(pd.DataFrame(rows))) == pytest.approx(3.0)


def test_munix_total_decline_follows_the_published_protocol():
    from alssim.clinical.phenotype import motor_unit_markers

    c = _Course(n_t=40, onset=5.0)
    c.muscles = [m.name for s in ANATOMY.segments for m in s.muscles]
    c.muscle_segments = [s.name for s in ANATOMY.segments for _ in s.muscles]
    healthy = np.array([m.motor_units for s in ANATOMY.segments for m in s.muscles], dtype=float)
    t = c.times_months
    units = np.tile(healthy[None, :, None], (len(t), 1, 2))
    # every muscle loses units linearly from month 5: the onset (right) side 4% of healthy per
    # month, the other side 1%
    units[:, :, 1] *= np.clip(1.0 - 0.04 * np.maximum(t - 5.0, 0.0), 0.0, None)[:, None]
    units[:, :, 0] *= np.clip(1.0 - 0.01 * np.maximum(t - 5.0, 0.0), 0.0, None)[:, None]
    c.arrays.update(mune=units, mune_percent=100.0 * units / healthy[None, :, None],
                    cmap_percent=np.full_like(units, 100.0))
    c.events["diagnosis"] = {"months": 5.0}  # month 10
    # the less affected (left) side, month 10 (0.95 of healthy) to month 22 (0.83)
    marker = motor_unit_markers(c, ANATOMY)["munix_total_decline_percent_per_month"]
    assert marker == pytest.approx(100.0 * (0.95 - 0.83) / 0.95 / 12.0)
    # a patient who dies before month 12 of follow-up is not in the published figure
    c.events["death_months"] = 20.0
    assert motor_unit_markers(c, ANATOMY)["munix_total_decline_percent_per_month"] is None


def test_regions_preserved_at_the_first_respiratory_symptom():
    from alssim.clinical.phenotype import respiratory_symptom_markers

    c = _Course(onset=10.0)                      # hand onset
    c.arrays["alsfrs_r_handwriting"][10:] = 3
    c.arrays["alsfrs_r_walking"][15:] = 3        # the legs before the breathing
    c.arrays["alsfrs_r_orthopnoea"][22:] = 3     # first respiratory symptom at month 22
    c.arrays["alsfrs_r_speech"][30:] = 3         # the bulbar region after it
    assert respiratory_symptom_markers(c, ANATOMY) == {"months": 12.0, "regions_preserved": 1.0}
    c.arrays["alsfrs_r_walking"][:] = 4          # legs normal too: both preserved
    assert respiratory_symptom_markers(c, ANATOMY)["regions_preserved"] == 2.0
    c.events["death_months"] = 20.0              # dies before any breathing symptom
    assert respiratory_symptom_markers(c, ANATOMY) == {"months": None, "regions_preserved": None}
    c = _Course(onset=10.0, onset_segment="thoracic")   # trunk onset: no other-region count
    c.arrays["alsfrs_r_dyspnoea"][12:] = 3
    assert respiratory_symptom_markers(c, ANATOMY) == {"months": 2.0, "regions_preserved": None}


def test_regions_preserved_targets_read_limb_and_bulbar_onset_apart():
    rows = [_row("cervical_lower"), _row("lumbosacral"), _row("bulbar"), _row("bulbar")]
    for r, v in zip(rows, (0.0, 1.0, 2.0, None), strict=True):
        r["clinical.respiratory_symptoms.regions_preserved"] = v
    d = prepare(pd.DataFrame(rows))
    assert METRICS["regions_preserved_at_breathing_limb"](d) == pytest.approx(0.5)
    assert METRICS["regions_preserved_at_breathing_bulbar"](d) == pytest.approx(2.0)


def test_pma_survival_is_the_median_of_the_pma_patients():
    rows = [_row("cervical_lower") for _ in range(4)]
    for r, (pheno, months) in zip(rows, (("pma", 40.0), ("pma", 60.0), ("pma", 80.0),
                                         ("classic", 10.0)), strict=True):
        r["clinical.phenotype"] = pheno
        r["clinical.survival_months"] = months
    d = prepare(pd.DataFrame(rows))
    assert METRICS["survival_pma"](d) == pytest.approx(60.0)


def test_vital_capacity_slope_reads_only_the_patients_the_trial_enrolled():
    # EMPOWER enrolled patients aged up to 80: an older patient's slope is left out, as is a
    # patient the course did not enrol (no slope)
    rows = [_row("cervical_lower") for _ in range(3)]
    for r, slope, age in zip(rows, (-2.0, -4.0, None), (60.0, 79.5, 60.0), strict=True):
        r.update({"clinical.fvc_trial_slope_per_month": slope, "age_years": age})
    d = prepare(pd.DataFrame(rows))
    # 79.5 years at onset is 80.8 at entry (15.6 months later): not enrolled
    assert METRICS["vital_capacity_decline"](d) == pytest.approx(-2.0)
    rows[1]["age_years"] = 78.0
    d = prepare(pd.DataFrame(rows))
    assert METRICS["vital_capacity_decline"](d) == pytest.approx(-3.0)


# --------------------------------------------------------------------------- trial population
def _enrolled_row(slope, alsfrs, fvc, entry=16.0, dx=10.0, age=60.0, seg="cervical_lower"):
    r = _row(seg)
    r.update({"clinical.fvc_trial_slope_per_month": slope, "age_years": age,
              "clinical.trial_entry.months": entry, "clinical.trial_entry.alsfrs_r": alsfrs,
              "clinical.trial_entry.fvc_percent": fvc, "clinical.diagnosis.months": dx})
    return r


def test_trial_population_sets_the_enrolled_patients_beside_the_trials_subgroups():
    from alssim.validation import trial_population as tp

    rows = [_enrolled_row(-4.0, 35, 70.0, age=45.0),           # ALSFRS <= 39, FVC 65-75, < 50
            _enrolled_row(-2.0, 39, 90.0, entry=18.0, dx=6.0),  # the boundary 39 is <= 39
            _enrolled_row(-1.0, 44, 98.0, age=70.0, seg="bulbar"),
            _enrolled_row(None, 46, 99.0),                      # not enrolled: no slope
            _enrolled_row(-3.0, 40, 80.0, age=79.5)]            # over 80 at entry: left out
    d = prepare(pd.DataFrame(rows))
    slopes = tp.slope_table(d).set_index("key")
    assert slopes.loc["all", "simulated"] == pytest.approx(METRICS["vital_capacity_decline"](d))
    assert slopes.loc["all", "n"] == 3
    assert slopes.loc["alsfrs_le39", "simulated"] == pytest.approx(-3.0)
    assert slopes.loc["alsfrs_gt39", "simulated"] == pytest.approx(-1.0)
    assert slopes.loc["fvc_65_75", "simulated"] == pytest.approx(-4.0)
    assert slopes.loc["fvc_gt75", "simulated"] == pytest.approx(-1.5)
    assert slopes.loc["age_lt50", "simulated"] == pytest.approx(-4.0)
    assert slopes.loc["age_50_65", "simulated"] == pytest.approx(-2.0)
    assert slopes.loc["age_gt65", "simulated"] == pytest.approx(-1.0)
    assert slopes.loc["bulbar", "simulated"] == pytest.approx(-1.0)
    assert slopes.loc["other", "simulated"] == pytest.approx(-3.0)
    assert slopes.loc["all", "published"] == -2.7
    base = tp.baseline_table(d).set_index("key")
    assert base.loc["duration", "simulated_mean"] == pytest.approx(50.0 / 3)
    assert base.loc["since_diagnosis", "simulated_mean"] == pytest.approx((6 + 12 + 6) / 3)
    assert base.loc["age", "simulated_mean"] == pytest.approx(
        (45 + 60 + 70) / 3 + (16 + 18 + 16) / 36)
    assert base.loc["bulbar", "simulated_mean"] == pytest.approx(1 / 3)
    assert base.loc["alsfrs", "simulated_mean"] == pytest.approx((35 + 39 + 44) / 3)
    assert base.loc["alsfrs", "simulated_sd"] == pytest.approx(np.std([35, 39, 44], ddof=1))
    assert base.loc["fvc", "published_mean"] == 89.3
    text = tp.to_markdown(tp.baseline_table(d), tp.slope_table(d))
    assert "| ALSFRS-R at entry > 39 | -2.3 (-2.7 to -1.9) | -1.00 | 1 |" in text
    assert "not targets" in text


@pytest.mark.slow
def test_report_describes_the_trial_population_from_the_course(small_validation):
    """The entry values in the cohort table are the course's at the trial's entry record."""
    from alssim.clinical.respiratory import TRIAL_ENTRY_MONTHS

    report, cohort = small_validation
    d = cohort.patients
    slope = d["clinical.fvc_trial_slope_per_month"]
    entry = d["clinical.trial_entry.months"]
    assert slope.notna().sum() > 10
    pd.testing.assert_series_equal(slope.notna(), entry.notna(), check_names=False)
    e = d[slope.notna()]
    assert (e["clinical.trial_entry.months"] >= TRIAL_ENTRY_MONTHS - 1e-9).all()
    assert (e["clinical.trial_entry.months"] >= e["clinical.diagnosis.months"] - 1e-9).all()
    assert (e["clinical.trial_entry.months"] <= 24.0 + 1e-9).all()
    assert (e["clinical.trial_entry.fvc_percent"] >= 65.0).all()
    assert e["clinical.trial_entry.alsfrs_r"].between(0, 48).all()
    assert "## The vital-capacity trial's patients" in report.to_markdown()
    assert report.trial_slopes.set_index("key").loc["all", "simulated"] == pytest.approx(
        report.table.set_index("id").loc["vital_capacity_decline", "simulated"])


def test_report_summary_table_and_repr():
    import pandas as pd

    table = pd.DataFrame({"id": ["a", "b"], "passed": [True, False], "simulated": [1.0, 2.0]})
    report = ValidationReport(table, 10, {"seed": 3, "n": 12, "overrides": {"x": 1}})
    assert report.summary == {"passed": 1, "figures": 2, "failures": ["b"], "n_patients": 10,
                              "meta": {"seed": 3, "n": 12}}
    assert report.to_dataframe().equals(table) and report.to_dataframe() is not table
    assert repr(report) == ("<alssim ValidationReport: 1 of 2 figures within tolerance; 10 "
                            "patients, seed 3>\n  outside: b")


@pytest.mark.parametrize("extra, key, message", [
    ({"hgih": 2.0}, "target[0].hgih", "did you mean 'target[0].high'"),
    ({"high": "2"}, "target[0].high", "got '2'"),
    ({"high": 0.5}, "target[0].low", "must be <= high"),
    ({"high": 2.0, "kind": "quantitativ"}, "target[0].kind", "did you mean 'quantitative'"),
    ({}, "target[0].high", "missing required key"),
])
def test_a_bad_target_names_the_file_key_and_what_is_allowed(tmp_path, extra, key, message):
    entry = {"id": "x", "what": "", "unit": "", "published": "", "source": "", "low": 1.0, **extra}
    path = tmp_path / "targets.toml"
    path.write_text(tomli_w.dumps({"target": [entry]}))
    with pytest.raises(ConfigError, match=re.escape(message)) as err:
        load_targets(path)
    assert err.value.key == key and str(path) in str(err.value)


def test_a_target_may_leave_out_kind_and_relation(tmp_path):
    path = tmp_path / "targets.toml"
    path.write_text(tomli_w.dumps({"target": [{"id": "x", "what": "", "unit": "", "published": "",
                                               "source": "", "low": 1, "high": 2}]}))
    (t,) = load_targets(path)
    assert (t.kind, t.relation, t.low) == ("quantitative", "", 1.0)
