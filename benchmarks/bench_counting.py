"""Benchmark: the exact engine's counting step, by binary search (numpy) and by pointer walk
(numba), measured side by side in one run.

Prints
1. the CPU per cohort patient (scale 0.1, 10 years of daily steps, engine batches as a cohort
   runs them) with each counting method, and their ratio; beside them the patient's *floor*,
   the work no exact agent-based engine can skip, done directly in numpy in the same run: the
   same per-neuron draws (:func:`alssim.population.iter_population_draws`), one key per neuron
   and kind (``log(threshold / vulnerability)``) sorted per population, and the regional driver
   arithmetic of every step (one stacked matrix-vector product and a few element-wise
   operations per batch and step; :mod:`benchmarks.floor`); and alssim's ratio to it;
2. the cost of one counting step (``ExactFates.update`` for one patient) from 10^4 to 10^7
   neurons, with each method, over the cumulative hazards of a real course (a default patient's,
   3,652 daily steps), and its max/min ratio over that range (flat is the goal: a search of a
   large array misses the cache at every probe; the walk reads a few neighbouring keys, and
   gallops where a step passes many).

Both methods give the same integers (``tests/test_counting.py``); only the time differs.

Usage::

    python benchmarks/bench_counting.py              # about 2 minutes
    python benchmarks/bench_counting.py --patients 16 --repeats 1   # a quick check
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

# benchmarks.floor, from a checkout
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import alssim
from alssim.fates import ExactFates, sorted_keys
from alssim.population import iter_population_draws
from benchmarks.floor import cohort_patients, engine_cpu, floor_cpu


def cohort_cpu_per_patient(method: str, n: int, seed: int) -> float:
    """CPU seconds per patient of ``n`` cohort patients simulated in engine batches."""
    os.environ["ALSSIM_COUNTING"] = method
    cfgs, seeds = cohort_patients(n, seed)
    return engine_cpu(cfgs, seeds) / n


def cohort_floor_per_patient(n: int, seed: int) -> float:
    """CPU seconds per patient of the floor (:mod:`benchmarks.floor`) of ``n`` patients."""
    cfgs, seeds = cohort_patients(n, seed)
    return floor_cpu(cfgs, seeds) / n


def patient_levels(steps: int) -> np.ndarray:
    """Cumulative hazards of a default patient (seed 1) at ``steps`` evenly spaced times over
    its 10-year horizon, shape (steps, n_populations): the counting steps of a real course."""
    res = alssim.simulate(alssim.load_config(overrides={"simulation.scale": 0.01}), seed=1)
    cum = res.variables["cumulative_hazard"]
    t = np.linspace(0.0, res.times_months[-1], steps)
    return np.stack([np.interp(t, res.times_months, cum[:, p]) for p in range(cum.shape[1])],
                    axis=1)


def step_cost(method: str, scale: float, levels: np.ndarray) -> tuple[int, float]:
    """(neurons, seconds per counting step) of one patient at ``scale`` over ``levels``."""
    cfg = alssim.load_config(overrides={"simulation.scale": scale})
    anat = cfg.anatomy
    counts = anat.counts(scale).astype(np.int64)
    lmn_mask = np.asarray(anat.population_table()["compartment_index"] == 1)
    keys = sorted_keys(counts, lmn_mask, iter_population_draws(cfg, np.random.SeedSequence(1)))
    fates = ExactFates([keys], lmn_mask, method=method)
    fates.update(levels[:1] * 0.0)
    t0 = time.perf_counter()
    for row in levels:
        fates.update(row[None, :])
    return int(counts.sum()), (time.perf_counter() - t0) / len(levels)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=32, help="cohort patients per method")
    ap.add_argument("--repeats", type=int, default=3, help="repeats of each measurement")
    ap.add_argument("--steps", type=int, default=3652, help="counting steps per size")
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: the two smallest sizes only")
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

    levels = patient_levels(args.steps)
    print(f"\ncounting step of one patient over the course of a default patient ({args.steps} "
          f"steps over 10 years, best of {args.repeats}):")
    print(f"  {'neurons':>11s} " + " ".join(f"{m + ' (us)':>12s}" for m in methods))
    per: dict[str, list[float]] = {m: [] for m in methods}
    for scale in (0.004, 0.04) if args.quick else (0.004, 0.04, 0.4, 4.0):
        row = []
        for m in methods:
            cost = [step_cost(m, scale, levels) for _ in range(args.repeats)]
            n = cost[0][0]
            row.append(min(c for _, c in cost))
            per[m].append(row[-1])
        print(f"  {n:11,d} " + " ".join(f"{1e6 * c:12.2f}" for c in row))
    for m in methods:
        print(f"  {m}: max/min over the sizes {max(per[m]) / min(per[m]):.2f}")


if __name__ == "__main__":
    main()
