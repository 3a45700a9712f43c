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
    cumulative hazard, so the pointer moves forward by the neurons newly passed, one key at a
    time for the first :data:`alssim.numba_kernels.LINEAR_STEPS` and then galloping (doubling
    steps, then a binary search of the last), ``O(log(new passes))`` per segment and step; it
    reads few cache lines where a search of a large array reads many. Compiled with numba (an
    optional dependency, ``pip install "alssim[fast]"``), imported only when a simulation first
    counts. A query that falls (it cannot, but a walk that allowed it would be wrong) walks
    back, so the count is exact either way.

The method is :func:`counting_method`: ``"numba"`` when numba is installed, else ``"numpy"``; the
environment variable ``ALSSIM_COUNTING`` (``numpy`` or ``numba``) chooses one. Outputs do not
depend on it (the counts are the same integers; tests check every shipped config both ways).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from alssim.errors import ConfigError, import_optional

__all__ = ["COUNTING_METHODS", "compiled_kernels", "counting_method", "level_walker",
           "segment_bounds", "walk_counts", "walk_level_counts"]

#: The counting methods (see the module docstring).
COUNTING_METHODS = ("numpy", "numba")



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


def compiled_kernels(purpose: str) -> ModuleType:
    """:mod:`alssim.numba_kernels`, imported (and numba with it) at the first call: the one
    place the compiled kernels are loaded from, saying how to install numba, for ``purpose``,
    when it is missing. Python keeps the module, and numba each kernel compiled or loaded from
    its disk cache, so later calls cost a dictionary lookup."""
    import_optional("numba", "fast", purpose)
    from alssim import numba_kernels

    return numba_kernels


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
    compiled_kernels("counting with numba").walk(keys, queries, pointers, starts, ends)


def walk_level_counts(keys: np.ndarray, levels: np.ndarray, high: float, bands: np.ndarray,
                      pointers: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                      counts: np.ndarray, bounds: np.ndarray | None = None) -> None:
    """:func:`walk_counts` with the queries made from levels and bands, and the counts written.

    Segment ``i = (patient * n_kinds + kind) * n_populations + population`` has the query
    ``min(levels[patient, population], high) + bands[kind, population]`` (the float
    ``numpy.minimum`` and ``+`` give) and, on return, ``counts[patient, kind, population] =
    pointers[i] - starts[i]``. One compiled call per step, instead of the three array
    operations and the subtraction around :func:`walk_counts`.

    A segment whose query still lies between the keys either side of its pointer (``bounds``)
    is not touched, so a step reads the large ``keys`` array only where thresholds are passed.

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
        The pointers' counts (``pointers - starts``; zeros with the pointers at their starts),
        updated: the keys at or below each query.
    bounds : ndarray of float64, shape (n_segments, 2), optional
        The keys either side of each pointer (``-inf`` / ``inf`` past a segment's ends), as
        :func:`segment_bounds` makes them, updated in place; kept by the caller between calls.
        Default: made for this call.
    """
    if bounds is None:
        bounds = segment_bounds(keys, pointers, starts, ends)
    level_walker()(keys, levels, high, bands, pointers, starts, ends, counts, bounds)


def level_walker() -> Callable[..., Any]:
    """The compiled kernel of :func:`walk_level_counts`, to call directly in a time loop (the
    same arguments, ``bounds`` required): no Python wrapper between steps."""
    return compiled_kernels("counting with numba").walk_levels


def segment_bounds(keys: np.ndarray, pointers: np.ndarray, starts: np.ndarray,
                   ends: np.ndarray) -> np.ndarray:
    """The keys either side of each segment's pointer, shape (n_segments, 2): ``keys[p - 1]``
    (``-inf`` at the segment's start) and ``keys[p]`` (``inf`` at its end)."""
    bounds = np.empty((len(pointers), 2))
    keys = keys if keys.size else np.zeros(1)  # every segment empty: both bounds infinite
    at_start = pointers <= starts
    at_end = pointers >= ends
    bounds[:, 0] = np.where(at_start, -np.inf, keys[np.where(at_start, 0, pointers - 1)])
    bounds[:, 1] = np.where(at_end, np.inf, keys[np.where(at_end, 0, pointers)])
    return bounds
