"""The engine step's numba-compiled kernels, in one module imported only when a simulation first
counts with numba (``pip install "alssim[fast]"``; :func:`alssim.counting.counting_method`).

What each kernel computes is documented where it is used: the key passes in
:func:`alssim.keys.compiled_passes` (``band_keys``, ``gather_prefix``, ``unit_sums``), the
counting walk in :mod:`alssim.counting` (``walk``, ``walk_levels``), the drivers' arithmetic in
:mod:`alssim.driver_kernels` (``spread_exponent``, ``finish_step``) and the compiled step in
:mod:`alssim.step_kernels` (``front``, ``back``).

They are module-level functions that call each other as globals, so numba's disk cache
(``cache=True``) finds them again in every new process: a compiled function that held another
one in a closure cell was cached under a key that changed from process to process (a dispatcher
pickles with a per-process identity), so each process compiled it again (about a second) and
wrote one more cache file. They are in one file because numba invalidates a cached function
only when its own source file changes: a kernel and the kernels it calls change together.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["LINEAR_STEPS", "back", "band_keys", "finish_step", "front", "gather_prefix",
           "spread_exponent", "unit_sums", "walk", "walk_levels"]

#: Keys a pointer steps over one by one before it gallops (doubling steps, then a binary
#: search of the last one): few new passes cost a few neighbouring reads, many cost their log.
LINEAR_STEPS = 16


@numba.njit(cache=True, nogil=True, inline="always")
def advance(keys, q, p, start, end):  # pragma: no cover - compiled
    # forward: the next (up to) 8 keys compared without a branch on each (keys are
    # sorted, so those at or below q are the first ones); past them one by one, then
    # galloping once more than LINEAR_STEPS keys are passed
    ahead = end - p
    if ahead > 8:
        ahead = 8
    passed = 0
    for j in range(ahead):
        passed += keys[p + j] <= q
    p += passed
    if passed < 8:
        while p > start and keys[p - 1] > q:  # back (a query that fell)
            p -= 1
        return p
    taken = 8
    while p < end and keys[p] <= q:
        p += 1
        taken += 1
        if taken == LINEAR_STEPS and p < end and keys[p] <= q:
            # keys[p] <= q: double the step until a key above q (or the end), then
            # bisect for the first key above q
            low = p
            step = 1
            high = low + step
            while high < end and keys[high] <= q:
                low = high
                step *= 2
                high = low + step
            if high > end:
                high = end
            low += 1
            while low < high:
                mid = (low + high) >> 1
                if keys[mid] <= q:
                    low = mid + 1
                else:
                    high = mid
            p = low
            break
    # back (a query that fell): one by one
    while p > start and keys[p - 1] > q:
        p -= 1
    return p


@numba.njit(cache=True, nogil=True)
def walk(keys, queries, pointers, starts, ends):  # pragma: no cover - compiled
    for i in range(queries.size):
        pointers[i] = advance(keys, queries[i], pointers[i], starts[i], ends[i])


@numba.njit(cache=True, nogil=True)
def walk_levels(keys, levels, high, bands, pointers, starts, ends, counts,
                bounds):  # pragma: no cover - compiled
    n_patients, n_pop = levels.shape
    n_kinds = bands.shape[0]
    i = 0
    for patient in range(n_patients):
        for kind in range(n_kinds):
            for pop in range(n_pop):
                # the query numpy's minimum and add would give: both are exact
                # IEEE-754 operations, so the float is the same bit for bit
                q = min(levels[patient, pop], high) + bands[kind, pop]
                # most steps pass no new key: the keys either side of the pointer,
                # kept side by side, say so without reading the (large) keys array
                if not (bounds[i, 0] <= q < bounds[i, 1]):
                    start = starts[i]
                    end = ends[i]
                    p = advance(keys, q, pointers[i], start, end)
                    pointers[i] = p
                    counts[patient, kind, pop] = p - start
                    bounds[i, 0] = keys[p - 1] if p > start else -np.inf
                    bounds[i, 1] = keys[p] if p < end else np.inf
                i += 1


@numba.njit(cache=True, nogil=True)
def spread_exponent(drive, p, growth, minus_dt, spread,
                    use_spread):  # pragma: no cover - compiled
    k, n = drive.shape
    for a in range(k):
        for b in range(n):
            d = drive[a, b]
            if use_spread:
                d = d * spread[a, b]
            d = d + p[a, b] * growth[a, b]
            drive[a, b] = d * minus_dt[a, b]


@numba.njit(cache=True, nogil=True)
def finish_step(p, decay, g, lost, relax, e, affected, lmn, umn_of_lmn, lam, h, g_inf,
                g_exc, ageing, stress, use_inflammation, use_excitotoxicity,
                use_ageing, use_stress, want_hazard):  # pragma: no cover - compiled
    k, n = p.shape
    for a in range(k):
        for b in range(n):
            p[a, b] = 1.0 - (1.0 - p[a, b]) * decay[a, b]
            g[a, b] = g[a, b] + (lost[a, b] - g[a, b]) * relax[a, b]
        for j in range(lmn.size):
            e[a, lmn[j]] = affected[a, umn_of_lmn[j]]
        if not want_hazard:
            continue
        for b in range(n):
            x = p[a, b] * h[a, b]
            if use_inflammation:
                amp = g[a, b] * g_inf[a, b] + 1.0
                if use_excitotoxicity:
                    amp = amp * (e[a, b] * g_exc[a, b] + 1.0)
                x = x * amp
            elif use_excitotoxicity:
                x = x * (e[a, b] * g_exc[a, b] + 1.0)
            if use_ageing:
                x = x + ageing[a, b]
            if use_stress:
                x = x * stress[a, b]
            lam[a, b] = x


@numba.njit(cache=True, nogil=True)
def front(lam, dt, cum, drive, p, growth, minus_dt, spread,
          use_spread):  # pragma: no cover - compiled
    k, n = cum.shape
    for a in range(k):
        for b in range(n):
            cum[a, b] = cum[a, b] + lam[a, b] * dt[a, b]
    spread_exponent(drive, p, growth, minus_dt, spread, use_spread)


@numba.njit(cache=True, nogil=True)
def back(keys, levels, high, bands, pointers, starts, ends, counts, bounds,
         dead_by_step, row, totals, fractions, p, decay, g, relax, e, lmn, umn_of_lmn,
         lam, h, g_inf, g_exc, ageing, stress, use_inflammation, use_excitotoxicity,
         use_ageing, use_stress):  # pragma: no cover - compiled
    walk_levels(keys, levels, high, bands, pointers, starts, ends, counts, bounds)
    k, n_kinds, n = counts.shape
    for a in range(k):
        for b in range(n):
            dead_by_step[row, a, b] = counts[a, 0, b]
        for j in range(n_kinds):
            for b in range(n):
                fractions[a, j, b] = counts[a, j, b] / totals[b]
    finish_step(p, decay, g, fractions[:, 0], relax, e, fractions[:, 1], lmn,
                umn_of_lmn, lam, h, g_inf, g_exc, ageing, stress, use_inflammation,
                use_excitotoxicity, use_ageing, use_stress, True)

@numba.njit(cache=True, nogil=True)
def band_keys(death, affected, log_v, half, death_centre,
              affected_centre):  # pragma: no cover - compiled
    low = -half
    for i in range(death.size):
        d = death[i] - log_v[i]
        a = affected[i] - log_v[i]
        if d < a or d != d:  # numpy.minimum: a NaN of either wins
            a = d
        # a NaN key sorts last and the clip makes it the band's upper edge
        if d < low:
            d = low
        elif not d <= half:
            d = half
        if a < low:
            a = low
        elif not a <= half:
            a = half
        death[i] = d + death_centre
        affected[i] = a + affected_centre


@numba.njit(cache=True, nogil=True)
def gather_prefix(key, order, size, unit_type, scratch, prefix_size, prefix_type,
                  with_types):  # pragma: no cover - compiled
    k = key.size
    for i in range(k):
        scratch[i] = key[order[i]]
    for i in range(k):
        key[i] = scratch[i]
    total = 0.0
    n_types = prefix_type.shape[0]
    seen = np.zeros(n_types, dtype=np.int32)
    for i in range(k):
        o = order[i]
        total = total + np.float64(size[o])
        prefix_size[i] = total
        if with_types:
            seen[unit_type[o]] += 1
            for t in range(n_types):
                prefix_type[t, i] = seen[t]


@numba.njit(cache=True, nogil=True)
def unit_sums(counts, lmn, prefix_at, prefix_size, prefix_type, total_size,
              total_by_type, alive, dysfunctional, by_type):  # pragma: no cover
    for a in range(counts.shape[0]):
        for j in range(lmn.size):
            p = lmn[j]
            at = prefix_at[a, j] + counts[a, 0, p]
            dead_size = prefix_size[0, at]
            alive[a, p] = total_size[a, p] - dead_size
            dysfunctional[a, p] = (prefix_size[1, prefix_at[a, j] + counts[a, 1, p]]
                                   - dead_size)
            for t in range(total_by_type.shape[1]):
                by_type[a, t, p] = total_by_type[a, t, p] - prefix_type[t, at]
