"""UMN and LMN populations over time: alive and dysfunctional per segment, left beside right."""

from __future__ import annotations

import numpy as np

from alssim.analysis import _data
from alssim.analysis._clinical_api import view
from alssim.analysis._style import panel_figure, styled
from alssim.analysis.palette import segment_colours
from alssim.analysis.regions import segment_label

__all__ = ["plot_populations"]

_TIME_LABEL = "months from biological onset"


def mark_clinical_onset(ax, result, *, label: bool = True) -> None:
    """Vertical lines at clinical onset and death when the clinical layer gives them.

    The time after death is shaded: the figures draw nothing of the patient there.
    """

    v = view(result)
    if v is None:
        return
    horizon = float(result.times_months[-1])
    if v.death_months is not None and v.death_months < horizon:
        lo, hi = ax.get_xlim()
        ax.axvspan(v.death_months, horizon, color="0.9", lw=0, zorder=0)
        ax.set_xlim(lo, hi)
    for name, when, ls in (("clinical onset", v.onset_months, "-."),
                           ("death", v.death_months, "-")):
        if when is None:
            continue
        ax.axvline(when, color="0.3", lw=1.5, ls=ls, zorder=1)
        if label:
            ax.annotate(name, (when, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(3, -3), textcoords="offset points", ha="left", va="top",
                        fontsize=10, color="0.25")


@styled
def plot_populations(result, *, dysfunctional: bool = True, t_max: float | None = None, fig=None):
    """Neurons alive (and dysfunctional) in each segment over time, left side beside right.

    Parameters
    ----------
    result : alssim.Result
    dysfunctional : bool
        Also draw the living but hyperexcitable (dysfunctional) neurons, dashed.
    t_max : float, optional
        Right end of the time axis, months from biological onset (default: until every LMN pool
        is 95% lost, plus six months).

    fig : matplotlib.figure.Figure or SubFigure, optional
        Draw the panels on this figure, which must have no axes yet (default: a new figure).
    Returns
    -------
    matplotlib.figure.Figure
        A 2 x 2 grid: rows UMN, LMN; columns the patient's left and right side. Y axes are
        percent of the neurons present at onset; one colour per segment. The curves end at the
        patient's death (marked) when the clinical layer gives one.
    """
    anat = result.anatomy
    t = np.asarray(result.times_months, dtype=float)
    colours = segment_colours(anat.segment_names)
    t_max = _data.time_window(result) if t_max is None else float(t_max)
    fig = panel_figure(fig, 13, 8.5)
    axes = fig.subplots(2, 2, sharex=True, sharey=True)
    for r, comp in enumerate(("umn", "lmn")):
        alive = _data.until_death(result, 100.0 * (1.0 - _data.lost_fraction(result, comp)))
        counts = anat.population_grid(np.asarray(result.counts, dtype=float))[r]
        dys = _data.until_death(
            result, 100.0 * _data.population_series(result, "dysfunctional", comp) / counts)
        for c, side in enumerate(("left", "right")):
            ax = axes[r, c]
            for s, seg in enumerate(anat.segment_names):
                ax.plot(t, alive[:, s, c], color=colours[seg],
                        label=segment_label(anat, seg))
                if dysfunctional:
                    ax.plot(t, dys[:, s, c], color=colours[seg], ls="--", lw=1.4)
            mark_clinical_onset(ax, result, label=(r == 0))
            hemi = "right" if side == "left" else "left"
            where = f" (cortex of the {hemi} hemisphere)" if comp == "umn" else " (spinal cord)"
            ax.set_title(f"{comp.upper()}s serving the {side} side{where}", fontsize=13)
            ax.set_xlim(0, t_max)
            ax.set_ylim(-2, 102)
            if c == 0:
                ax.set_ylabel(f"{comp.upper()}s (% of count at onset)")
            if r == 1:
                ax.set_xlabel(_TIME_LABEL)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    from matplotlib.lines import Line2D

    handles += [Line2D([], [], color="0.3", ls="-"), Line2D([], [], color="0.3", ls="--", lw=1.4)]
    labels += ["alive", "dysfunctional (alive, hyperexcitable)" if dysfunctional else ""]
    if not dysfunctional:
        handles, labels = handles[:-1], labels[:-1]
    fig.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=11)
    fig.suptitle(_data.spread_story(result, "lmn"))
    return fig
