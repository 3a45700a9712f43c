"""Cohort and sweep figures, and the Kaplan–Meier estimator they use.

Cohort figures take a cohort result (its ``.patients`` table is used) or that table itself: one
row per patient, with the flattened summary of each run as columns (``onset.site``,
``order_of_involvement``, ...). A column is found by its exact name or as the last dotted part of
a longer name (``survival_months`` matches ``clinical.survival_months``); a figure whose columns
are missing raises :class:`MissingColumnError` naming what it looked for.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from alssim.analysis._style import new_figure, styled
from alssim.analysis.palette import OKABE_ITO, SITE_COLOURS
from alssim.config import load_config
from alssim.config.loader import _dotted_keys
from alssim.config.schema import unit_of
from alssim.errors import AlssimError, ConfigError
from alssim.survival import KaplanMeier, kaplan_meier

__all__ = [
    "PUBLISHED_ONSET_SITES",
    "KaplanMeier",
    "MissingColumnError",
    "SweepPoint",
    "first_spread_table",
    "kaplan_meier",
    "km_median",
    "plot_dfs_histogram",
    "plot_first_spread",
    "plot_onset_sites",
    "plot_survival_by_onset",
    "plot_sweep",
    "sweep_summary",
    "swept_keys",
]

SITES = ("bulbar", "upper_limb", "lower_limb", "respiratory")
SITE_NAMES = {"bulbar": "bulbar", "upper_limb": "upper limb", "lower_limb": "lower limb",
              "respiratory": "trunk / respiratory"}

#: Published onset-site shares (%): (low, high) of the range across studies, and one reference
#: study's point value (Ludolph 2024 J Neurol; trunk from the US ALS Registry 2019). See
#: LITERATURE.md.
PUBLISHED_ONSET_SITES: dict[str, tuple[float, float, float]] = {
    "bulbar": (22.0, 35.0, 26.8),
    "upper_limb": (36.0, 40.0, 35.9),
    "lower_limb": (33.0, 37.0, 37.3),
    "respiratory": (1.0, 6.0, 6.0),
}
#: Published median survival from clinical onset (months): (low, high) by onset site (Chiò 2009;
#: Wijesekera 2009; Fujimura-Kiyono 2011).
PUBLISHED_MEDIAN_SURVIVAL: dict[str, tuple[float, float]] = {
    "bulbar": (26.0, 27.0), "upper_limb": (31.0, 35.0), "lower_limb": (31.0, 35.0)}


class MissingColumnError(AlssimError, KeyError):
    """A cohort or sweep table lacks a column a figure needs."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


# Kaplan–Meier estimation lives in alssim.survival (pure statistics); re-exported here.


# --------------------------------------------------------------------------- table access
def _table(cohort) -> Any:
    if isinstance(cohort, pd.DataFrame):
        return cohort
    df = getattr(cohort, "patients", None)
    if isinstance(df, pd.DataFrame):
        return df
    raise TypeError(f"expected a CohortResult or a pandas DataFrame; got {type(cohort).__name__}")


def _column(df, *names: str, required: bool = True) -> str | None:
    """Name of the first column matching one of ``names`` exactly or as a dotted suffix."""
    cols = [str(c) for c in df.columns]
    for name in names:
        if name in cols:
            return name
    for name in names:
        hits = [c for c in cols if c.endswith("." + name)]
        if hits:
            return sorted(hits, key=len)[0]
    if required:
        more = " ..." if len(cols) > 12 else ""
        raise MissingColumnError(f"the table has no column {' or '.join(map(repr, names))} "
                                 f"(columns: {', '.join(cols[:12])}{more})")
    return None


def _site_series(df):
    col = _column(df, "onset.site", "onset_site", "site")
    return df[col].astype(str)


def _survival_data(df):
    """Survival months from clinical onset, event flag (True = died), per patient.

    Patients alive at the end (``censored``, or no survival time) are censored at the horizon
    minus their clinical onset; patients without clinical onset are left out.
    """
    col = _column(df, "survival_months", "survival_from_onset_months")
    t = np.asarray(df[col], dtype=float)
    ev_col = _column(df, "died", "death_observed", "event", required=False)
    cens_col = _column(df, "censored", required=False)
    if ev_col is not None:
        ev = np.asarray(df[ev_col].astype(object).fillna(False), dtype=bool)
    elif cens_col is not None:
        ev = ~np.asarray(df[cens_col].astype(object).fillna(True), dtype=bool)
    else:
        ev = np.isfinite(t)
    missing = ~np.isfinite(t)
    if missing.any():  # censored without a time: follow-up to the horizon, from clinical onset
        fu_col = _column(df, "follow_up_months", "censor_months", "horizon_months")
        fu = np.asarray(df[fu_col], dtype=float)
        on_col = _column(df, "clinical_onset_months", required=False)
        if on_col is not None and fu_col == "horizon_months":
            fu = fu - np.asarray(df[on_col], dtype=float)  # NaN: never symptomatic, left out
        t = np.where(missing, fu, t)
        ev = ev & ~missing
    keep = np.isfinite(t) & (t >= 0)
    return t[keep], ev[keep], keep


# --------------------------------------------------------------------------- figures
@styled
def plot_survival_by_onset(cohort, *, alpha: float = 0.05):
    """Kaplan–Meier survival from clinical onset by onset site, with confidence bands.

    Parameters
    ----------
    cohort : CohortResult or pandas.DataFrame
        Columns: onset site (``onset.site``), survival months from clinical onset
        (``clinical.survival_months``; missing = alive at the end), optionally ``censored``
        (or an event flag ``died``), ``horizon_months`` and ``clinical_onset_months`` (to
        censor survivors at the end of follow-up).
    alpha : float
        1 - confidence level of the bands (log-log Greenwood limits).

    Returns
    -------
    matplotlib.figure.Figure
        One curve and band per onset site, the median in the legend, and the published
        median survival by site as bars on the 50% line.
    """
    df = _table(cohort)
    sites = _site_series(df)
    t, ev, keep = _survival_data(df)
    sites = np.asarray(sites)[keep]
    fig = new_figure(11, 7)
    ax = fig.add_subplot()
    medians = {}
    for site in SITES:
        m = sites == site
        if m.sum() == 0:
            continue
        km = kaplan_meier(t[m], ev[m], alpha=alpha)
        medians[site] = km.median
        colour = SITE_COLOURS[site]
        med = f"{km.median:.0f} mo" if np.isfinite(km.median) else "not reached"
        ax.step(km.time, 100 * km.survival, where="post", color=colour, lw=2.6,
                label=f"{SITE_NAMES[site]} (n = {km.n}, median {med})")
        ax.fill_between(km.time, 100 * km.lower, 100 * km.upper, step="post", color=colour,
                        alpha=0.2, lw=0)
    ax.axhline(50, color="0.5", lw=1, ls=":")
    published = {"bulbar": PUBLISHED_MEDIAN_SURVIVAL["bulbar"],
                 "limb": PUBLISHED_MEDIAN_SURVIVAL["upper_limb"]}
    for i, (name, (lo, hi)) in enumerate(published.items()):
        y = 50 - 5 * (i + 1)
        colour = SITE_COLOURS["bulbar" if name == "bulbar" else "upper_limb"]
        ax.plot([lo, hi], [y, y], color=colour, lw=8, solid_capstyle="butt", zorder=5)
        ax.text(hi + 1, y, f"published median, {name} onset ({lo:.0f}–{hi:.0f} mo)",
                va="center", fontsize=11, zorder=5,
                bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1})
    ax.set_xlabel("months from clinical onset")
    ax.set_ylabel("alive (%)")
    ax.set_ylim(0, 102)
    ax.set_xlim(0, None)
    ax.legend(loc="upper right")
    conf = f"{100 * (1 - alpha):.0f}%"
    title = "Survival by onset site"
    if "bulbar" in medians and any(s in medians for s in ("upper_limb", "lower_limb")):
        limb = np.nanmin([medians.get("upper_limb", np.inf), medians.get("lower_limb", np.inf)])
        verdict = "shorter" if medians["bulbar"] < limb else "not shorter"
        title = f"Bulbar onset: survival {verdict} than limb onset"
    ax.set_title(f"{title}\n(Kaplan–Meier, {conf} Greenwood bands)")
    return fig


@styled
def plot_dfs_histogram(cohort, *, bins: int | Sequence[float] = 30):
    """Histogram of ΔFS, the ALSFRS-R points lost per month from onset to diagnosis.

    Parameters
    ----------
    cohort : CohortResult or pandas.DataFrame
        Column ``alsfrs_r_dfs`` (points/month; or ``dfs``), else ``alsfrs_at_diagnosis`` with
        ``onset_to_diagnosis_months``.
    bins : int or sequence of float
        Histogram bins.

    Returns
    -------
    matplotlib.figure.Figure
        Counts of patients by ΔFS, with the median, the registry median range (0.4–0.6
        points/month) and the trial mean (1.02; Atassi 2014) marked.
    """
    df = _table(cohort)
    col = _column(df, "alsfrs_r_dfs", "dfs", "delta_fs", required=False)
    if col is not None:
        dfs = np.asarray(df[col], dtype=float)
    else:
        a = _column(df, "alsfrs_at_diagnosis")
        m = _column(df, "onset_to_diagnosis_months", "diagnostic_delay_months")
        with np.errstate(divide="ignore", invalid="ignore"):
            dfs = (48.0 - np.asarray(df[a], dtype=float)) / np.asarray(df[m], dtype=float)
    dfs = dfs[np.isfinite(dfs)]
    fig = new_figure(10, 6)
    ax = fig.add_subplot()
    ax.hist(dfs, bins=bins, color=OKABE_ITO["blue"], edgecolor="white", alpha=0.85)
    ax.axvspan(0.4, 0.6, color=OKABE_ITO["bluish_green"], alpha=0.25,
               label="registry medians 0.4–0.6")
    ax.axvline(1.02, color=OKABE_ITO["vermillion"], ls="--", lw=2, label="trial mean 1.02")
    if dfs.size:
        med = float(np.median(dfs))
        ax.axvline(med, color="black", lw=2.4, label=f"model median {med:.2f}")
        title = (f"ALSFRS-R falls a median {med:.2f} points/month before diagnosis "
                 f"(n = {dfs.size})\nfast progressors form the long right tail")
    else:
        title = "ΔFS: no patient was diagnosed within the horizon"
    ax.set_xlabel("ΔFS = (48 − ALSFRS-R at diagnosis) / months from onset (points/month)")
    ax.set_ylabel("patients")
    ax.legend(loc="upper right")
    ax.set_title(title, fontsize=13)
    return fig


def _site_of_segments(anatomy) -> dict[str, str]:
    return {s.name: s.onset_site for s in anatomy.segments}


def first_spread_table(cohort, anatomy=None):
    """Direction of each patient's first spread and the region involved next.

    From the clinical layer's columns when present: ``first_spread.direction`` and, for the
    next region, the earliest of ``region_involvement_months.REGION`` other than the onset
    site's. Otherwise from the neuron loss: the first segment-side in ``order_of_involvement``
    (populations by the time they lost 10%) is the start, the next one gives the direction
    (``contralateral``, ``rostral`` or ``caudal``) and the first one in another region the
    region reached next.

    Parameters
    ----------
    cohort : CohortResult or pandas.DataFrame
    anatomy : alssim.anatomy.Anatomy, optional
        Default: the cohort's config anatomy if it has one, else the default anatomy.

    Returns
    -------
    pandas.DataFrame
        Columns ``onset_site``, ``direction`` and ``next_site`` (``None`` where not reached).
    """

    df = _table(cohort)
    dir_col = _column(df, "first_spread.direction", required=False)
    reg_cols = {s: _column(df, f"region_involvement_months.{s}", required=False) for s in SITES}
    if dir_col is not None and "onset.site" in df.columns:
        sites = df["onset.site"].astype(str).to_numpy()
        months = np.column_stack([
            np.asarray(df[c], dtype=float) if c is not None else np.full(len(df), np.nan)
            for c in reg_cols.values()])
        nxt = []
        for i, site in enumerate(sites):
            row = np.where(np.array(SITES) == site, np.nan, months[i])
            nxt.append(SITES[int(np.nanargmin(row))] if np.isfinite(row).any() else None)
        direction = df[dir_col].astype(object).where(df[dir_col].notna(), None)
        return pd.DataFrame({"onset_site": sites, "direction": direction.to_numpy(),
                             "next_site": nxt})
    if anatomy is None:
        cfg = getattr(cohort, "config", None)
        anatomy = getattr(cfg, "anatomy", None)
    if anatomy is None:
        anatomy = load_config().anatomy
    seg_site = _site_of_segments(anatomy)
    seg_index = {n: i for i, n in enumerate(anatomy.segment_names)}
    col = _column(df, "order_of_involvement")
    rows = []
    for text in df[col].fillna("").astype(str):
        seq: list[tuple[str, str]] = []
        for lab in filter(None, text.split(";")):
            parts = lab.split(":")
            if len(parts) != 3 or parts[1] not in seg_index:
                continue
            key = (parts[1], parts[2])
            if key not in seq:
                seq.append(key)
        if not seq:
            rows.append((None, None, None))
            continue
        seg0, _side0 = seq[0]
        site0 = seg_site[seg0]
        direction = None
        if len(seq) > 1:
            seg1, _side1 = seq[1]
            if seg1 == seg0:
                direction = "contralateral"
            else:
                direction = "caudal" if seg_index[seg1] > seg_index[seg0] else "rostral"
        nxt = next((seg_site[s] for s, _ in seq[1:] if seg_site[s] != site0), None)
        rows.append((site0, direction, nxt))
    return pd.DataFrame(rows, columns=["onset_site", "direction", "next_site"])


@styled
def plot_first_spread(cohort, anatomy=None):
    """Where the disease goes first: direction of first spread and the next region, by onset site.

    Parameters
    ----------
    cohort : CohortResult or pandas.DataFrame
        Needs ``order_of_involvement`` (and the anatomy, see :func:`first_spread_table`).
    anatomy : alssim.anatomy.Anatomy, optional

    Returns
    -------
    matplotlib.figure.Figure
        Left: percent of patients of each onset site whose first spread went to the other side,
        up (rostral) or down (caudal). Right: percent whose next region was each site.
        Published: to the other side ~3x as often as up or down; bulbar → legs 29% but
        lumbar → bulbar 5% (Walhout 2018, Ludolph 2024).
    """
    tab = first_spread_table(cohort, anatomy)
    directions = ("contralateral", "caudal", "rostral")
    sites = [s for s in SITES if (tab["onset_site"] == s).any()]
    fig = new_figure(14, 1.8 + 1.0 * max(len(sites), 1) + 1.2)
    ax_dir, ax_site = fig.subplots(1, 2, width_ratios=(3, 4))
    for ax, col, cats, title in (
        (ax_dir, "direction", directions, "Direction of the first spread"),
        (ax_site, "next_site", SITES, "Region reached next"),
    ):
        mat = np.full((len(sites), len(cats)), np.nan)
        ns = []
        for i, s in enumerate(sites):
            sub = tab[tab["onset_site"] == s][col].dropna()
            ns.append(len(sub))
            if len(sub):
                mat[i] = [100.0 * (sub == c).mean() for c in cats]
        ax.imshow(np.nan_to_num(mat), cmap="Blues", vmin=0, vmax=100, aspect="auto")
        for i in range(len(sites)):
            for j in range(len(cats)):
                if np.isfinite(mat[i, j]):
                    ax.text(j, i, f"{mat[i, j]:.0f}%", ha="center", va="center", fontsize=14,
                            color="white" if mat[i, j] > 55 else "black", fontweight="bold")
        ax.set_xticks(range(len(cats)), [SITE_NAMES.get(c, c).replace(" / ", "/\n") if
                                         c in SITE_NAMES else c for c in cats])
        ax.set_yticks(range(len(sites)),
                      [f"{SITE_NAMES[s]} onset\n(n = {n})" for s, n in zip(sites, ns, strict=True)])
        ax.grid(False)
        ax.set_title(title)
    ax_dir.set_xlabel("first spread goes to")
    ax_site.set_xlabel("next region involved")
    ax_site.set_yticklabels([])
    share = tab["direction"].value_counts(normalize=True)
    contra = share.get("contralateral", 0.0)
    other = max(share.get("caudal", 0.0), share.get("rostral", 0.0))
    ratio = f"{contra / other:.1f}x" if other > 0 else "always"
    fig.suptitle(f"First spread goes to the other side {ratio} as often as up or down "
                 "(published: about 3x)")
    return fig


def _wilson(k: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval of ``k / n`` (:meth:`scipy.stats.binomtest`); NaN for n = 0."""

    if n == 0:
        return (np.nan, np.nan)
    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=0.95, method="wilson")
    return (float(ci.low), float(ci.high))


@styled
def plot_onset_sites(cohort):
    """Onset-site shares of the cohort beside the published ones.

    Parameters
    ----------
    cohort : CohortResult or pandas.DataFrame
        Column ``onset.site``.

    Returns
    -------
    matplotlib.figure.Figure
        Model share per site (bars, 95% Wilson interval) beside the published range (grey
        bar) and a reference study's value (diamond) from LITERATURE.md.
    """
    df = _table(cohort)
    sites = np.asarray(_site_series(df))
    n = sites.size
    fig = new_figure(10, 6)
    ax = fig.add_subplot()
    x = np.arange(len(SITES))
    for i, s in enumerate(SITES):
        k = int((sites == s).sum())
        share = 100.0 * k / n if n else np.nan
        lo, hi = _wilson(k, n)
        ax.bar(i - 0.2, share, width=0.38, color=SITE_COLOURS[s],
               label="model (95% interval)" if i == 0 else None)
        ax.errorbar(i - 0.2, share, yerr=[[share - 100 * lo], [100 * hi - share]],
                    color="black", capsize=5, lw=1.6)
        ax.text(i - 0.2, 100 * hi + 0.8, f"{share:.0f}%", ha="center", va="bottom", fontsize=12)
        plo, phi, ref = PUBLISHED_ONSET_SITES[s]
        ax.bar(i + 0.2, phi - plo, bottom=plo, width=0.38, color="0.75",
               label="published range" if i == 0 else None)
        ax.plot(i + 0.2, ref, "D", color="black", ms=8,
                label="Ludolph 2024 (trunk: US Registry)" if i == 0 else None)
    ax.set_xticks(x, [SITE_NAMES[s] for s in SITES])
    ax.set_xlabel("onset site")
    ax.set_ylabel("patients (%)")
    ax.set_ylim(0, 60)
    ax.legend(loc="upper right")
    ax.set_title(f"Onset site: model (n = {n}) beside the registries\n"
                 "limb onset is commonest, trunk onset rare")
    return fig


#: Sweep columns that come before the swept keys (see :func:`alssim.sweep`).
_SWEEP_LEADING = ("run_id", "point", "replicate", "seed")


def swept_keys(table) -> list[str]:
    """The swept config keys of a sweep table, in design order.

    From ``table.attrs["sweep"]`` (set by :func:`alssim.sweep` and by
    :func:`alssim.sweep.load_runs` when the folder's ``spec.json`` is beside ``runs.csv``);
    otherwise the columns after ``seed`` that are config keys (a sweep table has the swept keys
    right after ``run_id``, ``point``, ``replicate``, ``seed``). Empty for a table that is not a
    sweep's.
    """
    meta = getattr(table, "attrs", {}).get("sweep")
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
    cens_col = _column(df, "censored", required=False) if what == "died" else None
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
        found = {n: _column(df, n, required=False) for n in need}
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
    table : pandas.DataFrame
        A sweep table (one row per run), or the rows of one group of it.
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
def plot_sweep(table, parameter: str, outcome: str, *, by: str | None = None,
               pool: Sequence[str] = (), log_x: bool = False, confidence: float = 0.95):
    """An outcome against a swept parameter, every run accounted for.

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep table (one row per run), e.g. from :func:`alssim.sweep` or
        :func:`alssim.sweep.load_runs`.
    parameter : str
        Column of the swept parameter (e.g. ``"spread.contralateral_rate"``).
    outcome : str
        Column of the outcome (found exactly or as a dotted suffix).
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
        in ``pool``; the message says what to pass.
    MissingColumnError
        If a column is missing, or a survival-type outcome has censored runs and the table
        lacks the columns to censor them (``horizon_months``, ``clinical.censored``,
        ``clinical.clinical_onset_months``).
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if not isinstance(table, pd.DataFrame):
        table = _table(table)
    pcol = str(_column(table, parameter))  # required columns: never None
    ocol = str(_column(table, outcome))
    bycol = str(_column(table, by)) if by is not None else None
    pooled = [str(_column(table, k)) for k in pool]
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
    fig = new_figure(10, 6.5)
    ax = fig.add_subplot()
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
