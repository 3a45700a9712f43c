"""Per-patient random draws of the clinical course: the events neurons alone do not decide.

Most of the clinical course is a deterministic read-out of the recorded neuron populations. A few
things that happen to a patient are chance events at the level of the person: how long they wait
before seeing a doctor and a neurologist, whether an aspiration pneumonia strikes while swallowing
fails, whether they tolerate a ventilation mask, how much respiratory reserve they have when the
pump fails, how large their vital capacity was before the disease. These are drawn once per
patient, each from a stream of its own
(``"clinical:<name>"`` under the patient's :class:`numpy.random.SeedSequence`), as standard
quantities independent of any parameter:

* a **quantile** is uniform on (0, 1); the clinical layer maps it through the distribution its
  parameters give (e.g. a lognormal delay), so changing a parameter moves the value smoothly and
  never reshuffles another draw (common random numbers);
* a **threshold** is Exp(1): the event happens when the patient's cumulative hazard of that event
  passes it (the same exact construction as the neurons' fates).

The clinical layer (:mod:`alssim.clinical`) reads them from :attr:`alssim.Result.clinical_draws`;
it never draws a random number itself.
"""

from __future__ import annotations

import math

import numpy as np

from alssim.streams import stream

__all__ = ["CLINICAL_DRAWS", "default_clinical_draws", "draw_clinical"]

#: Name -> kind ("quantile": uniform on (0, 1); "threshold": Exp(1)) and what it decides.
CLINICAL_DRAWS: dict[str, tuple[str, str]] = {
    "first_consultation": ("quantile", "delay from the first symptom to the first consultation"),
    "referral": ("quantile", "delay from the first consultation to the neurologist"),
    "neurology_follow_up": ("quantile", "interval between neurology visits before diagnosis"),
    "emg_wait": ("quantile", "delay from the first neurology visit to the EMG"),
    "aspiration": ("threshold", "aspiration pneumonia: cumulative hazard at which it kills"),
    "ventilation_tolerance": ("quantile", "tolerance of non-invasive ventilation"),
    "respiratory_reserve": ("quantile", "pump reserve at which hypercapnic failure kills"),
    "healthy_fvc": ("quantile", "the patient's own vital capacity before the disease"),
}


def draw_clinical(root: np.random.SeedSequence) -> dict[str, float]:
    """The clinical draws of one patient, from the patient's root sequence.

    Parameters
    ----------
    root : SeedSequence
        The patient's (run's) root sequence.

    Returns
    -------
    dict of str to float
        One value per name of :data:`CLINICAL_DRAWS`: quantiles in (0, 1), thresholds > 0.
    """
    out = {}
    for name, (kind, _doc) in CLINICAL_DRAWS.items():
        rng = stream(root, f"clinical:{name}")
        if kind == "quantile":
            # strictly inside (0, 1): a distribution's inverse CDF is finite there
            out[name] = float(np.clip(rng.random(), 1e-12, 1.0 - 1e-12))
        else:
            out[name] = float(rng.standard_exponential())
    return out


def default_clinical_draws() -> dict[str, float]:
    """The median of every draw: quantiles 0.5, thresholds ln 2.

    Used for results saved before the draws were recorded; such a patient is the typical one in
    every clinical chance event.
    """
    return {name: (0.5 if kind == "quantile" else math.log(2.0))
            for name, (kind, _doc) in CLINICAL_DRAWS.items()}
