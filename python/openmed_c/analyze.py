"""analyze.py: OpenMed's analyze_text on libopenmed's openmed_analyze (sentences, chunks, medical
tokens, whole words; see include/openmed.h), with OpenMed's arguments and PredictionResult."""
import datetime
import json
import time
from typing import Any, List, Optional, Sequence, Union

from ._native import c_texts, check, ffi, lib, new_error, string
from .config import OpenMedConfig
from .errors import InvalidArgumentError
from .loaders import loader_for, model_label
from .models import ModelLoader, PipelineOptions
from .results import EntityPrediction, PredictionResult

_PIPELINE_KEYS = ("stride", "batch_size", "ignore_labels", "decoder")
_LOAD_KEYS = ("device", "dtype", "torch_dtype", "num_threads")


def analyze_text(text: Union[str, Sequence[str]], model_name: Optional[str] = None, *, model_id: Optional[str] = None,
                 config: Optional[OpenMedConfig] = None, loader: Optional[ModelLoader] = None,
                 aggregation_strategy: Optional[str] = "simple", output_format: str = "dict",
                 include_confidence: bool = True, confidence_threshold: Optional[float] = 0.0,
                 group_entities: bool = False, sentence_detection: bool = True, use_medical_tokenizer: bool = True,
                 max_chunk_sentences: int = 6, max_chunk_chars: int = 0, **kwargs: Any) -> Any:
    """Find entities in clinical text (OpenMed's analyze_text).

    model_name: a model folder, registry name or Hub repo id; None = the bundled disease model.
    A list of texts gives a list of results (their chunks share forward passes).
    output_format: "dict" (a PredictionResult) or "json" (its to_dict() as a JSON string).
    kwargs: device, dtype, num_threads (loading); stride, batch_size, ignore_labels, decoder (pipeline).
    Offsets are indices into the text as given (OpenMed's are into the text stripped of leading
    white space).
    """
    if model_id is not None:
        if model_name is not None:
            raise InvalidArgumentError("analyze_text: give model_name or model_id, not both")
        model_name = model_id
    fmt = (output_format or "dict").lower()
    if fmt not in ("dict", "json"):
        raise InvalidArgumentError("output_format '%s': expected \"dict\" or \"json\" (the CLI writes html and csv)"
                                   % output_format)
    load_kw = {k: kwargs.pop(k) for k in list(kwargs) if k in _LOAD_KEYS}
    pipe_kw = {k: kwargs.pop(k) for k in list(kwargs) if k in _PIPELINE_KEYS}
    if kwargs:
        raise TypeError("analyze_text: unexpected arguments %s" % sorted(kwargs))
    if load_kw.get("torch_dtype") is not None and load_kw.get("dtype") is None:
        load_kw["dtype"] = str(load_kw.pop("torch_dtype")).replace("torch.", "")
    load_kw.pop("torch_dtype", None)

    single = isinstance(text, str)
    texts = [text] if single else list(text)
    if not texts:
        return []
    loader = loader or loader_for(config)
    name = model_name if model_name is not None else "bundled/disease-ner"
    model = loader.get_model(name, **load_kw)
    options = PipelineOptions(model, aggregation_strategy if aggregation_strategy is not None else "none", **pipe_kw)

    ao = ffi.new("openmed_analyze_options *")
    lib.openmed_analyze_options_init(ao)
    ao.confidence_threshold = 0.0 if confidence_threshold is None else float(confidence_threshold)
    ao.sentence_detection = int(bool(sentence_detection))
    ao.medical_tokens = int(bool(use_medical_tokenizer))
    ao.group_entities = int(bool(group_entities))
    ao.max_chunk_sentences = int(max_chunk_sentences)
    ao.max_chunk_chars = int(max_chunk_chars)

    arr, keep = c_texts(texts, single)
    out = ffi.new("openmed_analysis **")
    err = new_error()
    t0 = time.perf_counter()
    with model.pipeline(options) as pipeline:
        check(lib.openmed_analyze(pipeline, arr, len(keep), ao, out, err), err)
    elapsed = time.perf_counter() - t0
    stamp = datetime.datetime.now().isoformat()
    try:
        results = [_result(texts[i], out[0][i], model_label(name), stamp, elapsed / len(texts), include_confidence,
                           options) for i in range(len(texts))]
    finally:
        lib.openmed_analyses_free(out[0], len(keep))
    if fmt == "json":
        results = [json.dumps(r.to_dict(), indent=2, ensure_ascii=False) for r in results]  # type: ignore[misc]
    return results[0] if single else results


def _result(text: str, a: Any, model_name: str, stamp: str, elapsed: float, include_confidence: bool,
            options: PipelineOptions) -> PredictionResult:
    sentences = [(int(a.sentences[i].start), int(a.sentences[i].end)) for i in range(a.n_sentences)]
    entities: List[EntityPrediction] = []
    for i in range(a.n_entities):
        e = a.entities[i]
        meta = {}
        if e.sentence >= 0 and e.sentence < len(sentences):
            s, t = sentences[e.sentence]
            meta = {"sentence_index": int(e.sentence), "sentence_text": text[s:t], "sentence_start": s,
                    "sentence_end": t}
        entities.append(EntityPrediction(text=string(e.text) or "", label=string(e.label) or "",
                                         confidence=float(e.confidence) if include_confidence else None,
                                         start=int(e.start), end=int(e.end), metadata=meta))
    metadata = {"sentence_detection": bool(a.sentence_detection), "sentence_count": len(sentences),
                "medical_tokenizer": bool(a.medical_tokens), "max_length": int(a.max_length),
                "chunk_count": int(a.n_chunks), "token_count": int(a.n_tokens), "window_count": int(a.n_windows),
                "aggregation_strategy": string(lib.openmed_aggregation_name(options.key[0]))}
    return PredictionResult(text=text, entities=entities, model_name=model_name, timestamp=stamp,
                            processing_time=elapsed, metadata=metadata)
