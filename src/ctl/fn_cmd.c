/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fn_cmd: the command grammar, as declarative tables.
 *
 * fn_cmds[] lists every command: its one or two keywords, whether it takes
 * a name, which key table it takes (vNIC keys, uplink keys, help's topic),
 * which keys it accepts and requires, and its help text. fn_vnic_keys[]
 * and fn_uplink_keys[] are generated from the X-macros FN_VNIC_KEYS and
 * FN_UPLINK_KEYS of fn_cmd.h: keyword, enum key, kind of value and where
 * the value lands in the params struct. The parser, the error messages, the
 * usage and `help keys` (the README's table) are all driven by them, so a
 * key cannot be parseable but undocumented, or documented but rejected.
 * `help counters` is generated from fn_counters.h's X-macros the same way.
 * Config lines (`config show`, --state) are written from the same tables
 * (fn_cmd_vnic_line), each value as fn_value_parse() reads it back.
 *
 * Parsing is pure and total: any word vector (argc 0 included) yields
 * either 0 and a filled struct fn_cmd, or -1 and one line in `err`. The
 * struct is cleared first: a key not in p.set reads as 0 (vlan as
 * FN_VLAN_NONE), so `vnic set` callers must look at the mask, not the
 * values. Words quoted back in errors are truncated and made printable
 * ASCII, because the error travels as a JSON string to clients and logs.
 *
 * fn_cmd_split() ends a line at the first '#', even inside a word:
 * nothing in the grammar contains '#', and one rule is easier to explain
 * than shell quoting.
 *
 * Numbers are parsed by hand, not with strtod(): strtod accepts "inf",
 * "nan", hex floats, exponents and leading blanks, depends on the locale
 * and rounds through a double. Here a value is digits, an optional
 * fraction and a unit; it is scaled in 128-bit integer arithmetic and
 * rounded to nearest once, so "1.5mbit" is exactly 1500000. A non-zero
 * value that rounds to 0 is rejected rather than silently meaning
 * "unlimited".
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fn_cmd.h"
#include "fn_counters.h"
#include "fn_eth.h"
#include "fn_sched.h"
#include "fn_switch.h"

#define FN_BIT(k)       (UINT32_C(1) << (k))
#define FN_KEYS_ALL     (FN_BIT(FN_K_COUNT) - 1)
#define FN_IFNAME_MAX   16      /* IFNAMSIZ, NUL included */
#define FN_FRAC_DIGITS  12      /* fraction digits kept; more are ignored */

/* ---------------------------------------------------------------- units */

struct fn_unit {
	const char *name;       /* matched case-insensitively; "" = bare */
	uint64_t mult;
};

/* tc(8) rates: SI and IEC bits, and bytes ("bps") per second. */
static const struct fn_unit fn_rate_units[] = {
	{ "",      1 },
	{ "bit",   1 },
	{ "kbit",  UINT64_C(1000) },
	{ "mbit",  UINT64_C(1000000) },
	{ "gbit",  UINT64_C(1000000000) },
	{ "tbit",  UINT64_C(1000000000000) },
	{ "kibit", UINT64_C(1) << 10 },
	{ "mibit", UINT64_C(1) << 20 },
	{ "gibit", UINT64_C(1) << 30 },
	{ "tibit", UINT64_C(1) << 40 },
	{ "bps",   8 },
	{ "kbps",  UINT64_C(8000) },
	{ "mbps",  UINT64_C(8000000) },
	{ "gbps",  UINT64_C(8000000000) },
	{ "tbps",  UINT64_C(8000000000000) },
	{ "kibps", UINT64_C(8) << 10 },
	{ "mibps", UINT64_C(8) << 20 },
	{ "gibps", UINT64_C(8) << 30 },
	{ "tibps", UINT64_C(8) << 40 },
	{ NULL, 0 },
};

/* tc's get_size(): bytes, binary multiples; "kbit" etc. are 1024/8. */
static const struct fn_unit fn_size_units[] = {
	{ "",     1 },
	{ "b",    1 },
	{ "k",    UINT64_C(1) << 10 },
	{ "kb",   UINT64_C(1) << 10 },
	{ "m",    UINT64_C(1) << 20 },
	{ "mb",   UINT64_C(1) << 20 },
	{ "g",    UINT64_C(1) << 30 },
	{ "gb",   UINT64_C(1) << 30 },
	{ "kbit", UINT64_C(1) << 7 },
	{ "mbit", UINT64_C(1) << 17 },
	{ "gbit", UINT64_C(1) << 27 },
	{ NULL, 0 },
};

/* Packet counts: whole numbers, with decimal k/m for convenience. */
static const struct fn_unit fn_count_units[] = {
	{ "",  1 },
	{ "k", UINT64_C(1000) },
	{ "m", UINT64_C(1000000) },
	{ NULL, 0 },
};

/* Plain whole numbers (VLAN IDs). */
static const struct fn_unit fn_plain_units[] = {
	{ "", 1 },
	{ NULL, 0 },
};

/* Display units, ascending; fn_format_scaled() picks among them. */
static const struct fn_unit fn_rate_display[] = {
	{ "bit", 1 },
	{ "Kbit", UINT64_C(1000) },
	{ "Mbit", UINT64_C(1000000) },
	{ "Gbit", UINT64_C(1000000000) },
	{ "Tbit", UINT64_C(1000000000000) },
	{ NULL, 0 },
};

static const struct fn_unit fn_size_display[] = {
	{ "b",  1 },
	{ "Kb", UINT64_C(1) << 10 },
	{ "Mb", UINT64_C(1) << 20 },
	{ "Gb", UINT64_C(1) << 30 },
	{ NULL, 0 },
};

/*
 * Parse "<digits>[.<digits>]<unit>" against a unit table.
 * @return 0, -EINVAL (malformed, negative, unknown unit), -ERANGE (above
 *         max), -EDOM (non-zero but rounds to 0).
 */
static int
fn_scan(const char *s, const struct fn_unit *units, bool frac_ok,
	uint64_t max, uint64_t *out)
{
	uint64_t ip = 0, fnum = 0, fden = 1;
	bool nonzero = false;
	int ndig = 0;
	const char *p = s;

	if (s == NULL)
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++, ndig++) {
		/* Saturate above max: no unit scales down, so it stays too big. */
		if (ip <= max)
			ip = ip * 10 + (uint64_t)(*p - '0');
		nonzero |= *p != '0';
	}
	if (frac_ok && *p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, ndig++) {
			if (fden < UINT64_C(1000000000000)) {
				fnum = fnum * 10 + (uint64_t)(*p - '0');
				fden *= 10;
			}
			nonzero |= *p != '0';
		}
	}
	if (ndig == 0)
		return -EINVAL;

	const struct fn_unit *u;
	for (u = units; u->name != NULL; u++)
		if (strcasecmp(p, u->name) == 0)
			break;
	if (u->name == NULL)
		return -EINVAL;

	unsigned __int128 v = (unsigned __int128)ip * u->mult +
		((unsigned __int128)fnum * u->mult + fden / 2) / fden;
	if (v > max)
		return -ERANGE;
	if (v == 0 && nonzero)
		return -EDOM;
	*out = (uint64_t)v;
	return 0;
}

int
fn_parse_rate(const char *s, uint64_t *bits_per_sec)
{
	return fn_scan(s, fn_rate_units, true, FN_RATE_MAX, bits_per_sec) ?
		-1 : 0;
}

int
fn_parse_size(const char *s, uint64_t *bytes)
{
	return fn_scan(s, fn_size_units, true, FN_SIZE_MAX, bytes) ? -1 : 0;
}

int
fn_parse_count(const char *s, uint64_t *n)
{
	return fn_scan(s, fn_count_units, false, FN_COUNT_MAX, n) ? -1 : 0;
}

/*
 * Exact, like tc but never lossy, so the text parses back to the same
 * value: the largest unit not above v if it divides v ("10Mbit"), else
 * that unit with one decimal if exact ("1.5Mbit"), else the largest unit
 * that divides v ("1234Kbit", "1500001bit").
 */
static char *
fn_format_scaled(uint64_t v, const struct fn_unit *units, char *buf,
		 size_t len)
{
	int i = 0;

	if (buf == NULL || len == 0)
		return buf;
	while (units[i + 1].name != NULL && v >= units[i + 1].mult)
		i++;
	uint64_t m = units[i].mult;
	if (v % m != 0 && (v % m) * 10 % m == 0) {
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "%s", v / m,
			 (v % m) * 10 / m, units[i].name);
		return buf;
	}
	while (v % units[i].mult != 0)
		i--;            /* terminates: units[0].mult is 1 */
	snprintf(buf, len, "%" PRIu64 "%s", v / units[i].mult, units[i].name);
	return buf;
}

int
fn_parse_mode(const char *s, uint32_t *mode)
{
	uint32_t m = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 4 || strspn(s, "01234567") != n)
		return -1;
	for (size_t i = 0; i < n; i++)
		m = m * 8 + (uint32_t)(s[i] - '0');
	if (m > 0777)
		return -ERANGE;
	*mode = m;
	return 0;
}

char *
fn_format_rate(uint64_t bits_per_sec, char *buf, size_t len)
{
	return fn_format_scaled(bits_per_sec, fn_rate_display, buf, len);
}

char *
fn_format_size(uint64_t bytes, char *buf, size_t len)
{
	return fn_format_scaled(bytes, fn_size_display, buf, len);
}

/* ----------------------------------------------------------- the tables */

_Static_assert(FN_K_COUNT <= 32, "fn_vnic_params.set is 32 bits");
_Static_assert(FN_WEIGHT_MAX == FN_SCHED_WEIGHT_MAX, "weights: grammar and scheduler");
_Static_assert(FN_AQM_CODEL == 0 && FN_AQM_TAIL == 1, "fn_aqm_names[]");

#define FN_OFF(f) offsetof(struct fn_vnic_params, f)

/* FN_VNIC_KEYS as data; the two backends share FN_K_BACKEND (and `path`). */
/* The key of an entry: its own, but the tap spelling is FN_K_BACKEND's. */
#define FN_KEY_OF_MAC(k)       FN_K_##k
#define FN_KEY_OF_RATE(k)      FN_K_##k
#define FN_KEY_OF_RATE_AUTO(k) FN_K_##k
#define FN_KEY_OF_SIZE(k)      FN_K_##k
#define FN_KEY_OF_COUNT(k)     FN_K_##k
#define FN_KEY_OF_WEIGHT(k)    FN_K_##k
#define FN_KEY_OF_VLAN(k)      FN_K_##k
#define FN_KEY_OF_ONOFF(k)     FN_K_##k
#define FN_KEY_OF_AQM(k)       FN_K_##k
#define FN_KEY_OF_NAME(k)      FN_K_##k
#define FN_KEY_OF_PATH(k)      FN_K_##k
#define FN_KEY_OF_IFNAME(k)    FN_K_BACKEND
#define FN_KEY_OF_MODE(k)      FN_K_##k
#define FN_KEY_OF_GROUP(k)     FN_K_##k
#define FN_KEY_OF_IPSET(k)     FN_K_##k
#define FN_KEY_OF_ALLOW(k)     FN_K_##k

/* FN_VNIC_KEYS as data. */
const struct fn_key_info fn_vnic_keys[] = {
#define FN_X(kw, KEY, VAL, f, META, HOME, RESETS, ZERO, HELP) \
	{ kw, FN_KEY_OF_##VAL(KEY), FN_VAL_##VAL, #f, FN_OFF(f), META, \
	  FN_HOME_##HOME, RESETS, ZERO, HELP },
	FN_VNIC_KEYS(FN_X)
#undef FN_X
};
const size_t fn_vnic_nkeys = sizeof(fn_vnic_keys) / sizeof(fn_vnic_keys[0]);

/* FN_UPLINK_KEYS, in the same form (`key` holds an enum fn_uplink_key). */
static const struct fn_key_info fn_uplink_keys[] = {
#define FN_X(kw, KEY, VAL, f, META, HELP) \
	{ kw, (enum fn_vnic_key)FN_UK_##KEY, FN_VAL_##VAL, #f, \
	  offsetof(struct fn_uplink_params, f), META, FN_HOME_PORT, 0, NULL, HELP },
	FN_UPLINK_KEYS(FN_X)
#undef FN_X
};
#define FN_NUKEYS (sizeof(fn_uplink_keys) / sizeof(fn_uplink_keys[0]))

const char *const fn_vnic_gauge_names[FN_VG_MAX] = {
#define FN_X(n, h) #n,
	FN_VNIC_GAUGES(FN_X)
#undef FN_X
};

static const char *const fn_aqm_names[] = { "codel", "tail" };

const char *
fn_cmd_aqm_name(unsigned aqm)
{
	return aqm < 2 ? fn_aqm_names[aqm] : "?";
}

enum fn_name_arg {
	FN_NAME_NONE,
	FN_NAME_OPTIONAL,
	FN_NAME_REQUIRED,
};

/* Which key table a command takes. */
enum fn_keyset {
	FN_KEYSET_NONE,
	FN_KEYSET_VNIC,
	FN_KEYSET_UPLINK,
	FN_KEYSET_HELP,         /* help's [TOPIC] [--markdown] */
	FN_KEYSET_FILE,         /* config save's [FILE] */
};

struct fn_cmd_def {
	const char *word[2];    /* word[1] NULL for one-word commands */
	enum fn_cmd_op op;
	enum fn_name_arg name;
	const char *what;       /* what the name names: "vNIC", "uplink" */
	enum fn_keyset keyset;
	uint32_t keys;          /* keys accepted */
	uint32_t required;      /* keys that must be given */
	bool need_key;          /* at least one key */
	const char *synopsis;
	const char *help;
};

#define FN_UKEYS_ALL (FN_BIT(FN_UK_COUNT) - 1)

/*
 * When two entries match, the one with more keywords wins: `stats show`
 * and `stats reset` are commands, so a vNIC named "show" or "reset" needs
 * `stats show show`.
 */
static const struct fn_cmd_def fn_cmds[] = {
	{ { "vnic", "add" }, FN_CMD_VNIC_ADD, FN_NAME_REQUIRED, "vNIC",
	  FN_KEYSET_VNIC, FN_KEYS_ALL, FN_BIT(FN_K_MAC) | FN_BIT(FN_K_BACKEND),
	  false, "NAME mac MAC (vhost-user PATH | tap IFNAME) [KEY VALUE]...",
	  "create a vNIC" },
	{ { "vnic", "set" }, FN_CMD_VNIC_SET, FN_NAME_REQUIRED, "vNIC",
	  FN_KEYSET_VNIC, FN_KEYS_ALL & ~FN_BIT(FN_K_BACKEND), 0, true,
	  "NAME KEY VALUE [KEY VALUE]...",
	  "change some keys of a vNIC, at once; the others keep their values" },
	{ { "vnic", "del" }, FN_CMD_VNIC_DEL, FN_NAME_REQUIRED, "vNIC",
	  FN_KEYSET_NONE, 0, 0, false, "NAME", "delete a vNIC" },
	{ { "vnic", "show" }, FN_CMD_VNIC_SHOW, FN_NAME_OPTIONAL, "vNIC",
	  FN_KEYSET_NONE, 0, 0, false, "[NAME]", "show one or all vNICs" },
	{ { "vnic", "list" }, FN_CMD_VNIC_SHOW, FN_NAME_OPTIONAL, "vNIC",
	  FN_KEYSET_NONE, 0, 0, false, "[NAME]", "same as vnic show" },
	{ { "uplink", "set" }, FN_CMD_UPLINK_SET, FN_NAME_REQUIRED, "uplink",
	  FN_KEYSET_UPLINK, FN_UKEYS_ALL, 0, true,
	  "NAME [rx-rate RATE] [tx-rate RATE|auto]",
	  "set the capacity of an uplink's wire in each direction" },
	{ { "uplink", "show" }, FN_CMD_UPLINK_SHOW, FN_NAME_NONE, NULL,
	  FN_KEYSET_NONE, 0, 0, false, "", "show the uplinks" },
	{ { "stats", NULL }, FN_CMD_STATS_SHOW, FN_NAME_OPTIONAL, "vNIC",
	  FN_KEYSET_NONE, 0, 0, false, "[NAME]",
	  "counters of one vNIC, or of all vNICs and uplinks" },
	{ { "stats", "show" }, FN_CMD_STATS_SHOW, FN_NAME_OPTIONAL, "vNIC",
	  FN_KEYSET_NONE, 0, 0, false, "[NAME]", "same as stats" },
	{ { "stats", "reset" }, FN_CMD_STATS_RESET, FN_NAME_OPTIONAL, "vNIC",
	  FN_KEYSET_NONE, 0, 0, false, "[NAME]",
	  "zero the counters of one vNIC, or all counters" },
	{ { "help", NULL }, FN_CMD_HELP, FN_NAME_NONE, NULL, FN_KEYSET_HELP, 0,
	  0, false, "[keys|counters] [--markdown]",
	  "this help; the keys, or what stats shows (--markdown: as tables)" },
	{ { "config", "show" }, FN_CMD_CONFIG_SHOW, FN_NAME_NONE, NULL,
	  FN_KEYSET_NONE, 0, 0, false, "",
	  "the running configuration, as --config lines (what is not a default)" },
	{ { "config", "save" }, FN_CMD_CONFIG_SAVE, FN_NAME_NONE, NULL,
	  FN_KEYSET_FILE, 0, 0, false, "[FILE]",
	  "fairnicctl: write it to FILE, atomically (default: stdout)" },
	{ { "config", "reload" }, FN_CMD_CONFIG_RELOAD, FN_NAME_NONE, NULL,
	  FN_KEYSET_NONE, 0, 0, false, "",
	  "apply fairnicd's --config file again, as SIGHUP does" },
};

#define FN_NCMDS (sizeof(fn_cmds) / sizeof(fn_cmds[0]))

/* ---------------------------------------------------------------- usage */

/* A text built once, into a fixed buffer (fn_cmd_usage(), fn_cmd_help()). */
struct fn_text {
	char *buf;
	size_t size, n;
};

static void __attribute__((format(printf, 2, 3)))
fn_text_add(struct fn_text *t, const char *fmt, ...)
{
	va_list ap;

	if (t->n >= t->size)
		return;
	va_start(ap, fmt);
	int r = vsnprintf(t->buf + t->n, t->size - t->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		t->n += (size_t)r;
}

#define FN_TEXT_WIDTH 79

/* "  LEFT  help..." with the help wrapped at FN_TEXT_WIDTH under itself;
 * a LEFT too wide for its column gets a line of its own. */
static void
fn_text_row(struct fn_text *t, int width, const char *left, const char *help)
{
	int col = width + 3;            /* "  " + left column + " " */
	size_t room = FN_TEXT_WIDTH - (size_t)col;

	if ((int)strlen(left) < width)
		fn_text_add(t, "  %-*s ", width, left);
	else
		fn_text_add(t, "  %s\n%*s", left, col, "");
	while (*help != '\0') {
		size_t len = strlen(help), cut = len;
		if (len > room) {
			/* last blank within the room, else the first after it */
			for (cut = room; cut > 0 && help[cut] != ' '; cut--)
				;
			if (cut == 0)
				cut = strcspn(help, " ");
		}
		fn_text_add(t, "%.*s\n", (int)cut, help);
		help += cut;
		while (*help == ' ')
			help++;
		if (*help != '\0')
			fn_text_add(t, "%*s", col, "");
	}
}

/* A markdown table cell: '|' escaped. */
static void
fn_text_cell(struct fn_text *t, const char *pre, const char *s, const char *post)
{
	fn_text_add(t, "%s", pre);
	for (; *s != '\0'; s++)
		fn_text_add(t, *s == '|' ? "\\|" : "%c", *s);
	fn_text_add(t, "%s", post);
}

static void
fn_text_keys(struct fn_text *t, const struct fn_key_info *k, size_t n,
	     bool md)
{
	char left[128];

	if (md)
		fn_text_add(t, "| key | value | meaning |\n|---|---|---|\n");
	for (size_t i = 0; i < n; i++) {
		if (md) {
			fn_text_cell(t, "| `", k[i].name, "` ");
			fn_text_cell(t, "| `", k[i].meta, "` ");
			fn_text_cell(t, "| ", k[i].help, " |\n");
			continue;
		}
		snprintf(left, sizeof(left), "%s %s", k[i].name, k[i].meta);
		fn_text_row(t, 20, left, k[i].help);
	}
}

static void
fn_text_all_keys(struct fn_text *t, bool md)
{
	fn_text_add(t, md ? "Keys of `vnic add` and `vnic set` (and `--config` "
		    "lines):\n\n" : "Keys of vnic add and vnic set:\n");
	fn_text_keys(t, fn_vnic_keys, fn_vnic_nkeys, md);
	fn_text_add(t, md ? "\nKeys of `uplink set NAME`:\n\n" :
		    "\nKeys of uplink set:\n");
	fn_text_keys(t, fn_uplink_keys, FN_NUKEYS, md);
}

static char fn_usage_buf[16384];
static pthread_once_t fn_usage_once = PTHREAD_ONCE_INIT;

static void
fn_usage_build(void)
{
	struct fn_text t = { fn_usage_buf, sizeof(fn_usage_buf), 0 };
	char left[128];

	fn_text_add(&t, "Commands:\n");
	for (size_t i = 0; i < FN_NCMDS; i++) {
		const struct fn_cmd_def *d = &fn_cmds[i];
		snprintf(left, sizeof(left), "%s%s%s%s%s", d->word[0],
			 d->word[1] ? " " : "", d->word[1] ? d->word[1] : "",
			 d->synopsis[0] ? " " : "", d->synopsis);
		fn_text_row(&t, 20, left, d->help);
	}
	fn_text_add(&t, "\n");
	fn_text_all_keys(&t, false);
	fn_text_add(&t,
		"\nValues (units as in tc(8), case-insensitive):\n"
		"  RATE  bits/s: 123, 123bit, 10kbit, 1.5mbit, 1gbit, 1tbit;\n"
		"        IEC kibit, mibit, gibit, tibit; bytes/s bps, kbps,\n"
		"        mbps, gbps, tbps, kibps, mibps, gibps, tibps\n"
		"  SIZE  bytes: 1514, 1514b, 64k, 64kb, 1m, 1mb, 1g, 1gb;\n"
		"        kbit, mbit, gbit (1kbit = 128 bytes)\n"
		"  N     whole number, or with k (x1000), m (x1000000);\n"
		"        a weight is a whole number in 1..%d\n"
		"  NAME  1 to %d characters of A-Z a-z 0-9 _ . -\n"
		"  MAC   unicast, e.g. 52:54:00:00:00:01\n",
		FN_WEIGHT_MAX, FN_NAME_MAX - 1);
}

const char *
fn_cmd_usage(void)
{
	pthread_once(&fn_usage_once, fn_usage_build);
	return fn_usage_buf;
}

/* `help keys` and `help counters`, plain and markdown. */
static char fn_help_buf[2][2][16384];
static pthread_once_t fn_help_once = PTHREAD_ONCE_INIT;

static const struct {
	const char *name, *help;
} fn_vc_help[] = {
#define FN_X(n, h) { #n, h },
	FN_VNIC_COUNTERS(FN_X)
#undef FN_X
}, fn_vg_help[] = {
#define FN_X(n, h) { #n, h },
	FN_VNIC_GAUGES(FN_X)
#undef FN_X
}, fn_uc_help[] = {
#define FN_X(n, h) { #n, h },
	FN_UPLINK_COUNTERS(FN_X)
#undef FN_X
};

static void
fn_text_counters(struct fn_text *t, const char *title, const char *col,
		 const __typeof__(fn_vc_help[0]) *c, size_t n, bool md)
{
	fn_text_add(t, md ? "%s:\n\n| %s | meaning |\n|---|---|\n" : "%s:\n",
		    title, col);
	for (size_t i = 0; i < n; i++) {
		if (md) {
			fn_text_cell(t, "| `", c[i].name, "` ");
			fn_text_cell(t, "| ", c[i].help, " |\n");
		} else {
			fn_text_row(t, 22, c[i].name, c[i].help);
		}
	}
}

static void
fn_help_build(void)
{
	for (int md = 0; md < 2; md++) {
		struct fn_text k = { fn_help_buf[0][md], sizeof(fn_help_buf[0][md]), 0 };
		struct fn_text c = { fn_help_buf[1][md], sizeof(fn_help_buf[1][md]), 0 };

		fn_text_all_keys(&k, md);
		fn_text_counters(&c, "Per vNIC (\"rx\" is towards the guest, "
				 "\"tx\" is from the guest)", "counter", fn_vc_help,
				 FN_VC_MAX, md);
		fn_text_add(&c, "\n");
		fn_text_counters(&c, "Also per vNIC (not counters: measured when "
				 "shown)", "field", fn_vg_help, FN_VG_MAX, md);
		fn_text_add(&c, "\n");
		fn_text_counters(&c, "Per uplink (\"rx\" is from the wire, \"tx\" "
				 "is to the wire)", "counter", fn_uc_help,
				 FN_UC_MAX, md);
	}
}

const char *
fn_cmd_help(enum fn_help_topic topic, bool markdown)
{
	if (topic != FN_HELP_KEYS && topic != FN_HELP_COUNTERS)
		return fn_cmd_usage();
	pthread_once(&fn_help_once, fn_help_build);
	return fn_help_buf[topic == FN_HELP_COUNTERS][markdown];
}

/* -------------------------------------------------------------- parsing */

struct fn_ctx {
	const struct fn_cmd_def *def;   /* prefixes errors once known */
	char *err;
	size_t errlen;
};

/* Format one error line, "vnic add: ...", and return -1. */
static int __attribute__((format(printf, 2, 3)))
fn_fail(struct fn_ctx *c, const char *fmt, ...)
{
	va_list ap;
	size_t n = 0;

	if (c->err == NULL || c->errlen == 0)
		return -1;
	if (c->def != NULL) {
		int r = snprintf(c->err, c->errlen, "%s%s%s: ", c->def->word[0],
				 c->def->word[1] ? " " : "",
				 c->def->word[1] ? c->def->word[1] : "");
		n = r < 0 ? 0 : (size_t)r;
		if (n >= c->errlen)
			return -1;
	}
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

#define FN_QLEN 48

/*
 * A user's word, fit to quote in an error: at most 40 bytes, and printable
 * ASCII only, so the line stays one line and valid UTF-8 when cut.
 */
static const char *
fn_quote(const char *s, char q[FN_QLEN])
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < 40; i++)
		q[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i] != '\0') {
		memcpy(q + i, "...", 3);
		i += 3;
	}
	q[i] = '\0';
	return q;
}

bool
fn_cmd_name_valid(const char *s)
{
	size_t i;

	if (s == NULL)
		return false;
	/* Spelled out rather than isalnum(): names must not vary by locale. */
	for (i = 0; s[i] != '\0'; i++) {
		char ch = s[i];

		if (i >= FN_NAME_MAX - 1)
			return false;
		if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
		    !(ch >= '0' && ch <= '9') && ch != '_' && ch != '.' &&
		    ch != '-')
			return false;
	}
	return i > 0;
}

/* Group names as useradd(8) takes them ([a-z_][a-z0-9_-]*[$]?, we are a
 * little wider: any of [A-Za-z0-9_.-]), or a number. */
bool
fn_cmd_group_valid(const char *s)
{
	return fn_cmd_name_valid(s) && s[0] != '-';
}

/* Linux's dev_valid_name(), minus what fn_cmd_split() cannot produce. */
static bool
fn_ifname_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= FN_IFNAME_MAX)
		return false;
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	/* Printable ASCII only: names travel in JSON, logs and errors. */
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] <= ' ' || s[i] > '~')
			return false;
	return true;
}

/* A path may hold any UTF-8 text but no control characters: it is quoted
 * back in one-line errors and carried in JSON, which needs valid UTF-8. */
static bool
fn_path_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (*p == '\0' || strlen(s) >= FN_PATH_MAX)
		return false;
	while (*p) {
		int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 :
			(*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
		if (n < 0 || *p < 0x20 || *p == 0x7f || (n == 1 && *p < 0xc2) ||
		    (n == 3 && *p > 0xf4))
			return false;
		uint32_t cp = n == 0 ? *p : *p & (0x3f >> n);
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		/* overlong, surrogates, beyond U+10FFFF; C1 controls */
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
			return false;
		p += n + 1;
	}
	return true;
}

static int
fn_vlan_parse(const char *s, uint16_t *vlan)
{
	uint64_t v;

	if (strcasecmp(s, "none") == 0) {
		*vlan = FN_VLAN_NONE;
		return 0;
	}
	if (fn_scan(s, fn_plain_units, false, FN_VLAN_MAX, &v) != 0 || v == 0)
		return -1;
	*vlan = (uint16_t)v;
	return 0;
}

/* Error text for a number fn_scan() refused. */
static int
fn_number_fail(struct fn_ctx *c, int r, const char *what, const char *word,
	       const struct fn_key_info *k, const char *example)
{
	char q[FN_QLEN];

	fn_quote(word, q);
	if (r == -ERANGE)
		return fn_fail(c, "%s \"%s\" for %s is too large (max %s)", what,
			       q, k->name, example);
	if (r == -EDOM)
		return fn_fail(c, "%s \"%s\" for %s rounds to 0 (0 means "
			       "unlimited; give it explicitly)", what, q,
			       k->name);
	return fn_fail(c, "invalid %s \"%s\" for %s (expected e.g. %s)", what, q,
		       k->name, example);
}

/* Parse the value of key `k` into its field at `base` + k->off. */
static int
fn_value_parse(struct fn_ctx *c, const struct fn_key_info *k, const char *v,
	       void *base)
{
	void *dst = (char *)base + k->off;
	char q[FN_QLEN];
	uint64_t x = 0;
	uint16_t vlan;
	int r;

	fn_quote(v, q);
	switch (k->val) {
	case FN_VAL_MAC:
		if (fn_mac_parse(v, &x) != 0)
			return fn_fail(c, "invalid mac \"%s\" (expected e.g. "
				       "52:54:00:00:00:01)", q);
		if (x == 0)
			return fn_fail(c, "invalid mac \"%s\": all-zero address",
				       q);
		if (fn_mac_is_group(x))
			return fn_fail(c, "invalid mac \"%s\": group (multicast) "
				       "bit set, a vNIC needs a unicast address",
				       q);
		break;
	case FN_VAL_RATE_AUTO:
		if (strcasecmp(v, "auto") == 0) {
			x = FN_RATE_AUTO;
			break;
		}
		/* fall through */
	case FN_VAL_RATE:
		r = fn_scan(v, fn_rate_units, true, FN_RATE_MAX, &x);
		if (r != 0)
			return fn_number_fail(c, r, "rate", v, k, r == -ERANGE ?
					      "10tbit" : k->val == FN_VAL_RATE ?
					      "10mbit, 1gbit, 500kbps" :
					      "10mbit, 1gbit, 500kbps, auto");
		break;
	case FN_VAL_SIZE:
		r = fn_scan(v, fn_size_units, true, FN_SIZE_MAX, &x);
		if (r != 0)
			return fn_number_fail(c, r, "size", v, k, r == -ERANGE ?
					      "1gb" : "1514, 64kb, 1mb");
		break;
	case FN_VAL_COUNT:
		r = fn_scan(v, fn_count_units, false, FN_COUNT_MAX, &x);
		if (r != 0)
			return fn_number_fail(c, r, "count", v, k, r == -ERANGE ?
					      "1000000000000" : "24000, 100k");
		break;
	case FN_VAL_WEIGHT: {
		if (fn_scan(v, fn_plain_units, false, FN_WEIGHT_MAX, &x) != 0 ||
		    x == 0)
			return fn_fail(c, "invalid weight \"%s\" for %s (expected "
				       "a whole number in 1..%d)", q, k->name,
				       FN_WEIGHT_MAX);
		uint32_t w = (uint32_t)x;
		memcpy(dst, &w, sizeof(w));
		return 0;
	}
	case FN_VAL_AQM: {
		uint8_t a;
		if (strcasecmp(v, "codel") == 0)
			a = FN_AQM_CODEL;
		else if (strcasecmp(v, "tail") == 0)
			a = FN_AQM_TAIL;
		else
			return fn_fail(c, "invalid value \"%s\" for %s (expected "
				       "codel or tail)", q, k->name);
		memcpy(dst, &a, sizeof(a));
		return 0;
	}
	case FN_VAL_VLAN:
		if (fn_vlan_parse(v, &vlan) != 0)
			return fn_fail(c, "invalid vlan \"%s\" (expected 1..%d "
				       "or none)", q, FN_VLAN_MAX);
		memcpy(dst, &vlan, sizeof(vlan));
		return 0;
	case FN_VAL_ONOFF:
		if (strcasecmp(v, "on") != 0 && strcasecmp(v, "off") != 0)
			return fn_fail(c, "invalid value \"%s\" for %s (expected "
				       "on or off)", q, k->name);
		*(bool *)dst = strcasecmp(v, "on") == 0;
		return 0;
	case FN_VAL_NAME:
		if (!fn_cmd_name_valid(v))
			return fn_fail(c, "invalid %s name \"%s\" (1 to %d "
				       "characters of A-Z a-z 0-9 _ . -)",
				       k->name, q, FN_NAME_MAX - 1);
		strcpy(dst, v);
		return 0;
	case FN_VAL_PATH:
		if (!fn_path_valid(v))
			return fn_fail(c, "invalid vhost-user path \"%s\" (1 to "
				       "%d bytes of UTF-8, no control characters)",
				       q, FN_PATH_MAX - 1);
		strcpy(dst, v);
		return 0;
	case FN_VAL_MODE: {
		uint32_t m;
		r = fn_parse_mode(v, &m);
		if (r == -ERANGE)
			return fn_fail(c, "invalid mode \"%s\" (permission bits "
				       "only, at most 0777)", q);
		if (r != 0)
			return fn_fail(c, "invalid mode \"%s\" (octal, 0 to 0777, "
				       "e.g. 0660)", q);
		memcpy(dst, &m, sizeof(m));
		return 0;
	}
	case FN_VAL_GROUP:
		if (!fn_cmd_group_valid(v))
			return fn_fail(c, "invalid group \"%s\" (a group name or "
				       "number, 1 to %d characters)", q,
				       FN_NAME_MAX - 1);
		strcpy(dst, v);
		return 0;
	case FN_VAL_IPSET: {
		char why[160];
		if (fn_ipset_parse(v, dst, why, sizeof(why)) != 0)
			return fn_fail(c, "invalid %s \"%s\": %s", k->name, q, why);
		return 0;
	}
	case FN_VAL_ALLOW:
		if (strcasecmp(v, "allow") != 0 && strcasecmp(v, "deny") != 0)
			return fn_fail(c, "invalid value \"%s\" for %s (expected "
				       "allow or deny)", q, k->name);
		*(bool *)dst = strcasecmp(v, "allow") == 0;
		return 0;
	case FN_VAL_IFNAME:
		if (!fn_ifname_valid(v))
			return fn_fail(c, "invalid tap interface name \"%s\" (1 "
				       "to %d printable ASCII characters, no '/', "
				       "':' or blanks)",
				       q, FN_IFNAME_MAX - 1);
		strcpy(dst, v);
		return 0;
	}
	memcpy(dst, &x, sizeof(x));    /* MAC, RATE, SIZE, COUNT: uint64_t */
	return 0;
}

static const struct fn_key_info *
fn_key_lookup(const struct fn_key_info *keys, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* "KEY VALUE" pairs of the command's key table, then its required and
 * minimum keys. */
static int
fn_keys_parse(struct fn_ctx *c, int argc, char *const argv[],
	      struct fn_cmd *cmd)
{
	const struct fn_cmd_def *d = c->def;
	bool vnic = d->keyset == FN_KEYSET_VNIC;
	const struct fn_key_info *keys = vnic ? fn_vnic_keys : fn_uplink_keys;
	size_t nkeys = vnic ? fn_vnic_nkeys : FN_NUKEYS;
	void *base = vnic ? (void *)&cmd->p : (void *)&cmd->up;
	uint32_t *set = vnic ? &cmd->p.set : &cmd->up.set;
	char q[FN_QLEN];

	for (int i = 0; i < argc; i += 2) {
		const struct fn_key_info *k = fn_key_lookup(keys, nkeys, argv[i]);

		if (k == NULL)
			return fn_fail(c, "unknown key \"%s\"",
				       fn_quote(argv[i], q));
		if (!(d->keys & FN_BIT(k->key))) {
			if (vnic && k->key == FN_K_BACKEND)
				return fn_fail(c, "backend cannot be changed; "
					       "delete and re-add the vnic");
			return fn_fail(c, "key %s not accepted here", k->name);
		}
		if (*set & FN_BIT(k->key)) {
			if (vnic && k->key == FN_K_BACKEND)
				return fn_fail(c, "only one backend (vhost-user "
					       "PATH or tap IFNAME) may be given");
			return fn_fail(c, "%s given twice", k->name);
		}
		if (i + 1 >= argc)
			return fn_fail(c, "missing value for %s", k->name);
		if (fn_value_parse(c, k, argv[i + 1], base) != 0)
			return -1;
		if (k->val == FN_VAL_PATH)
			cmd->p.backend = FN_BACKEND_VHOST_USER;
		else if (k->val == FN_VAL_IFNAME)
			cmd->p.backend = FN_BACKEND_TAP;
		*set |= FN_BIT(k->key);
	}

	uint32_t missing = d->required & ~*set;
	if (vnic && (missing & FN_BIT(FN_K_MAC)))
		return fn_fail(c, "missing mac");
	if (vnic && (missing & FN_BIT(FN_K_BACKEND)))
		return fn_fail(c, "missing backend (vhost-user PATH or tap "
			       "IFNAME)");
	for (size_t i = 0; i < nkeys; i++)
		if (missing & FN_BIT(keys[i].key))
			return fn_fail(c, "missing %s", keys[i].name);
	if (d->need_key && *set == 0)
		return fn_fail(c, "nothing to set (give at least one KEY VALUE, "
			       "e.g. %s)", vnic ? "rx-rate 10mbit" :
			       "tx-rate 1gbit");
	return 0;
}

/* help's words: [keys|counters] [--markdown], in any order. */
static int
fn_help_parse(struct fn_ctx *c, int argc, char *const argv[],
	      struct fn_cmd *cmd)
{
	char q[FN_QLEN];

	for (int i = 0; i < argc; i++) {
		enum fn_help_topic t = FN_HELP_ALL;
		if (strcmp(argv[i], "--markdown") == 0) {
			if (cmd->markdown)
				return fn_fail(c, "--markdown given twice");
			cmd->markdown = true;
			continue;
		}
		if (strcmp(argv[i], "keys") == 0)
			t = FN_HELP_KEYS;
		else if (strcmp(argv[i], "counters") == 0)
			t = FN_HELP_COUNTERS;
		else
			return fn_fail(c, "unexpected argument \"%s\" (expected "
				       "keys, counters or --markdown)",
				       fn_quote(argv[i], q));
		if (cmd->topic != FN_HELP_ALL)
			return fn_fail(c, "one topic at a time (keys or counters)");
		cmd->topic = t;
	}
	if (cmd->markdown && cmd->topic == FN_HELP_ALL)
		return fn_fail(c, "--markdown needs a topic (help keys --markdown, "
			       "help counters --markdown)");
	return 0;
}

/* Find the command; on failure say whether the first or second word is
 * wrong, listing the choices for the second. */
static const struct fn_cmd_def *
fn_cmd_lookup(struct fn_ctx *c, int argc, char *const argv[], int *nwords)
{
	const struct fn_cmd_def *best = NULL;
	char list[128] = "", q[FN_QLEN];
	bool group = false;

	for (size_t i = 0; i < FN_NCMDS; i++) {
		const struct fn_cmd_def *d = &fn_cmds[i];
		int n = d->word[1] ? 2 : 1;

		if (strcmp(d->word[0], argv[0]) != 0)
			continue;
		group = true;
		if (n == 2 && (argc < 2 || strcmp(d->word[1], argv[1]) != 0))
			continue;
		if (best == NULL || n > *nwords) {
			best = d;
			*nwords = n;
		}
	}
	if (best != NULL)
		return best;
	if (!group) {
		fn_fail(c, "unknown command \"%s\" (try \"help\")",
			fn_quote(argv[0], q));
		return NULL;
	}
	for (size_t i = 0; i < FN_NCMDS; i++) {
		if (strcmp(fn_cmds[i].word[0], argv[0]) != 0 ||
		    fn_cmds[i].word[1] == NULL)
			continue;
		size_t n = strlen(list);
		snprintf(list + n, sizeof(list) - n, "%s%s", n ? ", " : "",
			 fn_cmds[i].word[1]);
	}
	if (argc < 2)
		fn_fail(c, "%s: missing subcommand (expected %s)", argv[0], list);
	else
		fn_fail(c, "%s: unknown subcommand \"%s\" (expected %s)",
			argv[0], fn_quote(argv[1], q), list);
	return NULL;
}

int
fn_cmd_parse(int argc, char *const argv[], struct fn_cmd *cmd, char *err,
	     size_t errlen)
{
	struct fn_ctx c = { .def = NULL, .err = err, .errlen = errlen };
	char q[FN_QLEN];
	int i = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	memset(cmd, 0, sizeof(*cmd));
	cmd->p.vlan = FN_VLAN_NONE;     /* fields not given read as "untagged" */
	if (argc <= 0 || argv == NULL || argv[0] == NULL)
		return fn_fail(&c, "empty command (try \"help\")");

	c.def = fn_cmd_lookup(&c, argc, argv, &i);
	if (c.def == NULL)
		return -1;
	cmd->op = c.def->op;

	if (c.def->name != FN_NAME_NONE && i < argc) {
		if (!fn_cmd_name_valid(argv[i]))
			return fn_fail(&c, "invalid name \"%s\" (1 to %d "
				       "characters of A-Z a-z 0-9 _ . -)",
				       fn_quote(argv[i], q), FN_NAME_MAX - 1);
		strcpy(cmd->name, argv[i++]);
	} else if (c.def->name == FN_NAME_REQUIRED) {
		return fn_fail(&c, "missing %s name", c.def->what);
	}

	if (c.def->keyset == FN_KEYSET_VNIC || c.def->keyset == FN_KEYSET_UPLINK)
		return fn_keys_parse(&c, argc - i, argv + i, cmd);
	if (c.def->keyset == FN_KEYSET_HELP)
		return fn_help_parse(&c, argc - i, argv + i, cmd);
	if (c.def->keyset == FN_KEYSET_FILE && i < argc) {
		if (argv[i][0] == '\0')
			return fn_fail(&c, "empty FILE name");
		cmd->file = argv[i++];
	}
	if (i < argc)
		return fn_fail(&c, "unexpected argument \"%s\"",
			       fn_quote(argv[i], q));
	return 0;
}

int
fn_cmd_split(char *line, char *argv[], int max)
{
	int n = 0;
	char *p = line;

	if (line == NULL)
		return 0;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#')
			return n;
		if (n >= max)
			return -1;
		argv[n++] = p;
		while (*p != '\0' && *p != '#' && !isspace((unsigned char)*p))
			p++;
		if (*p == '#') {        /* a comment may follow a word directly */
			*p = '\0';
			return n;
		}
		if (*p != '\0')
			*p++ = '\0';
	}
}

/* --------------------------------------------------------- config lines */

_Static_assert(3 + 2 * FN_K_COUNT <= FN_CFG_WORDS_MAX,
	       "a vnic add line with every key must fit the words of a config line");

bool
fn_cmd_word_ok(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	/* fn_cmd_split()'s separators and comment */
	for (; *s != '\0'; s++)
		if (isspace((unsigned char)*s) || *s == '#')
			return false;
	return true;
}

uint32_t
fn_vnic_given(uint32_t given, uint32_t set)
{
	uint32_t reset = 0;

	for (size_t i = 0; i < fn_vnic_nkeys; i++)
		if (set & FN_BIT(fn_vnic_keys[i].key))
			reset |= fn_vnic_keys[i].resets;
	return (given & ~reset) | set;
}

static uint64_t
fn_field_u64(const void *f)
{
	uint64_t x;
	memcpy(&x, f, sizeof(x));
	return x;
}

/* A number with its unit, or a bare 0 (no limit). */
static int
fn_scaled_value(uint64_t x, bool rate, char *buf, size_t len)
{
	char v[48];
	if (x == 0)
		return snprintf(buf, len, "0");
	return snprintf(buf, len, "%s", rate ? fn_format_rate(x, v, sizeof(v)) :
			fn_format_size(x, v, sizeof(v)));
}

/* The value of key k, in its field at base + k->off, as fn_value_parse()
 * reads it back. */
static int
fn_value_format(const struct fn_key_info *k, const void *base, char *buf,
		size_t len)
{
	const char *f = (const char *)base + k->off;
	char mac[18];
	uint32_t u32;
	uint16_t vlan;

	switch (k->val) {
	case FN_VAL_MAC:
		return snprintf(buf, len, "%s", fn_mac_format(fn_field_u64(f), mac));
	case FN_VAL_RATE_AUTO:
		if (fn_field_u64(f) == FN_RATE_AUTO)
			return snprintf(buf, len, "auto");
		/* fall through */
	case FN_VAL_RATE:
		return fn_scaled_value(fn_field_u64(f), true, buf, len);
	case FN_VAL_SIZE:
		return fn_scaled_value(fn_field_u64(f), false, buf, len);
	case FN_VAL_COUNT:
		return snprintf(buf, len, "%" PRIu64, fn_field_u64(f));
	case FN_VAL_WEIGHT:
		memcpy(&u32, f, sizeof(u32));
		return snprintf(buf, len, "%" PRIu32, u32);
	case FN_VAL_MODE:
		memcpy(&u32, f, sizeof(u32));
		return snprintf(buf, len, "%04" PRIo32, u32);
	case FN_VAL_VLAN:
		memcpy(&vlan, f, sizeof(vlan));
		if (vlan == FN_VLAN_NONE)
			return snprintf(buf, len, "none");
		return snprintf(buf, len, "%u", (unsigned)vlan);
	case FN_VAL_ONOFF:
		return snprintf(buf, len, "%s", *(const bool *)f ? "on" : "off");
	case FN_VAL_ALLOW:
		return snprintf(buf, len, "%s", *(const bool *)f ? "allow" : "deny");
	case FN_VAL_AQM:
		return snprintf(buf, len, "%s", fn_cmd_aqm_name(*(const uint8_t *)f));
	case FN_VAL_IPSET:
		return (int)fn_ipset_format((const struct fn_ipset *)(const void *)f,
					    buf, len);
	case FN_VAL_NAME:
	case FN_VAL_PATH:
	case FN_VAL_IFNAME:
	case FN_VAL_GROUP:
		return snprintf(buf, len, "%s", f);
	}
	return snprintf(buf, len, "?");
}

int
fn_cmd_vnic_value(const struct fn_key_info *k, const struct fn_vnic_params *p,
		  char *buf, size_t len)
{
	return fn_value_format(k, p, buf, len);
}

/* Is entry k the spelling of its key that p uses? Only the backend has
 * two (vhost-user PATH, tap IFNAME). */
static bool
fn_spelling_of(const struct fn_key_info *k, const struct fn_vnic_params *p)
{
	if (k->key != FN_K_BACKEND)
		return true;
	return k->val == (p->backend == FN_BACKEND_TAP ? FN_VAL_IFNAME : FN_VAL_PATH);
}

/* "KEY VALUE" of every key of `keys` in *set, after the line so far. */
static int
fn_line_keys(struct fn_text *t, const struct fn_key_info *keys, size_t n,
	     uint32_t set, const void *base, const struct fn_vnic_params *p,
	     const char **bad)
{
	char v[FN_IPSET_STRLEN + FN_PATH_MAX];

	for (size_t i = 0; i < n; i++) {
		const struct fn_key_info *k = &keys[i];
		if (!(set & FN_BIT(k->key)) || (p != NULL && !fn_spelling_of(k, p)))
			continue;
		int r = fn_value_format(k, base, v, sizeof(v));
		if (r < 0 || (size_t)r >= sizeof(v) || !fn_cmd_word_ok(v)) {
			if (bad != NULL)
				*bad = k->name;
			return -EINVAL;
		}
		fn_text_add(t, " %s %s", k->name, v);
	}
	return 0;
}

/* The length of a finished line, or -ENOSPC: it must fit the buffer and
 * be read back whole (fnd_ctl_run_config's buffer: line, newline, NUL). */
static int
fn_line_end(const struct fn_text *t)
{
	if (t->n >= t->size || t->n > FN_CFG_LINE_MAX - 2)
		return -ENOSPC;
	return (int)t->n;
}

int
fn_cmd_vnic_line(const char *name, const struct fn_vnic_params *p, char *buf,
		 size_t len, const char **bad)
{
	const uint32_t must = FN_BIT(FN_K_MAC) | FN_BIT(FN_K_BACKEND);
	struct fn_text t = { buf, len, 0 };

	if (bad != NULL)
		*bad = "name";
	if (buf == NULL || len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if (!fn_cmd_word_ok(name) || (p->set & must) != must)
		return -EINVAL;
	fn_text_add(&t, "vnic add %s", name);
	int rc = fn_line_keys(&t, fn_vnic_keys, fn_vnic_nkeys, p->set, p, p, bad);
	return rc ? rc : fn_line_end(&t);
}

int
fn_cmd_uplink_line(const char *name, const struct fn_uplink_params *u, char *buf,
		   size_t len)
{
	struct fn_text t = { buf, len, 0 };

	if (buf == NULL || len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if (!fn_cmd_word_ok(name))
		return -EINVAL;
	fn_text_add(&t, "uplink set %s", name);
	int rc = fn_line_keys(&t, fn_uplink_keys, FN_NUKEYS, u->set, u, NULL, NULL);
	return rc ? rc : fn_line_end(&t);
}
