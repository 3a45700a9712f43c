"""The record-by-record recurrence of collateral reinnervation, compiled with numba.

:func:`alssim.clinical.strength.reinnervated_fibres` computes everything that does not depend on
the adopted fibres ``R`` for all records at once; what is left is a recurrence over the records,
a handful of numpy calls per record on arrays of a few dozen pools or muscles, so the calls'
fixed cost, not the arithmetic, is its time (about a millisecond per patient). With numba
installed (``pip install "alssim[fast]"``; the method of :func:`alssim.counting.counting_method`,
``ALSSIM_COUNTING`` to choose) it runs as one compiled loop that does the same IEEE-754
operations in the same order (numba fuses no multiply-add without ``fastmath``), so the fibres
are the same bit for bit (NaN where numpy gives NaN, and the sign of a zero numpy's:
``tests/test_counting.py`` checks both ways). It is used only in a process that has already
loaded numba to simulate: the clinical layer alone (e.g. reading saved results) does not load it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from alssim.counting import counting_method
from alssim.errors import import_optional

__all__ = ["reinnervation_recurrence"]

_kernel: Callable[..., Any] | None = None


def _compiled() -> Callable[..., Any]:
    global _kernel
    if _kernel is None:
        numba = import_optional("numba", "fast", "the compiled reinnervation recurrence")

        # numpy.minimum and numpy.maximum written out: a NaN operand propagates, and of two
        # equal operands (0.0 and -0.0) the second is kept, as numpy does. (A helper function
        # held in a closure would keep numba's disk cache from finding the kernel again in a
        # new process.)
        @numba.njit(cache=True, nogil=True)
        def recurrence(out, kept, target, lagged, decay, slope_part):  # pragma: no cover
            n_records, m = out.shape
            for j in range(m):
                out[0, j] = 0.0
            for n in range(1, n_records):
                for j in range(m):
                    carried = out[n - 1, j] * kept[n - 1, j]
                    low = target[n - 1, j]
                    if not (carried < low or carried != carried):
                        carried = low
                    if lagged[n - 1]:
                        carried = carried - target[n - 1, j]
                        carried = carried * decay[n - 1]
                        r = target[n, j] + carried
                        r = r - slope_part[n - 1, j]
                    else:
                        r = target[n, j]
                    if not (r > 0.0 or r != r):
                        r = 0.0
                    high = target[n, j]
                    if not (r < high or r != r):
                        r = high
                    out[n, j] = r

        _kernel = recurrence
    return _kernel


def reinnervation_recurrence(kept: np.ndarray, target: np.ndarray, lagged: np.ndarray,
                             decay: np.ndarray, slope_part: np.ndarray,
                             method: str | None = None) -> np.ndarray:
    """Adopted fibres record by record, from ``R = 0`` at the first record.

    For each record ``n >= 1``: ``c = min(R[n-1] * kept[n-1], target[n-1])``; where
    ``lagged[n-1]``, ``R[n] = target[n] + (c - target[n-1]) * decay[n-1] - slope_part[n-1]``,
    else ``R[n] = target[n]``; then ``R[n]`` clipped to ``[0, target[n]]``.

    Parameters
    ----------
    kept : ndarray of float64, shape (T - 1, ...)
        Share of the surviving own fibres kept from one record to the next.
    target : ndarray of float64, shape (T, ...)
        The fibres the units would adopt with no lag (``>= 0``).
    lagged : ndarray of bool, shape (T - 1,)
        Whether the lag applies over each interval.
    decay : ndarray of float64, shape (T - 1,)
        ``exp(-dt / tau)`` of each interval.
    slope_part : ndarray of float64, shape (T - 1, ...)
        The part of the exact response due to the target's slope over each interval.
    method : {"numpy", "numba"}, optional
        Default: ``"numba"`` when :func:`alssim.counting.counting_method` is numba and numba
        is already loaded (a process that simulates), else ``"numpy"``; both give the same
        numbers.

    Raises
    ------
    ValueError
        If ``kept``, ``slope_part``, ``lagged`` or ``decay`` do not have the shapes above.

    Returns
    -------
    ndarray of float64, shape (T, ...)
        ``R``, zero at the first record.
    """
    target = np.asarray(target, dtype=np.float64)
    t = target.shape[0]
    _check_shapes(kept, target, lagged, decay, slope_part)
    out = np.zeros(target.shape)
    if method is None:
        method = ("numba" if counting_method() == "numba" and "numba" in sys.modules
                  else "numpy")
    if method == "numba" and t > 1:
        _compiled()(out.reshape(t, -1), _records(kept), _records(target),
                    np.ascontiguousarray(lagged, dtype=np.bool_),
                    np.ascontiguousarray(decay, dtype=np.float64),
                    _records(slope_part))
        return out
    r = np.zeros(target.shape[1:])
    carried = np.empty_like(r)
    for n in range(1, target.shape[0]):
        np.multiply(r, kept[n - 1], out=carried)
        np.minimum(carried, target[n - 1], out=carried)
        if lagged[n - 1]:
            carried -= target[n - 1]
            carried *= decay[n - 1]
            np.add(target[n], carried, out=r)
            r -= slope_part[n - 1]
        else:
            r[...] = target[n]
        # clip to [0, target] (target >= 0)
        np.maximum(r, 0.0, out=r)
        np.minimum(r, target[n], out=r)
        out[n] = r
    return out


def _check_shapes(kept, target, lagged, decay, slope_part) -> None:
    steps = (max(target.shape[0] - 1, 0),)
    for name, x, shape in (("kept", kept, steps + target.shape[1:]),
                           ("slope_part", slope_part, steps + target.shape[1:]),
                           ("lagged", lagged, steps), ("decay", decay, steps)):
        if np.shape(x) != shape:
            raise ValueError(f"{name} must have shape {shape}; got {np.shape(x)}")


def _records(x: np.ndarray) -> np.ndarray:
    """``x`` (records first) as a contiguous float64 array of shape ``(len(x), places)``."""
    x = np.asarray(x, dtype=np.float64)
    return np.ascontiguousarray(x).reshape(x.shape[0], -1)
