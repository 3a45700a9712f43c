"""Regional drivers: pathology spread and the hazard factor built from named mechanisms.

Everything here acts on vectors over populations (shape ``(n_populations,)``), never on neurons.

Pathology (network FKPP, directed)
    ``dp_i/dt = (1 - p_i) * (g * p_i + sum_j k_ji * p_j)`` with ``g`` the local growth rate and
    ``k_ji`` the rate of the edge ``j -> i`` (contralateral, caudal, rostral, anterograde,
    retrograde, cortical neighbour, callosal, and the long-range pairs an anatomy
    declares, each at ``long_range_rate`` times the pair's relative strength). Advanced with the
    exponential update ``1 - p <- (1 - p) * exp(-dt * (g * p + K p))``, which keeps ``p`` in
    [0, 1] for any step.

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

:class:`RegionalDrivers` holds one patient's parameters; :class:`DriverBatch` does the per-step
arithmetic of several patients at once on ``(n_patients, n_populations)`` arrays (the engine
simulates a batch of patients through one time loop). Every operation is elementwise or per
patient, so a patient's numbers are the same, bit for bit, whatever batch it is in.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from alssim.anatomy import EDGE_KINDS
from alssim.config.schema import Config
from alssim.counting import counting_method
from alssim.driver_kernels import kernels

__all__ = ["DriverBatch", "DriverState", "RegionalDrivers"]


@dataclasses.dataclass
class DriverState:
    """Regional state, each of shape (n_populations,), or (n_patients, n_populations) in a batch.

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
    """The regional, time-varying part of one patient's hazard: its parameters.

    Parameters
    ----------
    cfg : Config
        Anatomy, spread rates and mechanisms.
    multipliers : dict of str to ndarray, optional
        Treatment multipliers on named mechanism terms (:attr:`TERMS`), each of shape
        (n_steps + 1,): element ``n`` applies over step ``n`` (see
        :func:`alssim.interventions.engine_multipliers`).

    Notes
    -----
    The per-step arithmetic is :class:`DriverBatch`'s, for any number of patients: a single
    patient is a batch of one (``DriverBatch([drivers])``).
    """

    #: Mechanism terms a treatment can multiply (see :mod:`alssim.interventions`).
    TERMS = ("pathology_hazard", "local_growth", "spread", "excitotoxicity", "inflammation",
             "oxidative_stress")

    def __init__(self, cfg: Config, multipliers: dict[str, np.ndarray] | None = None):
        anat = cfg.anatomy
        n = anat.n_populations
        edges = anat.spread_edges()
        rates = cfg.spread.edge_rates()
        edge_rate = np.array([rates[EDGE_KINDS[k]] for k in edges.kind]) * edges.weights()
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
        self.umn_of_lmn = anat.umn_population_of(lmn)
        self.n_populations = n
        #: per-step constants of the treated terms, each of shape (n_steps + 1,), or None
        self.schedule: dict[str, np.ndarray] | None = (
            self._scheduled_constants(cfg, multipliers) if multipliers else None)

    def constants(self) -> dict[str, float]:
        """The untreated per-patient constants, by the name :class:`DriverBatch` uses."""
        return {
            "pathology_hazard": self.pathology_hazard,
            "growth": self.growth,
            "spread": 1.0,
            "excitotoxicity_gain": self.excitotoxicity_gain,
            "inflammation_gain": self.inflammation_gain,
            "stress_factor": self.stress_factor,
            "ageing_hazard": self.ageing_hazard,
        }

    def _scheduled_constants(self, cfg: Config, multipliers: dict[str, np.ndarray]):
        """Per-step constants of the multiplied terms, each of shape (n_steps + 1,).

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
        return {
            "pathology_hazard": self.pathology_hazard * m["pathology_hazard"],
            "growth": self.growth * m["local_growth"],
            "spread": m["spread"],
            "excitotoxicity_gain": self.excitotoxicity_gain * m["excitotoxicity"],
            "inflammation_gain": self.inflammation_gain * m["inflammation"],
            "stress_factor": (1.0 + ox.gain * ox.level * m["oxidative_stress"]) if ox.enabled
            else one,
        }


class DriverBatch:
    """The per-step arithmetic of several patients' regional drivers at once.

    Parameters
    ----------
    members : sequence of RegionalDrivers
        One per patient, all of the same anatomy and, if any is treated, the same number of
        steps. Row ``i`` of every array is patient ``i``.
    method : {"numpy", "numba"}, optional
        ``"numba"``: the element-wise arithmetic of a step in the compiled loops of
        :mod:`alssim.driver_kernels`; the same numbers either way. Default
        :func:`alssim.counting.counting_method`.

    Notes
    -----
    A mechanism is computed for the batch if any patient has it; a patient without it gets its
    exact neutral value (gain 0, factor 1), so its numbers do not depend on its batch. The
    transmission product is one stacked ``numpy.matmul`` for the batch.
    """

    def __init__(self, members, method: str | None = None):
        first = members[0]
        if any(m.n_populations != first.n_populations
               or not np.array_equal(m.lmn_index, first.lmn_index) for m in members):
            raise ValueError("patients of a driver batch must share one anatomy")
        k, n = len(members), first.n_populations
        self.n_patients, self.n_populations = k, n
        self.transmission = np.stack([m.transmission for m in members])  # (k, n, n)
        self._lmn = _as_slice(first.lmn_index)
        self._umn_of_lmn = _as_slice(first.umn_of_lmn)
        self._lmn_index = np.ascontiguousarray(first.lmn_index, dtype=np.int64)
        self._umn_index = np.ascontiguousarray(first.umn_of_lmn, dtype=np.int64)
        #: "numba": the element-wise arithmetic in compiled loops (:mod:`alssim.driver_kernels`)
        self.method = counting_method() if method is None else method
        if self.method == "numba":
            kernels()  # compile (or load) them now, not in the first step
        values = [m.constants() for m in members]

        def column(vals) -> np.ndarray:  # (k, n): patient i's value on row i
            return np.repeat(np.asarray(vals, dtype=float)[:, None], n, axis=1)

        # constants as arrays (array-array ufuncs cost less than array-scalar ones on few values)
        self._const = {name: column([v[name] for v in values]) for name in values[0]}
        self._const["one"] = np.ones((k, n))
        self._inflammation_rate = [m.inflammation_rate for m in members]
        self._use_inflammation = any(m.inflammation_gain for m in members)
        self._use_excitotoxicity = any(m.excitotoxicity_gain for m in members)
        self._use_ageing = any(m.ageing_hazard for m in members)
        self._use_stress = any(m.stress_factor != 1.0 for m in members)
        # treatments: per-step tables (n_steps + 1, k, n) of the terms any patient has scheduled
        self._tables: dict[str, np.ndarray] = {}
        scheduled = [m.schedule for m in members]
        if any(s is not None for s in scheduled):
            n_rows = {len(next(iter(s.values()))) for s in scheduled if s is not None}
            if len(n_rows) != 1:
                raise ValueError("treated patients of a driver batch must share their steps")
            rows = n_rows.pop()
            for name in next(s for s in scheduled if s is not None):
                tab = np.empty((rows, k, n))
                for i, (s, v) in enumerate(zip(scheduled, values, strict=True)):
                    tab[:, i, :] = (s[name] if s is not None else np.full(rows, v[name]))[:, None]
                self._tables[name] = tab
            for name, tab in self._tables.items():
                self._const[name] = tab[0]
        self._step = 0
        self._dt: float | None = None
        # work buffers of the per-step updates
        self._amp, self._tmp, self._drive = np.empty((3, k, n))
        self._kernel_args: tuple | None = None  # see _compiled_advance

    def initial_state(self, pathology: np.ndarray) -> DriverState:
        """State at biological onset, arrays of shape (n_patients, n_populations)."""
        z = np.zeros((self.n_patients, self.n_populations))
        return DriverState(np.array(pathology, dtype=float), z.copy(), z.copy())

    def hazard(self, state: DriverState, out: np.ndarray | None = None) -> np.ndarray:
        """Regional hazard factors ``lambda`` (1/month), shape (n_patients, n_populations).

        Parameters
        ----------
        state : DriverState
            Arrays of shape (n_patients, n_populations).
        out : ndarray, shape (n_patients, n_populations), optional
            Where to write the result (the engine reuses one buffer every step).
        """
        # lambda = S * (a + h * p * (1 + g_inf * G) * (1 + g_exc * E)), term by term in place;
        # terms whose mechanism no patient has are exactly neutral and skipped.
        out = np.empty((self.n_patients, self.n_populations)) if out is None else out
        amp, tmp, c = self._amp, self._tmp, self._const
        np.multiply(state.pathology, c["pathology_hazard"], out=out)
        if self._use_inflammation:
            np.multiply(state.inflammation, c["inflammation_gain"], out=amp)
            amp += c["one"]
            if self._use_excitotoxicity:
                np.multiply(state.excitotoxicity, c["excitotoxicity_gain"], out=tmp)
                tmp += c["one"]
                amp *= tmp
            out *= amp
        elif self._use_excitotoxicity:
            np.multiply(state.excitotoxicity, c["excitotoxicity_gain"], out=amp)
            amp += c["one"]
            out *= amp
        if self._use_ageing:
            out += c["ageing_hazard"]
        if self._use_stress:
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
            State at the start of the step, arrays of shape (n_patients, n_populations); they
            are overwritten with the state at its end.
        dt_months : float
            Step length (month).
        lost_fraction : ndarray, shape (n_patients, n_populations)
            Fraction of each population dead at the end of the step.
        affected_fraction : ndarray, shape (n_patients, n_populations)
            Fraction dysfunctional or dead at the end of the step.
        """
        self._advance(state, dt_months, lost_fraction, affected_fraction, None)

    def advance_and_hazard(self, state: DriverState, dt_months: float,
                           lost_fraction: np.ndarray, affected_fraction: np.ndarray,
                           out: np.ndarray) -> np.ndarray:
        """:meth:`advance`, then :meth:`hazard` of the new state into ``out`` (one pass with the
        compiled kernels; the same numbers either way).

        Returns
        -------
        ndarray, shape (n_patients, n_populations)
            ``out``, the hazard factors (1/month) at the end of the step.
        """
        if self.method == "numba" and dt_months == self._dt:
            self._compiled_advance(state, lost_fraction, affected_fraction, out)
        else:
            self._advance(state, dt_months, lost_fraction, affected_fraction, out)
        return out

    def _advance(self, state: DriverState, dt_months: float, lost_fraction: np.ndarray,
                 affected_fraction: np.ndarray, hazard_out: np.ndarray | None) -> None:
        p = state.pathology
        drive, tmp, c = self._drive, self._tmp, self._const
        if dt_months != self._dt:
            self._dt = dt_months
            self._kernel_args = None
            c["minus_dt"] = np.full(p.shape, -dt_months)
            c["relax"] = np.repeat(
                np.array([-np.expm1(-r * dt_months) for r in self._inflammation_rate])[:, None],
                self.n_populations, axis=1)
        # 1 - p <- (1 - p) * exp(-dt * (g * p + K p)); K p of every patient in one stacked
        # product (each patient's product is the BLAS matrix-vector product ndarray.dot makes,
        # so its numbers do not depend on the batch)
        if self.method == "numba":
            self._compiled_advance(state, lost_fraction, affected_fraction, hazard_out)
            return
        np.matmul(self.transmission, p[:, :, None], out=drive[:, :, None])
        if self._tables:
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
        state.excitotoxicity[:, self._lmn] = affected_fraction[:, self._umn_of_lmn]
        self._next_constants()
        if hazard_out is not None:
            self.hazard(state, out=hazard_out)

    def _compiled_advance(self, state: DriverState, lost_fraction: np.ndarray,
                          affected_fraction: np.ndarray, hazard_out: np.ndarray | None) -> None:
        """:meth:`_advance` with the compiled kernels; their arguments are made once and kept
        while the engine passes the same arrays (it does, every step) and no treatment changes
        the constants, so a step costs the calls themselves."""
        arrays = (state.pathology, state.inflammation, state.excitotoxicity, lost_fraction,
                  affected_fraction, hazard_out)
        # the arrays' identities (the kept arguments hold the arrays, so no id is reused)
        key = tuple(map(id, arrays))
        args = self._kernel_args
        if args is None or args[0] != key or self._tables:
            # (a treated batch's constants are other arrays every step: made again each step,
            # the last kernel's after they move to the next step's, below)
            args = self._kernel_args = (key, self._front_args(state.pathology),
                                        None if self._tables else self._finish_args(*arrays),
                                        kernels())
        _, (product, exponent), finish, (spread_exponent, finish_step) = args
        # 1 - p <- (1 - p) * exp(-dt * (g * p + K p)), K p as in the numpy path
        np.matmul(*product)
        spread_exponent(*exponent)
        np.exp(self._drive, out=self._drive)
        if self._tables:
            self._next_constants()
            finish = self._finish_args(*arrays)  # with the next step's constants
        finish_step(*finish)

    def compiled_step_args(self, state: DriverState, dt_months: float,
                           hazard_out: np.ndarray) -> tuple | None:
        """The drivers' arguments of :class:`alssim.step_kernels.CompiledStep`: the stacked
        product's ``(K, p, out)``, the spread exponent's ``(drive, p, growth, minus_dt, spread,
        use_spread)`` and ``finish_step``'s without ``lost`` and ``affected`` (see
        :func:`alssim.step_kernels.kernels`); ``None`` unless the drivers compute with numba,
        have taken a step of ``dt_months`` and keep their constants between steps (no
        treatment tables).

        Parameters
        ----------
        state : DriverState
            The state the engine advances (arrays updated in place).
        dt_months : float
        hazard_out : ndarray, shape (n_patients, n_populations)
            Where each step writes the next hazard factor.
        """
        if self.method != "numba" or self._tables or dt_months != self._dt:
            return None
        product, exponent = self._front_args(state.pathology)
        finish = self._finish_args(state.pathology, state.inflammation, state.excitotoxicity,
                                   None, None, hazard_out)
        # without lost (3), affected (6) and want_hazard (last): the compiled step supplies them
        return product, exponent, finish[:3] + finish[4:6] + finish[7:-1]

    def _front_args(self, p) -> tuple:
        """Arguments of the stacked product and of the compiled ``spread_exponent`` (see
        :mod:`alssim.driver_kernels`), for this step's constants."""
        c, drive = self._const, self._drive
        product = (self.transmission, p[:, :, None], drive[:, :, None])
        exponent = (drive, p, c["growth"], c["minus_dt"], c["spread"], bool(self._tables))
        return product, exponent

    def _finish_args(self, p, g, e, lost, affected, hazard_out) -> tuple:
        """Arguments of the compiled ``finish_step``, for the constants of the next step's
        hazard."""
        c, drive = self._const, self._drive
        want = hazard_out is not None
        return (p, drive, g, lost, c["relax"], e, affected, self._lmn_index, self._umn_index,
                hazard_out if want else drive, c["pathology_hazard"], c["inflammation_gain"],
                c["excitotoxicity_gain"], c["ageing_hazard"], c["stress_factor"],
                self._use_inflammation, self._use_excitotoxicity, self._use_ageing,
                self._use_stress, want)

    def __getstate__(self) -> dict:
        # the kept kernel arguments hold views of the state, which a copy would not keep
        # views of: a copy (or unpickled batch) makes its own
        return {**self.__dict__, "_kernel_args": None}

    def _next_constants(self) -> None:
        """Move the treated terms' constants to the next step's."""
        if self._tables:
            self._step += 1
            for name, tab in self._tables.items():
                self._const[name] = tab[min(self._step, len(tab) - 1)]


def _as_slice(index: np.ndarray) -> slice | np.ndarray:
    """``index`` as an equivalent slice when it is a contiguous increasing range."""
    if index.size and np.array_equal(index, np.arange(index[0], index[0] + index.size)):
        return slice(int(index[0]), int(index[0]) + index.size)
    return index
