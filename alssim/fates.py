"""Per-neuron fates: which neurons are dysfunctional or dead, given cumulative regional hazards.

Two implementations with one interface:

:class:`ExactFates`
    Because a neuron's hazard is (its vulnerability) x (its population's regional factor), neuron
    ``i`` of population ``p`` is dead at time ``t`` exactly when
    ``log(death_threshold_i / vulnerability_i) <= log Lambda_p(t)``. Those keys are computed and
    sorted once; "how many are dead now" is then a binary search, for every population at once in
    a single ``searchsorted`` over one merged array (population ``p``'s keys shifted into its own
    band ``[p * W, (p + 1) * W)``). Dysfunction uses the same clock with its own threshold: a
    second key per neuron, for "dysfunctional or dead", counts the affected. The cost of a step
    does not grow with the number of neurons (beyond ``log N``) and no random number is drawn
    after the thresholds.

:class:`ReferenceFates`
    The plain agent-based stepper it is tested and benchmarked against: every step, every living
    neuron draws Bernoulli trials with the probabilities its hazard gives over the step
    (``1 - exp(-v * lambda * dt)`` for death, ``1 - exp(-c * v * lambda * dt)`` for dysfunction).
    For the same regional hazards, both give the same distribution of fates.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from alssim.population import UNIT_TYPES, Population, PopulationDraws
from alssim.streams import stream

__all__ = ["ExactFates", "FateBatch", "ReferenceFates", "UnitSums"]

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


class ExactFates:
    """Exact fates by sorted thresholds and binary search (see module docstring).

    Two keys per neuron: its death key ``kd = log(death_threshold / v)`` and its *affected* key
    ``ka = min(kd, ky)`` with ``ky = log(dysfunction_threshold / v)`` (the neuron is affected,
    i.e. dysfunctional or dead, once either threshold is passed). Counting keys at or below
    ``log Lambda`` gives the dead and the affected; the dysfunctional (alive) are their difference,
    since a dead neuron is affected. One float64 array holds all death keys then all affected
    keys, each sorted within its population and shifted into its own band, so one
    ``searchsorted`` of ``2 * n_populations`` query points per step counts every population. For
    LMN pools, prefix sums of motor-unit sizes (and unit-type counts) are kept in each key order,
    so surviving and dysfunctional motor-unit sums are lookups.

    Parameters
    ----------
    pop : Population
        The patient's neurons. :meth:`from_draws` builds the same object from the neurons of one
        population at a time, without holding every neuron's attributes at once.
    lmn_mask : ndarray of bool, shape (n_populations,)
        Which populations are LMN pools (motor-unit sums are kept for those).
    """

    #: key kinds, in their order in the key array
    KINDS = ("death", "affected")

    def __init__(self, pop: Population, lmn_mask: np.ndarray):
        draws = (
            PopulationDraws(
                p,
                pop.vulnerability[pop.slice(p)],
                pop.unit_type[pop.slice(p)] if lmn_mask[p] else None,
                pop.unit_size[pop.slice(p)] if lmn_mask[p] else None,
                pop.death_threshold[pop.slice(p)],
                pop.dysfunction_threshold[pop.slice(p)],
            )
            for p in range(len(pop.counts))
        )
        self._build(pop.counts, lmn_mask, draws)

    @classmethod
    def from_draws(
        cls, counts: np.ndarray, lmn_mask: np.ndarray, draws: Iterable[PopulationDraws]
    ) -> ExactFates:
        """Build from the neurons of one population at a time.

        Parameters
        ----------
        counts : ndarray of int, shape (n_populations,)
            Neurons per population.
        lmn_mask : ndarray of bool, shape (n_populations,)
        draws : iterable of PopulationDraws
            Every population once, in population order (e.g.
            :func:`~alssim.population.iter_population_draws`).
        """
        self = cls.__new__(cls)
        self._build(counts, lmn_mask, draws)
        return self

    def _build(self, counts, lmn_mask, draws: Iterable[PopulationDraws]) -> None:
        counts = np.asarray(counts, dtype=np.int64)
        n_pop = len(counts)
        n = int(counts.sum())
        n_kinds = len(self.KINDS)
        self.n_populations = n_pop
        self.counts = counts
        self.lmn_mask = np.asarray(lmn_mask, dtype=bool)
        self.start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        #: band centre of (kind, population), shape (n_kinds, n_populations)
        self._band = np.arange(n_kinds * n_pop).reshape(n_kinds, n_pop) * _BAND + _BAND_HALF
        #: first index of (kind, population) in the key array, flattened
        self._start = (self.start[None, :] + n * np.arange(n_kinds)[:, None]).ravel()
        self._keys = np.empty(n_kinds * n)
        lmn_total = int(counts[self.lmn_mask].sum())
        # prefix sums over LMN neurons in each key order, with one leading zero per population
        self._pre_start = np.zeros(n_pop, dtype=np.int64)
        self._pre = np.zeros((n_kinds, lmn_total + n_pop))
        self._pre_type = np.zeros((len(UNIT_TYPES), lmn_total + n_pop), dtype=np.int32)
        self.total_size = np.zeros(n_pop)
        self.total_by_type = np.zeros((len(UNIT_TYPES), n_pop))
        pos = 0
        seen = 0
        for d in draws:
            p, k = d.index, int(counts[d.index])
            seen += 1
            lo = self.start[p]
            dest = [self._keys[j * n + lo : j * n + lo + k] for j in range(n_kinds)]
            # keys log(threshold / vulnerability) in float64; temporaries of this population only
            kd, ka = dest
            with np.errstate(divide="ignore"):
                log_v = np.log(d.vulnerability, dtype=np.float64)
                np.log(d.death_threshold, out=kd, dtype=np.float64)
                np.log(d.dysfunction_threshold, out=ka, dtype=np.float64)
            kd -= log_v
            ka -= log_v
            np.minimum(ka, kd, out=ka)
            del log_v
            if self.lmn_mask[p]:
                # LMN draws carry their motor units (alssim.population.PopulationDraws)
                assert d.unit_size is not None and d.unit_type is not None
                size = d.unit_size.astype(np.float64)
                sl = slice(pos + 1, pos + k + 1)
                self._pre_start[p] = pos
                for j, key in enumerate(dest):
                    # tied keys are equal and sums of float32 sizes are exact in float64, so
                    # neither the sorted keys nor a prefix sum at the end of a tie depends on
                    # how the sort orders ties
                    order = np.argsort(key)
                    key[:] = key[order]
                    np.cumsum(size[order], out=self._pre[j, sl])
                    if j == 0:
                        utype = d.unit_type[order]
                        for t in range(len(UNIT_TYPES)):
                            np.cumsum(utype == t, out=self._pre_type[t, sl])
                self.total_size[p] = size.sum()
                self.total_by_type[:, p] = np.bincount(d.unit_type, minlength=len(UNIT_TYPES))
                pos += k + 1
            else:
                kd.sort()
                ka.sort()
            for j, key in enumerate(dest):
                # clip to the band (inf keys: never, or at once) and shift into it; the keys
                # are sorted, so only their ends can need clipping
                key[: key.searchsorted(-_BAND_HALF, side="left")] = -_BAND_HALF
                key[key.searchsorted(_BAND_HALF, side="right") :] = _BAND_HALF
                key += self._band[j, p]
        if seen != n_pop:
            raise ValueError(f"draws gave {seen} populations; expected {n_pop}")
        self._counts = np.zeros((n_kinds, n_pop), dtype=np.int64)
        self._batch: FateBatch | None = None

    @property
    def nbytes(self) -> int:
        """Memory held by the sorted keys and prefix sums, in bytes."""
        return self._keys.nbytes + self._pre.nbytes + self._pre_type.nbytes

    def update(self, cumulative_hazard: np.ndarray, step_hazard=None, dt=None):
        """Counts after the cumulative regional hazard has reached ``cumulative_hazard``.

        Parameters
        ----------
        cumulative_hazard : ndarray, shape (n_populations,)
            ``Lambda_p`` at the end of the step (dimensionless); never decreasing from one call
            to the next.
        step_hazard, dt
            Unused here (the exact engine needs only ``Lambda``); part of the common interface.

        Returns
        -------
        ndarray of int64, shape (2, n_populations)
            Dead neurons, and neurons dysfunctional or dead (unpacks as ``dead, affected``; a new
            array at every call).
        """
        if self._batch is None:
            self._batch = FateBatch([self])
        found = self._batch.update(np.reshape(cumulative_hazard, (1, -1)))[0].copy()
        self._counts = found
        return found

    def dysfunctional(self) -> np.ndarray:
        """Dysfunctional (alive) neurons per population at the last update."""
        return self._counts[1] - self._counts[0]

    def unit_sums(self) -> UnitSums:
        """Motor-unit sums of LMN populations at the last update."""
        n_pop = self.n_populations
        alive = np.zeros(n_pop)
        dys = np.zeros(n_pop)
        by_type = np.zeros((len(UNIT_TYPES), n_pop))
        lmn = np.flatnonzero(self.lmn_mask)
        # positions in the prefix sums of the dead and of the affected of each LMN population
        at = self._pre_start[lmn] + self._counts[:, lmn]
        dead_size = self._pre[0, at[0]]
        alive[lmn] = self.total_size[lmn] - dead_size
        dys[lmn] = self._pre[1, at[1]] - dead_size
        by_type[:, lmn] = self.total_by_type[:, lmn] - self._pre_type[:, at[0]]
        return UnitSums(alive, dys, by_type)


class FateBatch:
    """The fates of several patients, updated together from their cumulative hazards.

    Parameters
    ----------
    members : sequence of ExactFates or ReferenceFates
        One per patient, all with the same number of populations. Row ``i`` of every array is
        patient ``i``.

    Notes
    -----
    For :class:`ExactFates` members the logarithms, clips and band shifts of every patient are
    one set of array operations and each patient's keys get one ``searchsorted``; the numbers are
    those of each patient alone, bit for bit. Other members are updated one by one.
    """

    def __init__(self, members):
        self.members = list(members)
        k = len(self.members)
        n_pop = self.members[0].n_populations
        self.n_patients, self.n_populations = k, n_pop
        self.exact = all(isinstance(m, ExactFates) for m in self.members)
        n_kinds = len(ExactFates.KINDS)
        self._counts = np.zeros((k, n_kinds, n_pop), dtype=np.int64)
        if not self.exact:
            return
        self._band = self.members[0]._band
        self._start = np.stack([m._start for m in self.members])  # (k, n_kinds * n_pop)
        self._keys = [m._keys for m in self.members]
        self._q = np.empty((k, n_kinds, n_pop))
        self._q_rows = [q.reshape(-1) for q in self._q]  # views: each patient's query points
        self._found = self._counts.reshape(k, n_kinds * n_pop)  # a view of _counts
        self._lq = np.full((k, n_pop), -_BAND_HALF - 0.5)  # clipped log Lambda, 0 at first
        self._q_high = np.full((k, n_pop), _BAND_HALF - 0.5)
        self._zero = np.zeros((k, n_pop))
        self._positive = np.zeros((k, n_pop), dtype=bool)
        self._log_finite = False

    def update(self, cumulative_hazard: np.ndarray, step_hazard=None, dt=None) -> np.ndarray:
        """Counts of every patient after its cumulative regional hazard has reached ``Lambda``.

        Parameters
        ----------
        cumulative_hazard : ndarray, shape (n_patients, n_populations)
            ``Lambda`` at the end of the step; never decreasing from one call to the next.
        step_hazard : ndarray, shape (n_patients, n_populations), optional
            Hazard factor over the step (1/month; used by :class:`ReferenceFates` only).
        dt : float, optional
            Step length (month; :class:`ReferenceFates` only).

        Returns
        -------
        ndarray of int64, shape (n_patients, 2, n_populations)
            Dead, and dysfunctional or dead, neurons of each patient (a buffer overwritten by the
            next call; each member's own counts are set too).
        """
        if not self.exact:
            for i, m in enumerate(self.members):
                self._counts[i] = m.update(cumulative_hazard[i],
                                           None if step_hazard is None else step_hazard[i], dt)
            return self._counts
        lq = self._lq
        if self._log_finite:
            np.log(cumulative_hazard, out=lq)
        else:
            # Until every population has had some hazard: where Lambda = 0, log Lambda = -inf,
            # clipped to the band's lower edge, which ``lq`` holds from the start (Lambda never
            # decreases, so an entry once positive stays positive).
            positive = self._positive
            np.greater(cumulative_hazard, self._zero, out=positive)
            np.log(cumulative_hazard, out=lq, where=positive)
            self._log_finite = bool(positive.all())
        # (a finite log, >= log(5e-324) = -744.4, is above the lower clip)
        np.minimum(lq, self._q_high, out=lq)
        np.add(lq[:, None, :], self._band, out=self._q)
        found = self._found
        for i, (keys, q) in enumerate(zip(self._keys, self._q_rows, strict=True)):
            found[i] = keys.searchsorted(q, side="right")
        found -= self._start
        return self._counts

    def sync(self) -> None:
        """Give each member its counts of the last update (before its per-patient queries)."""
        if self.exact:
            for m, c in zip(self.members, self._counts, strict=True):
                m._counts = c


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
        ndarray of int64, shape (2, n_populations)
            Dead neurons, and neurons dysfunctional or dead (unpacks as ``dead, affected``).
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
        return np.stack([dead, affected])

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
