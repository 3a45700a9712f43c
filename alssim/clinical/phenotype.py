"""Clinical phenotype and motor-unit markers of one patient: pure functions of a ClinicalCourse.

Phenotypes (one label per patient, first matching rule wins; windows in months from clinical
onset, ending early at death). The labels describe the clinical picture only (Chiò 2011 JNNP
82:740 classify the same way: classic, bulbar, flail arm, flail leg, pyramidal, respiratory, pure
LMN, pure UMN); a genotype has no label of its own (the cohort table has a ``genotype`` column), so
a SOD1 A4V or FUS patient gets the label of the course it shows.

``flail_arm``
    Brachial amyotrophic diplegia (Wijesekera 2009 Neurology 72:1087): upper-limb onset,
    *predominantly proximal* weakness -- at the end of the window the proximal (rostral) segments
    of the upper-limb region are weaker, both sides averaged, than its distal (caudal) ones; the
    check is skipped when the region has a single segment -- and for ``flail_window_months`` (12)
    after clinical onset no bulbar or lower-limb segment is functionally involved (trunk and
    respiratory muscles are not part of Wijesekera's criterion), with no spasticity (Modified
    Ashworth 0) and no clonus anywhere; brisk reflexes and Babinski signs are allowed, as in
    Wijesekera's definition. Distal (hand-onset) LMN disease confined to the arms is therefore
    not flail arm but, without UMN signs, PMA. This is a known limitation: most flail-arm
    patients begin distally and become proximal-predominant later (distal or mixed onset in 76%
    of 42, Hübers 2016 J Neurol 263:390; distal onset in 66% of 56, ALS FTD 2023 24:383), a
    shift the model does not produce, so the flail-arm share is low and the PMA label holds
    those patients (experiments/validation/README.md).
``flail_leg``
    Pseudopolyneuritic form, the same confinement rule for lower-limb onset: no bulbar or
    upper-limb involvement (Wijesekera 2009 describe it as distal; the default anatomy has one
    leg segment, so there is no proximal/distal check).
``respiratory``
    Respiratory onset (Chiò 2011: respiratory impairment at onset -- orthopnoea, or dyspnoea at
    rest or on exertion -- with only mild spinal or bulbar signs in the first 6 months; Gautier
    2010 ALS 11:379; Shoesmith 2007 JNNP 78:629): an ALSFRS-R respiratory item (dyspnoea,
    orthopnoea, respiratory insufficiency) falls below 4 before every bulbar and limb item, and
    no bulbar or limb item falls below 3 within ``mild_window_months`` (6). Tried after the flail
    rules (whose confinement criterion leaves out the trunk and respiratory muscles, and whose
    arms are not "mild") and before PMA, so an LMN-only patient whose first complaint is
    breathlessness is a respiratory-onset patient. Trunk/respiratory onset (onset segment in the
    King's ``respiratory`` region) keeps this label as the fallback below.
``pma``
    Progressive muscular atrophy (Kim 2009 Neurology 73:1686; Chiò 2011 "pure LMN"), a spinal
    LMN syndrome: onset outside the bulbar region (pure LMN bulbar onset is progressive bulbar
    palsy, labelled ``bulbar``), clinical LMN signs (LMN weakness or visible wasting) and no
    clinical UMN sign (MAS >= 1, reflex >= 3 or Babinski) in any segment for
    ``pure_window_months`` (24) after clinical onset, or until death
    when the patient dies sooner (then the whole course was seen: a rapid course that kills with
    LMN signs only, as in SOD1 A4V, Cudkowicz 1998 Ann Neurol 43:703, is a pure LMN course).
    Wijesekera 2009 classify flail arm and flail leg before PMA, as here.
``umn_predominant``
    UMN-predominant ALS (Liu 2024 Front Neurol): clinical UMN signs but no clinical LMN sign in any
    segment over the same window.
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
``munix_total_decline_percent_per_month``
    The MUNIX protocol of Neuwirth 2015 (JNNP 86:1172: six muscles -- abductor pollicis brevis,
    abductor digiti minimi, biceps, tibialis anterior, extensor digitorum brevis, abductor
    hallucis -- measured every 3 months on the *less affected side*; "using the total score of all
    muscles, MUNIX declined by 3.2%/month" in the 31 of 51 patients who reached month 12): the sum
    of the MUNE of those of :data:`MUNIX_MUSCLES` the anatomy has (the default: thenar = APB,
    hypothenar = ADM, biceps, tibialis anterior, extensor digitorum brevis), on the side with the
    larger sum at the diagnosis visit (study entry), its loss over the next ``followup_months``
    (12) as a percentage of the entry sum, per month; ``None`` for a patient who dies before
    month 12 (not in the published figure) or has none of the muscles.
``mune_at_diagnosis_percent``
    Limb MUNE sum score at the diagnosis visit: the MUNE of every limb muscle, both sides, summed
    and divided by the healthy sum (%), as MUNIX sum scores add several limb muscles (Neuwirth
    2015 JNNP 86:1172). LMN-predominant patients have the fewest motor units (multipoint MUNE at
    study baseline: PMA 29, ALS 76, PLS 174, controls 267; MUNE multimodal biomarker study, the
    source of MUNE -2.35%/month in LITERATURE.md).
``onset_mune_at_diagnosis_percent``
    MUNE of the onset segment's muscles on the onset side at the diagnosis visit, % of healthy
    (mean over those muscles): the motor units left where the disease began, in the muscles a
    clinic examines first.
``hypothenar_mune_decline_percent_per_month``
    The same in the hypothenar muscles (ADM, the classic MUNE muscle), whether affected or not
    (baseline above 10% of healthy).
``units_lost_at_cmap_fall``
    In limb muscles of vulnerability 1 (``Muscle.vulnerability``: MUNE proportional to the
    surviving LMNs), the
    fraction of motor units lost at the first record where the CMAP falls below the clinical
    normal limit, taken as ``normal_fraction`` (the clinical layer's involvement threshold, 80% of
    healthy); the mean over the muscles whose CMAP fell.
``loss_hazard_slope_per_month``
    Shape of neuron loss in the onset pool (LMNs of the onset segment and side, read from an
    exponent-1 muscle of that segment, whose MUNE is the surviving fraction): the per-neuron risk
    ``h_k = -log(a_{k+1} / a_k) / dt`` between records while the pool is between 10% and 90%
    lost, and the least-squares slope of ``log h`` against time (per month). A constant risk per
    neuron (Clarke 2000 Nature 406:195) gives 0, a sigmoid (accelerating) loss a positive slope.

Breathing symptoms (:func:`respiratory_symptom_markers`):

``respiratory_symptoms.months``
    First record (months from clinical onset, alive) with an ALSFRS-R respiratory item --
    dyspnoea, orthopnoea or respiratory insufficiency -- below 4.
``respiratory_symptoms.regions_preserved``
    How many of the other King's regions of the ALSFRS-R (bulbar, upper limb, lower limb;
    :func:`alssim.clinical.staging.kings_regions_from_alsfrs`: every item of the region still 4)
    are normal at that record (0-2 after bulbar or limb onset); ``None`` after trunk/respiratory
    onset. Fujimura-Kiyono 2011 (JNNP 82:1244, Table 1) count the sites "normally preserved at
    the onset of respiratory symptoms": 26 in 50 upper-limb, 24 in 52 lower-limb and 4 in 31
    bulbar-onset patients.

All values are ``None`` where undefined. These are descriptive read-outs of the simulated course for
validation; no random numbers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from alssim.anatomy import ALSFRS_ITEMS, BREATHING_ITEMS, SIDES
from alssim.clinical.staging import ALSFRS_KINGS_REGIONS, kings_regions_from_alsfrs

__all__ = ["MUNIX_MUSCLES", "PHENOTYPES", "classify_phenotype", "motor_unit_markers",
           "phenotype_summary", "respiratory_symptom_markers"]

#: Phenotype labels (see the module docstring for the order the rules are tried in).
PHENOTYPES = ("flail_arm", "flail_leg", "pma", "umn_predominant", "bulbar", "classic",
              "respiratory", "none")

_LIMB_REGIONS = ("upper_limb", "lower_limb")
#: Muscles of the MUNIX total score of Neuwirth 2015 JNNP 86:1172, by the anatomy's muscle names
#: (abductor pollicis brevis = ``thenar``, abductor digiti minimi = ``hypothenar``).
MUNIX_MUSCLES = ("thenar", "hypothenar", "biceps", "tibialis_anterior",
                 "extensor_digitorum_brevis", "abductor_hallucis")


def _onset_region(course, anatomy) -> str:
    """King's region of the course's onset segment."""
    return anatomy.segments[anatomy.segment_index(course.events.get("onset_segment"))].kings_region


def _window(course, months: float) -> tuple[np.ndarray, bool, bool]:
    """Record mask of ``[onset, onset + months]`` (clipped at death), whether the window ran its
    full length, and whether the patient died within it."""
    t = course.times_months
    t0 = course.clinical_onset_months
    death = course.events.get("death_months")
    end = t0 + months
    died = death is not None and death <= end
    complete = not died and t[-1] >= end - 1e-9
    mask = (t >= t0 - 1e-9) & (t <= end + 1e-9)
    if death is not None:
        mask &= t < death - 1e-9
    return mask, complete, died


def _first_drop(course, items, below: int = 4) -> float:
    """First record time (months, while alive, from clinical onset on) any of the ALSFRS-R
    ``items`` is below ``below``; inf if never."""
    t = course.times_months
    alive = t < (course.events.get("death_months") or math.inf) - 1e-9
    low = np.zeros(len(t), dtype=bool)
    for item in items:
        low |= np.asarray(course[f"alsfrs_r_{item}"]) < below
    k = np.flatnonzero(low & alive & (t >= course.clinical_onset_months - 1e-9))
    return float(t[k[0]]) if k.size else math.inf


def _respiratory_onset(course, mild_months: float) -> bool:
    """A respiratory ALSFRS-R item falls below 4 strictly before every other item, and no other
    item falls below 3 within ``mild_months`` of clinical onset (only mild spinal or bulbar
    signs)."""
    others = [i for i in ALSFRS_ITEMS if i not in BREATHING_ITEMS]
    resp = _first_drop(course, BREATHING_ITEMS)
    if not (math.isfinite(resp) and resp < _first_drop(course, others)):
        return False
    return _first_drop(course, others, below=3) > course.clinical_onset_months + mild_months


def _proximal_weaker(course, anatomy, region: str, k: int) -> bool:
    """At record ``k``, the proximal (rostral) segments of ``region`` are weaker than the distal
    (caudal) ones, both sides averaged; True when the region has a single segment."""
    segs = [i for i, s in enumerate(anatomy.segments) if s.kings_region == region]
    if len(segs) < 2:
        return True
    half = len(segs) // 2
    strength = np.asarray(course["strength"], dtype=float)[k]
    return bool(strength[segs[:half]].mean() < strength[segs[-half:]].mean())


def classify_phenotype(course, anatomy, *, flail_window_months: float = 12.0,
                       pure_window_months: float = 24.0, mild_window_months: float = 6.0) -> str:
    """Phenotype label of one patient (see the module docstring for the rules).

    Parameters
    ----------
    course : ClinicalCourse
    anatomy : Anatomy
        The anatomy of the run (segment regions).
    flail_window_months : float
        Months from clinical onset the weakness must stay confined to one limb region.
    pure_window_months : float
        Months from clinical onset without UMN signs (PMA) or LMN signs (UMN-predominant); a
        death within the window closes it.
    mild_window_months : float
        Months from clinical onset a respiratory-onset patient's bulbar and limb items stay
        at 3 or more.

    Returns
    -------
    str
        One of :data:`PHENOTYPES`.
    """
    if not math.isfinite(course.clinical_onset_months):
        return "none"
    seg_region = [s.kings_region for s in anatomy.segments]
    onset_region = _onset_region(course, anatomy)
    involved = np.asarray(course["involved"], dtype=bool)
    ashworth = np.asarray(course["ashworth"])
    reflex = np.asarray(course["reflex"])
    if onset_region in _LIMB_REGIONS:
        w, complete, _ = _window(course, flail_window_months)
        if complete:
            other = np.array([r != onset_region and r in ("bulbar", *_LIMB_REGIONS)
                              for r in seg_region])
            confined = not involved[w][:, other].any()
            no_spasticity = not (ashworth[w] >= 1).any() and not (reflex[w] >= 4).any()
            proximal = (onset_region != "upper_limb"
                        or _proximal_weaker(course, anatomy, onset_region,
                                            int(np.flatnonzero(w)[-1])))
            if confined and no_spasticity and proximal:
                return "flail_arm" if onset_region == "upper_limb" else "flail_leg"
    if _respiratory_onset(course, mild_window_months):
        return "respiratory"
    w, complete, died = _window(course, pure_window_months)
    if (complete or died) and w.any():
        umn = np.asarray(course["umn_sign"], dtype=bool)[w]
        lmn = np.asarray(course["lmn_sign"], dtype=bool)[w]
        if lmn.any() and not umn.any() and onset_region != "bulbar":
            return "pma"
        if umn.any() and not lmn.any():
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


def _munix_total_decline(course, t: np.ndarray, k0: int, end: float,
                         alive_until: float) -> float | None:
    """Decline of the MUNIX total score on the less affected side (%/month; Neuwirth 2015)."""
    muscles = [m for m, name in enumerate(course.muscles) if name in MUNIX_MUSCLES]
    if not muscles or k0 >= len(t) or end >= alive_until - 1e-9 or t[-1] < end - 1e-9:
        return None
    k1 = int(np.searchsorted(t, end - 1e-9))
    units = np.asarray(course["mune"], dtype=float)[:, muscles, :].sum(axis=1)  # (T, 2)
    side = int(np.argmax(units[k0]))
    if units[k0, side] <= 0.0:
        return None
    return _rate(units[:, side], t, k0, k1)


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
        ``mune_decline_percent_per_month``, ``munix_total_decline_percent_per_month``,
        ``mune_at_diagnosis_percent``, ``onset_mune_at_diagnosis_percent``,
        ``hypothenar_mune_decline_percent_per_month``,
        ``units_lost_at_cmap_fall``, ``loss_hazard_slope_per_month`` (see the module
        docstring); ``None`` where undefined.
    """
    out: dict[str, float | None] = dict.fromkeys(
        ("mune_decline_percent_per_month", "munix_total_decline_percent_per_month",
         "mune_at_diagnosis_percent",
         "onset_mune_at_diagnosis_percent", "hypothenar_mune_decline_percent_per_month",
         "units_lost_at_cmap_fall", "loss_hazard_slope_per_month"))
    t0 = course.clinical_onset_months
    if not math.isfinite(t0):
        return out
    t = course.times_months
    mune = np.asarray(course["mune_percent"], dtype=float)  # (T, M, 2)
    cmap = np.asarray(course["cmap_percent"], dtype=float)
    limb = _limb_muscles(course, anatomy)
    # muscles of vulnerability 1 keep their segment's share of its pool: MUNE = surviving LMNs
    plain = np.array([m.vulnerability == 1.0 for seg in anatomy.segments for m in seg.muscles],
                     dtype=bool)
    death = course.events.get("death_months")
    alive_until = death if death is not None else t[-1] + 1.0
    dx = (course.events.get("diagnosis") or {}).get("months")
    if dx is not None:
        k0 = int(np.searchsorted(t, t0 + dx - 1e-9))
        if k0 < len(t) and t[k0] < alive_until - 1e-9:
            healthy = np.array([m.motor_units for seg in anatomy.segments for m in seg.muscles],
                               dtype=float)
            units = np.asarray(course["mune"], dtype=float)[k0]
            out["mune_at_diagnosis_percent"] = float(
                100.0 * units[limb].sum() / (2.0 * healthy[limb].sum()))
            onset_side = SIDES.index(course.events.get("onset_side"))
            own = [m for m, seg in enumerate(course.muscle_segments)
                   if seg == course.events.get("onset_segment")]
            if own:
                out["onset_mune_at_diagnosis_percent"] = float(
                    np.mean(mune[k0, own, onset_side]))
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
        out["munix_total_decline_percent_per_month"] = _munix_total_decline(
            course, t, k0, t0 + dx + followup_months, alive_until)
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
            if seg == onset_seg and plain[m]]
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


def respiratory_symptom_markers(course, anatomy) -> dict[str, float | None]:
    """When breathing symptoms begin, and how many other regions are still normal then.

    Parameters
    ----------
    course : ClinicalCourse
    anatomy : Anatomy

    Returns
    -------
    dict
        ``months`` (from clinical onset) and ``regions_preserved`` (see the module docstring);
        ``None`` where undefined.
    """
    out: dict[str, float | None] = {"months": None, "regions_preserved": None}
    t0 = course.clinical_onset_months
    if not math.isfinite(t0):
        return out
    first = _first_drop(course, BREATHING_ITEMS)
    if not math.isfinite(first):
        return out
    out["months"] = float(first - t0)
    onset_region = _onset_region(course, anatomy)
    if onset_region in ALSFRS_KINGS_REGIONS:
        k = int(np.searchsorted(course.times_months, first))
        items = np.array([[course[f"alsfrs_r_{i}"][k] for i in ALSFRS_ITEMS]], dtype=float)
        involved = kings_regions_from_alsfrs(items)[0]
        out["regions_preserved"] = float(sum(
            not involved[j] for j, region in enumerate(ALSFRS_KINGS_REGIONS)
            if region != onset_region))
    return out


def phenotype_summary(course, anatomy, *, normal_fraction: float = 0.8) -> dict[str, Any]:
    """``{"phenotype": label, "motor_units": markers, "respiratory_symptoms": markers}`` for the
    clinical summary (JSON-ready)."""
    def clean(d: dict[str, float | None]) -> dict[str, float | None]:
        return {k: (None if v is None or not math.isfinite(v) else round(v, 6))
                for k, v in d.items()}
    markers = motor_unit_markers(course, anatomy, normal_fraction=normal_fraction)
    return {"phenotype": classify_phenotype(course, anatomy),
            "motor_units": clean(markers),
            "respiratory_symptoms": clean(respiratory_symptom_markers(course, anatomy))}
