#!/usr/bin/env bash
# gpu-check.sh: the whole GPU check in one run on a fresh GPU machine with this repository copied
# in (no network): build (cmake + nvcc), `ctest -L cuda`, the OpenMed-C benchmark (random
# bert-base, 64 clinical notes, float32/float16/bfloat16) and the Hugging Face pipeline baseline
# on the same notes, then a summary with both ratios. Everything lands in $OUT (default
# ./gpu-check-out): gpu-check.log (this trace), env.txt, build.log, ctest-cuda.log,
# openmed-bench.jsonl, hf-baseline.json, summary.txt. About 4-8 minutes; each step has a timeout.
#
# Before the device call, here: bench/pack-gpu-deps.sh (the -dev libraries the GPU image lacks, as
# .gpu-deps/gpu-deps.tar.xz, git-ignored), then run `bench/gpu-check.sh` there with carry
# [".gpu-deps"] and timeout_s 600. GPU_CHECK_FORCE_DEPS=1 uses the bundle even when the system has
# the libraries (to test the bundle path on a CPU machine).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
OUT=${OUT:-$ROOT/gpu-check-out}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/gpu-check.log") 2>&1
START=$(date +%s)
BUILD=${GPU_CHECK_BUILD:-$ROOT/build-gpu}
JOBS=$(nproc)
SUMMARY="$OUT/summary.txt"
: >"$SUMMARY"
ORIG_LD_LIBRARY_PATH=${LD_LIBRARY_PATH-}
set -x

elapsed() { echo $(($(date +%s) - START)); }
# step NAME LIMIT_SECONDS CMD...: run with a timeout, log the outcome in summary.txt.
step() {
  local name=$1 limit=$2
  shift 2
  echo "=== $name (limit ${limit}s, at $(elapsed)s)"
  timeout -k 10 "$limit" "$@"
  local rc=$?
  echo "=== $name: rc=$rc at $(elapsed)s"
  echo "step $name: rc=$rc$([ $rc = 124 ] && echo ' (timed out)') at $(elapsed)s" >>"$SUMMARY"
  return $rc
}

# --- 0. the machine
{
  date -u; uname -a; nproc; free -g
  nvidia-smi || echo "nvidia-smi: not available"
  command -v nvcc || ls /usr/local/cuda/bin/nvcc
  (nvcc --version || /usr/local/cuda/bin/nvcc --version) 2>&1
  cmake --version; gcc --version | head -1
  python3 -c 'import torch, transformers, tokenizers; print("torch", torch.__version__, "cuda", torch.version.cuda, "transformers", transformers.__version__, "tokenizers", tokenizers.__version__, "gpu", torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)'
  ldconfig -p | grep -E 'libcuda\.so|libcublas' || true
  git -C "$ROOT" log --oneline -1 || true
} >"$OUT/env.txt" 2>&1

# The driver library for the loader's probe (dlopen "libcuda.so.1"), wherever the image keeps it.
if ! ldconfig -p | grep -q 'libcuda\.so\.1'; then
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/cuda/compat; do
    if [ -e "$d/libcuda.so.1" ]; then export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; break; fi
  done
fi

# --- 1. build dependencies: the system's, else the carried bundle
if [ "${GPU_CHECK_FORCE_DEPS:-0}" = 1 ] || ! pkg-config --exists libcjson libutf8proc libpcre2-8 libcurl libmicrohttpd libcrypto 2>/dev/null ||
  [ ! -e /usr/include/oneapi/dnnl/dnnl.h ]; then
  if [ -f "$ROOT/.gpu-deps/gpu-deps.tar.xz" ]; then
    DEPS=/tmp/openmed-gpu-deps
    rm -rf "$DEPS" && mkdir -p "$DEPS"
    step unpack-deps 60 tar xJf "$ROOT/.gpu-deps/gpu-deps.tar.xz" -C "$DEPS"
    DLIB="$DEPS/usr/lib/x86_64-linux-gnu"
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
      echo "cpu reference backend: oneDNN replaced by bench/gpu-deps/dnnl_sgemm_shim.c on this machine" >>"$SUMMARY"
    fi
    EXTRA_CMAKE=(-DPKG_CONFIG_EXECUTABLE="$PKG_CONFIG" -DDNNL_LIB="$DLIB/libdnnl.so" -DDNNL_INCLUDE="$DEPS/usr/include"
      "-DCMAKE_EXE_LINKER_FLAGS=-Wl,-rpath-link,$DLIB" "-DCMAKE_SHARED_LINKER_FLAGS=-Wl,-rpath-link,$DLIB")
  else
    echo "build dependencies missing and no .gpu-deps/gpu-deps.tar.xz (run bench/pack-gpu-deps.sh and carry .gpu-deps)" | tee -a "$SUMMARY"
    EXTRA_CMAKE=()
  fi
else
  EXTRA_CMAKE=()
fi

# --- 2. build (sm_90 only: H100 and H200; the default build also makes sm_80)
step configure 120 cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DOPENMED_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90 "${EXTRA_CMAKE[@]}" >"$OUT/build.log" 2>&1
step build 300 cmake --build "$BUILD" -j"$JOBS" --target openmed_cuda test_cuda_loader test_cuda_ops test_cuda_models \
  openmed_cuda_bench >>"$OUT/build.log" 2>&1
tail -30 "$OUT/build.log"

# --- 3. the cuda tests (a skip here means the GPU was not seen: reported as a failure)
step ctest-cuda 200 ctest --test-dir "$BUILD" -L cuda -R 'test_cuda' -V --timeout 180 >"$OUT/ctest-cuda.log" 2>&1
grep -E '^(test_cuda|comparing|skipped|label flips)|float32:|float16:|bfloat16:|Passed|Failed|\*\*\*' "$OUT/ctest-cuda.log" | tail -60
grep -E 'tests passed|tests failed|float32:|float16:|bfloat16:|label flips within|checks, [0-9]+ failed' "$OUT/ctest-cuda.log" >>"$SUMMARY"
if grep -q 'Skipped\|Not Run' "$OUT/ctest-cuda.log"; then echo "ctest-cuda: SKIPPED OR NOT RUN tests: no device seen or a build failed" >>"$SUMMARY"; fi
step ctest-loader 60 ctest --test-dir "$BUILD" -R test_cuda_loader --output-on-failure >>"$OUT/ctest-cuda.log" 2>&1

# --- 4. OpenMed-C benchmark: random bert-base (12 x 768, vocab 30522), 64 notes
MODEL=/tmp/openmed-bert-base
if [ ! -f "$MODEL/model.safetensors" ]; then
  step random-model 120 bash -c "cc -O2 -o /tmp/make_random_bert '$ROOT/bench/make_random_bert.c' && /tmp/make_random_bert '$MODEL' 12 768 12 3072 30522 9"
fi
cp "$ROOT/bench/data/bert-base-uncased-tokenizer.json" "$MODEL/tokenizer.json"
cat >"$MODEL/tokenizer_config.json" <<'JSON'
{"model_max_length": 512, "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]", "do_lower_case": true}
JSON
NOTES="$ROOT/bench/data/aci-notes-64.jsonl"
step openmed-bench 150 "$BUILD/bin/openmed_cuda_bench" "$MODEL" "$NOTES" cuda 16 f32,f16,bf16 >"$OUT/openmed-bench.jsonl"
step openmed-bench-b64 90 "$BUILD/bin/openmed_cuda_bench" "$MODEL" "$NOTES" cuda 64 bf16,f16 >>"$OUT/openmed-bench.jsonl"
cat "$OUT/openmed-bench.jsonl"

# --- 5. Hugging Face baseline (same notes, same tokenizer, bert-base; GPU runs only, for time)
PYTHONUNBUFFERED=1 LD_LIBRARY_PATH="$ORIG_LD_LIBRARY_PATH" step hf-baseline 200 \
  python3 "$ROOT/bench/hf_pipeline_baseline.py" --models bert-base --devices cuda --out "$OUT/hf-baseline.json"

# --- 6. the ratios
python3 - "$OUT/openmed-bench.jsonl" "$OUT/hf-baseline.json" >>"$SUMMARY" 2>&1 <<'PY'
import json, sys
ours = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
try:
    hf = [r for r in json.load(open(sys.argv[2])) if r.get("model") == "bert-base" and r.get("device") == "cuda"]
except Exception as e:
    hf = []; print("no HF baseline:", e)
print("gpu:", next((r.get("device") for r in ours if "device" in r), None))
for o in ours:
    if "error" in o: print("openmed error:", o); continue
    line = f"openmed {o['dtype']:8s} b{o['batch_size']:<3d} e2e {o['tokens_per_s']:>10.1f} tok/s ({o['notes_per_s']} notes/s), forward 16x512 {o['forward_16x512_tokens_per_s']:>11.1f} tok/s"
    same = [h for h in hf if h["dtype"] == o["dtype"]]
    e2e = [h for h in same if h["batch_size"] == o["batch_size"]] or same
    if e2e:
        h = max(e2e, key=lambda r: r["tokens_per_s"])
        line += f" | HF b{h['batch_size']} e2e {h['tokens_per_s']} tok/s -> x{o['tokens_per_s'] / h['tokens_per_s']:.2f}"
    if same:
        f = max(same, key=lambda r: r["forward_16x512_tokens_per_s"])
        line += f"; HF forward {f['forward_16x512_tokens_per_s']} tok/s -> x{o['forward_16x512_tokens_per_s'] / f['forward_16x512_tokens_per_s']:.2f}"
    print(line)
PY

# --- 7. with time left: compute-sanitizer memcheck over the op tests
if [ "$(elapsed)" -lt 420 ] && command -v compute-sanitizer >/dev/null; then
  step memcheck 100 compute-sanitizer --tool memcheck --error-exitcode 9 "$BUILD/tests/test_cuda_ops" >"$OUT/memcheck.log" 2>&1
  tail -5 "$OUT/memcheck.log" >>"$SUMMARY"
fi
set +x
echo "total $(elapsed)s" >>"$SUMMARY"
cat "$SUMMARY"
