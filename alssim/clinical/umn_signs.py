"""UMN signs a clinician examines in each region, from UMN loss, masked by LMN loss where it shows.

The UMN index of a segment and side is ``u = lost + w * dysfunctional`` (fractions of its UMNs;
``w`` = ``dysfunction_weight``). Its signs differ in how much muscle they need to show in
(``m``, the innervated muscle fraction; see :mod:`alssim.clinical.strength`):

* **Spasticity** (Modified Ashworth) is resistance to passive stretch: it needs muscle to resist, so
  it is graded from the *effective* index ``u * m`` and fades as LMN loss empties the muscle (UMN
  signs are hard to elicit in wasted limbs; Swash 2012 JNNP 83:659).
* **Tendon reflexes** show the raised gain of the stretch reflex: a brisk jerk is seen in a weak,
  wasted muscle ("hyperreflexia", "preserved reflexes in wasted or weak muscles" are UMN signs of
  the Gold Coast criteria, Shefner 2020 Clin Neurophysiol 131:1975). The UMN raise is graded from
  ``u`` itself; clonus needs the muscle to beat and drops to brisk once the muscle falls below
  ``reflex_reduced_below``; a brisk reflex stays brisk until the muscle is nearly empty
  (``m < brisk_lost_below``), where the reflex is lost. Without UMN damage LMN loss lowers the
  grade (``m < reflex_reduced_below``: reduced, ``< reflex_absent_below``: absent).
* **Babinski** (extensor plantar response) appears once ``u`` has reached ``babinski_threshold`` and
  persists (pyramidal signs mostly remain once present; Álvarez 2018 Neurología 33:8); it is lost
  only when the toe extensors are essentially paralysed (``m < babinski_lost_below``, MRC 0-1).
* **Bulbar**: jaw jerk (graded as a tendon reflex: 3 brisk, 4 jaw clonus) and pseudobulbar signs
  (brisk facial and gag reflexes, snout reflex, spastic dysarthria, pathological laughing and
  crying) once ``u >= pseudobulbar_threshold``, while the bulbar muscles are not empty.
* **Thoracic**: loss of the superficial abdominal reflexes once ``u >= abdominal_reflex_threshold``
  (lost late in motor neuron disease; Dick 2003 JNNP 74:150); with an empty abdominal wall the
  reflexes are absent too, but that absence is not counted as a UMN sign.

Which sign is examined where (revised El Escorial, Brooks 2000 ALS 1:293; Gold Coast) is
:data:`EXAMINED`; :func:`regional_signs` gives each sign NaN in the regions where a clinician does
not examine it (no thoracic clonus, no bulbar Ashworth) and the region-appropriate ``umn_sign``.
Every function is vectorised over arrays ``(T, S, 2)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from alssim.clinical._util import grade

__all__ = [
    "ASHWORTH_LEVELS",
    "EXAMINED",
    "abdominal_reflexes_lost",
    "ashworth",
    "babinski",
    "effective_umn_index",
    "examined_only",
    "pseudobulbar_signs",
    "reflex_grade",
    "regional_signs",
    "umn_index",
]

#: Modified Ashworth levels 0, 1, 1+, 2, 3, 4, coded numerically (1+ as 1.5).
ASHWORTH_LEVELS = (0.0, 1.0, 1.5, 2.0, 3.0, 4.0)

#: El Escorial regions in which a clinician examines each UMN sign [source: revised El Escorial,
#: Brooks 2000 ALS 1:293 (UMN signs: clonus, Babinski, absent abdominal skin reflexes,
#: hypertonia); Gold Coast, Shefner 2020 Clin Neurophysiol 131:1975 (head: jaw jerk, snout reflex,
#: palatal spasticity; trunk: abdominal reflexes; limbs: spasticity, hyperreflexia, Babinski)].
#: Outside these regions the sign is NaN (not examined): no thoracic clonus, no bulbar Ashworth.
EXAMINED: dict[str, tuple[str, ...]] = {
    "ashworth": ("cervical", "lumbosacral"),
    "reflex": ("cervical", "lumbosacral"),
    "babinski": ("lumbosacral",),
    "jaw_jerk": ("bulbar",),
    "pseudobulbar_signs": ("bulbar",),
    "abdominal_reflexes_lost": ("thoracic",),
}


def umn_index(umn_lost: np.ndarray, umn_dysfunctional: np.ndarray,
              dysfunction_weight: float) -> np.ndarray:
    """UMN damage ``lost + w * dysfunctional`` (fractions), clipped to [0, 1]."""
    return np.clip(np.asarray(umn_lost) + dysfunction_weight * np.asarray(umn_dysfunctional),
                   0.0, 1.0)


def effective_umn_index(index: np.ndarray, innervated: np.ndarray) -> np.ndarray:
    """UMN index masked by the muscle left: ``index * innervated`` (grades spasticity)."""
    return np.asarray(index) * np.asarray(innervated)


def ashworth(effective: np.ndarray, thresholds) -> np.ndarray:
    """Modified Ashworth score, coded 0, 1, 1.5 (for 1+), 2, 3, 4.

    Parameters
    ----------
    effective : ndarray
        Effective UMN index ``u * m`` in [0, 1] (spasticity needs muscle to resist stretch).
    thresholds : sequence of 5 float
        Index at which MAS 1, 1+, 2, 3 and 4 begin.

    Returns
    -------
    ndarray of float, values in :data:`ASHWORTH_LEVELS`
    """
    return np.asarray(ASHWORTH_LEVELS)[grade(effective, thresholds)]


def reflex_grade(index: np.ndarray, innervated: np.ndarray, *, brisk: float, clonus: float,
                 reduced_below: float, absent_below: float,
                 brisk_lost_below: float) -> np.ndarray:
    """Tendon reflex grade 0-4 (0 absent, 1 reduced, 2 normal, 3 brisk, 4 clonus).

    Parameters
    ----------
    index : ndarray
        UMN index ``u`` (not masked by the muscle).
    innervated : ndarray
        Innervated muscle fraction ``m``, same shape.
    brisk, clonus : float
        ``u`` at which the reflex is brisk (3) and shows clonus (4).
    reduced_below, absent_below : float
        Without a UMN raise, ``m`` below which the reflex is reduced (1) and absent (0); clonus
        also needs ``m >= reduced_below`` (below it a clonic reflex is brisk).
    brisk_lost_below : float
        ``m`` below which a UMN-raised reflex can no longer be seen (the muscle is nearly
        empty); the reflex then follows the LMN grade.

    Returns
    -------
    ndarray of int8, values 0..4
    """
    u = np.asarray(index, dtype=float)
    m = np.asarray(innervated, dtype=float)
    lmn = 2 - (m < reduced_below).astype(np.int8) - (m < absent_below).astype(np.int8)
    up = grade(u, (brisk, clonus))
    raised = np.where((up >= 2) & (m >= reduced_below), 4, 3)
    return np.where((up >= 1) & (m >= brisk_lost_below), raised, lmn).astype(np.int8)


def babinski(index: np.ndarray, innervated: np.ndarray, *, threshold: float,
             lost_below: float) -> np.ndarray:
    """Extensor plantar response: once ``u`` has reached ``threshold`` it persists while the toe
    extensors can move (``m >= lost_below``).

    Parameters
    ----------
    index, innervated : ndarray, shape (T, ...)
        UMN index and innervated muscle fraction; axis 0 is time.
    threshold : float
    lost_below : float
        Innervated fraction below which the toe extensors are essentially paralysed (MRC 0-1)
        and the toe cannot go up.

    Returns
    -------
    ndarray of bool, shape of ``index`` (the sign in every segment; see :data:`EXAMINED` for
    where it is examined)
    """
    u = np.asarray(index, dtype=float)
    reached = np.logical_or.accumulate(u >= threshold, axis=0) if u.ndim else u >= threshold
    return reached & (np.asarray(innervated, dtype=float) >= lost_below)


def pseudobulbar_signs(index: np.ndarray, innervated: np.ndarray, *, threshold: float,
                       lost_below: float) -> np.ndarray:
    """Brisk facial and gag reflexes, snout reflex, spastic dysarthria, pathological laughing and
    crying: ``u >= threshold`` while the bulbar muscles can show them (``m >= lost_below``)."""
    return ((np.asarray(index, dtype=float) >= threshold)
            & (np.asarray(innervated, dtype=float) >= lost_below))


def abdominal_reflexes_lost(index: np.ndarray, innervated: np.ndarray, *, threshold: float,
                            lost_below: float) -> tuple[np.ndarray, np.ndarray]:
    """Superficial abdominal reflexes absent, and absent as a UMN sign.

    Returns
    -------
    lost : ndarray of bool
        Absent on examination: UMN damage ``u >= threshold`` or an empty abdominal wall
        (``m < lost_below``).
    umn : ndarray of bool
        Absent from UMN damage while the abdominal muscles can contract: counted as a UMN sign.
    """
    u = np.asarray(index, dtype=float)
    m = np.asarray(innervated, dtype=float)
    umn = (u >= threshold) & (m >= lost_below)
    return umn | (m < lost_below), umn


def examined_only(values: np.ndarray, examined: np.ndarray) -> np.ndarray:
    """``values`` as float, NaN in the segments where the sign is not examined.

    Parameters
    ----------
    values : ndarray, shape (T, S, 2)
    examined : ndarray of bool, shape (S,)
    """
    out = np.asarray(values, dtype=np.float64).copy()
    out[:, ~np.asarray(examined, dtype=bool)] = np.nan
    return out


def regional_signs(index: np.ndarray, innervated: np.ndarray, regions: Sequence[str],
                   params) -> dict[str, np.ndarray]:
    """Every UMN sign, each NaN where it is not examined, and the region-appropriate UMN sign.

    Parameters
    ----------
    index : ndarray, shape (T, S, 2)
        UMN index ``u``.
    innervated : ndarray, shape (T, S, 2)
        Innervated muscle fraction ``m``.
    regions : sequence of str, length S
        El Escorial region of each segment.
    params : alssim.clinical.params.UmnSigns

    Returns
    -------
    dict of str to ndarray, each shape (T, S, 2)
        ``ashworth``, ``reflex``, ``babinski``, ``jaw_jerk``, ``pseudobulbar_signs`` and
        ``abdominal_reflexes_lost`` (float64, NaN outside the regions of :data:`EXAMINED`), and
        ``umn_sign`` (bool): a UMN sign a clinician sees in the segment's region, i.e. MAS >= 1,
        reflex >= 3 or Babinski in the limbs, jaw jerk >= 3 or pseudobulbar signs in the bulbar
        region, abdominal reflexes lost from UMN damage in the thoracic region.
    """
    p = params
    u = np.asarray(index, dtype=float)
    m = np.asarray(innervated, dtype=float)
    region_of = np.asarray(list(regions))
    where = {name: np.isin(region_of, r) for name, r in EXAMINED.items()}
    mas = ashworth(effective_umn_index(u, m), p.ashworth_thresholds)
    tendon = reflex_grade(u, m, brisk=p.brisk_threshold, clonus=p.clonus_threshold,
                          reduced_below=p.reflex_reduced_below,
                          absent_below=p.reflex_absent_below,
                          brisk_lost_below=p.brisk_lost_below)
    bab = babinski(u, m, threshold=p.babinski_threshold, lost_below=p.babinski_lost_below)
    pseudo = pseudobulbar_signs(u, m, threshold=p.pseudobulbar_threshold,
                                lost_below=p.brisk_lost_below)
    abd, abd_umn = abdominal_reflexes_lost(u, m, threshold=p.abdominal_reflex_threshold,
                                           lost_below=p.brisk_lost_below)
    umn = (where["ashworth"][:, None] & (mas >= 1)
           | where["reflex"][:, None] & (tendon >= 3)
           | where["babinski"][:, None] & bab
           | where["jaw_jerk"][:, None] & ((np.max(tendon, axis=-1, keepdims=True) >= 3)
                                          | np.any(pseudo, axis=-1, keepdims=True))
           | where["abdominal_reflexes_lost"][:, None] & abd_umn)
    # the jaw jerk and pseudobulbar signs are midline: one finding for both sides, the
    # corticobulbar damage of either hemisphere (the bulbar nuclei have bilateral UMN input)
    jaw = np.broadcast_to(np.max(tendon, axis=-1, keepdims=True), tendon.shape)
    pseudo_both = np.broadcast_to(np.any(pseudo, axis=-1, keepdims=True), pseudo.shape)
    raw = {"ashworth": mas, "reflex": tendon, "babinski": bab, "jaw_jerk": jaw,
           "pseudobulbar_signs": pseudo_both, "abdominal_reflexes_lost": abd}
    out = {name: examined_only(arr, where[name]) for name, arr in raw.items()}
    out["umn_sign"] = umn
    return out
