"""Body segments, sides, neuron populations and the graph pathology spreads along.

An :class:`Anatomy` is data read from TOML (``configs/anatomy/*.toml``): segments listed rostral to
caudal, each with its El Escorial and King's region, its neuron counts at ``scale = 1``, the
functions (ALSFRS-R items) it serves and representative muscles. From it come the neuron
*populations* — compartment (UMN, LMN) x segment x side — and the typed edges of the spread graph.

Population index convention
---------------------------
``index = (compartment * n_segments + segment) * 2 + side`` with ``compartment`` 0 = UMN, 1 = LMN
and ``side`` 0 = left, 1 = right. A UMN population is named by the body side it serves; its cell
bodies sit in the opposite hemisphere.

Modules: :mod:`~alssim.anatomy.names` (compartments, sides, regions, ALSFRS-R items, edge
kinds), :mod:`~alssim.anatomy.parts` (:class:`Muscle`, :class:`Segment`, :class:`SpreadEdges`),
:mod:`~alssim.anatomy.parse` (reading and checking the TOML tables) and
:mod:`~alssim.anatomy.body` (:class:`Anatomy`, the owner of the population layout).
"""

from __future__ import annotations

from alssim.anatomy.body import Anatomy
from alssim.anatomy.names import (
    ALSFRS_ITEMS,
    BREATHING_ITEMS,
    COMPARTMENTS,
    EDGE_KINDS,
    EL_ESCORIAL_REGIONS,
    KINGS_REGIONS,
    ONSET_SITES,
    SIDES,
)
from alssim.anatomy.parts import Muscle, Segment, SpreadEdges

__all__ = [
    "ALSFRS_ITEMS",
    "BREATHING_ITEMS",
    "COMPARTMENTS",
    "EDGE_KINDS",
    "EL_ESCORIAL_REGIONS",
    "KINGS_REGIONS",
    "ONSET_SITES",
    "SIDES",
    "Anatomy",
    "Muscle",
    "Segment",
    "SpreadEdges",
]
