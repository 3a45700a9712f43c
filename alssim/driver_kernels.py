"""The regional drivers' per-step arithmetic compiled with numba: the same numbers as numpy's.

:class:`alssim.dynamics.DriverBatch` advances the drivers of a batch with a dozen numpy calls a
step, each on ``(n_patients, n_populations)`` arrays of a few hundred values, so their fixed
cost, not the arithmetic, is the time. With numba installed (``pip install "alssim[fast]"``, the
method of :func:`alssim.counting.counting_method`), the element-wise parts run as two compiled
loops instead:

* :func:`spread_exponent`: ``-dt * (spread * K p + g * p)`` from the transmission product;
* :func:`finish_step`: after ``numpy.exp`` of it, the pathology update
  ``p <- 1 - (1 - p) * exp(...)``, glial relaxation, the excitotoxic drive of each LMN pool and
  the hazard factor of the next step.

The transmission product stays one ``numpy.matmul`` and the exponential ``numpy.exp``, the same
calls as the numpy path; the compiled loops do the same IEEE-754 additions, subtractions and
multiplications in the same order (numba fuses no multiply-add without ``fastmath``), so every
number is the same bit for bit (``tests/test_counting.py`` runs every shipped config both ways).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alssim.counting import compiled_kernels

__all__ = ["kernels"]

def kernels() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """``(spread_exponent, finish_step)`` (:mod:`alssim.numba_kernels`), compiled at their first
    call and cached on disk.

    ``spread_exponent(drive, p, growth, minus_dt, spread, use_spread)`` overwrites ``drive``
    (the product ``K p``, float64 (k, n)) with ``minus_dt * (drive * spread + p * growth)``
    (``spread`` only where ``use_spread``).

    ``finish_step(p, decay, g, lost, relax, e, affected, lmn, umn_of_lmn, lam, h, g_inf,
    g_exc, ageing, stress, use_inflammation, use_excitotoxicity, use_ageing, use_stress,
    want_hazard)`` updates, in place, the pathology ``p`` with ``decay = exp(-dt * (...))``,
    the glial activation ``g`` towards ``lost`` at ``relax``, the excitotoxic drive ``e`` of the
    LMN populations ``lmn`` from ``affected`` of their UMN populations ``umn_of_lmn`` (int64
    index arrays), and, with ``want_hazard``, writes the hazard factor into ``lam``.
    """
    compiled = compiled_kernels("the compiled engine step")
    return compiled.spread_exponent, compiled.finish_step
