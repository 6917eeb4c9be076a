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
	if (sw->fib == NULL || sw->vnics == NULL || sw->uplink_ctr == NULL) {
		fn_switch_free(sw);
		return NULL;
	}
	memset(sw->vnics, 0, sizeof(*sw->vnics) * max_vnics);
	return sw;
}

void
fn_switch_free(struct fn_switch *sw)
{
	if (sw == NULL)
		return;
	fn_fib_free(sw->fib);
	free(sw->vnics);
	free(sw->uplink_ctr);
	free(sw);
}

static uint64_t
max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
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
	struct fn_vnic_limits l;
	return fn_switch_limits_build(sw, c, &l);
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
	    (rc = fn_tb_profile_init(&l->rx_pkts, c->rx_pps, c->rx_pps_burst, sw->hz)) ||
	    (rc = fn_tb_profile_init(&l->tx_bits, c->tx_rate, c->tx_burst * 8, sw->hz)) ||
	    (rc = fn_tb_profile_init(&l->tx_pkts, c->tx_pps, c->tx_pps_burst, sw->hz)))
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

int
fn_switch_vnic_add(struct fn_switch *sw, struct fn_vnic_conf *c, uint64_t now,
		   uint32_t *id)
{
	int rc = fn_switch_conf_check(sw, c);
	if (rc)
		return rc;
	uint32_t i;
	for (i = 0; i < sw->max_vnics && sw->vnics[i].in_use; i++)
		;
	if (i == sw->max_vnics)
		return -ENOSPC;
	struct fn_vnic *v = &sw->vnics[i];
	memset(v, 0, sizeof(*v));
	vnic_set_addr(v, c);
	rc = vnic_attach(sw, i);
	if (rc)
		return rc;
	v->local = c->local;
	v->conf = *c;
	fn_switch_limits_build(sw, c, &v->lim);
	fn_tb_init(&v->rx_bits, &v->lim.rx_bits, now);
	fn_tb_init(&v->rx_pkts, &v->lim.rx_pkts, now);
	fn_tb_init(&v->tx_bits, &v->lim.tx_bits, now);
	fn_tb_init(&v->tx_pkts, &v->lim.tx_pkts, now);
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
	struct fn_vnic *v = &sw->vnics[id];
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
	fn_tb_reprofile(&v->tx_bits, &v->lim.tx_bits, &l.tx_bits, now);
	fn_tb_reprofile(&v->tx_pkts, &v->lim.tx_pkts, &l.tx_pkts, now);
	v->lim = l;
	v->local = c->local;
	v->conf = *c;
	return 0;
}

int
fn_switch_vnic_del(struct fn_switch *sw, uint32_t id)
{
	if (id >= sw->max_vnics || !sw->vnics[id].in_use)
		return -ENOENT;
	vnic_detach(sw, id);
	sw->vnics[id].in_use = false;
	sw->n_vnics--;
	return 0;
}

void
fn_switch_counters_reset(struct fn_switch *sw, uint32_t id)
{
	if (id != FN_VNIC_NONE) {
		if (id < sw->max_vnics)
			memset(sw->vnics[id].ctr, 0, sizeof(sw->vnics[id].ctr));
		return;
	}
	for (uint32_t i = 0; i < sw->max_vnics; i++)
		memset(sw->vnics[i].ctr, 0, sizeof(sw->vnics[i].ctr));
	memset(sw->uplink_ctr, 0, sizeof(*sw->uplink_ctr) * sw->max_uplinks);
}
