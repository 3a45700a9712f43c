"""Atomic file writing and output-folder guards.

A file is written to a temporary sibling, flushed to disk and renamed over its destination, so a
reader (or a crash) sees either the old file or the complete new one, never a part.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
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
