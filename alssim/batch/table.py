"""The tidy table of a batch: per-run rows joined column by column into one pandas table, each
column typed by its declared kind (:mod:`alssim.batch.schema`), the same however the runs were
split (:class:`TableBuilder`, :func:`build_table`); written as CSV (and Parquet) with its schema
and read back with it (:func:`write_table`, :func:`read_table_file`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from alssim.batch.schema import TableSchema, column_kind, read_csv_exact, schema_path, typed_column
from alssim.errors import import_optional
from alssim.fileio import atomic_write_bytes

__all__ = ["TableBuilder", "build_table", "read_table_file", "require_pyarrow", "table_to_csv",
           "table_to_parquet", "write_table"]


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
    Each chunk of rows, held as tuples of values with shared column names, becomes column
    pieces at once (``DataFrame.from_records``); at the end each column's pieces are joined and
    the column is held as its kind (:func:`alssim.batch.schema.column_kind`, from the types of
    all its values) prescribes. The table is thus :func:`alssim.batch.schema.typed_table` of
    the rows' frame, whatever ``chunk`` is, and reads back equal from its CSV with its schema
    (:func:`write_table`, :func:`read_table_file`).
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
        # each row's values in the order of ``present``; a missing value is NaN
        order: dict[tuple[str, ...], list[int] | None] = {}
        for keys in schemas:
            pos = {k: i for i, k in enumerate(keys)}
            order[keys] = None if keys == present else [pos.get(c, len(keys)) for c in present]
        rows = [values if (where := order[keys]) is None else
                tuple(map((*values, np.nan).__getitem__, where))
                for keys, values in batch]
        del batch
        if present and rows:
            cells = np.empty((len(rows), len(present)), dtype=object)
            cells[:] = rows
            for j, c in enumerate(present):
                self._pieces.setdefault(c, []).append((self._n, _piece(cells[:, j])))
            del cells
        self._n += len(rows)

    def finish(self) -> pd.DataFrame:
        """The table of the rows added (call once: the builder gives its pieces away)."""

        if self._batch:
            self._flush()
        names, n = list(self._pieces), self._n
        columns: dict[str, Any] = {}
        for name in names:
            column = _join_pieces(self._pieces.pop(name), n)
            columns[name] = typed_column(column, column_kind(column))
            del column
        # assembled as pandas.read_csv assembles its tables (no consolidation copy)
        if not names:
            return pd.DataFrame(index=pd.RangeIndex(n))
        return pd.DataFrame(columns, copy=False)


def _piece(values: np.ndarray) -> np.ndarray:
    """A chunk's column of raw values (1-D ``object``) as an array of its own.

    A column of one type (integers, floats, booleans, with no missing value; floats with
    missing values) becomes a typed array; text keeps one object per distinct word. A column
    whose conversion would lose what a value was (integers with missing values or floats,
    booleans with missing values, mixed types) keeps its values, so that the column's kind and
    text depend on all of its values and not on how the rows were chunked.
    """

    inferred = infer_dtype(values, skipna=True)
    missing = pd.isna(values)
    if inferred == "floating" or inferred == "empty":
        return values.astype(np.float64)
    if not missing.any() and inferred in ("integer", "boolean"):
        return values.astype(np.int64 if inferred == "integer" else bool)
    if inferred == "string":
        codes, uniques = pd.factorize(values)
        shared = np.asarray(uniques, dtype=object).take(codes)
        shared[codes < 0] = np.nan
        return shared
    out = values.copy()
    out[missing] = np.nan
    return out


def _join_pieces(pieces: list[tuple[int, Any]], n: int) -> pd.Series:
    """One column of ``n`` rows from its ``(first row, array)`` pieces; other rows are NaN."""

    if not pieces:
        return pd.Series(np.full(n, np.nan), copy=False)
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
    # booleans joined with anything else (missing values included) are objects, True and
    # False kept as such: pandas 3 concatenates them so, pandas 2 casts some joins to float
    # (True -> 1.0); said here, the table is the same on both
    kinds = {p.dtype.kind if isinstance(p, np.ndarray) else "x" for p in parts}
    if "b" in kinds and len(kinds) > 1:
        parts = [p.astype(object) if isinstance(p, np.ndarray) and p.dtype.kind == "b" else p
                 for p in parts]
    return pd.concat([pd.Series(p, copy=False) for p in parts], ignore_index=True)


def build_table(rows: Iterable[Mapping[str, Any]], leading: Sequence[str] = (),
                chunk: int = 2000) -> pd.DataFrame:
    """The run table of ``rows`` (already in run order), each column typed by its kind.

    Rows are consumed lazily (see :class:`TableBuilder`); columns come in order of first
    appearance, those named in ``leading`` first; missing values are ``NaN``.
    """
    builder = TableBuilder(leading, chunk)
    for row in rows:
        builder.add(row)
    return builder.finish()


def table_to_csv(df) -> str:
    """CSV text of a run table, byte-identical for equal tables (full float precision).

    Lines end with ``\\n``, and a cell is quoted when it holds a comma, a quote or a line
    break. A table with a carriage return in a text cell (which CSV readers take for a line
    break unless it is quoted) has every text cell quoted.
    """
    text_columns = [c for c in df.columns if not (isinstance(df[c].dtype, np.dtype)
                                                  and df[c].dtype.kind in "biuf")]
    if any(df[c].astype(object).map(lambda v: isinstance(v, str) and "\r" in v).any()
           for c in text_columns):
        return df.to_csv(index=False, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    return df.to_csv(index=False, lineterminator="\n")


def require_pyarrow() -> None:
    """Check that Parquet can be written: call it before any work whose result is to be
    written as Parquet, so that a missing pyarrow stops the command before it runs.

    Raises
    ------
    AlssimError
        If pyarrow is not installed (the message says how to install it).
    """
    import_optional("pyarrow", "parquet", "writing Parquet")


def table_to_parquet(df: pd.DataFrame) -> bytes:
    """The table as Parquet: the same columns and values as its CSV, with each column's type
    stored in the file (pandas' :meth:`~pandas.DataFrame.to_parquet` with pyarrow, no index).

    Raises
    ------
    AlssimError
        If pyarrow is not installed (:func:`require_pyarrow`).
    """
    require_pyarrow()
    buf = io.BytesIO()
    df.to_parquet(buf, engine="pyarrow", index=False)
    return buf.getvalue()


def write_table(path: str | Path, df: pd.DataFrame, *, parquet: bool = False) -> dict[str, bytes]:
    """Write a run table as CSV with its schema beside it, each file atomically.

    Parameters
    ----------
    path : str or Path
        The CSV file, e.g. ``DIR/patients.csv``; the schema goes to ``DIR/patients.schema.json``
        (:func:`alssim.batch.schema.schema_path`) and, with ``parquet``, the table to
        ``DIR/patients.parquet`` (needs pyarrow).
    df : pandas.DataFrame
        A run table (from :class:`TableBuilder` or :func:`alssim.batch.schema.typed_table`).
    parquet : bool
        Also write Parquet.

    Returns
    -------
    dict of str to bytes
        Each written file's name and contents (for checksums), schema first, CSV last.
    """
    path = Path(path)
    schema = TableSchema.of(df).to_json().encode("utf-8")
    csv = table_to_csv(df).encode("utf-8")
    written = {schema_path(path).name: schema}
    if parquet:
        written[path.with_suffix(".parquet").name] = table_to_parquet(df)
    written[path.name] = csv
    for name, data in written.items():
        atomic_write_bytes(path.with_name(name), data)
    return written


def read_table_file(path: str | Path) -> pd.DataFrame:
    """Read a run table written by :func:`write_table`, exactly as it was in memory.

    With no schema beside the CSV (a table written by alssim before schemas were written), the
    column types are inferred from the CSV text as pandas infers them.

    Raises
    ------
    ResultFormatError
        If the schema is malformed or does not fit the CSV.
    """
    path = Path(path)
    data = path.read_bytes()
    spath = schema_path(path)
    if not spath.exists():
        return read_csv_exact(io.BytesIO(data))
    schema = TableSchema.from_json(spath.read_text(encoding="utf-8"), str(spath))
    return schema.read_csv(io.BytesIO(data), str(path))
