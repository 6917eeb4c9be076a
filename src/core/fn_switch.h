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
 *                    fn_switch_rx_admit()     receive limit, checked before
 *                                             the frame is copied anywhere
 *   vNIC -> out      fn_switch_tx_budget()    how many frames to take from
 *                                             the guest (shaping by
 *                                             backpressure: the rest waits
 *                                             in the guest's own queue)
 *                    fn_switch_tx_classify()  uplink, local vNIC, flood, or
 *                                             drop why (spoof, local denied)
 *                    fn_switch_tx_charge()    pay for what was taken
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
#include "fn_counters.h"
#include "fn_eth.h"
#include "fn_fib.h"
#include "fn_tb.h"

#define FN_VNIC_NONE    UINT32_MAX
#define FN_UPLINK_NONE  0xffff  /**< a vNIC without uplink: local-only domain */
#define FN_DEFAULT_MAX_FRAME 1514  /**< untagged, without FCS */
#define FN_SWITCH_MAX_FRAME (UINT32_C(1) << 20)  /**< largest max_frame accepted */

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
};

struct fn_vnic_limits {
	struct fn_tb_profile rx_bits, rx_pkts, tx_bits, tx_pkts;
};

struct fn_vnic {
	/* Read for every frame, on both paths. */
	uint64_t mac;
	uint16_t uplink;
	uint16_t vlan;
	bool local;
	bool in_use;
	uint32_t dom_next, dom_prev;    /* broadcast domain membership */
	/* Written for every admitted frame. */
	struct fn_tb rx_bits, rx_pkts, tx_bits, tx_pkts;
	struct fn_vnic_limits lim;
	uint64_t ctr[FN_VC_MAX];
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
 *         that domain), -ENOSPC (table full).
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

/**
 * Transmit shaping: how many frames (at most `max`) to take from vNIC
 * `id`'s guest queue now. 0 while either bucket is in debt.
 */
static inline uint32_t
fn_switch_tx_budget(struct fn_switch *sw, uint32_t id, uint64_t now,
		    uint32_t max)
{
	struct fn_vnic *v = &sw->vnics[id];
	if (fn_tb_shape_budget(&v->tx_bits, &v->lim.tx_bits, now, 1) == 0)
		return 0;
	return fn_tb_shape_budget(&v->tx_pkts, &v->lim.tx_pkts, now, max);
}

/** Pay for `pkts` frames totalling `bytes` taken from vNIC `id`. */
static inline void
fn_switch_tx_charge(struct fn_switch *sw, uint32_t id, uint32_t pkts,
		    uint64_t bytes)
{
	struct fn_vnic *v = &sw->vnics[id];
	fn_tb_charge(&v->tx_bits, &v->lim.tx_bits, bytes * 8);
	fn_tb_charge(&v->tx_pkts, &v->lim.tx_pkts, pkts);
}

/**
 * Classify a frame sent by vNIC `id`. Counts the drop reasons (malformed,
 * spoof, local denied, no uplink). A guest must send untagged frames from
 * its own MAC: fairnic adds the vNIC's VLAN tag itself, so a tag or a
 * foreign source MAC is spoofing.
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
