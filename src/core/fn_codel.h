/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FN_CODEL_H
#define FN_CODEL_H
/*
 * fn_codel: the CoDel drop decision (RFC 8289) for one vNIC receive queue.
 *
 * RFC 8289 and Linux's codel.h write CoDel as a dequeue loop that drops
 * and dequeues again. Here it is cut into one decision per head frame, so
 * the data plane can ask before it copies a frame into a guest:
 *
 *     while (queue not empty) {
 *         if (fn_codel_drop(&c, &p, now, sojourn(head), bytes_after(head)))
 *             drop head, count it;
 *         else
 *             deliver head;
 *     }
 *     on finding the queue empty (also right after a drop):
 *         fn_codel_empty(&c);
 *
 * The sequence of decisions is exactly that of Linux's codel_dequeue()
 * (the unit test checks it against a transcription of that loop), except
 * that the drop spacing interval/sqrt(count) is computed exactly rather
 * than by Newton steps.
 *
 * Time is an argument, in cycles of any clock; parameters are in the same
 * cycles. Pure: no allocation, no global state.
 */
#include <stdbool.h>
#include <stdint.h>

struct fn_codel_params {
	uint64_t target;     /**< acceptable standing delay (5 ms) */
	uint64_t interval;   /**< sliding minimum window (100 ms) */
	uint32_t mtu;        /**< never drop with at most this many bytes left */
};

struct fn_codel {
	uint64_t first_above_time;  /**< 0, or when the delay may first count */
	uint64_t drop_next;         /**< when to drop next while dropping */
	uint32_t count;             /**< drops in this dropping state */
	uint32_t lastcount;
	bool dropping;
	uint8_t after_drop;         /**< 0, or the head follows a drop (1: the
				       first of a dropping state, 2: later) */
	uint64_t drops;             /**< total, for tests and stats */
};

/** fq_codel's defaults for a clock of `hz` cycles per second. */
void fn_codel_params_default(struct fn_codel_params *p, uint64_t hz);

/**
 * Decide for the head frame. `sojourn`: how long it waited; `backlog`:
 * bytes still queued once it is removed. @return true: drop it.
 */
bool fn_codel_drop(struct fn_codel *c, const struct fn_codel_params *p,
		   uint64_t now, uint64_t sojourn, uint32_t backlog);

/** The queue was found empty: at the start of a dequeue, or right after
 *  a drop (no next head). */
void fn_codel_empty(struct fn_codel *c);

#endif /* FN_CODEL_H */
