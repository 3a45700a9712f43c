"""Diagnostic criteria over time and the time of diagnosis under a clinic-visit schedule.

Signs per segment and side (computed in :mod:`alssim.clinical.assess`) are pooled into the four
El Escorial regions, rostral to caudal: bulbar, cervical, thoracic, lumbosacral (a region has a
sign when any of its segments does, on either side). Each region counts only the signs a
clinician examines there (:data:`alssim.clinical.umn_signs.EXAMINED`): UMN signs are spasticity,
brisk reflexes or clonus and Babinski in the limbs, a brisk jaw jerk or pseudobulbar signs in the
bulbar region and lost abdominal reflexes in the thoracic region; clinical LMN signs are weakness
from LMN loss and wasting in every region (fasciculations alone do not count; Brooks 2000).

Revised El Escorial (Brooks 2000), codes 0-4
    4 definite: UMN + LMN signs in 3 regions. 3 probable: UMN + LMN in 2 regions with some UMN
    signs rostral to LMN signs. 2 probable, laboratory-supported: UMN signs in >= 1 region and EMG
    signs of LMN loss in >= 2 limbs. 1 possible: UMN + LMN in 1 region, or UMN signs alone in
    >= 2 regions, or LMN signs rostral to UMN signs. 0 none. LMN signs are clinical (weakness from
    LMN loss, wasting).
Awaji (de Carvalho 2008), codes 0-3
    The same clinical categories, with EMG evidence (fasciculation potentials counting as active
    denervation) equivalent to clinical LMN signs; no laboratory-supported category.
Gold Coast (Shefner 2020), true/false
    Progressive motor impairment after normal function (here: after clinical onset), and UMN +
    LMN dysfunction in >= 1 region or LMN dysfunction (clinical or EMG) in >= 2 regions; other
    causes are taken as excluded.

Visits: the neurology visits of the patient's diagnostic pathway (:mod:`alssim.clinical.pathway`:
first neurology visit, EMG, follow-ups); the diagnosis is made at the first visit where the
configured criterion is met (each visit reads the last record at or before it), with the EMG
findings counted only at visits from the EMG on (:func:`diagnosis_visit`).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "AWAJI_LABELS",
    "EL_ESCORIAL_LABELS",
    "awaji",
    "diagnosis_visit",
    "el_escorial",
    "gold_coast",
    "pool_regions",
    "visit_times",
]

EL_ESCORIAL_LABELS = ("none", "possible", "probable_laboratory_supported", "probable",
                      "definite")
AWAJI_LABELS = ("none", "possible", "probable", "definite")


def pool_regions(flag: np.ndarray, region_of_segment: np.ndarray, n_regions: int) -> np.ndarray:
    """Any sign in each region (any segment of it, either side).

    Parameters
    ----------
    flag : ndarray of bool, shape (T, S, 2)
    region_of_segment : ndarray of int, shape (S,)
        Region index (rostral to caudal) of each segment.
    n_regions : int

    Returns
    -------
    ndarray of bool, shape (T, n_regions)
    """
    either_side = np.asarray(flag, dtype=bool).any(axis=-1)
    onehot = np.asarray(region_of_segment)[:, None] == np.arange(n_regions)[None, :]
    return (either_side.astype(np.int32) @ onehot.astype(np.int32)) > 0


def _rostral_to(upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """Some ``upper`` sign in a region strictly rostral to some ``lower`` sign, shape (T,)."""
    seen = np.logical_or.accumulate(upper, axis=1)
    above = np.zeros_like(seen)
    above[:, 1:] = seen[:, :-1]
    return (above & lower).any(axis=1)


def el_escorial(umn: np.ndarray, lmn: np.ndarray, emg_limbs: np.ndarray) -> np.ndarray:
    """Revised El Escorial category code 0-4 over time (see :data:`EL_ESCORIAL_LABELS`).

    Parameters
    ----------
    umn, lmn : ndarray of bool, shape (T, R)
        Clinical UMN and LMN signs per region, rostral to caudal.
    emg_limbs : ndarray of int, shape (T,)
        Limbs (arm or leg of one side) with EMG signs of LMN loss.

    Returns
    -------
    ndarray of int8, shape (T,)
    """
    umn = np.asarray(umn, dtype=bool)
    lmn = np.asarray(lmn, dtype=bool)
    both = (umn & lmn).sum(axis=1)
    n_umn = umn.sum(axis=1)
    code = np.zeros(len(umn), dtype=np.int8)
    possible = (both >= 1) | (n_umn >= 2) | _rostral_to(lmn, umn)
    code[possible] = 1
    code[(n_umn >= 1) & (np.asarray(emg_limbs) >= 2)] = 2
    code[(both >= 2) & _rostral_to(umn, lmn)] = 3
    code[both >= 3] = 4
    return code


def awaji(umn: np.ndarray, lmn_clinical_or_emg: np.ndarray) -> np.ndarray:
    """Awaji category code 0-3 over time (see :data:`AWAJI_LABELS`).

    Parameters
    ----------
    umn : ndarray of bool, shape (T, R)
    lmn_clinical_or_emg : ndarray of bool, shape (T, R)
        LMN signs, clinical or by EMG (fasciculation potentials count).
    """
    umn = np.asarray(umn, dtype=bool)
    lmn = np.asarray(lmn_clinical_or_emg, dtype=bool)
    both = (umn & lmn).sum(axis=1)
    code = np.zeros(len(umn), dtype=np.int8)
    code[(both >= 1) | (umn.sum(axis=1) >= 2) | _rostral_to(lmn, umn)] = 1
    code[(both >= 2) & _rostral_to(umn, lmn)] = 2
    code[both >= 3] = 3
    return code


def gold_coast(progressive: np.ndarray, umn: np.ndarray,
               lmn_clinical_or_emg: np.ndarray) -> np.ndarray:
    """Gold Coast criteria met, shape (T,) bool."""
    umn = np.asarray(umn, dtype=bool)
    lmn = np.asarray(lmn_clinical_or_emg, dtype=bool)
    return np.asarray(progressive, dtype=bool) & (((umn & lmn).sum(axis=1) >= 1)
                                                  | (lmn.sum(axis=1) >= 2))


def visit_times(onset_months: float, first_delay: float, interval: float,
                horizon_months: float) -> np.ndarray:
    """Clinic visits (months from biological onset) from the first one to the horizon.

    Returns an empty array when the onset is not finite or the first visit is after the horizon.
    """
    if not np.isfinite(onset_months):
        return np.zeros(0)
    first = onset_months + first_delay
    if first > horizon_months + 1e-9:
        return np.zeros(0)
    n = int(np.floor((horizon_months - first) / interval + 1e-9)) + 1
    return first + interval * np.arange(n)


def diagnosis_visit(times_months: np.ndarray, met: np.ndarray, visits: np.ndarray, *,
                    met_before_emg: np.ndarray | None = None,
                    emg_months: float = -np.inf) -> tuple[float, int]:
    """First visit at which the criterion holds at the last record at or before it.

    Parameters
    ----------
    times_months : ndarray, shape (T,)
        Record times (months from biological onset).
    met : ndarray of bool, shape (T,)
        Criterion met with the EMG findings counted.
    visits : ndarray, shape (V,)
        Visit times (months from biological onset), increasing.
    met_before_emg : ndarray of bool, shape (T,), optional
        Criterion met from the clinical signs alone, read at visits before ``emg_months``;
        default ``met`` (the EMG counts at every visit).
    emg_months : float
        Time of the EMG (months from biological onset); ``-inf`` (default): done before every
        visit, ``inf``: never done.

    Returns
    -------
    visit_time : float
        Months from biological onset; ``inf`` when never.
    record : int
        Record index read at that visit; -1 when never.
    """
    if len(visits) == 0:
        return np.inf, -1
    visits = np.asarray(visits, dtype=float)
    rec = np.searchsorted(np.asarray(times_months), visits + 1e-9, side="right") - 1
    idx = np.maximum(rec, 0)
    met = np.asarray(met, dtype=bool)
    before = met if met_before_emg is None else np.asarray(met_before_emg, dtype=bool)
    emg_done = visits >= emg_months - 1e-9
    ok = (rec >= 0) & np.where(emg_done, met[idx], before[idx])
    if not ok.any():
        return np.inf, -1
    k = int(ok.argmax())
    return float(visits[k]), int(rec[k])
