"""The body map: a schematic body whose parts are coloured by LMN loss and hatched by UMN loss.

The body faces the viewer (anatomical convention): the patient's right side is on the viewer's
left, and both are labelled. Each body part is drawn once per side and takes the state of the
segment that moves it (:mod:`alssim.analysis.regions`): the fill is the fraction of that
segment's LMNs lost, the hatching the fraction of its UMNs lost (none below 10%, then sparser to
denser). Parts the anatomy has no segment for are drawn grey.

The body map shows a living patient: a time after the patient's death (when the clinical layer
gives one) shows the state at the record of death, labelled as such, and the animation ends
there.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from alssim.analysis import _data
from alssim.analysis._clinical_api import view
from alssim.analysis._style import new_figure, panel_figure, styled
from alssim.analysis.palette import loss_cmap
from alssim.analysis.regions import PART_NAMES, part_segments, segment_label

__all__ = ["UMN_BINS", "animate_body_map", "draw_body", "plot_body_map", "plot_body_map_grid"]

#: UMN-loss thresholds (fraction lost) between hatching levels, and the hatch of each level.
UMN_BINS: tuple[float, ...] = (0.1, 0.5, 0.9)
_HATCHES: tuple[str, ...] = ("", "/", "///", "xx")
_UMN_LEVEL_NAMES = ("< 10%", "10–50%", "50–90%", "≥ 90%")
_NOT_MODELLED = "#DDDDDD"


def _dome(x0: float, x1: float, base: float, height: float, thick: float, n: int = 12):
    x = np.linspace(x0, x1, n)
    top = base + height * (1.0 - (x / x1) ** 2)
    return np.concatenate([np.c_[x, top], np.c_[x[::-1], top[::-1] - thick]])


# Shapes of the patient's left half (viewer's right, x >= 0); the right half is the mirror image.
# Each part: list of ("poly", points) or ("ellipse", (cx, cy, w, h)) or ("wedge", (cx, cy, r)).
_SHAPES: dict[str, list[tuple[str, Any]]] = {
    "trunk": [("poly", [(0, 8.12), (0.36, 8.12), (1.12, 7.92), (1.28, 7.15), (1.08, 5.7),
                        (1.18, 4.62), (0, 4.5)])],
    "diaphragm": [("poly", _dome(0.0, 1.02, 5.55, 0.55, 0.3).tolist())],
    "neck": [("poly", [(0, 8.1), (0.33, 8.1), (0.33, 8.5), (0, 8.5)])],
    "upper_arm": [("poly", [(1.12, 7.92), (1.45, 8.02), (1.78, 7.72), (1.98, 6.05), (1.5, 5.98),
                            (1.28, 7.15)])],
    "forearm_hand": [("poly", [(1.5, 5.98), (1.98, 6.05), (2.2, 4.52), (1.82, 4.42)]),
                     ("ellipse", (2.03, 4.05, 0.5, 0.78))],
    "thigh": [("poly", [(0.06, 4.52), (1.18, 4.62), (1.02, 2.72), (0.34, 2.72)])],
    "lower_leg_foot": [("poly", [(0.34, 2.72), (1.02, 2.72), (0.86, 0.78), (0.46, 0.78)]),
                       ("poly", [(0.42, 0.8), (0.9, 0.8), (1.22, 0.42), (1.3, 0.22),
                                 (0.42, 0.22)])],
    "head": [("wedge", (0.0, 9.15, 0.72))],
}
# where a part label points to (on the patient's right half, x < 0), and the label's height
_LABEL_AT: dict[str, tuple[float, float, float]] = {
    "head": (-0.45, 9.3, 9.4), "neck": (-0.18, 8.3, 8.55), "upper_arm": (-1.5, 7.6, 7.7),
    "trunk": (-0.75, 6.9, 6.85), "diaphragm": (-0.45, 5.75, 6.0), "forearm_hand": (-2.0, 4.1, 4.6),
    "thigh": (-0.65, 3.7, 3.5), "lower_leg_foot": (-0.66, 1.6, 1.6),
}
# drawing order: later parts lie on top
_ORDER = ("trunk", "diaphragm", "neck", "upper_arm", "forearm_hand", "thigh", "lower_leg_foot",
          "head")


def _umn_level(frac: float) -> int:
    return int(np.searchsorted(UMN_BINS, frac, side="right"))


def _ink_for(rgba) -> str:
    r, g, b = rgba[:3]
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.45 else "black"


class _Body:
    """The patches of one drawn body, updatable in place (for animation)."""

    def __init__(self, ax, anatomy, *, side_labels: bool = True, part_labels: bool = False):
        from matplotlib.patches import Ellipse, Patch, Polygon, Wedge

        self.ax = ax
        self.anatomy = anatomy
        self.cmap = loss_cmap()
        segs = part_segments(anatomy)
        self.patches: list[tuple[Patch, int | None, int]] = []  # (patch, segment index, side)
        for part in _ORDER:
            seg_names = segs[part]
            seg_i = anatomy.segment_index(seg_names[0]) if seg_names else None
            for side in (0, 1):  # 0 = patient's left (x >= 0), 1 = patient's right (mirrored)
                sign = 1.0 if side == 0 else -1.0
                for kind, geom in _SHAPES[part]:
                    patch: Patch
                    if kind == "poly":
                        pts = np.asarray(geom, dtype=float) * [sign, 1.0]
                        patch = Polygon(pts, closed=True)
                    elif kind == "ellipse":
                        cx, cy, w, h = geom
                        patch = Ellipse((sign * cx, cy), w, h)
                    else:
                        cx, cy, r = geom
                        th = (-90, 90) if side == 0 else (90, 270)
                        patch = Wedge((cx, cy), r, *th)
                    patch.set_edgecolor("black")
                    patch.set_linewidth(1.3)
                    if seg_i is None:
                        patch.set_facecolor(_NOT_MODELLED)
                    ax.add_patch(patch)
                    self.patches.append((patch, seg_i, side))
        left = -2.75
        if part_labels:
            left = -4.6
            for part, (x, y, ty) in _LABEL_AT.items():
                if segs[part]:
                    ax.annotate(PART_NAMES[part], (x, y), xytext=(-3.0, ty), ha="right",
                                va="center", fontsize=11,
                                arrowprops={"arrowstyle": "-", "color": "0.3", "lw": 0.9})
        ax.set_xlim(left, 2.75)
        ax.set_ylim(0.0, 10.35)
        ax.set_aspect("equal")
        ax.set_axis_off()
        if side_labels:
            ax.text(-1.75, 9.95, "patient's\nright", ha="center", va="center", fontsize=11)
            ax.text(1.75, 9.95, "patient's\nleft", ha="center", va="center", fontsize=11)

    def update(self, lmn_lost: np.ndarray, umn_lost: np.ndarray) -> None:
        """Recolour from lost fractions, each shape (n_segments, 2) (sides left, right)."""
        for patch, seg_i, side in self.patches:
            if seg_i is None:
                continue
            rgba = self.cmap(float(lmn_lost[seg_i, side]))
            patch.set_facecolor(rgba)
            patch.set_hatch(_HATCHES[_umn_level(float(umn_lost[seg_i, side]))])
            ink = _ink_for(rgba)
            if hasattr(patch, "set_hatchcolor"):
                patch.set_hatchcolor(ink)
            else:  # matplotlib < 3.10: the hatch takes the edge colour
                patch.set_edgecolor(ink)


def draw_body(ax, result, time_months: float, *, side_labels: bool = True,
              part_labels: bool = False) -> _Body:
    """Draw the body map of ``result`` at ``time_months`` into the axes ``ax``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    result : alssim.Result
    time_months : float
        Months from biological onset; the nearest record is drawn (at most the record of
        death: after death the state at death is drawn).
    side_labels : bool
        Write "patient's right" and "patient's left" above the body.
    part_labels : bool
        Name the body parts (to the left of the body).

    Returns
    -------
    object
        The drawn body; its ``update(lmn_lost, umn_lost)`` recolours it in place.
    """
    body = _Body(ax, result.anatomy, side_labels=side_labels, part_labels=part_labels)
    k = _living_index(result, time_months)
    body.update(_data.lost_fraction(result, "lmn")[k], _data.lost_fraction(result, "umn")[k])
    return body


def _colourbar(fig, axes, **kwargs):
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    sm = ScalarMappable(norm=Normalize(0, 100), cmap=loss_cmap())
    cb = fig.colorbar(sm, ax=axes, **kwargs)
    cb.set_label("LMNs lost (% of count at onset)")
    return cb


def _hatch_legend(fig_or_ax, **kwargs):
    from matplotlib.patches import Patch

    handles = [Patch(facecolor="white", edgecolor="black", hatch=h, label=name)
               for h, name in zip(_HATCHES, _UMN_LEVEL_NAMES, strict=True)]
    kwargs.setdefault("title", "UMNs lost (hatching)")
    kwargs.setdefault("handlelength", 2.2)
    kwargs.setdefault("handleheight", 1.6)
    return fig_or_ax.legend(handles=handles, **kwargs)


def _living_index(result, time_months: float) -> int:
    """The record nearest ``time_months``, but never one after the record of death."""
    return min(_data.nearest_index(result, time_months), _data.last_living_index(result))


def _died_at(result, k: int) -> float | None:
    """Month of death if record ``k`` is the record of death (or later), else ``None``."""
    death = _data.death_months(result)
    if death is not None and float(result.times_months[k]) >= death - 1e-5:
        return death
    return None


def _time_text(result, time_months: float) -> str:
    k = _data.nearest_index(result, time_months)
    death = _died_at(result, k)
    if death is not None:
        text = f"died at month {death:.0f} after biological onset (state at death)"
    else:
        text = f"month {time_months:.0f} after biological onset"
    t0 = _data.clinical_onset(result)
    if t0 is not None:
        dt = (time_months if death is None else death) - t0
        text += (f"\n{dt:.0f} months after clinical onset" if dt >= 0
                 else f"\n{-dt:.0f} months before clinical onset")
    return text


def _clinical_death(result) -> float | None:
    v = view(result)
    return None if v is None else v.death_months


def _default_time(result) -> float:
    """When the first LMN pool lost half its neurons in life (else the last living record)."""
    t50 = _data.involvement(result, "lost_50")[1]
    if np.isfinite(t50).any():
        return float(np.min(t50))
    return float(result.times_months[_data.last_living_index(result)])


@styled
def plot_body_map(result, time_months: float | None = None, *, part_labels: bool = True, fig=None):
    """The body map at one time: each side coloured by LMN loss and hatched by UMN loss.

    Parameters
    ----------
    result : alssim.Result
    time_months : float, optional
        Months from biological onset (the nearest record is shown; a time after the patient's
        death shows the state at death, labelled "died at month ..."). Default: when the first
        LMN pool has lost half its neurons.
    part_labels : bool
        Name the body parts.

    fig : matplotlib.figure.Figure or SubFigure, optional
        Draw the panels on this figure, which must have no axes yet (default: a new figure).
    Returns
    -------
    matplotlib.figure.Figure
        One body, a colour bar of LMN loss (%) and a legend of the UMN-loss hatching.
    """
    if time_months is None:
        time_months = _default_time(result)
    k = _living_index(result, time_months)
    t = float(result.times_months[k])
    fig = panel_figure(fig, 10, 8.4)
    gs = fig.add_gridspec(2, 2, width_ratios=(4.2, 1), height_ratios=(1.25, 1))
    ax = fig.add_subplot(gs[:, 0])
    draw_body(ax, result, t, part_labels=part_labels)
    ax.text(0.0, 10.6, _time_text(result, t), ha="center", va="bottom", fontsize=14)
    ax.set_ylim(0.0, 11.3)
    cax = fig.add_subplot(gs[0, 1])
    cax.set_axis_off()
    _colourbar(fig, cax, fraction=0.35, aspect=12, location="left")
    lax = fig.add_subplot(gs[1, 1])
    lax.set_axis_off()
    _hatch_legend(lax, loc="upper left", fontsize=11)
    fig.suptitle(_story_at(result, k))
    return fig


def _story_at(result, k: int) -> str:
    lmn = _data.lost_fraction(result, "lmn")[k]
    umn = _data.lost_fraction(result, "umn")[k]
    anat = result.anatomy

    s, side = np.unravel_index(np.argmax(lmn), lmn.shape)
    if lmn[s, side] < 0.1 and umn.max() < 0.1:
        return "Before any region has lost 10% of its motor neurons"
    where = segment_label(anat, anat.segment_names[s], side=("left", "right")[side], levels=False)
    n_inv = int(((lmn >= 0.1) | (umn >= 0.1)).sum())
    return (f"LMN loss is worst at the {where}\n"
            f"{n_inv} of {lmn.size} segment-sides have lost 10% of UMNs or LMNs")


def _grid_times(result, n: int) -> list[float]:
    t10 = _data.involvement(result, "lost_10")
    start = float(np.min(t10)) if np.isfinite(t10).any() else 0.0
    start = max(0.0, start - 3.0)
    end = _data.time_window(result, margin=0.0)
    if end <= start:
        start = 0.0
    times = np.asarray(result.times_months)
    picked = [float(times[_data.nearest_index(result, x)]) for x in np.linspace(start, end, n)]
    return list(dict.fromkeys(picked))


@styled
def plot_body_map_grid(result, times: Sequence[float] | None = None, *, n: int = 6,
                       ncols: int | None = None, fig=None):
    """Small multiples of the body map over time.

    Parameters
    ----------
    result : alssim.Result
    times : sequence of float, optional
        Months from biological onset; default ``n`` times evenly spread from shortly before the
        first region loses 10% to the patient's death (without one: to when every LMN pool has
        lost 90%). A time after death shows the state at death, titled "died".
    n : int
        Number of panels when ``times`` is not given.
    ncols : int, optional
        Panels per row (default: all in one row up to 6).

    fig : matplotlib.figure.Figure or SubFigure, optional
        Draw the panels on this figure, which must have no axes yet (default: a new figure).
    Returns
    -------
    matplotlib.figure.Figure
    """
    times = _grid_times(result, n) if times is None else [float(x) for x in times]
    if not times:
        raise ValueError("times: give at least one time")
    ncols = ncols or min(len(times), 6)
    nrows = -(-len(times) // ncols)
    fig = panel_figure(fig, 2.6 * ncols + 1.6, 3.9 * nrows + 1.4)
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    t0 = _data.clinical_onset(result)
    for ax, tm in zip(axes, times, strict=False):
        k = _living_index(result, tm)
        t = float(result.times_months[k])
        draw_body(ax, result, t, side_labels=(ax is axes[0]))
        for txt in list(ax.texts):
            txt.set_fontsize(9)
        died = _died_at(result, k)
        label = f"month {t:.0f}" if died is None else f"month {died:.0f}: died"
        if t0 is not None:
            label += f"\n({t - t0:+.0f} from clinical onset)"
        ax.set_title(label, fontsize=13, fontweight="normal" if died is None else "bold")
    for ax in axes[len(times):]:
        ax.set_visible(False)
    _colourbar(fig, list(axes), shrink=0.8, pad=0.01, fraction=0.03)
    _hatch_legend(fig, loc="outside lower center", ncol=4, fontsize=11)
    fig.suptitle(f"{_data.spread_story(result, 'lmn')} (months from biological onset)")
    return fig


def _writer_for(path: Path, fps: float):
    from matplotlib import animation

    suffix = path.suffix.lower()
    if suffix == ".gif":
        return animation.PillowWriter(fps=fps)  # type: ignore[arg-type]  # any frame rate works
    if suffix == ".mp4":
        if not animation.FFMpegWriter.isAvailable():
            raise RuntimeError(f"{path}: writing MP4 needs ffmpeg, which was not found; "
                               "ask for a .gif instead")
        return animation.FFMpegWriter(fps=fps,  # type: ignore[arg-type]  # as above
                                      codec="libx264", extra_args=["-pix_fmt", "yuv420p"])
    raise ValueError(f"{path}: animation file must end in .gif or .mp4")


def preferred_animation_suffix() -> str:
    """``".mp4"`` when ffmpeg is available to matplotlib, else ``".gif"``."""
    from matplotlib import animation

    return ".mp4" if animation.FFMpegWriter.isAvailable() else ".gif"


@styled
def animate_body_map(result, path: str | Path, *, fps: float = 4.0, dpi: int = 72,
                     t_max: float | None = None, every: int = 1) -> Path:
    """Write the body map over time as an animation, with a time counter and a ticker.

    The ticker beside the body is the ALSFRS-R total (0–48) when the clinical layer is available,
    otherwise the percentage of all UMNs and LMNs still alive; a marker moves along it.

    The animation shows the living patient: when the patient dies within the time shown, the
    last frame is the record of death ("died at month ..."), held for about two seconds; the
    body and the ticker never show values after death.

    Parameters
    ----------
    result : alssim.Result
    path : str or Path
        Output file; ``.gif`` (Pillow) or ``.mp4`` (needs ffmpeg). Written atomically.
    fps : float
        Frames per second (each frame is one record, about one month by default).
    dpi : int
        Resolution (the frame is 9 x 6 inches).
    t_max : float, optional
        Last month shown, from biological onset (default as :func:`plot_populations`); the
        animation ends at death whatever ``t_max``.
    every : int
        Use every ``every``-th record as a frame.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    writer = _writer_for(path, fps)
    t_all = np.asarray(result.times_months, dtype=float)
    t_max = _data.time_window(result) if t_max is None else float(t_max)
    last = _data.last_living_index(result)  # the record of death, or the last record
    frames = [k for k in range(0, last + 1, max(1, int(every))) if t_all[k] <= t_max + 1e-9]
    if len(frames) < 2:
        frames = list(range(last + 1))
    death = _clinical_death(result)
    if death is not None and t_max >= death - 1e-5:
        if frames[-1] != last:
            frames.append(last)  # the record of death is always the last frame
        frames += [last] * max(1, round(2.0 * fps))  # and held, so the end is seen
    lmn = _data.lost_fraction(result, "lmn")
    umn = _data.lost_fraction(result, "umn")

    fig = new_figure(9, 6, layout=None)
    ax_body = fig.add_axes((0.0, 0.02, 0.5, 0.86))
    ax_tick = fig.add_axes((0.6, 0.44, 0.37, 0.38))
    ax_cb = fig.add_axes((0.6, 0.25, 0.37, 0.035))
    body = _Body(ax_body, result.anatomy)
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    cb = fig.colorbar(ScalarMappable(Normalize(0, 100), loss_cmap()), cax=ax_cb,
                      orientation="horizontal")
    cb.set_label("LMNs lost (% of count at onset)", fontsize=11)
    _hatch_legend(fig, loc="lower left", bbox_to_anchor=(0.585, 0.0), ncol=4, fontsize=9,
                  title_fontsize=10, handlelength=1.6, columnspacing=0.8)
    ticker = _data.alsfrs_total(result)  # NaN after death
    if ticker is not None:
        ax_tick.plot(t_all, ticker, color="black")
        ax_tick.set_ylim(0, 49)
        ax_tick.set_ylabel("ALSFRS-R total (0–48)", fontsize=11)
        values, fmt = ticker, "ALSFRS-R {:.0f}/48"
    else:
        grid = result.anatomy.population_grid
        counts = grid(np.asarray(result.counts, dtype=float))
        alive = grid(np.asarray(result.variables["alive"], dtype=float))
        pct = 100.0 * alive.sum(axis=(2, 3)) / counts.sum(axis=(1, 2))
        pct = _data.until_death(result, pct)
        ax_tick.plot(t_all, pct[:, 0], color="black", ls=":", label="UMN")
        ax_tick.plot(t_all, pct[:, 1], color="black", label="LMN")
        ax_tick.set_ylim(0, 102)
        ax_tick.set_ylabel("motor neurons alive (%)", fontsize=11)
        ax_tick.legend(loc="lower left", fontsize=10)
        values, fmt = pct[:, 1], "LMNs alive {:.0f}%"
    ax_tick.set_xlim(0, t_max)
    ax_tick.set_xlabel("months from biological onset", fontsize=11)
    t0 = _data.clinical_onset(result)
    if t0 is not None:
        ax_tick.axvline(t0, color="0.4", ls="-.", lw=1.2)
    (marker,) = ax_tick.plot([t_all[frames[0]]], [values[frames[0]]], "o", color="#D55E00",
                             ms=9, zorder=5)
    cursor = ax_tick.axvline(t_all[frames[0]], color="#D55E00", lw=1.2)
    clock = fig.text(0.6, 0.955, "", fontsize=17, fontweight="bold", va="center")
    since = fig.text(0.6, 0.905, "", fontsize=12, va="center")
    tick_text = fig.text(0.6, 0.86, "", fontsize=14, va="center")
    if death is not None:
        ax_tick.axvline(death, color="black", lw=1.2)
        ax_tick.axvspan(death, t_all[-1], color="0.9", lw=0, zorder=0)
        ax_tick.set_xlim(0, t_max)

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        with writer.saving(fig, str(tmp), dpi):
            for k in frames:
                body.update(lmn[k], umn[k])
                marker.set_data([t_all[k]], [values[k]])
                cursor.set_xdata([t_all[k], t_all[k]])
                clock.set_text(f"month {t_all[k]:.0f}")
                since.set_text("after biological onset" if t0 is None else
                               f"{t_all[k] - t0:+.0f} from clinical onset")
                text = fmt.format(values[k])
                if death is not None and t_all[k] >= death - 1e-5:
                    text += f"; died at month {death:.0f}"
                    clock.set_text(f"month {death:.0f}: died")
                tick_text.set_text(text)
                writer.grab_frame()
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return path
