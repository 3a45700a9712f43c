"""The anatomy of one patient (:class:`Anatomy`): the ordered segments, both sides, the population
index layout and the spread graph."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

import numpy as np

from alssim.anatomy.names import COMPARTMENTS, EDGE_KINDS, SIDES
from alssim.anatomy.parse import SEGMENT_SPECS, parse_junctions, parse_long_range, parse_segment
from alssim.anatomy.parts import Segment, SpreadEdges
from alssim.errors import ConfigError
from alssim.fields import ParamSpec, _check_value, unknown_key_error

__all__ = ["Anatomy"]


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
                raise unknown_key_error(prefix, k, allowed, source)
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
            parse_segment(s, f"{prefix}.segments[{i}]", source) for i, s in enumerate(raw_segments)
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
        long_range, weights = parse_long_range(
            data.get("long_range", []), tuple(names), tuple(order), f"{prefix}.long_range", source
        )
        if all(w == 1.0 for w in weights):
            weights = ()
        junctions = parse_junctions(
            data.get("junctions", []), tuple(names), f"{prefix}.junctions", source
        )
        return cls(name, desc, segments, tuple(order), long_range, weights, junctions)

    def to_dict(self) -> dict[str, Any]:
        """Plain, TOML-ready ``dict`` of this anatomy."""
        segs = []
        for s in self.segments:
            d = {k: getattr(s, k) for k in SEGMENT_SPECS}
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
        return len(COMPARTMENTS) * self.n_segments * len(SIDES)

    def segment_index(self, name: str) -> int:
        """Index of a segment by name."""
        return self.segment_names.index(name)

    def population_index(self, compartment: str, segment: str, side: str) -> int:
        """Index of the population ``compartment`` x ``segment`` x ``side``."""
        return int(np.ravel_multi_index(
            (COMPARTMENTS.index(compartment), self.segment_index(segment), SIDES.index(side)),
            (len(COMPARTMENTS), self.n_segments, len(SIDES))))

    def population_grid(self, values: np.ndarray) -> np.ndarray:
        """``values`` by population, shape (..., n_populations), as a (..., 2, n_segments, 2)
        array: compartment (UMN, LMN) x segment x side (left, right); a view where numpy can
        make one."""
        values = np.asarray(values)
        return values.reshape(*values.shape[:-1], len(COMPARTMENTS), self.n_segments, len(SIDES))

    def compartment_slice(self, compartment: str) -> slice:
        """The populations of one compartment (``"umn"`` or ``"lmn"``), segment x side in index
        order."""
        per = self.n_segments * len(SIDES)
        c = COMPARTMENTS.index(compartment)
        return slice(c * per, (c + 1) * per)

    def umn_population_of(self, lmn_index: np.ndarray) -> np.ndarray:
        """The UMN population of the same segment and side as each LMN population in
        ``lmn_index`` (int array of population indices)."""
        return np.asarray(lmn_index) - self.n_segments * len(SIDES)

    def population_table(self) -> dict[str, np.ndarray]:
        """Labels of every population, in index order.

        Returns
        -------
        dict
            ``compartment``, ``segment``, ``side`` (arrays of str, shape (n_populations,)) and
            ``compartment_index``, ``segment_index``, ``side_index`` (arrays of int).
        """
        comp_i, seg_i, side_i = (a.ravel() for a in np.indices(
            (len(COMPARTMENTS), self.n_segments, len(SIDES))))
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
        """Directed, typed edges of the spread graph (built once per anatomy; the arrays are
        read-only).

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
        return self._spread_edges

    def __getstate__(self) -> dict[str, Any]:
        # a copy or an unpickled anatomy (a worker's config) builds its own edges: the cached
        # ones would arrive writeable
        state = dict(self.__dict__)
        state.pop("_spread_edges", None)
        return state

    @functools.cached_property
    def _spread_edges(self) -> SpreadEdges:
        # the anatomy is frozen, so its edges are too: every patient of a cohort shares them
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
        kinds = np.array(kind)
        for array in (source, target, kinds, w):
            array.setflags(write=False)
        return SpreadEdges(source, target, kinds, w)
