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

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# the layers below, re-exported here where they were first defined
from alssim.config.overrides import (
    _check_known,
    _deep_merge,
    _dotted_keys,
    apply_overrides,
    parse_override,
)
from alssim.config.schema import Config, build_config
from alssim.config.tomlio import (
    MAX_CONFIG_BYTES,
    MAX_NESTING,
    _loads,
    configs_dir,
    dumps_toml,
    read_toml,
)
from alssim.config.upgrade import reject_retired_keys, upgrade_saved_config

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
