"""The Starsim model of the benchmarks is alssim's model: same distribution of deaths at tiny size.

The speed comparison in ``benchmarks/run_all.py`` is only fair if the Starsim model
(``benchmarks/starsim_model.py``, one Starsim agent per neuron) simulates the same thing as alssim.
Skipped when Starsim (the optional ``bench`` extra) is not installed.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import alssim
from alssim.population import build_population
from alssim.streams import as_seed_sequence
from tests.conftest import small_config
from tests.peer_models import constant_hazard_config, interval_deaths, load_benchmark_model
from tests.test_engine import UNIFORM_NEURONS

pytest.importorskip("starsim", reason="Starsim is optional: pip install -e '.[bench]'")

_model = load_benchmark_model("starsim_model")
run_starsim, make_sim = _model.run_starsim, _model.make_sim


def test_starsim_agents_are_alssim_neurons():
    """One agent per neuron, with alssim's population and vulnerability, over alssim's steps."""
    cfg = constant_hazard_config(0.03)
    sim = make_sim(cfg, seed=4).init()
    pop = build_population(cfg, as_seed_sequence(4))
    assert len(sim.people) == pop.n_neurons
    assert np.array_equal(sim.people.population.values, pop.population)
    assert np.array_equal(sim.people.vulnerability.values, pop.vulnerability)
    assert sim.t.npts == cfg.simulation.n_steps


def test_starsim_model_matches_alssim_under_constant_hazard():
    """Chi-square two-sample test on binned death times; both near exp(-lambda t) survival."""
    lam = 0.03
    cfg = constant_hazard_config(lam, **UNIFORM_NEURONS)
    res = alssim.simulate(cfg, seed=4)
    star = run_starsim(cfg, seed=4)
    assert np.array_equal(star["counts"], res.counts)
    assert np.allclose(star["times_months"], res.times_months)
    assert star["dead"].shape == res["dead"].shape
    table = np.vstack(
        [interval_deaths(res["dead"], res.counts), interval_deaths(star["dead"], star["counts"])]
    )
    _, pvalue, _, _ = stats.chi2_contingency(table)
    assert pvalue > 0.001, table
    n = res.counts.sum()
    p_alive = np.exp(-lam * star["times_months"])
    sd = np.sqrt(n * p_alive * (1 - p_alive))
    assert np.all(np.abs(star["alive"].sum(axis=1) - n * p_alive) <= 5 * sd + 1)
    # dysfunction too: counts at each record agree within binomial noise
    d_alssim, d_star = res["dysfunctional"].sum(axis=1), star["dysfunctional"].sum(axis=1)
    assert np.all(np.abs(d_alssim - d_star) <= 5 * np.sqrt(2 * n * 0.25) + 2)


def test_starsim_model_matches_alssim_with_heterogeneous_vulnerability():
    """Vulnerability by neuron (lognormal, by motor-unit type) scales each neuron's hazard."""
    cfg = constant_hazard_config(0.03, **{"neurons.vulnerability_sigma": 0.8})
    res = alssim.simulate(cfg, seed=5)
    star = run_starsim(cfg, seed=5)
    table = np.vstack(
        [interval_deaths(res["dead"], res.counts), interval_deaths(star["dead"], star["counts"])]
    )
    _, pvalue, _, _ = stats.chi2_contingency(table)
    assert pvalue > 0.001, table
    # the same neurons: deaths by population agree within the noise of the fates
    _, pvalue, _, _ = stats.chi2_contingency(np.vstack([res["dead"][-1], star["dead"][-1]]) + 1)
    assert pvalue > 0.001


@pytest.mark.slow
def test_starsim_model_matches_alssim_with_all_mechanisms_on():
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
    lost = {"alssim": [], "starsim": []}
    for s in seeds:
        res = alssim.simulate(cfg, seed=s)
        lost["alssim"].append(res["dead"][-1].sum() / res.counts.sum())
        out = run_starsim(cfg, seed=s)
        lost["starsim"].append(out["dead"][-1].sum() / out["counts"].sum())
    a, m = np.array(lost["alssim"]), np.array(lost["starsim"])
    assert a.mean() > 0.05
    _, pvalue = stats.ttest_ind(a, m, equal_var=False)
    assert pvalue > 0.001, lost
    # paired by seed (same onset, same neurons): the loss differs only by the fates' noise
    assert np.all(np.abs(a - m) < 0.1), lost
