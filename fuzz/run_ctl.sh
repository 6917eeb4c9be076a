#!/usr/bin/env bash
# Build and run the control-protocol fuzzer (fuzz/fuzz_ctl.c).
#   fuzz/run_ctl.sh [SECONDS]   (default 30)
# Builds build/fuzz/fuzz_ctl with libFuzzer + ASan + UBSan from fnd_ctl.c,
# fnd_ctl_req.c, fnd_vport.c, the grammar and the core, with
# fuzz/ctl_stubs.c in place of DPDK's libraries and the vhost/tap backends
# (DPDK's headers are still needed: pkg-config libdpdk). Writes the seed corpus into
# build/fuzz/corpus_ctl (kept between runs, never committed) and a
# dictionary of the grammar's words, runs for SECONDS and exits non-zero
# on any crash, leak, sanitizer report or failed check. Crash inputs are
# written to build/fuzz/ctl-crash-*; replay one with: build/fuzz/fuzz_ctl FILE
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
out=build/fuzz
corpus=$out/corpus_ctl
mkdir -p "$corpus"
. fuzz/find_cc.sh
dpdk_cflags=$(pkg-config --cflags libdpdk) ||
	{ echo "fuzz/run_ctl.sh: DPDK headers not found (apt-get install -y libdpdk-dev)" >&2; exit 2; }
# The control path and what it uses; no DPDK library, no fnd_vhost.c; two
# functions of fnd_sock.c are replaced by ctl_stubs.c's (see there).
srcs="src/daemon/fnd_ctl.c src/daemon/fnd_ctl_req.c src/daemon/fnd_sock.c
	src/daemon/fnd_vport.c $(echo src/ctl/*.c src/core/*.c)"
wrap="-Wl,--wrap=fnd_sock_perm -Wl,--wrap=fnd_group_lookup"
# shellcheck disable=SC2086
$CC -std=gnu11 -g -O1 -Wall -Wextra -Wno-unused-parameter $dpdk_cflags \
	-Isrc/core -Isrc/ctl -Isrc/daemon \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer ${FUZZ_CTL_CFLAGS:-} \
	fuzz/fuzz_ctl.c fuzz/ctl_stubs.c $srcs $wrap -ljansson -lm -o "$out/fuzz_ctl"

# ---- seed corpus ------------------------------------------------------------
# First line: its first byte picks the framing and the starting state
# (fuzz_ctl.c): '0' '2' '4' socket requests (JSON), '1' '3' '5' --config
# lines; '0' '1' an empty table, '2' '3' vNICs a b c, '4' '5' fifteen vNICs;
# 'p' 'q' (bit 6): fifteen vNICs, --vhost-mode 0600 --vhost-group fairnic.
seed() {
	printf '%s\n' "${@:2}" > "$corpus/seed-$1"
}
seed json-add 0 \
	'["vnic","add","a","mac","52:54:00:00:00:01","vhost-user","/tmp/x.sock"]' \
	'["vnic","add","t","mac","52:54:00:00:00:09","tap","fnt","uplink","up1","vlan","7","rx-rate","1.5mbit","rx-burst","64kb","rx-pps","10k","rx-pps-burst","100","tx-rate","1gbit","tx-burst","1mb","tx-pps","24000","tx-pps-burst","240","local","off"]' \
	'["vnic","add","u","mac","52:54:00:00:00:01","vhost-user","/tmp/u.sock","vlan","4094"]' \
	'["vnic","show"]' '["vnic","list","t"]' '["stats"]' '["stats","t"]' \
	'["vnic","del","a"]' '["vnic","show"]'
seed json-set 2 \
	'["vnic","set","a","mac","52:54:00:00:00:05"]' \
	'["vnic","set","a","uplink","up1"]' \
	'["vnic","set","a","vlan","42"]' \
	'["vnic","set","a","vlan","none"]' \
	'["vnic","set","a","rx-rate","10mbit"]' \
	'["vnic","set","a","rx-burst","32kb"]' \
	'["vnic","set","a","rx-pps","24000"]' \
	'["vnic","set","a","rx-pps-burst","240"]' \
	'["vnic","set","a","tx-rate","1gibit"]' \
	'["vnic","set","a","tx-burst","1m"]' \
	'["vnic","set","a","tx-pps","1m"]' \
	'["vnic","set","a","tx-pps-burst","10k"]' \
	'["vnic","set","a","local","off"]' \
	'["vnic","set","a","mode","0640"]' \
	'["vnic","set","a","group","kvm"]' \
	'["vnic","set","c","mode","600","group","4000","rx-pps","0"]' \
	'["vnic","set","b","rx-rate","0","tx-pps","0","local","on"]' \
	'["vnic","set","c","mac","52:54:00:00:00:02","uplink","up1","vlan","10"]' \
	'["vnic","show","a"]' '["stats","reset","b"]' '["stats","show","b"]'
seed json-errors 2 \
	'["vnic","add","a","mac","52:54:00:00:00:07","vhost-user","/tmp/y.sock"]' \
	'["vnic","add","d","mac","52:54:00:00:00:03","vhost-user","/tmp/fn-a.sock"]' \
	'["vnic","add","d","mac","52:54:00:00:00:03","vhost-user","/tmp/fail.sock"]' \
	'["vnic","add","d","mac","52:54:00:00:00:03","tap","failtap"]' \
	'["vnic","add","d","mac","52:54:00:00:00:01","tap","fnd"]' \
	'["vnic","add","d","mac","01:00:5e:00:00:01","tap","fnd"]' \
	'["vnic","add","d","mac","52:54:00:00:00:03","tap","fnd","mode","0600"]' \
	'["vnic","add","d","mac","52:54:00:00:00:03","vhost-user","/tmp/d.sock","group","nopriv"]' \
	'["vnic","add","d","mac","52:54:00:00:00:03","vhost-user","/tmp/d.sock","group","nobody-here"]' \
	'["vnic","add","d","mac","52:54:00:00:00:03","vhost-user","/tmp/fn-ctl.sock"]' \
	'["vnic","add","d","mac","52:54:00:00:00:03","vhost-user","/tmp//./fn-a.sock"]' \
	'["vnic","add","d","mac","52:54:00:00:00:03","vhost-user","/nonexistent/d.sock"]' \
	'["vnic","add","d","mac","52:54:00:00:00:03","vhost-user","/tmp/"]' \
	'["vnic","set","b","mode","0600"]' '["vnic","set","a","mode","1777"]' \
	'["vnic","set","a","group","nopriv","rx-rate","1mbit"]' \
	'["vnic","set","zz","rx-rate","1"]' \
	'["vnic","set","a","rx-rate","10mbit","rx-burst","100"]' \
	'["vnic","set","a","tx-rate","10mbit","tx-burst","1000b"]' \
	'["vnic","set","a","rx-burst","1gb","rx-rate","1tbit"]' \
	'["vnic","set","a","tx-pps","1000000000000","tx-pps-burst","1000000000000"]' \
	'["vnic","set","a","uplink","up9"]' \
	'["vnic","set","b","mac","52:54:00:00:00:01","uplink","up0","vlan","none"]' \
	'["vnic","set","a","rx-rate","10xbit"]' '["vnic","set","a","rx-rate","0.0001bit"]' \
	'["vnic","set","a","rx-rate","99tbit"]' '["vnic","set","a","vlan","4095"]' \
	'["vnic","set","a","vhost-user","/tmp/z"]' '["vnic","set","a","local","maybe"]' \
	'["vnic","set","a","mac","52:54:00:00:00:0g"]' '["vnic","set","a"]' \
	'["vnic","del","nobody"]' '["stats","nobody"]' '["vnic","frob"]' '["help","me"]' \
	'[]' '[1,2]' '{"a":1}' '["a\u0000b"]' 'not json' '["vnic","show"] x' \
	'["vnic","show"]'
seed json-escapes 0 \
	'["vnic","add","e","mac","52:54:00:00:00:0e","vhost-user","/tmp/\u00e9\t.sock"]' \
	'["vnic","add","f","mac","52:54:00:00:00:0f","vhost-user","/tmp/\u00e9\t.sock"]' \
	'["vnic","add","f","mac","52:54:00:00:00:0f","tap","f\u00e9"]' \
	'["vnic","add","g","mac","52:54:00:00:00:10","vhost-user","/tmp/fail\u00e9"]' \
	'["vnic","show"]'
# Regression inputs of bugs this fuzzer found (see fuzz/README.md).
seed regress-newline 0 \
	'["vnic","add","a","mac","52:54:00:00:00:01","vhost-user","/tmp/a\nb"]' \
	'["vnic","add","b","mac","52:54:00:00:00:02","vhost-user","/tmp/a\nb"]'
printf '1\nvnic add t mac 52:54:00:00:00:09 tap \346nt\nvnic show\n' \
	> "$corpus/seed-regress-utf8"
seed regress-group 2 \
	'["vnic","set","a","group","kvm"]' '["vnic","set","a","mode","0640"]' \
	'["vnic","show","a"]'
seed json-full 4 \
	'["vnic","add","x","mac","52:54:00:00:02:01","vhost-user","/tmp/x.sock"]' \
	'["vnic","add","y","mac","52:54:00:00:02:02","vhost-user","/tmp/y.sock"]' \
	'["vnic","del","v3"]' \
	'["vnic","add","y","mac","52:54:00:00:02:02","tap","fny","vlan","10"]' \
	'["stats","reset"]' '["stats","reset","a"]' '["stats","a"]' \
	'["vnic","show","b"]' '["uplink","show"]' '["help"]' \
	'["vnic","add","z","mac","52:54:00:00:02:03","tap","fnns"]' \
	'["vnic","del","v6"]' '["vnic","add","z","mac","52:54:00:00:02:03","tap","fnns"]' \
	'["stats"]' '["stats","reset","b"]' '["stats","reset","z"]' '["stats"]'
seed cfg-empty 1 \
	'# fairnicd --config' \
	'vnic add a mac 52:54:00:00:00:01 vhost-user /tmp/x.sock rx-rate 1gbit' \
	'vnic add t mac 52:54:00:00:00:09 tap fnt uplink up1 vlan 7 local off # a tap' \
	'' '   vnic set a tx-pps 100k tx-pps-burst 1k' \
	'vnic show' 'stats reset' 'vnic del t'
seed cfg-abc 3 \
	'vnic set a rx-rate 1.5mbit rx-burst 64kb' \
	'vnic set b mac 52:54:00:00:00:01#comment' \
	'vnic set c vlan none' \
	'vnic add d mac 52:54:00:00:00:04 vhost-user /tmp/fail' \
	'vnic del c' 'stats' 'uplink show' 'help'
seed cfg-alt q \
	'vnic add x mac 52:54:00:00:02:01 vhost-user x.sock' \
	'vnic add y mac 52:54:00:00:02:02 vhost-user ../tmp/y.sock mode 0666' \
	'vnic set x group root' 'vnic show'
seed json-l3 2 \
	'["vnic","set","a","ip","10.0.0.1,2001:db8::5/64","dhcp-server","allow"]' \
	'["vnic","set","b","ip","none","ra","allow"]' '["vnic","set","a","ip","10.0.0.5/24"]' \
	'["vnic","show"]' '["vnic","set","a","ip","any"]' '["vnic","show","a"]'
seed cfg-full 5 \
	'vnic add x mac 52:54:00:00:02:01 tap fnx' \
	'vnic add y mac 52:54:00:00:02:02 tap fny' \
	'vnic del v4' 'stats reset v5' 'vnic show v5'

# ---- dictionary: the grammar's words, bare and as JSON strings -------------
words="vnic add set del show list uplink stats reset help mac vhost-user tap
vlan none local on off up0 up1 up2 rx-rate rx-burst rx-pps rx-pps-burst
tx-rate tx-burst tx-pps tx-pps-burst bit kbit mbit gbit tbit kibit mibit
gibit tibit bps kbps mbps gbps tbps kibps mibps gibps tibps b k kb m mb g gb
a b c v3 fail 0 1 4094 4095 1.5 1000000000000 10tbit 1gb
52:54:00:00:00:01 52:54:00:00:00:02 01:00:5e:00:00:01 /tmp/x.sock
mode group 0600 0660 0777 root kvm fairnic nopriv 4242 /tmp/fn-ctl.sock
/tmp/fn-a.sock ./ ../ // fnns ip any 10.0.0.1 10.0.0.0/24 2001:db8::5 fe80::/64
:: , / dhcp-server ra allow deny"
{
	echo 'json_open="[\""'
	echo 'json_sep="\",\""'
	echo 'json_close="\"]"'
	echo 'nl="\x0a"'
	echo 'hash="#"'
	echo 'esc_nl="\\n"'
	echo 'esc_cr="\\r"'
	echo 'esc_nul="\\u0000"'
	echo 'esc_utf8="\\u00e9"'
	echo 'utf8="\xc3\xa9"'
	echo 'not_utf8="\xff"'
	for w in $words; do
		echo "\"$w\""
		echo "\"\\\"$w\\\",\""
	done
} > "$out/ctl.dict"

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
exec "$out/fuzz_ctl" -max_total_time="$secs" -max_len=4096 \
	-dict="$out/ctl.dict" -print_final_stats=1 -artifact_prefix="$out/ctl-" \
	"$corpus"
