"""Shared fixtures: small, fast configurations."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

import alssim

os.environ.setdefault("MPLBACKEND", "Agg")

settings.register_profile(
    "alssim", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("alssim")

#: Overrides for a small, quick run (about 26,000 neurons, weekly steps, 5 years).
SMALL = {
    "simulation.scale": 0.01,
    "simulation.horizon_years": 5.0,
    "simulation.dt_days": 7.0,
    "simulation.output_interval_days": 28.0,
}


def small_config(**overrides):
    """Default config shrunk for tests, with further dotted-key ``overrides``."""
    return alssim.load_config(overrides={**SMALL, **overrides})


@pytest.fixture(scope="session")
def small_cfg():
    return small_config()


@pytest.fixture(scope="session")
def small_result(small_cfg):
    return alssim.simulate(small_cfg, seed=3)
