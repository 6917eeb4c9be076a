/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_coalesce: fn_coalesce's hold decisions and rate estimate, in
 * simulated time (exact; no wall clock). A paced flow into one vNIC is
 * polled every round; frames that arrived since the last round are queued
 * with the round's time, and when fn_coalesce_due says so everything
 * queued is delivered: one notification. Counted: notifications, frames
 * per notification, the longest any frame waited, and every deadline.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "fn_coalesce.h"

#define HZ UINT64_C(1000000000)         /* 1 cycle = 1 ns */
#define US (HZ / 1000000)
#define MS (HZ / 1000)
#define BASE (7 * HZ)                   /* runs start here, not at 0 */

struct run {
	uint64_t frames;        /* delivered after the warm-up */
	uint64_t notifs;        /* notifications after the warm-up */
	uint32_t min_batch, max_batch;  /* frames per notification, after warm-up */
	uint64_t max_wait;      /* longest a frame was queued, whole run */
	uint64_t holds;         /* times due said hold, whole run */
	uint64_t end;           /* time of the last round */
};

/*
 * `pps` frames/s paced from BASE (frame k at BASE + k*hz/pps), polled every
 * `round` cycles for `dur` cycles; statistics from BASE + warm on. Every
 * hold must come with deadline oldest + usecs, in the future.
 */
static void
run_flow(struct fn_coalesce *c, uint64_t hz, const struct fn_coalesce_conf *conf,
	 uint64_t pps, bool irq, uint64_t round, uint64_t dur, uint64_t warm,
	 struct run *r)
{
	uint64_t hold = (uint64_t)((unsigned __int128)conf->usecs * hz / 1000000);
	uint64_t k = 0, oldest = 0;
	uint32_t queued = 0;
	memset(r, 0, sizeof(*r));
	r->min_batch = UINT32_MAX;
	for (uint64_t t = BASE; t < BASE + dur; t += round) {
		uint32_t n = 0;
		while (BASE + (uint64_t)((unsigned __int128)k * hz / pps) <= t) {
			n++;
			k++;
		}
		r->end = t;
		if (n > 0) {
			fn_coalesce_arrived(c, t, n);
			if (queued == 0)
				oldest = t;
			queued += n;
		}
		if (queued == 0)
			continue;
		uint64_t dl = 0;
		if (fn_coalesce_due(c, conf, t, queued, oldest, irq, &dl)) {
			if (t - oldest > r->max_wait)
				r->max_wait = t - oldest;
			if (t >= BASE + warm) {
				r->notifs++;
				r->frames += queued;
				if (queued < r->min_batch)
					r->min_batch = queued;
				if (queued > r->max_batch)
					r->max_batch = queued;
			}
			queued = 0;
		} else {
			assert_int_equal(dl, oldest + hold);
			assert_true(dl > t);
			r->holds++;
		}
	}
}

static void
conf_of(struct fn_coalesce_conf *conf, uint32_t usecs, uint32_t frames, bool adaptive)
{
	conf->usecs = usecs;
	conf->frames = frames;
	conf->adaptive = adaptive;
}

/* Below the threshold nothing waits: every frame is due as it arrives. */
static void
test_5kpps_never_held(void **state)
{
	(void)state;
	struct fn_coalesce c;
	struct fn_coalesce_conf conf;
	struct run r;
	fn_coalesce_conf_default(&conf);
	fn_coalesce_init(&c, HZ, BASE);
	run_flow(&c, HZ, &conf, 5000, true, US, HZ, 0, &r);
	assert_int_equal(r.holds, 0);
	assert_int_equal(r.max_wait, 0);
	assert_int_equal(r.notifs, 5000);
	assert_int_equal(r.frames, 5000);
	assert_int_equal(r.max_batch, 1);
	assert_false(fn_coalesce_holding(&c, &conf));
	assert_in_range(fn_coalesce_rate(&c), 4990, 5010);
}

/*
 * 50 kpps, usecs 500: a hold starts with a frame and ends 500 us later
 * with the frames of 0, 20, ..., 500 us: 26 per notification (usecs *
 * rate + the one that opened it), one per 520 us, and no frame waits
 * longer than usecs.
 */
static void
test_50kpps_held_by_usecs(void **state)
{
	(void)state;
	struct fn_coalesce c;
	struct fn_coalesce_conf conf;
	struct run r;
	fn_coalesce_conf_default(&conf);
	fn_coalesce_init(&c, HZ, BASE);
	run_flow(&c, HZ, &conf, 50000, true, US, 10 * MS + HZ, 10 * MS, &r);
	assert_true(r.holds > 0);
	assert_int_equal(r.max_wait, 500 * US);
	assert_int_equal(r.min_batch, 26);
	assert_int_equal(r.max_batch, 26);
	/* 50000 / 26 = 1923 notifications per second, not 50000 */
	assert_in_range(r.notifs, 1922, 1924);
	assert_true(fn_coalesce_holding(&c, &conf));
	assert_in_range(fn_coalesce_rate(&c), 49950, 50050);
}

/* 1 Mpps, frames 64: delivered every 64 frames (63 us), well before usecs. */
static void
test_1mpps_held_by_frames(void **state)
{
	(void)state;
	struct fn_coalesce c;
	struct fn_coalesce_conf conf;
	struct run r;
	conf_of(&conf, 500, 64, true);     /* frames 64, not the default */
	fn_coalesce_init(&c, HZ, BASE);
	run_flow(&c, HZ, &conf, 1000000, true, US, 10 * MS + HZ, 10 * MS, &r);
	assert_int_equal(r.min_batch, 64);
	assert_int_equal(r.max_batch, 64);
	assert_in_range(r.notifs, 15624, 15626);        /* 1e6 / 64 */
	assert_int_equal(r.max_wait, 63 * US);
	assert_in_range(fn_coalesce_rate(&c), 999000, 1001000);

	/* frames 0 is no frame limit: only usecs ends a hold (501 frames) */
	conf_of(&conf, 500, 0, true);
	fn_coalesce_init(&c, HZ, BASE);
	run_flow(&c, HZ, &conf, 1000000, true, US, 10 * MS + HZ, 10 * MS, &r);
	assert_int_equal(r.min_batch, 501);
	assert_int_equal(r.max_batch, 501);
	assert_int_equal(r.max_wait, 500 * US);

	/* a clock that is not a round number, polled every 2399 cycles: the
	 * hold is floor(usecs * hz / 1e6) = 1199999 cycles, and a frame waits
	 * until the first round at or after it */
	uint64_t hz = UINT64_C(2399999999);
	fn_coalesce_init(&c, hz, BASE);
	run_flow(&c, hz, &conf, 50000, true, hz / 1000000, 10 * MS + HZ, 10 * MS, &r);
	assert_true(r.holds > 0);
	assert_in_range(r.max_wait, 1199999, 1199999 + hz / 1000000 - 1);
	assert_in_range(r.max_batch, 25, 26);
	assert_in_range(fn_coalesce_rate(&c), 49950, 50050);
}

/* A guest that polls (interrupts off) never waits, whatever the rate. */
static void
test_guest_irq_off_never_held(void **state)
{
	(void)state;
	struct fn_coalesce c;
	struct fn_coalesce_conf conf;
	struct run r;
	fn_coalesce_conf_default(&conf);
	fn_coalesce_init(&c, HZ, BASE);
	run_flow(&c, HZ, &conf, 1000000, false, US, 100 * MS, 0, &r);
	assert_int_equal(r.holds, 0);
	assert_int_equal(r.max_wait, 0);
	assert_int_equal(r.max_batch, 1);
	assert_int_equal(r.notifs, 100000);
	/* the rate is high all the same: interrupts decide, not the rate */
	assert_true(fn_coalesce_holding(&c, &conf));

	conf_of(&conf, 500, 64, false);                 /* nor non-adaptive */
	fn_coalesce_init(&c, HZ, BASE);
	run_flow(&c, HZ, &conf, 5000, false, US, 100 * MS, 0, &r);
	assert_int_equal(r.holds, 0);
	assert_int_equal(r.max_batch, 1);
}

/* usecs 0 disables holding, adaptive or not. */
static void
test_usecs_zero_disables(void **state)
{
	(void)state;
	struct fn_coalesce c;
	struct fn_coalesce_conf conf;
	struct run r;
	for (int adaptive = 0; adaptive <= 1; adaptive++) {
		conf_of(&conf, 0, 64, adaptive);
		fn_coalesce_init(&c, HZ, BASE);
		run_flow(&c, HZ, &conf, 1000000, true, US, 100 * MS, 0, &r);
		assert_int_equal(r.holds, 0);
		assert_int_equal(r.max_batch, 1);
		assert_false(fn_coalesce_holding(&c, &conf));
	}
}

/* Non-adaptive holds at any rate: 5 kpps, frames at 0, 200, 400 us leave
 * at 500 us, three per notification. */
static void
test_non_adaptive_holds_low_rate(void **state)
{
	(void)state;
	struct fn_coalesce c;
	struct fn_coalesce_conf conf;
	struct run r;
	conf_of(&conf, 500, 64, false);
	fn_coalesce_init(&c, HZ, BASE);
	assert_true(fn_coalesce_holding(&c, &conf));
	run_flow(&c, HZ, &conf, 5000, true, US, HZ, 0, &r);
	assert_int_equal(r.min_batch, 3);
	assert_int_equal(r.max_batch, 3);
	assert_int_equal(r.max_wait, 500 * US);
	assert_in_range(r.notifs, 1666, 1667);          /* one per 600 us */
	/* while adaptive would not hold this flow */
	assert_false(c.holding);
	conf.adaptive = true;
	assert_false(fn_coalesce_holding(&c, &conf));
}

/* ---- the rate estimate ---- */

/* From *t, window after window of 1 ms: window w gets counts[w] frames,
 * evenly spread; the state is read at the end of each. *t is left at the
 * end of the last. @return how many times holding changed. */
static int
drive_windows(struct fn_coalesce *c, uint64_t *t, const uint32_t *counts, int n)
{
	int flips = 0;
	bool was = c->holding;
	for (int w = 0; w < n; w++, *t += MS) {
		for (uint32_t i = 0; i < counts[w]; i++)
			fn_coalesce_arrived(c, *t + 1 + i * (MS / counts[w]), 1);
		fn_coalesce_arrived(c, *t + MS, 0);     /* the window is over */
		if (c->holding != was)
			flips++;
		was = c->holding;
	}
	return flips;
}

static void
fill(uint32_t *counts, int n, uint32_t v)
{
	for (int w = 0; w < n; w++)
		counts[w] = v;
}

/* Holding starts at >= RATE_ON, stops below RATE_ON/2: a rate near the
 * threshold does not flip it. */
static void
test_hysteresis(void **state)
{
	(void)state;
	static uint32_t counts[1000];
	struct fn_coalesce c;
	uint64_t t;

	/* 8 and 12 kpps, alternating every window: on once, never off */
	for (int w = 0; w < 1000; w++)
		counts[w] = w % 2 ? 12 : 8;
	fn_coalesce_init(&c, HZ, t = BASE);
	assert_int_equal(drive_windows(&c, &t, counts, 1000), 1);
	assert_true(c.holding);
	/* alternating every 3 windows: the same */
	for (int w = 0; w < 1000; w++)
		counts[w] = (w / 3) % 2 ? 12 : 8;
	fn_coalesce_init(&c, HZ, t = BASE);
	assert_int_equal(drive_windows(&c, &t, counts, 1000), 1);
	assert_true(c.holding);

	/* the two thresholds, with steady rates (kpps) for 100 ms each */
	static const struct { uint32_t kpps; bool holding; } steps[] = {
		{ 12, true },   /* >= RATE_ON: starts */
		{ 6, true },    /* above RATE_ON/2: goes on */
		{ 4, false },   /* below RATE_ON/2: stops */
		{ 8, false },   /* below RATE_ON: stays off */
		{ 10, true },   /* RATE_ON itself: starts */
		{ 5, true },    /* RATE_ON/2 itself: goes on */
	};
	fn_coalesce_init(&c, HZ, t = BASE);
	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		fill(counts, 100, steps[s].kpps);
		assert_true(drive_windows(&c, &t, counts, 100) <= 1);
		assert_int_equal(c.holding, steps[s].holding);
	}
}

/* The estimate follows a step within a few windows, both ways. */
static void
test_rate_follows(void **state)
{
	(void)state;
	static uint32_t counts[100];
	struct fn_coalesce c;
	uint64_t t;
	/* 0 -> 50 kpps: holding after the first window */
	fill(counts, 1, 50);
	fn_coalesce_init(&c, HZ, t = BASE);
	drive_windows(&c, &t, counts, 1);
	assert_true(c.holding);
	assert_in_range(fn_coalesce_rate(&c), 24000, 26000);
	/* 50 kpps -> 1 Mpps: above 900 kpps within 4 windows */
	fill(counts, 20, 50);
	drive_windows(&c, &t, counts, 20);
	assert_in_range(fn_coalesce_rate(&c), 49900, 50100);
	fill(counts, 4, 1000);
	drive_windows(&c, &t, counts, 4);
	assert_in_range(fn_coalesce_rate(&c), 900000, 1000000);
	/* 1 Mpps -> 20 kpps: within 5 % after 10 windows */
	fill(counts, 10, 20);
	drive_windows(&c, &t, counts, 10);
	assert_in_range(fn_coalesce_rate(&c), 19000, 21000);
	assert_true(c.holding);
	/* time going backwards is ignored, not taken for a huge elapsed time */
	uint64_t r = fn_coalesce_rate(&c);
	fn_coalesce_arrived(&c, t - 5 * MS, 0);
	fn_coalesce_arrived(&c, t + MS / 2, 0);
	assert_int_equal(fn_coalesce_rate(&c), r);
}

/*
 * A 1 Mpps burst, then silence, then one frame. After 10 ms of silence it
 * is due at once, whether or not anything was reported during the silence
 * (the estimate accounts for the windows that passed); after only 2 ms
 * the vNIC is still holding.
 */
static void
test_silence_then_first_frame_at_once(void **state)
{
	(void)state;
	struct fn_coalesce_conf conf;
	fn_coalesce_conf_default(&conf);
	static const struct { uint64_t silence; bool polled; bool due; } cases[] = {
		{ 10 * MS, false, true },
		{ 10 * MS, true, true },
		{ 2 * MS, false, false },
		{ 2 * MS, true, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fn_coalesce c;
		struct run r;
		fn_coalesce_init(&c, HZ, BASE);
		run_flow(&c, HZ, &conf, 1000000, true, US, 100 * MS, 0, &r);
		assert_true(fn_coalesce_holding(&c, &conf));
		uint64_t t = r.end;
		if (cases[i].polled)    /* the data plane keeps asking, nothing queued */
			for (uint64_t p = t + US; p < t + cases[i].silence; p += US) {
				uint64_t dl;
				assert_true(fn_coalesce_due(&c, &conf, p, 0, 0, true, &dl));
			}
		t += cases[i].silence;
		uint64_t dl = 0;
		fn_coalesce_arrived(&c, t, 1);
		assert_int_equal(fn_coalesce_due(&c, &conf, t, 1, t, true, &dl), cases[i].due);
		if (!cases[i].due)
			assert_int_equal(dl, t + 500 * US);
		else
			assert_true(fn_coalesce_rate(&c) < FN_COALESCE_RATE_ON / 2);
	}
}

/*
 * With a long hold (50 ms), frames held when a 1 Mpps flow stops are
 * released as soon as the estimate, advanced by _due alone (nothing more
 * arrives), falls below RATE_ON/2: after 8 to 9 silent windows, long
 * before their deadline.
 */
static void
test_held_frames_released_when_rate_falls(void **state)
{
	(void)state;
	struct fn_coalesce c;
	struct fn_coalesce_conf conf;
	struct run r;
	conf_of(&conf, 50000, 0, true);
	fn_coalesce_init(&c, HZ, BASE);
	run_flow(&c, HZ, &conf, 1000000, true, US, 60 * MS, 0, &r);
	/* 1 ms not holding yet, then one hold of 50 ms (1 ms .. 51 ms) */
	assert_int_equal(r.notifs, 1000 + 1);
	assert_int_equal(r.max_batch, 50001);
	/* the frames of 51 ms + 1 us .. 60 ms - 1 us are held */
	uint64_t oldest = BASE + 51 * MS + US, stop = r.end, t, dl = 0;
	uint32_t queued = (uint32_t)((stop - oldest) / US + 1);
	assert_false(fn_coalesce_due(&c, &conf, stop, queued, oldest, true, &dl));
	assert_int_equal(dl, oldest + 50 * MS);
	for (t = stop + US; !fn_coalesce_due(&c, &conf, t, queued, oldest, true, &dl); t += US)
		assert_true(t < dl);
	assert_in_range(t - stop, 8 * MS, 10 * MS);
	assert_true(fn_coalesce_rate(&c) < FN_COALESCE_RATE_ON / 2);
}

/* The deadline is oldest + usecs; due at it, not before; frames ends it. */
static void
test_deadline(void **state)
{
	(void)state;
	struct fn_coalesce c;
	struct fn_coalesce_conf conf;
	uint64_t hz = UINT64_C(2400000000), dl;
	conf_of(&conf, 500, 64, true);
	fn_coalesce_init(&c, hz, BASE);
	for (uint64_t t = BASE; t < BASE + hz / 200; t += hz / 1000000)
		fn_coalesce_arrived(&c, t, 1);         /* 1 Mpps for 5 ms */
	assert_true(fn_coalesce_holding(&c, &conf));
	uint64_t oldest = BASE + hz / 200, now = oldest + 1000;
	dl = 0;
	assert_false(fn_coalesce_due(&c, &conf, now, 1, oldest, true, &dl));
	assert_int_equal(dl, oldest + 500 * 2400);
	dl = 0;
	assert_false(fn_coalesce_due(&c, &conf, oldest + 500 * 2400 - 1, 63, oldest, true, &dl));
	assert_int_equal(dl, oldest + 500 * 2400);
	assert_true(fn_coalesce_due(&c, &conf, oldest + 500 * 2400, 1, oldest, true, &dl));
	assert_true(fn_coalesce_due(&c, &conf, now, 64, oldest, true, &dl));
	assert_true(fn_coalesce_due(&c, &conf, now, 0, oldest, true, &dl));
	/* usecs changed live: the new hold applies at once */
	conf.usecs = 100;
	assert_false(fn_coalesce_due(&c, &conf, now, 1, oldest, true, &dl));
	assert_int_equal(dl, oldest + 100 * 2400);
	assert_true(fn_coalesce_due(&c, &conf, oldest + 100 * 2400, 1, oldest, true, &dl));
	/* rounded down, so no frame waits longer than usecs */
	fn_coalesce_init(&c, UINT64_C(1000000007), BASE);
	conf_of(&conf, 3, 0, false);
	assert_false(fn_coalesce_due(&c, &conf, BASE, 1, BASE, true, &dl));
	assert_int_equal(dl, BASE + 3000);
}

static void
test_conf(void **state)
{
	(void)state;
	struct fn_coalesce_conf conf;
	fn_coalesce_conf_default(&conf);
	assert_int_equal(conf.usecs, 500);
	assert_int_equal(conf.frames, 32);
	assert_true(conf.adaptive);
	assert_int_equal(fn_coalesce_conf_check(&conf), 0);
	conf_of(&conf, 0, 0, false);
	assert_int_equal(fn_coalesce_conf_check(&conf), 0);
	conf_of(&conf, 100000, 65535, true);
	assert_int_equal(fn_coalesce_conf_check(&conf), 0);
	conf_of(&conf, 100001, 64, true);
	assert_int_equal(fn_coalesce_conf_check(&conf), -EINVAL);
	conf_of(&conf, 500, 65536, true);
	assert_int_equal(fn_coalesce_conf_check(&conf), -EINVAL);
	conf_of(&conf, UINT32_MAX, UINT32_MAX, true);
	assert_int_equal(fn_coalesce_conf_check(&conf), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_5kpps_never_held),
		cmocka_unit_test(test_50kpps_held_by_usecs),
		cmocka_unit_test(test_1mpps_held_by_frames),
		cmocka_unit_test(test_guest_irq_off_never_held),
		cmocka_unit_test(test_usecs_zero_disables),
		cmocka_unit_test(test_non_adaptive_holds_low_rate),
		cmocka_unit_test(test_hysteresis),
		cmocka_unit_test(test_rate_follows),
		cmocka_unit_test(test_silence_then_first_frame_at_once),
		cmocka_unit_test(test_held_frames_released_when_rate_falls),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_conf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
