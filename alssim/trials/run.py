"""Running a virtual trial: screening until enough patients are eligible, randomisation of each
replicate, treatment, and the analysis of every endpoint (:func:`run_trial`)."""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alssim.batch import derive_seed
from alssim.errors import ConfigError
from alssim.executors import BackendLostError, local_workers, resolve_executor, run_tasks
from alssim.fields import to_dict
from alssim.resources import check_batch_memory
from alssim.streams import SeedLike, resolve_seed, stream
from alssim.trials.analysis import analyse
from alssim.trials.randomisation import arm_sizes, block_labels
from alssim.trials.results import TrialResult
from alssim.trials.screening import collect_screened, screen_chunk, treat_chunk, treatments_neutral
from alssim.trials.spec import WEEK, TrialSpec, load_trial, spec_from_dict

__all__ = ["run_trial"]


# --------------------------------------------------------------------------- driver
@contextlib.contextmanager
def _say_how_far(how_far: Callable[[], str]) -> Iterator[None]:
    """Add to a :class:`~alssim.executors.BackendLostError` how far the trial got (a trial is
    not resumable: nothing of it is written)."""

    try:
        yield
    except BackendLostError as exc:
        raise BackendLostError(f"{exc}; {how_far()}; a trial is not resumable and nothing "
                               "was written") from None


def run_trial(
    spec: str | Path | TrialSpec | Mapping[str, Any],
    *,
    patients: int | Sequence[int] | None = None,
    replicates: int | None = None,
    seed: int | None = None,
    crn: bool | None = None,
    population: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    executor: Any = None,
    workers: int | None = None,
    progress: bool = False,
    rng: SeedLike = None,
) -> TrialResult:
    """Run a virtual randomised trial (or many replicates of it).

    Parameters
    ----------
    spec : path, TrialSpec or dict
        A trial TOML file (``configs/trials/*.toml``), a parsed dict of one, or a
        :class:`TrialSpec`.
    patients : int or sequence of int, optional
        Patients randomised per trial (all arms), overriding ``trial.patients``; several sizes
        give power against sample size.
    replicates, seed, crn, population : optional
        Override ``trial.replicates``, ``trial.seed``, ``trial.crn``, ``trial.population``.
    rng : int, SeedSequence or Generator, optional
        Instead of ``seed`` (SPEC 7): an int is the seed; a ``Generator`` gives one integer
        draw and a ``SeedSequence`` the integer of its state, which the result's spec records as
        ``trial.seed`` (:func:`alssim.streams.resolve_seed`).
    overrides : dict, optional
        Dotted-key overrides of the model config, over the spec's ``[model]`` table.
    executor, workers :
        Where patients are simulated (see :func:`alssim.executors.resolve_executor`); results do
        not depend on it.
    progress : bool
        Print a line per phase.

    Returns
    -------
    TrialResult

    Raises
    ------
    ConfigError
        For an invalid spec (naming the full key) or too few eligible patients.
    """

    if isinstance(spec, str | Path):
        spec = load_trial(spec)
    elif isinstance(spec, Mapping):
        spec = spec_from_dict(spec, source="trial spec")
    seed = resolve_seed(seed, rng)
    changes: dict[str, Any] = {}
    if patients is not None:
        changes["patients"] = (patients,) if isinstance(patients, int | np.integer) \
            else tuple(patients)
    for k, v in (("replicates", replicates), ("seed", seed), ("crn", crn),
                 ("population", population)):
        if v is not None:
            changes[k] = v
    if changes:
        data = spec.to_dict()
        data["trial"].update(changes)
        data["model"] = spec.model
        src = spec.source
        spec = spec_from_dict(data, source="run_trial arguments")
        spec = dataclasses.replace(spec, source=src)
    ts = spec.trial
    cfg = spec.model_config(overrides)
    if overrides:
        spec = dataclasses.replace(spec, model={**spec.model, **dict(overrides)})
    arm_names = [spec.trial.control] + [a for a in spec.arms if a != spec.trial.control]
    ratios = [spec.arms[a].ratio for a in arm_names]
    sizes = sorted(set(ts.patients))
    n_max = sizes[-1]
    per_trial = max(arm_sizes(n_max, ratios)) if ts.crn else n_max
    need = ts.population if ts.population > 0 else ts.replicates * per_trial
    if ts.population > 0 and ts.population < per_trial:
        raise ConfigError(f"must hold at least the {per_trial} patients of one trial; got "
                          f"{ts.population}", key="trial.population")
    # refuse, before any patient is screened, a trial whose patients (screened, eligible and
    # treated runs, each held as a row) and local workers would not fit in memory

    check_batch_memory(cfg, need + ts.replicates * n_max,
                       workers=local_workers(executor, workers), what="trial")
    model_toml = cfg.to_toml()
    plain = {"entry": to_dict(spec.entry), "visits": to_dict(spec.visits)}
    root = np.random.SeedSequence(ts.seed)
    reasons: dict[str, int] = {}
    eligible: list[dict] = []
    screened = 0
    results: dict[int, list] = {}  # treated runs, by chunk
    with _say_how_far(lambda: f"the trial stopped after screening {screened} candidates "
                      f"({len(eligible)} of {need} eligible) and "
                      f"{sum(len(v) for v in results.values())} treated runs"), \
            resolve_executor(executor, workers) as backend:
        chunk = max(1, min(16, need // (4 * backend.workers) or 1))
        while len(eligible) < need:
            if screened >= ts.max_screened:
                raise ConfigError(
                    f"only {len(eligible)} of {screened} screened patients were eligible, "
                    f"{need} needed; relax [entry] or raise trial.max_screened",
                    key="trial.max_screened", source=spec.source)
            rate = max(len(eligible) / screened, 0.02) if screened else 0.8
            batch = int(min(ts.max_screened - screened,
                            max(8, math.ceil(1.15 * (need - len(eligible)) / rate))))
            found: dict[int, dict] = {}
            starts = range(screened, screened + batch, chunk)
            payloads = ((k, (model_toml, plain, [derive_seed(ts.seed, j)
                                                 for j in range(k, min(k + chunk,
                                                                       screened + batch))]))
                        for k in starts)
            run_tasks(screen_chunk, payloads, backend, collect_screened(found))
            for patient in sorted(found):
                row = found[patient]
                if row["eligible"] and len(eligible) < need:
                    eligible.append({"patient": patient, **row})
                elif not row["eligible"]:
                    reasons[row["reason"]] = reasons.get(row["reason"], 0) + 1
            screened += batch
            if progress:
                print(f"alssim trial: screened {screened}, eligible {len(eligible)}/{need}")
        # randomisation: replicate r gets its patients and their arms
        assign: list[list[tuple[int, int]]] = []  # per replicate: (eligible index, arm index)
        for r in range(ts.replicates):
            if ts.population > 0:
                pick = stream(root, "trial_draw", r).permutation(len(eligible))[:per_trial]
            else:
                pick = np.arange(r * per_trial, (r + 1) * per_trial)
            if ts.crn:
                arm_n = arm_sizes(n_max, ratios)
                assign.append([(int(pick[i]), a) for a in range(len(arm_names))
                               for i in range(arm_n[a])])
            else:
                lab = block_labels(n_max, ratios, stream(root, "randomisation", r))
                assign.append([(int(pick[i]), int(lab[i])) for i in range(n_max)])
        # treated runs, each (patient, arm) once
        treated: dict[tuple[int, int], dict] = {}
        todo = []
        for pairs in assign:
            for i, a in pairs:
                tr = list(spec.arms[arm_names[a]].treatments)
                if not tr or treatments_neutral(cfg, tr, eligible[i]["genotype"]):
                    continue
                if (i, a) not in treated:
                    treated[(i, a)] = {}
                    todo.append((i, a))
        items = [(eligible[i]["seed"], list(spec.arms[arm_names[a]].treatments),
                  eligible[i]["entry_months"],
                  eligible[i]["entry_months"] + spec.arms[arm_names[a]].start_weeks * WEEK)
                 for i, a in todo]
        tchunk = max(1, min(16, len(items) // (4 * backend.workers) or 1))
        run_tasks(treat_chunk,
                  ((k, (model_toml, plain, items[k:k + tchunk]))
                   for k in range(0, len(items), tchunk)),
                  backend, results.__setitem__)
        for first, outs in results.items():
            for j, o in enumerate(outs):
                treated[todo[first + j]] = o
        if progress:
            print(f"alssim trial: {len(todo)} treated runs")
    return analyse(spec, cfg, arm_names, ratios, sizes, eligible, assign, treated,
                   {"screened": screened, "eligible": len(eligible), "excluded": reasons},
                   pd)
