"""``alssim run``: simulate one patient and write its tables (and figures with ``--plot``)."""

from __future__ import annotations

import argparse
from pathlib import Path

import alssim
from alssim.cli.common import FORCE_HELP, add_config_arguments, overrides_from_args, write_json
from alssim.cli.plot import report_written, write_figures
from alssim.fileio import atomic_write_text
from alssim.outdir import OutputFolder
from alssim.teaching import explain

EXAMPLE = """example:
  alssim run configs/default.toml --out results/default
  alssim run configs/default.toml --set simulation.scale=0.01 --seed 7 --out results/small
  alssim run configs/teaching/onset_and_spread.toml --plot --explain --out results/lecture
writes DIR/timeseries.csv (tidy: time_months, segment, side, population, variable, value;
empty after the patient's death),
DIR/summary.json, DIR/config.toml (the effective config) and DIR/result.json + result.npz
(for `alssim plot DIR` and alssim.load(DIR))."""


def register(sub) -> None:
    p = sub.add_parser("run", help="simulate one virtual patient", epilog=EXAMPLE,
                       description="Simulate one virtual patient from a config.",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_arguments(p)
    p.add_argument("--seed", type=int, default=None,
                   help="random seed (default: simulation.seed of the config)")
    p.add_argument("--out", type=Path, default=Path("results/run"),
                   help="output folder (default: results/run); must be new or empty")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.add_argument("--plot", action="store_true",
                   help="also write the standard figures (PNG) to DIR/figures")
    p.add_argument("--animate", action="store_true",
                   help="also write the body-map animation to DIR/figures (GIF, MP4 with ffmpeg)")
    p.add_argument("--explain", action="store_true",
                   help="print the config's [teaching] text: what to look for, questions "
                   "(e.g. configs/teaching/*.toml)")
    p.add_argument("--answers", action="store_true",
                   help="with --explain, also print the model answers (for the teacher)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    alssim.config.check_seed(args.seed)  # an integer in simulation.seed's range
    cfg = alssim.load_config(args.config, overrides=overrides_from_args(args))
    out = args.out
    # validate everything, lock the folder and refuse a used one, before computing anything
    with OutputFolder(out, force=args.force, inputs=[args.config], command="alssim run") as folder:
        folder.require_empty()
        folder.reserve(*RUN_FILES)
        if args.explain or args.answers:
            print(explain(cfg.teaching, answers=args.answers)
                  or f"alssim: {args.config} has no [teaching] text (see configs/teaching/)")
        res = alssim.simulate(cfg, seed=args.seed)
        # every file is staged inside the folder and moved into place at the end (result.json,
        # which holds the checksums of the others, last): a crash leaves no partial output
        with folder.staged(replace=True) as stage:
            df = res.to_dataframe()
            atomic_write_text(stage / "timeseries.csv",
                              df.to_csv(index=False, float_format="%.10g"))
            write_json(stage / "summary.json", res.summary)
            atomic_write_text(stage / "config.toml", cfg.to_toml())
            res.save(stage, force=True)
            figures = []
            if args.plot or args.animate:
                figures = write_figures(res, stage, figures=args.plot, animate=args.animate,
                                        force=True)
    print(f"alssim: wrote {out}/timeseries.csv, summary.json, config.toml "
          f"({res.summary['n_neurons']:,} neurons, onset {res.onset.compartment} "
          f"{res.onset.segment} {res.onset.side})")
    if figures:
        report_written([out / p.relative_to(stage) for p in figures])
    return 0


#: Files ``alssim run`` always writes (reserved before the run, so a user's file is refused).
RUN_FILES = ("timeseries.csv", "summary.json", "config.toml", "result.json", "result.npz")
