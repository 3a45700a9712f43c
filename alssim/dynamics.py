"""Regional drivers: pathology spread and the hazard factor built from named mechanisms.

Everything here acts on vectors over populations (shape ``(n_populations,)``), never on neurons.

Pathology (network FKPP, directed)
    ``dp_i/dt = (1 - p_i) * (g * p_i + sum_j k_ji * p_j)`` with ``g`` the local growth rate and
    ``k_ji`` the rate of the edge ``j -> i`` (contralateral, caudal, rostral, anterograde,
    retrograde, cortical neighbour, callosal). Advanced with the exponential update
    ``1 - p <- (1 - p) * exp(-dt * (g * p + K p))``, which keeps ``p`` in [0, 1] for any step.

Regional hazard factor (per month, for a neuron of vulnerability 1)
    ``lambda_i = S * (a + h * p_i * (1 + g_inf * G_i) * (1 + g_exc * E_i))`` where
    ``S = 1 + g_ox * level`` (oxidative stress), ``a`` the ageing hazard, ``h`` the pathology
    hazard at full load, ``G_i`` glial activation (relaxes towards the lost fraction of population
    ``i`` at ``response_rate``) and ``E_i`` excitotoxic drive of an LMN population: the fraction of
    the UMNs of its segment and side that are dysfunctional or lost (hyperexcitable UMNs release
    excess glutamate, lost UMNs disinhibit; hypothesis). A mechanism switched off contributes its
    neutral value.

Every map is monotone: raising any rate or any neuron loss never lowers any later load, activation,
drive or hazard.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from alssim.anatomy import EDGE_KINDS
from alssim.config.schema import Config

__all__ = ["DriverState", "RegionalDrivers"]


@dataclasses.dataclass
class DriverState:
    """Regional state, each of shape (n_populations,).

    Attributes
    ----------
    pathology : ndarray
        Aggregate load in [0, 1].
    inflammation : ndarray
        Glial activation in [0, 1].
    excitotoxicity : ndarray
        Excitotoxic drive in [0, 1] (LMN populations; 0 for UMN populations).
    """

    pathology: np.ndarray
    inflammation: np.ndarray
    excitotoxicity: np.ndarray


class RegionalDrivers:
    """The regional, time-varying part of every neuron's hazard.

    Parameters
    ----------
    cfg : Config
        Anatomy, spread rates and mechanisms.
    """

    def __init__(self, cfg: Config):
        anat = cfg.anatomy
        n = anat.n_populations
        edges = anat.spread_edges()
        rates = cfg.spread.edge_rates()
        edge_rate = np.array([rates[EDGE_KINDS[k]] for k in edges.kind])
        #: transmission matrix, ``K[i, j]`` = rate from population j to population i (1/month)
        self.transmission = np.zeros((n, n))
        np.add.at(self.transmission, (edges.target, edges.source), edge_rate)
        self.growth = cfg.spread.local_growth_rate
        m = cfg.mechanisms
        self.pathology_hazard = m.pathology.hazard_rate if m.pathology.enabled else 0.0
        self.ageing_hazard = m.ageing.hazard_rate if m.ageing.enabled else 0.0
        self.inflammation_gain = m.inflammation.gain if m.inflammation.enabled else 0.0
        self.inflammation_rate = m.inflammation.response_rate
        self.excitotoxicity_gain = m.excitotoxicity.gain if m.excitotoxicity.enabled else 0.0
        ox = m.oxidative_stress
        self.stress_factor = 1.0 + ox.gain * ox.level if ox.enabled else 1.0
        table = anat.population_table()
        lmn = np.flatnonzero(table["compartment_index"] == 1)
        #: LMN population indices and the UMN population of the same segment and side
        self.lmn_index = lmn
        self.umn_of_lmn = lmn - 2 * anat.n_segments
        self.n_populations = n

    def initial_state(self, pathology: np.ndarray) -> DriverState:
        """State at biological onset from the seeded pathology load."""
        z = np.zeros(self.n_populations)
        return DriverState(np.asarray(pathology, dtype=float).copy(), z.copy(), z.copy())

    def hazard(self, state: DriverState) -> np.ndarray:
        """Regional hazard factor ``lambda`` (1/month), shape (n_populations,)."""
        amp = (1.0 + self.inflammation_gain * state.inflammation) * (
            1.0 + self.excitotoxicity_gain * state.excitotoxicity
        )
        return self.stress_factor * (
            self.ageing_hazard + self.pathology_hazard * state.pathology * amp
        )

    def advance(
        self,
        state: DriverState,
        dt_months: float,
        lost_fraction: np.ndarray,
        affected_fraction: np.ndarray,
    ) -> None:
        """Advance the state in place over one step.

        Parameters
        ----------
        state : DriverState
            State at the start of the step; overwritten with the state at its end.
        dt_months : float
            Step length (month).
        lost_fraction : ndarray, shape (n_populations,)
            Fraction of each population dead at the end of the step.
        affected_fraction : ndarray, shape (n_populations,)
            Fraction dysfunctional or dead at the end of the step.
        """
        p = state.pathology
        drive = self.growth * p + self.transmission @ p
        state.pathology = 1.0 - (1.0 - p) * np.exp(-dt_months * drive)
        relax = -np.expm1(-self.inflammation_rate * dt_months)
        state.inflammation = state.inflammation + relax * (lost_fraction - state.inflammation)
        state.excitotoxicity[self.lmn_index] = affected_fraction[self.umn_of_lmn]
