"""Memory estimates made before anything large is allocated, and the guards that use them.

:func:`estimate_run_bytes` adds up what one patient holds at its peak: the per-neuron agent
arrays, the engine's sorted keys and prefix sums (or the reference stepper's per-step
temporaries), the construction temporaries of the largest population, the recorded outputs, the
``n_populations**2`` spread matrix, treatment schedules, the clinical course and, for a single
run, its tidy table and CSV text. Every process adds :func:`process_bytes` (interpreter and
imports, and the compiler when the engine counts with numba). :func:`check_memory` guards one
run or engine batch; :func:`check_batch_memory` guards a cohort, sweep or trial from its sizes
alone (every local worker, the main process's tasks, design, table and kept trajectories),
before any task or design exists. Both compare with the
configured limit (``simulation.memory_limit_gb``) or, when that is 0, with the memory available
plus what this process holds, and refuse with the knobs that shrink the work.
``benchmarks/bench_memory.py`` prints measured peaks against the estimates.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Mapping, Sequence, Sized
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np

from alssim.config.schema import Config
from alssim.counting import counting_method
from alssim.errors import AlssimError

__all__ = ["ResourceError", "available_memory_bytes", "cache_bytes", "check_batch_memory",
           "check_memory", "design_points", "engine_batch_size", "estimate_batch_bytes",
           "estimate_clinical_bytes", "estimate_result_bytes", "estimate_run_bytes",
           "estimate_table_bytes", "process_bytes", "step_bytes_per_patient", "table_rows"]

#: Bytes per neuron of the agent arrays (population, vulnerability, unit type and size, thresholds).
AGENT_BYTES = 2 + 4 + 1 + 4 + 4 + 4
#: Bytes per neuron of the exact engine's stacked float64 keys (death, and affected).
EXACT_KEY_BYTES = 2 * 8
#: Bytes per LMN of the exact engine's prefix sums (two float64 sizes, three int32 type counts).
EXACT_LMN_BYTES = 2 * 8 + 3 * 4
#: Bytes per neuron of the reference stepper (state, float64 vulnerability, per-step temporaries).
REFERENCE_BYTES = 1 + 8 + 5 * 8 + 6
#: Bytes per neuron of the largest population while its keys are built (float64 temporaries).
BUILD_TEMP_BYTES = 6 * 8
#: Recorded variables per population and record time (upper bound), 8 bytes each; also the
#: upper bound of the tidy-table rows per population and record.
RECORDED_VARIABLES = 16
#: Clinical variables per record of one segment and side (upper bound; tested against
#: :data:`alssim.clinical.CLINICAL_VARIABLES`), per muscle and side, and patient-level ones.
CLINICAL_SEGMENT_VARIABLES = 32
CLINICAL_MUSCLE_VARIABLES = 5
CLINICAL_GLOBAL_VARIABLES = 40
#: Clinical variables per segment and side, or per muscle, and record time (upper bound).
CLINICAL_VARIABLES = 48
#: Peak bytes of the clinical layer per record and segment-side (its arrays and temporaries:
#: measured 270-570 B), and per record for the patient-level arrays.
CLINICAL_PLACE_BYTES = 640
CLINICAL_RECORD_BYTES = 1024
#: Peak bytes per row of a tidy table while ``to_dataframe`` builds it (string labels as Python
#: objects, concatenation copies; measured 250-340 B) and later while its CSV text is written
#: (the frame plus the text and its UTF-8 bytes, measured 100-280 B).
TABLE_ROW_BYTES = 400
#: Copies of the ``n_populations**2`` spread matrix a patient holds (its own, the batch stack,
#: ``np.add.at`` temporaries).
SPREAD_COPIES = 3
#: Treated mechanism terms with per-step schedules (upper bound).
TREATMENT_TERMS = 6
#: Resident memory of one Python process running alssim before its runs: the interpreter with
#: numpy, scipy, pandas, tqdm and matplotlib imported (measured 130-185 MiB, figures included).
BASELINE_BYTES = 224 * 2**20
#: Resident memory numba and its LLVM add to a process that counts with them
#: (:mod:`alssim.counting`; measured 100-120 MiB, compiling or loading the cached kernel).
COMPILED_COUNTING_BYTES = 160 * 2**20
#: Bytes per patient of a cohort or sweep table while it is built: an upper bound (the column-wise
#: builder measured ~3.3 kB per patient at 10,000 patients; the row-wise one it replaced ~16 kB).
TABLE_BYTES_PER_RUN = 20_000
#: Bytes per run of the main process's bookkeeping: the task (seed, overrides), its entries in
#: the dispatcher's maps and a packed record waiting for its turn.
TASK_BYTES_PER_RUN = 2_000
#: Bytes per design point (its dict, the spec's JSON text) and per swept key of a point.
POINT_BYTES = 1_000
POINT_KEY_BYTES = 300
#: Most patients a worker simulates through one engine loop (:func:`alssim.simulate_batch`).
MAX_ENGINE_BATCH = 16
#: Memory one engine batch may take, in bytes: large patients go through the loop fewer at a time.
ENGINE_BATCH_BYTES = 256 * 2**20
#: Bytes of a cache line, and the level-2 cache assumed where ``sysfs`` does not give it.
CACHE_LINE_BYTES = 64
DEFAULT_CACHE_BYTES = 1 * 2**20


class ResourceError(AlssimError, MemoryError):
    """A run would need more memory than is available or allowed."""


def available_memory_bytes() -> int:
    """Memory available to new allocations on this machine, in bytes.

    Reads ``MemAvailable`` from ``/proc/meminfo`` where it exists, else free physical pages.
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - exotic platforms
        return 2**62


def _engine_bytes(cfg: Config) -> int:
    """Transient and kept arrays of the engine for one patient (no clinical layer, no table)."""
    counts = cfg.anatomy.counts(cfg.simulation.scale)
    n = int(counts.sum())
    n_pop = len(counts)
    n_lmn = int(counts[n_pop // 2:].sum())
    sim = cfg.simulation
    if sim.engine == "exact":
        engine = n * EXACT_KEY_BYTES + n_lmn * EXACT_LMN_BYTES
    else:
        engine = n * REFERENCE_BYTES
    build = int(counts.max()) * BUILD_TEMP_BYTES
    recorded = (sim.n_records * n_pop * RECORDED_VARIABLES * 8
                + (sim.n_steps + 1) * n_pop * 8)
    spread = n_pop * n_pop * 8 * SPREAD_COPIES
    treatments = 0
    if cfg.interventions.any_enabled:
        # per-step multipliers and scheduled constants of every treated term, and the untreated
        # course simulated first to resolve event-triggered starts
        treatments = (sim.n_steps + 1) * (n_pop + 1) * 8 * TREATMENT_TERMS * 2 + recorded
    return n * AGENT_BYTES + engine + build + recorded + spread + treatments


def estimate_clinical_bytes(cfg: Config) -> int:
    """Peak memory of the clinical course of one patient (:func:`alssim.clinical.assess`).

    Parameters
    ----------
    cfg : Config

    Returns
    -------
    int
        Estimated bytes (an upper estimate, measured: see ``benchmarks/bench_memory.py``).
    """
    places = 2 * cfg.anatomy.n_segments
    return cfg.simulation.n_records * (places * CLINICAL_PLACE_BYTES + CLINICAL_RECORD_BYTES)


def table_rows(cfg: Config) -> int:
    """Rows of a run's tidy table (``Result.to_dataframe``, ``timeseries.csv``): an upper bound."""
    anat = cfg.anatomy
    n_muscles = sum(len(s.muscles) for s in anat.segments)
    per_record = (anat.n_populations * RECORDED_VARIABLES
                  + 2 * anat.n_segments * CLINICAL_SEGMENT_VARIABLES
                  + 2 * n_muscles * CLINICAL_MUSCLE_VARIABLES + CLINICAL_GLOBAL_VARIABLES)
    return cfg.simulation.n_records * per_record


def estimate_table_bytes(cfg: Config) -> int:
    """Peak memory of a run's tidy table and its CSV text, in bytes (an upper estimate)."""
    return table_rows(cfg) * TABLE_ROW_BYTES


def process_bytes() -> int:
    """Resident memory of one process before its runs: :data:`BASELINE_BYTES`, plus
    :data:`COMPILED_COUNTING_BYTES` when the engine counts with numba
    (:func:`alssim.counting.counting_method`)."""
    extra = COMPILED_COUNTING_BYTES if counting_method() == "numba" else 0
    return BASELINE_BYTES + extra


def estimate_run_bytes(cfg: Config, *, table: bool = False) -> int:
    """Peak memory of one patient of ``cfg`` on top of the process baseline, in bytes.

    Counts the engine (per-neuron agent arrays, sorted keys and prefix sums or the reference
    stepper's temporaries, construction temporaries of the largest population), the recorded
    arrays (``n_records x n_populations x variables`` and the per-step death counts), the
    ``n_populations**2`` spread matrix, treatment schedules, the clinical course
    (:func:`estimate_clinical_bytes`) and, with ``table``, the tidy table and its CSV text
    (:func:`estimate_table_bytes`). The process itself (interpreter and imports) is
    :func:`process_bytes` more.

    Parameters
    ----------
    cfg : Config
    table : bool
        Count the tidy table too (``alssim run``, ``Result.to_dataframe``).

    Returns
    -------
    int
        Estimated peak bytes.
    """
    need = _engine_bytes(cfg) + estimate_clinical_bytes(cfg)
    return need + (estimate_table_bytes(cfg) if table else 0)


def estimate_result_bytes(cfg: Config) -> int:
    """Memory one kept :class:`~alssim.results.Result` holds, with its clinical course, in bytes.

    Parameters
    ----------
    cfg : Config

    Returns
    -------
    int
        Estimated bytes (an upper estimate).
    """
    sim = cfg.simulation
    n_out = sim.n_records
    n_pop = cfg.anatomy.n_populations
    n_muscles = sum(len(s.muscles) for s in cfg.anatomy.segments)
    places = cfg.anatomy.n_segments * 2 + n_muscles * 2 + 1
    return n_out * (n_pop * RECORDED_VARIABLES + places * CLINICAL_VARIABLES) * 8


def engine_batch_size(cfg: Config) -> int:
    """How many patients of ``cfg``'s size a worker simulates through one engine loop.

    Up to :data:`MAX_ENGINE_BATCH`, as many as fit in :data:`ENGINE_BATCH_BYTES` (at least 1);
    1 for the reference stepper, which holds every neuron.

    Parameters
    ----------
    cfg : Config

    Returns
    -------
    int
    """
    if cfg.simulation.engine != "exact":
        return 1
    by_memory = ENGINE_BATCH_BYTES // estimate_run_bytes(cfg)
    by_cache = cache_bytes() // step_bytes_per_patient(cfg)
    return int(max(1, min(MAX_ENGINE_BATCH, by_memory, by_cache)))


def step_bytes_per_patient(cfg: Config) -> int:
    """Memory one patient's counting step touches, in bytes: its share of the working set a
    batch's step keeps in cache.

    Each (kind, population) segment of sorted keys is read at one place per step: by the
    pointer walk (:mod:`alssim.counting`, ``"numba"``) about two cache lines (the keys at the
    pointer, its bounds and pointer), by a binary search (``"numpy"``) one line per level,
    ``ceil(log2(neurons per population))``.

    Parameters
    ----------
    cfg : Config

    Returns
    -------
    int
        Bytes per patient and step (at least one cache line).
    """
    counts = cfg.anatomy.counts(cfg.simulation.scale)
    segments = 2 * len(counts)  # death and affected keys of every population
    if counting_method() == "numba":
        lines = 2
    else:
        lines = int(np.ceil(np.log2(max(2.0, float(np.mean(counts))))))
    return max(CACHE_LINE_BYTES, segments * lines * CACHE_LINE_BYTES)


@functools.cache
def cache_bytes() -> int:
    """Size of a core's level-2 cache, in bytes (Linux ``sysfs``; :data:`DEFAULT_CACHE_BYTES`
    where it cannot be read). The engine sizes its batches so that a step's working set fits
    (:func:`engine_batch_size`)."""
    root = Path("/sys/devices/system/cpu/cpu0/cache")
    try:
        for index in sorted(root.glob("index*")):
            if (index / "level").read_text().strip() == "2":
                return _parse_size((index / "size").read_text())
    except (OSError, ValueError):
        pass
    return DEFAULT_CACHE_BYTES


def _parse_size(text: str) -> int:
    """Bytes of a ``sysfs`` cache size such as ``"2048K"`` or ``"1M"``."""
    text = text.strip().upper()
    scale = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1:], 1)
    return int(text.rstrip("KMG")) * scale


def _fmt(b: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if b < 1024 or unit == "TiB":
            return f"{b:.1f} {unit}"
        b /= 1024
    return f"{b:.1f} TiB"  # pragma: no cover


def _resident_bytes() -> int:
    """Resident memory of this process now, in bytes (0 where it cannot be read)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0


def _limit(cfg: Config) -> tuple[int, str]:
    """The memory a run may use (this process included) and what sets it."""
    limit_gb = cfg.simulation.memory_limit_gb
    if limit_gb > 0:
        return int(limit_gb * 2**30), "simulation.memory_limit_gb"
    # what this process already holds is part of the estimate (its baseline)
    return available_memory_bytes() + _resident_bytes(), "available memory"


def _knobs(cfg: Config) -> str:
    return (f"lower simulation.scale (now {cfg.simulation.scale:g}), raise "
            f"simulation.output_interval_days (now {cfg.simulation.output_interval_days:g}) or "
            "dt_days")


def check_memory(cfg: Config, *, copies: int = 1, extra_bytes: int = 0,
                 table: bool = False) -> int:
    """Refuse a run that would not fit in memory.

    The estimate is this process's peak: :func:`process_bytes` plus ``copies`` patients
    (:func:`estimate_run_bytes`) plus ``extra_bytes``; it is compared with
    ``simulation.memory_limit_gb`` or, when that is 0, with the available memory plus what
    this process holds already.

    Parameters
    ----------
    cfg : Config
    copies : int
        Patients held at once (e.g. an engine batch).
    extra_bytes : int
        Further memory the caller will hold (kept trajectories, result tables).
    table : bool
        Count one run's tidy table and its CSV text (``alssim run``, ``Result.to_dataframe``).

    Returns
    -------
    int
        The estimate, in bytes, when it fits.

    Raises
    ------
    ResourceError
        With the estimate, the limit and the knobs that reduce the need.
    """
    run = estimate_run_bytes(cfg) * copies
    tab = estimate_table_bytes(cfg) if table else 0
    need = process_bytes() + run + tab + int(extra_bytes)
    limit, what = _limit(cfg)
    if need > limit:
        n = int(cfg.anatomy.counts(cfg.simulation.scale).sum())
        raise ResourceError(
            f"this run needs about {_fmt(need)} ({n:,} neurons, {cfg.simulation.n_records:,} "
            "records"
            + (f" x {copies} at once" if copies > 1 else "")
            + (f", {_fmt(tab)} of them for the tidy table of {table_rows(cfg):,} rows"
               if tab else "")
            + (f", plus {_fmt(extra_bytes)} of kept trajectories and tables" if extra_bytes else "")
            + f"), more than the {_fmt(limit)} of {what}; {_knobs(cfg)}, use fewer workers or "
            "keep fewer trajectories, or raise simulation.memory_limit_gb"
        )
    return need


def estimate_batch_bytes(cfg: Config, n_runs: int, *, workers: int = 1, keep: int = 0,
                         n_points: int = 0, n_keys: int = 0) -> tuple[int, int]:
    """Peak memory of a cohort or sweep on this machine, in bytes: ``(total, main process)``.

    Parameters
    ----------
    cfg : Config
    n_runs : int
        Runs (patients) of the batch.
    workers : int
        Local processes simulating at once (1: the main process simulates).
    keep : int
        Full results (trajectories) kept in memory.
    n_points, n_keys : int
        Design points of a sweep and keys swept (the design and the spec hold them).

    Returns
    -------
    total, main : int
        Every local process together; the main process alone (its baseline, its runs if it
        simulates, the tasks, the design, the table and the kept trajectories).
    """
    per_run = estimate_run_bytes(cfg) * engine_batch_size(cfg)
    main = (process_bytes() + int(n_runs) * (TASK_BYTES_PER_RUN + TABLE_BYTES_PER_RUN)
            + int(n_points) * (POINT_BYTES + int(n_keys) * POINT_KEY_BYTES)
            + int(keep) * estimate_result_bytes(cfg))
    if workers <= 1:
        main += per_run
        return main, main
    return main + workers * (process_bytes() + per_run), main


def check_batch_memory(cfg: Config, n_runs: int, *, workers: int = 1, keep: int = 0,
                       n_points: int = 0, n_keys: int = 0, what: str = "cohort") -> int:
    """Refuse a cohort or sweep that would not fit, before any task or design is made.

    Only arithmetic on the sizes: it answers at once whatever ``n_runs`` is.

    Parameters
    ----------
    cfg : Config
    n_runs : int
        Runs of the batch (patients; points x replicates).
    workers : int
        Local processes simulating at once (see :func:`alssim.executors.local_workers`).
    keep : int
        Kept trajectories.
    n_points, n_keys : int
        Design points and swept keys (sweeps).
    what : str
        ``"cohort"``, ``"sweep"`` or ``"trial"``: names the knobs in the message.

    Returns
    -------
    int
        The estimate, in bytes, when it fits.

    Raises
    ------
    ResourceError
        Naming the estimate, its largest parts, the limit and the knobs that shrink it.
    """
    total, main = estimate_batch_bytes(cfg, n_runs, workers=workers, keep=keep,
                                       n_points=n_points, n_keys=n_keys)
    limit, source = _limit(cfg)
    if total > limit:
        runs = {"cohort": "fewer patients (n)",
                "trial": "fewer patients or replicates (trial.patients, trial.replicates, "
                         "trial.population)"}.get(what, "fewer points (samples, grid values) "
                                                        "or replicates")
        raise ResourceError(
            f"this {what} needs about {_fmt(total)} ({int(n_runs):,} runs"
            + (f" of {int(n_points):,} points" if n_points else "")
            + f"; the main process {_fmt(main)} for tasks, table"
            + (" and design" if n_points else "")
            + (f", {workers} workers {_fmt(total - main)}" if total > main else "")
            + f"), more than the {_fmt(limit)} of {source}; run {runs}, use fewer workers, "
            f"keep fewer trajectories, {_knobs(cfg)}, or raise simulation.memory_limit_gb"
        )
    return total


def design_points(design: Any, method: str | None = None, n: Any = None) -> tuple[int, int]:
    """Points and keys of a sweep design, counted without making it (see
    :func:`alssim.sweeps.make_design`).

    Parameters
    ----------
    design : dict or list of dict
        ``{key: [values]}`` (grid), ``{key: range}`` (sampled methods) or explicit points.
    method : str, optional
        ``"grid"`` (default for a dict), ``"points"``, ``"random"``, ``"lhs"``,
        ``"sobol_sequence"``, ``"sobol"`` (``n (D + 2)`` points) or ``"morris"``
        (``n (D + 1)``).
    n : int, optional
        Samples of a sampled method.

    Returns
    -------
    points, keys : int
        ``(0, 0)`` when the design is malformed (:func:`~alssim.sweeps.make_design` then says
        what is wrong).
    """
    if isinstance(design, Mapping):
        d = len(design)
        if method in (None, "grid"):
            sizes = [len(v) for v in design.values()
                     if isinstance(v, Sized) and not isinstance(v, str | bytes | Mapping)]
            return (math.prod(sizes), d) if len(sizes) == d else (0, 0)
        if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
            return 0, 0
        factor = {"sobol": d + 2, "morris": d + 1}.get(str(method), 1)
        return int(n) * factor, d
    if isinstance(design, Sequence) and not isinstance(design, str | bytes) and design:
        first = design[0]
        return len(design), len(first) if isinstance(first, Mapping) else 0
    return 0, 0
