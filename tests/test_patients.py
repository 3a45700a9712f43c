"""Patients: derived configs stay within the parameter ranges, so a valid config always runs;
exposures act on the course only with evidence; the onset site depends on sex and age."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import alssim
from alssim.anatomy import ONSET_SITES
from alssim.batch import derive_seed
from alssim.cli.main import main
from alssim.config.loader import config_from_saved, dumps_toml
from alssim.config.schema import Spread
from alssim.errors import ConfigError
from alssim.fields import field_specs
from alssim.onset import choose_onset, site_probabilities
from alssim.patients import (
    EVIDENCE_LEVELS,
    EXPOSURES,
    SPEED_MAX,
    bulbar_odds,
    derive_config,
    sample_patient,
)
from alssim.validation.metrics import METRICS, prepare

TINY = {"simulation.scale": 0.002, "simulation.horizon_years": 1.0, "simulation.dt_days": 14.0,
        "simulation.output_interval_days": 28.0}
#: The documented maxima of the [cohort] speed parameters.
EXTREME = {"cohort.speed_sigma": 3.0, "cohort.age_speed_per_decade": 100.0}


def test_cohort_at_the_extremes_of_its_ranges_runs(tmp_path, capsys):
    """`config check` accepts the extremes; then every patient of a cohort runs (none dies with
    'patient-derived config ... got 241.1'), the affected patients flagged in `clipped`."""
    f = tmp_path / "extreme.toml"
    f.write_text("[cohort]\nspeed_sigma = 3.0\nage_speed_per_decade = 100.0\n")
    assert main(["config", "check", str(f)]) == 0
    capsys.readouterr()
    cfg = alssim.load_config(f, overrides=TINY)
    cohort = alssim.run_cohort(cfg, 12, seed=4, executor="serial", progress=False)
    table = cohort.patients
    assert len(table) == 12
    assert table["clipped"].dtype == bool and table["clipped"].any()
    assert np.all(np.isfinite(table["speed"])) and np.all(table["speed"] <= SPEED_MAX)
    for i in range(12):  # every patient's derived config is valid and within its ranges
        pcfg = cohort.patient_config(i)
        for name, spec in field_specs(Spread).items():
            assert spec.contains(getattr(pcfg.spread, name)), (i, name)


def test_derived_values_are_held_at_the_bounds_of_their_parameters():
    cfg = alssim.load_config(overrides={**TINY, **EXTREME})
    fast = None
    for i in range(200):
        attrs = sample_patient(cfg, np.random.SeedSequence(derive_seed(9, i)))
        d = derive_config(cfg, attrs)  # never raises
        growth = cfg.spread.local_growth_rate * (attrs.rel["local_growth"] * attrs.speed)
        if growth > 100.0:
            fast = attrs
            assert d.spread.local_growth_rate == 100.0
            assert "spread.local_growth_rate" in attrs.clipped and attrs.as_row()["clipped"]
        else:
            assert d.spread.local_growth_rate == growth  # exactly as before: no rounding change
            assert "spread.local_growth_rate" not in attrs.clipped
        assert d.mechanisms.pathology.hazard_rate <= 1e6
    assert fast is not None, "no patient beyond the bound: the test did not test anything"
    # the default cohort is untouched: no patient is held at a bound
    base = alssim.load_config(overrides=TINY)
    for i in range(300):
        attrs = sample_patient(base, np.random.SeedSequence(derive_seed(1, i)))
        assert attrs.clipped == () and attrs.as_row()["clipped"] is False


def test_speed_stays_finite_at_any_legal_setting():
    cfg = alssim.load_config(overrides={**TINY, "cohort.age_speed_per_decade": 1e-300,
                                        "cohort.reference_age_years": 120.0,
                                        "cohort.speed_sigma": 3.0})
    for i in range(20):
        attrs = sample_patient(cfg, np.random.SeedSequence(i))
        assert math.isfinite(attrs.speed) and 0 <= attrs.speed <= SPEED_MAX
        derive_config(cfg, attrs)
    # zero genotype speed times an overflowing age factor is 0, never nan
    zero = alssim.load_config(overrides={**TINY, "cohort.age_speed_per_decade": 1e-300,
                                         "cohort.reference_age_years": 120.0,
                                         **{f"cohort.genotypes.{g}.speed": 0.0 for g in (
                                             "sporadic", "c9orf72", "sod1_a4v", "sod1_other",
                                             "tardbp", "fus")}})
    attrs = sample_patient(zero, np.random.SeedSequence(1))
    assert attrs.speed == 0.0
    d = derive_config(zero, dataclasses.replace(attrs, speed=SPEED_MAX))
    assert d.spread.local_growth_rate == 100.0 and not math.isnan(d.spread.caudal_rate)


@pytest.mark.parametrize("sigma", [0.0, 3.0])
def test_zero_base_rate_times_huge_speed_is_zero(sigma):
    cfg = alssim.load_config(overrides={**TINY, **EXTREME, "cohort.speed_sigma": sigma,
                                        "spread.caudal_rate": 0.0})
    attrs = sample_patient(cfg, np.random.SeedSequence(3))
    d = derive_config(cfg, dataclasses.replace(attrs, speed=SPEED_MAX,
                                               rel={**attrs.rel, "spread": 1e14}))
    assert d.spread.caudal_rate == 0.0 and d.spread.contralateral_rate == 100.0


# ----------------------------------------------------------------------- exposures: risk vs course
#: Exposures whose published evidence concerns the risk of ALS but not its course (or whose course
#: studies disagree): by default they must not change a patient's rates.
NO_COURSE_EVIDENCE = ("lead", "military_service", "physical_activity", "cyanotoxins")


def _exposure_overrides(exposed: tuple[str, ...]) -> dict:
    return {f"cohort.exposures.{e}.prevalence": 1.0 if e in exposed else 0.0 for e in EXPOSURES}


def test_exposures_without_course_evidence_do_not_change_a_patients_rates():
    """Cyanotoxins (risk evidence only) used to shorten survival through pathology_hazard x1.3;
    an exposure with no published evidence about the course leaves every rate as it is."""
    exposed = alssim.load_config(overrides={**TINY, **_exposure_overrides(NO_COURSE_EVIDENCE)})
    unexposed = alssim.load_config(overrides={**TINY, **_exposure_overrides(())})
    for i in range(5):
        root = derive_seed(2, i)
        a = sample_patient(exposed, np.random.SeedSequence(root))
        b = sample_patient(unexposed, np.random.SeedSequence(root))
        assert a.exposures == NO_COURSE_EVIDENCE and b.exposures == ()
        assert a.rel == b.rel and a.speed == b.speed
        da, db = derive_config(exposed, a), derive_config(unexposed, b)
        assert da.spread == db.spread and da.mechanisms == db.mechanisms
    for name in NO_COURSE_EVIDENCE:  # labelled as such, each with its risk evidence
        e = getattr(exposed.cohort.exposures, name)
        assert e.multiplier == 1.0 and e.progression_evidence in ("none", "conflicting")
        assert e.risk_evidence in EVIDENCE_LEVELS
    # only exposures with studies of the course keep an effect on it
    for name in EXPOSURES:
        e = getattr(exposed.cohort.exposures, name)
        if e.multiplier != 1.0:
            assert e.progression_evidence in ("weak", "moderate", "strong"), name


def test_a_course_multiplier_without_evidence_must_be_labelled_a_hypothesis(tmp_path, capsys):
    key = "cohort.exposures.cyanotoxins"
    with pytest.raises(ConfigError) as e:
        alssim.load_config(overrides={**TINY, f"{key}.multiplier": 1.3})
    assert e.value.key == f"{key}.multiplier"
    assert "progression_evidence" in str(e.value) and "'hypothesis'" in str(e.value)
    # labelled as a hypothesis, the user's multiplier acts on the exposed patient's course
    cfg = alssim.load_config(overrides={
        **TINY, **_exposure_overrides(("cyanotoxins",)), f"{key}.multiplier": 1.3,
        f"{key}.progression_evidence": "hypothesis"})
    base = alssim.load_config(overrides={**TINY, **_exposure_overrides(("cyanotoxins",))})
    a = sample_patient(cfg, np.random.SeedSequence(4))
    b = sample_patient(base, np.random.SeedSequence(4))
    assert a.exposures == ("cyanotoxins",)
    assert a.rel["pathology_hazard"] == pytest.approx(1.3 * b.rel["pathology_hazard"])
    assert derive_config(cfg, a).mechanisms.pathology.hazard_rate == pytest.approx(
        1.3 * derive_config(base, b).mechanisms.pathology.hazard_rate)
    # an unknown evidence label names the allowed ones; the CLI prints one line
    f = tmp_path / "bad.toml"
    f.write_text('[cohort.exposures.smoking]\nrisk_evidence = "proven"\n')
    assert main(["config", "check", str(f)]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cohort.exposures.smoking.risk_evidence" in err
    assert "'conflicting'" in err and "'proven'" in err


def test_the_retired_evidence_key_names_its_replacements(tmp_path, capsys):
    f = tmp_path / "old.toml"
    f.write_text('[cohort.exposures.lead]\nevidence = "moderate"\n')
    for load in (lambda: alssim.load_config(f),
                 lambda: alssim.load_config(overrides={"cohort.exposures.lead.evidence": "weak"}),
                 lambda: alssim.load_config().with_overrides(
                     {"cohort.exposures.lead.evidence": "weak"})):
        with pytest.raises(ConfigError) as e:
            load()
        assert e.value.key == "cohort.exposures.lead.evidence"
        msg = str(e.value)
        assert "cohort.exposures.lead.risk_evidence" in msg
        assert "cohort.exposures.lead.progression_evidence" in msg
    assert main(["config", "check", str(f)]) != 0
    assert "risk_evidence" in capsys.readouterr().err


def test_configs_saved_by_earlier_versions_still_load():
    """A result saved before the split (one `evidence` label, course multipliers acting without
    course evidence, onset independent of sex and age) loads with its values kept."""
    new = alssim.load_config(overrides=TINY)
    old = new.to_dict()
    old["cohort"].pop("bulbar_onset_or_female")
    old["cohort"].pop("bulbar_onset_or_per_decade")
    for name, e in old["cohort"]["exposures"].items():
        level = e.pop("risk_evidence")
        e.pop("progression_evidence")
        e["evidence"] = level if level in ("weak", "moderate", "strong") else "weak"
        if name == "cyanotoxins":
            e["multiplier"] = 1.3
    old.pop("anatomy", None)
    cfg = config_from_saved(dumps_toml(old), source="old result")
    cy = cfg.cohort.exposures.cyanotoxins
    assert cy.multiplier == 1.3 and cy.progression_evidence == "hypothesis"
    assert cfg.cohort.exposures.lead.progression_evidence == "none"
    assert cfg.cohort.exposures.lead.risk_evidence == "moderate"
    # patients re-derive with the onsets they were simulated with (no sex or age effect)
    assert cfg.cohort.bulbar_onset_or_female == cfg.cohort.bulbar_onset_or_per_decade == 1.0


# ----------------------------------------------------------------------- onset site by sex and age
N_ONSET = 3000


@pytest.fixture(scope="module")
def drawn():
    """Attributes (no simulation) of N_ONSET patients of the default cohort."""
    cfg = alssim.load_config(overrides=TINY)
    return cfg, [sample_patient(cfg, np.random.SeedSequence(derive_seed(17, i)))
                 for i in range(N_ONSET)]


def test_bulbar_onset_is_more_common_in_women_and_in_older_patients(drawn):
    """Today's cohort drew bulbar onset at 27% in men and 26% in women, flat with age; published:
    more common in women (OR ~1.5) and at older ages, with the overall shares unchanged."""
    cfg, ps = drawn
    site = np.array([p.onset.site for p in ps])
    female = np.array([p.sex == "female" for p in ps])
    age = np.array([p.age_years for p in ps])
    bulbar = site == "bulbar"
    # women vs men: odds ratio near the configured 1.5, and clearly above 1
    table = [[bulbar[female].sum(), (~bulbar[female]).sum()],
             [bulbar[~female].sum(), (~bulbar[~female]).sum()]]
    odds_ratio, p = stats.fisher_exact(table, alternative="greater")
    assert p < 1e-3 and 1.2 < odds_ratio < 1.9
    # rising with age: each older band has more bulbar onset, and the trend is clear
    bands = [bulbar[(age > lo) & (age <= hi)].mean()
             for lo, hi in ((0, 55), (55, 65), (65, 75), (75, 200))]
    assert bands == sorted(bands) and bands[-1] - bands[0] > 0.12
    fit = stats.linregress(age, bulbar.astype(float))
    assert fit.slope > 0 and fit.pvalue < 1e-6
    # the cohort's marginal shares stay the configured [onset] shares
    counts = np.array([(site == s).sum() for s in ONSET_SITES])
    expected = np.array(cfg.onset.site_probabilities()) * N_ONSET
    assert stats.chisquare(counts, expected).pvalue > 1e-3


def test_onset_by_sex_and_age_keeps_seeds_reproducible_and_single_runs_unchanged(drawn):
    cfg, ps = drawn
    # same seed, same patient (the bulbar-odds constant is solved deterministically)
    again = sample_patient(cfg, np.random.SeedSequence(derive_seed(17, 5)))
    assert again == ps[5]
    # the validation metrics read the same effect from a patient table
    table = pd.DataFrame({
        "sex": [p.sex for p in ps], "age_years": [p.age_years for p in ps],
        "clinical.clinical_onset_months": 12.0,
        "clinical.onset_segment": [p.onset.segment for p in ps]})
    d = prepare(table, cfg.anatomy)
    assert METRICS["bulbar_onset_women_vs_men"](d) > 1.15
    assert METRICS["bulbar_onset_age_difference"](d) > 2.0
    # with both odds ratios 1 every patient draws its onset exactly as a single run would
    flat = cfg.with_overrides({"cohort.bulbar_onset_or_female": 1.0,
                               "cohort.bulbar_onset_or_per_decade": 1.0})
    sampled = dataclasses.replace(flat.onset, mode="sampled")
    for i in range(200):
        root = np.random.SeedSequence(derive_seed(17, i))
        assert sample_patient(flat, root).onset == choose_onset(sampled, flat.anatomy, root)
    assert bulbar_odds(flat, "female", 90.0) == 1.0
    # a single run ignores sex and age: choose_onset draws from the [onset] shares as they are
    root = np.random.SeedSequence(3)
    assert choose_onset(sampled, cfg.anatomy, root) == choose_onset(
        sampled, cfg.anatomy, root, bulbar_odds=1.0)
    probs = site_probabilities(sampled, cfg.anatomy, bulbar_odds=4.0)
    assert probs.sum() == pytest.approx(1.0) and probs[0] > cfg.onset.p_bulbar
    rest = np.array(cfg.onset.site_probabilities()[1:])
    assert probs[1:] / probs[1:].sum() == pytest.approx(rest / rest.sum())
