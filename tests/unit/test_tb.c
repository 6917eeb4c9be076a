/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tb: the exact token bucket (fn_tb) run in simulated time.
 *
 * Nothing here reads a clock: `now` is a cycle count of a clock at `hz`,
 * advanced by the test. Every expectation is computed without fn_tb, with
 * 128-bit integers (exact bounds, conservation of tokens) or long double
 * (the 1 % rate check).
 *
 * The scenario tests are tables. A policer case is a greedy source: at each
 * step (every `dt` cycles, steps 0..N, T = N*dt) it offers packets of `len`
 * units until one is refused, so the offered load always exceeds the rate.
 * In token units (one unit costs hz tokens) with burst B, rate R, packet
 * cost L*hz and per-step gain g = R*dt:
 *
 *   admitted*L*hz + tokens_end = B*hz + R*T - lost,   0 <= tokens_end < L*hz
 *
 * where `lost` is what the cap at B*hz threw away. After the first step the
 * bucket holds less than one packet, so nothing is lost when
 * B*hz >= L*hz - 1 + g ("clamp-free" cases); otherwise each capping step
 * loses less than g and admits at least one packet. That gives the exact
 * bounds checked below, on top of the required 1 % of the configured rate.
 * Each case also checks its own design (>= 1000 steps, burst <= 0.5 % of the
 * total) so that a table edit cannot make a check vacuous.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include "fn_tb.h"

typedef __int128 i128;

#define HZ_TSC   UINT64_C(2500000000)   /* a typical TSC */
#define HZ_ODD   UINT64_C(1000000007)   /* prime: no rate divides it */
#define TB_LIM   (UINT64_C(1) << 62)    /* documented limit of burst*hz */
#define TOP63    (UINT64_C(1) << 63)
#define NS(hz, ns) ((uint64_t)(hz) * (uint64_t)(ns) / UINT64_C(1000000000))
#define BITS(bytes) ((uint32_t)(bytes) * 8u)

/* ---- helpers ---------------------------------------------------------- */

static const char *
i128_str(i128 v, char *buf)
{
	unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
	char tmp[48];
	int n = 0, j = 0;

	do {
		tmp[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u);
	if (v < 0)
		buf[j++] = '-';
	while (n)
		buf[j++] = tmp[--n];
	buf[j] = '\0';
	return buf;
}

/* assert (a op b) on 128-bit values, printing both sides on failure */
#define assert_i128(a, op, b) do { \
	i128 a_ = (a), b_ = (b); \
	if (!(a_ op b_)) { \
		char x_[48], y_[48]; \
		fail_msg("%s %s %s: %s vs %s", #a, #op, #b, \
			 i128_str(a_, x_), i128_str(b_, y_)); \
	} \
} while (0)

/* achieved must be within `tol` (relative) of expected */
static void
assert_close(long double achieved, long double expected, long double tol,
	     const char *what)
{
	if (!(fabsl(achieved - expected) <= expected * tol))
		fail_msg("%s: achieved %.6Lg, expected %.6Lg (%.4Lf %%)", what,
			 achieved, expected,
			 100.0L * (achieved - expected) / expected);
}

static void
profile_ok(struct fn_tb_profile *p, uint64_t rate, uint64_t burst, uint64_t hz)
{
	assert_int_equal(fn_tb_profile_init(p, rate, burst, hz), 0);
}

/* Take units at `now` in halving chunks; returns the number taken. */
static uint64_t
drain(struct fn_tb *tb, const struct fn_tb_profile *p, uint64_t now)
{
	uint64_t taken = 0;

	for (uint32_t n = UINT32_C(1) << 31; n; n >>= 1)
		while (fn_tb_police(tb, p, now, n))
			taken += n;
	return taken;
}

/* tokens after fn_tb_refill at `now`, as the bucket reports them */
static i128
tokens_at(struct fn_tb *tb, const struct fn_tb_profile *p, uint64_t now)
{
	fn_tb_refill(tb, p, now);
	return tb->tokens;
}

static uint64_t
xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- policer scenarios ------------------------------------------------- */

struct pcase {
	const char *name;
	uint64_t hz;
	uint64_t rate;   /* units per second: bit/s or packets/s */
	uint32_t len;    /* units per packet: len*8 bits, or 1 packet */
	uint64_t burst;  /* units */
	uint64_t dt;     /* cycles between arrivals */
	uint64_t steps;  /* intervals simulated */
};

#define PC(n, hz, r, l, b, dt, st) { n, hz, r, l, b, dt, st }
static const struct pcase pcases[] = {
	/* bit rates: 10 kbit .. 100 gbit, 64 and 1518 byte packets */
	PC("police 10kbit 64B burst=1pkt dt=100us", HZ_TSC, 10000, BITS(64),
	   BITS(64), NS(HZ_TSC, 100000), 2000000),
	PC("police 10kbit 1518B burst=2pkt dt=1ms hz=odd", HZ_ODD, 10000,
	   BITS(1518), 2 * BITS(1518), NS(HZ_ODD, 1000000), 1000000),
	PC("police 10kbit 64KiB dt=1h burst=40Mbit", HZ_TSC, 10000, 524288,
	   40000000, 3600 * HZ_TSC, 1000),
	PC("police 1Mbit 1518B burst=1pkt dt=10us hz=odd", HZ_ODD, 1000000,
	   BITS(1518), BITS(1518), NS(HZ_ODD, 10000), 1000000),
	PC("police 100Mbit 64B burst=32pkt dt=100ns", HZ_TSC, 100000000,
	   BITS(64), 32 * BITS(64), NS(HZ_TSC, 100), 1000000),
	PC("police 1Gbit 64B burst=64pkt dt=1us hz=odd", HZ_ODD, 1000000000,
	   BITS(64), 64 * BITS(64), NS(HZ_ODD, 1000), 1000000),
	PC("police 1Gbit 1518B burst=2Mbit dt=1ms", HZ_TSC, 1000000000,
	   BITS(1518), 1 << 21, NS(HZ_TSC, 1000000), 2000),
	PC("police 10Gbit 1518B burst=1pkt dt=16cyc", HZ_TSC, 10000000000,
	   BITS(1518), BITS(1518), 16, 781250),
	PC("police 40Gbit 64B burst=16pkt dt=1cyc hz=odd", HZ_ODD, 40000000000,
	   BITS(64), 16 * BITS(64), 1, 1000000),
	PC("police 100Gbit 64B burst=64pkt dt=100ns hz=odd", HZ_ODD,
	   100000000000, BITS(64), 64 * BITS(64), NS(HZ_ODD, 100), 10000),
	PC("police 100Gbit 1518B burst=1Mibit dt=1us", HZ_TSC, 100000000000,
	   BITS(1518), 1 << 20, NS(HZ_TSC, 1000), 10000),
	PC("police 100Gbit 1518B burst=1pkt dt=2cyc", HZ_TSC, 100000000000,
	   BITS(1518), BITS(1518), 2, 1250000),
	/* packet rates: 100 pps .. 100 Mpps */
	PC("police 100pps burst=2 dt=1ms hz=odd", HZ_ODD, 100, 1, 2,
	   NS(HZ_ODD, 1000000), 100000),
	PC("police 100pps burst=1 dt=10us", HZ_TSC, 100, 1, 1,
	   NS(HZ_TSC, 10000), 2000000),
	PC("police 10kpps burst=4 dt=1us hz=odd", HZ_ODD, 10000, 1, 4,
	   NS(HZ_ODD, 1000), 1000000),
	PC("police 1Mpps burst=32 dt=100ns", HZ_TSC, 1000000, 1, 32,
	   NS(HZ_TSC, 100), 1000000),
	PC("police 100Mpps burst=64 dt=7cyc hz=odd", HZ_ODD, 100000000, 1, 64,
	   7, 1428571),
	PC("police 100Mpps burst=256 dt=1us", HZ_TSC, 100000000, 1, 256,
	   NS(HZ_TSC, 1000), 10000),
};

struct run {
	uint64_t pkts;
	int64_t tokens;
};

static struct run
police_greedy(const struct pcase *c, uint64_t t0)
{
	struct fn_tb_profile p;
	struct fn_tb tb;
	struct run r = { 0, 0 };

	profile_ok(&p, c->rate, c->burst, c->hz);
	fn_tb_init(&tb, &p, t0);
	for (uint64_t k = 0; k <= c->steps; k++) {
		uint64_t now = t0 + k * c->dt;
		while (fn_tb_police(&tb, &p, now, c->len))
			r.pkts++;
	}
	r.tokens = tb.tokens;
	return r;
}

static void
test_police_case(void **state)
{
	const struct pcase *c = *state;
	i128 T = (i128)c->steps * c->dt;
	i128 pkt = (i128)c->len * c->hz;
	i128 full = (i128)c->burst * c->hz;
	i128 g = (i128)c->rate * c->dt;
	i128 earned = (i128)c->rate * T;
	long double expect = (long double)c->rate * (long double)T / c->hz;

	/* the case itself must be able to show a 1 % error */
	assert_true(c->steps >= 1000);
	assert_true(c->burst >= c->len);
	assert_true((long double)c->burst <= expect * 0.005L);

	struct run r = police_greedy(c, 0);
	i128 got = (i128)r.pkts * pkt;

	/* never more than the burst plus what the rate earned */
	assert_i128(got, <=, full + earned);
	/* never less than that minus one packet (and any capping losses) */
	bool clamp_free = full + 1 >= pkt + g;
	i128 lost = 0;
	if (!clamp_free)
		lost = g * (i128)(r.pkts < c->steps + 1 ? r.pkts : c->steps + 1);
	assert_i128(got + pkt + lost, >, full + earned);
	if (clamp_free)
		assert_i128(r.tokens, ==, full + earned - got);

	assert_close((long double)r.pkts * c->len, expect, 0.01L, c->name);

	/* the same run with the clock near 2^63 and ending at 2^64 - 1 */
	const uint64_t origins[] = { TOP63 - (uint64_t)(T / 2),
				     UINT64_MAX - (uint64_t)T };
	for (size_t i = 0; i < 2; i++) {
		struct run r2 = police_greedy(c, origins[i]);
		assert_int_equal(r2.pkts, r.pkts);
		assert_int_equal(r2.tokens, r.tokens);
	}
}

/*
 * The policer admits the n-th packet after the burst at exactly the first
 * cycle t with R*t >= n*L*hz, and not one cycle earlier.
 */
static void
test_police_exact_spacing(void **state)
{
	static const struct {
		uint64_t hz, rate;
		uint32_t len;
		unsigned n;
	} cs[] = {
		{ HZ_ODD, 10000000000, BITS(1518), 20000 },
		{ HZ_TSC, 100000000, 1, 20000 },
		{ HZ_TSC, 10000, BITS(64), 2000 },
		{ 3, 7, 2, 20000 },       /* several packets per cycle */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		struct fn_tb_profile p;
		struct fn_tb tb;
		const uint64_t t0 = 123456789;

		profile_ok(&p, cs[i].rate, 2 * (uint64_t)cs[i].len, cs[i].hz);
		fn_tb_init(&tb, &p, t0);
		assert_true(fn_tb_police(&tb, &p, t0, cs[i].len));
		assert_true(fn_tb_police(&tb, &p, t0, cs[i].len));
		assert_false(fn_tb_police(&tb, &p, t0, cs[i].len));
		uint64_t prev = 0;
		for (unsigned n = 1; n <= cs[i].n; n++) {
			i128 need = (i128)n * cs[i].len * cs[i].hz;
			uint64_t tn = (uint64_t)((need + cs[i].rate - 1) /
						 cs[i].rate);
			/* not a cycle early (unless an earlier packet's cycle) */
			if (tn > prev)
				assert_false(fn_tb_police(&tb, &p, t0 + tn - 1,
							  cs[i].len));
			assert_true(fn_tb_police(&tb, &p, t0 + tn, cs[i].len));
			prev = tn;
		}
	}
}

/* ---- configuration limits ---------------------------------------------- */

static void
test_profile_einval(void **state)
{
	struct fn_tb_profile p;

	(void)state;
	assert_int_equal(fn_tb_profile_init(&p, 1000, 1000, 0), -EINVAL);
	assert_int_equal(fn_tb_profile_init(&p, 0, 0, 0), -EINVAL);
	assert_int_equal(fn_tb_profile_init(&p, 0, 1000, 0), -EINVAL);
	assert_int_equal(fn_tb_profile_init(&p, UINT64_MAX, UINT64_MAX, 0),
			 -EINVAL);
	assert_int_equal(fn_tb_profile_init(&p, 1, 0, HZ_TSC), -EINVAL);
	assert_int_equal(fn_tb_profile_init(&p, 100000000000, 0, HZ_ODD),
			 -EINVAL);
	assert_int_equal(fn_tb_profile_init(&p, UINT64_MAX, 0, 1), -EINVAL);
}

/* -ERANGE exactly when burst*hz >= 2^62 (or rate >= 2^62). */
static void
test_profile_erange_boundary(void **state)
{
	static const uint64_t hzs[] = {
		1, 3, 1000, 1000000, HZ_ODD, HZ_TSC, (UINT64_C(1) << 31) + 11,
		UINT64_C(1) << 32, 3000000000, UINT64_C(1) << 61, TB_LIM - 1,
	};
	struct fn_tb_profile p;

	(void)state;
	for (size_t i = 0; i < sizeof(hzs) / sizeof(hzs[0]); i++) {
		uint64_t hz = hzs[i];
		uint64_t bmax = (TB_LIM - 1) / hz;

		/* independent statement of "largest burst" */
		assert_i128((i128)bmax * hz, <, (i128)TB_LIM);
		assert_i128((i128)(bmax + 1) * hz, >=, (i128)TB_LIM);

		assert_int_equal(fn_tb_profile_init(&p, 1, bmax, hz), 0);
		assert_i128(p.max_tokens, ==, (i128)bmax * hz);
		assert_false(p.unlimited);
		assert_int_equal(fn_tb_profile_init(&p, TB_LIM - 1, bmax, hz), 0);
		assert_int_equal(fn_tb_profile_init(&p, 1, bmax + 1, hz),
				 -ERANGE);
		assert_int_equal(fn_tb_profile_init(&p, 1, UINT64_MAX, hz),
				 -ERANGE);
		assert_int_equal(fn_tb_profile_init(&p, TB_LIM, 1, hz), -ERANGE);
		assert_int_equal(fn_tb_profile_init(&p, UINT64_MAX, 1, hz),
				 -ERANGE);
	}
	/* 2^32 * 2^30 == 2^62 exactly: rejected; one less accepted */
	assert_int_equal(fn_tb_profile_init(&p, 1, UINT64_C(1) << 30,
					    UINT64_C(1) << 32), -ERANGE);
	assert_int_equal(fn_tb_profile_init(&p, 1, (UINT64_C(1) << 30) - 1,
					    UINT64_C(1) << 32), 0);
	assert_int_equal(fn_tb_profile_init(&p, 1, 1, TB_LIM), -ERANGE);
	assert_int_equal(fn_tb_profile_init(&p, 1, 1, UINT64_MAX), -ERANGE);
	/* 1 GiB of bits at a 2.5 GHz TSC is well inside the range */
	assert_int_equal(fn_tb_profile_init(&p, 100000000000,
					    UINT64_C(1) << 30, HZ_TSC), 0);
}

/*
 * The largest accepted burst and rate, with the clock near 2^63, idle gaps
 * of days and the longest gap the clock allows: exact, no overflow.
 */
static void
test_largest_values_exact(void **state)
{
	static const uint64_t hzs[] = { HZ_TSC, HZ_ODD, 1000000 };
	static const uint64_t rates[] = { 1, 100000000000, TB_LIM - 1 };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		for (size_t j = 0; j < 3; j++) {
			uint64_t hz = hzs[i], rate = rates[j];
			uint64_t bmax = (TB_LIM - 1) / hz;
			i128 full = (i128)bmax * hz;
			struct fn_tb_profile p;
			struct fn_tb tb;
			uint64_t t0 = TOP63 - 7;

			profile_ok(&p, rate, bmax, hz);
			fn_tb_init(&tb, &p, t0);
			assert_i128(tb.tokens, ==, full);
			assert_int_equal(drain(&tb, &p, t0), bmax);
			assert_false(fn_tb_police(&tb, &p, t0, 1));

			/* 30 days idle across 2^63 */
			uint64_t t1 = t0 + 30 * 86400 * hz;
			i128 e1 = (i128)rate * (t1 - t0);
			i128 want = e1 < full ? e1 : full;
			assert_i128(tokens_at(&tb, &p, t1), ==, want);
			uint64_t took = drain(&tb, &p, t1);
			assert_int_equal(took, (uint64_t)(want / hz));
			i128 left = want - (i128)took * hz;

			/* the longest possible gap: to 2^64 - 1 */
			i128 e2 = left + (i128)rate * (UINT64_MAX - t1);
			want = e2 < full ? e2 : full;
			assert_i128(tokens_at(&tb, &p, UINT64_MAX), ==, want);
			assert_int_equal(drain(&tb, &p, UINT64_MAX),
					 (uint64_t)(want / hz));
		}
	}
	/* rate 1 unit/s for 30 days is exactly 2592000 units */
	struct fn_tb_profile p;
	struct fn_tb tb;
	profile_ok(&p, 1, 10000000, HZ_TSC);
	fn_tb_init(&tb, &p, 0);
	assert_int_equal(drain(&tb, &p, 0), 10000000);
	assert_int_equal(drain(&tb, &p, 30 * 86400 * HZ_TSC), 2592000);
	assert_int_equal(drain(&tb, &p, 30 * 86400 * HZ_TSC + HZ_TSC - 1), 0);
	assert_int_equal(drain(&tb, &p, 30 * 86400 * HZ_TSC + HZ_TSC), 1);
}

/* A 1 GiB (of bits) burst at 100 Gbit/s: exact burst, then exact rate. */
static void
test_huge_burst(void **state)
{
	const uint64_t hz = HZ_TSC, rate = 100000000000;
	const uint64_t burst = UINT64_C(1) << 30, dt = NS(hz, 1000);
	const uint32_t len = BITS(1518);
	const uint64_t steps = 20000;    /* 20 ms: about twice the burst */
	struct fn_tb_profile p;
	struct fn_tb tb;
	uint64_t t0 = TOP63 - 3600 * hz, pkts = 0;

	(void)state;
	profile_ok(&p, rate, burst, hz);
	fn_tb_init(&tb, &p, t0);
	while (fn_tb_police(&tb, &p, t0, len))
		pkts++;
	assert_int_equal(pkts, burst / len);

	for (uint64_t k = 1; k <= steps; k++)
		while (fn_tb_police(&tb, &p, t0 + k * dt, len))
			pkts++;
	i128 got = (i128)pkts * len * hz;
	i128 limit = (i128)burst * hz + (i128)rate * steps * dt;
	assert_i128(got, <=, limit);
	assert_i128(got + (i128)len * hz, >, limit);

	/* three days idle: exactly full again, never more */
	uint64_t t1 = t0 + steps * dt + 3 * 86400 * hz;
	assert_i128(tokens_at(&tb, &p, t1), ==, (i128)burst * hz);
	pkts = 0;
	while (fn_tb_police(&tb, &p, t1, len))
		pkts++;
	assert_int_equal(pkts, burst / len);
}

/* After a long idle the bucket holds exactly the burst; before, exactly what was earned. */
static void
test_idle_refills_to_exactly_burst(void **state)
{
	static const struct {
		uint64_t hz, rate, burst;
		uint32_t len;
	} cs[] = {
		{ HZ_TSC, 1000000000, 4 * BITS(1518), BITS(1518) },
		{ HZ_ODD, 100, 1, 1 },
		{ HZ_ODD, 10000, BITS(64), BITS(64) },
		{ HZ_TSC, 100000000000, UINT64_C(1) << 30, BITS(1518) },
		{ 1000, 3, 1000, 7 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		uint64_t hz = cs[i].hz;
		struct fn_tb_profile p;
		struct fn_tb tb;
		uint64_t t0 = 1000;
		i128 full = (i128)cs[i].burst * hz;

		profile_ok(&p, cs[i].rate, cs[i].burst, hz);
		fn_tb_init(&tb, &p, t0);
		assert_true(fn_tb_police(&tb, &p, t0, cs[i].len));
		i128 have = full - (i128)cs[i].len * hz;
		assert_i128(tb.tokens, ==, have);

		/* cycles to refill exactly, and the cycle before */
		i128 fill = ((i128)cs[i].len * hz + cs[i].rate - 1) / cs[i].rate;
		uint64_t t = t0 + (uint64_t)fill - 1;
		assert_i128(tokens_at(&tb, &p, t), ==,
			    have + (i128)cs[i].rate * (t - t0));
		assert_i128(tokens_at(&tb, &p, t0 + (uint64_t)fill), ==, full);

		const uint64_t gaps[] = { 3600 * hz, 86400 * hz,
					  365 * 86400 * hz };
		for (size_t g = 0; g < 3; g++) {
			t = t0 + (uint64_t)fill + gaps[g];
			assert_i128(tokens_at(&tb, &p, t), ==, full);
			if (cs[i].burst <= UINT32_MAX) {
				assert_true(fn_tb_police(&tb, &p, t,
							 (uint32_t)cs[i].burst));
				assert_false(fn_tb_police(&tb, &p, t, 1));
			} else {
				assert_int_equal(drain(&tb, &p, t), cs[i].burst);
			}
			t0 = t;
			have = 0;
			fill = (full + cs[i].rate - 1) / cs[i].rate;
		}
	}
}

/* ---- edge cases -------------------------------------------------------- */

static void
test_unlimited_passes_everything(void **state)
{
	static const uint64_t times[] = { 0, 5, 3, TOP63, UINT64_MAX, 1, 0 };
	struct fn_tb_profile p;
	struct fn_tb tb;

	(void)state;
	assert_int_equal(fn_tb_profile_init(&p, 0, 0, HZ_TSC), 0);
	assert_true(p.unlimited);
	assert_int_equal(fn_tb_profile_init(&p, 0, UINT64_MAX, UINT64_MAX), 0);
	assert_true(p.unlimited);
	assert_int_equal(fn_tb_profile_init(&p, 0, 1000, HZ_ODD), 0);
	assert_true(p.unlimited);
	fn_tb_init(&tb, &p, 42);
	int64_t tokens = tb.tokens;
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		for (uint32_t k = 0; k < 10000; k++) {
			assert_true(fn_tb_police(&tb, &p, times[i], UINT32_MAX));
			assert_true(fn_tb_police(&tb, &p, times[i], k));
		}
		assert_int_equal(fn_tb_shape_budget(&tb, &p, times[i], 32), 32);
		assert_int_equal(fn_tb_shape_budget(&tb, &p, times[i],
						    UINT32_MAX), UINT32_MAX);
		assert_int_equal(fn_tb_shape_budget(&tb, &p, times[i], 0), 0);
		fn_tb_charge(&tb, &p, UINT64_MAX);
		fn_tb_charge(&tb, &p, 1518 * 8 * 32);
		assert_int_equal(tb.tokens, tokens);
	}
}

/* Time going backwards adds nothing; the credit resumes from the latest time. */
static void
test_time_backwards(void **state)
{
	const uint64_t hz = HZ_ODD, rate = 1000000000, burst = 100000;
	struct fn_tb_profile p;
	struct fn_tb tb;
	uint64_t t0 = 1000000000000;

	(void)state;
	profile_ok(&p, rate, burst, hz);
	fn_tb_init(&tb, &p, t0);
	assert_int_equal(drain(&tb, &p, t0), burst);
	i128 left = tb.tokens;
	assert_i128(left, ==, 0);
	const uint64_t back[] = { t0 - 1, t0 - 1000000, 0, 1, t0 / 2, t0 };
	for (size_t i = 0; i < sizeof(back) / sizeof(back[0]); i++) {
		assert_false(fn_tb_police(&tb, &p, back[i], 1));
		assert_int_equal(fn_tb_shape_budget(&tb, &p, back[i], 32), 0);
		assert_i128(tb.tokens, ==, left);
	}
	/* forward again: only what was earned since t0 */
	assert_i128(tokens_at(&tb, &p, t0 + 1000), ==, (i128)rate * 1000);
	/* and again backwards in debt */
	fn_tb_charge(&tb, &p, 2000);
	i128 debt = (i128)rate * 1000 - (i128)2000 * hz;
	assert_i128(tb.tokens, ==, debt);
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 5, 32), 0);
	assert_i128(tb.tokens, ==, debt);

	/* a random walk of the clock: admitted never exceeds what the
	 * latest time seen allows, tokens never exceed the burst */
	uint64_t seed = 0x9e3779b97f4a7c15, now = t0, tmax = t0;
	uint64_t got = 0;
	fn_tb_init(&tb, &p, t0);
	for (int k = 0; k < 200000; k++) {
		uint64_t r = xorshift64(&seed);
		if (r % 64 == 0)                   /* far into the past */
			now = r >> 34;
		else if (r % 8 < 3)                /* a little backwards */
			now = now > (r >> 40) ? now - (r >> 40) : 0;
		else
			now += (r >> 8) % 100000;
		tmax = now > tmax ? now : tmax;
		uint32_t n = (uint32_t)(r >> 48) % 20000;
		if (fn_tb_police(&tb, &p, now, n))
			got += n;
		assert_i128(tb.tokens, <=, (i128)burst * hz);
		assert_i128(tb.tokens, >=, 0);
		assert_i128((i128)got * hz, <=,
			    (i128)burst * hz + (i128)rate * (tmax - t0));
	}
}

/* Overflow-prone arguments at a 2.5 GHz clock: a huge n never passes. */
static void
test_huge_arguments(void **state)
{
	struct fn_tb_profile p;
	struct fn_tb tb;
	const uint64_t hz = HZ_TSC;

	(void)state;
	profile_ok(&p, 1000, 10, hz);
	fn_tb_init(&tb, &p, 0);
	int64_t full = tb.tokens;
	/* UINT32_MAX * hz does not fit in 64 bits */
	assert_false(fn_tb_police(&tb, &p, 0, UINT32_MAX));
	assert_false(fn_tb_police(&tb, &p, 0, 3700000000u));
	assert_int_equal(tb.tokens, full);
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 0, UINT32_MAX), 10);
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 0, 3700000000u), 10);
	assert_true(fn_tb_police(&tb, &p, 0, 10));
	assert_false(fn_tb_police(&tb, &p, 0, 1));

	/* charging absurd amounts is debt, never credit */
	fn_tb_init(&tb, &p, 0);
	fn_tb_charge(&tb, &p, UINT64_MAX);
	assert_true(tb.tokens < 0);
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 0, 32), 0);
	fn_tb_charge(&tb, &p, UINT64_MAX);
	fn_tb_charge(&tb, &p, UINT64_C(1) << 62);
	assert_true(tb.tokens < 0);
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 86400 * hz, 32), 0);
	fn_tb_charge(&tb, &p, 0);
	assert_true(tb.tokens < 0);
}

/* ---- rate changes ------------------------------------------------------ */

struct rcase {
	const char *name;
	uint64_t hz;
	uint32_t len;
	uint64_t dt, steps;
	uint64_t rate_a, burst_a, rate_b, burst_b;
};

static const struct rcase rcases[] = {
	{ "reprofile 1Gbit->100Mbit 1518B dt=1us hz=odd", HZ_ODD, BITS(1518),
	  NS(HZ_ODD, 1000), 1000000, 1000000000, 8 * BITS(1518), 100000000,
	  4 * BITS(1518) },
	{ "reprofile 100Mbit->10Gbit 64B dt=100ns", HZ_TSC, BITS(64),
	  NS(HZ_TSC, 100), 1000000, 100000000, 32 * BITS(64), 10000000000,
	  64 * BITS(64) },
	{ "reprofile 1Mpps->10kpps dt=1us hz=odd", HZ_ODD, 1,
	  NS(HZ_ODD, 1000), 1000000, 1000000, 64, 10000, 8 },
	{ "reprofile 10kpps->1Mpps dt=1us", HZ_TSC, 1, NS(HZ_TSC, 1000),
	  1000000, 10000, 8, 1000000, 64 },
};

/*
 * Half the run at rate A, half at B: admitted == A*T1 + B*T2 + burst A
 * within one packet (no fresh burst at the change), and within 1 %.
 */
static void
test_reprofile_case(void **state)
{
	const struct rcase *c = *state;
	struct fn_tb_profile pa, pb;
	struct fn_tb tb;
	uint64_t half = c->steps / 2, pkts = 0, t0 = TOP63 - 12345;

	profile_ok(&pa, c->rate_a, c->burst_a, c->hz);
	profile_ok(&pb, c->rate_b, c->burst_b, c->hz);
	fn_tb_init(&tb, &pa, t0);
	for (uint64_t k = 0; k <= c->steps; k++) {
		uint64_t now = t0 + k * c->dt;
		if (k == half)
			fn_tb_reprofile(&tb, &pa, &pb, now);
		const struct fn_tb_profile *p = k < half ? &pa : &pb;
		while (fn_tb_police(&tb, p, now, c->len))
			pkts++;
	}
	i128 t1 = (i128)half * c->dt, t2 = (i128)(c->steps - half) * c->dt;
	i128 earned = (i128)c->rate_a * t1 + (i128)c->rate_b * t2;
	i128 full = (i128)c->burst_a * c->hz, pkt = (i128)c->len * c->hz;
	i128 got = (i128)pkts * pkt;

	/* the case is clamp-free in both halves and at the change */
	assert_i128(full + 1, >=, pkt + (i128)c->rate_a * c->dt);
	assert_i128((i128)c->burst_b * c->hz + 1, >=,
		    pkt + (i128)c->rate_b * c->dt);
	assert_true(c->burst_b >= c->len && c->burst_b >= 2 * c->len);

	assert_i128(got, <=, full + earned);
	assert_i128(got + pkt, >, full + earned);
	assert_i128(tb.tokens, ==, full + earned - got);
	long double expect = ((long double)c->rate_a * t1 +
			      (long double)c->rate_b * t2) / c->hz;
	assert_true((long double)c->burst_a <= expect * 0.005L);
	assert_close((long double)pkts * c->len, expect, 0.01L, c->name);
}

/* A change grants no fresh burst, keeps credit earned at the old rate and debt. */
static void
test_reprofile_credit(void **state)
{
	const uint64_t hz = HZ_ODD, ra = 1000000, rb = 3000000;
	struct fn_tb_profile pa, pb, small;
	struct fn_tb tb;
	uint64_t t = 5000;

	(void)state;
	profile_ok(&pa, ra, 100, hz);
	profile_ok(&pb, rb, 1000000, hz);
	profile_ok(&small, ra, 10, hz);

	fn_tb_init(&tb, &pa, t);
	assert_int_equal(drain(&tb, &pa, t), 100);
	fn_tb_reprofile(&tb, &pa, &pb, t);       /* deeper bucket: still empty */
	assert_i128(tb.tokens, ==, 0);
	assert_false(fn_tb_police(&tb, &pb, t, 1));

	/* credit up to the change is at the old rate, after it the new */
	fn_tb_reprofile(&tb, &pb, &pa, t);
	fn_tb_reprofile(&tb, &pa, &pb, t + 777);
	i128 want = (i128)ra * 777;
	assert_i128(tb.tokens, ==, want);
	want += (i128)rb * 1000;
	assert_i128(tokens_at(&tb, &pb, t + 1777), ==, want);

	/* clamped to a shallower bucket, never raised */
	fn_tb_reprofile(&tb, &pb, &small, t + 1777 + 100 * hz);
	assert_i128(tb.tokens, ==, (i128)10 * hz);
	assert_int_equal(drain(&tb, &small, t + 1777 + 100 * hz), 10);

	/* debt survives a change */
	uint64_t t2 = t + 1777 + 100 * hz;
	fn_tb_charge(&tb, &small, 25);
	fn_tb_reprofile(&tb, &small, &pb, t2 + 10);
	assert_i128(tb.tokens, ==, -(i128)25 * hz + (i128)ra * 10);
	assert_int_equal(fn_tb_shape_budget(&tb, &pb, t2 + 10, 32), 0);
}

/* A change with a `now` behind the bucket's last refill adds nothing. */
static void
test_reprofile_time_backwards(void **state)
{
	const uint64_t hz = HZ_TSC, ra = 1000000, rb = 2000000;
	struct fn_tb_profile pa, pb;
	struct fn_tb tb;

	(void)state;
	profile_ok(&pa, ra, 1000, hz);
	profile_ok(&pb, rb, 1000, hz);
	fn_tb_init(&tb, &pa, 1000);
	assert_int_equal(drain(&tb, &pa, 2000000), 1000);   /* last = 2e6 */
	i128 left = tb.tokens;
	fn_tb_reprofile(&tb, &pa, &pb, 1500000);            /* stale now */
	assert_i128(tb.tokens, ==, left);
	/* nothing for the 0.5e6 cycles already credited under A */
	assert_i128(tokens_at(&tb, &pb, 2000000), ==, left);
	assert_i128(tokens_at(&tb, &pb, 2000100), ==, left + (i128)rb * 100);
}

/* unlimited -> limited starts full; limited -> unlimited passes everything. */
static void
test_reprofile_unlimited(void **state)
{
	struct fn_tb_profile pu, pl;
	struct fn_tb tb;
	const uint64_t hz = HZ_TSC;

	(void)state;
	profile_ok(&pu, 0, 0, hz);
	profile_ok(&pl, 1000, 50, hz);
	fn_tb_init(&tb, &pu, 0);
	for (int k = 0; k < 100000; k++)
		assert_true(fn_tb_police(&tb, &pu, (uint64_t)k, 1518 * 8));
	fn_tb_reprofile(&tb, &pu, &pl, 3600 * hz);
	assert_i128(tb.tokens, ==, (i128)50 * hz);
	assert_int_equal(drain(&tb, &pl, 3600 * hz), 50);
	/* the refill runs from the change, not from the unlimited era */
	assert_int_equal(drain(&tb, &pl, 3600 * hz + hz / 100), 10);

	fn_tb_charge(&tb, &pl, 1000);                        /* deep debt */
	fn_tb_reprofile(&tb, &pl, &pu, 3601 * hz);
	for (int k = 0; k < 100000; k++) {
		assert_true(fn_tb_police(&tb, &pu, 3601 * hz + (uint64_t)k,
					 UINT32_MAX));
		assert_int_equal(fn_tb_shape_budget(&tb, &pu, 3601 * hz, 32),
				 32);
	}
	fn_tb_reprofile(&tb, &pu, &pl, 3602 * hz);           /* full again */
	assert_int_equal(drain(&tb, &pl, 3602 * hz), 50);
}

/* ---- shaper ------------------------------------------------------------ */

enum smode {
	S_BITS_BURST32,  /* any credit: send a whole burst of 32 packets */
	S_BITS_CEIL,     /* send enough packets to cover the budget */
	S_PPS,           /* packet units: send exactly the budget */
};

struct scase {
	const char *name;
	uint64_t hz, rate;
	uint32_t len;
	uint64_t burst, dt, steps;
	enum smode mode;
};

static const struct scase scases[] = {
	{ "shape 10kbit 64B ceil dt=1ms hz=odd", HZ_ODD, 10000, BITS(64),
	  BITS(64), NS(HZ_ODD, 1000000), 1000000, S_BITS_CEIL },
	{ "shape 100Mbit 64B ceil dt=100ns hz=odd", HZ_ODD, 100000000,
	  BITS(64), BITS(64), NS(HZ_ODD, 100), 1000000, S_BITS_CEIL },
	{ "shape 10Gbit 1518B burst32 dt=1us", HZ_TSC, 10000000000,
	  BITS(1518), 2 * BITS(1518), NS(HZ_TSC, 1000), 100000,
	  S_BITS_BURST32 },
	{ "shape 40Gbit 64B burst32 dt=3cyc hz=odd", HZ_ODD, 40000000000,
	  BITS(64), 2 * BITS(64), 3, 1000000, S_BITS_BURST32 },
	{ "shape 100Gbit 1518B burst32 dt=1us", HZ_TSC, 100000000000,
	  BITS(1518), 16 * BITS(1518), NS(HZ_TSC, 1000), 10000,
	  S_BITS_BURST32 },
	{ "shape 100Gbit 1518B ceil dt=100ns hz=odd", HZ_ODD, 100000000000,
	  BITS(1518), 2 * BITS(1518), NS(HZ_ODD, 100), 100000, S_BITS_CEIL },
	{ "shape 100pps burst=2 dt=1ms hz=odd", HZ_ODD, 100, 1, 2,
	  NS(HZ_ODD, 1000000), 100000, S_PPS },
	{ "shape 1Mpps burst=1 dt=100ns", HZ_TSC, 1000000, 1, 1,
	  NS(HZ_TSC, 100), 1000000, S_PPS },
	{ "shape 100Mpps burst=32 dt=100ns hz=odd", HZ_ODD, 100000000, 1, 32,
	  NS(HZ_ODD, 100), 100000, S_PPS },
};

/*
 * A backlogged sender asks for budget at every step and charges what it
 * sends. The test keeps its own 128-bit model of the bucket, checks every
 * budget against it, and checks that nothing is sent while in debt.
 */
static void
test_shape_case(void **state)
{
	const struct scase *c = *state;
	struct fn_tb_profile p;
	struct fn_tb tb;
	const uint64_t hz = c->hz, t0 = TOP63 - 99;
	const uint32_t maxb = c->mode == S_PPS ? 32 : 32 * c->len;
	const i128 full = (i128)c->burst * hz, g = (i128)c->rate * c->dt;
	const i128 maxcharge = (i128)maxb * hz;
	i128 model = full;
	uint64_t sent = 0;

	profile_ok(&p, c->rate, c->burst, hz);
	fn_tb_init(&tb, &p, t0);
	for (uint64_t k = 0; k <= c->steps; k++) {
		uint64_t now = t0 + k * c->dt;
		if (k) {
			model += g;
			model = model > full ? full : model;
		}
		uint32_t b = fn_tb_shape_budget(&tb, &p, now, maxb);
		uint32_t want;
		if (model <= 0)
			want = 0;
		else if (model >= maxcharge)
			want = maxb;
		else
			want = model < hz ? 1 : (uint32_t)(model / hz);
		if (b != want)
			fail_msg("step %llu: budget %u, expected %u",
				 (unsigned long long)k, b, want);
		if (b == 0)
			continue;
		/* never sends while in debt; whole units unless credit < 1 */
		assert_i128(model, >, 0);
		assert_i128((i128)b * hz, <=, model < hz ? hz : model);
		uint64_t n;
		if (c->mode == S_BITS_BURST32)
			n = 32 * (uint64_t)c->len;
		else if (c->mode == S_BITS_CEIL)
			n = (b + c->len - 1) / c->len * (uint64_t)c->len;
		else
			n = b;
		fn_tb_charge(&tb, &p, n);
		model -= (i128)n * hz;
		sent += n;
		/* debt is at most one charge; pps overdraws < 1 packet */
		assert_i128(model, >=, -maxcharge);
		if (c->mode == S_PPS)
			assert_i128(model, >, -(i128)hz);
		assert_i128(tb.tokens, ==, model);
	}

	i128 T = (i128)c->steps * c->dt, earned = (i128)c->rate * T;
	long double expect = (long double)c->rate * (long double)T / hz;
	assert_true(c->steps >= 1000);
	assert_true((long double)c->burst <= expect * 0.005L);
	assert_i128((i128)sent * hz, <=, full + earned + maxcharge);
	/* clamp-free cases: lower bound within one unit */
	if (full >= g + hz && full <= maxcharge)
		assert_i128((i128)sent * hz + hz, >, full + earned);
	assert_close((long double)sent, expect, 0.01L, c->name);
}

/* Budget values on hand-computed states. */
static void
test_shape_budget_exact(void **state)
{
	struct fn_tb_profile p;
	struct fn_tb tb;

	(void)state;
	/* hz 1000, 10 packets/s: one cycle earns 1/100 packet */
	profile_ok(&p, 10, 5, 1000);
	fn_tb_init(&tb, &p, 0);
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 0, 32), 5);
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 0, 5), 5);
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 0, 3), 3);
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 0, 0), 0);
	fn_tb_charge(&tb, &p, 5);
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 0, 32), 0);   /* 0 */
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 1, 32), 1);   /* 0.01 */
	fn_tb_charge(&tb, &p, 1);                                  /* -0.99 */
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 99, 32), 0);  /* -0.01 */
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 100, 32), 0); /* 0 */
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 101, 32), 1);
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 300, 32), 2); /* 2.00 */
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 349, 32), 2); /* 2.49 */
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 349, 2), 2);
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 349, 1), 1);
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 10000, 32), 5); /* full */
	fn_tb_charge(&tb, &p, 37);                                 /* -32 */
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 10000 + 3200, 32), 0);
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 10000 + 3201, 32), 1);
	/* time going backwards repays nothing */
	fn_tb_charge(&tb, &p, 1);
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 0, 32), 0);
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 10000 + 3201 + 99, 32), 0);
	assert_int_equal(fn_tb_shape_budget(&tb, &p, 10000 + 3201 + 101, 32),
			 1);
}

/* ---- main -------------------------------------------------------------- */

#define NP (sizeof(pcases) / sizeof(pcases[0]))
#define NR (sizeof(rcases) / sizeof(rcases[0]))
#define NS_ (sizeof(scases) / sizeof(scases[0]))

int
main(void)
{
	static struct CMUnitTest tests[13 + NP + NR + NS_] = {
		cmocka_unit_test(test_profile_einval),
		cmocka_unit_test(test_profile_erange_boundary),
		cmocka_unit_test(test_largest_values_exact),
		cmocka_unit_test(test_huge_burst),
		cmocka_unit_test(test_idle_refills_to_exactly_burst),
		cmocka_unit_test(test_unlimited_passes_everything),
		cmocka_unit_test(test_time_backwards),
		cmocka_unit_test(test_huge_arguments),
		cmocka_unit_test(test_police_exact_spacing),
		cmocka_unit_test(test_reprofile_credit),
		cmocka_unit_test(test_reprofile_time_backwards),
		cmocka_unit_test(test_reprofile_unlimited),
		cmocka_unit_test(test_shape_budget_exact),
	};
	size_t n = 13;

	for (size_t i = 0; i < NP; i++)
		tests[n++] = (struct CMUnitTest){ pcases[i].name,
			test_police_case, NULL, NULL, (void *)&pcases[i] };
	for (size_t i = 0; i < NR; i++)
		tests[n++] = (struct CMUnitTest){ rcases[i].name,
			test_reprofile_case, NULL, NULL, (void *)&rcases[i] };
	for (size_t i = 0; i < NS_; i++)
		tests[n++] = (struct CMUnitTest){ scases[i].name,
			test_shape_case, NULL, NULL, (void *)&scases[i] };
	return _cmocka_run_group_tests("fn_tb", tests, n, NULL, NULL);
}
