"""Calibrate the effect size of each shipped trial's treatment to its published effect.

For each trial of ``configs/trials/`` and each candidate effect value, runs the virtual trial with
common random numbers (every patient in both arms, so the contrast is paired and low in noise)
and prints the simulated headline effect beside the published one. Appends one JSON line per run
to ``experiments/trials/results/calibration.jsonl``.

Usage::

    python experiments/trials/calibrate_trials.py riluzole 0.3 0.5 0.7 [--patients 200]
    python experiments/trials/calibrate_trials.py edaravone_unselected 0.38 \
        --entry min_el_escorial=probable_laboratory_supported --entry run_in_weeks=12

``--entry KEY=VALUE`` changes one ``[entry]`` value of the trial (a number, or a string), to
see how the effect depends on who is enrolled; the JSON line records it.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import alssim
from alssim.trials import load_trial, spec_from_dict

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

#: trial file -> (effect keys set to the candidate value, headline endpoint, published value)
TARGETS = {
    "riluzole": (["interventions.riluzole.excitotoxicity"], "survival",
                 "median survival +2 to +3 months, HR ~0.8"),
    "edaravone_mci186_19": (["interventions.edaravone.oxidative_stress"], "alsfrs_r_change",
                            "+2.49 points at 24 weeks"),
    "edaravone_unselected": (["interventions.edaravone.oxidative_stress"], "alsfrs_r_change",
                             "+0.65 points at 24 weeks (n.s.)"),
    "niv_good_bulbar": (["interventions.niv.failure_fvc"], "survival",
                        "median survival +205 days (6.7 months)"),
    "niv_poor_bulbar": (["interventions.niv.failure_fvc"], "survival", "no survival gain"),
    "tofersen_sod1": (["interventions.tofersen.pathology_growth",
                       "interventions.tofersen.pathology_hazard"], "alsfrs_r_change",
                      "+3.5 points at 52 weeks (-6.0 early vs -9.5 delayed)"),
}


def headline(res, endpoint: str) -> dict:
    a = res.analyses
    row = a[a["endpoint"] == endpoint].iloc[0]
    out = {"effect": float(row["effect"]), "lower": float(row["lower"]),
           "upper": float(row["upper"]), "pvalue": float(row["pvalue"])}
    for k in ("mean_control", "mean_treated", "median_control", "median_treated"):
        if k in row and row[k] == row[k]:
            out[k] = float(row[k])
    if "median_control" in out and "median_treated" in out:
        out["median_gain_months"] = out["median_treated"] - out["median_control"]
    return out


def entry_value(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` of ``--entry``: VALUE as a number when it reads as one, else a string."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE; got {text!r}")
    try:
        return key, float(value) if any(c in value for c in ".eE") else int(value)
    except ValueError:
        return key, value


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("trial", choices=sorted(TARGETS))
    ap.add_argument("values", type=float, nargs="+")
    ap.add_argument("--patients", type=int, default=200, help="patients per arm (CRN)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--crn", type=int, default=1)
    ap.add_argument("--entry", type=entry_value, action="append", default=[],
                    metavar="KEY=VALUE", help="change an [entry] value of the trial (repeatable)")
    args = ap.parse_args(argv)
    keys, endpoint, published = TARGETS[args.trial]
    spec = load_trial(ROOT / "configs" / "trials" / f"{args.trial}.toml")
    entry = dict(args.entry)
    if entry:
        data = spec.to_dict()
        data["entry"].update(entry)
        data["model"] = spec.model
        spec = spec_from_dict(data, source=spec.source)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    for v in args.values:
        t0 = time.perf_counter()
        n = 2 * args.patients  # CRN: args.patients in each arm; else split between arms
        res = alssim.run_trial(spec, patients=n,
                               crn=bool(args.crn), overrides={k: v for k in keys},
                               workers=args.workers)
        h = {"trial": args.trial, "value": v, "keys": keys, "endpoint": endpoint,
             "published": published, "crn": bool(args.crn), "patients": n,
             **({"entry": entry} if entry else {}),
             "screening": res.screening, **headline(res, endpoint),
             "seconds": round(time.perf_counter() - t0, 1)}
        if endpoint == "survival":
            h["alsfrs_r_change"] = headline(res, "alsfrs_r_change")["effect"]
        print(json.dumps(h), flush=True)
        with open(out / "calibration.jsonl", "a") as fh:
            fh.write(json.dumps(h) + "\n")


if __name__ == "__main__":
    main()
