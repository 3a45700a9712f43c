"""Parameters of the clinical layer: the ``[clinical]`` tables of the configuration.

Each field is declared with :func:`~alssim.fields.param` (unit, allowed range, meaning); the
default values, each with the source it rests on, live in ``configs/default.toml`` under
``[clinical.*]``. Thresholds given as lists must be increasing.
"""

from __future__ import annotations

import dataclasses
import itertools

from alssim.errors import ConfigError
from alssim.fields import param, section

__all__ = [
    "Clinical",
    "Diagnosis",
    "Electro",
    "Fasciculations",
    "Function",
    "Respiratory",
    "Strength",
    "UmnSigns",
]

DIAGNOSIS_CRITERIA = ("gold_coast", "awaji", "el_escorial")
EL_ESCORIAL_MIN = ("possible", "probable_laboratory_supported", "probable", "definite")


def _check_increasing(values: tuple[float, ...], n: int, key: str, source: str | None) -> None:
    if len(values) != n:
        raise ConfigError(f"must list {n} thresholds; got {len(values)}", key=key, source=source)
    if any(b <= a for a, b in itertools.pairwise(values)):
        raise ConfigError(f"must be strictly increasing; got {list(values)}", key=key,
                          source=source)


@section
class Strength:
    """Muscle force from surviving motor units, collateral reinnervation and UMN drive."""

    reinnervation: bool = param("", "orphaned muscle fibres are adopted by surviving units")
    max_unit_enlargement: float = param(
        "1", "largest size a surviving unit reaches by sprouting, as a multiple of its own size",
        low=1.0, high=50.0)
    reinnervation_delay_months: float = param(
        "month", "time constant of the first-order lag of collateral reinnervation",
        low=0.0, high=120.0)
    dysfunctional_sprouting: float = param(
        "1", "sprouting capacity of a dysfunctional unit relative to a healthy one",
        low=0.0, high=1.0)
    umn_weakness: float = param(
        "1", "fraction of force lost when every UMN of the segment is lost", low=0.0, high=1.0)
    umn_reserve: float = param(
        "1", "fraction of UMNs lost before pyramidal weakness begins", low=0.0, high=1.0,
        high_open=True)
    mrc_thresholds: tuple[float, ...] = param(
        "1", "strength fraction at which MRC grades 1, 2, 3, 4, 5 begin", low=0.0, high=1.0)
    atrophy_threshold: float = param(
        "1", "denervated fibre fraction at which wasting is clinically visible", low=0.0,
        high=1.0, low_open=True)

    def _check(self, prefix: str, source: str | None) -> None:
        _check_increasing(self.mrc_thresholds, 5, f"{prefix}.mrc_thresholds", source)


@section
class UmnSigns:
    """UMN signs examined in each region from UMN loss and dysfunction, and where LMN loss hides
    them (see :mod:`alssim.clinical.umn_signs`)."""

    dysfunction_weight: float = param(
        "1", "weight of a dysfunctional (hyperexcitable) UMN relative to a lost one in the UMN "
        "index", low=0.0, high=1.0)
    ashworth_thresholds: tuple[float, ...] = param(
        "1", "effective UMN index at which Modified Ashworth 1, 1+, 2, 3, 4 begin", low=0.0,
        high=1.0)
    brisk_threshold: float = param("1", "UMN index giving brisk reflexes (grade 3; jaw jerk "
                                   "too)", low=0.0, high=1.0, low_open=True)
    clonus_threshold: float = param("1", "UMN index giving clonus (grade 4) while the muscle is "
                                    "at least reflex_reduced_below", low=0.0, high=1.0,
                                    low_open=True)
    reflex_reduced_below: float = param(
        "1", "innervated muscle fraction below which a reflex without UMN raise is reduced "
        "(and clonus turns brisk)", low=0.0, high=1.0)
    reflex_absent_below: float = param(
        "1", "innervated muscle fraction below which a reflex without UMN raise is absent",
        low=0.0, high=1.0)
    babinski_threshold: float = param(
        "1", "UMN index at which the plantar response turns extensor (and stays so)", low=0.0,
        high=1.0, low_open=True)
    brisk_lost_below: float = param(
        "1", "innervated muscle fraction below which a UMN-raised reflex (or a pseudobulbar or "
        "abdominal UMN sign) can no longer be seen: the muscle is nearly empty", low=0.0,
        high=1.0)
    babinski_lost_below: float = param(
        "1", "innervated fraction of the lumbosacral muscles below which the toe extensors are "
        "essentially paralysed and the Babinski sign is lost", low=0.0, high=1.0)
    pseudobulbar_threshold: float = param(
        "1", "bulbar UMN index at which pseudobulbar signs appear (brisk facial and gag "
        "reflexes, spastic dysarthria, pathological laughing and crying)", low=0.0, high=1.0,
        low_open=True)
    abdominal_reflex_threshold: float = param(
        "1", "thoracic UMN index at which the superficial abdominal reflexes are lost",
        low=0.0, high=1.0, low_open=True)

    def _check(self, prefix: str, source: str | None) -> None:
        _check_increasing(self.ashworth_thresholds, 5, f"{prefix}.ashworth_thresholds", source)
        if self.brisk_lost_below > self.reflex_reduced_below:
            raise ConfigError(
                f"must not exceed {prefix}.reflex_reduced_below ({self.reflex_reduced_below:g}): "
                f"a brisk reflex is lost only in a nearly empty muscle; got "
                f"{self.brisk_lost_below:g}", key=f"{prefix}.brisk_lost_below", source=source)
        if self.clonus_threshold <= self.brisk_threshold:
            raise ConfigError(f"must exceed {prefix}.brisk_threshold ({self.brisk_threshold:g});"
                              f" got {self.clonus_threshold:g}", key=f"{prefix}.clonus_threshold",
                              source=source)
        if self.reflex_absent_below > self.reflex_reduced_below:
            raise ConfigError(
                f"must not exceed {prefix}.reflex_reduced_below ({self.reflex_reduced_below:g}); "
                f"got {self.reflex_absent_below:g}", key=f"{prefix}.reflex_absent_below",
                source=source)


@section
class Fasciculations:
    """Fasciculation rate in a representative muscle and its 0-4 score."""

    rate_per_unit: float = param(
        "1/min", "fasciculations per minute of one dysfunctional motor unit", low=0.0,
        high=60.0)
    umn_disinhibition_gain: float = param(
        "1", "rate x (1 + gain * affected UMN fraction of the segment)", low=0.0, high=100.0)
    reference_motor_units: float = param(
        "units", "motor units of the representative muscle a rate refers to", low=1.0,
        high=10000.0)
    score_thresholds: tuple[float, ...] = param(
        "1/min", "rates at which the fasciculation score reaches 1, 2, 3, 4", low=0.0)

    def _check(self, prefix: str, source: str | None) -> None:
        _check_increasing(self.score_thresholds, 4, f"{prefix}.score_thresholds", source)


@section
class Function:
    """ALSFRS-R items from segment function, clinical onset and King's regions."""

    spasticity_penalty: float = param(
        "1", "fraction of a segment's function lost at full effective spasticity", low=0.0,
        high=1.0)
    item_thresholds: tuple[float, ...] = param(
        "1", "function capacity at which an ALSFRS-R item reaches 1, 2, 3, 4", low=0.0,
        high=1.0)
    salivation_thresholds: tuple[float, ...] = param(
        "1", "function capacity at which ALSFRS-R item 2 (salivation) reaches 1, 2, 3, 4",
        low=0.0, high=1.0)
    swallowing_thresholds: tuple[float, ...] = param(
        "1", "function capacity at which ALSFRS-R item 3 (swallowing) reaches 1, 2, 3, 4",
        low=0.0, high=1.0)
    climbing_stairs_thresholds: tuple[float, ...] = param(
        "1", "function capacity at which ALSFRS-R item 9 (climbing stairs) reaches 1, 2, 3, 4",
        low=0.0, high=1.0)
    involvement_threshold: float = param(
        "1", "function capacity below which a segment is clinically involved (clinical "
        "onset = the first such segment)", low=0.0, high=1.0, low_open=True, high_open=True)
    kings_count_respiratory: bool = param(
        "", "King's staging counts the respiratory region among the regions involved")

    def _check(self, prefix: str, source: str | None) -> None:
        for name in ("item_thresholds", "salivation_thresholds", "swallowing_thresholds",
                     "climbing_stairs_thresholds"):
            _check_increasing(getattr(self, name), 4, f"{prefix}.{name}", source)


@section
class Respiratory:
    """The respiratory pump, airway protection, ventilation need, gastrostomy need and death
    (see :mod:`alssim.clinical.respiratory`)."""

    fvc_healthy: float = param("% predicted", "FVC before onset (the mean between patients)",
                               low=0.0, high=200.0, low_open=True)
    fvc_healthy_sd: float = param(
        "% predicted", "SD between patients of the FVC before onset (normal, cut at 3.09 SD); "
        "it scales what spirometry reads, not when the pump fails", low=0.0, high=100.0)
    fvc_strength_exponent: float = param(
        "1", "FVC = fvc_healthy * pump strength ** exponent (FVC falls less than strength)",
        low=0.0, high=3.0, low_open=True)
    expiratory_vc_share: float = param(
        "1", "share of the vital capacity lost when the expiratory muscles (the pump's segments "
        "other than the diaphragm's) have no strength left: the residual volume rises",
        low=0.0, high=1.0, high_open=True)
    snip_healthy: float = param("cmH2O", "sniff nasal inspiratory pressure before onset",
                                low=0.0, high=300.0, low_open=True)
    dyspnoea_thresholds: tuple[float, ...] = param(
        "1", "pump strength starting ALSFRS-R dyspnoea item scores 1, 2, 3, 4", low=0.0, high=1.0)
    orthopnoea_thresholds: tuple[float, ...] = param(
        "1", "diaphragm strength starting ALSFRS-R orthopnoea item scores 1, 2, 3, 4", low=0.0,
        high=1.0)
    niv_fvc: float = param("% predicted", "FVC below which non-invasive ventilation is "
                           "indicated (King's 4B)", low=0.0, high=200.0)
    niv_snip: float = param("cmH2O", "SNIP below which non-invasive ventilation is indicated",
                            low=0.0, high=300.0)
    niv_orthopnoea_item: int = param(
        "points", "ALSFRS-R orthopnoea score at or below which non-invasive ventilation is "
        "indicated", low=-1, high=4)
    niv_night_fvc: float = param("% predicted", "FVC below which a patient on NIV uses it all "
                                 "night (ALSFRS-R item 12 = 2)", low=0.0, high=200.0)
    niv_continuous_fvc: float = param("% predicted", "FVC below which a patient on NIV uses it "
                                      "day and night (item 12 = 1)", low=0.0, high=200.0)
    hypercapnia_fvc: float = param(
        "% predicted", "inspiratory vital capacity (awake, or of the diaphragm alone in REM "
        "sleep) below which the patient hypoventilates: an indication of non-invasive "
        "ventilation", low=0.0, high=200.0)
    failure_fvc: float = param("% predicted", "inspiratory vital capacity at which untreated "
                               "hypercapnic respiratory failure kills: the median of the "
                               "patients' lognormal levels before they are truncated below "
                               "hypercapnia_fvc", low=0.0, high=200.0)
    rem_failure_ratio: float = param(
        "1", "the diaphragm-only vital capacity (REM sleep) kills at the patient's failure "
        "level times this ratio", low=0.0, high=1.0)
    failure_reserve_sigma: float = param(
        "1", "SD of the log of a patient's failure FVC between patients, before truncation",
        low=0.0, high=3.0)
    aspiration_max_rate: float = param(
        "1/month", "hazard of fatal aspiration pneumonia with no swallowing function left",
        low=0.0, high=100.0)
    aspiration_exponent: float = param(
        "1", "aspiration hazard rises as (lost swallowing function) ** exponent", low=0.0,
        high=20.0, low_open=True)
    aspiration_cough_gain: float = param(
        "1", "relative rise of the aspiration hazard with no pump strength (weak cough)",
        low=0.0, high=100.0)
    aspiration_swallowing_item: int = param(
        "points", "ALSFRS-R swallowing score at or below which fatal aspiration can occur: the "
        "hazard is zero while the swallowing muscles' function stays above that score's "
        "threshold (4: any loss)", low=1, high=4)
    gastrostomy_swallowing_item: int = param(
        "points", "ALSFRS-R swallowing score at or below which gastrostomy is needed "
        "(King's 4A)", low=0, high=4)

    def _check(self, prefix: str, source: str | None) -> None:
        if self.failure_fvc > self.hypercapnia_fvc:
            raise ConfigError(f"must not exceed {prefix}.hypercapnia_fvc "
                              f"({self.hypercapnia_fvc:g}): death from hypercapnic failure "
                              f"comes after hypercapnia, an indication of ventilation; got "
                              f"{self.failure_fvc:g}", key=f"{prefix}.failure_fvc",
                              source=source)
        for name in ("dyspnoea_thresholds", "orthopnoea_thresholds"):
            _check_increasing(getattr(self, name), 4, f"{prefix}.{name}", source)


@section
class Electro:
    """Needle EMG, MUNE, CMAP and the split-hand index."""

    fibrillation_time_constant_months: float = param(
        "month", "decay of fibrillations of denervated, unreinnervated fibres", low=0.0,
        high=600.0, low_open=True)
    fibrillation_thresholds: tuple[float, ...] = param(
        "1", "recently denervated fibre fraction at which fibrillation grade 1, 2, 3, 4 begins",
        low=0.0, high=1.0)
    fasciculation_potential_rate: float = param(
        "1/min", "fasciculation rate at which needle EMG records fasciculation potentials",
        low=0.0, low_open=True)
    chronic_neurogenic_enlargement: float = param(
        "1", "mean enlargement of surviving units read as chronic neurogenic change",
        low=1.0, low_open=True)
    split_hand_healthy: float = param("1", "split-hand index (APB x FDI / ADM CMAP) when "
                                      "healthy", low=0.0, low_open=True)

    def _check(self, prefix: str, source: str | None) -> None:
        _check_increasing(self.fibrillation_thresholds, 4,
                          f"{prefix}.fibrillation_thresholds", source)


@section
class Diagnosis:
    """The diagnostic pathway (lognormal delays, :mod:`alssim.clinical.pathway`) and the
    criterion that makes the diagnosis.

    Each delay is ``median * exp(sigma * z)``, ``z`` the standard normal quantile of the
    patient's own draw (:mod:`alssim.care_draws`).
    """

    first_consultation_median_months: float = param(
        "month", "median delay from clinical onset to the first consultation of a doctor "
        "(limb onset)", low=0.0, high=240.0)
    first_consultation_sigma: float = param(
        "1", "standard deviation of the log delay to the first consultation", low=0.0, high=3.0)
    referral_median_months: float = param(
        "month", "median delay from the first consultation to the first neurology visit "
        "(limb onset)", low=0.0, high=240.0)
    referral_sigma: float = param(
        "1", "standard deviation of the log referral delay", low=0.0, high=3.0)
    bulbar_delay_factor: float = param(
        "1", "multiplier of both median delays before the neurologist for bulbar onset",
        low=0.0, high=10.0, low_open=True)
    urgent_alsfrs_drop: float = param(
        "points", "fall of the ALSFRS-R from 48 that makes the referral urgent", low=0.0,
        high=48.0, low_open=True)
    urgent_referral_months: float = param(
        "month", "longest wait for the neurologist once the referral is urgent", low=0.0,
        high=120.0)
    emg_median_months: float = param(
        "month", "median delay from the first neurology visit to the EMG", low=0.0, high=120.0)
    emg_sigma: float = param("1", "standard deviation of the log EMG delay", low=0.0, high=3.0)
    require_emg: bool = param(
        "", "the diagnosis is made only at visits from the EMG and work-up on (exclusion of "
        "other diseases); false: also on clinical signs alone before it")
    visit_interval_months: float = param(
        "month", "median interval between neurology visits until the diagnosis", low=0.0,
        high=120.0, low_open=True)
    visit_interval_sigma: float = param(
        "1", "standard deviation of the log interval between neurology visits", low=0.0,
        high=3.0)
    criteria: str = param("", "criterion that makes the diagnosis", choices=DIAGNOSIS_CRITERIA)
    min_category: str = param(
        "", "least category that counts as diagnosed under 'el_escorial' or 'awaji'",
        choices=EL_ESCORIAL_MIN)


@dataclasses.dataclass(frozen=True)
class Clinical:
    """What a clinician sees, derived from the recorded neuron populations."""

    strength: Strength
    umn_signs: UmnSigns
    fasciculations: Fasciculations
    function: Function
    respiratory: Respiratory
    electro: Electro
    diagnosis: Diagnosis
