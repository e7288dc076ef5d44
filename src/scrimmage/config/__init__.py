"""Config: pydantic schemas, YAML recipes and dotted overrides."""

from scrimmage.config.loader import config_to_dict, config_to_yaml, flatten, load_config, parse_override
from scrimmage.config.schema import RunConfig

__all__ = ["RunConfig", "config_to_dict", "config_to_yaml", "flatten", "load_config", "parse_override"]
