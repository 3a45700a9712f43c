"""Sweeps: designs, tidy tables, bad specs, kill -9 and resume, sensitivity indices, CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import alssim
from alssim.batch import derive_seed, table_to_csv
from alssim.cli.main import main
from alssim.sweeps import load_runs, load_sweep_spec, make_design
from tests.conftest import SMALL, small_config

ROOT = Path(__file__).resolve().parents[1]
OUT = ["onset.site", "loss_months.lmn:cervical_lower:*"]


@pytest.fixture(scope="module")
def cfg():
    return small_config()


def test_grid_table_is_tidy_with_common_random_numbers(cfg):
    design = {"spread.caudal_rate": [0.005, 0.02], "mechanisms.excitotoxicity.enabled":
              [True, False], "simulation.seed": [3]}
    t = alssim.sweep(cfg, design, replicates=2, seed=7, executor="serial", progress=False,
                     outputs=OUT).runs
    assert list(t.columns[:7]) == ["run_id", "point", "replicate", "seed", "spread.caudal_rate",
                                   "mechanisms.excitotoxicity.enabled", "simulation.seed"]
    assert len(t) == 8 and list(t["run_id"]) == list(range(8))
    assert list(t["point"]) == [0, 0, 1, 1, 2, 2, 3, 3]
    assert list(t["seed"]) == [derive_seed(7, r) for r in (0, 1)] * 4
    assert t["mechanisms.excitotoxicity.enabled"].dtype == bool
    assert {c for c in t.columns[7:]} == {"onset.site", *[
        f"loss_months.lmn:cervical_lower:{s}.lost_{k}" for s in ("left", "right")
        for k in (10, 50)]}
    # common random numbers: each point's replicate r runs with the same seed, so a change that
    # is neutral at this onset gives identical rows
    own = alssim.sweep(cfg, design, replicates=2, seed=7, executor="serial", progress=False,
                       outputs=OUT, common_random_numbers=False).runs
    assert len(set(own["seed"])) == 8
    # the row of a point equals a single run with that point's config and seed
    row = t.iloc[5]
    res = alssim.simulate(cfg.with_overrides({"spread.caudal_rate": 0.02,
                                              "mechanisms.excitotoxicity.enabled": True,
                                              "simulation.seed": 3}), seed=int(row["seed"]))
    assert row["loss_months.lmn:cervical_lower:left.lost_50"] == \
        res.summary["loss_months"]["lmn:cervical_lower:left"]["lost_50"]


@pytest.mark.parametrize("method", ["random", "lhs", "sobol_sequence", "sobol", "morris"])
def test_sampled_designs_stay_in_range_and_are_reproducible(cfg, method):
    design = {"spread.contralateral_rate": {"low": 0.01, "high": 0.1, "scale": "log"},
              "neurons.vulnerability_sigma": (0.2, 0.8),
              "simulation.seed": {"low": 1, "high": 6}}
    pts, meta = make_design(cfg, design, method, 8, seed=3)
    again, _ = make_design(cfg, design, method, 8, seed=3)
    other, _ = make_design(cfg, design, method, 8, seed=4)
    assert pts == again and pts != other
    n_expected = {"sobol": 8 * (3 + 2), "morris": 8 * (3 + 1)}.get(method, 8)
    assert len(pts) == n_expected == len(meta["transformed"])
    x = np.array([p["spread.contralateral_rate"] for p in pts])
    assert ((x >= 0.01) & (x <= 0.1)).all()
    assert all(isinstance(p["simulation.seed"], int) and 1 <= p["simulation.seed"] <= 6
               for p in pts)
    if method == "lhs":  # one point in each of the n strata of every (transformed) axis
        xt = np.asarray(meta["transformed"])
        for j, axis in enumerate(meta["axes"]):
            lo, hi = axis["low"], axis["high"]
            if axis["scale"] == "log":
                lo, hi = np.log(lo), np.log(hi)
            strata = np.floor((xt[:, j] - lo) / (hi - lo) * 8).astype(int)
            assert sorted(strata) == list(range(8))


BAD = [
    ({"spread.contralateral_rat": [0.1]}, "grid", None, "spread.contralateral_rat",
     "did you mean 'spread.contralateral_rate'"),
    ({"spread": [0.1]}, "grid", None, "spread", "unknown config key"),
    ({"spread.caudal_rate": []}, "grid", None, "spread.caudal_rate", "empty list"),
    ({"spread.caudal_rate": {"low": 0.2, "high": 0.1}}, "lhs", 4, "spread.caudal_rate",
     "empty range"),
    ({"spread.caudal_rate": {"low": 0.1, "high": 0.1}}, "lhs", 4, "spread.caudal_rate",
     "empty range"),
    ({"spread.caudal_rate": ["fast"]}, "grid", None, "spread.caudal_rate", "must be a number"),
    ({"spread.caudal_rate": [-1.0]}, "grid", None, "spread.caudal_rate", "got -1"),
    ({"onset.segment": {"low": 0, "high": 1}}, "lhs", 4, "onset.segment", "not numeric"),
    ({"spread.caudal_rate": {"low": "a", "high": 1}}, "lhs", 4, "spread.caudal_rate",
     "finite numbers"),
    ({"spread.caudal_rate": {"low": 0.0, "high": 1, "scale": "log"}}, "lhs", 4,
     "spread.caudal_rate", "low > 0"),
    ({"spread.caudal_rate": {"low": 0.01, "high": 0.1}}, "grid", None, "spread.caudal_rate",
     "needs a list"),
    ({"spread.caudal_rate": [0.01, 0.1]}, "lhs", 4, "spread.caudal_rate", "ranges"),
    ({"spread.caudal_rate": {"low": 0.01, "high": 0.1}}, "lhs", None, "samples",
     "positive integer"),
    ({"spread.caudal_rate": [0.01]}, "latin", None, "method", "one of"),
    ({"onset.segment": ["elbow"]}, "grid", None, "onset.segment", "must be a segment"),
]


@pytest.mark.parametrize(("design", "method", "n", "key", "text"), BAD)
def test_bad_designs_name_the_key(cfg, design, method, n, key, text):
    with pytest.raises(alssim.ConfigError) as e:
        alssim.sweep(cfg, design, method=method, n=n, executor="serial", progress=False)
    assert e.value.key == key
    assert text in str(e.value)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_spec_files_name_the_key(tmp_path):
    good = '[parameters]\n"spread.caudal_rate" = [0.01]\n'
    cases = [
        ('replicate = 2\n' + good, "replicate", "did you mean 'replicates'"),
        ('replicates = "2"\n' + good, "replicates", "integer"),
        ('replicates = 0\n' + good, "replicates", "integer number in [1, inf)"),
        ('method = "sobo"\n' + good, "method", "did you mean 'sobol'"),
        ('seed = -1\n' + good, "seed", "in [0, "),
        ('outputs = []\n' + good, "outputs", "at least one"),
        ('heterogeneity = 1\n' + good, "heterogeneity", "true or false"),
        ('method = "grid"\n', "parameters", "missing table"),
        ('[parameters.spread]\ncaudal_rat = [0.1]\n', "spread.caudal_rat",
         "did you mean 'spread.caudal_rate'"),
    ]
    for i, (text, key, msg) in enumerate(cases):
        path = _write(tmp_path / f"s{i}.toml", text)
        with pytest.raises(alssim.ConfigError) as e:
            spec = load_sweep_spec(path)
            cfg = spec.load_config()
            alssim.sweep(cfg, spec.parameters, spec.replicates, method=spec.method,
                         n=spec.samples, executor="serial", progress=False, source=str(path))
        assert e.value.key == key, text
        assert msg in str(e.value) and str(path) in str(e.value), text
    # on the command line: one line, exit code 1
    assert main(["sweep", str(tmp_path / "s0.toml"), "--out", str(tmp_path / "o")]) == 1


def test_shipped_sweep_spec_is_valid():
    spec = load_sweep_spec(ROOT / "configs" / "sweeps" / "example.toml")
    cfg = spec.load_config()
    pts, meta = make_design(cfg, spec.parameters, spec.method, spec.samples, spec.seed or 0)
    assert len(pts) == spec.samples and meta["method"] == "lhs"
    for method in ("sobol", "morris"):  # the CLI's --method works on it
        make_design(cfg, spec.parameters, method, 2, 0)


KILL_SPEC = """
method = "grid"
replicates = 6
seed = 5
outputs = ["onset.*", "loss_months.lmn:*", "order_of_involvement"]
[set]
{sets}
[parameters]
"spread.caudal_rate" = [0.004, 0.008, 0.012, 0.016, 0.02, 0.024, 0.028, 0.032]
"""


@pytest.mark.slow
def test_killed_sweep_resumes_to_the_uninterrupted_table(tmp_path):
    sets = "\n".join(f'"{k}" = {v}' for k, v in {**SMALL, "simulation.scale": 0.02}.items())
    spec = _write(tmp_path / "kill.toml", KILL_SPEC.format(sets=sets))
    n_runs = 48
    # uninterrupted, in this process
    assert main(["sweep", str(spec), "--out", str(tmp_path / "whole"), "--workers", "1",
                 "--quiet"]) == 0
    whole = (tmp_path / "whole" / "runs.csv").read_bytes()
    # interrupted: a CLI process (and its 2 workers) killed with SIGKILL mid-way
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "alssim.cli.main", "sweep", str(spec), "--out", str(out),
           "--workers", "2", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        done = len(list((out / "runs").rglob("[0-9]*.json"))) if (out / "runs").is_dir() else 0
        if done >= 5:
            break
        time.sleep(0.005)
    assert proc.poll() is None, proc.stderr.read().decode()
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    survived = len(list((out / "runs").rglob("[0-9]*.json")))
    assert 5 <= survived < n_runs
    assert not (out / "runs.csv").exists()
    # resume: the same command finishes the rest, and the table is byte-identical
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "2", "--quiet"]) == 0
    assert (out / "runs.csv").read_bytes() == whole
    table = load_runs(out / "runs.csv")
    assert len(table) == n_runs and table["run_id"].is_monotonic_increasing


def test_sensitivity_indices_recover_a_known_function(cfg):
    """Sobol' and Morris wiring checked on y = 4 x1 + 0.2 x2 (x3 inert), no simulation."""
    from alssim.sensitivity import analyze

    design = {"spread.caudal_rate": (0.0, 1.0), "spread.rostral_rate": (0.0, 1.0),
              "spread.callosal_rate": (0.0, 1.0)}
    for method, n in (("sobol", 256), ("morris", 20)):
        pts, meta = make_design(cfg, design, method, n, seed=1)
        x = np.array([[p[k] for k in design] for p in pts])
        table = pd.DataFrame({"run_id": range(len(pts)), "point": range(len(pts)),
                              "replicate": 0, "seed": 0,
                              **{k: x[:, j] for j, k in enumerate(design)},
                              "y": 4 * x[:, 0] + 0.2 * x[:, 1]})
        res = analyze(table, ["y"], meta=meta).set_index("parameter")
        if method == "sobol":
            assert res.loc["spread.caudal_rate", "ST"] > 0.9
            assert abs(res.loc["spread.callosal_rate", "ST"]) < 0.05
        else:
            assert res.loc["spread.caudal_rate", "mu_star"] == pytest.approx(4, rel=1e-6)
            assert res.loc["spread.rostral_rate", "mu_star"] == pytest.approx(0.2, rel=1e-6)
            assert res.loc["spread.callosal_rate", "mu_star"] == pytest.approx(0, abs=1e-9)


def test_cli_morris_writes_sensitivity_table(tmp_path, capsys):
    sets = "\n".join(f'"{k}" = {v}' for k, v in SMALL.items())
    spec = _write(tmp_path / "m.toml", f"""
method = "morris"
samples = 2
seed = 2
outputs = ["loss_months.lmn:cervical_lower:*"]
[set]
{sets}
[parameters]
"spread.contralateral_rate" = {{ low = 0.01, high = 0.09, scale = "log" }}
"mechanisms.pathology.hazard_rate" = {{ low = 0.03, high = 0.12 }}
""")
    out = tmp_path / "morris"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    assert "6 runs" in capsys.readouterr().out
    sens = pd.read_csv(out / "sensitivity.csv")
    assert set(sens["parameter"]) == {"spread.contralateral_rate",
                                      "mechanisms.pathology.hazard_rate"}
    assert {"mu_star", "sigma"} <= set(sens.columns)
    runs = load_runs(out / "runs.csv")
    assert len(runs) == 6 and (out / "sweep.toml").is_file()
    # a different design in the same folder is refused; --force starts afresh
    assert main(["sweep", str(spec), "--out", str(out), "--method", "lhs", "--samples", "2",
                 "--workers", "1", "--quiet"]) == 1
    assert "different specification" in capsys.readouterr().err
    assert main(["sweep", str(spec), "--out", str(out), "--method", "lhs", "--samples", "2",
                 "--workers", "1", "--quiet", "--force"]) == 0
    assert len(load_runs(out / "runs.csv")) == 2 and not (out / "sensitivity.csv").exists()


def test_points_design_and_table_csv_roundtrip(cfg, tmp_path):
    pts = [{"spread.caudal_rate": 0.01, "onset.segment": "bulbar"},
           {"spread.caudal_rate": 0.02, "onset.segment": "lumbosacral"}]
    t = alssim.sweep(cfg, pts, seed=1, executor="serial", progress=False, outputs=OUT,
                     out=tmp_path / "p").runs
    assert list(t["onset.segment"]) == ["bulbar", "lumbosacral"]
    assert (tmp_path / "p" / "runs.csv").read_text() == table_to_csv(t)
    pd.testing.assert_frame_equal(load_runs(tmp_path / "p" / "runs.csv"), t)


def test_table_does_not_depend_on_how_rows_are_chunked():
    from alssim.batch import build_table
    from alssim.cohort import canonical_table

    rows = [{"run_id": 0, "b": None}, {"run_id": 1, "c": "x", "b": 1.5},
            {"run_id": 2, "b": 2.5, "d": True}, {"run_id": 3, "c": None}]
    texts = {table_to_csv(canonical_table(build_table(iter(rows), ("run_id",), chunk=k)))
             for k in (1, 2, 3, 100)}
    assert len(texts) == 1
    assert next(iter(texts)).splitlines()[0] == "run_id,b,c,d"


# --------------------------------------------------------------------------- outputs, values
def test_output_pattern_matching_nothing_is_refused_before_any_run(cfg, tmp_path, monkeypatch,
                                                                   capsys):
    import alssim.batch

    def no_runs(*args, **kwargs):
        raise AssertionError("a run was started")

    monkeypatch.setattr(alssim.batch.execution, "run_chunk", no_runs)
    with pytest.raises(alssim.ConfigError) as e:
        alssim.sweep(cfg, {"spread.caudal_rate": [0.01]}, executor="serial", progress=False,
                     outputs=["onset.site", "clinical.survival_month"])
    assert e.value.key == "outputs"
    assert "'clinical.survival_month'" in str(e.value)
    assert "did you mean 'clinical.survival_months'" in str(e.value)
    # a glob that matches nothing is refused too
    with pytest.raises(alssim.ConfigError, match=r"loss_months\.umn"):
        alssim.sweep(cfg, {"spread.caudal_rate": [0.01]}, executor="serial", progress=False,
                     outputs=["loss_months.umn:*.lost_5"])
    # a cohort checks its patterns the same way, before any patient runs
    with pytest.raises(alssim.ConfigError) as e:
        alssim.run_cohort(cfg, n=2, executor="serial", progress=False,
                          outputs=["clinical.survival_month"])
    assert e.value.key == "outputs" and "clinical.survival_months" in str(e.value)
    # on the command line: one line naming the spec file and the key, exit 1, nothing written
    spec = _write(tmp_path / "typo.toml",
                  'outputs = ["clinical.survival_month"]\n[parameters]\n'
                  '"spread.caudal_rate" = [0.01]\n')
    capsys.readouterr()
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--quiet",
                 "--workers", "1"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(spec) in err and "'outputs'" in err
    assert "clinical.survival_months" in err
    assert not (tmp_path / "o" / "runs.csv").exists()


def test_output_names_are_known_before_the_runs(cfg):
    from alssim.batch import flatten_summary, output_names

    names = output_names(cfg)
    res = alssim.simulate(cfg, seed=3)
    assert names == list(flatten_summary(res.summary))


def test_every_run_has_the_same_columns_whether_or_not_it_has_a_d50_fit(cfg):
    # a run too short for clinical onset has no D50 fit (summary "d50" is None); it must give
    # the D50 columns as missing, not a column "clinical.d50" of its own, and the columns must
    # not depend on which run comes first
    outs = ["clinical.clinical_onset_months", "clinical.d50*", "clinical.phenotype"]
    tables = [alssim.sweep(cfg, {"simulation.horizon_years": h}, executor="serial",
                           progress=False, outputs=outs, seed=3).runs
              for h in ([0.2, 5.0], [5.0, 0.2])]
    d50 = [f"clinical.d50.{k}" for k in ("d50_months", "dx_months", "rmse",
                                          "highly_aggressive")]
    # the entries named for a missing fit are those of a fit
    from alssim.batch import OPTIONAL_TABLES
    from alssim.clinical.progression import d50_model, fit_d50

    months = np.linspace(0.0, 40.0, 30)
    assert tuple(fit_d50(months, d50_model(months, 20.0, 5.0))) == OPTIONAL_TABLES["clinical.d50"]
    for t in tables:
        assert list(t.columns[5:]) == ["clinical.clinical_onset_months", *d50,
                                       "clinical.phenotype"]
        short = t["simulation.horizon_years"] == 0.2
        assert t.loc[short, d50].isna().all(axis=None)
        assert t.loc[~short, "clinical.d50.d50_months"].notna().all()


def test_values_may_be_numpy_arrays(cfg, tmp_path):
    rates = np.array([0.005, 0.02])
    design = {"spread.caudal_rate": rates, "simulation.seed": np.arange(3, 5, dtype=np.int64)}
    pts, meta = make_design(cfg, design)
    assert pts[0] == {"spread.caudal_rate": 0.005, "simulation.seed": 3}
    assert all(type(v) in (float, int) for p in pts for v in p.values())
    assert meta["axes"][1]["values"] == [3, 4]
    # numpy scalars in lists, in ranges and in explicit points; a 2-D array is refused
    assert make_design(cfg, {"simulation.seed": [np.int64(2)]})[0] == [{"simulation.seed": 2}]
    lhs, _ = make_design(cfg, {"spread.caudal_rate": {"low": np.float64(0.01),
                                                      "high": np.int64(1)}}, "lhs", np.int64(3))
    assert len(lhs) == 3
    assert make_design(cfg, [{"simulation.seed": np.int64(1)}])[0] == [{"simulation.seed": 1}]
    with pytest.raises(alssim.ConfigError, match="1-D") as e:
        make_design(cfg, {"simulation.seed": np.zeros((2, 2), dtype=int)})
    assert e.value.key == "simulation.seed"
    # the sweep runs and its spec (JSON) holds plain numbers
    t = alssim.sweep(cfg, {"spread.caudal_rate": rates}, executor="serial", progress=False,
                     outputs=["onset.site"], out=tmp_path / "np").runs
    assert list(t["spread.caudal_rate"]) == [0.005, 0.02]
    # read back, the table knows its design (the swept keys) from the folder's spec.json
    assert load_runs(tmp_path / "np" / "runs.csv").attrs["sweep"] == t.attrs["sweep"]


def test_sweep_seed_beyond_simulation_seed_range_is_refused():
    cfg = alssim.load_config("configs/default.toml")
    with pytest.raises(alssim.ConfigError, match=r"'seed'.*9223372036854775807"):
        alssim.sweep(cfg, {"spread.contralateral_rate": [0.01]}, seed=2**64, workers=1,
                     progress=False)


def test_a_sweep_written_with_parquet_holds_the_same_table(tmp_path):
    pytest.importorskip("pyarrow")
    table = alssim.sweep(small_config(), {"spread.contralateral_rate": [0.01, 0.02]}, seed=1,
                         executor="serial", progress=False, out=tmp_path / "s",
                         parquet=True).runs
    back = pd.read_parquet(tmp_path / "s" / "runs.parquet")
    assert list(back.columns) == list(table.columns) and len(back) == len(table)
    for col in ("run_id", "seed", "spread.contralateral_rate"):
        assert back[col].tolist() == table[col].tolist() and back[col].dtype == table[col].dtype
