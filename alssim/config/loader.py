"""Read TOML into a validated :class:`~alssim.config.schema.Config`.

Layering, each layer over the one before:

1. the packaged defaults (``configs/default.toml``, shipped inside the package);
2. the user's file (any subset of keys);
3. overrides: a ``dict`` of dotted keys in Python, ``--set KEY=VALUE`` on the command line.

Then the anatomy is resolved (a name such as ``"four_regions"``, a path, or an inline table) and
every value is validated. Any problem raises :class:`~alssim.errors.ConfigError` naming the file the
value came from, its full key path, the value and what is allowed.
"""

from __future__ import annotations

import copy
import functools
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from alssim.anatomy import Anatomy
from alssim.clinical.params import Clinical
from alssim.config.params import build, nearest_key
from alssim.config.schema import Config, Mechanisms, Neurons, Onset, Simulation, Spread
from alssim.errors import ConfigError, show_value
from alssim.interventions import Interventions
from alssim.patients import Cohort
from alssim.teaching import Teaching

__all__ = [
    "MAX_CONFIG_BYTES",
    "MAX_NESTING",
    "apply_overrides",
    "build_config",
    "config_from_saved",
    "config_from_text",
    "configs_dir",
    "dumps_toml",
    "load_config",
    "parse_override",
    "read_toml",
]

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


def _deep_merge(base: dict, update: Mapping) -> dict:
    out = dict(base)
    for k, v in update.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _dotted_keys(data: Mapping, prefix: str = "") -> list[str]:
    keys = []
    for k, v in data.items():
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, Mapping) and k != "anatomy":
            keys.extend(_dotted_keys(v, key))
        else:
            keys.append(key)
    return keys


def _check_known(user: Mapping, reference: Mapping, source: str, prefix: str = "") -> None:
    """Refuse keys of ``user`` that ``reference`` (the packaged defaults) does not have."""
    for k, v in user.items():
        key = f"{prefix}.{k}" if prefix else k
        if k not in reference:
            hint = nearest_key(k, list(reference))
            if hint:
                msg = f"unknown key; did you mean '{prefix + '.' if prefix else ''}{hint}'?"
            else:
                msg = "unknown key; valid keys here are " + ", ".join(sorted(reference))
            raise ConfigError(msg, key=key, source=source)
        if key == "anatomy":
            continue
        ref = reference[k]
        if isinstance(ref, Mapping):
            if not isinstance(v, Mapping):
                raise ConfigError(f"must be a table; got {show_value(v)}", key=key,
                                  source=source)
            _check_known(v, ref, source, key)


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``'KEY=VALUE'`` and parse VALUE as a TOML value (a bare word stays a string).

    Examples
    --------
    >>> parse_override("spread.contralateral_rate=0.2")
    ('spread.contralateral_rate', 0.2)
    >>> parse_override("onset.side=left")
    ('onset.side', 'left')
    """
    if "=" not in text:
        raise ConfigError(f"override must look like KEY=VALUE; got {show_value(text)}",
                          source="--set")
    key, raw = text.split("=", 1)
    key, raw = key.strip(), raw.strip()
    if not key:
        raise ConfigError(f"override has an empty key: {show_value(text)}", source="--set")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    except RecursionError:
        raise ConfigError(f"arrays or inline tables nested too deeply (alssim accepts "
                          f"{MAX_NESTING} levels)", key=key, source="--set") from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise ConfigError(f"{exc}", key=key, source="--set") from None
    _check_nesting(value, key, "--set")
    return key, value


def apply_overrides(data: dict, overrides: Mapping[str, Any], source: str = "overrides") -> dict:
    """Apply dotted-key overrides to a config ``dict``; unknown keys name the nearest valid one."""
    from alssim.patients import reject_retired_keys

    data = copy.deepcopy(data)
    valid = _dotted_keys(data)
    for key, value in overrides.items():
        if not isinstance(key, str) or not key:
            raise ConfigError(f"override keys must be dotted strings; got {show_value(key)}",
                              source=source)
        reject_retired_keys([key], source)
        _check_nesting(value, key, source)
        parts = key.split(".")
        node = data
        for i, part in enumerate(parts[:-1]):
            nxt = node.get(part) if isinstance(node, dict) else None
            if not isinstance(nxt, dict) or (part == "anatomy" and i == 0):
                hint = nearest_key(key, valid)
                extra = f"did you mean '{hint}'?" if hint else "see `alssim config show`"
                raise ConfigError(f"unknown key; {extra}", key=key, source=source)
            node = nxt
        last = parts[-1]
        if last not in node or (isinstance(node[last], dict) and last != "anatomy"):
            hint = nearest_key(key, valid)
            extra = f"did you mean '{hint}'?" if hint else "see `alssim config show`"
            raise ConfigError(f"unknown key; {extra}", key=key, source=source)
        node[last] = value
    return data


def _resolve_anatomy(value: Any, base_dir: Path | None, source: str | None) -> Anatomy:
    if isinstance(value, Mapping):
        return Anatomy.from_dict(value, source=source)
    if not isinstance(value, str):
        raise ConfigError(f"must be an anatomy name, a path or a table; got {show_value(value)}",
                          key="anatomy", source=source)
    candidates = []
    if base_dir is not None:
        candidates.append(base_dir / value)
    candidates.append(Path(value))
    shipped = configs_dir() / "anatomy"
    candidates.append(shipped / f"{value}.toml")
    for c in candidates:
        if c.is_file():
            return Anatomy.from_dict(read_toml(c), source=str(c))
    names = sorted(p.stem for p in shipped.glob("*.toml"))
    hint = nearest_key(value, names)
    extra = f"did you mean '{hint}'? " if hint else ""
    raise ConfigError(
        f"no anatomy named or found at {show_value(value)}; {extra}shipped anatomies: "
        f"{', '.join(names)}",
        key="anatomy", source=source)


_SECTIONS = {
    "simulation": Simulation,
    "neurons": Neurons,
    "onset": Onset,
    "spread": Spread,
    "mechanisms": Mechanisms,
    "cohort": Cohort,
    "clinical": Clinical,
    "teaching": Teaching,
    "interventions": Interventions,
}


def build_config(data: Mapping[str, Any], *, source: str | None, base_dir: Path | None,
                 sources: Mapping[str, str] | None = None) -> Config:
    """Validate a complete config ``dict`` and build the frozen :class:`Config`.

    ``sources`` maps dotted keys to the file (or ``"overrides"``) they came from, so that errors
    name the right place.
    """
    sources = sources or {}

    def where(key: str | None) -> str | None:
        if key is None:
            return source
        key = key.split("[")[0]
        if key in sources:
            return sources[key]
        # a table (cross-field check): the most specific layer that set any key below it
        below = {v for k, v in sources.items() if k.startswith(key + ".")}
        for layer in ("overrides", source):
            if layer in below:
                return layer
        parts = key.split(".")
        for n in range(len(parts) - 1, 0, -1):
            k = ".".join(parts[:n])
            if k in sources:
                return sources[k]
        return source

    expected = ("simulation", "anatomy", "neurons", "onset", "spread", "mechanisms",
                "cohort", "clinical", "teaching", "interventions")
    for k in data:
        if k not in expected:
            hint = nearest_key(k, expected)
            msg = f"unknown key; did you mean '{hint}'?" if hint else (
                "unknown key; valid top-level tables are " + ", ".join(expected))
            raise ConfigError(msg, key=k, source=where(k))
    parts: dict[str, Any] = {}
    try:
        for name, cls in _SECTIONS.items():
            if name not in data:
                raise ConfigError("missing table", key=name, source=where(name))
            parts[name] = build(cls, data[name], prefix=name)
        parts["anatomy"] = _resolve_anatomy(data.get("anatomy", "default"), base_dir,
                                            where("anatomy"))
    except ConfigError as exc:
        if exc.source is None:
            raise ConfigError(exc.detail, key=exc.key, source=where(exc.key)) from None
        raise
    onset = parts["onset"]
    names = parts["anatomy"].segment_names
    if onset.segment not in names:
        hint = nearest_key(onset.segment, names)
        extra = f" (did you mean {hint!r}?)" if hint else ""
        raise ConfigError(
            f"must be a segment of anatomy '{parts['anatomy'].name}': "
            f"{', '.join(names)}; got {show_value(onset.segment)}{extra}",
            key="onset.segment", source=where("onset.segment"))
    return Config(source=source, **parts)


@functools.lru_cache(maxsize=16)
def config_from_text(toml_text: str, source: str = "config text") -> Config:
    """Config from the complete effective-config TOML (``Config.to_toml()``), cached.

    Workers of cohorts, sweeps and trials receive the same text for every run they do; the cache
    builds and validates it once per process.
    """
    return build_config(_loads(toml_text, source), source=source, base_dir=None)


def config_from_saved(toml_text: str, *, source: str) -> Config:
    """Rebuild the effective config saved with a result (``Config.to_toml()`` text).

    Tables a newer alssim added since the result was saved are filled from the packaged defaults,
    so old results stay loadable; every saved value is kept and validated.
    """
    from alssim.patients import upgrade_saved_config

    saved = upgrade_saved_config(_loads(toml_text, source))
    data = _deep_merge({k: v for k, v in read_toml(configs_dir() / "default.toml").items()
                        if k != "anatomy"}, saved)
    return build_config(data, source=source, base_dir=None)


def load_config(
    path: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Load a configuration: packaged defaults, then ``path``, then ``overrides``.

    Parameters
    ----------
    path : str or Path, optional
        A TOML file holding any subset of the keys of ``configs/default.toml``. ``None`` gives the
        packaged defaults.
    overrides : dict, optional
        Dotted keys to values, e.g. ``{"spread.contralateral_rate": 0.2}``; strings given for
        numeric keys are parsed (as from ``--set KEY=VALUE``).

    Returns
    -------
    Config
        Frozen, validated parameters.

    Raises
    ------
    ConfigError
        Naming the file, the full key path, the value and what is allowed.

    Examples
    --------
    >>> import alssim
    >>> cfg = alssim.load_config(overrides={"spread.contralateral_rate": 0.2})
    >>> cfg.spread.contralateral_rate
    0.2
    """
    default_path = configs_dir() / "default.toml"
    data = read_toml(default_path)
    sources: dict[str, str] = {k: str(default_path) for k in _dotted_keys(data)}
    base_dir = None
    source = str(default_path)
    if path is not None:
        path = Path(path)
        user = read_toml(path)
        from alssim.patients import reject_retired_keys

        reject_retired_keys(_dotted_keys(user), str(path))
        _check_known(user, data, str(path))
        data = _deep_merge(data, user)
        for k in _dotted_keys(user):
            # a table given where the defaults have a value replaces that value: name this file
            parts = k.split(".")
            for n in range(1, len(parts) + 1):
                if n == len(parts) or ".".join(parts[:n]) in sources:
                    sources[".".join(parts[:n])] = str(path)
        base_dir = path.parent
        source = str(path)
    if overrides:
        parsed = {}
        for k, v in overrides.items():
            if isinstance(v, str) and k != "anatomy":
                _, v = parse_override(f"{k}={v}")
            parsed[k] = v
        data = apply_overrides(data, parsed)
        sources.update({k: "overrides" for k in parsed})
    return build_config(data, source=source, base_dir=base_dir, sources=sources)
