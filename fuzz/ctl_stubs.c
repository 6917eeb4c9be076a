/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon around fnd_ctl.c, minus DPDK, for fuzz/fuzz_ctl.c.
 *
 * fnd_ctl.c uses DPDK only through inline header functions (the ticket
 * lock, rte_rdtsc) and four library calls, which are defined here instead
 * of linking DPDK: rte_eth_macaddr_get, rte_eth_link_get_nowait and
 * rte_mempool_in_use_count answer for the two fake uplinks and the fake
 * pool; the backend hooks of fnd.h (fnd_vhost_add/del, fnd_tap_add/del,
 * really in fnd_vhost.c) keep a registry of the vhost-user sockets and tap
 * ports the daemon believes it created, which the harness compares with
 * the vNIC table after every request.
 *
 * The backends are deterministic: adding one whose path or interface name
 * contains "fail" fails (with fnd_vhost.c's message, the path quoted as
 * it is), so the rollback of `vnic add` is reached. Misuse by the caller
 * that would go unnoticed in the real daemon is a finding here and traps:
 * registering a socket or tap twice, removing one that is not registered,
 * or calling a backend hook while holding the round lock (fnd_vhost_del
 * waits for DPDK's vhost thread, which takes that lock: a deadlock).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include "fnd.h"

/* Interface with fuzz_ctl.c (no header: the harness is these two files). */
void stub_reset(void);
struct rte_mempool *stub_pool(void);
uint32_t stub_vhost_count(void);
int stub_vhost_find(const char *path);
uint32_t stub_tap_count(void);
int stub_tap_registered(uint32_t id);

#define STUB_MAX_SOCKETS 64

struct fnd fnd;

static struct rte_mempool stub_mempool = { .name = "fn_mbufs", .size = 8191 };
static char vhost_paths[STUB_MAX_SOCKETS][FN_PATH_MAX];
static uint32_t n_vhost;
static uint8_t tap_on[FND_MAX_VNICS];
static uint32_t n_tap;

#define STUB_CHECK(c)                                                          \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "%s:%d: backend misuse: %s\n",         \
				__FILE__, __LINE__, #c);                       \
			abort();                                               \
		}                                                              \
	} while (0)

void
stub_reset(void)
{
	n_vhost = 0;
	n_tap = 0;
	memset(tap_on, 0, sizeof(tap_on));
}

struct rte_mempool *
stub_pool(void)
{
	return &stub_mempool;
}

uint32_t
stub_vhost_count(void)
{
	return n_vhost;
}

/* Index of a registered socket path, or -1. */
int
stub_vhost_find(const char *path)
{
	for (uint32_t i = 0; i < n_vhost; i++)
		if (strcmp(vhost_paths[i], path) == 0)
			return (int)i;
	return -1;
}

uint32_t
stub_tap_count(void)
{
	return n_tap;
}

int
stub_tap_registered(uint32_t id)
{
	return id < FND_MAX_VNICS && tap_on[id];
}

/* ---- backends (fnd.h; the real ones are in fnd_vhost.c) ----------------- */

int
fnd_vhost_add(const char *path, char *err, size_t len)
{
	STUB_CHECK(!rte_ticketlock_is_locked(&fnd.round));
	STUB_CHECK(path[0] != '\0' && strlen(path) < FN_PATH_MAX);
	STUB_CHECK(stub_vhost_find(path) < 0);
	if (strstr(path, "fail") != NULL || n_vhost == STUB_MAX_SOCKETS) {
		snprintf(err, len, "cannot create vhost-user socket %s", path);
		return -1;
	}
	memcpy(vhost_paths[n_vhost++], path, strlen(path) + 1);
	return 0;
}

void
fnd_vhost_del(const char *path)
{
	int i = stub_vhost_find(path);

	STUB_CHECK(!rte_ticketlock_is_locked(&fnd.round));
	STUB_CHECK(i >= 0);
	memmove(vhost_paths[i], vhost_paths[i + 1],
		(n_vhost - (uint32_t)i - 1) * sizeof(vhost_paths[0]));
	n_vhost--;
}

int
fnd_tap_add(uint32_t id, const char *ifname, char *err, size_t len)
{
	STUB_CHECK(!rte_ticketlock_is_locked(&fnd.round));
	STUB_CHECK(id < fnd.sw->max_vnics && !tap_on[id]);
	if (strstr(ifname, "fail") != NULL) {
		snprintf(err, len, "cannot create tap %s", ifname);
		return -1;
	}
	tap_on[id] = 1;
	n_tap++;
	fnd.vports[id].port = (uint16_t)(100 + id);   /* as fnd_vhost.c does */
	return 0;
}

void
fnd_tap_del(uint32_t id)
{
	STUB_CHECK(!rte_ticketlock_is_locked(&fnd.round));
	STUB_CHECK(id < fnd.sw->max_vnics && tap_on[id]);
	STUB_CHECK(fnd.vports[id].port == 100 + id);
	tap_on[id] = 0;
	n_tap--;
}

/* ---- DPDK library calls of fnd_ctl.c ------------------------------------ */

/* Port 0 (up0) has a MAC and a link; port 1 (up1) has neither. */
int
rte_eth_macaddr_get(uint16_t port_id, struct rte_ether_addr *mac_addr)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0xff, 0 };

	if (port_id != 0)
		return -ENODEV;
	memcpy(mac_addr->addr_bytes, mac, sizeof(mac));
	return 0;
}

int
rte_eth_link_get_nowait(uint16_t port_id, struct rte_eth_link *link)
{
	memset(link, 0, sizeof(*link));
	if (port_id != 0)
		return -ENODEV;
	link->link_speed = RTE_ETH_SPEED_NUM_10G;
	link->link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
	link->link_status = RTE_ETH_LINK_UP;
	return 0;
}

unsigned int
rte_mempool_in_use_count(const struct rte_mempool *mp)
{
	STUB_CHECK(mp == &stub_mempool);
	return 1234;
}
