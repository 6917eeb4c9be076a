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

#define FN_NAME_MAX   32   /**< vNIC and uplink names, NUL included */
#define FN_PATH_MAX   108  /**< sun_path size */

enum fn_cmd_op {
	FN_CMD_VNIC_ADD,
	FN_CMD_VNIC_SET,
	FN_CMD_VNIC_DEL,
	FN_CMD_VNIC_SHOW,
	FN_CMD_UPLINK_SHOW,
	FN_CMD_STATS_SHOW,
	FN_CMD_STATS_RESET,
	FN_CMD_HELP,
};

enum fn_backend {
	FN_BACKEND_VHOST_USER,
	FN_BACKEND_TAP,
};

/** Keys of `vnic add` / `vnic set`; bit i of fn_vnic_params.set = key i given. */
enum fn_vnic_key {
	FN_K_MAC,
	FN_K_BACKEND,      /* "vhost-user PATH" or "tap IFNAME"; add only */
	FN_K_UPLINK,
	FN_K_VLAN,
	FN_K_RX_RATE,
	FN_K_RX_BURST,
	FN_K_RX_PPS,
	FN_K_RX_PPS_BURST,
	FN_K_TX_RATE,
	FN_K_TX_BURST,
	FN_K_TX_PPS,
	FN_K_TX_PPS_BURST,
	FN_K_LOCAL,
	FN_K_MODE,         /* vhost-user socket mode */
	FN_K_GROUP,        /* vhost-user socket group */
	FN_K_COUNT
};

struct fn_vnic_params {
	uint32_t set;                  /**< bitmask of (1u << FN_K_*) given */
	uint64_t mac;                  /**< 48-bit unicast MAC */
	enum fn_backend backend;
	char path[FN_PATH_MAX];        /**< vhost-user socket path or tap ifname */
	char uplink[FN_NAME_MAX];
	uint16_t vlan;                 /**< 1..4094, or FN_VLAN_NONE ("none") */
	uint64_t rx_rate;              /**< bits per second, 0 = unlimited */
	uint64_t rx_burst;             /**< bytes, 0 = default */
	uint64_t rx_pps;               /**< packets per second, 0 = unlimited */
	uint64_t rx_pps_burst;         /**< packets, 0 = default */
	uint64_t tx_rate, tx_burst, tx_pps, tx_pps_burst;
	bool local;                    /**< local switching allowed */
	uint32_t mode;                 /**< vhost-user socket mode, 0..0777 */
	char group[FN_NAME_MAX];       /**< vhost-user socket group: name or number */
};

struct fn_cmd {
	enum fn_cmd_op op;
	char name[FN_NAME_MAX];        /**< "" when the command took no name */
	struct fn_vnic_params p;       /**< for VNIC_ADD / VNIC_SET */
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

/** Usage text for all commands, generated from the command table. */
const char *fn_cmd_usage(void);

/**
 * Is `s` a valid vNIC or uplink name: 1..FN_NAME_MAX-1 characters of
 * [A-Za-z0-9_.-]? Names end up in JSON, logs and file names unquoted.
 */
bool fn_cmd_name_valid(const char *s);

/** Is `s` a group as the `group` key and --vhost-group/--ctl-group take it:
 *  a valid name not starting with '-', or a number? */
bool fn_cmd_group_valid(const char *s);

/* Largest values the unit parsers accept; anything above is "too large". */
#define FN_RATE_MAX   UINT64_C(10000000000000)  /**< 10 Tbit/s */
#define FN_SIZE_MAX   (UINT64_C(1) << 30)       /**< 1 GiB of burst */
#define FN_COUNT_MAX  UINT64_C(1000000000000)   /**< 10^12 packets */

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
