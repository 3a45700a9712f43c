"""Where the disease starts: one segment on one side, in UMN, LMN or both."""

from __future__ import annotations

import dataclasses

import numpy as np

from alssim.anatomy import ONSET_SITES, SIDES, Anatomy
from alssim.config.schema import Onset
from alssim.streams import stream

__all__ = ["OnsetSite", "choose_onset", "initial_load", "site_probabilities"]


@dataclasses.dataclass(frozen=True)
class OnsetSite:
    """The focal onset of one patient.

    Attributes
    ----------
    segment : str
    side : str
        Body side of the first signs ('left' or 'right').
    compartment : str
        'umn', 'lmn' or 'both'.
    site : str
        Onset-site category of the segment (bulbar, upper_limb, lower_limb, respiratory).
    """

    segment: str
    side: str
    compartment: str
    site: str

    def populations(self, anatomy: Anatomy) -> list[int]:
        """Indices of the seeded populations."""
        comps = ("umn", "lmn") if self.compartment == "both" else (self.compartment,)
        return [anatomy.population_index(c, self.segment, self.side) for c in comps]


def site_probabilities(spec: Onset, anatomy: Anatomy, bulbar_odds: float = 1.0) -> np.ndarray:
    """Probability of each onset site the anatomy has (in :data:`ONSET_SITES` order).

    Parameters
    ----------
    spec : Onset
        ``p_bulbar ... p_respiratory``, renormalised over the sites the anatomy has (all equal
        when they sum to 0).
    anatomy : Anatomy
    bulbar_odds : float
        Multiplier on the odds of bulbar onset (a patient's sex and age; see
        :mod:`alssim.patients`); the other sites share the rest in their configured proportions.
        1 leaves the configured probabilities exactly as they are.

    Returns
    -------
    ndarray, shape (n_present_sites,)
        Sums to 1.
    """
    present = [s for s in ONSET_SITES if any(g.onset_site == s for g in anatomy.segments)]
    probs = np.array([spec.site_probabilities()[ONSET_SITES.index(s)] for s in present])
    if probs.sum() <= 0:
        probs = np.ones(len(present))
    probs = probs / probs.sum()
    if bulbar_odds != 1.0 and "bulbar" in present:
        b = present.index("bulbar")
        pb = float(probs[b])
        if 0.0 < pb < 1.0:
            odds = bulbar_odds * pb / (1.0 - pb)
            new = 1.0 if np.isinf(odds) else odds / (1.0 + odds)
            probs = probs * ((1.0 - new) / (1.0 - pb))
            probs[b] = new
    return probs


def choose_onset(spec: Onset, anatomy: Anatomy, root: np.random.SeedSequence, *,
                 bulbar_odds: float = 1.0) -> OnsetSite:
    """The onset of one patient: as configured, or sampled.

    Sampling: the site from ``p_bulbar ... p_respiratory`` (renormalised over the sites the anatomy
    has; the odds of bulbar onset times ``bulbar_odds``, see :func:`site_probabilities`), the
    compartment from ``p_compartment_*`` (``p_compartment_*_bulbar`` after bulbar onset), the
    segment within the site by its onset weight for that compartment
    (:meth:`alssim.anatomy.Segment.onset_weight_for`: an anatomy may place LMN-predominant
    onsets differently), and the side (upper-limb onset on the dominant side with
    ``p_dominant_upper_limb``, otherwise either side equally). Draws come from the ``"onset"``
    stream only, always the same number of them, so ``bulbar_odds`` changes which site a
    patient's draw falls in and nothing else. A single run (:func:`alssim.simulate`) uses
    ``bulbar_odds = 1``; cohorts pass each patient's own odds
    (:func:`alssim.patients.sample_patient`).
    """
    if spec.mode == "fixed":
        seg = anatomy.segments[anatomy.segment_index(spec.segment)]
        return OnsetSite(spec.segment, spec.side, spec.compartment, seg.onset_site)
    rng = stream(root, "onset")
    present = [s for s in ONSET_SITES if any(g.onset_site == s for g in anatomy.segments)]
    probs = site_probabilities(spec, anatomy, bulbar_odds)
    site = present[rng.choice(len(present), p=probs)]
    segment_u = rng.random()
    dominant = SIDES.index(spec.dominant_side)
    p_dom = spec.p_dominant_upper_limb if site == "upper_limb" else 0.5
    side = SIDES[dominant if rng.random() < p_dom else 1 - dominant]
    comp = ("both", "lmn", "umn")[
        rng.choice(3, p=np.array(spec.compartment_probabilities(site)))]
    segs = [g for g in anatomy.segments if g.onset_site == site]
    w = np.array([g.onset_weight_for(comp) for g in segs])
    w = w if w.sum() > 0 else np.ones(len(segs))
    k = min(int(np.searchsorted(np.cumsum(w / w.sum()), segment_u, side="right")), len(segs) - 1)
    return OnsetSite(segs[k].name, side, comp, site)


def initial_load(onset: OnsetSite, anatomy: Anatomy, load: float) -> np.ndarray:
    """Pathology load at biological onset, shape (n_populations,): ``load`` at the onset."""
    p0 = np.zeros(anatomy.n_populations)
    p0[onset.populations(anatomy)] = load
    return p0
