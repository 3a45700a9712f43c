"""``alssim config show|check``: print or validate the effective configuration."""

from __future__ import annotations

import argparse
import sys

import alssim
from alssim.cli.common import add_config_arguments, overrides_from_args

EXAMPLE = """examples:
  alssim config show configs/default.toml --set onset.segment=bulbar
  alssim config check my_patient.toml   # exit 0 if valid, 1 with the problem otherwise"""


def register(sub) -> None:
    p = sub.add_parser(
        "config",
        help="show or check a config",
        epilog=EXAMPLE,
        description="Show the effective config as TOML, or check one.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    inner = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    inner.required = True
    show = inner.add_parser(
        "show",
        help="print the effective, fully resolved config as TOML",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_arguments(show)
    show.set_defaults(func=_show)
    check = inner.add_parser(
        "check",
        help="validate a config; exit 0 if valid, 1 if not",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_arguments(check)
    check.set_defaults(func=_check)


def _show(args: argparse.Namespace) -> int:
    cfg = alssim.load_config(args.config, overrides=overrides_from_args(args))
    sys.stdout.write(cfg.to_toml())
    return 0


def _check(args: argparse.Namespace) -> int:
    cfg = alssim.load_config(args.config, overrides=overrides_from_args(args))
    n = int(cfg.anatomy.counts(cfg.simulation.scale).sum())
    print(f"alssim: {args.config}: valid ({n:,} neurons, {cfg.simulation.n_steps:,} steps)")
    return 0
