"""build_ffi.py: the CFFI (API, out-of-line) description of libopenmed, made from include/openmed.h.

The declarations are the public header itself, run through the C preprocessor with empty standard
headers (CFFI knows size_t and the <stdint.h> types) and attributes removed, so there is one copy of
the API: when the header changes, the binding follows, and the C compiler checks every declaration
(struct layouts included) against the real header when the extension module is compiled.
Used by setup.py at build time only; the installed package imports the compiled module openmed_c._ffi.
"""
import os
import re
import shutil
import subprocess
import tempfile

from cffi import FFI

# Beyond the header: the log callback, forwarded to Python's logging by openmed_c._native (extern
# "Python": CFFI takes the GIL for it), and free() for the strings the API says to free().
_EXTRA = """
extern "Python" void _openmed_c_log(openmed_log_level, const char *, void *);
void free(void *);
"""

# Float constants the preprocessor would expand away; CFFI reads their values from the compiled header.
_FLOAT_CONSTANTS = ("OPENMED_PII_EXTRACT_THRESHOLD", "OPENMED_DEIDENTIFY_THRESHOLD")


def header_declarations(header, cc=None):
    """The C declarations of `header` as CFFI's cdef reads them, plus its integer and float constants."""
    cc = cc or os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        raise RuntimeError("openmed_c: a C compiler (cc) is needed to read %s" % header)
    with tempfile.TemporaryDirectory() as stub:
        for name in ("stddef.h", "stdint.h", "stdbool.h"):
            open(os.path.join(stub, name), "w").close()
        cmd = [cc, "-E", "-P", "-nostdinc", "-I", stub, "-D__attribute__(x)=", "-D__declspec(x)=",
               "-DOPENMED_CFFI_CDEF=1", header]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    with open(header, encoding="utf-8") as f:
        source = f.read()
    constants = []
    for name, value in re.findall(r"^\s*#\s*define\s+(OPENMED_\w+)\s+(\d+)\s*$", source, re.M):
        constants.append("#define %s %s" % (name, value))
    for name in _FLOAT_CONSTANTS:
        if re.search(r"#\s*define\s+%s\b" % name, source):
            constants.append("static const float %s;" % name)
    return out + "\n" + "\n".join(constants) + "\n"


def make_ffibuilder(include_dir):
    """An FFI builder for the extension module openmed_c._ffi against include_dir/openmed.h."""
    header = os.path.join(include_dir, "openmed.h")
    ffibuilder = FFI()
    ffibuilder.cdef(header_declarations(header) + _EXTRA)
    ffibuilder.set_source("openmed_c._ffi", '#include <stdlib.h>\n#include "openmed.h"\n')
    return ffibuilder
