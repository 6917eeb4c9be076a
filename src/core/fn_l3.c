/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fn_l3: the layer-3 guard (see fn_l3.h). The rules the header leaves open:
 *
 *  - A port or an ICMPv6 type is looked at only in a whole L4 header inside
 *    the datagram (UDP 8 bytes, ICMPv6 4) and not in a non-first fragment;
 *    without one the port and RA guards pass the frame, and a source of
 *    0.0.0.0 or :: cannot show it is DHCP / DAD / MLD (IP_SPOOF). A short
 *    L4 header is not malformed: only ND messages have a fixed part here.
 *  - The unspecified source is never "in the set" (0.0.0.0/0 and ::/0
 *    included): it passes only for what the header allows it.
 *  - IPv6 version other than 6 is as broken as a truncated header.
 *  - More than FN_L3_MAX_EXT extension headers is malformed whatever `ip`
 *    says (when any guard is on): a receiver would still find an RA or a
 *    DHCPv6 reply behind them. A chain running out of the datagram is only
 *    malformed with `ip` restricted: no receiver takes it.
 *  - ND structure (fixed part, option lengths) is checked, and link-layer
 *    options (source 1, target 2) judged, in RS, NS and NA only, and only
 *    with `ip` restricted.
 *  - ARP: a sender address of 0.0.0.0 passes only in a request (op 1).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "fn_eth.h"
#include "fn_l3.h"

#define IPPROTO_UDP_    17
#define IPPROTO_ICMPV6_ 58
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

static inline uint32_t
mask32(unsigned len)
{
	return len == 0 ? 0 : ~UINT32_C(0) << (32 - len);
}

static bool
in_set4(const struct fn_ipset *s, uint32_t a)
{
	for (unsigned i = 0; i < s->n4; i++)
		if ((a & mask32(s->v4[i].len)) == s->v4[i].addr)
			return true;
	return false;
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
	return in_set4(&p->ip, spa) ? FN_L3_OK : FN_L3_ARP_SPOOF;
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
	/* ports: UDP, a whole header, first fragment */
	bool udp = h[9] == IPPROTO_UDP_ && (be16(h + 6) & 0x1fff) == 0 &&
		   tot - hl >= 8;
	uint16_t sport = udp ? be16(h + hl) : 0, dport = udp ? be16(h + hl + 2) : 0;
	if (r) {
		uint32_t src = be32(h + 12);
		if (src == 0 ? !(udp && sport == 68 && dport == 67) :
			       !in_set4(&p->ip, src))
			return FN_L3_IP_SPOOF;
	}
	if (!p->dhcp_server && udp && (sport == 67 || dport == 68))
		return FN_L3_DHCP_SERVER;
	return FN_L3_OK;
}

/*
 * RS, NS, NA: fixed part and options. Sets *foreign_lla when a link-layer
 * address option is not the vNIC's MAC; a structural error wins over it
 * (malformed is judged first).
 */
static bool
nd_ok(const struct fn_l3_policy *p, const uint8_t *m, uint32_t len,
      bool *foreign_lla)
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
		off += m[off + 1] * 8u;
	}
	return true;
}

static enum fn_l3_verdict
check_ipv6(const struct fn_l3_policy *p, const uint8_t *h, uint32_t len)
{
	bool r = p->ip.restricted;
	if (!r && p->dhcp_server && p->ra)
		return FN_L3_OK;
	if (len < 40 || (h[0] >> 4) != 6 || 40u + be16(h + 4) > len)
		return r ? FN_L3_MALFORMED : FN_L3_OK;
	uint32_t end = 40u + be16(h + 4), off = 40;
	uint8_t nh = h[6];
	const uint8_t *l4 = NULL;       /* a whole UDP or ICMPv6 header */
	uint32_t l4len = 0;
	for (unsigned n = 0;; n++) {
		uint32_t hl;
		if (nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60) {
			if (n == FN_L3_MAX_EXT)
				return FN_L3_MALFORMED;
			if (end - off < (nh == 44 ? 8u : 2u))
				return r ? FN_L3_MALFORMED : FN_L3_OK;
		}
		switch (nh) {
		case 0: case 43: case 60:       /* hop-by-hop, routing, dst */
			hl = (h[off + 1] + 1u) * 8;
			break;
		case 51:                        /* AH counts 4-byte words */
			hl = (h[off + 1] + 2u) * 4;
			break;
		case 44:                        /* fragment */
			if (be16(h + off + 2) & 0xfff8)
				goto judge;     /* not first: no L4 */
			hl = 8;
			break;
		case IPPROTO_UDP_:
		case IPPROTO_ICMPV6_:
			if (end - off >= (nh == IPPROTO_UDP_ ? 8u : 4u)) {
				l4 = h + off;
				l4len = end - off;
			}
			goto judge;
		default:                        /* ESP, none, TCP, ...: no L4 */
			goto judge;
		}
		if (hl > end - off)
			return r ? FN_L3_MALFORMED : FN_L3_OK;
		nh = h[off];
		off += hl;
	}
judge:;
	bool icmp = l4 != NULL && nh == IPPROTO_ICMPV6_;
	bool udp = l4 != NULL && nh == IPPROTO_UDP_;
	uint8_t type = icmp ? l4[0] : 0;
	if (r) {
		bool nd = icmp && (type == ND_RS || type == ND_NS || type == ND_NA);
		bool foreign_lla = false;
		if (nd && !nd_ok(p, l4, l4len, &foreign_lla))
			return FN_L3_MALFORMED;
		static const uint8_t unspec[16];
		bool dad = memcmp(h + 8, unspec, 16) == 0;
		if (dad ? !(type == ND_NS || type == MLD_REPORT || type == MLD2_REPORT) :
			  !own6(p, h + 8))
			return FN_L3_IP_SPOOF;
		if (nd && (foreign_lla || (type == ND_NA && !own6(p, l4 + 8)) ||
			   (type == ND_NS && dad && !own6(p, l4 + 8))))
			return FN_L3_ND_SPOOF;
	}
	if (!p->dhcp_server && udp && (be16(l4) == 547 || be16(l4 + 2) == 546))
		return FN_L3_DHCP_SERVER;
	if (!p->ra && (type == ND_RA || type == ND_REDIRECT))
		return FN_L3_RA;
	return FN_L3_OK;
}

enum fn_l3_verdict
fn_l3_check(const struct fn_l3_policy *p, const uint8_t *l3, uint32_t len,
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
/* An element is quoted in an error up to this much: one line stays short. */
#define SHOWN(n) (int)((n) < 60 ? (n) : 60)

static void
fmt4(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255,
		 a & 255);
}

/* One ADDR[/LEN] element `e` of `n` bytes, added to `set`. */
static int
parse_one(const char *e, size_t n, struct fn_ipset *set, char *err,
	  size_t errlen)
{
	const char *slash = memchr(e, '/', n);
	size_t alen = slash ? (size_t)(slash - e) : n;
	char a[INET6_ADDRSTRLEN];
	bool v6 = memchr(e, ':', alen) != NULL;
	unsigned max = v6 ? 128 : 32, plen = max;
	uint8_t bin[16];
	if (alen == 0 || alen >= sizeof(a))
		return fail(err, errlen, "invalid address \"%.*s\" in ip " EXPECTED,
			    SHOWN(n), e);
	memcpy(a, e, alen);
	a[alen] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, a, bin) != 1)
		return fail(err, errlen, "invalid address \"%.*s\" in ip " EXPECTED,
			    SHOWN(n), e);
	if (slash != NULL) {
		const char *l = slash + 1;
		size_t ll = n - alen - 1;
		plen = 0;
		for (size_t i = 0; i < ll; i++)
			if (l[i] < '0' || l[i] > '9' || i == 3)
				ll = 0;
			else
				plen = plen * 10 + (unsigned)(l[i] - '0');
		if (ll == 0 || plen > max)
			return fail(err, errlen, "invalid prefix length \"%.*s\" in "
				    "ip element %.*s (expected 0..%u)",
				    SHOWN(n - alen - 1), l, SHOWN(n), e, max);
	}
	if (!v6) {
		uint32_t x = be32(bin), net = x & mask32(plen);
		char s[INET_ADDRSTRLEN];
		if (net != x) {
			fmt4(net, s, sizeof(s));
			return fail(err, errlen, "%.*s: host bits set (did you "
				    "mean %s/%u?)", SHOWN(n), e, s, plen);
		}
		if (x >> 28 == 0xe)
			return fail(err, errlen, "%.*s: multicast address", SHOWN(n), e);
		if (x >> 24 == 127)
			return fail(err, errlen, "%.*s: loopback address", SHOWN(n), e);
		if (x == 0 && plen == 32)
			return fail(err, errlen, "unspecified address %.*s in ip "
				    "(DHCP from 0.0.0.0 passes without it)", SHOWN(n), e);
		for (unsigned i = 0; i < set->n4; i++)
			if (set->v4[i].addr == x && set->v4[i].len == plen)
				return fail(err, errlen, "%.*s: listed twice in ip",
					    SHOWN(n), e);
		if (set->n4 == FN_L3_MAX_PREFIXES)
			return fail(err, errlen, "more than %d IPv4 prefixes",
				    FN_L3_MAX_PREFIXES);
		set->v4[set->n4].addr = x;
		set->v4[set->n4++].len = (uint8_t)plen;
		return 0;
	}
	uint8_t net[16];
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = plen >= 8 * (i + 1) ? 8 : plen > 8 * i ? plen - 8 * i : 0;
		net[i] = bin[i] & (uint8_t)(0xff00 >> keep);
	}
	if (memcmp(net, bin, 16) != 0) {
		char s[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, net, s, sizeof(s));
		return fail(err, errlen, "%.*s: host bits set (did you mean %s/%u?)",
			    SHOWN(n), e, s, plen);
	}
	static const uint8_t zero[16], one[16] = { [15] = 1 };
	if (bin[0] == 0xff)
		return fail(err, errlen, "%.*s: multicast address", SHOWN(n), e);
	if (memcmp(bin, one, 16) == 0)
		return fail(err, errlen, "%.*s: loopback address", SHOWN(n), e);
	if (memcmp(bin, zero, 16) == 0 && plen == 128)
		return fail(err, errlen, "unspecified address %.*s in ip (DAD "
			    "and MLD from :: pass without it)", SHOWN(n), e);
	for (unsigned i = 0; i < set->n6; i++)
		if (memcmp(set->v6[i].addr, bin, 16) == 0 && set->v6[i].len == plen)
			return fail(err, errlen, "%.*s: listed twice in ip", SHOWN(n), e);
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
			return fail(err, errlen, "%.*s in a list of addresses (ip "
				    "is any, none, or addresses)", SHOWN(n), e);
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
	char s[INET6_ADDRSTRLEN + 8];
	unsigned n4 = set->n4 < FN_L3_MAX_PREFIXES ? set->n4 : FN_L3_MAX_PREFIXES;
	unsigned n6 = set->n6 < FN_L3_MAX_PREFIXES ? set->n6 : FN_L3_MAX_PREFIXES;
	if (len > 0)
		buf[0] = '\0';
	if (!set->restricted) {
		put(&o, "any");
		return o.at;
	}
	if (n4 + n6 == 0) {
		put(&o, "none");
		return o.at;
	}
	for (unsigned i = 0; i < n4 + n6; i++) {
		if (i > 0)
			put(&o, ",");
		unsigned plen;
		if (i < n4) {
			fmt4(set->v4[i].addr, s, sizeof(s));
			plen = set->v4[i].len;
			put(&o, s);
			if (plen == 32)
				continue;
		} else {
			inet_ntop(AF_INET6, set->v6[i - n4].addr, s, sizeof(s));
			plen = set->v6[i - n4].len;
			put(&o, s);
			if (plen == 128)
				continue;
		}
		snprintf(s, sizeof(s), "/%u", plen);
		put(&o, s);
	}
	return o.at;
}
