"""Small array helpers shared by the clinical modules (grading, safe ratios, time filters)."""

from __future__ import annotations

import numpy as np

from alssim._timeseries import first_time

__all__ = ["first_time", "grade", "ratio", "running_any"]


def grade(x: np.ndarray, thresholds) -> np.ndarray:
    """Number of increasing ``thresholds`` that ``x`` reaches (``x >= t``); NaN counts as 0.

    Parameters
    ----------
    x : ndarray, any shape
    thresholds : sequence of float, increasing

    Returns
    -------
    ndarray of int8, same shape as ``x``
    """
    x = np.asarray(x, dtype=float)
    thr = np.asarray(thresholds, dtype=float)
    with np.errstate(invalid="ignore"):
        return (x[..., None] >= thr).sum(axis=-1).astype(np.int8)


def ratio(num: np.ndarray, den: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """``num / den`` elementwise, ``fill`` where ``den == 0`` (no warning)."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    num, den = np.broadcast_arrays(num, den)
    out = np.full(num.shape, fill, dtype=float)
    np.divide(num, den, out=out, where=den != 0)
    return out


def running_any(x: np.ndarray) -> np.ndarray:
    """Cumulative OR along the time axis (axis 0): once true, true for ever."""
    return np.logical_or.accumulate(np.asarray(x, dtype=bool), axis=0)
