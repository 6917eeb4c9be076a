/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fnd_metrics: `--metrics ADDR:PORT` serves every counter and gauge of
 * `stats`, `vnic show` and `uplink show` in the Prometheus text exposition
 * format (0.0.4) on GET /metrics. Names and labels: docs/METRICS.md.
 *
 * HTTP is libmicrohttpd's, on its own thread (never the data plane's
 * lcore): at most MAX_CONNS connections, each closed after TIMEOUT_S
 * seconds without progress. A scrape takes its numbers from fnd_ctl_read():
 * the replies of those three commands at one instant, made by the same
 * functions, so it reads the data plane exactly as `stats` does and a
 * scrape and a `stats` with no traffic in flight agree to the frame. The
 * text is written from those replies after the lock is released.
 *
 * Families come from the X-macros the docs come from (FN_VNIC_COUNTERS,
 * FN_UPLINK_COUNTERS, FN_VNIC_GAUGES, FN_VNIC_KEYS, FN_UPLINK_KEYS), HELP
 * included: a counter added there is exported without a change here.
 * Counters named rx_drop_R / tx_drop_R become one family per direction,
 * ..._rx_drops_total / ..._tx_drops_total, with reason="R".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <jansson.h>
#include <microhttpd.h>
#include "fnd.h"

#define MAX_CONNS   16
#define TIMEOUT_S   10
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static struct MHD_Daemon *httpd;

/* ---- the address: IPV4:PORT or [IPV6]:PORT, numeric only -------------- */

/* Split `val` into host and port and resolve them (no name lookups).
 * @return 0, or -1 with the reason in err. */
static int
addr_parse(const char *val, struct addrinfo **ai, char *err, size_t len)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	const char *port;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	size_t n;

	if (val[0] == '[') {            /* [IPv6]:PORT */
		const char *end = strstr(val, "]:");
		hints.ai_family = AF_INET6;
		n = end ? (size_t)(end - val - 1) : 0;
		port = end ? end + 2 : "";
		val++;
	} else {                        /* IPv4:PORT */
		const char *colon = strrchr(val, ':');
		hints.ai_family = AF_INET;
		n = colon ? (size_t)(colon - val) : 0;
		port = colon ? colon + 1 : "";
	}
	char *endp;
	unsigned long p = strtoul(port, &endp, 10);
	if (n == 0 || n >= sizeof(host) || port[0] < '0' || port[0] > '9' ||
	    *endp != '\0' || p < 1 || p > 65535) {
		snprintf(err, len, "want IPV4:PORT or [IPV6]:PORT, port 1..65535 "
			 "(e.g. 127.0.0.1:9469 or [::1]:9469)");
		return -1;
	}
	memcpy(host, val, n);
	host[n] = '\0';
	int rc = getaddrinfo(host, port, &hints, ai);
	if (rc != 0) {
		snprintf(err, len, "\"%s\" is not an %s address", host,
			 hints.ai_family == AF_INET ? "IPv4" : "IPv6");
		return -1;
	}
	return 0;
}

int
fnd_metrics_check(const char *addr)
{
	struct addrinfo *ai;
	char err[160];

	if (addr_parse(addr, &ai, err, sizeof(err)) != 0) {
		fprintf(stderr, "fairnicd: --metrics: bad value \"%s\": %s\n", addr, err);
		return -1;
	}
	freeaddrinfo(ai);
	return 0;
}

/* Bound and listening here, so that a taken port is a start-up error
 * that says so, not libmicrohttpd's. */
static int
listen_on(const char *addr)
{
	struct addrinfo *ai;
	char err[160];
	int one = 1;

	if (addr_parse(addr, &ai, err, sizeof(err)) != 0) {
		fprintf(stderr, "fairnicd: --metrics: bad value \"%s\": %s\n", addr, err);
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0) {
		fprintf(stderr, "fairnicd: --metrics %s: cannot listen: %s\n", addr,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* ---- the exposition format -------------------------------------------- */

/* A label value: \ " and newline escaped. */
static void
put_label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* HELP text: \ and newline escaped. */
static void
put_help(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void
put_header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s ", name);
	put_help(f, help);
	fprintf(f, "\n# TYPE %s %s\n", name, type);
}

/* A string member, "" when absent. */
static const char *
jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL ? s : "";
}

/* One sample: `name{labels[,reason="r"]} value`, value / div (div 1:
 * as is); nothing for a JSON null (not known now, e.g. a tap moved to
 * another namespace) or a value that is not a number. */
static void
put_sample_div(FILE *f, const char *name, const char *labels, const char *reason,
	       const json_t *v, double div)
{
	char num[40];

	if (json_is_integer(v) && div != 1)
		snprintf(num, sizeof(num), "%.17g", (double)json_integer_value(v) / div);
	else if (json_is_integer(v))
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(num, sizeof(num), "%d", json_is_true(v));
	else
		return;
	if (labels[0] == '\0') {       /* no labels at all */
		fprintf(f, "%s %s\n", name, num);
		return;
	}
	fprintf(f, "%s{%s", name, labels);
	if (reason != NULL) {
		fputs(",reason=\"", f);
		put_label(f, reason);
		fputc('"', f);
	}
	fprintf(f, "} %s\n", num);
}

static void
put_sample(FILE *f, const char *name, const char *labels, const char *reason,
	   const json_t *v)
{
	put_sample_div(f, name, labels, reason, v, 1);
}

/* ---- counters: a family per counter, one per direction for drops ------ */

struct ctr_set {
	const char *obj;                /* "vnic" or "uplink" */
	const char *const *names;
	const char *const *help;
	int n;
	const char *rx_is, *tx_is;      /* what the directions mean */
};

static const char *const vnic_ctr_help[FN_VC_MAX] = {
#define FN_X(n, h) h,
	FN_VNIC_COUNTERS(FN_X)
#undef FN_X
};
static const char *const uplink_ctr_help[FN_UC_MAX] = {
#define FN_X(n, h) h,
	FN_UPLINK_COUNTERS(FN_X)
#undef FN_X
};

static const struct ctr_set vnic_ctrs = { "vnic", fn_vnic_counter_names,
	vnic_ctr_help, FN_VC_MAX, "towards the guest", "from the guest" };
static const struct ctr_set uplink_ctrs = { "uplink", fn_uplink_counter_names,
	uplink_ctr_help, FN_UC_MAX, "from the wire", "to the wire" };

/* Counter `name`'s family within its object ("rx_drops" or the name
 * itself) and its reason (NULL when not a drop). */
static const char *
family_of(const char *name, char *fam, size_t len)
{
	if (strncmp(name, "rx_drop_", 8) == 0 || strncmp(name, "tx_drop_", 8) == 0) {
		snprintf(fam, len, "%.2s_drops", name);
		return name + 8;
	}
	snprintf(fam, len, "%s", name);
	return NULL;
}

/* The HELP of a drop family: each reason with its counter's text. */
static void
drops_help(const struct ctr_set *cs, const char *fam, char *buf, size_t len)
{
	char other[64];
	const char *sep = " ";
	size_t at = (size_t)snprintf(buf, len, "frames %s dropped, by reason.",
				     fam[0] == 'r' ? cs->rx_is : cs->tx_is);
	for (int k = 0; k < cs->n && at < len; k++) {
		const char *reason = family_of(cs->names[k], other, sizeof(other));
		if (reason != NULL && strcmp(other, fam) == 0) {
			at += (size_t)snprintf(buf + at, len - at, "%s%s: %s", sep, reason,
					       cs->help[k]);
			sep = "; ";
		}
	}
}

/* Every counter of every object in `objs` (a `stats` array), a family at
 * a time; labels[i] are the labels of objs[i]. */
static void
put_counters(FILE *f, const struct ctr_set *cs, json_t *objs, char **labels)
{
	char help[8192], fam[64], other[64], name[96];

	for (int k = 0; k < cs->n; k++) {
		const char *reason = family_of(cs->names[k], fam, sizeof(fam));
		bool seen = false;
		for (int j = 0; j < k && !seen; j++) {
			family_of(cs->names[j], other, sizeof(other));
			seen = strcmp(other, fam) == 0;
		}
		if (seen)
			continue;               /* its family is out already */
		snprintf(name, sizeof(name), "fairnic_%s_%s_total", cs->obj, fam);
		if (reason != NULL)
			drops_help(cs, fam, help, sizeof(help));
		put_header(f, name, "counter", reason != NULL ? help : cs->help[k]);
		size_t i;
		json_t *o;
		json_array_foreach(objs, i, o) {
			for (int j = k; j < cs->n; j++) {
				const char *r = family_of(cs->names[j], other, sizeof(other));
				if (strcmp(other, fam) == 0)
					put_sample(f, name, labels[i], r,
						   json_object_get(o, cs->names[j]));
			}
		}
	}
}

/* One gauge family: member `member` of every object in `objs`, / div. */
static void
put_gauge_div(FILE *f, const char *name, const char *help, json_t *objs,
	      char **labels, const char *member, double div)
{
	size_t i;
	json_t *o;

	put_header(f, name, "gauge", help);
	json_array_foreach(objs, i, o)
		put_sample_div(f, name, labels[i], NULL, json_object_get(o, member), div);
}

static void
put_gauge(FILE *f, const char *name, const char *help, json_t *objs,
	  char **labels, const char *member)
{
	put_gauge_div(f, name, help, objs, labels, member, 1);
}

/* ---- vNICs --------------------------------------------------------------- */

static const char *const vnic_gauge_help[FN_VG_MAX] = {
#define FN_X(n, h) h,
	FN_VNIC_GAUGES(FN_X)
#undef FN_X
};

/* A gauge of `stats` (FN_VNIC_GAUGES): microseconds (NAME_us) in seconds
 * (NAME_seconds), Prometheus' base unit; the rest as they are. */
static void
put_vnic_gauge(FILE *f, int k, json_t *stats, char **labels)
{
	const char *member = fn_vnic_gauge_names[k];
	size_t n = strlen(member);
	char name[96], help[512];

	if (n > 3 && strcmp(member + n - 3, "_us") == 0) {
		snprintf(name, sizeof(name), "fairnic_vnic_%.*s_seconds", (int)n - 3, member);
		snprintf(help, sizeof(help), "%s (here in seconds)", vnic_gauge_help[k]);
		put_gauge_div(f, name, help, stats, labels, member, 1e6);
		return;
	}
	snprintf(name, sizeof(name), "fairnic_vnic_%s", member);
	put_gauge(f, name, vnic_gauge_help[k], stats, labels, member);
}

/* The keys of `vnic show` exported as gauges: numbers, and on/off as 1/0. */
#define GAUGE_MAC       0
#define GAUGE_RATE      1
#define GAUGE_RATE_AUTO 1
#define GAUGE_SIZE      1
#define GAUGE_COUNT     1
#define GAUGE_WEIGHT    1
#define GAUGE_VLAN      0               /* in fairnic_vnic_info */
#define GAUGE_ONOFF     1
#define GAUGE_AQM       0
#define GAUGE_NAME      0
#define GAUGE_PATH      0
#define GAUGE_IFNAME    0
#define GAUGE_MODE      0
#define GAUGE_GROUP     0
#define GAUGE_IPSET     0
#define GAUGE_ALLOW     0

static const struct key_gauge {
	const char *kw, *help;
	bool on;
} vnic_keys[] = {
#define FN_X(kw, KEY, VAL, f, META, HOME, RESETS, ZERO, HELP) { kw, HELP, GAUGE_##VAL },
	FN_VNIC_KEYS(FN_X)
#undef FN_X
};
static const struct key_gauge uplink_keys[] = {
#define FN_X(kw, KEY, VAL, f, META, HELP) { kw, HELP, GAUGE_##VAL },
	FN_UPLINK_KEYS(FN_X)
#undef FN_X
};

/* fairnic_OBJ_config_KEY from `vnic show` / `uplink show` member KEY. */
static void
put_config(FILE *f, const char *obj, const struct key_gauge *k, json_t *objs,
	   char **labels)
{
	char member[32], name[96], help[512];
	size_t i;

	for (i = 0; k->kw[i] != '\0' && i < sizeof(member) - 1; i++)
		member[i] = k->kw[i] == '-' ? '_' : k->kw[i];
	member[i] = '\0';
	snprintf(name, sizeof(name), "fairnic_%s_config_%s", obj, member);
	snprintf(help, sizeof(help), "%s as `%s show` gives it: %s", k->kw, obj, k->help);
	put_gauge(f, name, help, objs, labels, member);
}

/* fairnic_vnic_info: what identifies a vNIC, as labels. */
static void
put_vnic_info(FILE *f, json_t *shown, char **labels)
{
	size_t i;
	json_t *o;
	char vlan[16];

	put_header(f, "fairnic_vnic_info", "gauge",
		   "always 1: the vNIC's mac, backend and vlan (none: untagged)");
	json_array_foreach(shown, i, o) {
		json_t *v = json_object_get(o, "vlan");
		snprintf(vlan, sizeof(vlan), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		fprintf(f, "fairnic_vnic_info{%s,mac=\"", labels[i]);
		put_label(f, jstr(o, "mac"));
		fputs("\",backend=\"", f);
		put_label(f, jstr(o, "backend"));
		fprintf(f, "\",vlan=\"%s\"} 1\n", json_is_integer(v) ? vlan : "none");
	}
}

/* labels[i] = `vnic="NAME",uplink="UPLINK"` of stats[i], the uplink from
 * `vnic show` (same order: both list the table in id order). */
static char **
vnic_labels(json_t *stats, json_t *shown)
{
	size_t n = json_array_size(stats), i;
	char **labels = calloc(n + 1, sizeof(*labels));
	json_t *o;

	json_array_foreach(stats, i, o) {
		if (labels == NULL)
			break;
		json_t *s = json_array_get(shown, i);
		size_t len;
		FILE *f = open_memstream(&labels[i], &len);
		if (f == NULL)
			break;
		fputs("vnic=\"", f);
		put_label(f, jstr(o, "name"));
		fputs("\",uplink=\"", f);
		put_label(f, jstr(s, "uplink"));
		fputc('"', f);
		fclose(f);
	}
	return labels;
}

static void
labels_free(char **labels)
{
	for (size_t i = 0; labels != NULL && labels[i] != NULL; i++)
		free(labels[i]);
	free(labels);
}

static int
put_vnics(FILE *f, json_t *stats, json_t *shown)
{
	char **labels = vnic_labels(stats, shown);

	if (labels == NULL || json_array_size(stats) != json_array_size(shown))
		goto fail;
	for (size_t i = 0; i < json_array_size(stats); i++)
		if (labels[i] == NULL || !json_equal(
			json_object_get(json_array_get(stats, i), "name"),
			json_object_get(json_array_get(shown, i), "name")))
			goto fail;      /* cannot happen: one instant, one order */
	put_counters(f, &vnic_ctrs, stats, labels);
	for (int k = 0; k < FN_VG_MAX; k++)
		put_vnic_gauge(f, k, stats, labels);
	put_gauge(f, "fairnic_vnic_connected", "1 while a guest is connected to the vNIC "
		  "(a tap vNIC: always)", shown, labels, "connected");
	for (size_t k = 0; k < sizeof(vnic_keys) / sizeof(vnic_keys[0]); k++)
		if (vnic_keys[k].on)
			put_config(f, "vnic", &vnic_keys[k], shown, labels);
	put_vnic_info(f, shown, labels);
	labels_free(labels);
	return 0;
fail:
	labels_free(labels);
	return -1;
}

/* ---- uplinks and the pool ---------------------------------------------- */

static char **
uplink_labels(json_t *objs)
{
	size_t n = json_array_size(objs), i, len;
	char **labels = calloc(n + 1, sizeof(*labels));
	json_t *o;

	json_array_foreach(objs, i, o) {
		FILE *f = labels ? open_memstream(&labels[i], &len) : NULL;
		if (f == NULL)
			break;
		fputs("uplink=\"", f);
		put_label(f, jstr(o, "name"));
		fputc('"', f);
		fclose(f);
	}
	return labels;
}

static int
put_uplinks(FILE *f, json_t *stats, json_t *shown)
{
	char **labels = uplink_labels(stats);
	size_t n = json_array_size(stats);

	if (labels == NULL || n != json_array_size(shown) || (n && labels[n - 1] == NULL)) {
		labels_free(labels);
		return -1;
	}
	put_counters(f, &uplink_ctrs, stats, labels);
	put_gauge(f, "fairnic_uplink_link_up", "1 while the port reports its link up",
		  shown, labels, "link");
	put_gauge(f, "fairnic_uplink_link_speed_mbps", "the link speed the port reports, "
		  "Mbit/s (0: unknown)", shown, labels, "speed_mbps");
	for (size_t k = 0; k < sizeof(uplink_keys) / sizeof(uplink_keys[0]); k++)
		put_config(f, "uplink", &uplink_keys[k], shown, labels);
	put_gauge(f, "fairnic_uplink_config_tx_rate_auto", "1 while tx-rate follows the "
		  "link speed (tx-rate auto)", shown, labels, "tx_rate_auto");
	labels_free(labels);
	return 0;
}

static void
put_pool(FILE *f, json_t *pool)
{
	put_header(f, "fairnic_pool_buffers", "gauge",
		   "packet buffers in the shared pool (--mbufs)");
	put_sample(f, "fairnic_pool_buffers", "", NULL, json_object_get(pool, "size"));
	put_header(f, "fairnic_pool_buffers_in_use", "gauge",
		   "packet buffers in use now (receive queues, rings, frames in flight)");
	put_sample(f, "fairnic_pool_buffers_in_use", "", NULL, json_object_get(pool, "in_use"));
}

/* The whole page into *body (malloc'd). @return 0, or -1. */
static int
render(char **body, size_t *len)
{
	json_t *r = fnd_ctl_read(FND_READ_STATS | FND_READ_VNICS | FND_READ_UPLINKS, NULL);
	json_t *d = json_object_get(r, "data");
	json_t *stats = json_object_get(d, "stats");
	FILE *f = json_is_true(json_object_get(r, "ok")) ? open_memstream(body, len) : NULL;
	int rc = -1;

	if (f != NULL) {
		rc = put_vnics(f, json_object_get(stats, "vnics"),
			       json_object_get(json_object_get(d, "vnics"), "vnics"));
		if (rc == 0)
			rc = put_uplinks(f, json_object_get(stats, "uplinks"),
					 json_object_get(json_object_get(d, "uplinks"), "uplinks"));
		if (rc == 0)
			put_pool(f, json_object_get(stats, "pool"));
		if (fclose(f) != 0)
			rc = -1;
		if (rc != 0)
			free(*body);
	}
	json_decref(r);
	return rc;
}

/* ---- HTTP ----------------------------------------------------------------- */

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned int status, char *body, size_t len,
      enum MHD_ResponseMemoryMode mode, const char *allow)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, mode);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				status == MHD_HTTP_OK ? CONTENT_TYPE : "text/plain; charset=utf-8");
	if (allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	enum MHD_Result rc = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result
reply_text(struct MHD_Connection *c, unsigned int status, const char *text,
	   const char *allow)
{
	return reply(c, status, (char *)text, strlen(text), MHD_RESPMEM_PERSISTENT, allow);
}

/* GET /metrics; 404 for any other path, 405 for another method. */
static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
       const char *version, const char *upload, size_t *upload_len, void **req)
{
	char *body;
	size_t len;

	if (strcmp(url, "/metrics") != 0)
		return reply_text(c, MHD_HTTP_NOT_FOUND, "not found: fairnicd serves /metrics\n",
				  NULL);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n", "GET");
	if (render(&body, &len) != 0)
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "fairnicd is stopping\n",
				  NULL);
	return reply(c, MHD_HTTP_OK, body, len, MHD_RESPMEM_MUST_FREE, NULL);
}

int
fnd_metrics_start(const char *addr)
{
	if (addr == NULL)
		return 0;
	int fd = listen_on(addr);
	if (fd < 0)
		return -1;
	httpd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
				 MHD_USE_ERROR_LOG, 0, NULL, NULL, answer, NULL,
				 MHD_OPTION_LISTEN_SOCKET, fd,
				 MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNS,
				 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)TIMEOUT_S,
				 MHD_OPTION_END);
	if (httpd == NULL) {
		fprintf(stderr, "fairnicd: --metrics %s: cannot start the HTTP server\n", addr);
		close(fd);
		return -1;
	}
	fprintf(stderr, "fairnicd: metrics on http://%s/metrics\n", addr);
	return 0;
}

void
fnd_metrics_stop(void)
{
	if (httpd != NULL)
		MHD_stop_daemon(httpd);     /* joins its thread, closes the socket */
	httpd = NULL;
}
