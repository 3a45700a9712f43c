"""The time loop: regional drivers -> per-neuron fates -> recorded state.

Update order of one step ``n`` (from ``t_n`` to ``t_{n+1} = t_n + dt``), the whole engine:

1. **Hazard.** The regional hazard factor ``lambda_n`` (1/month, one value per population) is
   computed from the drivers at ``t_n`` (:meth:`RegionalDrivers.hazard`) and held over the step.
2. **Clock.** Cumulative regional hazard ``Lambda_{n+1} = Lambda_n + lambda_n * dt``.
3. **Fates.** Dead and dysfunctional neurons at ``t_{n+1}``: exactly, by binary search over sorted
   thresholds (:class:`~alssim.fates.ExactFates`, one ``searchsorted`` for every population; its
   keys are built population by population, so the per-neuron attributes are never all held at
   once), or by per-neuron Bernoulli draws (:class:`~alssim.fates.ReferenceFates`).
4. **Drivers.** Pathology spreads over the step; glial activation relaxes towards the lost
   fraction at ``t_{n+1}``; the excitotoxic drive of each LMN pool becomes the affected fraction of
   its UMNs at ``t_{n+1}`` (:meth:`RegionalDrivers.advance`).
5. **Record.** Every ``steps_per_output`` steps the state is recorded (see :data:`VARIABLES`).

Treatments (:mod:`alssim.interventions`) enter step 1 and 4 only as per-step multipliers on named
mechanism terms, precomputed once (:func:`alssim.interventions.engine_multipliers`); a treatment
started by an event (diagnosis, FVC below a level, King's 4A/4B, ...) is first resolved to a time
by simulating the same seed without it (:func:`alssim.interventions.resolve_starts`).

The engine never plots and never computes clinical scores: it returns a
:class:`~alssim.results.Result`.
"""

from __future__ import annotations

import numpy as np

from alssim.config.schema import Config
from alssim.dynamics import RegionalDrivers
from alssim.fates import ExactFates, ReferenceFates
from alssim.onset import choose_onset, initial_load
from alssim.population import UNIT_TYPES, build_population, iter_population_draws
from alssim.resources import check_memory
from alssim.results import VARIABLES, Result
from alssim.streams import as_seed_sequence

__all__ = ["LOSS_MILESTONES", "simulate"]

#: Fractions of a population lost whose first-passage times are reported.
LOSS_MILESTONES = (0.1, 0.5)


def simulate(cfg: Config, seed: int | np.random.SeedSequence | None = None) -> Result:
    """Simulate one virtual patient.

    Parameters
    ----------
    cfg : Config
        Parameters, from :func:`alssim.load_config`.
    seed : int or SeedSequence, optional
        Seed of the run; ``None`` uses ``cfg.simulation.seed``. The same config and seed give
        identical results.

    Returns
    -------
    Result
        Recorded populations and drivers over time, the onset and loss milestones.

    Raises
    ------
    ResourceError
        If the run is estimated to need more memory than is available (or than
        ``simulation.memory_limit_gb``); nothing large has been allocated then.

    Examples
    --------
    >>> import alssim
    >>> cfg = alssim.load_config(overrides={"simulation.scale": 0.01})
    >>> res = alssim.simulate(cfg, seed=1)
    >>> res.summary["onset"]["segment"]
    'cervical_lower'
    """
    seed_value = cfg.simulation.seed if seed is None else seed
    check_memory(cfg)  # refuse, with the knobs that shrink it, a run that would not fit
    if cfg.interventions.any_enabled:
        from alssim.interventions import resolve_starts

        # event-triggered starts become times read from the course without them (same seed)
        cfg = resolve_starts(cfg, lambda c: _simulate(c, seed_value))
    return _simulate(cfg, seed_value)


def _simulate(cfg: Config, seed_value: int | np.random.SeedSequence) -> Result:
    """:func:`simulate` with every treatment start already a time."""
    sim = cfg.simulation
    root = as_seed_sequence(seed_value)
    anat = cfg.anatomy
    table = anat.population_table()
    lmn_mask = table["compartment_index"] == 1

    onset = choose_onset(cfg.onset, anat, root)
    multipliers = None
    if cfg.interventions.any_enabled:
        from alssim.interventions import engine_multipliers

        multipliers = engine_multipliers(cfg)
    drivers = RegionalDrivers(cfg, multipliers)
    counts = anat.counts(sim.scale).astype(np.int64)
    if sim.engine == "exact":
        # keys are built population by population: no per-neuron arrays outlive this call
        fates = ExactFates.from_draws(counts, lmn_mask, iter_population_draws(cfg, root))
        units0 = _initial_units(fates, anat.n_populations)
    else:
        pop = build_population(cfg, root)
        fates = ReferenceFates(pop, lmn_mask, root, cfg.neurons.dysfunction_rate_ratio)
        units0 = fates.unit_sums()

    n_pop = anat.n_populations
    n_steps = sim.n_steps
    every = sim.steps_per_output
    dt = sim.dt_months
    n_out = sim.n_records
    rec = {name: np.zeros((n_out, n_pop), dtype=spec.dtype) for name, spec in VARIABLES.items()}
    dead_by_step = np.zeros((n_steps + 1, n_pop), dtype=np.int64)

    state = drivers.initial_state(initial_load(onset, anat, cfg.onset.initial_load))
    cum = np.zeros(n_pop)
    lam = drivers.hazard(state)  # hazard factor at the start of the next step
    zeros = np.zeros(n_pop, dtype=np.int64)
    _record(rec, 0, counts, zeros, zeros, state, lam, cum, units0, zeros)
    # work arrays of the loop (numpy calls on ~20 values cost their overhead, so the loop
    # allocates nothing and multiplies by arrays rather than by Python scalars)
    dt_array = np.full(n_pop, dt)
    step_hazard = np.empty(n_pop)
    fractions = np.empty((2, n_pop))  # lost, and affected (dysfunctional or dead)
    last_dead = zeros
    for n in range(n_steps):
        np.multiply(lam, dt_array, out=step_hazard)
        cum += step_hazard
        found = fates.update(cum, lam, dt)  # dead and affected, shape (2, n_pop)
        dead = found[0]
        dead_by_step[n + 1] = dead
        np.divide(found, counts, out=fractions)
        drivers.advance(state, dt, fractions[0], fractions[1])
        drivers.hazard(state, out=lam)
        if (n + 1) % every == 0:
            k = (n + 1) // every
            units = fates.unit_sums()
            _record(
                rec,
                k,
                counts,
                dead,
                fates.dysfunctional(),
                state,
                lam,
                cum,
                units,
                dead - last_dead,
            )
            last_dead = dead

    times = np.arange(n_out) * every * dt
    step_times = np.arange(n_steps + 1) * dt
    milestones = {}
    for f in LOSS_MILESTONES:
        need = np.ceil(f * counts - 1e-9).astype(np.int64)
        reached = dead_by_step >= need
        first = np.where(reached.any(axis=0), reached.argmax(axis=0), -1)
        milestones[f"lost_{round(f * 100)}"] = np.where(first >= 0, step_times[first], np.inf)
    return Result(
        config=cfg,
        seed=seed_value if isinstance(seed_value, int) else None,
        onset=onset,
        times_months=times,
        counts=counts,
        variables=rec,
        milestones=milestones,
    )


def _initial_units(fates: ExactFates, n_pop: int):
    from alssim.fates import UnitSums

    return UnitSums(fates.total_size.copy(), np.zeros(n_pop), fates.total_by_type.copy())


def _record(rec, k, counts, dead, dysfunctional, state, lam, cum, units, new_deaths) -> None:
    rec["alive"][k] = counts - dead
    rec["dysfunctional"][k] = dysfunctional
    rec["dead"][k] = dead
    rec["new_deaths"][k] = new_deaths
    rec["pathology"][k] = state.pathology
    rec["inflammation"][k] = state.inflammation
    rec["excitotoxicity"][k] = state.excitotoxicity
    rec["hazard"][k] = lam
    rec["cumulative_hazard"][k] = cum
    rec["unit_size_alive"][k] = units.alive_size
    rec["unit_size_dysfunctional"][k] = units.dysfunctional_size
    for t, name in enumerate(UNIT_TYPES):
        rec[f"alive_{name.lower()}"][k] = units.alive_by_type[t]
