"""The old module paths alssim.sweep and alssim.calibrate (now alssim.sweeps and
alssim.calibration) import with a DeprecationWarning, and alssim.sweep and alssim.calibrate stay
the functions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import alssim
import alssim.calibration
import alssim.sweeps
from alssim._moved import MovedModule

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def fresh(monkeypatch):
    """Forget the stand-ins of earlier imports, so that importing an old path loads it anew."""
    for name in [n for n in sys.modules if n.startswith(("alssim.sweep.", "alssim.calibrate."))
                 or n in ("alssim.sweep", "alssim.calibrate")]:
        monkeypatch.delitem(sys.modules, name)


def _functions_in_place():
    assert alssim.sweep is alssim.sweeps.sweep and callable(alssim.sweep)
    assert alssim.calibrate is alssim.calibration.calibrate and callable(alssim.calibrate)


def test_the_functions_are_the_functions():
    _functions_in_place()
    assert alssim.sweeps.__name__ == "alssim.sweeps"
    assert alssim.calibration.__name__ == "alssim.calibration"


def test_import_alssim_calibrate_warns_and_keeps_the_function(fresh):
    with pytest.warns(DeprecationWarning, match=r"alssim\.calibrate is now alssim\.calibration"):
        exec("import alssim.calibrate", {})  # the statement, in a namespace of its own
    assert isinstance(sys.modules["alssim.calibrate"], MovedModule)
    _functions_in_place()
    with pytest.warns(DeprecationWarning, match="import distance from alssim.calibration"):
        from alssim.calibrate import distance
    assert distance is alssim.calibration.distance
    _functions_in_place()


def test_from_alssim_sweep_import_warns_gives_the_same_objects_and_keeps_the_function(fresh):
    with pytest.warns(DeprecationWarning, match=r"alssim\.sweep is now alssim\.sweeps"):
        from alssim.sweep import SweepResult, load_runs
    assert load_runs is alssim.sweeps.load_runs and SweepResult is alssim.SweepResult
    _functions_in_place()
    # every later use of the old path warns again
    with pytest.warns(DeprecationWarning, match="import make_design from alssim.sweeps"):
        from alssim.sweep import make_design
    assert make_design is alssim.sweeps.make_design
    _functions_in_place()


def test_old_submodule_paths_import_too(fresh):
    with pytest.warns(DeprecationWarning) as record:  # the old package path, then the module
        from alssim.sweep.design import make_design
    assert any("alssim.sweep.design is now alssim.sweeps.design" in str(w.message)
               for w in record)
    assert make_design is alssim.sweeps.design.make_design
    with pytest.warns(DeprecationWarning, match=r"alssim\.sweep\.run is now alssim\.sweeps\.run"):
        exec("import alssim.sweep.run", {})
    _functions_in_place()
    with pytest.raises(ModuleNotFoundError, match=r"alssim\.sweep\.nothing"):
        exec("import alssim.sweep.nothing", {})
    with pytest.raises(ModuleNotFoundError), pytest.warns(DeprecationWarning):
        exec("import alssim.calibrate.nothing", {})


def test_the_package_itself_imports_no_old_path():
    code = ("import sys, alssim, alssim.cli.main, alssim.sensitivity, alssim.analysis.sweeps; "
            "alssim.cli.main.build_parser(); "
            "assert not any(n.startswith(('alssim.sweep.', 'alssim.calibrate.')) "
            "or n in ('alssim.sweep', 'alssim.calibrate') for n in sys.modules)")
    subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", code], check=True,
                   cwd=REPO)
