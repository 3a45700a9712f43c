"""Motor units of one LMN pool: which units die first, and how reinnervation hides the loss."""

from __future__ import annotations

from typing import Any

import numpy as np

from alssim.analysis import _clinical_api, _data
from alssim.analysis._style import panel_figure, single_axes, styled
from alssim.analysis.palette import OKABE_ITO
from alssim.analysis.populations import mark_clinical_onset
from alssim.analysis.regions import segment_label

__all__ = ["default_pool", "plot_motor_units", "plot_mune_cmap_strength"]

_TYPE_STYLE = {
    "alive_s": ("S (slow, smallest)", OKABE_ITO["bluish_green"]),
    "alive_fr": ("FR (fatigue-resistant)", OKABE_ITO["blue"]),
    "alive_ff": ("FF (fast-fatigable, largest)", OKABE_ITO["vermillion"]),
}


def default_pool(result) -> tuple[str, str]:
    """(segment, side) of the LMN pool that lost 10% first (the onset site if none did)."""
    t10 = _data.involvement(result, "lost_10")[1]
    if np.isfinite(t10).any():
        s, c = np.unravel_index(np.argmin(t10), t10.shape)
        return result.anatomy.segment_names[s], ("left", "right")[c]
    return result.onset.segment, result.onset.side


def _pct(series: np.ndarray, result=None) -> np.ndarray:
    """``series`` in percent of its first value; NaN after death when ``result`` is given."""
    series = np.asarray(series, dtype=float)
    base = series[0] if series[0] > 0 else 1.0
    pct = 100.0 * series / base
    return pct if result is None else _data.until_death(result, pct)


@styled
def plot_motor_units(result, segment: str | None = None, side: str | None = None, *,
                     t_max: float | None = None, fig=None):
    """Surviving motor units of one LMN pool by type, and units versus innervated fibres.

    Parameters
    ----------
    result : alssim.Result
    segment, side : str, optional
        The pool (default: the LMN pool that lost 10% first).
    t_max : float, optional
        Right end of the time axis, months from biological onset.

    fig : matplotlib.figure.Figure or SubFigure, optional
        Draw the panels on this figure, which must have no axes yet (default: a new figure).
    Returns
    -------
    matplotlib.figure.Figure
        Left: percent of S, FR and FF units alive (the largest, FF, go first). Right: percent
        of motor units alive beside percent of muscle fibres still innervated by their original
        unit (summed unit size): because large units die first, fibres are lost faster than
        units; strength, CMAP and MUNE from the clinical layer are added when it is present.
        The curves end at the patient's death (marked) when the clinical layer gives one.
    """
    if segment is None or side is None:
        d_seg, d_side = default_pool(result)
        segment, side = segment or d_seg, side or d_side
    anat = result.anatomy
    t = np.asarray(result.times_months, dtype=float)
    t_max = _data.time_window(result) if t_max is None else float(t_max)
    fig = panel_figure(fig, 13, 5.6)
    ax_type, ax_mix = fig.subplots(1, 2, sharey=True)
    for name, (label, colour) in _TYPE_STYLE.items():
        ax_type.plot(t, _pct(result.select(name, "lmn", segment, side), result), color=colour,
                     label=label)
    ax_type.set_title("Surviving motor units by type")
    ax_type.set_ylabel("% of value at onset")
    ax_type.legend(loc="lower left")
    ax_mix.plot(t, _pct(result.select("alive", "lmn", segment, side), result), color="black",
                label="motor units alive")
    ax_mix.plot(t, _pct(result.select("unit_size_alive", "lmn", segment, side), result),
                color=OKABE_ITO["vermillion"], ls="--",
                label="muscle fibres still innervated\n(before reinnervation)")
    clin = _clinical_pool(result, segment, side)
    muscle = (clin["muscle"] or "").replace("_", " ")
    extra = {"strength": ("strength (with reinnervation)", OKABE_ITO["blue"], "-"),
             "cmap": (f"CMAP amplitude ({muscle})", OKABE_ITO["bluish_green"], "-."),
             "mune": (f"MUNE ({muscle})", OKABE_ITO["reddish_purple"], ":")}
    for key, (label, colour, ls) in extra.items():
        if clin.get(key) is not None:
            ax_mix.plot(t, clin[key], color=colour, ls=ls, label=label)
    if clin["strength"] is not None:
        ax_mix.set_title("Reinnervation holds strength and CMAP up")
    else:
        ax_mix.set_title("Units versus innervated fibres")
    ax_mix.legend(loc="lower left", fontsize=10)
    for ax in (ax_type, ax_mix):
        ax.set_xlabel("months from biological onset")
        ax.set_xlim(0, t_max)
        ax.set_ylim(-2, 105)
        mark_clinical_onset(ax, result)
    where = segment_label(anat, segment, side=side)
    fig.suptitle(f"LMN pool of the {where}\nThe largest (FF) units die first, so muscle fibres "
                 "are orphaned faster than units die")
    return fig


def _clinical_pool(result, segment: str, side: str) -> dict[str, Any]:
    """Strength, CMAP and MUNE of one pool in % of healthy, from the clinical layer."""

    return _clinical_api.pool_series(result, segment, side)


@styled
def plot_mune_cmap_strength(result, segment: str | None = None, side: str | None = None, *,
                            t_max: float | None = None, ax=None):
    """MUNE versus CMAP versus strength of one pool over time: reinnervation hides the loss.

    Parameters
    ----------
    result : alssim.Result
        With the clinical layer available (``result.clinical``).
    segment, side : str, optional
        The pool (default: the LMN pool that lost 10% first).
    t_max : float, optional
        Right end of the time axis, months from biological onset.

    ax : matplotlib.axes.Axes, optional
        Draw on this axes (default: a new figure).
    Returns
    -------
    matplotlib.figure.Figure
        Percent of baseline of motor units alive, MUNE, CMAP amplitude and strength: MUNE falls
        with the units, while CMAP and strength hold up until about half the units are gone.
        The curves end at the patient's death (marked).

    Raises
    ------
    RuntimeError
        If the clinical layer is not available for ``result``.
    """
    if segment is None or side is None:
        d_seg, d_side = default_pool(result)
        segment, side = segment or d_seg, side or d_side
    clin = _clinical_pool(result, segment, side)
    if all(clin[k] is None for k in ("strength", "cmap", "mune")):
        raise RuntimeError("plot_mune_cmap_strength needs the clinical layer (result.clinical), "
                           "which is not available for this result")
    t = np.asarray(result.times_months, dtype=float)
    t_max = _data.time_window(result) if t_max is None else float(t_max)
    fig, ax = single_axes(ax, 10, 6)
    ax.plot(t, _pct(result.select("alive", "lmn", segment, side), result), color="0.5", lw=1.5,
            label="motor neurons alive (model truth)")
    muscle = (clin["muscle"] or "").replace("_", " ")
    styles = {"mune": (f"MUNE, {muscle} (motor units counted)", OKABE_ITO["reddish_purple"],
                       "-"),
              "cmap": (f"CMAP amplitude, {muscle}", OKABE_ITO["bluish_green"], "--"),
              "strength": (f"strength, {muscle}" if clin.get("strength_of") == "muscle"
                           else "strength of the segment", OKABE_ITO["blue"], "-")}
    for key, (label, colour, ls) in styles.items():
        if clin.get(key) is not None:
            ax.plot(t, clin[key], color=colour, ls=ls, label=label, lw=2.6)
    ax.axhline(50, color="0.6", lw=1, ls=":")
    ax.set_xlim(0, t_max)
    ax.set_ylim(-2, 110)
    ax.set_xlabel("months from biological onset")
    ax.set_ylabel("% of healthy value")
    ax.legend(loc="lower left")
    mark_clinical_onset(ax, result)
    where = segment_label(anat_of(result), segment, side=side)
    ax.set_title(f"{where}: MUNE falls with the units;\nreinnervation holds CMAP and strength up "
                 "until about half are gone", fontsize=14)
    return fig


def anat_of(result):
    """The anatomy of a result (for labels)."""
    return result.anatomy
