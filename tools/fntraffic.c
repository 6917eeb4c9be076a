/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fntraffic: a scriptable DPDK traffic driver for fairnic's integration
 * tests, demo and benchmark. It plays the VMs (virtio_user ports connected
 * to fairnicd's vhost-user sockets) and the wire peer (a tap, or a
 * virtio_user port on a net_vhost uplink). Manual: tools/fntraffic.md.
 *
 * Protocol. Commands arrive on stdin, one per line; every line is answered
 * with exactly one line of JSON on stdout, flushed, so a test drives the
 * tool through two pipes in lock step: {"ok":true,...} on success,
 * {"ok":false,"error":"..."} otherwise, after which the tool carries on.
 * The JSON channel is a private dup of the original stdout; fd 1 itself is
 * pointed at stderr before EAL starts, so no DPDK log or PMD printf can
 * corrupt the protocol. EOF, `quit`, SIGINT and SIGTERM stop, close and
 * remove every port (a vhost-user server sees an orderly disconnect) and
 * clean up EAL.
 *
 * Execution. One thread, the main lcore. Nothing runs between commands: a
 * command busy-polls its ports while it lasts, then the tool sleeps in
 * read(). Every port has one rx and one tx queue of 1024 descriptors (a
 * virtio_user port caps that at its queue_size devarg, 256 by default), and
 * all share one mempool.
 *
 * Generation (`run`). Each tx flow owns a template frame built once at
 * parse time. A burst is rte_pktmbuf_alloc_bulk() plus one memcpy of the
 * template per mbuf, the destination (and source) MAC patched in when the
 * flow cycles through several. Frames the tx ring refuses stay pending and
 * are offered first next time, so a full ring costs no rebuild. Into
 * net_null this makes 50-70 Mpps of 64-byte frames on one core, so the
 * generator is never what a benchmark measures. Rejected: sending one
 * template mbuf many times under refcnt. It was only ~10% faster into
 * net_null, and virtio then cannot push its net header into the headroom
 * (that needs refcnt == 1), so every frame costs the backend an indirect
 * descriptor and every completion an atomic decrement; and every frame
 * of a burst would have to be identical.
 *
 * Pacing (`pps=`) is integer arithmetic: a flow's next due time is kept in
 * 48.16 fixed-point TSC cycles since the start of the run and advanced by
 * one period per frame actually sent. Frames go out in batches of up to a
 * burst, at most every 10 us, so high rates do not degenerate into one
 * tx call per frame. A flow that fell behind (the tool was preempted, the
 * ring was full) catches up on up to 10 ms of backlog at full speed and
 * forgets the rest: on a shared 2-core machine stalls of a few ms are
 * common, and a smaller allowance lost several percent of the rate. The
 * clock is read once per loop iteration; the unpaced path does no
 * division. Every port in a run is drained on every iteration, but
 * counted only if named in rx=.
 *
 * Receive interrupts (`port add ... intr`). A virtio guest with interrupts
 * on leaves VRING_AVAIL_F_NO_INTERRUPT clear, so the vhost-user backend
 * has to write the guest's callfd (an eventfd) after each enqueue. For
 * virtio_user, intr_conf.rxq = 1 plus rte_eth_dev_rx_intr_enable() does
 * exactly that. We never disable it and never wait on the eventfd: we still
 * poll. The kicks are visible as eventfd-count in /proc/PID/fdinfo.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_mempool.h>

#include "fn_eth.h"

#define FT_MAX_PORTS       32
#define FT_NAME_MAX        32
#define FT_BURST           32
#define FT_RING_SIZE       1024
#define FT_MBUFS_DEFAULT   32767
#define FT_MBUF_CACHE      256
#define FT_FRAME_MAX       RTE_MBUF_DEFAULT_DATAROOM
#define FT_SHOW_MAX        64
#define FT_MAX_TOKENS      64
#define FT_MAX_FLOWS       8
#define FT_MAX_MACS        1024
#define FT_OUT_SIZE        (64 * 1024)
#define FT_SEND_STALL_MS   2000
#define FT_RECV_MS         200
#define FT_RECV_UNTIL_MS   2000
#define FT_DRAIN_QUIET_MS  20
#define FT_DRAIN_MAX_MS    5000
#define FT_RUN_MAX_MS      3600000
#define FT_FP_SHIFT        16     /**< fractional bits of pacing times */
#define FT_PACE_TICKS_HZ   100000 /**< paced tx calls at most every 10 us */
#define FT_PACE_SLACK_MS   10     /**< paced backlog kept across a stall */

/* ---- output: one JSON object per command ---------------------------- */

struct ft_out {
	size_t len;
	bool failed;
	char buf[FT_OUT_SIZE];
};

static void
ft_vput(struct ft_out *o, const char *fmt, va_list ap)
{
	size_t room = sizeof(o->buf) - o->len;
	int n = vsnprintf(o->buf + o->len, room, fmt, ap);

	if (n > 0)
		o->len += (size_t)n < room ? (size_t)n : room - 1;
}

static void __rte_format_printf(2, 3)
ft_put(struct ft_out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ft_vput(o, fmt, ap);
	va_end(ap);
}

/** Append `s` as a JSON string literal. */
static void
ft_put_str(struct ft_out *o, const char *s)
{
	ft_put(o, "\"");
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			ft_put(o, "\\%c", c);
		else if (c < 0x20)
			ft_put(o, "\\u%04x", c);
		else
			ft_put(o, "%c", c);
	}
	ft_put(o, "\"");
}

/** Replace the reply with an error object. @return -1, for tail calls. */
static int __rte_format_printf(2, 3)
ft_fail(struct ft_out *o, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->len = 0;
	o->failed = true;
	ft_put(o, "{\"ok\":false,\"error\":");
	ft_put_str(o, msg);
	ft_put(o, "}");
	return -1;
}

static void
ft_put_mac(struct ft_out *o, const uint8_t *mac)
{
	char buf[18];

	ft_put(o, "\"%s\"", fn_mac_format(fn_mac_load(mac), buf));
}

/* ---- arguments ------------------------------------------------------ */

struct ft_args {
	int n;
	char *tok[FT_MAX_TOKENS];
};

static int
ft_tokenize(char *line, struct ft_args *a)
{
	char *save = NULL;

	a->n = 0;
	for (char *t = strtok_r(line, " \t\r\n", &save); t != NULL;
	     t = strtok_r(NULL, " \t\r\n", &save)) {
		if (a->n == FT_MAX_TOKENS)
			return -1;
		a->tok[a->n++] = t;
	}
	return 0;
}

/** Value of the first `key=value` token at or after `from`, or NULL. */
static const char *
ft_kv(const struct ft_args *a, int from, const char *key)
{
	size_t kl = strlen(key);

	for (int i = from; i < a->n; i++)
		if (strncmp(a->tok[i], key, kl) == 0 && a->tok[i][kl] == '=')
			return a->tok[i] + kl + 1;
	return NULL;
}

/** Every token from `from` on must be key=value with a key in `keys`. */
static int
ft_kv_check(struct ft_out *o, const struct ft_args *a, int from,
	    const char *const keys[])
{
	for (int i = from; i < a->n; i++) {
		const char *t = a->tok[i], *eq = strchr(t, '=');
		bool known = false;

		if (eq == NULL)
			return ft_fail(o, "unexpected argument '%.64s'", t);
		for (int k = 0; keys[k] != NULL && !known; k++)
			known = strlen(keys[k]) == (size_t)(eq - t) &&
				strncmp(keys[k], t, eq - t) == 0;
		if (!known)
			return ft_fail(o, "unknown option '%.*s'",
				       (int)(eq - t), t);
	}
	return 0;
}

static int
ft_parse_uint(const char *s, int base, uint64_t lo, uint64_t hi,
	      uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	x = strtoull(s, &end, base);
	if (errno != 0 || *end != '\0' || x < lo || x > hi)
		return -1;
	*v = x;
	return 0;
}

/** Parse optional decimal option `key` (value `val`, may be NULL). */
static int
ft_opt_u64(struct ft_out *o, const char *key, const char *val, uint64_t def,
	   uint64_t lo, uint64_t hi, uint64_t *v)
{
	if (val == NULL) {
		*v = def;
		return 0;
	}
	if (ft_parse_uint(val, 10, lo, hi, v) < 0)
		return ft_fail(o, "%s=%.64s: expected an integer in %" PRIu64
			       "..%" PRIu64, key, val, lo, hi);
	return 0;
}

static int
ft_parse_mac(const char *s, uint8_t mac[RTE_ETHER_ADDR_LEN])
{
	uint64_t v;

	if (fn_mac_parse(s, &v) < 0)
		return -1;
	fn_mac_store(mac, v);
	return 0;
}

/** Parse hex digits into buf. @return the byte count, or -1. */
static int
ft_parse_hex(const char *s, uint8_t *buf, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n % 2 != 0 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		char pair[3] = { s[2 * i], s[2 * i + 1], '\0' };
		uint64_t v;

		if (ft_parse_uint(pair, 16, 0, 0xff, &v) < 0)
			return -1;
		buf[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

/* ---- ports ---------------------------------------------------------- */

struct ft_port {
	bool used;
	bool intr;
	uint16_t id;
	uint32_t seq;                      /**< next `send` sequence number */
	uint8_t mac[RTE_ETHER_ADDR_LEN];
	char name[FT_NAME_MAX];
};

static struct ft_port ft_ports[FT_MAX_PORTS];
static struct rte_mempool *ft_pool;
static volatile sig_atomic_t ft_stop;

static struct ft_port *
ft_port_find(const char *name)
{
	for (int i = 0; i < FT_MAX_PORTS; i++)
		if (ft_ports[i].used && strcmp(ft_ports[i].name, name) == 0)
			return &ft_ports[i];
	return NULL;
}

static struct ft_port *
ft_port_get(struct ft_out *o, const char *name)
{
	struct ft_port *p = ft_port_find(name);

	if (p == NULL)
		ft_fail(o, "no port named '%.64s'", name);
	return p;
}

/**
 * Why a probe failed, as far as we can tell. rte_dev_probe() mostly says
 * -1 (EPERM), so for a vhost-user client check the socket ourselves.
 */
static const char *
ft_probe_hint(const char *devargs, int ret)
{
	static char hint[320];
	const char *path = strstr(devargs, ",path=");
	struct stat st;

	if (path == NULL) {
		snprintf(hint, sizeof(hint), "%s (see stderr)",
			 ret == -1 ? "rejected by the driver"
				   : rte_strerror(-ret));
		return hint;
	}
	path += strlen(",path=");
	snprintf(hint, sizeof(hint), "%.*s", (int)strcspn(path, ","), path);
	if (stat(hint, &st) < 0 || !S_ISSOCK(st.st_mode))
		strncat(hint, ": no vhost-user server socket yet, retry later",
			sizeof(hint) - strlen(hint) - 1);
	else
		strncat(hint, ": connect or negotiation failed (see stderr)",
			sizeof(hint) - strlen(hint) - 1);
	return hint;
}

/** Probe the vdev described by `devargs` and find its ethdev port. */
static int
ft_port_probe(struct ft_out *o, const char *devargs, uint16_t *id)
{
	char name[RTE_DEV_NAME_MAX_LEN];
	size_t n = strcspn(devargs, ",");
	int ret;

	if (n == 0 || n >= sizeof(name))
		return ft_fail(o, "bad device name in '%.64s'", devargs);
	memcpy(name, devargs, n);
	name[n] = '\0';
	if (rte_eth_dev_get_port_by_name(name, id) == 0)
		return ft_fail(o, "device %s is already attached", name);
	ret = rte_dev_probe(devargs);
	if (ret < 0)
		return ft_fail(o, "probe %s failed: %s", name,
			       ft_probe_hint(devargs, ret));
	if (rte_eth_dev_get_port_by_name(name, id) != 0) {
		rte_eal_hotplug_remove("vdev", name);
		return ft_fail(o, "%s probed but has no ethdev port", name);
	}
	return 0;
}

static int
ft_port_configure(struct ft_out *o, uint16_t id, bool intr)
{
	struct rte_eth_conf conf = { .intr_conf.rxq = intr };
	uint16_t nrx = FT_RING_SIZE, ntx = FT_RING_SIZE;
	int sock = rte_eth_dev_socket_id(id);
	int ret;

	ret = rte_eth_dev_configure(id, 1, 1, &conf);
	if (ret < 0)
		return ft_fail(o, "configure%s: %s",
			       intr ? " with rx interrupts" : "",
			       rte_strerror(-ret));
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(id, &nrx, &ntx);
	if (ret < 0)
		return ft_fail(o, "descriptors: %s", rte_strerror(-ret));
	ret = rte_eth_rx_queue_setup(id, 0, nrx, sock, NULL, ft_pool);
	if (ret < 0)
		return ft_fail(o, "rx queue setup: %s", rte_strerror(-ret));
	ret = rte_eth_tx_queue_setup(id, 0, ntx, sock, NULL);
	if (ret < 0)
		return ft_fail(o, "tx queue setup: %s", rte_strerror(-ret));
	return 0;
}

static int
ft_port_start(struct ft_out *o, uint16_t id, bool intr)
{
	int ret = rte_eth_dev_start(id);

	if (ret < 0)
		return ft_fail(o, "start: %s", rte_strerror(-ret));
	/* virtio without a control queue cannot filter: nothing to enable */
	ret = rte_eth_promiscuous_enable(id);
	if (ret < 0 && ret != -ENOTSUP)
		return ft_fail(o, "promiscuous: %s", rte_strerror(-ret));
	if (!intr)
		return 0;
	ret = rte_eth_dev_rx_intr_enable(id, 0);
	if (ret < 0)
		return ft_fail(o, "rx interrupts: rte_eth_dev_rx_intr_enable: %s",
			       rte_strerror(-ret));
	return 0;
}

/** Stop, close and unplug a port; each step tolerates the earlier failing. */
static void
ft_port_teardown(uint16_t id)
{
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;
	int ret;

	if (rte_eth_dev_info_get(id, &info) == 0)
		dev = info.device;
	ret = rte_eth_dev_stop(id);
	if (ret < 0)
		RTE_LOG(DEBUG, USER1, "stop port %u: %s\n", id,
			rte_strerror(-ret));
	ret = rte_eth_dev_close(id);
	if (ret < 0)
		RTE_LOG(WARNING, USER1, "close port %u: %s\n", id,
			rte_strerror(-ret));
	if (dev != NULL && (ret = rte_dev_remove(dev)) < 0)
		RTE_LOG(WARNING, USER1, "remove port %u: %s\n", id,
			rte_strerror(-ret));
}

static int
ft_port_name_check(struct ft_out *o, const char *name)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";

	if (strlen(name) >= FT_NAME_MAX || name[strspn(name, ok)] != '\0')
		return ft_fail(o, "port name: 1..%d of [A-Za-z0-9_.-]",
			       FT_NAME_MAX - 1);
	if (ft_port_find(name) != NULL)
		return ft_fail(o, "port name '%s' is in use", name);
	return 0;
}

static struct ft_port *
ft_port_slot(struct ft_out *o)
{
	for (int i = 0; i < FT_MAX_PORTS; i++)
		if (!ft_ports[i].used)
			return &ft_ports[i];
	ft_fail(o, "too many ports (max %d)", FT_MAX_PORTS);
	return NULL;
}

/** A new port fills its rx ring from the shared pool: make sure it can. */
static int
ft_pool_check(struct ft_out *o)
{
	unsigned int avail = rte_mempool_avail_count(ft_pool);

	if (avail < FT_RING_SIZE + 4 * FT_BURST)
		return ft_fail(o, "only %u mbufs left for a %d-entry rx ring; "
			       "start fntraffic with -- --mbufs N", avail,
			       FT_RING_SIZE);
	return 0;
}

static int
ft_cmd_port_add(struct ft_out *o, struct ft_args *a)
{
	bool intr = a->n == 5 && strcmp(a->tok[4], "intr") == 0;
	struct ft_port *p;
	struct rte_ether_addr mac;
	uint16_t id;

	if (a->n < 4 || a->n > 5 || (a->n == 5 && !intr))
		return ft_fail(o, "usage: port add NAME DEVARGS [intr]");
	if (ft_port_name_check(o, a->tok[2]) < 0 ||
	    (p = ft_port_slot(o)) == NULL || ft_pool_check(o) < 0 ||
	    ft_port_probe(o, a->tok[3], &id) < 0)
		return -1;
	if (ft_port_configure(o, id, intr) < 0 ||
	    ft_port_start(o, id, intr) < 0 ||
	    rte_eth_macaddr_get(id, &mac) < 0) {
		if (!o->failed)
			ft_fail(o, "cannot read the MAC address");
		ft_port_teardown(id);
		return -1;
	}
	*p = (struct ft_port){ .used = true, .intr = intr, .id = id };
	memcpy(p->mac, mac.addr_bytes, sizeof(p->mac));
	snprintf(p->name, sizeof(p->name), "%s", a->tok[2]);
	ft_put(o, ",\"port\":%u,\"mac\":", id);
	ft_put_mac(o, p->mac);
	return 0;
}

static int
ft_cmd_port_del(struct ft_out *o, struct ft_args *a)
{
	struct ft_port *p;

	if (a->n != 3)
		return ft_fail(o, "usage: port del NAME");
	if ((p = ft_port_get(o, a->tok[2])) == NULL)
		return -1;
	ft_port_teardown(p->id);
	p->used = false;
	return 0;
}

static int
ft_cmd_ports(struct ft_out *o, struct ft_args *a)
{
	const char *sep = "";

	ft_put(o, ",\"ports\":[");
	for (int i = 0; i < FT_MAX_PORTS; i++) {
		const struct ft_port *p = &ft_ports[i];

		if (!p->used)
			continue;
		ft_put(o, "%s{\"name\":\"%s\",\"port\":%u,\"mac\":", sep,
		       p->name, p->id);
		ft_put_mac(o, p->mac);
		ft_put(o, ",\"intr\":%s}", p->intr ? "true" : "false");
		sep = ",";
	}
	ft_put(o, "]");
	return 0;
}

static int
ft_cmd_stats(struct ft_out *o, struct ft_args *a)
{
	struct rte_eth_stats st;
	struct ft_port *p;
	int ret;

	if (a->n != 2)
		return ft_fail(o, "usage: stats NAME");
	if ((p = ft_port_get(o, a->tok[1])) == NULL)
		return -1;
	ret = rte_eth_stats_get(p->id, &st);
	if (ret < 0)
		return ft_fail(o, "stats: %s", rte_strerror(-ret));
	ft_put(o, ",\"ipackets\":%" PRIu64 ",\"opackets\":%" PRIu64
	       ",\"ibytes\":%" PRIu64 ",\"obytes\":%" PRIu64
	       ",\"imissed\":%" PRIu64 ",\"ierrors\":%" PRIu64
	       ",\"oerrors\":%" PRIu64 ",\"rx_nombuf\":%" PRIu64,
	       st.ipackets, st.opackets, st.ibytes, st.obytes, st.imissed,
	       st.ierrors, st.oerrors, st.rx_nombuf);
	return 0;
}

/* ---- frames --------------------------------------------------------- */

/** What a generated frame looks like; the payload is zeros. */
struct ft_frame {
	uint8_t dst[RTE_ETHER_ADDR_LEN];
	uint8_t src[RTE_ETHER_ADDR_LEN];
	uint16_t vlan;                     /**< FN_VLAN_NONE: untagged */
	uint16_t type;
	uint16_t len;                      /**< headers included, no FCS */
	bool ip;                           /**< IPv4/UDP headers after Ethernet */
	uint32_t ip_src, ip_dst;           /**< network byte order */
};

#define FT_IP_UDP_HLEN 28                  /**< IPv4 (no options) + UDP */

/** A '+'-separated MAC list; `send` uses only the first. */
struct ft_macs {
	uint16_t n;
	uint16_t next;                     /**< round-robin cursor */
	uint8_t mac[FT_MAX_MACS][RTE_ETHER_ADDR_LEN];
};

static const uint8_t ft_bcast[RTE_ETHER_ADDR_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff
};

static void
ft_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
ft_load16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint16_t
ft_frame_hlen(const struct ft_frame *f)
{
	return f->vlan == FN_VLAN_NONE ? FN_ETH_HLEN
				       : FN_ETH_HLEN + FN_VLAN_HLEN;
}

/** Write the frame into buf. @return the offset of its payload. */
static uint16_t
ft_frame_build(uint8_t *buf, const struct ft_frame *f)
{
	uint16_t off = 12;

	memset(buf, 0, f->len);
	memcpy(buf, f->dst, RTE_ETHER_ADDR_LEN);
	memcpy(buf + 6, f->src, RTE_ETHER_ADDR_LEN);
	if (f->vlan != FN_VLAN_NONE) {
		ft_be16(buf + off, FN_ETH_P_8021Q);
		ft_be16(buf + off + 2, f->vlan);
		off += FN_VLAN_HLEN;
	}
	ft_be16(buf + off, f->type);
	off += 2;
	if (!f->ip)
		return off;
	/* IPv4 + UDP 4000 -> 5000, valid header checksum, UDP checksum 0 */
	uint8_t *h = buf + off;
	uint16_t tot = (uint16_t)(f->len - off);
	uint32_t sum = 0;
	h[0] = 0x45;
	ft_be16(h + 2, tot);
	h[8] = 64;
	h[9] = 17;
	memcpy(h + 12, &f->ip_src, 4);
	memcpy(h + 16, &f->ip_dst, 4);
	for (int i = 0; i < 20; i += 2)
		sum += ft_load16(h + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ft_be16(h + 10, (uint16_t)~sum);
	ft_be16(h + 20, 4000);
	ft_be16(h + 22, 5000);
	ft_be16(h + 24, (uint16_t)(tot - 20));
	return (uint16_t)(off + FT_IP_UDP_HLEN);
}

static int
ft_mac_list(struct ft_out *o, const char *key, const char *val,
	    const uint8_t *def, unsigned int max, struct ft_macs *l)
{
	char one[32];

	l->n = 0;
	l->next = 0;
	if (val == NULL) {
		memcpy(l->mac[l->n++], def, RTE_ETHER_ADDR_LEN);
		return 0;
	}
	while (*val != '\0') {
		size_t n = strcspn(val, "+");

		if (l->n == max)
			return ft_fail(o, "%s=: at most %u MACs", key, max);
		snprintf(one, sizeof(one), "%.*s", (int)n, val);
		if (n >= sizeof(one) || ft_parse_mac(one, l->mac[l->n]) < 0)
			return ft_fail(o, "%s=: bad MAC '%.*s'", key, (int)n,
				       val);
		l->n++;
		val += n + (val[n] == '+');
	}
	return l->n > 0 ? 0 : ft_fail(o, "%s=: empty", key);
}

/** Options shared by `send` and run's tx=: dst src vlan type len. */
static int
ft_frame_opts(struct ft_out *o, const struct ft_args *a, int from,
	      const struct ft_port *p, unsigned int max_macs,
	      struct ft_macs *dst, struct ft_macs *src, struct ft_frame *f)
{
	const char *vlan = ft_kv(a, from, "vlan");
	const char *type = ft_kv(a, from, "type");
	uint64_t v = RTE_ETHER_TYPE_IPV4;

	if (ft_mac_list(o, "dst", ft_kv(a, from, "dst"), ft_bcast, max_macs,
			dst) < 0 ||
	    ft_mac_list(o, "src", ft_kv(a, from, "src"), p->mac, max_macs,
			src) < 0)
		return -1;
	memcpy(f->dst, dst->mac[0], RTE_ETHER_ADDR_LEN);
	memcpy(f->src, src->mac[0], RTE_ETHER_ADDR_LEN);
	if (type != NULL) {
		if (strncasecmp(type, "0x", 2) == 0)
			type += 2;
		if (ft_parse_uint(type, 16, 0, 0xffff, &v) < 0)
			return ft_fail(o, "type=: expected 16-bit hex");
	}
	f->type = (uint16_t)v;
	if (ft_opt_u64(o, "vlan", vlan, FN_VLAN_NONE, 0, 4095, &v) < 0)
		return -1;
	f->vlan = (uint16_t)v;
	if (ft_opt_u64(o, "len", ft_kv(a, from, "len"), 64, ft_frame_hlen(f),
		       FT_FRAME_MAX, &v) < 0)
		return -1;
	f->len = (uint16_t)v;
	f->ip = false;
	const char *ip = ft_kv(a, from, "ip");
	if (ip != NULL) {
		char s4[2][16];
		const char *dash = strchr(ip, '-');
		size_t n = dash ? (size_t)(dash - ip) : 0;
		if (dash == NULL || n >= sizeof(s4[0]) || strlen(dash + 1) >= sizeof(s4[1]))
			return ft_fail(o, "ip=: expected SRC-DST IPv4 addresses");
		snprintf(s4[0], sizeof(s4[0]), "%.*s", (int)n, ip);
		snprintf(s4[1], sizeof(s4[1]), "%s", dash + 1);
		if (inet_pton(AF_INET, s4[0], &f->ip_src) != 1 ||
		    inet_pton(AF_INET, s4[1], &f->ip_dst) != 1)
			return ft_fail(o, "ip=: expected SRC-DST IPv4 addresses");
		if (type != NULL && f->type != RTE_ETHER_TYPE_IPV4)
			return ft_fail(o, "ip= needs type 0x0800");
		if (f->len < ft_frame_hlen(f) + 2 + FT_IP_UDP_HLEN)
			return ft_fail(o, "ip=: len= too short for IPv4 + UDP headers");
		f->ip = true;
	}
	return 0;
}

/** Append one received frame's header summary as a JSON object. */
static void
ft_frame_describe(struct ft_out *o, const struct rte_mbuf *m)
{
	uint8_t copy[FN_ETH_HLEN + FN_VLAN_HLEN + 6];
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const uint8_t *d;
	uint16_t off = 12, type;
	int vlan = -1;

	if (len < FN_ETH_HLEN) {
		ft_put(o, "{\"dst\":null,\"src\":null,\"vlan\":null,\"len\":%u,"
		       "\"type\":null,\"seq\":null}", len);
		return;
	}
	d = rte_pktmbuf_read(m, 0, RTE_MIN(len, (uint32_t)sizeof(copy)),
			     copy);
	type = ft_load16(d + off);
	if (type == FN_ETH_P_8021Q && len >= FN_ETH_HLEN + FN_VLAN_HLEN) {
		vlan = ft_load16(d + off + 2) & 0x0fff;
		off += FN_VLAN_HLEN;
		type = ft_load16(d + off);
	}
	ft_put(o, "{\"dst\":");
	ft_put_mac(o, d);
	ft_put(o, ",\"src\":");
	ft_put_mac(o, d + 6);
	if (vlan < 0)
		ft_put(o, ",\"vlan\":null");
	else
		ft_put(o, ",\"vlan\":%d", vlan);
	ft_put(o, ",\"len\":%u,\"type\":\"0x%04x\"", len, type);
	if (len >= (uint32_t)off + 6)
		ft_put(o, ",\"seq\":%u}",
		       (uint32_t)ft_load16(d + off + 2) << 16 |
		       ft_load16(d + off + 4));
	else
		ft_put(o, ",\"seq\":null}");
}

/* ---- send ----------------------------------------------------------- */

/** What `send` transmits: a template, with a sequence number at seq_off. */
#define FT_SEND_MACS 64     /* dst=A+B+... of `send`, used in turn */

struct ft_send {
	uint8_t tmpl[FT_FRAME_MAX];
	uint16_t len;
	uint16_t seq_off;                  /**< 0: no sequence number */
	const struct ft_macs *dst;         /**< cycled per frame; NULL: tmpl's */
};

static void
ft_send_fill(struct rte_mbuf *m, const struct ft_send *s, uint32_t seq)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);

	rte_memcpy(d, s->tmpl, s->len);
	if (s->seq_off != 0) {
		ft_be16(d + s->seq_off, (uint16_t)(seq >> 16));
		ft_be16(d + s->seq_off + 2, (uint16_t)seq);
	}
	m->data_len = s->len;
	m->pkt_len = s->len;
}

/** Transmit `count` frames; give up after 2 s without progress. */
static uint64_t
ft_send_loop(struct ft_port *p, const struct ft_send *s, uint64_t count)
{
	const uint64_t stall = rte_get_tsc_hz() * FT_SEND_STALL_MS / 1000;
	struct rte_mbuf *burst[FT_BURST];
	uint64_t built = 0, sent = 0, deadline = rte_rdtsc() + stall;
	unsigned int have = 0;

	while (sent < count && !ft_stop) {
		unsigned int want = RTE_MIN(FT_BURST - have, count - built);
		uint16_t n;

		if (want > 0 &&
		    rte_pktmbuf_alloc_bulk(ft_pool, burst + have, want) == 0) {
			for (unsigned int i = 0; i < want; i++) {
				ft_send_fill(burst[have + i], s,
					     p->seq + (uint32_t)(built + i));
				if (s->dst != NULL)     /* dst=A+B...: one per frame, in turn */
					memcpy(rte_pktmbuf_mtod(burst[have + i], uint8_t *),
					       s->dst->mac[(built + i) % s->dst->n],
					       RTE_ETHER_ADDR_LEN);
			}
			built += want;
			have += want;
		}
		n = rte_eth_tx_burst(p->id, 0, burst, (uint16_t)have);
		if (n > 0) {
			have -= n;
			memmove(burst, burst + n, have * sizeof(burst[0]));
			sent += n;
			deadline = rte_rdtsc() + stall;
		} else if (rte_rdtsc() > deadline) {
			break;
		}
	}
	rte_pktmbuf_free_bulk(burst, have);
	p->seq += (uint32_t)sent;
	return sent;
}

static int
ft_send_parse_from(struct ft_out *o, const struct ft_args *a, int from,
		   const struct ft_port *p, struct ft_send *s)
{
	static struct ft_macs dst, src;
	const char *hex = ft_kv(a, from, "hex");
	struct ft_frame f;
	uint16_t payload;
	int n;

	if (hex != NULL) {
		if (ft_kv(a, from, "dst") || ft_kv(a, from, "src") ||
		    ft_kv(a, from, "vlan") || ft_kv(a, from, "len") ||
		    ft_kv(a, from, "type") || ft_kv(a, from, "ip"))
			return ft_fail(o, "hex= excludes dst src vlan len type ip");
		n = ft_parse_hex(hex, s->tmpl, sizeof(s->tmpl));
		if (n < 0)
			return ft_fail(o, "hex=: expected 1..%d bytes as hex "
				       "digit pairs", FT_FRAME_MAX);
		s->len = (uint16_t)n;
		s->seq_off = 0;
		s->dst = NULL;
		return 0;
	}
	if (ft_frame_opts(o, a, from, p, FT_SEND_MACS, &dst, &src, &f) < 0)
		return -1;
	if (src.n > 1)
		return ft_fail(o, "send: one src=MAC (dst= may list several)");
	s->dst = dst.n > 1 ? &dst : NULL;
	payload = ft_frame_build(s->tmpl, &f);
	s->len = f.len;
	s->seq_off = f.len >= payload + 4 ? payload : 0;
	return 0;
}

static int
ft_send_parse(struct ft_out *o, const struct ft_args *a,
	      const struct ft_port *p, struct ft_send *s)
{
	return ft_send_parse_from(o, a, 2, p, s);
}

static int
ft_cmd_send(struct ft_out *o, struct ft_args *a)
{
	static const char *const keys[] = {
		"count", "dst", "src", "vlan", "len", "type", "ip", "hex", NULL
	};
	static struct ft_send s;
	struct ft_port *p;
	uint64_t count;

	if (a->n < 2)
		return ft_fail(o, "usage: send NAME count=N [dst=MAC] "
			       "[src=MAC] [vlan=ID] [len=BYTES] [type=HEX] "
			       "[hex=HEX]");
	if ((p = ft_port_get(o, a->tok[1])) == NULL ||
	    ft_kv_check(o, a, 2, keys) < 0 ||
	    ft_opt_u64(o, "count", ft_kv(a, 2, "count"), 1, 0, UINT32_MAX,
		       &count) < 0 ||
	    ft_send_parse(o, a, p, &s) < 0)
		return -1;
	ft_put(o, ",\"sent\":%" PRIu64, ft_send_loop(p, &s, count));
	return 0;
}

/* ---- recv and drain ------------------------------------------------- */

struct ft_rx_count {
	uint64_t packets;
	uint64_t bytes;
};

/** Count a burst; describe frames into `shown` while it has room. */
static void
ft_rx_account(struct rte_mbuf **m, uint16_t n, struct ft_rx_count *c,
	      struct ft_out *shown)
{
	for (uint16_t i = 0; i < n; i++) {
		if (shown != NULL && c->packets < FT_SHOW_MAX) {
			ft_put(shown, c->packets ? "," : "");
			ft_frame_describe(shown, m[i]);
		}
		c->packets++;
		c->bytes += rte_pktmbuf_pkt_len(m[i]);
	}
	rte_pktmbuf_free_bulk(m, n);
}

/** Poll until `ms` elapse or, if until > 0, `until` packets arrived. */
static void
ft_recv_loop(const struct ft_port *p, uint64_t until, uint64_t ms,
	     struct ft_rx_count *c, struct ft_out *shown)
{
	uint64_t end = rte_rdtsc() + rte_get_tsc_hz() * ms / 1000;
	struct rte_mbuf *m[FT_BURST];

	while (!ft_stop && (until == 0 || c->packets < until) &&
	       rte_rdtsc() < end) {
		uint64_t want = until ? RTE_MIN(until - c->packets,
						(uint64_t)FT_BURST) : FT_BURST;
		uint16_t n = rte_eth_rx_burst(p->id, 0, m, (uint16_t)want);

		ft_rx_account(m, n, c, shown);
	}
}

static int
ft_cmd_recv(struct ft_out *o, struct ft_args *a)
{
	static const char *const keys[] = { "ms", "until", NULL };
	static struct ft_out shown;
	struct ft_rx_count c = { 0 };
	struct ft_port *p;
	uint64_t until, ms;

	if (a->n < 2)
		return ft_fail(o, "usage: recv NAME [until=N] [ms=T]");
	if ((p = ft_port_get(o, a->tok[1])) == NULL ||
	    ft_kv_check(o, a, 2, keys) < 0 ||
	    ft_opt_u64(o, "until", ft_kv(a, 2, "until"), 0, 1, UINT32_MAX,
		       &until) < 0 ||
	    ft_opt_u64(o, "ms", ft_kv(a, 2, "ms"),
		       until ? FT_RECV_UNTIL_MS : FT_RECV_MS, 0, FT_RUN_MAX_MS,
		       &ms) < 0)
		return -1;
	shown.len = 0;
	ft_recv_loop(p, until, ms, &c, &shown);
	ft_put(o, ",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
	       ",\"frames\":[%.*s]", c.packets, c.bytes, (int)shown.len,
	       shown.buf);
	return 0;
}

/* ---- latency -------------------------------------------------------- */

#define FT_LAT_MAX 10000

static int
ft_u64_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return (a > b) - (a < b);
}

/*
 * latency TX RX count=N gap_ms=G [frame options of send]: N times, after
 * G ms of silence (RX drained meanwhile), one frame from port TX, and the
 * time until it shows up at RX (one way; both ports are polled here, on
 * one core, with one TSC). Reports percentiles in microseconds.
 */
static int
ft_cmd_latency(struct ft_out *o, struct ft_args *a)
{
	static const char *const keys[] = {
		"count", "gap_ms", "dst", "src", "vlan", "len", "type", "ip", NULL
	};
	static struct ft_send s;
	static uint64_t lat[FT_LAT_MAX];
	struct ft_port *tx, *rx;
	uint64_t count, gap, got = 0, lost = 0, stray = 0;
	const uint64_t hz = rte_get_tsc_hz();

	if (a->n < 3)
		return ft_fail(o, "usage: latency TX RX count=N gap_ms=G [dst=MAC] "
			       "[src=MAC] [vlan=ID] [len=BYTES] [type=HEX]");
	if ((tx = ft_port_get(o, a->tok[1])) == NULL ||
	    (rx = ft_port_get(o, a->tok[2])) == NULL ||
	    ft_kv_check(o, a, 3, keys) < 0 ||
	    ft_opt_u64(o, "count", ft_kv(a, 3, "count"), 1, 1, FT_LAT_MAX, &count) < 0 ||
	    ft_opt_u64(o, "gap_ms", ft_kv(a, 3, "gap_ms"), 100, 0, 10000, &gap) < 0 ||
	    ft_send_parse_from(o, a, 3, tx, &s) < 0)
		return -1;
	for (uint64_t i = 0; i < count && !ft_stop; i++) {
		struct rte_mbuf *m[FT_BURST], *f;
		uint64_t quiet = rte_rdtsc() + hz * gap / 1000;
		while (rte_rdtsc() < quiet) {           /* silence, drained */
			uint16_t n = rte_eth_rx_burst(rx->id, 0, m, FT_BURST);
			stray += n;
			rte_pktmbuf_free_bulk(m, n);
		}
		if ((f = rte_pktmbuf_alloc(ft_pool)) == NULL)
			return ft_fail(o, "latency: out of mbufs");
		ft_send_fill(f, &s, tx->seq++);
		uint64_t t0 = rte_rdtsc(), end = t0 + hz;
		if (rte_eth_tx_burst(tx->id, 0, &f, 1) != 1) {
			rte_pktmbuf_free(f);
			lost++;
			continue;
		}
		uint16_t n = 0;
		while (n == 0 && rte_rdtsc() < end)
			n = rte_eth_rx_burst(rx->id, 0, m, 1);
		if (n == 0) {
			lost++;
			continue;
		}
		lat[got++] = (rte_rdtsc() - t0) * 1000000000 / hz;    /* ns */
		rte_pktmbuf_free_bulk(m, n);
	}
	qsort(lat, got, sizeof(lat[0]), ft_u64_cmp);
#define PCT(p) (got ? (double)lat[(got - 1) * (p) / 100] / 1000.0 : 0.0)
	ft_put(o, ",\"received\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"stray\":%" PRIu64
	       ",\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,\"min_us\":%.1f",
	       got, lost, stray, PCT(50), PCT(99), PCT(100), PCT(0));
#undef PCT
	return 0;
}

static int
ft_cmd_drain(struct ft_out *o, struct ft_args *a)
{
	const uint64_t hz = rte_get_tsc_hz();
	struct ft_rx_count c[FT_MAX_TOKENS] = { 0 };
	struct ft_port *p[FT_MAX_TOKENS];
	struct rte_mbuf *m[FT_BURST];
	uint64_t start = rte_rdtsc(), last = start, now = start, total = 0;

	if (a->n < 2)
		return ft_fail(o, "usage: drain NAME...");
	for (int i = 1; i < a->n; i++)
		if ((p[i] = ft_port_get(o, a->tok[i])) == NULL)
			return -1;
	while (!ft_stop && now - last < hz * FT_DRAIN_QUIET_MS / 1000 &&
	       now - start < hz * FT_DRAIN_MAX_MS / 1000) {
		for (int i = 1; i < a->n; i++) {
			uint16_t n = rte_eth_rx_burst(p[i]->id, 0, m, FT_BURST);

			if (n > 0)
				last = now;
			ft_rx_account(m, n, &c[i], NULL);
		}
		now = rte_rdtsc();
	}
	ft_put(o, ",\"quiet\":%s,\"ports\":{",
	       now - last >= hz * FT_DRAIN_QUIET_MS / 1000 ? "true" : "false");
	for (int i = 1; i < a->n; i++) {
		ft_put(o, "%s\"%s\":%" PRIu64, i > 1 ? "," : "", p[i]->name,
		       c[i].packets);
		total += c[i].packets;
	}
	ft_put(o, "},\"packets\":%" PRIu64, total);
	return 0;
}

/* ---- run: flood and measure ----------------------------------------- */

struct ft_flow {
	/* hot: touched per burst */
	struct ft_port *port;
	uint16_t len;
	uint16_t n_pend;
	uint16_t batch;                    /**< paced: frames per tx call */
	uint64_t period_fp;                /**< TSC per frame; 0: unpaced */
	uint64_t next_fp;                  /**< due time of the next frame */
	uint64_t slack_fp;                 /**< backlog allowed to catch up */
	uint64_t packets;
	uint64_t bytes;
	struct rte_mbuf *pend[FT_BURST];   /**< built, refused by the ring */
	uint8_t tmpl[FT_FRAME_MAX];
	/* per frame only when a list has several MACs */
	struct ft_macs dst;
	struct ft_macs src;
	/* cold */
	uint64_t pps;
};

struct ft_sink {
	struct ft_port *port;
	bool counted;                      /**< named in rx= */
	uint64_t packets;
	uint64_t bytes;
};

struct ft_run {
	uint64_t ms;
	uint64_t warmup_ms;
	uint64_t t_start;                  /**< TSC when measuring began */
	uint64_t t_stop;
	unsigned int n_flow;
	unsigned int n_sink;
	struct ft_sink sink[FT_MAX_PORTS];
	struct ft_flow flow[FT_MAX_FLOWS];
};

static struct ft_run ft_run;

/**
 * Split "NAME:key=v:key=v" into tokens in place. MACs contain ':', so a
 * ':' only separates when the text up to the next ':' holds an '='.
 */
static int
ft_spec_split(char *s, struct ft_args *a)
{
	a->n = 0;
	a->tok[a->n++] = s;
	for (char *c = strchr(s, ':'); c != NULL; c = strchr(c + 1, ':')) {
		size_t seg = strcspn(c + 1, ":");

		if (memchr(c + 1, '=', seg) == NULL)
			continue;
		if (a->n == FT_MAX_TOKENS)
			return -1;
		*c = '\0';
		a->tok[a->n++] = c + 1;
	}
	return 0;
}

/** Poll `p` during the run; count it if any mention says so. */
static void
ft_sink_add(struct ft_run *r, struct ft_port *p, bool counted)
{
	for (unsigned int i = 0; i < r->n_sink; i++) {
		if (r->sink[i].port == p) {
			r->sink[i].counted |= counted;
			return;
		}
	}
	r->sink[r->n_sink++] = (struct ft_sink){ .port = p,
						 .counted = counted };
}

static int
ft_sink_parse(struct ft_out *o, char *list, struct ft_run *r)
{
	char *save = NULL;

	for (char *n = strtok_r(list, ",", &save); n != NULL;
	     n = strtok_r(NULL, ",", &save)) {
		struct ft_port *p = ft_port_get(o, n);

		if (p == NULL)
			return -1;
		ft_sink_add(r, p, true);
	}
	return 0;
}

static int
ft_flow_pacing(struct ft_out *o, const struct ft_args *kv, struct ft_flow *f)
{
	if (ft_opt_u64(o, "pps", ft_kv(kv, 1, "pps"), 0, 1, 1000000000,
		       &f->pps) < 0)
		return -1;
	f->period_fp = 0;
	if (f->pps != 0)
		f->period_fp = RTE_MAX((rte_get_tsc_hz() << FT_FP_SHIFT) /
				       f->pps, UINT64_C(1));
	f->batch = (uint16_t)RTE_MAX(RTE_MIN(f->pps / FT_PACE_TICKS_HZ,
					     (uint64_t)FT_BURST), UINT64_C(1));
	f->slack_fp = RTE_MAX(((rte_get_tsc_hz() << FT_FP_SHIFT) / 1000) *
			      FT_PACE_SLACK_MS, FT_BURST * f->period_fp);
	return 0;
}

static int
ft_flow_parse(struct ft_out *o, char *spec, struct ft_run *r)
{
	static const char *const keys[] = {
		"dst", "src", "len", "vlan", "type", "ip", "pps", NULL
	};
	struct ft_frame fr;
	struct ft_args kv;
	struct ft_flow *f;

	if (r->n_flow == FT_MAX_FLOWS)
		return ft_fail(o, "at most %d tx= flows", FT_MAX_FLOWS);
	f = &r->flow[r->n_flow];
	if (ft_spec_split(spec, &kv) < 0)
		return ft_fail(o, "tx=: too many fields");
	if ((f->port = ft_port_get(o, kv.tok[0])) == NULL)
		return -1;
	for (unsigned int i = 0; i < r->n_flow; i++)
		if (r->flow[i].port == f->port)
			return ft_fail(o, "tx=: port %s given twice",
				       f->port->name);
	if (ft_kv_check(o, &kv, 1, keys) < 0 ||
	    ft_frame_opts(o, &kv, 1, f->port, FT_MAX_MACS, &f->dst, &f->src,
			  &fr) < 0 ||
	    ft_flow_pacing(o, &kv, f) < 0)
		return -1;
	ft_frame_build(f->tmpl, &fr);
	f->len = fr.len;
	r->n_flow++;
	ft_sink_add(r, f->port, false);
	return 0;
}

static int
ft_run_parse(struct ft_out *o, struct ft_args *a, struct ft_run *r)
{
	static const char *const keys[] = { "ms", "warmup", "tx", "rx", NULL };

	memset(r, 0, sizeof(*r));
	if (ft_kv_check(o, a, 1, keys) < 0)
		return -1;
	if (ft_kv(a, 1, "ms") == NULL)
		return ft_fail(o, "usage: run ms=T [warmup=W] "
			       "[tx=NAME:dst=MAC[+MAC..]:src=MAC:len=L"
			       "[:vlan=ID][:pps=RATE]].. [rx=NAME[,NAME..]]");
	if (ft_opt_u64(o, "ms", ft_kv(a, 1, "ms"), 0, 1, FT_RUN_MAX_MS,
		       &r->ms) < 0 ||
	    ft_opt_u64(o, "warmup", ft_kv(a, 1, "warmup"), 0, 0,
		       FT_RUN_MAX_MS, &r->warmup_ms) < 0)
		return -1;
	for (int i = 1; i < a->n; i++) {
		char *t = a->tok[i];

		if (strncmp(t, "tx=", 3) == 0 && ft_flow_parse(o, t + 3, r) < 0)
			return -1;
		if (strncmp(t, "rx=", 3) == 0 && ft_sink_parse(o, t + 3, r) < 0)
			return -1;
	}
	return 0;
}

/** How many frames the flow may offer now: a burst, or what is due. */
static inline unsigned int
ft_flow_due(const struct ft_flow *f, uint64_t rel_fp)
{
	uint64_t due;

	if (f->period_fp == 0)
		return FT_BURST;
	if (rel_fp < f->next_fp)
		return 0;
	due = (rel_fp - f->next_fp) / f->period_fp + 1;
	if (due < f->batch)
		return 0;
	return due < FT_BURST ? (unsigned int)due : FT_BURST;
}

/** Credit `n` sent frames; forget any backlog beyond the slack. */
static inline void
ft_flow_advance(struct ft_flow *f, uint16_t n, uint64_t rel_fp)
{
	uint64_t slack = f->slack_fp;

	f->next_fp += n * f->period_fp;
	if (rel_fp > slack && f->next_fp < rel_fp - slack)
		f->next_fp = rel_fp - slack;
}

static inline void
ft_mac_next(struct ft_macs *l, uint8_t *at)
{
	memcpy(at, l->mac[l->next], RTE_ETHER_ADDR_LEN);
	if (++l->next == l->n)
		l->next = 0;
}

static inline void
ft_flow_fill(struct ft_flow *f, struct rte_mbuf *m)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);

	rte_memcpy(d, f->tmpl, f->len);
	if (f->dst.n > 1)
		ft_mac_next(&f->dst, d);
	if (f->src.n > 1)
		ft_mac_next(&f->src, d + RTE_ETHER_ADDR_LEN);
	m->data_len = f->len;
	m->pkt_len = f->len;
}

static inline void
ft_flow_step(struct ft_flow *f, uint64_t rel_fp)
{
	unsigned int want = ft_flow_due(f, rel_fp);
	unsigned int add = want > f->n_pend ? want - f->n_pend : 0;
	uint16_t n;

	if (want == 0)
		return;
	if (add > 0 &&
	    rte_pktmbuf_alloc_bulk(ft_pool, f->pend + f->n_pend, add) == 0) {
		for (unsigned int i = 0; i < add; i++)
			ft_flow_fill(f, f->pend[f->n_pend + i]);
		f->n_pend += add;
	}
	n = rte_eth_tx_burst(f->port->id, 0, f->pend,
			     RTE_MIN(want, f->n_pend));
	if (n == 0)
		return;
	f->packets += n;
	f->bytes += (uint64_t)n * f->len;
	f->n_pend -= n;
	memmove(f->pend, f->pend + n, f->n_pend * sizeof(f->pend[0]));
	if (f->period_fp != 0)
		ft_flow_advance(f, n, rel_fp);
}

static inline void
ft_sink_step(struct ft_sink *s)
{
	struct rte_mbuf *m[FT_BURST];
	uint16_t n = rte_eth_rx_burst(s->port->id, 0, m, FT_BURST);

	if (n == 0)
		return;
	if (s->counted) {
		s->packets += n;
		for (uint16_t i = 0; i < n; i++)
			s->bytes += rte_pktmbuf_pkt_len(m[i]);
	}
	rte_pktmbuf_free_bulk(m, n);
}

static void
ft_run_reset_counts(struct ft_run *r, uint64_t now)
{
	for (unsigned int i = 0; i < r->n_flow; i++)
		r->flow[i].packets = r->flow[i].bytes = 0;
	for (unsigned int i = 0; i < r->n_sink; i++)
		r->sink[i].packets = r->sink[i].bytes = 0;
	r->t_start = now;
}

static void
ft_run_loop(struct ft_run *r)
{
	const uint64_t hz = rte_get_tsc_hz();
	const uint64_t t0 = rte_rdtsc();
	const uint64_t t_meas = t0 + hz * r->warmup_ms / 1000;
	const uint64_t t_end = t_meas + hz * r->ms / 1000;
	bool measuring = false;
	uint64_t now;

	while ((now = rte_rdtsc()) < t_end && !ft_stop) {
		uint64_t rel_fp = (now - t0) << FT_FP_SHIFT;

		if (!measuring && now >= t_meas) {
			ft_run_reset_counts(r, now);
			measuring = true;
		}
		for (unsigned int i = 0; i < r->n_flow; i++)
			ft_flow_step(&r->flow[i], rel_fp);
		for (unsigned int i = 0; i < r->n_sink; i++)
			ft_sink_step(&r->sink[i]);
	}
	if (!measuring)
		ft_run_reset_counts(r, now);
	r->t_stop = now;
	for (unsigned int i = 0; i < r->n_flow; i++)
		rte_pktmbuf_free_bulk(r->flow[i].pend, r->flow[i].n_pend);
}

static uint64_t
ft_rate(uint64_t n, uint64_t cycles)
{
	return cycles ? (uint64_t)((double)n * rte_get_tsc_hz() / cycles) : 0;
}

static void
ft_run_report(struct ft_out *o, const struct ft_run *r)
{
	uint64_t cyc = r->t_stop - r->t_start;
	const char *sep = "";

	ft_put(o, ",\"ms\":%" PRIu64 ",\"tx\":{", r->ms);
	for (unsigned int i = 0; i < r->n_flow; i++) {
		const struct ft_flow *f = &r->flow[i];

		ft_put(o, "%s\"%s\":{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
		       ",\"pps\":%" PRIu64 "}", i ? "," : "", f->port->name,
		       f->packets, f->bytes, ft_rate(f->packets, cyc));
	}
	ft_put(o, "},\"rx\":{");
	for (unsigned int i = 0; i < r->n_sink; i++) {
		const struct ft_sink *s = &r->sink[i];

		if (!s->counted)
			continue;
		ft_put(o, "%s\"%s\":{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
		       ",\"pps\":%" PRIu64 "}", sep, s->port->name, s->packets,
		       s->bytes, ft_rate(s->packets, cyc));
		sep = ",";
	}
	ft_put(o, "}");
}

static int
ft_cmd_run(struct ft_out *o, struct ft_args *a)
{
	if (ft_run_parse(o, a, &ft_run) < 0)
		return -1;
	ft_run_loop(&ft_run);
	ft_run_report(o, &ft_run);
	return 0;
}

/* ---- command table and main loop ------------------------------------ */

static int
ft_cmd_quit(struct ft_out *o, struct ft_args *a)
{
	ft_stop = 1;
	return 0;
}

struct ft_cmd {
	const char *word;
	const char *sub;                   /**< second word, or NULL */
	int (*fn)(struct ft_out *o, struct ft_args *a);
};

static const struct ft_cmd ft_cmds[] = {
	{ "port", "add", ft_cmd_port_add },
	{ "port", "del", ft_cmd_port_del },
	{ "ports", NULL, ft_cmd_ports },
	{ "send", NULL, ft_cmd_send },
	{ "recv", NULL, ft_cmd_recv },
	{ "latency", NULL, ft_cmd_latency },
	{ "drain", NULL, ft_cmd_drain },
	{ "run", NULL, ft_cmd_run },
	{ "stats", NULL, ft_cmd_stats },
	{ "quit", NULL, ft_cmd_quit },
};

static void
ft_execute(char *line, struct ft_out *o)
{
	struct ft_args a;

	o->len = 0;
	o->failed = false;
	if (ft_tokenize(line, &a) < 0) {
		ft_fail(o, "too many arguments (max %d)", FT_MAX_TOKENS);
		return;
	}
	if (a.n == 0) {
		ft_fail(o, "empty command");
		return;
	}
	for (size_t i = 0; i < RTE_DIM(ft_cmds); i++) {
		const struct ft_cmd *c = &ft_cmds[i];

		if (strcmp(a.tok[0], c->word) != 0 ||
		    (c->sub != NULL && (a.n < 2 || strcmp(a.tok[1], c->sub))))
			continue;
		ft_put(o, "{\"ok\":true");
		c->fn(o, &a);
		if (!o->failed)
			ft_put(o, "}");
		return;
	}
	ft_fail(o, "unknown command '%.64s' (port add|port del|ports|send|"
		"recv|drain|run|stats|quit)", a.tok[0]);
}

static void
ft_serve(FILE *json)
{
	static struct ft_out out;
	char *line = NULL;
	size_t cap = 0;

	while (!ft_stop && getline(&line, &cap, stdin) >= 0) {
		ft_execute(line, &out);
		fprintf(json, "%.*s\n", (int)out.len, out.buf);
		if (fflush(json) != 0)
			break;
	}
	free(line);
}

static void
ft_shutdown(void)
{
	for (int i = 0; i < FT_MAX_PORTS; i++) {
		if (ft_ports[i].used)
			ft_port_teardown(ft_ports[i].id);
		ft_ports[i].used = false;
	}
	rte_mempool_free(ft_pool);
	rte_eal_cleanup();
}

/** Keep the JSON channel private: fd 1 becomes stderr for everyone else. */
static FILE *
ft_stdio_split(void)
{
	int fd = dup(STDOUT_FILENO);
	FILE *json = fd < 0 ? NULL : fdopen(fd, "w");

	if (json == NULL || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		perror("fntraffic: stdout");
		exit(1);
	}
	return json;
}

static void
ft_on_signal(int sig)
{
	ft_stop = 1;
}

/*
 * SIGINT/SIGTERM must interrupt the main thread's read(), so they are
 * blocked while EAL creates its threads (which inherit the mask) and
 * handled without SA_RESTART afterwards.
 */
static void
ft_signals(bool install)
{
	struct sigaction sa = { .sa_handler = ft_on_signal };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (!install) {
		pthread_sigmask(SIG_BLOCK, &set, NULL);
		return;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/** Application options after EAL's "--": only --mbufs N. */
static int
ft_app_args(int argc, char **argv, uint64_t *mbufs)
{
	*mbufs = FT_MBUFS_DEFAULT;
	if (argc == 1)
		return 0;
	if (argc == 3 && strcmp(argv[1], "--mbufs") == 0 &&
	    ft_parse_uint(argv[2], 10, 1024, UINT32_MAX, mbufs) == 0)
		return 0;
	fprintf(stderr, "usage: fntraffic [EAL options] [-- --mbufs N]\n");
	return -1;
}

int
main(int argc, char **argv)
{
	FILE *json = ft_stdio_split();
	uint64_t mbufs;
	int ret;

	ft_signals(false);
	rte_openlog_stream(stderr);
	rte_log_set_global_level(RTE_LOG_WARNING);
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "fntraffic: EAL init: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	ft_signals(true);
	if (ft_app_args(argc - ret, argv + ret, &mbufs) < 0) {
		rte_eal_cleanup();
		return 1;
	}
	ft_pool = rte_pktmbuf_pool_create("fntraffic", (unsigned int)mbufs,
					  FT_MBUF_CACHE, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE,
					  (int)rte_socket_id());
	if (ft_pool == NULL) {
		fprintf(stderr, "fntraffic: mempool: %s\n",
			rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 1;
	}
	ft_serve(json);
	ft_shutdown();
	fclose(json);
	return 0;
}
