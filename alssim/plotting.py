"""The ``plot()`` of every result object: a registry of plot kinds, filled by the analysis layer.

Result classes (:class:`~alssim.results.Result`, :class:`~alssim.cohort.CohortResult`, the
sweep, trial, validation and calibration results) live below the analysis layer, the only place
matplotlib is imported, so they cannot import its plotting functions. Instead the analysis layer
registers, per result class name, its named plot kinds (one of them the default) with
:func:`register_plots` when it is imported (``alssim/analysis/__init__.py``; ``import alssim``
imports it). A result's ``plot(kind=None, **kwargs)`` calls :func:`plot`, which looks the kind
up and returns the plotting function's :class:`matplotlib.figure.Figure`.

>>> import alssim
>>> sorted(plot_kinds(alssim.CohortResult))[:2]
['dfs_histogram', 'first_spread']
>>> default_kind(alssim.CohortResult)
'survival_by_onset'
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from alssim.errors import AlssimError, ConfigError, show_value

__all__ = ["PlotKinds", "default_kind", "plot", "plot_kinds", "register_plots"]


@dataclass(frozen=True)
class PlotKinds:
    """The plot kinds registered for one result class.

    Attributes
    ----------
    kinds : dict of str to callable
        Kind name -> plotting function, called as ``function(result, **kwargs)``.
    default : str
        The kind drawn by ``plot()`` without a kind.
    """

    kinds: dict[str, Callable[..., Any]]
    default: str


#: Result class name -> its plot kinds (filled by the analysis layer).
_REGISTRY: dict[str, PlotKinds] = {}


def register_plots(owner: str, kinds: Mapping[str, Callable[..., Any]], *, default: str) -> None:
    """Register the plot kinds of the result class named ``owner``.

    Parameters
    ----------
    owner : str
        Class name, e.g. ``"CohortResult"``; subclasses find the kinds of their bases.
    kinds : mapping of str to callable
        Kind -> plotting function taking the result first and keyword arguments after it
        (``ax=`` for one panel, ``fig=`` for several), returning a figure.
    default : str
        The kind ``plot()`` draws when none is named; one of ``kinds``.

    Raises
    ------
    ValueError
        If ``kinds`` is empty or ``default`` is not one of them.
    """
    if not kinds or default not in kinds:
        raise ValueError(f"default {default!r} must be one of the kinds {sorted(kinds)}")
    _REGISTRY[owner] = PlotKinds(dict(kinds), default)


def _lookup(obj: Any) -> tuple[str, PlotKinds]:
    cls = obj if isinstance(obj, type) else type(obj)
    for base in cls.__mro__:
        entry = _REGISTRY.get(base.__name__)
        if entry is not None:
            return base.__name__, entry
    raise AlssimError(
        f"no plots are registered for {cls.__name__}: the analysis layer registers them when "
        "it is imported; run `import alssim.analysis` (`import alssim` does it) first")


def plot_kinds(obj: Any) -> dict[str, Callable[..., Any]]:
    """The plot kinds of a result (or result class): kind -> plotting function.

    Raises
    ------
    AlssimError
        If none are registered for its class (the analysis layer is not imported).
    """
    return dict(_lookup(obj)[1].kinds)


def default_kind(obj: Any) -> str:
    """The kind ``plot()`` draws for a result (or result class) when none is named."""
    return _lookup(obj)[1].default


def _kind_error(kind: Any, owner: str, entry: PlotKinds) -> ConfigError:
    valid = ", ".join(k + (" (default)" if k == entry.default else "") for k in entry.kinds)
    hint = (difflib.get_close_matches(kind, list(entry.kinds), n=1, cutoff=0.6)
            if isinstance(kind, str) else [])
    near = f"did you mean {hint[0]!r}? " if hint else ""
    return ConfigError(f"unknown plot kind {show_value(kind)} for a {owner}; {near}"
                       f"valid kinds: {valid}", key="kind")


def _check_target(func: Callable[..., Any], kind: str, kwargs: Mapping[str, Any]) -> None:
    """Refuse ``ax=`` for a plot of several panels (and ``fig=`` for a one-panel plot) with a
    message saying which to pass, instead of the plotting function's TypeError."""
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):  # no signature to read: let the function decide
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    if "ax" in kwargs and "ax" not in params and "fig" in params:
        raise ConfigError(f"plot kind {kind!r} draws several panels: pass fig= (a figure or "
                          "subfigure without axes) instead of ax=", key="ax")
    if "fig" in kwargs and "fig" not in params and "ax" in params:
        raise ConfigError(f"plot kind {kind!r} draws one panel: pass ax= (a matplotlib axes) "
                          "instead of fig=", key="fig")


def plot(obj: Any, kind: str | None = None, **kwargs: Any) -> Any:
    """Draw one registered plot kind of a result.

    Parameters
    ----------
    obj : object
        A result whose class (or a base class) has registered kinds.
    kind : str, optional
        The plot kind; default the class's default kind.
    **kwargs
        Passed to the plotting function (``ax=`` or ``fig=`` to draw on given axes or figure,
        and the function's own options).

    Returns
    -------
    matplotlib.figure.Figure
        What the plotting function returns.

    Raises
    ------
    ConfigError
        For an unknown kind (naming the nearest kind and listing the valid ones), or ``ax=``
        given to a plot of several panels (``fig=`` to a one-panel plot).
    AlssimError
        If no kinds are registered for the class (the analysis layer is not imported).
    """
    owner, entry = _lookup(obj)
    name = entry.default if kind is None else kind
    if not isinstance(name, str) or name not in entry.kinds:
        raise _kind_error(name, owner, entry)
    func = entry.kinds[name]
    _check_target(func, name, kwargs)
    return func(obj, **kwargs)
