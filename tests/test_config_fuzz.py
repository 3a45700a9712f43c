"""Bad input never crashes: a corpus of hand-written bad configs, and Hypothesis-generated ones."""

from __future__ import annotations

import dataclasses
import math
import re
import string
from pathlib import Path

import numpy as np
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import alssim
from alssim.config.loader import load_config
from alssim.config.schema import Config
from alssim.fields import ParamSpec, field_specs

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

#: Integers far beyond int64 and float: 10**19 .. 10**5000 (past Python's 4300-digit str limit).
huge_integers = st.builds(lambda sign, digits, lead: sign * lead * 10**digits,
                          st.sampled_from([1, -1]), st.integers(18, 5000), st.integers(1, 9))


def _nest(depth: int, leaf, kind: str):
    """``leaf`` inside ``depth`` lists (or one-key tables), built without recursion."""
    for _ in range(depth):
        leaf = [leaf] if kind == "list" else {"a": leaf}
    return leaf


deeply_nested = st.builds(_nest, st.integers(30, 3000), st.sampled_from([0, 1.5, "x", []]),
                          st.sampled_from(["list", "table"]))

junk = st.one_of(
    st.text(max_size=12),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    huge_integers,
    st.just(10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.integers(-5, 5), max_size=3),
    st.lists(huge_integers, max_size=2),
    deeply_nested,
    st.dictionaries(st.text(string.ascii_lowercase, min_size=1, max_size=5), st.integers(),
                    max_size=2),
)


@pytest.mark.slow
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(KEYS), value=junk)
def test_any_value_at_any_key_gives_config_error_or_valid_config(key, value):
    try:
        cfg = load_config(overrides={key: value})
    except alssim.ConfigError as exc:
        assert exc.key is not None
        assert key.split(".")[0] in str(exc)
        assert len(str(exc)) < 1500  # values are cut, however large
    else:
        assert cfg is not None


toml_scalars = st.one_of(st.text(max_size=8), st.booleans(), st.integers(-(2**62), 2**62),
                         st.integers(2**63, 10**4000) | st.integers(-(10**4000), -(2**63) - 1),
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


@pytest.mark.slow
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


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(KEYS),
       value=st.one_of(
           st.builds(lambda d, sign: sign + "9" * d, st.integers(19, 6000),
                     st.sampled_from(["", "-"])),
           st.builds(lambda d: "[" * d + "]" * d, st.integers(1, 3000)),
           st.builds(lambda d: "{a = " * d + "1" + "}" * d, st.integers(1, 1500)),
           st.builds(lambda d: "[" * d + "1, " + "9" * 30 + "]" * d, st.integers(1, 100))))
def test_huge_integers_and_deep_nesting_in_toml_raise_only_config_error(tmp_path_factory, key,
                                                                         value):
    """Written as TOML text: integers beyond int64 (and beyond 4300 digits), arrays and inline
    tables nested up to 3000 deep, at any key: one ConfigError naming the file, never an
    OverflowError, RecursionError or ValueError."""
    *tables, leaf = key.split(".")
    path = tmp_path_factory.mktemp("huge") / "cfg.toml"
    path.write_text((f"[{'.'.join(tables)}]\n" if tables else "") + f"{leaf} = {value}\n")
    try:
        load_config(path)
    except alssim.ConfigError as exc:
        msg = str(exc)
        assert str(path) in msg
        assert len(msg) < 1500, len(msg)


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


#: Every parameter with an open bound, and its interval exactly as messages give it. A bound
#: made closed, or a closed one made open, changes this table and fails the tests below.
OPEN_BOUNDS = {
    "simulation.horizon_years": "(0, 100]",
    "simulation.dt_days": "(0, 365]",
    "simulation.output_interval_days": "(0, 36525]",
    "simulation.scale": "(0, 10]",
    "onset.initial_load": "(0, 1]",
    "cohort.age_speed_per_decade": "(0, 100]",
    "cohort.lmn_onset_speed": "(0, 100]",
    "clinical.strength.umn_reserve": "[0, 1)",
    "clinical.strength.atrophy_threshold": "(0, 1]",
    "clinical.umn_signs.brisk_threshold": "(0, 1]",
    "clinical.umn_signs.clonus_threshold": "(0, 1]",
    "clinical.umn_signs.babinski_threshold": "(0, 1]",
    "clinical.function.involvement_threshold": "(0, 1)",
    "clinical.respiratory.fvc_healthy": "(0, 200]",
    "clinical.respiratory.fvc_strength_exponent": "(0, 3]",
    "clinical.respiratory.snip_healthy": "(0, 300]",
    "clinical.respiratory.aspiration_exponent": "(0, 20]",
    "clinical.respiratory.expiratory_vc_share": "[0, 1)",
    "clinical.umn_signs.pseudobulbar_threshold": "(0, 1]",
    "clinical.umn_signs.abdominal_reflex_threshold": "(0, 1]",
    "cohort.bulbar_onset_or_female": "(0, 100]",
    "cohort.bulbar_onset_or_per_decade": "(0, 100]",
    "clinical.electro.fibrillation_time_constant_months": "(0, 600]",
    "clinical.electro.fasciculation_potential_rate": "(0, inf)",
    "clinical.electro.chronic_neurogenic_enlargement": "(1, inf)",
    "clinical.electro.split_hand_healthy": "(0, inf)",
    "clinical.diagnosis.visit_interval_months": "(0, 120]",
    "clinical.diagnosis.bulbar_delay_factor": "(0, 10]",
    "clinical.diagnosis.urgent_alsfrs_drop": "(0, 48]",
}


def _interval(spec: ParamSpec) -> str:
    return spec.describe_range().removeprefix("a number in ")


def test_open_bounds_are_exactly_the_documented_intervals():
    """Which bounds are open, and how each interval reads (catches '(0, x]' made '[0, x]' or
    '(0, x)')."""
    numeric = {k: s for k, s in LEAVES if s.choices is None and (
        math.isfinite(s.low) or math.isfinite(s.high))}
    got_open = {k: _interval(s) for k, s in numeric.items() if s.low_open or s.high_open}
    assert got_open == OPEN_BOUNDS
    for key, spec in numeric.items():
        if key not in OPEN_BOUNDS:
            assert re.fullmatch(r"\[[^,]+, [^,]+[\])]", _interval(spec)), (key, spec)
            assert _interval(spec).endswith(")") == math.isinf(spec.high), key


@pytest.mark.parametrize("key", sorted(OPEN_BOUNDS))
def test_a_value_at_an_open_bound_is_refused_with_the_exact_interval(key):
    """The value at the open end is refused, naming the key, the value and the exact interval;
    a value just inside it is accepted."""
    interval = OPEN_BOUNDS[key]
    lo, hi = (float(x) for x in interval[1:-1].split(", "))
    for value, is_open in ((lo, interval[0] == "("), (hi, interval[-1] == ")")):
        if not math.isfinite(value) or not is_open:
            continue
        with pytest.raises(alssim.ConfigError) as info:
            load_config(overrides={key: value})
        msg = str(info.value)
        assert f"'{key}'" in msg and f"in {interval} " in msg and f"got {value!r}" in msg, msg
    inside = lo + (min(hi, lo + 1.0) - lo) / 2
    try:
        load_config(overrides={key: inside})
    except alssim.ConfigError as exc:  # only a cross-field rule may refuse a value inside
        assert f"in {interval} " not in str(exc), str(exc)


@pytest.mark.parametrize(("key", "value"), list(_extremes()))
def test_extreme_legal_values_give_finite_outputs(key, value):
    spec = dict(LEAVES)[key]
    try:
        cfg = load_config(overrides={**TINY, key: value})
    except alssim.ConfigError as exc:
        msg = str(exc)
        if "must be 1" in msg:  # shares that no longer sum to 1
            return
        assert key in OPEN_BOUNDS and value in (spec.low, spec.high), msg
        assert f"'{key}'" in msg and f"in {OPEN_BOUNDS[key]} " in msg, msg
        return
    assert key not in OPEN_BOUNDS or value not in (
        spec.low if spec.low_open else None, spec.high if spec.high_open else None), key
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
