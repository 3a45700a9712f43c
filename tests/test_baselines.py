"""Regression baselines: every shipped patient config, run small with a fixed seed, gives the
summary recorded in ``tests/baselines/shipped_configs.json``.

A change of the model or of a shipped default moves these numbers and fails this test; when the
change is intended, regenerate the file and commit it with the change::

    python tests/test_baselines.py

Numbers are compared to 1e-9 relative. Because a neuron whose threshold sits within a rounding
error of its clock may die one step earlier on another CPU's maths library, a few time fields
(at most :data:`MAX_SHIFTED_SHARE` of them) may instead move by up to one record interval; a
model change moves far more.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

import alssim
from alssim.batch import flatten_summary
from alssim.config.loader import configs_dir

BASELINES = Path(__file__).parent / "baselines" / "shipped_configs.json"
#: Overrides that make each run small: about 26,000 neurons, weekly steps, 4-weekly records.
SMALL = {"simulation.scale": 0.01, "simulation.dt_days": 7.0,
         "simulation.output_interval_days": 28.0}
SEED = 1
#: Largest share of fields allowed to differ by up to one record interval.
MAX_SHIFTED_SHARE = 0.02


def shipped_configs() -> list[str]:
    """Shipped single-patient configs, relative to ``configs/``."""
    root = configs_dir()
    found = ["default.toml"] + [str(p.relative_to(root)) for sub in ("phenotypes", "teaching")
                                for p in sorted((root / sub).glob("*.toml"))]
    return found


def run(name: str) -> dict:
    """Flattened summary of the shipped config ``name`` run small with :data:`SEED`."""
    cfg = alssim.load_config(configs_dir() / name, overrides=SMALL)
    return flatten_summary(alssim.simulate(cfg, seed=SEED).summary)


def _load() -> dict:
    return json.loads(BASELINES.read_text(encoding="utf-8"))


def _close(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


@pytest.mark.parametrize("name", shipped_configs())
def test_shipped_config_matches_its_baseline(name):
    stored = _load()
    assert name in stored["runs"], f"no baseline for {name}; run `python {__file__}`"
    want = stored["runs"][name]
    got = run(name)
    assert sorted(got) == sorted(want), "summary fields changed"
    interval = SMALL["simulation.output_interval_days"] / 30.4375 + 1e-6
    differ = [k for k in want if not _close(got[k], want[k])]
    shifted = [k for k in differ
               if isinstance(got[k], int | float) and isinstance(want[k], int | float)
               and abs(got[k] - want[k]) <= interval]
    assert len(differ) == len(shifted), {k: (want[k], got[k]) for k in differ if k not in shifted}
    assert len(shifted) <= MAX_SHIFTED_SHARE * len(want), {k: (want[k], got[k]) for k in shifted}


def test_every_shipped_config_has_a_baseline():
    assert sorted(_load()["runs"]) == sorted(shipped_configs())


def regenerate() -> None:
    """Rewrite the baseline file from the current code and configs."""
    from alssim.fileio import atomic_write_text

    runs = {name: run(name) for name in shipped_configs()}
    payload = {"about": "tests/test_baselines.py: shipped configs, small, seed 1",
               "overrides": SMALL, "seed": SEED, "runs": runs}
    BASELINES.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(BASELINES, json.dumps(payload, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(runs)} baselines to {BASELINES}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    regenerate()
