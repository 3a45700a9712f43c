"""Parameter sweeps over any dotted config keys, on any executor, resumable.

>>> import alssim
>>> cfg = alssim.load_config(overrides={"simulation.scale": 0.01, "simulation.dt_days": 7.0})
>>> table = alssim.sweep(cfg, {"spread.contralateral_rate": [0.01, 0.05]}, replicates=2,
...                      seed=1, executor="serial", progress=False)
>>> list(table.columns[:5])
['run_id', 'point', 'replicate', 'seed', 'spread.contralateral_rate']

Designs (``method``)
    ``"grid"``: every combination of lists of values. From ranges ``{low, high[, scale]}``:
    ``"random"`` (independent uniform draws), ``"lhs"`` (Latin hypercube), ``"sobol_sequence"``
    (scrambled Sobol' low-discrepancy points), all from :mod:`scipy.stats.qmc` or a seeded
    generator; and, for sensitivity analysis with SALib, ``"sobol"`` (Saltelli's scheme for
    Sobol' indices) and ``"morris"`` (Morris trajectories for elementary effects). A list of
    dicts is an explicit set of points (``"points"``).

Runs and seeds
    Point ``p`` (in design order) has replicates ``r = 0 .. replicates-1``; its runs have
    ``run_id = p * replicates + r``. With common random numbers (the default) replicate ``r``
    has the seed ``derive_seed(seed, r)`` at every point, so differences between points are not
    blurred by different random draws; otherwise ``derive_seed(seed, run_id)``. The table is a
    function of the config, design, replicates and seed only: byte-identical on every executor.

The returned table is tidy: one row per run with ``run_id``, ``point``, ``replicate``, ``seed``,
one column per swept key (named by the key), the sampled patient attributes when
``heterogeneity`` is on, and the flattened summary outputs.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from alssim._version import __version__
from alssim.batch import (
    RunStore,
    RunTask,
    TableBuilder,
    check_patterns,
    derive_seed,
    execute,
    input_files,
    table_to_csv,
)
from alssim.cohort import read_table
from alssim.config.loader import _dotted_keys, load_config, read_toml
from alssim.config.schema import check_seed
from alssim.errors import ConfigError
from alssim.executors import local_workers
from alssim.fields import nearest_key
from alssim.fileio import atomic_write_text
from alssim.resources import check_batch_memory, design_points
from alssim.sensitivity import missing_salib
from alssim.streams import as_seed_sequence, stream

__all__ = [
    "DESIGN_METHODS",
    "METHODS",
    "Axis",
    "SweepSpec",
    "load_runs",
    "load_sweep_spec",
    "make_design",
    "parse_design",
    "run_sweep_spec",
    "sweep",
]

#: Designs from ranges that need no sensitivity package.
DESIGN_METHODS = ("random", "lhs", "sobol_sequence")
#: Every ``method`` accepted.
METHODS = ("grid", "points", *DESIGN_METHODS, "sobol", "morris")
_SENSITIVITY = ("sobol", "morris")
_OWNED = ("runs.csv", "sensitivity.csv", "sweep.toml")


@dataclasses.dataclass(frozen=True)
class Axis:
    """One swept config key.

    Attributes
    ----------
    key : str
        Dotted config key.
    values : tuple, optional
        Grid values (``method="grid"``).
    low, high : float, optional
        Range (other methods).
    scale : str
        ``"linear"`` or ``"log"`` (sampled uniformly in log space).
    integer : bool
        The parameter is an integer: sampled values are rounded.
    """

    key: str
    values: tuple | None = None
    low: float | None = None
    high: float | None = None
    scale: str = "linear"
    integer: bool = False

    def transformed_bounds(self) -> tuple[float, float]:
        """Bounds in the sampling space (log space for ``scale = "log"``)."""
        if self.low is None or self.high is None:
            raise ValueError(f"axis {self.key!r} is given by its values, not by a range")
        if self.scale == "log":
            return math.log(self.low), math.log(self.high)
        return float(self.low), float(self.high)

    def from_transformed(self, x: np.ndarray) -> list:
        """Parameter values of sampling-space coordinates ``x``, shape (n,)."""
        v = np.exp(x) if self.scale == "log" else np.asarray(x, dtype=float)
        v = np.clip(v, self.low, self.high)
        if self.integer:
            return [round(float(a)) for a in v]
        return [float(a) for a in v]


def _leaf_value(cfg_dict: dict, key: str, source: str | None):
    """Current value at a dotted key, or ConfigError naming the nearest valid key."""

    node: Any = cfg_dict
    parts = key.split(".") if isinstance(key, str) else []
    ok = bool(parts) and parts[0] != "anatomy"
    for part in parts:
        if not ok or not isinstance(node, dict) or part not in node:
            ok = False
            break
        node = node[part]
    if not ok or isinstance(node, dict):
        valid = [k for k in _dotted_keys(cfg_dict) if not k.startswith("anatomy")]
        hint = nearest_key(str(key), valid)
        extra = f"did you mean '{hint}'?" if hint else "see `alssim config show`"
        raise ConfigError(f"unknown config key; {extra}", key=str(key), source=source)
    return node


def _check_value(cfg, key: str, value: Any, source: str | None) -> Any:
    """Validate one value of one key (ConfigError naming the key); return it typed."""
    try:
        return cfg.with_overrides({key: value}).get(key)
    except ConfigError as exc:
        raise ConfigError(exc.detail, key=key, source=source) from None


def _py(value: Any) -> Any:
    """A NumPy scalar as the Python scalar it holds (for validation and JSON); else ``value``."""
    return value.item() if isinstance(value, np.generic) else value


def _values_list(spec: Any) -> list | None:
    """The values of a grid axis as a list of Python scalars, or ``None`` if ``spec`` is not a
    sequence of values.

    A list, a 1-D NumPy array (or anything with ``ndim == 1`` and ``tolist``: a pandas Series or
    Index) or another non-string sequence that is not a tuple (a 2-tuple is a range) or a
    mapping. NumPy scalars become Python scalars.

    Raises
    ------
    TypeError
        For an array that is not 1-D (the caller names the key).
    """
    if isinstance(spec, list):
        return [_py(v) for v in spec]
    if isinstance(spec, str | bytes | tuple | Mapping):
        return None
    ndim = getattr(spec, "ndim", None)
    if ndim is not None and hasattr(spec, "tolist"):
        if ndim != 1:
            raise TypeError(f"a {ndim}-dimensional array; give a 1-D sequence of values")
        return [_py(v) for v in spec.tolist()]
    if isinstance(spec, Sequence):  # range, ...
        return [_py(v) for v in spec]
    return None


def parse_design(cfg, design: Mapping[str, Any], source: str | None = None) -> list[Axis]:
    """Validate a design ``{key: [values] | {low, high, scale} | (low, high)}`` into axes.

    The values of a key may be any 1-D sequence: a list, a NumPy array, a pandas Series, a
    ``range``; NumPy scalars are taken as the Python numbers they hold. A tuple ``(low, high)``
    is a range.

    Raises
    ------
    ConfigError
        Naming the key: unknown key (with the nearest valid one), empty list, empty or reversed
        range, a range on a non-numeric parameter, a value of the wrong type or out of range.
    """
    if not isinstance(design, Mapping) or not design:
        raise ConfigError("must be a non-empty table of config keys to values or ranges; got "
                          f"{design!r}", key="parameters", source=source)
    base = cfg.to_dict()
    axes = []
    for key, spec in design.items():
        current = _leaf_value(base, key, source)
        try:
            listed = _values_list(spec)
        except TypeError as exc:
            raise ConfigError(f"must be a list of values; got {exc}", key=key,
                              source=source) from None
        if listed is not None:
            spec = listed
            if not spec:
                raise ConfigError("empty list of values", key=key, source=source)
            values = []
            for v in spec:
                tv = _check_value(cfg, key, v, source)
                if tv in values:
                    raise ConfigError(f"value {v!r} is listed twice", key=key, source=source)
                values.append(tv)
            axes.append(Axis(key, values=tuple(values)))
            continue
        if isinstance(spec, tuple) and len(spec) == 2:
            spec = {"low": spec[0], "high": spec[1]}
        if not isinstance(spec, Mapping):
            raise ConfigError(f"must be a list of values or a range {{low, high}}; got {spec!r}",
                              key=key, source=source)
        unknown = [k for k in spec if k not in ("low", "high", "scale")]
        if unknown:
            raise ConfigError(f"unknown range field {unknown[0]!r}; a range has low, high and "
                              "optionally scale", key=key, source=source)
        if "low" not in spec or "high" not in spec:
            raise ConfigError("a range needs both low and high", key=key, source=source)
        if isinstance(current, bool) or not isinstance(current, int | float):
            raise ConfigError(f"is not numeric (value {current!r}); give a list of values "
                              "instead of a range", key=key, source=source)
        lo, hi = _py(spec["low"]), _py(spec["high"])
        for b in (lo, hi):
            if isinstance(b, bool) or not isinstance(b, int | float) or not math.isfinite(b):
                raise ConfigError(f"range bounds must be finite numbers; got {b!r}", key=key,
                                  source=source)
        if not lo < hi:
            raise ConfigError(f"empty range: low ({lo:g}) must be below high ({hi:g})", key=key,
                              source=source)
        scale = spec.get("scale", "linear")
        if scale not in ("linear", "log"):
            raise ConfigError(f"scale must be 'linear' or 'log'; got {scale!r}", key=key,
                              source=source)
        if scale == "log" and lo <= 0:
            raise ConfigError(f"a log-scale range needs low > 0; got {lo:g}", key=key,
                              source=source)
        integer = isinstance(current, int)
        if integer and math.floor(hi) < math.ceil(lo):
            raise ConfigError(f"empty range: no integer in [{lo:g}, {hi:g}]", key=key,
                              source=source)
        _check_value(cfg, key, math.ceil(lo) if integer else float(lo), source)
        _check_value(cfg, key, math.floor(hi) if integer else float(hi), source)
        axes.append(Axis(key, low=float(lo), high=float(hi), scale=scale, integer=integer))
    return axes


def _qmc(engine_cls, d: int, gen: np.random.Generator, **kw):
    try:
        return engine_cls(d, rng=gen, **kw)
    except TypeError:  # scipy < 1.15
        return engine_cls(d, seed=gen, **kw)


def make_design(
    cfg,
    design: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    method: str | None = None,
    n: int | None = None,
    seed: int = 0,
    source: str | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The parameter points of a sweep.

    Parameters
    ----------
    cfg : Config
        Base config (keys and values are validated against it).
    design : dict or list of dict
        ``{key: [values]}`` for a grid; ``{key: {"low": a, "high": b, "scale": "linear"|"log"}}``
        (or ``(a, b)``) for sampled designs; a list of ``{key: value}`` dicts for explicit
        points.
    method : str, optional
        One of :data:`METHODS`; default ``"grid"`` (``"points"`` for a list).
    n : int, optional
        Number of points (random, lhs, sobol_sequence), base sample size N (sobol: N (D + 2)
        points for D keys) or number of trajectories (morris: N (D + 1) points).
    seed : int
        Seed of the design's random draws (stream ``"sweep_design"``).

    Returns
    -------
    points : list of dict
        ``{key: value}`` per point, in design order.
    meta : dict
        JSON-ready description (method, n, axes with bounds) used by
        :func:`alssim.sensitivity.analyze`.
    """
    if not isinstance(design, Mapping) and hasattr(design, "tolist"):  # an array of points
        design = design.tolist()
    if isinstance(design, Sequence) and not isinstance(design, str | bytes):
        if method not in (None, "points"):
            raise ConfigError(f"a list of points needs method 'points'; got {method!r}",
                              key="method", source=source)
        if not design:
            raise ConfigError("empty list of points", key="parameters", source=source)
        keys = list(dict.fromkeys(k for p in design for k in p))
        base = cfg.to_dict()
        for k in keys:
            _leaf_value(base, k, source)
        pts = []
        for i, p in enumerate(design):
            if set(p) != set(keys):
                raise ConfigError(f"point {i} sets {sorted(p)}, not every key {keys}",
                                  key=next(iter(set(keys) ^ set(p))), source=source)
            pts.append({k: _check_value(cfg, k, _py(p[k]), source) for k in keys})
        return pts, {"method": "points", "n": len(pts), "axes": [{"key": k} for k in keys]}
    method = method or "grid"
    if method not in METHODS or method == "points":
        hint = nearest_key(str(method), METHODS)
        extra = f" (did you mean {hint!r}?)" if hint else ""
        raise ConfigError(f"must be one of {', '.join(METHODS)}; got {method!r}{extra}",
                          key="method", source=source)
    axes = parse_design(cfg, design, source)
    n = _py(n)
    meta: dict[str, Any] = {"method": method, "n": n, "axes": [
        {k: v for k, v in dataclasses.asdict(a).items() if v is not None} for a in axes]}
    for a in meta["axes"]:
        if "values" in a:
            a["values"] = list(a["values"])
    if method == "grid":
        ranged = [a.key for a in axes if a.values is None]
        if ranged:
            raise ConfigError("method 'grid' needs a list of values; a range {low, high} needs "
                              f"a sampled method ({', '.join(DESIGN_METHODS + _SENSITIVITY)})",
                              key=ranged[0], source=source)
        if n is not None:
            raise ConfigError("is not used by method 'grid' (the grid sets the points)",
                              key="samples", source=source)
        grid = [a.values for a in axes if a.values is not None]  # every axis: none is ranged
        combos = itertools.product(*grid)
        return [dict(zip([a.key for a in axes], c, strict=True)) for c in combos], meta
    listed = [a.key for a in axes if a.values is not None]
    if listed:
        raise ConfigError(f"method {method!r} samples from ranges; give {{low = ..., high = ...}}"
                          " instead of a list", key=listed[0], source=source)
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ConfigError(f"must be a positive integer for method {method!r}; got {n!r}",
                          key="samples", source=source)
    n = int(n)
    d = len(axes)
    gen = stream(as_seed_sequence(int(seed)), "sweep_design")
    bounds = [a.transformed_bounds() for a in axes]
    if method in DESIGN_METHODS:
        if method == "random":
            u = gen.random((n, d))
        elif method == "lhs":
            u = _qmc(qmc.LatinHypercube, d, gen).random(n)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # n not a power of 2: still valid
                u = _qmc(qmc.Sobol, d, gen, scramble=True).random(n)
        x = np.column_stack([lo + u[:, j] * (hi - lo) for j, (lo, hi) in enumerate(bounds)])
    else:
        problem = _problem(axes)
        sa_seed = int(gen.integers(2**31 - 1))
        try:
            if method == "sobol":
                from SALib.sample import sobol as sobol_sample

                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # N not a power of 2: still valid
                    x = sobol_sample.sample(problem, n, calc_second_order=False, seed=sa_seed)
            else:
                from SALib.sample import morris as morris_sample

                x = morris_sample.sample(problem, n, num_levels=4, seed=sa_seed)
        except ImportError:
            raise missing_salib() from None
        meta["salib_seed"] = sa_seed
    cols = [a.from_transformed(x[:, j]) for j, a in enumerate(axes)]
    points = [{a.key: cols[j][i] for j, a in enumerate(axes)} for i in range(x.shape[0])]
    meta["transformed"] = np.asarray(x, dtype=float)
    return points, meta


def _problem(axes: Sequence[Axis]) -> dict[str, Any]:
    return {"num_vars": len(axes), "names": [a.key for a in axes],
            "bounds": [list(a.transformed_bounds()) for a in axes]}


def _check_int(value: Any, key: str, low: int, source: str | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ConfigError(f"must be an integer >= {low}; got {value!r}", key=key, source=source)
    return int(value)


def sweep(
    cfg,
    design: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    replicates: int = 1,
    seed: int | None = None,
    executor: Any = None,
    out: str | Path | None = None,
    *,
    method: str | None = None,
    n: int | None = None,
    workers: int | None = None,
    outputs: Sequence[str] | None = None,
    heterogeneity: bool = False,
    common_random_numbers: bool = True,
    force: bool = False,
    progress: bool = True,
    chunksize: int | None = None,
    source: str | None = None,
) -> pd.DataFrame:
    """Run ``cfg`` at every point of a design, ``replicates`` times each.

    Parameters
    ----------
    cfg : Config
        Base config.
    design : dict or list of dict
        Swept dotted keys: lists of values (grid; any 1-D sequence, e.g. a NumPy array) or
        ranges ``{"low", "high", "scale"}``; or a list of explicit points. See
        :func:`make_design`.
    replicates : int
        Runs per point, each with its own seed.
    seed : int, optional
        Seed of the sweep (default ``cfg.simulation.seed``).
    executor : None, str, int, Executor or dask.distributed.Client
        Where to run; default every local core (:func:`alssim.executors.resolve_executor`).
    out : str or Path, optional
        Resumable folder: ``spec.json``, one record per finished run (written atomically the
        moment it finishes) and ``runs.csv`` at the end. Rerunning the same sweep skips the
        recorded runs; a folder of another sweep is refused unless ``force``.
    method : str, optional
        Design (see :data:`METHODS`); ``"sobol"``/``"morris"`` make designs for
        :func:`alssim.sensitivity.analyze`.
    n : int, optional
        Number of points / base samples / trajectories (sampled methods).
    workers : int, optional
        Local processes (with ``executor=None``).
    outputs : sequence of str, optional
        Output columns to keep (names or glob patterns); default all. Each must match at
        least one output of the runs (:func:`alssim.batch.output_names`), checked before any
        run: a pattern that matches nothing is a ConfigError naming the nearest names.
    heterogeneity : bool
        Each run is a patient sampled from the ``[cohort]`` tables (attributes in the table).
    common_random_numbers : bool
        Replicate ``r`` uses the same seed at every point (default), else a seed per run.
    force : bool
        Discard another sweep's runs in ``out`` instead of refusing.
    progress : bool
        Show a progress bar.
    chunksize : int, optional
        Runs per task sent to a worker, simulated together and recorded when the task returns
        (default: up to 16, at least four tasks per worker).
    source : str, optional
        Where the design came from (a spec file), named in errors.

    Returns
    -------
    pandas.DataFrame
        One row per run, ordered by ``run_id``: ``run_id``, ``point``, ``replicate``, ``seed``,
        the swept keys, patient attributes (with ``heterogeneity``), outputs. ``attrs["sweep"]``
        holds the design description for :func:`alssim.sensitivity.analyze`.

    Raises
    ------
    ConfigError
        For a bad design (naming the key), method, sample size, replicates, seed or outputs
        (an output pattern that matches no output of the runs).
    OutputExistsError
        If ``out`` holds another sweep (or anything else) and ``force`` is false.
    """
    replicates = _check_int(replicates, "replicates", 1, source)
    seed = cfg.simulation.seed if seed is None else seed
    seed = check_seed(seed, key="seed", source=source)  # simulation.seed's range
    # every output pattern must match an output of these runs: checked now, not after the runs
    patterns = check_patterns(outputs, cfg=cfg, source=source)
    # refuse, before the design is made, a sweep whose design, tasks, table and local workers
    # would not fit in memory (counted from the design's sizes alone)
    n_points, n_keys = design_points(design, method, n)
    check_batch_memory(cfg, n_points * replicates, workers=local_workers(executor, workers),
                       n_points=n_points, n_keys=n_keys, what="sweep")
    points, meta = make_design(cfg, design, method, n, seed, source)
    config_toml = cfg.to_toml()
    tasks = []
    for p, point in enumerate(points):
        overrides = tuple(point.items())
        for r in range(replicates):
            rid = p * replicates + r
            s = derive_seed(seed, r if common_random_numbers else rid)
            tasks.append(RunTask(run_id=rid, seed=s, overrides=overrides,
                                 heterogeneous=bool(heterogeneity)))
    meta = {**meta, "replicates": replicates, "seed": seed,
            "common_random_numbers": bool(common_random_numbers)}
    spec = {"kind": "sweep", "alssim_version": __version__, "config_toml": config_toml,
            "points": points, "design": {k: v for k, v in meta.items() if k != "transformed"},
            "heterogeneity": bool(heterogeneity), "outputs": patterns}
    inputs = input_files(cfg, source)
    spec_text = Path(source).read_text(encoding="utf-8") if source in inputs else None
    store = (RunStore(out, spec, force=force, extra_owned=_OWNED, inputs=inputs,
                      command="alssim sweep") if out is not None else None)
    try:
        return _run_sweep(cfg, tasks, meta, points, replicates, patterns, config_toml, executor,
                          workers, store, progress, chunksize, spec_text)
    finally:
        if store is not None:
            store.close()


def _run_sweep(cfg, tasks, meta, points, replicates, patterns, config_toml, executor, workers,
               store, progress, chunksize, spec_text) -> pd.DataFrame:
    keys = [a["key"] for a in meta["axes"]]
    # the table is built as the runs finish, so their records are not all held at once
    builder = TableBuilder(leading=("run_id", "point", "replicate", "seed", *keys))

    def add_row(task: RunTask, seed_t: int, attrs: dict[str, Any], outs: dict[str, Any]) -> None:
        p, r = divmod(task.run_id, replicates)
        builder.add({"run_id": task.run_id, "point": p, "replicate": r, "seed": seed_t,
                     **{k: points[p][k] for k in keys}, **attrs, **outs})

    execute(config_toml, tasks, outputs=patterns, executor=executor, workers=workers,
            store=store, progress=progress, desc="sweep", unit="run", on_record=add_row,
            chunksize=chunksize)

    table = builder.finish()
    # the design description (small, comparable) for alssim.sensitivity.analyze
    table.attrs["sweep"] = {k: v for k, v in meta.items() if k != "transformed"}
    if store is not None:
        atomic_write_text(store.path / "runs.csv", table_to_csv(table))
        if spec_text is not None:  # the sweep file this table was made from
            atomic_write_text(store.path / "sweep.toml", spec_text)
    return table


# --------------------------------------------------------------------------- sweep spec files
_SPEC_KEYS = ("config", "method", "samples", "replicates", "seed", "outputs", "heterogeneity",
              "common_random_numbers", "set", "parameters")


@dataclasses.dataclass(frozen=True)
class SweepSpec:
    """A sweep described in TOML (see ``configs/sweeps/example.toml``).

    Attributes
    ----------
    path : Path
        The spec file.
    config : Path or None
        Base config file (relative paths are resolved against the spec's folder); ``None``
        uses the packaged defaults.
    overrides : dict
        The ``[set]`` table: dotted keys fixed for every run.
    parameters : dict
        The ``[parameters]`` table: the swept keys.
    method : str
    samples : int or None
    replicates : int
    seed : int or None
    outputs : list of str or None
    heterogeneity : bool
    common_random_numbers : bool
    """

    path: Path
    config: Path | None
    overrides: dict[str, Any]
    parameters: dict[str, Any]
    method: str
    samples: int | None
    replicates: int
    seed: int | None
    outputs: list[str] | None
    heterogeneity: bool
    common_random_numbers: bool

    def load_config(self):
        """The base config: the ``config`` file (or the defaults) with ``[set]`` applied."""

        return load_config(self.config, overrides=self.overrides)


def load_sweep_spec(path: str | Path) -> SweepSpec:
    """Read and check a sweep spec TOML file.

    Raises
    ------
    ConfigError
        Naming the spec file and the offending key (unknown keys name the nearest valid one).
    """

    path = Path(path)
    data = read_toml(path)
    src = str(path)
    for k in data:
        if k not in _SPEC_KEYS:
            hint = nearest_key(k, _SPEC_KEYS)
            extra = f"did you mean '{hint}'?" if hint else "valid keys: " + ", ".join(_SPEC_KEYS)
            raise ConfigError(f"unknown sweep key; {extra}", key=k, source=src)
    if "parameters" not in data:
        raise ConfigError("missing table [parameters] (the keys to sweep)", key="parameters",
                          source=src)
    params = data["parameters"]
    if not isinstance(params, dict):
        raise ConfigError(f"must be a table; got {params!r}", key="parameters", source=src)
    params = _flatten_tables(params)
    overrides = data.get("set", {})
    if not isinstance(overrides, dict):
        raise ConfigError(f"must be a table of dotted keys; got {overrides!r}", key="set",
                          source=src)
    overrides = _flatten_tables(overrides, ranges=False)
    config = data.get("config")
    if config is not None:
        if not isinstance(config, str) or not config:
            raise ConfigError(f"must be a path to a config file; got {config!r}", key="config",
                              source=src)
        config = Path(config)
        if not config.is_absolute():
            config = path.parent / config
    method = data.get("method", "grid")
    if not isinstance(method, str):
        raise ConfigError(f"must be a string; got {method!r}", key="method", source=src)
    samples = data.get("samples")
    if samples is not None:
        samples = _check_int(samples, "samples", 1, src)
    seed = data.get("seed")
    if seed is not None:
        seed = _check_int(seed, "seed", 0, src)
    flags = {}
    for k, default in (("heterogeneity", False), ("common_random_numbers", True)):
        v = data.get(k, default)
        if not isinstance(v, bool):
            raise ConfigError(f"must be true or false; got {v!r}", key=k, source=src)
        flags[k] = v
    try:
        outputs = check_patterns(data.get("outputs"))
    except ConfigError as exc:
        raise ConfigError(exc.detail, key="outputs", source=src) from None
    return SweepSpec(path, config, overrides, params, method, samples,
                     _check_int(data.get("replicates", 1), "replicates", 1, src), seed, outputs,
                     flags["heterogeneity"], flags["common_random_numbers"])


def _flatten_tables(table: dict, prefix: str = "", ranges: bool = True) -> dict[str, Any]:
    """``{"spread": {"caudal_rate": [..]}}`` and ``{"spread.caudal_rate": [..]}`` alike."""
    out: dict[str, Any] = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and not (ranges and ("low" in v or "high" in v)):
            out.update(_flatten_tables(v, f"{key}.", ranges))
        else:
            out[key] = v
    return out


def run_sweep_spec(
    spec: SweepSpec,
    *,
    out: str | Path | None = None,
    executor: Any = None,
    workers: int | None = None,
    method: str | None = None,
    samples: int | None = None,
    replicates: int | None = None,
    seed: int | None = None,
    force: bool = False,
    progress: bool = True,
) -> pd.DataFrame:
    """Run a :class:`SweepSpec` (arguments given here override the spec's)."""
    cfg = spec.load_config()
    method = method or spec.method
    n = samples if samples is not None else spec.samples
    table = sweep(cfg, spec.parameters, replicates if replicates is not None else spec.replicates,
                  seed if seed is not None else spec.seed, executor, out, method=method, n=n,
                  workers=workers, outputs=spec.outputs, heterogeneity=spec.heterogeneity,
                  common_random_numbers=spec.common_random_numbers, force=force,
                  progress=progress, source=str(spec.path))
    return table


def load_runs(path: str | Path) -> pd.DataFrame:
    """Read a ``runs.csv`` written by a sweep, exactly as it was in memory.

    With the sweep's ``spec.json`` beside it (a sweep's output folder), ``attrs["sweep"]``
    holds the design description as in the table :func:`sweep` returned (the swept keys, for
    :func:`alssim.analysis.plot_sweep` and :func:`alssim.sensitivity.analyze`).
    """
    import json

    path = Path(path)
    table = read_table(path.read_text(encoding="utf-8"))
    try:
        spec = json.loads((path.parent / "spec.json").read_text(encoding="utf-8"))["spec"]
    except (OSError, ValueError, KeyError, TypeError):
        return table
    if not isinstance(spec, dict) or spec.get("kind") != "sweep":
        return table
    design = spec.get("design")
    axes = design.get("axes") if isinstance(design, dict) else None
    if isinstance(axes, list) and axes and all(
            isinstance(a, dict) and a.get("key") in table.columns for a in axes):
        table.attrs["sweep"] = design  # the spec of this very table
    return table
