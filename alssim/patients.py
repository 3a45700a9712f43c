"""Patient heterogeneity: who a virtual patient of a cohort is, and what that changes.

The ``[cohort]`` tables of a config describe a population of patients: the onset site (from the
``[onset]`` probabilities), age at onset, sex, genotype (sporadic, C9orf72, SOD1 A4V, other SOD1,
TARDBP, FUS), environmental exposures and a lognormal variability of progression speed. Each
patient's attributes are drawn from the ``"cohort_attributes"`` stream of the patient's own
:class:`numpy.random.SeedSequence` (and the onset from its ``"onset"`` stream, exactly as the
engine would draw it), so a patient's attributes depend on nothing but its seed and the config.

Effects are multipliers on named targets (:data:`TARGETS`), each a set of config parameters:

==================  ============================================================================
target              parameters multiplied
==================  ============================================================================
pathology_hazard    ``mechanisms.pathology.hazard_rate``
local_growth        ``spread.local_growth_rate``
spread              every edge rate of ``[spread]`` (contralateral ... long_range)
oxidative_stress    ``mechanisms.oxidative_stress.level``
excitotoxicity      ``mechanisms.excitotoxicity.gain``
inflammation        ``mechanisms.inflammation.gain``
==================  ============================================================================

and a *speed* factor that multiplies every disease rate (pathology hazard, local growth, all
spread edges, the inflammation response rate) and so runs the whole disease faster or slower:
``speed = genotype.speed * age_speed_per_decade ** ((age - reference_age) / 10) * exp(sigma * Z)``
with ``Z`` standard normal. Patients whose onset is in one compartment only have the coupling out
of it multiplied: ``retrograde_rate`` by ``lmn_onset_retrograde`` after LMN onset and
``anterograde_rate`` by ``umn_onset_anterograde`` after UMN onset, and LMN-onset patients' speed
is multiplied by ``lmn_onset_speed`` (hypotheses: LMN- and UMN-predominant phenotypes, and the
longer survival of the LMN-predominant ones). Genotype and exposure effects are modelling
hypotheses with their evidence level written next to them in ``configs/default.toml``, not
established facts.

**Saturation at the parameter bounds.** Speed is lognormal, so a patient's derived rates have no
upper limit, and at the extremes of the ``[cohort]`` ranges (``speed_sigma = 3``,
``age_speed_per_decade = 100``) many patients would get a rate beyond the range its parameter
allows. Each derived value is therefore held at the bound of its parameter's range (a spread rate
at 100/month, the pathology hazard at 1e6/month, a gain at 100, ...). These bounds lie far beyond
any biology (a rate of 100/month is an e-fold in about 7 hours): a patient held there is one whose
disease already runs its course within a step or two, so the bound changes nothing a
recorded state could show, and every config that ``alssim config check`` accepts runs for every
patient. The patient table says which patients were affected: its ``clipped`` column is ``True``
for them. A speed too large for a float (only with ``age_speed_per_decade`` near 0 and ages far
below the reference) is held at 1e300.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from alssim.anatomy import EDGE_KINDS
from alssim.config.params import build, field_specs, param, to_dict
from alssim.errors import ConfigError
from alssim.streams import stream

__all__ = [
    "EVIDENCE_LEVELS",
    "EXPOSURES",
    "GENOTYPES",
    "SPEED_MAX",
    "TARGETS",
    "Cohort",
    "Exposure",
    "Exposures",
    "Genotype",
    "Genotypes",
    "PatientAttributes",
    "derive_config",
    "sample_patient",
]

#: Genotype names, in the order of the ``[cohort.genotypes]`` tables.
GENOTYPES = ("sporadic", "c9orf72", "sod1_a4v", "sod1_other", "tardbp", "fus")
#: Exposure names, in the order of the ``[cohort.exposures]`` tables.
EXPOSURES = ("lead", "pesticides", "smoking", "military_service", "physical_activity",
             "cyanotoxins")
#: Mechanism targets a genotype or an exposure can multiply.
TARGETS = ("pathology_hazard", "local_growth", "spread", "oxidative_stress", "excitotoxicity",
           "inflammation")
#: Evidence levels an exposure can be labelled with.
EVIDENCE_LEVELS = ("weak", "moderate", "strong")

_SPREAD_EDGES = tuple(f"{kind}_rate" for kind in EDGE_KINDS)

_MULT = {"low": 0.0, "high": 100.0}
#: Largest speed multiplier a patient can have (keeps speed finite; see the module notes).
SPEED_MAX = 1e300


@dataclasses.dataclass(frozen=True)
class Genotype:
    """Share of one genotype among patients and its effect on the disease."""

    share: float = param("1", "share of patients with this genotype", low=0.0, high=1.0)
    age_shift_years: float = param("year", "shift of the mean age at onset", low=-60.0, high=60.0)
    speed: float = param("1", "multiplier on every disease rate (pace of the whole disease)",
                         **_MULT)
    pathology_hazard: float = param("1", "multiplier on mechanisms.pathology.hazard_rate",
                                    **_MULT)
    local_growth: float = param("1", "multiplier on spread.local_growth_rate", **_MULT)
    spread: float = param("1", "multiplier on every spread edge rate", **_MULT)
    oxidative_stress: float = param("1", "multiplier on mechanisms.oxidative_stress.level",
                                    **_MULT)
    excitotoxicity: float = param("1", "multiplier on mechanisms.excitotoxicity.gain", **_MULT)
    inflammation: float = param("1", "multiplier on mechanisms.inflammation.gain", **_MULT)


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


@dataclasses.dataclass(frozen=True)
class Exposure:
    """An environmental exposure: how common it is and the one mechanism it multiplies."""

    prevalence: float = param("1", "share of patients exposed", low=0.0, high=1.0)
    mechanism: str = param("", "the target this exposure multiplies", choices=TARGETS)
    multiplier: float = param("1", "multiplier on the target when exposed", **_MULT)
    evidence: str = param("", "strength of the evidence for an effect", choices=EVIDENCE_LEVELS)


@dataclasses.dataclass(frozen=True)
class Exposures:
    """Environmental exposures, each drawn independently."""

    lead: Exposure
    pesticides: Exposure
    smoking: Exposure
    military_service: Exposure
    physical_activity: Exposure
    cyanotoxins: Exposure


@dataclasses.dataclass(frozen=True)
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
                                   "LMN-compartment onset (hypothesis: LMN-predominant "
                                   "phenotypes progress slower)", low=0.0, high=100.0,
                                   low_open=True)
    umn_onset_anterograde: float = param("1", "multiplier on spread.anterograde_rate for "
                                         "patients with UMN-compartment onset (hypothesis: "
                                         "UMN-predominant phenotype)", low=0.0, high=100.0)
    genotypes: Genotypes
    exposures: Exposures

    def _check(self, prefix: str, source: str | None) -> None:
        if self.age_min_years >= self.age_max_years:
            raise ConfigError(
                f"must be below {prefix}.age_max_years ({self.age_max_years:g}); "
                f"got {self.age_min_years:g}", key=f"{prefix}.age_min_years", source=source)


@dataclasses.dataclass(frozen=True)
class PatientAttributes:
    """The sampled attributes of one patient.

    Attributes
    ----------
    genotype : str
        One of :data:`GENOTYPES`.
    sex : str
        ``'male'`` or ``'female'`` (recorded for stratification; no mechanism effect yet).
    age_years : float
        Age at biological onset (year).
    exposures : tuple of str
        Names of the exposures this patient had (a subset of :data:`EXPOSURES`).
    speed : float
        Total speed multiplier on every disease rate (genotype x age x lognormal).
    rel : dict of str to float
        Total multiplier on each of :data:`TARGETS` (genotype x exposures), speed not included.
    onset : OnsetSite
        Segment, side and compartment of onset.
    clipped : tuple of str
        Keys of the patient's derived config held at the bound of their range (see the module
        notes); empty for nearly every patient.
    """

    genotype: str
    sex: str
    age_years: float
    exposures: tuple[str, ...]
    speed: float
    rel: dict[str, float]
    onset: Any
    clipped: tuple[str, ...] = ()

    def as_row(self) -> dict[str, Any]:
        """Flat columns for a patient table (``exposure.NAME`` booleans, ``rel_TARGET``, and
        ``clipped``: whether a derived parameter was held at its bound)."""
        row: dict[str, Any] = {
            "genotype": self.genotype,
            "sex": self.sex,
            "age_years": self.age_years,
            "speed": self.speed,
        }
        for name in EXPOSURES:
            row[f"exposure.{name}"] = name in self.exposures
        for t in TARGETS:
            row[f"rel_{t}"] = self.rel[t]
        row["clipped"] = bool(self.clipped)
        return row


def _uniforms_needed() -> int:
    return 4 + len(EXPOSURES)


def sample_patient(cfg, root: np.random.SeedSequence) -> PatientAttributes:
    """Draw the attributes of one patient.

    Parameters
    ----------
    cfg : Config
        Its ``cohort`` tables give the distributions, ``onset`` the onset-site probabilities.
    root : SeedSequence
        The patient's root sequence. Attributes come from its ``"cohort_attributes"`` stream:
        one vector of ``4 + len(EXPOSURES)`` uniforms, always the same length, used in a fixed
        order (genotype, sex, age, speed, then one per exposure), so changing one distribution
        leaves every other attribute of the patient unchanged. The onset comes from the
        ``"onset"`` stream via :func:`alssim.onset.choose_onset`.

    Returns
    -------
    PatientAttributes
    """
    from alssim.onset import choose_onset

    c = cfg.cohort
    u = stream(root, "cohort_attributes").random(_uniforms_needed())
    shares = np.array([getattr(c.genotypes, g).share for g in GENOTYPES])
    cdf = np.cumsum(shares / shares.sum())
    genotype = GENOTYPES[min(int(np.searchsorted(cdf, u[0], side="right")), len(GENOTYPES) - 1)]
    g = getattr(c.genotypes, genotype)
    sex = "male" if u[1] < c.p_male else "female"
    # age: normal truncated to [min, max] by inverse CDF, so one uniform per patient
    mu = c.age_mean_years + g.age_shift_years
    from scipy import special  # imported on first use: keeps `import alssim` light

    if c.age_sd_years > 0:
        a = special.ndtr((c.age_min_years - mu) / c.age_sd_years)
        b = special.ndtr((c.age_max_years - mu) / c.age_sd_years)
        age = mu + c.age_sd_years * float(special.ndtri(a + u[2] * (b - a)))
    else:
        age = mu
    age = float(min(max(age, c.age_min_years), c.age_max_years))
    z = float(special.ndtri(u[3]))
    speed = _speed(g.speed, c.age_speed_per_decade, (age - c.reference_age_years) / 10.0,
                   c.speed_sigma * z if c.speed_sigma else 0.0)
    exposed = tuple(name for k, name in enumerate(EXPOSURES)
                    if u[4 + k] < getattr(c.exposures, name).prevalence)
    rel = {t: float(getattr(g, t)) for t in TARGETS}
    for name in exposed:
        e = getattr(c.exposures, name)
        rel[e.mechanism] *= e.multiplier
    onset_spec = cfg.onset
    if c.onset == "sampled" and onset_spec.mode != "sampled":
        onset_spec = dataclasses.replace(onset_spec, mode="sampled")
    onset = choose_onset(onset_spec, cfg.anatomy, root)
    if onset.compartment == "lmn":
        speed = min(speed * c.lmn_onset_speed, SPEED_MAX)
    attrs = PatientAttributes(genotype, sex, age, exposed, float(speed), rel, onset)
    clipped = _derived_values(cfg, attrs)[2]
    return dataclasses.replace(attrs, clipped=clipped) if clipped else attrs


def _speed(genotype_speed: float, per_decade: float, decades: float, log_noise: float) -> float:
    """``genotype_speed * per_decade ** decades * exp(log_noise)``, finite, at most SPEED_MAX."""
    try:
        speed = genotype_speed * per_decade ** decades * math.exp(log_noise)
    except OverflowError:
        speed = math.inf
    if math.isfinite(speed):
        return min(speed, SPEED_MAX)
    if genotype_speed == 0 or math.isnan(log_noise):
        return 0.0
    log_speed = math.log(genotype_speed) + decades * math.log(per_decade) + log_noise
    return math.exp(min(log_speed, math.log(SPEED_MAX)))


def _times(value: float, factor: float) -> float:
    """``value * factor``, but 0 when either is 0 (never ``0 * inf``); may be ``inf``."""
    if value == 0 or factor == 0:
        return 0.0
    return value * factor


def _bounded(table: dict, name: str, spec_cls: type, key: str, clipped: list[str]) -> None:
    """Hold ``table[name]`` within its parameter's range, noting ``key`` when it was moved."""
    spec = field_specs(spec_cls)[name]
    value = table[name]
    held = min(max(value, spec.low), spec.high)
    if held != value:
        table[name] = float(held)
        clipped.append(key)


def _derived_values(cfg, attrs: PatientAttributes) -> tuple[dict, dict, tuple[str, ...]]:
    """The patient's ``spread`` and ``mechanisms`` tables (plain dicts, each derived value held
    within its parameter's range) and the keys that had to be held."""
    from alssim.config.schema import (
        Excitotoxicity,
        Inflammation,
        OxidativeStress,
        Pathology,
        Spread,
    )

    s, rel = attrs.speed, attrs.rel
    clipped: list[str] = []
    spread = to_dict(cfg.spread)
    # value * (multiplier * speed), in this order: the same floating-point result as ever
    spread["local_growth_rate"] = _times(spread["local_growth_rate"], rel["local_growth"] * s)
    for edge in _SPREAD_EDGES:
        spread[edge] = _times(spread[edge], rel["spread"] * s)
    # LMN- or UMN-predominant disease: weak coupling out of the compartment of onset (hypothesis)
    if attrs.onset.compartment == "lmn":
        spread["retrograde_rate"] = _times(spread["retrograde_rate"],
                                           cfg.cohort.lmn_onset_retrograde)
    elif attrs.onset.compartment == "umn":
        spread["anterograde_rate"] = _times(spread["anterograde_rate"],
                                            cfg.cohort.umn_onset_anterograde)
    for name in ("local_growth_rate", *_SPREAD_EDGES):
        _bounded(spread, name, Spread, f"spread.{name}", clipped)
    mech = to_dict(cfg.mechanisms)
    for table, name, cls, factor in (
            ("pathology", "hazard_rate", Pathology, rel["pathology_hazard"] * s),
            ("oxidative_stress", "level", OxidativeStress, rel["oxidative_stress"]),
            ("excitotoxicity", "gain", Excitotoxicity, rel["excitotoxicity"]),
            ("inflammation", "gain", Inflammation, rel["inflammation"]),
            ("inflammation", "response_rate", Inflammation, s)):
        mech[table][name] = _times(mech[table][name], factor)
        _bounded(mech[table], name, cls, f"mechanisms.{table}.{name}", clipped)
    return spread, mech, tuple(clipped)


def derive_config(cfg, attrs: PatientAttributes):
    """The patient's own config: ``cfg`` with the attributes' multipliers and onset applied.

    Cheap (``dataclasses.replace`` on three sections). Each derived value is held within the
    range of its parameter (see the module notes), so every valid ``cfg`` gives a valid patient
    config; the changed sections are re-validated all the same.

    Parameters
    ----------
    cfg : Config
    attrs : PatientAttributes

    Returns
    -------
    Config
        Onset fixed to ``attrs.onset``; rates and mechanism levels multiplied;
        ``interventions.genotype`` set to the patient's genotype.
    """
    from alssim.config.schema import Mechanisms, Onset, Spread

    spread, mech, _clipped = _derived_values(cfg, attrs)
    onset = to_dict(cfg.onset)
    onset.update(mode="fixed", segment=attrs.onset.segment, side=attrs.onset.side,
                 compartment=attrs.onset.compartment)
    where = "patient-derived config"
    # genotype-specific treatments (e.g. tofersen in SOD1 carriers) read the patient's genotype
    interventions = dataclasses.replace(cfg.interventions, genotype=attrs.genotype)
    return dataclasses.replace(
        cfg,
        spread=build(Spread, spread, prefix="spread", source=where),
        mechanisms=build(Mechanisms, mech, prefix="mechanisms", source=where),
        onset=build(Onset, onset, prefix="onset", source=where),
        interventions=interventions,
    )
