"""All of alssim's performance figures in one command: a table and a figure (issue 8).

Measured in this one run, on one core:

1. **Headline**: the default patient at ``scale = 1`` (2.6 million neuron agents), 10 years in
   1-day steps, including the clinical layer when :mod:`alssim.clinical` is present: wall time
   (best of ``--repeat``) and peak memory per agent (``tracemalloc``, during ``simulate``). The
   reference stepper's cost per step on the same patient is measured over a short slice and
   scaled to the full horizon (said so in the output).
2. **Side by side at equal model and size**: alssim, the same model in Mesa 3
   (:mod:`benchmarks.mesa_model`, one ``mesa.Agent`` per neuron), in Starsim 3.7
   (:mod:`benchmarks.starsim_model`, one agent of ``ss.People`` per neuron, vectorised) and
   alssim's per-neuron reference stepper, all on the same configuration, at a size Mesa finishes
   in about a minute (``--mesa-agents`` neurons over ``--mesa-days`` daily steps). Then the
   headline patient in Starsim: its set-up and first ``--starsim-slice-steps`` steps are timed
   and scaled to the full horizon, with the fall in cost as neurons die measured on a smaller
   patient over the whole horizon (said so in the output); ``--starsim-slice-steps 0`` runs the
   whole horizon instead.
3. **Scaling curves**: wall time, cost per step and peak bytes per agent over neuron count
   (10^3 to 10^7 agents, through ``simulation.scale``); wall time over the horizon; wall time over
   the number of patients (independent patients, one after another, one core).

Writes ``benchmarks/results/performance.json`` and ``benchmarks/results/performance.png``.

Usage::

    pip install -e ".[bench]"          # Mesa and Starsim (>= 3.6), for the side-by-side comparison
    python benchmarks/run_all.py       # about 5 minutes, 1-2 of which are Mesa's
    python benchmarks/run_all.py --quick   # a smoke run of every section (seconds)
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core, before numpy is imported

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import alssim  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # so that ``benchmarks.mesa_model`` imports from a checkout
_STARSIM_MISSING = "(pip install -e '.[bench]')"

try:
    from alssim.clinical import assess as _assess
except ImportError:  # the clinical layer is optional for the engine benchmark
    _assess = None


# ----------------------------------------------------------------------------- helpers
def _best_of(fn, repeat: int, clock=time.perf_counter) -> float:
    """Best time of ``repeat`` calls: wall time, or with ``clock=time.process_time`` the CPU time
    of this process (which other processes sharing the machine do not inflate)."""
    best = np.inf
    for _ in range(max(1, repeat)):
        gc.collect()
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best


def _peak_bytes(fn) -> int:
    """Traced peak of ``fn()``, run in a new thread: the engine keeps a batch's key array per
    thread for the next batch (``alssim.keys.key_space``), so a new thread allocates it inside
    the measurement, as a process's first run does."""
    gc.collect()
    worker = threading.Thread(target=fn)
    tracemalloc.start()
    try:
        worker.start()
        worker.join()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


BASE = alssim.load_config()
N_DEFAULT = int(BASE.anatomy.counts(1.0).sum())


def _config(n_agents: float, days: float, engine: str = "exact", output_days: float = 30.0):
    """Default model with about ``n_agents`` neurons, ``days`` 1-day steps."""
    return BASE.with_overrides(
        {
            "simulation.scale": n_agents / N_DEFAULT,
            "simulation.horizon_years": days / 365.25,
            "simulation.dt_days": 1.0,
            "simulation.output_interval_days": min(output_days, days),
            "simulation.engine": engine,
        }
    )


def _agents(cfg) -> int:
    return int(cfg.anatomy.counts(cfg.simulation.scale).sum())


def _run(cfg, seed: int = 1, clinical: bool = True):
    res = alssim.simulate(cfg, seed=seed)
    if clinical and _assess is not None:
        _assess(res)
    return res


def _per_step(n_agents: float, repeat: int, long_days: float, short_days: float = 30.0):
    """Engine cost per step: difference of two horizons over the difference of their steps."""
    long_cfg, short_cfg = _config(n_agents, long_days), _config(n_agents, short_days)
    _run(short_cfg, clinical=False)
    t_long = _best_of(lambda: _run(long_cfg, clinical=False), repeat)
    t_short = _best_of(lambda: _run(short_cfg, clinical=False), repeat)
    steps = long_cfg.simulation.n_steps - short_cfg.simulation.n_steps
    return (t_long - t_short) / steps, t_short


def _reference_per_step(n_agents: float, days: float, repeat: int) -> float:
    """Reference stepper cost per step (its run minus the exact engine's set-up, over steps).

    Timed over at least ``days`` steps, more for small populations (about 2e7 agent-steps, at
    most 10 years) so that the difference is well above the timer's noise.
    """
    days = min(3652.0, max(days, 2e7 / n_agents))
    ref = _config(n_agents, days, engine="reference")
    exact = _config(n_agents, days)
    t_ref = _best_of(lambda: _run(ref, clinical=False), repeat)
    t_exact = _best_of(lambda: _run(exact, clinical=False), repeat)
    return max(t_ref - t_exact, 0.0) / ref.simulation.n_steps


# ----------------------------------------------------------------------------- sections
def headline(args) -> dict:
    # the shipped default patient itself (scale 1, 10 years, daily steps, monthly records)
    cfg = BASE.with_overrides({"simulation.engine": "exact", "simulation.scale": args.scale})
    sim = cfg.simulation
    n = _agents(cfg)
    _run(cfg)  # warm caches and imports
    wall = _best_of(lambda: _run(cfg), args.repeat)
    wall_engine = _best_of(lambda: _run(cfg, clinical=False), args.repeat)
    cpu = _best_of(lambda: _run(cfg), args.repeat, clock=time.process_time)
    peak = _peak_bytes(lambda: alssim.simulate(cfg, seed=1))
    ref_step = _reference_per_step(n, args.reference_days, max(1, args.repeat // 2))
    ref_full = wall_engine + ref_step * sim.n_steps
    return {
        "neuron_agents": n,
        "steps": sim.n_steps,
        "dt_days": sim.dt_days,
        "horizon_years": sim.horizon_years,
        "clinical_layer_included": _assess is not None,
        "wall_s": wall,
        "engine_wall_s": wall_engine,
        "cpu_s": cpu,
        "agent_steps_per_s": n * sim.n_steps / wall,
        "peak_bytes_per_agent": peak / n,
        "reference_s_per_step": ref_step,
        "reference_slice_days": args.reference_days,
        "reference_full_s_scaled": ref_full,
        "speedup_vs_reference": ref_full / wall,
    }


def side_by_side(args) -> dict:
    cfg = _config(args.mesa_agents, args.mesa_days)
    ref_cfg = _config(args.mesa_agents, args.mesa_days, engine="reference")
    n, steps = _agents(cfg), cfg.simulation.n_steps
    _run(cfg)
    out = {"neuron_agents": n, "steps": steps, "dt_days": 1.0}
    # short runs: many repeats, so that the best one is free of other processes' time slices
    out["alssim_s"] = _best_of(lambda: _run(cfg), 4 * args.repeat)
    out["alssim_dead"] = int(_run(cfg)["dead"][-1].sum())
    out["reference_s"] = _best_of(lambda: _run(ref_cfg), max(1, args.repeat // 2))
    out["reference_dead"] = int(_run(ref_cfg)["dead"][-1].sum())
    out.update(_side_by_side_starsim(cfg, out["alssim_s"]))
    try:
        from benchmarks.mesa_model import run_mesa
    except ImportError as exc:  # mesa not installed
        out["mesa_error"] = f"{exc} (pip install -e '.[bench]')"
        return out
    import mesa

    out["mesa_version"] = mesa.__version__
    gc.collect()
    t0 = time.perf_counter()
    res = run_mesa(cfg, seed=1)
    out["mesa_s"] = time.perf_counter() - t0
    out["mesa_dead"] = int(res["dead"][-1].sum())
    out["mesa_ns_per_agent_step"] = out["mesa_s"] / (n * steps) * 1e9
    out["speedup_vs_mesa"] = out["mesa_s"] / out["alssim_s"]
    out["speedup_vs_reference"] = out["reference_s"] / out["alssim_s"]
    return out


def _starsim_warm_up():
    """Import Starsim and load its compiled kernels (a tiny run), so that timings exclude them."""
    from benchmarks.starsim_model import run_starsim

    run_starsim(_config(2e3, 5), seed=1)


def _side_by_side_starsim(cfg, alssim_s: float) -> dict:
    """The Starsim model on the side-by-side configuration: wall time (one run), deaths."""
    try:
        import starsim

        from benchmarks.starsim_model import run_starsim
    except ImportError as exc:  # starsim not installed
        return {"starsim_error": f"{exc} {_STARSIM_MISSING}"}
    n, steps = _agents(cfg), cfg.simulation.n_steps
    _starsim_warm_up()
    gc.collect()
    t0 = time.perf_counter()
    res = run_starsim(cfg, seed=1)
    wall = time.perf_counter() - t0
    return {
        "starsim_version": starsim.__version__,
        "starsim_s": wall,
        "starsim_dead": int(res["dead"][-1].sum()),
        "starsim_ns_per_agent_step": wall / (n * steps) * 1e9,
        "speedup_vs_starsim": wall / alssim_s,
    }


def _starsim_run_s(cfg) -> tuple[float, float]:
    """Set-up (neurons, ``ss.Sim`` and its initialisation) and run time of the Starsim model."""
    from benchmarks.starsim_model import make_sim, run_starsim

    gc.collect()
    t0 = time.perf_counter()
    model = make_sim(cfg, seed=1).init()
    t1 = time.perf_counter()
    run_starsim(cfg, seed=1, sim=model)
    return t1 - t0, time.perf_counter() - t1


def starsim_full_scale(args, headline: dict) -> dict:
    """The headline patient in Starsim: measured over the whole horizon, or over a slice of it
    and scaled.

    Scaling: the first ``--starsim-slice-steps`` steps are timed, when nearly every neuron is
    alive. Most die over the horizon and Starsim's cost per step falls with the living agents
    (though less than in proportion: the survivors' rows are read scattered through its
    arrays), so the steps' cost is scaled by the ratio of the whole horizon's run time to the
    slice's cost times the steps, measured in the same run on the same patient at
    ``--starsim-calibration-scale`` (0.1: 262,300 neurons; measured 0.54, 0.56, 0.47 at scales
    0.03, 0.1, 0.3). Scaling by the steps alone is given too, as an upper bound.
    """
    try:
        import starsim
    except ImportError as exc:
        return {"error": f"{exc} {_STARSIM_MISSING}"}
    cfg = BASE.with_overrides({"simulation.engine": "exact", "simulation.scale": args.scale})
    sim = cfg.simulation
    n, steps = _agents(cfg), sim.n_steps
    slice_steps = int(args.starsim_slice_steps)
    scaled = 0 < slice_steps < steps

    def head(c, k):  # the first k steps of config c
        return c.with_overrides({"simulation.horizon_years": k * sim.dt_days / 365.25})

    _starsim_warm_up()
    setup, run = _starsim_run_s(head(cfg, slice_steps) if scaled else cfg)
    out = {
        "starsim_version": starsim.__version__,
        "neuron_agents": n,
        "steps": steps,
        "scaled": scaled,
        "setup_s": setup,
    }
    if scaled:
        per_step = run / slice_steps
        cal = cfg.with_overrides({"simulation.scale": args.starsim_calibration_scale})
        cal_slice = _starsim_run_s(head(cal, slice_steps))[1] / slice_steps
        cal_full = _starsim_run_s(cal)[1]
        ratio = cal_full / (cal_slice * steps)
        out.update(
            {
                "slice_steps": slice_steps,
                "slice_run_s": run,
                "s_per_step_slice": per_step,
                "calibration_agents": _agents(cal),
                "calibration_run_s": cal_full,
                "calibration_ratio": ratio,
                "full_s": setup + ratio * per_step * steps,
                "full_s_steps_scaled": setup + per_step * steps,
            }
        )
    else:
        out["full_s"] = setup + run
    out["ns_per_agent_step"] = out["full_s"] / (n * steps) * 1e9
    out["agent_steps_per_s"] = n * steps / out["full_s"]
    out["speedup_vs_starsim"] = out["full_s"] / headline["engine_wall_s"]
    return out


def scaling_agents(args) -> list[dict]:
    rows = []
    for n_target in args.agents:
        cfg = _config(n_target, 10 * 365.25)
        n = _agents(cfg)
        repeat = 2 * args.repeat if n_target <= 2e6 else max(1, args.repeat // 2)
        _run(cfg, clinical=False)
        wall = _best_of(lambda cfg=cfg: _run(cfg, clinical=False), repeat)
        per_step, setup = _per_step(n_target, repeat, long_days=args.per_step_days)
        peak = _peak_bytes(lambda cfg=cfg: alssim.simulate(cfg, seed=1))
        row = {
            "neuron_agents": n,
            "steps": cfg.simulation.n_steps,
            "wall_10y_s": wall,
            "setup_s": setup,
            "us_per_step": per_step * 1e6,
            "peak_bytes_per_agent": peak / n,
        }
        if n_target <= args.reference_max_agents:
            row["reference_us_per_step"] = (
                _reference_per_step(n_target, args.reference_days, max(1, repeat // 2)) * 1e6
            )
        rows.append(row)
        print(f"    {n:>12,} agents: {wall:7.3f} s, {per_step * 1e6:6.1f} us/step", flush=True)
    return rows


def scaling_horizon(args) -> list[dict]:
    rows = []
    for years in args.horizons:
        cfg = _config(args.curve_agents, years * 365.25)
        _run(cfg)
        wall = _best_of(lambda cfg=cfg: _run(cfg), 2 * args.repeat)
        rows.append({"horizon_years": years, "steps": cfg.simulation.n_steps, "wall_s": wall})
    return rows


def scaling_patients(args) -> list[dict]:
    rows = []
    cfg = _config(args.curve_agents, 10 * 365.25)
    _run(cfg)
    for k in args.patients:
        wall = _best_of(lambda k=k: [_run(cfg, seed=s) for s in range(k)], 2)
        rows.append({"patients": k, "wall_s": wall, "s_per_patient": wall / k})
    return rows


# ----------------------------------------------------------------------------- output
def _print_table(fig: dict) -> None:
    h = fig["headline"]
    print()
    print(f"alssim {alssim.__version__} performance ({fig['machine']}; one core)")
    print("-" * 96)
    clin = "incl. clinical layer" if h["clinical_layer_included"] else "clinical layer absent"
    print(
        f"Full-scale patient: {h['neuron_agents']:,} neuron agents, {h['horizon_years']:g} years, "
        f"{h['steps']:,} steps of {h['dt_days']:g} day"
    )
    print(f"  alssim wall time ({clin})  {h['wall_s']:8.3f} s   target <= 0.5 s")
    print(f"  alssim CPU time (same, process_time) {h['cpu_s']:8.3f} s")
    print(f"  alssim engine alone (wall)           {h['engine_wall_s']:8.3f} s")
    print(f"  agent-steps per second               {h['agent_steps_per_s']:.2e}")
    print(
        f"  peak memory per agent (tracemalloc)  {h['peak_bytes_per_agent']:8.1f} B   "
        "target <= 48 B"
    )
    print(
        f"  reference stepper                    {h['reference_s_per_step'] * 1e3:8.1f} ms/step "
        f"(timed over {h['reference_slice_days']:g} steps, scaled to {h['steps']:,}: "
        f"{h['reference_full_s_scaled']:.0f} s)"
    )
    print(
        f"  speed-up over reference stepper      {h['speedup_vs_reference']:8.0f} x   "
        "target >= 100x"
    )
    s = fig["side_by_side"]
    print("-" * 96)
    print(
        f"Side by side, same model and size: {s['neuron_agents']:,} neuron agents, "
        f"{s['steps']:,} daily steps"
    )
    print(f"  {'engine':<34}{'wall (s)':>10}{'dead at end':>14}{'alssim is':>14}")
    print(f"  {'alssim (exact, + clinical)':<34}{s['alssim_s']:>10.3f}{s['alssim_dead']:>14,}")
    print(
        f"  {'alssim reference stepper':<34}{s['reference_s']:>10.3f}{s['reference_dead']:>14,}"
        f"{s['speedup_vs_reference']:>13.0f}x"
    )
    if "mesa_s" in s:
        print(
            f"  {'Mesa ' + s['mesa_version'] + ' (one Agent per neuron)':<34}"
            f"{s['mesa_s']:>10.1f}{s['mesa_dead']:>14,}{s['speedup_vs_mesa']:>13.0f}x"
            "   target >= 1000x"
        )
        print(f"  Mesa cost per agent-step: {s['mesa_ns_per_agent_step']:.0f} ns")
    else:
        print(f"  Mesa: not run ({s['mesa_error']})")
    if "starsim_s" in s:
        print(
            f"  {'Starsim ' + s['starsim_version'] + ' (ss.People, vectorised)':<34}"
            f"{s['starsim_s']:>10.2f}{s['starsim_dead']:>14,}{s['speedup_vs_starsim']:>13.0f}x"
        )
        print(f"  Starsim cost per agent-step: {s['starsim_ns_per_agent_step']:.1f} ns")
    else:
        print(f"  Starsim: not run ({s['starsim_error']})")
    f = fig["starsim_full_scale"]
    if "error" in f:
        print(f"  Full-scale patient in Starsim: not run ({f['error']})")
    else:
        print(
            f"Full-scale patient in Starsim {f['starsim_version']}: {f['neuron_agents']:,} "
            f"neuron agents, {f['steps']:,} steps"
        )
        if f["scaled"]:
            print(
                f"  set-up {f['setup_s']:.1f} s; first {f['slice_steps']} steps timed: "
                f"{f['slice_run_s']:.1f} s ({f['s_per_step_slice'] * 1e3:.0f} ms/step)"
            )
            print(
                f"  SCALED to {f['steps']:,} steps: x {f['calibration_ratio']:.2f} for the "
                f"neurons dying, measured on {f['calibration_agents']:,} agents over the whole "
                f"horizon ({f['calibration_run_s']:.0f} s): {f['full_s']:.0f} s "
                f"(by steps alone: {f['full_s_steps_scaled']:.0f} s)"
            )
        else:
            print(f"  measured over the whole horizon (set-up {f['setup_s']:.1f} s): "
                  f"{f['full_s']:.1f} s")
        print(
            f"  Starsim {f['ns_per_agent_step']:.1f} ns per agent-step, "
            f"{f['agent_steps_per_s']:.2e} agent-steps/s; alssim's engine is "
            f"{f['speedup_vs_starsim']:.0f}x faster   target >= 100x"
        )
    print("-" * 96)
    print("Scaling over neuron agents (10 years, daily steps; engine only)")
    print(
        f"  {'agents':>12}{'wall (s)':>10}{'set-up (s)':>12}{'us/step':>10}{'B/agent':>10}"
        f"{'reference us/step':>20}"
    )
    for r in fig["agents"]:
        ref = r.get("reference_us_per_step")
        print(
            f"  {r['neuron_agents']:>12,}{r['wall_10y_s']:>10.3f}{r['setup_s']:>12.3f}"
            f"{r['us_per_step']:>10.1f}{r['peak_bytes_per_agent']:>10.1f}"
            f"{'' if ref is None else f'{ref:,.0f}':>20}"
        )
    steps = [r["us_per_step"] for r in fig["agents"] if 1e4 <= r["neuron_agents"] <= 1.01e7]
    if steps:
        print(
            f"  per-step cost, 10^4 to 10^7 agents: max/min = {max(steps) / min(steps):.2f}   "
            "target <= 1.5"
        )
    print("-" * 96)
    print(f"Scaling over horizon ({fig['curve_agents']:,} agents, daily steps, + clinical)")
    print(
        "  " + "  ".join(f"{r['horizon_years']:g} y: {r['wall_s']:.3f} s" for r in fig["horizon"])
    )
    print(f"Scaling over patients ({fig['curve_agents']:,} agents each, 10 years, one core)")
    print("  " + "  ".join(f"{r['patients']}: {r['wall_s']:.2f} s" for r in fig["patients"]))
    print("-" * 96)


def _figure(fig: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    f, axes = plt.subplots(2, 2, figsize=(11, 8.5), layout="constrained")
    rows = fig["agents"]
    n = np.array([r["neuron_agents"] for r in rows], dtype=float)
    steps = 10 * 365.25

    ax = axes[0, 0]
    ax.loglog(n, [r["wall_10y_s"] for r in rows], "o-", label="alssim (measured)")
    ref = [
        (r["neuron_agents"], r["reference_us_per_step"])
        for r in rows
        if "reference_us_per_step" in r
    ]
    if ref:
        rn, rs = np.array(ref, dtype=float).T
        ax.loglog(rn, rs * 1e-6 * steps, "s--", label="reference stepper (per-step cost x steps)")
    s = fig["side_by_side"]
    if "mesa_ns_per_agent_step" in s:
        ax.loglog(
            n,
            n * steps * s["mesa_ns_per_agent_step"] * 1e-9,
            ":",
            color="C3",
            label="Mesa (cost per agent-step x agent-steps)",
        )
        ax.loglog(
            [s["neuron_agents"]],
            [s["mesa_s"] * steps / s["steps"]],
            "D",
            color="C3",
            label=f"Mesa measured ({s['steps']} steps, scaled to 10 years)",
        )
    if "starsim_ns_per_agent_step" in s:
        ax.loglog(
            n,
            n * steps * s["starsim_ns_per_agent_step"] * 1e-9,
            ":",
            color="C4",
            label="Starsim (cost per agent-step x agent-steps)",
        )
    full = fig.get("starsim_full_scale", {})
    if "full_s" in full:
        ax.loglog(
            [full["neuron_agents"]],
            [full["full_s"]],
            "v",
            color="C4",
            label="Starsim full-scale patient"
            + (f" ({full['slice_steps']} steps, scaled)" if full["scaled"] else ""),
        )
    ax.axhline(0.5, color="grey", lw=0.8)
    ax.set_xlabel("neuron agents")
    ax.set_ylabel("wall time for 10 years of daily steps (s)")
    ax.set_title("One patient, 10 years, 1-day steps")
    ax.legend(fontsize=8)

    ax = axes[0, 1]
    ax.semilogx(n, [r["us_per_step"] for r in rows], "o-", label="alssim")
    if ref:
        ax.loglog(rn, rs, "s--", label="reference stepper")
    ax.set_yscale("log")
    ax.set_xlabel("neuron agents")
    ax.set_ylabel("cost per step (µs)")
    ax.set_title("Cost per step: flat in N for alssim")
    ax.legend(fontsize=8)

    ax = axes[1, 0]
    h = fig["horizon"]
    ax.plot([r["horizon_years"] for r in h], [r["wall_s"] for r in h], "o-", label="wall time")
    ax.set_xlabel("horizon (years of daily steps)")
    ax.set_ylabel("wall time (s)")
    ax.set_title(f"Horizon ({fig['curve_agents']:,} agents)")

    ax = axes[1, 1]
    p = fig["patients"]
    ax.plot([r["patients"] for r in p], [r["wall_s"] for r in p], "o-", label="wall time")
    ax.set_xlabel("patients (one after another, one core)")
    ax.set_ylabel("wall time (s)")
    ax.set_title(f"Patients ({fig['curve_agents']:,} agents each, 10 years)")
    inset = ax.inset_axes([0.58, 0.1, 0.38, 0.35])
    inset.loglog(n, [r["peak_bytes_per_agent"] for r in rows], "o-", color="C2")
    inset.axhline(48, color="grey", lw=0.8)
    inset.set_title("peak bytes per agent", fontsize=8)
    inset.tick_params(labelsize=7)
    f.suptitle(f"alssim {alssim.__version__} performance — {fig['machine']}, one core")
    f.savefig(path, dpi=120)
    plt.close(f)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="timing repeats (best is reported)")
    ap.add_argument("--mesa-agents", type=float, default=1e5, help="size of the side-by-side run")
    ap.add_argument("--mesa-days", type=float, default=1200,
                    help="daily steps of that run (default: Mesa takes about a minute on an "
                    "idle core of the development machine)")
    ap.add_argument("--starsim-slice-steps", type=int, default=40,
                    help="steps of the full-scale Starsim run, scaled to the horizon (0: the "
                    "whole horizon, several minutes)")
    ap.add_argument("--starsim-calibration-scale", type=float, default=0.1,
                    help="scale of the whole-horizon Starsim run that calibrates that scaling")
    ap.add_argument("--reference-days", type=float, default=20, help="reference slice (steps)")
    ap.add_argument("--reference-max-agents", type=float, default=1e7)
    ap.add_argument(
        "--per-step-days",
        type=float,
        default=40 * 365.25,
        help="long horizon of the per-step measurement",
    )
    ap.add_argument(
        "--curve-agents", type=float, default=1e5, help="size of horizon/patient curves"
    )
    ap.add_argument("--agents", type=float, nargs="+", default=[1e3, 1e4, 1e5, 1e6, 1e7])
    ap.add_argument("--horizons", type=float, nargs="+", default=[1, 2, 5, 10, 20, 40])
    ap.add_argument("--patients", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32])
    ap.add_argument("--scale", type=float, default=1.0, help="scale of the headline patient")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run of every part")
    args = ap.parse_args(argv)
    if args.quick:
        args.repeat, args.mesa_agents, args.mesa_days = 1, 2e3, 30
        args.agents, args.horizons, args.patients = [1e3, 1e4], [1, 2], [1, 2]
        args.per_step_days, args.curve_agents, args.reference_days = 365.25, 2e3, 5
        args.scale, args.starsim_slice_steps, args.starsim_calibration_scale = 0.002, 5, 0.001

    cpu = platform.processor() or platform.machine()
    machine = f"{cpu}, {os.cpu_count()} CPUs, numpy {np.__version__}"
    fig = {
        "machine": machine,
        "load_average": os.getloadavg(),
        "curve_agents": int(args.curve_agents),
    }
    print("headline ...", flush=True)
    fig["headline"] = headline(args)
    print("side by side (Mesa takes about a minute) ...", flush=True)
    fig["side_by_side"] = side_by_side(args)
    print("full-scale patient in Starsim ...", flush=True)
    fig["starsim_full_scale"] = starsim_full_scale(args, fig["headline"])
    print("scaling over agents ...", flush=True)
    fig["agents"] = scaling_agents(args)
    print("scaling over horizon and patients ...", flush=True)
    fig["horizon"] = scaling_horizon(args)
    fig["patients"] = scaling_patients(args)
    fig["load_average_end"] = os.getloadavg()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "performance.json").write_text(json.dumps(fig, indent=2))
    _figure(fig, args.out / "performance.png")
    _print_table(fig)
    load = (fig["load_average"][0], fig["load_average_end"][0])
    print(f"load average (other processes too) at start / end: {load[0]:.2f} / {load[1]:.2f}")
    print(f"wrote {args.out / 'performance.json'} and {args.out / 'performance.png'}")
    return fig


if __name__ == "__main__":
    main()
