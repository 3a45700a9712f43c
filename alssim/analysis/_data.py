"""Read-only views of a Result that the figures share (private; no matplotlib, no simulation).

Nothing here recomputes the model: every value is read from the recorded arrays, the milestones
or, when present, the clinical layer's outputs (``result.clinical``).
"""

from __future__ import annotations

import numpy as np

from alssim.analysis._clinical_api import clinical, view
from alssim.analysis.regions import segment_label

__all__ = [
    "after_death",
    "clinical",
    "clinical_onset",
    "death_months",
    "involvement",
    "last_living_index",
    "lost_fraction",
    "nearest_index",
    "spread_story",
    "time_window",
    "until_death",
]


def lost_fraction(result, compartment: str) -> np.ndarray:
    """Fraction of neurons lost since onset, shape (n_times, n_segments, 2) (sides left, right)."""
    anat = result.anatomy
    cols = anat.compartment_slice(compartment)
    alive = np.asarray(result.variables["alive"][:, cols], dtype=float)
    counts = np.asarray(result.counts[cols], dtype=float)
    return (1.0 - alive / counts).reshape(len(result.times_months), anat.n_segments, 2)


def population_series(result, name: str, compartment: str) -> np.ndarray:
    """Variable ``name`` of one compartment, shape (n_times, n_segments, 2)."""
    anat = result.anatomy
    cols = anat.compartment_slice(compartment)
    arr = np.asarray(result.variables[name][:, cols], dtype=float)
    return arr.reshape(len(result.times_months), anat.n_segments, 2)


def involvement(result, milestone: str = "lost_10", *, in_life: bool = True) -> np.ndarray:
    """Months from biological onset at which each population reached ``milestone``.

    Parameters
    ----------
    result : alssim.Result
    milestone : str
        ``"lost_10"`` or ``"lost_50"``.
    in_life : bool
        Count only milestones reached by the record of death (later ones are ``inf``: the
        patient never lived to them). Without a death (or a clinical layer) nothing changes.

    Returns
    -------
    ndarray, shape (2, n_segments, 2)
        Compartment (UMN, LMN) x segment x side; ``inf`` where never reached.
    """
    anat = result.anatomy
    t = anat.population_grid(np.asarray(result.milestones[milestone], dtype=float))
    end = death_months(result) if in_life else None
    if end is not None:
        t = np.where(t <= end + 1e-5, t, np.inf)
    return t


def death_months(result) -> float | None:
    """Months from biological onset to the patient's death, or ``None`` (alive, or unknown)."""
    v = view(result)
    return None if v is None else v.death_months


def after_death(result) -> np.ndarray:
    """Records after the record of death, bool shape (n_times,); all false without a death."""
    v = view(result)
    n = len(result.times_months)
    if v is None or v.after_death is None:
        return np.zeros(n, dtype=bool)
    return np.asarray(v.after_death, dtype=bool)


def last_living_index(result) -> int:
    """Index of the record of death (the last record with the patient's values), else the last."""
    after = after_death(result)
    return int(np.argmax(after)) - 1 if after.any() else len(after) - 1


def until_death(result, series: np.ndarray) -> np.ndarray:
    """``series`` (first axis: records) as floats with NaN at every record after death."""
    out = np.array(series, dtype=float)
    out[after_death(result)] = np.nan
    return out


def nearest_index(result, time_months: float) -> int:
    """Index of the record closest to ``time_months`` (months from biological onset)."""
    return int(np.argmin(np.abs(np.asarray(result.times_months) - time_months)))


def clinical_onset(result) -> float | None:
    """Months from biological onset to clinical onset, or ``None`` if unknown."""
    v = view(result)
    return None if v is None else v.onset_months


def alsfrs_total(result) -> np.ndarray | None:
    """ALSFRS-R total (0-48) per record, shape (n_times,); ``None`` without the clinical layer."""
    v = view(result)
    if v is None or v.alsfrs_total is None:
        return None
    return np.asarray(v.alsfrs_total, dtype=float)


def time_window(result, *, margin: float = 6.0) -> float:
    """A right x-limit (months from biological onset) that leaves out the empty tail.

    Death (when the clinical layer gives one), else the time every LMN pool has lost 90%, plus
    ``margin`` months; never past the horizon.
    """
    t = np.asarray(result.times_months)
    lost = lost_fraction(result, "lmn").reshape(len(t), -1)
    done = np.nonzero(lost.min(axis=1) >= 0.9)[0]
    end = t[done[0]] if done.size else t[-1]
    death = death_months(result)
    if death is not None:
        end = death
    return float(min(t[-1], end + margin))


def spread_story(result, compartment: str = "lmn") -> str:
    """One sentence on where loss of ``compartment`` neurons begins and where it goes first.

    Examples: "LMN loss begins at the right arm & hand and crosses to the left side first",
    "... and spreads down to the right trunk first".
    """
    anat = result.anatomy
    t10 = involvement(result)[("umn", "lmn").index(compartment)]
    name = compartment.upper()
    finite = np.isfinite(t10)
    if not finite.any():
        death = death_months(result)
        if death is not None:
            return f"No {name} pool lost 10% of its neurons before death at month {death:.0f}"
        horizon = float(result.times_months[-1])
        return f"No {name} pool lost 10% of its neurons within {horizon:.0f} months"
    order = np.argsort(t10, axis=None, kind="stable")
    seg0, side0 = np.unravel_index(order[0], t10.shape)
    where0 = segment_label(anat, anat.segment_names[seg0], side=("left", "right")[side0],
                           levels=False)
    head = f"{name} loss begins at the {where0}"
    if finite.sum() < 2:
        return f"{head} and stays there"
    seg1, side1 = np.unravel_index(order[1], t10.shape)
    side1_name = ("left", "right")[side1]
    if seg1 == seg0:
        return f"{head} and crosses to the {side1_name} side first"
    where1 = segment_label(anat, anat.segment_names[seg1], side=side1_name, levels=False)
    if side1 == side0 and abs(int(seg1) - int(seg0)) == 1:
        verb = "spreads down" if seg1 > seg0 else "spreads up"
        return f"{head} and {verb} to the {where1} first"
    return f"{head}; the {where1} follows"
