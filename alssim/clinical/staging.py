"""King's (Roche 2012) and MiToS (Chiò 2015) stages over time.

King's stage: 1-3 = number of regions clinically involved (bulbar, upper limb, lower limb and,
with ``kings_count_respiratory``, the respiratory region; capped at 3), 4A = gastrostomy needed,
4B = non-invasive ventilation needed, 5 = death. Coded as a float: 0 (presymptomatic), 1, 2, 3,
4.0 (4A), 4.5 (4B), 5.0 (death); once entered, a stage is kept (needs do not go away). Stage 2A
(diagnosis) is reported as the diagnosis time, not as a stage value.

King's stage estimated from the ALSFRS-R (Balendra 2014, see :func:`kings_stage_from_alsfrs`):
what a study without clinical staging measures (trial and registry data sets such as PRO-ACT),
on the same codes.

MiToS stage: the number of domains lost (movement: walking <= 1 or dressing <= 1; swallowing
<= 1; communicating: speech <= 1 and handwriting <= 1; breathing: dyspnoea <= 1 or respiratory
insufficiency <= 2), 0-4, and 5 = death.
"""

from __future__ import annotations

import numpy as np

from alssim.anatomy import ALSFRS_ITEMS

__all__ = [
    "ALSFRS_KINGS_REGIONS",
    "KINGS_LABELS",
    "KINGS_LEVELS",
    "kings_regions_from_alsfrs",
    "kings_respiratory_failure_from_alsfrs",
    "kings_stage",
    "kings_stage_from_alsfrs",
    "mitos_domains",
    "mitos_stage",
]

#: King's stage codes and their labels.
KINGS_LEVELS = (0.0, 1.0, 2.0, 3.0, 4.0, 4.5, 5.0)
KINGS_LABELS = ("0", "1", "2", "3", "4A", "4B", "5")

#: King's regions the ALSFRS-R estimate counts, in the order of
#: :func:`kings_regions_from_alsfrs` (no respiratory region: breathing gives stage 4B only).
ALSFRS_KINGS_REGIONS = ("bulbar", "upper_limb", "lower_limb")

_I = {name: i for i, name in enumerate(ALSFRS_ITEMS)}


def kings_stage(regions_involved: np.ndarray, gastrostomy: np.ndarray, niv: np.ndarray,
                dead: np.ndarray) -> np.ndarray:
    """King's stage code over time.

    Parameters
    ----------
    regions_involved : ndarray of bool, shape (T, R)
        Regions counted by King's staging that are involved.
    gastrostomy, niv, dead : ndarray of bool, shape (T,)

    Returns
    -------
    ndarray of float, shape (T,), values in :data:`KINGS_LEVELS`, non-decreasing
    """
    n = np.minimum(np.asarray(regions_involved).sum(axis=1), 3).astype(float)
    stage = np.where(np.asarray(gastrostomy), 4.0, n)
    stage = np.where(np.asarray(niv), 4.5, stage)
    stage = np.where(np.asarray(dead), 5.0, stage)
    return np.maximum.accumulate(stage)


def kings_regions_from_alsfrs(items: np.ndarray) -> np.ndarray:
    """King's regions involved according to the ALSFRS-R, shape (T, 3).

    Columns as :data:`ALSFRS_KINGS_REGIONS`: bulbar = item 1 speech, 2 salivation or 3
    swallowing below 4; upper limb = item 4 handwriting or 5 cutting food below 4; lower limb =
    item 8 walking below 4 (Balendra 2014, as commonly summarised; see
    :func:`kings_stage_from_alsfrs`).

    Parameters
    ----------
    items : ndarray, shape (T, 12)
        ALSFRS-R item scores in the order of :data:`alssim.anatomy.ALSFRS_ITEMS`; a NaN score
        (not recorded) does not involve its region.

    Returns
    -------
    ndarray of bool, shape (T, 3)
    """
    it = np.asarray(items, dtype=float)
    bulbar = (it[:, [_I["speech"], _I["salivation"], _I["swallowing"]]] < 4).any(axis=1)
    upper = (it[:, _I["handwriting"]] < 4) | (it[:, _I["cutting_food"]] < 4)
    lower = it[:, _I["walking"]] < 4
    return np.stack([bulbar, upper, lower], axis=1)


def kings_respiratory_failure_from_alsfrs(items: np.ndarray) -> np.ndarray:
    """King's stage 4B according to the ALSFRS-R, shape (T,) bool.

    Item 10 dyspnoea 0 (significant difficulty, considering mechanical respiratory support) or
    item 12 respiratory insufficiency below 4 (any use of ventilatory support) (Balendra 2014,
    as commonly summarised; see :func:`kings_stage_from_alsfrs`). NaN scores do not count.

    Parameters
    ----------
    items : ndarray, shape (T, 12)
        ALSFRS-R item scores.
    """
    it = np.asarray(items, dtype=float)
    return (it[:, _I["dyspnoea"]] == 0) | (it[:, _I["respiratory_insufficiency"]] < 4)


def kings_stage_from_alsfrs(items: np.ndarray, gastrostomy: np.ndarray,
                            dead: np.ndarray, ventilation: np.ndarray | None = None) -> np.ndarray:
    """King's stage code over time estimated from the ALSFRS-R (Balendra 2014).

    Balendra R, et al. Estimating clinical stage of amyotrophic lateral
    sclerosis from the ALS Functional Rating Scale. Amyotroph Lateral Scler Frontotemporal
    Degener 2014;15:279-284. The rules, as commonly summarised (the paper's text was not at
    hand; the same rules are implemented in public PRO-ACT analysis code, e.g.
    github.com/yoonhohong/proact ``staging/estimate_king_mitos_alsfrs.R``, which cites the
    paper):

    * stages 1-3: the number of regions involved (:func:`kings_regions_from_alsfrs`): bulbar
      (item 1, 2 or 3 below 4), upper limb (item 4 or 5 below 4), lower limb (item 8 below 4);
    * 4A: gastrostomy, in the scale the alternative item 5b (cutting food with gastrostomy) in
      use, i.e. the patient is tube fed;
    * 4B: item 10 dyspnoea 0 or item 12 respiratory insufficiency below 4
      (:func:`kings_respiratory_failure_from_alsfrs`), or ``ventilation``: in the source cohorts
      item 12 falls below 4 when NIV, given at its indication, is in use; a course without
      ventilation (the natural history) passes the indication, as it passes the gastrostomy
      need for 4A;
    * 5: death.

    Used by Balendra 2023 (Amyotroph Lateral Scler Frontotemporal Degener 24:71) to stage the
    MitoTarget, LiCALS, PRO-ACT and PatientsLikeMe cohorts, which have the ALSFRS-R but no
    clinical staging. Codes as :func:`kings_stage` (4.0 = 4A, 4.5 = 4B; 4B wins when both
    hold); the stage is kept once entered (``np.maximum.accumulate``), as in King's staging.

    Parameters
    ----------
    items : ndarray, shape (T, 12)
        ALSFRS-R item scores (:data:`alssim.anatomy.ALSFRS_ITEMS` order). A NaN score (not
        recorded) involves nothing at its record; the stage reached before is kept.
    gastrostomy : ndarray of bool, shape (T,)
        Tube fed (item 5b in use); in alssim the clinical layer's gastrostomy need.
    dead : ndarray of bool, shape (T,)
        Records at or after death: stage 5.
    ventilation : ndarray of bool, shape (T,), optional
        Ventilation indicated or in use (item 12 below 4 under standard care); in alssim the
        clinical layer's NIV need. Default: none, item 10 and 12 alone.

    Returns
    -------
    ndarray of float, shape (T,), values in :data:`KINGS_LEVELS`, non-decreasing

    Examples
    --------
    >>> import numpy as np
    >>> items = np.full((3, 12), 4)
    >>> items[1:, 0] = 3                    # speech from the second record: one region
    >>> items[2, 7] = 2                     # and walking at the third: two
    >>> kings_stage_from_alsfrs(items, np.zeros(3, bool), np.zeros(3, bool)).tolist()
    [0.0, 1.0, 2.0]
    """
    failure = kings_respiratory_failure_from_alsfrs(items)
    if ventilation is not None:
        failure = failure | np.asarray(ventilation, dtype=bool)
    return kings_stage(kings_regions_from_alsfrs(items), np.asarray(gastrostomy, dtype=bool),
                       failure, np.asarray(dead, dtype=bool))


def mitos_domains(items: np.ndarray) -> np.ndarray:
    """Which MiToS domains are lost, shape (T, 4): movement, swallowing, communicating, breathing.

    Parameters
    ----------
    items : ndarray, shape (T, 12)
        ALSFRS-R item scores.
    """
    it = np.asarray(items)
    movement = (it[:, _I["walking"]] <= 1) | (it[:, _I["dressing_hygiene"]] <= 1)
    swallowing = it[:, _I["swallowing"]] <= 1
    communicating = (it[:, _I["speech"]] <= 1) & (it[:, _I["handwriting"]] <= 1)
    breathing = (it[:, _I["dyspnoea"]] <= 1) | (it[:, _I["respiratory_insufficiency"]] <= 2)
    return np.stack([movement, swallowing, communicating, breathing], axis=1)


def mitos_stage(items: np.ndarray, dead: np.ndarray) -> np.ndarray:
    """MiToS stage 0-5 over time (5 = death), shape (T,), int8."""
    stage = mitos_domains(items).sum(axis=1)
    return np.where(np.asarray(dead), 5, stage).astype(np.int8)
