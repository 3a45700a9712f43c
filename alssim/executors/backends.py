"""The backend contract (:class:`Backend`: submit a task, wait for results, shut down) and its in-
process and :mod:`concurrent.futures` implementations."""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable, Iterable
from typing import Any

from alssim.errors import AlssimError

__all__ = ["Backend", "BackendLostError"]


class BackendLostError(AlssimError):
    """The place runs execute failed as a whole: a Dask scheduler stopped or has no workers, or
    a local worker process died. Runs already handed back stay handed (callers that record them
    say how many are done)."""


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
