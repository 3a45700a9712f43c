"""Configuration: TOML files become frozen, validated, typed parameters."""

from alssim.config.loader import configs_dir, load_config, parse_override, read_toml
from alssim.config.params import ParamSpec, param
from alssim.config.schema import Config, check_seed

__all__ = ["Config", "ParamSpec", "check_seed", "configs_dir", "load_config", "param",
           "parse_override", "read_toml"]
