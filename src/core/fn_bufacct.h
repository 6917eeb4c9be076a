/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FN_BUFACCT_H
#define FN_BUFACCT_H
/*
 * fn_bufacct: who may hold packet buffers of the shared pool while frames
 * wait in the vNICs' receive queues (seed 002: memory partitioned per VM).
 *
 * The pool's buffers are split, by accounting only, into:
 *  - a system reserve: what the ports' receive rings and a round's bursts
 *    need to keep running (never lent to a queue);
 *  - per-queue reserves: each queue may always hold this many frames;
 *  - the shared rest, lent under a dynamic threshold (Choudhury & Hahne):
 *    a queue may take one more shared buffer only while what it holds above
 *    its reserve is below alpha x the shared buffers still free. One
 *    congested queue thus settles at half of the shared part, k of them at
 *    1/(k+1) each, and a free remainder is always left for the others.
 * A flood into one vNIC with a huge rx-queue therefore cannot take a
 * buffer another vNIC needs: that vNIC's reserve is never lent, and the
 * shared part is never exhausted by one queue.
 *
 * Each queue also has its own limit in bytes (its rx-queue). Counting is in
 * buffers (one frame, one buffer) and bytes. Pure, single-threaded (the
 * data plane); the control plane changes reserves between rounds.
 */
#include <stdbool.h>
#include <stdint.h>

enum fn_buf_verdict {
	FN_BUF_OK,
	FN_BUF_QUEUE_LIMIT,   /**< the queue's own byte limit */
	FN_BUF_POOL,          /**< its fair part of the shared pool is used */
};

struct fn_bufacct {
	uint32_t total;          /**< buffers in the pool */
	uint32_t system;         /**< system reserve */
	uint32_t reserved;       /**< sum of the queues' reserves */
	uint32_t shared_used;    /**< shared buffers held by queues */
	uint32_t alpha_shift;    /**< alpha = 2^-alpha_shift (0: alpha 1) */
};

struct fn_bufq {
	uint32_t held;           /**< buffers (frames) held */
	uint32_t reserve;        /**< frames it may always hold */
	uint64_t bytes;          /**< bytes held */
	uint64_t byte_limit;     /**< its rx-queue, bytes */
};

/** @return 0, or -EINVAL when the system reserve exceeds the pool. */
int fn_buf_init(struct fn_bufacct *a, uint32_t total, uint32_t system);

/** Shared buffers not lent out. */
static inline uint32_t
fn_buf_shared_free(const struct fn_bufacct *a)
{
	/* a raised reserve may briefly overlap what a queue already holds */
	uint64_t used = (uint64_t)a->system + a->reserved + a->shared_used;
	return used >= a->total ? 0 : (uint32_t)(a->total - used);
}

/**
 * Give queue q a reserve of `frames` (at start or live; q may hold more).
 * @return 0, or -ENOSPC when the reserves would leave no shared part
 *         (at most half the pool outside the system reserve is reservable).
 */
int fn_buf_set_reserve(struct fn_bufacct *a, struct fn_bufq *q, uint32_t frames);

/** Forget a queue (it must hold nothing). */
void fn_buf_remove(struct fn_bufacct *a, struct fn_bufq *q);

/** May q take one more frame of `len` bytes? Accounts it when FN_BUF_OK. */
static inline enum fn_buf_verdict
fn_buf_admit(struct fn_bufacct *a, struct fn_bufq *q, uint32_t len)
{
	if (q->bytes + len > q->byte_limit)
		return FN_BUF_QUEUE_LIMIT;
	if (q->held >= q->reserve) {
		uint32_t free_ = fn_buf_shared_free(a);
		if (free_ == 0 || q->held - q->reserve >= (free_ >> a->alpha_shift))
			return FN_BUF_POOL;
		a->shared_used++;
	}
	q->held++;
	q->bytes += len;
	return FN_BUF_OK;
}

/** q gave back a frame of `len` bytes (delivered or dropped). */
static inline void
fn_buf_release(struct fn_bufacct *a, struct fn_bufq *q, uint32_t len)
{
	if (q->held > q->reserve)
		a->shared_used--;
	q->held--;
	q->bytes -= len;
}

/** n frames, `bytes` in all, leave q: the same as n fn_buf_release(). */
static inline void
fn_buf_release_n(struct fn_bufacct *a, struct fn_bufq *q, uint32_t n, uint64_t bytes)
{
	uint32_t above = q->held > q->reserve ? q->held - q->reserve : 0;
	a->shared_used -= n < above ? n : above;
	q->held -= n;
	q->bytes -= bytes;
}

#endif /* FN_BUFACCT_H */
