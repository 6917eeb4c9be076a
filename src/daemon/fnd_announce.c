/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fnd_announce: sends fn_announce's RARP frames for vNICs that moved (new
 * uplink, VLAN or MAC), on the control thread, on QEMU's schedule. Each
 * round is built from the vNIC's configuration at that moment, so a vNIC
 * that moves again mid-way is announced where it is now (and its schedule
 * restarts). A frame is handed to the uplink's queue under the round lock,
 * between two polling rounds, when the worker has nothing pending there.
 */
#include <stdio.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include "fn_announce.h"
#include "fnd.h"

#define MAX_PENDING 256     /* vNICs being announced at once; more wait */

struct pending {
	bool active;
	uint32_t id;
	uint32_t done;          /* rounds sent */
	uint64_t due_ms;        /* when the next round goes */
};

static struct pending pend[MAX_PENDING];

void
fnd_announce_start(uint32_t id, uint64_t now_ms)
{
	struct pending *slot = NULL;
	for (int i = 0; i < MAX_PENDING; i++) {
		if (pend[i].active && pend[i].id == id) {
			slot = &pend[i];        /* moved again: start over */
			break;
		}
		if (!pend[i].active && slot == NULL)
			slot = &pend[i];
	}
	if (slot == NULL) {
		fprintf(stderr, "fairnicd: more than %d vNICs moving at once: vNIC %u not announced\n",
			MAX_PENDING, id);
		return;
	}
	*slot = (struct pending){ .active = true, .id = id, .done = 0, .due_ms = now_ms };
}

void
fnd_announce_forget(uint32_t id)
{
	for (int i = 0; i < MAX_PENDING; i++)
		if (pend[i].active && pend[i].id == id)
			pend[i].active = false;
}

static void
send_one(uint32_t id)
{
	const struct fn_vnic *v = &fnd.sw->vnics[id];
	if (!fnd.vports[id].in_use || v->uplink == FN_UPLINK_NONE)
		return;
	struct rte_mbuf *m = rte_pktmbuf_alloc(fnd.pool);
	if (m == NULL)
		return;
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, FN_ANNOUNCE_FRAME_MAX);
	if (d == NULL) {                /* an mbuf without 64 bytes of room */
		rte_pktmbuf_free(m);
		return;
	}
	uint32_t len = fn_announce_rarp(d, v->mac, v->vlan);
	rte_pktmbuf_trim(m, (uint16_t)(FN_ANNOUNCE_FRAME_MAX - len));
	uint16_t u = v->uplink;
	rte_ticketlock_lock(&fnd.round);
	uint16_t sent = rte_eth_tx_burst(fnd.uplinks[u].port, 0, &m, 1);
	fnd.sw->uplink_ctr[u][sent ? FN_UC_tx_announce : FN_UC_tx_drop_full]++;
	rte_ticketlock_unlock(&fnd.round);
	if (!sent)
		rte_pktmbuf_free(m);
}

int
fnd_announce_run(uint64_t now_ms)
{
	int64_t next = -1;
	for (int i = 0; i < MAX_PENDING; i++) {
		struct pending *p = &pend[i];
		if (!p->active)
			continue;
		if (p->due_ms <= now_ms) {
			send_one(p->id);
			if (++p->done == FN_ANNOUNCE_ROUNDS) {
				p->active = false;
				continue;
			}
			p->due_ms = now_ms + fn_announce_gap_ms(p->done);
		}
		int64_t wait = (int64_t)(p->due_ms - now_ms);
		if (next < 0 || wait < next)
			next = wait;
	}
	return (int)next;
}
