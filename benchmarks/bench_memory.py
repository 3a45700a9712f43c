"""Measured peak memory of ``alssim run`` against the guard's estimate, at several shapes.

Each shape runs ``alssim run`` in a fresh process and reads its peak resident memory
(``ru_maxrss`` of the child); the estimate is :data:`alssim.resources.BASELINE_BYTES` plus
:func:`alssim.resources.estimate_run_bytes` with the tidy table. The estimate should be at
least the peak and within a few times it.

Usage::

    python benchmarks/bench_memory.py            # quick shapes (a minute)
    python benchmarks/bench_memory.py --large    # adds scale 1.0 and 10 years at a 1-day output
                                                 # (several GB, minutes)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import alssim
from alssim.resources import BASELINE_BYTES, estimate_run_bytes, table_rows

ROOT = Path(__file__).parents[1]

QUICK = {
    "default, scale 0.01": {"simulation.scale": 0.01},
    "100 years, 30-day output": {"simulation.scale": 0.002, "simulation.horizon_years": 100.0,
                                 "simulation.dt_days": 7.0},
    "3 years, 1-day output": {"simulation.scale": 0.002, "simulation.horizon_years": 3.0,
                              "simulation.output_interval_days": 1.0},
    "scale 0.5, 2 years": {"simulation.scale": 0.5, "simulation.horizon_years": 2.0},
    "reference engine, scale 0.05": {"simulation.scale": 0.05, "simulation.engine": "reference",
                                     "simulation.horizon_years": 1.0, "simulation.dt_days": 7.0},
}
LARGE = {
    "scale 1.0": {"simulation.scale": 1.0},
    "10 years, 1-day output": {"simulation.scale": 0.01, "simulation.output_interval_days": 1.0},
}


def measure(overrides: dict) -> tuple[int, float]:
    """Peak resident bytes and seconds of ``alssim run`` with ``overrides`` (one child)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-c", (
            "import resource, subprocess, sys; "
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "sys.exit(p.stderr) if p.returncode else "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)"),
            sys.executable, "-m", "alssim.cli.main", "run", "configs/default.toml", "--out",
            str(Path(tmp) / "o")]
        for k, v in overrides.items():
            cmd += ["--set", f"{k}={json.dumps(v) if isinstance(v, str) else v}"]
        t = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=True)
        return int(out.stdout.strip()), time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--large", action="store_true", help="also the large shapes")
    args = ap.parse_args()
    shapes = {**QUICK, **(LARGE if args.large else {})}
    print(f"{'shape':32s} {'records':>8s} {'rows':>11s} {'peak MiB':>9s} {'est MiB':>9s} "
          f"{'est/peak':>8s} {'s':>6s}")
    for name, ov in shapes.items():
        cfg = alssim.load_config(overrides=ov)
        est = BASELINE_BYTES + estimate_run_bytes(cfg, table=True)
        peak, sec = measure(ov)
        print(f"{name:32s} {cfg.simulation.n_records:8,d} {table_rows(cfg):11,d} "
              f"{peak / 2**20:9.0f} {est / 2**20:9.0f} {est / peak:8.2f} {sec:6.1f}")
    print(f"(this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)")


if __name__ == "__main__":
    main()
