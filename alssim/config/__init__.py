"""Configuration: TOML files become frozen, validated, typed parameters."""

from alssim.config.loader import configs_dir, load_config, parse_override, read_toml
from alssim.config.schema import Config, check_seed
from alssim.fields import ParamSpec, param

__all__ = ["Config", "ParamSpec", "check_seed", "configs_dir", "load_config", "param",
           "parse_override", "read_toml"]
