"""Settings from SATUPINTU_* environment variables and the default data files beside them."""

from config.settings import ConfigError, Settings, load_settings

__all__ = ["ConfigError", "Settings", "load_settings"]
