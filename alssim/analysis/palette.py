"""Colours used by every alssim figure: colour-blind safe, one colour per segment everywhere.

Categorical colours are the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"),
distinguishable under the common colour-vision deficiencies. A segment keeps its colour in every
figure and in both shipped anatomies (``bulbar`` is always purple, the leg segment always orange);
segments of a custom anatomy take the remaining colours in rostral-to-caudal order.
Quantities from 0 to 1 (neurons lost) use a sequential map whose lightness rises monotonically, so
it reads the same in grey scale and to colour-blind viewers.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "COMPARTMENT_LINESTYLES",
    "LOSS_CMAP",
    "OKABE_ITO",
    "SIDE_LINESTYLES",
    "SITE_COLOURS",
    "loss_cmap",
    "segment_colour",
    "segment_colours",
]

#: The eight Okabe–Ito colours by name.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

# Fixed colours for the segment names of the shipped anatomies (yellow is left out: it vanishes
# on white paper and projectors).
_NAMED: dict[str, str] = {
    "bulbar": OKABE_ITO["reddish_purple"],
    "cervical_upper": OKABE_ITO["sky_blue"],
    "cervical": OKABE_ITO["blue"],
    "cervical_lower": OKABE_ITO["blue"],
    "thoracic": OKABE_ITO["bluish_green"],
    "lumbosacral": OKABE_ITO["orange"],
}
# Okabe-Ito without yellow, then Paul Tol's "muted" colours for anatomies with many segments
_ORDERED = tuple(OKABE_ITO[k] for k in ("blue", "vermillion", "bluish_green", "orange",
                                         "reddish_purple", "sky_blue", "black"))
_SPARE = ("#882255", "#44AA99", "#117733", "#332288", "#DDCC77", "#88CCEE", "#AA4499",
          "#999933", "#999999")

#: Colour of each onset site (the regions of the epidemiological literature).
SITE_COLOURS: dict[str, str] = {
    "bulbar": OKABE_ITO["reddish_purple"],
    "upper_limb": OKABE_ITO["blue"],
    "lower_limb": OKABE_ITO["orange"],
    "respiratory": OKABE_ITO["bluish_green"],
}

#: Line style of each body side: the patient's left solid, right dashed.
SIDE_LINESTYLES: dict[str, str] = {"left": "-", "right": "--"}

#: Line style of each compartment: LMN solid, UMN dotted.
COMPARTMENT_LINESTYLES: dict[str, str] = {"lmn": "-", "umn": ":"}

#: Name of the matplotlib colour map for "fraction of neurons lost" (0 pale, 1 dark).
LOSS_CMAP = "magma_r"


def segment_colours(segment_names: Sequence[str]) -> dict[str, str]:
    """Colour of each segment of an anatomy.

    Parameters
    ----------
    segment_names : sequence of str
        Segment names, rostral to caudal (``Result.anatomy.segment_names``).

    Returns
    -------
    dict of str to str
        Hex colour per segment name. Names of the shipped anatomies get fixed colours; others get
        the unused colours in order.
    """
    used = {_NAMED[n] for n in segment_names if n in _NAMED}
    spare = [c for c in dict.fromkeys((*_ORDERED, *_SPARE)) if c not in used]
    out: dict[str, str] = {}
    k = 0
    for name in segment_names:
        if name in _NAMED and _NAMED[name] not in out.values():
            out[name] = _NAMED[name]
        else:
            out[name] = spare[k % len(spare)]
            k += 1
    return out


def segment_colour(segment: str, segment_names: Sequence[str]) -> str:
    """Colour of one segment within its anatomy (see :func:`segment_colours`)."""
    return segment_colours(segment_names)[segment]


def loss_cmap(n: int | None = None):
    """The sequential colour map for a fraction lost in [0, 1] (pale = none, dark = all).

    Parameters
    ----------
    n : int, optional
        Number of discrete levels (``None``: continuous).

    Returns
    -------
    matplotlib.colors.Colormap
    """
    import matplotlib

    cmap = matplotlib.colormaps[LOSS_CMAP]
    # drop the darkest tenth so labels in black stay legible on a fully lost region
    from matplotlib.colors import LinearSegmentedColormap

    colours = cmap([i / 255 * 0.88 for i in range(256)])
    out = LinearSegmentedColormap.from_list("alssim_loss", colours, N=n or 256)
    return out
