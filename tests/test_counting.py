"""Counting keys at or below a rising query: the numba pointer walk and the numpy search give the
same integers, and every shipped config simulates bit for bit alike with either."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import alssim
from alssim import counting
from alssim.config.loader import configs_dir
from alssim.fates import ExactFates
from tests.test_baselines import SMALL, shipped_configs
from tests.test_batch_engine import _assert_identical, _patients

numba = pytest.importorskip("numba")


_KEY = st.one_of(st.floats(-5, 5), st.integers(-20, 20).map(lambda i: i / 4))  # ties too


@given(st.lists(st.lists(_KEY, min_size=0, max_size=300), min_size=1, max_size=6),
       st.lists(st.lists(st.floats(-6, 6), min_size=1, max_size=6), min_size=1, max_size=12))
@settings(max_examples=200, deadline=None)
def test_the_walk_counts_what_a_search_counts(segments, query_rows):
    # queries that rise, fall and repeat: the walk's count is the search's count at every step
    keys = [np.sort(np.asarray(s, dtype=np.float64)) for s in segments]
    flat = np.concatenate(keys) if keys else np.empty(0)
    sizes = np.array([k.size for k in keys], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    ends = starts + sizes
    pointers = starts.copy()
    for row in query_rows:
        q = np.resize(np.asarray(row, dtype=np.float64), len(keys))
        counting.walk_counts(flat, q, pointers, starts, ends)
        want = [int(np.searchsorted(k, x, side="right")) for k, x in zip(keys, q, strict=True)]
        assert list(pointers - starts) == want


@given(st.integers(1, 3), st.integers(1, 4), st.data())
@settings(max_examples=100, deadline=None)
def test_the_level_walk_counts_what_a_search_counts(n_patients, n_pop, data):
    # segments (patient, kind, population) in that order; queries min(level, high) + band
    n_kinds = 2
    n_seg = n_patients * n_kinds * n_pop
    keys = [np.sort(np.asarray(data.draw(st.lists(_KEY, max_size=120)), dtype=np.float64))
            for _ in range(n_seg)]
    bands = np.asarray(data.draw(st.lists(st.floats(-2, 2), min_size=n_kinds * n_pop,
                                          max_size=n_kinds * n_pop))).reshape(n_kinds, n_pop)
    flat = np.concatenate(keys)
    sizes = np.array([k.size for k in keys], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    ends = starts + sizes
    pointers = starts.copy()
    counts = np.zeros((n_patients, n_kinds, n_pop), dtype=np.int64)
    bounds = counting.segment_bounds(flat, pointers, starts, ends)
    keep_bounds = data.draw(st.booleans())  # kept between calls, or made at each
    high = 3.0
    for _ in range(data.draw(st.integers(1, 8))):
        levels = np.asarray(data.draw(st.lists(st.floats(-6, 6), min_size=n_patients * n_pop,
                                               max_size=n_patients * n_pop)))
        levels = levels.reshape(n_patients, n_pop)
        counting.walk_level_counts(flat, levels, high, bands, pointers, starts, ends, counts,
                                   bounds if keep_bounds else None)
        q = np.minimum(levels, high)[:, None, :] + bands  # what the numpy path computes
        want = [int(np.searchsorted(k, x, side="right"))
                for k, x in zip(keys, q.reshape(-1), strict=True)]
        assert counts.reshape(-1).tolist() == want
        assert (pointers - starts).tolist() == want
        if keep_bounds:
            np.testing.assert_array_equal(bounds,
                                          counting.segment_bounds(flat, pointers, starts, ends))


@pytest.mark.parametrize("name", shipped_configs())
def test_every_shipped_config_is_the_same_counted_either_way(name, monkeypatch):
    cfg = alssim.load_config(configs_dir() / name, overrides=SMALL)
    results = {}
    for method in counting.COUNTING_METHODS:
        monkeypatch.setenv("ALSSIM_COUNTING", method)
        results[method] = alssim.simulate(cfg, seed=1)
    _assert_identical(results["numpy"], results["numba"])


def test_a_treated_patient_is_the_same_either_way(monkeypatch):
    # treatments change the drivers' constants every step (riluzole, edaravone, tofersen from
    # diagnosis; NIV at the ventilation indication), through the engine's own loop
    cfg = alssim.load_config(overrides={
        **SMALL, **{f"interventions.{name}.enabled": True
                    for name in ("riluzole", "edaravone", "tofersen", "niv")},
        # a SOD1 carrier on tofersen from a time within the course, so the constants of the
        # pathology's growth and spread change during the run
        "interventions.genotype": "sod1_a4v",
        "interventions.tofersen.start": "time", "interventions.tofersen.delay_months": 30.0})
    results = {}
    for method in counting.COUNTING_METHODS:
        monkeypatch.setenv("ALSSIM_COUNTING", method)
        results[method] = alssim.simulate(cfg, seed=3)
    _assert_identical(results["numpy"], results["numba"])


def test_a_heterogeneous_batch_is_the_same_counted_either_way(monkeypatch):
    cfgs, seeds = _patients(6, seed=5)
    results = {}
    for method in counting.COUNTING_METHODS:
        monkeypatch.setenv("ALSSIM_COUNTING", method)
        results[method] = alssim.simulate_batch(cfgs, seeds=seeds)
    for a, b in zip(results["numpy"], results["numba"], strict=True):
        _assert_identical(a, b)


def _fates_inputs(n: int, seed: int):
    """``ExactFates.for_patients``'s arguments for ``n`` cohort patients, and their seeds."""
    cfgs, seeds = _patients(n, seed=seed)
    anat = cfgs[0].anatomy
    counts = anat.counts(cfgs[0].simulation.scale).astype(np.int64)
    lmn_mask = anat.population_table()["compartment_index"] == 1
    return (cfgs, [np.random.SeedSequence(s) for s in seeds], counts, lmn_mask), seeds


def _in_a_new_thread(work):
    """``work()`` run in a new thread (whose key space is its own), its value returned."""
    out = []
    worker = threading.Thread(target=lambda: out.append(work()))
    worker.start()
    worker.join()
    return out[0]


def test_the_engine_walks_the_batch_s_own_key_array(monkeypatch):
    # for_patients builds every patient's keys into one array, which the walk reads in place
    monkeypatch.setenv("ALSSIM_COUNTING", "numba")
    inputs, _ = _fates_inputs(3, seed=2)
    fates = ExactFates.for_patients(*inputs)
    assert fates.method == "numba"
    # one array, not a copy: every patient's keys are a view of the same memory
    assert all(np.shares_memory(p.keys, fates._all_keys) for p in fates.patients)
    assert fates._all_keys.size == sum(p.keys.size for p in fates.patients)


def test_the_method_is_chosen_by_the_environment(monkeypatch):
    monkeypatch.setenv("ALSSIM_COUNTING", "numpy")
    assert counting.counting_method() == "numpy"
    monkeypatch.setenv("ALSSIM_COUNTING", "Numba ")
    assert counting.counting_method() == "numba"
    monkeypatch.delenv("ALSSIM_COUNTING")
    assert counting.counting_method() == "numba"  # installed here
    monkeypatch.setenv("ALSSIM_COUNTING", "fortran")
    with pytest.raises(alssim.ConfigError, match=r"ALSSIM_COUNTING.*numpy, numba.*'fortran'"):
        counting.counting_method()


def test_without_numba_the_search_counts_and_numba_asked_for_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # as if it were not installed
    monkeypatch.delenv("ALSSIM_COUNTING", raising=False)
    assert counting.counting_method() == "numpy"
    monkeypatch.setenv("ALSSIM_COUNTING", "numba")
    with pytest.raises(alssim.AlssimError, match=r"pip install 'alssim\[fast\]'"):
        counting.counting_method()


def test_importing_alssim_loads_no_compiled_extension():
    code = ("import sys, alssim; "
            "assert 'numba' not in sys.modules and 'llvmlite' not in sys.modules, "
            "[m for m in sys.modules if m.startswith(('numba', 'llvmlite'))]")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_new_process_loads_every_compiled_kernel_from_the_disk_cache(tmp_path):
    # numba's cache finds a kernel again only if its index key is the same in every process
    # (a kernel holding another compiled function in a closure cell never was: each process
    # compiled it again, about a second, and wrote one more file into the cache). The first
    # process compiles what is not cached yet; the second must compile nothing.
    code = ("import alssim; cfg = alssim.load_config(overrides={'simulation.scale': 0.002, "
            "'simulation.horizon_years': 1.0}); alssim.simulate(cfg, seed=1).summary")
    env = {**os.environ, "NUMBA_DEBUG_CACHE": "1", "ALSSIM_COUNTING": "numba",
           "NUMBA_CACHE_DIR": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, check=True, cwd=tmp_path) for _ in range(2)]
    first, second = (r.stdout + r.stderr for r in runs)
    assert "data saved" in first  # an empty cache directory: everything compiled once
    loaded = [line for line in second.splitlines() if "data loaded" in line]
    for kernel in ("walk_levels", "front", "back", "finish_step", "band_keys", "recurrence"):
        assert any(kernel in line for line in loaded), (kernel, second[-2000:])
    assert "data saved" not in second, second[-2000:]


@given(inflammation=st.booleans(), excitotoxicity=st.booleans(), ageing=st.booleans(),
       stress=st.booleans(), treated=st.booleans(), k=st.integers(1, 4),
       seed=st.integers(0, 2**16))
@settings(max_examples=25, deadline=None)
def test_the_compiled_driver_step_is_numpys_bit_for_bit(inflammation, excitotoxicity, ageing,
                                                         stress, treated, k, seed):
    # every mechanism on or off, with and without per-step treatment constants
    from alssim.dynamics import DriverBatch, RegionalDrivers
    cfg = alssim.load_config(overrides={
        **SMALL, "mechanisms.inflammation.enabled": inflammation,
        "mechanisms.excitotoxicity.enabled": excitotoxicity,
        "mechanisms.ageing.enabled": ageing, "mechanisms.oxidative_stress.enabled": stress})
    rng = np.random.default_rng(seed)
    steps = 12
    members = []
    for _ in range(k):
        multipliers = ({term: rng.uniform(0.5, 1.5, steps + 1) for term in
                        ("pathology_hazard", "local_growth", "spread", "excitotoxicity")}
                       if treated else None)
        members.append(RegionalDrivers(cfg, multipliers))
    n = members[0].n_populations
    start = rng.uniform(0.0, 0.05, (k, n))
    lost = np.cumsum(rng.uniform(0.0, 0.02, (steps, k, n)), axis=0)
    ends = {}
    for method in ("numpy", "numba"):
        batch = DriverBatch(members, method=method)
        state = batch.initial_state(start)
        lam = batch.hazard(state)
        trace = [lam.copy()]
        # the same fraction arrays every step, refilled, as the engine passes them
        lost_now, affected_now = np.empty((k, n)), np.empty((k, n))
        for s in range(steps):
            lost_now[...] = lost[s]
            np.minimum(1.0, 1.5 * lost[s], out=affected_now)
            batch.advance_and_hazard(state, 0.5, lost_now, affected_now, out=lam)
            trace.append(lam.copy())
        ends[method] = (np.array(trace), state.pathology, state.inflammation,
                        state.excitotoxicity)
    for a, b in zip(ends["numpy"], ends["numba"], strict=True):
        np.testing.assert_array_equal(a, b)


_THRESHOLD = st.one_of(st.floats(0.0, 50.0, width=32), st.sampled_from([0.0, 1e-38, 3e38]))
_VULNERABILITY = st.one_of(st.floats(1e-30, 1e30), st.just(0.0))  # 0: NaN and inf keys


@given(st.lists(st.tuples(_VULNERABILITY, _THRESHOLD, _THRESHOLD,
                          st.floats(1.0, 100.0, width=32), st.integers(0, 2)),
                min_size=0, max_size=60),
       st.integers(0, 2), st.booleans())
@settings(max_examples=150, deadline=None)
def test_the_compiled_key_passes_make_numpys_keys(neurons, pop, lmn):
    # keys past the band's edges (a zero threshold, huge or tiny vulnerabilities, an infinite
    # dysfunction threshold) are clipped; equal keys are ties; LMN pools keep prefix sums
    from alssim.keys import sorted_keys
    from alssim.population import PopulationDraws
    counts = np.array([len(neurons) if p == pop else 3 for p in range(3)], dtype=np.int64)
    lmn_mask = np.array([lmn and p == pop for p in range(3)])
    rng = np.random.default_rng(len(neurons))
    draws = []
    for p in range(3):
        if p == pop:
            v, d, y, size, kind = (np.array(c, dtype=dt) for c, dt in zip(
                zip(*neurons, strict=True) if neurons else ([],) * 5,
                (np.float32, np.float32, np.float32, np.float32, np.int8), strict=True))
        else:
            v, d, y = (rng.exponential(size=3).astype(np.float32) for _ in range(3))
            size, kind = np.ones(3, dtype=np.float32), np.zeros(3, dtype=np.int8)
        if p == 2:
            y = np.full(counts[p], np.inf, dtype=np.float32)  # no dysfunction: inf keys
        draws.append(PopulationDraws(p, v, kind if lmn_mask[p] else None,
                                     size if lmn_mask[p] else None, d, y))
    with np.errstate(invalid="ignore"):  # a zero vulnerability and threshold: inf - inf
        a, b = (sorted_keys(counts, lmn_mask, draws, method=m) for m in ("numpy", "numba"))
    for field in ("keys", "total_size", "total_by_type", "prefix_start"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    # prefix sums are read where a count can stop: after the last of equal keys (the order
    # within a tie is the sort's; an argsort of clipped keys may order it otherwise)
    n = int(counts.sum())
    for p in np.flatnonzero(lmn_mask):
        k, lo, at = int(counts[p]), int(counts[:p].sum()), int(a.prefix_start[p])
        for kind in range(2):
            keys = a.keys[kind * n + lo: kind * n + lo + k]
            ends = at + 1 + np.flatnonzero(np.r_[keys[1:] != keys[:-1], True]) if k else []
            readable = np.r_[at, ends].astype(int)
            np.testing.assert_array_equal(a.prefix_size[kind, readable],
                                          b.prefix_size[kind, readable])
            if kind == 0:
                np.testing.assert_array_equal(a.prefix_type[:, readable],
                                              b.prefix_type[:, readable])


def test_an_untreated_batch_steps_compiled_and_a_treated_one_does_not(monkeypatch):
    # the compiled step is what makes a step cheap; a treated batch keeps the separate calls
    import alssim.step_kernels as step_kernels
    made = []
    build = step_kernels.CompiledStep.build.__func__

    def spy(cls, *args, **kwargs):
        made.append(build(cls, *args, **kwargs))
        return made[-1]

    monkeypatch.setattr(step_kernels.CompiledStep, "build", classmethod(spy))
    monkeypatch.setenv("ALSSIM_COUNTING", "numba")
    alssim.simulate(alssim.load_config(overrides=SMALL), seed=1)
    assert isinstance(made[-1], step_kernels.CompiledStep)
    alssim.simulate(alssim.load_config(overrides={**SMALL,
                                                  "interventions.riluzole.enabled": True}),
                    seed=1)
    assert made[-1] is None
    monkeypatch.setenv("ALSSIM_COUNTING", "numpy")
    alssim.simulate(alssim.load_config(overrides=SMALL), seed=1)
    assert made[-1] is None


def test_a_batch_reuses_the_key_space_only_once_it_is_returned():
    from alssim.keys import key_space, return_key_space

    def lend_and_return():
        first = key_space(1000)
        second = key_space(1000)  # the first is lent: an array of its own
        assert not np.shares_memory(first, second)
        return_key_space(second)  # not the kept array: the first stays lent
        third = key_space(10)
        assert not np.shares_memory(first, third)
        kept_at = first.ctypes.data
        return_key_space(first)
        fourth = key_space(500)  # returned: reused
        assert fourth.ctypes.data == kept_at
        fifth = key_space(500)  # lent again: not shared
        assert not np.shares_memory(fourth, fifth)
        return_key_space(fourth)
        return key_space(2000).ctypes.data != kept_at  # too small: a new kept array

    assert _in_a_new_thread(lend_and_return)


def test_the_engine_hands_its_keys_back_and_a_kept_engine_keeps_them(monkeypatch):
    # simulate returns its batch's key array; an engine built and kept by hand keeps its own
    from alssim.keys import key_space, return_key_space
    monkeypatch.setenv("ALSSIM_COUNTING", "numba")
    inputs, seeds = _fates_inputs(2, seed=4)
    cfgs = inputs[0]

    def work():
        alssim.simulate_batch(cfgs, seeds=seeds)
        probe = key_space(1)  # free again after the run: the kept array
        return_key_space(probe)
        kept = ExactFates.for_patients(*inputs)
        before = kept._all_keys.copy()
        alssim.simulate_batch(cfgs, seeds=seeds)  # must not write into the kept engine's keys
        return probe.base is not None, np.array_equal(before, kept._all_keys)

    assert _in_a_new_thread(work) == (True, True)


@pytest.mark.parametrize("grid", [
    {"simulation.horizon_years": 52 * 7 / 365.25, "simulation.dt_days": 7.0,
     "simulation.output_interval_days": 28.0},    # the last step is a record step
    {"simulation.horizon_years": 0.6, "simulation.dt_days": 3.0,
     "simulation.output_interval_days": 3.0},     # every step recorded
    {"simulation.horizon_years": 0.3, "simulation.dt_days": 7.0,
     "simulation.output_interval_days": 365.0},   # one interval longer than the horizon
    {"simulation.horizon_years": 1.0, "simulation.dt_days": 13.3,
     "simulation.output_interval_days": 40.0},    # steps left over after the last record
])
def test_the_compiled_steps_record_where_single_steps_do(grid, monkeypatch):
    # the compiled path runs from record to record; the numpy path steps one at a time
    cfg = alssim.load_config(overrides={"simulation.scale": 0.01, **grid})
    results = {}
    for method in counting.COUNTING_METHODS:
        monkeypatch.setenv("ALSSIM_COUNTING", method)
        results[method] = alssim.simulate(cfg, seed=2)
    _assert_identical(results["numpy"], results["numba"])


_FIBRES = st.floats(0.0, 200.0, allow_nan=False)
#: values the recurrence never sees from reinnervated_fibres, but which numpy handles its way
_ODD = st.sampled_from([0.0, -0.0, np.nan, np.inf, -np.inf])


@given(st.integers(1, 40), st.integers(1, 5), st.booleans(), st.data())
@settings(max_examples=200, deadline=None)
def test_the_compiled_reinnervation_recurrence_gives_numpys_numbers(n_records, width, odd, data):
    # the record-by-record part of reinnervated_fibres, lagged and immediate intervals mixed,
    # zero and equal targets included (the clips' ties), and with `odd` signed zeros, NaN and
    # infinities: NaN where numpy gives NaN, every other float the same bit for bit (the sign
    # of a zero included)
    from alssim.clinical.reinnervation_kernel import reinnervation_recurrence

    def array(shape, elements):
        if odd:
            elements = st.one_of(elements, _ODD)
        return np.array(data.draw(st.lists(elements, min_size=int(np.prod(shape)),
                                           max_size=int(np.prod(shape)))),
                        dtype=np.float64).reshape(shape)

    target = array((n_records, width), st.one_of(_FIBRES, st.just(0.0), st.just(50.0)))
    kept = array((n_records - 1, width), st.floats(0.0, 1.0))
    decay = array((n_records - 1,), st.floats(0.0, 1.0))
    slope_part = array((n_records - 1, width), st.floats(-50.0, 50.0))
    lagged = np.array(data.draw(st.lists(st.booleans(), min_size=n_records - 1,
                                         max_size=n_records - 1)), dtype=bool)
    with np.errstate(all="ignore"):
        got = {method: reinnervation_recurrence(kept, target, lagged, decay, slope_part,
                                                method=method)
               for method in counting.COUNTING_METHODS}
    a, b = got["numpy"], got["numba"]
    nan = np.isnan(a)
    assert np.array_equal(nan, np.isnan(b))
    assert a[~nan].tobytes() == b[~nan].tobytes()
    if not odd:
        assert not nan.any() and (a >= 0).all() and (a <= target).all()


def test_the_reinnervation_recurrence_refuses_inputs_of_other_shapes():
    from alssim.clinical.reinnervation_kernel import reinnervation_recurrence

    target = np.ones((4, 3))
    with pytest.raises(ValueError, match=r"kept must have shape \(3, 3\); got \(3,\)"):
        reinnervation_recurrence(np.ones(3), target, np.ones(3, bool), np.ones(3),
                                 np.ones((3, 3)))


@pytest.mark.parametrize("name", ["default.toml", "phenotypes/flail_arm.toml",
                                  "phenotypes/sod1_a4v.toml"])
def test_the_clinical_course_is_the_same_either_way(name, monkeypatch):
    # the clinical layer's compiled part (collateral reinnervation) on whole patients
    from alssim.clinical import assess

    cfg = alssim.load_config(configs_dir() / name, overrides=SMALL)
    res = alssim.simulate(cfg, seed=2)
    courses = {}
    for method in counting.COUNTING_METHODS:
        monkeypatch.setenv("ALSSIM_COUNTING", method)
        courses[method] = assess(res)
    a, b = courses["numpy"], courses["numba"]
    for kind in ("segment_variables", "muscle_variables", "global_variables"):
        for var, values in getattr(a, kind).items():
            assert values.tobytes() == getattr(b, kind)[var].tobytes(), var
    assert a.summary() == b.summary()
