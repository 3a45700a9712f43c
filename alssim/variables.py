"""The variables the engine records for every population (:data:`VARIABLES`)."""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["VARIABLES", "VariableSpec"]


@dataclasses.dataclass(frozen=True)
class VariableSpec:
    """Meaning of one recorded variable.

    Attributes
    ----------
    unit : str
    doc : str
    dtype : type
    lmn_only : bool
        Defined for LMN populations only (stored as 0 for UMN populations, left out of tables).
    """

    unit: str
    doc: str
    dtype: type = np.float64
    lmn_only: bool = False


VARIABLES: dict[str, VariableSpec] = {
    "alive": VariableSpec("neurons", "living neurons (healthy or dysfunctional)", np.int64),
    "dysfunctional": VariableSpec("neurons", "living, hyperexcitable neurons", np.int64),
    "dead": VariableSpec("neurons", "neurons lost since biological onset", np.int64),
    "new_deaths": VariableSpec("neurons", "neurons lost since the previous record", np.int64),
    "pathology": VariableSpec("1", "aggregate pathology load in [0, 1]"),
    "inflammation": VariableSpec("1", "glial activation in [0, 1]"),
    "excitotoxicity": VariableSpec("1", "excitotoxic drive from UMNs in [0, 1]", lmn_only=True),
    "hazard": VariableSpec("1/month", "regional hazard factor (vulnerability-1 neuron)"),
    "cumulative_hazard": VariableSpec("1", "regional hazard integrated since onset"),
    "unit_size_alive": VariableSpec("smallest units", "summed size of surviving motor units",
                                    lmn_only=True),
    "unit_size_dysfunctional": VariableSpec(
        "smallest units", "summed size of dysfunctional motor units", lmn_only=True),
    "alive_s": VariableSpec("units", "surviving slow (S) motor units", np.int64, lmn_only=True),
    "alive_fr": VariableSpec("units", "surviving FR motor units", np.int64, lmn_only=True),
    "alive_ff": VariableSpec("units", "surviving FF motor units", np.int64, lmn_only=True),
}
