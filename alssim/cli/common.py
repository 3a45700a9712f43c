"""Argument helpers shared by subcommands."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from alssim.config.loader import parse_override
from alssim.fileio import atomic_write_text

__all__ = [
    "FORCE_HELP",
    "PARQUET_HELP",
    "add_config_arguments",
    "overrides_from_args",
    "write_json",
]

#: Help of every command's ``--force``: what it may replace, and what it never touches.
PARQUET_HELP = ("the same table with its column types (needs pyarrow: pip install "
                "'alssim[parquet]')")
FORCE_HELP = ("write into a non-empty output folder, replacing or deleting only the files alssim "
              "itself wrote there (listed in its .alssim-manifest); other files are never touched, "
              "and one that alssim would overwrite is refused")


def add_config_arguments(p: argparse.ArgumentParser) -> None:
    """``CONFIG`` positional and repeatable ``--set KEY=VALUE``."""
    p.add_argument(
        "config",
        metavar="CONFIG",
        help="TOML config file (any subset of the keys of configs/default.toml)",
    )
    p.add_argument(
        "--set",
        dest="overrides",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="override one key, e.g. --set spread.contralateral_rate=0.05 (repeatable)",
    )


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Parsed ``--set`` overrides as a dict of dotted keys to typed values."""
    return dict(parse_override(o) for o in args.overrides)


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically."""

    atomic_write_text(path, json.dumps(data, indent=2, allow_nan=False) + "\n")
