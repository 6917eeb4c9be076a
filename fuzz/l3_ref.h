/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FUZZ_L3_REF_H
#define FUZZ_L3_REF_H
/*
 * An independent reference for fn_l3_check(), shared by the fuzzers
 * (fuzz_l3.c: differential against fn_l3; fuzz_switch.c: the model's L3
 * verdict for the frames a guest sends). Written from fn_l3.h and the rules
 * at the top of fn_l3.c, never from fn_l3.c's code: a frame is first
 * decoded into a struct through a bounds-checked reader (every read says
 * whether it could), then judged. Slow and plain on purpose.
 *
 * Everything here is static and named ref_* / REF_*, so that it can be
 * included next to a harness's own helpers; it needs only fn_l3.h.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fn_l3.h"

static bool
ref_bit(const uint8_t *a, unsigned i)
{
	return a[i / 8] >> (7 - i % 8) & 1;
}

static bool
ref_match(const uint8_t *a, const uint8_t *prefix, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		if (ref_bit(a, i) != ref_bit(prefix, i))
			return false;
	return true;
}

static void
ref_v4bytes(uint32_t x, uint8_t *b)
{
	b[0] = (uint8_t)(x >> 24);
	b[1] = (uint8_t)(x >> 16);
	b[2] = (uint8_t)(x >> 8);
	b[3] = (uint8_t)x;
}

static bool
ref_in4(const struct fn_ipset *s, const uint8_t *a)
{
	for (unsigned i = 0; i < s->n4; i++) {
		uint8_t pb[4];
		ref_v4bytes(s->v4[i].addr, pb);
		if (ref_match(a, pb, s->v4[i].len))
			return true;
	}
	return false;
}

static void
ref_eui64(uint64_t mac, uint8_t *a)
{
	uint8_t m[6];
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)(mac >> (8 * (5 - i)));
	memset(a, 0, 16);
	a[0] = 0xfe;
	a[1] = 0x80;
	a[8] = m[0] ^ 0x02;
	a[9] = m[1];
	a[10] = m[2];
	a[11] = 0xff;
	a[12] = 0xfe;
	a[13] = m[3];
	a[14] = m[4];
	a[15] = m[5];
}

static bool
ref_own6(const struct fn_l3_policy *p, const uint8_t *a)
{
	for (unsigned i = 0; i < p->ip.n6; i++)
		if (ref_match(a, p->ip.v6[i].addr, p->ip.v6[i].len))
			return true;
	uint8_t ll[16];
	ref_eui64(p->mac, ll);
	return p->ip.n6 > 0 && memcmp(a, ll, 16) == 0;
}

/* A reader that refuses to go past `n`: every read says if it could. */
struct ref_rd {
	const uint8_t *p;
	size_t n;
};

static bool
ref_rd8(const struct ref_rd *r, size_t off, unsigned *v)
{
	if (off >= r->n)
		return false;
	*v = r->p[off];
	return true;
}

static bool
ref_rd16(const struct ref_rd *r, size_t off, unsigned *v)
{
	unsigned a, b;
	if (!ref_rd8(r, off, &a) || !ref_rd8(r, off + 1, &b))
		return false;
	*v = a << 8 | b;
	return true;
}

static bool
ref_rdn(const struct ref_rd *r, size_t off, size_t n, uint8_t *out)
{
	if (off > r->n || n > r->n - off)
		return false;
	memcpy(out, r->p + off, n);
	return true;
}

enum ref_kind { REF_OTHER, REF_ARP, REF_V4, REF_V6 };

struct ref_frame {
	enum ref_kind kind;
	bool broken;            /* header truncated or invalid, chain cut */
	bool too_deep;          /* more extension headers than walked */
	bool first_cut;         /* a first fragment without all a guard reads */
	/* ARP */
	unsigned op;
	uint8_t sha[6], spa[4];
	/* IP */
	uint8_t src[16];        /* IPv4: the first 4 */
	bool udp, icmp;         /* a whole header of it is there */
	unsigned sport, dport, type;
	/* RS, NS, NA */
	bool nd, nd_bad, lla_foreign, slla;
	uint8_t target[16];
};

static void
ref_decode_arp(const struct ref_rd *r, struct ref_frame *f)
{
	unsigned htype, ptype, hlen, plen;
	f->kind = REF_ARP;
	if (r->n < 28 || !ref_rd16(r, 0, &htype) || !ref_rd16(r, 2, &ptype) ||
	    !ref_rd8(r, 4, &hlen) || !ref_rd8(r, 5, &plen) || htype != 1 ||
	    ptype != 0x0800 || hlen != 6 || plen != 4) {
		f->broken = true;
		return;
	}
	ref_rd16(r, 6, &f->op);
	ref_rdn(r, 8, 6, f->sha);
	ref_rdn(r, 14, 4, f->spa);
}

static void
ref_decode_v4(const struct ref_rd *r, struct ref_frame *f)
{
	unsigned vihl, total, frag, proto;
	f->kind = REF_V4;
	if (!ref_rd8(r, 0, &vihl) || !ref_rd16(r, 2, &total) ||
	    !ref_rd16(r, 6, &frag) || !ref_rd8(r, 9, &proto) ||
	    !ref_rdn(r, 12, 4, f->src)) {
		f->broken = true;
		return;
	}
	unsigned ihl = (vihl & 0x0f) * 4;
	if (vihl >> 4 != 4 || ihl < 20 || ihl > r->n || total < ihl ||
	    total > r->n) {
		f->broken = true;
		return;
	}
	/* from here on only the datagram counts, not the padding after it */
	struct ref_rd d = { r->p, total };
	unsigned offset = frag & 0x1fff;
	bool more = frag >> 13 & 1;
	if (proto == 17 && offset == 0 && ref_rd16(&d, ihl, &f->sport) &&
	    ref_rd16(&d, ihl + 2, &f->dport) && ihl + 8 <= total)
		f->udp = true;
	/* RFC 7112's rule for IPv4: the first fragment holds the UDP header */
	if (proto == 17 && more && offset == 0 && ihl + 8 > total)
		f->first_cut = true;
}

static void
ref_decode_nd(const struct ref_rd *d, size_t at, const struct fn_l3_policy *p,
	      struct ref_frame *f)
{
	size_t fixed = f->type == 133 ? 8 : 24;
	f->nd = true;
	if (d->n - at < fixed) {
		f->nd_bad = true;
		return;
	}
	if (f->type != 133)
		ref_rdn(d, at + 8, 16, f->target);
	uint8_t own[6];
	for (int i = 0; i < 6; i++)
		own[i] = (uint8_t)(p->mac >> (8 * (5 - i)));
	for (size_t o = at + fixed; o < d->n;) {
		unsigned t, l;
		if (!ref_rd8(d, o, &t) || !ref_rd8(d, o + 1, &l) || l == 0 ||
		    o + 8 * (size_t)l > d->n) {
			f->nd_bad = true;
			return;
		}
		uint8_t lla[6];
		if ((t == 1 || t == 2) && ref_rdn(d, o + 2, 6, lla) &&
		    memcmp(lla, own, 6) != 0)
			f->lla_foreign = true;
		if (t == 1)
			f->slla = true;
		o += 8 * (size_t)l;
	}
}

static bool
ref_is_ext(unsigned nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60;
}

static void
ref_decode_v6(const struct ref_rd *r, const struct fn_l3_policy *p,
	      struct ref_frame *f)
{
	unsigned ver, plen, nh;
	f->kind = REF_V6;
	if (r->n < 40 || !ref_rd8(r, 0, &ver) || ver >> 4 != 6 ||
	    !ref_rd16(r, 4, &plen) || 40 + plen > r->n) {
		f->broken = true;
		return;
	}
	ref_rd8(r, 6, &nh);
	ref_rdn(r, 8, 16, f->src);
	struct ref_rd d = { r->p, 40 + plen };
	size_t at = 40;
	int seen = 0;
	bool first = false;     /* passed a whole fragment header, offset 0 */
	while (ref_is_ext(nh)) {
		if (seen == FN_L3_MAX_EXT) {
			f->too_deep = true;
			return;
		}
		seen++;
		unsigned next, hl, fo = 0;
		size_t size;
		if (!ref_rd8(&d, at, &next) || !ref_rd8(&d, at + 1, &hl)) {
			f->broken = true;
			f->first_cut = first;
			return;
		}
		if (nh == 44) {
			size = 8;
			ref_rd16(&d, at + 2, &fo);
		} else if (nh == 51) {
			size = 4 * ((size_t)hl + 2);
		} else {
			size = 8 * ((size_t)hl + 1);
		}
		if (at + size > d.n) {
			f->broken = true;
			f->first_cut = first;
			return;
		}
		if (nh == 44 && fo >> 3 != 0)
			return;         /* a later fragment: nothing more to see */
		if (nh == 44)
			first = true;
		nh = next;
		at += size;
	}
	if (first && ((nh == 17 && at + 8 > d.n) || (nh == 58 && at + 4 > d.n)))
		f->first_cut = true;
	if (nh == 17 && at + 8 <= d.n) {
		f->udp = true;
		ref_rd16(&d, at, &f->sport);
		ref_rd16(&d, at + 2, &f->dport);
	}
	if (nh == 58 && at + 4 <= d.n) {
		f->icmp = true;
		ref_rd8(&d, at, &f->type);
		if (f->type == 133 || f->type == 135 || f->type == 136)
			ref_decode_nd(&d, at, p, f);
	}
}

/* The verdict fn_l3_check() must give. The policy's prefixes must have
 * their host bits clear, as fn_l3.h requires and fn_ipset_parse's sets
 * have (fn_switch_vnic_add refuses others with -EINVAL). */
static enum fn_l3_verdict
ref_check(const struct fn_l3_policy *p, const uint8_t *l3, uint32_t len,
	  uint16_t ethertype)
{
	struct ref_frame f;
	struct ref_rd r = { l3, len };
	memset(&f, 0, sizeof(f));
	bool dhcp_guard = !p->dhcp_server, ra_guard = !p->ra;
	bool restricted = p->ip.restricted;
	if (!restricted && !dhcp_guard && !ra_guard)
		return FN_L3_OK;
	if (ethertype == 0x0806)
		ref_decode_arp(&r, &f);
	else if (ethertype == 0x0800)
		ref_decode_v4(&r, &f);
	else if (ethertype == 0x86dd)
		ref_decode_v6(&r, p, &f);

	if (f.kind == REF_OTHER)
		return FN_L3_OK;
	if (f.kind == REF_ARP) {
		uint8_t own[6], zero[4] = { 0 };
		for (int i = 0; i < 6; i++)
			own[i] = (uint8_t)(p->mac >> (8 * (5 - i)));
		if (!restricted)
			return FN_L3_OK;
		if (f.broken)
			return FN_L3_MALFORMED;
		if (memcmp(f.sha, own, 6) != 0)
			return FN_L3_ARP_SPOOF;
		if (memcmp(f.spa, zero, 4) == 0)
			return f.op == 1 ? FN_L3_OK : FN_L3_ARP_SPOOF;
		return ref_in4(&p->ip, f.spa) ? FN_L3_OK : FN_L3_ARP_SPOOF;
	}
	if (f.too_deep)
		return FN_L3_MALFORMED;
	/* some guard is on: an IPv6 first fragment must hold all it reads */
	if (f.kind == REF_V6 && f.first_cut)
		return FN_L3_MALFORMED;
	if (f.broken)
		return restricted ? FN_L3_MALFORMED : FN_L3_OK;
	if (f.kind == REF_V4) {
		static const uint8_t zero[4];
		if (dhcp_guard && f.first_cut)
			return FN_L3_MALFORMED;
		if (restricted) {
			if (memcmp(f.src, zero, 4) == 0) {
				if (!(f.udp && f.sport == 68 && f.dport == 67))
					return FN_L3_IP_SPOOF;
			} else if (!ref_in4(&p->ip, f.src)) {
				return FN_L3_IP_SPOOF;
			}
		}
		if (dhcp_guard && f.udp && (f.sport == 67 || f.dport == 68))
			return FN_L3_DHCP_SERVER;
		return FN_L3_OK;
	}
	static const uint8_t zero[16];
	bool unspec = memcmp(f.src, zero, 16) == 0;
	if (restricted) {
		if (f.nd && f.nd_bad)
			return FN_L3_MALFORMED;
		/* RFC 4861 6.1.1: no SLLA in an RS from :: */
		if (unspec && f.icmp && f.type == 133 && f.slla)
			return FN_L3_MALFORMED;
		if (unspec) {
			if (!(f.icmp && (f.type == 135 || f.type == 133 || f.type == 131 ||
					 f.type == 143)))
				return FN_L3_IP_SPOOF;
		} else if (!ref_own6(p, f.src)) {
			return FN_L3_IP_SPOOF;
		}
		if (f.nd && f.lla_foreign)
			return FN_L3_ND_SPOOF;
		if (f.icmp && f.type == 136 && !ref_own6(p, f.target))
			return FN_L3_ND_SPOOF;
		if (f.icmp && f.type == 135 && unspec && !ref_own6(p, f.target))
			return FN_L3_ND_SPOOF;
	}
	if (dhcp_guard && f.udp && (f.sport == 547 || f.dport == 546))
		return FN_L3_DHCP_SERVER;
	if (ra_guard && f.icmp && (f.type == 134 || f.type == 137))
		return FN_L3_RA;
	return FN_L3_OK;
}

#endif /* FUZZ_L3_REF_H */
