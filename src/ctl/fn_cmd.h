/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FN_CMD_H
#define FN_CMD_H
/*
 * fn_cmd: the one grammar of fairnic commands, shared by fairnicctl, the
 * control socket and `fairnicd --config` files. A command is a vector of
 * words ("vnic", "add", "vm1", "mac", "52:54:00:00:00:01", ...), parsed by
 * a declarative table of commands and keys, each with help text and a
 * validator, into a struct fn_cmd. Parsing is pure: nothing is applied.
 *
 * Units follow tc(8): rates take bit, kbit, mbit, gbit, tbit (SI, x1000),
 * kibit.. (IEC, x1024), bps, kbps, mbps, gbps, tbps (bytes per second);
 * sizes take b, kb/k, mb/m, gb/g (x1024), kbit, mbit, gbit; packet counts
 * are plain numbers. A rate of 0 removes the limit.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fn_l3.h"

#define FN_NAME_MAX   32   /**< vNIC and uplink names, NUL included */
#define FN_PATH_MAX   108  /**< sun_path size */

enum fn_cmd_op {
	FN_CMD_VNIC_ADD,
	FN_CMD_VNIC_SET,
	FN_CMD_VNIC_DEL,
	FN_CMD_VNIC_SHOW,
	FN_CMD_UPLINK_SET,
	FN_CMD_UPLINK_SHOW,
	FN_CMD_STATS_SHOW,
	FN_CMD_STATS_RESET,
	FN_CMD_HELP,
	FN_CMD_CONFIG_SHOW,
	FN_CMD_CONFIG_SAVE,
	FN_CMD_CONFIG_RELOAD,
};

enum fn_backend {
	FN_BACKEND_VHOST_USER,
	FN_BACKEND_TAP,
};

/** What a key's value is: how it is parsed, stored, shown and put in JSON. */
enum fn_val {
	FN_VAL_MAC,             /**< unicast MAC -> uint64_t */
	FN_VAL_RATE,            /**< bits/s -> uint64_t */
	FN_VAL_RATE_AUTO,       /**< bits/s or "auto" (FN_RATE_AUTO) -> uint64_t */
	FN_VAL_SIZE,            /**< bytes -> uint64_t */
	FN_VAL_COUNT,           /**< packets -> uint64_t */
	FN_VAL_WEIGHT,          /**< 1..FN_WEIGHT_MAX -> uint32_t */
	FN_VAL_VLAN,            /**< 1..4094 or none -> uint16_t */
	FN_VAL_ONOFF,           /**< on|off -> bool */
	FN_VAL_AQM,             /**< codel|tail -> uint8_t (enum fn_rx_aqm) */
	FN_VAL_NAME,            /**< an uplink name -> char[FN_NAME_MAX] */
	FN_VAL_PATH,            /**< vhost-user socket path -> char[FN_PATH_MAX] */
	FN_VAL_IFNAME,          /**< tap interface name, in the PATH key's field */
	FN_VAL_MODE,            /**< file mode, octal 0..0777 -> uint32_t */
	FN_VAL_GROUP,           /**< group name or number -> char[FN_NAME_MAX] */
	FN_VAL_IPSET,           /**< any|none|ADDR[/LEN],... -> struct fn_ipset */
	FN_VAL_ALLOW,           /**< allow|deny -> bool (true: allow) */
};

/** Where the daemon keeps a vNIC key's value. */
enum fn_key_home {
	FN_HOME_CONF,   /**< struct fn_vnic_conf, same field; vnic show line 1 */
	FN_HOME_LIMIT,  /**< struct fn_vnic_conf, same field; vnic show limit lines */
	FN_HOME_UPLINK, /**< fn_vnic_conf.uplink, an index looked up by name */
	FN_HOME_PORT,   /**< the backend and its socket (fnd_vport), not the conf */
};

/*
 * FN_VNIC_KEYS(X): every key of `vnic add` / `vnic set` (and --config
 * files), in the order of the usage, the README table, `vnic show` and the
 * JSON. Everything about a key is here; the enum, struct fn_vnic_params,
 * the parser's table, the help text, the daemon's merge into struct
 * fn_vnic_conf, `vnic show`'s JSON and fairnicctl's limit lines are
 * generated from it.
 *
 *   X(keyword, KEY, VAL, field, META, HOME, RESETS, ZERO, HELP)
 *
 * keyword  as typed ("rx-rate")
 * KEY      its enum fn_vnic_key, FN_K_<KEY>; bit FN_K_<KEY> of params.set
 * VAL      its value type, FN_VAL_<VAL>, which also gives the field's C type
 * field    member of struct fn_vnic_params; for HOME CONF, LIMIT and UPLINK
 *          the same name in struct fn_vnic_conf (fn_switch.h) and in the
 *          JSON of `vnic show`, which is the keyword with '-' -> '_'
 *          (unit-tested)
 * META     metavariable of the usage
 * HOME     FN_HOME_<HOME>: where the daemon keeps it (enum fn_key_home)
 * RESETS   keys (FN_KB(...)) whose value goes back to 0 (= the default,
 *          which follows this key) when this key is given without them:
 *          a new rate gets the new rate's default burst and queue
 * ZERO     what 0 means in `vnic show`, or NULL
 * HELP     one line for `help` and the README's table
 *
 * The two backends are one key, FN_K_BACKEND, spelled "vhost-user PATH" or
 * "tap IFNAME": the tap entry (VAL IFNAME) adds no enum value and no field
 * of its own (its name lands in `path`, p->backend says which).
 */
#define FN_KB(k) (UINT32_C(1) << FN_K_##k)
#define FN_VNIC_KEYS(X) \
	X("mac", MAC, MAC, mac, "MAC", CONF, 0, NULL, \
	  "the guest's unicast MAC; frames it sends from another MAC are dropped") \
	X("vhost-user", BACKEND, PATH, path, "PATH", PORT, 0, NULL, \
	  "backend: vhost-user socket, fairnicd is the server (add only)") \
	X("tap", BACKEND, IFNAME, path, "IFNAME", PORT, 0, NULL, \
	  "backend: tap interface fairnicd creates (add only)") \
	X("uplink", UPLINK, NAME, uplink, "NAME", UPLINK, 0, NULL, \
	  "uplink it sends to and receives from (default: the first one)") \
	X("vlan", VLAN, VLAN, vlan, "ID|none", CONF, 0, NULL, \
	  "802.1Q VLAN on the uplink, 1..4094; none = untagged (default)") \
	X("rx-rate", RX_RATE, RATE, rx_rate, "RATE", LIMIT, \
	  FN_KB(RX_BURST) | FN_KB(RX_QUEUE), "unlimited", \
	  "ceiling towards the guest, bits/s (default 0 = unlimited)") \
	X("rx-burst", RX_BURST, SIZE, rx_burst, "SIZE", LIMIT, 0, "default", \
	  "bucket depth of rx-rate (default 0: 10 ms of it, at least 2 frames)") \
	X("rx-pps", RX_PPS, COUNT, rx_pps, "N", LIMIT, FN_KB(RX_PPS_BURST), \
	  "unlimited", "ceiling towards the guest, packets/s (default 0 = unlimited)") \
	X("rx-pps-burst", RX_PPS_BURST, COUNT, rx_pps_burst, "N", LIMIT, 0, \
	  "default", "bucket depth of rx-pps (default 0: 10 ms of it, at least 32)") \
	X("rx-min", RX_MIN, RATE, rx_min, "RATE", LIMIT, 0, "none", \
	  "rate guaranteed towards the guest while it has traffic, bits/s (default 0 = none)") \
	X("rx-weight", RX_WEIGHT, WEIGHT, rx_weight, "N", LIMIT, 0, NULL, \
	  "its share, relative to the other vNICs', of what the uplink has beyond the guarantees, 1..10000 (default 1)") \
	X("rx-queue", RX_QUEUE, SIZE, rx_queue, "SIZE", LIMIT, 0, "default", \
	  "receive queue limit (default 0: 10 ms at rx-rate, or at 10 Gbit/s without one; at least 256 KiB)") \
	X("rx-police", RX_POLICE, ONOFF, rx_police, "on|off", LIMIT, 0, NULL, \
	  "on: drop above rx-rate/rx-pps at arrival; off: queue, shape (default)") \
	X("rx-aqm", RX_AQM, AQM, rx_aqm, "codel|tail", LIMIT, 0, NULL, \
	  "receive queue drops: CoDel (default), or only when full (tail)") \
	X("rx-coalesce-usecs", RX_COALESCE_USECS, COUNT, rx_coalesce_usecs, "N", LIMIT, 0, \
	  "off", "longest a frame is held to notify the guest once for several, us, 0..100000 (default 500; 0 = never hold)") \
	X("rx-coalesce-frames", RX_COALESCE_FRAMES, COUNT, rx_coalesce_frames, "N", LIMIT, 0, \
	  "no limit", "notify at once when this many frames are held, 0..65535 (default 32, a burst; 0 = no limit)") \
	X("rx-coalesce-adaptive", RX_COALESCE_ADAPTIVE, ONOFF, rx_coalesce_adaptive, "on|off", LIMIT, \
	  0, NULL, "on: hold only while the vNIC receives more than 10 kpps (default); off: always") \
	X("tx-rate", TX_RATE, RATE, tx_rate, "RATE", LIMIT, FN_KB(TX_BURST), \
	  "unlimited", "ceiling from the guest, bits/s (default 0 = unlimited)") \
	X("tx-burst", TX_BURST, SIZE, tx_burst, "SIZE", LIMIT, 0, "default", \
	  "bucket depth of tx-rate (default 0: 10 ms of it, at least 2 frames)") \
	X("tx-pps", TX_PPS, COUNT, tx_pps, "N", LIMIT, FN_KB(TX_PPS_BURST), \
	  "unlimited", "ceiling from the guest, packets/s (default 0 = unlimited)") \
	X("tx-pps-burst", TX_PPS_BURST, COUNT, tx_pps_burst, "N", LIMIT, 0, \
	  "default", "bucket depth of tx-pps (default 0: 10 ms of it, at least 32)") \
	X("tx-min", TX_MIN, RATE, tx_min, "RATE", LIMIT, 0, "none", \
	  "rate guaranteed from the guest while it has traffic, bits/s (default 0 = none)") \
	X("tx-weight", TX_WEIGHT, WEIGHT, tx_weight, "N", LIMIT, 0, NULL, \
	  "its share, relative to the other vNICs', of what the uplink has beyond the guarantees, 1..10000 (default 1)") \
	X("local", LOCAL, ONOFF, local, "on|off", CONF, 0, NULL, \
	  "allow frames to and from other vNICs of this host (default on)") \
	X("ip", IP, IPSET, ip, "ADDR[/LEN],...|any|none", CONF, 0, NULL, \
	  "IPv4/IPv6 sources the guest may use, with ARP and neighbour-discovery checks (default any: no L3 check; set it on multi-tenant hosts)") \
	X("dhcp-server", DHCP_SERVER, ALLOW, dhcp_server, "allow|deny", CONF, 0, NULL, \
	  "deny (default): drop the DHCPv4/DHCPv6 server and relay messages the guest sends") \
	X("ra", RA, ALLOW, ra, "allow|deny", CONF, 0, NULL, \
	  "deny (default): drop the IPv6 router advertisements and redirects the guest sends") \
	X("mode", MODE, MODE, mode, "MODE", PORT, 0, NULL, \
	  "vhost-user socket mode, octal (default: fairnicd --vhost-mode, 0660)") \
	X("group", GROUP, GROUP, group, "GROUP", PORT, 0, NULL, \
	  "vhost-user socket group, name or number (default: --vhost-group)")

/* Per value type: the enum entry of a key (IFNAME: none, it spells the
 * PATH key) and the declaration of its field in struct fn_vnic_params. */
#define FN_KENUM_MAC(k)       FN_K_##k,
#define FN_KENUM_RATE(k)      FN_K_##k,
#define FN_KENUM_RATE_AUTO(k) FN_K_##k,
#define FN_KENUM_SIZE(k)      FN_K_##k,
#define FN_KENUM_COUNT(k)     FN_K_##k,
#define FN_KENUM_WEIGHT(k)    FN_K_##k,
#define FN_KENUM_VLAN(k)      FN_K_##k,
#define FN_KENUM_ONOFF(k)     FN_K_##k,
#define FN_KENUM_AQM(k)       FN_K_##k,
#define FN_KENUM_NAME(k)      FN_K_##k,
#define FN_KENUM_PATH(k)      FN_K_##k,
#define FN_KENUM_IFNAME(k)
#define FN_KENUM_MODE(k)      FN_K_##k,
#define FN_KENUM_GROUP(k)     FN_K_##k,
#define FN_KENUM_IPSET(k)     FN_K_##k,
#define FN_KENUM_ALLOW(k)     FN_K_##k,

#define FN_DECL_MAC(f)        uint64_t f;
#define FN_DECL_RATE(f)       uint64_t f;
#define FN_DECL_RATE_AUTO(f)  uint64_t f;
#define FN_DECL_SIZE(f)       uint64_t f;
#define FN_DECL_COUNT(f)      uint64_t f;
#define FN_DECL_WEIGHT(f)     uint32_t f;
#define FN_DECL_VLAN(f)       uint16_t f;
#define FN_DECL_ONOFF(f)      bool f;
#define FN_DECL_AQM(f)        uint8_t f;
#define FN_DECL_NAME(f)       char f[FN_NAME_MAX];
#define FN_DECL_PATH(f)       char f[FN_PATH_MAX];
#define FN_DECL_IFNAME(f)
#define FN_DECL_MODE(f)       uint32_t f;
#define FN_DECL_GROUP(f)      char f[FN_NAME_MAX];
#define FN_DECL_IPSET(f)      struct fn_ipset f;
#define FN_DECL_ALLOW(f)      bool f;

/** Keys of `vnic add` / `vnic set`; bit i of fn_vnic_params.set = key i given. */
enum fn_vnic_key {
#define FN_X(kw, KEY, VAL, f, META, HOME, RESETS, ZERO, HELP) FN_KENUM_##VAL(KEY)
	FN_VNIC_KEYS(FN_X)
#undef FN_X
	FN_K_COUNT
};

/* The values given. A key not in `set` reads as 0 (vlan as FN_VLAN_NONE). */
struct fn_vnic_params {
	uint32_t set;                  /**< bitmask of (1u << FN_K_*) given */
	enum fn_backend backend;       /**< which spelling of FN_K_BACKEND */
#define FN_X(kw, KEY, VAL, f, META, HOME, RESETS, ZERO, HELP) FN_DECL_##VAL(f)
	FN_VNIC_KEYS(FN_X)
#undef FN_X
};

/** One vNIC key as the tables built from FN_VNIC_KEYS describe it. */
struct fn_key_info {
	const char *name;       /**< keyword */
	enum fn_vnic_key key;
	enum fn_val val;
	const char *field;      /**< field name; JSON member for CONF/LIMIT/UPLINK */
	size_t off;             /**< of the field in struct fn_vnic_params */
	const char *meta;
	enum fn_key_home home;
	uint32_t resets;
	const char *zero;
	const char *help;
};

/** FN_VNIC_KEYS as a table, in its order (the backend twice). */
extern const struct fn_key_info fn_vnic_keys[];
extern const size_t fn_vnic_nkeys;

/*
 * FN_UPLINK_KEYS(X): the keys of `uplink set NAME`, the capacity of the
 * wire in each direction. Columns as FN_VNIC_KEYS' first five and HELP.
 */
#define FN_RATE_AUTO  UINT64_MAX        /**< "auto": the port's link speed */
#define FN_UPLINK_KEYS(X) \
	X("rx-rate", RX_RATE, RATE, rx_rate, "RATE", \
	  "capacity from the wire, bits/s (default 0 = unlimited: the core is the limit)") \
	X("tx-rate", TX_RATE, RATE_AUTO, tx_rate, "RATE|auto", \
	  "capacity to the wire, bits/s, 0 = unlimited (default auto: the link speed the port reports)")

enum fn_uplink_key {
#define FN_X(kw, KEY, VAL, f, META, HELP) FN_UK_##KEY,
	FN_UPLINK_KEYS(FN_X)
#undef FN_X
	FN_UK_COUNT
};

struct fn_uplink_params {
	uint32_t set;                  /**< bitmask of (1u << FN_UK_*) given */
#define FN_X(kw, KEY, VAL, f, META, HELP) FN_DECL_##VAL(f)
	FN_UPLINK_KEYS(FN_X)
#undef FN_X
};

/** Topics of `help [TOPIC] [--markdown]`. */
enum fn_help_topic {
	FN_HELP_ALL,            /**< the usage */
	FN_HELP_KEYS,           /**< the vNIC and uplink keys */
	FN_HELP_COUNTERS,       /**< what `stats` shows */
};

/*
 * FN_VNIC_GAUGES(X): what `stats` shows per vNIC besides its counters
 * (fn_counters.h): the state of its receive queue and its current rates.
 *   X(json name, help)
 */
#define FN_VNIC_GAUGES(X) \
	X(rx_queue_frames,   "frames waiting in the receive queue now") \
	X(rx_queue_bytes,    "bytes waiting in the receive queue now") \
	X(rx_sojourn_us,     "how long the frame at the head of the receive queue has waited, microseconds") \
	X(rx_sojourn_max_us, "longest wait of a frame in the receive queue since the last counter reset, microseconds") \
	X(rx_bps,            "bits/s delivered to the guest, measured by fairnicd over the last second or more (since the previous `stats` at least 1 s old)") \
	X(tx_bps,            "bits/s taken from the guest, measured like rx_bps") \
	X(rx_share,          "rx_bps as a fraction of the rx_bps of all vNICs on the same uplink (0 to 1)") \
	X(tx_share,          "tx_bps as a fraction of the tx_bps of all vNICs on the same uplink (0 to 1)") \
	X(rx_frames_per_notification, "rx_packets over notifications since the last counter reset (0 before the first notification)") \
	X(rx_rate_pps,       "frames/s arriving for the guest, as rx-coalesce-adaptive estimates it") \
	X(rx_coalescing,     "true while frames for the guest are held to notify it once for several (rx-coalesce-*)")

enum fn_vnic_gauge {
#define FN_X(n, h) FN_VG_##n,
	FN_VNIC_GAUGES(FN_X)
#undef FN_X
	FN_VG_MAX
};

extern const char *const fn_vnic_gauge_names[FN_VG_MAX];

struct fn_cmd {
	enum fn_cmd_op op;
	char name[FN_NAME_MAX];        /**< "" when the command took no name */
	struct fn_vnic_params p;       /**< for VNIC_ADD / VNIC_SET */
	struct fn_uplink_params up;    /**< for UPLINK_SET */
	enum fn_help_topic topic;      /**< for HELP */
	bool markdown;                 /**< for HELP: --markdown */
	const char *file;              /**< for CONFIG_SAVE: FILE (a word of argv) or NULL */
};

/**
 * Parse a command.
 * @param argc, argv  the words, without program name or options.
 * @param err         receives one line naming the problem on failure.
 * @return 0 on success, -1 on a bad command or value.
 */
int fn_cmd_parse(int argc, char *const argv[], struct fn_cmd *cmd, char *err,
		 size_t errlen);

/** Split a config-file line into words in place ('#' starts a comment).
 *  @return number of words (0 for blank/comment), or -1 if more than max. */
int fn_cmd_split(char *line, char *argv[], int max);

/** Usage text for all commands, generated from the command and key tables. */
const char *fn_cmd_usage(void);

/**
 * Text of `help TOPIC`: FN_HELP_ALL is fn_cmd_usage(); FN_HELP_KEYS the
 * vNIC and uplink keys; FN_HELP_COUNTERS the counters (fn_counters.h) and
 * gauges of `stats`. `markdown`: as the README's tables. Generated from
 * the X-macros, so the documentation cannot drift from the code.
 */
const char *fn_cmd_help(enum fn_help_topic topic, bool markdown);

/** "codel" or "tail" for an enum fn_rx_aqm value ("?" for others). */
const char *fn_cmd_aqm_name(unsigned aqm);

/**
 * Is `s` a valid vNIC or uplink name: 1..FN_NAME_MAX-1 characters of
 * [A-Za-z0-9_.-]? Names end up in JSON, logs and file names unquoted.
 */
bool fn_cmd_name_valid(const char *s);

/** Is `s` a group as the `group` key and --vhost-group/--ctl-group take it:
 *  a valid name not starting with '-', or a number? */
bool fn_cmd_group_valid(const char *s);

/*
 * Config lines: the running configuration written back in the grammar
 * (`config show`, fairnicd --state), one line per uplink and per vNIC,
 * generated from the key tables so that a new key is written too.
 */
#define FN_CFG_LINE_MAX  4096   /**< a config line, newline and NUL included */
#define FN_CFG_WORDS_MAX 64     /**< words of a config line or a request */

/** Can `s` be one word of a config line: not empty, no blank, no '#'? */
bool fn_cmd_word_ok(const char *s);

/**
 * The keys given to a vNIC after a command that gave `set`: those given
 * before, less those the new keys RESET (FN_VNIC_KEYS: a new rate without
 * its burst makes the burst derived again), plus `set`.
 */
uint32_t fn_vnic_given(uint32_t given, uint32_t set);

/**
 * The value of vNIC key `k` (an entry of fn_vnic_keys[]) in `p`, as the
 * parser reads it back ("10Mbit", "64Kb", "on", "none"...).
 * @return its length, like snprintf.
 */
int fn_cmd_vnic_value(const struct fn_key_info *k, const struct fn_vnic_params *p,
		      char *buf, size_t len);

/**
 * "vnic add NAME mac MAC vhost-user PATH [KEY VALUE]..." (or "tap IFNAME"
 * as p->backend says): every key in p->set, which must hold mac and the
 * backend, in FN_VNIC_KEYS order; no newline.
 * @return its length; -EINVAL, *bad naming the key, when a value cannot be
 *         one word of a config line (fn_cmd_word_ok); -ENOSPC when it does
 *         not fit `len` or a FN_CFG_LINE_MAX line.
 */
int fn_cmd_vnic_line(const char *name, const struct fn_vnic_params *p, char *buf,
		     size_t len, const char **bad);

/** "uplink set NAME [KEY VALUE]...": the keys in u->set (none: just the
 *  name). @return as fn_cmd_vnic_line (no -EINVAL). */
int fn_cmd_uplink_line(const char *name, const struct fn_uplink_params *u, char *buf,
		       size_t len);

/* Largest values the unit parsers accept; anything above is "too large". */
#define FN_RATE_MAX   UINT64_C(10000000000000)  /**< 10 Tbit/s */
#define FN_SIZE_MAX   (UINT64_C(1) << 30)       /**< 1 GiB of burst */
#define FN_COUNT_MAX  UINT64_C(1000000000000)   /**< 10^12 packets */
#define FN_WEIGHT_MAX 10000                     /**< rx-weight, tx-weight */

/* Units (tc conventions); each returns 0 or -1 on a malformed value. */
int fn_parse_rate(const char *s, uint64_t *bits_per_sec);
int fn_parse_size(const char *s, uint64_t *bytes);
int fn_parse_count(const char *s, uint64_t *n);
/** A file mode: 1 to 4 octal digits, at most 0777 (-ERANGE above). */
int fn_parse_mode(const char *s, uint32_t *mode);
/** Format like tc: "10Mbit", "1500b", "64Kb". @return buf. */
char *fn_format_rate(uint64_t bits_per_sec, char *buf, size_t len);
char *fn_format_size(uint64_t bytes, char *buf, size_t len);

#endif /* FN_CMD_H */
