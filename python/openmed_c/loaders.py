"""loaders.py: the ModelLoader each top-level call uses when none is given (one per configuration,
so a model is loaded once per process and shared by every thread), and how results name a model."""
import dataclasses
import threading
from typing import Dict, Optional

from .config import OpenMedConfig, get_config
from .models import ModelLoader

_loaders: Dict[tuple, ModelLoader] = {}
_lock = threading.Lock()


def loader_for(config: Optional[OpenMedConfig]) -> ModelLoader:
    cfg = config or get_config()
    key = dataclasses.astuple(cfg)
    with _lock:
        loader = _loaders.get(key)
        if loader is None:
            loader = _loaders[key] = ModelLoader(cfg)
        return loader


def model_label(name: str) -> str:
    """The model name a result reports: as given (bundled models as `openmed serve` names them)."""
    return {"disease": "bundled/disease-ner", "pii": "bundled/pii"}.get(name, name)
