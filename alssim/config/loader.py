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
import re
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
from alssim.errors import ConfigError
from alssim.interventions import Interventions
from alssim.patients import Cohort
from alssim.teaching import Teaching

__all__ = [
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

    Raises
    ------
    ConfigError
        If the file is missing, unreadable, not UTF-8 or not valid TOML; a syntax error is
        reported as ``file:line:column: message``.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", source=str(path)) from None
    except IsADirectoryError:
        raise ConfigError("is a directory, not a TOML file", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                          source=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot be read ({exc.strerror})", source=str(path)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _TOML_POSITION.search(msg)
        where = f"{path}:{m.group(1)}:{m.group(2)}" if m else str(path)
        msg = _TOML_POSITION.sub("", msg).strip()
        raise ConfigError(f"invalid TOML: {msg}", source=where) from None


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
                raise ConfigError(f"must be a table; got {v!r}", key=key, source=source)
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
        raise ConfigError(f"override must look like KEY=VALUE; got {text!r}", source="--set")
    key, raw = text.split("=", 1)
    key, raw = key.strip(), raw.strip()
    if not key:
        raise ConfigError(f"override has an empty key: {text!r}", source="--set")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value


def apply_overrides(data: dict, overrides: Mapping[str, Any], source: str = "overrides") -> dict:
    """Apply dotted-key overrides to a config ``dict``; unknown keys name the nearest valid one."""
    data = copy.deepcopy(data)
    valid = _dotted_keys(data)
    for key, value in overrides.items():
        if not isinstance(key, str) or not key:
            raise ConfigError(f"override keys must be dotted strings; got {key!r}", source=source)
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
        raise ConfigError(f"must be an anatomy name, a path or a table; got {value!r}",
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
        f"no anatomy named or found at {value!r}; {extra}shipped anatomies: {', '.join(names)}",
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
            f"{', '.join(names)}; got {onset.segment!r}{extra}",
            key="onset.segment", source=where("onset.segment"))
    return Config(source=source, **parts)


@functools.lru_cache(maxsize=16)
def config_from_text(toml_text: str, source: str = "config text") -> Config:
    """Config from the complete effective-config TOML (``Config.to_toml()``), cached.

    Workers of cohorts, sweeps and trials receive the same text for every run they do; the cache
    builds and validates it once per process.
    """
    return build_config(tomllib.loads(toml_text), source=source, base_dir=None)


def config_from_saved(toml_text: str, *, source: str) -> Config:
    """Rebuild the effective config saved with a result (``Config.to_toml()`` text).

    Tables a newer alssim added since the result was saved are filled from the packaged defaults,
    so old results stay loadable; every saved value is kept and validated.
    """
    saved = tomllib.loads(toml_text)
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
        _check_known(user, data, str(path))
        data = _deep_merge(data, user)
        sources.update({k: str(path) for k in _dotted_keys(user)})
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
