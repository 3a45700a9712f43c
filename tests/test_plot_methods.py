"""Every result object's ``plot()``: the plot kinds the analysis layer registers
(:mod:`alssim.plotting`), the default kind, drawing on given axes, and the errors."""

from __future__ import annotations

import re
import string
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.figure import Figure

import alssim
from alssim import plotting
from alssim.analysis.validation import acceptance_position
from alssim.calibration import CalibrationResult
from alssim.cohort import CohortResult
from alssim.trials import TrialResult, run_trial
from alssim.validation import ValidationReport
from tests.conftest import small_config

REPO = Path(__file__).resolve().parents[1]
CLASSES = (alssim.Result, CohortResult, TrialResult, ValidationReport, CalibrationResult)


@pytest.fixture(scope="module")
def cohort():
    return alssim.run_cohort(small_config(), n=12, seed=1, executor="serial", progress=False)


@pytest.fixture(scope="module")
def trial():
    from tests.test_trials import spec

    return run_trial(spec(**{"trial.patients": [12]}), executor="serial")


@pytest.fixture(scope="module")
def report():
    table = pd.read_csv(REPO / "experiments" / "validation" / "validation.csv")
    return ValidationReport(table, 1998, {"seed": 1})


@pytest.fixture(scope="module")
def fit():
    history = [({"spread.caudal_rate": 0.01 + 0.001 * i}, 10 * np.exp(-i / 3) + i % 3)
               for i in range(12)]
    targets = pd.DataFrame({"id": ["median_survival", "munix_decline", "share_pma"],
                            "low": [31.0, 2.0, 0.3], "high": [35.0, 3.5, 1e9],
                            "before": [40.0, 1.0, 0.1], "after": [33.0, 3.9, 0.5]})
    best = min(range(12), key=lambda i: history[i][1])
    return CalibrationResult(history[best][0], history[0][0], {"spread.caudal_rate": (0.0, 0.1)},
                             targets, history[0][1], history[best][1], len(history), history,
                             None, {"method": "nelder-mead", "n": 16, "seed": 4, "seconds": 1.0})


@pytest.fixture
def results(small_result, cohort, trial, report, fit):
    return {alssim.Result: small_result, CohortResult: cohort, TrialResult: trial,
            ValidationReport: report, CalibrationResult: fit}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _drew(fig) -> bool:
    return any(ax.has_data() or ax.patches or ax.lines or ax.images for ax in fig.axes)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_plot_draws_the_default_kind_as_a_figure(results, cls):
    obj = results[cls]
    fig = obj.plot()
    assert isinstance(fig, Figure) and _drew(fig)
    # the default kind is the one registered as such, with or without its name
    kind = plotting.default_kind(obj)
    assert len(fig.axes) == len(obj.plot(kind).axes)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_plot_draws_on_the_axes_or_figure_it_is_given(results, cls):
    obj = results[cls]
    for kind, func in plotting.plot_kinds(obj).items():
        import inspect

        params = inspect.signature(func).parameters
        fig = Figure()
        if "ax" in params:  # one panel: on the axes given, nowhere else
            left, right = fig.subplots(1, 2)
            assert obj.plot(kind, ax=right) is fig, kind
            assert _drew(fig) and not left.has_data() and not left.lines, kind
        else:  # several panels: on the (sub)figure given
            sub = fig.add_subfigure(fig.add_gridspec(1, 2)[0, 1])
            assert obj.plot(kind, fig=sub) is sub, kind
            assert sub.axes, kind


def test_every_result_kind_is_drawn(small_result, cohort):
    for obj in (small_result, cohort):
        for kind in plotting.plot_kinds(obj):
            assert isinstance(obj.plot(kind), Figure), kind


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_each_plot_docstring_lists_exactly_the_registered_kinds(cls):
    doc = cls.plot.__doc__ or ""
    section = doc[doc.index("kind : str"):doc.index("**kwargs")]
    named = re.findall(r'``"(\w+)"``', section)
    kinds = plotting.plot_kinds(cls)
    assert named == list(kinds)
    assert f'``"{plotting.default_kind(cls)}"`` (default' in section


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_an_unknown_kind_names_the_valid_ones_and_the_nearest(results, cls):
    obj = results[cls]
    kinds = list(plotting.plot_kinds(obj))
    typo = kinds[0][:-1]  # one letter short of a kind
    with pytest.raises(alssim.ConfigError) as e:
        obj.plot(typo)
    msg = str(e.value)
    assert e.value.key == "kind" and cls.__name__ in msg
    assert f"did you mean {kinds[0]!r}?" in msg
    assert all(k in msg for k in kinds)
    assert f"{plotting.default_kind(obj)} (default)" in msg


@given(st.text(alphabet=string.ascii_letters + "_ ", max_size=20))
def test_any_unregistered_kind_is_refused_listing_every_valid_kind(kind):
    kinds = plotting.plot_kinds(alssim.Result)
    if kind in kinds:
        return
    with pytest.raises(alssim.ConfigError) as e:
        plotting.plot(object.__new__(alssim.Result), kind)
    assert all(k in str(e.value) for k in kinds)


def test_a_kind_that_is_not_a_string_is_refused(small_result):
    with pytest.raises(alssim.ConfigError, match="unknown plot kind 3 for a Result"):
        small_result.plot(3)


def test_ax_for_a_plot_of_several_panels_says_to_pass_fig(small_result, cohort):
    with pytest.raises(alssim.ConfigError, match="several panels: pass fig=") as e:
        small_result.plot("clinical_course", ax=Figure().subplots())
    assert e.value.key == "ax"
    with pytest.raises(alssim.ConfigError, match="one panel: pass ax="):
        cohort.plot("onset_sites", fig=Figure())


def test_without_the_analysis_layer_plot_says_how_to_register_it(small_result, monkeypatch):
    monkeypatch.setattr(plotting, "_REGISTRY", {})
    with pytest.raises(alssim.AlssimError, match=r"import alssim\.analysis"):
        small_result.plot()


def test_plot_draws_the_registered_default_and_passes_the_options(monkeypatch):
    class Fake:
        pass

    calls = []
    monkeypatch.setitem(plotting._REGISTRY, "Fake", plotting.PlotKinds(
        {"first": lambda obj, **kw: calls.append(("first", kw)),
         "second": lambda obj, **kw: calls.append(("second", kw))}, "second"))
    plotting.plot(Fake())
    plotting.plot(Fake(), "first", size=3)
    assert calls == [("second", {}), ("first", {"size": 3})]


def test_subclasses_find_the_kinds_of_their_base(small_result):
    class Mine(alssim.Result):
        pass

    assert plotting.plot_kinds(Mine) == plotting.plot_kinds(alssim.Result)


def test_register_plots_needs_a_default_among_the_kinds():
    with pytest.raises(ValueError, match="default"):
        plotting.register_plots("Nothing", {"a": print}, default="b")
    with pytest.raises(ValueError, match="default"):
        plotting.register_plots("Nothing", {}, default="a")
    assert "Nothing" not in plotting._REGISTRY


def test_registering_imports_no_matplotlib():
    import subprocess
    import sys

    code = ("import sys, alssim; from alssim import plotting; "
            "assert plotting.plot_kinds(alssim.Result); "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


# --------------------------------------------------------------------------- the new figures
def test_trial_survival_shows_each_arm_and_the_hazard_ratio(trial):
    from alssim import analysis

    fig = analysis.plot_trial_survival(trial)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("placebo (control): n = 6")
    assert labels[1].startswith("riluzole: n = 6") and "HR" in labels[1]
    assert "log-rank p" in labels[1]
    # a patients table works too (without the analysis there is no hazard ratio); one
    # replicate of several, or all of them pooled
    two = pd.concat([trial.patients, trial.patients.assign(replicate=1)], ignore_index=True)
    for replicate, n in ((1, 6), (None, 12)):
        fig = analysis.plot_trial_survival(two, replicate=replicate)
        texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert not any("HR" in t for t in texts)
        assert all(f": n = {n}," in t for t in texts)
    with pytest.raises(alssim.ConfigError, match="no replicate 3") as e:
        analysis.plot_trial_survival(trial, replicate=3)
    assert e.value.key == "replicate"


def test_validation_figure_marks_the_failures(report):
    from alssim import analysis

    fig = analysis.plot_validation(report)
    ax = fig.axes[0]
    passed, total = int(report.table["passed"].sum()), len(report.table)
    assert 0 < passed < total  # the shipped report has failures to mark
    assert f"{passed} of {total}" in ax.get_title()
    red = [t.get_text() for t in ax.get_yticklabels() if t.get_color() != "black"]
    assert red == report.failures


@given(low=st.floats(-1e6, 1e6), width=st.floats(1e-3, 1e6), u=st.floats(0, 1))
def test_a_value_inside_its_interval_lies_between_0_and_1(low, width, u):
    high = low + width
    v = low + u * width
    x = acceptance_position(v, low, high)
    assert -1e-6 <= x <= 1 + 1e-6
    # one-sided: inside is >= 0 (>= low) or <= 1 (<= high), and the bound itself is at 0 / 1
    assert acceptance_position(low, low, 1e9) == 0
    assert acceptance_position(high, -1e9, high) == 1
    assert acceptance_position(low + width, low, 1e9) >= 0
    assert acceptance_position(high - width, -1e9, high) <= 1
