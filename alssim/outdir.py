"""Output folders: one writer at a time, and a record of what alssim wrote there.

Every command that writes into a folder (``alssim run``, ``demo``, ``plot``, ``cohort``,
``sweep``, ``trial``, ``validate`` and their Python functions) opens it as an
:class:`OutputFolder`:

* **Lock.** ``.alssim.lock`` in the folder is locked exclusively (``fcntl.flock``) for as long as
  the command writes; it names the holder (pid, host, command, start time). A second writer is
  refused at once with :class:`OutputLockedError` naming the holder. The operating system releases
  the lock when its holder dies, so a lock left by a killed process is detected (its file still
  names the dead holder), reported in a warning, and taken over.
* **Manifest.** ``.alssim-manifest`` lists, one per line, every file alssim wrote (or is about to
  write) in the folder, relative to it; a line ending in ``/`` names a folder that alssim created
  and owns with everything in it (``runs/``, ``trajectories/patient-000012/``). A name is added
  *before* its file is written, so a crash never leaves an alssim file that the manifest does not
  know. ``--force`` deletes only what the manifest lists, never an input of the current command,
  never anything else; a file that alssim would write but did not write before (the user's own
  ``config.toml``, say) is refused, before any work, with or without ``--force``.
* **Staging.** :meth:`OutputFolder.staged` yields a hidden staging folder inside the output
  folder; when its block ends, each staged file replaces its namesake atomically, files named in
  ``commit_last`` (those that hold the checksums of the others) last. A killed command leaves
  its staging folder behind; the next command that opens the folder deletes it (it holds the
  lock, so nothing else can be using it), together with the temporary files of interrupted
  atomic writes.

Only the names ``.alssim.lock``, ``.alssim-manifest`` and ``.alssim-partial-*`` are reserved; a
folder that holds nothing else counts as empty.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import tempfile
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from alssim.errors import AlssimError
from alssim.fileio import OutputExistsError, atomic_write_text

__all__ = [
    "LOCK_NAME",
    "MANIFEST_NAME",
    "OutputFolder",
    "OutputLockedError",
    "StaleLockWarning",
    "saving_into",
]

#: Lock file of an output folder.
LOCK_NAME = ".alssim.lock"
#: Manifest of the files alssim wrote in an output folder.
MANIFEST_NAME = ".alssim-manifest"
#: Prefix of the staging folders inside an output folder.
STAGE_PREFIX = ".alssim-partial-"
#: Temporary files of :func:`alssim.fileio.atomic_write_bytes` look like ``.NAME.XXXXXXXX.tmp``.
_ATOMIC_TMP = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")
#: Leftover staging folders of older alssim versions, beside the output folder.
_LEGACY_STAGE = ".{name}.partial-"


class OutputLockedError(AlssimError):
    """Another alssim command is writing into the output folder."""


class StaleLockWarning(UserWarning):
    """An output folder's lock was left by a process that died; it was taken over."""


def _is_reserved(name: str) -> bool:
    return name in (LOCK_NAME, MANIFEST_NAME) or name.startswith(STAGE_PREFIX)


def _describe_holder(info: dict[str, Any]) -> str:
    started = info.get("started")
    when = (time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started))
            if isinstance(started, int | float) else "?")
    return (f"{info.get('command') or 'alssim'} (pid {info.get('pid', '?')} on host "
            f"{info.get('host', '?')}, since {when})")


class _FileLock:
    """An exclusive, non-blocking lock on one file, released by the OS when its holder dies."""

    def __init__(self, path: Path):
        self.path = path
        self.fh: IO[str] | None = None

    def acquire(self) -> str | None:
        """Lock; return the previous holder's record if the file still held one (it died)."""
        while True:
            fh = open(self.path, "a+", encoding="utf-8")
            try:
                if not _try_lock(fh):
                    fh.seek(0)
                    held = fh.read()
                    fh.close()
                    raise _Held(held)
                # the file may have been replaced between open and lock: lock the current one
                if os.fstat(fh.fileno()).st_ino != os.stat(self.path).st_ino:
                    fh.close()
                    continue
            except FileNotFoundError:
                fh.close()
                continue
            except BaseException:
                if not fh.closed:
                    fh.close()
                raise
            fh.seek(0)
            previous = fh.read().strip()
            self.fh = fh
            return previous or None

    def write(self, text: str) -> None:
        assert self.fh is not None
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(text)
        self.fh.flush()

    def release(self) -> None:
        """Delete the lock file (while still holding it), then release the lock."""
        if self.fh is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path)  # a process that opened it meanwhile sees the inode change
        self.fh.close()  # closing releases the lock
        self.fh = None


class _Held(Exception):
    def __init__(self, record: str):
        super().__init__(record)
        self.record = record


def _try_lock(fh: IO[str]) -> bool:
    """Non-blocking exclusive lock on an open file; ``False`` if another process holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        try:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _parse_holder(record: str) -> dict[str, Any]:
    try:
        info = json.loads(record)
    except (json.JSONDecodeError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def _normalise(rel: str | os.PathLike[str]) -> str:
    """A relative name as stored in the manifest (POSIX separators, no ``.`` parts)."""
    parts = [p for p in Path(rel).parts if p not in ("", ".")]
    text = "/".join(parts)
    if str(rel).endswith(("/", os.sep)):
        text += "/"
    return text


class OutputFolder:
    """An output folder opened for writing: locked, with a manifest of alssim's files.

    Parameters
    ----------
    path : str or Path
        The folder; created (with the mode the umask allows) if it does not exist. A symbolic
        link to a folder is followed.
    force : bool
        Allow writing into a folder that already holds files: alssim's own files there may be
        replaced or deleted (see :meth:`discard_owned`, :meth:`staged`); nobody else's ever are.
    inputs : sequence of path-like
        Files the current command reads; never deleted or overwritten, whatever ``force`` says.
    command : str
        What is writing, for the lock record and the messages (e.g. ``"alssim cohort"``).

    Raises
    ------
    OutputExistsError
        If ``path`` exists and is not a folder, or is a dangling symbolic link.
    OutputLockedError
        If another process holds the folder's lock.
    PermissionError, OSError
        If the folder cannot be created or written (checked here, before any work).

    Examples
    --------
    >>> with OutputFolder(out, force=False, command="alssim run") as folder:  # doctest: +SKIP
    ...     folder.require_empty()
    ...     with folder.staged() as stage:
    ...         (stage / "summary.json").write_text("{}")
    """

    def __init__(self, path: str | os.PathLike[str], *, force: bool = False,
                 inputs: Iterable[str | os.PathLike[str]] = (), command: str = "alssim"):
        self.path = Path(path)
        self.force = bool(force)
        self.command = command
        self._inputs = [Path(p) for p in inputs]
        self._lock = _FileLock(self.path / LOCK_NAME)
        self._manifest_fh: IO[str] | None = None
        self._owned: set[str] = set()
        self._owned_dirs: set[str] = set()
        self._open = False
        self._created = False

    # ------------------------------------------------------------------ open / close
    def __enter__(self) -> OutputFolder:
        self.open()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def open(self) -> OutputFolder:
        """Create and lock the folder, read its manifest and clear the leftovers of killed runs."""
        if self._open:
            return self
        path = self.path
        if path.is_symlink() and not path.exists():
            raise OutputExistsError(f"{path}: is a symbolic link to {os.readlink(path)!s}, "
                                    "which does not exist; create its target or choose another "
                                    "output folder")
        if path.exists() and not path.is_dir():
            raise OutputExistsError(f"{path}: exists and is not a folder")
        try:
            self._created = not path.exists()
            path.mkdir(parents=True, exist_ok=True)
            if not os.access(path, os.W_OK | os.X_OK):
                raise PermissionError("permission denied")
            previous = self._lock.acquire()
        except _Held as held:
            info = _parse_holder(held.record)
            raise OutputLockedError(
                f"{path}: another alssim command is writing here: {_describe_holder(info)}; "
                "wait for it to finish or choose another output folder") from None
        except PermissionError:
            raise PermissionError(
                f"{path}: cannot write into this folder (permission denied); choose another "
                "output folder") from None
        except OSError as exc:
            raise OSError(f"{path}: cannot create or write this output folder "
                          f"({exc.strerror}); choose another output folder") from None
        self._open = True
        try:
            if previous:
                info = _parse_holder(previous)
                warnings.warn(
                    f"{path}: the previous writer, {_describe_holder(info)}, ended without "
                    "releasing its lock (it was killed or crashed); its lock is taken over and "
                    "its unfinished files are cleared", StaleLockWarning, stacklevel=2)
            self._lock.write(json.dumps({
                "pid": os.getpid(), "host": socket.gethostname(), "command": self.command,
                "started": time.time()}) + "\n")
            self._read_manifest()
            self._clear_leftovers()
            self._manifest_fh = open(path / MANIFEST_NAME, "a", encoding="utf-8")
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Release the lock. The manifest stays, unless it lists nothing; a folder that this
        object created and that is still empty is removed (a refused command leaves no trace)."""
        if not self._open:
            return
        # when none of the reserved names was written (a command refused or failed after
        # opening the folder), the reservations are dropped, so that it leaves no trace
        names = self._owned | self._owned_dirs
        if names and not any((self.path / n).exists() or (self.path / n).is_symlink()
                             for n in names):
            self._owned.clear()
            self._owned_dirs.clear()
        if self._manifest_fh is not None:
            self._manifest_fh.close()
            self._manifest_fh = None
        if not self._owned and not self._owned_dirs:
            with contextlib.suppress(OSError):
                (self.path / MANIFEST_NAME).unlink()
        self._lock.release()
        self._open = False
        if self._created:
            with contextlib.suppress(OSError):
                self.path.rmdir()  # only if empty

    # ------------------------------------------------------------------ manifest
    def _read_manifest(self) -> None:
        self._owned.clear()
        self._owned_dirs.clear()
        try:
            text = (self.path / MANIFEST_NAME).read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        lines = text.split("\n")
        for line in lines[:-1]:  # the last piece has no newline: empty, or torn by a crash
            if not line or not self._safe(line):
                continue
            (self._owned_dirs if line.endswith("/") else self._owned).add(line.rstrip("/"))

    def _safe(self, rel: str) -> bool:
        p = Path(rel.rstrip("/"))
        return bool(p.parts) and not p.is_absolute() and ".." not in p.parts

    def owns(self, rel: str | os.PathLike[str]) -> bool:
        """Whether alssim wrote (or reserved) ``rel`` here, itself or as part of an owned folder."""
        name = _normalise(rel).rstrip("/")
        if name in self._owned or name in self._owned_dirs:
            return True
        parts = name.split("/")
        return any("/".join(parts[:i]) in self._owned_dirs for i in range(1, len(parts)))

    def _is_input(self, target: Path) -> bool:
        for p in self._inputs:
            with contextlib.suppress(OSError):
                if target.exists() and p.exists() and os.path.samefile(target, p):
                    return True
                if target.is_dir() and p.resolve().is_relative_to(target.resolve()):
                    return True
        return False

    def _target(self, rel: str) -> Path:
        name = _normalise(rel).rstrip("/")
        if not self._safe(name) or _is_reserved(name.split("/")[0]):
            raise ValueError(f"{rel!r} is not a name alssim may write inside {self.path}")
        return self.path / name

    def reserve(self, *names: str | os.PathLike[str]) -> None:
        """Record that alssim is about to write ``names`` (relative; a trailing ``/`` reserves a
        whole folder), refusing any that is already someone else's.

        Raises
        ------
        OutputExistsError
            If a name exists and alssim did not write it, or is an input of this command, or
            lies under a symbolic link.
        """
        if not self._open:
            raise RuntimeError("OutputFolder.reserve before open")
        new: list[str] = []
        for rel in names:
            name = _normalise(rel)
            bare = name.rstrip("/")
            target = self._target(bare)
            self._check_no_link(bare)
            if self._is_input(target):
                raise OutputExistsError(
                    f"{target}: is an input of this command and alssim would write its own "
                    f"{bare} here; choose another output folder")
            if self.owns(bare):
                continue
            if target.exists() or target.is_symlink():
                raise OutputExistsError(
                    f"{target}: exists and was not written by alssim (it is not in "
                    f"{self.path / MANIFEST_NAME}); alssim never overwrites or deletes it, even "
                    "with --force: move it away or choose another output folder")
            new.append(name)
        self._append(new)

    def adopt(self, *names: str) -> None:
        """Record ``names`` as alssim's without the existence check of :meth:`reserve`: for a
        folder written by an alssim that kept no manifest, whose files the caller recognised by
        their content (a run folder's ``spec.json`` of alssim's format, say)."""
        self._append([_normalise(n) for n in names if not self.owns(n)])

    def _append(self, new: list[str]) -> None:
        for name in new:
            if name.endswith("/"):
                self._owned_dirs.add(name.rstrip("/"))
            else:
                self._owned.add(name)
        if new:
            assert self._manifest_fh is not None
            self._manifest_fh.write("".join(f"{n}\n" for n in new))
            self._manifest_fh.flush()
            os.fsync(self._manifest_fh.fileno())

    def _check_no_link(self, name: str) -> None:
        cur = self.path
        for part in name.split("/")[:-1]:
            cur = cur / part
            if cur.is_symlink():
                raise OutputExistsError(f"{cur}: is a symbolic link inside the output folder; "
                                        "alssim does not write through it")

    def _rewrite_manifest(self) -> None:
        lines = sorted(self._owned) + sorted(f"{d}/" for d in self._owned_dirs)
        if self._manifest_fh is not None:
            self._manifest_fh.close()
        atomic_write_text(self.path / MANIFEST_NAME, "".join(f"{n}\n" for n in lines))
        self._manifest_fh = open(self.path / MANIFEST_NAME, "a", encoding="utf-8")

    # ------------------------------------------------------------------ contents
    def foreign(self) -> list[str]:
        """Top-level entries that alssim did not write here (sorted names)."""
        return sorted(p.name for p in self.path.iterdir()
                      if not _is_reserved(p.name) and not self.owns(p.name))

    def contents(self) -> list[str]:
        """Top-level entries other than alssim's lock, manifest and staging folders."""
        return sorted(p.name for p in self.path.iterdir() if not _is_reserved(p.name))

    def require_empty(self, what: str = "folder") -> None:
        """Refuse a folder that holds anything, unless ``force``.

        Raises
        ------
        OutputExistsError
            If the folder holds files (other than alssim's lock and manifest) and ``force`` is
            false; the message names a few of them.
        """
        names = self.contents()
        if names and not self.force:
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3
                                            else "")
            raise OutputExistsError(
                f"{self.path}: {what} is not empty (holds {shown}); choose another output "
                "folder, or pass --force (force=True) to replace the files alssim wrote there "
                "(other files are never touched)")

    def discard_owned(self, keep: Iterable[str] = ()) -> list[str]:
        """Delete what alssim wrote here (except ``keep`` and the command's inputs).

        Files the manifest lists are deleted, and folders it lists with all they hold; a
        folder left empty by the deletions is removed if alssim created it. Nothing else is
        touched.

        Returns
        -------
        list of str
            The relative names deleted.
        """
        keep_set = {_normalise(k).rstrip("/") for k in keep}
        deleted: list[str] = []
        for name in sorted(self._owned_dirs):
            if name in keep_set or any(k.startswith(name + "/") for k in keep_set):
                continue
            target = self.path / name
            if self._is_input(target) or any(
                    Path(p).resolve().is_relative_to(target.resolve()) for p in self._inputs):
                continue
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
                deleted.append(name + "/")
            elif target.is_symlink() or target.exists():
                target.unlink()
                deleted.append(name)
            self._owned_dirs.discard(name)
        for name in sorted(self._owned):
            if name in keep_set:
                continue
            target = self.path / name
            if self._is_input(target):
                continue
            if target.is_symlink() or target.is_file():
                target.unlink()
                deleted.append(name)
            self._owned.discard(name)
            self._prune_parents(name)
        self._rewrite_manifest()
        return deleted

    def _prune_parents(self, name: str) -> None:
        parts = name.split("/")[:-1]
        while parts:
            d = self.path.joinpath(*parts)
            rel = "/".join(parts)
            if rel in self._owned_dirs or not d.is_dir() or any(d.iterdir()):
                return
            if not any(o.startswith(rel + "/") for o in self._owned):
                with contextlib.suppress(OSError):
                    d.rmdir()
            parts.pop()

    def _clear_leftovers(self) -> None:
        """Delete what killed alssim commands left: staging folders, atomic-write temporaries."""
        for p in self.path.iterdir():
            if p.name.startswith(STAGE_PREFIX) and p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
        parent = self.path.resolve().parent
        legacy = _LEGACY_STAGE.format(name=self.path.name)
        with contextlib.suppress(OSError):
            for p in parent.iterdir():
                if p.name.startswith(legacy) and p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p, ignore_errors=True)
        roots = [self.path, *(self.path / d for d in self._owned_dirs)]
        for root in roots:
            if not root.is_dir() or root.is_symlink():
                continue
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = [d for d in dirnames if not d.startswith(STAGE_PREFIX)]
                for f in filenames:
                    if _ATOMIC_TMP.match(f):
                        rel = os.path.relpath(os.path.join(dirpath, f[1:].rsplit(".", 2)[0]),
                                              self.path)
                        if root is not self.path or self.owns(rel):
                            with contextlib.suppress(OSError):
                                os.unlink(os.path.join(dirpath, f))
                if root is self.path:
                    break  # the top level only; owned folders are walked whole

    # ------------------------------------------------------------------ staging
    @contextlib.contextmanager
    def staged(self, *, commit_last: Sequence[str] = ("result.json",),
               replace: bool = False) -> Iterator[Path]:
        """Yield a staging folder; on success move everything staged into the output folder.

        Parameters
        ----------
        commit_last : sequence of str
            Base names moved last (files that hold the checksums of the others).
        replace : bool
            After the move, delete the files alssim wrote here before that this command did
            not write again (a ``--force`` rerun replaces the whole output, so no file of the
            old run is left beside the new ones).

        Raises
        ------
        OutputExistsError
            If a staged name is someone else's file (checked before anything is moved).
        """
        if not self._open:
            raise RuntimeError("OutputFolder.staged before open")
        stage = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{os.getpid()}-", dir=self.path))
        try:
            yield stage
            files = sorted(
                (p for p in stage.rglob("*") if p.is_file() or p.is_symlink()),
                key=lambda p: (p.name in commit_last, str(p.relative_to(stage))))
            names = [p.relative_to(stage).as_posix() for p in files]
            self.reserve(*names)
            for p, name in zip(files, names, strict=True):
                target = self.path / name
                target.parent.mkdir(parents=True, exist_ok=True)
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target)  # an owned folder where a file now goes
                os.replace(p, target)
            if replace:
                self.discard_owned(keep=names)
        finally:
            shutil.rmtree(stage, ignore_errors=True)


@contextlib.contextmanager
def saving_into(path: str | os.PathLike[str], names: Iterable[str], *, force: bool,
                command: str) -> Iterator[Path]:
    """Open ``path`` for a result's ``save()``: locked while the files are written, refused
    when it holds anything unless ``force``, and ``names`` reserved, so a file of one of those
    names that alssim did not write is never replaced, whatever ``force`` says.

    Raises
    ------
    OutputExistsError
        If the folder holds files and ``force`` is false, or one of ``names`` is someone
        else's file.
    OutputLockedError
        If another process is writing into the folder.
    """
    with OutputFolder(path, force=force, command=command) as folder:
        folder.require_empty()
        folder.reserve(*names)
        yield folder.path
