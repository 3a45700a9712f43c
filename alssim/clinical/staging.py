"""King's (Roche 2012) and MiToS (Chiò 2015) stages over time.

King's stage: 1-3 = number of regions clinically involved (bulbar, upper limb, lower limb and,
with ``kings_count_respiratory``, the respiratory region; capped at 3), 4A = gastrostomy needed,
4B = non-invasive ventilation needed, 5 = death. Coded as a float: 0 (presymptomatic), 1, 2, 3,
4.0 (4A), 4.5 (4B), 5.0 (death); once entered, a stage is kept (needs do not go away). Stage 2A
(diagnosis) is reported as the diagnosis time, not as a stage value.

MiToS stage: the number of domains lost (movement: walking <= 1 or dressing <= 1; swallowing
<= 1; communicating: speech <= 1 and handwriting <= 1; breathing: dyspnoea <= 1 or respiratory
insufficiency <= 2), 0-4, and 5 = death.
"""

from __future__ import annotations

import numpy as np

from alssim.anatomy import ALSFRS_ITEMS

__all__ = ["KINGS_LABELS", "KINGS_LEVELS", "kings_stage", "mitos_domains", "mitos_stage"]

#: King's stage codes and their labels.
KINGS_LEVELS = (0.0, 1.0, 2.0, 3.0, 4.0, 4.5, 5.0)
KINGS_LABELS = ("0", "1", "2", "3", "4A", "4B", "5")

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
