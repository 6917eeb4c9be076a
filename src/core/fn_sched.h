/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FN_SCHED_H
#define FN_SCHED_H
/*
 * fn_sched: shares one link among flows by guarantee, weight and ceiling.
 *
 * One scheduler per uplink and direction (and one for fairnic's core on
 * receive); a flow is a vNIC. Semantics (issue 7, after seed 002's
 * min/default/max tuples and HTB's borrowing):
 *  1. every flow with traffic gets up to its `min`;
 *  2. what is left of the capacity is shared among the flows that want more
 *     in proportion to `weight`, none above its ceiling; what a ceiling or
 *     a lack of traffic leaves unused is shared again the same way;
 *  3. an idle flow's guarantee goes to the others at once and comes back
 *     as soon as it has traffic (work-conserving).
 * Worked example: capacity 1000, A min 600, B defaults, C weight 2 ceiling
 * 150 -> A 725, B 125, C 150.
 *
 * Mechanism, per polling round of the data plane:
 *  - green pass: each flow with a guarantee whose guarantee bucket (rate
 *    `min`) holds credit is served first;
 *  - yellow pass: deficit round robin over all flows, quantum proportional
 *    to weight; a flow is served while its deficit is positive;
 *  - a flow whose ceiling bucket is in debt is skipped (and earns no
 *    quantum), the capacity bucket in debt ends the round.
 * Service is in bursts: the caller asks next() for a flow and a frame
 * budget, takes up to that many frames, and reports what it took with
 * done(). Buckets and deficits may go into debt by one burst, repaid
 * before the flow is served again, so shares are exact over time while
 * nothing is ever computed per frame.
 *
 * Quanta are scaled (1/65536 byte) relative to the largest weight present,
 * so weights 1..10000 keep their exact ratio; a pass hands out about one
 * burst in all among the awake flows (at least a frame to the heaviest),
 * so it stays short with thousands of flows, while a flow busy among
 * many idle ones still moves whole bursts; and a yellow service is cut to what the
 * deficit covers, so debts stay near one frame. When every flow wanting service is still in
 * deficit, whole rounds are skipped at once (no idle spinning).
 *
 * Rounds, cursor and open visits persist across calls, so a round cut
 * short (capacity exhausted, or the caller's own work budget) resumes where
 * it stopped: no flow is favoured by its position.
 *
 * Time is an argument (cycles of `hz`): testable in simulated time. One
 * thread uses a scheduler; the control plane changes flows only between
 * rounds (the daemon's round lock). No allocation after creation.
 */
#include <stdbool.h>
#include <stdint.h>
#include "fn_tb.h"

#define FN_SCHED_NONE        UINT32_MAX
#define FN_SCHED_WEIGHT_MAX  10000
#define FN_SCHED_BURST       32        /**< frames per service, at most */
#define FN_SCHED_FRAME       1514      /**< a full-size frame, bytes */
#define FN_SCHED_QUANTUM     (FN_SCHED_BURST * FN_SCHED_FRAME)  /**< bytes per pass, all flows together */

/** A flow's settings. Rates in bits/s (0: none / unlimited), bursts in bytes. */
struct fn_sched_conf {
	uint64_t min;           /**< guaranteed rate while the flow has traffic */
	uint64_t ceil;          /**< ceiling, 0 = none */
	uint64_t ceil_burst;    /**< ceiling bucket depth, bytes (0 = default) */
	uint64_t ceil_pps;      /**< ceiling in frames/s, 0 = none */
	uint64_t ceil_pps_burst;/**< frames (0 = default) */
	uint32_t weight;        /**< 1..FN_SCHED_WEIGHT_MAX */
};

struct fn_sched_flow {
	/* ring of member flows (the yellow pass) */
	uint32_t next, prev;
	/* list of members with a guarantee (the green pass) */
	uint32_t gnext;
	bool member;            /**< configured */
	bool awake;             /**< on the ring: offered service */
	bool open;              /**< yellow visit in progress: quantum added */
	bool green_served;      /**< the last service was from the green pass */
	uint32_t empty_round;   /**< round in which it reported empty (+1) */
	int64_t deficit;        /**< scaled bytes (<< 16) */
	uint32_t avg_size;      /**< bytes per frame of its last service */
	struct fn_sched_conf conf;
	struct fn_tb_profile min_p, ceil_p, pps_p;
	struct fn_tb min_tb, ceil_tb, pps_tb;
};

struct fn_sched {
	uint64_t hz;
	uint32_t max_flows;
	struct fn_sched_flow *flows;
	uint32_t n_flows;       /**< configured flows */
	uint32_t n_members;     /**< awake flows (on the ring) */
	uint32_t ring;          /**< some member, or NONE */
	uint32_t cursor;        /**< yellow pass position */
	uint32_t ghead;         /**< first member with a guarantee */
	uint32_t gpos;          /**< green pass position this round */
	uint32_t visits_left;   /**< yellow visits left this round */
	uint32_t round;         /**< round number (for empty_round) */
	bool served_any;        /**< this yellow pass moved a frame */
	uint32_t w_max;         /**< largest weight among configured flows */
	uint64_t unit;          /**< scaled bytes per visit and unit of weight */
	struct fn_tb_profile cap_p;
	struct fn_tb cap_tb;
	uint64_t now;           /**< time of the current round */
};

/** @return 0, -ENOMEM, -EINVAL. Starts with unlimited capacity. */
int fn_sched_init(struct fn_sched *s, uint32_t max_flows, uint64_t hz);
void fn_sched_free(struct fn_sched *s);

/** Capacity of the link in bits/s (0 = unlimited), from time `now`. */
int fn_sched_set_capacity(struct fn_sched *s, uint64_t rate, uint64_t now);

/** Validate a flow configuration without applying it. @return 0, -EINVAL, -ERANGE. */
int fn_sched_conf_check(const struct fn_sched *s, const struct fn_sched_conf *c);

/** Add flow `id` (not a member) or change its settings, from `now`.
 *  Credit already earned is kept across a change. @return as _conf_check. */
int fn_sched_flow_set(struct fn_sched *s, uint32_t id, const struct fn_sched_conf *c,
		      uint64_t now);
/** Remove flow `id` (a member). Call between rounds. */
void fn_sched_flow_del(struct fn_sched *s, uint32_t id);

/**
 * Take a configured flow off the ring (nothing to send for a while: an
 * empty receive queue, a guest not connected) or put it back. A sleeping
 * flow costs nothing per round; it loses unused credit, keeps any debt,
 * and wakes at the back of the current round. Both are O(1) (O(flows
 * with a guarantee) to leave the green list); quanta follow the number
 * of awake flows.
 * A new flow starts awake.
 */
void fn_sched_wake(struct fn_sched *s, uint32_t id);
void fn_sched_sleep(struct fn_sched *s, uint32_t id);

/** Start a polling round at `now`. */
void fn_sched_begin(struct fn_sched *s, uint64_t now);

/**
 * The next flow to serve in this round, and how many frames it may send
 * (*budget, >= 1). FN_SCHED_NONE when the round is over. Every call that
 * returns a flow must be followed by fn_sched_done() for it.
 */
uint32_t fn_sched_next(struct fn_sched *s, uint32_t *budget);

/**
 * What the flow returned by next() sent: `frames` frames, `bytes` bytes.
 * `empty`: it had fewer than its budget (nothing left for now); it is not
 * offered again this round and loses unused credit (keeps any debt).
 */
void fn_sched_done(struct fn_sched *s, uint32_t id, uint32_t frames, uint64_t bytes,
		   bool empty);

/**
 * Give back the link capacity of `bytes` the flow just served did not
 * send over the link (frames switched to a local vNIC): they count
 * against its ceiling and its share, not against the link.
 */
void fn_sched_refund(struct fn_sched *s, uint64_t bytes);

#endif /* FN_SCHED_H */
