"""The names every layer shares: compartments, sides, the clinical regions (El Escorial, King's),
onset sites, the ALSFRS-R items and the kinds of spread edge."""

from __future__ import annotations

import re

__all__ = [
    "ALSFRS_ITEMS",
    "BREATHING_ITEMS",
    "COMPARTMENTS",
    "EDGE_KINDS",
    "EL_ESCORIAL_REGIONS",
    "KINGS_REGIONS",
    "NAME_PATTERN",
    "ONSET_SITES",
    "SIDES",
]


COMPARTMENTS = ("umn", "lmn")

SIDES = ("left", "right")

EL_ESCORIAL_REGIONS = ("bulbar", "cervical", "thoracic", "lumbosacral")

KINGS_REGIONS = ("bulbar", "upper_limb", "lower_limb", "respiratory")

ONSET_SITES = ("bulbar", "upper_limb", "lower_limb", "respiratory")

ALSFRS_ITEMS = (
    "speech",
    "salivation",
    "swallowing",
    "handwriting",
    "cutting_food",
    "dressing_hygiene",
    "turning_in_bed",
    "walking",
    "climbing_stairs",
    "dyspnoea",
    "orthopnoea",
    "respiratory_insufficiency",
)


#: ALSFRS-R items of breathing (the respiratory domain).
BREATHING_ITEMS = ("dyspnoea", "orthopnoea", "respiratory_insufficiency")

EDGE_KINDS = (
    "contralateral",
    "caudal",
    "rostral",
    "anterograde",
    "retrograde",
    "cortical_neighbour",
    "callosal",
    "long_range",
)

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
