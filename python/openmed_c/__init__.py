"""openmed_c: OpenMed's Python API (analyze_text, extract_pii, deidentify, ModelLoader,
OpenMedConfig) on libopenmed, OpenMed-C's C library, with the bundled disease and PII models.

Switch an OpenMed script by its import:  import openmed_c as openmed
"""
import os as _os

_MANIFEST = _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "share", "openmed", "models.jsonl")
if _os.path.exists(_MANIFEST):
    # The registry shipped in the package, for name lookups (the library reads it on first use).
    _os.environ.setdefault("OPENMED_MODELS_MANIFEST", _MANIFEST)

from ._native import ffi as _ffi, lib as _lib  # noqa: E402
from .analyze import analyze_text  # noqa: E402
from .config import OpenMedConfig, get_config, load_config_from_file, set_config  # noqa: E402
from .errors import (  # noqa: E402
    AuthError, CancelledError, ConfigError, DeviceError, FormatError, IntegrityError, InternalError,
    InvalidArgumentError, NetworkError, NotFoundError, NumericError, OpenMedError, OpenMedIOError,
    OutOfMemoryError, Status, UnsupportedError)
from .models import (  # noqa: E402
    Encoding, Model, ModelLoader, Tokenizer, TokenClassificationPipeline, bundled_model_path)
from .pii import DEIDENTIFICATION_METHODS, Policy, deidentify, extract_pii, reidentify  # noqa: E402
from .results import (  # noqa: E402
    AnalyzeResult, DeidentificationResult, EntityPrediction, PIIEntity, PredictionResult)

__version__: str = _ffi.string(_lib.openmed_version()).decode()


def load_model(model_name: str, config: "OpenMedConfig | None" = None, **kwargs: object) -> dict:
    """OpenMed's convenience load_model: ModelLoader(config).load_model(model_name, **kwargs)."""
    return ModelLoader(config).load_model(model_name, **kwargs)  # type: ignore[arg-type]


__all__ = [
    "__version__", "analyze_text", "extract_pii", "deidentify", "reidentify", "load_model", "ModelLoader",
    "OpenMedConfig", "get_config", "set_config", "load_config_from_file", "Model", "Tokenizer", "Encoding",
    "TokenClassificationPipeline", "bundled_model_path", "Policy", "DEIDENTIFICATION_METHODS", "PredictionResult",
    "AnalyzeResult", "EntityPrediction", "PIIEntity", "DeidentificationResult", "Status", "OpenMedError",
    "InvalidArgumentError", "OpenMedIOError", "FormatError", "UnsupportedError", "DeviceError", "OutOfMemoryError",
    "NotFoundError", "NetworkError", "AuthError", "IntegrityError", "ConfigError", "InternalError", "NumericError",
    "CancelledError",
]
