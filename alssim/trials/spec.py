"""A trial's specification: the ``TRIAL.toml`` schema (settings, entry criteria, visits, arms) and
its reader."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alssim.clinical.diagnosis import EL_ESCORIAL_LABELS
from alssim.config.cohort import GENOTYPES
from alssim.config.loader import load_config, read_toml
from alssim.config.schema import DAYS_PER_MONTH
from alssim.errors import ConfigError
from alssim.fields import build, nearest_key, param, section, to_dict
from alssim.interventions import (
    TREATMENTS,
)

__all__ = ["ENDPOINTS", "Arm", "Entry", "TrialSettings", "TrialSpec", "Visits", "load_trial"]


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
