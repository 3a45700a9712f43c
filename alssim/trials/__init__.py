"""Virtual randomised clinical trials of the treatments of :mod:`alssim.interventions`.

A trial (a ``TRIAL.toml``, see ``configs/trials/``) names a model config, the arms (treatments and
randomisation ratio), entry criteria, a visit schedule and the endpoints. :func:`run_trial`:

1. **Screening.** Candidate ``k`` is a virtual patient of the model's ``[cohort]`` tables with seed
   ``derive_seed(trial seed, k)``: its attributes are drawn (a genotype criterion is checked
   before anything is simulated), it is simulated *untreated*, and the entry criteria are read
   from its clinical course at entry (diagnosis or clinical onset, plus a delay): every ALSFRS-R
   item, FVC, disease duration, total and bulbar domain, genotype, the revised El Escorial
   category, and the decline over a run-in period. Screening goes on, in index order, until
   enough patients are eligible, so the eligible set depends only on the seed.
2. **Randomisation.** Each replicate trial takes its eligible patients (by default a block of its
   own: replicates are independent trials; with ``population = P`` each replicate draws its
   patients from a virtual population of ``P`` eligible patients) and assigns arms by permuted
   blocks of the randomisation ratio. With ``crn = true`` (common random numbers) every patient is
   in every arm instead: the same virtual patient, once untreated and once treated, so the arms
   have identical baselines and the contrast is paired.
3. **Treatment.** A patient in a treated arm is simulated again with the same seed, the arm's
   treatments starting at entry. Both runs are identical up to entry (common random numbers), so
   the control run is the patient's placebo course and the baseline is shared. An arm whose
   treatments cannot act (all multipliers 1, or tofersen in a non-carrier) reuses the control run.
4. **Endpoints.** At visits every ``interval_weeks`` from entry (the first record at or after the
   visit; a patient dead by a visit has no score): ALSFRS-R change from baseline at
   ``endpoint_week`` (mean difference with Welch's t confidence interval and p value, or a paired
   t test with ``crn``; patients dead before the endpoint are left out, as in a complete-case
   analysis), the per-patient least-squares ALSFRS-R slope over the follow-up (same tests),
   survival from entry (Kaplan-Meier medians, log-rank p, Cox hazard ratio; censored at
   ``survival_weeks`` or the horizon) and King's progression (time to the next King's stage or
   death: log-rank, Cox). Power is the share of replicates with ``p < alpha``; with several trial
   sizes, the smaller trials of a replicate are the first patients of its randomisation list.

The package's modules follow these steps: :mod:`~alssim.trials.spec` (the ``TRIAL.toml`` schema),
:mod:`~alssim.trials.screening` (1 and 3), :mod:`~alssim.trials.randomisation` (2),
:mod:`~alssim.trials.analysis` (4), :mod:`~alssim.trials.results` (:class:`TrialResult`) and
:mod:`~alssim.trials.run` (:func:`run_trial`, which drives them).

>>> import alssim
>>> res = alssim.run_trial("configs/trials/riluzole.toml", patients=20, executor="serial",
...                        overrides={"simulation.scale": 0.01})  # doctest: +SKIP
>>> res.analyses[["arm", "endpoint", "effect", "pvalue"]]  # doctest: +SKIP
"""

from __future__ import annotations

from alssim.trials.results import TrialResult
from alssim.trials.run import run_trial
from alssim.trials.spec import (
    ENDPOINTS,
    Arm,
    Entry,
    TrialSettings,
    TrialSpec,
    Visits,
    load_trial,
    spec_from_dict,
)

__all__ = [
    "ENDPOINTS",
    "Arm",
    "Entry",
    "TrialResult",
    "TrialSettings",
    "TrialSpec",
    "Visits",
    "load_trial",
    "run_trial",
    "spec_from_dict",
]
