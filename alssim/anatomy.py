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
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from alssim.errors import ConfigError
from alssim.fields import ParamSpec, _check_value, nearest_key

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

COMPARTMENTS = ("umn", "lmn")
SIDES = ("left", "right")
EL_ESCORIAL_REGIONS = ("bulbar", "cervical", "thoracic", "lumbosacral")
KINGS_REGIONS = ("bulbar", "upper_limb", "lower_limb", "respiratory")
ONSET_SITES = ("bulbar", "upper_limb", "lower_limb", "respiratory")
ALSFRS_ITEMS = (
    "speech",
    "salivation",
    "swallowing",
    "handwriting",
    "cutting_food",
    "dressing_hygiene",
    "turning_in_bed",
    "walking",
    "climbing_stairs",
    "dyspnoea",
    "orthopnoea",
    "respiratory_insufficiency",
)
#: ALSFRS-R items of breathing (the respiratory domain).
BREATHING_ITEMS = ("dyspnoea", "orthopnoea", "respiratory_insufficiency")
EDGE_KINDS = (
    "contralateral",
    "caudal",
    "rostral",
    "anterograde",
    "retrograde",
    "cortical_neighbour",
    "callosal",
    "long_range",
)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


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


_SEGMENT_SPECS: dict[str, tuple[Any, ParamSpec]] = {
    "name": (str, ParamSpec("", "segment identifier")),
    "levels": (str, ParamSpec("", "levels spanned")),
    "el_escorial_region": (str, ParamSpec("", "El Escorial region", choices=EL_ESCORIAL_REGIONS)),
    "kings_region": (str, ParamSpec("", "King's staging region", choices=KINGS_REGIONS)),
    "onset_site": (str, ParamSpec("", "onset-site category", choices=ONSET_SITES)),
    "onset_weight": (float, ParamSpec("1", "relative onset chance in its site", low=0.0)),
    "lmn_count": (int, ParamSpec("neurons", "LMNs per side at scale 1", low=1, high=10**8)),
    "umn_count": (int, ParamSpec("neurons", "UMNs per side at scale 1", low=1, high=10**8)),
}


@dataclasses.dataclass(frozen=True)
class Anatomy:
    """Segments (rostral to caudal) on two sides, and the somatotopic order of their UMNs.

    Attributes
    ----------
    name : str
        Name of the anatomy (e.g. ``"default"``).
    description : str
        What it represents.
    segments : tuple of Segment
        Rostral to caudal.
    cortical_order : tuple of str
        Segment names in the motor cortex from medial to lateral (leg ... face); neighbours in this
        order are cortical neighbours.
    long_range : tuple of (str, str)
        Directed pairs ``(source, target)`` of segments joined by a non-contiguous ``long_range``
        spread edge (hypothesis; see :meth:`spread_edges`). Empty when the anatomy declares none.
    long_range_weights : tuple of float
        Relative strength of each pair of :attr:`long_range` (same order): its edges spread at
        ``weight * spread.long_range_rate``. Empty means 1 for every pair; a pair declared as
        ``[source, target]`` has weight 1, as ``[source, target, weight]`` the weight given.
    junctions : tuple of (str, str, float)
        ``(rostral, caudal, weight)`` for pairs of segments adjacent in :attr:`segments`: the
        ``caudal`` and ``rostral`` LMN edges between the two (both directions, both sides) spread
        at ``weight`` times their rates. Adjacent pairs not listed have weight 1. Empty when the
        anatomy declares none.
    """

    name: str
    description: str
    segments: tuple[Segment, ...]
    cortical_order: tuple[str, ...]
    long_range: tuple[tuple[str, str], ...] = ()
    long_range_weights: tuple[float, ...] = ()
    junctions: tuple[tuple[str, str, float], ...] = ()

    def __post_init__(self) -> None:
        if self.long_range_weights and len(self.long_range_weights) != len(self.long_range):
            raise ValueError(
                f"long_range_weights has {len(self.long_range_weights)} values for "
                f"{len(self.long_range)} long_range pairs")

    def long_range_weight(self, i: int) -> float:
        """Relative strength of the ``i``-th :attr:`long_range` pair (1 unless declared)."""
        return float(self.long_range_weights[i]) if self.long_range_weights else 1.0

    def junction_weight(self, a: str, b: str) -> float:
        """Relative strength of the LMN edges between adjacent segments ``a`` and ``b`` (1 unless
        declared in :attr:`junctions`)."""
        for x, y, w in self.junctions:
            if {x, y} == {a, b}:
                return float(w)
        return 1.0

    # ------------------------------------------------------------------ parsing
    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, prefix: str = "anatomy", source: str | None = None
    ):
        """Validate a parsed anatomy table and build an :class:`Anatomy`.

        Raises
        ------
        ConfigError
            Naming the full key path (``anatomy.segments[2].lmn_count``) of the first problem.
        """
        if not isinstance(data, Mapping):
            raise ConfigError(f"must be a table; got {data!r}", key=prefix, source=source)
        allowed = ("name", "description", "segments", "cortical_order", "long_range",
                   "junctions")
        optional = ("long_range", "junctions")
        for k in data:
            if k not in allowed:
                hint = nearest_key(k, allowed)
                msg = (
                    f"unknown key; did you mean '{prefix}.{hint}'?"
                    if hint
                    else ("unknown key; valid keys here are " + ", ".join(allowed))
                )
                raise ConfigError(msg, key=f"{prefix}.{k}", source=source)
        for k in allowed:
            if k not in data and k not in optional:
                raise ConfigError("missing required key", key=f"{prefix}.{k}", source=source)
        name = _check_value(str, ParamSpec("", ""), data["name"], f"{prefix}.name", source)
        desc = _check_value(
            str, ParamSpec("", ""), data["description"], f"{prefix}.description", source
        )
        raw_segments = data["segments"]
        if not isinstance(raw_segments, list) or len(raw_segments) < 2:
            raise ConfigError(
                "must be a list of at least two segment tables",
                key=f"{prefix}.segments",
                source=source,
            )
        segments = tuple(
            _parse_segment(s, f"{prefix}.segments[{i}]", source) for i, s in enumerate(raw_segments)
        )
        names = [s.name for s in segments]
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise ConfigError(
                f"segment names must be unique; {dup!r} appears twice",
                key=f"{prefix}.segments",
                source=source,
            )
        order = _check_value(
            tuple[str, ...],
            ParamSpec("", "", choices=tuple(names)),
            data["cortical_order"],
            f"{prefix}.cortical_order",
            source,
        )
        if sorted(order) != sorted(names):
            raise ConfigError(
                f"must list every segment exactly once; got {list(order)!r}, "
                f"segments are {names!r}",
                key=f"{prefix}.cortical_order",
                source=source,
            )
        long_range, weights = _parse_long_range(
            data.get("long_range", []), tuple(names), tuple(order), f"{prefix}.long_range", source
        )
        if all(w == 1.0 for w in weights):
            weights = ()
        junctions = _parse_junctions(
            data.get("junctions", []), tuple(names), f"{prefix}.junctions", source
        )
        return cls(name, desc, segments, tuple(order), long_range, weights, junctions)

    def to_dict(self) -> dict[str, Any]:
        """Plain, TOML-ready ``dict`` of this anatomy."""
        segs = []
        for s in self.segments:
            d = {k: getattr(s, k) for k in _SEGMENT_SPECS}
            if s.lmn_onset_weight is not None:
                d["lmn_onset_weight"] = s.lmn_onset_weight
            if s.spread_susceptibility != 1.0:
                d["spread_susceptibility"] = s.spread_susceptibility
            d["functions"] = dict(s.functions)
            d["muscles"] = [{"name": m.name, "motor_units": m.motor_units,
                             **({"vulnerability": m.vulnerability} if m.vulnerability != 1.0
                                else {})} for m in s.muscles]
            segs.append(d)
        return {
            "name": self.name,
            "description": self.description,
            "segments": segs,
            "cortical_order": list(self.cortical_order),
            "long_range": [
                [*pair, self.long_range_weight(i)] if self.long_range_weight(i) != 1.0
                else list(pair)
                for i, pair in enumerate(self.long_range)
            ],
            "junctions": [list(j) for j in self.junctions],
        }

    # ------------------------------------------------------------------ structure
    @property
    def segment_names(self) -> tuple[str, ...]:
        """Segment names, rostral to caudal."""
        return tuple(s.name for s in self.segments)

    @property
    def n_segments(self) -> int:
        return len(self.segments)

    @property
    def n_populations(self) -> int:
        """Number of neuron populations: 2 compartments x segments x 2 sides."""
        return 4 * self.n_segments

    def segment_index(self, name: str) -> int:
        """Index of a segment by name."""
        return self.segment_names.index(name)

    def population_index(self, compartment: str, segment: str, side: str) -> int:
        """Index of the population ``compartment`` x ``segment`` x ``side``."""
        c = COMPARTMENTS.index(compartment)
        s = self.segment_index(segment)
        return (c * self.n_segments + s) * 2 + SIDES.index(side)

    def population_table(self) -> dict[str, np.ndarray]:
        """Labels of every population, in index order.

        Returns
        -------
        dict
            ``compartment``, ``segment``, ``side`` (arrays of str, shape (n_populations,)) and
            ``compartment_index``, ``segment_index``, ``side_index`` (arrays of int).
        """
        p = np.arange(self.n_populations)
        side_i = p % 2
        seg_i = (p // 2) % self.n_segments
        comp_i = p // (2 * self.n_segments)
        return {
            "compartment": np.array(COMPARTMENTS)[comp_i],
            "segment": np.array(self.segment_names)[seg_i],
            "side": np.array(SIDES)[side_i],
            "compartment_index": comp_i,
            "segment_index": seg_i,
            "side_index": side_i,
        }

    def population_labels(self) -> list[str]:
        """Short labels ``'lmn:cervical_lower:right'`` in index order."""
        t = self.population_table()
        return [
            f"{c}:{s}:{d}"
            for c, s, d in zip(t["compartment"], t["segment"], t["side"], strict=True)
        ]

    def counts(self, scale: float) -> np.ndarray:
        """Neurons per population at ``scale`` (at least one each).

        Returns
        -------
        ndarray of int64, shape (n_populations,)
        """
        t = self.population_table()
        base = np.where(
            t["compartment_index"] == 0,
            np.array([s.umn_count for s in self.segments])[t["segment_index"]],
            np.array([s.lmn_count for s in self.segments])[t["segment_index"]],
        )
        return np.maximum(1, np.rint(base * scale)).astype(np.int64)

    def spread_edges(self) -> SpreadEdges:
        """Directed, typed edges of the spread graph.

        contralateral: LMN(seg, L) <-> LMN(seg, R); caudal: LMN(seg i) -> LMN(seg i+1), rostral the
        reverse, on each side; anterograde: UMN -> LMN and retrograde: LMN -> UMN of the same
        segment and side; cortical_neighbour: UMNs of segments adjacent in ``cortical_order``, same
        side; callosal: UMN(seg, L) <-> UMN(seg, R).

        long_range (hypothesis): for each declared pair ``(a, b)`` of :attr:`long_range`, one
        directed edge UMN(a, side) -> UMN(b, side) on each side, and none in the reverse
        direction, with the pair's relative strength as its weight
        (:attr:`long_range_weights`). It stands for the non-contiguous spread seen in patients
        (leg symptoms follow bulbar onset in ~30%, bulbar symptoms follow leg onset far less
        often; after limb onset the other limbs are involved before the bulbar region; Walhout
        2018 ALS-FTD 19:21), whose mechanism is unknown:

        - UMN -> UMN, because the candidate route is the cortical motor network: degeneration in
          ALS expands along structural brain connections from the motor cortex (Verstraete 2014
          Hum Brain Mapp 35:1351; Meier 2020 Ann Neurol 87:725), whereas no direct axonal
          connection joins the brainstem motor nuclei to the lumbar cord;
        - same side: the UMNs serving one body side sit in one hemisphere, so the edge is
          intrahemispheric, like ``cortical_neighbour``;
        - directed: the clinical asymmetry (bulbar -> legs far more often than legs -> bulbar)
          is the only evidence on direction; a reverse route is a second declared pair.
        """
        src: list[int] = []
        dst: list[int] = []
        kind: list[int] = []
        weight: list[float] = []

        def add(a: int, b: int, k: str, w: float = 1.0) -> None:
            src.append(a)
            dst.append(b)
            kind.append(EDGE_KINDS.index(k))
            weight.append(w)

        segs = self.segment_names
        for i, seg in enumerate(segs):
            for side in SIDES:
                other = SIDES[1 - SIDES.index(side)]
                lmn = self.population_index("lmn", seg, side)
                umn = self.population_index("umn", seg, side)
                add(lmn, self.population_index("lmn", seg, other), "contralateral")
                add(umn, self.population_index("umn", seg, other), "callosal")
                add(umn, lmn, "anterograde")
                add(lmn, umn, "retrograde")
                if i + 1 < len(segs):
                    add(lmn, self.population_index("lmn", segs[i + 1], side), "caudal",
                        self.junction_weight(seg, segs[i + 1]))
                if i > 0:
                    add(lmn, self.population_index("lmn", segs[i - 1], side), "rostral",
                        self.junction_weight(seg, segs[i - 1]))
        order = self.cortical_order
        for j in range(len(order) - 1):
            for side in SIDES:
                a = self.population_index("umn", order[j], side)
                b = self.population_index("umn", order[j + 1], side)
                add(a, b, "cortical_neighbour")
                add(b, a, "cortical_neighbour")
        for i, (a_seg, b_seg) in enumerate(self.long_range):
            for side in SIDES:
                add(
                    self.population_index("umn", a_seg, side),
                    self.population_index("umn", b_seg, side),
                    "long_range",
                    self.long_range_weight(i),
                )
        # a segment's resistance to spread from elsewhere (Segment.spread_susceptibility)
        seg_of = self.population_table()["segment_index"]
        susceptibility = np.array([s.spread_susceptibility for s in self.segments])
        source, target = np.array(src), np.array(dst)
        between = seg_of[source] != seg_of[target]
        w = np.array(weight) * np.where(between, susceptibility[seg_of[target]], 1.0)
        return SpreadEdges(source, target, np.array(kind), w)


#: A declared relative strength of a spread edge (long_range, junctions).
_RELATIVE_STRENGTH = ParamSpec("1", "relative strength", low=0.0, high=1000.0)


def _parse_long_range(
    data: Any,
    names: tuple[str, ...],
    order: tuple[str, ...],
    key: str,
    source: str | None,
) -> tuple[tuple[tuple[str, str], ...], tuple[float, ...]]:
    """Validate the ``long_range`` declarations of an anatomy.

    Parameters
    ----------
    data : Any
        The parsed TOML value: a list of ``[source, target]`` segment-name pairs, each
        optionally with a third element, the pair's relative strength (a number >= 0).
    names : tuple of str
        Segment names of the anatomy.
    order : tuple of str
        The anatomy's ``cortical_order``.
    key : str
        Key path of ``data``, used in error messages.
    source : str, optional
        File the value came from, used in error messages.

    Returns
    -------
    pairs : tuple of (str, str)
        The directed pairs, in declaration order.
    weights : tuple of float
        The relative strength of each pair (1 where none was given).

    Raises
    ------
    ConfigError
        Naming the key path (``anatomy.long_range[0][1]``), the value and what is allowed: a
        pair must name two different segments of the anatomy that are not neighbours in
        ``cortical_order``, appear once, and have a relative strength, if given, >= 0.
    """
    if not isinstance(data, list):
        raise ConfigError(
            f"must be a list of [source, target] pairs of segment names; got {data!r}",
            key=key,
            source=source,
        )
    pairs: list[tuple[str, str]] = []
    weights: list[float] = []
    for i, pair in enumerate(data):
        k = f"{key}[{i}]"
        if not isinstance(pair, list | tuple) or len(pair) not in (2, 3):
            raise ConfigError(
                f"must be a pair [source, target] of segment names, optionally with a relative "
                f"strength [source, target, weight]; got {pair!r}",
                key=k,
                source=source,
            )
        weights.append(
            _check_value(
                float,
                _RELATIVE_STRENGTH,
                pair[2],
                f"{k}[2]",
                source,
            )
            if len(pair) == 3
            else 1.0
        )
        a, b = _check_value(
            tuple[str, ...], ParamSpec("", "", choices=names), list(pair[:2]), k, source
        )
        if a == b:
            raise ConfigError(
                f"must join two different segments; got {list(pair)!r}", key=k, source=source
            )
        ia, ib = order.index(a), order.index(b)
        if abs(ia - ib) == 1:
            raise ConfigError(
                f"must join segments that are not neighbours in cortical_order (neighbours are "
                f"already joined by cortical_neighbour edges); got {list(pair)!r}",
                key=k,
                source=source,
            )
        if (a, b) in pairs:
            raise ConfigError(f"declares the pair {list(pair)!r} twice", key=k, source=source)
        pairs.append((a, b))
    return tuple(pairs), tuple(weights)


def _parse_junctions(
    data: Any, names: tuple[str, ...], key: str, source: str | None
) -> tuple[tuple[str, str, float], ...]:
    """Validate the ``junctions`` of an anatomy.

    Parameters
    ----------
    data : Any
        The parsed TOML value: a list of ``[rostral, caudal, weight]``, two segment names adjacent
        in the segment order and the relative strength (a number >= 0) of the contiguous LMN
        spread between them.
    names : tuple of str
        Segment names, rostral to caudal.
    key : str
        Key path of ``data``, used in error messages.
    source : str, optional
        File the value came from, used in error messages.

    Returns
    -------
    tuple of (str, str, float)
        The junctions, in declaration order.

    Raises
    ------
    ConfigError
        Naming the key path (``anatomy.junctions[0]``), the value and what is allowed.
    """
    if not isinstance(data, list):
        raise ConfigError(
            f"must be a list of [rostral, caudal, weight] entries; got {data!r}",
            key=key, source=source)
    out: list[tuple[str, str, float]] = []
    for i, entry in enumerate(data):
        k = f"{key}[{i}]"
        if not isinstance(entry, list | tuple) or len(entry) != 3:
            raise ConfigError(
                f"must be [rostral, caudal, weight]: two adjacent segment names and the relative "
                f"strength of the spread between them; got {entry!r}", key=k, source=source)
        a, b = _check_value(
            tuple[str, ...], ParamSpec("", "", choices=names), list(entry[:2]), k, source)
        w = _check_value(float, _RELATIVE_STRENGTH,
                         entry[2], f"{k}[2]", source)
        if abs(names.index(a) - names.index(b)) != 1:
            i = names.index(a)
            near = " and ".join(repr(n) for n in names[max(i - 1, 0):i + 2] if n != a)
            raise ConfigError(
                f"must join two segments adjacent in the segment order (next to {a!r}: "
                f"{near}); got {list(entry)!r}", key=k, source=source)
        if any({a, b} == {x, y} for x, y, _ in out):
            raise ConfigError(f"declares the junction {list(entry[:2])!r} twice", key=k,
                              source=source)
        out.append((a, b, w))
    return tuple(out)


def _parse_segment(data: Any, key: str, source: str | None) -> Segment:
    if not isinstance(data, Mapping):
        raise ConfigError(f"must be a table; got {data!r}", key=key, source=source)
    allowed = (*_SEGMENT_SPECS, "lmn_onset_weight", "spread_susceptibility", "functions",
               "muscles")
    for k in data:
        if k not in allowed:
            hint = nearest_key(k, allowed)
            msg = (
                f"unknown key; did you mean '{key}.{hint}'?"
                if hint
                else ("unknown key; valid keys here are " + ", ".join(allowed))
            )
            raise ConfigError(msg, key=f"{key}.{k}", source=source)
    values: dict[str, Any] = {}
    for k, (tp, spec) in _SEGMENT_SPECS.items():
        if k not in data:
            raise ConfigError("missing required key", key=f"{key}.{k}", source=source)
        values[k] = _check_value(tp, spec, data[k], f"{key}.{k}", source)
    if not _NAME.match(values["name"]):
        raise ConfigError(
            f"must be a lower-case identifier (letters, digits, _); got {values['name']!r}",
            key=f"{key}.name",
            source=source,
        )
    functions = data.get("functions", {})
    if not isinstance(functions, Mapping):
        raise ConfigError(
            f"must be a table of ALSFRS-R item = share; got {functions!r}",
            key=f"{key}.functions",
            source=source,
        )
    fn: dict[str, float] = {}
    for item, share in functions.items():
        if item not in ALSFRS_ITEMS:
            hint = nearest_key(item, ALSFRS_ITEMS)
            extra = (
                f"; did you mean '{hint}'?"
                if hint
                else ("; valid items are " + ", ".join(ALSFRS_ITEMS))
            )
            raise ConfigError(
                f"unknown ALSFRS-R item{extra}", key=f"{key}.functions.{item}", source=source
            )
        fn[item] = _check_value(
            float,
            ParamSpec("1", "share", low=0.0, high=1.0),
            share,
            f"{key}.functions.{item}",
            source,
        )
    muscles_raw = data.get("muscles", [])
    if not isinstance(muscles_raw, list):
        raise ConfigError(
            "must be a list of {name, motor_units[, vulnerability]} tables", key=f"{key}.muscles",
            source=source,
        )
    muscles = []
    for j, m in enumerate(muscles_raw):
        mk = f"{key}.muscles[{j}]"
        if not isinstance(m, Mapping) or not (
            {"name", "motor_units"} <= set(m) <= {"name", "motor_units", "vulnerability"}
        ):
            raise ConfigError(
                f"must be a table with keys name and motor_units (and optionally vulnerability); "
                f"got {m!r}",
                key=mk,
                source=source,
            )
        muscles.append(
            Muscle(
                _check_value(str, ParamSpec("", ""), m["name"], f"{mk}.name", source),
                _check_value(
                    int,
                    ParamSpec("units", "", low=1, high=10**6),
                    m["motor_units"],
                    f"{mk}.motor_units",
                    source,
                ),
                _check_value(
                    float,
                    ParamSpec("1", "loss exponent", low=0.0, high=10.0, low_open=True),
                    m.get("vulnerability", 1.0),
                    f"{mk}.vulnerability",
                    source,
                ),
            )
        )
    lmn_w = data.get("lmn_onset_weight")
    if lmn_w is not None:
        lmn_w = _check_value(float, ParamSpec("1", "relative onset chance after LMN onset",
                                              low=0.0), lmn_w, f"{key}.lmn_onset_weight", source)
    susceptibility = _check_value(
        float, ParamSpec("1", "multiplier on spread into the segment from other segments",
                         low=0.0, high=10.0), data.get("spread_susceptibility", 1.0),
        f"{key}.spread_susceptibility", source)
    return Segment(functions=fn, muscles=tuple(muscles), lmn_onset_weight=lmn_w,
                   spread_susceptibility=susceptibility, **values)
