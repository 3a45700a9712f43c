"""kill -9 during `alssim cohort` loses no finished patient; edited saved cohorts are refused;
`--debug` shows what the one-line error hides."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import alssim
from alssim.cli.main import main
from alssim.cohort import load_cohort
from tests.conftest import SMALL

ROOT = Path(__file__).resolve().parents[1]
SETS = [a for k, v in {**SMALL, "simulation.scale": 0.02}.items() for a in ("--set", f"{k}={v}")]


def _records(out: Path) -> int:
    return len(list((out / "runs").rglob("[0-9]*.json"))) if (out / "runs").is_dir() else 0


@pytest.mark.slow
def test_killed_cohort_resumes_to_the_uninterrupted_table(tmp_path):
    n = 40
    args = ["cohort", "configs/default.toml", "--n", str(n), "--seed", "9", "--quiet", *SETS]
    assert main([*args, "--out", str(tmp_path / "whole"), "--workers", "1"]) == 0
    whole = (tmp_path / "whole" / "patients.csv").read_bytes()
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "alssim.cli.main", *args, "--out", str(out),
                             "--workers", "2"], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None and _records(out) < 5:
        time.sleep(0.005)
    assert proc.poll() is None, proc.stderr.read().decode()
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    survived = _records(out)
    assert 5 <= survived < n
    # nothing half-written loads: no table yet, and every record on disk is complete JSON
    assert not (out / "patients.csv").exists()
    with pytest.raises(alssim.ResultFormatError):
        load_cohort(out)
    assert main([*args, "--out", str(out), "--workers", "2"]) == 0
    assert (out / "patients.csv").read_bytes() == whole
    assert len(load_cohort(out).patients) == n


def test_edited_or_truncated_cohort_tables_are_refused(tmp_path):
    cfg = alssim.load_config(overrides=SMALL)
    out = tmp_path / "c"
    alssim.run_cohort(cfg, 3, seed=1, executor="serial", progress=False).save(out)
    assert len(load_cohort(out).patients) == 3
    csv = out / "patients.csv"
    original = csv.read_bytes()
    csv.write_bytes(original[: len(original) // 2])
    with pytest.raises(alssim.ResultFormatError, match="checksum"):
        load_cohort(out)
    csv.write_bytes(original.replace(b",", b";", 1))
    with pytest.raises(alssim.ResultFormatError, match="checksum"):
        load_cohort(out)
    csv.write_bytes(original)
    assert len(load_cohort(out).patients) == 3


@pytest.mark.slow
def test_debug_shows_the_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[spread]\ncaudal_rate = -1\n")
    cmd = [sys.executable, "-m", "alssim.cli.main"]
    quiet = subprocess.run([*cmd, "config", "check", str(bad)], capture_output=True, text=True)
    loud = subprocess.run([*cmd, "--debug", "config", "check", str(bad)], capture_output=True,
                          text=True)
    assert quiet.returncode == 1 and "Traceback" not in quiet.stderr
    assert loud.returncode != 0 and "Traceback" in loud.stderr and "ConfigError" in loud.stderr
