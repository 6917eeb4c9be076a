#!/usr/bin/env bash
# `make test`: unit tests of the core (plain and under ASan+UBSan), the
# fuzzers, integration tests against the real daemon, then the control-plane
# and data-path integration tests again against an ASan+UBSan fairnicd.
# Ends with one line "N passed, M failed" for everything together.
cd "$(dirname "$0")/.." || exit 1
passed=0; failed=0
add() { passed=$((passed + $1)); failed=$((failed + $2)); }

# Unit tests: "N passed, M failed" is run_unit.sh's last line.
unit() {
	local out p f
	out=$(tests/run_unit.sh "$@" 2>&1)
	echo "$out"
	p=$(echo "$out" | tail -1 | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(echo "$out" | tail -1 | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	add "${p:-0}" "${f:-1}"
}
unit_bins() { find "$1" -maxdepth 1 -name 'test_*' -type f -executable ! -name '*.[od]' | sort; }
unit $(unit_bins build/tests)
# The same tests under AddressSanitizer + UndefinedBehaviorSanitizer: any
# report aborts the binary, which run_unit.sh counts as a failure.
echo "unit tests under ASan+UBSan:"
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	unit $(unit_bins build/asan/tests)

# The fuzzers, each for a short fixed time: one result each, pass or fail.
fuzz() {
	local name=$1 script=$2
	if "$script" "${FAIRNIC_FUZZ_SECONDS:-30}" > "build/$name.log" 2>&1; then
		echo "fuzz: $name $(grep -o 'Done [0-9]* runs' "build/$name.log") without a finding"
		add 1 0
	else
		echo "fuzz: $name FAILED (see build/$name.log)"; tail -30 "build/$name.log"
		add 0 1
	fi
}
fuzz fuzz_switch fuzz/run.sh
fuzz fuzz_sched fuzz/run_sched.sh
fuzz fuzz_l3 fuzz/run_l3.sh
[ -x fuzz/run_ctl.sh ] && fuzz fuzz_ctl fuzz/run_ctl.sh

# pytest over the given tests; adds its counts. FAIRNIC_BUILD picks the
# binaries (tests/integration/fairnic.py).
integration() {
	local xml ip if_
	xml=$(mktemp /tmp/fairnic-junit.XXXXXX.xml)
	/usr/bin/python3 -m pytest -p no:cacheprovider -v --junitxml="$xml" "$@" ${PYTEST_ARGS:-}
	read -r ip if_ < <(/usr/bin/python3 - "$xml" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    r = ET.parse(sys.argv[1]).getroot()
    s = r if r.tag == "testsuite" else r.find("testsuite")
    t, f, e, sk = (int(s.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
    print(t - f - e - sk, f + e)
except Exception:
    print(0, 1)
PY
)
	rm -f "$xml"
	echo "integration $*: $ip passed, $if_ failed"
	add "$ip" "$if_"
}
integration tests/integration

# fairnicd built with ASan+UBSan under the control-plane and data-path tests.
# Reports go to files (the daemon's stderr is a test's log); any report, at
# any time including exit, is one failure.
if [ -z "${FAIRNIC_NO_ASAN_DAEMON:-}" ]; then
	logs=build/asan/reports
	rm -rf "$logs"; mkdir -p "$logs"
	FAIRNIC_BUILD=build/asan \
	ASAN_OPTIONS="detect_leaks=1:log_path=$PWD/$logs/asan:suppressions=$PWD/tests/asan.supp" \
	LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp" \
	UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$PWD/$logs/ubsan" \
		integration -m "not timing" tests/integration/test_control.py tests/integration/test_datapath.py \
			tests/integration/test_l3guard.py tests/integration/test_metrics.py tests/integration/test_state.py
	if compgen -G "$logs/*" > /dev/null; then
		echo "sanitizer reports from fairnicd:"; head -60 "$logs"/*
		add 0 1
	else
		echo "sanitizers: fairnicd ran the control-plane and data-path tests without a report"
		add 1 0
	fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
