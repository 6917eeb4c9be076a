/* SPDX-License-Identifier: BSD-3-Clause */
/* fn_idle: the worker's sleep policy (see fn_idle.h). */
#include "fn_idle.h"

void
fn_idle_conf_default(struct fn_idle_conf *c, uint64_t hz, uint64_t sleep_max_us)
{
	c->mode = FN_IDLE_ADAPTIVE;
	c->idle_after = hz / 5000;                      /* 200 us */
	c->sleep_min = hz / 100000;                     /* 10 us */
	c->sleep_max = hz / 1000000 * sleep_max_us;
	if (c->sleep_max < c->sleep_min)
		c->sleep_max = c->sleep_min;
	c->block_max = hz / 10;                         /* 100 ms */
}

void
fn_idle_init(struct fn_idle *s, const struct fn_idle_conf *c)
{
	s->idle = false;
	s->idle_since = 0;
	s->next_sleep = c->sleep_min;
	s->sleeps = s->blocks = 0;
}

static uint64_t
until(uint64_t now, uint64_t deadline, uint64_t most)
{
	if (deadline == UINT64_MAX)
		return most;
	uint64_t left = deadline > now ? deadline - now : 0;
	return left < most ? left : most;
}

enum fn_idle_action
fn_idle_round(struct fn_idle *s, const struct fn_idle_conf *c, uint64_t now,
	      uint32_t work, bool waiting, bool wakeable, uint64_t deadline,
	      uint64_t *cycles)
{
	*cycles = 0;
	if (work > 0 || c->mode == FN_IDLE_BUSY) {
		s->idle = false;
		s->next_sleep = c->sleep_min;
		return FN_IDLE_POLL;
	}
	if (!s->idle) {
		s->idle = true;
		s->idle_since = now;
	}
	if (now - s->idle_since < c->idle_after)
		return FN_IDLE_POLL;
	if (waiting) {
		/* frames wait for tokens or a port: short naps only */
		*cycles = until(now, deadline, c->sleep_min);
	} else if (wakeable) {
		*cycles = until(now, deadline, c->block_max);
		if (*cycles > 0) {
			s->blocks++;
			return FN_IDLE_BLOCK;
		}
	} else {
		*cycles = until(now, deadline, s->next_sleep);
		s->next_sleep = s->next_sleep * 2 < c->sleep_max ? s->next_sleep * 2
								 : c->sleep_max;
	}
	if (*cycles == 0)
		return FN_IDLE_POLL;    /* something is due now */
	s->sleeps++;
	return FN_IDLE_SLEEP;
}
