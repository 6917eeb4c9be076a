/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the fn_cmd grammar: every command and alias, every key,
 * the `set` mask, each kind of refusal and its message, the usage text
 * against an independent list of keys, the key table generated from
 * FN_VNIC_KEYS against the structs it must match, `uplink set`, `help
 * keys|counters [--markdown]`, fn_cmd_split, and a seeded fuzz loop
 * checking that any word vector yields success or one error line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fn_cmd.h"
#include "fn_counters.h"
#include "fn_switch.h"

#define UNUSED __attribute__((unused))
#include "fn_eth.h"

#define N(a)   (sizeof(a) / sizeof((a)[0]))
#define BIT(k) (UINT32_C(1) << (k))

static char err[256];
static struct fn_cmd cmd;

/* Parse a command given as one string of blank-separated words. */
static int
parse(const char *line)
{
	static char buf[1024];
	char *argv[64];
	int argc;

	snprintf(buf, sizeof(buf), "%s", line);
	argc = fn_cmd_split(buf, argv, (int)N(argv));
	assert_true(argc >= 0);
	return fn_cmd_parse(argc, argv, &cmd, err, sizeof(err));
}

static void
ok(const char *line)
{
	if (parse(line) != 0)
		fail_msg("\"%s\" refused: %s", line, err);
	assert_string_equal(err, "");
}

/* Must be refused with an error containing `frag`. */
static void
refused(const char *line, const char *frag)
{
	if (parse(line) != -1)
		fail_msg("\"%s\" accepted", line);
	if (strstr(err, frag) == NULL)
		fail_msg("\"%s\": error \"%s\" lacks \"%s\"", line, err, frag);
	assert_null(strchr(err, '\n'));
}

static void
refused_exactly(const char *line, const char *msg)
{
	assert_int_equal(parse(line), -1);
	assert_string_equal(err, msg);
}

#define ADD "vnic add vm1 mac 52:54:00:00:00:01 vhost-user /run/vm1.sock "

/* ------------------------------------------------------------ vnic add */

static void
test_add_all_keys(void **state UNUSED)
{
	ok("vnic add vm1 mac 52:54:00:AB:cd:01 vhost-user /run/vm1.sock "
	   "uplink up0 vlan 100 rx-rate 10mbit rx-burst 64kb rx-pps 24000 "
	   "rx-pps-burst 240 tx-rate 1.5gbit tx-burst 1514 tx-pps 1k "
	   "tx-pps-burst 32 local on mode 0640 group kvm rx-min 2mbit "
	   "tx-min 500mbit rx-weight 3 tx-weight 10000 rx-queue 1mb "
	   "rx-police on rx-aqm tail rx-coalesce-usecs 250 rx-coalesce-frames 32 "
	   "rx-coalesce-adaptive off ip 10.0.0.1 dhcp-server allow ra allow");
	assert_int_equal(cmd.op, FN_CMD_VNIC_ADD);
	assert_string_equal(cmd.name, "vm1");
	assert_int_equal(cmd.p.set, BIT(FN_K_COUNT) - 1);
	assert_true(cmd.p.mac == UINT64_C(0x525400abcd01));
	assert_int_equal(cmd.p.backend, FN_BACKEND_VHOST_USER);
	assert_string_equal(cmd.p.path, "/run/vm1.sock");
	assert_string_equal(cmd.p.uplink, "up0");
	assert_int_equal(cmd.p.vlan, 100);
	assert_true(cmd.p.rx_rate == UINT64_C(10000000));
	assert_true(cmd.p.rx_burst == 65536);
	assert_true(cmd.p.rx_pps == 24000);
	assert_true(cmd.p.rx_pps_burst == 240);
	assert_true(cmd.p.tx_rate == UINT64_C(1500000000));
	assert_true(cmd.p.tx_burst == 1514);
	assert_true(cmd.p.tx_pps == 1000);
	assert_true(cmd.p.tx_pps_burst == 32);
	assert_true(cmd.p.local);
	assert_int_equal(cmd.p.mode, 0640);
	assert_string_equal(cmd.p.group, "kvm");
	assert_true(cmd.p.rx_min == 2000000);
	assert_true(cmd.p.tx_min == 500000000);
	assert_int_equal(cmd.p.rx_weight, 3);
	assert_int_equal(cmd.p.tx_weight, 10000);
	assert_true(cmd.p.rx_queue == 1 << 20);
	assert_true(cmd.p.rx_police);
	assert_int_equal(cmd.p.rx_aqm, FN_AQM_TAIL);
	assert_true(cmd.p.rx_coalesce_usecs == 250);
	assert_true(cmd.p.rx_coalesce_frames == 32);
	assert_false(cmd.p.rx_coalesce_adaptive);
	assert_true(cmd.p.ip.restricted && cmd.p.ip.n4 == 1 && cmd.p.ip.n6 == 0);
	assert_true(cmd.p.dhcp_server && cmd.p.ra);
}

/* Paths and names are quoted in one-line errors and carried in JSON: no
 * control characters, and valid UTF-8 only (found by fuzz/fuzz_ctl.c). */
static void
test_paths_are_utf8_without_controls(void **state UNUSED)
{
	static const char *const bad_paths[] = {
		"/tmp/a\nb", "/tmp/a\tb", "/tmp/\x7f", "/tmp/\xe6nt", "/tmp/\xc0\xaf",
		"/tmp/\xed\xa0\x80", "/tmp/\xf5\x80\x80\x80", "/tmp/\xc2\x85",
	};
	static const char *const good_paths[] = { "/tmp/a b", "/tmp/\xc3\xa9t\xc3\xa9.sock",
						   "/tmp/\xf0\x9f\x90\xa7" };
	for (size_t i = 0; i < N(bad_paths) + N(good_paths); i++) {
		bool good = i >= N(bad_paths);
		const char *path = good ? good_paths[i - N(bad_paths)] : bad_paths[i];
		char *argv[] = { "vnic", "add", "a", "mac", "52:54:00:00:00:01",
				 "vhost-user", (char *)path };
		int rc = fn_cmd_parse((int)N(argv), argv, &cmd, err, sizeof(err));
		if (rc != (good ? 0 : -1))
			fail_msg("path %zu: rc %d (%s)", i, rc, err);
		assert_null(strchr(err, '\n'));
	}
	char *tap[] = { "vnic", "add", "a", "mac", "52:54:00:00:00:01", "tap", "\xe6nt" };
	assert_int_equal(fn_cmd_parse((int)N(tap), tap, &cmd, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "printable ASCII"));
}

static void
test_mode_and_group(void **state UNUSED)
{
	ok("vnic set a mode 0");
	assert_int_equal(cmd.p.mode, 0);
	ok("vnic set a mode 777");
	assert_int_equal(cmd.p.mode, 0777);
	ok("vnic set a mode 0600 group 107");
	assert_int_equal(cmd.p.mode, 0600);
	assert_string_equal(cmd.p.group, "107");
	refused("vnic set a mode 0800", "invalid mode \"0800\"");
	refused("vnic set a mode 1777", "at most 0777");
	refused("vnic set a mode 00660", "invalid mode");
	refused("vnic set a mode -1", "invalid mode");
	refused("vnic set a mode rw", "invalid mode");
	refused("vnic set a group -x", "invalid group");
	refused("vnic set a group a/b", "invalid group");
}

static void
test_add_minimal_and_order(void **state UNUSED)
{
	/* Keys in any order; unset fields read as zero / untagged. */
	ok("vnic add t-1 tap tap0 mac 02:00:00:00:00:09");
	assert_int_equal(cmd.op, FN_CMD_VNIC_ADD);
	assert_int_equal(cmd.p.set, BIT(FN_K_MAC) | BIT(FN_K_BACKEND));
	assert_int_equal(cmd.p.backend, FN_BACKEND_TAP);
	assert_string_equal(cmd.p.path, "tap0");
	assert_int_equal(cmd.p.vlan, FN_VLAN_NONE);
	assert_true(cmd.p.rx_rate == 0 && cmd.p.tx_pps_burst == 0);
	assert_string_equal(cmd.p.uplink, "");
	assert_false(cmd.p.local);
}

static void
test_parse_clears_previous(void **state UNUSED)
{
	ok(ADD "rx-rate 1gbit uplink up0 local on");
	ok("vnic set vm2 tx-pps 5");
	assert_int_equal(cmd.p.set, BIT(FN_K_TX_PPS));
	assert_true(cmd.p.rx_rate == 0 && cmd.p.mac == 0);
	assert_string_equal(cmd.p.uplink, "");
	assert_string_equal(cmd.p.path, "");
	assert_false(cmd.p.local);
	assert_string_equal(cmd.name, "vm2");
	/* A failure after a success leaves no stale name behind either. */
	assert_int_equal(parse("vnic del"), -1);
	assert_string_equal(cmd.name, "");
}

static void
test_add_missing(void **state UNUSED)
{
	refused_exactly("vnic add vm1 tap t0", "vnic add: missing mac");
	refused("vnic add vm1 mac 52:54:00:00:00:01", "missing backend");
	refused("vnic add vm1", "vnic add: missing mac");
	refused("vnic add", "missing vNIC name");
	refused(ADD "rx-rate", "missing value for rx-rate");
	refused("vnic add vm1 mac", "missing value for mac");
}

static void
test_duplicates(void **state UNUSED)
{
	refused(ADD "rx-rate 1mbit rx-rate 2mbit", "rx-rate given twice");
	refused(ADD "local on local on", "local given twice");
	refused("vnic add vm1 mac 52:54:00:00:00:01 mac 52:54:00:00:00:02 "
		"tap t0", "mac given twice");
	refused(ADD "tap t0", "only one backend");
	refused(ADD "vhost-user /b", "only one backend");
	refused("vnic set vm1 vlan 5 vlan none", "vlan given twice");
}

/* ------------------------------------------------------------ vnic set */

static void
test_set_subset(void **state UNUSED)
{
	ok("vnic set vm1 rx-rate 10mbit local off vlan none");
	assert_int_equal(cmd.op, FN_CMD_VNIC_SET);
	assert_string_equal(cmd.name, "vm1");
	assert_int_equal(cmd.p.set, BIT(FN_K_RX_RATE) | BIT(FN_K_LOCAL) |
			 BIT(FN_K_VLAN));
	assert_true(cmd.p.rx_rate == UINT64_C(10000000));
	assert_false(cmd.p.local);
	assert_int_equal(cmd.p.vlan, FN_VLAN_NONE);

	ok("vnic set vm1 rx-rate 0");           /* 0 = remove the limit */
	assert_int_equal(cmd.p.set, BIT(FN_K_RX_RATE));
	assert_true(cmd.p.rx_rate == 0);

	ok("vnic set vm1 mac 52:54:00:00:00:02 uplink up1 tx-burst 8kbit");
	assert_int_equal(cmd.p.set, BIT(FN_K_MAC) | BIT(FN_K_UPLINK) |
			 BIT(FN_K_TX_BURST));
	assert_true(cmd.p.tx_burst == 1024);
}

static void
test_set_backend_rejected(void **state UNUSED)
{
	refused_exactly("vnic set vm1 vhost-user /run/x.sock",
		"vnic set: backend cannot be changed; delete and re-add the vnic");
	refused("vnic set vm1 rx-rate 1mbit tap t0", "backend cannot be changed");
	refused("vnic set vm1 tap", "backend cannot be changed");
}

static void
test_set_needs_a_key(void **state UNUSED)
{
	refused("vnic set vm1", "nothing to set");
	refused("vnic set", "missing vNIC name");
}

/* ----------------------------------------------------- unknown, refused */

static void
test_unknown(void **state UNUSED)
{
	refused_exactly("vnci add vm1", "unknown command \"vnci\" (try \"help\")");
	refused_exactly("vnic set vm1 rx-rat 5",
			"vnic set: unknown key \"rx-rat\"");
	refused("vnic set vm1 RX-RATE 5", "unknown key \"RX-RATE\"");
	refused("vnic frob vm1", "unknown subcommand \"frob\"");
	refused("vnic", "missing subcommand");
	refused("uplink", "missing subcommand (expected set, show)");
	refused("uplink list x", "unknown subcommand");
	refused("VNIC show", "unknown command");
	refused_exactly(ADD "rx-rate 10mbitz",
		"vnic add: invalid rate \"10mbitz\" for rx-rate (expected e.g. "
		"10mbit, 1gbit, 500kbps)");
	refused(ADD "rx-rate 11tbit", "too large");
	refused(ADD "rx-burst 2g", "too large");
	refused(ADD "rx-pps 1000000000001", "too large");
	refused(ADD "tx-rate 0.1bit", "rounds to 0");
	refused(ADD "tx-rate -1mbit", "invalid rate \"-1mbit\" for tx-rate");
	refused(ADD "rx-burst 64kbz", "invalid size \"64kbz\" for rx-burst");
	refused(ADD "rx-pps 1.5", "invalid count \"1.5\" for rx-pps");
	refused(ADD "tx-pps-burst x", "for tx-pps-burst");
}

static void
test_empty_and_extra(void **state UNUSED)
{
	char *none[] = { NULL };

	assert_int_equal(fn_cmd_parse(0, none, &cmd, err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
	refused("", "empty command");
	refused("# just a comment", "empty command");
	refused("vnic del vm1 extra", "unexpected argument \"extra\"");
	refused("vnic show vm1 vm2", "unexpected argument");
	refused("uplink show up0", "unexpected argument");
	refused("help me", "unexpected argument");
	refused("stats show vm1 vm2", "unexpected argument");
	refused("stats reset vm1 x", "unexpected argument");
}

/* ------------------------------------------------------------------ MAC */

static void
test_mac(void **state UNUSED)
{
	ok(ADD);
	assert_true(cmd.p.mac == UINT64_C(0x525400000001));
	ok("vnic set a mac 02:00:00:00:00:01");  /* locally administered */
	ok("vnic set a mac FE:ff:FF:ff:ff:fE");  /* group bit is 0x01 only */
	assert_true(cmd.p.mac == UINT64_C(0xfeffffffffff) - 1);

	refused("vnic set a mac 01:00:5e:00:00:01", "group");
	refused("vnic set a mac 33:33:00:00:00:01", "group");
	refused("vnic set a mac ff:ff:ff:ff:ff:ff", "group");
	refused("vnic set a mac 00:00:00:00:00:00", "all-zero");
	refused("vnic set a mac 52:54:00:00:00", "invalid mac");
	refused("vnic set a mac 52:54:00:00:00:0g", "invalid mac");
	refused("vnic set a mac 52:54:00:00:00:01:02", "invalid mac");
	refused("vnic set a mac 525400000001", "invalid mac");
	refused("vnic set a mac 52-54-00-00-00-01", "invalid mac");
	refused("vnic set a mac 52:54:0:0:0:1", "invalid mac");
	refused("vnic set a mac 52:54:00:00:00:1", "invalid mac");
	refused("vnic set a mac x", "invalid mac \"x\"");
}

/* ----------------------------------------------------------------- VLAN */

static void
test_vlan(void **state UNUSED)
{
	ok("vnic set a vlan 1");
	assert_int_equal(cmd.p.vlan, 1);
	ok("vnic set a vlan 4094");
	assert_int_equal(cmd.p.vlan, 4094);
	ok("vnic set a vlan none");
	assert_int_equal(cmd.p.vlan, FN_VLAN_NONE);
	assert_int_equal(cmd.p.set, BIT(FN_K_VLAN));
	ok("vnic set a vlan 0100");
	assert_int_equal(cmd.p.vlan, 100);

	static const char *const bad[] = {
		"0", "4095", "65535", "65536", "-1", "1k", "", "abc", "1.0",
		"none1", "99999999999999999999", "+5", "0x10",
	};
	char line[64];
	for (size_t i = 0; i < N(bad); i++) {
		snprintf(line, sizeof(line), "vnic set a vlan %s", bad[i]);
		refused(line, bad[i][0] ? "invalid vlan" : "missing value");
	}
}

/* ---------------------------------------------------------------- names */

static void
test_names(void **state UNUSED)
{
	char line[256];
	const char *n31 = "abcdefghijABCDEFGHIJ0123456789_";
	const char *n32 = "abcdefghijABCDEFGHIJ0123456789_.";

	snprintf(line, sizeof(line), "vnic del %s", n31);
	ok(line);
	assert_string_equal(cmd.name, n31);
	snprintf(line, sizeof(line), "vnic del %s", n32);
	refused(line, "invalid name");
	ok("vnic del a.b_c-D9");
	ok("vnic del -");
	refused("vnic del vm/1", "invalid name \"vm/1\"");
	refused("vnic del vm:1", "invalid name");
	refused("vnic del vm1!", "invalid name");
	refused("vnic del vm\xc3\xa9", "invalid name");
	refused("vnic show vm*", "invalid name");
	refused("stats reset a,b", "invalid name");

	char *empty[] = { "vnic", "del", "" };
	assert_int_equal(fn_cmd_parse(3, empty, &cmd, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "invalid name"));

	snprintf(line, sizeof(line), ADD "uplink %s", n31);
	ok(line);
	assert_string_equal(cmd.p.uplink, n31);
	snprintf(line, sizeof(line), ADD "uplink %s", n32);
	refused(line, "invalid uplink name");
	refused(ADD "uplink up/0", "invalid uplink name");

	assert_true(fn_cmd_name_valid("x"));
	assert_false(fn_cmd_name_valid(""));
	assert_false(fn_cmd_name_valid(NULL));
	assert_false(fn_cmd_name_valid("a b"));
}

static void
test_backend_values(void **state UNUSED)
{
	char path[FN_PATH_MAX + 1], line[FN_PATH_MAX + 128];

	memset(path, 'p', FN_PATH_MAX - 1);
	path[0] = '/';
	path[FN_PATH_MAX - 1] = '\0';          /* 107 bytes: fits sun_path */
	snprintf(line, sizeof(line), "vnic add a mac 52:54:00:00:00:01 "
		 "vhost-user %s", path);
	ok(line);
	assert_string_equal(cmd.p.path, path);
	strcat(path, "p");                      /* 108 */
	snprintf(line, sizeof(line), "vnic add a mac 52:54:00:00:00:01 "
		 "vhost-user %s", path);
	refused(line, "invalid vhost-user path");

	ok("vnic add a mac 52:54:00:00:00:01 tap abcdefghij12345");
	refused("vnic add a mac 52:54:00:00:00:01 tap abcdefghij123456",
		"invalid tap interface name");
	refused("vnic add a mac 52:54:00:00:00:01 tap a/b", "invalid tap");
	refused("vnic add a mac 52:54:00:00:00:01 tap a:b", "invalid tap");
	refused("vnic add a mac 52:54:00:00:00:01 tap ..", "invalid tap");

	char *e1[] = { "vnic", "add", "a", "mac", "52:54:00:00:00:01",
		       "vhost-user", "" };
	char *e2[] = { "vnic", "add", "a", "mac", "52:54:00:00:00:01",
		       "tap", "t 0" };
	assert_int_equal(fn_cmd_parse(7, e1, &cmd, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "vhost-user path"));
	assert_int_equal(fn_cmd_parse(7, e2, &cmd, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "tap interface"));
}

static void
test_local(void **state UNUSED)
{
	ok("vnic set a local on");
	assert_true(cmd.p.local);
	ok("vnic set a local off");
	assert_false(cmd.p.local);
	assert_int_equal(cmd.p.set, BIT(FN_K_LOCAL));
	refused("vnic set a local yes", "expected on or off");
	refused("vnic set a local 1", "expected on or off");
	refused("vnic set a local true", "expected on or off");
	refused("vnic set a local onn", "expected on or off");
}

/* The L3 guard's keys: ip (a set of prefixes), dhcp-server and ra. */
static void
test_l3_guard_keys(void **state UNUSED)
{
	ok("vnic set a ip 10.0.0.5,2001:db8::/64 dhcp-server allow ra deny");
	assert_int_equal(cmd.p.set, BIT(FN_K_IP) | BIT(FN_K_DHCP_SERVER) | BIT(FN_K_RA));
	assert_true(cmd.p.ip.restricted);
	assert_int_equal(cmd.p.ip.n4, 1);
	assert_int_equal(cmd.p.ip.v4[0].addr, 0x0a000005);
	assert_int_equal(cmd.p.ip.v4[0].len, 32);
	assert_int_equal(cmd.p.ip.n6, 1);
	assert_int_equal(cmd.p.ip.v6[0].len, 64);
	assert_int_equal(cmd.p.ip.v6[0].addr[0], 0x20);
	assert_true(cmd.p.dhcp_server);
	assert_false(cmd.p.ra);
	ok(ADD "ip any ra ALLOW dhcp-server Deny");
	assert_false(cmd.p.ip.restricted);
	assert_int_equal(cmd.p.ip.n4 + cmd.p.ip.n6, 0);
	assert_true(cmd.p.ra);
	assert_false(cmd.p.dhcp_server);
	ok("vnic set a ip none");
	assert_true(cmd.p.ip.restricted);
	assert_int_equal(cmd.p.ip.n4 + cmd.p.ip.n6, 0);

	refused("vnic set a ip 10.0.0.256", "invalid ip \"10.0.0.256\"");
	refused("vnic set a ip 10.0.0.5/24", "host bits");
	refused("vnic set a ip 10.0.0.0/33", "invalid ip");
	refused("vnic set a ip 10.0.0.1,,10.0.0.2", "invalid ip");
	refused("vnic set a ip any,10.0.0.1", "invalid ip");
	refused("vnic set a ip 224.0.0.1", "multicast");
	refused("vnic set a ip 10.0.0.1,10.0.0.1", "invalid ip");
	refused("vnic set a ip ''", "invalid ip");
	refused("vnic set a dhcp-server yes", "expected allow or deny");
	refused("vnic set a ra on", "expected allow or deny");
	refused("vnic set a ra", "missing value for ra");
	refused("vnic set a ip 10.0.0.1 ip 10.0.0.2", "ip given twice");
	/* a 17th IPv4 prefix is one too many */
	char line[512] = "vnic set a ip ";
	for (int i = 1; i <= 17; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s10.0.%d.1",
			 i > 1 ? "," : "", i);
	refused(line, "invalid ip");
}

/* ----------------------------------------------- other commands, aliases */

static void
test_commands_and_aliases(void **state UNUSED)
{
	static const struct {
		const char *line;
		enum fn_cmd_op op;
		const char *name;
	} c[] = {
		{ "vnic del vm1",         FN_CMD_VNIC_DEL,    "vm1" },
		{ "vnic show",            FN_CMD_VNIC_SHOW,   "" },
		{ "vnic show vm1",        FN_CMD_VNIC_SHOW,   "vm1" },
		{ "vnic list",            FN_CMD_VNIC_SHOW,   "" },
		{ "vnic list vm2",        FN_CMD_VNIC_SHOW,   "vm2" },
		{ "uplink show",          FN_CMD_UPLINK_SHOW, "" },
		{ "stats",                FN_CMD_STATS_SHOW,  "" },
		{ "stats vm1",            FN_CMD_STATS_SHOW,  "vm1" },
		{ "stats show",           FN_CMD_STATS_SHOW,  "" },
		{ "stats show vm1",       FN_CMD_STATS_SHOW,  "vm1" },
		{ "stats show show",      FN_CMD_STATS_SHOW,  "show" },
		{ "stats reset",          FN_CMD_STATS_RESET, "" },
		{ "stats reset vm1",      FN_CMD_STATS_RESET, "vm1" },
		{ "help",                 FN_CMD_HELP,        "" },
		{ "  help   # trailing",  FN_CMD_HELP,        "" },
	};

	for (size_t i = 0; i < N(c); i++) {
		ok(c[i].line);
		if (cmd.op != c[i].op || strcmp(cmd.name, c[i].name) != 0)
			fail_msg("\"%s\": op %d name \"%s\"", c[i].line, cmd.op,
				 cmd.name);
		assert_int_equal(cmd.p.set, 0);
	}
	refused("vnic del", "vnic del: missing vNIC name");
	refused("vnic del vm1 rx-rate 1", "unexpected argument");
}

/* ---------------------------------------------------------- error text */

static void
test_error_text_is_safe(void **state UNUSED)
{
	char longword[300], small[12];
	char *v[] = { "vnic", "set", "vm1", "rx-rate", NULL };

	/* Control and non-ASCII bytes are masked, long words cut. */
	v[4] = "1\nmbit\x01\xff";
	assert_int_equal(fn_cmd_parse(5, v, &cmd, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "\"1?mbit??\""));
	for (const char *p = err; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);

	memset(longword, 'z', sizeof(longword) - 1);
	longword[sizeof(longword) - 1] = '\0';
	v[4] = longword;
	assert_int_equal(fn_cmd_parse(5, v, &cmd, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "zzz...\""));
	assert_true(strlen(err) < 120);

	/* Small or missing buffers: truncated and terminated, no overrun. */
	memset(small, 'x', sizeof(small));
	assert_int_equal(fn_cmd_parse(5, v, &cmd, small, 8), -1);
	assert_string_equal(small, "vnic se");
	assert_int_equal(small[8], 'x');
	assert_int_equal(fn_cmd_parse(5, v, &cmd, small, 1), -1);
	assert_string_equal(small, "");
	assert_int_equal(fn_cmd_parse(5, v, &cmd, NULL, 0), -1);
	v[4] = "1mbit";
	assert_int_equal(fn_cmd_parse(5, v, &cmd, NULL, 0), 0);
}

/* ---------------------------------------------------------------- usage */

static void
test_usage_lists_everything(void **state UNUSED)
{
	/* Independent of the grammar's table, so a key cannot go missing. */
	static const char *const keys[] = {
		"mac MAC", "vhost-user PATH", "tap IFNAME", "uplink NAME",
		"vlan ID|none", "rx-rate RATE", "rx-burst SIZE", "rx-pps N",
		"rx-pps-burst N", "tx-rate RATE", "tx-burst SIZE", "tx-pps N",
		"tx-pps-burst N", "local on|off", "mode MODE", "group GROUP",
		"rx-min RATE", "rx-weight N", "rx-queue SIZE", "rx-police on|off",
		"rx-aqm codel|tail", "tx-min RATE", "tx-weight N",
		"rx-coalesce-usecs N", "rx-coalesce-frames N", "rx-coalesce-adaptive on|off",
		"ip ADDR[/LEN],...|any|none", "dhcp-server allow|deny", "ra allow|deny",
	};
	static const char *const cmds[] = {
		"vnic add NAME", "vnic set NAME", "vnic del NAME",
		"vnic show [NAME]", "vnic list", "uplink show",
		"uplink set NAME [rx-rate RATE] [tx-rate RATE|auto]",
		"stats [NAME]", "stats show", "stats reset [NAME]",
		"help [keys|counters] [--markdown]",
		"config show", "config save [FILE]", "config reload",
	};
	const char *u = fn_cmd_usage();
	char pat[64];

	assert_int_equal(N(keys), FN_K_COUNT + 1);      /* backend is two */
	for (size_t i = 0; i < N(keys); i++) {
		/* its help follows on the line, or on the next one for a long key */
		char pat2[64];
		snprintf(pat, sizeof(pat), "\n  %s ", keys[i]);
		snprintf(pat2, sizeof(pat2), "\n  %s\n", keys[i]);
		if (strstr(u, pat) == NULL && strstr(u, pat2) == NULL)
			fail_msg("usage lacks key \"%s\"", keys[i]);
	}
	for (size_t i = 0; i < N(cmds); i++) {
		snprintf(pat, sizeof(pat), "\n  %s", cmds[i]);
		if (strstr(u, pat) == NULL)
			fail_msg("usage lacks command \"%s\"", cmds[i]);
	}
	/* The uplink keys, in their own section after the vNIC keys. */
	const char *up = strstr(u, "\nKeys of uplink set:\n");
	assert_non_null(up);
	assert_non_null(strstr(up, "\n  rx-rate RATE "));
	assert_non_null(strstr(up, "\n  tx-rate RATE|auto "));
	/* No line wider than 79 columns. */
	for (const char *l = u; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0))
		if (strcspn(l, "\n") > 79)
			fail_msg("usage line too long: %.*s", (int)strcspn(l, "\n"), l);
	/* Not truncated: the last section is there, and ends the text. */
	assert_non_null(strstr(u, "MAC   unicast"));
	assert_int_equal(u[strlen(u) - 1], '\n');
	assert_ptr_equal(u, fn_cmd_usage());

	/* Every key the usage names, the parser takes. */
	for (size_t i = 0; i < N(keys); i++) {
		char name[32];

		sscanf(keys[i], "%31s", name);
		snprintf(pat, sizeof(pat), "vnic set a %s", name);
		assert_int_equal(parse(pat), -1);
		assert_null(strstr(err, "unknown key"));
	}
}

/* ---------------------------------------------------------------- split */

static void
test_split(void **state UNUSED)
{
	char line[] = "  vnic add\tvm1  mac 52:54:00:00:00:01 # the guest\n";
	char *argv[8];

	assert_int_equal(fn_cmd_split(line, argv, 8), 5);
	assert_string_equal(argv[0], "vnic");
	assert_string_equal(argv[1], "add");
	assert_string_equal(argv[2], "vm1");
	assert_string_equal(argv[4], "52:54:00:00:00:01");
	assert_true(argv[0] == line + 2);       /* in place */

	char blank[] = " \t \r\n", comment[] = "   # vnic del x", empty[] = "";
	assert_int_equal(fn_cmd_split(blank, argv, 8), 0);
	assert_int_equal(fn_cmd_split(comment, argv, 8), 0);
	assert_int_equal(fn_cmd_split(empty, argv, 8), 0);

	char glued[] = "stats vm1#comment more";
	assert_int_equal(fn_cmd_split(glued, argv, 8), 2);
	assert_string_equal(argv[1], "vm1");

	char crlf[] = "vnic del vm1\r\n";
	assert_int_equal(fn_cmd_split(crlf, argv, 8), 3);
	assert_string_equal(argv[2], "vm1");
}

static void
test_split_max(void **state UNUSED)
{
	char *argv[4] = { NULL, NULL, NULL, NULL };
	char exact[] = "a b c", over[] = "a b c d", comment[] = "a b c # d e";

	assert_int_equal(fn_cmd_split(exact, argv, 3), 3);
	assert_int_equal(fn_cmd_split(over, argv, 3), -1);
	assert_null(argv[3]);                   /* never written past max */
	assert_int_equal(fn_cmd_split(comment, argv, 3), 3);
	char one[] = "x";
	assert_int_equal(fn_cmd_split(one, argv, 0), -1);
	char none[] = "#";
	assert_int_equal(fn_cmd_split(none, argv, 0), 0);
}


/* ------------------------------------------------- link-sharing keys */

static void
test_min_weight_queue_police_aqm(void **state UNUSED)
{
	ok("vnic set a rx-min 30mbit tx-min 1.5gbit");
	assert_int_equal(cmd.p.set, BIT(FN_K_RX_MIN) | BIT(FN_K_TX_MIN));
	assert_true(cmd.p.rx_min == 30000000 && cmd.p.tx_min == 1500000000);
	ok("vnic set a rx-min 0");              /* 0 = no guarantee */
	assert_true(cmd.p.rx_min == 0 && cmd.p.set == BIT(FN_K_RX_MIN));
	refused_exactly("vnic set a tx-min 11tbit", "vnic set: rate \"11tbit\" "
			"for tx-min is too large (max 10tbit)");
	refused("vnic set a rx-min fast", "invalid rate \"fast\" for rx-min");
	refused("vnic set a rx-min 0.1bit", "rounds to 0");

	ok("vnic set a rx-weight 1 tx-weight 10000");
	assert_int_equal(cmd.p.rx_weight, 1);
	assert_int_equal(cmd.p.tx_weight, 10000);
	ok("vnic set a tx-weight 0042");
	assert_int_equal(cmd.p.tx_weight, 42);
	static const char *const bad_w[] = { "0", "10001", "99999999999999999999",
					     "-1", "1.5", "1k", "x", "+3", "" };
	char line[96], msg[160];
	for (size_t i = 0; i < N(bad_w); i++) {
		snprintf(line, sizeof(line), "vnic set a rx-weight %s", bad_w[i]);
		if (!bad_w[i][0]) {
			refused(line, "missing value for rx-weight");
			continue;
		}
		snprintf(msg, sizeof(msg), "vnic set: invalid weight \"%s\" for "
			 "rx-weight (expected a whole number in 1..10000)", bad_w[i]);
		refused_exactly(line, msg);
	}
	refused("vnic set a tx-weight 0", "1..10000");

	ok("vnic set a rx-queue 1518");
	assert_true(cmd.p.rx_queue == 1518 && cmd.p.set == BIT(FN_K_RX_QUEUE));
	ok("vnic set a rx-queue 0");            /* 0 = the default */
	ok("vnic set a rx-queue 1g");           /* FN_SIZE_MAX */
	assert_true(cmd.p.rx_queue == FN_SIZE_MAX);
	refused_exactly("vnic set a rx-queue 2g", "vnic set: size \"2g\" for "
			"rx-queue is too large (max 1gb)");
	refused("vnic set a rx-queue 1q", "invalid size \"1q\" for rx-queue");

	ok("vnic set a rx-police on");
	assert_true(cmd.p.rx_police);
	ok("vnic set a rx-police OFF");
	assert_false(cmd.p.rx_police);
	assert_int_equal(cmd.p.set, BIT(FN_K_RX_POLICE));
	refused_exactly("vnic set a rx-police yes", "vnic set: invalid value "
			"\"yes\" for rx-police (expected on or off)");

	ok("vnic set a rx-aqm tail");
	assert_int_equal(cmd.p.rx_aqm, FN_AQM_TAIL);
	ok("vnic set a rx-aqm CoDel");
	assert_int_equal(cmd.p.rx_aqm, FN_AQM_CODEL);
	assert_int_equal(cmd.p.set, BIT(FN_K_RX_AQM));
	refused_exactly("vnic set a rx-aqm red", "vnic set: invalid value \"red\" "
			"for rx-aqm (expected codel or tail)");
	assert_string_equal(fn_cmd_aqm_name(FN_AQM_CODEL), "codel");
	assert_string_equal(fn_cmd_aqm_name(FN_AQM_TAIL), "tail");
	assert_string_equal(fn_cmd_aqm_name(7), "?");

	/* Receive keys only: there is no transmit queue or policing. */
	refused("vnic set a tx-queue 1mb", "unknown key \"tx-queue\"");
	refused("vnic set a tx-police on", "unknown key \"tx-police\"");
	refused("vnic set a tx-aqm tail", "unknown key \"tx-aqm\"");
	refused(ADD "rx-min 1mbit rx-min 2mbit", "rx-min given twice");
}

/* ----------------------------------------------------------- uplink set */

static void
test_uplink_set(void **state UNUSED)
{
	ok("uplink set up0 rx-rate 10gbit tx-rate 1gbit");
	assert_int_equal(cmd.op, FN_CMD_UPLINK_SET);
	assert_string_equal(cmd.name, "up0");
	assert_int_equal(cmd.up.set, BIT(FN_UK_RX_RATE) | BIT(FN_UK_TX_RATE));
	assert_true(cmd.up.rx_rate == UINT64_C(10000000000));
	assert_true(cmd.up.tx_rate == UINT64_C(1000000000));
	assert_int_equal(cmd.p.set, 0);

	ok("uplink set up0 tx-rate auto");
	assert_int_equal(cmd.up.set, BIT(FN_UK_TX_RATE));
	assert_true(cmd.up.tx_rate == FN_RATE_AUTO);
	ok("uplink set up0 tx-rate AUTO");
	assert_true(cmd.up.tx_rate == FN_RATE_AUTO);
	ok("uplink set up0 rx-rate 0");         /* 0 = unlimited */
	assert_int_equal(cmd.up.set, BIT(FN_UK_RX_RATE));
	assert_true(cmd.up.rx_rate == 0);

	refused_exactly("uplink set up0", "uplink set: nothing to set (give at "
			"least one KEY VALUE, e.g. tx-rate 1gbit)");
	refused_exactly("uplink set", "uplink set: missing uplink name");
	refused_exactly("uplink set up0 rx-rate auto", "uplink set: invalid rate "
			"\"auto\" for rx-rate (expected e.g. 10mbit, 1gbit, 500kbps)");
	refused_exactly("uplink set up0 tx-rate autom", "uplink set: invalid "
			"rate \"autom\" for tx-rate (expected e.g. 10mbit, 1gbit, "
			"500kbps, auto)");
	refused("uplink set up0 tx-rate 20tbit", "too large");
	refused("uplink set up0 tx-rate", "missing value for tx-rate");
	refused("uplink set up0 tx-rate 1gbit tx-rate 2gbit", "tx-rate given twice");
	/* vNIC keys are not uplink keys. */
	refused_exactly("uplink set up0 tx-min 1gbit",
			"uplink set: unknown key \"tx-min\"");
	refused("uplink set up0 mac 52:54:00:00:00:01", "unknown key \"mac\"");
	refused("uplink set up/0 rx-rate 1", "invalid name \"up/0\"");
	/* ... nor the other way round. */
	refused("vnic set a tx-rate auto", "invalid rate \"auto\" for tx-rate");
}

/* ----------------------------------------------------------------- help */

static void
test_help_topics(void **state UNUSED)
{
	static const struct {
		const char *line;
		enum fn_help_topic topic;
		bool md;
	} c[] = {
		{ "help", FN_HELP_ALL, false },
		{ "help keys", FN_HELP_KEYS, false },
		{ "help keys --markdown", FN_HELP_KEYS, true },
		{ "help --markdown keys", FN_HELP_KEYS, true },
		{ "help counters", FN_HELP_COUNTERS, false },
		{ "help counters --markdown", FN_HELP_COUNTERS, true },
	};
	for (size_t i = 0; i < N(c); i++) {
		ok(c[i].line);
		assert_int_equal(cmd.op, FN_CMD_HELP);
		if (cmd.topic != c[i].topic || cmd.markdown != c[i].md)
			fail_msg("\"%s\": topic %d markdown %d", c[i].line,
				 cmd.topic, cmd.markdown);
	}
	refused_exactly("help --markdown", "help: --markdown needs a topic (help "
			"keys --markdown, help counters --markdown)");
	refused("help keys counters", "one topic at a time");
	refused("help keys keys", "one topic at a time");
	refused("help keys --markdown --markdown", "--markdown given twice");
	refused_exactly("help me", "help: unexpected argument \"me\" (expected "
			"keys, counters or --markdown)");
	refused("help --json", "unexpected argument \"--json\"");

	assert_ptr_equal(fn_cmd_help(FN_HELP_ALL, false), fn_cmd_usage());
	assert_ptr_equal(fn_cmd_help(FN_HELP_KEYS, true), fn_cmd_help(FN_HELP_KEYS, true));
	assert_ptr_not_equal(fn_cmd_help(FN_HELP_KEYS, true), fn_cmd_help(FN_HELP_KEYS, false));
}

/* The key table against the structs it must match: what FN_VNIC_KEYS
 * generates and what the daemon and the CLI rely on. */
static void
test_key_table(void **state UNUSED)
{
	uint32_t seen = 0;
	size_t backends = 0;

	assert_int_equal(fn_vnic_nkeys, FN_K_COUNT + 1);       /* backend twice */
	for (size_t i = 0; i < fn_vnic_nkeys; i++) {
		const struct fn_key_info *k = &fn_vnic_keys[i];
		char json[32];
		size_t j;

		assert_true(k->key < FN_K_COUNT);
		if (k->key == FN_K_BACKEND) {
			backends++;
			assert_int_equal(k->home, FN_HOME_PORT);
			assert_string_equal(k->field, "path");
		} else if (seen & BIT(k->key)) {
			fail_msg("key %s: enum value used twice", k->name);
		}
		seen |= BIT(k->key);
		assert_true(k->help[0] != '\0' && k->meta[0] != '\0');
		/* Every key takes a value: the parser needs a kind of it. */
		assert_true(k->val <= FN_VAL_ALLOW);
		/* JSON member and conf field: the keyword with '-' -> '_'. */
		for (j = 0; k->name[j] && j < sizeof(json) - 1; j++)
			json[j] = k->name[j] == '-' ? '_' : k->name[j];
		json[j] = '\0';
		if (k->home != FN_HOME_PORT && strcmp(json, k->field) != 0)
			fail_msg("key %s: field %s is not its JSON name %s",
				 k->name, k->field, json);
		/* A key's resets are LIMIT keys of its own direction. */
		for (size_t r = 0; r < fn_vnic_nkeys; r++)
			if (k->resets & BIT(fn_vnic_keys[r].key)) {
				assert_int_equal(fn_vnic_keys[r].home, FN_HOME_LIMIT);
				assert_memory_equal(fn_vnic_keys[r].name, k->name, 3);
				assert_false(r == i);
			}
		/* Each key is found by its own keyword. */
		char line[64];
		snprintf(line, sizeof(line), "vnic add a %s", k->name);
		assert_int_equal(parse(line), -1);
		snprintf(line, sizeof(line), "missing value for %s", k->name);
		if (k->key != FN_K_BACKEND && strstr(err, line) == NULL)
			fail_msg("\"vnic add a %s\": %s", k->name, err);
	}
	assert_int_equal(backends, 2);
	assert_int_equal(seen, BIT(FN_K_COUNT) - 1);
	/* The documented resets: a new rate gets its default burst (and
	 * rx-rate its default queue). */
	for (size_t i = 0; i < fn_vnic_nkeys; i++) {
		const struct fn_key_info *k = &fn_vnic_keys[i];
		uint32_t want = 0;
		if (k->key == FN_K_RX_RATE)
			want = BIT(FN_K_RX_BURST) | BIT(FN_K_RX_QUEUE);
		else if (k->key == FN_K_TX_RATE)
			want = BIT(FN_K_TX_BURST);
		else if (k->key == FN_K_RX_PPS)
			want = BIT(FN_K_RX_PPS_BURST);
		else if (k->key == FN_K_TX_PPS)
			want = BIT(FN_K_TX_PPS_BURST);
		if (k->resets != want)
			fail_msg("key %s resets %#x, not %#x", k->name, k->resets, want);
	}
	/* Offsets point at fields of the right size (the parser writes them). */
	assert_int_equal(offsetof(struct fn_vnic_params, rx_weight),
			 fn_vnic_keys[10].off);
	assert_string_equal(fn_vnic_keys[10].name, "rx-weight");
	assert_int_equal(sizeof(cmd.p.rx_weight), sizeof(((struct fn_vnic_conf *)0)->rx_weight));
	assert_int_equal(sizeof(cmd.p.rx_aqm), sizeof(((struct fn_vnic_conf *)0)->rx_aqm));
	assert_int_equal(sizeof(cmd.p.vlan), sizeof(((struct fn_vnic_conf *)0)->vlan));
}

/* `help keys --markdown` is the README's table: one row per keyword, in
 * the table's order, '|' escaped, and the plain `help keys` is a part of
 * the usage. */
static void
test_help_keys_text(void **state UNUSED)
{
	const char *md = fn_cmd_help(FN_HELP_KEYS, true);
	const char *txt = fn_cmd_help(FN_HELP_KEYS, false);
	const char *p = md;
	char row[128];

	assert_non_null(strstr(fn_cmd_usage(), txt));
	assert_int_equal(md[strlen(md) - 1], '\n');
	assert_non_null(strstr(md, "| `vlan` | `ID\\|none` | 802.1Q VLAN"));
	assert_non_null(strstr(md, "| `rx-aqm` | `codel\\|tail` | "));
	for (size_t i = 0; i < fn_vnic_nkeys; i++) {
		snprintf(row, sizeof(row), "\n| `%s` | `", fn_vnic_keys[i].name);
		const char *r = strstr(p, row);
		if (r == NULL)
			fail_msg("markdown lacks the row of %s (in order)",
				 fn_vnic_keys[i].name);
		p = r + 1;
	}
	const char *up = strstr(md, "Keys of `uplink set NAME`:");
	assert_non_null(up);
	assert_true(up > p);
	assert_non_null(strstr(up, "| `tx-rate` | `RATE\\|auto` | "));
	/* Rows: the keys of both tables and two headers, no more. */
	size_t rows = 0;
	for (const char *l = md; (l = strstr(l, "\n|")) != NULL; l++)
		rows++;
	assert_int_equal(rows, fn_vnic_nkeys + 2 + 2 * 2);
}

/* `help counters` lists every counter of fn_counters.h with its help, and
 * the gauges of `stats`. */
static void
test_help_counters_text(void **state UNUSED)
{
	const char *txt = fn_cmd_help(FN_HELP_COUNTERS, false);
	const char *md = fn_cmd_help(FN_HELP_COUNTERS, true);
	char pat[96];

	for (int i = 0; i < FN_VC_MAX; i++) {
		snprintf(pat, sizeof(pat), "\n| `%s` | ", fn_vnic_counter_names[i]);
		if (strstr(md, pat) == NULL)
			fail_msg("markdown lacks vNIC counter %s", fn_vnic_counter_names[i]);
		snprintf(pat, sizeof(pat), "\n  %s ", fn_vnic_counter_names[i]);
		if (strstr(txt, pat) == NULL)
			fail_msg("help lacks vNIC counter %s", fn_vnic_counter_names[i]);
	}
	for (int i = 0; i < FN_UC_MAX; i++) {
		const char *up = strstr(md, "Per uplink");
		snprintf(pat, sizeof(pat), "\n| `%s` | ", fn_uplink_counter_names[i]);
		if (up == NULL || strstr(up, pat) == NULL)
			fail_msg("markdown lacks uplink counter %s", fn_uplink_counter_names[i]);
	}
	for (int i = 0; i < FN_VG_MAX; i++) {
		snprintf(pat, sizeof(pat), "\n| `%s` | ", fn_vnic_gauge_names[i]);
		if (strstr(md, pat) == NULL)
			fail_msg("markdown lacks %s", fn_vnic_gauge_names[i]);
	}
	/* The help texts are fn_counters.h's own. */
	assert_non_null(strstr(md, "| `rx_drop_aqm` | dropped by CoDel (rx-aqm codel)"));
	assert_non_null(strstr(txt, "rx_drop_not_connected  no guest connected"));
	assert_string_equal(fn_vnic_gauge_names[FN_VG_rx_share], "rx_share");
	assert_int_equal(md[strlen(md) - 1], '\n');
	assert_int_equal(txt[strlen(txt) - 1], '\n');
}

/* ----------------------------------------------------------------- fuzz */

static uint64_t
lcg(uint64_t *s)
{
	*s = *s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return *s >> 17;
}

/* Checks what every successful parse must guarantee. */
static void
check_invariants(const struct fn_cmd *c)
{
	const struct fn_vnic_params *p = &c->p;

	assert_true(c->op <= FN_CMD_HELP);
	assert_true(c->op == FN_CMD_UPLINK_SET ? c->up.set != 0 : c->up.set == 0);
	assert_int_equal(c->up.set & ~(BIT(FN_UK_COUNT) - 1), 0);
	assert_true(c->up.rx_rate <= FN_RATE_MAX);
	assert_true(c->up.tx_rate <= FN_RATE_MAX || c->up.tx_rate == FN_RATE_AUTO);
	assert_true(c->op == FN_CMD_HELP ||
		    (c->topic == FN_HELP_ALL && !c->markdown));
	assert_true(!c->markdown || c->topic != FN_HELP_ALL);
	assert_true(c->name[0] == '\0' || fn_cmd_name_valid(c->name));
	assert_int_equal(p->set & ~(BIT(FN_K_COUNT) - 1), 0);
	if (c->op == FN_CMD_VNIC_ADD) {
		assert_true(p->set & BIT(FN_K_MAC));
		assert_true(p->set & BIT(FN_K_BACKEND));
	} else if (c->op == FN_CMD_VNIC_SET) {
		assert_true(p->set != 0);
		assert_false(p->set & BIT(FN_K_BACKEND));
	} else {
		assert_int_equal(p->set, 0);
	}
	if (c->op == FN_CMD_VNIC_ADD || c->op == FN_CMD_VNIC_SET ||
	    c->op == FN_CMD_VNIC_DEL)
		assert_true(c->name[0] != '\0');
	if (p->set & BIT(FN_K_MAC))
		assert_true(p->mac != 0 && !fn_mac_is_group(p->mac) &&
			    p->mac <= FN_MAC_BCAST);
	assert_true(p->vlan == FN_VLAN_NONE ||
		    (p->vlan >= 1 && p->vlan <= FN_VLAN_MAX));
	assert_true(p->rx_rate <= FN_RATE_MAX && p->tx_rate <= FN_RATE_MAX);
	assert_true(p->rx_burst <= FN_SIZE_MAX && p->tx_burst <= FN_SIZE_MAX);
	assert_true(p->rx_pps <= FN_COUNT_MAX && p->tx_pps_burst <= FN_COUNT_MAX);
	assert_true(memchr(p->path, '\0', sizeof(p->path)) != NULL);
	assert_true(p->uplink[0] == '\0' || fn_cmd_name_valid(p->uplink));
	assert_true(p->rx_min <= FN_RATE_MAX && p->tx_min <= FN_RATE_MAX);
	assert_true(p->rx_queue <= FN_SIZE_MAX);
	assert_true(p->rx_weight <= FN_WEIGHT_MAX && p->tx_weight <= FN_WEIGHT_MAX);
	assert_true((p->rx_weight != 0) == !!(p->set & BIT(FN_K_RX_WEIGHT)));
	assert_true((p->tx_weight != 0) == !!(p->set & BIT(FN_K_TX_WEIGHT)));
	assert_true(p->rx_aqm <= FN_AQM_TAIL);
}

static void
test_fuzz(void **state UNUSED)
{
	static const char *const vocab[] = {
		"vnic", "add", "set", "del", "show", "list", "uplink", "stats",
		"reset", "help", "vm1", "up0", "mac", "vhost-user", "tap",
		"vlan", "rx-rate", "rx-burst", "rx-pps", "rx-pps-burst",
		"tx-rate", "tx-burst", "tx-pps", "tx-pps-burst", "local", "on",
		"off", "none", "52:54:00:00:00:01", "01:00:00:00:00:00",
		"00:00:00:00:00:00", "0", "1", "4094", "4095", "10mbit",
		"1.5gbit", "64kb", "24k", "-1", "", "/run/x.sock", "#", "\xff",
		"99999999999999999999999", ".", "1e9", "rx-min", "tx-min",
		"rx-weight", "tx-weight", "rx-queue", "rx-police", "rx-aqm",
		"codel", "tail", "10000", "10001", "auto", "keys", "counters",
		"--markdown",
	};
	static char junk[16][48];
	uint64_t seed = 20240601;
	unsigned ok_n = 0, bad_n = 0;
	char *argv[16];

	for (int it = 0; it < 300000; it++) {
		int argc = (int)(lcg(&seed) % 17);
		int mode = (int)(lcg(&seed) % 4);

		for (int i = 0; i < argc; i++) {
			uint64_t r = lcg(&seed);

			if (mode == 0 && r % 8 == 0) {
				/* Random bytes, any value but NUL. */
				size_t len = lcg(&seed) % sizeof(junk[i]);
				for (size_t k = 0; k < len; k++)
					junk[i][k] = (char)(lcg(&seed) % 255 + 1);
				junk[i][len] = '\0';
				argv[i] = junk[i];
			} else {
				argv[i] = (char *)vocab[r % N(vocab)];
			}
		}
		/* Mode 1: a valid add, some pairs mutated into the vocabulary. */
		if (mode == 1 && argc >= 7) {
			static char *const base[] = {
				"vnic", "add", "vm1", "mac", "52:54:00:00:00:01",
				"tap", "t0",
			};
			for (int i = 0; i < 7; i++)
				if (lcg(&seed) % 6 != 0)
					argv[i] = base[i];
		}
		memset(err, 'E', sizeof(err));
		int r = fn_cmd_parse(argc, argv, &cmd, err, sizeof(err));
		assert_true(memchr(err, '\0', sizeof(err)) != NULL);
		if (r == 0) {
			assert_string_equal(err, "");
			check_invariants(&cmd);
			ok_n++;
		} else {
			assert_int_equal(r, -1);
			assert_true(err[0] != '\0');
			assert_null(strchr(err, '\n'));
			bad_n++;
		}
	}
	print_message("fuzz: %u accepted, %u refused\n", ok_n, bad_n);
	/* The loop must reach deep into both paths to mean anything. */
	assert_true(ok_n > 1000);
	assert_true(bad_n > 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_all_keys),
		cmocka_unit_test(test_add_minimal_and_order),
		cmocka_unit_test(test_mode_and_group),
		cmocka_unit_test(test_paths_are_utf8_without_controls),
		cmocka_unit_test(test_parse_clears_previous),
		cmocka_unit_test(test_add_missing),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_set_subset),
		cmocka_unit_test(test_set_backend_rejected),
		cmocka_unit_test(test_set_needs_a_key),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_empty_and_extra),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_backend_values),
		cmocka_unit_test(test_local),
		cmocka_unit_test(test_l3_guard_keys),
		cmocka_unit_test(test_commands_and_aliases),
		cmocka_unit_test(test_error_text_is_safe),
		cmocka_unit_test(test_usage_lists_everything),
		cmocka_unit_test(test_min_weight_queue_police_aqm),
		cmocka_unit_test(test_uplink_set),
		cmocka_unit_test(test_help_topics),
		cmocka_unit_test(test_key_table),
		cmocka_unit_test(test_help_keys_text),
		cmocka_unit_test(test_help_counters_text),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_split_max),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
