"""``assess(result)``: the whole clinical course of one simulated patient.

Pipeline (each step a pure, vectorised function of the recorded state; no random numbers):

1. pools by segment x side (:mod:`~alssim.clinical.pools`);
2. strength: collateral reinnervation with a lag and a capacity, innervated fraction, UMN drive,
   MRC grade, atrophy; per muscle (each a part of its segment's pool, lost with its
   vulnerability exponent), a segment's strength the mean of its muscles', and the MRC sum score
   of the limb muscles (:mod:`~alssim.clinical.strength`);
3. UMN signs a clinician examines in each region: Modified Ashworth (masked by the muscle
   left), tendon reflexes and Babinski in the limbs, jaw jerk and pseudobulbar signs (bulbar),
   abdominal reflexes (thoracic) (:mod:`~alssim.clinical.umn_signs`); fasciculations
   (:mod:`~alssim.clinical.fasciculations`);
4. function capacity, involvement and clinical onset, ALSFRS-R items, domains, total
   (:mod:`~alssim.clinical.alsfrs`); FVC, ventilation and gastrostomy needs, death from
   respiratory failure (:mod:`~alssim.clinical.respiratory`);
5. King's and MiToS stages (:mod:`~alssim.clinical.staging`);
6. EMG, MUNE, CMAP, split hand (:mod:`~alssim.clinical.electro`); El Escorial, Awaji, Gold Coast
   and the diagnosis visit (:mod:`~alssim.clinical.diagnosis`);
7. headline numbers: onset, spread, stage entries, diagnosis, survival, ΔFS, slope and D50
   (:mod:`~alssim.clinical.progression`).

Times are months from biological onset in the arrays (as in the Result); the summary reports them
from clinical onset, as the literature does.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd

from alssim.anatomy import ALSFRS_ITEMS, EL_ESCORIAL_REGIONS, KINGS_REGIONS, SIDES
from alssim.care_draws import default_clinical_draws
from alssim.clinical import alsfrs as _alsfrs
from alssim.clinical import diagnosis as _dx
from alssim.clinical import electro as _emg
from alssim.clinical import fasciculations as _fasc
from alssim.clinical import pathway as _path
from alssim.clinical import phenotype as _phenotype
from alssim.clinical import progression as _prog
from alssim.clinical import respiratory as _resp
from alssim.clinical import staging as _stage
from alssim.clinical import strength as _str
from alssim.clinical import umn_signs as _umn
from alssim.clinical._util import first_time, ratio, running_any
from alssim.clinical.pools import pool_state
from alssim.interventions import clinical_modifiers

__all__ = ["CLINICAL_VARIABLES", "ClinicalCourse", "ClinicalVariable", "assess"]


@dataclasses.dataclass(frozen=True)
class ClinicalVariable:
    """Meaning and range of one clinical variable.

    Attributes
    ----------
    level : str
        ``"segment"`` (shape (T, S, 2)), ``"muscle"`` (shape (T, M, 2)) or ``"global"`` (T,).
    unit : str
    doc : str
    low, high : float
        Range of valid values (NaN allowed only where documented).
    levels : tuple of float, optional
        The only values the variable takes (ordinal scores).
    defined_after_death : bool
        The variable keeps a value at records after the patient's death (``patient_alive``, 0
        then, and ``months_from_clinical_onset``, a time). Every other variable describes the
        living patient: it is NaN at every record after the record of death in
        :meth:`ClinicalCourse.while_alive`, the tidy tables (``timeseries.csv``) and the figures.
    """

    level: str
    unit: str
    doc: str
    low: float = 0.0
    high: float = 1.0
    levels: tuple[float, ...] | None = None
    defined_after_death: bool = False


_B = (0.0, 1.0)
_G4 = (0.0, 1.0, 2.0, 3.0, 4.0)
CLINICAL_VARIABLES: dict[str, ClinicalVariable] = {
    "strength": ClinicalVariable("segment", "1", "force as a fraction of healthy: the mean "
                                 "of the segment's muscles (muscle_strength)"),
    "mrc": ClinicalVariable("segment", "grade", "MRC grade 0-5", 0, 5, (0, 1, 2, 3, 4, 5)),
    "innervated": ClinicalVariable("segment", "1", "innervated fraction of healthy fibres"),
    "reinnervated": ClinicalVariable("segment", "1",
                                     "fibres adopted by surviving units, fraction of healthy"),
    "atrophy": ClinicalVariable("segment", "1", "denervated fraction of healthy fibres"),
    "atrophy_sign": ClinicalVariable("segment", "bool", "visible wasting", levels=_B),
    "umn_drive": ClinicalVariable("segment", "1", "voluntary drive left after UMN loss"),
    "umn_index": ClinicalVariable("segment", "1", "UMN damage: lost + w * dysfunctional"),
    "ashworth": ClinicalVariable("segment", "MAS", "Modified Ashworth (1+ coded 1.5), limbs; "
                                 "NaN in bulbar and thoracic segments (not examined)", 0, 4,
                                 _umn.ASHWORTH_LEVELS),
    "reflex": ClinicalVariable("segment", "grade", "limb tendon reflex 0 absent .. 2 normal .. "
                               "3 brisk .. 4 clonus; NaN in bulbar and thoracic segments", 0, 4,
                               _G4),
    "babinski": ClinicalVariable("segment", "bool", "extensor plantar response; NaN outside "
                                 "lumbosacral segments", levels=_B),
    "jaw_jerk": ClinicalVariable("segment", "grade", "jaw jerk 0 absent .. 2 normal .. 3 brisk "
                                 ".. 4 jaw clonus; NaN outside bulbar segments", 0, 4, _G4),
    "pseudobulbar_signs": ClinicalVariable(
        "segment", "bool", "brisk facial/gag reflexes, spastic dysarthria, pathological "
        "laughing and crying; NaN outside bulbar segments", levels=_B),
    "abdominal_reflexes_lost": ClinicalVariable(
        "segment", "bool", "superficial abdominal reflexes absent (UMN damage or an empty "
        "abdominal wall); NaN outside thoracic segments", levels=_B),
    "umn_sign": ClinicalVariable("segment", "bool", "clinical UMN sign examined in the region: "
                                 "limbs MAS >= 1, reflex >= 3 or Babinski; bulbar jaw jerk >= 3 "
                                 "or pseudobulbar signs; thoracic abdominal reflexes lost from "
                                 "UMN damage", levels=_B),
    "lmn_sign": ClinicalVariable("segment", "bool", "clinical LMN sign (LMN weakness or "
                                 "wasting; fasciculations alone do not count)", levels=_B),
    "fasciculation_rate": ClinicalVariable("segment", "1/min",
                                           "fasciculations in a representative muscle", 0,
                                           math.inf),
    "fasciculation_score": ClinicalVariable("segment", "score", "fasciculations 0-4", 0, 4,
                                            _G4),
    "function": ClinicalVariable("segment", "1", "function capacity of the segment"),
    "involved": ClinicalVariable("segment", "bool", "clinically involved (cumulative)",
                                 levels=_B),
    "fibrillation_density": ClinicalVariable("segment", "1", "fibrillating fibre fraction"),
    "fibrillation_grade": ClinicalVariable("segment", "grade", "fibrillations/PSW 0-4", 0, 4,
                                           _G4),
    "fasciculation_potentials": ClinicalVariable("segment", "bool", "on needle EMG",
                                                 levels=_B),
    "mup_enlargement": ClinicalVariable("segment", "1", "mean unit enlargement (A+R)/A; NaN "
                                        "with no unit left", 1, math.inf),
    "chronic_neurogenic": ClinicalVariable("segment", "bool", "large MUPs on EMG", levels=_B),
    "emg_lmn_sign": ClinicalVariable("segment", "bool", "El Escorial EMG LMN sign", levels=_B),
    "emg_lmn_sign_awaji": ClinicalVariable("segment", "bool", "Awaji EMG LMN sign", levels=_B),
    "split_hand_index": ClinicalVariable("segment", "1", "APB x FDI / ADM CMAP; NaN where the "
                                         "muscles are absent", 0, math.inf),
    "mune": ClinicalVariable("muscle", "units", "motor-unit number estimate (MUNE/MUNIX)", 0,
                             math.inf),
    "mune_percent": ClinicalVariable("muscle", "%", "MUNE, % of healthy", 0, 100),
    "cmap_percent": ClinicalVariable("muscle", "%", "CMAP amplitude, % of healthy", 0, 100),
    "muscle_strength": ClinicalVariable("muscle", "1", "force of the muscle as a fraction of "
                                        "healthy"),
    "muscle_mrc": ClinicalVariable("muscle", "grade", "MRC grade 0-5 of the muscle", 0, 5,
                                   (0, 1, 2, 3, 4, 5)),
    "mrc_sum_score": ClinicalVariable("global", "points", "MRC sum score (megascore): MRC "
                                      "grades of the limb muscles (segments of the King's "
                                      "upper and lower limb regions) added over both sides, "
                                      "0 to 10 x their number (120 with the default anatomy)",
                                      0, math.inf),
    **{f"alsfrs_r_{name}": ClinicalVariable("global", "points", f"ALSFRS-R item {i + 1}", 0, 4,
                                            _G4)
       for i, name in enumerate(ALSFRS_ITEMS)},
    **{f"alsfrs_r_{name}_domain": ClinicalVariable("global", "points", f"ALSFRS-R {name} "
                                                   "domain", 0, 12,
                                                   tuple(float(v) for v in range(13)))
       for name in _alsfrs.ALSFRS_DOMAINS},
    "alsfrs_r": ClinicalVariable("global", "points", "ALSFRS-R total", 0, 48,
                                 tuple(float(v) for v in range(49))),
    "fvc_percent": ClinicalVariable("global", "% predicted", "forced vital capacity", 0, 200),
    "niv_needed": ClinicalVariable("global", "bool", "non-invasive ventilation indicated "
                                   "(King's 4B; cumulative)", levels=_B),
    "pump_strength": ClinicalVariable("global", "1", "strength of the respiratory pump "
                                      "(diaphragm, intercostal and accessory muscles)"),
    "snip_cmh2o": ClinicalVariable("global", "cmH2O", "sniff nasal inspiratory pressure", 0,
                                   300),
    "diaphragm_strength": ClinicalVariable("global", "1", "strength of the diaphragm"),
    "inspiratory_vc_percent": ClinicalVariable(
        "global", "% predicted", "vital capacity the inspiratory muscles give (FVC without the "
        "loss of the expiratory reserve volume): hypercapnic failure follows it", 0, 200),
    "rem_ventilation_percent": ClinicalVariable(
        "global", "% predicted", "vital capacity of the diaphragm alone (REM sleep, when the "
        "other respiratory muscles are atonic)", 0, 200),
    "on_niv": ClinicalVariable("global", "bool", "using non-invasive ventilation", levels=_B),
    "on_tracheostomy": ClinicalVariable("global", "bool", "invasively ventilated", levels=_B),
    "aspiration_hazard": ClinicalVariable("global", "1/month",
                                          "hazard of fatal aspiration pneumonia", 0, math.inf),
    "gastrostomy_needed": ClinicalVariable("global", "bool", "gastrostomy needed", levels=_B),
    "patient_alive": ClinicalVariable("global", "bool", "not yet dead of respiratory failure "
                                      "(0 from the record of death on)", levels=_B,
                                      defined_after_death=True),
    "months_from_clinical_onset": ClinicalVariable(
        "global", "month", "record time from clinical onset; NaN (rows left out) without one",
        -math.inf, math.inf, defined_after_death=True),
    "kings_stage": ClinicalVariable("global", "stage", "King's 0-3, 4 = 4A, 4.5 = 4B, 5 death",
                                    0, 5, _stage.KINGS_LEVELS),
    "kings_stage_estimated": ClinicalVariable(
        "global", "stage", "King's stage estimated from the ALSFRS-R as studies without "
        "clinical staging do (Balendra 2014): regions with an item below 4 (bulbar items 1-3, "
        "upper limb 4-5, lower limb 8), 4 = 4A tube fed, 4.5 = 4B item 10 = 0 or item 12 < 4, "
        "5 death (alssim.clinical.staging.kings_stage_from_alsfrs)", 0, 5,
        _stage.KINGS_LEVELS),
    "mitos_stage": ClinicalVariable("global", "stage", "MiToS 0-5", 0, 5, (0, 1, 2, 3, 4, 5)),
    "el_escorial": ClinicalVariable("global", "category", "revised El Escorial code (0 none .. "
                                    "4 definite)", 0, 4, _G4),
    "awaji": ClinicalVariable("global", "category", "Awaji code (0 none .. 3 definite)", 0, 3,
                              (0.0, 1.0, 2.0, 3.0)),
    "gold_coast": ClinicalVariable("global", "bool", "Gold Coast criteria met", levels=_B),
    "diagnosed": ClinicalVariable("global", "bool", "diagnosis made", levels=_B),
}


def _freeze(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    for v in d.values():
        v.setflags(write=False)
    return d


def _num(x: float | None, digits: int = 6) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), digits)


@dataclasses.dataclass(frozen=True, eq=False)
class ClinicalCourse:
    """The clinical course of one patient: labelled arrays and headline events.

    Attributes
    ----------
    times_months : ndarray, shape (T,)
        Record times, months from biological onset.
    clinical_onset_months : float
        Months from biological onset to clinical onset; ``inf`` if not within the horizon.
    segments : tuple of str
        Segment names, rostral to caudal (S).
    muscles : tuple of str
        Representative muscles (M) and ``muscle_segments`` their segment names.
    segment_variables : dict of str to ndarray, each shape (T, S, 2)
    muscle_variables : dict of str to ndarray, each shape (T, M, 2)
    global_variables : dict of str to ndarray, each shape (T,)
    events : dict
        Headline facts, JSON-ready (see :meth:`summary`).

    All arrays are read-only; see :data:`CLINICAL_VARIABLES` for meanings, units and ranges.

    Values after death: the arrays above (and ``course[name]``) hold the model's state at every
    record up to the horizon, including records after the patient died (the neurons go on
    dying in the engine; the events in :meth:`summary` are read from these arrays and never
    count anything after death). The patient's own values stop at death:
    :meth:`while_alive`, :meth:`to_dataframe`, ``Result.to_dataframe``, ``timeseries.csv`` and
    the figures give NaN at every record after the record of death (:attr:`after_death`) for
    every variable except ``patient_alive`` and ``months_from_clinical_onset``. The record of
    death itself (``summary()["death_months"]``) keeps its values: the state at death.
    """

    times_months: np.ndarray
    clinical_onset_months: float
    segments: tuple[str, ...]
    muscles: tuple[str, ...]
    muscle_segments: tuple[str, ...]
    segment_variables: dict[str, np.ndarray]
    muscle_variables: dict[str, np.ndarray]
    global_variables: dict[str, np.ndarray]
    events: dict[str, Any]

    @property
    def months_from_clinical_onset(self) -> np.ndarray:
        """Record times from clinical onset, shape (T,); NaN without clinical onset."""
        if not math.isfinite(self.clinical_onset_months):
            return np.full(len(self.times_months), np.nan)
        return self.times_months - self.clinical_onset_months

    @property
    def after_death(self) -> np.ndarray:
        """Records after the record of death, bool shape (T,); all false for a censored patient.

        The record of death (the first at which ``patient_alive`` is 0) is not included.
        """
        dead = ~np.asarray(self.global_variables["patient_alive"], dtype=bool)
        out = np.cumsum(dead) > 1
        out.setflags(write=False)
        return out

    def __getitem__(self, name: str) -> np.ndarray:
        """The model's array of clinical variable ``name`` (every record; see the class notes)."""
        for d in (self.segment_variables, self.global_variables, self.muscle_variables):
            if name in d:
                return d[name]
        raise KeyError(f"no clinical variable {name!r}; see alssim.clinical.CLINICAL_VARIABLES")

    def while_alive(self, name: str) -> np.ndarray:
        """The patient's values of clinical variable ``name``: NaN at every record after death.

        Parameters
        ----------
        name : str
            A key of :data:`CLINICAL_VARIABLES`.

        Returns
        -------
        ndarray of float64
            ``course[name]`` as floats (booleans 0/1), NaN at the records of
            :attr:`after_death` unless the variable is ``defined_after_death``; read-only.
        """
        arr = np.array(self[name], dtype=np.float64)
        spec = CLINICAL_VARIABLES.get(name)
        if spec is None or not spec.defined_after_death:
            arr[self.after_death] = np.nan
        arr.setflags(write=False)
        return arr

    def select(self, name: str, segment: str, side: str) -> np.ndarray:
        """One segment-level variable in one segment and side, shape (T,)."""
        return self.segment_variables[name][:, self.segments.index(segment),
                                            SIDES.index(side)]

    def summary(self) -> dict[str, Any]:
        """Headline facts (JSON-ready; ``None`` where not reached within the horizon).

        Keys: ``clinical_onset_months`` (from biological onset), ``onset_segment``,
        ``onset_side``, ``segment_involvement_months`` and ``region_involvement_months`` (King's
        regions), ``first_spread`` (direction contralateral / rostral / caudal, segment, side,
        months), ``kings_stage_months`` (1-3: first time at least that stage; 4A and 4B: first
        need of gastrostomy and of ventilation; 5: death) and ``mitos_stage_months`` (first time
        the stage reached at least each level), ``diagnosis`` (see below), ``death_months``,
        ``survival_months``, ``cause_of_death``,
        ``censored``, ``alsfrs_r_dfs``, ``alsfrs_r_slope_per_month``, ``d50``, ``phenotype``
        and ``motor_units`` (see :mod:`alssim.clinical.phenotype`).
        Breathing and care: ``cause_of_death`` (``"respiratory_failure"``, hypercapnic failure
        of the pump, or ``"aspiration_pneumonia"``; ``None`` while alive),
        ``kings_estimated_stage_months`` (first entry of King's stages 1, 2, 3, 4A and 4B
        estimated from the ALSFRS-R as studies without clinical staging do, Balendra 2014; the
        variable ``kings_stage_estimated``; read by the validation's standardised stage times),
        ``kings_stage_duration_months`` (months in King's stages 1, 2, 3 and 4 — 4A and 4B
        together — from entry to the entry of the next stage reached or death; ``None`` where
        a stage was skipped or not left), ``niv_start_months``, ``tracheostomy_months`` and
        ``gastrostomy_months`` (treatments given, when configured in ``[interventions]``; the
        needs are King's 4B and 4A in ``kings_stage_months``), ``fvc_slope_per_month``
        (least-squares FVC slope from clinical onset to death, % predicted per month) and
        ``fvc_trial_slope_per_month`` (the slope over 12 months from the entry of a trial
        that enrols patients within 24 months of onset with FVC >= 65%, revised El Escorial
        possible or better and able to swallow tablets (swallowing item >= 1), entered 15.6
        months after onset; :func:`alssim.clinical.respiratory.trial_entry`; ``None`` for
        a patient not enrolled), and ``trial_entry``: ``months`` (from clinical onset),
        ``alsfrs_r`` and ``fvc_percent`` at that trial's entry record (``None`` each for a
        patient not enrolled), to compare the enrolled patients with the trial's baseline.
        Diagnosis (:mod:`alssim.clinical.pathway`), ``diagnosis``: ``months`` (the diagnostic
        delay: clinical onset to the neurology visit where the criterion is met), ``criteria``,
        ``el_escorial``, ``awaji``, ``gold_coast`` (categories as seen at that visit: EMG
        findings only if the EMG had been done), ``alsfrs_r``, ``fvc_percent``,
        ``kings_stage`` (4 = 4A, 4.5 = 4B) and ``mitos_stage`` at that visit (the limb MUNE sum
        score then is ``motor_units.mune_at_diagnosis_percent``),
        ``first_consultation_months``, ``first_neurology_months`` and ``emg_months`` (the
        patient's pathway, even if the diagnosis is not reached), ``emg_before_diagnosis`` and
        ``first_visit_umn_regions`` (El Escorial regions with clinical UMN signs at the first
        neurology visit); ``onset_muscle_mune_50_months``: when MUNE first falls to half of
        healthy in a muscle of the onset segment and side (negative: before clinical onset).
        ``clinical_onset_months`` and ``death_months`` count from biological onset; every other
        ``*_months`` value counts from clinical onset.
        """
        return dict(self.events)

    def records_to_blank(self, after_death: str = "nan") -> np.ndarray:
        """Records an exported table leaves empty, shape (n_times,): those after the record of
        death for ``after_death='nan'``, none for ``'keep'``.

        Raises
        ------
        ValueError
            If ``after_death`` is neither ``'nan'`` nor ``'keep'``.
        """
        if after_death not in ("nan", "keep"):
            raise ValueError(f"after_death must be 'nan' or 'keep'; got {after_death!r}")
        if after_death == "nan":
            return self.after_death
        return np.zeros(len(self.times_months), dtype=bool)

    def to_dataframe(self, *, after_death: str = "nan"):
        """Tidy table of every clinical variable.

        Parameters
        ----------
        after_death : {'nan', 'keep'}
            ``'nan'`` (default): at every record after the record of death the value is NaN
            (the row is kept, so death shows as missing data) except for ``patient_alive`` and
            ``months_from_clinical_onset``. ``'keep'``: the model's values at every record.

        Returns
        -------
        pandas.DataFrame
            Columns ``time_months`` (from biological onset), ``segment``, ``side``,
            ``population``, ``variable``, ``value``. Segment-level variables: ``population`` =
            ``"clinical"``; muscle-level ones: ``population`` = the muscle name and ``segment``
            its segment; global ones: ``segment = "all"``, ``side = "both"``, ``population =
            "clinical"``. Booleans are 0/1. Rows whose value is undefined in life (NaN: e.g.
            ``mup_enlargement`` with no unit left) are left out; rows after death are kept with
            value NaN.

        Raises
        ------
        ValueError
            If ``after_death`` is neither ``'nan'`` nor ``'keep'``.
        """

        dead = self.records_to_blank(after_death)
        t = self.times_months
        n_t = len(t)
        # (name, segment, side, population: each a column or one value, values (T, k))
        frames: list[tuple[str, Any, Any, Any, np.ndarray]] = []
        n_s = len(self.segments)
        seg = np.repeat(np.array(self.segments), 2)
        side = np.tile(np.array(SIDES), n_s)
        for name, arr in self.segment_variables.items():
            frames.append((name, np.tile(seg, n_t), np.tile(side, n_t), "clinical",
                           arr.reshape(n_t, -1)))
        n_m = len(self.muscles)
        mseg = np.repeat(np.array(self.muscle_segments, dtype=object), 2)
        mname = np.repeat(np.array(self.muscles, dtype=object), 2)
        mside = np.tile(np.array(SIDES), n_m)
        for name, arr in self.muscle_variables.items():
            frames.append((name, np.tile(mseg, n_t), np.tile(mside, n_t), np.tile(mname, n_t),
                           arr.reshape(n_t, -1)))
        for name, arr in self.global_variables.items():
            frames.append((name, "all", "both", "clinical", arr.reshape(n_t, 1)))
        out = []
        for name, seg_col, side_col, pop_col, arr in frames:
            k = arr.shape[1]
            if k == 0:
                continue
            value = arr.astype(np.float64)
            masked = np.zeros(value.shape, dtype=bool)
            spec = CLINICAL_VARIABLES.get(name)
            if spec is None or not spec.defined_after_death:
                masked[dead] = True
            # undefined in life: row left out; after death: row kept, value NaN, for the
            # columns (segment, side) the variable has in life; a sign never examined in a
            # segment (no bulbar Ashworth) has no rows there at all
            life = ~masked.any(axis=1)
            defined = (np.asarray(~np.isnan(value[life]).all(axis=0)) if life.any()
                       else np.ones(k, dtype=bool))
            keep = (~np.isnan(value) | (masked & defined[None, :])).ravel()
            value[masked] = np.nan
            df = pd.DataFrame({
                "time_months": np.repeat(t, k),
                "segment": seg_col,
                "side": side_col,
                "population": pop_col,
                "variable": name,
                "value": value.ravel(),
            })
            out.append(df[keep] if not keep.all() else df)
        return pd.concat(out, ignore_index=True)


def assess(result, params=None) -> ClinicalCourse:
    """Derive the clinical course of a simulated patient.

    Parameters
    ----------
    result : Result
        From :func:`alssim.simulate`.
    params : alssim.clinical.params.Clinical, optional
        Clinical parameters; default ``result.config.clinical``.

    Returns
    -------
    ClinicalCourse

    Examples
    --------
    >>> import alssim
    >>> from alssim.clinical import assess
    >>> res = alssim.simulate(alssim.load_config(overrides={"simulation.scale": 0.01}), seed=1)
    >>> course = assess(res)
    >>> int(course["alsfrs_r"][0])
    48
    """
    cfg = result.config
    p = params if params is not None else cfg.clinical
    anat = cfg.anatomy
    n_seg = anat.n_segments
    ps = pool_state(result)
    t = ps.times_months

    # 2. strength
    st = p.strength
    healthy = np.broadcast_to(ps.size_healthy, ps.size_alive.shape)
    # treatments of the clinical layer (alssim.interventions): None when none is given
    mods = None
    if cfg.interventions.any_enabled:
        mods = clinical_modifiers(cfg, t)
    enlargement = (st.max_unit_enlargement if mods is None
                   else mods.max_unit_enlargement(st.max_unit_enlargement))
    reinn = _str.reinnervated_fibres(
        t, ps.size_healthy, ps.size_alive, ps.size_dysfunctional,
        max_unit_enlargement=enlargement, delay_months=st.reinnervation_delay_months,
        dysfunctional_sprouting=st.dysfunctional_sprouting, enabled=st.reinnervation)
    innervated = _str.innervated_fraction(ps.size_healthy, ps.size_alive, reinn)
    denervated = 1.0 - innervated
    own_lost = np.clip(1.0 - ratio(ps.size_alive, healthy, fill=1.0), 0.0, 1.0)
    drive = _str.umn_drive(ps.umn_lost, st.umn_weakness, st.umn_reserve)
    # muscles: each owns a part of its segment's pool, lost with its vulnerability exponent;
    # the same reinnervation, per muscle, then the segment's UMN drive
    muscles = [(m, s) for s, seg in enumerate(anat.segments) for m in seg.muscles]
    m_names = tuple(m.name for m, _ in muscles)
    m_seg = np.array([s for _, s in muscles], dtype=np.int64)
    m_units = np.array([m.motor_units for m, _ in muscles], dtype=float)
    expo = np.array([m.vulnerability for m, _ in muscles], dtype=float)
    m_own, m_dys = _str.muscle_pools(ratio(ps.size_alive, healthy)[:, m_seg],
                                     ratio(ps.size_dysfunctional, healthy)[:, m_seg], expo)
    m_reinn = _str.reinnervated_fibres(
        t, 1.0, m_own, m_dys, max_unit_enlargement=enlargement,
        delay_months=st.reinnervation_delay_months,
        dysfunctional_sprouting=st.dysfunctional_sprouting, enabled=st.reinnervation)
    m_innervated = _str.innervated_fraction(1.0, m_own, m_reinn)
    m_strength = m_innervated * drive[:, m_seg]
    strength = innervated * drive  # segments without muscles keep their pool's strength
    if mods is not None:
        strength = mods.strengthen(strength)
        m_strength = mods.strengthen(m_strength)
    strength = _str.segment_mean(m_strength, m_seg, strength)
    mrc = _str.mrc_grade(strength, st.mrc_thresholds)
    m_mrc = _str.mrc_grade(m_strength, st.mrc_thresholds)
    limb_muscle = np.array([anat.segments[s].kings_region in ("upper_limb", "lower_limb")
                            for s in m_seg], dtype=bool)
    mrc_sum = _str.mrc_sum_score(m_mrc, limb_muscle)
    atrophy_sign = _str.atrophy_sign(denervated, st.atrophy_threshold)

    # 3. UMN signs, fasciculations
    us = p.umn_signs
    uidx = _umn.umn_index(ps.umn_lost, ps.umn_dysfunctional_fraction, us.dysfunction_weight)
    eff = _umn.effective_umn_index(uidx, innervated)
    # each sign only where a clinician examines it (NaN elsewhere); umn_sign counts those. A
    # segment serving breathing alone (the phrenic nucleus: the diaphragm) has no tone, tendon
    # reflex or plantar response to examine, whatever its El Escorial region
    breathing_only = np.array([s.serves_breathing_only for s in anat.segments])
    examined_as = ["not_examined" if b else s.el_escorial_region
                   for s, b in zip(anat.segments, breathing_only, strict=True)]
    signs = _umn.regional_signs(uidx, innervated, examined_as, us)
    fc = p.fasciculations
    umn_affected = np.clip(ps.umn_lost + ps.umn_dysfunctional_fraction, 0.0, 1.0)
    frate = _fasc.fasciculation_rate(
        ps.lmn_dysfunctional / ps.lmn_count, umn_affected, rate_per_unit=fc.rate_per_unit,
        reference_motor_units=fc.reference_motor_units,
        disinhibition_gain=fc.umn_disinhibition_gain)
    fscore = _fasc.fasciculation_score(frate, fc.score_thresholds)
    # fasciculations are a sign seen on inspection: the diaphragm's cannot be (the rate stays,
    # for the EMG of the segment)
    fscore[:, breathing_only, :] = 0

    # 4. function, ALSFRS-R, respiration, death
    fn = p.function
    capacity = _alsfrs.function_capacity(strength, eff, fn.spasticity_penalty)
    involved = _alsfrs.involvement(capacity, fn.involvement_threshold)
    shares = _alsfrs.item_shares(anat)
    dominant = SIDES.index(cfg.onset.dominant_side)
    item_fn = _alsfrs.item_function(capacity, shares, dominant)
    items = _alsfrs.item_scores(item_fn, fn.item_thresholds,
                                {"salivation": fn.salivation_thresholds,
                                 "swallowing": fn.swallowing_thresholds,
                                 "climbing_stairs": fn.climbing_stairs_thresholds})
    # breathing: the pump and the diaphragm, the NIV indication, support given, death
    rp = p.respiratory
    draws = getattr(result, "clinical_draws", None) or default_clinical_draws()
    pump = _resp.pump_strength(strength, _resp.pump_weights(shares))
    diaphragm = _resp.pump_strength(strength, _resp.diaphragm_weights(shares))
    dysp = ALSFRS_ITEMS.index("dyspnoea")
    orth = ALSFRS_ITEMS.index("orthopnoea")
    resp12 = ALSFRS_ITEMS.index("respiratory_insufficiency")
    items[:, dysp] = _alsfrs.item_scores(pump[:, None], rp.dyspnoea_thresholds)[:, 0]
    items[:, orth] = _alsfrs.item_scores(diaphragm[:, None], rp.orthopnoea_thresholds)[:, 0]
    # a segment that serves breathing alone (the phrenic nucleus) is clinically involved only
    # once breathing symptoms appear: weak but silent before that
    breathless = (items[:, dysp] < 4) | (items[:, orth] < 4)
    if breathing_only.any():
        involved = involved.copy()
        involved[:, breathing_only, :] &= running_any(breathless)[:, None, None]
    onset_t = float(first_time(np.asarray(involved.any(axis=(1, 2))), t))
    # ventilation at rest, and so hypercapnic failure, needs the inspiratory muscles: weak
    # expiratory muscles lower the measured FVC (and so indicate NIV) but do not stop breathing
    inspiratory_vc = _resp.fvc_percent(pump, rp.fvc_healthy, rp.fvc_strength_exponent)
    expiratory = _resp.pump_strength(strength, _resp.expiratory_weights(shares))
    # what spirometry reads: the patient's own vital capacity before the disease, not the mean
    own_healthy = _resp.own_healthy_fvc(rp.fvc_healthy, rp.fvc_healthy_sd,
                                        draws.get("healthy_fvc", 0.5))
    fvc = (inspiratory_vc * (own_healthy / rp.fvc_healthy)
           * _resp.expiratory_retained(expiratory, rp.expiratory_vc_share))
    snip = _resp.snip_cmh2o(diaphragm, rp.snip_healthy)
    # in REM sleep the intercostal and accessory muscles are atonic: the diaphragm alone
    # ventilates (Arnulf 2000 Am J Respir Crit Care Med 161:849)
    rem_fvc = _resp.fvc_percent(diaphragm, rp.fvc_healthy, rp.fvc_strength_exponent)
    hypoventilating = _resp.hypoventilation(inspiratory_vc, rem_fvc, rp.hypercapnia_fvc)
    niv = _resp.niv_indicated(fvc, snip, items[:, orth], niv_fvc=rp.niv_fvc,
                              niv_snip=rp.niv_snip, orthopnoea_score=rp.niv_orthopnoea_item,
                              hypoventilating=hypoventilating)
    swallow = ALSFRS_ITEMS.index("swallowing")
    gastro = running_any(items[:, swallow] <= rp.gastrostomy_swallowing_item)
    bulbar_domain = items[:, list(_alsfrs.ALSFRS_DOMAINS["bulbar"])].sum(axis=1)
    own_failure = _resp.failure_level(rp.failure_fvc, rp.failure_reserve_sigma,
                                      draws["respiratory_reserve"], rp.hypercapnia_fvc)
    # the same factor carries the patient's reserve to every treated level
    reserve = own_failure / rp.failure_fvc if rp.failure_fvc > 0 else 1.0
    if mods is None:
        on_niv = on_trach = np.zeros(len(t), dtype=bool)
        failure = np.full(len(t), own_failure)
        asp_mult: np.ndarray | float = 1.0
    else:
        on_niv = mods.niv_used(bulbar_domain, draws["ventilation_tolerance"])
        on_trach = mods.tracheostomy_used()
        failure = mods.failure_fvc(own_failure, bulbar_domain, reserve_factor=reserve,
                                   tolerance_quantile=draws["ventilation_tolerance"])
        asp_mult = mods.aspiration_multiplier()
    items[:, resp12] = _resp.support_item(on_niv, on_trach, fvc, night_fvc=rp.niv_night_fvc,
                                          continuous_fvc=rp.niv_continuous_fvc)
    domains = _alsfrs.domain_scores(items)
    total = items.sum(axis=1).astype(np.int16)
    # airway protection follows the bulbar muscles' strength, not the spasticity penalty:
    # protective reflexes (gag, cough) are kept, even brisk, in pseudobulbar (UMN) palsy, while
    # flaccid (LMN) bulbar weakness loses them [hypothesis]
    airway_fn = _alsfrs.item_function(strength, shares, dominant)
    # fatal aspiration needs established dysphagia: the swallowing muscles below the function
    # at which the swallowing score falls to aspiration_swallowing_item
    dysphagia_onset = _alsfrs.score_ceiling(fn.swallowing_thresholds,
                                            rp.aspiration_swallowing_item)
    asp_hazard = _resp.aspiration_hazard(
        airway_fn[:, swallow], pump, max_rate=rp.aspiration_max_rate,
        exponent=rp.aspiration_exponent, cough_gain=rp.aspiration_cough_gain,
        multiplier=asp_mult, dysphagia_onset=dysphagia_onset)
    asp_cum = _resp.cumulative_hazard(t, asp_hazard)
    # hypercapnic failure: the awake inspiratory pump falls below the patient's failure level,
    # or the diaphragm alone (REM sleep) below that level times rem_failure_ratio
    # (hypoventilation in REM sleep begins earlier and indicates ventilation)
    failure_t = float(first_time((inspiratory_vc < failure)
                                 | (rem_fvc < failure * rp.rem_failure_ratio), t))
    aspiration_t = float(first_time(asp_cum >= draws["aspiration"], t))
    death_t = min(failure_t, aspiration_t)
    cause = (None if not math.isfinite(death_t) else "respiratory_failure"
             if failure_t <= aspiration_t else "aspiration_pneumonia")
    alive = t < death_t

    # 5. stages
    kings_idx = np.array([KINGS_REGIONS.index(s.kings_region) for s in anat.segments])
    region_inv = _dx.pool_regions(involved, kings_idx, len(KINGS_REGIONS))
    # the fourth King's region is the diaphragm (Roche 2012): respiratory symptoms or the
    # indication of ventilation, not the trunk muscles
    region_inv[:, KINGS_REGIONS.index("respiratory")] = running_any(
        breathless | niv)
    counted = [r != "respiratory" or fn.kings_count_respiratory for r in KINGS_REGIONS]
    kings = _stage.kings_stage(region_inv[:, counted], gastro, niv, ~alive)
    # the stage a study without clinical staging reads from the ALSFRS-R (Balendra 2014)
    est_4b = _stage.kings_respiratory_failure_from_alsfrs(items) | niv
    kings_est = _stage.kings_stage(_stage.kings_regions_from_alsfrs(items), gastro, est_4b,
                                   ~alive)
    mitos = _stage.mitos_stage(items, ~alive)

    # 6. EMG, MUNE, CMAP, split hand; criteria and diagnosis
    el = p.electro
    fib = _emg.fibrillation_density(t, own_lost, denervated, el.fibrillation_time_constant_months)
    fib_grade = _emg.fibrillation_grade(fib, el.fibrillation_thresholds)
    fp = frate >= el.fasciculation_potential_rate
    mup = _emg.mup_enlargement(ps.size_alive, reinn)
    with np.errstate(invalid="ignore"):
        chronic = np.nan_to_num(mup, nan=0.0) >= el.chronic_neurogenic_enlargement
    emg_ee = (fib_grade >= 1) & chronic
    emg_aw = ((fib_grade >= 1) | fp) & chronic
    alive_frac = np.clip(ps.lmn_alive / ps.lmn_count, 0.0, 1.0)
    mune = _emg.mune(m_units, alive_frac[:, m_seg], expo)
    cmap = _emg.cmap_percent(m_innervated)
    split = _emg.split_hand_index(cmap, m_names, m_seg, n_seg, el.split_hand_healthy)

    umn_sign = signs.pop("umn_sign")  # region by region (alssim.clinical.umn_signs.EXAMINED)
    lmn_sign = atrophy_sign | (innervated < fn.involvement_threshold)
    ee_idx = np.array([EL_ESCORIAL_REGIONS.index(s.el_escorial_region) for s in anat.segments])
    n_r = len(EL_ESCORIAL_REGIONS)
    umn_r = _dx.pool_regions(umn_sign, ee_idx, n_r)
    lmn_r = _dx.pool_regions(lmn_sign, ee_idx, n_r)
    lmn_any_r = lmn_r | _dx.pool_regions(emg_aw, ee_idx, n_r)
    limb = np.isin(ee_idx, [EL_ESCORIAL_REGIONS.index("cervical"),
                            EL_ESCORIAL_REGIONS.index("lumbosacral")])
    emg_limbs = sum(_dx.pool_regions(emg_ee[..., side:side + 1] & limb[:, None], ee_idx,
                                     n_r).sum(axis=1) for side in range(2))
    ee = _dx.el_escorial(umn_r, lmn_r, emg_limbs)
    aw = _dx.awaji(umn_r, lmn_any_r)
    gc = _dx.gold_coast(t >= onset_t, umn_r, lmn_any_r)
    # the diagnostic pathway (alssim.clinical.pathway): the criterion read at each neurology
    # visit, from the clinical signs alone before the EMG and with its findings from then on
    dp = p.diagnosis
    ee0 = _dx.el_escorial(umn_r, lmn_r, np.zeros_like(emg_limbs))
    aw0 = _dx.awaji(umn_r, lmn_r)
    gc0 = _dx.gold_coast(t >= onset_t, umn_r, lmn_r)
    bulbar_onset = _onset_site(anat, t, onset_t, involved, capacity) == "bulbar"
    urgent = float(first_time(total <= 48 - dp.urgent_alsfrs_drop, t)) - onset_t
    path = _path.pathway(getattr(result, "clinical_draws", None), dp, bulbar_onset,
                         urgent_months=urgent if math.isfinite(onset_t) else math.inf)
    emg_t = onset_t + path.emg_months
    diag_t, diag_rec = _dx.diagnosis_visit(
        t, _criterion_met(dp, ee, aw, gc) & alive, path.visits(onset_t, float(t[-1])),
        met_before_emg=(np.zeros(len(t), dtype=bool) if dp.require_emg
                        else _criterion_met(dp, ee0, aw0, gc0) & alive), emg_months=emg_t)
    diagnosed = t >= diag_t
    # categories as the neurologist saw them at the diagnosis visit
    seen = (ee, aw, gc) if diag_t >= emg_t else (ee0, aw0, gc0)

    seg_vars = {
        "strength": strength, "mrc": mrc, "innervated": innervated,
        "reinnervated": ratio(reinn, healthy), "atrophy": denervated,
        "atrophy_sign": atrophy_sign, "umn_drive": drive, "umn_index": uidx, **signs,
        "umn_sign": umn_sign, "lmn_sign": lmn_sign,
        "fasciculation_rate": frate, "fasciculation_score": fscore, "function": capacity,
        "involved": involved, "fibrillation_density": fib, "fibrillation_grade": fib_grade,
        "fasciculation_potentials": fp, "mup_enlargement": mup, "chronic_neurogenic": chronic,
        "emg_lmn_sign": emg_ee, "emg_lmn_sign_awaji": emg_aw, "split_hand_index": split,
    }
    mus_vars = {"mune": mune, "mune_percent": 100.0 * ratio(mune, m_units[:, None]),
                "cmap_percent": cmap, "muscle_strength": m_strength, "muscle_mrc": m_mrc}
    glob = {f"alsfrs_r_{name}": items[:, i] for i, name in enumerate(ALSFRS_ITEMS)}
    glob.update({f"alsfrs_r_{k}_domain": v for k, v in domains.items()})
    glob.update({"pump_strength": pump, "diaphragm_strength": diaphragm,
                 "inspiratory_vc_percent": inspiratory_vc,
                 "rem_ventilation_percent": rem_fvc, "snip_cmh2o": snip, "on_niv": on_niv,
                 "on_tracheostomy": on_trach, "aspiration_hazard": asp_hazard})
    glob.update({"alsfrs_r": total, "fvc_percent": fvc, "niv_needed": niv,
                 "gastrostomy_needed": gastro, "patient_alive": alive, "kings_stage": kings,
                 "kings_stage_estimated": kings_est,
                 "mitos_stage": mitos, "el_escorial": ee, "awaji": aw, "gold_coast": gc,
                 "diagnosed": diagnosed, "mrc_sum_score": mrc_sum,
                 "months_from_clinical_onset": t - onset_t if math.isfinite(onset_t)
                 else np.full(len(t), np.nan)})
    seg_vars = {k: np.ascontiguousarray(v) for k, v in seg_vars.items()}
    glob = {k: np.ascontiguousarray(v) for k, v in glob.items()}

    events = _events(anat, t, onset_t, involved, capacity, region_inv, kings, gastro, niv,
                     mitos, total, alive, death_t, diag_t, diag_rec, *seen, dp.criteria)
    events["diagnosis"].update(_diagnosis_details(
        t, onset_t, path, diag_rec, diag_t >= emg_t, alive, fvc, kings, mitos, umn_r))
    events["onset_muscle_mune_50_months"] = _onset_muscle_mune_50(
        anat, t, onset_t, involved, capacity, mus_vars["mune_percent"], m_seg)
    events["kings_estimated_stage_months"] = _stage_entry_months(
        t, onset_t, death_t, kings_est, gastro, est_4b)
    events.update(_care_events(t, onset_t, death_t, cause, kings, fvc, on_niv, on_trach,
                               mods))
    # EMPOWER's other entry criteria (NCT01281189): revised El Escorial possible or better, and
    # able to swallow tablets (swallowing item >= 1: something by mouth)
    trial_eligible = (ee >= 1) & (items[:, swallow] >= _resp.TRIAL_MIN_SWALLOWING_ITEM)
    entry = _resp.trial_entry(t, fvc, onset_t, diag_t, death_t, eligible=trial_eligible)
    events["fvc_trial_slope_per_month"] = _num(_resp.entry_fvc_slope(t, fvc, entry))
    events["trial_entry"] = {"months": None, "alsfrs_r": None, "fvc_percent": None}
    if entry is not None:
        k0 = entry[0]
        events["trial_entry"] = {"months": _num(float(t[k0] - onset_t), 3),
                                 "alsfrs_r": int(total[k0]),
                                 "fvc_percent": _num(float(fvc[k0]), 3)}
    course = ClinicalCourse(
        times_months=np.array(t), clinical_onset_months=onset_t,
        segments=anat.segment_names, muscles=m_names,
        muscle_segments=tuple(anat.segment_names[s] for s in m_seg),
        segment_variables=_freeze(seg_vars), muscle_variables=_freeze(mus_vars),
        global_variables=_freeze(glob), events=events)
    # 8. phenotype and motor-unit markers, read from the course (alssim.clinical.phenotype)
    events.update(_phenotype.phenotype_summary(course, anat,
                                               normal_fraction=fn.involvement_threshold))
    return course


def _stage_entry_months(t, onset_t, death_t, stage, four_a,
                        four_b) -> dict[str, float | None]:
    """First entry of each King's stage, months from clinical onset, for a stage code series.

    Keys ``"1"``, ``"2"``, ``"3"`` (first record with the stage at least that; a stage skipped is
    entered with the next one reached, at the latest at the record of death) and ``"4A"``,
    ``"4B"`` (first record of ``four_a``, ``four_b``: they run in parallel, Roche 2012); ``None``
    without clinical onset or if not reached alive. Used for the clinical stage (``four_a`` the
    gastrostomy need, ``four_b`` the NIV indication) and for the stage estimated from the
    ALSFRS-R (``four_b`` item 10 = 0, item 12 < 4 or ventilation indicated: see
    :func:`alssim.clinical.staging.kings_stage_from_alsfrs`).
    """
    if not math.isfinite(onset_t):
        return dict.fromkeys(("1", "2", "3", "4A", "4B"))
    lived = t <= death_t
    out = {lab: _num(float(first_time((stage >= lev) & lived, t)) - onset_t)
           for lev, lab in zip((1.0, 2.0, 3.0), ("1", "2", "3"), strict=True)}
    # a need is a care event the patient lives with: one first met at the record of death (the
    # state at death) was never lived with
    alive = t < death_t
    out["4A"] = _num(float(first_time(four_a & alive, t)) - onset_t)
    out["4B"] = _num(float(first_time(four_b & alive, t)) - onset_t)
    return out


def _care_events(t, onset_t, death_t, cause, kings, fvc, on_niv, on_trach,
                 mods) -> dict[str, Any]:
    """Breathing and care facts, JSON-ready, months from clinical onset."""
    has_onset = math.isfinite(onset_t)

    def rel(x: float) -> float | None:
        return _num(x - onset_t) if has_onset and math.isfinite(x) else None

    lived = t <= death_t
    # time in each King's stage: from its first entry to the entry of the next higher stage
    # reached (or death); stages 4A and 4B count together as stage 4
    entry = {lev: float(first_time((kings >= lev) & lived, t)) for lev in (1.0, 2.0, 3.0, 4.0)}
    entry[5.0] = float(first_time(kings >= 5.0, t))
    durations: dict[str, float | None] = {}
    levels = (1.0, 2.0, 3.0, 4.0)
    for i, lev in enumerate(levels):
        start = entry[lev]
        later = [entry[x] for x in (*levels[i + 1:], 5.0) if math.isfinite(entry[x])]
        end = min(later) if later else math.nan
        ok = has_onset and math.isfinite(start) and math.isfinite(end) and end >= start
        durations[str(int(lev))] = _num(end - start) if ok else None
    course = (t >= onset_t) & (t < death_t) if has_onset else np.zeros(len(t), dtype=bool)
    fvc_slope = _prog.linear_slope(t[course] - onset_t, fvc[course]) if has_onset else None
    gastro_start = math.inf if mods is None else mods.gastrostomy_start
    return {
        "cause_of_death": cause,
        "kings_stage_duration_months": durations,
        "niv_start_months": rel(float(first_time(on_niv & lived, t))),
        "tracheostomy_months": rel(float(first_time(on_trach & lived, t))),
        "gastrostomy_months": rel(gastro_start if gastro_start <= death_t else math.inf),
        "fvc_slope_per_month": _num(fvc_slope) if fvc_slope is not None else None,
    }


def _criterion_met(dp, ee: np.ndarray, aw: np.ndarray, gc: np.ndarray) -> np.ndarray:
    """The configured diagnostic criterion met, shape (T,) bool."""
    if dp.criteria == "gold_coast":
        return np.asarray(gc, dtype=bool)
    if dp.criteria == "el_escorial":
        return ee >= _dx.EL_ESCORIAL_LABELS.index(dp.min_category)
    want = dp.min_category.replace("_laboratory_supported", "")
    return aw >= _dx.AWAJI_LABELS.index(want)


def _onset_place(t, onset_t, involved, capacity) -> tuple[int, int] | None:
    """Segment and side of clinical onset (the weakest involved one then); ``None`` without."""
    if not math.isfinite(onset_t):
        return None
    k0 = int(np.searchsorted(t, onset_t))
    cap0 = np.where(involved[k0], capacity[k0], np.inf)
    s0, d0 = np.unravel_index(int(np.argmin(cap0)), cap0.shape)
    return int(s0), int(d0)


def _onset_site(anat, t, onset_t, involved, capacity) -> str | None:
    """Onset site (``Segment.onset_site``) of the segment of clinical onset."""
    place = _onset_place(t, onset_t, involved, capacity)
    return None if place is None else anat.segments[place[0]].onset_site


def _diagnosis_details(t, onset_t, path, diag_rec, emg_done, alive, fvc, kings, mitos,
                       umn_r) -> dict[str, Any]:
    """Pathway times and the state at diagnosis, JSON-ready (months from clinical onset).

    Keys: ``first_consultation_months``, ``first_neurology_months``, ``emg_months`` (pathway
    times; ``None`` without clinical onset), ``emg_before_diagnosis`` (the EMG had been done at
    the diagnosis visit), ``fvc_percent``, ``kings_stage`` and ``mitos_stage`` at the
    diagnosis visit, and ``first_visit_umn_regions`` (El Escorial regions with clinical UMN
    signs at the first neurology visit; ``None`` if it falls after death or the horizon).
    """
    has_onset = math.isfinite(onset_t)
    out: dict[str, Any] = {
        "first_consultation_months": _num(path.first_consultation_months) if has_onset else None,
        "first_neurology_months": _num(path.first_neurology_months) if has_onset else None,
        "emg_months": _num(path.emg_months) if has_onset else None,
        "emg_before_diagnosis": None, "fvc_percent": None, "kings_stage": None,
        "mitos_stage": None, "first_visit_umn_regions": None,
    }
    if has_onset:
        first = onset_t + path.first_neurology_months
        k = int(np.searchsorted(t, first + 1e-9, side="right")) - 1
        if k >= 0 and first <= t[-1] + 1e-9 and alive[k]:
            out["first_visit_umn_regions"] = int(umn_r[k].sum())
    if diag_rec >= 0:
        out.update({
            "fvc_percent": _num(float(fvc[diag_rec]), 3),
            "kings_stage": float(kings[diag_rec]),
            "mitos_stage": int(mitos[diag_rec]),
        })
        out["emg_before_diagnosis"] = bool(emg_done)
    return out


def _onset_muscle_mune_50(anat, t, onset_t, involved, capacity, mune_percent,
                          m_seg) -> float | None:
    """Months from clinical onset at which MUNE first falls to half of healthy in a muscle of
    the onset segment and side (negative: before clinical onset); ``None`` if never."""
    place = _onset_place(t, onset_t, involved, capacity)
    if place is None:
        return None
    s0, d0 = place
    cols = np.flatnonzero(np.asarray(m_seg) == s0)
    if cols.size == 0:
        return None
    when = float(np.min(first_time(mune_percent[:, cols, d0] <= 50.0, t)))
    return _num(when - onset_t) if math.isfinite(when) else None


def _events(anat, t, onset_t, involved, capacity, region_inv, kings, gastro, niv, mitos, total,
            alive, death_t, diag_t, diag_rec, ee, aw, gc, criteria) -> dict[str, Any]:
    """Headline facts, JSON-ready, months from clinical onset (see ClinicalCourse.summary)."""
    has_onset = math.isfinite(onset_t)

    def rel(x: float) -> float | None:
        return _num(x - onset_t) if has_onset else None

    # involvement is the living patient's: a segment or region first involved after the record
    # of death is never involved (the course after death is not the patient's)
    lived = t <= death_t
    seg_t = first_time(involved & lived[:, None, None], t)  # (S, 2)
    names = anat.segment_names
    onset_seg = onset_side = None
    first_spread: dict[str, Any] = {"direction": None, "segment": None, "side": None,
                                    "months": None}
    if has_onset:
        k0 = int(np.searchsorted(t, onset_t))
        cap0 = np.where(involved[k0], capacity[k0], np.inf)
        s0, d0 = np.unravel_index(int(np.argmin(cap0)), cap0.shape)
        onset_seg, onset_side = names[s0], SIDES[d0]
        others = seg_t.copy()
        others[s0, d0] = np.inf
        if np.isfinite(others).any():
            tmin = others.min()
            k1 = int(np.searchsorted(t, tmin))
            cand = np.where(others == tmin, capacity[k1], np.inf)
            s1, d1 = np.unravel_index(int(np.argmin(cand)), cand.shape)
            direction = ("contralateral" if s1 == s0 else "rostral" if s1 < s0 else "caudal")
            first_spread = {"direction": direction, "segment": names[s1], "side": SIDES[d1],
                            "months": rel(tmin)}
    seg_months = {f"{names[s]}:{SIDES[d]}": rel(seg_t[s, d])
                  for s in range(len(names)) for d in range(2)}
    reg_t = first_time(region_inv & lived[:, None], t)
    region_months = {r: rel(reg_t[i]) for i, r in enumerate(KINGS_REGIONS)
                     if any(s.kings_region == r for s in anat.segments)}
    # 1-3: first time at least that stage; 4A and 4B run in parallel (Roche 2012): the first
    # need of a gastrostomy and of ventilation, whichever comes first; 5: death
    # (a stage is entered at the latest at the record of death: the course after death is not
    # the patient's; needs that arise in the record where the patient dies still count)
    kings_months = _stage_entry_months(t, onset_t, death_t, kings, gastro, niv)
    kings_months["5"] = rel(float(first_time(kings >= 5.0, t)))
    mitos_months = {str(k): rel(float(first_time((mitos >= k) & lived, t)))
                    for k in range(1, 6)}
    if diag_rec >= 0:
        diagnosis = {"months": rel(diag_t), "criteria": criteria,
                     "el_escorial": _dx.EL_ESCORIAL_LABELS[int(ee[diag_rec])],
                     "awaji": _dx.AWAJI_LABELS[int(aw[diag_rec])],
                     "gold_coast": bool(gc[diag_rec]), "alsfrs_r": int(total[diag_rec])}
        dfs = _prog.delta_fs(float(total[diag_rec]), diag_t - onset_t)
    else:
        diagnosis = {"months": None, "criteria": criteria, "el_escorial": None, "awaji": None,
                     "gold_coast": None, "alsfrs_r": None}
        dfs = None
    course = (t >= onset_t) & alive if has_onset else np.zeros(len(t), dtype=bool)
    t_rel = t[course] - onset_t if has_onset else np.zeros(0)
    slope = _prog.linear_slope(t_rel, total[course])
    d50 = _prog.fit_d50(t_rel, total[course])
    if d50 is not None:
        d50 = {k: (_num(v) if isinstance(v, float) else v) for k, v in d50.items()}
    died = math.isfinite(death_t)
    return {
        "clinical_onset_months": _num(onset_t),
        "onset_segment": onset_seg,
        "onset_side": onset_side,
        "segment_involvement_months": seg_months,
        "region_involvement_months": region_months,
        "first_spread": first_spread,
        "kings_stage_months": kings_months,
        "mitos_stage_months": mitos_months,
        "diagnosis": diagnosis,
        "death_months": _num(death_t),
        "survival_months": rel(death_t) if died else None,
        "censored": not died,
        "alsfrs_r_dfs": _num(dfs) if dfs is not None else None,
        "alsfrs_r_slope_per_month": _num(slope) if slope is not None else None,
        "d50": d50,
    }
