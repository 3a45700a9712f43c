"""The result of a virtual trial: its tables, summary, saving and loading."""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alssim.batch import read_table_file, write_table
from alssim.config.loader import dumps_toml, load_config
from alssim.fileio import atomic_write_text, prepare_output_dir
from alssim.plotting import plot as _plot
from alssim.trials.spec import TrialSpec, load_trial

__all__ = ["TrialResult"]


# --------------------------------------------------------------------------- result
@dataclasses.dataclass(eq=False, repr=False)
class TrialResult:
    """Outcome of :func:`run_trial`.

    Attributes
    ----------
    spec : TrialSpec
        The effective specification (arguments of :func:`run_trial` applied).
    config : Config
        The model config patients derive from.
    patients : pandas.DataFrame
        One row per replicate, trial size, patient and arm: ``replicate``, ``patients`` (trial
        size), ``patient`` (screening index), ``seed``, ``arm``, attributes, baseline at entry
        (ALSFRS-R, FVC, King's stage, revised El Escorial category),
        ``alsfrs_r_change`` (at the endpoint week), ``alsfrs_r_slope`` (points/month),
        ``survival_months`` and ``death``, ``kings_months`` and ``kings_event`` (from entry).
        Only the largest trial size is listed (smaller ones are its first patients).
    analyses : pandas.DataFrame
        One row per replicate, trial size, treated arm and endpoint: ``effect`` (difference
        treated - control for ALSFRS-R; hazard ratio for the survival endpoints), ``lower``,
        ``upper``, ``pvalue`` (never 0: one that underflows is given as
        :data:`alssim.survival.P_FLOOR`, 1e-300), ``n_control``, ``n_treated`` and, for survival,
        the Kaplan-Meier medians (``median_control``, ``median_treated``; months from entry).
    power : pandas.DataFrame
        Per trial size, treated arm and endpoint: ``power`` (share of replicates with
        ``p < alpha``), ``mean_effect``, ``replicates``.
    screening : dict
        Candidates screened, eligible, and the reasons for exclusion.
    summary : dict
        JSON-ready headline: design, screening, and per arm and endpoint the mean effect over
        replicates (and its spread) at the largest size, and power at each size. With one
        replicate, also its limits, ``pvalue`` (six significant digits, never 0) and
        ``pvalue_text`` for reports (``"p = 0.0123"``, ``"p < 1e-300"``).
    """

    spec: TrialSpec
    config: Any
    patients: Any
    analyses: Any
    power: Any
    screening: dict[str, Any]
    summary: dict[str, Any]

    def effect(self, endpoint: str, arm: str | None = None, patients: int | None = None,
               stat: str = "effect") -> float:
        """Mean over replicates of one column of :attr:`analyses` (default the largest size)."""
        a = self.analyses
        n = max(a["patients"]) if patients is None else patients
        arm = arm or next(k for k in self.spec.arms if k != self.spec.trial.control)
        sel = a[(a["endpoint"] == endpoint) & (a["arm"] == arm) & (a["patients"] == n)]
        return float(np.nanmean(sel[stat].to_numpy(dtype=float)))

    def __repr__(self) -> str:
        """A few lines: what it is, its size and its headline (the first endpoint's effect)."""
        a = self.analyses
        arms = [k for k in self.spec.arms if k != self.spec.trial.control]
        lines = [f"<alssim TrialResult {self.spec.trial.name!r}: arms {', '.join(self.spec.arms)}, "
                 f"{int(a['replicate'].nunique()) if len(a) else 0} replicate(s), sizes "
                 f"{sorted(set(int(x) for x in a['patients']))}>"]
        if len(a) and arms:
            endpoint = str(a["endpoint"].iloc[0])
            with warnings.catch_warnings():  # no replicate estimable: NaN, said in words
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = self.effect(endpoint, arms[0])
            effect = f"mean effect {mean:.3g}" if np.isfinite(mean) else "no estimable effect"
            lines.append(f"  {endpoint}, {arms[0]} vs {self.spec.trial.control}: {effect}")
        return "\n".join(lines)

    def to_dataframe(self) -> pd.DataFrame:
        """The analyses, one row per replicate, trial size, treated arm and endpoint (a copy of
        :attr:`analyses`)."""
        return self.analyses.copy()

    def plot(self, kind: str | None = None, **kwargs: Any) -> Any:
        """Draw a figure of the trial with the analysis layer (:mod:`alssim.analysis`).

        Parameters
        ----------
        kind : str, optional
            ``"survival"`` (default and only kind): Kaplan–Meier survival from entry by arm,
            with the hazard ratio and log-rank p (:func:`~alssim.analysis.plot_trial_survival`).
        **kwargs
            Passed to that function: ``replicate=`` (default 0; ``None`` pools them), ``alpha=``
            and ``ax=``.

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ConfigError
            For an unknown kind (naming the valid ones).
        """
        return _plot(self, kind, **kwargs)

    @classmethod
    def load(cls, path: str | Path) -> TrialResult:
        """Read a folder written by :meth:`save`.

        Raises
        ------
        FileNotFoundError
            If a file of the folder is missing.
        """
        path = Path(path)
        summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
        return cls(spec=load_trial(path / "trial.toml"),
                   config=load_config(path / "config.toml"),
                   patients=read_table_file(path / "patients.csv"),
                   analyses=read_table_file(path / "analyses.csv"),
                   power=read_table_file(path / "power.csv"),
                   screening=summary.get("screening", {}), summary=summary)

    def save(self, path: str | Path, *, force: bool = False) -> Path:
        """Write ``patients.csv``, ``analyses.csv``, ``power.csv`` (each with its schema,
        ``NAME.schema.json``, :func:`alssim.batch.write_table`), ``summary.json``,
        ``trial.toml`` and ``config.toml`` to folder ``path`` (each atomically).

        Raises
        ------
        OutputExistsError
            If ``path`` is a non-empty folder and ``force`` is false.
        """

        path = prepare_output_dir(path, force=force)
        for name in ("patients", "analyses", "power"):  # each with its schema
            write_table(path / f"{name}.csv", getattr(self, name))
        atomic_write_text(path / "trial.toml", dumps_toml(self.spec.to_dict()))
        atomic_write_text(path / "config.toml", self.config.to_toml())
        atomic_write_text(path / "summary.json",
                          json.dumps(self.summary, indent=2, allow_nan=False) + "\n")
        return path
