/* SPDX-License-Identifier: BSD-3-Clause */
/* fn_coalesce: adaptive receive-notification coalescing (see fn_coalesce.h). */
#include <errno.h>
#include "fn_coalesce.h"

void
fn_coalesce_conf_default(struct fn_coalesce_conf *c)
{
	c->usecs = 500;
	c->frames = 32;          /* a burst: what one copy into the guest moves */
	c->adaptive = true;
}

int
fn_coalesce_conf_check(const struct fn_coalesce_conf *c)
{
	if (c->usecs > FN_COALESCE_USECS_MAX || c->frames > FN_COALESCE_FRAMES_MAX)
		return -EINVAL;
	return 0;
}

/* frames/s -> frames per window << FP */
static uint64_t
per_window(const struct fn_coalesce *c, uint64_t rate)
{
	return (uint64_t)(((unsigned __int128)rate * c->window << FN_COALESCE_FP) / c->hz);
}

void
fn_coalesce_init(struct fn_coalesce *c, uint64_t hz, uint64_t now)
{
	c->hz = hz ? hz : 1;
	c->window = c->hz / 1000 ? c->hz / 1000 : 1;
	c->win_start = now;
	c->ewma = 0;
	c->on = per_window(c, FN_COALESCE_RATE_ON);
	c->off = per_window(c, FN_COALESCE_RATE_ON / 2);
	c->hold = 0;
	c->hold_usecs = 0;
	c->count = 0;
	c->holding = false;
}

void
fn_coalesce_fold(struct fn_coalesce *c, uint64_t now)
{
	uint64_t k = (now - c->win_start) / c->window;      /* >= 1 */
	/* the window that ended (rounded up: a steady rate converges to its
	 * exact value from below, so RATE_ON itself reaches `on`), then
	 * k - 1 empty ones: halve for each */
	c->ewma = (c->ewma + ((uint64_t)c->count << FN_COALESCE_FP) + 1) >> 1;
	c->ewma = k - 1 >= 64 ? 0 : c->ewma >> (k - 1);
	c->count = 0;
	c->win_start += k * c->window;
	if (c->holding ? c->ewma < c->off : c->ewma >= c->on)
		c->holding = !c->holding;
}

bool
fn_coalesce_due(struct fn_coalesce *c, const struct fn_coalesce_conf *conf,
		uint64_t now, uint32_t queued, uint64_t oldest, bool guest_irq,
		uint64_t *deadline)
{
	fn_coalesce_advance(c, now);
	if (queued == 0 || !guest_irq || conf->usecs == 0)
		return true;
	if (conf->adaptive && !c->holding)
		return true;
	if (conf->frames > 0 && queued >= conf->frames)
		return true;
	if (conf->usecs != c->hold_usecs) {     /* once per configuration change */
		c->hold = (uint64_t)((unsigned __int128)conf->usecs * c->hz / 1000000);
		c->hold_usecs = conf->usecs;
	}
	if (now >= oldest && now - oldest >= c->hold)
		return true;
	*deadline = oldest + c->hold;
	return false;
}

uint64_t
fn_coalesce_rate(const struct fn_coalesce *c)
{
	unsigned __int128 r = (unsigned __int128)c->ewma * c->hz / c->window;
	return (uint64_t)((r + (1u << (FN_COALESCE_FP - 1))) >> FN_COALESCE_FP);
}
