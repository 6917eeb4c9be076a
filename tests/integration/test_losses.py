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


# ------------------------------------------------------- announce on move

def fdb_port(bridge, mac_):
    """The bridge port that has learnt `mac_`, or None."""
    out = sh(f"bridge fdb show br {bridge}").stdout
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == mac_ and "dev" in f and "permanent" not in f:
            return f[f.index("dev") + 1]
    return None


def test_move_announces_the_vnic_to_the_wire(tmp_path):
    """A Linux bridge plays the upstream switch: fairnic's uplinks up0 and
    up1 are af_packet ports on two of its ports, a third port is a host on
    the wire. A silent tap "guest" moves from up0 to up1: the bridge learns
    the new port from fairnic's RARP announcement at once, and the host's
    next frame reaches the guest."""
    tag = uuid.uuid4().hex[:4]
    br, ups, host = f"fnb{tag}", [], f"fnh{tag}"
    d = None
    try:
        sh(f"ip link add {br} type bridge forward_delay 0 stp_state 0")
        sh(f"sysctl -qw net.ipv6.conf.{br}.disable_ipv6=1")
        for name in ("u0", "u1", "h"):
            a, b = f"fn{name}{tag}a", f"fn{name}{tag}b"
            sh(f"ip link add {a} type veth peer name {b}")
            for x in (a, b):
                sh(f"sysctl -qw net.ipv6.conf.{x}.disable_ipv6=1")
            sh(f"ip link set {b} master {br}")
            for x in (a, b):
                sh(f"ip link set {x} up")
            ups.append((a, b))
        sh(f"ip link set {br} up")
        (u0, u0_port), (u1, u1_port), (host, _) = ups
        d = Daemon(tmp_path, uplinks=(), extra=("--uplink", f"up0=net_af_packet0,iface={u0}",
                                                "--uplink", f"up1=net_af_packet1,iface={u1}"))
        tap = "fnm" + tag
        d.ctl.ok("vnic", "add", "g", "mac", VNIC_MAC, "tap", tap, "uplink", "up0")
        wait_for(lambda: os.path.exists(f"/sys/class/net/{tap}"), 10, "tap interface")
        sh(f"sysctl -qw net.ipv6.conf.{tap}.disable_ipv6=1")
        sh(f"ip link set {tap} up")
        guest = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b5))
        guest.bind((tap, 0))
        guest.settimeout(5)
        # the guest speaks once: the bridge learns it behind up0
        guest.send(mac(WIRE_MAC) + mac(VNIC_MAC) + b"\x88\xb5" + bytes(50))
        wait_for(lambda: fdb_port(br, VNIC_MAC) == u0_port, 10, "MAC learnt on up0's port")

        # it moves, and stays silent
        d.ctl.ok("vnic", "set", "g", "uplink", "up1")
        wait_for(lambda: fdb_port(br, VNIC_MAC) == u1_port, 2, "MAC learnt on up1's port")
        wait_for(lambda: d.ctl.uplink_stats("up1")["tx_announce"] == 5, 5, "five announcements")
        assert d.ctl.uplink_stats("up0")["tx_announce"] == 0

        # the host on the wire reaches the silent guest
        up0_before = d.ctl.uplink_stats("up0")["rx_packets"]
        h = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        h.bind((host, 0))
        h.send(mac(VNIC_MAC) + mac(WIRE_MAC) + b"\x88\xb5" + b"after the move" + bytes(36))
        got = guest.recv(2048)
        assert got[:6] == mac(VNIC_MAC) and b"after the move" in got
        # the bridge sent it to up1 only: the old port saw nothing of it
        assert d.ctl.uplink_stats("up0")["rx_packets"] == up0_before
        h.close()
        guest.close()
    finally:
        if d is not None:
            d.stop()
        for a, _ in ups:
            sh(f"ip link del {a}", check=False)
        sh(f"ip link del {br}", check=False)
