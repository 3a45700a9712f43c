"""How a config field is declared and checked: defined in :mod:`alssim.fields` (below the
anatomy, which validates its own tables with it) and re-exported here, where it was first
defined."""

from __future__ import annotations

from alssim.fields import (
    ParamSpec,
    build,
    field_specs,
    nearest_key,
    param,
    section,
    to_dict,
)

__all__ = ["ParamSpec", "build", "field_specs", "nearest_key", "param", "section", "to_dict"]
