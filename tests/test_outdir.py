"""Output folders: --force deletes only what alssim wrote, one writer at a time, leftovers cleared.

Every test here writes into a folder the way a user's commands would, with files of the user's
beside alssim's, and checks what survives.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import alssim
from alssim.cli.main import main
from alssim.config.loader import configs_dir
from alssim.outdir import (
    LOCK_NAME,
    MANIFEST_NAME,
    OutputFolder,
    OutputLockedError,
    StaleLockWarning,
)

CLI = [sys.executable, "-m", "alssim.cli.main"]
DEFAULT = str(configs_dir() / "default.toml")
SMALL = ["--set", "simulation.scale=0.002", "--set", "simulation.horizon_years=3",
         "--set", "simulation.output_interval_days=90"]


def _cli(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, **kw)


def _one_line(stderr: str) -> str:
    lines = [ln for ln in stderr.strip().splitlines() if ln]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# ------------------------------------------------------------------ --force (item 1)
def test_cohort_force_keeps_the_users_files_and_replaces_alssims(tmp_path):
    out = tmp_path / "d"
    assert main(["cohort", DEFAULT, *SMALL, "--n", "3", "--seed", "1", "--workers", "1",
                 "--quiet", "--out", str(out)]) == 0
    (out / "notes.txt").write_text("mine")
    (out / "mine").mkdir()
    (out / "mine" / "data.csv").write_text("1,2\n")
    old_patients = (out / "patients.csv").read_text()
    assert main(["cohort", DEFAULT, *SMALL, "--n", "4", "--seed", "2", "--workers", "1",
                 "--quiet", "--out", str(out), "--force"]) == 0
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "mine" / "data.csv").read_text() == "1,2\n"
    cohort = alssim.load_cohort(out)
    assert cohort.n == 4 and cohort.seed == 2
    assert (out / "patients.csv").read_text() != old_patients
    # only records of the new cohort are left
    records = sorted(p.name for p in (out / "runs").rglob("*.json"))
    assert records == [f"{i:08d}.json" for i in range(4)]


@pytest.mark.slow
def test_force_never_deletes_a_users_runs_folder_or_config(tmp_path):
    out = tmp_path / "d"
    (out / "runs").mkdir(parents=True)
    (out / "runs" / "my_run.txt").write_text("precious")
    cfg = out / "config.toml"
    cfg.write_text(Path(DEFAULT).read_text())
    before = _snapshot(out)
    proc = _cli("cohort", str(cfg), *SMALL, "--n", "2", "--workers", "1", "--quiet",
                "--out", str(out), "--force")
    assert proc.returncode == 1
    line = _one_line(proc.stderr)
    assert "config.toml" in line or "runs" in line
    assert _snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["config.toml", "runs"]


@pytest.mark.slow
def test_sweep_refuses_to_write_over_its_own_spec_before_any_run(tmp_path):
    out = tmp_path / "d"
    out.mkdir()
    spec = out / "sweep.toml"
    spec.write_text(textwrap.dedent(f"""\
        config = "{DEFAULT}"
        replicates = 1
        seed = 3
        set = {{ "simulation.scale" = 0.002, "simulation.horizon_years" = 2 }}
        [parameters]
        "spread.contralateral_rate" = [0.01, 0.02]
        """))
    text = spec.read_text()
    start = time.perf_counter()
    proc = _cli("sweep", str(spec), "--out", str(out), "--force", "--workers", "1", "--quiet")
    assert proc.returncode == 1
    assert "sweep.toml" in _one_line(proc.stderr) and "input" in proc.stderr
    assert spec.read_text() == text
    assert sorted(p.name for p in out.iterdir()) == ["sweep.toml"]
    assert time.perf_counter() - start < 30
    # beside it, in a folder of its own, the same spec runs and keeps a copy of itself
    proc = _cli("sweep", str(spec), "--out", str(tmp_path / "e"), "--workers", "1", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "e" / "sweep.toml").read_text() == text


@pytest.mark.slow
def test_run_force_replaces_the_old_run_whole_and_nothing_else(tmp_path):
    out = tmp_path / "r"
    assert main(["run", DEFAULT, *SMALL, "--out", str(out), "--plot"]) == 0
    assert (out / "figures" / "populations.png").exists()
    (out / "figures" / "my_sketch.png").write_bytes(b"not alssim's")
    (out / "notes.txt").write_text("mine")
    assert main(["run", DEFAULT, *SMALL, "--seed", "9", "--out", str(out), "--force"]) == 0
    # the old run's figures are gone (the new run drew none), the user's files are not
    assert not (out / "figures" / "populations.png").exists()
    assert (out / "figures" / "my_sketch.png").read_bytes() == b"not alssim's"
    assert (out / "notes.txt").read_text() == "mine"
    assert alssim.load(out).seed == 9


@pytest.mark.slow
def test_run_force_refuses_to_overwrite_a_users_file_of_the_same_name(tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    (out / "summary.json").write_text('{"mine": true}')
    proc = _cli("run", DEFAULT, *SMALL, "--out", str(out), "--force")
    assert proc.returncode == 1
    assert "summary.json" in _one_line(proc.stderr)
    assert (out / "summary.json").read_text() == '{"mine": true}'
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]


@pytest.mark.slow
def test_plot_force_replaces_alssims_figures_only(tmp_path):
    out = tmp_path / "r"
    assert main(["run", DEFAULT, *SMALL, "--out", str(out)]) == 0
    (out / "figures").mkdir()
    (out / "figures" / "populations.png").write_bytes(b"the user's own figure")
    proc = _cli("plot", str(out), "--force")
    assert proc.returncode == 1 and "populations.png" in _one_line(proc.stderr)
    assert (out / "figures" / "populations.png").read_bytes() == b"the user's own figure"
    (out / "figures" / "populations.png").unlink()
    assert main(["plot", str(out)]) == 0
    assert main(["plot", str(out), "--force"]) == 0
    assert (out / "figures" / "populations.png").read_bytes()[:4] == b"\x89PNG"


def test_manifest_lists_what_alssim_wrote(tmp_path):
    out = tmp_path / "r"
    assert main(["run", DEFAULT, *SMALL, "--out", str(out)]) == 0
    listed = set((out / MANIFEST_NAME).read_text().split())
    written = {str(p.relative_to(out)) for p in out.rglob("*")
               if p.is_file() and p.name != MANIFEST_NAME}
    assert written <= listed
    assert not (out / LOCK_NAME).exists()  # released


# ------------------------------------------------------------------ one writer (item 2)
@pytest.mark.slow
def test_second_writer_is_refused_naming_the_holder(tmp_path):
    out = tmp_path / "x"
    with OutputFolder(out, command="alssim cohort") as folder:
        folder.reserve("patients.csv")
        for args in (["run", DEFAULT, *SMALL], ["cohort", DEFAULT, *SMALL, "--n", "2",
                                                  "--workers", "1", "--quiet"]):
            proc = _cli(*args, "--out", str(out), "--force")
            assert proc.returncode == 1
            line = _one_line(proc.stderr)
            assert f"pid {os.getpid()}" in line and "alssim cohort" in line
        with pytest.raises(OutputLockedError, match=f"pid {os.getpid()}"):
            OutputFolder(out).open()
    # nothing was written: the folder the holder created is gone with its reservations
    assert not out.exists()


@pytest.mark.slow
def test_two_cohorts_at_once_never_mix(tmp_path):
    out = tmp_path / "x"
    procs = [subprocess.Popen([*CLI, "cohort", DEFAULT, *SMALL, "--n", "6", "--seed", str(s),
                               "--workers", "1", "--quiet", "--out", str(out)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for s in (1, 2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    loser = next(err for code, err in results if code == 1)
    _one_line(loser)
    winner_seed = 1 + [code for code, _ in results].index(0)
    cohort = alssim.load_cohort(out)
    assert cohort.seed == winner_seed and cohort.n == 6
    again = alssim.run_cohort(alssim.load_config(DEFAULT, overrides={
        "simulation.scale": 0.002, "simulation.horizon_years": 3,
        "simulation.output_interval_days": 90}), 6, seed=winner_seed, workers=1,
        progress=False)
    assert cohort.patients.equals(again.patients)


@pytest.mark.slow
def test_resume_refuses_a_record_of_another_run(tmp_path):
    out = tmp_path / "c"
    assert main(["cohort", DEFAULT, *SMALL, "--n", "3", "--seed", "4", "--workers", "1",
                 "--quiet", "--out", str(out)]) == 0
    rec_path = out / "runs" / "00000" / "00000001.json"
    rec = json.loads(rec_path.read_text())
    rec["seed"] += 1  # a record another cohort wrote
    rec_path.write_text(json.dumps(rec))
    (out / "patients.csv").unlink()
    proc = _cli("cohort", DEFAULT, *SMALL, "--n", "3", "--seed", "4", "--workers", "1",
                "--quiet", "--out", str(out))
    assert proc.returncode == 1
    line = _one_line(proc.stderr)
    assert "00000001.json" in line and "seed" in line


def test_resume_runs_nothing_already_recorded(tmp_path, monkeypatch):
    import alssim.batch

    cfg = alssim.load_config(DEFAULT, overrides={"simulation.scale": 0.002,
                                                 "simulation.horizon_years": 3})
    out = tmp_path / "c"
    first = alssim.run_cohort(cfg, 5, seed=2, workers=1, out=out, progress=False)
    stamps = {p: p.stat().st_mtime_ns for p in (out / "runs").rglob("*.json")}

    def no_runs(*args, **kwargs):
        raise AssertionError("a recorded run was simulated again")

    monkeypatch.setattr(alssim.batch.execution, "run_chunk", no_runs)
    again = alssim.run_cohort(cfg, 5, seed=2, workers=1, out=out, progress=False)
    assert again.patients.equals(first.patients)
    assert {p: p.stat().st_mtime_ns for p in (out / "runs").rglob("*.json")} == stamps


# ------------------------------------------------------------------ leftovers (item 4)
_HOLD_AND_DIE = textwrap.dedent("""\
    import os, signal, sys
    from alssim.outdir import OutputFolder
    folder = OutputFolder(sys.argv[1], command="alssim run").open()
    folder.reserve("summary.json")
    stage = os.path.join(sys.argv[1], ".alssim-partial-999-abc")
    os.makedirs(stage)
    open(os.path.join(stage, "result.npz"), "wb").write(b"half")
    open(os.path.join(sys.argv[1], ".summary.json.ab12cd34.tmp"), "w").write("{")
    os.kill(os.getpid(), signal.SIGKILL)
    """)


@pytest.mark.slow
def test_a_killed_writers_lock_and_leftovers_are_reported_and_cleared(tmp_path):
    out = tmp_path / "k"
    proc = subprocess.run([sys.executable, "-c", _HOLD_AND_DIE, str(out)])
    assert proc.returncode == -signal.SIGKILL
    assert json.loads((out / LOCK_NAME).read_text())["pid"] > 0
    run = _cli("run", DEFAULT, *SMALL, "--out", str(out))
    assert run.returncode == 0, run.stderr
    warning = _one_line(run.stderr)
    assert warning.startswith("alssim: warning:") and "ended without releasing" in warning
    names = sorted(p.name for p in out.iterdir())
    assert not [n for n in names if n.startswith(".alssim-partial") or n.endswith(".tmp")]
    assert LOCK_NAME not in names
    alssim.load(out)


@pytest.mark.slow
def test_stale_lock_warning_in_python(tmp_path):
    out = tmp_path / "k"
    subprocess.run([sys.executable, "-c", _HOLD_AND_DIE, str(out)])
    with pytest.warns(StaleLockWarning, match="ended without releasing"), OutputFolder(out):
        pass


# ------------------------------------------------------------------ umask (item 15)
@pytest.mark.slow
@pytest.mark.parametrize(("umask", "dir_mode", "file_mode"),
                         [(0o022, 0o755, 0o644), (0o002, 0o775, 0o664), (0o077, 0o700, 0o600)])
def test_new_output_folders_follow_the_umask(tmp_path, umask, dir_mode, file_mode):
    out = tmp_path / "u" / "run"

    def set_umask():
        os.umask(umask)

    proc = subprocess.run([*CLI, "run", DEFAULT, *SMALL, "--out", str(out), "--plot"],
                          capture_output=True, text=True, preexec_fn=set_umask)
    assert proc.returncode == 0, proc.stderr
    for d in (out, out / "figures", tmp_path / "u"):
        assert d.stat().st_mode & 0o777 == dir_mode, d
    for f in (out / "summary.json", out / "result.npz", out / "figures" / "populations.png"):
        assert f.stat().st_mode & 0o777 == file_mode, f


@pytest.mark.slow
def test_cohort_folders_follow_the_umask(tmp_path):
    out = tmp_path / "c"

    def set_umask():
        os.umask(0o022)

    proc = subprocess.run([*CLI, "cohort", DEFAULT, *SMALL, "--n", "2", "--workers", "1",
                           "--quiet", "--out", str(out), "--trajectories", "1"],
                          capture_output=True, text=True, preexec_fn=set_umask)
    assert proc.returncode == 0, proc.stderr
    for d in (out, out / "runs", out / "runs" / "00000", out / "trajectories"):
        assert d.stat().st_mode & 0o777 == 0o755, d


# ------------------------------------------------------------------ refused before work (item 8)
def _unwritable(tmp_path: Path) -> Path:
    """A folder that cannot be created, even by root: below a regular file."""
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    return blocker / "out"


@pytest.mark.parametrize("command", ["trial", "validate", "run", "cohort", "demo"])
def test_unwritable_out_is_refused_before_any_work(tmp_path, monkeypatch, capsys, command):
    import alssim.batch
    import alssim.cohort
    import alssim.validation

    def no_work(*args, **kwargs):
        raise AssertionError("computed before checking the output folder")

    monkeypatch.setattr(alssim, "run_trial", no_work)
    monkeypatch.setattr(alssim, "simulate", no_work)
    monkeypatch.setattr(alssim.cohort, "execute", no_work)  # run_cohort opens its folder first
    monkeypatch.setattr("alssim.cli.validate.run_validation", no_work)  # the name it calls
    args = {"trial": ["trial", str(configs_dir() / "trials" / "riluzole.toml")],
            "validate": ["validate", "--n", "5"],
            "run": ["run", DEFAULT],
            "cohort": ["cohort", DEFAULT, "--n", "2"],
            "demo": ["demo"]}[command]
    assert main([*args, "--out", str(_unwritable(tmp_path))]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a_file" in err


def test_read_only_out_is_refused_before_any_work(tmp_path, monkeypatch, capsys):
    import alssim.validation

    out = tmp_path / "ro"
    out.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == out
                        else real_access(p, mode, **kw))  # as for a user without write rights

    def no_work(*args, **kwargs):
        raise AssertionError("computed before checking the output folder")

    monkeypatch.setattr(alssim, "run_trial", no_work)
    monkeypatch.setattr("alssim.cli.validate.run_validation", no_work)  # the name it calls
    assert main(["validate", "--n", "5", "--out", str(out)]) == 1
    assert main(["trial", str(configs_dir() / "trials" / "riluzole.toml"),
                 "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "permission denied" in err
    assert list(out.iterdir()) == []


@pytest.mark.slow
def test_symlinked_out_is_followed_and_a_dangling_one_refused(tmp_path):
    target = tmp_path / "scratch"
    target.mkdir()
    link = tmp_path / "results"
    link.symlink_to(target)
    assert main(["run", DEFAULT, *SMALL, "--out", str(link)]) == 0
    assert (target / "result.json").exists() and link.is_symlink()
    dangling = tmp_path / "gone"
    dangling.symlink_to(tmp_path / "nowhere")
    proc = _cli("run", DEFAULT, *SMALL, "--out", str(dangling))
    assert proc.returncode == 1 and "does not exist" in _one_line(proc.stderr)
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.slow
def test_a_huge_teaching_title_is_refused_at_load(tmp_path):
    cfg = tmp_path / "t.toml"
    cfg.write_text('[teaching]\ntitle = "' + "A" * 1_000_000 + '"\n')
    proc = _cli("run", str(cfg), "--out", str(tmp_path / "o"))
    assert proc.returncode == 1
    line = _one_line(proc.stderr)
    assert "teaching.title" in line and "1,000,000 characters" in line and "200" in line
    assert len(line) < 400
    assert not (tmp_path / "o").exists()
