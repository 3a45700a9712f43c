"""Virtual-trial figures: survival from entry by arm (:func:`plot_trial_survival`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from alssim.analysis._style import single_axes, styled
from alssim.analysis.cohort import draw_survival, finish_survival_axes
from alssim.analysis.palette import OKABE_ITO
from alssim.errors import ConfigError
from alssim.survival import format_pvalue, kaplan_meier

__all__ = ["plot_trial_survival"]

#: Colours of the treated arms in order (the control arm is black).
_ARM_COLOURS = tuple(OKABE_ITO[c] for c in ("vermillion", "blue", "bluish_green", "orange",
                                             "reddish_purple", "sky_blue"))


def _survival_row(analyses: Any, replicate: int | None, arm: str) -> dict[str, Any] | None:
    """The survival analysis of ``arm`` against control in ``replicate`` at the largest size."""
    if not isinstance(analyses, pd.DataFrame) or replicate is None or not len(analyses):
        return None
    a = analyses[(analyses["endpoint"] == "survival") & (analyses["arm"] == arm)
                 & (analyses["replicate"] == replicate)]
    if not len(a):
        return None
    return a[a["patients"] == a["patients"].max()].iloc[0].to_dict()


@styled
def plot_trial_survival(trial: Any, *, replicate: int | None = 0, alpha: float = 0.05,
                        ax: Any = None) -> Any:
    """Kaplan–Meier survival from trial entry, one curve per arm.

    Parameters
    ----------
    trial : TrialResult or pandas.DataFrame
        A result of :func:`alssim.run_trial`, or its ``patients`` table (``replicate``,
        ``arm``, ``survival_months`` from entry, ``death``).
    replicate : int or None
        The replicate trial to draw (default the first); ``None`` pools every replicate (each
        is a trial of the same design, so the pooled curves estimate the same survival with
        less noise; no hazard ratio is shown then).
    alpha : float
        1 - confidence level of the bands (log-log Greenwood limits).
    ax : matplotlib.axes.Axes, optional
        Draw on this axes (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure
        One step curve and band per arm, the control arm in black; the legend gives each arm's
        size and median survival and, for a treated arm of one replicate, the Cox hazard ratio
        against control with its interval and the log-rank p value of the trial's analysis.

    Raises
    ------
    ConfigError
        (key ``replicate``) If the trial has no such replicate.
    """
    if isinstance(trial, pd.DataFrame):
        patients, analyses, control, name = trial, None, None, "Trial"
    else:
        patients, analyses = trial.patients, trial.analyses
        control, name = trial.spec.trial.control, trial.spec.trial.name
    reps = sorted({int(r) for r in patients["replicate"]}) if len(patients) else []
    if replicate is not None:
        if isinstance(replicate, bool) or int(replicate) not in reps:
            shown = f"0 to {reps[-1]}" if reps else "none"
            raise ConfigError(f"no replicate {replicate!r} in this trial (replicates: {shown}); "
                              "pass one of them or None to pool them all", key="replicate")
        patients = patients[patients["replicate"] == int(replicate)]
    arms = list(dict.fromkeys(str(a) for a in patients["arm"]))
    if control in arms:
        arms.remove(control)
        arms.insert(0, control)
    control = arms[0] if arms else control
    fig, ax = single_axes(ax, 10, 6.5)
    for i, arm in enumerate(arms):
        sub = patients[patients["arm"] == arm]
        t = sub["survival_months"].to_numpy(dtype=float)
        e = sub["death"].astype(bool).to_numpy()
        ok = np.isfinite(t)
        km = kaplan_meier(t[ok], e[ok], alpha=alpha)
        colour = "black" if i == 0 else _ARM_COLOURS[(i - 1) % len(_ARM_COLOURS)]
        med = f"{km.median:.1f} mo" if math.isfinite(km.median) else "not reached"
        label = f"{arm}{' (control)' if i == 0 else ''}: n = {km.n}, median {med}"
        row = _survival_row(analyses, replicate, arm) if i else None
        if row is not None and math.isfinite(float(row["effect"])):
            label += (f"\n  HR {row['effect']:.2f} ({row['lower']:.2f}–{row['upper']:.2f}), "
                      f"log-rank {format_pvalue(row['pvalue'])}")
        draw_survival(ax, km, colour=colour, label=label, lw=2.4, band_alpha=0.12)
    finish_survival_axes(ax, "months from trial entry")
    ax.legend(loc="upper right", fontsize=10)
    which = (f"replicate {replicate}" if replicate is not None
             else f"{len(reps)} replicates pooled")
    conf = f"{100 * (1 - alpha):.0f}%"
    ax.set_title(f"{name}: survival from entry by arm\n(Kaplan–Meier, {conf} Greenwood bands; "
                 f"{which})", fontsize=13)
    return fig
