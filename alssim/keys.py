"""A patient's sorted keys: the thresholds of every neuron as the exact fate engine counts them.

:func:`sorted_keys` makes each neuron's two keys (death, and affected: dysfunctional or dead) from
the logarithms of its thresholds and of its vulnerability, sorts them within their population,
clips them to their population's band and shifts them into it, and keeps the prefix sums of the LMN
pools' motor units in each key order (:class:`SortedKeys`); :class:`alssim.fates.ExactFates` counts
them.

With numpy this is a dozen passes over arrays of up to millions of values besides the sort. With
numba (``pip install "alssim[fast]"``, the method of :func:`alssim.counting.counting_method`) two
compiled passes do the same arithmetic (:func:`compiled_passes`): one makes, clips and shifts the
keys before the sort, the other gathers an LMN pool's keys into their sorted order and accumulates
its prefix sums; a third reads a batch's motor-unit sums from them at each record. The numbers are
the same bit for bit: clipping and adding the band's centre are monotone in IEEE-754 arithmetic, so
they commute with the sort (keys that become equal only after the shift are a tie, and no count or
prefix sum is read inside a tie; a NaN key, from a zero vulnerability, becomes the band's upper edge
either way); the prefix sums are the same sequential additions as ``numpy.cumsum``. Both ways a
prefix sum at the end of a tie depends on how the sort ordered the tie only if the sums of a pool's
float32 sizes are inexact in float64, which needs a pool whose summed size passes 2**30 (the
default pools' are about 10**6). The logarithms, the sorts and the argsorts stay numpy's.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from alssim.counting import compiled_kernels, counting_method
from alssim.population import UNIT_TYPES, PopulationDraws

__all__ = ["KINDS", "SortedKeys", "compiled_passes", "key_bands", "key_space",
           "return_key_space", "sorted_keys"]

_BAND_HALF = 1000.0
_BAND = 2 * _BAND_HALF + 1.0
#: key kinds, in their order in a patient's key array
KINDS = ("death", "affected")

_spaces = threading.local()


def key_space(size: int) -> np.ndarray:
    """A float64 array of ``size`` elements for a batch's keys, its contents undefined (as
    :func:`numpy.empty`'s), lent until :func:`return_key_space`: the array this thread's last
    batch returned, when it is large enough and not lent, else a new one (kept for the next
    batch unless the kept one is lent).

    A batch's keys are one array of tens of megabytes; a new one of that size is mapped fresh
    from the operating system every time and its pages are zeroed on first touch, which costs
    as much as a tenth of the batch's engine time. The engine returns the array when its batch
    is done (:meth:`alssim.fates.FateEngine.release`), so successive batches of a worker reuse
    one; an array that is never returned is never reused.
    """
    kept = getattr(_spaces, "keys", None)
    lent = getattr(_spaces, "lent", False)
    if kept is not None and not lent and kept.size >= size:
        _spaces.lent = True
        return kept[:size]
    if lent:
        return np.empty(size)  # the kept array is in use: one of this batch's own
    _spaces.keys = np.empty(max(size, 1))
    _spaces.lent = True
    return _spaces.keys[:size]


def return_key_space(keys: np.ndarray) -> None:
    """Return an array :func:`key_space` lent (or a view of it), for this thread's next batch;
    nothing may read or write it afterwards. An array it did not lend is left alone."""
    kept = getattr(_spaces, "keys", None)
    if kept is not None and (keys is kept or keys.base is kept):
        _spaces.lent = False


def compiled_passes() -> tuple[Callable[..., Any], ...]:
    """``(band_keys, gather_prefix, unit_sums)`` (:mod:`alssim.numba_kernels`), compiled at their
    first call and cached on disk.

    ``band_keys(death, affected, log_vulnerability, half, death_centre, affected_centre)``:
    ``death`` and ``affected`` (float64, shape (k,)) hold the logarithms of the death and
    dysfunction thresholds; on return ``death = clip(death - log_vulnerability) + death_centre``
    and ``affected = clip(min(affected - log_vulnerability, death - log_vulnerability)) +
    affected_centre``, with ``clip`` to ``[-half, half]``.

    ``gather_prefix(key, order, size, unit_type, scratch, prefix_size, prefix_type,
    with_types)``: puts ``key`` (float64, (k,)) in the order ``order`` (int64, its argsort),
    writes the running sums of ``size`` (float32, (k,)) in that order into ``prefix_size``
    (float64, (k,)) and, with ``with_types``, the running counts of each unit type
    (``unit_type``, int8, (k,)) into the rows of ``prefix_type`` (int32, (3, k)); ``scratch``
    is float64 work space of shape (k,).

    ``unit_sums(counts, lmn, prefix_at, prefix_size, prefix_type, total_size, total_by_type,
    alive, dysfunctional, by_type)``: the motor-unit sums of a batch's LMN populations ``lmn``
    read from their prefix sums at the counts, written into ``alive``, ``dysfunctional`` and
    ``by_type`` (the arithmetic of :meth:`alssim.fates.ExactFates.unit_sums`).
    """
    compiled = compiled_kernels("the compiled key passes")
    return compiled.band_keys, compiled.gather_prefix, compiled.unit_sums


@dataclasses.dataclass(frozen=True)
class SortedKeys:
    """One patient's sorted keys and the prefix sums kept in their order (:func:`sorted_keys`).

    Two keys per neuron: its death key ``kd = log(death_threshold / v)`` and its *affected* key
    ``ka = min(kd, ky)`` with ``ky = log(dysfunction_threshold / v)`` (the neuron is affected,
    i.e. dysfunctional or dead, once either threshold is passed). Counting keys at or below
    ``log Lambda`` gives the dead and the affected; the dysfunctional (alive) are their difference,
    since a dead neuron is affected. One float64 array holds all death keys then all affected
    keys, each sorted within its population and shifted into its own band, so one
    ``searchsorted`` of ``2 * n_populations`` query points per step counts every population. For
    LMN pools, prefix sums of motor-unit sizes (and unit-type counts) are kept in each key order,
    so surviving and dysfunctional motor-unit sums are lookups.

    Attributes
    ----------
    keys : ndarray of float64, shape (2 * n_neurons,)
        Death keys, then affected keys, sorted within each population and shifted into its band.
    key_offsets : ndarray of int64, shape (2 * n_populations,)
        Index of the first key of each (kind, population), kinds first.
    prefix_start : ndarray of int64, shape (n_populations,)
        Where each LMN population's prefix sums start (its leading zero).
    prefix_size : ndarray of float64, shape (2, n_lmn_neurons + n_populations)
        Summed motor-unit sizes in death-key and in affected-key order.
    prefix_type : ndarray of int32, shape (3, n_lmn_neurons + n_populations)
        Units of each type (S, FR, FF) in death-key order.
    total_size : ndarray, shape (n_populations,)
        Summed motor-unit size of each healthy LMN pool (0 for UMN populations).
    total_by_type : ndarray, shape (3, n_populations)
        Units of each type in each healthy LMN pool.
    """

    keys: np.ndarray
    key_offsets: np.ndarray
    prefix_start: np.ndarray
    prefix_size: np.ndarray
    prefix_type: np.ndarray
    total_size: np.ndarray
    total_by_type: np.ndarray

    @property
    def nbytes(self) -> int:
        """Memory held by the sorted keys and prefix sums, in bytes."""
        return self.keys.nbytes + self.prefix_size.nbytes + self.prefix_type.nbytes


def key_bands(n_populations: int) -> np.ndarray:
    """Centre of the band of each (kind, population), shape (2, n_populations)."""
    return (np.arange(len(KINDS) * n_populations).reshape(len(KINDS), n_populations) * _BAND
            + _BAND_HALF)


def sorted_keys(counts: np.ndarray, lmn_mask: np.ndarray,
                draws: Iterable[PopulationDraws], out: np.ndarray | None = None,
                prefix_out: tuple[np.ndarray, np.ndarray] | None = None,
                method: str | None = None) -> SortedKeys:
    """Sort one patient's keys, one population at a time (see :class:`SortedKeys`).

    Parameters
    ----------
    counts : ndarray of int, shape (n_populations,)
        Neurons per population.
    lmn_mask : ndarray of bool, shape (n_populations,)
        Which populations are LMN pools (motor-unit sums are kept for those).
    draws : iterable of PopulationDraws
        Every population once, in population order (e.g.
        :func:`~alssim.population.iter_population_draws`), so no per-neuron attribute of the
        whole patient is held at once.
    out : ndarray of float64, shape (2 * n_neurons,), optional
        Where to write the keys (e.g. the patient's part of a batch's array); default a new
        array.
    prefix_out : (ndarray of float64, ndarray of int32), optional
        Where to write the prefix sums (:attr:`SortedKeys.prefix_size`, shape ``(2, m)``, and
        :attr:`SortedKeys.prefix_type`, shape ``(3, m)``, with ``m`` the LMN neurons plus the
        populations), e.g. the patient's columns of a batch's arrays; default new arrays.
    method : {"numpy", "numba"}, optional
        How (:func:`compiled_passes`; the same keys); default :func:`.counting_method`.
    """
    counts = np.asarray(counts, dtype=np.int64)
    n_pop = len(counts)
    n = int(counts.sum())
    n_kinds = len(KINDS)
    compiled = compiled_passes() if (method or counting_method()) == "numba" else None
    banded = compiled[0] if compiled else None
    lmn_mask = np.asarray(lmn_mask, dtype=bool)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    band = key_bands(n_pop)
    key_offsets = (start[None, :] + n * np.arange(n_kinds)[:, None]).ravel()
    keys = np.empty(n_kinds * n) if out is None else out
    if keys.shape != (n_kinds * n,) or keys.dtype != np.float64:
        raise ValueError(f"out must be float64 of shape ({n_kinds * n},)")
    lmn_total = int(counts[lmn_mask].sum())
    # prefix sums over LMN neurons in each key order, with one leading zero per population
    prefix_start = np.zeros(n_pop, dtype=np.int64)
    width = lmn_total + n_pop
    if prefix_out is None:
        prefix_size = np.zeros((n_kinds, width))
        prefix_type = np.zeros((len(UNIT_TYPES), width), dtype=np.int32)
    else:
        prefix_size, prefix_type = prefix_out
        if (prefix_size.shape != (n_kinds, width) or prefix_size.dtype != np.float64
                or prefix_type.shape != (len(UNIT_TYPES), width)
                or prefix_type.dtype != np.int32):
            raise ValueError(f"prefix_out must be float64 of shape ({n_kinds}, {width}) and "
                             f"int32 of shape ({len(UNIT_TYPES)}, {width})")
        prefix_size[:] = 0.0
        prefix_type[:] = 0
    total_size = np.zeros(n_pop)
    total_by_type = np.zeros((len(UNIT_TYPES), n_pop))
    pos = 0
    seen = 0
    for d in draws:
        p, k = d.index, int(counts[d.index])
        seen += 1
        lo = start[p]
        dest = [keys[j * n + lo : j * n + lo + k] for j in range(n_kinds)]
        # keys log(threshold / vulnerability) in float64; temporaries of this population only
        kd, ka = dest
        with np.errstate(divide="ignore"):
            log_v = np.log(d.vulnerability, dtype=np.float64)
            np.log(d.death_threshold, out=kd, dtype=np.float64)
            np.log(d.dysfunction_threshold, out=ka, dtype=np.float64)
        if banded is not None:  # clipped and shifted into the band in one pass (same keys)
            banded(kd, ka, log_v, _BAND_HALF, band[0, p], band[1, p])
        else:
            kd -= log_v
            ka -= log_v
            np.minimum(ka, kd, out=ka)
        del log_v
        if lmn_mask[p]:
            # LMN draws carry their motor units (alssim.population.PopulationDraws)
            assert d.unit_size is not None and d.unit_type is not None
            sl = slice(pos + 1, pos + k + 1)
            prefix_start[p] = pos
            pos += k + 1
            if compiled:
                scratch = np.empty(k)
                for j, key in enumerate(dest):
                    compiled[1](key, np.argsort(key), d.unit_size, d.unit_type, scratch,
                                prefix_size[j, sl], prefix_type[:, sl], j == 0)
                total_size[p] = d.unit_size.astype(np.float64).sum()  # as below
                if k:
                    total_by_type[:, p] = prefix_type[:, sl.stop - 1]  # counts: exact
                continue
            size = d.unit_size.astype(np.float64)
            for j, key in enumerate(dest):
                # tied keys are equal and sums of float32 sizes are exact in float64, so
                # neither the sorted keys nor a prefix sum at the end of a tie depends on
                # how the sort orders ties
                order = np.argsort(key)
                key[:] = key[order]
                np.cumsum(size[order], out=prefix_size[j, sl])
                if j == 0:
                    utype = d.unit_type[order]
                    for t in range(len(UNIT_TYPES)):
                        np.cumsum(utype == t, out=prefix_type[t, sl])
            total_size[p] = size.sum()
            total_by_type[:, p] = np.bincount(d.unit_type, minlength=len(UNIT_TYPES))
        else:
            kd.sort()
            ka.sort()
        for j, key in enumerate(dest if banded is None else ()):
            # clip to the band (inf keys: never, or at once) and shift into it; the keys
            # are sorted, so only their ends can need clipping
            key[: key.searchsorted(-_BAND_HALF, side="left")] = -_BAND_HALF
            key[key.searchsorted(_BAND_HALF, side="right") :] = _BAND_HALF
            key += band[j, p]
    if seen != n_pop:
        raise ValueError(f"draws gave {seen} populations; expected {n_pop}")
    return SortedKeys(keys, key_offsets, prefix_start, prefix_size, prefix_type, total_size,
                      total_by_type)
