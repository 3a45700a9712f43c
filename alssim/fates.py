"""Per-neuron fates: which neurons are dysfunctional or dead, given cumulative regional hazards.

A *fate engine* (:class:`FateEngine`) follows the neurons of a batch of patients through time: at
each step it takes every patient's cumulative regional hazard and returns how many neurons of each
population are dead and how many are affected (dysfunctional or dead); between steps it reports the
dysfunctional neurons and the motor-unit sums of the LMN pools. A single patient is a batch of one.
:data:`FATE_ENGINES` names the engines (``simulation.engine``), in the manner of
:data:`scipy.integrate._ivp.ivp.METHODS`:

:class:`ExactFates` (``"exact"``)
    Because a neuron's hazard is (its vulnerability) x (its population's regional factor), neuron
    ``i`` of population ``p`` is dead at time ``t`` exactly when
    ``log(death_threshold_i / vulnerability_i) <= log Lambda_p(t)``. Those keys are computed and
    sorted once (:func:`sorted_keys`); "how many are dead now" is then a binary search, for every
    population at once in a single ``searchsorted`` over one merged array (population ``p``'s keys
    shifted into its own band ``[p * W, (p + 1) * W)``). Dysfunction uses the same clock with its
    own threshold: a second key per neuron, for "dysfunctional or dead", counts the affected. The
    cost of a step does not grow with the number of neurons (beyond ``log N``) and no random
    number is drawn after the thresholds.

:class:`ReferenceFates` (``"reference"``)
    The plain agent-based stepper it is tested and benchmarked against: every step, every living
    neuron draws Bernoulli trials with the probabilities its hazard gives over the step
    (``1 - exp(-v * lambda * dt)`` for death, ``1 - exp(-c * v * lambda * dt)`` for dysfunction).
    For the same regional hazards, both give the same distribution of fates.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

import numpy as np

from alssim.config.schema import Config
from alssim.counting import (
    COUNTING_METHODS,
    counting_method,
    level_walker,
    segment_bounds,
)
from alssim.keys import (
    _BAND_HALF,
    KINDS,
    SortedKeys,
    compiled_passes,
    key_bands,
    key_space,
    return_key_space,
    sorted_keys,
)
from alssim.population import (
    UNIT_TYPES,
    Population,
    build_population,
    iter_population_draws,
)
from alssim.streams import stream

__all__ = ["FATE_ENGINES", "ExactFates", "FateEngine", "ReferenceFates", "SortedKeys",
           "UnitSums", "sorted_keys"]

class UnitSums:
    """Motor-unit sums of LMN populations at one time: of one patient, each of shape
    (n_populations,), or of a batch, with a leading patient axis (row ``i`` patient ``i``).

    Attributes
    ----------
    alive_size : ndarray, shape (n_populations,) or (n_patients, n_populations)
        Summed size of surviving units (0 for UMN populations).
    dysfunctional_size : ndarray, shape as ``alive_size``
        Summed size of dysfunctional (alive) units.
    alive_by_type : ndarray, shape (3, n_populations) or (n_patients, 3, n_populations)
        Surviving units of each type (S, FR, FF).
    """

    def __init__(self, alive_size, dysfunctional_size, alive_by_type):
        self.alive_size = alive_size
        self.dysfunctional_size = dysfunctional_size
        self.alive_by_type = alive_by_type


class FateEngine(abc.ABC):
    """The fates of the neurons of a batch of patients (row ``i`` of every array is patient ``i``).

    An engine is built for a batch by :meth:`for_patients`; the time loop then calls
    :meth:`update` once per step, with cumulative hazards that never decrease, and reads
    :meth:`dysfunctional` and :meth:`unit_sums` at the records. Each patient's numbers are those it
    gets alone, whatever batch it is in.
    """

    n_patients: int
    n_populations: int

    @classmethod
    @abc.abstractmethod
    def for_patients(cls, cfgs: Sequence[Config], roots: Sequence[np.random.SeedSequence],
                     counts: np.ndarray, lmn_mask: np.ndarray) -> FateEngine:
        """The engine of a batch: one config and root seed sequence per patient, the neurons
        per population ``counts`` (int, shape (n_populations,)) and which populations are LMN
        pools (``lmn_mask``, bool, same shape)."""

    @abc.abstractmethod
    def update(self, cumulative_hazard: np.ndarray, step_hazard: np.ndarray,
               dt: float) -> np.ndarray:
        """Advance to the end of a step.

        Parameters
        ----------
        cumulative_hazard : ndarray, shape (n_patients, n_populations)
            ``Lambda`` at the end of the step (dimensionless); never decreasing from one call
            to the next.
        step_hazard : ndarray, shape (n_patients, n_populations)
            Hazard factor over the step (1/month).
        dt : float
            Step length (month).

        Returns
        -------
        ndarray of int64, shape (n_patients, 2, n_populations)
            Dead, and dysfunctional or dead, neurons of each patient (a buffer overwritten by
            the next call).
        """

    @abc.abstractmethod
    def dysfunctional(self) -> np.ndarray:
        """Dysfunctional (alive) neurons at the last update, int64 shape (n_patients,
        n_populations)."""

    @abc.abstractmethod
    def unit_sums(self) -> UnitSums:
        """Motor-unit sums of the LMN populations of the batch at the last update (before the
        first: the healthy pools), arrays with a leading patient axis."""

    def release(self) -> None:
        """Hand back reusable work space when the batch is done (the engine calls it); the
        engine must not be used afterwards. Nothing to hand back by default."""
        return None

    @property
    @abc.abstractmethod
    def nbytes(self) -> int:
        """Memory the engine holds for its patients, in bytes."""


class ExactFates(FateEngine):
    """Exact fates by sorted thresholds and binary search (see the module docstring).

    Parameters
    ----------
    patients : sequence of SortedKeys
        One per patient (:func:`sorted_keys`), all with the same populations.
    lmn_mask : ndarray of bool, shape (n_populations,)
    method : {"numpy", "numba"}, optional
        How to count (:mod:`alssim.counting`); default :func:`~alssim.counting.counting_method`.

    Notes
    -----
    The logarithms, clips and band shifts of every patient are one set of array operations; the
    counts then come from :mod:`alssim.counting`: each patient's keys get one
    ``searchsorted``, or one compiled pointer walk moves every count of the batch forward. The
    numbers are those of each patient alone, bit for bit, either way.
    """

    def __init__(self, patients: Sequence[SortedKeys], lmn_mask: np.ndarray,
                 method: str | None = None):
        self.patients = list(patients)
        self.method = counting_method() if method is None else method
        if self.method not in COUNTING_METHODS:
            raise ValueError(f"method must be one of {COUNTING_METHODS}; got {self.method!r}")
        self.lmn_mask = np.asarray(lmn_mask, dtype=bool)
        k = len(self.patients)
        n_pop = len(self.lmn_mask)
        n_kinds = len(KINDS)
        self.n_patients, self.n_populations = k, n_pop
        self._band = key_bands(n_pop)
        self._counts = np.zeros((k, n_kinds, n_pop), dtype=np.int64)
        self._start = np.stack([p.key_offsets for p in self.patients])  # (k, n_kinds * n_pop)
        self._keys = [p.keys for p in self.patients]
        self._q = np.empty((k, n_kinds, n_pop))
        self._q_rows = [q.reshape(-1) for q in self._q]  # views: each patient's query points
        self._found = self._counts.reshape(k, n_kinds * n_pop)  # a view of _counts
        self._lq = np.full((k, n_pop), -_BAND_HALF - 0.5)  # clipped log Lambda, 0 at first
        self._q_high = np.full((k, n_pop), _BAND_HALF - 0.5)
        self._zero = np.zeros((k, n_pop))
        self._positive = np.zeros((k, n_pop), dtype=bool)
        self._log_finite = False
        # motor-unit prefix sums of the batch: patient i's columns i * m .. (i + 1) * m
        self._prefix_size = _side_by_side([p.prefix_size for p in self.patients])
        self._prefix_type = _side_by_side([p.prefix_type for p in self.patients])
        self._lmn = np.flatnonzero(self.lmn_mask)
        width = self.patients[0].prefix_size.shape[1] if k else 0
        self._prefix_at = (np.arange(k, dtype=np.int64)[:, None] * width
                           + np.array([p.prefix_start[self._lmn] for p in self.patients],
                                      dtype=np.int64).reshape(k, -1))
        self._total_size = np.array([p.total_size for p in self.patients]).reshape(k, n_pop)
        self._total_by_type = np.array([p.total_by_type for p in self.patients]).reshape(
            k, len(UNIT_TYPES), n_pop)
        if self.method == "numba":
            self._walk_setup()

    def _walk_setup(self) -> None:
        """One array of every patient's keys (the batch's own when :meth:`for_patients` built
        them there, else a copy), and each (patient, kind, population) segment's bounds and
        pointer in it, for :func:`alssim.counting.walk_level_counts`."""
        self._walk = level_walker()
        sizes = np.array([p.keys.size for p in self.patients], dtype=np.int64)
        first = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self._all_keys = _side_by_side(self._keys)
        starts = self._start + first[:, None]
        ends = np.empty_like(starts)
        ends[:, :-1] = starts[:, 1:]
        ends[:, -1] = first + sizes
        self._seg_start = np.ascontiguousarray(starts).reshape(-1)
        self._seg_end = np.ascontiguousarray(ends).reshape(-1)
        self._pointer = self._seg_start.copy()
        self._bounds = segment_bounds(self._all_keys, self._pointer, self._seg_start,
                                      self._seg_end)
        self._walk_args = (self._all_keys, self._lq, _BAND_HALF - 0.5, self._band,
                           self._pointer, self._seg_start, self._seg_end, self._counts,
                           self._bounds)

    @classmethod
    def for_patients(cls, cfgs: Sequence[Config], roots: Sequence[np.random.SeedSequence],
                     counts: np.ndarray, lmn_mask: np.ndarray) -> ExactFates:
        # keys are built population by population, into one array of the batch: no per-neuron
        # arrays outlive this call
        per_patient = len(KINDS) * int(np.sum(counts))
        keys = key_space(len(cfgs) * per_patient)
        width = int(np.sum(np.asarray(counts)[np.asarray(lmn_mask, dtype=bool)])) + len(counts)
        prefix_size = np.empty((len(KINDS), len(cfgs) * width))
        prefix_type = np.empty((len(UNIT_TYPES), len(cfgs) * width), dtype=np.int32)
        columns = [slice(i * width, (i + 1) * width) for i in range(len(cfgs))]
        return cls([sorted_keys(counts, lmn_mask, iter_population_draws(cfg, root),
                                out=keys[i * per_patient:(i + 1) * per_patient],
                                prefix_out=(prefix_size[:, columns[i]],
                                            prefix_type[:, columns[i]]))
                    for i, (cfg, root) in enumerate(zip(cfgs, roots, strict=True))], lmn_mask)

    @property
    def nbytes(self) -> int:
        return sum(p.nbytes for p in self.patients)

    def update(self, cumulative_hazard: np.ndarray, step_hazard: np.ndarray | None = None,
               dt: float | None = None) -> np.ndarray:
        """Counts of every patient once its cumulative hazard has reached ``Lambda`` (the step
        hazard and ``dt`` are not needed: see :meth:`FateEngine.update`)."""
        self.log_levels(cumulative_hazard)
        lq = self._lq
        if self.method == "numba":
            # the clip, the band shift and the walk in one compiled call
            # (alssim.counting.walk_level_counts, its compiled kernel called directly)
            self._walk(*self._walk_args)
            return self._counts
        np.minimum(lq, self._q_high, out=lq)
        np.add(lq[:, None, :], self._band, out=self._q)
        found = self._found
        for i, (keys, q) in enumerate(zip(self._keys, self._q_rows, strict=True)):
            found[i] = keys.searchsorted(q, side="right")
        found -= self._start
        return self._counts

    def log_levels(self, cumulative_hazard: np.ndarray) -> None:
        """Write ``log Lambda`` of every patient and population into the levels the counting
        reads, from ``cumulative_hazard`` (float64, (n_patients, n_populations)): the first half
        of :meth:`update` (:class:`alssim.step_kernels.CompiledStep` calls it, then walks)."""
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

    def walk_args(self) -> tuple:
        """Arguments of the compiled walk (:func:`.level_walker`) of this batch; numba only."""
        if self.method != "numba":
            raise ValueError("walk_args needs the numba counting method")
        return self._walk_args

    def dysfunctional(self) -> np.ndarray:
        return self._counts[:, 1] - self._counts[:, 0]

    def release(self) -> None:
        """Return the batch's key array to this thread's key space (:func:`.key_space`) for
        the next batch; the keys may be overwritten from then on."""
        return_key_space(self._keys[0] if self._keys else np.zeros(0))

    def unit_sums(self) -> UnitSums:
        k, lmn = self.n_patients, self._lmn
        counts = self._counts
        alive = np.zeros((k, self.n_populations))
        dys = np.zeros_like(alive)
        by_type = np.zeros((k, len(UNIT_TYPES), self.n_populations))
        if self.method == "numba":  # the same arithmetic, compiled (alssim.keys)
            compiled_passes()[2](counts, lmn, self._prefix_at, self._prefix_size,
                                 self._prefix_type, self._total_size, self._total_by_type,
                                 alive, dys, by_type)
            return UnitSums(alive, dys, by_type)
        # positions in the prefix sums of the dead and of the affected of each LMN population
        at_dead = self._prefix_at + counts[:, 0, lmn]
        dead_size = self._prefix_size[0, at_dead]
        alive[:, lmn] = self._total_size[:, lmn] - dead_size
        dys[:, lmn] = self._prefix_size[1, self._prefix_at + counts[:, 1, lmn]] - dead_size
        by_type[:, :, lmn] = (self._total_by_type[:, :, lmn]
                              - self._prefix_type[:, at_dead].transpose(1, 0, 2))
        return UnitSums(alive, dys, by_type)


def _side_by_side(blocks: Sequence[np.ndarray]) -> np.ndarray:
    """The arrays ``blocks`` joined along their last axis: their common base when they are its
    consecutive blocks (as :meth:`ExactFates.for_patients` writes them; no copy), else a copy."""
    if not blocks:
        return np.zeros((0, 0))
    first = blocks[0]
    base = first.base
    width = first.shape[-1]
    if (isinstance(base, np.ndarray) and base.dtype == first.dtype
            and base.shape == (*first.shape[:-1], width * len(blocks))
            and all(b.base is base and b.shape == first.shape and b.strides == base.strides
                    and b.ctypes.data == base.ctypes.data + i * width * base.itemsize
                    for i, b in enumerate(blocks))):
        return base
    if (first.ndim == 1 and isinstance(base, np.ndarray) and base.ndim == 1
            and base.dtype == first.dtype and base.flags.c_contiguous
            and all(b.base is base and b.shape == first.shape and b.flags.c_contiguous
                    and b.ctypes.data == first.ctypes.data + i * width * base.itemsize
                    for i, b in enumerate(blocks))):
        # consecutive blocks of a larger array (alssim.keys.key_space): their span of it
        at = (first.ctypes.data - base.ctypes.data) // base.itemsize
        return base[at:at + width * len(blocks)]
    return np.concatenate(blocks, axis=-1)


class _NeuronStepper:
    """One patient's per-neuron, per-step Bernoulli stepper (vectorised over neurons; O(N) per
    step).

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

    def update(self, step_hazard: np.ndarray, dt: float) -> np.ndarray:
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


class ReferenceFates(FateEngine):
    """The per-neuron Bernoulli stepper (see the module docstring), one patient after another.

    Parameters
    ----------
    steppers : sequence of _NeuronStepper
        One per patient.
    """

    def __init__(self, steppers: Sequence[_NeuronStepper]):
        self.steppers = list(steppers)
        self.n_patients = len(self.steppers)
        self.n_populations = self.steppers[0].n_populations
        self._counts = np.zeros((self.n_patients, len(KINDS), self.n_populations),
                                dtype=np.int64)

    @classmethod
    def for_patients(cls, cfgs: Sequence[Config], roots: Sequence[np.random.SeedSequence],
                     counts: np.ndarray, lmn_mask: np.ndarray) -> ReferenceFates:
        return cls([_NeuronStepper(build_population(cfg, root), lmn_mask, root,
                                   cfg.neurons.dysfunction_rate_ratio)
                    for cfg, root in zip(cfgs, roots, strict=True)])

    @property
    def nbytes(self) -> int:
        return sum(s.nbytes for s in self.steppers)

    def update(self, cumulative_hazard: np.ndarray, step_hazard: np.ndarray,
               dt: float) -> np.ndarray:
        for i, s in enumerate(self.steppers):
            self._counts[i] = s.update(step_hazard[i], dt)
        return self._counts

    def dysfunctional(self) -> np.ndarray:
        return np.stack([s.dysfunctional() for s in self.steppers])

    def unit_sums(self) -> UnitSums:
        sums = [s.unit_sums() for s in self.steppers]
        return UnitSums(np.stack([u.alive_size for u in sums]),
                        np.stack([u.dysfunctional_size for u in sums]),
                        np.stack([u.alive_by_type for u in sums]))


#: The fate engines by the name ``simulation.engine`` gives them.
FATE_ENGINES: dict[str, type[FateEngine]] = {"exact": ExactFates, "reference": ReferenceFates}
