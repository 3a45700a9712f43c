"""Does the validation cohort's neuron scale (2%) or weekly step bias its figures?

The same patients (same cohort seed, so the same attributes and onsets) are simulated at the
validation settings (scale 0.02, dt 7 days) and at a finer setting (scale 0.1, dt 7 days; and
scale 0.02, dt 1 day), and the paired per-patient outputs are compared. Writes scale_check.md.

Usage: python experiments/validation/check_scale.py [--n 120] [--workers 2]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import alssim
from alssim.validation import METRICS, prepare, validation_config

FIGURES = ["median_survival", "alsfrs_decline_median", "onset_to_second_region",
           "first_spread_contralateral_ratio", "munix_decline", "mune_decline",
           "units_lost_before_cmap_falls", "neuron_loss_shape"]
PAIRED = {"survival (months)": "clinical.survival_months",
          "onset to second region (months)": "clinical.kings_stage_months.2",
          "dFS (points/month)": "clinical.alsfrs_r_dfs",
          "MUNIX decline (%/month)": "clinical.motor_units.mune_decline_percent_per_month"}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=120)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    settings = {"validation (scale 0.02, dt 7 d)": {},
                "scale 0.1, dt 7 d": {"simulation.scale": 0.1},
                "scale 0.02, dt 1 d": {"simulation.dt_days": 1.0}}
    tables, raw = {}, {}
    for name, ov in settings.items():
        cfg, _ = validation_config(None, ov)
        c = alssim.run_cohort(cfg, args.n, seed=11, workers=args.workers, progress=False)
        tables[name] = prepare(c.patients, cfg.anatomy)
        raw[name] = c.patients
    lines = [f"# Scale and step check (n = {args.n} paired patients, seed 11)", "",
             "| figure | " + " | ".join(settings) + " |", "|---|" + "---|" * len(settings)]
    for f in FIGURES:
        lines.append(f"| `{f}` | " + " | ".join(f"{METRICS[f](t):.3g}" for t in tables.values())
                     + " |")
    base = raw[next(iter(settings))]
    lines += ["", "Paired per-patient differences vs the validation setting (median, IQR):", "",
              "| output | " + " | ".join(list(settings)[1:]) + " |",
              "|---|" + "---|" * (len(settings) - 1)]
    for label, col in PAIRED.items():
        cells = []
        for name in list(settings)[1:]:
            d = (raw[name][col].to_numpy(dtype=float) - base[col].to_numpy(dtype=float))
            d = d[np.isfinite(d)]
            q = np.quantile(d, [0.25, 0.5, 0.75]) if d.size else [np.nan] * 3
            cells.append(f"{q[1]:+.3g} ({q[0]:+.3g} to {q[2]:+.3g})")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    Path(__file__).with_name("scale_check.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
