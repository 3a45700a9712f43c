"""alssim: an agent-based simulator of amyotrophic lateral sclerosis.

Every upper and lower motor neuron of a virtual patient is an agent; the disease starts focally on
one side of one body region and spreads to the other side and to neighbouring regions.

>>> import alssim
>>> cfg = alssim.load_config(overrides={"simulation.scale": 0.01})
>>> res = alssim.simulate(cfg, seed=1)
>>> df = res.to_dataframe()

Layers, bottom to top; a module imports only from its own layer and the layers below it
(``tests/test_architecture.py`` checks every import, those inside functions included):

1. base: ``errors``, ``_version``, ``streams``, ``fileio``, ``outdir``, ``survival``,
   ``_timeseries``, ``plotting``
2. fields: ``fields`` (how a config field is declared and checked; ``config.params``)
3. anatomy: ``anatomy``
4. config: the rest of ``config`` (every section schema, TOML in and out, overrides)
5. model: ``onset``, ``population``, ``counting``, ``driver_kernels``, ``step_kernels``,
   ``keys``, ``fates``, ``dynamics``, ``patients``, ``care_draws``, ``resources``,
   ``interventions``, ``engine``, ``variables``, ``result_tables``, ``results``
6. clinical: ``clinical``
7. runs: ``batch``, ``executors``, ``cohort``, ``sweeps``, ``sensitivity``, ``trials``,
   ``teaching``
8. validation: ``validation``
9. studies: ``calibration`` (to the validation targets)
10. analysis: ``analysis`` (matplotlib is imported only here)
11. interface: ``cli`` and this package

``Result.clinical`` (model) is the clinical layer's reading of a result: this package hands
:func:`alssim.clinical.assess` to :func:`alssim.results.register_clinical_assessment`. In the same
way the validation report (validation) draws its figures with the analysis layer's
:func:`alssim.analysis.cohort_figures`, handed to
:func:`alssim.validation.report.register_figure_writer`, and every result's ``plot()`` draws
with the plotting functions the analysis layer registers in :mod:`alssim.plotting` when it is
imported.

``alssim.sweep`` and ``alssim.calibrate`` are the functions; their modules are
:mod:`alssim.sweeps` and :mod:`alssim.calibration`. The old module paths (``from alssim.sweep
import load_runs``) still import, with a ``DeprecationWarning`` (:mod:`alssim._moved`).
"""

from alssim import _moved
from alssim import results as _results
from alssim._version import __version__
from alssim.analysis import cohort_figures as _cohort_figures
from alssim.calibration import CalibrationResult, calibrate, load_calibration
from alssim.clinical import assess as _assess
from alssim.cohort import CohortResult, load_cohort, run_cohort
from alssim.config import Config, load_config
from alssim.engine import simulate, simulate_batch
from alssim.errors import AlssimError, ConfigError, ResultFormatError
from alssim.results import Result, load
from alssim.sweeps import SweepResult, load_sweep, sweep
from alssim.trials import TrialResult, run_trial
from alssim.validation import ValidationReport, load_validation, run_validation
from alssim.validation import report as _validation_report

_results.register_clinical_assessment(_assess)
_validation_report.register_figure_writer(_cohort_figures)
_moved.install(__name__)

__all__ = [
    "AlssimError",
    "CalibrationResult",
    "CohortResult",
    "Config",
    "ConfigError",
    "Result",
    "ResultFormatError",
    "SweepResult",
    "TrialResult",
    "ValidationReport",
    "__version__",
    "calibrate",
    "load",
    "load_calibration",
    "load_cohort",
    "load_config",
    "load_sweep",
    "load_validation",
    "run_cohort",
    "run_trial",
    "run_validation",
    "simulate",
    "simulate_batch",
    "sweep",
]
