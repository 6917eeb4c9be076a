#!/usr/bin/env bash
# Build and run the fn_switch / fn_fib fuzzer (what it checks: the top of
# fuzz/fuzz_switch.c and fuzz/README.md).
#   fuzz/run.sh [SECONDS]   (default 30)
# Builds build/fuzz/fuzz_switch with libFuzzer + ASan + UBSan straight from
# the core sources, runs it for SECONDS on the corpus in build/fuzz/corpus
# (kept between runs, never committed) and exits non-zero on any crash,
# leak, sanitizer report or failed model check. Crash inputs are written to
# build/fuzz/crash-*; replay one with: build/fuzz/fuzz_switch FILE
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
out=build/fuzz
mkdir -p "$out/corpus"
. fuzz/find_cc.sh
# The modules under test and what they use; the rest of src/core is not needed.
srcs="src/core/fn_fib.c src/core/fn_switch.c src/core/fn_tb.c src/core/fn_eth.c
	src/core/fn_counters.c src/core/fn_sched.c src/core/fn_bufacct.c src/core/fn_codel.c"
$CC -std=gnu11 -g -O1 -Wall -Wextra -Wno-unused-parameter -Isrc/core \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer \
	${FUZZ_SWITCH_CFLAGS:-} fuzz/fuzz_switch.c $srcs -lm -o "$out/fuzz_switch"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
exec "$out/fuzz_switch" -max_total_time="$secs" -max_len=4096 \
	-print_final_stats=1 -artifact_prefix="$out/" "$out/corpus"
