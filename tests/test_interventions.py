"""Treatments: exact equality before the start, event-triggered starts, direction of effects."""

from __future__ import annotations

import math

import numpy as np
import pytest

import alssim
from alssim.batch import derive_seed
from alssim.interventions import (
    engine_multipliers,
    event_time,
    resolve_starts,
    with_treatments,
)
from alssim.patients import derive_config, sample_patient
from tests.conftest import small_config

SEED = 3


@pytest.fixture(scope="module")
def cfg():
    return small_config(**{"simulation.horizon_years": 8.0})


@pytest.fixture(scope="module")
def untreated(cfg):
    return alssim.simulate(cfg, seed=SEED)


def _start(res, name):
    tr = getattr(res.config.interventions, name)
    assert tr.enabled and tr.start == "time"
    return tr.delay_months


def _same_before(a, b, start):
    """Every recorded variable equal at records strictly before ``start`` (and the state at it;
    the recorded hazard at the start record is already the treated one)."""
    t = a.times_months
    k = int(np.searchsorted(t, start - 1e-9))
    assert k > 0
    for name in a.variables:
        np.testing.assert_array_equal(a.variables[name][:k], b.variables[name][:k], err_msg=name)
        if name != "hazard" and abs(t[k] - start) < 1e-9:
            np.testing.assert_array_equal(a.variables[name][k], b.variables[name][k],
                                          err_msg=name)
    return k


def test_all_off_by_default(cfg):
    assert not cfg.interventions.any_enabled
    assert cfg.interventions.enabled_names == ()


def test_neutral_treatment_is_bit_identical(cfg, untreated):
    c = cfg.with_overrides({"interventions.riluzole.enabled": True,
                            "interventions.riluzole.excitotoxicity": 1.0,
                            "interventions.riluzole.start": "time"})
    assert engine_multipliers(c) is None
    res = alssim.simulate(c, seed=SEED)
    for name in res.variables:
        np.testing.assert_array_equal(res.variables[name], untreated.variables[name])


@pytest.mark.parametrize("name", ["riluzole", "edaravone"])
def test_engine_treatment_equals_untreated_before_start(cfg, untreated, name):
    c = cfg.with_overrides({f"interventions.{name}.enabled": True})
    res = alssim.simulate(c, seed=SEED)
    start = _start(res, name)
    # the start is the untreated patient's diagnosis (read from its own course)
    assert start == pytest.approx(event_time(untreated.clinical, "diagnosis"))
    k = _same_before(res, untreated, start)
    np.testing.assert_array_equal(res.clinical["alsfrs_r"][:k], untreated.clinical["alsfrs_r"][:k])
    # and differs afterwards
    assert not np.array_equal(res["dead"], untreated["dead"])


def test_clinical_treatment_equals_untreated_before_start(cfg, untreated):
    c = cfg.with_overrides({"interventions.exercise.enabled": True})
    res = alssim.simulate(c, seed=SEED)
    start = _start(res, "exercise")
    for name in res.variables:  # the engine is untouched by a clinical-layer treatment
        np.testing.assert_array_equal(res.variables[name], untreated.variables[name])
    k = int(np.searchsorted(res.times_months, start - 1e-9))
    a, b = res.clinical, untreated.clinical
    np.testing.assert_array_equal(a["strength"][:k], b["strength"][:k])
    assert (a["strength"][k:] >= b["strength"][k:] - 1e-12).all()
    assert (a["strength"][k:] > b["strength"][k:]).any()


def test_niv_starts_at_kings_4b_and_delays_death(cfg):
    # a patient with good bulbar function when ventilation is needed, who tolerates the mask;
    # the pump alone (no aspiration pneumonia, which NIV does not prevent)
    cfg = cfg.with_overrides({"clinical.respiratory.aspiration_max_rate": 0.0})
    c = cfg.with_overrides({"interventions.niv.enabled": True,
                            "interventions.niv.min_bulbar_domain": 0,
                            "interventions.niv.tolerance_good_bulbar": 1.0,
                            "interventions.niv.tolerance_poor_bulbar": 1.0,
                            "interventions.niv.failure_fvc": 20.0})
    base = alssim.simulate(cfg, seed=SEED).clinical
    res = alssim.simulate(c, seed=SEED)
    start = _start(res, "niv")
    assert start == pytest.approx(float(base.times_months[np.argmax(base["niv_needed"])]))
    d0, d1 = base.events["death_months"], res.clinical.events["death_months"]
    assert d0 is not None
    assert d1 is None or d1 > d0
    # poor bulbar function: no gain
    c2 = c.with_overrides({"interventions.niv.min_bulbar_domain": 12})
    assert alssim.simulate(c2, seed=SEED).clinical.events["death_months"] == d0
    # a patient who does not tolerate the mask neither uses it nor gains
    c3 = c.with_overrides({"interventions.niv.tolerance_good_bulbar": 0.0})
    intolerant = alssim.simulate(c3, seed=SEED).clinical
    assert intolerant.events["death_months"] == d0
    assert not intolerant["on_niv"].any()
    assert (intolerant["alsfrs_r_respiratory_insufficiency"] == 4).all()


def test_tracheostomy_prevents_respiratory_death(cfg):
    c = cfg.with_overrides({"interventions.tracheostomy.enabled": True})
    res = alssim.simulate(c, seed=SEED)
    assert res.config.interventions.tracheostomy.enabled
    course = res.clinical
    # invasive ventilation: no death from respiratory failure; aspiration still may kill
    assert course.events["cause_of_death"] in (None, "aspiration_pneumonia")
    k = int(np.argmax(course["on_tracheostomy"]))
    assert course["on_tracheostomy"].any()
    assert course["alsfrs_r_respiratory_insufficiency"][k] == 0
    no_asp = c.with_overrides({"clinical.respiratory.aspiration_max_rate": 0.0})
    assert alssim.simulate(no_asp, seed=SEED).clinical.events["death_months"] is None


def test_event_that_never_comes_switches_the_treatment_off(cfg):
    c = cfg.with_overrides({"interventions.riluzole.enabled": True,
                            "interventions.riluzole.start": "fvc_below",
                            "interventions.riluzole.fvc_threshold": 1.0})
    res = alssim.simulate(c, seed=SEED)
    assert not res.config.interventions.riluzole.enabled


def test_sequential_resolution_uses_the_treated_course(cfg):
    """NIV at King's 4B is read from the course *with* riluzole from diagnosis."""
    c = cfg.with_overrides({"interventions.riluzole.enabled": True,
                            "interventions.niv.enabled": True})
    res = alssim.simulate(c, seed=SEED)
    ril_only = alssim.simulate(cfg.with_overrides({"interventions.riluzole.enabled": True}),
                               seed=SEED)
    t4b = event_time(ril_only.clinical, "kings_4b")
    assert _start(res, "niv") == pytest.approx(t4b)
    # resolving twice changes nothing
    again = resolve_starts(res.config, lambda x: alssim.simulate(x, seed=SEED))
    assert again.interventions == res.config.interventions


def test_tofersen_acts_in_sod1_carriers_only(cfg, untreated):
    c = with_treatments(cfg, ["tofersen"], start_months=6.0)
    res = alssim.simulate(c, seed=SEED)  # genotype 'sporadic'
    np.testing.assert_array_equal(res["dead"], untreated["dead"])
    carrier = alssim.simulate(with_treatments(c, [], genotype="sod1_other"), seed=SEED)
    assert carrier["dead"][-1].sum() < untreated["dead"][-1].sum()


def test_adherence_scales_the_multiplier(cfg):
    c = with_treatments(cfg.with_overrides({"interventions.riluzole.adherence": 0.5,
                                            "interventions.riluzole.excitotoxicity": 0.2}),
                        ["riluzole"], start_months=12.0)
    m = engine_multipliers(c)["excitotoxicity"]
    dt = c.simulation.dt_months
    assert m.shape == (c.simulation.n_steps + 1,)
    k = int(np.ceil(12.0 / dt - 1e-9))
    assert (m[:k] == 1.0).all()
    np.testing.assert_allclose(m[k:], 1 - 0.5 * (1 - 0.2))


@pytest.mark.parametrize("i", range(6))
def test_riluzole_never_shortens_survival(cfg, i):
    """Metamorphic: less excitotoxicity never brings death forward on the same seed."""
    seed = derive_seed(11, i)
    pcfg = derive_config(cfg, sample_patient(cfg, np.random.SeedSequence(seed)))
    base = alssim.simulate(pcfg, seed=seed)
    treated = alssim.simulate(with_treatments(pcfg, ["riluzole"], start_months=0.0), seed=seed)
    d0 = base.clinical.events["death_months"]
    d1 = treated.clinical.events["death_months"]
    d0 = math.inf if d0 is None else d0
    d1 = math.inf if d1 is None else d1
    assert d1 >= d0
    assert (treated["dead"] <= base["dead"]).all()


@pytest.mark.parametrize("key,value", [
    ("interventions.riluzole.start", "diagnosed"),
    ("interventions.edaravone.adherence", 1.5),
    ("interventions.tofersen.carriers", ["sod2"]),
    ("interventions.niv.min_bulbar_domain", 13),
    ("interventions.genotype", "sod"),
])
def test_bad_intervention_values_name_the_key(cfg, key, value):
    with pytest.raises(alssim.ConfigError, match=key.replace(".", r"\.")):
        cfg.with_overrides({key: value})


def test_fvc_start_needs_a_level(cfg):
    with pytest.raises(alssim.ConfigError, match=r"interventions\.riluzole\.fvc_threshold"):
        cfg.with_overrides({"interventions.riluzole.start": "fvc_below"})


def test_state_at_a_start_on_the_record_grid_is_untreated(cfg, untreated):
    """A start exactly at a record: the recorded state there is still the untreated one."""
    start = float(untreated.times_months[20])
    res = alssim.simulate(with_treatments(cfg, ["riluzole", "edaravone"], start_months=start),
                          seed=SEED)
    k = _same_before(res, untreated, start)
    assert k == 20
    assert not np.array_equal(res["hazard"][20], untreated["hazard"][20])
