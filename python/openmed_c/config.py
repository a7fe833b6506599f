"""config.py: OpenMedConfig, the settings OpenMed's OpenMedConfig holds that this backend uses, read
from OpenMed's config file and environment by libopenmed itself (openmed_config_*), so the Python
package, the CLI and the service agree on every value."""
import dataclasses
import os
from typing import Any, Dict, Optional

from ._native import check, ffi, fill, lib, new_error, string
from .errors import UnsupportedError

_DTYPES = {None: 0, "auto": 0, "float32": 1, "float16": 2, "bfloat16": 3}


@dataclasses.dataclass
class OpenMedConfig:
    """OpenMed's configuration (the fields this backend reads, plus dtype and num_threads).

    None means "unset": the library then applies OpenMed's defaults and environment
    (HF_TOKEN, OPENMED_OFFLINE, OPENMED_NUM_THREADS, OPENMED_TORCH_DEVICE, OPENMED_DEVICE).
    """

    default_org: str = "OpenMed"
    cache_dir: Optional[str] = None
    device: Optional[str] = None
    hf_token: Optional[str] = None
    local_only: bool = False
    backend: Optional[str] = None
    dtype: Optional[str] = None
    num_threads: Optional[int] = None
    deid_secret_file: Optional[str] = None
    config_path: Optional[str] = None

    def __post_init__(self) -> None:
        if self.backend not in (None, "", "hf"):
            raise UnsupportedError("backend '%s': OpenMed-C runs the hf (PyTorch model) backend only" % self.backend)
        if self.dtype is not None and str(self.dtype).lower() not in _DTYPES:
            raise UnsupportedError("dtype '%s': expected auto, float32, float16 or bfloat16" % self.dtype)

    @classmethod
    def from_file(cls, path: Optional[str] = None) -> "OpenMedConfig":
        """Read OpenMed's flat `key = value` config file (path > $OPENMED_CONFIG >
        $XDG_CONFIG_HOME/openmed/config.toml; a missing default file is not an error)."""
        c = ffi.new("openmed_config *")
        lib.openmed_config_init(c)
        err = new_error()
        path_c = ffi.new("char[]", os.fsencode(path)) if path is not None else ffi.NULL
        check(lib.openmed_config_load_file(c, path_c, err), err)
        return cls._from_c(c)

    @classmethod
    def _from_c(cls, c: Any) -> "OpenMedConfig":
        def s(field: Any) -> Optional[str]:
            value = string(field)
            return value or None

        return cls(default_org=s(c.default_org) or "OpenMed", cache_dir=s(c.cache_dir), device=s(c.device),
                   hf_token=s(c.hf_token), local_only=bool(c.local_only), backend=s(c.backend),
                   dtype=string(lib.openmed_dtype_name(c.dtype)) if c.dtype else None,
                   num_threads=c.num_threads or None, deid_secret_file=s(c.deid_secret_file),
                   config_path=s(c.config_path))

    def to_c(self) -> Any:
        """An openmed_config: the library's defaults and environment, then every field that is set."""
        c = ffi.new("openmed_config *")
        lib.openmed_config_init(c)
        if self.backend:
            fill(c.backend, self.backend, "backend")
        if self.device:
            fill(c.device, self.device, "device")
        if self.cache_dir:
            fill(c.cache_dir, os.path.expanduser(self.cache_dir), "cache_dir")
        if self.hf_token:
            fill(c.hf_token, self.hf_token, "hf_token")
        if self.default_org:
            fill(c.default_org, self.default_org, "default_org")
        if self.deid_secret_file:
            fill(c.deid_secret_file, os.path.expanduser(self.deid_secret_file), "deid_secret_file")
        if self.config_path:
            fill(c.config_path, self.config_path, "config_path")
        c.local_only = int(bool(c.local_only) or bool(self.local_only))
        c.dtype = _DTYPES[str(self.dtype).lower() if self.dtype is not None else None]
        if self.num_threads:
            c.num_threads = int(self.num_threads)
        return c

    def to_dict(self) -> Dict[str, Any]:
        d = dataclasses.asdict(self)
        if d.get("hf_token"):
            d["hf_token"] = "***"
        return d


_config: Optional[OpenMedConfig] = None


def get_config() -> OpenMedConfig:
    """The process-wide configuration (OpenMed's get_config): the default config file if present."""
    global _config
    if _config is None:
        _config = OpenMedConfig.from_file(None)
    return _config


def set_config(config: OpenMedConfig) -> None:
    global _config
    _config = config


def load_config_from_file(path: Optional[str] = None) -> OpenMedConfig:
    """Read a config file and make it the process-wide configuration."""
    config = OpenMedConfig.from_file(path)
    set_config(config)
    return config
