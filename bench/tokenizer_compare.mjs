// tokenizer_compare.mjs: the same measurement as tokenizer_bench.c with Hugging Face tokenizers (Rust, via the
// npm package @anush008/tokenizers): single-threaded MB/s and tokens/s over a .jsonl of {"text": ...} lines.
// usage: RAYON_NUM_THREADS=1 node bench/tokenizer_compare.mjs --model DIR --input FILE.jsonl [--seconds S]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Tokenizer } = require('@anush008/tokenizers');

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const model = opt('--model'), input = opt('--input'), seconds = Number(opt('--seconds', '3'));
if (!model || !input) { console.error('usage: tokenizer_compare.mjs --model DIR --input FILE.jsonl [--seconds S]'); process.exit(2); }

const texts = readFileSync(input, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l).text).filter((t) => typeof t === 'string');
const bytes = texts.reduce((s, t) => s + Buffer.byteLength(t, 'utf8'), 0);
let t0 = performance.now();
const tok = Tokenizer.fromFile(`${model}/tokenizer.json`);
const loadMs = performance.now() - t0;

// One call per text, awaited in turn (what a single request thread does); encodeBatch is also measured with
// RAYON_NUM_THREADS=1 so that Rust runs on one core; the faster of the two is reported.
async function run(batch) {
  let tokens = 0;
  if (batch) for (const e of await tok.encodeBatch(texts)) tokens += e.getIds().length;
  else for (const t of texts) tokens += (await tok.encode(t)).getIds().length;
  let passes = 0;
  t0 = performance.now();
  const c0 = process.cpuUsage();
  let elapsed;
  do {
    if (batch) await tok.encodeBatch(texts);
    else for (const t of texts) await tok.encode(t);
    passes++;
    elapsed = (performance.now() - t0) / 1000;
  } while (elapsed < seconds);
  const c = process.cpuUsage(c0); // every thread of the process: the Rust work runs on libuv's pool
  return { mode: batch ? 'encodeBatch' : 'encode', tokens, passes, elapsed, cpu: (c.user + c.system) / 1e6 };
}

const results = [await run(false), await run(true)];
const best = results.reduce((a, b) => (a.passes / a.cpu >= b.passes / b.cpu ? a : b));
for (const r of results) {
  console.log(JSON.stringify({
    impl: `hf-tokenizers-rust (${r.mode})`, model, texts: texts.length, bytes, tokens: r.tokens, passes: r.passes,
    wall_s: +r.elapsed.toFixed(3), cpu_s: +r.cpu.toFixed(3), load_ms: +loadMs.toFixed(1),
    MB_per_cpu_s: +((bytes * r.passes) / r.cpu / 1e6).toFixed(2), tokens_per_cpu_s: Math.round((r.tokens * r.passes) / r.cpu),
    MB_per_wall_s: +((bytes * r.passes) / r.elapsed / 1e6).toFixed(2), best: r === best,
  }));
}
