"""Many runs of one config: the worker function, per-run records and the resumable run folder.

Shared by :mod:`alssim.cohort` and :mod:`alssim.sweeps`. A *run* is one simulated patient,
described by plain data (:class:`RunTask`): its id, integer seed, the dotted-key overrides of its
parameter point, whether it is a heterogeneous patient of a cohort, and whether to keep its
trajectories. The worker function :func:`run_chunk` is module-level and takes the base config as
TOML text, so it runs unchanged in-process, in spawned processes and on Dask workers.

Seeds
    Run ``i`` of a batch started with ``seed`` gets the integer
    ``derive_seed(seed, i) = SeedSequence(seed, spawn_key=(i,)).generate_state(2)`` (63 bits),
    the seed of :func:`alssim.simulate` and of the patient's attributes. It depends only on the
    batch seed and the run's index, never on the worker or the completion order, and
    ``alssim run --seed N`` (with the patient's config) reproduces the run alone.

Run folder (``out=DIR``)
    ``DIR/spec.json`` holds the specification and its SHA-256; each finished run is written
    atomically to ``DIR/runs/NNNNN/RRRRRRRR.json`` the moment its result reaches the main
    process. Running the same specification again skips the runs on disk; a folder made by a
    different specification is refused.

Modules: :mod:`~alssim.batch.tasks` (seeds, :class:`RunTask`, the worker :func:`run_chunk` and
the summary row), :mod:`~alssim.batch.store` (the run folder, :class:`RunStore`),
:mod:`~alssim.batch.table` (the tidy table, :class:`TableBuilder`, written and read with its
schema), :mod:`~alssim.batch.schema` (column kinds, :class:`TableSchema`) and
:mod:`~alssim.batch.execution` (:func:`execute`, which drives them on an executor).
"""

from __future__ import annotations

from alssim.batch.execution import execute, unpack
from alssim.batch.schema import COLUMN_KINDS, TableSchema, read_csv_exact, typed_table
from alssim.batch.store import (
    RECORD_FORMAT,
    RECORD_FORMAT_VERSION,
    RunStore,
    input_files,
    spec_hash,
)
from alssim.batch.table import (
    TableBuilder,
    build_table,
    read_table_file,
    require_pyarrow,
    table_to_csv,
    table_to_parquet,
    write_table,
)
from alssim.batch.tasks import (
    OPTIONAL_TABLES,
    RunTask,
    check_patterns,
    derive_seed,
    flatten_summary,
    output_names,
    run_chunk,
    run_many,
    select_outputs,
    unmatched_patterns,
)

__all__ = [
    "COLUMN_KINDS",
    "OPTIONAL_TABLES",
    "RECORD_FORMAT",
    "RECORD_FORMAT_VERSION",
    "RunStore",
    "RunTask",
    "TableBuilder",
    "TableSchema",
    "build_table",
    "check_patterns",
    "derive_seed",
    "execute",
    "flatten_summary",
    "input_files",
    "output_names",
    "read_csv_exact",
    "read_table_file",
    "require_pyarrow",
    "run_chunk",
    "run_many",
    "select_outputs",
    "spec_hash",
    "table_to_csv",
    "table_to_parquet",
    "typed_table",
    "unmatched_patterns",
    "unpack",
    "write_table",
]
