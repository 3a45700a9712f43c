"""The ``[interventions]`` section of a config: one table per treatment, with when it starts,
its adherence and the size of its effect (:mod:`alssim.interventions` applies them)."""

from __future__ import annotations

from alssim.config.cohort import GENOTYPES
from alssim.errors import ConfigError
from alssim.fields import param, section

__all__ = [
    "CLINICAL_TREATMENTS",
    "ENGINE_TREATMENTS",
    "START_EVENTS",
    "TREATMENTS",
    "Edaravone",
    "Exercise",
    "Gastrostomy",
    "Interventions",
    "Niv",
    "Riluzole",
    "Tofersen",
    "Tracheostomy",
    "Treatment",
]

#: Ways a treatment can start; the first two are times, the rest events of the course.
START_EVENTS = ("time", "biological_onset", "clinical_onset", "diagnosis", "fvc_below",
                "kings_4a", "kings_4b")
_TIME_STARTS = ("time", "biological_onset")
#: Treatments acting on the engine's mechanism terms, and on the clinical layer.
ENGINE_TREATMENTS = ("riluzole", "edaravone", "tofersen")
CLINICAL_TREATMENTS = ("niv", "tracheostomy", "gastrostomy", "exercise")
TREATMENTS = ENGINE_TREATMENTS + CLINICAL_TREATMENTS

_MULT_LOW, _MULT_HIGH = 0.0, 100.0  # range of a multiplier parameter


def _common_check(obj, prefix: str, source: str | None) -> None:
    if obj.start == "fvc_below" and obj.fvc_threshold <= 0:
        raise ConfigError("must be > 0 when start = 'fvc_below'; got "
                          f"{obj.fvc_threshold:g}", key=f"{prefix}.fvc_threshold", source=source)


@section
class Treatment:
    """Fields every treatment table has: whether it is given, when it starts, adherence, source.

    Each treatment subclasses this and adds its effect fields (after these, in this order).
    """

    enabled: bool = param("", "treatment given (false: no effect anywhere)")
    start: str = param("", "what starts the treatment: a time after biological onset or an "
                       "event of the course", choices=START_EVENTS)
    delay_months: float = param("month", "months after the start event (after biological onset "
                                "for 'time')", low=0.0, high=1200.0)
    fvc_threshold: float = param("% predicted", "FVC level for start = 'fvc_below'", low=0.0,
                                 high=200.0)
    adherence: float = param("1", "fraction of the full effect a patient receives (adherence, "
                             "dose)", low=0.0, high=1.0)
    source: str = param("", "publication the effect size rests on (free text)")

    _check = _common_check


@section
class Riluzole(Treatment):
    """Riluzole: less glutamate excitotoxicity (Bensimon 1994; Lacomblez 1996)."""

    excitotoxicity: float = param("1", "multiplier on mechanisms.excitotoxicity.gain",
                                  low=_MULT_LOW, high=_MULT_HIGH)

    def multipliers(self, genotype: str) -> dict[str, float]:
        return {"excitotoxicity": self.excitotoxicity}


@section
class Edaravone(Treatment):
    """Edaravone: a free-radical scavenger, less oxidative stress (MCI186-19, 2017)."""

    oxidative_stress: float = param(
        "1", "multiplier on the oxidative-stress part (gain * level) of the stress factor",
        low=_MULT_LOW, high=_MULT_HIGH)

    def multipliers(self, genotype: str) -> dict[str, float]:
        return {"oxidative_stress": self.oxidative_stress}


@section
class Tofersen(Treatment):
    """Tofersen: antisense oligonucleotide lowering SOD1; acts in SOD1 carriers only (VALOR)."""

    carriers: tuple[str, ...] = param("", "genotypes the drug acts in", choices=GENOTYPES)
    pathology_growth: float = param(
        "1", "multiplier on pathology growth: spread.local_growth_rate and every spread edge",
        low=_MULT_LOW, high=_MULT_HIGH)
    pathology_hazard: float = param("1", "multiplier on mechanisms.pathology.hazard_rate",
                                    low=_MULT_LOW, high=_MULT_HIGH)

    def multipliers(self, genotype: str) -> dict[str, float]:
        if genotype not in self.carriers:
            return {}
        return {"local_growth": self.pathology_growth, "spread": self.pathology_growth,
                "pathology_hazard": self.pathology_hazard}


@section
class Niv(Treatment):
    """Non-invasive ventilation: the ventilator takes over the failing pump, so hypercapnic
    failure kills at a lower FVC, if the patient tolerates the mask and the upper airway allows
    it; aspiration is not prevented."""

    failure_fvc: float = param("% predicted", "FVC at which hypercapnic failure kills the "
                               "median patient on NIV", low=0.0, high=200.0)
    min_bulbar_domain: int = param(
        "points", "ALSFRS-R bulbar domain (0-12) at the start below which NIV cannot ventilate "
        "through the upper airway and gives no survival gain", low=0, high=12)
    tolerance_good_bulbar: float = param(
        "1", "share of patients who tolerate NIV, bulbar domain at least min_bulbar_domain",
        low=0.0, high=1.0)
    tolerance_poor_bulbar: float = param(
        "1", "share of patients who tolerate NIV, bulbar domain below min_bulbar_domain",
        low=0.0, high=1.0)


@section
class Tracheostomy(Treatment):
    """Tracheostomy with invasive ventilation: respiratory failure no longer kills; a cuffed
    tube lowers, but does not remove, the risk of aspiration."""

    failure_fvc: float = param("% predicted", "FVC at which respiratory failure kills once "
                               "invasively ventilated (0: never)", low=0.0, high=200.0)
    aspiration_multiplier: float = param("1", "multiplier on the aspiration hazard", low=0.0,
                                         high=1.0)


@section
class Gastrostomy(Treatment):
    """Gastrostomy: nutrition kept up (item 5 becomes 5b: same hand function, same score)."""

    failure_fvc_shift: float = param(
        "% predicted", "lowering of the FVC at which respiratory failure kills (nutrition "
        "sustains the respiratory muscles)", low=0.0, high=100.0)


@section
class Exercise(Treatment):
    """Exercise / physical therapy: reinnervation and muscle reserve, blunted in MND."""

    strength_gain: float = param("1", "relative force gained by trained muscle in health",
                                 low=0.0, high=10.0)
    reinnervation_gain: float = param(
        "1", "relative rise of the sprouting capacity (max_unit_enlargement - 1) with training",
        low=0.0, high=10.0)
    blunting: float = param("1", "fraction of the training response lost in motor neuron "
                            "disease", low=0.0, high=1.0)


    @property
    def response(self) -> float:
        """Net fraction of the healthy training response: ``adherence * (1 - blunting)``."""
        return self.adherence * (1.0 - self.blunting)


@section
class Interventions:
    """Treatments of the patient (``[interventions.*]`` tables); all off by default."""

    genotype: str = param("", "genotype of the simulated patient, read by genotype-specific "
                          "treatments (tofersen); trials set it per patient",
                          choices=GENOTYPES)
    riluzole: Riluzole
    edaravone: Edaravone
    tofersen: Tofersen
    niv: Niv
    tracheostomy: Tracheostomy
    gastrostomy: Gastrostomy
    exercise: Exercise

    @property
    def enabled_names(self) -> tuple[str, ...]:
        """Names of the treatments switched on."""
        return tuple(n for n in TREATMENTS if getattr(self, n).enabled)

    @property
    def any_enabled(self) -> bool:
        """Whether any treatment is switched on (checked once per run)."""
        return any(getattr(self, n).enabled for n in TREATMENTS)
