#!/usr/bin/env python3
"""fairnic demo: the research's core experiment, live, on simulated VMs.

fairnicd runs with one simulated uplink and four vhost-user vNICs. A
separate process (fntraffic) plays the wire and the four guests: its guest
ports keep interrupts enabled, like a Linux virtio-net guest, so every
notification fairnicd sends is counted.

  phase 1  flood all four vNICs with 64-byte frames: equal shares
  phase 2  flood only vNIC 1
  phase 3  `fairnicctl vnic set vm1 rx-pps 24000`, flood all four again:
           vm1 is held at 24,000 packets/s, the others are unaffected, and
           fairnicd's work for vm1 (frames copied, notifications) drops.
  phase 4  seed 002's Figure 10, in software: the uplink's tx-rate is 2 Gbit/s,
           vm1 and vm2 send 1514-byte frames flat out, vm2's tx-rate steps
           through 150, 350, 550, 750 and 950 Mbit/s: vm2 gets its ceiling,
           vm1 takes the rest of the link every time, and nothing is dropped
           (frames wait in the guests).
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from fairnic import FAIRNICCTL, Daemon, Traffic, ensure_hugepages  # noqa: E402

PHASE_MS = int(os.environ.get("FAIRNIC_DEMO_MS", "4000"))
WIRE_MAC = "02:00:00:00:00:fe"
VMS = [(f"vm{i}", f"52:54:00:00:00:0{i}") for i in range(1, 5)]
COLS = ["rx_packets", "rx_drop_rate", "rx_drop_queue_limit", "rx_drop_aqm", "rx_drop_pool",
        "rx_drop_guest_full", "notifications"]
STEPS_MS = int(os.environ.get("FAIRNIC_DEMO_STEP_MS", "1500"))
FIG10_STEPS = [150, 350, 550, 750, 950]


def counters(ctl):
    return {v["name"]: v for v in ctl.ok("stats")["vnics"]}


def phase(ctl, traffic, title, dsts):
    before = counters(ctl)
    dst = "+".join(mac for _, mac in dsts)
    r = traffic.ok(f"run ms={PHASE_MS} warmup=300 tx=wire:dst={dst}:src={WIRE_MAC}:len=64 "
                   f"rx={','.join(n for n, _ in VMS)}")
    after = counters(ctl)
    secs = PHASE_MS / 1000.0
    print(f"\n== {title} ==")
    print(f"offered by the wire: {r['tx']['wire']['pps'] / 1e6:.2f} Mpps of 64-byte frames")
    hdr = f"{'vNIC':<5} {'guest rx pps':>13} {'copied/s':>10} {'shaped-away/s':>14} " \
          f"{'guest-full/s':>13} {'notifications/s':>16}"
    print(hdr)
    print("-" * len(hdr))
    out = {}
    for name, _ in VMS:
        d = {c: (after[name][c] - before[name][c]) / (secs + 0.3) for c in COLS}
        d["shaped"] = d["rx_drop_rate"] + d["rx_drop_queue_limit"] + d["rx_drop_aqm"] + d["rx_drop_pool"]
        got = r["rx"][name]["pps"]
        out[name] = (got, d)
        print(f"{name:<5} {got:>13,.0f} {d['rx_packets']:>10,.0f} {d['shaped']:>14,.0f} "
              f"{d['rx_drop_guest_full']:>13,.0f} {d['notifications']:>16,.0f}")
    return out


def figure10(ctl, traffic):
    """Seed 002, Figure 10: a guest's ceiling stepped; the other takes the rest."""
    print("\n== phase 4: seed 002's Figure 10 (uplink tx-rate 2gbit, 1514-byte frames) ==")
    print("$ fairnicctl uplink set up0 tx-rate 2gbit")
    ctl.ok("uplink", "set", "up0", "tx-rate", "2gbit")
    hdr = f"{'vm2 tx-rate':>12} {'vm1 Mbit/s':>11} {'vm2 Mbit/s':>11} {'link Mbit/s':>12} {'dropped':>8}"
    print(hdr)
    print("-" * len(hdr))
    spec = " ".join(f"tx={n}:dst=02:00:00:00:00:ee:src={mac}:len=1514" for n, mac in VMS[:2])
    rows = []
    for step in FIG10_STEPS:
        ctl.ok("vnic", "set", "vm2", "tx-rate", f"{step}mbit")
        traffic.ok(f"run ms=300 {spec} rx=wire")             # settle at the new ceiling
        before = counters(ctl)
        r = traffic.ok(f"run ms={STEPS_MS} {spec} rx=wire")
        after = counters(ctl)
        secs = r["ms"] / 1000.0
        got = {n: (after[n]["tx_bytes"] - before[n]["tx_bytes"]) * 8 / secs / 1e6 for n, _ in VMS[:2]}
        dropped = sum(after[n][k] - before[n][k] for n, _ in VMS[:2] for k in after[n]
                      if k.startswith("tx_drop_") and isinstance(after[n][k], int)
                      and "tap_kernel" not in k)
        rows.append((step, got["vm1"], got["vm2"], dropped))
        print(f"{step:>9} Mb {got['vm1']:>11,.0f} {got['vm2']:>11,.0f} "
              f"{got['vm1'] + got['vm2']:>12,.0f} {dropped:>8}")
    return rows


def main():
    if os.geteuid() != 0:
        sys.exit("demo: run as root (DPDK needs hugepages)")
    ensure_hugepages()
    tmp = tempfile.mkdtemp(prefix="fairnic-demo-")
    print(f"fairnic demo: fairnicd + 4 simulated VMs + simulated uplink (files in {tmp})")
    d = Daemon(tmp)
    t = Traffic()
    try:
        for name, mac in VMS:
            d.ctl.ok("vnic", "add", name, "mac", mac, "vhost-user", d.sock(name))
        t.attach("wire", d.uplink_socks["up0"], mac=WIRE_MAC)
        for name, mac in VMS:
            t.attach(name, d.sock(name), mac=mac, intr=True)
        print(subprocess.run([FAIRNICCTL, "-s", d.ctl_path, "vnic", "show"],
                             capture_output=True, text=True).stdout)
        p1 = phase(d.ctl, t, "phase 1: flood all four vNICs", VMS)
        p2 = phase(d.ctl, t, "phase 2: flood only vNIC 1", VMS[:1])
        cmd = [FAIRNICCTL, "-s", d.ctl_path, "vnic", "set", "vm1", "rx-pps", "24000"]
        print("\n$ fairnicctl vnic set vm1 rx-pps 24000")
        subprocess.run(cmd, check=True)
        p3 = phase(d.ctl, t, "phase 3: vm1 limited to 24,000 pps, flood all four", VMS)
        fig = figure10(d.ctl, t)

        print("\n== summary ==")
        held = p3["vm1"][0]
        print(f"vm1 held at {held:,.0f} pps under flood (limit 24,000: {100 * held / 24000:.1f}%)")
        for name, _ in VMS[1:]:
            print(f"{name}: {p1[name][0]:,.0f} pps in phase 1, {p3[name][0]:,.0f} pps in phase 3")
        w1, w3 = p1["vm1"][1], p3["vm1"][1]
        print(f"fairnicd work for vm1, phase 1 -> phase 3: copies {w1['rx_packets']:,.0f}/s -> "
              f"{w3['rx_packets']:,.0f}/s, notifications {w1['notifications']:,.0f}/s -> "
              f"{w3['notifications']:,.0f}/s; the excess {w3['shaped']:,.0f}/s is dropped "
              f"in vm1's receive queue, before any copy")
        ok = abs(held - 24000) / 24000 < 0.05
        # Figure 10: vm2 at its ceiling, vm1 the rest of 2 Gbit/s, no drops (5% each)
        fig_ok = all(abs(v2 - step) / step < 0.05 and abs(v1 - (2000 - step)) / (2000 - step) < 0.05
                     and dropped == 0 for step, v1, v2, dropped in fig)
        print(f"figure 10: vm2 at its ceiling and vm1 the rest of the link at every step: "
              f"{'yes' if fig_ok else 'NO'}")
        print("result:", "PASS" if ok and fig_ok else "FAIL",
              "(vm1 within 5% of its limit; figure 10 within 5%, no drops)")
        return 0 if ok and fig_ok else 1
    finally:
        t.close()
        d.stop()


if __name__ == "__main__":
    sys.exit(main())
