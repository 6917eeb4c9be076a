#!/usr/bin/env bash
# Run every cmocka unit-test binary given; print "N passed, M failed".
passed=0; failed=0
for t in "$@"; do
	out=$("$t" 2>&1); rc=$?
	echo "$out" | grep -E '^\[  (FAILED|  OK  |PASSED)' | grep -v '^\[       OK \]' || true
	p=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	p=${p:-0}; f=${f:-0}
	# a binary that crashed or printed no summary counts as one failure
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "$out" | tail -20; fi
	echo "unit $(basename "$t"): $p passed, $f failed"
	passed=$((passed + p)); failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
