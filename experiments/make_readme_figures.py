"""Regenerate the figures shown in the README (``docs/figures/``).

One patient from the default config (hand onset on the right; ``simulation.scale`` 0.1) with a
fixed seed gives the single-patient figures and the body-map animation; a small cohort and a
small sweep give the cohort and sweep figures. Everything is seeded, so a rerun gives the same
figures (up to matplotlib version).

Usage::

    python experiments/make_readme_figures.py                 # about a minute on 2 cores
    python experiments/make_readme_figures.py --out /tmp/figs --patients 100
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import alssim
from alssim import analysis
from alssim.analysis.figures import save_figure

REPO = Path(__file__).resolve().parents[1]
DPI = 100


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=REPO / "docs" / "figures")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--scale", type=float, default=0.1, help="population scale of the patient")
    p.add_argument("--patients", type=int, default=300, help="cohort size")
    p.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    args = p.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    t0 = time.perf_counter()

    # one patient: the default config (right-hand onset)
    cfg = alssim.load_config(overrides={"simulation.scale": args.scale})
    res = alssim.simulate(cfg, seed=args.seed)
    written += analysis.standard_figures(res, out, dpi=DPI, force=True)
    written.append(analysis.animate_body_map(res, out / "body_map.gif", fps=5, dpi=64, every=2))

    # a cohort: patients differ by onset site, age, genotype, speed (the [cohort] tables)
    small = {"simulation.scale": 0.01, "simulation.dt_days": 7.0}
    ccfg = alssim.load_config(overrides={**small, "onset.mode": "sampled"})
    cohort = alssim.run_cohort(ccfg, n=args.patients, seed=args.seed, workers=args.workers,
                               progress=False)
    written += analysis.cohort_figures(cohort, out, dpi=DPI, force=True)

    # a sweep: survival against the rate of spread to the other side
    sweep = alssim.sweep(ccfg, {"spread.contralateral_rate": [0.01, 0.02, 0.04, 0.08, 0.16]},
                         replicates=12, seed=args.seed, workers=args.workers, progress=False,
                         heterogeneity=True)
    fig = analysis.plot_sweep(sweep, "spread.contralateral_rate", "clinical.survival_months",
                              log_x=True)
    written.append(save_figure(fig, out / "sweep_contralateral_rate.png", dpi=DPI))

    for path in written:
        if path.suffix == ".png":
            _shrink_png(path)
        print(f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}  "
              f"{path.stat().st_size / 1024:.0f} kB")
    print(f"{len(written)} files in {time.perf_counter() - t0:.0f} s")
    return 0


def _shrink_png(path: Path, colours: int = 256) -> None:
    """Re-save a PNG with a palette of ``colours`` (about a third of the size, same look)."""
    import io

    from PIL import Image

    from alssim.fileio import atomic_write_bytes

    with Image.open(path) as im:
        small = im.convert("RGB").quantize(colours, method=Image.Quantize.MEDIANCUT, dither=0)
    buf = io.BytesIO()
    small.save(buf, format="PNG", optimize=True)
    atomic_write_bytes(path, buf.getvalue())
    path.chmod(0o644)


if __name__ == "__main__":
    sys.exit(main())
