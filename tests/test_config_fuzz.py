"""Bad input never crashes: a corpus of hand-written bad configs, and Hypothesis-generated ones."""

from __future__ import annotations

import dataclasses
import math
import string
from pathlib import Path

import numpy as np
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import alssim
from alssim.config.loader import load_config
from alssim.config.params import ParamSpec, field_specs
from alssim.config.schema import Config

CORPUS = sorted((Path(__file__).parent / "bad_configs").glob("*.toml"))


def _expected_fragments(path: Path) -> list[str]:
    first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8", "replace")
    if not first.startswith("# expect:"):
        return ["UTF-8"]  # a file that is not text at all
    return [f.strip() for f in first.removeprefix("# expect:").split("|")]


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_bad_config_corpus(path):
    with pytest.raises(alssim.ConfigError) as info:
        load_config(path)
    msg = str(info.value)
    assert str(path) in msg, msg
    for fragment in _expected_fragments(path):
        assert fragment in msg, (fragment, msg)


def _leaves(cls, prefix=""):
    hints = field_specs(cls)
    for f in dataclasses.fields(cls):
        spec = hints[f.name]
        key = f"{prefix}.{f.name}" if prefix else f.name
        if isinstance(spec, type):
            yield from _leaves(spec, key)
        else:
            yield key, spec


def leaf_keys() -> list[tuple[str, ParamSpec]]:
    cfg = load_config()
    out = []
    for f in dataclasses.fields(Config):
        value = getattr(cfg, f.name, None)
        if f.name in ("anatomy", "source") or not dataclasses.is_dataclass(value):
            continue
        out.extend(_leaves(type(value), f.name))
    return out


LEAVES = leaf_keys()
KEYS = [k for k, _ in LEAVES]

junk = st.one_of(
    st.text(max_size=12),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.integers(-5, 5), max_size=3),
    st.dictionaries(st.text(string.ascii_lowercase, min_size=1, max_size=5), st.integers(),
                    max_size=2),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(KEYS), value=junk)
def test_any_value_at_any_key_gives_config_error_or_valid_config(key, value):
    try:
        cfg = load_config(overrides={key: value})
    except alssim.ConfigError as exc:
        assert exc.key is not None
        assert key.split(".")[0] in str(exc)
    else:
        assert cfg is not None


toml_scalars = st.one_of(st.text(max_size=8), st.booleans(), st.integers(-(2**62), 2**62),
                         st.floats(allow_nan=False, allow_infinity=True))
section_names = st.sampled_from(["simulation", "spread", "onset", "neurons", "mechanisms",
                                 "sprad", "anatomy", "cohort", "clinical", "x"])
key_names = st.one_of(st.sampled_from([k.split(".")[-1] for k in KEYS]),
                      st.text(string.ascii_lowercase + "_", min_size=1, max_size=10))
documents = st.dictionaries(
    section_names,
    st.one_of(toml_scalars, st.dictionaries(key_names, st.one_of(
        toml_scalars, st.dictionaries(key_names, toml_scalars, max_size=3)), max_size=5)),
    max_size=4,
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow,
                                                   HealthCheck.function_scoped_fixture])
@given(doc=documents)
def test_generated_toml_documents_raise_only_config_error(tmp_path_factory, doc):
    path = tmp_path_factory.mktemp("fuzz") / "cfg.toml"
    path.write_text(tomli_w.dumps(doc))
    try:
        load_config(path)
    except alssim.ConfigError as exc:
        assert str(path) in str(exc) or "overrides" in str(exc) or "default.toml" in str(exc)


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_config_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "cfg.toml"
    path.write_bytes(data)
    try:
        load_config(path)
    except alssim.ConfigError as exc:
        assert str(path) in str(exc)


# ----------------------------------------------------------------------------- extreme legal values
MODEL_SECTIONS = ("neurons", "onset", "spread", "mechanisms")
TINY = {"simulation.scale": 0.002, "simulation.horizon_years": 2.0, "simulation.dt_days": 14.0,
        "simulation.output_interval_days": 56.0}


def _extremes():
    for key, spec in LEAVES:
        if key.split(".")[0] not in MODEL_SECTIONS or spec.choices is not None:
            continue
        for bound in (spec.low, spec.high):
            if math.isfinite(bound):
                yield key, bound


@pytest.mark.parametrize(("key", "value"), list(_extremes()))
def test_extreme_legal_values_give_finite_outputs(key, value):
    try:
        cfg = load_config(overrides={**TINY, key: value})
    except alssim.ConfigError as exc:
        assert "must be 1" in str(exc) or "low_open" in str(exc) or "(0" in str(exc)
        return
    res = alssim.simulate(cfg, seed=0)
    for name, arr in res.variables.items():
        assert np.all(np.isfinite(arr)), name
    assert np.all(res["alive"] >= 0)


def test_zero_hazard_nobody_dies():
    cfg = load_config(overrides={**TINY, "mechanisms.pathology.hazard_rate": 0.0,
                                 "mechanisms.ageing.hazard_rate": 0.0})
    res = alssim.simulate(cfg, seed=0)
    assert res["dead"].sum() == 0 and np.array_equal(res["alive"][-1], res.counts)


def test_enormous_hazard_everyone_dies_in_the_first_step():
    cfg = load_config(overrides={**TINY, "mechanisms.ageing.hazard_rate": 1e6,
                                 "mechanisms.ageing.enabled": True})
    res = alssim.simulate(cfg, seed=0)
    dt = cfg.simulation.dt_months
    assert np.all(res.milestones["lost_50"] == pytest.approx(dt))
    assert np.all(res["alive"][1:] == 0)
    assert np.all(np.isfinite(res["cumulative_hazard"]))
