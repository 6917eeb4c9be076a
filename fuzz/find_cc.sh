# Sourced by fuzz/run.sh and fuzz/run_ctl.sh: sets CC to a clang (libFuzzer
# lives there), honouring a CC from the environment; exits 2 without one.
CC=${CC:-}
if [ -z "$CC" ]; then
	for c in clang clang-14; do
		if command -v "$c" >/dev/null; then CC=$c; break; fi
	done
fi
[ -n "$CC" ] || { echo "$0: clang not found (apt-get install -y clang)" >&2; exit 2; }
