"""Executors: the README's Python block runs as a script and from standard input, workers exit
with their parent, Dask failures are one line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------- the README's Python block
def _readme_block() -> str:
    """The README's "From Python" block, shrunk to test size through the same calls."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## From Python"):]
    block = re.search(r"```python\n(.*?)```", section, re.S)
    assert block is not None, "README has no python block under 'From Python'"
    code = block.group(1)
    for old, new in (("n=1000", "n=4"), ("replicates=10", "replicates=1")):
        assert old in code, f"the README block changed: {old!r} not found; update this test"
        code = code.replace(old, new)
    # the same API, a small model: every config the block loads is shrunk
    prelude = (
        "import alssim\n"
        "_load = alssim.load_config\n"
        "_small = {'simulation.scale': 0.01, 'simulation.horizon_years': 3.0,\n"
        "          'simulation.dt_days': 7.0, 'simulation.output_interval_days': 28.0}\n"
        "alssim.load_config = lambda path=None, overrides=None, **kw: "
        "_load(path, overrides={**_small, **(overrides or {})}, **kw)\n")
    return prelude + code + ("print('README block done', cohort.n, len(sweep.runs), "
                             "len(results))\n")


def _run_python(args: list[str], stdin: str | None, tmp: Path) -> subprocess.Popen:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("PYTHONWARNINGS", None)  # Python's default warning filters
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, text=True,
                            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_readme_python_block_runs_as_a_script_and_from_stdin(tmp_path):
    """Unguarded script and ``python -`` finish correctly, serially, with one warning line."""
    code = _readme_block()
    script = tmp_path / "readme_example.py"
    script.write_text(code, encoding="utf-8")
    procs = {"script": _run_python([str(script)], None, tmp_path),
             "stdin": _run_python(["-"], code, tmp_path)}
    for how, p in procs.items():
        try:
            out, err = p.communicate(code if how == "stdin" else None, timeout=120)
        finally:
            p.kill()
        assert p.returncode == 0, f"{how}: exit {p.returncode}\n{err[-3000:]}"
        assert "README block done 4 2 2" in out, f"{how}: {out!r}"
        assert "Traceback" not in err and "BrokenProcessPool" not in err, f"{how}: {err[-3000:]}"
        warnings = [ln for ln in err.splitlines() if "SerialFallbackWarning" in ln]
        assert len(warnings) == 1, f"{how}: {err[-3000:]}"
        assert 'if __name__ == "__main__":' in warnings[0]


@pytest.mark.slow
@pytest.mark.parametrize("guarded", [True, False])
def test_only_a_script_that_spawned_workers_would_rerun_goes_serially(tmp_path, guarded):
    body = ("with resolve_executor(None, 2) as b:\n"
            "    print(b.name)\n")
    if guarded:  # the guard written the other way round, the call inside a function
        body = ("def main():\n" + "".join("    " + ln + "\n" for ln in body.splitlines())
                + "if '__main__' == __name__:\n    main()\n")
    script = tmp_path / "script.py"
    script.write_text("from alssim.executors import resolve_executor\n" + body)
    p = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["processes" if guarded else "serial"]
    assert ("SerialFallbackWarning" in p.stderr) is not guarded, p.stderr


def test_a_worker_reimporting_an_unguarded_script_stops_with_the_instruction(monkeypatch):
    """If a spawned worker still reaches a pool while importing the main script, it stops."""
    import multiprocessing

    from alssim.errors import AlssimError
    from alssim.executors import resolve_executor

    monkeypatch.setattr(multiprocessing.current_process(), "_inheriting", True, raising=False)
    with pytest.raises(AlssimError, match=r"put the script's work under `if __name__ =="):
        resolve_executor(None, 2)
    assert resolve_executor("serial").name == "serial"


# ----------------------------------------------------------------- workers die with their parent
def _proc_stat(pid: int) -> tuple[int, str, int] | None:
    """``(parent pid, state, cpu ticks)`` of a live process, ``None`` when gone (or a zombie)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[1]), fields[0], int(fields[11]) + int(fields[12])


def _spawned_children(parent: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        st = _proc_stat(int(entry.name))
        try:
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if st is not None and st[0] == parent and b"spawn_main" in cmd:
            kids.append(int(entry.name))
    return kids


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_workers_exit_when_their_parent_is_killed(tmp_path):
    """``kill -9`` of ``alssim cohort --workers 2``: its busy workers end and its pipes close."""
    import select
    import signal
    import time

    exe = Path(sys.executable).with_name("alssim")
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "alssim.cli.main"]
    # runs of ~0.5 s in tasks of 16: a worker stays busy for seconds
    p = subprocess.Popen([*cli, "cohort", "configs/default.toml", "--n", "128", "--workers", "2",
                          "--set", "simulation.scale=3", "--out", str(tmp_path / "c"), "--quiet"],
                         cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    workers: list[int] = []
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # both workers past their imports, simulating
            workers = _spawned_children(p.pid)
            cpu = [(_proc_stat(w) or (0, "", 0))[2] / ticks for w in workers]
            if len(workers) == 2 and min(cpu) > 1.5:
                break
            assert p.poll() is None, p.communicate()[1].decode()[-2000:]
            time.sleep(0.1)
        else:
            pytest.fail(f"workers never got busy: {workers}")
        os.kill(p.pid, signal.SIGKILL)
        p.wait(10)
        killed = time.monotonic()
        while time.monotonic() - killed < 5 and any(_proc_stat(w) for w in workers):
            time.sleep(0.05)
        alive = [w for w in workers if _proc_stat(w)]
        assert not alive, f"workers {alive} outlived their killed parent by 5 s"
        # nothing holds the caller's pipes any more: both reach end of file at once
        for pipe in (p.stdout, p.stderr):
            ready, _, _ = select.select([pipe], [], [], 5)
            assert ready, "the pipe is still held open"
            while pipe.read1(65536):  # type: ignore[union-attr]
                pass
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        for w in workers:  # never leave a process behind, even when the test fails
            if _proc_stat(w):
                os.kill(w, signal.SIGKILL)
        p.stdout.close()  # type: ignore[union-attr]
        p.stderr.close()  # type: ignore[union-attr]


# ----------------------------------------------------------------- Dask failures are one line
CLUSTER = """\
import sys, time
from distributed import LocalCluster
if __name__ == "__main__":
    cluster = LocalCluster(n_workers=int(sys.argv[1]), threads_per_worker=1, processes=False,
                           protocol="tcp", scheduler_port=0, dashboard_address=None)
    print(cluster.scheduler_address, flush=True)
    while True:
        time.sleep(60)
"""


def _start_cluster(tmp: Path, workers: int) -> tuple[subprocess.Popen, str]:
    script = tmp / "cluster.py"
    script.write_text(CLUSTER, encoding="utf-8")
    p = subprocess.Popen([sys.executable, str(script), str(workers)], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
    address = p.stdout.readline().strip()  # type: ignore[union-attr]
    if not address.startswith("tcp://"):
        p.kill()
        p.wait()
        pytest.fail(f"the test cluster did not start: {address!r}")
    return p, address


@pytest.mark.slow
def test_a_dask_scheduler_that_dies_is_one_line_and_keeps_the_finished_runs(tmp_path):
    pytest.importorskip("distributed")
    import time

    from tests.conftest import SMALL

    cluster, address = _start_cluster(tmp_path, 1)
    out = tmp_path / "c"
    exe = Path(sys.executable).with_name("alssim")
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "alssim.cli.main"]
    small = [a for k, v in SMALL.items() for a in ("--set", f"{k}={v}")]
    run = subprocess.Popen([*cli, "cohort", "configs/default.toml", "--n", "3000", *small,
                            "--scheduler", address, "--out", str(out), "--quiet"], cwd=ROOT,
                           text=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not any((out / "runs").rglob("*.json")):  # some runs are done: kill the cluster
            assert time.monotonic() < deadline and run.poll() is None, run.communicate()
            time.sleep(0.05)
        cluster.kill()
        cluster.wait()
        _, err = run.communicate(timeout=60)
    finally:
        for p in (cluster, run):
            if p.poll() is None:
                p.kill()
                p.wait()
    lines = err.strip().splitlines()
    assert run.returncode == 1
    assert len(lines) == 1, err
    recorded = len(list((out / "runs").rglob("*.json")))
    assert lines[0].startswith(f"alssim: error: lost the connection to the Dask scheduler at "
                               f"{address}"), lines
    m = re.search(r"(\d+) of 3000 runs done and recorded in ", lines[0])
    assert m and int(m.group(1)) == recorded > 0, (lines, recorded)


def test_a_dask_client_alssim_opens_keeps_distributed_quiet_until_closed():
    # a dying scheduler makes distributed log tracebacks from background tasks ("Batched Comm
    # Closed"), sometimes before the backend notices; alssim reports the loss in one line, so
    # the client-side loggers are silent while its own client is open, and restored after
    import logging

    from alssim.executors.dask import _CONNECTION_LOGGERS, DaskBackend

    class Client:
        closed = False

        def scheduler_info(self):
            return {"workers": {"w": {"nthreads": 2}}}

        def close(self, timeout=None):
            self.closed = True

    batched = logging.getLogger("distributed.batched")
    batched.setLevel(logging.INFO)
    backend = DaskBackend(Client(), owned=True, address="tcp://x:1")
    assert backend.workers == 2
    for name in _CONNECTION_LOGGERS:
        assert not logging.getLogger(name).isEnabledFor(logging.CRITICAL), name
    backend.close()
    assert backend.client.closed and batched.level == logging.INFO
    # a client the user passed keeps its logging
    DaskBackend(Client(), owned=False).close()
    assert batched.isEnabledFor(logging.INFO)


@pytest.mark.slow
def test_a_dask_scheduler_without_workers_says_so_and_gives_up(monkeypatch):
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    import alssim
    from alssim import executors
    from alssim.errors import AlssimError
    from tests.conftest import small_config

    monkeypatch.setattr(executors.dask, "DASK_WORKER_WAIT_SECONDS", 0.5)
    with LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        with pytest.warns(UserWarning, match="has no workers; waiting up to 0.5 s"), \
                pytest.raises(AlssimError, match=r"no worker joined the Dask scheduler at "
                              r"\S+ within 0.5 s; start workers with `dask worker"):
            alssim.run_cohort(small_config(), 4, seed=1, executor=client, progress=False)
        # a worker that joins in time is used
        cluster.scale(1)
        client.wait_for_workers(1, timeout=30)
        cohort = alssim.run_cohort(small_config(), 4, seed=1, executor=client, progress=False)
        assert cohort.n == 4


class _BreaksAfter:
    """A thread pool whose later futures fail with BrokenProcessPool, once the earlier ones
    are done (as when a worker process is killed mid-run)."""

    def __new__(cls, good: int):
        from concurrent.futures import Future, ThreadPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        class Pool(ThreadPoolExecutor):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.submitted: list = []

            def submit(self, fn, /, *args, **kwargs):
                if len(self.submitted) < good:
                    f = super().submit(fn, *args, **kwargs)
                else:
                    f = Future()
                    self.submitted[-1].add_done_callback(
                        lambda _: f.set_exception(BrokenProcessPool("terminated abruptly")))
                self.submitted.append(f)
                return f

        return Pool(max_workers=1)


@pytest.mark.slow
def test_a_pool_that_breaks_mid_cohort_keeps_the_finished_runs_and_says_how_many(tmp_path):
    import alssim
    from alssim.executors import BackendLostError
    from tests.conftest import small_config

    cfg, out = small_config(), tmp_path / "c"
    with _BreaksAfter(2) as pool, pytest.raises(BackendLostError) as info:
        alssim.run_cohort(cfg, 24, seed=1, executor=pool, out=out, progress=False)
    msg = str(info.value)
    recorded = len(list((out / "runs").rglob("*.json")))
    assert "\n" not in msg and msg.startswith("a worker process ended abruptly")
    assert f"; {recorded} of 24 runs done and recorded in {out}; rerun the same command to " \
           "resume" in msg and recorded == 12
    # the final state is on disk: the same call resumes and completes
    assert alssim.run_cohort(cfg, 24, seed=1, executor="serial", out=out, progress=False).n == 24
    # without an output folder the message says the finished runs are not kept
    with _BreaksAfter(2) as pool, pytest.raises(BackendLostError, match=r"12 of 24 runs done; "
                                                 r"not kept \(give an output folder"):
        alssim.sweep(cfg, {"spread.contralateral_rate": [0.01, 0.02]}, replicates=12, seed=1,
                     executor=pool, progress=False)


@pytest.mark.slow
def test_dask_waits_visibly_when_every_worker_leaves_mid_run(monkeypatch):
    pytest.importorskip("distributed")
    import threading
    import time

    from distributed import Client, LocalCluster

    from alssim import executors
    from alssim.executors import BackendLostError, resolve_executor, run_tasks

    monkeypatch.setattr(executors.dask, "DASK_POLL_SECONDS", 0.2)
    monkeypatch.setattr(executors.dask, "DASK_WORKER_WAIT_SECONDS", 1.0)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        got: dict[int, object] = {}
        # a slow task is waited for across polls
        with resolve_executor(client) as backend:
            run_tasks(time.sleep, [(0, (0.6,))], backend, got.__setitem__)
        assert got == {0: None}
        # then the only worker leaves while a task runs: a warning at once, an error after 1 s
        threading.Timer(0.3, cluster.scale, args=(0,)).start()
        with resolve_executor(client) as backend, \
                pytest.warns(UserWarning, match="every worker has left the Dask scheduler"), \
                pytest.raises(BackendLostError, match=r"has had no workers for 1 s; start "
                              r"workers with `dask worker"):
            run_tasks(time.sleep, [(0, (2.5,))], backend, got.__setitem__)
