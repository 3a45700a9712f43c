"""Patient heterogeneity: who a virtual patient of a cohort is, and what that changes.

The ``[cohort]`` tables of a config describe a population of patients: the onset site (from the
``[onset]`` probabilities), age at onset, sex, genotype (sporadic, C9orf72, SOD1 A4V, other SOD1,
TARDBP, FUS), environmental exposures and a lognormal variability of progression speed. Each
patient's attributes are drawn from the ``"cohort_attributes"`` stream of the patient's own
:class:`numpy.random.SeedSequence` (and the onset from its ``"onset"`` stream, as the engine
draws it, with the odds of bulbar onset set by the patient's sex and age; see below), so a
patient's attributes depend on nothing but its seed and the config.

**Onset site by sex and age.** Bulbar onset is more common in women and in older patients
(Chiò 2011 JNNP 82:740; McCombe & Henderson 2010 Gend Med 7:557). A sampled patient's odds of
bulbar onset are ``odds(p_bulbar) * K * bulbar_onset_or_female ** [female] *
bulbar_onset_or_per_decade ** ((age - age_mean_years) / 10)`` (logistic in sex and age at
onset); the other sites share the rest in their ``[onset]`` proportions. ``K`` is solved so that
the share of bulbar onset over the whole cohort (its sex mix and age distribution, genotypes
included) is the configured ``p_bulbar``: the ``[onset]`` shares stay the cohort's marginal
shares, and sex and age only redistribute bulbar onset between patients. With both odds ratios 1
every patient draws exactly as before. A single run (:func:`alssim.simulate`) has no sex or age
and draws its onset from the ``[onset]`` shares as they are.

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
``anterograde_rate`` by ``umn_onset_anterograde`` after UMN onset (hypotheses: LMN- and
UMN-predominant phenotypes). After LMN onset the spread between segments (``caudal_rate``,
``rostral_rate``) is also multiplied by ``lmn_onset_segmental`` (hypothesis: the longer survival
of LMN-predominant patients comes from the regions and the breathing spared, not from a slower
loss of LMNs); ``lmn_onset_speed`` (1 by default: no effect) multiplies their whole speed.
Genotype effects are modelling hypotheses with their sources written next to them in
``configs/default.toml``, not established facts.

**Exposures: risk and course are separate.** Every simulated patient has ALS, so an exposure's
association with the *risk* of ALS shows only in how common it is among patients
(``prevalence``); its ``multiplier`` acts on the *course* (the target's rate or level). Each
exposure records both: ``risk_evidence`` (for the risk of getting ALS) and
``progression_evidence`` (for progression or survival), each one of :data:`EVIDENCE_LEVELS`.
A multiplier other than 1 needs a course label other than ``"none"`` or ``"conflicting"``:
published evidence (``"weak"``, ``"moderate"``, ``"strong"``) or the label ``"hypothesis"``,
which a user sets to run an effect on the course that has no published evidence; anything else
is a config error. The defaults keep a multiplier other than 1 only where studies of the course
exist (``configs/default.toml`` cites them). The single key ``evidence`` of earlier versions is
refused in config files and overrides with an error naming its replacements; results saved by
earlier versions still load (:func:`upgrade_saved_config`).

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
import functools
import math
from typing import Any

import numpy as np
from scipy import optimize, special

from alssim.anatomy import EDGE_KINDS, ONSET_SITES
from alssim.config.cohort import (
    EVIDENCE_LEVELS,
    EXPOSURES,
    GENOTYPES,
    PROGRESSION_EVIDENCE_LEVELS,
    TARGETS,
    Cohort,
    Exposure,
    Exposures,
    Genotype,
    Genotypes,
)
from alssim.config.schema import (
    Excitotoxicity,
    Inflammation,
    Mechanisms,
    Onset,
    OxidativeStress,
    Pathology,
    Spread,
)
from alssim.config.upgrade import reject_retired_keys, upgrade_saved_config
from alssim.fields import build, field_specs, to_dict
from alssim.onset import choose_onset, site_probabilities
from alssim.streams import stream

__all__ = [
    "EVIDENCE_LEVELS",
    "EXPOSURES",
    "GENOTYPES",
    "PROGRESSION_EVIDENCE_LEVELS",
    "SPEED_MAX",
    "TARGETS",
    "Cohort",
    "Exposure",
    "Exposures",
    "Genotype",
    "Genotypes",
    "PatientAttributes",
    "bulbar_odds",
    "derive_config",
    "reject_retired_keys",
    "sample_patient",
    "upgrade_saved_config",
]

_SPREAD_EDGES = tuple(f"{kind}_rate" for kind in EDGE_KINDS)

#: Largest speed multiplier a patient can have (keeps speed finite; see the module notes).
SPEED_MAX = 1e300


@dataclasses.dataclass(frozen=True)
class PatientAttributes:
    """The sampled attributes of one patient.

    Attributes
    ----------
    genotype : str
        One of :data:`GENOTYPES`.
    sex : str
        ``'male'`` or ``'female'`` (changes the odds of bulbar onset; no mechanism effect).
    age_years : float
        Age at clinical (symptom) onset (year), the age every source of the age parameters
        reports (registries' onset ages, survival by age at onset, bulbar onset by age). The
        biological onset -- the simulation's time 0 -- precedes it by the patient's preclinical
        phase (``clinical.clinical_onset_months``), which the age does not count.
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
        ``"onset"`` stream via :func:`alssim.onset.choose_onset`, with the odds of bulbar onset
        of the patient's sex and age (:func:`bulbar_odds`; see the module notes): the onset site
        may change with the patient's sex or age, or with the cohort's sex mix and age
        distribution (they set the constant that keeps the cohort's bulbar share), and with
        nothing else.

    Returns
    -------
    PatientAttributes
    """

    c = cfg.cohort
    u = stream(root, "cohort_attributes").random(_uniforms_needed())
    shares = np.array([getattr(c.genotypes, g).share for g in GENOTYPES])
    cdf = np.cumsum(shares / shares.sum())
    genotype = GENOTYPES[min(int(np.searchsorted(cdf, u[0], side="right")), len(GENOTYPES) - 1)]
    g = getattr(c.genotypes, genotype)
    sex = "male" if u[1] < c.p_male else "female"
    # age: normal truncated to [min, max] by inverse CDF, so one uniform per patient
    mu = c.age_mean_years + g.age_shift_years

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
    odds = bulbar_odds(cfg, sex, age) if onset_spec.mode == "sampled" else 1.0
    onset = choose_onset(onset_spec, cfg.anatomy, root, bulbar_odds=odds)
    if onset.compartment == "lmn":
        speed = min(speed * c.lmn_onset_speed, SPEED_MAX)
    attrs = PatientAttributes(genotype, sex, age, exposed, float(speed), rel, onset)
    clipped = _derived_values(cfg, attrs)[2]
    return dataclasses.replace(attrs, clipped=clipped) if clipped else attrs


def bulbar_odds(cfg, sex: str, age_years: float) -> float:
    """Multiplier on the odds of bulbar onset for a patient of this sex and age at onset.

    ``K * bulbar_onset_or_female ** [female] * bulbar_onset_or_per_decade ** ((age -
    age_mean_years) / 10)``, with ``K`` such that the expected bulbar share over the cohort
    (:func:`_cohort_bulbar_constant`) is the configured one (see the module notes).

    Parameters
    ----------
    cfg : Config
    sex : str
        ``'male'`` or ``'female'``.
    age_years : float
        Age at onset (year).

    Returns
    -------
    float
        Exactly 1 when both odds ratios are 1 (every patient draws as a single run would).
    """

    c = cfg.cohort
    or_f, or_d = c.bulbar_onset_or_female, c.bulbar_onset_or_per_decade
    if or_f == 1.0 and or_d == 1.0:
        return 1.0
    present = [s for s in ONSET_SITES if any(g.onset_site == s for g in cfg.anatomy.segments)]
    if "bulbar" not in present:
        return 1.0
    pb = float(site_probabilities(cfg.onset, cfg.anatomy)[present.index("bulbar")])
    geno = tuple((float(getattr(c.genotypes, g).share), float(getattr(c.genotypes, g)
                  .age_shift_years)) for g in GENOTYPES)
    log_k = _cohort_bulbar_constant(pb, math.log(or_f), math.log(or_d), c.p_male,
                                    c.age_mean_years, c.age_sd_years, c.age_min_years,
                                    c.age_max_years, geno)
    log_odds = (log_k + (math.log(or_f) if sex == "female" else 0.0)
                + math.log(or_d) * (age_years - c.age_mean_years) / 10.0)
    return math.exp(min(max(log_odds, -700.0), 700.0))


@functools.lru_cache(maxsize=64)
def _cohort_bulbar_constant(pb: float, log_or_f: float, log_or_d: float, p_male: float,
                            age_mean: float, age_sd: float, age_min: float, age_max: float,
                            genotypes: tuple[tuple[float, float], ...]) -> float:
    """``log K``: the shift of the log odds of bulbar onset that keeps the cohort's expected
    bulbar share at ``pb``, over its sex mix and its age distribution (each genotype's
    truncated normal, on 512 quantiles, as :func:`sample_patient` draws ages). 0 when ``pb`` is
    0 or 1."""

    if not 0.0 < pb < 1.0:
        return 0.0
    q = (np.arange(512) + 0.5) / 512
    ages, weights = [], []
    total = sum(share for share, _ in genotypes)
    for share, shift in genotypes:
        if share <= 0:
            continue
        mu = age_mean + shift
        if age_sd > 0:
            a = special.ndtr((age_min - mu) / age_sd)
            b = special.ndtr((age_max - mu) / age_sd)
            x = mu + age_sd * special.ndtri(a + q * (b - a))
        else:
            x = np.full(q.size, mu)
        ages.append(np.clip(x, age_min, age_max))
        weights.append(np.full(q.size, share / total / q.size))
    age = np.concatenate(ages)
    w = np.concatenate(weights)
    base = special.logit(pb) + log_or_d * (age - age_mean) / 10.0

    def excess(log_k: float) -> float:
        share = (p_male * special.expit(base + log_k)
                 + (1.0 - p_male) * special.expit(base + log_k + log_or_f))
        return float(np.sum(w * share)) - pb

    return float(optimize.brentq(excess, -60.0, 60.0, xtol=1e-12))


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


@functools.cache
def _specs_of(spec_cls: type) -> dict:
    """:func:`field_specs` of a config class, computed once (type hints are slow to resolve)."""
    return field_specs(spec_cls)


def _bounded(table: dict, name: str, spec_cls: type, key: str, clipped: list[str]) -> None:
    """Hold ``table[name]`` within its parameter's range, noting ``key`` when it was moved."""
    spec = _specs_of(spec_cls)[name]
    value = table[name]
    held = min(max(value, spec.low), spec.high)
    if held != value:
        table[name] = float(held)
        clipped.append(key)


def _derived_values(cfg, attrs: PatientAttributes) -> tuple[dict, dict, tuple[str, ...]]:
    """The patient's ``spread`` and ``mechanisms`` tables (plain dicts, each derived value held
    within its parameter's range) and the keys that had to be held."""

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
        for edge in ("caudal_rate", "rostral_rate"):
            spread[edge] = _times(spread[edge], cfg.cohort.lmn_onset_segmental)
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
