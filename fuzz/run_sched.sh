#!/usr/bin/env bash
# Build and run the scheduler fuzzer (fuzz/fuzz_sched.c).
#   fuzz/run_sched.sh [SECONDS]   (default 30)
# Builds build/fuzz/fuzz_sched with libFuzzer + ASan + UBSan from the core's
# fn_sched and fn_tb, runs it for SECONDS on build/fuzz/corpus_sched (kept
# between runs, never committed) and exits non-zero on any crash, sanitizer
# report or failed check (an invariant, or a share off the reference).
# Crash inputs: build/fuzz/sched-crash-*; replay: build/fuzz/fuzz_sched FILE
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
out=build/fuzz
mkdir -p "$out/corpus_sched"
. fuzz/find_cc.sh
$CC -std=gnu11 -g -O1 -Wall -Wextra -Wno-unused-parameter -Isrc/core \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer \
	fuzz/fuzz_sched.c src/core/fn_sched.c src/core/fn_tb.c -lm -o "$out/fuzz_sched"
# A seed: the issue's worked example (3 flows, 1000 Mbit/s).
printf '\x01\x64\x99\x00\x00\x00\x01\x05\xea\x00\x00\x00\x00\x00\x01\x05\xea\x00\x00\x9e\x00\x00\x02\x05\xea\x00\x00' \
	> "$out/corpus_sched/seed-example"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
exec "$out/fuzz_sched" -max_total_time="$secs" -max_len=256 \
	-print_final_stats=1 -artifact_prefix="$out/sched-crash-" "$out/corpus_sched"
