"""TOML text in and out: safe reading of config files (size, file kind, encoding, nesting) and
writing of config ``dict`` s. Knows nothing of what the keys mean (:mod:`alssim.config.schema`)."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from alssim.errors import ConfigError

__all__ = ["MAX_CONFIG_BYTES", "MAX_NESTING", "configs_dir", "dumps_toml", "read_toml"]

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")

#: Largest TOML file alssim reads (1 MiB). A config, an anatomy, a sweep or trial spec is a few
#: kB; anything larger is refused before it is read, so that a wrong path (a disk image, a
#: device) fails at once instead of filling memory.
MAX_CONFIG_BYTES = 1024 * 1024
#: Deepest nesting of tables and arrays accepted in a TOML value (the deepest shipped key,
#: ``anatomy.segments[i].muscles[j].name``, is 4 levels).
MAX_NESTING = 32

_FILE_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
               (stat.S_ISSOCK, "a socket"))


def _not_regular(mode: int) -> str:
    for test, name in _FILE_KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _read_config_bytes(path: Path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_CONFIG_BYTES`, without blocking.

    The path is checked with ``os.stat`` before it is opened, and opened non-blocking (a FIFO
    that appears in between does not hang), then checked again on the open descriptor; at most
    ``MAX_CONFIG_BYTES + 1`` bytes are ever read.
    """
    src = str(path)
    limit = f"{MAX_CONFIG_BYTES // 1024:,} KiB"
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ConfigError("file not found", source=src) from None
    except OSError as exc:
        raise ConfigError(f"cannot be read ({exc.strerror})", source=src) from None
    if stat.S_ISDIR(st.st_mode):
        raise ConfigError("is a directory, not a TOML file", source=src)
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"is {_not_regular(st.st_mode)}, not a regular TOML file", source=src)
    if st.st_size > MAX_CONFIG_BYTES:
        raise ConfigError(f"is {st.st_size:,} bytes; a TOML config may be at most {limit} "
                          "(is this the right file?)", source=src)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ConfigError(f"cannot be read ({exc.strerror})", source=src) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # replaced between stat() and open()
            raise ConfigError(f"is {_not_regular(st.st_mode)}, not a regular TOML file",
                              source=src)
        chunks, size = [], 0
        while size <= MAX_CONFIG_BYTES:
            chunk = os.read(fd, MAX_CONFIG_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise ConfigError(f"cannot be read ({exc.strerror})", source=src) from None
    finally:
        os.close(fd)
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(f"is more than {limit}; a TOML config may be at most {limit} "
                          "(is this the right file?)", source=src)
    return b"".join(chunks)


def _check_nesting(value: Any, key: str, source: str | None) -> None:
    """Refuse tables or arrays nested deeper than :data:`MAX_NESTING` (checked without
    recursion, so that no later step can exhaust Python's stack)."""
    todo = [(value, key, 0)]
    while todo:
        node, where, depth = todo.pop()
        if isinstance(node, Mapping):
            items = [(v, f"{where}.{k}" if where else str(k)) for k, v in node.items()]
        elif isinstance(node, list | tuple):
            items = [(v, f"{where}[{i}]") for i, v in enumerate(node)]
        else:
            continue
        if depth >= MAX_NESTING:
            raise ConfigError(f"tables and arrays are nested more than {MAX_NESTING} levels "
                              "deep here; no config key needs that", key=where or None,
                              source=source)
        todo.extend((v, k, depth + 1) for v, k in items)


def _loads(text: str, source: str) -> dict[str, Any]:
    """``tomllib.loads`` whose every failure is a ConfigError naming ``source`` (and the line)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _TOML_POSITION.search(msg)
        where = f"{source}:{m.group(1)}:{m.group(2)}" if m else source
        msg = _TOML_POSITION.sub("", msg).strip()
        raise ConfigError(f"invalid TOML: {msg}", source=where) from None
    except RecursionError:
        raise ConfigError(f"invalid TOML: arrays or inline tables nested too deeply (alssim "
                          f"accepts {MAX_NESTING} levels)", source=source) from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise ConfigError(f"invalid TOML: {exc}", source=source) from None
    _check_nesting(data, "", source)
    return data


def configs_dir() -> Path:
    """Folder holding the shipped configs (default, anatomy, phenotypes, ...).

    Inside an installed wheel this is ``alssim/_configs``; in a source checkout, ``configs/``.
    """
    packaged = Path(str(resources.files("alssim"))) / "_configs"
    if (packaged / "default.toml").is_file():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "configs"
    if (checkout / "default.toml").is_file():
        return checkout
    raise FileNotFoundError("alssim's shipped configs were not found; reinstall the package")


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file.

    Every TOML file alssim reads (configs, anatomies, sweep and trial specs and the configs they
    name) is read here.

    Raises
    ------
    ConfigError
        If the file is missing, not a regular file (a directory, a device such as ``/dev/zero``,
        a FIFO, a socket), larger than :data:`MAX_CONFIG_BYTES`, unreadable, not UTF-8, not valid
        TOML or nested more than :data:`MAX_NESTING` levels deep; a syntax error is reported as
        ``file:line:column: message``. Nothing blocks and nothing larger than the limit is read.
    """
    path = Path(path)
    raw = _read_config_bytes(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                          source=str(path)) from None
    return _loads(text, str(path))


def dumps_toml(data: Mapping[str, Any]) -> str:
    """TOML text for a plain ``dict`` (the inverse of :func:`read_toml`)."""
    return tomli_w.dumps(_plain(data))


def _plain(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, tuple | list):
        return [_plain(v) for v in obj]
    return obj
