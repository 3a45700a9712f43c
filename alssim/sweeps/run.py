"""Running a sweep: its runs (points times replicates, with their seeds) on any executor, resumable
in a run folder, and its result (:func:`sweep`; :func:`load_runs` reads the runs table back)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from alssim._version import __version__
from alssim.batch import (
    RunStore,
    RunTask,
    TableBuilder,
    check_patterns,
    derive_seed,
    execute,
    input_files,
    read_table_file,
    require_pyarrow,
)
from alssim.config.schema import check_seed
from alssim.executors import local_workers
from alssim.resources import check_batch_memory, design_points
from alssim.streams import SeedLike, resolve_seed
from alssim.sweeps.design import check_int, make_design
from alssim.sweeps.result import OWNED, SweepResult

__all__ = ["load_runs", "sweep"]


def sweep(
    cfg,
    design: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    replicates: int = 1,
    seed: int | None = None,
    executor: Any = None,
    out: str | Path | None = None,
    *,
    method: str | None = None,
    n: int | None = None,
    workers: int | None = None,
    outputs: Sequence[str] | None = None,
    heterogeneity: bool = False,
    common_random_numbers: bool = True,
    force: bool = False,
    rng: SeedLike = None,
    parquet: bool = False,
    progress: bool = True,
    chunksize: int | None = None,
    source: str | None = None,
) -> SweepResult:
    """Run ``cfg`` at every point of a design, ``replicates`` times each.

    Parameters
    ----------
    cfg : Config
        Base config.
    design : dict or list of dict
        Swept dotted keys: lists of values (grid; any 1-D sequence, e.g. a NumPy array) or
        ranges ``{"low", "high", "scale"}``; or a list of explicit points. See
        :func:`make_design`.
    replicates : int
        Runs per point, each with its own seed.
    seed : int, optional
        Seed of the sweep (default ``cfg.simulation.seed``).
    parquet : bool
        With ``out``, also write ``runs.parquet``: the same table with its column types (needs
        pyarrow, ``pip install "alssim[parquet]"``).
    rng : int, SeedSequence or Generator, optional
        Instead of ``seed`` (SPEC 7): an int is the seed; a ``Generator`` gives one integer
        draw and a ``SeedSequence`` the integer of its state, which the result records as its
        seed (:func:`alssim.streams.resolve_seed`).
    executor : None, str, int, Executor or dask.distributed.Client
        Where to run; default every local core (:func:`alssim.executors.resolve_executor`).
    out : str or Path, optional
        Resumable folder: ``spec.json``, one record per finished run (written atomically the
        moment it finishes) and ``runs.csv`` at the end. Rerunning the same sweep skips the
        recorded runs; a folder of another sweep is refused unless ``force``.
    method : str, optional
        Design (see :data:`METHODS`); ``"sobol"``/``"morris"`` make designs for
        :func:`alssim.sensitivity.analyze`.
    n : int, optional
        Number of points / base samples / trajectories (sampled methods).
    workers : int, optional
        Local processes (with ``executor=None``).
    outputs : sequence of str, optional
        Output columns to keep (names or glob patterns); default all. Each must match at
        least one output of the runs (:func:`alssim.batch.output_names`), checked before any
        run: a pattern that matches nothing is a ConfigError naming the nearest names.
    heterogeneity : bool
        Each run is a patient sampled from the ``[cohort]`` tables (attributes in the table).
    common_random_numbers : bool
        Replicate ``r`` uses the same seed at every point (default), else a seed per run.
    force : bool
        Discard another sweep's runs in ``out`` instead of refusing.
    progress : bool
        Show a progress bar.
    chunksize : int, optional
        Runs per task sent to a worker, simulated together and recorded when the task returns
        (default: up to 16, at least four tasks per worker).
    source : str, optional
        Where the design came from (a spec file), named in errors.

    Returns
    -------
    SweepResult
        Its ``runs`` table has one row per run, ordered by ``run_id``: ``run_id``, ``point``,
        ``replicate``, ``seed``, the swept keys, patient attributes (with ``heterogeneity``),
        outputs; ``attrs["sweep"]`` and the result's ``design`` hold the design description
        for :func:`alssim.sensitivity.analyze`. (Before it returned this object, ``sweep``
        returned the table itself: DataFrame operations on the result still reach the table,
        with a ``DeprecationWarning``.)

    Raises
    ------
    ConfigError
        For a bad design (naming the key), method, sample size, replicates, seed or outputs
        (an output pattern that matches no output of the runs).
    OutputExistsError
        If ``out`` holds another sweep (or anything else) and ``force`` is false.
    """
    if parquet:
        require_pyarrow()  # before any run
    replicates = check_int(replicates, "replicates", 1, source)
    seed = resolve_seed(seed, rng)
    seed = cfg.simulation.seed if seed is None else seed
    seed = check_seed(seed, key="seed", source=source)  # simulation.seed's range
    # every output pattern must match an output of these runs: checked now, not after the runs
    patterns = check_patterns(outputs, cfg=cfg, source=source)
    # refuse, before the design is made, a sweep whose design, tasks, table and local workers
    # would not fit in memory (counted from the design's sizes alone)
    n_points, n_keys = design_points(design, method, n)
    check_batch_memory(cfg, n_points * replicates, workers=local_workers(executor, workers),
                       n_points=n_points, n_keys=n_keys, what="sweep")
    points, meta = make_design(cfg, design, method, n, seed, source)
    config_toml = cfg.to_toml()
    tasks = []
    for p, point in enumerate(points):
        overrides = tuple(point.items())
        for r in range(replicates):
            rid = p * replicates + r
            s = derive_seed(seed, r if common_random_numbers else rid)
            tasks.append(RunTask(run_id=rid, seed=s, overrides=overrides,
                                 heterogeneous=bool(heterogeneity)))
    meta = {**meta, "replicates": replicates, "seed": seed,
            "common_random_numbers": bool(common_random_numbers)}
    spec = {"kind": "sweep", "alssim_version": __version__, "config_toml": config_toml,
            "points": points, "design": {k: v for k, v in meta.items() if k != "transformed"},
            "heterogeneity": bool(heterogeneity), "outputs": patterns}
    inputs = input_files(cfg, source)
    spec_text = Path(source).read_text(encoding="utf-8") if source in inputs else None
    store = (RunStore(out, spec, force=force, extra_owned=OWNED, inputs=inputs,
                      command="alssim sweep") if out is not None else None)
    try:
        return _run_sweep(cfg, tasks, meta, points, replicates, patterns, config_toml, executor,
                          workers, store, progress, chunksize, spec_text, parquet, seed, spec)
    finally:
        if store is not None:
            store.close()


def _run_sweep(cfg, tasks, meta, points, replicates, patterns, config_toml, executor, workers,
               store, progress, chunksize, spec_text, parquet, seed, spec) -> SweepResult:
    keys = [a["key"] for a in meta["axes"]]
    # the table is built as the runs finish, so their records are not all held at once
    builder = TableBuilder(leading=("run_id", "point", "replicate", "seed", *keys))

    def add_row(task: RunTask, seed_t: int, attrs: dict[str, Any], outs: dict[str, Any]) -> None:
        p, r = divmod(task.run_id, replicates)
        builder.add({"run_id": task.run_id, "point": p, "replicate": r, "seed": seed_t,
                     **{k: points[p][k] for k in keys}, **attrs, **outs})

    execute(config_toml, tasks, outputs=patterns, executor=executor, workers=workers,
            store=store, progress=progress, desc="sweep", unit="run", on_record=add_row,
            chunksize=chunksize)

    table = builder.finish()
    # the design description (small, comparable) for alssim.sensitivity.analyze
    table.attrs["sweep"] = {k: v for k, v in meta.items() if k != "transformed"}
    result = SweepResult(table, table.attrs["sweep"], seed, cfg, spec, sweep_toml=spec_text)
    if store is not None:
        result._write_tables(store.path, parquet=parquet)
    return result


def load_runs(path: str | Path) -> pd.DataFrame:
    """Read a ``runs.csv`` written by a sweep, exactly as it was in memory (each column read as
    its kind in ``runs.schema.json`` beside it; see :mod:`alssim.batch.schema`).

    With the sweep's ``spec.json`` beside it (a sweep's output folder), ``attrs["sweep"]``
    holds the design description as in the runs table of the :class:`SweepResult` that
    :func:`sweep` returned (the swept keys, for :func:`alssim.analysis.plot_sweep` and
    :func:`alssim.sensitivity.analyze`). :func:`load_sweep` loads the whole result.
    """
    import json

    path = Path(path)
    table = read_table_file(path)
    try:
        spec = json.loads((path.parent / "spec.json").read_text(encoding="utf-8"))["spec"]
    except (OSError, ValueError, KeyError, TypeError):
        return table
    if not isinstance(spec, dict) or spec.get("kind") != "sweep":
        return table
    design = spec.get("design")
    axes = design.get("axes") if isinstance(design, dict) else None
    if isinstance(axes, list) and axes and all(
            isinstance(a, dict) and a.get("key") in table.columns for a in axes):
        table.attrs["sweep"] = design  # the spec of this very table
    return table
