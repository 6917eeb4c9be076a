/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_codel: fn_codel's per-frame decisions against a transcription of
 * Linux's codel_dequeue() loop (include/net/codel_impl.h, without ECN;
 * exact square roots instead of Newton steps), frame by frame, on several
 * arrival patterns; and CoDel's control law itself: no drop below target
 * or within the first interval, then drops spaced interval/sqrt(count).
 * Time is simulated in nanoseconds.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "fn_codel.h"

#define HZ UINT64_C(1000000000)
#define MS UINT64_C(1000000)
#define QMAX 100000

/* A FIFO of (arrival time, size). */
struct q {
	uint64_t t[QMAX];
	uint32_t len[QMAX];
	uint32_t head, tail;
	uint64_t bytes;
};

static void
push(struct q *q, uint64_t t, uint32_t len)
{
	q->t[q->tail % QMAX] = t;
	q->len[q->tail % QMAX] = len;
	q->tail++;
	q->bytes += len;
}

static bool
pop(struct q *q, uint64_t *t)
{
	if (q->head == q->tail)
		return false;
	*t = q->t[q->head % QMAX];
	q->bytes -= q->len[q->head % QMAX];
	q->head++;
	return true;
}

/* ---- reference: Linux codel_dequeue(), transcribed ---- */
struct ref {
	uint64_t first_above_time, drop_next;
	uint32_t count, lastcount;
	bool dropping;
	uint64_t drops;
};

static uint64_t
ref_law(uint64_t t, uint64_t interval, uint32_t count)
{
	return t + (uint64_t)((double)interval / sqrt((double)count));
}

static bool
ref_should_drop(struct ref *v, const struct fn_codel_params *p, bool have,
		uint64_t enq, uint64_t backlog, uint64_t now)
{
	if (!have) {
		v->first_above_time = 0;
		return false;
	}
	if (now - enq < p->target || backlog <= p->mtu) {
		v->first_above_time = 0;
		return false;
	}
	if (v->first_above_time == 0) {
		v->first_above_time = now + p->interval;
		return false;
	}
	return now > v->first_above_time;
}

/* One dequeue: @return true and *enq if a frame is delivered. */
static bool
ref_dequeue(struct ref *v, const struct fn_codel_params *p, struct q *q, uint64_t now,
	    uint64_t *enq)
{
	bool have = pop(q, enq);
	if (!have) {
		v->dropping = false;
		return false;
	}
	bool drop = ref_should_drop(v, p, have, *enq, q->bytes, now);
	if (v->dropping) {
		if (!drop) {
			v->dropping = false;
		} else if (now >= v->drop_next) {
			while (v->dropping && now >= v->drop_next) {
				v->count++;
				v->drops++;
				have = pop(q, enq);
				if (!ref_should_drop(v, p, have, *enq, q->bytes, now))
					v->dropping = false;
				else
					v->drop_next = ref_law(v->drop_next, p->interval, v->count);
			}
		}
	} else if (drop) {
		v->drops++;
		have = pop(q, enq);
		ref_should_drop(v, p, have, *enq, q->bytes, now);
		v->dropping = true;
		uint32_t delta = v->count - v->lastcount;
		if (delta > 1 && now - v->drop_next < 16 * p->interval)
			v->count = delta;
		else
			v->count = 1;
		v->lastcount = v->count;
		v->drop_next = ref_law(now, p->interval, v->count);
	}
	return have;
}

/* ---- the same dequeue with fn_codel's per-frame decisions ---- */
static bool
fn_dequeue(struct fn_codel *c, const struct fn_codel_params *p, struct q *q, uint64_t now,
	   uint64_t *enq)
{
	if (q->head == q->tail) {
		fn_codel_empty(c);
		return false;
	}
	for (;;) {
		pop(q, enq);
		if (!fn_codel_drop(c, p, now, now - *enq, (uint32_t)q->bytes))
			return true;
		if (q->head == q->tail) {
			fn_codel_empty(c);
			return false;
		}
	}
}

/*
 * Drive both with the same arrivals and service: arrivals at `in_pps`
 * (switching to `in2_pps` after `switch_at`), service of one frame per
 * 1/out_pps. Every delivered frame must be the same one.
 */
static void
compare(uint64_t in_pps, uint64_t in2_pps, uint64_t switch_at, uint64_t out_pps,
	uint64_t duration, uint64_t *drops_out)
{
	static struct q qa, qb;
	struct ref r = { 0 };
	struct fn_codel c = { 0 };
	struct fn_codel_params p;
	fn_codel_params_default(&p, HZ);
	memset(&qa, 0, sizeof(qa));
	memset(&qb, 0, sizeof(qb));
	uint64_t next_in = 0, next_out = 0;
	for (uint64_t now = 1; now < duration; ) {
		uint64_t pps = now < switch_at ? in_pps : in2_pps;
		if (next_in <= next_out) {
			now = next_in ? next_in : 1;
			if (qa.tail - qa.head < QMAX) {
				push(&qa, now, 1000);
				push(&qb, now, 1000);
			}
			next_in = now + HZ / pps;
		} else {
			now = next_out;
			uint64_t ea = 0, eb = 0;
			bool da = ref_dequeue(&r, &p, &qa, now, &ea);
			bool db = fn_dequeue(&c, &p, &qb, now, &eb);
			assert_int_equal(da, db);
			if (da)
				assert_int_equal(ea, eb);
			assert_int_equal(r.drops, c.drops);
			assert_int_equal(r.dropping, c.dropping);
			next_out = now + HZ / out_pps;
		}
	}
	*drops_out = c.drops;
}

static void
test_matches_linux_overload(void **state)
{
	(void)state;
	uint64_t drops;
	compare(12000, 12000, 0, 10000, 10 * HZ, &drops);      /* 20 % overload */
	assert_true(drops > 0);
}

static void
test_matches_linux_on_off(void **state)
{
	(void)state;
	uint64_t drops;
	/* a flood, then under capacity: the queue drains, dropping stops,
	 * and re-entry within 16 intervals reuses the count */
	compare(20000, 5000, 3 * HZ, 10000, 6 * HZ, &drops);
	assert_true(drops > 0);
	compare(15000, 9000, 1 * HZ, 10000, 3 * HZ, &drops);
	assert_true(drops > 0);
}

static void
test_no_drops_below_capacity(void **state)
{
	(void)state;
	uint64_t drops;
	compare(9000, 9000, 0, 10000, 5 * HZ, &drops);
	assert_int_equal(drops, 0);
}

/* A standing queue above target: first drop one interval after the delay
 * first exceeded target, then drops at interval/sqrt(count). */
static void
test_control_law(void **state)
{
	(void)state;
	struct fn_codel c = { 0 };
	struct fn_codel_params p;
	fn_codel_params_default(&p, HZ);
	uint64_t sojourn = 10 * MS, t0 = 1000 * MS, now;
	uint64_t drop_at[6];
	int n = 0;
	/* one decision per ms, always a 10 ms delay and plenty queued */
	for (now = t0; now < t0 + 600 * MS && n < 6; now += MS)
		if (fn_codel_drop(&c, &p, now, sojourn, 100000))
			drop_at[n++] = now;
	assert_int_equal(n, 6);
	/* first drop: just after t0 + interval */
	assert_true(drop_at[0] > t0 + p.interval && drop_at[0] <= t0 + p.interval + MS);
	for (int i = 1; i < n; i++) {
		/* spacing interval/sqrt(count), count = i drops so far, to
		 * the ms of the decision clock */
		double want = (double)p.interval / sqrt((double)i);
		double got = (double)(drop_at[i] - drop_at[i - 1]);
		assert_true(fabs(got - want) <= (double)MS * 1.01);
	}
	/* below target: no drop, and dropping ends */
	assert_false(fn_codel_drop(&c, &p, now, p.target - 1, 100000));
	assert_false(c.dropping);
	/* little queued (one MTU): never a drop, whatever the delay */
	struct fn_codel d = { 0 };
	for (now = 0; now < 1000 * MS; now += MS)
		assert_false(fn_codel_drop(&d, &p, now, 50 * MS, p.mtu));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_linux_overload),
		cmocka_unit_test(test_matches_linux_on_off),
		cmocka_unit_test(test_no_drops_below_capacity),
		cmocka_unit_test(test_control_law),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
