"""The clinical course (ALSFRS-R, FVC, stages, diagnosis, death) and the signs per segment.

These figures read the clinical layer's outputs (``result.clinical``); they raise
:class:`RuntimeError` for a result without them. Time runs in months from clinical onset, as the
literature reports it.
"""

from __future__ import annotations

import numpy as np

from alssim.analysis import _data
from alssim.analysis._clinical_api import ASHWORTH_LABELS, ClinicalView, view
from alssim.analysis._style import new_figure, styled
from alssim.analysis.palette import OKABE_ITO
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


def _need(result) -> ClinicalView:
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
    """Diagnosis and death as vertical lines through every panel, labelled in the top one."""
    marks = [("diagnosis", v.diagnosis_months, OKABE_ITO["blue"], "--"),
             ("death", v.death_months, "black", "-")]
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
    start = 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            lab = labels[start]
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
def plot_clinical_course(result, *, t_max: float | None = None):
    """ALSFRS-R (total, domains, D50 fit), FVC, King's and MiToS stages, diagnosis and death.

    Parameters
    ----------
    result : alssim.Result
        With the clinical layer available.
    t_max : float, optional
        Right end of the time axis, in the figure's time unit (months from clinical onset).

    Returns
    -------
    matplotlib.figure.Figure
        Four panels sharing the time axis: ALSFRS-R total with its D50 fit; the four domain
        scores; FVC (% predicted); King's and MiToS stages as bands.

    Raises
    ------
    RuntimeError
        If the clinical layer is not available for ``result``.
    """
    v = _need(result)
    x, offset, xlabel = _axis(v)
    end = _data.time_window(result) - offset if t_max is None else float(t_max)
    start = min(0.0, -3.0) if v.onset_months is not None else 0.0
    fig = new_figure(12, 11)
    axes = fig.subplots(4, 1, sharex=True, height_ratios=(3, 2.2, 2.2, 1.4))
    ax_tot, ax_dom, ax_fvc, ax_stage = axes

    if v.alsfrs_total is not None:
        ax_tot.plot(x, v.alsfrs_total, color="black", lw=2.8, label="ALSFRS-R total (model)")
    if v.d50 is not None and v.dx is not None:
        ax_tot.plot(x, d50_curve(x, v.d50, v.dx), color=OKABE_ITO["vermillion"], ls="--",
                    lw=2.2, label=f"D50 fit: D50 = {v.d50:.0f} months, dx = {v.dx:.1f}")
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
    ax_fvc.axhline(80, color="0.6", lw=1, ls=":")
    ax_fvc.axhline(50, color=OKABE_ITO["vermillion"], lw=1.2, ls=":")
    ax_fvc.text(1.0, 50, " 50%: ventilation ", transform=ax_fvc.get_yaxis_transform(),
                ha="right", va="bottom", fontsize=10, color=OKABE_ITO["vermillion"])
    ax_fvc.set_ylim(0, 115)
    ax_fvc.set_ylabel("FVC (% predicted)")
    ax_fvc.set_title("Forced vital capacity")

    ax_stage.set_xlim(start, end)
    if v.kings is not None:
        _stage_strip(ax_stage, x, v.kings, _KINGS_ORDER, 1.0, "Blues")
    if v.mitos is not None:
        _stage_strip(ax_stage, x, np.asarray(v.mitos).astype(int).astype(str),
                     tuple(str(i) for i in range(6)), 0.0, "Oranges")
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


@styled
def plot_signs(result, *, t_max: float | None = None):
    """Signs per segment and side over time: weakness, spasticity and fasciculations.

    Parameters
    ----------
    result : alssim.Result
        With the clinical layer available.
    t_max : float, optional
        Right end of the time axis, in the figure's time unit.

    Returns
    -------
    matplotlib.figure.Figure
        Three heat maps (rows: segment and side, rostral at the top; columns: time): MRC grade,
        Modified Ashworth grade and fasciculation rate. Where one row shows both spasticity
        (UMN) and weakness or fasciculations (LMN), that segment has the mixed picture of ALS.

    Raises
    ------
    RuntimeError
        If the clinical layer is not available for ``result``.
    """
    import matplotlib
    from matplotlib.colors import BoundaryNorm, ListedColormap

    v = _need(result)
    x, offset, xlabel = _axis(v)
    end = _data.time_window(result) - offset if t_max is None else float(t_max)
    anat = result.anatomy
    rows = [(s, c) for s in range(anat.n_segments) for c in (1, 0)]
    row_labels = [segment_label(anat, anat.segment_names[s], side=("left", "right")[c])
                  for s, c in rows]
    edges = np.r_[x[0], 0.5 * (x[1:] + x[:-1]), x[-1]]
    fig = new_figure(13, 3.0 + 0.42 * len(rows) * 3)
    axes = fig.subplots(3, 1, sharex=True)

    def rowwise(arr):
        arr = np.asarray(arr, dtype=float)
        return np.stack([arr[:, s, c] for s, c in rows], axis=0)

    blues = matplotlib.colormaps["Blues"]
    panels = [
        ("mrc", "Weakness (LMN and UMN): MRC grade", "MRC grade (5 normal)",
         ListedColormap([blues(0.95 - 0.9 * i / 5) for i in range(6)]),
         BoundaryNorm(np.arange(-0.5, 6.5), 6), list(range(6)), None),
        ("ashworth", "Spasticity (UMN): Modified Ashworth", "Ashworth grade",
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
        mesh = ax.pcolormesh(edges, np.arange(len(rows) + 1), rowwise(data), cmap=cmap,
                             norm=norm, shading="flat")
        cb = fig.colorbar(mesh, ax=ax, pad=0.01, ticks=ticks)
        if ticklabels is not None:
            cb.set_ticklabels(ticklabels)
        cb.set_label(cb_label, labelpad=10)
        ax.set_yticks(np.arange(len(rows)) + 0.5, row_labels, fontsize=10)
        ax.set_ylim(len(rows), 0)
        for y in range(2, len(rows), 2):
            ax.axhline(y, color="white", lw=2)
    axes[-1].set_xlabel(xlabel)
    axes[-1].set_xlim(min(0.0, x[0]) if v.onset_months is None else -3.0, end)
    _events(axes, v, offset)
    fig.suptitle("The mixed picture: spasticity (UMN) beside weakness and fasciculations (LMN) "
                 "in the same segments")
    return fig
