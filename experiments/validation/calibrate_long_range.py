"""Calibration run behind ``spread.long_range_rate`` in configs/default.toml.

Fits the one rate of the long-range spread edges (a hypothesis: bulbar -> lumbosacral UMNs) to
the share of bulbar-onset patients whose legs are involved before the arms (Walhout 2018), on a
validation cohort whose every patient has bulbar onset (so the share is estimated from all 300
patients rather than the ~80 bulbar-onset patients of a mixed cohort), with common random numbers
(seed 11), and writes experiments/validation/calibration_long_range.md. The full validation
(`alssim validate`) then checks it, with lumbar_to_bulbar, on the mixed cohort.

Usage: python experiments/validation/calibrate_long_range.py
"""

from calibrate_defaults import fit_and_report

PARAMETERS = {"spread.long_range_rate": (0.0, 0.01)}
TARGETS = ["bulbar_to_legs"]
BULBAR_ONLY = {"onset.p_bulbar": 1.0, "onset.p_upper_limb": 0.0, "onset.p_lower_limb": 0.0,
               "onset.p_respiratory": 0.0}


def main() -> None:
    fit_and_report(PARAMETERS, TARGETS, "calibration_long_range.md", n=300, seed=11,
                   maxiter=14, overrides=BULBAR_ONLY)


if __name__ == "__main__":
    main()
