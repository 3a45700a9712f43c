"""Where the runs of a cohort or a sweep execute: in-process, local processes, or Dask.

:func:`resolve_executor` turns what a user passes (``None``, ``"serial"``, ``"processes"``, a
worker count, any :class:`concurrent.futures.Executor`, a ``dask.distributed.Client`` or a
scheduler address) into a :class:`Backend`; :func:`run_tasks` runs a module-level function on a
stream of plain-data payloads through it, with a bounded number of tasks in flight, and hands
each result to a callback in the main process as it completes.

Results are identified by the payload index, never by completion order, so the callers
(:mod:`alssim.cohort`, :mod:`alssim.sweep`) produce identical tables whatever the backend and
worker count.

Local processes use the ``"spawn"`` start method: workers import alssim afresh, the functions
they run are module-level and their arguments plain data, so the same code works on Linux, macOS,
Windows and inside Jupyter notebooks. A spawned worker also re-imports the program's main script;
when that would re-run the caller's work (a script without an ``if __name__ == "__main__":``
guard) or cannot work (a program read from standard input), the runs execute serially in the
calling process instead, with one :class:`SerialFallbackWarning`. Workers exit as soon as the
process that started them dies (even by ``kill -9``), so none outlives its caller holding its
pipes.
"""

from __future__ import annotations

import ast
import concurrent.futures as cf
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import tokenize
import warnings
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

from alssim.errors import AlssimError, ConfigError

__all__ = ["Backend", "BackendLostError", "SerialFallbackWarning", "available_cores",
           "local_workers", "resolve_executor", "run_tasks"]

#: Seconds a Dask run waits for its scheduler to have a worker (at the start or when every
#: worker has left) before it gives up with a :class:`BackendLostError` (long enough for an
#: adaptive cluster to start a worker; a warning says at once that it is waiting).
DASK_WORKER_WAIT_SECONDS = 300.0

#: Seconds between checks of a Dask cluster's health while waiting for results.
DASK_POLL_SECONDS = 2.0


class BackendLostError(AlssimError):
    """The place runs execute failed as a whole: a Dask scheduler stopped or has no workers, or
    a local worker process died. Runs already handed back stay handed (callers that record them
    say how many are done)."""


class SerialFallbackWarning(RuntimeWarning):
    """Local worker processes were asked for but cannot work here; the runs go serially.

    Raised (as a warning) when spawned workers would re-run the calling script (no
    ``if __name__ == "__main__":`` guard) or cannot re-import it (read from standard input).
    """


def available_cores() -> int:
    """Number of CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def local_workers(executor: Any = None, workers: int | None = None) -> int:
    """How many runs an executor choice holds in this machine's memory at once.

    ``workers`` when given; every core for the default local processes; one otherwise (serial,
    or a remote executor such as a Dask cluster, whose runs live in other machines' memory).
    """
    if isinstance(workers, int) and workers > 0:
        return workers
    return available_cores() if executor in (None, "processes") else 1


#: Seconds between a worker's checks that its parent is still alive (parent death through the
#: inherited pipe is noticed at once; this bounds the fallback check of the parent pid).
PARENT_POLL_SECONDS = 0.5


def _worker_init(parent_pid: int) -> None:
    """Worker initialiser: Ctrl-C is handled by the main process alone; exit with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True,
                     name="alssim-parent-watch").start()


def _exit_with_parent(parent_pid: int) -> None:
    """End this worker process at once when ``parent_pid`` is gone.

    A spawned worker holds the read end of a pipe whose write end only its parent holds
    (``multiprocessing.parent_process().sentinel``): it becomes readable when the parent dies,
    however it dies. The parent pid is checked too, for platforms without that sentinel and
    for a parent that forked copies of the pipe.
    """
    parent = multiprocessing.parent_process()
    sentinel = getattr(parent, "sentinel", None)
    while True:
        if sentinel is not None:
            try:
                if multiprocessing.connection.wait([sentinel], timeout=PARENT_POLL_SECONDS):
                    os._exit(1)
            except OSError:  # pragma: no cover - sentinel unusable: fall back to polling
                sentinel = None
        else:  # pragma: no cover - platforms without a parent sentinel
            threading.Event().wait(PARENT_POLL_SECONDS)
        if os.getppid() != parent_pid:
            os._exit(1)


def _is_main_guard(node: ast.stmt) -> bool:
    """Whether ``node`` is ``if __name__ == "__main__":`` (either operand order)."""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    t = node.test
    if len(t.ops) != 1 or not isinstance(t.ops[0], ast.Eq):
        return False
    sides = [t.left, t.comparators[0]]
    return any(isinstance(a, ast.Name) and a.id == "__name__" for a in sides) and any(
        isinstance(a, ast.Constant) and a.value == "__main__" for a in sides)


def _guarded(path: str, lineno: int) -> bool | None:
    """Whether line ``lineno`` of script ``path`` lies in the body of a top-level main guard.

    ``None`` when the script cannot be read or parsed.
    """
    try:
        with tokenize.open(path) as f:
            tree = ast.parse(f.read(), filename=path)
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return None
    for node in tree.body:
        if isinstance(node, ast.If) and _is_main_guard(node) and \
                node.body[0].lineno <= lineno <= (node.body[-1].end_lineno or lineno):
            return True
    return False


def _main_frame(main: Any) -> FrameType | None:
    """The outermost frame running the main module's top-level code, if on this stack."""
    found = None
    f: FrameType | None = sys._getframe(1)
    g = vars(main)
    while f is not None:
        if f.f_globals is g and f.f_code.co_name == "<module>":
            found = f
        f = f.f_back
    return found


def _spawn_problem() -> tuple[str, FrameType | None] | None:
    """Why spawned workers cannot serve this program, and the caller's top-level frame.

    A spawned worker re-imports the main module (as ``__mp_main__``) before it runs anything:
    by module name (``python -m mod``; skipped for a package's ``__main__``), or by path.
    ``None`` when that is harmless: no main file (interactive, ``python -c``, Jupyter), or the
    call is made from inside the script's ``if __name__ == "__main__":`` block (or from code
    that is not the script's top level, or the script cannot be parsed: left as it is).
    """
    main = sys.modules.get("__main__")
    if main is None:  # pragma: no cover - embedded interpreters
        return None
    frame = _main_frame(main)
    name = getattr(getattr(main, "__spec__", None), "name", None)
    path = getattr(main, "__file__", None)
    if name is not None:
        if name == "__main__" or name.endswith(".__main__"):
            return None
    elif path is None:
        return None
    else:
        full = path
        if not os.path.isabs(full):
            base = multiprocessing.process.ORIGINAL_DIR or os.getcwd()  # type: ignore[attr-defined]
            full = os.path.join(base, full)
        full = os.path.normpath(full)
        if os.path.splitext(os.path.basename(full))[0] == "ipython":
            return None
        if not os.path.isfile(full):
            what = "standard input" if path == "<stdin>" else f"{path!r}, which is not a file"
            return (f"worker processes cannot re-import a main program read from {what}", frame)
    if frame is None or path is None or not os.path.isfile(frame.f_code.co_filename):
        return None
    try:
        same = os.path.samefile(frame.f_code.co_filename, path)
    except OSError:
        return None
    if not same or _guarded(path, frame.f_lineno) is not False:
        return None
    script = os.path.basename(path)
    return (f"worker processes would re-run the top-level code of {script} (line "
            f"{frame.f_lineno} is not under `if __name__ == \"__main__\":`)", frame)


_fallback_warned = False


def _serial_fallback(problem: tuple[str, FrameType | None], n: int) -> None:
    """Warn, once per process, at the caller's line of the main script, that runs go serially."""
    global _fallback_warned
    if _fallback_warned:
        return
    _fallback_warned = True
    reason, frame = problem
    fix = ("save it as a file with its work under" if "re-import" in reason
           else "put the script's work under")
    msg = (f"{reason}; running serially in this process (to use {n} worker processes, {fix} "
           f"`if __name__ == \"__main__\":`)")
    if frame is None:
        warnings.warn(msg, SerialFallbackWarning, stacklevel=3)
        return
    registry = frame.f_globals.setdefault("__warningregistry__", {})
    warnings.warn_explicit(msg, SerialFallbackWarning, frame.f_code.co_filename, frame.f_lineno,
                           module="__main__", registry=registry)


def _is_dask_client(obj: Any) -> bool:
    return type(obj).__module__.split(".")[0] == "distributed" and hasattr(obj, "submit") \
        and hasattr(obj, "scheduler_info")


def _require_dask():
    try:
        import distributed
    except ImportError:  # pragma: no cover - depends on the environment
        raise AlssimError(
            "running on a Dask cluster needs dask.distributed; install it with "
            "`pip install 'alssim[dask]'`") from None
    return distributed


class Backend:
    """Runs tasks somewhere. Use as a context manager; :meth:`close` frees what it created.

    Attributes
    ----------
    name : str
        ``"serial"``, ``"processes"``, ``"executor"`` or ``"dask"``.
    workers : int
        Number of tasks that can run at once (a hint for how many to keep in flight).
    """

    name = "serial"

    def __init__(self, workers: int = 1):
        self.workers = workers

    def submit(self, fn: Callable, *args: Any) -> Any:
        raise NotImplementedError

    def wait_first(self, handles: set) -> tuple[set, set]:
        """Block until at least one of ``handles`` is done; return ``(done, pending)``."""
        raise NotImplementedError

    def result(self, handle: Any) -> Any:
        return handle.result()

    def cancel(self, handles: Iterable) -> None:
        for h in handles:
            h.cancel()

    def close(self, *, abort: bool = False) -> None:
        """Release resources this backend created (never an executor the user passed)."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(abort=exc_type is not None)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}, {self.workers} worker(s)>"


class SerialBackend(Backend):
    """Runs each task in the calling process, when it is asked for its result."""

    name = "serial"


_BROKEN_POOL = ("a worker process ended abruptly (killed, out of memory, or it re-ran a main "
                "script that has no `if __name__ == \"__main__\":` guard)")


class FuturesBackend(Backend):
    """Any :class:`concurrent.futures.Executor`; shut down on close only if ``owned``."""

    def __init__(self, executor: cf.Executor, workers: int, *, owned: bool, name: str):
        super().__init__(workers)
        self.executor = executor
        self.owned = owned
        self.name = name

    def submit(self, fn, *args):
        try:
            return self.executor.submit(fn, *args)
        except cf.process.BrokenProcessPool:
            raise BackendLostError(_BROKEN_POOL) from None

    def wait_first(self, handles):
        done, pending = cf.wait(handles, return_when=cf.FIRST_COMPLETED)
        return set(done), set(pending)

    def result(self, handle):
        try:
            return handle.result()
        except cf.process.BrokenProcessPool:
            raise BackendLostError(_BROKEN_POOL) from None

    def close(self, *, abort: bool = False) -> None:
        if self.owned:
            self.executor.shutdown(wait=not abort, cancel_futures=True)


#: Client-side loggers that report a lost scheduler with tracebacks from background tasks.
_CONNECTION_LOGGERS = ("distributed", "distributed.client", "distributed.core",
                       "distributed.comm", "distributed.batched", "tornado", "asyncio")


class DaskBackend(Backend):
    """A ``dask.distributed.Client``; closed on close only if this backend created it.

    A scheduler without workers is waited for (a :class:`UserWarning` says so at once) for
    :data:`DASK_WORKER_WAIT_SECONDS`, at the start and whenever every worker has left; a lost
    scheduler is a one-line :class:`BackendLostError` naming its address. While a client this
    backend created is open, the client-side loggers of distributed, tornado and asyncio
    (:data:`_CONNECTION_LOGGERS`) are silenced: a scheduler that dies makes them log tracebacks
    (``Batched Comm Closed``, reconnection attempts) from background tasks, sometimes before the
    backend has noticed the loss, and alssim reports the loss itself in one line. Their levels
    are restored on close.
    """

    name = "dask"

    def __init__(self, client: Any, *, owned: bool, address: str | None = None):
        self.client = client
        self.owned = owned
        self.address = address or _client_address(client)
        self._no_workers_since: float | None = None
        self._quiet_levels: dict[str, int] | None = None
        self._closed = False
        if owned:
            self._quiet_logging()
        n = self._threads()
        if n == 0:
            n = self._wait_for_workers()
        super().__init__(max(1, n))

    def _threads(self) -> int:
        """Worker threads the scheduler has; -1 when it cannot tell (an unusual scheduler)."""
        try:
            workers = self.client.scheduler_info()["workers"]
        except Exception:  # a client of an unusual scheduler still works, with a guess
            return -1
        return sum(w.get("nthreads", 1) for w in workers.values())

    def _wait_for_workers(self) -> int:
        wait = DASK_WORKER_WAIT_SECONDS
        warnings.warn(f"the Dask scheduler at {self.address} has no workers; waiting up to "
                      f"{wait:g} s for one to join (start one with `dask worker {self.address}`)",
                      UserWarning, stacklevel=4)
        try:
            self.client.wait_for_workers(1, timeout=wait)
        except Exception as exc:
            lost = self._lost(exc)
            if lost is not None:
                raise lost from None
            self._close_quietly()
            raise BackendLostError(
                f"no worker joined the Dask scheduler at {self.address} within {wait:g} s; "
                f"start workers with `dask worker {self.address}`, or run locally without "
                "a scheduler") from None
        return max(1, self._threads())

    def _lost(self, exc: BaseException) -> BackendLostError | None:
        """A one-line error if ``exc`` (or the client's state) says the scheduler is gone."""
        distributed = _require_dask()
        status = str(getattr(self.client, "status", "running"))
        text = str(exc)
        comm_closed = getattr(getattr(distributed, "comm", None), "CommClosedError", ())
        if status in ("running", "newly-created") and "scheduler-connection-lost" not in text \
                and not isinstance(exc, comm_closed):
            return None
        self._close_quietly()
        return BackendLostError(
            f"lost the connection to the Dask scheduler at {self.address}: the scheduler "
            "stopped or the network failed")

    def _call(self, what: Callable[[], Any]) -> Any:
        try:
            return what()
        except (KeyboardInterrupt, AlssimError):
            raise
        except Exception as exc:
            lost = self._lost(exc)
            if lost is not None:
                raise lost from None
            raise

    def submit(self, fn, *args):
        return self._call(lambda: self.client.submit(fn, *args, pure=False))

    def wait_first(self, handles):
        distributed = _require_dask()
        while True:
            try:
                res = self._call(lambda: distributed.wait(list(handles), timeout=DASK_POLL_SECONDS,
                                                          return_when="FIRST_COMPLETED"))
            except TimeoutError:
                self._check_cluster()
                continue
            return set(res.done), set(res.not_done)

    def _check_cluster(self) -> None:
        """While waiting: a lost scheduler is an error; no workers for too long is one too."""
        import time

        status = str(getattr(self.client, "status", "running"))
        if status not in ("running", "newly-created"):
            raise self._lost(RuntimeError(status)) or BackendLostError(self.address)
        if self._threads() != 0:
            self._no_workers_since = None
            return
        now = time.monotonic()
        if self._no_workers_since is None:
            self._no_workers_since = now
            warnings.warn(f"every worker has left the Dask scheduler at {self.address}; "
                          f"waiting up to {DASK_WORKER_WAIT_SECONDS:g} s for one to join",
                          UserWarning, stacklevel=2)
        elif now - self._no_workers_since > DASK_WORKER_WAIT_SECONDS:
            raise BackendLostError(
                f"the Dask scheduler at {self.address} has had no workers for "
                f"{DASK_WORKER_WAIT_SECONDS:g} s; start workers with "
                f"`dask worker {self.address}`")

    def result(self, handle):
        return self._call(handle.result)

    def cancel(self, handles):
        handles = list(handles)
        if handles and str(getattr(self.client, "status", "running")) == "running":
            try:
                self.client.cancel(handles)
            except Exception:  # the cluster is failing: nothing left to cancel
                pass

    def _quiet_logging(self) -> None:
        """Silence :data:`_CONNECTION_LOGGERS`, remembering their levels (once)."""
        if self._quiet_levels is not None:
            return
        import logging

        self._quiet_levels = {n: logging.getLogger(n).level for n in _CONNECTION_LOGGERS}
        for n in _CONNECTION_LOGGERS:
            logging.getLogger(n).setLevel(logging.CRITICAL + 1)

    def _restore_logging(self) -> None:
        if self._quiet_levels is None:
            return
        import logging

        for name, level in self._quiet_levels.items():
            logging.getLogger(name).setLevel(level)
        self._quiet_levels = None

    def _close_quietly(self) -> None:
        """Close a client this backend created without distributed's reconnect tracebacks."""
        if not self.owned or self._closed:
            return
        self._quiet_logging()
        self._closed = True
        try:
            self.client.close(timeout=5)
        except Exception:  # closing a client whose scheduler is gone
            pass

    def close(self, *, abort: bool = False) -> None:
        if self.owned and not self._closed:
            self._closed = True
            self.client.close()
        self._restore_logging()


def _client_address(client: Any) -> str:
    try:
        return str(client.scheduler.address)
    except Exception:  # only used in messages
        return "(unknown address)"


_BOOTSTRAP_MESSAGE = (
    "a worker process re-imported the main script and reached its call into alssim: put the "
    "script's work under `if __name__ == \"__main__\":`")


def _inside_spawn_bootstrap() -> bool:
    """Whether this is a spawned process still importing its parent's main module."""
    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


def resolve_executor(executor: Any = None, workers: int | None = None) -> Backend:
    """The backend for ``executor``.

    Parameters
    ----------
    executor : None, str, int, Executor or dask.distributed.Client
        ``None`` or ``"processes"``: local processes (``workers`` of them, default every core;
        one worker runs in-process). ``"serial"``: in the calling process. An ``int``: that many
        local processes. A :class:`concurrent.futures.Executor`: used as is (not shut down). A
        ``dask.distributed.Client``: its cluster (not closed). A string that is a scheduler
        address (``"tcp://host:8786"``): a client connected to it (closed afterwards).
    workers : int, optional
        Number of local processes when ``executor`` is ``None`` or ``"processes"``.

    Returns
    -------
    Backend

    Raises
    ------
    ConfigError
        If ``executor`` or ``workers`` is not one of the above.
    AlssimError
        If a Dask scheduler is asked for and dask.distributed is not installed or cannot be
        reached, or if called by a spawned worker while it re-imports an unguarded main script.
    BackendLostError
        If a Dask scheduler gets no worker within :data:`DASK_WORKER_WAIT_SECONDS`.

    Warns
    -----
    SerialFallbackWarning
        When local processes are asked for but spawned workers would re-run the calling script
        (no ``if __name__ == "__main__":`` guard around the call) or cannot re-import it (read
        from standard input): the returned backend is serial.
    UserWarning
        When a Dask scheduler has no workers yet (it is waited for).
    """
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise ConfigError(f"must be a positive integer; got {workers!r}", key="workers")
    if isinstance(executor, bool):
        raise ConfigError(f"must be an executor, a worker count or a name; got {executor!r}",
                          key="executor")
    if isinstance(executor, int):
        if executor < 1:
            raise ConfigError(f"must be a positive worker count; got {executor}",
                              key="executor")
        workers, executor = executor, "processes"
    if executor is None:
        executor = "processes"
    if isinstance(executor, str):
        if executor == "serial":
            return SerialBackend()
        if executor == "processes":
            n = workers or available_cores()
            if n == 1:
                return SerialBackend()
            if _inside_spawn_bootstrap():
                # a spawned worker re-importing an unguarded script reached this call
                raise AlssimError(_BOOTSTRAP_MESSAGE)
            problem = _spawn_problem()
            if problem is not None:
                _serial_fallback(problem, n)
                return SerialBackend()
            pool = cf.ProcessPoolExecutor(max_workers=n,
                                          mp_context=multiprocessing.get_context("spawn"),
                                          initializer=_worker_init, initargs=(os.getpid(),))
            return FuturesBackend(pool, n, owned=True, name="processes")
        if "://" in executor or ":" in executor:
            distributed = _require_dask()
            try:
                client = distributed.Client(executor, timeout="10s")
            except OSError as exc:
                raise AlssimError(f"cannot reach the Dask scheduler at {executor}: {exc}") \
                    from None
            return DaskBackend(client, owned=True, address=executor)
        raise ConfigError(
            f"must be 'serial', 'processes', a worker count, a concurrent.futures.Executor, a "
            f"dask.distributed.Client or a scheduler address like 'tcp://host:8786'; "
            f"got {executor!r}", key="executor")
    if isinstance(executor, cf.Executor):
        n = getattr(executor, "_max_workers", None) or available_cores()
        return FuturesBackend(executor, int(n), owned=False, name="executor")
    if _is_dask_client(executor):
        return DaskBackend(executor, owned=False)
    raise ConfigError(f"must be an executor, a worker count or a name; got {executor!r}",
                      key="executor")


def run_tasks(
    fn: Callable[..., Any],
    payloads: Iterable[tuple[int, tuple]],
    backend: Backend,
    on_result: Callable[[int, Any], None],
    *,
    in_flight: int | None = None,
) -> None:
    """Run ``fn(*args)`` for each ``(index, args)`` of ``payloads`` on ``backend``.

    Parameters
    ----------
    fn : callable
        A module-level function (picklable by reference), taking plain-data arguments.
    payloads : iterable of (int, tuple)
        Consumed lazily: at most ``in_flight`` tasks are submitted and unfinished at a time, so
        memory does not grow with the number of tasks.
    backend : Backend
    on_result : callable
        Called in the calling process as ``on_result(index, result)`` as each task completes
        (in completion order; callers key results by ``index``).
    in_flight : int, optional
        Default: four tasks per worker.

    If a task raises, or the caller is interrupted (Ctrl-C), the unstarted tasks are cancelled
    and the exception propagates; results already handed to ``on_result`` stay handed. A
    backend that fails as a whole (a dead worker process, a lost Dask scheduler) raises a
    one-line :class:`BackendLostError`.
    """
    if isinstance(backend, SerialBackend):
        for index, args in payloads:
            on_result(index, fn(*args))
        return
    limit = in_flight or 4 * backend.workers
    it = iter(payloads)
    pending: dict[Any, int] = {}
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < limit:
                try:
                    index, args = next(it)
                except StopIteration:
                    exhausted = True
                    break
                pending[backend.submit(fn, *args)] = index
            if not pending:
                return
            done, _ = backend.wait_first(set(pending))
            for h in sorted(done, key=pending.__getitem__):
                index = pending.pop(h)
                on_result(index, backend.result(h))
    except BaseException:
        backend.cancel(list(pending))
        raise
