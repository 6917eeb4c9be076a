/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FN_FIFO_H
#define FN_FIFO_H
/*
 * fn_fifo: a vNIC's receive queue, a FIFO of frame pointers grouped by
 * arrival time.
 *
 * The data plane reads the clock once per polling round, so every frame
 * queued in one round has the same arrival time. The FIFO keeps such
 * frames together in fixed chunks of pointers: queuing a frame is one
 * store, and a run of frames that arrived together leaves as one slice,
 * with one sojourn time (CoDel can decide for the run at once) and without
 * touching the frames themselves. Frames never move between chunks, so
 * order is kept.
 *
 * Chunks come from a pool shared by all queues. A chunk in use holds at
 * least one frame, so a pool with as many chunks as there are frame
 * buffers never runs dry; fn_fifo_push still reports it if it does.
 * One thread uses a pool and its queues. No allocation after init.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FN_FIFO_CHUNK 32        /**< frames per chunk (one burst) */

struct fn_fifo_chunk {
	struct fn_fifo_chunk *next;
	uint64_t arrival;       /**< of every frame in it */
	uint16_t head, tail;    /**< item[head..tail) are queued */
	void *item[FN_FIFO_CHUNK];
};

struct fn_fifo_pool {
	struct fn_fifo_chunk *mem;
	struct fn_fifo_chunk *free;     /**< LIFO: the last chunk freed is warm */
	uint32_t size, n_free;
};

struct fn_fifo {
	struct fn_fifo_chunk *first, *last;
	uint32_t n;             /**< frames queued */
};

/** @return 0, -EINVAL (chunks 0), -ENOMEM. */
int fn_fifo_pool_init(struct fn_fifo_pool *p, uint32_t chunks);
void fn_fifo_pool_fini(struct fn_fifo_pool *p);

static inline void
fn_fifo_init(struct fn_fifo *q)
{
	q->first = q->last = NULL;
	q->n = 0;
}

static inline bool
fn_fifo_empty(const struct fn_fifo *q)
{
	return q->n == 0;
}

/** Arrival time of the head frame (the oldest); the queue is not empty. */
static inline uint64_t
fn_fifo_head_arrival(const struct fn_fifo *q)
{
	return q->first->arrival;
}

/**
 * Queue `item`, arrived at `arrival` (never earlier than the last one
 * queued). @return false when the pool has no chunk left (nothing queued).
 */
static inline bool
fn_fifo_push(struct fn_fifo_pool *p, struct fn_fifo *q, void *item, uint64_t arrival)
{
	struct fn_fifo_chunk *c = q->last;
	if (c == NULL || c->arrival != arrival || c->tail == FN_FIFO_CHUNK) {
		if ((c = p->free) == NULL)
			return false;
		p->free = c->next;
		p->n_free--;
		c->next = NULL;
		c->arrival = arrival;
		c->head = c->tail = 0;
		if (q->last != NULL)
			q->last->next = c;
		else
			q->first = c;
		q->last = c;
	}
	c->item[c->tail++] = item;
	q->n++;
	return true;
}

/**
 * The run at the head: frames that arrived together, in order, as a slice
 * (*items) of the return value's length; *arrival their arrival time.
 * @return 0 when the queue is empty.
 */
static inline uint32_t
fn_fifo_run(const struct fn_fifo *q, void ***items, uint64_t *arrival)
{
	struct fn_fifo_chunk *c = q->first;
	if (c == NULL)
		return 0;
	*items = &c->item[c->head];
	*arrival = c->arrival;
	return (uint32_t)(c->tail - c->head);
}

/** Remove the first n frames of the head run (n <= its length). */
static inline void
fn_fifo_pop(struct fn_fifo_pool *p, struct fn_fifo *q, uint32_t n)
{
	struct fn_fifo_chunk *c = q->first;
	c->head = (uint16_t)(c->head + n);
	q->n -= n;
	if (c->head < c->tail)
		return;
	q->first = c->next;
	if (q->first == NULL)
		q->last = NULL;
	c->next = p->free;
	p->free = c;
	p->n_free++;
}

#endif /* FN_FIFO_H */
