#!/usr/bin/env bash
# Installs what Kedastral needs to build and run, from Debian 12's packages; with
# --test, also the real peers the integration tests start (Prometheus, Redis) and
# headless Chromium for the page tests.
# Idempotent: packages already present are left as they are. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libhiredis-dev prometheus-cpp-dev libeigen3-dev libyaml-cpp-dev libcli11-dev libexpected-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-grpcio python3-grpc-tools curl
)
if [ "${1:-}" = "--test" ]; then
  packages+=(prometheus redis-server chromium chromium-driver openssl nghttp2-client wrk)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
