#!/usr/bin/env bash
# gpu-check.sh: the whole GPU check in one time-boxed run on a lent GPU machine (no network) with
# this repository copied in: the cuda tests (every op vs cpu, every golden model vs cpu, the
# foundation tests' device cases), `openmed doctor`, and the benchmark (random bert-base, the 64
# bundled clinical notes end to end, and a bare 16 x 512 forward, float32/float16/bfloat16).
#
# Binaries: bench/pack-gpu-deps.sh, run here beforehand, leaves .gpu-deps/ (git-ignored; carry it):
# prebuilt.tar.xz (the GPU targets built here, their runtime libraries and a plain-C oneDNN sgemm
# for the cpu reference) and gpu-deps.tar.xz (the -dev libraries the GPU image lacks). The prebuilt
# binaries are used when they start there; otherwise the script builds the GPU targets there with
# the -dev bundle (about a minute on 16 cores). Each step has a time limit.
#
#   bench/gpu-check.sh            # OUT=... (default ./gpu-check-out) receives at most 8 files:
#     summary.txt (last lines printed), gpu-check.log (this trace), env.txt, tests.log (and the
#     memcheck run), doctor.txt, bench.jsonl, profile.txt (kernel times of one forward, by Nsight
#     Compute, when time is left), hf-baseline.json (with GPU_CHECK_HF=1), build.log (when built there)
# Environment: GPU_CHECK_BUILD=1 builds there even with prebuilt binaries; GPU_CHECK_FORCE_DEPS=1
# uses the -dev bundle even where the system has the libraries (rehearsal on a CPU machine);
# GPU_CHECK_HF=1 adds the Hugging Face pipeline baseline (bench/hf_pipeline_baseline.py, ~3 min);
# GPU_CHECK_BENCH_ONLY=1 skips the tests; GPU_CHECK_BUDGET=seconds (default 330) stops optional
# steps (batch-64 bench, memcheck, profile) once that much time has passed; GPU_CHECK_BUILD_LIMIT
# (default 300) bounds a build there; GPU_CHECK_PROFILE_DTYPE (f32, f16 or bf16; default f16) is
# the compute of the profiled forward.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
OUT=${OUT:-$ROOT/gpu-check-out}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/gpu-check.log") 2>&1
START=$(date +%s)
BUDGET=${GPU_CHECK_BUDGET:-330}
SUMMARY="$OUT/summary.txt"
: >"$SUMMARY"
DEPS_DIR="$ROOT/.gpu-deps"
ORIG_LD_LIBRARY_PATH=${LD_LIBRARY_PATH-}

elapsed() { echo $(($(date +%s) - START)); }
# xz for tar -J and the fixtures, through Python's lzma where the image has no xz program.
if ! command -v xz >/dev/null; then
  mkdir -p /tmp/openmed-xz
  cat >/tmp/openmed-xz/xz <<'PY'
#!/usr/bin/env python3
import lzma, sys
files = [a for a in sys.argv[1:] if not a.startswith("-")]
data = open(files[0], "rb").read() if files else sys.stdin.buffer.read()
sys.stdout.buffer.write(lzma.decompress(data))
PY
  chmod +x /tmp/openmed-xz/xz
  export PATH="/tmp/openmed-xz:$PATH"
fi
note() { echo "$*" | tee -a "$SUMMARY"; }
# step NAME LIMIT_SECONDS CMD...: run with a time limit; the outcome goes to summary.txt.
step() {
  local name=$1 limit=$2
  shift 2
  echo "=== $name (limit ${limit}s, at $(elapsed)s): $*"
  timeout -k 5 "$limit" "$@"
  local rc=$?
  echo "=== $name: rc=$rc at $(elapsed)s"
  echo "step $name: rc=$rc$([ $rc = 124 ] && echo ' (timed out)') at $(elapsed)s" >>"$SUMMARY"
  return $rc
}

# --- 0. the machine
{
  date -u; uname -a; nproc; free -g | head -2; id; echo "root: $ROOT"
  nvidia-smi || echo "nvidia-smi: not available"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,power.limit --format=csv || true
  (nvcc --version || /usr/local/cuda/bin/nvcc --version) 2>&1 | tail -2
  cmake --version | head -1; cc --version | head -1; ldd --version | head -1
  ls -d /usr/local/cuda*/lib64/libcublas.so* 2>/dev/null
  git -C "$ROOT" log --oneline -1 2>/dev/null || true
  tar -xOJf "$DEPS_DIR/prebuilt.tar.xz" ./MANIFEST 2>/dev/null || true
} >"$OUT/env.txt" 2>&1
note "gpu: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo none)"

# The driver library for the loader's probe (dlopen "libcuda.so.1"), wherever the image keeps it.
if ! ldconfig -p | grep -q 'libcuda\.so\.1'; then
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/cuda/compat; do
    if [ -e "$d/libcuda.so.1" ]; then export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; break; fi
  done
fi
# cuBLAS for the plugin, where its build-time rpath does not lead.
for d in /usr/local/cuda/lib64 /usr/local/cuda-13*/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
  if [ -e "$d/libcublas.so.13" ]; then export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d"; break; fi
done

# --- 1. binaries: prebuilt here when they start there, else built there. Both use the bundle's
# libraries (our binaries only: cmake and python3 keep the image's).
DEPS=/tmp/openmed-gpu-deps
DLIB="$DEPS/usr/lib/x86_64-linux-gnu"
if [ -f "$DEPS_DIR/gpu-deps.tar.xz" ]; then
  rm -rf "$DEPS" && mkdir -p "$DEPS"
  step unpack-deps 60 tar xJf "$DEPS_DIR/gpu-deps.tar.xz" -C "$DEPS"
fi
BUILD=""
if [ "${GPU_CHECK_BUILD:-0}" != 1 ] && [ -f "$DEPS_DIR/prebuilt.tar.xz" ]; then
  # The binaries name their build tree (fixtures, plugin) by absolute path: recreate it, with its
  # source path leading to this checkout.
  SRC_DIR=$(tar -xOJf "$DEPS_DIR/prebuilt.tar.xz" ./MANIFEST | sed -n 's/^source_dir=//p')
  PRE=$(tar -xOJf "$DEPS_DIR/prebuilt.tar.xz" ./MANIFEST | sed -n 's/^build_dir=//p')
  if [ -n "$SRC_DIR" ] && [ "$SRC_DIR" != "$ROOT" ] && [ ! -e "$SRC_DIR" ]; then
    mkdir -p "$(dirname "$SRC_DIR")" && ln -s "$ROOT" "$SRC_DIR"
  fi
  if [ -n "$PRE" ] && mkdir -p "$PRE" && step unpack-prebuilt 60 tar -xJf "$DEPS_DIR/prebuilt.tar.xz" -C "$PRE"; then
    export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$DLIB:$PRE/runtime"
    if step prebuilt-starts 20 "$PRE/bin/openmed" --version && step prebuilt-plugin-links 20 bash -c \
      "! ldd '$PRE/lib/libopenmed_cuda.so' | grep 'not found'"; then
      BUILD=$PRE
      note "binaries: prebuilt ($(sed -n 's/^commit=//p' "$PRE/MANIFEST"))"
    else
      ldd "$PRE/bin/openmed" "$PRE/lib/libopenmed_cuda.so" 2>&1 | grep -i 'not found\|version' | head
      note "binaries: the prebuilt ones do not start here; building"
    fi
  fi
fi

if [ -z "$BUILD" ]; then
  BUILD=${GPU_CHECK_BUILD_DIR:-/tmp/openmed-gpu-build}
  EXTRA_CMAKE=()
  if [ "${GPU_CHECK_FORCE_DEPS:-0}" = 1 ] || ! pkg-config --exists libcjson libutf8proc libpcre2-8 libcurl libmicrohttpd libcrypto 2>/dev/null ||
    [ ! -e /usr/include/oneapi/dnnl/dnnl.h ]; then
    if [ -d "$DLIB" ]; then
      export PKG_CONFIG="$DEPS/usr/bin/pkgconf"
      export PKG_CONFIG_LIBDIR="$DLIB/pkgconfig:$DEPS/usr/share/pkgconfig"
      export PKG_CONFIG_SYSROOT_DIR="$DEPS"
      export CMAKE_PREFIX_PATH="$DEPS/usr"
      export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$DLIB"
      # oneDNN's library is not in the bundle (size): the cpu reference backend gets the plain-C
      # dnnl_sgemm of bench/gpu-deps/dnnl_sgemm_shim.c (the only oneDNN call the code makes).
      if [ ! -e "$DLIB/libdnnl.so" ]; then
        step dnnl-shim 60 cc -O3 -fPIC -fopenmp -shared -Wl,-soname,libdnnl.so.2 -I"$DEPS/usr/include" \
          -o "$DLIB/libdnnl.so.2" "$ROOT/bench/gpu-deps/dnnl_sgemm_shim.c"
        ln -sf libdnnl.so.2 "$DLIB/libdnnl.so"
        note "cpu reference backend: oneDNN replaced by bench/gpu-deps/dnnl_sgemm_shim.c"
      fi
      EXTRA_CMAKE=(-DPKG_CONFIG_EXECUTABLE="$PKG_CONFIG" -DDNNL_LIB="$DLIB/libdnnl.so" -DDNNL_INCLUDE="$DEPS/usr/include"
        "-DCMAKE_EXE_LINKER_FLAGS=-Wl,-rpath-link,$DLIB" "-DCMAKE_SHARED_LINKER_FLAGS=-Wl,-rpath-link,$DLIB")
    else
      note "build dependencies missing and no .gpu-deps/gpu-deps.tar.xz (run bench/pack-gpu-deps.sh, carry .gpu-deps)"
    fi
  fi
  # sm_90 only: H100 and H200 (the default build also makes sm_80).
  step configure 120 cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DOPENMED_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES=90 "${EXTRA_CMAKE[@]}" >"$OUT/build.log" 2>&1
  step build "${GPU_CHECK_BUILD_LIMIT:-300}" cmake --build "$BUILD" -j"$(nproc)" --target openmed_cli openmed_cuda openmed_cuda_bench \
    test_cuda_loader test_cuda_ops test_cuda_models test_device test_config test_cli_doctor test_model_errors \
    >>"$OUT/build.log" 2>&1
  tail -20 "$OUT/build.log"
  step make-random-bert-tool 60 cc -O2 -o "$BUILD/bin/make_random_bert" "$ROOT/bench/make_random_bert.c"
else
  # The fixtures as the tests read them, in the build tree (decompressed, links resolved).
  LD_LIBRARY_PATH="$ORIG_LD_LIBRARY_PATH" step fixtures 60 cmake -DSRC="$ROOT/tests/fixtures" -DDST="$BUILD/fixtures" -P "$ROOT/tests/fixtures.cmake"
fi

# --- 2. the tests: cuda (a skip means no GPU was seen: a failure here), then the foundation
# tests' device cases. OM_TEST_VERBOSE=1: every op comparison's worst error, passing or not.
if [ "${GPU_CHECK_BENCH_ONLY:-0}" != 1 ]; then
  : >"$OUT/tests.log"
  for t in test_cuda_loader test_cuda_ops test_cuda_models test_device test_config test_cli_doctor test_model_errors; do
    echo "##### $t" >>"$OUT/tests.log"
    (cd "$BUILD/tests" && export OM_TEST_VERBOSE=1 && step "$t" 240 "./$t" >>"$OUT/tests.log" 2>&1)
    rc=$?
    [ $rc = 77 ] && note "$t: SKIPPED (no device seen)"
  done
  grep -E 'checks, [0-9]+ failed|float32:|float16:|bfloat16:|label flips within|cuda devices|skipped' "$OUT/tests.log" >>"$SUMMARY"
  grep -E 'CHECK failed' "$OUT/tests.log" | head -40 >>"$SUMMARY"
fi

# --- 3. openmed doctor
{
  "$BUILD/bin/openmed" doctor
  "$BUILD/bin/openmed" doctor --device cuda --json
} >"$OUT/doctor.txt" 2>&1
grep -E '^backend +cuda|^device' "$OUT/doctor.txt" >>"$SUMMARY"

# --- 4. the benchmark: random bert-base (12 x 768, vocab 30522, 9 labels), 64 notes
MODEL=/tmp/openmed-bert-base
if [ ! -f "$MODEL/model.safetensors" ]; then
  step random-model 120 "$BUILD/bin/make_random_bert" "$MODEL" 12 768 12 3072 30522 9
fi
cp "$BUILD/fixtures/tokenizer/bert-base-uncased-old-format/tokenizer.json" "$MODEL/tokenizer.json"
cat >"$MODEL/tokenizer_config.json" <<'JSON'
{"model_max_length": 512, "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]", "do_lower_case": true}
JSON
NOTES="$ROOT/bench/data/aci-notes-64.jsonl"
: >"$OUT/bench.jsonl"
step bench-b16 150 "$BUILD/bin/openmed_cuda_bench" "$MODEL" "$NOTES" cuda 16 f32,f16,bf16 >>"$OUT/bench.jsonl"
if [ "$(elapsed)" -lt "$BUDGET" ]; then
  step bench-b64 90 "$BUILD/bin/openmed_cuda_bench" "$MODEL" "$NOTES" cuda 64 bf16,f16 >>"$OUT/bench.jsonl"
fi
python3 - "$OUT/bench.jsonl" >>"$SUMMARY" 2>&1 <<'PY'
import json, sys
# Hugging Face anchors on an H200 (../shared/reference/performance-anchors.md, measured there):
HF_E2E, HF_FWD_F16 = 32000.0, 1.15e6
for line in open(sys.argv[1]):
    if not line.startswith("{"): continue
    o = json.loads(line)
    if "error" in o: print("openmed error:", o); continue
    print(f"openmed {o['dtype']:8s} b{o['batch_size']:<3d} e2e {o['tokens_per_s']:>10.1f} tok/s "
          f"(x{o['tokens_per_s'] / HF_E2E:.1f} HF pipeline), forward 16x512 {o['forward_16x512_tokens_per_s']:>11.1f} tok/s "
          f"(x{o['forward_16x512_tokens_per_s'] / HF_FWD_F16:.2f} HF fp16), load {o['load_seconds']}s")
PY

# --- 5. optional: the Hugging Face baseline on the same notes (the anchors above are from it)
if [ "${GPU_CHECK_HF:-0}" = 1 ]; then
  PYTHONUNBUFFERED=1 LD_LIBRARY_PATH="$ORIG_LD_LIBRARY_PATH" step hf-baseline 200 \
    python3 "$ROOT/bench/hf_pipeline_baseline.py" --models bert-base --devices cuda --out "$OUT/hf-baseline.json"
fi

# --- 6. with time left: compute-sanitizer memcheck over the op tests
if [ "${GPU_CHECK_BENCH_ONLY:-0}" != 1 ] && [ "$(elapsed)" -lt "$BUDGET" ] && command -v compute-sanitizer >/dev/null; then
  echo "##### memcheck test_cuda_ops" >>"$OUT/tests.log"
  (cd "$BUILD/tests" && step memcheck 90 compute-sanitizer --tool memcheck --error-exitcode 9 ./test_cuda_ops \
    >"$OUT/memcheck.tmp" 2>&1)
  grep -E 'ERROR SUMMARY|checks, ' "$OUT/memcheck.tmp" | sed 's/^/memcheck: /' >>"$SUMMARY"
  cat "$OUT/memcheck.tmp" >>"$OUT/tests.log" && rm -f "$OUT/memcheck.tmp"
fi

# --- 7. with time left: each kernel's time in a forward (Nsight Compute, clocks untouched)
NCU=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu /usr/local/cuda/bin/ncu 2>/dev/null | head -1)
if [ "$(elapsed)" -lt "$BUDGET" ] && [ -n "$NCU" ]; then
  step profile 120 "$NCU" --clock-control none --metrics gpu__time_duration.sum --csv --print-units base \
    "$BUILD/bin/openmed_cuda_bench" "$MODEL" "$NOTES" cuda 16 "${GPU_CHECK_PROFILE_DTYPE:-f16}" forward >"$OUT/ncu.csv" 2>&1
  python3 - "$OUT/ncu.csv" >"$OUT/profile.txt" 2>&1 <<'PY'
import csv, collections, sys
rows = [r for r in csv.reader(l for l in open(sys.argv[1]) if l.startswith('"'))]
head, rows = rows[0], rows[1:]
name, value = head.index("Kernel Name"), head.index("Metric Value")
tot, cnt = collections.Counter(), collections.Counter()
for r in rows:
    k = r[name][:110]
    tot[k] += float(r[value].replace(",", "")); cnt[k] += 1
forwards = 12  # two warm-ups and ten timed forwards; weight preparation kernels are counted too
all_ns = sum(tot.values())
print(f"{len(rows)} kernels, {all_ns / 1e6:.2f} ms in all, {all_ns / forwards / 1e6:.3f} ms per forward (of {forwards})")
for k, v in tot.most_common(25):
    print(f"{v / forwards / 1e3:10.1f} us/forward {100 * v / all_ns:5.1f}% {cnt[k] // forwards:5d}x  {k}")
PY
  head -12 "$OUT/profile.txt" >>"$SUMMARY"
  rm -f "$OUT/ncu.csv"
fi
echo "total $(elapsed)s" >>"$SUMMARY"
echo "################ summary"
cat "$SUMMARY"
