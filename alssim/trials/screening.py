"""Screening and treatment of a trial's candidates: each is simulated untreated, checked against
the entry criteria at entry, and (in a treated arm) simulated again from entry with the arm's
treatments; the tasks run on the executors."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from alssim.anatomy import ALSFRS_ITEMS
from alssim.clinical.diagnosis import EL_ESCORIAL_LABELS
from alssim.config.loader import config_from_text
from alssim.engine import simulate_batch
from alssim.interventions import (
    CLINICAL_TREATMENTS,
    effective_multiplier,
    event_time,
    with_treatments,
)
from alssim.patients import derive_config, sample_patient
from alssim.trials.spec import WEEK

__all__ = ["collect_screened", "screen_chunk", "treat_chunk", "treatments_neutral"]


# --------------------------------------------------------------------------- worker side
def _record_at(t: np.ndarray, when: float) -> int:
    return int(np.searchsorted(t, when - 1e-9, side="left"))


def _course_outcomes(course, entry_t: float, visits: dict) -> dict[str, Any]:
    """Visit scores and event times of one course, from entry."""
    t = course.times_months
    total = course["alsfrs_r"].astype(float)
    alive = course["patient_alive"].astype(bool)
    kings = course["kings_stage"]
    n_vis = math.floor(visits["follow_up_weeks"] / visits["interval_weeks"] + 1e-9) + 1
    vt = entry_t + np.arange(n_vis) * visits["interval_weeks"] * WEEK
    idx = np.searchsorted(t, vt - 1e-9, side="left")
    ok = idx < len(t)
    scores = np.full(n_vis, np.nan)
    scores[ok] = np.where(alive[idx[ok]], total[idx[ok]], np.nan)
    end_t = float(t[-1])
    surv_end = end_t if visits["survival_weeks"] <= 0 else min(
        end_t, entry_t + visits["survival_weeks"] * WEEK)
    death = course.events["death_months"]
    died = death is not None and death <= surv_end
    surv = max(0.0, (death if died else surv_end) - entry_t)  # death at the entry record: 0
    k0 = _record_at(t, entry_t)
    base_stage = float(kings[min(k0, len(t) - 1)])
    higher = [lv for lv in (1.0, 2.0, 3.0, 4.0, 4.5, 5.0) if lv > base_stage]
    kt, kev = max(0.0, surv_end - entry_t), False
    if higher:
        later = (t >= t[min(k0, len(t) - 1)]) & (t <= surv_end) & (kings >= higher[0])
        if later.any():
            kt, kev = max(0.0, float(t[np.argmax(later)] - entry_t)), True
    return {"visit_scores": [None if not math.isfinite(x) else float(x) for x in scores],
            "survival_months": float(surv), "death": bool(died),
            "kings_months": float(kt), "kings_event": bool(kev)}


def _entry_check(course, entry: dict, visits: dict, attrs) -> tuple[bool, float, dict]:
    """Entry time (months from biological onset), eligibility and baseline of a course."""

    onset = course.clinical_onset_months
    base: dict[str, Any] = {"eligible": False, "reason": ""}
    when = event_time(course, entry["at"]) + entry["delay_months"]
    t = course.times_months
    if not math.isfinite(when):
        base["reason"] = "no entry event"
        return False, when, base
    need_end = when + max(visits["follow_up_weeks"], visits["endpoint_week"]) * WEEK
    if need_end > t[-1] + 1e-9:
        base["reason"] = "follow-up beyond the horizon"
        return False, when, base
    k = _record_at(t, when)
    death = course.events["death_months"]
    # entry at the record of death counts (King's 4B is the record at which an untreated
    # patient's respiratory failure kills when niv_fvc = failure_fvc: Bourke 2006 randomised
    # exactly then, and standard care survived a median of 11 days)
    if death is not None and death < t[k] - 1e-5:
        base["reason"] = "dead at entry"
        return False, when, base

    items = np.array([course[f"alsfrs_r_{n}"][k] for n in ALSFRS_ITEMS])
    total = int(course["alsfrs_r"][k])
    bulbar = int(course["alsfrs_r_bulbar_domain"][k])
    fvc = float(course["fvc_percent"][k])
    ee = int(course["el_escorial"][k])
    base.update(entry_months_from_onset=float(when - onset), baseline_alsfrs_r=total,
                baseline_bulbar_domain=bulbar, baseline_fvc_percent=round(fvc, 6),
                baseline_kings=float(course["kings_stage"][k]),
                baseline_el_escorial=EL_ESCORIAL_LABELS[ee])
    checks = [
        (items.min() >= entry["min_item_score"], "an ALSFRS-R item too low"),
        (entry["min_alsfrs_r"] <= total <= entry["max_alsfrs_r"], "ALSFRS-R total"),
        (entry["min_bulbar_domain"] <= bulbar <= entry["max_bulbar_domain"], "bulbar domain"),
        (entry["min_fvc_percent"] <= fvc <= entry["max_fvc_percent"], "FVC"),
        (when - onset <= entry["max_disease_months"], "disease duration"),
        (ee >= EL_ESCORIAL_LABELS.index(entry["min_el_escorial"]), "El Escorial category"),
    ]
    if entry["run_in_weeks"] > 0:
        k_in = _record_at(t, when - entry["run_in_weeks"] * WEEK)
        fall = float(course["alsfrs_r"][k_in]) - total
        base["run_in_decline"] = fall
        checks.append((when - entry["run_in_weeks"] * WEEK >= onset - 1e-9
                       and entry["run_in_min_decline"] <= fall <= entry["run_in_max_decline"],
                       "run-in decline"))
    for ok, why in checks:
        if not ok:
            base["reason"] = why
            return False, when, base
    base["eligible"] = True
    return True, when, base


def screen_chunk(model_toml: str, spec: dict, seeds: list[int]) -> list[dict]:
    """Worker: sample, simulate untreated and check entry for each candidate of ``seeds``.

    The candidates who need a simulation go through one engine loop
    (:func:`alssim.engine.simulate_batch`, exact per patient).
    """

    cfg = config_from_text(model_toml, "trial model config")
    entry = spec["entry"]
    rows, todo = [], []
    for seed in seeds:
        attrs = sample_patient(cfg, np.random.SeedSequence(seed))
        row: dict[str, Any] = {"seed": seed, "genotype": attrs.genotype, "sex": attrs.sex,
                               "age_years": attrs.age_years, "speed": attrs.speed,
                               "onset_site": attrs.onset.site}
        rows.append(row)
        if entry["genotypes"] and attrs.genotype not in entry["genotypes"]:
            row.update(eligible=False, reason="genotype")
            continue
        pcfg = with_treatments(derive_config(cfg, attrs), (), genotype=attrs.genotype)
        todo.append((row, attrs, pcfg))
    results = simulate_batch([c for _, _, c in todo], [r["seed"] for r, _, _ in todo])
    for (row, attrs, _), res in zip(todo, results, strict=True):
        course = res.clinical
        ok, when, base = _entry_check(course, entry, spec["visits"], attrs)
        row.update(base)
        if ok:
            row["entry_months"] = when
            row["outcomes"] = _course_outcomes(course, when, spec["visits"])
    return rows


def treat_chunk(model_toml: str, spec: dict, items: list[tuple]) -> list[dict]:
    """Worker: each ``(seed, treatments, entry_t, start_t)`` of ``items`` simulated with its
    treatments from ``start_t``, outcomes from ``entry_t`` (months from biological onset)."""

    cfg = config_from_text(model_toml, "trial model config")
    cfgs = []
    for seed, treatments, _entry_t, start_t in items:
        attrs = sample_patient(cfg, np.random.SeedSequence(seed))
        cfgs.append(with_treatments(derive_config(cfg, attrs), treatments,
                                    start_months=start_t, genotype=attrs.genotype))
    results = simulate_batch(cfgs, [it[0] for it in items])
    return [_course_outcomes(res.clinical, it[2], spec["visits"])
            for it, res in zip(items, results, strict=True)]


def collect_screened(found: dict[int, dict]):
    """Callback storing a chunk's rows under their screening indices."""
    def on_result(k: int, rows: list[dict]) -> None:
        found.update({k + i: r for i, r in enumerate(rows)})
    return on_result


def treatments_neutral(cfg, treatments: Sequence[str], genotype: str) -> bool:
    """Whether ``treatments`` cannot change this patient's course (engine multipliers all 1)."""

    iv = cfg.interventions
    for n in treatments:
        if n in CLINICAL_TREATMENTS:
            return False
        tr = getattr(iv, n)
        if any(effective_multiplier(m, tr.adherence) != 1.0
               for m in tr.multipliers(genotype).values()):
            return False
    return True
