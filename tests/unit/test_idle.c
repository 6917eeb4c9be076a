/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_idle: the worker's sleep policy in simulated time. Busy rounds
 * never sleep; an idle spell shorter than idle_after never sleeps; then
 * the worker blocks when every source can wake it, backs off from
 * sleep_min to sleep_max when not, naps at most sleep_min while frames
 * wait, never sleeps past a deadline; busy mode never sleeps; the CPU an
 * idle worker spends polling falls to a bounded fraction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "fn_idle.h"

#define HZ UINT64_C(1000000000)
#define US UINT64_C(1000)
#define NONE UINT64_MAX

static struct fn_idle_conf
conf(void)
{
	struct fn_idle_conf c;
	fn_idle_conf_default(&c, HZ, 500);
	return c;
}

static void
test_defaults(void **state)
{
	(void)state;
	struct fn_idle_conf c = conf();
	assert_int_equal(c.mode, FN_IDLE_ADAPTIVE);
	assert_int_equal(c.idle_after, 200 * US);
	assert_int_equal(c.sleep_min, 10 * US);
	assert_int_equal(c.sleep_max, 500 * US);
	assert_int_equal(c.block_max, 100000 * US);
	fn_idle_conf_default(&c, HZ, 1);        /* below sleep_min: raised */
	assert_int_equal(c.sleep_max, c.sleep_min);
}

/* Rounds that move frames poll again, however long it lasts; the first
 * empty rounds too, until idle_after has passed. */
static void
test_busy_and_short_gaps_poll(void **state)
{
	(void)state;
	struct fn_idle_conf c = conf();
	struct fn_idle s;
	uint64_t cyc, t = 1000;
	fn_idle_init(&s, &c);
	for (int i = 0; i < 100000; i++, t += US)
		assert_int_equal(fn_idle_round(&s, &c, t, 32, false, true, NONE, &cyc),
				 FN_IDLE_POLL);
	/* a 199 us gap, then work: never a sleep */
	for (uint64_t g = 0; g < 199; g++, t += US)
		assert_int_equal(fn_idle_round(&s, &c, t, 0, false, true, NONE, &cyc),
				 FN_IDLE_POLL);
	assert_int_equal(fn_idle_round(&s, &c, t, 1, false, true, NONE, &cyc), FN_IDLE_POLL);
	/* the gap starts again from the next empty round */
	uint64_t start = t += US;
	while (fn_idle_round(&s, &c, t, 0, false, true, NONE, &cyc) == FN_IDLE_POLL)
		t += US;
	assert_int_equal(t - start, 200 * US);
	assert_int_equal(s.sleeps, 0);
	assert_int_equal(s.blocks, 1);
}

/* All sources wakeable: block, up to block_max or the deadline. */
static void
test_blocks_until_deadline(void **state)
{
	(void)state;
	struct fn_idle_conf c = conf();
	struct fn_idle s;
	uint64_t cyc, t = 5000;
	fn_idle_init(&s, &c);
	fn_idle_round(&s, &c, t, 0, false, true, NONE, &cyc);
	t += 300 * US;
	assert_int_equal(fn_idle_round(&s, &c, t, 0, false, true, NONE, &cyc), FN_IDLE_BLOCK);
	assert_int_equal(cyc, c.block_max);
	assert_int_equal(fn_idle_round(&s, &c, t, 0, false, true, t + 70 * US, &cyc),
			 FN_IDLE_BLOCK);
	assert_int_equal(cyc, 70 * US);
	/* a deadline already passed: poll */
	assert_int_equal(fn_idle_round(&s, &c, t, 0, false, true, t - 1, &cyc), FN_IDLE_POLL);
	assert_int_equal(cyc, 0);
}

/* No interrupts: timed sleeps double from sleep_min to sleep_max, and
 * start over after a busy round. */
static void
test_backoff_without_interrupts(void **state)
{
	(void)state;
	struct fn_idle_conf c = conf();
	struct fn_idle s;
	uint64_t cyc, t = 1;
	const uint64_t want[] = { 10, 20, 40, 80, 160, 320, 500, 500, 500 };
	fn_idle_init(&s, &c);
	for (int round = 0; round < 2; round++) {
		fn_idle_round(&s, &c, t, 0, false, false, NONE, &cyc);
		t += 200 * US;
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			assert_int_equal(fn_idle_round(&s, &c, t, 0, false, false, NONE, &cyc),
					 FN_IDLE_SLEEP);
			assert_int_equal(cyc, want[i] * US);
			t += cyc;
		}
		assert_int_equal(fn_idle_round(&s, &c, t, 5, false, false, NONE, &cyc),
				 FN_IDLE_POLL);
		t += US;
	}
	/* a sleep never runs past a deadline */
	fn_idle_round(&s, &c, t, 0, false, false, NONE, &cyc);
	t += 200 * US;
	assert_int_equal(fn_idle_round(&s, &c, t, 0, false, false, t + 3 * US, &cyc),
			 FN_IDLE_SLEEP);
	assert_int_equal(cyc, 3 * US);
}

/* Frames waiting on time (shaping): naps of sleep_min at most, even with
 * interrupts (no interrupt would come for tokens). */
static void
test_waiting_frames_nap(void **state)
{
	(void)state;
	struct fn_idle_conf c = conf();
	struct fn_idle s;
	uint64_t cyc, t = 1;
	fn_idle_init(&s, &c);
	fn_idle_round(&s, &c, t, 0, true, true, NONE, &cyc);
	t += 200 * US;
	for (int i = 0; i < 10; i++) {
		assert_int_equal(fn_idle_round(&s, &c, t, 0, true, true, NONE, &cyc),
				 FN_IDLE_SLEEP);
		assert_int_equal(cyc, c.sleep_min);
		t += cyc;
	}
	assert_int_equal(s.blocks, 0);
}

static void
test_busy_mode_never_sleeps(void **state)
{
	(void)state;
	struct fn_idle_conf c = conf();
	struct fn_idle s;
	uint64_t cyc;
	c.mode = FN_IDLE_BUSY;
	fn_idle_init(&s, &c);
	for (uint64_t t = 1; t < 10000 * US; t += US)
		assert_int_equal(fn_idle_round(&s, &c, t, 0, false, true, NONE, &cyc),
				 FN_IDLE_POLL);
}

/* An idle worker without interrupts, 1 us per empty round: over 10 s it
 * polls for a bounded fraction of the time (idle_after once, then one
 * round per sleep of sleep_max): under 1 %. */
static void
test_idle_cpu_fraction(void **state)
{
	(void)state;
	struct fn_idle_conf c = conf();
	struct fn_idle s;
	uint64_t cyc, t = 1, polled = 0;
	fn_idle_init(&s, &c);
	while (t < 10 * HZ) {
		enum fn_idle_action a = fn_idle_round(&s, &c, t, 0, false, false, NONE, &cyc);
		t += US;
		polled += US;
		if (a != FN_IDLE_POLL)
			t += cyc;
	}
	assert_true(polled < 10 * HZ / 100);
	assert_true(polled > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_busy_and_short_gaps_poll),
		cmocka_unit_test(test_blocks_until_deadline),
		cmocka_unit_test(test_backoff_without_interrupts),
		cmocka_unit_test(test_waiting_frames_nap),
		cmocka_unit_test(test_busy_mode_never_sleeps),
		cmocka_unit_test(test_idle_cpu_fraction),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
