"""Fasciculations from dysfunctional (hyperexcitable) LMNs, raised by UMN disinhibition.

Rate in a representative muscle of ``n_ref`` motor units (per minute)::

    rate = r0 * n_ref * (dysfunctional LMNs / LMNs at onset) * (1 + g * UMN affected fraction)

``r0`` is the rate of one dysfunctional unit and ``g`` the disinhibition gain (hypothesis). Because
LMNs pass through dysfunction before they die, the rate rises while a pool is partly denervated and
falls as it empties. The score is 0-4 by rate thresholds.
"""

from __future__ import annotations

import numpy as np

from alssim.clinical._util import grade

__all__ = ["fasciculation_rate", "fasciculation_score"]


def fasciculation_rate(lmn_dysfunctional_fraction: np.ndarray, umn_affected: np.ndarray, *,
                       rate_per_unit: float, reference_motor_units: float,
                       disinhibition_gain: float) -> np.ndarray:
    """Fasciculations per minute in a representative muscle.

    Parameters
    ----------
    lmn_dysfunctional_fraction : ndarray, shape (T, S, 2)
        Dysfunctional LMNs / LMNs at onset.
    umn_affected : ndarray, shape (T, S, 2)
        UMNs lost or dysfunctional, as a fraction, of the same segment and side.
    rate_per_unit : float
        Per dysfunctional unit (1/min).
    reference_motor_units : float
        Motor units of the muscle the rate refers to.
    disinhibition_gain : float

    Returns
    -------
    ndarray, shape (T, S, 2), >= 0 (1/min)
    """
    return (rate_per_unit * reference_motor_units * np.asarray(lmn_dysfunctional_fraction)
            * (1.0 + disinhibition_gain * np.clip(umn_affected, 0.0, 1.0)))


def fasciculation_score(rate: np.ndarray, thresholds) -> np.ndarray:
    """Score 0-4 (none, occasional, frequent, abundant, continuous) from the rate per minute."""
    return grade(rate, thresholds)
