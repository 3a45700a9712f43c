"""Treatments: what each one changes, from when, and how strongly.

Every treatment is one ``[interventions.NAME]`` table of the configuration (defaults, all switched
off, at the end of ``configs/default.toml``, each effect with its source). A treatment starts at a
time or at an event of the patient's own course, is taken with an *adherence* (the fraction of the
full effect a patient receives, 0-1) and acts on named mechanism terms:

==============  ===========  ===============================================================
treatment       layer        what it multiplies or changes
==============  ===========  ===============================================================
riluzole        engine       ``excitotoxicity`` gain (anti-glutamatergic)
edaravone       engine       ``oxidative_stress``: the ``gain * level`` part of the stress factor
tofersen        engine       ``local_growth`` and ``spread`` of pathology (``pathology_growth``)
                             and the ``pathology_hazard``; SOD1 carriers only
niv             clinical     FVC at which respiratory failure kills (lower), only with bulbar
                             function good enough at the start to tolerate the mask
tracheostomy    clinical     FVC at which respiratory failure kills (invasive ventilation)
gastrostomy     clinical     FVC at which respiratory failure kills (nutrition); ALSFRS-R item 5
                             is then 5b, which rates handling the tube with the same hand
                             function, so the item score is unchanged in this model
exercise        clinical     collateral reinnervation capacity and the force of surviving
                             muscle, both blunted in motor neuron disease
==============  ===========  ===============================================================

With adherence ``a`` and a configured multiplier ``m``, the multiplier applied is
``1 - a * (1 - m)`` (``a = 0``: no effect; ``m = 1``: no effect). Several treatments on one term
multiply.

Engine-side effects
    :func:`engine_multipliers` turns the (resolved) treatments into one array per mechanism term,
    shape ``(n_steps + 1,)``, computed once before the time loop and handed to
    :class:`~alssim.dynamics.RegionalDrivers`; the loop only moves an index. A factor of exactly 1
    (before the start) leaves every constant bit-identical, so the treated course equals the
    untreated one, number for number, up to the start.

Starts
    ``start`` is ``"time"`` / ``"biological_onset"`` (``delay_months`` after biological onset) or
    an event of the course: ``"clinical_onset"``, ``"diagnosis"``, ``"fvc_below"`` (FVC under
    ``fvc_threshold`` % predicted), ``"kings_4a"`` (gastrostomy needed) or ``"kings_4b"``
    (ventilation needed), plus ``delay_months``. An event time depends only on the course before
    the treatment starts, and every random stream of a run is keyed by its seed and process name
    (common random numbers), so the untreated run with the same seed *is* the treated run up to
    the start. :func:`resolve_starts` therefore simulates the patient without the event-triggered
    treatments, reads the earliest event time from that clinical course, fixes that treatment's
    start as a time, and repeats with it on for the later events (a treatment can move a later
    event). :func:`alssim.simulate` does this automatically; the result's config records every
    start as a time (a treatment whose event never comes within the horizon is switched off).

Genotype
    A single run knows its patient's genotype from ``interventions.genotype`` (default
    ``"sporadic"``); tofersen acts only when it is one of ``tofersen.carriers``. Trials
    (:mod:`alssim.trials`) set it from each virtual patient's sampled genotype; for a single run
    set it yourself (``--set interventions.genotype=sod1_a4v``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from alssim._timeseries import first_time

# the section schemas, declared in the config layer and re-exported here
from alssim.config.interventions import (
    _TIME_STARTS,
    CLINICAL_TREATMENTS,
    ENGINE_TREATMENTS,
    START_EVENTS,
    TREATMENTS,
    Edaravone,
    Exercise,
    Gastrostomy,
    Interventions,
    Niv,
    Riluzole,
    Tofersen,
    Tracheostomy,
)
from alssim.errors import ConfigError

__all__ = [
    "CLINICAL_TREATMENTS",
    "ENGINE_TREATMENTS",
    "START_EVENTS",
    "TREATMENTS",
    "ClinicalModifiers",
    "Edaravone",
    "Exercise",
    "Gastrostomy",
    "Interventions",
    "Niv",
    "Riluzole",
    "Tofersen",
    "Tracheostomy",
    "clinical_modifiers",
    "effective_multiplier",
    "engine_multipliers",
    "event_time",
    "resolve_starts",
    "with_treatments",
]

def effective_multiplier(m: float, adherence: float) -> float:
    """The multiplier a patient receives: ``1 - adherence * (1 - m)``."""
    return 1.0 - adherence * (1.0 - m)


def _start_index(times: np.ndarray, start: float) -> int:
    """First index with ``times >= start`` (within rounding)."""
    return int(np.searchsorted(times, start - 1e-9, side="left"))


def _check_resolved(iv: Interventions, names: Iterable[str]) -> None:
    for n in names:
        tr = getattr(iv, n)
        if tr.enabled and tr.start not in _TIME_STARTS:
            raise ConfigError(
                f"starts at an event ({tr.start!r}) not yet resolved to a time; simulate with "
                "alssim.simulate, which resolves it", key=f"interventions.{n}.start")


def engine_multipliers(cfg) -> dict[str, np.ndarray] | None:
    """Per-step multipliers on the mechanism terms of the engine.

    Parameters
    ----------
    cfg : Config
        Treatment starts must be times (see :func:`resolve_starts`).

    Returns
    -------
    dict of str to ndarray, each shape (n_steps + 1,), or None
        Keys among :attr:`alssim.dynamics.RegionalDrivers.TERMS`; element ``n`` applies over
        the step from ``t_n = n * dt``. ``None`` when no engine-side treatment acts.
    """
    iv = cfg.interventions
    names = [n for n in ENGINE_TREATMENTS if getattr(iv, n).enabled]
    _check_resolved(iv, names)
    sim = cfg.simulation
    step_times = np.arange(sim.n_steps + 1) * sim.dt_months
    out: dict[str, np.ndarray] = {}
    for n in names:
        tr = getattr(iv, n)
        k = _start_index(step_times, tr.delay_months)
        for term, m in tr.multipliers(iv.genotype).items():
            eff = effective_multiplier(m, tr.adherence)
            if eff == 1.0:
                continue
            arr = out.setdefault(term, np.ones(len(step_times)))
            arr[k:] *= eff
    return out or None


@dataclasses.dataclass(frozen=True)
class ClinicalModifiers:
    """Time courses of the clinical-layer treatments over the record times.

    Attributes
    ----------
    times_months : ndarray, shape (T,)
    enlargement_gain : ndarray, shape (T,)
        Multiplier on the sprouting capacity ``max_unit_enlargement - 1``.
    strength_gain : ndarray, shape (T,)
        Multiplier on force (the result is capped at healthy force).
    niv_start, tracheostomy_start, gastrostomy_start : float
        Start times (months from biological onset); ``inf`` if not given.
    niv, tracheostomy, gastrostomy : dataclass or None
        The treatment tables in force.
    """

    times_months: np.ndarray
    enlargement_gain: np.ndarray
    strength_gain: np.ndarray
    niv_start: float = math.inf
    tracheostomy_start: float = math.inf
    gastrostomy_start: float = math.inf
    niv: Niv | None = None
    tracheostomy: Tracheostomy | None = None
    gastrostomy: Gastrostomy | None = None

    def max_unit_enlargement(self, k: float) -> np.ndarray:
        """Time course of ``max_unit_enlargement``, shape (T, 1, 1) (broadcasts over pools)."""
        return (1.0 + (k - 1.0) * self.enlargement_gain)[:, None, None]

    def strengthen(self, strength: np.ndarray) -> np.ndarray:
        """Force with the training gain, capped at healthy force; shape of ``strength``."""
        return np.minimum(strength * self.strength_gain[:, None, None], 1.0)

    def niv_used(self, bulbar_domain: np.ndarray, tolerance_quantile: float) -> np.ndarray:
        """Records at which the patient uses NIV, bool shape (T,).

        From the start on, if the patient tolerates the mask: the draw ``tolerance_quantile``
        (``clinical_draws["ventilation_tolerance"]``) below the tolerated share for the
        patient's bulbar domain at the start.
        """
        t = self.times_months
        used = np.zeros(len(t), dtype=bool)
        if self.niv is None:
            return used
        k = _start_index(t, self.niv_start)
        if k >= len(t):
            return used
        good = bulbar_domain[k] >= self.niv.min_bulbar_domain
        share = self.niv.tolerance_good_bulbar if good else self.niv.tolerance_poor_bulbar
        used[k:] = tolerance_quantile < share
        return used

    def tracheostomy_used(self) -> np.ndarray:
        """Records from the tracheostomy on, bool shape (T,)."""
        t = self.times_months
        used = np.zeros(len(t), dtype=bool)
        if self.tracheostomy is not None:
            used[_start_index(t, self.tracheostomy_start):] = True
        return used

    def failure_fvc(self, failure_fvc: float, bulbar_domain: np.ndarray, *,
                    reserve_factor: float = 1.0, tolerance_quantile: float = 0.5) -> np.ndarray:
        """FVC (% predicted) at which hypercapnic respiratory failure kills, shape (T,).

        Parameters
        ----------
        failure_fvc : float
            The patient's untreated level (``clinical.respiratory.failure_fvc`` times the
            patient's ``reserve_factor``).
        bulbar_domain : ndarray, shape (T,)
            ALSFRS-R bulbar domain; NIV gives no gain when it is below ``niv.min_bulbar_domain``
            at the start (poor bulbar function; Bourke 2006).
        reserve_factor : float
            The patient's factor on every failure level (treated ones too).
        tolerance_quantile : float
            The patient's draw ``ventilation_tolerance`` (see :meth:`niv_used`).
        """
        t = self.times_months
        level = np.full(len(t), float(failure_fvc))
        if self.niv is not None:
            used = self.niv_used(bulbar_domain, tolerance_quantile)
            k = _start_index(t, self.niv_start)
            if used.any() and bulbar_domain[k] >= self.niv.min_bulbar_domain:
                lv = failure_fvc - self.niv.adherence * (
                    failure_fvc - self.niv.failure_fvc * reserve_factor)
                level[used] = np.minimum(level[used], lv)
        if self.tracheostomy is not None:
            k = _start_index(t, self.tracheostomy_start)
            tr = self.tracheostomy
            lv = failure_fvc - tr.adherence * (failure_fvc - tr.failure_fvc * reserve_factor)
            level[k:] = np.minimum(level[k:], lv)
        if self.gastrostomy is not None:
            k = _start_index(t, self.gastrostomy_start)
            level[k:] -= self.gastrostomy.adherence * self.gastrostomy.failure_fvc_shift
        return np.maximum(level, 0.0)

    def aspiration_multiplier(self) -> np.ndarray:
        """Multiplier on the aspiration hazard, shape (T,) (the tracheostomy's cuff)."""
        t = self.times_months
        out = np.ones(len(t))
        if self.tracheostomy is not None:
            tr = self.tracheostomy
            k = _start_index(t, self.tracheostomy_start)
            out[k:] = 1.0 - tr.adherence * (1.0 - tr.aspiration_multiplier)
        return out


def clinical_modifiers(cfg, times_months: np.ndarray) -> ClinicalModifiers | None:
    """The clinical-layer treatments over the record times; ``None`` when none is given.

    Parameters
    ----------
    cfg : Config
        Treatment starts must be times (see :func:`resolve_starts`).
    times_months : ndarray, shape (T,)
        Record times, months from biological onset.
    """
    iv = cfg.interventions
    names = [n for n in CLINICAL_TREATMENTS if getattr(iv, n).enabled]
    if not names:
        return None
    _check_resolved(iv, names)
    t = np.asarray(times_months, dtype=float)
    enl = np.ones(len(t))
    gain = np.ones(len(t))
    kw: dict[str, Any] = {}
    if iv.exercise.enabled:
        ex = iv.exercise
        k = _start_index(t, ex.delay_months)
        enl[k:] = 1.0 + ex.response * ex.reinnervation_gain
        gain[k:] = 1.0 + ex.response * ex.strength_gain
    for n in ("niv", "tracheostomy", "gastrostomy"):
        tr = getattr(iv, n)
        if tr.enabled:
            kw[n] = tr
            kw[f"{n}_start"] = tr.delay_months
    return ClinicalModifiers(t, enl, gain, **kw)


# --------------------------------------------------------------------------- starts
def event_time(course, start: str, fvc_threshold: float = 50.0) -> float:
    """Months from biological onset at which ``start`` happens in a clinical course.

    ``inf`` when it does not happen within the horizon, or only after death (an event at the
    record of death counts).

    Parameters
    ----------
    course : ClinicalCourse
    start : str
        One of :data:`START_EVENTS`; the time starts give 0.
    fvc_threshold : float
        Level for ``"fvc_below"`` (% predicted).
    """
    t = course.times_months
    if start in _TIME_STARTS:
        return 0.0
    if start == "clinical_onset":
        when = course.clinical_onset_months
    elif start == "diagnosis":
        months = course.events["diagnosis"]["months"]
        when = math.inf if months is None else course.clinical_onset_months + months
    elif start == "fvc_below":
        when = float(first_time(course["fvc_percent"] < fvc_threshold, t))
    elif start == "kings_4a":
        when = float(first_time(course["gastrostomy_needed"], t))
    elif start == "kings_4b":
        when = float(first_time(course["niv_needed"], t))
    else:  # pragma: no cover - validated by the config
        raise ValueError(f"unknown start {start!r}")
    # an event at the record of death still counts: the need arose between the records, and
    # the treatment (ventilation, say) may prevent that very death
    death = course.events["death_months"]
    if death is not None and when > death + 1e-5:  # the summary rounds to 1e-6
        return math.inf
    return float(when)


def _set(iv: Interventions, name: str, **changes) -> Interventions:
    return dataclasses.replace(iv, **{name: dataclasses.replace(getattr(iv, name), **changes)})


def resolve_starts(cfg, run: Callable[[Any], Any]):
    """Turn event-triggered starts into times, by simulating without them first.

    Parameters
    ----------
    cfg : Config
    run : callable
        ``run(cfg) -> Result`` simulating the same patient with the same seed.

    Returns
    -------
    Config
        ``cfg`` with every enabled treatment's ``start = "time"`` and ``delay_months`` the
        start in months from biological onset; treatments whose event never comes (before death,
        within the horizon) are switched off.

    Notes
    -----
    Loop: simulate with the treatments already resolved; among the pending ones, the earliest
    start (event + delay) is exact, because nothing pending acted before it; fix it and repeat.
    At most one simulation per event-triggered treatment.
    """
    iv = cfg.interventions
    pending = [n for n in iv.enabled_names if getattr(iv, n).start not in _TIME_STARTS]
    for n in iv.enabled_names:
        if getattr(iv, n).start == "biological_onset":
            iv = _set(iv, n, start="time")
    if not pending:
        return dataclasses.replace(cfg, interventions=iv) if iv is not cfg.interventions \
            else cfg
    current = iv
    for n in pending:
        current = _set(current, n, enabled=False)
    while pending:
        course = run(dataclasses.replace(cfg, interventions=current)).clinical
        starts = {}
        for n in pending:
            tr = getattr(iv, n)
            starts[n] = event_time(course, tr.start, tr.fvc_threshold) + tr.delay_months
        first = min(starts.values())
        if not math.isfinite(first):
            break  # none of the rest ever starts: they stay off
        for n in [n for n in pending if starts[n] == first]:
            current = _set(current, n, enabled=True, start="time", delay_months=first)
            pending.remove(n)
    return dataclasses.replace(cfg, interventions=current)


def with_treatments(cfg, names: Iterable[str], start_months: float | None = None,
                    genotype: str | None = None):
    """``cfg`` with the treatments ``names`` switched on.

    Parameters
    ----------
    cfg : Config
    names : iterable of str
        Treatment names (:data:`TREATMENTS`); their configured effects are kept.
    start_months : float, optional
        Start them all at this time (months from biological onset) instead of their own start.
    genotype : str, optional
        Set ``interventions.genotype``.
    """
    iv = cfg.interventions
    for n in names:
        if n not in TREATMENTS:
            raise ConfigError(f"unknown treatment {n!r}; known: {', '.join(TREATMENTS)}",
                              key="treatments")
        changes: dict[str, Any] = {"enabled": True}
        if start_months is not None:
            changes.update(start="time", delay_months=float(start_months))
        iv = _set(iv, n, **changes)
    if genotype is not None:
        iv = dataclasses.replace(iv, genotype=genotype)
    return dataclasses.replace(cfg, interventions=iv)
