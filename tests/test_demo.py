"""`alssim demo`: no arguments; a new folder with the story, the figures and the animation."""

from __future__ import annotations

import json
import os
import time

import pytest

import alssim
from alssim.analysis.figures import STANDARD_FIGURES
from alssim.cli import demo as demo_cmd
from alssim.cli.main import main


@pytest.mark.slow
def test_demo_writes_story_figures_and_animation(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    start = time.perf_counter()
    rc = main(["demo"])                                   # no arguments at all
    seconds = time.perf_counter() - start
    # the time budget (30 s on the development machine) is measured and reported, not asserted:
    # the shared test machine's load varies
    out = tmp_path / "alssim-demo"
    assert rc == 0
    assert "alssim-demo/summary.md" in capsys.readouterr().out
    with capsys.disabled():
        print(f"\nalssim demo wall time: {seconds:.1f} s (budget 30 s)")
    figures = out / "figures"
    for stem in STANDARD_FIGURES:
        assert (figures / f"{stem}.png").stat().st_size > 10_000, stem
    anim = [p for p in figures.iterdir() if p.stem == "body_map" and p.suffix in (".gif", ".mp4")]
    assert anim and anim[0].stat().st_size > 50_000
    story = (out / "summary.md").read_text()
    for heading in ("# What happened to this patient", "## Onset", "## Spread",
                    "## Diagnosis and stages", "## Survival", "## For the lecture"):
        assert heading in story
    summary = json.loads((out / "summary.json").read_text())
    c = summary["clinical"]
    assert f"{summary['n_neurons']:,}" in story
    assert "right arm and hand" in story and "King's stages" in story
    if c["survival_months"] is not None:
        assert f"{c['survival_months']:.0f} months" in story
    assert f"scale {demo_cmd.DEMO_SCALE:g}" in story
    for fig in STANDARD_FIGURES:
        assert f"(figures/{fig}.png)" in story
    # the folder is a normal run folder: `alssim plot` and alssim.load read it
    res = alssim.load(out)
    assert res.config.simulation.scale == demo_cmd.DEMO_SCALE
    assert res.summary == {**summary}


def test_demo_refuses_a_used_folder_in_one_line(tmp_path, capsys):
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("keep me")
    rc = main(["demo", "--out", str(used)])
    err = capsys.readouterr().err
    assert rc == 1 and err.count("\n") == 1 and "--force" in err
    assert (used / "notes.txt").read_text() == "keep me"
    assert main(["demo", "--seed", "-3", "--out", str(tmp_path / "x")]) == 1
    assert not (tmp_path / "x").exists()
    with pytest.raises(SystemExit) as info:
        main(["demo", "--bogus"])
    assert info.value.code == 2


def test_demo_force_overwrites(tmp_path, monkeypatch, capsys):
    # the plumbing of --force and --seed, without drawing (figures are tested above)
    monkeypatch.setattr("alssim.cli.demo.write_figures", lambda *a, **k: [])
    monkeypatch.setattr("alssim.analysis.bodymap.animate_body_map",
                        lambda res, path, **k: path)
    out = tmp_path / "d"
    out.mkdir()
    (out / "old.txt").write_text("old")
    rc = main(["demo", "--out", str(out), "--force", "--seed", "7"])
    assert rc == 0
    assert alssim.load(out).seed == 7
    assert "(seed 7)" in (out / "summary.md").read_text()


@pytest.mark.parametrize("preset", ["primary_lateral_sclerosis", "bulbar_onset"])
def test_patient_story_reads_other_patients(preset):
    from alssim.config.loader import configs_dir

    cfg = alssim.load_config(configs_dir() / "phenotypes" / f"{preset}.toml",
                             overrides={"simulation.scale": 0.01})
    res = alssim.simulate(cfg, seed=1)
    story = demo_cmd.patient_story(res)
    assert "## For the lecture" not in story                 # not a teaching config
    if res.summary["clinical"]["survival_months"] is None:
        assert "still alive at the end" in story
    assert "upper motor neurons only" in story or "bulbar" in story
    assert os.linesep not in story.replace("\n", "")


def test_story_tells_no_neuron_loss_after_death():
    """The spread paragraph lists only populations that lost 10% while the patient lived."""
    # a flail-arm patient: most populations lose 10% only after death in the model's arrays
    cfg = alssim.load_config(alssim.config.configs_dir() / "phenotypes" / "flail_arm.toml",
                             overrides={"simulation.scale": 0.01})
    res = alssim.simulate(cfg, seed=1)
    dead = res.clinical.after_death
    assert dead.any()  # the patient dies within the horizon
    death_t = float(res.times_months[~dead][-1])
    loss = res.summary["loss_months"]
    after = [lab for lab in res.summary["order_of_involvement"]
             if loss[lab]["lost_10"] > death_t]
    assert after
    story = demo_cmd.patient_story(res)
    spread = story[story.index("## Spread"):story.index("## Diagnosis")]
    told = len(res.summary["order_of_involvement"]) - len(after)
    listed = spread.split("in order: ")[1].split(".")[0]
    n_listed = min(told, 6) + (int(listed.rsplit("and ", 1)[1].split(" more")[0])
                               if " more" in listed else 0)
    assert n_listed == told


def test_story_names_a_tie_in_the_first_spread():
    """Segments first seen involved at the same record are named together, not one of them
    picked silently; without a tie the story names the one segment."""
    from alssim.config.loader import configs_dir

    cfg = alssim.load_config(configs_dir() / "teaching" / "onset_and_spread.toml")
    for seed in (1, 2):
        res = alssim.simulate(cfg, seed=seed)
        c = res.summary["clinical"]
        first = c["first_spread"]["months"]
        onset = f"{c['onset_segment']}:{c['onset_side']}"
        tied = [k for k, m in c["segment_involvement_months"].items()
                if m == first and k != onset]
        story = demo_cmd.patient_story(res)
        line = next(ln for ln in story.splitlines() if ln.startswith("Clinically"))
        if len(tied) > 1:
            assert f"spread to {len(tied)} places first seen at the same visit" in line
            assert "do not tell which came first" in line
            assert line.count("(C") >= len(tied) - 1  # each place named with its segments
        else:
            assert line.startswith(f"Clinically, the first spread was "
                                   f"{c['first_spread']['direction']}")
    # seed 1 has a tie (the other hand, the shoulder above and the leg at one visit)
    res = alssim.simulate(cfg, seed=1)
    story = demo_cmd.patient_story(res)
    assert "3 places first seen at the same visit" in story
    for place in ("the left arm and hand", "the right neck and shoulder", "the right leg"):
        assert place in story
