"""Captions under figures: the teaching text of a scenario, written below the plot.

A teaching scenario (``configs/teaching/*.toml``) carries a ``[teaching]`` table; the standard
figures of its runs get a short caption (title and what to look for) so that a figure shown on
its own, in a lecture or a handout, still says what it is for. The caption is drawn as a strip of
its own and joined below the rendered figure, so it never disturbs the figure's layout.
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

from alssim.analysis._style import save_figure
from alssim.fileio import atomic_write_bytes
from alssim.teaching import caption

__all__ = ["caption_strip", "save_captioned", "teaching_caption"]

_FONT_SIZE = 11.0
_LINE_SPACING = 1.35  # in units of the font size


def teaching_caption(result) -> str:
    """The caption of a result's figures: its config's teaching title and points to look for.

    Parameters
    ----------
    result : alssim.Result

    Returns
    -------
    str
        Empty when the config has no ``[teaching]`` text.
    """

    teaching = getattr(result.config, "teaching", None)
    return caption(teaching) if teaching is not None else ""


def caption_strip(text: str, width_px: int, *, dpi: int = 100, fontsize: float = _FONT_SIZE):
    """A white image strip holding ``text`` wrapped to ``width_px`` pixels.

    Parameters
    ----------
    text : str
        Paragraphs separated by newlines.
    width_px : int
        Width of the strip in pixels (the width of the figure it goes under).
    dpi : int
        Resolution the text is drawn at (points -> pixels).
    fontsize : float
        Font size in points.

    Returns
    -------
    PIL.Image.Image
        RGB image of width ``width_px``.
    """
    from matplotlib.figure import Figure
    from PIL import Image

    width_in = width_px / dpi
    chars = max(30, int((width_in - 0.3) * 72.0 / (0.55 * fontsize)))
    lines: list[str] = []
    for para in text.splitlines():
        lines += textwrap.wrap(" ".join(para.split()), width=chars,
                               break_on_hyphens=False) or [""]
    line_in = fontsize * _LINE_SPACING / 72.0
    height_in = (len(lines) + 0.9) * line_in
    fig = Figure(figsize=(width_in, height_in), dpi=dpi, facecolor="white")
    fig.text(0.15 / width_in, 1.0 - 0.45 * line_in / height_in, "\n".join(lines), ha="left",
             va="top", fontsize=fontsize, color="0.15", linespacing=_LINE_SPACING)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    buf.seek(0)
    img = Image.open(buf).convert("RGB")
    if img.width != width_px:  # rounding of the figure size
        img = img.resize((width_px, img.height))
    return img


def save_captioned(fig, path: str | Path, text: str, *, dpi: int = 100) -> Path:
    """Save ``fig`` as a PNG with ``text`` as a caption strip below it, atomically.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
        Destination (PNG).
    text : str
        Caption; when empty the figure is saved as it is.
    dpi : int
        Resolution in dots per inch.

    Returns
    -------
    Path
        ``path``.
    """
    from PIL import Image

    path = Path(path)
    if not text.strip():
        return save_figure(fig, path, dpi=dpi)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    buf.seek(0)
    top = Image.open(buf).convert("RGB")
    strip = caption_strip(text, top.width, dpi=dpi)
    out = Image.new("RGB", (top.width, top.height + strip.height), "white")
    out.paste(top, (0, 0))
    out.paste(strip, (0, top.height))
    data = io.BytesIO()
    out.save(data, format="PNG", optimize=False)
    atomic_write_bytes(path, data.getvalue())
    return path
