"""Dotted-key edits of a config ``dict``: merging layers, listing keys, applying overrides (the
``--set KEY=VALUE`` of the command line and the ``overrides`` of the Python API)."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from typing import Any

from alssim.config.tomlio import MAX_NESTING, _check_nesting
from alssim.config.upgrade import reject_retired_keys
from alssim.errors import ConfigError, show_value
from alssim.fields import nearest_key

__all__ = ["apply_overrides", "parse_override"]

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
