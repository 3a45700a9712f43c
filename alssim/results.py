"""The result of one simulated patient: labelled arrays, a tidy table, a summary, save and load.

Recorded variables (:data:`VARIABLES`) are arrays of shape ``(n_times, n_populations)``; the
populations are labelled by compartment, segment and side (see :mod:`alssim.anatomy`). Saved
results are a folder with ``result.json`` (metadata, the effective config, SHA-256 checksums of
itself and of the arrays) and ``result.npz`` (numeric arrays only, their shapes checked against the
config before they are read; loaded with ``allow_pickle=False``).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
import math
import tomllib
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from alssim._version import __version__
from alssim.anatomy import COMPARTMENTS, SIDES
from alssim.care_draws import CLINICAL_DRAWS, default_clinical_draws
from alssim.config.loader import config_from_saved
from alssim.errors import (
    ConfigError,
    ResultFormatError,
    check_format_version,
    escape_text,
    show_value,
)
from alssim.fileio import OutputExistsError, atomic_write_bytes, atomic_write_text, sha256_file
from alssim.onset import OnsetSite
from alssim.plotting import plot as _plot
from alssim.result_tables import result_to_dataframe, result_to_xarray
from alssim.variables import VARIABLES, VariableSpec

__all__ = ["FORMAT_VERSION", "VARIABLES", "Result", "VariableSpec", "load",
           "register_clinical_assessment"]


#: The clinical layer's reading of a result (:func:`alssim.clinical.assess`), behind
#: :attr:`Result.clinical`. That layer sits above this module, so it is handed in rather than
#: imported: ``alssim/__init__.py`` registers it when the package is imported.
_clinical_assessment: Callable[[Any], Any] | None = None


def register_clinical_assessment(assess: Callable[[Any], Any]) -> None:
    """Set the function :attr:`Result.clinical` calls (``alssim.clinical.assess``)."""
    global _clinical_assessment
    _clinical_assessment = assess


FORMAT_VERSION = 1


def _bad_choice(arg: str, value: Any, valid: tuple[str, ...]) -> str:
    import difflib

    near = difflib.get_close_matches(str(value), valid, n=1)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    return f"{arg} {show_value(value)} is not one of {', '.join(valid)}{hint}"


def _finite_or_none(x: float) -> float | None:
    return None if not math.isfinite(x) else round(float(x), 6)


@dataclasses.dataclass(eq=False, repr=False)
class Result:
    """One simulated patient.

    Attributes
    ----------
    config : Config
        The effective configuration.
    seed : int or None
        The seed given (``None`` when a ``SeedSequence`` was passed).
    onset : OnsetSite
        Segment, side, compartment and site of onset.
    times_months : ndarray, shape (n_times,)
        Record times, months from biological onset.
    counts : ndarray of int64, shape (n_populations,)
        Neurons per population at onset.
    variables : dict of str to ndarray, each shape (n_times, n_populations)
        Recorded state; see :data:`VARIABLES`.
    milestones : dict of str to ndarray, each shape (n_populations,)
        Months from biological onset at which a population had lost 10% (``lost_10``) and 50%
        (``lost_50``) of its neurons; ``inf`` if never within the horizon.
    clinical_draws : dict of str to float
        The patient's chance events of the clinical course (delays of the diagnostic pathway,
        aspiration, tolerance of ventilation, respiratory reserve), drawn once from the patient's
        own streams; see :mod:`alssim.care_draws`. The medians when not given.
    version : str
        alssim version that made it.
    """

    config: Any
    seed: int | None
    onset: Any
    times_months: np.ndarray
    counts: np.ndarray
    variables: dict[str, np.ndarray]
    milestones: dict[str, np.ndarray]
    clinical_draws: dict[str, float] = dataclasses.field(default_factory=default_clinical_draws)
    version: str = __version__

    def __post_init__(self):
        for arr in (self.times_months, self.counts, *self.variables.values(),
                    *self.milestones.values()):
            arr.setflags(write=False)

    def __repr__(self) -> str:
        """A few lines: what it is, its size and its headline (the neurons lost by the end)."""
        t = self.times_months
        lost = 1.0 - self.variables["alive"][-1] / self.counts
        umn = self.anatomy.compartment_slice("umn")
        lmn = self.anatomy.compartment_slice("lmn")
        o = self.onset
        return (f"<alssim Result: one patient, seed {self.seed}, anatomy "
                f"{self.anatomy.name!r} ({self.anatomy.n_populations} populations)>\n"
                f"  onset {o.compartment} {o.segment} {o.side}; {len(t)} records over "
                f"{float(t[-1]):.1f} months; {int(self.counts.sum()):,} neurons\n"
                f"  lost by the last record: UMN {100 * lost[umn].mean():.0f}%, "
                f"LMN {100 * lost[lmn].mean():.0f}% (mean over populations)")

    # ------------------------------------------------------------------ labels
    @property
    def anatomy(self):
        return self.config.anatomy

    @property
    def population_labels(self) -> list[str]:
        """``'compartment:segment:side'`` of each population, in index order."""
        return self.anatomy.population_labels()

    def __getitem__(self, name: str) -> np.ndarray:
        """Recorded variable ``name``, shape (n_times, n_populations)."""
        try:
            return self.variables[name]
        except KeyError:
            raise KeyError(f"no variable {name!r}; recorded: {', '.join(self.variables)}") from None

    def select(self, name: str, compartment: str, segment: str, side: str) -> np.ndarray:
        """Time series of one variable in one population, shape (n_times,).

        Raises
        ------
        KeyError
            If ``name``, ``compartment``, ``segment`` or ``side`` is not one of the valid
            choices (the message lists them and suggests the nearest).
        """

        choices = {"name": tuple(self.variables), "compartment": COMPARTMENTS,
                   "segment": tuple(self.anatomy.segment_names), "side": SIDES}
        given = {"name": name, "compartment": compartment, "segment": segment, "side": side}
        for arg, value in given.items():
            if value not in choices[arg]:
                raise KeyError(_bad_choice(arg, value, choices[arg]))
        return self[name][:, self.anatomy.population_index(compartment, segment, side)]

    @functools.cached_property
    def clinical(self):
        """The clinical course (:class:`~alssim.clinical.ClinicalCourse`), computed once.

        Strength, UMN signs, fasciculations, ALSFRS-R, FVC, stages, EMG/MUNE/CMAP and the
        diagnostic criteria, derived from the recorded state by :func:`alssim.clinical.assess`.
        """
        if _clinical_assessment is None:  # pragma: no cover - alssim/__init__ registers it
            raise RuntimeError("the clinical layer is not loaded: import alssim")
        return _clinical_assessment(self)

    # ------------------------------------------------------------------ tables
    def to_xarray(self):
        """The recorded state as an :class:`xarray.Dataset` with labelled dimensions ``(time,
        population, segment, side)`` (see :func:`alssim.result_tables.result_to_xarray`); needs
        the optional dependency xarray (``pip install "alssim[xarray]"``)."""
        return result_to_xarray(self)

    def to_dataframe(self, *, after_death: str = "nan"):
        """Tidy long table of every recorded variable (see
        :func:`alssim.result_tables.result_to_dataframe`, which documents its columns).

        Raises
        ------
        ValueError
            If ``after_death`` is neither ``'nan'`` nor ``'keep'``.
        """
        return result_to_dataframe(self, after_death=after_death)

    @property
    def summary(self) -> dict[str, Any]:
        """Plain ``dict`` (JSON-ready) of the run's headline facts.

        Keys: ``alssim_version``, ``seed``, ``n_neurons``, ``horizon_months``, ``onset`` (segment,
        side, compartment, site), ``loss_months`` (per population label: months from biological
        onset to 10% and 50% lost, ``None`` if not reached) and ``order_of_involvement``
        (population labels in the order they lost 10%), and ``clinical``: clinical onset, the
        time each segment and King's region became involved, the first-spread direction, King's
        and MiToS stage entry times, diagnosis time and categories, survival, ALSFRS-R ΔFS,
        slope and D50 fit (see :meth:`alssim.clinical.ClinicalCourse.summary`; times from
        clinical onset).
        """
        labels = self.population_labels
        loss = {
            lab: {k: _finite_or_none(v[i]) for k, v in self.milestones.items()}
            for i, lab in enumerate(labels)
        }
        t10 = self.milestones["lost_10"]
        order = [labels[i] for i in np.argsort(t10, kind="stable") if math.isfinite(t10[i])]
        return {
            "alssim_version": self.version,
            "seed": self.seed,
            "n_neurons": int(self.counts.sum()),
            "horizon_months": round(float(self.times_months[-1]), 6),
            "onset": dataclasses.asdict(self.onset),
            "loss_months": loss,
            "order_of_involvement": order,
            "clinical": self.clinical.summary(),
        }

    def plot(self, kind: str | None = None, **kwargs: Any) -> Any:
        """Draw one figure of this patient with the analysis layer (:mod:`alssim.analysis`).

        Parameters
        ----------
        kind : str, optional
            ``"clinical_course"`` (default; :func:`~alssim.analysis.plot_clinical_course`),
            ``"populations"`` (:func:`~alssim.analysis.plot_populations`), ``"signs"``
            (:func:`~alssim.analysis.plot_signs`), ``"body_map"``
            (:func:`~alssim.analysis.plot_body_map`), ``"body_map_grid"``
            (:func:`~alssim.analysis.plot_body_map_grid`), ``"motor_units"``
            (:func:`~alssim.analysis.plot_motor_units`), ``"mune_cmap_strength"``
            (:func:`~alssim.analysis.plot_mune_cmap_strength`) or ``"spread_timeline"``
            (:func:`~alssim.analysis.plot_spread_timeline`).
        **kwargs
            Passed to that function: its options, and ``fig=`` (a figure or subfigure without
            axes) for the plots of several panels or ``ax=`` for ``"mune_cmap_strength"``.

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
    def save(self, path: str | Path, *, force: bool = False) -> Path:
        """Save to folder ``path`` (``result.json`` + ``result.npz``), atomically per file.

        ``result.json`` holds the SHA-256 of ``result.npz`` (``sha256``) and of its own canonical
        content (``meta_sha256``: every other field, so the config, seed and onset are covered
        and tied to the arrays' checksum).

        Raises
        ------
        OutputExistsError
            If ``path`` holds a saved result and ``force`` is false.
        """

        path = Path(path)
        if (path / "result.json").exists() and not force:
            raise OutputExistsError(f"{path}: already holds a result; pass force=True to replace")
        buf = io.BytesIO()
        arrays = {"times_months": self.times_months, "counts": self.counts}
        arrays.update({f"var__{k}": v for k, v in self.variables.items()})
        arrays.update({f"milestone__{k}": v for k, v in self.milestones.items()})
        np.savez(buf, **typing.cast(dict[str, Any], arrays))
        data = buf.getvalue()
        atomic_write_bytes(path / "result.npz", data)
        meta = {
            "format": "alssim.result",
            "format_version": FORMAT_VERSION,
            "alssim_version": self.version,
            "seed": self.seed,
            "onset": dataclasses.asdict(self.onset),
            "clinical_draws": dict(self.clinical_draws),
            "config_toml": self.config.to_toml(),
            "arrays": "result.npz",
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        meta["meta_sha256"] = meta_digest(meta)
        atomic_write_text(path / "result.json", json.dumps(meta, indent=1))
        return path


#: Largest ``result.json`` (or ``cohort.json``) read, bytes.
MAX_META_BYTES = 64 * 2**20
#: Most members a ``result.npz`` may hold.
MAX_NPZ_MEMBERS = 4 * (len(VARIABLES) + 8)


def meta_digest(meta: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``meta`` without its ``meta_sha256`` field."""
    body = {k: v for k, v in meta.items() if k != "meta_sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def inside_file(folder: Path, name: Any, *, what: Path, max_bytes: int | None = None) -> Path:
    """``folder / name`` if ``name`` is a plain relative path to a regular file inside ``folder``.

    Refuses absolute paths, ``..``, symlinks (anywhere on the way), non-regular files (devices,
    FIFOs) and files larger than ``max_bytes``.

    Raises
    ------
    ResultFormatError
        Naming ``what`` (the file that holds ``name``) and the offending name.
    """
    import os
    import stat

    shown = escape_text(name)
    if not isinstance(name, str) or not name or "\\" in name or "\x00" in name:
        raise ResultFormatError(f"{what}: file name {shown!r} is not a plain relative path")
    parts = Path(name).parts
    if Path(name).is_absolute() or any(p in ("..", ".") for p in parts):
        raise ResultFormatError(f"{what}: file name {shown!r} points outside {folder}")
    target = folder
    for part in parts:
        target = target / part
        if target.is_symlink():
            raise ResultFormatError(f"{what}: {target} is a symbolic link; refused")
    try:
        st = os.stat(target, follow_symlinks=False)
    except OSError:
        raise ResultFormatError(f"{what}: names {shown!r}, but {target} is missing") from None
    if not stat.S_ISREG(st.st_mode):
        raise ResultFormatError(f"{what}: {target} is not a regular file; refused")
    if max_bytes is not None and st.st_size > max_bytes:
        raise ResultFormatError(
            f"{target}: {st.st_size:,} bytes, more than the {max_bytes:,} a saved result may hold")
    return target


def _record_counts(cfg: Any) -> tuple[int, ...]:
    """Record counts a saved result of ``cfg`` may have: today's (the horizon always recorded),
    and that of results saved before the horizon was recorded when it is not a whole number of
    output intervals."""
    sim = cfg.simulation
    return tuple(sorted({int(sim.n_records), int(sim.n_steps // sim.steps_per_output + 1)}))


def _expected_arrays(cfg: Any, n_t: int | None = None
                     ) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Shape and dtype of every array a result of ``cfg`` holds (``.npy`` member names), with
    ``n_t`` records (default: today's count)."""
    n_t = int(cfg.simulation.n_records) if n_t is None else n_t
    n_p = int(cfg.anatomy.n_populations)
    out: dict[str, tuple[tuple[int, ...], np.dtype]] = {
        "times_months": ((n_t,), np.dtype(np.float64)),
        "counts": ((n_p,), np.dtype(np.int64)),
    }
    for name, spec in VARIABLES.items():
        out[f"var__{name}"] = ((n_t, n_p), np.dtype(spec.dtype))
    for name in ("lost_10", "lost_50"):
        out[f"milestone__{name}"] = ((n_p,), np.dtype(np.float64))
    return out


def _read_npy_header(fh: Any, where: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(fh)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(fh)
    raise ResultFormatError(f"{where}: npy format version {version} not read")


def _saved_record_count(zf: Any, cfg: Any) -> int:
    """The record count of a saved result, from the header of its ``times_months`` member if
    that is one of the counts ``cfg`` allows (:func:`_record_counts`); today's count otherwise
    (the member check then reports the mismatch)."""
    allowed = _record_counts(cfg)
    try:
        with zf.open("times_months.npy") as fh:
            shape, _fortran, _dtype = _read_npy_header(fh, "times_months.npy")
    except (KeyError, ValueError, OSError):
        return int(cfg.simulation.n_records)
    if len(shape) == 1 and int(shape[0]) in allowed:
        return int(shape[0])
    return int(cfg.simulation.n_records)


def _check_npz(npz_path: Path, cfg: Any) -> None:
    """Check the members of ``npz_path`` against ``cfg`` from their headers, before any data is
    read: member count, names, uncompressed sizes, ``.npy`` shapes and dtypes."""
    import zipfile

    try:
        with zipfile.ZipFile(npz_path) as zf:
            infos = zf.infolist()
            expected = _expected_arrays(cfg, _saved_record_count(zf, cfg))
            if len(infos) > MAX_NPZ_MEMBERS:
                raise ResultFormatError(f"{npz_path}: {len(infos):,} members; at most "
                                        f"{MAX_NPZ_MEMBERS} allowed")
            names = [i.filename for i in infos]
            if len(set(names)) != len(names):
                raise ResultFormatError(f"{npz_path}: duplicate members")
            for info in infos:
                key = info.filename.removesuffix(".npy")
                if not info.filename.endswith(".npy") or (
                        key not in expected and not key.startswith(("var__", "milestone__"))):
                    raise ResultFormatError(f"{npz_path}: unexpected member "
                                            f"{escape_name(info.filename)!r}")
                if key not in expected:  # a variable this alssim does not know: its shape
                    expected[key] = (expected["var__alive"][0] if key.startswith("var__")
                                     else expected["counts"][0], None)  # type: ignore[assignment]
                shape, dtype = expected[key]
                with zf.open(info) as fh:
                    got_shape, _fortran, got_dtype = _read_npy_header(
                        fh, f"{npz_path}: member {info.filename}")
                    header_len = fh.tell() if fh.seekable() else None
                numeric = got_dtype.kind in "biuf" and got_dtype.itemsize <= 8
                if tuple(got_shape) != shape or (dtype is not None and got_dtype != dtype) \
                        or not numeric:
                    raise ResultFormatError(
                        f"{npz_path}: member {info.filename} has shape {tuple(got_shape)} and "
                        f"dtype {got_dtype}; the saved config implies {shape} and "
                        f"{dtype if dtype is not None else 'a numeric dtype'}")
                n_bytes = int(np.prod(shape, dtype=np.int64)) * got_dtype.itemsize
                limit = n_bytes + (header_len if header_len is not None else 65536 + 16)
                if info.file_size > limit:
                    raise ResultFormatError(
                        f"{npz_path}: member {info.filename} declares {info.file_size:,} bytes; "
                        f"its shape needs {n_bytes:,}")
            required = ("times_months", "counts", "var__alive", "milestone__lost_10",
                        "milestone__lost_50")
            missing = [k for k in required if f"{k}.npy" not in names]
            if missing:
                raise ResultFormatError(f"{npz_path}: arrays missing: {', '.join(missing)}")
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        if isinstance(exc, ResultFormatError):
            raise
        raise ResultFormatError(f"{npz_path}: not a readable array file ({exc})") from None


def escape_name(name: Any) -> str:
    return escape_text(name)


def read_meta(meta_path: Path, fmt: str) -> dict[str, Any]:
    """Read and checksum a ``result.json``/``cohort.json``; warn if it has no self-checksum.

    Raises
    ------
    ResultFormatError
        If it is not a regular file, too large, not JSON, not an object of format ``fmt``, or its
        ``meta_sha256`` does not match its content.
    """
    import warnings

    inside_file(meta_path.parent, meta_path.name, what=meta_path, max_bytes=MAX_META_BYTES)
    try:
        meta = json.loads(meta_path.read_bytes().decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ResultFormatError(f"{meta_path}: not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != fmt:
        raise ResultFormatError(f"{meta_path}: not an {fmt.replace('.', ' ')}")
    if "meta_sha256" in meta:
        try:
            ok = meta_digest(meta) == meta["meta_sha256"]
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ResultFormatError(
                f"{meta_path}: checksum mismatch; the file was edited (its config, seed or "
                "onset no longer match what was saved)")
    else:
        warnings.warn(f"{meta_path}: written by an older alssim without a checksum of its own "
                      "content; its config, seed and onset are not verified (save it again to "
                      "add one)", UserWarning, stacklevel=3)
    return meta


def read_saved_json(file: Path, fmt: str, version: int, what: str) -> dict[str, Any]:
    """Read the JSON file of a saved result: an object of format ``fmt`` and a format version
    this alssim reads (``FileNotFoundError`` is left to the caller, which names what is
    missing).

    Raises
    ------
    ResultFormatError
        If the file is unreadable or not JSON (naming it), not an object of format ``fmt``
        ("not a saved ``what``") or of a newer format version.
    """
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise
    except (OSError, ValueError, RecursionError) as exc:
        raise ResultFormatError(f"{file}: unreadable ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise ResultFormatError(f"{file}: not a saved {what}")
    check_format_version(data.get("format_version", 0), version, file)
    return data


def load(path: str | Path) -> Result:
    """Load a result saved with :meth:`Result.save`.

    Every file read is checked first: ``result.json`` against its own checksum
    (``meta_sha256``; a file written by an older alssim without one loads with a
    ``UserWarning``), the arrays file against ``sha256``; the arrays file must be a regular file
    inside the folder, and each array's shape and dtype (read from its header, before any data
    is read) must be the ones the saved config implies.

    Raises
    ------
    ResultFormatError
        If the folder holds no result, a file is truncated or edited (checksum mismatch), a path
        points outside the folder, an array does not fit the config, or the format is foreign or
        newer than this alssim reads.
    """

    path = Path(path)
    meta_path = path / "result.json"
    if not meta_path.exists() and not meta_path.is_symlink():
        raise ResultFormatError(f"{path}: no result.json here; not a saved alssim result")
    meta = read_meta(meta_path, "alssim.result")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ResultFormatError(
            f"{meta_path}: format version {show_meta(meta.get('format_version'))}; this alssim "
            f"reads version {FORMAT_VERSION}")
    npz_path = inside_file(path, meta.get("arrays", "result.npz"), what=meta_path)
    if sha256_file(npz_path) != meta.get("sha256"):
        raise ResultFormatError(f"{npz_path}: checksum mismatch; the file was truncated or edited")
    try:
        if not isinstance(meta.get("config_toml"), str):
            raise KeyError("config_toml")
        cfg = config_from_saved(meta["config_toml"], source=str(meta_path))
        _check_npz(npz_path, cfg)
        with np.load(npz_path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        variables = {k[5:]: v for k, v in arrays.items() if k.startswith("var__")}
        milestones = {k[11:]: v for k, v in arrays.items() if k.startswith("milestone__")}
        seed = meta.get("seed")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ValueError(f"seed {show_meta(seed)} is not an integer")
        return Result(config=cfg, seed=seed, onset=OnsetSite(**meta["onset"]),
                      times_months=arrays["times_months"], counts=arrays["counts"],
                      variables=variables, milestones=milestones,
                      clinical_draws=_saved_draws(meta.get("clinical_draws")),
                      version=str(meta.get("alssim_version", "?")))
    except ResultFormatError:
        raise
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError, ConfigError) as exc:
        raise ResultFormatError(
            f"{meta_path}: saved result is incomplete or malformed ({exc})") from None


def _saved_draws(saved: Any) -> dict[str, float]:
    """Clinical draws of a saved result: the saved values, the medians for a missing name
    (results saved before a draw existed).

    Raises
    ------
    ValueError
        If a saved draw is not a finite positive number (quantiles also below 1).
    """
    out = default_clinical_draws()
    if saved is None:
        return out
    if not isinstance(saved, dict):
        raise ValueError(f"clinical_draws {show_meta(saved)} is not a table")
    for name, value in saved.items():
        kind = CLINICAL_DRAWS.get(name, ("", ""))[0]
        ok = (isinstance(value, int | float) and not isinstance(value, bool)
              and math.isfinite(value) and value > 0 and (kind != "quantile" or value < 1))
        if not kind or not ok:
            raise ValueError(f"clinical draw {show_meta(name)} = {show_meta(value)} is not "
                             "one alssim records")
        out[name] = float(value)
    return out


def show_meta(value: Any) -> str:
    return show_value(value)
