"""One engine step of an untreated batch in two compiled calls: the same numbers as the step made
of :class:`alssim.fates.ExactFates` and :class:`alssim.dynamics.DriverBatch` calls.

With numba (``pip install "alssim[fast]"``, the method of
:func:`alssim.counting.counting_method`), a step of :func:`alssim.engine.simulate_batch` is a
dozen calls on arrays of a few hundred values, so for a single patient or a small batch their
fixed cost (the Python between them and numba's type dispatch of each call) is most of the
step. :class:`CompiledStep` orders the step so that its element-wise parts fall into two
compiled loops, with numpy keeping the transmission product, ``log`` and ``exp``:

1. ``numpy.matmul``: the transmission product ``K p`` of every patient (it reads the pathology
   before this step changes it, as the step it replaces does);
2. :func:`front <kernels>` (compiled): the cumulative hazard ``Lambda += lambda * dt`` and the
   spread exponent ``-dt * (K p + g * p)``;
3. ``numpy.log`` of ``Lambda`` (:meth:`alssim.fates.ExactFates.log_levels`) and ``numpy.exp`` of
   the exponent;
4. :func:`back <kernels>` (compiled): the counting walk
   (:func:`alssim.counting.level_walker`), the dead counts of the step, the lost and affected
   fractions, and the drivers' update and next hazard
   (:func:`alssim.driver_kernels.kernels`' ``finish_step``).

Every operation is the same IEEE-754 operation on the same operands as in the step it replaces,
only in an order in which no result is read before it is written (numba fuses no multiply-add
without ``fastmath``), so every number is the same bit for bit; ``tests/test_counting.py`` runs
every shipped config with and without it. A treated batch (its constants change every step) and
the numpy method keep the step of separate calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from alssim.counting import compiled_kernels

__all__ = ["CompiledStep", "kernels"]

def kernels() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """``(front, back)`` (:mod:`alssim.numba_kernels`), compiled at their first call and cached
    on disk.

    ``front(lam, dt, cum, drive, p, growth, minus_dt, spread, use_spread)`` adds ``lam * dt``
    to ``cum`` and overwrites ``drive`` (the product ``K p``) with
    ``minus_dt * (drive * spread + p * growth)`` (``spread`` only where ``use_spread``); all
    float64 of shape (k, n).

    ``back(keys, levels, high, bands, pointers, starts, ends, counts, bounds, dead_by_step, row,
    totals, fractions, p, decay, g, relax, e, lmn, umn_of_lmn, lam, h, g_inf, g_exc, ageing,
    stress, use_inflammation, use_excitotoxicity, use_ageing, use_stress)`` runs the counting
    walk (the first nine arguments, as :func:`alssim.counting.walk_level_counts`), writes the
    dead counts ``counts[:, 0]`` into ``dead_by_step[row]`` (int64, (steps + 1, k, n)) and
    ``counts / totals`` into ``fractions`` (float64, (k, 2, n): lost, affected), then updates
    the drivers and writes the next hazard into ``lam`` as ``finish_step`` does with
    ``lost = fractions[:, 0]`` and ``affected = fractions[:, 1]``.
    """
    compiled = compiled_kernels("the compiled engine step")
    return compiled.front, compiled.back


class CompiledStep:
    """The engine's step for an untreated batch with compiled counting and drivers.

    Parameters
    ----------
    fates : ExactFates
        The batch's fates, counting with numba (:meth:`~alssim.fates.ExactFates.walk_args`).
    cum, lam, dt_array : ndarray of float64, shape (k, n_populations)
        The cumulative hazard, the hazard factor of the next step and ``dt`` (the engine's
        work arrays, updated in place).
    fractions : ndarray of float64, shape (k, 2, n_populations)
        Where the lost and affected fractions go.
    dead_by_step : ndarray of int64, shape (n_steps + 1, k, n_populations)
    totals : ndarray of int64, shape (n_populations,)
        Neurons per population.
    driver_args : tuple
        :meth:`alssim.dynamics.DriverBatch.compiled_step_args` of the batch's drivers after
        their first step.

    Use :meth:`build`, which returns ``None`` where the compiled step does not apply.
    """

    def __init__(self, fates, cum, lam, dt_array, fractions, dead_by_step, totals,
                 driver_args) -> None:
        product, exponent, finish = driver_args
        front, back = kernels()
        self._front, self._back = front, back
        self._product = product
        self._front_args = (lam, dt_array, cum, *exponent)
        self._drive = exponent[0]
        self._log_levels = fates.log_levels
        self._cum = cum
        self._head = (*fates.walk_args(), dead_by_step)
        self._tail = (np.ascontiguousarray(totals, dtype=np.int64), fractions, *finish)
        self._resolved = False

    @classmethod
    def build(cls, fates, drivers, state, dt_months: float, cum: np.ndarray, lam: np.ndarray,
              dt_array: np.ndarray, fractions: np.ndarray, dead_by_step: np.ndarray,
              totals: np.ndarray) -> CompiledStep | None:
        """The compiled step of this batch, or ``None`` when the fates or the drivers do not
        count with numba, or the drivers' constants change between steps (a treated batch)."""
        walk = getattr(fates, "walk_args", None)
        parts = getattr(drivers, "compiled_step_args", None)
        if walk is None or parts is None or getattr(fates, "method", None) != "numba":
            return None
        driver_args = parts(state, dt_months, lam)
        if driver_args is None:
            return None
        return cls(fates, cum, lam, dt_array, fractions, dead_by_step, totals, driver_args)

    def run(self, start: int, stop: int) -> None:
        """Advance ``stop - start`` steps, the states after them rows ``start`` to ``stop - 1``
        of ``dead_by_step``."""
        if not self._resolved and start < stop:
            self._advance(start, start + 1)
            # the arguments' types do not change between steps (the same arrays, an int row),
            # so later steps call the compiled functions without numba's type dispatch
            self._front = _compiled_entry(self._front, self._front_args)
            self._back = _compiled_entry(self._back, (*self._head, start, *self._tail))
            self._resolved = True
            start += 1
        self._advance(start, stop)

    def _advance(self, start: int, stop: int) -> None:
        matmul, product, exp, drive = np.matmul, self._product, np.exp, self._drive
        front, front_args, back, head, tail = (self._front, self._front_args, self._back,
                                               self._head, self._tail)
        log_levels, cum = self._log_levels, self._cum
        for row in range(start, stop):
            matmul(*product)
            front(*front_args)
            log_levels(cum)
            exp(drive, out=drive)
            back(*head, row, *tail)


def _compiled_entry(dispatcher: Any, args: tuple) -> Callable[..., Any]:
    """The compiled function a numba dispatcher runs for arguments of these types, called
    without the dispatcher's type resolution; the dispatcher itself if it cannot be found."""
    try:
        signature = tuple(dispatcher.typeof_pyval(a) for a in args)
        return dispatcher.overloads[signature].entry_point
    except (AttributeError, KeyError, TypeError, ValueError):
        return dispatcher
