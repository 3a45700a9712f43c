"""Adapter from the clinical layer's outputs to what the figures need (private).

All knowledge of the layout of ``result.clinical`` lives in :func:`view`, which turns it into a
:class:`ClinicalView` of plain arrays; the figures read only that, so they stay the same if the
clinical layer's layout changes. :func:`view` returns ``None`` when the clinical layer is not
available for a result.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from alssim.clinical.staging import KINGS_LABELS, KINGS_LEVELS

__all__ = ["ASHWORTH_LABELS", "ClinicalView", "pool_series", "view"]

#: Modified Ashworth grades in order (index 0-5).
ASHWORTH_LABELS = ("0", "1", "1+", "2", "3", "4")


@dataclasses.dataclass(frozen=True)
class ClinicalView:
    """The clinical outputs the figures use; any field may be ``None`` when not available.

    Times are months from biological onset; arrays of shape (T,) follow the result's records,
    (T, S, 2) are per segment and side (left, right), (T, M, 2) per muscle and side. As
    :func:`view` returns it, every array is the patient's: NaN (``""`` for King's labels) at the
    records after the record of death (``after_death``), so no figure draws a dead patient.
    """

    times_months: np.ndarray
    onset_months: float | None = None
    diagnosis_months: float | None = None
    death_months: float | None = None
    alsfrs_total: np.ndarray | None = None
    alsfrs_domains: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    d50: float | None = None           # months from clinical onset to ALSFRS-R 24
    dx: float | None = None            # months, steepness of the D50 sigmoid
    fvc_percent: np.ndarray | None = None
    kings: np.ndarray | None = None    # str labels: "0", "1", "2", "3", "4A", "4B", "5"
    mitos: np.ndarray | None = None    # int 0-5
    mrc: np.ndarray | None = None      # (T, S, 2) grade 0-5
    ashworth: np.ndarray | None = None  # (T, S, 2) index into ASHWORTH_LABELS; NaN: not examined
    fasciculation_rate: np.ndarray | None = None  # (T, S, 2) per minute
    strength: np.ndarray | None = None  # (T, S, 2) fraction of healthy
    involved: np.ndarray | None = None  # (T, S, 2) bool, clinically involved (cumulative)
    muscles: tuple[str, ...] = ()
    muscle_segments: tuple[str, ...] = ()
    cmap_percent: np.ndarray | None = None  # (T, M, 2) % of healthy
    mune_percent: np.ndarray | None = None  # (T, M, 2) % of healthy
    muscle_strength: np.ndarray | None = None  # (T, M, 2) fraction of healthy
    muscle_mrc: np.ndarray | None = None  # (T, M, 2) grade 0-5
    after_death: np.ndarray | None = None  # (T,) bool: records after the record of death

#: Fields of a ClinicalView that are arrays over the records (first axis T).
_SERIES = ("alsfrs_total", "fvc_percent", "kings", "mitos", "mrc", "ashworth",
           "fasciculation_rate", "strength", "involved", "cmap_percent", "mune_percent",
           "muscle_strength", "muscle_mrc")


def _after_death(v: ClinicalView, clin: Any) -> np.ndarray:
    """Records after the record of death: the course's own mask, else from ``death_months``."""
    t = np.asarray(v.times_months, dtype=float)
    own = getattr(clin, "after_death", None)
    if own is not None and np.shape(own) == t.shape:
        return np.asarray(own, dtype=bool)
    if v.death_months is None:
        return np.zeros(t.shape, dtype=bool)
    # the summary rounds death_months to 1e-6 months; records are at least a day apart
    return t > v.death_months + 1e-5


def _until_death(v: ClinicalView, after: np.ndarray) -> ClinicalView:
    """``v`` with every series NaN (King's labels ``""``) at the records of ``after``."""
    changes: dict[str, Any] = {"after_death": after}
    for name in _SERIES:
        arr = getattr(v, name)
        if arr is None:
            continue
        arr = np.asarray(arr)
        if arr.dtype.kind in ("U", "S", "O"):
            arr = arr.astype(str)
            arr[after] = ""
        else:
            arr = arr.astype(float)
            arr[after] = np.nan
        changes[name] = arr
    domains = {}
    for name, arr in v.alsfrs_domains.items():
        arr = np.asarray(arr, dtype=float).copy()
        arr[after] = np.nan
        domains[name] = arr
    changes["alsfrs_domains"] = domains
    return dataclasses.replace(v, **changes)


def _get(obj: Any, name: str) -> Any:
    """``obj[name]`` for a mapping or a ClinicalCourse, else ``None``."""
    try:
        return obj[name]
    except (KeyError, TypeError, IndexError):
        return None


def _finite(x: Any) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _array(x: Any) -> np.ndarray | None:
    return None if x is None else np.asarray(x)


def clinical(result) -> Any | None:
    """The clinical layer's outputs for ``result``, or ``None`` where that layer is absent."""
    try:
        return result.clinical
    except (AttributeError, ImportError, NotImplementedError):
        return None


def view(result) -> ClinicalView | None:
    """The clinical outputs of ``result`` as a :class:`ClinicalView`, or ``None``.

    Reads an :class:`alssim.clinical.ClinicalCourse` (``result.clinical``): its arrays
    (``alsfrs_r``, ``alsfrs_r_*_domain``, ``fvc_percent``, ``kings_stage``, ``mitos_stage``,
    ``mrc``, ``ashworth``, ``fasciculation_rate``, ``strength``, ``cmap_percent``,
    ``mune_percent``, ``muscle_strength``, ``muscle_mrc``) and its summary (diagnosis, death,
    D50 fit). Every series is NaN after the record of death (``after_death``; King's labels
    ``""``).
    """
    clin = clinical(result)
    if clin is None:
        return None
    if isinstance(clin, ClinicalView):
        return _until_death(clin, _after_death(clin, clin))
    t = np.asarray(result.times_months, dtype=float)
    events = clin.summary() if hasattr(clin, "summary") else {}
    onset = _finite(getattr(clin, "clinical_onset_months", None))
    diag = _finite((events.get("diagnosis") or {}).get("months"))
    d50 = events.get("d50") or {}
    domains = {}
    for name in ("bulbar", "fine_motor", "gross_motor", "respiratory"):
        arr = _get(clin, f"alsfrs_r_{name}_domain")
        if arr is not None:
            domains[name] = np.asarray(arr, dtype=float)
    kings = _get(clin, "kings_stage")
    if kings is not None:
        idx = np.searchsorted(np.asarray(KINGS_LEVELS), np.asarray(kings, dtype=float))
        kings = np.asarray(KINGS_LABELS)[np.clip(idx, 0, len(KINGS_LABELS) - 1)]
    ashworth = _get(clin, "ashworth")
    if ashworth is not None:
        levels = np.array([0.0, 1.0, 1.5, 2.0, 3.0, 4.0])  # coded as in alssim.clinical
        coded = np.asarray(ashworth, dtype=float)
        idx = np.abs(np.nan_to_num(coded)[..., None] - levels).argmin(axis=-1)
        ashworth = np.where(np.isnan(coded), np.nan, idx)  # NaN: not examined (bulbar, trunk)
    v = ClinicalView(
        times_months=t,
        onset_months=onset,
        diagnosis_months=None if diag is None or onset is None else onset + diag,
        death_months=_finite(events.get("death_months")),
        alsfrs_total=_array(_get(clin, "alsfrs_r")),
        alsfrs_domains=domains,
        d50=_finite(d50.get("d50_months")),
        dx=_finite(d50.get("dx_months")),
        fvc_percent=_array(_get(clin, "fvc_percent")),
        kings=kings,
        mitos=_array(_get(clin, "mitos_stage")),
        mrc=_array(_get(clin, "mrc")),
        ashworth=ashworth,
        fasciculation_rate=_array(_get(clin, "fasciculation_rate")),
        strength=_array(_get(clin, "strength")),
        involved=_array(_get(clin, "involved")),
        muscles=tuple(getattr(clin, "muscles", ())),
        muscle_segments=tuple(getattr(clin, "muscle_segments", ())),
        cmap_percent=_array(_get(clin, "cmap_percent")),
        mune_percent=_array(_get(clin, "mune_percent")),
        muscle_strength=_array(_get(clin, "muscle_strength")),
        muscle_mrc=_array(_get(clin, "muscle_mrc")),
    )
    return _until_death(v, _after_death(v, clin))


def pool_series(result, segment: str, side: str) -> dict[str, Any]:
    """Strength, CMAP and MUNE of one LMN pool in percent of healthy, each shape (n_times,).

    CMAP, MUNE and strength are those of the segment's first representative muscle (e.g. thenar
    for C6-T1), named under ``"muscle"``; ``"strength_of"`` says whether the strength is that
    muscle's (``"muscle"``) or, for a course without per-muscle strength, the segment's
    (``"segment"``). Values are ``None`` where not available.
    """
    out: dict[str, Any] = {"strength": None, "cmap": None, "mune": None, "muscle": None,
                           "strength_of": None}
    v = view(result)
    if v is None:
        return out
    s = result.anatomy.segment_index(segment)
    c = ("left", "right").index(side)
    if v.strength is not None:
        out["strength"] = 100.0 * np.asarray(v.strength, dtype=float)[:, s, c]
        out["strength_of"] = "segment"
    if segment in v.muscle_segments:
        m = v.muscle_segments.index(segment)
        out["muscle"] = v.muscles[m]
        for key, arr in (("cmap", v.cmap_percent), ("mune", v.mune_percent)):
            if arr is not None:
                out[key] = np.asarray(arr, dtype=float)[:, m, c]
        if v.muscle_strength is not None:
            out["strength"] = 100.0 * np.asarray(v.muscle_strength, dtype=float)[:, m, c]
            out["strength_of"] = "muscle"
    return out
