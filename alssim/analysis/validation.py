"""Validation and calibration figures: each published figure's simulated value against its
acceptance interval (:func:`plot_validation`), and a calibration's search and fit
(:func:`plot_calibration`, :func:`plot_calibration_targets`).

Targets differ in unit and size (a share of patients, months of survival, a ratio), so they share
one axis by their *position in the acceptance interval*: 0 is the interval's low end and 1 its
high end, so a value inside lies between 0 and 1. A one-sided interval (``>= low`` or
``<= high``, stored with an open end beyond ±1e8, see
:meth:`alssim.validation.Target.interval_text`) is scaled by the magnitude of its finite bound
(1 for a bound of 0), as the calibration distance scales it (:func:`alssim.calibration.distance`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from alssim.analysis._style import single_axes, styled
from alssim.analysis.palette import OKABE_ITO

__all__ = ["acceptance_position", "plot_calibration", "plot_calibration_targets",
           "plot_validation"]

#: Bounds beyond this magnitude are open ends (as in ``configs/validation/targets.toml``).
OPEN = 1e8
#: Positions drawn; values beyond are marked at the edge with their value written beside.
X_LIMITS = (-1.5, 2.5)

_PASS = OKABE_ITO["blue"]
_FAIL = OKABE_ITO["vermillion"]
_BAND = "#CDEBD9"  # a light bluish green: the acceptance interval


def acceptance_position(value: Any, low: Any, high: Any) -> np.ndarray:
    """Position of ``value`` in the acceptance interval ``[low, high]`` (0 = low, 1 = high).

    Two-sided intervals: ``(value - low) / (high - low)``. One-sided ones (an open end beyond
    ±1e8): the distance past the finite bound over that bound's magnitude (1 for 0), so the
    bound is at 0 (``>= low``) or 1 (``<= high``). Arrays broadcast; NaN stays NaN.

    Examples
    --------
    >>> acceptance_position([20.0, 34.0, 50.0], 20.0, 48.0).round(3).tolist()
    [0.0, 0.5, 1.071]
    >>> acceptance_position(0.15, 0.3, 1e9).round(3).tolist()
    -0.5
    """
    v, lo, hi = (np.asarray(x, dtype=float) for x in (value, low, high))
    lo_open, hi_open = lo <= -OPEN, hi >= OPEN
    bound = np.where(lo_open, hi, lo)
    scale = np.where(bound != 0, np.abs(bound), 1.0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        two = (v - lo) / np.where(hi > lo, hi - lo, 1.0)
        one = np.where(lo_open, 1.0 + (v - hi) / scale, (v - lo) / scale)
    return np.where(lo_open | hi_open, one, two)


def _number(x: float) -> str:
    if not math.isfinite(x):
        return "n/a" if math.isnan(x) else ("not reached" if x > 0 else "-inf")
    return f"{x:.3g}" if abs(x) < 100 else f"{x:.0f}"


def _interval(low: float, high: float) -> str:
    if high >= OPEN:
        return f">= {low:g}"
    if low <= -OPEN:
        return f"<= {high:g}"
    return f"[{low:g}, {high:g}]"


def _clip(x: np.ndarray) -> np.ndarray:
    return np.clip(x, *X_LIMITS)


def _acceptance_axes(ax: Any, ids: list[str], low: np.ndarray, high: np.ndarray,
                     right: list[str]) -> np.ndarray:
    """Rows (first on top) with each target's acceptance interval as a band; returns the row
    positions."""
    y = np.arange(len(ids))[::-1].astype(float)
    x0, x1 = X_LIMITS
    for yi, lo, hi in zip(y, low, high, strict=True):
        left = x0 if lo <= -OPEN else 0.0
        width = (x1 if hi >= OPEN else 1.0) - left
        ax.barh(yi, width, left=left, height=0.7, color=_BAND, lw=0, zorder=0)
    ax.axvline(0, color="0.6", lw=0.8, zorder=1)
    ax.axvline(1, color="0.6", lw=0.8, zorder=1)
    ax.set_yticks(y, ids)
    ax.set_ylim(-0.7, len(ids) - 0.3)
    ax.set_xlim(x0, x1)
    ax.grid(False, axis="y")
    ax.tick_params(axis="y", labelsize=10)
    for yi, text in zip(y, right, strict=True):
        ax.annotate(text, (1.0, yi), xycoords=("axes fraction", "data"), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=9, color="0.25",
                    annotation_clip=False)
    ax.set_xlabel("position in the acceptance interval (0 = its low end, 1 = its high end)")
    return y


def _beyond(ax: Any, x: np.ndarray, y: np.ndarray, colour: str) -> bool:
    """Mark values beyond the axis at its edge with a triangle pointing out."""
    lo, hi = X_LIMITS
    any_out = False
    for xi, yi in zip(x, y, strict=True):
        if np.isfinite(xi) and not lo <= xi <= hi:
            ax.plot(_clip(np.array([xi]))[0], yi, "<" if xi < lo else ">", color=colour, ms=9,
                    zorder=4, clip_on=False)
            any_out = True
    return any_out


def _frame(obj: Any, attr: str) -> pd.DataFrame:
    if isinstance(obj, pd.DataFrame):
        return obj
    df = getattr(obj, attr, None)
    if isinstance(df, pd.DataFrame):
        return df
    raise TypeError(f"expected a result with a .{attr} table or a pandas DataFrame; got "
                    f"{type(obj).__name__}")


@styled
def plot_validation(report: Any, *, ax: Any = None) -> Any:
    """Every validation figure's simulated value and 95% interval against its acceptance
    interval, all on one axis.

    Parameters
    ----------
    report : ValidationReport or pandas.DataFrame
        A report of :func:`alssim.validation.evaluate` or :func:`~alssim.validation.run_validation`
        (its ``table``), or that table: ``id``, ``low``, ``high``, ``simulated``, ``ci_low``,
        ``ci_high``, ``passed``; ``unit`` optional.
    ax : matplotlib.axes.Axes, optional
        Draw on this axes (default: a new figure, taller with more targets).

    Returns
    -------
    matplotlib.figure.Figure
        One row per target, in the report's order: the acceptance interval as a green band
        (positions 0 to 1, see :func:`acceptance_position`; one-sided intervals run to the
        edge), the simulated value as a dot with its 95% interval as a bar; figures outside
        tolerance in red with a cross, figures passing by interval overlap (small subgroups) as
        open circles, values beyond the axis as triangles at its edge. Right of each row: the
        simulated value and the acceptance interval in the figure's own unit.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    df = _frame(report, "table")
    n = len(df)
    fig, ax = single_axes(ax, 12, 1.8 + 0.3 * max(n, 1))
    low, high = df["low"].to_numpy(float), df["high"].to_numpy(float)
    sim = df["simulated"].to_numpy(float)
    passed = df["passed"].to_numpy(bool)
    units = (df["unit"].fillna("").astype(str) if "unit" in df
             else pd.Series([""] * n, index=df.index))
    right = [f"{_number(s)}{'' if u in ('', 'fraction', 'ratio') else ' ' + u} "
             f"in {_interval(lo, hi)}"
             for s, u, lo, hi in zip(sim, units, low, high, strict=True)]
    y = _acceptance_axes(ax, [str(i) for i in df["id"]], low, high, right)
    x = acceptance_position(sim, low, high)
    x_lo = acceptance_position(df["ci_low"].to_numpy(float), low, high)
    x_hi = acceptance_position(df["ci_high"].to_numpy(float), low, high)
    inside = (sim >= low) & (sim <= high)
    overlap = passed & ~inside & np.isfinite(x)
    for mask, colour in ((passed, _PASS), (~passed, _FAIL)):
        ok = mask & np.isfinite(x_lo) & np.isfinite(x_hi)
        ax.hlines(y[ok], _clip(x_lo[ok]), _clip(x_hi[ok]), color=colour, lw=2, zorder=2)
    shown = np.isfinite(x)
    plain = shown & passed & ~overlap
    ax.plot(_clip(x[plain]), y[plain], "o", color=_PASS, ms=7, zorder=3)
    ax.plot(_clip(x[overlap]), y[overlap], "o", mfc="white", mec=_PASS, mew=2, ms=7, zorder=3)
    failed = shown & ~passed
    ax.plot(_clip(x[failed]), y[failed], "X", color=_FAIL, ms=10, zorder=3)
    beyond = _beyond(ax, x, y, "0.3")
    for yi in y[~shown]:
        ax.text(0.5, yi, "no value", ha="center", va="center", fontsize=9, color=_FAIL)
    for label, ok in zip(ax.get_yticklabels(), passed, strict=True):
        if not ok:
            label.set_color(_FAIL)
    handles: list[Any] = [
        Patch(color=_BAND, label="acceptance interval"),
        Line2D([], [], marker="o", color=_PASS, label="within tolerance (95% interval)"),
        Line2D([], [], marker="X", ls="-", color=_FAIL, ms=9, label="outside tolerance"),
    ]
    if overlap.any():
        handles.append(Line2D([], [], marker="o", ls="none", mfc="white", mec=_PASS, mew=2,
                              label="passes by interval overlap (small subgroup)"))
    if beyond:
        handles.append(Line2D([], [], marker=">", ls="none", color="0.3",
                              label="beyond the axis"))
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3,
              fontsize=10, frameon=False)
    n_pass = int(passed.sum())
    ax.set_title(f"{n_pass} of {n} published figures within tolerance", pad=48)
    return fig


@styled
def plot_calibration(fit: Any, *, ax: Any = None) -> Any:
    """The calibration's search: the distance at every evaluated point, and the best so far.

    Parameters
    ----------
    fit : CalibrationResult
        From :func:`alssim.calibrate`.
    ax : matplotlib.axes.Axes, optional
        Draw on this axes (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure
        The distance of each evaluation in order (dots; a logarithmic axis when the distances
        span more than a factor of 20), the best distance so far (step line), the starting
        point and the fit marked; the fitted values in the title.
    """
    d = np.array([float(dist) for _, dist in fit.history])
    k = np.arange(1, d.size + 1)
    fig, ax = single_axes(ax, 10, 6)
    ax.plot(k, d, "o", color=OKABE_ITO["sky_blue"], ms=6, label="evaluated point")
    if d.size:
        best = np.minimum.accumulate(d)
        ax.step(k, best, where="post", color=OKABE_ITO["blue"], lw=2.4, label="best so far")
        ax.plot(k[0], d[0], "s", color="0.3", ms=10, label=f"start ({_number(d[0])})")
        i = int(np.argmin(d))
        ax.plot(k[i], d[i], "*", color=OKABE_ITO["vermillion"], ms=18,
                label=f"fit ({_number(d[i])}, evaluation {i + 1})")
        positive = d[np.isfinite(d) & (d > 0)]
        if positive.size == d.size and positive.max() > 20 * positive.min():
            ax.set_yscale("log")
    ax.set_xlabel("evaluation")
    ax.set_ylabel("distance to the targets")
    ax.legend(loc="upper right")
    method = fit.meta.get("method", "")
    fitted = ", ".join(f"{key.split('.')[-1]} = {v:.4g}" for key, v in fit.parameters.items())
    ax.set_title(f"Calibration ({method}, {fit.n_evaluations} evaluations): distance "
                 f"{_number(fit.distance_before)} → {_number(fit.distance_after)}\n{fitted}",
                 fontsize=13)
    return fig


@styled
def plot_calibration_targets(fit: Any, *, ax: Any = None) -> Any:
    """Each calibration target before and after the fit, against its acceptance interval.

    Parameters
    ----------
    fit : CalibrationResult
        From :func:`alssim.calibrate` (its ``targets`` table: ``id``, ``low``, ``high``,
        ``before``, ``after``).
    ax : matplotlib.axes.Axes, optional
        Draw on this axes (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure
        One row per target on the axis of :func:`plot_validation` (position in the acceptance
        interval): the simulated value at the start (grey open circle) and at the fit (dot,
        red cross when outside the interval), joined by an arrow.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    df = _frame(fit, "targets")
    n = len(df)
    fig, ax = single_axes(ax, 11, 1.8 + 0.4 * max(n, 1))
    low, high = df["low"].to_numpy(float), df["high"].to_numpy(float)
    before, after = df["before"].to_numpy(float), df["after"].to_numpy(float)
    right = [f"{_number(b)} → {_number(a)} in {_interval(lo, hi)}"
             for b, a, lo, hi in zip(before, after, low, high, strict=True)]
    y = _acceptance_axes(ax, [str(i) for i in df["id"]], low, high, right)
    xb, xa = acceptance_position(before, low, high), acceptance_position(after, low, high)
    for x0, x1, yi in zip(_clip(xb), _clip(xa), y, strict=True):
        if np.isfinite(x0) and np.isfinite(x1) and x0 != x1:
            ax.annotate("", xy=(x1, yi), xytext=(x0, yi), zorder=2,
                        arrowprops={"arrowstyle": "->", "color": "0.45", "lw": 1.4,
                                    "shrinkA": 5, "shrinkB": 6})
    ax.plot(_clip(xb), y, "o", mfc="white", mec="0.45", mew=1.6, ms=8, zorder=3)
    inside = (after >= low) & (after <= high)
    ax.plot(_clip(xa[inside]), y[inside], "o", color=_PASS, ms=8, zorder=3)
    out = np.isfinite(xa) & ~inside
    ax.plot(_clip(xa[out]), y[out], "X", color=_FAIL, ms=10, zorder=3)
    beyond = _beyond(ax, np.r_[xb, xa], np.r_[y, y], "0.3")
    handles: list[Any] = [
        Patch(color=_BAND, label="acceptance interval"),
        Line2D([], [], marker="o", ls="none", mfc="white", mec="0.45", label="start"),
        Line2D([], [], marker="o", ls="none", color=_PASS, label="fit, inside"),
        Line2D([], [], marker="X", ls="none", color=_FAIL, label="fit, outside"),
    ]
    if beyond:
        handles.append(Line2D([], [], marker=">", ls="none", color="0.3",
                              label="beyond the axis"))
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3,
              fontsize=10, frameon=False)
    n_in = int(inside.sum())
    ax.set_title(f"Calibration targets: {n_in} of {n} inside their interval after the fit",
                 pad=48)
    return fig
