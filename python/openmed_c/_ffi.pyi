# _ffi.pyi: types of the compiled CFFI module (built from include/openmed.h by python/build_ffi.py).
from typing import Any

ffi: Any
lib: Any
