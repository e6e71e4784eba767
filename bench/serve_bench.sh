#!/usr/bin/env bash
# Serving load driver: starts the real kedastral binary on a generated replay config
# with many workloads (free loopback ports, temporary folder), then measures
#   - KEDA GetMetrics over gRPC with h2load at fixed rates and flat out, latency
#     percentiles from h2load's per-request log, and the server's own gRPC counters
#     from /metrics (h2load counts HTTP 200 even when the gRPC status is an error);
#   - GET /forecast/current over keep-alive HTTP/1.1 with wrk, flat out.
# The workloads keep cycling while the load runs, so snapshots are swapped under it.
#
# Usage: bash bench/serve_bench.sh [path/to/kedastral]
# Env: WORKLOADS (default 1000), MODEL (seasonal_naive), INTERVAL (10s), DURATION (10s),
#      RATES ("1000 10000"), CLIENTS (10), THREADS for h2load/wrk (1).
# Needs h2load (nghttp2-client), wrk, curl, and Debian's /usr/bin/python3 with grpc_tools
# (python3-grpc-tools); all from scripts/setup.sh --test.
# Not a test: it never fails on a number. See BENCHMARKS.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${1:-$ROOT/build-perf/kedastral}"
WORKLOADS="${WORKLOADS:-1000}"
MODEL="${MODEL:-seasonal_naive}"
INTERVAL="${INTERVAL:-10s}"
DURATION="${DURATION:-10s}"
RATES="${RATES:-1000 10000}"
CLIENTS="${CLIENTS:-10}"
THREADS="${THREADS:-1}"

for tool in h2load wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "serve_bench: $tool not found (bash scripts/setup.sh --test)"; exit 2; }
done
[ -x "$BIN" ] || { echo "serve_bench: no binary at $BIN (build the kedastral target first)"; exit 2; }

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

read -r HTTP_PORT GRPC_PORT < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
for s in socks: s.close()
PY
)

# Config: every workload replays the bundled demo recording (4 days, 1-minute steps).
cp "$ROOT/examples/demo.csv" "$WORK/load.csv"
{
  cat <<EOF
server:
  http: 127.0.0.1:$HTTP_PORT
  grpc: 127.0.0.1:$GRPC_PORT
log:
  level: warn
  format: text
defaults:
  step: 1m
  window: 1d
  horizon: 30m
  interval: $INTERVAL
  capacity: {targetPerPod: 20, quantile: 0.9, maxReplicas: 50}
sources:
  replay:
    type: replay
    file: load.csv
workloads:
EOF
  for ((i = 0; i < WORKLOADS; i++)); do
    echo "  - {name: w$i, namespace: bench, source: replay, query: load, model: $MODEL}"
  done
} >"$WORK/config.yaml"

"$BIN" serve --config "$WORK/config.yaml" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
BASE="http://127.0.0.1:$HTTP_PORT"

# Ready once every workload has a forecast (bounded wait).
deadline=$((SECONDS + 300))
until curl -fs "$BASE/readyz" >/dev/null 2>&1; do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then echo "serve_bench: server exited"; cat "$WORK/server.log"; exit 1; fi
  if ((SECONDS > deadline)); then echo "serve_bench: not ready after 300 s"; tail "$WORK/server.log"; exit 1; fi
  sleep 0.5
done
echo "serve_bench: $WORKLOADS workloads ($MODEL, interval $INTERVAL) ready after ${SECONDS}s;" \
  "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "  load average before the runs (other processes share the CPUs): $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  server RSS: $(grep VmRSS "/proc/$SERVER_PID/status" | awk '{print $2/1024 " MiB"}')"

# gRPC request body: 1 byte "not compressed", 4-byte big-endian length, then the
# serialized GetMetricsRequest for workload w0.
/usr/bin/python3 -m grpc_tools.protoc -I"$ROOT/proto" --python_out="$WORK" "$ROOT/proto/externalscaler.proto"
PYTHONPATH="$WORK" /usr/bin/python3 - "$WORK/getmetrics.bin" <<'PY'
import struct, sys
import externalscaler_pb2 as pb
ref = pb.ScaledObjectRef(name="w0", namespace="bench", scalerMetadata={"workload": "w0"})
body = pb.GetMetricsRequest(scaledObjectRef=ref, metricName="kedastral-w0").SerializeToString()
open(sys.argv[1], "wb").write(b"\x00" + struct.pack(">I", len(body)) + body)
PY

# Sum of kedastral_grpc_requests_total for GetMetrics, split by code.
grpc_counts() {
  curl -fs "$BASE/metrics" | awk '/^kedastral_grpc_requests_total\{/ && /GetMetrics/ {
      match($0, /code="[^"]*"/); code = substr($0, RSTART + 6, RLENGTH - 7); n[code] += $NF }
    END { for (c in n) printf "%s=%d ", c, n[c]; print "" }'
}

# p50/p99/p999 in ms from h2load's log (start_us, status, elapsed_us per line).
percentiles() {
  python3 - "$1" <<'PY'
import sys
lat = sorted(int(l.split("\t")[2]) for l in open(sys.argv[1]) if l.strip())
if not lat: print("no requests"); sys.exit()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] / 1000
print(f"n={len(lat)} p50={q(0.5):.3f}ms p99={q(0.99):.3f}ms p999={q(0.999):.3f}ms max={lat[-1]/1000:.3f}ms")
PY
}

h2() {  # h2load with the gRPC headers; extra args appended
  h2load -t "$THREADS" -d "$WORK/getmetrics.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
    "$@" "http://127.0.0.1:$GRPC_PORT/externalscaler.ExternalScaler/GetMetrics"
}

report_h2() {  # label, h2load output file, log file, counters before
  local label=$1 out=$2 log=$3 before=$4
  echo "== GetMetrics $label"
  grep -E "^finished in|^requests:|^status codes:" "$out" | sed 's/^/  /'
  echo "  latency: $(percentiles "$log")"
  echo "  server GetMetrics counters: before [${before}] after [$(grpc_counts)]"
}

# Warm up the connection paths once.
h2 -n 2000 -c 2 >/dev/null

for rate in $RATES; do
  before="$(grpc_counts)"
  h2 -c "$CLIENTS" -m 1 --rps=$((rate / CLIENTS)) -D "$DURATION" --log-file="$WORK/h2-$rate.log" >"$WORK/h2-$rate.txt"
  report_h2 "at $rate calls/s ($CLIENTS connections, 1 stream each, $DURATION)" \
    "$WORK/h2-$rate.txt" "$WORK/h2-$rate.log" "$before"
done

before="$(grpc_counts)"
h2 -c "$CLIENTS" -m 10 -D "$DURATION" --log-file="$WORK/h2-max.log" >"$WORK/h2-max.txt"
report_h2 "flat out ($CLIENTS connections x 10 streams, $DURATION)" "$WORK/h2-max.txt" "$WORK/h2-max.log" "$before"

echo "== GET /forecast/current?workload=w0 flat out (wrk, $CLIENTS keep-alive connections, $DURATION)"
wrk -t "$THREADS" -c "$CLIENTS" -d "$DURATION" --latency "$BASE/forecast/current?workload=w0" |
  grep -E "Latency Distribution|^\s+(50|90|99)%|Requests/sec|requests in|Non-2xx|Socket errors" | sed 's/^/  /'
echo "  response size: $(curl -fs "$BASE/forecast/current?workload=w0" | wc -c) bytes"
echo "  server RSS at end: $(grep VmRSS "/proc/$SERVER_PID/status" | awk '{print $2/1024 " MiB"}')"
echo "  load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
