/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FND_VPORT_H
#define FND_VPORT_H
/*
 * fnd_vport: the backend side of each vNIC (its port: a vhost-user socket
 * or a tap), and the registry of them.
 *
 * The backends (fnd_vhost.c: vhost-user and tap) sit behind one table of
 * operations, struct fnd_backend_ops, so that the control plane and the
 * data plane never ask which kind a vNIC is. The data plane calls through
 * it once per burst, never per frame.
 *
 * The registry (fnd_vport.c) owns fnd.vports (indexed like the switch's
 * vNICs), the list of vNICs in use (fnd.active) and the map from vhost
 * device ids to vNICs (fnd.vid_vnic), through which the vhost library's
 * callbacks find their vNIC. It changes them only under the round lock.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "fn_cmd.h"
#include "fn_fifo.h"

struct rte_mbuf;
struct rte_mempool;
struct fnd_backend_ops;

/* The backend of one vNIC: how its frames reach the guest. */
struct fnd_vport {
	bool in_use;
	bool ready;                     /* guest attached: data plane may use it */
	enum fn_backend type;
	const struct fnd_backend_ops *ops;  /* fnd_backend_of(type) */
	char name[FN_NAME_MAX];
	char path[FN_PATH_MAX];         /* vhost-user socket or tap ifname */
	int vid;                        /* vhost device id, -1 if none */
	uint32_t mode;                  /* vhost-user socket mode */
	char group[FN_NAME_MAX];        /* vhost-user socket group, "" = none */
	uint64_t tap_drops_base[2];     /* fnd_extstats baseline at the last reset */
	uint16_t port;                  /* ethdev port of a tap backend */
	/* Receive queue (data plane only): frames wait here for the
	 * scheduler, grouped by the round they arrived in (fn_fifo). */
	struct fn_fifo rxq;
	volatile uint64_t rxq_head_ts;  /* arrival of the head (TSC), for stats */
	/* Transmit polling (data plane only): a guest whose ring stays empty
	 * leaves the polled set, and its kick (kickfd in fnd.epfd) brings it
	 * back. */
	int kickfd;                     /* the guest's transmit kick, -1 if none */
	bool kickless;                  /* counted ready without a kick fd: polled always */
	bool event_idx;                 /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool tx_asleep;
	uint64_t tx_last_busy;          /* TSC of its last frame */
};

/* What a kind of backend does; one constant instance per kind. */
struct fnd_backend_ops {
	const char *name;               /* as `vnic show` names it */
	/* Its path is a UNIX socket fairnicd creates: given in canonical form
	 * and with a mode and group (which other backends refuse). */
	bool has_socket;
	/* No guest to wait for: the vNIC is ready as soon as it is added.
	 * Otherwise the backend marks it ready when its guest attaches. */
	bool ready_when_added;

	/* Control thread, never under the round lock (slow work). */
	/* Create vNIC id's port as vp says (path, mode; gid (gid_t)-1 keeps
	 * the daemon's group). @return 0, or -1 with one line in err. */
	int (*add)(uint32_t id, struct fnd_vport *vp, gid_t gid, char *err, size_t len);
	/* Remove the port of vNIC id; vp: the vNIC as it was. */
	void (*del)(uint32_t id, const struct fnd_vport *vp);
	/* The port's drops counted by the kernel (FND_TAP_DROPS of them, read
	 * by name: fnd_extstats.c); NULL when the kernel has none. */
	int (*kernel_drops)(const char *path, uint64_t *out);

	/* Data plane, round lock held: once per burst. */
	/* Hand n frames to the guest. Consumes all n: what the guest cannot
	 * take is freed. @return frames it took, *bytes their size. */
	uint16_t (*to_guest)(struct fnd_vport *vp, struct rte_mbuf **pkts, uint16_t n,
			     uint64_t *bytes);
	/* Take up to n frames the guest sent, into mbufs of pool. */
	uint16_t (*from_guest)(struct fnd_vport *vp, struct rte_mempool *pool,
			       struct rte_mbuf **pkts, uint16_t n);
	/* Does the guest want an interrupt for the next frames it gets? One
	 * that does not (it polls) never has its frames held (coalescing). */
	bool (*wants_irq)(const struct fnd_vport *vp);
	/* The guest's transmit kicks on or off, and whether its transmit ring
	 * holds frames. NULL when its guest cannot kick: the vNIC is then
	 * polled always, and the worker never blocks while it is ready (so is
	 * a vNIC whose kick fd is -1). */
	void (*tx_kicks)(struct fnd_vport *vp, bool on);
	bool (*tx_pending)(struct fnd_vport *vp);
	/* A backend ready when added: the fd that becomes readable when its
	 * guest sends (the kick fd), or -1; NULL for none. Round lock held. */
	int (*kick_fd)(struct fnd_vport *vp);
};

/* The operations of a kind of backend. */
const struct fnd_backend_ops *fnd_backend_of(enum fn_backend type);

/* Allocate the registry for a table of max_vnics (fnd_main.c, at start;
 * fini frees it). @return 0, or -1 when out of memory. */
int fnd_vport_init(uint32_t max_vnics);
void fnd_vport_fini(void);

/* Slot id, free, becomes vNIC `name` with a backend of `type` at `path`
 * (not created yet: ops->add, outside the lock), not ready. Round lock
 * held. @return the vport, to fill in. */
struct fnd_vport *fnd_vport_claim(uint32_t id, enum fn_backend type,
				  const char *name, const char *path);
/* Slot id is free again (round lock held; its receive queue flushed and
 * its kick fd dropped already). Its port is removed after: ops->del. */
void fnd_vport_release(uint32_t id);

/* The vNIC in use named `name`, or -1. */
int32_t fnd_vport_by_name(const char *name);
/* The vNIC whose backend of `type` is `path` (socket or ifname), or -1. */
int32_t fnd_vport_find(enum fn_backend type, const char *path);

/* vhost device vid serves vNIC id (-1: none). Round lock held. */
void fnd_vport_bind_vid(int vid, int32_t id);
/* The vNIC vhost device vid is bound to; -1 if none or vid is out of range. */
int32_t fnd_vport_by_vid(int vid);

#endif /* FND_VPORT_H */
