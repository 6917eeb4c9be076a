/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FND_H
#define FND_H
/*
 * fairnicd: shared state of the daemon's adapters.
 *
 * Threads:
 *  - the data-plane worker (one EAL worker lcore, fnd_dp.c) runs polling
 *    rounds: every uplink, then every vNIC with a live backend;
 *  - the control thread (the EAL main lcore, fnd_ctl.c) serves the control
 *    socket and applies commands;
 *  - DPDK's vhost thread calls our new/destroy_device callbacks;
 *  - fnd_state.c's SIGHUP thread only asks the control socket for
 *    `config reload` (the control thread does the work);
 *  - libmicrohttpd's thread (--metrics, fnd_metrics.c) and DPDK's telemetry
 *    threads (fnd_telemetry.c) only read, through fnd_ctl_read().
 *
 * The narrow interface between control and data plane is one fair
 * (ticket) lock, `round`: the worker holds it for one polling round at a
 * time (one burst per port; never per packet) and the control side takes
 * it only to swap a few words of state (a table entry, a limit profile, a
 * backend's vid). Slow work (socket registration, device probe) is done
 * outside it. So a control change is applied atomically between two
 * rounds: no packet ever sees half a configuration, and none is lost.
 */
#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>
#include <sys/types.h>
#include <rte_ticketlock.h>
#include "fn_cmd.h"
#include "fn_fifo.h"
#include "fn_idle.h"
#include "fn_switch.h"
#include "fnd_vport.h"

#define FND_MAX_UPLINKS  16
#define FND_MAX_VNICS    8192
#define FND_BURST        32
#define FND_VHOST_MAX    1024   /* RTE_MAX_VHOST_DEVICE of DPDK 22.11 */
#define FND_PENDING      (2 * FND_BURST)  /* an uplink's frames between flushes */
#define FND_RING_SIZE    1024   /* descriptors per port queue (fnd_port.c) */

struct fnd_uplink {
	char name[FN_NAME_MAX];
	char devargs[256];
	uint16_t port;
	uint16_t n_pending;             /* frames waiting for the port's queue */
	bool link_up;                   /* false once the port took nothing for 100 ms */
	int intr_fd;                    /* its receive interrupt in fnd.epfd, -1 if none */
	uint64_t stalled_since;         /* TSC of the first fruitless flush, 0 if none */
	struct rte_mbuf *pending[FND_PENDING];
	uint64_t drops_base[3];         /* fnd_extstats baseline at the last reset */
	uint64_t kernel_drops;          /* af_packet socket drops read so far */
	/* fnd_kif: an af_packet/af_xdp uplink's kernel interface */
	char ifname[IF_NAMESIZE];       /* "" when not a kernel socket uplink */
	bool csum_fix;                  /* finish partial checksums on receive */
	bool strips_vlan;               /* tags lost to rxvlan: no VLAN vNICs */
	bool truncation_told;           /* rx_drop_truncated explained in the log */
};

struct fnd {
	struct fn_switch *sw;
	/* The registry of vNICs' backends (fnd_vport.c). */
	struct fnd_vport *vports;       /* indexed like sw->vnics */
	uint32_t *active;               /* in-use vNIC ids, in id order */
	uint32_t n_active;
	int32_t vid_vnic[FND_VHOST_MAX];    /* vhost vid -> vNIC id */
	struct fnd_uplink uplinks[FND_MAX_UPLINKS];
	uint16_t n_uplinks;
	struct rte_mempool *pool;
	rte_ticketlock_t round;
	volatile bool quit;
	/* Adaptive polling (fnd_dp.c): the worker's wake-up sources. */
	struct fn_idle_conf idle_conf;
	int epfd;                       /* guests' kicks, uplink interrupts, ctl_wake */
	int ctl_wake;                   /* eventfd: the control plane changed something */
	unsigned int worker_lcore;
	/* Control plane settings (fairnicd options). */
	char ctl_path[FN_PATH_MAX];     /* canonical control socket path */
	uint32_t vhost_mode;            /* --vhost-mode, default 0660 */
	char vhost_group[FN_NAME_MAX];  /* --vhost-group, "" = the daemon's */
	char ctl_group[FN_NAME_MAX];    /* --ctl-group, "" = the daemon's (mode 0600) */
	unsigned int ctl_max_clients;   /* --ctl-max-clients */
	unsigned int ctl_idle_ms;       /* --ctl-idle-timeout, 0 = none */
};

extern struct fnd fnd;

/* fnd_dp.c: the data-plane worker. */
int fnd_dp_init(uint32_t mbufs);        /* before any port or vNIC */
void fnd_dp_fini(void);
int fnd_dp_worker(void *arg);
/* A vNIC's guest came or went (round lock held): its transmit flow is
 * scheduled only while it is there. */
void fnd_dp_vnic_ready(uint32_t id, bool ready);
/* vNIC id's guest kicks its transmit queue on fd (-1: none); round lock held. */
void fnd_dp_vnic_kickfd(uint32_t id, int fd);
/* Wake the worker if it sleeps (any thread). */
void fnd_dp_wake(void);
/* Free the frames queued for vNIC id (round lock held; before deleting it). */
void fnd_dp_vnic_flush(uint32_t id);
/* How long the head of vNIC id's receive queue has waited (TSC cycles at
 * `now`), 0 when empty. Lock-free: for stats. */
uint64_t fnd_dp_rx_sojourn(uint32_t id, uint64_t now);

/* fnd_port.c: ethdev setup shared by uplinks and tap vNICs. */
int fnd_port_probe(const char *devargs, uint16_t *port, char *err, size_t len);
int fnd_port_start(uint16_t port, struct rte_mempool *pool, bool rx_intr, char *err, size_t len);
void fnd_port_remove(uint16_t port);

/* fnd_kif.c: checks the kernel interface of an af_packet/af_xdp uplink
 * once its port is started (fills ifname, csum_fix, strips_vlan). */
void fnd_kif_prepare(struct fnd_uplink *up);

/* fnd_vhost.c: the backends (fnd_vport.h), found by fnd_backend_of(). */
extern const struct fnd_backend_ops fnd_vhost_user_backend;
extern const struct fnd_backend_ops fnd_tap_backend;

/* fnd_announce.c: RARP announcements of vNICs that moved (control thread).
 * _run sends what is due; @return ms until the next round, or -1. */
void fnd_announce_start(uint32_t id, uint64_t now_ms);
void fnd_announce_forget(uint32_t id);
int fnd_announce_run(uint64_t now_ms);

/* fnd_extstats.c: losses counted outside fairnic (see the file). */
#define FND_PORT_DROPS 3   /* imissed, rx_nombuf, ierrors */
#define FND_TAP_DROPS  2   /* kernel tx_dropped, rx_dropped */
int fnd_uplink_port_drops(uint16_t u, uint64_t out[FND_PORT_DROPS]);
int fnd_tap_kernel_drops(const char *ifname, uint64_t out[FND_TAP_DROPS]);

/* fnd_ctl.c: commands and the control socket. */
struct json_t;
/* Run one command; returns the JSON response object (caller frees). */
struct json_t *fnd_ctl_exec(int argc, char *const argv[]);
/* A command's error reply, {"ok": false, "error": MESSAGE} (one line, at
 * most 511 bytes), for every reply builder of the control plane. */
struct json_t *fnd_ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fnd_ctl_req.c: one request line (without its newline) -> response
 * object (caller frees). *fatal is set when the framing is broken and the
 * connection should be closed after the reply. */
struct json_t *fnd_ctl_request(const char *line, size_t len, bool *fatal);
int fnd_ctl_serve(const char *path);
/* CLOCK_MONOTONIC in milliseconds: the control thread's clock. */
uint64_t fnd_now_ms(void);
int fnd_ctl_run_config(const char *file);
/* Every uplink's tx-rate to its link speed unless set by `uplink set`. */
void fnd_ctl_uplink_defaults(void);
/* The running configuration as config lines, what `config show` returns
 * (malloc'd), or NULL and one line in err. */
char *fnd_ctl_config(char *err, size_t len);

/* fnd_state.c: --state FILE, and --config applied again (SIGHUP, `config
 * reload`). Control thread only; docs/STATE.md. */
void fnd_state_init(const char *state, const char *config);
int fnd_state_start(void);              /* at start: the state, else --config */
bool fnd_state_enabled(void);           /* --state given */
void fnd_state_changed(void);           /* after a change: write the state */
struct json_t *fnd_state_reload(void);  /* the reply of `config reload` */
/* For readers on other threads (fnd_metrics.c, fnd_telemetry.c): the
 * replies of `stats`, `vnic show` and `uplink show` (FND_READ_*) at one
 * instant, read as those commands read (see fnd_ctl.c). Caller frees. */
#define FND_READ_STATS   1u
#define FND_READ_VNICS   2u
#define FND_READ_UPLINKS 4u
struct json_t *fnd_ctl_read(unsigned int what, const char *vnic);
/* Before shut-down frees what readers read: they are refused from then on. */
void fnd_ctl_read_stop(void);

/* fnd_metrics.c: --metrics ADDR:PORT, Prometheus text on GET /metrics. */
int fnd_metrics_check(const char *addr);        /* -1, said on stderr, if bad */
int fnd_metrics_start(const char *addr);        /* NULL: off */
void fnd_metrics_stop(void);

/* fnd_telemetry.c: /fairnic/... commands on DPDK's telemetry socket. */
void fnd_telemetry_init(void);

#endif /* FND_H */
