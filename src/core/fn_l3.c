/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fn_l3: the layer-3 guard (see fn_l3.h). The rules the header leaves open:
 *
 *  - A port or an ICMPv6 type is looked at only in a whole L4 header inside
 *    the datagram (UDP 8 bytes, ICMPv6 4) and not in a non-first fragment;
 *    without one the port and RA guards pass the frame, and a source of
 *    0.0.0.0 or :: cannot show it is DHCP / DAD / MLD / RS (IP_SPOOF). In
 *    an unfragmented datagram a short L4 header is not malformed: only ND
 *    messages have a fixed part here.
 *  - First fragments (RFC 7112: the whole header chain is in the first
 *    fragment): in an IPv6 one (a whole fragment header with offset 0,
 *    M set or not) a chain running out of the datagram, or a UDP or
 *    ICMPv6 header cut short, is malformed when any guard is on (else a
 *    DHCPv6 reply or an RA could carry its port or type in the next
 *    fragment). In an IPv4 one (MF set, offset 0) a UDP header cut short
 *    is malformed when the DHCP guard is on. Both are judged before the
 *    source. A fragment header itself cut short shows no offset: the
 *    datagram is judged as unfragmented.
 *  - The unspecified source is never "in the set" (0.0.0.0/0 and ::/0
 *    included): it passes only for what the header allows it.
 *  - IPv6 version other than 6 is as broken as a truncated header.
 *  - More than FN_L3_MAX_EXT extension headers is malformed whatever `ip`
 *    says (when any guard is on): a receiver would still find an RA or a
 *    DHCPv6 reply behind them. A chain running out of an unfragmented
 *    datagram is only malformed with `ip` restricted: no receiver takes it.
 *  - ND structure (fixed part, option lengths) is checked, and link-layer
 *    options (source 1, target 2) judged, in RS, NS and NA only, and only
 *    with `ip` restricted. An RS from :: with a source link-layer option
 *    is malformed, whatever MAC it carries (RFC 4861 6.1.1: receivers
 *    discard it; a structural error, like a bad option length).
 *  - ARP: a sender address of 0.0.0.0 passes only in a request (op 1).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "fn_eth.h"
#include "fn_l3.h"

#define P_UDP           17
#define P_ICMPV6        58
#define EH_HOP          0       /* IPv6 extension headers */
#define EH_ROUTING      43
#define EH_FRAG         44
#define EH_AH           51
#define EH_DST          60
#define ND_RS           133
#define ND_RA           134
#define ND_NS           135
#define ND_NA           136
#define ND_REDIRECT     137
#define MLD_REPORT      131
#define MLD2_REPORT     143
#define ND_OPT_SLLA     1
#define ND_OPT_TLLA     2

static inline uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* Top `len` bits of 64 set (len 0..64). */
static inline uint64_t
mask64(unsigned len)
{
	return len == 0 ? 0 : ~UINT64_C(0) << (64 - len);
}

static bool
in_set6(const struct fn_ipset *s, const uint8_t *a)
{
	uint64_t hi = be64(a), lo = be64(a + 8);
	for (unsigned i = 0; i < s->n6; i++) {
		const struct fn_prefix6 *p = &s->v6[i];
		unsigned l = p->len;
		if ((hi & mask64(l < 64 ? l : 64)) == be64(p->addr) &&
		    (lo & mask64(l > 64 ? l - 64 : 0)) == be64(p->addr + 8))
			return true;
	}
	return false;
}

bool
fn_ipset_equal(const struct fn_ipset *a, const struct fn_ipset *b)
{
	if (a->restricted != b->restricted || a->n4 != b->n4 || a->n6 != b->n6)
		return false;
	for (unsigned i = 0; i < a->n4; i++)
		if (a->v4[i].addr != b->v4[i].addr || a->v4[i].len != b->v4[i].len)
			return false;
	for (unsigned i = 0; i < a->n6; i++)
		if (memcmp(a->v6[i].addr, b->v6[i].addr, 16) != 0 ||
		    a->v6[i].len != b->v6[i].len)
			return false;
	return true;
}

bool
fn_l3_is_eui64_ll(const uint8_t a[16], uint64_t mac)
{
	static const uint8_t ll[8] = { 0xfe, 0x80 };
	return memcmp(a, ll, 8) == 0 &&
	       a[8] == (uint8_t)(mac >> 40 ^ 0x02) && a[9] == (uint8_t)(mac >> 32) &&
	       a[10] == (uint8_t)(mac >> 24) && a[11] == 0xff && a[12] == 0xfe &&
	       a[13] == (uint8_t)(mac >> 16) && a[14] == (uint8_t)(mac >> 8) &&
	       a[15] == (uint8_t)mac;
}

/* One of the guest's own IPv6 addresses (ND targets, sources). */
static bool
own6(const struct fn_l3_policy *p, const uint8_t *a)
{
	return in_set6(&p->ip, a) ||
	       (p->ip.n6 > 0 && fn_l3_is_eui64_ll(a, p->mac));
}

static enum fn_l3_verdict
check_arp(const struct fn_l3_policy *p, const uint8_t *a, uint32_t len)
{
	if (len < 28 || be16(a) != 1 || be16(a + 2) != FN_ETH_P_IPV4 ||
	    a[4] != 6 || a[5] != 4)
		return FN_L3_MALFORMED;
	if (fn_mac_load(a + 8) != p->mac)
		return FN_L3_ARP_SPOOF;
	uint32_t spa = be32(a + 14);
	if (spa == 0)   /* a probe asks, it never answers */
		return be16(a + 6) == 1 ? FN_L3_OK : FN_L3_ARP_SPOOF;
	return fn_l3_in_set4(&p->ip, spa) ? FN_L3_OK : FN_L3_ARP_SPOOF;
}

static enum fn_l3_verdict
check_ipv4(const struct fn_l3_policy *p, const uint8_t *h, uint32_t len)
{
	bool r = p->ip.restricted;
	if (!r && p->dhcp_server)
		return FN_L3_OK;
	if (len < 20)
		return r ? FN_L3_MALFORMED : FN_L3_OK;
	uint32_t hl = (h[0] & 15u) * 4, tot = be16(h + 2);
	if ((h[0] >> 4) != 4 || hl < 20 || tot < hl || tot > len)
		return r ? FN_L3_MALFORMED : FN_L3_OK;
	/* a first fragment (MF, offset 0) cut inside its UDP header: the
	 * ports would come in the next fragment, where no guard sees them */
	uint16_t frag = be16(h + 6);
	if (!p->dhcp_server && h[9] == P_UDP && (frag & 0x3fff) == 0x2000 &&
	    tot - hl < 8)
		return FN_L3_MALFORMED;
	/* ports: UDP, a whole header, first fragment */
	bool udp = h[9] == P_UDP && (frag & 0x1fff) == 0 && tot - hl >= 8;
	uint16_t sport = udp ? be16(h + hl) : 0, dport = udp ? be16(h + hl + 2) : 0;
	if (r) {
		uint32_t src = be32(h + 12);
		if (src == 0 ? !(udp && sport == 68 && dport == 67) :
			       !fn_l3_in_set4(&p->ip, src))
			return FN_L3_IP_SPOOF;
	}
	if (!p->dhcp_server && udp && (sport == 67 || dport == 68))
		return FN_L3_DHCP_SERVER;
	return FN_L3_OK;
}

/*
 * RS, NS, NA: fixed part and options. Sets *foreign_lla when a link-layer
 * address option is not the vNIC's MAC, *slla when there is a source
 * link-layer option; a structural error wins over both (malformed is
 * judged first).
 */
static bool
nd_ok(const struct fn_l3_policy *p, const uint8_t *m, uint32_t len,
      bool *foreign_lla, bool *slla)
{
	uint32_t off = m[0] == ND_RS ? 8 : 24;
	if (len < off)
		return false;
	while (off < len) {
		if (len - off < 2 || m[off + 1] == 0 || m[off + 1] * 8u > len - off)
			return false;
		if ((m[off] == ND_OPT_SLLA || m[off] == ND_OPT_TLLA) &&
		    fn_mac_load(m + off + 2) != p->mac)
			*foreign_lla = true;
		*slla |= m[off] == ND_OPT_SLLA;
		off += m[off + 1] * 8u;
	}
	return true;
}

/* walk6's results other than an upper-layer protocol */
enum { L4_NONE = -1, CHAIN_CUT = -2, CHAIN_DEEP = -3 };

/*
 * The upper-layer protocol after the extension headers of the IPv6
 * datagram h[0, end), and its offset in *off; L4_NONE after a non-first
 * fragment header (no upper-layer header in it), or why the walk failed.
 * *first: a whole fragment header with offset 0 was passed.
 */
static int
walk6(const uint8_t *h, uint32_t end, uint32_t *off, bool *first)
{
	uint8_t nh = h[6];
	uint32_t o = 40, hl;
	for (unsigned n = 0;; n++) {
		switch (nh) {
		case EH_HOP: case EH_ROUTING: case EH_FRAG: case EH_AH: case EH_DST:
			break;
		default:
			*off = o;
			return nh;
		}
		if (n == FN_L3_MAX_EXT)
			return CHAIN_DEEP;
		if (end - o < (nh == EH_FRAG ? 8u : 2u))
			return CHAIN_CUT;
		if (nh == EH_FRAG) {
			if (be16(h + o + 2) & 0xfff8)
				return L4_NONE;
			*first = true;
			hl = 8;
		} else if (nh == EH_AH) {
			hl = (h[o + 1] + 2u) * 4;       /* in 4-byte words */
		} else {
			hl = (h[o + 1] + 1u) * 8;
		}
		if (hl > end - o)
			return CHAIN_CUT;
		nh = h[o];
		o += hl;
	}
}

static enum fn_l3_verdict
check_ipv6(const struct fn_l3_policy *p, const uint8_t *h, uint32_t len)
{
	bool r = p->ip.restricted;
	if (!r && p->dhcp_server && p->ra)
		return FN_L3_OK;
	if (len < 40 || (h[0] >> 4) != 6 || 40u + be16(h + 4) > len)
		return r ? FN_L3_MALFORMED : FN_L3_OK;
	uint32_t end = 40u + be16(h + 4), off = 0;
	bool first = false;
	int proto = walk6(h, end, &off, &first);
	if (proto == CHAIN_DEEP)        /* may hide an RA: whatever ip says */
		return FN_L3_MALFORMED;
	/* a first fragment must hold the whole chain (RFC 7112): the rest
	 * would come in the next fragment, where no guard sees it */
	if (proto == CHAIN_CUT)
		return r || first ? FN_L3_MALFORMED : FN_L3_OK;
	/* a whole UDP or ICMPv6 header, or nothing to judge */
	const uint8_t *l4 = h + off;
	bool udp = proto == P_UDP && end - off >= 8;
	bool icmp = proto == P_ICMPV6 && end - off >= 4;
	if (first && ((proto == P_UDP && !udp) || (proto == P_ICMPV6 && !icmp)))
		return FN_L3_MALFORMED;
	uint8_t type = icmp ? l4[0] : 0;
	if (r) {
		bool nd = type == ND_RS || type == ND_NS || type == ND_NA;
		bool foreign_lla = false, slla = false;
		if (nd && !nd_ok(p, l4, end - off, &foreign_lla, &slla))
			return FN_L3_MALFORMED;
		static const uint8_t unspec[16];
		bool from_unspec = memcmp(h + 8, unspec, 16) == 0;
		/* RFC 4861 6.1.1: an RS from :: carries no SLLA */
		if (from_unspec && type == ND_RS && slla)
			return FN_L3_MALFORMED;
		if (from_unspec ? !(type == ND_NS || type == ND_RS ||
				    type == MLD_REPORT || type == MLD2_REPORT) :
				  !own6(p, h + 8))
			return FN_L3_IP_SPOOF;
		/* a DAD probe for another's address would fail their DAD */
		if (nd && (foreign_lla || (type == ND_NA && !own6(p, l4 + 8)) ||
			   (type == ND_NS && from_unspec && !own6(p, l4 + 8))))
			return FN_L3_ND_SPOOF;
	}
	if (!p->dhcp_server && udp && (be16(l4) == 547 || be16(l4 + 2) == 546))
		return FN_L3_DHCP_SERVER;
	if (!p->ra && (type == ND_RA || type == ND_REDIRECT))
		return FN_L3_RA;
	return FN_L3_OK;
}

enum fn_l3_verdict
fn_l3_check_full(const struct fn_l3_policy *p, const uint8_t *l3, uint32_t len,
	    uint16_t ethertype)
{
	switch (ethertype) {
	case FN_ETH_P_IPV4:
		return check_ipv4(p, l3, len);
	case FN_ETH_P_IPV6:
		return check_ipv6(p, l3, len);
	case FN_ETH_P_ARP:
		return p->ip.restricted ? check_arp(p, l3, len) : FN_L3_OK;
	default:
		return FN_L3_OK;
	}
}

/* ---- control path: `ip` values ---- */

static int
fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err != NULL && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

#define EXPECTED "(expected ADDR[/LEN],... e.g. 10.0.0.5,2001:db8::5/64)"
/* Part of the input as an error quotes it: printable (the error is one
 * line), at most 60 characters. */
static const char *
shown(const char *e, size_t n, char q[static 64])
{
	size_t k = n < 60 ? n : 60;
	for (size_t i = 0; i < k; i++)
		q[i] = e[i] >= 0x20 && e[i] < 0x7f ? e[i] : '?';
	q[k] = '\0';
	return q;
}

/* One ADDR[/LEN] element `e` of `n` bytes, added to `set`. */
static int
parse_one(const char *e, size_t n, struct fn_ipset *set, char *err,
	  size_t errlen)
{
	static const uint8_t zero[16], one[16] = { [15] = 1 };
	char q[64], ql[64], a[INET6_ADDRSTRLEN], sug[INET6_ADDRSTRLEN];
	const char *el = shown(e, n, q);
	const char *slash = memchr(e, '/', n);
	size_t alen = slash != NULL ? (size_t)(slash - e) : n;
	bool v6 = memchr(e, ':', alen) != NULL;
	int af = v6 ? AF_INET6 : AF_INET;
	unsigned max = v6 ? 128 : 32, plen = max, bytes = max / 8;
	uint8_t bin[16], net[16];
	if (alen == 0 || alen >= sizeof(a))
		return fail(err, errlen, "invalid address \"%s\" in ip " EXPECTED, el);
	memcpy(a, e, alen);
	a[alen] = '\0';
	if (inet_pton(af, a, bin) != 1)
		return fail(err, errlen, "invalid address \"%s\" in ip " EXPECTED, el);
	if (slash != NULL) {
		const char *l = slash + 1;
		size_t ll = n - alen - 1;
		bool ok = ll >= 1 && ll <= 3;   /* no sign, no overflow */
		plen = 0;
		for (size_t i = 0; ok && i < ll; i++) {
			ok = l[i] >= '0' && l[i] <= '9';
			plen = plen * 10 + (unsigned)(l[i] - '0');
		}
		if (!ok || plen > max)
			return fail(err, errlen, "invalid prefix length \"%s\" in "
				    "ip element %s (expected 0..%u)",
				    shown(l, ll < 12 ? ll : 12, ql), el, max);
	}
	for (unsigned i = 0; i < bytes; i++) {
		unsigned keep = plen > 8 * i ? plen - 8 * i : 0;
		net[i] = bin[i] & (uint8_t)(0xff00 >> (keep < 8 ? keep : 8));
	}
	if (memcmp(net, bin, bytes) != 0) {
		inet_ntop(af, net, sug, sizeof(sug));
		return fail(err, errlen, "%s: host bits set (did you mean %s/%u?)",
			    el, sug, plen);
	}
	if (v6 ? bin[0] == 0xff : bin[0] >> 4 == 0xe)
		return fail(err, errlen, "%s: multicast address", el);
	if (v6 ? memcmp(bin, one, 16) == 0 : bin[0] == 127)
		return fail(err, errlen, "%s: loopback address", el);
	if (plen == max && memcmp(bin, zero, bytes) == 0)
		return fail(err, errlen, "unspecified address %s in ip (%s)", el,
			    v6 ? "DAD and MLD from :: pass without it" :
				 "DHCP from 0.0.0.0 passes without it");
	if (!v6) {
		uint32_t x = be32(bin);
		for (unsigned i = 0; i < set->n4; i++)
			if (set->v4[i].addr == x && set->v4[i].len == plen)
				return fail(err, errlen, "%s: listed twice in ip", el);
		if (set->n4 == FN_L3_MAX_PREFIXES)
			return fail(err, errlen, "more than %d IPv4 prefixes",
				    FN_L3_MAX_PREFIXES);
		set->v4[set->n4].addr = x;
		set->v4[set->n4++].len = (uint8_t)plen;
		return 0;
	}
	for (unsigned i = 0; i < set->n6; i++)
		if (memcmp(set->v6[i].addr, bin, 16) == 0 && set->v6[i].len == plen)
			return fail(err, errlen, "%s: listed twice in ip", el);
	if (set->n6 == FN_L3_MAX_PREFIXES)
		return fail(err, errlen, "more than %d IPv6 prefixes",
			    FN_L3_MAX_PREFIXES);
	memcpy(set->v6[set->n6].addr, bin, 16);
	set->v6[set->n6++].len = (uint8_t)plen;
	return 0;
}

int
fn_ipset_parse(const char *s, struct fn_ipset *set, char *err, size_t errlen)
{
	struct fn_ipset t;
	memset(&t, 0, sizeof(t));
	if (strcmp(s, "any") == 0) {
		*set = t;
		return 0;
	}
	t.restricted = true;
	if (strcmp(s, "none") == 0) {
		*set = t;
		return 0;
	}
	if (*s == '\0')
		return fail(err, errlen, "empty ip (expected any, none or "
			    "ADDR[/LEN],... e.g. 10.0.0.5,2001:db8::5/64)");
	for (const char *e = s;;) {
		size_t n = strcspn(e, ",");
		if (n == 0)
			return fail(err, errlen, "empty element in ip " EXPECTED);
		if ((n == 3 && memcmp(e, "any", 3) == 0) ||
		    (n == 4 && memcmp(e, "none", 4) == 0))
			return fail(err, errlen, "%s in a list of addresses (ip is "
				    "any, none, or addresses)", n == 3 ? "any" : "none");
		if (parse_one(e, n, &t, err, errlen) != 0)
			return -1;
		if (e[n] == '\0')
			break;
		e += n + 1;
	}
	*set = t;
	return 0;
}

/* snprintf-like appending: counts what it could not write. */
struct out {
	char *buf;
	size_t len, at;
};

static void
put(struct out *o, const char *s)
{
	size_t n = strlen(s);
	if (o->at < o->len) {
		size_t room = o->len - o->at - 1;
		memcpy(o->buf + o->at, s, n < room ? n : room);
		o->buf[o->at + (n < room ? n : room)] = '\0';
	}
	o->at += n;
}

size_t
fn_ipset_format(const struct fn_ipset *set, char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len };
	char s[INET6_ADDRSTRLEN];
	/* a count out of range is not followed past the arrays */
	unsigned n4 = set->n4 < FN_L3_MAX_PREFIXES ? set->n4 : FN_L3_MAX_PREFIXES;
	unsigned n6 = set->n6 < FN_L3_MAX_PREFIXES ? set->n6 : FN_L3_MAX_PREFIXES;
	if (!set->restricted || n4 + n6 == 0) {
		put(&o, set->restricted ? "none" : "any");
		return o.at;
	}
	for (unsigned i = 0; i < n4 + n6; i++) {
		bool v6 = i >= n4;
		uint32_t a4 = v6 ? 0 : htonl(set->v4[i].addr);
		unsigned plen = v6 ? set->v6[i - n4].len : set->v4[i].len;
		inet_ntop(v6 ? AF_INET6 : AF_INET,
			  v6 ? (const void *)set->v6[i - n4].addr : &a4, s, sizeof(s));
		put(&o, i > 0 ? "," : "");
		put(&o, s);
		if (plen != (v6 ? 128u : 32u)) {
			snprintf(s, sizeof(s), "/%u", plen);
			put(&o, s);
		}
	}
	return o.at;
}
