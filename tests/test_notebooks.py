"""The example notebooks in experiments/notebooks/ are stored without outputs and run.

Each notebook reads ``ALSSIM_NOTEBOOK_SCALE`` in its first cell; the suite sets it to a small value
(and the notebooks skip their slow extras, such as the animation), so all of them run in well under
a minute.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "experiments" / "notebooks")
                   .glob("*.ipynb"))
SCALE = "0.005"


def test_the_notebooks_are_there():
    names = {p.stem for p in NOTEBOOKS}
    assert {"01_quickstart", "02_onset_and_spread", "03_parameter_sweep",
            "04_virtual_trial"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert "ALSSIM_NOTEBOOK_SCALE" in first.source


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("ALSSIM_NOTEBOOK_SCALE", SCALE)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    print(f"\n{path.name}: {seconds:.1f} s")
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, f"{path.name} drew no figure"
    assert os.environ["ALSSIM_NOTEBOOK_SCALE"] == SCALE
