/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon around fnd_ctl.c, minus DPDK, for fuzz/fuzz_ctl.c.
 *
 * fnd_ctl.c uses DPDK only through inline header functions (the ticket
 * lock, rte_rdtsc) and three library calls, which are defined here instead
 * of linking DPDK: rte_eth_macaddr_get, rte_eth_link_get_nowait and
 * rte_mempool_in_use_count answer for the two fake uplinks and the fake
 * pool; the backends of fnd.h (fnd_vhost_user_backend, fnd_tap_backend,
 * really in fnd_vhost.c: here their control half, add/del, with the
 * kernel drops of fnd_extstats.c) keep a registry of the vhost-user
 * sockets and tap ports the daemon believes it created, which the harness
 * compares with the vNIC table after every request. The vNIC registry
 * itself (fnd_vport.c) is linked as it is.
 *
 * fnd_sock.c is linked as it is (path canonicalization is part of what is
 * fuzzed) but for two functions, replaced with -Wl,--wrap: fnd_sock_perm
 * (the real one would chmod/chown whatever path the fuzzer made up) and
 * fnd_group_lookup (the real one asks NSS: results would depend on the
 * machine). Groups: root 0, kvm 36, fairnic 4000, nopriv 4242, or a
 * number; setting gid 4242 fails as chown(2) does for a non-member.
 *
 * The counters kept outside fairnic (fnd_extstats.c: an uplink port's
 * drops from ethdev, a tap's kernel drops from sysfs) are fakes too: they
 * grow with stub_tick(), which the harness calls when it plays the data
 * plane (up0's restart every 8 ticks, as after a port reset); up1's port
 * stats cannot be read, nor can a tap's whose name contains "ns" (as if
 * moved to another network namespace).
 *
 * Announcements of vNICs that moved (fnd_announce.c) are recorded, not
 * sent: which vNICs are pending, and how many times each was started;
 * starting one for a slot not in use, or under the round lock, traps.
 * fnd_now_ms() is a fake clock that moves with stub_tick().
 *
 * fnd_state.c is not linked: the daemon runs without --state and without
 * --config (so `config reload` is refused as the real one refuses it);
 * the writes of the state fnd_ctl.c asks for are counted.
 *
 * The data plane's hooks that fnd_ctl.c calls (fnd_dp.c) are stubs too:
 * fnd_dp_vnic_ready() does what the real one does (the vport's ready flag
 * and the switch's transmit flow); fnd_dp_vnic_flush() too (the queued
 * frames are discarded through the switch), given that the harness's
 * traffic queues frames of STUB_FRAME bytes only; both must be called
 * under the round lock, on a vNIC in use. fnd_dp_rx_sojourn() answers a
 * made-up wait, STUB_SOJOURN cycles per frame held, so that `stats` can
 * be checked against it.
 *
 * The backends are deterministic: adding one whose path or interface name
 * contains "fail", or with gid 4242, fails (with fnd_vhost.c's message,
 * the path quoted as it is), so the rollback of `vnic add` is reached.
 * Misuse by the caller that would go unnoticed in the real daemon is a
 * finding here and traps: registering a socket or tap twice, removing one
 * that is not registered, setting permissions on a socket that is not
 * ours, a mode above 0777, or calling a backend hook while holding the
 * round lock (vhost-user's del waits for DPDK's vhost thread, which takes
 * that lock: a deadlock; and slow work belongs outside it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <jansson.h>
#include "fnd.h"
#include "fnd_sock.h"

/* Interface with fuzz_ctl.c (no header: the harness is these two files). */
void stub_reset(void);
struct rte_mempool *stub_pool(void);
uint32_t stub_vhost_count(void);
int stub_vhost_find(const char *path);
int stub_vhost_perm(const char *path, uint32_t *mode, gid_t *gid);
int __wrap_fnd_sock_perm(const char *path, mode_t mode, gid_t gid, char *err,
			 size_t len);
int __wrap_fnd_group_lookup(const char *name, gid_t *gid, char *err, size_t len);
uint32_t stub_tap_count(void);
int stub_tap_registered(uint32_t id);
void stub_tick(void);
int stub_announce_state(uint32_t id, uint32_t *starts);
uint32_t stub_state_saves(void);

#define STUB_FRAME       100    /* bytes of every frame the harness queues */
#define STUB_SOJOURN     10000  /* cycles of wait per frame queued */
#define STUB_MAX_SOCKETS 64
#define STUB_GID_DENIED  4242   /* chown(2) to it fails */

struct fnd fnd;

static struct rte_mempool stub_mempool = { .name = "fn_mbufs", .size = 8191 };

/* The vhost-user sockets "created", with their mode and group. */
static struct {
	char path[FN_PATH_MAX];
	uint32_t mode;
	gid_t gid;              /* (gid_t)-1: the daemon's own */
} vhost[STUB_MAX_SOCKETS];
static uint32_t n_vhost;
static uint8_t tap_on[FND_MAX_VNICS];
static uint32_t n_tap;
static uint64_t ticks;
static bool announce_pending[FND_MAX_VNICS];
static uint32_t announce_starts[FND_MAX_VNICS];
static uint32_t state_saves;

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
	ticks = 0;
	state_saves = 0;
	memset(announce_pending, 0, sizeof(announce_pending));
	memset(announce_starts, 0, sizeof(announce_starts));
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
		if (strcmp(vhost[i].path, path) == 0)
			return (int)i;
	return -1;
}

/* Mode and group of a registered socket. @return 0, or -1 if none. */
int
stub_vhost_perm(const char *path, uint32_t *mode, gid_t *gid)
{
	int i = stub_vhost_find(path);

	if (i < 0)
		return -1;
	*mode = vhost[i].mode;
	*gid = vhost[i].gid;
	return 0;
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

static int
vhost_add(uint32_t id, struct fnd_vport *vp, gid_t gid, char *err, size_t len)
{
	const char *path = vp->path;
	uint32_t mode = vp->mode;

	STUB_CHECK(!rte_ticketlock_is_locked(&fnd.round));
	STUB_CHECK(vp == &fnd.vports[id] && vp->in_use);
	/* fnd_ctl.c passes the canonical path (fnd_sock_canon). */
	STUB_CHECK(path[0] == '/' && strlen(path) < FN_PATH_MAX);
	STUB_CHECK(mode <= 0777);
	STUB_CHECK(stub_vhost_find(path) < 0);
	if (strstr(path, "fail") != NULL || n_vhost == STUB_MAX_SOCKETS) {
		snprintf(err, len, "cannot create vhost-user socket %s", path);
		return -1;
	}
	if (gid == STUB_GID_DENIED) {
		snprintf(err, len, "%s: cannot set group %u: %s", path,
			 (unsigned)gid, strerror(EPERM));
		return -1;
	}
	memcpy(vhost[n_vhost].path, path, strlen(path) + 1);
	vhost[n_vhost].mode = mode;
	vhost[n_vhost].gid = gid;
	n_vhost++;
	return 0;
}

static void
vhost_del(uint32_t id, const struct fnd_vport *vp)
{
	int i = stub_vhost_find(vp->path);

	STUB_CHECK(!rte_ticketlock_is_locked(&fnd.round));
	STUB_CHECK(id < fnd.sw->max_vnics && !fnd.vports[id].in_use);
	STUB_CHECK(i >= 0);
	memmove(&vhost[i], &vhost[i + 1],
		(n_vhost - (uint32_t)i - 1) * sizeof(vhost[0]));
	n_vhost--;
}

static int
tap_add(uint32_t id, struct fnd_vport *vp, gid_t gid, char *err, size_t len)
{
	STUB_CHECK(!rte_ticketlock_is_locked(&fnd.round));
	STUB_CHECK(id < fnd.sw->max_vnics && !tap_on[id]);
	STUB_CHECK(vp == &fnd.vports[id] && vp->in_use);
	if (strstr(vp->path, "fail") != NULL) {
		snprintf(err, len, "cannot create tap %s", vp->path);
		return -1;
	}
	tap_on[id] = 1;
	n_tap++;
	vp->port = (uint16_t)(100 + id);   /* as fnd_vhost.c does */
	return 0;
}

static void
tap_del(uint32_t id, const struct fnd_vport *vp)
{
	STUB_CHECK(!rte_ticketlock_is_locked(&fnd.round));
	STUB_CHECK(id < fnd.sw->max_vnics && tap_on[id]);
	STUB_CHECK(!fnd.vports[id].in_use);
	STUB_CHECK(vp->port == 100 + id);
	tap_on[id] = 0;
	n_tap--;
}

/* fnd_vhost.c's tables, control half only: fnd_ctl.c never calls the data
 * plane's operations (NULL here, so a call would trap). */
const struct fnd_backend_ops fnd_vhost_user_backend = {
	.name = "vhost-user",
	.has_socket = true,
	.ready_when_added = false,
	.add = vhost_add,
	.del = vhost_del,
};

const struct fnd_backend_ops fnd_tap_backend = {
	.name = "tap",
	.has_socket = false,
	.ready_when_added = true,
	.add = tap_add,
	.del = tap_del,
	.kernel_drops = fnd_tap_kernel_drops,
};

/* ---- fnd_sock.c, wrapped ------------------------------------------------ */

int
__wrap_fnd_sock_perm(const char *path, mode_t mode, gid_t gid, char *err,
		     size_t len)
{
	int i = stub_vhost_find(path);

	STUB_CHECK(!rte_ticketlock_is_locked(&fnd.round));
	STUB_CHECK(i >= 0);
	STUB_CHECK(mode <= 0777);
	if (gid == STUB_GID_DENIED) {
		snprintf(err, len, "%s: cannot set group %u: %s", path,
			 (unsigned)gid, strerror(EPERM));
		return -1;
	}
	if (gid != (gid_t)-1)
		vhost[i].gid = gid;
	vhost[i].mode = mode;
	return 0;
}

int
__wrap_fnd_group_lookup(const char *name, gid_t *gid, char *err, size_t len)
{
	static const struct {
		const char *name;
		gid_t gid;
	} groups[] = {
		{ "root", 0 }, { "kvm", 36 }, { "fairnic", 4000 },
		{ "nopriv", STUB_GID_DENIED },
	};
	char *end;

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (strcmp(groups[i].name, name) == 0) {
			*gid = groups[i].gid;
			return 0;
		}
	}
	/* A number, as the real one takes it. */
	errno = 0;
	unsigned long v = strtoul(name, &end, 10);
	if (name[0] >= '0' && name[0] <= '9' && *end == '\0' && errno == 0 &&
	    v < UINT32_MAX) {
		*gid = (gid_t)v;
		return 0;
	}
	snprintf(err, len, "no group named \"%s\"", name);
	return -1;
}

/* ---- fnd_announce.c, fnd_now_ms() ---------------------------------------- */

/* Is vNIC `id` being announced; *starts: how many times it was started. */
int
stub_announce_state(uint32_t id, uint32_t *starts)
{
	*starts = announce_starts[id];
	return announce_pending[id];
}

void
fnd_announce_start(uint32_t id, uint64_t now_ms)
{
	STUB_CHECK(!rte_ticketlock_is_locked(&fnd.round));
	STUB_CHECK(id < fnd.sw->max_vnics && fnd.sw->vnics[id].in_use &&
		   fnd.vports[id].in_use);
	STUB_CHECK(now_ms == ticks * 10);
	announce_pending[id] = true;
	announce_starts[id]++;
}

void
fnd_announce_forget(uint32_t id)
{
	STUB_CHECK(id < fnd.sw->max_vnics);
	announce_pending[id] = false;
}

uint64_t
fnd_now_ms(void)
{
	return ticks * 10;
}

/* ---- fnd_extstats.c ----------------------------------------------------- */

void
stub_tick(void)
{
	ticks++;
}

int
fnd_uplink_port_drops(uint16_t u, uint64_t out[FND_PORT_DROPS])
{
	STUB_CHECK(u < fnd.n_uplinks);
	if (fnd.uplinks[u].port != 0)
		return -1;
	/* Restarts every 8 ticks, as if the port were reset: a value below
	 * the baseline taken at `stats reset` must not wrap. */
	for (int k = 0; k < FND_PORT_DROPS; k++)
		out[k] = (ticks % 8) * (uint64_t)(k + 1);
	return 0;
}

int
fnd_tap_kernel_drops(const char *ifname, uint64_t out[FND_TAP_DROPS])
{
	/* sysfs reads: slow work, never under the round lock. */
	STUB_CHECK(!rte_ticketlock_is_locked(&fnd.round));
	if (strstr(ifname, "ns") != NULL)
		return -1;
	for (int k = 0; k < FND_TAP_DROPS; k++)
		out[k] = ticks * (uint64_t)(k + 2) + strlen(ifname);
	return 0;
}

/* ---- fnd_state.c -------------------------------------------------------- */

bool
fnd_state_enabled(void)
{
	return false;
}

void
fnd_state_changed(void)
{
	/* outside the round lock: it writes a file */
	STUB_CHECK(!rte_ticketlock_is_locked(&fnd.round));
	state_saves++;
}

json_t *
fnd_state_reload(void)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error",
			 "config reload: fairnicd was started without --config");
}

uint32_t
stub_state_saves(void)
{
	return state_saves;
}

/* ---- fnd_dp.c ----------------------------------------------------------- */

void
fnd_dp_vnic_ready(uint32_t id, bool ready)
{
	STUB_CHECK(rte_ticketlock_is_locked(&fnd.round));
	STUB_CHECK(id < fnd.sw->max_vnics && fnd.sw->vnics[id].in_use);
	fnd.vports[id].ready = ready;
	fn_switch_vnic_ready(fnd.sw, id, ready);
}

void
fnd_dp_vnic_flush(uint32_t id)
{
	STUB_CHECK(rte_ticketlock_is_locked(&fnd.round));
	STUB_CHECK(id < fnd.sw->max_vnics && fnd.sw->vnics[id].in_use);
	struct fn_vnic *v = &fnd.sw->vnics[id];
	STUB_CHECK(v->rxq.bytes == (uint64_t)v->rxq.held * STUB_FRAME);
	while (v->rxq.held > 0)
		fn_switch_rx_discard(fnd.sw, id, STUB_FRAME, FN_VC_rx_drop_not_connected);
	fn_switch_rx_queue_empty(fnd.sw, id);
}

void
fnd_dp_vnic_kickfd(uint32_t id, int fd)
{
	STUB_CHECK(rte_ticketlock_is_locked(&fnd.round));
	STUB_CHECK(id < fnd.sw->max_vnics && fnd.sw->vnics[id].in_use);
	STUB_CHECK(fd == -1);                   /* fnd_ctl only ever takes it away */
	fnd.vports[id].kickfd = fd;
}

void
fnd_dp_wake(void)
{
}

uint64_t
fnd_dp_rx_sojourn(uint32_t id, uint64_t now)
{
	STUB_CHECK(id < fnd.sw->max_vnics && fnd.sw->vnics[id].in_use);
	return (uint64_t)fnd.sw->vnics[id].rxq.held * STUB_SOJOURN;
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
