"""Tests of the analysis layer (figures and animations), headless on small runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import alssim
from alssim import analysis
from alssim.analysis import _clinical_api, _data, bodymap, regions
from alssim.analysis.cohort import MissingColumnError, kaplan_meier
from alssim.analysis.figures import save_figure, standard_figures

REPO = Path(__file__).resolve().parents[1]
SMALL = {"simulation.scale": 0.01, "simulation.horizon_years": 5.0,
         "simulation.output_interval_days": 60.0}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def result():
    cfg = alssim.load_config(overrides=SMALL)
    return alssim.simulate(cfg, seed=3)


@pytest.fixture(scope="module")
def result_four():
    cfg = alssim.load_config(overrides={**SMALL, "anatomy": "four_regions",
                                        "onset.segment": "lumbosacral", "onset.side": "left"})
    return alssim.simulate(cfg, seed=4)


def _snapshot(res) -> dict[str, np.ndarray]:
    """Copies of every array of ``res``, whose own arrays are first made writeable copies:
    a Result's arrays are read-only, so without this an in-place write by a plot would raise
    rather than be caught here, and the check could not fail."""
    res.times_months, res.counts = res.times_months.copy(), res.counts.copy()
    for table in (res.variables, res.milestones):
        for k in table:
            table[k] = table[k].copy()
    snap = {"times_months": res.times_months.copy(), "counts": res.counts.copy()}
    snap.update({f"v:{k}": v.copy() for k, v in res.variables.items()})
    snap.update({f"m:{k}": v.copy() for k, v in res.milestones.items()})
    return snap


def _assert_same(res, snap) -> None:
    now = _snapshot(res)
    assert now.keys() == snap.keys()
    for k, v in snap.items():
        np.testing.assert_array_equal(now[k], v, err_msg=k)


def _png(fig, tmp_path: Path, name: str) -> Path:
    path = save_figure(fig, tmp_path / f"{name}.png", dpi=40)
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 2000
    return path


def _labels(fig: Figure) -> tuple[list[str], list[str], str]:
    axes = fig.get_axes()
    return ([a.get_xlabel() for a in axes], [a.get_ylabel() for a in axes],
            fig.get_suptitle() if hasattr(fig, "get_suptitle") else fig._suptitle.get_text())


# --------------------------------------------------------------------------- fake clinical layer
def fake_clinical(res) -> _clinical_api.ClinicalView:
    """A plausible clinical view built from the recorded arrays (for testing the figures only)."""
    t = np.asarray(res.times_months, dtype=float)
    lmn = _data.lost_fraction(res, "lmn")
    umn = _data.lost_fraction(res, "umn")
    strength = np.clip(1.0 - np.maximum(0.0, lmn - 0.3) / 0.7, 0, 1)
    total = 48.0 * strength.mean(axis=(1, 2))
    kings = np.array(["0", "1", "2", "3", "4A", "4B", "5"])[np.minimum(6, (t // 12).astype(int))]
    return _clinical_api.ClinicalView(
        times_months=t, onset_months=float(t[3]), diagnosis_months=float(t[8]),
        death_months=float(t[-3]), alsfrs_total=total,
        alsfrs_domains={d: total / 4 for d in ("bulbar", "fine_motor", "gross_motor",
                                               "respiratory")},
        d50=20.0, dx=6.0, fvc_percent=100.0 * strength.mean(axis=(1, 2)), kings=kings,
        mitos=np.minimum(5, (t // 15).astype(int)), mrc=np.rint(5 * strength),
        ashworth=np.minimum(5, np.rint(5 * umn)), fasciculation_rate=10 * lmn * (1 - lmn),
        strength=strength, muscles=tuple(f"m_{s}" for s in res.anatomy.segment_names),
        muscle_segments=res.anatomy.segment_names, cmap_percent=100 * strength ** 0.5,
        mune_percent=100 * (1.0 - lmn))


@pytest.fixture
def with_clinical(monkeypatch):
    # the clinical layer as the analysis layer reads it (alssim.analysis._clinical_api owns it;
    # _data re-exports it)
    for module in (_clinical_api, _data):
        monkeypatch.setattr(module, "clinical", fake_clinical)


# --------------------------------------------------------------------------- single-result figures
def test_populations(result, tmp_path):
    snap = _snapshot(result)
    fig = analysis.plot_populations(result)
    assert isinstance(fig, Figure)
    assert fig._repr_png_()[:8] == PNG_MAGIC  # shows inline in a notebook without pyplot
    _png(fig, tmp_path, "pop")
    xl, yl, title = _labels(fig)
    assert len(fig.get_axes()) == 4
    assert xl.count("months from biological onset") == 2
    assert sum("% of count at onset" in y for y in yl) == 2
    assert "LMN loss" in title
    titles = [a.get_title() for a in fig.get_axes()]
    assert any("left side" in s for s in titles) and any("right side" in s for s in titles)
    _assert_same(result, snap)


def test_body_map_and_grid(result, tmp_path):
    snap = _snapshot(result)
    fig = analysis.plot_body_map(result, time_months=24.0)
    _png(fig, tmp_path, "body")
    cbars = [a for a in fig.get_axes() if "LMNs lost" in a.get_ylabel() + a.get_xlabel()]
    assert cbars, "colour bar with its label"
    body = fig.get_axes()[0]
    assert len(body.patches) >= 2 * 9
    texts = " ".join(t.get_text() for t in body.texts)
    assert "patient's\nright" in texts and "month 24" in texts
    legends = [a.get_legend() for a in fig.get_axes() if a.get_legend() is not None]
    assert legends and "UMNs lost" in legends[0].get_title().get_text()
    fig = analysis.plot_body_map_grid(result, n=4)
    _png(fig, tmp_path, "grid")
    assert sum(1 for a in fig.get_axes() if a.get_title().startswith("month")) == 4
    _assert_same(result, snap)


def test_body_map_colours_follow_loss(result):
    """The part of the onset segment is darker (more LMN loss) than an uninvolved one early on."""
    t50 = _data.involvement(result, "lost_50")[1]
    s, c = np.unravel_index(np.nanargmin(np.where(np.isfinite(t50), t50, np.inf)), t50.shape)
    fig = Figure()
    ax = fig.add_subplot()
    body = bodymap.draw_body(ax, result, float(t50[s, c]))
    lost = _data.lost_fraction(result, "lmn")[_data.nearest_index(result, float(t50[s, c]))]
    for patch, seg_i, side in body.patches:
        if seg_i is not None:
            expected = body.cmap(float(lost[seg_i, side]))
            np.testing.assert_allclose(patch.get_facecolor(), expected)


@pytest.mark.slow
def test_body_map_four_regions(result_four, tmp_path):
    parts = regions.segment_parts(result_four.anatomy)
    assert parts["cervical"] == ("neck", "diaphragm", "upper_arm", "forearm_hand")
    assert all(regions.part_segments(result_four.anatomy).values())
    _png(analysis.plot_body_map(result_four), tmp_path, "body4")
    _png(analysis.plot_populations(result_four), tmp_path, "pop4")
    _png(analysis.plot_spread_timeline(result_four), tmp_path, "tl4")


def test_regions_default_anatomy(result):
    parts = regions.segment_parts(result.anatomy)
    assert parts["phrenic"] == ("diaphragm",)
    assert parts["cervical_upper"] == ("neck", "upper_arm")
    assert parts["cervical_lower"] == ("forearm_hand",)
    assert parts["lumbosacral"] == ("thigh", "lower_leg_foot")
    label = regions.segment_label(result.anatomy, "cervical_lower", side="right")
    assert label == "right arm & hand (C6–T1)"


def test_segment_colours_consistent():
    five = analysis.segment_colours(("bulbar", "cervical_upper", "cervical_lower", "thoracic",
                                     "lumbosacral"))
    four = analysis.segment_colours(("bulbar", "cervical", "thoracic", "lumbosacral"))
    assert len(set(five.values())) == 5 and len(set(four.values())) == 4
    for name in ("bulbar", "thoracic", "lumbosacral"):
        assert five[name] == four[name]
    custom = analysis.segment_colours([f"s{i}" for i in range(9)])
    assert len(set(custom.values())) == 9


def test_spread_timeline(result, tmp_path):
    snap = _snapshot(result)
    fig = analysis.plot_spread_timeline(result)
    _png(fig, tmp_path, "timeline")
    ax = fig.get_axes()[0]
    assert "months from biological onset" in ax.get_xlabel()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 2 * result.anatomy.n_segments
    assert labels[0].startswith("1. ")
    assert fig.get_suptitle().startswith("Spread timeline")
    _assert_same(result, snap)


def test_motor_units(result, tmp_path):
    snap = _snapshot(result)
    fig = analysis.plot_motor_units(result)
    _png(fig, tmp_path, "mu")
    axes = fig.get_axes()
    assert len(axes) == 2
    assert all(a.get_xlabel() == "months from biological onset" for a in axes)
    assert "% of value at onset" in axes[0].get_ylabel()
    assert "FF" in fig.get_suptitle()
    _assert_same(result, snap)


def test_clinical_figures_need_clinical_layer(result, monkeypatch):
    for module in (_clinical_api, _data):
        monkeypatch.setattr(module, "clinical", lambda res: None)
    with pytest.raises(RuntimeError, match="clinical layer"):
        analysis.plot_clinical_course(result)
    with pytest.raises(RuntimeError, match="clinical layer"):
        analysis.plot_mune_cmap_strength(result)


@pytest.mark.slow
def test_clinical_figures_with_fake_layer(result, tmp_path, with_clinical):
    snap = _snapshot(result)
    fig = analysis.plot_clinical_course(result)
    _png(fig, tmp_path, "course")
    axes = fig.get_axes()
    assert [a.get_ylabel() for a in axes[:3]] == ["ALSFRS-R (0–48)", "domain score (0–12)",
                                                  "FVC (% predicted)"]
    assert axes[-1].get_xlabel() == "months from clinical onset"
    assert "D50" in fig.get_suptitle()
    fig = analysis.plot_signs(result)
    _png(fig, tmp_path, "signs")
    titles = [a.get_title() for a in fig.get_axes()]
    assert any("MRC" in s for s in titles) and any("Ashworth" in s for s in titles)
    fig = analysis.plot_mune_cmap_strength(result)
    _png(fig, tmp_path, "mune")
    names = [line.get_label() for line in fig.get_axes()[0].get_lines()]
    assert any(n.startswith("CMAP amplitude") for n in names)
    assert any(n.startswith("MUNE") for n in names)
    _assert_same(result, snap)


def test_d50_curve():
    from alssim.analysis.clinical import d50_curve

    assert d50_curve(np.array([20.0]), 20.0, 5.0)[0] == pytest.approx(24.0)
    assert d50_curve(np.array([0.0]), 30.0, 3.0)[0] == pytest.approx(48.0, abs=1e-2)


@pytest.mark.slow
def test_real_clinical_layer(result, tmp_path):
    assert _clinical_api.view(result) is not None  # the clinical figures read the real layer
    _png(analysis.plot_clinical_course(result), tmp_path, "course_real")
    _png(analysis.plot_signs(result), tmp_path, "signs_real")
    _png(analysis.plot_mune_cmap_strength(result), tmp_path, "mune_real")


def test_signs_grade_each_limb_muscle(result):
    # the MRC panel grades the limb muscles one by one (a clinician's MRC examination), not one
    # strength per segment; spasticity and fasciculations stay per segment and side
    c = result.clinical
    anat = result.anatomy
    limb = [m for m, seg in zip(c.muscles, c.muscle_segments, strict=True)
            if anat.segments[anat.segment_index(seg)].kings_region in ("upper_limb", "lower_limb")]
    fig = analysis.plot_signs(result)
    mrc_ax, fasciculation_ax = fig.get_axes()[0], fig.get_axes()[2]
    labels = [t.get_text() for t in mrc_ax.get_yticklabels()]
    assert len(labels) == 2 * len(limb)
    assert {"thenar R", "thenar L", "tibialis anterior R"} <= set(labels)
    assert "each limb muscle" in mrc_ax.get_title()
    grid = mrc_ax.collections[0].get_array().reshape(len(labels), -1)
    m = list(c.muscles).index("thenar")
    own = np.asarray(c["muscle_mrc"], dtype=float)[:, m, 1]
    alive = np.asarray(c["patient_alive"], dtype=bool)
    np.testing.assert_array_equal(grid[labels.index("thenar R")][alive], own[alive])
    assert len(fasciculation_ax.get_yticklabels()) == 2 * anat.n_segments


def test_mune_cmap_strength_shows_the_muscles_own_strength(result):
    # MUNE, CMAP and strength of one muscle: the strength drawn is that muscle's (per-muscle
    # strength), not the mean of its segment, whose other muscles weaken at other rates
    c = result.clinical
    seg, side = "cervical_lower", "right"
    m = list(c.muscle_segments).index(seg)
    pool = _clinical_api.pool_series(result, seg, side)
    assert pool["muscle"] == c.muscles[m] and pool["strength_of"] == "muscle"
    alive = np.asarray(c["patient_alive"], dtype=bool)
    own = 100.0 * np.asarray(c["muscle_strength"], dtype=float)[:, m, 1]
    np.testing.assert_allclose(pool["strength"][alive], own[alive])
    segment = 100.0 * np.asarray(c["strength"], dtype=float)[:, c.segments.index(seg), 1]
    assert np.nanmax(np.abs(pool["strength"][alive] - segment[alive])) > 1.0
    fig = analysis.plot_mune_cmap_strength(result, seg, side)
    names = [line.get_label() for line in fig.get_axes()[0].get_lines()]
    assert f"strength, {c.muscles[m].replace('_', ' ')}" in names


# --------------------------------------------------------------------------- values after death
@pytest.fixture(scope="module")
def dying():
    """A patient who dies well within the horizon."""
    cfg = alssim.load_config(overrides={**SMALL, "simulation.horizon_years": 8.0})
    return alssim.simulate(cfg, seed=3)


def _death(res) -> float:
    death = res.summary["clinical"]["death_months"]
    assert death is not None and death < res.times_months[-1] - 6  # the tests are not vacuous
    return death


def _finite_x_max(ax) -> float:
    """Largest x of any finite point drawn as a line in ``ax``."""
    xs = [np.asarray(line.get_xdata(), dtype=float)[np.isfinite(
        np.asarray(line.get_ydata(), dtype=float))] for line in ax.get_lines()]
    xs = [x for x in xs if x.size]
    return max(float(x.max()) for x in xs)


def test_clinical_course_and_signs_stop_at_death(dying):
    death = _death(dying)
    onset = dying.clinical.clinical_onset_months
    fig = analysis.plot_clinical_course(dying, t_max=dying.times_months[-1] - onset)
    ax_tot, ax_dom, ax_fvc = fig.get_axes()[:3]
    for ax in (ax_tot, ax_dom, ax_fvc):  # curves (and the D50 fit) end at death
        assert _finite_x_max(ax) <= death - onset + 1e-6, ax.get_title()
    bands = [path for coll in fig.get_axes()[3].collections for path in coll.get_paths()]
    assert bands
    right = max(float(np.max(path.vertices[:, 0])) for path in bands)
    assert right <= death - onset + 1e-6  # the stage bands too
    fig = analysis.plot_signs(dying, t_max=dying.times_months[-1] - onset)
    from matplotlib.collections import QuadMesh

    meshes = [c for ax in fig.get_axes() if ax.get_title()  # the panels, not the colour bars
              for c in ax.collections if isinstance(c, QuadMesh)]
    assert len(meshes) == 3
    for mesh in meshes:
        data = np.ma.getdata(mesh.get_array()).reshape(-1, len(dying.times_months))
        after = dying.times_months > death + 1e-6
        assert np.isnan(data[:, after]).all()
        # a row is examined throughout life or not at all (no bulbar or thoracic Ashworth)
        living = data[:, ~after]
        assert (np.isfinite(living).all(axis=1) | np.isnan(living).all(axis=1)).all()
        assert np.isfinite(living).any()


def test_neuron_figures_stop_at_death(dying):
    death = _death(dying)
    end = float(dying.times_months[-1])
    fig = analysis.plot_populations(dying, t_max=end)
    assert all(_finite_x_max(ax) <= death + 1e-6 for ax in fig.get_axes())
    fig = analysis.plot_motor_units(dying, t_max=end)
    assert all(_finite_x_max(ax) <= death + 1e-6 for ax in fig.get_axes())
    fig = analysis.plot_mune_cmap_strength(dying, t_max=end)
    assert _finite_x_max(fig.get_axes()[0]) <= death + 1e-6
    fig = analysis.plot_spread_timeline(dying, t_max=end)
    bars = [p for p in fig.get_axes()[0].patches if p.get_width() > 0 and p.get_zorder() > 0]
    assert len(bars) >= dying.anatomy.n_segments  # bars, not the shading after death
    assert max(p.get_x() + p.get_width() for p in bars) <= death + 1e-6


def test_body_map_after_death_shows_the_patient_at_death(dying):
    death = _death(dying)
    k = int(np.searchsorted(dying.times_months, death - 1e-6))  # the record of death
    fig = Figure()
    late = bodymap.draw_body(fig.add_subplot(), dying, float(dying.times_months[-1]))
    at_death = bodymap.draw_body(fig.add_subplot(), dying, float(dying.times_months[k]))
    for (p1, *_), (p2, *_) in zip(late.patches, at_death.patches, strict=True):
        np.testing.assert_allclose(p1.get_facecolor(), p2.get_facecolor())
    fig = analysis.plot_body_map(dying, float(dying.times_months[-1]))
    texts = " ".join(t.get_text() for t in fig.get_axes()[0].texts)
    assert f"died at month {death:.0f}" in texts
    fig = analysis.plot_body_map_grid(dying, times=[12.0, float(dying.times_months[-1])])
    assert fig.get_axes()[1].get_title().startswith(f"month {death:.0f}: died")


@pytest.mark.slow
def test_animation_ends_at_death(dying, tmp_path):
    from PIL import Image

    death = _death(dying)
    living = int(np.sum(dying.times_months <= death + 1e-6))
    path = analysis.animate_body_map(dying, tmp_path / "a.gif", t_max=death + 24, fps=4)
    with Image.open(path) as im:
        # Pillow stores a held (repeated) frame once, with a longer duration
        assert im.n_frames == living
        im.seek(im.n_frames - 1)
        assert im.info["duration"] >= 1500  # the death frame is held


def test_plot_clinical_course_takes_several_results(result, tmp_path):
    other = alssim.simulate(alssim.load_config(overrides=SMALL), seed=5)
    fig = analysis.plot_clinical_course([result, other])
    _png(fig, tmp_path, "courses")
    ax = fig.get_axes()[0]
    labels = [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert [lab.split(":")[0] for lab in labels] == ["patient 1 (seed 3)", "patient 2 (seed 5)"]
    assert len({line.get_color() for line in ax.get_lines()[:1]} |
               {line.get_color() for line in ax.get_lines()
                if line.get_label().startswith("patient 2")}) == 2  # one colour each
    assert "2 patients" in fig.get_suptitle()
    fig = analysis.plot_clinical_course([result, result])  # the same patient twice is fine
    assert fig.get_suptitle().startswith("Clinical course of 2 patients")
    fig = analysis.plot_clinical_course(r for r in [result])  # one in a sequence: as one
    assert len(fig.get_axes()) == 4
    with pytest.raises(ValueError, match="empty"):
        analysis.plot_clinical_course([])
    with pytest.raises(TypeError, match=r"item 1 .* int"):
        analysis.plot_clinical_course([result, 3])
    with pytest.raises(TypeError, match="plot_signs takes one alssim Result; got list"):
        analysis.plot_signs([result, result])


# --------------------------------------------------------------------------- animation, sets
@pytest.mark.slow
def test_animation_has_frames(result, tmp_path):
    from PIL import Image

    snap = _snapshot(result)
    path = analysis.animate_body_map(result, tmp_path / "anim.gif", every=2)
    with Image.open(path) as im:
        assert im.n_frames > 1
    assert not list(tmp_path.glob(".anim*")), "no temporary file left behind"
    with pytest.raises(ValueError, match=r"\.gif or \.mp4"):
        analysis.animate_body_map(result, tmp_path / "anim.avi")
    _assert_same(result, snap)


@pytest.mark.slow
def test_standard_figures(result, tmp_path):
    paths = standard_figures(result, tmp_path / "figs", dpi=30)
    names = {p.name for p in paths}
    assert {"populations.png", "body_map.png", "body_map_over_time.png", "spread_timeline.png",
            "motor_units.png"} <= names
    assert all(p.stat().st_size > 1000 for p in paths)
    with pytest.raises(FileExistsError):
        standard_figures(result, tmp_path / "figs")


def test_no_pyplot_figures_left_open():
    assert plt.get_fignums() == []


@pytest.mark.slow
def test_matplotlib_only_in_analysis():
    code = ("import sys, alssim, alssim.analysis, alssim.cli.main; "
            "alssim.cli.main.build_parser(); "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
    for path in (REPO / "alssim").rglob("*.py"):
        if "analysis" in path.relative_to(REPO / "alssim").parts:
            continue
        text = path.read_text(encoding="utf-8")
        assert "import matplotlib" not in text and "from matplotlib" not in text, path


# --------------------------------------------------------------------------- Kaplan-Meier
def test_kaplan_meier_hand_example():
    km = kaplan_meier([1, 2, 2, 3, 4, 5], [1, 1, 0, 1, 0, 1], ci="plain")
    np.testing.assert_allclose(km.time, [0, 1, 2, 3, 5])
    np.testing.assert_allclose(km.survival, [1, 5 / 6, 2 / 3, 4 / 9, 0])
    np.testing.assert_array_equal(km.at_risk, [6, 6, 5, 3, 1])
    # Greenwood at t = 3: S^2 * (1/30 + 1/20 + 1/6)
    se = (4 / 9) * np.sqrt(1 / 30 + 1 / 20 + 1 / 6)
    assert km.upper[3] == pytest.approx(min(1.0, 4 / 9 + 1.959964 * se), rel=1e-5)
    assert km.lower[3] == pytest.approx(4 / 9 - 1.959964 * se, rel=1e-5)
    assert km.median == 3.0
    assert km.at(2.5) == pytest.approx(2 / 3)


def test_kaplan_meier_no_censoring_is_empirical_and_bands_bracket():
    rng = np.random.default_rng(0)
    t = rng.exponential(30.0, size=400)
    km = kaplan_meier(t)
    grid = np.array([5.0, 20.0, 40.0])
    np.testing.assert_allclose(km.at(grid), [(t > g).mean() for g in grid])
    assert np.all((km.lower <= km.survival + 1e-12) & (km.survival <= km.upper + 1e-12))
    assert np.all((km.lower >= 0) & (km.upper <= 1))
    assert km.median == np.sort(t)[199]  # survival first <= 0.5 after the 200th death
    with pytest.raises(ValueError):
        kaplan_meier([1.0, -1.0])


# --------------------------------------------------------------------------- cohort and sweep
@pytest.fixture(scope="module")
def patients():
    rng = np.random.default_rng(1)
    n = 300
    sites = rng.choice(["bulbar", "upper_limb", "lower_limb", "respiratory"], size=n,
                       p=[0.27, 0.36, 0.33, 0.04])
    seg = {"bulbar": "bulbar", "upper_limb": "cervical_lower", "lower_limb": "lumbosacral",
           "respiratory": "thoracic"}
    orders = []
    for s in sites:
        first = f"lmn:{seg[s]}:right"
        nxt = rng.choice([f"lmn:{seg[s]}:left", "lmn:thoracic:right", "lmn:bulbar:right"])
        orders.append(f"{first};umn:{seg[s]}:right;{nxt};lmn:cervical_upper:left")
    surv = rng.exponential(np.where(sites == "bulbar", 25.0, 35.0))
    died = surv < 60
    return pd.DataFrame({
        "run_id": np.arange(n), "onset.site": sites, "order_of_involvement": orders,
        "clinical.survival_months": np.where(died, surv, np.nan), "clinical.died": died,
        "horizon_months": 60.0, "clinical.dfs": rng.lognormal(np.log(0.6), 0.5, size=n),
    })


def test_cohort_figures(patients, tmp_path):
    for name in ("plot_survival_by_onset", "plot_dfs_histogram", "plot_first_spread",
                 "plot_onset_sites"):
        fig = getattr(analysis, name)(patients)
        _png(fig, tmp_path, name)
        axes = fig.get_axes()
        assert any(a.get_xlabel() for a in axes) and any(a.get_title() for a in axes)
    fig = analysis.plot_survival_by_onset(patients)
    ax = fig.get_axes()[0]
    assert ax.get_xlabel() == "months from clinical onset" and ax.get_ylabel() == "alive (%)"
    assert any("median" in t.get_text() for t in ax.get_legend().get_texts())


@pytest.mark.slow
def test_cohort_figures_accept_cohort_result_and_report_missing_columns(patients, tmp_path):
    class FakeCohort:
        def __init__(self, df):
            self.patients = df

    paths = analysis.cohort_figures(FakeCohort(patients), tmp_path / "cohort", dpi=30)
    assert len(paths) == 4
    with pytest.raises(MissingColumnError, match="survival_months"):
        analysis.plot_survival_by_onset(patients.drop(columns=["clinical.survival_months"]))


def test_first_spread_table(patients):
    from alssim.analysis.cohort import first_spread_table

    tab = first_spread_table(patients)
    assert set(tab["direction"].dropna()) <= {"contralateral", "caudal", "rostral"}
    row = first_spread_table(pd.DataFrame({"order_of_involvement": [
        "lmn:lumbosacral:left;umn:lumbosacral:left;lmn:lumbosacral:right;lmn:bulbar:left"]}))
    assert row.iloc[0].tolist() == ["lower_limb", "contralateral", "bulbar"]


def test_sweep_figure(tmp_path):
    rng = np.random.default_rng(2)
    x = np.repeat([0.01, 0.02, 0.04], 20)
    table = pd.DataFrame({"spread.contralateral_rate": x,
                          "summary.survival_months": 40 - 300 * x + rng.normal(0, 3, x.size)})
    fig = analysis.plot_sweep(table, "spread.contralateral_rate", "survival_months")
    _png(fig, tmp_path, "sweep")
    ax = fig.get_axes()[0]
    assert ax.get_xlabel() == "spread.contralateral_rate (1/month)"
    assert "months" in ax.get_ylabel()


def _censored_sweep(seed: int = 4) -> pd.DataFrame:
    """A sweep table as alssim.sweep writes it: at rate 0.01 every patient is alive at the
    60-month horizon (censored, survival missing); at 0.02 about half are; one run has no
    clinical onset."""
    rng = np.random.default_rng(seed)
    rates = np.repeat([0.01, 0.02, 0.04], 10)
    onset = rng.uniform(5, 15, rates.size)
    surv = np.where(rates == 0.01, 500.0,
                    np.where(rates == 0.02, np.tile([20.0, 30.0, 40.0, 90.0, 99.0], 6),
                             rng.uniform(5, 25, rates.size)))
    censored = onset + surv > 60.0
    onset[25] = np.nan  # never symptomatic: no survival time
    censored[25] = True
    return pd.DataFrame({
        "run_id": range(rates.size), "point": np.repeat([0, 1, 2], 10),
        "replicate": np.tile(range(10), 3), "seed": 1, "spread.contralateral_rate": rates,
        "horizon_months": 60.0, "clinical.clinical_onset_months": onset,
        "clinical.survival_months": np.where(censored, np.nan, surv),
        "clinical.censored": censored})


def test_sweep_figure_summarises_censored_survival_and_counts_every_run(tmp_path):
    from alssim.analysis.sweeps import km_median, sweep_summary

    table = _censored_sweep()
    points, event = sweep_summary(table, "spread.contralateral_rate", "clinical.survival_months")
    assert event == "died" and [p.value for p in points] == [0.01, 0.02, 0.04]
    # the all-censored value is kept: its median is not reached
    assert points[0].n == 10 and points[0].events == 0 and points[0].censored == 10
    assert points[0].median == np.inf
    # partly censored: the Kaplan-Meier median, not the median of the deaths alone (20..40)
    at = table["spread.contralateral_rate"] == 0.02
    onset = table.loc[at, "clinical.clinical_onset_months"].to_numpy()
    died = ~table.loc[at, "clinical.censored"].to_numpy(dtype=bool)
    t = np.where(died, table.loc[at, "clinical.survival_months"], 60.0 - onset)
    assert points[1].median == km_median(t, died)[0] > np.median(t[died])
    assert (points[1].events, points[1].censored) == (int(died.sum()), int((~died).sum()))
    assert points[2].used == 9 and points[2].n == 10  # the run without clinical onset

    fig = analysis.plot_sweep(table, "spread.contralateral_rate", "survival_months")
    _png(fig, tmp_path, "sweep_censored")
    ax = fig.get_axes()[0]
    title = ax.get_title()
    n_died = sum(p.events for p in points)
    n_cens = sum(p.censored for p in points)
    assert f"over 30 runs:\n{n_died} died, {n_cens} censored at the horizon, 1 without " \
        "clinical onset" in title
    assert "Kaplan–Meier median" in title
    texts = [c.get_text() for c in ax.texts]
    assert texts.count("median not\nreached") == 1
    # the median line passes through every value whose median is reached
    line = next(ln for ln in ax.get_lines() if len(ln.get_xdata()) == 2)
    assert list(line.get_xdata()) == [0.02, 0.04]
    assert line.get_ydata()[0] == points[1].median


def test_kaplan_meier_median_agrees_with_the_survival_module():
    from alssim.analysis.sweeps import km_median

    rng = np.random.default_rng(0)
    for _ in range(100):
        n = int(rng.integers(1, 30))
        t = np.round(rng.exponential(20.0, n))
        e = rng.random(n) < rng.random()
        km = kaplan_meier(t, e)
        assert km_median(t, e) == pytest.approx((km.median, km.median_lower, km.median_upper))


def test_sweep_figure_never_pools_a_second_swept_parameter_silently(tmp_path):
    table = pd.concat([_censored_sweep(4), _censored_sweep(5)], ignore_index=True)
    table.insert(5, "neurons.vulnerability_sigma", np.repeat([0.2, 0.6], 30))
    table.attrs["sweep"] = {"axes": [{"key": "spread.contralateral_rate"},
                                     {"key": "neurons.vulnerability_sigma"}]}
    for t in (table, pd.DataFrame(table.to_dict())):  # without attrs: the keys after "seed"
        with pytest.raises(alssim.ConfigError) as e:
            analysis.plot_sweep(t, "spread.contralateral_rate", "survival_months")
        assert e.value.key == "by" and "by='neurons.vulnerability_sigma'" in str(e.value)
    fig = analysis.plot_sweep(table, "spread.contralateral_rate", "survival_months",
                              by="neurons.vulnerability_sigma")
    labels = fig.get_axes()[0].get_legend_handles_labels()[1]
    assert {"neurons.vulnerability_sigma = 0.2", "neurons.vulnerability_sigma = 0.6"} <= \
        set(labels)
    assert "60 runs" in fig.get_axes()[0].get_title()
    fig = analysis.plot_sweep(table, "spread.contralateral_rate", "survival_months",
                              pool=["neurons.vulnerability_sigma"])
    assert "pooled over neurons.vulnerability_sigma" in fig.get_axes()[0].get_title()
    # one value of the other parameter: nothing to pool
    one = table[table["neurons.vulnerability_sigma"] == 0.2]
    analysis.plot_sweep(one, "spread.contralateral_rate", "survival_months")


def test_sweep_figure_counts_runs_without_a_value(tmp_path):
    table = _censored_sweep()
    table["clinical.alsfrs_r_dfs"] = np.where(table["spread.contralateral_rate"] == 0.04,
                                              np.nan, 0.5)
    fig = analysis.plot_sweep(table, "spread.contralateral_rate", "alsfrs_r_dfs")
    ax = fig.get_axes()[0]
    assert "over 20 of 30 runs; 10 without a value" in ax.get_title()
    assert "no run has a value here" in [t.get_text() for t in ax.get_legend().get_texts()]
    # censored runs need the columns that say when they were censored
    with pytest.raises(MissingColumnError, match="horizon_months"):
        analysis.plot_sweep(table.drop(columns=["horizon_months"]),
                            "spread.contralateral_rate", "survival_months")


# --------------------------------------------------------------------------- text
def test_spread_story_tells_where_loss_begins_and_where_it_goes_first(result):
    """The sentence follows the run: onset in the right hand (the fixture's onset), the first
    10% loss elsewhere across the midline for LMNs and in the same hemisphere's leg for UMNs
    (seed 3); a run too short for any pool to lose 10% says so."""
    onset = result.summary["onset"]
    assert (onset["segment"], onset["side"]) == ("cervical_lower", "right")
    assert _data.spread_story(result) == ("LMN loss begins at the right arm & hand and crosses "
                                          "to the left side first")
    assert _data.spread_story(result, "umn") == ("UMN loss begins at the right arm & hand; the "
                                                 "right leg follows")
    short = alssim.simulate(alssim.load_config(overrides={**SMALL,
                                                          "simulation.horizon_years": 0.5}),
                            seed=3)
    assert _data.spread_story(short) == "No LMN pool lost 10% of its neurons within 6 months"


# --------------------------------------------------------------------------- CLI
@pytest.mark.slow
def test_cli_run_plot_and_redraw(tmp_path, capsys):
    from alssim.cli.main import main

    out = tmp_path / "run"
    sets = [a for k, v in SMALL.items() for a in ("--set", f"{k}={v}")]
    rc = main(["run", str(REPO / "configs" / "default.toml"), *sets, "--seed", "2",
               "--out", str(out), "--animate"])
    assert rc == 0
    figs = out / "figures"
    assert [p.suffix for p in figs.iterdir()] in ([".gif"], [".mp4"])
    assert "figure file(s)" in capsys.readouterr().out
    assert main(["plot", str(out), "--dpi", "30"]) == 0  # redraw from the saved result
    assert (figs / "populations.png").stat().st_size > 1000
    assert main(["plot", str(out), "--dpi", "30"]) == 1  # figures exist: refused
    assert "--force" in capsys.readouterr().err
    assert main(["plot", str(tmp_path / "nothing")]) == 1
    assert "result.json" in capsys.readouterr().err


def test_cli_run_plot_flag(tmp_path, monkeypatch):
    """``run --plot`` hands the fresh result to the standard figure set."""
    from alssim.cli import run as run_cli
    from alssim.cli.main import main

    calls = []
    monkeypatch.setattr(run_cli, "write_figures",  # the name the run command calls
                        lambda res, out, **kw: calls.append((res, out, kw)) or [])
    sets = [a for k, v in SMALL.items() for a in ("--set", f"{k}={v}")]
    out = tmp_path / "run"
    assert main(["run", str(REPO / "configs" / "default.toml"), *sets, "--out", str(out),
                 "--plot"]) == 0
    (res, where, kw), = calls
    # drawn into the run's staging folder, moved into `out` with the other files
    assert isinstance(res, alssim.Result) and where.parent == out
    assert where.name.startswith(".alssim-partial-")
    assert kw["figures"] and not kw["animate"]


def test_every_plot_draws_on_the_axes_or_figure_it_is_given(result, patients, with_clinical):
    # one-panel plots take ax= and draw only there; plots of several panels take fig= (a
    # figure or subfigure without axes); each returns the figure it drew on
    from types import SimpleNamespace

    from matplotlib.figure import Figure

    table = pd.DataFrame({"spread.contralateral_rate": np.repeat([0.01, 0.02], 5),
                          "summary.survival_months": np.arange(10.0)})
    trial = pd.DataFrame({"replicate": 0, "arm": np.repeat(["placebo", "drug"], 5),
                          "survival_months": np.arange(10.0) + 1, "death": True})
    validation = pd.DataFrame({"id": ["a", "b"], "low": [1.0, 0.3], "high": [2.0, 1e9],
                               "simulated": [1.5, 0.1], "ci_low": [1.2, 0.05],
                               "ci_high": [1.8, 0.2], "passed": [True, False]})
    fit = SimpleNamespace(history=[({"k": 0.1}, 2.0), ({"k": 0.2}, 1.0)], parameters={"k": 0.2},
                          n_evaluations=2, distance_before=2.0, distance_after=1.0,
                          meta={"method": "nelder-mead"},
                          targets=validation.rename(columns={"simulated": "after",
                                                             "ci_low": "before"}))
    one_panel = {
        "plot_survival_by_onset": lambda ax: analysis.plot_survival_by_onset(patients, ax=ax),
        "plot_dfs_histogram": lambda ax: analysis.plot_dfs_histogram(patients, ax=ax),
        "plot_onset_sites": lambda ax: analysis.plot_onset_sites(patients, ax=ax),
        "plot_mune_cmap_strength": lambda ax: analysis.plot_mune_cmap_strength(result, ax=ax),
        "plot_sweep": lambda ax: analysis.plot_sweep(
            table, "spread.contralateral_rate", "survival_months", ax=ax),
        "plot_trial_survival": lambda ax: analysis.plot_trial_survival(trial, ax=ax),
        "plot_validation": lambda ax: analysis.plot_validation(validation, ax=ax),
        "plot_calibration": lambda ax: analysis.plot_calibration(fit, ax=ax),
        "plot_calibration_targets": lambda ax: analysis.plot_calibration_targets(fit, ax=ax),
    }
    panels = {
        "plot_first_spread": lambda fig: analysis.plot_first_spread(patients, fig=fig),
        "plot_motor_units": lambda fig: analysis.plot_motor_units(result, fig=fig),
        "plot_spread_timeline": lambda fig: analysis.plot_spread_timeline(result, fig=fig),
        "plot_populations": lambda fig: analysis.plot_populations(result, fig=fig),
        "plot_clinical_course": lambda fig: analysis.plot_clinical_course(result, fig=fig),
        "plot_signs": lambda fig: analysis.plot_signs(result, fig=fig),
        "plot_body_map": lambda fig: analysis.plot_body_map(result, fig=fig),
        "plot_body_map_grid": lambda fig: analysis.plot_body_map_grid(result, n=2, fig=fig),
    }
    plots = {name for name in analysis.__all__ if name.startswith("plot_")}
    assert plots == set(one_panel) | set(panels)  # every plot function is covered
    for name, plot in one_panel.items():
        fig = Figure()
        left, right = fig.subplots(1, 2)
        assert plot(right) is fig, name
        assert right.has_data() or right.patches or right.texts, name
        assert not left.has_data() and not left.lines, name
    for name, plot in panels.items():
        fig = Figure()
        sub = fig.add_subfigure(fig.add_gridspec(1, 2)[0, 1])
        assert plot(sub) is sub, name
        assert sub.axes, name
        with pytest.raises(ValueError, match="without axes"):
            plot(sub)  # it has axes now
