"""Sweep figures and summaries: the swept keys of a sweep table, the outcome at each design
point (median with its interval, or Kaplan-Meier median survival) and :func:`plot_sweep`."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from alssim.analysis._style import single_axes, styled
from alssim.analysis.cohort import MissingColumnError, find_column, patient_table
from alssim.analysis.palette import OKABE_ITO
from alssim.config import load_config
from alssim.config.loader import _dotted_keys
from alssim.config.schema import unit_of
from alssim.errors import ConfigError
from alssim.survival import kaplan_meier
from alssim.sweeps.result import SweepResult

__all__ = ["SweepPoint", "km_median", "plot_sweep", "sweep_summary", "sweep_table",
           "swept_keys"]


#: Sweep columns that come before the swept keys (see :func:`alssim.sweep`).
_SWEEP_LEADING = ("run_id", "point", "replicate", "seed")


def sweep_table(sweep) -> pd.DataFrame:
    """The runs table of a sweep: a :class:`~alssim.sweeps.SweepResult`'s ``runs``, a table
    itself, or the ``patients`` table of a cohort result.

    Raises
    ------
    TypeError
        For anything else.
    """
    if isinstance(sweep, SweepResult):
        return sweep.runs
    if isinstance(sweep, pd.DataFrame):
        return sweep
    return patient_table(sweep)


def swept_keys(table) -> list[str]:
    """The swept config keys of a sweep (a :class:`~alssim.sweeps.SweepResult` or its runs
    table), in design order.

    From the sweep's design (a table's ``attrs["sweep"]``, set by :func:`alssim.sweep` and by
    :func:`alssim.sweeps.load_runs` when the folder's ``spec.json`` is beside ``runs.csv``);
    otherwise the columns after ``seed`` that are config keys (a sweep table has the swept keys
    right after ``run_id``, ``point``, ``replicate``, ``seed``). Empty for a table that is not a
    sweep's.
    """
    table = sweep_table(table)
    meta = table.attrs.get("sweep")
    if isinstance(meta, dict) and isinstance(meta.get("axes"), list):
        return [str(a["key"]) for a in meta["axes"] if isinstance(a, dict) and "key" in a]
    cols = [str(c) for c in table.columns]
    if "seed" not in cols:
        return []

    valid = set(_dotted_keys(load_config().to_dict()))
    keys = []
    for c in cols[cols.index("seed") + 1:]:
        if c not in valid:
            break
        keys.append(c)
    return keys


@dataclasses.dataclass(frozen=True)
class SweepPoint:
    """The outcome of the runs at one value of the swept parameter (see :func:`sweep_summary`).

    Attributes
    ----------
    value : float
        Parameter value.
    n : int
        Runs at this value.
    used : int
        Runs that enter the summary (with a value, or with an event time or censoring time).
    events : int
        Runs whose event was observed (survival-type outcomes; else equal to ``used``).
    censored : int
        Runs censored at the horizon (survival-type outcomes; else 0).
    median, lower, upper : float
        Median and its interval: for survival-type outcomes the Kaplan–Meier median and its
        Brookmeyer–Crowley interval (``inf``: not reached within follow-up), else the median
        and the 25th and 75th percentiles of the values (NaN without any value).
    q10, q90 : float
        10th and 90th percentiles of the values (NaN for survival-type outcomes).
    follow_up : float
        Longest time observed (event or censoring) for survival-type outcomes, else NaN.
    """

    value: float
    n: int
    used: int
    events: int
    censored: int
    median: float
    lower: float
    upper: float
    q10: float = math.nan
    q90: float = math.nan
    follow_up: float = math.nan


def km_median(times: np.ndarray, events: np.ndarray, confidence: float = 0.95
              ) -> tuple[float, float, float]:
    """Kaplan–Meier median of right-censored times and its confidence interval.

    Parameters
    ----------
    times : ndarray, shape (n,)
        Event or censoring times (finite, >= 0).
    events : ndarray of bool, shape (n,)
        True where the event was observed, False where censored.
    confidence : float
        Confidence level of the interval.

    Returns
    -------
    median, lower, upper : float
        The smallest time at which the estimated survival is at or below 0.5, and the
        Brookmeyer–Crowley limits (the times at which the lower and the upper pointwise limits,
        log-log "exponential Greenwood", reach 0.5); ``inf`` where not reached within the
        follow-up (all three ``inf`` without any event). From
        :func:`alssim.survival.kaplan_meier`.
    """
    t = np.asarray(times, dtype=float)
    e = np.asarray(events, dtype=bool)
    km = kaplan_meier(t, e, alpha=1 - confidence)
    return km.median, km.median_lower, km.median_upper


def _event_times(df, ocol: str):
    """For a time-to-event outcome: ``(time, event, usable, what)``, else ``None``.

    How a sweep table records censoring: ``clinical.censored`` is true for a patient alive at
    the horizon (``clinical.survival_months`` and ``clinical.death_months`` are then missing);
    a ``loss_months.*.lost_*`` time is missing when that loss was not reached by the horizon.
    A censored run is censored at the end of its follow-up: ``horizon_months`` (times from
    biological onset) or ``horizon_months - clinical.clinical_onset_months`` (survival, from
    clinical onset; a run without clinical onset has no survival time and is not usable).
    ``what`` names the event (``died``, ``reached``).
    """
    name = ocol.split(".")[-1]
    if name in ("survival_months", "death_months"):
        what = "died"
    elif ocol.split(".")[0] == "loss_months" and name.startswith("lost_"):
        what = "reached"
    else:
        return None
    t = np.asarray(df[ocol], dtype=float)
    missing = ~np.isfinite(t)
    cens_col = find_column(df, "censored", required=False) if what == "died" else None
    if cens_col is not None:
        event = ~np.asarray(df[cens_col].astype(object).fillna(True), dtype=bool)
        event &= ~missing
    else:
        event = ~missing
    usable = np.ones(len(t), dtype=bool)
    if missing.any():
        need = ["horizon_months"] + (["clinical_onset_months"] if name == "survival_months"
                                     else [])
        if what == "died":
            need.append("censored")
        found = {n: find_column(df, n, required=False) for n in need}
        lacking = [n for n, c in found.items() if c is None]
        if lacking:
            full = {"horizon_months": "horizon_months", "censored": "clinical.censored",
                    "clinical_onset_months": "clinical.clinical_onset_months"}
            raise MissingColumnError(
                f"{int(missing.sum())} runs have no {ocol} (the event did not happen by the "
                f"horizon: censored), and the table lacks {', '.join(map(repr, lacking))} to "
                "censor them; keep those outputs in the sweep (outputs=[..., "
                f"{', '.join(repr(full[n]) for n in lacking)}])")
        follow = np.asarray(df[found["horizon_months"]], dtype=float)
        if name == "survival_months":
            follow = follow - np.asarray(df[found["clinical_onset_months"]], dtype=float)
        if what == "died":  # missing and not censored: no time at all (no clinical onset)
            usable = ~missing | np.asarray(df[found["censored"]].astype(object).fillna(False),
                                           dtype=bool)
        t = np.where(missing, follow, t)
        usable &= np.isfinite(t) & (t >= 0)
    return t, event & usable, usable, what


def sweep_summary(table, parameter: str, outcome: str, *, confidence: float = 0.95):
    """One :class:`SweepPoint` per value of ``parameter``: nothing dropped without a count.

    Parameters
    ----------
    table : SweepResult or pandas.DataFrame
        A sweep, its runs table (one row per run), or the rows of one group of it.
    parameter, outcome : str
        Column names (exact).
    confidence : float
        Level of the Kaplan–Meier median's interval (survival-type outcomes).

    Returns
    -------
    points : list of SweepPoint
        In increasing parameter value; a value whose runs all lack the outcome is kept (with
        NaN, or a median ``inf`` = not reached when all its runs are censored).
    survival : str or None
        The event's name (``"died"``, ``"reached"``) when the outcome is a time to an event
        summarised as censored data (see :func:`_event_times`), else ``None``.
    """
    table = sweep_table(table)
    xs = np.asarray(table[parameter], dtype=float)
    ev = _event_times(table, outcome)
    ys = np.asarray(table[outcome], dtype=float)
    points = []
    for u in np.unique(xs[np.isfinite(xs)]):
        at = xs == u
        n = int(at.sum())
        if ev is not None:
            t, e, ok, _ = ev
            t_u, e_u = t[at & ok], e[at & ok]
            med, lo, hi = km_median(t_u, e_u, confidence)
            points.append(SweepPoint(float(u), n, int(t_u.size), int(e_u.sum()),
                                     int(t_u.size - e_u.sum()), med, lo, hi,
                                     follow_up=float(t_u.max()) if t_u.size else math.nan))
            continue
        y = ys[at & np.isfinite(ys)]
        if y.size:
            q10, q25, q50, q75, q90 = np.percentile(y, [10, 25, 50, 75, 90])
        else:
            q10 = q25 = q50 = q75 = q90 = math.nan
        points.append(SweepPoint(float(u), n, int(y.size), int(y.size), 0, float(q50),
                                 float(q25), float(q75), float(q10), float(q90)))
    return points, (ev[3] if ev is not None else None)


@styled
def plot_sweep(table, parameter: str | None = None, outcome: str = "clinical.survival_months",
               *, by: str | None = None, pool: Sequence[str] = (), log_x: bool = False,
               confidence: float = 0.95, ax=None):
    """An outcome against a swept parameter, every run accounted for.

    Parameters
    ----------
    table : SweepResult or pandas.DataFrame
        A sweep (:func:`alssim.sweep`, :func:`alssim.sweeps.load_sweep`) or its runs table (one
        row per run, e.g. from :func:`alssim.sweeps.load_runs`).
    parameter : str, optional
        Column of the swept parameter (e.g. ``"spread.contralateral_rate"``); default the
        sweep's only swept key.
    outcome : str
        Column of the outcome (found exactly or as a dotted suffix); default
        ``"clinical.survival_months"``.
    by : str, optional
        Column to draw one line per value of (e.g. a second swept parameter).
    pool : sequence of str
        Other swept parameters to pool over knowingly (named in the title). Any other swept
        parameter that varies in the table and is neither ``parameter``, ``by`` nor pooled is an
        error: the runs of different values would be mixed silently.
    log_x : bool
        Logarithmic parameter axis.
    confidence : float
        Level of the interval of the Kaplan–Meier median (survival-type outcomes).

    ax : matplotlib.axes.Axes, optional
        Draw on this axes (default: a new figure).
    Returns
    -------
    matplotlib.figure.Figure
        Survival-type outcomes (times to an event with censoring: ``clinical.survival_months``,
        ``clinical.death_months``, ``loss_months.*.lost_*``; see :func:`sweep_summary`): the
        Kaplan–Meier median at each value with its interval (bars), runs with the event as
        dots and censored runs as open circles at their censoring time; where the median is
        not reached within follow-up, an open triangle at the longest follow-up, labelled.
        Other outcomes: every run as a dot, the median (line), inter-quartile (dark band) and
        10–90% range (light band); a value none of whose runs has the outcome is marked on the
        axis. The title counts the runs: in all, with the event and censored, or without a
        value.

    Raises
    ------
    ConfigError
        (key ``by``) If another swept parameter varies in the table and is neither ``by`` nor
        in ``pool``; the message says what to pass. (Key ``parameter``) If no parameter is
        given and the sweep does not have exactly one swept key.
    MissingColumnError
        If a column is missing, or a survival-type outcome has censored runs and the table
        lacks the columns to censor them (``horizon_months``, ``clinical.censored``,
        ``clinical.clinical_onset_months``).
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    table = sweep_table(table)
    if parameter is None:
        keys = swept_keys(table)
        if len(keys) != 1:
            found = f"sweeps {', '.join(map(repr, keys))}" if keys else "has no swept keys"
            raise ConfigError(f"the table {found}: name the one to draw against with "
                              "parameter=", key="parameter")
        parameter = keys[0]
    pcol = str(find_column(table, parameter))  # required columns: never None
    ocol = str(find_column(table, outcome))
    bycol = str(find_column(table, by)) if by is not None else None
    pooled = [str(find_column(table, k)) for k in pool]
    others = [k for k in swept_keys(table) if k in table.columns and k not in (pcol, bycol)
              and k not in pooled and table[k].nunique(dropna=False) > 1]
    if others:
        k = others[0]
        raise ConfigError(
            f"the table also sweeps {k!r} ({table[k].nunique(dropna=False)} values), whose runs "
            f"would be pooled at each value of {pcol!r}: pass by={k!r} (one line per value), "
            f"select one value first (table[table[{k!r}] == value]), or pool=[{k!r}] to pool "
            "it knowingly", key="by")
    groups = ([(None, table)] if bycol is None
              else list(table.groupby(bycol, sort=True, dropna=False)))
    colours = [OKABE_ITO[c] for c in ("blue", "vermillion", "bluish_green", "reddish_purple",
                                      "orange", "sky_blue", "black")]
    fig, ax = single_axes(ax, 10, 6.5)
    survival = None
    totals = {"n": 0, "used": 0, "events": 0, "censored": 0}
    not_reached: list[tuple[float, float, str]] = []
    open_ended = False
    no_value: list[tuple[float, str]] = []
    for g, (key, sub) in enumerate(groups):
        colour = colours[g % len(colours)]
        points, survival = sweep_summary(sub, pcol, ocol, confidence=confidence)
        label = None if key is None else f"{bycol} = {key}"
        for k_ in totals:
            totals[k_] += sum(getattr(p, k_) for p in points)
        xs = np.asarray(sub[pcol], dtype=float)
        ux = np.array([p.value for p in points])
        med = np.array([p.median for p in points])
        if survival is not None:
            t, e, ok, _ = _event_times(sub, ocol)
            ax.scatter(xs[ok & e], t[ok & e], s=14, color=colour, alpha=0.35, lw=0)
            ax.scatter(xs[ok & ~e], t[ok & ~e], s=22, facecolors="none", edgecolors=colour,
                       alpha=0.6, lw=1)
            r = np.nonzero(np.isfinite(med))[0]
            if r.size:
                m = med[r]
                lo = np.array([points[i].lower for i in r])  # <= the median: finite
                hi = np.array([points[i].upper for i in r])  # inf: not reached in follow-up
                ax.plot(ux[r], m, "-o", color=colour, label=label, ms=6)
                ax.errorbar(ux[r], m, yerr=[m - lo, np.where(np.isfinite(hi), hi - m, 0.0)],
                            fmt="none", ecolor=colour, capsize=4, lw=1.6)
                for i in r[~np.isfinite(hi)]:  # upper limit beyond follow-up: an arrow up
                    open_ended = True
                    ax.annotate("", xy=(ux[i], med[i]), xytext=(0, 32),
                                textcoords="offset points", annotation_clip=False,
                                arrowprops={"arrowstyle": "<-", "color": colour, "lw": 1.6,
                                            "shrinkA": 0, "shrinkB": 0})
            elif label is not None:
                ax.plot([], [], "-o", color=colour, label=label, ms=6)
            for p in points:
                if not math.isfinite(p.median) and p.used:
                    not_reached.append((p.value, p.follow_up, colour))
                elif not p.used:
                    no_value.append((p.value, colour))
        else:
            ys = np.asarray(sub[ocol], dtype=float)
            ok = np.isfinite(xs) & np.isfinite(ys)
            ax.scatter(xs[ok], ys[ok], s=14, color=colour, alpha=0.35, lw=0)
            has = np.isfinite(med)
            q = np.array([[p.q10, p.lower, p.median, p.upper, p.q90] for p in points])
            if has.any():
                ax.fill_between(ux[has], q[has, 0], q[has, 4], color=colour, alpha=0.12, lw=0)
                ax.fill_between(ux[has], q[has, 1], q[has, 3], color=colour, alpha=0.3, lw=0)
                ax.plot(ux[has], q[has, 2], "-o", color=colour, label=label, ms=5)
            elif label is not None:
                ax.plot([], [], "-o", color=colour, label=label, ms=5)
            no_value += [(p.value, colour) for p in points if not p.used]
    for x, y, colour in not_reached:
        ax.plot([x], [y], "^", ms=13, mfc="white", mec=colour, mew=2, zorder=6)
        ax.annotate("median not\nreached", (x, y), textcoords="offset points", xytext=(0, -14),
                    ha="center", va="top", fontsize=10, color=colour)
    for x, colour in no_value:
        ax.plot([x], [0], "X", ms=11, color=colour, zorder=6, transform=ax.get_xaxis_transform(),
                clip_on=False)
    if log_x:
        ax.set_xscale("log")
        values = np.unique(np.asarray(table[pcol], dtype=float))
        if values.size <= 12:
            ax.set_xticks(values, [f"{v:g}" for v in values])
            ax.minorticks_off()
    unit = _unit_of(parameter)
    ax.set_xlabel(f"{parameter}{f' ({unit})' if unit else ''}")
    ax.set_ylabel(_outcome_label(ocol))
    handles, labels = ax.get_legend_handles_labels()
    grey = "0.4"
    n, used = totals["n"], totals["used"]
    conf = f"{100 * confidence:.0f}%"
    if survival is not None:
        handles += [Line2D([], [], marker="o", ls="-", color=grey),
                    Line2D([], [], marker="o", ls="none", color=grey, alpha=0.5, ms=4),
                    Line2D([], [], marker="o", ls="none", mfc="none", mec=grey, ms=5)]
        labels += [f"Kaplan–Meier median ({conf} interval)", f"run: {survival}",
                   "run: censored at the horizon"]
        if open_ended:
            handles.append(Line2D([], [], marker="$\\uparrow$", ls="none", color=grey, ms=10))
            labels.append("upper limit not reached within follow-up")
        if not_reached:
            handles.append(Line2D([], [], marker="^", ls="none", mfc="white", mec=grey, ms=10))
            labels.append("median not reached (at the longest follow-up)")
        counts = (f"{n} runs:\n{totals['events']} {survival}, {totals['censored']} censored at "
                  "the horizon")
        what = f"Kaplan–Meier median and {conf} interval"
    else:
        handles += [Patch(color="0.5", alpha=0.45), Patch(color="0.5", alpha=0.15)]
        labels += ["middle 50% of runs", "middle 80% of runs"]
        counts = f"{n} runs" if used == n else f"{used} of {n} runs; {n - used} without a value"
        what = "median and spread"
    if survival is not None and used < n:
        counts += f", {n - used} without clinical onset (no survival time, left out)"
    if no_value:
        handles.append(Line2D([], [], marker="X", ls="none", color=grey, ms=9))
        labels.append("no run has a value here")
    if pooled:
        counts += f"; pooled over {', '.join(pooled)}"
    ax.legend(handles, labels, loc="best")
    ax.set_title(f"How {_outcome_label(ocol, short=True)} changes with {parameter}\n"
                 f"{what} over {counts}", fontsize=13)
    return fig


def _unit_of(parameter: str) -> str:
    """Unit of a dotted config key for an axis label: the schema's (none for a ratio or a
    word), else guessed from the key's ending for keys outside the schema ('' if unknown)."""
    unit = unit_of(parameter)
    if unit is not None:
        return "" if unit in ("", "1") else unit
    if parameter.endswith("_rate"):
        return "1/month"
    if parameter.endswith("_days"):
        return "days"
    if parameter.endswith("_years"):
        return "years"
    return ""


def _outcome_label(col: str, short: bool = False) -> str:
    name = col.split(".")[-1] if short else col
    if col.endswith("_months"):
        return name if short else f"{name} (months)"
    return name
