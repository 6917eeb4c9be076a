/* SPDX-License-Identifier: BSD-3-Clause */
/* fn_tb: control-path half of the token bucket (validation, (re)start). */
#include <errno.h>
#include "fn_tb.h"

/* Keep every intermediate below 2^62 so refill and charge never overflow. */
#define FN_TB_LIMIT (UINT64_C(1) << 62)

int
fn_tb_profile_init(struct fn_tb_profile *p, uint64_t rate, uint64_t burst,
		   uint64_t hz)
{
	if (hz == 0)
		return -EINVAL;
	if (rate == 0) {
		*p = (struct fn_tb_profile){ .unit_cost = hz, .unlimited = true };
		return 0;
	}
	if (burst == 0)
		return -EINVAL;
	/* burst * hz < 2^62  <=>  burst <= (2^62 - 1) / hz */
	if (rate >= FN_TB_LIMIT || burst > (FN_TB_LIMIT - 1) / hz)
		return -ERANGE;
	*p = (struct fn_tb_profile){
		.rate = rate,
		.unit_cost = hz,
		.max_tokens = (int64_t)(burst * hz),
		.unlimited = false,
	};
	return 0;
}

void
fn_tb_init(struct fn_tb *tb, const struct fn_tb_profile *p, uint64_t now)
{
	tb->tokens = p->max_tokens;
	tb->last = now;
}

void
fn_tb_reprofile(struct fn_tb *tb, const struct fn_tb_profile *old,
		const struct fn_tb_profile *p, uint64_t now)
{
	/* Credit is earned at the old rate up to now, then clamped to the new
	 * depth. Leaving "unlimited" starts full, like a new bucket. */
	if (old->unlimited) {
		tb->tokens = p->max_tokens;
		tb->last = now;
	} else {
		/* sets last = max(last, now): a stale `now` credits nothing twice */
		fn_tb_refill(tb, old, now);
	}
	if (tb->tokens > p->max_tokens)
		tb->tokens = p->max_tokens;
}
