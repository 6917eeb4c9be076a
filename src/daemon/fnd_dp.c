/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fnd_dp: the data-plane worker. Moves bursts of mbufs; every decision is
 * asked of the pure core (fn_switch).
 *
 * One polling round:
 *   1. each uplink: receive a burst; classify every frame and apply the
 *      receive limit *before* any copy (excess costs one header read);
 *      then deliver per destination vNIC, one enqueue per vNIC per burst
 *      (netmap VALE's two passes: find destinations, then deliver).
 *   2. each vNIC with a live guest: ask the shaper how many frames may be
 *      taken (0 while over its transmit limit: the rest waits in the
 *      guest's own queue, so nothing is lost), dequeue that many, classify,
 *      switch locally or queue for the vNIC's uplink.
 *   3. flush the uplinks' transmit queues.
 * The clock is read once per round. vhost enqueue copies into guest
 * memory, so the mbuf stays ours and is freed after delivery; that also
 * lets a flood reach many vhost vNICs without cloning.
 */
#include <stdio.h>
#include <string.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_net.h>
#include <rte_prefetch.h>
#include <rte_vhost.h>
#include "fn_csum.h"
#include "fnd.h"

#define VHOST_RXQ 0     /* the guest's receive virtqueue */
#define VHOST_TXQ 1     /* the guest's transmit virtqueue */
#define TX_RETRIES 4

static inline const uint8_t *
mdata(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, const uint8_t *);
}

/*
 * Hand `n` frames to vNIC `id`'s guest. Frames are not freed here: with
 * vhost the library copies them, and for a tap port the caller has taken
 * an extra reference for the PMD to consume.
 */
static uint16_t
vnic_deliver(uint32_t id, struct rte_mbuf **pkts, uint16_t n)
{
	struct fnd_vport *vp = &fnd.vports[id];
	struct fn_vnic *v = &fnd.sw->vnics[id];
	uint16_t sent = 0;

	if (vp->ready) {
		if (vp->type == FN_BACKEND_VHOST_USER) {
			sent = rte_vhost_enqueue_burst(vp->vid, VHOST_RXQ, pkts, n);
		} else {
			for (uint16_t i = 0; i < n; i++)
				rte_mbuf_refcnt_update(pkts[i], 1);
			sent = rte_eth_tx_burst(vp->port, 0, pkts, n);
			for (uint16_t i = sent; i < n; i++)
				rte_mbuf_refcnt_update(pkts[i], -1);
		}
	}
	uint64_t bytes = 0;
	for (uint16_t i = 0; i < sent; i++)
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	v->ctr[FN_VC_rx_packets] += sent;
	v->ctr[FN_VC_rx_bytes] += bytes;
	v->ctr[FN_VC_rx_drop_guest_full] += n - sent;
	return sent;
}

/* Deliver one frame to every admitted member of a flood. */
static void
flood(uint32_t head, uint32_t from, struct rte_mbuf *m, uint64_t now)
{
	struct fn_switch *sw = fnd.sw;
	for (uint32_t id = fn_switch_flood_first(sw, head, from);
	     id != FN_VNIC_NONE; id = fn_switch_flood_next(sw, id, from)) {
		if (fn_switch_rx_admit(sw, id, rte_pktmbuf_pkt_len(m), now))
			vnic_deliver(id, &m, 1);
	}
}

/*
 * Pass 2 of a burst: hand pkts[i] to vNIC dst[i] (FN_VNIC_NONE: skip), one
 * enqueue per destination, order kept within each. Consumes dst[].
 */
static void
deliver_grouped(struct rte_mbuf **pkts, uint32_t *dst, uint16_t n)
{
	struct rte_mbuf *group[FND_BURST];

	for (uint16_t i = 0; i < n; i++) {
		uint32_t id = dst[i];
		if (id == FN_VNIC_NONE)
			continue;
		uint16_t k = 0;
		for (uint16_t j = i; j < n; j++) {
			if (dst[j] == id) {
				group[k++] = pkts[j];
				dst[j] = FN_VNIC_NONE;
			}
		}
		vnic_deliver(id, group, k);
	}
}

/* Remove the 802.1Q tag in place: the MACs move 4 bytes up. */
static inline void
vlan_strip(struct rte_mbuf *m)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	memmove(d + FN_VLAN_HLEN, d, 2 * 6);
	rte_pktmbuf_adj(m, FN_VLAN_HLEN);
}

/*
 * af_packet/af_xdp uplinks (fnd_kif.c): finish a local sender's partial
 * checksum; drop a super-frame the socket cut to its slot size, telling
 * the operator once how to stop it. @return true when m was dropped.
 */
static bool
kernel_frame_fixup(struct fnd_uplink *up, uint16_t u, struct rte_mbuf *m)
{
	if (m->nb_segs != 1)
		return false;
	switch (fn_csum_complete(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m))) {
	case FN_CSUM_COMPLETED:
		fnd.sw->uplink_ctr[u][FN_UC_rx_csum_completed]++;
		return false;
	case FN_CSUM_TRUNCATED:
		fn_switch_rx_drop(fnd.sw, u, rte_pktmbuf_pkt_len(m), FN_UC_rx_drop_truncated);
		if (!up->truncation_told) {
			up->truncation_told = true;   /* once: not a syscall per frame */
			fprintf(stderr, "fairnicd: uplink %s: dropping frames longer than "
				"the socket's slot (a local sender's TSO/GSO segments): run "
				"`ethtool -K PEER tso off gso off` on the sending interface "
				"(for a veth, its peer), or use net_af_xdp\n", up->name);
		}
		return true;
	case FN_CSUM_UNTOUCHED:
		break;
	}
	return false;
}

static void
poll_uplink(uint16_t u, uint64_t now)
{
	struct fn_switch *sw = fnd.sw;
	struct fnd_uplink *up = &fnd.uplinks[u];
	struct rte_mbuf *pkts[FND_BURST];
	uint32_t dst[FND_BURST];
	uint16_t n = rte_eth_rx_burst(up->port, 0, pkts, FND_BURST);

	if (n == 0)
		return;
	for (uint16_t i = 0; i < n && i < 4; i++)
		rte_prefetch0(mdata(pkts[i]));
	/* Pass 1: a destination (or a drop) for every frame. */
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t target;
		bool strip;
		if (i + 4 < n)
			rte_prefetch0(mdata(pkts[i + 4]));
		dst[i] = FN_VNIC_NONE;
		if (up->csum_fix && kernel_frame_fixup(up, u, m))
			continue;
		enum fn_verdict vd = fn_switch_rx_classify(
			sw, u, mdata(m), rte_pktmbuf_pkt_len(m), &target, &strip);
		if (vd == FN_DROP)
			continue;
		if (strip)
			vlan_strip(m);
		if (vd == FN_FLOOD)
			flood(target, FN_VNIC_NONE, m, now);
		else if (fn_switch_rx_admit(sw, target, rte_pktmbuf_pkt_len(m), now))
			dst[i] = target;
	}
	deliver_grouped(pkts, dst, n);
	rte_pktmbuf_free_bulk(pkts, n);
}

/* A frame the sender's counters took as forwarded did not make it to the
 * wire: it moves from tx_packets to tx_drop_uplink_full, so that it is in
 * exactly one counter. (A broadcast already copied to local vNICs counts
 * as dropped too: it did not reach everyone it was for.) */
static void
uplink_drop(uint32_t id, uint16_t u, struct rte_mbuf *m)
{
	struct fn_vnic *v = &fnd.sw->vnics[id];
	v->ctr[FN_VC_tx_drop_uplink_full]++;
	v->ctr[FN_VC_tx_packets]--;
	v->ctr[FN_VC_tx_bytes] -= rte_pktmbuf_pkt_len(m);
	fnd.sw->uplink_ctr[u][FN_UC_tx_drop_full]++;
	rte_pktmbuf_free(m);
}

/* Send what is queued for an uplink; whatever the PMD refuses after a few
 * tries is counted against the uplink and the vNIC that sent it. */
static void
uplink_flush(struct fnd_uplink *up, uint16_t u)
{
	uint16_t n = up->n_pending, done = 0;
	uint64_t *uc = fnd.sw->uplink_ctr[u];

	for (int t = 0; t < TX_RETRIES && done < n; t++)
		done += rte_eth_tx_burst(up->port, 0, up->pending + done, n - done);
	for (uint16_t i = 0; i < done; i++)
		uc[FN_UC_tx_bytes] += rte_pktmbuf_pkt_len(up->pending[i]);
	uc[FN_UC_tx_packets] += done;
	for (uint16_t i = done; i < n; i++)
		uplink_drop(up->pending_src[i], u, up->pending[i]);
	up->n_pending = 0;
}

/* Queue a guest's frame for its uplink, adding the vNIC's VLAN tag. */
static void
uplink_queue(uint32_t id, struct rte_mbuf *m)
{
	const struct fn_vnic *v = &fnd.sw->vnics[id];
	uint32_t len = rte_pktmbuf_pkt_len(m);
	struct fnd_uplink *up = &fnd.uplinks[v->uplink];

	if (v->vlan != FN_VLAN_NONE) {
		/* A shared mbuf (flooded to tap vNICs too) must not change. */
		if (rte_mbuf_refcnt_read(m) > 1) {
			struct rte_mbuf *c = rte_pktmbuf_copy(m, fnd.pool, 0, UINT32_MAX);
			rte_pktmbuf_free(m);
			m = c;
		}
		if (m != NULL)
			m->vlan_tci = v->vlan;
		if (m == NULL || rte_vlan_insert(&m) != 0) {
			/* m's length is gone with it: count the bytes as they were */
			fnd.sw->vnics[id].ctr[FN_VC_tx_drop_uplink_full]++;
			fnd.sw->vnics[id].ctr[FN_VC_tx_packets]--;
			fnd.sw->vnics[id].ctr[FN_VC_tx_bytes] -= len;
			fnd.sw->uplink_ctr[v->uplink][FN_UC_tx_drop_full]++;
			rte_pktmbuf_free(m);
			return;
		}
	}
	up->pending_src[up->n_pending] = id;
	up->pending[up->n_pending++] = m;
	if (up->n_pending == RTE_DIM(up->pending))
		uplink_flush(up, v->uplink);
}

static void
poll_vnic(uint32_t id, uint64_t now)
{
	struct fn_switch *sw = fnd.sw;
	struct fnd_vport *vp = &fnd.vports[id];
	struct fn_vnic *v = &sw->vnics[id];
	struct rte_mbuf *pkts[FND_BURST];
	uint16_t n;

	uint32_t budget = FND_BURST;   /* interim: the tx scheduler comes next */
	if (vp->type == FN_BACKEND_VHOST_USER)
		n = rte_vhost_dequeue_burst(vp->vid, VHOST_TXQ, fnd.pool, pkts,
					    (uint16_t)budget);
	else
		n = rte_eth_rx_burst(vp->port, 0, pkts, (uint16_t)budget);
	if (n == 0)
		return;

	uint64_t bytes = 0;
	for (uint16_t i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(pkts[i]);

	/* Frames for local vNICs are gathered and delivered per destination
	 * after the loop; the rest are consumed (queued or freed) here. */
	struct rte_mbuf *local[FND_BURST];
	uint32_t local_dst[FND_BURST];
	uint16_t n_local = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t len = rte_pktmbuf_pkt_len(m), target;
		/* Frames come from a guest: a chained mbuf would make the
		 * header check read garbage, so linearize first. */
		if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0) {
			v->ctr[FN_VC_tx_drop_malformed]++;
			rte_pktmbuf_free(m);
			continue;
		}
		enum fn_verdict vd = fn_switch_tx_classify(sw, id, mdata(m), len, &target);
		if (vd == FN_DROP) {
			rte_pktmbuf_free(m);
			continue;
		}
		/* Counted before it is queued: uplink_drop() may take it back. */
		v->ctr[FN_VC_tx_packets]++;
		v->ctr[FN_VC_tx_bytes] += len;
		switch (vd) {
		case FN_DROP:
			break;
		case FN_TO_VNIC:
			local[n_local] = m;
			local_dst[n_local++] = fn_switch_rx_admit(sw, target, len, now)
					       ? target : FN_VNIC_NONE;
			break;
		case FN_FLOOD:
			flood(target, id, m, now);
			if (v->uplink != FN_UPLINK_NONE)
				uplink_queue(id, m);
			else
				rte_pktmbuf_free(m);
			break;
		case FN_TO_UPLINK:
			uplink_queue(id, m);
			break;
		}
	}
	if (n_local) {
		deliver_grouped(local, local_dst, n_local);
		rte_pktmbuf_free_bulk(local, n_local);
	}
}

int
fnd_dp_worker(void *arg)
{
	(void)arg;
	while (!fnd.quit) {
		rte_ticketlock_lock(&fnd.round);
		uint64_t now = rte_rdtsc();
		for (uint16_t u = 0; u < fnd.n_uplinks; u++)
			poll_uplink(u, now);
		for (uint32_t i = 0; i < fnd.n_active; i++) {
			uint32_t id = fnd.active[i];
			if (fnd.vports[id].ready)
				poll_vnic(id, now);
		}
		for (uint16_t u = 0; u < fnd.n_uplinks; u++)
			if (fnd.uplinks[u].n_pending)
				uplink_flush(&fnd.uplinks[u], u);
		rte_ticketlock_unlock(&fnd.round);
	}
	return 0;
}
