"""``alssim cohort``: simulate a cohort of heterogeneous virtual patients."""

from __future__ import annotations

import argparse
from pathlib import Path

import alssim
from alssim.cli.common import FORCE_HELP, PARQUET_HELP, add_config_arguments, overrides_from_args
from alssim.errors import ConfigError

EXAMPLE = """examples:
  alssim cohort configs/default.toml --n 200 --set simulation.scale=0.05 --out results/cohort
  alssim cohort configs/default.toml --n 10000 --set simulation.scale=0.1 --workers 8 --quiet
  alssim cohort my.toml --n 5000 --scheduler tcp://scheduler:8786 --out results/big
writes DIR/patients.csv (one row per patient: seed, sampled attributes, summary outputs),
DIR/summary.json, DIR/config.toml and DIR/cohort.json; every finished patient is recorded in
DIR/runs/ at once, so the same command run again after an interruption resumes where it stopped.
How patients differ is set by the [cohort] tables of the config (see configs/default.toml)."""


def register(sub) -> None:
    p = sub.add_parser("cohort", help="simulate a cohort of heterogeneous patients",
                       epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Simulate N virtual patients whose onset, age, sex, genotype, "
                       "exposures and speed are drawn from the [cohort] tables of a config.")
    add_config_arguments(p)
    p.add_argument("--n", type=int, required=True, help="number of patients")
    p.add_argument("--seed", type=int, default=None,
                   help="cohort seed (default: simulation.seed of the config)")
    p.add_argument("--out", type=Path, default=Path("results/cohort"),
                   help="output folder (default: results/cohort); new, empty, or a previous run "
                   "of the same cohort to resume")
    add_executor_arguments(p)
    p.add_argument("--trajectories", type=int, default=0, metavar="K",
                   help="also save the full trajectories of K evenly spaced patients")
    p.add_argument("--outputs", nargs="+", default=None, metavar="PATTERN",
                   help="keep only these output columns (names or glob patterns)")
    p.add_argument("--parquet", action="store_true",
                   help="also write patients.parquet: " + PARQUET_HELP)
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def add_executor_arguments(p: argparse.ArgumentParser) -> None:
    """``--workers K`` or ``--scheduler ADDRESS`` (mutually exclusive)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--workers", type=int, default=None, metavar="K",
                   help="local worker processes (default: every core; 1 runs in-process)")
    g.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on a Dask cluster, e.g. tcp://scheduler:8786 "
                   "(needs `pip install 'alssim[dask]'`)")


def executor_from_args(args: argparse.Namespace):
    """``(executor, workers)`` for :func:`alssim.run_cohort` / :func:`alssim.sweep`."""

    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"must be a positive integer; got {args.workers}", key="--workers")
    if args.scheduler is not None:
        return args.scheduler if "://" in args.scheduler else f"tcp://{args.scheduler}", None
    return None, args.workers


def run(args: argparse.Namespace) -> int:
    if args.n < 1:
        raise ConfigError(f"must be a positive integer; got {args.n}", key="--n")
    alssim.config.check_seed(args.seed)  # an integer in simulation.seed's range
    cfg = alssim.load_config(args.config, overrides=overrides_from_args(args))
    executor, workers = executor_from_args(args)
    cohort = alssim.run_cohort(cfg, args.n, seed=args.seed, executor=executor, workers=workers,
                               keep_trajectories=args.trajectories, outputs=args.outputs,
                               out=args.out, force=args.force, progress=not args.quiet,
                               parquet=args.parquet)
    sites = cohort.summary["attributes"].get("onset.site", {})
    site_text = ", ".join(f"{k} {v:.0%}" for k, v in sites.items() if v is not None)
    tables = "patients.csv, patients.parquet" if args.parquet else "patients.csv"
    print(f"alssim: wrote {args.out}/{tables} and summary.json ({cohort.n:,} patients"
          f"{'; onset ' + site_text if site_text else ''})")
    return 0
