"""Memory estimates bound the real peak, and the guards refuse what would not fit before work.

The peaks are measured in fresh subprocesses (``ru_maxrss``: resident memory, numpy buffers,
the interpreter and its imports included). An estimate must be at least the measured peak and at
most :data:`LOOSE` times it: the estimate's parts are upper bounds measured at 1.2-1.7 times
their typical size (baseline 224 MiB against 130-185 MiB measured, 400 B per table row against
250-340 B, 640 B per clinical record and segment-side against 270-570 B), so 4x leaves room
for a loaded machine while still catching an estimate that has lost touch with the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

import alssim
from alssim.resources import (
    BASELINE_BYTES,
    ResourceError,
    check_batch_memory,
    check_memory,
    estimate_batch_bytes,
    estimate_run_bytes,
    process_bytes,
)
from tests.conftest import small_config

ROOT = Path(__file__).parents[1]
#: An estimate may be at most this many times the measured peak (see the module docstring).
LOOSE = 4.0


#: A child's own peak resident memory. Not ``ru_maxrss``: Linux carries the parent's resident
#: size at fork into the child's ``ru_maxrss`` (kept across exec), so a child of a large pytest
#: process would report the test runner's size, not its own.
_OWN_PEAK = """
def own_peak():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
"""


def _peak(code: str, *args: str, timeout: float = 120) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON line (the last of stdout)."""
    env = {**os.environ, "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", _OWN_PEAK + textwrap.dedent(code), *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


#: `alssim run` in a child process; the wrapper reports the child's peak resident memory.
_RUN_CLI = """
    import json, resource, subprocess, sys
    out, overrides = sys.argv[1], json.loads(sys.argv[2])
    cmd = [sys.executable, "-m", "alssim.cli.main", "run", "configs/default.toml", "--out", out]
    for k, v in overrides.items():
        cmd += ["--set", f"{k}={json.dumps(v) if isinstance(v, str) else v}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    print(json.dumps({"peak": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}))
"""

# (overrides, why): short runs at small scales, so the whole file stays fast
RUN_SHAPES = {
    "small": {"simulation.scale": 0.01},
    "100_years": {"simulation.scale": 0.002, "simulation.horizon_years": 100.0,
                  "simulation.dt_days": 7.0, "simulation.output_interval_days": 30.0},
    "daily_output": {"simulation.scale": 0.002, "simulation.horizon_years": 3.0,
                     "simulation.dt_days": 1.0, "simulation.output_interval_days": 1.0},
    "large_scale": {"simulation.scale": 0.5, "simulation.horizon_years": 2.0,
                    "simulation.dt_days": 7.0},
    "reference": {"simulation.scale": 0.05, "simulation.engine": "reference",
                  "simulation.horizon_years": 1.0, "simulation.dt_days": 7.0},
}


@pytest.mark.slow
@pytest.mark.parametrize("shape", list(RUN_SHAPES))
def test_run_estimate_bounds_the_measured_peak(shape, tmp_path):
    overrides = RUN_SHAPES[shape]
    cfg = alssim.load_config(overrides=overrides)
    measured = _peak(_RUN_CLI, str(tmp_path / "o"), json.dumps(overrides))["peak"]
    est = process_bytes() + estimate_run_bytes(cfg, table=True)
    assert measured <= est <= LOOSE * measured, (shape, measured / 2**20, est / 2**20)


def _many_segments(m: int) -> dict:
    """The default anatomy with each segment split into ``m`` (its shares split too)."""
    a = alssim.load_config().anatomy.to_dict()
    segs = []
    for s in a["segments"]:
        for j in range(m):
            segs.append({**s, "name": s["name"] if j == 0 else f"{s['name']}_{j}",
                         "functions": {k: v / m for k, v in s["functions"].items()},
                         "muscles": [{**mu, "name": f"{mu['name']}_{j}"} for mu in s["muscles"]],
                         "onset_weight": s["onset_weight"] / m})
    order = [n if j == 0 else f"{n}_{j}" for n in a["cortical_order"] for j in range(m)]
    # a junction joins the last part of the rostral segment to the first of the caudal one
    names = [s["name"] for s in a["segments"]]

    def last(n: str) -> str:
        return n if m == 1 else f"{n}_{m - 1}"

    junctions = [[last(x), y, w] if names.index(x) < names.index(y) else [x, last(y), w]
                 for x, y, w in a.get("junctions", [])]
    return {**a, "name": "many", "segments": segs, "cortical_order": order,
            "junctions": junctions}


@pytest.mark.slow
def test_many_segments_estimate_bounds_the_measured_peak():
    # 60 segments: 240 populations, a 240 x 240 spread matrix, 1,500 tidy rows per record
    overrides = {"anatomy": _many_segments(12), "simulation.scale": 0.002,
                 "simulation.horizon_years": 4.0, "simulation.dt_days": 7.0,
                 "simulation.output_interval_days": 7.0}
    code = """
        import json, resource, sys
        import alssim
        cfg = alssim.load_config(overrides=json.loads(sys.argv[1]))
        res = alssim.simulate(cfg, seed=1)
        res.summary
        text = res.to_dataframe().to_csv(index=False, float_format="%.10g").encode()
        print(json.dumps({"peak": own_peak()}))
    """
    measured = _peak(code, json.dumps(overrides))["peak"]
    cfg = alssim.load_config(overrides=overrides)
    est = process_bytes() + estimate_run_bytes(cfg, table=True)
    assert measured <= est <= LOOSE * measured, (measured / 2**20, est / 2**20)


@pytest.mark.slow
def test_cohort_with_workers_estimate_bounds_every_process():
    # the main process and each worker have their own baseline: the sum of their peaks is
    # bounded (main's own peak plus the largest worker's, once per worker)
    code = """
        import json, resource, sys
        import alssim
        cfg = alssim.load_config(overrides=json.loads(sys.argv[1]))
        alssim.run_cohort(cfg, 24, seed=1, workers=2, progress=False, keep_trajectories=2)
        me = own_peak()
        worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        print(json.dumps({"main": me, "worker": worker}))
    """
    overrides = {"simulation.scale": 0.005, "simulation.horizon_years": 20.0,
                 "simulation.dt_days": 7.0, "simulation.output_interval_days": 7.0}
    got = _peak(code, json.dumps(overrides))
    measured = got["main"] + 2 * got["worker"]
    cfg = alssim.load_config(overrides=overrides)
    total, main = estimate_batch_bytes(cfg, 24, workers=2, keep=2)
    assert measured <= total <= LOOSE * measured, (got, total / 2**20)
    assert got["main"] <= main


@pytest.mark.slow
def test_sweep_estimate_bounds_the_measured_peak():
    code = """
        import json, resource, sys
        import alssim
        cfg = alssim.load_config(overrides=json.loads(sys.argv[1]))
        alssim.sweep(cfg, {"spread.contralateral_rate": [0.05, 0.1, 0.2]}, replicates=3, seed=1,
                     executor="serial", progress=False)
        print(json.dumps({"peak": own_peak()}))
    """
    overrides = {"simulation.scale": 0.005, "simulation.horizon_years": 100.0,
                 "simulation.dt_days": 14.0, "simulation.output_interval_days": 14.0}
    measured = _peak(code, json.dumps(overrides))["peak"]
    cfg = alssim.load_config(overrides=overrides)
    total, _ = estimate_batch_bytes(cfg, 9, workers=1, n_points=3, n_keys=1)
    assert measured <= total <= LOOSE * measured, (measured / 2**20, total / 2**20)


#: Huge batches in a process whose address space is capped at 2 GiB: the guard must refuse them
#: at once, from the sizes alone (code that builds tasks or a design first dies or times out).
_HUGE = """
    import json, resource, sys, time, tracemalloc
    resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))
    import alssim
    from alssim.resources import ResourceError
    cfg = alssim.load_config(overrides={"simulation.scale": 0.01})
    cases = {
        "cohort": lambda: alssim.run_cohort(cfg, 10**9, seed=1, progress=False),
        "grid": lambda: alssim.sweep(cfg, {k: [0.1 + i / 1000 for i in range(100)] for k in (
            "spread.contralateral_rate", "spread.caudal_rate", "spread.rostral_rate",
            "spread.local_growth_rate")}, executor="serial", progress=False),
        "random": lambda: alssim.sweep(cfg, {"spread.contralateral_rate": {"low": 0.1,
            "high": 1.0}}, method="random", n=10**8, executor="serial", progress=False),
        "trial": lambda: alssim.run_trial("configs/trials/riluzole.toml", patients=10**6,
                                          replicates=10**5, executor="serial"),
    }
    out = {}
    for name, fn in cases.items():
        try:  # imports and parsed specs out of the measurement
            fn()
        except ResourceError:
            pass
        tracemalloc.start()
        t = time.perf_counter()
        try:
            fn()
            msg = None
        except ResourceError as exc:
            msg = str(exc)
        out[name] = {"seconds": time.perf_counter() - t, "message": msg,
                     "peak": tracemalloc.get_traced_memory()[1]}
        tracemalloc.stop()
    print(json.dumps(out))
"""


@pytest.mark.slow
def test_huge_cohort_sweep_and_trial_are_refused_at_once_without_allocating():
    got = _peak(_HUGE, timeout=60)
    for name, case in got.items():
        assert case["message"] is not None, name
        assert case["seconds"] < 1.0, (name, case)
        # no task, point or seed array was made (parsing the trial spec and config takes ~1 MiB)
        assert case["peak"] < 4 * 2**20, (name, case)
        assert "needs about" in case["message"] and "simulation.memory_limit_gb" in case["message"]
    assert "fewer patients (n)" in got["cohort"]["message"]
    assert "1,000,000,000 runs" in got["cohort"]["message"]
    assert "trial.replicates" in got["trial"]["message"]
    for name in ("grid", "random"):
        assert "100,000,000 points" in got[name]["message"]
        assert "fewer points" in got[name]["message"]


@pytest.mark.slow
def test_cli_refuses_a_huge_cohort_in_one_line(tmp_path):
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "alssim.cli.main", "cohort",
                           "configs/default.toml", "--n", "1000000000", "--out",
                           str(tmp_path / "c")], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "needs about" in lines[0] and "(n)" in lines[0], proc.stderr
    assert time.perf_counter() - t < 30  # the process start and imports; the check is instant
    assert not (tmp_path / "c" / "patients.csv").exists()


def test_clinical_and_table_constants_bound_the_variables():
    from alssim import resources
    from alssim.clinical import CLINICAL_VARIABLES
    from alssim.results import VARIABLES

    levels = [v.level for v in CLINICAL_VARIABLES.values()]
    assert len(VARIABLES) <= resources.RECORDED_VARIABLES
    assert levels.count("segment") <= resources.CLINICAL_SEGMENT_VARIABLES
    assert levels.count("muscle") <= resources.CLINICAL_MUSCLE_VARIABLES
    assert levels.count("global") <= resources.CLINICAL_GLOBAL_VARIABLES
    res = alssim.simulate(small_config(), seed=1)
    assert len(res.to_dataframe()) <= resources.table_rows(res.config)


def test_estimate_counts_clinical_table_spread_and_workers():
    base = small_config()
    long = base.with_overrides({"simulation.horizon_years": 100.0})
    # 100 years of records: the clinical layer and the table grow with them
    assert resources_part(long, "clinical") > 10 * resources_part(base, "clinical")
    assert estimate_run_bytes(long, table=True) > estimate_run_bytes(long) + 50 * 2**20
    many = base.with_overrides({"anatomy": _many_segments(40)})  # 800 populations
    assert estimate_run_bytes(many) > 800 * 800 * 8 * 3
    one, _ = estimate_batch_bytes(base, 100, workers=1)
    four, main = estimate_batch_bytes(base, 100, workers=4)
    assert four >= main + 4 * BASELINE_BYTES and one >= BASELINE_BYTES


def resources_part(cfg, part: str) -> int:
    from alssim.resources import estimate_clinical_bytes, estimate_table_bytes

    return {"clinical": estimate_clinical_bytes, "table": estimate_table_bytes}[part](cfg)


def test_engine_estimate_bounds_traced_peak_of_simulate_and_summary():
    cfg = small_config(**{"simulation.scale": 0.05, "simulation.horizon_years": 1.0})
    res = alssim.simulate(cfg, seed=1)  # imports and caches out of the measurement
    assert res.summary["n_neurons"] > 0
    # in a new thread, whose key space (alssim.keys.key_space, kept per thread for the next
    # batch) is made inside the measurement, as a process's first run makes it
    runs = []
    worker = threading.Thread(target=lambda: runs.append(alssim.simulate(cfg, seed=2)))
    tracemalloc.start()
    worker.start()
    worker.join()
    assert runs[0].summary["n_neurons"] > 0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    est = estimate_run_bytes(cfg)
    assert peak <= est <= LOOSE * peak, (peak, est)


def test_guard_refuses_with_estimate_and_knobs():
    cfg = alssim.load_config(overrides={"simulation.memory_limit_gb": 0.01})
    with pytest.raises(ResourceError) as info:
        check_memory(cfg)
    msg = str(info.value)
    for fragment in ("needs about", "MiB", "simulation.scale", "output_interval_days",
                     "simulation.memory_limit_gb"):
        assert fragment in msg
    assert check_memory(small_config()) > BASELINE_BYTES
    with pytest.raises(ResourceError, match="x 1000 at once"):
        check_memory(small_config(**{"simulation.memory_limit_gb": 0.5}), copies=1000)
    # the tidy table is named when it is what does not fit
    long = small_config(**{"simulation.horizon_years": 100.0, "simulation.dt_days": 1.0,
                           "simulation.output_interval_days": 1.0,
                           "simulation.memory_limit_gb": 2.0})
    with pytest.raises(ResourceError, match="tidy table of"):
        check_memory(long, table=True)


def test_simulate_refuses_before_allocating():
    cfg = alssim.load_config(overrides={"simulation.memory_limit_gb": 0.001})
    tracemalloc.start()
    with pytest.raises(ResourceError, match=r"simulation\.scale"):
        alssim.simulate(cfg, seed=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 5 * 2**20  # refused before the 2.6 million neurons were drawn


def test_simulate_counts_the_table_of_a_long_daily_run():
    # the reported case: 100 years at a 1-day output used 5.35 GB, estimated 0.09 GiB
    cfg = small_config(**{"simulation.horizon_years": 100.0, "simulation.dt_days": 1.0,
                          "simulation.output_interval_days": 1.0,
                          "simulation.memory_limit_gb": 4.0})
    t = time.perf_counter()
    with pytest.raises(ResourceError, match="tidy table"):
        alssim.simulate(cfg, seed=1)
    assert time.perf_counter() - t < 1.0


@pytest.mark.slow
def test_cli_reports_the_memory_guard_in_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "alssim.cli.main", "run", "configs/default.toml",
                           "--set", "simulation.memory_limit_gb=0.001", "--out",
                           str(tmp_path / "o")], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == 1 and "needs about" in proc.stderr
    assert not (tmp_path / "o" / "timeseries.csv").exists()


def test_cohort_guard_counts_workers_and_kept_trajectories():
    cfg = small_config(**{"simulation.memory_limit_gb": 0.5})
    assert check_batch_memory(cfg, 100) > BASELINE_BYTES
    with pytest.raises(ResourceError, match="fewer patients"):
        alssim.run_cohort(cfg, 100_000, seed=1, executor="serial", progress=False)
    with pytest.raises(ResourceError, match="workers"):
        check_batch_memory(cfg, 10, workers=8)
    with pytest.raises(ResourceError, match="keep fewer trajectories"):
        alssim.run_cohort(cfg.with_overrides({"simulation.horizon_years": 100.0,
                                              "simulation.output_interval_days": 7.0}),
                          2000, seed=1, executor="serial", progress=False,
                          keep_trajectories=2000)
