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

    def __init__(self, cfg: Config, multipliers: dict[str, np.ndarray] | None = None):
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
        # the same index sets as slices when they are contiguous (the default anatomy)
        self._lmn = _as_slice(self.lmn_index)
        self._umn_of_lmn = _as_slice(self.umn_of_lmn)
        # work buffers of the per-step updates
        self._amp, self._tmp, self._drive = np.empty((3, n))
        # scalars as arrays (array-array ufuncs are cheaper than array-scalar ones on 20 values)
        self._const = {
            name: np.full(n, float(value))
            for name, value in (
                ("one", 1.0),
                ("growth", self.growth),
                ("pathology_hazard", self.pathology_hazard),
                ("ageing_hazard", self.ageing_hazard),
                ("inflammation_gain", self.inflammation_gain),
                ("excitotoxicity_gain", self.excitotoxicity_gain),
                ("stress_factor", self.stress_factor),
            )
        }
        self._dt = None
        # treatments (alssim.interventions): per-step multipliers on named mechanism terms, as
        # one dict of constants per step, built once; the loop only moves an index
        self._rows: list[dict[str, np.ndarray]] | None = None
        self._step = 0
        if multipliers:
            self._rows = self._scheduled_constants(cfg, multipliers)
            self._const = self._rows[0]

    #: Mechanism terms a treatment can multiply (see :mod:`alssim.interventions`).
    TERMS = ("pathology_hazard", "local_growth", "spread", "excitotoxicity", "inflammation",
             "oxidative_stress")

    def _scheduled_constants(self, cfg: Config, multipliers: dict[str, np.ndarray]):
        """One dict of constants per step, the named terms multiplied by that step's factor.

        ``multipliers[term]`` has shape (n_steps + 1,) (step ``n`` covers ``t_n .. t_n+1``);
        a factor of exactly 1 reproduces the untreated constants bit for bit.
        """
        unknown = set(multipliers) - set(self.TERMS)
        if unknown:
            raise ValueError(f"unknown mechanism terms {sorted(unknown)}; known: {self.TERMS}")
        n_rows = len(next(iter(multipliers.values())))
        one = np.ones(n_rows)
        m = {t: np.asarray(multipliers.get(t, one), dtype=float) for t in self.TERMS}
        ox = cfg.mechanisms.oxidative_stress
        per_step = {
            "pathology_hazard": self.pathology_hazard * m["pathology_hazard"],
            "growth": self.growth * m["local_growth"],
            "spread": m["spread"],
            "excitotoxicity_gain": self.excitotoxicity_gain * m["excitotoxicity"],
            "inflammation_gain": self.inflammation_gain * m["inflammation"],
            "stress_factor": (1.0 + ox.gain * ox.level * m["oxidative_stress"]) if ox.enabled
            else one,
        }
        tables = {k: np.repeat(v[:, None], self.n_populations, axis=1)
                  for k, v in per_step.items()}
        return [{**self._const, **{k: tab[i] for k, tab in tables.items()}}
                for i in range(n_rows)]

    def initial_state(self, pathology: np.ndarray) -> DriverState:
        """State at biological onset from the seeded pathology load."""
        z = np.zeros(self.n_populations)
        return DriverState(np.asarray(pathology, dtype=float).copy(), z.copy(), z.copy())

    def hazard(self, state: DriverState, out: np.ndarray | None = None) -> np.ndarray:
        """Regional hazard factor ``lambda`` (1/month), shape (n_populations,).

        Parameters
        ----------
        state : DriverState
        out : ndarray, shape (n_populations,), optional
            Where to write the result (the engine reuses one buffer every step).
        """
        # lambda = S * (a + h * p * (1 + g_inf * G) * (1 + g_exc * E)), term by term in place;
        # terms whose mechanism is off are exactly neutral and skipped.
        out = np.empty(self.n_populations) if out is None else out
        amp, tmp, c = self._amp, self._tmp, self._const
        np.multiply(state.pathology, c["pathology_hazard"], out=out)
        if self.inflammation_gain:
            np.multiply(state.inflammation, c["inflammation_gain"], out=amp)
            amp += c["one"]
            if self.excitotoxicity_gain:
                np.multiply(state.excitotoxicity, c["excitotoxicity_gain"], out=tmp)
                tmp += c["one"]
                amp *= tmp
            out *= amp
        elif self.excitotoxicity_gain:
            np.multiply(state.excitotoxicity, c["excitotoxicity_gain"], out=amp)
            amp += c["one"]
            out *= amp
        if self.ageing_hazard:
            out += c["ageing_hazard"]
        if self.stress_factor != 1.0:
            out *= c["stress_factor"]
        return out

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
            State at the start of the step; its arrays are overwritten with the state at its end.
        dt_months : float
            Step length (month).
        lost_fraction : ndarray, shape (n_populations,)
            Fraction of each population dead at the end of the step.
        affected_fraction : ndarray, shape (n_populations,)
            Fraction dysfunctional or dead at the end of the step.
        """
        p = state.pathology
        drive, tmp, c = self._drive, self._tmp, self._const
        if dt_months != self._dt:
            self._dt = dt_months
            minus_dt = np.full(self.n_populations, -dt_months)
            relax = np.full(self.n_populations, -np.expm1(-self.inflammation_rate * dt_months))
            for d in (c, *(self._rows or ())):
                d["minus_dt"], d["relax"] = minus_dt, relax
        # 1 - p <- (1 - p) * exp(-dt * (g * p + K p))
        self.transmission.dot(p, out=drive)  # K p (ndarray.dot: least call overhead)
        if self._rows is not None:
            drive *= c["spread"]
        np.multiply(p, c["growth"], out=tmp)
        drive += tmp
        drive *= c["minus_dt"]
        np.exp(drive, out=drive)
        np.subtract(c["one"], p, out=tmp)
        tmp *= drive
        np.subtract(c["one"], tmp, out=p)
        # G <- G + (1 - exp(-r dt)) (lost - G)
        g = state.inflammation
        np.subtract(lost_fraction, g, out=tmp)
        tmp *= c["relax"]
        g += tmp
        state.excitotoxicity[self._lmn] = affected_fraction[self._umn_of_lmn]
        if self._rows is not None:  # the next step's treatment constants
            self._step = min(self._step + 1, len(self._rows) - 1)
            self._const = self._rows[self._step]


def _as_slice(index: np.ndarray) -> slice | np.ndarray:
    """``index`` as an equivalent slice when it is a contiguous increasing range."""
    if index.size and np.array_equal(index, np.arange(index[0], index[0] + index.size)):
        return slice(int(index[0]), int(index[0]) + index.size)
    return index
