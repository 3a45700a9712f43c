"""Figures and animations of alssim results (the only place alssim imports matplotlib).

Every plotting function takes a :class:`~alssim.results.Result` (or a cohort, sweep, trial,
validation or calibration result) and returns a :class:`matplotlib.figure.Figure` made without
pyplot, so it works headless, shows inline in a notebook and needs no closing. Plotting never
changes the result and never re-runs the model. matplotlib itself is imported only when a
function here is first used. Importing this package registers the plot kinds of every result's
``plot()`` (:data:`PLOT_KINDS`, see :mod:`alssim.plotting`).

>>> import alssim
>>> from alssim import analysis
>>> res = alssim.simulate(alssim.load_config(overrides={"simulation.scale": 0.01}), seed=1)
>>> fig = analysis.plot_body_map(res)
>>> paths = analysis.standard_figures(res, "results/figures")      # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from alssim.plotting import register_plots

# public name -> module that defines it (imported on first use: importing alssim.analysis
# does not import matplotlib)
_EXPORTS = {
    "plot_populations": "populations",
    "plot_body_map": "bodymap",
    "plot_body_map_grid": "bodymap",
    "animate_body_map": "bodymap",
    "draw_body": "bodymap",
    "plot_spread_timeline": "timeline",
    "plot_motor_units": "motor_units",
    "plot_mune_cmap_strength": "motor_units",
    "plot_clinical_course": "clinical",
    "plot_signs": "clinical",
    "kaplan_meier": "cohort",
    "KaplanMeier": "cohort",
    "plot_survival_by_onset": "cohort",
    "plot_dfs_histogram": "cohort",
    "plot_first_spread": "cohort",
    "plot_onset_sites": "cohort",
    "plot_sweep": "sweeps",
    "plot_trial_survival": "trials",
    "plot_validation": "validation",
    "plot_calibration": "validation",
    "plot_calibration_targets": "validation",
    "standard_figures": "figures",
    "cohort_figures": "figures",
    "save_figure": "figures",
    "segment_colours": "palette",
    "OKABE_ITO": "palette",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'alssim.analysis' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"alssim.analysis.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


class _Lazy:
    """A plotting function of this package, imported when first called (so that registering
    it imports no matplotlib); its signature is the function's."""

    def __init__(self, name: str):
        self.name = name

    @property
    def function(self) -> Any:
        return __getattr__(self.name)

    @property
    def __signature__(self) -> inspect.Signature:
        return inspect.signature(self.function)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"alssim.analysis.{self.name}"


#: The plot kinds of each result class (``obj.plot(kind)``, see :mod:`alssim.plotting`), the
#: first of each the default. The result classes sit below this layer and cannot import it.
PLOT_KINDS: dict[str, dict[str, str]] = {
    "Result": {
        "clinical_course": "plot_clinical_course",
        "populations": "plot_populations",
        "signs": "plot_signs",
        "body_map": "plot_body_map",
        "body_map_grid": "plot_body_map_grid",
        "motor_units": "plot_motor_units",
        "mune_cmap_strength": "plot_mune_cmap_strength",
        "spread_timeline": "plot_spread_timeline",
    },
    "CohortResult": {
        "survival_by_onset": "plot_survival_by_onset",
        "dfs_histogram": "plot_dfs_histogram",
        "first_spread": "plot_first_spread",
        "onset_sites": "plot_onset_sites",
    },
    "SweepResult": {"outcome": "plot_sweep"},
    "TrialResult": {"survival": "plot_trial_survival"},
    "ValidationReport": {"targets": "plot_validation"},
    "CalibrationResult": {"distance": "plot_calibration", "targets": "plot_calibration_targets"},
}



def _register() -> None:
    for owner, kinds in PLOT_KINDS.items():
        register_plots(owner, {k: _Lazy(f) for k, f in kinds.items()}, default=next(iter(kinds)))


_register()
