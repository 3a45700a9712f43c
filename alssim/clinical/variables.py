"""The clinical variables of a course: meaning, unit, dtype and range of each
(:data:`CLINICAL_VARIABLES`)."""

from __future__ import annotations

import dataclasses
import math

from alssim.anatomy import ALSFRS_ITEMS
from alssim.clinical import alsfrs as _alsfrs
from alssim.clinical import staging as _stage
from alssim.clinical import umn_signs as _umn

__all__ = ["CLINICAL_VARIABLES", "ClinicalVariable"]


@dataclasses.dataclass(frozen=True)
class ClinicalVariable:
    """Meaning and range of one clinical variable.

    Attributes
    ----------
    level : str
        ``"segment"`` (shape (T, S, 2)), ``"muscle"`` (shape (T, M, 2)) or ``"global"`` (T,).
    unit : str
    doc : str
    low, high : float
        Range of valid values (NaN allowed only where documented).
    levels : tuple of float, optional
        The only values the variable takes (ordinal scores).
    defined_after_death : bool
        The variable keeps a value at records after the patient's death (``patient_alive``, 0
        then, and ``months_from_clinical_onset``, a time). Every other variable describes the
        living patient: it is NaN at every record after the record of death in
        :meth:`ClinicalCourse.while_alive`, the tidy tables (``timeseries.csv``) and the figures.
    """

    level: str
    unit: str
    doc: str
    low: float = 0.0
    high: float = 1.0
    levels: tuple[float, ...] | None = None
    defined_after_death: bool = False

_B = (0.0, 1.0)

_G4 = (0.0, 1.0, 2.0, 3.0, 4.0)

CLINICAL_VARIABLES: dict[str, ClinicalVariable] = {
    "strength": ClinicalVariable("segment", "1", "force as a fraction of healthy: the mean "
                                 "of the segment's muscles (muscle_strength)"),
    "mrc": ClinicalVariable("segment", "grade", "MRC grade 0-5", 0, 5, (0, 1, 2, 3, 4, 5)),
    "innervated": ClinicalVariable("segment", "1", "innervated fraction of healthy fibres"),
    "reinnervated": ClinicalVariable("segment", "1",
                                     "fibres adopted by surviving units, fraction of healthy"),
    "atrophy": ClinicalVariable("segment", "1", "denervated fraction of healthy fibres"),
    "atrophy_sign": ClinicalVariable("segment", "bool", "visible wasting", levels=_B),
    "umn_drive": ClinicalVariable("segment", "1", "voluntary drive left after UMN loss"),
    "umn_index": ClinicalVariable("segment", "1", "UMN damage: lost + w * dysfunctional"),
    "ashworth": ClinicalVariable("segment", "MAS", "Modified Ashworth (1+ coded 1.5), limbs; "
                                 "NaN in bulbar and thoracic segments (not examined)", 0, 4,
                                 _umn.ASHWORTH_LEVELS),
    "reflex": ClinicalVariable("segment", "grade", "limb tendon reflex 0 absent .. 2 normal .. "
                               "3 brisk .. 4 clonus; NaN in bulbar and thoracic segments", 0, 4,
                               _G4),
    "babinski": ClinicalVariable("segment", "bool", "extensor plantar response; NaN outside "
                                 "lumbosacral segments", levels=_B),
    "jaw_jerk": ClinicalVariable("segment", "grade", "jaw jerk 0 absent .. 2 normal .. 3 brisk "
                                 ".. 4 jaw clonus; NaN outside bulbar segments", 0, 4, _G4),
    "pseudobulbar_signs": ClinicalVariable(
        "segment", "bool", "brisk facial/gag reflexes, spastic dysarthria, pathological "
        "laughing and crying; NaN outside bulbar segments", levels=_B),
    "abdominal_reflexes_lost": ClinicalVariable(
        "segment", "bool", "superficial abdominal reflexes absent (UMN damage or an empty "
        "abdominal wall); NaN outside thoracic segments", levels=_B),
    "umn_sign": ClinicalVariable("segment", "bool", "clinical UMN sign examined in the region: "
                                 "limbs MAS >= 1, reflex >= 3 or Babinski; bulbar jaw jerk >= 3 "
                                 "or pseudobulbar signs; thoracic abdominal reflexes lost from "
                                 "UMN damage", levels=_B),
    "lmn_sign": ClinicalVariable("segment", "bool", "clinical LMN sign (LMN weakness or "
                                 "wasting; fasciculations alone do not count)", levels=_B),
    "fasciculation_rate": ClinicalVariable("segment", "1/min",
                                           "fasciculations in a representative muscle", 0,
                                           math.inf),
    "fasciculation_score": ClinicalVariable("segment", "score", "fasciculations 0-4", 0, 4,
                                            _G4),
    "function": ClinicalVariable("segment", "1", "function capacity of the segment"),
    "involved": ClinicalVariable("segment", "bool", "clinically involved (cumulative)",
                                 levels=_B),
    "fibrillation_density": ClinicalVariable("segment", "1", "fibrillating fibre fraction"),
    "fibrillation_grade": ClinicalVariable("segment", "grade", "fibrillations/PSW 0-4", 0, 4,
                                           _G4),
    "fasciculation_potentials": ClinicalVariable("segment", "bool", "on needle EMG",
                                                 levels=_B),
    "mup_enlargement": ClinicalVariable("segment", "1", "mean unit enlargement (A+R)/A; NaN "
                                        "with no unit left", 1, math.inf),
    "chronic_neurogenic": ClinicalVariable("segment", "bool", "large MUPs on EMG", levels=_B),
    "emg_lmn_sign": ClinicalVariable("segment", "bool", "El Escorial EMG LMN sign", levels=_B),
    "emg_lmn_sign_awaji": ClinicalVariable("segment", "bool", "Awaji EMG LMN sign", levels=_B),
    "split_hand_index": ClinicalVariable("segment", "1", "APB x FDI / ADM CMAP; NaN where the "
                                         "muscles are absent", 0, math.inf),
    "mune": ClinicalVariable("muscle", "units", "motor-unit number estimate (MUNE/MUNIX)", 0,
                             math.inf),
    "mune_percent": ClinicalVariable("muscle", "%", "MUNE, % of healthy", 0, 100),
    "cmap_percent": ClinicalVariable("muscle", "%", "CMAP amplitude, % of healthy", 0, 100),
    "muscle_strength": ClinicalVariable("muscle", "1", "force of the muscle as a fraction of "
                                        "healthy"),
    "muscle_mrc": ClinicalVariable("muscle", "grade", "MRC grade 0-5 of the muscle", 0, 5,
                                   (0, 1, 2, 3, 4, 5)),
    "mrc_sum_score": ClinicalVariable("global", "points", "MRC sum score (megascore): MRC "
                                      "grades of the limb muscles (segments of the King's "
                                      "upper and lower limb regions) added over both sides, "
                                      "0 to 10 x their number (120 with the default anatomy)",
                                      0, math.inf),
    **{f"alsfrs_r_{name}": ClinicalVariable("global", "points", f"ALSFRS-R item {i + 1}", 0, 4,
                                            _G4)
       for i, name in enumerate(ALSFRS_ITEMS)},
    **{f"alsfrs_r_{name}_domain": ClinicalVariable("global", "points", f"ALSFRS-R {name} "
                                                   "domain", 0, 12,
                                                   tuple(float(v) for v in range(13)))
       for name in _alsfrs.ALSFRS_DOMAINS},
    "alsfrs_r": ClinicalVariable("global", "points", "ALSFRS-R total", 0, 48,
                                 tuple(float(v) for v in range(49))),
    "fvc_percent": ClinicalVariable("global", "% predicted", "forced vital capacity", 0, 200),
    "niv_needed": ClinicalVariable("global", "bool", "non-invasive ventilation indicated "
                                   "(King's 4B; cumulative)", levels=_B),
    "pump_strength": ClinicalVariable("global", "1", "strength of the respiratory pump "
                                      "(diaphragm, intercostal and accessory muscles)"),
    "snip_cmh2o": ClinicalVariable("global", "cmH2O", "sniff nasal inspiratory pressure", 0,
                                   300),
    "diaphragm_strength": ClinicalVariable("global", "1", "strength of the diaphragm"),
    "inspiratory_vc_percent": ClinicalVariable(
        "global", "% predicted", "vital capacity the inspiratory muscles give (FVC without the "
        "loss of the expiratory reserve volume): hypercapnic failure follows it", 0, 200),
    "rem_ventilation_percent": ClinicalVariable(
        "global", "% predicted", "vital capacity of the diaphragm alone (REM sleep, when the "
        "other respiratory muscles are atonic)", 0, 200),
    "on_niv": ClinicalVariable("global", "bool", "using non-invasive ventilation", levels=_B),
    "on_tracheostomy": ClinicalVariable("global", "bool", "invasively ventilated", levels=_B),
    "aspiration_hazard": ClinicalVariable("global", "1/month",
                                          "hazard of fatal aspiration pneumonia", 0, math.inf),
    "gastrostomy_needed": ClinicalVariable("global", "bool", "gastrostomy needed", levels=_B),
    "patient_alive": ClinicalVariable("global", "bool", "not yet dead of respiratory failure "
                                      "(0 from the record of death on)", levels=_B,
                                      defined_after_death=True),
    "months_from_clinical_onset": ClinicalVariable(
        "global", "month", "record time from clinical onset; NaN (rows left out) without one",
        -math.inf, math.inf, defined_after_death=True),
    "kings_stage": ClinicalVariable("global", "stage", "King's 0-3, 4 = 4A, 4.5 = 4B, 5 death",
                                    0, 5, _stage.KINGS_LEVELS),
    "kings_stage_estimated": ClinicalVariable(
        "global", "stage", "King's stage estimated from the ALSFRS-R as studies without "
        "clinical staging do (Balendra 2014): regions with an item below 4 (bulbar items 1-3, "
        "upper limb 4-5, lower limb 8), 4 = 4A tube fed, 4.5 = 4B item 10 = 0 or item 12 < 4, "
        "5 death (alssim.clinical.staging.kings_stage_from_alsfrs)", 0, 5,
        _stage.KINGS_LEVELS),
    "mitos_stage": ClinicalVariable("global", "stage", "MiToS 0-5", 0, 5, (0, 1, 2, 3, 4, 5)),
    "el_escorial": ClinicalVariable("global", "category", "revised El Escorial code (0 none .. "
                                    "4 definite)", 0, 4, _G4),
    "awaji": ClinicalVariable("global", "category", "Awaji code (0 none .. 3 definite)", 0, 3,
                              (0.0, 1.0, 2.0, 3.0)),
    "gold_coast": ClinicalVariable("global", "bool", "Gold Coast criteria met", levels=_B),
    "diagnosed": ClinicalVariable("global", "bool", "diagnosis made", levels=_B),
}
