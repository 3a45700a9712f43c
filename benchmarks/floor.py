"""The floor of an exact simulation of alssim's model: the work no exact agent-based engine of
the same model can skip, done directly in numpy, and alssim's engine timed beside it.

For each patient, the floor is

* the same per-neuron draws (:func:`alssim.population.iter_population_draws`: vulnerabilities,
  motor units, death and dysfunction thresholds, from the same streams);
* one key per neuron and kind (``log(threshold) - log(vulnerability)``), sorted within its
  population;
* the regional driver arithmetic of every step: the spread term of the batch in one stacked
  matrix-vector product (as the engine does it) and a few element-wise operations on
  ``(patients, populations)`` arrays.

It leaves out everything else the engine does (counting the neurons past their thresholds, the
motor-unit sums, inflammation and excitotoxicity, treatments, recording), so alssim's ratio to
it is what that bookkeeping costs. Both are timed as CPU time of this process.

Usage::

    from benchmarks.floor import cohort_patients, engine_cpu, floor_cpu
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

import alssim
from alssim.config.schema import Config
from alssim.population import iter_population_draws
from alssim.resources import engine_batch_size

__all__ = ["cohort_patients", "engine_cpu", "floor_cpu"]


def cohort_patients(n: int, seed: int, scale: float = 0.1,
                    horizon_years: float = 10.0) -> tuple[list[Config], list[int]]:
    """``n`` patients of the default cohort (daily steps) as ``run_cohort`` draws them: their
    configs and seeds."""
    from alssim.batch import derive_seed
    from alssim.patients import derive_config, sample_patient

    base = alssim.load_config(overrides={"simulation.scale": scale, "simulation.dt_days": 1.0,
                                         "simulation.horizon_years": horizon_years})
    seeds = [derive_seed(seed, i) for i in range(n)]
    cfgs = [derive_config(base, sample_patient(base, np.random.SeedSequence(s)))
            for s in seeds]
    return cfgs, seeds


def engine_cpu(cfgs: Sequence[Config], seeds: Sequence[int]) -> float:
    """CPU seconds alssim's engine takes for these patients (``simulate_batch``, in the batches
    the engine chooses; the clinical layer, computed on demand, is not included)."""
    t0 = time.process_time()
    alssim.simulate_batch(list(cfgs), seeds=list(seeds))
    return time.process_time() - t0


def floor_cpu(cfgs: Sequence[Config], seeds: Sequence[int], batch: int | None = None) -> float:
    """CPU seconds of the floor (see the module docstring) for these patients.

    Parameters
    ----------
    cfgs, seeds : sequences
        One config and seed per patient, all of one anatomy, scale and time grid.
    batch : int, optional
        Patients per driver batch; default the engine's (:func:`engine_batch_size`).
    """
    base = cfgs[0]
    n_pop = base.anatomy.n_populations
    steps = base.simulation.n_steps
    minus_dt = -base.simulation.dt_months
    size = batch or engine_batch_size(base)
    rng = np.random.default_rng(0)
    t0 = time.process_time()
    with np.errstate(divide="ignore"):  # a zero threshold's key is -inf, as in the engine
        for cfg, s in zip(cfgs, seeds, strict=True):
            for d in iter_population_draws(cfg, np.random.SeedSequence(s)):
                log_v = np.log(d.vulnerability, dtype=np.float64)
                for threshold in (d.death_threshold, d.dysfunction_threshold):
                    key = np.log(threshold, dtype=np.float64)
                    key -= log_v
                    key.sort()
    for start in range(0, len(cfgs), size):
        k = min(size, len(cfgs) - start)
        spread = rng.uniform(0.0, 0.01, size=(k, n_pop, n_pop))
        growth = np.full((k, n_pop), 0.05)
        p = np.full((k, n_pop), 1e-3)
        drive = np.empty_like(p)
        tmp = np.empty_like(p)
        column = drive[:, :, None]
        for _ in range(steps):
            np.matmul(spread, p[:, :, None], out=column)
            np.multiply(p, growth, out=tmp)
            drive += tmp
            drive *= minus_dt
            np.exp(drive, out=drive)
            p -= 1.0
            p *= drive
            p += 1.0
    return time.process_time() - t0
