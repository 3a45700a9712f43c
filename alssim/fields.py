"""Parameter specifications as data, and the one validator that reads them.

Each field of a configuration dataclass is declared with :func:`param`, which records its unit, its
allowed range or choices and its meaning beside it. :func:`build` turns a plain ``dict``
(parsed TOML) into the frozen dataclass, checking every value against its specification and
naming the full key path in any error.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from alssim.errors import ConfigError, show_value

__all__ = ["ParamSpec", "build", "field_specs", "nearest_key", "param", "section", "to_dict",
           "unknown_key_error"]


@dataclasses.dataclass(frozen=True)
class ParamSpec:
    """What a parameter means and which values it accepts.

    Attributes
    ----------
    unit : str
        Physical unit, ``"1"`` for dimensionless quantities, ``""`` for labels.
    doc : str
        One-line meaning.
    low, high : float
        Bounds of numeric values.
    low_open, high_open : bool
        Whether the bound itself is excluded.
    choices : tuple of str, optional
        Allowed values of a string parameter.
    """

    unit: str
    doc: str
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] | None = None

    def describe_range(self) -> str:
        """Human-readable allowed range, e.g. ``'a number in [0, inf)'``."""
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        lo = "(" if self.low_open else "["
        hi = ")" if self.high_open or math.isinf(self.high) else "]"
        return f"a number in {lo}{_fmt(self.low)}, {_fmt(self.high)}{hi}"

    def contains(self, value: float) -> bool:
        """Whether a finite numeric ``value`` lies in the allowed range (any size of ``int``)."""
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if value < self.low or (self.low_open and value == self.low):
            return False
        return not (value > self.high or (self.high_open and value == self.high))


def _fmt(x: float) -> str:
    if isinstance(x, int):  # an integer bound in full (simulation.seed's 2**63 - 1)
        return str(x)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:g}"


def param(
    unit: str,
    doc: str,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
    choices: tuple[str, ...] | None = None,
    default: Any = dataclasses.MISSING,
) -> Any:
    """Declare a configuration field with its unit, range and meaning.

    Returns a :func:`dataclasses.field` carrying a :class:`ParamSpec` in its metadata. A field
    with a ``default`` may be left out of its table (:func:`build` then uses the default); one
    without is required.
    """
    spec = ParamSpec(unit, doc, low, high, low_open, high_open, choices)
    return dataclasses.field(default=default, metadata={"spec": spec})


_Section = typing.TypeVar("_Section", bound=type)


@typing.dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, param))
def section(cls: _Section) -> _Section:
    """Declare a config section: a frozen dataclass whose fields are :func:`param` leaves or
    nested sections.

    At run time the same as ``@dataclasses.dataclass(frozen=True)``; it also tells type
    checkers (PEP 681) that a :func:`param` field has no default, so a required nested section
    may follow it.
    """
    return dataclasses.dataclass(frozen=True)(cls)  # type: ignore[return-value]


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """``typing.get_type_hints(cls)``, evaluated once per class (a config is built for every
    patient of a cohort, and evaluating the annotations was most of the cost)."""
    return typing.get_type_hints(cls)


@functools.cache
def _field_specs(cls: type) -> dict[str, ParamSpec | type]:
    hints = _type_hints(cls)
    out: dict[str, ParamSpec | type] = {}
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            out[f.name] = tp
        else:
            out[f.name] = f.metadata["spec"]
    return out


def field_specs(cls: type) -> dict[str, ParamSpec | type]:
    """Map each field name of a config dataclass to its spec (or nested dataclass type)."""
    return dict(_field_specs(cls))


def nearest_key(key: str, valid: list[str] | tuple[str, ...]) -> str | None:
    """Closest valid key to a misspelt ``key``, or ``None`` when nothing is close."""
    match = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.6)
    return match[0] if match else None


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def unknown_key_error(prefix: str, key: str, valid: Sequence[str],
                      source: str | None) -> ConfigError:
    """The error for ``key`` of the table at ``prefix``, which allows only ``valid``: the
    nearest valid key when one is close, else the list of them."""
    hint = nearest_key(key, list(valid))
    if hint:
        msg = f"unknown key; did you mean '{_join(prefix, hint)}'?"
    else:
        msg = "unknown key; valid keys here are " + ", ".join(sorted(valid))
    return ConfigError(msg, key=_join(prefix, key), source=source)


def _check_value(tp: Any, spec: ParamSpec, value: Any, key: str, source: str | None) -> Any:
    """Validate one leaf value against its Python type and spec; return the typed value."""
    origin = typing.get_origin(tp)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(
                f"must be true or false; got {show_value(value)} ({type(value).__name__})",
                key=key,
                source=source,
            )
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise ConfigError(
                    f"must be an integer, {spec.describe_range()}; got {show_value(value)}",
                    key=key,
                    source=source,
                )
        if not spec.contains(value):
            raise ConfigError(
                f"must be an integer {spec.describe_range()[2:]}; got {show_value(value)}",
                key=key,
                source=source,
            )
        return value
    if tp is float:
        allowed = f"must be {spec.describe_range()} ({spec.unit or 'no unit'})"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{allowed}; got {show_value(value)}", key=key, source=source)
        try:  # an int beyond 1e308 overflows: out of range even where the range is unbounded
            number = float(value)
        except OverflowError:
            number = math.nan
        if not spec.contains(number):
            raise ConfigError(f"{allowed}; got {show_value(value)}", key=key, source=source)
        return number
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(
                f"must be a string{', ' + spec.describe_range() if spec.choices else ''}; "
                f"got {show_value(value)}", key=key, source=source)
        if spec.choices is not None and value not in spec.choices:
            hint = nearest_key(value, spec.choices)
            extra = f" (did you mean {hint!r}?)" if hint else ""
            raise ConfigError(
                f"must be {spec.describe_range()}; got {show_value(value)}{extra}", key=key,
                source=source)
        return value
    if origin is tuple:
        (item_tp, _ellipsis) = typing.get_args(tp)
        if not isinstance(value, list | tuple):
            raise ConfigError(f"must be a list; got {show_value(value)}", key=key, source=source)
        return tuple(
            _check_value(item_tp, spec, v, f"{key}[{i}]", source) for i, v in enumerate(value)
        )
    if origin in (types.UnionType, typing.Union):
        # ``T | None``: an optional field (TOML has no null, so a given value is a T)
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return _check_value(args[0], spec, value, key, source)
        raise TypeError(f"union types other than T | None are not supported ({key})")
    raise TypeError(f"unsupported config field type {tp!r} at {key}")


def build(cls: type, data: Mapping[str, Any], *, prefix: str = "", source: str | None = None):
    """Build the frozen dataclass ``cls`` from ``data``, validating every value.

    Parameters
    ----------
    cls : type
        A dataclass whose leaf fields were declared with :func:`param`.
    data : mapping
        Parsed TOML for this table.
    prefix : str
        Dotted key path of this table, used in error messages.
    source : str, optional
        File the values came from, used in error messages.

    Raises
    ------
    ConfigError
        On an unknown key (naming the nearest valid one), a missing key, a wrong type or a value
        out of range.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(f"must be a table; got {show_value(data)}", key=prefix or None,
                          source=source)
    hints = _type_hints(cls)
    specs = _field_specs(cls)
    unknown = [k for k in data if k not in specs]
    if unknown:
        raise unknown_key_error(prefix, unknown[0], list(specs), source)
    defaults = {f.name: f.default for f in dataclasses.fields(cls)
                if f.default is not dataclasses.MISSING}
    kwargs = {}
    for name, spec in specs.items():
        key = _join(prefix, name)
        if name not in data:
            if name in defaults:
                kwargs[name] = defaults[name]
                continue
            raise ConfigError("missing required key", key=key, source=source)
        value = data[name]
        if isinstance(spec, type):
            kwargs[name] = build(spec, value, prefix=key, source=source)
        else:
            kwargs[name] = _check_value(hints[name], spec, value, key, source)
    obj = cls(**kwargs)
    check = getattr(obj, "_check", None)
    if check is not None:
        check(prefix, source)
    return obj


def to_dict(obj: Any) -> Any:
    """Plain ``dict`` (TOML-ready) of a config dataclass, recursively."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple | list):
        return [to_dict(v) for v in obj]
    return obj
