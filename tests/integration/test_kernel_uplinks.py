"""Kernel uplinks (issue 6, item 9): af_packet and af_xdp on a veth whose
peer keeps the kernel's default offloads. The peer is a Linux stack in its
own network namespace; the guest is a tap vNIC moved into another one, so
both ends are real TCP/IP stacks and every frame crosses fairnicd.

What the kernel does to such frames, and what fairnic does about it:
- partial checksums (CHECKSUM_PARTIAL from the peer): finished by fairnic
  (rx_csum_completed), so ping, UDP and TCP work both ways;
- TSO/GSO super-frames reach af_packet cut to its slot: dropped, counted
  as rx_drop_truncated, the remedy logged; with it applied, TCP works.
  (af_xdp gets none: the kernel turns a veth peer's GSO off under XDP.)
- VLAN: tags reach the data plane in the frame (rxvlan turned off on an
  af_xdp uplink's interface; af_packet's PMD puts the tag back).
"""
import os
import shutil
import socket
import struct
import subprocess
import uuid

import pytest

from fairnic import Daemon, wait_for

PY = "/usr/bin/python3"
GUEST_MAC = "52:54:00:00:09:02"

pytestmark = pytest.mark.skipif(shutil.which("ethtool") is None, reason="needs ethtool")


def sh(cmd, check=True):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"{cmd}: {r.returncode} {r.stdout} {r.stderr}")
    return r


def devargs(kind, ifname):
    if kind == "af_xdp":
        return f"net_af_xdp0,iface={ifname},start_queue=0,queue_count=1"
    return f"net_af_packet0,iface={ifname}"


class Net:
    """veth (fairnic's end `a` in this namespace, peer `b` in netns `w`
    with 10.9.0.1) and a tap vNIC `g` moved into netns `g` with 10.9.0.2."""

    def __init__(self, tmp_path, kind, vlan=None, peer_in_ns=True):
        t = uuid.uuid4().hex[:5]
        self.a, self.b, self.tap = f"fk{t}a", f"fk{t}b", f"fk{t}g"
        self.w, self.g = f"fkw{t}", f"fkg{t}"
        self.d = None
        sh(f"ip netns add {self.w}")
        sh(f"ip netns add {self.g}")
        sh(f"ip link add {self.a} type veth peer name {self.b}")
        sh(f"sysctl -qw net.ipv6.conf.{self.a}.disable_ipv6=1")
        sh(f"ip link set {self.a} up")
        if peer_in_ns:
            sh(f"ip link set {self.b} netns {self.w}")
            sh(f"ip -n {self.w} addr add 10.9.0.1/24 dev {self.b}")
            sh(f"ip -n {self.w} link set {self.b} up")
        else:
            sh(f"sysctl -qw net.ipv6.conf.{self.b}.disable_ipv6=1")
            sh(f"ip link set {self.b} up")
        self.d = Daemon(tmp_path, uplinks=(), extra=("--uplink", "up0=" + devargs(kind, self.a)))
        words = ["vnic", "add", "g", "mac", GUEST_MAC, "tap", self.tap]
        if vlan:
            words += ["vlan", str(vlan)]
        self.d.ctl.ok(*words)
        wait_for(lambda: os.path.exists(f"/sys/class/net/{self.tap}"), 10, "tap interface")
        sh(f"ip link set {self.tap} netns {self.g}")
        sh(f"ip -n {self.g} link set {self.tap} address {GUEST_MAC}")
        sh(f"ip -n {self.g} addr add 10.9.0.2/24 dev {self.tap}")
        sh(f"ip -n {self.g} link set {self.tap} up")

    def close(self):
        if self.d:
            self.d.stop()
        sh(f"ip netns del {self.w}", check=False)
        sh(f"ip netns del {self.g}", check=False)
        sh(f"ip link del {self.a}", check=False)

    def uplink(self):
        return self.d.ctl.uplink_stats("up0")


PING = r"""
import socket, struct, sys, time
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s & 0xffff) + (s >> 16); s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(1)
ok = 0
for seq in range(1, 4):
    h = struct.pack('!BBHHH', 8, 0, 0, 0x4242, seq) + b'fairnic-ping....'
    h = h[:2] + struct.pack('!H', csum(h)) + h[4:]
    s.sendto(h, (sys.argv[1], 0))
    end = time.time() + 1
    while time.time() < end:
        try:
            r = s.recv(2048)
        except socket.timeout:
            break
        ihl = (r[0] & 15) * 4
        if r[ihl] == 0 and struct.unpack('!HH', r[ihl + 4:ihl + 8]) == (0x4242, seq):
            ok += 1
            break
print(ok)
"""

SERVER = r"""
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5001)); s.listen(); s.settimeout(float(sys.argv[2]))
print("listening", flush=True)
c, _ = s.accept(); c.settimeout(float(sys.argv[2])); n = 0
try:
    while True:
        b = c.recv(65536)
        if not b:
            break
        n += len(b)
except socket.timeout:
    pass
print(n, flush=True)
"""

CLIENT = r"""
import socket, sys
try:
    s = socket.create_connection((sys.argv[1], 5001), timeout=float(sys.argv[3]))
    s.sendall(bytes(int(sys.argv[2]))); s.shutdown(socket.SHUT_WR)
    s.recv(1)          # the server closes once it has read everything
    print("sent")
except OSError as e:
    print("failed", e)
"""


def ping(ns, dst):
    r = sh(f"ip netns exec {ns} {PY} -c \"{PING}\" {dst}")
    return int(r.stdout.strip())


def tcp(src_ns, dst_ns, dst_ip, nbytes=2 << 20, timeout=5):
    """Send nbytes over TCP; @return bytes the receiver got."""
    srv = subprocess.Popen(["ip", "netns", "exec", dst_ns, PY, "-c", SERVER, dst_ip, str(timeout)],
                           stdout=subprocess.PIPE, text=True)
    try:
        assert srv.stdout.readline().strip() == "listening"
        sh(f"ip netns exec {src_ns} {PY} -c '{CLIENT}' {dst_ip} {nbytes} {timeout}", check=False)
        out, _ = srv.communicate(timeout=timeout + 5)
        return int(out.strip() or 0)
    finally:
        if srv.poll() is None:
            srv.kill()
            srv.wait()


@pytest.mark.parametrize("kind", ["af_xdp", "af_packet"])
def test_ping_and_tcp_with_default_offloads(tmp_path, kind):
    n = Net(tmp_path, kind)
    try:
        assert ping(n.g, "10.9.0.1") == 3
        assert ping(n.w, "10.9.0.2") == 3
        # guest -> wire: the guest's tap computes checksums; the peer's
        # replies (SYN-ACK, ACKs) come with partial ones
        assert tcp(n.g, n.w, "10.9.0.1") == 2 << 20
        before = n.uplink()["rx_csum_completed"]
        assert before > 0, n.uplink()
        if kind == "af_xdp":
            assert tcp(n.w, n.g, "10.9.0.2") == 2 << 20
            assert n.uplink()["rx_drop_truncated"] == 0
        else:
            # wire -> guest: the peer's TSO segments are cut to the
            # af_packet slot. Counted, and the log says what to do.
            got = tcp(n.w, n.g, "10.9.0.2", timeout=3)
            u = n.uplink()
            assert got < 2 << 20 and u["rx_drop_truncated"] > 0, (got, u)
            assert "ethtool -K PEER tso off gso off" in n.d.logtext()
            sh(f"ip netns exec {n.w} ethtool -K {n.b} tso off gso off")
            truncated = n.uplink()["rx_drop_truncated"]
            assert tcp(n.w, n.g, "10.9.0.2") == 2 << 20
            assert n.uplink()["rx_drop_truncated"] == truncated
        u = n.uplink()
        assert u["rx_csum_completed"] > before, u
        # every frame from the wire is in exactly one place
        v = n.d.ctl.vnic_stats("g")
        drops = sum(x for k, x in u.items() if k.startswith("rx_drop_") and isinstance(x, int))
        vdrops = sum(x for k, x in v.items() if k.startswith("rx_drop_") and k != "rx_drop_tap_kernel"
                     and isinstance(x, int))
        assert u["rx_packets"] == v["rx_packets"] + vdrops + drops, (u, v)
    finally:
        n.close()


ETH_P_ALL = 3
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 0x10
SOL_PACKET = 263


def tagged_udp(dst_mac, src_mac, vlan, payload):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + len(payload), 0, 0, 64, 17, 0,
                     socket.inet_aton("10.9.0.1"), socket.inet_aton("10.9.0.2"))
    s = sum(struct.unpack("!10H", ip))
    s = (s & 0xffff) + (s >> 16)
    ip = ip[:10] + struct.pack("!H", ~s & 0xffff) + ip[12:]
    udp = struct.pack("!HHHH", 4000, 5555, 8 + len(payload), 0) + payload
    return dst_mac + src_mac + struct.pack("!HH", 0x8100, vlan) + b"\x08\x00" + ip + udp


@pytest.mark.parametrize("kind", ["af_xdp", "af_packet"])
def test_vlan_vnic(tmp_path, kind):
    """A VLAN 7 vNIC: tagged frames from the wire reach the (untagged)
    guest, and the guest's frames leave tagged."""
    n = Net(tmp_path, kind, vlan=7, peer_in_ns=False)
    try:
        if kind == "af_xdp":
            feats = sh(f"ethtool -k {n.a}").stdout
            assert "rx-vlan-offload: off" in feats, feats   # ethtool's name for rx-vlan-hw-parse
            assert f"{n.a} is a veth" in n.d.logtext()
        peer_mac = open(f"/sys/class/net/{n.b}/address").read().strip()
        sh(f"ip -n {n.g} neigh replace 10.9.0.1 lladdr {peer_mac} dev {n.tap}")
        rx = subprocess.Popen(["ip", "netns", "exec", n.g, PY, "-c",
                               "import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
                               "s.bind(('10.9.0.2',5555));s.settimeout(5);print('ready',flush=True);"
                               "print(s.recv(100).decode(),flush=True)"],
                              stdout=subprocess.PIPE, text=True)
        assert rx.stdout.readline().strip() == "ready"
        w = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        w.bind((n.b, 0))
        w.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        w.settimeout(0.2)
        w.send(tagged_udp(bytes.fromhex(GUEST_MAC.replace(":", "")), bytes.fromhex(peer_mac.replace(":", "")),
                          7, b"to-the-guest"))
        out, _ = rx.communicate(timeout=10)
        assert out.strip() == "to-the-guest", (out, n.uplink())
        # guest -> wire: look for the frame on the peer, tag in the frame
        # or in the kernel's metadata (auxdata)
        sh(f"ip netns exec {n.g} {PY} -c \"import socket;s=socket.socket(socket.AF_INET,"
           f"socket.SOCK_DGRAM);s.sendto(b'from-the-guest',('10.9.0.1',5556))\"")
        seen = None
        for _ in range(50):
            try:
                data, anc, _, _ = w.recvmsg(2048, socket.CMSG_SPACE(32))
            except socket.timeout:
                continue
            if b"from-the-guest" not in data:
                continue
            if data[12:14] == b"\x81\x00":
                seen = struct.unpack("!H", data[14:16])[0] & 0xfff
            for lvl, typ, val in anc:
                if lvl == SOL_PACKET and typ == PACKET_AUXDATA:
                    st, _, _, _, _, tci = struct.unpack("IIIHHH", val[:18])
                    if st & TP_STATUS_VLAN_VALID:
                        seen = tci & 0xfff
            break
        w.close()
        assert seen == 7, (seen, n.uplink())
    finally:
        n.close()
