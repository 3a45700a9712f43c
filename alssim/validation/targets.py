"""Published figures to validate against: ``configs/validation/targets.toml`` as typed data."""

from __future__ import annotations

from pathlib import Path

from alssim.config.loader import configs_dir, read_toml
from alssim.errors import ConfigError
from alssim.fields import build, nearest_key, param, section

__all__ = ["DEFAULT_TARGETS_PATH", "Target", "load_targets"]



def _default_path() -> Path:
    return configs_dir() / "validation" / "targets.toml"


#: The shipped targets file.
DEFAULT_TARGETS_PATH = _default_path()


@section
class Target:
    """One published figure and its a-priori acceptance interval (a ``[[target]]`` table of
    ``configs/validation/targets.toml``, read and checked by :func:`alssim.fields.build` like
    every other TOML input).

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

    id: str = param("", "identifier, the name of the metric that computes the figure")
    what: str = param("", "what is compared, in words")
    unit: str = param("", "unit of the figure")
    published: str = param("", "the published value, as text")
    source: str = param("", "where the published value comes from")
    low: float = param("", "lower end of the acceptance interval (<= high)")
    high: float = param("", "upper end of the acceptance interval (>= low)")
    kind: str = param("", "how the figure passes", choices=("quantitative", "qualitative"),
                      default="quantitative")
    relation: str = param("", "the relation of a qualitative target, in words", default="")

    def _check(self, prefix: str, source: str | None) -> None:
        if not self.low <= self.high:
            raise ConfigError(f"must be <= high ({self.high:g}); got {self.low:g}",
                              key=f"{prefix}.low", source=source)

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
    unknown = [k for k in data if k != "target"]
    if unknown:
        hint = nearest_key(unknown[0], ["target"])
        raise ConfigError("unknown key; " + ("did you mean 'target'?" if hint else
                                             "a targets file holds [[target]] tables only"),
                          key=unknown[0], source=str(path))
    entries = data.get("target", [])
    if not isinstance(entries, list):
        raise ConfigError("must be an array of tables ([[target]])", key="target",
                          source=str(path))
    out = [build(Target, entry, prefix=f"target[{i}]", source=str(path))
           for i, entry in enumerate(entries)]
    ids = [t.id for t in out]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise ConfigError(f"duplicate target ids {sorted(dup)}", source=str(path))
    return out
