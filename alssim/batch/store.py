"""The resumable run folder (``out=DIR``): ``DIR/spec.json`` with the specification and its
SHA-256, one record per finished run written atomically the moment it reaches the main process;
a second run of the same specification skips the runs on disk, a different specification is
refused (:class:`RunStore`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from alssim._version import __version__
from alssim.batch.tasks import short_repr
from alssim.errors import ResultFormatError
from alssim.fileio import OutputExistsError, atomic_write_text
from alssim.outdir import OutputFolder

__all__ = [
    "RECORD_FORMAT",
    "RECORD_FORMAT_VERSION",
    "RunStore",
    "input_files",
    "json_default",
    "spec_hash",
]


RECORD_FORMAT = "alssim.runs"

RECORD_FORMAT_VERSION = 1


# --------------------------------------------------------------------------- tables
def json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"cannot store {type(obj).__name__} in a run record")


# --------------------------------------------------------------------------- run folder
def spec_hash(spec: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a batch specification."""
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"), allow_nan=False,
                      default=json_default)
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
        }, indent=1, sort_keys=True, allow_nan=False, default=json_default) + "\n")

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

        want = json.loads(json.dumps(dict(params), allow_nan=False, default=json_default))
        got_seed, got_params = record.get("seed"), record.get("params")
        if got_seed == seed and got_params == want:
            return
        what = (f"seed {got_seed!r}, but the spec gives this run seed {seed}"
                if got_seed != seed else
                f"parameters {short_repr(got_params)}, but the spec gives {short_repr(want)}")
        raise ResultFormatError(
            f"{self.record_path(run_id)}: this record of run {run_id} has {what}; the folder "
            "mixes the runs of two specifications. Pass --force (force=True) to discard alssim's "
            "runs there and start afresh, or choose another output folder")
