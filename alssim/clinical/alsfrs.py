"""ALSFRS-R items, domains and total from the function each segment serves; clinical onset.

Mapping (documented, data-driven)
---------------------------------
Each segment's *function capacity* on each side is its strength times a spasticity penalty::

    capacity = strength * (1 - spasticity_penalty * effective UMN index)

Each ALSFRS-R item (Cedarbaum 1999) draws on segments with the shares given in the anatomy's
``functions`` tables (``configs/anatomy/*.toml``; shares of an item sum to 1 over segments). The
item's function is the share-weighted mean of the segments' capacities, both sides averaged
(midline bulbar and respiratory muscles, walking on two legs), except *handwriting*, which uses the
dominant side only (``onset.dominant_side``). An item no segment serves keeps full function. Item
scores 0-4 follow from increasing capacity thresholds, the same for every item except those given
their own (:func:`item_scores`): salivation and swallowing keep more reserve than speech, so
dysarthria comes first, drooling and eating problems later, and nothing by mouth after speech is
lost (``clinical.function.salivation_thresholds``, ``swallowing_thresholds``); climbing stairs
asks more of the legs than walking, so it is graded lower than walking once the legs are weak
(``climbing_stairs_thresholds``); the breathing items are graded in
:mod:`alssim.clinical.respiratory`. Domains (bulbar 1-3, fine motor 4-6, gross
motor 7-9, respiratory 10-12) and the total (0-48) are sums.

Clinical onset is the first record at which any segment, on either side, falls below the
involvement threshold: the first function the patient notices losing. Biological onset precedes it;
the pre-symptomatic period is part of the model.
"""

from __future__ import annotations

import numpy as np

from alssim.anatomy import ALSFRS_ITEMS
from alssim.clinical._util import grade, running_any

__all__ = [
    "ALSFRS_DOMAINS",
    "ALSFRS_ITEMS",
    "domain_scores",
    "function_capacity",
    "involvement",
    "item_function",
    "item_scores",
    "item_shares",
    "score_ceiling",
]

#: Items (indices into :data:`ALSFRS_ITEMS`) of each ALSFRS-R domain.
ALSFRS_DOMAINS = {
    "bulbar": (0, 1, 2),
    "fine_motor": (3, 4, 5),
    "gross_motor": (6, 7, 8),
    "respiratory": (9, 10, 11),
}


def function_capacity(strength: np.ndarray, effective_umn: np.ndarray,
                      spasticity_penalty: float) -> np.ndarray:
    """Function of a segment and side, ``strength * (1 - penalty * effective UMN index)``.

    Returns
    -------
    ndarray, shape (T, S, 2), in [0, 1]
    """
    return np.clip(np.asarray(strength) * (1.0 - spasticity_penalty * np.asarray(effective_umn)),
                   0.0, 1.0)


def item_shares(anatomy) -> np.ndarray:
    """Share of each ALSFRS-R item carried by each segment.

    Returns
    -------
    ndarray, shape (12, S)
        Rows follow :data:`ALSFRS_ITEMS`; a row of zeros means no segment serves the item.
    """
    w = np.zeros((len(ALSFRS_ITEMS), anatomy.n_segments))
    for s, seg in enumerate(anatomy.segments):
        for item, share in seg.functions.items():
            w[ALSFRS_ITEMS.index(item), s] = share
    return w


def item_function(capacity: np.ndarray, shares: np.ndarray, dominant_side: int) -> np.ndarray:
    """Function behind each item, in [0, 1].

    Parameters
    ----------
    capacity : ndarray, shape (T, S, 2)
    shares : ndarray, shape (12, S)
        From :func:`item_shares`.
    dominant_side : int
        0 = left, 1 = right; handwriting uses this side only.

    Returns
    -------
    ndarray, shape (T, 12)
    """
    capacity = np.asarray(capacity, dtype=float)
    total = shares.sum(axis=1)
    norm = np.where(total > 0, total, 1.0)
    both = capacity.mean(axis=-1) @ (shares / norm[:, None]).T
    hand = ALSFRS_ITEMS.index("handwriting")
    both[:, hand] = capacity[..., dominant_side] @ (shares[hand] / norm[hand])
    both[:, total <= 0] = 1.0
    return np.clip(both, 0.0, 1.0)


def item_scores(function: np.ndarray, thresholds, own_thresholds=None) -> np.ndarray:
    """Item scores 0-4 from item function and the thresholds of scores 1, 2, 3, 4.

    Parameters
    ----------
    function : ndarray, shape (T, I)
        Item function in [0, 1]; with ``own_thresholds``, I = 12 in :data:`ALSFRS_ITEMS` order.
    thresholds : sequence of 4 float
        Function at which an item reaches 1, 2, 3 and 4 (increasing).
    own_thresholds : mapping of str to sequence of 4 float, optional
        Items (names in :data:`ALSFRS_ITEMS`) graded by thresholds of their own instead.

    Returns
    -------
    ndarray of int8, shape (T, I)
    """
    scores = grade(function, thresholds)
    for name, own in (own_thresholds or {}).items():
        k = ALSFRS_ITEMS.index(name)
        scores[:, k] = grade(function[:, k], own)
    return scores


def score_ceiling(thresholds, score: int) -> float:
    """Item function below which the item's score is at most ``score`` (0-4).

    ``thresholds[score]`` (the function at which the item reaches ``score + 1``); 1.0 for score
    4, which every function up to full has.
    """
    return 1.0 if score >= 4 else float(thresholds[score])


def domain_scores(items: np.ndarray) -> dict[str, np.ndarray]:
    """Domain subtotals (0-12 each), shape (T,) per domain, from items of shape (T, 12)."""
    items = np.asarray(items)
    return {name: items[:, list(idx)].sum(axis=1).astype(np.int16)
            for name, idx in ALSFRS_DOMAINS.items()}


def involvement(capacity: np.ndarray, threshold: float) -> np.ndarray:
    """Segments clinically involved: capacity has fallen below ``threshold`` (cumulative).

    Returns
    -------
    ndarray of bool, shape (T, S, 2); once true, true for ever
    """
    return running_any(np.asarray(capacity) < threshold)
