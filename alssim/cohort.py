"""Cohorts of virtual patients: many heterogeneous patients of one config, on any executor.

>>> import alssim
>>> cfg = alssim.load_config(overrides={"simulation.scale": 0.01, "simulation.dt_days": 7.0})
>>> cohort = alssim.run_cohort(cfg, n=8, seed=1, executor="serial", progress=False)
>>> cohort.patients[["patient", "genotype", "onset.site"]].shape
(8, 3)

Patient ``i`` of a cohort run with ``seed`` has the integer seed
:func:`alssim.batch.derive_seed(seed, i) <alssim.batch.derive_seed>`; its attributes are drawn
from that seed (see :mod:`alssim.patients`), its config derived from them, and it is simulated
with that seed. So the table depends only on the config, ``n`` and ``seed``: it is byte-identical
on every executor and worker count, and any patient can be re-simulated alone
(:meth:`CohortResult.simulate_patient`) with its full trajectories.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alssim._version import __version__
from alssim.batch import (
    RunStore,
    RunTask,
    TableBuilder,
    TableSchema,
    check_patterns,
    derive_seed,
    execute,
    input_files,
    read_csv_exact,
    require_pyarrow,
    spec_hash,
    typed_table,
    write_table,
)
from alssim.config.loader import config_from_saved
from alssim.config.schema import check_seed
from alssim.engine import simulate
from alssim.errors import ConfigError, ResultFormatError, check_format_version
from alssim.executors import local_workers
from alssim.fileio import OutputExistsError, atomic_write_text, sha256_file
from alssim.patients import derive_config, sample_patient
from alssim.plotting import plot as _plot
from alssim.resources import check_batch_memory
from alssim.results import inside_file, load, meta_digest, read_meta
from alssim.streams import SeedLike, resolve_seed

__all__ = ["CohortResult", "load_cohort", "run_cohort"]

COHORT_FORMAT = "alssim.cohort"
COHORT_FORMAT_VERSION = 1
_OWNED = ("patients.csv", "patients.schema.json", "patients.parquet", "summary.json",
          "cohort.json", "config.toml", "trajectories/")


def read_table(text: str, schema: TableSchema | None = None) -> pd.DataFrame:
    """Parse a run table written by :func:`alssim.batch.table_to_csv`, exactly.

    Only empty cells are missing values; floats are parsed to round-trip exactly. With its
    ``schema`` each column is read as its kind; without, pandas infers the types from the text
    (tables saved before schemas were written).
    """
    # parsed from UTF-8 bytes: a StringIO of the text would hold four bytes a character
    data = io.BytesIO(text.encode("utf-8"))
    return read_csv_exact(data) if schema is None else schema.read_csv(data)


def canonical_table(df: pd.DataFrame) -> pd.DataFrame:
    """The table as a run table holds it: each column typed by its kind
    (:func:`alssim.batch.typed_table`), as :class:`alssim.batch.TableBuilder` builds it and
    as it reads back from its CSV with its schema."""
    return typed_table(df)


@dataclasses.dataclass(eq=False, repr=False)
class CohortResult:
    """A simulated cohort.

    Attributes
    ----------
    patients : pandas.DataFrame
        One row per patient, in patient order: ``patient`` (0..n-1), ``seed`` (the patient's
        seed), the sampled attributes (``genotype``, ``sex``, ``age_years``, ``speed``,
        ``exposure.NAME``, ``rel_TARGET``) and the flattened summary outputs of its run
        (``onset.site``, ``loss_months.POPULATION.lost_50``, ... and whatever else
        :attr:`alssim.results.Result.summary` reports). The ``clinical.*`` columns are the
        clinical summary (:meth:`alssim.clinical.ClinicalCourse.summary`; months from clinical
        onset), e.g. ``clinical.diagnosis.months`` (diagnostic delay),
        ``clinical.diagnosis.first_consultation_months`` / ``first_neurology_months`` /
        ``emg_months`` (the diagnostic pathway), ``clinical.diagnosis.el_escorial``,
        ``alsfrs_r``, ``fvc_percent``, ``kings_stage``, ``mitos_stage`` (at diagnosis),
        ``clinical.diagnosis.first_visit_umn_regions``, ``clinical.alsfrs_r_dfs`` (ΔFS),
        ``clinical.motor_units.mune_at_diagnosis_percent`` and
        ``clinical.onset_muscle_mune_50_months``.
    summary : dict
        JSON-ready cohort summary: attribute shares and distributions, and per numeric output
        the number of patients with a value and its mean, median and quartiles.
    config : Config
        The cohort's base config (patients' configs derive from it).
    seed : int
        Seed of the cohort.
    trajectories : dict of int to Result
        Full results of the patients kept on request, by patient id.
    """

    patients: pd.DataFrame
    summary: dict[str, Any]
    config: Any
    seed: int
    trajectories: dict[int, Any] = dataclasses.field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of patients."""
        return len(self.patients)

    def __repr__(self) -> str:
        """A few lines: what it is, its size and its headline (survival, if recorded)."""
        df = self.patients
        lines = [f"<alssim CohortResult: {self.n} patients, seed {self.seed}, "
                 f"{df.shape[1]} columns, {len(self.trajectories)} trajectories kept>"]
        if "clinical.death_months" in df and "clinical.survival_months" in df:
            died = df["clinical.death_months"].notna()
            months = df.loc[died, "clinical.survival_months"]
            lines.append(f"  died within the horizon: {int(died.sum())} of {self.n}"
                         + (f"; their median survival from clinical onset "
                            f"{float(months.median()):.1f} months" if died.any() else ""))
        return "\n".join(lines)

    def to_dataframe(self) -> pd.DataFrame:
        """The per-patient table (a copy of :attr:`patients`)."""
        return self.patients.copy()

    def patient_config(self, patient: int):
        """The derived config of one patient (its attributes and onset applied)."""

        s = self._patient_seed(patient)
        return derive_config(self.config, sample_patient(self.config, np.random.SeedSequence(s)))

    def simulate_patient(self, patient: int):
        """Re-simulate one patient with its full trajectories (identical to the cohort run)."""

        return simulate(self.patient_config(patient), seed=self._patient_seed(patient))

    def _patient_seed(self, patient: int) -> int:
        if not 0 <= int(patient) < self.n:
            raise IndexError(f"patient {patient} is not in this cohort of {self.n}")
        return int(self.patients["seed"].iloc[int(patient)])

    def plot(self, kind: str | None = None, **kwargs: Any) -> Any:
        """Draw one figure of the cohort with the analysis layer (:mod:`alssim.analysis`).

        Parameters
        ----------
        kind : str, optional
            ``"survival_by_onset"`` (default; :func:`~alssim.analysis.plot_survival_by_onset`),
            ``"dfs_histogram"`` (:func:`~alssim.analysis.plot_dfs_histogram`),
            ``"first_spread"`` (:func:`~alssim.analysis.plot_first_spread`) or
            ``"onset_sites"`` (:func:`~alssim.analysis.plot_onset_sites`).
        **kwargs
            Passed to that function: its options, and ``ax=`` (``fig=`` for
            ``"first_spread"``, which draws two panels).

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ConfigError
            For an unknown kind (naming the valid ones), or ``ax=`` to a plot of several panels.
        """
        return _plot(self, kind, **kwargs)

    # ------------------------------------------------------------------ save / load
    def save(self, path: str | Path, *, force: bool = False, parquet: bool = False) -> Path:
        """Write ``patients.csv``, ``summary.json``, ``cohort.json``, ``config.toml`` and
        ``trajectories/patient-NNNNNN/`` (for kept patients) to folder ``path``; with
        ``parquet``, also ``patients.parquet`` (the same table with its column types; needs
        pyarrow, ``pip install "alssim[parquet]"``), checksummed in ``cohort.json`` like the
        others.

        Raises
        ------
        OutputExistsError
            If ``path`` already holds a cohort and ``force`` is false.
        AlssimError
            With ``parquet`` when pyarrow is not installed (before anything is written).
        """
        path = Path(path)
        if parquet:
            require_pyarrow()  # before anything is written
        if (path / "patients.csv").exists() and not force:
            raise OutputExistsError(f"{path}: already holds a cohort; pass force=True to replace")
        for pid, res in sorted(self.trajectories.items()):
            target = trajectory_dir(path, pid)
            if not (target / "result.json").exists():
                res.save(target, force=True)
        self._write_tables(path, parquet=parquet)
        return path

    def _write_tables(self, path: Path, *, parquet: bool = False) -> None:
        # each file is atomic; cohort.json, written last, holds the checksums of the others, so a
        # crash between files leaves a set that load_cohort refuses rather than a mixed one
        # the table with its schema (and, with parquet, as Parquet), then the rest
        written = write_table(path / "patients.csv", self.patients, parquet=parquet)
        texts = {"summary.json": json.dumps(self.summary, indent=2, allow_nan=False) + "\n",
                 "config.toml": self.config.to_toml()}
        for name, text in texts.items():
            atomic_write_text(path / name, text)
            written[name] = text.encode("utf-8")
        sums = {name: hashlib.sha256(data).hexdigest() for name, data in written.items()}
        meta = {
            "sha256": sums,
            "format": COHORT_FORMAT,
            "format_version": COHORT_FORMAT_VERSION,
            "alssim_version": __version__,
            "n": self.n,
            "seed": self.seed,
            "trajectories": sorted(int(k) for k in self.trajectories),
            "config_toml": self.config.to_toml(),
        }
        meta["meta_sha256"] = meta_digest(meta)  # covers config_toml, seed and the table above
        atomic_write_text(path / "cohort.json", json.dumps(meta, indent=1) + "\n")


def trajectory_dir(path: Path, patient: int) -> Path:
    """Folder of a kept patient's saved result."""
    return Path(path) / "trajectories" / f"patient-{patient:06d}"


#: Files every saved cohort's checksum table must cover (``load_cohort`` reads them).
_REQUIRED_SUMS = ("patients.csv", "summary.json")
#: Largest table file ``load_cohort`` reads, bytes.
MAX_TABLE_BYTES = 2 * 2**30


def load_cohort(path: str | Path) -> CohortResult:
    """Load a cohort saved by :meth:`CohortResult.save` or ``alssim cohort --out``.

    ``cohort.json`` is checked against its own checksum (``meta_sha256``; one written by an
    older alssim without it loads with a ``UserWarning``); its checksum table must cover
    ``patients.csv`` and ``summary.json`` (and may cover ``config.toml``), each a regular file
    inside the folder of bounded size, all verified before anything is parsed; kept
    trajectories are loaded with :func:`alssim.results.load` (which checks them likewise).

    Raises
    ------
    ResultFormatError
        If the folder holds no cohort, a file is missing, not a regular file inside the folder,
        too large, edited or truncated, or the checksum table is missing or incomplete.
    """

    path = Path(path)
    meta_path = path / "cohort.json"
    if not meta_path.exists() and not meta_path.is_symlink():
        raise ResultFormatError(f"{path}: no cohort.json here; not a saved alssim cohort")

    meta = read_meta(meta_path, COHORT_FORMAT)
    check_format_version(meta.get("format_version", 0), COHORT_FORMAT_VERSION, meta_path)
    sums = meta.get("sha256")
    if not isinstance(sums, dict) or not all(isinstance(v, str) for v in sums.values()):
        raise ResultFormatError(f"{meta_path}: 'sha256' must be a table of file name to checksum")
    missing = [name for name in _REQUIRED_SUMS if name not in sums]
    if missing:
        raise ResultFormatError(f"{meta_path}: the checksum table does not cover "
                                f"{', '.join(missing)}; refusing to load unverified files")
    for name, digest in sums.items():
        file = inside_file(path, name, what=meta_path, max_bytes=MAX_TABLE_BYTES)
        if sha256_file(file) != digest:
            raise ResultFormatError(
                f"{file}: checksum mismatch; the file was truncated, edited or written by "
                "an interrupted save")
    try:
        summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
        schema = (TableSchema.from_json((path / "patients.schema.json").read_text(
            encoding="utf-8"), str(path / "patients.schema.json"))
            if "patients.schema.json" in sums else None)
        patients = read_table((path / "patients.csv").read_text(encoding="utf-8"), schema)
    except (OSError, ValueError, RecursionError, pd.errors.ParserError) as exc:
        raise ResultFormatError(f"{path}: cohort files unreadable ({exc})") from None
    trajectories = meta.get("trajectories", [])
    if (not isinstance(trajectories, list) or not isinstance(meta.get("seed"), int)
            or not all(isinstance(p, int) and 0 <= p < len(patients) for p in trajectories)):
        raise ResultFormatError(f"{meta_path}: 'seed' or 'trajectories' malformed")
    if not isinstance(meta.get("config_toml"), str):
        raise ResultFormatError(f"{meta_path}: 'config_toml' missing")
    try:
        cfg = config_from_saved(meta["config_toml"], source=str(meta_path))
    except ConfigError as exc:
        raise ResultFormatError(f"{meta_path}: saved config is malformed ({exc})") from None
    traj = {int(p): load(trajectory_dir(path, int(p))) for p in trajectories}
    return CohortResult(patients, summary, cfg, int(meta["seed"]), traj)


def _keep_ids(keep: Any, n: int) -> list[int]:
    """Patient ids whose trajectories are kept: ``k`` evenly spaced, or explicit ids."""
    if keep is None or keep is False:
        return []
    if isinstance(keep, bool) or not isinstance(keep, int | np.integer | Sequence | np.ndarray):
        raise ConfigError(f"must be a number of patients or a list of patient ids; got {keep!r}",
                          key="keep_trajectories")
    if isinstance(keep, int | np.integer):
        k = int(keep)
        if k < 0:
            raise ConfigError(f"must be >= 0; got {k}", key="keep_trajectories")
        if k == 0:
            return []
        return sorted({int(x) for x in np.linspace(0, n - 1, min(k, n)).round()})
    ids = sorted({int(x) for x in keep})
    bad = [i for i in ids if not 0 <= i < n]
    if bad:
        raise ConfigError(f"patient ids must be in [0, {n - 1}]; got {bad[0]}",
                          key="keep_trajectories")
    return ids


def _stat(x: float) -> float | None:
    return None if not math.isfinite(x) else float(f"{x:.6g}")


def attribute_columns(table: pd.DataFrame) -> list[str]:
    """The sampled patient attributes among a run table's columns (``genotype``, ``sex``,
    ``age_years``, ``speed``, ``exposure.*``, ``rel_*``)."""
    return [c for c in table.columns
            if c in ("genotype", "sex", "age_years", "speed") or c.startswith(("exposure.",
                                                                                "rel_"))]


def summarise(patients: pd.DataFrame, attribute_columns: Sequence[str]) -> dict[str, Any]:
    """Attribute shares/distributions and per-output statistics of a patient table."""

    attrs: dict[str, Any] = {}
    outs: dict[str, Any] = {}
    for col in patients.columns:
        if col in ("patient", "seed"):
            continue
        s = patients[col]
        target = attrs if (col in attribute_columns or col.startswith("onset.")) else outs
        if pd.api.types.is_bool_dtype(s):
            target[col] = {"share_true": _stat(float(s.mean()))}
        elif pd.api.types.is_numeric_dtype(s):
            v = s.to_numpy(dtype=float)
            v = v[np.isfinite(v)]
            entry: dict[str, Any] = {"n": int(v.size)}
            if v.size:
                q25, med, q75 = np.quantile(v, [0.25, 0.5, 0.75])
                entry.update(mean=_stat(v.mean()), sd=_stat(v.std(ddof=1)) if v.size > 1 else None,
                             q25=_stat(q25), median=_stat(med), q75=_stat(q75))
            target[col] = entry
        else:
            levels = s.dropna().astype(str)
            if levels.nunique() <= 50:
                counts = levels.value_counts(sort=False)
                target[col] = {k: _stat(counts[k] / len(s)) for k in sorted(counts.index)}
    return {"attributes": attrs, "outputs": outs}


def run_cohort(
    cfg,
    n: int,
    seed: int | None = None,
    executor: Any = None,
    *,
    workers: int | None = None,
    keep_trajectories: int | Sequence[int] = 0,
    outputs: Sequence[str] | None = None,
    out: str | Path | None = None,
    force: bool = False,
    progress: bool = True,
    chunksize: int | None = None,
    rng: SeedLike = None,
    parquet: bool = False,
) -> CohortResult:
    """Simulate a cohort of ``n`` heterogeneous virtual patients.

    Parameters
    ----------
    cfg : Config
        Base config; its ``[cohort]`` tables say how patients differ (see
        :mod:`alssim.patients`).
    n : int
        Number of patients.
    seed : int, optional
        Cohort seed (default ``cfg.simulation.seed``). Patient ``i`` gets
        ``derive_seed(seed, i)``.
    rng : int, SeedSequence or Generator, optional
        Instead of ``seed`` (SPEC 7): an int is the seed; a ``Generator`` gives one integer
        draw and a ``SeedSequence`` the integer of its state, which the result records as its
        seed (:func:`alssim.streams.resolve_seed`).
    executor : None, str, int, Executor or dask.distributed.Client
        Where to run (see :func:`alssim.executors.resolve_executor`): default every local core.
    workers : int, optional
        Number of local processes (with ``executor=None``).
    keep_trajectories : int or sequence of int
        Keep the full results (trajectories) of this many evenly spaced patients, or of these
        patient ids; 0 (default) keeps none, so memory does not grow with trajectories.
    outputs : sequence of str, optional
        Output columns to keep: names or glob patterns (``"loss_months.lmn:*.lost_50"``); default
        all. Each must match an output of the runs (else a ConfigError, before any run).
    out : str or Path, optional
        Resumable output folder: each finished patient is recorded at once, a rerun skips the
        recorded ones, and ``patients.csv``, ``summary.json``, ``config.toml``, ``cohort.json``
        (and ``trajectories/``) are written at the end.
    force : bool
        Discard the runs of a different cohort found in ``out`` instead of refusing.
    parquet : bool
        With ``out``, also write ``patients.parquet`` (see :meth:`CohortResult.save`).
    progress : bool
        Show a progress bar (tqdm; terminal or notebook).
    chunksize : int, optional
        Patients per task sent to a worker, simulated together and recorded when the task
        returns (default: up to 16, at least four tasks per worker).

    Returns
    -------
    CohortResult

    Raises
    ------
    ConfigError
        On an invalid ``n``, ``seed``, ``keep_trajectories``, ``outputs`` or executor.
    OutputExistsError
        If ``out`` holds another cohort (or anything else) and ``force`` is false.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ConfigError(f"must be a positive integer; got {n!r}", key="n")
    n = int(n)
    if parquet:
        require_pyarrow()  # before any patient runs
    seed = resolve_seed(seed, rng)
    seed = check_seed(cfg.simulation.seed if seed is None else seed, key="seed")
    keep = _keep_ids(keep_trajectories, n)
    # refuse, before any task is made or patient runs, a cohort whose workers, tasks, table and
    # kept trajectories would not fit in this machine's memory (remote executors hold their
    # runs elsewhere)
    check_batch_memory(cfg, n, workers=local_workers(executor, workers), keep=len(keep))
    patterns = check_patterns(outputs, cfg=cfg)  # each must match an output, before any run
    config_toml = cfg.to_toml()
    keep_set = set(keep)
    tasks = [RunTask(run_id=i, seed=derive_seed(seed, i), heterogeneous=True,
                     keep_trajectory=i in keep_set) for i in range(n)]
    spec = {"kind": "cohort", "alssim_version": __version__, "config_toml": config_toml,
            "n": n, "seed": seed, "keep_trajectories": keep, "outputs": patterns}
    store = (RunStore(out, spec, force=force, extra_owned=_OWNED, inputs=input_files(cfg),
                      command="alssim cohort") if out is not None else None)
    try:
        return _run_cohort(cfg, n, seed, executor, workers, keep, patterns, config_toml, tasks,
                           spec, store, out, progress, chunksize, parquet)
    finally:
        if store is not None:
            store.close()


def _run_cohort(cfg, n, seed, executor, workers, keep, patterns, config_toml, tasks, spec, store,
                out, progress, chunksize, parquet=False) -> CohortResult:
    trajectories: dict[int, Any] = {}

    def keep_result(pid: int, res: Any) -> None:
        if out is not None:
            res.save(trajectory_dir(Path(out), pid), force=True)
        trajectories[pid] = res

    # the table is built as the runs finish, so their records are not all held at once
    builder = TableBuilder(leading=("patient", "seed"))

    def add_row(task: RunTask, seed_i: int, attrs: dict[str, Any], outs: dict[str, Any]) -> None:
        builder.add({"patient": task.run_id, "seed": seed_i, **attrs, **outs})

    execute(config_toml, tasks, outputs=patterns, executor=executor, workers=workers,
            store=store, progress=progress, desc="cohort", unit="patient", on_record=add_row,
            chunksize=chunksize, on_trajectory=keep_result)

    if out is not None:
        for pid in keep:
            if pid not in trajectories:
                trajectories[pid] = load(trajectory_dir(Path(out), pid))
    patients = builder.finish()
    summary = {"n_patients": n, "seed": seed, "alssim_version": __version__,
               "spec_sha256": store.hash if store is not None else None,
               **summarise(patients, attribute_columns(patients))}
    if store is None:
        summary["spec_sha256"] = spec_hash(spec)
    result = CohortResult(patients, summary, cfg, seed, dict(sorted(trajectories.items())))
    if out is not None:
        result._write_tables(Path(out), parquet=parquet)
    return result
