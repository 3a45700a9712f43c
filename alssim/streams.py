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

__all__ = ["MAX_SEED", "SeedLike", "as_seed_sequence", "patient_seed_sequence", "resolve_seed",
           "seed_from_rng", "stream"]


#: Largest integer seed (63 bits, the range of ``simulation.seed``).
MAX_SEED = 2**63 - 1

#: What the run functions' ``rng=`` accepts (SPEC 7).
SeedLike = int | np.random.SeedSequence | np.random.Generator | None


def resolve_seed(seed: int | None, rng: SeedLike) -> int | None:
    """The seed a run function uses, from its ``seed=`` and ``rng=`` arguments (SPEC 7).

    Parameters
    ----------
    seed : int or None
        The ``seed=`` argument.
    rng : int, SeedSequence, Generator or None
        The ``rng=`` argument: an ``int`` is the seed itself; a ``Generator`` gives one draw, an
        integer seed in ``[0, MAX_SEED]`` (so the generator's state advances, and the result
        records the integer it ran with); a ``SeedSequence`` gives the integer of its first 63
        bits of state (:func:`alssim.simulate`, which takes a ``SeedSequence`` itself, uses it
        as it is). ``None`` leaves ``seed``.

    Returns
    -------
    int or None
        ``None`` when neither was given: the caller uses the config's ``simulation.seed``, so a
        run is reproducible by default.

    Raises
    ------
    TypeError
        If both are given, or ``rng`` is of another type.
    """
    if rng is None:
        return seed
    if seed is not None:
        raise TypeError("pass seed= or rng=, not both")
    return seed_from_rng(rng)


def seed_from_rng(rng: int | np.random.SeedSequence | np.random.Generator) -> int:
    """The integer seed ``rng`` gives (see :func:`resolve_seed`), for a function whose own
    ``seed`` has a default and so is replaced by a given ``rng``.

    Raises
    ------
    TypeError
        If ``rng`` is of another type.
    """
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(0, MAX_SEED, endpoint=True))
    if isinstance(rng, np.random.SeedSequence):
        return int(rng.generate_state(1, np.uint64)[0] >> np.uint64(1))
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        return int(rng)
    raise TypeError("rng must be an int, a numpy SeedSequence or Generator, or None; got "
                    f"{type(rng).__name__}")


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
