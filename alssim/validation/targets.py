"""Published figures to validate against: ``configs/validation/targets.toml`` as typed data."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from alssim.config.loader import configs_dir, read_toml
from alssim.errors import ConfigError

__all__ = ["DEFAULT_TARGETS_PATH", "Target", "load_targets"]



def _default_path() -> Path:
    return configs_dir() / "validation" / "targets.toml"


#: The shipped targets file.
DEFAULT_TARGETS_PATH = _default_path()


@dataclasses.dataclass(frozen=True)
class Target:
    """One published figure and its a-priori acceptance interval.

    Attributes
    ----------
    id : str
        Identifier, also the name of the metric computing it (:data:`alssim.validation.METRICS`).
    what, unit, published, source : str
        What is compared, its unit, the published value as text and where it comes from.
    low, high : float
        Acceptance interval, fixed in advance from the spread of the published values.
    kind : str
        ``"quantitative"`` (passes when the simulated 95% interval overlaps ``[low, high]``) or
        ``"qualitative"`` (passes when the stated ``relation`` holds, see
        :func:`alssim.validation.passes`).
    relation : str
        The relation of a qualitative target, in words.
    """

    id: str
    what: str
    unit: str
    published: str
    source: str
    low: float
    high: float
    kind: str = "quantitative"
    relation: str = ""

    def interval_text(self) -> str:
        """The acceptance interval as text (open ends shown as inequalities)."""
        if self.high >= 1e8:
            return f">= {self.low:g}"
        if self.low <= -1e8:
            return f"<= {self.high:g}"
        return f"[{self.low:g}, {self.high:g}]"


def load_targets(path: str | Path | None = None) -> list[Target]:
    """Read the validation targets.

    Parameters
    ----------
    path : str or Path, optional
        A targets TOML file; default the shipped ``configs/validation/targets.toml``.

    Returns
    -------
    list of Target
        In file order.

    Raises
    ------
    ConfigError
        If the file is unreadable, a target lacks a field, or ``low > high``.
    """
    path = Path(path) if path is not None else DEFAULT_TARGETS_PATH
    data = read_toml(path)  # a regular TOML file of bounded size, or a ConfigError naming it
    fields = {f.name for f in dataclasses.fields(Target)}
    out = []
    for i, entry in enumerate(data.get("target", [])):
        key = f"target[{i}]"
        unknown = set(entry) - fields
        if unknown:
            raise ConfigError(f"unknown field(s) {sorted(unknown)}", key=key, source=str(path))
        try:
            t = Target(**{**entry, "low": float(entry["low"]), "high": float(entry["high"])})
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"incomplete target ({exc})", key=key, source=str(path)) from None
        if not (t.low <= t.high) or math.isnan(t.low):
            raise ConfigError(f"low must be <= high; got [{t.low}, {t.high}]", key=f"{key}.low",
                              source=str(path))
        if t.kind not in ("quantitative", "qualitative"):
            raise ConfigError(f"kind must be 'quantitative' or 'qualitative'; got {t.kind!r}",
                              key=f"{key}.kind", source=str(path))
        out.append(t)
    ids = [t.id for t in out]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise ConfigError(f"duplicate target ids {sorted(dup)}", source=str(path))
    return out
