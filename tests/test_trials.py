"""Virtual trials: spec validation, entry criteria, common random numbers, the null rejection
rate, and the CLI end to end. Small patients (scale 0.01, two-week steps) and small arms."""

from __future__ import annotations

import copy
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import tomli_w
from scipy import stats

import alssim
from alssim import survival
from alssim.cli.main import main
from alssim.trials import load_trial, run_trial, spec_from_dict

MODEL = {
    "simulation.scale": 0.01,
    "simulation.horizon_years": 6.0,
    "simulation.dt_days": 14.0,
    "simulation.output_interval_days": 28.0,
}

SPEC = {
    "trial": {"name": "test", "description": "small test trial", "config": "",
              "control": "placebo", "patients": [12], "replicates": 1, "seed": 5, "crn": False,
              "population": 0, "alpha": 0.05, "max_screened": 5000},
    "entry": {"at": "diagnosis", "delay_months": 0.0, "min_item_score": 0, "min_alsfrs_r": 0,
              "max_alsfrs_r": 48, "min_bulbar_domain": 0, "max_bulbar_domain": 12,
              "min_fvc_percent": 0.0, "max_fvc_percent": 200.0, "max_disease_months": 1200.0,
              "genotypes": [], "run_in_weeks": 0.0, "run_in_min_decline": -48.0,
              "run_in_max_decline": 48.0},
    "visits": {"interval_weeks": 8.0, "follow_up_weeks": 24.0, "endpoint_week": 24.0,
               "survival_weeks": 0.0},
    "arms": {"placebo": {"ratio": 1, "treatments": [], "start_weeks": 0.0},
             "riluzole": {"ratio": 1, "treatments": ["riluzole"], "start_weeks": 0.0}},
    "model": MODEL,
}


def spec(**changes):
    """A copy of SPEC with dotted-key ``changes`` (``"trial.patients"``)."""
    s = copy.deepcopy(SPEC)
    for key, value in changes.items():
        node = s
        *parts, last = key.split(".")
        for p in parts:
            node = node[p]
        node[last] = value
    return s


def test_shipped_trials_validate():
    from alssim.config.loader import configs_dir

    files = sorted((configs_dir() / "trials").glob("*.toml"))
    assert len(files) >= 5
    for f in files:
        s = load_trial(f)
        s.model_config()
        assert s.trial.control in s.arms


@pytest.mark.parametrize("key,value,match", [
    ("trial.patiens", 3, r"'trial\.patiens'.*did you mean 'trial\.patients'"),
    ("trial.patients", [1], r"'trial\.patients\[0\]'"),
    ("trial.alpha", 1.5, r"'trial\.alpha'"),
    ("trial.control", "placebos", r"'trial\.control'.*did you mean 'placebo'"),
    ("entry.at", "diagnosed", r"'entry\.at'"),
    ("entry.min_item_score", 5, r"'entry\.min_item_score'"),
    ("entry.min_el_escorial", "probabl",
     r"'entry\.min_el_escorial'.*'none', 'possible', 'probable_laboratory_supported', "
     r"'probable', 'definite'.*did you mean 'probable'"),
    ("entry", {**SPEC["entry"], "min_fvc_percent": 90.0, "max_fvc_percent": 80.0},
     r"'entry\.min_fvc_percent'.*max_fvc_percent"),
    ("visits.endpoint_week", 30.0, r"'visits\.endpoint_week'"),
    ("arms.riluzole.treatments", ["riluzol"], r"'arms\.riluzole\.treatments\[0\]'"),
    ("arms.riluzole.ratio", 0, r"'arms\.riluzole\.ratio'"),
    ("model", {"simulation.scal": 0.01}, r"'simulation\.scal'"),
])
def test_bad_specs_name_the_key(key, value, match):
    with pytest.raises(alssim.ConfigError, match=match):
        s = spec_from_dict(spec(**{key: value}), source="t.toml")
        s.model_config()


def test_bad_spec_file_names_the_key(tmp_path):
    bad = spec(**{"visits.interval_weeks": -1.0})
    path = tmp_path / "bad.toml"
    path.write_text(tomli_w.dumps(bad))
    with pytest.raises(alssim.ConfigError, match=r"bad\.toml.*'visits\.interval_weeks'"):
        load_trial(path)
    s = spec()
    del s["arms"]["riluzole"]
    with pytest.raises(alssim.ConfigError, match=r"'arms'"):
        spec_from_dict(s)


@pytest.fixture(scope="module")
def enriched():
    s = spec(**{"entry.min_item_score": 2, "entry.min_fvc_percent": 80.0,
                "entry.max_disease_months": 24.0, "trial.patients": [16]})
    return run_trial(s, executor="serial")


@pytest.mark.slow
def test_entry_criteria_filter(enriched):
    p = enriched.patients
    assert len(p) == 16
    assert (p["baseline_fvc_percent"] >= 80.0).all()
    assert (p["entry_months_from_onset"] <= 24.0).all()
    assert enriched.screening["screened"] > enriched.screening["eligible"] == 16
    assert sum(enriched.screening["excluded"].values()) > 0
    # the item criterion, checked on each patient's untreated course
    from alssim.anatomy import ALSFRS_ITEMS
    from alssim.patients import derive_config, sample_patient

    cfg = enriched.config
    for _, row in p.head(4).iterrows():
        pc = derive_config(cfg, sample_patient(cfg, np.random.SeedSequence(int(row["seed"]))))
        course = alssim.simulate(pc, seed=int(row["seed"])).clinical
        diag = course.clinical_onset_months + course.events["diagnosis"]["months"]
        k = int(np.searchsorted(course.times_months, diag - 1e-9))
        assert min(course[f"alsfrs_r_{n}"][k] for n in ALSFRS_ITEMS) >= 2
        assert int(course["alsfrs_r"][k]) == row["baseline_alsfrs_r"]


def test_el_escorial_entry_is_optional_and_accepted():
    assert spec_from_dict(spec()).entry.min_el_escorial == "none"  # left out: anyone
    s = spec_from_dict(spec(**{"entry.min_el_escorial": "probable_laboratory_supported"}))
    assert s.entry.min_el_escorial == "probable_laboratory_supported"
    again = spec_from_dict(s.to_dict())
    assert again.entry == s.entry


@pytest.mark.slow
def test_el_escorial_entry_filters():
    """Only definite or probable ALS at entry, read on each patient's untreated course."""
    from alssim.clinical.diagnosis import EL_ESCORIAL_LABELS
    from alssim.patients import derive_config, sample_patient

    r = run_trial(spec(**{"entry.min_el_escorial": "probable", "trial.patients": [8]}),
                  executor="serial")
    p = r.patients
    assert len(p) == 8
    assert set(p["baseline_el_escorial"]) <= {"probable", "definite"}
    assert r.screening["excluded"].get("El Escorial category", 0) > 0
    cfg = r.config
    for _, row in p.head(3).iterrows():
        pc = derive_config(cfg, sample_patient(cfg, np.random.SeedSequence(int(row["seed"]))))
        course = alssim.simulate(pc, seed=int(row["seed"])).clinical
        entry_t = course.clinical_onset_months + row["entry_months_from_onset"]
        k = int(np.searchsorted(course.times_months, entry_t - 1e-9))
        code = int(course["el_escorial"][k])
        assert code >= EL_ESCORIAL_LABELS.index("probable")
        assert EL_ESCORIAL_LABELS[code] == row["baseline_el_escorial"]
    # the same screening without the criterion admits lower categories
    broad = run_trial(spec(**{"trial.patients": [8]}), executor="serial")
    assert not set(broad.patients["baseline_el_escorial"]) <= {"probable", "definite"}
    assert "El Escorial category" not in broad.screening["excluded"]


@pytest.mark.slow
def test_randomisation_ratio_and_reproducibility():
    s = spec(**{"arms.placebo.ratio": 1, "arms.riluzole.ratio": 2, "trial.patients": [12]})
    a = run_trial(s, executor="serial")
    counts = a.patients["arm"].value_counts()
    assert counts["placebo"] == 4 and counts["riluzole"] == 8
    b = run_trial(s, executor="serial")
    assert a.analyses.equals(b.analyses)
    assert a.patients.equals(b.patients)


def test_crn_gives_identical_baselines_and_same_patients():
    r = run_trial(spec(**{"trial.crn": True, "trial.patients": [16]}), executor="serial")
    p = r.patients
    ctrl = p[p["arm"] == "placebo"].reset_index(drop=True)
    trt = p[p["arm"] == "riluzole"].reset_index(drop=True)
    assert len(ctrl) == len(trt) == 8
    for col in ("patient", "seed", "genotype", "age_years", "baseline_alsfrs_r",
                "baseline_fvc_percent", "baseline_kings", "entry_months_from_onset"):
        assert ctrl[col].equals(trt[col]), col
    # riluzole never shortens survival of the same virtual patient
    assert (trt["survival_months"] >= ctrl["survival_months"] - 1e-9).all()


@pytest.mark.slow
def test_zero_effect_rejects_at_the_nominal_rate():
    """A treatment without effect: ~5% of replicated trials significant (binomial tolerance).

    200 replicates of 2 x 10 patients drawn from a virtual population of 160 eligible patients
    (re-randomised each time). Under H0 the count is ~Binomial(200, 0.05): mean 10; we accept
    the central 99.8% of that binomial.
    """
    s = spec(**{"trial.patients": [20], "trial.replicates": 200, "trial.population": 160,
                "model": {**MODEL, "interventions.riluzole.excitotoxicity": 1.0}})
    r = run_trial(s, workers=2)
    assert r.screening["eligible"] == 160
    for ep in ("alsfrs_r_change", "alsfrs_r_slope", "survival"):
        sel = r.analyses[r.analyses["endpoint"] == ep]
        assert len(sel) == 200
        k = int((sel["pvalue"] < 0.05).sum())
        lo, hi = stats.binom.ppf([0.001, 0.999], 200, 0.05)
        assert lo <= k <= hi + 1, (ep, k)
    # and the mean effect is near zero
    ch = r.analyses[r.analyses["endpoint"] == "alsfrs_r_change"]["effect"]
    assert abs(ch.mean()) < 4 * ch.std() / np.sqrt(len(ch)) + 0.3


@pytest.mark.slow
def test_power_against_sample_size_nests_trials():
    s = spec(**{"trial.patients": [6, 12], "trial.replicates": 3,
                "model": {**MODEL, "interventions.riluzole.excitotoxicity": 0.0}})
    r = run_trial(s, executor="serial")
    pw = r.power
    assert set(pw["patients"]) == {6, 12}
    assert set(pw["endpoint"]) == {"alsfrs_r_change", "alsfrs_r_slope", "survival",
                                   "kings_progression"}
    assert ((pw["power"] >= 0) & (pw["power"] <= 1)).all()
    a = r.analyses
    assert (a[a["patients"] == 6]["n_control"] + a[a["patients"] == 6]["n_treated"] == 6).all()


@pytest.mark.slow
def test_cli_end_to_end(tmp_path, capsys):
    path = tmp_path / "trial.toml"
    path.write_text(tomli_w.dumps(spec(**{"trial.patients": [8]})))
    out = tmp_path / "out"
    args = ["trial", str(path), "--out", str(out), "--workers", "1", "--quiet",
            "--set", "simulation.scale=0.01"]
    assert main(args) == 0
    for f in ("summary.json", "analyses.csv", "power.csv", "patients.csv", "trial.toml",
              "config.toml"):
        assert (out / f).is_file(), f
    summary = json.loads((out / "summary.json").read_text())
    assert summary["control"] == "placebo" and "riluzole" in summary["effects"]
    assert "riluzole vs placebo" in capsys.readouterr().out
    # the written spec runs again and gives the same analyses
    again = run_trial(out / "trial.toml", executor="serial")
    import pandas as pd

    saved = pd.read_csv(out / "analyses.csv")
    np.testing.assert_allclose(saved["effect"], again.analyses["effect"], rtol=1e-9,
                               equal_nan=True)
    # no overwrite without --force
    assert main(args) == 1
    assert "not empty" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0
    # a bad spec is one line naming the key
    bad = tmp_path / "bad.toml"
    bad.write_text(tomli_w.dumps(spec(**{"entry.at": "diagnosed"})))
    assert main(["trial", str(bad), "--out", str(tmp_path / "o2")]) == 1
    assert "'entry.at'" in capsys.readouterr().err


def test_an_underflowed_p_value_is_never_reported_as_zero():
    from alssim.trials.analysis import mean_difference

    rng = np.random.default_rng(3)
    x = rng.normal(0.0, 1e-3, 60)
    est, lo, hi, p = mean_difference(x, x + 1e3 + rng.normal(0.0, 1e-3, 60), False, 0.05)
    assert est == pytest.approx(1e3, rel=1e-3) and lo < est < hi
    assert p == 1e-300  # 2 t.sf(~10^6) underflows to 0: given as the bound
    # zero spread with a difference: the bound too, not an exact 0
    assert mean_difference(np.zeros(5), np.ones(5), True, 0.05)[3] == 1e-300


def test_trial_report_and_summary_print_a_tiny_p_value_as_a_bound(tmp_path, capsys,
                                                                 monkeypatch):
    """A p value that underflows is ``p < 1e-300`` in the report and never 0 in the summary;
    small ones keep their significant digits."""
    path = tmp_path / "trial.toml"
    path.write_text(tomli_w.dumps(spec(**{"trial.patients": [8]})))
    # extreme evidence: every test's tail probability underflows to 0 (ALSFRS-R endpoints),
    # or is tiny (survival endpoints)
    def with_pvalue(test, p):
        def patched(*args, **kwargs):
            res = test(*args, **kwargs)
            return SimpleNamespace(statistic=res.statistic, pvalue=p,
                                   confidence_interval=getattr(res, "confidence_interval", None))
        return patched

    monkeypatch.setattr(stats, "ttest_rel", with_pvalue(stats.ttest_rel, 0.0))
    monkeypatch.setattr(stats, "ttest_ind", with_pvalue(stats.ttest_ind, 0.0))
    monkeypatch.setattr(survival, "logrank", with_pvalue(stats.logrank, 3.2e-12))  # its name
    out = tmp_path / "out"
    assert main(["trial", str(path), "--out", str(out), "--workers", "1", "--quiet",
                 "--set", "simulation.scale=0.01"]) == 0
    report = capsys.readouterr().out
    assert "p = 0)" not in report and "p = 0 " not in report
    assert "alsfrs_r_change: difference" in report and "(p < 1e-300)" in report, report
    effects = json.loads((out / "summary.json").read_text())["effects"]["riluzole"]
    change = effects["alsfrs_r_change"]
    assert change["pvalue"] == 1e-300 and change["pvalue_text"] == "p < 1e-300"
    # 3.2e-12 is no longer rounded to 0 at six decimals
    assert effects["survival"]["pvalue"] == 3.2e-12
    assert effects["survival"]["pvalue_text"] == "p = 3.2e-12"


def test_a_lost_executor_is_one_line_saying_how_far_the_trial_got():
    from concurrent.futures import ThreadPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from alssim.executors import BackendLostError

    class DiesAfterThree(ThreadPoolExecutor):
        """A pool whose workers all die at its fourth task."""

        submitted = 0

        def submit(self, fn, /, *args, **kwargs):
            self.submitted += 1
            if self.submitted > 3:
                raise BrokenProcessPool("A child process terminated abruptly")
            return super().submit(fn, *args, **kwargs)

    with DiesAfterThree(max_workers=1) as pool, pytest.raises(BackendLostError) as info:
        run_trial(spec(**{"trial.patients": [40]}), executor=pool)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith("a worker process ended abruptly")
    assert "the trial stopped after screening" in msg and "nothing was written" in msg


@pytest.mark.slow
def test_a_saved_trial_loads_back_identical_and_prints_a_few_lines(enriched, tmp_path):
    from alssim.trials import TrialResult

    enriched.save(tmp_path / "trial")
    back = TrialResult.load(tmp_path / "trial")
    for name in ("patients", "analyses", "power"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(enriched, name))
    assert back.summary == enriched.summary and back.spec.to_dict() == enriched.spec.to_dict()
    assert back.to_dataframe().equals(enriched.analyses)
    text = repr(enriched)
    assert text.startswith("<alssim TrialResult") and len(text.splitlines()) <= 3
