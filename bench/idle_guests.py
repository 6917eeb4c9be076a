#!/usr/bin/env python3
"""What idle guests cost a busy one (issue 8): a 64-byte flood from the wire
to vm1, measured with 0, 64, 256 and 500 more guests connected and silent
(`/usr/bin/python3 bench/idle_guests.py`, as root; about 10 minutes, most
of it connecting 500 guests).

The idle guests are virtio-user ports of extra traffic processes that do
nothing after connecting (30 ports each: fntraffic's DPDK has 32; they use
no CPU while connected). Each figure is the median of 3 runs of 2 s; the
ratio is to the figure with no idle guest, in the same daemon. The machine
drifts over the minutes it takes to connect 500 guests, so the rate with
none is measured twice: first, and again last, after the idle guests'
processes are closed (disconnecting them all at once); the ratio is to the
mean of the two, and both are printed. Forwarding on CPU 1, traffic on
CPU 0.
"""
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from fairnic import Daemon, Traffic, ensure_hugepages  # noqa: E402

WIRE, VM1 = "02:00:00:00:00:fe", "52:54:00:00:00:01"
STEPS = [int(x) for x in os.environ.get("FAIRNIC_IDLE_STEPS", "0,64,256,500").split(",")]
PER_PROCESS = 30


def main():
    if os.geteuid() != 0:
        sys.exit("idle_guests: run as root")
    ensure_hugepages(3072)
    d = Daemon(tempfile.mkdtemp(prefix="fn-idle-"), extra=["--max-vnics", str(max(STEPS) + 8)])
    t = Traffic()
    crowds, n = [], 0
    rows = []
    try:
        d.ctl.ok("vnic", "add", "vm1", "mac", VM1, "vhost-user", d.sock("vm1"))
        t.attach_wire(d, "wire")
        t.attach("v1", d.sock("vm1"), mac=VM1)
        spec = f"tx=wire:dst={VM1}:src={WIRE}:len=60 rx=v1"
        for want in STEPS:
            while n < want:
                if n % PER_PROCESS == 0:
                    crowds.append(Traffic(mbufs=PER_PROCESS * 1100 + 8192))
                mac = f"52:54:00:01:{n // 256:02x}:{n % 256:02x}"
                d.ctl.ok("vnic", "add", f"idle{n}", "mac", mac, "vhost-user", d.sock(f"idle{n}"))
                crowds[-1].attach(f"i{n}", d.sock(f"idle{n}"), mac=mac)
                n += 1
            connected = sum(v["connected"] for v in d.ctl.ok("vnic", "show")["vnics"]) - 1
            runs = [t.ok(f"run ms=2000 warmup=300 {spec}")["rx"]["v1"]["pps"] / 1e6 for _ in range(3)]
            rows.append((want, connected, statistics.median(runs), runs))
            print(f"{want} idle guests ({connected} connected): "
                  + " ".join(f"{r:.2f}" for r in runs) + " Mpps", flush=True)
        for c in crowds:
            c.close()
        crowds = []
        connected = sum(v["connected"] for v in d.ctl.ok("vnic", "show")["vnics"]) - 1
        runs = [t.ok(f"run ms=2000 warmup=300 {spec}")["rx"]["v1"]["pps"] / 1e6 for _ in range(3)]
        rows.append((0, connected, statistics.median(runs), runs))
        print(f"again 0 idle guests ({connected} connected): "
              + " ".join(f"{r:.2f}" for r in runs) + " Mpps", flush=True)
    finally:
        for c in crowds:
            c.close()
        t.close()
        d.stop()
    base = (rows[0][2] + rows[-1][2]) / 2
    print(f"\nalone: {rows[0][2]:.2f} Mpps first, {rows[-1][2]:.2f} Mpps last "
          f"(drift {rows[-1][2] / rows[0][2] - 1:+.0%}); ratios to their mean")
    print("\n| idle guests connected | vm1 Mpps (median of 3) | of the rate alone |")
    print("|---|---|---|")
    for want, connected, med, _ in rows:
        print(f"| {connected} | {med:.2f} | {med / base:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
