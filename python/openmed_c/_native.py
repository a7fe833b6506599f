"""_native.py: the compiled libopenmed binding (CFFI, API mode) and the few helpers every module uses:
status checks that raise, UTF-8 text in, strings out, and the library's log forwarded to `logging`.

Calls through `lib` release the GIL (CFFI's out-of-line API mode does so for every call), so model
loading and inference in one thread leave the others running.
"""
import logging
from typing import Any, Optional

from ._ffi import ffi, lib
from .errors import InvalidArgumentError, error_for

logger = logging.getLogger("openmed_c")

_LEVELS = {0: logging.DEBUG, 1: logging.INFO, 2: logging.WARNING, 3: logging.ERROR}


@ffi.def_extern()
def _openmed_c_log(level: int, message: Any, user_data: Any) -> None:
    """The library's diagnostics (never clinical text or entities) as records of logger "openmed_c"."""
    try:
        logger.log(_LEVELS.get(int(level), logging.WARNING), ffi.string(message).decode("utf-8", "replace"))
    except Exception:  # a logging handler failing must not unwind through C
        pass


lib.openmed_log_set(lib._openmed_c_log, ffi.NULL)


def new_error() -> Any:
    return ffi.new("openmed_error *")


def check(status: int, err: Any) -> None:
    """Raise the OpenMedError subclass of `status` with the library's message, unless it is OK."""
    if status != lib.OPENMED_OK:
        message = ffi.string(err.message).decode("utf-8", "replace") if err is not None else ""
        if not message:
            message = ffi.string(lib.openmed_status_name(status)).decode()
        raise error_for(status, message)


def utf8(text: Any, what: str = "text") -> bytes:
    """`text` (a str) as UTF-8; a lone surrogate cannot be encoded and is an InvalidArgumentError."""
    if not isinstance(text, str):
        raise TypeError("%s must be a str, not %s" % (what, type(text).__name__))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InvalidArgumentError("%s: not valid Unicode (a lone surrogate at index %d)" % (what, e.start)) from None


def cstr(value: Optional[str], what: str = "value") -> Any:
    """A NUL-terminated char[] for `value`, or NULL for None (keep the result alive across the call)."""
    if value is None:
        return ffi.NULL
    data = utf8(str(value), what)
    if b"\0" in data:
        raise InvalidArgumentError("%s: contains a NUL character" % what)
    return ffi.new("char[]", data)


def string(ptr: Any) -> Optional[str]:
    """A C string as str (None for NULL)."""
    if ptr == ffi.NULL:
        return None
    return ffi.string(ptr).decode("utf-8", "replace")


def fill(buf: Any, value: Optional[str], what: str) -> None:
    """Copy `value` into a fixed char array of a C struct, refusing what does not fit."""
    data = utf8(value or "", what)
    size = len(buf)
    if len(data) >= size:
        raise InvalidArgumentError("%s: longer than %d bytes" % (what, size - 1))
    ffi.memmove(buf, data + b"\0", len(data) + 1)


def c_string_array(values: Any, what: str) -> "tuple[Any, list]":
    """(const char *const *, keep-alive list) for a sequence of str; (NULL, []) for None."""
    if values is None:
        return ffi.NULL, []
    if isinstance(values, (str, bytes)):
        raise TypeError("%s must be a list of str, not a single string" % what)
    items = [cstr(v, what) for v in values]
    arr = ffi.new("const char *[]", items) if items else ffi.NULL
    return arr, items


def c_texts(texts: "list[str]", single: bool) -> "tuple[Any, list]":
    """(const char *const *, keep-alive list) for texts passed to calls that read NUL-terminated
    strings; a NUL inside a text would cut it short there, so it is refused."""
    keep = []
    for i, t in enumerate(texts):
        what = "text" if single else "text %d" % i
        data = utf8(t, what)
        at = data.find(b"\0")
        if at >= 0:
            raise InvalidArgumentError("%s: contains a NUL character (byte %d)" % (what, at))
        keep.append(ffi.new("char[]", data))
    return (ffi.new("const char *[]", keep) if keep else ffi.NULL), keep
