"""alssim's core model in Starsim (3.6 or later), people as neurons: a vectorised comparison point.

Starsim (https://starsim.org) is the nearest real peer of alssim's engine: agents are rows of
struct-of-arrays states, updated a whole array at a time. This is the model a Starsim user would
write: every upper and lower motor neuron is an agent of :class:`starsim.People`, with two extra
states (its ``population`` and ``vulnerability``), and one :class:`starsim.Disease`, :class:`ALS`,
decides each step which living neurons die or become dysfunctional. Everything except the
per-neuron part is alssim's, so the two differ only where the engines differ:

* the neurons are alssim's (:func:`alssim.population.build_population`: the same populations,
  vulnerabilities and motor units for the same seed);
* onset and the regional drivers (network-FKPP pathology spread, inflammation, excitotoxicity,
  oxidative stress, ageing) are alssim's :class:`~alssim.dynamics.RegionalDrivers`, fed with the
  lost and affected fractions the agents produce, in alssim's update order (hazard at the start of
  the step in ``step_state``, fates in ``step`` and ``step_die``, then drivers in
  ``finish_step``);
* each neuron's fate is alssim's reference stepper, drawn the Starsim way: the regional hazard
  ``lambda`` is an :class:`ss.permonth <starsim.time.permonth>` rate converted to the step's
  probability by ``to_prob`` (``1 - exp(-v lambda dt)`` for death, ``1 - exp(-c v lambda dt)``
  for dysfunction of a healthy neuron), and two :class:`ss.bernoulli <starsim.bernoulli>`
  distributions with those callable probabilities ``filter`` the living neurons (death wins if
  both happen). Deaths go through ``people.request_death``; Starsim marks the agents dead and
  removes them from the active agents at the end of the step.

Written to be fast *as Starsim*: Starsim's default options (common random numbers from its
counter-based hash, 32-bit floats, Numba gathers), the hazards in Starsim's float type (so the
per-neuron probabilities are computed in 32 bits like the rest of its arithmetic), the time step
in months so that alssim's monthly hazards convert exactly, per-population counters updated from
the step's deaths and new dysfunctions (no scan of all agents to count),
``people_results=False`` (Starsim's documented switch that skips the per-step ``n_alive`` and
``n_female`` counts nobody reads here), a :class:`starsim.BoolArr` rather than a ``BoolState``
for ``dysfunctional`` (no automatic count every step) and the per-population table written only
at output times.

Usage::

    from benchmarks.starsim_model import run_starsim
    out = run_starsim(alssim.load_config(overrides={"simulation.scale": 0.004}), seed=1)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import starsim as ss

from alssim.config.schema import Config
from alssim.dynamics import DriverBatch, RegionalDrivers
from alssim.onset import choose_onset, initial_load
from alssim.population import Population, build_population
from alssim.streams import as_seed_sequence, stream

__all__ = ["ALS", "make_people", "make_sim", "run_starsim"]


class ALS(ss.Disease):
    """Neuron death and dysfunction under alssim's regional hazard, as a Starsim disease.

    Parameters
    ----------
    cfg : Config
        alssim configuration (anatomy, neurons, spread, mechanisms, onset, simulation).
    root : SeedSequence
        The patient's root sequence: the onset is alssim's for it.
    counts : ndarray of int, shape (n_populations,)
        Neurons per population at onset (the denominators of the lost and affected fractions).
    """

    def __init__(self, cfg: Config, root: np.random.SeedSequence, counts: np.ndarray):
        super().__init__(name="als", label="ALS")
        self.define_pars(
            dysfunction_rate_ratio=cfg.neurons.dysfunction_rate_ratio,
            p_death=ss.bernoulli(p=self.death_prob),
            p_dysfunction=ss.bernoulli(p=self.dysfunction_prob),
        )
        self.define_states(ss.BoolArr("dysfunctional", label="Dysfunctional"))
        anat, sim = cfg.anatomy, cfg.simulation
        self.dt_months = sim.dt_months
        self.counts = np.asarray(counts, dtype=np.int64)
        n_pop = anat.n_populations
        self.n_dead = np.zeros(n_pop, dtype=np.int64)
        self.n_dysfunctional = np.zeros(n_pop, dtype=np.int64)
        self.n_affected = np.zeros(n_pop, dtype=np.int64)
        self.drivers = DriverBatch([RegionalDrivers(cfg)])  # one patient: a batch of one
        onset = choose_onset(cfg.onset, anat, root)
        self.driver_state = self.drivers.initial_state(
            initial_load(onset, anat, cfg.onset.initial_load)[None, :]
        )
        self.hazard = ss.permonth(np.zeros(n_pop, ss.dtypes.float))  # lambda_p of this step
        # the table at alssim's output times: row k after step record_steps[k] (row 0: onset)
        self.record_steps = sim.record_steps
        self.record_row = {int(s): k for k, s in enumerate(self.record_steps)}
        self.dead_table = np.zeros((len(self.record_steps), n_pop), dtype=np.int64)
        self.dysfunctional_table = np.zeros_like(self.dead_table)

    # probabilities of the two Bernoulli draws, for the neurons ``uids`` (Starsim's callable
    # distribution parameters: called with the module, the sim and the agents drawn for)
    @staticmethod
    def death_prob(module: ALS, sim: ss.Sim, uids: ss.uids) -> np.ndarray:
        """``1 - exp(-v lambda_p dt)`` for each neuron (vulnerability ``v``, population ``p``)."""
        people = sim.people
        rate = ss.permonth(module.hazard.value[people.population[uids]])
        return rate.to_prob(module.t.dt, scale=people.vulnerability[uids])

    @staticmethod
    def dysfunction_prob(module: ALS, sim: ss.Sim, uids: ss.uids) -> np.ndarray:
        """``1 - exp(-c v lambda_p dt)``: dysfunction of a healthy neuron over the step."""
        people = sim.people
        rate = ss.permonth(module.hazard.value[people.population[uids]])
        scale = module.pars.dysfunction_rate_ratio * people.vulnerability[uids]
        return rate.to_prob(module.t.dt, scale=scale)

    def init_results(self) -> None:
        """Totals over all populations at every step, besides the table at output times."""
        super().init_results()
        self.define_results(
            ss.Result("n_dead", dtype=int, label="Dead neurons"),
            ss.Result("n_dysfunctional", dtype=int, label="Dysfunctional neurons"),
        )

    def step_state(self) -> None:
        """Regional hazard at the start of the step (alssim's order: before the fates)."""
        lam = self.drivers.hazard(self.driver_state)[0]
        self.hazard = ss.permonth(lam.astype(ss.dtypes.float))  # Starsim's precision

    def step(self) -> None:
        """Draw every living neuron's fate over the step."""
        people = self.sim.people
        dying = self.pars.p_death.filter()  # all active agents
        people.request_death(dying)
        healthy = self.dysfunctional.false()
        new = self.pars.p_dysfunction.filter(healthy)
        new = new[people.ti_dead[new] != self.ti]  # death wins if both happen
        self.dysfunctional[new] = True
        pop = people.population[new]
        n_pop = len(self.counts)
        added = np.bincount(pop, minlength=n_pop)
        self.n_dysfunctional += added
        self.n_affected += added

    def step_die(self, uids: ss.uids) -> None:
        """Count the neurons dying this step by population and clear their dysfunction."""
        n_pop = len(self.counts)
        pop = self.sim.people.population[uids]
        was_dysfunctional = self.dysfunctional[uids]
        self.n_dead += np.bincount(pop, minlength=n_pop)
        self.n_affected += np.bincount(pop[~was_dysfunctional], minlength=n_pop)
        self.n_dysfunctional -= np.bincount(pop[was_dysfunctional], minlength=n_pop)
        self.dysfunctional[uids] = False

    def update_results(self) -> None:
        """Totals every step; the per-population table after alssim's output steps."""
        super().update_results()
        ti = self.ti
        self.results.n_dead[ti] = self.n_dead.sum()
        self.results.n_dysfunctional[ti] = self.n_dysfunctional.sum()
        row = self.record_row.get(ti + 1)  # step ti + 1 of alssim's count has just been taken
        if row is not None:
            self.dead_table[row] = self.n_dead
            self.dysfunctional_table[row] = self.n_dysfunctional

    def finish_step(self) -> None:
        """Advance the regional drivers with the step's lost and affected fractions."""
        self.drivers.advance(
            self.driver_state,
            self.dt_months,
            (self.n_dead / self.counts)[None, :],
            (self.n_affected / self.counts)[None, :],
        )
        super().finish_step()


def make_people(pop: Population) -> ss.People:
    """Starsim people, one agent per neuron of ``pop``, with its population and vulnerability.

    The states' defaults give the neurons' values to the agents created at initialisation (UIDs
    ``0 .. n - 1``, in ``pop``'s order); no agent is born later.
    """
    population, vulnerability = pop.population, pop.vulnerability
    return ss.People(
        pop.n_neurons,
        extra_states=[
            ss.IntArr("population", default=lambda n: population[:n], label="Population"),
            ss.FloatArr("vulnerability", default=lambda n: vulnerability[:n],
                        label="Vulnerability"),
        ],
    )


def make_sim(cfg: Config, seed: int) -> ss.Sim:
    """The Starsim simulation of one patient over ``cfg.simulation``'s horizon (not initialised).

    Parameters
    ----------
    cfg : Config
        alssim configuration.
    seed : int
        Seed: the neurons and the onset are alssim's for this seed; Starsim's random numbers come
        from its own seed, drawn from the stream ``"starsim_stepper"``.
    """
    root = as_seed_sequence(seed)
    sim = cfg.simulation
    pop = build_population(cfg, root)
    dt = sim.dt_months
    out = ss.Sim(
        people=make_people(pop),
        diseases=ALS(cfg, root, pop.counts),
        start=ss.months(0.0),
        stop=ss.months((sim.n_steps - 1) * dt),  # Starsim steps at every point, both ends too
        dt=ss.months(dt),
        rand_seed=int(stream(root, "starsim_stepper").integers(2**31)),
        people_results=False,
        verbose=0,
    )
    return out


def run_starsim(cfg: Config, seed: int, sim: ss.Sim | None = None) -> dict[str, Any]:
    """Run the Starsim model over ``cfg.simulation``'s horizon.

    Parameters
    ----------
    cfg : Config
    seed : int
    sim : Sim, optional
        The simulation of ``make_sim(cfg, seed)``, initialised or not (to time the steps alone).

    Returns
    -------
    dict
        ``times_months`` (n_times,), and ``dead``, ``dysfunctional``, ``alive`` of shape
        (n_times, n_populations) at the output times, as in :class:`alssim.results.Result`, and
        ``counts`` (n_populations,).
    """
    sim = make_sim(cfg, seed) if sim is None else sim
    if not sim.initialized:
        sim.init()
    n_steps = cfg.simulation.n_steps
    if sim.t.npts != n_steps:
        raise RuntimeError(f"Starsim timeline has {sim.t.npts} steps, alssim's {n_steps}")
    sim.run()
    als = sim.diseases.als
    s = cfg.simulation
    return {
        "times_months": s.record_steps * s.dt_months,
        "dead": als.dead_table,
        "dysfunctional": als.dysfunctional_table,
        "alive": als.counts[None, :] - als.dead_table,
        "counts": als.counts,
    }
