"""Patients: derived configs stay within the parameter ranges, so a valid config always runs."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import alssim
from alssim.batch import derive_seed
from alssim.cli.main import main
from alssim.config.params import field_specs
from alssim.config.schema import Spread
from alssim.patients import SPEED_MAX, derive_config, sample_patient

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
