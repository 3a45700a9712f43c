"""The clinical course of one patient (:class:`ClinicalCourse`): the per-record arrays of
:data:`~alssim.clinical.variables.CLINICAL_VARIABLES`, the events and the summary, with tables
and saving."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd

from alssim.anatomy import SIDES
from alssim.clinical.variables import CLINICAL_VARIABLES

__all__ = ["ClinicalCourse", "freeze_arrays", "rounded"]


def freeze_arrays(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    for v in d.values():
        v.setflags(write=False)
    return d


def rounded(x: float | None, digits: int = 6) -> float | None:
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
