"""The parts of an anatomy: a muscle, a segment (its motor-neuron counts, clinical regions,
functions and muscles) and the spread edges between segments."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from alssim.anatomy.names import BREATHING_ITEMS

__all__ = ["Muscle", "Segment", "SpreadEdges"]


@dataclasses.dataclass(frozen=True)
class Muscle:
    """A muscle served by a segment: its healthy motor-unit count and its vulnerability.

    Attributes
    ----------
    name : str
    motor_units : int
        Healthy motor-unit count (for MUNE).
    vulnerability : float
        Loss exponent ``e`` of the muscle's part of its segment's pool: a surviving fraction
        ``f`` of the segment's motor units (and of their fibres) leaves ``f ** e`` of the
        muscle's (``e > 1``: lost before the segment as a whole, as the thenar muscles in the
        split hand; see :mod:`alssim.clinical.strength`). Default 1.
    """

    name: str
    motor_units: int
    vulnerability: float = 1.0


@dataclasses.dataclass(frozen=True)
class Segment:
    """One body segment (on each side).

    Attributes
    ----------
    name : str
        Identifier, e.g. ``"cervical_lower"``.
    levels : str
        Spinal or brainstem levels it spans (text).
    el_escorial_region, kings_region, onset_site : str
        Region of the revised El Escorial criteria, of King's staging, and the onset-site category
        of the epidemiological literature.
    onset_weight : float
        Relative chance, within its onset site, that onset falls in this segment.
    lmn_onset_weight : float or None
        The same chance for an onset in the LMN compartment (LMN-predominant onset); ``None``
        means :attr:`onset_weight`.
    spread_susceptibility : float
        Multiplier on the rate of every spread edge that reaches this segment from another one
        (``caudal``, ``rostral``, ``cortical_neighbour``, ``long_range``), in UMN and LMN alike;
        edges within the segment (contralateral, callosal, anterograde, retrograde) and edges
        leaving it keep their rates. Below 1 the segment resists spread from elsewhere while
        disease that starts in it spreads as usual.
    lmn_count : int
        Lower motor neurons per side at ``scale = 1``.
    umn_count : int
        Upper motor neurons serving this segment, per side, at ``scale = 1``.
    functions : dict of str to float
        ALSFRS-R items this segment serves, with the share of the item it carries.
    muscles : tuple of Muscle
        Representative muscles for motor-unit number estimation.
    """

    name: str
    levels: str
    el_escorial_region: str
    kings_region: str
    onset_site: str
    onset_weight: float
    lmn_count: int
    umn_count: int
    functions: Mapping[str, float]
    muscles: tuple[Muscle, ...]
    lmn_onset_weight: float | None = None
    spread_susceptibility: float = 1.0

    def onset_weight_for(self, compartment: str) -> float:
        """Relative chance of onset in this segment, within its site, for an onset in
        ``compartment`` (``"both"``, ``"lmn"`` or ``"umn"``)."""
        if compartment == "lmn" and self.lmn_onset_weight is not None:
            return self.lmn_onset_weight
        return self.onset_weight

    @property
    def serves_breathing_only(self) -> bool:
        """The segment serves breathing and nothing else (the phrenic nucleus: the diaphragm):
        its muscles have no tone or reflexes to examine and are silent until breathing
        symptoms appear."""
        return bool(self.functions) and set(self.functions) <= set(BREATHING_ITEMS)


@dataclasses.dataclass(frozen=True)
class SpreadEdges:
    """Directed edges of the spread graph between populations.

    Attributes
    ----------
    source, target : ndarray of int, shape (n_edges,)
        Population indices.
    kind : ndarray of int, shape (n_edges,)
        Index into :data:`EDGE_KINDS`.
    weight : ndarray of float, shape (n_edges,), optional
        Multiplier on the rate of the edge's kind: 1 for every edge except ``long_range`` edges
        of a pair declared with a relative strength (see :attr:`Anatomy.long_range_weights`),
        ``caudal``/``rostral`` edges across a declared junction (see
        :attr:`Anatomy.junctions`), and edges into a segment of
        :attr:`Segment.spread_susceptibility` other than 1 (times that). ``None`` means all
        ones.
    """

    source: np.ndarray
    target: np.ndarray
    kind: np.ndarray
    weight: np.ndarray | None = None

    def weights(self) -> np.ndarray:
        """The rate multiplier of every edge, shape (n_edges,) (ones when none were given)."""
        if self.weight is None:
            return np.ones(len(self.source))
        return np.asarray(self.weight, dtype=float)
