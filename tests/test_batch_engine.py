"""The batched engine: several patients through one time loop, each exactly as it runs alone."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import alssim
from alssim.batch import derive_seed
from alssim.dynamics import DriverBatch, RegionalDrivers
from alssim.engine import simulate_batch
from alssim.patients import derive_config, sample_patient
from alssim.resources import MAX_ENGINE_BATCH, engine_batch_size
from tests.conftest import small_config


def _patients(n: int, seed: int = 5):
    base = small_config()
    cfgs, seeds = [], []
    for i in range(n):
        s = derive_seed(seed, i)
        cfgs.append(derive_config(base, sample_patient(base, np.random.SeedSequence(s))))
        seeds.append(s)
    return cfgs, seeds


def _assert_identical(a: alssim.Result, b: alssim.Result) -> None:
    assert a.variables.keys() == b.variables.keys()
    for name in a.variables:
        assert a.variables[name].dtype == b.variables[name].dtype
        np.testing.assert_array_equal(a.variables[name], b.variables[name], err_msg=name)
    for name in a.milestones:
        np.testing.assert_array_equal(a.milestones[name], b.milestones[name], err_msg=name)
    np.testing.assert_array_equal(a.times_months, b.times_months)
    assert a.onset == b.onset
    assert a.seed == b.seed


def _pool():
    """Patients that differ in everything a batch may mix."""
    cfgs, seeds = _patients(6)
    extra = [
        ({"interventions.riluzole.enabled": True}, 11),  # starts at diagnosis (an event)
        ({"interventions.edaravone.enabled": True, "interventions.edaravone.start": "time",
          "interventions.edaravone.delay_months": 12.0}, 12),
        ({"interventions.tofersen.enabled": True, "interventions.genotype": "sod1_a4v",
          "onset.segment": "bulbar"}, 13),
        ({"mechanisms.inflammation.enabled": False, "mechanisms.ageing.enabled": True}, 14),
        ({"mechanisms.excitotoxicity.enabled": False,
          "mechanisms.oxidative_stress.enabled": False}, 15),
        ({"simulation.dt_days": 14.0}, 16),  # another time grid: a group of its own
        ({"simulation.scale": 0.005, "simulation.engine": "reference"}, 17),
    ]
    for overrides, s in extra:
        cfgs.append(small_config(**overrides))
        seeds.append(s)
    return cfgs, seeds


_POOL = _pool()
_SOLO = [alssim.simulate(c, seed=s) for c, s in zip(*_POOL, strict=True)]


def test_batch_equals_each_patient_alone():
    cfgs, seeds = _POOL
    batch = simulate_batch(cfgs, seeds)
    assert len(batch) == len(cfgs)
    for got, solo in zip(batch, _SOLO, strict=True):
        _assert_identical(got, solo)


@pytest.mark.slow
@given(st.lists(st.integers(0, len(_POOL[0]) - 1), min_size=1, max_size=8))
def test_any_batch_composition_gives_the_same_patients(picks):
    # metamorphic: which patients share a loop, and in what order, changes nothing
    cfgs, seeds = _POOL
    batch = simulate_batch([cfgs[i] for i in picks], [seeds[i] for i in picks])
    for i, got in zip(picks, batch, strict=True):
        _assert_identical(got, _SOLO[i])


def test_batch_checks_its_arguments():
    cfgs, seeds = _patients(2)
    with pytest.raises(ValueError, match="2 configs and 1 seeds"):
        simulate_batch(cfgs, seeds[:1])
    assert simulate_batch([], []) == []
    # a seed of None is the config's own seed, as for simulate
    (res,) = simulate_batch([cfgs[0]], [None])
    _assert_identical(res, alssim.simulate(cfgs[0]))


def test_driver_batch_refuses_mixed_anatomies():
    a = RegionalDrivers(small_config())
    b = RegionalDrivers(small_config(anatomy="four_regions", **{"onset.segment": "cervical"}))
    with pytest.raises(ValueError, match="one anatomy"):
        DriverBatch([a, b])


def test_driver_batch_rows_follow_their_patients():
    # hazard of a batch = hazard of each patient alone, row by row
    cfgs = [small_config(**{"mechanisms.pathology.hazard_rate": h}) for h in (0.02, 0.05, 0.1)]
    members = [RegionalDrivers(c) for c in cfgs]
    batch = DriverBatch(members)
    rng = np.random.default_rng(0)
    n = members[0].n_populations
    p = np.tile(rng.random(n), (3, 1))  # the same state in every row
    state = batch.initial_state(p)
    state.inflammation[:] = rng.random(n)
    state.excitotoxicity[:] = rng.random(n)
    lam = batch.hazard(state)
    for i, m in enumerate(members):
        alone = DriverBatch([m])  # a single patient is a batch of one
        one = alone.initial_state(p[i : i + 1])
        one.inflammation[:] = state.inflammation[i]
        one.excitotoxicity[:] = state.excitotoxicity[i]
        np.testing.assert_array_equal(alone.hazard(one)[0], lam[i])
    assert np.all(np.diff(lam, axis=0) > 0)  # a higher hazard rate, a higher hazard


def test_engine_batch_size_follows_memory():
    assert engine_batch_size(small_config()) == MAX_ENGINE_BATCH
    assert engine_batch_size(small_config(**{"simulation.engine": "reference"})) == 1
    big = alssim.load_config(overrides={"simulation.scale": 1.0})
    assert 1 <= engine_batch_size(big) < MAX_ENGINE_BATCH


def test_engine_batch_size_follows_the_cache(monkeypatch):
    from alssim import resources
    cfg = alssim.load_config(overrides={"simulation.scale": 0.1})
    line = resources.CACHE_LINE_BYTES
    monkeypatch.setenv("ALSSIM_COUNTING", "numpy")
    search = resources.step_bytes_per_patient(cfg)
    n_pop = cfg.anatomy.n_populations
    per_pop = cfg.anatomy.counts(0.1).mean()
    assert search == 2 * n_pop * int(np.ceil(np.log2(per_pop))) * line  # one line per level
    monkeypatch.setattr(resources, "cache_bytes", lambda: 5 * search + 1)
    assert engine_batch_size(cfg) == 5
    monkeypatch.setattr(resources, "cache_bytes", lambda: 10)
    assert engine_batch_size(cfg) == 1  # at least one patient
    pytest.importorskip("numba")
    monkeypatch.setenv("ALSSIM_COUNTING", "numba")
    assert resources.step_bytes_per_patient(cfg) == 2 * n_pop * 2 * line  # two lines a walk
    monkeypatch.setattr(resources, "cache_bytes", lambda: 5 * search + 1)
    assert engine_batch_size(cfg) == MAX_ENGINE_BATCH  # the walk's working set is small


def test_cache_size_is_read_from_sysfs_sizes():
    from alssim.resources import _parse_size, cache_bytes
    assert _parse_size("2048K\n") == 2 * 2**20
    assert _parse_size("1M") == 2**20
    assert _parse_size("512") == 512
    assert cache_bytes() >= 64 * 2**10


def test_every_engine_the_config_allows_is_registered():
    from alssim.config.schema import Simulation
    from alssim.fates import FATE_ENGINES, FateEngine
    from alssim.fields import field_specs

    assert set(FATE_ENGINES) == set(field_specs(Simulation)["engine"].choices)
    assert all(issubclass(e, FateEngine) for e in FATE_ENGINES.values())


def test_a_copied_or_pickled_driver_batch_advances_like_the_original():
    # peers' models (benchmarks/starsim_model.py) copy their modules; dask pickles tasks
    import copy
    import pickle
    cfg = small_config()
    methods = ["numpy"] + (["numba"] if importlib.util.find_spec("numba") else [])
    for method in methods:
        batch = DriverBatch([RegionalDrivers(cfg)] * 2, method=method)
        n = batch.n_populations
        lost, affected, lam = np.full((2, n), 0.1), np.full((2, n), 0.2), np.empty((2, n))
        state = batch.initial_state(np.full((2, n), 0.01))
        batch.advance_and_hazard(state, 0.5, lost, affected, out=lam)  # arguments kept
        copies = [batch, copy.deepcopy(batch), pickle.loads(pickle.dumps(batch))]
        ends = []
        for b in copies:
            s = copy.deepcopy(state)
            for _ in range(3):
                b.advance_and_hazard(s, 0.5, lost, affected, out=lam)
            b.advance(s, 0.5, lost, affected)
            ends.append(s.pathology)
        assert ends[0][0, 0] > 0.01
        for other in ends[1:]:
            np.testing.assert_array_equal(other, ends[0])
