"""alssim.sweep's result: SweepResult's summary, save and load, repr, plot, and the DataFrame
operations old scripts do on it (forwarded to .runs with a DeprecationWarning)."""

from __future__ import annotations

import copy
import json
import pickle
import tempfile
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

import alssim
from alssim.cli.main import main
from alssim.sweeps import SweepResult, load_runs, load_sweep, make_design
from tests.conftest import SMALL, small_config

RATES = [0.01, 0.02]


@pytest.fixture(scope="module")
def result():
    return alssim.sweep(small_config(), {"spread.contralateral_rate": RATES}, replicates=2,
                        seed=1, executor="serial", progress=False)


@pytest.fixture(scope="module")
def saved(result, tmp_path_factory):
    """The same sweep run with out= (a sweep folder), for comparing with save()."""
    out = tmp_path_factory.mktemp("sweep") / "out"
    alssim.sweep(small_config(), {"spread.contralateral_rate": RATES}, replicates=2, seed=1,
                 executor="serial", progress=False, out=out)
    return out


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def no_deprecation():
    with warnings.catch_warnings():
        # alssim's own deprecations (the old sweep table, the old module paths) are errors;
        # other libraries' (pyparsing under an old matplotlib, ...) are not this test's concern
        warnings.filterwarnings("error", r"(?s).*alssim", DeprecationWarning)
        yield


def test_sweep_returns_a_result_with_its_table_design_seed_and_config(result, no_deprecation):
    assert isinstance(result, SweepResult) and isinstance(alssim.SweepResult, type)
    runs = result.runs
    assert isinstance(runs, pd.DataFrame) and len(runs) == 4
    assert list(runs.columns[:5]) == ["run_id", "point", "replicate", "seed",
                                      "spread.contralateral_rate"]
    assert result.design == runs.attrs["sweep"] and result.design["method"] == "grid"
    assert result.seed == 1 == result.design["seed"]
    assert result.config.to_toml() == small_config().to_toml()
    assert result.swept_keys == ["spread.contralateral_rate"] and result.n_points == 2
    copied = result.to_dataframe()
    assert copied is not runs and copied.attrs["sweep"] == result.design
    pd.testing.assert_frame_equal(copied, runs)


def test_summary_is_json_ready_and_counts_the_design(result, no_deprecation):
    s = result.summary
    json.dumps(s, allow_nan=False)
    assert (s["n_runs"], s["n_points"], s["replicates"], s["method"], s["seed"]) == (
        4, 2, 2, "grid", 1)
    assert s["swept_keys"] == ["spread.contralateral_rate"]
    # the run columns and swept keys are not outputs; each numeric output is summarised
    assert not {"run_id", "point", "replicate", "seed",
                "spread.contralateral_rate"} & set(s["outputs"])
    horizon = result.runs["horizon_months"].to_numpy(dtype=float)
    entry = s["outputs"]["horizon_months"]
    assert entry["n"] == 4 and entry["median"] == pytest.approx(np.median(horizon))
    assert {"mean", "sd", "q25", "q75"} <= set(entry)


def test_repr_is_a_few_lines_naming_size_keys_method_and_seed(result, no_deprecation):
    text = repr(result)
    assert len(text.splitlines()) <= 6
    assert "4 runs (2 points × 2 replicates)" in text
    assert "spread.contralateral_rate" in text and "method grid" in text and "seed 1" in text


@settings(max_examples=40)
@given(keys=st.lists(st.text(min_size=1, max_size=60), max_size=30), n=st.integers(0, 5))
def test_repr_stays_short_whatever_is_swept(keys, n):
    runs = pd.DataFrame({"run_id": range(n), "point": range(n), "replicate": 0, "seed": 0,
                         "clinical.survival_months": np.linspace(1.0, 9.0, n)})
    res = SweepResult(runs, {"axes": [{"key": k} for k in keys], "method": "grid",
                             "replicates": 1}, 3, None, {})
    assert len(repr(res).splitlines()) <= 6


def test_save_writes_the_files_of_the_sweep_folder_and_loads_back_equal(result, saved,
                                                                         tmp_path,
                                                                         no_deprecation):
    path = result.save(tmp_path / "s")
    for name in ("spec.json", "runs.csv"):
        assert (path / name).read_bytes() == (saved / name).read_bytes(), name
    for folder in (path, saved):
        back = load_sweep(folder)
        pd.testing.assert_frame_equal(back.runs, result.runs)
        assert back.design == result.design and back.runs.attrs["sweep"] == result.design
        assert back.seed == result.seed and back.spec == result.spec
        assert back.config.to_toml() == result.config.to_toml()
    # load_runs keeps reading the table alone
    pd.testing.assert_frame_equal(load_runs(path / "runs.csv"), result.runs)


def test_save_refuses_to_overwrite_without_force(result, tmp_path, no_deprecation):
    path = result.save(tmp_path / "s")
    before = (path / "runs.csv").read_bytes()
    with pytest.raises(alssim.AlssimError, match="already holds a sweep; pass force=True"):
        result.save(path)
    assert result.save(path, force=True) == path
    assert (path / "runs.csv").read_bytes() == before
    # a folder of the user's is refused, with or without force, and left alone
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(alssim.AlssimError):
        result.save(tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "mine"


def test_save_with_parquet_writes_the_same_table(result, tmp_path, no_deprecation):
    pytest.importorskip("pyarrow")
    path = result.save(tmp_path / "s", parquet=True)
    back = pd.read_parquet(path / "runs.parquet")
    assert list(back.columns) == list(result.runs.columns)
    assert back["seed"].tolist() == result.runs["seed"].tolist()


@settings(max_examples=20)
@given(values=st.lists(st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                                 st.just(float("nan"))), min_size=4, max_size=4))
def test_save_and_load_round_trip_any_output_values(result, values):
    runs = result.runs.copy()
    runs["clinical.survival_months"] = values
    res = SweepResult(runs, result.design, result.seed, result.config, result.spec)
    with tempfile.TemporaryDirectory() as tmp:
        back = load_sweep(res.save(Path(tmp) / "s"))
    pd.testing.assert_frame_equal(back.runs, runs)
    assert back.design == res.design


def test_load_sweep_refuses_what_is_not_a_finished_sweep(result, tmp_path):
    with pytest.raises(alssim.ResultFormatError, match=r"no spec\.json"):
        load_sweep(tmp_path)
    path = result.save(tmp_path / "s")
    (path / "runs.csv").rename(path / "runs.bak")
    with pytest.raises(alssim.ResultFormatError, match="has not finished"):
        load_sweep(path)
    lines = (path / "runs.bak").read_text().splitlines(keepends=True)
    (path / "runs.csv").write_text("".join(lines[:-1]))  # one run missing
    with pytest.raises(alssim.ResultFormatError, match="does not hold the 4 runs"):
        load_sweep(path)
    (path / "runs.csv").write_text("".join(lines))
    spec = json.loads((path / "spec.json").read_text())
    spec["spec"]["design"]["seed"] = 2
    (path / "spec.json").write_text(json.dumps(spec))
    with pytest.raises(alssim.ResultFormatError, match="checksum mismatch"):
        load_sweep(path)


def test_dataframe_access_warns_and_gives_the_table_values(result):
    runs = result.runs
    match = r"alssim\.sweep now returns a SweepResult; use \.runs or \.to_dataframe\(\)"
    with pytest.warns(DeprecationWarning, match=match):
        pd.testing.assert_series_equal(result["seed"], runs["seed"])
    with pytest.warns(DeprecationWarning, match=match):
        assert len(result) == len(runs) == 4
    with pytest.warns(DeprecationWarning, match=match):
        assert list(result.columns) == list(runs.columns)
    with pytest.warns(DeprecationWarning, match=match):
        assert result.attrs["sweep"] == result.design
    with pytest.warns(DeprecationWarning, match=match):
        means = result.groupby("point")["horizon_months"].mean()
    pd.testing.assert_series_equal(means, runs.groupby("point")["horizon_months"].mean())
    with pytest.warns(DeprecationWarning, match=match):
        assert list(iter(result)) == list(runs)  # iter alone (list() also calls len)
    with pytest.warns(DeprecationWarning, match=match):
        assert "seed" in result
    with pytest.warns(DeprecationWarning, match=match):
        pd.testing.assert_frame_equal(result[result["point"] == 1], runs[runs["point"] == 1])
    # what the result lacks and the table lacks too is an AttributeError, without a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AttributeError, match="no attribute 'no_such_thing'"):
            result.no_such_thing  # noqa: B018


def test_the_result_copies_pickles_and_never_forwards_private_names(result, no_deprecation):
    assert not hasattr(result, "_repr_html_")  # a notebook shows the repr, not the table
    assert bool(result)
    for other in (copy.copy(result), copy.deepcopy(result), pickle.loads(pickle.dumps(result))):
        pd.testing.assert_frame_equal(other.runs, result.runs)
        assert other.design == result.design


# --------------------------------------------------------------------------- analyze, plot
def _sobol_sweep() -> tuple[SweepResult, pd.DataFrame]:
    """A Sobol design evaluated on y = 4 x1 + 0.2 x2, no simulation: the result and its table."""
    cfg = small_config()
    design = {"spread.caudal_rate": (0.0, 1.0), "spread.rostral_rate": (0.0, 1.0)}
    pts, meta = make_design(cfg, design, "sobol", 64, seed=1)
    x = np.array([[p[k] for k in design] for p in pts])
    table = pd.DataFrame({"run_id": range(len(pts)), "point": range(len(pts)), "replicate": 0,
                          "seed": 0, **{k: x[:, j] for j, k in enumerate(design)},
                          "y": 4 * x[:, 0] + 0.2 * x[:, 1]})
    meta = {k: v for k, v in meta.items() if k != "transformed"}
    table.attrs["sweep"] = meta
    return SweepResult(table, meta, 0, cfg, {}), table


def test_analyze_takes_the_result_or_its_table(no_deprecation):
    pytest.importorskip("SALib")
    from alssim.sensitivity import analyze

    res, table = _sobol_sweep()
    pd.testing.assert_frame_equal(analyze(res, ["y"]), analyze(table, ["y"]))
    assert analyze(res, ["y"]).set_index("parameter").loc["spread.caudal_rate", "ST"] > 0.9


def test_plot_sweep_takes_the_result_or_its_table(result, no_deprecation):
    from alssim import analysis

    def drawn(fig):
        ax = fig.axes[0]
        return ([line.get_xydata().tolist() for line in ax.lines], ax.get_title())

    by_result = analysis.plot_sweep(result, "spread.contralateral_rate",
                                    "clinical.survival_months")
    by_table = analysis.plot_sweep(result.runs, "spread.contralateral_rate",
                                   "clinical.survival_months")
    assert drawn(by_result) == drawn(by_table)
    from alssim.analysis.sweeps import swept_keys

    assert swept_keys(result) == swept_keys(result.runs) == ["spread.contralateral_rate"]


def test_plot_draws_an_outcome_against_the_swept_key(result, no_deprecation):
    fig = result.plot()
    assert isinstance(fig, Figure)
    assert fig.axes[0].get_xlabel().startswith("spread.contralateral_rate")
    target = Figure()
    left, right = target.subplots(1, 2)
    assert result.plot(outcome="horizon_months", ax=right) is target
    assert right.has_data() and not left.has_data()
    with pytest.raises(alssim.ConfigError, match="did you mean 'outcome'"):
        result.plot("outcomes")


def test_plot_needs_the_parameter_when_several_keys_are_swept(no_deprecation):
    res, _ = _sobol_sweep()
    with pytest.raises(alssim.ConfigError) as e:
        res.plot(outcome="y")
    assert e.value.key == "parameter" and "spread.rostral_rate" in str(e.value)
    assert isinstance(res.plot(parameter="spread.caudal_rate", outcome="y",
                               pool=["spread.rostral_rate"]), Figure)


def test_cli_sweep_folder_loads_with_its_sweep_file(tmp_path, no_deprecation):
    sets = "\n".join(f'"{k}" = {v}' for k, v in SMALL.items())
    spec = tmp_path / "s.toml"
    spec.write_text(f'seed = 2\noutputs = ["onset.site"]\n[set]\n{sets}\n[parameters]\n'
                    '"spread.caudal_rate" = [0.01, 0.02]\n', encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    back = load_sweep(out)
    assert back.sweep_toml == spec.read_text(encoding="utf-8") and back.seed == 2
    again = back.save(tmp_path / "again")
    for name in ("spec.json", "runs.csv", "sweep.toml"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name
