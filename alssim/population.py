"""The neuron agents of one patient, as a struct of arrays.

Every upper and lower motor neuron is one entry of each array; its id is its index. Neurons are
stored population by population (``offsets[p]:offsets[p + 1]`` is population ``p``; see
:mod:`alssim.anatomy` for the population index). No per-neuron Python object exists.

Fate model
----------
Each neuron ``i`` carries two thresholds drawn once: ``death_threshold ~ Exp(1)`` and
``dysfunction_threshold ~ Exp(c)`` (``c`` = ``neurons.dysfunction_rate_ratio``). Its hazard is
``vulnerability[i] * lambda_p(t)``, with ``lambda_p`` the regional factor of its population. With
``Lambda_p(t)`` the cumulative regional hazard, the neuron is dysfunctional (hyperexcitable, alive)
once ``vulnerability * Lambda_p >= dysfunction_threshold`` and dead once
``vulnerability * Lambda_p >= death_threshold``: two independent exponential clocks on the same
time scale, so death is "one-hit" (Clarke 2000) and, for ``c > 1``, most neurons pass through
dysfunction first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np

from alssim.config.schema import Config
from alssim.streams import stream

__all__ = [
    "UNIT_TYPES",
    "Population",
    "PopulationDraws",
    "build_population",
    "iter_population_draws",
]

UNIT_TYPES = ("S", "FR", "FF")


@dataclasses.dataclass(frozen=True, eq=False)
class Population:
    """Per-neuron arrays of one patient (all of shape ``(n_neurons,)`` unless stated).

    Attributes
    ----------
    offsets : ndarray of int64, shape (n_populations + 1,)
        Population ``p`` is ``offsets[p]:offsets[p + 1]``.
    population : ndarray of int16
        Population index of each neuron.
    vulnerability : ndarray of float32
        Relative vulnerability (mean 1 within each population).
    unit_type : ndarray of int8
        Motor-unit type of an LMN, index into :data:`UNIT_TYPES`; -1 for UMNs.
    unit_size : ndarray of float32
        Motor-unit size of an LMN in units of the smallest unit of its pool (1 to
        ``neurons.unit_size_range``; proportional to muscle fibres); 0 for UMNs.
    death_threshold : ndarray of float32
        Exp(1) threshold on the neuron's cumulative hazard.
    dysfunction_threshold : ndarray of float32
        Exp(c) threshold; ``inf`` when ``c = 0`` (never dysfunctional).
    """

    offsets: np.ndarray
    population: np.ndarray
    vulnerability: np.ndarray
    unit_type: np.ndarray
    unit_size: np.ndarray
    death_threshold: np.ndarray
    dysfunction_threshold: np.ndarray

    @property
    def n_neurons(self) -> int:
        return int(self.offsets[-1])

    @property
    def counts(self) -> np.ndarray:
        """Neurons per population, shape (n_populations,)."""
        return np.diff(self.offsets)

    @property
    def nbytes(self) -> int:
        """Memory held by the per-neuron arrays, in bytes."""
        return sum(getattr(self, f.name).nbytes for f in dataclasses.fields(self))

    def slice(self, p: int) -> slice:
        """Index range of population ``p``."""
        return slice(int(self.offsets[p]), int(self.offsets[p + 1]))


@dataclasses.dataclass(frozen=True, eq=False)
class PopulationDraws:
    """The drawn attributes of the neurons of one population (arrays of shape ``(count,)``).

    Attributes
    ----------
    index : int
        Population index.
    vulnerability : ndarray of float32
    unit_type : ndarray of int8 or None
        Motor-unit type (LMN pools only).
    unit_size : ndarray of float32 or None
        Motor-unit size (LMN pools only).
    death_threshold : ndarray of float32
    dysfunction_threshold : ndarray of float32
    """

    index: int
    vulnerability: np.ndarray
    unit_type: np.ndarray | None
    unit_size: np.ndarray | None
    death_threshold: np.ndarray
    dysfunction_threshold: np.ndarray


def iter_population_draws(cfg: Config, root: np.random.SeedSequence) -> Iterator[PopulationDraws]:
    """Draw the neurons of one patient population by population.

    Each attribute of each population comes from its own stream (see :mod:`alssim.streams`), so the
    draws of one population do not depend on the size of another. Consumers that need only a
    summary of each population (such as :class:`~alssim.fates.ExactFates`) never hold every
    neuron's attributes at once.

    Parameters
    ----------
    cfg : Config
        Anatomy (counts), ``simulation.scale`` and ``neurons`` parameters.
    root : SeedSequence
        The patient's root sequence.

    Yields
    ------
    PopulationDraws
        One per population, in population order.
    """
    anat = cfg.anatomy
    nc = cfg.neurons
    counts = anat.counts(cfg.simulation.scale)
    lmn = anat.population_table()["compartment_index"] == 1
    sigma = nc.vulnerability_sigma
    type_fraction = np.array([nc.fraction_s, nc.fraction_fr, nc.fraction_ff])
    type_vuln = np.array([nc.vulnerability_s, nc.vulnerability_fr, nc.vulnerability_ff])
    mean_type_vuln = float(type_fraction @ type_vuln)
    # each unit type's factor on the vulnerability, type_vuln / mean (the same divisions as
    # dividing neuron by neuron)
    type_factor = type_vuln / mean_type_vuln if mean_type_vuln > 0 else None
    cut = [float(x) for x in np.cumsum(type_fraction)[:-1]]
    log_range = np.log(nc.unit_size_range)
    c = nc.dysfunction_rate_ratio

    for p, k in enumerate(counts):
        k = int(k)
        # lognormal with mean 1: log v ~ N(-sigma^2 / 2, sigma)
        v = stream(root, "vulnerability", p).normal(-0.5 * sigma**2, sigma, size=k)
        np.exp(v, out=v)
        unit_type = unit_size = None
        if lmn[p]:
            # Motor-unit pool (Fuglevand 1993): rank u ~ U(0, 1), size = range**u; the smallest
            # units are S, then FR, then FF (Henneman's size principle).
            u = stream(root, "motor_units", p).random(size=k)
            # the number of cut points at or below u (numpy.searchsorted(cut, u, "right")),
            # counted by comparisons: the cut has two points, a search per neuron is slower
            unit_type = np.zeros(k, dtype=np.int8)
            for point in cut:
                unit_type += u >= point
            u *= log_range
            unit_size = np.exp(u, out=u).astype(np.float32)
            if type_factor is not None:
                v *= type_factor[unit_type]
        death = stream(root, "death_threshold", p).standard_exponential(size=k, dtype=np.float32)
        if c > 0:
            dysfunction = stream(root, "dysfunction_threshold", p).standard_exponential(
                size=k, dtype=np.float32
            )
            dysfunction /= np.float32(c)
        else:
            dysfunction = np.full(k, np.inf, dtype=np.float32)
        yield PopulationDraws(p, v.astype(np.float32), unit_type, unit_size, death, dysfunction)


def build_population(cfg: Config, root: np.random.SeedSequence) -> Population:
    """Draw every neuron's attributes and thresholds for one patient.

    The arrays are those of :func:`iter_population_draws`, concatenated in population order.

    Parameters
    ----------
    cfg : Config
        Anatomy (counts), ``simulation.scale`` and ``neurons`` parameters.
    root : SeedSequence
        The patient's root sequence.
    """
    counts = cfg.anatomy.counts(cfg.simulation.scale)
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    n = int(offsets[-1])
    population = np.repeat(np.arange(len(counts), dtype=np.int16), counts)
    vulnerability = np.empty(n, dtype=np.float32)
    unit_type = np.full(n, -1, dtype=np.int8)
    unit_size = np.zeros(n, dtype=np.float32)
    death = np.empty(n, dtype=np.float32)
    dysfunction = np.empty(n, dtype=np.float32)
    for d in iter_population_draws(cfg, root):
        sl = slice(int(offsets[d.index]), int(offsets[d.index + 1]))
        vulnerability[sl] = d.vulnerability
        if d.unit_type is not None:
            unit_type[sl] = d.unit_type
            unit_size[sl] = d.unit_size
        death[sl] = d.death_threshold
        dysfunction[sl] = d.dysfunction_threshold
    return Population(offsets, population, vulnerability, unit_type, unit_size, death, dysfunction)
