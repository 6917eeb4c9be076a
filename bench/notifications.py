#!/usr/bin/env python3
"""Notification coalescing (issue 8), measured through the real fairnicd.

A guest that keeps receive interrupts on (an fntraffic virtio-user port
with `intr`, as Linux virtio-net between NAPI polls) gets 64 B frames
paced from the wire.

1. Sweep of offered rates (5 k, 50 k, 500 k, 1 M pps), coalescing off
   (`rx-coalesce-usecs 0`) and adaptive (the defaults: 500 us, 32 frames):
   notifications/s, frames per notification, and fairnicd's CPU per
   delivered frame (its threads' CPU time from /proc over the run, times
   the TSC rate, over the frames delivered).
2. Seed 001's hold sweep (its Figure 2.5 / Table 2.3) in software: one
   rate (RATE, default 200 kpps), `rx-coalesce-frames 0` (no frame cap)
   and `rx-coalesce-adaptive off`, the hold from 0 to 5 ms: notifications/s
   and the rate delivered (frames the guest's ring could not take are
   counted as rx_drop_guest_full). Written as a table and as an SVG plot
   (bench/out/hold_sweep.svg; docs/img/ keeps a copy).

`/usr/bin/python3 bench/notifications.py` as root, about 2 minutes.
Forwarding on CPU 1, traffic on CPU 0.
"""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from fairnic import Daemon, Traffic, cpu_seconds, ensure_hugepages  # noqa: E402

WIRE, VM = "02:00:00:00:00:fe", "52:54:00:00:00:01"
MS = 2000
RATE = int(os.environ.get("RATE", "200000"))
HOLDS_US = (0, 50, 100, 250, 500, 1000, 2000, 5000)


def tsc_hz():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("cpu MHz"):
                return float(line.split(":")[1]) * 1e6
    return 0.0


def one_run(d, t, pps):
    """Frames at `pps` for MS: (delivered/s, notifications/s, frames per
    notification, cycles per delivered frame, guest-full drops)."""
    d.ctl.ok("stats", "reset", "vm1")
    c0, t0 = cpu_seconds(d.proc.pid), time.monotonic()
    t.ok(f"run ms={MS} tx=wire:dst={VM}:src={WIRE}:len=60:pps={pps} rx=v1")
    cpu, wall = cpu_seconds(d.proc.pid) - c0, time.monotonic() - t0
    s = d.ctl.vnic_stats("vm1")
    frames, notes = s["rx_packets"], s["notifications"]
    return (frames / (MS / 1000), notes / (MS / 1000), frames / max(notes, 1),
            cpu * tsc_hz() / max(frames, 1), s["rx_drop_guest_full"], cpu / wall)


def svg_plot(rows, path):
    """Notifications/s and delivered kpps against the hold, two y axes."""
    w, h, left, right, top, bottom = 640, 360, 70, 70, 30, 50
    xs = list(range(len(rows)))
    notes = [r[2] for r in rows]
    rates = [r[1] / 1000 for r in rows]
    nmax, rmax = max(notes) * 1.1 or 1, max(rates) * 1.1 or 1

    def px(i):
        return left + i * (w - left - right) / max(len(xs) - 1, 1)

    def py(v, vmax):
        return h - bottom - v * (h - top - bottom) / vmax

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2}" y="18" text-anchor="middle">Hold sweep at {RATE // 1000} kpps, '
           f'64 B, guest with interrupts on</text>',
           f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" stroke="black"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="black"/>',
           f'<line x1="{w - right}" y1="{top}" x2="{w - right}" y2="{h - bottom}" stroke="black"/>']
    for i, r in enumerate(rows):
        out.append(f'<text x="{px(i)}" y="{h - bottom + 16}" text-anchor="middle">{r[0]}</text>')
    out.append(f'<text x="{w / 2}" y="{h - 12}" text-anchor="middle">rx-coalesce-usecs (hold, us)</text>')
    for k in range(5):
        v = nmax * k / 4
        out.append(f'<text x="{left - 6}" y="{py(v, nmax) + 4}" text-anchor="end" fill="#c0392b">'
                   f'{v / 1000:.0f}k</text>')
        v = rmax * k / 4
        out.append(f'<text x="{w - right + 6}" y="{py(v, rmax) + 4}" fill="#2166ac">{v:.0f}</text>')
    out.append(f'<text x="14" y="{h / 2}" transform="rotate(-90 14 {h / 2})" text-anchor="middle" '
               f'fill="#c0392b">notifications/s</text>')
    out.append(f'<text x="{w - 12}" y="{h / 2}" transform="rotate(90 {w - 12} {h / 2})" '
               f'text-anchor="middle" fill="#2166ac">delivered kpps</text>')
    for vals, vmax, colour in ((notes, nmax, "#c0392b"), (rates, rmax, "#2166ac")):
        pts = " ".join(f"{px(i):.1f},{py(v, vmax):.1f}" for i, v in enumerate(vals))
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(vals):
            out.append(f'<circle cx="{px(i):.1f}" cy="{py(v, vmax):.1f}" r="3" fill="{colour}"/>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    if os.geteuid() != 0:
        sys.exit("notifications: run as root")
    ensure_hugepages()
    d = Daemon(tempfile.mkdtemp(prefix="fn-notif-"))
    t = Traffic()
    try:
        d.ctl.ok("uplink", "set", "up0", "tx-rate", "0")
        d.ctl.ok("vnic", "add", "vm1", "mac", VM, "vhost-user", d.sock("vm1"))
        t.attach_wire(d, "wire", "up0", mac=WIRE)
        t.attach("v1", d.sock("vm1"), mac=VM, intr=True)
        t.ok(f"run ms=200 tx=wire:dst={VM}:src={WIRE}:len=60:pps=10000 rx=v1")

        print("## 1. Offered rate, coalescing off and adaptive (defaults)\n")
        print("| offered | coalescing | delivered/s | notifications/s | frames per notification "
              "| fairnicd cycles per delivered frame | fairnicd CPU |")
        print("|---|---|---|---|---|---|---|")
        for pps in (5000, 50000, 500000, 1000000):
            for label, keys in (("off", ["rx-coalesce-usecs", "0"]),
                                ("adaptive", ["rx-coalesce-usecs", "500", "rx-coalesce-frames", "32",
                                              "rx-coalesce-adaptive", "on"])):
                d.ctl.ok("vnic", "set", "vm1", *keys)
                got, notes, per, cyc, full, share = one_run(d, t, pps)
                print(f"| {pps // 1000} kpps | {label} | {got:,.0f} | {notes:,.0f} | {per:.1f} | "
                      f"{cyc:,.0f} | {100 * share:.0f} % |", flush=True)

        print(f"\n## 2. Hold sweep at {RATE // 1000} kpps (rx-coalesce-frames 0, adaptive off)\n")
        print("| hold (us) | delivered/s | notifications/s | frames per notification | rx_drop_guest_full |")
        print("|---|---|---|---|---|")
        d.ctl.ok("vnic", "set", "vm1", "rx-coalesce-frames", "0", "rx-coalesce-adaptive", "off")
        rows = []
        for hold in HOLDS_US:
            d.ctl.ok("vnic", "set", "vm1", "rx-coalesce-usecs", str(hold))
            got, notes, per, _, full, _ = one_run(d, t, RATE)
            rows.append((hold, got, notes))
            print(f"| {hold} | {got:,.0f} | {notes:,.0f} | {per:.1f} | {full} |", flush=True)
        out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")
        os.makedirs(out, exist_ok=True)
        svg_plot(rows, os.path.join(out, "hold_sweep.svg"))
        print(f"\nplot: {os.path.join(out, 'hold_sweep.svg')}")
    finally:
        t.close()
        d.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
