"""Memory estimates bound the real peak, and the guard refuses what would not fit."""

from __future__ import annotations

import tracemalloc

import pytest

import alssim
from alssim.resources import ResourceError, check_memory, estimate_run_bytes
from tests.conftest import small_config


@pytest.mark.parametrize("engine", ["exact", "reference"])
def test_estimate_bounds_measured_peak(engine):
    cfg = small_config(**{"simulation.scale": 0.05, "simulation.engine": engine,
                          "simulation.horizon_years": 1.0})
    tracemalloc.start()
    alssim.simulate(cfg, seed=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    est = estimate_run_bytes(cfg)
    assert peak <= est <= 3 * peak, (peak, est)


def test_estimate_grows_with_scale_and_records():
    base = small_config()
    assert estimate_run_bytes(base.with_overrides({"simulation.scale": 0.1})) > \
        estimate_run_bytes(base)
    assert estimate_run_bytes(base.with_overrides({"simulation.output_interval_days": 7.0})) > \
        estimate_run_bytes(base)


def test_guard_refuses_with_estimate_and_knobs():
    cfg = alssim.load_config(overrides={"simulation.memory_limit_gb": 0.01})
    with pytest.raises(ResourceError) as info:
        check_memory(cfg)
    msg = str(info.value)
    for fragment in ("needs about", "MiB", "simulation.scale", "output_interval_days",
                     "simulation.memory_limit_gb"):
        assert fragment in msg
    assert check_memory(small_config()) > 0
    with pytest.raises(ResourceError, match="x 1000 at once"):
        check_memory(small_config(**{"simulation.memory_limit_gb": 0.05}), copies=1000)


def test_simulate_refuses_before_allocating():
    cfg = alssim.load_config(overrides={"simulation.memory_limit_gb": 0.001})
    tracemalloc.start()
    with pytest.raises(ResourceError, match=r"simulation\.scale"):
        alssim.simulate(cfg, seed=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 5 * 2**20  # refused before the 2.6 million neurons were drawn


def test_cli_reports_the_memory_guard_in_one_line(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "alssim.cli.main", "run", "configs/default.toml",
                           "--set", "simulation.memory_limit_gb=0.001", "--out",
                           str(tmp_path / "o")], capture_output=True, text=True,
                          cwd=__import__("pathlib").Path(__file__).parents[1])
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == 1 and "needs about" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_cohort_guard_counts_workers_and_kept_trajectories():
    from alssim.resources import estimate_result_bytes

    cfg = small_config(**{"simulation.memory_limit_gb": 0.02})
    one = estimate_run_bytes(cfg)
    assert estimate_result_bytes(cfg) > 0
    # one run fits, but 50 kept trajectories and a large table do not
    assert check_memory(cfg) == one
    with pytest.raises(ResourceError, match="kept trajectories"):
        alssim.run_cohort(cfg, 2000, seed=1, executor="serial", progress=False,
                          keep_trajectories=50)
