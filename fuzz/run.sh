#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in their own build directory and runs each
# one for a while, starting from the committed seeds in fuzz/corpus/<target>/.
#
#   bash fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 20; with no TARGET every one runs, one after another.
# Environment: BUILD_DIR (default build-fuzz in the repo), JOBS (default 2), CC/CXX
# (default clang/clang++). New inputs found go to $BUILD_DIR/fuzz/corpus/<target>/
# (the committed seeds stay untouched); a crash leaves crash-*/leak-*/timeout-* in
# $BUILD_DIR/fuzz/artifacts/<target>/ and makes the script exit non-zero.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER_TARGET="${1:-20}"
shift || true
BUILD_DIR="${BUILD_DIR:-$ROOT/build-fuzz}"
JOBS="${JOBS:-2}"
ALL_TARGETS=(fuzz_config fuzz_prometheus_parse fuzz_csv fuzz_http_handlers
             fuzz_scaler_logic fuzz_snapshot_codec)
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then TARGETS=("${ALL_TARGETS[@]}"); fi

CC="${CC:-clang}" CXX="${CXX:-clang++}" cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEDASTRAL_FUZZ=ON \
  -DKEDASTRAL_BUILD_TESTS=OFF -DKEDASTRAL_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD_DIR" -j"$JOBS" --target "${TARGETS[@]}"

# Leaks are reported at exit of a run only; handlers keep process-wide state on purpose.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
for t in "${TARGETS[@]}"; do
  corpus="$BUILD_DIR/fuzz/corpus/$t"
  artifacts="$BUILD_DIR/fuzz/artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  echo "== $t: ${SECONDS_PER_TARGET}s"
  # -rss_limit_mb/-malloc_limit_mb: a single input that makes the code under test
  # allocate more than 1 GiB is a bug (unbounded allocation), not a slow run.
  if ! "$BUILD_DIR/fuzz/$t" "$corpus" "$ROOT/fuzz/corpus/$t" \
      -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
      -malloc_limit_mb=1024 -max_len=16384 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" 2>"$BUILD_DIR/fuzz/$t.log"; then
    failed+=("$t")
    tail -n 60 "$BUILD_DIR/fuzz/$t.log"
  fi
  grep -E "^(stat::number_of_executed_units|stat::new_units_added)|cov: " \
    "$BUILD_DIR/fuzz/$t.log" | tail -n 3 || true
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzzing found problems in: ${failed[*]} (inputs in $BUILD_DIR/fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzzing: ${#TARGETS[@]} target(s) ran ${SECONDS_PER_TARGET}s each without findings"
