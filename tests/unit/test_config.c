/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of config lines (fn_cmd.c): the `config show|save|reload`
 * commands, fn_cmd_word_ok, the keys a vNIC keeps as given across
 * commands (fn_vnic_given, the RESETS rule), each value type written
 * exactly as the parser reads it back, whole lines (exact text, the
 * backend's two spellings, refusals), the longest possible line against
 * the config reader's limits, and a seeded loop checking that any line
 * written parses back to the same keys and values.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fn_cmd.h"
#include "fn_eth.h"

#define UNUSED __attribute__((unused))
#define N(a)   (sizeof(a) / sizeof((a)[0]))
#define KB(k)  (UINT32_C(1) << FN_K_##k)

static char err[256];
static struct fn_cmd cmd;

/* Parse a line as fnd_ctl_run_config() does: split, then the grammar. */
static int
parse(const char *line)
{
	static char buf[FN_CFG_LINE_MAX];
	char *argv[FN_CFG_WORDS_MAX];

	snprintf(buf, sizeof(buf), "%s", line);
	int argc = fn_cmd_split(buf, argv, FN_CFG_WORDS_MAX);
	assert_true(argc > 0);
	return fn_cmd_parse(argc, argv, &cmd, err, sizeof(err));
}

static const struct fn_key_info *
key(const char *name)
{
	for (size_t i = 0; i < fn_vnic_nkeys; i++)
		if (strcmp(fn_vnic_keys[i].name, name) == 0)
			return &fn_vnic_keys[i];
	fail_msg("no key %s", name);
	return NULL;
}

/* A vhost-user vNIC given mac and the backend only. */
static struct fn_vnic_params
base_params(void)
{
	struct fn_vnic_params p;

	memset(&p, 0, sizeof(p));
	p.set = KB(MAC) | KB(BACKEND);
	p.mac = UINT64_C(0x525400000001);
	p.backend = FN_BACKEND_VHOST_USER;
	snprintf(p.path, sizeof(p.path), "/run/fairnic/vm1.sock");
	p.vlan = FN_VLAN_NONE;
	return p;
}

/* ------------------------------------------------------------ commands */

static void
test_config_commands(void **state UNUSED)
{
	assert_int_equal(parse("config show"), 0);
	assert_int_equal(cmd.op, FN_CMD_CONFIG_SHOW);
	assert_int_equal(parse("config reload"), 0);
	assert_int_equal(cmd.op, FN_CMD_CONFIG_RELOAD);
	assert_int_equal(parse("config save"), 0);
	assert_int_equal(cmd.op, FN_CMD_CONFIG_SAVE);
	assert_null(cmd.file);
	assert_int_equal(parse("config save /etc/fairnic/fairnic.conf"), 0);
	assert_int_equal(cmd.op, FN_CMD_CONFIG_SAVE);
	assert_string_equal(cmd.file, "/etc/fairnic/fairnic.conf");
	assert_string_equal(cmd.name, "");

	assert_int_equal(parse("config save a b"), -1);
	assert_string_equal(err, "config save: unexpected argument \"b\"");
	assert_int_equal(parse("config show vm1"), -1);
	assert_string_equal(err, "config show: unexpected argument \"vm1\"");
	assert_int_equal(parse("config reload now"), -1);
	assert_string_equal(err, "config reload: unexpected argument \"now\"");
	assert_int_equal(parse("config"), -1);
	assert_string_equal(err, "config: missing subcommand (expected show, save, reload)");
	assert_int_equal(parse("config load x"), -1);
	assert_string_equal(err, "config: unknown subcommand \"load\" (expected show, "
			    "save, reload)");

	char *empty[] = { "config", "save", "" };
	assert_int_equal(fn_cmd_parse(3, empty, &cmd, err, sizeof(err)), -1);
	assert_string_equal(err, "config save: empty FILE name");
	/* cleared by the next parse */
	assert_int_equal(parse("config save f"), 0);
	assert_int_equal(parse("config save"), 0);
	assert_null(cmd.file);
}

static void
test_word_ok(void **state UNUSED)
{
	assert_true(fn_cmd_word_ok("/run/fairnic/vm1.sock"));
	assert_true(fn_cmd_word_ok("10.0.0.1/24,2001:db8::1"));
	assert_true(fn_cmd_word_ok("/tmp/\xc3\xa9.sock"));       /* UTF-8 */
	assert_false(fn_cmd_word_ok(""));
	assert_false(fn_cmd_word_ok(NULL));
	assert_false(fn_cmd_word_ok("/tmp/a b.sock"));
	assert_false(fn_cmd_word_ok("/tmp/a\tb"));
	assert_false(fn_cmd_word_ok("/tmp/a#b"));
	assert_false(fn_cmd_word_ok("#"));
}

/* ----------------------------------------------------------- given keys */

static void
test_given(void **state UNUSED)
{
	uint32_t g = fn_vnic_given(0, KB(MAC) | KB(BACKEND) | KB(RX_RATE) |
				   KB(RX_BURST) | KB(RX_QUEUE) | KB(LOCAL));
	assert_int_equal(g, KB(MAC) | KB(BACKEND) | KB(RX_RATE) | KB(RX_BURST) |
			 KB(RX_QUEUE) | KB(LOCAL));
	/* a new rx-rate alone: the burst and queue it derives are derived again */
	assert_int_equal(fn_vnic_given(g, KB(RX_RATE)),
			 KB(MAC) | KB(BACKEND) | KB(RX_RATE) | KB(LOCAL));
	/* with its burst: that stays given, the queue is derived */
	assert_int_equal(fn_vnic_given(g, KB(RX_RATE) | KB(RX_BURST)),
			 KB(MAC) | KB(BACKEND) | KB(RX_RATE) | KB(RX_BURST) | KB(LOCAL));
	/* a burst alone changes nothing else */
	assert_int_equal(fn_vnic_given(g, KB(RX_BURST)), g);
	/* the other rates reset their own bursts only */
	g = KB(RX_PPS_BURST) | KB(TX_BURST) | KB(TX_PPS_BURST) | KB(RX_BURST);
	assert_int_equal(fn_vnic_given(g, KB(TX_RATE)),
			 KB(RX_PPS_BURST) | KB(TX_PPS_BURST) | KB(RX_BURST) | KB(TX_RATE));
	assert_int_equal(fn_vnic_given(g, KB(TX_PPS)),
			 KB(RX_PPS_BURST) | KB(TX_BURST) | KB(RX_BURST) | KB(TX_PPS));
	assert_int_equal(fn_vnic_given(g, KB(RX_PPS)),
			 KB(TX_BURST) | KB(TX_PPS_BURST) | KB(RX_BURST) | KB(RX_PPS));
	/* keys without RESETS never clear anything */
	assert_int_equal(fn_vnic_given(g, KB(MODE) | KB(IP) | KB(UPLINK)),
			 g | KB(MODE) | KB(IP) | KB(UPLINK));
}

/* --------------------------------------------------------------- values */

static void
value_is(const char *name, const struct fn_vnic_params *p, const char *want)
{
	char buf[FN_IPSET_STRLEN];
	int n = fn_cmd_vnic_value(key(name), p, buf, sizeof(buf));

	if (strcmp(buf, want) != 0)
		fail_msg("%s: \"%s\", want \"%s\"", name, buf, want);
	assert_int_equal(n, (int)strlen(want));
}

static void
test_values(void **state UNUSED)
{
	struct fn_vnic_params p = base_params();
	char why[128];

	value_is("mac", &p, "52:54:00:00:00:01");
	value_is("vhost-user", &p, "/run/fairnic/vm1.sock");
	value_is("vlan", &p, "none");
	p.vlan = 4094;
	value_is("vlan", &p, "4094");
	value_is("rx-rate", &p, "0");
	p.rx_rate = 10000000;
	value_is("rx-rate", &p, "10Mbit");
	p.rx_rate = 1500000;
	value_is("rx-rate", &p, "1.5Mbit");
	p.rx_rate = 1234567;
	value_is("rx-rate", &p, "1234567bit");
	p.rx_rate = FN_RATE_MAX;
	value_is("rx-rate", &p, "10Tbit");
	p.rx_min = 1000;
	value_is("rx-min", &p, "1Kbit");
	p.rx_burst = 65536;
	value_is("rx-burst", &p, "64Kb");
	p.rx_burst = 12500;
	value_is("rx-burst", &p, "12500b");
	p.rx_queue = FN_SIZE_MAX;
	value_is("rx-queue", &p, "1Gb");
	p.tx_pps = 24000;
	value_is("tx-pps", &p, "24000");
	p.rx_weight = 10000;
	value_is("rx-weight", &p, "10000");
	value_is("rx-police", &p, "off");
	p.rx_police = true;
	value_is("rx-police", &p, "on");
	value_is("rx-aqm", &p, "codel");
	p.rx_aqm = 1;
	value_is("rx-aqm", &p, "tail");
	value_is("dhcp-server", &p, "deny");
	p.ra = true;
	value_is("ra", &p, "allow");
	p.mode = 0600;
	value_is("mode", &p, "0600");
	p.mode = 0;
	value_is("mode", &p, "0000");
	snprintf(p.group, sizeof(p.group), "kvm");
	value_is("group", &p, "kvm");
	snprintf(p.uplink, sizeof(p.uplink), "up1");
	value_is("uplink", &p, "up1");
	value_is("ip", &p, "any");
	assert_int_equal(fn_ipset_parse("none", &p.ip, why, sizeof(why)), 0);
	value_is("ip", &p, "none");
	assert_int_equal(fn_ipset_parse("2001:db8::1,10.0.0.0/24", &p.ip, why,
					sizeof(why)), 0);
	value_is("ip", &p, "10.0.0.0/24,2001:db8::1");
}

/* ---------------------------------------------------------------- lines */

static void
line_is(const struct fn_vnic_params *p, const char *want)
{
	char buf[FN_CFG_LINE_MAX];
	const char *bad = NULL;
	int n = fn_cmd_vnic_line("vm1", p, buf, sizeof(buf), &bad);

	if (strcmp(buf, want) != 0)
		fail_msg("line \"%s\",\nwant \"%s\"", buf, want);
	assert_int_equal(n, (int)strlen(want));
}

static void
test_line_exact(void **state UNUSED)
{
	struct fn_vnic_params p = base_params();
	char why[128];

	line_is(&p, "vnic add vm1 mac 52:54:00:00:00:01 vhost-user /run/fairnic/vm1.sock");
	/* keys in FN_VNIC_KEYS order, whatever order they were set in */
	p.set |= KB(MODE) | KB(RX_RATE) | KB(IP) | KB(VLAN) | KB(TX_PPS) | KB(LOCAL);
	p.mode = 0640;
	p.rx_rate = 20000000;
	p.vlan = 10;
	p.tx_pps = 1000;
	assert_int_equal(fn_ipset_parse("10.0.0.2", &p.ip, why, sizeof(why)), 0);
	line_is(&p, "vnic add vm1 mac 52:54:00:00:00:01 vhost-user /run/fairnic/vm1.sock "
		"vlan 10 rx-rate 20Mbit tx-pps 1000 local off ip 10.0.0.2 mode 0640");
	/* the tap spelling of the backend, once */
	p = base_params();
	p.backend = FN_BACKEND_TAP;
	snprintf(p.path, sizeof(p.path), "fnc1");
	line_is(&p, "vnic add vm1 mac 52:54:00:00:00:01 tap fnc1");
	/* a key not in set is not written, whatever its value */
	p.rx_rate = 5;
	line_is(&p, "vnic add vm1 mac 52:54:00:00:00:01 tap fnc1");
}

static void
test_line_refused(void **state UNUSED)
{
	struct fn_vnic_params p = base_params();
	char buf[FN_CFG_LINE_MAX];
	const char *bad = NULL;

	snprintf(p.path, sizeof(p.path), "/run/a b.sock");
	assert_int_equal(fn_cmd_vnic_line("vm1", &p, buf, sizeof(buf), &bad), -EINVAL);
	assert_string_equal(bad, "vhost-user");
	p = base_params();
	p.backend = FN_BACKEND_TAP;
	snprintf(p.path, sizeof(p.path), "tap#1");
	assert_int_equal(fn_cmd_vnic_line("vm1", &p, buf, sizeof(buf), &bad), -EINVAL);
	assert_string_equal(bad, "tap");
	p = base_params();
	p.set |= KB(GROUP);
	snprintf(p.group, sizeof(p.group), "%s", "");
	assert_int_equal(fn_cmd_vnic_line("vm1", &p, buf, sizeof(buf), &bad), -EINVAL);
	assert_string_equal(bad, "group");
	/* mac and the backend are not optional */
	p = base_params();
	p.set &= ~KB(MAC);
	assert_int_equal(fn_cmd_vnic_line("vm1", &p, buf, sizeof(buf), &bad), -EINVAL);
	p = base_params();
	p.set &= ~KB(BACKEND);
	assert_int_equal(fn_cmd_vnic_line("vm1", &p, buf, sizeof(buf), &bad), -EINVAL);
	/* too small a buffer: refused, never cut */
	p = base_params();
	assert_int_equal(fn_cmd_vnic_line("vm1", &p, buf, 20, &bad), -ENOSPC);
	assert_int_equal(fn_cmd_vnic_line("vm1", &p, buf, 67, &bad), -ENOSPC);
	assert_int_equal(fn_cmd_vnic_line("vm1", &p, buf, 68, &bad), 67);
}

static void
test_uplink_line(void **state UNUSED)
{
	struct fn_uplink_params u = { 0 };
	char buf[128];

	assert_int_equal(fn_cmd_uplink_line("up0", &u, buf, sizeof(buf)), 14);
	assert_string_equal(buf, "uplink set up0");
	u.set = UINT32_C(1) << FN_UK_TX_RATE;
	u.tx_rate = FN_RATE_AUTO;
	fn_cmd_uplink_line("up0", &u, buf, sizeof(buf));
	assert_string_equal(buf, "uplink set up0 tx-rate auto");
	u.set |= UINT32_C(1) << FN_UK_RX_RATE;
	u.rx_rate = 2000000000;
	u.tx_rate = 0;
	fn_cmd_uplink_line("up0", &u, buf, sizeof(buf));
	assert_string_equal(buf, "uplink set up0 rx-rate 2Gbit tx-rate 0");
	assert_int_equal(parse(buf), 0);
	assert_int_equal(cmd.up.set, u.set);
	assert_true(cmd.up.rx_rate == u.rx_rate && cmd.up.tx_rate == u.tx_rate);
	assert_int_equal(fn_cmd_uplink_line("up0", &u, buf, 20), -ENOSPC);
}

/* The longest line any vNIC can have still fits fnd_ctl_run_config()'s
 * line and words (a key added with a long value would break this). */
static void
test_longest_line_fits(void **state UNUSED)
{
	struct fn_vnic_params p = base_params();
	char buf[FN_CFG_LINE_MAX], ips[FN_IPSET_STRLEN] = "", why[128], name[FN_NAME_MAX];
	const char *bad;

	for (int i = 0; i < 16; i++) {
		size_t n = strlen(ips);
		snprintf(ips + n, sizeof(ips) - n, "%s100.64.%d.128/25", n ? "," : "", i);
	}
	for (int i = 0; i < 16; i++) {
		size_t n = strlen(ips);
		snprintf(ips + n, sizeof(ips) - n,
			 ",2001:db8:1111:2222:3333:4444:%04x:5554/127", 0x8000 + i);
	}
	assert_int_equal(fn_ipset_parse(ips, &p.ip, why, sizeof(why)), 0);
	memset(p.path, 'p', FN_PATH_MAX - 1);
	p.path[0] = '/';
	p.path[FN_PATH_MAX - 1] = '\0';
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(p.uplink, sizeof(p.uplink), "%s", name);
	snprintf(p.group, sizeof(p.group), "%s", name);
	p.set = UINT32_MAX >> (32 - FN_K_COUNT);        /* every key */
	p.rx_rate = p.tx_rate = p.rx_min = p.tx_min = 1234567890123;
	p.rx_burst = p.tx_burst = p.rx_queue = (1u << 30) - 1;
	p.rx_pps = p.tx_pps = p.rx_pps_burst = p.tx_pps_burst = FN_COUNT_MAX;
	p.rx_coalesce_usecs = p.rx_coalesce_frames = FN_COUNT_MAX;
	p.rx_weight = p.tx_weight = 10000;
	p.vlan = 4094;
	p.mode = 0777;
	p.mac = UINT64_C(0xfeffffffffff);

	int n = fn_cmd_vnic_line(name, &p, buf, sizeof(buf), &bad);
	assert_true(n > 1500);
	assert_true(n <= FN_CFG_LINE_MAX - 2);
	assert_int_equal(parse(buf), 0);
	assert_int_equal(cmd.p.set, p.set);
	char *argv[FN_CFG_WORDS_MAX + 1];
	assert_int_equal(fn_cmd_split(buf, argv, FN_CFG_WORDS_MAX + 1), 3 + 2 * FN_K_COUNT);
}

/* ---------------------------------------------------------- round trip */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t
rnd(uint64_t n)         /* 0..n-1 */
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? rng % n : 0;
}

/* Any value; small ones and round ones as often as large ones. */
static uint64_t
rnd_value(uint64_t max)
{
	static const uint64_t round[] = { 1000, 1024, 1000000, 1 << 20, 1500000 };
	switch (rnd(4)) {
	case 0: return rnd(max + 1);
	case 1: return rnd(2000);
	case 2: return round[rnd(N(round))] * (1 + rnd(9)) % (max + 1);
	default: return 0;
	}
}

static void
rnd_word(char *buf, size_t size, const char *chars)
{
	size_t n = 1 + rnd(size - 1), m = strlen(chars);
	for (size_t i = 0; i < n; i++)
		buf[i] = chars[rnd(m)];
	buf[n] = '\0';
}

/* A valid value for every key of p, backend and all. */
static void
rnd_params(struct fn_vnic_params *p)
{
	static const char *const ips[] = { "any", "none", "10.0.0.1", "fe80::/64",
		"192.0.2.0/24,2001:db8::/32,10.1.1.1" };
	static const char name[] = "abcXYZ019_.-";
	char why[128];

	memset(p, 0, sizeof(*p));
	p->mac = ((rnd(UINT64_C(1) << 47) << 1) | 2) & UINT64_C(0xfeffffffffff);
	p->backend = rnd(2) ? FN_BACKEND_TAP : FN_BACKEND_VHOST_USER;
	if (p->backend == FN_BACKEND_TAP) {     /* not "." nor ".." */
		p->path[0] = 't';
		rnd_word(p->path + 1, 15, name);
	} else {
		snprintf(p->path, sizeof(p->path), "/run/fn/%u.sock", (unsigned)rnd(1000));
	}
	rnd_word(p->uplink, FN_NAME_MAX, name);
	p->vlan = rnd(3) ? (uint16_t)(1 + rnd(4094)) : FN_VLAN_NONE;
	p->rx_rate = rnd_value(FN_RATE_MAX);
	p->tx_rate = rnd_value(FN_RATE_MAX);
	p->rx_min = rnd_value(FN_RATE_MAX);
	p->tx_min = rnd_value(FN_RATE_MAX);
	p->rx_burst = rnd_value(FN_SIZE_MAX);
	p->tx_burst = rnd_value(FN_SIZE_MAX);
	p->rx_queue = rnd_value(FN_SIZE_MAX);
	p->rx_pps = rnd_value(FN_COUNT_MAX);
	p->tx_pps = rnd_value(FN_COUNT_MAX);
	p->rx_pps_burst = rnd_value(FN_COUNT_MAX);
	p->tx_pps_burst = rnd_value(FN_COUNT_MAX);
	p->rx_coalesce_usecs = rnd_value(FN_COUNT_MAX);
	p->rx_coalesce_frames = rnd_value(FN_COUNT_MAX);
	p->rx_weight = (uint32_t)(1 + rnd(FN_WEIGHT_MAX));
	p->tx_weight = (uint32_t)(1 + rnd(FN_WEIGHT_MAX));
	p->rx_police = rnd(2);
	p->rx_coalesce_adaptive = rnd(2);
	p->local = rnd(2);
	p->dhcp_server = rnd(2);
	p->ra = rnd(2);
	p->rx_aqm = (uint8_t)rnd(2);
	p->mode = (uint32_t)rnd(01000);
	rnd_word(p->group, FN_NAME_MAX, "abcdefgh019_");
	assert_int_equal(fn_ipset_parse(ips[rnd(N(ips))], &p->ip, why, sizeof(why)), 0);
	p->set = (uint32_t)rnd(UINT64_C(1) << FN_K_COUNT) | KB(MAC) | KB(BACKEND);
}

/* Every line written parses back to the keys and values written. */
static void
test_round_trip(void **state UNUSED)
{
	char buf[FN_CFG_LINE_MAX], a[FN_IPSET_STRLEN + FN_PATH_MAX], b[sizeof(a)];
	struct fn_vnic_params p;
	const char *bad;

	for (int i = 0; i < 20000; i++) {
		rnd_params(&p);
		int n = fn_cmd_vnic_line("vm1", &p, buf, sizeof(buf), &bad);
		assert_true(n > 0);
		if (parse(buf) != 0)
			fail_msg("\"%s\" refused: %s", buf, err);
		assert_int_equal(cmd.op, FN_CMD_VNIC_ADD);
		assert_string_equal(cmd.name, "vm1");
		assert_int_equal(cmd.p.set, p.set);
		assert_int_equal(cmd.p.backend, p.backend);
		for (size_t k = 0; k < fn_vnic_nkeys; k++) {
			const struct fn_key_info *ki = &fn_vnic_keys[k];
			if (!(p.set & (UINT32_C(1) << ki->key)))
				continue;
			fn_cmd_vnic_value(ki, &p, a, sizeof(a));
			fn_cmd_vnic_value(ki, &cmd.p, b, sizeof(b));
			if (strcmp(a, b) != 0)
				fail_msg("%s: wrote %s, read back %s (line %s)", ki->name,
					 a, b, buf);
		}
		/* numbers exactly, not only their text */
		assert_true(cmd.p.rx_rate == (p.set & KB(RX_RATE) ? p.rx_rate : 0));
		assert_true(cmd.p.rx_burst == (p.set & KB(RX_BURST) ? p.rx_burst : 0));
		assert_true(cmd.p.tx_pps == (p.set & KB(TX_PPS) ? p.tx_pps : 0));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_commands),
		cmocka_unit_test(test_word_ok),
		cmocka_unit_test(test_given),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_line_exact),
		cmocka_unit_test(test_line_refused),
		cmocka_unit_test(test_uplink_line),
		cmocka_unit_test(test_longest_line_fits),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
