"""``alssim demo``: one command, no arguments, a patient's story in a new folder.

Simulates the teaching patient of ``configs/teaching/onset_and_spread.toml`` (classic ALS beginning
in the right hand) at a small scale, then writes the body-map animation, the standard figures
(with the scenario's caption) and ``summary.md``: what happened to this patient, in plain words.
Made for the first five minutes with alssim, and for a lecture.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Any

import alssim
from alssim.cli.common import FORCE_HELP, write_json
from alssim.cli.plot import FIGURES_DIR, write_figures
from alssim.clinical.events import spread_direction
from alssim.config.loader import configs_dir
from alssim.fileio import atomic_write_text
from alssim.outdir import OutputFolder
from alssim.teaching import explain

__all__ = ["DEMO_CONFIG", "DEMO_SCALE", "patient_story", "register", "run_demo"]

#: The teaching scenario the demo runs (relative to the shipped configs folder).
DEMO_CONFIG = Path("teaching") / "onset_and_spread.toml"
#: Population scale of the demo: the teaching scenario's own 5% of human neuron counts
#: (~131,000 neurons), so the demo shows the patient whose course the scenario's text describes
#: (tests/test_teaching.py checks its claims at this scale); the whole demo -- simulation, eight
#: figures and the animation -- still takes about 10 s on a 2-core laptop. At 2% the smaller
#: pools make the order of spread noisier, and in half of the seeds it no longer follows the
#: text (seed 1: the shoulder above the onset before the other hand).
DEMO_SCALE = 0.05
#: One animation frame per this many records (records are monthly).
ANIMATION_EVERY = 2

EXAMPLE = """examples:
  alssim demo                          # writes alssim-demo/
  alssim demo --out my-demo --seed 7   # another patient, same disease
  alssim demo --force                  # overwrite alssim-demo/
writes DIR/summary.md (what happened to this patient, in plain words), DIR/figures/*.png (the
standard figures), DIR/figures/body_map.gif (the animation; .mp4 with ffmpeg), and
DIR/summary.json, DIR/config.toml, DIR/result.json + result.npz (for `alssim plot DIR`)."""


def register(sub) -> None:
    p = sub.add_parser("demo", help="simulate a teaching patient and write its story, "
                       "figures and animation", epilog=EXAMPLE,
                       description="Simulate one teaching patient (classic ALS beginning in the "
                       "right hand) and write its story, figures and body-map animation into a "
                       "new folder. No arguments needed.",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=Path("alssim-demo"),
                   help="output folder (default: alssim-demo); must be new or empty")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.add_argument("--seed", type=int, default=None,
                   help="random seed: another patient with the same disease (default: 1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    alssim.config.check_seed(args.seed)  # an integer in simulation.seed's range
    written, seconds = run_demo(args.out, seed=args.seed, force=args.force)
    print(f"alssim: wrote {args.out}/summary.md, {len(written)} figure file(s) in "
          f"{args.out}/figures ({seconds:.1f} s). Start with {args.out}/summary.md")
    return 0


def run_demo(out: str | Path, *, seed: int | None = None, force: bool = False,
             scale: float = DEMO_SCALE) -> tuple[list[Path], float]:
    """Simulate the demo patient and write its folder.

    Parameters
    ----------
    out : str or Path
        Output folder; must be new or empty unless ``force``.
    seed : int, optional
        Random seed (default: the scenario's ``simulation.seed``).
    force : bool
        Overwrite a non-empty folder.
    scale : float
        Population scale (default :data:`DEMO_SCALE`).

    Returns
    -------
    (list of Path, float)
        The figure files written (PNGs and the animation) and the wall time in seconds.

    Raises
    ------
    OutputExistsError
        If ``out`` holds files and ``force`` is false (checked before anything is computed).
    """

    start = time.perf_counter()
    out = Path(out)
    with OutputFolder(out, force=force, command="alssim demo") as folder:
        folder.require_empty()
        folder.reserve("summary.md", "summary.json", "config.toml", "result.json")
        cfg = alssim.load_config(configs_dir() / DEMO_CONFIG,
                                 overrides={"simulation.scale": scale})
        res = alssim.simulate(cfg, seed=seed)
        with folder.staged(replace=True) as stage:
            write_json(stage / "summary.json", res.summary)
            atomic_write_text(stage / "config.toml", cfg.to_toml())
            res.save(stage, force=True)
            written = write_figures(res, stage, figures=True, force=True)
            from alssim.analysis.bodymap import animate_body_map, preferred_animation_suffix

            # two months per frame: half the frames of `alssim run --animate`, within the budget
            anim = stage / FIGURES_DIR / f"body_map{preferred_animation_suffix()}"
            written.append(animate_body_map(res, anim, every=ANIMATION_EVERY, fps=3.0))
            written = [p.relative_to(stage) for p in written]
            seconds = time.perf_counter() - start
            story = patient_story(res, seconds=seconds, figures=written)
            atomic_write_text(stage / "summary.md", story)
    written = [out / p for p in written]
    return written, seconds


# ------------------------------------------------------------------------------------ the story
_SEGMENT_WORDS = {
    "bulbar": "the bulbar muscles (speech, swallowing)",
    "phrenic": "the diaphragm (phrenic nucleus, C3-C5)",
    "cervical_upper": "the neck and shoulder (C3-C5)",
    "cervical_lower": "the arm and hand (C6-T1)",
    "thoracic": "the trunk and breathing muscles of the chest (T2-T12)",
    "lumbosacral": "the leg (L1-S2)",
}
_REGION_WORDS = {"bulbar": "bulbar (speech and swallowing)", "upper_limb": "arms",
                 "lower_limb": "legs", "respiratory": "breathing (diaphragm)"}
_COMPARTMENT_WORDS = {"both": "upper and lower motor neurons together",
                      "umn": "upper motor neurons only", "lmn": "lower motor neurons only"}


def _months(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "not within the simulated time"
    if abs(x) >= 24:
        return f"{x:.0f} months ({x / 12:.1f} years)"
    return f"{x:.0f} months"


def _where(segment: str, side: str | None) -> str:
    words = _SEGMENT_WORDS.get(segment, segment)
    if side is None:
        return words
    # "the arm and hand" -> "the right arm and hand"
    return words.replace("the ", f"the {side} ", 1) if words.startswith("the ") else words


#: How the story names each direction of :func:`alssim.clinical.events.spread_direction`.
_DIRECTION_WORDS = {"contralateral": "on the other side", "rostral": "above the onset",
                    "caudal": "below the onset"}


def _first_spread_words(fs: dict, summary: dict, segments: tuple[str, ...]) -> str:
    """The sentence on the first clinical spread; segments first involved at the same record as
    ``fs`` (a tie at the records' resolution) are named with it, not left out. ``segments``:
    the anatomy's segment names, rostral to caudal."""
    seg_months = summary.get("segment_involvement_months") or {}
    onset = (summary.get("onset_segment"), summary.get("onset_side"))
    tied = sorted((key.split(":") for key, m in seg_months.items()
                   if m is not None and m == fs["months"]
                   and tuple(key.split(":")) != onset),
                  key=lambda p: (segments.index(p[0]), p[1]))
    when = f"{_months(fs['months'])} after onset"
    if len(tied) <= 1:
        return (f"Clinically, the first spread was {fs['direction']}: to "
                f"{_where(fs['segment'], fs.get('side'))}, {when}.")
    s0 = segments.index(str(onset[0]))
    places = [f"{_where(seg, side)}, "
              f"{_DIRECTION_WORDS[spread_direction(s0, segments.index(seg))]}"
              for seg, side in tied]
    return (f"Clinically, the disease spread to {len(tied)} places first seen at the same visit, "
            f"{when}: " + "; ".join(places[:-1]) + f"; and {places[-1]}. The records, a month "
            "apart, do not tell which came first.")


def patient_story(result, *, seconds: float | None = None,
                  figures: list[Path] | None = None) -> str:
    """What happened to one simulated patient, in plain words (Markdown).

    Parameters
    ----------
    result : alssim.Result
    seconds : float, optional
        Wall time of the run, reported at the end.
    figures : list of Path, optional
        Figure files (relative to the folder of the summary) to link.

    Returns
    -------
    str
        Markdown: onset, spread order, clinical onset, diagnosis, stages, survival, and the
        teaching questions of the scenario.
    """

    s = result.summary
    c: dict[str, Any] = s["clinical"]
    cfg = result.config
    onset = s["onset"]
    lines = ["# What happened to this patient", ""]
    scale = cfg.simulation.scale
    lines += [
        f"One virtual patient simulated by alssim {s['alssim_version']} (seed {s['seed']}): "
        f"{s['n_neurons']:,} upper and lower motor neurons, {scale:g} of human counts "
        f"(a small scale so that the whole demo runs in seconds), followed for "
        f"{s['horizon_months'] / 12:.0f} years.", ""]

    lines += ["## Onset", ""]
    lines.append(
        f"The disease began in {_where(onset['segment'], onset['side'])}, in "
        f"{_COMPARTMENT_WORDS.get(onset['compartment'], onset['compartment'])}. Neurons were "
        "lost silently at first: surviving motor units took over the orphaned muscle fibres "
        "(reinnervation), so the patient noticed nothing.")
    co = c.get("clinical_onset_months")
    if co is None:
        lines += ["", "No symptom appeared within the simulated time.", ""]
    else:
        where = ""
        if c.get("onset_segment"):
            where = f", in {_where(c['onset_segment'], c.get('onset_side'))}"
        lines.append(
            f"The first symptom (clinical onset) came {_months(co)} after the first neuron "
            f"was lost{where}. From here on, times count from clinical onset, as clinics and "
            "the literature do.")
    lines.append("")

    lines += ["## Spread", ""]
    order = s.get("order_of_involvement") or []
    dead = result.clinical.after_death if result.clinical is not None else None
    if dead is not None and dead.any():  # losses the patient did not live to see are not told
        death_t = float(result.times_months[~dead][-1])
        order = [lab for lab in order if s["loss_months"][lab]["lost_10"] <= death_t]
    if order:
        steps = []
        for label in order[:6]:
            comp, seg, side = label.split(":")
            steps.append(f"{comp.upper()} {side} {seg.replace('_', ' ')}")
        more = f", and {len(order) - 6} more" if len(order) > 6 else ""
        lines.append("Populations that lost 10% of their neurons, in order: "
                     + ", ".join(steps) + more + ".")
    fs = c.get("first_spread") or {}
    if fs.get("direction"):
        lines.append(_first_spread_words(fs, c, cfg.anatomy.segment_names))
    regions = c.get("region_involvement_months") or {}
    reached = sorted((v, k) for k, v in regions.items() if v is not None)
    if reached:
        lines.append("Regions became involved in this order: " + "; ".join(
            f"{_REGION_WORDS.get(k, k)} at {_months(v)}" for v, k in reached) + ".")
    lines.append("")

    lines += ["## Diagnosis and stages", ""]
    dx = c.get("diagnosis") or {}
    if dx.get("months") is not None:
        lines.append(
            f"Diagnosis ({dx['criteria'].replace('_', ' ').title()} criteria) at the clinic "
            f"visit {_months(dx['months'])} after onset, with an ALSFRS-R of {dx['alsfrs_r']} "
            f"of 48 (El Escorial category: {str(dx['el_escorial']).replace('_', ' ')}).")
    else:
        lines.append("The diagnostic criteria were not met within the simulated time.")
    kings = c.get("kings_stage_months") or {}
    names = {"1": "stage 1 (one region)", "2": "stage 2 (two regions)",
             "3": "stage 3 (three regions)", "4A": "4A (gastrostomy needed)",
             "4B": "4B (ventilation needed)"}
    got = [f"{names[k]} at {_months(kings[k])}" for k in names if kings.get(k) is not None]
    if got:
        lines.append("King's stages: " + "; ".join(got) + ".")
    mitos = c.get("mitos_stage_months") or {}
    got = [f"{k} at {_months(v)}" for k, v in mitos.items() if v is not None and k != "5"]
    if got:
        lines.append("MiToS stages (functional domains lost): " + "; ".join(got) + ".")
    slope = c.get("alsfrs_r_slope_per_month")
    if slope is not None:
        lines.append(f"The ALSFRS-R fell by {-slope:.2f} points per month on average "
                     "(trial cohorts: about 1; registries: 0.4-0.6).")
    lines.append("")

    lines += ["## Survival", ""]
    if c.get("survival_months") is not None:
        cause = ("of aspiration pneumonia (bulbar muscles too weak to protect the airway)"
                 if c.get("cause_of_death") == "aspiration_pneumonia" else
                 "of hypercapnic respiratory failure (the breathing muscles too weak)")
        lines.append(
            f"The patient died {cause} {_months(c['survival_months'])} after clinical onset, "
            "without ventilation. Published median survival from onset: about 30 months "
            "(range 20-48).")
    else:
        lines.append("The patient was still alive at the end of the simulated time.")
    lines.append("")

    text = explain(cfg.teaching)
    if text:
        lines += ["## For the lecture", "", "```text", text.rstrip(), "```", ""]
    if figures:
        lines += ["## Figures", ""]
        for p in figures:
            lines.append(f"- [{p.name}]({p.as_posix()})")
        lines.append("")
    lines += ["## Try next", "",
              "- `alssim demo --seed 7 --out demo-7`: another patient with the same disease.",
              "- `alssim run configs/phenotypes/bulbar_onset.toml --plot --out bulbar`: "
              "a different phenotype (see configs/phenotypes/).",
              "- `alssim run configs/teaching/stiff_and_twitching.toml --plot --explain "
              "--out lecture`: a teaching scenario with questions.", ""]
    if seconds is not None:
        lines.append(f"_Made in {seconds:.1f} s of wall time at scale {scale:g}._")
        lines.append("")
    return "\n".join(lines)
