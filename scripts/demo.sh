#!/usr/bin/env bash
# Installs what is needed, builds Kedastral and serves the bundled demo
# (examples/demo.yaml: a recorded production series replayed as if live).
# HTTP on 127.0.0.1:8081, KEDA gRPC on 127.0.0.1:50051. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target kedastral
exec build/kedastral serve --config examples/demo.yaml
