"""Benchmark: the exact engine's counting step, by binary search (numpy) and by pointer walk
(numba), measured side by side in one run.

Prints
1. the CPU per cohort patient (scale 0.1, 10 years of daily steps, engine batches as a cohort
   runs them) with each counting method, and their ratio; beside them the patient's *floor*,
   the work no exact agent-based engine can skip, done directly in numpy in the same run: the
   same per-neuron draws (:func:`alssim.population.iter_population_draws`), one key per neuron
   and kind (``log(threshold / vulnerability)``) sorted per population, and the regional driver
   arithmetic of every step (one matrix-vector product and a few element-wise operations per
   patient and step); and alssim's ratio to it;
2. the cost of one counting step (``ExactFates.update`` for one patient) from 10^4 to 10^7
   neurons, with each method, and its max/min ratio over that range (flat is the goal: a
   search of a large array misses the cache at every probe, a walk reads a few neighbouring
   keys).

Both methods give the same integers (``tests/test_counting.py``); only the time differs.

Usage::

    python benchmarks/bench_counting.py              # about 2 minutes
    python benchmarks/bench_counting.py --patients 16 --repeats 1   # a quick check
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import alssim
from alssim.fates import ExactFates, sorted_keys
from alssim.population import iter_population_draws


def cohort_cpu_per_patient(method: str, n: int, seed: int) -> float:
    """CPU seconds per patient of ``n`` cohort patients simulated in engine batches."""
    os.environ["ALSSIM_COUNTING"] = method
    from alssim.batch import derive_seed
    from alssim.patients import derive_config, sample_patient

    base = alssim.load_config(overrides={"simulation.scale": 0.1, "simulation.dt_days": 1.0,
                                         "simulation.horizon_years": 10.0})
    seeds = [derive_seed(seed, i) for i in range(n)]
    cfgs = [derive_config(base, sample_patient(base, np.random.SeedSequence(s)))
            for s in seeds]
    t0 = time.process_time()
    alssim.simulate_batch(cfgs, seeds=seeds)
    return (time.process_time() - t0) / n


def cohort_floor_per_patient(n: int, seed: int) -> float:
    """CPU seconds per patient of the floor (see the module docstring) of ``n`` patients."""
    from alssim.batch import derive_seed
    from alssim.patients import derive_config, sample_patient

    base = alssim.load_config(overrides={"simulation.scale": 0.1, "simulation.dt_days": 1.0,
                                         "simulation.horizon_years": 10.0})
    seeds = [derive_seed(seed, i) for i in range(n)]
    cfgs = [derive_config(base, sample_patient(base, np.random.SeedSequence(s)))
            for s in seeds]
    n_pop = base.anatomy.n_populations
    steps = base.simulation.n_steps
    rng = np.random.default_rng(0)
    spread = rng.uniform(0.0, 0.01, size=(n, n_pop, n_pop))
    t0 = time.process_time()
    with np.errstate(divide="ignore"):  # a zero threshold's key is -inf, as in the engine
        for cfg, s in zip(cfgs, seeds, strict=True):
            for d in iter_population_draws(cfg, np.random.SeedSequence(s)):
                log_v = np.log(d.vulnerability, dtype=np.float64)
                for threshold in (d.death_threshold, d.dysfunction_threshold):
                    key = np.log(threshold, dtype=np.float64)
                    key -= log_v
                    key.sort()
    p = np.full((n, n_pop), 1e-3)
    drive = np.empty_like(p)
    for _ in range(steps):
        for i in range(n):
            spread[i].dot(p[i], out=drive[i])
        drive += 0.05 * p
        drive *= -1.0 / 30.4375
        np.exp(drive, out=drive)
        p -= 1.0
        p *= drive
        p += 1.0
    return (time.process_time() - t0) / n


def step_cost(method: str, scale: float, steps: int) -> tuple[int, float]:
    """(neurons, seconds per counting step) of one patient at ``scale``."""
    cfg = alssim.load_config(overrides={"simulation.scale": scale})
    anat = cfg.anatomy
    counts = anat.counts(scale).astype(np.int64)
    lmn_mask = np.asarray(anat.population_table()["compartment_index"] == 1)
    keys = sorted_keys(counts, lmn_mask, iter_population_draws(cfg, np.random.SeedSequence(1)))
    fates = ExactFates([keys], lmn_mask, method=method)
    # cumulative hazards rising from 1e-4 to 10 over the steps (every neuron's threshold is
    # passed along the way), one rate per population
    rng = np.random.default_rng(0)
    rates = rng.uniform(0.5, 1.5, size=len(counts))
    levels = np.geomspace(1e-4, 10.0, steps)[:, None] * rates[None, :]
    fates.update(levels[:1] * 0.0)
    t0 = time.perf_counter()
    for row in levels:
        fates.update(row[None, :])
    return int(counts.sum()), (time.perf_counter() - t0) / steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=32, help="cohort patients per method")
    ap.add_argument("--repeats", type=int, default=3, help="repeats of each measurement")
    ap.add_argument("--steps", type=int, default=3652, help="counting steps per size")
    args = ap.parse_args()
    methods = ("numpy", "numba")
    try:
        import numba  # noqa: F401
    except ImportError:
        raise SystemExit("bench_counting: numba is not installed "
                         "(pip install 'alssim[fast]')") from None
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
          f"(2-core machine; run it idle)")
    cohort_cpu_per_patient("numba", 2, 0)  # compile (or load the cached kernel) first
    best = {m: min(cohort_cpu_per_patient(m, args.patients, r) for r in range(args.repeats))
            for m in methods}
    floor = min(cohort_floor_per_patient(args.patients, r) for r in range(args.repeats))
    print(f"\ncohort patient (scale 0.1, 10 years daily, batches of the engine's size; best of "
          f"{args.repeats}, {args.patients} patients each):")
    for m in methods:
        print(f"  {m:6s} {1000 * best[m]:7.1f} ms CPU per patient  ({best[m] / floor:.2f}x the "
              f"floor)")
    print(f"  floor  {1000 * floor:7.1f} ms CPU per patient (draws, keys, sort, driver steps)")
    print(f"  numpy / numba: {best['numpy'] / best['numba']:.2f}x")

    print(f"\ncounting step of one patient ({args.steps} steps, best of {args.repeats}):")
    print(f"  {'neurons':>11s} " + " ".join(f"{m + ' (us)':>12s}" for m in methods))
    per: dict[str, list[float]] = {m: [] for m in methods}
    for scale in (0.004, 0.04, 0.4, 4.0):
        row = []
        for m in methods:
            cost = [step_cost(m, scale, args.steps) for _ in range(args.repeats)]
            n = cost[0][0]
            row.append(min(c for _, c in cost))
            per[m].append(row[-1])
        print(f"  {n:11,d} " + " ".join(f"{1e6 * c:12.2f}" for c in row))
    for m in methods:
        print(f"  {m}: max/min over the sizes {max(per[m]) / min(per[m]):.2f}")


if __name__ == "__main__":
    main()
