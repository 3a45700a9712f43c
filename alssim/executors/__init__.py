"""Where the runs of a cohort or a sweep execute: in-process, local processes, or Dask.

:func:`resolve_executor` turns what a user passes (``None``, ``"serial"``, ``"processes"``, a
worker count, any :class:`concurrent.futures.Executor`, a ``dask.distributed.Client`` or a
scheduler address) into a :class:`Backend`; :func:`run_tasks` runs a module-level function on a
stream of plain-data payloads through it, with a bounded number of tasks in flight, and hands
each result to a callback in the main process as it completes.

Results are identified by the payload index, never by completion order, so the callers
(:mod:`alssim.cohort`, :mod:`alssim.sweeps`) produce identical tables whatever the backend and
worker count.

Local processes use the ``"spawn"`` start method: workers import alssim afresh, the functions
they run are module-level and their arguments plain data, so the same code works on Linux, macOS,
Windows and inside Jupyter notebooks. A spawned worker also re-imports the program's main script;
when that would re-run the caller's work (a script without an ``if __name__ == "__main__":``
guard) or cannot work (a program read from standard input), the runs execute serially in the
calling process instead, with one :class:`SerialFallbackWarning`. Workers exit as soon as the
process that started them dies (even by ``kill -9``), so none outlives its caller holding its
pipes.

Modules: :mod:`~alssim.executors.backends` (the :class:`Backend` contract, in-process and
:mod:`concurrent.futures` backends), :mod:`~alssim.executors.dask` (the Dask backend),
:mod:`~alssim.executors.local` (local cores, spawned workers, the serial fallback) and
:mod:`~alssim.executors.run` (:func:`resolve_executor`, :func:`run_tasks`).
"""

from __future__ import annotations

from alssim.executors.backends import Backend, BackendLostError
from alssim.executors.local import SerialFallbackWarning, available_cores, local_workers
from alssim.executors.run import resolve_executor, run_tasks

__all__ = [
    "Backend",
    "BackendLostError",
    "SerialFallbackWarning",
    "available_cores",
    "local_workers",
    "resolve_executor",
    "run_tasks",
]
