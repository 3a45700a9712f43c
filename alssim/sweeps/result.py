"""The result of a sweep: its runs table, design, seed and config, with a summary, saving and
loading, and plots (:class:`SweepResult`, :func:`load_sweep`).

A saved sweep is the folder a sweep's ``out=`` writes: ``spec.json`` (the sweep's specification
and its SHA-256), ``runs.csv`` with its schema ``runs.schema.json`` (and ``runs.parquet`` with
``parquet=True``) and, for a sweep
run from a file, ``sweep.toml``. ``alssim sweep --out DIR`` folders load alike.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from alssim.batch import (
    RECORD_FORMAT,
    RunStore,
    read_table_file,
    require_pyarrow,
    spec_hash,
    write_table,
)
from alssim.cohort import MAX_TABLE_BYTES, attribute_columns, summarise
from alssim.config.loader import config_from_saved
from alssim.errors import ConfigError, ResultFormatError, escape_text
from alssim.fileio import OutputExistsError, atomic_write_text
from alssim.plotting import plot as _plot
from alssim.results import MAX_META_BYTES, inside_file

__all__ = ["SweepResult", "load_sweep"]

#: Files a sweep writes in its folder besides ``spec.json`` and its run records.
OWNED = ("runs.csv", "runs.schema.json", "runs.parquet", "sensitivity.csv", "sweep.toml")
#: Columns of a sweep table before the swept keys.
LEADING = ("run_id", "point", "replicate", "seed")
#: What a DataFrame operation on a :class:`SweepResult` warns.
DEPRECATED = "alssim.sweep now returns a SweepResult; use .runs or .to_dataframe()"


def _deprecated(what: str) -> None:
    warnings.warn(f"{DEPRECATED} ({what} is passed on to .runs)", DeprecationWarning,
                  stacklevel=3)


@dataclasses.dataclass(eq=False, repr=False)
class SweepResult:
    """A finished sweep (:func:`alssim.sweep`).

    DataFrame operations on the result itself (``result["col"]``, ``len(result)``,
    ``result.columns``, ``result.groupby(...)``, iteration) still work, on :attr:`runs`, with a
    :class:`DeprecationWarning`: :func:`alssim.sweep` returned the runs table before it returned
    this object.

    Attributes
    ----------
    runs : pandas.DataFrame
        One row per run, ordered by ``run_id``: ``run_id``, ``point``, ``replicate``, ``seed``,
        the swept keys, the sampled patient attributes (with ``heterogeneity``) and the
        flattened summary outputs. ``attrs["sweep"]`` holds :attr:`design`.
    design : dict
        The design description: ``method``, ``axes`` (each swept key with its values or range),
        ``n``, ``replicates``, ``seed``, ``common_random_numbers``; what
        :func:`alssim.sensitivity.analyze` needs.
    seed : int
        Seed of the sweep.
    config : Config
        The base config (each run applies its point's overrides to it).
    spec : dict
        The sweep's specification as its folder's ``spec.json`` records it (config as TOML,
        design points, design, heterogeneity, outputs); its SHA-256 identifies the folder.
    sweep_toml : str or None
        The sweep file the sweep was read from (``alssim sweep``), written back as
        ``sweep.toml``.
    """

    runs: pd.DataFrame
    design: dict[str, Any]
    seed: int
    config: Any
    spec: dict[str, Any]
    sweep_toml: str | None = None

    # ------------------------------------------------------------------ description
    @property
    def swept_keys(self) -> list[str]:
        """The swept config keys, in design order."""
        return [str(a["key"]) for a in self.design.get("axes", [])]

    @property
    def n_points(self) -> int:
        """Number of design points with runs."""
        return int(self.runs["point"].nunique()) if len(self.runs) else 0

    @property
    def summary(self) -> dict[str, Any]:
        """JSON-ready summary: runs, points, replicates, method, swept keys and seed, and over
        all runs the attribute shares (with ``heterogeneity``) and per output the number of
        runs with a value and its mean, SD, median and quartiles
        (:func:`alssim.cohort.summarise`)."""
        runs = self.runs
        lead = [c for c in (*LEADING, *self.swept_keys) if c in runs.columns]
        return {"n_runs": len(runs), "n_points": self.n_points,
                "replicates": self.design.get("replicates"), "method": self.design.get("method"),
                "swept_keys": self.swept_keys, "seed": self.seed,
                "common_random_numbers": self.design.get("common_random_numbers"),
                **summarise(runs.drop(columns=lead), attribute_columns(runs))}

    def __repr__(self) -> str:
        """A few lines: what it is, its size and its headline (median survival, if recorded)."""
        keys = self.swept_keys
        shown = (", ".join(escape_text(k, 80) for k in keys[:3])  # one line each, whatever
                 + (f" and {len(keys) - 3} more" if len(keys) > 3 else ""))
        lines = [f"<alssim SweepResult: {len(self.runs)} runs ({self.n_points} points × "
                 f"{self.design.get('replicates')} replicates), method "
                 f"{self.design.get('method')}, seed {self.seed}>",
                 f"  swept: {shown or 'nothing'}; {self.runs.shape[1]} columns"]
        if "clinical.survival_months" in self.runs and len(self.runs):
            months = self.runs["clinical.survival_months"].dropna()
            if len(months):
                lines.append(f"  survival from clinical onset: median {months.median():.1f} "
                             f"months in the {len(months)} runs that died")
        return "\n".join(lines)

    def to_dataframe(self) -> pd.DataFrame:
        """The runs table (a copy of :attr:`runs`, with ``attrs["sweep"]`` for
        :func:`alssim.sensitivity.analyze` and :func:`alssim.analysis.plot_sweep`)."""
        return self.runs.copy()

    def plot(self, kind: str | None = None, **kwargs: Any) -> Any:
        """Draw the sweep with the analysis layer (:mod:`alssim.analysis`).

        Parameters
        ----------
        kind : str, optional
            ``"outcome"`` (default and only kind): an outcome against a swept parameter, every
            run shown (:func:`~alssim.analysis.plot_sweep`).
        **kwargs
            Passed to that function: ``parameter=`` (default the only swept key),
            ``outcome=`` (default ``"clinical.survival_months"``), ``by=``, ``pool=``,
            ``log_x=``, ``confidence=`` and ``ax=``.

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ConfigError
            For an unknown kind (naming the valid ones), or no ``parameter=`` when several keys
            are swept.
        """
        return _plot(self, kind, **kwargs)

    # ------------------------------------------------------------------ save / load
    def save(self, path: str | Path, *, force: bool = False, parquet: bool = False) -> Path:
        """Write the files of a sweep's ``out=`` folder to ``path``: ``spec.json``, ``runs.csv``,
        with ``parquet`` also ``runs.parquet`` (needs pyarrow, ``pip install
        "alssim[parquet]"``), and ``sweep.toml`` for a sweep read from a file; each atomically,
        in a folder locked and recorded as every output folder (:mod:`alssim.outdir`).

        Raises
        ------
        OutputExistsError
            If ``path`` already holds a sweep (or anything that is not an alssim run folder)
            and ``force`` is false. ``force`` replaces only what alssim wrote there.
        AlssimError
            With ``parquet`` when pyarrow is not installed (before anything is written).
        """
        path = Path(path)
        if parquet:
            require_pyarrow()  # before anything is written
        if (path / "runs.csv").exists() and not force:
            raise OutputExistsError(f"{path}: already holds a sweep; pass force=True to replace")
        with RunStore(path, self.spec, force=force, extra_owned=OWNED,
                      command="SweepResult.save") as store:
            self._write_tables(store.path, parquet=parquet)
        return path

    def _write_tables(self, path: Path, *, parquet: bool = False) -> None:
        """The tables of a sweep folder whose ``spec.json`` is written (by its RunStore)."""
        # runs.csv with its schema (and, with parquet, runs.parquet)
        write_table(path / "runs.csv", self.runs, parquet=parquet)
        if self.sweep_toml is not None:  # the sweep file this table was made from
            atomic_write_text(path / "sweep.toml", self.sweep_toml)

    # ------------------------------------------------------------------ the old DataFrame
    def __getattr__(self, name: str) -> Any:
        # only for names the result lacks: DataFrame attributes and methods, with a warning;
        # never private or special names (copy, pickle and IPython look those up)
        runs = self.__dict__.get("runs")
        if name.startswith("_") or runs is None or not hasattr(runs, name):
            raise AttributeError(f"'SweepResult' object has no attribute {name!r}")
        _deprecated(f".{name}")
        return getattr(runs, name)

    def __getitem__(self, key: Any) -> Any:
        _deprecated("[...]")
        return self.runs[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        _deprecated("[...] =")
        self.runs[key] = value

    def __len__(self) -> int:
        _deprecated("len()")
        return len(self.runs)

    def __iter__(self) -> Iterator[Any]:
        _deprecated("iteration")
        return iter(self.runs)

    def __contains__(self, key: Any) -> bool:
        _deprecated("'in'")
        return key in self.runs

    def __bool__(self) -> bool:  # an object, not an empty-or-not table
        return True


def _spec_of(path: Path) -> tuple[Path, dict[str, Any]]:
    """The verified specification in a sweep folder's ``spec.json``."""
    spec_path = path / "spec.json"
    if not spec_path.exists() and not spec_path.is_symlink():
        raise ResultFormatError(f"{path}: no spec.json here; not a sweep folder")
    inside_file(path, "spec.json", what=spec_path, max_bytes=MAX_META_BYTES)
    try:
        meta = json.loads(spec_path.read_bytes().decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ResultFormatError(f"{spec_path}: not valid JSON ({exc})") from None
    spec = meta.get("spec") if isinstance(meta, dict) else None
    if (not isinstance(spec, dict) or meta.get("format") != RECORD_FORMAT
            or spec.get("kind") != "sweep"):
        raise ResultFormatError(f"{spec_path}: not the specification of a sweep")
    try:
        same = spec_hash(spec) == meta.get("spec_sha256")
    except (TypeError, ValueError):
        same = False
    if not same:
        raise ResultFormatError(f"{spec_path}: checksum mismatch; the specification was edited")
    design = spec.get("design")
    if (not isinstance(design, dict) or not isinstance(design.get("axes"), list)
            or not isinstance(spec.get("points"), list)
            or not isinstance(design.get("replicates"), int)
            or not isinstance(design.get("seed"), int)
            or not isinstance(spec.get("config_toml"), str)):
        raise ResultFormatError(f"{spec_path}: the design, points, seed or config is missing")
    return spec_path, spec


def load_sweep(path: str | Path) -> SweepResult:
    """Load a sweep saved by :meth:`SweepResult.save`, ``alssim.sweep(..., out=path)`` or
    ``alssim sweep --out path``.

    ``spec.json`` must hold a sweep's specification matching its own checksum, and
    ``runs.csv`` (a regular file of bounded size inside the folder) one run per design point
    and replicate, with the swept keys among its columns. :func:`load_runs` reads the table
    alone.

    Raises
    ------
    ResultFormatError
        If the folder holds no sweep, the sweep has not finished (no ``runs.csv``: run it
        again with the same folder to resume it), or a file is edited, truncated or malformed.
    """
    path = Path(path)
    spec_path, spec = _spec_of(path)
    design = spec["design"]
    runs_path = path / "runs.csv"
    if not runs_path.exists() and not runs_path.is_symlink():
        raise ResultFormatError(f"{path}: no runs.csv; the sweep has not finished (run it again "
                                "with this folder to resume it)")
    inside_file(path, "runs.csv", what=spec_path, max_bytes=MAX_TABLE_BYTES)
    try:
        runs = read_table_file(runs_path)
    except (OSError, ValueError, RecursionError, pd.errors.ParserError) as exc:
        raise ResultFormatError(f"{runs_path}: unreadable ({exc})") from None
    keys = [a.get("key") if isinstance(a, dict) else None for a in design["axes"]]
    missing = [escape_text(k) for k in keys if k not in runs.columns]
    expected = len(spec["points"]) * design["replicates"]
    if missing or "run_id" not in runs.columns or list(runs["run_id"]) != list(range(expected)):
        what = (f"lacks the swept key(s) {', '.join(missing)}" if missing
                else f"does not hold the {expected} runs (run_id 0 to {expected - 1}) of "
                     f"{spec_path.name}")
        raise ResultFormatError(f"{runs_path}: {what}")
    runs.attrs["sweep"] = design  # as load_runs gives it, and the sweep returned it
    try:
        cfg = config_from_saved(spec["config_toml"], source=str(spec_path))
    except ConfigError as exc:
        raise ResultFormatError(f"{spec_path}: saved config is malformed ({exc})") from None
    toml_path = path / "sweep.toml"
    sweep_toml = None
    if toml_path.exists() or toml_path.is_symlink():
        inside_file(path, "sweep.toml", what=spec_path, max_bytes=MAX_META_BYTES)
        sweep_toml = toml_path.read_text(encoding="utf-8")
    return SweepResult(runs, design, int(design["seed"]), cfg, spec, sweep_toml)
