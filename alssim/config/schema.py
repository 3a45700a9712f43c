"""The typed, frozen parameters of one alssim run.

Each field is declared with :func:`~alssim.fields.param`, giving its unit, allowed range and
meaning. The default values themselves, with the source each one rests on, live in
``configs/default.toml``; this module says what is allowed, the TOML says what is chosen and why.
:func:`build_config` validates a complete config ``dict`` into a :class:`Config`;
:mod:`alssim.config.loader` assembles that ``dict`` from the defaults, a file and overrides.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from alssim.anatomy import COMPARTMENTS, ONSET_SITES, SIDES, Anatomy
from alssim.config.clinical import Clinical
from alssim.config.cohort import Cohort
from alssim.config.interventions import Interventions
from alssim.config.overrides import apply_overrides
from alssim.config.teaching import Teaching
from alssim.config.tomlio import configs_dir, dumps_toml, read_toml
from alssim.errors import ConfigError, show_value
from alssim.fields import (
    ParamSpec,
    _check_value,
    build,
    field_specs,
    nearest_key,
    param,
    section,
    to_dict,
)

__all__ = [
    "Ageing",
    "Config",
    "Excitotoxicity",
    "Inflammation",
    "Mechanisms",
    "Neurons",
    "Onset",
    "OxidativeStress",
    "Pathology",
    "Simulation",
    "Spread",
    "build_config",
    "check_seed",
    "unit_of",
]

DAYS_PER_MONTH = 365.25 / 12
#: Relative tolerance of the time grid: a horizon within this of a whole number of steps is that
#: number (a horizon of one week, 7 / 365.25 years, is one step of 7 days, not 0.9999999).
_GRID_RTOL = 1e-9


@section
class Simulation:
    """Time grid, engine choice, population scale and default seed."""

    horizon_years: float = param("year", "simulated time from biological onset",
                                 low=0.0, high=100.0, low_open=True)
    dt_days: float = param("day", "time step of the engine", low=0.0, high=365.0, low_open=True)
    output_interval_days: float = param(
        "day", "interval between recorded states (the state at the horizon is recorded too)",
        low=0.0, high=36525.0, low_open=True)
    engine: str = param("", "'exact' (threshold engine) or 'reference' (per-neuron Bernoulli)",
                        choices=("exact", "reference"))
    scale: float = param("1", "factor on every neuron count", low=0.0, high=10.0, low_open=True)
    seed: int = param("", "seed used when none is passed to simulate()", low=0, high=2**63 - 1)
    memory_limit_gb: float = param(
        "GiB", "refuse runs estimated to need more; 0 = the machine's available memory",
        low=0.0, high=1e6)

    def _check(self, prefix: str, source: str | None) -> None:
        if self.output_interval_days < self.dt_days:
            raise ConfigError(
                f"must be at least simulation.dt_days ({self.dt_days:g}); "
                f"got {self.output_interval_days:g}",
                key=f"{prefix}.output_interval_days", source=source)
        if self.horizon_years * 365.25 < self.dt_days * (1 - _GRID_RTOL):
            raise ConfigError(f"must span at least one step of {self.dt_days:g} days; "
                              f"got {self.horizon_years:g}", key=f"{prefix}.horizon_years",
                              source=source)
        n_steps = self.horizon_years * 365.25 / self.dt_days
        if n_steps > 5_000_000:
            raise ConfigError(
                f"horizon / step gives {n_steps:.3g} steps, more than 5,000,000; raise "
                "simulation.dt_days or shorten the horizon",
                key=f"{prefix}.dt_days", source=source)

    @property
    def n_steps(self) -> int:
        """Number of engine steps in the horizon."""
        return max(1, round(self.horizon_years * 365.25 / self.dt_days))

    @property
    def steps_per_output(self) -> int:
        """Engine steps between recorded states (the output interval rounded to whole steps)."""
        return max(1, round(self.output_interval_days / self.dt_days))

    @property
    def record_steps(self) -> np.ndarray:
        """Engine steps after which the state is recorded: 0 (onset), every ``steps_per_output``
        steps, and the last step (the horizon) when the horizon is not a whole number of output
        intervals, so that the final state is always recorded."""
        steps = np.arange(0, self.n_steps + 1, self.steps_per_output, dtype=np.int64)
        if steps[-1] != self.n_steps:
            steps = np.append(steps, np.int64(self.n_steps))
        return steps

    @property
    def n_records(self) -> int:
        """Recorded states: at onset, after every ``steps_per_output`` steps and at the horizon."""
        return -(-self.n_steps // self.steps_per_output) + 1

    @property
    def dt_months(self) -> float:
        return self.dt_days / DAYS_PER_MONTH


@typing.overload
def check_seed(value: None, *, key: str = ..., source: str | None = ...) -> None: ...
@typing.overload
def check_seed(value: int, *, key: str = ..., source: str | None = ...) -> int: ...
def check_seed(value, *, key: str = "--seed", source: str | None = None) -> int | None:
    """A seed given outside the config (``--seed``, ``seed=``), checked like ``simulation.seed``.

    Parameters
    ----------
    value : int or None
        The seed; ``None`` (no seed given) is passed through.
    key, source : str
        Where the seed came from, for the message.

    Returns
    -------
    int or None

    Raises
    ------
    ConfigError
        If ``value`` is not an integer in ``simulation.seed``'s range [0, 2**63 - 1].
    """
    if value is None:
        return None
    spec = field_specs(Simulation)["seed"]
    assert isinstance(spec, ParamSpec)  # a leaf, not a nested section
    return _check_value(int, spec, value, key, source)


@section
class Neurons:
    """Heterogeneity of neurons and the motor-unit pool of each LMN population."""

    vulnerability_sigma: float = param(
        "1", "SD of log vulnerability (lognormal, mean vulnerability 1)", low=0.0, high=3.0)
    dysfunction_rate_ratio: float = param(
        "1", "hazard of turning dysfunctional relative to the hazard of death", low=0.0,
        high=1000.0)
    unit_size_range: float = param(
        "1", "largest / smallest motor-unit size in a pool (exponential spacing)", low=1.0,
        high=10000.0)
    fraction_s: float = param("1", "share of slow (S) motor units", low=0.0, high=1.0)
    fraction_fr: float = param("1", "share of fatigue-resistant (FR) motor units", low=0.0,
                               high=1.0)
    fraction_ff: float = param("1", "share of fast-fatigable (FF) motor units", low=0.0, high=1.0)
    vulnerability_s: float = param("1", "relative vulnerability of S units", low=0.0, high=100.0)
    vulnerability_fr: float = param("1", "relative vulnerability of FR units", low=0.0,
                                    high=100.0)
    vulnerability_ff: float = param("1", "relative vulnerability of FF units", low=0.0,
                                    high=100.0)

    def _check(self, prefix: str, source: str | None) -> None:
        total = self.fraction_s + self.fraction_fr + self.fraction_ff
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ConfigError(
                f"{prefix}.fraction_s + fraction_fr + fraction_ff must be 1; got {total:g}",
                key=prefix, source=source)


@section
class Onset:
    """Where the disease starts: fixed, or sampled from the published onset-site distribution."""

    mode: str = param("", "'fixed' uses segment/side/compartment; 'sampled' draws them",
                      choices=("fixed", "sampled"))
    segment: str = param("", "onset segment when mode = 'fixed'")
    side: str = param("", "onset side when mode = 'fixed'", choices=SIDES)
    compartment: str = param("", "onset compartment when mode = 'fixed'",
                             choices=(*COMPARTMENTS, "both"))
    initial_load: float = param("1", "pathology load seeded at the onset population(s)",
                                low=0.0, high=1.0, low_open=True)
    p_bulbar: float = param("1", "probability of bulbar onset", low=0.0, high=1.0)
    p_upper_limb: float = param("1", "probability of upper-limb onset", low=0.0, high=1.0)
    p_lower_limb: float = param("1", "probability of lower-limb onset", low=0.0, high=1.0)
    p_respiratory: float = param("1", "probability of trunk/respiratory onset", low=0.0, high=1.0)
    dominant_side: str = param("", "side of the dominant hand", choices=SIDES)
    p_dominant_upper_limb: float = param(
        "1", "probability that upper-limb onset is on the dominant side", low=0.0, high=1.0)
    p_compartment_both: float = param("1", "probability that onset is in UMN and LMN", low=0.0,
                                      high=1.0)
    p_compartment_lmn: float = param("1", "probability that onset is in LMN only", low=0.0,
                                     high=1.0)
    p_compartment_umn: float = param("1", "probability that onset is in UMN only", low=0.0,
                                     high=1.0)
    p_compartment_both_bulbar: float = param(
        "1", "probability that bulbar onset is in UMN and LMN", low=0.0, high=1.0)
    p_compartment_lmn_bulbar: float = param(
        "1", "probability that bulbar onset is in LMN only", low=0.0, high=1.0)
    p_compartment_umn_bulbar: float = param(
        "1", "probability that bulbar onset is in UMN only", low=0.0, high=1.0)

    def _check(self, prefix: str, source: str | None) -> None:
        sites = self.site_probabilities()
        if not math.isclose(sum(sites), 1.0, abs_tol=1e-6):
            raise ConfigError(
                f"{prefix}.p_bulbar + p_upper_limb + p_lower_limb + p_respiratory must be 1; "
                f"got {sum(sites):g}", key=prefix, source=source)
        for suffix in ("", "_bulbar"):
            comp = self.compartment_probabilities("bulbar" if suffix else None)
            if not math.isclose(sum(comp), 1.0, abs_tol=1e-6):
                raise ConfigError(
                    f"{prefix}.p_compartment_both{suffix} + p_compartment_lmn{suffix} + "
                    f"p_compartment_umn{suffix} must be 1; got {sum(comp):g}", key=prefix,
                    source=source)

    def site_probabilities(self) -> tuple[float, ...]:
        """Probabilities in the order of :data:`alssim.anatomy.ONSET_SITES`."""
        return tuple(getattr(self, f"p_{s}") for s in ONSET_SITES)

    def compartment_probabilities(self, site: str | None = None) -> tuple[float, float, float]:
        """Probabilities of onset in ('both', 'lmn', 'umn') at an onset ``site``: the
        ``p_compartment_*_bulbar`` values for bulbar onset, the ``p_compartment_*`` values for
        every other site (and for ``site=None``)."""
        if site == "bulbar":
            return (self.p_compartment_both_bulbar, self.p_compartment_lmn_bulbar,
                    self.p_compartment_umn_bulbar)
        return (self.p_compartment_both, self.p_compartment_lmn, self.p_compartment_umn)


@section
class Spread:
    """Rates of the network FKPP pathology model (per month)."""

    local_growth_rate: float = param("1/month", "logistic growth of pathology within a population",
                                     low=0.0, high=100.0)
    contralateral_rate: float = param(
        "1/month", "LMN to the homologous LMN of the other side", low=0.0, high=100.0)
    caudal_rate: float = param("1/month", "LMN to the next segment down, same side", low=0.0,
                               high=100.0)
    rostral_rate: float = param("1/month", "LMN to the next segment up, same side", low=0.0,
                                high=100.0)
    anterograde_rate: float = param("1/month", "UMN to LMN of the same segment and side "
                                    "('dying forward')", low=0.0, high=100.0)
    retrograde_rate: float = param("1/month", "LMN to UMN of the same segment and side "
                                   "('dying back')", low=0.0, high=100.0)
    cortical_neighbour_rate: float = param(
        "1/month", "UMN to the somatotopic neighbour in the same hemisphere", low=0.0, high=100.0)
    callosal_rate: float = param("1/month", "UMN to the homotopic UMN across the corpus callosum",
                                 low=0.0, high=100.0)
    long_range_rate: float = param(
        "1/month", "UMN to the UMN of a distant segment, same side, along the directed pairs the "
        "anatomy declares in long_range (hypothesis: non-contiguous network spread)", low=0.0,
        high=100.0)

    def edge_rates(self) -> dict[str, float]:
        """Rate of each edge kind of :data:`alssim.anatomy.EDGE_KINDS`."""
        return {
            "contralateral": self.contralateral_rate,
            "caudal": self.caudal_rate,
            "rostral": self.rostral_rate,
            "anterograde": self.anterograde_rate,
            "retrograde": self.retrograde_rate,
            "cortical_neighbour": self.cortical_neighbour_rate,
            "callosal": self.callosal_rate,
            "long_range": self.long_range_rate,
        }


@section
class Pathology:
    """Protein-aggregation pathology (TDP-43, SOD1, FUS) as a hazard on neurons."""

    enabled: bool = param("", "pathology raises the hazard (off: only ageing kills)")
    hazard_rate: float = param("1/month", "hazard of a neuron of vulnerability 1 at full load",
                               low=0.0, high=1e6)


@section
class Inflammation:
    """Glial activation driven by local neuron loss, relaxing with a time constant."""

    enabled: bool = param("", "inflammation amplifies the pathology hazard")
    gain: float = param("1", "hazard multiplier gained at full activation", low=0.0, high=100.0)
    response_rate: float = param("1/month", "rate at which activation follows the lost fraction",
                                 low=0.0, high=100.0)


@section
class Excitotoxicity:
    """LMN hazard raised by hyperexcitable or lost UMNs of the same segment and side."""

    enabled: bool = param("", "excitotoxicity amplifies the LMN pathology hazard")
    gain: float = param("1", "hazard multiplier gained when every UMN is affected", low=0.0,
                        high=100.0)


@section
class OxidativeStress:
    """Global oxidative stress and mitochondrial dysfunction."""

    enabled: bool = param("", "oxidative stress multiplies every hazard")
    level: float = param("1", "stress level (1 = typical sporadic ALS)", low=0.0, high=100.0)
    gain: float = param("1", "hazard multiplier gained per unit level", low=0.0, high=100.0)


@section
class Ageing:
    """Background, age-related motor-neuron loss independent of ALS pathology."""

    enabled: bool = param("", "background loss on")
    hazard_rate: float = param("1/month", "background hazard of a neuron of vulnerability 1",
                               low=0.0, high=1e6)


@dataclasses.dataclass(frozen=True)
class Mechanisms:
    """The named mechanisms that make up the regional hazard factor."""

    pathology: Pathology
    inflammation: Inflammation
    excitotoxicity: Excitotoxicity
    oxidative_stress: OxidativeStress
    ageing: Ageing


@dataclasses.dataclass(frozen=True)
class Config:
    """Every parameter of one run: validated, typed and frozen.

    Build with :func:`alssim.load_config`; derive variants with :meth:`with_overrides`.
    """

    simulation: Simulation
    anatomy: Anatomy
    neurons: Neurons
    onset: Onset
    spread: Spread
    mechanisms: Mechanisms
    cohort: Cohort
    clinical: Clinical
    teaching: Teaching
    interventions: Interventions
    source: str | None = dataclasses.field(default=None, compare=False)

    def to_dict(self) -> dict:
        """The effective configuration as a plain, TOML-ready ``dict`` (anatomy inlined)."""
        out = {}
        for f in dataclasses.fields(self):
            if f.name == "source":
                continue
            value = getattr(self, f.name)
            out[f.name] = value.to_dict() if isinstance(value, Anatomy) else to_dict(value)
        return out

    def to_toml(self) -> str:
        """The effective, fully resolved configuration as TOML text."""
        return dumps_toml(self.to_dict())

    def with_overrides(self, overrides: dict) -> Config:
        """A new config with dotted-key ``overrides`` applied and validated."""
        data = apply_overrides(self.to_dict(), overrides)
        return build_config(data, source="overrides", base_dir=None)

    def get(self, key: str):
        """Value at a dotted key path, e.g. ``cfg.get('spread.contralateral_rate')``."""
        obj = self
        for part in key.split("."):
            if isinstance(obj, dict):
                obj = obj[part]
            else:
                obj = getattr(obj, part)
        return obj


# --------------------------------------------------------------------------- building
def _resolve_anatomy(value: Any, base_dir: Path | None, source: str | None) -> Anatomy:
    if isinstance(value, Mapping):
        return Anatomy.from_dict(value, source=source)
    if not isinstance(value, str):
        raise ConfigError(f"must be an anatomy name, a path or a table; got {show_value(value)}",
                          key="anatomy", source=source)
    candidates = []
    if base_dir is not None:
        candidates.append(base_dir / value)
    candidates.append(Path(value))
    shipped = configs_dir() / "anatomy"
    candidates.append(shipped / f"{value}.toml")
    for c in candidates:
        if c.is_file():
            return Anatomy.from_dict(read_toml(c), source=str(c))
    names = sorted(p.stem for p in shipped.glob("*.toml"))
    hint = nearest_key(value, names)
    extra = f"did you mean '{hint}'? " if hint else ""
    raise ConfigError(
        f"no anatomy named or found at {show_value(value)}; {extra}shipped anatomies: "
        f"{', '.join(names)}",
        key="anatomy", source=source)


_SECTIONS = {
    "simulation": Simulation,
    "neurons": Neurons,
    "onset": Onset,
    "spread": Spread,
    "mechanisms": Mechanisms,
    "cohort": Cohort,
    "clinical": Clinical,
    "teaching": Teaching,
    "interventions": Interventions,
}


def build_config(data: Mapping[str, Any], *, source: str | None, base_dir: Path | None,
                 sources: Mapping[str, str] | None = None) -> Config:
    """Validate a complete config ``dict`` and build the frozen :class:`Config`.

    ``sources`` maps dotted keys to the file (or ``"overrides"``) they came from, so that errors
    name the right place.
    """
    sources = sources or {}

    def where(key: str | None) -> str | None:
        if key is None:
            return source
        key = key.split("[")[0]
        if key in sources:
            return sources[key]
        # a table (cross-field check): the most specific layer that set any key below it
        below = {v for k, v in sources.items() if k.startswith(key + ".")}
        for layer in ("overrides", source):
            if layer in below:
                return layer
        parts = key.split(".")
        for n in range(len(parts) - 1, 0, -1):
            k = ".".join(parts[:n])
            if k in sources:
                return sources[k]
        return source

    expected = ("simulation", "anatomy", "neurons", "onset", "spread", "mechanisms",
                "cohort", "clinical", "teaching", "interventions")
    for k in data:
        if k not in expected:
            hint = nearest_key(k, expected)
            msg = f"unknown key; did you mean '{hint}'?" if hint else (
                "unknown key; valid top-level tables are " + ", ".join(expected))
            raise ConfigError(msg, key=k, source=where(k))
    parts: dict[str, Any] = {}
    try:
        for name, cls in _SECTIONS.items():
            if name not in data:
                raise ConfigError("missing table", key=name, source=where(name))
            parts[name] = build(cls, data[name], prefix=name)
        parts["anatomy"] = _resolve_anatomy(data.get("anatomy", "default"), base_dir,
                                            where("anatomy"))
    except ConfigError as exc:
        if exc.source is None:
            raise ConfigError(exc.detail, key=exc.key, source=where(exc.key)) from None
        raise
    onset = parts["onset"]
    names = parts["anatomy"].segment_names
    if onset.segment not in names:
        hint = nearest_key(onset.segment, names)
        extra = f" (did you mean {hint!r}?)" if hint else ""
        raise ConfigError(
            f"must be a segment of anatomy '{parts['anatomy'].name}': "
            f"{', '.join(names)}; got {show_value(onset.segment)}{extra}",
            key="onset.segment", source=where("onset.segment"))
    return Config(source=source, **parts)


def unit_of(key: str) -> str | None:
    """Unit of the parameter at a dotted config key, as its :func:`~alssim.fields.param`
    declares it (``"1/month"``, ``"1"`` for a ratio, ``""`` for a word or a switch).

    ``None`` for a table, the anatomy or a key that is not a parameter.

    >>> unit_of("spread.caudal_rate")
    '1/month'
    >>> unit_of("spread") is None
    True
    """
    head, _, rest = key.partition(".")
    section_type = typing.get_type_hints(Config).get(head)
    if head in ("anatomy", "source") or section_type is None or not rest:
        return None
    spec: Any = section_type
    for part in rest.split("."):
        if not (isinstance(spec, type) and dataclasses.is_dataclass(spec)):
            return None
        spec = field_specs(spec).get(part)
        if spec is None:
            return None
    return spec.unit if isinstance(spec, ParamSpec) else None
