/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fnd_dp: the data-plane worker. Moves bursts of mbufs; every decision is
 * asked of the pure core (fn_switch, fn_sched).
 *
 * One polling round:
 *   1. drain: each uplink's receive queue is read (up to RX_DRAIN bursts)
 *      and every frame classified at once, then either dropped (counted;
 *      before any copy) or appended to its vNIC's receive queue. That part
 *      is cheap, so a flood can never fill the shared wire ring while a
 *      neighbour's frames wait behind it.
 *   2. transmit: per uplink, its transmit scheduler picks whose guest to
 *      take frames from and how many (guarantees, then weights, within
 *      ceilings and the uplink's tx-rate), only while the uplink has room:
 *      when the port is busy, frames wait in the guests' rings. Frames to
 *      local vNICs join the receiver's queue.
 *   3. deliver: per uplink, its receive scheduler spends the round's copy
 *      budget (a burst per vNIC with frames waiting) on the queues, CoDel
 *      deciding at each head; the survivors are copied into the guests.
 *   4. flush the uplinks' transmit queues; what the port does not take
 *      stays queued for the next round.
 * Adaptive polling (--poll-mode adaptive): after a spell of empty rounds
 * the worker sleeps (fn_idle decides how), on an epoll set of its wake-up
 * sources: the guests' transmit kicks, the uplinks' receive interrupts and
 * the control plane's eventfd. A guest whose transmit ring stays empty
 * leaves the polled set (its flow sleeps in the scheduler, its kicks are
 * turned on) and its next kick brings it back, so idle guests cost a
 * round nothing. Kicks and interrupts are turned on before the last poll
 * and the sleep, so none is lost.
 *
 * The clock is read once per round, so the frames a vNIC gets in one round
 * share an arrival time: its queue (fn_fifo) keeps them as one run, which
 * leaves as one slice with one CoDel verdict. vhost enqueue copies into
 * guest memory, so a frame stays ours and is freed after delivery; frames
 * to several vNICs (floods) are queued as clones that share the data.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include "fn_csum.h"
#include "fnd.h"

#define RX_DRAIN  8     /* bursts read per uplink per round, at most */
#define TX_IDLE_US 100  /* a guest's empty transmit ring leaves the polled set after this */
#define KICK_CHECK_US 100 /* how often kicks of guests outside the polled set are read: an
			  * epoll_wait per 100 us costs a busy round ~1 % */

/* What an epoll event of fnd.epfd is: (kind << 32) | index. */
enum wake_kind { WAKE_CTL, WAKE_KICK, WAKE_UPLINK };
#define WAKE_TAG(kind, i) (((uint64_t)(kind) << 32) | (uint32_t)(i))

static struct fn_fifo_pool chunks;     /* of the vNICs' receive queues */
static uint32_t local_queued;   /* frames the transmit side queued locally this round */
static uint32_t offers;         /* frames offered to receive queues (a flood: once per member) */
static uint32_t moved;          /* frames drained, taken or delivered this round */
static uint32_t n_tx_asleep;    /* guests outside the polled set */
static uint32_t n_kickless_ready; /* ready vNICs without a kick fd: polled always */

static inline const uint8_t *
mdata(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, const uint8_t *);
}

/* A queued frame holds an mbuf (a clone for each extra member of a flood),
 * and a chunk in use holds a frame: one chunk per mbuf is always enough. */
int
fnd_dp_init(uint32_t mbufs)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = WAKE_TAG(WAKE_CTL, 0) };
	fnd.epfd = epoll_create1(EPOLL_CLOEXEC);
	fnd.ctl_wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fnd.epfd < 0 || fnd.ctl_wake < 0 ||
	    epoll_ctl(fnd.epfd, EPOLL_CTL_ADD, fnd.ctl_wake, &ev) != 0)
		return -1;
	return fn_fifo_pool_init(&chunks, mbufs + 1) == 0 ? 0 : -1;
}

void
fnd_dp_fini(void)
{
	fn_fifo_pool_fini(&chunks);
	if (fnd.epfd >= 0)
		close(fnd.epfd);
	if (fnd.ctl_wake >= 0)
		close(fnd.ctl_wake);
}

void
fnd_dp_wake(void)
{
	if (fnd.idle_conf.mode != FN_IDLE_BUSY && fnd.ctl_wake >= 0)
		(void)eventfd_write(fnd.ctl_wake, 1);
}

/* A service of n frames spends n of the round's work; a visit that moved
 * nothing costs one, so a round always ends. */
static inline void
work_spend(uint32_t *work, uint32_t n)
{
	uint32_t cost = n ? n : 1;
	*work = cost >= *work ? 0 : *work - cost;
}

/* ---- receive queues ----------------------------------------------------- */

/* Frames dropped while draining are freed together at the end. */
struct drops {
	uint16_t n;
	struct rte_mbuf *m[RX_DRAIN * FND_BURST * 2];
};

static inline void
drop(struct drops *d, struct rte_mbuf *m)
{
	if (d->n == RTE_DIM(d->m)) {
		rte_pktmbuf_free_bulk(d->m, d->n);
		d->n = 0;
	}
	d->m[d->n++] = m;
}

/*
 * Offer frame m to vNIC id's receive queue. @return true when it was
 * queued (the queue owns it); false when it was refused and counted (the
 * caller still owns m).
 */
static bool
rxq_offer(uint32_t id, struct rte_mbuf *m, uint64_t now)
{
	struct fnd_vport *vp = &fnd.vports[id];
	offers++;
	if (!vp->ready) {
		fnd.sw->vnics[id].ctr[FN_VC_rx_drop_not_connected]++;
		return false;
	}
	uint32_t len = rte_pktmbuf_pkt_len(m);
	if (!fn_switch_rx_enqueue(fnd.sw, id, len, now))
		return false;
	if (fn_fifo_empty(&vp->rxq))
		vp->rxq_head_ts = now;
	if (likely(fn_fifo_push(&chunks, &vp->rxq, m, now))) {
		fn_coalesce_arrived(&fnd.sw->vnics[id].coal, now, 1);
		return true;
	}
	/* cannot happen (a chunk per mbuf): accounted, so count it honestly */
	fn_switch_rx_discard(fnd.sw, id, len, FN_VC_rx_drop_pool);
	if (fn_fifo_empty(&vp->rxq))
		fn_switch_rx_queue_empty(fnd.sw, id);
	return false;
}

/* Remove the first n frames of vNIC vp's head run. */
static inline void
rxq_pop(struct fnd_vport *vp, uint32_t n)
{
	fn_fifo_pop(&chunks, &vp->rxq, n);
	if (!fn_fifo_empty(&vp->rxq))
		vp->rxq_head_ts = fn_fifo_head_arrival(&vp->rxq);
}

/*
 * One frame to every member of a flood (from the wire: from =
 * FN_VNIC_NONE). The first member that takes it gets m itself, the others
 * clones sharing its data. @return true when some member kept m.
 */
static bool
flood(uint32_t head, uint32_t from, struct rte_mbuf *m, uint64_t now)
{
	struct fn_switch *sw = fnd.sw;
	bool kept = false;
	for (uint32_t id = fn_switch_flood_first(sw, head, from);
	     id != FN_VNIC_NONE; id = fn_switch_flood_next(sw, id, from)) {
		struct rte_mbuf *c = m;
		if (kept && (c = rte_pktmbuf_clone(m, fnd.pool)) == NULL) {
			sw->vnics[id].ctr[FN_VC_rx_drop_pool]++;
			continue;
		}
		if (rxq_offer(id, c, now))
			kept = true;
		else if (c != m)
			rte_pktmbuf_free(c);
	}
	return kept;
}

void
fnd_dp_vnic_flush(uint32_t id)
{
	struct fnd_vport *vp = &fnd.vports[id];
	void **items;
	uint64_t at;
	uint32_t n;
	while ((n = fn_fifo_run(&vp->rxq, &items, &at)) > 0) {
		struct rte_mbuf **pkts = (struct rte_mbuf **)items;
		for (uint32_t i = 0; i < n; i++)
			fn_switch_rx_discard(fnd.sw, id, rte_pktmbuf_pkt_len(pkts[i]),
					     FN_VC_rx_drop_not_connected);
		rte_pktmbuf_free_bulk(pkts, n);
		rxq_pop(vp, n);
	}
	fn_switch_rx_queue_empty(fnd.sw, id);
}

uint64_t
fnd_dp_rx_sojourn(uint32_t id, uint64_t now)
{
	const struct fnd_vport *vp = &fnd.vports[id];
	uint64_t ts = vp->rxq_head_ts;
	if (fnd.sw->vnics[id].rxq.held == 0 || ts > now)
		return 0;
	return now - ts;
}

/* ---- uplink receive: drain and classify ---------------------------------- */

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

/* Classify one frame from uplink u and queue it, or drop it. */
static inline void
rx_one(struct fnd_uplink *up, uint16_t u, struct rte_mbuf *m, uint64_t now,
       struct drops *d)
{
	uint32_t target;
	bool strip;

	if (up->csum_fix && kernel_frame_fixup(up, u, m)) {
		drop(d, m);
		return;
	}
	enum fn_verdict vd = fn_switch_rx_classify(fnd.sw, u, mdata(m),
						   rte_pktmbuf_pkt_len(m), &target, &strip);
	if (vd == FN_DROP) {
		drop(d, m);
		return;
	}
	if (strip)
		vlan_strip(m);
	bool kept = vd == FN_FLOOD ? flood(target, FN_VNIC_NONE, m, now)
				   : rxq_offer(target, m, now);
	if (!kept)
		drop(d, m);
}

/* @return frames read; *full: the port had more than RX_DRAIN bursts. */
static uint32_t
rx_drain(uint16_t u, uint64_t now, struct drops *d, bool *full)
{
	struct fnd_uplink *up = &fnd.uplinks[u];
	struct rte_mbuf *pkts[FND_BURST];
	uint32_t total = 0;

	for (int b = 0; b < RX_DRAIN; b++) {
		uint16_t n = rte_eth_rx_burst(up->port, 0, pkts, FND_BURST);
		for (uint16_t i = 0; i < n && i < 4; i++)
			rte_prefetch0(mdata(pkts[i]));
		for (uint16_t i = 0; i < n; i++) {
			if (i + 4 < n)
				rte_prefetch0(mdata(pkts[i + 4]));
			rx_one(up, u, pkts[i], now, d);
		}
		total += n;
		if (n < FND_BURST)
			return total;
	}
	*full = true;
	return total;
}

/* ---- delivery into guests ------------------------------------------------- */

/*
 * Copy n frames into vNIC id's guest; frames the guest's ring cannot take
 * are dropped and counted. Consumes the frames. @return frames delivered
 * (*bytes their size).
 */
static uint16_t
guest_deliver(uint32_t id, struct rte_mbuf **pkts, uint16_t n, uint64_t *bytes)
{
	struct fnd_vport *vp = &fnd.vports[id];
	struct fn_vnic *v = &fnd.sw->vnics[id];
	uint16_t sent = vp->ops->to_guest(vp, pkts, n, bytes);

	v->ctr[FN_VC_rx_packets] += sent;
	v->ctr[FN_VC_rx_bytes] += *bytes;
	v->ctr[FN_VC_rx_drop_guest_full] += n - sent;
	return sent;
}

/*
 * Take up to `budget` frames from the head of vNIC vp's queue into pkts
 * (the run that arrived first, then the next): a run whose delay is below
 * CoDel's target leaves at once; otherwise CoDel judges each frame, and
 * its victims are freed. @return frames taken.
 */
static uint32_t
rxq_take(uint32_t id, struct fnd_vport *vp, struct rte_mbuf **pkts, uint32_t budget,
	 uint64_t now)
{
	uint32_t n = 0, run;
	void **items;
	uint64_t at;

	while (n < budget && (run = fn_fifo_run(&vp->rxq, &items, &at)) > 0) {
		struct rte_mbuf **head = (struct rte_mbuf **)items;
		uint64_t sojourn = now > at ? now - at : 0, bytes = 0;
		if (run > budget - n)
			run = budget - n;
		for (uint32_t i = 0; i < run; i++) {
			bytes += rte_pktmbuf_pkt_len(head[i]);
			rte_prefetch0(mdata(head[i]));  /* the guest copy reads it next */
		}
		if (fn_switch_rx_dequeue_bulk(fnd.sw, id, run, bytes, now, sojourn)) {
			memcpy(pkts + n, head, run * sizeof(*pkts));
			n += run;
		} else {
			for (uint32_t i = 0; i < run; i++) {
				if (fn_switch_rx_dequeue(fnd.sw, id, rte_pktmbuf_pkt_len(head[i]),
							 now, sojourn))
					pkts[n++] = head[i];
				else
					rte_pktmbuf_free(head[i]);   /* CoDel's victim */
			}
		}
		rxq_pop(vp, run);
	}
	return n;
}

/*
 * Serve vNIC id: up to `budget` frames leave its queue through CoDel, and
 * the survivors are copied into the guest. *empty: the queue ran dry.
 * @return frames delivered (*bytes their size).
 */
static uint32_t
rxq_serve(uint32_t id, uint32_t budget, uint64_t now, uint64_t *bytes,
	  bool *empty)
{
	struct fnd_vport *vp = &fnd.vports[id];
	struct rte_mbuf *pkts[FND_BURST];

	*bytes = 0;
	if (!vp->ready) {
		fnd_dp_vnic_flush(id);      /* the guest left: nobody to wait for */
		*empty = true;
		return 0;
	}
	uint32_t n = rxq_take(id, vp, pkts, budget < FND_BURST ? budget : FND_BURST, now);
	*empty = fn_fifo_empty(&vp->rxq);
	moved += n;
	return n ? guest_deliver(id, pkts, (uint16_t)n, bytes) : 0;
}

static uint64_t hold_deadline = UINT64_MAX;    /* the earliest held frame's due time */

/*
 * Notification coalescing: may vNIC id's queue be delivered now, or does
 * it wait to be handed over with the next frames (fn_coalesce)? Never
 * held for a guest that does not want an interrupt (it polls).
 */
static bool
rxq_due(uint32_t id, uint64_t now)
{
	struct fn_vnic *v = &fnd.sw->vnics[id];
	struct fnd_vport *vp = &fnd.vports[id];
	uint64_t deadline;
	if (v->coal_conf.usecs == 0 || !vp->ready)
		return true;
	if (fn_coalesce_due(&v->coal, &v->coal_conf, now, v->rxq.held, vp->rxq_head_ts,
			    v->rxq.held && vp->ops->wants_irq(vp), &deadline))
		return true;
	if (deadline < hold_deadline)
		hold_deadline = deadline;
	return false;
}

/*
 * Spend up to *work frames of delivery on scheduler k's queues: guarantees
 * first, then weights, within ceilings and the uplink's rx-rate. Passes
 * repeat while they deliver; one cut short resumes in the next round.
 */
static void
rx_deliver(uint32_t k, uint64_t now, uint32_t *work)
{
	struct fn_sched *s = &fnd.sw->rx_sched[k];
	uint32_t id, budget, served = 1;

	while (*work > 0 && s->n_members > 0 && served > 0) {
		served = 0;
		fn_sched_begin(s, now);
		while (*work > 0 && (id = fn_sched_next(s, &budget)) != FN_SCHED_NONE) {
			uint64_t bytes;
			bool empty;
			if (budget > *work)
				budget = *work;
			if (!rxq_due(id, now)) {
				/* held: not offered again this round */
				fn_sched_done(s, id, 0, 0, true);
				continue;
			}
			uint32_t n = rxq_serve(id, budget, now, &bytes, &empty);
			work_spend(work, n);
			served += n;
			fn_sched_done(s, id, n, bytes, empty);
			if (empty)
				fn_switch_rx_queue_empty(fnd.sw, id);
		}
	}
}

/* ---- transmit ------------------------------------------------------------- */

/*
 * Hand what is queued for an uplink to its port. What the port does not
 * take stays queued, in order: nothing is dropped because the wire is busy.
 * @return free slots in the queue.
 */
static uint16_t
uplink_flush(struct fnd_uplink *up, uint16_t u)
{
	uint16_t n = up->n_pending;
	uint64_t *uc = fnd.sw->uplink_ctr[u];

	if (n == 0)
		return FND_PENDING;
	uint16_t done = rte_eth_tx_burst(up->port, 0, up->pending, n);
	if (done > 0) {
		up->stalled_since = 0;
		up->link_up = true;
	} else if (up->stalled_since == 0) {
		up->stalled_since = rte_rdtsc() | 1;
	} else if (rte_rdtsc() - up->stalled_since > rte_get_tsc_hz() / 10) {
		/* took nothing for 100 ms: link down, or nobody there */
		up->link_up = false;
	}
	for (uint16_t i = 0; i < done; i++)
		uc[FN_UC_tx_bytes] += rte_pktmbuf_pkt_len(up->pending[i]);
	uc[FN_UC_tx_packets] += done;
	if (done < n)
		memmove(up->pending, up->pending + done, (n - done) * sizeof(up->pending[0]));
	up->n_pending = n - done;
	return FND_PENDING - up->n_pending;
}

/* A frame counted in tx_packets did not leave after all: it moves to the
 * drop counter `why`, so that it is in exactly one counter. */
static inline void
tx_untake(struct fn_vnic *v, uint32_t len, enum fn_vnic_counter why)
{
	v->ctr[why]++;
	v->ctr[FN_VC_tx_packets]--;
	v->ctr[FN_VC_tx_bytes] -= len;
}

/* Queue a guest's frame for its uplink (there is room: the scheduler only
 * serves a guest while there is), adding the vNIC's VLAN tag. */
static void
uplink_queue(uint32_t id, struct rte_mbuf *m)
{
	struct fn_vnic *v = &fnd.sw->vnics[id];
	uint32_t len = rte_pktmbuf_pkt_len(m);
	struct fnd_uplink *up = &fnd.uplinks[v->uplink];

	if (v->vlan != FN_VLAN_NONE) {
		/* Shared data (a flood queued for local vNICs too) must not change. */
		if (rte_mbuf_refcnt_read(m) > 1) {
			struct rte_mbuf *c = rte_pktmbuf_copy(m, fnd.pool, 0, UINT32_MAX);
			rte_pktmbuf_free(m);
			m = c;
		}
		if (m != NULL)
			m->vlan_tci = v->vlan;
		if (m == NULL || rte_vlan_insert(&m) != 0) {
			/* no buffer for the tag: m's length is gone with it */
			tx_untake(v, len, FN_VC_tx_drop_uplink_full);
			fnd.sw->uplink_ctr[v->uplink][FN_UC_tx_drop_full]++;
			rte_pktmbuf_free(m);
			return;
		}
	}
	up->pending[up->n_pending++] = m;
}

/*
 * Take up to `budget` frames from vNIC id's guest and forward them.
 * @return frames taken; *bytes their size, *local_bytes those that stayed
 * on this host (not sent over the uplink).
 */
static uint32_t
tx_serve(uint32_t id, uint32_t budget, uint64_t now, uint64_t *bytes,
	 uint64_t *local_bytes)
{
	struct fn_switch *sw = fnd.sw;
	struct fnd_vport *vp = &fnd.vports[id];
	struct fn_vnic *v = &sw->vnics[id];
	struct rte_mbuf *pkts[FND_BURST], *gone[FND_BURST];
	uint16_t n, n_gone = 0;

	*bytes = *local_bytes = 0;
	n = vp->ops->from_guest(vp, fnd.pool, pkts, (uint16_t)budget);
	if (n) {
		vp->tx_last_busy = now;
		moved += n;
	}

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t len = rte_pktmbuf_pkt_len(m), target;
		*bytes += len;
		/* Frames come from a guest: a chained mbuf would make the
		 * header check read garbage, so linearize first. */
		if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0) {
			v->ctr[FN_VC_tx_drop_malformed]++;
			gone[n_gone++] = m;
			continue;
		}
		enum fn_verdict vd = fn_switch_tx_classify(sw, id, mdata(m), len, &target);
		if (vd == FN_DROP) {
			gone[n_gone++] = m;
			continue;
		}
		v->ctr[FN_VC_tx_packets]++;
		v->ctr[FN_VC_tx_bytes] += len;
		switch (vd) {
		case FN_DROP:
			break;
		case FN_TO_VNIC:
			*local_bytes += len;
			if (rxq_offer(target, m, now))
				local_queued++;
			else
				gone[n_gone++] = m;
			break;
		case FN_FLOOD: {
			/* local members get clones first; then the uplink */
			bool kept = flood(target, id, m, now);
			local_queued += kept;
			if (v->uplink != FN_UPLINK_NONE && !fnd.uplinks[v->uplink].link_up) {
				/* the local members got it; the wire could not */
				*local_bytes += len;
				if (!kept)
					gone[n_gone++] = m;
			} else if (v->uplink != FN_UPLINK_NONE) {
				if (kept)
					rte_mbuf_refcnt_update(m, 1);
				uplink_queue(id, m);
			} else if (!kept) {
				gone[n_gone++] = m;
			}
			break;
		}
		case FN_TO_UPLINK:
			if (!fnd.uplinks[v->uplink].link_up) {
				/* a guest must not wait for a wire that is not there */
				tx_untake(v, len, FN_VC_tx_drop_no_uplink);
				*local_bytes += len;    /* never used the link */
				gone[n_gone++] = m;
				break;
			}
			uplink_queue(id, m);
			break;
		}
	}
	if (n_gone)
		rte_pktmbuf_free_bulk(gone, n_gone);
	return n;
}

/* ---- the polled set -------------------------------------------------------- */

/*
 * vNIC id's guest (one that can kick, on transmit scheduler k) had nothing
 * to send for TX_IDLE_US: it leaves the polled set and its kicks are
 * turned on. Frames it posted meanwhile keep it in (checked after turning
 * kicks on, so a frame posted in between is not missed).
 */
static void
tx_sleep(uint32_t id, uint32_t k, uint64_t now)
{
	struct fnd_vport *vp = &fnd.vports[id];
	if (vp->tx_asleep || vp->kickfd < 0 || vp->ops->tx_kicks == NULL ||
	    now - vp->tx_last_busy < rte_get_tsc_hz() / 1000000 * TX_IDLE_US)
		return;
	vp->ops->tx_kicks(vp, true);
	if (vp->ops->tx_pending(vp)) {
		vp->ops->tx_kicks(vp, false);
		vp->tx_last_busy = now;
		return;
	}
	fn_sched_sleep(&fnd.sw->tx_sched[k], id);
	vp->tx_asleep = true;
	n_tx_asleep++;
}

/* vNIC id's guest kicked (or is going): back into the polled set. */
static void
tx_wake(uint32_t id, uint64_t now)
{
	struct fnd_vport *vp = &fnd.vports[id];
	if (!vp->tx_asleep)
		return;
	vp->tx_asleep = false;
	n_tx_asleep--;
	vp->tx_last_busy = now;
	if (vp->ready) {        /* asleep: its backend has kicks (tx_sleep) */
		vp->ops->tx_kicks(vp, false);
		fn_sched_wake(&fnd.sw->tx_sched[fn_switch_sched_index(fnd.sw,
					fnd.sw->vnics[id].uplink)], id);
	}
}

void
fnd_dp_vnic_kickfd(uint32_t id, int fd)
{
	struct fnd_vport *vp = &fnd.vports[id];
	tx_wake(id, rte_rdtsc());
	if (vp->kickfd >= 0)
		(void)epoll_ctl(fnd.epfd, EPOLL_CTL_DEL, vp->kickfd, NULL);
	vp->kickfd = -1;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = WAKE_TAG(WAKE_KICK, id) };
	/* edge-triggered: a kick wakes us once; the vhost library owns the fd */
	if (fd >= 0 && fnd.idle_conf.mode != FN_IDLE_BUSY &&
	    epoll_ctl(fnd.epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
		vp->kickfd = fd;
}

/* Handle what woke the worker (round lock held). */
static void
wake_events(const struct epoll_event *ev, int n, uint64_t now)
{
	for (int i = 0; i < n; i++) {
		uint64_t tag = ev[i].data.u64;
		uint32_t id = (uint32_t)tag;
		if (tag >> 32 == WAKE_KICK && id < fnd.sw->max_vnics && fnd.vports[id].in_use)
			tx_wake(id, now);
		else if (tag >> 32 == WAKE_CTL)
			(void)eventfd_read(fnd.ctl_wake, &(eventfd_t){ 0 });
	}
}

/* Kicks of guests outside the polled set, without waiting (lock held). */
static void
read_kicks(uint64_t now)
{
	struct epoll_event ev[64];
	int n = epoll_wait(fnd.epfd, ev, RTE_DIM(ev), 0);
	if (n > 0)
		wake_events(ev, n, now);
}

/* Turn the uplinks' receive interrupts on (the fd of a vhost uplink
 * changes when its peer reconnects). @return false when some uplink cannot
 * wake us: then the worker sleeps by the clock. */
static bool
uplinks_arm(void)
{
	for (uint16_t u = 0; u < fnd.n_uplinks; u++) {
		struct fnd_uplink *up = &fnd.uplinks[u];
		int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(up->port, 0);
		if (fd < 0)
			return false;
		if (fd != up->intr_fd) {
			struct epoll_event ev = { .events = EPOLLIN | EPOLLET,
						  .data.u64 = WAKE_TAG(WAKE_UPLINK, u) };
			if (up->intr_fd >= 0)
				(void)epoll_ctl(fnd.epfd, EPOLL_CTL_DEL, up->intr_fd, NULL);
			up->intr_fd = -1;
			if (epoll_ctl(fnd.epfd, EPOLL_CTL_ADD, fd, &ev) != 0 && errno != EEXIST)
				return false;
			up->intr_fd = fd;
		}
		if (rte_eth_dev_rx_intr_enable(up->port, 0) != 0)
			return false;
	}
	return true;
}

static void
uplinks_disarm(void)
{
	for (uint16_t u = 0; u < fnd.n_uplinks; u++)
		(void)rte_eth_dev_rx_intr_disable(fnd.uplinks[u].port, 0);
}

/*
 * Take up to *work frames from scheduler k's guests while the uplink (if
 * any) has room. Passes repeat while they take frames.
 */
static void
tx_service(uint32_t k, uint64_t now, uint32_t *work)
{
	struct fn_sched *s = &fnd.sw->tx_sched[k];
	struct fnd_uplink *up = k < fnd.n_uplinks ? &fnd.uplinks[k] : NULL;
	uint32_t id, budget, served = 0;

	if (s->n_members == 0)
		return;
	/* A stalled uplink with nothing queued gets a new try every 100 ms:
	 * up to a queue's worth of frames wait for it again. */
	if (up != NULL && !up->link_up && up->n_pending == 0 &&
	    now - up->stalled_since > rte_get_tsc_hz() / 10) {
		up->link_up = true;
		up->stalled_since = 0;
	}
	fn_sched_begin(s, now);
	while (*work > 0) {
		uint32_t room = FND_BURST;
		if (up != NULL && up->link_up) {
			room = FND_PENDING - up->n_pending;
			if (room < FND_BURST)
				room = uplink_flush(up, (uint16_t)k);
			if (room == 0)
				break;  /* the port is busy: frames wait in the guests */
		}
		if ((id = fn_sched_next(s, &budget)) == FN_SCHED_NONE) {
			if (served == 0)
				break;
			served = 0;             /* another pass */
			fn_sched_begin(s, now);
			continue;
		}
		if (budget > room)
			budget = room;
		if (budget > *work)
			budget = *work;
		uint64_t bytes, local_bytes;
		uint32_t n = tx_serve(id, budget, now, &bytes, &local_bytes);
		fn_sched_done(s, id, n, bytes, n < budget);
		if (n == 0 && fnd.idle_conf.mode != FN_IDLE_BUSY)
			tx_sleep(id, k, now);
		if (local_bytes)
			fn_sched_refund(s, local_bytes);
		served += n;
		work_spend(work, n);
	}
}

void
fnd_dp_vnic_ready(uint32_t id, bool ready)
{
	struct fnd_vport *vp = &fnd.vports[id];
	/* kickless: polled always, so the worker never blocks while it is ready */
	bool kickless = ready && (vp->kickfd < 0 || vp->ops->tx_kicks == NULL);
	if (kickless != vp->kickless)
		n_kickless_ready += kickless ? 1 : (uint32_t)-1;
	vp->kickless = kickless;
	if (!ready)
		tx_wake(id, 0);         /* out of the sleepers' count */
	vp->ready = ready;
	vp->tx_last_busy = rte_rdtsc();
	fn_switch_vnic_ready(fnd.sw, id, ready);
}

/*
 * The round's work, in frames, so that neither direction starves the
 * other when the core is the bottleneck: each direction may do a burst per
 * flow with something to do, and as much as the other direction did.
 * Delivery may copy everything the drain read while the ports keep up.
 * When a port holds more than a round's drain (the core is saturated) and
 * more than one vNIC has frames waiting, delivery's share of the drained
 * frames shrinks (by 1/8 per such round, down to 1/4) and grows back
 * slowly once the drain keeps up (with one vNIC there is nobody to be
 * fair to, and every copy counts): the core
 * then goes to draining, so the receive queues, not the shared wire rings,
 * take the excess, and the schedulers' guarantees and weights decide who
 * loses it.
 */
/*
 * Sleep up to `cycles` on the wake-up sources (blocked or timed alike: a
 * kick, an interrupt or the control plane ends it), then handle what woke
 * us and turn the uplinks' interrupts off again.
 */
static void
idle_wait(uint64_t cycles, bool *armed)
{
	struct epoll_event ev[64];
	uint64_t ns = cycles * 1000000000ull / rte_get_tsc_hz();
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull),
			       .tv_nsec = (long)(ns % 1000000000ull) };
	int n = epoll_pwait2(fnd.epfd, ev, RTE_DIM(ev), &ts, NULL);
	rte_ticketlock_lock(&fnd.round);
	if (n > 0)
		wake_events(ev, n, rte_rdtsc());
	if (*armed) {
		uplinks_disarm();
		*armed = false;
	}
	rte_ticketlock_unlock(&fnd.round);
}

#define SHARE_ONE 1024
#define SHARE_MIN (SHARE_ONE / 4)

int
fnd_dp_worker(void *arg)
{
	(void)arg;
	struct fn_switch *sw = fnd.sw;
	const uint32_t local = sw->max_uplinks;
	static struct drops d;
	uint32_t share = SHARE_ONE;     /* of what was drained, what to deliver */
	const uint64_t kick_every = rte_get_tsc_hz() / 1000000 * KICK_CHECK_US;
	uint64_t next_kicks = 0;
	struct fn_idle idle;
	bool armed = false;             /* uplink interrupts on: the last poll before a block */

	fn_idle_init(&idle, &fnd.idle_conf);
	while (!fnd.quit) {
		rte_ticketlock_lock(&fnd.round);
		uint64_t now = rte_rdtsc();
		if (n_tx_asleep > 0 && now >= next_kicks) {
			read_kicks(now);
			next_kicks = now + kick_every;
		}
		uint32_t drained = 0, awake_rx = sw->rx_sched[local].n_members,
			 awake_tx = sw->tx_sched[local].n_members;
		bool full = false;
		offers = 0;
		moved = 0;
		for (uint16_t u = 0; u < fnd.n_uplinks; u++) {
			drained += rx_drain(u, now, &d, &full);
			awake_rx += sw->rx_sched[u].n_members;
			awake_tx += sw->tx_sched[u].n_members;
		}
		if (d.n) {
			rte_pktmbuf_free_bulk(d.m, d.n);
			d.n = 0;
		}
		uint32_t rx_offers = offers;
		/* saturated: shift the core from copying to draining */
		share = full && awake_rx > 1
			? (share * 7 / 8 > SHARE_MIN ? share * 7 / 8 : SHARE_MIN)
			: (share + 4 < SHARE_ONE ? share + 4 : SHARE_ONE);
		uint32_t rx_work = (uint32_t)(((uint64_t)drained * share) / SHARE_ONE);
		if (rx_work < awake_rx * FND_BURST)
			rx_work = awake_rx * FND_BURST;
		/* transmit may move as many frames as receive handled: a
		 * flood beyond the core does not take it from the guests */
		uint32_t tx_work = awake_tx * FND_BURST;
		if (tx_work < rx_work)
			tx_work = rx_work;
		if (tx_work < rx_offers)
			tx_work = rx_offers;
		local_queued = 0;
		for (uint32_t k = 0; k < fnd.n_uplinks && tx_work; k++)
			tx_service(k, now, &tx_work);
		if (tx_work)
			tx_service(local, now, &tx_work);
		rx_work += local_queued;    /* what the guests sent each other */
		for (uint32_t k = 0; k < fnd.n_uplinks && rx_work; k++)
			rx_deliver(k, now, &rx_work);
		if (rx_work)
			rx_deliver(local, now, &rx_work);
		bool waiting = chunks.n_free < chunks.size;     /* frames queued */
		for (uint16_t u = 0; u < fnd.n_uplinks; u++)
			if (fnd.uplinks[u].n_pending) {
				uplink_flush(&fnd.uplinks[u], u);
				waiting = true;
			}
		/* guests still polled that did not run dry: throttled by a ceiling */
		uint32_t polled_tx = sw->tx_sched[local].n_members;
		for (uint16_t u = 0; u < fnd.n_uplinks; u++)
			polled_tx += sw->tx_sched[u].n_members;
		waiting |= polled_tx > n_kickless_ready;
		uint64_t cycles;
		enum fn_idle_action a = fn_idle_round(&idle, &fnd.idle_conf, now, moved + drained,
						      waiting, n_kickless_ready == 0, hold_deadline, &cycles);
		hold_deadline = UINT64_MAX;
		if (a == FN_IDLE_BLOCK && !armed) {
			/* interrupts on, then one more poll: nothing slips between */
			armed = uplinks_arm();
			a = armed ? FN_IDLE_POLL : FN_IDLE_SLEEP;
			cycles = fnd.idle_conf.sleep_min;
		} else if (a != FN_IDLE_BLOCK && armed) {
			uplinks_disarm();
			armed = false;
		}
		rte_ticketlock_unlock(&fnd.round);
		if (a != FN_IDLE_POLL)
			idle_wait(cycles, &armed);
	}
	if (armed)
		uplinks_disarm();
	return 0;
}
