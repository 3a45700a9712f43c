"""A sweep's design: axes over dotted config keys, their values (lists, or ranges with a scale),
and the design points of every method (grid, explicit points, random, Latin hypercube, Sobol'
sequence, and SALib's Sobol' and Morris schemes)."""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import qmc

from alssim.config.loader import _dotted_keys
from alssim.errors import ConfigError
from alssim.fields import nearest_key
from alssim.sensitivity import missing_salib
from alssim.streams import as_seed_sequence, stream

__all__ = ["DESIGN_METHODS", "METHODS", "Axis", "check_int", "make_design", "parse_design"]


#: Designs from ranges that need no sensitivity package.
DESIGN_METHODS = ("random", "lhs", "sobol_sequence")


#: Every ``method`` accepted.
METHODS = ("grid", "points", *DESIGN_METHODS, "sobol", "morris")

_SENSITIVITY = ("sobol", "morris")


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


def check_int(value: Any, key: str, low: int, source: str | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ConfigError(f"must be an integer >= {low}; got {value!r}", key=key, source=source)
    return int(value)
