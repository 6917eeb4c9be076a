/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for fn_l3 (build and run: fuzz/run_l3.sh).
 *
 * Byte 0 says what the input is:
 *   bit 7 clear: a frame judged under a policy:
 *     bit 0 ip restricted, bit 1 dhcp-server allow, bit 2 ra allow,
 *     bit 3 the other MAC, bits 4-5 ethertype (IPv4, IPv6, ARP, or the
 *     next 2 bytes), bit 6 rewrite the IPv4 total length / IPv6 payload
 *     length to the frame's;
 *     byte 1: IPv4 prefixes (low nibble), IPv6 prefixes (high nibble;
 *     15 means 16 in both);
 *     each prefix 2 bytes: a pool address (low 3 bits; 7: 4 or 16 bytes
 *     follow), then its length (bit 7: a host, else the rest mod 33/129);
 *     then the ethertype if so chosen; the rest is the frame from L3 on.
 *     fn_l3_check must agree with ref_check() (fuzz/l3_ref.h, shared with
 *     fuzz_switch.c), a slow decoder written from fn_l3.h and the rules at
 *     the top of fn_l3.c: first the frame is decoded into a struct through
 *     a bounds-checked reader, then judged.
 *   bit 7 set, bit 0 clear: the rest is an `ip` string: parsed; what parses
 *     formats and parses back to the same set, and is a valid set; what is
 *     refused leaves the set alone and says why in one short line.
 *   bit 7 set, bit 0 set: a set built from the bytes as above (bit 1: any
 *     or none when empty), its validity judged here: formatted, parsed
 *     back: the same set when valid, refused when not; formatting into a
 *     short buffer (byte 1) gives a terminated prefix and the full length;
 *     bit 2: one more prefix (bit 3: IPv6) is added to the formatted list,
 *     refused when it makes 17 of a family, a duplicate or a bad address.
 * A disagreement prints what and aborts.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_l3.h"
#include "l3_ref.h"

#define CHECK(c, ...)                                                         \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "fuzz_l3: check failed: %s: ", #c);   \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                  \
			abort();                                              \
		}                                                             \
	} while (0)

static const uint64_t macs[2] = { UINT64_C(0x525400123456), UINT64_C(0x525400abcdef) };

/* Addresses the seeds' frames use, and some a set must refuse. */
static const char *const pool4[7] = {
	"10.0.0.5", "10.0.0.0", "0.0.0.0", "10.0.0.1", "127.0.0.1", "224.0.0.1",
	"255.255.255.255",
};
static const char *const pool6[7] = {
	"2001:db8:1::5", "2001:db8:1::", "fe80::", "fe80::5054:ff:fe12:3456", "::",
	"::1", "ff02::1",
};

struct in {
	const uint8_t *p;
	size_t n;
};

static unsigned
take(struct in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

/* ---- sets ---- */

static void
mask(uint8_t *a, unsigned bytes, unsigned len)
{
	for (unsigned i = len; i < bytes * 8; i++)
		a[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
}

/* A prefix from the input (pool or literal address, length, host bits
 * cleared); false for an address fn_ipset_parse refuses (multicast,
 * loopback, an unspecified host). */
static bool
take4(struct in *in, struct fn_prefix4 *p)
{
	unsigned idx = take(in) & 7, l = take(in);
	uint8_t a[4];
	if (idx == 7)
		for (int k = 0; k < 4; k++)
			a[k] = (uint8_t)take(in);
	else
		inet_pton(AF_INET, pool4[idx], a);
	l = l & 0x80 ? 32 : (l & 0x7f) % 33;
	mask(a, 4, l);
	p->addr = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
	p->len = (uint8_t)l;
	return a[0] >> 4 != 0xe && a[0] != 127 && !(l == 32 && p->addr == 0);
}

static bool
take6(struct in *in, struct fn_prefix6 *p)
{
	static const uint8_t zero[16], one[16] = { [15] = 1 };
	unsigned idx = take(in) & 7, l = take(in);
	uint8_t *a = p->addr;
	if (idx == 7)
		for (int k = 0; k < 16; k++)
			a[k] = (uint8_t)take(in);
	else
		inet_pton(AF_INET6, pool6[idx], a);
	l = l & 0x80 ? 128 : (l & 0x7f) % 129;
	mask(a, 16, l);
	p->len = (uint8_t)l;
	return a[0] != 0xff && !(l == 128 && (!memcmp(a, zero, 16) || !memcmp(a, one, 16)));
}

static bool
dup4(const struct fn_ipset *s, const struct fn_prefix4 *p)
{
	for (unsigned j = 0; j < s->n4; j++)
		if (s->v4[j].addr == p->addr && s->v4[j].len == p->len)
			return true;
	return false;
}

static bool
dup6(const struct fn_ipset *s, const struct fn_prefix6 *p)
{
	for (unsigned j = 0; j < s->n6; j++)
		if (!memcmp(s->v6[j].addr, p->addr, 16) && s->v6[j].len == p->len)
			return true;
	return false;
}

/* A set from the input: a byte of counts (nibbles, IPv4 low; 15 means
 * 16), then the prefixes; false when fn_ipset_parse would refuse it. */
static bool
take_set(struct in *in, struct fn_ipset *s)
{
	bool valid = true;
	unsigned c = take(in), n4 = c & 15, n6 = c >> 4;
	memset(s, 0, sizeof(*s));
	n4 = n4 == 15 ? FN_L3_MAX_PREFIXES : n4;
	n6 = n6 == 15 ? FN_L3_MAX_PREFIXES : n6;
	while (s->n4 < n4) {
		struct fn_prefix4 p;
		valid &= take4(in, &p);
		valid &= !dup4(s, &p);
		s->v4[s->n4++] = p;
	}
	while (s->n6 < n6) {
		struct fn_prefix6 p;
		valid &= take6(in, &p);
		valid &= !dup6(s, &p);
		s->v6[s->n6++] = p;
	}
	return valid;
}

/* What fn_ipset_parse may produce. */
static void
check_set_shape(const struct fn_ipset *s, const char *what)
{
	CHECK(s->n4 <= FN_L3_MAX_PREFIXES && s->n6 <= FN_L3_MAX_PREFIXES, "%s", what);
	CHECK(s->restricted || (s->n4 == 0 && s->n6 == 0), "%s", what);
	for (unsigned i = 0; i < s->n4; i++) {
		uint8_t a[4], m[4];
		ref_v4bytes(s->v4[i].addr, a);
		memcpy(m, a, 4);
		CHECK(s->v4[i].len <= 32, "%s", what);
		mask(m, 4, s->v4[i].len);
		CHECK(memcmp(a, m, 4) == 0, "%s: host bits in entry %u", what, i);
		CHECK(a[0] >> 4 != 0xe && a[0] != 127, "%s: entry %u", what, i);
	}
	for (unsigned i = 0; i < s->n6; i++) {
		uint8_t m[16];
		memcpy(m, s->v6[i].addr, 16);
		CHECK(s->v6[i].len <= 128, "%s", what);
		mask(m, 16, s->v6[i].len);
		CHECK(memcmp(s->v6[i].addr, m, 16) == 0, "%s: host bits in entry %u", what, i);
		CHECK(m[0] != 0xff, "%s: multicast entry %u", what, i);
	}
}

static void
fuzz_string(const uint8_t *data, size_t size)
{
	char s[512], err[256], buf[FN_IPSET_STRLEN];
	struct fn_ipset set, before;
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
	memcpy(s, data, n);
	s[n] = '\0';
	memset(&set, 0xa5, sizeof(set));
	before = set;
	err[0] = '\0';
	if (fn_ipset_parse(s, &set, err, sizeof(err)) != 0) {
		CHECK(memcmp(&set, &before, sizeof(set)) == 0, "refused \"%s\" but wrote", s);
		CHECK(err[0] != '\0' && strlen(err) < 160 && strchr(err, '\n') == NULL,
		      "refused \"%s\": \"%s\"", s, err);
		return;
	}
	check_set_shape(&set, s);
	size_t len = fn_ipset_format(&set, buf, sizeof(buf));
	CHECK(len < sizeof(buf) && len == strlen(buf), "\"%s\" formats to %zu", s, len);
	struct fn_ipset again;
	CHECK(fn_ipset_parse(buf, &again, err, sizeof(err)) == 0,
	      "\"%s\" formats to \"%s\", refused: %s", s, buf, err);
	CHECK(fn_ipset_equal(&set, &again), "\"%s\" -> \"%s\" -> another set", s, buf);
}

static void
fuzz_set(struct in *in, unsigned flags)
{
	char buf[FN_IPSET_STRLEN], err[256] = "", small[FN_IPSET_STRLEN];
	unsigned cut = take(in) * 4;
	struct fn_ipset s, t;
	bool valid = take_set(in, &s);
	s.restricted = s.n4 + s.n6 > 0 || (flags & 2);
	size_t len = fn_ipset_format(&s, buf, sizeof(buf));
	CHECK(len < sizeof(buf) && len == strlen(buf), "format: %zu", len);
	/* like snprintf into a short buffer */
	memset(small, '#', sizeof(small));
	size_t size = cut < sizeof(small) ? cut : sizeof(small);
	CHECK(fn_ipset_format(&s, size ? small : NULL, size) == len, "cut to %zu", size);
	if (size > 0) {
		size_t got = size - 1 < len ? size - 1 : len;
		CHECK(strlen(small) == got && memcmp(small, buf, got) == 0,
		      "\"%s\" cut to %zu: \"%s\"", buf, size, small);
		if (size < sizeof(small))
			CHECK(small[size] == '#', "\"%s\" wrote past %zu", buf, size);
	}
	int rc = fn_ipset_parse(buf, &t, err, sizeof(err));
	if (valid) {
		CHECK(rc == 0, "valid set \"%s\" refused: %s", buf, err);
		CHECK(fn_ipset_equal(&s, &t), "\"%s\" parses back to another set", buf);
	} else {
		CHECK(rc != 0, "invalid set \"%s\" accepted", buf);
	}
	if (!(flags & 4))
		return;
	/* one more element: refused past FN_L3_MAX_PREFIXES, duplicates */
	char extra[64], list[FN_IPSET_STRLEN + 64];
	struct fn_ipset want = s;
	want.restricted = true;
	if (flags & 8) {
		struct fn_prefix6 p;
		valid &= take6(in, &p) && !dup6(&s, &p) && s.n6 < FN_L3_MAX_PREFIXES;
		inet_ntop(AF_INET6, p.addr, extra, sizeof(extra));
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "/%u", p.len);
		if (want.n6 < FN_L3_MAX_PREFIXES)
			want.v6[want.n6++] = p;
	} else {
		struct fn_prefix4 p;
		valid &= take4(in, &p) && !dup4(&s, &p) && s.n4 < FN_L3_MAX_PREFIXES;
		snprintf(extra, sizeof(extra), "%u.%u.%u.%u/%u", p.addr >> 24,
			 p.addr >> 16 & 255, p.addr >> 8 & 255, p.addr & 255, p.len);
		if (want.n4 < FN_L3_MAX_PREFIXES)
			want.v4[want.n4++] = p;
	}
	if (s.n4 + s.n6 == 0)
		snprintf(list, sizeof(list), "%s", extra);
	else
		snprintf(list, sizeof(list), "%s,%s", buf, extra);
	rc = fn_ipset_parse(list, &t, err, sizeof(err));
	if (valid) {
		CHECK(rc == 0, "valid set \"%s\" refused: %s", list, err);
		CHECK(fn_ipset_equal(&want, &t), "\"%s\" parses to another set", list);
	} else {
		CHECK(rc != 0, "invalid set \"%s\" accepted", list);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	unsigned flags = take(&in);
	if (flags & 0x80) {
		if (flags & 1)
			fuzz_set(&in, flags);
		else
			fuzz_string(in.p, in.n);
		return 0;
	}
	struct fn_l3_policy p;
	memset(&p, 0, sizeof(p));
	take_set(&in, &p.ip);           /* any address: check takes what it is given */
	p.ip.restricted = flags & 1;
	p.dhcp_server = flags & 2;
	p.ra = flags & 4;
	p.mac = macs[flags >> 3 & 1];
	if (!p.ip.restricted)
		p.ip.n4 = p.ip.n6 = 0;
	static const uint16_t types[3] = { 0x0800, 0x86dd, 0x0806 };
	uint16_t type;
	if ((flags >> 4 & 3) == 3) {
		type = (uint16_t)(take(&in) << 8);
		type = (uint16_t)(type | take(&in));
	} else {
		type = types[flags >> 4 & 3];
	}
	/* the frame in a buffer of its exact size: a read past it is an
	 * ASan report */
	uint32_t len = (uint32_t)in.n;
	uint8_t *l3 = malloc(len ? len : 1);
	if (l3 == NULL)
		return 0;
	if (len)
		memcpy(l3, in.p, len);
	if (flags & 0x40) {
		if (type == 0x0800 && len >= 4) {
			l3[2] = (uint8_t)(len >> 8);
			l3[3] = (uint8_t)len;
		}
		if (type == 0x86dd && len >= 40) {
			l3[4] = (uint8_t)((len - 40) >> 8);
			l3[5] = (uint8_t)(len - 40);
		}
	}
	enum fn_l3_verdict got = fn_l3_check(&p, l3, len, type);
	enum fn_l3_verdict want = ref_check(&p, l3, len, type);
	CHECK(got == want, "ethertype %04x, %u bytes, ip %s (%u+%u), dhcp-server %d, "
	      "ra %d, mac %012llx: verdict %d, reference %d", type, len,
	      p.ip.restricted ? "restricted" : "any", p.ip.n4, p.ip.n6,
	      p.dhcp_server, p.ra, (unsigned long long)p.mac, got, want);
	CHECK(fn_l3_active(&p) == (p.ip.restricted || !p.dhcp_server || !p.ra), "active");
	if (type == 0x86dd && len >= 24) {
		uint8_t ll[16];
		ref_eui64(p.mac, ll);
		CHECK(fn_l3_is_eui64_ll(l3 + 8, p.mac) == (memcmp(l3 + 8, ll, 16) == 0),
		      "eui64 of the source");
		CHECK(fn_l3_is_eui64_ll(ll, p.mac), "eui64 of the mac");
	}
	free(l3);
	return 0;
}
