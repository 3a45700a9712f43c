"""Atomic file writing and output-folder guards.

A file is written to a temporary sibling, flushed to disk and renamed over its destination, so a
reader (or a crash) sees either the old file or the complete new one, never a part.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from alssim.errors import AlssimError

__all__ = [
    "OutputExistsError",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_output_dir",
    "prepare_output_dir",
    "sha256_file",
]


class OutputExistsError(AlssimError, FileExistsError):
    """An output folder already holds files and overwriting was not asked for."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), 0o666 & ~_umask())  # mkstemp makes 0600; use the usual mode
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 digest of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_output_dir(path: str | Path, *, force: bool = False) -> None:
    """Refuse (without creating anything) an output folder that is not new or empty.

    Raises
    ------
    OutputExistsError
        If ``path`` is a file, or a non-empty folder and ``force`` is false.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputExistsError(f"{path}: exists and is not a folder")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise OutputExistsError(
            f"{path}: folder is not empty; choose another --out or pass --force to overwrite"
        )


def prepare_output_dir(path: str | Path, *, force: bool = False) -> Path:
    """Create ``path``, refusing a non-empty existing folder unless ``force``.

    Raises
    ------
    OutputExistsError
        If ``path`` exists, is not empty and ``force`` is false (nothing is touched).
    """
    check_output_dir(path, force=force)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


#: Files written last when a staged folder replaces files one by one (they point at the others).
_COMMIT_LAST = ("result.json",)


@contextlib.contextmanager
def staged_output_dir(path: str | Path, *, force: bool = False) -> Iterator[Path]:
    """Write a whole output folder so that a crash leaves the old state or the complete new one.

    Yields a hidden staging folder beside ``path``; when the ``with`` block ends without an
    error, the staging folder is renamed to ``path`` in one step (new or empty ``path``), or,
    with ``force`` on a non-empty ``path``, each staged file replaces its namesake atomically,
    files named in ``_COMMIT_LAST`` (which carry the checksums of the others) last. Other files
    already in ``path`` are left alone. On an error the staging folder is removed and ``path`` is
    untouched.

    Raises
    ------
    OutputExistsError
        If ``path`` is a non-empty folder and ``force`` is false (checked before anything is
        written).
    """
    path = Path(path)
    check_output_dir(path, force=force)
    path.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
    try:
        yield stage
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
        if not path.exists():
            os.rename(stage, path)
            return
        staged = sorted(stage.iterdir(), key=lambda p: (p.name in _COMMIT_LAST, p.name))
        for item in staged:
            os.replace(item, path / item.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
