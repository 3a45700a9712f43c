"""Per-neuron fates: which neurons are dysfunctional or dead, given cumulative regional hazards.

Two implementations with one interface:

:class:`ExactFates`
    Because a neuron's hazard is (its vulnerability) x (its population's regional factor), neuron
    ``i`` of population ``p`` is dead at time ``t`` exactly when
    ``log(death_threshold_i / vulnerability_i) <= log Lambda_p(t)``. Those keys are computed and
    sorted once; "how many are dead now" is then a binary search, for every population at once in
    a single ``searchsorted`` over one merged array (population ``p``'s keys shifted into its own
    band ``[p * W, (p + 1) * W)``). Dysfunction uses the same clock with its own keys. The cost of a
    step does not grow with the number of neurons (beyond ``log N``) and no random number is drawn
    after the thresholds.

:class:`ReferenceFates`
    The plain agent-based stepper it is tested and benchmarked against: every step, every living
    neuron draws Bernoulli trials with the probabilities its hazard gives over the step
    (``1 - exp(-v * lambda * dt)`` for death, ``1 - exp(-c * v * lambda * dt)`` for dysfunction).
    For the same regional hazards, both give the same distribution of fates.
"""

from __future__ import annotations

import numpy as np

from alssim.population import UNIT_TYPES, Population
from alssim.streams import stream

__all__ = ["ExactFates", "ReferenceFates", "UnitSums"]

_BAND_HALF = 1000.0
_BAND = 2 * _BAND_HALF + 1.0


class UnitSums:
    """Motor-unit sums of LMN populations at one time, each of shape (n_populations,).

    Attributes
    ----------
    alive_size : ndarray
        Summed size of surviving units (0 for UMN populations).
    dysfunctional_size : ndarray
        Summed size of dysfunctional (alive) units.
    alive_by_type : ndarray, shape (3, n_populations)
        Surviving units of each type (S, FR, FF).
    """

    def __init__(self, alive_size, dysfunctional_size, alive_by_type):
        self.alive_size = alive_size
        self.dysfunctional_size = dysfunctional_size
        self.alive_by_type = alive_by_type


def _log_keys(threshold: np.ndarray, vulnerability: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(threshold.astype(np.float64)) - np.log(vulnerability.astype(np.float64))


class ExactFates:
    """Exact fates by sorted thresholds and binary search (see module docstring).

    Parameters
    ----------
    pop : Population
        The patient's neurons.
    lmn_mask : ndarray of bool, shape (n_populations,)
        Which populations are LMN pools (motor-unit sums are kept for those).
    """

    def __init__(self, pop: Population, lmn_mask: np.ndarray):
        n_pop = len(pop.counts)
        self.n_populations = n_pop
        self.counts = pop.counts.astype(np.int64)
        self.start = pop.offsets[:-1]
        self.lmn_mask = np.asarray(lmn_mask, dtype=bool)
        band = np.arange(n_pop) * _BAND + _BAND_HALF
        self._band = band
        n = pop.n_neurons
        self._death = np.empty(n)
        self._dys = np.empty(n)
        self._both = np.empty(n)
        lmn_total = int(self.counts[self.lmn_mask].sum())
        # prefix sums over LMN neurons in each order, with one leading zero per population
        self._pre_start = np.zeros(n_pop, dtype=np.int64)
        self._pre_death = np.zeros(lmn_total + n_pop)
        self._pre_dys = np.zeros(lmn_total + n_pop)
        self._pre_both = np.zeros(lmn_total + n_pop)
        self._pre_type = np.zeros((len(UNIT_TYPES), lmn_total + n_pop), dtype=np.int32)
        self.total_size = np.zeros(n_pop)
        self.total_by_type = np.zeros((len(UNIT_TYPES), n_pop))
        pos = 0
        for p in range(n_pop):
            sl = pop.slice(p)
            v = pop.vulnerability[sl]
            kd = _log_keys(pop.death_threshold[sl], v)
            ky = _log_keys(pop.dysfunction_threshold[sl], v)
            km = np.maximum(kd, ky)
            if self.lmn_mask[p]:
                k = sl.stop - sl.start
                size = pop.unit_size[sl].astype(np.float64)
                utype = pop.unit_type[sl]
                self._pre_start[p] = pos
                for key, pre in ((kd, self._pre_death), (ky, self._pre_dys), (km, self._pre_both)):
                    order = np.argsort(key, kind="stable")
                    np.cumsum(size[order], out=pre[pos + 1 : pos + k + 1])
                    key[:] = key[order]
                    if pre is self._pre_death:
                        for t in range(len(UNIT_TYPES)):
                            np.cumsum(
                                utype[order] == t, out=self._pre_type[t, pos + 1 : pos + k + 1]
                            )
                self.total_size[p] = size.sum()
                self.total_by_type[:, p] = np.bincount(utype, minlength=len(UNIT_TYPES))
                pos += k + 1
            else:
                kd.sort()
                ky.sort()
                km.sort()
            for key, out in ((kd, self._death), (ky, self._dys), (km, self._both)):
                np.clip(key, -_BAND_HALF, _BAND_HALF, out=key)
                key += band[p]
                out[sl] = key
        self._dead = np.zeros(n_pop, dtype=np.int64)
        self._n_dys = np.zeros(n_pop, dtype=np.int64)
        self._n_both = np.zeros(n_pop, dtype=np.int64)

    @property
    def nbytes(self) -> int:
        """Memory held by the sorted keys and prefix sums, in bytes."""
        return sum(
            a.nbytes
            for a in (
                self._death,
                self._dys,
                self._both,
                self._pre_death,
                self._pre_dys,
                self._pre_both,
                self._pre_type,
            )
        )

    def update(self, cumulative_hazard: np.ndarray, step_hazard: np.ndarray, dt: float):
        """Counts after the cumulative regional hazard has reached ``cumulative_hazard``.

        Parameters
        ----------
        cumulative_hazard : ndarray, shape (n_populations,)
            ``Lambda_p`` at the end of the step (dimensionless).
        step_hazard, dt
            Unused here (the exact engine needs only ``Lambda``); part of the common interface.

        Returns
        -------
        dead, affected : ndarray of int64, shape (n_populations,)
            Dead neurons, and neurons dysfunctional or dead.
        """
        with np.errstate(divide="ignore"):
            q = np.log(cumulative_hazard)
        np.clip(q, -_BAND_HALF - 0.5, _BAND_HALF - 0.5, out=q)
        q += self._band
        self._dead = np.searchsorted(self._death, q, side="right") - self.start
        self._n_dys = np.searchsorted(self._dys, q, side="right") - self.start
        self._n_both = np.searchsorted(self._both, q, side="right") - self.start
        return self._dead, self._n_dys + self._dead - self._n_both

    def dysfunctional(self) -> np.ndarray:
        """Dysfunctional (alive) neurons per population at the last update."""
        return self._n_dys - self._n_both

    def unit_sums(self) -> UnitSums:
        """Motor-unit sums of LMN populations at the last update."""
        n_pop = self.n_populations
        alive = np.zeros(n_pop)
        dys = np.zeros(n_pop)
        by_type = np.zeros((len(UNIT_TYPES), n_pop))
        lmn = np.flatnonzero(self.lmn_mask)
        s = self._pre_start[lmn]
        alive[lmn] = self.total_size[lmn] - self._pre_death[s + self._dead[lmn]]
        dys[lmn] = self._pre_dys[s + self._n_dys[lmn]] - self._pre_both[s + self._n_both[lmn]]
        by_type[:, lmn] = self.total_by_type[:, lmn] - self._pre_type[:, s + self._dead[lmn]]
        return UnitSums(alive, dys, by_type)


class ReferenceFates:
    """Per-neuron, per-step Bernoulli stepper (vectorised over neurons; O(N) per step).

    Parameters
    ----------
    pop : Population
        The patient's neurons (vulnerabilities and motor units; thresholds are not used).
    lmn_mask : ndarray of bool, shape (n_populations,)
    root : SeedSequence
        The patient's root sequence; draws come from the ``"reference_stepper"`` stream.
    dysfunction_rate_ratio : float
        ``c``: dysfunction hazard relative to death hazard.
    """

    HEALTHY, DYSFUNCTIONAL, DEAD = 0, 1, 2

    def __init__(
        self,
        pop: Population,
        lmn_mask: np.ndarray,
        root: np.random.SeedSequence,
        dysfunction_rate_ratio: float,
    ):
        self.pop = pop
        self.n_populations = len(pop.counts)
        self.lmn_mask = np.asarray(lmn_mask, dtype=bool)
        self.state = np.zeros(pop.n_neurons, dtype=np.int8)
        self.rng = stream(root, "reference_stepper")
        self.c = dysfunction_rate_ratio
        self._vuln = pop.vulnerability.astype(np.float64)

    @property
    def nbytes(self) -> int:
        return self.state.nbytes + self._vuln.nbytes

    def _count(self, mask: np.ndarray, weights=None) -> np.ndarray:
        return np.bincount(
            self.pop.population[mask],
            weights=None if weights is None else weights[mask],
            minlength=self.n_populations,
        )

    def update(self, cumulative_hazard: np.ndarray, step_hazard: np.ndarray, dt: float):
        """Advance every living neuron over one step of regional hazard ``step_hazard`` (1/month).

        Returns
        -------
        dead, affected : ndarray of int64, shape (n_populations,)
        """
        h = self._vuln * step_hazard[self.pop.population] * dt
        alive = self.state != self.DEAD
        die = alive & (self.rng.random(h.size) < -np.expm1(-h))
        healthy = self.state == self.HEALTHY
        turn = healthy & (self.rng.random(h.size) < -np.expm1(-self.c * h))
        self.state[turn] = self.DYSFUNCTIONAL
        self.state[die] = self.DEAD
        dead = self._count(self.state == self.DEAD).astype(np.int64)
        affected = self._count(self.state != self.HEALTHY).astype(np.int64)
        return dead, affected

    def dysfunctional(self) -> np.ndarray:
        return self._count(self.state == self.DYSFUNCTIONAL).astype(np.int64)

    def unit_sums(self) -> UnitSums:
        size = self.pop.unit_size.astype(np.float64)
        alive = self.state != self.DEAD
        by_type = np.zeros((len(UNIT_TYPES), self.n_populations))
        for t in range(len(UNIT_TYPES)):
            by_type[t] = self._count(alive & (self.pop.unit_type == t))
        return UnitSums(
            self._count(alive, size), self._count(self.state == self.DYSFUNCTIONAL, size), by_type
        )
