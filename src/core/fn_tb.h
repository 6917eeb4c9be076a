/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FN_TB_H
#define FN_TB_H
/*
 * fn_tb: an exact integer token bucket, used both as a policer (receive
 * side: drop what does not conform) and as a shaper (transmit side: stop
 * taking packets from the guest while in debt).
 *
 * Algorithm. Time is measured in clock cycles of a clock running at `hz`.
 * A bucket of rate R units/s (units are bytes or packets) gains R tokens per
 * cycle and one unit costs `hz` tokens. Scaling tokens by hz this way means
 * refill is one multiply, with no division and no rounding anywhere: over
 * any interval the bucket admits exactly R * elapsed_cycles / hz units plus
 * the burst, whatever the refill interval. Limiters that keep tokens in
 * whole bytes and refill every N cycles lose the fractional token at each
 * refill; at sub-millisecond refill intervals that error dominates and they
 * deliver a fraction of the configured rate. We rejected that design for
 * this reason.
 *
 * Invariants:
 *  - tokens <= max_tokens = burst * hz, checked to be < 2^62 when the
 *    profile is built, so neither refill nor charge can overflow;
 *  - refill arithmetic uses 128-bit intermediates (elapsed * rate);
 *  - a shaper may go into debt (tokens < 0) by at most one charge.
 *
 * Split after rte_meter: a validated read-only profile (shared, changed
 * only by the control plane) and a tiny per-object runtime state.
 *
 * Locking: none. A bucket is owned by one data-plane thread; the control
 * plane swaps profiles only while that thread is outside its burst loop.
 */
#include <stdbool.h>
#include <stdint.h>

/** Validated, precomputed configuration of one bucket. */
struct fn_tb_profile {
	uint64_t rate;       /**< tokens gained per cycle (= units per second) */
	uint64_t unit_cost;  /**< tokens one unit costs (= hz) */
	int64_t max_tokens;  /**< burst * hz */
	bool unlimited;      /**< rate 0: every check passes, nothing counted */
};

/** Runtime state of one bucket. */
struct fn_tb {
	int64_t tokens;
	uint64_t last;       /**< cycle count at the last refill */
};

/**
 * Build a profile.
 * @param rate   units per second; 0 means unlimited.
 * @param burst  bucket depth in units; must be >= 1 when rate > 0.
 * @param hz     clock frequency of the `now` values later passed in.
 * @return 0, -EINVAL (hz == 0, or burst == 0 with a rate),
 *         -ERANGE (burst * hz or rate too large to compute exactly).
 */
int fn_tb_profile_init(struct fn_tb_profile *p, uint64_t rate, uint64_t burst,
		       uint64_t hz);

/** Start a bucket full at time `now`. */
void fn_tb_init(struct fn_tb *tb, const struct fn_tb_profile *p, uint64_t now);

/**
 * Switch a running bucket from profile `old` to `p` at time `now`: tokens
 * earned under `old` until now are kept (they
 * are in rate-independent units) and clamped to the new depth, so a rate
 * change mid-run neither grants a fresh burst nor loses credit.
 */
void fn_tb_reprofile(struct fn_tb *tb, const struct fn_tb_profile *old,
		     const struct fn_tb_profile *p, uint64_t now);

/** Add the tokens earned since the last refill. Time going backwards adds nothing. */
static inline void
fn_tb_refill(struct fn_tb *tb, const struct fn_tb_profile *p, uint64_t now)
{
	if (now > tb->last) {
		__int128 t = (__int128)tb->tokens +
			     (__int128)(now - tb->last) * p->rate;
		tb->tokens = t > p->max_tokens ? p->max_tokens : (int64_t)t;
	}
	tb->last = now > tb->last ? now : tb->last;
}

/**
 * Policer check: take `n` units if the bucket holds them.
 * @return true if the units conform (and were taken), false otherwise.
 */
static inline bool
fn_tb_police(struct fn_tb *tb, const struct fn_tb_profile *p, uint64_t now,
	     uint32_t n)
{
	if (p->unlimited)
		return true;
	fn_tb_refill(tb, p, now);
	/* 128 bits: n * hz may not fit in 64 (UINT32_MAX at a 2.5 GHz TSC) */
	__int128 cost = (__int128)n * p->unit_cost;
	if (tb->tokens < cost)
		return false;
	tb->tokens -= (int64_t)cost;
	return true;
}

/**
 * Shaper: how many whole units may be sent now, at most `max`. A bucket in
 * debt returns 0; one with any credit returns at least 1 (the charge that
 * follows may take it into debt, which the next refill repays).
 */
static inline uint32_t
fn_tb_shape_budget(struct fn_tb *tb, const struct fn_tb_profile *p,
		   uint64_t now, uint32_t max)
{
	if (p->unlimited)
		return max;
	fn_tb_refill(tb, p, now);
	if (tb->tokens <= 0)
		return 0;
	if (tb->tokens >= (__int128)max * p->unit_cost)
		return max;
	uint64_t whole = (uint64_t)tb->tokens / p->unit_cost;
	return whole == 0 ? 1 : (uint32_t)whole;
}

/**
 * Shaper: charge `n` units that were sent (may take the bucket into debt).
 * An absurd `n` saturates the debt at INT64_MIN; it never wraps to credit.
 */
static inline void
fn_tb_charge(struct fn_tb *tb, const struct fn_tb_profile *p, uint64_t n)
{
	if (!p->unlimited) {
		__int128 t = (__int128)tb->tokens - (__int128)n * p->unit_cost;
		tb->tokens = t < INT64_MIN ? INT64_MIN : (int64_t)t;
	}
}

#endif /* FN_TB_H */
