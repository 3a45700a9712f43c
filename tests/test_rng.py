"""``rng=`` (SPEC 7): every run function takes an int, a SeedSequence or a Generator, and the
result records the seed it ran with."""

from __future__ import annotations

import numpy as np
import pytest

import alssim
from alssim.streams import MAX_SEED, resolve_seed
from tests.conftest import small_config


def test_resolve_seed_accepts_every_kind_and_refuses_two():
    assert resolve_seed(None, None) is None
    assert resolve_seed(7, None) == 7
    assert resolve_seed(None, 7) == 7
    drawn = resolve_seed(None, np.random.default_rng(3))
    assert drawn == resolve_seed(None, np.random.default_rng(3))  # a function of the generator
    assert isinstance(drawn, int) and 0 <= drawn <= MAX_SEED
    seq = resolve_seed(None, np.random.SeedSequence(11))
    assert isinstance(seq, int) and 0 <= seq <= MAX_SEED
    with pytest.raises(TypeError, match="not both"):
        resolve_seed(1, 2)
    with pytest.raises(TypeError, match="rng must be"):
        resolve_seed(None, 1.5)  # type: ignore[arg-type]


def test_simulate_records_the_seed_a_generator_gave():
    cfg = small_config()
    res = alssim.simulate(cfg, rng=np.random.default_rng(5))
    assert res.seed == resolve_seed(None, np.random.default_rng(5)) != cfg.simulation.seed
    again = alssim.simulate(cfg, seed=res.seed)
    np.testing.assert_array_equal(res.variables["alive"], again.variables["alive"])
    seq = np.random.SeedSequence(9)
    np.testing.assert_array_equal(alssim.simulate(cfg, rng=seq).variables["alive"],
                                  alssim.simulate(cfg, seed=seq).variables["alive"])
    with pytest.raises(TypeError, match="not both"):
        alssim.simulate(cfg, seed=1, rng=2)


def test_cohort_and_sweep_take_rng_and_record_the_seed():
    cfg = small_config()
    cohort = alssim.run_cohort(cfg, 3, rng=np.random.default_rng(2), executor="serial",
                               progress=False)
    assert cohort.seed == resolve_seed(None, np.random.default_rng(2)) != cfg.simulation.seed
    same = alssim.run_cohort(cfg, 3, seed=cohort.seed, executor="serial", progress=False)
    assert cohort.patients.equals(same.patients)
    result = alssim.sweep(cfg, {"spread.contralateral_rate": [0.01]}, rng=np.random.default_rng(2),
                          executor="serial", progress=False)
    assert result.seed == result.design["seed"] == cohort.seed  # one draw of the same generator
    with pytest.raises(TypeError, match="not both"):
        alssim.run_cohort(cfg, 3, seed=1, rng=1, executor="serial", progress=False)
