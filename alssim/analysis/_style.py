"""Figure creation and the lecture-hall style shared by every alssim figure (private).

Figures are :class:`matplotlib.figure.Figure` objects made without pyplot: no GUI backend is
needed, nothing is registered with pyplot's figure manager, so nothing has to be closed and
nothing leaks. In a notebook a returned figure still displays inline.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from alssim.fileio import atomic_write_bytes

__all__ = ["RC", "new_figure", "panel_figure", "save_figure", "single_axes", "styled"]

#: rcParams applied while a figure is built: large enough to read from the back of a lecture hall.
RC: dict[str, Any] = {
    "font.size": 13,
    "axes.titlesize": 14,
    "axes.titleweight": "bold",
    "axes.labelsize": 13,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 11,
    "legend.title_fontsize": 12,
    "legend.frameon": False,
    "figure.titlesize": 16,
    "figure.titleweight": "bold",
    "lines.linewidth": 2.2,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.8,
    "savefig.bbox": "tight",
    "savefig.facecolor": "white",
    "figure.facecolor": "white",
    "hatch.linewidth": 1.5,
}

F = TypeVar("F", bound=Callable[..., Any])


def styled(func: F) -> F:
    """Build a figure under :data:`RC` (artists keep the sizes they were made with)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        import matplotlib

        with matplotlib.rc_context(RC):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


_FIGURE_CLASS = None


def _figure_class():
    """A :class:`matplotlib.figure.Figure` that shows itself in notebooks without pyplot."""
    global _FIGURE_CLASS
    if _FIGURE_CLASS is None:
        import io

        from matplotlib.figure import Figure

        class AlssimFigure(Figure):
            """A matplotlib Figure with a PNG representation for IPython/Jupyter."""

            def _repr_png_(self) -> bytes:
                buf = io.BytesIO()
                self.savefig(buf, format="png", dpi=90)
                return buf.getvalue()

        _FIGURE_CLASS = AlssimFigure
    return _FIGURE_CLASS


def new_figure(width: float, height: float, **kwargs: Any):
    """A new pyplot-free figure of ``width`` x ``height`` inches with constrained layout.

    It is a :class:`matplotlib.figure.Figure` (subclass) that a notebook displays inline even
    when pyplot was never imported.
    """
    kwargs.setdefault("layout", "constrained")
    return _figure_class()(figsize=(width, height), **kwargs)


def single_axes(ax: Any, width: float, height: float) -> tuple[Any, Any]:
    """The figure and axes a one-panel plot draws on: ``ax`` and the figure holding it when
    given, else a new figure of ``width`` x ``height`` inches with one axes."""
    if ax is None:
        fig = new_figure(width, height)
        return fig, fig.add_subplot()
    return ax.get_figure(), ax


def panel_figure(fig: Any, width: float, height: float, **kwargs: Any) -> Any:
    """The figure a plot of several panels draws on: ``fig`` when given (a
    :class:`~matplotlib.figure.Figure` or :class:`~matplotlib.figure.SubFigure` without axes),
    else a new one of ``width`` x ``height`` inches (``kwargs`` as for :func:`new_figure`).

    Raises
    ------
    ValueError
        If ``fig`` already has axes (the panels would be drawn over them).
    """
    if fig is None:
        return new_figure(width, height, **kwargs)
    if fig.axes:
        raise ValueError("fig= must be a figure (or subfigure) without axes; got one with "
                         f"{len(fig.axes)}: pass a new figure or fig.add_subfigure(...)")
    return fig


def save_figure(fig, path: str | Path, *, dpi: int = 100) -> Path:
    """Save ``fig`` to ``path`` atomically (the format follows the suffix, e.g. ``.png``).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
    dpi : int
        Resolution in dots per inch.

    Returns
    -------
    Path
        ``path``.
    """

    path = Path(path)
    buf = io.BytesIO()
    fig.savefig(buf, format=path.suffix.lstrip(".").lower() or "png", dpi=dpi)
    atomic_write_bytes(path, buf.getvalue())
    return path
