"""Muscle strength from surviving motor units, collateral reinnervation and UMN drive.

Model (per segment and side, all arrays ``(T, S, 2)`` unless stated)
--------------------------------------------------------------------
Muscle fibres are counted in units of the smallest motor unit (the recorded ``unit_size_*``).
``F0`` fibres are innervated before onset; ``A(t)`` by surviving units' own fibres, ``D(t)`` of them
by dysfunctional units. Fibres orphaned by dead units, ``O = F0 - A``, are adopted by survivors:

* capacity: a unit can grow to ``k = max_unit_enlargement`` times its own size, dysfunctional
  units sprout a fraction ``s`` as much, so the survivors can adopt at most
  ``C = (k - 1) * ((A - D) + s * D)`` fibres;
* delay: adopted fibres ``R`` follow the target ``min(O, C)`` with a first-order lag of time
  constant ``tau`` (``tau dR/dt = target - R``, solved exactly between records for a target
  that changes linearly between them, i.e. a convolution of the target with
  ``exp(-t / tau) / tau``);
* loss: when adopting units die, their adopted fibres are orphaned again (``R`` falls in proportion
  to ``A``) and never exceed the target.

Innervated fraction ``m = min(1, (A + R) / F0)``; denervated fraction ``1 - m`` (atrophy). A UMN
drive term ``d = 1 - w * max(0, u - r) / (1 - r)`` (``u`` the lost UMN fraction, ``w`` the weakness
at complete UMN loss, ``r`` a corticospinal reserve) scales force: strength ``= m * d``. Force of a
unit is taken proportional to its fibres (Fuglevand 1993).

Muscles (arrays ``(T, M, 2)``)
------------------------------
The engine pools neurons by segment and side; each representative muscle of the anatomy
(``muscles`` of a segment) owns a part of its segment's pool. [hypothesis] Its part is lost
faster or slower than the pool as a whole by a per-muscle vulnerability exponent ``e``
(``Muscle.vulnerability``): when a fraction ``f`` of the segment's units survives, ``f ** e``
of the muscle's do, for the unit count (MUNE) and for their own fibres ``a = A / F0`` alike;
the dysfunctional share of the surviving fibres is the segment's. ``e > 1`` stands for the
distal muscles lost first: the split hand (thenar and first dorsal interosseous before the
hypothenar muscles; Wilbourn's sign, Eisen & Kuwabara 2012 JNNP 83:399; Menon 2014 Clin
Neurophysiol 125:186) and the distal-to-proximal gradient of limb weakness. The same
reinnervation model then runs per muscle (healthy fibres 1, own fibres ``a ** e``), and
muscle strength is the muscle's innervated fraction times its segment's UMN drive, graded
MRC 0-5 with the same thresholds. A segment's ``strength`` is the mean of its muscles'
strengths (the segment's pool strength where it names no muscle), so a segment whose
muscles all have ``e = 1`` keeps exactly the pool strength above.
"""

from __future__ import annotations

import numpy as np

from alssim.clinical._util import grade, ratio
from alssim.clinical.reinnervation_kernel import reinnervation_recurrence

__all__ = [
    "atrophy_sign",
    "innervated_fraction",
    "mrc_grade",
    "mrc_sum_score",
    "muscle_pools",
    "reinnervated_fibres",
    "segment_mean",
    "umn_drive",
]


def reinnervated_fibres(
    times_months: np.ndarray,
    size_healthy: float | np.ndarray,
    size_alive: np.ndarray,
    size_dysfunctional: np.ndarray,
    *,
    max_unit_enlargement: float | np.ndarray,
    delay_months: float,
    dysfunctional_sprouting: float,
    enabled: bool = True,
) -> np.ndarray:
    """Orphaned fibres adopted by surviving units (collateral reinnervation).

    Parameters
    ----------
    times_months : ndarray, shape (T,)
        Record times (months), increasing.
    size_healthy : float or ndarray, shape (...)
        Fibres of the pool before onset, ``F0``.
    size_alive, size_dysfunctional : ndarray, shape (T, ...)
        Own fibres of surviving units ``A`` and of the dysfunctional ones ``D``.
    max_unit_enlargement : float or ndarray broadcasting to (T, ...)
        ``k >= 1``: largest size of a unit relative to its own (an array when a treatment
        changes it over time; see :mod:`alssim.interventions`).
    delay_months : float
        Time constant of the lag (0: immediate).
    dysfunctional_sprouting : float
        Relative sprouting capacity ``s`` of dysfunctional units, in [0, 1].
    enabled : bool
        ``False`` gives zero.

    Returns
    -------
    ndarray, shape (T, ...)
        Adopted fibres ``R`` (same unit as the sizes), ``0 <= R <= min(F0 - A, C)``.
    """
    a = np.asarray(size_alive, dtype=float)
    d = np.asarray(size_dysfunctional, dtype=float)
    out = np.zeros_like(a)
    if not enabled or np.all(np.asarray(max_unit_enlargement) <= 1.0) or a.shape[0] == 0:
        return out
    orphaned = np.maximum(np.asarray(size_healthy, dtype=float) - a, 0.0)
    capacity = (max_unit_enlargement - 1.0) * ((a - d) + dysfunctional_sprouting * d)
    target = np.minimum(orphaned, np.maximum(capacity, 0.0))
    dt = np.diff(np.asarray(times_months, dtype=float))
    # everything that does not depend on R, for all records at once (the same operations in
    # the same order as record by record, so the same numbers)
    kept = ratio(a[1:], a[:-1])  # surviving own fibres kept since the last record
    lagged = (delay_months > 0) & (dt <= 700.0 * delay_months)
    h = np.ones_like(dt)
    np.divide(dt, delay_months, out=h, where=lagged)  # <= 700 where lagged
    decay = np.exp(-h)
    ramp = np.expm1(-h)
    np.negative(ramp, out=ramp)
    shape = (-1,) + (1,) * (a.ndim - 1)
    # exact response of tau R' = target - R to a target linear between the records
    slope_part = (target[1:] - target[:-1]) * ramp.reshape(shape) / h.reshape(shape)
    return reinnervation_recurrence(kept, target, lagged, decay, slope_part)


def innervated_fraction(size_healthy: float | np.ndarray, size_alive: np.ndarray,
                        reinnervated: np.ndarray) -> np.ndarray:
    """Fraction of the healthy muscle fibres that are innervated, ``min(1, (A + R) / F0)``.

    Returns
    -------
    ndarray, shape of ``size_alive``, in [0, 1]
    """
    return np.clip(ratio(np.asarray(size_alive) + reinnervated,
                         np.broadcast_to(size_healthy, np.shape(size_alive))), 0.0, 1.0)


def umn_drive(umn_lost: np.ndarray, weakness: float, reserve: float) -> np.ndarray:
    """Fraction of voluntary drive left after UMN loss.

    ``1 - weakness * max(0, umn_lost - reserve) / (1 - reserve)``, in ``[1 - weakness, 1]``.
    """
    excess = np.clip((np.asarray(umn_lost, dtype=float) - reserve) / (1.0 - reserve), 0.0, 1.0)
    return 1.0 - weakness * excess


def mrc_grade(strength: np.ndarray, thresholds) -> np.ndarray:
    """MRC grade 0-5 from a strength fraction.

    Parameters
    ----------
    strength : ndarray
        Fraction of healthy force, in [0, 1].
    thresholds : sequence of 5 float
        Strength at which grades 1, 2, 3, 4 and 5 begin.

    Returns
    -------
    ndarray of int8, values 0..5
    """
    return grade(strength, thresholds)


def atrophy_sign(denervated: np.ndarray, threshold: float) -> np.ndarray:
    """Clinically visible wasting: the denervated fibre fraction reaches ``threshold``."""
    return np.asarray(denervated) >= threshold


def muscle_pools(alive_fraction: np.ndarray, dysfunctional_fraction: np.ndarray,
                 exponents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A muscle's part of its segment's pool, lost with the muscle's vulnerability exponent.

    Parameters
    ----------
    alive_fraction : ndarray, shape (T, M, 2)
        Surviving fraction of the muscle's segment and side: of its units (for MUNE) or of
        its healthy fibres innervated by their own surviving units, ``A / F0``.
    dysfunctional_fraction : ndarray, shape (T, M, 2)
        Own fibres of the segment's dysfunctional units, ``D / F0`` (ignored for unit counts:
        pass zeros).
    exponents : ndarray, shape (M,)
        Vulnerability exponents ``e > 0``.

    Returns
    -------
    alive, dysfunctional : ndarray, each shape (T, M, 2), in [0, 1]
        ``f ** e`` and the same dysfunctional share of it as in the segment,
        ``alive * D / A`` (0 where nothing survives).
    """
    f = np.clip(np.asarray(alive_fraction, dtype=float), 0.0, 1.0)
    alive = f ** np.asarray(exponents, dtype=float)[:, None]
    share = np.clip(ratio(np.asarray(dysfunctional_fraction, dtype=float), f), 0.0, 1.0)
    return alive, alive * share


def segment_mean(muscle_values: np.ndarray, muscle_segments: np.ndarray,
                 segment_values: np.ndarray) -> np.ndarray:
    """Mean over each segment's muscles; the segment's own value where it has none.

    Parameters
    ----------
    muscle_values : ndarray, shape (T, M, 2)
    muscle_segments : ndarray of int, shape (M,)
        Segment index of each muscle.
    segment_values : ndarray, shape (T, S, 2)
        Used for segments without muscles.

    Returns
    -------
    ndarray, shape (T, S, 2)
    """
    seg = np.asarray(muscle_segments, dtype=np.int64)
    n_s = np.shape(segment_values)[1]
    onehot = np.zeros((len(seg), n_s))
    onehot[np.arange(len(seg)), seg] = 1.0
    n = onehot.sum(axis=0)
    mean = np.einsum("tmd,ms->tsd", np.asarray(muscle_values, dtype=float), onehot)
    mean = mean / np.where(n > 0, n, 1.0)[None, :, None]
    return np.where((n > 0)[None, :, None], mean, segment_values)


def mrc_sum_score(mrc: np.ndarray, muscles: np.ndarray) -> np.ndarray:
    """MRC sum score: the grades of the chosen muscles added over both sides.

    Parameters
    ----------
    mrc : ndarray, shape (T, M, 2)
        MRC grades 0-5.
    muscles : ndarray of bool, shape (M,)
        Muscles counted (e.g. the limb muscles).

    Returns
    -------
    ndarray of int16, shape (T,), in ``[0, 10 * muscles.sum()]``
    """
    return np.asarray(mrc)[:, np.asarray(muscles, dtype=bool)].sum(axis=(1, 2)).astype(np.int16)
