"""Every frame lands in exactly one counter, including frames lost outside
fairnic's code (issue 6): an uplink's receive ring overflowing before
fairnic's poll sees it, and a tap vNIC's kernel queue overflowing while
fairnic shapes the guest's transmit.
"""
import os
import signal
import socket
import subprocess
import uuid

from fairnic import Daemon, wait_for

VNIC_MAC = "52:54:00:00:00:01"
WIRE_MAC = "02:00:00:00:00:02"


def mac(s):
    return bytes.fromhex(s.replace(":", ""))


def sh(cmd, check=True):
    return subprocess.run(cmd, shell=True, check=check, capture_output=True, text=True)


def veth_pair():
    tag = uuid.uuid4().hex[:5]
    a, b = f"fnl{tag}a", f"fnl{tag}b"
    sh(f"ip link add {a} type veth peer name {b}")
    for x in (a, b):
        # no IPv6 chatter (router solicitations, MLD): only our frames
        sh(f"sysctl -qw net.ipv6.conf.{x}.disable_ipv6=1")
        sh(f"ip link set {x} up")
    return a, b


def test_uplink_ring_overflow_is_counted(tmp_path):
    """af_packet uplink: fairnicd is stopped while the wire sends more than
    the socket's ring holds. Received + dropped-by-ring = sent, exactly."""
    a, b = veth_pair()
    d = None
    try:
        d = Daemon(tmp_path, uplinks=(), extra=("--uplink", f"up0=net_af_packet0,iface={a}"))
        d.ctl.ok("stats", "reset")
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((b, 0))
        frame = mac(VNIC_MAC) + mac(WIRE_MAC) + b"\x88\xb5" + bytes(50)
        sent = 0
        os.kill(d.proc.pid, signal.SIGSTOP)
        try:
            for _ in range(5000):
                s.send(frame)
                sent += 1
        finally:
            os.kill(d.proc.pid, signal.SIGCONT)
        s.close()

        def settled():
            u = d.ctl.uplink_stats("up0")
            return u if u["rx_packets"] + u["rx_drop_ring_full"] >= sent else None
        u = wait_for(settled, 10, "every frame counted")
        print(f"sent {sent}: {u}")
        assert u["rx_drop_ring_full"] > 0, u
        assert u["rx_packets"] + u["rx_drop_ring_full"] + u["rx_drop_nombuf"] == sent, u
        assert u["rx_packets"] == u["rx_drop_no_vnic"], u
        # and stats reset starts them from zero again
        d.ctl.ok("stats", "reset")
        u = d.ctl.uplink_stats("up0")
        assert u["rx_drop_ring_full"] == 0 and u["rx_packets"] == 0, u
    finally:
        if d is not None:
            d.stop()
        sh(f"ip link del {a}", check=False)


def test_tap_kernel_queue_overflow_is_counted(daemon):
    """A tap vNIC shaped to 10 Mbit/s, sent to at full speed from the kernel
    side: what the tap's queue drops shows as tx_drop_tap_kernel, and every
    frame the kernel accepted is in exactly one counter."""
    d = daemon
    ifname = "fnq" + uuid.uuid4().hex[:6]
    d.ctl.ok("vnic", "add", "c1", "mac", VNIC_MAC, "tap", ifname, "tx-rate", "10mbit")
    wait_for(lambda: os.path.exists(f"/sys/class/net/{ifname}"), 10, "tap interface")
    sh(f"sysctl -qw net.ipv6.conf.{ifname}.disable_ipv6=1")
    sh(f"ip link set {ifname} up")
    d.ctl.ok("stats", "reset")
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    frame = mac(WIRE_MAC) + mac(VNIC_MAC) + b"\x88\xb5" + bytes(986)
    sent = 0
    for _ in range(5000):
        try:
            s.send(frame)
            sent += 1
        except OSError:
            pass                            # refused by the qdisc: the sender knows
    s.close()
    tx_counters = lambda v: v["tx_packets"] + sum(x for k, x in v.items()
                                                  if k.startswith("tx_drop_") and x)

    def settled():
        v = d.ctl.vnic_stats("c1")
        return v if tx_counters(v) >= sent else None
    v = wait_for(settled, 20, "every frame counted")
    print(f"sent {sent}: {v}")
    assert v["tx_drop_tap_kernel"] > 0, v
    assert tx_counters(v) == sent, v
    d.ctl.ok("vnic", "del", "c1")
