/* SPDX-License-Identifier: BSD-3-Clause */
/* fn_switch: control-path half of the switch (see fn_switch.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fn_switch.h"

struct fn_switch *
fn_switch_create(uint32_t max_vnics, uint16_t max_uplinks, uint64_t hz,
		 uint32_t max_frame)
{
	if (max_vnics == 0 || max_uplinks == 0 || max_uplinks == FN_UPLINK_NONE ||
	    hz == 0 || max_frame < FN_ETH_HLEN || max_frame > FN_SWITCH_MAX_FRAME)
		return NULL;
	struct fn_switch *sw = calloc(1, sizeof(*sw));
	if (sw == NULL)
		return NULL;
	sw->max_vnics = max_vnics;
	sw->max_uplinks = max_uplinks;
	sw->hz = hz;
	sw->max_frame = max_frame;
	/* One fib key per vNIC plus at most one domain head per vNIC. */
	sw->fib = fn_fib_create(2 * max_vnics);
	sw->vnics = aligned_alloc(64, sizeof(*sw->vnics) * max_vnics);
	sw->uplink_ctr = calloc(max_uplinks, sizeof(*sw->uplink_ctr));
	/* one scheduler per uplink and direction, and one for local vNICs */
	sw->rx_sched = calloc(max_uplinks + 1u, sizeof(*sw->rx_sched));
	sw->tx_sched = calloc(max_uplinks + 1u, sizeof(*sw->tx_sched));
	sw->rx_cap = calloc(max_uplinks + 1u, sizeof(*sw->rx_cap));
	sw->tx_cap = calloc(max_uplinks + 1u, sizeof(*sw->tx_cap));
	if (sw->fib == NULL || sw->vnics == NULL || sw->uplink_ctr == NULL ||
	    sw->rx_sched == NULL || sw->tx_sched == NULL || sw->rx_cap == NULL ||
	    sw->tx_cap == NULL) {
		fn_switch_free(sw);
		return NULL;
	}
	for (uint32_t i = 0; i <= max_uplinks; i++)
		if (fn_sched_init(&sw->rx_sched[i], max_vnics, hz) != 0 ||
		    fn_sched_init(&sw->tx_sched[i], max_vnics, hz) != 0) {
			fn_switch_free(sw);
			return NULL;
		}
	memset(sw->vnics, 0, sizeof(*sw->vnics) * max_vnics);
	fn_codel_params_default(&sw->codel, hz);
	sw->codel.mtu = max_frame;
	/* Until told the pool's size: room for every queue's reserve. */
	fn_switch_buffers(sw, 2 * max_vnics * FN_RXQ_RESERVE_MAX, 0);
	return sw;
}

void
fn_switch_free(struct fn_switch *sw)
{
	if (sw == NULL)
		return;
	fn_fib_free(sw->fib);
	for (uint32_t i = 0; i <= sw->max_uplinks; i++) {
		if (sw->rx_sched != NULL)
			fn_sched_free(&sw->rx_sched[i]);
		if (sw->tx_sched != NULL)
			fn_sched_free(&sw->tx_sched[i]);
	}
	free(sw->rx_sched);
	free(sw->tx_sched);
	free(sw->rx_cap);
	free(sw->tx_cap);
	free(sw->vnics);
	free(sw->uplink_ctr);
	free(sw);
}

static uint64_t
max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* A vNIC's two flows. Policing replaces the receive ceiling: the buckets
 * drop at arrival, so the scheduler has nothing left to hold back. */
static void
sched_confs(const struct fn_vnic_conf *c, struct fn_sched_conf *rx,
	    struct fn_sched_conf *tx)
{
	*rx = (struct fn_sched_conf){
		.min = c->rx_min, .weight = c->rx_weight,
		.ceil = c->rx_police ? 0 : c->rx_rate, .ceil_burst = c->rx_burst,
		.ceil_pps = c->rx_police ? 0 : c->rx_pps,
		.ceil_pps_burst = c->rx_pps_burst };
	*tx = (struct fn_sched_conf){
		.min = c->tx_min, .weight = c->tx_weight,
		.ceil = c->tx_rate, .ceil_burst = c->tx_burst,
		.ceil_pps = c->tx_pps, .ceil_pps_burst = c->tx_pps_burst };
}

/* A set as fn_ipset_parse makes them: counts and lengths in range, no
 * host bits below a prefix's length (fn_l3 matches whole words), any
 * means empty. */
static bool
ipset_ok(const struct fn_ipset *s)
{
	if (s->n4 > FN_L3_MAX_PREFIXES || s->n6 > FN_L3_MAX_PREFIXES ||
	    (!s->restricted && (s->n4 || s->n6)))
		return false;
	for (unsigned i = 0; i < s->n4; i++) {
		unsigned len = s->v4[i].len;
		if (len > 32 || (len < 32 && (s->v4[i].addr & (UINT32_MAX >> len))))
			return false;
	}
	for (unsigned i = 0; i < s->n6; i++) {
		unsigned len = s->v6[i].len;
		if (len > 128)
			return false;
		for (unsigned b = len; b < 128; b++)
			if (s->v6[i].addr[b / 8] & (0x80 >> (b % 8)))
				return false;
	}
	return true;
}

int
fn_switch_conf_check(const struct fn_switch *sw, struct fn_vnic_conf *c)
{
	if (c->mac == 0 || fn_mac_is_group(c->mac) || c->mac > FN_MAC_BCAST)
		return -EINVAL;
	if (c->vlan != FN_VLAN_NONE && (c->vlan == 0 || c->vlan > FN_VLAN_MAX))
		return -EINVAL;
	if (c->uplink != FN_UPLINK_NONE && c->uplink >= sw->max_uplinks)
		return -EINVAL;
	/* Bursts default to 10 ms of the rate, never less than a data-path
	 * burst of maximum frames, so a limit can never block every frame. */
	uint64_t min_bytes = 2 * (uint64_t)(sw->max_frame + FN_VLAN_HLEN);
	if (c->rx_burst == 0)
		c->rx_burst = max_u64(c->rx_rate / 8 / 100, min_bytes);
	if (c->tx_burst == 0)
		c->tx_burst = max_u64(c->tx_rate / 8 / 100, min_bytes);
	if (c->rx_pps_burst == 0)
		c->rx_pps_burst = max_u64(c->rx_pps / 100, 32);
	if (c->tx_pps_burst == 0)
		c->tx_pps_burst = max_u64(c->tx_pps / 100, 32);
	if (c->rx_rate && c->rx_burst < sw->max_frame + FN_VLAN_HLEN)
		return -EINVAL;   /* no frame could ever conform */
	if (c->tx_rate && c->tx_burst < sw->max_frame + FN_VLAN_HLEN)
		return -EINVAL;
	if (c->rx_weight == 0)
		c->rx_weight = 1;
	if (c->tx_weight == 0)
		c->tx_weight = 1;
	/* Room for 10 ms at the ceiling (without one, at 10 Gbit/s: more
	 * than a round's drain, so an unlimited vNIC's excess waits in the
	 * wire's ring instead of being read and dropped), never less than
	 * 256 KiB. The pool's threshold bounds what it really holds. */
	if (c->rx_queue == 0)
		c->rx_queue = max_u64((c->rx_rate ? c->rx_rate : FN_RXQ_UNLIMITED_RATE) /
				      8 / 1000 * FN_RXQ_DEFAULT_MS, FN_RXQ_DEFAULT_MIN);
	if (c->rx_queue < sw->max_frame + FN_VLAN_HLEN || c->rx_aqm > FN_AQM_TAIL)
		return -EINVAL;   /* not even one frame would fit */
	if (c->rx_coalesce_usecs > FN_COALESCE_USECS_MAX ||
	    c->rx_coalesce_frames > FN_COALESCE_FRAMES_MAX || !ipset_ok(&c->ip))
		return -EINVAL;
	struct fn_vnic_limits l;
	int rc = fn_switch_limits_build(sw, c, &l);
	if (rc)
		return rc;
	if (c->tx_rate && c->tx_burst > UINT64_MAX / 8)
		return -ERANGE;
	struct fn_sched_conf rx, tx;
	sched_confs(c, &rx, &tx);
	if ((rc = fn_sched_conf_check(&sw->rx_sched[0], &rx)) != 0 ||
	    (rc = fn_sched_conf_check(&sw->tx_sched[0], &tx)) != 0)
		return rc;
	return 0;
}

int
fn_switch_limits_build(const struct fn_switch *sw,
		       const struct fn_vnic_conf *c, struct fn_vnic_limits *l)
{
	int rc;
	/* Byte bursts become bits: 2^61 bytes and more would wrap. */
	if ((c->rx_rate && c->rx_burst > UINT64_MAX / 8) ||
	    (c->tx_rate && c->tx_burst > UINT64_MAX / 8))
		return -ERANGE;
	if ((rc = fn_tb_profile_init(&l->rx_bits, c->rx_rate, c->rx_burst * 8, sw->hz)) ||
	    (rc = fn_tb_profile_init(&l->rx_pkts, c->rx_pps, c->rx_pps_burst, sw->hz)))
		return rc;
	return 0;
}

/* ---- broadcast domains ---------------------------------------------- */

static int
domain_join(struct fn_switch *sw, uint32_t id)
{
	struct fn_vnic *v = &sw->vnics[id];
	uint32_t head = fn_fib_lookup(sw->fib, v->uplink, v->vlan, FN_MAC_BCAST);
	int rc = head == FN_FIB_MISS
		 ? fn_fib_add(sw->fib, v->uplink, v->vlan, FN_MAC_BCAST, id)
		 : fn_fib_replace(sw->fib, v->uplink, v->vlan, FN_MAC_BCAST, id);
	if (rc)
		return rc;
	v->dom_prev = FN_VNIC_NONE;
	v->dom_next = head == FN_FIB_MISS ? FN_VNIC_NONE : head;
	if (v->dom_next != FN_VNIC_NONE)
		sw->vnics[v->dom_next].dom_prev = id;
	return 0;
}

static void
domain_leave(struct fn_switch *sw, uint32_t id)
{
	struct fn_vnic *v = &sw->vnics[id];
	if (v->dom_next != FN_VNIC_NONE)
		sw->vnics[v->dom_next].dom_prev = v->dom_prev;
	if (v->dom_prev != FN_VNIC_NONE)
		sw->vnics[v->dom_prev].dom_next = v->dom_next;
	else if (v->dom_next != FN_VNIC_NONE)
		fn_fib_replace(sw->fib, v->uplink, v->vlan, FN_MAC_BCAST, v->dom_next);
	else
		fn_fib_del(sw->fib, v->uplink, v->vlan, FN_MAC_BCAST);
	v->dom_next = v->dom_prev = FN_VNIC_NONE;
}

/* Enter the fib under (uplink, vlan, mac) and the domain. All or nothing. */
static int
vnic_attach(struct fn_switch *sw, uint32_t id)
{
	struct fn_vnic *v = &sw->vnics[id];
	int rc = fn_fib_add(sw->fib, v->uplink, v->vlan, v->mac, id);
	if (rc)
		return rc;
	rc = domain_join(sw, id);
	if (rc)
		fn_fib_del(sw->fib, v->uplink, v->vlan, v->mac);
	return rc;
}

static void
vnic_detach(struct fn_switch *sw, uint32_t id)
{
	struct fn_vnic *v = &sw->vnics[id];
	domain_leave(sw, id);
	fn_fib_del(sw->fib, v->uplink, v->vlan, v->mac);
}

static void
vnic_set_addr(struct fn_vnic *v, const struct fn_vnic_conf *c)
{
	v->mac = c->mac;
	v->uplink = c->uplink;
	v->vlan = c->vlan;
}

/* ---- vNIC table ------------------------------------------------------- */

/* Enter vNIC id's flows in its uplink's schedulers, awake as given. */
static void
flows_join(struct fn_switch *sw, uint32_t id, const struct fn_vnic_conf *c,
	   uint64_t now, bool rx_awake, bool tx_awake)
{
	struct fn_sched_conf rx, tx;
	uint32_t k = fn_switch_sched_index(sw, c->uplink);
	sched_confs(c, &rx, &tx);
	fn_sched_flow_set(&sw->rx_sched[k], id, &rx, now);
	fn_sched_flow_set(&sw->tx_sched[k], id, &tx, now);
	if (!rx_awake)
		fn_sched_sleep(&sw->rx_sched[k], id);
	if (!tx_awake)
		fn_sched_sleep(&sw->tx_sched[k], id);
}

static void
flows_leave(struct fn_switch *sw, uint32_t id, uint16_t uplink)
{
	uint32_t k = fn_switch_sched_index(sw, uplink);
	fn_sched_flow_del(&sw->rx_sched[k], id);
	fn_sched_flow_del(&sw->tx_sched[k], id);
}

/* The L3 guard's counters follow its verdicts' order. */
#define FN_L3_CTR_CHECK(V, C) \
	_Static_assert(FN_VC_tx_drop_ip_spoof + (FN_L3_##V - FN_L3_IP_SPOOF) == \
		       FN_VC_tx_drop_##C, "fn_l3 verdict " #V " vs counter " #C);
FN_L3_CTR_CHECK(IP_SPOOF, ip_spoof)
FN_L3_CTR_CHECK(ARP_SPOOF, arp_spoof)
FN_L3_CTR_CHECK(ND_SPOOF, nd_spoof)
FN_L3_CTR_CHECK(DHCP_SERVER, dhcp_server)
FN_L3_CTR_CHECK(RA, ra)
FN_L3_CTR_CHECK(MALFORMED, l3_malformed)

static void
l3_set(struct fn_vnic *v, const struct fn_vnic_conf *c)
{
	v->l3.mac = c->mac;
	v->l3.dhcp_server = c->dhcp_server;
	v->l3.ra = c->ra;
	v->l3.ip = c->ip;
	v->l3_guard = fn_l3_active(&v->l3);
}

static void
coal_set(struct fn_vnic *v, const struct fn_vnic_conf *c)
{
	v->coal_conf.usecs = (uint32_t)c->rx_coalesce_usecs;
	v->coal_conf.frames = (uint32_t)c->rx_coalesce_frames;
	v->coal_conf.adaptive = c->rx_coalesce_adaptive;
}

int
fn_switch_vnic_add(struct fn_switch *sw, struct fn_vnic_conf *c, uint64_t now,
		   uint32_t *id)
{
	int rc = fn_switch_conf_check(sw, c);
	if (rc)
		return rc;
	enum fn_dir dir;
	if (fn_switch_admission(sw, c, FN_VNIC_NONE, &dir))
		return -EDQUOT;
	uint32_t i;
	for (i = 0; i < sw->max_vnics && sw->vnics[i].in_use; i++)
		;
	if (i == sw->max_vnics)
		return -ENOSPC;
	struct fn_vnic *v = &sw->vnics[i];
	if (fn_buf_set_reserve(&sw->buf, &sw->vnics[i].rxq, sw->rxq_reserve) != 0)
		return -ENOSPC;
	struct fn_bufq q = sw->vnics[i].rxq;
	memset(v, 0, sizeof(*v));
	v->rxq = q;
	vnic_set_addr(v, c);
	rc = vnic_attach(sw, i);
	if (rc) {
		fn_buf_remove(&sw->buf, &v->rxq);
		return rc;
	}
	v->local = c->local;
	v->conf = *c;
	fn_switch_limits_build(sw, c, &v->lim);
	fn_tb_init(&v->rx_bits, &v->lim.rx_bits, now);
	fn_tb_init(&v->rx_pkts, &v->lim.rx_pkts, now);
	flows_join(sw, i, c, now, false, false);
	v->rx_police = c->rx_police;
	v->rx_aqm = c->rx_aqm;
	v->rxq.byte_limit = c->rx_queue;
	coal_set(v, c);
	l3_set(v, c);
	fn_coalesce_init(&v->coal, sw->hz, now);
	v->in_use = true;
	sw->n_vnics++;
	*id = i;
	return 0;
}

int
fn_switch_vnic_update(struct fn_switch *sw, uint32_t id,
		      struct fn_vnic_conf *c, uint64_t now)
{
	if (id >= sw->max_vnics || !sw->vnics[id].in_use)
		return -ENOENT;
	int rc = fn_switch_conf_check(sw, c);
	if (rc)
		return rc;
	enum fn_dir dir;
	if (fn_switch_admission(sw, c, id, &dir))
		return -EDQUOT;
	struct fn_vnic *v = &sw->vnics[id];
	uint16_t old_uplink = v->uplink;
	if (c->mac != v->mac || c->uplink != v->uplink || c->vlan != v->vlan) {
		/* Refuse a clash before detaching: re-attaching on failure would
		 * move the vNIC to the head of its domain list. */
		if (fn_fib_lookup(sw->fib, c->uplink, c->vlan, c->mac) != FN_FIB_MISS)
			return -EEXIST;
		struct fn_vnic_conf old = v->conf;
		vnic_detach(sw, id);
		vnic_set_addr(v, c);
		rc = vnic_attach(sw, id);
		if (rc) {
			/* Cannot fail: the old keys were just freed. */
			vnic_set_addr(v, &old);
			vnic_attach(sw, id);
			return rc;
		}
	}
	struct fn_vnic_limits l;
	fn_switch_limits_build(sw, c, &l);
	fn_tb_reprofile(&v->rx_bits, &v->lim.rx_bits, &l.rx_bits, now);
	fn_tb_reprofile(&v->rx_pkts, &v->lim.rx_pkts, &l.rx_pkts, now);
	v->lim = l;
	uint32_t k = fn_switch_sched_index(sw, old_uplink);
	if (c->uplink != old_uplink) {
		/* A new link: new flows there, awake as they were here. */
		bool rx_awake = sw->rx_sched[k].flows[id].awake;
		bool tx_awake = sw->tx_sched[k].flows[id].awake;
		flows_leave(sw, id, old_uplink);
		flows_join(sw, id, c, now, rx_awake, tx_awake);
	} else {
		struct fn_sched_conf rx, tx;
		sched_confs(c, &rx, &tx);
		fn_sched_flow_set(&sw->rx_sched[k], id, &rx, now);
		fn_sched_flow_set(&sw->tx_sched[k], id, &tx, now);
	}
	v->rx_police = c->rx_police;
	v->rx_aqm = c->rx_aqm;
	v->rxq.byte_limit = c->rx_queue;    /* a queue above it just drains */
	coal_set(v, c);                     /* the rate estimate carries over */
	l3_set(v, c);
	v->local = c->local;
	v->conf = *c;
	return 0;
}

/* The adapter empties a deleted vNIC's queue before this (its frames are
 * its own); whatever it still held is forgotten here. */
static void
rxq_forget(struct fn_switch *sw, struct fn_bufq *q)
{
	while (q->held)
		fn_buf_release(&sw->buf, q, 0);
	q->bytes = 0;
	fn_buf_remove(&sw->buf, q);
}

int
fn_switch_vnic_del(struct fn_switch *sw, uint32_t id)
{
	if (id >= sw->max_vnics || !sw->vnics[id].in_use)
		return -ENOENT;
	vnic_detach(sw, id);
	flows_leave(sw, id, sw->vnics[id].uplink);
	rxq_forget(sw, &sw->vnics[id].rxq);
	sw->vnics[id].in_use = false;
	sw->n_vnics--;
	return 0;
}

void
fn_switch_counters_reset(struct fn_switch *sw, uint32_t id)
{
	if (id != FN_VNIC_NONE) {
		if (id < sw->max_vnics) {
			memset(sw->vnics[id].ctr, 0, sizeof(sw->vnics[id].ctr));
			sw->vnics[id].rx_sojourn_max = 0;
		}
		return;
	}
	for (uint32_t i = 0; i < sw->max_vnics; i++) {
		memset(sw->vnics[i].ctr, 0, sizeof(sw->vnics[i].ctr));
		sw->vnics[i].rx_sojourn_max = 0;
	}
	memset(sw->uplink_ctr, 0, sizeof(*sw->uplink_ctr) * sw->max_uplinks);
}

/* ---- link sharing ------------------------------------------------------ */

int
fn_switch_buffers(struct fn_switch *sw, uint32_t total, uint32_t system)
{
	if (sw->n_vnics != 0)
		return -EBUSY;
	int rc = fn_buf_init(&sw->buf, total, system);
	if (rc)
		return rc;
	/* Half of what is left may be reserved, split over the whole table. */
	uint64_t r = (uint64_t)(total - system) / 2 / sw->max_vnics;
	sw->rxq_reserve = r > FN_RXQ_RESERVE_MAX ? FN_RXQ_RESERVE_MAX : (uint32_t)r;
	for (uint32_t i = 0; i < sw->max_vnics; i++)
		sw->vnics[i].rxq = (struct fn_bufq){ 0 };
	return 0;
}

uint64_t
fn_switch_min_sum(const struct fn_switch *sw, uint16_t uplink, enum fn_dir dir,
		  uint32_t except)
{
	uint64_t sum = 0;
	for (uint32_t i = 0; i < sw->max_vnics; i++) {
		const struct fn_vnic *v = &sw->vnics[i];
		if (v->in_use && i != except && v->uplink == uplink)
			sum += dir == FN_DIR_RX ? v->conf.rx_min : v->conf.tx_min;
	}
	return sum;
}

int
fn_switch_admission(const struct fn_switch *sw, const struct fn_vnic_conf *c,
		    uint32_t self, enum fn_dir *dir)
{
	if (c->uplink == FN_UPLINK_NONE)
		return 0;       /* no link to share: nothing to promise against */
	uint64_t rx_cap = sw->rx_cap[c->uplink], tx_cap = sw->tx_cap[c->uplink];
	if (c->rx_min && rx_cap &&
	    fn_switch_min_sum(sw, c->uplink, FN_DIR_RX, self) + c->rx_min > rx_cap) {
		*dir = FN_DIR_RX;
		return -EDQUOT;
	}
	if (c->tx_min && tx_cap &&
	    fn_switch_min_sum(sw, c->uplink, FN_DIR_TX, self) + c->tx_min > tx_cap) {
		*dir = FN_DIR_TX;
		return -EDQUOT;
	}
	return 0;
}

int
fn_switch_uplink_set(struct fn_switch *sw, uint16_t u, uint64_t rx_rate,
		     uint64_t tx_rate, uint64_t now)
{
	if (u >= sw->max_uplinks)
		return -EINVAL;
	if ((rx_rate && fn_switch_min_sum(sw, u, FN_DIR_RX, FN_VNIC_NONE) > rx_rate) ||
	    (tx_rate && fn_switch_min_sum(sw, u, FN_DIR_TX, FN_VNIC_NONE) > tx_rate))
		return -EDQUOT;
	/* All or nothing: on a refused tx-rate the receive bucket gets back
	 * its exact state, debt included (re-applying the old rate would
	 * refill it). */
	struct fn_sched *rs = &sw->rx_sched[u];
	const struct fn_tb rx_tb = rs->cap_tb;
	const struct fn_tb_profile rx_p = rs->cap_p;
	int rc = fn_sched_set_capacity(rs, rx_rate, now);
	if (rc)
		return rc;
	rc = fn_sched_set_capacity(&sw->tx_sched[u], tx_rate, now);
	if (rc) {
		rs->cap_tb = rx_tb;
		rs->cap_p = rx_p;
		return rc;
	}
	sw->rx_cap[u] = rx_rate;
	sw->tx_cap[u] = tx_rate;
	return 0;
}

void
fn_switch_vnic_ready(struct fn_switch *sw, uint32_t id, bool ready)
{
	if (id >= sw->max_vnics || !sw->vnics[id].in_use)
		return;
	struct fn_sched *s = &sw->tx_sched[fn_switch_sched_index(sw, sw->vnics[id].uplink)];
	if (ready)
		fn_sched_wake(s, id);
	else
		fn_sched_sleep(s, id);
}
