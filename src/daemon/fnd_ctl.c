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
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include "fnd.h"
#include "fnd_sock.h"

static json_t *
reply_error(const char *fmt, ...)
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

void
fnd_active_rebuild(void)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < fnd.sw->max_vnics; i++)
		if (fnd.vports[i].in_use)
			fnd.active[n++] = i;
	fnd.n_active = n;
}

static int32_t
vnic_by_name(const char *name)
{
	for (uint32_t i = 0; i < fnd.sw->max_vnics; i++)
		if (fnd.vports[i].in_use && strcmp(fnd.vports[i].name, name) == 0)
			return (int32_t)i;
	return -1;
}

int32_t
fnd_vport_find(enum fn_backend type, const char *path)
{
	for (uint32_t i = 0; i < fnd.sw->max_vnics; i++) {
		const struct fnd_vport *vp = &fnd.vports[i];
		if (vp->in_use && vp->type == type && strcmp(vp->path, path) == 0)
			return (int32_t)i;
	}
	return -1;
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

/* Merge the keys given in `p` into `c`. @return NULL or an error reply. */
static json_t *
conf_merge(const char *cmd, const struct fn_vnic_params *p,
	   struct fn_vnic_conf *c)
{
#define GIVEN(k) (p->set & (1u << (k)))
	if (GIVEN(FN_K_MAC))
		c->mac = p->mac;
	if (GIVEN(FN_K_UPLINK)) {
		int u = uplink_by_name(p->uplink);
		if (u < 0)
			return reply_error("vnic %s: no uplink named \"%s\" (see: uplink show)",
					   cmd, p->uplink);
		c->uplink = (uint16_t)u;
	}
	if (GIVEN(FN_K_VLAN))
		c->vlan = p->vlan;
	if (GIVEN(FN_K_LOCAL))
		c->local = p->local;
	/* A new rate without a new burst gets the new rate's default burst. */
	if (GIVEN(FN_K_RX_RATE)) {
		c->rx_rate = p->rx_rate;
		c->rx_burst = 0;
	}
	if (GIVEN(FN_K_RX_PPS)) {
		c->rx_pps = p->rx_pps;
		c->rx_pps_burst = 0;
	}
	if (GIVEN(FN_K_TX_RATE)) {
		c->tx_rate = p->tx_rate;
		c->tx_burst = 0;
	}
	if (GIVEN(FN_K_TX_PPS)) {
		c->tx_pps = p->tx_pps;
		c->tx_pps_burst = 0;
	}
	if (GIVEN(FN_K_RX_BURST))
		c->rx_burst = p->rx_burst;
	if (GIVEN(FN_K_RX_PPS_BURST))
		c->rx_pps_burst = p->rx_pps_burst;
	if (GIVEN(FN_K_TX_BURST))
		c->tx_burst = p->tx_burst;
	if (GIVEN(FN_K_TX_PPS_BURST))
		c->tx_pps_burst = p->tx_pps_burst;
#undef GIVEN
	return NULL;
}

/* Check a configuration and the table before touching anything. */
static json_t *
conf_validate(const char *cmd, const char *name, int32_t self,
	      struct fn_vnic_conf *c)
{
	char mac[18];
	uint32_t min = fnd.sw->max_frame + FN_VLAN_HLEN;

	if (c->rx_rate && c->rx_burst && c->rx_burst < min)
		return reply_error("vnic %s %s: rx-burst must be at least %ub (one maximum frame)",
				   cmd, name, min);
	if (c->tx_rate && c->tx_burst && c->tx_burst < min)
		return reply_error("vnic %s %s: tx-burst must be at least %ub (one maximum frame)",
				   cmd, name, min);
	int rc = fn_switch_conf_check(fnd.sw, c);
	if (rc == -ERANGE)
		return reply_error("vnic %s %s: a burst is too large for exact accounting (limit: 2^62 / TSC Hz)",
				   cmd, name);
	if (rc)
		return reply_error("vnic %s %s: invalid configuration", cmd, name);
	if (c->vlan != FN_VLAN_NONE && c->uplink != FN_UPLINK_NONE &&
	    fnd.uplinks[c->uplink].strips_vlan) {
		const struct fnd_uplink *up = &fnd.uplinks[c->uplink];
		return reply_error("vnic %s %s: uplink %s cannot carry VLANs: %s strips "
				   "the tags and fairnic could not turn that off (run "
				   "`ethtool -K %s rxvlan off`, then restart fairnicd)",
				   cmd, name, up->name, up->ifname, up->ifname);
	}
	uint32_t other = fn_fib_lookup(fnd.sw->fib, c->uplink, c->vlan, c->mac);
	if (other != FN_FIB_MISS && (int32_t)other != self) {
		char vlan[8] = "none";
		if (c->vlan != FN_VLAN_NONE)
			snprintf(vlan, sizeof(vlan), "%u", c->vlan);
		return reply_error("vnic %s %s: mac %s is already used by vnic %s on uplink %s vlan %s",
				   cmd, name, fn_mac_format(c->mac, mac),
				   fnd.vports[other].name, uplink_name(c->uplink), vlan);
	}
	return NULL;
}

static json_t *
vnic_add(const struct fn_cmd *cmd)
{
	const struct fn_vnic_params *p = &cmd->p;
	struct fn_vnic_conf c = { .uplink = fnd.n_uplinks ? 0 : FN_UPLINK_NONE,
				  .vlan = FN_VLAN_NONE, .local = true };
	char err[256];
	json_t *bad;
	uint32_t id;

	char path[FN_PATH_MAX];
	uint32_t mode = fnd.vhost_mode;
	gid_t gid = (gid_t)-1;
	const char *group = fnd.vhost_group;

	if (vnic_by_name(cmd->name) >= 0)
		return reply_error("vnic add: a vnic named \"%s\" already exists", cmd->name);
	if (p->backend == FN_BACKEND_TAP) {
		if (p->set & ((1u << FN_K_MODE) | (1u << FN_K_GROUP)))
			return reply_error("vnic add %s: mode and group apply to vhost-user sockets, not to tap",
					   cmd->name);
		snprintf(path, sizeof(path), "%s", p->path);
	} else {
		/* One canonical name per socket, so that "./a.sock" and
		 * "/run/x/a.sock" are seen to be the same path. */
		if (fnd_sock_canon(p->path, path, sizeof(path), err, sizeof(err)) != 0)
			return reply_error("vnic add %s: %s", cmd->name, err);
		if (strcmp(path, fnd.ctl_path) == 0)
			return reply_error("vnic add %s: %s is fairnicd's control socket",
					   cmd->name, path);
		if (p->set & (1u << FN_K_MODE))
			mode = p->mode;
		if (p->set & (1u << FN_K_GROUP))
			group = p->group;
		if (group[0] && fnd_group_lookup(group, &gid, err, sizeof(err)) != 0)
			return reply_error("vnic add %s: %s", cmd->name, err);
	}
	int32_t user = fnd_vport_find(p->backend, path);
	if (user >= 0)
		return reply_error("vnic add: %s is already used by vnic %s",
				   path, fnd.vports[user].name);
	if (fnd.sw->n_vnics >= fnd.sw->max_vnics)
		return reply_error("vnic add: the vnic table is full (%u vnics; see --max-vnics)",
				   fnd.sw->max_vnics);
	if ((bad = conf_merge("add", p, &c)) || (bad = conf_validate("add", cmd->name, -1, &c)))
		return bad;

	rte_ticketlock_lock(&fnd.round);
	int rc = fn_switch_vnic_add(fnd.sw, &c, rte_rdtsc(), &id);
	if (rc == 0) {
		struct fnd_vport *vp = &fnd.vports[id];
		*vp = (struct fnd_vport){ .in_use = true, .type = p->backend, .vid = -1 };
		snprintf(vp->name, sizeof(vp->name), "%s", cmd->name);
		snprintf(vp->path, sizeof(vp->path), "%s", path);
		vp->mode = mode;
		snprintf(vp->group, sizeof(vp->group), "%s", group);
		fnd_active_rebuild();
	}
	rte_ticketlock_unlock(&fnd.round);
	if (rc)
		return reply_error("vnic add %s: cannot add (%s)", cmd->name, strerror(-rc));

	rc = p->backend == FN_BACKEND_VHOST_USER
	     ? fnd_vhost_add(path, mode, gid, err, sizeof(err))
	     : fnd_tap_add(id, path, err, sizeof(err));
	rte_ticketlock_lock(&fnd.round);
	if (rc) {
		fn_switch_vnic_del(fnd.sw, id);
		fnd.vports[id].in_use = false;
		fnd_active_rebuild();
	} else if (p->backend == FN_BACKEND_TAP) {
		fnd.vports[id].ready = true;
	}
	rte_ticketlock_unlock(&fnd.round);
	if (rc)
		return reply_error("vnic add %s: %s", cmd->name, err);
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
	if (vp->type != FN_BACKEND_VHOST_USER)
		return reply_error("vnic set %s: mode and group apply to vhost-user sockets, not to tap",
				   cmd->name);
	uint32_t mode = p->set & (1u << FN_K_MODE) ? p->mode : vp->mode;
	char group[FN_NAME_MAX];        /* a copy: vp->group is written below */
	snprintf(group, sizeof(group), "%s", p->set & (1u << FN_K_GROUP) ? p->group : vp->group);
	if (group[0] && fnd_group_lookup(group, &gid, err, sizeof(err)) != 0)
		return reply_error("vnic set %s: %s", cmd->name, err);
	if (fnd_sock_perm(vp->path, mode, gid, err, sizeof(err)) != 0)
		return reply_error("vnic set %s: %s", cmd->name, err);
	vp->mode = mode;
	snprintf(vp->group, sizeof(vp->group), "%s", group);
	return NULL;
}

static json_t *
vnic_set(const struct fn_cmd *cmd)
{
	int32_t id = vnic_by_name(cmd->name);
	json_t *bad;

	if (id < 0)
		return reply_error("vnic set: no vnic named \"%s\"", cmd->name);
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
		return reply_error("vnic set %s: cannot apply (%s)", cmd->name, strerror(-rc));
	/* Moved: the switches upstream must learn where it is now. */
	if (c.uplink != old.uplink || c.vlan != old.vlan || c.mac != old.mac)
		fnd_announce_start((uint32_t)id, fnd_now_ms());
	return reply_ok(NULL);
}

static json_t *
vnic_del(const struct fn_cmd *cmd)
{
	int32_t id = vnic_by_name(cmd->name);
	if (id < 0)
		return reply_error("vnic del: no vnic named \"%s\"", cmd->name);
	struct fnd_vport vp;

	rte_ticketlock_lock(&fnd.round);
	fn_switch_vnic_del(fnd.sw, (uint32_t)id);
	vp = fnd.vports[id];
	fnd.vports[id].in_use = false;
	fnd.vports[id].ready = false;
	fnd_active_rebuild();
	rte_ticketlock_unlock(&fnd.round);
	fnd_announce_forget((uint32_t)id);

	if (vp.type == FN_BACKEND_VHOST_USER)
		fnd_vhost_del(vp.path);
	else
		fnd_tap_del((uint32_t)id);
	return reply_ok(NULL);
}

static json_t *
vlan_json(uint16_t vlan)
{
	return vlan == FN_VLAN_NONE ? json_null() : json_integer(vlan);
}

static json_t *
vnic_json(uint32_t id)
{
	const struct fnd_vport *vp = &fnd.vports[id];
	const struct fn_vnic_conf *c = &fnd.sw->vnics[id].conf;
	char mac[18];

	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:b}",
		"name", vp->name, "mac", fn_mac_format(c->mac, mac),
		"backend", vp->type == FN_BACKEND_VHOST_USER ? "vhost-user" : "tap",
		"path", vp->path, "uplink", uplink_name(c->uplink),
		"vlan", vlan_json(c->vlan),
		"rx_rate", (json_int_t)c->rx_rate, "rx_burst", (json_int_t)c->rx_burst,
		"rx_pps", (json_int_t)c->rx_pps, "rx_pps_burst", (json_int_t)c->rx_pps_burst,
		"tx_rate", (json_int_t)c->tx_rate, "tx_burst", (json_int_t)c->tx_burst,
		"tx_pps", (json_int_t)c->tx_pps, "tx_pps_burst", (json_int_t)c->tx_pps_burst,
		"local", c->local, "connected", vp->ready);
	if (vp->type == FN_BACKEND_VHOST_USER) {
		char m[8];
		snprintf(m, sizeof(m), "%04o", (unsigned)vp->mode);
		json_object_set_new(o, "mode", json_string(m));
		json_object_set_new(o, "group", vp->group[0] ? json_string(vp->group) : json_null());
	}
	return o;
}

static json_t *
vnic_show(const struct fn_cmd *cmd)
{
	json_t *arr = json_array();
	int32_t only = -1;

	if (cmd->name[0] && (only = vnic_by_name(cmd->name)) < 0) {
		json_decref(arr);
		return reply_error("vnic show: no vnic named \"%s\"", cmd->name);
	}
	for (uint32_t i = 0; i < fnd.sw->max_vnics; i++)
		if (fnd.vports[i].in_use && (only < 0 || (int32_t)i == only)) {
			json_t *v = vnic_json(i);
			if (v == NULL) {        /* not representable in JSON: say so */
				json_decref(arr);
				return reply_error("vnic show: vnic %s cannot be shown", fnd.vports[i].name);
			}
			json_array_append_new(arr, v);
		}
	return reply_ok(json_pack("{s:o}", "vnics", arr));
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
		json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:s, s:b, s:I}",
			"name", fnd.uplinks[u].name, "devargs", fnd.uplinks[u].devargs,
			"port", fnd.uplinks[u].port, "mac", mac,
			"link", link.link_status == RTE_ETH_LINK_UP,
			"speed_mbps", (json_int_t)link.link_speed));
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
	if (vp->type != FN_BACKEND_TAP)
		return;
	bool ok = fnd_tap_kernel_drops(vp->path, d) == 0;
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
		if (vp->in_use && vp->type == FN_BACKEND_TAP && (only < 0 || (int32_t)i == only))
			fnd_tap_kernel_drops(vp->path, vp->tap_drops_base);
	}
	if (only < 0)
		for (uint16_t u = 0; u < fnd.n_uplinks; u++)
			fnd_uplink_port_drops(u, fnd.uplinks[u].drops_base);
}

static json_t *
stats_show(const struct fn_cmd *cmd)
{
	json_t *vn = json_array();
	int32_t only = -1;
	char mac[18];

	if (cmd->name[0] && (only = vnic_by_name(cmd->name)) < 0) {
		json_decref(vn);
		return reply_error("stats: no vnic named \"%s\"", cmd->name);
	}
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
	if (cmd->name[0] && (id = vnic_by_name(cmd->name)) < 0)
		return reply_error("stats reset: no vnic named \"%s\"", cmd->name);
	rte_ticketlock_lock(&fnd.round);
	fn_switch_counters_reset(fnd.sw, id < 0 ? FN_VNIC_NONE : (uint32_t)id);
	rte_ticketlock_unlock(&fnd.round);
	extstats_rebase(id);
	return reply_ok(NULL);
}

json_t *
fnd_ctl_exec(int argc, char *const argv[])
{
	struct fn_cmd cmd;
	char err[256];

	if (fn_cmd_parse(argc, argv, &cmd, err, sizeof(err)) != 0)
		return reply_error("%s", err);
	switch (cmd.op) {
	case FN_CMD_VNIC_ADD:    return vnic_add(&cmd);
	case FN_CMD_VNIC_SET:    return vnic_set(&cmd);
	case FN_CMD_VNIC_DEL:    return vnic_del(&cmd);
	case FN_CMD_VNIC_SHOW:   return vnic_show(&cmd);
	case FN_CMD_UPLINK_SHOW: return uplink_show();
	case FN_CMD_STATS_SHOW:  return stats_show(&cmd);
	case FN_CMD_STATS_RESET: return stats_reset(&cmd);
	case FN_CMD_HELP:        return reply_ok(json_string(fn_cmd_usage()));
	}
	return reply_error("unsupported command");
}

int
fnd_ctl_run_config(const char *file)
{
	FILE *f = fopen(file, "r");
	char line[4096];
	int lineno = 0;

	if (f == NULL) {
		fprintf(stderr, "fairnicd: cannot open config %s: %s\n", file, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *argv[64];
		lineno++;
		int argc = fn_cmd_split(line, argv, 64);
		if (argc == 0)
			continue;
		json_t *r = argc < 0 ? reply_error("too many words")
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
