"""Many runs of one config: the worker function, per-run records and the resumable run folder.

Shared by :mod:`alssim.cohort` and :mod:`alssim.sweep`. A *run* is one simulated patient,
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
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import io
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alssim._version import __version__
from alssim.config.loader import config_from_text
from alssim.engine import simulate, simulate_batch
from alssim.errors import ConfigError, ResultFormatError, escape_text, show_value
from alssim.executors import BackendLostError, available_cores, resolve_executor, run_tasks
from alssim.fileio import OutputExistsError, atomic_write_text
from alssim.outdir import OutputFolder
from alssim.patients import derive_config, sample_patient
from alssim.resources import engine_batch_size

__all__ = [
    "RunStore",
    "RunTask",
    "TableBuilder",
    "build_table",
    "derive_seed",
    "flatten_summary",
    "input_files",
    "output_names",
    "run_chunk",
    "run_many",
    "select_outputs",
    "spec_hash",
]

RECORD_FORMAT = "alssim.runs"
RECORD_FORMAT_VERSION = 1
#: Summary keys left out of per-run rows (constant or given a column of their own).
_DROPPED = ("alssim_version", "seed")
#: Summary tables that are ``None`` in runs where they do not exist (the D50 fit of a patient
#: without clinical onset, or whose fit fails), with the names of their entries: such a run gets
#: these entries as missing values, so every run of a config has the same columns in the same
#: order whichever run comes first.
OPTIONAL_TABLES: dict[str, tuple[str, ...]] = {
    "clinical.d50": ("d50_months", "dx_months", "rmse", "highly_aggressive"),
}


def derive_seed(seed: int, index: int) -> int:
    """Integer seed (< 2**63) of run ``index`` of a batch started with ``seed``."""
    state = np.random.SeedSequence(int(seed), spawn_key=(int(index),)).generate_state(
        2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1])) & (2**63 - 1)


@dataclasses.dataclass(frozen=True)
class RunTask:
    """Plain-data description of one run.

    Attributes
    ----------
    run_id : int
    seed : int
        Seed of :func:`alssim.simulate` (and of the patient's attributes).
    overrides : tuple of (str, value)
        Dotted-key overrides of the run's parameter point (empty for a cohort).
    heterogeneous : bool
        Sample patient attributes from the ``[cohort]`` tables.
    keep_trajectory : bool
        Return the full :class:`~alssim.results.Result` as well.
    """

    run_id: int
    seed: int
    overrides: tuple[tuple[str, Any], ...] = ()
    heterogeneous: bool = False
    keep_trajectory: bool = False


def _scalar(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def flatten_summary(summary: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flat scalar columns of a (nested) result summary.

    Nested dicts become dotted names (``loss_months.lmn:bulbar:left.lost_50``); lists of scalars
    become one ``";"``-joined string (``order_of_involvement``); non-finite floats become
    ``None``; the keys ``alssim_version`` and ``seed`` are left out at the top level. A table
    of :data:`OPTIONAL_TABLES` that is ``None`` (e.g. ``clinical.d50`` without clinical onset)
    gives its entries as ``None`` (``clinical.d50.d50_months``, ...), never a column of its
    own: every run of a config has the same names (see :func:`output_names`).
    """
    out: dict[str, Any] = {}
    for k, v in summary.items():
        if not prefix and k in _DROPPED:
            continue
        key = f"{prefix}{k}"
        if v is None and key in OPTIONAL_TABLES:
            out.update(dict.fromkeys((f"{key}.{e}" for e in OPTIONAL_TABLES[key]), None))
        elif isinstance(v, Mapping):
            out.update(flatten_summary(v, prefix=f"{key}."))
        elif isinstance(v, list | tuple):
            items = [_scalar(x) for x in v]
            if all(x is None or isinstance(x, str | int | float | bool) for x in items):
                out[key] = ";".join("" if x is None else str(x) for x in items)
            else:
                out[key] = json.dumps(items, sort_keys=True, default=str)
        else:
            out[key] = _scalar(v)
    return out


def select_outputs(outputs: dict[str, Any], patterns: Sequence[str] | None) -> dict[str, Any]:
    """Keep the outputs whose names match any of ``patterns`` (fnmatch); all if ``None``."""
    if patterns is None:
        return outputs
    return {k: v for k, v in outputs.items() if any(fnmatch.fnmatchcase(k, p) for p in patterns)}


def output_names(cfg) -> list[str]:
    """The output names of every run of ``cfg``, in table order, known before any run.

    Parameters
    ----------
    cfg : Config
        The base config of a sweep or cohort.

    Returns
    -------
    list of str
        The flattened summary names (:func:`flatten_summary`) that each run of ``cfg`` has:
        the same for every run, seed, swept value and patient, since the summary's layout
        depends only on the anatomy (segments, sides, populations, King's regions).

    Notes
    -----
    The names are read from the summary of one probe run of ``cfg`` made tiny (``scale`` at
    most 0.001, every population keeping at least one neuron, and a horizon of at most two
    output intervals): the very code that names the outputs of the real runs, in a few
    milliseconds. Tables that are missing in some runs (:data:`OPTIONAL_TABLES`) have their
    entries named either way.
    """

    sim = cfg.simulation
    days = min(sim.horizon_years * 365.25, max(2 * sim.output_interval_days, sim.dt_days))
    probe = cfg.with_overrides({"simulation.scale": min(sim.scale, 0.001),
                                "simulation.horizon_years": days / 365.25,
                                "simulation.memory_limit_gb": 0.0})
    return list(flatten_summary(simulate(probe, seed=0).summary))


def unmatched_patterns(patterns: Sequence[str], names: Sequence[str]) -> list[str]:
    """The ``patterns`` (names or glob patterns) that match none of ``names``."""
    return [p for p in patterns if not any(fnmatch.fnmatchcase(n, p) for n in names)]


# --------------------------------------------------------------------------- worker side
_POINT_CACHE: dict[tuple, Any] = {}


def _base_config(config_toml: str):
    return config_from_text(config_toml, "batch config")


def _point_config(config_toml: str, overrides: tuple[tuple[str, Any], ...]):
    cfg = _base_config(config_toml)
    if not overrides:
        return cfg
    pkey = (config_toml, overrides)
    pcfg = _POINT_CACHE.get(pkey)
    if pcfg is None:
        pcfg = cfg.with_overrides(dict(overrides))
        if len(_POINT_CACHE) > 64:
            _POINT_CACHE.clear()
        _POINT_CACHE[pkey] = pcfg
    return pcfg


def _prepare(cfg, task: RunTask):
    """The run's config and its sampled patient attributes (empty unless heterogeneous)."""

    if not task.heterogeneous:
        return cfg, {}
    patient = sample_patient(cfg, np.random.SeedSequence(task.seed))
    return derive_config(cfg, patient), {k: _scalar(v) for k, v in patient.as_row().items()}


def run_many(cfgs: Sequence[Any], tasks: Sequence[RunTask], outputs: Sequence[str] | None = None):
    """Simulate runs, several at a time through one engine loop.

    Parameters
    ----------
    cfgs : sequence of Config
        The config of each run's parameter point (before patient attributes are applied).
    tasks : sequence of RunTask
    outputs : sequence of str, optional
        Output name patterns to keep (see :func:`select_outputs`).

    Returns
    -------
    list of (attributes, outputs, Result or None)
        Per task: the patient's sampled attributes (empty unless heterogeneous), the flattened
        summary (see :func:`flatten_summary`) and the full result if the task keeps it. Each is
        what the run gives alone (:func:`alssim.engine.simulate_batch` is exact per patient).
    """

    prepared = [_prepare(cfg, task) for cfg, task in zip(cfgs, tasks, strict=True)]
    size = engine_batch_size(prepared[0][0]) if prepared else 1
    out = []
    for j in range(0, len(prepared), size):
        part = prepared[j:j + size]
        part_tasks = tasks[j:j + size]
        results = simulate_batch([c for c, _ in part], [t.seed for t in part_tasks])
        for task, (_, attrs), res in zip(part_tasks, part, results, strict=True):
            outs = select_outputs(flatten_summary(res.summary), outputs)
            out.append((attrs, outs, res if task.keep_trajectory else None))
    return out


def run_chunk(config_toml: str, tasks: list[dict], outputs: list[str] | None) -> list[tuple]:
    """Worker entry point: run the tasks of a chunk (plain dicts of :class:`RunTask` fields).

    Returns
    -------
    list of (run_id, attributes, outputs, Result or None)
    """
    parsed = [RunTask(**{**t, "overrides": tuple(tuple(kv) for kv in t["overrides"])})
              for t in tasks]
    cfgs = [_point_config(config_toml, t.overrides) for t in parsed]
    return [(t.run_id, *done) for t, done in zip(parsed, run_many(cfgs, parsed, outputs),
                                                  strict=True)]


# --------------------------------------------------------------------------- tables
def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"cannot store {type(obj).__name__} in a run record")


#: Column dtypes whose CSV round trip is exact, so they are kept as they are.
_EXACT_DTYPES = (np.dtype("float64"), np.dtype("int64"), np.dtype("bool"))


def read_csv_exact(source: Any, **kwargs: Any) -> pd.DataFrame:
    """Parse CSV written by :func:`table_to_csv` (``source`` as for :func:`pandas.read_csv`).

    Only empty cells are missing values; floats are parsed to round-trip exactly. ``kwargs``
    go to :func:`pandas.read_csv`.
    """

    # pandas >= 3.1 parses floats exactly by default and deprecates the option; before, the
    # default parser may miss the last digit
    major, minor = (int(part) for part in pd.__version__.split(".")[:2])
    exact = {} if (major, minor) >= (3, 1) else {"float_precision": "round_trip"}
    return pd.read_csv(source, keep_default_na=False, na_values=[""], **exact, **kwargs)


def parser_block_rows(width: int) -> int:
    """Rows at a time over which :func:`pandas.read_csv` infers column types.

    With ``low_memory=True`` (the default), pandas' C parser reads a table of ``width`` columns
    in blocks of this many rows (the largest power of two below half of ``2**20 // width``),
    infers each column's type per block and then combines the blocks: a column can thus come
    out as ``object`` holding values typed differently in different blocks.
    """
    limit = 2**20 // max(int(width), 1)
    rows = 1
    while rows * 2 < limit:
        rows *= 2
    return rows


def _column_csv(column: pd.Series) -> io.BytesIO:
    """The cells of ``column`` as written in the CSV of its table (one line per row).

    An empty second column is written too: a one-column CSV writes missing values as blank
    lines.
    """

    buf = io.BytesIO()
    pd.DataFrame({0: column, 1: None}, copy=False).to_csv(
        buf, header=False, index=False, lineterminator="\n", encoding="utf-8")
    buf.seek(0)
    return buf


def _read_column(buf: io.BytesIO, width: int) -> Any:
    """A column as it reads back from its :func:`_column_csv`, typed as in its whole table.

    The cells are parsed in blocks of :func:`parser_block_rows` ``(width)`` rows, ``width``
    being the number of columns of the whole table, and the blocks combined as pandas
    combines the blocks of one parse, so that the cells get the types they get in a parse of
    the whole table's CSV.
    """

    with read_csv_exact(buf, header=None, usecols=[0],
                        chunksize=parser_block_rows(width)) as reader:
        blocks = [block.pop(0) for block in reader]
    if len(blocks) == 1:
        return blocks[0]
    # pandas combines the blocks' arrays as parsed, string columns still object arrays, and
    # makes a str column of a combined object array of strings (done here by the DataFrame
    # that the table is built as)
    blocks = [pd.Series(b.to_numpy(dtype=object), dtype=object, copy=False)
              if isinstance(b.dtype, pd.StringDtype) else b for b in blocks]
    return pd.concat(blocks, ignore_index=True).to_numpy()


class TableBuilder:
    """Build a run table from rows added in run order, in memory close to the table's own size.

    Parameters
    ----------
    leading : sequence of str
        Columns that come first; the others come in order of first appearance.
    chunk : int
        Rows converted together (pandas infers the type of a column's values per chunk).

    Notes
    -----
    The table is the one that ``DataFrame.from_records`` of the rows, ``chunk`` rows at a time
    and concatenated, reads back as from its CSV (see :func:`alssim.cohort.canonical_table`):
    same columns, dtypes, values and :func:`table_to_csv` text, so saved and in-memory tables
    are equal. It is built without a CSV of the whole table: each chunk of rows, held as tuples
    of values with shared column names, becomes typed column pieces at once; at the end float,
    integer and boolean columns are kept as they are (their CSV round trip is exact) and each
    other column goes through CSV text alone.
    """

    def __init__(self, leading: Sequence[str] = (), chunk: int = 2000) -> None:
        self._pieces: dict[str, list[tuple[int, Any]]] = {c: [] for c in leading}
        self._chunk = int(chunk)
        self._batch: list[tuple[tuple[str, ...], tuple]] = []
        self._schemas: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._n = 0

    def __len__(self) -> int:
        """Number of rows added."""
        return self._n + len(self._batch)

    def add(self, row: Mapping[str, Any]) -> None:
        """Add the next row (column name to scalar value)."""
        keys = tuple(row)
        self._batch.append((self._schemas.setdefault(keys, keys), tuple(row.values())))
        if len(self._batch) >= self._chunk:
            self._flush()

    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        self._schemas.clear()
        schemas = list(dict.fromkeys(keys for keys, _ in batch))
        present = tuple(dict.fromkeys(k for keys in schemas for k in keys))
        # each row's values in the order of ``present``; a missing value is NaN, as
        # DataFrame.from_records fills in rows given as dicts
        order: dict[tuple[str, ...], list[int] | None] = {}
        for keys in schemas:
            pos = {k: i for i, k in enumerate(keys)}
            order[keys] = None if keys == present else [pos.get(c, len(keys)) for c in present]
        rows = [values if (where := order[keys]) is None else
                tuple(map((*values, np.nan).__getitem__, where))
                for keys, values in batch]
        del batch
        if present:
            frame = pd.DataFrame.from_records(rows, columns=list(present))
            for c in present:
                self._pieces.setdefault(c, []).append((self._n, _piece(frame[c])))
        self._n += len(rows)

    def finish(self) -> pd.DataFrame:
        """The table of the rows added (call once: the builder gives its pieces away)."""

        if self._batch:
            self._flush()
        names, n = list(self._pieces), self._n
        if n == 0 or not names:
            text = table_to_csv(pd.DataFrame.from_records([{}] * n, columns=names))
            return read_csv_exact(io.BytesIO(text.encode("utf-8")))
        columns: dict[str, Any] = {}
        for name in names:
            column = _join_pieces(self._pieces.pop(name), n)
            if not (isinstance(column.dtype, np.dtype) and column.dtype in _EXACT_DTYPES):
                csv_buffer = _column_csv(column)
                del column
                column = _read_column(csv_buffer, len(names))
                del csv_buffer
            columns[name] = column
        # assembled as pandas.read_csv assembles its tables (no consolidation copy)
        return pd.DataFrame(columns, copy=False)


def _piece(column: pd.Series) -> Any:
    """A chunk's column as an array of its own (string columns share repeated values)."""

    if isinstance(column.dtype, pd.StringDtype):
        codes, uniques = column.array.factorize()
        return uniques.take(codes, allow_fill=True)
    if isinstance(column.dtype, np.dtype):
        return column.to_numpy(copy=True)
    return column.array.copy()


def _join_pieces(pieces: list[tuple[int, Any]], n: int) -> pd.Series:
    """One column of ``n`` rows from its ``(first row, array)`` pieces; other rows are NaN."""

    parts: list[Any] = []
    pos = 0
    for start, values in pieces:
        if start > pos:
            parts.append(np.full(start - pos, np.nan))
        parts.append(values)
        pos = start + len(values)
    if pos < n:
        parts.append(np.full(n - pos, np.nan))
    if len(parts) == 1:
        return pd.Series(parts[0], copy=False)
    return pd.concat([pd.Series(p, copy=False) for p in parts], ignore_index=True)


def build_table(rows: Iterable[Mapping[str, Any]], leading: Sequence[str] = (),
                chunk: int = 2000) -> pd.DataFrame:
    """The run table of ``rows`` (already in run order), as it reads back from its CSV.

    Rows are consumed lazily (see :class:`TableBuilder`); columns come in order of first
    appearance, those named in ``leading`` first; missing values are ``NaN``.
    """
    builder = TableBuilder(leading, chunk)
    for row in rows:
        builder.add(row)
    return builder.finish()


def table_to_csv(df) -> str:
    """CSV text of a run table, byte-identical for equal tables (full float precision)."""
    return df.to_csv(index=False, lineterminator="\n")


# --------------------------------------------------------------------------- run folder
def spec_hash(spec: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a batch specification."""
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"), allow_nan=False,
                      default=_json_default)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def input_files(cfg: Any, *sources: str | None) -> list[str]:
    """The files a batch reads, never to be overwritten in its output folder: the file ``cfg``
    was read from and ``sources`` (e.g. a sweep spec), those that are existing files."""
    names = (getattr(cfg, "source", None), *sources)
    return [p for p in names if p and Path(p).is_file()]


class RunStore:
    """A resumable run folder: ``spec.json`` plus one atomically written record per run.

    The folder is opened as an :class:`alssim.outdir.OutputFolder`: locked against other
    writers for as long as the store is open, with a manifest of what alssim wrote there.

    Parameters
    ----------
    path : str or Path
        The folder (created if needed).
    spec : dict
        JSON-ready specification of the whole batch; its hash identifies the folder.
    force : bool
        Start afresh: delete what alssim wrote in the folder before (the records and
        ``extra_owned`` outputs of whatever batch made it). Nothing else is ever deleted. Without
        it, a folder made by another specification, or a non-empty folder that is not a run
        folder, is refused.
    extra_owned : sequence of str
        Files (or folders, with a trailing ``/``) that the batch writes besides its records;
        reserved at once, so that a file of the user's with one of these names is refused
        before any run.
    inputs : sequence of path-like
        Files the command reads (its config or spec); never deleted or overwritten.
    command : str
        What is writing, for the lock record.

    Raises
    ------
    OutputExistsError
        With a message saying how the folder differs and what to do.
    OutputLockedError
        If another process is writing into the folder.
    """

    def __init__(self, path: str | Path, spec: Mapping[str, Any], *, force: bool = False,
                 extra_owned: Sequence[str] = (), inputs: Sequence[str | Path] = (),
                 command: str = "alssim"):

        self.path = Path(path)
        self.spec = dict(spec)
        self.hash = spec_hash(spec)
        self.runs_dir = self.path / "runs"
        self.folder = OutputFolder(self.path, force=force, inputs=inputs, command=command)
        self.folder.open()
        try:
            self._start(force, extra_owned)
        except BaseException:
            self.folder.close()
            raise

    def _start(self, force: bool, extra_owned: Sequence[str]) -> None:
        folder = self.folder
        spec_path = self.path / "spec.json"
        existing = None
        if spec_path.is_file():
            try:
                existing = json.loads(spec_path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError, OSError):
                existing = {}
            if not isinstance(existing, dict):
                existing = {}
        same = existing is not None and existing.get("spec_sha256") == self.hash
        if existing is not None and same and not force:
            if not folder.owns("spec.json") and existing.get("format") == RECORD_FORMAT:
                folder.adopt("spec.json", "runs/")  # written by an alssim without manifests
            folder.reserve("runs/", *extra_owned)
            return  # resume
        if folder.contents() and not force:
            if existing is not None:
                old = str(existing.get("spec_sha256", "?"))[:12]
                raise OutputExistsError(
                    f"{self.path}: holds runs of a different specification (spec hash {old}, "
                    f"this one {self.hash[:12]}); choose another output folder or pass --force "
                    "(force=True) to discard them")
            folder.require_empty("it is not an alssim run folder and")
        if force:
            folder.discard_owned()
        # every name the batch writes, reserved before any run: a user's file is refused now
        folder.reserve("spec.json", "runs/", *extra_owned)
        atomic_write_text(spec_path, json.dumps({
            "format": RECORD_FORMAT,
            "format_version": RECORD_FORMAT_VERSION,
            "alssim_version": __version__,
            "spec_sha256": self.hash,
            "spec": self.spec,
        }, indent=1, sort_keys=True, allow_nan=False, default=_json_default) + "\n")

    def close(self) -> None:
        """Release the folder's lock."""
        self.folder.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record_path(self, run_id: int) -> Path:
        return self.runs_dir / f"{run_id // 1000:05d}" / f"{run_id:08d}.json"

    def done(self) -> set[int]:
        """Ids of the runs whose records are on disk."""
        ids: set[int] = set()
        if not self.runs_dir.is_dir():
            return ids
        for sub in self.runs_dir.iterdir():
            if not sub.is_dir():
                continue
            for f in sub.iterdir():
                if f.suffix == ".json" and not f.name.startswith(".") and f.stem.isdigit():
                    ids.add(int(f.stem))
        return ids

    def write(self, run_id: int, record_json: str) -> None:
        """Write one run's record (JSON text) atomically."""
        atomic_write_text(self.record_path(run_id), record_json)

    def read(self, run_id: int) -> str | None:
        """One run's record as JSON text, or ``None`` if it is missing or unreadable (it will
        then be run again)."""
        try:
            text = self.record_path(run_id).read_text(encoding="utf-8")
            rec = json.loads(text)
        except (OSError, json.JSONDecodeError, UnicodeDecodeError):
            return None
        return text if isinstance(rec, dict) and rec.get("run_id") == run_id else None

    def check(self, run_id: int, record: Mapping[str, Any], seed: int,
              params: Mapping[str, Any]) -> None:
        """Refuse a recorded run whose seed or parameters are not those the spec gives it.

        Raises
        ------
        ResultFormatError
            Naming the record, what it holds and what the spec asks for.
        """

        want = json.loads(json.dumps(dict(params), allow_nan=False, default=_json_default))
        got_seed, got_params = record.get("seed"), record.get("params")
        if got_seed == seed and got_params == want:
            return
        what = (f"seed {got_seed!r}, but the spec gives this run seed {seed}"
                if got_seed != seed else
                f"parameters {_short(got_params)}, but the spec gives {_short(want)}")
        raise ResultFormatError(
            f"{self.record_path(run_id)}: this record of run {run_id} has {what}; the folder "
            "mixes the runs of two specifications. Pass --force (force=True) to discard alssim's "
            "runs there and start afresh, or choose another output folder")


def _short(value: Any) -> str:
    """A record's parameters for a message: canonical JSON, escaped and cut."""
    return escape_text(json.dumps(value, sort_keys=True, default=str), 120)


def check_patterns(patterns: Any, key: str = "outputs", *, cfg: Any = None,
                   source: str | None = None) -> list[str] | None:
    """Validate an ``outputs`` selection (``None`` or a list of names / glob patterns).

    Parameters
    ----------
    patterns : None, str or sequence of str
        Output names or :mod:`fnmatch` patterns (``"loss_months.lmn:*.lost_50"``).
    key : str
        The key named in errors.
    cfg : Config, optional
        The base config of the runs: every pattern must then match at least one of its
        :func:`output_names` (checked before any run).
    source : str, optional
        The file the selection came from, named in errors.

    Returns
    -------
    list of str or None

    Raises
    ------
    ConfigError
        Naming ``key``: not a list of non-empty strings, an empty list, or (with ``cfg``) a
        pattern that matches no output, with the nearest output names.
    """

    if patterns is None:
        return None
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list | tuple) or not all(isinstance(p, str) and p
                                                          for p in patterns):
        raise ConfigError("must be a list of output names or glob patterns; got "
                          f"{show_value(patterns)}", key=key, source=source)
    if not patterns:
        raise ConfigError("must name at least one output", key=key, source=source)
    patterns = list(patterns)
    if cfg is not None:
        names = output_names(cfg)
        missing = unmatched_patterns(patterns, names)
        if missing:
            raise ConfigError(_no_match_message(missing[0], names), key=key, source=source)
    return patterns


def _no_match_message(pattern: str, names: Sequence[str]) -> str:
    """``pattern matches no output``, with the nearest names (difflib) or examples of names."""
    import difflib

    # glob characters are compared as written; a near miss of a name is usually a typo
    close = difflib.get_close_matches(pattern, list(names), n=3, cutoff=0.6)
    if close:
        hint = "did you mean " + " or ".join(repr(c) for c in close) + "?"
    else:
        heads = list(dict.fromkeys(n.split(".")[0] for n in names))
        hint = (f"output names start with {', '.join(heads)} (e.g. {names[-1]!r}); glob "
                "patterns such as 'loss_months.*.lost_50' select several")
    return f"{show_value(pattern)} matches no output of these runs; {hint}"


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
            text = json.dumps(record, allow_nan=False, default=_json_default)
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
