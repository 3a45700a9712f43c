"""A course's events and headline numbers: clinical onset and its place, stage entries, care events
(ventilation, gastrostomy, tracheostomy), the diagnosis and its details, and the time to 50%
motor-unit loss in the onset muscles."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from alssim.anatomy import KINGS_REGIONS, SIDES
from alssim.clinical import diagnosis as _dx
from alssim.clinical import progression as _prog
from alssim.clinical._util import first_time
from alssim.clinical.course import rounded

__all__ = [
    "care_events",
    "course_events",
    "criterion_met",
    "diagnosis_details",
    "onset_muscle_mune_50",
    "onset_site",
    "spread_direction",
    "stage_entry_months",
]


def spread_direction(onset_segment: int, segment: int) -> str:
    """Direction of spread from the onset segment to ``segment`` (indices in the anatomy's
    rostral-to-caudal order): ``"contralateral"`` (the same segment, so the other side),
    ``"rostral"`` or ``"caudal"``."""
    if segment == onset_segment:
        return "contralateral"
    return "rostral" if segment < onset_segment else "caudal"


def stage_entry_months(t, onset_t, death_t, stage, four_a,
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
    out = {lab: rounded(float(first_time((stage >= lev) & lived, t)) - onset_t)
           for lev, lab in zip((1.0, 2.0, 3.0), ("1", "2", "3"), strict=True)}
    # a need is a care event the patient lives with: one first met at the record of death (the
    # state at death) was never lived with
    alive = t < death_t
    out["4A"] = rounded(float(first_time(four_a & alive, t)) - onset_t)
    out["4B"] = rounded(float(first_time(four_b & alive, t)) - onset_t)
    return out


def care_events(t, onset_t, death_t, cause, kings, fvc, on_niv, on_trach,
                mods) -> dict[str, Any]:
    """Breathing and care facts, JSON-ready, months from clinical onset."""
    has_onset = math.isfinite(onset_t)

    def rel(x: float) -> float | None:
        return rounded(x - onset_t) if has_onset and math.isfinite(x) else None

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
        durations[str(int(lev))] = rounded(end - start) if ok else None
    course = (t >= onset_t) & (t < death_t) if has_onset else np.zeros(len(t), dtype=bool)
    fvc_slope = _prog.linear_slope(t[course] - onset_t, fvc[course]) if has_onset else None
    gastro_start = math.inf if mods is None else mods.gastrostomy_start
    return {
        "cause_of_death": cause,
        "kings_stage_duration_months": durations,
        "niv_start_months": rel(float(first_time(on_niv & lived, t))),
        "tracheostomy_months": rel(float(first_time(on_trach & lived, t))),
        "gastrostomy_months": rel(gastro_start if gastro_start <= death_t else math.inf),
        "fvc_slope_per_month": rounded(fvc_slope) if fvc_slope is not None else None,
    }


def criterion_met(dp, ee: np.ndarray, aw: np.ndarray, gc: np.ndarray) -> np.ndarray:
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


def onset_site(anat, t, onset_t, involved, capacity) -> str | None:
    """Onset site (``Segment.onset_site``) of the segment of clinical onset."""
    place = _onset_place(t, onset_t, involved, capacity)
    return None if place is None else anat.segments[place[0]].onset_site


def diagnosis_details(t, onset_t, path, diag_rec, emg_done, alive, fvc, kings, mitos,
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
        "first_consultation_months": rounded(path.first_consultation_months) if has_onset else None,
        "first_neurology_months": rounded(path.first_neurology_months) if has_onset else None,
        "emg_months": rounded(path.emg_months) if has_onset else None,
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
            "fvc_percent": rounded(float(fvc[diag_rec]), 3),
            "kings_stage": float(kings[diag_rec]),
            "mitos_stage": int(mitos[diag_rec]),
        })
        out["emg_before_diagnosis"] = bool(emg_done)
    return out


def onset_muscle_mune_50(anat, t, onset_t, involved, capacity, mune_percent,
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
    return rounded(when - onset_t) if math.isfinite(when) else None


def course_events(anat, t, onset_t, involved, capacity, region_inv, kings, gastro, niv, mitos,
                  total, alive, death_t, diag_t, diag_rec, ee, aw, gc, criteria) -> dict[str, Any]:
    """Headline facts, JSON-ready, months from clinical onset (see ClinicalCourse.summary)."""
    has_onset = math.isfinite(onset_t)

    def rel(x: float) -> float | None:
        return rounded(x - onset_t) if has_onset else None

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
            first_spread = {"direction": spread_direction(int(s0), int(s1)),
                            "segment": names[s1], "side": SIDES[d1], "months": rel(tmin)}
    seg_months = {f"{names[s]}:{SIDES[d]}": rel(seg_t[s, d])
                  for s in range(len(names)) for d in range(2)}
    reg_t = first_time(region_inv & lived[:, None], t)
    region_months = {r: rel(reg_t[i]) for i, r in enumerate(KINGS_REGIONS)
                     if any(s.kings_region == r for s in anat.segments)}
    # 1-3: first time at least that stage; 4A and 4B run in parallel (Roche 2012): the first
    # need of a gastrostomy and of ventilation, whichever comes first; 5: death
    # (a stage is entered at the latest at the record of death: the course after death is not
    # the patient's; needs that arise in the record where the patient dies still count)
    kings_months = stage_entry_months(t, onset_t, death_t, kings, gastro, niv)
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
        d50 = {k: (rounded(v) if isinstance(v, float) else v) for k, v in d50.items()}
    died = math.isfinite(death_t)
    return {
        "clinical_onset_months": rounded(onset_t),
        "onset_segment": onset_seg,
        "onset_side": onset_side,
        "segment_involvement_months": seg_months,
        "region_involvement_months": region_months,
        "first_spread": first_spread,
        "kings_stage_months": kings_months,
        "mitos_stage_months": mitos_months,
        "diagnosis": diagnosis,
        "death_months": rounded(death_t),
        "survival_months": rel(death_t) if died else None,
        "censored": not died,
        "alsfrs_r_dfs": rounded(dfs) if dfs is not None else None,
        "alsfrs_r_slope_per_month": rounded(slope) if slope is not None else None,
        "d50": d50,
    }
