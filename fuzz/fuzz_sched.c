/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for fn_sched (build and run: fuzz/run_sched.sh).
 *
 * The input describes a link (capacity, or unlimited with the core as the
 * bottleneck: a fixed number of frames per 10 us tick) and 2..8 flows
 * (min, ceiling, pps ceiling, weight, frame size, offered load: infinite
 * or paced), then up to 8 events at chosen times (a flow stops or starts
 * sending, its settings change, it is removed or added back). The
 * scheduler is driven as the data plane drives it, in simulated time.
 *
 * Checked all along: every budget is 1..32 frames; nobody is offered
 * service while it is not a member; no flow gets more than its ceilings
 * allow since it was (re)configured (rate x time + depth + one burst); the
 * link never carries more than its capacity allows.
 * Checked over a window after the last event: each flow's rate against a
 * water-filling reference of the semantics (min first, the rest by weight
 * under ceilings and demands), within 3 % of the flow's due, 0.5 % of the
 * link, or two frames per window, whichever is largest. A failed check
 * prints what and aborts.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_sched.h"

#define CHECK(c, ...)                                                         \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "fuzz_sched: check failed: %s: ", #c); \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                  \
			abort();                                              \
		}                                                             \
	} while (0)

#define HZ      UINT64_C(1000000000)
#define TICK    UINT64_C(10000)          /* 10 us */
#define NMAX    8

struct in {
	const uint8_t *p;
	size_t n;
};

static uint64_t
take(struct in *in, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++) {
		v <<= 8;
		if (in->n) {
			v |= *in->p++;
			in->n--;
		}
	}
	return v;
}

struct src {
	struct fn_sched_conf c;
	bool member, on;
	uint32_t size;
	uint64_t pace;          /* bits/s offered, 0 = infinite */
	uint64_t backlog, credit;
	uint64_t since;         /* when its ceilings were last set */
	uint64_t bytes_since, frames_since;
	uint64_t win_bytes;
};

static struct fn_sched s;
static struct src src[NMAX];
static uint32_t nflows, work_per_tick;
static uint64_t cap, now, cap_since, cap_bytes;

static void
set_flow(uint32_t i)
{
	CHECK(fn_sched_flow_set(&s, i, &src[i].c, now) == 0, "flow %u", i);
	src[i].member = true;
	src[i].since = now;
	src[i].bytes_since = src[i].frames_since = 0;
}

static void
tick(void)
{
	for (uint32_t i = 0; i < nflows; i++) {
		struct src *x = &src[i];
		if (!x->on || !x->pace)
			continue;
		x->credit += x->pace * TICK;
		uint64_t frame = (uint64_t)x->size * 8 * HZ;
		x->backlog += x->credit / frame;
		x->credit %= frame;
		if (x->backlog > 100000)
			x->backlog = 100000;
	}
	uint32_t work = 0, before;
	do {
		before = work;
		fn_sched_begin(&s, now);
		uint32_t id, budget;
		while ((id = fn_sched_next(&s, &budget)) != FN_SCHED_NONE) {
			CHECK(id < nflows && src[id].member, "offered flow %u", id);
			CHECK(budget >= 1 && budget <= FN_SCHED_BURST, "budget %u", budget);
			struct src *x = &src[id];
			uint64_t have = !x->on ? 0 : x->pace ? x->backlog : UINT64_MAX;
			uint32_t n = have < budget ? (uint32_t)have : budget;
			if (work_per_tick && work + n > work_per_tick)
				n = work_per_tick - work;
			if (x->pace)
				x->backlog -= n;
			uint64_t b = (uint64_t)n * x->size;
			x->bytes_since += b;
			x->frames_since += n;
			x->win_bytes += b;
			cap_bytes += b;
			fn_sched_done(&s, id, n, b, have < budget);
			work += n;
			if (work_per_tick && work >= work_per_tick)
				break;
		}
	} while (work != before && !(work_per_tick && work >= work_per_tick));
	/* ceilings and capacity: rate x time + a bucket + a burst of slack */
	for (uint32_t i = 0; i < nflows; i++) {
		struct src *x = &src[i];
		double t = (double)(now - x->since) / HZ;
		double slack = 2.0 * FN_SCHED_BURST * x->size;
		if (x->member && x->c.ceil) {
			double depth = fmax((double)x->c.ceil / 8 / 100, FN_SCHED_QUANTUM);
			CHECK(x->bytes_since <= (double)x->c.ceil / 8 * t + depth + slack,
			      "flow %u: %llu bytes in %.6f s over ceiling %llu", i,
			      (unsigned long long)x->bytes_since, t, (unsigned long long)x->c.ceil);
		}
		if (x->member && x->c.ceil_pps) {
			double depth = fmax((double)x->c.ceil_pps / 100, FN_SCHED_BURST);
			CHECK(x->frames_since <= (double)x->c.ceil_pps * t + depth + 2 * FN_SCHED_BURST,
			      "flow %u: %llu frames over pps ceiling", i,
			      (unsigned long long)x->frames_since);
		}
	}
	if (cap) {
		double t = (double)(now - cap_since) / HZ;
		double depth = fmax((double)cap / 8 / 100, FN_SCHED_QUANTUM);
		CHECK(cap_bytes <= (double)cap / 8 * t + depth + 2.0 * FN_SCHED_BURST * 1514,
		      "link: %llu bytes in %.6f s over capacity %llu",
		      (unsigned long long)cap_bytes, t, (unsigned long long)cap);
	}
	now += TICK;
}

/* Water-filling with demands (paced flows want no more than their pace). */
static void
reference(double link, double *out)
{
	double lim[NMAX], left = link;
	bool done[NMAX];
	for (uint32_t i = 0; i < nflows; i++) {
		struct src *x = &src[i];
		done[i] = !x->member || !x->on;
		out[i] = 0;
		if (done[i])
			continue;
		lim[i] = x->c.ceil ? (double)x->c.ceil : INFINITY;
		if (x->c.ceil_pps)
			lim[i] = fmin(lim[i], (double)x->c.ceil_pps * x->size * 8);
		if (x->pace)
			lim[i] = fmin(lim[i], (double)x->pace);
		out[i] = fmin((double)x->c.min, lim[i]);
		left -= out[i];
		done[i] = out[i] >= lim[i];
	}
	while (left > 1e-6) {
		double wsum = 0;
		for (uint32_t i = 0; i < nflows; i++)
			if (!done[i])
				wsum += src[i].c.weight;
		if (wsum == 0)
			return;
		bool bound = false;
		for (uint32_t i = 0; i < nflows; i++) {
			if (!done[i] && out[i] + left * src[i].c.weight / wsum > lim[i]) {
				left -= lim[i] - out[i];
				out[i] = lim[i];
				done[i] = bound = true;
			}
		}
		if (bound)
			continue;
		for (uint32_t i = 0; i < nflows; i++)
			if (!done[i])
				out[i] += left * src[i].c.weight / wsum;
		return;
	}
}

static uint64_t
rate_of(uint8_t code, uint64_t unit)
{
	return code == 0 ? 0 : (uint64_t)code * unit;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	memset(src, 0, sizeof(src));
	now = 1;
	cap_bytes = 0;
	cap_since = now;
	nflows = 2 + (uint32_t)(take(&in, 1) % (NMAX - 1));
	uint8_t capcode = (uint8_t)take(&in, 1);
	/* capacity 10 Mbit/s .. 2.55 Gbit/s, or unlimited with the core as
	 * the bottleneck (8..64 frames per tick) */
	cap = capcode < 32 ? 0 : rate_of(capcode, 10 * 1000000ull);
	work_per_tick = cap ? 0 : 8 + (capcode % 57);
	CHECK(fn_sched_init(&s, NMAX, HZ) == 0, "init");
	CHECK(fn_sched_set_capacity(&s, cap, now) == 0, "capacity");
	uint64_t link = cap ? cap : UINT64_MAX;
	uint64_t minsum = 0;
	for (uint32_t i = 0; i < nflows; i++) {
		struct src *x = &src[i];
		uint64_t unit = cap ? cap / 255 : 50 * 1000000ull;
		x->c.min = rate_of((uint8_t)take(&in, 1) % 64, unit);
		/* admission control: guarantees fit in the capacity */
		if (cap && minsum + x->c.min > cap * 9 / 10)
			x->c.min = 0;
		minsum += x->c.min;
		uint8_t cc = (uint8_t)take(&in, 1);
		x->c.ceil = cc < 128 ? 0 : x->c.min + rate_of(cc - 127, unit);
		uint8_t pc = (uint8_t)take(&in, 1);
		x->c.ceil_pps = pc < 200 ? 0 : (uint64_t)(pc - 199) * 2000;
		x->c.weight = 1 + (uint32_t)(take(&in, 2) % FN_SCHED_WEIGHT_MAX);
		x->size = 60 + (uint32_t)(take(&in, 2) % 1455);
		uint8_t lc = (uint8_t)take(&in, 1);
		x->pace = lc < 128 ? 0 : rate_of(lc - 127, cap ? cap / 100 : 20 * 1000000ull);
		x->on = true;
	}
	if (!cap) {
		/* guarantees must fit what the core surely moves: its frames per
		 * tick at the smallest frame size, half of it */
		uint32_t smallest = 1514;
		for (uint32_t i = 0; i < nflows; i++)
			if (src[i].size < smallest)
				smallest = src[i].size;
		uint64_t surely = (uint64_t)work_per_tick * smallest * 8 * (HZ / TICK) / 2;
		minsum = 0;
		for (uint32_t i = 0; i < nflows; i++) {
			if (minsum + src[i].c.min > surely)
				src[i].c.min = 0;
			minsum += src[i].c.min;
			if (src[i].c.ceil && src[i].c.ceil < src[i].c.min)
				src[i].c.ceil = src[i].c.min;
		}
	}
	for (uint32_t i = 0; i < nflows; i++)
		set_flow(i);
	(void)link;
	/* events, then a settled window */
	uint32_t nev = (uint32_t)(take(&in, 1) % 9);
	for (uint32_t e = 0; e < nev; e++) {
		uint64_t at = now + (take(&in, 1) % 50 + 1) * 1000 * TICK / 100;
		while (now < at)
			tick();
		uint32_t i = (uint32_t)(take(&in, 1) % nflows);
		uint8_t what = (uint8_t)take(&in, 1);
		struct src *x = &src[i];
		switch (what % 4) {
		case 0:
			x->on = !x->on;
			break;
		case 1:
			x->c.weight = 1 + (uint32_t)(take(&in, 2) % FN_SCHED_WEIGHT_MAX);
			if (x->member)
				set_flow(i);
			break;
		case 2:
			if (x->member) {
				fn_sched_flow_del(&s, i);
				x->member = false;
			} else {
				set_flow(i);
			}
			break;
		case 3:
			x->c.ceil = (what & 0x80) ? 0 : x->c.min + rate_of(what, cap ? cap / 255 : 50 * 1000000ull);
			if (x->member)
				set_flow(i);
			break;
		}
	}
	/* settle (the buckets hold 10 ms: let their transients pass), then measure */
	for (int t = 0; t < 20000; t++)
		tick();
	for (uint32_t i = 0; i < nflows; i++)
		src[i].win_bytes = 0;
	uint64_t t0 = now, core_bytes = 0;
	for (int t = 0; t < 20000; t++)
		tick();
	double secs = (double)(now - t0) / HZ;
	double got[NMAX], want[NMAX];
	for (uint32_t i = 0; i < nflows; i++) {
		got[i] = (double)src[i].win_bytes * 8 / secs;
		core_bytes += src[i].win_bytes;
	}
	/* With the core as the bottleneck its capacity is what it moved. */
	double linkrate = cap ? (double)cap : (double)core_bytes * 8 / secs;
	reference(linkrate, want);
	for (uint32_t i = 0; i < nflows; i++) {
		double tol = fmax(want[i] * 0.03, linkrate * 0.005);
		tol = fmax(tol, 2.0 * src[i].size * 8 / secs);
		/* a bucket (10 ms of its rate) may hold credit from before the window */
		tol += fmax(linkrate / 100, FN_SCHED_QUANTUM * 8.0) / secs;
		if (fabs(got[i] - want[i]) > tol)
			for (uint32_t k = 0; k < nflows; k++)
				fprintf(stderr, "  flow %u: min %llu ceil %llu pps %llu w %u size %u "
					"pace %llu on %d member %d: got %.0f want %.0f\n", k,
					(unsigned long long)src[k].c.min,
					(unsigned long long)src[k].c.ceil,
					(unsigned long long)src[k].c.ceil_pps, src[k].c.weight,
					src[k].size, (unsigned long long)src[k].pace, src[k].on,
					src[k].member, got[k], want[k]);
	}
	for (uint32_t i = 0; i < nflows; i++) {
		double tol = fmax(want[i] * 0.03, linkrate * 0.005);
		tol = fmax(tol, 2.0 * src[i].size * 8 / secs);
		/* a bucket (10 ms of its rate) may hold credit from before the window */
		tol += fmax(linkrate / 100, FN_SCHED_QUANTUM * 8.0) / secs;
		CHECK(fabs(got[i] - want[i]) <= tol,
		      "flow %u (min %llu ceil %llu pps %llu w %u size %u pace %llu on %d member %d, "
		      "link %.0f): got %.0f want %.0f", i,
		      (unsigned long long)src[i].c.min, (unsigned long long)src[i].c.ceil,
		      (unsigned long long)src[i].c.ceil_pps, src[i].c.weight, src[i].size,
		      (unsigned long long)src[i].pace, src[i].on, src[i].member,
		      linkrate, got[i], want[i]);
	}
	fn_sched_free(&s);
	return 0;
}
