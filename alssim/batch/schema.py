"""The declared schema of a run table: each column's name and kind, written beside the table and
used to read it back.

A run table (a cohort's ``patients.csv``, a sweep's ``runs.csv``) is built from the rows its runs
report, as Python values. Each column gets one *kind*, from the types of all its values (never
from CSV text), and is held in memory as that kind prescribes (:func:`column_kind`,
:func:`typed_column`). The schema is written as JSON beside the CSV (``NAME.schema.json``) and
read back with it (:meth:`TableSchema.read_csv`), so a saved table reads back as the table it was
in memory, with the same dtypes and values on every pandas version alssim supports (2.2 to 3.x).

Kinds
    ``"int"`` (``int64``, no missing values), ``"float"`` (``float64``; missing is ``NaN``; also
    integers with missing values and columns with no value at all), ``"bool"`` (``bool``, no
    missing values), ``"bool_or_missing"`` (``object`` holding ``True``, ``False`` and ``NaN``:
    an output that is undefined for some runs, e.g. a diagnosis flag of a patient never
    diagnosed) and ``"str"`` (text; pandas' ``str`` dtype on pandas 3, ``object`` before; missing
    is ``NaN``, and an empty string is missing, as it is in the CSV). A column whose values are
    of several of these types (say numbers and words) is ``"str"``, each value as its CSV text.
    (Text with a NUL character does not survive the CSV read of pandas < 3.)
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from alssim.errors import ResultFormatError, check_format_version

__all__ = ["COLUMN_KINDS", "SCHEMA_FORMAT", "TableSchema", "column_kind", "read_csv_exact",
           "schema_path", "typed_column", "typed_table"]

#: The kinds a run-table column can have (see the module docstring).
COLUMN_KINDS = ("int", "float", "bool", "bool_or_missing", "str")
#: ``format`` field of a written schema.
SCHEMA_FORMAT = "alssim.table-schema"
SCHEMA_FORMAT_VERSION = 1

_PANDAS_3 = int(pd.__version__.split(".")[0]) >= 3
#: How a ``"str"`` column is held: pandas' ``str`` dtype (pandas >= 3) or ``object``.
_STR_DTYPE: Any = "str" if _PANDAS_3 else object
#: How each kind is read from CSV text (``bool_or_missing`` is then converted, see
#: :func:`_from_nullable_bool`).
_READ_DTYPES: dict[str, Any] = {"int": "int64", "float": "float64", "bool": "bool",
                                "bool_or_missing": "boolean", "str": _STR_DTYPE}
#: What :func:`pandas.api.types.infer_dtype` (skipping missing values) says of an object column
#: of each kind; anything else (mixed types) is ``"str"``.
_INFERRED_KINDS = {"boolean": "bool", "integer": "int", "floating": "float",
                   "mixed-integer-float": "float", "empty": "float", "string": "str"}


def read_csv_exact(source: Any, **kwargs: Any) -> pd.DataFrame:
    """Parse CSV written by :func:`alssim.batch.table_to_csv` (``source`` as for
    :func:`pandas.read_csv`).

    Only empty cells are missing values; floats are parsed to round-trip exactly. ``kwargs``
    go to :func:`pandas.read_csv` (with no ``dtype``, pandas infers each column's type from
    its text: use :meth:`TableSchema.read_csv` for a table with a schema).
    """

    # pandas >= 3.1 parses floats exactly by default and deprecates the option; before, the
    # default parser may miss the last digit
    major, minor = (int(part) for part in pd.__version__.split(".")[:2])
    exact = {} if (major, minor) >= (3, 1) else {"float_precision": "round_trip"}
    return pd.read_csv(source, keep_default_na=False, na_values=[""], **exact, **kwargs)


def column_kind(column: pd.Series) -> str:
    """The kind of a column, from its dtype or, for an ``object`` column, its values' types.

    Parameters
    ----------
    column : pandas.Series
        A column as assembled from the runs' values (missing values ``None`` or ``NaN``).

    Returns
    -------
    str
        One of :data:`COLUMN_KINDS`.
    """

    dtype = column.dtype
    if isinstance(dtype, pd.StringDtype):
        return "str"
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        return {"b": "bool", "i": "int", "u": "int", "f": "float"}[dtype.kind]
    kind = _INFERRED_KINDS.get(infer_dtype(column, skipna=True), "str")
    missing = bool(column.isna().any())
    if kind == "bool" and missing:
        return "bool_or_missing"
    if kind == "int" and missing:
        return "float"
    return kind


def _held_kind(column: pd.Series) -> str:
    """The kind of a column held as :func:`typed_column` holds its kind."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        return column_kind(column)
    if isinstance(dtype, pd.StringDtype) or infer_dtype(column, skipna=True) != "boolean":
        return "str"
    return "bool_or_missing"


def typed_column(column: pd.Series, kind: str) -> pd.Series:
    """``column`` held as ``kind`` prescribes (see the module docstring).

    Parameters
    ----------
    column : pandas.Series
        A column of the runs' values, of that kind (:func:`column_kind`).
    kind : str
        One of :data:`COLUMN_KINDS`.
    """

    if kind in ("int", "float", "bool"):
        dtype = {"int": np.int64, "float": np.float64, "bool": np.bool_}[kind]
        if column.dtype == dtype:
            return column
        return pd.Series(column.to_numpy(dtype=dtype), copy=False)
    values = column.to_numpy(dtype=object, copy=True)
    missing = np.asarray(pd.isna(column), dtype=bool)
    if kind == "bool_or_missing":
        values[missing] = np.nan
        values[~missing] = [bool(v) for v in values[~missing]]
        return pd.Series(values, dtype=object, copy=False)
    if kind != "str":
        raise ValueError(f"unknown column kind {kind!r}; one of {COLUMN_KINDS}")
    # each value as its CSV text; an empty string is a missing value, as in the CSV
    if infer_dtype(values, skipna=True) != "string":
        for i in np.flatnonzero(~missing):
            v = values[i]
            values[i] = v if isinstance(v, str) else _csv_text(v)
    values[missing] = np.nan
    values[values == ""] = np.nan
    return pd.Series(values, dtype=_STR_DTYPE, copy=False)


def _csv_text(value: Any) -> str:
    """A non-text value as :meth:`pandas.DataFrame.to_csv` writes it in an ``object`` column."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return str(value)


def typed_table(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with each column held as its kind prescribes (:func:`column_kind`)."""
    return pd.DataFrame({c: typed_column(df[c], column_kind(df[c])) for c in df.columns},
                        columns=df.columns, copy=False)


def _from_nullable_bool(column: pd.Series) -> pd.Series:
    """A ``boolean`` column as a ``bool_or_missing`` one: ``True``, ``False`` and ``NaN``."""
    values = column.to_numpy(dtype=object, na_value=np.nan)
    return pd.Series(values, dtype=object, copy=False)


@dataclasses.dataclass(frozen=True)
class TableSchema:
    """Names and kinds of a run table's columns, in order.

    Attributes
    ----------
    columns : tuple of (str, str)
        ``(name, kind)`` per column, kinds from :data:`COLUMN_KINDS`.
    """

    columns: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, df: pd.DataFrame) -> TableSchema:
        """The schema of a table held as :func:`typed_table` holds it (each column's kind read
        from how it is held: an ``object`` column of no value at all is text)."""
        return cls(tuple((str(c), _held_kind(df[c])) for c in df.columns))

    @property
    def names(self) -> list[str]:
        """Column names, in order."""
        return [name for name, _ in self.columns]

    def to_json(self) -> str:
        """The schema as JSON text (what ``NAME.schema.json`` holds)."""
        head = json.dumps({"format": SCHEMA_FORMAT, "format_version": SCHEMA_FORMAT_VERSION})
        rows = ",\n".join("  " + json.dumps({"name": n, "kind": k}) for n, k in self.columns)
        return f'{head[:-1]},\n "columns": [\n{rows}\n ]}}\n' if rows else \
            f'{head[:-1]}, "columns": []}}\n'  # one column a line

    @classmethod
    def from_json(cls, text: str, source: str = "schema") -> TableSchema:
        """Parse :meth:`to_json` text.

        Raises
        ------
        ResultFormatError
            If the text is not a schema alssim wrote (naming ``source``).
        """
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ResultFormatError(f"{source}: not JSON ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != SCHEMA_FORMAT:
            raise ResultFormatError(f"{source}: not an alssim table schema")
        check_format_version(data.get("format_version"), SCHEMA_FORMAT_VERSION, source)
        cols = data.get("columns")
        if not isinstance(cols, list) or not all(
                isinstance(c, dict) and isinstance(c.get("name"), str)
                and c.get("kind") in COLUMN_KINDS for c in cols):
            raise ResultFormatError(f"{source}: 'columns' must be a list of {{name, kind}} with "
                                    f"kinds from {', '.join(COLUMN_KINDS)}")
        names = [c["name"] for c in cols]
        if len(set(names)) != len(names):
            raise ResultFormatError(f"{source}: duplicated column names")
        return cls(tuple((c["name"], c["kind"]) for c in cols))

    def read_csv(self, source: Any, what: str = "table") -> pd.DataFrame:
        """Read a table's CSV with this schema: the columns in order, each of its kind.

        Parameters
        ----------
        source : str, path or file-like
            The CSV (as for :func:`pandas.read_csv`).
        what : str
            What the CSV is (a file name), named in errors.

        Raises
        ------
        ResultFormatError
            If the CSV's header is not the schema's columns, or a value is not of its
            column's kind.
        """
        dtypes = {name: _READ_DTYPES[kind] for name, kind in self.columns}
        try:
            df = read_csv_exact(source, dtype=dtypes)
        except (ValueError, TypeError) as exc:
            raise ResultFormatError(f"{what}: a value does not fit its column's kind in the "
                                    f"schema ({exc})") from None
        if list(df.columns) != self.names:
            raise ResultFormatError(f"{what}: the columns are not those its schema declares")
        for name, kind in self.columns:
            if kind == "bool_or_missing":
                df[name] = _from_nullable_bool(df[name])
            elif kind == "str" and df[name].dtype != _STR_DTYPE:
                # pandas 2 reads a text column with no value at all as float64
                df[name] = df[name].astype(_STR_DTYPE)
            elif kind in ("int", "bool") and len(df) and df[name].isna().any():
                raise ResultFormatError(f"{what}: column {name!r} has missing values")
        return df


def schema_path(csv_path: Any) -> Any:
    """Where the schema of the table at ``csv_path`` is written: ``NAME.schema.json``."""
    return csv_path.with_name(csv_path.stem + ".schema.json")
