"""FVC from the respiratory segments, ventilation need, and death from respiratory failure.

FVC (% predicted) is ``fvc_healthy`` times the strength of the respiratory pump: the strength of
each segment (both sides averaged) weighted by its share of the ALSFRS-R item
*respiratory insufficiency* (the diaphragm at C3-C5 and the intercostals at T2-T12 in the default
anatomy). Non-invasive ventilation is needed below ``niv_fvc`` (King's 4B); the patient dies of
respiratory failure at the first record with FVC below ``failure_fvc`` unless kept alive by
invasive ventilation (the recorded course after that time is then the ventilated one).
"""

from __future__ import annotations

import numpy as np

from alssim.anatomy import ALSFRS_ITEMS

__all__ = ["fvc_percent", "pump_weights"]


def pump_weights(shares: np.ndarray) -> np.ndarray:
    """Weights of segments in the respiratory pump, shape (S,), summing to 1 (or all 0).

    Parameters
    ----------
    shares : ndarray, shape (12, S)
        From :func:`alssim.clinical.alsfrs.item_shares`.
    """
    w = np.asarray(shares)[ALSFRS_ITEMS.index("respiratory_insufficiency")]
    total = w.sum()
    return w / total if total > 0 else np.zeros_like(w)


def fvc_percent(strength: np.ndarray, weights: np.ndarray, fvc_healthy: float) -> np.ndarray:
    """Forced vital capacity, % of predicted.

    Parameters
    ----------
    strength : ndarray, shape (T, S, 2)
    weights : ndarray, shape (S,)
        From :func:`pump_weights`; all zero means no respiratory segment (FVC stays healthy).
    fvc_healthy : float

    Returns
    -------
    ndarray, shape (T,)
    """
    if not np.any(weights):
        return np.full(np.shape(strength)[0], float(fvc_healthy))
    return fvc_healthy * (np.asarray(strength).mean(axis=-1) @ weights)
