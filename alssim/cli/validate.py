"""``alssim validate``: simulate the default cohort and compare it with published ALS cohorts."""

from __future__ import annotations

import argparse
from pathlib import Path

import alssim
from alssim.cli.common import FORCE_HELP, overrides_from_args
from alssim.errors import ConfigError
from alssim.outdir import OutputFolder
from alssim.validation import load_targets, run_validation, write_report

EXAMPLE = """examples:
  alssim validate                                  # n = 2000, seed 1, results/validation
  alssim validate --n 500 --seed 2 --out results/val-small --workers 2
  alssim validate --config my.toml --set spread.caudal_rate=0.01 --force
writes DIR/report.md (figure, published value and source, simulated value with a 95% interval,
within tolerance or not), DIR/validation.csv and DIR/figures/*.png; exits with status 3 when any
figure falls outside its a-priori tolerance (configs/validation/targets.toml)."""


def register(sub) -> None:
    p = sub.add_parser("validate", help="compare the default cohort with published ALS cohorts",
                       epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Simulate the validation cohort (the default config with the "
                       "settings of alssim.validation.VALIDATION_OVERRIDES) and compare it with "
                       "every published natural-history figure of "
                       "configs/validation/targets.toml.")
    p.add_argument("--config", type=Path, default=None,
                   help="base config (default: the shipped configs/default.toml)")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="KEY=VALUE", help="override a config value (repeatable)")
    p.add_argument("--n", type=int, default=2000, help="patients (default: 2000)")
    p.add_argument("--seed", type=int, default=1, help="cohort and bootstrap seed (default: 1)")
    p.add_argument("--out", type=Path, default=Path("results/validation"),
                   help="output folder (default: results/validation)")
    p.add_argument("--workers", type=int, default=None, metavar="K",
                   help="local worker processes (default: every core; 1 runs in-process)")
    p.add_argument("--boot", type=int, default=400, metavar="B",
                   help="bootstrap resamples for the 95%% intervals (default: 400)")
    p.add_argument("--targets", type=Path, default=None,
                   help="targets TOML (default: configs/validation/targets.toml)")
    p.add_argument("--no-figures", action="store_true", help="write the report without figures")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.n < 1:
        raise ConfigError(f"must be a positive integer; got {args.n}", key="--n")
    alssim.config.check_seed(args.seed)  # an integer in simulation.seed's range
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"must be a positive integer; got {args.workers}", key="--workers")
    cfg = alssim.load_config(args.config) if args.config is not None else None
    extra = overrides_from_args(args)
    targets = load_targets(args.targets)
    inputs = [p for p in (args.config, args.targets) if p is not None]
    # lock the folder and refuse a used one (or a user's file) before the cohort runs
    with OutputFolder(args.out, force=args.force, inputs=inputs,
                      command="alssim validate") as folder:
        folder.require_empty()
        folder.reserve("report.md", "validation.csv")
        report, cohort = run_validation(cfg, n=args.n, seed=args.seed, workers=args.workers,
                                        n_boot=args.boot, overrides=extra, targets=targets,
                                        progress=not args.quiet)
        with folder.staged(replace=True, commit_last=("report.md",)) as stage:
            write_report(report, stage, cohort, figures=not args.no_figures, force=True)
    n_pass = int(report.table["passed"].sum())
    print(f"alssim: {n_pass} of {len(report.table)} figures within tolerance; wrote "
          f"{args.out}/report.md and validation.csv")
    if not report.passed:
        print("alssim: outside tolerance: " + ", ".join(report.failures))
        return 3
    return 0
