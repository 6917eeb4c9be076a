/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_bufacct: receive-queue buffer accounting. A flood into one queue
 * with an unbounded byte limit settles at the dynamic threshold and never
 * costs another queue a frame; reserves are never lent; counts stay
 * consistent under random admit/release/re-reserve against a recount.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "fn_bufacct.h"

#define BIG UINT64_MAX / 2

static uint32_t
flood(struct fn_bufacct *a, struct fn_bufq *q, uint32_t tries)
{
	uint32_t ok = 0;
	for (uint32_t i = 0; i < tries; i++)
		ok += fn_buf_admit(a, q, 1000) == FN_BUF_OK;
	return ok;
}

/* One flooded queue holds its reserve plus half the shared part. */
static void
test_one_flood_takes_half_the_shared_part(void **state)
{
	(void)state;
	struct fn_bufacct a;
	struct fn_bufq q = { .byte_limit = BIG };
	assert_int_equal(fn_buf_init(&a, 65536, 4096), 0);
	assert_int_equal(fn_buf_set_reserve(&a, &q, 64), 0);
	uint32_t shared = 65536 - 4096 - 64;
	flood(&a, &q, 100000);
	assert_int_equal(q.held, 64 + (shared + 1) / 2);
	assert_int_equal(fn_buf_admit(&a, &q, 1000), FN_BUF_POOL);
}

/* k flooded queues settle at shared/(k+1) each. */
static void
test_k_floods_share(void **state)
{
	(void)state;
	struct fn_bufacct a;
	struct fn_bufq q[3];
	memset(q, 0, sizeof(q));
	assert_int_equal(fn_buf_init(&a, 40000, 0), 0);
	for (int i = 0; i < 3; i++)
		q[i].byte_limit = BIG;
	for (int round = 0; round < 20000; round++)
		for (int i = 0; i < 3; i++)
			fn_buf_admit(&a, &q[i], 100);
	for (int i = 0; i < 3; i++)
		assert_in_range(q[i].held, 40000 / 4 - 2, 40000 / 4 + 2);
	assert_in_range(fn_buf_shared_free(&a), 40000 / 4 - 6, 40000 / 4 + 6);
}

/* alpha 1/2: a lone flood settles at a third of the shared part. */
static void
test_alpha(void **state)
{
	(void)state;
	struct fn_bufacct a;
	struct fn_bufq q = { .byte_limit = BIG };
	assert_int_equal(fn_buf_init(&a, 30000, 0), 0);
	a.alpha_shift = 1;
	flood(&a, &q, 100000);
	assert_in_range(q.held, 9999, 10001);
}

/* The isolation case: while one vNIC with a huge rx-queue is
 * flooded, a paced neighbour (one frame in, one out) is never refused,
 * and a burst of the neighbour's still gets its reserve plus its share. */
static void
test_flood_costs_a_neighbour_nothing(void **state)
{
	(void)state;
	struct fn_bufacct a;
	struct fn_bufq hog = { .byte_limit = BIG }, v = { .byte_limit = 256 * 1024 };
	assert_int_equal(fn_buf_init(&a, 8192, 1024), 0);
	assert_int_equal(fn_buf_set_reserve(&a, &hog, 64), 0);
	assert_int_equal(fn_buf_set_reserve(&a, &v, 64), 0);
	for (int i = 0; i < 100000; i++) {
		fn_buf_admit(&a, &hog, 1514);           /* the flood, never drained */
		assert_int_equal(fn_buf_admit(&a, &v, 1514), FN_BUF_OK);
		fn_buf_release(&a, &v, 1514);           /* the neighbour is served */
	}
	/* a burst of 150 frames to the neighbour: its queue limit (173
	 * frames of 1514 B) allows them, and the pool lends what is needed */
	for (int i = 0; i < 150; i++)
		assert_int_equal(fn_buf_admit(&a, &v, 1514), FN_BUF_OK);
}

static void
test_queue_limit_first(void **state)
{
	(void)state;
	struct fn_bufacct a;
	struct fn_bufq q = { .byte_limit = 3000 };
	assert_int_equal(fn_buf_init(&a, 100, 0), 0);
	assert_int_equal(fn_buf_admit(&a, &q, 1500), FN_BUF_OK);
	assert_int_equal(fn_buf_admit(&a, &q, 1500), FN_BUF_OK);
	assert_int_equal(fn_buf_admit(&a, &q, 1), FN_BUF_QUEUE_LIMIT);
	fn_buf_release(&a, &q, 1500);
	assert_int_equal(fn_buf_admit(&a, &q, 1500), FN_BUF_OK);
	assert_int_equal(q.bytes, 3000);
}

static void
test_reserves_are_bounded(void **state)
{
	(void)state;
	struct fn_bufacct a;
	struct fn_bufq q[3];
	memset(q, 0, sizeof(q));
	assert_int_equal(fn_buf_init(&a, 1000, 200), 0);
	assert_int_equal(fn_buf_init(&a, 10, 11), -EINVAL);
	assert_int_equal(fn_buf_init(&a, 1000, 200), 0);
	assert_int_equal(fn_buf_set_reserve(&a, &q[0], 300), 0);
	assert_int_equal(fn_buf_set_reserve(&a, &q[1], 101), -ENOSPC);
	assert_int_equal(q[1].reserve, 0);                  /* unchanged */
	assert_int_equal(fn_buf_set_reserve(&a, &q[1], 100), 0);
	assert_int_equal(a.reserved, 400);
	fn_buf_remove(&a, &q[0]);
	assert_int_equal(a.reserved, 100);
}

/* Random admits, releases and live reserve changes: the books always
 * match a recount, and nothing is lent beyond the pool. */
static void
test_random_against_recount(void **state)
{
	(void)state;
	struct fn_bufacct a;
	enum { NQ = 8 };
	struct fn_bufq q[NQ];
	uint32_t lens[NQ][4096], n[NQ] = { 0 };
	uint64_t x = 12345;
	memset(q, 0, sizeof(q));
	assert_int_equal(fn_buf_init(&a, 4000, 300), 0);
	for (int i = 0; i < NQ; i++)
		q[i].byte_limit = 1000000 + (uint64_t)i * 300000;
	for (int step = 0; step < 300000; step++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		int i = (int)(x % NQ), op = (int)((x >> 8) % 100);
		uint32_t len = 60 + (uint32_t)((x >> 16) % 1455);
		if (op < 55) {
			if (fn_buf_admit(&a, &q[i], len) == FN_BUF_OK)
				lens[i][n[i]++] = len;
			assert_true(n[i] < 4096);
		} else if (op < 98) {
			if (n[i] > 0)
				fn_buf_release(&a, &q[i], lens[i][--n[i]]);
		} else {
			fn_buf_set_reserve(&a, &q[i], (uint32_t)((x >> 24) % 400));
		}
		uint64_t shared = 0, reserved = 0;
		for (int k = 0; k < NQ; k++) {
			uint64_t bytes = 0;
			for (uint32_t j = 0; j < n[k]; j++)
				bytes += lens[k][j];
			assert_int_equal(q[k].held, n[k]);
			assert_int_equal(q[k].bytes, bytes);
			assert_true(q[k].bytes <= q[k].byte_limit);
			shared += n[k] > q[k].reserve ? n[k] - q[k].reserve : 0;
			reserved += q[k].reserve;
		}
		assert_int_equal(a.shared_used, shared);
		assert_int_equal(a.reserved, reserved);
		uint64_t held = 0;
		for (int k = 0; k < NQ; k++)
			held += n[k];
		assert_true(held <= a.total - a.system);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_flood_takes_half_the_shared_part),
		cmocka_unit_test(test_k_floods_share),
		cmocka_unit_test(test_alpha),
		cmocka_unit_test(test_flood_costs_a_neighbour_nothing),
		cmocka_unit_test(test_queue_limit_first),
		cmocka_unit_test(test_reserves_are_bounded),
		cmocka_unit_test(test_random_against_recount),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
