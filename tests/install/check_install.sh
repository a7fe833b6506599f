#!/usr/bin/env bash
# check_install.sh: `cmake --install` into a temporary prefix, then build examples/analyze.c against
# that tree only (once through pkg-config, once through CMake's find_package(OpenMed)) and run both;
# and check that the installed library finds its bundled models, registry and policies under
# <prefix>/share/openmed (tests/install/installed_data.c, with a registry row and a policy that only
# the installed copy holds). The prefix is moved after installing, so nothing can rely on the path
# it was installed to. Usage: check_install.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1" build="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Nothing from the environment may point the library at data: only the install location counts.
unset OPENMED_MODELS_DIR OPENMED_MODELS_MANIFEST OPENMED_POLICIES_DIR OPENMED_EXTRA_MODELS OPENMED_CUDA_PLUGIN
: >"$tmp/empty-config.toml"
export OPENMED_OFFLINE=1 OPENMED_CONFIG="$tmp/empty-config.toml" CMAKE_BUILD_PARALLEL_LEVEL=1

cmake --install "$build" --prefix "$tmp/staging" >"$tmp/install.log" || { cat "$tmp/install.log"; exit 1; }
mv "$tmp/staging" "$tmp/prefix"
prefix="$tmp/prefix"
for f in lib/libopenmed.so lib/libopenmed.so.0 include/openmed.h lib/pkgconfig/openmed.pc \
         lib/cmake/OpenMed/OpenMedConfig.cmake lib/cmake/OpenMed/OpenMedConfigVersion.cmake \
         share/openmed/models.jsonl share/openmed/models/disease-ner/config.json \
         share/openmed/models/pii/config.json share/openmed/policies/hipaa_safe_harbor.json bin/openmed; do
  [ -e "$prefix/$f" ] || { echo "check_install: $f was not installed" >&2; exit 1; }
done

# Data only the installed tree holds.
marker_repo="OpenMed/install-check-$$"
printf '{"repo_id":"%s","family":"NER","task":"token-classification","languages":["en"],"formats":["pytorch"],"license":"apache-2.0"}\n' \
  "$marker_repo" >>"$prefix/share/openmed/models.jsonl"
cp "$prefix/share/openmed/policies/strict.json" "$prefix/share/openmed/policies/install_check_$$.json"

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cc=${CC:-cc}
# Set by the tests' CMake for sanitized builds: a consumer of a sanitized library carries the runtime.
extra=${OM_CONSUMER_CFLAGS:-}
# shellcheck disable=SC2046
$cc -std=c11 -Wall -Wextra -Werror $extra "$src/tests/install/installed_data.c" $(pkg-config --cflags --libs openmed) \
  -Wl,-rpath,"$prefix/lib" -o "$tmp/installed_data"
"$tmp/installed_data" "$prefix" "$marker_repo" "install_check_$$"

text="Metformin was stopped after lactic acidosis in a patient with chronic kidney disease."
run_example() { # name binary: the example must load the installed model and find diseases
  local out
  out=$("$2" "$text") || { echo "check_install: $1 example failed" >&2; exit 1; }
  echo "$out" | sed "s|$prefix|<prefix>|; s|^|  $1: |"
  echo "$out" | grep -q "^model: $prefix/share/openmed/models/disease-ner" ||
    { echo "check_install: $1 example did not load the installed disease model" >&2; exit 1; }
  echo "$out" | grep -Eq "^[A-Z_]+ +[01]\.[0-9]{3} \[[0-9]+, [0-9]+\) .*(acidosis|kidney)" ||
    { echo "check_install: $1 example found no disease in a text that has two" >&2; exit 1; }
}

# shellcheck disable=SC2046
$cc -std=c11 -Wall -Wextra -Werror $extra "$src/examples/analyze.c" $(pkg-config --cflags --libs openmed) \
  -Wl,-rpath,"$prefix/lib" -o "$tmp/analyze_pc"
run_example pkg-config "$tmp/analyze_pc"

cmake -S "$src/examples" -B "$tmp/examples" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER_LAUNCHER= -DCMAKE_C_FLAGS="$extra" >"$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log"; exit 1; }
cmake --build "$tmp/examples" >>"$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log"; exit 1; }
run_example cmake "$tmp/examples/analyze"

# The installed CLI finds the same tree.
"$prefix/bin/openmed" analyze "$text" >/dev/null || { echo "check_install: installed CLI failed" >&2; exit 1; }
echo "check_install: installed tree works through pkg-config, CMake and the CLI"
