"""models.py: loaded models, their tokenizers, pools of per-thread pipelines, Hugging Face's
token-classification pipeline (create_pipeline) and OpenMed's ModelLoader.

A Model is immutable and shared by every thread; a libopenmed pipeline serves one thread at a time,
so each call borrows one from the model's pool (made on first need, kept for the next call). Loading
and inference run with the GIL released.
"""
import os
import threading
import weakref
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from ._native import c_string_array, c_texts, check, cstr, ffi, lib, new_error, string, utf8
from .config import OpenMedConfig, get_config
from .errors import InvalidArgumentError

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
SHARE_DIR = os.path.join(_PACKAGE_DIR, "share", "openmed")

# Names of the models shipped in the package (as `openmed serve` names them) -> bundled model.
_BUNDLED = {"bundled/disease-ner": "disease", "bundled/pii": "pii", "disease": "disease", "pii": "pii"}
_BUNDLED_FOLDERS = {"disease": "disease-ner", "pii": "pii"}


def bundled_model_path(which: str) -> str:
    """The folder of a bundled model: "disease" (disease NER) or "pii" (PII detection)."""
    if which not in _BUNDLED_FOLDERS:
        raise InvalidArgumentError("bundled model '%s': unknown (expected \"disease\" or \"pii\")" % which)
    packaged = os.path.join(SHARE_DIR, "models", _BUNDLED_FOLDERS[which])
    if os.path.exists(os.path.join(packaged, "config.json")):
        return packaged
    buf = ffi.new("char[]", 4096)
    err = new_error()
    check(lib.openmed_bundled_model_path(which.encode(), buf, len(buf), err), err)
    return ffi.string(buf).decode("utf-8", "replace")


def _aggregation(strategy: Any) -> int:
    """HF's aggregation_strategy (a name, an enum with .value, or None = "none") as the C enum."""
    if strategy is None:
        strategy = "none"
    name = getattr(strategy, "value", strategy)
    out = ffi.new("openmed_aggregation *")
    err = new_error()
    check(lib.openmed_aggregation_parse(cstr(str(name), "aggregation_strategy"), out, err), err)
    return int(out[0])


def _decoder(name: Optional[str], model: "Model") -> int:
    if name is None:
        return int(lib.openmed_model_default_decoder(model.handle))
    out = ffi.new("openmed_label_decoder *")
    err = new_error()
    check(lib.openmed_label_decoder_parse(cstr(name, "decoder"), out, err), err)
    return int(out[0])


class Encoding:
    """One text's tokens: ids, offsets ([start, end) str indices; special tokens (0, 0)), tokens,
    special_tokens_mask, exactly as Hugging Face's tokenizers report them."""

    def __init__(self, ids: List[int], offsets: List[Tuple[int, int]], tokens: List[str], special: List[int]):
        self.ids = ids
        self.offsets = offsets
        self.tokens = tokens
        self.special_tokens_mask = special

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return "Encoding(num_tokens=%d)" % len(self.ids)


class Tokenizer:
    """The Hugging Face tokenizer of a loaded model (immutable; safe to share between threads)."""

    def __init__(self, model: "Model"):
        self._model = model  # keeps the tokenizer's owner alive
        self._handle = lib.openmed_model_tokenizer(model.handle)

    @property
    def model_max_length(self) -> int:
        return self._model.max_length

    def encode(self, text: str, add_special_tokens: bool = True) -> Encoding:
        data = utf8(text)
        enc = ffi.new("openmed_encoding *")
        lib.openmed_encoding_init(enc)
        try:
            err = new_error()
            check(lib.openmed_tokenizer_encode(self._handle, data, len(data), int(bool(add_special_tokens)), enc, err), err)
            n = enc.count
            ids = [int(enc.ids[i]) for i in range(n)]
            offsets = [(int(enc.offsets[2 * i]), int(enc.offsets[2 * i + 1])) for i in range(n)]
            special = [int(enc.special_tokens_mask[i]) for i in range(n)]
            tokens = [string(lib.openmed_encoding_token(enc, i)) or "" for i in range(n)]
        finally:
            lib.openmed_encoding_free(enc)
        return Encoding(ids, offsets, tokens, special)

    def __call__(self, text: str, add_special_tokens: bool = True) -> Dict[str, Any]:
        """HF's BatchEncoding fields for one text: input_ids, offset_mapping, special_tokens_mask."""
        e = self.encode(text, add_special_tokens)
        return {"input_ids": e.ids, "offset_mapping": e.offsets, "special_tokens_mask": e.special_tokens_mask}

    def tokenize(self, text: str) -> List[str]:
        return self.encode(text, add_special_tokens=False).tokens

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = False) -> str:
        arr = ffi.new("int32_t[]", [int(i) for i in ids])
        out = ffi.new("char **")
        err = new_error()
        check(lib.openmed_tokenizer_decode(self._handle, arr, len(ids), int(bool(skip_special_tokens)), out, err), err)
        try:
            return ffi.string(out[0]).decode("utf-8", "replace")
        finally:
            lib.free(out[0])


class PipelineOptions:
    """Options of Hugging Face's pipeline as libopenmed takes them (hashable, for pool keys)."""

    def __init__(self, model: "Model", aggregation_strategy: Any = "simple", stride: Optional[int] = None,
                 batch_size: Optional[int] = None, ignore_labels: Optional[Sequence[str]] = None,
                 threshold: float = 0.0, decoder: Optional[str] = None, long_text: str = "hf"):
        if long_text not in ("hf", "all_windows"):
            raise InvalidArgumentError("long_text '%s': expected \"hf\" or \"all_windows\"" % long_text)
        self.key = (_aggregation(aggregation_strategy), -1 if stride is None else int(stride),
                    int(batch_size) if batch_size is not None else None,
                    tuple(ignore_labels) if ignore_labels is not None else None, float(threshold),
                    _decoder(decoder, model), long_text)

    def to_c(self) -> Tuple[Any, list]:
        agg, stride, batch_size, ignore, threshold, decoder, long_text = self.key
        o = ffi.new("openmed_pipeline_options *")
        lib.openmed_pipeline_options_init(o)
        o.aggregation = agg
        o.stride = stride
        if batch_size is not None:
            o.batch_size = batch_size
        arr, keep = c_string_array(ignore, "ignore_labels")
        if ignore is not None:
            o.ignore_labels = arr
            o.n_ignore_labels = len(ignore)
            if not ignore:  # an empty list keeps every label, "O" included
                o.ignore_labels = ffi.new("const char *[1]")
        o.threshold = threshold
        o.decoder = decoder
        o.long_text = lib.OPENMED_LONG_TEXT_ALL_WINDOWS if long_text == "all_windows" else lib.OPENMED_LONG_TEXT_HF
        return o, [arr, keep]


def _free_model(handle: Any, pools: Dict[tuple, List[Any]]) -> None:
    """Free a model's pipelines, then the model (pipelines must not outlive their model)."""
    for free in pools.values():
        for p in free:
            lib.openmed_pipeline_free(p)
        free.clear()
    lib.openmed_model_free(handle)


class Model:
    """A loaded token-classification model: immutable, shared by threads. Its pipelines (one per
    thread at a time) live in pools owned by the model and are freed with it."""

    def __init__(self, handle: Any, name: str):
        self.handle = handle
        self.name = name
        self._pools: Dict[tuple, List[Any]] = {}
        self._lock = threading.Lock()
        self._finalizer = weakref.finalize(self, _free_model, handle, self._pools)

    @property
    def path(self) -> str:
        return string(lib.openmed_model_path(self.handle)) or ""

    @property
    def model_type(self) -> str:
        return string(lib.openmed_model_type(self.handle)) or ""

    @property
    def device(self) -> str:
        return string(lib.openmed_model_device(self.handle)) or ""

    @property
    def num_labels(self) -> int:
        return int(lib.openmed_model_num_labels(self.handle))

    @property
    def id2label(self) -> Dict[int, str]:
        return {i: string(lib.openmed_model_label(self.handle, i)) or "" for i in range(self.num_labels)}

    @property
    def label2id(self) -> Dict[str, int]:
        return {v: k for k, v in self.id2label.items()}

    @property
    def max_length(self) -> int:
        return int(lib.openmed_model_max_length(self.handle))

    @property
    def tokenizer(self) -> Tokenizer:
        return Tokenizer(self)

    @property
    def config(self) -> Dict[str, Any]:
        return {"model_type": self.model_type, "num_labels": self.num_labels, "id2label": self.id2label,
                "label2id": self.label2id, "max_length": self.max_length, "device": self.device,
                "path": self.path}

    @contextmanager
    def pipeline(self, options: PipelineOptions) -> Iterator[Any]:
        """Borrow a pipeline with these options for the current thread (made when none is free)."""
        with self._lock:
            free = self._pools.setdefault(options.key, [])
            p = free.pop() if free else None
        if p is None:
            c_options, keep = options.to_c()
            out = ffi.new("openmed_pipeline **")
            err = new_error()
            check(lib.openmed_pipeline_create(self.handle, c_options, out, err), err)
            p = out[0]
            del keep
        try:
            yield p
        finally:
            with self._lock:
                self._pools.setdefault(options.key, []).append(p)

    def __repr__(self) -> str:
        return "Model(name=%r, model_type=%r, device=%r)" % (self.name, self.model_type, self.device)


def load(name_or_path: str, config: Optional[OpenMedConfig] = None, device: Optional[str] = None,
         dtype: Optional[str] = None, num_threads: Optional[int] = None) -> Model:
    """Load a model folder, a registry name or a Hub repo id (downloaded into OpenMed's cache)."""
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError("model name must be a str or path, not %s" % type(name_or_path).__name__)
    name = os.fspath(name_or_path)
    path = bundled_model_path(_BUNDLED[name]) if name in _BUNDLED else name
    cfg = (config or get_config()).to_c()
    opts = ffi.new("openmed_model_options *")
    lib.openmed_model_options_init(opts)
    opts.config = cfg
    device_c = cstr(device, "device") if device else ffi.NULL
    opts.device = device_c
    if dtype is not None:
        parsed = ffi.new("openmed_dtype *")
        err = new_error()
        check(lib.openmed_dtype_parse(cstr(str(dtype), "dtype"), parsed, err), err)
        opts.dtype = parsed[0]
    if num_threads is not None:
        opts.num_threads = int(num_threads)
    out = ffi.new("openmed_model **")
    err = new_error()
    check(lib.openmed_model_load(cstr(path, "model name"), opts, out, err), err)
    return Model(out[0], name)


def _entity_dicts(result: Any, aggregated: bool) -> List[Dict[str, Any]]:
    out = []
    for i in range(result.n_entities):
        e = result.entities[i]
        label = string(e.label)
        if aggregated:
            out.append({"entity_group": label, "score": float(e.score), "word": string(e.word),
                        "start": int(e.start), "end": int(e.end)})
        else:
            out.append({"entity": label, "score": float(e.score), "index": int(e.index), "word": string(e.word),
                        "start": int(e.start), "end": int(e.end)})
    return out


class TokenClassificationPipeline:
    """Hugging Face's token-classification pipeline on libopenmed: pipe(text) gives HF's list of
    dicts ({"entity_group", "score", "word", "start", "end"}, or {"entity", "score", "index",
    "word", "start", "end"} without aggregation); pipe([texts]) a list of such lists. Thread-safe."""

    task = "token-classification"

    def __init__(self, model: Model, aggregation_strategy: Any = None, stride: Optional[int] = None,
                 batch_size: Optional[int] = None, ignore_labels: Optional[Sequence[str]] = None,
                 threshold: float = 0.0, decoder: Optional[str] = None, long_text: str = "hf"):
        self.model = model
        self.options = PipelineOptions(model, aggregation_strategy, stride, batch_size, ignore_labels, threshold,
                                       decoder, long_text)
        self.aggregation_strategy = string(lib.openmed_aggregation_name(self.options.key[0]))
        with model.pipeline(self.options):  # create one now: bad options fail here, not at the first call
            pass

    @property
    def tokenizer(self) -> Tokenizer:
        return self.model.tokenizer

    def __call__(self, inputs: Union[str, Sequence[str]], **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError("unexpected arguments %s: pass pipeline options to create_pipeline" % sorted(kwargs))
        single = isinstance(inputs, str)
        texts = [inputs] if single else list(inputs)
        if not texts:
            return []
        arr, keep = c_texts(texts, single)
        results = ffi.new("openmed_result **")
        err = new_error()
        aggregated = self.options.key[0] != lib.OPENMED_AGGREGATION_NONE
        with self.model.pipeline(self.options) as handle:
            check(lib.openmed_pipeline_run(handle, arr, len(keep), results, err), err)
        try:
            out = [_entity_dicts(results[0][i], aggregated) for i in range(len(keep))]
        finally:
            lib.openmed_results_free(results[0], len(keep))
        return out[0] if single else out


class ModelLoader:
    """OpenMed's ModelLoader: loads models (folders, registry names, Hub repo ids, the bundled
    "disease"/"pii"), caches them by name, and makes Hugging Face pipelines over them."""

    def __init__(self, config: Optional[OpenMedConfig] = None):
        self.config = config or get_config()
        self._models: Dict[tuple, Model] = {}
        self._lock = threading.Lock()

    def get_model(self, model_name: str, device: Optional[str] = None, dtype: Optional[str] = None,
                  num_threads: Optional[int] = None, force_reload: bool = False) -> Model:
        key = (os.fspath(model_name), device, dtype, num_threads)
        with self._lock:
            model = None if force_reload else self._models.get(key)
        if model is None:
            model = load(model_name, self.config, device=device, dtype=dtype, num_threads=num_threads)
            with self._lock:
                model = self._models.setdefault(key, model) if not force_reload else model
                self._models[key] = model
        return model

    def load_model(self, model_name: str, force_reload: bool = False, **kwargs: Any) -> Dict[str, Any]:
        """{"model", "tokenizer", "config"} of a model (kwargs: device, dtype/torch_dtype, num_threads)."""
        model = self.get_model(model_name, force_reload=force_reload, **_load_kwargs(kwargs))
        return {"model": model, "tokenizer": model.tokenizer, "config": model.config}

    def create_pipeline(self, model_name: str, task: str = "token-classification", aggregation_strategy: Any = None,
                        use_fast_tokenizer: bool = True, **kwargs: Any) -> TokenClassificationPipeline:
        """HF's pipeline(task, model, aggregation_strategy=...) (None = "none", as HF). kwargs: device,
        dtype/torch_dtype, num_threads, stride, batch_size, ignore_labels, threshold, decoder
        ("argmax"/"viterbi"), long_text ("hf" = HF's first-window reading, "all_windows")."""
        if task not in ("token-classification", "ner"):
            raise InvalidArgumentError("task '%s': only token-classification is supported" % task)
        load_kw = _load_kwargs({k: kwargs.pop(k) for k in list(kwargs) if k in _LOAD_KEYS})
        pipe_kw = {k: kwargs.pop(k) for k in list(kwargs) if k in _PIPELINE_KEYS}
        if kwargs:
            raise TypeError("create_pipeline: unexpected arguments %s" % sorted(kwargs))
        return TokenClassificationPipeline(self.get_model(model_name, **load_kw), aggregation_strategy, **pipe_kw)

    def loaded_models(self) -> Dict[str, Dict[str, Any]]:
        with self._lock:
            return {key[0]: {"device": m.device, "model_type": m.model_type} for key, m in self._models.items()}

    def unload_model(self, model_name: str) -> bool:
        with self._lock:
            keys = [k for k in self._models if k[0] == os.fspath(model_name)]
            for k in keys:
                del self._models[k]
        return bool(keys)

    def unload_all_models(self) -> None:
        with self._lock:
            self._models.clear()

    def list_available_models(self, include_registry: bool = True, include_remote: bool = True) -> List[str]:
        """Repo ids of OpenMed's registry, sorted (include_remote is accepted, as OpenMed, and unused)."""
        return sorted({info["repo_id"] for info in registry()}) if include_registry else []

    def get_model_info(self, model_name: str) -> Optional[Dict[str, Any]]:
        return registry_find(model_name)


_LOAD_KEYS = ("device", "dtype", "torch_dtype", "num_threads")
_PIPELINE_KEYS = ("stride", "batch_size", "ignore_labels", "threshold", "decoder", "long_text")


def _load_kwargs(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    out = {"device": kwargs.pop("device", None), "num_threads": kwargs.pop("num_threads", None)}
    dtype = kwargs.pop("dtype", None) or kwargs.pop("torch_dtype", None)
    kwargs.pop("torch_dtype", None)
    if dtype is not None:
        dtype = str(dtype).replace("torch.", "")
    out["dtype"] = dtype
    if kwargs:
        raise TypeError("unexpected arguments %s" % sorted(kwargs))
    return out


_INFO_FIELDS = ("key", "aliases", "repo_id", "family", "task", "category", "languages", "architecture",
                "base_model", "formats", "license", "size_category", "reproducibility_hash", "released")


def _info_dict(info: Any) -> Dict[str, Any]:
    d: Dict[str, Any] = {f: string(getattr(info, f)) or "" for f in _INFO_FIELDS}
    d["param_count"] = int(info.param_count)
    reason = ffi.new("char[]", 256)
    d["runnable"] = bool(lib.openmed_registry_runnable(info, reason, len(reason)))
    if not d["runnable"]:
        d["not_runnable_reason"] = ffi.string(reason).decode("utf-8", "replace")
    return d


def registry() -> List[Dict[str, Any]]:
    """Every model of OpenMed's registry (the manifest), as dicts."""
    count = ffi.new("size_t *")
    err = new_error()
    check(lib.openmed_registry_count(count, err), err)
    info = ffi.new("openmed_model_info *")
    out = []
    for i in range(count[0]):
        check(lib.openmed_registry_at(i, info, err), err)
        out.append(_info_dict(info))
    return out


def registry_find(name: str) -> Optional[Dict[str, Any]]:
    """A registry model by key or repo id, None when it is neither."""
    info = ffi.new("openmed_model_info *")
    err = new_error()
    status = lib.openmed_registry_find(cstr(name, "model name"), info, err)
    if status == lib.OPENMED_ERR_NOT_FOUND:
        return None
    check(status, err)
    return _info_dict(info)
