"""ALSFRS-R progression: the ΔFS slope, a linear slope and the D50 sigmoid fit.

* ``delta_fs`` (Kimura 2006 Neurology 66:265): ``(48 - ALSFRS-R at diagnosis) / months from
  clinical onset to diagnosis``.
* ``linear_slope``: least-squares slope of ALSFRS-R against months from clinical onset, from onset
  to death (or the end of the record), points per month.
* ``fit_d50`` (the D50 model of the Jena group): ``ALSFRS-R(t) = 48 / (1 + exp((t - D50) / dx))``
  with ``t`` in months from clinical onset, fitted by :func:`scipy.optimize.curve_fit`; ``D50`` is
  the time to a score of 24, ``dx`` the time constant of decline; D50 < 30 months counts as highly
  aggressive disease.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

__all__ = ["D50_AGGRESSIVE_MONTHS", "d50_model", "delta_fs", "fit_d50", "linear_slope"]

#: D50 below this (months) counts as highly aggressive disease.
D50_AGGRESSIVE_MONTHS = 30.0


def d50_model(t: np.ndarray, d50: float, dx: float) -> np.ndarray:
    """``48 / (1 + exp((t - d50) / dx))``, the D50 sigmoid (points)."""
    z = np.clip((np.asarray(t, dtype=float) - d50) / dx, -700.0, 700.0)
    return 48.0 / (1.0 + np.exp(z))


def delta_fs(total_at_diagnosis: float, months_onset_to_diagnosis: float) -> float | None:
    """ΔFS in points per month; ``None`` when undefined (no diagnosis, or at onset)."""
    if not (math.isfinite(months_onset_to_diagnosis) and months_onset_to_diagnosis > 0):
        return None
    return (48.0 - float(total_at_diagnosis)) / months_onset_to_diagnosis


def linear_slope(t: np.ndarray, score: np.ndarray) -> float | None:
    """Least-squares slope (points per month); ``None`` with fewer than 2 distinct times."""
    t = np.asarray(t, dtype=float)
    if len(t) < 2 or np.ptp(t) == 0:
        return None
    return float(np.polyfit(t, np.asarray(score, dtype=float), 1)[0])


def fit_d50(t: np.ndarray, score: np.ndarray) -> dict | None:
    """Fit the D50 model.

    Parameters
    ----------
    t : ndarray, shape (n,)
        Months from clinical onset (>= 0).
    score : ndarray, shape (n,)
        ALSFRS-R totals.

    Returns
    -------
    dict or None
        ``d50_months``, ``dx_months``, ``rmse`` (points) and ``highly_aggressive``
        (D50 < 30 months); ``None`` with fewer than 3 points or when the fit fails.
    """
    t = np.asarray(t, dtype=float)
    y = np.asarray(score, dtype=float)
    if len(t) < 3 or np.ptp(t) == 0:
        return None

    below = np.flatnonzero(y <= 24)
    d0 = t[below[0]] if len(below) else t[-1] + 12.0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            popt, _ = curve_fit(d50_model, t, y, p0=(max(d0, 1.0), 6.0),
                                bounds=([0.0, 0.05], [1.0e4, 1.0e3]), maxfev=20000)
    except (RuntimeError, ValueError):
        return None
    d50, dx = (float(v) for v in popt)
    rmse = float(np.sqrt(np.mean((d50_model(t, d50, dx) - y) ** 2)))
    if not all(math.isfinite(v) for v in (d50, dx, rmse)):
        return None
    return {"d50_months": d50, "dx_months": dx, "rmse": rmse,
            "highly_aggressive": bool(d50 < D50_AGGRESSIVE_MONTHS)}
