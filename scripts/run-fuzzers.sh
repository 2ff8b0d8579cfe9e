#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang-14, ASan + UBSan, every engine library instrumented) in build/fuzz,
# replays the committed regression corpus, then fuzzes each harness for SECONDS (default 60).
# Exit status 1 when any harness finds a crash, leak, timeout or sanitizer report; the input is left in
# build/fuzz/findings/. See docs/fuzzing.md for long runs and for adding a finding to the regressions.
#   scripts/run-fuzzers.sh [SECONDS] [HARNESS...]
set -euo pipefail

SECONDS_PER_HARNESS="${1:-60}"
shift || true
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${WB_FUZZ_BUILD_DIR:-$ROOT/build/fuzz}"
MODELS="${WB_MODELS_DIR:-$ROOT/../shared/models}"
JOBS="${JOBS:-2}"
HARNESSES=("$@")
[ ${#HARNESSES[@]} -eq 0 ] && HARNESSES=(fuzz_gguf_model fuzz_tokenizer_text fuzz_tokenizer_vocab fuzz_chat_format)

for tool in clang-14 clang++-14; do
    command -v "$tool" >/dev/null || { echo "run-fuzzers: $tool is missing (apt-get install clang-14)" >&2; exit 2; }
done

# Every library gets the coverage and sanitizer instrumentation; only the harnesses link libFuzzer's main.
if [ ! -f "$BUILD/build.ninja" ]; then
    CC=clang-14 CXX=clang++-14 cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DWB_BUILD_GUI=OFF -DWB_BUILD_FUZZERS=ON \
        "-DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
        >/dev/null
fi
build_start=$(date +%s)
ninja -C "$BUILD" -j "$JOBS" fuzzers >/dev/null
echo "run-fuzzers: built in $(( $(date +%s) - build_start )) s"

if [ -d "$MODELS" ]; then
    export WB_MODELS_DIR="$(cd "$MODELS" && pwd)"
else
    echo "run-fuzzers: no models directory at $MODELS; seeds are the generated files only"
    unset WB_MODELS_DIR
fi
rm -rf "$BUILD/seeds"
"$BUILD/tests/fuzz/fuzz_seeds" "$BUILD/seeds" ${WB_MODELS_DIR:+"$WB_MODELS_DIR"}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
mkdir -p "$BUILD/findings"
failed=()
for harness in "${HARNESSES[@]}"; do
    binary="$BUILD/tests/fuzz/$harness"
    corpus="$BUILD/corpus/$harness"          # grows across runs; the first directory is where new inputs go
    regressions="$ROOT/tests/fuzz/regressions/$harness"
    log="$BUILD/findings/$harness.log"
    mkdir -p "$corpus" "$regressions"
    # Every input that ever crashed must still pass (files given one by one are run once each).
    mapfile -t known < <(find "$regressions" -type f ! -name '*.md' | sort)
    if [ ${#known[@]} -gt 0 ] && ! "$binary" -rss_limit_mb=4096 "${known[@]}" >"$log" 2>&1; then
        echo "run-fuzzers: $harness FAILS on its regression corpus; see $log"
        tail -n 60 "$log" | sed 's/^/    /'
        failed+=("$harness")
        continue
    fi
    start=$(date +%s)
    if "$binary" -max_total_time="$SECONDS_PER_HARNESS" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="$BUILD/findings/$harness-" "$corpus" "$BUILD/seeds/$harness" "$regressions" \
        >>"$log" 2>&1; then
        runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
        speed=$(grep -oE '^stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
        echo "run-fuzzers: $harness ok: ${runs:-?} inputs in $(( $(date +%s) - start )) s (${speed:-?}/s)," \
             "corpus $(find "$corpus" -type f | wc -l) files"
    else
        echo "run-fuzzers: $harness FOUND A PROBLEM; log $log, input(s):"
        ls -1 "$BUILD/findings/$harness-"* 2>/dev/null | sed 's/^/    /'
        grep -m1 -E 'ERROR|SUMMARY' "$log" | sed 's/^/    /' || true
        # The report itself, for CI where the log file is not kept.
        echo "---- last 60 lines of $log"
        tail -n 60 "$log" | sed 's/^/    /'
        failed+=("$harness")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "run-fuzzers: FAILED: ${failed[*]}"
    exit 1
fi
echo "run-fuzzers: all harnesses clean"
