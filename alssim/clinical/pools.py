"""The recorded state the clinical layer reads, reshaped to segment x side.

A :class:`~alssim.results.Result` stores each variable as ``(n_times, n_populations)`` in the
anatomy's population layout (:class:`~alssim.anatomy.Anatomy`); here the UMN and LMN halves
become arrays of shape ``(n_times, n_segments, 2)`` (side 0 = left, 1 = right).
"""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["PoolState", "pool_state", "split_populations"]


def split_populations(arr: np.ndarray, anatomy) -> tuple[np.ndarray, np.ndarray]:
    """Split a population array into its UMN and LMN parts.

    Parameters
    ----------
    arr : ndarray, shape (..., n_populations)
    anatomy : Anatomy
        Owner of the population layout (:meth:`~alssim.anatomy.Anatomy.population_grid`).

    Returns
    -------
    umn, lmn : ndarray, each shape (..., n_segments, 2)
    """
    r = anatomy.population_grid(arr)
    return r[..., 0, :, :], r[..., 1, :, :]


@dataclasses.dataclass(frozen=True)
class PoolState:
    """UMN and LMN pools of one patient by segment and side.

    Attributes
    ----------
    times_months : ndarray, shape (T,)
        Record times, months from biological onset.
    umn_count, lmn_count : ndarray, shape (S, 2)
        Neurons at onset.
    umn_alive, umn_dysfunctional, lmn_alive, lmn_dysfunctional : ndarray, shape (T, S, 2)
        Living and living-but-dysfunctional neurons.
    size_healthy : ndarray, shape (S, 2)
        Summed motor-unit size of the pool at onset (muscle fibres, in units of the smallest
        unit).
    size_alive, size_dysfunctional : ndarray, shape (T, S, 2)
        Summed size of surviving and of dysfunctional motor units.
    """

    times_months: np.ndarray
    umn_count: np.ndarray
    lmn_count: np.ndarray
    umn_alive: np.ndarray
    umn_dysfunctional: np.ndarray
    lmn_alive: np.ndarray
    lmn_dysfunctional: np.ndarray
    size_healthy: np.ndarray
    size_alive: np.ndarray
    size_dysfunctional: np.ndarray

    @property
    def umn_lost(self) -> np.ndarray:
        """Fraction of UMNs lost, shape (T, S, 2)."""
        return 1.0 - self.umn_alive / self.umn_count

    @property
    def umn_dysfunctional_fraction(self) -> np.ndarray:
        """Fraction of UMNs alive and dysfunctional, shape (T, S, 2)."""
        return self.umn_dysfunctional / self.umn_count

    @property
    def lmn_lost(self) -> np.ndarray:
        """Fraction of LMNs (motor units) lost, shape (T, S, 2)."""
        return 1.0 - self.lmn_alive / self.lmn_count


def pool_state(result) -> PoolState:
    """Extract the pools of a :class:`~alssim.results.Result`.

    Parameters
    ----------
    result : Result

    Returns
    -------
    PoolState
    """
    anat = result.anatomy
    umn_n, lmn_n = split_populations(result.counts.astype(float), anat)
    ua, la = split_populations(result["alive"].astype(float), anat)
    ud, ld = split_populations(result["dysfunctional"].astype(float), anat)
    _, size = split_populations(result["unit_size_alive"].astype(float), anat)
    _, size_d = split_populations(result["unit_size_dysfunctional"].astype(float), anat)
    # every unit is alive at the first record (biological onset)
    size0 = size[0] * lmn_n / np.maximum(la[0], 1.0)
    return PoolState(np.asarray(result.times_months, dtype=float), umn_n, lmn_n, ua, ud, la, ld,
                     size0, size, size_d)
