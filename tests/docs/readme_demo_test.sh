#!/usr/bin/env bash
# Runs the README's demo lines (the curl commands and the gRPC snippet) against the real
# binary serving the bundled demo, on free loopback ports, so the README cannot drift.
# Usage: readme_demo_test.sh KEDASTRAL_BINARY SOURCE_DIR
set -euo pipefail
bin=$1
src=$2
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http=$(free_port)
grpc=$(free_port)
sed -e "s/127.0.0.1:8081/127.0.0.1:$http/" -e "s/127.0.0.1:50051/127.0.0.1:$grpc/" \
    -e "s|file: demo.csv|file: $src/examples/demo.csv|" "$src/examples/demo.yaml" > "$work/demo.yaml"
"$bin" serve --config "$work/demo.yaml" > "$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  curl -sf "localhost:$http/readyz" > /dev/null && break
  sleep 0.1
done
curl -sf "localhost:$http/readyz" > /dev/null || { cat "$work/serve.log"; echo "demo never became ready"; exit 1; }

# The README block after "Look at them:", one command per line.
block() { awk -v start="$1" 'index($0, start) {on=1; next} on && /^```sh/ {in_block=1; next}
                               in_block && /^```/ {exit} in_block {print}' "$src/README.md"; }
curls=$(block "Look at them:")
[ -n "$curls" ] || { echo "README: curl block not found"; exit 1; }
failed=0
while IFS= read -r line; do
  cmd=${line%%#*}
  cmd=${cmd//localhost:8081/localhost:$http}
  out=$(cd "$src" && bash -o pipefail -c "$cmd") || { echo "FAILED: $cmd"; failed=1; continue; }
  [ -n "$out" ] || { echo "EMPTY: $cmd"; failed=1; continue; }
  echo "ok: $cmd"
done <<< "$curls"

grpc_block=$(block "Ask it as KEDA does")
[ -n "$grpc_block" ] || { echo "README: gRPC block not found"; exit 1; }
grpc_block=${grpc_block//127.0.0.1:50051/127.0.0.1:$grpc}
grpc_block=${grpc_block//\/tmp/$work}
out=$(cd "$src" && bash -c "$grpc_block" 2>&1) || { echo "$out"; echo "FAILED: gRPC snippet"; exit 1; }
for want in "metricName: \"kedastral-demo-api\"" "targetSize: 1" "metricValue:" "result: true"; do
  grep -qF "$want" <<< "$out" || { echo "$out"; echo "gRPC snippet output lacks: $want"; failed=1; }
done
[ "$failed" = 0 ] && echo "README demo lines: all ok"
exit "$failed"
