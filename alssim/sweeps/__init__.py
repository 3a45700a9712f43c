"""Parameter sweeps over any dotted config keys, on any executor, resumable.

>>> import alssim
>>> cfg = alssim.load_config(overrides={"simulation.scale": 0.01, "simulation.dt_days": 7.0})
>>> result = alssim.sweep(cfg, {"spread.contralateral_rate": [0.01, 0.05]}, replicates=2,
...                       seed=1, executor="serial", progress=False)
>>> list(result.runs.columns[:5])
['run_id', 'point', 'replicate', 'seed', 'spread.contralateral_rate']
>>> result.summary["n_runs"], result.summary["swept_keys"]
(4, ['spread.contralateral_rate'])

Designs (``method``)
    ``"grid"``: every combination of lists of values. From ranges ``{low, high[, scale]}``:
    ``"random"`` (independent uniform draws), ``"lhs"`` (Latin hypercube), ``"sobol_sequence"``
    (scrambled Sobol' low-discrepancy points), all from :mod:`scipy.stats.qmc` or a seeded
    generator; and, for sensitivity analysis with SALib, ``"sobol"`` (Saltelli's scheme for
    Sobol' indices) and ``"morris"`` (Morris trajectories for elementary effects). A list of
    dicts is an explicit set of points (``"points"``).

Runs and seeds
    Point ``p`` (in design order) has replicates ``r = 0 .. replicates-1``; its runs have
    ``run_id = p * replicates + r``. With common random numbers (the default) replicate ``r``
    has the seed ``derive_seed(seed, r)`` at every point, so differences between points are not
    blurred by different random draws; otherwise ``derive_seed(seed, run_id)``. The table is a
    function of the config, design, replicates and seed only: byte-identical on every executor.

:func:`sweep` returns a :class:`SweepResult`: its ``runs`` table is tidy, one row per run with
``run_id``, ``point``, ``replicate``, ``seed``, one column per swept key (named by the key), the
sampled patient attributes when ``heterogeneity`` is on, and the flattened summary outputs; with
it the ``design``, ``seed`` and ``config``, a ``summary``, ``save()`` (:func:`load_sweep` reads
it back) and ``plot()``.

Modules: :mod:`~alssim.sweeps.design` (axes, values and design points),
:mod:`~alssim.sweeps.run` (:func:`sweep` itself and :func:`load_runs`),
:mod:`~alssim.sweeps.result` (:class:`SweepResult`, :func:`load_sweep`) and
:mod:`~alssim.sweeps.spec` (``SWEEP.toml`` files: :func:`load_sweep_spec`, :func:`run_sweep_spec`).
"""

from __future__ import annotations

from alssim.sweeps.design import DESIGN_METHODS, METHODS, Axis, make_design, parse_design
from alssim.sweeps.result import SweepResult, load_sweep
from alssim.sweeps.run import load_runs, sweep
from alssim.sweeps.spec import SweepSpec, load_sweep_spec, run_sweep_spec

__all__ = [
    "DESIGN_METHODS",
    "METHODS",
    "Axis",
    "SweepResult",
    "SweepSpec",
    "load_runs",
    "load_sweep",
    "load_sweep_spec",
    "make_design",
    "parse_design",
    "run_sweep_spec",
    "sweep",
]
