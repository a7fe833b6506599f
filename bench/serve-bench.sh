#!/bin/sh
# serve-bench.sh: `openmed serve` under load: requests/s, p50 and p99 for 1 client (one request at a
# time) and 16 concurrent clients, on /analyze (bundled disease model) and /pii/deidentify (bundled
# PII model), with dynamic batching (the defaults) and without it (--max-batch 1), in one run so a
# shared machine loads all alike. usage: bench/serve-bench.sh [REQUESTS] [ROUNDS] [extra serve flags]
# Needs a build in build/ (bin/openmed and tests/serve_load).
set -e
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REQUESTS=${1:-400}
ROUNDS=${2:-3}
shift 2 2>/dev/null || shift $#
BIN=$ROOT/build/bin/openmed
LOAD=$ROOT/build/tests/serve_load
OUT=$(mktemp -d)
trap 'kill $PIDS 2>/dev/null; rm -rf "$OUT"' EXIT
PIDS=
start() { # name, flags...: starts a server, sets PORT
    name=$1
    shift
    "$BIN" serve --port 0 --quiet --preload bundled/disease-ner,bundled/pii "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" &
    PIDS="$PIDS $!"
    for _ in $(seq 200); do
        PORT=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$OUT/$name.out")
        [ -n "$PORT" ] && curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "serve-bench: the $name server did not start" >&2
    exit 1
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $REQUESTS requests per run, $ROUNDS rounds"
start batched "$@"
BATCHED=$PORT
start unbatched --max-batch 1 "$@"
UNBATCHED=$PORT
for route in /analyze /pii/deidentify; do
    echo "== $route, dynamic batching (--max-batch 16 --max-wait-ms 2)"
    "$LOAD" --port "$BATCHED" --route "$route" --clients 1,16 --requests "$REQUESTS" --rounds "$ROUNDS"
    echo "== $route, no batching (--max-batch 1)"
    "$LOAD" --port "$UNBATCHED" --route "$route" --clients 1,16 --requests "$REQUESTS" --rounds "$ROUNDS"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
