"""The benchmark scripts run and print their figures (smoke runs; their numbers are not checked:
speed is measured by running them, never asserted in tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def _run(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
def test_bench_counting_prints_the_floor_and_the_step_costs():
    pytest.importorskip("numba")
    out = _run("bench_counting.py", "--patients", "2", "--repeats", "1", "--steps", "40",
               "--quick")
    assert "x the floor" in out and "floor" in out
    assert "max/min over the sizes" in out


@pytest.mark.slow
def test_bench_cohort_prints_the_floor_ratios_speed_up_and_memory():
    out = _run("bench_cohort.py", "--n", "6", "--speedup-n", "4", "--floor-patients", "2",
               "--repeats", "1", "--horizon-years", "1", "--scale", "0.01")
    assert "engine vs floor, cohort patient" in out
    assert "engine vs floor, full-scale patient" in out
    assert "speed-up" in out and "peak memory at n=6" in out
