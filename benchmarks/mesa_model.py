"""alssim's core model in Mesa 3, one Agent per neuron: the comparison point of the benchmarks.

This is the model most Python ABM users would write: every upper and lower motor neuron is a
:class:`mesa.Agent` in ``model.agents``; each step, every living neuron draws its own fate
(``AgentSet.do("step")``). Everything except the per-neuron part is alssim's, so the two differ
only where the engines differ:

* the neurons are alssim's (:func:`alssim.population.build_population`: the same populations,
  vulnerabilities and motor units for the same seed);
* onset and the regional drivers (network-FKPP pathology spread, inflammation, excitotoxicity,
  oxidative stress, ageing) are alssim's :class:`~alssim.dynamics.RegionalDrivers`, fed with the
  lost and affected fractions the agents produce, in alssim's update order (hazard at the start of
  the step, fates, then drivers);
* each neuron's fate is alssim's reference stepper, per agent: over a step with regional hazard
  ``lambda`` it dies with probability ``1 - exp(-v lambda dt)`` and, if healthy, becomes
  dysfunctional with probability ``1 - exp(-c v lambda dt)`` (death wins if both happen).

Written to be fast *as Mesa*: Python floats on the agents (not numpy scalars), ``math.expm1``,
the model's ``random.Random`` for draws, per-population counters updated when an agent changes
state (no scan of all agents to count), dead agents removed from the model, ``do`` rather than
``shuffle_do`` (the agents do not interact within a step, so order does not matter), and a
:class:`mesa.DataCollector` called only at output times.

Usage::

    from benchmarks.mesa_model import run_mesa
    out = run_mesa(alssim.load_config(overrides={"simulation.scale": 0.004}), seed=1)
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from alssim.config.schema import Config
from alssim.dynamics import DriverBatch, RegionalDrivers
from alssim.onset import choose_onset, initial_load
from alssim.population import build_population
from alssim.streams import as_seed_sequence, stream

__all__ = ["ALSModel", "NeuronAgent", "run_mesa"]

HEALTHY, DYSFUNCTIONAL = 0, 1


class NeuronAgent(mesa.Agent):
    """One upper or lower motor neuron.

    Parameters
    ----------
    model : ALSModel
    population : int
        Population index (compartment x segment x side; see :mod:`alssim.anatomy`).
    vulnerability : float
        Relative vulnerability (the neuron's constant factor of its hazard).
    """

    def __init__(self, model: ALSModel, population: int, vulnerability: float):
        super().__init__(model)
        self.population = population
        self.vulnerability = vulnerability
        self.state = HEALTHY

    def step(self) -> None:
        """Draw this neuron's fate over one step of its population's regional hazard."""
        model = self.model
        p = self.population
        h = self.vulnerability * model.step_hazard[p]  # v * lambda_p * dt
        if model.random.random() < -math.expm1(-h):
            model.dead[p] += 1
            if self.state == HEALTHY:
                model.affected[p] += 1
            else:
                model.dysfunctional[p] -= 1
            self.remove()
        elif self.state == HEALTHY and model.random.random() < -math.expm1(-model.c * h):
            self.state = DYSFUNCTIONAL
            model.dysfunctional[p] += 1
            model.affected[p] += 1


class ALSModel(mesa.Model):
    """One virtual patient as a Mesa model.

    Parameters
    ----------
    cfg : Config
        alssim configuration (anatomy, ``simulation.scale``, neurons, spread, mechanisms, dt).
    seed : int
        Seed: the neurons and the onset are alssim's for this seed; the per-agent draws come from
        their own stream (``"mesa_stepper"``).
    """

    def __init__(self, cfg: Config, seed: int):
        root = as_seed_sequence(seed)
        super().__init__(rng=stream(root, "mesa_stepper"))
        anat = cfg.anatomy
        sim = cfg.simulation
        self.dt = sim.dt_months
        self.c = cfg.neurons.dysfunction_rate_ratio
        self.onset = choose_onset(cfg.onset, anat, root)
        pop = build_population(cfg, root)
        self.counts = pop.counts.astype(np.int64)
        NeuronAgent.create_agents(
            self,
            pop.n_neurons,
            population=pop.population.tolist(),
            vulnerability=pop.vulnerability.tolist(),
        )
        del pop
        n_pop = anat.n_populations
        self.dead = [0] * n_pop
        self.dysfunctional = [0] * n_pop
        self.affected = [0] * n_pop
        self.drivers = DriverBatch([RegionalDrivers(cfg)])  # one patient: a batch of one
        self.state = self.drivers.initial_state(
            initial_load(self.onset, anat, cfg.onset.initial_load)[None, :]
        )
        self.step_hazard = [0.0] * n_pop
        self.record_at = {int(k) for k in sim.record_steps[1:]}  # as alssim records
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "dead": lambda m: list(m.dead),
                "dysfunctional": lambda m: list(m.dysfunctional),
            }
        )
        self.datacollector.collect(self)

    def step(self) -> None:
        """One step in alssim's update order: hazard, fates, drivers, record."""
        lam = self.drivers.hazard(self.state)[0]
        self.step_hazard = (lam * self.dt).tolist()
        self.agents.do("step")
        self.drivers.advance(
            self.state,
            self.dt,
            np.divide(self.dead, self.counts)[None, :],
            np.divide(self.affected, self.counts)[None, :],
        )
        if self.steps in self.record_at:
            self.datacollector.collect(self)


def run_mesa(cfg: Config, seed: int) -> dict[str, np.ndarray]:
    """Run the Mesa model over ``cfg.simulation``'s horizon.

    Returns
    -------
    dict
        ``times_months`` (n_times,), and ``dead``, ``dysfunctional``, ``alive`` of shape
        (n_times, n_populations) at the output times, as in :class:`alssim.results.Result`.
    """
    model = ALSModel(cfg, seed)
    for _ in range(cfg.simulation.n_steps):
        model.step()
    table = model.datacollector.get_model_vars_dataframe()
    dead = np.array(table["dead"].tolist(), dtype=np.int64)
    sim = cfg.simulation
    return {
        "times_months": sim.record_steps * sim.dt_months,
        "dead": dead,
        "dysfunctional": np.array(table["dysfunctional"].tolist(), dtype=np.int64),
        "alive": model.counts[None, :] - dead,
        "counts": model.counts,
    }
