"""The patients the vital-capacity trial enrols, beside the trial's own placebo group.

The target ``vital_capacity_decline`` compares the mean FVC slope of the patients a trial like
EMPOWER would enrol (:func:`alssim.validation.metrics.trial_enrolled`) with the slope of EMPOWER's
placebo group (Andrews 2018 JAMA Neurol 75:58, Table 2). This module sets the two populations
side by side -- their baseline characteristics (Andrews 2018, Table 1) and the slope within the
subgroups of Table 2 -- so that a reader can tell whether a misfit comes from *who* is enrolled
or from *how their breathing declines*.

These are descriptions, not acceptance targets: no interval was fixed for them in advance, and
the validation does not pass or fail on them. The published slopes come from a repeated-measures
mixed model adjusted for baseline vital capacity (slow vital capacity, % of predicted); the
simulated ones are means of per-patient least-squares FVC slopes over the 12 months after entry
(:func:`alssim.clinical.respiratory.trial_entry`).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from alssim.validation.metrics import trial_enrolled

__all__ = [
    "BASELINE",
    "SLOPES",
    "SOURCE",
    "PublishedBaseline",
    "PublishedSlope",
    "baseline_table",
    "slope_table",
    "to_markdown",
]

#: Where the published figures come from.
SOURCE = ("Andrews 2018 JAMA Neurol 75:58, EMPOWER placebo group (n = 456): Table 1 (baseline) "
          "and Table 2 (slope of % predicted slow vital capacity, % per month, 95% CI)")


class PublishedBaseline(NamedTuple):
    """One baseline characteristic of the trial's placebo group."""

    label: str
    mean: float
    sd: float | None
    unit: str


class PublishedSlope(NamedTuple):
    """The vital-capacity slope of one subgroup of the trial's placebo group."""

    label: str
    slope: float
    ci_low: float
    ci_high: float


#: Andrews 2018, Table 1, EMPOWER placebo group: mean (SD), or a share (SD None).
BASELINE: dict[str, PublishedBaseline] = {
    "duration": PublishedBaseline("symptom duration at entry", 15.6, 5.4, "months"),
    "since_diagnosis": PublishedBaseline("diagnosis to entry", 7.7, 5.0, "months"),
    "age": PublishedBaseline("age at entry", 57.3, 11.3, "years"),
    "bulbar": PublishedBaseline("bulbar onset", 111 / 456, None, "share"),
    "alsfrs": PublishedBaseline("ALSFRS-R at entry", 38.0, 5.6, "points"),
    "fvc": PublishedBaseline("vital capacity at entry", 89.3, 17.7, "% predicted"),
}

#: Andrews 2018, Table 2, EMPOWER placebo group.
SLOPES: dict[str, PublishedSlope] = {
    "all": PublishedSlope("all enrolled", -2.7, -3.0, -2.5),
    "alsfrs_le39": PublishedSlope("ALSFRS-R at entry <= 39", -3.1, -3.4, -2.8),
    "alsfrs_gt39": PublishedSlope("ALSFRS-R at entry > 39", -2.3, -2.7, -1.9),
    "fvc_65_75": PublishedSlope("vital capacity at entry 65-75%", -2.8, -3.6, -2.1),
    "fvc_gt75": PublishedSlope("vital capacity at entry > 75%", -2.7, -3.0, -2.5),
    "age_lt50": PublishedSlope("age < 50", -2.3, -2.7, -1.8),
    "age_50_65": PublishedSlope("age 50-65", -2.6, -2.9, -2.3),
    "age_gt65": PublishedSlope("age > 65", -3.6, -4.3, -2.9),
    "bulbar": PublishedSlope("bulbar onset", -3.2, -3.8, -2.5),
    "other": PublishedSlope("other onset", -2.6, -2.9, -2.3),
}


def _enrolled(d):
    """The enrolled patients of a prepared table (:func:`alssim.validation.metrics.prepare`),
    with their entry values as columns ``duration``, ``since_diagnosis``, ``age``, ``bulbar``,
    ``alsfrs``, ``fvc`` and ``slope``."""
    e = d.loc[trial_enrolled(d)]
    duration = e["trial_entry_months"].to_numpy(dtype=float)
    return e.assign(
        duration=duration,
        since_diagnosis=duration - e["dx_delay"].to_numpy(dtype=float),
        age=e["age_onset"].to_numpy(dtype=float) + duration / 12.0,
        bulbar=(e["site"] == "bulbar").to_numpy(dtype=float),
        alsfrs=e["trial_entry_alsfrs"].to_numpy(dtype=float),
        fvc=e["trial_entry_fvc"].to_numpy(dtype=float),
        slope=e["fvc_trial_slope"].to_numpy(dtype=float),
    )


def baseline_table(d) -> Any:
    """The enrolled patients' baseline beside the trial's (Andrews 2018, Table 1).

    Parameters
    ----------
    d : pandas.DataFrame
        A prepared cohort table (:func:`alssim.validation.metrics.prepare`).

    Returns
    -------
    pandas.DataFrame
        One row per characteristic of :data:`BASELINE`: ``key``, ``label``, ``unit``,
        ``published_mean``, ``published_sd`` (NaN for a share), ``simulated_mean``,
        ``simulated_sd``, ``n`` (enrolled patients with a value).
    """

    e = _enrolled(d)
    rows = []
    for key, b in BASELINE.items():
        x = e[key].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        rows.append({"key": key, "label": b.label, "unit": b.unit, "published_mean": b.mean,
                     "published_sd": math.nan if b.sd is None else b.sd,
                     "simulated_mean": float(x.mean()) if x.size else math.nan,
                     "simulated_sd": float(x.std(ddof=1)) if x.size > 1 else math.nan,
                     "n": int(x.size)})
    return pd.DataFrame(rows)


def _subgroups(e) -> dict[str, np.ndarray]:
    return {
        "all": np.ones(len(e), dtype=bool),
        "alsfrs_le39": (e["alsfrs"] <= 39).to_numpy(),
        "alsfrs_gt39": (e["alsfrs"] > 39).to_numpy(),
        "fvc_65_75": ((e["fvc"] >= 65) & (e["fvc"] <= 75)).to_numpy(),
        "fvc_gt75": (e["fvc"] > 75).to_numpy(),
        "age_lt50": (e["age"] < 50).to_numpy(),
        "age_50_65": ((e["age"] >= 50) & (e["age"] <= 65)).to_numpy(),
        "age_gt65": (e["age"] > 65).to_numpy(),
        "bulbar": (e["bulbar"] == 1.0).to_numpy(),
        "other": (e["bulbar"] == 0.0).to_numpy(),
    }


def slope_table(d) -> Any:
    """The enrolled patients' vital-capacity slope in the subgroups of Andrews 2018, Table 2.

    Parameters
    ----------
    d : pandas.DataFrame
        A prepared cohort table (:func:`alssim.validation.metrics.prepare`).

    Returns
    -------
    pandas.DataFrame
        One row per subgroup of :data:`SLOPES`: ``key``, ``label``, ``published``,
        ``published_ci_low``, ``published_ci_high`` (% predicted per month), ``simulated``
        (mean of the per-patient slopes; NaN for an empty subgroup), ``n``. The subgroup
        ``all`` is the target ``vital_capacity_decline``.
    """

    e = _enrolled(d)
    groups = _subgroups(e)
    slope = e["slope"].to_numpy(dtype=float)
    rows = []
    for key, s in SLOPES.items():
        x = slope[groups[key]]
        x = x[np.isfinite(x)]
        rows.append({"key": key, "label": s.label, "published": s.slope,
                     "published_ci_low": s.ci_low, "published_ci_high": s.ci_high,
                     "simulated": float(x.mean()) if x.size else math.nan, "n": int(x.size)})
    return pd.DataFrame(rows)


def _value(mean: float, sd: float, unit: str) -> str:
    if math.isnan(mean):
        return "-"
    if unit == "share":
        return f"{mean:.2f}"
    return f"{mean:.1f}" + ("" if math.isnan(sd) else f" ({sd:.1f})")


def to_markdown(baseline, slopes) -> str:
    """The two tables as a report section (markdown), from :func:`baseline_table` and
    :func:`slope_table`."""
    n = int(slopes.loc[slopes["key"] == "all", "n"].iloc[0]) if len(slopes) else 0
    lines = [
        "## The vital-capacity trial's patients (a description, not targets)",
        "",
        f"The {n} patients the trial of `vital_capacity_decline` enrols, beside its placebo "
        f"group ({SOURCE}). Not acceptance targets: no interval was fixed for them in "
        "advance. The published slopes come from a mixed model adjusted for baseline slow "
        "vital capacity; the simulated ones are means of per-patient FVC slopes over the 12 "
        "months after entry.",
        "",
        "| at entry | published, mean (SD) | simulated, mean (SD) | n |",
        "|---|---|---|---|",
    ]
    for r in baseline.itertuples(index=False):
        unit = "" if r.unit == "share" else f" ({r.unit})"
        lines.append(f"| {r.label}{unit} | {_value(r.published_mean, r.published_sd, r.unit)} "
                     f"| {_value(r.simulated_mean, r.simulated_sd, r.unit)} | {r.n} |")
    lines += ["", "| vital-capacity slope (% predicted/month) | published (95% CI) | "
              "simulated | n |", "|---|---|---|---|"]
    for r in slopes.itertuples(index=False):
        sim = "-" if math.isnan(r.simulated) else f"{r.simulated:.2f}"
        lines.append(f"| {r.label} | {r.published:.1f} ({r.published_ci_low:.1f} to "
                     f"{r.published_ci_high:.1f}) | {sim} | {r.n} |")
    return "\n".join(lines) + "\n"
