"""Configs of earlier versions: retired keys refused with their replacement, saved configs
upgraded so that their results still load."""

from __future__ import annotations

from alssim.config.cohort import EVIDENCE_LEVELS
from alssim.errors import ConfigError

__all__ = ["reject_retired_keys", "upgrade_saved_config"]


def reject_retired_keys(keys, source: str | None) -> None:
    """Refuse keys of earlier versions that have a replacement, naming it.

    Parameters
    ----------
    keys : iterable of str
        Dotted keys a config file or the overrides set.
    source : str, optional
        Where they came from, for the error.

    Raises
    ------
    ConfigError
        For ``cohort.exposures.NAME.evidence`` (split into ``risk_evidence`` and
        ``progression_evidence``), ``clinical.diagnosis.first_visit_delay_months`` (replaced
        by the diagnostic pathway's delays) and ``clinical.electro.split_hand_excess`` (replaced
        by each muscle's ``vulnerability`` in the anatomy).
    """
    for key in keys:
        parts = str(key).split(".")
        if len(parts) == 4 and parts[:2] == ["cohort", "exposures"] and parts[3] == "evidence":
            prefix = ".".join(parts[:3])
            raise ConfigError(
                f"was replaced by {prefix}.risk_evidence (evidence that the exposure raises "
                f"the risk of getting ALS) and {prefix}.progression_evidence (evidence for an "
                f"effect on its course: progression or survival); each is one of "
                f"{', '.join(repr(v) for v in EVIDENCE_LEVELS)}, and progression_evidence may "
                f"also be 'hypothesis'", key=key, source=source)
        if key == "clinical.diagnosis.first_visit_delay_months":
            raise ConfigError(
                "was replaced by the diagnostic pathway (alssim.clinical.pathway): set "
                "clinical.diagnosis.first_consultation_median_months and "
                "referral_median_months (symptom -> first consultation -> first neurology "
                "visit), emg_median_months and visit_interval_months", key=key, source=source)
        if key == "clinical.electro.split_hand_excess":
            raise ConfigError(
                "was replaced by each muscle's vulnerability exponent in the anatomy "
                "(configs/anatomy/*.toml: muscles = [{ name, motor_units, vulnerability }]; "
                "the default anatomy gives the thenar and first dorsal interosseous 1.5, the "
                "former 1 + split_hand_excess), which sets their MUNE, CMAP and strength alike",
                key=key, source=source)


def upgrade_saved_config(data: dict) -> dict:
    """A config dict saved by an earlier version, with retired keys replaced (a copy).

    * The single ``evidence`` label of an exposure described the evidence for the risk of ALS:
      it becomes ``risk_evidence``, and ``progression_evidence`` becomes ``'hypothesis'`` where
      the saved multiplier acts on the course (as it did, without published evidence of one) and
      ``'none'`` where it is 1.
    * A ``[cohort]`` table saved without ``bulbar_onset_or_female`` /
      ``bulbar_onset_or_per_decade`` gets 1 for them (onset site independent of sex and age, as
      it was), so its patients re-derive with the onsets they were simulated with; likewise
      ``lmn_onset_segmental`` gets 1 (LMN-onset spread between segments as it was).

    * ``clinical.diagnosis.first_visit_delay_months`` (one fixed first visit) is dropped: the
      diagnosis follows the diagnostic pathway of the current defaults (it is read from the
      recorded state, not simulated).

    * ``clinical.electro.split_hand_excess`` is dropped: the muscles' vulnerability exponents
      of the anatomy replace it (the clinical layer is read from the recorded state).

    Every saved value that acts on the simulation is kept.
    """
    clinical = data.get("clinical") if isinstance(data, dict) else None
    if isinstance(clinical, dict) and isinstance(clinical.get("electro"), dict):
        el = {k: v for k, v in clinical["electro"].items() if k != "split_hand_excess"}
        data = {**data, "clinical": {**clinical, "electro": el}}
        clinical = data["clinical"]
    if isinstance(clinical, dict) and isinstance(clinical.get("diagnosis"), dict):
        dx = {k: v for k, v in clinical["diagnosis"].items() if k != "first_visit_delay_months"}
        data = {**data, "clinical": {**clinical, "diagnosis": dx}}
    cohort = data.get("cohort") if isinstance(data, dict) else None
    if not isinstance(cohort, dict):
        return data
    cohort = dict(cohort)
    for key in ("bulbar_onset_or_female", "bulbar_onset_or_per_decade"):
        cohort.setdefault(key, 1.0)
    cohort.setdefault("lmn_onset_segmental", 1.0)  # saved before it existed: no effect, as run
    exposures = cohort.get("exposures")
    if isinstance(exposures, dict):
        new = {k: dict(e) if isinstance(e, dict) else e for k, e in exposures.items()}
        for e in new.values():
            if isinstance(e, dict) and "evidence" in e:
                level = e.pop("evidence")
                e.setdefault("risk_evidence", level)
                e.setdefault("progression_evidence",
                             "none" if e.get("multiplier", 1.0) == 1.0 else "hypothesis")
        cohort["exposures"] = new
    return {**data, "cohort": cohort}
