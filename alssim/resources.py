"""Memory estimates made before anything large is allocated, and the guard that uses them.

:func:`estimate_run_bytes` adds up what one run will hold at its peak: the per-neuron agent arrays,
the engine's sorted keys and prefix sums (or the reference stepper's per-step temporaries), the
construction temporaries of the largest population and the recorded outputs. :func:`check_memory`
compares that with the configured limit (``simulation.memory_limit_gb``) or, when that is 0, with
the memory the machine has available, and refuses a run that would not fit, naming the knobs that
shrink it.
"""

from __future__ import annotations

import os

from alssim.config.schema import Config
from alssim.errors import AlssimError

__all__ = ["ResourceError", "available_memory_bytes", "check_memory", "engine_batch_size",
           "estimate_result_bytes", "estimate_run_bytes"]

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
#: Recorded variables per population and record time (upper bound), 8 bytes each.
RECORDED_VARIABLES = 16
#: Clinical variables per segment and side, or per muscle, and record time (upper bound).
CLINICAL_VARIABLES = 48
#: Bytes per patient of a cohort or sweep table while it is built: an upper bound (the column-wise
#: builder measured ~3.3 kB per patient at 10,000 patients; the row-wise one it replaced ~16 kB).
TABLE_BYTES_PER_RUN = 20_000
#: Most patients a worker simulates through one engine loop (:func:`alssim.simulate_batch`).
MAX_ENGINE_BATCH = 16
#: Memory one engine batch may take, in bytes: large patients go through the loop fewer at a time.
ENGINE_BATCH_BYTES = 256 * 2**20


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


def estimate_run_bytes(cfg: Config) -> int:
    """Peak memory of one :func:`alssim.simulate` call with ``cfg``, in bytes (an upper estimate).

    Parameters
    ----------
    cfg : Config

    Returns
    -------
    int
        Estimated peak bytes.
    """
    counts = cfg.anatomy.counts(cfg.simulation.scale)
    n = int(counts.sum())
    n_pop = len(counts)
    half = n_pop // 2
    n_lmn = int(counts[half:].sum())
    sim = cfg.simulation
    if sim.engine == "exact":
        engine = n * EXACT_KEY_BYTES + n_lmn * EXACT_LMN_BYTES
    else:
        engine = n * REFERENCE_BYTES
    build = int(counts.max()) * BUILD_TEMP_BYTES
    n_out = sim.n_records
    recorded = n_out * n_pop * RECORDED_VARIABLES * 8 + (sim.n_steps + 1) * n_pop * 8
    return n * AGENT_BYTES + engine + build + recorded


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
    return int(max(1, min(MAX_ENGINE_BATCH, ENGINE_BATCH_BYTES // estimate_run_bytes(cfg))))


def _fmt(b: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if b < 1024 or unit == "TiB":
            return f"{b:.1f} {unit}"
        b /= 1024
    return f"{b:.1f} TiB"  # pragma: no cover


def check_memory(cfg: Config, *, copies: int = 1, extra_bytes: int = 0) -> int:
    """Refuse a run that would not fit in memory.

    Parameters
    ----------
    cfg : Config
    copies : int
        Runs held at once (e.g. parallel workers on this machine).
    extra_bytes : int
        Further memory the caller will hold (kept trajectories, result tables).

    Returns
    -------
    int
        The estimate, in bytes, when it fits.

    Raises
    ------
    ResourceError
        With the estimate, the limit and the knobs that reduce the need.
    """
    need = estimate_run_bytes(cfg) * copies + int(extra_bytes)
    limit_gb = cfg.simulation.memory_limit_gb
    limit = int(limit_gb * 2**30) if limit_gb > 0 else available_memory_bytes()
    what = "simulation.memory_limit_gb" if limit_gb > 0 else "available memory"
    if need > limit:
        n = int(cfg.anatomy.counts(cfg.simulation.scale).sum())
        raise ResourceError(
            f"this run needs about {_fmt(need)} ({n:,} neurons"
            + (f" x {copies} at once" if copies > 1 else "")
            + (f", plus {_fmt(extra_bytes)} of kept trajectories and tables" if extra_bytes else "")
            + f"), more than the {_fmt(limit)} of {what}; lower simulation.scale (now "
            f"{cfg.simulation.scale:g}), raise simulation.output_interval_days or dt_days, use "
            "fewer workers or keep fewer trajectories, or raise simulation.memory_limit_gb"
        )
    return need
