#!/usr/bin/env bash
# `make test`: unit tests of the core, then integration tests against the
# real daemon. Ends with one line "N passed, M failed" for both together.
cd "$(dirname "$0")/.." || exit 1
bins=$(find build/tests -maxdepth 1 -name 'test_*' -type f -executable ! -name '*.o' ! -name '*.d' | sort)
unit_out=$(tests/run_unit.sh $bins 2>&1)
echo "$unit_out"
up=$(echo "$unit_out" | tail -1 | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
uf=$(echo "$unit_out" | tail -1 | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
up=${up:-0}; uf=${uf:-1}

# The core's fuzzer, for a short fixed time: one result, pass or fail.
if fuzz/run.sh "${FAIRNIC_FUZZ_SECONDS:-30}" > build/fuzz.log 2>&1; then
	echo "fuzz: fuzz_switch $(grep -o 'Done [0-9]* runs' build/fuzz.log) without a finding"
	up=$((up + 1))
else
	echo "fuzz: FAILED (see build/fuzz.log)"; tail -30 build/fuzz.log
	uf=$((uf + 1))
fi

xml=$(mktemp /tmp/fairnic-junit.XXXXXX.xml)
/usr/bin/python3 -m pytest -p no:cacheprovider -v --junitxml="$xml" tests/integration ${PYTEST_ARGS:-}
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
passed=$((up + ip)); failed=$((uf + if_))
echo "unit+fuzz: $up passed, $uf failed; integration: $ip passed, $if_ failed"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
