#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine: install what fairnic
# builds and runs with (only if missing), and reserve 2 MiB hugepages.
# Called by `make demo`, `make test` and `make bench`; needs root the first time.
set -u
PKGS="build-essential pkg-config dpdk dpdk-dev libdpdk-dev libjansson-dev libcmocka-dev
      libpcap-dev python3 python3-pytest iproute2 ethtool clang qemu-system-x86 linux-image-amd64 busybox-static
      libmicrohttpd-dev prometheus man-db tmux systemd strace"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing packages:$missing (run as root, or: apt-get install$missing)" >&2
		exit 1
	fi
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
		{ echo "setup: apt-get install failed" >&2; exit 1; }
fi
want=${FAIRNIC_HUGEPAGES:-1024}
have=$(cat /proc/sys/vm/nr_hugepages)
if [ "$have" -lt "$want" ]; then
	echo "$want" > /proc/sys/vm/nr_hugepages 2>/dev/null ||
		{ echo "setup: cannot reserve $want hugepages (need root)" >&2; exit 1; }
fi
exit 0
