/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_eth: the Ethernet/802.1Q header parser and MAC text conversion.
 *
 * Every frame and string is copied so that it ends exactly at a page
 * followed by an inaccessible guard page: reading one byte past `len` (or
 * past a string's NUL) crashes the test instead of passing silently.
 * Expected values are written out by hand or computed from the bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include "fn_eth.h"

#define AREA 16384   /* room for any frame used here */

static uint8_t *guard_area;  /* AREA bytes, then a PROT_NONE page */
static size_t page;

static int
guard_setup(void **state)
{
	(void)state;
	page = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *m = mmap(NULL, AREA + page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m + AREA, page, PROT_NONE) != 0)
		return -1;
	guard_area = m;
	return 0;
}

static int
guard_teardown(void **state)
{
	(void)state;
	munmap(guard_area, AREA + page);
	return 0;
}

/* Copy `len` bytes so that the last one is the last readable byte. */
static const uint8_t *
at_edge(const void *src, size_t len)
{
	assert_true(len <= AREA);
	uint8_t *d = guard_area + AREA - len;
	memcpy(d, src, len);
	return d;
}

static const char *
str_at_edge(const char *s)
{
	return (const char *)at_edge(s, strlen(s) + 1);
}

/* A frame: dst, src, then `type`, and optionally a tag's TCI and inner type. */
static size_t
build(uint8_t *f, uint64_t dst, uint64_t src, uint16_t type, size_t len)
{
	memset(f, 0xa5, len);
	fn_mac_store(f, dst);
	fn_mac_store(f + 6, src);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
	return len;
}

static void
set_tci(uint8_t *f, uint16_t tci, uint16_t inner)
{
	f[14] = (uint8_t)(tci >> 8);
	f[15] = (uint8_t)tci;
	f[16] = (uint8_t)(inner >> 8);
	f[17] = (uint8_t)inner;
}

static const uint64_t DST = UINT64_C(0x0123456789ab);
static const uint64_t SRC = UINT64_C(0x02fedcba9876);

/* ---- fn_eth_parse ------------------------------------------------------ */

static void
test_runts(void **state)
{
	uint8_t f[64];

	(void)state;
	for (uint16_t type = 0; type < 2; type++) {
		build(f, DST, SRC, type ? FN_ETH_P_8021Q : 0x0800, sizeof(f));
		for (uint32_t len = 0; len < FN_ETH_HLEN; len++) {
			struct fn_eth_info fi;
			memset(&fi, 0x5a, sizeof(fi));
			assert_int_equal(fn_eth_parse(at_edge(f, len), len, 1518,
						      &fi), FN_ETH_RUNT);
			/* even with a huge max_len, and a tiny one */
			assert_int_equal(fn_eth_parse(at_edge(f, len), len,
						      UINT32_MAX, &fi),
					 FN_ETH_RUNT);
			assert_int_equal(fn_eth_parse(at_edge(f, len), len, 0,
						      &fi), FN_ETH_RUNT);
		}
	}
}

static void
test_exactly_header(void **state)
{
	uint8_t f[FN_ETH_HLEN];
	struct fn_eth_info fi;

	(void)state;
	build(f, DST, SRC, 0x0800, sizeof(f));
	memset(&fi, 0, sizeof(fi));
	assert_int_equal(fn_eth_parse(at_edge(f, 14), 14, 1518, &fi),
			 FN_ETH_OK);
	assert_int_equal(fi.dst, UINT64_C(0x0123456789ab));
	assert_int_equal(fi.src, UINT64_C(0x02fedcba9876));
	assert_int_equal(fi.vlan, FN_VLAN_NONE);
	assert_int_equal(fi.hlen, 14);
	/* max_len equal to the length is accepted */
	assert_int_equal(fn_eth_parse(at_edge(f, 14), 14, 14, &fi), FN_ETH_OK);
}

static void
test_truncated_tag(void **state)
{
	uint8_t f[64];
	struct fn_eth_info fi;

	(void)state;
	build(f, DST, SRC, FN_ETH_P_8021Q, sizeof(f));
	set_tci(f, 0x0064, 0x0800);
	for (uint32_t len = FN_ETH_HLEN; len < FN_ETH_HLEN + FN_VLAN_HLEN;
	     len++)
		assert_int_equal(fn_eth_parse(at_edge(f, len), len, 1522, &fi),
				 FN_ETH_TRUNC_TAG);
	/* 18 bytes hold the whole tag */
	memset(&fi, 0, sizeof(fi));
	assert_int_equal(fn_eth_parse(at_edge(f, 18), 18, 1522, &fi),
			 FN_ETH_OK);
	assert_int_equal(fi.vlan, 100);
	assert_int_equal(fi.hlen, 18);
	assert_int_equal(fi.dst, DST);
	assert_int_equal(fi.src, SRC);
}

/* Every TCI: the VLAN ID is the low 12 bits, PCP and DEI are masked off. */
static void
test_vlan_id_all_tci(void **state)
{
	uint8_t f[64];

	(void)state;
	build(f, DST, SRC, FN_ETH_P_8021Q, sizeof(f));
	for (uint32_t tci = 0; tci <= 0xffff; tci++) {
		struct fn_eth_info fi;
		set_tci(f, (uint16_t)tci, 0x86dd);
		memset(&fi, 0, sizeof(fi));
		assert_int_equal(fn_eth_parse(at_edge(f, 18), 18, 1522, &fi),
				 FN_ETH_OK);
		if (fi.vlan != (tci & 0x0fff))
			fail_msg("tci %#06x: vlan %u", tci, fi.vlan);
		assert_int_equal(fi.hlen, 18);
	}
	/* hand-written: PCP 7, DEI 1, VID 4094 / PCP 5, DEI 0, VID 1 */
	struct fn_eth_info fi;
	set_tci(f, 0xfffe, 0x0800);
	assert_int_equal(fn_eth_parse(at_edge(f, 60), 60, 1522, &fi),
			 FN_ETH_OK);
	assert_int_equal(fi.vlan, FN_VLAN_MAX);
	set_tci(f, 0xa001, 0x0800);
	assert_int_equal(fn_eth_parse(at_edge(f, 60), 60, 1522, &fi),
			 FN_ETH_OK);
	assert_int_equal(fi.vlan, 1);
	set_tci(f, 0xf000, 0x0800);          /* priority-tagged: VID 0 */
	assert_int_equal(fn_eth_parse(at_edge(f, 60), 60, 1522, &fi),
			 FN_ETH_OK);
	assert_int_equal(fi.vlan, 0);
	assert_int_equal(fi.hlen, 18);
}

/* Only one tag is parsed: an inner 802.1Q or an outer 802.1ad is payload. */
static void
test_qinq(void **state)
{
	uint8_t f[64];
	struct fn_eth_info fi;

	(void)state;
	build(f, DST, SRC, FN_ETH_P_8021Q, sizeof(f));
	set_tci(f, 0x0123, FN_ETH_P_8021Q);
	f[18] = 0x0f;
	f[19] = 0xff;
	assert_int_equal(fn_eth_parse(at_edge(f, 22), 22, 1522, &fi),
			 FN_ETH_OK);
	assert_int_equal(fi.vlan, 0x123);
	assert_int_equal(fi.hlen, 18);

	build(f, DST, SRC, 0x88a8, sizeof(f));   /* S-tag: not 802.1Q */
	set_tci(f, 0x0123, FN_ETH_P_8021Q);
	assert_int_equal(fn_eth_parse(at_edge(f, 22), 22, 1522, &fi),
			 FN_ETH_OK);
	assert_int_equal(fi.vlan, FN_VLAN_NONE);
	assert_int_equal(fi.hlen, 14);
}

static void
test_untagged_ethertypes(void **state)
{
	static const uint16_t types[] = {
		0x0800, 0x86dd, 0x0806, 0x88a8, 0x9100, 0x88cc, 0x8847,
		0x0000, 0x002e, 0x05dc, 0x0600, 0xffff,
		0x0081,                  /* 0x8100 byte-swapped */
		0x8101, 0x8000, 0x0100, 0x81ff,
	};
	uint8_t f[64];

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct fn_eth_info fi;
		build(f, DST, SRC, types[i], sizeof(f));
		set_tci(f, 0x0064, 0x0800);
		/* exactly 14 bytes: an untagged type never needs more */
		for (uint32_t len = 14; len <= 18; len += 4) {
			memset(&fi, 0, sizeof(fi));
			assert_int_equal(fn_eth_parse(at_edge(f, len), len,
						      1518, &fi), FN_ETH_OK);
			if (fi.vlan != FN_VLAN_NONE || fi.hlen != 14)
				fail_msg("type %#06x: vlan %u hlen %u",
					 types[i], fi.vlan, fi.hlen);
			assert_int_equal(fi.dst, DST);
			assert_int_equal(fi.src, SRC);
		}
	}
}

static void
test_oversize(void **state)
{
	static uint8_t f[9300];
	struct fn_eth_info fi;

	(void)state;
	build(f, DST, SRC, 0x0800, sizeof(f));
	assert_int_equal(fn_eth_parse(at_edge(f, 1518), 1518, 1518, &fi),
			 FN_ETH_OK);
	assert_int_equal(fn_eth_parse(at_edge(f, 1519), 1519, 1518, &fi),
			 FN_ETH_OVERSIZE);
	assert_int_equal(fn_eth_parse(at_edge(f, 9300), 9300, 1518, &fi),
			 FN_ETH_OVERSIZE);
	assert_int_equal(fn_eth_parse(at_edge(f, 9216), 9216, 9216, &fi),
			 FN_ETH_OK);
	assert_int_equal(fn_eth_parse(at_edge(f, 9217), 9217, 9216, &fi),
			 FN_ETH_OVERSIZE);
	assert_int_equal(fn_eth_parse(at_edge(f, 15), 15, 14, &fi),
			 FN_ETH_OVERSIZE);
	/* the limit includes the tag */
	build(f, DST, SRC, FN_ETH_P_8021Q, sizeof(f));
	set_tci(f, 0x0005, 0x0800);
	assert_int_equal(fn_eth_parse(at_edge(f, 1522), 1522, 1522, &fi),
			 FN_ETH_OK);
	assert_int_equal(fi.vlan, 5);
	assert_int_equal(fn_eth_parse(at_edge(f, 1522), 1522, 1518, &fi),
			 FN_ETH_OVERSIZE);
	assert_int_equal(fn_eth_parse(at_edge(f, 1523), 1523, 1522, &fi),
			 FN_ETH_OVERSIZE);
	/* a runt stays a runt whatever the limit */
	assert_int_equal(fn_eth_parse(at_edge(f, 13), 13, 10, &fi),
			 FN_ETH_RUNT);
}

/* MAC byte order: first octet most significant; the group bit is bit 40. */
static void
test_mac_load_store(void **state)
{
	static const uint8_t b[6] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab };
	uint8_t out[8];

	(void)state;
	assert_int_equal(fn_mac_load(at_edge(b, 6)), UINT64_C(0x0123456789ab));
	memset(out, 0xee, sizeof(out));
	fn_mac_store(out + 1, UINT64_C(0xfedcba987654));
	static const uint8_t want[8] = { 0xee, 0xfe, 0xdc, 0xba, 0x98, 0x76,
					 0x54, 0xee };
	assert_memory_equal(out, want, 8);
	/* bits above 48 are not stored */
	fn_mac_store(out + 1, UINT64_C(0xffff000000000001));
	static const uint8_t want2[8] = { 0xee, 0, 0, 0, 0, 0, 1, 0xee };
	assert_memory_equal(out, want2, 8);

	uint64_t seed = 88172645463325252u;
	for (int i = 0; i < 100000; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		uint64_t m = seed & FN_MAC_BCAST;
		fn_mac_store(out, m);
		assert_int_equal(fn_mac_load(out), m);
	}
}

static void
test_group_bit(void **state)
{
	uint8_t f[64];

	(void)state;
	assert_int_equal(FN_MAC_GROUP_BIT, UINT64_C(0x010000000000));
	assert_true(fn_mac_is_group(FN_MAC_BCAST));
	assert_true(fn_mac_is_group(UINT64_C(0x01005e000001)));  /* IPv4 mc */
	assert_true(fn_mac_is_group(UINT64_C(0x333300000001)));  /* IPv6 mc */
	assert_true(fn_mac_is_group(UINT64_C(0x0180c2000000)));  /* STP */
	assert_false(fn_mac_is_group(0));
	assert_false(fn_mac_is_group(UINT64_C(0x02000000000a))); /* local */
	assert_false(fn_mac_is_group(UINT64_C(0xfeffffffffff)));
	assert_false(fn_mac_is_group(UINT64_C(0x000100000000)));
	assert_false(fn_mac_is_group(UINT64_C(0x000000000001)));
	/* every first octet, through the parser: group iff its low bit */
	for (unsigned o = 0; o < 256; o++) {
		struct fn_eth_info fi;
		build(f, 0, SRC, 0x0800, sizeof(f));
		f[0] = (uint8_t)o;
		f[5] = 0x01;
		assert_int_equal(fn_eth_parse(at_edge(f, 60), 60, 1518, &fi),
				 FN_ETH_OK);
		assert_int_equal(fi.dst, ((uint64_t)o << 40) | 1);
		assert_int_equal(fn_mac_is_group(fi.dst), o & 1);
		assert_false(fn_mac_is_group(fi.src));
	}
}

/* ---- fn_mac_parse / fn_mac_format -------------------------------------- */

static void
test_mac_parse_accept(void **state)
{
	static const struct {
		const char *s;
		uint64_t mac;
	} ok[] = {
		{ "00:00:00:00:00:00", 0 },
		{ "ff:ff:ff:ff:ff:ff", UINT64_C(0xffffffffffff) },
		{ "FF:FF:FF:FF:FF:FF", UINT64_C(0xffffffffffff) },
		{ "01:23:45:67:89:ab", UINT64_C(0x0123456789ab) },
		{ "01:23:45:67:89:AB", UINT64_C(0x0123456789ab) },
		{ "aB:cD:eF:Ab:Cd:Ef", UINT64_C(0xabcdefabcdef) },
		{ "52:54:00:12:34:56", UINT64_C(0x525400123456) },
		{ "09:90:0a:a0:f0:0f", UINT64_C(0x09900aa0f00f) },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t m = UINT64_C(0xdeadbeef00000000);
		if (fn_mac_parse(str_at_edge(ok[i].s), &m) != 0)
			fail_msg("rejected \"%s\"", ok[i].s);
		assert_int_equal(m, ok[i].mac);
	}
}

static void
test_mac_parse_reject(void **state)
{
	static const char *const bad[] = {
		"",
		":",
		"aa",
		"aa:bb:cc:dd:ee",            /* short */
		"aa:bb:cc:dd:ee:",
		"aa:bb:cc:dd:ee:f",
		"aa:bb:cc:dd:ee:ff:",        /* extra */
		"aa:bb:cc:dd:ee:ff:00",
		"aa:bb:cc:dd:ee:ff0",
		"aa:bb:cc:dd:ee:ff ",
		"aa:bb:cc:dd:ee:ff\n",
		" aa:bb:cc:dd:ee:ff",
		"aabbccddeeff",              /* missing colons */
		"aa:bbcc:dd:ee:ff",
		"aa:bb:cc:dd:eeff",
		"aa-bb-cc-dd-ee-ff",
		"aa.bb.cc.dd.ee.ff",
		"aa:bb:cc:dd:ee::ff",
		"a:bb:cc:dd:ee:ff",          /* one digit */
		"aa:b:cc:dd:ee:ff",
		"aa:bb:cc:dd:ee:f:",
		"aaa:bb:cc:dd:ee:f",
		"gg:bb:cc:dd:ee:ff",         /* bad hex */
		"aa:bb:cc:dd:ee:fg",
		"aa:bb:cc:dd:ee:gf",
		"0x:aa:bb:cc:dd:ee",
		"aa:bb:cc:dd:ee:-1",
		"aa:bb:cc:dd:ee:+f",
		"AA:BB:CC:DD:EE:FZ",
		"aa:bb:cc:dd:ee:\xff\xff",
		"\xe0\xa5\xa6\x61:bb:cc:dd:ee:ff",     /* U+0966, then a */
		"aa:bb:cc:dd:ee:ff\xc2\xa0",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t m = 0;
		if (fn_mac_parse(str_at_edge(bad[i]), &m) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	}
}

/* Each of the 12 digit positions, with every byte value: only hex digits. */
static void
test_mac_parse_every_char(void **state)
{
	static const char hex[] = "0123456789abcdefABCDEF";

	(void)state;
	for (int pos = 0; pos < 17; pos++) {
		for (int c = 1; c < 256; c++) {
			char s[18] = "00:00:00:00:00:00";
			uint64_t m = 0;
			s[pos] = (char)c;
			int rc = fn_mac_parse(str_at_edge(s), &m);
			bool colon = pos % 3 == 2;
			bool good = colon ? c == ':' :
					    strchr(hex, c) != NULL;
			if (rc != (good ? 0 : -1))
				fail_msg("pos %d char %#x: rc %d", pos, c, rc);
			if (!good || colon)
				continue;
			unsigned v = c <= '9' ? (unsigned)(c - '0') :
				     (unsigned)((c | 0x20) - 'a' + 10);
			int digit = pos / 3 * 2 + pos % 3;  /* 0..11, MSB first */
			assert_int_equal(m, (uint64_t)v << (4 * (11 - digit)));
		}
	}
}

static void
test_mac_format(void **state)
{
	static const struct {
		uint64_t mac;
		const char *s;
	} cs[] = {
		{ 0, "00:00:00:00:00:00" },
		{ UINT64_C(0xffffffffffff), "ff:ff:ff:ff:ff:ff" },
		{ UINT64_C(0x0123456789ab), "01:23:45:67:89:ab" },
		{ UINT64_C(0x0a0b0c0d0e0f), "0a:0b:0c:0d:0e:0f" },
		{ UINT64_C(0xffff000000000001), "00:00:00:00:00:01" },
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		memset(buf, '#', sizeof(buf));
		assert_ptr_equal(fn_mac_format(cs[i].mac, buf), buf);
		assert_string_equal(buf, cs[i].s);
		assert_int_equal(buf[18], '#');        /* 18 bytes, no more */
	}
	/* an exactly 18-byte buffer at the guard page is enough */
	char *edge = (char *)guard_area + AREA - 18;
	fn_mac_format(UINT64_C(0xa1b2c3d4e5f6), edge);
	assert_string_equal(edge, "a1:b2:c3:d4:e5:f6");
}

static void
test_mac_round_trip(void **state)
{
	uint64_t seed = 0x2545f4914f6cdd1d;
	char buf[18], up[18];

	(void)state;
	for (int i = 0; i < 200000; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		uint64_t m = seed & FN_MAC_BCAST, back = ~m;
		fn_mac_format(m, buf);
		assert_int_equal(strlen(buf), 17);
		assert_int_equal(fn_mac_parse(buf, &back), 0);
		assert_int_equal(back, m);
		/* upper case parses to the same value and formats back lower */
		for (int k = 0; k < 18; k++)
			up[k] = (buf[k] >= 'a' && buf[k] <= 'f') ?
				(char)(buf[k] - 32) : buf[k];
		back = ~m;
		assert_int_equal(fn_mac_parse(up, &back), 0);
		assert_int_equal(back, m);
		char again[18];
		assert_string_equal(fn_mac_format(back, again), buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runts),
		cmocka_unit_test(test_exactly_header),
		cmocka_unit_test(test_truncated_tag),
		cmocka_unit_test(test_vlan_id_all_tci),
		cmocka_unit_test(test_qinq),
		cmocka_unit_test(test_untagged_ethertypes),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_mac_load_store),
		cmocka_unit_test(test_group_bit),
		cmocka_unit_test(test_mac_parse_accept),
		cmocka_unit_test(test_mac_parse_reject),
		cmocka_unit_test(test_mac_parse_every_char),
		cmocka_unit_test(test_mac_format),
		cmocka_unit_test(test_mac_round_trip),
	};
	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
