/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the tc-style unit parsers and formatters of fn_cmd:
 * every unit, case, fractions and rounding, the limits, what must be
 * rejected, and that formatting always parses back to the same value.
 * Cases are tables: input, then expected value or rejection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fn_cmd.h"

#define UNUSED __attribute__((unused))

struct ucase {
	const char *s;
	uint64_t v;
};

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))
#define SENTINEL  UINT64_C(0xdeadbeefcafe)

/* Each string must parse to its value. */
static void
check_ok(int (*parse)(const char *, uint64_t *), const struct ucase *c,
	 size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = SENTINEL;
		int r = parse(c[i].s, &v);

		if (r != 0 || v != c[i].v)
			fail_msg("\"%s\": got r=%d v=%llu, want %llu", c[i].s, r,
				 (unsigned long long)v,
				 (unsigned long long)c[i].v);
	}
}

/* Each string must be rejected, leaving the output untouched. */
static void
check_bad(int (*parse)(const char *, uint64_t *), const char *const *s,
	  size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = SENTINEL;
		int r = parse(s[i], &v);

		if (r != -1 || v != SENTINEL)
			fail_msg("\"%s\": accepted (r=%d v=%llu)", s[i], r,
				 (unsigned long long)v);
	}
}

/* ---------------------------------------------------------------- rates */

static void
test_rate_every_unit(void **state UNUSED)
{
	static const struct ucase c[] = {
		{ "1234", 1234 },
		{ "1234bit", 1234 },
		{ "7kbit", UINT64_C(7000) },
		{ "7mbit", UINT64_C(7000000) },
		{ "7gbit", UINT64_C(7000000000) },
		{ "7tbit", UINT64_C(7000000000000) },
		{ "7kibit", UINT64_C(7) << 10 },
		{ "7mibit", UINT64_C(7) << 20 },
		{ "7gibit", UINT64_C(7) << 30 },
		{ "7tibit", UINT64_C(7) << 40 },
		{ "7bps", 56 },
		{ "7kbps", UINT64_C(56000) },
		{ "7mbps", UINT64_C(56000000) },
		{ "7gbps", UINT64_C(56000000000) },
		{ "1tbps", UINT64_C(8000000000000) },
		{ "7kibps", UINT64_C(56) << 10 },
		{ "7mibps", UINT64_C(56) << 20 },
		{ "7gibps", UINT64_C(56) << 30 },
		{ "1tibps", UINT64_C(8) << 40 },
		{ "500kbps", UINT64_C(4000000) },
	};
	check_ok(fn_parse_rate, c, NCASES(c));
}

static void
test_rate_case_insensitive(void **state UNUSED)
{
	static const struct ucase c[] = {
		{ "10MBIT", UINT64_C(10000000) },
		{ "10Mbit", UINT64_C(10000000) },
		{ "10mBiT", UINT64_C(10000000) },
		{ "1GBps", UINT64_C(8000000000) },
		{ "1KiBit", UINT64_C(1024) },
		{ "1KIBPS", UINT64_C(8192) },
		{ "3BIT", 3 },
		{ "2TBit", UINT64_C(2000000000000) },
	};
	check_ok(fn_parse_rate, c, NCASES(c));
}

static void
test_rate_fractions(void **state UNUSED)
{
	static const struct ucase c[] = {
		{ "1.5mbit", UINT64_C(1500000) },
		{ "0.5kbit", 500 },
		{ ".5kbit", 500 },
		{ "2.kbit", 2000 },
		{ "1.0005kbit", 1001 },         /* 1000.5 rounds half up */
		{ "1.0004kbit", 1000 },
		{ "2.4bit", 2 },
		{ "2.5bit", 3 },
		{ "0.001kibit", 1 },            /* 1.024 */
		{ "1.25bps", 10 },
		{ "0.1gibit", UINT64_C(107374182) },  /* 107374182.4 */
		{ "1.999999999999999mbit", UINT64_C(2000000) },
		{ "0010.50kbit", 10500 },
	};
	check_ok(fn_parse_rate, c, NCASES(c));
}

static void
test_rate_zero_is_unlimited(void **state UNUSED)
{
	static const struct ucase c[] = {
		{ "0", 0 }, { "0bit", 0 }, { "0.0mbit", 0 }, { "000kbps", 0 },
	};
	/* Non-zero values that round to 0 must not silently mean unlimited. */
	static const char *const bad[] = { "0.4bit", "0.0001kbit", "0.01bps" };

	check_ok(fn_parse_rate, c, NCASES(c));
	check_bad(fn_parse_rate, bad, NCASES(bad));
}

static void
test_rate_rejects_garbage(void **state UNUSED)
{
	static const char *const bad[] = {
		"", "mbit", "bit", ".", ".mbit", "-1", "-1mbit", "-0", "+1mbit",
		" 1mbit", "1mbit ", "1 mbit", "10mbitz", "1e6", "1e6bit", "inf",
		"nan", "0x10", "1..5mbit", "1.5.2mbit", "mbit10", "1kb", "1k",
		"1m", "1b", "1,5mbit", "1mbi", "1kibi", "1bits", "1Mbit/s",
		"10mbit\n", "1\tkbit",
	};
	check_bad(fn_parse_rate, bad, NCASES(bad));
	assert_int_equal(fn_parse_rate(NULL, &(uint64_t){ 0 }), -1);
}

static void
test_rate_limits(void **state UNUSED)
{
	static const struct ucase c[] = {
		{ "10tbit", FN_RATE_MAX },
		{ "10000000000000", FN_RATE_MAX },
		{ "9tibit", UINT64_C(9) << 40 },
		{ "1.25tbps", FN_RATE_MAX },
	};
	static const char *const bad[] = {
		"10000000000001", "10000000000001bit", "10.000000000001tbit",
		"2tbps", "1.2tibps", "10tibit", "18446744073709551616",
		"99999999999999999999999999999999999999mbit",
		"184467440737095516160000tbps",
	};
	check_ok(fn_parse_rate, c, NCASES(c));
	check_bad(fn_parse_rate, bad, NCASES(bad));
}

/* ---------------------------------------------------------------- sizes */

static void
test_size_every_unit(void **state UNUSED)
{
	static const struct ucase c[] = {
		{ "1514", 1514 },
		{ "1514b", 1514 },
		{ "3k", 3072 },
		{ "3kb", 3072 },
		{ "3m", UINT64_C(3) << 20 },
		{ "3mb", UINT64_C(3) << 20 },
		{ "1g", UINT64_C(1) << 30 },
		{ "1gb", UINT64_C(1) << 30 },
		{ "1kbit", 128 },               /* tc: 1024 bits = 128 bytes */
		{ "8kbit", 1024 },
		{ "1mbit", UINT64_C(131072) },
		{ "1gbit", UINT64_C(134217728) },
		{ "0", 0 },
		{ "0b", 0 },
	};
	check_ok(fn_parse_size, c, NCASES(c));
}

static void
test_size_case_and_fractions(void **state UNUSED)
{
	static const struct ucase c[] = {
		{ "64KB", 65536 },
		{ "64Kb", 65536 },
		{ "64K", 65536 },
		{ "1MB", UINT64_C(1048576) },
		{ "1Mbit", UINT64_C(131072) },
		{ "1514B", 1514 },
		{ "1.5k", 1536 },
		{ "0.5kb", 512 },
		{ ".25m", UINT64_C(262144) },
		{ "1.5b", 2 },
		{ "1.0001k", 1024 },            /* 1024.1024 */
	};
	check_ok(fn_parse_size, c, NCASES(c));
}

static void
test_size_rejects(void **state UNUSED)
{
	static const char *const bad[] = {
		"", "k", "kb", "-1", "-1k", "+1k", " 1k", "1k ", "1 k", "1t",
		"1tb", "1kib", "1bit", "1kbps", "1e3", "0x40", "1..5k", "64kbz",
		"0.1b",                          /* rounds to 0 */
		"2g", "1.1g", "1025m", "9gbit",   /* above FN_SIZE_MAX */
		"99999999999999999999999999",
	};
	check_bad(fn_parse_size, bad, NCASES(bad));
	assert_int_equal(fn_parse_size(NULL, &(uint64_t){ 0 }), -1);
}

/* --------------------------------------------------------------- counts */

static void
test_count(void **state UNUSED)
{
	static const struct ucase c[] = {
		{ "0", 0 },
		{ "24000", 24000 },
		{ "007", 7 },
		{ "24k", 24000 },
		{ "24K", 24000 },
		{ "2m", UINT64_C(2000000) },
		{ "1000000000000", FN_COUNT_MAX },
		{ "1000000m", FN_COUNT_MAX },
	};
	static const char *const bad[] = {
		"", "-1", "+1", "1.5", "1.5k", ".5", "1g", "1kb", "12x", "k",
		" 1", "1 ", "1000000000001", "1000001m", "0x10", "1e3",
		"99999999999999999999999999",
	};
	check_ok(fn_parse_count, c, NCASES(c));
	check_bad(fn_parse_count, bad, NCASES(bad));
}

/* ----------------------------------------------------------- formatting */

struct fcase {
	uint64_t v;
	const char *s;
};

static void
test_format_rate(void **state UNUSED)
{
	static const struct fcase c[] = {
		{ 0, "0bit" },
		{ 123, "123bit" },
		{ 999, "999bit" },
		{ 1000, "1Kbit" },
		{ 1100, "1.1Kbit" },
		{ 1050, "1050bit" },            /* not exact with one decimal */
		{ 24000, "24Kbit" },
		{ UINT64_C(10000000), "10Mbit" },
		{ UINT64_C(1500000), "1.5Mbit" },
		{ UINT64_C(1234000), "1234Kbit" },
		{ UINT64_C(1500001), "1500001bit" },
		{ UINT64_C(1000000000), "1Gbit" },
		{ UINT64_C(2500000000000), "2.5Tbit" },
		{ FN_RATE_MAX, "10Tbit" },
		{ UINT64_C(1) << 20, "1048576bit" },
	};
	char buf[32];

	for (size_t i = 0; i < NCASES(c); i++)
		assert_string_equal(fn_format_rate(c[i].v, buf, sizeof(buf)),
				    c[i].s);
}

static void
test_format_size(void **state UNUSED)
{
	static const struct fcase c[] = {
		{ 0, "0b" },
		{ 1514, "1514b" },
		{ 1024, "1Kb" },
		{ 1025, "1025b" },
		{ 1536, "1.5Kb" },
		{ 65536, "64Kb" },
		{ UINT64_C(1048576), "1Mb" },
		{ UINT64_C(1572864), "1.5Mb" },
		{ UINT64_C(1) << 30, "1Gb" },
		{ UINT64_C(3) << 30, "3Gb" },
	};
	char buf[32];

	for (size_t i = 0; i < NCASES(c); i++)
		assert_string_equal(fn_format_size(c[i].v, buf, sizeof(buf)),
				    c[i].s);
}

static void
test_format_small_buffer(void **state UNUSED)
{
	char buf[8];

	/* Truncated like snprintf, always terminated, never overrun. */
	memset(buf, 'x', sizeof(buf));
	assert_string_equal(fn_format_rate(UINT64_C(10000000), buf, 4), "10M");
	assert_int_equal(buf[4], 'x');
	assert_string_equal(fn_format_size(1514, buf, 1), "");
	assert_ptr_equal(fn_format_size(1514, buf, 0), buf);
	fn_format_rate(UINT64_MAX, buf, sizeof(buf));
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
}

/* Deterministic generator: failures must reproduce. */
static uint64_t
lcg(uint64_t *s)
{
	*s = *s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return *s >> 11;
}

static void
test_format_round_trip(void **state UNUSED)
{
	static const uint64_t fixed[] = {
		0, 1, 7, 999, 1000, 1001, 1500, 1536, 24000, 65536, 1500000,
		1048576, UINT64_C(1) << 30, UINT64_C(1000000000000),
	};
	uint64_t seed = 42, v, back;
	char buf[32];

	for (int i = 0; i < 200000; i++) {
		if (i < (int)NCASES(fixed)) {
			v = fixed[i];
		} else {
			/* Mix magnitudes and round numbers, not just noise. */
			static const uint64_t round_to[] = {
				1000, 1000000, 1024, 1048576, 100, 1536,
			};
			uint64_t r = lcg(&seed);
			v = r % (UINT64_C(1) << (r % 44));
			if (r & 1)
				v -= v % round_to[(r >> 3) % NCASES(round_to)];
		}
		if (v <= FN_RATE_MAX) {
			fn_format_rate(v, buf, sizeof(buf));
			if (fn_parse_rate(buf, &back) != 0 || back != v)
				fail_msg("rate %llu -> \"%s\" -> %llu",
					 (unsigned long long)v, buf,
					 (unsigned long long)back);
		}
		if (v <= FN_SIZE_MAX) {
			fn_format_size(v, buf, sizeof(buf));
			if (fn_parse_size(buf, &back) != 0 || back != v)
				fail_msg("size %llu -> \"%s\" -> %llu",
					 (unsigned long long)v, buf,
					 (unsigned long long)back);
		}
	}
}

/* Text in, value out, text out: the canonical form is stable. */
static void
test_parse_format_parse(void **state UNUSED)
{
	static const char *const rates[] = {
		"10mbit", "1.5MBIT", "500kbps", "1gibit", "123", "3.3tbit",
	};
	static const char *const sizes[] = { "64kb", "1.5m", "8kbit", "1514" };
	uint64_t a, b;
	char buf[32];

	for (size_t i = 0; i < NCASES(rates); i++) {
		assert_int_equal(fn_parse_rate(rates[i], &a), 0);
		assert_int_equal(fn_parse_rate(fn_format_rate(a, buf,
				 sizeof(buf)), &b), 0);
		assert_true(a == b);
	}
	for (size_t i = 0; i < NCASES(sizes); i++) {
		assert_int_equal(fn_parse_size(sizes[i], &a), 0);
		assert_int_equal(fn_parse_size(fn_format_size(a, buf,
				 sizeof(buf)), &b), 0);
		assert_true(a == b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_every_unit),
		cmocka_unit_test(test_rate_case_insensitive),
		cmocka_unit_test(test_rate_fractions),
		cmocka_unit_test(test_rate_zero_is_unlimited),
		cmocka_unit_test(test_rate_rejects_garbage),
		cmocka_unit_test(test_rate_limits),
		cmocka_unit_test(test_size_every_unit),
		cmocka_unit_test(test_size_case_and_fractions),
		cmocka_unit_test(test_size_rejects),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_format_rate),
		cmocka_unit_test(test_format_size),
		cmocka_unit_test(test_format_small_buffer),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_parse_format_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
