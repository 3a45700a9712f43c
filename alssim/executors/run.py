"""Choosing a backend from what a user passes (:func:`resolve_executor`) and running a stream of
tasks through it (:func:`run_tasks`)."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import multiprocessing.connection
import os
from collections.abc import Callable, Iterable
from typing import Any

from alssim.errors import AlssimError, ConfigError
from alssim.executors.backends import Backend, FuturesBackend, SerialBackend
from alssim.executors.dask import DaskBackend, is_dask_client, require_dask
from alssim.executors.local import (
    BOOTSTRAP_MESSAGE,
    available_cores,
    inside_spawn_bootstrap,
    serial_fallback,
    spawn_problem,
    worker_init,
)

__all__ = ["resolve_executor", "run_tasks"]


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
            if inside_spawn_bootstrap():
                # a spawned worker re-importing an unguarded script reached this call
                raise AlssimError(BOOTSTRAP_MESSAGE)
            problem = spawn_problem()
            if problem is not None:
                serial_fallback(problem, n)
                return SerialBackend()
            pool = cf.ProcessPoolExecutor(max_workers=n,
                                          mp_context=multiprocessing.get_context("spawn"),
                                          initializer=worker_init, initargs=(os.getpid(),))
            return FuturesBackend(pool, n, owned=True, name="processes")
        if "://" in executor or ":" in executor:
            distributed = require_dask()
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
    if is_dask_client(executor):
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
