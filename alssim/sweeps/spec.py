"""A sweep file (``SWEEP.toml``): its schema, reader and runner (:class:`SweepSpec`,
:func:`load_sweep_spec`, :func:`run_sweep_spec`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from alssim.batch import check_patterns
from alssim.config.loader import load_config, read_toml
from alssim.errors import ConfigError
from alssim.fields import build, nearest_key, param, section
from alssim.sweeps.design import METHODS
from alssim.sweeps.result import SweepResult
from alssim.sweeps.run import sweep

__all__ = ["SweepSpec", "load_sweep_spec", "run_sweep_spec"]


# --------------------------------------------------------------------------- sweep spec files
_SPEC_KEYS = ("config", "method", "samples", "replicates", "seed", "outputs", "heterogeneity",
              "common_random_numbers", "set", "parameters")


@section
class SweepFile:
    """The scalar keys of a sweep file (its ``[parameters]`` and ``[set]`` tables are free
    dotted keys, checked against the config when the sweep runs)."""

    config: str | None = param("", "base config file, relative to the sweep file (default: the "
                               "packaged defaults)", default=None)
    method: str = param("", "design method", choices=METHODS, default="grid")
    samples: int | None = param("", "design size of a sampled method (default: the method's)",
                                low=1, default=None)
    replicates: int = param("", "runs per design point", low=1, default=1)
    seed: int | None = param("", "sweep seed (default: the config's simulation.seed)", low=0,
                             high=2**63 - 1, default=None)
    outputs: tuple[str, ...] | None = param("", "output name patterns to keep (default: all)",
                                            default=None)
    heterogeneity: bool = param("", "patients differ as in a cohort", default=False)
    common_random_numbers: bool = param("", "replicate r has the same seed at every point",
                                        default=True)


@dataclasses.dataclass(frozen=True)
class SweepSpec:
    """A sweep described in TOML (see ``configs/sweeps/example.toml``).

    Attributes
    ----------
    path : Path
        The spec file.
    config : Path or None
        Base config file (relative paths are resolved against the spec's folder); ``None``
        uses the packaged defaults.
    overrides : dict
        The ``[set]`` table: dotted keys fixed for every run.
    parameters : dict
        The ``[parameters]`` table: the swept keys.
    method : str
    samples : int or None
    replicates : int
    seed : int or None
    outputs : list of str or None
    heterogeneity : bool
    common_random_numbers : bool
    """

    path: Path
    config: Path | None
    overrides: dict[str, Any]
    parameters: dict[str, Any]
    method: str
    samples: int | None
    replicates: int
    seed: int | None
    outputs: list[str] | None
    heterogeneity: bool
    common_random_numbers: bool

    def load_config(self):
        """The base config: the ``config`` file (or the defaults) with ``[set]`` applied."""

        return load_config(self.config, overrides=self.overrides)


def load_sweep_spec(path: str | Path) -> SweepSpec:
    """Read and check a sweep spec TOML file.

    Raises
    ------
    ConfigError
        Naming the spec file and the offending key (unknown keys name the nearest valid one).
    """

    path = Path(path)
    data = read_toml(path)
    src = str(path)
    for k in data:
        if k not in _SPEC_KEYS:
            hint = nearest_key(k, _SPEC_KEYS)
            extra = f"did you mean '{hint}'?" if hint else "valid keys: " + ", ".join(_SPEC_KEYS)
            raise ConfigError(f"unknown sweep key; {extra}", key=k, source=src)
    if "parameters" not in data:
        raise ConfigError("missing table [parameters] (the keys to sweep)", key="parameters",
                          source=src)
    params = data["parameters"]
    if not isinstance(params, dict):
        raise ConfigError(f"must be a table; got {params!r}", key="parameters", source=src)
    params = _flatten_tables(params)
    overrides = data.get("set", {})
    if not isinstance(overrides, dict):
        raise ConfigError(f"must be a table of dotted keys; got {overrides!r}", key="set",
                          source=src)
    overrides = _flatten_tables(overrides, ranges=False)
    # the scalar keys are declared fields, checked as every config and spec file is
    f = build(SweepFile, {k: v for k, v in data.items() if k not in ("parameters", "set")},
              source=src)
    config = None
    if f.config is not None:
        if not f.config:
            raise ConfigError("must be a path to a config file; got ''", key="config",
                              source=src)
        config = Path(f.config)
        if not config.is_absolute():
            config = path.parent / config
    try:
        outputs = check_patterns(None if f.outputs is None else list(f.outputs))
    except ConfigError as exc:
        raise ConfigError(exc.detail, key="outputs", source=src) from None
    return SweepSpec(path, config, overrides, params, f.method, f.samples, f.replicates, f.seed,
                     outputs, f.heterogeneity, f.common_random_numbers)


def _flatten_tables(table: dict, prefix: str = "", ranges: bool = True) -> dict[str, Any]:
    """``{"spread": {"caudal_rate": [..]}}`` and ``{"spread.caudal_rate": [..]}`` alike."""
    out: dict[str, Any] = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and not (ranges and ("low" in v or "high" in v)):
            out.update(_flatten_tables(v, f"{key}.", ranges))
        else:
            out[key] = v
    return out


def run_sweep_spec(
    spec: SweepSpec,
    *,
    out: str | Path | None = None,
    executor: Any = None,
    workers: int | None = None,
    method: str | None = None,
    samples: int | None = None,
    replicates: int | None = None,
    seed: int | None = None,
    force: bool = False,
    progress: bool = True,
    parquet: bool = False,
) -> SweepResult:
    """Run a :class:`SweepSpec` (arguments given here override the spec's; ``parquet`` as
    for :func:`alssim.sweep`) and return its :class:`SweepResult`."""
    cfg = spec.load_config()
    method = method or spec.method
    n = samples if samples is not None else spec.samples
    return sweep(cfg, spec.parameters, replicates if replicates is not None else spec.replicates,
                  seed if seed is not None else spec.seed, executor, out, method=method, n=n,
                  workers=workers, outputs=spec.outputs, heterogeneity=spec.heterogeneity,
                  common_random_numbers=spec.common_random_numbers, force=force,
                  progress=progress, source=str(spec.path), parquet=parquet)
