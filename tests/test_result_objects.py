"""One result shape: every run function returns an object with ``summary``, ``to_dataframe()``,
``save()`` and a loader, a short ``repr`` and ``plot()``; saved results load back equal."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import alssim
from alssim.batch import typed_table
from alssim.calibration import CalibrationResult, load_calibration
from alssim.fileio import OutputExistsError
from alssim.validation import ValidationReport, load_validation
from tests.conftest import small_config

REPO = Path(__file__).resolve().parents[1]

#: Each run function, the class it returns and the function that loads a saved one.
RUNS = {
    "simulate": (alssim.Result, alssim.load),
    "run_cohort": (alssim.CohortResult, alssim.load_cohort),
    "sweep": (alssim.SweepResult, alssim.load_sweep),
    "run_trial": (alssim.TrialResult, alssim.TrialResult.load),
    "run_validation": (alssim.ValidationReport, alssim.load_validation),
    "calibrate": (alssim.CalibrationResult, alssim.load_calibration),
}


@pytest.mark.parametrize("name", list(RUNS))
def test_every_run_function_returns_the_one_result_shape(name):
    import typing

    cls, loader = RUNS[name]
    returned = typing.get_type_hints(getattr(alssim, name))["return"]
    if typing.get_origin(returned) is tuple:  # run_validation: the report and its cohort
        returned = typing.get_args(returned)[0]
    assert returned is cls, name
    for attr in ("summary", "to_dataframe", "save", "plot"):
        fields = getattr(cls, "__dataclass_fields__", {})
        assert hasattr(cls, attr) or attr in fields, f"{cls.__name__} lacks {attr}"
    assert cls.__repr__ is not object.__repr__
    assert callable(loader)


@pytest.fixture(scope="module")
def report():
    table = typed_table(pd.read_csv(REPO / "experiments" / "validation" / "validation.csv"))
    baseline = typed_table(pd.DataFrame({"at entry": ["age (years)"], "published": [57.3],
                                         "simulated": [62.0], "n": [791]}))
    return ValidationReport(table, 1998, {"seed": 1, "n": 2000, "overrides": {"a.b": 0.5},
                                          "date": "2026-11-29"}, trial_baseline=baseline)


def test_a_saved_validation_report_loads_back_equal(report, tmp_path):
    report.save(tmp_path / "v")
    assert sorted(p.name for p in (tmp_path / "v").iterdir()) == [
        ".alssim-manifest", "report.json", "report.md", "trial_baseline.csv",
        "trial_baseline.schema.json", "validation.csv", "validation.schema.json"]
    back = load_validation(tmp_path / "v")
    pd.testing.assert_frame_equal(back.table, report.table, check_exact=True)
    pd.testing.assert_frame_equal(back.trial_baseline, report.trial_baseline, check_exact=True)
    assert back.trial_slopes is None
    assert back.n_patients == report.n_patients and back.meta == report.meta
    assert back.summary == report.summary and repr(back) == repr(report)
    assert (tmp_path / "v" / "report.md").read_text() == report.to_markdown()
    json.dumps(report.summary, allow_nan=False)
    with pytest.raises(OutputExistsError):
        report.save(tmp_path / "v")
    report.save(tmp_path / "v", force=True)


def test_a_folder_without_a_saved_report_is_refused(tmp_path):
    with pytest.raises(alssim.ResultFormatError, match=r"no report\.json"):
        load_validation(tmp_path)
    (tmp_path / "report.json").write_text('{"format": "something else"}')
    with pytest.raises(alssim.ResultFormatError, match="not a saved validation report"):
        load_validation(tmp_path)


@pytest.fixture(scope="module")
def fit():
    history = [({"spread.caudal_rate": 0.01 + 0.001 * i}, 10 * np.exp(-i / 3) + i % 3)
               for i in range(6)]
    targets = typed_table(pd.DataFrame({"id": ["median_survival", "share_pma"],
                                        "low": [31.0, 0.04], "high": [35.0, 0.1],
                                        "before": [40.0, 0.01], "after": [33.0, 0.05]}))
    best = min(range(6), key=lambda i: history[i][1])
    cfg = small_config(**{"spread.caudal_rate": history[best][0]["spread.caudal_rate"]})
    return CalibrationResult(history[best][0], history[0][0], {"spread.caudal_rate": (0.0, 0.1)},
                             targets, history[0][1], history[best][1], len(history), history,
                             cfg, {"method": "nelder-mead", "n": 16, "seed": 4, "seconds": 1.0})


def test_a_saved_calibration_loads_back_equal(fit, tmp_path):
    fit.save(tmp_path / "c")
    back = load_calibration(tmp_path / "c")
    for attr in ("parameters", "start", "bounds", "distance_before", "distance_after",
                 "n_evaluations", "history", "meta"):
        assert getattr(back, attr) == getattr(fit, attr), attr
    pd.testing.assert_frame_equal(back.targets, fit.targets, check_exact=True)
    pd.testing.assert_frame_equal(back.to_dataframe(), fit.to_dataframe(), check_exact=True)
    assert back.config == fit.config and back.summary == fit.summary
    assert repr(back) == repr(fit) and len(repr(fit).splitlines()) <= 3
    with pytest.raises(OutputExistsError):
        fit.save(tmp_path / "c")
    (tmp_path / "c" / "calibration.json").write_text("[]")
    with pytest.raises(alssim.ResultFormatError, match="not a saved calibration"):
        load_calibration(tmp_path / "c")
    (tmp_path / "c" / "calibration.json").unlink()
    with pytest.raises(alssim.ResultFormatError, match=r"calibration\.json is missing"):
        load_calibration(tmp_path / "c")


def test_a_save_never_replaces_a_user_s_file_and_waits_for_no_one(report, fit, tmp_path):
    from alssim.outdir import OutputFolder, OutputLockedError

    for obj, name in ((report, "report.md"), (fit, "calibration.md")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / name).write_text("my notes")
        with pytest.raises(OutputExistsError):
            obj.save(folder)
        with pytest.raises(OutputExistsError, match=name.replace(".", r"\.")):
            obj.save(folder, force=True)  # a file of that name that alssim did not write
        assert (folder / name).read_text() == "my notes"
        busy = tmp_path / f"busy-{name}"
        with OutputFolder(busy, command="another alssim command"):
            with pytest.raises(OutputLockedError, match="another alssim command"):
                obj.save(busy)  # a save while another command writes there is refused
        obj.save(busy)  # and goes ahead once it has finished
