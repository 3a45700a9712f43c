"""Saved results and cohorts that lie: checksums, paths, array headers, and clear errors."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import tracemalloc
import zipfile

import numpy as np
import pytest

import alssim
from alssim.errors import ResultFormatError

CLI = [sys.executable, "-m", "alssim.cli.main"]


def _resign(meta: dict) -> dict:
    """Recompute ``meta_sha256`` as the format defines it (an adversary can do this too)."""
    body = {k: v for k, v in meta.items() if k != "meta_sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    meta["meta_sha256"] = hashlib.sha256(text.encode("ascii")).hexdigest()
    return meta


def _edit_meta(folder, name, edit, *, resign=False):
    path = folder / name
    meta = json.loads(path.read_text())
    edit(meta)
    if resign:
        _resign(meta)
    path.write_text(json.dumps(meta, indent=1))


@pytest.fixture
def saved(small_result, tmp_path):
    d = tmp_path / "r"
    small_result.save(d)
    return d


# ---------------------------------------------------------------- 1. result.json is covered
@pytest.mark.parametrize("edit", [
    lambda m: m.update(seed=m["seed"] + 1),
    lambda m: m["onset"].update(side="left" if m["onset"]["side"] == "right" else "right"),
    lambda m: m.update(config_toml=re.sub(r"horizon_years = [0-9.]+", "horizon_years = 4.0",
                                          m["config_toml"], count=1)),
], ids=["seed", "onset", "config_toml"])
def test_edited_result_json_is_refused(saved, edit):
    _edit_meta(saved, "result.json", edit)
    with pytest.raises(ResultFormatError, match=r"result\.json: checksum mismatch"):
        alssim.load(saved)


# ---------------------------------------------------------------- 2. arrays stay inside
@pytest.mark.parametrize("where", ["absolute", "dotdot", "symlink"])
def test_arrays_path_outside_the_folder_is_refused(saved, tmp_path, where):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "result.npz").write_bytes((saved / "result.npz").read_bytes())
    name = {"absolute": str(outside / "result.npz"), "dotdot": "../elsewhere/result.npz",
            "symlink": "link.npz"}[where]
    if where == "symlink":
        os.symlink(outside / "result.npz", saved / "link.npz")
    (saved / "result.npz").unlink()
    _edit_meta(saved, "result.json", lambda m: m.update(arrays=name), resign=True)
    with pytest.raises(ResultFormatError, match=r"result\.json"):
        alssim.load(saved)


# ---------------------------------------------------------------- 3. shapes before allocation
def _rewrite_npz(saved, members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    data = buf.getvalue()
    (saved / "result.npz").write_bytes(data)
    _edit_meta(saved, "result.json",
               lambda m: m.update(sha256=hashlib.sha256(data).hexdigest()), resign=True)


def test_crafted_array_header_is_refused_before_allocation(saved):
    with zipfile.ZipFile(saved / "result.npz") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    n_pop = alssim.load(saved).counts.shape[0]
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {
        "descr": "<i8", "fortran_order": False, "shape": (2**27 // n_pop * 8, n_pop)})  # 8 GiB
    members["var__alive.npy"] = header.getvalue() + b"\0" * (1 << 20)
    _rewrite_npz(saved, members)
    tracemalloc.start()
    try:
        with pytest.raises(ResultFormatError, match=r"member var__alive\.npy has shape"):
            alssim.load(saved)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 * 2**20


def test_npz_with_too_many_members_is_refused(saved):
    with zipfile.ZipFile(saved / "result.npz") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    tiny = io.BytesIO()
    np.save(tiny, np.zeros(1))
    members.update({f"var__extra{i}.npy": tiny.getvalue() for i in range(200)})
    _rewrite_npz(saved, members)
    with pytest.raises(ResultFormatError, match=r"result\.npz: 2\d\d members"):
        alssim.load(saved)


# ---------------------------------------------------------------- 4. cohort checksum table
@pytest.fixture
def saved_cohort(small_cfg, tmp_path):
    cohort = alssim.run_cohort(small_cfg, 2, seed=1, executor="serial", progress=False)
    d = tmp_path / "c"
    cohort.save(d)
    return d


def _alarm(seconds):
    def handler(signum, frame):
        raise TimeoutError("load_cohort hung")

    signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)


@pytest.mark.parametrize("name", ["/dev/zero", "../c/patients.csv", "fifo"])
def test_cohort_checksum_entry_outside_or_not_regular_is_refused(saved_cohort, name):
    if name == "fifo":
        os.mkfifo(saved_cohort / "fifo")
    _edit_meta(saved_cohort, "cohort.json",
               lambda m: m["sha256"].update({name: "0" * 64}), resign=True)
    _alarm(20)
    try:
        with pytest.raises(ResultFormatError, match=r"cohort\.json"):
            alssim.load_cohort(saved_cohort)
    finally:
        signal.alarm(0)


def test_empty_cohort_checksum_table_does_not_switch_checking_off(saved_cohort):
    _edit_meta(saved_cohort, "cohort.json", lambda m: m.update(sha256={}), resign=True)
    with open(saved_cohort / "patients.csv", "a") as fh:
        fh.write("")  # unchanged content: still refused, the table covers nothing
    with pytest.raises(ResultFormatError, match=r"does not cover patients\.csv, summary\.json"):
        alssim.load_cohort(saved_cohort)


def test_edited_cohort_json_is_refused(saved_cohort):
    _edit_meta(saved_cohort, "cohort.json", lambda m: m.update(seed=m["seed"] + 1))
    with pytest.raises(ResultFormatError, match=r"cohort\.json: checksum mismatch"):
        alssim.load_cohort(saved_cohort)


# ---------------------------------------------------------------- 5. CLI: one line, exit 1
@pytest.mark.slow
def test_cli_plot_on_tampered_folder_prints_one_line(saved):
    _edit_meta(saved, "result.json", lambda m: m.update(seed=12345))
    proc = subprocess.run([*CLI, "plot", str(saved)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "result.json" in lines[0] and "checksum" in lines[0]


# ---------------------------------------------------------------- 6. select names bad arguments
@pytest.mark.parametrize(("args", "bad", "near"), [
    (("alive", "lmn", "hand", "right"), "segment 'hand'", None),
    (("alive", "lmn", "cervical_lowr", "right"), "segment 'cervical_lowr'", "cervical_lower"),
    (("alive", "lnm", "cervical_lower", "right"), "compartment 'lnm'", "lmn"),
    (("alive", "lmn", "cervical_lower", "rigth"), "side 'rigth'", "right"),
    (("alvie", "lmn", "cervical_lower", "right"), "name 'alvie'", "alive"),
])
def test_select_names_the_bad_argument_and_the_choices(small_result, args, bad, near):
    with pytest.raises(KeyError) as info:
        small_result.select(*args)
    msg = str(info.value)
    assert bad in msg
    assert "cervical_lower" in msg or "lmn" in msg or "right" in msg or "alive" in msg
    if near:
        assert f"did you mean {near!r}" in msg


def _save_as_before_the_horizon_record(res, folder, n_keep):
    """Save ``res`` as an alssim from before the final record: ``n_keep`` records, no
    checksum of result.json's own content."""
    res.save(folder)
    with np.load(folder / "result.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["times_months"] = arrays["times_months"][:n_keep]
    for k in arrays:
        if k.startswith("var__"):
            arrays[k] = arrays[k][:n_keep]
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    (folder / "result.npz").write_bytes(buf.getvalue())
    meta = json.loads((folder / "result.json").read_text())
    meta.pop("meta_sha256")
    meta["sha256"] = hashlib.sha256(buf.getvalue()).hexdigest()
    (folder / "result.json").write_text(json.dumps(meta))


def test_results_saved_before_the_horizon_was_always_recorded_still_load(tmp_path):
    cfg = alssim.load_config(overrides={"simulation.scale": 0.002,
                                        "simulation.horizon_years": 2.0,
                                        "simulation.output_interval_days": 50.0})
    sim = cfg.simulation
    legacy = sim.n_steps // sim.steps_per_output + 1
    assert legacy == sim.n_records - 1  # 730.5 days: the horizon is not a whole interval
    res = alssim.simulate(cfg, seed=3)
    _save_as_before_the_horizon_record(res, tmp_path / "old", legacy)
    with pytest.warns(UserWarning, match="older alssim"):
        back = alssim.load(tmp_path / "old")
    assert back.times_months.shape == (legacy,)
    assert np.array_equal(back["alive"], res["alive"][:legacy])
    # any other record count is still refused
    _save_as_before_the_horizon_record(res, tmp_path / "short", legacy - 1)
    with pytest.warns(UserWarning), pytest.raises(ResultFormatError, match="times_months"):
        alssim.load(tmp_path / "short")


def test_to_xarray_labels_every_recorded_value(small_result):
    xr = pytest.importorskip("xarray")
    res = small_result
    ds = res.to_xarray()
    assert isinstance(ds, xr.Dataset)
    assert dict(ds.sizes) == {"time": len(res.times_months), "population": 2,
                              "segment": res.anatomy.n_segments, "side": 2}
    assert list(ds["segment"].values) == list(res.anatomy.segment_names)
    # every value sits under its own labels
    for comp, seg, side in [("lmn", "cervical_lower", "right"), ("umn", "bulbar", "left"),
                            ("lmn", res.anatomy.segment_names[-1], "left")]:
        for name in ("alive", "pathology", "hazard"):
            np.testing.assert_array_equal(
                ds[name].sel(population=comp, segment=seg, side=side).values,
                res.select(name, comp, seg, side))
        assert int(ds["counts"].sel(population=comp, segment=seg, side=side)) == \
            res.counts[res.anatomy.population_index(comp, seg, side)]
    # LMN-only variables are undefined for UMN populations
    assert np.isnan(ds["unit_size_alive"].sel(population="umn")).all()
    assert ds.attrs["seed"] == res.seed


def test_result_and_cohort_print_a_few_lines(small_result):
    text = repr(small_result)
    assert text.startswith("<alssim Result: one patient") and len(text.splitlines()) <= 4
    assert len(text) < 400


def test_to_xarray_without_xarray_says_how_to_install_it(small_result, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "xarray", None)  # as if it were not installed
    with pytest.raises(alssim.AlssimError, match=r"pip install 'alssim\[xarray\]'"):
        small_result.to_xarray()
