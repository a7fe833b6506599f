"""setup.py: builds the Python package openmed_c: libopenmed through CMake, the CFFI extension module
openmed_c._ffi compiled against include/openmed.h, and the bundled models, registry and policies.

The package mirrors an installed tree, so the library finds its files as it would under a prefix:
    openmed_c/_ffi.*.so               the extension (rpath $ORIGIN/lib)
    openmed_c/lib/libopenmed.so*      the library (and the CUDA plugin when it was built)
    openmed_c/share/openmed/          models.jsonl, models/{disease-ner,pii}, policies/
CMake build folder: $OPENMED_C_CMAKE_BUILD_DIR, else the repository's build/ (configured in Release
when missing; an ASan/fuzz build there cannot be loaded into Python, so build/python-cmake is used then).
Only the shared library target is built; an up-to-date build costs nothing.
"""
import glob
import os
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(ROOT, "python"))


def header_version():
    with open(os.path.join(ROOT, "include", "openmed.h"), encoding="utf-8") as f:
        m = re.search(r'#define\s+OPENMED_VERSION_STRING\s+"([^"]+)"', f.read())
    if not m:
        raise RuntimeError("include/openmed.h: OPENMED_VERSION_STRING not found")
    return m.group(1)


def cmake_build_dir():
    env = os.environ.get("OPENMED_C_CMAKE_BUILD_DIR")
    if env:
        return os.path.abspath(env)
    build = os.path.join(ROOT, "build")
    cache = os.path.join(build, "CMakeCache.txt")
    if os.path.exists(cache):
        with open(cache, encoding="utf-8", errors="replace") as f:
            if re.search(r"^OPENMED_(SANITIZE|FUZZ):BOOL=ON", f.read(), re.M):
                return os.path.join(build, "python-cmake")
    return build


def run(cmd):
    print("openmed_c: " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def build_libopenmed(build_dir):
    """Configure (when needed) and build the shared library; returns the folder holding it."""
    if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
        run(["cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release"])
    jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2")
    run(["cmake", "--build", build_dir, "--target", "openmed_shared", "-j", jobs])
    found = []
    for sub in ("", "lib"):
        found += [p for p in glob.glob(os.path.join(build_dir, sub, "libopenmed.so*")) if not os.path.islink(p)]
    if not found:
        raise RuntimeError("openmed_c: libopenmed.so not found in %s after the build" % build_dir)
    return os.path.dirname(sorted(found, key=len)[0])


def soname(path):
    """The SONAME of a shared library (the name the extension will ask the loader for)."""
    try:
        out = subprocess.run(["objdump", "-p", path], check=True, capture_output=True, text=True).stdout
        m = re.search(r"^\s*SONAME\s+(\S+)", out, re.M)
        if m:
            return m.group(1)
    except (OSError, subprocess.CalledProcessError):
        pass
    return os.path.basename(path)


def copy_tree(src, dst, skip=()):
    if os.path.isdir(dst):
        shutil.rmtree(dst)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(*skip))


class BuildOpenMed(build_ext):
    """Builds libopenmed with CMake, then the CFFI module, then lays the library and data beside it."""

    def run(self):
        from build_ffi import make_ffibuilder

        build_dir = cmake_build_dir()
        lib_dir = build_libopenmed(build_dir)
        os.makedirs(self.build_temp, exist_ok=True)
        c_file = os.path.join(self.build_temp, "openmed_c._ffi.c")
        make_ffibuilder(os.path.join(ROOT, "include")).emit_c_code(c_file)
        for ext in self.extensions:
            ext.sources = [c_file]
            ext.include_dirs = [os.path.join(ROOT, "include")]
            ext.library_dirs = [lib_dir]
            ext.libraries = ["openmed"]
            ext.extra_link_args = ["-Wl,-rpath,$ORIGIN/lib"]
        super().run()
        package = os.path.join(ROOT, "python", "openmed_c") if self.inplace else os.path.join(self.build_lib, "openmed_c")
        self.lay_out(package, lib_dir)

    def lay_out(self, package, lib_dir):
        dest_lib = os.path.join(package, "lib")
        if os.path.isdir(dest_lib):
            shutil.rmtree(dest_lib)
        os.makedirs(dest_lib)
        real = os.path.realpath(os.path.join(lib_dir, "libopenmed.so"))
        shutil.copy2(real, os.path.join(dest_lib, soname(real)))
        plugin = os.path.join(lib_dir, "libopenmed_cuda.so")
        if os.path.exists(plugin):
            shutil.copy2(os.path.realpath(plugin), os.path.join(dest_lib, "libopenmed_cuda.so"))
        share = os.path.join(package, "share", "openmed")
        os.makedirs(share, exist_ok=True)
        shutil.copy2(os.path.join(ROOT, "data", "registry", "models.jsonl"), share)
        shutil.copy2(os.path.join(ROOT, "data", "registry", "NOTICE"), os.path.join(share, "NOTICE.registry"))
        for name in ("disease-ner", "pii"):
            copy_tree(os.path.join(ROOT, "models", name), os.path.join(share, "models", name),
                      skip=("reference_logits.jsonl",))
        copy_tree(os.path.join(ROOT, "data", "policies"), os.path.join(share, "policies"))


setup(
    version=header_version(),
    ext_modules=[Extension("openmed_c._ffi", sources=[])],
    cmdclass={"build_ext": BuildOpenMed},
    options={"build": {"build_base": os.path.join(cmake_build_dir(), "python-setuptools")}},
)
