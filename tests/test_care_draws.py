"""Per-patient clinical draws: reproducible, independent of parameters, saved with the result."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import alssim
from alssim.care_draws import CLINICAL_DRAWS, default_clinical_draws, draw_clinical
from alssim.results import load

SMALL = {"simulation.scale": 0.005, "simulation.horizon_years": 1.0}


def test_draws_are_reproducible_independent_and_in_range():
    a = draw_clinical(np.random.SeedSequence(5))
    assert a == draw_clinical(np.random.SeedSequence(5))
    b = draw_clinical(np.random.SeedSequence(6))
    assert set(a) == set(CLINICAL_DRAWS)
    assert all(a[k] != b[k] for k in a)
    for name, (kind, _doc) in CLINICAL_DRAWS.items():
        assert 0 < a[name] < (1 if kind == "quantile" else math.inf)
    # each draw has its own stream: no two names share a value
    assert len(set(a.values())) == len(a)


def test_draws_do_not_depend_on_parameters_and_match_the_patient_seed():
    r1 = alssim.simulate(alssim.load_config(overrides=SMALL), seed=3)
    r2 = alssim.simulate(alssim.load_config(overrides={**SMALL, "spread.contralateral_rate": 0.05,
                                                       "onset.segment": "bulbar"}), seed=3)
    assert r1.clinical_draws == r2.clinical_draws == draw_clinical(np.random.SeedSequence(3))
    ss = np.random.SeedSequence(3, spawn_key=(7,))
    r3 = alssim.simulate_batch([alssim.load_config(overrides=SMALL)], [ss])[0]
    assert r3.clinical_draws == draw_clinical(ss)


def test_draws_are_saved_and_legacy_results_get_the_medians(tmp_path):
    res = alssim.simulate(alssim.load_config(overrides=SMALL), seed=4)
    res.save(tmp_path / "r")
    assert load(tmp_path / "r").clinical_draws == res.clinical_draws
    # a result saved before the draws were recorded: the medians
    from alssim.results import meta_digest

    meta_path = tmp_path / "r" / "result.json"
    meta = json.loads(meta_path.read_text())
    del meta["clinical_draws"]
    meta["meta_sha256"] = meta_digest(meta)
    meta_path.write_text(json.dumps(meta))
    assert load(tmp_path / "r").clinical_draws == default_clinical_draws()
    meta["clinical_draws"] = {"aspiration": -1.0}
    meta["meta_sha256"] = meta_digest(meta)
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(alssim.errors.ResultFormatError, match="aspiration"):
        load(tmp_path / "r")
