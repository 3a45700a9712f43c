"""Running a batch: tasks packed into chunks, sent to an executor, their records stored and
tabulated as they arrive (:func:`execute`)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from typing import Any

from alssim.batch.store import RunStore, json_default
from alssim.batch.tasks import RunTask, run_chunk
from alssim.executors import BackendLostError, available_cores, resolve_executor, run_tasks

__all__ = ["execute", "unpack"]


def _pack(seed: int, attrs: dict, outs: dict, schemas: dict[tuple, tuple]) -> tuple:
    """Compact form of one run's record: shared column-name tuples, values as JSON text."""
    a_keys, o_keys = tuple(attrs), tuple(outs)
    a_keys = schemas.setdefault(a_keys, a_keys)
    o_keys = schemas.setdefault(o_keys, o_keys)
    values = json.dumps([*attrs.values(), *outs.values()], allow_nan=False,
                        separators=(",", ":"))
    return (seed, a_keys, o_keys, values)


def unpack(packed: tuple) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """``(seed, attributes, outputs)`` of a record packed by :func:`_pack`."""
    seed, a_keys, o_keys, values = packed
    v = json.loads(values)
    return seed, dict(zip(a_keys, v[:len(a_keys)], strict=True)), dict(
        zip(o_keys, v[len(a_keys):], strict=True))


def _chunks(tasks: Sequence[RunTask], size: int):
    for i in range(0, len(tasks), size):
        yield tasks[i:i + size]


def execute(
    config_toml: str,
    tasks: Sequence[RunTask],
    *,
    outputs: Sequence[str] | None,
    executor: Any,
    workers: int | None,
    store: RunStore | None,
    progress: bool,
    desc: str,
    unit: str,
    on_record: Callable[[RunTask, int, dict[str, Any], dict[str, Any]], None],
    chunksize: int | None = None,
    on_trajectory: Callable[[int, Any], None] | None = None,
) -> None:
    """Run ``tasks`` (skipping those recorded in ``store``); hand over each run's record in order.

    Parameters
    ----------
    config_toml : str
        The base config as TOML (plain data for the workers).
    tasks : sequence of RunTask
        In run-id order.
    outputs : sequence of str, optional
        Output name patterns to keep.
    executor, workers
        See :func:`alssim.executors.resolve_executor`.
    store : RunStore, optional
        Resumable folder: finished runs are read from it and new ones written to it at once.
    progress : bool
        Show a tqdm progress bar (terminal or notebook).
    desc, unit : str
        Progress-bar labels.
    on_record : callable
        ``on_record(task, seed, attributes, outputs)`` for every run, in the order of
        ``tasks``, as soon as the run and all runs before it are done (so a caller building a
        table row by row, e.g. with :class:`TableBuilder`, never holds the whole batch's
        records). Fresh and resumed runs give equal records (as read back from their JSON).
        A run that finishes before an earlier one waits packed (see :func:`_pack`: column
        names shared between runs, values as JSON text, about 1-2 kB a run).
    chunksize : int, optional
        Runs per task sent to a worker (a worker simulates them together, see
        :func:`run_many`; they are recorded when the task returns). Default: up to 16, at
        least four tasks per worker.
    on_trajectory : callable, optional
        ``on_trajectory(run_id, result)`` for runs with ``keep_trajectory``, called before the
        run's record is written.
    """
    from tqdm.auto import tqdm

    waiting: dict[int, tuple] = {}
    schemas: dict[tuple, tuple] = {}
    if store is not None:
        by_task = {t.run_id: t for t in tasks}
        for rid in sorted(store.done() & by_task.keys()):
            text = store.read(rid)
            if text is not None:
                rec = json.loads(text)
                task = by_task[rid]
                store.check(rid, rec, task.seed, dict(task.overrides))
                waiting[rid] = _pack(rec["seed"], rec["attributes"], rec["outputs"], schemas)
    todo = [t for t in tasks if t.run_id not in waiting]
    by_id = {t.run_id: t for t in todo}
    bar = tqdm(total=len(tasks), initial=len(waiting), desc=desc, unit=unit,
               disable=not progress, dynamic_ncols=True, smoothing=0.05)
    outputs = list(outputs) if outputs is not None else None
    handed = 0  # tasks[:handed] have been handed to on_record

    def hand_over() -> None:
        nonlocal handed
        while handed < len(tasks) and tasks[handed].run_id in waiting:
            task = tasks[handed]
            on_record(task, *unpack(waiting.pop(task.run_id)))
            handed += 1

    def handle(_index: int, results: list[tuple]) -> None:
        for run_id, attrs, outs, res in results:
            task = by_id[run_id]
            record = {"run_id": run_id, "seed": task.seed, "params": dict(task.overrides),
                      "attributes": attrs, "outputs": outs}
            text = json.dumps(record, allow_nan=False, default=json_default)
            if res is not None and on_trajectory is not None:
                on_trajectory(run_id, res)
            if store is not None:
                store.write(run_id, text)
            rec = json.loads(text)  # exactly what a resumed run reads back
            waiting[run_id] = _pack(rec["seed"], rec["attributes"], rec["outputs"], schemas)
        hand_over()
        bar.update(len(results))

    try:
        hand_over()
        if todo:
            if executor in (None, "processes") and workers is None:
                # no more local processes than there are tasks (one task runs in-process)
                workers = max(1, min(available_cores(), len(todo) // (chunksize or 1)))
            with resolve_executor(executor, workers) as backend:
                size = chunksize or max(1, min(16, len(todo) // (4 * backend.workers)))
                payloads = (
                    (i, (config_toml, [dataclasses.asdict(t) for t in chunk], outputs))
                    for i, chunk in enumerate(_chunks(todo, size)))
                run_tasks(run_chunk, payloads, backend, handle)
    except BackendLostError as exc:  # say what is kept: the records written so far
        done = f"{handed + len(waiting)} of {len(tasks)} runs done"
        kept = (f"{done} and recorded in {store.path}; rerun the same command to resume"
                if store is not None else f"{done}; not kept (give an output folder to keep "
                "finished runs and resume)")
        raise BackendLostError(f"{exc}; {kept}") from None
    finally:
        bar.close()
    if handed != len(tasks):
        raise RuntimeError(f"{len(tasks) - handed} runs finished without a record")
