/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the daemon's control protocol (build and run:
 * fuzz/run_ctl.sh).
 *
 * Under test: fnd_ctl_request() (fnd_ctl_req.c: one JSON request line ->
 * reply object), fnd_ctl_exec() (fnd_ctl.c: the dispatcher, applying
 * commands to the global `struct fnd fnd`), the grammar (fn_cmd.c), the
 * socket-path rules (fnd_sock.c) and the switch's control half
 * (fn_switch.c, fn_fib.c), linked from src/ as they are. DPDK is not
 * linked: ctl_stubs.c supplies the three DPDK library calls of fnd_ctl.c,
 * fake vhost-user / tap backends that record what the daemon registered
 * (socket paths, modes and groups; tap ports), a recorder of the RARP
 * announcements started (fnd_announce.c), and fakes of the two fnd_sock.c
 * functions that touch the system (chmod/chown, group names).
 *
 * The input is a header line and then requests, one per line, run in
 * order against one daemon set up fresh for every input (fnd filled like
 * fnd_main.c does: a table of NV = 16 vNICs, uplinks up0 and up1, the
 * TSC at 2 GHz). The header's first byte picks:
 *  - bit 0: the framing. 0: each line is a socket request, through
 *    fnd_ctl_request() ("["vnic","show"]"); 1: each line is a --config
 *    line, through fn_cmd_split() + fnd_ctl_exec() as fnd_ctl_run_config()
 *    does (a 4096-byte line buffer, '#' comments);
 *  - (byte >> 1) % 3: the state before the first request: an empty table,
 *    three vNICs a, b, c (both uplinks, a VLAN, a tap, limits, one MAC in
 *    two VLANs), or fifteen vNICs (one slot free, so "table full" is one
 *    add away);
 *  - bit 6: the daemon runs with --vhost-mode 0600 --vhost-group fairnic
 *    instead of the defaults (0660, the daemon's group).
 * The control socket is /tmp/fn-ctl.sock (canonicalized as fnd_main.c
 * does), so that `vnic add` can be pointed at it.
 * Before every request the data plane is played by bumping the counters
 * of every vNIC in use and of both uplinks, and the fake counters kept
 * outside fairnic (ports' and taps' drops, ctl_stubs.c), so that
 * `stats reset` and a wrongly reset counter are visible; and by queueing
 * a frame (up to 3) for every vNIC with a guest (taps), so that `stats`
 * shows a queue and `vnic del` must flush it.
 *
 * Checks, after every request:
 *  - the reply: a JSON object with a boolean "ok"; when true, "data" and
 *    no "error"; when false, a non-empty "error" string with no newline
 *    (docs/CONTROL.md: "one line naming the problem") and no "data"; it
 *    serializes (as fnd_ctl_sock.c does) to one line. A framing error (not
 *    a JSON array of at most 64 NUL-free strings) sets *fatal, and only
 *    then. Words the grammar rejects get ok: false. Every reply is freed,
 *    so anything leaked on any path is an ASan (LeakSanitizer) finding;
 *  - "a rejected request changes nothing" (README, CONTROL.md, fnd_ctl.c):
 *    everything control-visible is snapshot before the request and, when
 *    the reply says ok: false, compared after it: for every slot of the
 *    table, in_use (switch and vport), and for slots in use the vport
 *    (name, backend, path, vid, ready, port, mode, group), the socket's
 *    mode and group as set through the backend, the conf, the data plane's
 *    copy of the address, the limit profiles and bucket state, the domain
 *    links, the counters and the baseline of a tap's kernel counters,
 *    and the fib lookup of its (uplink, vlan, mac);
 *    sw->n_vnics; fnd.n_active and fnd.active[]; the uplink counters and
 *    port-drop baselines; the fib as a map (count and every entry); the
 *    backends registered; the announcements pending and started;
 *  - read-only commands (vnic show, uplink show, stats, help) change
 *    nothing either, and what they return matches the table (stats: the
 *    core's counters, a tap's kernel drops and up0's port drops since the
 *    last reset, null for a tap that cannot be read, the receive queue and
 *    its head's wait, rates and shares in range; uplink show: the
 *    capacities and whether tx-rate is auto; help: the topic asked for);
 *  - an accepted command changed only what it names: `vnic add` one free
 *    slot, now holding exactly the configuration asked for (unspecified
 *    keys at their documented defaults, bursts resolved as documented,
 *    the socket path in canonical form, mode and group as given or the
 *    daemon's defaults); `vnic set` the named vNIC's conf, mode and group
 *    only, keys given take the new value, the rest keep theirs (a new rate
 *    without a burst gets the default burst), and an announcement is
 *    started exactly when its uplink, VLAN or MAC changed; mode and group
 *    are refused for tap vNICs; `vnic del` one slot; `stats reset [NAME]` counters
 *    and baselines only (zeroed / rebased to the current outside values,
 *    unchanged where those cannot be read);
 *  - `uplink set` changes the capacities it names (auto: the link speed,
 *    10G for up0, none for up1), kept in an independent model, and
 *    nothing else;
 *  - `config show` (refused exactly when a vNIC's path or tap name holds a
 *    blank or '#'): one `uplink set` line per uplink whose capacities are
 *    not the defaults, as the model says, then one `vnic add` line per
 *    vNIC in table order which, applied to the defaults (conf_expect),
 *    gives exactly that vNIC's configuration, backend, mode and group;
 *    every line parses and fits a --config line; `config save` (the
 *    CLI's) and `config reload` (no --config) are refused; the --state
 *    file is written once after each accepted change, and only then;
 *  - requests that cannot fail do not: del/show/stats/reset of an
 *    existing vNIC, `uplink show`, `help`;
 *  - admission control, modelled independently (expect_ok()): an `uplink
 *    set`, or a `vnic set` of only guarantees, weights, rx-police, rx-aqm,
 *    is accepted exactly when the guarantees stay below their ceilings
 *    and within the uplink's capacity;
 *  - consistency of the whole state, whatever the reply: the round lock
 *    is free; n_vnics equals the slots in use, in the switch and in the
 *    vports alike; fnd.active[] lists exactly those slots in order; every
 *    vNIC in use is found by fn_fib_lookup() at its (uplink, vlan, mac)
 *    and its data-plane address equals its conf; names are valid and
 *    unique, backend paths unique per type; every broadcast domain's list
 *    starts at its fib head and holds exactly its members; the fib holds
 *    exactly one entry per vNIC plus one per non-empty domain; the
 *    backends registered are exactly those of the vNICs in use (no
 *    socket leaked by a failed add, none left behind by a delete), each
 *    socket with the mode and group its vNIC shows; only vNICs in use are
 *    being announced (a deleted one is forgotten); link sharing: no
 *    guarantee above its ceiling, weights in 1..10000, a queue of at least
 *    one frame, the data plane's copies (rx-police, rx-aqm, queue limit)
 *    and the schedulers' flows (guarantee, weight, a tap's transmit flow
 *    awake) as configured, the guarantees on each uplink within its
 *    capacity, and the capacities as the model says.
 *
 * A failed check prints the request and what failed, and aborts, which
 * libFuzzer reports as a crash. Replay one with build/fuzz/fuzz_ctl FILE;
 * built with -DFUZZ_TRACE (FUZZ_CTL_CFLAGS=-DFUZZ_TRACE fuzz/run_ctl.sh)
 * every request and its reply are printed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "fnd.h"
#include "fnd_sock.h"

#define NV       16                      /* --max-vnics of the daemon */
#define HZ       UINT64_C(2000000000)    /* rte_get_tsc_hz() stand-in */
#define NU       2                       /* uplinks up0, up1 */
#define CFG_LINE 4096                    /* fnd_ctl_run_config's buffer */
#define MAX_WORDS 64                     /* fnd_ctl_req.c's limit */
#define NONE     FN_VNIC_NONE
#define FIB_SLOTS 64                     /* fn_fib_create(2 * NV) */
#define STUB_FRAME   100                 /* ctl_stubs.c: bytes per queued frame */
#define STUB_SOJOURN 10000               /* ctl_stubs.c: cycles per frame queued */
#define LINK_UP0 UINT64_C(10000000000)   /* ctl_stubs.c: up0's 10G; up1 has none */

/* ctl_stubs.c */
void stub_reset(void);
struct rte_mempool *stub_pool(void);
uint32_t stub_vhost_count(void);
int stub_vhost_find(const char *path);
int stub_vhost_perm(const char *path, uint32_t *mode, gid_t *gid);
uint32_t stub_tap_count(void);
int stub_tap_registered(uint32_t id);
void stub_tick(void);
int stub_announce_state(uint32_t id, uint32_t *starts);
uint32_t stub_state_saves(void);
/* fnd_ctl.c, not in fnd.h: fnd_main.c's call after setting up the uplinks,
 * and the harness's own reset of what fnd_ctl.c keeps between commands. */
void fnd_ctl_uplink_defaults(void);
void fnd_ctl_forget(void);

/* The request being run, printed when a check fails. */
static const char *cur_line;
static size_t cur_len;

static void __attribute__((noreturn))
fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: check failed: %s\nrequest: ", file, line, what);
	for (size_t i = 0; cur_line != NULL && i < cur_len; i++) {
		unsigned char c = (unsigned char)cur_line[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	fputc('\n', stderr);
	abort();
}

#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c))                                                     \
			fail(__FILE__, __LINE__, #c);                         \
	} while (0)
/* Slot `i` of the table: say which one failed. */
#define CHECK_SLOT(c, i)                                                      \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "slot %u:\n", (unsigned)(i));         \
			fail(__FILE__, __LINE__, #c);                         \
		}                                                             \
	} while (0)

/* ---- the daemon --------------------------------------------------------- */

/* The harness's model of the uplinks' capacities (README, "Uplinks"):
 * rx-rate 0 (unlimited) and tx-rate auto = the link speed until set. */
static struct {
	uint64_t rx, tx;
	bool tx_auto;
} model_up[NU];

static uint64_t
link_speed(int u)
{
	return u == 0 ? LINK_UP0 : 0;   /* ctl_stubs.c: up1's link cannot be read */
}

/* Run one command at set-up; it must succeed. */
static void
setup_cmd(const char *text)
{
	char buf[CFG_LINE], *argv[MAX_WORDS];

	cur_line = text;
	cur_len = strlen(text);
	snprintf(buf, sizeof(buf), "%s", text);
	int argc = fn_cmd_split(buf, argv, MAX_WORDS);
	json_t *r = fnd_ctl_exec(argc, argv);
	CHECK(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
}

/* A daemon as fnd_main.c leaves it before --config, then `level` seeds. */
static void
daemon_init(unsigned level, bool alt)
{
	char cmd[256], err[256];

	memset(&fnd, 0, sizeof(fnd));
	stub_reset();
	rte_ticketlock_init(&fnd.round);
	for (int i = 0; i < FND_VHOST_MAX; i++)
		fnd.vid_vnic[i] = -1;
	fnd.pool = stub_pool();
	fnd.sw = fn_switch_create(NV, FND_MAX_UPLINKS, HZ, FN_DEFAULT_MAX_FRAME);
	fnd.vports = calloc(NV, sizeof(*fnd.vports));
	fnd.active = calloc(NV, sizeof(*fnd.active));
	CHECK(fnd.sw != NULL && fnd.vports != NULL && fnd.active != NULL);
	CHECK(fnd.sw->fib->mask + 1 <= FIB_SLOTS);
	for (uint16_t u = 0; u < NU; u++) {
		snprintf(fnd.uplinks[u].name, sizeof(fnd.uplinks[u].name), "up%u", u);
		snprintf(fnd.uplinks[u].devargs, sizeof(fnd.uplinks[u].devargs),
			 "net_null%u", u);
		fnd.uplinks[u].port = u;
	}
	fnd.n_uplinks = NU;
	CHECK(fnd_sock_canon("/tmp/fn-ctl.sock", fnd.ctl_path,
			     sizeof(fnd.ctl_path), err, sizeof(err)) == 0);
	fnd.vhost_mode = alt ? 0600 : 0660;
	snprintf(fnd.vhost_group, sizeof(fnd.vhost_group), "%s",
		 alt ? "fairnic" : "");
	/* As fnd_main.c: the link speeds before --config. */
	fnd_ctl_forget();
	fnd_ctl_uplink_defaults();
	for (int u = 0; u < NU; u++)
		model_up[u].rx = 0, model_up[u].tx = link_speed(u), model_up[u].tx_auto = true;
	if (level == 0)
		return;
	setup_cmd("vnic add a mac 52:54:00:00:00:01 vhost-user /tmp/fn-a.sock");
	setup_cmd("vnic add b mac 52:54:00:00:00:02 tap fnb uplink up1 vlan 10 "
		  "rx-rate 10mbit tx-pps 1000");
	setup_cmd("vnic add c mac 52:54:00:00:00:01 vhost-user /tmp/fn-c.sock "
		  "vlan 100 local off rx-pps 24000 tx-rate 1gbit tx-burst 64kb "
		  "mode 0600 group kvm tx-min 300mbit rx-weight 3 rx-aqm tail");
	if (level == 1)
		return;
	for (unsigned i = 3; i < NV - 1; i++) {
		snprintf(cmd, sizeof(cmd), "vnic add v%u mac 52:54:00:00:01:%02x "
			 "%s%u%s uplink up%u vlan %s", i, i,
			 i % 3 ? "vhost-user /tmp/fn-v" : "tap fnv", i,
			 i % 3 ? ".sock" : "", i % 2, i % 4 ? "none" : "10");
		setup_cmd(cmd);
	}
}

static void
daemon_fini(void)
{
	fn_switch_free(fnd.sw);
	free(fnd.vports);
	free(fnd.active);
	fnd.sw = NULL;
	fnd.vports = NULL;
	fnd.active = NULL;
	stub_reset();
}

/* The data plane's part: counters move between two requests, and a
 * frame of STUB_FRAME bytes waits in the receive queue of every vNIC with
 * a guest (up to 3; nothing is delivered). */
static void
traffic(void)
{
	for (uint32_t i = 0; i < NV; i++) {
		if (!fnd.sw->vnics[i].in_use)
			continue;
		for (int k = 0; k < FN_VC_MAX; k++)
			fnd.sw->vnics[i].ctr[k] += 1 + (uint64_t)k + i;
		if (fnd.vports[i].ready && fnd.sw->vnics[i].rxq.held < 3)
			fn_switch_rx_enqueue(fnd.sw, i, STUB_FRAME, 0);
	}
	for (int u = 0; u < NU; u++)
		for (int k = 0; k < FN_UC_MAX; k++)
			fnd.sw->uplink_ctr[u][k] += 1 + (uint64_t)k;
	stub_tick();    /* and the counters kept outside fairnic */
}

/* ---- snapshots ---------------------------------------------------------- */

struct vsnap {
	bool in_use;                    /* sw->vnics[i].in_use */
	bool vp_in_use;                 /* fnd.vports[i].in_use */
	struct fnd_vport vp;
	struct fn_vnic_conf conf;
	uint64_t mac;
	uint16_t uplink, vlan;
	bool local;
	uint32_t dom_next, dom_prev;
	struct fn_vnic_limits lim;
	struct fn_tb tb[2];
	uint64_t ctr[FN_VC_MAX];
	uint32_t fib;                   /* lookup of (uplink, vlan, mac) */
	int announcing;                 /* stub_announce_state() */
	uint32_t announces;             /* announcements started */
	int sock;                       /* its socket registered: 0, else -1 */
	uint32_t sock_mode;             /* and its mode and group */
	gid_t sock_gid;
};

struct snap {
	uint32_t n_vnics;
	uint32_t n_active;
	uint32_t active[NV];
	struct vsnap v[NV];
	uint64_t uctr[NU][FN_UC_MAX];
	uint64_t ubase[NU][FND_PORT_DROPS];     /* fnd.uplinks[].drops_base */
	uint64_t rx_cap[NU], tx_cap[NU];        /* the uplinks' capacities */
	uint32_t fib_count;
	struct fn_fib_slot fib[FIB_SLOTS];
	uint32_t n_vhost, n_tap;
	uint16_t n_uplinks;
	struct rte_mempool *pool;
};

static void
snap_take(struct snap *s)
{
	const struct fn_switch *sw = fnd.sw;

	memset(s, 0, sizeof(*s));
	s->n_vnics = sw->n_vnics;
	s->n_active = fnd.n_active;
	CHECK(fnd.n_active <= NV);
	memcpy(s->active, fnd.active, fnd.n_active * sizeof(*fnd.active));
	for (uint32_t i = 0; i < NV; i++) {
		const struct fn_vnic *v = &sw->vnics[i];
		struct vsnap *t = &s->v[i];
		t->in_use = v->in_use;
		t->vp_in_use = fnd.vports[i].in_use;
		t->announcing = stub_announce_state(i, &t->announces);
		if (!t->in_use && !t->vp_in_use)
			continue;
		t->vp = fnd.vports[i];
		t->conf = v->conf;
		t->mac = v->mac;
		t->uplink = v->uplink;
		t->vlan = v->vlan;
		t->local = v->local;
		t->dom_next = v->dom_next;
		t->dom_prev = v->dom_prev;
		t->lim = v->lim;
		t->tb[0] = v->rx_bits;
		t->tb[1] = v->rx_pkts;
		memcpy(t->ctr, v->ctr, sizeof(t->ctr));
		t->fib = fn_fib_lookup(sw->fib, v->conf.uplink, v->conf.vlan,
				       v->conf.mac);
		t->sock = t->vp.type == FN_BACKEND_VHOST_USER
			  ? stub_vhost_perm(t->vp.path, &t->sock_mode, &t->sock_gid)
			  : -1;
	}
	memcpy(s->uctr, sw->uplink_ctr, sizeof(s->uctr));
	for (int u = 0; u < NU; u++) {
		memcpy(s->ubase[u], fnd.uplinks[u].drops_base, sizeof(s->ubase[u]));
		s->rx_cap[u] = sw->rx_cap[u];
		s->tx_cap[u] = sw->tx_cap[u];
	}
	s->fib_count = sw->fib->count;
	memcpy(s->fib, sw->fib->slots, (sw->fib->mask + 1) * sizeof(s->fib[0]));
	s->n_vhost = stub_vhost_count();
	s->n_tap = stub_tap_count();
	s->n_uplinks = fnd.n_uplinks;
	s->pool = fnd.pool;
}

static int
snap_find(const struct snap *s, const char *name)
{
	for (int i = 0; i < NV; i++)
		if (s->v[i].vp_in_use && strcmp(s->v[i].vp.name, name) == 0)
			return i;
	return -1;
}

static bool
vport_eq(const struct fnd_vport *a, const struct fnd_vport *b)
{
	/* tap_drops_base is a counter's: check_same() compares it. */
	return a->in_use == b->in_use && a->ready == b->ready &&
	       a->type == b->type && strcmp(a->name, b->name) == 0 &&
	       strcmp(a->path, b->path) == 0 && a->vid == b->vid &&
	       a->port == b->port && a->mode == b->mode &&
	       strcmp(a->group, b->group) == 0;
}

static bool
conf_eq(const struct fn_vnic_conf *a, const struct fn_vnic_conf *b)
{
	return a->mac == b->mac && a->uplink == b->uplink &&
	       a->vlan == b->vlan && a->local == b->local &&
	       a->rx_rate == b->rx_rate && a->rx_burst == b->rx_burst &&
	       a->rx_pps == b->rx_pps && a->rx_pps_burst == b->rx_pps_burst &&
	       a->tx_rate == b->tx_rate && a->tx_burst == b->tx_burst &&
	       a->tx_pps == b->tx_pps && a->tx_pps_burst == b->tx_pps_burst &&
	       a->rx_min == b->rx_min && a->tx_min == b->tx_min &&
	       a->rx_weight == b->rx_weight && a->tx_weight == b->tx_weight &&
	       a->rx_queue == b->rx_queue && a->rx_police == b->rx_police &&
	       a->rx_aqm == b->rx_aqm && a->rx_coalesce_usecs == b->rx_coalesce_usecs &&
	       a->rx_coalesce_frames == b->rx_coalesce_frames &&
	       a->rx_coalesce_adaptive == b->rx_coalesce_adaptive &&
	       fn_ipset_equal(&a->ip, &b->ip) && a->dhcp_server == b->dhcp_server &&
	       a->ra == b->ra;
}

static bool
prof_eq(const struct fn_tb_profile *a, const struct fn_tb_profile *b)
{
	return a->rate == b->rate && a->unit_cost == b->unit_cost &&
	       a->max_tokens == b->max_tokens && a->unlimited == b->unlimited;
}

static bool
lim_eq(const struct fn_vnic_limits *a, const struct fn_vnic_limits *b)
{
	return prof_eq(&a->rx_bits, &b->rx_bits) &&
	       prof_eq(&a->rx_pkts, &b->rx_pkts);
}

/* What check_same() may skip. */
#define SAME_ALL      0
#define SAME_NO_CTR   1   /* counters and their baselines (stats reset) */
#define SAME_NO_FIB   2   /* fib map and domain links (vnic set) */
#define SAME_NO_TABLE 4   /* n_vnics, active[], backends too (add, del) */
#define SAME_NO_CAP   8   /* the uplinks' capacities (uplink set) */

/* Everything in `a` is in `b`, but slot `skip` and what `flags` allow. */
static void
check_same(const struct snap *a, const struct snap *b, uint32_t skip, int flags)
{
	bool fib = !(flags & (SAME_NO_FIB | SAME_NO_TABLE));

	for (uint32_t i = 0; i < NV; i++) {
		const struct vsnap *x = &a->v[i], *y = &b->v[i];
		if (i == skip)
			continue;
		CHECK_SLOT(x->in_use == y->in_use, i);
		CHECK_SLOT(x->vp_in_use == y->vp_in_use, i);
		CHECK_SLOT(x->announcing == y->announcing &&
			   x->announces == y->announces, i);
		if (!x->in_use && !x->vp_in_use)
			continue;
		CHECK_SLOT(vport_eq(&x->vp, &y->vp), i);
		CHECK_SLOT(conf_eq(&x->conf, &y->conf), i);
		CHECK_SLOT(x->mac == y->mac && x->uplink == y->uplink &&
			   x->vlan == y->vlan && x->local == y->local, i);
		CHECK_SLOT(lim_eq(&x->lim, &y->lim), i);
		for (int k = 0; k < 2; k++)
			CHECK_SLOT(x->tb[k].tokens == y->tb[k].tokens &&
				   x->tb[k].last == y->tb[k].last, i);
		CHECK_SLOT(x->fib == y->fib, i);
		CHECK_SLOT(x->sock == y->sock && x->sock_mode == y->sock_mode &&
			   x->sock_gid == y->sock_gid, i);
		if (fib)
			CHECK_SLOT(x->dom_next == y->dom_next &&
				   x->dom_prev == y->dom_prev, i);
		if (!(flags & SAME_NO_CTR)) {
			CHECK_SLOT(memcmp(x->ctr, y->ctr, sizeof(x->ctr)) == 0, i);
			CHECK_SLOT(memcmp(x->vp.tap_drops_base, y->vp.tap_drops_base,
					  sizeof(x->vp.tap_drops_base)) == 0, i);
		}
	}
	if (!(flags & SAME_NO_CTR)) {
		CHECK(memcmp(a->uctr, b->uctr, sizeof(a->uctr)) == 0);
		CHECK(memcmp(a->ubase, b->ubase, sizeof(a->ubase)) == 0);
	}
	CHECK(a->n_uplinks == b->n_uplinks && a->pool == b->pool);
	if (!(flags & SAME_NO_CAP))
		CHECK(memcmp(a->rx_cap, b->rx_cap, sizeof(a->rx_cap)) == 0 &&
		      memcmp(a->tx_cap, b->tx_cap, sizeof(a->tx_cap)) == 0);
	if (!(flags & SAME_NO_TABLE)) {
		CHECK(a->n_vnics == b->n_vnics);
		CHECK(a->n_active == b->n_active);
		CHECK(memcmp(a->active, b->active, sizeof(a->active)) == 0);
		CHECK(a->n_vhost == b->n_vhost && a->n_tap == b->n_tap);
	}
	if (fib) {
		/* Same map: as many entries, each of a's found in b. */
		CHECK(a->fib_count == b->fib_count);
		for (uint32_t j = 0; j < FIB_SLOTS; j++) {
			const struct fn_fib_slot *s = &a->fib[j];
			if (s->key == 0)
				continue;
			uint16_t vlan = (s->key & 0x1000) ? FN_VLAN_NONE :
					(uint16_t)(s->key & 0x0fff);
			CHECK(fn_fib_lookup(fnd.sw->fib, s->uplink, vlan,
					    s->key >> 16) == s->value);
		}
	}
}

/* ---- consistency of the state, after every request ---------------------- */

static void
check_state(void)
{
	const struct fn_switch *sw = fnd.sw;
	uint32_t n = 0, vhost = 0, tap = 0, domains = 0;

	CHECK(!rte_ticketlock_is_locked(&fnd.round));
	CHECK(fnd.n_uplinks == NU && fnd.pool == stub_pool());
	for (uint32_t i = 0; i < NV; i++) {
		const struct fn_vnic *v = &sw->vnics[i];
		const struct fnd_vport *vp = &fnd.vports[i];
		const struct fn_vnic_conf *c = &v->conf;
		uint32_t starts;
		CHECK_SLOT(v->in_use == vp->in_use, i);
		if (!v->in_use) {
			CHECK_SLOT(!vp->ready, i);
			CHECK_SLOT(!stub_announce_state(i, &starts), i);
			continue;
		}
		CHECK_SLOT(n < fnd.n_active && fnd.active[n] == i, i);
		n++;
		CHECK_SLOT(fn_fib_lookup(sw->fib, c->uplink, c->vlan, c->mac) == i, i);
		CHECK_SLOT(v->mac == c->mac && v->uplink == c->uplink &&
			   v->vlan == c->vlan && v->local == c->local, i);
		CHECK_SLOT(c->uplink < NU, i);
		CHECK_SLOT(fn_cmd_name_valid(vp->name), i);
		CHECK_SLOT(vp->vid == -1, i);
		for (uint32_t j = 0; j < i; j++) {
			const struct fnd_vport *wp = &fnd.vports[j];
			if (!wp->in_use)
				continue;
			CHECK_SLOT(strcmp(wp->name, vp->name) != 0, i);
			CHECK_SLOT(wp->type != vp->type ||
				   strcmp(wp->path, vp->path) != 0, i);
		}
		if (vp->type == FN_BACKEND_VHOST_USER) {
			uint32_t mode;
			gid_t gid, want = (gid_t)-1;
			char err[256];
			vhost++;
			CHECK_SLOT(!vp->ready, i);   /* no guest ever connects */
			CHECK_SLOT(stub_vhost_perm(vp->path, &mode, &gid) == 0, i);
			CHECK_SLOT(mode == vp->mode, i);
			if (vp->group[0])
				CHECK_SLOT(fnd_group_lookup(vp->group, &want, err,
							    sizeof(err)) == 0, i);
			CHECK_SLOT(gid == want, i);
		} else {
			tap++;
			CHECK_SLOT(vp->ready, i);
			CHECK_SLOT(stub_tap_registered(i), i);
		}
		/* Its broadcast domain: walk the list from the fib's head. */
		uint32_t head = fn_fib_lookup(sw->fib, c->uplink, c->vlan,
					      FN_MAC_BCAST);
		CHECK_SLOT(head < NV && sw->vnics[head].in_use, i);
		CHECK_SLOT(sw->vnics[head].dom_prev == NONE, i);
		uint32_t members = 0, prev = NONE;
		bool found = false;
		for (uint32_t m = head; m != NONE; m = sw->vnics[m].dom_next) {
			CHECK_SLOT(m < NV && members < NV, i);
			const struct fn_vnic *w = &sw->vnics[m];
			CHECK_SLOT(w->in_use && w->uplink == v->uplink &&
				   w->vlan == v->vlan && w->dom_prev == prev, i);
			found |= m == i;
			prev = m;
			members++;
		}
		CHECK_SLOT(found, i);
		if (head == i) {
			/* Count the domain once, at its head, with its members. */
			uint32_t want = 0;
			for (uint32_t j = 0; j < NV; j++)
				want += sw->vnics[j].in_use &&
					sw->vnics[j].uplink == v->uplink &&
					sw->vnics[j].vlan == v->vlan;
			CHECK_SLOT(members == want, i);
			domains++;
		}
	}
	/* Link sharing (README, "vNIC keys", "Admission control"): a guarantee
	 * never above its ceiling, a queue holds a frame, the data plane's
	 * copies and the schedulers' flows follow the conf, and the guarantees
	 * on an uplink never add up to more than its capacity. */
	uint64_t rx_min[NU] = { 0 }, tx_min[NU] = { 0 };
	for (uint32_t i = 0; i < NV; i++) {
		const struct fn_vnic *v = &sw->vnics[i];
		const struct fn_vnic_conf *c = &v->conf;
		if (!v->in_use)
			continue;
		CHECK_SLOT(c->rx_rate == 0 || c->rx_min <= c->rx_rate, i);
		CHECK_SLOT(c->tx_rate == 0 || c->tx_min <= c->tx_rate, i);
		CHECK_SLOT(c->rx_queue >= FN_DEFAULT_MAX_FRAME + 4 &&
			   c->rx_queue <= (UINT64_C(1) << 30), i);
		CHECK_SLOT(c->rx_weight >= 1 && c->rx_weight <= 10000 &&
			   c->tx_weight >= 1 && c->tx_weight <= 10000, i);
		CHECK_SLOT(c->rx_aqm <= 1, i);
		CHECK_SLOT(v->rx_police == c->rx_police && v->rx_aqm == c->rx_aqm &&
			   v->rxq.byte_limit == c->rx_queue, i);
		const struct fn_sched_flow *rf = &sw->rx_sched[c->uplink].flows[i];
		const struct fn_sched_flow *tf = &sw->tx_sched[c->uplink].flows[i];
		CHECK_SLOT(rf->member && rf->conf.min == c->rx_min &&
			   rf->conf.weight == c->rx_weight, i);
		CHECK_SLOT(tf->member && tf->conf.min == c->tx_min &&
			   tf->conf.weight == c->tx_weight, i);
		/* a tap's guest is always there: its transmit flow is offered */
		CHECK_SLOT(tf->awake == fnd.vports[i].ready, i);
		rx_min[c->uplink] += c->rx_min;
		tx_min[c->uplink] += c->tx_min;
	}
	for (int u = 0; u < NU; u++) {
		CHECK(sw->rx_cap[u] == 0 || rx_min[u] <= sw->rx_cap[u]);
		CHECK(sw->tx_cap[u] == 0 || tx_min[u] <= sw->tx_cap[u]);
		/* the model of what uplink set did (and auto = the link speed) */
		CHECK(sw->rx_cap[u] == model_up[u].rx && sw->tx_cap[u] == model_up[u].tx);
	}
	CHECK(sw->n_vnics == n);
	CHECK(fnd.n_active == n);
	CHECK(sw->fib->count == n + domains);
	CHECK(stub_vhost_count() == vhost);
	CHECK(stub_tap_count() == tap);
}

/* ---- replies ------------------------------------------------------------ */

/* Check the shape of a reply. @return its "ok". */
static bool
check_reply(json_t *r)
{
	CHECK(r != NULL);
	CHECK(json_is_object(r));
	json_t *ok = json_object_get(r, "ok");
	CHECK(json_is_boolean(ok));
	/* What fnd_ctl_sock.c sends: it must exist and be one line. */
	char *s = json_dumps(r, JSON_COMPACT);
	CHECK(s != NULL);
	CHECK(strchr(s, '\n') == NULL);
	free(s);
	CHECK(json_object_size(r) == 2);
	if (json_is_true(ok)) {
		CHECK(json_object_get(r, "data") != NULL);
		return true;
	}
	json_t *e = json_object_get(r, "error");
	CHECK(json_is_string(e));
	const char *m = json_string_value(e);
	CHECK(m[0] != '\0');
	CHECK(strlen(m) == json_string_length(e));
	CHECK(strchr(m, '\n') == NULL && strchr(m, '\r') == NULL);
	return false;
}

static int64_t
jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	CHECK(json_is_integer(v));
	return (int64_t)json_integer_value(v);
}

static const char *
jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	CHECK(json_is_string(v));
	return json_string_value(v);
}

/* data's "vnics": one element per vNIC shown, in table order. */
static json_t *
shown_vnics(json_t *data, const struct snap *s, int only)
{
	json_t *arr = json_object_get(data, "vnics");
	size_t k = 0;

	CHECK(json_is_array(arr));
	for (int i = 0; i < NV; i++) {
		if (!s->v[i].in_use || (only >= 0 && i != only))
			continue;
		json_t *o = json_array_get(arr, k++);
		char mac[18];
		CHECK(json_is_object(o));
		CHECK(strcmp(jstr(o, "name"), s->v[i].vp.name) == 0);
		CHECK(strcmp(jstr(o, "mac"), fn_mac_format(s->v[i].conf.mac, mac)) == 0);
	}
	CHECK(json_array_size(arr) == k);
	return arr;
}

static void
check_vnic_show(json_t *data, const struct snap *s, int only)
{
	json_t *arr = shown_vnics(data, s, only);
	size_t k = 0;

	for (int i = 0; i < NV; i++) {
		if (!s->v[i].in_use || (only >= 0 && i != only))
			continue;
		const struct vsnap *v = &s->v[i];
		const struct fn_vnic_conf *c = &v->conf;
		json_t *o = json_array_get(arr, k++);
		json_t *vlan = json_object_get(o, "vlan");
		CHECK(strcmp(jstr(o, "path"), v->vp.path) == 0);
		CHECK(strcmp(jstr(o, "backend"), v->vp.type == FN_BACKEND_TAP ?
			      "tap" : "vhost-user") == 0);
		CHECK(strcmp(jstr(o, "uplink"), fnd.uplinks[c->uplink].name) == 0);
		CHECK(c->vlan == FN_VLAN_NONE ? json_is_null(vlan) :
		      json_is_integer(vlan) && json_integer_value(vlan) == c->vlan);
		CHECK(jint(o, "rx_rate") == (int64_t)c->rx_rate);
		CHECK(jint(o, "rx_burst") == (int64_t)c->rx_burst);
		CHECK(jint(o, "rx_pps") == (int64_t)c->rx_pps);
		CHECK(jint(o, "rx_pps_burst") == (int64_t)c->rx_pps_burst);
		CHECK(jint(o, "tx_rate") == (int64_t)c->tx_rate);
		CHECK(jint(o, "tx_burst") == (int64_t)c->tx_burst);
		CHECK(jint(o, "tx_pps") == (int64_t)c->tx_pps);
		CHECK(jint(o, "tx_pps_burst") == (int64_t)c->tx_pps_burst);
		CHECK(jint(o, "rx_min") == (int64_t)c->rx_min);
		CHECK(jint(o, "tx_min") == (int64_t)c->tx_min);
		CHECK(jint(o, "rx_weight") == (int64_t)c->rx_weight);
		CHECK(jint(o, "tx_weight") == (int64_t)c->tx_weight);
		CHECK(jint(o, "rx_queue") == (int64_t)c->rx_queue);
		CHECK(json_is_boolean(json_object_get(o, "rx_police")) &&
		      json_is_true(json_object_get(o, "rx_police")) == c->rx_police);
		CHECK(strcmp(jstr(o, "rx_aqm"), c->rx_aqm ? "tail" : "codel") == 0);
		CHECK(jint(o, "rx_coalesce_usecs") == (int64_t)c->rx_coalesce_usecs);
		CHECK(jint(o, "rx_coalesce_frames") == (int64_t)c->rx_coalesce_frames);
		CHECK(json_is_boolean(json_object_get(o, "rx_coalesce_adaptive")) &&
		      json_is_true(json_object_get(o, "rx_coalesce_adaptive")) ==
		      c->rx_coalesce_adaptive);
		CHECK(json_is_boolean(json_object_get(o, "rx_coalescing")));
		CHECK(json_is_boolean(json_object_get(o, "local")) &&
		      json_is_true(json_object_get(o, "local")) == c->local);
		/* ip in the key's grammar: parsed back, the same set */
		struct fn_ipset ip;
		char why[160];
		CHECK(fn_ipset_parse(jstr(o, "ip"), &ip, why, sizeof(why)) == 0 &&
		      fn_ipset_equal(&ip, &c->ip));
		CHECK(strcmp(jstr(o, "dhcp_server"), c->dhcp_server ? "allow" : "deny") == 0);
		CHECK(strcmp(jstr(o, "ra"), c->ra ? "allow" : "deny") == 0);
		CHECK(json_is_boolean(json_object_get(o, "connected")) &&
		      json_is_true(json_object_get(o, "connected")) == v->vp.ready);
		if (v->vp.type == FN_BACKEND_TAP) {
			CHECK(json_object_get(o, "mode") == NULL);
			CHECK(json_object_get(o, "group") == NULL);
			continue;
		}
		char mode[8];
		json_t *group = json_object_get(o, "group");
		snprintf(mode, sizeof(mode), "%04o", (unsigned)v->vp.mode);
		CHECK(strcmp(jstr(o, "mode"), mode) == 0);
		CHECK(v->vp.group[0] ? json_is_string(group) &&
		      strcmp(json_string_value(group), v->vp.group) == 0 :
		      json_is_null(group));
	}
}

/* fnd_ctl.c's since(): a source below its baseline was reset. */
static uint64_t
since(uint64_t now, uint64_t base)
{
	return now >= base ? now - base : now;
}

static void
check_stats(json_t *data, const struct snap *s, int only)
{
	static const int tap_ctr[FND_TAP_DROPS] = { FN_VC_tx_drop_tap_kernel,
		FN_VC_rx_drop_tap_kernel };
	static const int port_ctr[FND_PORT_DROPS] = { FN_UC_rx_drop_ring_full,
		FN_UC_rx_drop_nombuf, FN_UC_rx_drop_errors };
	json_t *arr = shown_vnics(data, s, only);
	uint64_t d[FND_PORT_DROPS > FND_TAP_DROPS ? FND_PORT_DROPS : FND_TAP_DROPS];
	size_t n = 0;

	for (int i = 0; i < NV; i++) {
		const struct vsnap *v = &s->v[i];
		if (!v->in_use || (only >= 0 && i != only))
			continue;
		json_t *o = json_array_get(arr, n++);
		/* What is not a counter: the queue now, and measured rates. */
		const struct fn_vnic *sv = &fnd.sw->vnics[i];
		CHECK(jint(o, "rx_queue_frames") == (int64_t)sv->rxq.held);
		CHECK(jint(o, "rx_queue_bytes") == (int64_t)sv->rxq.held * STUB_FRAME);
		CHECK(jint(o, "rx_sojourn_us") ==
		      (int64_t)((uint64_t)sv->rxq.held * STUB_SOJOURN * 1000000 / HZ));
		CHECK(jint(o, "rx_sojourn_max_us") ==
		      (int64_t)(sv->rx_sojourn_max * 1000000 / HZ));
		CHECK(jint(o, "rx_bps") >= 0 && jint(o, "tx_bps") >= 0);
		for (int d = 0; d < 2; d++) {
			json_t *sh = json_object_get(o, d ? "tx_share" : "rx_share");
			CHECK(json_is_real(sh) && json_real_value(sh) >= 0.0 &&
			      json_real_value(sh) <= 1.0);
			CHECK((json_real_value(sh) > 0) == (jint(o, d ? "tx_bps" : "rx_bps") > 0));
		}
		CHECK(json_object_size(o) == 2 + FN_VC_MAX + FN_VG_MAX);
		for (int c = 0; c < FN_VC_MAX; c++)
			if (v->vp.type != FN_BACKEND_TAP ||
			    (c != tap_ctr[0] && c != tap_ctr[1]))
				CHECK(jint(o, fn_vnic_counter_names[c]) == (int64_t)v->ctr[c]);
		if (v->vp.type != FN_BACKEND_TAP)
			continue;
		/* A tap's kernel drops since the last reset, null if unreadable. */
		bool ok = fnd_tap_kernel_drops(v->vp.path, d) == 0;
		for (int k = 0; k < FND_TAP_DROPS; k++) {
			const char *key = fn_vnic_counter_names[tap_ctr[k]];
			if (ok)
				CHECK(jint(o, key) == (int64_t)since(d[k],
					v->vp.tap_drops_base[k]));
			else
				CHECK(json_is_null(json_object_get(o, key)));
		}
	}
	if (only >= 0) {
		CHECK(json_object_get(data, "uplinks") == NULL);
		return;
	}
	json_t *ul = json_object_get(data, "uplinks");
	CHECK(json_is_array(ul) && json_array_size(ul) == NU);
	for (size_t u = 0; u < NU; u++) {
		json_t *o = json_array_get(ul, u);
		CHECK(strcmp(jstr(o, "name"), fnd.uplinks[u].name) == 0);
		/* The port's own drops since the last reset, when readable. */
		bool ok = fnd_uplink_port_drops((uint16_t)u, d) == 0;
		for (int c = 0; c < FN_UC_MAX; c++) {
			int64_t want = (int64_t)s->uctr[u][c];
			for (int k = 0; ok && k < FND_PORT_DROPS; k++)
				if (c == port_ctr[k])
					want = (int64_t)since(d[k], s->ubase[u][k]);
			CHECK(jint(o, fn_uplink_counter_names[c]) == want);
		}
	}
	json_t *pool = json_object_get(data, "pool");
	CHECK(jint(pool, "size") == 8191 && jint(pool, "in_use") == 1234);
}

static void
check_uplink_show(json_t *data)
{
	json_t *ul = json_object_get(data, "uplinks");

	CHECK(json_is_array(ul) && json_array_size(ul) == NU);
	for (size_t u = 0; u < NU; u++) {
		json_t *o = json_array_get(ul, u);
		CHECK(strcmp(jstr(o, "name"), fnd.uplinks[u].name) == 0);
		CHECK(strcmp(jstr(o, "devargs"), fnd.uplinks[u].devargs) == 0);
		CHECK(jint(o, "port") == (int64_t)u);
		/* ctl_stubs.c: up0 has a MAC and a link, up1 neither. */
		CHECK(strcmp(jstr(o, "mac"), u ? "unknown" : "02:00:00:00:ff:00") == 0);
		CHECK(json_is_true(json_object_get(o, "link")) == (u == 0));
		CHECK(jint(o, "rx_rate") == (int64_t)model_up[u].rx);
		CHECK(jint(o, "tx_rate") == (int64_t)model_up[u].tx);
		CHECK(json_is_boolean(json_object_get(o, "tx_rate_auto")) &&
		      json_is_true(json_object_get(o, "tx_rate_auto")) == model_up[u].tx_auto);
	}
}

/* ---- the effect of an accepted vnic add / vnic set ---------------------- */

static uint64_t
max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/*
 * The configuration `cmd` asks for, from `old` (add: the defaults), as
 * the README says: keys given take their value; a rate given without its
 * burst gets the default burst (10 ms of the rate, at least two maximum
 * tagged frames, or 32 packets), and an rx-rate without rx-queue the
 * default queue (10 ms at the rate, at least 256 KiB); weights default to
 * 1, guarantees to 0, rx-police to off, rx-aqm to codel.
 */
static void
conf_expect(const struct fn_cmd *cmd, struct fn_vnic_conf *c)
{
	const struct fn_vnic_params *p = &cmd->p;
	uint64_t min_bytes = 2 * (FN_DEFAULT_MAX_FRAME + FN_VLAN_HLEN);

#define GIVEN(k) (p->set & (1u << (k)))
	if (GIVEN(FN_K_MAC))
		c->mac = p->mac;
	if (GIVEN(FN_K_UPLINK))
		c->uplink = strcmp(p->uplink, "up0") == 0 ? 0 : 1;
	if (GIVEN(FN_K_VLAN))
		c->vlan = p->vlan;
	if (GIVEN(FN_K_LOCAL))
		c->local = p->local;
	if (GIVEN(FN_K_IP))
		c->ip = p->ip;
	if (GIVEN(FN_K_DHCP_SERVER))
		c->dhcp_server = p->dhcp_server;
	if (GIVEN(FN_K_RA))
		c->ra = p->ra;
	if (GIVEN(FN_K_RX_RATE)) {
		c->rx_rate = p->rx_rate;
		c->rx_burst = GIVEN(FN_K_RX_BURST) ? p->rx_burst : 0;
		c->rx_queue = GIVEN(FN_K_RX_QUEUE) ? p->rx_queue : 0;
	} else {
		if (GIVEN(FN_K_RX_BURST))
			c->rx_burst = p->rx_burst;
		if (GIVEN(FN_K_RX_QUEUE))
			c->rx_queue = p->rx_queue;
	}
	if (GIVEN(FN_K_RX_MIN))
		c->rx_min = p->rx_min;
	if (GIVEN(FN_K_TX_MIN))
		c->tx_min = p->tx_min;
	if (GIVEN(FN_K_RX_WEIGHT))
		c->rx_weight = p->rx_weight;
	if (GIVEN(FN_K_TX_WEIGHT))
		c->tx_weight = p->tx_weight;
	if (GIVEN(FN_K_RX_POLICE))
		c->rx_police = p->rx_police;
	if (GIVEN(FN_K_RX_AQM))
		c->rx_aqm = p->rx_aqm;
	if (GIVEN(FN_K_RX_COALESCE_USECS))
		c->rx_coalesce_usecs = p->rx_coalesce_usecs;
	if (GIVEN(FN_K_RX_COALESCE_FRAMES))
		c->rx_coalesce_frames = p->rx_coalesce_frames;
	if (GIVEN(FN_K_RX_COALESCE_ADAPTIVE))
		c->rx_coalesce_adaptive = p->rx_coalesce_adaptive;
	if (GIVEN(FN_K_RX_PPS)) {
		c->rx_pps = p->rx_pps;
		c->rx_pps_burst = GIVEN(FN_K_RX_PPS_BURST) ? p->rx_pps_burst : 0;
	} else if (GIVEN(FN_K_RX_PPS_BURST)) {
		c->rx_pps_burst = p->rx_pps_burst;
	}
	if (GIVEN(FN_K_TX_RATE)) {
		c->tx_rate = p->tx_rate;
		c->tx_burst = GIVEN(FN_K_TX_BURST) ? p->tx_burst : 0;
	} else if (GIVEN(FN_K_TX_BURST)) {
		c->tx_burst = p->tx_burst;
	}
	if (GIVEN(FN_K_TX_PPS)) {
		c->tx_pps = p->tx_pps;
		c->tx_pps_burst = GIVEN(FN_K_TX_PPS_BURST) ? p->tx_pps_burst : 0;
	} else if (GIVEN(FN_K_TX_PPS_BURST)) {
		c->tx_pps_burst = p->tx_pps_burst;
	}
#undef GIVEN
	if (c->rx_burst == 0)
		c->rx_burst = max_u64(c->rx_rate / 8 / 100, min_bytes);
	if (c->tx_burst == 0)
		c->tx_burst = max_u64(c->tx_rate / 8 / 100, min_bytes);
	if (c->rx_pps_burst == 0)
		c->rx_pps_burst = max_u64(c->rx_pps / 100, 32);
	if (c->tx_pps_burst == 0)
		c->tx_pps_burst = max_u64(c->tx_pps / 100, 32);
	if (c->rx_queue == 0)
		c->rx_queue = max_u64((c->rx_rate ? c->rx_rate : FN_RXQ_UNLIMITED_RATE) /
				      8 / 1000 * FN_RXQ_DEFAULT_MS, FN_RXQ_DEFAULT_MIN);
	if (c->rx_weight == 0)
		c->rx_weight = 1;
	if (c->tx_weight == 0)
		c->tx_weight = 1;
}

/* The vport `cmd` asks for, from `vp` (add: the defaults). */
static void
vport_expect(const struct fn_cmd *cmd, struct fnd_vport *vp)
{
	if (cmd->p.set & (1u << FN_K_MODE))
		vp->mode = cmd->p.mode;
	if (cmd->p.set & (1u << FN_K_GROUP))
		snprintf(vp->group, sizeof(vp->group), "%s", cmd->p.group);
}

/* What a vNIC given no key is (README, vNIC keys). */
static struct fn_vnic_conf
conf_defaults(void)
{
	return (struct fn_vnic_conf){ .uplink = 0, .vlan = FN_VLAN_NONE, .local = true,
				      .rx_coalesce_usecs = 500, .rx_coalesce_frames = 32,
				      .rx_coalesce_adaptive = true };
}

/* Can `config show` write every vNIC: no blank or '#' in a path? */
static bool
config_writable(const struct snap *a)
{
	for (int i = 0; i < NV; i++)
		if (a->v[i].in_use && !fn_cmd_word_ok(a->v[i].vp.path))
			return false;
	return true;
}

/* One `uplink set` line of `config show`: uplink u's capacities that are
 * not the defaults (rx-rate 0, tx-rate auto), as the model has them. */
static void
check_config_uplink(const struct fn_cmd *c, int u)
{
	CHECK(u >= 0 && u < NU && strcmp(c->name, fnd.uplinks[u].name) == 0);
	CHECK(((c->up.set >> FN_UK_RX_RATE) & 1) == (model_up[u].rx != 0));
	CHECK(((c->up.set >> FN_UK_TX_RATE) & 1) == !model_up[u].tx_auto);
	CHECK(model_up[u].rx == 0 || c->up.rx_rate == model_up[u].rx);
	CHECK(model_up[u].tx_auto || c->up.tx_rate == model_up[u].tx);
}

/* One `vnic add` line of `config show`: applied to a fresh vNIC, it gives
 * vNIC `id` as it is. */
static void
check_config_vnic(const struct fn_cmd *c, const struct snap *b, int id)
{
	const struct fnd_vport *have = &b->v[id].vp;
	struct fn_vnic_conf want = conf_defaults();
	struct fnd_vport vp = { .mode = fnd.vhost_mode };
	char path[FN_PATH_MAX], err[256];

	CHECK(strcmp(c->name, have->name) == 0);
	conf_expect(c, &want);
	CHECK_SLOT(conf_eq(&b->v[id].conf, &want), id);
	snprintf(vp.group, sizeof(vp.group), "%s", fnd.vhost_group);
	vport_expect(c, &vp);
	CHECK(c->p.backend == have->type);
	if (have->type == FN_BACKEND_TAP) {
		CHECK(strcmp(c->p.path, have->path) == 0);
		CHECK(!(c->p.set & ((1u << FN_K_MODE) | (1u << FN_K_GROUP))));
		return;
	}
	CHECK(fnd_sock_canon(c->p.path, path, sizeof(path), err, sizeof(err)) == 0);
	CHECK(strcmp(path, have->path) == 0);
	CHECK(vp.mode == have->mode && strcmp(vp.group, have->group) == 0);
}

/* `config show`: uplinks, then every vNIC in table order, nothing else. */
static void
check_config(json_t *data, const struct snap *b)
{
	char *text = strdup(jstr(data, "config")), *save = NULL;
	int u = 0, id = 0, lines = 0;

	CHECK(text != NULL);
	CHECK(text[0] == '\0' || text[strlen(text) - 1] == '\n');
	for (char *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		char buf[CFG_LINE], *argv[MAX_WORDS], err[256];
		struct fn_cmd c;
		CHECK(strlen(l) < CFG_LINE - 1);
		snprintf(buf, sizeof(buf), "%s", l);
		int argc = fn_cmd_split(buf, argv, MAX_WORDS);
		CHECK(argc > 0 && fn_cmd_parse(argc, argv, &c, err, sizeof(err)) == 0);
		lines++;
		if (c.op == FN_CMD_UPLINK_SET) {
			CHECK(id == 0);         /* before the vNICs */
			while (u < NU && strcmp(c.name, fnd.uplinks[u].name) != 0)
				u++;
			check_config_uplink(&c, u++);
			continue;
		}
		CHECK(c.op == FN_CMD_VNIC_ADD);
		while (id < NV && !b->v[id].in_use)
			id++;
		CHECK(id < NV);
		check_config_vnic(&c, b, id++);
	}
	free(text);
	while (id < NV && !b->v[id].in_use)
		id++;
	CHECK(id == NV);                /* every vNIC written */
	int want = (int)b->n_vnics;
	for (int k = 0; k < NU; k++)
		want += model_up[k].rx != 0 || !model_up[k].tx_auto;
	CHECK(lines == want);
}

/* The request was accepted: it did what it says and nothing else. */
static void
check_accepted(const struct fn_cmd *cmd, const struct snap *a,
	       const struct snap *b, json_t *data)
{
	int id = cmd->name[0] ? snap_find(a, cmd->name) : -1;
	bool perm = cmd->p.set & ((1u << FN_K_MODE) | (1u << FN_K_GROUP));
	struct fn_vnic_conf want;
	struct fnd_vport vp;
	uint64_t d[FND_TAP_DROPS];
	char err[256];

	switch (cmd->op) {
	case FN_CMD_VNIC_ADD:
		CHECK(id < 0);
		CHECK(a->n_vnics < NV);
		CHECK(json_is_null(data));
		id = snap_find(b, cmd->name);
		CHECK(id >= 0 && !a->v[id].in_use && !a->v[id].vp_in_use);
		check_same(a, b, (uint32_t)id, SAME_NO_TABLE);
		CHECK(b->n_vnics == a->n_vnics + 1);
		want = conf_defaults();
		conf_expect(cmd, &want);
		CHECK(conf_eq(&b->v[id].conf, &want));
		vp = (struct fnd_vport){ .in_use = true, .type = cmd->p.backend,
					 .vid = -1, .mode = fnd.vhost_mode };
		snprintf(vp.name, sizeof(vp.name), "%s", cmd->name);
		snprintf(vp.group, sizeof(vp.group), "%s", fnd.vhost_group);
		if (cmd->p.backend == FN_BACKEND_TAP) {
			CHECK(!perm);
			snprintf(vp.path, sizeof(vp.path), "%s", cmd->p.path);
			vp.ready = true;
			vp.port = b->v[id].vp.port;
		} else {
			CHECK(fnd_sock_canon(cmd->p.path, vp.path, sizeof(vp.path),
					     err, sizeof(err)) == 0);
			CHECK(strcmp(vp.path, fnd.ctl_path) != 0);
			vport_expect(cmd, &vp);
		}
		CHECK(vport_eq(&b->v[id].vp, &vp));
		for (int k = 0; k < FN_VC_MAX; k++)
			CHECK(b->v[id].ctr[k] == 0);
		/* A new tap interface's kernel counters start at 0. */
		for (int k = 0; k < FND_TAP_DROPS; k++)
			CHECK(b->v[id].vp.tap_drops_base[k] == 0);
		/* A new vNIC did not move: nothing to announce. */
		CHECK(!b->v[id].announcing && b->v[id].announces == a->v[id].announces);
		break;
	case FN_CMD_VNIC_SET:
		CHECK(id >= 0);
		CHECK(json_is_null(data));
		check_same(a, b, (uint32_t)id, SAME_NO_FIB);
		CHECK(b->v[id].in_use);
		CHECK(!perm || a->v[id].vp.type == FN_BACKEND_VHOST_USER);
		vp = a->v[id].vp;
		vport_expect(cmd, &vp);
		CHECK(vport_eq(&b->v[id].vp, &vp));
		CHECK(memcmp(a->v[id].ctr, b->v[id].ctr, sizeof(a->v[id].ctr)) == 0);
		CHECK(memcmp(a->v[id].vp.tap_drops_base, b->v[id].vp.tap_drops_base,
			     sizeof(d)) == 0);
		want = a->v[id].conf;
		conf_expect(cmd, &want);
		CHECK(conf_eq(&b->v[id].conf, &want));
		/* Announced where it is now iff it moved. */
		bool moved = want.uplink != a->v[id].conf.uplink ||
			     want.vlan != a->v[id].conf.vlan ||
			     want.mac != a->v[id].conf.mac;
		CHECK(b->v[id].announces == a->v[id].announces + moved);
		CHECK(b->v[id].announcing == (a->v[id].announcing || moved));
		break;
	case FN_CMD_VNIC_DEL:
		CHECK(id >= 0);
		CHECK(json_is_null(data));
		check_same(a, b, (uint32_t)id, SAME_NO_TABLE);
		CHECK(!b->v[id].in_use && !b->v[id].vp_in_use);
		CHECK(b->n_vnics == a->n_vnics - 1);
		break;
	case FN_CMD_STATS_RESET:
		CHECK(!cmd->name[0] || id >= 0);
		CHECK(json_is_null(data));
		check_same(a, b, NONE, SAME_NO_CTR);
		/* Counters: zero. Outside counters: baseline = now if readable. */
		for (int i = 0; i < NV; i++) {
			const struct vsnap *x = &a->v[i], *y = &b->v[i];
			bool reset = id < 0 || i == id;
			if (!y->in_use)
				continue;
			for (int k = 0; k < FN_VC_MAX; k++)
				CHECK_SLOT(y->ctr[k] == (reset ? 0 : x->ctr[k]), i);
			if (y->vp.type != FN_BACKEND_TAP ||
			    fnd_tap_kernel_drops(y->vp.path, d) != 0 || !reset)
				memcpy(d, x->vp.tap_drops_base, sizeof(d));
			CHECK_SLOT(memcmp(y->vp.tap_drops_base, d, sizeof(d)) == 0, i);
		}
		for (int u = 0; u < NU; u++) {
			uint64_t pd[FND_PORT_DROPS];
			for (int k = 0; k < FN_UC_MAX; k++)
				CHECK(b->uctr[u][k] == (id < 0 ? 0 : a->uctr[u][k]));
			if (id >= 0 || fnd_uplink_port_drops((uint16_t)u, pd) != 0)
				memcpy(pd, a->ubase[u], sizeof(pd));
			CHECK(memcmp(b->ubase[u], pd, sizeof(pd)) == 0);
		}
		break;
	case FN_CMD_VNIC_SHOW:
		CHECK(!cmd->name[0] || id >= 0);
		check_same(a, b, NONE, SAME_ALL);
		check_vnic_show(data, b, id);
		break;
	case FN_CMD_STATS_SHOW:
		CHECK(!cmd->name[0] || id >= 0);
		check_same(a, b, NONE, SAME_ALL);
		check_stats(data, b, id);
		break;
	case FN_CMD_UPLINK_SHOW:
		check_same(a, b, NONE, SAME_ALL);
		check_uplink_show(data);
		break;
	case FN_CMD_UPLINK_SET: {
		CHECK(json_is_null(data));
		check_same(a, b, NONE, SAME_NO_CAP);
		/* as model_uplink_set() says */
		for (int k = 0; k < NU; k++)
			CHECK(b->rx_cap[k] == model_up[k].rx && b->tx_cap[k] == model_up[k].tx);
		break;
	}
	case FN_CMD_HELP:
		check_same(a, b, NONE, SAME_ALL);
		CHECK(json_is_string(data) &&
		      strcmp(json_string_value(data),
			     fn_cmd_help(cmd->topic, cmd->markdown)) == 0);
		CHECK((cmd->topic == FN_HELP_ALL) ==
		      (strcmp(json_string_value(data), fn_cmd_usage()) == 0));
		break;
	case FN_CMD_CONFIG_SHOW:
		check_same(a, b, NONE, SAME_ALL);
		check_config(data, b);
		break;
	case FN_CMD_CONFIG_SAVE:        /* fairnicctl's */
	case FN_CMD_CONFIG_RELOAD:      /* no --config here */
		CHECK(!"accepted");
		break;
	}
}

/* Commands after which the --state file is written, when accepted. */
static bool
changes_config(enum fn_cmd_op op)
{
	return op == FN_CMD_VNIC_ADD || op == FN_CMD_VNIC_SET ||
	       op == FN_CMD_VNIC_DEL || op == FN_CMD_UPLINK_SET;
}

/* Commands that cannot be refused once the grammar took them. */
static bool
cannot_fail(const struct fn_cmd *cmd, const struct snap *a)
{
	bool named = cmd->name[0] == '\0' || snap_find(a, cmd->name) >= 0;

	switch (cmd->op) {
	case FN_CMD_VNIC_DEL:
	case FN_CMD_VNIC_SHOW:
	case FN_CMD_STATS_SHOW:
	case FN_CMD_STATS_RESET:
		return named;
	case FN_CMD_UPLINK_SHOW:
	case FN_CMD_HELP:
		return true;
	default:
		return false;
	}
}

/* Guarantees of uplink `u` in `a`, but slot `skip`'s: {rx, tx}. */
static void
min_sums(const struct snap *a, int u, int skip, uint64_t sum[2])
{
	sum[0] = sum[1] = 0;
	for (int i = 0; i < NV; i++)
		if (a->v[i].in_use && i != skip && a->v[i].conf.uplink == u) {
			sum[0] += a->v[i].conf.rx_min;
			sum[1] += a->v[i].conf.tx_min;
		}
}

static bool
fits(uint64_t sum, uint64_t cap)
{
	return cap == 0 || sum <= cap;
}

/*
 * Admission control, modelled (README, "Admission control"): for the
 * commands whose only possible refusals are capacities and guarantees,
 * whether the request must be accepted (1) or refused (0); -1 otherwise.
 *  - uplink set of an existing uplink: refused iff a new capacity (auto:
 *    the link speed) is below the guarantees already given;
 *  - vnic set of an existing vNIC with only rx-min, tx-min, weights,
 *    rx-police, rx-aqm: refused iff a guarantee is above its ceiling or
 *    the guarantees would not fit the capacity of its uplink.
 */
static int
expect_ok(const struct fn_cmd *cmd, const struct snap *a)
{
	uint64_t sum[2];

	if (cmd->op == FN_CMD_UPLINK_SET) {
		int u = strcmp(cmd->name, "up0") == 0 ? 0 : strcmp(cmd->name, "up1") == 0 ? 1 : -1;
		if (u < 0)
			return 0;
		uint64_t rx = a->rx_cap[u], tx = a->tx_cap[u];
		if (cmd->up.set & (1u << FN_UK_RX_RATE))
			rx = cmd->up.rx_rate;
		if (cmd->up.set & (1u << FN_UK_TX_RATE))
			tx = cmd->up.tx_rate == FN_RATE_AUTO ? link_speed(u) : cmd->up.tx_rate;
		min_sums(a, u, -1, sum);
		return fits(sum[0], rx) && fits(sum[1], tx);
	}
	const uint32_t only = (1u << FN_K_RX_MIN) | (1u << FN_K_TX_MIN) |
		(1u << FN_K_RX_WEIGHT) | (1u << FN_K_TX_WEIGHT) |
		(1u << FN_K_RX_POLICE) | (1u << FN_K_RX_AQM);
	int id = snap_find(a, cmd->name);
	if (cmd->op != FN_CMD_VNIC_SET || id < 0 || (cmd->p.set & ~only))
		return -1;
	struct fn_vnic_conf want = a->v[id].conf;
	conf_expect(cmd, &want);
	if ((want.rx_rate && want.rx_min > want.rx_rate) ||
	    (want.tx_rate && want.tx_min > want.tx_rate))
		return 0;
	min_sums(a, want.uplink, id, sum);
	return fits(sum[0] + want.rx_min, a->rx_cap[want.uplink]) &&
	       fits(sum[1] + want.tx_min, a->tx_cap[want.uplink]);
}

/* An accepted `uplink set`: keys given take their value (auto: the link
 * speed), the others keep theirs. */
static void
model_uplink_set(const struct fn_cmd *cmd)
{
	int u = strcmp(cmd->name, "up0") == 0 ? 0 : 1;
	CHECK(strcmp(cmd->name, fnd.uplinks[u].name) == 0);
	if (cmd->up.set & (1u << FN_UK_RX_RATE))
		model_up[u].rx = cmd->up.rx_rate;
	if (cmd->up.set & (1u << FN_UK_TX_RATE)) {
		model_up[u].tx_auto = cmd->up.tx_rate == FN_RATE_AUTO;
		model_up[u].tx = model_up[u].tx_auto ? link_speed(u) : cmd->up.tx_rate;
	}
}

/* ---- one request -------------------------------------------------------- */

static struct snap before, after;
static void config_after(void);

/*
 * Run one request: words argv[0..argc) (argc < 0: a framing error is
 * expected), as `line` through fnd_ctl_request() when `json`, else
 * through fnd_ctl_exec().
 */
static void
run_request(int argc, char *argv[], const char *line, size_t len, bool json)
{
	struct fn_cmd cmd;
	char err[256];
	bool fatal = false;
	json_t *r;

	cur_line = line;
	cur_len = len;
	bool parsed = argc >= 0 &&
		      fn_cmd_parse(argc, argv, &cmd, err, sizeof(err)) == 0;
	traffic();
	snap_take(&before);
	uint32_t saves = stub_state_saves();
	if (json)
		r = fnd_ctl_request(line, len, &fatal);
	else
		r = fnd_ctl_exec(argc, argv);
	snap_take(&after);
#ifdef FUZZ_TRACE
	char *trace = json_dumps(r, JSON_COMPACT);
	fprintf(stderr, "%.*s => %s\n", (int)(len - (len && line[len - 1] == '\n')),
		line, trace ? trace : "NULL");
	free(trace);
#endif
	bool ok = check_reply(r);
	if (ok && parsed && cmd.op == FN_CMD_UPLINK_SET)
		model_uplink_set(&cmd);
	check_state();
	CHECK(fatal == (argc < 0));
	if (!parsed)
		CHECK(!ok);
	if (ok)
		check_accepted(&cmd, &before, &after, json_object_get(r, "data"));
	else
		check_same(&before, &after, NONE, SAME_ALL);
	if (parsed && cannot_fail(&cmd, &before))
		CHECK(ok);
	CHECK(stub_state_saves() == saves + (ok && changes_config(cmd.op)));
	if (parsed && cmd.op == FN_CMD_CONFIG_SHOW)
		CHECK(ok == config_writable(&before));
	if (parsed && expect_ok(&cmd, &before) >= 0)
		CHECK(ok == (expect_ok(&cmd, &before) == 1));
	json_decref(r);
	if (ok && changes_config(cmd.op))       /* a state not seen before */
		config_after();
}

/* `config show` of the state a change left, whatever the request was:
 * the generator sees every state the fuzzer reaches, not only those
 * where an input asks for it. */
static void
config_after(void)
{
	char *argv[] = { "config", "show" };
	uint32_t saves = stub_state_saves();

	json_t *r = fnd_ctl_exec(2, argv);
	bool ok = check_reply(r);
	CHECK(ok == config_writable(&after));
	if (ok)
		check_config(json_object_get(r, "data"), &after);
	CHECK(stub_state_saves() == saves);
	json_decref(r);
}

/* The words of a socket request, as docs/CONTROL.md frames it, or -1. */
static int
json_words(const char *line, size_t len, json_t **req, char *argv[])
{
	json_error_t jerr;
	size_t n;

	*req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (*req == NULL || !json_is_array(*req) ||
	    (n = json_array_size(*req)) > MAX_WORDS)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_t *w = json_array_get(*req, i);
		if (!json_is_string(w) ||
		    strlen(json_string_value(w)) != json_string_length(w))
			return -1;
		argv[i] = (char *)json_string_value(w);
	}
	return (int)n;
}

static void
run_json(const char *line, size_t len)
{
	char *argv[MAX_WORDS];
	json_t *req;

	int argc = json_words(line, len, &req, argv);
	run_request(argc, argv, line, len, true);
	json_decref(req);
}

/* As fnd_ctl_run_config(): blank and comment lines and too many words
 * are not commands (the latter stop start-up before fnd_ctl_exec). */
static void
run_config(const char *line, size_t len)
{
	char buf[CFG_LINE], *argv[MAX_WORDS];

	memcpy(buf, line, len);
	buf[len] = '\0';
	int argc = fn_cmd_split(buf, argv, MAX_WORDS);
	if (argc <= 0)
		return;
	run_request(argc, argv, line, len, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	if (size == 0)
		return 0;
	bool config = data[0] & 1;
	daemon_init((data[0] >> 1) % 3, data[0] & 0x40);
	/* The header line is not a request. */
	const char *nl = memchr(p, '\n', size);
	p = nl ? nl + 1 : end;
	while (p < end) {
		size_t n = (size_t)(end - p);
		nl = memchr(p, '\n', n);
		if (config) {
			/* fgets(): through the newline, at most CFG_LINE - 1. */
			if (nl != NULL)
				n = (size_t)(nl - p) + 1;
			if (n > CFG_LINE - 1)
				n = CFG_LINE - 1;
			run_config(p, n);
			p += n;
		} else {
			if (nl != NULL)
				n = (size_t)(nl - p);
			run_json(p, n);
			p += n + (nl != NULL);
		}
	}
	cur_line = NULL;
	daemon_fini();
	return 0;
}
