/* SPDX-License-Identifier: BSD-3-Clause */
/* fn_codel: CoDel, one decision per head frame (see fn_codel.h). */
#include <math.h>
#include "fn_codel.h"

void
fn_codel_params_default(struct fn_codel_params *p, uint64_t hz)
{
	p->target = hz / 200;        /* 5 ms */
	p->interval = hz / 10;       /* 100 ms */
	p->mtu = 1514;
}

static uint64_t
control_law(uint64_t t, uint64_t interval, uint32_t count)
{
	return t + (uint64_t)((double)interval / sqrt((double)count));
}

/* RFC 8289 / Linux codel_should_drop(). */
static bool
should_drop(struct fn_codel *c, const struct fn_codel_params *p, uint64_t now,
	    uint64_t sojourn, uint32_t backlog)
{
	if (sojourn < p->target || backlog <= p->mtu) {
		c->first_above_time = 0;    /* below: stay below an interval */
		return false;
	}
	if (c->first_above_time == 0) {
		c->first_above_time = now + p->interval;
		return false;
	}
	return now > c->first_above_time;
}

bool
fn_codel_drop(struct fn_codel *c, const struct fn_codel_params *p, uint64_t now,
	      uint64_t sojourn, uint32_t backlog)
{
	bool ok = should_drop(c, p, now, sojourn, backlog);
	uint8_t after = c->after_drop;
	c->after_drop = 0;

	if (after == 1)             /* dequeued right after entering: delivered */
		return false;
	if (after == 2) {           /* inside the dropping loop */
		if (!ok) {
			c->dropping = false;
			return false;
		}
		c->drop_next = control_law(c->drop_next, p->interval, c->count);
		if (!(c->dropping && now >= c->drop_next))
			return false;
		c->count++;
		c->after_drop = 2;
		c->drops++;
		return true;
	}
	if (c->dropping) {
		if (!ok) {
			c->dropping = false;
			return false;
		}
		if (now < c->drop_next)
			return false;
		c->count++;
		c->after_drop = 2;
		c->drops++;
		return true;
	}
	if (!ok)
		return false;
	c->dropping = true;
	uint32_t delta = c->count - c->lastcount;
	if (delta > 1 && now - c->drop_next < 16 * p->interval)
		c->count = delta;
	else
		c->count = 1;
	c->lastcount = c->count;
	c->drop_next = control_law(now, p->interval, c->count);
	c->after_drop = 1;
	c->drops++;
	return true;
}

void
fn_codel_empty(struct fn_codel *c)
{
	if (c->after_drop == 0) {
		/* found empty at the start of a dequeue */
		c->dropping = false;
		return;
	}
	/* nothing followed a drop: codel_should_drop(NULL) */
	c->first_above_time = 0;
	if (c->after_drop == 2)
		c->dropping = false;
	c->after_drop = 0;
}
