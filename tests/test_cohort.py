"""Cohorts: sampled patient attributes, derived configs, executors, save/load, resume, CLI."""

from __future__ import annotations

import concurrent.futures as cf
import importlib.util
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import alssim
from alssim.anatomy import ONSET_SITES
from alssim.batch import derive_seed, flatten_summary, table_to_csv
from alssim.cli.main import main
from alssim.cohort import load_cohort
from alssim.fileio import OutputExistsError
from alssim.patients import EXPOSURES, GENOTYPES, TARGETS, derive_config, sample_patient
from tests.conftest import SMALL, small_config

N_SAMPLE = 3000


@pytest.fixture(scope="module")
def cfg():
    return small_config()


@pytest.fixture(scope="module")
def sampled(cfg):
    """Attributes of N_SAMPLE patients (no simulation)."""
    return [sample_patient(cfg, np.random.SeedSequence(derive_seed(11, i)))
            for i in range(N_SAMPLE)]


# ----------------------------------------------------------------------- sampling statistics
def test_onset_sites_follow_the_configured_distribution(cfg, sampled):
    counts = np.array([sum(p.onset.site == s for p in sampled) for s in ONSET_SITES])
    expected = np.array(cfg.onset.site_probabilities()) * N_SAMPLE
    assert stats.chisquare(counts, expected).pvalue > 1e-4
    # side: upper-limb onsets on the dominant side with p_dominant_upper_limb
    arm = [p for p in sampled if p.onset.site == "upper_limb"]
    k = sum(p.onset.side == cfg.onset.dominant_side for p in arm)
    assert stats.binomtest(k, len(arm), cfg.onset.p_dominant_upper_limb).pvalue > 1e-4
    # compartment: bulbar onset has its own shares (p_compartment_*_bulbar)
    for bulbar in (True, False):
        group = [p for p in sampled if (p.onset.site == "bulbar") == bulbar]
        comps = np.array([sum(p.onset.compartment == c for p in group)
                          for c in ("both", "lmn", "umn")])
        probs = np.array(cfg.onset.compartment_probabilities("bulbar" if bulbar else None))
        assert stats.chisquare(comps, probs * len(group)).pvalue > 1e-4


def test_genotypes_sex_and_exposures_follow_the_configured_shares(cfg, sampled):
    c = cfg.cohort
    counts = np.array([sum(p.genotype == g for p in sampled) for g in GENOTYPES])
    shares = np.array([getattr(c.genotypes, g).share for g in GENOTYPES])
    assert stats.chisquare(counts, shares * N_SAMPLE).pvalue > 1e-4
    men = sum(p.sex == "male" for p in sampled)
    assert stats.binomtest(men, N_SAMPLE, c.p_male).pvalue > 1e-4
    for name in EXPOSURES:
        k = sum(name in p.exposures for p in sampled)
        assert stats.binomtest(k, N_SAMPLE, getattr(c.exposures, name).prevalence).pvalue > 1e-4


def test_age_and_speed_distributions(cfg, sampled):
    c = cfg.cohort
    sporadic = [p for p in sampled if p.genotype == "sporadic"]
    ages = np.array([p.age_years for p in sporadic])
    assert ages.min() >= c.age_min_years and ages.max() <= c.age_max_years
    a = (c.age_min_years - c.age_mean_years) / c.age_sd_years
    b = (c.age_max_years - c.age_mean_years) / c.age_sd_years
    law = stats.truncnorm(a, b, loc=c.age_mean_years, scale=c.age_sd_years)
    assert stats.kstest(ages, law.cdf).pvalue > 1e-4
    # log speed = log(age factor) + log(onset-compartment factor) + sigma * Z (sporadic)
    def onset_factor(p):
        lmn = getattr(c, "lmn_onset_speed", 1.0)
        return lmn if p.onset.compartment == "lmn" else 1.0

    z = np.array([(math.log(p.speed / onset_factor(p)) - (p.age_years - c.reference_age_years)
                   / 10 * math.log(c.age_speed_per_decade)) / c.speed_sigma for p in sporadic])
    assert stats.kstest(z, "norm").pvalue > 1e-4
    # FUS patients are younger, as configured
    fus = [p.age_years for p in sampled if p.genotype == "fus"]
    assert np.mean(fus) < ages.mean() - 10


def test_attributes_depend_only_on_the_patient_seed(cfg):
    root = np.random.SeedSequence(derive_seed(3, 7))
    a, b = sample_patient(cfg, root), sample_patient(cfg, np.random.SeedSequence(root.entropy))
    assert a == b
    # changing one distribution does not reshuffle the other attributes (one uniform each)
    other = cfg.with_overrides({"cohort.p_male": 0.0})
    c = sample_patient(other, root)
    assert c.sex == "female"
    assert (c.genotype, c.age_years, c.speed, c.exposures, c.onset) == \
        (a.genotype, a.age_years, a.speed, a.exposures, a.onset)


# ----------------------------------------------------------------------- effects
def _neutral(cfg, **more):
    over = {"cohort.speed_sigma": 0.0, "cohort.age_speed_per_decade": 1.0}
    for name in ("lmn_onset_retrograde", "lmn_onset_speed", "lmn_onset_segmental",
                 "umn_onset_anterograde"):
        if hasattr(cfg.cohort, name):  # onset-compartment phenotype factors, when present
            over[f"cohort.{name}"] = 1.0
    for e in EXPOSURES:
        over[f"cohort.exposures.{e}.prevalence"] = 0.0
    over.update(more)
    return cfg.with_overrides(over)


def test_genotype_and_exposure_multipliers_are_applied_exactly(cfg):
    over = {f"cohort.genotypes.{g}.share": 0.0 for g in GENOTYPES}
    over.update({"cohort.genotypes.sod1_a4v.share": 1.0, "cohort.age_sd_years": 0.0,
                 "cohort.exposures.lead.prevalence": 1.0})
    c = _neutral(cfg, **over)
    p = sample_patient(c, np.random.SeedSequence(5))
    g = c.cohort.genotypes.sod1_a4v
    assert p.genotype == "sod1_a4v" and p.exposures == ("lead",)
    assert p.speed == pytest.approx(g.speed)
    lead = c.cohort.exposures.lead
    assert lead.mechanism == "oxidative_stress"
    assert p.rel["oxidative_stress"] == pytest.approx(g.oxidative_stress * lead.multiplier)
    d = derive_config(c, p)
    s = p.speed
    assert d.spread.local_growth_rate == pytest.approx(c.spread.local_growth_rate * s)
    assert d.spread.caudal_rate == pytest.approx(c.spread.caudal_rate * s)
    assert d.mechanisms.pathology.hazard_rate == pytest.approx(
        c.mechanisms.pathology.hazard_rate * s)
    assert d.mechanisms.oxidative_stress.level == pytest.approx(
        c.mechanisms.oxidative_stress.level * g.oxidative_stress * lead.multiplier)
    assert d.mechanisms.inflammation.response_rate == pytest.approx(
        c.mechanisms.inflammation.response_rate * s)
    assert (d.onset.mode, d.onset.segment, d.onset.side) == ("fixed", p.onset.segment,
                                                             p.onset.side)
    assert set(p.rel) == set(TARGETS)


def test_a_faster_genotype_loses_neurons_sooner(cfg):
    """Metamorphic: the same patient seed with A4V speed loses its onset pool no later."""
    only = {f"cohort.genotypes.{g}.share": 0.0 for g in GENOTYPES}
    slow = _neutral(cfg, **{**only, "cohort.genotypes.sporadic.share": 1.0})
    fast = _neutral(cfg, **{**only, "cohort.genotypes.sod1_a4v.share": 1.0,
                            "cohort.genotypes.sod1_a4v.age_shift_years": 0.0})
    a = alssim.run_cohort(slow, 3, seed=2, executor="serial", progress=False,
                          outputs=["loss_months.*"]).patients
    b = alssim.run_cohort(fast, 3, seed=2, executor="serial", progress=False,
                          outputs=["loss_months.*"]).patients
    cols = [c for c in a.columns if c.startswith("loss_months.")]
    assert (b[cols].fillna(1e9).to_numpy() <= a[cols].fillna(1e9).to_numpy() + 1e-9).all()
    assert (b[cols].fillna(1e9).to_numpy() < a[cols].fillna(1e9).to_numpy()).any()


def test_cohort_patient_is_the_single_run_with_its_seed(cfg):
    cohort = alssim.run_cohort(cfg, 3, seed=4, executor="serial", progress=False,
                               keep_trajectories=[1])
    row = cohort.patients.iloc[1]
    assert row["seed"] == derive_seed(4, 1)
    res = cohort.simulate_patient(1)
    assert np.array_equal(res["dead"], cohort.trajectories[1]["dead"])
    flat = flatten_summary(res.summary)
    for k, v in flat.items():
        if isinstance(v, float):
            assert row[k] == v, k
    # with every effect neutral, a cohort patient is exactly `simulate` with sampled onset
    neutral = _neutral(cfg)
    only = alssim.run_cohort(neutral, 2, seed=4, executor="serial", progress=False)
    direct = alssim.simulate(neutral.with_overrides({"onset.mode": "sampled"}),
                             seed=derive_seed(4, 0))
    got = only.patients.iloc[0]
    assert got["onset.segment"] == direct.onset.segment
    for k, v in flatten_summary(direct.summary).items():
        if isinstance(v, float) and not k.startswith("cohort"):
            assert got[k] == v, k


# ----------------------------------------------------------------------- executors
@pytest.mark.slow
def test_identical_tables_on_every_executor(cfg):
    from distributed import Client, LocalCluster

    kw = {"progress": False, "outputs": ["onset.*", "loss_months.lmn:*"]}
    serial = alssim.run_cohort(cfg, 5, seed=9, executor="serial", **kw)
    ref = table_to_csv(serial.patients)
    ref_sweep = table_to_csv(alssim.sweep(
        cfg, {"spread.caudal_rate": [0.01, 0.03]}, replicates=2, seed=9, executor="serial",
        heterogeneity=True, **kw).runs)
    procs = alssim.run_cohort(cfg, 5, seed=9, workers=2, chunksize=2, **kw)
    assert table_to_csv(procs.patients) == ref
    assert json.dumps(procs.summary) == json.dumps(serial.summary)
    with cf.ThreadPoolExecutor(3) as pool:
        assert table_to_csv(alssim.run_cohort(cfg, 5, seed=9, executor=pool, **kw).patients) \
            == ref
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        assert table_to_csv(alssim.run_cohort(cfg, 5, seed=9, executor=client,
                                              **kw).patients) == ref
        assert table_to_csv(alssim.sweep(
            cfg, {"spread.caudal_rate": [0.01, 0.03]}, replicates=2, seed=9, executor=client,
            heterogeneity=True, **kw).runs) == ref_sweep


def test_bad_executor_is_a_config_error(cfg):
    with pytest.raises(alssim.ConfigError, match="executor"):
        alssim.run_cohort(cfg, 2, executor="gpu", progress=False)
    with pytest.raises(alssim.ConfigError, match="'n'"):
        alssim.run_cohort(cfg, 0, progress=False)
    with pytest.raises(alssim.ConfigError, match="keep_trajectories"):
        alssim.run_cohort(cfg, 2, keep_trajectories=[5], progress=False)


# ----------------------------------------------------------------------- files
def test_save_load_roundtrip_and_bounded_trajectories(cfg, tmp_path):
    cohort = alssim.run_cohort(cfg, 4, seed=1, executor="serial", progress=False)
    assert cohort.trajectories == {}
    kept = alssim.run_cohort(cfg, 4, seed=1, executor="serial", progress=False,
                             keep_trajectories=2)
    assert sorted(kept.trajectories) == [0, 3]
    pd.testing.assert_frame_equal(kept.patients, cohort.patients)
    kept.save(tmp_path / "c")
    back = load_cohort(tmp_path / "c")
    pd.testing.assert_frame_equal(back.patients, kept.patients)
    assert back.summary == kept.summary and back.config == cfg
    assert np.array_equal(back.trajectories[3]["alive"], kept.trajectories[3]["alive"])
    with pytest.raises(OutputExistsError):
        kept.save(tmp_path / "c")
    s = cohort.summary
    assert s["n_patients"] == 4
    assert sum(s["attributes"]["genotype"].values()) == pytest.approx(1.0)
    json.dumps(s, allow_nan=False)


def test_out_dir_resumes_and_refuses_another_cohort(cfg, tmp_path):
    out = tmp_path / "cohort"
    first = alssim.run_cohort(cfg, 4, seed=2, executor="serial", progress=False, out=out,
                              keep_trajectories=1)
    csv = (out / "patients.csv").read_bytes()
    assert csv == table_to_csv(first.patients).encode()
    records = sorted((out / "runs").rglob("*.json"))
    assert len(records) == 4
    # simulate an interruption: two records lost; a rerun redoes only those
    stamps = {p: p.stat().st_mtime_ns for p in records}
    records[1].unlink()
    records[3].unlink()
    again = alssim.run_cohort(cfg, 4, seed=2, executor="serial", progress=False, out=out,
                              keep_trajectories=1)
    assert (out / "patients.csv").read_bytes() == csv
    assert records[0].stat().st_mtime_ns == stamps[records[0]]
    assert sorted(again.trajectories) == [0]
    with pytest.raises(OutputExistsError, match="different specification"):
        alssim.run_cohort(cfg, 5, seed=2, executor="serial", progress=False, out=out)
    alssim.run_cohort(cfg, 2, seed=2, executor="serial", progress=False, out=out, force=True)
    assert len(list((out / "runs").rglob("*.json"))) == 2
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="not an alssim run folder"):
        alssim.run_cohort(cfg, 2, executor="serial", progress=False, out=tmp_path / "other")


def test_cli_cohort(tmp_path, capsys):
    sets = [a for k, v in SMALL.items() for a in ("--set", f"{k}={v}")]
    out = tmp_path / "c"
    argv = ["cohort", "configs/default.toml", "--n", "3", "--seed", "5", "--out", str(out),
            "--workers", "1", "--quiet", *sets]
    assert main(argv) == 0
    assert "3 patients" in capsys.readouterr().out
    table = pd.read_csv(out / "patients.csv")
    assert list(table["patient"]) == [0, 1, 2]
    assert json.loads((out / "summary.json").read_text())["n_patients"] == 3
    assert main(argv) == 0  # same command: a resume, not an overwrite
    assert main([*argv[:3], "4", *argv[4:]]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("alssim: error:") and "--force" in err and "\n" not in err
    assert main(["cohort", "configs/default.toml", "--n", "0", "--out", str(tmp_path / "z")]) == 1
    assert main(["cohort", "configs/default.toml", "--n", "2", "--quiet", "--workers", "1",
                 "--out", str(tmp_path / "y"), "--set", "cohort.genotypes.fus.share=0.5"]) == 1
    assert "cohort.genotypes.sporadic.share" in capsys.readouterr().err
    if importlib.util.find_spec("pyarrow") is not None:  # --parquet writes the typed table too
        assert main([*argv[:7], str(tmp_path / "p"), *argv[8:], "--parquet"]) == 0
        assert "patients.parquet" in capsys.readouterr().out
        assert pd.read_parquet(tmp_path / "p" / "patients.parquet")["patient"].tolist() == \
            [0, 1, 2]


def test_cohort_config_errors_name_the_key(cfg):
    with pytest.raises(alssim.ConfigError) as e:
        cfg.with_overrides({"cohort.exposures.lead.mechanism": "oxidative"})
    assert e.value.key == "cohort.exposures.lead.mechanism"
    assert "oxidative_stress" in str(e.value)
    with pytest.raises(alssim.ConfigError) as e:
        cfg.with_overrides({"cohort.age_min_years": 99.0})
    assert e.value.key == "cohort.age_min_years"
    with pytest.raises(alssim.ConfigError) as e:
        alssim.load_config(overrides={"cohort.speed_sigm": 0.2})
    assert "did you mean 'cohort.speed_sigma'" in str(e.value)


def test_patient_config_carries_the_genotype_for_genotype_specific_treatments(cfg):
    """Tofersen acts in SOD1 carriers only: the derived config names each patient's genotype."""
    seen = set()
    for i in range(400):
        attrs = sample_patient(cfg, np.random.SeedSequence(derive_seed(3, i)))
        pcfg = derive_config(cfg, attrs)
        assert pcfg.interventions.genotype == attrs.genotype
        seen.add(attrs.genotype)
    assert "sporadic" in seen and len(seen) > 1


def test_cohort_seed_beyond_simulation_seed_range_is_refused():
    cfg = alssim.load_config("configs/default.toml")
    with pytest.raises(alssim.ConfigError, match=r"'seed'.*9223372036854775807"):
        alssim.run_cohort(cfg, 2, seed=2**70, workers=1, progress=False)


def test_a_cohort_saved_with_parquet_holds_the_same_table_with_its_types(tmp_path):
    pytest.importorskip("pyarrow")
    cfg = small_config()
    cohort = alssim.run_cohort(cfg, 4, seed=2, executor="serial", progress=False,
                               out=tmp_path / "c", parquet=True)
    table = pd.read_parquet(tmp_path / "c" / "patients.parquet")
    assert list(table.columns) == list(cohort.patients.columns)
    for col in table.columns:  # the same values and missing cells, column by column
        a, b = table[col], cohort.patients[col]
        assert a.isna().tolist() == b.isna().tolist(), col
        assert a[a.notna()].tolist() == b[b.notna()].tolist(), col
        if b.dtype.kind in "fib":  # numeric and boolean columns keep their type
            assert a.dtype == b.dtype, col
    # the file is checksummed with the others: editing it makes the cohort refuse to load
    assert alssim.load_cohort(tmp_path / "c").patients.equals(cohort.patients)
    (tmp_path / "c" / "patients.parquet").write_bytes(b"edited")
    with pytest.raises(alssim.ResultFormatError, match="checksum mismatch"):
        alssim.load_cohort(tmp_path / "c")


def test_parquet_without_pyarrow_says_how_to_install_it(monkeypatch, tmp_path):
    import sys

    from alssim.batch import table_to_parquet

    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if it were not installed
    with pytest.raises(alssim.AlssimError, match=r"pip install 'alssim\[parquet\]'"):
        table_to_parquet(pd.DataFrame({"a": [1]}))
    # a cohort or sweep asked for Parquet stops before any run, and writes nothing
    with pytest.raises(alssim.AlssimError, match="needs pyarrow"):
        alssim.run_cohort(small_config(), 2, seed=1, executor="serial", progress=False,
                          out=tmp_path / "c", parquet=True)
    with pytest.raises(alssim.AlssimError, match="needs pyarrow"):
        alssim.sweep(small_config(), {"spread.caudal_rate": [0.01]}, executor="serial",
                     progress=False, out=tmp_path / "s", parquet=True)
    assert not (tmp_path / "c").exists() and not (tmp_path / "s").exists()


def test_a_saved_cohort_table_is_read_with_its_checksummed_schema(tmp_path):
    cfg = small_config()
    cohort = alssim.run_cohort(cfg, 4, seed=2, executor="serial", progress=False,
                               out=tmp_path / "c")
    schema_file = tmp_path / "c" / "patients.schema.json"
    kinds = dict(alssim.batch.TableSchema.from_json(schema_file.read_text()).columns)
    assert list(kinds) == list(cohort.patients.columns)
    assert kinds["patient"] == "int" and kinds["genotype"] == "str"
    assert kinds["clinical.survival_months"] == "float"
    meta = json.loads((tmp_path / "c" / "cohort.json").read_text())
    assert "patients.schema.json" in meta["sha256"]
    back = alssim.load_cohort(tmp_path / "c")
    pd.testing.assert_frame_equal(back.patients, cohort.patients, check_exact=True)
    # the schema, not the text, says what a column is: declared float, the ids read as floats
    text = schema_file.read_text()
    edited = text.replace('{"name": "patient", "kind": "int"}',
                          '{"name": "patient", "kind": "float"}')
    assert edited != text
    schema_file.write_text(edited)
    with pytest.raises(alssim.ResultFormatError, match="checksum mismatch"):
        alssim.load_cohort(tmp_path / "c")  # it is checksummed with the table
    from alssim.fileio import sha256_file
    from alssim.results import meta_digest

    meta["sha256"]["patients.schema.json"] = sha256_file(schema_file)
    meta["meta_sha256"] = meta_digest(meta)
    (tmp_path / "c" / "cohort.json").write_text(json.dumps(meta))
    patient = alssim.load_cohort(tmp_path / "c").patients["patient"]
    assert patient.dtype == np.float64 and patient.tolist() == [0.0, 1.0, 2.0, 3.0]
