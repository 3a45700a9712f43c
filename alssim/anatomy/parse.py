"""Reading an anatomy TOML: the segment tables, the junctions between neighbouring segments and the
long-range pairs, each checked with errors that name the file, key, value and what is allowed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alssim.anatomy.names import (
    ALSFRS_ITEMS,
    EL_ESCORIAL_REGIONS,
    KINGS_REGIONS,
    NAME_PATTERN,
    ONSET_SITES,
)
from alssim.anatomy.parts import Muscle, Segment
from alssim.errors import ConfigError
from alssim.fields import ParamSpec, _check_value, nearest_key, unknown_key_error

__all__ = ["SEGMENT_SPECS", "parse_junctions", "parse_long_range", "parse_segment"]


SEGMENT_SPECS: dict[str, tuple[Any, ParamSpec]] = {
    "name": (str, ParamSpec("", "segment identifier")),
    "levels": (str, ParamSpec("", "levels spanned")),
    "el_escorial_region": (str, ParamSpec("", "El Escorial region", choices=EL_ESCORIAL_REGIONS)),
    "kings_region": (str, ParamSpec("", "King's staging region", choices=KINGS_REGIONS)),
    "onset_site": (str, ParamSpec("", "onset-site category", choices=ONSET_SITES)),
    "onset_weight": (float, ParamSpec("1", "relative onset chance in its site", low=0.0)),
    "lmn_count": (int, ParamSpec("neurons", "LMNs per side at scale 1", low=1, high=10**8)),
    "umn_count": (int, ParamSpec("neurons", "UMNs per side at scale 1", low=1, high=10**8)),
}


#: A declared relative strength of a spread edge (long_range, junctions).
_RELATIVE_STRENGTH = ParamSpec("1", "relative strength", low=0.0, high=1000.0)


def parse_long_range(
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


def parse_junctions(
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


def parse_segment(data: Any, key: str, source: str | None) -> Segment:
    if not isinstance(data, Mapping):
        raise ConfigError(f"must be a table; got {data!r}", key=key, source=source)
    allowed = (*SEGMENT_SPECS, "lmn_onset_weight", "spread_susceptibility", "functions",
               "muscles")
    for k in data:
        if k not in allowed:
            raise unknown_key_error(key, k, allowed, source)
    values: dict[str, Any] = {}
    for k, (tp, spec) in SEGMENT_SPECS.items():
        if k not in data:
            raise ConfigError("missing required key", key=f"{key}.{k}", source=source)
        values[k] = _check_value(tp, spec, data[k], f"{key}.{k}", source)
    if not NAME_PATTERN.match(values["name"]):
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
