"""The diagnostic pathway of one patient: consultation, referral, neurology visits and the EMG.

A patient notices the first symptom at clinical onset, then

1. consults a doctor (usually the general practitioner) after a delay ``C``;
2. is referred and seen by a neurologist for the first time after a further delay ``R``, or
   sooner when the disability grows fast: once the ALSFRS-R has fallen by
   ``urgent_alsfrs_drop`` points the patient consults at once and sees the neurologist within
   ``urgent_referral_months``;
3. has the EMG a delay ``E`` after that first neurology visit;
4. is seen again every ``F`` months (follow-up) until the diagnosis.

Each delay is lognormal with a median and a log-scale spread (``[clinical.diagnosis]``):
``delay = median * exp(sigma * z)`` with ``z`` the standard normal quantile of the patient's own
uniform draw (:mod:`alssim.care_draws`: ``first_consultation``, ``referral``, ``emg_wait``,
``neurology_follow_up``). Bulbar-onset patients reach the neurologist sooner: the medians of
``C`` and ``R`` are multiplied by ``bulbar_delay_factor``. Nothing here draws a random number;
a changed parameter moves each patient's delays smoothly (common random numbers).

The neurology visits (months from biological onset) are the first neurology visit, the EMG
(reviewed by the neurologist on the day: assumption) and the follow-ups; the diagnosis is made at
the first of them where the configured criterion is met, reading EMG findings only from the EMG
on (:func:`alssim.clinical.diagnosis.diagnosis_visit`). So a patient whose signs take long to meet
the criterion waits for later follow-ups: slow disease, long delay.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from statistics import NormalDist

import numpy as np

from alssim.care_draws import default_clinical_draws

__all__ = ["PATHWAY_DRAWS", "Pathway", "lognormal_delay", "pathway"]

#: The clinical draws (:data:`alssim.care_draws.CLINICAL_DRAWS`) the pathway reads.
PATHWAY_DRAWS = ("first_consultation", "referral", "emg_wait", "neurology_follow_up")

_STD_NORMAL = NormalDist()


def lognormal_delay(quantile: float, median: float, sigma: float) -> float:
    """The ``quantile`` of a lognormal delay.

    Parameters
    ----------
    quantile : float
        In (0, 1): the patient's uniform draw.
    median : float
        Median delay (month), >= 0.
    sigma : float
        Standard deviation of the log delay (dimensionless), >= 0; 0 gives the median.

    Returns
    -------
    float
        Delay in months.

    Raises
    ------
    ValueError
        If ``quantile`` is not strictly between 0 and 1.

    Examples
    --------
    >>> lognormal_delay(0.5, 3.0, 0.8)
    3.0
    """
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile must be strictly between 0 and 1; got {quantile!r}")
    if median == 0.0 or sigma == 0.0:
        return float(median)
    return float(median * math.exp(sigma * _STD_NORMAL.inv_cdf(quantile)))


@dataclasses.dataclass(frozen=True)
class Pathway:
    """Times of one patient's diagnostic pathway, months from clinical onset.

    Attributes
    ----------
    first_consultation_months : float
        First consultation of a doctor for the symptom.
    first_neurology_months : float
        First visit to a neurologist.
    emg_months : float
        The EMG (nerve conduction and needle EMG).
    follow_up_interval_months : float
        Interval between neurology visits until the diagnosis.
    """

    first_consultation_months: float
    first_neurology_months: float
    emg_months: float
    follow_up_interval_months: float

    def visits(self, onset_months: float, horizon_months: float) -> np.ndarray:
        """Neurology visits, months from biological onset, sorted, up to the horizon.

        The first neurology visit, the EMG (reviewed on the day) and follow-ups every
        :attr:`follow_up_interval_months` after the first neurology visit.

        Parameters
        ----------
        onset_months : float
            Clinical onset, months from biological onset; no visits when not finite.
        horizon_months : float
            Last recorded time, months from biological onset.

        Returns
        -------
        ndarray of float, shape (n_visits,)
        """
        if not math.isfinite(onset_months):
            return np.zeros(0)
        first = onset_months + self.first_neurology_months
        if first > horizon_months + 1e-9:
            return np.zeros(0)
        n = int(np.floor((horizon_months - first) / self.follow_up_interval_months + 1e-9)) + 1
        times = first + self.follow_up_interval_months * np.arange(n)
        emg = onset_months + self.emg_months
        if emg <= horizon_months + 1e-9:
            times = np.append(times, emg)
        return np.unique(times)


def pathway(draws: Mapping[str, float] | None, params, bulbar_onset: bool,
            urgent_months: float = math.inf) -> Pathway:
    """The pathway of one patient from their draws and the ``[clinical.diagnosis]`` parameters.

    Parameters
    ----------
    draws : mapping of str to float, or None
        The patient's clinical draws (:attr:`alssim.Result.clinical_draws`); ``None`` or a
        missing name reads the median (0.5).
    params : alssim.clinical.params.Diagnosis
    bulbar_onset : bool
        The first clinically involved region is bulbar.
    urgent_months : float
        Months from clinical onset at which the disability makes the referral urgent (the
        ALSFRS-R has fallen by ``urgent_alsfrs_drop`` points); ``inf`` if never. The patient
        then consults at once if not yet done, and sees the neurologist at the latest
        ``urgent_referral_months`` later: fast disease shortens the way to the neurologist.

    Returns
    -------
    Pathway
    """
    q = default_clinical_draws()
    if draws:
        q.update({k: float(v) for k, v in draws.items() if k in PATHWAY_DRAWS})
    site = params.bulbar_delay_factor if bulbar_onset else 1.0
    consult = lognormal_delay(q["first_consultation"], params.first_consultation_median_months
                              * site, params.first_consultation_sigma)
    referral = lognormal_delay(q["referral"], params.referral_median_months * site,
                               params.referral_sigma)
    emg = lognormal_delay(q["emg_wait"], params.emg_median_months, params.emg_sigma)
    follow = lognormal_delay(q["neurology_follow_up"], params.visit_interval_months,
                             params.visit_interval_sigma)
    urgent_months = max(float(urgent_months), 0.0)
    consult = min(consult, urgent_months)
    neuro = max(consult, min(consult + referral, urgent_months + params.urgent_referral_months))
    return Pathway(first_consultation_months=consult, first_neurology_months=neuro,
                   emg_months=neuro + emg, follow_up_interval_months=max(follow, 1e-3))
