/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FN_COALESCE_H
#define FN_COALESCE_H
/*
 * fn_coalesce: adaptive receive-notification coalescing for one vNIC.
 *
 * Each batch copied into a guest that keeps its receive interrupts on
 * costs one notification: an eventfd write here, an interrupt and a VM
 * exit in the guest. Seed 001 (ch. 2) holds frames for up to 0.5 ms while
 * the rate is above 10 kpps and notifies once for all of them. The data
 * plane keeps the frames in the vNIC's receive queue and asks, each
 * polling round the vNIC has frames queued:
 *
 *     fn_coalesce_arrived(&c, now, n);           n frames queued this round
 *     if (fn_coalesce_due(&c, &conf, now, queued, oldest, irq_on, &dl))
 *         deliver everything queued (one notification);
 *     else
 *         keep them; come back by dl at the latest.
 *
 * Decision (fn_coalesce_due): deliver at once when the guest polls
 * (interrupts off: holding only adds latency there), when usecs is 0, or,
 * adaptive, while the rate is low (low-rate and latency-sensitive traffic
 * gets no added delay). Otherwise hold until `frames` are queued (when
 * frames > 0) or the oldest has waited `usecs`. `usecs` bounds every
 * frame's added delay; `frames` keeps a fast flow from queuing more than
 * a ring's worth and ends the hold early where waiting brings nothing.
 *
 * Rate estimate. Frames are counted per fixed window of hz/1000 cycles
 * (1 ms): at RATE_ON a window sees 10 frames, enough to tell the rate,
 * and it is two default holds long, so the estimate follows the traffic
 * within a few ms (seed 001 counted per second: too slow to leave a
 * holding state before a lone frame pays the hold). At each window's end
 * its count is folded into an EWMA of weight 1/2 (rounded up, so a steady
 * RATE_ON reaches RATE_ON): a step from 0 to 50 kpps starts holding after
 * 1 window, to 12 kpps after 3. Windows that ended with nothing reported
 * are folded as empty in one shift (the estimate halves per silent ms),
 * in both _arrived and _due, so it decays even when nothing arrives: from
 * R it falls below RATE_ON/2 within log2(2R/RATE_ON) ms of silence (8 ms
 * from 1 Mpps, 10 from 5 Mpps). Halving rather than, say, quartering per
 * empty window keeps a bursty flow with 1 ms gaps holding. Integer only,
 * fixed point with FN_COALESCE_FP fraction bits: a call is a compare and
 * an add; once a window has ended, one division (how many ended), never
 * one per frame.
 *
 * Hysteresis: holding starts when the estimate is >= RATE_ON and stops
 * when it falls below RATE_ON/2, so a rate near the threshold does not
 * flip the vNIC between holding and not every window (which would also
 * make its latency erratic).
 *
 * Time is an argument, in cycles of `hz`. Pure: no allocation, no global
 * state. One data-plane thread owns a struct fn_coalesce; the control
 * plane may read fn_coalesce_holding/_rate (aligned 64-bit loads), which
 * reflect the last call (an idle vNIC that is no longer asked shows its
 * state as of its last traffic).
 */
#include <stdbool.h>
#include <stdint.h>

#define FN_COALESCE_RATE_ON  10000   /**< frames/s above which adaptive coalescing holds */
#define FN_COALESCE_FP       16      /**< fraction bits of the EWMA */
#define FN_COALESCE_USECS_MAX  100000
#define FN_COALESCE_FRAMES_MAX 65535

/** Per-vNIC configuration, ethtool -C vocabulary. */
struct fn_coalesce_conf {
	uint32_t usecs;    /**< rx-coalesce-usecs: longest hold, 0 = never hold */
	uint32_t frames;   /**< rx-coalesce-frames: deliver at once when this many
			        wait, 0 = no frame limit */
	bool adaptive;     /**< rx-coalesce-adaptive: hold only while the rate is
			        above FN_COALESCE_RATE_ON */
};

/** usecs 500, frames 32, adaptive on. */
void fn_coalesce_conf_default(struct fn_coalesce_conf *c);

/** @return 0, or -EINVAL: usecs > 100000 or frames > 65535. */
int fn_coalesce_conf_check(const struct fn_coalesce_conf *c);

/** Per-vNIC state. */
struct fn_coalesce {
	uint64_t hz;
	uint64_t window;      /**< cycles per estimation window (hz/1000, >= 1) */
	uint64_t win_start;   /**< start of the current window */
	uint64_t ewma;        /**< frames per window << FN_COALESCE_FP */
	uint64_t on, off;     /**< RATE_ON and RATE_ON/2, in ewma's units */
	uint64_t hold;        /**< hold_usecs in cycles */
	uint32_t hold_usecs;  /**< the usecs `hold` was computed for */
	uint32_t count;       /**< frames in the current window */
	bool holding;         /**< the estimate is high (hysteresis state) */
};

/** Start at `now`, rate 0 (not holding). `hz`: cycles per second of `now`. */
void fn_coalesce_init(struct fn_coalesce *c, uint64_t hz, uint64_t now);

/** Fold the windows that ended by `now` into the estimate (the slow path
 *  of fn_coalesce_advance, taken once per window). */
void fn_coalesce_fold(struct fn_coalesce *c, uint64_t now);

/** Account for the time up to `now` (time going backwards is ignored). */
static inline void
fn_coalesce_advance(struct fn_coalesce *c, uint64_t now)
{
	if (now > c->win_start && now - c->win_start >= c->window)
		fn_coalesce_fold(c, now);
}

/** `n` frames were queued for this vNIC at `now` (n may be 0: time passes). */
static inline void
fn_coalesce_arrived(struct fn_coalesce *c, uint64_t now, uint32_t n)
{
	fn_coalesce_advance(c, now);
	uint32_t s = c->count + n;
	c->count = s < n ? UINT32_MAX : s;
}

/**
 * Deliver now? `queued`: frames waiting; `oldest`: arrival time of the
 * oldest; `guest_irq`: the guest wants interrupts (false: it polls, NAPI
 * or a DPDK guest, so never hold).
 * @return true to deliver now (also when nothing is queued); false to
 * hold, with *deadline = oldest + usecs (in cycles, rounded down): the
 * time at which they must be delivered at the latest.
 */
bool fn_coalesce_due(struct fn_coalesce *c, const struct fn_coalesce_conf *conf,
		     uint64_t now, uint32_t queued, uint64_t oldest, bool guest_irq,
		     uint64_t *deadline);

/** For vnic show: usecs > 0 and (non-adaptive, or the rate is high). */
static inline bool
fn_coalesce_holding(const struct fn_coalesce *c, const struct fn_coalesce_conf *conf)
{
	return conf->usecs > 0 && (!conf->adaptive || c->holding);
}

/** Estimated frames/s, for stats. */
uint64_t fn_coalesce_rate(const struct fn_coalesce *c);

#endif /* FN_COALESCE_H */
