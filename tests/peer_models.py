"""What the peer-model tests share (``test_mesa_model.py``, ``test_starsim_model.py``): loading a
model from ``benchmarks/``, the constant-hazard patient they run, and its binned deaths."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np

from tests.conftest import small_config
from tests.test_engine import CONSTANT_HAZARD

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load_benchmark_model(name: str) -> ModuleType:
    """The module ``benchmarks/NAME.py`` (benchmarks are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"alssim_bench_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def interval_deaths(dead: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Deaths per record interval pooled over populations, and survivors at the end."""
    total = dead.sum(axis=1)
    return np.append(np.diff(total), counts.sum() - total[-1])


def constant_hazard_config(lam: float, **overrides):
    """A tiny patient whose only hazard is a constant ``lam`` (1/month), weekly steps."""
    return small_config(
        **CONSTANT_HAZARD,
        **{
            "mechanisms.ageing.hazard_rate": lam,
            "simulation.scale": 0.002,
            "simulation.horizon_years": 4.0,
            "simulation.dt_days": 7.0,
            "simulation.output_interval_days": 91.0,
            **overrides,
        },
    )
