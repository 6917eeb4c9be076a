"""The layer-3 guard (issue 9) on the real fairnicd, through vhost-user.

The traffic process plays two guests (vm1, vm2: virtio-user ports on their
vNICs' sockets) and the wire. The guests send frames built here byte by
byte (fntraffic's hex=), as a misbehaving guest would: foreign IPv4/IPv6
sources, ARP poisoning, a rogue DHCP server, router advertisements,
neighbour advertisements for a neighbour's address, broken headers. Each is
dropped and lands in its own counter; the guest's own traffic still flows.
"""
import socket
import struct
import threading

import pytest

from fairnic import wait_for

WIRE = "02:00:00:00:00:fe"
GW = "02:00:00:00:00:01"               # the gateway, beyond the uplink
VM1, VM2 = "52:54:00:00:00:01", "52:54:00:00:00:02"
IP1, IP2, GW_IP = "10.0.0.1", "10.0.0.2", "10.0.0.254"
IP6_1, IP6_2 = "2001:db8::1", "2001:db8::2"
BCAST = "ff:ff:ff:ff:ff:ff"
L3_DROPS = ("tx_drop_ip_spoof", "tx_drop_arp_spoof", "tx_drop_nd_spoof",
            "tx_drop_dhcp_server", "tx_drop_ra", "tx_drop_l3_malformed")


def mac(s):
    return bytes.fromhex(s.replace(":", ""))


def ip4(s):
    return socket.inet_pton(socket.AF_INET, s)


def ip6(s):
    return socket.inet_pton(socket.AF_INET6, s)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def eth(dst, src, etype, payload):
    f = mac(dst) + mac(src) + struct.pack("!H", etype) + payload
    return f + bytes(max(0, 60 - len(f)))


def udp4(dst, src, sip, dip, sport, dport, data=b"fairnic-l3"):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, ip4(sip), ip4(dip))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return eth(dst, src, 0x0800, h + udp)


def arp(src, op, sha, spa, tha, tpa, dst=BCAST):
    a = struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + mac(sha) + ip4(spa) + mac(tha) + ip4(tpa)
    return eth(dst, src, 0x0806, a)


def ipv6(dst, src, sip, dip, nh, payload, hop=64):
    h = struct.pack("!IHBB", 0x60000000, len(payload), nh, hop) + ip6(sip) + ip6(dip)
    return eth(dst, src, 0x86dd, h + payload)


def icmp6(dst, src, sip, dip, body):
    """ICMPv6 with its checksum (over the pseudo-header)."""
    pseudo = ip6(sip) + ip6(dip) + struct.pack("!IxxxB", len(body), 58)
    body = body[:2] + struct.pack("!H", csum(pseudo + body)) + body[4:]
    return ipv6(dst, src, sip, dip, 58, body, hop=255)


def na(src, sip, target, lladdr):
    """Neighbour advertisement (override) for `target` at `lladdr`."""
    body = struct.pack("!BBHI", 136, 0, 0, 0x20000000) + ip6(target) + \
        struct.pack("!BB", 2, 1) + mac(lladdr)
    return icmp6("33:33:00:00:00:01", src, sip, "ff02::1", body)


def ra(src, sip):
    body = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0) + struct.pack("!BB", 1, 1) + mac(src)
    return icmp6("33:33:00:00:00:01", src, sip, "ff02::1", body)


def udp6(dst, src, sip, dip, sport, dport, data=b"fairnic-l3"):
    return ipv6(dst, src, sip, dip, 17, struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data)


def eui64_ll(m):
    b = bytearray(mac(m))
    b[0] ^= 2
    return socket.inet_ntop(socket.AF_INET6, bytes.fromhex("fe80000000000000") +
                            bytes(b[:3]) + b"\xff\xfe" + bytes(b[3:]))


def send(t, port, frame, count=1):
    r = t.ok(f"send {port} count={count} hex={frame.hex()}")
    assert r["sent"] == count, r


def drops(d, vnic):
    st = d.ctl.vnic_stats(vnic)
    return {k: st[k] for k in L3_DROPS}


def expect(d, vnic, **want):
    """Wait until the L3 drop counters of `vnic` are `want` (others 0)."""
    full = {k: 0 for k in L3_DROPS}
    full.update({f"tx_drop_{k}": v for k, v in want.items()})
    wait_for(lambda: drops(d, vnic) == full, 5, f"{vnic} drops {full} (have {drops(d, vnic)})")


@pytest.fixture
def guarded(daemon, traffic):
    """vm1 10.0.0.1 + 2001:db8::1, vm2 10.0.0.2 + 2001:db8::2, on up0, both
    attached; the wire attached."""
    d, t = daemon, traffic
    d.ctl.ok("vnic", "add", "vm1", "mac", VM1, "vhost-user", d.sock("vm1"), "ip", f"{IP1},{IP6_1}")
    d.ctl.ok("vnic", "add", "vm2", "mac", VM2, "vhost-user", d.sock("vm2"), "ip", f"{IP2},{IP6_2}")
    t.attach_wire(d, "wire", "up0", mac=WIRE)
    for n, m in (("vm1", VM1), ("vm2", VM2)):
        t.attach(n, d.sock(n), mac=m)
        wait_for(lambda: d.ctl.ok("vnic", "show", n)["vnics"][0]["connected"], 10, f"{n} connected")
    d.ctl.ok("stats", "reset")
    return d, t


def test_foreign_sources_dropped_own_pass(guarded):
    d, t = guarded
    send(t, "vm1", udp4(GW, VM1, "10.0.0.66", GW_IP, 4000, 53), 5)
    send(t, "vm1", udp4(GW, VM1, IP2, GW_IP, 4000, 53), 4)        # the neighbour's
    send(t, "vm1", udp6(GW, VM1, "2001:db8::66", "2001:db8::fe", 4000, 53), 3)
    expect(d, "vm1", ip_spoof=12)
    assert t.ok("recv wire ms=200")["packets"] == 0
    # its own addresses, and its EUI-64 link-local one, pass
    send(t, "vm1", udp4(GW, VM1, IP1, GW_IP, 4000, 53), 6)
    send(t, "vm1", udp6(GW, VM1, IP6_1, "2001:db8::fe", 4000, 53), 2)
    send(t, "vm1", udp6(GW, VM1, eui64_ll(VM1), "fe80::fe", 4000, 53), 1)
    assert t.ok("recv wire until=9")["packets"] == 9
    st = d.ctl.vnic_stats("vm1")
    assert st["tx_packets"] == 9 and st["tx_drop_ip_spoof"] == 12
    # other ethertypes: only the MAC check
    send(t, "vm1", eth(GW, VM1, 0x88b5, b"local experimental"), 2)
    assert t.ok("recv wire until=2")["packets"] == 2


def test_arp_poisoning_dropped_neighbour_still_reaches_gateway(guarded):
    d, t = guarded
    # vm1 tells everyone that vm2's address (and the gateway's) is at vm1
    send(t, "vm1", arp(VM1, 2, VM1, IP2, BCAST, IP2), 3)                  # gratuitous, foreign
    send(t, "vm1", arp(VM1, 2, VM1, GW_IP, GW, GW_IP, dst=GW), 2)         # reply to the gateway
    send(t, "vm1", arp(VM1, 1, "52:54:00:00:00:99", IP1, BCAST, GW_IP))   # foreign sender MAC
    expect(d, "vm1", arp_spoof=6)
    assert t.ok("recv wire ms=200")["packets"] == 0
    assert t.ok("recv vm2 ms=100")["packets"] == 0
    # vm1's own ARP: request, probe (sender 0.0.0.0), gratuitous for itself
    send(t, "vm1", arp(VM1, 1, VM1, IP1, "00:00:00:00:00:00", GW_IP))
    send(t, "vm1", arp(VM1, 1, VM1, "0.0.0.0", "00:00:00:00:00:00", IP1))
    send(t, "vm1", arp(VM1, 2, VM1, IP1, BCAST, IP1))
    assert t.ok("recv wire until=3")["packets"] == 3
    assert t.ok("recv vm2 until=3")["packets"] == 3
    # the neighbour resolves and reaches the gateway
    send(t, "vm2", arp(VM2, 1, VM2, IP2, "00:00:00:00:00:00", GW_IP))
    send(t, "vm2", udp4(GW, VM2, IP2, GW_IP, 4000, 53), 5)
    r = t.ok("recv wire until=6")
    assert r["packets"] == 6
    assert [f["type"] for f in r["frames"]] == ["0x0806"] + ["0x0800"] * 5
    expect(d, "vm2")


def test_rogue_dhcp_and_router_advertisements_dropped(guarded):
    d, t = guarded
    offer = udp4(BCAST, VM1, IP1, "255.255.255.255", 67, 68)
    send(t, "vm1", offer, 3)
    send(t, "vm1", udp6("33:33:00:01:00:02", VM1, eui64_ll(VM1), "fe80::2", 547, 546), 2)
    send(t, "vm1", ra(VM1, eui64_ll(VM1)), 4)
    expect(d, "vm1", dhcp_server=5, ra=4)
    assert t.ok("recv wire ms=200")["packets"] == 0
    assert t.ok("recv vm2 ms=100")["packets"] == 0
    # a DHCP client's discover (from 0.0.0.0) and solicit pass
    send(t, "vm1", udp4(BCAST, VM1, "0.0.0.0", "255.255.255.255", 68, 67))
    send(t, "vm1", udp6("33:33:00:01:00:02", VM1, eui64_ll(VM1), "ff02::1:2", 546, 547))
    assert t.ok("recv wire until=2")["packets"] == 2
    assert t.ok("recv vm2 until=2")["packets"] == 2
    # allowed live: vm1 is the tenant's DHCP server and router
    d.ctl.ok("vnic", "set", "vm1", "dhcp-server", "allow", "ra", "allow")
    send(t, "vm1", offer, 2)
    send(t, "vm1", ra(VM1, eui64_ll(VM1)))
    assert t.ok("recv vm2 until=3")["packets"] == 3
    expect(d, "vm1", dhcp_server=5, ra=4)
    # without ip (any), the DHCP and RA guards still hold by default
    d.ctl.ok("vnic", "set", "vm2", "ip", "any")
    send(t, "vm2", udp4(BCAST, VM2, "10.9.9.9", "255.255.255.255", 67, 68))
    send(t, "vm2", ra(VM2, eui64_ll(VM2)))
    expect(d, "vm2", dhcp_server=1, ra=1)


def test_neighbour_advertisement_for_a_neighbour_dropped(guarded):
    d, t = guarded
    send(t, "vm1", na(VM1, IP6_1, IP6_2, VM1), 3)             # claims vm2's address
    send(t, "vm1", na(VM1, IP6_1, IP6_1, "52:54:00:00:00:99"))  # its own, at another MAC
    expect(d, "vm1", nd_spoof=4)
    assert t.ok("recv vm2 ms=200")["packets"] == 0
    send(t, "vm1", na(VM1, IP6_1, IP6_1, VM1), 2)             # its own, truthfully
    assert t.ok("recv vm2 until=2")["packets"] == 2


def test_malformed_l3_headers_dropped(guarded):
    d, t = guarded
    good = udp4(GW, VM1, IP1, GW_IP, 4000, 53)
    bad_ihl = good[:14] + b"\x4f" + good[15:]                   # options past the frame
    short_len = good[:16] + struct.pack("!H", 19) + good[18:]   # total length < header
    hdr = mac(GW) + mac(VM1)
    ipv6_short = hdr + b"\x86\xdd" + b"\x60" + bytes(29)       # 30 of IPv6's 40 bytes
    arp_short = hdr + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac(VM1)
    send(t, "vm1", bad_ihl, 2)
    send(t, "vm1", short_len)
    send(t, "vm1", ipv6_short)
    send(t, "vm1", arp_short)                                   # 14 of ARP's 28 bytes
    expect(d, "vm1", l3_malformed=5)
    assert t.ok("recv wire ms=200")["packets"] == 0
    # the same frames from vm2 with ip any: not judged (no receiver takes
    # them as DHCP or RA), only the MAC check
    d.ctl.ok("vnic", "set", "vm2", "ip", "any")
    for f in (bad_ihl, short_len, ipv6_short, arp_short):
        send(t, "vm2", f[:6] + mac(VM2) + f[12:])
    assert t.ok("recv wire until=4")["packets"] == 4
    expect(d, "vm2")


def test_bad_values_refused_nothing_changes(guarded):
    d, _ = guarded
    before = d.ctl.ok("vnic", "show", "vm1")["vnics"][0]
    assert before["ip"] == f"{IP1},{IP6_1}"
    assert before["dhcp_server"] == "deny" and before["ra"] == "deny"
    for words, frag in ((("ip", "10.0.0.300"), 'invalid ip "10.0.0.300"'),
                        (("ip", "10.0.0.1/24"), "host bits"),
                        (("ip", "224.0.0.1"), "multicast"),
                        (("ip", "10.0.0.1,,10.0.0.2"), "invalid ip"),
                        (("ra", "maybe"), "expected allow or deny"),
                        (("dhcp-server", "on"), "expected allow or deny")):
        r = d.ctl.call("vnic", "set", "vm1", "rx-rate", "10mbit", *words)
        assert not r["ok"] and frag in r["error"], r
        assert "\n" not in r["error"]
    assert d.ctl.ok("vnic", "show", "vm1")["vnics"][0] == before


def test_live_ip_change_under_traffic(guarded):
    """vm1 sends 10.0.0.1 -> gateway flat out at 20 kpps while its `ip` moves
    to 10.0.0.9 and back: every frame is either forwarded or an ip_spoof
    drop, none is lost, and both happen."""
    d, t = guarded
    stop = threading.Event()
    changes = []

    def flip():
        while not stop.is_set():
            for v in ("10.0.0.9", f"{IP1},{IP6_1}"):
                d.ctl.ok("vnic", "set", "vm1", "ip", v)
                changes.append(v)
                stop.wait(0.05)

    th = threading.Thread(target=flip)
    th.start()
    try:
        r = t.ok(f"run ms=1500 tx=vm1:dst={GW}:src={VM1}:len=64:ip={IP1}-{GW_IP}:pps=20000 rx=wire")
    finally:
        stop.set()
        th.join()
    sent = r["tx"]["vm1"]["packets"]
    wait_for(lambda: d.ctl.vnic_stats("vm1")["tx_packets"] + d.ctl.vnic_stats("vm1")["tx_drop_ip_spoof"]
             >= sent, 5, "every frame taken")
    got = r["rx"]["wire"]["packets"] + t.ok("recv wire ms=300")["packets"]
    st = d.ctl.vnic_stats("vm1")
    assert len(changes) >= 10
    assert st["tx_packets"] + st["tx_drop_ip_spoof"] == sent, (st, sent)
    assert st["tx_packets"] == got
    assert st["tx_drop_ip_spoof"] > 0 and got > 0
    assert all(st[k] == 0 for k in L3_DROPS if k != "tx_drop_ip_spoof")
