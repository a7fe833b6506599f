// ort_peer.mjs: openmed against ONNX Runtime on the same weights in one run, interleaved: each round
// runs ORT float32, openmed float32, ORT int8, openmed int8 and openmed bfloat16, each in its own
// process (load, one warm-up, RUNS timed forwards of B windows x S tokens); prints every measurement,
// then medians over the rounds, peak RSS and the ratios openmed / ORT.
//
//   cd bench/ort && npm install --ignore-scripts            (onnxruntime-node; node_modules is git-ignored)
//   node ort_peer.mjs MODEL_DIR [--openmed build/bin/openmed] [--threads 2] [--batch 8] [--seq 128]
//                     [--rounds 3] [--runs 3] [--out DIR]
//
// MODEL_DIR: a BERT token classifier with float32 safetensors and a tokenizer (bench/make_random_bert
// writes bert-base-sized random weights; copy any BERT tokenizer.json next to them). The ONNX files
// (make_onnx.mjs) are written once into --out (default bench/out). ORT has no bfloat16 CPU kernels,
// so openmed bfloat16 is compared with ORT float32.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const modelDir = args[0];
if (!modelDir || modelDir.startsWith("--")) {
  console.error("usage: node ort_peer.mjs MODEL_DIR [--openmed PATH] [--threads N] [--batch B] [--seq S] [--rounds R] [--runs N] [--out DIR]");
  process.exit(2);
}
const openmed = resolve(opt("--openmed", join(here, "../../build/bin/openmed")));
const threads = opt("--threads", "2"), B = opt("--batch", "8"), S = opt("--seq", "128");
const rounds = +opt("--rounds", "3"), runs = opt("--runs", "3"), out = resolve(opt("--out", join(here, "../out")));
mkdirSync(out, { recursive: true });

function onnx(kind) {
  const path = join(out, `bert-${kind}-${B}x${S}.onnx`);
  if (!existsSync(path)) {
    const r = spawnSync(process.execPath, [join(here, "make_onnx.mjs"), modelDir, path, "--batch", B, "--seq", S,
      ...(kind === "int8" ? ["--int8"] : [])], { stdio: "inherit" });
    if (r.status !== 0) process.exit(1);
  }
  return path;
}
const models = { float32: onnx("float32"), int8: onnx("int8") };

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { encoding: "utf8", maxBuffer: 1 << 24 });
  const line = (r.stdout || "").trim().split("\n").pop();
  if (r.status !== 0 || !line) {
    console.error(`failed: ${cmd} ${argv.join(" ")}\n${r.stderr}`);
    process.exit(1);
  }
  return JSON.parse(line);
}
const configs = [
  ["ort", "float32", () => run(process.execPath, [join(here, "ort_run.mjs"), models.float32, threads, B, S, runs])],
  ["openmed", "float32", () => run(openmed, ["bench", "--model", modelDir, "--synthetic", `${B}x${S}`, "--threads", threads, "--runs", runs, "--dtype", "float32", "--json"])],
  ["ort", "int8", () => run(process.execPath, [join(here, "ort_run.mjs"), models.int8, threads, B, S, runs])],
  ["openmed", "int8", () => run(openmed, ["bench", "--model", modelDir, "--synthetic", `${B}x${S}`, "--threads", threads, "--runs", runs, "--dtype", "int8", "--json"])],
  ["openmed", "bfloat16", () => run(openmed, ["bench", "--model", modelDir, "--synthetic", `${B}x${S}`, "--threads", threads, "--runs", runs, "--dtype", "bfloat16", "--json"])],
];

console.log(`# ${cpus()[0].model}, ${cpus().length} CPUs; ${threads} threads, ${B} x ${S} tokens, ${rounds} rounds of ${runs} runs`);
const results = {};
for (let r = 1; r <= rounds; r++) {
  for (const [engine, dtype, fn] of configs) {
    const m = fn();
    (results[`${engine} ${dtype}`] ??= []).push(m);
    console.log(`round ${r} ${engine.padEnd(7)} ${dtype.padEnd(8)} ${m.tokens_per_s.toFixed(0).padStart(6)} tokens/s  ` +
      `peak RSS ${m.peak_rss_mb.toFixed(0)} MB`);
  }
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b), n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const summary = {};
for (const [k, ms] of Object.entries(results))
  summary[k] = { tokens_per_s: median(ms.map((m) => m.tokens_per_s)), peak_rss_mb: median(ms.map((m) => m.peak_rss_mb)) };
// ratios per round (the machine's load moves both engines of a round together), then their median
const ratio = (a, b) => median(results[a].map((m, i) => m.tokens_per_s / results[b][i].tokens_per_s));
console.log("\nmedians:");
for (const [k, v] of Object.entries(summary))
  console.log(`  ${k.padEnd(17)} ${v.tokens_per_s.toFixed(0).padStart(6)} tokens/s  peak RSS ${v.peak_rss_mb.toFixed(0)} MB`);
const ratios = {
  "openmed float32 / ort float32": ratio("openmed float32", "ort float32"),
  "openmed int8 / ort int8": ratio("openmed int8", "ort int8"),
  "openmed int8 / ort float32": ratio("openmed int8", "ort float32"),
  "openmed bfloat16 / ort float32": ratio("openmed bfloat16", "ort float32"),
  "openmed int8 / openmed float32": ratio("openmed int8", "openmed float32"),
};
console.log("ratios (median of the per-round ratios):");
for (const [k, v] of Object.entries(ratios)) console.log(`  ${k.padEnd(32)} ${v.toFixed(2)}x`);
console.log(JSON.stringify({ cpu: cpus()[0].model, threads: +threads, batch: +B, seq: +S, rounds, runs: +runs, summary, ratios }));
