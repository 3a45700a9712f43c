"""Which body parts each segment moves, and readable names for segments (no matplotlib).

Body parts are assigned from a segment's El Escorial region, never from hard-coded segment names,
so every anatomy works: the parts of a region, listed rostral to caudal, are shared out in order
among that region's segments (rostral to caudal); a segment of the region that serves breathing
alone (a respiratory pool of its own) gets the diaphragm alone. With the default anatomy the
phrenic segment gets the diaphragm, the upper cervical segment (C3–C5) neck and shoulder, the lower
(C6–T1) arm and hand; with the four-region anatomy the single cervical segment gets all four.
"""

from __future__ import annotations

__all__ = ["BODY_PARTS", "PART_NAMES", "part_segments", "segment_label", "segment_parts"]

#: Body parts of each El Escorial region, rostral to caudal.
BODY_PARTS: dict[str, tuple[str, ...]] = {
    "bulbar": ("head",),
    "cervical": ("neck", "diaphragm", "upper_arm", "forearm_hand"),
    "thoracic": ("trunk",),
    "lumbosacral": ("thigh", "lower_leg_foot"),
}

# Where each part starts along its region, rostral (0) to caudal (1): with two cervical segments
# neck, diaphragm and shoulder (C3-C5) fall in the upper one and arm and hand (C6-T1) in the lower.
_POSITION = {"head": 0.0, "neck": 0.0, "diaphragm": 0.15, "upper_arm": 0.3,
             "forearm_hand": 0.6, "trunk": 0.0, "thigh": 0.0, "lower_leg_foot": 0.5}

#: Readable name of each body part.
PART_NAMES: dict[str, str] = {
    "head": "bulbar",
    "neck": "neck",
    "diaphragm": "diaphragm",
    "upper_arm": "shoulder",
    "forearm_hand": "arm & hand",
    "trunk": "trunk",
    "thigh": "hip & thigh",
    "lower_leg_foot": "leg & foot",
}

_REGION_NAMES = {"bulbar": "bulbar", "cervical": "neck, diaphragm, arm", "thoracic": "trunk",
                 "lumbosacral": "leg"}


def segment_parts(anatomy) -> dict[str, tuple[str, ...]]:
    """Body parts moved by each segment.

    Parameters
    ----------
    anatomy : alssim.anatomy.Anatomy

    Returns
    -------
    dict of str to tuple of str
        Segment name to its body parts (keys of :data:`PART_NAMES`), in anatomy order.
    """
    out: dict[str, tuple[str, ...]] = {s.name: () for s in anatomy.segments}
    for region, parts in BODY_PARTS.items():
        segs = [s.name for s in anatomy.segments if s.el_escorial_region == region]
        # a segment of the region serving breathing alone (the phrenic nucleus among the
        # cervical segments) moves the diaphragm alone; the others share the rest
        resp = [s.name for s in anatomy.segments if s.el_escorial_region == region
                and s.serves_breathing_only] if "diaphragm" in parts else []
        if resp and len(resp) < len(segs):
            for seg in resp:
                out[seg] = ("diaphragm",)
            segs = [seg for seg in segs if seg not in resp]
            parts = tuple(p for p in parts if p != "diaphragm")
        m = len(segs)
        if m == 0:
            continue
        n = len(parts)
        for part in parts:
            seg = segs[min(m - 1, int(_POSITION[part] * m))]
            out[seg] = (*out[seg], part)
        # more segments than parts: the extra segments share the region's last part
        for j, seg in enumerate(segs):
            if not out[seg]:
                out[seg] = (parts[min(n - 1, j * n // m)],)
    return out


def part_segments(anatomy) -> dict[str, list[str]]:
    """Segments that move each body part (empty list: the anatomy has none).

    Returns
    -------
    dict of str to list of str
        Body part to segment names; every key of :data:`PART_NAMES` is present.
    """
    out: dict[str, list[str]] = {p: [] for p in PART_NAMES}
    for seg, parts in segment_parts(anatomy).items():
        for p in parts:
            out[p].append(seg)
    return out


def segment_label(anatomy, segment: str, *, side: str | None = None, levels: bool = True) -> str:
    """Readable name of a segment, e.g. ``"right arm & hand (C6-T1)"``.

    Parameters
    ----------
    anatomy : alssim.anatomy.Anatomy
    segment : str
        Segment name.
    side : {'left', 'right'}, optional
        Prefix the body side.
    levels : bool
        Append the spinal levels when they are short (not for brainstem segments).

    Returns
    -------
    str
    """
    seg = anatomy.segments[anatomy.segment_index(segment)]
    same_region = [s for s in anatomy.segments if s.el_escorial_region == seg.el_escorial_region]
    if len(same_region) == 1 and seg.el_escorial_region in _REGION_NAMES:
        text = _REGION_NAMES[seg.el_escorial_region]
    else:
        parts = segment_parts(anatomy)[segment]
        text = ", ".join(PART_NAMES[p] for p in parts) or segment.replace("_", " ")
    if levels and seg.levels and len(seg.levels) <= 8 and seg.el_escorial_region != "bulbar":
        text = f"{text} ({seg.levels.replace('-', '–')})"
    return f"{side} {text}" if side else text
