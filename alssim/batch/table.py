"""The tidy table of a batch: per-run rows joined column by column into one pandas table whose CSV
text is the same however the runs were split (:class:`TableBuilder`, :func:`build_table`), and
read back exactly (:func:`read_csv_exact`)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from alssim.errors import import_optional

__all__ = ["TableBuilder", "build_table", "parser_block_rows", "read_csv_exact",
           "require_pyarrow", "table_to_csv", "table_to_parquet"]


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
