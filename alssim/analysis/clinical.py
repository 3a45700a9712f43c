"""The clinical course (ALSFRS-R, FVC, stages, diagnosis, death) and the signs per segment.

These figures read the clinical layer's outputs (``result.clinical``); they raise
:class:`RuntimeError` for a result without them. Time runs in months from clinical onset, as the
literature reports it. A patient's curves end at the record of death, which is marked; the time
after it is shaded and empty.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from alssim.analysis import _data
from alssim.analysis._clinical_api import ASHWORTH_LABELS, ClinicalView, view
from alssim.analysis._style import new_figure, panel_figure, styled
from alssim.analysis.palette import OKABE_ITO, segment_colours
from alssim.analysis.regions import segment_label

__all__ = ["d50_curve", "plot_clinical_course", "plot_signs"]

_DOMAIN_COLOURS = {
    "bulbar": OKABE_ITO["reddish_purple"],
    "fine_motor": OKABE_ITO["blue"],
    "gross_motor": OKABE_ITO["orange"],
    "respiratory": OKABE_ITO["bluish_green"],
}
_KINGS_ORDER = ("0", "1", "2", "3", "4A", "4B", "5")


def d50_curve(t_from_onset: np.ndarray, d50: float, dx: float) -> np.ndarray:
    """The D50 model: ALSFRS-R(t) = 48 / (1 + exp((t - D50) / dx)).

    Parameters
    ----------
    t_from_onset : ndarray
        Months from clinical onset.
    d50 : float
        Months from onset to a score of 24.
    dx : float
        Months; the time constant of the decline.

    Returns
    -------
    ndarray
        ALSFRS-R total, same shape as ``t_from_onset``.
    """
    z = np.clip((np.asarray(t_from_onset, dtype=float) - d50) / dx, -700, 700)
    return 48.0 / (1.0 + np.exp(z))


def _is_result(obj: Any) -> bool:
    return hasattr(obj, "times_months") and hasattr(obj, "anatomy")


def _one_result(result, func: str) -> None:
    """Refuse anything but one Result with a TypeError that says what ``func`` takes."""
    if _is_result(result):
        return
    if hasattr(result, "trajectories"):
        hint = (f"; for a cohort's kept patients pass list(cohort.trajectories.values())"
                f"{' to plot_clinical_course' if func != 'plot_clinical_course' else ''}")
    elif isinstance(result, Iterable) and not isinstance(result, str | bytes):
        hint = ("; to compare patients pass the list to plot_clinical_course"
                if func != "plot_clinical_course" else "")
    else:
        hint = ""
    raise TypeError(f"{func} takes one alssim Result; got {type(result).__name__}{hint}")


def _need(result, func: str = "this figure") -> ClinicalView:
    _one_result(result, func)
    v = view(result)
    if v is None:
        raise RuntimeError("this figure needs the clinical layer (result.clinical), which is not "
                           "available for this result")
    return v


def _axis(v: ClinicalView) -> tuple[np.ndarray, float, str]:
    """x values, the offset subtracted, and the axis label."""
    t = np.asarray(v.times_months, dtype=float)
    if v.onset_months is not None:
        return t - v.onset_months, v.onset_months, "months from clinical onset"
    return t, 0.0, "months from biological onset"


def _events(axes, v: ClinicalView, offset: float) -> None:
    """Diagnosis and death as vertical lines through every panel, labelled in the top one.

    The time after death is shaded: the patient has no values there.
    """
    marks = [("diagnosis", v.diagnosis_months, OKABE_ITO["blue"], "--"),
             ("death", v.death_months, "black", "-")]
    if v.death_months is not None:
        for ax in axes:
            lo, hi = ax.get_xlim()
            x0 = v.death_months - offset
            if x0 < hi:
                ax.axvspan(x0, hi, color="0.9", lw=0, zorder=0)
                ax.set_xlim(lo, hi)
    for i, ax in enumerate(axes):
        for name, when, colour, ls in marks:
            if when is None:
                continue
            ax.axvline(when - offset, color=colour, ls=ls, lw=1.6, zorder=1)
            if i == 0:
                ax.annotate(name, (when - offset, 1.0), xycoords=("data", "axes fraction"),
                            xytext=(4, -4), textcoords="offset points", va="top", fontsize=11,
                            color=colour)


def _stage_strip(ax, x: np.ndarray, labels: np.ndarray, order: tuple[str, ...], y: float,
                 cmap_name: str = "Blues") -> None:
    import matplotlib

    cmap = matplotlib.colormaps[cmap_name]
    labels = np.asarray(labels).astype(str)
    edges = np.r_[x[0], 0.5 * (x[1:] + x[:-1]), x[-1]]
    missing = np.isin(labels, ("", "nan"))
    ends = np.nonzero(missing[1:] & ~missing[:-1])[0] + 1
    edges[ends] = x[ends - 1]  # a band ends at the record of death, not half a record later
    start = 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            lab = labels[start]
            if lab in ("", "nan"):  # no stage: after death
                start = i
                continue
            rank = order.index(lab) if lab in order else 0
            colour = cmap(0.12 + 0.8 * rank / max(1, len(order) - 1))
            x0, x1 = edges[start], edges[i]
            ax.broken_barh([(x0, x1 - x0)], (y - 0.4, 0.8), facecolors=colour,
                           edgecolors="white", linewidth=1)
            lo, hi = ax.get_xlim()
            v0, v1 = max(x0, lo), min(x1, hi)  # label the visible part of the span
            if v1 - v0 > 0.02 * (hi - lo):
                lum = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]
                ax.text(0.5 * (v0 + v1), y, lab, ha="center", va="center", fontsize=12,
                        fontweight="bold", color="white" if lum < 0.5 else "black", clip_on=True)
            start = i


@styled
def plot_clinical_course(result, *, t_max: float | None = None, fig=None):
    """ALSFRS-R (total, domains, D50 fit), FVC, King's and MiToS stages, diagnosis and death.

    Parameters
    ----------
    result : alssim.Result or sequence of alssim.Result
        With the clinical layer available. Several results (e.g. ``[res_a, res_b]`` or
        ``list(cohort.trajectories.values())``) are drawn on the same axes, one colour per
        patient (see Returns).
    t_max : float, optional
        Right end of the time axis, in the figure's time unit (months from clinical onset).

    fig : matplotlib.figure.Figure or SubFigure, optional
        Draw the panels on this figure, which must have no axes yet (default: a new figure).
    Returns
    -------
    matplotlib.figure.Figure
        One patient: four panels sharing the time axis: ALSFRS-R total with its D50 fit; the
        four domain scores; FVC (% predicted); King's and MiToS stages as bands. Several
        patients: ALSFRS-R total and FVC, one line per patient, and one King's stage band per
        patient; each patient's time counts from their own clinical onset (from biological
        onset for all when one of them has none). Curves end at death (a cross on each
        patient's line; for one patient a vertical line and a shaded, empty remainder).

    Raises
    ------
    RuntimeError
        If the clinical layer is not available for a result.
    TypeError
        If ``result`` is neither a Result nor a sequence of Results.
    ValueError
        If the sequence is empty.
    """
    if not _is_result(result):
        results = _results_list(result)
        if len(results) > 1:
            return _plot_courses(results, t_max=t_max)
        result = results[0]
    v = _need(result, "plot_clinical_course")
    x, offset, xlabel = _axis(v)
    end = _data.time_window(result) - offset if t_max is None else float(t_max)
    start = min(0.0, -3.0) if v.onset_months is not None else 0.0
    fig = panel_figure(fig, 12, 11)
    axes = fig.subplots(4, 1, sharex=True, height_ratios=(3, 2.2, 2.2, 1.4))
    ax_tot, ax_dom, ax_fvc, ax_stage = axes
    lived = x <= (math.inf if v.death_months is None else v.death_months - offset + 1e-5)

    if v.alsfrs_total is not None:
        ax_tot.plot(x, v.alsfrs_total, color="black", lw=2.8, label="ALSFRS-R total (model)")
        _mark_death(ax_tot, x, v.alsfrs_total, v, "black")
    if v.d50 is not None and v.dx is not None:
        ax_tot.plot(x[lived], d50_curve(x[lived], v.d50, v.dx), color=OKABE_ITO["vermillion"],
                    ls="--", lw=2.2, label=f"D50 fit: D50 = {v.d50:.0f} months, dx = {v.dx:.1f}")
        ax_tot.axhline(24, color="0.6", lw=1, ls=":")
        ax_tot.plot([v.d50], [24], "o", color=OKABE_ITO["vermillion"], ms=8)
    ax_tot.set_ylim(0, 49.5)
    ax_tot.set_yticks([0, 12, 24, 36, 48])
    ax_tot.set_ylabel("ALSFRS-R (0–48)")
    ax_tot.legend(loc="lower left")
    ax_tot.set_title("Functional rating: total")

    for name, series in v.alsfrs_domains.items():
        ax_dom.plot(x, series, color=_DOMAIN_COLOURS.get(name, "0.3"),
                    label=name.replace("_", " "))
    ax_dom.set_ylim(-0.5, 12.5)
    ax_dom.set_yticks([0, 4, 8, 12])
    ax_dom.set_ylabel("domain score (0–12)")
    ax_dom.set_title("ALSFRS-R domains: which functions go first")
    if v.alsfrs_domains:
        ax_dom.legend(loc="lower left", ncol=2)

    if v.fvc_percent is not None:
        ax_fvc.plot(x, v.fvc_percent, color=OKABE_ITO["bluish_green"], lw=2.6)
        _mark_death(ax_fvc, x, v.fvc_percent, v, OKABE_ITO["bluish_green"])
    _fvc_guides(ax_fvc)

    ax_stage.set_xlim(start, end)
    if v.kings is not None:
        _stage_strip(ax_stage, x, v.kings, _KINGS_ORDER, 1.0, "Blues")
    if v.mitos is not None:
        _stage_strip(ax_stage, x, _int_labels(v.mitos), tuple(str(i) for i in range(6)), 0.0,
                     "Oranges")
    ax_stage.set_yticks([0, 1], ["MiToS", "King's"])
    ax_stage.set_ylim(-0.6, 1.6)
    ax_stage.grid(False)
    ax_stage.set_title("Stages")
    ax_stage.set_xlabel(xlabel)
    ax_stage.set_xlim(start, end)
    _events(axes, v, offset)

    parts = []
    if v.d50 is not None:
        parts.append(f"ALSFRS-R reaches 24 at {v.d50:.0f} months (D50)")
    if v.diagnosis_months is not None:
        parts.append(f"diagnosis at {v.diagnosis_months - offset:.0f}")
    if v.death_months is not None:
        parts.append(f"death at {v.death_months - offset:.0f}")
    title = "Clinical course"
    if parts:
        title += ": " + "; ".join(parts) + (" months" if len(parts) > 1 else "")
    fig.suptitle(title)
    return fig


def _int_labels(arr) -> np.ndarray:
    """Integer stage codes as text; ``""`` where missing (after death)."""
    a = np.asarray(arr, dtype=float)
    return np.where(np.isnan(a), "", np.nan_to_num(a).astype(int).astype(str))


def _fvc_guides(ax) -> None:
    ax.axhline(80, color="0.6", lw=1, ls=":")
    ax.axhline(50, color=OKABE_ITO["vermillion"], lw=1.2, ls=":")
    ax.text(1.0, 50, " 50%: ventilation ", transform=ax.get_yaxis_transform(),
            ha="right", va="bottom", fontsize=10, color=OKABE_ITO["vermillion"])
    ax.set_ylim(0, 115)
    ax.set_ylabel("FVC (% predicted)")
    ax.set_title("Forced vital capacity")


def _mark_death(ax, x: np.ndarray, series, v: ClinicalView, colour: str, **kwargs) -> None:
    """A cross on ``series`` at the record of death (its last value), if the patient died."""
    if v.death_months is None or series is None:
        return
    y = np.asarray(series, dtype=float)
    ok = np.nonzero(np.isfinite(y))[0]
    if ok.size:
        k = ok[-1]
        ax.plot([x[k]], [y[k]], "X", color=colour, mec="white", mew=1.2, ms=11, zorder=6,
                **kwargs)


def _results_list(results) -> list:
    """``results`` as a list of Results, or a clear TypeError / ValueError."""
    if hasattr(results, "trajectories"):
        raise TypeError("plot_clinical_course takes a Result or a sequence of Results; got "
                        f"{type(results).__name__} (for its kept patients pass "
                        "list(cohort.trajectories.values()))")
    if isinstance(results, str | bytes) or not isinstance(results, Iterable):
        raise TypeError("plot_clinical_course takes a Result or a sequence of Results; got "
                        f"{type(results).__name__}")
    out = list(results)
    if not out:
        raise ValueError("plot_clinical_course: got an empty sequence; give a Result or a "
                         "non-empty sequence of Results")
    for i, r in enumerate(out):
        if not _is_result(r):
            raise TypeError(f"plot_clinical_course: item {i} of the sequence is a "
                            f"{type(r).__name__}, not an alssim Result")
    return out


def _patient_label(i: int, result, results: list) -> str:
    seeds = [getattr(r, "seed", None) for r in results]
    seed = seeds[i]
    if seed is not None and seeds.count(seed) == 1:
        return f"patient {i + 1} (seed {seed})"
    return f"patient {i + 1}"


def _plot_courses(results: list, *, t_max: float | None):
    """Several patients on shared axes: ALSFRS-R, FVC and King's stage, one colour each."""
    views = [_need(r, "plot_clinical_course") for r in results]
    n = len(results)
    colours = list(segment_colours([f"patient {i}" for i in range(n)]).values())
    by_onset = all(v.onset_months is not None for v in views)
    offsets = [float(v.onset_months) if by_onset and v.onset_months is not None else 0.0
               for v in views]
    xlabel = ("months from each patient's clinical onset" if by_onset
              else "months from biological onset (a patient has no clinical onset)")
    fig = new_figure(12, 8.4 + 0.42 * n)
    axes = fig.subplots(3, 1, sharex=True, height_ratios=(3, 2.2, 0.5 + 0.42 * n))
    ax_tot, ax_fvc, ax_stage = axes
    ends, deaths, alive_at_end = [], [], []
    for i, (res, v, off, colour) in enumerate(zip(results, views, offsets, colours,
                                                  strict=True)):
        x = np.asarray(v.times_months, dtype=float) - off
        ends.append(_data.time_window(res) - off)
        label = _patient_label(i, res, results)
        if v.death_months is not None:
            deaths.append(v.death_months - off)
            label += f": died at {v.death_months - off:.0f} months"
        else:
            alive_at_end.append(float(x[-1]))
            label += f": alive at the end ({x[-1]:.0f} months)"
        if v.alsfrs_total is not None:
            ax_tot.plot(x, v.alsfrs_total, color=colour, lw=2.4, label=label)
            _mark_death(ax_tot, x, v.alsfrs_total, v, colour)
            if v.death_months is None:  # censored: a tick at the end of follow-up
                ax_tot.plot([x[-1]], [float(v.alsfrs_total[-1])], "|", color=colour, ms=16,
                            mew=2.5, zorder=6)
            if v.diagnosis_months is not None:
                k = _data.nearest_index(res, v.diagnosis_months)
                ax_tot.plot([x[k]], [float(v.alsfrs_total[k])], "v", color=colour, ms=9,
                            mec="white", zorder=6)
        if v.fvc_percent is not None:
            ax_fvc.plot(x, v.fvc_percent, color=colour, lw=2.2)
            _mark_death(ax_fvc, x, v.fvc_percent, v, colour)
    start = -3.0 if by_onset else 0.0
    end = max(ends) if t_max is None else float(t_max)
    ax_stage.set_xlim(start, end)
    for i, (v, off, colour) in enumerate(zip(views, offsets, colours, strict=True)):
        if v.kings is not None:
            _stage_strip(ax_stage, np.asarray(v.times_months, dtype=float) - off, v.kings,
                         _KINGS_ORDER, float(n - 1 - i), "Blues")
        if v.death_months is not None:
            ax_stage.plot([v.death_months - off], [n - 1 - i], "X", color=colour, mec="white",
                          mew=1.2, ms=11, zorder=6)
    ax_stage.set_yticks(np.arange(n)[::-1], [f"patient {i + 1}" for i in range(n)])
    for tick, colour in zip(ax_stage.get_yticklabels(), colours, strict=True):
        tick.set_color(colour)
        tick.set_fontweight("bold")
    ax_stage.set_ylim(-0.6, n - 0.4)
    ax_stage.grid(False)
    ax_stage.set_title("King's stage (5 = death)")
    ax_stage.set_xlabel(xlabel)
    ax_stage.set_xlim(start, end)

    from matplotlib.lines import Line2D

    handles, labels = ax_tot.get_legend_handles_labels()
    handles += [Line2D([], [], marker="v", color="0.3", ls="none", ms=9),
                Line2D([], [], marker="X", color="0.3", ls="none", ms=10)]
    labels += ["diagnosis", "death (the curve ends)"]
    if alive_at_end:
        handles.append(Line2D([], [], marker="|", color="0.3", ls="none", ms=14, mew=2.5))
        labels.append("end of follow-up, alive")
    ax_tot.legend(handles, labels, loc="lower left", fontsize=10)
    ax_tot.set_ylim(0, 49.5)
    ax_tot.set_yticks([0, 12, 24, 36, 48])
    ax_tot.set_ylabel("ALSFRS-R (0–48)")
    ax_tot.set_title("Functional rating: total")
    _fvc_guides(ax_fvc)
    if deaths:
        died = ", ".join(f"{d:.0f}" for d in sorted(deaths))
        title = f"Clinical course of {n} patients: {len(deaths)} died (at {died} months)"
        if alive_at_end:
            title += f"; {len(alive_at_end)} alive at the end of follow-up"
    else:
        title = f"Clinical course of {n} patients: all alive at the end of follow-up"
    fig.suptitle(title)
    return fig


@styled
def plot_signs(result, *, t_max: float | None = None, fig=None):
    """Signs per segment and side over time: weakness, spasticity and fasciculations.

    Parameters
    ----------
    result : alssim.Result
        With the clinical layer available.
    t_max : float, optional
        Right end of the time axis, in the figure's time unit.

    fig : matplotlib.figure.Figure or SubFigure, optional
        Draw the panels on this figure, which must have no axes yet (default: a new figure).
    Returns
    -------
    matplotlib.figure.Figure
        Three heat maps (columns: time): the MRC grade of each limb muscle a clinician grades
        (rows: muscle and side, grouped by segment, rostral at the top; the segment's grade when
        the course has no per-muscle strength), and the Modified Ashworth grade and the
        fasciculation rate of each segment and side. Where a segment shows both spasticity (UMN)
        and weak muscles or fasciculations (LMN), it has the mixed picture of ALS. The maps end at
        death (marked; the time after it is shaded and empty).

    Raises
    ------
    RuntimeError
        If the clinical layer is not available for ``result``.
    TypeError
        If ``result`` is not one Result.
    """
    import matplotlib
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Rectangle

    v = _need(result, "plot_signs")
    x, offset, xlabel = _axis(v)
    end = _data.time_window(result) - offset if t_max is None else float(t_max)
    anat = result.anatomy
    rows = [(s, c) for s in range(anat.n_segments) for c in (1, 0)]
    row_labels = [segment_label(anat, anat.segment_names[s], side=("left", "right")[c])
                  for s, c in rows]
    edges = np.r_[x[0], 0.5 * (x[1:] + x[:-1]), x[-1]]
    if v.after_death is not None and np.any(v.after_death):
        k = int(np.argmax(v.after_death))
        edges[k] = x[k - 1]  # the maps end at the record of death
    # MRC per limb muscle where the course grades muscles, else per segment
    limb = {seg.name for seg in anat.segments if seg.kings_region in ("upper_limb", "lower_limb")}
    muscle_rows = [(m, c) for seg in anat.segment_names if seg in limb
                   for m, ms in enumerate(v.muscle_segments) if ms == seg for c in (1, 0)]
    by_muscle = v.muscle_mrc is not None and bool(muscle_rows)
    mrc_rows = muscle_rows if by_muscle else rows
    mrc_labels = ([f"{v.muscles[m].replace('_', ' ')} {'LR'[c]}" for m, c in muscle_rows]
                  if by_muscle else row_labels)
    fig = panel_figure(fig, 13, 3.0 + 0.42 * (len(mrc_rows) + 2 * len(rows)))
    axes = fig.subplots(3, 1, sharex=True,
                        gridspec_kw={"height_ratios": [len(mrc_rows), len(rows), len(rows)]})

    def rowwise(arr, which=rows):
        arr = np.asarray(arr, dtype=float)
        return np.stack([arr[:, s, c] for s, c in which], axis=0)

    blues = matplotlib.colormaps["Blues"]
    panels = [
        ("muscle_mrc" if by_muscle else "mrc",
         "Weakness (LMN and UMN): MRC grade of each limb muscle" if by_muscle
         else "Weakness (LMN and UMN): MRC grade", "MRC grade (5 normal)",
         ListedColormap([blues(0.95 - 0.9 * i / 5) for i in range(6)]),
         BoundaryNorm(np.arange(-0.5, 6.5), 6), list(range(6)), None),
        ("ashworth", "Spasticity (UMN): Modified Ashworth, examined in the limbs (grey: not "
         "examined)", "Ashworth grade",
         ListedColormap(matplotlib.colormaps["Purples"](np.linspace(0.05, 0.95, 6))),
         BoundaryNorm(np.arange(-0.5, 6.5), 6), list(range(6)), ASHWORTH_LABELS),
        ("fasciculation_rate", "Fasciculations (LMN): rate", "per minute",
         matplotlib.colormaps["Oranges"], None, None, None),
    ]
    for ax, (key, title, cb_label, cmap, norm, ticks, ticklabels) in zip(axes, panels,
                                                                          strict=True):
        data = getattr(v, key)
        ax.set_title(title)
        ax.grid(False)
        if data is None:
            ax.text(0.5, 0.5, "not available", transform=ax.transAxes, ha="center")
            continue
        panel_rows, panel_labels = ((mrc_rows, mrc_labels) if key in ("mrc", "muscle_mrc")
                                    else (rows, row_labels))
        grid = rowwise(data, panel_rows)
        mesh = ax.pcolormesh(edges, np.arange(len(panel_rows) + 1), grid, cmap=cmap,
                             norm=norm, shading="flat")
        # a sign not examined in a segment (NaN in life, e.g. no bulbar Ashworth): grey row
        living = np.ones(grid.shape[1], dtype=bool) if v.after_death is None else ~np.asarray(
            v.after_death, dtype=bool)
        x_end = edges[int(np.flatnonzero(living)[-1]) + 1] if living.any() else edges[0]
        for r in np.flatnonzero(np.isnan(grid[:, living]).all(axis=1) & living.any()):
            ax.add_patch(Rectangle((edges[0], float(r)), x_end - edges[0], 1, facecolor="0.85",
                                   edgecolor="none", zorder=0))
        cb = fig.colorbar(mesh, ax=ax, pad=0.01, ticks=ticks)
        if ticklabels is not None:
            cb.set_ticklabels(ticklabels)
        cb.set_label(cb_label, labelpad=10)
        ax.set_yticks(np.arange(len(panel_rows)) + 0.5, panel_labels, fontsize=10)
        ax.set_ylim(len(panel_rows), 0)
        for y in range(2, len(panel_rows), 2):
            ax.axhline(y, color="white", lw=2)
    axes[-1].set_xlabel(xlabel)
    axes[-1].set_xlim(min(0.0, x[0]) if v.onset_months is None else -3.0, end)
    _events(axes, v, offset)
    fig.suptitle("The mixed picture: spasticity (UMN) beside weakness and fasciculations (LMN) "
                 "in the same segments")
    return fig
