#!/usr/bin/env python3
"""What the L3 guard costs the data path (issue 9): 64 B VM -> VM (IPv4/UDP
frames from 10.0.0.1 to 10.0.0.2) through fairnicd with the guard off
(dhcp-server and ra allow, ip any), with the default guard (dhcp-server
and ra deny), and with `ip` set on both vNICs; one daemon after the other
in each round, so that machine noise hits all alike; medians and per-round
ratios to the guard off. FAIRNIC_AB_OLD=/path/to/another/fairnicd adds
that build as the baseline instead (e.g. one from before the guard, built
in a git worktree). `/usr/bin/python3 bench/l3_guard.py` as root;
ROUNDS=8 by default. Forwarding on CPU 1, traffic on CPU 0.
"""
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
import fairnic  # noqa: E402
from fairnic import Daemon, Traffic, ensure_hugepages  # noqa: E402

WIRE, VM, VM2 = "02:00:00:00:00:fe", "52:54:00:00:00:01", "52:54:00:00:00:02"
FLOW = f"tx=vm:dst={VM2}:src={VM}:len=60:ip=10.0.0.1-10.0.0.2 rx=vm2"
OPEN = ["dhcp-server", "allow", "ra", "allow"]
IP1 = ["ip", "192.168.7.0/24,172.16.0.9,2001:db8::1,10.0.0.1"]
IP2 = ["ip", "192.168.8.0/24,172.16.0.10,2001:db8::2,10.0.0.2"]
ROUNDS = int(os.environ.get("ROUNDS", "8"))


def setups():
    new, old = fairnic.FAIRNICD, os.environ.get("FAIRNIC_AB_OLD")
    s = {"old": (old, [], [])} if old else {}
    s.update({"guard off": (new, OPEN, OPEN), "default guard": (new, [], []),
              "ip set": (new, IP1, IP2)})
    return s, "old" if old else "guard off"


def measure(binary, tmp, x1, x2):
    fairnic.FAIRNICD = binary
    d = Daemon(tempfile.mkdtemp(dir=tmp))
    t = Traffic()
    try:
        d.ctl.ok("uplink", "set", "up0", "tx-rate", "0")
        d.ctl.ok("vnic", "add", "vm1", "mac", VM, "vhost-user", d.sock("vm1"), *x1)
        d.ctl.ok("vnic", "add", "vm2", "mac", VM2, "vhost-user", d.sock("vm2"), *x2)
        t.attach("wire", d.uplink_socks["up0"], mac=WIRE)
        t.attach("vm", d.sock("vm1"), mac=VM)
        t.attach("vm2", d.sock("vm2"), mac=VM2)
        t.ok(f"run ms=200 {FLOW}")          # the links settle
        return t.ok(f"run ms=2000 warmup=300 {FLOW}")["rx"]["vm2"]["pps"] / 1e6
    finally:
        t.close()
        d.stop()


def main():
    if os.geteuid() != 0:
        sys.exit("l3_guard: run as root")
    ensure_hugepages()
    tmp = tempfile.mkdtemp(prefix="fn-l3b-")
    cases, ref = setups()
    res = {k: [] for k in cases}
    print(f"L3 guard, 64 B VM -> VM: {ROUNDS} rounds of 2 s per setup, interleaved", flush=True)
    for r in range(ROUNDS):
        for name, (binary, x1, x2) in cases.items():
            res[name].append(measure(binary, tmp, x1, x2))
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in res.items()), flush=True)
    print(f"\n| setup | Mpps (median) | ratio to {ref}, per round | median ratio |\n|---|---|---|---|")
    for k, v in res.items():
        ratios = [a / b for a, b in zip(v, res[ref])]
        print(f"| {k} | {statistics.median(v):.2f} | " + " ".join(f"{x:.2f}" for x in ratios)
              + f" | {statistics.median(ratios):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
