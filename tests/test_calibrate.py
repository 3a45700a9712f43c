"""alssim.calibrate (alssim.calibration): the distance, argument checks and a tiny reproducible fit
(n = 16)."""

from __future__ import annotations

import pytest

import alssim
from alssim.calibration import PENALTY, distance
from alssim.errors import ConfigError
from alssim.validation import Target


def test_distance_is_zero_at_the_centre_and_hinged_for_one_sided_targets():
    two = Target("a", "", "", "", "", 2.0, 4.0)
    one = Target("b", "", "", "", "", 0.3, 1e9, kind="qualitative")
    assert distance({"a": 3.0, "b": 0.5}, [two, one]) == 0.0
    assert distance({"a": 4.0, "b": 0.5}, [two, one]) == pytest.approx(1.0)
    assert distance({"a": 3.0, "b": 0.15}, [two, one]) == pytest.approx(0.25)
    assert distance({"a": float("nan")}, [two]) == PENALTY
    assert distance({"a": 4.0}, [two], weights={"a": 3.0}) == pytest.approx(3.0)


def test_calibrate_rejects_bad_arguments():
    cfg = alssim.load_config()
    with pytest.raises(ConfigError):
        alssim.calibrate(cfg, {"spread.caudal_rate": (0.01, 0.001)}, ["median_survival"], n=2)
    with pytest.raises(ConfigError):
        alssim.calibrate(cfg, {"spread.caudal_rate": (0.001, 0.01)}, ["no_such_target"], n=2)
    with pytest.raises(ConfigError):
        alssim.calibrate(cfg, {"spread.caudal_rate": (0.001, 0.01)}, ["median_survival"], n=2,
                         method="magic")


@pytest.mark.slow
def test_tiny_fit_is_reproducible_and_never_worse():
    cfg = alssim.load_config()
    kw = dict(n=16, seed=4, maxiter=4, workers=1)
    params = {"mechanisms.pathology.hazard_rate": (0.02, 0.06)}
    a = alssim.calibrate(cfg, params, ["median_survival", "munix_decline"], **kw)
    b = alssim.calibrate(cfg, params, ["median_survival", "munix_decline"], **kw)
    assert a.parameters == b.parameters and a.distance_after == b.distance_after
    assert a.distance_after <= a.distance_before
    assert 0.02 <= a.parameters["mechanisms.pathology.hazard_rate"] <= 0.06
    assert a.config.mechanisms.pathology.hazard_rate == pytest.approx(
        a.parameters["mechanisms.pathology.hazard_rate"])
    text = a.to_markdown()
    assert "hazard_rate" in text and "median_survival" in text
    assert list(a.targets["id"]) == ["median_survival", "munix_decline"]
    # the common result surface: summary, to_dataframe, a short repr
    history = a.to_dataframe()
    assert len(history) == a.n_evaluations == len(a.history)
    assert list(history.columns) == ["mechanisms.pathology.hazard_rate", "distance"]
    assert history["distance"].min() == pytest.approx(a.distance_after)
    assert a.summary["parameters"] == a.parameters
    assert repr(a).startswith("<alssim CalibrationResult") and len(repr(a).splitlines()) <= 3
