"""Validation of the default cohort against published ALS cohorts.

The published figures and their a-priori acceptance intervals are data
(``configs/validation/targets.toml``, :func:`load_targets`); one metric function per figure
(:data:`METRICS`) computes the simulated value from a cohort's patient table; :func:`evaluate`
adds a seeded bootstrap 95% interval and the pass rule; :func:`run_validation` simulates the
validation cohort and :func:`write_report` writes ``report.md``, ``validation.csv`` and figures.
:mod:`alssim.validation.trial_population` sets the patients the vital-capacity trial enrols
beside that trial's placebo group (a description in the report, not targets).
``alssim validate`` is the command-line form.

>>> from alssim.validation import load_targets, METRICS
>>> all(t.id in METRICS for t in load_targets())
True
"""

from alssim.validation.metrics import (
    METRICS,
    PREPARED_COLUMNS,
    bootstrap_ci,
    clopper_pearson,
    km_median,
    prepare,
)
from alssim.validation.report import (
    VALIDATION_OVERRIDES,
    ValidationReport,
    evaluate,
    load_validation,
    passes,
    run_validation,
    validation_config,
    write_report,
)
from alssim.validation.targets import DEFAULT_TARGETS_PATH, Target, load_targets

__all__ = [
    "DEFAULT_TARGETS_PATH",
    "METRICS",
    "PREPARED_COLUMNS",
    "VALIDATION_OVERRIDES",
    "Target",
    "ValidationReport",
    "bootstrap_ci",
    "clopper_pearson",
    "evaluate",
    "km_median",
    "load_targets",
    "load_validation",
    "passes",
    "prepare",
    "run_validation",
    "validation_config",
    "write_report",
]
