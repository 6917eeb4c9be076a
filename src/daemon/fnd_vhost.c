/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fnd_vhost: vNIC backends, each an instance of struct fnd_backend_ops
 * (fnd_vport.h). vhost-user (fairnicd is the server: one socket per vNIC,
 * QEMU / Cloud Hypervisor / any virtio-user connect as client) and tap (a
 * kernel tap interface through DPDK's net_tap PMD).
 *
 * A vhost guest comes and goes on DPDK's vhost thread: new_device marks
 * the vNIC's backend ready with its vid, destroy_device clears it, both
 * under the round lock so the worker never uses a vid that is going away.
 * The vNIC itself (MAC, limits, counters) outlives any number of guest
 * reconnects.
 *
 * Offloads: we turn off the checksum and segmentation offload features, so
 * a guest sends complete frames with valid checksums and never expects us
 * to complete a partial checksum. This keeps every frame valid on any
 * uplink and between guests, at the price of the guest computing its own
 * checksums; passing offloads through is future work.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/virtio_net.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_vhost.h>
#include "fnd.h"
#include "fnd_sock.h"

/* DPDK 22.11's vhost library watches all its sockets in one fdset of
 * 1024 entries (listening sockets and connections alike). */
#define VHOST_FDSET_SIZE 1024
#define VHOST_RXQ 0             /* the guest's receive virtqueue */
#define VHOST_TXQ 1             /* the guest's transmit virtqueue */

static unsigned int n_vhost_sockets;

#define OFFLOAD_FEATURES ((1ULL << VIRTIO_NET_F_CSUM) | \
	(1ULL << VIRTIO_NET_F_GUEST_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_TSO4) | \
	(1ULL << VIRTIO_NET_F_GUEST_TSO6) | (1ULL << VIRTIO_NET_F_GUEST_ECN) | \
	(1ULL << VIRTIO_NET_F_GUEST_UFO) | (1ULL << VIRTIO_NET_F_HOST_TSO4) | \
	(1ULL << VIRTIO_NET_F_HOST_TSO6) | (1ULL << VIRTIO_NET_F_HOST_ECN) | \
	(1ULL << VIRTIO_NET_F_HOST_UFO))

static int
on_new_device(int vid)
{
	char path[FN_PATH_MAX];
	int rc = -1;

	if (vid < 0 || vid >= FND_VHOST_MAX ||
	    rte_vhost_get_ifname(vid, path, sizeof(path)) != 0)
		return -1;
	/* We poll: tell the guest not to kick us (a kick is a syscall in the
	 * guest, or a VM exit, for every burst it posts). */
	for (uint16_t q = 0; q < rte_vhost_get_vring_num(vid); q++)
		rte_vhost_enable_guest_notification(vid, q, 0);
	rte_ticketlock_lock(&fnd.round);
	int32_t id = fnd_vport_find(FN_BACKEND_VHOST_USER, path);
	if (id >= 0) {
		struct rte_vhost_vring vr;
		uint64_t features = 0;
		fnd.vports[id].vid = vid;
		fnd.vports[id].event_idx = rte_vhost_get_negotiated_features(vid, &features) == 0 &&
					   (features & (1ULL << VIRTIO_RING_F_EVENT_IDX));
		fnd_dp_vnic_kickfd((uint32_t)id,
				   rte_vhost_get_vhost_vring(vid, VHOST_TXQ, &vr) == 0 ? vr.kickfd : -1);
		fnd_dp_vnic_ready((uint32_t)id, true);
		fnd_vport_bind_vid(vid, id);
		rc = 0;
	}
	rte_ticketlock_unlock(&fnd.round);
	RTE_LOG(INFO, USER1, "guest attached to %s (vid %d)%s\n", path, vid,
		rc ? ": no such vNIC" : "");
	return rc;
}

static void
on_destroy_device(int vid)
{
	if (vid < 0 || vid >= FND_VHOST_MAX)
		return;
	rte_ticketlock_lock(&fnd.round);
	int32_t id = fnd_vport_by_vid(vid);
	if (id >= 0 && fnd.vports[id].vid == vid) {
		fnd_dp_vnic_ready((uint32_t)id, false);
		fnd_dp_vnic_kickfd((uint32_t)id, -1);
		fnd_dp_vnic_flush((uint32_t)id);   /* counted: no guest connected */
		fnd.vports[id].vid = -1;
	}
	fnd_vport_bind_vid(vid, -1);
	rte_ticketlock_unlock(&fnd.round);
	RTE_LOG(INFO, USER1, "guest detached (vid %d)\n", vid);
}

/* Called by the vhost library on the worker, inside a round, each time it
 * kicks a guest's eventfd. */
static void
on_guest_notified(int vid)
{
	int32_t id = fnd_vport_by_vid(vid);
	if (id >= 0)
		fnd.sw->vnics[id].ctr[FN_VC_notifications]++;
}

static const struct rte_vhost_device_ops vhost_ops = {
	.new_device = on_new_device,
	.destroy_device = on_destroy_device,
	.guest_notified = on_guest_notified,
};

/* ---- vhost-user: control ------------------------------------------------- */

/* vp->path is canonical (fnd_sock_canon). */
static int
vhost_add(uint32_t id, struct fnd_vport *vp, gid_t gid, char *err, size_t len)
{
	const char *path = vp->path;

	/* A stale socket left by a previous run is removed; a live one, or
	 * anything else, is refused (fnd_sock.h). */
	if (fnd_sock_claim(path, err, len) != 0)
		return -1;
	if (n_vhost_sockets >= VHOST_FDSET_SIZE - 1) {
		snprintf(err, len, "DPDK's vhost library serves at most %u vhost-user sockets",
			 VHOST_FDSET_SIZE - 1);
		return -1;
	}
	if (rte_vhost_driver_register(path, 0) != 0) {
		snprintf(err, len, "cannot create vhost-user socket %s", path);
		return -1;
	}
	if (rte_vhost_driver_disable_features(path, OFFLOAD_FEATURES) != 0 ||
	    rte_vhost_driver_callback_register(path, &vhost_ops) != 0 ||
	    rte_vhost_driver_start(path) != 0) {
		rte_vhost_driver_unregister(path);
		snprintf(err, len, "cannot listen on vhost-user socket %s (directory missing or not writable, or DPDK's vhost fd limit of %u sockets+connections reached)",
			 path, VHOST_FDSET_SIZE);
		return -1;
	}
	/* Created under umask 0077 (fnd_main.c): now the mode asked for. */
	if (fnd_sock_perm(path, vp->mode, gid, err, len) != 0) {
		rte_vhost_driver_unregister(path);
		unlink(path);
		return -1;
	}
	n_vhost_sockets++;
	return 0;
}

static void
vhost_del(uint32_t id, const struct fnd_vport *vp)
{
	const char *path = vp->path;

	/* Unregister closes the connection (destroy_device runs, taking the
	 * round lock: the caller must not hold it). It is refused while the
	 * vhost thread is inside a callback of this socket, so retry. */
	for (int i = 0; i < 1000; i++) {
		if (rte_vhost_driver_unregister(path) != -EBUSY)
			break;
		usleep(1000);
	}
	unlink(path);
	n_vhost_sockets--;
}

/* ---- vhost-user: data plane --------------------------------------------- */

static uint16_t
vhost_to_guest(struct fnd_vport *vp, struct rte_mbuf **pkts, uint16_t n, uint64_t *bytes)
{
	uint16_t sent = rte_vhost_enqueue_burst(vp->vid, VHOST_RXQ, pkts, n);
	uint64_t b = 0;
	for (uint16_t i = 0; i < sent; i++)
		b += rte_pktmbuf_pkt_len(pkts[i]);
	rte_pktmbuf_free_bulk(pkts, n);         /* vhost copied them */
	*bytes = b;
	return sent;
}

static uint16_t
vhost_from_guest(struct fnd_vport *vp, struct rte_mempool *pool, struct rte_mbuf **pkts,
		 uint16_t n)
{
	return rte_vhost_dequeue_burst(vp->vid, VHOST_TXQ, pool, pkts, n);
}

/*
 * A guest that polls (Linux NAPI under load, a DPDK guest) has turned its
 * interrupts off. With event index, it wants one when its used_event has
 * not been passed yet.
 */
static bool
vhost_wants_irq(const struct fnd_vport *vp)
{
	struct rte_vhost_vring vr;
	if (rte_vhost_get_vhost_vring(vp->vid, VHOST_RXQ, &vr) != 0 || vr.avail == NULL)
		return false;
	if (vp->event_idx) {
		uint16_t used_event = vr.avail->ring[vr.size];
		return (uint16_t)(used_event - vr.used->idx) < 0x8000;
	}
	return !(vr.avail->flags & VRING_AVAIL_F_NO_INTERRUPT);
}

static void
vhost_tx_kicks(struct fnd_vport *vp, bool on)
{
	rte_vhost_enable_guest_notification(vp->vid, VHOST_TXQ, on);
}

static bool
vhost_tx_pending(struct fnd_vport *vp)
{
	return rte_vhost_rx_queue_count(vp->vid, VHOST_TXQ) > 0;
}

const struct fnd_backend_ops fnd_vhost_user_backend = {
	.name = "vhost-user",
	.has_socket = true,
	.ready_when_added = false,      /* on_new_device: when a guest attaches */
	.add = vhost_add,
	.del = vhost_del,
	.kernel_drops = NULL,
	.to_guest = vhost_to_guest,
	.from_guest = vhost_from_guest,
	.wants_irq = vhost_wants_irq,
	.tx_kicks = vhost_tx_kicks,
	.tx_pending = vhost_tx_pending,
};

/* ---- tap ------------------------------------------------------------------ */

static int
tap_add(uint32_t id, struct fnd_vport *vp, gid_t gid, char *err, size_t len)
{
	char devargs[128];
	uint16_t port;

	snprintf(devargs, sizeof(devargs), "net_tap_fn%u,iface=%s", id, vp->path);
	if (fnd_port_probe(devargs, &port, err, len) != 0)
		return -1;
	/* No receive interrupts: using the tap queue's fd as the vNIC's kick
	 * (tried) lost wake-ups now and then (a TCP transfer through an
	 * af_packet uplink stalled in 1 run of 3), so a tap vNIC stays polled
	 * and the worker sleeps by the clock while one exists. */
	if (fnd_port_start(port, fnd.pool, false, err, len) != 0) {
		fnd_port_remove(port);
		return -1;
	}
	vp->port = port;
	return 0;
}

static void
tap_del(uint32_t id, const struct fnd_vport *vp)
{
	fnd_port_remove(vp->port);
}

static uint16_t
tap_to_guest(struct fnd_vport *vp, struct rte_mbuf **pkts, uint16_t n, uint64_t *bytes)
{
	uint64_t b = 0;
	for (uint16_t i = 0; i < n; i++)        /* before the PMD frees them */
		b += rte_pktmbuf_pkt_len(pkts[i]);
	uint16_t sent = rte_eth_tx_burst(vp->port, 0, pkts, n);
	for (uint16_t i = sent; i < n; i++)
		b -= rte_pktmbuf_pkt_len(pkts[i]);
	if (sent < n)
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	*bytes = b;
	return sent;
}

static uint16_t
tap_from_guest(struct fnd_vport *vp, struct rte_mempool *pool, struct rte_mbuf **pkts,
	       uint16_t n)
{
	return rte_eth_rx_burst(vp->port, 0, pkts, n);   /* the port has its pool */
}

/* The kernel takes what it is given: nothing is ever held for a tap. */
static bool
tap_wants_irq(const struct fnd_vport *vp)
{
	return false;
}

const struct fnd_backend_ops fnd_tap_backend = {
	.name = "tap",
	.has_socket = false,
	.ready_when_added = true,
	.add = tap_add,
	.del = tap_del,
	.kernel_drops = fnd_tap_kernel_drops,
	.to_guest = tap_to_guest,
	.from_guest = tap_from_guest,
	.wants_irq = tap_wants_irq,
	.tx_kicks = NULL,               /* no kick: polled always (see below) */
	.tx_pending = NULL,
	.kick_fd = NULL,
};
