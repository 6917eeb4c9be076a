/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fairnicd: start-up and shut-down. Parses fairnicd's own options, hands
 * every other argument to DPDK's EAL, sets up uplinks, runs --config,
 * starts the data-plane worker and serves the control socket until
 * SIGINT/SIGTERM. Shut-down unregisters every vhost-user socket (each
 * guest sees its device go away) and removes the sockets.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include "fnd.h"
#include "fnd_sock.h"

struct fnd fnd;

static const char usage[] =
"usage: fairnicd [OPTIONS] [DPDK EAL OPTIONS]\n"
"  --ctl PATH            control socket (default /run/fairnic/ctl.sock, mode 0600);\n"
"                        one fairnicd per PATH (lock file PATH.lock)\n"
"  --ctl-group GROUP     group of the control socket, which is then mode 0660\n"
"  --ctl-max-clients N   control connections served at once (default 256)\n"
"  --ctl-idle-timeout S  close control connections idle for S seconds\n"
"                        (default 60, 0 = never)\n"
"  --vhost-mode MODE     mode of vhost-user sockets, octal (default 0660)\n"
"  --vhost-group GROUP   group of vhost-user sockets (default: fairnicd's)\n"
"  --uplink NAME=DEVARGS an uplink: any DPDK device, e.g. 0000:01:00.0,\n"
"                        net_af_xdp0,iface=eth0  net_af_packet0,iface=eth0\n"
"                        net_tap0,iface=fn0  net_memif0,...  net_null0\n"
"                        net_vhost0,iface=/run/up.sock (repeatable, max 16)\n"
"  --config FILE         commands to run at start (fairnicctl grammar);\n"
"                        SIGHUP applies it again (docs/STATE.md)\n"
"  --state FILE          keep the running configuration in FILE, rewritten at\n"
"                        every change; loaded at start instead of --config\n"
"                        when it exists\n"
"  --max-vnics N         vNIC table size (default 4096, max 8192)\n"
"  --mbufs N             packet buffers in the pool (default 65535)\n"
"  --poll-mode MODE      adaptive (default): the data plane sleeps when idle,\n"
"                        woken by guests' kicks, uplink interrupts and the\n"
"                        control socket; busy: it always polls\n"
"  --idle-sleep-max USEC longest timed sleep when a port cannot wake the data\n"
"                        plane (default 500, 1..100000)\n"
"  --metrics ADDR:PORT   serve Prometheus metrics on http://ADDR:PORT/metrics\n"
"                        (off by default; e.g. 127.0.0.1:9469 or [::1]:9469)\n"
"  --lcores LIST         EAL lcore map; the first worker lcore runs the data plane\n"
"  -h, --help            this text\n"
"Every other option goes to the EAL (e.g. --in-memory, --file-prefix, --no-huge -m 512).\n";

struct opts {
	const char *ctl;
	const char *ctl_group;
	const char *vhost_group;
	uint32_t vhost_mode;
	uint32_t ctl_max_clients;
	uint32_t ctl_idle_s;
	const char *config;
	const char *state;              /* --state FILE, NULL: none */
	uint32_t max_vnics;
	uint32_t mbufs;
	uint32_t idle_sleep_max_us;
	bool busy_poll;
	const char *metrics;            /* --metrics ADDR:PORT, NULL: off */
	int n_uplinks;
	char *uplink[FND_MAX_UPLINKS];
};

/* A decimal option value in [min, max]; says why not on stderr. */
static int
parse_u32(const char *opt, const char *val, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(val, &end, 10);
	if (val[0] < '0' || val[0] > '9' || *end || errno || v < min || v > max) {
		fprintf(stderr, "fairnicd: %s: bad value \"%s\" (%u..%u)\n", opt, val, min, max);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* Take fairnicd's options out of argv; what is left goes to the EAL. */
static int
parse_opts(int argc, char **argv, struct opts *o, int *eal_argc, char **eal_argv)
{
	int n = 0;
	eal_argv[n++] = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			exit(0);
		}
		int ours = !strcmp(a, "--ctl") || !strcmp(a, "--uplink") ||
			   !strcmp(a, "--config") || !strcmp(a, "--max-vnics") ||
			   !strcmp(a, "--state") ||
			   !strcmp(a, "--mbufs") || !strcmp(a, "--ctl-group") ||
			   !strcmp(a, "--vhost-group") || !strcmp(a, "--vhost-mode") ||
			   !strcmp(a, "--ctl-max-clients") ||
			   !strcmp(a, "--ctl-idle-timeout") || !strcmp(a, "--poll-mode") ||
			   !strcmp(a, "--idle-sleep-max") || !strcmp(a, "--metrics");
		if (!ours) {
			eal_argv[n++] = argv[i];
			continue;
		}
		if (val == NULL) {
			fprintf(stderr, "fairnicd: %s needs a value\n", a);
			return -1;
		}
		i++;
		if (!strcmp(a, "--ctl")) {
			o->ctl = val;
		} else if (!strcmp(a, "--ctl-group") || !strcmp(a, "--vhost-group")) {
			if (!fn_cmd_group_valid(val)) {
				fprintf(stderr, "fairnicd: %s: bad group \"%s\"\n", a, val);
				return -1;
			}
			*(!strcmp(a, "--ctl-group") ? &o->ctl_group : &o->vhost_group) = val;
		} else if (!strcmp(a, "--vhost-mode")) {
			/* the grammar's own rule, as for `vnic add ... mode` */
			if (fn_parse_mode(val, &o->vhost_mode) != 0) {
				fprintf(stderr, "fairnicd: --vhost-mode: bad mode \"%s\" (octal, 0..0777)\n", val);
				return -1;
			}
		} else if (!strcmp(a, "--ctl-idle-timeout")) {
			if (parse_u32(a, val, 0, 86400, &o->ctl_idle_s) != 0)
				return -1;
		} else if (!strcmp(a, "--config")) {
			o->config = val;
		} else if (!strcmp(a, "--state")) {
			o->state = val;
		} else if (!strcmp(a, "--poll-mode")) {
			if (strcmp(val, "busy") && strcmp(val, "adaptive")) {
				fprintf(stderr, "fairnicd: --poll-mode: bad mode \"%s\" (busy or adaptive)\n", val);
				return -1;
			}
			o->busy_poll = !strcmp(val, "busy");
		} else if (!strcmp(a, "--metrics")) {
			if (fnd_metrics_check(val) != 0)
				return -1;
			o->metrics = val;
		} else if (!strcmp(a, "--idle-sleep-max")) {
			if (parse_u32(a, val, 1, 100000, &o->idle_sleep_max_us) != 0)
				return -1;
		} else if (!strcmp(a, "--uplink")) {
			if (o->n_uplinks == FND_MAX_UPLINKS || strchr(val, '=') == NULL) {
				fprintf(stderr, "fairnicd: --uplink wants NAME=DEVARGS (at most %d)\n",
					FND_MAX_UPLINKS);
				return -1;
			}
			o->uplink[o->n_uplinks++] = argv[i];
		} else if (!strcmp(a, "--mbufs")) {
			if (parse_u32(a, val, 1, 1u << 22, &o->mbufs) != 0)
				return -1;
		} else if (!strcmp(a, "--ctl-max-clients")) {
			if (parse_u32(a, val, 1, 4096, &o->ctl_max_clients) != 0)
				return -1;
		} else {                /* --max-vnics, the last of `ours` */
			if (parse_u32(a, val, 1, FND_MAX_VNICS, &o->max_vnics) != 0)
				return -1;
		}
	}
	*eal_argc = n;
	return 0;
}

static int
setup_uplinks(const struct opts *o)
{
	char err[256];
	for (int u = 0; u < o->n_uplinks; u++) {
		struct fnd_uplink *up = &fnd.uplinks[u];
		char *eq = strchr(o->uplink[u], '=');
		size_t nlen = (size_t)(eq - o->uplink[u]);
		if (nlen == 0 || nlen >= sizeof(up->name)) {
			fprintf(stderr, "fairnicd: bad uplink name in \"%s\"\n", o->uplink[u]);
			return -1;
		}
		memcpy(up->name, o->uplink[u], nlen);
		up->name[nlen] = '\0';
		snprintf(up->devargs, sizeof(up->devargs), "%s", eq + 1);
		for (int k = 0; k < u; k++) {
			if (!strcmp(fnd.uplinks[k].name, up->name)) {
				fprintf(stderr, "fairnicd: uplink %s given twice\n", up->name);
				return -1;
			}
		}
		if (fnd_port_probe(up->devargs, &up->port, err, sizeof(err)) != 0 ||
		    fnd_port_start(up->port, fnd.pool, true, err, sizeof(err)) != 0) {
			fprintf(stderr, "fairnicd: uplink %s: %s\n", up->name, err);
			return -1;
		}
		fnd_kif_prepare(up);
		up->link_up = true;     /* until its port stops taking frames */
		up->intr_fd = -1;
		fnd.n_uplinks++;
		fprintf(stderr, "fairnicd: uplink %s = %s (port %u)\n", up->name,
			up->devargs, up->port);
	}
	return 0;
}

static void
shutdown_all(void)
{
	/* Guests first: they are told the device is gone. */
	for (uint32_t i = 0; i < fnd.sw->max_vnics; i++) {
		struct fnd_vport *vp = &fnd.vports[i];
		if (!vp->in_use)
			continue;
		vp->in_use = false;
		vp->ops->del(i, vp);
	}
	for (uint16_t u = 0; u < fnd.n_uplinks; u++)
		fnd_port_remove(fnd.uplinks[u].port);
}

static int run(const struct opts *o, int eal_argc, char **eal_argv);

int
main(int argc, char **argv)
{
	struct opts o = { .ctl = "/run/fairnic/ctl.sock", .max_vnics = 4096,
			  .mbufs = 65535, .vhost_mode = 0660, .ctl_max_clients = 256,
			  .ctl_idle_s = 60, .idle_sleep_max_us = 500 };
	char **eal_argv = calloc((size_t)argc + 1, sizeof(char *));
	int eal_argc;

	if (eal_argv == NULL || parse_opts(argc, argv, &o, &eal_argc, eal_argv) != 0) {
		fputs(usage, stderr);
		free(eal_argv);
		return 2;
	}
	/* Before any socket or device is touched: one daemon per --ctl. */
	char err[512];
	int lock = fnd_instance_lock(o.ctl, err, sizeof(err));
	if (lock < 0) {
		fprintf(stderr, "fairnicd: %s\n", err);
		free(eal_argv);
		return 1;
	}
	if (fnd_sock_canon(o.ctl, fnd.ctl_path, sizeof(fnd.ctl_path), err, sizeof(err)) != 0) {
		fprintf(stderr, "fairnicd: --ctl: %s\n", err);
		free(eal_argv);
		return 1;
	}
	/* Sockets are created owner-only and then given the mode asked for,
	 * whatever umask we were started with (fnd_sock.h). 0077, not 0177:
	 * directories (DPDK's runtime directory) must keep their x bit, or
	 * root without CAP_DAC_OVERRIDE (the systemd unit) cannot enter them. */
	umask(0077);
	fnd.vhost_mode = o.vhost_mode;
	snprintf(fnd.vhost_group, sizeof(fnd.vhost_group), "%s", o.vhost_group ? o.vhost_group : "");
	snprintf(fnd.ctl_group, sizeof(fnd.ctl_group), "%s", o.ctl_group ? o.ctl_group : "");
	fnd.ctl_max_clients = o.ctl_max_clients;
	fnd.ctl_idle_ms = o.ctl_idle_s * 1000;
	gid_t gid;
	if ((o.vhost_group && fnd_group_lookup(o.vhost_group, &gid, err, sizeof(err)) != 0) ||
	    (o.ctl_group && fnd_group_lookup(o.ctl_group, &gid, err, sizeof(err)) != 0)) {
		fprintf(stderr, "fairnicd: %s\n", err);
		free(eal_argv);
		return 1;
	}
	int rc = run(&o, eal_argc, eal_argv);
	free(eal_argv);
	close(lock);
	return rc;
}

/* Everything after option parsing; every exit path frees what it made. */
static int
run(const struct opts *o, int eal_argc, char **eal_argv)
{
	/* Signals are read from a signalfd by the control loop; block them
	 * before the EAL starts its threads so none of those takes them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);        /* config reload (fnd_ctl_sock.c) */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* One socket per vhost-user vNIC: raise the descriptor limit. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "fairnicd: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	fnd.worker_lcore = rte_get_next_lcore(rte_get_main_lcore(), 1, 0);
	if (fnd.worker_lcore >= RTE_MAX_LCORE) {
		fprintf(stderr, "fairnicd: need two lcores (control + data plane), e.g. --lcores 0,1\n");
		return 1;
	}
	rte_ticketlock_init(&fnd.round);
	fnd.pool = rte_pktmbuf_pool_create("fn_mbufs", o->mbufs, 256, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	fnd.sw = fn_switch_create(o->max_vnics, FND_MAX_UPLINKS, rte_get_tsc_hz(),
				  FN_DEFAULT_MAX_FRAME);
	int rc = 1;
	if (fnd.pool == NULL || fnd.sw == NULL || fnd_vport_init(o->max_vnics) != 0) {
		fprintf(stderr, "fairnicd: out of memory (%u mbufs: reserve hugepages, or use --mbufs)\n",
			o->mbufs);
		rc = 1;
		goto free;
	}
	/* Receive queues share the pool; kept back from them: every uplink's
	 * receive ring and transmit queue, the mempool's per-lcore caches, and
	 * a round's bursts in flight. */
	uint32_t system = (uint32_t)o->n_uplinks * (FND_RING_SIZE + FND_PENDING) +
			  rte_lcore_count() * 256 * 3 / 2 + 4 * FND_BURST * 16;
	fn_idle_conf_default(&fnd.idle_conf, rte_get_tsc_hz(), o->idle_sleep_max_us);
	if (o->busy_poll)
		fnd.idle_conf.mode = FN_IDLE_BUSY;
	if (fnd_dp_init(o->mbufs) != 0 ||
	    fn_switch_buffers(fnd.sw, o->mbufs, system < o->mbufs / 2 ? system : o->mbufs / 2) != 0) {
		fprintf(stderr, "fairnicd: cannot set up the receive queues\n");
		goto out;
	}
	if (setup_uplinks(o) != 0)
		goto out;
	fnd_ctl_uplink_defaults();      /* before --config: its guarantees need them */
	fnd_state_init(o->state, o->config);
	if (fnd_state_start() != 0)     /* --state if it exists, else --config */
		goto out;
	fnd_telemetry_init();
	if (fnd_metrics_start(o->metrics) != 0)
		goto out;
	rte_eal_remote_launch(fnd_dp_worker, NULL, fnd.worker_lcore);
	fprintf(stderr, "fairnicd: data plane on lcore %u, %u uplink(s), table of %u vNICs\n",
		fnd.worker_lcore, fnd.n_uplinks, o->max_vnics);
	rc = fnd_ctl_serve(o->ctl) == 0 ? 0 : 1;
	fnd.quit = true;
	rte_eal_wait_lcore(fnd.worker_lcore);
out:
	fnd_metrics_stop();             /* readers first: what they read goes next */
	fnd_ctl_read_stop();
	shutdown_all();
free:
	rte_mempool_free(fnd.pool);
	rte_eal_cleanup();
	fn_switch_free(fnd.sw);
	fnd_dp_fini();
	fnd_vport_fini();
	fprintf(stderr, "fairnicd: stopped\n");
	return rc;
}
