"""Efficiency through the real fairnicd (issue 8): the data plane sleeps
when idle and wakes on a guest's kick or a frame from the wire; idle guests
cost a busy one nothing; notifications to a guest with interrupts on are
coalesced above ~10 kpps and not below.

CPU time is read from /proc (the daemon's threads, utime + stime).
"""
import time

import pytest

from fairnic import Daemon, Traffic, cpu_seconds
from test_datapath import OTHER, VM, WIRE, add_vnic, attach, setup  # noqa: F401


def idle_cpu(d, seconds=2.0):
    """Share of one core fairnicd used over `seconds` of silence."""
    c0, t0 = cpu_seconds(d.proc.pid), time.monotonic()
    time.sleep(seconds)      # measuring a rate over time: nothing to await
    return (cpu_seconds(d.proc.pid) - c0) / (time.monotonic() - t0)


def test_idle_daemon_sleeps_and_wakes(setup):
    """Guests attached, traffic over: fairnicd uses < 2 % of a core, and
    still forwards at once from the wire and between guests."""
    d, t = setup
    t.ok(f"send wire count=100 dst={VM[1]} src={WIRE}")
    assert t.ok("recv v1 until=100")["packets"] == 100
    share = idle_cpu(d)
    print(f"idle fairnicd: {100 * share:.2f} % of a core")
    assert share < 0.02
    t.ok(f"send wire count=10 dst={VM[2]} src={WIRE}")
    assert t.ok("recv v2 until=10 ms=2000")["packets"] == 10
    t.ok(f"send v1 count=10 dst={VM[3]} src={VM[1]}")
    assert t.ok("recv v3 until=10 ms=2000")["packets"] == 10
    t.ok(f"send v3 count=10 dst={OTHER} src={VM[3]}")
    assert t.ok("recv wire until=10 ms=2000")["packets"] == 10


def test_busy_mode_polls(tmp_path):
    """--poll-mode busy keeps the core (the measure above can fail)."""
    d = Daemon(tmp_path, extra=["--poll-mode", "busy"])
    try:
        share = idle_cpu(d, 1.0)
        print(f"busy fairnicd: {100 * share:.0f} % of a core")
        assert share > 0.5
    finally:
        d.stop()


def test_bad_poll_options_refused(tmp_path):
    for extra in (["--poll-mode", "lazy"], ["--idle-sleep-max", "0"]):
        d = None
        with pytest.raises(AssertionError):
            d = Daemon(tmp_path, extra=extra)
        if d:
            d.stop()


def test_first_frame_after_silence(setup):
    """After 100 ms and 1 s of silence (the worker asleep), a frame from the
    wire and one from a guest arrive, with a bounded delay (printed)."""
    d, t = setup
    for tx, rx, dst, src in (("wire", "v1", VM[1], WIRE), ("v2", "v3", VM[3], VM[2])):
        for gap, n in ((100, 20), (1000, 3)):
            r = t.ok(f"latency {tx} {rx} count={n} gap_ms={gap} dst={dst} src={src}")
            print(f"{tx}->{rx} after {gap} ms: p50 {r['p50_us']} us, p99 {r['p99_us']} us, "
                  f"max {r['max_us']} us")
            assert r["received"] == n and r["lost"] == 0, r
            assert r["max_us"] < 50_000, r        # woken, not found by a timer


def rx_notifications(d, t, name, port, pps, ms=1500):
    """Frames at `pps` from the wire to vNIC `name` (guest port `port`):
    (frames delivered, notifications) over the run, from fairnic's counters."""
    d.ctl.ok("stats", "reset", name)
    t.ok(f"run ms={ms} tx=wire:dst={VM[int(name[-1])]}:src={WIRE}:len=64:pps={pps} rx={port}")
    s = d.ctl.vnic_stats(name)
    return s["rx_packets"], s["notifications"], s


def test_notifications_coalesced_above_10kpps(tmp_path):
    """A guest with receive interrupts on (as Linux virtio-net keeps them
    between NAPI polls) is notified about once per frame at 5 kpps, but
    once per many frames at 50 kpps and beyond (held at most 500 us or 32
    frames); with rx-coalesce-usecs 0, once per frame again. A guest that
    polls (interrupts off) is never notified and its frames never held."""
    d = Daemon(tmp_path)
    t = Traffic()
    try:
        add_vnic(d, 1)
        add_vnic(d, 2)
        t.attach_wire(d, "wire", "up0", mac=WIRE)
        t.attach("v1", d.sock("vm1"), mac=VM[1], intr=True)
        t.attach("v2", d.sock("vm2"), mac=VM[2])
        got = {}
        for pps in (5000, 50000, 1000000):
            frames, notes, s = rx_notifications(d, t, "vm1", "v1", pps)
            got[pps] = frames / max(notes, 1)
            print(f"{pps} pps: {frames} frames, {notes} notifications, "
                  f"{got[pps]:.1f} frames per notification; {s['rx_frames_per_notification']:.1f}")
            assert frames > 0 and notes > 0
        assert got[5000] < 1.5                  # low rate: no hold, no delay
        assert got[50000] >= 10                 # ~25: 500 us of 50 kpps
        assert got[1000000] >= 25               # ~32: rx-coalesce-frames
        assert d.ctl.vnic_stats("vm1")["rx_drop_guest_full"] == 0
        d.ctl.ok("vnic", "set", "vm1", "rx-coalesce-usecs", "0")
        frames, notes, _ = rx_notifications(d, t, "vm1", "v1", 50000)
        print(f"coalescing off, 50 kpps: {frames / max(notes, 1):.2f} frames per notification")
        assert frames / max(notes, 1) < 2
        frames, notes, _ = rx_notifications(d, t, "vm2", "v2", 50000)
        assert frames > 0 and notes == 0
    finally:
        t.close()
        d.stop()


PORTS_PER_PROCESS = 30     # fntraffic's DPDK has 32 ports


@pytest.mark.parametrize("idle", [64])
def test_idle_guests_cost_a_busy_one_little(tmp_path, idle):
    """`idle` more guests connected and silent (held by traffic processes
    that do nothing else): a flood to vm1 keeps most of the rate it has
    alone, since the idle ones leave the polled set. Measured alone, with
    them (twice), and alone again after deleting them; best of each.
    Issue 8's goal (>= 90 % with 500) is a benchmark figure
    (bench/idle_guests.py): measured here between 86 % and 105 % from run
    to run on a noisy machine, so the test asserts 75 %, which polling the
    idle guests every round (as before) would miss by far (256 idle guests
    cost a busy vNIC 41 % then)."""
    d = Daemon(tmp_path, extra=["--max-vnics", str(idle + 8)])
    t = Traffic()
    crowds = []
    try:
        add_vnic(d, 1)
        t.attach_wire(d, "wire", "up0", mac=WIRE)
        attach(d, t, 1)
        spec = f"tx=wire:dst={VM[1]}:src={WIRE}:len=64 rx=v1"

        def rate():
            return t.ok(f"run ms=1500 warmup=300 {spec}")["rx"]["v1"]["pps"]

        alone = [rate()]
        for i in range(idle):
            if i % PORTS_PER_PROCESS == 0:
                crowds.append(Traffic(mbufs=PORTS_PER_PROCESS * 1100 + 8192))
            mac = f"52:54:00:01:{i // 256:02x}:{i % 256:02x}"
            d.ctl.ok("vnic", "add", f"idle{i}", "mac", mac, "vhost-user", d.sock(f"idle{i}"))
            crowds[-1].attach(f"i{i}", d.sock(f"idle{i}"), mac=mac)
        assert sum(v["connected"] for v in d.ctl.ok("vnic", "show")["vnics"]) == idle + 1
        crowd = [rate(), rate()]
        for i in range(idle):
            d.ctl.ok("vnic", "del", f"idle{i}")
        alone.append(rate())
        a, c = max(alone), max(crowd)
        print(f"vm1 alone {a / 1e6:.2f} Mpps, beside {idle} idle guests {c / 1e6:.2f} Mpps "
              f"({100 * c / a:.0f} %)")
        assert c >= 0.75 * a
    finally:
        for x in crowds:
            x.close()
        t.close()
        d.stop()


def test_idle_after_a_tap_vnic_came_and_went(tmp_path):
    """A tap vNIC is polled always (no kick to wait for), so while one
    exists fairnicd sleeps by the clock, up to --idle-sleep-max between
    polls: with 5 ms, < 2 % of a core (with the default 500 us it is about
    5-9 %: a wake-up costs tens of us in this VM). Once the tap vNIC is
    deleted, fairnicd blocks again: < 2 % whatever the setting."""
    d = Daemon(tmp_path, extra=["--idle-sleep-max", "5000"])
    try:
        d.ctl.ok("vnic", "add", "t1", "mac", "52:54:00:00:0a:01", "tap", "fnidle0")
        timed = idle_cpu(d)
        print(f"idle fairnicd with a tap vNIC (timed sleeps): {100 * timed:.2f} % of a core")
        assert timed < 0.02
        d.ctl.ok("vnic", "del", "t1")
        share = idle_cpu(d)
        print(f"idle fairnicd after a tap vNIC came and went: {100 * share:.2f} % of a core")
        assert share < 0.02
    finally:
        d.stop()
