"""The ``[cohort]`` section of a config: how the patients of a cohort differ from one another.

Schemas only (genotype shares and effects, exposures with their evidence labels, the age,
sex, speed and onset-compartment distributions); :mod:`alssim.patients` draws the patients
from them. The names are re-exported by :mod:`alssim.patients`, where they were first declared.
"""

from __future__ import annotations

import dataclasses
import math

from alssim.errors import ConfigError
from alssim.fields import param, section

__all__ = [
    "EVIDENCE_LEVELS",
    "EXPOSURES",
    "GENOTYPES",
    "PROGRESSION_EVIDENCE_LEVELS",
    "TARGETS",
    "Cohort",
    "Exposure",
    "Exposures",
    "Genotype",
    "Genotypes",
]

#: Genotype names, in the order of the ``[cohort.genotypes]`` tables.
GENOTYPES = ("sporadic", "c9orf72", "sod1_a4v", "sod1_other", "tardbp", "fus")
#: Exposure names, in the order of the ``[cohort.exposures]`` tables.
EXPOSURES = ("lead", "pesticides", "smoking", "military_service", "physical_activity",
             "cyanotoxins")
#: Mechanism targets a genotype or an exposure can multiply.
TARGETS = ("pathology_hazard", "local_growth", "spread", "oxidative_stress", "excitotoxicity",
           "inflammation")
#: Evidence levels an exposure's risk and course can be labelled with: ``none`` (no published
#: evidence of an effect), ``conflicting`` (studies disagree on its direction), ``weak`` (few or
#: small studies, one direction), ``moderate`` (population-based studies, one direction),
#: ``strong`` (replicated, dose-response or causal designs).
EVIDENCE_LEVELS = ("none", "conflicting", "weak", "moderate", "strong")
#: Labels of an exposure's effect on the course: :data:`EVIDENCE_LEVELS` plus ``hypothesis``
#: (a multiplier set without published evidence about the course, as a modelling hypothesis).
PROGRESSION_EVIDENCE_LEVELS = ("none", "hypothesis", "conflicting", "weak", "moderate", "strong")
#: Course labels under which an exposure's multiplier must be 1 (no effect on the course).
_NO_COURSE_EFFECT = ("none", "conflicting")

_MULT_LOW, _MULT_HIGH = 0.0, 100.0  # range of a multiplier parameter


@section
class Genotype:
    """Share of one genotype among patients and its effect on the disease."""

    share: float = param("1", "share of patients with this genotype", low=0.0, high=1.0)
    age_shift_years: float = param("year", "shift of the mean age at onset", low=-60.0, high=60.0)
    speed: float = param("1", "multiplier on every disease rate (pace of the whole disease)",
                         low=_MULT_LOW, high=_MULT_HIGH)
    pathology_hazard: float = param("1", "multiplier on mechanisms.pathology.hazard_rate",
                                    low=_MULT_LOW, high=_MULT_HIGH)
    local_growth: float = param("1", "multiplier on spread.local_growth_rate",
                                low=_MULT_LOW, high=_MULT_HIGH)
    spread: float = param("1", "multiplier on every spread edge rate",
                          low=_MULT_LOW, high=_MULT_HIGH)
    oxidative_stress: float = param("1", "multiplier on mechanisms.oxidative_stress.level",
                                    low=_MULT_LOW, high=_MULT_HIGH)
    excitotoxicity: float = param("1", "multiplier on mechanisms.excitotoxicity.gain",
                                  low=_MULT_LOW, high=_MULT_HIGH)
    inflammation: float = param("1", "multiplier on mechanisms.inflammation.gain",
                                low=_MULT_LOW, high=_MULT_HIGH)


@dataclasses.dataclass(frozen=True)
class Genotypes:
    """The genotype mix; shares must sum to 1."""

    sporadic: Genotype
    c9orf72: Genotype
    sod1_a4v: Genotype
    sod1_other: Genotype
    tardbp: Genotype
    fus: Genotype

    def _check(self, prefix: str, source: str | None) -> None:
        total = sum(getattr(self, g).share for g in GENOTYPES)
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ConfigError(f"the genotype shares must sum to 1; got {total:g}",
                              key=f"{prefix}.sporadic.share", source=source)


@section
class Exposure:
    """An environmental exposure: how common it is among patients, the one mechanism it
    multiplies (its effect on the course) and the evidence for its risk and its course."""

    prevalence: float = param("1", "share of patients exposed (the risk association shows "
                              "here: every patient has ALS)", low=0.0, high=1.0)
    mechanism: str = param("", "the target this exposure multiplies", choices=TARGETS)
    multiplier: float = param("1", "multiplier on the target when exposed: an effect on the "
                              "course; 1 = none (required unless progression_evidence is "
                              "published evidence or 'hypothesis')", low=_MULT_LOW, high=_MULT_HIGH)
    risk_evidence: str = param("", "strength of the evidence that the exposure raises the risk "
                               "of getting ALS", choices=EVIDENCE_LEVELS)
    progression_evidence: str = param("", "strength of the evidence for an effect on the "
                                      "course (progression, survival); 'hypothesis' labels a "
                                      "multiplier set without it",
                                      choices=PROGRESSION_EVIDENCE_LEVELS)

    def _check(self, prefix: str, source: str | None) -> None:
        if self.multiplier != 1.0 and self.progression_evidence in _NO_COURSE_EFFECT:
            raise ConfigError(
                f"is {self.multiplier:g}, an effect on the course of the disease, but "
                f"{prefix}.progression_evidence is {self.progression_evidence!r} (no published "
                f"evidence of one); set {prefix}.multiplier = 1, or label the effect a "
                f"modelling hypothesis with {prefix}.progression_evidence = 'hypothesis'",
                key=f"{prefix}.multiplier", source=source)


@dataclasses.dataclass(frozen=True)
class Exposures:
    """Environmental exposures, each drawn independently."""

    lead: Exposure
    pesticides: Exposure
    smoking: Exposure
    military_service: Exposure
    physical_activity: Exposure
    cyanotoxins: Exposure


@section
class Cohort:
    """How the patients of a cohort differ from one another (``[cohort]`` tables)."""

    onset: str = param("", "'sampled': each patient's onset from the [onset] probabilities; "
                       "'config': as the [onset] table says", choices=("sampled", "config"))
    age_mean_years: float = param("year", "mean age at onset (sporadic)", low=0.0, high=120.0)
    age_sd_years: float = param("year", "SD of age at onset", low=0.0, high=50.0)
    age_min_years: float = param("year", "youngest age at onset (truncation)", low=0.0,
                                 high=120.0)
    age_max_years: float = param("year", "oldest age at onset (truncation)", low=0.0, high=120.0)
    reference_age_years: float = param("year", "age at which age has no effect on speed",
                                       low=0.0, high=120.0)
    age_speed_per_decade: float = param("1", "speed multiplier per decade of age above the "
                                        "reference age (patients' derived rates are held at "
                                        "their parameters' bounds)", low=0.0, high=100.0,
                                        low_open=True)
    p_male: float = param("1", "share of men", low=0.0, high=1.0)
    speed_sigma: float = param("1", "SD of log speed (lognormal, median 1) between patients "
                               "(patients' derived rates are held at their parameters' bounds)",
                               low=0.0, high=3.0)
    lmn_onset_retrograde: float = param("1", "multiplier on spread.retrograde_rate for patients "
                                        "with LMN-compartment onset (hypothesis: LMN-predominant "
                                        "phenotypes)", low=0.0, high=100.0)
    lmn_onset_speed: float = param("1", "multiplier on the speed of patients with "
                                   "LMN-compartment onset (hypothesis, off at 1: a slower "
                                   "disease; LMN-predominant patients lose their LMNs no "
                                   "slower)", low=0.0, high=100.0, low_open=True)
    lmn_onset_segmental: float = param("1", "multiplier on spread.caudal_rate and "
                                       "spread.rostral_rate for patients with LMN-compartment "
                                       "onset (hypothesis: without the corticofugal route, "
                                       "LMN-onset disease reaches other segments later)",
                                       low=0.0, high=100.0)
    umn_onset_anterograde: float = param("1", "multiplier on spread.anterograde_rate for "
                                         "patients with UMN-compartment onset (hypothesis: "
                                         "UMN-predominant phenotype)", low=0.0, high=100.0)
    bulbar_onset_or_female: float = param("1", "odds ratio of bulbar onset, women vs men (a "
                                          "sampled onset; the cohort's bulbar share stays "
                                          "onset.p_bulbar)", low=0.0, high=100.0,
                                          low_open=True)
    bulbar_onset_or_per_decade: float = param("1", "odds ratio of bulbar onset per decade of "
                                              "age at onset (a sampled onset; the cohort's "
                                              "bulbar share stays onset.p_bulbar)", low=0.0,
                                              high=100.0, low_open=True)
    genotypes: Genotypes
    exposures: Exposures

    def _check(self, prefix: str, source: str | None) -> None:
        if self.age_min_years >= self.age_max_years:
            raise ConfigError(
                f"must be below {prefix}.age_max_years ({self.age_max_years:g}); "
                f"got {self.age_min_years:g}", key=f"{prefix}.age_min_years", source=source)
