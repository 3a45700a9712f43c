"""The ``[clinical]`` tables of the configuration: declared in :mod:`alssim.config.clinical`
(the config layer owns every section schema) and re-exported here, where they were first
declared."""

from __future__ import annotations

from alssim.config.clinical import (
    DIAGNOSIS_CRITERIA,
    EL_ESCORIAL_MIN,
    Clinical,
    Diagnosis,
    Electro,
    Fasciculations,
    Function,
    Respiratory,
    Strength,
    UmnSigns,
)

__all__ = [
    "DIAGNOSIS_CRITERIA",
    "EL_ESCORIAL_MIN",
    "Clinical",
    "Diagnosis",
    "Electro",
    "Fasciculations",
    "Function",
    "Respiratory",
    "Strength",
    "UmnSigns",
]
