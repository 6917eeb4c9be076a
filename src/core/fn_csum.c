/* SPDX-License-Identifier: BSD-3-Clause */
/* fn_csum: finish partial TCP/UDP checksums (see fn_csum.h). */
#include "fn_csum.h"

#define ETH_HLEN     14
#define ETH_P_IPV4   0x0800
#define ETH_P_IPV6   0x86dd
#define ETH_P_8021Q  0x8100
#define ETH_P_8021AD 0x88a8
#define PROTO_TCP    6
#define PROTO_UDP    17

static inline uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* One's-complement sum of `len` bytes added to `sum` (not folded). */
static uint64_t
fn_csum_add(uint64_t sum, const uint8_t *p, uint32_t len)
{
	uint32_t i = 0;
	for (; i + 1 < len; i += 2)
		sum += be16(p + i);
	if (i < len)
		sum += (uint64_t)p[i] << 8;
	return sum;
}

/* Fold a sum to 16 bits (not complemented). */
static uint16_t
fn_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* 0 and 0xffff are the same number in one's complement. */
static inline int
csum_eq(uint16_t a, uint16_t b)
{
	return a == b || ((a == 0 || a == 0xffff) && (b == 0 || b == 0xffff));
}

/*
 * l4 points at `l4len` bytes of TCP or UDP; `pseudo` is the unfolded
 * pseudo-header sum.
 */
static enum fn_csum_result
finish(uint8_t *l4, uint32_t l4len, uint8_t proto, uint64_t pseudo)
{
	uint32_t off;
	if (proto == PROTO_TCP)
		off = 16;
	else if (proto == PROTO_UDP)
		off = 6;
	else
		return FN_CSUM_UNTOUCHED;
	if (l4len < off + 2 || (proto == PROTO_TCP && l4len < 20))
		return FN_CSUM_UNTOUCHED;
	uint16_t field = be16(l4 + off);
	if (!csum_eq(field, fn_csum_fold(pseudo)))
		return FN_CSUM_UNTOUCHED;
	if (fn_csum_fold(fn_csum_add(pseudo, l4, l4len)) == 0xffff)
		return FN_CSUM_UNTOUCHED;        /* complete and correct */
	l4[off] = l4[off + 1] = 0;
	uint16_t c = (uint16_t)~fn_csum_fold(fn_csum_add(pseudo, l4, l4len));
	if (c == 0 && proto == PROTO_UDP)
		c = 0xffff;                      /* 0 means "no checksum" */
	l4[off] = (uint8_t)(c >> 8);
	l4[off + 1] = (uint8_t)c;
	return FN_CSUM_COMPLETED;
}

static enum fn_csum_result
ipv4(uint8_t *ip, uint32_t len)
{
	if (len < 20 || (ip[0] >> 4) != 4)
		return FN_CSUM_UNTOUCHED;
	uint32_t ihl = (uint32_t)(ip[0] & 0x0f) * 4, tot = be16(ip + 2);
	if (ihl < 20 || tot < ihl)
		return FN_CSUM_UNTOUCHED;
	if (tot > len)
		return FN_CSUM_TRUNCATED;
	if (be16(ip + 6) & 0x3fff)               /* MF or an offset: fragment */
		return FN_CSUM_UNTOUCHED;
	uint32_t l4len = tot - ihl;
	uint64_t pseudo = fn_csum_add(0, ip + 12, 8) + ip[9] + l4len;
	return finish(ip + ihl, l4len, ip[9], pseudo);
}

static enum fn_csum_result
ipv6(uint8_t *ip, uint32_t len)
{
	if (len < 40 || (ip[0] >> 4) != 6)
		return FN_CSUM_UNTOUCHED;
	uint32_t plen = be16(ip + 4), off = 40;
	if (plen == 0)                           /* a jumbogram */
		return FN_CSUM_UNTOUCHED;
	if (40 + plen > len)
		return FN_CSUM_TRUNCATED;
	uint8_t next = ip[6];
	/* Hop-by-hop and destination options leave addresses as they are. */
	while (next == 0 || next == 60) {
		if (off + 8 > 40 + plen)
			return FN_CSUM_UNTOUCHED;
		uint32_t ext = ((uint32_t)ip[off + 1] + 1) * 8;
		next = ip[off];
		off += ext;
		if (off > 40 + plen)
			return FN_CSUM_UNTOUCHED;
	}
	uint32_t l4len = 40 + plen - off;
	uint64_t pseudo = fn_csum_add(0, ip + 8, 32) + (l4len >> 16) +
			  (l4len & 0xffff) + next;
	return finish(ip + off, l4len, next, pseudo);
}

enum fn_csum_result
fn_csum_complete(uint8_t *d, uint32_t len)
{
	uint32_t off = 12;
	if (len < ETH_HLEN)
		return FN_CSUM_UNTOUCHED;
	uint16_t type = be16(d + off);
	for (int tags = 0; tags < 2 && (type == ETH_P_8021Q || type == ETH_P_8021AD); tags++) {
		off += 4;
		if (off + 2 > len)
			return FN_CSUM_UNTOUCHED;
		type = be16(d + off);
	}
	off += 2;
	if (type == ETH_P_IPV4)
		return ipv4(d + off, len - off);
	if (type == ETH_P_IPV6)
		return ipv6(d + off, len - off);
	return FN_CSUM_UNTOUCHED;
}
