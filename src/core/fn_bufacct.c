/* SPDX-License-Identifier: BSD-3-Clause */
/* fn_bufacct: control-path half (see fn_bufacct.h). */
#include <errno.h>
#include "fn_bufacct.h"

int
fn_buf_init(struct fn_bufacct *a, uint32_t total, uint32_t system)
{
	if (system > total)
		return -EINVAL;
	*a = (struct fn_bufacct){ .total = total, .system = system };
	return 0;
}

int
fn_buf_set_reserve(struct fn_bufacct *a, struct fn_bufq *q, uint32_t frames)
{
	uint64_t others = a->reserved - q->reserve;
	if (others + frames > (uint64_t)(a->total - a->system) / 2)
		return -ENOSPC;
	/* Buffers q holds move between its reserve and the shared part. */
	uint32_t above_old = q->held > q->reserve ? q->held - q->reserve : 0;
	uint32_t above_new = q->held > frames ? q->held - frames : 0;
	a->shared_used = a->shared_used - above_old + above_new;
	a->reserved = (uint32_t)(others + frames);
	q->reserve = frames;
	return 0;
}

void
fn_buf_remove(struct fn_bufacct *a, struct fn_bufq *q)
{
	a->reserved -= q->reserve;
	q->reserve = 0;
}
