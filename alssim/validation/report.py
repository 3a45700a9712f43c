"""Compare a cohort with the published figures: the table, the pass rule, report files."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alssim._version import __version__
from alssim.batch import read_table_file, typed_table, write_table
from alssim.cohort import CohortResult, run_cohort
from alssim.config import load_config
from alssim.config.schema import DAYS_PER_MONTH
from alssim.errors import ConfigError, ResultFormatError
from alssim.fileio import atomic_write_text
from alssim.outdir import saving_into
from alssim.plotting import plot as _plot
from alssim.results import read_saved_json
from alssim.streams import SeedLike, seed_from_rng
from alssim.validation import trial_population as _trial
from alssim.validation.metrics import (
    METRICS,
    died_after_cohort_entry,
    limb_onset,
    limb_onset_without_flail,
    prepare,
    trial_enrolled,
)
from alssim.validation.targets import Target, load_targets

__all__ = [
    "VALIDATION_OVERRIDES",
    "ValidationReport",
    "evaluate",
    "load_validation",
    "passes",
    "register_figure_writer",
    "run_validation",
    "validation_config",
    "write_report",
]

#: Simulation settings of the validation cohort (not biology): neuron counts at 2% (the clinical
#: outputs are fractions of pools; scale adds noise, see experiments/validation/README.md), weekly
#: steps, and a 30-year horizon so that slow patients (young, SOD1 non-A4V, flail phenotypes)
#: reach their median survival.
VALIDATION_OVERRIDES: dict[str, Any] = {
    "simulation.scale": 0.02,
    "simulation.dt_days": 7.0,
    # 30 years from biological onset: the slowest patients reach clinical onset late, and a
    # shorter horizon would censor exactly the long survivors the targets are about
    "simulation.horizon_years": 30.0,
}

#: Subgroups smaller than this may pass by their 95% interval overlapping the acceptance
#: interval; every other figure passes only by its point estimate.
#: ``format`` of a saved report's ``report.json``.
REPORT_FORMAT = "alssim.validation-report"
REPORT_FORMAT_VERSION = 1
SMALL_SUBGROUP = 100


def passes(target: Target, estimate: float, low: float, high: float,
           n: int | None = None) -> bool:
    """The pass rule of one figure.

    A figure passes when its point estimate lies inside the acceptance interval. Only a figure
    computed from a subgroup of fewer than :data:`SMALL_SUBGROUP` patients (``n``), or a
    qualitative relation stated "within noise", may instead pass when its 95% interval
    ``[low, high]`` overlaps the acceptance interval. An undefined estimate (NaN) fails.
    """
    if math.isnan(estimate):
        return False
    if target.low <= estimate <= target.high:
        return True
    small = n is not None and n < SMALL_SUBGROUP
    noise = target.kind == "qualitative" and "within noise" in target.relation
    if not (small or noise):
        return False
    lo = estimate if math.isnan(low) else low
    hi = estimate if math.isnan(high) else high
    return lo <= target.high and hi >= target.low


@dataclasses.dataclass(repr=False)
class ValidationReport:
    """Result of a validation.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per target: ``id``, ``what``, ``unit``, ``published``, ``source``, ``low``,
        ``high`` (acceptance), ``n`` (patients the figure is computed from), ``simulated``,
        ``ci_low``, ``ci_high`` (95%), ``passed``.
    n_patients : int
        Patients with a clinical onset (the denominator of every figure).
    meta : dict
        Seed, n, bootstrap resamples, config overrides, date.
    trial_baseline, trial_slopes : pandas.DataFrame or None
        The patients the vital-capacity trial enrols beside the trial's placebo group
        (:func:`alssim.validation.trial_population.baseline_table` and
        :func:`~alssim.validation.trial_population.slope_table`): a description, not
        targets; the report prints them after the table of figures.
    """

    table: Any
    n_patients: int
    meta: dict[str, Any]
    trial_baseline: Any = None
    trial_slopes: Any = None

    @property
    def passed(self) -> bool:
        """True when every figure passes."""
        return bool(self.table["passed"].all())

    @property
    def failures(self) -> list[str]:
        """Ids of the figures that fail."""
        return [str(i) for i in self.table.loc[~self.table["passed"], "id"]]

    @property
    def summary(self) -> dict[str, Any]:
        """JSON-ready headline: figures passed, the failures, patients and the run's meta."""
        return {"passed": int(self.table["passed"].sum()), "figures": len(self.table),
                "failures": self.failures, "n_patients": self.n_patients,
                "meta": {k: v for k, v in self.meta.items() if k != "overrides"}}

    def to_dataframe(self) -> pd.DataFrame:
        """The table of figures (a copy of :attr:`table`)."""
        return self.table.copy()

    def __repr__(self) -> str:
        """A few lines: what it is, its size and its headline."""
        n_pass = int(self.table["passed"].sum())
        text = (f"<alssim ValidationReport: {n_pass} of {len(self.table)} figures within "
                f"tolerance; {self.n_patients} patients, seed {self.meta.get('seed')}>")
        if self.failures:
            text += "\n  outside: " + ", ".join(self.failures)
        return text

    def plot(self, kind: str | None = None, **kwargs: Any) -> Any:
        """Draw the report with the analysis layer (:mod:`alssim.analysis`).

        Parameters
        ----------
        kind : str, optional
            ``"targets"`` (default and only kind): each figure's simulated value and 95%
            interval against its acceptance interval, on one axis, failures marked
            (:func:`~alssim.analysis.plot_validation`).
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
        """Write the report to folder ``path``, each file atomically: ``report.json`` (patients
        and meta), ``validation.csv`` (the table of figures), ``trial_baseline.csv`` and
        ``trial_slopes.csv`` when present (each table with its schema, ``NAME.schema.json``)
        and ``report.md``. :func:`load_validation` reads it back.

        Raises
        ------
        OutputExistsError
            If ``path`` is a non-empty folder and ``force`` is false, or holds a file of one of
            these names that alssim did not write (nothing is touched).
        OutputLockedError
            If another alssim command is writing into ``path``.
        """
        tables = {name: table for name, table in (
            ("validation", self.table), ("trial_baseline", self.trial_baseline),
            ("trial_slopes", self.trial_slopes)) if table is not None}
        names = ["report.json", "report.md", *(f"{n}{ext}" for n in tables
                                               for ext in (".csv", ".schema.json"))]
        with saving_into(path, names, force=force, command="ValidationReport.save") as folder:
            for name, table in tables.items():
                write_table(folder / f"{name}.csv", typed_table(table))
            atomic_write_text(folder / "report.md", self.to_markdown())
            meta = {"format": REPORT_FORMAT, "format_version": REPORT_FORMAT_VERSION,
                    "n_patients": self.n_patients, "meta": self.meta}
            atomic_write_text(folder / "report.json", json.dumps(meta, indent=1) + "\n")
        return Path(path)

    def to_markdown(self) -> str:
        """The report: a header and the table of figures."""
        m = self.meta
        n_pass = int(self.table["passed"].sum())
        lines = [
            "# alssim validation against published ALS cohorts",
            "",
            f"Default cohort: n = {m.get('n')} simulated patients ({self.n_patients} with a "
            f"clinical onset within the horizon), seed {m.get('seed')}, "
            f"alssim {m.get('alssim_version')}, {m.get('date')}.",
            f"Simulation settings: {_fmt_overrides(m.get('overrides', {}))}.",
            *_record_interval_line(m.get("record_interval_days")),
            f"95% intervals: {m.get('n_boot')} bootstrap resamples of patients (seed "
            f"{m.get('seed')}), percentile method. A figure passes when its point estimate "
            "lies inside the acceptance interval fixed in advance in "
            "configs/validation/targets.toml; only a figure from a subgroup of fewer than "
            f"{SMALL_SUBGROUP} patients may pass by its 95% interval overlapping the "
            "acceptance interval, and is marked 'interval overlap, n < "
            f"{SMALL_SUBGROUP}'. Model parameters were calibrated on other seeds (11); this "
            "report is the validation.",
            "",
            f"**{n_pass} of {len(self.table)} figures within tolerance.**",
            "",
            "| figure | published (source) | acceptance | simulated (95% CI) | n | within |",
            "|---|---|---|---|---|---|",
        ]
        for r in self.table.itertuples(index=False):
            t = Target(r.id, r.what, r.unit, r.published, r.source, r.low, r.high)
            unit = f" {r.unit}" if r.unit and r.unit not in ("fraction", "ratio") else ""
            sim = (f"{_num(r.simulated)} ({_num(r.ci_low)}-{_num(r.ci_high)}){unit}")
            inside = (not math.isnan(r.simulated)) and r.low <= r.simulated <= r.high
            verdict = ("yes" if inside else f"yes (interval overlap, n < {SMALL_SUBGROUP})") \
                if r.passed else "**no**"
            lines.append(f"| `{r.id}`: {r.what} | {r.published} ({r.source}) | "
                         f"{t.interval_text()} | {sim} | {r.n} | {verdict} |")
        text = "\n".join(lines) + "\n"
        if self.trial_baseline is not None and self.trial_slopes is not None:
            text += "\n" + _trial.to_markdown(self.trial_baseline, self.trial_slopes)
        return text


def load_validation(path: str | Path) -> ValidationReport:
    """Load a report saved by :meth:`ValidationReport.save` (its tables held as
    :func:`alssim.batch.typed_table` holds them).

    Raises
    ------
    ResultFormatError
        If the folder holds no saved report or a file of it is malformed.
    """
    path = Path(path)
    try:
        meta = read_saved_json(path / "report.json", REPORT_FORMAT, REPORT_FORMAT_VERSION,
                               "validation report")
    except FileNotFoundError:
        raise ResultFormatError(f"{path}: no report.json here; not a saved validation "
                                "report") from None
    if not isinstance(meta.get("n_patients"), int) or not isinstance(meta.get("meta"), dict):
        raise ResultFormatError(f"{path / 'report.json'}: not a saved validation report")
    tables = {}
    for name in ("validation", "trial_baseline", "trial_slopes"):
        file = path / f"{name}.csv"
        if name == "validation" or file.exists():
            try:
                tables[name] = read_table_file(file)
            except (OSError, ValueError, pd.errors.ParserError) as exc:
                raise ResultFormatError(f"{file}: unreadable ({exc})") from None
    return ValidationReport(tables["validation"], meta["n_patients"], meta["meta"],
                            tables.get("trial_baseline"), tables.get("trial_slopes"))


def _num(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if math.isinf(x):
        return "not reached" if x > 0 else "-inf"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"


def _fmt_overrides(o: dict) -> str:
    return ", ".join(f"{k} = {v}" for k, v in o.items()) or "as configured"


def _record_interval_line(days: float | None) -> list[str]:
    """The report's sentence on the time resolution of clinical events (none if unknown)."""
    if days is None:
        return []
    months = days / DAYS_PER_MONTH
    return [f"Clinical onset, region involvement, King's stages and death are read from the "
            f"states recorded every {days:g} days ({months:.2f} months): the time between two "
            f"of them is a whole number of that interval, and a median of such times is one, "
            f"or halfway between two."]


def _in_cohort_records(d, column: str):
    """Patients whose standardised stage time is read (see the metric): died after the records
    of a trial or database cohort begin, and reached the stage."""
    return died_after_cohort_entry(d)[0] & d[column].notna()


_GROUP: dict[str, Callable[[Any], Any]] = {
    "median_survival_limb": limb_onset_without_flail,
    "median_survival_bulbar": lambda d: d["site"] == "bulbar",
    "survival_age_le50": lambda d: d["age_onset"] <= 50,
    "survival_age_51_60": lambda d: (d["age_onset"] > 50) & (d["age_onset"] <= 60),
    "survival_age_61_70": lambda d: (d["age_onset"] > 60) & (d["age_onset"] <= 70),
    "survival_age_ge71": lambda d: d["age_onset"] > 70,
    "onset_to_second_region": lambda d: d["second_region"].notna(),
    "onset_to_second_region_upper_limb": lambda d: (d["site"] == "upper_limb")
    & d["second_region"].notna(),
    "onset_to_second_region_lower_limb": lambda d: (d["site"] == "lower_limb")
    & d["second_region"].notna(),
    "onset_to_second_region_bulbar": lambda d: (d["site"] == "bulbar")
    & d["second_region"].notna(),
    "first_spread_contralateral_ratio": lambda d: d["spread_contra"].notna(),
    "bulbar_to_legs": lambda d: d["legs_before_arms"].notna(),
    "lumbar_to_bulbar": lambda d: d["bulbar_before_arms"].notna(),
    "alsfrs_decline_median": lambda d: d["dfs"].notna(),
    "alsfrs_decline_spread": lambda d: d["dfs"].notna(),
    "munix_decline": lambda d: d["munix_decline"].notna(),
    "vital_capacity_decline": trial_enrolled,
    "mune_decline": lambda d: d["mune_decline"].notna(),
    "regions_preserved_at_breathing_limb": lambda d: limb_onset(d)
    & d["regions_preserved_at_breathing"].notna(),
    "regions_preserved_at_breathing_bulbar": lambda d: (d["site"] == "bulbar")
    & d["regions_preserved_at_breathing"].notna(),
    "units_lost_before_cmap_falls": lambda d: d["units_lost_cmap"].notna(),
    "neuron_loss_shape": lambda d: d["hazard_slope"].notna(),
    "survival_flail_arm": lambda d: d["phenotype"] == "flail_arm",
    "survival_flail_leg": lambda d: d["phenotype"] == "flail_leg",
    "survival_pma": lambda d: d["phenotype"] == "pma",
    "survival_sod1_a4v": lambda d: d["genotype"] == "sod1_a4v",
    "survival_sod1_other": lambda d: d["genotype"] == "sod1_other",
    "survival_c9orf72_vs_sporadic": lambda d: d["genotype"] == "c9orf72",
    "survival_fus": lambda d: d["genotype"] == "fus",
    **{f"kings_{k}_standardised": functools.partial(_in_cohort_records, column=f"kings_{k}")
       for k in ("2", "3", "4a", "4b")},
}


def evaluate(patients, targets: Sequence[Target] | None = None, *, anatomy=None,
             n_boot: int = 400, seed: int = 0, ids: Sequence[str] | None = None,
             prepared: bool = False):
    """Every target's simulated value with a 95% bootstrap interval, and pass or fail.

    Parameters
    ----------
    patients : pandas.DataFrame or CohortResult
        The cohort's patient table (or a table already passed through :func:`prepare` with
        ``prepared=True``).
    targets : sequence of Target, optional
        Default :func:`load_targets`.
    anatomy : Anatomy, optional
        The cohort's anatomy; default taken from a CohortResult's config, else the default.
    n_boot : int
        Bootstrap resamples; 0 gives no interval (the estimate only).
    seed : int
        Seed of the bootstrap.
    ids : sequence of str, optional
        Only these targets.
    prepared : bool
        ``patients`` is already a prepared table.

    Returns
    -------
    ValidationReport
    """

    targets = list(targets) if targets is not None else load_targets()
    if ids is not None:
        unknown = set(ids) - {t.id for t in targets}
        if unknown:
            raise ConfigError(f"unknown target id(s) {sorted(unknown)}", key="targets")
        targets = [t for t in targets if t.id in set(ids)]
    table = patients
    if hasattr(patients, "patients"):
        anatomy = anatomy if anatomy is not None else patients.config.anatomy
        table = patients.patients
    d = table if prepared else prepare(table, anatomy)
    funcs = []
    for t in targets:
        if t.id not in METRICS:
            raise ConfigError(f"no metric computes target {t.id!r}; known: "
                              f"{', '.join(sorted(METRICS))}", key="targets")
        funcs.append(METRICS[t.id])
    est = np.array([f(d) for f in funcs], dtype=float)
    boot = np.full((n_boot, len(funcs)), np.nan)
    rng = np.random.default_rng(seed)
    n = len(d)
    for b in range(n_boot):
        r = d.iloc[rng.integers(0, n, n)] if n else d
        boot[b] = [f(r) for f in funcs]
    rows = []
    for j, t in enumerate(targets):
        v = boot[:, j]
        v = v[~np.isnan(v)]
        lo, hi = (np.quantile(v, [0.025, 0.975], method="inverted_cdf") if v.size
                  else (math.nan, math.nan))
        group = _GROUP.get(t.id)
        n_used = int(group(d).sum()) if group is not None else n
        if t.id.startswith("share_") and t.id not in ("share_flail_arm",):
            n_used = n
        rows.append({"id": t.id, "what": t.what, "unit": t.unit, "published": t.published,
                     "source": t.source, "low": t.low, "high": t.high, "kind": t.kind,
                     "n": n_used, "simulated": float(est[j]), "ci_low": float(lo),
                     "ci_high": float(hi),
                     "passed": passes(t, float(est[j]), float(lo), float(hi), n_used)})

    meta = {"n_boot": n_boot, "seed": seed, "alssim_version": __version__,
            "date": _dt.date.today().isoformat()}
    return ValidationReport(pd.DataFrame(rows), n, meta, trial_baseline=_trial.baseline_table(d),
                            trial_slopes=_trial.slope_table(d))


def validation_config(config=None, overrides: dict[str, Any] | None = None):
    """The config of the validation cohort: ``config`` (default the shipped default) with
    :data:`VALIDATION_OVERRIDES` and then ``overrides`` applied."""

    ov = {**VALIDATION_OVERRIDES, **(overrides or {})}
    if config is None:
        return load_config(overrides=ov), ov
    return config.with_overrides(ov), ov


def run_validation(config=None, *, n: int = 2000, seed: int = 1, workers: int | None = None,
                   executor: Any = None, n_boot: int = 400, overrides: dict | None = None,
                   targets: Sequence[Target] | None = None, progress: bool = False,
                   rng: SeedLike = None) -> tuple[ValidationReport, CohortResult]:
    """Simulate the validation cohort and compare it with the published figures.

    Parameters
    ----------
    config : Config, optional
        Base config (default: the shipped default).
    n : int
        Patients.
    seed : int
        Cohort and bootstrap seed.
    workers, executor :
        As for :func:`alssim.run_cohort`.
    n_boot : int
        Bootstrap resamples.
    overrides : dict, optional
        Extra dotted-key overrides on top of :data:`VALIDATION_OVERRIDES`.
    targets : sequence of Target, optional
    progress : bool
    rng : int, SeedSequence or Generator, optional
        Instead of ``seed`` (SPEC 7): an int is the seed; a ``Generator`` gives one integer
        draw and a ``SeedSequence`` the integer of its state, which the report records as
        its seed (:func:`alssim.streams.resolve_seed`).

    Returns
    -------
    (ValidationReport, CohortResult)
    """

    if rng is not None:
        seed = seed_from_rng(rng)
    cfg, ov = validation_config(config, overrides)
    cohort = run_cohort(cfg, n, seed=seed, executor=executor, workers=workers,
                        progress=progress)
    report = evaluate(cohort, targets, n_boot=n_boot, seed=seed)
    sim = cfg.simulation
    report.meta.update(n=n, seed=seed, overrides=ov,
                       record_interval_days=sim.steps_per_output * sim.dt_days)
    return report, cohort


#: Draws a cohort's figures into a folder and returns their paths
#: (:func:`alssim.analysis.cohort_figures`). The analysis layer sits above this one, so it is
#: handed in rather than imported: ``alssim/__init__.py`` registers it when the package is
#: imported.
_figure_writer: Callable[..., list[Path]] | None = None


def register_figure_writer(writer: Callable[..., list[Path]]) -> None:
    """Set the function :func:`write_report` draws a cohort's figures with
    (``alssim.analysis.cohort_figures``: ``writer(cohort, folder, force=True)``)."""
    global _figure_writer
    _figure_writer = writer


def write_report(report: ValidationReport, out: str | Path, cohort=None, *,
                 figures: bool = True, force: bool = False) -> list[Path]:
    """Write ``report.md``, ``validation.csv`` and (with a cohort) figures to ``out``.

    The figures are drawn by the writer :func:`register_figure_writer` was given
    (``alssim.analysis.cohort_figures``, registered when ``alssim`` is imported).

    Returns
    -------
    list of Path
        The files written.
    """

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    md = report.to_markdown()
    paths = []
    if cohort is not None and figures:
        if _figure_writer is None:
            raise RuntimeError("no figure writer registered: import alssim (it registers "
                               "alssim.analysis.cohort_figures) or pass figures=False")
        paths = _figure_writer(cohort, out / "figures", force=True)
        written += paths
        md += "\n## Figures\n\n" + "".join(f"![{p.stem}](figures/{p.name})\n\n" for p in paths)
    atomic_write_text(out / "report.md", md)
    atomic_write_text(out / "validation.csv", report.table.to_csv(index=False))
    written += [out / "report.md", out / "validation.csv"]
    return written
