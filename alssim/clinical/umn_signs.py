"""Spasticity, tendon reflexes and the Babinski sign from UMN loss, masked by LMN loss.

The UMN index of a segment and side is ``u = lost + w * dysfunctional`` (fractions of its UMNs;
``w`` = ``dysfunction_weight``). Spasticity and hyperreflexia need a muscle and a reflex arc to show
in, so the *effective* index is ``u * m`` with ``m`` the innervated muscle fraction (see
:mod:`alssim.clinical.strength`): a segment with both UMN and LMN loss is stiff and brisk while
muscle is left, and turns flaccid as LMN loss removes it.
"""

from __future__ import annotations

import numpy as np

from alssim.clinical._util import grade

__all__ = [
    "ASHWORTH_LEVELS",
    "ashworth",
    "babinski",
    "effective_umn_index",
    "reflex_grade",
    "umn_index",
]

#: Modified Ashworth levels 0, 1, 1+, 2, 3, 4, coded numerically (1+ as 1.5).
ASHWORTH_LEVELS = (0.0, 1.0, 1.5, 2.0, 3.0, 4.0)


def umn_index(umn_lost: np.ndarray, umn_dysfunctional: np.ndarray,
              dysfunction_weight: float) -> np.ndarray:
    """UMN damage ``lost + w * dysfunctional`` (fractions), clipped to [0, 1]."""
    return np.clip(np.asarray(umn_lost) + dysfunction_weight * np.asarray(umn_dysfunctional),
                   0.0, 1.0)


def effective_umn_index(index: np.ndarray, innervated: np.ndarray) -> np.ndarray:
    """UMN index masked by the muscle left: ``index * innervated``."""
    return np.asarray(index) * np.asarray(innervated)


def ashworth(effective: np.ndarray, thresholds) -> np.ndarray:
    """Modified Ashworth score, coded 0, 1, 1.5 (for 1+), 2, 3, 4.

    Parameters
    ----------
    effective : ndarray
        Effective UMN index in [0, 1].
    thresholds : sequence of 5 float
        Index at which MAS 1, 1+, 2, 3 and 4 begin.

    Returns
    -------
    ndarray of float, values in :data:`ASHWORTH_LEVELS`
    """
    return np.asarray(ASHWORTH_LEVELS)[grade(effective, thresholds)]


def reflex_grade(effective: np.ndarray, innervated: np.ndarray, *, brisk: float,
                 clonus: float, reduced_below: float, absent_below: float) -> np.ndarray:
    """Tendon reflex grade 0-4 (0 absent, 1 reduced, 2 normal, 3 brisk, 4 clonus).

    UMN damage raises the grade (``effective >= brisk``: +1, ``>= clonus``: +2); loss of the
    reflex arc lowers it (``innervated < reduced_below``: -1, ``< absent_below``: -2).

    Returns
    -------
    ndarray of int8, values 0..4
    """
    up = grade(effective, (brisk, clonus))
    m = np.asarray(innervated, dtype=float)
    down = (m < reduced_below).astype(np.int8) + (m < absent_below).astype(np.int8)
    return np.clip(2 + up - down, 0, 4).astype(np.int8)


def babinski(effective: np.ndarray, threshold: float, applicable: np.ndarray) -> np.ndarray:
    """Extensor plantar response where the segment carries the plantar reflex.

    Parameters
    ----------
    effective : ndarray, shape (T, S, 2)
    threshold : float
    applicable : ndarray of bool, shape (S,)
        Segments of the lumbosacral El Escorial region (elsewhere the sign does not exist and is
        ``False``).
    """
    return (np.asarray(effective) >= threshold) & np.asarray(applicable)[:, None]
