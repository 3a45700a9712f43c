"""Where the disease starts: one segment on one side, in UMN, LMN or both."""

from __future__ import annotations

import dataclasses

import numpy as np

from alssim.anatomy import ONSET_SITES, SIDES, Anatomy
from alssim.config.schema import Onset
from alssim.streams import stream

__all__ = ["OnsetSite", "choose_onset", "initial_load"]


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


def choose_onset(spec: Onset, anatomy: Anatomy, root: np.random.SeedSequence) -> OnsetSite:
    """The onset of one patient: as configured, or sampled.

    Sampling: the site from ``p_bulbar ... p_respiratory`` (renormalised over the sites the anatomy
    has), the segment within the site by ``onset_weight``, the side (upper-limb onset on the
    dominant side with ``p_dominant_upper_limb``, otherwise either side equally) and the
    compartment from ``p_compartment_*``. Draws come from the ``"onset"`` stream only.
    """
    if spec.mode == "fixed":
        seg = anatomy.segments[anatomy.segment_index(spec.segment)]
        return OnsetSite(spec.segment, spec.side, spec.compartment, seg.onset_site)
    rng = stream(root, "onset")
    present = [s for s in ONSET_SITES if any(g.onset_site == s for g in anatomy.segments)]
    probs = np.array([spec.site_probabilities()[ONSET_SITES.index(s)] for s in present])
    if probs.sum() <= 0:
        probs = np.ones(len(present))
    site = present[rng.choice(len(present), p=probs / probs.sum())]
    segs = [g for g in anatomy.segments if g.onset_site == site]
    w = np.array([g.onset_weight for g in segs])
    w = w if w.sum() > 0 else np.ones(len(segs))
    segment = segs[rng.choice(len(segs), p=w / w.sum())].name
    dominant = SIDES.index(spec.dominant_side)
    p_dom = spec.p_dominant_upper_limb if site == "upper_limb" else 0.5
    side = SIDES[dominant if rng.random() < p_dom else 1 - dominant]
    comp = ("both", "lmn", "umn")[rng.choice(3, p=np.array(spec.compartment_probabilities()))]
    return OnsetSite(segment, side, comp, site)


def initial_load(onset: OnsetSite, anatomy: Anatomy, load: float) -> np.ndarray:
    """Pathology load at biological onset, shape (n_populations,): ``load`` at the onset."""
    p0 = np.zeros(anatomy.n_populations)
    p0[onset.populations(anatomy)] = load
    return p0
