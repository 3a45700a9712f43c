"""Time-series helpers below every layer (model and clinical alike read record series)."""

from __future__ import annotations

import numpy as np

__all__ = ["first_time"]


def first_time(flag: np.ndarray, times: np.ndarray) -> np.ndarray:
    """First time at which ``flag`` is true along axis 0; ``inf`` where never.

    Parameters
    ----------
    flag : ndarray of bool, shape (n_times, ...)
    times : ndarray, shape (n_times,)

    Returns
    -------
    ndarray of float, shape ``flag.shape[1:]``
    """
    flag = np.asarray(flag, dtype=bool)
    idx = flag.argmax(axis=0)
    return np.where(flag.any(axis=0), np.asarray(times, dtype=float)[idx], np.inf)
