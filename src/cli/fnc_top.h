/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FNC_TOP_H
#define FNC_TOP_H
/*
 * fairnicctl top: live rates per vNIC and per uplink, computed from the
 * counters of two `stats` replies and the time between them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "fn_cmd.h"

/**
 * fairnicctl top [-d SECONDS] [-n N | --once] [--sort COLUMN]
 * @param argv  the words after the global options, argv[0] being "top".
 * @return the exit status (FNC_EXIT_*).
 */
int fnc_top(const char *sock, int argc, char *argv[]);

/* ---- the pure parts, exposed for tests/unit/test_top.c ---- */

/** The columns, in display order; each can be the sort key. */
enum fnc_top_col {
	FNC_TOP_NAME,
	FNC_TOP_RX_PPS,
	FNC_TOP_RX_MBIT,
	FNC_TOP_TX_PPS,
	FNC_TOP_TX_MBIT,
	FNC_TOP_DROPS,          /**< all drop counters, per second */
	FNC_TOP_NOTIF,          /**< notifications per second */
	FNC_TOP_QUEUE,          /**< rx_queue_bytes now */
	FNC_TOP_RX_SHARE,       /**< rx_share, percent */
	FNC_TOP_TX_SHARE,
	FNC_TOP_NCOL
};

struct fnc_top_col_info {
	const char *name;       /**< for --sort; the header is it in capitals */
	char key;               /**< the key that sorts by it */
	bool desc;              /**< sorted largest first unless reversed */
};
extern const struct fnc_top_col_info fnc_top_cols[FNC_TOP_NCOL];

/** @return the column named `name` (any case), or -1. */
int fnc_top_col_parse(const char *name);
/** @return the column key `ch` sorts by, or -1. */
int fnc_top_col_key(int ch);

/** Seconds on the monotonic clock halfway between two readings. */
double fnc_top_mid(const struct timespec *before, const struct timespec *after);

/**
 * Per second, from a counter read twice `secs` apart. A counter that went
 * down was reset (stats reset, vNIC re-created) in between: it counts from
 * 0. @return NAN when secs is not positive.
 */
double fnc_top_rate(uint64_t prev, uint64_t cur, double secs);

/** "12.3k": three significant digits and an SI (base 1000: k) or binary
 *  (base 1024: K) suffix; "0" for 0, "-" for NAN. @return buf. */
char *fnc_top_fmt(double v, unsigned base, char *buf, size_t len);
/** Mbit/s: "0.05", "80.00", "400.0", "9412"; "-" for NAN. @return buf. */
char *fnc_top_fmt_mbit(double mbit, char *buf, size_t len);

/** "rx:queue_limit" for the counter "rx_drop_queue_limit".
 *  @return false if `counter` is not a drop counter (rx_drop_*, tx_drop_*). */
bool fnc_top_drop_label(const char *counter, char *buf, size_t len);

#define FNC_TOP_LABEL_MAX 48
struct fnc_top_drop {
	char label[FNC_TOP_LABEL_MAX];  /**< fnc_top_drop_label() */
	double rate;                    /**< per second */
};

/** The `max` highest rates, highest first (ties in the given order):
 *  "rx:queue_limit 15.0k/s, rx:aqm 2.0/s". @return buf. */
char *fnc_top_why(const struct fnc_top_drop *d, size_t n, size_t max,
		  char *buf, size_t len);

#define FNC_TOP_WHY_SHOWN 3     /**< drop reasons named per row */
#define FNC_TOP_WHY_LEN   192

/** One row: a vNIC or an uplink. */
struct fnc_top_row {
	char name[FN_NAME_MAX];
	bool dropping;                  /**< dropped in the last interval */
	double v[FNC_TOP_NCOL];         /**< NAN: unknown or not for this row */
	char why[FNC_TOP_WHY_LEN];      /**< top drop reasons, "" if none */
};

/**
 * A row from one object of a `stats` reply (`cur`) and the same object of
 * the previous reply (`prev`, NULL if there was none: no rates then),
 * `secs` apart.
 */
void fnc_top_row_make(json_t *prev, json_t *cur, double secs,
		      struct fnc_top_row *r);

struct fnc_top_table {
	struct fnc_top_row *row;
	size_t n;
	size_t dropping;                /**< rows dropping */
};

/** What one screen shows. */
struct fnc_top_frame {
	struct fnc_top_table vnic, uplink;
	bool rates;                     /**< a previous sample: rates known */
	long long pool_in_use, pool_size;       /**< -1 when not given */
	time_t when;                    /**< of the sample; 0: not shown */
};

/**
 * The frame from two `stats` replies' data (`prev` may be NULL), rows
 * matched by name. @return 0, or -1 (out of memory).
 */
int fnc_top_frame_make(json_t *prev, json_t *cur, double secs,
		       struct fnc_top_frame *fr);
void fnc_top_frame_free(struct fnc_top_frame *fr);

/** Sort rows by `col`, in its direction (reversed if `reverse`); unknown
 *  values ("-") last, ties by name. */
void fnc_top_sort(struct fnc_top_row *row, size_t n, int col, bool reverse);

/** How a frame is drawn. */
struct fnc_top_view {
	int sort;
	bool reverse;
	bool color;             /**< SGR attributes: header, dropping vNICs */
	bool no_color;          /**< $NO_COLOR: highlight in reverse video */
	bool screen;            /**< full screen: cut to width x height, keys */
	int width, height;
	double interval;        /**< seconds */
};

/** Draw a frame (already sorted). Batch frames end with a newline. */
void fnc_top_render(FILE *f, const struct fnc_top_view *v,
		    const struct fnc_top_frame *fr);

#endif /* FNC_TOP_H */
