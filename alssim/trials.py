"""Virtual randomised clinical trials of the treatments of :mod:`alssim.interventions`.

A trial (a ``TRIAL.toml``, see ``configs/trials/``) names a model config, the arms (treatments and
randomisation ratio), entry criteria, a visit schedule and the endpoints. :func:`run_trial`:

1. **Screening.** Candidate ``k`` is a virtual patient of the model's ``[cohort]`` tables with seed
   ``derive_seed(trial seed, k)``: its attributes are drawn (a genotype criterion is checked
   before anything is simulated), it is simulated *untreated*, and the entry criteria are read
   from its clinical course at entry (diagnosis or clinical onset, plus a delay): every ALSFRS-R
   item, FVC, disease duration, total and bulbar domain, genotype, the revised El Escorial
   category, and the decline over a run-in period. Screening goes on, in index order, until
   enough patients are eligible, so the eligible set depends only on the seed.
2. **Randomisation.** Each replicate trial takes its eligible patients (by default a block of its
   own: replicates are independent trials; with ``population = P`` each replicate draws its
   patients from a virtual population of ``P`` eligible patients) and assigns arms by permuted
   blocks of the randomisation ratio. With ``crn = true`` (common random numbers) every patient is
   in every arm instead: the same virtual patient, once untreated and once treated, so the arms
   have identical baselines and the contrast is paired.
3. **Treatment.** A patient in a treated arm is simulated again with the same seed, the arm's
   treatments starting at entry. Both runs are identical up to entry (common random numbers), so
   the control run is the patient's placebo course and the baseline is shared. An arm whose
   treatments cannot act (all multipliers 1, or tofersen in a non-carrier) reuses the control run.
4. **Endpoints.** At visits every ``interval_weeks`` from entry (the first record at or after the
   visit; a patient dead by a visit has no score): ALSFRS-R change from baseline at
   ``endpoint_week`` (mean difference with Welch's t confidence interval and p value, or a paired
   t test with ``crn``; patients dead before the endpoint are left out, as in a complete-case
   analysis), the per-patient least-squares ALSFRS-R slope over the follow-up (same tests),
   survival from entry (Kaplan-Meier medians, log-rank p, Cox hazard ratio; censored at
   ``survival_weeks`` or the horizon) and King's progression (time to the next King's stage or
   death: log-rank, Cox). Power is the share of replicates with ``p < alpha``; with several trial
   sizes, the smaller trials of a replicate are the first patients of its randomisation list.

>>> import alssim
>>> res = alssim.run_trial("configs/trials/riluzole.toml", patients=20, executor="serial",
...                        overrides={"simulation.scale": 0.01})  # doctest: +SKIP
>>> res.analyses[["arm", "endpoint", "effect", "pvalue"]]  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from alssim.anatomy import ALSFRS_ITEMS
from alssim.batch import derive_seed
from alssim.clinical.diagnosis import EL_ESCORIAL_LABELS
from alssim.config.cohort import GENOTYPES
from alssim.config.loader import config_from_text, dumps_toml, load_config, read_toml
from alssim.config.schema import DAYS_PER_MONTH
from alssim.engine import simulate_batch
from alssim.errors import ConfigError
from alssim.executors import BackendLostError, local_workers, resolve_executor, run_tasks
from alssim.fields import build, nearest_key, param, section, to_dict
from alssim.fileio import atomic_write_text, prepare_output_dir
from alssim.interventions import (
    CLINICAL_TREATMENTS,
    TREATMENTS,
    effective_multiplier,
    event_time,
    with_treatments,
)
from alssim.patients import derive_config, sample_patient
from alssim.resources import check_batch_memory
from alssim.streams import stream
from alssim.survival import (
    P_FLOOR,
    cox_hazard_ratio,
    format_pvalue,
    kaplan_meier,
    logrank_test,
    pvalue_floor,
)

__all__ = [
    "ENDPOINTS",
    "Arm",
    "Entry",
    "TrialResult",
    "TrialSettings",
    "TrialSpec",
    "Visits",
    "load_trial",
    "run_trial",
]

WEEK = 7.0 / DAYS_PER_MONTH  # months
#: Endpoints analysed for every treated arm against the control arm.
ENDPOINTS = ("alsfrs_r_change", "alsfrs_r_slope", "survival", "kings_progression")


@section
class TrialSettings:
    """``[trial]``: identity, size, seed and design options."""

    name: str = param("", "short name of the trial")
    description: str = param("", "what the trial reproduces, in a sentence")
    config: str = param("", "model config: a path relative to this file, or '' for the "
                        "packaged defaults")
    control: str = param("", "name of the control arm (one of the [arms] tables)")
    patients: tuple[int, ...] = param("patients", "patients randomised per trial (all arms); "
                                      "several values give power against sample size",
                                      low=2, high=1_000_000)
    replicates: int = param("", "replicated trials (independent unless population > 0)",
                            low=1, high=100_000)
    seed: int = param("", "trial seed", low=0, high=2**63 - 1)
    crn: bool = param("", "common random numbers: every patient in every arm (paired)")
    population: int = param("patients", "eligible virtual patients the replicates draw from; "
                            "0 = fresh patients for every replicate", low=0, high=10_000_000)
    alpha: float = param("1", "two-sided significance level", low=0.0, high=1.0, low_open=True,
                         high_open=True)
    max_screened: int = param("patients", "give up when this many candidates were screened "
                              "without enough eligible ones", low=1, high=100_000_000)


@section
class Entry:
    """``[entry]``: when patients enter and who is eligible (read on the untreated course)."""

    at: str = param("", "entry event (read on the untreated course)",
                    choices=("clinical_onset", "diagnosis", "kings_4a", "kings_4b"))
    delay_months: float = param("month", "entry this long after the event", low=0.0,
                                high=600.0)
    min_item_score: int = param("points", "every ALSFRS-R item at least this at entry",
                                low=0, high=4)
    min_alsfrs_r: int = param("points", "ALSFRS-R total at least", low=0, high=48)
    max_alsfrs_r: int = param("points", "ALSFRS-R total at most", low=0, high=48)
    min_bulbar_domain: int = param("points", "ALSFRS-R bulbar domain at least", low=0, high=12)
    max_bulbar_domain: int = param("points", "ALSFRS-R bulbar domain at most", low=0, high=12)
    min_fvc_percent: float = param("% predicted", "FVC at least", low=0.0, high=200.0)
    max_fvc_percent: float = param("% predicted", "FVC at most", low=0.0, high=200.0)
    max_disease_months: float = param("month", "clinical onset to entry at most", low=0.0,
                                      high=1200.0)
    genotypes: tuple[str, ...] = param("", "genotypes admitted; empty = any",
                                       choices=GENOTYPES)
    min_el_escorial: str = param(
        "", "least revised El Escorial category at entry, in the order none < possible < "
        "probable_laboratory_supported < probable < definite; 'none' = any (optional, default "
        "'none')", choices=EL_ESCORIAL_LABELS)
    run_in_weeks: float = param("week", "observation period before entry; 0 = none",
                                low=0.0, high=520.0)
    run_in_min_decline: float = param("points", "ALSFRS-R fall over the run-in at least",
                                      low=-48.0, high=48.0)
    run_in_max_decline: float = param("points", "ALSFRS-R fall over the run-in at most",
                                      low=-48.0, high=48.0)

    def _check(self, prefix: str, source: str | None) -> None:
        for lo, hi in (("min_alsfrs_r", "max_alsfrs_r"),
                       ("min_bulbar_domain", "max_bulbar_domain"),
                       ("min_fvc_percent", "max_fvc_percent"),
                       ("run_in_min_decline", "run_in_max_decline")):
            if getattr(self, lo) > getattr(self, hi):
                raise ConfigError(f"must not exceed {prefix}.{hi} ({getattr(self, hi):g}); got "
                                  f"{getattr(self, lo):g}", key=f"{prefix}.{lo}", source=source)


@section
class Visits:
    """``[visits]``: the schedule and the follow-up."""

    interval_weeks: float = param("week", "between visits", low=0.0, high=520.0, low_open=True)
    follow_up_weeks: float = param("week", "last visit after entry", low=0.0, high=5200.0,
                                   low_open=True)
    endpoint_week: float = param("week", "week of the ALSFRS-R change endpoint", low=0.0,
                                 high=5200.0, low_open=True)
    survival_weeks: float = param("week", "survival and King's follow-up from entry; 0 = to "
                                  "the end of the horizon", low=0.0, high=5200.0)

    def _check(self, prefix: str, source: str | None) -> None:
        if self.endpoint_week > self.follow_up_weeks:
            raise ConfigError(f"must not exceed {prefix}.follow_up_weeks "
                              f"({self.follow_up_weeks:g}); got {self.endpoint_week:g}",
                              key=f"{prefix}.endpoint_week", source=source)


@section
class Arm:
    """``[arms.NAME]``: the treatments of one arm, started at entry, and its share."""

    ratio: int = param("", "randomisation weight (e.g. 2 and 1 for 2:1)", low=1, high=100)
    start_weeks: float = param("week", "treatments start this long after entry (a delayed-start "
                               "arm)", low=0.0, high=5200.0)
    treatments: tuple[str, ...] = param("", "treatments started at entry (names of "
                                        "[interventions] tables)", choices=TREATMENTS)


@dataclasses.dataclass(frozen=True)
class TrialSpec:
    """A validated trial specification.

    Attributes
    ----------
    trial : TrialSettings
    entry : Entry
    visits : Visits
    arms : dict of str to Arm
        In file order; ``trial.control`` names the control arm.
    model : dict
        Dotted-key overrides of the model config (``[model]`` table).
    source : str or None
        File the spec came from.
    """

    trial: TrialSettings
    entry: Entry
    visits: Visits
    arms: dict[str, Arm]
    model: dict[str, Any]
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain ``dict`` (TOML-ready) of the spec."""
        return {"trial": to_dict(self.trial), "entry": to_dict(self.entry),
                "visits": to_dict(self.visits),
                "arms": {k: to_dict(v) for k, v in self.arms.items()}, "model": dict(self.model)}

    def model_config(self, overrides: Mapping[str, Any] | None = None):
        """The model :class:`~alssim.config.Config` (its ``[model]`` and extra overrides)."""

        path = None
        if self.trial.config:
            path = Path(self.trial.config)
            if not path.is_absolute() and self.source is not None:
                path = Path(self.source).parent / path
        ov = {**self.model, **dict(overrides or {})}
        return load_config(path, overrides=ov or None)


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, Mapping) and k != "anatomy":
            out.update(_flatten(v, key))
        else:
            out[key] = v
    return out


#: ``[entry]`` keys a trial file may leave out, with the value they then take.
_ENTRY_OPTIONAL: dict[str, Any] = {"min_el_escorial": "none"}


def spec_from_dict(data: Mapping[str, Any], source: str | None = None) -> TrialSpec:
    """Validate a parsed trial TOML; :class:`ConfigError` names the full key of any problem.

    Every key is required except those of ``_ENTRY_OPTIONAL`` (``entry.min_el_escorial``, default
    ``"none"``), so trial files written before that criterion existed still load.
    """
    if not isinstance(data, Mapping):
        raise ConfigError("a trial spec must be a table", source=source)
    valid = ("trial", "entry", "visits", "arms", "model")

    for k in data:
        if k not in valid:
            hint = nearest_key(k, valid)
            msg = f"unknown key; did you mean '{hint}'?" if hint else (
                "unknown key; valid tables are " + ", ".join(valid))
            raise ConfigError(msg, key=k, source=source)
    for k in ("trial", "entry", "visits", "arms"):
        if k not in data:
            raise ConfigError("missing table", key=k, source=source)
    trial = build(TrialSettings, data["trial"], prefix="trial", source=source)
    entry_data = data["entry"]
    if isinstance(entry_data, Mapping):
        entry_data = {**_ENTRY_OPTIONAL, **entry_data}
    entry = build(Entry, entry_data, prefix="entry", source=source)
    visits = build(Visits, data["visits"], prefix="visits", source=source)
    arms_data = data["arms"]
    if not isinstance(arms_data, Mapping) or len(arms_data) < 2:
        raise ConfigError("must hold at least two [arms.NAME] tables", key="arms", source=source)
    arms = {str(name): build(Arm, v, prefix=f"arms.{name}", source=source)
            for name, v in arms_data.items()}
    if trial.control not in arms:
        hint = nearest_key(trial.control, list(arms))
        extra = f" (did you mean {hint!r}?)" if hint else ""
        raise ConfigError(f"must name one of the arms: {', '.join(arms)}; got "
                          f"{trial.control!r}{extra}", key="trial.control", source=source)
    model = data.get("model", {})
    if not isinstance(model, Mapping):
        raise ConfigError(f"must be a table; got {model!r}", key="model", source=source)
    return TrialSpec(trial, entry, visits, arms, _flatten(model), source)


def load_trial(path: str | Path) -> TrialSpec:
    """Read and validate a trial TOML file."""

    return spec_from_dict(read_toml(path), source=str(path))


# --------------------------------------------------------------------------- worker side
def _record_at(t: np.ndarray, when: float) -> int:
    return int(np.searchsorted(t, when - 1e-9, side="left"))


def _course_outcomes(course, entry_t: float, visits: dict) -> dict[str, Any]:
    """Visit scores and event times of one course, from entry."""
    t = course.times_months
    total = course["alsfrs_r"].astype(float)
    alive = course["patient_alive"].astype(bool)
    kings = course["kings_stage"]
    n_vis = math.floor(visits["follow_up_weeks"] / visits["interval_weeks"] + 1e-9) + 1
    vt = entry_t + np.arange(n_vis) * visits["interval_weeks"] * WEEK
    idx = np.searchsorted(t, vt - 1e-9, side="left")
    ok = idx < len(t)
    scores = np.full(n_vis, np.nan)
    scores[ok] = np.where(alive[idx[ok]], total[idx[ok]], np.nan)
    end_t = float(t[-1])
    surv_end = end_t if visits["survival_weeks"] <= 0 else min(
        end_t, entry_t + visits["survival_weeks"] * WEEK)
    death = course.events["death_months"]
    died = death is not None and death <= surv_end
    surv = max(0.0, (death if died else surv_end) - entry_t)  # death at the entry record: 0
    k0 = _record_at(t, entry_t)
    base_stage = float(kings[min(k0, len(t) - 1)])
    higher = [lv for lv in (1.0, 2.0, 3.0, 4.0, 4.5, 5.0) if lv > base_stage]
    kt, kev = max(0.0, surv_end - entry_t), False
    if higher:
        later = (t >= t[min(k0, len(t) - 1)]) & (t <= surv_end) & (kings >= higher[0])
        if later.any():
            kt, kev = max(0.0, float(t[np.argmax(later)] - entry_t)), True
    return {"visit_scores": [None if not math.isfinite(x) else float(x) for x in scores],
            "survival_months": float(surv), "death": bool(died),
            "kings_months": float(kt), "kings_event": bool(kev)}


def _entry_check(course, entry: dict, visits: dict, attrs) -> tuple[bool, float, dict]:
    """Entry time (months from biological onset), eligibility and baseline of a course."""

    onset = course.clinical_onset_months
    base: dict[str, Any] = {"eligible": False, "reason": ""}
    when = event_time(course, entry["at"]) + entry["delay_months"]
    t = course.times_months
    if not math.isfinite(when):
        base["reason"] = "no entry event"
        return False, when, base
    need_end = when + max(visits["follow_up_weeks"], visits["endpoint_week"]) * WEEK
    if need_end > t[-1] + 1e-9:
        base["reason"] = "follow-up beyond the horizon"
        return False, when, base
    k = _record_at(t, when)
    death = course.events["death_months"]
    # entry at the record of death counts (King's 4B is the record at which an untreated
    # patient's respiratory failure kills when niv_fvc = failure_fvc: Bourke 2006 randomised
    # exactly then, and standard care survived a median of 11 days)
    if death is not None and death < t[k] - 1e-5:
        base["reason"] = "dead at entry"
        return False, when, base

    items = np.array([course[f"alsfrs_r_{n}"][k] for n in ALSFRS_ITEMS])
    total = int(course["alsfrs_r"][k])
    bulbar = int(course["alsfrs_r_bulbar_domain"][k])
    fvc = float(course["fvc_percent"][k])
    ee = int(course["el_escorial"][k])
    base.update(entry_months_from_onset=float(when - onset), baseline_alsfrs_r=total,
                baseline_bulbar_domain=bulbar, baseline_fvc_percent=round(fvc, 6),
                baseline_kings=float(course["kings_stage"][k]),
                baseline_el_escorial=EL_ESCORIAL_LABELS[ee])
    checks = [
        (items.min() >= entry["min_item_score"], "an ALSFRS-R item too low"),
        (entry["min_alsfrs_r"] <= total <= entry["max_alsfrs_r"], "ALSFRS-R total"),
        (entry["min_bulbar_domain"] <= bulbar <= entry["max_bulbar_domain"], "bulbar domain"),
        (entry["min_fvc_percent"] <= fvc <= entry["max_fvc_percent"], "FVC"),
        (when - onset <= entry["max_disease_months"], "disease duration"),
        (ee >= EL_ESCORIAL_LABELS.index(entry["min_el_escorial"]), "El Escorial category"),
    ]
    if entry["run_in_weeks"] > 0:
        k_in = _record_at(t, when - entry["run_in_weeks"] * WEEK)
        fall = float(course["alsfrs_r"][k_in]) - total
        base["run_in_decline"] = fall
        checks.append((when - entry["run_in_weeks"] * WEEK >= onset - 1e-9
                       and entry["run_in_min_decline"] <= fall <= entry["run_in_max_decline"],
                       "run-in decline"))
    for ok, why in checks:
        if not ok:
            base["reason"] = why
            return False, when, base
    base["eligible"] = True
    return True, when, base


def _screen_chunk(model_toml: str, spec: dict, seeds: list[int]) -> list[dict]:
    """Worker: sample, simulate untreated and check entry for each candidate of ``seeds``.

    The candidates who need a simulation go through one engine loop
    (:func:`alssim.engine.simulate_batch`, exact per patient).
    """

    cfg = config_from_text(model_toml, "trial model config")
    entry = spec["entry"]
    rows, todo = [], []
    for seed in seeds:
        attrs = sample_patient(cfg, np.random.SeedSequence(seed))
        row: dict[str, Any] = {"seed": seed, "genotype": attrs.genotype, "sex": attrs.sex,
                               "age_years": attrs.age_years, "speed": attrs.speed,
                               "onset_site": attrs.onset.site}
        rows.append(row)
        if entry["genotypes"] and attrs.genotype not in entry["genotypes"]:
            row.update(eligible=False, reason="genotype")
            continue
        pcfg = with_treatments(derive_config(cfg, attrs), (), genotype=attrs.genotype)
        todo.append((row, attrs, pcfg))
    results = simulate_batch([c for _, _, c in todo], [r["seed"] for r, _, _ in todo])
    for (row, attrs, _), res in zip(todo, results, strict=True):
        course = res.clinical
        ok, when, base = _entry_check(course, entry, spec["visits"], attrs)
        row.update(base)
        if ok:
            row["entry_months"] = when
            row["outcomes"] = _course_outcomes(course, when, spec["visits"])
    return rows


def _treat_chunk(model_toml: str, spec: dict, items: list[tuple]) -> list[dict]:
    """Worker: each ``(seed, treatments, entry_t, start_t)`` of ``items`` simulated with its
    treatments from ``start_t``, outcomes from ``entry_t`` (months from biological onset)."""

    cfg = config_from_text(model_toml, "trial model config")
    cfgs = []
    for seed, treatments, _entry_t, start_t in items:
        attrs = sample_patient(cfg, np.random.SeedSequence(seed))
        cfgs.append(with_treatments(derive_config(cfg, attrs), treatments,
                                    start_months=start_t, genotype=attrs.genotype))
    results = simulate_batch(cfgs, [it[0] for it in items])
    return [_course_outcomes(res.clinical, it[2], spec["visits"])
            for it, res in zip(items, results, strict=True)]


def _collect(found: dict[int, dict]):
    """Callback storing a chunk's rows under their screening indices."""
    def on_result(k: int, rows: list[dict]) -> None:
        found.update({k + i: r for i, r in enumerate(rows)})
    return on_result


def _neutral(cfg, treatments: Sequence[str], genotype: str) -> bool:
    """Whether ``treatments`` cannot change this patient's course (engine multipliers all 1)."""

    iv = cfg.interventions
    for n in treatments:
        if n in CLINICAL_TREATMENTS:
            return False
        tr = getattr(iv, n)
        if any(effective_multiplier(m, tr.adherence) != 1.0
               for m in tr.multipliers(genotype).values()):
            return False
    return True


# --------------------------------------------------------------------------- result
@dataclasses.dataclass(eq=False)
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

    def save(self, path: str | Path, *, force: bool = False) -> Path:
        """Write ``patients.csv``, ``analyses.csv``, ``power.csv``, ``summary.json``,
        ``trial.toml`` and ``config.toml`` to folder ``path`` (each atomically).

        Raises
        ------
        OutputExistsError
            If ``path`` is a non-empty folder and ``force`` is false.
        """

        path = prepare_output_dir(path, force=force)
        atomic_write_text(path / "patients.csv", self.patients.to_csv(index=False,
                                                                      lineterminator="\n"))
        atomic_write_text(path / "analyses.csv", self.analyses.to_csv(index=False,
                                                                      lineterminator="\n"))
        atomic_write_text(path / "power.csv", self.power.to_csv(index=False,
                                                                lineterminator="\n"))
        atomic_write_text(path / "trial.toml", dumps_toml(self.spec.to_dict()))
        atomic_write_text(path / "config.toml", self.config.to_toml())
        atomic_write_text(path / "summary.json",
                          json.dumps(self.summary, indent=2, allow_nan=False) + "\n")
        return path


# --------------------------------------------------------------------------- statistics
def _mean_diff(x: np.ndarray, y: np.ndarray, paired: bool, alpha: float):
    """Difference of means ``y - x``: ``(estimate, lower, upper, p)``.

    Paired (common random numbers): :func:`scipy.stats.ttest_rel` on the patients with both
    values; otherwise Welch's :func:`scipy.stats.ttest_ind` (``equal_var=False``); the interval
    is the test's ``confidence_interval(1 - alpha)``. With no spread at all (every difference
    the same, as when a treatment changes nothing under common random numbers) the t statistic
    is undefined: the interval is the estimate itself and p is 1 for a zero difference, else
    :data:`~alssim.survival.P_FLOOR`.
    """

    if paired:
        ok = np.isfinite(x) & np.isfinite(y)
        x, y = x[ok], y[ok]
        if x.size < 2:
            return (float((y - x).mean()) if x.size else math.nan), math.nan, math.nan, math.nan
        est = float((y - x).mean())
        spread = float((y - x).std(ddof=1))
    else:
        x, y = x[np.isfinite(x)], y[np.isfinite(y)]
        if x.size < 2 or y.size < 2:
            return math.nan, math.nan, math.nan, math.nan
        est = float(y.mean() - x.mean())
        spread = float(x.var(ddof=1) / x.size + y.var(ddof=1) / y.size)
    if spread == 0:
        return est, est, est, (1.0 if est == 0 else P_FLOOR)
    res = stats.ttest_rel(y, x) if paired else stats.ttest_ind(y, x, equal_var=False)
    ci = res.confidence_interval(1 - alpha)
    return est, float(ci.low), float(ci.high), pvalue_floor(res.pvalue)


def _surv_compare(t0, e0, t1, e1, alpha: float) -> dict[str, float]:
    t = np.r_[t0, t1]
    e = np.r_[e0, e1].astype(bool)
    g = np.r_[np.zeros(len(t0)), np.ones(len(t1))]
    km0, km1 = kaplan_meier(t0, e0, alpha=alpha), kaplan_meier(t1, e1, alpha=alpha)
    out = {"median_control": km0.median, "median_treated": km1.median}
    if e.any():
        lr = logrank_test(t, e, g)
        cox = cox_hazard_ratio(t, e, g, alpha=alpha)
        # separation (an arm without deaths, as in tiny arms): no finite hazard ratio to report
        hr = ((math.nan,) * 3 if cox.separated
              else (cox.hazard_ratio, cox.lower, cox.upper))
        out.update(effect=hr[0], lower=hr[1], upper=hr[2], pvalue=lr.pvalue)
    else:
        out.update(effect=math.nan, lower=math.nan, upper=math.nan, pvalue=1.0)
    return out


def _slope(scores: list, interval_months: float) -> float:
    y = np.array([np.nan if s is None else s for s in scores], dtype=float)
    x = np.arange(len(y)) * interval_months
    ok = np.isfinite(y)
    if ok.sum() < 2:
        return math.nan
    return float(np.polyfit(x[ok], y[ok], 1)[0])


def _arm_sizes(n: int, ratios: Sequence[int]) -> list[int]:
    """Arm sizes of ``n`` patients by ``ratios`` (largest remainder)."""
    r = np.asarray(ratios, dtype=float)
    exact = n * r / r.sum()
    size = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - size), kind="stable")[: n - size.sum()]:
        size[i] += 1
    return [int(s) for s in size]


def _block_labels(n: int, ratios: Sequence[int], rng: np.random.Generator) -> np.ndarray:
    """Arm index of each of ``n`` patients by permuted blocks of the ratio."""
    block = np.repeat(np.arange(len(ratios)), ratios)
    out: list[int] = []
    while len(out) < n:
        out.extend(rng.permutation(block).tolist())
    return np.array(out[:n], dtype=np.int64)


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
    per_trial = max(_arm_sizes(n_max, ratios)) if ts.crn else n_max
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
            run_tasks(_screen_chunk, payloads, backend, _collect(found))
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
                arm_n = _arm_sizes(n_max, ratios)
                assign.append([(int(pick[i]), a) for a in range(len(arm_names))
                               for i in range(arm_n[a])])
            else:
                lab = _block_labels(n_max, ratios, stream(root, "randomisation", r))
                assign.append([(int(pick[i]), int(lab[i])) for i in range(n_max)])
        # treated runs, each (patient, arm) once
        treated: dict[tuple[int, int], dict] = {}
        todo = []
        for pairs in assign:
            for i, a in pairs:
                tr = list(spec.arms[arm_names[a]].treatments)
                if not tr or _neutral(cfg, tr, eligible[i]["genotype"]):
                    continue
                if (i, a) not in treated:
                    treated[(i, a)] = {}
                    todo.append((i, a))
        items = [(eligible[i]["seed"], list(spec.arms[arm_names[a]].treatments),
                  eligible[i]["entry_months"],
                  eligible[i]["entry_months"] + spec.arms[arm_names[a]].start_weeks * WEEK)
                 for i, a in todo]
        tchunk = max(1, min(16, len(items) // (4 * backend.workers) or 1))
        run_tasks(_treat_chunk,
                  ((k, (model_toml, plain, items[k:k + tchunk]))
                   for k in range(0, len(items), tchunk)),
                  backend, results.__setitem__)
        for first, outs in results.items():
            for j, o in enumerate(outs):
                treated[todo[first + j]] = o
        if progress:
            print(f"alssim trial: {len(todo)} treated runs")
    return _analyse(spec, cfg, arm_names, ratios, sizes, eligible, assign, treated,
                    {"screened": screened, "eligible": len(eligible), "excluded": reasons},
                    pd)


def _analyse(spec, cfg, arm_names, ratios, sizes, eligible, assign, treated, screening, pd):
    ts, vis = spec.trial, spec.visits
    interval = vis.interval_weeks * WEEK
    k_end = round(vis.endpoint_week / vis.interval_weeks)
    k_fu = round(vis.follow_up_weeks / vis.interval_weeks) + 1
    cache: dict[tuple[int, int], tuple] = {}

    def outcome(i: int, a: int) -> tuple:
        """(change, slope, survival, death, kings time, kings event) of patient i in arm a."""
        key = (i, a) if (i, a) in treated else (i, -1)
        if key not in cache:
            o = treated.get((i, a)) or eligible[i]["outcomes"]
            sc = o["visit_scores"]
            end = sc[k_end] if k_end < len(sc) else None
            change = end - sc[0] if end is not None and sc[0] is not None else math.nan
            cache[key] = (change, _slope(sc[:k_fu], interval), o["survival_months"],
                          o["death"], o["kings_months"], o["kings_event"])
        return cache[key]

    rows, ana = [], []
    cols = ("alsfrs_r_change", "alsfrs_r_slope", "survival_months", "death", "kings_months",
            "kings_event")
    for r, pairs in enumerate(assign):
        idx = np.array([i for i, _ in pairs])
        arm = np.array([a for _, a in pairs])
        out = np.array([outcome(i, a) for i, a in pairs], dtype=float).reshape(len(pairs), 6)
        for order, (i, a) in enumerate(pairs):
            p = eligible[i]
            rows.append({
                "replicate": r, "patients": sizes[-1], "patient": p["patient"],
                "seed": p["seed"], "arm": arm_names[a], "genotype": p["genotype"],
                "sex": p["sex"], "age_years": p["age_years"], "onset_site": p["onset_site"],
                "entry_months_from_onset": p["entry_months_from_onset"],
                "baseline_alsfrs_r": p["baseline_alsfrs_r"],
                "baseline_fvc_percent": p["baseline_fvc_percent"],
                "baseline_kings": p["baseline_kings"],
                "baseline_el_escorial": p["baseline_el_escorial"],
                **{c: (bool(v) if c in ("death", "kings_event") else float(v))
                   for c, v in zip(cols, out[order], strict=True)}})
        order = np.arange(len(pairs))
        for n in sizes:
            if ts.crn:
                arm_n = _arm_sizes(n, ratios)
                rank = np.zeros(len(pairs), dtype=np.int64)
                for a in range(len(arm_names)):
                    m = arm == a
                    rank[m] = np.arange(m.sum())
                keep = rank < np.array(arm_n)[arm]
            else:
                keep = order < n
            c = keep & (arm == 0)
            for a in range(1, len(arm_names)):
                t = keep & (arm == a)
                for ep in ENDPOINTS:
                    row = {"replicate": r, "patients": n, "arm": arm_names[a], "endpoint": ep,
                           "n_control": int(c.sum()), "n_treated": int(t.sum())}
                    if ep in ("alsfrs_r_change", "alsfrs_r_slope"):
                        col = 0 if ep == "alsfrs_r_change" else 1
                        x, y = out[c, col], out[t, col]
                        if ts.crn:  # pair by patient: arm a holds a prefix of the control list
                            common = np.intersect1d(idx[c], idx[t])
                            x = out[c, col][np.isin(idx[c], common)]
                            y = out[t, col][np.isin(idx[t], common)]
                        est, lo, hi, pv = _mean_diff(x, y, ts.crn, ts.alpha)
                        row.update(effect=est, lower=lo, upper=hi, pvalue=pv,
                                   mean_control=_nanmean(x), mean_treated=_nanmean(y))
                    else:
                        tc, ec = (2, 3) if ep == "survival" else (4, 5)
                        row.update(_surv_compare(out[c, tc], out[c, ec].astype(bool),
                                                 out[t, tc], out[t, ec].astype(bool), ts.alpha))
                    ana.append(row)
    patients = pd.DataFrame(rows)
    lead = ["replicate", "patients", "patient", "seed", "arm"]
    patients = patients[lead + [c for c in patients.columns if c not in lead]]
    analyses = pd.DataFrame(ana)
    analyses["significant"] = analyses["pvalue"] < ts.alpha
    power = (analyses.groupby(["patients", "arm", "endpoint"], sort=False)
             .agg(power=("significant", "mean"), mean_effect=("effect", "mean"),
                  replicates=("replicate", "nunique")).reset_index())
    summary = _summary(spec, analyses, power, screening)
    return TrialResult(spec, cfg, patients, analyses, power, screening, summary)


def _nanmean(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else math.nan


def _num(x: Any) -> Any:
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float):
        return round(x, 6) if math.isfinite(x) else None
    return x


def _pvalue_entry(p: Any) -> dict[str, Any]:
    """``pvalue`` to six significant digits (never rounded to 0) and ``pvalue_text``."""
    p = float(p)
    if not math.isfinite(p):
        return {"pvalue": None, "pvalue_text": format_pvalue(None)}
    return {"pvalue": float(f"{pvalue_floor(p):.6g}"), "pvalue_text": format_pvalue(p)}


def _summary(spec, analyses, power, screening) -> dict[str, Any]:
    ts = spec.trial
    n = max(ts.patients)
    top = analyses[analyses["patients"] == n]
    effects: dict[str, Any] = {}
    for (arm, ep), g in top.groupby(["arm", "endpoint"], sort=False):
        e = g["effect"].to_numpy(float)
        entry = {"effect_mean": _num(float(np.nanmean(e))) if np.isfinite(e).any() else None,
                 "effect_sd": _num(float(np.nanstd(e, ddof=1))) if np.isfinite(e).sum() > 1
                 else None,
                 "significant_share": _num(float(g["significant"].mean()))}
        if len(g) == 1:
            entry.update({k: _num(g.iloc[0][k]) for k in ("lower", "upper")})
            entry.update(_pvalue_entry(g.iloc[0]["pvalue"]))
        for k in ("mean_control", "mean_treated", "median_control", "median_treated"):
            if k in g and g[k].notna().any():
                entry[k] = _num(float(np.nanmean(g[k].to_numpy(float))))
        effects.setdefault(arm, {})[ep] = entry
    pw = {f"{row.arm}:{row.endpoint}:{int(row.patients)}": _num(float(row.power))
          for row in power.itertuples()}
    return {"name": ts.name, "description": ts.description, "control": ts.control,
            "arms": {k: to_dict(v) for k, v in spec.arms.items()},
            "patients": list(ts.patients), "replicates": ts.replicates, "crn": ts.crn,
            "population": ts.population, "seed": ts.seed, "alpha": ts.alpha,
            "screening": screening, "effects": effects, "power": pw,
            "notes": "effect: treated - control for ALSFRS-R endpoints (points, points/month); "
                     "Cox hazard ratio treated vs control for survival and King's progression; "
                     "medians in months from entry"}
