"""King's stage estimated from the ALSFRS-R (Balendra 2014): alssim.clinical.staging."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import alssim
from alssim.anatomy import ALSFRS_ITEMS
from alssim.clinical import staging

ITEM = {name: i for i, name in enumerate(ALSFRS_ITEMS)}


def _one(**scores: int) -> np.ndarray:
    """One record of ALSFRS-R items, every item 4 except ``scores``."""
    items = np.full((1, 12), 4.0)
    for name, v in scores.items():
        items[0, ITEM[name]] = v
    return items


def _stage(items: np.ndarray, gastrostomy=None, dead=None) -> np.ndarray:
    n = len(items)
    g = np.zeros(n, bool) if gastrostomy is None else np.asarray(gastrostomy, bool)
    d = np.zeros(n, bool) if dead is None else np.asarray(dead, bool)
    return staging.kings_stage_from_alsfrs(items, g, d)


@pytest.mark.parametrize("item", ["speech", "salivation", "swallowing"])
def test_any_bulbar_item_below_4_involves_the_bulbar_region(item):
    assert staging.kings_regions_from_alsfrs(_one(**{item: 3})).tolist() == [[True, False, False]]
    assert _stage(_one(**{item: 3})).tolist() == [1.0]


@pytest.mark.parametrize("item", ["handwriting", "cutting_food"])
def test_handwriting_or_cutting_food_involves_the_upper_limb(item):
    assert staging.kings_regions_from_alsfrs(_one(**{item: 2})).tolist() == [[False, True, False]]


def test_walking_alone_involves_the_lower_limb():
    assert staging.kings_regions_from_alsfrs(_one(walking=3)).tolist() == [[False, False, True]]


@pytest.mark.parametrize("item", ["dressing_hygiene", "turning_in_bed", "climbing_stairs",
                                  "dyspnoea", "orthopnoea"])
def test_other_items_involve_no_region(item):
    # trunk, stairs and breathing items count for no region of the estimate (only 10 = 0 is 4B)
    assert not staging.kings_regions_from_alsfrs(_one(**{item: 1})).any()
    assert _stage(_one(**{item: 1})).tolist() == [0.0]


def test_regions_add_up_to_stage_3():
    items = np.vstack([_one(), _one(speech=3), _one(speech=3, handwriting=3),
                       _one(speech=3, handwriting=3, walking=0)])
    assert _stage(items).tolist() == [0.0, 1.0, 2.0, 3.0]


def test_gastrostomy_is_4a_and_respiratory_failure_is_4b():
    assert _stage(_one(), gastrostomy=[True]).tolist() == [4.0]
    assert _stage(_one(dyspnoea=0)).tolist() == [4.5]
    assert _stage(_one(dyspnoea=1)).tolist() == [0.0]           # breathless at rest: not 4B
    for score in (0, 1, 2, 3):                                  # any ventilatory support
        assert _stage(_one(respiratory_insufficiency=score)).tolist() == [4.5]
    assert _stage(_one(dyspnoea=0), gastrostomy=[True]).tolist() == [4.5]
    assert staging.kings_respiratory_failure_from_alsfrs(
        np.vstack([_one(), _one(dyspnoea=0), _one(respiratory_insufficiency=3)])).tolist() == [
        False, True, True]


def test_ventilation_indicated_is_4b_in_a_course_without_ventilation():
    # the natural history gives no NIV, so item 12 stays 4; its indication stands for the NIV the
    # source cohorts received (item 12 < 4), as the gastrostomy need stands for 4A
    items = np.vstack([_one(walking=3), _one(walking=3), _one(walking=3)])
    no = np.zeros(3, bool)
    assert staging.kings_stage_from_alsfrs(items, no, no).tolist() == [1.0, 1.0, 1.0]
    assert staging.kings_stage_from_alsfrs(items, no, no, np.array([0, 1, 0], bool)).tolist() == [
        1.0, 4.5, 4.5]


def test_death_is_5_and_the_stage_never_falls():
    items = np.vstack([_one(walking=3), _one(), _one(respiratory_insufficiency=3), _one(),
                       _one()])
    dead = [False, False, False, False, True]
    # the walking item recovers (a better day): the stage stays; NIV stopped: 4B stays
    assert _stage(items, dead=dead).tolist() == [1.0, 1.0, 4.5, 4.5, 5.0]
    assert _stage(items, gastrostomy=[0, 1, 0, 0, 0]).tolist() == [1.0, 4.0, 4.5, 4.5, 4.5]


def test_missing_scores_involve_nothing_and_keep_the_stage():
    items = np.vstack([_one(speech=3), np.full((1, 12), np.nan), _one(speech=3, walking=3)])
    assert _stage(items).tolist() == [1.0, 1.0, 2.0]


item_matrices = st.integers(1, 12).flatmap(
    lambda n: arrays(np.int8, (n, 12), elements=st.integers(0, 4)))


@settings(max_examples=200, deadline=None)
@given(items=item_matrices, data=st.data())
def test_estimate_is_monotone_coded_and_bounded_by_what_it_reads(items, data):
    n = len(items)
    gastro = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    dead = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    k = staging.kings_stage_from_alsfrs(items, gastro, dead)
    assert set(k.tolist()) <= set(staging.KINGS_LEVELS)
    assert (np.diff(k) >= 0).all()
    # without gastrostomy, respiratory failure or death so far, the stage is the largest
    # number of regions the items have shown so far
    needs = np.logical_or.accumulate(
        gastro | dead | staging.kings_respiratory_failure_from_alsfrs(items))
    regions = np.maximum.accumulate(staging.kings_regions_from_alsfrs(items).sum(axis=1))
    np.testing.assert_array_equal(k[~needs], regions[~needs])
    assert (k[needs] >= 4.0).all()
    assert (k[np.logical_or.accumulate(dead)] == 5.0).all()
    # every item normal and no need: stage 0
    assert staging.kings_stage_from_alsfrs(np.full((n, 12), 4), np.zeros(n, bool),
                                           np.zeros(n, bool)).tolist() == [0.0] * n


# ------------------------------------------------------------------ the clinical course
@pytest.fixture(scope="module")
def course_run():
    cfg = alssim.load_config(overrides={"simulation.scale": 0.02})
    return alssim.simulate(cfg, seed=3)


def test_course_carries_the_estimated_stage_and_its_entry_times(course_run):
    c = course_run.clinical
    t = c.times_months
    est = c["kings_stage_estimated"]
    items = np.stack([c[f"alsfrs_r_{n}"] for n in ALSFRS_ITEMS], axis=1)
    alive = c["patient_alive"].astype(bool)
    np.testing.assert_array_equal(est, staging.kings_stage_from_alsfrs(
        items, c["gastrostomy_needed"].astype(bool), ~alive, c["niv_needed"].astype(bool)))
    # the clinical King's stage is a different variable, kept as it was
    assert "kings_stage" in c.global_variables
    s = course_run.summary["clinical"]
    months = s["kings_estimated_stage_months"]
    assert set(months) == {"1", "2", "3", "4A", "4B"}
    onset = s["clinical_onset_months"]
    death = s["death_months"] if s["death_months"] is not None else math.inf
    lived = t <= death
    for lev, lab in ((1.0, "1"), (2.0, "2"), (3.0, "3")):
        hit = np.flatnonzero((est >= lev) & lived)
        want = None if hit.size == 0 else round(float(t[hit[0]] - onset), 6)
        assert months[lab] == pytest.approx(want) if want is not None else months[lab] is None
    gastro = np.flatnonzero(c["gastrostomy_needed"].astype(bool) & lived)
    assert months["4A"] == (None if gastro.size == 0
                            else pytest.approx(float(t[gastro[0]] - onset), abs=1e-6))
    niv = np.flatnonzero(c["niv_needed"].astype(bool) & lived)
    assert months["4B"] == (None if niv.size == 0
                            else pytest.approx(float(t[niv[0]] - onset), abs=1e-6))
    assert months["2"] is not None  # this patient's items show a second region


def test_patient_table_has_the_estimated_stage_columns():
    from alssim.batch import flatten_summary

    res = alssim.simulate(alssim.load_config(overrides={"simulation.scale": 0.005,
                                                        "simulation.horizon_years": 1.0}),
                          seed=1)
    flat = flatten_summary(res.summary)
    for k in ("1", "2", "3", "4A", "4B"):
        assert f"clinical.kings_estimated_stage_months.{k}" in flat


def test_entry_times_of_the_estimated_stage_by_hand():
    from alssim.clinical.events import stage_entry_months as _stage_entry_months

    t = np.arange(8, dtype=float)
    items = np.full((8, 12), 4.0)
    items[1:, ITEM["speech"]] = 3                          # bulbar from month 1
    items[3:, ITEM["respiratory_insufficiency"]] = 3       # on NIV from month 3: 4B
    gastro = np.arange(8) >= 5                          # tube fed from month 5: 4A
    dead = np.arange(8) >= 6                            # dies at month 6
    stage = staging.kings_stage_from_alsfrs(items, gastro, dead)
    assert stage.tolist() == [0, 1, 1, 4.5, 4.5, 4.5, 5, 5]
    resp = staging.kings_respiratory_failure_from_alsfrs(items)
    got = _stage_entry_months(t, 0.5, 6.0, stage, gastro, resp)
    # 2 and 3 skipped: entered with 4B; 4A and 4B in parallel, each from its own rule
    assert got == {"1": 0.5, "2": 2.5, "3": 2.5, "4A": 4.5, "4B": 2.5}
    # a need arising after death is not the patient's; no clinical onset: every entry None
    late = _stage_entry_months(t, 0.5, 4.0, stage, gastro, resp)
    assert late["4A"] is None and late["4B"] == 2.5
    assert set(_stage_entry_months(t, math.inf, 6.0, stage, gastro, resp).values()) == {None}


def test_a_need_first_met_at_the_record_of_death_is_not_a_stage_lived():
    from alssim.clinical.events import stage_entry_months as _stage_entry_months

    t = np.array([0.0, 1.0, 2.0, 3.0])
    stage = np.array([1.0, 2.0, 3.0, 5.0])
    at_death = np.array([False, False, False, True])
    before = np.array([False, False, True, True])
    out = _stage_entry_months(t, 0.0, 3.0, stage, at_death, before)
    assert out["4A"] is None and out["4B"] == 2.0
    assert out["3"] == 2.0
