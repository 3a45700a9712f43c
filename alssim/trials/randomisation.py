"""Randomisation: arm sizes from the ratio, and permuted blocks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["arm_sizes", "block_labels"]


def arm_sizes(n: int, ratios: Sequence[int]) -> list[int]:
    """Arm sizes of ``n`` patients by ``ratios`` (largest remainder)."""
    r = np.asarray(ratios, dtype=float)
    exact = n * r / r.sum()
    size = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - size), kind="stable")[: n - size.sum()]:
        size[i] += 1
    return [int(s) for s in size]


def block_labels(n: int, ratios: Sequence[int], rng: np.random.Generator) -> np.ndarray:
    """Arm index of each of ``n`` patients by permuted blocks of the ratio."""
    block = np.repeat(np.arange(len(ratios)), ratios)
    out: list[int] = []
    while len(out) < n:
        out.extend(rng.permutation(block).tolist())
    return np.array(out[:n], dtype=np.int64)
