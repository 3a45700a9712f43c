"""Engine: analytic survival, exact vs reference stepper, invariants, metamorphic relations."""

from __future__ import annotations

import copy
import dataclasses
import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import alssim
from alssim.anatomy import EDGE_KINDS
from alssim.population import build_population
from alssim.streams import as_seed_sequence
from tests.conftest import small_config

# Only the ageing hazard is on, so the regional hazard factor is a known constant.
CONSTANT_HAZARD = {
    "mechanisms.pathology.enabled": False,
    "mechanisms.inflammation.enabled": False,
    "mechanisms.excitotoxicity.enabled": False,
    "mechanisms.oxidative_stress.enabled": False,
    "mechanisms.ageing.enabled": True,
}
UNIFORM_NEURONS = {
    "neurons.vulnerability_sigma": 0.0,
    "neurons.vulnerability_s": 1.0,
    "neurons.vulnerability_fr": 1.0,
    "neurons.vulnerability_ff": 1.0,
}


def test_constant_hazard_gives_exponential_survival():
    """alive/N = exp(-v*lambda*t); ever-dysfunctional = 1 - exp(-c*v*lambda*t) (v = 1)."""
    lam, c = 0.05, 3.0
    cfg = small_config(
        **CONSTANT_HAZARD,
        **UNIFORM_NEURONS,
        **{
            "mechanisms.ageing.hazard_rate": lam,
            "neurons.dysfunction_rate_ratio": c,
            "simulation.scale": 0.1,
        },
    )
    res = alssim.simulate(cfg, seed=11)
    t = res.times_months[:, None]
    n = res.counts[None, :].astype(float)
    x = lam * t
    p_alive = np.exp(-x)
    p_dys = (1 - np.exp(-c * x)) * np.exp(-x)  # dysfunction passed, death not yet
    # tolerance: 5 binomial standard deviations (plus one neuron for rounding)
    for observed, p in ((res["alive"], p_alive), (res["dysfunctional"], p_dys)):
        sd = np.sqrt(n * p * (1 - p))
        assert np.all(np.abs(observed - n * p) <= 5 * sd + 1), np.max(
            np.abs(observed - n * p) / (sd + 1)
        )
    assert res["hazard"][1:] == pytest.approx(lam)


def test_heterogeneous_vulnerability_gives_mixture_survival():
    """With lognormal vulnerabilities, E[alive](t) = sum_i exp(-v_i * lambda * t)."""
    lam = 0.04
    cfg = small_config(
        **CONSTANT_HAZARD,
        **{"mechanisms.ageing.hazard_rate": lam, "neurons.vulnerability_sigma": 0.8},
    )
    res = alssim.simulate(cfg, seed=5)
    pop = build_population(cfg, as_seed_sequence(5))
    for p in (0, 13):  # one UMN and one LMN population
        v = pop.vulnerability[pop.slice(p)].astype(float)
        for k in (12, 36, len(res.times_months) - 1):
            prob = np.exp(-v * lam * res.times_months[k])
            expected, sd = prob.sum(), np.sqrt((prob * (1 - prob)).sum())
            assert abs(res["alive"][k, p] - expected) <= 5 * sd + 1


def _death_interval_counts(res):
    """Deaths per record interval pooled over populations, and survivors at the end."""
    new = res["new_deaths"][1:].sum(axis=1)
    return np.append(new, res["alive"][-1].sum())


def test_exact_engine_and_reference_stepper_agree_in_distribution():
    """Chi-square two-sample test on binned death times at small N, constant hazard."""
    over = {
        **CONSTANT_HAZARD,
        **UNIFORM_NEURONS,
        "mechanisms.ageing.hazard_rate": 0.03,
        "simulation.scale": 0.004,
        "simulation.horizon_years": 4.0,
        "simulation.output_interval_days": 91.0,
    }
    exact = alssim.simulate(small_config(**over), seed=2)
    ref = alssim.simulate(small_config(**over, **{"simulation.engine": "reference"}), seed=2)
    table = np.vstack([_death_interval_counts(exact), _death_interval_counts(ref)])
    _, pvalue, _, _ = stats.chi2_contingency(table)
    assert pvalue > 0.001, table
    # dysfunction too: dysfunctional counts at each record agree within binomial noise
    d_e, d_r = exact["dysfunctional"].sum(axis=1), ref["dysfunctional"].sum(axis=1)
    n = exact.counts.sum()
    assert np.all(np.abs(d_e - d_r) <= 5 * np.sqrt(2 * n * 0.25) + 2)


def test_exact_and_reference_agree_with_all_mechanisms_on():
    """Full feedback model: mean lost fraction over replicates agrees between the engines."""
    over = {
        "simulation.scale": 0.002,
        "simulation.horizon_years": 7.0,
        "simulation.dt_days": 14.0,
        "simulation.output_interval_days": 84.0,
        "mechanisms.pathology.hazard_rate": 0.06,
    }
    seeds = range(12)
    lost = {}
    for engine in ("exact", "reference"):
        cfg = small_config(**over, **{"simulation.engine": engine})
        lost[engine] = np.array(
            [
                alssim.simulate(cfg, seed=s)["dead"][-1].sum() / cfg.anatomy.counts(0.002).sum()
                for s in seeds
            ]
        )
    assert lost["exact"].mean() > 0.05
    _, pvalue = stats.ttest_ind(lost["exact"], lost["reference"], equal_var=False)
    assert pvalue > 0.001, lost


def test_default_patient_has_a_million_agents_and_scale_shrinks_all():
    cfg = alssim.load_config()
    full = cfg.anatomy.counts(1.0)
    assert full.sum() >= 1_000_000
    small = cfg.anatomy.counts(0.01)
    assert np.all(small < full) and np.all(small >= 1)
    assert small.sum() == pytest.approx(full.sum() * 0.01, rel=0.01)


def test_population_struct_of_arrays(small_cfg):
    pop = build_population(small_cfg, as_seed_sequence(1))
    n = pop.n_neurons
    for name in (
        "population",
        "vulnerability",
        "unit_type",
        "unit_size",
        "death_threshold",
        "dysfunction_threshold",
    ):
        assert getattr(pop, name).shape == (n,)
    lmn = pop.unit_type >= 0
    assert np.all(pop.unit_size[lmn] >= 1) and np.all(pop.unit_size[lmn] <= 100)
    assert np.all(pop.unit_size[~lmn] == 0)
    assert set(np.unique(pop.unit_type[lmn])) == {0, 1, 2}
    # FF units are the largest and the most vulnerable on average
    sizes = [pop.unit_size[pop.unit_type == t].mean() for t in range(3)]
    vul = [pop.vulnerability[pop.unit_type == t].mean() for t in range(3)]
    assert sizes[0] < sizes[1] < sizes[2] and vul[0] < vul[1] < vul[2]
    assert pop.vulnerability[~lmn].mean() == pytest.approx(1.0, abs=0.02)


def test_common_random_numbers_across_population_sizes():
    """Resizing one population leaves every other neuron's attributes unchanged."""
    a = small_config()
    seg = a.anatomy.segments
    anat = a.anatomy.to_dict()
    anat["segments"][0]["lmn_count"] = seg[0].lmn_count * 2
    b = a.with_overrides({"anatomy": anat})
    pa = build_population(a, as_seed_sequence(4))
    pb = build_population(b, as_seed_sequence(4))
    changed = {a.anatomy.population_index("lmn", "bulbar", s) for s in ("left", "right")}
    for p in range(a.anatomy.n_populations):
        if p in changed:
            continue
        for name in ("vulnerability", "death_threshold", "dysfunction_threshold", "unit_size"):
            assert np.array_equal(getattr(pa, name)[pa.slice(p)], getattr(pb, name)[pb.slice(p)])


def test_switching_a_mechanism_off_keeps_the_neurons():
    on = small_config()
    off = small_config(**{"mechanisms.inflammation.enabled": False})
    pa, pb = build_population(on, as_seed_sequence(9)), build_population(off, as_seed_sequence(9))
    assert np.array_equal(pa.death_threshold, pb.death_threshold)
    ra, rb = alssim.simulate(on, seed=9), alssim.simulate(off, seed=9)
    assert ra.onset == rb.onset
    assert np.all(rb["dead"] <= ra["dead"])  # less amplification never kills more


def test_zero_spread_keeps_pathology_at_onset():
    zero = {f"spread.{k}_rate": 0.0 for k in EDGE_KINDS}
    res = alssim.simulate(small_config(**zero), seed=1)
    seeded = set(res.onset.populations(res.anatomy))
    for p in range(res.anatomy.n_populations):
        if p in seeded:
            assert res["pathology"][-1, p] > 0.5
        else:
            assert np.all(res["pathology"][:, p] == 0)


def test_pathology_spreads_to_the_other_side_and_neighbours(small_result):
    res = small_result
    lab = res.population_labels
    t10 = res.milestones["lost_10"]
    onset = lab.index("lmn:cervical_lower:right")
    assert np.isfinite(t10[onset])
    for other in ("lmn:cervical_lower:left", "lmn:cervical_upper:right", "lmn:thoracic:right"):
        assert t10[lab.index(other)] > t10[onset]
    assert res.summary["order_of_involvement"][0].endswith("cervical_lower:right")


# ----------------------------------------------------------------------------- invariants
@st.composite
def random_runs(draw):
    over = {
        "simulation.scale": draw(st.sampled_from([0.001, 0.003])),
        "simulation.horizon_years": draw(st.floats(1.0, 6.0)),
        "simulation.dt_days": draw(st.sampled_from([7.0, 14.0])),
        "simulation.engine": draw(st.sampled_from(["exact", "reference"])),
        "spread.contralateral_rate": draw(st.floats(0.0, 0.2)),
        "spread.local_growth_rate": draw(st.floats(0.0, 1.0)),
        "mechanisms.pathology.hazard_rate": draw(st.floats(0.0, 0.5)),
        "neurons.vulnerability_sigma": draw(st.floats(0.0, 1.5)),
        "onset.mode": draw(st.sampled_from(["fixed", "sampled"])),
    }
    over["simulation.output_interval_days"] = over["simulation.dt_days"] * draw(st.integers(1, 8))
    return over, draw(st.integers(0, 2**32))


@pytest.mark.slow
@settings(max_examples=25)
@given(random_runs())
def test_invariants(run):
    over, seed = run
    cfg = small_config(**over)
    res = alssim.simulate(cfg, seed=seed)
    alive, dys, dead = res["alive"], res["dysfunctional"], res["dead"]
    n = res.counts
    assert np.all(np.diff(alive, axis=0) <= 0)  # alive never increases
    assert np.all(dys <= alive) and np.all(dys >= 0)
    assert np.all((alive >= 0) & (alive <= n)) and np.all(alive + dead == n)
    assert np.all(res["new_deaths"][1:].cumsum(axis=0) == dead[1:])
    assert np.all((res["pathology"] >= 0) & (res["pathology"] <= 1))
    assert np.all(np.isfinite(res["hazard"])) and np.all(res["hazard"] >= 0)
    lmn = res.anatomy.population_table()["compartment_index"] == 1
    units = res["alive_s"] + res["alive_fr"] + res["alive_ff"]
    assert np.array_equal(units[:, lmn], alive[:, lmn])
    # same seed, identical arrays
    again = alssim.simulate(cfg, seed=seed)
    for k in res.variables:
        assert np.array_equal(res[k], again[k])


def test_different_seeds_differ(small_cfg):
    a, b = alssim.simulate(small_cfg, seed=1), alssim.simulate(small_cfg, seed=2)
    assert not np.array_equal(a["dead"], b["dead"])


def test_seed_from_config_when_none_given(small_cfg):
    a = alssim.simulate(small_cfg)
    b = alssim.simulate(small_cfg, seed=small_cfg.simulation.seed)
    assert np.array_equal(a["dead"], b["dead"]) and a.seed == small_cfg.simulation.seed


@settings(max_examples=20)
@given(
    seed=st.integers(0, 2**32),
    base=st.floats(0.0, 0.05),
    extra=st.floats(0.0, 0.2),
    engine_seedless=st.just(True),
)
@pytest.mark.slow
def test_higher_contralateral_rate_never_delays_contralateral_involvement(
    seed, base, extra, engine_seedless
):
    cfg = small_config(**{"simulation.scale": 0.003})
    lo = cfg.with_overrides({"spread.contralateral_rate": base})
    hi = cfg.with_overrides({"spread.contralateral_rate": base + extra})
    r_lo, r_hi = alssim.simulate(lo, seed=seed), alssim.simulate(hi, seed=seed)
    anat = cfg.anatomy
    other = "left" if r_lo.onset.side == "right" else "right"
    for comp in ("lmn", "umn"):
        p = anat.population_index(comp, r_lo.onset.segment, other)
        for m in ("lost_10", "lost_50"):
            assert r_hi.milestones[m][p] <= r_lo.milestones[m][p]
    assert np.all(r_hi["dead"] >= r_lo["dead"])


def test_an_anatomy_builds_its_spread_edges_once_and_read_only():
    # every patient of a cohort shares one anatomy: the edges are built at the first call,
    # cannot be changed by a caller, and an anatomy made from it by replacement has its own
    anat = alssim.load_config().anatomy
    edges = anat.spread_edges()
    assert anat.spread_edges() is edges
    with pytest.raises(ValueError, match="read-only"):
        edges.weight[0] = 0.0
    other = dataclasses.replace(anat, long_range=(), long_range_weights=())
    assert len(other.spread_edges().source) < len(edges.source)
    assert anat.spread_edges() is edges
    # a copy, or an anatomy sent to a worker process, builds its own: equal, and read-only too
    for twin in (copy.deepcopy(anat), pickle.loads(pickle.dumps(anat))):
        assert twin == anat
        theirs = twin.spread_edges()
        assert theirs is not edges and not theirs.weight.flags.writeable
        assert np.array_equal(theirs.weight, edges.weight)


# ----------------------------------------------------------------------------- long-range spread
#: A bulbar-onset patient (UMN and LMN), the case the long-range edges are about.
BULBAR_ONSET = {"onset.mode": "fixed", "onset.segment": "bulbar", "onset.compartment": "both"}


def test_long_range_edges_run_umn_to_umn_bulbar_to_lumbosacral_on_each_side():
    anat = alssim.load_config().anatomy
    edges = anat.spread_edges()
    lab = anat.population_labels()
    k = EDGE_KINDS.index("long_range")
    pairs = {(lab[a], lab[b]) for a, b in zip(edges.source[edges.kind == k],
                                              edges.target[edges.kind == k], strict=True)}
    # bulbar -> legs, and the interlimb pairs (hand <-> leg) of one side
    assert pairs == {(f"umn:{a}:{s}", f"umn:{b}:{s}") for s in ("left", "right")
                     for a, b in (("bulbar", "lumbosacral"), ("cervical_lower", "lumbosacral"),
                                  ("lumbosacral", "cervical_lower"))}
    # directed: nothing leads from the legs back to the brainstem
    lumbo = {anat.population_index(c, "lumbosacral", s) for c in ("umn", "lmn")
             for s in ("left", "right")}
    bulbar = {anat.population_index(c, "bulbar", s) for c in ("umn", "lmn")
              for s in ("left", "right")}
    assert not any(a in lumbo and b in bulbar
                   for a, b in zip(edges.source, edges.target, strict=True))
    # every other edge is the contiguous graph's, unchanged, at its junction weight (1 except
    # across the anatomy's declared junctions) times its target's spread susceptibility
    contiguous = dataclasses.replace(anat, long_range=(), long_range_weights=()).spread_edges()
    keep = edges.kind != k
    for name in ("source", "target", "kind"):
        assert np.array_equal(getattr(edges, name)[keep], getattr(contiguous, name))
    assert np.array_equal(edges.weights()[keep], contiguous.weights())
    plain = dataclasses.replace(
        anat, long_range=(), long_range_weights=(), junctions=(),
        segments=tuple(dataclasses.replace(g, spread_susceptibility=1.0) for g in anat.segments))
    assert np.all(plain.spread_edges().weights() == 1.0)
    # a long-range edge carries its pair's relative strength
    for i, (a, b) in enumerate(anat.long_range):
        for s in ("left", "right"):
            e = np.flatnonzero((edges.kind == k)
                               & (edges.source == anat.population_index("umn", a, s))
                               & (edges.target == anat.population_index("umn", b, s)))
            assert edges.weights()[e].tolist() == [anat.long_range_weight(i)]


def _one_pair(weight: float | None) -> dict:
    """The default anatomy with one long-range pair, hand -> leg, of the given strength."""
    data = alssim.load_config().anatomy.to_dict()
    data["long_range"] = [["cervical_lower", "lumbosacral"] + ([] if weight is None
                                                                 else [weight])]
    return data


def test_long_range_pair_strength_multiplies_the_long_range_rate_exactly():
    from alssim.dynamics import RegionalDrivers

    weighted = small_config(anatomy=_one_pair(2.0), **{"spread.long_range_rate": 0.003})
    doubled = small_config(anatomy=_one_pair(None), **{"spread.long_range_rate": 0.006})
    assert weighted.anatomy.long_range_weights == (2.0,)
    assert doubled.anatomy.long_range_weights == ()
    assert np.array_equal(RegionalDrivers(weighted).transmission,
                          RegionalDrivers(doubled).transmission)
    # and the weight survives a round trip through to_dict
    again = alssim.load_config(overrides={"anatomy": weighted.anatomy.to_dict()}).anatomy
    assert again.long_range_weights == (2.0,)


@pytest.mark.parametrize("pair, words", [
    (["cervical_lower", "lumbosacral", -1.0], "long_range[0][2]"),
    (["cervical_lower", "lumbosacral", "x"], "long_range[0][2]"),
    (["cervical_lower", "lumbosacral", 1.0, 2.0], "optionally with a relative strength"),
])
def test_bad_long_range_strength_is_refused_with_its_key(pair, words):
    data = alssim.load_config().anatomy.to_dict()
    data["long_range"] = [pair]
    with pytest.raises(alssim.errors.ConfigError) as info:
        alssim.load_config(overrides={"anatomy": data})
    assert words in str(info.value)


def _with_junctions(junctions: list) -> dict:
    data = alssim.load_config().anatomy.to_dict()
    data["junctions"] = junctions
    return data


def test_junction_weight_multiplies_the_lmn_edges_across_it_and_no_others():
    from alssim.dynamics import RegionalDrivers

    plain = small_config(anatomy=_with_junctions([]))
    junction = small_config(anatomy=_with_junctions([["phrenic", "cervical_upper", 4.0]]))
    t0 = RegionalDrivers(plain).transmission
    t1 = RegionalDrivers(junction).transmission
    anat = junction.anatomy
    across = np.zeros_like(t0, dtype=bool)
    for side in ("left", "right"):
        a = anat.population_index("lmn", "phrenic", side)
        b = anat.population_index("lmn", "cervical_upper", side)
        across[a, b] = across[b, a] = True
    # the edges across the junction, both directions and both sides, are 4 times as fast
    assert np.count_nonzero(across) == 4
    assert np.allclose(t1[across], 4.0 * t0[across]) and np.all(t0[across] > 0)
    assert np.array_equal(t1[~across], t0[~across])
    # a declared weight of 1 is the default anatomy exactly, and the weight survives to_dict
    ones = small_config(anatomy=_with_junctions([["phrenic", "cervical_upper", 1.0]]))
    assert np.array_equal(RegionalDrivers(ones).transmission, t0)
    again = alssim.load_config(overrides={"anatomy": anat.to_dict()}).anatomy
    assert again.junctions == (("phrenic", "cervical_upper", 4.0),)


@pytest.mark.parametrize("junction, words", [
    (["bulbar", "cervical_lower", 0.1],
     "adjacent in the segment order (next to 'bulbar': 'phrenic')"),
    (["bulbar", "phrenic", -1.0], "junctions[0][2]"),
    (["bulbar", "phrenic"], "[rostral, caudal, weight]"),
    (["bulbr", "phrenic", 0.5], "did you mean 'bulbar'"),
])
def test_bad_junction_is_refused_with_its_key(junction, words):
    with pytest.raises(alssim.errors.ConfigError) as info:
        alssim.load_config(overrides={"anatomy": _with_junctions([junction])})
    assert words in str(info.value) and "anatomy.junctions[0]" in str(info.value)


def _with_bulbar_susceptibility(value) -> dict:
    data = alssim.load_config().anatomy.to_dict()
    seg = next(g for g in data["segments"] if g["name"] == "bulbar")
    seg["spread_susceptibility"] = value
    return data


def test_spread_susceptibility_scales_only_the_edges_into_the_segment_from_elsewhere():
    from alssim.dynamics import RegionalDrivers

    plain = small_config(anatomy=_with_bulbar_susceptibility(1.0))
    resistant = small_config(anatomy=_with_bulbar_susceptibility(0.25))
    t0 = RegionalDrivers(plain).transmission
    t1 = RegionalDrivers(resistant).transmission
    anat = resistant.anatomy
    seg = anat.population_table()["segment"]
    into = np.zeros_like(t0, dtype=bool)  # [target, source]: from another segment into bulbar
    into[np.ix_(seg == "bulbar", seg != "bulbar")] = True
    into &= t0 > 0
    # the hand's cortical neighbour (UMN) and the phrenic pool (LMN) reach it, on each side
    assert np.count_nonzero(into) == 4
    assert np.allclose(t1[into], 0.25 * t0[into])
    # spread within the bulbar region and out of it keeps its rates
    assert np.array_equal(t1[~into], t0[~into])
    # the value survives to_dict; the shipped default anatomy declares it
    again = alssim.load_config(overrides={"anatomy": anat.to_dict()}).anatomy
    assert again.segments[again.segment_index("bulbar")].spread_susceptibility == 0.25
    assert plain.anatomy.to_dict()["segments"][0].get("spread_susceptibility") is None
    assert alssim.load_config().anatomy.segments[0].spread_susceptibility == 0.5


def test_a_segment_closed_to_spread_is_never_reached_but_spreads_out():
    closed = _with_bulbar_susceptibility(0.0)
    limb = alssim.simulate(small_config(anatomy=closed), seed=3)
    bulbar = [limb.anatomy.population_index(c, "bulbar", s)
              for c in ("umn", "lmn") for s in ("left", "right")]
    assert np.all(np.asarray(limb["pathology"])[:, bulbar] == 0.0)
    assert np.asarray(limb["pathology"])[-1].max() > 0.5  # not vacuous: the rest is affected
    onset = small_config(anatomy=closed, **{"onset.segment": "bulbar", "onset.side": "left"})
    out = alssim.simulate(onset, seed=3)
    leg = out.anatomy.population_index("umn", "lumbosacral", "left")
    assert np.asarray(out["pathology"])[-1, leg] > 0.0


@pytest.mark.parametrize("value, words", [(-0.5, "spread_susceptibility"),
                                          ("x", "spread_susceptibility")])
def test_bad_spread_susceptibility_is_refused_with_its_key(value, words):
    with pytest.raises(alssim.errors.ConfigError) as info:
        alssim.load_config(overrides={"anatomy": _with_bulbar_susceptibility(value)})
    assert "anatomy.segments[0].spread_susceptibility" in str(info.value)


def test_a_junction_declared_twice_is_refused():
    with pytest.raises(alssim.errors.ConfigError, match="twice"):
        alssim.load_config(overrides={"anatomy": _with_junctions(
            [["bulbar", "phrenic", 0.5], ["phrenic", "bulbar", 0.2]])})


def test_zero_long_range_rate_is_the_contiguous_model_exactly():
    cfg = small_config(**BULBAR_ONSET, **{"simulation.scale": 0.003,
                                          "spread.long_range_rate": 0.0})
    contiguous = cfg.with_overrides({"anatomy": {**cfg.anatomy.to_dict(), "long_range": []}})
    assert contiguous.anatomy.long_range == ()
    a, b = alssim.simulate(cfg, seed=5), alssim.simulate(contiguous, seed=5)
    for k in a.variables:
        assert np.array_equal(a[k], b[k]), k


@pytest.mark.slow
@settings(max_examples=15)
@given(seed=st.integers(0, 2**32), base=st.floats(0.0, 0.02), extra=st.floats(0.0, 0.2))
def test_higher_long_range_rate_never_delays_lumbar_involvement_after_bulbar_onset(
    seed, base, extra
):
    cfg = small_config(**BULBAR_ONSET, **{"simulation.scale": 0.003})
    lo = cfg.with_overrides({"spread.long_range_rate": base})
    hi = cfg.with_overrides({"spread.long_range_rate": base + extra})
    r_lo, r_hi = alssim.simulate(lo, seed=seed), alssim.simulate(hi, seed=seed)
    anat = cfg.anatomy
    for comp in ("lmn", "umn"):
        for side in ("left", "right"):
            p = anat.population_index(comp, "lumbosacral", side)
            for m in ("lost_10", "lost_50"):
                assert r_hi.milestones[m][p] <= r_lo.milestones[m][p]
    assert np.all(r_hi["pathology"] >= r_lo["pathology"] - 1e-12)
    assert np.all(r_hi["dead"] >= r_lo["dead"])


def test_sampled_onset_follows_published_distribution():
    cfg = alssim.load_config(overrides={"onset.mode": "sampled"})
    from alssim.onset import choose_onset

    sites = [choose_onset(cfg.onset, cfg.anatomy, as_seed_sequence(s)).site for s in range(4000)]
    for site, p in zip(
        ("bulbar", "upper_limb", "lower_limb", "respiratory"),
        cfg.onset.site_probabilities(),
        strict=True,
    ):
        share = sites.count(site) / len(sites)
        assert abs(share - p) < 4 * math.sqrt(p * (1 - p) / len(sites)) + 1e-9


def test_lmn_onset_weight_places_lmn_onsets_and_leaves_the_others():
    """An anatomy's ``lmn_onset_weight`` sets where LMN-compartment onsets fall within their site
    (here: every LMN arm onset in the shoulder pools); other compartments keep ``onset_weight``,
    and the site and compartment shares do not move."""
    from alssim.onset import choose_onset

    data = alssim.load_config().anatomy.to_dict()
    for seg in data["segments"]:
        if seg["name"] in ("cervical_upper", "cervical_lower"):
            seg["lmn_onset_weight"] = 1.0 if seg["name"] == "cervical_upper" else 0.0
    cfg = alssim.load_config(overrides={"onset.mode": "sampled", "anatomy": data})
    plain = alssim.load_config(overrides={"onset.mode": "sampled"})
    assert cfg.anatomy.segments[cfg.anatomy.segment_index("cervical_upper")].lmn_onset_weight == 1.0
    n = 4000
    new = [choose_onset(cfg.onset, cfg.anatomy, as_seed_sequence(s)) for s in range(n)]
    old = [choose_onset(plain.onset, plain.anatomy, as_seed_sequence(s)) for s in range(n)]
    lmn_arm = [o.segment for o in new if o.site == "upper_limb" and o.compartment == "lmn"]
    assert len(lmn_arm) > 100 and set(lmn_arm) == {"cervical_upper"}
    other_arm = [o.segment for o in new if o.site == "upper_limb" and o.compartment != "lmn"]
    share = other_arm.count("cervical_upper") / len(other_arm)
    assert abs(share - 0.3) < 4 * math.sqrt(0.3 * 0.7 / len(other_arm))
    # the same draws: site, side and compartment of every patient are unchanged
    assert [(o.site, o.side, o.compartment) for o in new] == [
        (o.site, o.side, o.compartment) for o in old]
    # and the weight survives a round trip through to_dict
    again = alssim.load_config(overrides={"anatomy": cfg.anatomy.to_dict()}).anatomy
    assert again == cfg.anatomy


def test_bad_lmn_onset_weight_is_refused_with_its_key():
    data = alssim.load_config().anatomy.to_dict()
    data["segments"][2]["lmn_onset_weight"] = -0.5
    with pytest.raises(alssim.errors.ConfigError) as info:
        alssim.load_config(overrides={"anatomy": data})
    assert "anatomy.segments[2].lmn_onset_weight" in str(info.value)


def test_simulate_takes_the_path_of_a_config_file(tmp_path, small_cfg):
    from pathlib import Path

    path = tmp_path / "patient.toml"
    path.write_text(small_cfg.to_toml(), encoding="utf-8")
    want = alssim.simulate(small_cfg, seed=4)
    for where in (str(path), Path(path)):
        res = alssim.simulate(where, seed=4)
        assert np.array_equal(res.variables["alive"], want.variables["alive"])
        assert res.summary == want.summary
    batch = alssim.simulate_batch([path, small_cfg], [4, 4])
    assert all(np.array_equal(r.variables["alive"], want.variables["alive"]) for r in batch)
    with pytest.raises(alssim.ConfigError, match=r"missing\.toml"):
        alssim.simulate(tmp_path / "missing.toml")
    with pytest.raises(TypeError, match=r"alssim\.load_config"):
        alssim.simulate({"simulation": {}})
    with pytest.raises(TypeError, match="sequence of configs"):
        alssim.simulate_batch(path, [4])
