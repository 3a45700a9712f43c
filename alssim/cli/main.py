"""``alssim`` command: parses arguments, dispatches to a subcommand, turns errors into one line.

Each subcommand lives in its own module under :mod:`alssim.cli` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a callable taking the parsed
arguments and returning an exit code. Exit codes: 0 success, 1 runtime error (bad config, refused
overwrite, unreadable result), 2 usage error (argparse), 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

from alssim._version import __version__
from alssim.errors import AlssimError

__all__ = ["build_parser", "main"]

#: Subcommand modules, in the order ``alssim --help`` lists them.
SUBCOMMANDS = ("run", "demo", "plot", "cohort", "sweep", "trial", "validate", "config_cmd")


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one line on stderr and exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="alssim",
        description="Agent-based simulator of ALS: every upper and lower motor neuron of a "
        "virtual patient.",
        epilog="Example: alssim run configs/default.toml --out results/default",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"alssim {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in SUBCOMMANDS:
        importlib.import_module(f"alssim.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``alssim`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.debug:
        warnings.showwarning = _one_line_warning
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("alssim: interrupted", file=sys.stderr)
        return 130
    except (AlssimError, OSError) as exc:
        if args.debug:
            raise
        msg = " ".join(str(exc).split())
        print(f"alssim: error: {msg}", file=sys.stderr)
        return 1
    except Exception as exc:  # an unexpected failure still gets one line without --debug
        if args.debug:
            raise
        print(
            f"alssim: internal error: {type(exc).__name__}: {exc} (rerun with --debug for "
            "the traceback)",
            file=sys.stderr,
        )
        return 1


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Show a warning as one line on standard error (the full form with ``--debug``)."""
    text = " ".join(str(message).split())
    print(f"alssim: warning: {text}", file=file or sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
