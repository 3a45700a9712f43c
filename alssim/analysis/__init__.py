"""Figures and animations of alssim results (the only place alssim imports matplotlib).

Every plotting function takes a :class:`~alssim.results.Result` (or a cohort result or a sweep
table) and returns a :class:`matplotlib.figure.Figure` made without pyplot, so it works headless,
shows inline in a notebook and needs no closing. Plotting never changes the result and never
re-runs the model. matplotlib itself is imported only when a function here is first used.

>>> import alssim
>>> from alssim import analysis
>>> res = alssim.simulate(alssim.load_config(overrides={"simulation.scale": 0.01}), seed=1)
>>> fig = analysis.plot_body_map(res)
>>> paths = analysis.standard_figures(res, "results/figures")      # doctest: +SKIP
"""

from __future__ import annotations

import importlib

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
