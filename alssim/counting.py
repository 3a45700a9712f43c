"""How many sorted keys lie at or below a query that only rises: the counting step of the exact
fate engine (:class:`alssim.fates.ExactFates`).

Each (patient, kind, population) owns a sorted segment ``keys[start:end]`` of one array; its
count at a step is the number of keys in the segment at or below the step's query. Two ways give
the same integers:

``"numpy"``
    a binary search of every query (:func:`numpy.searchsorted`), ``O(log N)`` per query, with
    no state between steps. Always available.
``"numba"``
    a pointer per segment that walks from the previous step's count: queries rise with the
    cumulative hazard, so the walk moves forward by the neurons newly passed, amortised
    ``O(new deaths)`` per step, and reads few cache lines where a search of a large array
    reads many. Compiled with numba (an optional dependency, ``pip install "alssim[fast]"``),
    imported only when a simulation first counts. A query that falls (it cannot, but a walk
    that allowed it would be wrong) walks back, so the count is exact either way.

The method is :func:`counting_method`: ``"numba"`` when numba is installed, else ``"numpy"``; the
environment variable ``ALSSIM_COUNTING`` (``numpy`` or ``numba``) chooses one. Outputs do not
depend on it (the counts are the same integers; tests check every shipped config both ways).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from alssim.errors import ConfigError, import_optional

__all__ = ["COUNTING_METHODS", "counting_method", "walk_counts", "walk_level_counts"]

#: The counting methods (see the module docstring).
COUNTING_METHODS = ("numpy", "numba")

_walker: Callable[..., Any] | None = None
_level_walker: Callable[..., Any] | None = None


def counting_method() -> str:
    """The counting method in use: ``ALSSIM_COUNTING`` if set, else ``"numba"`` when numba is
    installed, else ``"numpy"``.

    Raises
    ------
    ConfigError
        If ``ALSSIM_COUNTING`` names another method.
    AlssimError
        If ``ALSSIM_COUNTING=numba`` and numba is not installed (saying how to install it).
    """
    chosen = os.environ.get("ALSSIM_COUNTING", "").strip().lower()
    if chosen and chosen not in COUNTING_METHODS:
        raise ConfigError(f"must be one of {', '.join(COUNTING_METHODS)}; got {chosen!r}",
                          key="ALSSIM_COUNTING", source="environment")
    if chosen == "numpy":
        return "numpy"
    if chosen == "numba":
        import_optional("numba", "fast", "ALSSIM_COUNTING=numba")
        return "numba"
    return "numba" if _numba_installed() else "numpy"


def _numba_installed() -> bool:
    """Whether numba can be imported, found without importing it (a memory estimate asks in
    processes that never count)."""
    if "numba" in sys.modules:
        return sys.modules["numba"] is not None  # None: imports of it are blocked
    try:
        return importlib.util.find_spec("numba") is not None
    except (ImportError, ValueError):
        return False


def _compiled_walker() -> Callable[..., Any]:
    """The numba-compiled pointer walk (compiled at its first call, cached on disk)."""
    global _walker
    if _walker is None:
        numba = import_optional("numba", "fast", "counting with numba")

        @numba.njit(cache=True, nogil=True)
        def walk(keys, queries, pointers, starts, ends):  # pragma: no cover - compiled
            for i in range(queries.size):
                q = queries[i]
                p = pointers[i]
                end = ends[i]
                while p < end and keys[p] <= q:
                    p += 1
                start = starts[i]
                while p > start and keys[p - 1] > q:
                    p -= 1
                pointers[i] = p

        _walker = walk
    return _walker


def _compiled_level_walker() -> Callable[..., Any]:
    """The numba-compiled walk of :func:`walk_level_counts` (compiled at its first call, cached
    on disk)."""
    global _level_walker
    if _level_walker is None:
        numba = import_optional("numba", "fast", "counting with numba")

        @numba.njit(cache=True, nogil=True)
        def walk_levels(keys, levels, high, bands, pointers, starts, ends,
                        counts):  # pragma: no cover - compiled
            n_patients, n_pop = levels.shape
            n_kinds = bands.shape[0]
            i = 0
            for patient in range(n_patients):
                for kind in range(n_kinds):
                    for pop in range(n_pop):
                        # the query numpy's minimum and add would give: both are exact
                        # IEEE-754 operations, so the float is the same bit for bit
                        q = min(levels[patient, pop], high) + bands[kind, pop]
                        p = pointers[i]
                        end = ends[i]
                        while p < end and keys[p] <= q:
                            p += 1
                        start = starts[i]
                        while p > start and keys[p - 1] > q:
                            p -= 1
                        pointers[i] = p
                        counts[patient, kind, pop] = p - start
                        i += 1

        _level_walker = walk_levels
    return _level_walker


def walk_counts(keys: np.ndarray, queries: np.ndarray, pointers: np.ndarray,
                starts: np.ndarray, ends: np.ndarray) -> None:
    """Move each segment's pointer to just past its keys at or below its query (in place).

    Parameters
    ----------
    keys : ndarray of float64, shape (n_keys,)
        The segments' keys, each segment sorted.
    queries : ndarray of float64, shape (n_segments,)
        One query per segment.
    pointers : ndarray of int64, shape (n_segments,)
        Each segment's pointer (an index into ``keys`` within ``[start, end]``): on return,
        ``start`` + the number of the segment's keys ``<= query``.
    starts, ends : ndarray of int64, shape (n_segments,)
        Each segment's first index and one past its last.
    """
    _compiled_walker()(keys, queries, pointers, starts, ends)


def walk_level_counts(keys: np.ndarray, levels: np.ndarray, high: float, bands: np.ndarray,
                      pointers: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                      counts: np.ndarray) -> None:
    """:func:`walk_counts` with the queries made from levels and bands, and the counts written.

    Segment ``i = (patient * n_kinds + kind) * n_populations + population`` has the query
    ``min(levels[patient, population], high) + bands[kind, population]`` (the float
    ``numpy.minimum`` and ``+`` give) and, on return, ``counts[patient, kind, population] =
    pointers[i] - starts[i]``. One compiled call per step, instead of the three array
    operations and the subtraction around :func:`walk_counts`.

    Parameters
    ----------
    keys : ndarray of float64, shape (n_keys,)
        The segments' keys, each segment sorted.
    levels : ndarray of float64, shape (n_patients, n_populations)
        Each patient's level per population (the fate engine's ``log Lambda``).
    high : float
        Upper clip of the levels.
    bands : ndarray of float64, shape (n_kinds, n_populations)
        Offset of each (kind, population)'s band of keys.
    pointers, starts, ends : ndarray of int64, shape (n_patients * n_kinds * n_populations,)
        As for :func:`walk_counts`.
    counts : ndarray of int64, shape (n_patients, n_kinds, n_populations)
        Written: the keys at or below each query.
    """
    _compiled_level_walker()(keys, levels, high, bands, pointers, starts, ends, counts)
