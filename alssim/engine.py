"""The time loop: regional drivers -> per-neuron fates -> recorded state.

Update order of one step ``n`` (from ``t_n`` to ``t_{n+1} = t_n + dt``), the whole engine:

1. **Hazard.** The regional hazard factor ``lambda_n`` (1/month, one value per population) is
   computed from the drivers at ``t_n`` (:meth:`~alssim.dynamics.DriverBatch.hazard`) and held
   over the step.
2. **Clock.** Cumulative regional hazard ``Lambda_{n+1} = Lambda_n + lambda_n * dt``.
3. **Fates.** Dead and dysfunctional neurons at ``t_{n+1}``, from the fate engine that
   ``simulation.engine`` names in :data:`~alssim.fates.FATE_ENGINES`: exactly, by binary search
   over sorted thresholds (:class:`~alssim.fates.ExactFates`, one ``searchsorted`` for every
   population; its keys are built population by population, so the per-neuron attributes are
   never all held at once), or by per-neuron Bernoulli draws
   (:class:`~alssim.fates.ReferenceFates`).
4. **Drivers.** Pathology spreads over the step; glial activation relaxes towards the lost
   fraction at ``t_{n+1}``; the excitotoxic drive of each LMN pool becomes the affected fraction of
   its UMNs at ``t_{n+1}`` (:meth:`~alssim.dynamics.DriverBatch.advance`).
5. **Record.** Every ``steps_per_output`` steps, and at the horizon, the state is recorded (see
   :data:`VARIABLES` and :attr:`~alssim.config.schema.Simulation.record_steps`).

Treatments (:mod:`alssim.interventions`) enter step 1 and 4 only as per-step multipliers on named
mechanism terms, precomputed once (:func:`alssim.interventions.engine_multipliers`); a treatment
started by an event (diagnosis, FVC below a level, King's 4A/4B, ...) is first resolved to a time
by simulating the same seed without it (:func:`alssim.interventions.resolve_starts`).

Batches
    :func:`simulate_batch` runs several patients through one time loop: their regional drivers
    are rows of ``(n_patients, n_populations)`` arrays (:class:`~alssim.dynamics.DriverBatch`)
    and their fates one :class:`~alssim.fates.FateEngine`, so the per-step cost of the numpy
    calls is shared; a single patient is a batch of one. Every operation is elementwise or per
    patient: each patient's result is the one :func:`simulate` gives it alone, bit for bit,
    whatever batch it is in.

The engine never plots and never computes clinical scores: it returns a
:class:`~alssim.results.Result`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from alssim.care_draws import draw_clinical
from alssim.config.loader import load_config
from alssim.config.schema import Config
from alssim.dynamics import DriverBatch, RegionalDrivers
from alssim.fates import FATE_ENGINES
from alssim.interventions import engine_multipliers, resolve_starts
from alssim.onset import choose_onset, initial_load
from alssim.population import UNIT_TYPES
from alssim.resources import check_memory, engine_batch_size
from alssim.results import VARIABLES, Result
from alssim.step_kernels import CompiledStep
from alssim.streams import SeedLike, as_seed_sequence, seed_from_rng

__all__ = ["LOSS_MILESTONES", "simulate", "simulate_batch"]

#: Fractions of a population lost whose first-passage times are reported.
LOSS_MILESTONES = (0.1, 0.5)


def _as_config(cfg: Any) -> Config:
    """``cfg`` itself, or the config of the TOML file it names (a ``str`` or path-like)."""
    if isinstance(cfg, str | os.PathLike):
        return load_config(Path(cfg))
    if not hasattr(cfg, "simulation"):
        raise TypeError("expected a Config (from alssim.load_config) or the path of a TOML "
                        f"config file; got {type(cfg).__name__}")
    return cfg


def simulate(cfg: Config | str | os.PathLike,
             seed: int | np.random.SeedSequence | None = None, *,
             rng: SeedLike = None) -> Result:
    """Simulate one virtual patient.

    Parameters
    ----------
    cfg : Config, str or Path
        Parameters, from :func:`alssim.load_config`; or the path of a TOML config file, read
        with :func:`alssim.load_config` (no overrides).
    seed : int or SeedSequence, optional
        Seed of the run; ``None`` uses ``cfg.simulation.seed``. The same config and seed give
        identical results.
    rng : int, SeedSequence or Generator, optional
        Instead of ``seed`` (SPEC 7): an int is the seed; a ``SeedSequence`` is used as it is; a
        ``Generator`` gives one integer draw, which the result records as its seed
        (:func:`alssim.streams.resolve_seed`).

    Returns
    -------
    Result
        Recorded populations and drivers over time, the onset and loss milestones.

    Raises
    ------
    ResourceError
        If the run is estimated to need more memory than is available (or than
        ``simulation.memory_limit_gb``); nothing large has been allocated then.
    ConfigError
        If ``cfg`` is a path and the file is not a valid config.
    TypeError
        If ``cfg`` is neither a config nor a path.

    Examples
    --------
    >>> import alssim
    >>> cfg = alssim.load_config(overrides={"simulation.scale": 0.01})
    >>> res = alssim.simulate(cfg, seed=1)
    >>> res.summary["onset"]["segment"]
    'cervical_lower'
    """
    if rng is not None:
        if seed is not None:
            raise TypeError("pass seed= or rng=, not both")
        seed = rng if isinstance(rng, np.random.SeedSequence) else seed_from_rng(rng)
    cfg = _as_config(cfg)
    # a single patient's run is refused if its clinical course and tidy table would not fit
    check_memory(cfg, table=True)
    return simulate_batch([cfg], [seed])[0]


def simulate_batch(
    cfgs: Sequence[Config | str | os.PathLike],
    seeds: Sequence[int | np.random.SeedSequence | None],
) -> list[Result]:
    """Simulate several virtual patients through one time loop.

    Patients whose configs share the anatomy, scale, engine and time grid run together, as many
    at a time as :func:`alssim.resources.engine_batch_size` allows; the others in groups of
    their own. Result ``i`` is exactly ``simulate(cfgs[i], seeds[i])``.

    Parameters
    ----------
    cfgs : sequence of Config, str or Path
        One config per patient (e.g. from :func:`alssim.patients.derive_config`), or the path
        of its TOML config file (read with :func:`alssim.load_config`).
    seeds : sequence of int, SeedSequence or None
        One seed per patient (``None``: the config's ``simulation.seed``).

    Returns
    -------
    list of Result
        In the order of ``cfgs``.

    Raises
    ------
    ResourceError
        If the batch is estimated to need more memory than is available (or than
        ``simulation.memory_limit_gb``).
    ValueError
        If ``cfgs`` and ``seeds`` differ in length.
    ConfigError
        If a path does not name a valid config file.
    TypeError
        If ``cfgs`` is a single config or path, or holds something else.
    """
    if isinstance(cfgs, str | os.PathLike) or hasattr(cfgs, "simulation"):
        raise TypeError("simulate_batch takes a sequence of configs (or of config file paths), "
                        "one per patient; for one patient use alssim.simulate")
    configs = [_as_config(c) for c in cfgs]
    if len(configs) != len(seeds):
        raise ValueError(f"got {len(configs)} configs and {len(seeds)} seeds")
    seed_of: list[int | np.random.SeedSequence] = [
        c.simulation.seed if s is None else s for c, s in zip(configs, seeds, strict=True)]
    groups: dict[tuple, list[int]] = {}
    for i, c in enumerate(configs):
        groups.setdefault(_group_key(c), []).append(i)
    chunks = []
    for members in groups.values():
        size = engine_batch_size(configs[members[0]])
        chunks += [members[j:j + size] for j in range(0, len(members), size)]
    # refuse, with the knobs that shrink it, a batch that would not fit
    for chunk in chunks:
        check_memory(configs[chunk[0]], copies=len(chunk))
    for i, c in enumerate(configs):
        if c.interventions.any_enabled:
            # event-triggered starts become times read from the course without them (same seed)
            configs[i] = resolve_starts(c, functools.partial(_simulate_one, seed=seed_of[i]))
    results: list[Result | None] = [None] * len(configs)
    for chunk in chunks:
        done = _simulate_group([configs[i] for i in chunk], [seed_of[i] for i in chunk])
        for i, res in zip(chunk, done, strict=True):
            results[i] = res
    return results  # type: ignore[return-value]


def _simulate_one(cfg: Config, seed: int | np.random.SeedSequence) -> Result:
    """One patient through the batched loop (a group of one)."""
    return _simulate_group([cfg], [seed])[0]


def _group_key(cfg: Config) -> tuple:
    """What patients of one time loop must share: neuron counts, anatomy layout, time grid."""
    sim = cfg.simulation
    anat = cfg.anatomy
    table = anat.population_table()
    return (sim.engine, sim.n_steps, sim.steps_per_output, sim.dt_months, sim.n_records,
            anat.n_segments, anat.counts(sim.scale).astype(np.int64).tobytes(),
            np.asarray(table["compartment_index"]).tobytes())


def _simulate_group(
    cfgs: Sequence[Config], seeds: Sequence[int | np.random.SeedSequence]
) -> list[Result]:
    """:func:`simulate_batch` for patients of one group, every treatment start already a time."""
    k = len(cfgs)
    cfg0 = cfgs[0]
    sim = cfg0.simulation
    anat = cfg0.anatomy
    table = anat.population_table()
    lmn_mask = table["compartment_index"] == 1
    counts = anat.counts(sim.scale).astype(np.int64)
    n_pop = anat.n_populations

    onsets, member_drivers, load, roots = [], [], [], []
    draws: list[dict[str, float]] = []
    for cfg, seed_value in zip(cfgs, seeds, strict=True):
        root = as_seed_sequence(seed_value)
        roots.append(root)
        onset = choose_onset(cfg.onset, cfg.anatomy, root)
        draws.append(draw_clinical(root))
        multipliers = None
        if cfg.interventions.any_enabled:
            multipliers = engine_multipliers(cfg)
        member_drivers.append(RegionalDrivers(cfg, multipliers))
        onsets.append(onset)
        load.append(initial_load(onset, cfg.anatomy, cfg.onset.initial_load))
    drivers = DriverBatch(member_drivers)
    fates = FATE_ENGINES[sim.engine].for_patients(cfgs, roots, counts, lmn_mask)
    units0 = fates.unit_sums()

    n_steps = sim.n_steps
    dt = sim.dt_months
    n_out = sim.n_records
    rec: dict[str, np.ndarray] = {name: np.zeros((n_out, k, n_pop), dtype=spec.dtype)
                                  for name, spec in VARIABLES.items()}
    dead_by_step = np.zeros((n_steps + 1, k, n_pop), dtype=np.int64)

    state = drivers.initial_state(np.stack(load))
    cum = np.zeros((k, n_pop))
    lam = drivers.hazard(state)  # hazard factor at the start of the next step
    zeros = np.zeros((k, n_pop), dtype=np.int64)
    _record(rec, 0, counts, zeros, zeros, state, lam, cum, units0, zeros)
    # work arrays of the loop (numpy calls on a few hundred values cost their overhead, so the
    # loop allocates nothing and multiplies by arrays rather than by Python scalars)
    dt_array = np.full((k, n_pop), dt)
    step_hazard = np.empty((k, n_pop))
    fractions = np.empty((k, 2, n_pop))  # lost, and affected (dysfunctional or dead)
    last_dead = dead_by_step[0]
    record_at = np.zeros(n_steps + 1, dtype=np.int64)  # row of the state after step n, or 0
    record_at[sim.record_steps[1:]] = np.arange(1, n_out)
    lost, affected = fractions[:, 0], fractions[:, 1]  # the same views every step
    update, advance = fates.update, drivers.advance_and_hazard
    # with numba, an untreated batch's steps after the first are two compiled calls each, run
    # from record to record (alssim.step_kernels: the same numbers); the first step sets the
    # drivers' constants
    record_rows = sim.record_steps[1:]
    compiled: CompiledStep | None = None
    n = 0  # steps taken: dead_by_step[n] is the state now
    while n < n_steps:
        if compiled is not None:
            i = int(np.searchsorted(record_rows, n + 1))
            stop = min(int(record_rows[i]) if i < len(record_rows) else n_steps, n_steps)
            compiled.run(n + 1, stop + 1)
            n = stop
        else:
            np.multiply(lam, dt_array, out=step_hazard)
            cum += step_hazard
            found = update(cum, lam, dt)  # dead and affected, shape (k, 2, n_pop)
            dead_by_step[n + 1] = found[:, 0]
            np.divide(found, counts, out=fractions)
            advance(state, dt, lost, affected, out=lam)
            n += 1
            if n == 1:
                compiled = CompiledStep.build(fates, drivers, state, dt, cum, lam, dt_array,
                                              fractions, dead_by_step, counts)
        if record_at[n]:
            dead = dead_by_step[n]
            units = fates.unit_sums()
            dysfunctional = fates.dysfunctional()
            _record(rec, record_at[n], counts, dead, dysfunctional, state, lam, cum, units,
                    dead - last_dead)
            last_dead = dead
    # the keys are done with: the next batch of this thread may reuse their array (after an
    # error it is not handed back, and the next batch makes its own)
    fates.release()

    times = sim.record_steps * dt
    step_times = np.arange(n_steps + 1) * dt
    results = []
    for i, (cfg, seed_value) in enumerate(zip(cfgs, seeds, strict=True)):
        milestones = {}
        for f in LOSS_MILESTONES:
            need = np.ceil(f * counts - 1e-9).astype(np.int64)
            reached = dead_by_step[:, i] >= need
            first = np.where(reached.any(axis=0), reached.argmax(axis=0), -1)
            milestones[f"lost_{round(f * 100)}"] = np.where(first >= 0, step_times[first], np.inf)
        results.append(Result(
            config=cfg,
            seed=seed_value if isinstance(seed_value, int) else None,
            onset=onsets[i],
            times_months=times,
            counts=counts,
            variables={name: np.ascontiguousarray(v[:, i]) for name, v in rec.items()},
            milestones=milestones,
            clinical_draws=draws[i],
        ))
    return results


def _record(rec, r, counts, dead, dysfunctional, state, lam, cum, units, new_deaths) -> None:
    """Record row ``r`` of every patient (arrays (n_patients, n_populations); ``units`` the
    batch's :class:`~alssim.fates.UnitSums`)."""
    rec["alive"][r] = counts - dead
    rec["dysfunctional"][r] = dysfunctional
    rec["dead"][r] = dead
    rec["new_deaths"][r] = new_deaths
    rec["pathology"][r] = state.pathology
    rec["inflammation"][r] = state.inflammation
    rec["excitotoxicity"][r] = state.excitotoxicity
    rec["hazard"][r] = lam
    rec["cumulative_hazard"][r] = cum
    rec["unit_size_alive"][r] = units.alive_size
    rec["unit_size_dysfunctional"][r] = units.dysfunctional_size
    for t, name in enumerate(UNIT_TYPES):
        rec[f"alive_{name.lower()}"][r] = units.alive_by_type[:, t]
