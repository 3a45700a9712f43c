"""Tests a clinic runs on the motor units: needle EMG, MUNE, CMAP and the split-hand index.

Needle EMG per segment and side
    *Fibrillations and positive sharp waves* come from recently denervated fibres: every record
    adds the fibres newly orphaned since the last one (as a fraction of the healthy muscle), the sum
    decays with ``fibrillation_time_constant_months`` (denervated fibres atrophy and fall silent)
    and never exceeds the fibres still denervated (reinnervated fibres stop fibrillating). Graded
    0-4 by thresholds. *Fasciculation potentials* are recorded when the fasciculation rate
    reaches ``fasciculation_potential_rate``. *Chronic neurogenic change* (large, long, polyphasic
    motor-unit potentials) is read when the mean enlargement of surviving units by reinnervation,
    ``(A + R) / A``, reaches ``chronic_neurogenic_enlargement``.
    The revised El Escorial EMG sign of LMN loss is active denervation (fibrillations) with chronic
    neurogenic change; the Awaji sign also accepts fasciculation potentials as active denervation.

MUNE and CMAP per muscle
    A muscle of ``N`` healthy units (anatomy ``muscles``) keeps ``N * a**e`` units, ``a`` the
    surviving LMN fraction of its segment and side and ``e`` the muscle's vulnerability
    exponent (``Muscle.vulnerability``; the one exponent that also sets the muscle's fibres and
    strength, :mod:`alssim.clinical.strength`); its CMAP amplitude is ``100 * m`` % of
    baseline, ``m`` the muscle's innervated fibre fraction, so reinnervation holds the CMAP up
    while MUNE falls. The thenar and first dorsal interosseous muscles have larger exponents
    than the hypothenar muscles in the default anatomy (hypothesis: the split hand). MUNE
    stands for both MUNE and MUNIX: both estimate this count and the model has no surface-EMG
    detail to tell them apart.

Split-hand index
    ``SI = split_hand_healthy * CMAP(APB) * CMAP(FDI) / CMAP(ADM)`` (CMAPs as fractions of baseline)
    in segments that hold the ``thenar``, ``first_dorsal_interosseous`` and ``hypothenar`` muscles;
    NaN elsewhere.
"""

from __future__ import annotations

import numpy as np

from alssim.clinical._util import grade, ratio

__all__ = [
    "SPLIT_HAND_AFFECTED",
    "SPLIT_HAND_MUSCLES",
    "cmap_percent",
    "fibrillation_density",
    "fibrillation_grade",
    "mune",
    "mup_enlargement",
    "split_hand_index",
]

#: Muscles of the split-hand index: numerator (APB, FDI) and denominator (ADM).
SPLIT_HAND_MUSCLES = ("thenar", "first_dorsal_interosseous", "hypothenar")
#: Muscles preferentially affected in the split hand (their exponents are the anatomy's).
SPLIT_HAND_AFFECTED = ("thenar", "first_dorsal_interosseous")


def fibrillation_density(times_months: np.ndarray, own_lost: np.ndarray,
                         denervated: np.ndarray, time_constant_months: float) -> np.ndarray:
    """Fraction of the muscle's fibres that fibrillate (recently denervated, not reinnervated).

    Parameters
    ----------
    times_months : ndarray, shape (T,)
    own_lost : ndarray, shape (T, ...)
        Fraction of the healthy fibres whose own motor unit has died, ``1 - A / F0``.
    denervated : ndarray, shape (T, ...)
        Fraction of the healthy fibres currently denervated, ``1 - m``.
    time_constant_months : float

    Returns
    -------
    ndarray, shape (T, ...), in [0, 1]
    """
    own_lost = np.asarray(own_lost, dtype=float)
    new = np.zeros_like(own_lost)
    new[1:] = np.maximum(np.diff(own_lost, axis=0), 0.0)
    decay = np.exp(-np.diff(np.asarray(times_months, dtype=float)) / time_constant_months)
    acc = np.zeros_like(own_lost)
    for n in range(1, len(acc)):
        acc[n] = acc[n - 1] * decay[n - 1] + new[n]
    return np.clip(np.minimum(acc, denervated), 0.0, 1.0)


def fibrillation_grade(density: np.ndarray, thresholds) -> np.ndarray:
    """Fibrillation/positive-sharp-wave grade 0-4 from the fibrillating fraction."""
    return grade(density, thresholds)


def mup_enlargement(size_alive: np.ndarray, reinnervated: np.ndarray) -> np.ndarray:
    """Mean enlargement of surviving units, ``(A + R) / A``; NaN when no unit survives."""
    a = np.asarray(size_alive, dtype=float)
    return ratio(a + reinnervated, a, fill=np.nan)


def mune(healthy_units: np.ndarray, alive_fraction: np.ndarray,
         exponents: np.ndarray) -> np.ndarray:
    """Motor-unit number estimate of each muscle.

    Parameters
    ----------
    healthy_units : ndarray, shape (M,)
    alive_fraction : ndarray, shape (T, M, 2)
        Surviving LMN fraction of each muscle's segment and side.
    exponents : ndarray, shape (M,)

    Returns
    -------
    ndarray, shape (T, M, 2), units
    """
    a = np.clip(alive_fraction, 0.0, 1.0)
    return np.asarray(healthy_units, dtype=float)[:, None] * a ** np.asarray(exponents)[:, None]


def cmap_percent(innervated: np.ndarray) -> np.ndarray:
    """CMAP amplitude of each muscle, % of baseline, shape (T, M, 2).

    Parameters
    ----------
    innervated : ndarray, shape (T, M, 2)
        Innervated fibre fraction of each muscle (its own, after its vulnerability exponent
        and reinnervation: :func:`alssim.clinical.strength.muscle_pools`).
    """
    return 100.0 * np.clip(np.asarray(innervated, dtype=float), 0.0, 1.0)


def split_hand_index(cmap: np.ndarray, muscle_names, muscle_segments: np.ndarray,
                     n_segments: int, healthy: float) -> np.ndarray:
    """Split-hand index per segment and side, NaN where the three muscles are not all present.

    Parameters
    ----------
    cmap : ndarray, shape (T, M, 2)
        CMAP, % of baseline.
    muscle_names : sequence of str, length M
    muscle_segments : ndarray of int, shape (M,)
    n_segments : int
    healthy : float

    Returns
    -------
    ndarray, shape (T, S, 2)
    """
    cmap = np.asarray(cmap, dtype=float) / 100.0
    out = np.full((cmap.shape[0], n_segments, 2), np.nan)
    names = list(muscle_names)
    for s in range(n_segments):
        idx = []
        for want in SPLIT_HAND_MUSCLES:
            hits = [j for j, (n, g) in enumerate(zip(names, muscle_segments, strict=True))
                    if n == want and g == s]
            idx.append(hits[0] if hits else None)
        if None in idx:
            continue
        apb, fdi, adm = (cmap[:, j] for j in idx)
        out[:, s] = healthy * ratio(apb * fdi, adm, fill=np.nan)
    return out
