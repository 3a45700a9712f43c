"""Run every shipped trial of ``configs/trials/`` and write ``experiments/trials/REPORT.md``.

Each trial runs as shipped except for the design option ``crn = true`` (the same virtual patients
in both arms, so the reported effect is the effect in that virtual population, with little
sampling noise) and ``--patients`` per arm. Results of each trial are saved under
``experiments/trials/results/NAME/`` (summary.json, analyses.csv, patients.csv, ...).

Usage::

    python experiments/trials/run_trials.py [--patients 150] [--workers 2] [TRIAL ...]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import alssim
from alssim.survival import format_pvalue
from alssim.trials import load_trial

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

PUBLISHED = {
    "riluzole": ("survival", "median survival +2 to +3 months (11.8 -> 14.8), HR ~0.84 "
                 "(Cochrane, Miller 2012)"),
    "edaravone_mci186_19": ("alsfrs_r_change", "-7.50 (placebo) vs -5.01 at 24 weeks: +2.49 "
                            "points (95% CI 0.99 to 3.98) (MCI186-19, 2017)"),
    "edaravone_unselected": ("alsfrs_r_change", "smaller than enriched: +0.65 points at 24 "
                             "weeks (95% CI -0.88 to 2.18), n.s., in MCI186-16's broader "
                             "population (Abe 2014)"),
    "niv_good_bulbar": ("survival", "median survival +205 days (~6.7 months) (Bourke 2006)"),
    "niv_poor_bulbar": ("survival", "no survival gain (Bourke 2006)"),
    "tofersen_sod1": ("alsfrs_r_change", "-9.5 (delayed start) vs -6.0 early at 52 weeks: +3.5 "
                      "points (VALOR OLE, Miller 2022)"),
}
CALIBRATED = {
    "riluzole": ["interventions.riluzole.excitotoxicity"],
    "edaravone_mci186_19": ["interventions.edaravone.oxidative_stress"],
    "edaravone_unselected": ["interventions.edaravone.oxidative_stress"],
    "niv_good_bulbar": ["interventions.niv.failure_fvc"],
    "niv_poor_bulbar": ["interventions.niv.failure_fvc"],
    "tofersen_sod1": ["interventions.tofersen.pathology_growth",
                      "interventions.tofersen.pathology_hazard"],
}


def fmt(x, nd=2):
    return "n/a" if x is None or (isinstance(x, float) and not math.isfinite(x)) else \
        f"{x:.{nd}f}"


def describe(res, endpoint: str) -> str:
    a = res.analyses
    row = a[a["endpoint"] == endpoint].iloc[0]
    if endpoint == "survival":
        mc, mt = row["median_control"], row["median_treated"]
        return (f"median {fmt(mc, 1)} -> {fmt(mt, 1)} months ({fmt(mt - mc, 1)} months), "
                f"HR {fmt(row['effect'])} ({fmt(row['lower'])}-{fmt(row['upper'])})")
    return (f"{fmt(row['mean_control'])} vs {fmt(row['mean_treated'])}: "
            f"{fmt(row['effect'])} points ({fmt(row['lower'])} to {fmt(row['upper'])}), "
            f"{format_pvalue(row['pvalue'], digits=2)}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("trials", nargs="*", default=sorted(PUBLISHED))
    ap.add_argument("--patients", type=int, default=150, help="patients per arm (CRN)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    rows = []
    cfg0 = alssim.load_config()
    for name in args.trials:
        t0 = time.perf_counter()
        spec = load_trial(ROOT / "configs" / "trials" / f"{name}.toml")
        res = alssim.run_trial(spec, patients=2 * args.patients, crn=True, workers=args.workers)
        res.save(HERE / "results" / name, force=True)
        endpoint, published = PUBLISHED[name]
        values = ", ".join(f"`{k.split('.', 1)[1]}` = {cfg0.get(k)}" for k in CALIBRATED[name])
        extra = ""
        if endpoint == "survival":
            extra = "; ALSFRS-R change " + describe(res, "alsfrs_r_change")
        rows.append((name, published, describe(res, endpoint) + extra, values,
                     f"{res.screening['eligible']}/{res.screening['screened']}",
                     round(time.perf_counter() - t0)))
        print(rows[-1], flush=True)
    lines = [
        "# Virtual trials: simulated vs published effects",
        "",
        "Made by `python experiments/trials/run_trials.py --patients "
        f"{args.patients}` (alssim {alssim.__version__}): each shipped trial of "
        "`configs/trials/` with common random numbers (the same virtual patients in both arms, "
        f"{args.patients} per arm), so the simulated effect is that of the virtual population "
        "with little sampling noise; confidence limits are those of the paired design. "
        "ALSFRS-R changes read control vs treated. "
        "Calibration runs: `experiments/trials/calibrate_trials.py` "
        "(`results/calibration.jsonl`).",
        "",
        "| trial | published | simulated | effect size (configs/default.toml) | eligible/"
        "screened |",
        "|---|---|---|---|---|",
    ]
    for name, pub, sim, val, elig, _ in rows:
        lines.append(f"| {name} | {pub} | {sim} | {val} | {elig} |")
    notes = HERE / "NOTES.md"
    if notes.is_file():
        lines += ["", notes.read_text().strip()]
    (HERE / "REPORT.md").write_text("\n".join(lines) + "\n")
    (HERE / "results" / "report.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
