#!/usr/bin/env bash
# Installs what is needed, builds Kedastral and runs every test:
#   1. the whole suite (unit + end-to-end) on a normal build, through ctest;
#   2. the concurrent parts (snapshot table, scheduler) again under ThreadSanitizer;
#   3. the whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer.
# Usage: bash scripts/test.sh        (from anywhere inside the repository)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --test
jobs=$(nproc)

echo "== build (RelWithDebInfo)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"

echo "== build done at ${SECONDS}s; tests"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 300

echo "== tests done at ${SECONDS}s; ThreadSanitizer: concurrent tests"
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEDASTRAL_SANITIZE=thread \
  -DKEDASTRAL_BUILD_BENCH=OFF >/dev/null
cmake --build build-tsan -j "$jobs" --target core_test loop_test
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" build-tsan/tests/core/core_test --gtest_filter='SnapshotTable*'
TSAN_OPTIONS="halt_on_error=1" build-tsan/tests/loop/loop_test
echo "== TSan done at ${SECONDS}s; AddressSanitizer + UndefinedBehaviorSanitizer: whole suite"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEDASTRAL_SANITIZE=address \
  -DKEDASTRAL_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 300
echo "== all tests passed in ${SECONDS}s"
