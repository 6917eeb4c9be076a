/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_sched: the link-sharing scheduler in simulated time (1 GHz clock,
 * a polling round every 10 us). Flows are sources with an infinite or a
 * paced backlog; every round the simulator asks the scheduler whom to
 * serve, exactly as the data plane will, and measures what each flow got
 * over a window after a warm-up. Expected shares are computed by hand
 * from the semantics in fn_sched.h (the worked example among them).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "fn_sched.h"

#define HZ      UINT64_C(1000000000)
#define US      UINT64_C(1000)
#define MS      (1000 * US)
#define MBIT    UINT64_C(1000000)
#define INF     UINT64_MAX

struct src {
	uint32_t size;          /* frame size, bytes */
	uint64_t pace;          /* offered bits/s, 0 = infinite backlog */
	uint64_t backlog;       /* frames waiting (paced sources) */
	uint64_t credit;        /* offered bits not yet a whole frame, * HZ */
	bool on;
	uint64_t bytes, frames; /* served in the measuring window */
};

struct sim {
	struct fn_sched s;
	struct src src[4200];
	uint32_t n;
	uint64_t now;
	uint32_t work;          /* frames per round (the core), 0 = unlimited */
	bool sleepy;            /* as the receive path: a flow that runs dry
				   sleeps, and wakes when frames arrive */
};

static struct sim *
sim_new(uint32_t n, uint64_t cap)
{
	struct sim *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	assert_int_equal(fn_sched_init(&m->s, n, HZ), 0);
	assert_int_equal(fn_sched_set_capacity(&m->s, cap, 0), 0);
	m->n = n;
	return m;
}

static void
sim_free(struct sim *m)
{
	fn_sched_free(&m->s);
	free(m);
}

static void
flow(struct sim *m, uint32_t id, uint64_t min, uint64_t ceil, uint32_t weight,
     uint32_t size, uint64_t pace)
{
	struct fn_sched_conf c = { .min = min, .ceil = ceil, .weight = weight };
	assert_int_equal(fn_sched_flow_set(&m->s, id, &c, m->now), 0);
	m->src[id] = (struct src){ .size = size, .pace = pace, .on = true };
}

static void sim_round(struct sim *m, uint32_t *workp);

static void
run(struct sim *m, uint64_t duration)
{
	uint64_t end = m->now + duration;
	for (; m->now < end; m->now += 10 * US) {
		for (uint32_t i = 0; i < m->n; i++) {
			struct src *x = &m->src[i];
			if (!x->on || x->pace == 0)
				continue;
			x->credit += x->pace * 10 * US;     /* bits * HZ per round */
			uint64_t frame = (uint64_t)x->size * 8 * HZ;
			x->backlog += x->credit / frame;
			x->credit %= frame;
			if (m->sleepy && x->backlog)
				fn_sched_wake(&m->s, i);
		}
		/* Rounds back to back, as the worker runs them, until the
		 * core's work for this tick is spent or a round serves nobody. */
		uint32_t work = 0, before;
		do {
			before = work;
			sim_round(m, &work);
		} while (work != before && !(m->work && work >= m->work));
	}
}

static void
sim_round(struct sim *m, uint32_t *workp)
{
	uint32_t work = *workp;
	{
		fn_sched_begin(&m->s, m->now);
		uint32_t id, budget;
		while ((id = fn_sched_next(&m->s, &budget)) != FN_SCHED_NONE) {
			struct src *x = &m->src[id];
			assert_true(budget >= 1 && budget <= FN_SCHED_BURST);
			assert_true(m->s.flows[id].awake);
			uint64_t have = !x->on ? 0 : x->pace == 0 ? INF : x->backlog;
			uint32_t n = have < budget ? (uint32_t)have : budget;
			if (m->work && work + n > m->work)
				n = m->work - work;
			if (x->pace)
				x->backlog -= n;
			x->bytes += (uint64_t)n * x->size;
			x->frames += n;
			fn_sched_done(&m->s, id, n, (uint64_t)n * x->size, have < budget);
			if (m->sleepy && x->pace && x->backlog == 0)
				fn_sched_sleep(&m->s, id);
			work += n;
			if (m->work && work >= m->work)
				break;
		}
	}
	*workp = work;
}

/* Warm up, then measure for `window`; rates in Mbit/s. */
static void
measure(struct sim *m, uint64_t warmup, uint64_t window, double *mbit)
{
	run(m, warmup);
	for (uint32_t i = 0; i < m->n; i++)
		m->src[i].bytes = m->src[i].frames = 0;
	run(m, window);
	for (uint32_t i = 0; i < m->n; i++)
		mbit[i] = (double)m->src[i].bytes * 8 / ((double)window / HZ) / 1e6;
}

#define assert_near(got, want, tol_pct)                                        \
	do {                                                                   \
		double g_ = (got), w_ = (want);                                \
		if (!(g_ >= w_ * (1 - (tol_pct) / 100.0) &&                     \
		      g_ <= w_ * (1 + (tol_pct) / 100.0)))                      \
			fail_msg("%s = %.2f, want %.2f +- %g%%", #got, g_, w_,  \
				 (double)(tol_pct));                            \
	} while (0)

/* The example: capacity 1000, A min 600, B defaults, C weight 2
 * ceiling 150 -> 725 / 125 / 150. */
static void
test_worked_example(void **state)
{
	(void)state;
	struct sim *m = sim_new(3, 1000 * MBIT);
	double r[3];
	flow(m, 0, 600 * MBIT, 0, 1, 1514, 0);
	flow(m, 1, 0, 0, 1, 1514, 0);
	flow(m, 2, 0, 150 * MBIT, 2, 1514, 0);
	measure(m, 100 * MS, 1000 * MS, r);
	assert_near(r[0], 725, 1);
	assert_near(r[1], 125, 1);
	assert_near(r[2], 150, 1);
	sim_free(m);
}

/* An idle guarantee goes to the others, and comes back on traffic. */
static void
test_guarantee_reclaimed_on_wake(void **state)
{
	(void)state;
	struct sim *m = sim_new(3, 1000 * MBIT);
	double r[3];
	flow(m, 0, 600 * MBIT, 0, 1, 1514, 0);
	flow(m, 1, 0, 0, 1, 1514, 0);
	flow(m, 2, 0, 150 * MBIT, 2, 1514, 0);
	m->src[0].on = false;
	measure(m, 50 * MS, 500 * MS, r);
	assert_true(r[0] == 0);
	assert_near(r[1], 850, 1);
	assert_near(r[2], 150, 1);
	m->src[0].on = true;
	measure(m, 100 * MS, 500 * MS, r);      /* past the 10 ms buckets' bursts */
	assert_near(r[0], 725, 1);
	assert_near(r[1], 125, 1);
	assert_near(r[2], 150, 1);
	sim_free(m);
}

/* Weights split the spare capacity; a paced flow below its share keeps
 * what it offers and the rest goes to the others. */
static void
test_weights_and_paced_flow(void **state)
{
	(void)state;
	struct sim *m = sim_new(3, 1000 * MBIT);
	double r[3];
	flow(m, 0, 0, 0, 3, 1514, 0);
	flow(m, 1, 0, 0, 1, 1514, 0);
	flow(m, 2, 0, 0, 4, 1514, 100 * MBIT);  /* wants 100 of its 500 share */
	measure(m, 50 * MS, 1000 * MS, r);
	assert_near(r[2], 100, 1);
	assert_near(r[0], 675, 1);
	assert_near(r[1], 225, 1);
	sim_free(m);
}

/* Found by fuzz_sched: a heavy-weight flow paced below its share, polled
 * empty every round, must not stop the light flows from taking the rest
 * (a pass that moved no frame fast-forwards; it used to end the round). */
static void
test_paced_heavy_flow_leaves_the_rest(void **state)
{
	(void)state;
	struct sim *m = sim_new(3, 1000 * MBIT);
	double r[3];
	flow(m, 0, 98 * MBIT, 0, 2, 119, 0);
	flow(m, 1, 0, 0, 2, 119, 0);
	flow(m, 2, 0, 0, 9907, 119, 810 * MBIT);
	measure(m, 50 * MS, 500 * MS, r);
	assert_near(r[2], 810, 1);
	assert_near(r[0], 98 + 92.0 / 2, 2);
	assert_near(r[1], 92.0 / 2, 3);
	sim_free(m);
}

/* Byte fairness with mixed frame sizes: 64-byte and 1514-byte flows of
 * equal weight get equal bytes, not equal frames. */
static void
test_byte_fairness_mixed_sizes(void **state)
{
	(void)state;
	struct sim *m = sim_new(2, 400 * MBIT);
	double r[2];
	flow(m, 0, 0, 0, 1, 64, 0);
	flow(m, 1, 0, 0, 1, 1514, 0);
	measure(m, 50 * MS, 1000 * MS, r);
	assert_near(r[0], 200, 1.5);
	assert_near(r[1], 200, 1.5);
	sim_free(m);
}

/* Ceilings bind and nothing goes above them, even with capacity to spare. */
static void
test_ceilings_bind(void **state)
{
	(void)state;
	struct sim *m = sim_new(2, 1000 * MBIT);
	double r[2];
	flow(m, 0, 0, 100 * MBIT, 1, 1514, 0);
	flow(m, 1, 0, 200 * MBIT, 5, 1514, 0);
	measure(m, 50 * MS, 1000 * MS, r);
	assert_near(r[0], 100, 1);
	assert_near(r[1], 200, 1);
	sim_free(m);
}

/* A packets-per-second ceiling binds on small frames. */
static void
test_pps_ceiling(void **state)
{
	(void)state;
	struct sim *m = sim_new(2, 0);
	struct fn_sched_conf c = { .ceil_pps = 10000, .weight = 1 };
	assert_int_equal(fn_sched_flow_set(&m->s, 0, &c, 0), 0);
	m->src[0] = (struct src){ .size = 64, .on = true };
	m->work = 64;
	flow(m, 1, 0, 0, 1, 64, 0);
	run(m, 50 * MS);
	m->src[0].frames = m->src[1].frames = 0;
	run(m, 1000 * MS);
	assert_near((double)m->src[0].frames, 10000, 1);
	/* the other takes the rest of the core's 64 frames per round */
	assert_near((double)m->src[1].frames, 6.4e6 - 10000, 1);
	sim_free(m);
}

/* Unlimited capacity, the core is the bottleneck (64 frames per round):
 * delivery splits by weight, 3:1. */
static void
test_core_bottleneck_weights(void **state)
{
	(void)state;
	struct sim *m = sim_new(2, 0);
	m->work = 64;
	flow(m, 0, 0, 0, 3, 1514, 0);
	flow(m, 1, 0, 0, 1, 1514, 0);
	run(m, 50 * MS);
	m->src[0].frames = m->src[1].frames = 0;
	run(m, 1000 * MS);
	double ratio = (double)m->src[0].frames / (double)m->src[1].frames;
	assert_near(ratio, 3.0, 1);
	assert_int_equal(m->src[0].frames + m->src[1].frames, 64 * 100000);
	sim_free(m);
}

/* A guarantee comes first when the core is the bottleneck, too. */
static void
test_core_bottleneck_min_first(void **state)
{
	(void)state;
	/* 64 frames of 1514 B per 10 us = 77.5 Gbit/s of core; A min 50 G */
	struct sim *m = sim_new(2, 0);
	m->work = 64;
	flow(m, 0, 50000 * MBIT, 0, 1, 1514, 0);
	flow(m, 1, 0, 0, 1, 1514, 0);
	double r[2];
	measure(m, 50 * MS, 1000 * MS, r);
	double core = 64.0 * 1514 * 8 * 100000 / 1e6;
	assert_near(r[0] + r[1], core, 0.1);
	assert_near(r[0], 50000 + (core - 50000) / 2, 1);
	sim_free(m);
}

/* Live changes of weight, min and ceiling take effect at once. */
static void
test_live_changes(void **state)
{
	(void)state;
	struct sim *m = sim_new(2, 1000 * MBIT);
	double r[2];
	flow(m, 0, 0, 0, 1, 1514, 0);
	flow(m, 1, 0, 0, 1, 1514, 0);
	measure(m, 20 * MS, 500 * MS, r);
	assert_near(r[0], 500, 1);
	assert_near(r[1], 500, 1);
	struct fn_sched_conf c = { .weight = 4 };
	assert_int_equal(fn_sched_flow_set(&m->s, 1, &c, m->now), 0);
	measure(m, 20 * MS, 500 * MS, r);
	assert_near(r[0], 200, 1);
	assert_near(r[1], 800, 1);
	c = (struct fn_sched_conf){ .min = 700 * MBIT, .weight = 1 };
	assert_int_equal(fn_sched_flow_set(&m->s, 0, &c, m->now), 0);
	measure(m, 20 * MS, 500 * MS, r);
	assert_near(r[0], 700 + 300.0 / 5, 1);
	assert_near(r[1], 300.0 * 4 / 5, 1);
	c = (struct fn_sched_conf){ .min = 0, .ceil = 100 * MBIT, .weight = 1 };
	assert_int_equal(fn_sched_flow_set(&m->s, 0, &c, m->now), 0);
	measure(m, 20 * MS, 500 * MS, r);
	assert_near(r[0], 100, 1);
	assert_near(r[1], 900, 1);
	sim_free(m);
}

/* 4096 flows of equal weight, 16 of them with a guarantee. */
static void
test_4096_flows(void **state)
{
	(void)state;
	const uint32_t n = 4096;
	struct sim *m = sim_new(n, 10000 * MBIT);
	for (uint32_t i = 0; i < n; i++)
		flow(m, i, i < 16 ? 100 * MBIT : 0, 0, 1, 1514, 0);
	double *r = calloc(n, sizeof(*r));
	measure(m, 100 * MS, 1000 * MS, r);
	/* spare = 10000 - 1600 shared by all 4096 */
	double share = (10000.0 - 1600) / n;
	double total = 0;
	for (uint32_t i = 0; i < n; i++) {
		assert_near(r[i], (i < 16 ? 100 : 0) + share, 3);
		total += r[i];
	}
	assert_near(total, 10000, 0.5);
	free(r);
	sim_free(m);
}

/* Flows leave and join between rounds; the others keep their shares and
 * the scheduler stays consistent (ASan watches the lists). */
static void
test_flows_leave_and_join(void **state)
{
	(void)state;
	struct sim *m = sim_new(4, 900 * MBIT);
	double r[4];
	flow(m, 0, 0, 0, 1, 1514, 0);
	flow(m, 1, 300 * MBIT, 0, 1, 1514, 0);
	flow(m, 2, 0, 0, 1, 1514, 0);
	run(m, 20 * MS);
	fn_sched_flow_del(&m->s, 1);
	m->src[1].on = false;
	measure(m, 20 * MS, 500 * MS, r);
	assert_near(r[0], 450, 1);
	assert_near(r[2], 450, 1);
	assert_true(r[1] == 0);
	fn_sched_flow_del(&m->s, 0);
	fn_sched_flow_del(&m->s, 2);
	m->src[0].on = m->src[2].on = false;
	run(m, 1 * MS);                      /* no members: nothing is served */
	flow(m, 3, 0, 0, 2, 1514, 0);
	flow(m, 1, 0, 0, 1, 1514, 0);
	measure(m, 20 * MS, 500 * MS, r);
	assert_near(r[3], 600, 1);
	assert_near(r[1], 300, 1);
	sim_free(m);
}

/*
 * Flows that sleep while they have nothing (the receive path's use) get
 * the same shares as flows polled every round, and a sleeping flow is
 * never offered: the worked example with paced sources that run dry,
 * 4000 sleeping configured flows next to it costing nothing.
 */
static void
test_sleep_and_wake(void **state)
{
	(void)state;
	struct sim *m = sim_new(4003, 1000 * MBIT);
	double *r = calloc(4003, sizeof(*r));
	m->sleepy = true;
	flow(m, 0, 600 * MBIT, 0, 1, 1514, 2000 * MBIT);
	flow(m, 1, 0, 0, 1, 1514, 2000 * MBIT);
	flow(m, 2, 0, 150 * MBIT, 2, 1514, 2000 * MBIT);
	for (uint32_t i = 3; i < 4003; i++) {
		flow(m, i, i % 2 ? 1 * MBIT : 0, 0, 1, 64, 1);   /* 1 bit/s: idle */
		fn_sched_sleep(&m->s, i);
	}
	assert_int_equal(m->s.n_members, 3);
	measure(m, 100 * MS, 1000 * MS, r);
	assert_near(r[0], 725, 2);
	assert_near(r[1], 125, 2);
	assert_near(r[2], 150, 2);
	/* vm2 pauses: it sleeps, and its share goes to the others at once */
	m->src[1].on = false;
	m->src[1].backlog = 0;
	fn_sched_sleep(&m->s, 1);
	fn_sched_sleep(&m->s, 1);               /* twice is harmless */
	measure(m, 10 * MS, 500 * MS, r);
	assert_near(r[0], 850, 2);
	assert_true(r[1] == 0);
	assert_near(r[2], 150, 2);
	/* and gets it back when it wakes */
	m->src[1].on = true;
	measure(m, 10 * MS, 500 * MS, r);
	assert_near(r[1], 125, 2);
	/* a sleeping flow can be reconfigured and deleted */
	flow(m, 5, 0, 0, 3, 64, 1);
	fn_sched_sleep(&m->s, 5);
	fn_sched_flow_del(&m->s, 5);
	fn_sched_flow_del(&m->s, 0);
	assert_int_equal(m->s.n_members, 2);
	free(r);
	sim_free(m);
}

/* Extreme weights keep their ratio (quanta are scaled, fast-forwarded). */
static void
test_extreme_weights(void **state)
{
	(void)state;
	struct sim *m = sim_new(2, 10000 * MBIT);
	double r[2];
	flow(m, 0, 0, 0, FN_SCHED_WEIGHT_MAX, 1514, 0);
	flow(m, 1, 0, 0, 1, 1514, 0);
	measure(m, 50 * MS, 2000 * MS, r);
	assert_near(r[1], 10000.0 / 10001, 3);
	assert_near(r[0], 10000.0 * 10000 / 10001, 0.1);
	sim_free(m);
}

/* Bad settings are refused and change nothing. */
static void
test_bad_settings(void **state)
{
	(void)state;
	struct fn_sched s;
	assert_int_equal(fn_sched_init(&s, 4, HZ), 0);
	struct fn_sched_conf ok = { .weight = 1 }, c;
	assert_int_equal(fn_sched_flow_set(&s, 0, &ok, 0), 0);
	c = (struct fn_sched_conf){ .weight = 0 };
	assert_int_equal(fn_sched_flow_set(&s, 1, &c, 0), -EINVAL);
	c.weight = FN_SCHED_WEIGHT_MAX + 1;
	assert_int_equal(fn_sched_flow_set(&s, 1, &c, 0), -EINVAL);
	c = (struct fn_sched_conf){ .min = 200, .ceil = 100, .weight = 1 };
	assert_int_equal(fn_sched_conf_check(&s, &c), -EINVAL);
	assert_int_equal(fn_sched_flow_set(&s, 0, &c, 0), -EINVAL);
	assert_int_equal(s.flows[0].conf.ceil, 0);          /* unchanged */
	assert_int_equal(fn_sched_flow_set(&s, 4, &ok, 0), -EINVAL);
	assert_false(s.flows[1].member);
	assert_int_equal(s.n_members, 1);
	fn_sched_free(&s);
}

/*
 * Reference model: water-filling of the semantics in fn_sched.h, for
 * flows that always have traffic. Each gets its min; the rest is split by
 * weight among flows below their ceiling, again and again as ceilings bind.
 */
static void
reference(uint32_t n, double cap, const double *min, const double *ceil,
	  const uint32_t *w, double *out)
{
	bool capped[16] = { false };
	double left = cap;
	for (uint32_t i = 0; i < n; i++) {
		out[i] = min[i];
		left -= min[i];
		capped[i] = ceil[i] > 0 && out[i] >= ceil[i];
	}
	for (;;) {
		double wsum = 0;
		for (uint32_t i = 0; i < n; i++)
			if (!capped[i])
				wsum += w[i];
		if (wsum == 0 || left <= 1e-9)
			return;
		bool bound = false;
		for (uint32_t i = 0; i < n; i++) {
			if (capped[i] || ceil[i] == 0)
				continue;
			if (out[i] + left * w[i] / wsum > ceil[i]) {
				left -= ceil[i] - out[i];
				out[i] = ceil[i];
				capped[i] = bound = true;
			}
		}
		if (bound)
			continue;
		for (uint32_t i = 0; i < n; i++)
			if (!capped[i])
				out[i] += left * w[i] / wsum;
		return;
	}
}

static uint64_t rng = 88172645463325252ull;
static uint64_t
rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

/* 60 random configurations against the reference: shares within 2 %
 * (or 1 Mbit/s for small ones). */
static void
test_random_against_reference(void **state)
{
	(void)state;
	for (int iter = 0; iter < 60; iter++) {
		uint32_t n = 2 + (uint32_t)rnd(7);
		double cap = 100 + (double)rnd(9900);
		double min[16], ceil[16], want[16], got[16];
		uint32_t w[16];
		double budget = cap * 0.9;
		struct sim *m = sim_new(n, (uint64_t)cap * MBIT);
		for (uint32_t i = 0; i < n; i++) {
			min[i] = rnd(3) == 0 ? (double)rnd((uint64_t)(budget / n)) : 0;
			ceil[i] = rnd(3) == 0 ? min[i] + 1 + (double)rnd((uint64_t)cap) : 0;
			w[i] = 1 + (uint32_t)rnd(rnd(2) ? 10 : 1000);
			flow(m, i, (uint64_t)min[i] * MBIT, (uint64_t)ceil[i] * MBIT, w[i], 1514, 0);
		}
		reference(n, cap, min, ceil, w, want);
		measure(m, 50 * MS, 500 * MS, got);
		for (uint32_t i = 0; i < n; i++) {
			double tol = want[i] * 0.02 > 1 ? want[i] * 0.02 : 1;
			if (got[i] < want[i] - tol || got[i] > want[i] + tol)
				fail_msg("config %d flow %u (min %.0f ceil %.0f w %u, cap %.0f): "
					 "got %.2f want %.2f", iter, i, min[i], ceil[i], w[i],
					 cap, got[i], want[i]);
		}
		sim_free(m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worked_example),
		cmocka_unit_test(test_guarantee_reclaimed_on_wake),
		cmocka_unit_test(test_weights_and_paced_flow),
		cmocka_unit_test(test_paced_heavy_flow_leaves_the_rest),
		cmocka_unit_test(test_byte_fairness_mixed_sizes),
		cmocka_unit_test(test_ceilings_bind),
		cmocka_unit_test(test_pps_ceiling),
		cmocka_unit_test(test_core_bottleneck_weights),
		cmocka_unit_test(test_core_bottleneck_min_first),
		cmocka_unit_test(test_live_changes),
		cmocka_unit_test(test_4096_flows),
		cmocka_unit_test(test_flows_leave_and_join),
		cmocka_unit_test(test_sleep_and_wake),
		cmocka_unit_test(test_extreme_weights),
		cmocka_unit_test(test_bad_settings),
		cmocka_unit_test(test_random_against_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
