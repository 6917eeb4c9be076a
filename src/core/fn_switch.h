/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FN_SWITCH_H
#define FN_SWITCH_H
/*
 * fn_switch: the decisions of fairnic's data path, with no I/O in it.
 *
 * A switch holds the vNIC table, the forwarding table (fn_fib) and every
 * counter. The data-plane adapter (src/daemon) moves packets; for each
 * frame it asks this module what to do:
 *
 *   uplink -> vNIC   fn_switch_rx_classify()  which vNIC(s), or drop why
 *                    fn_switch_rx_enqueue()   police (rx-police on), queue
 *                                             limit and pool share, checked
 *                                             before the frame is copied
 *                    rx_sched[uplink]         when each queue is served
 *                    fn_switch_rx_dequeue()   CoDel at the head
 *   vNIC -> out      tx_sched[uplink]         whose guest to take frames
 *                                             from, and how many (the rest
 *                                             waits in the guest's queue)
 *                    fn_switch_tx_classify()  uplink, local vNIC, flood, or
 *                                             drop why (MAC or L3 spoof, DHCP
 *                                             server, RA, local denied)
 *
 * Forwarding model (after the research's CAM): a vNIC lives in one
 * broadcast domain, (uplink, VLAN). Unicast is an exact match on
 * (domain, destination MAC); a miss from the wire is dropped and counted,
 * never flooded. Broadcast and multicast reach every member of the domain.
 * A domain's members are a doubly linked list through the vNIC array whose
 * head is stored in the fib under the broadcast MAC, so a flood costs no
 * extra lookup structure and add/remove are O(1).
 *
 * Time is an argument (`now`, in cycles of the `hz` given at creation):
 * everything here is testable in simulated time.
 *
 * Concurrency: one data-plane thread calls the data-path functions; the
 * control plane calls the vnic_* functions only while that thread is
 * outside its polling round (the daemon's round lock). Counters are plain
 * 64-bit words written by the data plane, read by the control plane.
 */
#include <stdbool.h>
#include <stdint.h>
#include "fn_bufacct.h"
#include "fn_codel.h"
#include "fn_counters.h"
#include "fn_eth.h"
#include "fn_coalesce.h"
#include "fn_fib.h"
#include "fn_l3.h"
#include "fn_sched.h"
#include "fn_tb.h"

#define FN_VNIC_NONE    UINT32_MAX
#define FN_UPLINK_NONE  0xffff  /**< a vNIC without uplink: local-only domain */
#define FN_DEFAULT_MAX_FRAME 1514  /**< untagged, without FCS */
#define FN_SWITCH_MAX_FRAME (UINT32_C(1) << 20)  /**< largest max_frame accepted */
#define FN_RXQ_DEFAULT_MIN  (256 * 1024)   /**< default rx-queue floor, bytes */
#define FN_RXQ_DEFAULT_MS   10             /**< default rx-queue: ms at the ceiling */
#define FN_RXQ_UNLIMITED_RATE 10000000000ull /**< ... or at this rate (bits/s) without one */
#define FN_RXQ_RESERVE_MAX  64             /**< frames a queue may always hold */
#define FN_AQM_SMALL        128            /**< frames this short CoDel never drops */

/** Receive queue drop policy (rx-aqm). */
enum fn_rx_aqm {
	FN_AQM_CODEL,   /**< CoDel at dequeue (fq_codel's 5 ms / 100 ms) */
	FN_AQM_TAIL,    /**< only the queue limit */
};

/** A direction of a vNIC's traffic, as scheduled. */
enum fn_dir {
	FN_DIR_RX,      /**< towards the guest */
	FN_DIR_TX,      /**< from the guest */
};

/** Configuration of one vNIC, as the data plane needs it. */
struct fn_vnic_conf {
	uint64_t mac;
	uint16_t uplink;            /**< uplink index or FN_UPLINK_NONE */
	uint16_t vlan;              /**< 1..4094 or FN_VLAN_NONE */
	bool local;                 /**< may exchange frames with local vNICs */
	uint64_t rx_rate, rx_burst; /**< bits/s (0 = unlimited), bytes (0 = default) */
	uint64_t rx_pps, rx_pps_burst;
	uint64_t tx_rate, tx_burst;
	uint64_t tx_pps, tx_pps_burst;
	uint64_t rx_min, tx_min;    /**< bits/s guaranteed while it has traffic */
	uint32_t rx_weight, tx_weight; /**< 1..FN_SCHED_WEIGHT_MAX (0 = default 1) */
	uint64_t rx_queue;          /**< receive queue limit, bytes (0 = default) */
	bool rx_police;             /**< drop above rx-rate at arrival, not shape */
	uint8_t rx_aqm;             /**< enum fn_rx_aqm */
	uint64_t rx_coalesce_usecs; /**< longest hold before notifying, us (0: never) */
	uint64_t rx_coalesce_frames;/**< notify at this many held (0: no limit) */
	bool rx_coalesce_adaptive;  /**< hold only above FN_COALESCE_RATE_ON */
	struct fn_ipset ip;         /**< sources the guest may use (all 0: any) */
	bool dhcp_server;           /**< the guest may act as a DHCP server */
	bool ra;                    /**< the guest may send router advertisements */
};

/* Receive policing (rx-police on) only: shaping is the schedulers'. */
struct fn_vnic_limits {
	struct fn_tb_profile rx_bits, rx_pkts;
};

struct fn_vnic {
	/* Read for every frame, on both paths. */
	uint64_t mac;
	uint16_t uplink;
	uint16_t vlan;
	bool local;
	bool in_use;
	uint32_t dom_next, dom_prev;    /* broadcast domain membership */
	bool rx_police;
	uint8_t rx_aqm;
	bool l3_guard;                  /* fn_l3_active(&l3): check what it sends */
	/* Written for every admitted frame. */
	struct fn_tb rx_bits, rx_pkts;
	struct fn_vnic_limits lim;
	struct fn_bufq rxq;             /* receive queue: frames and bytes held */
	struct fn_codel codel;
	struct fn_coalesce coal;        /* notification coalescing: rate, state */
	struct fn_coalesce_conf coal_conf;
	uint64_t rx_sojourn_max;        /* cycles, since the last counter reset */
	uint64_t ctr[FN_VC_MAX];
	/* Read for the frames it sends while l3_guard is set. */
	struct fn_l3_policy l3;
	/* Control plane only. */
	struct fn_vnic_conf conf;       /* as configured, bursts resolved */
} __attribute__((aligned(64)));

struct fn_switch {
	struct fn_vnic *vnics;
	uint32_t max_vnics;
	uint32_t n_vnics;
	uint16_t max_uplinks;
	uint32_t max_frame;
	uint64_t hz;
	struct fn_fib *fib;
	uint64_t (*uplink_ctr)[FN_UC_MAX];
	/* Link sharing, per uplink and direction; index max_uplinks holds the
	 * vNICs without an uplink (fn_switch_sched_index). */
	struct fn_sched *rx_sched, *tx_sched;
	uint64_t *rx_cap, *tx_cap;      /* bits/s, 0 = unlimited */
	struct fn_bufacct buf;          /* receive queues' share of the pool */
	uint32_t rxq_reserve;           /* frames each queue may always hold */
	struct fn_codel_params codel;
};

/**
 * Create a switch.
 * @param max_vnics    vNIC table size (>= 1).
 * @param max_uplinks  uplink indices are 0..max_uplinks-1.
 * @param hz           frequency of the `now` clock.
 * @param max_frame    largest untagged frame without FCS (e.g. 1514),
 *                     14..FN_SWITCH_MAX_FRAME.
 * @return the switch, or NULL on bad arguments or no memory.
 */
struct fn_switch *fn_switch_create(uint32_t max_vnics, uint16_t max_uplinks,
				   uint64_t hz, uint32_t max_frame);
void fn_switch_free(struct fn_switch *sw);

/**
 * Validate a configuration and resolve default bursts in place.
 * Default bursts: 10 ms of the rate, at least two maximum frames (bytes)
 * or 32 packets, so a lone burst of the data path always fits.
 * @return 0, -EINVAL (bad MAC, VLAN or uplink), -ERANGE (limits too large).
 */
int fn_switch_conf_check(const struct fn_switch *sw, struct fn_vnic_conf *c);

/** Build the four bucket profiles of a checked configuration. @return 0 or -ERANGE. */
int fn_switch_limits_build(const struct fn_switch *sw,
			   const struct fn_vnic_conf *c, struct fn_vnic_limits *l);

/**
 * Add a vNIC. @param id receives its index.
 * @return 0, -EINVAL/-ERANGE (see conf_check), -EEXIST (MAC already used in
 *         that domain), -ENOSPC (table full), -EDQUOT (admission control:
 *         see fn_switch_admission).
 */
int fn_switch_vnic_add(struct fn_switch *sw, struct fn_vnic_conf *c,
		       uint64_t now, uint32_t *id);

/**
 * Reconfigure a vNIC in one step: MAC, uplink, VLAN, limits. Token state
 * and counters carry over; on any error nothing changes.
 * @return as fn_switch_vnic_add, or -ENOENT (no such vNIC).
 */
int fn_switch_vnic_update(struct fn_switch *sw, uint32_t id,
			  struct fn_vnic_conf *c, uint64_t now);

/** Remove a vNIC. @return 0 or -ENOENT. */
int fn_switch_vnic_del(struct fn_switch *sw, uint32_t id);

/** Zero a vNIC's counters (id) or every counter (FN_VNIC_NONE). */
void fn_switch_counters_reset(struct fn_switch *sw, uint32_t id);

/**
 * Tell the receive queues how many packet buffers they share: `total` in
 * the pool, of which `system` are kept for the ports and bursts in flight.
 * Call before adding vNICs. Each queue may always hold rxq_reserve frames
 * (up to FN_RXQ_RESERVE_MAX; never more than half the rest in all).
 * @return 0, -EINVAL (system > total), -EBUSY (vNICs exist).
 */
int fn_switch_buffers(struct fn_switch *sw, uint32_t total, uint32_t system);

/** Scheduler index of an uplink (or FN_UPLINK_NONE). */
static inline uint32_t
fn_switch_sched_index(const struct fn_switch *sw, uint16_t uplink)
{
	return uplink == FN_UPLINK_NONE ? sw->max_uplinks : uplink;
}

/**
 * Capacity of uplink `u` in each direction, bits/s (0 = unlimited). A
 * capacity below the guarantees (min) its vNICs already hold is refused.
 * @return 0, -EINVAL (no such uplink), -EDQUOT (guarantees above it),
 *         -ERANGE (a rate too large for exact accounting); on any error
 *         nothing changes.
 */
int fn_switch_uplink_set(struct fn_switch *sw, uint16_t u, uint64_t rx_rate,
			 uint64_t tx_rate, uint64_t now);

/** Sum of the `dir` guarantees of the vNICs on `uplink`, except vNIC
 *  `except` (FN_VNIC_NONE: none excepted). */
uint64_t fn_switch_min_sum(const struct fn_switch *sw, uint16_t uplink,
			   enum fn_dir dir, uint32_t except);

/**
 * Would configuration `c` for vNIC `self` (FN_VNIC_NONE for a new one)
 * make the guarantees on its uplink add up to more than the capacity?
 * @return 0, or -EDQUOT with *dir the direction that does not fit.
 */
int fn_switch_admission(const struct fn_switch *sw, const struct fn_vnic_conf *c,
			uint32_t self, enum fn_dir *dir);

/** The guest of vNIC `id` connected (true) or went away: its transmit
 *  flow is offered service only while connected. */
void fn_switch_vnic_ready(struct fn_switch *sw, uint32_t id, bool ready);

/* ------------------------------------------------------------------ */
/* Data path                                                           */

enum fn_verdict {
	FN_TO_VNIC,     /**< one vNIC: *target */
	FN_TO_UPLINK,   /**< the sender's uplink only */
	FN_FLOOD,       /**< uplink (if from a vNIC) and domain members from *target */
	FN_DROP,        /**< counted already */
};

static inline bool
fn_switch_frame_ok(const struct fn_switch *sw, const uint8_t *d, uint32_t len,
		   struct fn_eth_info *fi)
{
	if (fn_eth_parse(d, len, sw->max_frame + FN_VLAN_HLEN, fi) != FN_ETH_OK)
		return false;
	return len - (fi->hlen - FN_ETH_HLEN) <= sw->max_frame;
}

/** Count a frame received on an uplink; @return the uplink's counters. */
static inline uint64_t *
fn_switch_rx_count(struct fn_switch *sw, uint16_t uplink, uint32_t len)
{
	uint64_t *uc = sw->uplink_ctr[uplink];
	uc[FN_UC_rx_packets]++;
	uc[FN_UC_rx_bytes] += len;
	return uc;
}

/**
 * A frame from an uplink that the adapter drops before classification
 * (`why` is an uplink counter): counted as received and as dropped why.
 */
static inline void
fn_switch_rx_drop(struct fn_switch *sw, uint16_t uplink, uint32_t len,
		  enum fn_uplink_counter why)
{
	fn_switch_rx_count(sw, uplink, len)[why]++;
}

/**
 * Classify a frame received on an uplink. Counts uplink rx and the drop
 * reasons (malformed, no vNIC). *strip is set when the frame carries a tag
 * that must be removed before delivery.
 */
static inline enum fn_verdict
fn_switch_rx_classify(struct fn_switch *sw, uint16_t uplink, const uint8_t *d,
		      uint32_t len, uint32_t *target, bool *strip)
{
	uint64_t *uc = fn_switch_rx_count(sw, uplink, len);
	struct fn_eth_info fi;

	if (!fn_switch_frame_ok(sw, d, len, &fi)) {
		uc[FN_UC_rx_drop_malformed]++;
		return FN_DROP;
	}
	/* VID 0 is a priority tag: the frame belongs to the untagged domain. */
	uint16_t vlan = fi.vlan == 0 ? FN_VLAN_NONE : fi.vlan;
	uint32_t id = fn_fib_lookup(sw->fib, uplink, vlan,
				    fn_mac_is_group(fi.dst) ? FN_MAC_BCAST : fi.dst);
	if (id == FN_FIB_MISS || fi.vlan == 0x0fff) {
		uc[FN_UC_rx_drop_no_vnic]++;
		return FN_DROP;
	}
	*target = id;
	*strip = fi.hlen != FN_ETH_HLEN;
	return fn_mac_is_group(fi.dst) ? FN_FLOOD : FN_TO_VNIC;
}

/**
 * Receive limit of vNIC `id` for a frame of `len` bytes: both the bit and
 * the packet bucket must conform, and only then are both charged.
 * @return true to deliver; false if dropped (counted in rx_drop_rate).
 */
static inline bool
fn_switch_rx_admit(struct fn_switch *sw, uint32_t id, uint32_t len,
		   uint64_t now)
{
	struct fn_vnic *v = &sw->vnics[id];
	const struct fn_vnic_limits *l = &v->lim;
	if (l->rx_bits.unlimited && l->rx_pkts.unlimited)
		return true;
	fn_tb_refill(&v->rx_bits, &l->rx_bits, now);
	fn_tb_refill(&v->rx_pkts, &l->rx_pkts, now);
	int64_t bits = (int64_t)len * 8 * (int64_t)l->rx_bits.unit_cost;
	int64_t pkts = (int64_t)l->rx_pkts.unit_cost;
	if ((!l->rx_bits.unlimited && v->rx_bits.tokens < bits) ||
	    (!l->rx_pkts.unlimited && v->rx_pkts.tokens < pkts)) {
		v->ctr[FN_VC_rx_drop_rate]++;
		return false;
	}
	if (!l->rx_bits.unlimited)
		v->rx_bits.tokens -= bits;
	if (!l->rx_pkts.unlimited)
		v->rx_pkts.tokens -= pkts;
	return true;
}

/*
 * Receive queues. A frame classified to vNIC `id` (guest connected) is
 * offered with fn_switch_rx_enqueue(): policing (rx-police on), then the
 * queue's byte limit and its share of the pool. Admitted frames wait in the
 * vNIC's queue (the adapter's FIFO); the vNIC's receive flow is woken in
 * its uplink's receive scheduler on the first one. When the scheduler
 * serves the vNIC, each head frame goes through fn_switch_rx_dequeue()
 * (CoDel), and the adapter copies the survivors into the guest.
 */

/** @return true: the frame is queued (accounted); false: dropped, counted. */
static inline bool
fn_switch_rx_enqueue(struct fn_switch *sw, uint32_t id, uint32_t len,
		     uint64_t now)
{
	struct fn_vnic *v = &sw->vnics[id];
	if (v->rx_police && !fn_switch_rx_admit(sw, id, len, now))
		return false;
	switch (fn_buf_admit(&sw->buf, &v->rxq, len)) {
	case FN_BUF_OK:
		break;
	case FN_BUF_QUEUE_LIMIT:
		v->ctr[FN_VC_rx_drop_queue_limit]++;
		return false;
	case FN_BUF_POOL:
		v->ctr[FN_VC_rx_drop_pool]++;
		return false;
	}
	if (v->rxq.held == 1)
		fn_sched_wake(&sw->rx_sched[fn_switch_sched_index(sw, v->uplink)], id);
	return true;
}

/**
 * The head frame of vNIC `id`'s queue (`len` bytes, queued for `sojourn`
 * cycles) leaves the queue. @return true to deliver it; false when CoDel
 * drops it (counted in rx_drop_aqm). A small frame (pure ACK, ping, DNS)
 * is never the one dropped: it carries no bulk, and its loss would cost
 * its flow a timeout rather than tell a bulk sender to slow down (what
 * fq_codel achieves with a queue per flow); CoDel's schedule goes on and
 * its next drop falls on the bulk.
 */
static inline bool
fn_switch_rx_dequeue(struct fn_switch *sw, uint32_t id, uint32_t len,
		     uint64_t now, uint64_t sojourn)
{
	struct fn_vnic *v = &sw->vnics[id];
	fn_buf_release(&sw->buf, &v->rxq, len);
	if (sojourn > v->rx_sojourn_max)
		v->rx_sojourn_max = sojourn;
	if (v->rx_aqm == FN_AQM_CODEL &&
	    fn_codel_drop(&v->codel, &sw->codel, now, sojourn,
			  v->rxq.bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)v->rxq.bytes) &&
	    len > FN_AQM_SMALL) {
		v->ctr[FN_VC_rx_drop_aqm]++;
		return false;
	}
	return true;
}

/**
 * The n head frames of vNIC `id`'s queue (`bytes` in all), which arrived
 * together and waited `sojourn` cycles, leave it for delivery at once when
 * none of them can be CoDel's victim: with tail drop, or below CoDel's
 * target, where CoDel says "deliver" to each and only the first verdict
 * changes its state. The outcome is that of n fn_switch_rx_dequeue() that
 * all deliver. @return false when CoDel must judge frame by frame: nothing
 * changed, call fn_switch_rx_dequeue() for each.
 */
static inline bool
fn_switch_rx_dequeue_bulk(struct fn_switch *sw, uint32_t id, uint32_t n,
			  uint64_t bytes, uint64_t now, uint64_t sojourn)
{
	struct fn_vnic *v = &sw->vnics[id];
	if (v->rx_aqm == FN_AQM_CODEL) {
		if (sojourn >= sw->codel.target)
			return false;
		(void)fn_codel_drop(&v->codel, &sw->codel, now, sojourn, 0);
	}
	fn_buf_release_n(&sw->buf, &v->rxq, n, bytes);
	if (sojourn > v->rx_sojourn_max)
		v->rx_sojourn_max = sojourn;
	return true;
}

/** A queued frame of `len` bytes leaves vNIC `id`'s queue undelivered
 *  (`why`: guest ring full, guest not connected). */
static inline void
fn_switch_rx_discard(struct fn_switch *sw, uint32_t id, uint32_t len,
		     enum fn_vnic_counter why)
{
	struct fn_vnic *v = &sw->vnics[id];
	fn_buf_release(&sw->buf, &v->rxq, len);
	v->ctr[why]++;
}

/** vNIC `id`'s queue is empty: CoDel learns it, its flow sleeps. */
static inline void
fn_switch_rx_queue_empty(struct fn_switch *sw, uint32_t id)
{
	struct fn_vnic *v = &sw->vnics[id];
	fn_codel_empty(&v->codel);
	fn_sched_sleep(&sw->rx_sched[fn_switch_sched_index(sw, v->uplink)], id);
}

/* The vNIC counter of each L3 verdict but OK (same order, checked in
 * fn_switch.c). */
static inline enum fn_vnic_counter
fn_switch_l3_counter(enum fn_l3_verdict vd)
{
	return (enum fn_vnic_counter)(FN_VC_tx_drop_ip_spoof + (vd - FN_L3_IP_SPOOF));
}

/**
 * Classify a frame sent by vNIC `id`. Counts the drop reasons (malformed,
 * spoof, L3 guard, local denied, no uplink). A guest must send untagged
 * frames from its own MAC: fairnic adds the vNIC's VLAN tag itself, so a
 * tag or a foreign source MAC is spoofing. Then the L3 guard (fn_l3.h),
 * when its policy checks anything.
 */
static inline enum fn_verdict
fn_switch_tx_classify(struct fn_switch *sw, uint32_t id, const uint8_t *d,
		      uint32_t len, uint32_t *target)
{
	struct fn_vnic *v = &sw->vnics[id];
	struct fn_eth_info fi;

	if (!fn_switch_frame_ok(sw, d, len, &fi)) {
		v->ctr[FN_VC_tx_drop_malformed]++;
		return FN_DROP;
	}
	if (fi.src != v->mac || fi.vlan != FN_VLAN_NONE) {
		v->ctr[FN_VC_tx_drop_spoof]++;
		return FN_DROP;
	}
	if (v->l3_guard) {
		enum fn_l3_verdict l3 = fn_l3_check(&v->l3, d + FN_ETH_HLEN,
						    len - FN_ETH_HLEN,
						    (uint16_t)(d[12] << 8 | d[13]));
		if (l3 != FN_L3_OK) {
			v->ctr[fn_switch_l3_counter(l3)]++;
			return FN_DROP;
		}
	}
	if (fn_mac_is_group(fi.dst)) {
		*target = fn_fib_lookup(sw->fib, v->uplink, v->vlan, FN_MAC_BCAST);
		return FN_FLOOD;
	}
	uint32_t peer = fn_fib_lookup(sw->fib, v->uplink, v->vlan, fi.dst);
	if (peer != FN_FIB_MISS) {
		/* No hairpin: a frame to the sender's own MAC goes nowhere. */
		if (peer == id || !v->local || !sw->vnics[peer].local) {
			v->ctr[FN_VC_tx_drop_local_denied]++;
			return FN_DROP;
		}
		*target = peer;
		return FN_TO_VNIC;
	}
	if (v->uplink == FN_UPLINK_NONE) {
		v->ctr[FN_VC_tx_drop_no_uplink]++;
		return FN_DROP;
	}
	return FN_TO_UPLINK;
}

/**
 * Next member of a flood from `from` after `id`, skipping `from` itself
 * and, when the flood comes from a vNIC, members it may not reach locally.
 * Start with id = the *target of the verdict and call until FN_VNIC_NONE:
 *   for (m = fn_switch_flood_first(sw, t, src); m != FN_VNIC_NONE;
 *        m = fn_switch_flood_next(sw, m, src))
 * @param from  the sending vNIC, or FN_VNIC_NONE for a frame from the wire.
 */
static inline uint32_t
fn_switch_flood_skip(const struct fn_switch *sw, uint32_t m, uint32_t from)
{
	if (from == FN_VNIC_NONE)
		return m;
	if (!sw->vnics[from].local)
		return FN_VNIC_NONE;
	while (m != FN_VNIC_NONE && (m == from || !sw->vnics[m].local))
		m = sw->vnics[m].dom_next;
	return m;
}

static inline uint32_t
fn_switch_flood_first(const struct fn_switch *sw, uint32_t head, uint32_t from)
{
	return head == FN_FIB_MISS ? FN_VNIC_NONE
				   : fn_switch_flood_skip(sw, head, from);
}

static inline uint32_t
fn_switch_flood_next(const struct fn_switch *sw, uint32_t m, uint32_t from)
{
	return fn_switch_flood_skip(sw, sw->vnics[m].dom_next, from);
}

#endif /* FN_SWITCH_H */
