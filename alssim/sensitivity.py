"""Global sensitivity analysis of sweep outputs: Sobol' and Morris indices (via SALib).

Run a sweep with ``method="sobol"`` (Saltelli's design) or ``method="morris"`` (Morris
trajectories), then :func:`analyze` its table::

    result = alssim.sweep(cfg, {"spread.contralateral_rate": {"low": 0.01, "high": 0.1},
                                "mechanisms.pathology.hazard_rate": {"low": 0.03, "high": 0.12}},
                          method="sobol", n=64, replicates=2, seed=1)
    from alssim.sensitivity import analyze
    indices = analyze(result, outputs=["loss_months.lmn:bulbar:left.lost_50"])

Replicates of one design point are averaged before the analysis (so the indices describe the
expected output; stochastic noise adds to the confidence intervals, not to the indices' bias).
Parameters swept on a log scale are analysed in log space. SALib is an optional dependency:
``pip install 'alssim[sensitivity]'``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from alssim.errors import AlssimError, ConfigError
from alssim.fields import nearest_key

__all__ = ["analyze", "missing_salib"]

_LEADING = ("run_id", "point", "replicate", "seed")


def missing_salib() -> AlssimError:
    """The error raised when SALib is needed but not installed."""
    return AlssimError("Sobol and Morris sensitivity analysis need SALib; install it with "
                       "`pip install 'alssim[sensitivity]'`")


def _output_columns(table: pd.DataFrame, meta: Mapping[str, Any],
                    outputs: Sequence[str] | None) -> list[str]:
    skip = set(_LEADING) | {a["key"] for a in meta["axes"]}
    numeric = [c for c in table.columns if c not in skip and not c.startswith(("exposure.",
                                                                              "rel_"))
               and c not in ("age_years", "speed")
               and pd.api.types.is_numeric_dtype(table[c]) and not pd.api.types.is_bool_dtype(
                   table[c])]
    if outputs is None:
        return numeric
    cols: list[str] = []
    for pat in outputs:
        hits = [c for c in numeric if fnmatch.fnmatchcase(c, pat)]
        if not hits:
            hint = nearest_key(pat, numeric)
            extra = f"; did you mean '{hint}'?" if hint else ""
            raise ConfigError(f"no numeric output of the sweep matches {pat!r}{extra}",
                              key="outputs")
        cols.extend(c for c in hits if c not in cols)
    return cols


def analyze(
    table: Any,
    outputs: Sequence[str] | None = None,
    *,
    meta: Mapping[str, Any] | None = None,
    on_missing: str = "raise",
    num_resamples: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """Sobol' or Morris sensitivity indices of sweep outputs.

    Parameters
    ----------
    table : SweepResult or pandas.DataFrame
        A sweep made with ``method="sobol"`` or ``"morris"`` (:func:`alssim.sweep`), or its
        runs table.
    outputs : sequence of str, optional
        Output columns (names or glob patterns); default every numeric output.
    meta : dict, optional
        The design description; default the sweep's ``design`` (a table's
        ``attrs["sweep"]``, set by :func:`alssim.sweep` and :func:`alssim.sweeps.load_runs`).
    on_missing : {"raise", "skip"}
        What to do with an output that has missing values (e.g. a milestone not reached within
        the horizon): raise :class:`ConfigError` naming it, or leave it out.
    num_resamples : int
        Bootstrap resamples for the confidence intervals.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    pandas.DataFrame
        One row per (output, parameter). Sobol: ``S1``, ``S1_conf``, ``ST``, ``ST_conf``.
        Morris: ``mu``, ``mu_star``, ``sigma``, ``mu_star_conf``. ``attrs["skipped"]`` lists
        outputs left out for missing values.

    Raises
    ------
    ConfigError
        If the table was not made by a Sobol or Morris design, an output is unknown, or has
        missing values with ``on_missing="raise"``.
    AlssimError
        If SALib is not installed.
    """
    if not isinstance(table, pd.DataFrame):  # a SweepResult (alssim.sweeps imports this module)
        meta = meta if meta is not None else table.design
        table = table.runs
    meta = meta if meta is not None else table.attrs.get("sweep")
    if not meta or meta.get("method") not in ("sobol", "morris"):
        got = meta.get("method") if meta else None
        raise ConfigError(f"sensitivity indices need a sweep made with method 'sobol' or "
                          f"'morris'; this one used {got!r}", key="method")
    if on_missing not in ("raise", "skip"):
        raise ConfigError(f"must be 'raise' or 'skip'; got {on_missing!r}", key="on_missing")
    try:
        from SALib.analyze import morris as morris_analyze
        from SALib.analyze import sobol as sobol_analyze
    except ImportError:
        raise missing_salib() from None
    names = [a["key"] for a in meta["axes"]]
    problem = {"num_vars": len(names), "names": names,
               "bounds": [[a["low"], a["high"]] if a.get("scale", "linear") == "linear"
                          else [float(np.log(a["low"])), float(np.log(a["high"]))]
                          for a in meta["axes"]]}
    cols = _output_columns(table, meta, outputs)
    means = table.groupby("point", sort=True)[cols].mean()
    first = table.groupby("point", sort=True)[names].first()
    x = np.column_stack([
        np.log(first[a["key"]].to_numpy(dtype=float)) if a.get("scale") == "log"
        else first[a["key"]].to_numpy(dtype=float) for a in meta["axes"]])
    expected = {"sobol": lambda n: n * (len(names) + 2),
                "morris": lambda n: n * (len(names) + 1)}[meta["method"]](meta["n"])
    if len(means) != expected or list(means.index) != list(range(expected)):
        raise ConfigError(f"the table has {len(means)} design points but the design has "
                          f"{expected}; analyse the complete sweep table", key="point")
    rows = []
    skipped = []
    for col in cols:
        y = means[col].to_numpy(dtype=float)
        if not np.all(np.isfinite(y)):
            if on_missing == "skip":
                skipped.append(col)
                continue
            raise ConfigError(f"has {int((~np.isfinite(y)).sum())} design points without a "
                              "value (e.g. a milestone not reached within the horizon); choose "
                              "another output or lengthen simulation.horizon_years", key=col)
        if meta["method"] == "sobol":
            res = sobol_analyze.analyze(problem, y, calc_second_order=False,
                                        num_resamples=num_resamples, seed=seed + 1)
            for i, name in enumerate(names):
                rows.append({"output": col, "parameter": name,
                             "S1": float(res["S1"][i]), "S1_conf": float(res["S1_conf"][i]),
                             "ST": float(res["ST"][i]), "ST_conf": float(res["ST_conf"][i])})
        else:
            res = morris_analyze.analyze(problem, x, y, num_resamples=num_resamples,
                                         num_levels=4, seed=seed + 1)
            for i, name in enumerate(names):
                rows.append({"output": col, "parameter": name, "mu": float(res["mu"][i]),
                             "mu_star": float(res["mu_star"][i]),
                             "sigma": float(res["sigma"][i]),
                             "mu_star_conf": float(res["mu_star_conf"][i])})
    out = pd.DataFrame(rows)
    out.attrs["skipped"] = skipped
    return out
