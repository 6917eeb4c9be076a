/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fnd_telemetry: fairnic's stats as commands of DPDK's telemetry socket
 * (EAL runtime dir/dpdk_telemetry.v2, e.g. /var/run/dpdk/PREFIX/; there
 * unless the EAL is given --no-telemetry), for dpdk-telemetry.py or any
 * client (docs/METRICS.md):
 *
 *   /fairnic/vnics[,FIRST]       vNIC names, from the FIRST-th (default 0)
 *   /fairnic/stats,VNIC          `stats VNIC`'s entry, with its uplink and
 *                                whether a guest is connected
 *   /fairnic/stats               the pool, the number of vNICs, the uplinks
 *   /fairnic/uplink_stats,NAME   an uplink's counters (`stats`) with its
 *                                link and capacities (`uplink show`)
 *
 * A telemetry reply holds at most 256 keys or 512 list entries in 16 KiB,
 * so vNICs come one per call and their list in pages. Values: numbers as
 * numbers, true/false as 1/0, fractions (rx_share, ...) as strings in
 * exact decimal, null (not known now) left out.
 *
 * The callbacks run on telemetry's threads and read through
 * fnd_ctl_read(), as --metrics does: the data plane is read as `stats`
 * reads it, never stopped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <rte_telemetry.h>
#include "fnd.h"

#define LIST_BYTES (15 * 1024)  /* of a name list, below the 16 KiB reply */

/* Member `key` = `v` in dict `d`; JSON null and containers are left out. */
static void
put_value(struct rte_tel_data *d, const char *key, const json_t *v)
{
	char num[40];

	switch (json_typeof(v)) {
	case JSON_INTEGER:
		rte_tel_data_add_dict_u64(d, key, (uint64_t)json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		rte_tel_data_add_dict_string(d, key, num);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		rte_tel_data_add_dict_int(d, key, json_is_true(v));
		break;
	case JSON_STRING:
		rte_tel_data_add_dict_string(d, key, json_string_value(v));
		break;
	default:
		break;
	}
}

/* Every member of object `o` into dict `d`. */
static void
put_object(struct rte_tel_data *d, json_t *o)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v)
		put_value(d, key, v);
}

/* fnd_ctl_read()'s data, or NULL (the reply is freed then). */
static json_t *
read_data(unsigned int what, const char *vnic, json_t **reply)
{
	*reply = fnd_ctl_read(what, vnic);
	if (json_is_true(json_object_get(*reply, "ok")))
		return json_object_get(*reply, "data");
	json_decref(*reply);
	*reply = NULL;
	return NULL;
}

/* The entry of `arr` whose "name" is `name`, or NULL. */
static json_t *
by_name(json_t *arr, const char *name)
{
	size_t i;
	json_t *o;

	json_array_foreach(arr, i, o)
		if (strcmp(json_string_value(json_object_get(o, "name")), name) == 0)
			return o;
	return NULL;
}

static int
tel_vnics(const char *cmd, const char *params, struct rte_tel_data *d)
{
	unsigned long first = 0;
	size_t i, bytes = 0, n = 0;
	json_t *r, *o;
	char *end;

	if (params != NULL && params[0] != '\0') {
		first = strtoul(params, &end, 10);
		if (params[0] < '0' || params[0] > '9' || *end != '\0')
			return -EINVAL;
	}
	json_t *data = read_data(FND_READ_VNICS, NULL, &r);
	if (data == NULL)
		return -EAGAIN;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	json_array_foreach(json_object_get(json_object_get(data, "vnics"), "vnics"), i, o) {
		const char *name = json_string_value(json_object_get(o, "name"));
		if (i < first)
			continue;
		bytes += strlen(name) + 3;      /* quotes and comma */
		if (n == RTE_TEL_MAX_ARRAY_ENTRIES || bytes > LIST_BYTES)
			break;                  /* the rest: ask again from FIRST + n */
		rte_tel_data_add_array_string(d, name);
		n++;
	}
	json_decref(r);
	return 0;
}

/* /fairnic/stats,VNIC */
static int
vnic_stats(const char *vnic, struct rte_tel_data *d)
{
	json_t *r;
	json_t *data = read_data(FND_READ_STATS | FND_READ_VNICS, vnic, &r);
	if (data == NULL)
		return -ENOENT;
	json_t *st = json_array_get(json_object_get(json_object_get(data, "stats"), "vnics"), 0);
	json_t *sh = json_array_get(json_object_get(json_object_get(data, "vnics"), "vnics"), 0);
	rte_tel_data_start_dict(d);
	put_object(d, st);
	put_value(d, "uplink", json_object_get(sh, "uplink"));
	put_value(d, "connected", json_object_get(sh, "connected"));
	json_decref(r);
	return 0;
}

/* /fairnic/stats: what is not per vNIC. */
static int
summary(struct rte_tel_data *d)
{
	json_t *r, *o;
	size_t i;
	json_t *data = read_data(FND_READ_STATS, NULL, &r);
	if (data == NULL)
		return -EAGAIN;
	json_t *st = json_object_get(data, "stats");
	json_t *pool = json_object_get(st, "pool");
	struct rte_tel_data *ups = rte_tel_data_alloc();
	rte_tel_data_start_dict(d);
	put_value(d, "pool_size", json_object_get(pool, "size"));
	put_value(d, "pool_in_use", json_object_get(pool, "in_use"));
	rte_tel_data_add_dict_u64(d, "vnics", json_array_size(json_object_get(st, "vnics")));
	if (ups != NULL) {
		rte_tel_data_start_array(ups, RTE_TEL_STRING_VAL);
		json_array_foreach(json_object_get(st, "uplinks"), i, o)
			rte_tel_data_add_array_string(ups,
				json_string_value(json_object_get(o, "name")));
		if (rte_tel_data_add_dict_container(d, "uplinks", ups, 0) != 0)
			rte_tel_data_free(ups);
	}
	json_decref(r);
	return 0;
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	if (params != NULL && params[0] != '\0')
		return vnic_stats(params, d);
	return summary(d);
}

static int
tel_uplink_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	json_t *r;

	if (params == NULL || params[0] == '\0')
		return -EINVAL;
	json_t *data = read_data(FND_READ_STATS | FND_READ_UPLINKS, NULL, &r);
	if (data == NULL)
		return -EAGAIN;
	json_t *st = by_name(json_object_get(json_object_get(data, "stats"), "uplinks"), params);
	json_t *sh = by_name(json_object_get(json_object_get(data, "uplinks"), "uplinks"), params);
	if (st == NULL || sh == NULL) {
		json_decref(r);
		return -ENOENT;
	}
	rte_tel_data_start_dict(d);
	put_object(d, st);
	const char *const keys[] = { "link", "speed_mbps", "rx_rate", "tx_rate", "tx_rate_auto" };
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		put_value(d, keys[k], json_object_get(sh, keys[k]));
	json_decref(r);
	return 0;
}

void
fnd_telemetry_init(void)
{
	static const struct {
		const char *cmd;
		telemetry_cb fn;
		const char *help;
	} cmds[] = {
		{ "/fairnic/vnics", tel_vnics,
		  "fairnic vNIC names. Parameters: int FIRST (default 0), for the next page" },
		{ "/fairnic/stats", tel_stats,
		  "fairnic stats: of one vNIC (parameter: its name); without one, the pool and uplinks" },
		{ "/fairnic/uplink_stats", tel_uplink_stats,
		  "fairnic uplink counters, link and capacities. Parameters: string uplink name" },
	};

	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
		if (rte_telemetry_register_cmd(cmds[k].cmd, cmds[k].fn, cmds[k].help) != 0)
			fprintf(stderr, "fairnicd: telemetry: cannot register %s\n", cmds[k].cmd);
}
