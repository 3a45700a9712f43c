"""Driver of the shipped validation report: the default cohort against published ALS cohorts.

Same as ``alssim validate --n 2000 --seed 1 --out experiments/validation --force`` (the report,
validation.csv and figures/ land next to this script). Usage:

    python experiments/validation/run_validation.py [--n N] [--workers K]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alssim.cli.main import main as alssim_main


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    out = Path(__file__).resolve().parent
    return alssim_main(["validate", "--n", str(args.n), "--seed", str(args.seed), "--workers",
                        str(args.workers), "--out", str(out), "--force"])


if __name__ == "__main__":
    sys.exit(main())
