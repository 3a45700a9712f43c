"""Clinical phenotype and motor-unit markers of one patient: pure functions of a ClinicalCourse.

Phenotypes (one label per patient, first matching rule wins; windows in months from clinical
onset, ending early at death; a patient who dies before a window closes cannot be classified by
that rule):

``flail_arm``
    Brachial amyotrophic diplegia (Wijesekera 2009 Neurology 72:1087): upper-limb onset, and for
    ``flail_window_months`` (12) after clinical onset no bulbar or lower-limb segment is
    functionally involved (Wijesekera's criterion names the bulbar and lower-limb regions; trunk
    and respiratory muscles are not part of it), with no spasticity (Modified Ashworth 0) and no
    clonus anywhere; brisk reflexes and Babinski signs are allowed, as in Wijesekera's definition.
``flail_leg``
    Pseudopolyneuritic form, the same rule for lower-limb onset: no bulbar or upper-limb
    involvement.
``pma``
    Progressive muscular atrophy (Kim 2009 Neurology 73:1686): no clinical UMN sign (MAS >= 1,
    reflex >= 3 or Babinski) in any segment for ``pure_window_months`` (24) after clinical onset.
``umn_predominant``
    UMN-predominant ALS (Liu 2024 Front Neurol): clinical UMN signs but no clinical LMN sign
    (LMN weakness or visible wasting) in any segment for ``pure_window_months`` after clinical
    onset.
``bulbar``, ``classic``, ``respiratory``
    Everything else, by onset region (bulbar onset; limb onset; trunk/respiratory onset).
``none``
    No clinical onset within the horizon.

Motor-unit markers (:func:`motor_unit_markers`):

``mune_decline_percent_per_month``
    MUNE/MUNIX decline in affected limb muscles: for each limb muscle (both sides) whose MUNE at the
    diagnosis visit is between 10% and 90% of healthy, the loss over the next
    ``followup_months`` (12; or until death, at least 3 months) as a percentage of the value at
    the diagnosis visit, per month (Neuwirth 2015 JNNP 86:1172 report MUNIX change from a baseline
    visit); the mean over those muscles.
``hypothenar_mune_decline_percent_per_month``
    The same in the hypothenar muscles (ADM, the classic MUNE muscle), whether affected or not
    (baseline above 10% of healthy).
``units_lost_at_cmap_fall``
    In limb muscles without a split-hand exponent (MUNE proportional to the surviving LMNs), the
    fraction of motor units lost at the first record where the CMAP falls below the clinical
    normal limit, taken as ``normal_fraction`` (the clinical layer's involvement threshold, 80% of
    healthy); the mean over the muscles whose CMAP fell.
``loss_hazard_slope_per_month``
    Shape of neuron loss in the onset pool (LMNs of the onset segment and side, read from an
    exponent-1 muscle of that segment, whose MUNE is the surviving fraction): the per-neuron risk
    ``h_k = -log(a_{k+1} / a_k) / dt`` between records while the pool is between 10% and 90%
    lost, and the least-squares slope of ``log h`` against time (per month). A constant risk per
    neuron (Clarke 2000 Nature 406:195) gives 0, a sigmoid (accelerating) loss a positive slope.

All values are ``None`` where undefined. These are descriptive read-outs of the simulated course for
validation; no random numbers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from alssim.anatomy import SIDES
from alssim.clinical.electro import SPLIT_HAND_AFFECTED

__all__ = ["PHENOTYPES", "classify_phenotype", "motor_unit_markers", "phenotype_summary"]

#: Phenotype labels, in the order the rules are tried.
PHENOTYPES = ("flail_arm", "flail_leg", "pma", "umn_predominant", "bulbar", "classic",
              "respiratory", "none")

_LIMB_REGIONS = ("upper_limb", "lower_limb")


def _window(course, months: float) -> tuple[np.ndarray, bool]:
    """Record mask of ``[onset, onset + months]`` (clipped at death) and whether it is complete."""
    t = course.times_months
    t0 = course.clinical_onset_months
    death = course.events.get("death_months")
    end = t0 + months
    complete = (death is None or death > end) and t[-1] >= end - 1e-9
    mask = (t >= t0 - 1e-9) & (t <= end + 1e-9)
    if death is not None:
        mask &= t < death - 1e-9
    return mask, complete


def classify_phenotype(course, anatomy, *, flail_window_months: float = 12.0,
                       pure_window_months: float = 24.0) -> str:
    """Phenotype label of one patient (see the module docstring for the rules).

    Parameters
    ----------
    course : ClinicalCourse
    anatomy : Anatomy
        The anatomy of the run (segment regions).
    flail_window_months : float
        Months from clinical onset the weakness must stay confined to one limb region.
    pure_window_months : float
        Months from clinical onset without UMN signs (PMA) or LMN signs (UMN-predominant).

    Returns
    -------
    str
        One of :data:`PHENOTYPES`.
    """
    if not math.isfinite(course.clinical_onset_months):
        return "none"
    onset_seg = course.events.get("onset_segment")
    seg_region = [s.kings_region for s in anatomy.segments]
    onset_region = seg_region[anatomy.segment_index(onset_seg)]
    involved = np.asarray(course["involved"], dtype=bool)
    ashworth = np.asarray(course["ashworth"])
    reflex = np.asarray(course["reflex"])
    if onset_region in _LIMB_REGIONS:
        w, complete = _window(course, flail_window_months)
        if complete:
            other = np.array([r != onset_region and r in ("bulbar", *_LIMB_REGIONS)
                              for r in seg_region])
            confined = not involved[w][:, other].any()
            no_spasticity = not (ashworth[w] >= 1).any() and not (reflex[w] >= 4).any()
            if confined and no_spasticity:
                return "flail_arm" if onset_region == "upper_limb" else "flail_leg"
    w, complete = _window(course, pure_window_months)
    if complete:
        umn = np.asarray(course["umn_sign"], dtype=bool)[w]
        lmn = np.asarray(course["lmn_sign"], dtype=bool)[w]
        if not umn.any():
            return "pma"
        if not lmn.any():
            return "umn_predominant"
    if onset_region == "bulbar":
        return "bulbar"
    return "classic" if onset_region in _LIMB_REGIONS else "respiratory"


def _limb_muscles(course, anatomy) -> np.ndarray:
    regions = {s.name: s.kings_region for s in anatomy.segments}
    return np.array([regions[s] in _LIMB_REGIONS for s in course.muscle_segments])


def _rate(series: np.ndarray, t: np.ndarray, k0: int, k1: int) -> float:
    """Loss from record k0 to k1 as % of the value at k0, per month."""
    base = series[k0]
    return 100.0 * (base - series[k1]) / base / (t[k1] - t[k0])


def motor_unit_markers(course, anatomy, *, followup_months: float = 12.0,
                       normal_fraction: float = 0.8) -> dict[str, float | None]:
    """MUNE decline, units lost before the CMAP falls and the shape of neuron loss.

    Parameters
    ----------
    course : ClinicalCourse
    anatomy : Anatomy
    followup_months : float
        Follow-up after the diagnosis visit for the MUNE decline (month).
    normal_fraction : float
        CMAP below this fraction of healthy counts as below normal.

    Returns
    -------
    dict
        ``mune_decline_percent_per_month``, ``hypothenar_mune_decline_percent_per_month``,
        ``units_lost_at_cmap_fall``, ``loss_hazard_slope_per_month`` (see the module
        docstring); ``None`` where undefined.
    """
    out: dict[str, float | None] = dict.fromkeys(
        ("mune_decline_percent_per_month", "hypothenar_mune_decline_percent_per_month",
         "units_lost_at_cmap_fall", "loss_hazard_slope_per_month"))
    t0 = course.clinical_onset_months
    if not math.isfinite(t0):
        return out
    t = course.times_months
    mune = np.asarray(course["mune_percent"], dtype=float)  # (T, M, 2)
    cmap = np.asarray(course["cmap_percent"], dtype=float)
    limb = _limb_muscles(course, anatomy)
    plain = np.array([m not in SPLIT_HAND_AFFECTED for m in course.muscles])
    death = course.events.get("death_months")
    alive_until = death if death is not None else t[-1] + 1.0
    dx = (course.events.get("diagnosis") or {}).get("months")
    if dx is not None:
        k0 = int(np.searchsorted(t, t0 + dx - 1e-9))
        end = min(t0 + dx + followup_months, alive_until - 1e-9)
        k1 = int(np.searchsorted(t, end + 1e-9)) - 1
        if k0 < len(t) and k1 > k0 and t[k1] - t[k0] >= 3.0 - 1e-9:
            base = mune[k0]
            aff = limb[:, None] & (base > 10.0) & (base < 90.0)
            if aff.any():
                rates = [_rate(mune[:, m, s], t, k0, k1) for m, s in zip(*np.nonzero(aff),
                                                                          strict=True)]
                out["mune_decline_percent_per_month"] = float(np.mean(rates))
            hyp = [m for m, name in enumerate(course.muscles) if name == "hypothenar"]
            rates = [_rate(mune[:, m, s], t, k0, k1) for m in hyp for s in range(2)
                     if base[m, s] > 10.0]
            if rates:
                out["hypothenar_mune_decline_percent_per_month"] = float(np.mean(rates))
    fell = cmap < 100.0 * normal_fraction
    lost = []
    for m in np.flatnonzero(limb & plain):
        for s in range(2):
            k = np.flatnonzero(fell[:, m, s] & (t < alive_until))
            if k.size:
                lost.append(1.0 - mune[k[0], m, s] / 100.0)
    if lost:
        out["units_lost_at_cmap_fall"] = float(np.mean(lost))
    onset_seg = course.events.get("onset_segment")
    side = SIDES.index(course.events.get("onset_side"))
    pool = [m for m, (name, seg) in enumerate(zip(course.muscles, course.muscle_segments,
                                                  strict=True))
            if seg == onset_seg and name not in SPLIT_HAND_AFFECTED]
    if pool:
        a = mune[:, pool[0], side] / 100.0
        k = np.flatnonzero((a <= 0.9) & (a >= 0.1) & (t < alive_until))
        if k.size >= 2:
            ks = np.arange(k[0], k[-1] + 1)
            ks = ks[ks + 1 < len(t)]
            with np.errstate(divide="ignore", invalid="ignore"):
                h = -np.log(a[ks + 1] / a[ks]) / np.diff(t)[ks]
            ok = np.isfinite(h) & (h > 0)
            if ok.sum() >= 4:
                out["loss_hazard_slope_per_month"] = float(
                    np.polyfit(t[ks][ok], np.log(h[ok]), 1)[0])
    return out


def phenotype_summary(course, anatomy, *, normal_fraction: float = 0.8) -> dict[str, Any]:
    """``{"phenotype": label, "motor_units": markers}`` for the clinical summary (JSON-ready)."""
    markers = motor_unit_markers(course, anatomy, normal_fraction=normal_fraction)
    return {"phenotype": classify_phenotype(course, anatomy),
            "motor_units": {k: (None if v is None or not math.isfinite(v) else round(v, 6))
                            for k, v in markers.items()}}
