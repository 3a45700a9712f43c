"""The spread timeline: when each segment and side became involved, in order."""

from __future__ import annotations

import numpy as np

from alssim.analysis import _data
from alssim.analysis._clinical_api import view
from alssim.analysis._style import panel_figure, styled
from alssim.analysis.palette import segment_colours
from alssim.analysis.populations import mark_clinical_onset
from alssim.analysis.regions import segment_label

__all__ = ["involvement_order", "plot_spread_timeline"]


def involvement_order(result) -> list[tuple[str, str, float]]:
    """Segment-sides in the order they became involved.

    A segment-side is involved when its UMNs or its LMNs have lost 10% (the ``lost_10``
    milestone of the result) while the patient lived (by the record of death).

    Returns
    -------
    list of (segment, side, months)
        Months from biological onset; segment-sides never involved in life come last with
        ``inf``.
    """
    anat = result.anatomy
    t10 = _data.involvement(result, "lost_10").min(axis=0)  # (n_segments, 2)
    order = np.argsort(t10, axis=None, kind="stable")
    out = []
    for flat in order:
        s, side = np.unravel_index(flat, t10.shape)
        out.append((anat.segment_names[s], ("left", "right")[side], float(t10[s, side])))
    return out


@styled
def plot_spread_timeline(result, *, t_max: float | None = None, fig=None):
    """When each segment and side lost 10% and 50% of its LMNs and UMNs, in order of involvement.

    A white diamond marks when the segment-side became clinically involved (the clinical
    layer's ``involved``), when that layer is available.

    Parameters
    ----------
    result : alssim.Result
    t_max : float, optional
        Right end of the time axis, months from biological onset.

    fig : matplotlib.figure.Figure or SubFigure, optional
        Draw the panels on this figure, which must have no axes yet (default: a new figure).
    Returns
    -------
    matplotlib.figure.Figure
        One row per segment-side, first involved at the top: a thick bar for the LMNs and a
        thin hatched bar for the UMNs, dark from 10% to 50% lost and pale after 50% lost.
        Clinical onset and death are marked when the clinical layer gives them; the bars end at
        death, and losses the patient did not live to are not drawn.
    """
    anat = result.anatomy
    colours = segment_colours(anat.segment_names)
    t10 = _data.involvement(result, "lost_10")
    t50 = _data.involvement(result, "lost_50")
    death = _data.death_months(result)
    horizon = float(result.times_months[-1]) if death is None else death
    t_max = _data.time_window(result) if t_max is None else float(t_max)
    order = involvement_order(result)
    n = len(order)
    fig = panel_figure(fig, 12, 1.2 + 0.52 * n + 1.3)
    ax = fig.add_subplot()
    labels = []
    for row, (seg, side, first) in enumerate(order):
        s = anat.segment_index(seg)
        c = ("left", "right").index(side)
        y = n - 1 - row
        colour = colours[seg]
        for comp, dy, h, hatch in ((1, -0.12, 0.42, None), (0, 0.27, 0.2, "////")):
            a, b = t10[comp, s, c], t50[comp, s, c]
            if not np.isfinite(a):
                continue
            b_end = min(b, horizon) if np.isfinite(b) else horizon
            ax.barh(y + dy, b_end - a, left=a, height=h, color=colour, edgecolor="black",
                    linewidth=0.6, hatch=hatch)
            if np.isfinite(b):
                ax.barh(y + dy, horizon - b, left=b, height=h, color=colour, alpha=0.3,
                        edgecolor="none", hatch=hatch)
        rank = f"{row + 1}. " if np.isfinite(first) else ""
        labels.append(rank + segment_label(anat, seg, side=side))
        if np.isfinite(first):
            ax.annotate(f"{first:.0f}", (first, y - 0.12), xytext=(-4, 0),
                        textcoords="offset points", ha="right", va="center", fontsize=11)
    clinical_t = _clinical_involvement(result)
    if clinical_t is not None:
        for row, (seg, side, _first) in enumerate(order):
            when = clinical_t[anat.segment_index(seg), ("left", "right").index(side)]
            if np.isfinite(when):
                ax.plot(when, n - 1 - row - 0.12, "D", color="white", mec="black", mew=1.8,
                        ms=10, zorder=6)
    ax.set_yticks(np.arange(n)[::-1], labels)
    for tick, (seg, _side, _t) in zip(ax.get_yticklabels(), order, strict=True):
        tick.set_color(_darker(colours[seg]))
        tick.set_fontweight("bold")
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlim(0, t_max)
    ax.set_xlabel("months from biological onset (number: month the segment-side lost 10%)")
    ax.grid(axis="y", visible=False)
    mark_clinical_onset(ax, result)
    from matplotlib.artist import Artist
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Artist] = [
        Patch(facecolor="0.45", edgecolor="black", label="LMNs: 10% to 50% lost"),
        Patch(facecolor="0.45", edgecolor="black", hatch="////", label="UMNs: 10% to 50% lost"),
        Patch(facecolor="0.45", alpha=0.3, label="more than 50% lost"),
    ]
    if clinical_t is not None:
        handles.append(Line2D([], [], marker="D", color="white", mec="black", mew=1.8, ms=10,
                              ls="none", label="clinically involved"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles))
    fig.suptitle("Spread timeline: " + _lower_first(_data.spread_story(result, "lmn")))
    return fig


def _clinical_involvement(result) -> np.ndarray | None:
    """Months from biological onset each segment-side became clinically involved, (S, 2)."""

    v = view(result)
    if v is None or v.involved is None:
        return None
    inv = np.asarray(v.involved, dtype=float) >= 0.5  # NaN (after death): not involved
    t = np.asarray(result.times_months, dtype=float)
    first = np.where(inv.any(axis=0), t[np.argmax(inv, axis=0)], np.inf)
    return first


def _darker(colour: str, amount: float = 0.3) -> tuple[float, float, float]:
    """``colour`` mixed with ``amount`` of black (for text in a light segment colour)."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(colour)
    return (r * (1.0 - amount), g * (1.0 - amount), b * (1.0 - amount))


def _lower_first(text: str) -> str:
    return text if text[:3].isupper() else text[:1].lower() + text[1:]
