"""Benchmark of the exact engine on the default full-scale patient, beside the reference stepper.

A quick check of the engine alone; ``run_all.py`` gives every figure of issue 8 (Mesa, scaling
curves, the clinical layer). Prints, for the default config at ``scale = 1`` (10 years, 1-day
steps): neuron agents, wall time, agent-steps per second, peak memory per agent, and the ratio
to the per-neuron Bernoulli reference stepper on the same patient. The reference stepper is
timed over a slice of the horizon (``--slice-days``, default 60 steps) and its per-step cost is
scaled to the full horizon; the output says so. Both are measured in this one run.

Usage::

    python benchmarks/bench_engine.py [--repeat 3] [--slice-days 60] [--scale 1.0]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core, before numpy is imported

import argparse  # noqa: E402
import platform  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

import alssim  # noqa: E402


def _best_of(fn, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="timing repeats (best is reported)")
    ap.add_argument(
        "--slice-days",
        type=float,
        default=60.0,
        help="horizon over which the reference stepper is timed",
    )
    ap.add_argument("--scale", type=float, default=1.0, help="population scale")
    args = ap.parse_args(argv)

    cfg = alssim.load_config(overrides={"simulation.scale": args.scale})
    sim = cfg.simulation
    n_agents = int(cfg.anatomy.counts(sim.scale).sum())
    n_steps = sim.n_steps

    alssim.simulate(cfg, seed=1)  # warm caches and imports
    wall = _best_of(lambda: alssim.simulate(cfg, seed=1), args.repeat)

    # in a new thread: the engine keeps a batch's key array per thread for the next batch
    # (alssim.keys.key_space), so a new thread allocates it inside the measurement
    worker = threading.Thread(target=lambda: alssim.simulate(cfg, seed=1))
    tracemalloc.start()
    worker.start()
    worker.join()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # reference stepper: same patient, a slice of the horizon, scaled per step
    slice_years = args.slice_days / 365.25
    ref_cfg = cfg.with_overrides(
        {
            "simulation.engine": "reference",
            "simulation.horizon_years": slice_years,
            "simulation.output_interval_days": args.slice_days,
        }
    )
    exact_slice_cfg = ref_cfg.with_overrides({"simulation.engine": "exact"})
    ref_slice = _best_of(lambda: alssim.simulate(ref_cfg, seed=1), max(1, args.repeat - 1))
    exact_slice = _best_of(lambda: alssim.simulate(exact_slice_cfg, seed=1), args.repeat)
    ref_steps = ref_cfg.simulation.n_steps
    # per-step cost of the reference = (its slice time - the set-up both engines share) / steps
    setup = exact_slice  # building the population dominates a short exact run
    ref_per_step = max(ref_slice - setup, 0.0) / ref_steps
    ref_full = setup + ref_per_step * n_steps

    figures = {
        "neuron_agents": n_agents,
        "steps": n_steps,
        "wall_s": wall,
        "agent_steps_per_s": n_agents * n_steps / wall,
        "peak_bytes_per_agent": peak / n_agents,
        "reference_s_per_step": ref_per_step,
        "reference_full_s_estimate": ref_full,
        "speedup_vs_reference": ref_full / wall,
    }
    print(
        f"alssim {alssim.__version__} engine benchmark "
        f"({platform.processor() or platform.machine()}, "
        f"numpy {np.__version__}, one core)"
    )
    print(
        f"  default patient, scale {args.scale:g}: {n_agents:,} neuron agents, "
        f"{sim.horizon_years:g} years in {n_steps:,} steps of {sim.dt_days:g} day"
    )
    print(
        f"  exact engine wall time          {wall:8.3f} s   "
        f"(best of {args.repeat}; engine only; target <= 0.5 s)"
    )
    print(f"  agent-steps per second          {figures['agent_steps_per_s']:.3e}")
    print(
        f"  peak memory (tracemalloc)       {peak / 2**20:8.1f} MiB = "
        f"{figures['peak_bytes_per_agent']:.1f} bytes per agent (target <= 48)"
    )
    print(
        f"  reference stepper               {ref_per_step * 1e3:8.2f} ms per step, timed over "
        f"{ref_steps} steps ({args.slice_days:g} days) and scaled to {n_steps:,} steps: "
        f"{ref_full:.0f} s"
    )
    print(
        f"  speed-up over reference stepper {figures['speedup_vs_reference']:8.0f} x "
        "(target >= 100x)"
    )
    return figures


if __name__ == "__main__":
    main()
