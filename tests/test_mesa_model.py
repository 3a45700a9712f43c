"""The Mesa model of the benchmarks is alssim's model: same distribution of deaths at tiny size.

The speed comparison in ``benchmarks/run_all.py`` is only fair if the Mesa model
(``benchmarks/mesa_model.py``, one ``mesa.Agent`` per neuron) simulates the same thing as alssim.
Skipped when Mesa (the optional ``bench`` extra) is not installed.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import alssim
from tests.conftest import small_config
from tests.peer_models import constant_hazard_config, interval_deaths, load_benchmark_model
from tests.test_engine import UNIFORM_NEURONS

pytest.importorskip("mesa", reason="Mesa is optional: pip install -e '.[bench]'")

run_mesa = load_benchmark_model("mesa_model").run_mesa


def test_mesa_model_matches_alssim_under_constant_hazard():
    """Chi-square two-sample test on binned death times; both near exp(-lambda t) survival."""
    lam = 0.03
    cfg = constant_hazard_config(lam, **UNIFORM_NEURONS)
    res = alssim.simulate(cfg, seed=4)
    mesa = run_mesa(cfg, seed=4)
    assert np.array_equal(mesa["counts"], res.counts)
    assert np.allclose(mesa["times_months"], res.times_months)
    table = np.vstack(
        [interval_deaths(res["dead"], res.counts), interval_deaths(mesa["dead"], mesa["counts"])]
    )
    _, pvalue, _, _ = stats.chi2_contingency(table)
    assert pvalue > 0.001, table
    n = res.counts.sum()
    p_alive = np.exp(-lam * mesa["times_months"])
    sd = np.sqrt(n * p_alive * (1 - p_alive))
    assert np.all(np.abs(mesa["alive"].sum(axis=1) - n * p_alive) <= 5 * sd + 1)
    # dysfunction too: counts at each record agree within binomial noise
    d_alssim, d_mesa = res["dysfunctional"].sum(axis=1), mesa["dysfunctional"].sum(axis=1)
    assert np.all(np.abs(d_alssim - d_mesa) <= 5 * np.sqrt(2 * n * 0.25) + 2)


@pytest.mark.slow
def test_mesa_model_matches_alssim_with_all_mechanisms_on():
    """Full feedback model (spread, inflammation, excitotoxicity): same mean loss per population."""
    cfg = small_config(
        **{
            "simulation.scale": 0.001,
            "simulation.horizon_years": 6.0,
            "simulation.dt_days": 14.0,
            "simulation.output_interval_days": 84.0,
            "mechanisms.pathology.hazard_rate": 0.06,
        }
    )
    seeds = range(8)
    lost = {"alssim": [], "mesa": []}
    for s in seeds:
        res = alssim.simulate(cfg, seed=s)
        lost["alssim"].append(res["dead"][-1].sum() / res.counts.sum())
        out = run_mesa(cfg, seed=s)
        lost["mesa"].append(out["dead"][-1].sum() / out["counts"].sum())
    a, m = np.array(lost["alssim"]), np.array(lost["mesa"])
    assert a.mean() > 0.05
    _, pvalue = stats.ttest_ind(a, m, equal_var=False)
    assert pvalue > 0.001, lost
    # paired by seed (same onset, same neurons): the loss differs only by the fates' noise
    assert np.all(np.abs(a - m) < 0.1), lost
