"""Fair sharing through the real fairnicd (issue 7): guarantees, weights and
ceilings in both directions, receive queues that shape, isolation from a
flooded neighbour, and order.

The traffic process plays the wire and the guests through vhost-user, as
in test_datapath.py. Shares are measured from fairnic's own counters over
a window of about 2 s taken while the traffic runs, after a warm-up.
"""
import threading
import time

from fairnic import wait_for
# the same three vNICs on up0 with their guests and the wire as test_datapath
from test_datapath import OTHER, VM, WIRE, setup  # noqa: F401 (setup: a fixture)

BCAST = "ff:ff:ff:ff:ff:ff"
MBIT = 1e6


def run_measured(d, t, spec, counter, names, ms=3000, window=(0.8, 2.8)):
    """Run `spec` in the traffic process for `ms`; meanwhile read `counter`
    (or counter[name]) of each vNIC in `names` at the two times of `window`
    (seconds after the start). @return ({name: bits/s or frames/s}, the
    run's reply)."""
    which = counter if isinstance(counter, dict) else {n: counter for n in names}
    ctl = type(d.ctl)(d.ctl_path)
    marks = []

    def sample():
        start = time.monotonic()
        for at in window:
            time.sleep(max(0, start + at - time.monotonic()))
            marks.append((time.monotonic(), {n: ctl.vnic_stats(n)[which[n]] for n in names}))

    th = threading.Thread(target=sample)
    th.start()
    r = t.ok(f"run ms={ms} {spec}")
    th.join()
    ctl.close()
    (t0, a), (t1, b) = marks
    scale = {n: 8 if which[n].endswith("bytes") else 1 for n in names}
    return {n: (b[n] - a[n]) * scale[n] / (t1 - t0) for n in names}, r


def drops(stats, prefix):
    return {k: v for k, v in stats.items()
            if k.startswith(prefix) and isinstance(v, int) and v and "tap_kernel" not in k}


def test_transmit_shares_worked_example(setup):
    """The issue's worked example on the uplink: tx-rate 1gbit; vm1 min
    600, vm2 defaults, vm3 weight 2 ceiling 150 -> 725 / 125 / 150, all
    sending flat out, and fairnic drops nothing (frames wait in the guests)."""
    d, t = setup
    d.ctl.ok("uplink", "set", "up0", "tx-rate", "1gbit")
    d.ctl.ok("vnic", "set", "vm1", "tx-min", "600mbit")
    d.ctl.ok("vnic", "set", "vm3", "tx-weight", "2", "tx-rate", "150mbit")
    d.ctl.ok("stats", "reset")
    spec = " ".join(f"tx=v{n}:dst={OTHER}:src={VM[n]}:len=1514" for n in VM) + " rx=wire"
    got, r = run_measured(d, t, spec, "tx_bytes", [f"vm{n}" for n in VM])
    want = {"vm1": 725 * MBIT, "vm2": 125 * MBIT, "vm3": 150 * MBIT}
    print({k: round(v / MBIT, 1) for k, v in got.items()}, d.ctl.stats())
    for n, w in want.items():
        assert abs(got[n] - w) / w < 0.03, (n, got[n] / MBIT, w / MBIT)
    for n in VM:
        assert drops(d.ctl.vnic_stats(f"vm{n}"), "tx_drop_") == {}, n
    assert d.ctl.uplink_stats("up0")["tx_drop_full"] == 0
    # the wire got what the vNICs sent, at the uplink's rate
    assert abs(r["rx"]["wire"]["pps"] * 1514 * 8 - 1000 * MBIT) / (1000 * MBIT) < 0.03, r


def test_transmit_share_follows_live_changes(setup):
    """A guarantee comes back at once when its owner sends again, and a
    live weight change moves the split (work-conserving, like HTB)."""
    d, t = setup
    d.ctl.ok("uplink", "set", "up0", "tx-rate", "600mbit")
    d.ctl.ok("vnic", "set", "vm2", "tx-weight", "2")
    spec = " ".join(f"tx=v{n}:dst={OTHER}:src={VM[n]}:len=1514" for n in (1, 2)) + " rx=wire"
    got, _ = run_measured(d, t, spec, "tx_bytes", ["vm1", "vm2"])
    assert abs(got["vm1"] - 200 * MBIT) / (200 * MBIT) < 0.03, got
    assert abs(got["vm2"] - 400 * MBIT) / (400 * MBIT) < 0.03, got
    d.ctl.ok("vnic", "set", "vm1", "tx-weight", "3")
    got, _ = run_measured(d, t, spec, "tx_bytes", ["vm1", "vm2"])
    assert abs(got["vm1"] - 360 * MBIT) / (360 * MBIT) < 0.03, got
    assert abs(got["vm2"] - 240 * MBIT) / (240 * MBIT) < 0.03, got


def test_receive_weights_when_the_core_is_the_bottleneck(setup):
    """Equal floods to the three vNICs, more than fairnic's core can copy:
    the deliveries split by rx-weight 3:1:1. The flood is broadcast, so
    every frame the traffic process sends costs fairnic three copies: that
    makes fairnic's core, not the traffic process, the bottleneck."""
    d, t = setup
    d.ctl.ok("vnic", "set", "vm1", "rx-weight", "3")
    spec = f"tx=wire:dst={BCAST}:src={WIRE}:len=64 rx=v1,v2,v3"
    got, r = run_measured(d, t, spec, "rx_packets", ["vm1", "vm2", "vm3"])
    offered = r["tx"]["wire"]["pps"]
    print(f"offered {offered:.0f} pps to each, delivered {got}")
    assert got["vm1"] < 0.8 * offered, f"not a core bottleneck: {offered} offered, {got}"
    assert abs(got["vm1"] / got["vm2"] - 3) < 0.3, got
    assert abs(got["vm2"] / got["vm3"] - 1) < 0.1, got
    for n in VM:     # the excess was dropped in the queues, before any copy
        s = d.ctl.vnic_stats(f"vm{n}")
        assert s["rx_drop_queue_limit"] + s["rx_drop_pool"] + s["rx_drop_aqm"] > 0, s
    assert d.ctl.uplink_stats("up0")["rx_drop_ring_full"] == 0


def test_paced_stream_survives_a_flooded_neighbour(setup):
    """vm1 (no limits) is flooded beyond what fairnic can deliver; a stream
    to vm2 in the same wire ring (1 frame in 25) loses < 2 %."""
    d, t = setup
    dsts = "+".join([VM[1]] * 24 + [VM[2]])
    r = t.ok(f"run ms=2000 warmup=300 tx=wire:dst={dsts}:src={WIRE}:len=64 rx=v1,v2")
    sent_to_vm2 = r["tx"]["wire"]["packets"] / 25
    got = r["rx"]["v2"]["packets"]
    s1 = d.ctl.vnic_stats("vm1")
    print(f"vm2 got {got} of {sent_to_vm2:.0f}; vm1 {s1}")
    assert drops(s1, "rx_drop_"), "vm1 was not flooded beyond delivery"
    assert got >= 0.98 * sent_to_vm2, (got, sent_to_vm2)
    assert drops(d.ctl.vnic_stats("vm2"), "rx_drop_") == {}


def test_transmit_keeps_its_share_beside_a_receive_flood(setup):
    """Neither direction starves the other (seed 002 saw receive take the
    core from transmit): vm2 sends flat out to the wire while vm1 and vm3
    take a broadcast flood from the wire that is more than the core can
    deliver. vm2 keeps at least half the rate it has alone, and vm1 is
    not starved either (measured: about a third of what it gets without
    vm2's traffic; asserted: 15 %). Each setting is
    measured twice, alternating, so that machine noise hits all alike."""
    d, t = setup
    d.ctl.ok("vnic", "set", "vm2", "vlan", "7")     # the broadcasts miss vm2
    send = f"tx=v2:dst={OTHER}:src={VM[2]}:len=60"
    flood = f"tx=wire:dst={BCAST}:src={WIRE}:len=60"
    which = {"vm1": "rx_packets", "vm2": "tx_packets"}
    tx_alone = rx_alone = tx_both = rx_both = 0
    for _ in range(2):
        got, _ = run_measured(d, t, f"{send} rx=wire", which, ["vm2"])
        tx_alone += got["vm2"]
        got, _ = run_measured(d, t, f"{flood} rx=v1,v3", which, ["vm1"])
        rx_alone += got["vm1"]
        got, _ = run_measured(d, t, f"{send} {flood} rx=wire,v1,v3", which, ["vm1", "vm2"])
        tx_both += got["vm2"]
        rx_both += got["vm1"]
    s1, u = d.ctl.vnic_stats("vm1"), d.ctl.uplink_stats("up0")
    print(f"vm2 sends {tx_alone / 2e6:.2f} Mpps alone, {tx_both / 2e6:.2f} beside the flood; "
          f"vm1 gets {rx_alone / 2e6:.2f} Mpps of the flood alone, {rx_both / 2e6:.2f} beside vm2")
    # the flood was beyond delivery: dropped in the queues or the wire's ring
    assert drops(s1, "rx_drop_") or u["rx_drop_ring_full"], (s1, u)
    assert tx_both >= 0.5 * tx_alone, (tx_both, tx_alone)
    assert rx_both >= 0.15 * rx_alone, (rx_both, rx_alone)
    assert drops(d.ctl.vnic_stats("vm2"), "tx_drop_") == {}


def test_flood_into_a_huge_queue_costs_a_neighbour_nothing(setup):
    """Pool isolation: vm1 shaped to 10mbit with a 1gb rx-queue fills its
    share of the packet buffers; vm2, fed in the same stream, loses none."""
    d, t = setup
    d.ctl.ok("vnic", "set", "vm1", "rx-rate", "10mbit", "rx-queue", "1gb", "rx-aqm", "tail")
    dsts = "+".join([VM[1]] * 15 + [VM[2]])
    r = t.ok(f"run ms=1500 tx=wire:dst={dsts}:src={WIRE}:len=1514 rx=v2")
    t.ok("drain v1 v2")
    s1, s2 = d.ctl.vnic_stats("vm1"), d.ctl.vnic_stats("vm2")
    print(s1, s2, d.ctl.stats()["pool"])
    assert s1["rx_drop_pool"] > 0, s1                 # vm1 reached its share
    assert drops(s2, "rx_drop_") == {}, s2             # vm2 never lacked a buffer
    assert s2["rx_packets"] == r["tx"]["wire"]["packets"] // 16, (s2, r)


def test_order_kept_across_unicast_and_broadcast(setup):
    """Frames to one vNIC arrive in the order sent, broadcasts included."""
    d, t = setup
    t.ok(f"send wire count=64 dst={VM[1]}+{BCAST}+{VM[1]}+{VM[1]} src={WIRE}")
    got = t.ok("recv v1 until=64")
    seqs = [f["seq"] for f in got["frames"]]
    assert got["packets"] == 64 and seqs == sorted(seqs), seqs
    assert [f["dst"] for f in got["frames"][:4]] == [VM[1], BCAST, VM[1], VM[1]]
    assert t.ok("recv v2 until=16")["packets"] == 16


def test_every_received_frame_in_exactly_one_counter(setup):
    """Mixed overload: every frame from the wire to vm1 is delivered or in
    exactly one drop counter, once the queues are drained."""
    d, t = setup
    d.ctl.ok("vnic", "set", "vm1", "rx-rate", "50mbit", "rx-queue", "64kb")
    d.ctl.ok("stats", "reset")
    t.ok(f"run ms=1000 tx=wire:dst={VM[1]}:src={WIRE}:len=512 rx=v1")
    wait_for(lambda: d.ctl.vnic_stats("vm1")["rx_queue_frames"] == 0, 10, "queue drained")
    u, s = d.ctl.uplink_stats("up0"), d.ctl.vnic_stats("vm1")
    assert s["rx_drop_queue_limit"] > 0, s
    assert u["rx_packets"] - u["rx_drop_no_vnic"] - u["rx_drop_malformed"] == \
        s["rx_packets"] + sum(drops(s, "rx_drop_").values()), (u, s)
