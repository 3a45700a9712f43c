"""A run and its worker: the seed of run ``i`` (:func:`derive_seed`), the plain-data task
(:class:`RunTask`), the worker function (:func:`run_chunk`, module-level, taking the base config
as TOML text so it runs unchanged in-process, in spawned processes and on Dask workers), and the
flat summary row each run returns, with the selection of its outputs."""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from alssim.config.loader import config_from_text
from alssim.engine import simulate, simulate_batch
from alssim.errors import ConfigError, escape_text, show_value
from alssim.patients import derive_config, sample_patient
from alssim.resources import engine_batch_size

__all__ = [
    "OPTIONAL_TABLES",
    "RunTask",
    "check_patterns",
    "derive_seed",
    "flatten_summary",
    "output_names",
    "run_chunk",
    "run_many",
    "select_outputs",
    "short_repr",
    "unmatched_patterns",
]


#: Summary keys left out of per-run rows (constant or given a column of their own).
_DROPPED = ("alssim_version", "seed")


#: Summary tables that are ``None`` in runs where they do not exist (the D50 fit of a patient
#: without clinical onset, or whose fit fails), with the names of their entries: such a run gets
#: these entries as missing values, so every run of a config has the same columns in the same
#: order whichever run comes first.
OPTIONAL_TABLES: dict[str, tuple[str, ...]] = {
    "clinical.d50": ("d50_months", "dx_months", "rmse", "highly_aggressive"),
}


def derive_seed(seed: int, index: int) -> int:
    """Integer seed (< 2**63) of run ``index`` of a batch started with ``seed``."""
    state = np.random.SeedSequence(int(seed), spawn_key=(int(index),)).generate_state(
        2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1])) & (2**63 - 1)


@dataclasses.dataclass(frozen=True)
class RunTask:
    """Plain-data description of one run.

    Attributes
    ----------
    run_id : int
    seed : int
        Seed of :func:`alssim.simulate` (and of the patient's attributes).
    overrides : tuple of (str, value)
        Dotted-key overrides of the run's parameter point (empty for a cohort).
    heterogeneous : bool
        Sample patient attributes from the ``[cohort]`` tables.
    keep_trajectory : bool
        Return the full :class:`~alssim.results.Result` as well.
    """

    run_id: int
    seed: int
    overrides: tuple[tuple[str, Any], ...] = ()
    heterogeneous: bool = False
    keep_trajectory: bool = False


def _scalar(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def flatten_summary(summary: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flat scalar columns of a (nested) result summary.

    Nested dicts become dotted names (``loss_months.lmn:bulbar:left.lost_50``); lists of scalars
    become one ``";"``-joined string (``order_of_involvement``); non-finite floats become
    ``None``; the keys ``alssim_version`` and ``seed`` are left out at the top level. A table
    of :data:`OPTIONAL_TABLES` that is ``None`` (e.g. ``clinical.d50`` without clinical onset)
    gives its entries as ``None`` (``clinical.d50.d50_months``, ...), never a column of its
    own: every run of a config has the same names (see :func:`output_names`).
    """
    out: dict[str, Any] = {}
    for k, v in summary.items():
        if not prefix and k in _DROPPED:
            continue
        key = f"{prefix}{k}"
        if v is None and key in OPTIONAL_TABLES:
            out.update(dict.fromkeys((f"{key}.{e}" for e in OPTIONAL_TABLES[key]), None))
        elif isinstance(v, Mapping):
            out.update(flatten_summary(v, prefix=f"{key}."))
        elif isinstance(v, list | tuple):
            items = [_scalar(x) for x in v]
            if all(x is None or isinstance(x, str | int | float | bool) for x in items):
                out[key] = ";".join("" if x is None else str(x) for x in items)
            else:
                out[key] = json.dumps(items, sort_keys=True, default=str)
        else:
            out[key] = _scalar(v)
    return out


def select_outputs(outputs: dict[str, Any], patterns: Sequence[str] | None) -> dict[str, Any]:
    """Keep the outputs whose names match any of ``patterns`` (fnmatch); all if ``None``."""
    if patterns is None:
        return outputs
    return {k: v for k, v in outputs.items() if any(fnmatch.fnmatchcase(k, p) for p in patterns)}


def output_names(cfg) -> list[str]:
    """The output names of every run of ``cfg``, in table order, known before any run.

    Parameters
    ----------
    cfg : Config
        The base config of a sweep or cohort.

    Returns
    -------
    list of str
        The flattened summary names (:func:`flatten_summary`) that each run of ``cfg`` has:
        the same for every run, seed, swept value and patient, since the summary's layout
        depends only on the anatomy (segments, sides, populations, King's regions).

    Notes
    -----
    The names are read from the summary of one probe run of ``cfg`` made tiny (``scale`` at
    most 0.001, every population keeping at least one neuron, and a horizon of at most two
    output intervals): the very code that names the outputs of the real runs, in a few
    milliseconds. Tables that are missing in some runs (:data:`OPTIONAL_TABLES`) have their
    entries named either way.
    """

    sim = cfg.simulation
    days = min(sim.horizon_years * 365.25, max(2 * sim.output_interval_days, sim.dt_days))
    probe = cfg.with_overrides({"simulation.scale": min(sim.scale, 0.001),
                                "simulation.horizon_years": days / 365.25,
                                "simulation.memory_limit_gb": 0.0})
    return list(flatten_summary(simulate(probe, seed=0).summary))


def unmatched_patterns(patterns: Sequence[str], names: Sequence[str]) -> list[str]:
    """The ``patterns`` (names or glob patterns) that match none of ``names``."""
    return [p for p in patterns if not any(fnmatch.fnmatchcase(n, p) for n in names)]


# --------------------------------------------------------------------------- worker side
_POINT_CACHE: dict[tuple, Any] = {}


def _base_config(config_toml: str):
    return config_from_text(config_toml, "batch config")


def _point_config(config_toml: str, overrides: tuple[tuple[str, Any], ...]):
    cfg = _base_config(config_toml)
    if not overrides:
        return cfg
    pkey = (config_toml, overrides)
    pcfg = _POINT_CACHE.get(pkey)
    if pcfg is None:
        pcfg = cfg.with_overrides(dict(overrides))
        if len(_POINT_CACHE) > 64:
            _POINT_CACHE.clear()
        _POINT_CACHE[pkey] = pcfg
    return pcfg


def _prepare(cfg, task: RunTask):
    """The run's config and its sampled patient attributes (empty unless heterogeneous)."""

    if not task.heterogeneous:
        return cfg, {}
    patient = sample_patient(cfg, np.random.SeedSequence(task.seed))
    return derive_config(cfg, patient), {k: _scalar(v) for k, v in patient.as_row().items()}


def run_many(cfgs: Sequence[Any], tasks: Sequence[RunTask], outputs: Sequence[str] | None = None):
    """Simulate runs, several at a time through one engine loop.

    Parameters
    ----------
    cfgs : sequence of Config
        The config of each run's parameter point (before patient attributes are applied).
    tasks : sequence of RunTask
    outputs : sequence of str, optional
        Output name patterns to keep (see :func:`select_outputs`).

    Returns
    -------
    list of (attributes, outputs, Result or None)
        Per task: the patient's sampled attributes (empty unless heterogeneous), the flattened
        summary (see :func:`flatten_summary`) and the full result if the task keeps it. Each is
        what the run gives alone (:func:`alssim.engine.simulate_batch` is exact per patient).
    """

    prepared = [_prepare(cfg, task) for cfg, task in zip(cfgs, tasks, strict=True)]
    size = engine_batch_size(prepared[0][0]) if prepared else 1
    out = []
    for j in range(0, len(prepared), size):
        part = prepared[j:j + size]
        part_tasks = tasks[j:j + size]
        results = simulate_batch([c for c, _ in part], [t.seed for t in part_tasks])
        for task, (_, attrs), res in zip(part_tasks, part, results, strict=True):
            outs = select_outputs(flatten_summary(res.summary), outputs)
            out.append((attrs, outs, res if task.keep_trajectory else None))
    return out


def run_chunk(config_toml: str, tasks: list[dict], outputs: list[str] | None) -> list[tuple]:
    """Worker entry point: run the tasks of a chunk (plain dicts of :class:`RunTask` fields).

    Returns
    -------
    list of (run_id, attributes, outputs, Result or None)
    """
    parsed = [RunTask(**{**t, "overrides": tuple(tuple(kv) for kv in t["overrides"])})
              for t in tasks]
    cfgs = [_point_config(config_toml, t.overrides) for t in parsed]
    return [(t.run_id, *done) for t, done in zip(parsed, run_many(cfgs, parsed, outputs),
                                                  strict=True)]


def short_repr(value: Any) -> str:
    """A record's parameters for a message: canonical JSON, escaped and cut."""
    return escape_text(json.dumps(value, sort_keys=True, default=str), 120)


def check_patterns(patterns: Any, key: str = "outputs", *, cfg: Any = None,
                   source: str | None = None) -> list[str] | None:
    """Validate an ``outputs`` selection (``None`` or a list of names / glob patterns).

    Parameters
    ----------
    patterns : None, str or sequence of str
        Output names or :mod:`fnmatch` patterns (``"loss_months.lmn:*.lost_50"``).
    key : str
        The key named in errors.
    cfg : Config, optional
        The base config of the runs: every pattern must then match at least one of its
        :func:`output_names` (checked before any run).
    source : str, optional
        The file the selection came from, named in errors.

    Returns
    -------
    list of str or None

    Raises
    ------
    ConfigError
        Naming ``key``: not a list of non-empty strings, an empty list, or (with ``cfg``) a
        pattern that matches no output, with the nearest output names.
    """

    if patterns is None:
        return None
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list | tuple) or not all(isinstance(p, str) and p
                                                          for p in patterns):
        raise ConfigError("must be a list of output names or glob patterns; got "
                          f"{show_value(patterns)}", key=key, source=source)
    if not patterns:
        raise ConfigError("must name at least one output", key=key, source=source)
    patterns = list(patterns)
    if cfg is not None:
        names = output_names(cfg)
        missing = unmatched_patterns(patterns, names)
        if missing:
            raise ConfigError(_no_match_message(missing[0], names), key=key, source=source)
    return patterns


def _no_match_message(pattern: str, names: Sequence[str]) -> str:
    """``pattern matches no output``, with the nearest names (difflib) or examples of names."""
    import difflib

    # glob characters are compared as written; a near miss of a name is usually a typo
    close = difflib.get_close_matches(pattern, list(names), n=3, cutoff=0.6)
    if close:
        hint = "did you mean " + " or ".join(repr(c) for c in close) + "?"
    else:
        heads = list(dict.fromkeys(n.split(".")[0] for n in names))
        hint = (f"output names start with {', '.join(heads)} (e.g. {names[-1]!r}); glob "
                "patterns such as 'loss_months.*.lost_50' select several")
    return f"{show_value(pattern)} matches no output of these runs; {hint}"
