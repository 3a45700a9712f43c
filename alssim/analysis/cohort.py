"""Cohort figures, and the Kaplan–Meier estimator they use.

Cohort figures take a cohort result (its ``.patients`` table is used) or that table itself: one
row per patient, with the flattened summary of each run as columns (``onset.site``,
``order_of_involvement``, ...). A column is found by its exact name or as the last dotted part of
a longer name (``survival_months`` matches ``clinical.survival_months``); a figure whose columns
are missing raises :class:`MissingColumnError` naming what it looked for. Sweep figures are in
:mod:`alssim.analysis.sweeps`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from alssim.analysis._style import panel_figure, single_axes, styled
from alssim.analysis.palette import OKABE_ITO, SITE_COLOURS
from alssim.config import load_config
from alssim.errors import AlssimError
from alssim.survival import KaplanMeier, kaplan_meier

__all__ = [
    "PUBLISHED_ONSET_SITES",
    "KaplanMeier",
    "MissingColumnError",
    "find_column",
    "first_spread_table",
    "kaplan_meier",
    "patient_table",
    "plot_dfs_histogram",
    "plot_first_spread",
    "plot_onset_sites",
    "plot_survival_by_onset",
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


# --------------------------------------------------------------------------- table access
def patient_table(cohort) -> Any:
    if isinstance(cohort, pd.DataFrame):
        return cohort
    df = getattr(cohort, "patients", None)
    if isinstance(df, pd.DataFrame):
        return df
    raise TypeError(f"expected a CohortResult or a pandas DataFrame; got {type(cohort).__name__}")


def find_column(df, *names: str, required: bool = True) -> str | None:
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
    col = find_column(df, "onset.site", "onset_site", "site")
    return df[col].astype(str)


def _survival_data(df):
    """Survival months from clinical onset, event flag (True = died), per patient.

    Patients alive at the end (``censored``, or no survival time) are censored at the horizon
    minus their clinical onset; patients without clinical onset are left out.
    """
    col = find_column(df, "survival_months", "survival_from_onset_months")
    t = np.asarray(df[col], dtype=float)
    ev_col = find_column(df, "died", "death_observed", "event", required=False)
    cens_col = find_column(df, "censored", required=False)
    if ev_col is not None:
        ev = np.asarray(df[ev_col].astype(object).fillna(False), dtype=bool)
    elif cens_col is not None:
        ev = ~np.asarray(df[cens_col].astype(object).fillna(True), dtype=bool)
    else:
        ev = np.isfinite(t)
    missing = ~np.isfinite(t)
    if missing.any():  # censored without a time: follow-up to the horizon, from clinical onset
        fu_col = find_column(df, "follow_up_months", "censor_months", "horizon_months")
        fu = np.asarray(df[fu_col], dtype=float)
        on_col = find_column(df, "clinical_onset_months", required=False)
        if on_col is not None and fu_col == "horizon_months":
            fu = fu - np.asarray(df[on_col], dtype=float)  # NaN: never symptomatic, left out
        t = np.where(missing, fu, t)
        ev = ev & ~missing
    keep = np.isfinite(t) & (t >= 0)
    return t[keep], ev[keep], keep


def draw_survival(ax: Any, km: KaplanMeier, *, colour: Any, label: str, lw: float,
                  band_alpha: float) -> None:
    """One Kaplan–Meier curve (percent alive, a step) and its confidence band on ``ax``."""
    ax.step(km.time, 100 * km.survival, where="post", color=colour, lw=lw, label=label)
    ax.fill_between(km.time, 100 * km.lower, 100 * km.upper, step="post", color=colour,
                    alpha=band_alpha, lw=0)


def finish_survival_axes(ax: Any, xlabel: str) -> None:
    """The axes of a survival figure: percent alive from 0, time from 0, the 50% line."""
    ax.axhline(50, color="0.5", lw=1, ls=":")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("alive (%)")
    ax.set_ylim(0, 102)
    ax.set_xlim(0, None)


# --------------------------------------------------------------------------- figures
@styled
def plot_survival_by_onset(cohort, *, alpha: float = 0.05, ax=None):
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

    ax : matplotlib.axes.Axes, optional
        Draw on this axes (default: a new figure).
    Returns
    -------
    matplotlib.figure.Figure
        One curve and band per onset site, the median in the legend, and the published
        median survival by site as bars on the 50% line.
    """
    df = patient_table(cohort)
    sites = _site_series(df)
    t, ev, keep = _survival_data(df)
    sites = np.asarray(sites)[keep]
    fig, ax = single_axes(ax, 11, 7)
    medians = {}
    for site in SITES:
        m = sites == site
        if m.sum() == 0:
            continue
        km = kaplan_meier(t[m], ev[m], alpha=alpha)
        medians[site] = km.median
        colour = SITE_COLOURS[site]
        med = f"{km.median:.0f} mo" if np.isfinite(km.median) else "not reached"
        draw_survival(ax, km, colour=colour, label=f"{SITE_NAMES[site]} (n = {km.n}, median "
                      f"{med})", lw=2.6, band_alpha=0.2)
    published = {"bulbar": PUBLISHED_MEDIAN_SURVIVAL["bulbar"],
                 "limb": PUBLISHED_MEDIAN_SURVIVAL["upper_limb"]}
    for i, (name, (lo, hi)) in enumerate(published.items()):
        y = 50 - 5 * (i + 1)
        colour = SITE_COLOURS["bulbar" if name == "bulbar" else "upper_limb"]
        ax.plot([lo, hi], [y, y], color=colour, lw=8, solid_capstyle="butt", zorder=5)
        ax.text(hi + 1, y, f"published median, {name} onset ({lo:.0f}–{hi:.0f} mo)",
                va="center", fontsize=11, zorder=5,
                bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1})
    finish_survival_axes(ax, "months from clinical onset")
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
def plot_dfs_histogram(cohort, *, bins: int | Sequence[float] = 30, ax=None):
    """Histogram of ΔFS, the ALSFRS-R points lost per month from onset to diagnosis.

    Parameters
    ----------
    cohort : CohortResult or pandas.DataFrame
        Column ``alsfrs_r_dfs`` (points/month; or ``dfs``), else ``alsfrs_at_diagnosis`` with
        ``onset_to_diagnosis_months``.
    bins : int or sequence of float
        Histogram bins.

    ax : matplotlib.axes.Axes, optional
        Draw on this axes (default: a new figure).
    Returns
    -------
    matplotlib.figure.Figure
        Counts of patients by ΔFS, with the median, the registry median range (0.4–0.6
        points/month) and the trial mean (1.02; Atassi 2014) marked.
    """
    df = patient_table(cohort)
    col = find_column(df, "alsfrs_r_dfs", "dfs", "delta_fs", required=False)
    if col is not None:
        dfs = np.asarray(df[col], dtype=float)
    else:
        a = find_column(df, "alsfrs_at_diagnosis")
        m = find_column(df, "onset_to_diagnosis_months", "diagnostic_delay_months")
        with np.errstate(divide="ignore", invalid="ignore"):
            dfs = (48.0 - np.asarray(df[a], dtype=float)) / np.asarray(df[m], dtype=float)
    dfs = dfs[np.isfinite(dfs)]
    fig, ax = single_axes(ax, 10, 6)
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

    df = patient_table(cohort)
    dir_col = find_column(df, "first_spread.direction", required=False)
    reg_cols = {s: find_column(df, f"region_involvement_months.{s}", required=False) for s in SITES}
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
    col = find_column(df, "order_of_involvement")
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
def plot_first_spread(cohort, anatomy=None, *, fig=None):
    """Where the disease goes first: direction of first spread and the next region, by onset site.

    Parameters
    ----------
    cohort : CohortResult or pandas.DataFrame
        Needs ``order_of_involvement`` (and the anatomy, see :func:`first_spread_table`).
    anatomy : alssim.anatomy.Anatomy, optional

    fig : matplotlib.figure.Figure or SubFigure, optional
        Draw the panels on this figure, which must have no axes yet (default: a new figure).
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
    fig = panel_figure(fig, 14, 1.8 + 1.0 * max(len(sites), 1) + 1.2)
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
def plot_onset_sites(cohort, *, ax=None):
    """Onset-site shares of the cohort beside the published ones.

    Parameters
    ----------
    cohort : CohortResult or pandas.DataFrame
        Column ``onset.site``.

    ax : matplotlib.axes.Axes, optional
        Draw on this axes (default: a new figure).
    Returns
    -------
    matplotlib.figure.Figure
        Model share per site (bars, 95% Wilson interval) beside the published range (grey
        bar) and a reference study's value (diamond) from LITERATURE.md.
    """
    df = patient_table(cohort)
    sites = np.asarray(_site_series(df))
    n = sites.size
    fig, ax = single_axes(ax, 10, 6)
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
