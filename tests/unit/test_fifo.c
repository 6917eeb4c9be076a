/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fifo: the receive queues' FIFO. Order is kept across chunks and
 * queues sharing a pool; frames that arrived together come out as one run
 * with their arrival time; chunks return to the pool; the pool running dry
 * is reported, never overrun; random operations against an array model.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "fn_fifo.h"

#define ITEM(i) ((void *)(uintptr_t)((i) + 1))

/* Frames of one arrival time form one run per chunk, in order. */
static void
test_runs_follow_arrival_and_chunks(void **state)
{
	(void)state;
	struct fn_fifo_pool p;
	struct fn_fifo q;
	assert_int_equal(fn_fifo_pool_init(&p, 8), 0);
	fn_fifo_init(&q);
	/* 40 frames at t=5 (a chunk and 8), then 3 at t=9 */
	for (int i = 0; i < 40; i++)
		assert_true(fn_fifo_push(&p, &q, ITEM(i), 5));
	for (int i = 40; i < 43; i++)
		assert_true(fn_fifo_push(&p, &q, ITEM(i), 9));
	assert_int_equal(q.n, 43);
	assert_int_equal(p.n_free, 8 - 3);
	assert_int_equal(fn_fifo_head_arrival(&q), 5);

	void **it;
	uint64_t at;
	assert_int_equal(fn_fifo_run(&q, &it, &at), FN_FIFO_CHUNK);
	assert_int_equal(at, 5);
	for (int i = 0; i < FN_FIFO_CHUNK; i++)
		assert_ptr_equal(it[i], ITEM(i));
	fn_fifo_pop(&p, &q, 10);                /* part of a run */
	assert_int_equal(fn_fifo_run(&q, &it, &at), FN_FIFO_CHUNK - 10);
	assert_ptr_equal(it[0], ITEM(10));
	fn_fifo_pop(&p, &q, FN_FIFO_CHUNK - 10);
	assert_int_equal(p.n_free, 8 - 2);      /* the chunk went back */
	assert_int_equal(fn_fifo_run(&q, &it, &at), 8);
	assert_int_equal(at, 5);
	assert_ptr_equal(it[0], ITEM(32));
	fn_fifo_pop(&p, &q, 8);
	assert_int_equal(fn_fifo_run(&q, &it, &at), 3);
	assert_int_equal(at, 9);
	assert_ptr_equal(it[2], ITEM(42));
	fn_fifo_pop(&p, &q, 3);
	assert_true(fn_fifo_empty(&q));
	assert_int_equal(fn_fifo_run(&q, &it, &at), 0);
	assert_int_equal(p.n_free, 8);
	/* usable again after it ran empty */
	assert_true(fn_fifo_push(&p, &q, ITEM(7), 11));
	assert_int_equal(fn_fifo_run(&q, &it, &at), 1);
	assert_int_equal(at, 11);
	fn_fifo_pool_fini(&p);
}

/* A dry pool refuses (nothing queued, nothing overwritten); a chunk in
 * use always holds a frame, so as many chunks as frames always suffice. */
static void
test_dry_pool_refuses(void **state)
{
	(void)state;
	struct fn_fifo_pool p;
	struct fn_fifo a, b;
	assert_int_equal(fn_fifo_pool_init(&p, 2), 0);
	fn_fifo_init(&a);
	fn_fifo_init(&b);
	assert_true(fn_fifo_push(&p, &a, ITEM(1), 1));
	assert_true(fn_fifo_push(&p, &b, ITEM(2), 1));
	assert_false(fn_fifo_push(&p, &a, ITEM(3), 2));   /* a new round: a new chunk */
	assert_true(fn_fifo_push(&p, &a, ITEM(4), 1));    /* same round: same chunk */
	assert_int_equal(a.n, 2);
	void **it = NULL;
	uint64_t at;
	assert_int_equal(fn_fifo_run(&a, &it, &at), 2);
	assert_ptr_equal(it[1], ITEM(4));
	fn_fifo_pool_fini(&p);
	assert_int_equal(fn_fifo_pool_init(&p, 0), -EINVAL);
}

/* Random pushes and pops on several queues sharing a pool of as many
 * chunks as frames may be queued: every frame comes out in order, with
 * its arrival time, runs never mix times, and no chunk is lost. */
static void
test_random_against_model(void **state)
{
	(void)state;
	enum { Q = 5, CAP = 3000, STEPS = 200000 };
	struct fn_fifo_pool p;
	struct fn_fifo q[Q];
	static uint64_t model_t[Q][CAP];
	static uintptr_t model_v[Q][CAP];
	uint32_t head[Q] = { 0 }, tail[Q] = { 0 }, queued = 0;
	uint64_t now = 1;
	uintptr_t next = 1;
	srand(7);
	assert_int_equal(fn_fifo_pool_init(&p, CAP), 0);
	for (int i = 0; i < Q; i++)
		fn_fifo_init(&q[i]);
	for (int s = 0; s < STEPS; s++) {
		int k = rand() % Q;
		int op = rand() % 8;
		if (op == 0) {
			now += (uint64_t)(rand() % 3);
		} else if (op < 5) {
			if (queued == CAP || tail[k] - head[k] == CAP)
				continue;
			assert_true(fn_fifo_push(&p, &q[k], (void *)next, now));
			model_t[k][tail[k] % CAP] = now;
			model_v[k][tail[k] % CAP] = next++;
			tail[k]++;
			queued++;
		} else {
			void **it;
			uint64_t at;
			uint32_t run = fn_fifo_run(&q[k], &it, &at);
			assert_int_equal(run == 0, tail[k] == head[k]);
			if (run == 0)
				continue;
			assert_true(run <= tail[k] - head[k]);
			uint32_t take = 1 + (uint32_t)rand() % run;
			for (uint32_t i = 0; i < run; i++) {
				assert_ptr_equal(it[i], (void *)model_v[k][(head[k] + i) % CAP]);
				assert_int_equal(at, model_t[k][(head[k] + i) % CAP]);
			}
			fn_fifo_pop(&p, &q[k], take);
			head[k] += take;
			queued -= take;
		}
		assert_int_equal(q[k].n, tail[k] - head[k]);
	}
	/* drain: every chunk comes back */
	for (int k = 0; k < Q; k++) {
		void **it;
		uint64_t at;
		uint32_t run;
		while ((run = fn_fifo_run(&q[k], &it, &at)) > 0) {
			assert_ptr_equal(it[0], (void *)model_v[k][head[k] % CAP]);
			fn_fifo_pop(&p, &q[k], run);
			head[k] += run;
		}
		assert_int_equal(head[k], tail[k]);
	}
	assert_int_equal(p.n_free, CAP);
	fn_fifo_pool_fini(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_follow_arrival_and_chunks),
		cmocka_unit_test(test_dry_pool_refuses),
		cmocka_unit_test(test_random_against_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
