"""Independent random streams, one per stochastic process.

A run has one :class:`numpy.random.SeedSequence`. Each process (neuron vulnerability, motor units,
death thresholds, dysfunction thresholds, onset, the reference stepper, ...) draws from its own
generator, derived from the run's sequence plus a stable hash of the process name and, where it
applies, the population index. Switching one mechanism off, or changing the size of one population,
therefore leaves every other stream untouched (common random numbers). The global numpy random
state is never used.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["as_seed_sequence", "patient_seed_sequence", "stream"]


def as_seed_sequence(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    """The run's root sequence from an ``int`` seed (or a ready ``SeedSequence``)."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or int(seed) < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
    return np.random.SeedSequence(int(seed))


def patient_seed_sequence(seed: int, index: int) -> np.random.SeedSequence:
    """Sequence of patient ``index`` of a cohort or sweep run with ``seed``.

    Equal to ``SeedSequence(seed).spawn(index + 1)[index]``, but computed directly so that any
    worker can derive any patient's streams without coordination.
    """
    return np.random.SeedSequence(int(seed), spawn_key=(int(index),))


def _name_key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def stream(root: np.random.SeedSequence, name: str, *keys: int) -> np.random.Generator:
    """Generator of the process ``name`` (and optional integer ``keys``) under ``root``.

    Parameters
    ----------
    root : SeedSequence
        The run's (or patient's) root sequence.
    name : str
        Process name, e.g. ``"death_threshold"``.
    *keys : int
        Further integer keys, e.g. a population index.
    """
    seq = np.random.SeedSequence(
        root.entropy, spawn_key=(*root.spawn_key, _name_key(name), *(int(k) for k in keys))
    )
    return np.random.Generator(np.random.PCG64(seq))
