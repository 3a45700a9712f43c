"""Config layer: defaults, layering, overrides, and a clear ConfigError for every bad input."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import tomllib

import numpy as np
import pytest

import alssim
from alssim.config.loader import configs_dir, load_config, parse_override
from alssim.config.schema import Config
from alssim.fields import ParamSpec, field_specs


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
    # (relative strength calibrated on the default anatomy, 1 on the four-region one)
    for name, onset, weight in (("default", "cervical_lower", 0.9),
                                ("four_regions", "cervical", 1.0)):
        cfg = load_config(overrides={"anatomy": name, "onset.segment": onset})
        assert cfg.anatomy.long_range[0] == ("bulbar", "lumbosacral")
        assert cfg.anatomy.long_range_weight(0) == weight
    # the default anatomy also joins hand and leg of one side, both ways (interlimb)
    default = load_config().anatomy
    assert default.long_range[1:] == (("cervical_lower", "lumbosacral"),
                                      ("lumbosacral", "cervical_lower"))


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


@pytest.mark.slow
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


# ----------------------------------------------------------------------------- not a config file
_REFUSE_SCRIPT = r"""
import contextlib, io, json, resource, signal, sys
resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))  # a regression fails, fast
def alarm(*_):
    raise TimeoutError("blocked")
signal.signal(signal.SIGALRM, alarm)
import alssim
from alssim.cli.main import main
from alssim.sweeps import load_sweep_spec
from alssim.trials import load_trial
out = {}
for case, path in json.loads(sys.argv[1]).items():
    got = {}
    for how in ("load_config", "cli", "sweep", "trial"):
        signal.alarm(5)
        err = io.StringIO()
        try:
            if how == "load_config":
                alssim.load_config(path)
            elif how == "cli":
                with contextlib.redirect_stderr(err):
                    rc = main(["config", "check", path])
                got[how] = [rc, err.getvalue()]
                continue
            elif how == "sweep":
                spec = sys.argv[2] + "." + case + ".toml"
                open(spec, "w").write(f"config = {json.dumps(path)}\n[parameters]\n"
                                      "'spread.caudal_rate' = [0.01]\n")
                load_sweep_spec(spec).load_config()
            else:
                spec = sys.argv[2] + "." + case + ".trial.toml"
                text = open(sys.argv[3]).read().replace('config = ""',
                                                        f"config = {json.dumps(path)}")
                open(spec, "w").write(text)
                load_trial(spec).model_config()
            got[how] = ["accepted"]
        except alssim.ConfigError as exc:
            got[how] = ["ConfigError", str(exc)]
        except BaseException as exc:
            got[how] = [type(exc).__name__, str(exc)[:200]]
        finally:
            signal.alarm(0)
    out[case] = got
print(json.dumps(out))
"""


@pytest.mark.slow
def test_non_regular_and_oversized_files_are_refused_at_once(tmp_path):
    """/dev/zero, /dev/urandom, a FIFO and a 3 GB (sparse) file, given to `config check` or as
    the `config =` of a sweep or trial spec: one ConfigError naming the file, nothing read."""
    import json
    import os
    import time

    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    huge = tmp_path / "huge.toml"
    with open(huge, "wb") as fh:
        fh.truncate(3 * 1024**3)  # sparse: no disk space used
    cases = {"zero": "/dev/zero", "urandom": "/dev/urandom", "fifo": str(fifo),
             "huge": str(huge)}
    trial = configs_dir() / "trials" / "riluzole.toml"
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _REFUSE_SCRIPT, json.dumps(cases),
                           str(tmp_path / "spec"), str(trial)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert time.monotonic() - t0 < 60
    got = json.loads(proc.stdout)
    kinds = {"zero": "character device", "urandom": "character device", "fifo": "FIFO",
             "huge": "3,221,225,472 bytes"}
    for case, path in cases.items():
        for how in ("load_config", "sweep", "trial"):
            kind, *msg = got[case][how]
            assert kind == "ConfigError", (case, how, got[case][how])
            assert path in msg[0] and kinds[case] in msg[0], (case, how, msg)
        rc, err = got[case]["cli"]
        assert rc == 1 and len(err.strip().splitlines()) == 1, (case, err)
        assert path in err and kinds[case] in err and "Traceback" not in err, (case, err)


def test_config_size_limit_is_a_named_constant(tmp_path):
    from alssim.config.loader import MAX_CONFIG_BYTES

    assert MAX_CONFIG_BYTES == 1024 * 1024
    f = tmp_path / "big.toml"
    f.write_text("# " + "x" * MAX_CONFIG_BYTES + "\n")
    with pytest.raises(alssim.ConfigError, match=r"at most 1,024 KiB") as info:
        load_config(f)
    assert str(f) in str(info.value)
    ok = tmp_path / "ok.toml"  # just under the limit is read
    ok.write_text("# " + "x" * (MAX_CONFIG_BYTES - 100) + "\n[spread]\ncaudal_rate = 0.01\n")
    assert load_config(ok).spread.caudal_rate == 0.01


# ----------------------------------------------------------------------------- one-line errors
def test_huge_integer_is_a_config_error_naming_key_and_value(tmp_path, capsys):
    from alssim.cli.main import main

    f = tmp_path / "big.toml"
    f.write_text(f"[spread]\ncaudal_rate = {10**400}\n")
    with pytest.raises(alssim.ConfigError) as info:
        load_config(f)
    msg = str(info.value)
    assert str(f) in msg and "'spread.caudal_rate'" in msg and "[0, 100]" in msg
    assert "1e+400" in msg and len(msg) < 300
    assert main(["config", "check", str(f)]) == 1
    err = capsys.readouterr().err
    assert "spread.caudal_rate" in err and "internal error" not in err
    for key in ("simulation.seed", "clinical.respiratory.gastrostomy_swallowing_item",
                "spread.caudal_rate"):
        for value in (10**400, -(10**400), 2**64, 10**5000):
            with pytest.raises(alssim.ConfigError, match=re.escape(f"'{key}'")):
                load_config(overrides={key: value})
    g = tmp_path / "digits.toml"  # more digits than Python converts: still one clear line
    g.write_text(f"[spread]\ncaudal_rate = 1{'0' * 5000}\n")
    with pytest.raises(alssim.ConfigError, match="invalid TOML") as info:
        load_config(g)
    assert str(g) in str(info.value)


def _nested(depth: int, inner=None):
    value = [] if inner is None else inner
    for _ in range(depth):
        value = [value]
    return value


def test_deep_nesting_is_a_config_error(tmp_path, capsys):
    from alssim.cli.main import main
    from alssim.config.loader import MAX_NESTING

    f = tmp_path / "deep.toml"
    f.write_text("[spread]\ncaudal_rate = " + "[" * 500 + "]" * 500 + "\n")
    with pytest.raises(alssim.ConfigError, match="nested too deeply") as info:
        load_config(f)
    assert str(f) in str(info.value)
    assert main(["config", "check", str(f)]) == 1
    assert "RecursionError" not in capsys.readouterr().err
    g = tmp_path / "inline.toml"
    g.write_text("[spread]\ncaudal_rate = " + "{a = " * 400 + "1" + "}" * 400 + "\n")
    with pytest.raises(alssim.ConfigError) as info:
        load_config(g)
    assert str(g) in str(info.value)
    h = tmp_path / "forty.toml"  # parses, but deeper than any key needs
    h.write_text("anatomy = " + "[" * 40 + "]" * 40 + "\n")
    with pytest.raises(alssim.ConfigError, match=f"more than {MAX_NESTING} levels"):
        load_config(h)
    for value in (_nested(5000), _nested(100), {"a": _nested(3000)}):
        with pytest.raises(alssim.ConfigError, match="nested"):
            load_config(overrides={"spread.caudal_rate": value})
    with pytest.raises(alssim.ConfigError, match="nested too deeply"):
        parse_override("spread.caudal_rate=" + "[" * 2000 + "]" * 2000)


@pytest.mark.slow
def test_error_messages_cut_long_values_and_escape_control_characters(tmp_path, capsys):
    from alssim.cli.main import main
    from alssim.errors import MAX_SHOWN_CHARS, ConfigError, escape_text, show_value

    long = "x" * 5_000_000
    for key in ("onset.segment", "simulation.engine", "spread.caudal_rate", "simulation.seed",
                "clinical.strength.mrc_thresholds"):
        with pytest.raises(alssim.ConfigError) as info:
            load_config(overrides={key: long if "thresholds" not in key else [long, 3]})
        msg = str(info.value)
        assert len(msg) < 600, (key, len(msg))
        assert "5,000,000 characters" in msg, (key, msg)
    nasty = "a\x00b\u202ec\u2066d\x1b[31m\n"
    for key, value in (("onset.segment", nasty), ("simulation.engine", nasty),
                       (f"spread.{nasty}", 1.0)):
        with pytest.raises(alssim.ConfigError) as info:
            load_config(overrides={key: value})
        msg = str(info.value)
        assert msg.isprintable(), repr(msg)
        assert "\\x00" in msg and "\\u202e" in msg and "\\x1b" in msg
    for text, shown in (('[onset]\nsegment = "a\\u0000b\\u202Ec"\n', "'a\\x00b\\u202ec'"),
                        ('[onset]\n"x\\u0000\\u202Ey" = 1\n', "'onset.x\\x00\\u202ey'")):
        f = tmp_path / "ctrl.toml"
        f.write_text(text)
        assert main(["config", "check", str(f)]) == 1
        err = capsys.readouterr().err
        assert err.rstrip("\n").isprintable() and shown in err, err
    big = tmp_path / "long.toml"  # under the size limit, still cut in the message
    big.write_text(f'[onset]\nsegment = "{"y" * 900_000}"\n')
    assert main(["config", "check", str(big)]) == 1
    err = capsys.readouterr().err
    assert len(err) < 600 and "900,000 characters" in err
    # the helpers themselves
    assert show_value("abc") == "'abc'"
    assert show_value(0.25) == "0.25"
    assert len(show_value("z" * 10_000)) < MAX_SHOWN_CHARS + 40
    assert show_value(10**400).startswith("1e+400")
    assert "nested too deeply" in show_value(_nested(100_000))
    assert escape_text("a\u202eb") == "a\\u202eb"
    assert ConfigError("m", key="k\x00", source="f\u202e").args[0] == "f\\u202e: 'k\\x00': m"
    assert len(str(ConfigError("v" * 100_000))) < 2200  # a message built elsewhere is cut


def test_seed_beyond_simulation_seed_bound_is_refused(tmp_path, capsys, monkeypatch):
    """--seed goes through the bound of simulation.seed for every command, before any work."""
    import importlib

    from alssim.cli.main import main
    from alssim.config import check_seed

    mod = importlib.import_module

    class WorkStarted(Exception):
        pass

    def refuse(*args, **kwargs):
        raise WorkStarted("the command started work with an out-of-range seed")

    for owner, name in ((alssim, "load_config"), (alssim, "run_trial"),
                        (mod("alssim.cli.demo"), "run_demo"),
                        (mod("alssim.validation"), "run_validation"),
                        (mod("alssim.validation"), "load_targets"),
                        (mod("alssim.sweeps"), "load_sweep_spec"),
                        (mod("alssim.outdir"), "OutputFolder")):
        monkeypatch.setattr(owner, name, refuse)
    cfg = str(configs_dir() / "default.toml")
    big = "99999999999999999999999"
    out = str(tmp_path / "out")
    commands = [["run", cfg], ["cohort", cfg, "--n", "2"],
                ["sweep", str(configs_dir() / "sweeps" / "example.toml")],
                ["trial", str(configs_dir() / "trials" / "riluzole.toml")], ["demo"],
                ["validate"]]
    for cmd in commands:
        for seed in (big, str(2**63), "-1"):
            assert main([*cmd, "--seed", seed, "--out", out]) == 1, cmd
            err = capsys.readouterr().err
            assert "--seed" in err and "[0, 9223372036854775807]" in err, (cmd, err)
            assert "WorkStarted" not in err and "internal error" not in err, (cmd, err)
    assert not (tmp_path / "out").exists()
    assert check_seed(None) is None and check_seed(2**63 - 1) == 2**63 - 1
    with pytest.raises(alssim.ConfigError, match=r"\[0, 9223372036854775807\]"):
        check_seed(2**63)


# ----------------------------------------------------------------------------- time grid
def test_horizon_of_exactly_one_week_is_one_step():
    week = {"simulation.horizon_years": 7 / 365.25, "simulation.dt_days": 7.0,
            "simulation.output_interval_days": 7.0}
    cfg = load_config(overrides=week)
    assert cfg.simulation.n_steps == 1 and cfg.simulation.n_records == 2
    daily = load_config(overrides={**week, "simulation.dt_days": 1.0})
    assert daily.simulation.n_steps == 7
    with pytest.raises(alssim.ConfigError, match="at least one step"):
        load_config(overrides={**week, "simulation.horizon_years": 6.9 / 365.25})


@pytest.mark.parametrize(("horizon_days", "interval_days", "want_days"), [
    (18, 30, [0, 18]),  # shorter than one output interval
    (70, 30, [0, 30, 60, 70]),  # not a whole number of intervals
    (60, 30, [0, 30, 60]),  # a whole number: unchanged
    (1, 30, [0, 1]),
])
def test_final_state_is_always_recorded(horizon_days, interval_days, want_days):
    cfg = load_config(overrides={"simulation.horizon_years": horizon_days / 365.25,
                                 "simulation.dt_days": 1.0,
                                 "simulation.output_interval_days": float(interval_days),
                                 "simulation.scale": 0.002})
    sim = cfg.simulation
    assert sim.record_steps.tolist() == want_days
    assert sim.n_records == len(want_days)
    res = alssim.simulate(cfg, seed=3)
    assert res.times_months == pytest.approx([d * sim.dt_months for d in want_days])
    assert res["alive"].shape[0] == len(want_days)
    assert np.all(res["dead"][-1] >= res["dead"][-2])
    assert res.summary["horizon_months"] == pytest.approx(sim.n_steps * sim.dt_months, abs=1e-6)


def test_unit_of_reads_each_parameter_unit_from_its_declaration():
    from alssim.config.schema import unit_of

    assert unit_of("spread.caudal_rate") == "1/month"
    assert unit_of("simulation.dt_days") == "day"
    assert unit_of("clinical.respiratory.fvc_healthy_sd") == "% predicted"
    assert unit_of("cohort.genotypes.sod1_a4v.speed") == "1"   # a nested table's field
    # tables, the anatomy and keys that are no parameter have no unit
    for key in ("spread", "cohort.genotypes", "anatomy", "spread.nope", "nope.x"):
        assert unit_of(key) is None, key


def test_sweep_axis_labels_take_the_unit_the_schema_declares():
    from alssim.analysis.sweeps import _unit_of

    assert _unit_of("clinical.respiratory.fvc_healthy_sd") == "% predicted"
    assert _unit_of("simulation.dt_days") == "day"
    assert _unit_of("cohort.speed_sigma") == ""                 # a ratio: no unit shown
    assert _unit_of("my_own_rate") == "1/month"                 # outside the schema: guessed


def test_a_declared_field_may_be_optional_or_have_a_default():
    from alssim.fields import build, param, section

    @section
    class Table:
        size: int = param("", "a required count", low=1)
        seed: int | None = param("", "optional", low=0, default=None)
        mode: str = param("", "a choice", choices=("a", "b"), default="a")

    assert build(Table, {"size": 2}) == Table(2, None, "a")
    assert build(Table, {"size": 2, "seed": 5, "mode": "b"}) == Table(2, 5, "b")
    with pytest.raises(alssim.ConfigError, match="missing required key"):
        build(Table, {"seed": 5})
    with pytest.raises(alssim.ConfigError, match="must be an integer") as err:
        build(Table, {"size": 2, "seed": "5"}, prefix="t", source="f.toml")
    assert err.value.key == "t.seed"
