"""``assess(result)``: the whole clinical course of one simulated patient.

Pipeline (each step a pure, vectorised function of the recorded state; no random numbers):

1. pools by segment x side (:mod:`~alssim.clinical.pools`);
2. strength: collateral reinnervation with a lag and a capacity, innervated fraction, UMN drive,
   MRC grade, atrophy; per muscle (each a part of its segment's pool, lost with its
   vulnerability exponent), a segment's strength the mean of its muscles', and the MRC sum score
   of the limb muscles (:mod:`~alssim.clinical.strength`);
3. UMN signs a clinician examines in each region: Modified Ashworth (masked by the muscle
   left), tendon reflexes and Babinski in the limbs, jaw jerk and pseudobulbar signs (bulbar),
   abdominal reflexes (thoracic) (:mod:`~alssim.clinical.umn_signs`); fasciculations
   (:mod:`~alssim.clinical.fasciculations`);
4. function capacity, involvement and clinical onset, ALSFRS-R items, domains, total
   (:mod:`~alssim.clinical.alsfrs`); FVC, ventilation and gastrostomy needs, death from
   respiratory failure (:mod:`~alssim.clinical.respiratory`);
5. King's and MiToS stages (:mod:`~alssim.clinical.staging`);
6. EMG, MUNE, CMAP, split hand (:mod:`~alssim.clinical.electro`); El Escorial, Awaji, Gold Coast
   and the diagnosis visit (:mod:`~alssim.clinical.diagnosis`);
7. headline numbers: onset, spread, stage entries, diagnosis, survival, ΔFS, slope and D50
   (:mod:`~alssim.clinical.progression`).

Times are months from biological onset in the arrays (as in the Result); the summary reports them
from clinical onset, as the literature does.
"""

from __future__ import annotations

import math

import numpy as np

from alssim.anatomy import ALSFRS_ITEMS, EL_ESCORIAL_REGIONS, KINGS_REGIONS, SIDES
from alssim.care_draws import default_clinical_draws
from alssim.clinical import alsfrs as _alsfrs
from alssim.clinical import diagnosis as _dx
from alssim.clinical import electro as _emg
from alssim.clinical import fasciculations as _fasc
from alssim.clinical import pathway as _path
from alssim.clinical import phenotype as _phenotype
from alssim.clinical import respiratory as _resp
from alssim.clinical import staging as _stage
from alssim.clinical import strength as _str
from alssim.clinical import umn_signs as _umn
from alssim.clinical._util import first_time, ratio, running_any
from alssim.clinical.course import ClinicalCourse, freeze_arrays, rounded
from alssim.clinical.events import (
    care_events,
    course_events,
    criterion_met,
    diagnosis_details,
    onset_muscle_mune_50,
    onset_site,
    stage_entry_months,
)
from alssim.clinical.pools import pool_state
from alssim.clinical.variables import CLINICAL_VARIABLES, ClinicalVariable
from alssim.interventions import clinical_modifiers

__all__ = ["CLINICAL_VARIABLES", "ClinicalCourse", "ClinicalVariable", "assess"]


def assess(result, params=None) -> ClinicalCourse:
    """Derive the clinical course of a simulated patient.

    Parameters
    ----------
    result : Result
        From :func:`alssim.simulate`.
    params : alssim.clinical.params.Clinical, optional
        Clinical parameters; default ``result.config.clinical``.

    Returns
    -------
    ClinicalCourse

    Examples
    --------
    >>> import alssim
    >>> from alssim.clinical import assess
    >>> res = alssim.simulate(alssim.load_config(overrides={"simulation.scale": 0.01}), seed=1)
    >>> course = assess(res)
    >>> int(course["alsfrs_r"][0])
    48
    """
    cfg = result.config
    p = params if params is not None else cfg.clinical
    anat = cfg.anatomy
    n_seg = anat.n_segments
    ps = pool_state(result)
    t = ps.times_months

    # 2. strength
    st = p.strength
    healthy = np.broadcast_to(ps.size_healthy, ps.size_alive.shape)
    # treatments of the clinical layer (alssim.interventions): None when none is given
    mods = None
    if cfg.interventions.any_enabled:
        mods = clinical_modifiers(cfg, t)
    enlargement = (st.max_unit_enlargement if mods is None
                   else mods.max_unit_enlargement(st.max_unit_enlargement))
    reinn = _str.reinnervated_fibres(
        t, ps.size_healthy, ps.size_alive, ps.size_dysfunctional,
        max_unit_enlargement=enlargement, delay_months=st.reinnervation_delay_months,
        dysfunctional_sprouting=st.dysfunctional_sprouting, enabled=st.reinnervation)
    innervated = _str.innervated_fraction(ps.size_healthy, ps.size_alive, reinn)
    denervated = 1.0 - innervated
    own_lost = np.clip(1.0 - ratio(ps.size_alive, healthy, fill=1.0), 0.0, 1.0)
    drive = _str.umn_drive(ps.umn_lost, st.umn_weakness, st.umn_reserve)
    # muscles: each owns a part of its segment's pool, lost with its vulnerability exponent;
    # the same reinnervation, per muscle, then the segment's UMN drive
    muscles = [(m, s) for s, seg in enumerate(anat.segments) for m in seg.muscles]
    m_names = tuple(m.name for m, _ in muscles)
    m_seg = np.array([s for _, s in muscles], dtype=np.int64)
    m_units = np.array([m.motor_units for m, _ in muscles], dtype=float)
    expo = np.array([m.vulnerability for m, _ in muscles], dtype=float)
    m_own, m_dys = _str.muscle_pools(ratio(ps.size_alive, healthy)[:, m_seg],
                                     ratio(ps.size_dysfunctional, healthy)[:, m_seg], expo)
    m_reinn = _str.reinnervated_fibres(
        t, 1.0, m_own, m_dys, max_unit_enlargement=enlargement,
        delay_months=st.reinnervation_delay_months,
        dysfunctional_sprouting=st.dysfunctional_sprouting, enabled=st.reinnervation)
    m_innervated = _str.innervated_fraction(1.0, m_own, m_reinn)
    m_strength = m_innervated * drive[:, m_seg]
    strength = innervated * drive  # segments without muscles keep their pool's strength
    if mods is not None:
        strength = mods.strengthen(strength)
        m_strength = mods.strengthen(m_strength)
    strength = _str.segment_mean(m_strength, m_seg, strength)
    mrc = _str.mrc_grade(strength, st.mrc_thresholds)
    m_mrc = _str.mrc_grade(m_strength, st.mrc_thresholds)
    limb_muscle = np.array([anat.segments[s].kings_region in ("upper_limb", "lower_limb")
                            for s in m_seg], dtype=bool)
    mrc_sum = _str.mrc_sum_score(m_mrc, limb_muscle)
    atrophy_sign = _str.atrophy_sign(denervated, st.atrophy_threshold)

    # 3. UMN signs, fasciculations
    us = p.umn_signs
    uidx = _umn.umn_index(ps.umn_lost, ps.umn_dysfunctional_fraction, us.dysfunction_weight)
    eff = _umn.effective_umn_index(uidx, innervated)
    # each sign only where a clinician examines it (NaN elsewhere); umn_sign counts those. A
    # segment serving breathing alone (the phrenic nucleus: the diaphragm) has no tone, tendon
    # reflex or plantar response to examine, whatever its El Escorial region
    breathing_only = np.array([s.serves_breathing_only for s in anat.segments])
    examined_as = ["not_examined" if b else s.el_escorial_region
                   for s, b in zip(anat.segments, breathing_only, strict=True)]
    signs = _umn.regional_signs(uidx, innervated, examined_as, us)
    fc = p.fasciculations
    umn_affected = np.clip(ps.umn_lost + ps.umn_dysfunctional_fraction, 0.0, 1.0)
    frate = _fasc.fasciculation_rate(
        ps.lmn_dysfunctional / ps.lmn_count, umn_affected, rate_per_unit=fc.rate_per_unit,
        reference_motor_units=fc.reference_motor_units,
        disinhibition_gain=fc.umn_disinhibition_gain)
    fscore = _fasc.fasciculation_score(frate, fc.score_thresholds)
    # fasciculations are a sign seen on inspection: the diaphragm's cannot be (the rate stays,
    # for the EMG of the segment)
    fscore[:, breathing_only, :] = 0

    # 4. function, ALSFRS-R, respiration, death
    fn = p.function
    capacity = _alsfrs.function_capacity(strength, eff, fn.spasticity_penalty)
    involved = _alsfrs.involvement(capacity, fn.involvement_threshold)
    shares = _alsfrs.item_shares(anat)
    dominant = SIDES.index(cfg.onset.dominant_side)
    item_fn = _alsfrs.item_function(capacity, shares, dominant)
    items = _alsfrs.item_scores(item_fn, fn.item_thresholds,
                                {"salivation": fn.salivation_thresholds,
                                 "swallowing": fn.swallowing_thresholds,
                                 "climbing_stairs": fn.climbing_stairs_thresholds})
    # breathing: the pump and the diaphragm, the NIV indication, support given, death
    rp = p.respiratory
    draws = getattr(result, "clinical_draws", None) or default_clinical_draws()
    pump = _resp.pump_strength(strength, _resp.pump_weights(shares))
    diaphragm = _resp.pump_strength(strength, _resp.diaphragm_weights(shares))
    dysp = ALSFRS_ITEMS.index("dyspnoea")
    orth = ALSFRS_ITEMS.index("orthopnoea")
    resp12 = ALSFRS_ITEMS.index("respiratory_insufficiency")
    items[:, dysp] = _alsfrs.item_scores(pump[:, None], rp.dyspnoea_thresholds)[:, 0]
    items[:, orth] = _alsfrs.item_scores(diaphragm[:, None], rp.orthopnoea_thresholds)[:, 0]
    # a segment that serves breathing alone (the phrenic nucleus) is clinically involved only
    # once breathing symptoms appear: weak but silent before that
    breathless = (items[:, dysp] < 4) | (items[:, orth] < 4)
    if breathing_only.any():
        involved = involved.copy()
        involved[:, breathing_only, :] &= running_any(breathless)[:, None, None]
    onset_t = float(first_time(np.asarray(involved.any(axis=(1, 2))), t))
    # ventilation at rest, and so hypercapnic failure, needs the inspiratory muscles: weak
    # expiratory muscles lower the measured FVC (and so indicate NIV) but do not stop breathing
    inspiratory_vc = _resp.fvc_percent(pump, rp.fvc_healthy, rp.fvc_strength_exponent)
    expiratory = _resp.pump_strength(strength, _resp.expiratory_weights(shares))
    # what spirometry reads: the patient's own vital capacity before the disease, not the mean
    own_healthy = _resp.own_healthy_fvc(rp.fvc_healthy, rp.fvc_healthy_sd,
                                        draws.get("healthy_fvc", 0.5))
    fvc = (inspiratory_vc * (own_healthy / rp.fvc_healthy)
           * _resp.expiratory_retained(expiratory, rp.expiratory_vc_share))
    snip = _resp.snip_cmh2o(diaphragm, rp.snip_healthy)
    # in REM sleep the intercostal and accessory muscles are atonic: the diaphragm alone
    # ventilates (Arnulf 2000 Am J Respir Crit Care Med 161:849)
    rem_fvc = _resp.fvc_percent(diaphragm, rp.fvc_healthy, rp.fvc_strength_exponent)
    hypoventilating = _resp.hypoventilation(inspiratory_vc, rem_fvc, rp.hypercapnia_fvc)
    niv = _resp.niv_indicated(fvc, snip, items[:, orth], niv_fvc=rp.niv_fvc,
                              niv_snip=rp.niv_snip, orthopnoea_score=rp.niv_orthopnoea_item,
                              hypoventilating=hypoventilating)
    swallow = ALSFRS_ITEMS.index("swallowing")
    gastro = running_any(items[:, swallow] <= rp.gastrostomy_swallowing_item)
    bulbar_domain = items[:, list(_alsfrs.ALSFRS_DOMAINS["bulbar"])].sum(axis=1)
    own_failure = _resp.failure_level(rp.failure_fvc, rp.failure_reserve_sigma,
                                      draws["respiratory_reserve"], rp.hypercapnia_fvc)
    # the same factor carries the patient's reserve to every treated level
    reserve = own_failure / rp.failure_fvc if rp.failure_fvc > 0 else 1.0
    if mods is None:
        on_niv = on_trach = np.zeros(len(t), dtype=bool)
        failure = np.full(len(t), own_failure)
        asp_mult: np.ndarray | float = 1.0
    else:
        on_niv = mods.niv_used(bulbar_domain, draws["ventilation_tolerance"])
        on_trach = mods.tracheostomy_used()
        failure = mods.failure_fvc(own_failure, bulbar_domain, reserve_factor=reserve,
                                   tolerance_quantile=draws["ventilation_tolerance"])
        asp_mult = mods.aspiration_multiplier()
    items[:, resp12] = _resp.support_item(on_niv, on_trach, fvc, night_fvc=rp.niv_night_fvc,
                                          continuous_fvc=rp.niv_continuous_fvc)
    domains = _alsfrs.domain_scores(items)
    total = items.sum(axis=1).astype(np.int16)
    # airway protection follows the bulbar muscles' strength, not the spasticity penalty:
    # protective reflexes (gag, cough) are kept, even brisk, in pseudobulbar (UMN) palsy, while
    # flaccid (LMN) bulbar weakness loses them [hypothesis]
    airway_fn = _alsfrs.item_function(strength, shares, dominant)
    # fatal aspiration needs established dysphagia: the swallowing muscles below the function
    # at which the swallowing score falls to aspiration_swallowing_item
    dysphagia_onset = _alsfrs.score_ceiling(fn.swallowing_thresholds,
                                            rp.aspiration_swallowing_item)
    asp_hazard = _resp.aspiration_hazard(
        airway_fn[:, swallow], pump, max_rate=rp.aspiration_max_rate,
        exponent=rp.aspiration_exponent, cough_gain=rp.aspiration_cough_gain,
        multiplier=asp_mult, dysphagia_onset=dysphagia_onset)
    asp_cum = _resp.cumulative_hazard(t, asp_hazard)
    # hypercapnic failure: the awake inspiratory pump falls below the patient's failure level,
    # or the diaphragm alone (REM sleep) below that level times rem_failure_ratio
    # (hypoventilation in REM sleep begins earlier and indicates ventilation)
    failure_t = float(first_time((inspiratory_vc < failure)
                                 | (rem_fvc < failure * rp.rem_failure_ratio), t))
    aspiration_t = float(first_time(asp_cum >= draws["aspiration"], t))
    death_t = min(failure_t, aspiration_t)
    cause = (None if not math.isfinite(death_t) else "respiratory_failure"
             if failure_t <= aspiration_t else "aspiration_pneumonia")
    alive = t < death_t

    # 5. stages
    kings_idx = np.array([KINGS_REGIONS.index(s.kings_region) for s in anat.segments])
    region_inv = _dx.pool_regions(involved, kings_idx, len(KINGS_REGIONS))
    # the fourth King's region is the diaphragm (Roche 2012): respiratory symptoms or the
    # indication of ventilation, not the trunk muscles
    region_inv[:, KINGS_REGIONS.index("respiratory")] = running_any(
        breathless | niv)
    counted = [r != "respiratory" or fn.kings_count_respiratory for r in KINGS_REGIONS]
    kings = _stage.kings_stage(region_inv[:, counted], gastro, niv, ~alive)
    # the stage a study without clinical staging reads from the ALSFRS-R (Balendra 2014)
    est_4b = _stage.kings_respiratory_failure_from_alsfrs(items) | niv
    kings_est = _stage.kings_stage(_stage.kings_regions_from_alsfrs(items), gastro, est_4b,
                                   ~alive)
    mitos = _stage.mitos_stage(items, ~alive)

    # 6. EMG, MUNE, CMAP, split hand; criteria and diagnosis
    el = p.electro
    fib = _emg.fibrillation_density(t, own_lost, denervated, el.fibrillation_time_constant_months)
    fib_grade = _emg.fibrillation_grade(fib, el.fibrillation_thresholds)
    fp = frate >= el.fasciculation_potential_rate
    mup = _emg.mup_enlargement(ps.size_alive, reinn)
    with np.errstate(invalid="ignore"):
        chronic = np.nan_to_num(mup, nan=0.0) >= el.chronic_neurogenic_enlargement
    emg_ee = (fib_grade >= 1) & chronic
    emg_aw = ((fib_grade >= 1) | fp) & chronic
    alive_frac = np.clip(ps.lmn_alive / ps.lmn_count, 0.0, 1.0)
    mune = _emg.mune(m_units, alive_frac[:, m_seg], expo)
    cmap = _emg.cmap_percent(m_innervated)
    split = _emg.split_hand_index(cmap, m_names, m_seg, n_seg, el.split_hand_healthy)

    umn_sign = signs.pop("umn_sign")  # region by region (alssim.clinical.umn_signs.EXAMINED)
    lmn_sign = atrophy_sign | (innervated < fn.involvement_threshold)
    ee_idx = np.array([EL_ESCORIAL_REGIONS.index(s.el_escorial_region) for s in anat.segments])
    n_r = len(EL_ESCORIAL_REGIONS)
    umn_r = _dx.pool_regions(umn_sign, ee_idx, n_r)
    lmn_r = _dx.pool_regions(lmn_sign, ee_idx, n_r)
    lmn_any_r = lmn_r | _dx.pool_regions(emg_aw, ee_idx, n_r)
    limb = np.isin(ee_idx, [EL_ESCORIAL_REGIONS.index("cervical"),
                            EL_ESCORIAL_REGIONS.index("lumbosacral")])
    emg_limbs = sum(_dx.pool_regions(emg_ee[..., side:side + 1] & limb[:, None], ee_idx,
                                     n_r).sum(axis=1) for side in range(2))
    ee = _dx.el_escorial(umn_r, lmn_r, emg_limbs)
    aw = _dx.awaji(umn_r, lmn_any_r)
    gc = _dx.gold_coast(t >= onset_t, umn_r, lmn_any_r)
    # the diagnostic pathway (alssim.clinical.pathway): the criterion read at each neurology
    # visit, from the clinical signs alone before the EMG and with its findings from then on
    dp = p.diagnosis
    ee0 = _dx.el_escorial(umn_r, lmn_r, np.zeros_like(emg_limbs))
    aw0 = _dx.awaji(umn_r, lmn_r)
    gc0 = _dx.gold_coast(t >= onset_t, umn_r, lmn_r)
    bulbar_onset = onset_site(anat, t, onset_t, involved, capacity) == "bulbar"
    urgent = float(first_time(total <= 48 - dp.urgent_alsfrs_drop, t)) - onset_t
    path = _path.pathway(getattr(result, "clinical_draws", None), dp, bulbar_onset,
                         urgent_months=urgent if math.isfinite(onset_t) else math.inf)
    emg_t = onset_t + path.emg_months
    diag_t, diag_rec = _dx.diagnosis_visit(
        t, criterion_met(dp, ee, aw, gc) & alive, path.visits(onset_t, float(t[-1])),
        met_before_emg=(np.zeros(len(t), dtype=bool) if dp.require_emg
                        else criterion_met(dp, ee0, aw0, gc0) & alive), emg_months=emg_t)
    diagnosed = t >= diag_t
    # categories as the neurologist saw them at the diagnosis visit
    seen = (ee, aw, gc) if diag_t >= emg_t else (ee0, aw0, gc0)

    seg_vars = {
        "strength": strength, "mrc": mrc, "innervated": innervated,
        "reinnervated": ratio(reinn, healthy), "atrophy": denervated,
        "atrophy_sign": atrophy_sign, "umn_drive": drive, "umn_index": uidx, **signs,
        "umn_sign": umn_sign, "lmn_sign": lmn_sign,
        "fasciculation_rate": frate, "fasciculation_score": fscore, "function": capacity,
        "involved": involved, "fibrillation_density": fib, "fibrillation_grade": fib_grade,
        "fasciculation_potentials": fp, "mup_enlargement": mup, "chronic_neurogenic": chronic,
        "emg_lmn_sign": emg_ee, "emg_lmn_sign_awaji": emg_aw, "split_hand_index": split,
    }
    mus_vars = {"mune": mune, "mune_percent": 100.0 * ratio(mune, m_units[:, None]),
                "cmap_percent": cmap, "muscle_strength": m_strength, "muscle_mrc": m_mrc}
    glob = {f"alsfrs_r_{name}": items[:, i] for i, name in enumerate(ALSFRS_ITEMS)}
    glob.update({f"alsfrs_r_{k}_domain": v for k, v in domains.items()})
    glob.update({"pump_strength": pump, "diaphragm_strength": diaphragm,
                 "inspiratory_vc_percent": inspiratory_vc,
                 "rem_ventilation_percent": rem_fvc, "snip_cmh2o": snip, "on_niv": on_niv,
                 "on_tracheostomy": on_trach, "aspiration_hazard": asp_hazard})
    glob.update({"alsfrs_r": total, "fvc_percent": fvc, "niv_needed": niv,
                 "gastrostomy_needed": gastro, "patient_alive": alive, "kings_stage": kings,
                 "kings_stage_estimated": kings_est,
                 "mitos_stage": mitos, "el_escorial": ee, "awaji": aw, "gold_coast": gc,
                 "diagnosed": diagnosed, "mrc_sum_score": mrc_sum,
                 "months_from_clinical_onset": t - onset_t if math.isfinite(onset_t)
                 else np.full(len(t), np.nan)})
    seg_vars = {k: np.ascontiguousarray(v) for k, v in seg_vars.items()}
    glob = {k: np.ascontiguousarray(v) for k, v in glob.items()}

    events = course_events(anat, t, onset_t, involved, capacity, region_inv, kings, gastro, niv,
                           mitos, total, alive, death_t, diag_t, diag_rec, *seen, dp.criteria)
    events["diagnosis"].update(diagnosis_details(
        t, onset_t, path, diag_rec, diag_t >= emg_t, alive, fvc, kings, mitos, umn_r))
    events["onset_muscle_mune_50_months"] = onset_muscle_mune_50(
        anat, t, onset_t, involved, capacity, mus_vars["mune_percent"], m_seg)
    events["kings_estimated_stage_months"] = stage_entry_months(
        t, onset_t, death_t, kings_est, gastro, est_4b)
    events.update(care_events(t, onset_t, death_t, cause, kings, fvc, on_niv, on_trach,
                              mods))
    # EMPOWER's other entry criteria (NCT01281189): revised El Escorial possible or better, and
    # able to swallow tablets (swallowing item >= 1: something by mouth)
    trial_eligible = (ee >= 1) & (items[:, swallow] >= _resp.TRIAL_MIN_SWALLOWING_ITEM)
    entry = _resp.trial_entry(t, fvc, onset_t, diag_t, death_t, eligible=trial_eligible)
    events["fvc_trial_slope_per_month"] = rounded(_resp.entry_fvc_slope(t, fvc, entry))
    events["trial_entry"] = {"months": None, "alsfrs_r": None, "fvc_percent": None}
    if entry is not None:
        k0 = entry[0]
        events["trial_entry"] = {"months": rounded(float(t[k0] - onset_t), 3),
                                 "alsfrs_r": int(total[k0]),
                                 "fvc_percent": rounded(float(fvc[k0]), 3)}
    course = ClinicalCourse(
        times_months=np.array(t), clinical_onset_months=onset_t,
        segments=anat.segment_names, muscles=m_names,
        muscle_segments=tuple(anat.segment_names[s] for s in m_seg),
        segment_variables=freeze_arrays(seg_vars), muscle_variables=freeze_arrays(mus_vars),
        global_variables=freeze_arrays(glob), events=events)
    # 8. phenotype and motor-unit markers, read from the course (alssim.clinical.phenotype)
    events.update(_phenotype.phenotype_summary(course, anat,
                                               normal_fraction=fn.involvement_threshold))
    return course
