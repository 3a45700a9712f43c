"""Config layer: defaults, layering, overrides, and a clear ConfigError for every bad input."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import tomllib

import pytest

import alssim
from alssim.config.loader import configs_dir, load_config, parse_override
from alssim.config.params import ParamSpec, field_specs
from alssim.config.schema import Config


def _leaf_specs(cls, prefix=""):
    for name, spec in field_specs(cls).items():
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(spec, type):
            yield from _leaf_specs(spec, key)
        else:
            yield key, spec


def all_leaf_specs():
    for f in dataclasses.fields(Config):
        if f.name in ("anatomy", "source"):
            continue
        yield from _leaf_specs(
            f.type
            if isinstance(f.type, type)
            else eval(f.type, vars(__import__("alssim.config.schema", fromlist=["x"]))),
            f.name,
        )


def test_defaults_load_and_are_frozen():
    cfg = load_config()
    assert cfg.simulation.engine == "exact"
    assert cfg.anatomy.name == "default"
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.spread.contralateral_rate = 1.0  # type: ignore[misc]


def test_every_field_has_unit_range_and_meaning():
    specs = list(all_leaf_specs())
    assert len(specs) > 40
    for key, spec in specs:
        assert isinstance(spec, ParamSpec), key
        assert spec.doc, key
        assert spec.unit is not None, key


def test_default_file_covers_every_field_and_cites_a_source():
    """Every value standing for a biological quantity carries a source, assumption or hypothesis."""
    text = (configs_dir() / "default.toml").read_text()
    data = tomllib.loads(text)
    cfg = load_config()
    flat = {}

    def walk(d, prefix=""):
        for k, v in d.items():
            key = f"{prefix}.{k}" if prefix else k
            if isinstance(v, dict):
                walk(v, key)
            else:
                flat[key] = v

    walk(data)
    for key, _spec in all_leaf_specs():
        assert key in flat, f"{key} missing from configs/default.toml"
        assert cfg.get(key) == pytest.approx(flat[key]) if not isinstance(flat[key], str) else True
    label = re.compile(r"\[(source|assumption|hypothesis)")
    section = ""
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("["):
            section = s.strip("[]")
            continue
        m = re.match(r"^([a-z_0-9]+)\s*=\s*([0-9.eE+-]+)\s*(#.*)?$", s)
        if not m or section in ("simulation",):
            continue
        assert m.group(3) and label.search(m.group(3)), (
            f"configs/default.toml [{section}] {m.group(1)} has no [source]/[assumption]/"
            "[hypothesis] comment"
        )


def test_layering_file_then_overrides(tmp_path):
    f = tmp_path / "patient.toml"
    f.write_text("[spread]\ncontralateral_rate = 0.05\ncaudal_rate = 0.02\n")
    cfg = load_config(f, overrides={"spread.caudal_rate": 0.03})
    default = load_config()
    assert cfg.spread.contralateral_rate == 0.05  # file over defaults
    assert cfg.spread.caudal_rate == 0.03  # overrides over file
    assert cfg.spread.rostral_rate == default.spread.rostral_rate  # defaults elsewhere


def test_string_overrides_are_parsed_to_the_field_type():
    cfg = load_config(
        overrides={
            "spread.caudal_rate": "0.02",
            "simulation.seed": "5",
            "mechanisms.inflammation.enabled": "false",
        }
    )
    assert cfg.spread.caudal_rate == 0.02
    assert cfg.simulation.seed == 5
    assert cfg.mechanisms.inflammation.enabled is False
    assert parse_override("onset.side=left") == ("onset.side", "left")
    assert parse_override("a.b = 1e-3") == ("a.b", 0.001)


def test_effective_config_round_trips(tmp_path):
    cfg = load_config(
        overrides={
            "anatomy": "four_regions",
            "onset.segment": "cervical",
            "spread.callosal_rate": 0.007,
        }
    )
    f = tmp_path / "effective.toml"
    f.write_text(cfg.to_toml())
    again = load_config(f)
    assert again == cfg
    assert again.anatomy.segment_names == ("bulbar", "cervical", "thoracic", "lumbosacral")


def test_with_overrides_and_get():
    cfg = load_config()
    new = cfg.with_overrides({"onset.side": "left"})
    assert new.onset.side == "left" and cfg.onset.side == "right"
    assert new.get("onset.side") == "left"


# ----------------------------------------------------------------------------- bad input
BAD_FILES = [
    # (TOML text, fragments the message must contain)
    (
        "[spread]\ncontralateral_rat = 0.1\n",
        ["spread.contralateral_rat", "spread.contralateral_rate"],
    ),
    ("[sprad]\ncontralateral_rate = 0.1\n", ["sprad", "spread"]),
    ("[spread]\ncaudal_rate = 'fast'\n", ["spread.caudal_rate", "'fast'", "[0, 100]"]),
    ("[spread]\ncaudal_rate = -0.1\n", ["spread.caudal_rate", "-0.1", "[0, 100]"]),
    ("[simulation]\nscale = 0\n", ["simulation.scale", "(0, 10]"]),
    ("[simulation]\nengine = 'fast'\n", ["simulation.engine", "'exact'", "'reference'"]),
    ("[simulation]\nseed = 1.5\n", ["simulation.seed", "integer"]),
    (
        "[mechanisms.inflammation]\nenabled = 1\n",
        ["mechanisms.inflammation.enabled", "true or false"],
    ),
    ("[onset]\nsegment = 'cervical_lowr'\n", ["onset.segment", "cervical_lower"]),
    ("[onset]\np_bulbar = 0.9\n", ["onset.p_bulbar", "must be 1"]),
    ("[neurons]\nfraction_ff = 0.9\n", ["neurons.fraction_s", "must be 1"]),
    ("[simulation]\noutput_interval_days = 0.5\n", ["simulation.output_interval_days", "dt_days"]),
    ("spread = 3\n", ["spread", "table"]),
    ("anatomy = 'five_regions'\n", ["anatomy", "four_regions"]),
    ("[spread\ncaudal_rate = 1\n", ["invalid TOML", ":1:"]),
    ("[spread]\ncaudal_rate = = 1\n", ["invalid TOML", ":2:"]),
]


@pytest.mark.parametrize(("text", "fragments"), BAD_FILES)
def test_bad_config_file_names_file_key_and_allowed(tmp_path, text, fragments):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(alssim.ConfigError) as info:
        load_config(f)
    msg = str(info.value)
    assert str(f) in msg
    for frag in fragments:
        assert frag in msg, (frag, msg)


def test_bad_anatomy_file_names_full_key_path(tmp_path):
    anat = tmp_path / "anat.toml"
    src = (configs_dir() / "anatomy" / "four_regions.toml").read_text()
    anat.write_text(src.replace("lmn_count = 35000", "lmn_count = -5"))
    f = tmp_path / "cfg.toml"
    f.write_text("anatomy = 'anat.toml'\n[onset]\nsegment = 'cervical'\n")
    with pytest.raises(alssim.ConfigError) as info:
        load_config(f)
    assert "anatomy.segments[3].lmn_count" in str(info.value)
    assert str(anat) in str(info.value)


# ----------------------------------------------------------------------------- long-range edges
def _anatomy_with_long_range(tmp_path, value: str | None):
    """The four-region anatomy written to a file with ``long_range = value`` (None: no key)."""
    src = (configs_dir() / "anatomy" / "four_regions.toml").read_text()
    lines = [ln for ln in src.splitlines() if not ln.startswith("long_range")]
    if value is not None:
        i = next(j for j, ln in enumerate(lines) if ln.startswith("cortical_order"))
        lines.insert(i + 1, f"long_range = {value}")
    anat = tmp_path / "anat.toml"
    anat.write_text("\n".join(lines) + "\n")
    f = tmp_path / "cfg.toml"
    f.write_text("anatomy = 'anat.toml'\n[onset]\nsegment = 'cervical'\n")
    return anat, f


def test_shipped_anatomies_declare_bulbar_to_lumbosacral_long_range():
    for name, onset in (("default", "cervical_lower"), ("four_regions", "cervical")):
        cfg = load_config(overrides={"anatomy": name, "onset.segment": onset})
        assert cfg.anatomy.long_range == (("bulbar", "lumbosacral"),)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ()),
        ("[]", ()),
        ('[["bulbar", "lumbosacral"]]', (("bulbar", "lumbosacral"),)),
        (
            '[["bulbar", "lumbosacral"], ["lumbosacral", "bulbar"], ["cervical", "lumbosacral"]]',
            (("bulbar", "lumbosacral"), ("lumbosacral", "bulbar"), ("cervical", "lumbosacral")),
        ),
    ],
)
def test_anatomy_accepts_long_range_declarations(tmp_path, value, expected):
    _anat, f = _anatomy_with_long_range(tmp_path, value)
    cfg = load_config(f)
    assert cfg.anatomy.long_range == expected
    again = alssim.anatomy.Anatomy.from_dict(cfg.anatomy.to_dict())
    assert again == cfg.anatomy


@pytest.mark.parametrize(
    ("value", "fragments"),
    [
        ('[["bulbar", "lumbar"]]',
         ["anatomy.long_range[0][1]", "'lumbar'", "'lumbosacral'", "'cervical'"]),
        ('[["bulbar", "lumbosacral"], ["bulbr", "lumbosacral"]]',
         ["anatomy.long_range[1][0]", "'bulbr'", "did you mean 'bulbar'"]),
        ('"bulbar"', ["anatomy.long_range", "list of [source, target] pairs", "'bulbar'"]),
        ('[["bulbar"]]', ["anatomy.long_range[0]", "pair [source, target]", "['bulbar']"]),
        ('[["bulbar", 3]]', ["anatomy.long_range[0][1]", "string", "3"]),
        ('[["bulbar", "bulbar"]]', ["anatomy.long_range[0]", "two different segments"]),
        ('[["bulbar", "cervical"]]',
         ["anatomy.long_range[0]", "not neighbours in cortical_order", "['bulbar', 'cervical']"]),
        ('[["bulbar", "lumbosacral"], ["bulbar", "lumbosacral"]]',
         ["anatomy.long_range[1]", "twice"]),
    ],
)
def test_anatomy_refuses_bad_long_range_declarations(tmp_path, value, fragments):
    anat, f = _anatomy_with_long_range(tmp_path, value)
    with pytest.raises(alssim.ConfigError) as info:
        load_config(f)
    msg = str(info.value)
    assert str(anat) in msg
    for frag in fragments:
        assert frag in msg, (frag, msg)


def test_long_range_rate_is_a_spread_edge_rate():
    cfg = load_config(overrides={"spread.long_range_rate": 0.02})
    assert cfg.spread.edge_rates()["long_range"] == 0.02
    assert set(cfg.spread.edge_rates()) == set(alssim.anatomy.EDGE_KINDS)
    with pytest.raises(alssim.ConfigError, match=r"spread\.long_range_rate"):
        load_config(overrides={"spread.long_range_rate": -0.1})


def test_unknown_override_names_nearest_key():
    with pytest.raises(alssim.ConfigError, match=r"did you mean 'spread.rostral_rate'"):
        load_config(overrides={"spread.rostal_rate": 0.1})
    with pytest.raises(alssim.ConfigError, match="overrides"):
        load_config(overrides={"spread.rostral_rate": -1})


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(alssim.ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(alssim.ConfigError, match="directory"):
        load_config(tmp_path)


def test_config_check_cli_exit_codes(tmp_path):
    good = configs_dir() / "default.toml"
    bad = tmp_path / "bad.toml"
    bad.write_text("[spread]\ncaudal_rate = -1\n")
    run = [sys.executable, "-m", "alssim.cli.main", "config", "check"]
    ok = subprocess.run([*run, str(good)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    fail = subprocess.run([*run, str(bad)], capture_output=True, text=True)
    assert fail.returncode == 1
    assert "spread.caudal_rate" in fail.stderr and "Traceback" not in fail.stderr
    assert len(fail.stderr.strip().splitlines()) == 1
    show = subprocess.run(
        [
            sys.executable,
            "-m",
            "alssim.cli.main",
            "config",
            "show",
            str(good),
            "--set",
            "onset.side=left",
        ],
        capture_output=True,
        text=True,
    )
    assert show.returncode == 0
    assert tomllib.loads(show.stdout)["onset"]["side"] == "left"
