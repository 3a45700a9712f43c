"""``alssim plot``: redraw the standard figures (and the body-map animation) from a saved run."""

from __future__ import annotations

import argparse
from pathlib import Path

import alssim
from alssim.cli.common import FORCE_HELP
from alssim.fileio import OutputExistsError
from alssim.outdir import OutputFolder

EXAMPLE = """examples:
  alssim run configs/default.toml --set simulation.scale=0.1 --out results/demo
  alssim plot results/demo                 # writes results/demo/figures/*.png
  alssim plot results/demo --animate --force
reads DIR/result.json + result.npz (written by `alssim run`) and never re-runs the model.
--animate writes figures/body_map.gif (body_map.mp4 when ffmpeg is installed)."""

#: Subfolder of a run folder that receives its figures.
FIGURES_DIR = "figures"


def register(sub) -> None:
    p = sub.add_parser("plot", help="draw the figures of a saved run", epilog=EXAMPLE,
                       description="Draw the standard figures of a run saved by `alssim run`.",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir", metavar="DIR", type=Path,
                   help="folder written by `alssim run` (holds result.json)")
    p.add_argument("--animate", action="store_true",
                   help="also write the body-map animation (GIF, or MP4 with ffmpeg)")
    p.add_argument("--no-figures", dest="figures", action="store_false",
                   help="skip the PNG figures (with --animate: the animation only)")
    p.add_argument("--dpi", type=int, default=100, help="resolution of the PNGs (default: 100)")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.set_defaults(func=run)


def write_figures(result, run_dir: Path, *, figures: bool = True, animate: bool = False,
                  force: bool = False, dpi: int = 100) -> list[Path]:
    """Write the standard figures and/or the animation of ``result`` into ``run_dir/figures``."""
    from alssim.analysis import figures as figs

    out = Path(run_dir) / FIGURES_DIR
    if figures:
        return figs.standard_figures(result, out, dpi=dpi, force=force, animate=animate)
    if animate:
        from alssim.analysis.bodymap import preferred_animation_suffix

        path = out / f"body_map{preferred_animation_suffix()}"
        figs._check_free([path], force)
        return [figs.animate_path(result, path)]
    return []


def run(args: argparse.Namespace) -> int:
    if args.dpi < 10 or args.dpi > 600:
        raise alssim.ConfigError(f"must be between 10 and 600; got {args.dpi}", key="--dpi")
    if not args.figures and not args.animate:
        raise alssim.ConfigError("nothing to draw: --no-figures without --animate",
                                 key="--no-figures")

    res = alssim.load(args.dir)
    with OutputFolder(args.dir, force=args.force, command="alssim plot") as folder:
        # drawn into a staging folder, then moved into DIR/figures
        with folder.staged() as stage:
            drawn = write_figures(res, stage, figures=args.figures, animate=args.animate,
                                  force=True, dpi=args.dpi)
            names = [p.relative_to(stage) for p in drawn]
            taken = [n for n in names if (args.dir / n).exists()]
            if taken and not args.force:
                raise OutputExistsError(
                    f"{args.dir / FIGURES_DIR}: already holds "
                    f"{', '.join(n.name for n in taken)}; pass --force to overwrite")
    report_written([args.dir / n for n in names])
    return 0


def report_written(paths: list[Path]) -> None:
    """Print one line naming the figures written."""
    if paths:
        folder = paths[0].parent
        print(f"alssim: wrote {len(paths)} figure file(s) to {folder}: "
              + ", ".join(p.name for p in paths))
