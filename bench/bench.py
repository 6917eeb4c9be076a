#!/usr/bin/env python3
"""fairnic forwarding benchmark (`make bench`).

Measures Mpps through fairnicd for 64- and 1518-byte frames (1514 bytes without the FCS, as the traffic process counts them), uplink -> VM
VM -> uplink and VM -> VM (local switching), with no limits and with limits + checks enabled (limits
far above the offered load, so they are evaluated on every frame but never
bite), and, in the same run, on the same ports and cores, dpdk-testpmd in
io-forward mode as the ceiling. Prints medians and ratios.

Placement (2-core machine): the forwarding core (fairnicd's worker lcore,
or testpmd's forwarding lcore) is CPU 1; the traffic process (generator
and sink, playing the wire and the VM through virtio-user) is CPU 0.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from fairnic import Daemon, Traffic, ensure_hugepages, wait_for  # noqa: E402

WIRE, VM, VM2, OTHER = "02:00:00:00:00:fe", "52:54:00:00:00:01", "52:54:00:00:00:02", "02:00:00:00:00:ee"
MS = int(os.environ.get("FAIRNIC_BENCH_MS", "2000"))
REPEATS = int(os.environ.get("FAIRNIC_BENCH_REPEATS", "5"))
LIMITS = ["rx-rate", "100gbit", "rx-pps", "100000000", "tx-rate", "100gbit", "tx-pps", "100000000"]
# Sharing in both directions on top of the limits: guarantees, weights and
# an uplink capacity, none of them binding (far above the offered load), so
# every frame goes through the schedulers' green and yellow passes.
SHARING = LIMITS + ["rx-min", "1gbit", "tx-min", "1gbit", "rx-weight", "3", "tx-weight", "2",
                    "rx-aqm", "codel"]
# The layer-3 guard with `ip` set on both vNICs (every frame's IPv4 source
# checked; the frames are IPv4/UDP from 10.0.0.1 to 10.0.0.2 in every setup).
IP_VM1 = ["ip", "192.168.7.0/24,172.16.0.9,2001:db8::1,10.0.0.1"]
IP_VM2 = ["ip", "192.168.8.0/24,172.16.0.10,2001:db8::2,10.0.0.2"]
SETUPS = (("fairnic", []), ("fairnic+limits", LIMITS), ("fairnic+sharing", SHARING),
          ("fairnic+ip", "ip"))
IP = "ip=10.0.0.1-10.0.0.2"


class Testpmd:
    def __init__(self, tmp):
        self.up = os.path.join(tmp, "tp-up.sock")
        self.vm = os.path.join(tmp, "tp-vm.sock")
        self.proc = subprocess.Popen(
            ["dpdk-testpmd", "--in-memory", "--file-prefix", "tp" + uuid.uuid4().hex[:6], "--no-pci",
             "--lcores", "0@0,1@1", "--log-level", "*:warning",
             "--vdev", f"net_vhost0,iface={self.up},queues=1",
             "--vdev", f"net_vhost1,iface={self.vm},queues=1",
             "--", "--forward-mode=io", "--nb-cores=1", "--auto-start", "--rxq=1", "--txq=1"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: os.path.exists(self.up) and os.path.exists(self.vm), 30, "testpmd sockets")

    def stop(self):
        try:
            self.proc.communicate(b"\n", timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


CASES = [(d, n) for n in (60, 1514) for d in ("up->vm", "vm->up", "vm->vm")]


def measure_once(t, direction, length):
    if direction == "up->vm":
        spec, rx = f"tx=wire:dst={VM}:src={WIRE}:len={length}:{IP}", "vm"
    elif direction == "vm->vm":
        spec, rx = f"tx=vm:dst={VM2}:src={VM}:len={length}:{IP}", "vm2"
    else:
        spec, rx = f"tx=vm:dst={OTHER}:src={VM}:len={length}:{IP}", "wire"
    r = t.ok(f"run ms={MS} warmup=300 {spec} rx={rx}")
    return r["rx"][rx]["pps"] / 1e6


def run_setup(name, up_sock, vm_sock, runs, vm2_sock=None):
    """vm2_sock None: the setup has two ports (testpmd), where VM -> VM is
    the same path as port to port, so it is measured as up -> vm."""
    t = Traffic()
    try:
        t.attach("wire", up_sock, mac=WIRE)
        t.attach("vm", vm_sock, mac=VM)
        if vm2_sock:
            t.attach("vm2", vm2_sock, mac=VM2)
        # let the link settle: the first frames after attach may be dropped
        t.ok(f"run ms=200 tx=wire:dst={VM}:src={WIRE}:len=64 rx=vm")
        for direction, length in CASES:
            how = "up->vm" if direction == "vm->vm" and not vm2_sock else direction
            runs.setdefault((name, direction, length), []).append(measure_once(t, how, length))
    finally:
        t.close()


def one_round(tmp, runs):
    """Every setup once, back to back, so machine noise hits all alike."""
    tp = Testpmd(tmp)
    try:
        run_setup("testpmd", tp.up, tp.vm, runs)
    finally:
        tp.stop()
    for label, extra in SETUPS:
        d = Daemon(tempfile.mkdtemp(prefix="fn-", dir=tmp))
        try:
            # net_vhost reports a 10G link, which fairnic would take as the
            # uplink's tx-rate (auto); testpmd shapes nothing, so neither do we
            d.ctl.ok("uplink", "set", "up0", "tx-rate", "0")
            if label == "fairnic+sharing":
                d.ctl.ok("uplink", "set", "up0", "rx-rate", "100gbit", "tx-rate", "100gbit")
            ip = extra == "ip"
            extra = [] if ip else extra
            d.ctl.ok("vnic", "add", "vm1", "mac", VM, "vhost-user", d.sock("vm1"), *extra,
                     *(IP_VM1 if ip else []))
            d.ctl.ok("vnic", "add", "vm2", "mac", VM2, "vhost-user", d.sock("vm2"), *extra,
                     *(IP_VM2 if ip else []))
            run_setup(label, d.uplink_socks["up0"], d.sock("vm1"), runs, d.sock("vm2"))
        finally:
            d.stop()


def main():
    if os.geteuid() != 0:
        sys.exit("bench: run as root")
    ensure_hugepages()
    tmp = tempfile.mkdtemp(prefix="fairnic-bench-")
    runs = {}
    print(f"fairnic benchmark: {MS} ms per run, {REPEATS} rounds (setups interleaved), median; "
          f"forwarding on CPU 1, traffic on CPU 0")
    for i in range(REPEATS):
        one_round(tmp, runs)
        print(f"round {i + 1}: " + ", ".join(f"{k[0]} {k[1]} {k[2]}B {v[-1]:.2f}" for k, v in runs.items()),
              flush=True)
    results = {k: statistics.median(v) for k, v in runs.items()}
    print("\n| direction | frame | testpmd Mpps | fairnic Mpps | ratio | +limits&checks Mpps | ratio "
          "| +sharing (min, weight, ceiling, capacity) Mpps | ratio | ip set (L3 guard) Mpps | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for direction, length in CASES:
        tp_ = results[("testpmd", direction, length)]
        fn = results[("fairnic", direction, length)]
        fl = results[("fairnic+limits", direction, length)]
        fs = results[("fairnic+sharing", direction, length)]
        fi = results[("fairnic+ip", direction, length)]
        ratio = (lambda a, b: f"{a / b:.2f}" if b else "n/a")
        print(f"| {direction} | {length + 4}B | {tp_:.3f} | {fn:.3f} | {ratio(fn, tp_)} | {fl:.3f} | "
              f"{ratio(fl, tp_)} | {fs:.3f} | {ratio(fs, tp_)} | {fi:.3f} | {ratio(fi, tp_)} |")
    # Per round, the ratio of each fairnic setup to testpmd in that round
    # (the setups of a round run back to back): how far noise moves them.
    print("\nratio to testpmd per round, 64 B VM -> VM:")
    for label, _ in SETUPS:
        per = [f / t for f, t in zip(runs[(label, "vm->vm", 60)], runs[("testpmd", "vm->vm", 60)])]
        print(f"  {label}: " + " ".join(f"{x:.2f}" for x in per) +
              f" (median {statistics.median(per):.2f})")
    per = [i / f for i, f in zip(runs[("fairnic+ip", "vm->vm", 60)], runs[("fairnic", "vm->vm", 60)])]
    print("ip set vs not, 64 B VM -> VM, per round: " + " ".join(f"{x:.2f}" for x in per) +
          f" (median {statistics.median(per):.2f})")
    print("(what the core adds per frame, free of vhost's copies and of machine noise: "
          "build/core_cycles, run by `make bench` first)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
