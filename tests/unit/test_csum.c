/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_csum: finishing partial TCP/UDP checksums. Frames are built here the
 * way Linux leaves them with CHECKSUM_PARTIAL (the field holds the folded
 * pseudo-header sum), and every result is checked against a plain RFC 1071
 * checksum over an explicitly built pseudo-header, written independently
 * of fn_csum's code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "fn_csum.h"

/* ---- reference: RFC 1071 over a byte buffer ---- */
static uint16_t
rfc1071(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i < n; i += 2)
		s += (uint32_t)(p[i] << 8 | (i + 1 < n ? p[i + 1] : 0));
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;   /* the sum, not complemented */
}

struct frame {
	uint8_t b[2048];
	size_t len;
	size_t l3, l4, l4len;   /* offsets and TCP/UDP length */
	int v6, proto;
	size_t field;           /* offset of the checksum field */
};

/* The pseudo-header as RFC 793/768/8200 define it; @return its length. */
static size_t
pseudo_bytes(const struct frame *f, uint8_t *buf)
{
	size_t n;
	if (f->v6) {
		memcpy(buf, f->b + f->l3 + 8, 32);
		n = 32;
		buf[n++] = (uint8_t)(f->l4len >> 24); buf[n++] = (uint8_t)(f->l4len >> 16);
		buf[n++] = (uint8_t)(f->l4len >> 8);  buf[n++] = (uint8_t)f->l4len;
		buf[n++] = 0; buf[n++] = 0; buf[n++] = 0; buf[n++] = (uint8_t)f->proto;
	} else {
		memcpy(buf, f->b + f->l3 + 12, 8);
		n = 8;
		buf[n++] = 0; buf[n++] = (uint8_t)f->proto;
		buf[n++] = (uint8_t)(f->l4len >> 8); buf[n++] = (uint8_t)f->l4len;
	}
	return n;
}

/* pseudo-header + L4 in one buffer (the pseudo-header has an even length) */
static uint16_t
ref_sum(const struct frame *f)
{
	uint8_t buf[4096];
	size_t n = pseudo_bytes(f, buf);
	memcpy(buf + n, f->b + f->l4, f->l4len);
	return rfc1071(buf, n + f->l4len);
}

static uint16_t
ref_pseudo(const struct frame *f)
{
	uint8_t buf[64];
	return rfc1071(buf, pseudo_bytes(f, buf));
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * Build Ethernet [+ tags] + IPv4/IPv6 [+ ext headers] + TCP/UDP + payload.
 * ext: number of 8-byte IPv6 hop-by-hop/destination-options headers.
 */
static void
build(struct frame *f, int v6, int proto, int tags, int ext, size_t payload)
{
	memset(f, 0, sizeof(*f));
	uint8_t *b = f->b;
	size_t o = 12;
	memcpy(b, "\x52\x54\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	for (int t = 0; t < tags; t++) {
		put16(b + o, t == 0 && tags == 2 ? 0x88a8 : 0x8100);
		put16(b + o + 2, (uint16_t)(100 + t));
		o += 4;
	}
	put16(b + o, v6 ? 0x86dd : 0x0800);
	o += 2;
	f->l3 = o;
	f->v6 = v6;
	f->proto = proto;
	size_t l4hdr = proto == 6 ? 20 : 8;
	f->l4len = l4hdr + payload;
	if (v6) {
		b[o] = 0x60;
		put16(b + o + 4, (uint16_t)(ext * 8 + f->l4len));
		b[o + 6] = ext ? 0 : (uint8_t)proto;     /* hop-by-hop first */
		b[o + 7] = 64;
		for (int i = 0; i < 16; i++) {
			b[o + 8 + i] = (uint8_t)(0x20 + i);
			b[o + 24 + i] = (uint8_t)(0xf0 - i);
		}
		o += 40;
		for (int e = 0; e < ext; e++) {
			b[o] = e + 1 < ext ? 60 : (uint8_t)proto;
			b[o + 1] = 0;                /* 8 bytes */
			b[o + 2] = 1; b[o + 3] = 4;  /* PadN */
			o += 8;
		}
	} else {
		b[o] = 0x45;
		put16(b + o + 2, (uint16_t)(20 + f->l4len));
		put16(b + o + 6, 0x4000);           /* DF */
		b[o + 8] = 64;
		b[o + 9] = (uint8_t)proto;
		memcpy(b + o + 12, "\x0a\x09\x00\x01\x0a\x09\x00\x02", 8);
		put16(b + o + 10, (uint16_t)~rfc1071(b + o, 20));
		o += 20;
	}
	f->l4 = o;
	put16(b + o, 40000);
	put16(b + o + 2, 5001);
	if (proto == 6) {
		b[o + 12] = 0x50;
		b[o + 13] = 0x18;
		f->field = o + 16;
	} else {
		put16(b + o + 4, (uint16_t)f->l4len);
		f->field = o + 6;
	}
	for (size_t i = 0; i < payload; i++)
		b[o + l4hdr + i] = (uint8_t)(i * 7 + 3);
	f->len = o + f->l4len;
	if (f->len < 60)
		f->len = 60;                        /* Ethernet padding */
}

/* As the sender's stack leaves it: the pseudo-header sum in the field. */
static void
make_partial(struct frame *f)
{
	put16(f->b + f->field, ref_pseudo(f));
}

/* As a NIC would finish it. */
static void
make_complete(struct frame *f)
{
	put16(f->b + f->field, 0);
	uint16_t c = (uint16_t)~ref_sum(f);
	if (c == 0 && f->proto == 17)
		c = 0xffff;
	put16(f->b + f->field, c);
}

static int
verifies(const struct frame *f)
{
	return ref_sum(f) == 0xffff;
}

static void
check_completes(int v6, int proto, int tags, int ext, size_t payload)
{
	struct frame f, want;
	build(&f, v6, proto, tags, ext, payload);
	want = f;
	make_complete(&want);
	make_partial(&f);
	assert_false(verifies(&f));
	assert_int_equal(fn_csum_complete(f.b, (uint32_t)f.len), FN_CSUM_COMPLETED);
	assert_true(verifies(&f));
	assert_memory_equal(f.b, want.b, f.len);   /* only the field changed */
	/* done once: a second pass finds nothing to do */
	assert_int_equal(fn_csum_complete(f.b, (uint32_t)f.len), FN_CSUM_UNTOUCHED);
	assert_memory_equal(f.b, want.b, f.len);
}

static void test_ipv4_tcp(void **s) { (void)s; check_completes(0, 6, 0, 0, 100); check_completes(0, 6, 0, 0, 1); }
static void test_ipv4_udp(void **s) { (void)s; check_completes(0, 17, 0, 0, 33); }
static void test_ipv6_tcp(void **s) { (void)s; check_completes(1, 6, 0, 0, 1400); }
static void test_ipv6_udp_ext(void **s) { (void)s; check_completes(1, 17, 0, 2, 57); }
static void test_vlan_and_qinq(void **s) { (void)s; check_completes(0, 6, 1, 0, 10); check_completes(1, 17, 2, 1, 10); }
static void test_tcp_syn_no_payload(void **s) { (void)s; check_completes(0, 6, 0, 0, 0); check_completes(1, 6, 1, 0, 0); }

/* A correct checksum is never touched, nor are bytes after the IP length. */
static void
test_complete_frames_untouched(void **state)
{
	(void)state;
	for (int v6 = 0; v6 < 2; v6++)
		for (int proto = 6; proto <= 17; proto += 11) {
			struct frame f, copy;
			build(&f, v6, proto, 1, v6, 200);
			make_complete(&f);
			copy = f;
			assert_int_equal(fn_csum_complete(f.b, (uint32_t)f.len), FN_CSUM_UNTOUCHED);
			assert_memory_equal(f.b, copy.b, f.len);
		}
}

/* The payload is chosen so that the correct checksum equals the
 * pseudo-header sum: the cheap test matches, the full sum says correct. */
static void
test_coincidence_is_not_partial(void **state)
{
	(void)state;
	struct frame f;
	build(&f, 0, 6, 0, 0, 20);
	uint16_t p = ref_pseudo(&f);
	/* want ~sum(pseudo + L4 with field = p) = ... simplest: search the last
	 * payload word until the complete checksum equals p */
	size_t w = f.l4 + f.l4len - 2;
	int found = 0;
	for (uint32_t x = 0; x <= 0xffff && !found; x++) {
		put16(f.b + w, (uint16_t)x);
		make_complete(&f);
		found = get16(f.b + f.field) == p;
	}
	assert_true(found);
	assert_true(verifies(&f));
	struct frame copy = f;
	assert_int_equal(fn_csum_complete(f.b, (uint32_t)f.len), FN_CSUM_UNTOUCHED);
	assert_memory_equal(f.b, copy.b, f.len);
}

/* UDP: a finished checksum of 0 is sent as 0xffff (0 means none). */
static void
test_udp_zero_becomes_ffff(void **state)
{
	(void)state;
	struct frame f;
	build(&f, 0, 17, 0, 0, 20);
	size_t w = f.l4 + f.l4len - 2;
	int found = 0;
	for (uint32_t x = 0; x <= 0xffff && !found; x++) {
		put16(f.b + w, (uint16_t)x);
		put16(f.b + f.field, 0);
		found = ref_sum(&f) == 0xffff;
	}
	assert_true(found);
	make_partial(&f);
	assert_int_equal(fn_csum_complete(f.b, (uint32_t)f.len), FN_CSUM_COMPLETED);
	assert_int_equal(get16(f.b + f.field), 0xffff);
	assert_true(verifies(&f));
}

/* UDP without a checksum (0) stays without one. */
static void
test_udp_without_checksum(void **state)
{
	(void)state;
	struct frame f;
	build(&f, 0, 17, 0, 0, 20);
	put16(f.b + f.field, 0);
	struct frame copy = f;
	assert_int_equal(fn_csum_complete(f.b, (uint32_t)f.len), FN_CSUM_UNTOUCHED);
	assert_memory_equal(f.b, copy.b, f.len);
}

/* Fragments, routing headers, other protocols: left alone. */
static void
test_not_ours_untouched(void **state)
{
	(void)state;
	struct frame f, copy;

	build(&f, 0, 6, 0, 0, 50);
	put16(f.b + f.l3 + 6, 0x2000);          /* MF: first fragment */
	make_partial(&f);
	copy = f;
	assert_int_equal(fn_csum_complete(f.b, (uint32_t)f.len), FN_CSUM_UNTOUCHED);
	assert_memory_equal(f.b, copy.b, f.len);

	build(&f, 1, 6, 0, 1, 50);
	f.b[f.l3 + 6] = 43;                     /* a routing header */
	make_partial(&f);
	copy = f;
	assert_int_equal(fn_csum_complete(f.b, (uint32_t)f.len), FN_CSUM_UNTOUCHED);
	assert_memory_equal(f.b, copy.b, f.len);

	build(&f, 0, 6, 0, 0, 50);
	make_partial(&f);
	f.b[f.l3 + 9] = 1;                      /* ICMP, say */
	copy = f;
	assert_int_equal(fn_csum_complete(f.b, (uint32_t)f.len), FN_CSUM_UNTOUCHED);
	assert_memory_equal(f.b, copy.b, f.len);
}

/*
 * Every truncation of every kind of frame: a heap buffer of exactly that
 * size (AddressSanitizer catches a read or write past it); a frame shorter
 * than its IP length is never changed, and is reported as truncated once
 * its IP header is whole.
 */
static void
test_truncated_never_read_past(void **state)
{
	(void)state;
	for (int kind = 0; kind < 8; kind++) {
		struct frame f;
		build(&f, kind & 1, (kind & 2) ? 17 : 6, kind >> 2, kind & 1, 40);
		make_partial(&f);
		size_t ip_end = f.l4 + f.l4len;
		for (size_t n = 0; n < f.len; n++) {
			uint8_t *p = malloc(n ? n : 1);
			memcpy(p, f.b, n);
			enum fn_csum_result r = fn_csum_complete(p, (uint32_t)n);
			if (n < ip_end) {
				size_t iph = f.l3 + (f.v6 ? 40 : 20);
				assert_int_equal(r, n >= iph ? FN_CSUM_TRUNCATED : FN_CSUM_UNTOUCHED);
				assert_memory_equal(p, f.b, n);
			}
			free(p);
		}
	}
}

/* Bad IHL, lengths pointing past the frame, ext-header chains that run off. */
static void
test_malformed_headers(void **state)
{
	(void)state;
	struct frame f, copy;
	uint8_t ihl[] = { 0x40, 0x44, 0x4f };
	for (size_t i = 0; i < sizeof(ihl); i++) {
		build(&f, 0, 6, 0, 0, 10);
		make_partial(&f);
		f.b[f.l3] = ihl[i];
		copy = f;
		assert_int_equal(fn_csum_complete(f.b, (uint32_t)f.len), FN_CSUM_UNTOUCHED);
		assert_memory_equal(f.b, copy.b, f.len);
	}
	build(&f, 1, 17, 0, 1, 10);
	make_partial(&f);
	f.b[f.l3 + 40 + 1] = 200;               /* ext header longer than the packet */
	copy = f;
	assert_int_equal(fn_csum_complete(f.b, (uint32_t)f.len), FN_CSUM_UNTOUCHED);
	assert_memory_equal(f.b, copy.b, f.len);
}

/* A GSO super-frame cut to an af_packet slot: 1996 of 5000 bytes. */
static void
test_super_frame_cut_to_slot(void **state)
{
	(void)state;
	static struct frame f;
	build(&f, 0, 6, 0, 0, 1900);
	put16(f.b + f.l3 + 2, 5000 - 14);           /* what the IP header said */
	assert_int_equal(fn_csum_complete(f.b, 1996), FN_CSUM_TRUNCATED);
	build(&f, 1, 6, 0, 0, 1900);
	put16(f.b + f.l3 + 4, 5000);
	assert_int_equal(fn_csum_complete(f.b, 1996), FN_CSUM_TRUNCATED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_tcp),
		cmocka_unit_test(test_ipv4_udp),
		cmocka_unit_test(test_ipv6_tcp),
		cmocka_unit_test(test_ipv6_udp_ext),
		cmocka_unit_test(test_vlan_and_qinq),
		cmocka_unit_test(test_tcp_syn_no_payload),
		cmocka_unit_test(test_complete_frames_untouched),
		cmocka_unit_test(test_coincidence_is_not_partial),
		cmocka_unit_test(test_udp_zero_becomes_ffff),
		cmocka_unit_test(test_udp_without_checksum),
		cmocka_unit_test(test_not_ours_untouched),
		cmocka_unit_test(test_truncated_never_read_past),
		cmocka_unit_test(test_malformed_headers),
		cmocka_unit_test(test_super_frame_cut_to_slot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
