#!/usr/bin/env python3
"""quiet_compare.py: float32 throughput of two openmed builds against ONNX Runtime on a shared machine.

Interleaved rounds of ORT float32, openmed A and openmed B (each in its own process: `openmed bench
--synthetic BxS`, bench/ort/ort_run.mjs); a measurement during which other processes used more than
--foreign of one core (busy time in /proc/stat less the children's own CPU time) is retried up to 3
times, and a round without a clean measurement of all three is left out. Prints every round, then the
medians and the medians of the per-round ratios (as ort_peer.mjs).

  python3 bench/ort/quiet_compare.py MODEL_DIR MODEL.onnx --a OPENMED_A --b OPENMED_B
          [--threads 2] [--batch 8] [--seq 128] [--rounds 9] [--runs 3] [--foreign 0.10]

MODEL.onnx: written by make_onnx.mjs for the same MODEL_DIR, batch and seq (ort_peer.mjs writes it).
Linux only (/proc/stat)."""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("model_dir")
p.add_argument("onnx")
p.add_argument("--a", required=True, help="openmed binary A (e.g. before a change)")
p.add_argument("--b", required=True, help="openmed binary B (e.g. after it)")
p.add_argument("--threads", default="2")
p.add_argument("--batch", default="8")
p.add_argument("--seq", default="128")
p.add_argument("--rounds", type=int, default=9)
p.add_argument("--runs", default="3")
p.add_argument("--foreign", type=float, default=0.10)
o = p.parse_args()
here = os.path.dirname(os.path.abspath(__file__))


def openmed(binary):
    return [binary, "bench", "--model", o.model_dir, "--synthetic", f"{o.batch}x{o.seq}", "--threads", o.threads,
            "--runs", o.runs, "--dtype", "float32", "--json"]


cmds = {"ort": ["node", os.path.join(here, "ort_run.mjs"), o.onnx, o.threads, o.batch, o.seq, o.runs],
        "a": openmed(o.a), "b": openmed(o.b)}


def busy_seconds():
    v = list(map(int, open("/proc/stat").readline().split()[1:]))
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


def measure(name):
    """(tokens/s median over the runs, foreign cores) of the first clean try, or None"""
    for _ in range(4):
        b0, r0, t0 = busy_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN), time.time()
        r = subprocess.run(cmds[name], capture_output=True, text=True)
        b1, r1, t1 = busy_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN), time.time()
        if r.returncode != 0:
            sys.exit(f"failed: {' '.join(cmds[name])}\n{r.stderr}")
        own = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        foreign = max(0.0, b1 - b0 - own) / (t1 - t0)
        if foreign < o.foreign:
            return json.loads(r.stdout.strip().split("\n")[-1])["tokens_per_s"], foreign
    return None


print(f"# {o.batch} x {o.seq} tokens, {o.threads} threads, {o.rounds} rounds of {o.runs} runs, "
      f"measurements with other processes above {o.foreign} cores retried")
rounds = []
for i in range(1, o.rounds + 1):
    m = {k: measure(k) for k in cmds}
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    if any(v is None for v in m.values()):
        print(f"round {i}: left out, no clean measurement of {[k for k, v in m.items() if v is None]}; load {load}",
              flush=True)
        continue
    rounds.append({k: v[0] for k, v in m.items()})
    print(f"round {i}: ort {m['ort'][0]:.0f}  a {m['a'][0]:.0f}  b {m['b'][0]:.0f} tokens/s; a/ort "
          f"{m['a'][0] / m['ort'][0]:.3f}  b/ort {m['b'][0] / m['ort'][0]:.3f}  b/a {m['b'][0] / m['a'][0]:.3f}; "
          f"foreign cores {m['ort'][1]:.2f} {m['a'][1]:.2f} {m['b'][1]:.2f}; load {load}", flush=True)
if not rounds:
    sys.exit("no clean round")
med = statistics.median
print(f"clean rounds {len(rounds)}/{o.rounds}: medians ort {med([r['ort'] for r in rounds]):.0f}, a "
      f"{med([r['a'] for r in rounds]):.0f}, b {med([r['b'] for r in rounds]):.0f} tokens/s; medians of the per-round "
      f"ratios a/ort {med([r['a'] / r['ort'] for r in rounds]):.3f}, b/ort {med([r['b'] / r['ort'] for r in rounds]):.3f}, "
      f"b/a {med([r['b'] / r['a'] for r in rounds]):.3f}")
