"""``alssim sweep``: run a parameter sweep described in a TOML file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alssim.batch import table_to_csv
from alssim.cli.cohort import add_executor_arguments, executor_from_args
from alssim.cli.common import FORCE_HELP, PARQUET_HELP
from alssim.config import check_seed
from alssim.errors import ConfigError
from alssim.fileio import atomic_write_text
from alssim.outdir import OutputFolder
from alssim.sensitivity import analyze
from alssim.sweeps import METHODS, load_sweep_spec, run_sweep_spec

EXAMPLE = """examples:
  alssim sweep configs/sweeps/example.toml --out results/example
  alssim sweep configs/sweeps/example.toml --method sobol --samples 64 --out results/sobol
  alssim sweep my_sweep.toml --scheduler tcp://scheduler:8786 --quiet
writes DIR/runs.csv (tidy: run_id, point, replicate, seed, the swept keys, outputs), DIR/spec.json,
DIR/sweep.toml and one record per finished run in DIR/runs/ (written as each run finishes, so the
same command run again after an interruption resumes where it stopped); with --method sobol or
morris also DIR/sensitivity.csv (needs `pip install 'alssim[sensitivity]'`).
A sweep file has a [parameters] table of dotted config keys, each a list of values (grid) or a
range {low = ..., high = ..., scale = "log"}; see configs/sweeps/example.toml."""


def register(sub) -> None:

    p = sub.add_parser("sweep", help="run a parameter sweep (grid, LHS, Sobol, Morris, ...)",
                       epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Run every point of a parameter design, with replicates, "
                       "on every core or a Dask cluster; resumable.")
    p.add_argument("spec", metavar="SWEEP.toml", help="sweep specification (TOML)")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default: results/<name of SWEEP.toml>)")
    add_executor_arguments(p)
    p.add_argument("--method", choices=METHODS, default=None,
                   help="design (overrides the file's): grid, points, random, lhs, "
                   "sobol_sequence; sobol or morris add sensitivity indices")
    p.add_argument("--samples", type=int, default=None, metavar="N",
                   help="points / base samples / trajectories (overrides the file's)")
    p.add_argument("--replicates", type=int, default=None, metavar="R",
                   help="runs per point (overrides the file's)")
    p.add_argument("--seed", type=int, default=None, help="sweep seed (overrides the file's)")
    p.add_argument("--parquet", action="store_true",
                   help="also write runs.parquet: " + PARQUET_HELP)
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for name in ("samples", "replicates"):
        v = getattr(args, name)
        if v is not None and v < 1:
            raise ConfigError(f"must be a positive integer; got {v}", key=f"--{name}")
    check_seed(args.seed)  # an integer in simulation.seed's range
    spec = load_sweep_spec(args.spec)
    out = args.out or Path("results") / Path(args.spec).stem
    executor, workers = executor_from_args(args)
    result = run_sweep_spec(spec, out=out, executor=executor, workers=workers,
                            method=args.method, samples=args.samples, replicates=args.replicates,
                            seed=args.seed, force=args.force, progress=not args.quiet,
                            parquet=args.parquet)
    method = result.design["method"]
    extra = ""
    if method in ("sobol", "morris"):
        indices = analyze(result, on_missing="skip")
        with OutputFolder(out, command="alssim sweep") as folder:  # locked again for the write
            folder.reserve("sensitivity.csv")
            atomic_write_text(out / "sensitivity.csv", table_to_csv(indices))
        extra = " and sensitivity.csv"
        skipped = indices.attrs.get("skipped", [])
        if skipped:
            print(f"alssim: note: {len(skipped)} output(s) left out of the sensitivity analysis "
                  f"for missing values, e.g. {skipped[0]}", file=sys.stderr)
    if args.parquet:
        extra = ", runs.parquet" + extra
    print(f"alssim: wrote {out}/runs.csv{extra} ({len(result.runs):,} runs, "
          f"{result.n_points:,} points, method {method})")
    return 0
