/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FN_L3_H
#define FN_L3_H
/*
 * fn_l3: the layer-3 guard on frames a guest sends (after the MAC check):
 * IP, ARP and IPv6 neighbour-discovery anti-spoofing, and the DHCP-server
 * and router-advertisement guards. Pure: no I/O, no allocation; parsing
 * never reads past the frame.
 *
 * Policy of one vNIC (keys `ip`, `dhcp-server`, `ra`):
 *
 *  ip any (default, ip.restricted false): no source check; the frame's L3
 *     header is looked at only as far as the DHCP/RA guards need, and a
 *     header too broken to show a port or an ICMPv6 type passes (no
 *     receiver would take it as DHCP or RA either), unless it is a first
 *     fragment (below).
 *  ip ADDR[/LEN],... (restricted; `none`: restricted, empty):
 *   IPv4  source in the set; 0.0.0.0 only for UDP 68 -> 67 (DHCP
 *         discover/request).
 *   ARP   (Ethernet/IPv4 only) sender hardware address = the vNIC's MAC;
 *         sender protocol address in the set, or 0.0.0.0 in a request (a
 *         probe). A gratuitous ARP is one whose sender address is its
 *         target, so it passes only for the guest's own addresses.
 *   IPv6  source in the set, or the EUI-64 link-local address of the
 *         vNIC's MAC when the set holds any IPv6 prefix, or :: for
 *         duplicate address detection, MLD and router solicitation
 *         (ICMPv6 NS, MLD reports, RS: RFC 4861 6.3.7).
 *         Neighbour discovery: a NA's target must be the guest's own (in
 *         the set or its EUI-64 link-local), and so must a NS's target
 *         when its source is :: (DAD: a probe for someone else's address
 *         would make their DAD fail); a NS with a source resolves a
 *         neighbour, so its target is anyone. Source and target link-layer
 *         address options (in RS, NS, NA) must be the vNIC's MAC.
 *   Malformed: truncated IPv4/IPv6/ARP headers, IPv4 version/IHL wrong
 *         or total length past the frame, IPv6 payload length past the
 *         frame or an extension-header chain running out of it, ICMPv6 ND
 *         messages shorter than their fixed part or with options of
 *         length 0 or past the end, an RS from :: with a source
 *         link-layer address option (RFC 4861 6.1.1).
 *  dhcp-server deny (default; dhcp_server false): drops IPv4 UDP from
 *     port 67 or to port 68 and IPv6 UDP from port 547 or to port 546
 *     (only servers and relays send those), whatever `ip` says.
 *  ra deny (default; ra false): drops ICMPv6 router advertisements (134)
 *     and redirects (137), whatever `ip` says.
 *
 * Other ethertypes pass (the MAC check before this one still applies).
 * A non-first IPv4/IPv6 fragment carries no ports: it passes the port
 * guards (its first fragment is the one judged). So a first fragment must
 * carry what the guards read (RFC 7112), or the rest would come unjudged
 * in a later one: an IPv6 first fragment (fragment offset 0) whose
 * extension-header chain or UDP/ICMPv6 header runs out of the datagram is
 * malformed whenever any guard is on, whatever `ip` says; an IPv4 one (MF,
 * offset 0) whose UDP header is cut, whenever dhcp-server is deny.
 * IPv6 extension headers walked: hop-by-hop, routing, fragment,
 * destination options, AH; at most FN_L3_MAX_EXT of them, more is
 * malformed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FN_L3_MAX_PREFIXES 16   /**< per family, per vNIC */
#define FN_L3_MAX_EXT      8    /**< IPv6 extension headers walked */
#define FN_ETH_P_IPV4      0x0800
#define FN_ETH_P_ARP       0x0806
#define FN_ETH_P_IPV6      0x86dd

struct fn_prefix4 {
	uint32_t addr;          /**< host byte order, bits past len zero */
	uint8_t len;            /**< 0..32 */
};

struct fn_prefix6 {
	uint8_t addr[16];       /**< network byte order, bits past len zero */
	uint8_t len;            /**< 0..128 */
};

/** The sources a guest may use. All zero = `any`. */
struct fn_ipset {
	bool restricted;        /**< false: any source (no L3 source check) */
	uint8_t n4, n6;
	struct fn_prefix4 v4[FN_L3_MAX_PREFIXES];
	struct fn_prefix6 v6[FN_L3_MAX_PREFIXES];
};

/** Verdicts; the names are the vNIC counters' (tx_drop_<name>). */
#define FN_L3_VERDICTS(X) \
	X(OK,          "ok") \
	X(IP_SPOOF,    "ip_spoof") \
	X(ARP_SPOOF,   "arp_spoof") \
	X(ND_SPOOF,    "nd_spoof") \
	X(DHCP_SERVER, "dhcp_server") \
	X(RA,          "ra") \
	X(MALFORMED,   "l3_malformed")

enum fn_l3_verdict {
#define FN_X(n, s) FN_L3_##n,
	FN_L3_VERDICTS(FN_X)
#undef FN_X
	FN_L3_VERDICT_MAX
};

/** One vNIC's guard. */
struct fn_l3_policy {
	uint64_t mac;           /**< the vNIC's MAC, 48 bits as fn_mac_load */
	bool dhcp_server;       /**< true: allow DHCP server messages */
	bool ra;                /**< true: allow router advertisements */
	struct fn_ipset ip;
};

/** Does the policy check anything (else every frame is FN_L3_OK)? */
static inline bool
fn_l3_active(const struct fn_l3_policy *p)
{
	return p->ip.restricted || !p->dhcp_server || !p->ra;
}

/** Is the IPv4 address `a` (host order) in the set's prefixes? */
static inline bool
fn_l3_in_set4(const struct fn_ipset *s, uint32_t a)
{
	for (unsigned i = 0; i < s->n4; i++)
		if (((a ^ s->v4[i].addr) & (uint32_t)(UINT64_MAX << (32 - s->v4[i].len))) == 0)
			return true;
	return false;
}

/** fn_l3_check() for every frame: what the inline fast path leaves. */
enum fn_l3_verdict fn_l3_check_full(const struct fn_l3_policy *p, const uint8_t *l3,
				    uint32_t len, uint16_t ethertype);

/**
 * Judge the L3 part of an untagged frame a guest sent.
 * @param l3       first byte after the Ethernet header.
 * @param len      bytes from l3 to the end of the frame.
 * @param ethertype from the Ethernet header (host order).
 *
 * Inline: an unfragmented IPv4 datagram without options, at least a UDP
 * header long (nearly every frame), is judged here, without a call; the
 * rest by fn_l3_check_full(). Both give the same verdict (the fuzzers call
 * this function; unit tests call both).
 */
static inline enum fn_l3_verdict
fn_l3_check(const struct fn_l3_policy *p, const uint8_t *l3, uint32_t len,
	    uint16_t ethertype)
{
	if (ethertype == FN_ETH_P_IPV4 && len >= 28 && l3[0] == 0x45) {
		bool r = p->ip.restricted;
		if (!r && p->dhcp_server)
			return FN_L3_OK;
		uint32_t tot = (uint32_t)l3[2] << 8 | l3[3];
		if (tot >= 28 && tot <= len && ((l3[6] & 0x3f) | l3[7]) == 0) {
			uint32_t src = (uint32_t)l3[12] << 24 | (uint32_t)l3[13] << 16 |
				       (uint32_t)l3[14] << 8 | l3[15];
			if (r && src == 0)
				return fn_l3_check_full(p, l3, len, ethertype);
			if (r && !fn_l3_in_set4(&p->ip, src))
				return FN_L3_IP_SPOOF;
			if (!p->dhcp_server && l3[9] == 17 &&
			    ((l3[20] == 0 && l3[21] == 67) || (l3[22] == 0 && l3[23] == 68)))
				return FN_L3_DHCP_SERVER;
			return FN_L3_OK;
		}
	}
	return fn_l3_check_full(p, l3, len, ethertype);
}

/**
 * Parse `ip`'s value: "any", "none", or a comma-separated list of
 * ADDR[/LEN], IPv4 dotted quads or IPv6 (RFC 4291 text, "::" allowed);
 * LEN defaults to 32 / 128. Host bits set below LEN are an error (as
 * `ip route` says "Invalid prefix for given prefix length"), so is a
 * duplicate, more than FN_L3_MAX_PREFIXES of a family, or a multicast,
 * loopback or unspecified address.
 * @param err  receives one line naming the bad element on failure.
 * @return 0, or -1 and nothing written to *set.
 */
int fn_ipset_parse(const char *s, struct fn_ipset *set, char *err, size_t errlen);

/** fn_ipset_format's longest output, NUL included: 16 x "a.b.c.d/LL" (18)
 *  and 16 x a full IPv6 address with "/LLL" (43), 31 commas. */
#define FN_IPSET_STRLEN 1008

/**
 * Format a set as fn_ipset_parse reads it: "any", "none", or the list
 * (IPv4 first, each in its given order; /32 and /128 omitted; IPv6 in RFC
 * 5952 form). @return the length it needed (like snprintf).
 */
size_t fn_ipset_format(const struct fn_ipset *set, char *buf, size_t len);

/** Do two sets hold the same prefixes, in the same order? (Field by
 *  field: the structs have padding, so no memcmp.) */
bool fn_ipset_equal(const struct fn_ipset *a, const struct fn_ipset *b);

/** Is the IPv6 address `a` the EUI-64 link-local address of `mac`? */
bool fn_l3_is_eui64_ll(const uint8_t a[16], uint64_t mac);

#endif /* FN_L3_H */
