"""The Dask backend: tasks on a ``dask.distributed`` cluster, waiting for workers to join and
noticing when they leave."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from alssim.errors import AlssimError, import_optional
from alssim.executors.backends import Backend, BackendLostError

__all__ = ["is_dask_client", "require_dask"]


#: Seconds a Dask run waits for its scheduler to have a worker (at the start or when every
#: worker has left) before it gives up with a :class:`BackendLostError` (long enough for an
#: adaptive cluster to start a worker; a warning says at once that it is waiting).
DASK_WORKER_WAIT_SECONDS = 300.0


#: Seconds between checks of a Dask cluster's health while waiting for results.
DASK_POLL_SECONDS = 2.0


def is_dask_client(obj: Any) -> bool:
    return type(obj).__module__.split(".")[0] == "distributed" and hasattr(obj, "submit") \
        and hasattr(obj, "scheduler_info")


def require_dask():
    return import_optional("distributed", "dask", "running on a Dask cluster")


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
        distributed = require_dask()
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
        distributed = require_dask()
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
