"""Result tables, save/load, and the `alssim run` command."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import alssim
from alssim.config.loader import configs_dir
from alssim.results import VARIABLES

CLI = [sys.executable, "-m", "alssim.cli.main"]
SMALL_SET = [
    "--set",
    "simulation.scale=0.005",
    "--set",
    "simulation.horizon_years=3",
    "--set",
    "simulation.dt_days=7",
    "--set",
    "simulation.output_interval_days=28",
]


def test_to_dataframe_is_tidy(small_result):
    df = small_result.to_dataframe()
    assert list(df.columns)[:6] == [
        "time_months",
        "segment",
        "side",
        "population",
        "variable",
        "value",
    ]
    assert set(VARIABLES) <= set(df["variable"].cat.categories)
    t, p = small_result["alive"].shape
    alive = df[df["variable"] == "alive"]
    assert len(alive) == t * p
    lmn_only = df[df["variable"] == "unit_size_alive"]
    assert set(lmn_only["population"]) == {"lmn"}
    row = alive[
        (alive.segment == "cervical_lower") & (alive.side == "right") & (alive.population == "lmn")
    ]
    # the patient's neurons until the record of death; after it the patient is dead (NaN)
    expected = small_result.select("alive", "lmn", "cervical_lower", "right").astype(float)
    expected[small_result.clinical.after_death] = np.nan
    assert np.array_equal(row["value"].to_numpy(), expected, equal_nan=True)


def test_result_arrays_are_read_only(small_result):
    with pytest.raises(ValueError):
        small_result["alive"][0, 0] = 0


def test_summary_is_json_ready(small_result):
    s = small_result.summary
    text = json.dumps(s, allow_nan=False)
    assert json.loads(text)["onset"]["segment"] == "cervical_lower"
    assert s["n_neurons"] == int(small_result.counts.sum())


def test_save_load_round_trip(small_result, tmp_path):
    small_result.save(tmp_path / "r")
    back = alssim.load(tmp_path / "r")
    assert back.config == small_result.config
    assert back.onset == small_result.onset and back.seed == small_result.seed
    for k in small_result.variables:
        assert np.array_equal(back[k], small_result[k])
    with pytest.raises(FileExistsError):
        small_result.save(tmp_path / "r")


def test_load_rejects_edited_or_foreign_files(small_result, tmp_path):
    d = tmp_path / "r"
    small_result.save(d)
    npz = d / "result.npz"
    npz.write_bytes(npz.read_bytes()[:-10])
    with pytest.raises(alssim.ResultFormatError, match="checksum"):
        alssim.load(d)
    with pytest.raises(alssim.ResultFormatError, match=r"no result\.json"):
        alssim.load(tmp_path)
    (tmp_path / "result.json").write_text('{"format": "something else"}')
    with pytest.raises(alssim.ResultFormatError, match="not an alssim result"):
        alssim.load(tmp_path)


@pytest.mark.slow
def test_cli_run_writes_outputs(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run(
        [
            *CLI,
            "run",
            str(configs_dir() / "default.toml"),
            *SMALL_SET,
            "--seed",
            "4",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    ts = pd.read_csv(out / "timeseries.csv")
    assert list(ts.columns) == ["time_months", "segment", "side", "population", "variable", "value"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 4 and summary["onset"]["side"] == "right"
    cfg = alssim.load_config(out / "config.toml")
    assert cfg.simulation.scale == 0.005
    # the same run in Python gives the same numbers
    res = alssim.simulate(cfg, seed=4)
    alive = ts[ts.variable == "alive"]["value"].to_numpy()
    assert np.array_equal(alive, res["alive"].ravel().astype(float))


@pytest.mark.slow
def test_cli_is_reproducible_byte_for_byte(tmp_path):
    outs = []
    for name in ("a", "b"):
        out = tmp_path / name
        subprocess.run(
            [*CLI, "run", str(configs_dir() / "default.toml"), *SMALL_SET, "--out", str(out)],
            check=True,
            capture_output=True,
        )
        outs.append(out)
    for f in ("timeseries.csv", "summary.json", "config.toml"):
        assert (outs[0] / f).read_bytes() == (outs[1] / f).read_bytes()


@pytest.mark.slow
def test_cli_refuses_to_overwrite_and_leaves_folder_untouched(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("precious")
    proc = subprocess.run(
        [*CLI, "run", str(configs_dir() / "default.toml"), *SMALL_SET, "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert "--force" in proc.stderr and "Traceback" not in proc.stderr
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "precious"
    forced = subprocess.run(
        [
            *CLI,
            "run",
            str(configs_dir() / "default.toml"),
            *SMALL_SET,
            "--out",
            str(out),
            "--force",
        ],
        capture_output=True,
        text=True,
    )
    assert forced.returncode == 0 and (out / "summary.json").exists()


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["run", "missing.toml"], 1, "file not found"),
        (["run", "{default}", "--set", "spread.caudal_rat=1"], 1, "spread.caudal_rate"),
        (["run", "{default}", "--set", "nonsense"], 1, "KEY=VALUE"),
        (["run", "{default}", "--seed", "-3"], 1, "--seed"),
        (["frobnicate"], 2, "invalid choice"),
        (["run"], 2, "CONFIG"),
    ],
)
@pytest.mark.slow
def test_cli_errors_are_one_line(tmp_path, args, code, fragment):
    args = [a.replace("{default}", str(configs_dir() / "default.toml")) for a in args]
    proc = subprocess.run(
        [*CLI, *args, "--out", str(tmp_path / "o")]
        if args[0] == "run" and len(args) > 1
        else [*CLI, *args],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == code
    lines = proc.stderr.strip().splitlines()
    assert fragment.lower() in proc.stderr.lower()
    assert "Traceback" not in proc.stderr
    if code == 1:
        assert len(lines) == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_every_command_has_help_with_an_example():
    from alssim.cli.main import SUBCOMMANDS

    top = subprocess.run([*CLI, "--help"], capture_output=True, text=True)
    assert top.returncode == 0
    for name in SUBCOMMANDS:
        cmd = name.removesuffix("_cmd")
        proc = subprocess.run([*CLI, cmd, "--help"], capture_output=True, text=True)
        assert proc.returncode == 0, cmd
        assert "example" in proc.stdout.lower(), cmd


@pytest.mark.slow
def test_kill_during_run_leaves_no_partial_output(tmp_path):
    """kill -9 at several moments of `alssim run --out`: either no folder or a complete one."""
    import signal
    import time

    args = [*CLI, "run", str(configs_dir() / "default.toml"), "--set", "simulation.scale=0.2"]
    delays = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    outcomes = set()
    for i, delay in enumerate(delays):
        out = tmp_path / f"out{i}"
        proc = subprocess.Popen([*args, "--out", str(out)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        visible = {p.name for p in out.iterdir() if not p.name.startswith(".")} \
            if out.exists() else set()
        if visible:
            assert {"timeseries.csv", "summary.json", "config.toml", "result.json",
                    "result.npz"} <= visible
            alssim.load(out)
            json.loads((out / "summary.json").read_text())
            outcomes.add("complete")
        else:
            # only alssim's hidden lock, manifest and staging folder; the next run cleans them
            outcomes.add("absent")
            rerun = subprocess.run([*args, "--set", "simulation.scale=0.01", "--out", str(out)],
                                   capture_output=True, text=True)
            assert rerun.returncode == 0, rerun.stderr
            assert not [p for p in out.iterdir() if p.name.startswith(".alssim-partial-")]
            assert not (out / ".alssim.lock").exists()
            alssim.load(out)
        for p in tmp_path.iterdir():
            assert p.name.startswith("out")
    assert outcomes  # at least one run was interrupted or finished


def test_results_saved_before_new_config_tables_still_load(small_result, tmp_path):
    import tomllib

    import tomli_w

    d = tmp_path / "old"
    small_result.save(d)
    meta = json.loads((d / "result.json").read_text())
    cfg = tomllib.loads(meta["config_toml"])
    for table in ("teaching", "cohort", "interventions"):
        cfg.pop(table, None)  # as written by an older alssim
    meta["config_toml"] = tomli_w.dumps(cfg)
    del meta["meta_sha256"]  # older alssim wrote no checksum of result.json itself
    (d / "result.json").write_text(json.dumps(meta))
    with pytest.warns(UserWarning, match="older alssim"):
        back = alssim.load(d)
    assert back.config.spread == small_result.config.spread
    assert np.array_equal(back["alive"], small_result["alive"])
