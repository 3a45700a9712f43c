"""``alssim trial``: run a virtual randomised clinical trial from a TRIAL.toml."""

from __future__ import annotations

import argparse
from pathlib import Path

import alssim
from alssim.cli.common import FORCE_HELP, overrides_from_args
from alssim.errors import ConfigError
from alssim.outdir import OutputFolder
from alssim.survival import format_pvalue

EXAMPLE = """examples:
  alssim trial configs/trials/riluzole.toml --out results/riluzole
  alssim trial configs/trials/edaravone_mci186_19.toml --patients 60 120 240 --replicates 50 \\
      --out results/edaravone_power
  alssim trial configs/trials/riluzole.toml --crn --set simulation.scale=0.01 --out results/r
writes DIR/summary.json (design, screening, effects, power), DIR/analyses.csv (one row per
replicate, trial size, arm and endpoint: effect, confidence limits, p value), DIR/power.csv,
DIR/patients.csv (one row per randomised patient and arm; each table with its column schema
NAME.schema.json), DIR/trial.toml (the effective trial
spec) and DIR/config.toml (the model config). See configs/trials/ for the shipped trials."""


def register(sub) -> None:
    p = sub.add_parser("trial", help="run a virtual randomised clinical trial",
                       epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Screen virtual patients against entry criteria, randomise "
                       "them to arms, treat from entry and analyse ALSFRS-R change and slope, "
                       "survival and King's progression; replicate for power.")
    p.add_argument("trial", metavar="TRIAL", type=Path, help="trial TOML file")
    p.add_argument("--patients", type=int, nargs="+", default=None, metavar="N",
                   help="patients randomised per trial (several: power against sample size)")
    p.add_argument("--replicates", type=int, default=None, help="replicated trials")
    p.add_argument("--seed", type=int, default=None, help="trial seed")
    p.add_argument("--crn", action="store_true", default=None,
                   help="common random numbers: the same virtual patients in every arm")
    p.add_argument("--population", type=int, default=None, metavar="P",
                   help="draw the replicates' patients from P eligible virtual patients")
    p.add_argument("--set", dest="overrides", metavar="KEY=VALUE", action="append", default=[],
                   help="override a key of the model config, e.g. --set simulation.scale=0.01")
    p.add_argument("--out", type=Path, default=Path("results/trial"),
                   help="output folder (default: results/trial); must be new or empty")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.add_argument("--workers", type=int, default=None, metavar="K",
                   help="local worker processes (default: every core; 1 runs in-process)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for key, v in (("--replicates", args.replicates), ("--workers", args.workers),
                   ("--population", args.population)):
        if v is not None and v < (0 if key == "--population" else 1):
            raise ConfigError(f"must be a positive integer; got {v}", key=key)
    alssim.config.check_seed(args.seed)  # an integer in simulation.seed's range
    # lock the folder and refuse a used one (or a user's file) before any work
    with OutputFolder(args.out, force=args.force, inputs=[args.trial],
                      command="alssim trial") as folder:
        folder.require_empty()
        folder.reserve(*TRIAL_FILES)
        res = alssim.run_trial(args.trial, patients=args.patients, replicates=args.replicates,
                               seed=args.seed, crn=args.crn, population=args.population,
                               overrides=overrides_from_args(args) or None,
                               workers=args.workers, progress=not args.quiet)
        with folder.staged(replace=True) as stage:
            res.save(stage, force=True)
    control = res.spec.trial.control
    lines = []
    for arm, eps in res.summary["effects"].items():
        for ep, e in eps.items():
            if e.get("effect_mean") is None:
                continue
            what = "HR" if ep in ("survival", "kings_progression") else "difference"
            lines.append(f"  {arm} vs {control}, {ep}: {what} {e['effect_mean']:.3g}"
                         + (f" ({format_pvalue(e['pvalue'])})" if "pvalue" in e else ""))
    print(f"alssim: wrote {args.out}/summary.json, analyses.csv, power.csv and patients.csv "
          f"({res.screening['eligible']} eligible of {res.screening['screened']} screened)")
    print("\n".join(lines))
    return 0


#: Files ``alssim trial`` writes (reserved before the trial runs).
TRIAL_FILES = ("summary.json", "analyses.csv", "power.csv", "patients.csv",
               "analyses.schema.json", "power.schema.json", "patients.schema.json", "trial.toml",
               "config.toml")
