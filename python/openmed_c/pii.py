"""pii.py: OpenMed's extract_pii, deidentify and reidentify on libopenmed (openmed_pii_extract,
openmed_deidentify, openmed_reidentify): detection over a folded view of the text, every method
and option of the C API, policies, keys. De-identification fails closed: any error raises and no
text is returned."""
import datetime
import os
import threading
import time
import weakref
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from ._native import c_string_array, check, cstr, ffi, lib, new_error, string, utf8
from .config import OpenMedConfig, get_config
from .errors import InvalidArgumentError, UnsupportedError
from .loaders import loader_for, model_label
from .models import SHARE_DIR, ModelLoader
from .results import DeidentificationResult, PIIEntity, PredictionResult

SECRET_ENV = "OPENMED_DEID_SECRET"
DEIDENTIFICATION_METHODS = ("mask", "remove", "replace", "hash", "shift_dates", "format_preserve")


class Policy:
    """A loaded de-identification policy (immutable, shared)."""

    def __init__(self, name_or_path: str):
        path = name_or_path
        packaged = os.path.join(SHARE_DIR, "policies", name_or_path + ".json")
        if "/" not in name_or_path and not name_or_path.endswith(".json") and os.path.exists(packaged):
            path = packaged
        out = ffi.new("openmed_policy **")
        err = new_error()
        check(lib.openmed_policy_load(cstr(path, "policy"), out, err), err)
        self.handle = out[0]
        self._finalizer = weakref.finalize(self, lib.openmed_policy_free, out[0])

    @property
    def name(self) -> str:
        return string(lib.openmed_policy_name(self.handle)) or ""


_policies: Dict[str, Policy] = {}
_policies_lock = threading.Lock()


def _policy(name: str) -> Policy:
    with _policies_lock:
        p = _policies.get(name)
    if p is None:
        p = Policy(name)
        with _policies_lock:
            p = _policies.setdefault(name, p)
    return p


def _secret(secret: Union[str, bytes, None], config: OpenMedConfig) -> Optional[bytes]:
    """The key, as the CLI finds it: the argument, else $OPENMED_DEID_SECRET, else the config file's
    deid_secret_file (its trailing line break removed); None = the library's random per-process key."""
    if secret is not None:
        data = secret if isinstance(secret, bytes) else utf8(secret, "secret")
        if not data:
            raise InvalidArgumentError("secret: empty")
        return data
    env = os.environ.get(SECRET_ENV)
    if env:
        return env.encode("utf-8")
    if config.deid_secret_file:
        path = os.path.expanduser(config.deid_secret_file)
        try:
            with open(path, "rb") as f:
                data = f.read(1 << 20).rstrip(b"\r\n")
        except OSError as e:
            raise InvalidArgumentError("secret key file %s: %s" % (path, e.strerror)) from None
        if not data:
            raise InvalidArgumentError("secret key file %s is empty" % path)
        return data
    return None


class _Options:
    """An openmed_deid_options and the Python objects its pointers refer to."""

    def __init__(self, method: str, confidence_threshold: float, *, keep_year: bool = False,
                 date_shift_days: Optional[int] = None, date_shift_seed: Optional[Any] = None,
                 patient_key: Optional[str] = None, date_shift_max_days: Optional[int] = None,
                 use_safety_sweep: bool = True, keep_mapping: bool = False, secret: Optional[bytes] = None,
                 policy: Optional[str] = None, deny_list: Optional[Sequence[str]] = None,
                 allow_list: Optional[Sequence[str]] = None, protect_clinical_terms: bool = True):
        o = self.c = ffi.new("openmed_deid_options *")
        lib.openmed_deid_options_init(o)
        self.keep: List[Any] = []
        parsed = ffi.new("openmed_deid_method *")
        err = new_error()
        check(lib.openmed_deid_method_parse(cstr(method, "method"), parsed, err), err)
        o.method = parsed[0]
        o.confidence_threshold = float(confidence_threshold)
        o.keep_year = int(bool(keep_year))
        if date_shift_days is not None:
            if int(date_shift_days) == 0:
                raise InvalidArgumentError("date_shift_days: must not be 0")
            o.date_shift_days = int(date_shift_days)
        if date_shift_seed is not None:
            o.date_shift_seed = self._str(str(date_shift_seed), "seed")
        if patient_key is not None:
            o.patient_key = self._str(str(patient_key), "patient_key")
        if date_shift_max_days is not None:
            o.date_shift_max_days = int(date_shift_max_days)
        o.safety_sweep = int(bool(use_safety_sweep))
        o.keep_mapping = int(bool(keep_mapping))
        o.protect_clinical_terms = int(bool(protect_clinical_terms))
        if secret is not None:
            buf = ffi.new("unsigned char[]", secret)
            self.keep.append(buf)
            o.secret = buf
            o.secret_len = len(secret)
        self.policy = _policy(policy) if policy else None
        if self.policy is not None:
            o.policy = self.policy.handle
        for field, values in (("deny_list", deny_list), ("allow_list", allow_list)):
            arr, items = c_string_array(values, field)
            self.keep += [arr, items]
            setattr(o, field, arr)
            setattr(o, "n_" + field, len(items))

    def _str(self, value: str, what: str) -> Any:
        c = cstr(value, what)
        self.keep.append(c)
        return c


def _entities(result: Any, deidentified: bool) -> List[PIIEntity]:
    out = []
    for i in range(result.n_entities):
        e = result.entities[i]
        label = string(e.label) or ""
        out.append(PIIEntity(text=string(e.text) or "", label=label, confidence=float(e.confidence),
                             start=int(e.start), end=int(e.end), entity_type=label,
                             redacted_text=string(e.redacted_text) if deidentified else None,
                             action=string(e.action) if deidentified else None,
                             hipaa_class=string(e.hipaa_class), sources=(string(e.source) or "").split("+")))
    return out


def _run(fn: Any, model: Any, text: str, options: _Options) -> Any:
    data = utf8(text)
    out = ffi.new("openmed_deid_result **")
    err = new_error()
    check(fn(model.handle if model is not None else ffi.NULL, data, len(data), options.c, out, err), err)
    return out[0]


def _model(model_name: Optional[str], lang: str, loader: Optional[ModelLoader], config: Optional[OpenMedConfig],
           device: Optional[str]) -> Any:
    if lang != "en" and model_name is None:
        raise UnsupportedError("lang '%s': the bundled PII model and the safety sweep are English; name a model "
                               "for %s text with model_name" % (lang, lang))
    return (loader or loader_for(config)).get_model(model_name if model_name is not None else "bundled/pii",
                                                    device=device)


def extract_pii(text: Union[str, Sequence[str]], model_name: Optional[str] = None, confidence_threshold: float = 0.5,
                config: Optional[OpenMedConfig] = None, use_smart_merging: bool = True, lang: str = "en", *,
                loader: Optional[ModelLoader] = None, use_safety_sweep: bool = True,
                deny_list: Optional[Sequence[str]] = None, allow_list: Optional[Sequence[str]] = None,
                protect_clinical_terms: bool = True, device: Optional[str] = None) -> Any:
    """Find identifiers in text (OpenMed's extract_pii): a PredictionResult whose entities are
    PIIEntity objects with the raw labels. model_name None = the bundled PII model. A list of
    texts gives a list of results."""
    if not use_smart_merging:
        raise UnsupportedError("use_smart_merging=False: overlapping detections are always joined into their union")
    if not isinstance(text, str):
        return [extract_pii(t, model_name, confidence_threshold, config, True, lang, loader=loader,
                            use_safety_sweep=use_safety_sweep, deny_list=deny_list, allow_list=allow_list,
                            protect_clinical_terms=protect_clinical_terms, device=device) for t in text]
    model = _model(model_name, lang, loader, config, device)
    options = _Options("mask", confidence_threshold, use_safety_sweep=use_safety_sweep, deny_list=deny_list,
                       allow_list=allow_list, protect_clinical_terms=protect_clinical_terms)
    t0 = time.perf_counter()
    result = _run(lib.openmed_pii_extract, model, text, options)
    elapsed = time.perf_counter() - t0
    try:
        entities = _entities(result, False)
        metadata = {"confidence_threshold": round(float(result.confidence_threshold), 6),
                    "safety_sweep": bool(result.safety_sweep), "lang": lang}
    finally:
        lib.openmed_deid_result_free(result)
    return PredictionResult(text=text, entities=list(entities), model_name=model_label(model_name or "pii"),
                            timestamp=datetime.datetime.now().isoformat(), processing_time=elapsed, metadata=metadata)


def deidentify(text: Union[str, Sequence[str]], method: str = "mask", model_name: Optional[str] = None,
               confidence_threshold: float = 0.7, keep_year: bool = False, shift_dates: Optional[bool] = None,
               date_shift_days: Optional[int] = None, patient_key: Optional[str] = None,
               date_shift_max_days: Optional[int] = None, date_shift_secret: Union[str, bytes, None] = None,
               keep_mapping: bool = False, config: Optional[OpenMedConfig] = None, use_smart_merging: bool = True,
               lang: str = "en", normalize_accents: Optional[bool] = None, use_safety_sweep: bool = True, *,
               seed: Optional[Any] = None, policy: Optional[str] = None, secret: Union[str, bytes, None] = None,
               loader: Optional[ModelLoader] = None, deny_list: Optional[Sequence[str]] = None,
               allow_list: Optional[Sequence[str]] = None, protect_clinical_terms: bool = True,
               device: Optional[str] = None) -> Any:
    """Replace every identifier in text (OpenMed's deidentify): a DeidentificationResult.

    method: mask, remove, replace, hash, shift_dates or format_preserve (aadhaar_mask raises
    UnsupportedError). shift_dates=True means method "shift_dates". Date shift: date_shift_days, else
    patient_key (with a secret), else seed, else random. secret (or date_shift_secret) keys hash,
    replace, format_preserve and patient_key; without one, $OPENMED_DEID_SECRET, then the config's
    deid_secret_file, else a random key for this process (and a warning on logger "openmed_c").
    policy: "hipaa_safe_harbor", "strict" or a policy JSON file. Any failure raises: never a
    partial or pass-through text.
    """
    if not use_smart_merging:
        raise UnsupportedError("use_smart_merging=False: overlapping detections are always joined into their union")
    if normalize_accents:
        raise UnsupportedError("normalize_accents: accent stripping (OpenMed's Spanish path) is not implemented")
    if shift_dates is True:
        method = "shift_dates"
    elif shift_dates is False and method == "shift_dates":
        raise InvalidArgumentError("method 'shift_dates' with shift_dates=False")
    if secret is not None and date_shift_secret is not None and secret != date_shift_secret:
        raise InvalidArgumentError("secret and date_shift_secret differ: give one key")
    if not isinstance(text, str):
        return [deidentify(t, method, model_name, confidence_threshold, keep_year, None, date_shift_days, patient_key,
                           date_shift_max_days, date_shift_secret, keep_mapping, config, True, lang, None,
                           use_safety_sweep, seed=seed, policy=policy, secret=secret, loader=loader,
                           deny_list=deny_list, allow_list=allow_list, protect_clinical_terms=protect_clinical_terms,
                           device=device) for t in text]
    cfg = config or get_config()
    model = _model(model_name, lang, loader, config, device)
    key = _secret(secret if secret is not None else date_shift_secret, cfg)
    options = _Options(method, confidence_threshold, keep_year=keep_year, date_shift_days=date_shift_days,
                       date_shift_seed=seed, patient_key=patient_key, date_shift_max_days=date_shift_max_days,
                       use_safety_sweep=use_safety_sweep, keep_mapping=keep_mapping, secret=key, policy=policy,
                       deny_list=deny_list, allow_list=allow_list, protect_clinical_terms=protect_clinical_terms)
    result = _run(lib.openmed_deidentify, model, text, options)
    try:
        deidentified = ffi.unpack(result.deidentified_text, result.deidentified_len).decode("utf-8")
        entities = _entities(result, True)
        mapping = None
        if keep_mapping:
            mapping = {string(result.mapping[i].redacted) or "": string(result.mapping[i].original) or ""
                       for i in range(result.n_mapping)}
        applied = string(lib.openmed_deid_method_name(result.method)) or method
        metadata: Dict[str, Any] = {"confidence_threshold": round(float(result.confidence_threshold), 6),
                                    "safety_sweep": bool(result.safety_sweep), "random_key": bool(result.random_key),
                                    "model_name": model_label(model_name or "pii"), "lang": lang}
        if result.date_shift_days:
            metadata["date_shift_days"] = int(result.date_shift_days)
        if options.policy is not None:
            metadata["policy"] = options.policy.name
    finally:
        lib.openmed_deid_result_free(result)
    return DeidentificationResult(original_text=text, deidentified_text=deidentified, pii_entities=entities,
                                  method=applied, timestamp=datetime.datetime.now().isoformat(), mapping=mapping,
                                  metadata=metadata)


def reidentify(deidentified_text: str, mapping: Mapping[str, str]) -> str:
    """Undo a de-identification made with keep_mapping=True, from its mapping."""
    items = list(mapping.items())
    arr = ffi.new("openmed_deid_mapping[]", max(len(items), 1))
    keep = []
    for i, (redacted, original) in enumerate(items):
        r, o = cstr(redacted, "mapping key"), cstr(original, "mapping value")
        keep += [r, o]
        arr[i].redacted = r
        arr[i].original = o
    data = utf8(deidentified_text, "deidentified_text")
    out = ffi.new("char **")
    out_len = ffi.new("size_t *")
    err = new_error()
    check(lib.openmed_reidentify(data, len(data), arr, len(items), out, out_len, err), err)
    try:
        return ffi.unpack(out[0], out_len[0]).decode("utf-8")
    finally:
        lib.free(out[0])
