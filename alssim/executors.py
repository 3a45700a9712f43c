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
Windows and inside Jupyter notebooks.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable
from typing import Any

from alssim.errors import AlssimError, ConfigError

__all__ = ["Backend", "available_cores", "local_workers", "resolve_executor", "run_tasks"]


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


def _ignore_sigint() -> None:
    """Worker initialiser: Ctrl-C is handled by the main process alone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


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


class FuturesBackend(Backend):
    """Any :class:`concurrent.futures.Executor`; shut down on close only if ``owned``."""

    def __init__(self, executor: cf.Executor, workers: int, *, owned: bool, name: str):
        super().__init__(workers)
        self.executor = executor
        self.owned = owned
        self.name = name

    def submit(self, fn, *args):
        return self.executor.submit(fn, *args)

    def wait_first(self, handles):
        done, pending = cf.wait(handles, return_when=cf.FIRST_COMPLETED)
        return set(done), set(pending)

    def close(self, *, abort: bool = False) -> None:
        if self.owned:
            self.executor.shutdown(wait=not abort, cancel_futures=True)


class DaskBackend(Backend):
    """A ``dask.distributed.Client``; closed on close only if this backend created it."""

    name = "dask"

    def __init__(self, client: Any, *, owned: bool):
        self.client = client
        self.owned = owned
        try:
            n = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
        except Exception:  # a client of an unusual scheduler still works, with a guess
            n = 1
        super().__init__(max(1, n))

    def submit(self, fn, *args):
        return self.client.submit(fn, *args, pure=False)

    def wait_first(self, handles):
        distributed = _require_dask()
        res = distributed.wait(list(handles), return_when="FIRST_COMPLETED")
        return set(res.done), set(res.not_done)

    def cancel(self, handles):
        handles = list(handles)
        if handles:
            self.client.cancel(handles)

    def close(self, *, abort: bool = False) -> None:
        if self.owned:
            self.client.close()


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
        If a Dask scheduler is asked for and dask.distributed is not installed.
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
            pool = cf.ProcessPoolExecutor(max_workers=n,
                                          mp_context=multiprocessing.get_context("spawn"),
                                          initializer=_ignore_sigint)
            return FuturesBackend(pool, n, owned=True, name="processes")
        if "://" in executor or ":" in executor:
            distributed = _require_dask()
            try:
                client = distributed.Client(executor, timeout="10s")
            except OSError as exc:
                raise AlssimError(f"cannot reach the Dask scheduler at {executor}: {exc}") \
                    from None
            return DaskBackend(client, owned=True)
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
    and the exception propagates; results already handed to ``on_result`` stay handed.
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
