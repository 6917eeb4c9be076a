/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of fairnicctl top's pure parts (src/cli/fnc_top.c): rates from
 * counter deltas (resets, no interval), number formats, drop reasons and
 * their ranking, rows and frames from two `stats` replies (matched by name,
 * gauges, null counters), the sort (direction, unknown values, ties), the
 * columns and keys, and the rendering: plain text without a single escape,
 * highlights only on dropping vNICs, a screen cut to its size.
 *
 * Linked with fnc_top.o (a rule at the end of the Makefile); the socket
 * client it calls, in fairnicctl.c, is stubbed below.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/cli/fnc.h"
#include "../../src/cli/fnc_top.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------ stubs of fairnicctl.c */

json_t *
fnc_request(const char *path, int argc, char *argv[])
{
	return NULL;
}

void
fnc_err(const char *fmt, ...)
{
}

/* ---------------------------------------------------------------- values */

static void
test_rate(void **state)
{
	assert_true(fnc_top_rate(1000, 3000, 2.0) == 1000.0);
	assert_true(fnc_top_rate(5, 5, 1.0) == 0.0);
	assert_true(fabs(fnc_top_rate(0, 1, 0.25) - 4.0) < 1e-12);
	/* reset in between: counted from 0, not a huge wrapped delta */
	assert_true(fnc_top_rate(1000000, 300, 1.5) == 200.0);
	/* no interval: unknown, not infinite */
	assert_true(isnan(fnc_top_rate(1, 2, 0.0)));
	assert_true(isnan(fnc_top_rate(1, 2, -1.0)));
	assert_true(isnan(fnc_top_rate(1, 2, NAN)));
	/* 64-bit counters far from 0 keep their precision in the delta */
	assert_true(fnc_top_rate(UINT64_C(1) << 62, (UINT64_C(1) << 62) + 10,
				 2.0) == 5.0);
}

static void
test_mid(void **state)
{
	struct timespec a = { 10, 900000000 }, b = { 11, 100000000 };

	assert_true(fabs(fnc_top_mid(&a, &b) - 11.0) < 1e-9);
	assert_true(fabs(fnc_top_mid(&a, &a) - 10.9) < 1e-9);
}

static const char *
fmt(double v, unsigned base)
{
	static char buf[32];

	return fnc_top_fmt(v, base, buf, sizeof(buf));
}

static void
test_fmt(void **state)
{
	static const struct { double v; const char *si, *bin; } c[] = {
		{ NAN,        "-",     "-" },
		{ 0,          "0",     "0" },
		{ -3,         "0",     "0" },
		{ 0.01,       "<0.1",  "<0.1" },
		{ 0.6,        "0.6",   "1" },
		{ 5,          "5.0",   "5" },
		{ 64,         "64.0",  "64" },
		{ 99.94,      "99.9",  "100" },
		{ 99.96,      "100",   "100" },
		{ 999.4,      "999",   "999" },
		{ 999.6,      "1.00k", "0.98K" },  /* never "1000" */
		{ 1000,       "1.00k", "0.98K" },
		{ 1234,       "1.23k", "1.21K" },
		{ 9994,       "9.99k", "9.76K" },
		{ 9996,       "10.0k", "9.76K" },
		{ 12345,      "12.3k", "12.1K" },
		{ 65536,      "65.5k", "64.0K" },
		{ 123456,     "123k",  "121K" },
		{ 262144,     "262k",  "256K" },
		{ 999600,     "1.00M", "976K" },
		{ 1048576,    "1.05M", "1.00M" },
		{ 14.88e6,    "14.9M", "14.2M" },
		{ 1.5e9,      "1.50G", "1.40G" },
		{ 2e12,       "2.00T", "1.82T" },
	};

	for (size_t i = 0; i < N(c); i++) {
		if (strcmp(fmt(c[i].v, 1000), c[i].si) != 0)
			fail_msg("%g base 1000: \"%s\", want \"%s\"", c[i].v,
				 fmt(c[i].v, 1000), c[i].si);
		if (strcmp(fmt(c[i].v, 1024), c[i].bin) != 0)
			fail_msg("%g base 1024: \"%s\", want \"%s\"", c[i].v,
				 fmt(c[i].v, 1024), c[i].bin);
	}
	/* at most 5 characters for any rate up to 999 PHz: columns align */
	for (double v = 0.001; v < 1e18; v *= 1.37)
		assert_true(strlen(fmt(v, 1000)) <= 5);
}

static void
test_fmt_mbit(void **state)
{
	static const struct { double v; const char *s; } c[] = {
		{ NAN, "-" }, { 0, "0" }, { 0.001, "<0.01" }, { 0.05, "0.05" },
		{ 2.56, "2.56" }, { 80, "80.00" }, { 99.999, "100.0" },
		{ 400, "400.0" }, { 999.96, "1000" }, { 9412.4, "9412" },
	};
	char buf[32];

	for (size_t i = 0; i < N(c); i++) {
		fnc_top_fmt_mbit(c[i].v, buf, sizeof(buf));
		if (strcmp(buf, c[i].s) != 0)
			fail_msg("%g: \"%s\", want \"%s\"", c[i].v, buf, c[i].s);
	}
}

static void
test_drop_label(void **state)
{
	char buf[FNC_TOP_LABEL_MAX];

	assert_true(fnc_top_drop_label("rx_drop_queue_limit", buf, sizeof(buf)));
	assert_string_equal(buf, "rx:queue_limit");
	assert_true(fnc_top_drop_label("tx_drop_spoof", buf, sizeof(buf)));
	assert_string_equal(buf, "tx:spoof");
	assert_true(fnc_top_drop_label("rx_drop_no_vnic", buf, sizeof(buf)));
	assert_string_equal(buf, "rx:no_vnic");
	/* not drops: traffic, notifications, announcements, a lookalike */
	assert_false(fnc_top_drop_label("rx_packets", buf, sizeof(buf)));
	assert_false(fnc_top_drop_label("notifications", buf, sizeof(buf)));
	assert_false(fnc_top_drop_label("tx_announce", buf, sizeof(buf)));
	assert_false(fnc_top_drop_label("rx_csum_completed", buf, sizeof(buf)));
	assert_false(fnc_top_drop_label("rx_dropped", buf, sizeof(buf)));
	/* a small buffer is cut, not overrun */
	assert_true(fnc_top_drop_label("rx_drop_queue_limit", buf, 6));
	assert_string_equal(buf, "rx:qu");
}

static void
test_why(void **state)
{
	struct fnc_top_drop d[] = {
		{ "rx:aqm", 2 },
		{ "rx:queue_limit", 15000 },
		{ "tx:spoof", 0 },
		{ "rx:pool", 40 },
		{ "rx:guest_full", 40 },
		{ "tx:malformed", 1 },
	};
	char buf[FNC_TOP_WHY_LEN];

	fnc_top_why(d, N(d), 3, buf, sizeof(buf));
	/* highest first; a tie keeps the counters' order */
	assert_string_equal(buf, "rx:queue_limit 15.0k/s, rx:pool 40.0/s, "
			    "rx:guest_full 40.0/s");
	fnc_top_why(d, N(d), 1, buf, sizeof(buf));
	assert_string_equal(buf, "rx:queue_limit 15.0k/s");
	/* zero rates are never named */
	fnc_top_why(d, N(d), 10, buf, sizeof(buf));
	assert_null(strstr(buf, "tx:spoof"));
	assert_non_null(strstr(buf, ", tx:malformed 1.0/s"));
	fnc_top_why(d, 0, 3, buf, sizeof(buf));
	assert_string_equal(buf, "");
	fnc_top_why(&d[2], 1, 3, buf, sizeof(buf));
	assert_string_equal(buf, "");
	/* too long for the buffer: the reasons that fit, whole */
	fnc_top_why(d, N(d), 3, buf, 40);
	assert_string_equal(buf, "rx:queue_limit 15.0k/s, rx:pool 40.0/s");
}

/* ------------------------------------------------------- rows, frames */

static json_t *
vnic(const char *name, long long rx_packets, long long rx_bytes,
     long long drop_ql, long long drop_aqm, long long notif)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			      " s:I, s:I, s:n, s:I, s:I, s:f, s:f}",
			      "name", name, "mac", "52:54:00:00:00:01",
			      "rx_packets", (json_int_t)rx_packets,
			      "rx_bytes", (json_int_t)rx_bytes,
			      "tx_packets", (json_int_t)0,
			      "tx_bytes", (json_int_t)0,
			      "rx_drop_queue_limit", (json_int_t)drop_ql,
			      "rx_drop_aqm", (json_int_t)drop_aqm,
			      "tx_drop_spoof", (json_int_t)0,
			      "notifications", (json_int_t)notif,
			      "rx_drop_tap_kernel", (json_int_t)0,
			      "tx_drop_tap_kernel",
			      "rx_queue_bytes", (json_int_t)65536,
			      "rx_bps", (json_int_t)0,
			      "rx_share", 0.25, "tx_share", 0.0);

	assert_non_null(o);
	return o;
}

static json_t *
uplink(const char *name, long long rx_packets, long long no_vnic)
{
	json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}",
			      "name", name,
			      "rx_packets", (json_int_t)rx_packets,
			      "rx_bytes", (json_int_t)(rx_packets * 64),
			      "tx_packets", (json_int_t)0,
			      "tx_bytes", (json_int_t)0,
			      "rx_drop_no_vnic", (json_int_t)no_vnic,
			      "tx_announce", (json_int_t)7);

	assert_non_null(o);
	return o;
}

static void
test_row(void **state)
{
	json_t *p = vnic("vm1", 1000, 64000, 100, 10, 50);
	json_t *c = vnic("vm1", 11000, 1064000, 30100, 10, 362);
	struct fnc_top_row r;

	fnc_top_row_make(p, c, 2.0, &r);
	assert_string_equal(r.name, "vm1");
	assert_true(r.v[FNC_TOP_RX_PPS] == 5000);
	assert_true(fabs(r.v[FNC_TOP_RX_MBIT] - 4.0) < 1e-9);  /* 500 kB/s */
	assert_true(r.v[FNC_TOP_TX_PPS] == 0);
	assert_true(r.v[FNC_TOP_DROPS] == 15000);       /* aqm, spoof: 0 */
	assert_true(r.v[FNC_TOP_NOTIF] == 156);
	assert_true(r.v[FNC_TOP_QUEUE] == 65536);
	assert_true(r.v[FNC_TOP_RX_SHARE] == 25);
	assert_true(r.v[FNC_TOP_TX_SHARE] == 0);
	assert_true(r.dropping);
	assert_string_equal(r.why, "rx:queue_limit 15.0k/s");

	/* no previous sample: no rates, but what is measured now */
	fnc_top_row_make(NULL, c, 2.0, &r);
	assert_true(isnan(r.v[FNC_TOP_RX_PPS]) && isnan(r.v[FNC_TOP_DROPS]));
	assert_true(isnan(r.v[FNC_TOP_NOTIF]));
	assert_true(r.v[FNC_TOP_QUEUE] == 65536);
	assert_false(r.dropping);
	assert_string_equal(r.why, "");

	/* not dropping: every drop counter still */
	fnc_top_row_make(c, c, 1.0, &r);
	assert_true(r.v[FNC_TOP_DROPS] == 0);
	assert_false(r.dropping);
	json_decref(p);
	json_decref(c);

	/* an uplink: no notifications, queue or share; tx_announce is no drop */
	p = uplink("up0", 100, 0);
	c = uplink("up0", 30100, 5);
	fnc_top_row_make(p, c, 1.0, &r);
	assert_true(r.v[FNC_TOP_RX_PPS] == 30000);
	assert_true(r.v[FNC_TOP_DROPS] == 5);
	assert_true(isnan(r.v[FNC_TOP_NOTIF]) && isnan(r.v[FNC_TOP_QUEUE]));
	assert_true(isnan(r.v[FNC_TOP_RX_SHARE]));
	assert_string_equal(r.why, "rx:no_vnic 5.0/s");
	json_decref(p);
	json_decref(c);
}

static json_t *
stats(json_t *vnics, json_t *uplinks)
{
	json_t *o = json_pack("{s:o, s:o, s:{s:i, s:i}}", "vnics", vnics,
			      "uplinks", uplinks, "pool", "size", 65535,
			      "in_use", 1234);

	assert_non_null(o);
	return o;
}

static const struct fnc_top_row *
find(const struct fnc_top_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->row[i].name, name) == 0)
			return &t->row[i];
	fail_msg("no row %s", name);
	return NULL;
}

static void
test_frame(void **state)
{
	/* vm2 before vm1 in the first reply, vm3 only in the second, vm4
	 * only in the first: rows follow the second, matched by name */
	json_t *prev = stats(json_pack("[o, o, o]",
				       vnic("vm2", 0, 0, 0, 0, 0),
				       vnic("vm1", 0, 0, 0, 0, 0),
				       vnic("vm4", 5, 5, 5, 5, 5)),
			     json_pack("[o]", uplink("up0", 0, 0)));
	json_t *cur = stats(json_pack("[o, o, o]",
				      vnic("vm1", 100, 6400, 0, 0, 0),
				      vnic("vm2", 300, 19200, 0, 7, 0),
				      vnic("vm3", 9, 9, 9, 9, 9)),
			    json_pack("[o]", uplink("up0", 400, 0)));
	struct fnc_top_frame fr;

	assert_int_equal(fnc_top_frame_make(prev, cur, 1.0, &fr), 0);
	assert_true(fr.rates);
	assert_int_equal(fr.vnic.n, 3);
	assert_int_equal(fr.uplink.n, 1);
	assert_int_equal(fr.vnic.dropping, 1);
	assert_int_equal(fr.pool_in_use, 1234);
	assert_int_equal(fr.pool_size, 65535);
	assert_string_equal(fr.vnic.row[0].name, "vm1");
	assert_true(find(&fr.vnic, "vm1")->v[FNC_TOP_RX_PPS] == 100);
	assert_true(find(&fr.vnic, "vm2")->v[FNC_TOP_RX_PPS] == 300);
	assert_string_equal(find(&fr.vnic, "vm2")->why, "rx:aqm 7.0/s");
	assert_true(isnan(find(&fr.vnic, "vm3")->v[FNC_TOP_RX_PPS]));
	assert_true(find(&fr.uplink, "up0")->v[FNC_TOP_RX_PPS] == 400);
	fnc_top_frame_free(&fr);

	/* the first sample: rows, no rates */
	assert_int_equal(fnc_top_frame_make(NULL, cur, 0, &fr), 0);
	assert_false(fr.rates);
	assert_int_equal(fr.vnic.n, 3);
	assert_true(isnan(fr.vnic.row[0].v[FNC_TOP_RX_PPS]));
	fnc_top_frame_free(&fr);

	/* `stats NAME` has no uplinks and no pool */
	json_object_del(cur, "uplinks");
	json_object_del(cur, "pool");
	assert_int_equal(fnc_top_frame_make(prev, cur, 1.0, &fr), 0);
	assert_int_equal(fr.uplink.n, 0);
	assert_int_equal(fr.pool_size, -1);
	fnc_top_frame_free(&fr);
	json_decref(prev);
	json_decref(cur);
}

/* ------------------------------------------------------------------ sort */

static void
row(struct fnc_top_row *r, const char *name, double pps, double drops)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	for (int i = 0; i < FNC_TOP_NCOL; i++)
		r->v[i] = NAN;
	r->v[FNC_TOP_RX_PPS] = pps;
	r->v[FNC_TOP_DROPS] = drops;
}

static void
order(const struct fnc_top_row *r, size_t n, const char *want)
{
	char got[128] = "";

	for (size_t i = 0; i < n; i++) {
		strcat(got, r[i].name);
		strcat(got, i + 1 < n ? " " : "");
	}
	if (strcmp(got, want) != 0)
		fail_msg("order \"%s\", want \"%s\"", got, want);
}

static void
test_sort(void **state)
{
	struct fnc_top_row r[5];

	row(&r[0], "b", 10, 0);
	row(&r[1], "a", 10, 0);
	row(&r[2], "d", NAN, NAN);
	row(&r[3], "c", 500, 3);
	row(&r[4], "e", 0, 0);

	/* numbers: largest first; ties by name; unknown last */
	fnc_top_sort(r, 5, FNC_TOP_RX_PPS, false);
	order(r, 5, "c a b e d");
	/* reversed: smallest first, ties still by name, unknown still last */
	fnc_top_sort(r, 5, FNC_TOP_RX_PPS, true);
	order(r, 5, "e a b c d");
	fnc_top_sort(r, 5, FNC_TOP_DROPS, false);
	order(r, 5, "c a b e d");
	/* names: a to z, or z to a */
	fnc_top_sort(r, 5, FNC_TOP_NAME, false);
	order(r, 5, "a b c d e");
	fnc_top_sort(r, 5, FNC_TOP_NAME, true);
	order(r, 5, "e d c b a");
	/* a column that is unknown everywhere: by name */
	fnc_top_sort(r, 5, FNC_TOP_QUEUE, false);
	order(r, 5, "a b c d e");
	/* out of range: untouched */
	fnc_top_sort(r, 5, FNC_TOP_NCOL, false);
	order(r, 5, "a b c d e");
}

static void
test_columns_and_keys(void **state)
{
	for (int i = 0; i < FNC_TOP_NCOL; i++) {
		char up[32];
		size_t n;

		assert_int_equal(fnc_top_col_parse(fnc_top_cols[i].name), i);
		for (n = 0; fnc_top_cols[i].name[n] != '\0'; n++)
			up[n] = (char)(fnc_top_cols[i].name[n] & ~0x20);
		up[n] = '\0';
		assert_int_equal(fnc_top_col_parse(up), i);     /* as headed */
		assert_int_equal(fnc_top_col_key(fnc_top_cols[i].key), i);
		/* the other keys mean something else */
		assert_true(strchr("qr<>", fnc_top_cols[i].key) == NULL);
		assert_int_equal(fnc_top_cols[i].desc, i != FNC_TOP_NAME);
	}
	assert_int_equal(fnc_top_col_parse("rx-pps"), -1);
	assert_int_equal(fnc_top_col_parse(""), -1);
	assert_int_equal(fnc_top_col_key('q'), -1);
	assert_int_equal(fnc_top_col_key('x'), -1);
	assert_int_equal(fnc_top_col_parse("rx_pps"), FNC_TOP_RX_PPS);
	assert_int_equal(fnc_top_col_key('P'), FNC_TOP_TX_PPS);
}

/* ------------------------------------------------------------- drawing */

/* A frame: up0, vm1 dropping, vm2 not; `extra` more idle vNICs. */
static void
frame(struct fnc_top_frame *fr, size_t extra)
{
	memset(fr, 0, sizeof(*fr));
	fr->rates = true;
	fr->pool_in_use = 1234;
	fr->pool_size = 65535;
	fr->uplink.row = calloc(1, sizeof(struct fnc_top_row));
	fr->vnic.row = calloc(2 + extra, sizeof(struct fnc_top_row));
	assert_non_null(fr->uplink.row);
	assert_non_null(fr->vnic.row);
	row(&fr->uplink.row[0], "up0", 30000, 0);
	fr->uplink.n = 1;
	row(&fr->vnic.row[0], "vm1", 5000, 15000);
	fr->vnic.row[0].dropping = true;
	snprintf(fr->vnic.row[0].why, FNC_TOP_WHY_LEN,
		 "rx:queue_limit 15.0k/s");
	row(&fr->vnic.row[1], "vm2", 10000, 0);
	for (size_t i = 0; i < extra; i++) {
		char name[32];

		snprintf(name, sizeof(name), "idle%zu", i);
		row(&fr->vnic.row[2 + i], name, 0, 0);
	}
	fr->vnic.n = 2 + extra;
	fr->vnic.dropping = 1;
}

static char *
render(const struct fnc_top_view *v, const struct fnc_top_frame *fr)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fnc_top_render(f, v, fr);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* The line that starts (after any escapes) with `name`. */
static const char *
line_of(const char *out, const char *name)
{
	for (const char *l = out; l != NULL && *l != '\0';) {
		const char *s = l;

		while (*s == '\033') {
			s = strchr(s, 'm');
			assert_non_null(s);
			s++;
		}
		if (strncmp(s, name, strlen(name)) == 0 && s[strlen(name)] == ' ')
			return l;
		l = strchr(l, '\n');
		l = l ? l + 1 : NULL;
	}
	fail_msg("no line for %s in:\n%s", name, out);
	return NULL;
}

#define TITLE "fairnicctl top  every 1s  sort drops desc  vnics 2 (1 " \
	      "dropping)  uplinks 1  pool 1234/65535\n"

static void
test_render_plain(void **state)
{
	struct fnc_top_view v = { .sort = FNC_TOP_DROPS, .interval = 1 };
	struct fnc_top_frame fr;
	char *out;

	frame(&fr, 0);
	out = render(&v, &fr);
	assert_null(strchr(out, '\033'));       /* not one escape */
	assert_true(strncmp(out, TITLE, strlen(TITLE)) == 0);
	assert_non_null(strstr(out, "\nUPLINK  RX_PPS RX_MBIT  TX_PPS TX_MBIT "
			       "  DROPS   NOTIF   QUEUE RX_SHARE TX_SHARE  TOP "
			       "DROP REASONS\nup0    "));
	assert_non_null(strstr(out, "\n\nVNIC    RX_PPS"));
	assert_true(strncmp(line_of(out, "vm1"), "vm1      5.00k       -       "
			    "-       -   15.0k       -       -        -        -"
			    "  rx:queue_limit 15.0k/s\n", 97) == 0);
	assert_null(strstr(out, "keys:"));      /* only on a screen */
	assert_true(out[strlen(out) - 1] == '\n');
	free(out);

	/* the first frame says the rates are to come */
	fr.rates = false;
	out = render(&v, &fr);
	assert_non_null(strstr(out, "(rates after one interval)"));
	free(out);
	fnc_top_frame_free(&fr);
}

static void
test_render_highlight(void **state)
{
	struct fnc_top_view v = { .sort = FNC_TOP_RX_PPS, .interval = 0.5,
				  .color = true };
	struct fnc_top_frame fr;
	char *out;

	frame(&fr, 0);
	fr.uplink.row[0].dropping = true;       /* uplinks are not flagged */
	out = render(&v, &fr);
	assert_true(strncmp(line_of(out, "vm1"), "\033[1;31mvm1 ", 11) == 0);
	assert_true(strncmp(line_of(out, "vm2"), "vm2 ", 4) == 0);
	assert_true(strncmp(line_of(out, "up0"), "up0 ", 4) == 0);
	/* the header in reverse video, the sort column underlined */
	assert_non_null(strstr(out, "\033[7mUPLINK "));
	assert_non_null(strstr(out, "\033[4mRX_PPS\033[24m"));
	assert_non_null(strstr(out, "every 0.5s  sort rx_pps desc"));
	free(out);

	v.no_color = true;                      /* $NO_COLOR */
	v.reverse = true;
	out = render(&v, &fr);
	assert_true(strncmp(line_of(out, "vm1"), "\033[7mvm1 ", 8) == 0);
	assert_null(strstr(out, "\033[1;31m"));
	assert_non_null(strstr(out, "sort rx_pps asc"));
	free(out);
	fnc_top_frame_free(&fr);
}

static void
test_render_screen(void **state)
{
	struct fnc_top_view v = { .sort = FNC_TOP_NAME, .interval = 1,
				  .color = true, .screen = true,
				  .width = 40, .height = 10 };
	struct fnc_top_frame fr;
	char *out, *s;
	int lines = 1;

	frame(&fr, 20);
	out = render(&v, &fr);
	assert_true(strncmp(out, "\033[H", 3) == 0);    /* redrawn in place */
	assert_true(strcmp(out + strlen(out) - 6, "\033[K\033[J") == 0);
	for (s = out; *s != '\0'; s++)
		lines += *s == '\n';
	assert_int_equal(lines, 10);            /* never more: no scrolling */
	assert_non_null(strstr(out, "\nkeys: < > sort column"));
	/* 10 lines: title, keys, header, up0, blank, header, 3 vNICs, and */
	assert_non_null(strstr(out, "... 19 more vnics"));
	/* every line at most width - 1 columns, escapes aside */
	for (char *l = strtok(out, "\n"); l != NULL; l = strtok(NULL, "\n")) {
		int cols = 0;

		for (s = l; *s != '\0'; s++) {
			if (*s == '\033') {
				s += strcspn(s, "mHKJ");
				continue;
			}
			cols++;
		}
		if (cols > 39)
			fail_msg("%d columns: \"%s\"", cols, l);
	}
	free(out);

	/* a screen of 3 lines: nothing past them */
	v.height = 3;
	out = render(&v, &fr);
	lines = 1;
	for (s = out; *s != '\0'; s++)
		lines += *s == '\n';
	assert_int_equal(lines, 3);
	free(out);
	fnc_top_frame_free(&fr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_mid),
		cmocka_unit_test(test_fmt),
		cmocka_unit_test(test_fmt_mbit),
		cmocka_unit_test(test_drop_label),
		cmocka_unit_test(test_why),
		cmocka_unit_test(test_row),
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_columns_and_keys),
		cmocka_unit_test(test_render_plain),
		cmocka_unit_test(test_render_highlight),
		cmocka_unit_test(test_render_screen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
