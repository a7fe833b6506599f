// make_onnx.mjs: writes a BERT token classifier (a Hugging Face folder: config.json + float32
// model.safetensors, e.g. from bench/make_random_bert) as an ONNX graph for ONNX Runtime, so ORT and
// openmed run the same weights. No Python or onnx package: the protobuf is written here.
//
//   node make_onnx.mjs MODEL_DIR OUT.onnx --batch B --seq S [--int8]
//
// The graph is what a transformers export gives after ORT's fusions: embeddings (word + position +
// token type 0, the last two folded for the fixed sequence length), post-LayerNorm layers with
// MatMul+Add projections, scaled-dot-product attention (no mask: every token is real), erf GELU,
// the classifier. --int8 is ORT's dynamic quantization (quantize_dynamic, per_channel=True, QInt8
// weights) after its optimizer: every encoder projection becomes com.microsoft DynamicQuantizeMatMul
// with int8 weights and one scale per output channel, activations quantized per tensor at run time;
// embeddings, LayerNorm, softmax and the classifier stay float32 (as in openmed's int8).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// ---- protobuf writing (varints, length-delimited fields)
function varint(n) {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  const out = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}
const key = (field, wire) => varint((field << 3) | wire);
const fInt = (field, n) => Buffer.concat([key(field, 0), varint(n)]);
const fBytes = (field, buf) => Buffer.concat([key(field, 2), varint(buf.length), buf]);
const fStr = (field, s) => fBytes(field, Buffer.from(s, "utf8"));
const fFloat = (field, x) => {
  const b = Buffer.alloc(4);
  b.writeFloatLE(x);
  return Buffer.concat([key(field, 5), b]);
};
const msg = (...parts) => Buffer.concat(parts.flat());

const FLOAT = 1, INT8 = 3, INT64 = 7;
function tensor(name, dims, type, raw) {
  return msg(dims.map((d) => fInt(1, d)), fInt(2, type), fStr(8, name), fBytes(9, raw));
}
function attr(name, v) {
  if (typeof v === "number" && !Number.isInteger(v)) return msg(fStr(1, name), fFloat(2, v), fInt(20, 1));
  if (typeof v === "number") return msg(fStr(1, name), fInt(3, v), fInt(20, 2));
  if (Array.isArray(v)) return msg(fStr(1, name), v.map((x) => fInt(8, x)), fInt(20, 7));
  throw new Error("attribute type");
}
function node(op, inputs, outputs, attrs = {}, domain = "") {
  return msg(inputs.map((i) => fStr(1, i)), outputs.map((o) => fStr(2, o)), fStr(3, outputs[0]), fStr(4, op),
    Object.entries(attrs).map(([k, v]) => fBytes(5, attr(k, v))), domain ? fStr(7, domain) : []);
}
function valueInfo(name, type, dims) {
  const shape = msg(dims.map((d) => fBytes(1, fInt(1, d))));
  return msg(fStr(1, name), fBytes(2, fBytes(1, msg(fInt(1, type), fBytes(2, shape)))));
}

// ---- safetensors (float32 only)
function loadSafetensors(path) {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8"));
  const base = 8 + n, out = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    if (t.dtype !== "F32") throw new Error(`${name}: dtype ${t.dtype}, this writer reads F32 only`);
    const [s, e] = t.data_offsets;
    const bytes = buf.subarray(base + s, base + e);
    out[name] = { shape: t.shape, data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)) };
  }
  return out;
}

// [N, K] row-major -> [K, N] (ONNX MatMul's B)
function transpose(w, N, K) {
  const t = new Float32Array(N * K);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) t[k * N + n] = w[n * K + k];
  return t;
}
const f32 = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

// ---- arguments
const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const [dir, outPath] = args;
if (!dir || !outPath) {
  console.error("usage: node make_onnx.mjs MODEL_DIR OUT.onnx --batch B --seq S [--int8]");
  process.exit(2);
}
const B = +opt("--batch", "8"), T = +opt("--seq", "128"), int8 = args.includes("--int8");
const cfg = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
const W = loadSafetensors(join(dir, "model.safetensors"));
const H = cfg.hidden_size, nh = cfg.num_attention_heads, dh = H / nh, L = cfg.num_hidden_layers;
const eps = cfg.layer_norm_eps ?? 1e-12;
const get = (n) => { if (!W[n]) throw new Error(`missing tensor ${n}`); return W[n]; };

const nodes = [], inits = [];
const init = (name, dims, type, raw) => { inits.push(tensor(name, dims, type, raw)); return name; };
const initF = (name, dims, arr) => init(name, dims, FLOAT, f32(arr));
const i64 = (name, vals) => init(name, [vals.length], INT64, Buffer.from(new BigInt64Array(vals.map(BigInt)).buffer));

// a linear y = x . W^T + b over the last dimension
function linear(x, prefix, out) {
  const w = get(prefix + ".weight"), b = get(prefix + ".bias");
  const [N, K] = w.shape;
  if (int8) {
    const q = new Int8Array(K * N), scale = new Float32Array(N);
    for (let n = 0; n < N; n++) {
      let amax = 0;
      for (let k = 0; k < K; k++) amax = Math.max(amax, Math.abs(w.data[n * K + k]));
      const s = amax > 0 ? amax / 127 : 1;
      scale[n] = s;
      for (let k = 0; k < K; k++) q[k * N + n] = Math.max(-127, Math.min(127, Math.round(w.data[n * K + k] / s)));
    }
    const wq = init(prefix + ".wq", [K, N], INT8, Buffer.from(q.buffer));
    const ws = initF(prefix + ".ws", [N], scale);
    const wz = init(prefix + ".wz", [N], INT8, Buffer.alloc(N));
    const bias = initF(prefix + ".b", [N], b.data);
    nodes.push(node("DynamicQuantizeMatMul", [x, wq, ws, wz, bias], [out], {}, "com.microsoft"));
  } else {
    const wt = initF(prefix + ".wt", [K, N], transpose(w.data, N, K));
    const bias = initF(prefix + ".b", [N], b.data);
    nodes.push(node("MatMul", [x, wt], [out + ".mm"]));
    nodes.push(node("Add", [out + ".mm", bias], [out]));
  }
  return out;
}
function layerNorm(x, prefix, out) {
  const g = initF(prefix + ".weight", [H], get(prefix + ".weight").data);
  const b = initF(prefix + ".bias", [H], get(prefix + ".bias").data);
  nodes.push(node("LayerNormalization", [x, g, b], [out], { axis: -1, epsilon: eps }));
  return out;
}

// embeddings: word rows gathered, plus position rows 0..T-1 and token type 0 folded into one constant
const pos = get("bert.embeddings.position_embeddings.weight").data, typ = get("bert.embeddings.token_type_embeddings.weight").data;
const posType = new Float32Array(T * H);
for (let t = 0; t < T; t++) for (let h = 0; h < H; h++) posType[t * H + h] = pos[t * H + h] + typ[h];
initF("word_embeddings", get("bert.embeddings.word_embeddings.weight").shape, get("bert.embeddings.word_embeddings.weight").data);
initF("pos_type", [T, H], posType);
nodes.push(node("Gather", ["word_embeddings", "input_ids"], ["emb.word"], { axis: 0 }));
nodes.push(node("Add", ["emb.word", "pos_type"], ["emb.sum"]));
let x = layerNorm("emb.sum", "bert.embeddings.LayerNorm", "emb");

const heads = i64("shape.heads", [B, T, nh, dh]), flat = i64("shape.flat", [B, T, H]);
initF("attn.scale", [], new Float32Array([1 / Math.sqrt(dh)]));
initF("half", [], new Float32Array([0.5]));
initF("one", [], new Float32Array([1]));
initF("inv_sqrt2", [], new Float32Array([Math.SQRT1_2]));
for (let l = 0; l < L; l++) {
  const p = `bert.encoder.layer.${l}.`, n = (s) => `l${l}.${s}`;
  for (const [w, perm] of [["query", [0, 2, 1, 3]], ["key", [0, 2, 3, 1]], ["value", [0, 2, 1, 3]]]) {
    linear(x, p + "attention.self." + w, n(w));
    nodes.push(node("Reshape", [n(w), heads], [n(w + ".heads")]));
    nodes.push(node("Transpose", [n(w + ".heads")], [n(w + ".t")], { perm }));
  }
  nodes.push(node("MatMul", [n("query.t"), n("key.t")], [n("scores.raw")]));
  nodes.push(node("Mul", [n("scores.raw"), "attn.scale"], [n("scores")]));
  nodes.push(node("Softmax", [n("scores")], [n("probs")], { axis: -1 }));
  nodes.push(node("MatMul", [n("probs"), n("value.t")], [n("ctx.t")]));
  nodes.push(node("Transpose", [n("ctx.t")], [n("ctx.heads")], { perm: [0, 2, 1, 3] }));
  nodes.push(node("Reshape", [n("ctx.heads"), flat], [n("ctx")]));
  linear(n("ctx"), p + "attention.output.dense", n("attn"));
  nodes.push(node("Add", [n("attn"), x], [n("attn.res")]));
  const h = layerNorm(n("attn.res"), p + "attention.output.LayerNorm", n("h"));
  linear(h, p + "intermediate.dense", n("inter"));
  // erf GELU, the pattern ORT fuses into its Gelu kernel
  nodes.push(node("Mul", [n("inter"), "inv_sqrt2"], [n("gelu.s")]));
  nodes.push(node("Erf", [n("gelu.s")], [n("gelu.erf")]));
  nodes.push(node("Add", [n("gelu.erf"), "one"], [n("gelu.p1")]));
  nodes.push(node("Mul", [n("inter"), n("gelu.p1")], [n("gelu.m")]));
  nodes.push(node("Mul", [n("gelu.m"), "half"], [n("gelu")]));
  linear(n("gelu"), p + "output.dense", n("out"));
  nodes.push(node("Add", [n("out"), h], [n("out.res")]));
  x = layerNorm(n("out.res"), p + "output.LayerNorm", n("x"));
}
// classifier in float32 (as openmed keeps it)
const cw = get("classifier.weight"), [C] = cw.shape;
initF("classifier.wt", [H, C], transpose(cw.data, C, H));
initF("classifier.b", [C], get("classifier.bias").data);
nodes.push(node("MatMul", [x, "classifier.wt"], ["logits.mm"]));
nodes.push(node("Add", ["logits.mm", "classifier.b"], ["logits"]));

const graph = msg(nodes.map((nd) => fBytes(1, nd)), fStr(2, "bert_token_classifier"), inits.map((t) => fBytes(5, t)),
  fBytes(11, valueInfo("input_ids", INT64, [B, T])), fBytes(12, valueInfo("logits", FLOAT, [B, T, C])));
const opsets = [fBytes(8, msg(fStr(1, ""), fInt(2, 17)))];
if (int8) opsets.push(fBytes(8, msg(fStr(1, "com.microsoft"), fInt(2, 1))));
const model = msg(fInt(1, 8), opsets, fStr(2, "openmed-c bench/ort/make_onnx.mjs"), fBytes(7, graph));
writeFileSync(outPath, model);
console.error(`wrote ${outPath}: ${L} layers, hidden ${H}, ${int8 ? "int8 (DynamicQuantizeMatMul)" : "float32"}, ` +
  `input_ids [${B}, ${T}], ${(model.length / 1e6).toFixed(1)} MB`);
