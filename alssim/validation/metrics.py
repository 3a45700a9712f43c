"""One metric function per published figure, computed from a cohort's patient table.

:func:`prepare` turns a :attr:`CohortResult.patients <alssim.cohort.CohortResult.patients>` table
into a small table of standard per-patient columns (:data:`PREPARED_COLUMNS`); every metric of
:data:`METRICS` is a function of that table returning one number, so a bootstrap resamples its
rows (:func:`bootstrap_ci`). Definitions, decided before any comparison:

* Survival: months from clinical onset to death (respiratory failure); patients alive at the
  end of the horizon are censored at ``horizon - clinical onset``; medians are Kaplan-Meier
  medians (:func:`km_median`). Patients without clinical onset within the horizon are left out
  of every metric (a registry never sees them).
* Onset site: the site of the first clinically involved segment (what a registry records), not
  the seeded one.
* Age bands: age at clinical onset (age at biological onset + pre-symptomatic period).
* Onset to second region: King's stage 2 (second King's region functionally involved; the
  diaphragm and trunk count as a region, ``clinical.function.kings_count_respiratory``).
* First spread: between body regions and sides (bulbar; arm, trunk and leg on each side), from
  the segment involvement times: the first newly involved region-side is *contralateral* (same
  region, other side) or *vertical* (another region); ties share their weight. Bulbar-onset
  patients are left out (bulbar involvement is not lateralised clinically).
* Bulbar -> legs: bulbar-onset patients whose lower limb is involved before the upper limb
  (among those with either involved; ties count half). Lumbar -> bulbar: lower-limb-onset
  patients whose bulbar region is involved before the upper limb. Arm -> legs before bulbar:
  upper-limb-onset patients whose lower limb is involved before the bulbar region (among those
  with either involved; ties count half).
* Limb-onset survival: Kaplan-Meier median of upper- and lower-limb onset patients without the
  flail-arm and flail-leg syndromes (:func:`limb_onset_without_flail`), the group Wijesekera 2009
  (Neurology 72:1087) call limb-onset ALS and report apart from those syndromes, whose survival
  they give separately (61 and 69 months, here ``survival_flail_arm`` and ``survival_flail_leg``).
* Survival by limb of onset: Kaplan-Meier median of upper-limb onset / that of lower-limb onset.
* ALSFRS-R decline: ΔFS at the diagnosis visit (``clinical.alsfrs_r_dfs``), median and IQR.
* Diagnostic delay: months from clinical onset to diagnosis (``clinical.diagnosis.months``),
  among patients diagnosed within the horizon; median, IQR, and the ratio of the bulbar-onset
  median to the limb-onset (upper and lower limb) median.
* Breathing symptoms: the mean number of the other ALSFRS-R King's regions still normal at the
  first respiratory symptom (``clinical.respiratory_symptoms.regions_preserved``), after limb
  (upper and lower) and after bulbar onset, among patients with such a symptom while alive.
* Motor units and phenotypes: per-patient read-outs of :mod:`alssim.clinical.phenotype`; the
  MUNE of the onset muscles at diagnosis of PMA patients over that of classic ALS (means). The
  MUNIX decline follows Neuwirth 2015's protocol: the total score of their muscles on the less
  affected side, over 12 months from study entry (here the diagnosis visit), in the patients who
  reach month 12 (``munix_total_decline_percent_per_month``).
* Vital capacity decline: the mean FVC slope of the patients a trial would have enrolled
  (EMPOWER, NCT01281189: within 24 months of onset, FVC >= 65%, revised El Escorial possible or
  better and able to swallow tablets at entry, entered 15.6 months after onset and not before
  the diagnosis; aged 18-80, read as age at onset + 15.6 months <= 80), over 12 months while
  alive (``clinical.fvc_trial_slope_per_month``; Andrews 2018's placebo groups).
* Onset site by sex and age: the bulbar-onset share among women divided by that among men
  (``sex``); mean age at clinical onset of bulbar-onset minus limb-onset (upper and lower
  limb) patients, in years.
* Genotype survivals: Kaplan-Meier medians within the genotype; C9orf72 as a ratio to sporadic.
* Breathing and care: the share of deaths from aspiration pneumonia
  (``clinical.cause_of_death``); Kaplan-Meier survival 10 years after clinical onset; King's
  stages 2, 3, 4A and 4B as a fraction of disease duration among patients who died and reached
  the stage (Balendra's standardised times), the stage *estimated from the ALSFRS-R* as that
  study staged its cohorts (``clinical.kings_estimated_stage_months``, Balendra 2014; see
  :func:`alssim.clinical.staging.kings_stage_from_alsfrs`), read from records that begin, as a
  trial's or a database's do, 8.3 months after the diagnosis (PRO-ACT; the patients who died
  before are not in the cohort), a stage already reached then dated at the first record;
  median time spent in King's stages 1-4 (``clinical.kings_stage_duration_months``; 4A and 4B
  together as 4), the clinical stage, as the prospective registry staged its patients (Chen
  2018).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from alssim.clinical.respiratory import TRIAL_ENTRY_MONTHS
from alssim.config import load_config
from alssim.survival import kaplan_meier

__all__ = [
    "METRICS",
    "PREPARED_COLUMNS",
    "bootstrap_ci",
    "clopper_pearson",
    "died_after_cohort_entry",
    "km_median",
    "limb_onset",
    "limb_onset_without_flail",
    "prepare",
]

#: Columns of the prepared table.
PREPARED_COLUMNS = ("site", "time", "event", "age_onset", "genotype", "dfs", "second_region",
                    "spread_contra", "spread_vertical", "legs_before_arms",
                    "bulbar_before_arms", "legs_before_bulbar", "phenotype", "munix_decline",
                    "mune_decline",
                    "units_lost_cmap", "hazard_slope", "mune_dx", "cause", "kings_2", "kings_3",
                    "kings_4a", "kings_4b", "stage_1_months", "stage_2_months",
                    "stage_3_months", "stage_4_months", "dx_delay", "sex",
                    "regions_preserved_at_breathing", "fvc_trial_slope", "trial_entry_months",
                    "trial_entry_alsfrs", "trial_entry_fvc")


# --------------------------------------------------------------------------- statistics
def km_median(times: np.ndarray, events: np.ndarray) -> float:
    """Kaplan-Meier median survival (:func:`alssim.survival.kaplan_meier`).

    Parameters
    ----------
    times : ndarray, shape (n,)
        Event or censoring times; non-finite ones are left out.
    events : ndarray of bool, shape (n,)
        True where the event was observed.

    Returns
    -------
    float
        The smallest event time with survival <= 0.5; ``inf`` if survival stays above 0.5;
        ``nan`` for no subjects. Censoring at a tied time counts after the events.
    """
    t = np.asarray(times, dtype=float)
    e = np.asarray(events, dtype=bool)
    keep = np.isfinite(t)
    if not keep.any():
        return math.nan
    return kaplan_meier(t[keep], e[keep]).median


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact binomial confidence interval of a proportion ``k / n``
    (:meth:`scipy.stats.binomtest` ``proportion_ci``, method ``'exact'``); NaN for ``n <= 0``."""

    if n <= 0:
        return (math.nan, math.nan)
    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=1 - alpha, method="exact")
    return float(ci.low), float(ci.high)


def bootstrap_ci(table, func: Callable, *, n_boot: int = 400, seed: int = 0,
                 alpha: float = 0.05) -> tuple[float, float, float]:
    """Point estimate and percentile bootstrap interval of a metric of a table.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per patient.
    func : callable
        ``func(table) -> float``.
    n_boot : int
        Bootstrap resamples (patients drawn with replacement).
    seed : int
        Seed of the resampling (the same seed gives the same interval).
    alpha : float
        1 - confidence level.

    Returns
    -------
    (estimate, low, high) : tuple of float
        ``low``/``high`` ignore resamples where the metric is undefined (NaN); infinite values
        (e.g. a median not reached) are kept and may make a limit infinite.
    """
    est = float(func(table))
    rng = np.random.default_rng(seed)
    n = len(table)
    vals = np.empty(n_boot)
    for b in range(n_boot):
        vals[b] = func(table.iloc[rng.integers(0, n, n)])
    vals = vals[~np.isnan(vals)]
    if vals.size == 0:
        return est, math.nan, math.nan
    lo, hi = np.quantile(vals, [alpha / 2, 1 - alpha / 2], method="inverted_cdf")
    return est, float(lo), float(hi)


# --------------------------------------------------------------------------- preparation
def _col(df, name: str, default=np.nan):
    if name in df.columns:
        return df[name]

    return pd.Series(default, index=df.index)


def _region_side_times(df, anatomy) -> tuple[list[tuple[str, str]], np.ndarray]:
    """Involvement time of each (King's region, side), shape (n, R), NaN where never."""
    keys = []
    for s in anatomy.segments:
        for side in ("left", "right"):
            k = (s.kings_region, side)
            if k not in keys:
                keys.append(k)
    out = np.full((len(df), len(keys)), np.inf)
    for s in anatomy.segments:
        for side in ("left", "right"):
            col = f"clinical.segment_involvement_months.{s.name}:{side}"
            v = np.asarray(_col(df, col), dtype=float)
            v = np.where(np.isnan(v), np.inf, v)
            j = keys.index((s.kings_region, side))
            out[:, j] = np.minimum(out[:, j], v)
    return keys, out


def _first_before(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 where a < b, 0 where b < a, 0.5 on a tie, NaN where neither happened."""
    out = np.where(a < b, 1.0, np.where(b < a, 0.0, 0.5))
    return np.where(np.isinf(a) & np.isinf(b), np.nan, out)


def prepare(patients, anatomy=None):
    """Standard per-patient columns for the metrics.

    Parameters
    ----------
    patients : pandas.DataFrame
        A cohort's patient table (:attr:`alssim.cohort.CohortResult.patients`).
    anatomy : Anatomy, optional
        The cohort's anatomy (segment regions); default the default anatomy.

    Returns
    -------
    pandas.DataFrame
        One row per patient with a clinical onset, columns :data:`PREPARED_COLUMNS`.
    """

    if anatomy is None:
        anatomy = load_config().anatomy
    df = patients
    onset = np.asarray(_col(df, "clinical.clinical_onset_months"), dtype=float)
    has = np.isfinite(onset)
    site_of = {s.name: s.onset_site for s in anatomy.segments}
    seg = _col(df, "clinical.onset_segment", None)
    site = np.array([site_of.get(x, "none") if isinstance(x, str) else "none" for x in seg])
    surv = np.asarray(_col(df, "clinical.survival_months"), dtype=float)
    cens = np.asarray(_col(df, "clinical.censored", True).astype(object).fillna(True),
                      dtype=bool)
    horizon = np.asarray(_col(df, "horizon_months"), dtype=float)
    time = np.where(cens | np.isnan(surv), horizon - onset, surv)
    keys, rt = _region_side_times(df, anatomy)
    region = np.array([k[0] for k in keys])
    side = np.array([k[1] for k in keys])
    onset_side = np.asarray(_col(df, "clinical.onset_side", ""), dtype=object)
    contra = np.full(len(df), np.nan)
    vertical = np.full(len(df), np.nan)
    for i in np.flatnonzero(has & np.isin(site, ("upper_limb", "lower_limb", "respiratory"))):
        own = (region == site_of[seg.iloc[i]]) & (side == onset_side[i])
        t = np.where(own, np.inf, rt[i])
        tmin = t.min()
        if not np.isfinite(tmin):
            continue
        first = t == tmin
        same = (first & (region == site_of[seg.iloc[i]])).sum()
        contra[i] = same / first.sum()
        vertical[i] = 1.0 - contra[i]
    by_region = {r: rt[:, region == r].min(axis=1) for r in set(region)}
    inf = np.full(len(df), np.inf)
    legs = _first_before(by_region.get("lower_limb", inf), by_region.get("upper_limb", inf))
    bulb = _first_before(by_region.get("bulbar", inf), by_region.get("upper_limb", inf))
    legs_bulb = _first_before(by_region.get("lower_limb", inf), by_region.get("bulbar", inf))
    out = pd.DataFrame({
        "site": site,
        "time": time,
        "event": ~cens,
        # the sampled age is the age at clinical onset (alssim.patients.PatientAttributes)
        "age_onset": np.asarray(_col(df, "age_years"), dtype=float),
        "genotype": np.asarray(_col(df, "genotype", "sporadic"), dtype=object),
        "dfs": np.asarray(_col(df, "clinical.alsfrs_r_dfs"), dtype=float),
        "second_region": np.asarray(_col(df, "clinical.kings_stage_months.2"), dtype=float),
        "spread_contra": contra,
        "spread_vertical": vertical,
        "legs_before_arms": np.where(site == "bulbar", legs, np.nan),
        "bulbar_before_arms": np.where(site == "lower_limb", bulb, np.nan),
        "legs_before_bulbar": np.where(site == "upper_limb", legs_bulb, np.nan),
        "phenotype": np.asarray(_col(df, "clinical.phenotype", "none"), dtype=object),
        "munix_decline": np.asarray(
            _col(df, "clinical.motor_units.munix_total_decline_percent_per_month"), dtype=float),
        "fvc_trial_slope": np.asarray(_col(df, "clinical.fvc_trial_slope_per_month"),
                                      dtype=float),
        "trial_entry_months": np.asarray(_col(df, "clinical.trial_entry.months"), dtype=float),
        "trial_entry_alsfrs": np.asarray(_col(df, "clinical.trial_entry.alsfrs_r"), dtype=float),
        "trial_entry_fvc": np.asarray(_col(df, "clinical.trial_entry.fvc_percent"), dtype=float),
        "mune_decline": np.asarray(
            _col(df, "clinical.motor_units.hypothenar_mune_decline_percent_per_month"),
            dtype=float),
        "cause": np.asarray(_col(df, "clinical.cause_of_death", None), dtype=object),
        # the stage the study read from the ALSFRS-R (Balendra 2014), not the clinical one
        **{f"kings_{k.lower()}": np.asarray(
            _col(df, f"clinical.kings_estimated_stage_months.{k}"), dtype=float)
           for k in ("2", "3", "4A", "4B")},
        **{f"stage_{k}_months": np.asarray(
            _col(df, f"clinical.kings_stage_duration_months.{k}"), dtype=float)
           for k in ("1", "2", "3", "4")},
        "units_lost_cmap": np.asarray(_col(df, "clinical.motor_units.units_lost_at_cmap_fall"),
                                      dtype=float),
        "hazard_slope": np.asarray(_col(df, "clinical.motor_units.loss_hazard_slope_per_month"),
                                   dtype=float),
        "mune_dx": np.asarray(
            _col(df, "clinical.motor_units.onset_mune_at_diagnosis_percent"), dtype=float),
        "dx_delay": np.asarray(_col(df, "clinical.diagnosis.months"), dtype=float),
        "sex": np.asarray(_col(df, "sex", "unknown"), dtype=object),
        "regions_preserved_at_breathing": np.asarray(
            _col(df, "clinical.respiratory_symptoms.regions_preserved"), dtype=float),
    })
    return out[has].reset_index(drop=True)


# --------------------------------------------------------------------------- metrics
#: Oldest age at entry (years) of the trial whose placebo group gives the vital-capacity slope
#: (EMPOWER, NCT01281189: aged 18 to 80); the entry time is
#: :data:`alssim.clinical.respiratory.TRIAL_ENTRY_MONTHS`.
TRIAL_MAX_AGE_YEARS = 80.0


def trial_enrolled(d) -> np.ndarray:
    """Patients the vital-capacity trial enrolled: a slope (the entry criteria read from the
    course, ``clinical.fvc_trial_slope_per_month``) and at most 80 years old at entry, read as
    the age at clinical onset plus :data:`TRIAL_ENTRY_MONTHS`."""
    return np.asarray(d["fvc_trial_slope"].notna()
                      & (d["age_onset"] + TRIAL_ENTRY_MONTHS / 12.0 <= TRIAL_MAX_AGE_YEARS))


def _share(d, mask) -> float:
    return float(np.mean(mask)) if len(d) else math.nan


def _median_survival(d, mask=None) -> float:
    sel = d if mask is None else d[mask]
    return km_median(sel["time"].to_numpy(), sel["event"].to_numpy())


def _mean(x) -> float:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else math.nan


def _median(x) -> float:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else math.nan


def _nanmean_frac(x) -> float:
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    return float(x.mean()) if x.size else math.nan


def _spread_ratio(d) -> float:
    c = np.nansum(d["spread_contra"].to_numpy())
    v = np.nansum(d["spread_vertical"].to_numpy())
    return float(c / v) if v > 0 else math.inf


def _iqr(x) -> float:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 4:
        return math.nan
    q1, q3 = np.quantile(x, [0.25, 0.75])
    return float(q3 - q1)


def _c9_ratio(d) -> float:
    c9 = _median_survival(d, d["genotype"] == "c9orf72")
    sp = _median_survival(d, d["genotype"] == "sporadic")
    return c9 / sp if sp > 0 and math.isfinite(sp) else math.nan


def _limb_survival_ratio(d) -> float:
    arm = _median_survival(d, d["site"] == "upper_limb")
    leg = _median_survival(d, d["site"] == "lower_limb")
    return arm / leg if leg > 0 and math.isfinite(leg) else math.nan


def _site_time(site: str) -> Callable:
    return lambda d: _mean(d.loc[d["site"] == site, "second_region"])


def _age_band(lo: float, hi: float) -> Callable:
    return lambda d: _median_survival(d, (d["age_onset"] > lo) & (d["age_onset"] <= hi))


def _pheno_share(label: str) -> Callable:
    return lambda d: _share(d, d["phenotype"] == label)


def _pheno_survival(label: str) -> Callable:
    return lambda d: _median_survival(d, d["phenotype"] == label)


def _geno_survival(label: str) -> Callable:
    return lambda d: _median_survival(d, d["genotype"] == label)


def _pma_mune_ratio(d) -> float:
    """Mean MUNE of the onset muscles at diagnosis, PMA over classic ALS."""
    pma = _mean(d.loc[d["phenotype"] == "pma", "mune_dx"])
    classic = _mean(d.loc[d["phenotype"] == "classic", "mune_dx"])
    return pma / classic if classic > 0 else math.nan


def _dx_ratio_bulbar_limb(d) -> float:
    bulbar = _median(d.loc[d["site"] == "bulbar", "dx_delay"])
    limb = _median(d.loc[limb_onset(d), "dx_delay"])
    return bulbar / limb if limb > 0 else math.nan


def _bulbar_ratio_women_men(d) -> float:
    bulbar = d["site"] == "bulbar"
    women, men = d["sex"] == "female", d["sex"] == "male"
    if not women.any() or not men.any():
        return math.nan
    share_men = float(bulbar[men].mean())
    return float(bulbar[women].mean()) / share_men if share_men > 0 else math.nan


def _bulbar_age_difference(d) -> float:
    limb = limb_onset(d)
    return _mean(d.loc[d["site"] == "bulbar", "age_onset"]) - _mean(d.loc[limb, "age_onset"])


def _km_survival_at(d, months: float) -> float:
    """Kaplan-Meier survival ``months`` after clinical onset."""
    t = np.asarray(d["time"], dtype=float)
    keep = np.isfinite(t)
    if not keep.any():
        return math.nan
    return float(kaplan_meier(t[keep], np.asarray(d["event"], dtype=bool)[keep]).at(months))


def _death_share(cause: str) -> Callable:
    def share(d) -> float:
        died = d["event"].astype(bool)
        return float((d.loc[died, "cause"] == cause).mean()) if died.any() else math.nan
    return share


#: Months from the diagnosis to the first ALSFRS-R record of a trial or database cohort: the
#: mean time from diagnosis to baseline of the PRO-ACT placebo patients (8.3 months; Andrews
#: 2018 JAMA Neurol 75:58, Table 1), the largest of the cohorts Balendra 2023 staged.
RECORDS_BEGIN_AFTER_DIAGNOSIS_MONTHS = 8.3


#: Phenotypes Wijesekera 2009 (Neurology 72:1087) report apart from limb-onset ALS.
FLAIL_PHENOTYPES = ("flail_arm", "flail_leg")


def limb_onset(d):
    """Patients with onset in an upper or lower limb, bool Series of shape (n,)."""
    return d["site"].isin(("upper_limb", "lower_limb"))


def limb_onset_without_flail(d):
    """Limb-onset patients as Wijesekera 2009 count them: onset in an upper or lower limb, not
    the flail-arm or flail-leg syndrome (whose survival they report on its own); PMA and the
    other phenotypes stay in.

    Returns
    -------
    pandas.Series of bool, shape (n,)
    """
    return limb_onset(d) & ~d["phenotype"].isin(FLAIL_PHENOTYPES)


def died_after_cohort_entry(d):
    """The patients of a trial or database cohort who died, and when their records began.

    Records begin ``RECORDS_BEGIN_AFTER_DIAGNOSIS_MONTHS`` after the diagnosis; a patient who
    died before, or was never diagnosed, is not in such a cohort.

    Returns
    -------
    died : pandas.Series of bool, shape (n,)
    entry : pandas.Series of float, shape (n,)
        Months from clinical onset to the first record.
    """
    entry = d["dx_delay"] + RECORDS_BEGIN_AFTER_DIAGNOSIS_MONTHS
    return d["event"].astype(bool) & (d["time"] > entry), entry


def _standardised_stage_time(column: str) -> Callable:
    """Median King's stage time as a fraction of disease duration, as read from the records of
    a trial or database cohort (:func:`died_after_cohort_entry`): a stage already reached at the
    first record is dated there."""
    def median(d) -> float:
        died, entry = died_after_cohort_entry(d)
        stage = d.loc[died, column]
        seen = np.where(stage.notna(), np.maximum(stage, entry[died]), np.nan)
        return _median(seen / d.loc[died, "time"])
    return median


#: Metric of each target id: a function of the prepared table returning one number.
METRICS: dict[str, Callable] = {
    "onset_share_bulbar": lambda d: _share(d, d["site"] == "bulbar"),
    "onset_share_upper_limb": lambda d: _share(d, d["site"] == "upper_limb"),
    "onset_share_lower_limb": lambda d: _share(d, d["site"] == "lower_limb"),
    "onset_share_respiratory": lambda d: _share(d, d["site"] == "respiratory"),
    "median_survival": lambda d: _median_survival(d),
    "median_survival_limb": lambda d: _median_survival(d, limb_onset_without_flail(d)),
    "median_survival_bulbar": lambda d: _median_survival(d, d["site"] == "bulbar"),
    "survival_age_le50": _age_band(-math.inf, 50.0),
    "survival_age_51_60": _age_band(50.0, 60.0),
    "survival_age_61_70": _age_band(60.0, 70.0),
    "survival_age_ge71": _age_band(70.0, math.inf),
    "alsfrs_decline_median": lambda d: _median(d["dfs"]),
    "alsfrs_decline_spread": lambda d: _iqr(d["dfs"]),
    "onset_to_second_region": lambda d: _mean(d["second_region"]),
    "onset_to_second_region_upper_limb": _site_time("upper_limb"),
    "onset_to_second_region_lower_limb": _site_time("lower_limb"),
    "onset_to_second_region_bulbar": _site_time("bulbar"),
    "first_spread_contralateral_ratio": _spread_ratio,
    "bulbar_to_legs": lambda d: _nanmean_frac(d["legs_before_arms"]),
    "lumbar_to_bulbar": lambda d: _nanmean_frac(d["bulbar_before_arms"]),
    "arm_onset_legs_before_bulbar": lambda d: _nanmean_frac(d["legs_before_bulbar"]),
    "survival_upper_vs_lower_limb": _limb_survival_ratio,
    "munix_decline": lambda d: _mean(d["munix_decline"]),
    "vital_capacity_decline": lambda d: _mean(d.loc[trial_enrolled(d), "fvc_trial_slope"]),
    "regions_preserved_at_breathing_limb": lambda d: _mean(d.loc[
        limb_onset(d), "regions_preserved_at_breathing"]),
    "regions_preserved_at_breathing_bulbar": lambda d: _mean(d.loc[
        d["site"] == "bulbar", "regions_preserved_at_breathing"]),
    "mune_decline": lambda d: _mean(d["mune_decline"]),
    "units_lost_before_cmap_falls": lambda d: _median(d["units_lost_cmap"]),
    "neuron_loss_shape": lambda d: _median(d["hazard_slope"]),
    "share_flail_arm": _pheno_share("flail_arm"),
    "survival_flail_arm": _pheno_survival("flail_arm"),
    "share_flail_leg": _pheno_share("flail_leg"),
    "survival_flail_leg": _pheno_survival("flail_leg"),
    "survival_pma": _pheno_survival("pma"),
    "share_pma": _pheno_share("pma"),
    "share_umn_predominant": _pheno_share("umn_predominant"),
    "mune_at_diagnosis_pma_vs_classic": _pma_mune_ratio,
    "survival_sod1_a4v": _geno_survival("sod1_a4v"),
    "survival_sod1_other": _geno_survival("sod1_other"),
    "survival_c9orf72_vs_sporadic": _c9_ratio,
    "survival_fus": _geno_survival("fus"),
    "death_aspiration_share": _death_share("aspiration_pneumonia"),
    "survival_10_years": lambda d: _km_survival_at(d, 120.0),
    "kings_2_standardised": _standardised_stage_time("kings_2"),
    "kings_3_standardised": _standardised_stage_time("kings_3"),
    "kings_4a_standardised": _standardised_stage_time("kings_4a"),
    "kings_4b_standardised": _standardised_stage_time("kings_4b"),
    "kings_stage_1_duration": lambda d: _median(d["stage_1_months"]),
    "kings_stage_2_duration": lambda d: _median(d["stage_2_months"]),
    "kings_stage_3_duration": lambda d: _median(d["stage_3_months"]),
    "kings_stage_4_duration": lambda d: _median(d["stage_4_months"]),
    "bulbar_onset_women_vs_men": _bulbar_ratio_women_men,
    "bulbar_onset_age_difference": _bulbar_age_difference,
    "diagnostic_delay_median": lambda d: _median(d["dx_delay"]),
    "diagnostic_delay_iqr": lambda d: _iqr(d["dx_delay"]),
    "diagnostic_delay_bulbar_vs_limb": _dx_ratio_bulbar_limb,
}
