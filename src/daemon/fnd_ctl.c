/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fnd_ctl: applies fairnic commands to the running daemon. The same entry
 * point (fnd_ctl_exec) serves the control socket (fnd_ctl_sock.c) and
 * --config files, and the grammar is fn_cmd's, shared with fairnicctl.
 *
 * Every command is validated in full before anything changes; a command
 * that fails leaves the daemon exactly as it was. Changes to data-plane
 * state happen under the round lock, between two polling rounds; slow
 * work (vhost socket setup, tap probe) happens outside it.
 *
 * vNIC keys are handled generically, from fn_cmd.h's FN_VNIC_KEYS: the
 * merge of the keys given into struct fn_vnic_conf (conf_merge) and the
 * JSON of `vnic show` (vnic_json) are expansions of it, with one hook for
 * `uplink` (a name, looked up) and the backend's keys, which are not in
 * the conf.
 *
 * Uplinks: `uplink set` sets the capacity of each direction of the wire
 * (fn_switch_uplink_set). tx-rate defaults to the link speed the port
 * reports ("auto"): fnd_ctl_uplink_defaults() applies it at start and
 * again before every command, so a link that comes up later, or at another
 * speed, is followed; a speed below the tx-min guarantees already given is
 * not applied (logged once). Whether the user set tx-rate is kept here.
 *
 * Admission control: the guarantees (rx-min, tx-min) of the vNICs of one
 * uplink never add up to more than its capacity in that direction; a
 * `vnic add|set` or `uplink set` that would break that is refused before
 * anything changes.
 *
 * Rates in `stats` (rx_bps, tx_bps): the control thread keeps, per vNIC,
 * two snapshots of its byte counters; a snapshot is taken when stats are
 * read and the newer one is at least 1 s old, and the rate is measured
 * from the older one (at least 1 s before, or since the vNIC was first
 * seen or its counters were reset). So polling `stats` every second gives
 * the rate over the last 1-2 s; rarer reads give the mean since the
 * previous read.
 *
 * Threads: commands run on the control thread; fnd_ctl_read() serves the
 * readers on other threads (fnd_metrics.c, fnd_telemetry.c). ctl_lock
 * serialises the two, so a reader sees no command half done and the
 * rate snapshots have one writer at a time. The data plane never takes it.
 *
 * The running configuration, as config lines (`config show`, also what
 * fairnicctl config save and --state write): generated from FN_VNIC_KEYS,
 * with the keys each vNIC was given (given[]) that are not at their
 * default. After a change, and for `config reload`, fnd_ctl_exec() calls
 * fnd_state.c once ctl_lock is released: both run commands or read the
 * configuration, which take the lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include "fnd.h"
#include "fnd_sock.h"

static void rates_forget(int32_t only);

static bool tx_user[FND_MAX_UPLINKS];           /* tx-rate given, not auto */
static uint64_t tx_told[FND_MAX_UPLINKS];       /* link speed logged as refused */

/* {"ok": false, "error": MESSAGE}: fnd.h. */
json_t *
fnd_ctl_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static json_t *
reply_ok(json_t *data)
{
	return json_pack("{s:b, s:o}", "ok", 1, "data", data ? data : json_null());
}

static int
uplink_by_name(const char *name)
{
	for (int u = 0; u < fnd.n_uplinks; u++)
		if (strcmp(fnd.uplinks[u].name, name) == 0)
			return u;
	return -1;
}

static const char *
uplink_name(uint16_t u)
{
	return u == FN_UPLINK_NONE ? "none" : fnd.uplinks[u].name;
}

/*
 * Merge the keys given in `p` into `c`, as FN_VNIC_KEYS says: a key given
 * takes its value, and the keys it RESETS that are not given go back to 0,
 * i.e. to their default, which fn_switch_conf_check() derives from the new
 * value (a new rate without a burst gets the new rate's default burst).
 * @return NULL or an error reply.
 */
#define MERGE_CONF(f)   c->f = p->f;
#define MERGE_LIMIT(f)  c->f = p->f;
#define MERGE_UPLINK(f)                                                         \
	int u = uplink_by_name(p->f);                                           \
	if (u < 0)                                                              \
		return fnd_ctl_error("vnic %s: no uplink named \"%s\" (see: uplink show)", \
				   cmd, p->f);                                  \
	c->f = (uint16_t)u;
#define MERGE_PORT(f)   /* the backend's: vnic_add(), perm_set() */
#define ZERO_CONF(f)    memset(&c->f, 0, sizeof(c->f));
#define ZERO_LIMIT(f)   memset(&c->f, 0, sizeof(c->f));
#define ZERO_UPLINK(f)
#define ZERO_PORT(f)

static json_t *
conf_merge(const char *cmd, const struct fn_vnic_params *p,
	   struct fn_vnic_conf *c)
{
	uint32_t reset = 0;
#define FN_X(kw, KEY, VAL, f, META, HOME, RESETS, ZERO, HELP) \
	if (p->set & FN_KB(KEY)) reset |= (RESETS);
	FN_VNIC_KEYS(FN_X)
#undef FN_X
#define FN_X(kw, KEY, VAL, f, META, HOME, RESETS, ZERO, HELP) \
	if (reset & ~p->set & FN_KB(KEY)) { ZERO_##HOME(f) }
	FN_VNIC_KEYS(FN_X)
#undef FN_X
#define FN_X(kw, KEY, VAL, f, META, HOME, RESETS, ZERO, HELP) \
	if (p->set & FN_KB(KEY)) { MERGE_##HOME(f) }
	FN_VNIC_KEYS(FN_X)
#undef FN_X
	return NULL;
}

/* "tx-min 600Mbit would make the guarantees on uplink up0 add up to
 * 1.2Gbit, above its tx-rate 1Gbit" */
static json_t *
admission_error(const char *cmd, const char *name, int32_t self,
		const struct fn_vnic_conf *c, enum fn_dir dir)
{
	char mine[32], sum[32], cap[32];
	bool rx = dir == FN_DIR_RX;
	uint64_t m = rx ? c->rx_min : c->tx_min;
	uint64_t s = fn_switch_min_sum(fnd.sw, c->uplink, dir,
				       self < 0 ? FN_VNIC_NONE : (uint32_t)self) + m;
	uint64_t k = rx ? fnd.sw->rx_cap[c->uplink] : fnd.sw->tx_cap[c->uplink];
	return fnd_ctl_error("vnic %s %s: %s %s would make the guarantees on uplink %s "
			   "add up to %s, above its %s %s", cmd, name,
			   rx ? "rx-min" : "tx-min", fn_format_rate(m, mine, sizeof(mine)),
			   uplink_name(c->uplink), fn_format_rate(s, sum, sizeof(sum)),
			   rx ? "rx-rate" : "tx-rate", fn_format_rate(k, cap, sizeof(cap)));
}

/* A guarantee above the same direction's ceiling. */
static json_t *
min_above_rate(const char *cmd, const char *name, const char *dir,
	       uint64_t min, uint64_t rate)
{
	char a[32], b[32];
	if (rate == 0 || min <= rate)
		return NULL;
	return fnd_ctl_error("vnic %s %s: %s-min %s is above %s-rate %s", cmd, name,
			   dir, fn_format_rate(min, a, sizeof(a)), dir,
			   fn_format_rate(rate, b, sizeof(b)));
}

/* Check a configuration and the table before touching anything. */
static json_t *
conf_validate(const char *cmd, const char *name, int32_t self,
	      struct fn_vnic_conf *c)
{
	char mac[18];
	uint32_t min = fnd.sw->max_frame + FN_VLAN_HLEN;
	json_t *bad;

	if (c->rx_rate && c->rx_burst && c->rx_burst < min)
		return fnd_ctl_error("vnic %s %s: rx-burst must be at least %ub (one maximum frame)",
				   cmd, name, min);
	if (c->tx_rate && c->tx_burst && c->tx_burst < min)
		return fnd_ctl_error("vnic %s %s: tx-burst must be at least %ub (one maximum frame)",
				   cmd, name, min);
	if (c->rx_queue && c->rx_queue < min)
		return fnd_ctl_error("vnic %s %s: rx-queue must be at least %ub (one maximum frame)",
				   cmd, name, min);
	if ((bad = min_above_rate(cmd, name, "rx", c->rx_min, c->rx_rate)) ||
	    (bad = min_above_rate(cmd, name, "tx", c->tx_min, c->tx_rate)))
		return bad;
	int rc = fn_switch_conf_check(fnd.sw, c);
	if (rc == -ERANGE)
		return fnd_ctl_error("vnic %s %s: a burst is too large for exact accounting (limit: 2^62 / TSC Hz)",
				   cmd, name);
	if (rc)
		return fnd_ctl_error("vnic %s %s: invalid configuration", cmd, name);
	if (c->vlan != FN_VLAN_NONE && c->uplink != FN_UPLINK_NONE &&
	    fnd.uplinks[c->uplink].strips_vlan) {
		const struct fnd_uplink *up = &fnd.uplinks[c->uplink];
		return fnd_ctl_error("vnic %s %s: uplink %s cannot carry VLANs: %s strips "
				   "the tags and fairnic could not turn that off (run "
				   "`ethtool -K %s rxvlan off`, then restart fairnicd)",
				   cmd, name, up->name, up->ifname, up->ifname);
	}
	uint32_t other = fn_fib_lookup(fnd.sw->fib, c->uplink, c->vlan, c->mac);
	if (other != FN_FIB_MISS && (int32_t)other != self) {
		char vlan[8] = "none";
		if (c->vlan != FN_VLAN_NONE)
			snprintf(vlan, sizeof(vlan), "%u", c->vlan);
		return fnd_ctl_error("vnic %s %s: mac %s is already used by vnic %s on uplink %s vlan %s",
				   cmd, name, fn_mac_format(c->mac, mac),
				   fnd.vports[other].name, uplink_name(c->uplink), vlan);
	}
	enum fn_dir dir;
	if (fn_switch_admission(fnd.sw, c, self < 0 ? FN_VNIC_NONE : (uint32_t)self,
				&dir) != 0)
		return admission_error(cmd, name, self, c, dir);
	return NULL;
}

/* The keys given to each vNIC (fn_vnic_given), for its config line. */
static uint32_t given[FND_MAX_VNICS];

/* The configuration of a vNIC given no key: where vnic add starts. */
static struct fn_vnic_conf
conf_base(void)
{
	struct fn_coalesce_conf coal;
	fn_coalesce_conf_default(&coal);
	return (struct fn_vnic_conf){ .uplink = fnd.n_uplinks ? 0 : FN_UPLINK_NONE,
				      .vlan = FN_VLAN_NONE, .local = true,
				      .rx_coalesce_usecs = coal.usecs,
				      .rx_coalesce_frames = coal.frames,
				      .rx_coalesce_adaptive = coal.adaptive };
}

static json_t *
vnic_add(const struct fn_cmd *cmd)
{
	const struct fn_vnic_params *p = &cmd->p;
	const struct fnd_backend_ops *ops = fnd_backend_of(p->backend);
	struct fn_vnic_conf c = conf_base();
	char err[256];
	json_t *bad;
	uint32_t id;

	char path[FN_PATH_MAX];
	uint32_t mode = fnd.vhost_mode;
	gid_t gid = (gid_t)-1;
	const char *group = fnd.vhost_group;

	if (fnd_vport_by_name(cmd->name) >= 0)
		return fnd_ctl_error("vnic add: a vnic named \"%s\" already exists", cmd->name);
	if (!ops->has_socket) {
		if (p->set & ((1u << FN_K_MODE) | (1u << FN_K_GROUP)))
			return fnd_ctl_error("vnic add %s: mode and group apply to vhost-user sockets, not to %s",
					   cmd->name, ops->name);
		snprintf(path, sizeof(path), "%s", p->path);
	} else {
		/* One canonical name per socket, so that "./a.sock" and
		 * "/run/x/a.sock" are seen to be the same path. */
		if (fnd_sock_canon(p->path, path, sizeof(path), err, sizeof(err)) != 0)
			return fnd_ctl_error("vnic add %s: %s", cmd->name, err);
		if (strcmp(path, fnd.ctl_path) == 0)
			return fnd_ctl_error("vnic add %s: %s is fairnicd's control socket",
					   cmd->name, path);
		if (p->set & (1u << FN_K_MODE))
			mode = p->mode;
		if (p->set & (1u << FN_K_GROUP))
			group = p->group;
		if (group[0] && fnd_group_lookup(group, &gid, err, sizeof(err)) != 0)
			return fnd_ctl_error("vnic add %s: %s", cmd->name, err);
	}
	/* --state writes it back as one word of a config line */
	if (fnd_state_enabled() && !fn_cmd_word_ok(path))
		return fnd_ctl_error("vnic add %s: %s \"%s\" cannot be saved in the --state "
				   "file (it holds a blank or '#')", cmd->name, ops->name, path);
	int32_t user = fnd_vport_find(p->backend, path);
	if (user >= 0)
		return fnd_ctl_error("vnic add: %s is already used by vnic %s",
				   path, fnd.vports[user].name);
	if (fnd.sw->n_vnics >= fnd.sw->max_vnics)
		return fnd_ctl_error("vnic add: the vnic table is full (%u vnics; see --max-vnics)",
				   fnd.sw->max_vnics);
	if ((bad = conf_merge("add", p, &c)) || (bad = conf_validate("add", cmd->name, -1, &c)))
		return bad;

	rte_ticketlock_lock(&fnd.round);
	int rc = fn_switch_vnic_add(fnd.sw, &c, rte_rdtsc(), &id);
	if (rc == 0) {
		struct fnd_vport *vp = fnd_vport_claim(id, p->backend, cmd->name, path);
		vp->mode = mode;
		snprintf(vp->group, sizeof(vp->group), "%s", group);
	}
	rte_ticketlock_unlock(&fnd.round);
	if (rc == 0)
		rates_forget((int32_t)id);
	if (rc)
		return fnd_ctl_error("vnic add %s: cannot add (%s)", cmd->name, strerror(-rc));

	rc = ops->add(id, &fnd.vports[id], gid, err, sizeof(err));
	rte_ticketlock_lock(&fnd.round);
	if (rc) {
		fnd_dp_vnic_flush(id);
		fn_switch_vnic_del(fnd.sw, id);
		fnd_vport_release(id);
	} else if (ops->ready_when_added) {
		if (ops->kick_fd != NULL)
			fnd_dp_vnic_kickfd(id, ops->kick_fd(&fnd.vports[id]));
		fnd_dp_vnic_ready(id, true);
	}
	rte_ticketlock_unlock(&fnd.round);
	if (rc)
		return fnd_ctl_error("vnic add %s: %s", cmd->name, err);
	given[id] = p->set;
	return reply_ok(NULL);
}

/* `vnic set NAME mode M group G`: applied to the socket at once. Last in
 * vnic set's checks, so that when it fails nothing else has changed. */
static json_t *
perm_set(const struct fn_cmd *cmd, struct fnd_vport *vp)
{
	const struct fn_vnic_params *p = &cmd->p;
	char err[256];
	gid_t gid = (gid_t)-1;

	if (!(p->set & ((1u << FN_K_MODE) | (1u << FN_K_GROUP))))
		return NULL;
	if (!vp->ops->has_socket)
		return fnd_ctl_error("vnic set %s: mode and group apply to vhost-user sockets, not to %s",
				   cmd->name, vp->ops->name);
	uint32_t mode = p->set & (1u << FN_K_MODE) ? p->mode : vp->mode;
	char group[FN_NAME_MAX];        /* a copy: vp->group is written below */
	snprintf(group, sizeof(group), "%s", p->set & (1u << FN_K_GROUP) ? p->group : vp->group);
	if (group[0] && fnd_group_lookup(group, &gid, err, sizeof(err)) != 0)
		return fnd_ctl_error("vnic set %s: %s", cmd->name, err);
	if (fnd_sock_perm(vp->path, mode, gid, err, sizeof(err)) != 0)
		return fnd_ctl_error("vnic set %s: %s", cmd->name, err);
	vp->mode = mode;
	snprintf(vp->group, sizeof(vp->group), "%s", group);
	return NULL;
}

static json_t *
vnic_set(const struct fn_cmd *cmd)
{
	int32_t id = fnd_vport_by_name(cmd->name);
	json_t *bad;

	if (id < 0)
		return fnd_ctl_error("vnic set: no vnic named \"%s\"", cmd->name);
	struct fn_vnic_conf c = fnd.sw->vnics[id].conf;
	if ((bad = conf_merge("set", &cmd->p, &c)) ||
	    (bad = conf_validate("set", cmd->name, id, &c)) ||
	    (bad = perm_set(cmd, &fnd.vports[id])))
		return bad;
	const struct fn_vnic_conf old = fnd.sw->vnics[id].conf;
	rte_ticketlock_lock(&fnd.round);
	int rc = fn_switch_vnic_update(fnd.sw, (uint32_t)id, &c, rte_rdtsc());
	rte_ticketlock_unlock(&fnd.round);
	if (rc)
		return fnd_ctl_error("vnic set %s: cannot apply (%s)", cmd->name, strerror(-rc));
	/* Moved: the switches upstream must learn where it is now. */
	if (c.uplink != old.uplink || c.vlan != old.vlan || c.mac != old.mac)
		fnd_announce_start((uint32_t)id, fnd_now_ms());
	given[id] = fn_vnic_given(given[id], cmd->p.set);
	return reply_ok(NULL);
}

static json_t *
vnic_del(const struct fn_cmd *cmd)
{
	int32_t id = fnd_vport_by_name(cmd->name);
	if (id < 0)
		return fnd_ctl_error("vnic del: no vnic named \"%s\"", cmd->name);
	struct fnd_vport vp;

	rte_ticketlock_lock(&fnd.round);
	if (fnd.vports[id].ready)       /* the data plane's own counts follow */
		fnd_dp_vnic_ready((uint32_t)id, false);
	fnd_dp_vnic_kickfd((uint32_t)id, -1);
	fnd_dp_vnic_flush((uint32_t)id);
	fn_switch_vnic_del(fnd.sw, (uint32_t)id);
	vp = fnd.vports[id];
	fnd_vport_release((uint32_t)id);
	rte_ticketlock_unlock(&fnd.round);
	fnd_announce_forget((uint32_t)id);
	rates_forget(id);

	vp.ops->del((uint32_t)id, &vp);
	return reply_ok(NULL);
}

static json_t *
vlan_json(uint16_t vlan)
{
	return vlan == FN_VLAN_NONE ? json_null() : json_integer(vlan);
}

static json_t *
mac_json(uint64_t mac)
{
	char buf[18];
	return json_string(fn_mac_format(mac, buf));
}

/* Set member `key` to `v`; false when v is NULL (not representable). */
static bool
jset(json_t *o, const char *key, json_t *v)
{
	return v != NULL && json_object_set_new(o, key, v) == 0;
}

/* The JSON member of a key: its keyword with '-' -> '_'. */
static bool
jset_key(json_t *o, const char *kw, json_t *v)
{
	char name[32];
	size_t i;
	for (i = 0; kw[i] != '\0' && i < sizeof(name) - 1; i++)
		name[i] = kw[i] == '-' ? '_' : kw[i];
	name[i] = '\0';
	return jset(o, name, v);
}

/* `ip` in the grammar of the key ("any", "none" or the list). */
static json_t *
ipset_json(const struct fn_ipset *set)
{
	char buf[FN_L3_MAX_PREFIXES * 2 * 48];
	if (fn_ipset_format(set, buf, sizeof(buf)) >= sizeof(buf))
		return NULL;
	return json_string(buf);
}

/* The backend's keys: "backend" and "path" (for either spelling, once),
 * and the socket's "mode" and "group" (a backend with a socket only). */
static bool
port_json(json_t *o, const struct fnd_vport *vp, enum fn_val val)
{
	bool sock = vp->ops->has_socket;
	char m[8];

	switch (val) {
	case FN_VAL_PATH:
		return jset(o, "backend", json_string(vp->ops->name)) &&
		       jset(o, "path", json_string(vp->path));
	case FN_VAL_MODE:
		snprintf(m, sizeof(m), "%04o", (unsigned)vp->mode);
		return !sock || jset(o, "mode", json_string(m));
	case FN_VAL_GROUP:
		return !sock || jset(o, "group", vp->group[0] ? json_string(vp->group)
								: json_null());
	default:
		return true;
	}
}

#define JSON_MAC(x)     mac_json(x)
#define JSON_RATE(x)    json_integer((json_int_t)(x))
#define JSON_SIZE(x)    json_integer((json_int_t)(x))
#define JSON_COUNT(x)   json_integer((json_int_t)(x))
#define JSON_WEIGHT(x)  json_integer((json_int_t)(x))
#define JSON_VLAN(x)    vlan_json(x)
#define JSON_ONOFF(x)   json_boolean(x)
#define JSON_AQM(x)     json_string(fn_cmd_aqm_name(x))
#define JSON_IPSET(x)   ipset_json(&(x))
#define JSON_ALLOW(x)   json_string((x) ? "allow" : "deny")
#define JSON_CONF(kw, VAL, f)   jset_key(o, kw, JSON_##VAL(c->f))
#define JSON_LIMIT(kw, VAL, f)  jset_key(o, kw, JSON_##VAL(c->f))
#define JSON_UPLINK(kw, VAL, f) jset_key(o, kw, json_string(uplink_name(c->f)))
#define JSON_PORT(kw, VAL, f)   port_json(o, vp, FN_VAL_##VAL)

/* A vNIC as `vnic show` returns it: its name, every key in FN_VNIC_KEYS
 * order (bursts and queue resolved), whether a guest is connected.
 * @return NULL if something cannot be represented in JSON. */
static json_t *
vnic_json(uint32_t id)
{
	const struct fnd_vport *vp = &fnd.vports[id];
	const struct fn_vnic_conf *c = &fnd.sw->vnics[id].conf;
	json_t *o = json_object();
	bool ok = o != NULL && jset(o, "name", json_string(vp->name));

#define FN_X(kw, KEY, VAL, f, META, HOME, RESETS, ZERO, HELP) \
	ok = ok && JSON_##HOME(kw, VAL, f);
	FN_VNIC_KEYS(FN_X)
#undef FN_X
	ok = ok && jset(o, "connected", json_boolean(vp->ready));
	/* live state of rx-coalesce-*: holding frames to notify once for several */
	ok = ok && jset(o, "rx_coalescing", json_boolean(fn_coalesce_holding(
				&fnd.sw->vnics[id].coal, &fnd.sw->vnics[id].coal_conf)));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
vnic_show(const struct fn_cmd *cmd)
{
	json_t *arr = json_array();
	int32_t only = -1;

	if (cmd->name[0] && (only = fnd_vport_by_name(cmd->name)) < 0) {
		json_decref(arr);
		return fnd_ctl_error("vnic show: no vnic named \"%s\"", cmd->name);
	}
	for (uint32_t i = 0; i < fnd.sw->max_vnics; i++)
		if (fnd.vports[i].in_use && (only < 0 || (int32_t)i == only)) {
			json_t *v = vnic_json(i);
			if (v == NULL) {        /* not representable in JSON: say so */
				json_decref(arr);
				return fnd_ctl_error("vnic show: vnic %s cannot be shown", fnd.vports[i].name);
			}
			json_array_append_new(arr, v);
		}
	return reply_ok(json_pack("{s:o}", "vnics", arr));
}

/* The link speed the port reports, bits/s; 0 (unlimited) when unknown. */
static uint64_t
link_bps(uint16_t u)
{
	struct rte_eth_link link;

	memset(&link, 0, sizeof(link));
	if (rte_eth_link_get_nowait(fnd.uplinks[u].port, &link) != 0 ||
	    link.link_speed == RTE_ETH_SPEED_NUM_NONE ||
	    link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN)
		return 0;
	return (uint64_t)link.link_speed * 1000000;
}

static int
uplink_apply(uint16_t u, uint64_t rx, uint64_t tx)
{
	rte_ticketlock_lock(&fnd.round);
	int rc = fn_switch_uplink_set(fnd.sw, u, rx, tx, rte_rdtsc());
	rte_ticketlock_unlock(&fnd.round);
	return rc;
}

/* Every uplink whose tx-rate is auto gets the link speed as its tx-rate,
 * unless that is below the tx-min guarantees its vNICs hold (then it keeps
 * its tx-rate, and that is logged once per speed). Idempotent. */
void
fnd_ctl_uplink_defaults(void)
{
	char a[32], b[32];

	for (uint16_t u = 0; u < fnd.n_uplinks && u < FND_MAX_UPLINKS; u++) {
		uint64_t tx = link_bps(u);
		if (tx_user[u] || tx == fnd.sw->tx_cap[u])
			continue;
		uint64_t sum = fn_switch_min_sum(fnd.sw, u, FN_DIR_TX, FN_VNIC_NONE);
		if ((tx == 0 || sum <= tx) && uplink_apply(u, fnd.sw->rx_cap[u], tx) == 0) {
			tx_told[u] = 0;
			continue;
		}
		if (tx_told[u] != tx + 1)
			fprintf(stderr, "fairnicd: uplink %s: link speed %s not applied "
				"as its tx-rate: below the tx-min guarantees of its vnics (%s)\n",
				fnd.uplinks[u].name, fn_format_rate(tx, a, sizeof(a)),
				fn_format_rate(sum, b, sizeof(b)));
		tx_told[u] = tx + 1;
	}
}

/* Forget what this file keeps (for fuzz/fuzz_ctl.c, which starts a fresh
 * daemon for every input; fairnicd starts with it zeroed). */
void fnd_ctl_forget(void);

/* "tx-rate 500Mbit is below the tx-min guarantees of its vnics (600Mbit)" */
static json_t *
capacity_check(const char *name, uint16_t u, enum fn_dir dir, uint64_t cap,
	       bool is_auto)
{
	char a[32], b[32];
	uint64_t sum = fn_switch_min_sum(fnd.sw, u, dir, FN_VNIC_NONE);
	const char *d = dir == FN_DIR_RX ? "rx" : "tx";

	if (cap == 0 || sum <= cap)
		return NULL;
	fn_format_rate(cap, a, sizeof(a));
	fn_format_rate(sum, b, sizeof(b));
	if (is_auto)
		return fnd_ctl_error("uplink set %s: tx-rate auto (the link speed, %s) is below "
				   "the tx-min guarantees of its vnics (%s)", name, a, b);
	return fnd_ctl_error("uplink set %s: %s-rate %s is below the %s-min guarantees "
			   "of its vnics (%s)", name, d, a, d, b);
}

static json_t *
uplink_set(const struct fn_cmd *cmd)
{
	const struct fn_uplink_params *p = &cmd->up;
	int u = uplink_by_name(cmd->name);
	json_t *bad;

	if (u < 0)
		return fnd_ctl_error("uplink set: no uplink named \"%s\" (see: uplink show)",
				   cmd->name);
	uint64_t rx = fnd.sw->rx_cap[u], tx = fnd.sw->tx_cap[u];
	bool user = tx_user[u], is_auto = false;
	if (p->set & (1u << FN_UK_RX_RATE))
		rx = p->rx_rate;
	if (p->set & (1u << FN_UK_TX_RATE)) {
		is_auto = p->tx_rate == FN_RATE_AUTO;
		tx = is_auto ? link_bps((uint16_t)u) : p->tx_rate;
		user = !is_auto;
	}
	if ((bad = capacity_check(cmd->name, (uint16_t)u, FN_DIR_RX, rx, false)) ||
	    (bad = capacity_check(cmd->name, (uint16_t)u, FN_DIR_TX, tx, is_auto)))
		return bad;
	int rc = uplink_apply((uint16_t)u, rx, tx);
	if (rc)
		return fnd_ctl_error("uplink set %s: cannot apply (%s)", cmd->name, strerror(-rc));
	tx_user[u] = user;
	return reply_ok(NULL);
}

static json_t *
uplink_show(void)
{
	json_t *arr = json_array();
	for (uint16_t u = 0; u < fnd.n_uplinks; u++) {
		struct rte_ether_addr ea;
		struct rte_eth_link link = { 0 };
		char mac[18] = "unknown";
		if (rte_eth_macaddr_get(fnd.uplinks[u].port, &ea) == 0)
			fn_mac_format(fn_mac_load(ea.addr_bytes), mac);
		rte_eth_link_get_nowait(fnd.uplinks[u].port, &link);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:s, s:b, s:I, s:I, s:I, s:b}",
			"name", fnd.uplinks[u].name, "devargs", fnd.uplinks[u].devargs,
			"port", fnd.uplinks[u].port, "mac", mac,
			"link", link.link_status == RTE_ETH_LINK_UP,
			"speed_mbps", (json_int_t)link.link_speed,
			"rx_rate", (json_int_t)fnd.sw->rx_cap[u],
			"tx_rate", (json_int_t)fnd.sw->tx_cap[u],
			"tx_rate_auto", !tx_user[u]));
	}
	return reply_ok(json_pack("{s:o}", "uplinks", arr));
}

static uint64_t
since(uint64_t now, uint64_t base)
{
	return now >= base ? now - base : now;    /* the source was reset */
}

/* The port's own drop counters, over the core's zeros. */
static void
port_drops_json(uint16_t u, json_t *o)
{
	static const int ctr[FND_PORT_DROPS] = { FN_UC_rx_drop_ring_full,
		FN_UC_rx_drop_nombuf, FN_UC_rx_drop_errors };
	uint64_t d[FND_PORT_DROPS];
	if (fnd_uplink_port_drops(u, d) != 0)
		return;
	for (int k = 0; k < FND_PORT_DROPS; k++)
		json_object_set_new(o, fn_uplink_counter_names[ctr[k]],
			json_integer((json_int_t)since(d[k], fnd.uplinks[u].drops_base[k])));
}

/* A tap's kernel-side drops; null when the interface cannot be read here
 * (moved to another network namespace: read them there, `ip -s link`). */
static void
tap_drops_json(uint32_t id, json_t *o)
{
	static const int ctr[FND_TAP_DROPS] = { FN_VC_tx_drop_tap_kernel, FN_VC_rx_drop_tap_kernel };
	const struct fnd_vport *vp = &fnd.vports[id];
	uint64_t d[FND_TAP_DROPS];
	if (vp->ops->kernel_drops == NULL)
		return;
	bool ok = vp->ops->kernel_drops(vp->path, d) == 0;
	for (int k = 0; k < FND_TAP_DROPS; k++)
		json_object_set_new(o, fn_vnic_counter_names[ctr[k]], ok
			? json_integer((json_int_t)since(d[k], vp->tap_drops_base[k])) : json_null());
}

/* `stats reset`: the outside counters restart from here. */
static void
extstats_rebase(int32_t only)
{
	for (uint32_t i = 0; i < fnd.sw->max_vnics; i++) {
		struct fnd_vport *vp = &fnd.vports[i];
		if (vp->in_use && vp->ops->kernel_drops && (only < 0 || (int32_t)i == only))
			vp->ops->kernel_drops(vp->path, vp->tap_drops_base);
	}
	if (only < 0)
		for (uint16_t u = 0; u < fnd.n_uplinks; u++)
			fnd_uplink_port_drops(u, fnd.uplinks[u].drops_base);
}

/* ---- rates measured by the control thread (rx_bps, tx_bps) ------------ */

/* Two snapshots of a vNIC's byte counters: [0] the older (at least 1 s
 * before any later reading once there are two), [1] the newer. */
static struct rate_snap {
	uint8_t n;                      /* snapshots held: 0, 1 or 2 */
	uint64_t ms[2], rx[2], tx[2];
} rates[FND_MAX_VNICS];

/* A vNIC added, deleted or reset: measure afresh. */
static void
rates_forget(int32_t only)
{
	for (uint32_t i = 0; i < FND_MAX_VNICS; i++)
		if (only < 0 || (int32_t)i == only)
			rates[i].n = 0;
}

void
fnd_ctl_forget(void)
{
	memset(tx_user, 0, sizeof(tx_user));
	memset(tx_told, 0, sizeof(tx_told));
	rates_forget(-1);
}

/* bits/s of vNIC `id` now, from its snapshots (taking one when due). */
static void
rates_read(uint32_t id, uint64_t now, uint64_t *rx_bps, uint64_t *tx_bps)
{
	struct rate_snap *r = &rates[id];
	const uint64_t *ctr = fnd.sw->vnics[id].ctr;
	uint64_t rx = ctr[FN_VC_rx_bytes], tx = ctr[FN_VC_tx_bytes];

	*rx_bps = *tx_bps = 0;
	if (r->n > 0 && (rx < r->rx[0] || tx < r->tx[0] || now < r->ms[0]))
		r->n = 0;               /* counters reset under us: restart */
	if (r->n == 0) {
		*r = (struct rate_snap){ .n = 1, .ms[1] = now, .rx[1] = rx, .tx[1] = tx,
					 .ms[0] = now, .rx[0] = rx, .tx[0] = tx };
		return;
	}
	if (now - r->ms[1] >= 1000) {
		r->ms[0] = r->ms[1];
		r->rx[0] = r->rx[1];
		r->tx[0] = r->tx[1];
		r->ms[1] = now;
		r->rx[1] = rx;
		r->tx[1] = tx;
		r->n = 2;
	}
	/* From the older snapshot; with one only (under 1 s old), from it. */
	int b = r->n == 2 ? 0 : 1;
	uint64_t dt = now - r->ms[b];
	if (dt == 0 || rx < r->rx[b] || tx < r->tx[b])
		return;
	*rx_bps = (rx - r->rx[b]) * 8000 / dt;
	*tx_bps = (tx - r->tx[b]) * 8000 / dt;
}

static uint64_t
cycles_us(uint64_t cycles)
{
	return (uint64_t)((unsigned __int128)cycles * 1000000 / fnd.sw->hz);
}

/* The rates of a vNIC, for `stats`. */
struct gauges {
	uint64_t rx_bps, tx_bps;
};

static json_t *
stats_show(const struct fn_cmd *cmd)
{
	static struct gauges g[FND_MAX_VNICS];
	uint64_t rx_sum[FND_MAX_UPLINKS + 1] = { 0 }, tx_sum[FND_MAX_UPLINKS + 1] = { 0 };
	json_t *vn = json_array();
	int32_t only = -1;
	char mac[18];

	if (cmd->name[0] && (only = fnd_vport_by_name(cmd->name)) < 0) {
		json_decref(vn);
		return fnd_ctl_error("stats: no vnic named \"%s\"", cmd->name);
	}
	/* Rates of every vNIC (a share is of the sum on its uplink). */
	uint64_t now = fnd_now_ms();
	for (uint32_t i = 0; i < fnd.sw->max_vnics; i++) {
		if (!fnd.vports[i].in_use)
			continue;
		uint32_t k = fn_switch_sched_index(fnd.sw, fnd.sw->vnics[i].uplink);
		rates_read(i, now, &g[i].rx_bps, &g[i].tx_bps);
		if (k <= FND_MAX_UPLINKS) {
			rx_sum[k] += g[i].rx_bps;
			tx_sum[k] += g[i].tx_bps;
		}
	}
	uint64_t tsc = rte_rdtsc();
	for (uint32_t i = 0; i < fnd.sw->max_vnics; i++) {
		if (!fnd.vports[i].in_use || (only >= 0 && (int32_t)i != only))
			continue;
		const struct fn_vnic *v = &fnd.sw->vnics[i];
		json_t *o = json_pack("{s:s, s:s}", "name", fnd.vports[i].name,
				      "mac", fn_mac_format(v->mac, mac));
		for (int k = 0; k < FN_VC_MAX; k++)
			json_object_set_new(o, fn_vnic_counter_names[k],
					    json_integer((json_int_t)v->ctr[k]));
		tap_drops_json(i, o);
		uint32_t k = fn_switch_sched_index(fnd.sw, v->uplink);
		uint64_t rs = k <= FND_MAX_UPLINKS ? rx_sum[k] : 0;
		uint64_t ts = k <= FND_MAX_UPLINKS ? tx_sum[k] : 0;
		json_t *gj[FN_VG_MAX] = {
			[FN_VG_rx_queue_frames] = json_integer((json_int_t)v->rxq.held),
			[FN_VG_rx_queue_bytes] = json_integer((json_int_t)v->rxq.bytes),
			[FN_VG_rx_sojourn_us] = json_integer((json_int_t)cycles_us(
				fnd_dp_rx_sojourn(i, tsc))),
			[FN_VG_rx_sojourn_max_us] = json_integer((json_int_t)cycles_us(
				v->rx_sojourn_max)),
			[FN_VG_rx_bps] = json_integer((json_int_t)g[i].rx_bps),
			[FN_VG_tx_bps] = json_integer((json_int_t)g[i].tx_bps),
			[FN_VG_rx_share] = json_real(rs ? (double)g[i].rx_bps / (double)rs : 0.0),
			[FN_VG_tx_share] = json_real(ts ? (double)g[i].tx_bps / (double)ts : 0.0),
			[FN_VG_rx_frames_per_notification] = json_real(v->ctr[FN_VC_notifications]
				? (double)v->ctr[FN_VC_rx_packets] / (double)v->ctr[FN_VC_notifications] : 0.0),
			[FN_VG_rx_rate_pps] = json_integer((json_int_t)fn_coalesce_rate(&v->coal)),
			[FN_VG_rx_coalescing] = json_boolean(fn_coalesce_holding(&v->coal, &v->coal_conf)),
		};
		for (int k = 0; k < FN_VG_MAX; k++)
			json_object_set_new(o, fn_vnic_gauge_names[k],
					    gj[k] ? gj[k] : json_null());
		json_array_append_new(vn, o);
	}
	json_t *data = json_pack("{s:o}", "vnics", vn);
	if (only < 0) {
		json_t *ul = json_array();
		for (uint16_t u = 0; u < fnd.n_uplinks; u++) {
			json_t *o = json_pack("{s:s}", "name", fnd.uplinks[u].name);
			for (int k = 0; k < FN_UC_MAX; k++)
				json_object_set_new(o, fn_uplink_counter_names[k],
					json_integer((json_int_t)fnd.sw->uplink_ctr[u][k]));
			port_drops_json(u, o);
			json_array_append_new(ul, o);
		}
		json_object_set_new(data, "uplinks", ul);
		json_object_set_new(data, "pool", json_pack("{s:I, s:I}",
			"size", (json_int_t)fnd.pool->size,
			"in_use", (json_int_t)rte_mempool_in_use_count(fnd.pool)));
	}
	return reply_ok(data);
}

static json_t *
stats_reset(const struct fn_cmd *cmd)
{
	int32_t id = -1;
	if (cmd->name[0] && (id = fnd_vport_by_name(cmd->name)) < 0)
		return fnd_ctl_error("stats reset: no vnic named \"%s\"", cmd->name);
	rte_ticketlock_lock(&fnd.round);
	fn_switch_counters_reset(fnd.sw, id < 0 ? FN_VNIC_NONE : (uint32_t)id);
	rte_ticketlock_unlock(&fnd.round);
	extstats_rebase(id);
	rates_forget(id);
	return reply_ok(NULL);
}

/* ---- the running configuration as config lines (config show, --state) -- */

/*
 * A vNIC's line: its mac and backend, then every key it was given (given[],
 * less those a later key RESETS) whose value is not the default. A key's
 * default is found by putting it back to conf_base()'s value and resolving
 * the configuration again, so a burst or rx-queue derived from its rate is
 * not written (a rate changed in the file still derives it), nor is a key
 * given its default value. Uplinks: the capacities that are not defaults.
 */
#define PARAM_CONF(f)   p->f = c->f;
#define PARAM_LIMIT(f)  p->f = c->f;
#define PARAM_UPLINK(f) snprintf(p->f, sizeof(p->f), "%s", uplink_name(c->f));
#define PARAM_PORT(f)   /* below, from the vport */
#define DFLT_CONF(f)    d.f = base->f;
#define DFLT_LIMIT(f)   d.f = base->f;
#define DFLT_UPLINK(f)  d.f = base->f;
#define DFLT_PORT(f)    /* below, the daemon's options */

/* A vNIC's keys as the grammar holds them (p->set empty). */
static void
conf_params(const struct fn_vnic_conf *c, const struct fnd_vport *vp,
	    struct fn_vnic_params *p)
{
	memset(p, 0, sizeof(*p));
#define FN_X(kw, KEY, VAL, f, META, HOME, RESETS, ZERO, HELP) PARAM_##HOME(f)
	FN_VNIC_KEYS(FN_X)
#undef FN_X
	p->backend = vp->type;
	snprintf(p->path, sizeof(p->path), "%s", vp->path);
	p->mode = vp->mode;
	snprintf(p->group, sizeof(p->group), "%s", vp->group);
}

/* The keys of vNIC id as they would be had `key` never been given. */
static void
key_default(uint32_t id, enum fn_vnic_key key, const struct fn_vnic_conf *base,
	    struct fn_vnic_params *p)
{
	struct fn_vnic_conf d = fnd.sw->vnics[id].conf;

#define FN_X(kw, KEY, VAL, f, META, HOME, RESETS, ZERO, HELP) \
	if (key == FN_K_##KEY) { DFLT_##HOME(f) }
	FN_VNIC_KEYS(FN_X)
#undef FN_X
	(void)fn_switch_conf_check(fnd.sw, &d);     /* derives what it derives */
	conf_params(&d, &fnd.vports[id], p);
	if (key == FN_K_MODE)
		p->mode = fnd.vhost_mode;
	if (key == FN_K_GROUP)
		snprintf(p->group, sizeof(p->group), "%s", fnd.vhost_group);
}

/* The line of vNIC id into buf. @return its length, or -1 and err. */
static int
vnic_line(uint32_t id, char *buf, size_t len, char *err, size_t errlen)
{
	const struct fnd_vport *vp = &fnd.vports[id];
	const struct fn_vnic_conf base = conf_base();
	struct fn_vnic_params cur, def;
	char a[FN_IPSET_STRLEN + FN_PATH_MAX], b[sizeof(a)];
	const char *bad = "?";

	conf_params(&fnd.sw->vnics[id].conf, vp, &cur);
	cur.set = FN_KB(MAC) | FN_KB(BACKEND);
	for (size_t i = 0; i < fn_vnic_nkeys; i++) {
		const struct fn_key_info *k = &fn_vnic_keys[i];
		if (!(given[id] & ~cur.set & (UINT32_C(1) << k->key)))
			continue;
		key_default(id, k->key, &base, &def);
		fn_cmd_vnic_value(k, &cur, a, sizeof(a));
		fn_cmd_vnic_value(k, &def, b, sizeof(b));
		if (strcmp(a, b) != 0)
			cur.set |= UINT32_C(1) << k->key;
	}
	int n = fn_cmd_vnic_line(vp->name, &cur, buf, len, &bad);
	if (n == -EINVAL)
		snprintf(err, errlen, "vnic %s: its %s cannot be one word of a config "
			 "line (it holds a blank or '#')", vp->name, bad);
	else if (n < 0)
		snprintf(err, errlen, "vnic %s: its line is longer than %d bytes",
			 vp->name, FN_CFG_LINE_MAX - 2);
	return n < 0 ? -1 : n;
}

/* The line of uplink u, or 0 when its capacities are the defaults. */
static int
uplink_line(uint16_t u, char *buf, size_t len)
{
	struct fn_uplink_params p = { .rx_rate = fnd.sw->rx_cap[u],
				      .tx_rate = fnd.sw->tx_cap[u] };

	if (p.rx_rate != 0)
		p.set |= UINT32_C(1) << FN_UK_RX_RATE;
	if (tx_user[u])
		p.set |= UINT32_C(1) << FN_UK_TX_RATE;
	return p.set ? fn_cmd_uplink_line(fnd.uplinks[u].name, &p, buf, len) : 0;
}

/* The running configuration: uplinks, then vNICs in table order (the
 * order `vnic show` lists them, and a fresh daemon adds them back in).
 * @return malloc'd text, or NULL and one line in err. */
static char *
config_text(char *err, size_t errlen)
{
	char *text = NULL, line[FN_CFG_LINE_MAX];
	size_t size;
	int n = 0;
	FILE *f = open_memstream(&text, &size);

	snprintf(err, errlen, "out of memory");
	if (f == NULL)
		return NULL;
	for (uint16_t u = 0; u < fnd.n_uplinks && n >= 0; u++)
		if ((n = uplink_line(u, line, sizeof(line))) > 0)
			fprintf(f, "%s\n", line);
	for (uint32_t i = 0; i < fnd.sw->max_vnics && n >= 0; i++)
		if (fnd.vports[i].in_use && (n = vnic_line(i, line, sizeof(line), err, errlen)) > 0)
			fprintf(f, "%s\n", line);
	if (fclose(f) != 0 || n < 0) {
		free(text);
		return NULL;
	}
	return text;
}

static json_t *
config_show(void)
{
	char err[256];
	char *text = config_text(err, sizeof(err));

	if (text == NULL)
		return fnd_ctl_error("config show: %s", err);
	json_t *data = json_pack("{s:s}", "config", text);
	free(text);
	if (data == NULL)
		return fnd_ctl_error("config show: not valid UTF-8");
	return reply_ok(data);
}

/* What fnd_ctl_exec() does once ctl_lock is released: write the --state
 * file (after a change), or reload --config (which runs commands). */
static enum { AFTER_NOTHING, AFTER_SAVE, AFTER_RELOAD } after;

/* Reply r of a command that changes the configuration. */
static json_t *
changed(json_t *r)
{
	if (json_is_true(json_object_get(r, "ok")))
		after = AFTER_SAVE;
	return r;
}

static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;
static bool readers_stopped;            /* fnd_ctl_read_stop() was called */

static json_t *ctl_exec(int argc, char *const argv[]);

json_t *
fnd_ctl_exec(int argc, char *const argv[])
{
	pthread_mutex_lock(&ctl_lock);
	json_t *r = ctl_exec(argc, argv);
	int a = after;
	after = AFTER_NOTHING;
	pthread_mutex_unlock(&ctl_lock);
	/* Outside ctl_lock: these read the configuration or run commands. */
	if (a == AFTER_RELOAD)
		return fnd_state_reload();
	if (a == AFTER_SAVE)
		fnd_state_changed();
	return r;
}

/* Move the "data" of reply `r` into `out` as `key`; false (and `r` left
 * for the caller to return) when it is an error. */
static bool
read_take(json_t *out, const char *key, json_t *r)
{
	if (!json_is_true(json_object_get(r, "ok")))
		return false;
	json_object_set(out, key, json_object_get(r, "data"));
	json_decref(r);
	return true;
}

/*
 * The replies of `stats [VNIC]`, `vnic show [VNIC]` and `uplink show`
 * (those asked for by `what`), made at one instant by the functions the
 * commands use, so read exactly as `stats` reads: counters and gauges
 * without the round lock, the data plane never waits. Unlike a command,
 * it applies no link-speed default: a reader changes nothing.
 * @return {"ok": true, "data": {"stats": .., "vnics": .., "uplinks": ..}}
 * or an error reply (no such vNIC; fairnicd stopping). Caller frees.
 */
json_t *
fnd_ctl_read(unsigned int what, const char *vnic)
{
	static struct fn_cmd cmd;       /* large; used under ctl_lock only */
	json_t *data = json_object(), *bad = NULL, *r;

	pthread_mutex_lock(&ctl_lock);
	if (readers_stopped) {
		bad = fnd_ctl_error("fairnicd is stopping");
		goto out;
	}
	memset(&cmd, 0, sizeof(cmd));
	snprintf(cmd.name, sizeof(cmd.name), "%s", vnic ? vnic : "");
	if ((what & FND_READ_STATS) && !read_take(data, "stats", r = stats_show(&cmd)))
		bad = r;
	else if ((what & FND_READ_VNICS) && !read_take(data, "vnics", r = vnic_show(&cmd)))
		bad = r;
	else if ((what & FND_READ_UPLINKS) && !read_take(data, "uplinks", r = uplink_show()))
		bad = r;
out:
	pthread_mutex_unlock(&ctl_lock);
	if (bad != NULL) {
		json_decref(data);
		return bad;
	}
	return reply_ok(data);
}

/* From here on fnd_ctl_read() refuses: what it reads is being freed. It
 * returns once no reader is inside. */
void
fnd_ctl_read_stop(void)
{
	pthread_mutex_lock(&ctl_lock);
	readers_stopped = true;
	pthread_mutex_unlock(&ctl_lock);
}

char *
fnd_ctl_config(char *err, size_t len)
{
	pthread_mutex_lock(&ctl_lock);
	char *text = config_text(err, len);
	pthread_mutex_unlock(&ctl_lock);
	return text;
}

static json_t *
ctl_exec(int argc, char *const argv[])
{
	struct fn_cmd cmd;
	char err[256];

	if (fn_cmd_parse(argc, argv, &cmd, err, sizeof(err)) != 0)
		return fnd_ctl_error("%s", err);
	/* tx-rate auto follows the link: before anything reads or checks it. */
	fnd_ctl_uplink_defaults();
	switch (cmd.op) {
	case FN_CMD_VNIC_ADD:    return changed(vnic_add(&cmd));
	case FN_CMD_VNIC_SET:    return changed(vnic_set(&cmd));
	case FN_CMD_VNIC_DEL:    return changed(vnic_del(&cmd));
	case FN_CMD_VNIC_SHOW:   return vnic_show(&cmd);
	case FN_CMD_UPLINK_SET:  return changed(uplink_set(&cmd));
	case FN_CMD_UPLINK_SHOW: return uplink_show();
	case FN_CMD_STATS_SHOW:  return stats_show(&cmd);
	case FN_CMD_STATS_RESET: return stats_reset(&cmd);
	case FN_CMD_HELP:
		return reply_ok(json_string(fn_cmd_help(cmd.topic, cmd.markdown)));
	case FN_CMD_CONFIG_SHOW: return config_show();
	case FN_CMD_CONFIG_SAVE:
		return fnd_ctl_error("config save: fairnicctl writes the file (from config show)");
	case FN_CMD_CONFIG_RELOAD:
		after = AFTER_RELOAD;   /* fnd_ctl_exec() replies */
		return NULL;
	}
	return fnd_ctl_error("unsupported command");
}

int
fnd_ctl_run_config(const char *file)
{
	FILE *f = fopen(file, "r");
	char line[FN_CFG_LINE_MAX];
	int lineno = 0;

	if (f == NULL) {
		fprintf(stderr, "fairnicd: cannot open config %s: %s\n", file, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *argv[FN_CFG_WORDS_MAX];
		lineno++;
		/* never a line cut in two, read as two commands */
		bool whole = strchr(line, '\n') != NULL || feof(f);
		int argc = whole ? fn_cmd_split(line, argv, FN_CFG_WORDS_MAX) : -1;
		if (argc == 0)
			continue;
		json_t *r = !whole ? fnd_ctl_error("line longer than %d bytes", FN_CFG_LINE_MAX - 2)
			    : argc < 0 ? fnd_ctl_error("too many words")
			    : fnd_ctl_exec(argc, argv);
		if (!json_is_true(json_object_get(r, "ok"))) {
			fprintf(stderr, "fairnicd: %s:%d: %s\n", file, lineno,
				json_string_value(json_object_get(r, "error")));
			json_decref(r);
			fclose(f);
			return -1;
		}
		json_decref(r);
	}
	fclose(f);
	return 0;
}
