"""Breathing: the respiratory pump, airway protection, ventilation and death.

Two systems fail in ALS, and the model keeps them apart:

**The pump.** The diaphragm (phrenic motor neurons, C3-C5) and the intercostal and accessory muscles
move air. Their weights are the anatomy's shares of the ALSFRS-R item *respiratory insufficiency*
(the diaphragm and the intercostals in the default anatomy; bulbar muscles are not part of the
pump). The pump strength ``P`` is the share-weighted mean strength of those segments, both sides
averaged. Vital capacity falls less than strength, because the lungs still fill passively: ``FVC =
fvc_healthy * P ** fvc_strength_exponent`` with exponent 0.5 puts FVC at 55% of predicted when the
pump has 30% of its strength, as measured in respiratory muscle weakness (Braun 1983 Thorax 38:616).
The expiratory muscles (the pump's segments without the diaphragm) empty the lungs below the resting
volume: with none left the expiratory reserve volume, about a quarter of the vital capacity, is lost
(``expiratory_vc_share``; :func:`fvc_percent`). The measured FVC starts from the patient's own
vital capacity before the disease, which scatters about the predicted value as healthy people's
does (``fvc_healthy_sd``; :func:`own_healthy_fvc`); it sets what spirometry reads (the FVC
criterion of ventilation, a trial's entry), not when the pump fails, which follows the muscles.
The sniff nasal inspiratory pressure reads the diaphragm alone (the segments carrying the item
*orthopnoea*): ``SNIP = snip_healthy * D``, so SNIP falls before FVC, as it does in patients
(Morgan 2005 Am J Respir Crit Care Med 171:269).

**Airway protection.** Bulbar muscles keep food and saliva out of the lungs. Aspiration pneumonia
strikes with a hazard that rises with the loss of swallowing function once dysphagia is
established (the swallowing muscles' function below the threshold of swallowing score
``aspiration_swallowing_item``, 2: the diet has to change; no risk above it) and is raised by a
weak cough (a weak pump); the patient dies of it when the cumulative hazard passes the patient's own
Exp(1) draw (``clinical_draws["aspiration"]``). Pneumonia is found at post-mortem in most
patients (Burkhardt 2017 PLoS One 12:e0177555: aspiration pneumonia in 23 of 74).

**Ventilation and death.** Non-invasive ventilation is *indicated* (King's 4B, a care event the
patient lives through) at the first record meeting any published criterion the model resolves: FVC
below ``niv_fvc``, SNIP below ``niv_snip``, orthopnoea (ALSFRS-R item 11 at or below
``niv_orthopnoea_item``), or hypoventilation: the inspiratory vital capacity awake, or in REM sleep
(when the intercostal and accessory muscles are atonic) that of the diaphragm alone, below
``hypercapnia_fvc`` (AAN practice parameter, Miller 2009 Neurology 73:1218: symptomatic
hypercapnia, nocturnal desaturation; hypercapnia appears once respiratory muscle strength is below
30% of predicted and the vital capacity below 55%, Braun 1983 Thorax 38:616; REM-sleep
hypoventilation with diaphragm dysfunction, Arnulf 2000 Am J Respir Crit Care Med 161:849).
Hypoventilation in REM sleep comes first; without ventilation the patient dies of hypercapnic
respiratory failure when the awake inspiratory vital capacity falls below the patient's own
failure level, or the diaphragm's alone (REM sleep) below that level times ``rem_failure_ratio``
(a patient whose diaphragm fails while the other muscles still work dies of it; Arnulf 2000).
The failure level is a lognormal level of median ``failure_fvc``, truncated below
``hypercapnia_fvc`` and read at the draw ``respiratory_reserve`` (:func:`failure_level`), so
hypercapnia, and with it the indication, always comes first and no patient dies at it. Untreated,
death follows the indication within months (median 3.0 months in patients who declined NIV,
Sancho 2018 ERJ Open Res 4:00159-2017). Treatments (:mod:`alssim.interventions`) lower that level
(NIV, if tolerated and the upper airway allows it; tracheostomy removes it) and change the
aspiration hazard (tracheostomy). ALSFRS-R item 12 grades the ventilatory support actually given
(Cedarbaum 1999 J Neurol Sci 169:13): 4 none, 3 intermittent NIV, 2 continuous NIV at night, 1 NIV
day and night, 0 invasive ventilation."""

from __future__ import annotations

import numpy as np
from scipy.stats import norm, truncnorm

from alssim.anatomy import ALSFRS_ITEMS
from alssim.clinical.progression import linear_slope

__all__ = [
    "CAUSES_OF_DEATH",
    "TRIAL_ENTRY_MONTHS",
    "TRIAL_MIN_SWALLOWING_ITEM",
    "aspiration_hazard",
    "cumulative_hazard",
    "diaphragm_weights",
    "entry_fvc_slope",
    "expiratory_retained",
    "expiratory_weights",
    "failure_level",
    "fvc_percent",
    "hypoventilation",
    "niv_indicated",
    "own_healthy_fvc",
    "pump_strength",
    "pump_weights",
    "reserve_factor",
    "snip_cmh2o",
    "support_item",
    "trial_entry",
    "trial_fvc_slope",
]

#: Causes of death the clinical layer tells apart.
CAUSES_OF_DEATH = ("respiratory_failure", "aspiration_pneumonia")


def _item_weights(shares: np.ndarray, item: str) -> np.ndarray:
    w = np.asarray(shares, dtype=float)[ALSFRS_ITEMS.index(item)]
    total = w.sum()
    return w / total if total > 0 else np.zeros_like(w)


def pump_weights(shares: np.ndarray) -> np.ndarray:
    """Weights of segments in the respiratory pump, shape (S,), summing to 1 (or all 0).

    Parameters
    ----------
    shares : ndarray, shape (12, S)
        From :func:`alssim.clinical.alsfrs.item_shares`; the row of *respiratory insufficiency*.
    """
    return _item_weights(shares, "respiratory_insufficiency")


def diaphragm_weights(shares: np.ndarray) -> np.ndarray:
    """Weights of the segments holding the diaphragm, shape (S,): the row of *orthopnoea*
    (orthopnoea is the symptom of diaphragm weakness), summing to 1 (or all 0)."""
    return _item_weights(shares, "orthopnoea")


def expiratory_weights(shares: np.ndarray) -> np.ndarray:
    """Weights of the expiratory muscles, shape (S,), summing to 1 (or all 0): the pump's
    segments that do not hold the diaphragm (in the default anatomy the thoracic segment: the
    internal intercostal and abdominal muscles, T1-L1), by their pump shares."""
    w = np.where(diaphragm_weights(shares) > 0, 0.0, pump_weights(shares))
    total = w.sum()
    return w / total if total > 0 else np.zeros_like(w)


def pump_strength(strength: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Share-weighted strength of the given muscles, both sides averaged, shape (T,), in [0, 1].

    Parameters
    ----------
    strength : ndarray, shape (T, S, 2)
        Force as a fraction of healthy.
    weights : ndarray, shape (S,)
        From :func:`pump_weights` or :func:`diaphragm_weights`; all zero gives full strength.
    """
    strength = np.asarray(strength, dtype=float)
    if not np.any(weights):
        return np.ones(strength.shape[0])
    return np.clip(strength.mean(axis=-1) @ weights, 0.0, 1.0)


def fvc_percent(pump: np.ndarray, fvc_healthy: float, exponent: float,
                expiratory: np.ndarray | None = None,
                expiratory_share: float = 0.0) -> np.ndarray:
    """Forced vital capacity, % of predicted, shape (T,).

    ``fvc_healthy * pump ** exponent * (1 - expiratory_share * (1 - expiratory))``: the
    inspiratory pump sets how far the lungs fill; the expiratory muscles how far they empty (the
    vital capacity is total lung capacity less the residual volume, which rises as they weaken).

    Parameters
    ----------
    pump : ndarray, shape (T,)
        Inspiratory pump strength, fraction of healthy.
    fvc_healthy : float
        FVC before onset (% predicted).
    exponent : float
        FVC falls as ``pump ** exponent``.
    expiratory : ndarray, shape (T,), optional
        Expiratory muscle strength, fraction of healthy (default: full strength).
    expiratory_share : float
        Share of the vital capacity lost with no expiratory strength.
    """
    fvc = fvc_healthy * np.power(np.clip(pump, 0.0, 1.0), exponent)
    if expiratory is None:
        return fvc
    return fvc * expiratory_retained(expiratory, expiratory_share)


def own_healthy_fvc(fvc_healthy: float, sd: float, quantile: float) -> float:
    """A patient's own FVC before the disease (% of predicted).

    Healthy people's vital capacity scatters about its predicted value (the prediction is a
    population mean for age, sex and height): ``fvc_healthy + sd * Phi^-1(q)``, the quantile
    ``q`` (the patient's ``clinical_draws["healthy_fvc"]``) held within 0.001-0.999 (3.09 SD),
    and never below 0.

    Parameters
    ----------
    fvc_healthy : float
        Mean FVC before onset (% predicted).
    sd : float
        SD between patients (% predicted).
    quantile : float
        The patient's quantile in (0, 1); 0.5 gives ``fvc_healthy``.
    """
    q = min(max(float(quantile), 1e-3), 1.0 - 1e-3)
    return max(float(fvc_healthy + sd * norm.ppf(q)), 0.0)


def expiratory_retained(expiratory: np.ndarray, expiratory_share: float) -> np.ndarray:
    """Fraction of the inspiratory vital capacity the expiratory muscles still empty, shape (T,):
    ``1 - expiratory_share * (1 - expiratory)`` (see :func:`fvc_percent`)."""
    return 1.0 - expiratory_share * (1.0 - np.clip(expiratory, 0.0, 1.0))


def snip_cmh2o(diaphragm: np.ndarray, snip_healthy: float) -> np.ndarray:
    """Sniff nasal inspiratory pressure, cmH2O: ``snip_healthy * diaphragm``, shape (T,)."""
    return snip_healthy * np.clip(diaphragm, 0.0, 1.0)


def hypoventilation(inspiratory_vc: np.ndarray, rem_vc: np.ndarray,
                    hypercapnia_fvc: float) -> np.ndarray:
    """Records with hypoventilation, awake or in REM sleep, bool shape (T,).

    The inspiratory vital capacity awake (``inspiratory_vc``), or in REM sleep that of the
    diaphragm alone (``rem_vc``), both % predicted, below ``hypercapnia_fvc``: hypercapnia
    appears once respiratory muscle strength is below 30% of predicted and the vital capacity
    below 55% (Braun 1983 Thorax 38:616), first in REM sleep when the diaphragm is weak (Arnulf
    2000 Am J Respir Crit Care Med 161:849).
    """
    return ((np.asarray(inspiratory_vc) < hypercapnia_fvc)
            | (np.asarray(rem_vc) < hypercapnia_fvc))


def niv_indicated(fvc: np.ndarray, snip: np.ndarray, orthopnoea_item: np.ndarray, *,
                  niv_fvc: float, niv_snip: float, orthopnoea_score: int,
                  hypoventilating: np.ndarray | None = None) -> np.ndarray:
    """Records from the first indication of non-invasive ventilation on, bool shape (T,).

    Any criterion suffices: FVC below ``niv_fvc``, SNIP below ``niv_snip``, the orthopnoea
    item at or below ``orthopnoea_score``, or hypoventilation (``hypoventilating``, bool (T,):
    symptomatic hypercapnia or nocturnal desaturation; :func:`hypoventilation`) (Miller 2009).
    Once indicated, always indicated.
    """
    now = ((np.asarray(fvc) < niv_fvc) | (np.asarray(snip) < niv_snip)
           | (np.asarray(orthopnoea_item) <= orthopnoea_score))
    if hypoventilating is not None:
        now = now | np.asarray(hypoventilating, dtype=bool)
    return np.logical_or.accumulate(now) if now.size else now


def reserve_factor(reserve_sigma: float, reserve_quantile: float) -> float:
    """The patient's factor on every FVC at which hypercapnic failure kills.

    ``exp(reserve_sigma * z)`` with ``z`` the standard normal quantile of the patient's draw
    ``respiratory_reserve``: a patient with a larger reserve (a low draw) lives to a lower FVC.
    """
    return float(np.exp(reserve_sigma * norm.ppf(reserve_quantile)))


def failure_level(failure_fvc: float, reserve_sigma: float, reserve_quantile: float,
                  ceiling: float) -> float:
    """The FVC (% predicted) at which untreated hypercapnic failure kills this patient.

    A lognormal of median ``failure_fvc`` and log-SD ``reserve_sigma``, truncated above at
    ``ceiling`` (the level of hypercapnia, itself an indication of ventilation: ventilation is
    indicated before the failure it prevents), read at the patient's draw
    ``respiratory_reserve`` by its inverse CDF (``scipy.stats.truncnorm`` on the log scale):
    ``failure_fvc * exp(sigma * Phi^-1(q * Phi(ln(ceiling / failure_fvc) / sigma)))``. Every
    level lies below the ceiling and none sits on it (a cap, ``min(level, ceiling)``, would put
    every patient above it at the threshold, dying in the month the indication comes); a larger
    draw gives a higher level.

    Parameters
    ----------
    failure_fvc : float
        Median level before truncation (% predicted).
    reserve_sigma : float
        Between-patient SD of the log level; 0 gives ``min(failure_fvc, ceiling)``.
    reserve_quantile : float
        The patient's draw, in (0, 1).
    ceiling : float
        Upper bound of the level (% predicted).
    """
    if reserve_sigma == 0.0 or failure_fvc <= 0.0 or ceiling <= 0.0:
        return float(min(failure_fvc, ceiling))
    upper = np.log(ceiling / failure_fvc) / reserve_sigma
    return float(failure_fvc * np.exp(
        reserve_sigma * truncnorm.ppf(reserve_quantile, -np.inf, upper)))


def aspiration_hazard(swallowing: np.ndarray, pump: np.ndarray, *, max_rate: float,
                      exponent: float, cough_gain: float,
                      multiplier: np.ndarray | float = 1.0,
                      dysphagia_onset: float = 1.0) -> np.ndarray:
    """Hazard of fatal aspiration pneumonia, per month, shape (T,).

    ``max_rate * lost ** exponent * (1 + cough_gain * (1 - pump)) * multiplier``, with
    ``lost = (dysphagia_onset - swallowing) / dysphagia_onset`` clipped to [0, 1]: the share of
    the swallowing function below the level where dysphagia begins that is gone. Above that level
    the hazard is zero; with ``dysphagia_onset = 1`` every loss counts (``lost = 1 -
    swallowing``).

    Parameters
    ----------
    swallowing : ndarray, shape (T,)
        Function of the muscles behind the ALSFRS-R swallowing item, in [0, 1].
    pump : ndarray, shape (T,)
        Pump strength (a weak cough clears the airway less), in [0, 1].
    max_rate : float
        Hazard with no swallowing function and a healthy cough (1/month).
    exponent : float
        Shape: how late in the loss of swallowing the risk rises.
    cough_gain : float
        Relative rise of the hazard with a pump of no strength.
    multiplier : float or ndarray, shape (T,)
        Treatments (gastrostomy, tracheostomy).
    dysphagia_onset : float
        Swallowing function, in (0, 1], below which aspiration can occur.
    """
    if not 0.0 < dysphagia_onset <= 1.0:
        raise ValueError(f"dysphagia_onset must be in (0, 1]; got {dysphagia_onset}")
    lost = np.clip((dysphagia_onset - np.asarray(swallowing, dtype=float)) / dysphagia_onset,
                   0.0, 1.0)
    weak = np.clip(1.0 - np.asarray(pump, dtype=float), 0.0, 1.0)
    return max_rate * lost**exponent * (1.0 + cough_gain * weak) * multiplier


def cumulative_hazard(times: np.ndarray, hazard: np.ndarray) -> np.ndarray:
    """Cumulative hazard at each record (trapezoid rule from the first record), shape (T,)."""
    t = np.asarray(times, dtype=float)
    h = np.asarray(hazard, dtype=float)
    out = np.zeros(len(t))
    if len(t) > 1:
        out[1:] = np.cumsum(0.5 * (h[1:] + h[:-1]) * np.diff(t))
    return out


def support_item(on_niv: np.ndarray, on_tracheostomy: np.ndarray, fvc: np.ndarray, *,
                 night_fvc: float, continuous_fvc: float) -> np.ndarray:
    """ALSFRS-R item 12 (respiratory insufficiency) from the ventilatory support given.

    4 no support; 3 intermittent NIV; 2 continuous NIV at night (FVC below ``night_fvc``);
    1 NIV day and night (FVC below ``continuous_fvc``); 0 invasive ventilation (Cedarbaum 1999).

    Returns
    -------
    ndarray of int8, shape (T,)
    """
    fvc = np.asarray(fvc, dtype=float)
    score = np.full(fvc.shape, 4, dtype=np.int8)
    niv = np.asarray(on_niv, dtype=bool)
    score[niv] = 3
    score[niv & (fvc < night_fvc)] = 2
    score[niv & (fvc < continuous_fvc)] = 1
    score[np.asarray(on_tracheostomy, dtype=bool)] = 0
    return score


#: Mean symptom duration at entry (months) of the trial whose placebo group gives the
#: vital-capacity slope (EMPOWER: Andrews 2018 JAMA Neurol 75:58).
TRIAL_ENTRY_MONTHS = 15.6
#: Lowest ALSFRS-R swallowing score at which a patient counts as able to swallow tablets, an
#: entry criterion of that trial (NCT01281189): score 1 still eats by mouth with supplemental
#: tube feeding, score 0 takes nothing by mouth (Cedarbaum 1999).
TRIAL_MIN_SWALLOWING_ITEM = 1


def trial_entry(t: np.ndarray, fvc: np.ndarray, onset_t: float, diagnosis_t: float,
                death_t: float, *, entry_months: float = TRIAL_ENTRY_MONTHS,
                max_symptom_months: float = 24.0, min_fvc: float = 65.0,
                followup_months: float = 12.0, min_records: int = 3,
                eligible: np.ndarray | None = None) -> tuple[int, np.ndarray] | None:
    """The record at which a trial cohort enrols the patient, and the records it follows.

    The protocol of the placebo groups of Andrews 2018 (JAMA Neurol 75:58, EMPOWER: symptom
    onset within 24 months of screening, upright vital capacity at least 65% of predicted;
    mean symptom duration at baseline 15.6 months): the patient enters at the first record at
    least ``entry_months`` after clinical onset and not before the diagnosis, and is eligible if
    that record is at most ``max_symptom_months`` after onset, alive, with FVC at least
    ``min_fvc``, and ``eligible`` there (the trial's other entry criteria, record by record).
    The follow-up is the records of the next ``followup_months`` while alive (at least
    ``min_records``).

    Parameters
    ----------
    t : ndarray, shape (T,)
        Record times (months from biological onset).
    fvc : ndarray, shape (T,)
        FVC, % of predicted.
    onset_t, diagnosis_t, death_t : float
        Clinical onset, diagnosis and death (months from biological onset; ``inf`` if never).
    eligible : ndarray of bool, shape (T,), optional
        Whether the trial's other entry criteria hold at each record; ``None``: at every one.

    Returns
    -------
    (int, ndarray of bool of shape (T,)) or None
        The entry record and the mask of the follow-up records (the entry included); ``None``
        for a patient the trial would not have enrolled or who has fewer than ``min_records``
        records in follow-up.
    """
    t = np.asarray(t, dtype=float)
    if not (np.isfinite(onset_t) and np.isfinite(diagnosis_t)):
        return None
    k0 = int(np.searchsorted(t, max(onset_t + entry_months, diagnosis_t) - 1e-9))
    if k0 >= len(t) or t[k0] >= death_t or t[k0] - onset_t > max_symptom_months + 1e-9:
        return None
    fvc = np.asarray(fvc, dtype=float)
    if fvc[k0] < min_fvc or (eligible is not None and not bool(eligible[k0])):
        return None
    keep = (t >= t[k0]) & (t <= t[k0] + followup_months + 1e-9) & (t < death_t)
    if keep.sum() < min_records:
        return None
    return k0, keep


def entry_fvc_slope(t: np.ndarray, fvc: np.ndarray,
                    entry: tuple[int, np.ndarray] | None) -> float | None:
    """FVC slope over a trial's follow-up (% predicted per month): the least-squares line
    through the follow-up records of ``entry`` (from :func:`trial_entry`); ``None`` without
    an entry."""
    if entry is None:
        return None
    k0, keep = entry
    t = np.asarray(t, dtype=float)
    return linear_slope(t[keep] - t[k0], np.asarray(fvc, dtype=float)[keep])


def trial_fvc_slope(t: np.ndarray, fvc: np.ndarray, onset_t: float, diagnosis_t: float,
                    death_t: float, **kwargs) -> float | None:
    """FVC slope over the follow-up of a trial cohort (% predicted per month).

    :func:`entry_fvc_slope` of :func:`trial_entry` (same arguments, its keyword arguments
    passed on); ``None`` for a patient the trial would not have enrolled or who has too few
    records in follow-up.
    """
    return entry_fvc_slope(t, fvc, trial_entry(t, fvc, onset_t, diagnosis_t, death_t,
                                               **kwargs))
