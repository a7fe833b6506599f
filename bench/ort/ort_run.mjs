// ort_run.mjs: one ONNX Runtime measurement in its own process (so its peak RSS is its own): load the
// model, one warm-up, RUNS timed forwards of a fixed [B, S] batch; prints JSON with tokens_per_s
// (median) and peak_rss_mb.   node ort_run.mjs MODEL.onnx THREADS B S RUNS [spin=1]
import * as ort from "onnxruntime-node";

const [model, threads = "2", batch = "8", seq = "128", runs = "5", spin = "1"] = process.argv.slice(2);
const B = +batch, T = +seq, R = +runs;
const t0 = performance.now();
const sess = await ort.InferenceSession.create(model, {
  intraOpNumThreads: +threads, interOpNumThreads: 1, graphOptimizationLevel: "all", executionMode: "sequential",
  extra: { session: { intra_op: { allow_spinning: spin } } },
});
const loadS = (performance.now() - t0) / 1000;
const ids = new BigInt64Array(B * T);
let seed = 1;
for (let i = 0; i < B * T; i++) { seed = (seed * 1103515245 + 12345) >>> 0; ids[i] = BigInt(1000 + (seed >>> 8) % 20000); }
const feeds = { input_ids: new ort.Tensor("int64", ids, [B, T]) };
await sess.run(feeds);
const times = [];
for (let r = 0; r < R; r++) {
  const s = performance.now();
  await sess.run(feeds);
  times.push((performance.now() - s) / 1000);
}
times.sort((a, b) => a - b);
const median = R % 2 ? times[(R - 1) / 2] : (times[R / 2 - 1] + times[R / 2]) / 2;
console.log(JSON.stringify({
  engine: "onnxruntime-node", version: ort.env.versions?.common ?? "", threads: +threads, windows: B, seq: T, runs: R,
  load_seconds: loadS, forward_ms_median: median * 1e3, tokens_per_s: B * T / median, tokens_per_s_best: B * T / times[0],
  peak_rss_mb: process.resourceUsage().maxRSS / 1024,
}));
