"""Fit chosen parameters to chosen published figures (summary-statistic distance).

:func:`calibrate` simulates the validation cohort (:func:`alssim.validation.validation_config`)
for each candidate parameter point, computes the chosen targets' metrics
(:data:`alssim.validation.METRICS`) and minimises a distance to the published acceptance
intervals. Every evaluation uses the same cohort seed, so patients keep their attributes and
random streams from one point to the next (common random numbers): the objective is a
deterministic function of the parameters and the fit is reproducible from the seed.

Distance
    ``D = sum_i w_i * z_i**2`` with ``z_i = (m_i - c_i) / h_i`` for a target with a finite
    interval ``[low, high]`` (centre ``c``, half-width ``h``), and a hinge
    ``z_i = max(0, low - m_i, m_i - high) / s_i`` (``s_i`` = the finite bound's magnitude, or 1)
    for one-sided targets; an undefined metric (NaN, a median not reached) adds
    :data:`PENALTY`. Weights ``w_i`` default to 1.

Methods
    ``"nelder-mead"`` (default; :func:`scipy.optimize.minimize` in the unit cube of the bounds,
    started from the config's values) or ``"differential_evolution"``
    (:func:`scipy.optimize.differential_evolution`, seeded, no polishing).

>>> import alssim
>>> fit = alssim.calibrate(alssim.load_config(),
...                        {"mechanisms.pathology.hazard_rate": (0.02, 0.06)},
...                        targets=["median_survival"], n=100, maxiter=5)  # doctest: +SKIP
>>> print(fit.to_markdown())                                                # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from alssim.batch import read_table_file, typed_table, write_table
from alssim.cohort import run_cohort
from alssim.config.loader import config_from_saved
from alssim.errors import ConfigError, ResultFormatError
from alssim.fileio import atomic_write_text
from alssim.outdir import saving_into
from alssim.plotting import plot as _plot
from alssim.results import read_saved_json
from alssim.streams import SeedLike, seed_from_rng
from alssim.validation import METRICS, load_targets, prepare, validation_config

__all__ = ["PENALTY", "CalibrationResult", "calibrate", "distance", "load_calibration"]

#: Distance added for a target whose metric is undefined at a parameter point.
PENALTY = 100.0
#: ``format`` of a saved fit's ``calibration.json``.
CALIBRATION_FORMAT = "alssim.calibration"
CALIBRATION_FORMAT_VERSION = 1


def distance(values: Mapping[str, float], targets: Sequence, weights: Mapping[str, float]
             | None = None) -> float:
    """Summary-statistic distance of simulated ``values`` (by target id) to ``targets``.

    Parameters
    ----------
    values : mapping of str to float
        Simulated metric of each target.
    targets : sequence of Target
    weights : mapping of str to float, optional

    Returns
    -------
    float
        See the module docstring.
    """
    total = 0.0
    for t in targets:
        w = (weights or {}).get(t.id, 1.0)
        m = values.get(t.id, math.nan)
        if not math.isfinite(m):
            total += w * PENALTY
            continue
        lo_open, hi_open = t.low <= -1e8, t.high >= 1e8
        if not (lo_open or hi_open):
            c, h = 0.5 * (t.low + t.high), max(0.5 * (t.high - t.low), 1e-12)
            z = (m - c) / h
        else:
            bound = t.high if lo_open else t.low
            s = abs(bound) if bound != 0 else 1.0
            z = max(0.0, (t.low - m) if not lo_open else 0.0,
                    (m - t.high) if not hi_open else 0.0) / s
        total += w * z * z
    return float(total)


@dataclasses.dataclass(repr=False)
class CalibrationResult:
    """Outcome of :func:`calibrate`.

    Attributes
    ----------
    parameters : dict of str to float
        Fitted values.
    start : dict of str to float
        Values of the starting config.
    bounds : dict of str to (float, float)
    targets : pandas.DataFrame
        ``id``, ``low``, ``high``, ``before``, ``after`` (simulated metric at the start and at
        the fit).
    distance_before, distance_after : float
    n_evaluations : int
    history : list of (dict, float)
        Every evaluated point and its distance, in order.
    config : Config
        The starting config with the fitted values applied.
    meta : dict
        Method, n, seed, overrides, run time.
    """

    parameters: dict[str, float]
    start: dict[str, float]
    bounds: dict[str, tuple[float, float]]
    targets: Any
    distance_before: float
    distance_after: float
    n_evaluations: int
    history: list[tuple[dict[str, float], float]]
    config: Any
    meta: dict[str, Any]

    def __repr__(self) -> str:
        """A few lines: what it is, its size and its headline (the distance before and after)."""
        return (f"<alssim CalibrationResult: {len(self.parameters)} parameter(s), "
                f"{len(self.targets)} target(s), {self.n_evaluations} evaluations>\n"
                f"  distance {self.distance_before:.4g} -> {self.distance_after:.4g}; fitted "
                + ", ".join(f"{k} = {v:.4g}" for k, v in self.parameters.items()))

    @property
    def summary(self) -> dict[str, Any]:
        """JSON-ready headline: fitted and starting values, bounds, distances, evaluations and
        the run's meta (method, n, seed, ...)."""
        return {"parameters": dict(self.parameters), "start": dict(self.start),
                "bounds": {k: list(v) for k, v in self.bounds.items()},
                "distance_before": self.distance_before, "distance_after": self.distance_after,
                "n_evaluations": self.n_evaluations, "meta": dict(self.meta)}

    def to_dataframe(self) -> pd.DataFrame:
        """Every evaluated point, in order: one column per parameter and ``distance``."""
        return pd.DataFrame([{**point, "distance": d} for point, d in self.history])

    def plot(self, kind: str | None = None, **kwargs: Any) -> Any:
        """Draw the calibration with the analysis layer (:mod:`alssim.analysis`).

        Parameters
        ----------
        kind : str, optional
            ``"distance"`` (default): the distance at every evaluation and the best so far
            (:func:`~alssim.analysis.plot_calibration`); ``"targets"``: each target before and
            after the fit against its acceptance interval
            (:func:`~alssim.analysis.plot_calibration_targets`).
        **kwargs
            Passed to that function (``ax=``).

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ConfigError
            For an unknown kind (naming the valid ones).
        """
        return _plot(self, kind, **kwargs)

    def save(self, path: str | Path, *, force: bool = False) -> Path:
        """Write the fit to folder ``path``, each file atomically: ``calibration.json`` (the
        fitted, starting and bounding values, distances, every evaluation and the meta),
        ``targets.csv`` (with its schema ``targets.schema.json``), ``config.toml`` (the
        starting config with the fitted values) and ``calibration.md``.
        :func:`load_calibration` reads it back.

        Raises
        ------
        OutputExistsError
            If ``path`` is a non-empty folder and ``force`` is false, or holds a file of one of
            these names that alssim did not write (nothing is touched).
        OutputLockedError
            If another alssim command is writing into ``path``.
        """
        names = ("calibration.json", "calibration.md", "targets.csv", "targets.schema.json",
                 "config.toml")
        with saving_into(path, names, force=force, command="CalibrationResult.save") as folder:
            write_table(folder / "targets.csv", typed_table(self.targets))
            atomic_write_text(folder / "config.toml", self.config.to_toml())
            atomic_write_text(folder / "calibration.md", self.to_markdown())
            data = {"format": CALIBRATION_FORMAT, "format_version": CALIBRATION_FORMAT_VERSION,
                    **self.summary, "history": [[point, d] for point, d in self.history]}
            atomic_write_text(folder / "calibration.json", json.dumps(data, indent=1) + "\n")
        return Path(path)

    def to_markdown(self) -> str:
        """The fit report: parameters and targets before and after."""
        m = self.meta
        lines = [f"# Calibration ({m['method']}, n = {m['n']}, seed {m['seed']}, "
                 f"{self.n_evaluations} evaluations, {m['seconds']:.0f} s)", "",
                 f"Distance {self.distance_before:.4g} -> {self.distance_after:.4g}", "",
                 "| parameter | start | fitted | bounds |", "|---|---|---|---|"]
        for k, v in self.parameters.items():
            lo, hi = self.bounds[k]
            lines.append(f"| `{k}` | {self.start[k]:.6g} | {v:.6g} | [{lo:g}, {hi:g}] |")
        lines += ["", "| target | acceptance | before | after |", "|---|---|---|---|"]
        for r in self.targets.itertuples(index=False):
            lines.append(f"| `{r.id}` | [{r.low:g}, {r.high:g}] | {r.before:.4g} | "
                         f"{r.after:.4g} |")
        return "\n".join(lines) + "\n"


def load_calibration(path: str | Path) -> CalibrationResult:
    """Load a fit saved by :meth:`CalibrationResult.save`.

    Raises
    ------
    ResultFormatError
        If the folder holds no saved fit or a file of it is malformed.
    """
    path = Path(path)
    file = path / "calibration.json"
    try:
        data = read_saved_json(file, CALIBRATION_FORMAT, CALIBRATION_FORMAT_VERSION,
                               "calibration")
        targets = read_table_file(path / "targets.csv")
        toml = (path / "config.toml").read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ResultFormatError(f"{path}: not a saved calibration ({exc.filename} is "
                                "missing)") from None
    except ResultFormatError:
        raise
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise ResultFormatError(f"{path}: unreadable ({exc})") from None
    keys = ("parameters", "start", "bounds", "distance_before", "distance_after",
            "n_evaluations", "meta", "history")
    if any(k not in data for k in keys):
        raise ResultFormatError(f"{file}: not a saved calibration")
    try:
        cfg = config_from_saved(toml, source=str(path / "config.toml"))
        return CalibrationResult(
            parameters={str(k): float(v) for k, v in data["parameters"].items()},
            start={str(k): float(v) for k, v in data["start"].items()},
            bounds={str(k): (float(v[0]), float(v[1])) for k, v in data["bounds"].items()},
            targets=targets, distance_before=float(data["distance_before"]),
            distance_after=float(data["distance_after"]),
            n_evaluations=int(data["n_evaluations"]),
            history=[({str(k): float(v) for k, v in point.items()}, float(d))
                     for point, d in data["history"]],
            config=cfg, meta=dict(data["meta"]))
    except (ConfigError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ResultFormatError(f"{file}: malformed ({exc})") from None


def _get(cfg, key: str) -> float:
    obj = cfg
    for part in key.split("."):
        obj = getattr(obj, part)
    return float(obj)


def calibrate(cfg, parameters: Mapping[str, tuple[float, float]], targets: Sequence[str], *,
              n: int = 300, seed: int = 1, method: str = "nelder-mead", maxiter: int = 40,
              weights: Mapping[str, float] | None = None, overrides: Mapping[str, Any] | None
              = None, workers: int | None = 1, executor: Any = None,
              verbose: bool = False, rng: SeedLike = None) -> CalibrationResult:
    """Fit ``parameters`` of ``cfg`` to the published ``targets``.

    Parameters
    ----------
    cfg : Config
        Starting config (its values are the starting point of Nelder-Mead).
    parameters : mapping of str to (float, float)
        Dotted config keys and their bounds, e.g. ``{"spread.local_growth_rate": (0.1, 0.3)}``.
    targets : sequence of str
        Target ids of ``configs/validation/targets.toml``.
    n : int
        Patients per evaluation.
    seed : int
        Cohort seed, the same at every evaluation (common random numbers), and the seed of
        differential evolution.
    method : {"nelder-mead", "differential_evolution"}
    maxiter : int
        Iterations of the optimiser (Nelder-Mead: function evaluations).
    weights : mapping of str to float, optional
        Weight of each target in the distance.
    overrides : mapping, optional
        Extra simulation overrides on top of the validation settings.
    workers, executor :
        As for :func:`alssim.run_cohort` (default one in-process worker).
    verbose : bool
        Print every evaluation.
    rng : int, SeedSequence or Generator, optional
        Instead of ``seed`` (SPEC 7): an int is the seed; a ``Generator`` gives one integer
        draw and a ``SeedSequence`` the integer of its state, used as ``seed``
        (:func:`alssim.streams.resolve_seed`).

    Returns
    -------
    CalibrationResult

    Raises
    ------
    ConfigError
        For an unknown parameter or target, empty or inverted bounds, or an unknown method.
    """
    if rng is not None:
        seed = seed_from_rng(rng)

    if method not in ("nelder-mead", "differential_evolution"):
        raise ConfigError(f"must be 'nelder-mead' or 'differential_evolution'; got {method!r}",
                          key="method")
    if not parameters:
        raise ConfigError("give at least one parameter to fit", key="parameters")
    all_targets = {t.id: t for t in load_targets()}
    unknown = [t for t in targets if t not in all_targets]
    if unknown:
        raise ConfigError(f"unknown target id(s) {unknown}", key="targets")
    chosen = [all_targets[t] for t in targets]
    keys = list(parameters)
    bounds = {k: (float(parameters[k][0]), float(parameters[k][1])) for k in keys}
    for k, (low, high) in bounds.items():
        if not low < high:
            raise ConfigError(f"bounds must satisfy low < high; got ({low}, {high})", key=k)
    start = {k: _get(cfg, k) for k in keys}  # raises AttributeError for an unknown key
    lo = np.array([bounds[k][0] for k in keys])
    hi = np.array([bounds[k][1] for k in keys])
    base_cfg, ov = validation_config(cfg, dict(overrides or {}))
    history: list[tuple[dict[str, float], float]] = []
    cache: dict[tuple, tuple[float, dict[str, float]]] = {}
    t_start = time.perf_counter()

    def simulate_point(x: np.ndarray) -> tuple[float, dict[str, float]]:
        x = np.clip(x, lo, hi)
        key = tuple(np.round(x, 12))
        if key in cache:
            return cache[key]
        point = {k: float(v) for k, v in zip(keys, x, strict=True)}
        try:
            c = base_cfg.with_overrides(point)
        except ConfigError:  # a cross-field rule of the config refuses the point
            vals = {t.id: math.nan for t in chosen}
            dist = 10.0 * PENALTY * len(chosen)
        else:
            cohort = run_cohort(c, n, seed=seed, executor=executor, workers=workers,
                                progress=False)
            d = prepare(cohort.patients, c.anatomy)
            vals = {t.id: float(METRICS[t.id](d)) for t in chosen}
            dist = distance(vals, chosen, weights)
        history.append((point, dist))
        cache[key] = (dist, vals)
        if verbose:
            print(f"[calibrate] {len(history):3d} D={dist:9.4f} " +
                  " ".join(f"{k.split('.')[-1]}={v:.5g}" for k, v in point.items()), flush=True)
        return dist, vals

    def objective(u: np.ndarray) -> float:
        return simulate_point(lo + np.clip(u, 0.0, 1.0) * (hi - lo))[0]

    x0 = np.array([start[k] for k in keys])
    d0, v0 = simulate_point(x0)
    u0 = np.clip((x0 - lo) / (hi - lo), 0.0, 1.0)
    if method == "nelder-mead":
        simplex = [u0] + [np.clip(u0 + np.where(np.arange(len(keys)) == j,
                                                0.25 if u0[j] < 0.75 else -0.25, 0.0), 0, 1)
                          for j in range(len(keys))]
        optimize.minimize(objective, u0, method="Nelder-Mead",
                          options={"maxfev": maxiter, "initial_simplex": np.array(simplex),
                                   "xatol": 1e-3, "fatol": 1e-3})
    else:
        optimize.differential_evolution(objective, [(0.0, 1.0)] * len(keys), maxiter=maxiter,
                                        seed=seed, polish=False, init="sobol",
                                        popsize=max(4, 2 * len(keys)), x0=u0)
    # the best point evaluated (the optimiser's answer is one of them); cached, no new run
    best_point = min(history, key=lambda h: h[1])[0]
    d1, v1 = simulate_point(np.array([best_point[k] for k in keys]))

    table = pd.DataFrame([{"id": t.id, "low": t.low, "high": t.high, "before": v0[t.id],
                           "after": v1[t.id]} for t in chosen])
    return CalibrationResult(
        parameters=best_point, start=start, bounds=bounds, targets=table,
        distance_before=d0, distance_after=d1, n_evaluations=len(history), history=history,
        config=cfg.with_overrides(best_point),
        meta={"method": method, "n": n, "seed": seed, "overrides": ov,
              "seconds": time.perf_counter() - t_start})
