/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fairnicctl top: a live view of every vNIC and uplink.
 *
 * Every interval it sends `stats` (one request per connection, like every
 * fairnicctl command) and shows, per vNIC and per uplink, the counters'
 * deltas over the time between the two samples on the monotonic clock:
 * packets/s and Mbit/s each way, drops/s (all reasons, and the top ones by
 * name), notifications/s; beside them what fairnicd measures itself (the
 * receive queue, the shares). Rates, sort and rendering are pure
 * functions (tests/unit/test_top.c); the rest drives the terminal with
 * plain ANSI sequences and termios.
 *
 * Two modes. Full screen when stdout is a terminal and no -n was given:
 * the alternate screen, redrawn in place; keys change the sort; the
 * terminal is restored on exit, on SIGINT, SIGTERM, SIGHUP, SIGQUIT, and
 * around a suspend (Ctrl-Z); what is written to stderr meanwhile is held
 * and printed once the screen is gone. Otherwise (-n N, --once, or not a
 * terminal) frames are printed one after another, and carry escape
 * sequences only when stdout is a terminal.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#include "fnc.h"
#include "fnc_top.h"

#define FNC_TOP_DELAY_MIN  0.1
#define FNC_TOP_DELAY_MAX  3600.0
#define FNC_TOP_COLW       7           /* least width of a number column */

/* SGR attributes. */
#define FNC_SGR_OFF        "\033[0m"
#define FNC_SGR_HEADER     "\033[7m"   /* reverse video */
#define FNC_SGR_SORTED     "\033[4m"   /* underline: the sort column */
#define FNC_SGR_UNSORTED   "\033[24m"
#define FNC_SGR_DROPPING   "\033[1;31m"        /* bold red */

const struct fnc_top_col_info fnc_top_cols[FNC_TOP_NCOL] = {
	[FNC_TOP_NAME]     = { "name",     'n', false },
	[FNC_TOP_RX_PPS]   = { "rx_pps",   'p', true },
	[FNC_TOP_RX_MBIT]  = { "rx_mbit",  'm', true },
	[FNC_TOP_TX_PPS]   = { "tx_pps",   'P', true },
	[FNC_TOP_TX_MBIT]  = { "tx_mbit",  'M', true },
	[FNC_TOP_DROPS]    = { "drops",    'd', true },
	[FNC_TOP_NOTIF]    = { "notif",    'i', true },
	[FNC_TOP_QUEUE]    = { "queue",    'l', true },
	[FNC_TOP_RX_SHARE] = { "rx_share", 's', true },
	[FNC_TOP_TX_SHARE] = { "tx_share", 'S', true },
};

static const char fnc_top_keys[] =
	"keys: < > sort column, n p m P M d i l s S sort by it, r reverse, "
	"q quit";

/* ------------------------------------------------------- pure: values */

int
fnc_top_col_parse(const char *name)
{
	for (int i = 0; i < FNC_TOP_NCOL; i++)
		if (strcasecmp(name, fnc_top_cols[i].name) == 0)
			return i;
	return -1;
}

int
fnc_top_col_key(int ch)
{
	for (int i = 0; i < FNC_TOP_NCOL; i++)
		if (ch == fnc_top_cols[i].key)
			return i;
	return -1;
}

double
fnc_top_mid(const struct timespec *before, const struct timespec *after)
{
	double a = (double)before->tv_sec + before->tv_nsec / 1e9;
	double b = (double)after->tv_sec + after->tv_nsec / 1e9;

	return a + (b - a) / 2;
}

double
fnc_top_rate(uint64_t prev, uint64_t cur, double secs)
{
	if (!(secs > 0))
		return NAN;
	if (cur < prev)
		prev = 0;
	return (double)(cur - prev) / secs;
}

char *
fnc_top_fmt(double v, unsigned base, char *buf, size_t len)
{
	static const char *const si[] = { "", "k", "M", "G", "T", "P" };
	static const char *const bin[] = { "", "K", "M", "G", "T", "P" };
	const char *const *sfx = base == 1024 ? bin : si;
	size_t i = 0, last = sizeof(si) / sizeof(si[0]) - 1;

	if (isnan(v)) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (!(v > 0)) {
		snprintf(buf, len, "0");
		return buf;
	}
	/* Small rates are of rare events: one decimal, and "<0.1" rather than
	 * a "0.0" that reads as none. Sizes (base 1024) are whole bytes. */
	if (v < 0.05) {
		snprintf(buf, len, "<0.1");
		return buf;
	}
	if (v < 99.95 && base != 1024) {
		snprintf(buf, len, "%.1f", v);
		return buf;
	}
	/* Decimals chosen on the value as it will round, so that 999.7 is
	 * "1.00k", never "1000". */
	while (i < last && v >= 999.5) {
		v /= base;
		i++;
	}
	if (i > 0 && v < 9.995)
		snprintf(buf, len, "%.2f%s", v, sfx[i]);
	else if (i > 0 && v < 99.95)
		snprintf(buf, len, "%.1f%s", v, sfx[i]);
	else
		snprintf(buf, len, "%.0f%s", v, sfx[i]);
	return buf;
}

char *
fnc_top_fmt_mbit(double mbit, char *buf, size_t len)
{
	if (isnan(mbit))
		snprintf(buf, len, "-");
	else if (!(mbit > 0))
		snprintf(buf, len, "0");
	else if (mbit < 0.005)
		snprintf(buf, len, "<0.01");
	else if (mbit < 99.995)
		snprintf(buf, len, "%.2f", mbit);
	else if (mbit < 999.95)
		snprintf(buf, len, "%.1f", mbit);
	else
		snprintf(buf, len, "%.0f", mbit);
	return buf;
}

bool
fnc_top_drop_label(const char *counter, char *buf, size_t len)
{
	/* The counters say their direction and cause in their name; new
	 * ones are picked up without a change here. */
	if (strncmp(counter, "rx_drop_", 8) != 0 &&
	    strncmp(counter, "tx_drop_", 8) != 0)
		return false;
	snprintf(buf, len, "%.2s:%s", counter, counter + 8);
	return true;
}

char *
fnc_top_why(const struct fnc_top_drop *d, size_t n, size_t max, char *buf,
	    size_t len)
{
	bool *used = calloc(n ? n : 1, sizeof(*used));
	size_t at = 0;
	char num[16];

	buf[0] = '\0';
	if (used == NULL)
		return buf;
	for (size_t k = 0; k < max; k++) {
		size_t best = n;

		/* Selection: n is a handful of counters, max 3. */
		for (size_t i = 0; i < n; i++)
			if (!used[i] && d[i].rate > 0 &&
			    (best == n || d[i].rate > d[best].rate))
				best = i;
		if (best == n)
			break;
		used[best] = true;
		int w = snprintf(buf + at, len - at, "%s%s %s/s", k ? ", " : "",
				 d[best].label,
				 fnc_top_fmt(d[best].rate, 1000, num, sizeof(num)));
		if (w < 0 || (size_t)w >= len - at) {
			buf[at] = '\0';        /* cut: the reasons that fit */
			break;
		}
		at += (size_t)w;
	}
	free(used);
	return buf;
}

/* ------------------------------------------------- pure: rows, frames */

static const char *
fnc_top_name(json_t *o)
{
	return json_string_value(json_object_get(o, "name"));
}

/* A counter's rate between two samples of one row; NAN if either lacks
 * it (no previous sample, a tap counter that is null). */
static double
fnc_top_counter(json_t *prev, json_t *cur, const char *key, double secs)
{
	json_t *a = json_object_get(prev, key), *b = json_object_get(cur, key);

	if (!json_is_integer(a) || !json_is_integer(b) ||
	    json_integer_value(a) < 0 || json_integer_value(b) < 0)
		return NAN;
	return fnc_top_rate((uint64_t)json_integer_value(a),
			    (uint64_t)json_integer_value(b), secs);
}

static double
fnc_top_gauge(json_t *cur, const char *key, double scale)
{
	json_t *j = json_object_get(cur, key);

	return json_is_number(j) ? json_number_value(j) * scale : NAN;
}

void
fnc_top_row_make(json_t *prev, json_t *cur, double secs,
		 struct fnc_top_row *r)
{
	struct fnc_top_drop drop[64];
	const char *key, *name = fnc_top_name(cur);
	double sum = NAN;
	size_t nd = 0;
	json_t *j;

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "?");
	r->v[FNC_TOP_NAME] = NAN;
	r->v[FNC_TOP_RX_PPS] = fnc_top_counter(prev, cur, "rx_packets", secs);
	r->v[FNC_TOP_RX_MBIT] = fnc_top_counter(prev, cur, "rx_bytes", secs) *
				8 / 1e6;
	r->v[FNC_TOP_TX_PPS] = fnc_top_counter(prev, cur, "tx_packets", secs);
	r->v[FNC_TOP_TX_MBIT] = fnc_top_counter(prev, cur, "tx_bytes", secs) *
				8 / 1e6;
	r->v[FNC_TOP_NOTIF] = fnc_top_counter(prev, cur, "notifications",
					      secs);
	r->v[FNC_TOP_QUEUE] = fnc_top_gauge(cur, "rx_queue_bytes", 1);
	r->v[FNC_TOP_RX_SHARE] = fnc_top_gauge(cur, "rx_share", 100);
	r->v[FNC_TOP_TX_SHARE] = fnc_top_gauge(cur, "tx_share", 100);

	json_object_foreach(cur, key, j) {
		struct fnc_top_drop *d = &drop[nd];
		double x;

		if (!fnc_top_drop_label(key, d->label, sizeof(d->label)))
			continue;
		x = fnc_top_counter(prev, cur, key, secs);
		if (isnan(x))
			continue;
		sum = isnan(sum) ? x : sum + x;
		if (x > 0 && nd < sizeof(drop) / sizeof(drop[0]) - 1) {
			d->rate = x;
			nd++;
		}
	}
	r->v[FNC_TOP_DROPS] = sum;
	r->dropping = sum > 0;
	fnc_top_why(drop, nd, FNC_TOP_WHY_SHOWN, r->why, sizeof(r->why));
}

/* The rows of one array of a `stats` reply, matched to the previous
 * reply's by name (a jansson object as the index: thousands of vNICs). */
static int
fnc_top_table_make(json_t *prev, json_t *cur, double secs,
		   struct fnc_top_table *t)
{
	json_t *index = json_object(), *o;
	size_t i;

	if (index == NULL)
		return -1;
	json_array_foreach(prev, i, o) {
		const char *name = fnc_top_name(o);

		if (name != NULL && json_object_set(index, name, o) != 0)
			goto fail;
	}
	t->row = calloc(json_array_size(cur) + 1, sizeof(*t->row));
	if (t->row == NULL)
		goto fail;
	json_array_foreach(cur, i, o) {
		const char *name = fnc_top_name(o);
		json_t *p = name ? json_object_get(index, name) : NULL;

		if (!json_is_object(o))
			continue;
		fnc_top_row_make(p, o, secs, &t->row[t->n]);
		t->dropping += t->row[t->n].dropping;
		t->n++;
	}
	json_decref(index);
	return 0;
fail:
	json_decref(index);
	return -1;
}

static long long
fnc_top_int(json_t *o, const char *key)
{
	json_t *j = json_object_get(o, key);

	return json_is_integer(j) ? (long long)json_integer_value(j) : -1;
}

int
fnc_top_frame_make(json_t *prev, json_t *cur, double secs,
		   struct fnc_top_frame *fr)
{
	json_t *pool = json_object_get(cur, "pool");

	memset(fr, 0, sizeof(*fr));
	fr->rates = prev != NULL;
	fr->pool_in_use = fnc_top_int(pool, "in_use");
	fr->pool_size = fnc_top_int(pool, "size");
	if (fnc_top_table_make(json_object_get(prev, "vnics"),
			       json_object_get(cur, "vnics"), secs,
			       &fr->vnic) != 0 ||
	    fnc_top_table_make(json_object_get(prev, "uplinks"),
			       json_object_get(cur, "uplinks"), secs,
			       &fr->uplink) != 0) {
		fnc_top_frame_free(fr);
		return -1;
	}
	return 0;
}

void
fnc_top_frame_free(struct fnc_top_frame *fr)
{
	free(fr->vnic.row);
	free(fr->uplink.row);
	memset(fr, 0, sizeof(*fr));
}

struct fnc_top_sortkey {
	int col;
	bool reverse;
};

static int
fnc_top_cmp(const void *pa, const void *pb, void *arg)
{
	const struct fnc_top_row *a = pa, *b = pb;
	const struct fnc_top_sortkey *k = arg;
	int c = 0;

	if (k->col != FNC_TOP_NAME) {
		double x = a->v[k->col], y = b->v[k->col];

		/* Unknown values stay at the bottom in either direction. */
		if (isnan(x) || isnan(y))
			c = (isnan(x) != 0) - (isnan(y) != 0);
		else
			c = (x > y) - (x < y);
		if (!isnan(x) && !isnan(y) &&
		    fnc_top_cols[k->col].desc != k->reverse)
			c = -c;
	} else {
		c = strcmp(a->name, b->name);
		if (k->reverse)
			c = -c;
	}
	return c != 0 ? c : strcmp(a->name, b->name);
}

void
fnc_top_sort(struct fnc_top_row *row, size_t n, int col, bool reverse)
{
	struct fnc_top_sortkey k = { col, reverse };

	if (col < 0 || col >= FNC_TOP_NCOL)
		return;
	qsort_r(row, n, sizeof(*row), fnc_top_cmp, &k);
}

/* ----------------------------------------------------- pure: drawing */

/* Writes lines, cut to the screen (width - 1: a character in the last
 * column would leave the cursor in the pending-wrap state, where the
 * next clear-to-end-of-line erases it), escapes only when in color. */
struct fnc_top_out {
	FILE *f;
	const struct fnc_top_view *v;
	int line;               /* lines begun */
	int left;               /* columns left on this line */
	bool attr;              /* an attribute is on */
};

static bool
fnc_top_line(struct fnc_top_out *o)
{
	if (o->v->screen && o->line >= o->v->height) {
		o->left = 0;    /* and what was meant for it is dropped */
		return false;
	}
	if (o->line > 0) {
		if (o->attr)
			fputs(FNC_SGR_OFF, o->f);
		if (o->v->screen)
			fputs("\033[K", o->f);
		fputc('\n', o->f);
	}
	o->attr = false;
	o->line++;
	o->left = o->v->screen ? o->v->width - 1 : INT_MAX;
	return true;
}

static void
fnc_top_put(struct fnc_top_out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->left <= 0)
		return;
	if (n > (size_t)o->left)
		n = (size_t)o->left;
	fwrite(s, 1, n, o->f);
	o->left -= (int)n;
}

static void __attribute__((format(printf, 2, 3)))
fnc_top_putf(struct fnc_top_out *o, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fnc_top_put(o, buf);
}

static void
fnc_top_attr(struct fnc_top_out *o, const char *sgr)
{
	if (!o->v->color)
		return;
	fputs(sgr, o->f);
	o->attr = true;
}

static int
fnc_top_colw(int col)
{
	int w = (int)strlen(fnc_top_cols[col].name);

	return w > FNC_TOP_COLW ? w : FNC_TOP_COLW;
}

static const char *
fnc_top_cell(const struct fnc_top_row *r, int col, char *buf, size_t len)
{
	double x = r->v[col];

	switch (col) {
	case FNC_TOP_RX_MBIT:
	case FNC_TOP_TX_MBIT:
		return fnc_top_fmt_mbit(x, buf, len);
	case FNC_TOP_QUEUE:
		return fnc_top_fmt(x, 1024, buf, len);
	case FNC_TOP_RX_SHARE:
	case FNC_TOP_TX_SHARE:
		if (isnan(x))
			snprintf(buf, len, "-");
		else
			snprintf(buf, len, "%.0f%%", x);
		return buf;
	default:
		return fnc_top_fmt(x, 1000, buf, len);
	}
}

static void
fnc_top_header(struct fnc_top_out *o, const char *first, int namew)
{
	char label[32];

	if (!fnc_top_line(o))
		return;
	fnc_top_attr(o, FNC_SGR_HEADER);
	for (int i = 0; i < FNC_TOP_NCOL; i++) {
		const char *s = i == FNC_TOP_NAME ? first : fnc_top_cols[i].name;
		int w = i == FNC_TOP_NAME ? namew : fnc_top_colw(i);
		size_t n = 0;

		for (; s[n] != '\0' && n < sizeof(label) - 1; n++)
			label[n] = (char)toupper((unsigned char)s[n]);
		label[n] = '\0';
		if (i > FNC_TOP_NAME)
			fnc_top_putf(o, " %*s", w - (int)n, "");
		if (i == o->v->sort)
			fnc_top_attr(o, FNC_SGR_SORTED);
		fnc_top_put(o, label);
		if (i == o->v->sort)
			fnc_top_attr(o, FNC_SGR_UNSORTED);
		if (i == FNC_TOP_NAME)
			fnc_top_putf(o, "%*s", w - (int)n, "");
	}
	fnc_top_put(o, "  TOP DROP REASONS");
}

static void
fnc_top_row_put(struct fnc_top_out *o, const struct fnc_top_row *r,
		int namew, bool highlight)
{
	char buf[32];

	if (!fnc_top_line(o))
		return;
	if (highlight && r->dropping)
		fnc_top_attr(o, o->v->no_color ? FNC_SGR_HEADER :
			     FNC_SGR_DROPPING);
	fnc_top_putf(o, "%-*s", namew, r->name);
	for (int i = FNC_TOP_NAME + 1; i < FNC_TOP_NCOL; i++)
		fnc_top_putf(o, " %*s", fnc_top_colw(i),
			     fnc_top_cell(r, i, buf, sizeof(buf)));
	if (r->why[0] != '\0')
		fnc_top_putf(o, "  %s", r->why);
}

/* A table; on a screen, as many rows as fit and a line saying how many
 * do not. */
static void
fnc_top_table_put(struct fnc_top_out *o, const char *first,
		  const struct fnc_top_table *t, int namew, bool highlight)
{
	size_t shown = t->n;

	fnc_top_header(o, first, namew);
	if (o->v->screen) {
		size_t room = o->v->height > o->line ?
			      (size_t)(o->v->height - o->line) : 0;
		if (shown > room)
			shown = room > 0 ? room - 1 : 0;
	}
	for (size_t i = 0; i < shown; i++)
		fnc_top_row_put(o, &t->row[i], namew, highlight);
	if (shown < t->n && fnc_top_line(o))
		fnc_top_putf(o, "... %zu more %ss (enlarge the terminal)",
			     t->n - shown, first[0] == 'V' ? "vnic" : "uplink");
}

static void
fnc_top_title(struct fnc_top_out *o, const struct fnc_top_frame *fr)
{
	const struct fnc_top_view *v = o->v;
	const struct fnc_top_col_info *c = &fnc_top_cols[v->sort];
	char when[16];
	struct tm tm;

	if (!fnc_top_line(o))
		return;
	fnc_top_put(o, "fairnicctl top");
	if (fr->when != 0 && localtime_r(&fr->when, &tm) != NULL &&
	    strftime(when, sizeof(when), "%H:%M:%S", &tm) > 0)
		fnc_top_putf(o, "  %s", when);
	fnc_top_putf(o, "  every %gs  sort %s %s  vnics %zu", v->interval,
		     c->name, c->desc != v->reverse ? "desc" : "asc",
		     fr->vnic.n);
	if (fr->vnic.dropping > 0)
		fnc_top_putf(o, " (%zu dropping)", fr->vnic.dropping);
	fnc_top_putf(o, "  uplinks %zu", fr->uplink.n);
	if (fr->pool_size >= 0 && fr->pool_in_use >= 0)
		fnc_top_putf(o, "  pool %lld/%lld", fr->pool_in_use,
			     fr->pool_size);
	if (!fr->rates)
		fnc_top_put(o, "  (rates after one interval)");
}

static int
fnc_top_namew(const struct fnc_top_table *t, int w)
{
	for (size_t i = 0; i < t->n; i++)
		if ((int)strlen(t->row[i].name) > w)
			w = (int)strlen(t->row[i].name);
	return w;
}

void
fnc_top_render(FILE *f, const struct fnc_top_view *v,
	       const struct fnc_top_frame *fr)
{
	struct fnc_top_out o = { .f = f, .v = v };
	int namew = fnc_top_namew(&fr->uplink, fnc_top_namew(&fr->vnic,
								(int)strlen("UPLINK")));

	if (v->screen)
		fputs("\033[H", f);
	fnc_top_title(&o, fr);
	if (v->screen && fnc_top_line(&o))
		fnc_top_put(&o, fnc_top_keys);
	/* Uplinks first: a few lines that sum the host up; the vNICs are
	 * the list that may not fit. */
	fnc_top_table_put(&o, "UPLINK", &fr->uplink, namew, false);
	fnc_top_line(&o);
	fnc_top_table_put(&o, "VNIC", &fr->vnic, namew, true);
	if (o.attr)
		fputs(FNC_SGR_OFF, f);
	fputs(v->screen ? "\033[K\033[J" : "\n", f);
}

/* ------------------------------------------------------------ sampling */

struct fnc_top {
	const char *sock;
	double interval;
	long frames;            /* 0: until q */
	struct fnc_top_view view;
	json_t *prev;           /* data of the previous `stats` */
	double prev_at;         /* when it was taken, monotonic seconds */
	struct fnc_top_frame fr;        /* what is shown */
};

static double
fnc_top_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return fnc_top_mid(&ts, &ts);
}

/*
 * Take a sample and make the frame from it and the previous one. Its time
 * is the middle of the request: the daemon reads the counters somewhere
 * in between, and the middle halves the error of a slow reply.
 * @return 0, or an exit status after saying why.
 */
static int
fnc_top_sample(struct fnc_top *t)
{
	char word[] = "stats";
	char *argv[] = { word, NULL };
	struct timespec a, b;
	json_t *resp, *data;
	double at;

	clock_gettime(CLOCK_MONOTONIC, &a);
	resp = fnc_request(t->sock, 1, argv);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (resp == NULL)
		return FNC_EXIT_COMM;
	if (!json_is_true(json_object_get(resp, "ok"))) {
		const char *e = json_string_value(json_object_get(resp, "error"));

		fnc_err("top: stats: %s", e ? e : "refused (no reason given)");
		json_decref(resp);
		return FNC_EXIT_CMD;
	}
	data = json_incref(json_object_get(resp, "data"));
	json_decref(resp);
	if (!json_is_array(json_object_get(data, "vnics"))) {
		fnc_err("top: invalid reply from %s: no vnics", t->sock);
		json_decref(data);
		return FNC_EXIT_COMM;
	}
	at = fnc_top_mid(&a, &b);
	fnc_top_frame_free(&t->fr);
	if (fnc_top_frame_make(t->prev, data, at - t->prev_at, &t->fr) != 0) {
		fnc_err("out of memory");
		json_decref(data);
		return FNC_EXIT_CMD;
	}
	t->fr.when = time(NULL);
	json_decref(t->prev);
	t->prev = data;
	t->prev_at = at;
	return 0;
}

static void
fnc_top_resort(struct fnc_top *t)
{
	fnc_top_sort(t->fr.vnic.row, t->fr.vnic.n, t->view.sort,
		     t->view.reverse);
	fnc_top_sort(t->fr.uplink.row, t->fr.uplink.n, t->view.sort,
		     t->view.reverse);
}

/* ---------------------------------------------------------- batch mode */

static void
fnc_top_sleep_until(double when)
{
	struct timespec ts = {
		.tv_sec = (time_t)when,
		.tv_nsec = (long)((when - (double)(time_t)when) * 1e9),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

/* N frames (0: forever), one after another; the first after two samples. */
static int
fnc_top_batch(struct fnc_top *t)
{
	double next = fnc_top_now();
	int rc = fnc_top_sample(t);

	for (long n = 0; rc == 0 && (t->frames == 0 || n < t->frames); n++) {
		next += t->interval;
		if (next < fnc_top_now())
			next = fnc_top_now();   /* a slow reply: no catch-up */
		fnc_top_sleep_until(next);
		if ((rc = fnc_top_sample(t)) != 0)
			break;
		fnc_top_resort(t);
		if (n > 0)
			putchar('\n');
		fnc_top_render(stdout, &t->view, &t->fr);
		if (fflush(stdout) != 0) {
			fnc_err("top: writing output: %s", strerror(errno));
			rc = FNC_EXIT_CMD;
		}
	}
	return rc;
}

/* ----------------------------------------------------- the full screen */

/* Terminal state, shared with the signal handlers: everything they do is
 * async-signal-safe (write, tcsetattr, dup2, pread, sigaction, raise). */
static struct termios fnc_top_saved;
static bool fnc_top_tty_in;             /* stdin is a terminal: keys */
static volatile sig_atomic_t fnc_top_on;        /* raw mode + alt screen */
static volatile sig_atomic_t fnc_top_redraw;    /* resized, resumed */
static int fnc_top_errfd = -1;          /* the real stderr, while held */
static int fnc_top_holdfd = -1;         /* what was written to it */

static const char fnc_top_enter_seq[] = "\033[?1049h\033[?25l";
static const char fnc_top_leave_seq[] = "\033[0m\033[?25h\033[?1049l";

static void
fnc_top_write(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void
fnc_top_term_on(void)
{
	if (fnc_top_tty_in) {
		struct termios raw = fnc_top_saved;

		/* Keys one by one, unechoed; ISIG stays: Ctrl-C, Ctrl-Z. */
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
	}
	fnc_top_write(STDOUT_FILENO, fnc_top_enter_seq,
		      sizeof(fnc_top_enter_seq) - 1);
	fnc_top_on = 1;
}

static void
fnc_top_term_off(void)
{
	if (!fnc_top_on)
		return;
	fnc_top_on = 0;
	fnc_top_write(STDOUT_FILENO, fnc_top_leave_seq,
		      sizeof(fnc_top_leave_seq) - 1);
	if (fnc_top_tty_in)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &fnc_top_saved);
}

/* Hold stderr in a memfd while the screen is up: fnc_request's errors
 * would be drawn on the alternate screen and vanish with it. */
static void
fnc_top_hold_err(void)
{
	if (!isatty(STDERR_FILENO))
		return;
	fnc_top_holdfd = memfd_create("fairnicctl-top", MFD_CLOEXEC);
	if (fnc_top_holdfd < 0)
		return;
	fnc_top_errfd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (fnc_top_errfd < 0 || dup2(fnc_top_holdfd, STDERR_FILENO) < 0) {
		if (fnc_top_errfd >= 0)
			close(fnc_top_errfd);
		close(fnc_top_holdfd);
		fnc_top_errfd = fnc_top_holdfd = -1;
	}
}

static void
fnc_top_release_err(void)
{
	char buf[512];
	off_t at = 0;
	ssize_t n;

	if (fnc_top_holdfd < 0)
		return;
	dup2(fnc_top_errfd, STDERR_FILENO);
	while ((n = pread(fnc_top_holdfd, buf, sizeof(buf), at)) > 0) {
		fnc_top_write(STDERR_FILENO, buf, (size_t)n);
		at += n;
	}
	close(fnc_top_errfd);
	close(fnc_top_holdfd);
	fnc_top_errfd = fnc_top_holdfd = -1;
}

static void
fnc_top_on_fatal(int sig)
{
	fnc_top_term_off();
	fnc_top_release_err();
	signal(sig, SIG_DFL);
	raise(sig);     /* delivered when this handler returns */
}

/* Ctrl-Z: give the shell its terminal back, stop, take it again. */
static void
fnc_top_on_tstp(int sig)
{
	bool was_on = fnc_top_on;
	sigset_t s;

	fnc_top_term_off();
	signal(SIGTSTP, SIG_DFL);
	sigemptyset(&s);
	sigaddset(&s, SIGTSTP);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	raise(SIGTSTP);         /* stops here until SIGCONT */
	sigaction(SIGTSTP, &(struct sigaction){ .sa_handler = fnc_top_on_tstp,
						.sa_flags = SA_RESTART }, NULL);
	if (was_on)
		fnc_top_term_on();
	fnc_top_redraw = 1;
}

static void
fnc_top_on_winch(int sig)
{
	fnc_top_redraw = 1;
}

static const int fnc_top_fatal[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static void
fnc_top_signals(bool on)
{
	struct sigaction sa = { .sa_flags = SA_RESTART };

	for (size_t i = 0; i < sizeof(fnc_top_fatal) / sizeof(int); i++) {
		sa.sa_handler = on ? fnc_top_on_fatal : SIG_DFL;
		sigaction(fnc_top_fatal[i], &sa, NULL);
	}
	sa.sa_handler = on ? fnc_top_on_tstp : SIG_DFL;
	sigaction(SIGTSTP, &sa, NULL);
	sa.sa_handler = on ? fnc_top_on_winch : SIG_DFL;
	sigaction(SIGWINCH, &sa, NULL);
}

static void
fnc_top_enter(void)
{
	fnc_top_tty_in = isatty(STDIN_FILENO) &&
			 tcgetattr(STDIN_FILENO, &fnc_top_saved) == 0;
	fnc_top_signals(true);
	fnc_top_hold_err();
	fnc_top_term_on();
}

/* Signals blocked meanwhile: a SIGTERM in the middle would kill us with
 * the terminal half restored. */
static void
fnc_top_leave(void)
{
	sigset_t all, old;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	fnc_top_term_off();
	fnc_top_release_err();
	fnc_top_signals(false);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void
fnc_top_draw(struct fnc_top *t)
{
	struct winsize ws;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	fnc_top_redraw = 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 &&
	    ws.ws_row > 0) {
		t->view.width = ws.ws_col;
		t->view.height = ws.ws_row;
	}
	/* One write per frame: no flicker, no torn frame. */
	f = open_memstream(&buf, &len);
	if (f == NULL)
		return;
	fnc_top_render(f, &t->view, &t->fr);
	if (fclose(f) == 0)
		fnc_top_write(STDOUT_FILENO, buf, len);
	free(buf);
}

enum { FNC_KEY_NONE, FNC_KEY_QUIT, FNC_KEY_SORT };

/* One key (arrows already turned into < and >). */
static int
fnc_top_key(struct fnc_top *t, int ch)
{
	int col = fnc_top_col_key(ch);

	switch (ch) {
	case 'q':
		return FNC_KEY_QUIT;
	case 'r':
		t->view.reverse = !t->view.reverse;
		return FNC_KEY_SORT;
	case '<':
		t->view.sort = (t->view.sort + FNC_TOP_NCOL - 1) % FNC_TOP_NCOL;
		t->view.reverse = false;
		return FNC_KEY_SORT;
	case '>':
		t->view.sort = (t->view.sort + 1) % FNC_TOP_NCOL;
		t->view.reverse = false;
		return FNC_KEY_SORT;
	default:
		if (col < 0)
			return FNC_KEY_NONE;
		t->view.sort = col;
		t->view.reverse = false;
		return FNC_KEY_SORT;
	}
}

/* Read what was typed. @return FNC_KEY_QUIT, or whether the sort changed. */
static int
fnc_top_keys_read(struct fnc_top *t)
{
	unsigned char buf[64];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	int r = FNC_KEY_NONE;

	if (n == 0)
		return FNC_KEY_QUIT;    /* the terminal is gone */
	for (ssize_t i = 0; i < n; i++) {
		int ch = buf[i], k;

		/* Left and right arrows: ESC [ D, ESC [ C. */
		if (ch == 0x1b && i + 2 < n && buf[i + 1] == '[' &&
		    (buf[i + 2] == 'C' || buf[i + 2] == 'D')) {
			ch = buf[i + 2] == 'C' ? '>' : '<';
			i += 2;
		}
		if ((k = fnc_top_key(t, ch)) == FNC_KEY_QUIT)
			return k;
		if (k == FNC_KEY_SORT)
			r = k;
	}
	return r;
}

/*
 * Wait for the next sample's time, handling keys and redraws meanwhile.
 * SIGWINCH is blocked but inside ppoll, so a resize cannot slip in
 * between the check of the flag and the wait.
 * @return false when asked to quit.
 */
static bool
fnc_top_wait(struct fnc_top *t, double until, const sigset_t *waitmask)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };

	for (;;) {
		double left = until - fnc_top_now();
		struct timespec ts;
		int n;

		if (fnc_top_redraw)
			fnc_top_draw(t);
		if (left <= 0)
			return true;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		n = ppoll(&pfd, fnc_top_tty_in ? 1 : 0, &ts, waitmask);
		if (n <= 0)
			continue;       /* timeout, or a signal: check again */
		if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
			return false;
		switch (fnc_top_keys_read(t)) {
		case FNC_KEY_QUIT:
			return false;
		case FNC_KEY_SORT:
			fnc_top_resort(t);
			fnc_top_draw(t);
			break;
		}
	}
}

static int
fnc_top_screen(struct fnc_top *t)
{
	sigset_t winch, old;
	double next = fnc_top_now();
	int rc;

	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigprocmask(SIG_BLOCK, &winch, &old);
	fnc_top_enter();
	rc = fnc_top_sample(t);
	if (rc == 0)
		fnc_top_draw(t);
	while (rc == 0) {
		next += t->interval;
		if (next < fnc_top_now())
			next = fnc_top_now();
		if (!fnc_top_wait(t, next, &old))
			break;
		if ((rc = fnc_top_sample(t)) == 0) {
			fnc_top_resort(t);
			fnc_top_draw(t);
		}
	}
	fnc_top_leave();
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* ------------------------------------------------------------- options */

static void
fnc_top_usage(FILE *f)
{
	fprintf(f,
		"Usage: fairnicctl [-s SOCK] top [-d SECONDS] [-n N | --once] "
		"[--sort COLUMN]\n"
		"\n"
		"Live rates per vNIC and per uplink, from the counters of "
		"`stats`\n"
		"read every SECONDS. Full screen on a terminal; with -n, or "
		"when not\n"
		"a terminal, frames are printed one after another.\n"
		"\n"
		"  -d, --delay SECONDS  between samples, %g to %g (default 1)\n"
		"  -n, --iterations N   print N frames and exit (each needs two "
		"samples)\n"
		"      --once           same as -n 1\n"
		"  -o, --sort COLUMN    name, rx_pps, rx_mbit, tx_pps, tx_mbit, "
		"drops,\n"
		"                       notif, queue, rx_share, tx_share "
		"(default drops)\n"
		"  -h, --help           print this help\n"
		"\n"
		"%s\n", FNC_TOP_DELAY_MIN, FNC_TOP_DELAY_MAX, fnc_top_keys);
}

/* @return -1 to go on, else the exit status. */
static int
fnc_top_opts(struct fnc_top *t, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "delay",      required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "once",       no_argument,       NULL, '1' },
		{ "sort",       required_argument, NULL, 'o' },
		{ "help",       no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	optind = 0;     /* glibc: start over (main parsed its options) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:d:n:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			errno = 0;
			t->interval = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !(t->interval >= FNC_TOP_DELAY_MIN &&
			      t->interval <= FNC_TOP_DELAY_MAX)) {
				fnc_err("top: -d %s: seconds from %g to %g",
					optarg, FNC_TOP_DELAY_MIN,
					FNC_TOP_DELAY_MAX);
				return FNC_EXIT_CMD;
			}
			break;
		case 'n':
			errno = 0;
			t->frames = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    t->frames < 1) {
				fnc_err("top: -n %s: a number of frames, 1 or "
					"more", optarg);
				return FNC_EXIT_CMD;
			}
			break;
		case '1':
			t->frames = 1;
			break;
		case 'o':
			if ((t->view.sort = fnc_top_col_parse(optarg)) < 0) {
				fnc_err("top: unknown column \"%s\" (name, "
					"rx_pps, rx_mbit, tx_pps, tx_mbit, "
					"drops, notif, queue, rx_share, "
					"tx_share)", optarg);
				return FNC_EXIT_CMD;
			}
			break;
		case 'h':
			fnc_top_usage(stdout);
			return fflush(stdout) == 0 ? FNC_EXIT_OK : FNC_EXIT_CMD;
		case ':':
			fnc_err("top: %s needs a value", argv[optind - 1]);
			return FNC_EXIT_CMD;
		default:
			if (optopt != 0)
				fnc_err("top: unknown option -%c", optopt);
			else
				fnc_err("top: unknown option %s",
					argv[optind - 1]);
			fprintf(stderr, "Try 'fairnicctl top --help'.\n");
			return FNC_EXIT_CMD;
		}
	}
	if (optind < argc) {
		fnc_err("top: unexpected argument \"%s\"", argv[optind]);
		return FNC_EXIT_CMD;
	}
	return -1;
}

int
fnc_top(const char *sock, int argc, char *argv[])
{
	struct fnc_top t = {
		.sock = sock,
		.interval = 1,
		.view = { .sort = FNC_TOP_DROPS, .width = 80, .height = 24 },
	};
	const char *term = getenv("TERM"), *nc = getenv("NO_COLOR");
	int rc = fnc_top_opts(&t, argc, argv);

	if (rc >= 0)
		return rc;
	t.view.interval = t.interval;
	/* Escapes only for a terminal that understands them. */
	t.view.color = isatty(STDOUT_FILENO) && term != NULL &&
		       term[0] != '\0' && strcmp(term, "dumb") != 0;
	t.view.no_color = nc != NULL && nc[0] != '\0';
	t.view.screen = t.view.color && t.frames == 0;
	rc = t.view.screen ? fnc_top_screen(&t) : fnc_top_batch(&t);
	fnc_top_frame_free(&t.fr);
	json_decref(t.prev);
	return rc;
}
