"""A trial's endpoints: mean differences with Welch's or the paired t test, ALSFRS-R slopes,
survival compared by log-rank and Cox, power, and the summary."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from alssim.batch import typed_table
from alssim.fields import to_dict
from alssim.survival import (
    P_FLOOR,
    cox_hazard_ratio,
    format_pvalue,
    kaplan_meier,
    logrank_test,
    pvalue_floor,
)
from alssim.trials.randomisation import arm_sizes
from alssim.trials.results import TrialResult
from alssim.trials.spec import ENDPOINTS, WEEK

__all__ = ["analyse", "mean_difference"]


# --------------------------------------------------------------------------- statistics
def mean_difference(x: np.ndarray, y: np.ndarray, paired: bool, alpha: float):
    """Difference of means ``y - x``: ``(estimate, lower, upper, p)``.

    Paired (common random numbers): :func:`scipy.stats.ttest_rel` on the patients with both
    values; otherwise Welch's :func:`scipy.stats.ttest_ind` (``equal_var=False``); the interval
    is the test's ``confidence_interval(1 - alpha)``. With no spread at all (every difference
    the same, as when a treatment changes nothing under common random numbers) the t statistic
    is undefined: the interval is the estimate itself and p is 1 for a zero difference, else
    :data:`~alssim.survival.P_FLOOR`.
    """

    if paired:
        ok = np.isfinite(x) & np.isfinite(y)
        x, y = x[ok], y[ok]
        if x.size < 2:
            return (float((y - x).mean()) if x.size else math.nan), math.nan, math.nan, math.nan
        est = float((y - x).mean())
        spread = float((y - x).std(ddof=1))
    else:
        x, y = x[np.isfinite(x)], y[np.isfinite(y)]
        if x.size < 2 or y.size < 2:
            return math.nan, math.nan, math.nan, math.nan
        est = float(y.mean() - x.mean())
        spread = float(x.var(ddof=1) / x.size + y.var(ddof=1) / y.size)
    if spread == 0:
        return est, est, est, (1.0 if est == 0 else P_FLOOR)
    res = stats.ttest_rel(y, x) if paired else stats.ttest_ind(y, x, equal_var=False)
    ci = res.confidence_interval(1 - alpha)
    return est, float(ci.low), float(ci.high), pvalue_floor(res.pvalue)


def _surv_compare(t0, e0, t1, e1, alpha: float) -> dict[str, float]:
    t = np.r_[t0, t1]
    e = np.r_[e0, e1].astype(bool)
    g = np.r_[np.zeros(len(t0)), np.ones(len(t1))]
    km0, km1 = kaplan_meier(t0, e0, alpha=alpha), kaplan_meier(t1, e1, alpha=alpha)
    out = {"median_control": km0.median, "median_treated": km1.median}
    if e.any():
        lr = logrank_test(t, e, g)
        cox = cox_hazard_ratio(t, e, g, alpha=alpha)
        # separation (an arm without deaths, as in tiny arms): no finite hazard ratio to report
        hr = ((math.nan,) * 3 if cox.separated
              else (cox.hazard_ratio, cox.lower, cox.upper))
        out.update(effect=hr[0], lower=hr[1], upper=hr[2], pvalue=lr.pvalue)
    else:
        out.update(effect=math.nan, lower=math.nan, upper=math.nan, pvalue=1.0)
    return out


def _slope(scores: list, interval_months: float) -> float:
    y = np.array([np.nan if s is None else s for s in scores], dtype=float)
    x = np.arange(len(y)) * interval_months
    ok = np.isfinite(y)
    if ok.sum() < 2:
        return math.nan
    return float(np.polyfit(x[ok], y[ok], 1)[0])


def analyse(spec, cfg, arm_names, ratios, sizes, eligible, assign, treated, screening, pd):
    ts, vis = spec.trial, spec.visits
    interval = vis.interval_weeks * WEEK
    k_end = round(vis.endpoint_week / vis.interval_weeks)
    k_fu = round(vis.follow_up_weeks / vis.interval_weeks) + 1
    cache: dict[tuple[int, int], tuple] = {}

    def outcome(i: int, a: int) -> tuple:
        """(change, slope, survival, death, kings time, kings event) of patient i in arm a."""
        key = (i, a) if (i, a) in treated else (i, -1)
        if key not in cache:
            o = treated.get((i, a)) or eligible[i]["outcomes"]
            sc = o["visit_scores"]
            end = sc[k_end] if k_end < len(sc) else None
            change = end - sc[0] if end is not None and sc[0] is not None else math.nan
            cache[key] = (change, _slope(sc[:k_fu], interval), o["survival_months"],
                          o["death"], o["kings_months"], o["kings_event"])
        return cache[key]

    rows, ana = [], []
    cols = ("alsfrs_r_change", "alsfrs_r_slope", "survival_months", "death", "kings_months",
            "kings_event")
    for r, pairs in enumerate(assign):
        idx = np.array([i for i, _ in pairs])
        arm = np.array([a for _, a in pairs])
        out = np.array([outcome(i, a) for i, a in pairs], dtype=float).reshape(len(pairs), 6)
        for order, (i, a) in enumerate(pairs):
            p = eligible[i]
            rows.append({
                "replicate": r, "patients": sizes[-1], "patient": p["patient"],
                "seed": p["seed"], "arm": arm_names[a], "genotype": p["genotype"],
                "sex": p["sex"], "age_years": p["age_years"], "onset_site": p["onset_site"],
                "entry_months_from_onset": p["entry_months_from_onset"],
                "baseline_alsfrs_r": p["baseline_alsfrs_r"],
                "baseline_fvc_percent": p["baseline_fvc_percent"],
                "baseline_kings": p["baseline_kings"],
                "baseline_el_escorial": p["baseline_el_escorial"],
                **{c: (bool(v) if c in ("death", "kings_event") else float(v))
                   for c, v in zip(cols, out[order], strict=True)}})
        order = np.arange(len(pairs))
        for n in sizes:
            if ts.crn:
                arm_n = arm_sizes(n, ratios)
                rank = np.zeros(len(pairs), dtype=np.int64)
                for a in range(len(arm_names)):
                    m = arm == a
                    rank[m] = np.arange(m.sum())
                keep = rank < np.array(arm_n)[arm]
            else:
                keep = order < n
            c = keep & (arm == 0)
            for a in range(1, len(arm_names)):
                t = keep & (arm == a)
                for ep in ENDPOINTS:
                    row = {"replicate": r, "patients": n, "arm": arm_names[a], "endpoint": ep,
                           "n_control": int(c.sum()), "n_treated": int(t.sum())}
                    if ep in ("alsfrs_r_change", "alsfrs_r_slope"):
                        col = 0 if ep == "alsfrs_r_change" else 1
                        x, y = out[c, col], out[t, col]
                        if ts.crn:  # pair by patient: arm a holds a prefix of the control list
                            common = np.intersect1d(idx[c], idx[t])
                            x = out[c, col][np.isin(idx[c], common)]
                            y = out[t, col][np.isin(idx[t], common)]
                        est, lo, hi, pv = mean_difference(x, y, ts.crn, ts.alpha)
                        row.update(effect=est, lower=lo, upper=hi, pvalue=pv,
                                   mean_control=_nanmean(x), mean_treated=_nanmean(y))
                    else:
                        tc, ec = (2, 3) if ep == "survival" else (4, 5)
                        row.update(_surv_compare(out[c, tc], out[c, ec].astype(bool),
                                                 out[t, tc], out[t, ec].astype(bool), ts.alpha))
                    ana.append(row)
    patients = pd.DataFrame(rows)
    lead = ["replicate", "patients", "patient", "seed", "arm"]
    patients = patients[lead + [c for c in patients.columns if c not in lead]]
    analyses = pd.DataFrame(ana)
    analyses["significant"] = analyses["pvalue"] < ts.alpha
    power = (analyses.groupby(["patients", "arm", "endpoint"], sort=False)
             .agg(power=("significant", "mean"), mean_effect=("effect", "mean"),
                  replicates=("replicate", "nunique")).reset_index())
    summary = _summary(spec, analyses, power, screening)
    # held as each column's kind prescribes, as the tables read back from their saved CSV
    return TrialResult(spec, cfg, typed_table(patients), typed_table(analyses), typed_table(power),
                       screening, summary)


def _nanmean(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else math.nan


def _num(x: Any) -> Any:
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float):
        return round(x, 6) if math.isfinite(x) else None
    return x


def _pvalue_entry(p: Any) -> dict[str, Any]:
    """``pvalue`` to six significant digits (never rounded to 0) and ``pvalue_text``."""
    p = float(p)
    if not math.isfinite(p):
        return {"pvalue": None, "pvalue_text": format_pvalue(None)}
    return {"pvalue": float(f"{pvalue_floor(p):.6g}"), "pvalue_text": format_pvalue(p)}


def _summary(spec, analyses, power, screening) -> dict[str, Any]:
    ts = spec.trial
    n = max(ts.patients)
    top = analyses[analyses["patients"] == n]
    effects: dict[str, Any] = {}
    for (arm, ep), g in top.groupby(["arm", "endpoint"], sort=False):
        e = g["effect"].to_numpy(float)
        entry = {"effect_mean": _num(float(np.nanmean(e))) if np.isfinite(e).any() else None,
                 "effect_sd": _num(float(np.nanstd(e, ddof=1))) if np.isfinite(e).sum() > 1
                 else None,
                 "significant_share": _num(float(g["significant"].mean()))}
        if len(g) == 1:
            entry.update({k: _num(g.iloc[0][k]) for k in ("lower", "upper")})
            entry.update(_pvalue_entry(g.iloc[0]["pvalue"]))
        for k in ("mean_control", "mean_treated", "median_control", "median_treated"):
            if k in g and g[k].notna().any():
                entry[k] = _num(float(np.nanmean(g[k].to_numpy(float))))
        effects.setdefault(arm, {})[ep] = entry
    pw = {f"{row.arm}:{row.endpoint}:{int(row.patients)}": _num(float(row.power))
          for row in power.itertuples()}
    return {"name": ts.name, "description": ts.description, "control": ts.control,
            "arms": {k: to_dict(v) for k, v in spec.arms.items()},
            "patients": list(ts.patients), "replicates": ts.replicates, "crn": ts.crn,
            "population": ts.population, "seed": ts.seed, "alpha": ts.alpha,
            "screening": screening, "effects": effects, "power": pw,
            "notes": "effect: treated - control for ALSFRS-R endpoints (points, points/month); "
                     "Cox hazard ratio treated vs control for survival and King's progression; "
                     "medians in months from entry"}
