"""Benchmark: a large cohort at scale 0.1 over 10 years, default outputs, no trajectories.

Prints wall time, patients per second and peak memory of a full cohort on ``--workers`` local
processes, and, side by side in the same invocation, the speed-up of 2 workers over 1 measured
on a subset of the same cohort, and the engine's CPU against its floor
(:mod:`benchmarks.floor`: the same draws, sorted keys and driver arithmetic done directly in
numpy) for a cohort patient and for the full-scale default patient. Each cohort measurement
runs in a fresh Python process so that its peak memory (``ru_maxrss`` of the main process and
of its largest worker) is its own; comparing the subset and the full cohort shows whether
memory grows with the number of patients.

Targets: 10,000 patients in <= 2.5 minutes on a 2-core machine, speed-up >= 1.7x, memory
independent of n when trajectories are not kept; the engine <= 2x its floor for a cohort patient
and <= 1.3x for a full-scale patient.

Usage::

    python benchmarks/bench_cohort.py                  # the full benchmark (several minutes)
    python benchmarks/bench_cohort.py --n 400 --speedup-n 100   # a quick check
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def _phase(args: argparse.Namespace) -> None:
    """Run one measurement in this process and print it as JSON."""
    import alssim

    cfg = alssim.load_config(overrides={"simulation.scale": args.scale,
                                        "simulation.horizon_years": args.horizon_years,
                                        **({"simulation.dt_days": args.dt_days}
                                           if args.dt_days else {})})
    t0 = time.perf_counter()
    cohort = alssim.run_cohort(cfg, args.n, seed=args.seed, workers=args.phase_workers,
                               progress=False)
    wall = time.perf_counter() - t0
    table_bytes = int(cohort.patients.memory_usage(deep=True).sum())
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    print(json.dumps({
        "n": args.n, "workers": args.phase_workers, "wall_s": wall, "cpu_s": cpu,
        "rss_main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "table_mb": table_bytes / 2**20, "columns": cohort.patients.shape[1],
        "dt_days": cfg.simulation.dt_days, "steps": cfg.simulation.n_steps,
        "neurons": int(cohort.patients["n_neurons"].iloc[0]),
        "median_survival_months": cohort.summary["outputs"].get(
            "clinical.survival_months", {}).get("median"),
    }))


def _floor(args: argparse.Namespace) -> None:
    """The engine's CPU beside its floor, for a cohort patient and a full-scale patient."""
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import alssim
    from benchmarks.floor import cohort_patients, engine_cpu, floor_cpu

    cfgs, seeds = cohort_patients(args.floor_patients, args.seed, scale=args.scale,
                                  horizon_years=args.horizon_years)
    engine_cpu(cfgs[:2], seeds[:2])  # imports, and the compiled counting kernel
    n = len(cfgs)
    eng = min(engine_cpu(cfgs, seeds) for _ in range(args.repeats)) / n
    flo = min(floor_cpu(cfgs, seeds) for _ in range(args.repeats)) / n
    print(f"  engine vs floor, cohort patient ({n} patients, best of {args.repeats}): engine "
          f"{eng * 1000:.1f} ms CPU, floor {flo * 1000:.1f} ms -> {eng / flo:.2f}x "
          f"(target <= 2x)")
    full = alssim.load_config(overrides={"simulation.scale": 1.0, "simulation.dt_days": 1.0,
                                         "simulation.horizon_years": 10.0})
    neurons = int(full.anatomy.counts(1.0).sum())
    eng = min(engine_cpu([full], [1]) for _ in range(args.repeats))
    flo = min(floor_cpu([full], [1]) for _ in range(args.repeats))
    print(f"  engine vs floor, full-scale patient ({neurons:,} neurons, 3,652 daily steps, best "
          f"of {args.repeats}): engine {eng * 1000:.0f} ms CPU, floor {flo * 1000:.0f} ms -> "
          f"{eng / flo:.2f}x (target <= 1.3x)")


def _measure(args: argparse.Namespace, n: int, workers: int) -> dict:
    cmd = [sys.executable, __file__, "--phase-workers", str(workers), "--n", str(n),
           "--scale", str(args.scale), "--horizon-years", str(args.horizon_years),
           "--seed", str(args.seed)]
    if args.dt_days:
        cmd += ["--dt-days", str(args.dt_days)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=10_000, help="patients in the full cohort")
    p.add_argument("--speedup-n", type=int, default=600,
                   help="patients of the subset timed with 1 and 2 workers")
    p.add_argument("--workers", type=int, default=2, help="workers of the full cohort")
    p.add_argument("--scale", type=float, default=0.1)
    p.add_argument("--horizon-years", type=float, default=10.0)
    p.add_argument("--dt-days", type=float, default=None,
                   help="engine step (default: the config's, 1 day)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--skip-full", action="store_true", help="only the speed-up measurement")
    p.add_argument("--floor-patients", type=int, default=32,
                   help="cohort patients of the engine-vs-floor measurement")
    p.add_argument("--repeats", type=int, default=3,
                   help="repeats of the engine-vs-floor measurements (best is reported)")
    p.add_argument("--phase-workers", type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.phase_workers is not None:
        _phase(args)
        return
    import os

    from alssim.executors import available_cores

    print(f"load average before: {os.getloadavg()[0]:.2f} (other processes on this machine "
          "compete for its cores)")
    print(f"alssim cohort benchmark: scale {args.scale}, horizon {args.horizon_years:g} years, "
          f"dt {args.dt_days or 'config default'} days, default outputs, no trajectories, "
          f"{available_cores()} cores available")
    _floor(args)
    n_s = min(args.speedup_n, args.n)
    one = _measure(args, n_s, 1)
    two = _measure(args, n_s, 2)
    print(f"  patient: {one['neurons']:,} neurons, {one['steps']:,} steps of "
          f"{one['dt_days']:g} d, {one['columns']} output columns")
    print(f"  speed-up subset, {n_s} patients: 1 worker {one['wall_s']:.1f} s "
          f"({n_s / one['wall_s']:.2f} patients/s), 2 workers {two['wall_s']:.1f} s "
          f"({n_s / two['wall_s']:.2f} patients/s) -> speed-up {one['wall_s'] / two['wall_s']:.2f}x"
          f" (target >= 1.7x)")
    print(f"    CPU time per patient (insensitive to other load on the machine): 1 worker "
          f"{one['cpu_s'] / n_s * 1000:.0f} ms, 2 workers {two['cpu_s'] / n_s * 1000:.0f} ms "
          f"(incl. process start-up) -> speed-up on otherwise idle cores "
          f"~{2 * one['cpu_s'] / two['cpu_s']:.2f}x")
    print(f"    peak memory at n={n_s}: main {two['rss_main_mb']:.0f} MB, largest worker "
          f"{two['rss_worker_mb']:.0f} MB")
    if args.skip_full:
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        return
    full = _measure(args, args.n, args.workers)
    print(f"  full cohort, {args.n:,} patients on {args.workers} workers: wall "
          f"{full['wall_s']:.1f} s ({full['wall_s'] / 60:.1f} min; target <= 2.5 min), "
          f"{args.n / full['wall_s']:.2f} patients/s; CPU {full['cpu_s'] / args.n * 1000:.0f} ms "
          f"per patient")
    print(f"    peak memory at n={args.n:,}: main {full['rss_main_mb']:.0f} MB, largest worker "
          f"{full['rss_worker_mb']:.0f} MB; patient table {full['table_mb']:.1f} MB "
          f"({full['table_mb'] * 2**20 / args.n:.0f} bytes/patient)")
    grow = full["rss_main_mb"] - two["rss_main_mb"]
    print(f"    memory growth from n={n_s} to n={args.n:,}: main {grow:+.0f} MB, worker "
          f"{full['rss_worker_mb'] - two['rss_worker_mb']:+.0f} MB")
    if full.get("median_survival_months") is not None:
        print(f"    (median survival in this cohort: {full['median_survival_months']:.1f} months "
              "from clinical onset)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
