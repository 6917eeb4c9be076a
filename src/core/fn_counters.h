/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FN_COUNTERS_H
#define FN_COUNTERS_H
/*
 * Every packet fairnic handles ends up in exactly one of these counters.
 * One X-macro list per object makes the enum, the JSON names and the help
 * text, so a counter cannot exist in one place and be missing in another.
 */

/* vNIC counters. "rx" is towards the guest, "tx" is from the guest. */
#define FN_VNIC_COUNTERS(X) \
	X(rx_packets,            "frames delivered into the guest's receive queue") \
	X(rx_bytes,              "bytes of those frames") \
	X(tx_packets,            "frames taken from the guest and forwarded (uplink or local)") \
	X(tx_bytes,              "bytes of those frames") \
	X(rx_drop_rate,          "rx-police on: above rx-rate/rx-pps at arrival, dropped before any copy") \
	X(rx_drop_queue_limit,   "receive queue held rx-queue bytes already: dropped at arrival, before any copy") \
	X(rx_drop_pool,          "receive queue held its fair part of the shared packet buffers (the rest is kept for the other vNICs): dropped at arrival") \
	X(rx_drop_aqm,           "dropped by CoDel (rx-aqm codel) at the head of the receive queue: it had waited too long, before any copy") \
	X(rx_drop_guest_full,    "the guest's receive ring was full when the frame's turn came (the guest is not keeping up)") \
	X(rx_drop_not_connected, "no guest connected to the vNIC") \
	X(tx_drop_spoof,         "the guest sent from a MAC that is not its own, or a tagged frame") \
	X(tx_drop_ip_spoof,      "ip set: an IPv4/IPv6 source address the guest may not use (see the key ip)") \
	X(tx_drop_arp_spoof,     "ip set: an ARP sender address (MAC or IP) that is not the guest's own") \
	X(tx_drop_nd_spoof,      "ip set: an IPv6 neighbour solicitation/advertisement for an address, or with a link-layer address, that is not the guest's own") \
	X(tx_drop_dhcp_server,   "dhcp-server deny: a DHCPv4 or DHCPv6 server or relay message (UDP from port 67/547 or to port 68/546)") \
	X(tx_drop_ra,            "ra deny: an IPv6 router advertisement or ICMPv6 redirect") \
	X(tx_drop_l3_malformed,  "ip set: a truncated or malformed IPv4, IPv6, ARP or ICMPv6 neighbour-discovery header") \
	X(tx_drop_local_denied,  "addressed to a local vNIC with local off on one side, or to the sender itself (no hairpin)") \
	X(tx_drop_malformed,     "runt, truncated VLAN tag or oversize frame from the guest") \
	X(tx_drop_uplink_full,   "no buffer to add the vNIC's VLAN tag to a frame for the uplink (frames wait, never dropped, when the uplink is busy)") \
	X(tx_drop_no_uplink,     "a frame that must leave, and the vNIC has no uplink or its uplink's link is down (the guest is not held waiting for it)") \
	X(notifications,         "interrupts (eventfd kicks) sent to the guest") \
	X(tx_drop_tap_kernel,    "tap vNIC: frames the kernel side sent that the tap's queue dropped before fairnic read them (the interface's tx_dropped); null when the tap was moved to another network namespace (read ip -s link there)") \
	X(rx_drop_tap_kernel,    "tap vNIC: frames fairnic wrote to the tap that the kernel dropped (the interface's rx_dropped)")

/* Uplink counters. "rx" is from the wire, "tx" is to the wire. */
#define FN_UPLINK_COUNTERS(X) \
	X(rx_packets,            "frames received from the wire") \
	X(rx_bytes,              "bytes of those frames") \
	X(tx_packets,            "frames sent to the wire") \
	X(tx_bytes,              "bytes of those frames") \
	X(rx_drop_no_vnic,       "no vNIC has this (VLAN, destination MAC): dropped, never flooded") \
	X(rx_drop_malformed,     "runt, truncated VLAN tag or oversize frame from the wire") \
	X(tx_drop_full,          "frames from vNICs that could not be tagged for this uplink (see the vNICs' tx_drop_uplink_full)") \
	X(tx_announce,           "RARP announcements sent for vNICs that moved to this uplink, VLAN or MAC (not in tx_packets)") \
	X(rx_drop_ring_full,     "dropped by the port before fairnic's poll saw them: its receive ring was full (the port's imissed; for af_packet uplinks read from the socket's PACKET_STATISTICS)") \
	X(rx_drop_nombuf,        "dropped by the port before fairnic saw them: no free packet buffer (rx_nombuf)") \
	X(rx_drop_errors,        "received in error by the port (ierrors)") \
	X(rx_drop_truncated,     "af_packet: longer than the socket's slot, so cut by the kernel (a local sender's TSO/GSO segment): dropped, remedy in the log (see Kernel uplinks)") \
	X(rx_csum_completed,     "af_packet/af_xdp: frames whose TCP/UDP checksum the sender left to offload, finished by fairnic before delivery (not a drop; also in rx_packets)")

enum fn_vnic_counter {
#define FN_X(n, h) FN_VC_##n,
	FN_VNIC_COUNTERS(FN_X)
#undef FN_X
	FN_VC_MAX
};

enum fn_uplink_counter {
#define FN_X(n, h) FN_UC_##n,
	FN_UPLINK_COUNTERS(FN_X)
#undef FN_X
	FN_UC_MAX
};

extern const char *const fn_vnic_counter_names[FN_VC_MAX];
extern const char *const fn_uplink_counter_names[FN_UC_MAX];

#endif /* FN_COUNTERS_H */
