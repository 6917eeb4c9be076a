/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit and scenario tests for fn_switch, in simulated time.
 *
 * The clock is an argument, so rate tests run ten simulated seconds of a
 * 1 Mpps flood in a fraction of a real one and expect exact counts, which
 * are computed here from the configuration (rate * time + burst), never
 * from the token bucket's own arithmetic. Tables of frames with their
 * expected verdicts cover the classifiers; after every control operation
 * sw_check() verifies the switch's structure (fib entries, domain lists,
 * fib count).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fn_switch.h"

#define HZ        UINT64_C(1000000000)   /* 1 GHz: one cycle per ns */
#define MAXF      1514
#define NONE      FN_VLAN_NONE
#define NOUP      FN_UPLINK_NONE
#define NOV       FN_VNIC_NONE
#define BCAST     FN_MAC_BCAST
#define MCAST     UINT64_C(0x01005e0000fb)   /* mDNS */
#define MCAST6    UINT64_C(0x333300000001)
#define MAC(n)    (UINT64_C(0x020000000000) | (uint64_t)(n))
#define UNKNOWN   UINT64_C(0x02ffffffff00)
#define SEC       HZ
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ------------------------------------------------------------ */

static uint8_t buf[70000];

static struct fn_switch *
mk(uint32_t max_vnics, uint64_t hz)
{
	struct fn_switch *sw = fn_switch_create(max_vnics, 2, hz, MAXF);
	assert_non_null(sw);
	return sw;
}

static struct fn_vnic_conf
cf(uint64_t mac, uint16_t uplink, uint16_t vlan, bool local)
{
	return (struct fn_vnic_conf){ .mac = mac, .uplink = uplink, .vlan = vlan,
				      .local = local };
}

static void sw_check(const struct fn_switch *sw);

static uint32_t
add_conf(struct fn_switch *sw, struct fn_vnic_conf c, uint64_t now)
{
	uint32_t id = 12345;
	int rc = fn_switch_vnic_add(sw, &c, now, &id);
	if (rc)
		fail_msg("vnic_add(mac %012llx uplink %u vlan %u): %d",
			 (unsigned long long)c.mac, c.uplink, c.vlan, rc);
	sw_check(sw);
	return id;
}

static uint32_t
add(struct fn_switch *sw, uint64_t mac, uint16_t uplink, uint16_t vlan, bool local)
{
	return add_conf(sw, cf(mac, uplink, vlan, local), 0);
}

/* Write a frame into buf: untagged if vlan == NONE, else with an 802.1Q
 * tag carrying that VID (0 = priority tag). Bytes past `len` are not part
 * of the frame; a short tagged frame is simply cut. */
static const uint8_t *
frame(uint64_t dst, uint64_t src, uint16_t vlan, uint32_t len)
{
	memset(buf, 0xa5, len < 64 ? 64 : len);
	fn_mac_store(buf, dst);
	fn_mac_store(buf + 6, src);
	if (vlan == NONE) {
		buf[12] = 0x08, buf[13] = 0x00;
	} else {
		buf[12] = 0x81, buf[13] = 0x00;
		buf[14] = (uint8_t)(0xe0 | vlan >> 8), buf[15] = (uint8_t)vlan; /* PCP 7 */
		buf[16] = 0x08, buf[17] = 0x06;
	}
	return buf;
}

/* Members a flood reaches, in iteration order; fails on a loop. */
static uint32_t
flood_list(const struct fn_switch *sw, uint32_t head, uint32_t from, uint32_t *out)
{
	uint32_t n = 0;
	for (uint32_t m = fn_switch_flood_first(sw, head, from); m != NOV;
	     m = fn_switch_flood_next(sw, m, from)) {
		assert_true(n < 64);   /* callers hold 64; also stops a loop */
		out[n++] = m;
	}
	return n;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The flood from `from` starting at `head` reaches exactly `want` (any order,
 * each once). */
static void
expect_flood(const struct fn_switch *sw, uint32_t head, uint32_t from,
	     const uint32_t *want, uint32_t n)
{
	uint32_t got[64], exp[64];
	uint32_t g = flood_list(sw, head, from, got);
	if (n)
		memcpy(exp, want, n * sizeof(*want));
	qsort(got, g, sizeof(*got), cmp_u32);
	qsort(exp, n, sizeof(*exp), cmp_u32);
	if (g != n)
		fail_msg("flood reaches %u members, expected %u", g, n);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(got[i], exp[i]);
}

/*
 * Structure of the switch: every vNIC in use is found in the fib under its
 * own key; each domain is a proper doubly linked list whose head is the fib
 * entry under the broadcast MAC and which holds exactly the vNICs of that
 * (uplink, VLAN); the fib holds one entry per vNIC plus one per domain.
 */
static void
sw_check(const struct fn_switch *sw)
{
	uint32_t in_use = 0, heads = 0;
	for (uint32_t i = 0; i < sw->max_vnics; i++) {
		const struct fn_vnic *v = &sw->vnics[i];
		if (!v->in_use)
			continue;
		in_use++;
		assert_int_equal(fn_fib_lookup(sw->fib, v->uplink, v->vlan, v->mac), i);
		uint32_t head = fn_fib_lookup(sw->fib, v->uplink, v->vlan, BCAST);
		assert_int_not_equal(head, FN_FIB_MISS);
		assert_int_equal(sw->vnics[head].dom_prev, NOV);
		if (v->dom_prev == NOV) {
			heads++;
			assert_int_equal(head, i);
		}
		uint32_t steps = 0, prev = NOV, found = 0;
		for (uint32_t m = head; m != NOV; prev = m, m = sw->vnics[m].dom_next) {
			assert_true(++steps <= sw->max_vnics);   /* no cycle */
			assert_true(m < sw->max_vnics);
			const struct fn_vnic *w = &sw->vnics[m];
			assert_true(w->in_use);
			assert_int_equal(w->uplink, v->uplink);
			assert_int_equal(w->vlan, v->vlan);
			assert_int_equal(w->dom_prev, prev);
			found += m == i;
		}
		assert_int_equal(found, 1);
	}
	assert_int_equal(in_use, sw->n_vnics);
	assert_int_equal(sw->fib->count, in_use + heads);
}

static uint64_t
uc(const struct fn_switch *sw, uint16_t u, enum fn_uplink_counter c)
{
	return sw->uplink_ctr[u][c];
}

static uint64_t
vc(const struct fn_switch *sw, uint32_t id, enum fn_vnic_counter c)
{
	return sw->vnics[id].ctr[c];
}

/* ---- creation and configuration --------------------------------------------- */

static void
test_create_args(void **state)
{
	(void)state;
	static const struct { uint32_t vnics; uint16_t uplinks; uint64_t hz;
			      uint32_t max_frame; bool ok; } t[] = {
		{ 0, 2, HZ, MAXF, false },
		{ 1, 0, HZ, MAXF, false },
		{ 1, NOUP, HZ, MAXF, false },   /* 0xffff means "no uplink" */
		{ 1, 2, 0, MAXF, false },
		{ 1, 2, HZ, 13, false },
		{ 1, 2, HZ, UINT32_MAX, false }, /* max_frame + tag would wrap */
		{ 1, 2, HZ, UINT32_MAX - 3, false },
		{ 1, 2, HZ, 14, true },
		{ 1, 2, HZ, UINT32_C(1) << 20, true },
		{ 1, 2, HZ, (UINT32_C(1) << 20) + 1, false },
		{ 1, 0xfffe, HZ, MAXF, true },
		{ 64, 2, HZ, 9000, true },
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		struct fn_switch *sw = fn_switch_create(t[i].vnics, t[i].uplinks,
							t[i].hz, t[i].max_frame);
		if ((sw != NULL) != t[i].ok)
			fail_msg("case %zu: create %s", i, sw ? "succeeded" : "failed");
		if (sw) {
			assert_int_equal(sw->n_vnics, 0);
			assert_int_equal(sw->fib->count, 0);
			assert_int_equal((uintptr_t)sw->vnics % 64, 0);
		}
		fn_switch_free(sw);
	}
	fn_switch_free(NULL);
}

/* One configuration check: the input, the result, and (if accepted) the
 * bursts resolved in place. */
struct conf_case {
	const char *what;
	struct fn_vnic_conf c;
	int rc;
	uint64_t rx_burst, rx_pps_burst, tx_burst, tx_pps_burst;
};

#define OKMAC MAC(1)
#define MINB  (2 * (MAXF + 4))   /* default byte burst: two tagged max frames */
/* Largest byte burst representable at 1 GHz: bytes * 8 * HZ < 2^62. */
#define BIGB  UINT64_C(576460752)

static const struct conf_case conf_cases[] = {
	{ "plain",            { .mac = OKMAC, .vlan = NONE }, 0, MINB, 32, MINB, 32 },
	{ "zero mac",         { .mac = 0, .vlan = NONE }, -EINVAL, 0, 0, 0, 0 },
	{ "group mac",        { .mac = MCAST, .vlan = NONE }, -EINVAL, 0, 0, 0, 0 },
	{ "group bit only",   { .mac = UINT64_C(0x030000000001), .vlan = NONE }, -EINVAL, 0, 0, 0, 0 },
	{ "broadcast mac",    { .mac = BCAST, .vlan = NONE }, -EINVAL, 0, 0, 0, 0 },
	{ "mac > 48 bits",    { .mac = UINT64_C(1) << 48 | 2, .vlan = NONE }, -EINVAL, 0, 0, 0, 0 },
	{ "vlan 0",           { .mac = OKMAC, .vlan = 0 }, -EINVAL, 0, 0, 0, 0 },
	{ "vlan 4095",        { .mac = OKMAC, .vlan = 4095 }, -EINVAL, 0, 0, 0, 0 },
	{ "vlan 4096",        { .mac = OKMAC, .vlan = 4096 }, -EINVAL, 0, 0, 0, 0 },
	{ "vlan 0x8001",      { .mac = OKMAC, .vlan = 0x8001 }, -EINVAL, 0, 0, 0, 0 },
	{ "vlan 1",           { .mac = OKMAC, .vlan = 1 }, 0, MINB, 32, MINB, 32 },
	{ "vlan 4094",        { .mac = OKMAC, .vlan = 4094 }, 0, MINB, 32, MINB, 32 },
	{ "uplink 1",         { .mac = OKMAC, .uplink = 1, .vlan = NONE }, 0, MINB, 32, MINB, 32 },
	{ "uplink 2 of 2",    { .mac = OKMAC, .uplink = 2, .vlan = NONE }, -EINVAL, 0, 0, 0, 0 },
	{ "uplink 0xfffe",    { .mac = OKMAC, .uplink = 0xfffe, .vlan = NONE }, -EINVAL, 0, 0, 0, 0 },
	{ "no uplink",        { .mac = OKMAC, .uplink = NOUP, .vlan = NONE }, 0, MINB, 32, MINB, 32 },
	/* receive burst must hold one tagged maximum frame */
	{ "rx burst 1517",    { .mac = OKMAC, .vlan = NONE, .rx_rate = 1000000, .rx_burst = 1517 }, -EINVAL, 0, 0, 0, 0 },
	{ "rx burst 1",       { .mac = OKMAC, .vlan = NONE, .rx_rate = 1000000, .rx_burst = 1 }, -EINVAL, 0, 0, 0, 0 },
	{ "rx burst 1518",    { .mac = OKMAC, .vlan = NONE, .rx_rate = 1000000, .rx_burst = 1518 }, 0, 1518, 32, MINB, 32 },
	{ "burst w/o rate",   { .mac = OKMAC, .vlan = NONE, .rx_burst = 1 }, 0, 1, 32, MINB, 32 },
	{ "tx burst 1",       { .mac = OKMAC, .vlan = NONE, .tx_rate = 1000000, .tx_burst = 1 }, -EINVAL, 0, 0, 0, 0 },
	{ "tx burst 1518",    { .mac = OKMAC, .vlan = NONE, .tx_rate = 1000000, .tx_burst = 1518 }, 0, MINB, 32, 1518, 32 },
	{ "rx-min > rx-rate", { .mac = OKMAC, .vlan = NONE, .rx_rate = 1000000, .rx_min = 1000001 }, -EINVAL, 0, 0, 0, 0 },
	{ "tx-min > tx-rate", { .mac = OKMAC, .vlan = NONE, .tx_rate = 1000000, .tx_min = 2000000 }, -EINVAL, 0, 0, 0, 0 },
	{ "rx-min = rx-rate", { .mac = OKMAC, .vlan = NONE, .rx_rate = 1000000, .rx_min = 1000000 }, 0, MINB, 32, MINB, 32 },
	{ "weight 10001",     { .mac = OKMAC, .vlan = NONE, .tx_weight = 10001 }, -EINVAL, 0, 0, 0, 0 },
	{ "weight 10000",     { .mac = OKMAC, .vlan = NONE, .rx_weight = 10000 }, 0, MINB, 32, MINB, 32 },
	{ "rx-queue 1517",    { .mac = OKMAC, .vlan = NONE, .rx_queue = 1517 }, -EINVAL, 0, 0, 0, 0 },
	{ "rx-aqm 2",         { .mac = OKMAC, .vlan = NONE, .rx_aqm = 2 }, -EINVAL, 0, 0, 0, 0 },
	/* defaults: 10 ms of the rate, at least two frames / 32 packets */
	{ "rx 1 Mbit/s",      { .mac = OKMAC, .vlan = NONE, .rx_rate = 1000000 }, 0, MINB, 32, MINB, 32 },
	{ "rx 1 Gbit/s",      { .mac = OKMAC, .vlan = NONE, .rx_rate = 1000000000 }, 0, 1250000, 32, MINB, 32 },
	{ "tx 40 Gbit/s",     { .mac = OKMAC, .vlan = NONE, .tx_rate = 40000000000 }, 0, MINB, 32, 50000000, 32 },
	{ "rx 24 kpps",       { .mac = OKMAC, .vlan = NONE, .rx_pps = 24000 }, 0, MINB, 240, MINB, 32 },
	{ "rx 1 kpps",        { .mac = OKMAC, .vlan = NONE, .rx_pps = 1000 }, 0, MINB, 32, MINB, 32 },
	{ "tx 5 Mpps",        { .mac = OKMAC, .vlan = NONE, .tx_pps = 5000000 }, 0, MINB, 32, MINB, 50000 },
	{ "explicit bursts",  { .mac = OKMAC, .vlan = NONE, .rx_rate = 1, .rx_burst = 2000, .rx_pps = 1,
				.rx_pps_burst = 1, .tx_rate = 1, .tx_burst = 3000, .tx_pps = 1,
				.tx_pps_burst = 4 }, 0, 2000, 1, 3000, 4 },
	/* exact accounting needs burst * hz < 2^62 (bytes are counted in bits) */
	{ "largest rx burst", { .mac = OKMAC, .vlan = NONE, .rx_rate = 1, .rx_burst = BIGB }, 0, BIGB, 32, MINB, 32 },
	{ "rx burst +1",      { .mac = OKMAC, .vlan = NONE, .rx_rate = 1, .rx_burst = BIGB + 1 }, -ERANGE, 0, 0, 0, 0 },
	{ "rx burst 2^61",    { .mac = OKMAC, .vlan = NONE, .rx_rate = 1, .rx_burst = UINT64_C(1) << 61 }, -ERANGE, 0, 0, 0, 0 },
	{ "rx burst 2^61+1",  { .mac = OKMAC, .vlan = NONE, .rx_rate = 1, .rx_burst = (UINT64_C(1) << 61) + 1 }, -ERANGE, 0, 0, 0, 0 },
	{ "rx burst 2^63+1",  { .mac = OKMAC, .vlan = NONE, .rx_rate = 1, .rx_burst = (UINT64_C(1) << 63) + 1 }, -ERANGE, 0, 0, 0, 0 },
	{ "tx burst 2^61+190",{ .mac = OKMAC, .vlan = NONE, .tx_rate = 1, .tx_burst = (UINT64_C(1) << 61) + 190 }, -ERANGE, 0, 0, 0, 0 },
	{ "tx burst max",     { .mac = OKMAC, .vlan = NONE, .tx_rate = 1, .tx_burst = UINT64_MAX }, -ERANGE, 0, 0, 0, 0 },
	{ "pps burst 2^40",   { .mac = OKMAC, .vlan = NONE, .rx_pps = 1, .rx_pps_burst = UINT64_C(1) << 40 }, -ERANGE, 0, 0, 0, 0 },
	{ "tx pps burst max", { .mac = OKMAC, .vlan = NONE, .tx_pps = 1, .tx_pps_burst = UINT64_MAX }, -ERANGE, 0, 0, 0, 0 },
	{ "rate 2^62",        { .mac = OKMAC, .vlan = NONE, .rx_rate = UINT64_C(1) << 62 }, -ERANGE, 0, 0, 0, 0 },
	{ "pps 2^62",         { .mac = OKMAC, .vlan = NONE, .tx_pps = UINT64_C(1) << 62 }, -ERANGE, 0, 0, 0, 0 },
};

static void
test_conf_check(void **state)
{
	(void)state;
	struct fn_switch *sw = mk(4, HZ);
	for (size_t i = 0; i < ARRAY_LEN(conf_cases); i++) {
		const struct conf_case *k = &conf_cases[i];
		struct fn_vnic_conf c = k->c;
		int rc = fn_switch_conf_check(sw, &c);
		if (rc != k->rc)
			fail_msg("%s: rc %d, expected %d", k->what, rc, k->rc);
		if (rc == 0) {
			assert_int_equal(c.rx_burst, k->rx_burst);
			assert_int_equal(c.rx_pps_burst, k->rx_pps_burst);
			assert_int_equal(c.tx_burst, k->tx_burst);
			assert_int_equal(c.tx_pps_burst, k->tx_pps_burst);
			assert_int_equal(c.mac, k->c.mac);
			assert_int_equal(c.vlan, k->c.vlan);
		}
		/* vnic_add returns the same, and adds only what conf_check accepts. */
		c = k->c;
		uint32_t id = 77;
		rc = fn_switch_vnic_add(sw, &c, 0, &id);
		if (rc != k->rc)
			fail_msg("%s: vnic_add rc %d, expected %d", k->what, rc, k->rc);
		assert_int_equal(sw->n_vnics, rc == 0);
		if (rc == 0) {
			assert_int_equal(sw->vnics[id].conf.rx_burst, k->rx_burst);
			assert_int_equal(fn_switch_vnic_del(sw, id), 0);
		} else {
			assert_int_equal(id, 77);
		}
		sw_check(sw);
	}
	fn_switch_free(sw);
}

/* ---- receive classification ------------------------------------------------ */

struct rx_case {
	uint16_t uplink, vlan;   /* vlan: tag VID, NONE = untagged */
	uint64_t dst;
	uint32_t len;
	enum fn_verdict vd;
	int target;              /* index into the vNIC ids, -1 = none */
	bool strip;
};

static void
run_rx_cases(struct fn_switch *sw, const uint32_t *ids, const struct rx_case *k,
	     size_t n, uint64_t *malformed, uint64_t *no_vnic)
{
	uint64_t pk[2] = { uc(sw, 0, FN_UC_rx_packets), uc(sw, 1, FN_UC_rx_packets) };
	uint64_t by[2] = { uc(sw, 0, FN_UC_rx_bytes), uc(sw, 1, FN_UC_rx_bytes) };
	for (size_t i = 0; i < n; i++, k++) {
		const uint8_t *d = frame(k->dst, MAC(0xee), k->vlan, k->len);
		uint32_t target = 999;
		bool strip = !k->strip;
		enum fn_verdict vd = fn_switch_rx_classify(sw, k->uplink, d, k->len,
							   &target, &strip);
		if (vd != k->vd)
			fail_msg("rx case %zu: verdict %d, expected %d", i, vd, k->vd);
		if (vd == FN_TO_VNIC) {
			assert_int_equal(target, ids[k->target]);
			assert_int_equal(strip, k->strip);
		}
		pk[k->uplink]++;
		by[k->uplink] += k->len;
	}
	for (uint16_t u = 0; u < 2; u++) {
		assert_int_equal(uc(sw, u, FN_UC_rx_packets), pk[u]);
		assert_int_equal(uc(sw, u, FN_UC_rx_bytes), by[u]);
		assert_int_equal(uc(sw, u, FN_UC_rx_drop_malformed), malformed[u]);
		assert_int_equal(uc(sw, u, FN_UC_rx_drop_no_vnic), no_vnic[u]);
	}
}

static void
test_rx_demux(void **state)
{
	(void)state;
	struct fn_switch *sw = mk(8, HZ);
	/* The same MAC in three domains, and two more vNICs. */
	uint32_t ids[] = {
		add(sw, MAC(0xa), 0, NONE, true),   /* 0 */
		add(sw, MAC(0xa), 0, 10, true),     /* 1 */
		add(sw, MAC(0xa), 1, NONE, true),   /* 2 */
		add(sw, MAC(0xd), 0, 20, false),    /* 3 */
		add(sw, MAC(0xe), 1, 10, true),     /* 4 */
	};
	static const struct rx_case k[] = {
		{ 0, NONE, MAC(0xa), 60, FN_TO_VNIC, 0, false },
		{ 0, 10,   MAC(0xa), 64, FN_TO_VNIC, 1, true },
		{ 1, NONE, MAC(0xa), 60, FN_TO_VNIC, 2, false },
		{ 0, 20,   MAC(0xd), 64, FN_TO_VNIC, 3, true },   /* local off: rx still fine */
		{ 1, 10,   MAC(0xe), 64, FN_TO_VNIC, 4, true },
		{ 0, 0,    MAC(0xa), 64, FN_TO_VNIC, 0, true },   /* VID 0: untagged domain, tag stripped */
		{ 1, 0,    MAC(0xa), 64, FN_TO_VNIC, 2, true },
		{ 1, 10,   MAC(0xa), 64, FN_DROP, -1, false },    /* MAC not in (1, 10) */
		{ 0, NONE, MAC(0xd), 60, FN_DROP, -1, false },    /* D is in VLAN 20 */
		{ 0, 10,   MAC(0xd), 64, FN_DROP, -1, false },
		{ 1, 20,   MAC(0xd), 64, FN_DROP, -1, false },    /* other uplink */
		{ 0, 30,   MAC(0xa), 64, FN_DROP, -1, false },    /* VLAN without vNICs */
		{ 0, 4095, MAC(0xa), 64, FN_DROP, -1, false },    /* reserved VID */
		{ 0, NONE, UNKNOWN,  60, FN_DROP, -1, false },    /* unknown: dropped, not flooded */
		{ 0, NONE, MAC(0xa) ^ UINT64_C(0x020000000000), 60, FN_DROP, -1, false },
	};
	uint64_t malformed[2] = { 0, 0 }, no_vnic[2] = { 6, 2 };
	run_rx_cases(sw, ids, k, ARRAY_LEN(k), malformed, no_vnic);
	/* Classification touches no vNIC counter. */
	for (uint32_t i = 0; i < 5; i++)
		for (int c = 0; c < FN_VC_MAX; c++)
			assert_int_equal(vc(sw, ids[i], (enum fn_vnic_counter)c), 0);
	fn_switch_free(sw);
}

static void
test_rx_malformed(void **state)
{
	(void)state;
	struct fn_switch *sw = mk(8, HZ);
	uint32_t ids[] = { add(sw, MAC(0xa), 0, NONE, true),
			   add(sw, MAC(0xb), 0, 10, true) };
	static const struct rx_case k[] = {
		{ 0, NONE, MAC(0xa), 0,     FN_DROP, -1, false },   /* runt */
		{ 0, NONE, MAC(0xa), 13,    FN_DROP, -1, false },
		{ 0, NONE, MAC(0xa), 14,    FN_TO_VNIC, 0, false }, /* header only: fine */
		{ 0, 10,   MAC(0xb), 14,    FN_DROP, -1, false },   /* truncated tag */
		{ 0, 10,   MAC(0xb), 17,    FN_DROP, -1, false },
		{ 0, 10,   MAC(0xb), 18,    FN_TO_VNIC, 1, true },
		{ 0, NONE, MAC(0xa), 1514,  FN_TO_VNIC, 0, false }, /* max untagged */
		{ 0, NONE, MAC(0xa), 1515,  FN_DROP, -1, false },
		{ 0, NONE, MAC(0xa), 1518,  FN_DROP, -1, false },   /* untagged may not use the tag's 4 */
		{ 0, 10,   MAC(0xb), 1518,  FN_TO_VNIC, 1, true },  /* max tagged */
		{ 0, 10,   MAC(0xb), 1519,  FN_DROP, -1, false },
		{ 0, 0,    MAC(0xa), 1518,  FN_TO_VNIC, 0, true },  /* priority tag is a tag */
		{ 0, 0,    MAC(0xa), 1519,  FN_DROP, -1, false },
		{ 0, NONE, MAC(0xa), 65535, FN_DROP, -1, false },
		{ 0, NONE, UNKNOWN,  1515,  FN_DROP, -1, false },   /* malformed before lookup */
		{ 1, NONE, MAC(0xa), 3,     FN_DROP, -1, false },
		{ 1, NONE, MAC(0xa), 60,    FN_DROP, -1, false },   /* well formed, no vNIC */
	};
	uint64_t malformed[2] = { 10, 1 }, no_vnic[2] = { 0, 1 };
	run_rx_cases(sw, ids, k, ARRAY_LEN(k), malformed, no_vnic);
	fn_switch_free(sw);
}

struct flood_case {
	uint16_t uplink, vlan;
	uint64_t dst;
	int n;              /* members expected, -1 = FN_DROP */
	int members[4];     /* indices into the vNIC ids */
};

static void
test_rx_flood_domains(void **state)
{
	(void)state;
	struct fn_switch *sw = mk(16, HZ);
	uint32_t ids[] = {
		add(sw, MAC(1), 0, NONE, true),   /* 0, 1: (0, untagged) */
		add(sw, MAC(2), 0, NONE, false),
		add(sw, MAC(3), 0, 10, true),     /* 2, 3, 4: (0, 10) */
		add(sw, MAC(4), 0, 10, false),
		add(sw, MAC(1), 0, 10, true),
		add(sw, MAC(5), 0, 20, true),     /* 5: (0, 20) */
		add(sw, MAC(6), 1, 10, true),     /* 6: (1, 10) */
		add(sw, MAC(7), NOUP, 10, true),  /* 7: (none, 10): never from the wire */
	};
	static const struct flood_case k[] = {
		{ 0, 10,   BCAST,  3, { 2, 3, 4 } },   /* ARP on VLAN 10 */
		{ 0, 10,   MCAST,  3, { 2, 3, 4 } },
		{ 0, 10,   MCAST6, 3, { 2, 3, 4 } },
		{ 0, NONE, BCAST,  2, { 0, 1 } },
		{ 0, 0,    BCAST,  2, { 0, 1 } },      /* priority-tagged broadcast */
		{ 0, 20,   BCAST,  1, { 5 } },
		{ 1, 10,   BCAST,  1, { 6 } },
		{ 1, NONE, BCAST, -1, { 0 } },         /* empty domain: dropped */
		{ 0, 30,   MCAST, -1, { 0 } },
		{ 1, 20,   BCAST, -1, { 0 } },
	};
	uint64_t drops[2] = { 0, 0 };
	for (size_t i = 0; i < ARRAY_LEN(k); i++) {
		const uint8_t *d = frame(k[i].dst, MAC(0xee), k[i].vlan, 64);
		uint32_t target = 999;
		bool strip = false;
		enum fn_verdict vd = fn_switch_rx_classify(sw, k[i].uplink, d, 64,
							   &target, &strip);
		if (k[i].n < 0) {
			assert_int_equal(vd, FN_DROP);
			drops[k[i].uplink]++;
			continue;
		}
		if (vd != FN_FLOOD)
			fail_msg("flood case %zu: verdict %d", i, vd);
		assert_int_equal(strip, k[i].vlan != NONE);
		uint32_t want[4];
		for (int j = 0; j < k[i].n; j++)
			want[j] = ids[k[i].members[j]];
		expect_flood(sw, target, NOV, want, (uint32_t)k[i].n);
	}
	for (uint16_t u = 0; u < 2; u++) {
		assert_int_equal(uc(sw, u, FN_UC_rx_drop_no_vnic), drops[u]);
		assert_int_equal(uc(sw, u, FN_UC_rx_drop_malformed), 0);
	}
	fn_switch_free(sw);
}

/* ---- transmit classification ------------------------------------------------ */

struct tx_case {
	int from;            /* index into ids */
	uint64_t src, dst;
	uint16_t vlan;       /* tag the guest put on, NONE = untagged */
	uint32_t len;
	enum fn_verdict vd;
	int target;          /* index into ids (FN_TO_VNIC) */
	enum fn_vnic_counter ctr;   /* counted on `from` when FN_DROP */
};

static void
test_tx_classify(void **state)
{
	(void)state;
	struct fn_switch *sw = mk(16, HZ);
	enum { S, P, Q, R, T, X, Y, Z };
	uint32_t ids[] = {
		[S] = add(sw, MAC(0x5), 0, 10, true),
		[P] = add(sw, MAC(0x6), 0, 10, true),
		[Q] = add(sw, MAC(0x7), 0, 10, false),   /* local switching off */
		[R] = add(sw, MAC(0x8), 0, 20, true),    /* other VLAN */
		[T] = add(sw, MAC(0x9), 1, 10, true),    /* other uplink */
		[X] = add(sw, MAC(0x10), NOUP, 10, true),/* no uplink: local only */
		[Y] = add(sw, MAC(0x11), NOUP, 10, true),
		[Z] = add(sw, MAC(0x12), NOUP, 10, false),
	};
	const struct tx_case k[] = {
		{ S, MAC(0x5), MAC(0x6),  NONE, 60,   FN_TO_VNIC, P, 0 },
		{ P, MAC(0x6), MAC(0x5),  NONE, 1514, FN_TO_VNIC, S, 0 },
		{ S, MAC(0x5), MAC(0x7),  NONE, 60,   FN_DROP, 0, FN_VC_tx_drop_local_denied },
		{ S, MAC(0x5), MAC(0x5),  NONE, 60,   FN_DROP, 0, FN_VC_tx_drop_local_denied }, /* no hairpin */
		{ Q, MAC(0x7), MAC(0x5),  NONE, 60,   FN_DROP, 0, FN_VC_tx_drop_local_denied },
		{ Q, MAC(0x7), UNKNOWN,   NONE, 60,   FN_TO_UPLINK, 0, 0 },   /* local off: wire is fine */
		{ S, MAC(0x5), MAC(0x8),  NONE, 60,   FN_TO_UPLINK, 0, 0 },   /* other VLAN: via the wire */
		{ S, MAC(0x5), MAC(0x9),  NONE, 60,   FN_TO_UPLINK, 0, 0 },   /* other uplink */
		{ S, MAC(0x5), UNKNOWN,   NONE, 60,   FN_TO_UPLINK, 0, 0 },
		{ S, MAC(0x5), BCAST,     NONE, 60,   FN_FLOOD, 0, 0 },
		{ S, MAC(0x5), MCAST,     NONE, 60,   FN_FLOOD, 0, 0 },
		{ S, MAC(0x6), UNKNOWN,   NONE, 60,   FN_DROP, 0, FN_VC_tx_drop_spoof },  /* P's MAC */
		{ S, UNKNOWN,  MAC(0x6),  NONE, 60,   FN_DROP, 0, FN_VC_tx_drop_spoof },
		{ S, MAC(0x5), UNKNOWN,   10,   64,   FN_DROP, 0, FN_VC_tx_drop_spoof },  /* tagged */
		{ S, MAC(0x5), MAC(0x6),  0,    64,   FN_DROP, 0, FN_VC_tx_drop_spoof },  /* priority tag */
		{ R, MAC(0x8), UNKNOWN,   20,   64,   FN_DROP, 0, FN_VC_tx_drop_spoof },  /* even its own VLAN */
		{ S, MAC(0x5), UNKNOWN,   NONE, 13,   FN_DROP, 0, FN_VC_tx_drop_malformed },
		{ S, MAC(0x5), UNKNOWN,   NONE, 1515, FN_DROP, 0, FN_VC_tx_drop_malformed },
		{ S, MAC(0x5), UNKNOWN,   10,   17,   FN_DROP, 0, FN_VC_tx_drop_malformed },
		{ S, MAC(0x5), UNKNOWN,   10,   1519, FN_DROP, 0, FN_VC_tx_drop_malformed },
		{ X, MAC(0x10), MAC(0x11), NONE, 60,  FN_TO_VNIC, Y, 0 },
		{ X, MAC(0x10), MAC(0x12), NONE, 60,  FN_DROP, 0, FN_VC_tx_drop_local_denied },
		{ X, MAC(0x10), UNKNOWN,  NONE, 60,   FN_DROP, 0, FN_VC_tx_drop_no_uplink },
		{ X, MAC(0x10), MAC(0x5), NONE, 60,   FN_DROP, 0, FN_VC_tx_drop_no_uplink }, /* S: other domain */
		{ Z, MAC(0x12), UNKNOWN,  NONE, 60,   FN_DROP, 0, FN_VC_tx_drop_no_uplink },
		{ Y, MAC(0x11), BCAST,    NONE, 60,   FN_FLOOD, 0, 0 },
	};
	uint64_t want[ARRAY_LEN(ids)][FN_VC_MAX] = { { 0 } };
	for (size_t i = 0; i < ARRAY_LEN(k); i++) {
		uint32_t id = ids[k[i].from], target = 999;
		const uint8_t *d = frame(k[i].dst, k[i].src, k[i].vlan, k[i].len);
		enum fn_verdict vd = fn_switch_tx_classify(sw, id, d, k[i].len, &target);
		if (vd != k[i].vd)
			fail_msg("tx case %zu: verdict %d, expected %d", i, vd, k[i].vd);
		if (vd == FN_TO_VNIC)
			assert_int_equal(target, ids[k[i].target]);
		if (vd == FN_FLOOD)
			assert_int_equal(target, fn_fib_lookup(sw->fib, sw->vnics[id].uplink,
							       sw->vnics[id].vlan, BCAST));
		if (vd == FN_DROP)
			want[k[i].from][k[i].ctr]++;
		for (size_t j = 0; j < ARRAY_LEN(ids); j++)
			for (int c = 0; c < FN_VC_MAX; c++)
				if (vc(sw, ids[j], (enum fn_vnic_counter)c) != want[j][c])
					fail_msg("tx case %zu: vnic %zu counter %s = %llu, expected %llu",
						 i, j, fn_vnic_counter_names[c],
						 (unsigned long long)vc(sw, ids[j], (enum fn_vnic_counter)c),
						 (unsigned long long)want[j][c]);
	}
	/* Transmit classification touches no uplink counter. */
	for (uint16_t u = 0; u < 2; u++)
		for (int c = 0; c < FN_UC_MAX; c++)
			assert_int_equal(uc(sw, u, (enum fn_uplink_counter)c), 0);
	fn_switch_free(sw);
}

static void
test_tx_flood(void **state)
{
	(void)state;
	struct fn_switch *sw = mk(16, HZ);
	uint32_t s = add(sw, MAC(1), 0, 10, true);
	uint32_t l1 = add(sw, MAC(2), 0, 10, true);
	uint32_t n = add(sw, MAC(3), 0, 10, false);
	uint32_t l2 = add(sw, MAC(4), 0, 10, true);
	(void)add(sw, MAC(5), 0, 20, true);      /* other VLAN */
	(void)add(sw, MAC(6), 1, 10, true);      /* other uplink */
	uint32_t alone = add(sw, MAC(7), 1, 30, true);
	uint32_t head;

	const uint8_t *d = frame(BCAST, MAC(1), NONE, 60);
	assert_int_equal(fn_switch_tx_classify(sw, s, d, 60, &head), FN_FLOOD);
	expect_flood(sw, head, s, (uint32_t[]){ l1, l2 }, 2);
	d = frame(MCAST, MAC(2), NONE, 60);
	assert_int_equal(fn_switch_tx_classify(sw, l1, d, 60, &head), FN_FLOOD);
	expect_flood(sw, head, l1, (uint32_t[]){ s, l2 }, 2);
	/* A sender without local switching floods to the uplink only. */
	d = frame(BCAST, MAC(3), NONE, 60);
	assert_int_equal(fn_switch_tx_classify(sw, n, d, 60, &head), FN_FLOOD);
	expect_flood(sw, head, n, NULL, 0);
	/* The same domain seen from the wire: everybody. */
	expect_flood(sw, head, NOV, (uint32_t[]){ s, l1, n, l2 }, 4);
	/* Alone in its domain: nobody. */
	d = frame(BCAST, MAC(7), NONE, 60);
	assert_int_equal(fn_switch_tx_classify(sw, alone, d, 60, &head), FN_FLOOD);
	assert_int_equal(head, alone);
	expect_flood(sw, head, alone, NULL, 0);
	/* Whatever its place in the list, the sender is skipped, and so is
	 * the member without local switching. */
	for (uint32_t *p = (uint32_t[]){ s, l1, l2, NOV }; *p != NOV; p++) {
		uint32_t from = *p, got[64];
		uint32_t k = flood_list(sw, head = fn_fib_lookup(sw->fib, 0, 10, BCAST), from, got);
		assert_int_equal(k, 2);
		for (uint32_t i = 0; i < k; i++)
			assert_true(got[i] != from && got[i] != n);
	}
	for (uint32_t i = 0; i < 7; i++)
		for (int c = 0; c < FN_VC_MAX; c++)
			assert_int_equal(vc(sw, i, (enum fn_vnic_counter)c), 0);
	fn_switch_free(sw);
}

/* ---- receive policer in simulated time ---------------------------------------- */

/*
 * Offer `len`-byte frames to `id` from the wire every `gap` cycles at
 * t = t0, t0 + gap, ..., t1 (inclusive); classify and admit each. Returns
 * the number admitted; *offered receives the number of frames.
 */
static uint64_t
rx_flood(struct fn_switch *sw, uint32_t id, uint32_t len, uint64_t t0,
	 uint64_t t1, uint64_t gap, uint64_t *offered)
{
	const struct fn_vnic *v = &sw->vnics[id];
	const uint8_t *d = frame(v->mac, MAC(0xee), v->vlan, len);
	uint64_t ok = 0, n = 0;
	for (uint64_t t = t0; t <= t1; t += gap, n++) {
		uint32_t target;
		bool strip;
		enum fn_verdict vd = fn_switch_rx_classify(sw, v->uplink, d, len,
							   &target, &strip);
		assert_true(vd == FN_TO_VNIC && target == id);
		ok += fn_switch_rx_admit(sw, id, len, t);
	}
	if (offered)
		*offered = n;
	return ok;
}

struct policer_case {
	uint64_t hz;
	uint64_t rx_pps, rx_rate;   /* packets/s, bits/s */
	uint32_t len;
	uint64_t seconds;
};

/* Expected admissions of a saturating flood over [0, T]: the bucket starts
 * full (burst) and earns rate * T; every whole unit is used. */
static uint64_t
policer_expect(const struct policer_case *k)
{
	uint64_t pps = UINT64_MAX, bits = UINT64_MAX;
	if (k->rx_pps) {
		uint64_t burst = k->rx_pps / 100 > 32 ? k->rx_pps / 100 : 32;
		pps = k->rx_pps * k->seconds + burst;
	}
	if (k->rx_rate) {
		uint64_t burst = k->rx_rate / 8 / 100 > 2 * (MAXF + 4)
				 ? k->rx_rate / 8 / 100 : 2 * (MAXF + 4);
		bits = (burst * 8 + k->rx_rate * k->seconds) / (k->len * 8);
	}
	return pps < bits ? pps : bits;
}

static void
test_rx_policer(void **state)
{
	(void)state;
	static const struct policer_case k[] = {
		{ HZ,            24000,     0,         64, 10 },  /* 240240 */
		{ 2400000000,    24000,     0,         64, 10 },  /* a 2.4 GHz TSC */
		{ HZ,            1000,      0,         64, 10 },  /* burst floor of 32 */
		{ HZ,            3,         0,         64, 10 },
		{ HZ,            0,         100000000, 1000, 10 },/* 100 Mbit/s: 125125 */
		{ HZ,            0,         1000000,   1514, 10 },/* burst floor of 2 frames */
		{ 2400000000,    0,         3000000,   777, 10 },
		{ HZ,            24000,     100000000, 1000, 10 },/* bits bind first */
		{ HZ,            5000,      100000000, 1000, 10 },/* packets bind first */
	};
	for (size_t i = 0; i < ARRAY_LEN(k); i++) {
		struct fn_switch *sw = mk(4, k[i].hz);
		(void)add(sw, MAC(1), 0, NONE, true);           /* a neighbour, unlimited */
		struct fn_vnic_conf c = cf(MAC(2), 0, 10, true);
		c.rx_pps = k[i].rx_pps;
		c.rx_rate = k[i].rx_rate;
		uint32_t id = add_conf(sw, c, 0);
		uint64_t offered, gap = k[i].hz / 1000000;     /* 1 Mpps */
		uint64_t ok = rx_flood(sw, id, k[i].len, 0, k[i].seconds * k[i].hz, gap,
				       &offered);
		uint64_t want = policer_expect(&k[i]);
		if (ok != want)
			fail_msg("policer case %zu: admitted %llu, expected %llu", i,
				 (unsigned long long)ok, (unsigned long long)want);
		assert_int_equal(offered, k[i].seconds * 1000000 + 1);
		assert_int_equal(vc(sw, id, FN_VC_rx_drop_rate), offered - ok);
		assert_int_equal(vc(sw, 0, FN_VC_rx_drop_rate), 0);
		fn_switch_free(sw);
	}
	/* The policer runs in the data path's units: after a pause the burst
	 * refills, but never beyond its depth. */
	struct fn_switch *sw = mk(2, HZ);
	struct fn_vnic_conf c = cf(MAC(2), 1, NONE, true);
	c.rx_pps = 24000;
	uint32_t id = add_conf(sw, c, 5 * SEC);
	assert_int_equal(rx_flood(sw, id, 60, 5 * SEC, 6 * SEC, 1000, NULL), 24000 + 240);
	/* one hour later: a full burst again, and just one */
	assert_int_equal(rx_flood(sw, id, 60, 3606 * SEC, 3606 * SEC + 999, 1, NULL), 240);
	/* an unlimited vNIC admits everything */
	uint32_t u = add(sw, MAC(3), 1, NONE, true);
	assert_int_equal(rx_flood(sw, u, 1514, 0, SEC / 10, 1000, NULL), 100001);
	assert_int_equal(vc(sw, u, FN_VC_rx_drop_rate), 0);
	fn_switch_free(sw);
}

/* ---- transmit shaper in simulated time ----------------------------------------- */

struct shaper_case {
	uint64_t tx_pps, tx_rate;
	uint32_t len, batch;
	uint64_t poll;      /* cycles between polls of the guest queue */
};

static void
test_tx_shaper(void **state)
{
	(void)state;
	static const struct shaper_case k[] = {
		{ 10000,   0,         64,   32, 10000 },
		{ 777,     0,         64,   32, 10000 },
		{ 1000000, 0,         64,   32, 10000 },   /* 3.2 Mpps of polling capacity */
		{ 10000,   0,         64,   1,  50000 },
		{ 0,       10000000,  1000, 32, 10000 },   /* 10 Mbit/s: 1250 fps */
		{ 0,       1000000000, 1514, 32, 10000 },
		{ 20000,   100000000, 1000, 32, 10000 },   /* bits bind (12500 fps) */
		{ 5000,    100000000, 1000, 32, 10000 },   /* packets bind */
	};
	const uint64_t T = 10;
	for (size_t i = 0; i < ARRAY_LEN(k); i++) {
		struct fn_switch *sw = mk(2, HZ);
		struct fn_vnic_conf c = cf(MAC(1), 0, NONE, true);
		c.tx_pps = k[i].tx_pps;
		c.tx_rate = k[i].tx_rate;
		uint32_t id = add_conf(sw, c, 0);
		const struct fn_vnic_conf *r = &sw->vnics[id].conf;   /* bursts resolved */
		uint64_t pkts = 0, last = 0;
		struct fn_sched *ts = &sw->tx_sched[0];
		fn_switch_vnic_ready(sw, id, true);
		for (uint64_t t = 0; t <= T * HZ; t += k[i].poll) {
			/* the data plane's use: one round per poll */
			uint32_t n = 0, b;
			fn_sched_begin(ts, t);
			if (fn_sched_next(ts, &b) == id) {
				n = b < k[i].batch ? b : k[i].batch;
				fn_sched_done(ts, id, n, (uint64_t)n * k[i].len, false);
			}
			assert_true(n <= k[i].batch);
			pkts += n;
			last = n ? n : last;
			/* Never ahead of rate * t + burst, except by the last batch
			 * (a batch is taken whenever there is any bit credit). */
			if (k[i].tx_pps)
				assert_true((__int128)pkts * HZ <=
					    (__int128)r->tx_pps_burst * HZ +
					    (__int128)k[i].tx_pps * t + HZ);
			if (k[i].tx_rate)
				assert_true((__int128)(pkts - last) * k[i].len * 8 * HZ <=
					    (__int128)r->tx_burst * 8 * HZ +
					    (__int128)k[i].tx_rate * t);
		}
		/* The rate achieved after the initial burst, within 1%. */
		double pps = k[i].tx_pps ? (double)k[i].tx_pps : 1e300;
		double bits_pps = k[i].tx_rate ? (double)k[i].tx_rate / (k[i].len * 8.0) : 1e300;
		double want = pps < bits_pps ? pps : bits_pps;
		double burst = pps < bits_pps ? (double)r->tx_pps_burst
					      : (double)r->tx_burst / k[i].len;
		double got = ((double)pkts - burst) / (double)T;
		if (got < want * 0.99 || got > want * 1.01)
			fail_msg("shaper case %zu: %.1f pps, configured %.1f", i, got, want);
		fn_switch_free(sw);
	}
	/* Unlimited: the whole batch every time; not offered while its guest
	 * is away. */
	struct fn_switch *sw = mk(1, HZ);
	uint32_t id = add(sw, MAC(1), 0, NONE, true), b;
	struct fn_sched *ts = &sw->tx_sched[0];
	fn_sched_begin(ts, 0);
	assert_int_equal(fn_sched_next(ts, &b), FN_SCHED_NONE);
	fn_switch_vnic_ready(sw, id, true);
	for (uint64_t t = 0; t < 1000; t++) {
		fn_sched_begin(ts, t);
		assert_int_equal(fn_sched_next(ts, &b), id);
		assert_int_equal(b, 32);
		fn_sched_done(ts, id, 32, 32 * 1514, false);
	}
	fn_switch_vnic_ready(sw, id, false);
	fn_sched_begin(ts, 2000);
	assert_int_equal(fn_sched_next(ts, &b), FN_SCHED_NONE);
	fn_switch_free(sw);
}

/* ---- reconfiguration ----------------------------------------------------------- */

/* Defaults of the sharing keys: weight 1, a queue of 10 ms at the ceiling
 * (at 10 Gbit/s without one) and at least 256 KiB. */
static void
test_sharing_defaults(void **state)
{
	(void)state;
	struct fn_switch *sw = mk(2, HZ);
	struct fn_vnic_conf c = cf(MAC(1), 0, NONE, true);
	assert_int_equal(fn_switch_conf_check(sw, &c), 0);
	assert_int_equal(c.rx_weight, 1);
	assert_int_equal(c.tx_weight, 1);
	assert_int_equal(c.rx_queue, 12500000);
	c = cf(MAC(1), 0, NONE, true);
	c.rx_rate = 100000000;          /* 10 ms at 100 Mbit/s is below the floor */
	assert_int_equal(fn_switch_conf_check(sw, &c), 0);
	assert_int_equal(c.rx_queue, 256 * 1024);
	c = cf(MAC(1), 0, NONE, true);
	c.rx_rate = 1000000000;         /* 10 ms at 1 Gbit/s = 1.25 MB */
	assert_int_equal(fn_switch_conf_check(sw, &c), 0);
	assert_int_equal(c.rx_queue, 1250000);
	c.rx_queue = 5000;
	assert_int_equal(fn_switch_conf_check(sw, &c), 0);
	assert_int_equal(c.rx_queue, 5000);
	fn_switch_free(sw);
}

/* Admission control: guarantees on one uplink never add up to more than
 * its capacity; vNICs without an uplink, or an unlimited link, promise
 * nothing against a capacity. */
static void
test_admission(void **state)
{
	(void)state;
	const uint64_t M = 1000000;
	struct fn_switch *sw = mk(8, HZ);
	enum fn_dir dir;
	assert_int_equal(fn_switch_uplink_set(sw, 0, 0, 1000 * M, 0), 0);
	struct fn_vnic_conf a = cf(MAC(1), 0, NONE, true);
	a.tx_min = 600 * M;
	uint32_t ia = add_conf(sw, a, 0);
	struct fn_vnic_conf b = cf(MAC(2), 0, NONE, true), b0 = b;
	b.tx_min = 401 * M;
	uint32_t id = 99;
	assert_int_equal(fn_switch_admission(sw, &b, NOV, &dir), -EDQUOT);
	assert_int_equal(dir, FN_DIR_TX);
	assert_int_equal(fn_switch_vnic_add(sw, &b, 0, &id), -EDQUOT);
	assert_int_equal(id, 99);
	assert_int_equal(sw->n_vnics, 1);
	b.tx_min = 400 * M;                     /* exactly the capacity: fits */
	uint32_t ib = add_conf(sw, b, 0);
	assert_int_equal(fn_switch_min_sum(sw, 0, FN_DIR_TX, NOV), 1000 * M);
	assert_int_equal(fn_switch_min_sum(sw, 0, FN_DIR_TX, ia), 400 * M);
	/* raising one's own guarantee counts it once */
	a = sw->vnics[ia].conf;
	a.tx_min = 601 * M;
	assert_int_equal(fn_switch_vnic_update(sw, ia, &a, 0), -EDQUOT);
	assert_int_equal(sw->vnics[ia].conf.tx_min, 600 * M);
	/* the link cannot shrink below its guarantees */
	assert_int_equal(fn_switch_uplink_set(sw, 0, 0, 999 * M, 0), -EDQUOT);
	assert_int_equal(sw->tx_cap[0], 1000 * M);
	/* receive: unlimited capacity admits any guarantee; a capacity does not */
	b0.mac = MAC(3);
	b0.rx_min = 5000 * M;
	uint32_t ic = add_conf(sw, b0, 0);
	assert_int_equal(fn_switch_uplink_set(sw, 0, 4000 * M, 1000 * M, 0), -EDQUOT);
	assert_int_equal(sw->rx_cap[0], 0);
	assert_int_equal(fn_switch_uplink_set(sw, 0, 5000 * M, 2000 * M, 0), 0);
	/* moving a vNIC to another uplink takes its guarantee along */
	assert_int_equal(fn_switch_uplink_set(sw, 1, 0, 100 * M, 0), 0);
	struct fn_vnic_conf m = sw->vnics[ib].conf;
	m.uplink = 1;
	assert_int_equal(fn_switch_vnic_update(sw, ib, &m, 0), -EDQUOT);
	m.uplink = NOUP;                        /* no link: nothing to promise against */
	assert_int_equal(fn_switch_vnic_update(sw, ib, &m, 0), 0);
	assert_int_equal(fn_switch_min_sum(sw, 0, FN_DIR_TX, NOV), 600 * M);
	assert_int_equal(fn_switch_vnic_del(sw, ic), 0);
	assert_int_equal(fn_switch_uplink_set(sw, 0, 1, 600 * M, 0), 0);
	assert_int_equal(fn_switch_uplink_set(sw, 5, 0, 0, 0), -EINVAL);
	sw_check(sw);
	fn_switch_free(sw);
}

/* A refused uplink_set changes nothing, the receive bucket's debt included
 * (it used to be refilled by the rollback); fast links are accepted (their
 * 10 ms default bucket is capped for exact accounting, not refused). */
static void
test_uplink_set_all_or_nothing(void **state)
{
	(void)state;
	const uint64_t G = 1000000000, hz = 2400000000u;
	struct fn_switch *sw = fn_switch_create(4, 2, hz, MAXF);
	assert_non_null(sw);
	assert_int_equal(fn_switch_uplink_set(sw, 0, G, G, 0), 0);
	struct fn_sched *rs = &sw->rx_sched[0];
	fn_tb_charge(&rs->cap_tb, &rs->cap_p, 10 * G);          /* deep in debt */
	const struct fn_tb tb = rs->cap_tb;
	assert_int_equal(fn_switch_uplink_set(sw, 0, G, UINT64_C(1) << 62, 0), -ERANGE);
	assert_int_equal(rs->cap_tb.tokens, tb.tokens);
	assert_int_equal(rs->cap_tb.last, tb.last);
	assert_int_equal(sw->rx_cap[0], G);
	assert_int_equal(sw->tx_cap[0], G);
	for (uint64_t r = 100; r <= 400; r += 100)
		assert_int_equal(fn_switch_uplink_set(sw, 1, r * G, r * G, 0), 0);
	fn_switch_free(sw);
}

/*
 * Receive queues through the switch: limit, pool share, CoDel, counters.
 * A flood into one vNIC with a huge queue never costs another vNIC a
 * frame of the pool: it stops at its share while the other still fits.
 */
static void
test_rx_queues(void **state)
{
	(void)state;
	struct fn_switch *sw = mk(4, HZ);
	assert_int_equal(fn_switch_buffers(sw, 1000, 100), 0);
	assert_int_equal(sw->rxq_reserve, 64);   /* (1000-100)/2/4 = 112, capped */
	struct fn_vnic_conf c = cf(MAC(1), 0, NONE, true);
	c.rx_queue = 1 << 30;                    /* huge: only the pool limits it */
	uint32_t flood = add_conf(sw, c, 0);
	c = cf(MAC(2), 0, NONE, true);
	c.rx_queue = 10 * 1514;
	uint32_t paced = add_conf(sw, c, 0);
	assert_int_equal(fn_switch_buffers(sw, 1000, 100), -EBUSY);
	struct fn_sched *rs = &sw->rx_sched[0];
	assert_false(rs->flows[flood].awake);
	uint32_t n = 0;
	while (fn_switch_rx_enqueue(sw, flood, 1514, 0))
		n++;
	/* reserve 64, then shared: 900 - 128 reserved = 772 shared, it settles
	 * at half of that */
	assert_int_equal(n, 64 + 386);
	assert_true(rs->flows[flood].awake);
	assert_int_equal(sw->vnics[flood].ctr[FN_VC_rx_drop_pool], 1);
	for (int i = 0; i < 10; i++)
		assert_true(fn_switch_rx_enqueue(sw, paced, 1514, 0));
	assert_false(fn_switch_rx_enqueue(sw, paced, 1514, 0));
	assert_int_equal(sw->vnics[paced].ctr[FN_VC_rx_drop_queue_limit], 1);
	assert_int_equal(sw->vnics[paced].rxq.held, 10);
	/* CoDel: frames that waited beyond 5 ms for 100 ms start dropping */
	uint64_t t = 200 * (HZ / 1000), drops = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (!fn_switch_rx_dequeue(sw, flood, 1514, t + i, 50 * (HZ / 1000)))
			drops++;
		if (i == 0)
			t += 101 * (HZ / 1000);
	}
	assert_true(drops > 0);
	assert_int_equal(sw->vnics[flood].ctr[FN_VC_rx_drop_aqm], drops);
	/* small frames in the same standing queue are never the ones dropped */
	for (uint32_t i = 0; i < 200; i++)
		assert_true(fn_switch_rx_enqueue(sw, flood, i % 2 ? 1514 : FN_AQM_SMALL, t));
	uint64_t small_lost = 0, big_lost = 0;
	for (uint32_t i = 0; i < 200; i++)
		if (!fn_switch_rx_dequeue(sw, flood, i % 2 ? 1514 : FN_AQM_SMALL,
					  t + 10 * (HZ / 1000) * i, 50 * (HZ / 1000)))
			*(i % 2 ? &big_lost : &small_lost) += 1;
	assert_int_equal(small_lost, 0);
	assert_true(big_lost > 0);
	drops += big_lost;
	assert_int_equal(sw->vnics[flood].rxq.held, 0);
	assert_int_equal(sw->vnics[flood].rx_sojourn_max, 50 * (HZ / 1000));
	fn_switch_rx_queue_empty(sw, flood);
	assert_false(rs->flows[flood].awake);
	/* tail: never a drop at the head */
	c = sw->vnics[paced].conf;
	c.rx_aqm = FN_AQM_TAIL;
	assert_int_equal(fn_switch_vnic_update(sw, paced, &c, 0), 0);
	for (int i = 0; i < 10; i++)
		assert_true(fn_switch_rx_dequeue(sw, paced, 1514, t + (uint64_t)i * HZ, HZ));
	assert_true(fn_switch_rx_enqueue(sw, paced, 100, t));
	fn_switch_rx_discard(sw, paced, 100, FN_VC_rx_drop_guest_full);
	assert_int_equal(sw->vnics[paced].rxq.held, 0);
	assert_int_equal(sw->vnics[paced].rxq.bytes, 0);
	assert_int_equal(sw->vnics[paced].ctr[FN_VC_rx_drop_guest_full], 1);
	/* police: the receive limit drops at arrival, the scheduler has no ceiling */
	c.rx_police = true;
	c.rx_rate = 1000000;
	c.rx_burst = 0;
	c.rx_queue = 0;
	assert_int_equal(fn_switch_vnic_update(sw, paced, &c, 0), 0);
	assert_int_equal(rs->flows[paced].conf.ceil, 0);
	uint32_t ok = 0;
	for (int i = 0; i < 100; i++)
		ok += fn_switch_rx_enqueue(sw, paced, 1000, t);
	assert_int_equal(ok, sw->vnics[paced].conf.rx_burst / 1000);
	assert_int_equal(sw->vnics[paced].ctr[FN_VC_rx_drop_rate], 100 - ok);
	c.rx_police = false;
	assert_int_equal(fn_switch_vnic_update(sw, paced, &c, 0), 0);
	assert_int_equal(rs->flows[paced].conf.ceil, 1000000);
	/* deleting a vNIC with frames queued gives its buffers back */
	uint32_t before = sw->buf.shared_used;
	assert_int_equal(fn_switch_vnic_del(sw, paced), 0);
	assert_true(sw->buf.shared_used <= before);
	assert_int_equal(sw->buf.reserved, 64);
	fn_switch_free(sw);
}

/*
 * fn_switch_rx_dequeue_bulk() is n fn_switch_rx_dequeue() that deliver:
 * two identical switches, one taking runs whole when the bulk call agrees,
 * the other frame by frame, see the same random arrivals and delays
 * (standing queues included, so CoDel enters and leaves its dropping
 * state): queue, pool, CoDel state, counters and delay maximum stay equal.
 */
static void
test_rx_dequeue_bulk_is_per_frame(void **state)
{
	(void)state;
	struct fn_switch *a = mk(2, HZ), *b = mk(2, HZ);
	assert_int_equal(fn_switch_buffers(a, 4000, 100), 0);
	assert_int_equal(fn_switch_buffers(b, 4000, 100), 0);
	struct fn_vnic_conf c = cf(MAC(1), 0, NONE, true);
	c.rx_queue = 1 << 30;
	uint32_t id = add_conf(a, c, 0);
	assert_int_equal(add_conf(b, c, 0), id);
	uint64_t t = 0, bulk_runs = 0, aqm_runs = 0;
	static uint32_t fifo[1 << 14];          /* lengths of the queued frames */
	uint32_t head = 0, tail = 0;
	srand(11);
	for (int step = 0; step < 20000; step++) {
		uint32_t n = (uint32_t)rand() % 64;
		for (uint32_t i = 0; i < n && tail - head < (uint32_t)ARRAY_LEN(fifo); i++) {
			uint32_t len = rand() % 3 ? 1514 : 60 + (uint32_t)rand() % 100;
			bool qa = fn_switch_rx_enqueue(a, id, len, t);
			assert_int_equal(fn_switch_rx_enqueue(b, id, len, t), qa);
			if (qa)
				fifo[tail++ % (uint32_t)ARRAY_LEN(fifo)] = len;
		}
		/* phases of 300 steps: standing delays above CoDel's 5 ms target,
		 * then mostly below; time moves on by up to 2 ms a step */
		bool standing = (step / 300) % 2;
		uint64_t us = standing ? 4000 + (uint64_t)(rand() % 20000)
				       : (uint64_t)(rand() % 5500);
		uint64_t sojourn = us * (HZ / 1000000);
		t += (uint64_t)(rand() % 2000) * (HZ / 1000000);
		/* a run of the oldest frames leaves (standing: fewer than came) */
		uint32_t m = tail - head ? 1 + (uint32_t)rand() % (tail - head) : 0;
		if (standing && m > n / 2 + 1)
			m = n / 2 + 1 < tail - head ? n / 2 + 1 : tail - head;
		uint64_t bytes = 0;
		for (uint32_t i = 0; i < m; i++)
			bytes += fifo[(head + i) % (uint32_t)ARRAY_LEN(fifo)];
		if (m && fn_switch_rx_dequeue_bulk(a, id, m, bytes, t, sojourn)) {
			bulk_runs++;
			for (uint32_t i = 0; i < m; i++)
				assert_true(fn_switch_rx_dequeue(b, id, fifo[(head + i) % (uint32_t)ARRAY_LEN(fifo)],
								 t, sojourn));
		} else {
			aqm_runs += m > 0;
			for (uint32_t i = 0; i < m; i++) {
				uint32_t len = fifo[(head + i) % (uint32_t)ARRAY_LEN(fifo)];
				assert_int_equal(fn_switch_rx_dequeue(a, id, len, t, sojourn),
						 fn_switch_rx_dequeue(b, id, len, t, sojourn));
			}
		}
		head += m;
		if (head == tail && rand() % 2) {
			fn_switch_rx_queue_empty(a, id);
			fn_switch_rx_queue_empty(b, id);
		}
		const struct fn_vnic *va = &a->vnics[id], *vb = &b->vnics[id];
		assert_memory_equal(&va->codel, &vb->codel, sizeof(va->codel));
		assert_memory_equal(&va->rxq, &vb->rxq, sizeof(va->rxq));
		assert_memory_equal(va->ctr, vb->ctr, sizeof(va->ctr));
		assert_int_equal(va->rx_sojourn_max, vb->rx_sojourn_max);
		assert_memory_equal(&a->buf, &b->buf, sizeof(a->buf));
	}
	/* both paths were exercised, and CoDel did drop */
	assert_true(bulk_runs > 1000 && aqm_runs > 1000);
	assert_true(a->vnics[id].ctr[FN_VC_rx_drop_aqm] > 0);
	/* tail drop: every run leaves whole, whatever its delay */
	c.rx_aqm = FN_AQM_TAIL;
	assert_int_equal(fn_switch_vnic_update(a, id, &c, t), 0);
	assert_true(fn_switch_rx_enqueue(a, id, 1514, t));
	assert_true(fn_switch_rx_dequeue_bulk(a, id, 1, 1514, t + HZ, HZ));
	fn_switch_free(a);
	fn_switch_free(b);
}

static void
test_update_mac(void **state)
{
	(void)state;
	struct fn_switch *sw = mk(4, HZ);
	uint32_t b = add(sw, MAC(0xb), 0, NONE, true);
	struct fn_vnic_conf c = cf(MAC(0xa), 0, NONE, true);
	c.rx_pps = 1000;                          /* burst 32 */
	uint32_t a = add_conf(sw, c, 0);
	/* Drain the burst: 32 in, 8 dropped. */
	assert_int_equal(rx_flood(sw, a, 60, 0, 39, 1, NULL), 32);
	assert_int_equal(vc(sw, a, FN_VC_rx_drop_rate), 8);
	sw->vnics[a].ctr[FN_VC_rx_packets] = 32;  /* as the data plane would */
	sw->vnics[a].ctr[FN_VC_tx_bytes] = 12345;

	c.mac = MAC(0xaa);
	assert_int_equal(fn_switch_vnic_update(sw, a, &c, 39), 0);
	sw_check(sw);
	assert_int_equal(sw->vnics[a].mac, MAC(0xaa));
	assert_int_equal(sw->vnics[a].conf.mac, MAC(0xaa));
	/* The old MAC misses, the new one hits the same slot. */
	uint32_t t = 999;
	bool strip;
	assert_int_equal(fn_switch_rx_classify(sw, 0, frame(MAC(0xa), MAC(0xee), NONE, 60),
					       60, &t, &strip), FN_DROP);
	assert_int_equal(uc(sw, 0, FN_UC_rx_drop_no_vnic), 1);
	assert_int_equal(fn_switch_rx_classify(sw, 0, frame(MAC(0xaa), MAC(0xee), NONE, 60),
					       60, &t, &strip), FN_TO_VNIC);
	assert_int_equal(t, a);
	/* Counters and token state carried over: still empty at t = 39 ns;
	 * the 33rd frame's token is complete at exactly 1 ms. */
	assert_int_equal(vc(sw, a, FN_VC_rx_packets), 32);
	assert_int_equal(vc(sw, a, FN_VC_tx_bytes), 12345);
	assert_int_equal(vc(sw, a, FN_VC_rx_drop_rate), 8);
	assert_false(fn_switch_rx_admit(sw, a, 60, 39));
	assert_false(fn_switch_rx_admit(sw, a, 60, 999999));
	assert_true(fn_switch_rx_admit(sw, a, 60, 1000000));
	assert_false(fn_switch_rx_admit(sw, a, 60, 1000000));
	assert_int_equal(vc(sw, a, FN_VC_rx_drop_rate), 11);
	/* The guest must now send from the new MAC. */
	assert_int_equal(fn_switch_tx_classify(sw, a, frame(MAC(0xb), MAC(0xa), NONE, 60),
					       60, &t), FN_DROP);
	assert_int_equal(vc(sw, a, FN_VC_tx_drop_spoof), 1);
	assert_int_equal(fn_switch_tx_classify(sw, a, frame(MAC(0xb), MAC(0xaa), NONE, 60),
					       60, &t), FN_TO_VNIC);
	assert_int_equal(t, b);
	/* Still in its broadcast domain. */
	expect_flood(sw, fn_fib_lookup(sw->fib, 0, NONE, BCAST), NOV,
		     (uint32_t[]){ a, b }, 2);
	assert_int_equal(sw->fib->count, 3);
	fn_switch_free(sw);
}

static uint32_t
head_of(const struct fn_switch *sw, uint16_t uplink, uint16_t vlan)
{
	return fn_fib_lookup(sw->fib, uplink, vlan, BCAST);
}

/* Turning local switching off and on takes effect at once, both ways, for
 * unicast and floods; an update that changes no address keeps the domain
 * list as it was. */
static void
test_update_local(void **state)
{
	(void)state;
	struct fn_switch *sw = mk(4, HZ);
	uint32_t a = add(sw, MAC(1), 0, 10, true);
	uint32_t b = add(sw, MAC(2), 0, 10, true);
	uint32_t c = add(sw, MAC(3), 0, 10, true);
	uint32_t t, next[3], prev[3];
	for (uint32_t i = 0; i < 3; i++)
		next[i] = sw->vnics[i].dom_next, prev[i] = sw->vnics[i].dom_prev;
	static const bool seq[] = { false, true, false, true };
	for (size_t i = 0; i < ARRAY_LEN(seq); i++) {
		struct fn_vnic_conf x = sw->vnics[a].conf;
		x.local = seq[i];
		assert_int_equal(fn_switch_vnic_update(sw, a, &x, 0), 0);
		sw_check(sw);
		for (uint32_t j = 0; j < 3; j++) {
			assert_int_equal(sw->vnics[j].dom_next, next[j]);
			assert_int_equal(sw->vnics[j].dom_prev, prev[j]);
		}
		uint64_t da = vc(sw, a, FN_VC_tx_drop_local_denied);
		uint64_t db = vc(sw, b, FN_VC_tx_drop_local_denied);
		enum fn_verdict want = seq[i] ? FN_TO_VNIC : FN_DROP;
		assert_int_equal(fn_switch_tx_classify(sw, a, frame(MAC(2), MAC(1), NONE, 60),
						       60, &t), want);
		assert_int_equal(fn_switch_tx_classify(sw, b, frame(MAC(1), MAC(2), NONE, 60),
						       60, &t), want);
		assert_int_equal(vc(sw, a, FN_VC_tx_drop_local_denied), da + !seq[i]);
		assert_int_equal(vc(sw, b, FN_VC_tx_drop_local_denied), db + !seq[i]);
		uint32_t head = head_of(sw, 0, 10);
		if (seq[i]) {
			expect_flood(sw, head, a, (uint32_t[]){ b, c }, 2);
			expect_flood(sw, head, b, (uint32_t[]){ a, c }, 2);
		} else {
			expect_flood(sw, head, a, NULL, 0);
			expect_flood(sw, head, b, &c, 1);
		}
	}
	fn_switch_free(sw);
}


static void
move(struct fn_switch *sw, uint32_t id, uint16_t uplink, uint16_t vlan)
{
	struct fn_vnic_conf c = sw->vnics[id].conf;
	c.uplink = uplink;
	c.vlan = vlan;
	assert_int_equal(fn_switch_vnic_update(sw, id, &c, 0), 0);
	assert_int_equal(sw->vnics[id].uplink, uplink);
	assert_int_equal(sw->vnics[id].vlan, vlan);
	sw_check(sw);
}

static void
test_update_domain(void **state)
{
	(void)state;
	struct fn_switch *sw = mk(8, HZ);
	uint32_t a = add(sw, MAC(1), 0, 10, true);
	uint32_t b = add(sw, MAC(2), 0, 10, true);
	uint32_t c = add(sw, MAC(3), 0, 10, true);
	assert_int_equal(sw->fib->count, 4);
	uint32_t h = head_of(sw, 0, 10);

	/* Move the head away: the domain gets a new head. */
	move(sw, h, 1, 20);
	assert_int_not_equal(head_of(sw, 0, 10), h);
	assert_int_not_equal(head_of(sw, 0, 10), FN_FIB_MISS);
	assert_int_equal(head_of(sw, 1, 20), h);
	assert_int_equal(sw->fib->count, 5);
	uint32_t rest[2], n = 0;
	for (uint32_t *p = (uint32_t[]){ a, b, c }, i = 0; i < 3; i++)
		if (p[i] != h)
			rest[n++] = p[i];
	expect_flood(sw, head_of(sw, 0, 10), NOV, rest, 2);
	expect_flood(sw, head_of(sw, 1, 20), NOV, &h, 1);
	/* Unicast follows the vNIC to its new domain. */
	uint32_t t;
	bool strip;
	uint64_t mac = sw->vnics[h].mac;
	assert_int_equal(fn_switch_rx_classify(sw, 0, frame(mac, 0x02, 10, 64), 64, &t, &strip),
			 FN_DROP);
	assert_int_equal(fn_switch_rx_classify(sw, 1, frame(mac, 0x02, 20, 64), 64, &t, &strip),
			 FN_TO_VNIC);
	assert_int_equal(t, h);

	/* Change only the VLAN, then only the uplink. */
	move(sw, rest[0], 0, 20);
	expect_flood(sw, head_of(sw, 0, 10), NOV, &rest[1], 1);
	expect_flood(sw, head_of(sw, 0, 20), NOV, &rest[0], 1);
	move(sw, rest[0], 1, 20);
	assert_int_equal(head_of(sw, 0, 20), FN_FIB_MISS);   /* emptied: removed */
	expect_flood(sw, head_of(sw, 1, 20), NOV, (uint32_t[]){ h, rest[0] }, 2);
	/* Empty the first domain: its head leaves the fib. */
	move(sw, rest[1], 0, NONE);
	assert_int_equal(head_of(sw, 0, 10), FN_FIB_MISS);
	assert_int_equal(fn_switch_rx_classify(sw, 0, frame(BCAST, 0x02, 10, 64), 64, &t, &strip),
			 FN_DROP);
	assert_int_equal(sw->fib->count, 3 + 2);
	/* Into and out of the local-only domain. */
	move(sw, rest[1], NOUP, 10);
	move(sw, h, NOUP, 10);
	expect_flood(sw, head_of(sw, NOUP, 10), NOV, (uint32_t[]){ rest[1], h }, 2);
	assert_int_equal(fn_switch_tx_classify(sw, h, frame(sw->vnics[rest[1]].mac,
							    sw->vnics[h].mac, NONE, 60),
					       60, &t), FN_TO_VNIC);
	assert_int_equal(t, rest[1]);
	move(sw, rest[1], 0, 10);
	move(sw, h, 0, 10);
	move(sw, rest[0], 0, 10);
	expect_flood(sw, head_of(sw, 0, 10), NOV, (uint32_t[]){ a, b, c }, 3);
	assert_int_equal(sw->fib->count, 4);
	fn_switch_free(sw);
}

/* Rate changes mid-run: A pps for T1, then B pps for T2, under a 1 Mpps
 * flood. Credit earned under A is kept, no fresh burst is granted. */
static void
test_update_rate_mid_run(void **state)
{
	(void)state;
	static const struct { uint64_t a, b, t1, t2; } k[] = {
		{ 24000, 50000, 5, 5 },
		{ 50000, 24000, 3, 7 },
		{ 1000, 100000, 1, 2 },
		{ 100000, 1000, 2, 1 },
	};
	for (size_t i = 0; i < ARRAY_LEN(k); i++) {
		struct fn_switch *sw = mk(2, HZ);
		struct fn_vnic_conf c = cf(MAC(1), 0, 10, true);
		c.rx_pps = k[i].a;
		uint32_t id = add_conf(sw, c, 0);
		uint64_t burst = k[i].a / 100 > 32 ? k[i].a / 100 : 32;
		uint64_t ok = rx_flood(sw, id, 64, 0, k[i].t1 * SEC - 1000, 1000, NULL);
		c = cf(MAC(1), 0, 10, true);
		c.rx_pps = k[i].b;
		assert_int_equal(fn_switch_vnic_update(sw, id, &c, k[i].t1 * SEC), 0);
		ok += rx_flood(sw, id, 64, k[i].t1 * SEC, (k[i].t1 + k[i].t2) * SEC, 1000, NULL);
		uint64_t want = k[i].a * k[i].t1 + k[i].b * k[i].t2 + burst;
		if (ok + 1 < want || ok > want + 1)
			fail_msg("rate change %zu: admitted %llu, expected %llu +- 1", i,
				 (unsigned long long)ok, (unsigned long long)want);
		fn_switch_free(sw);
	}
	/* From limited to unlimited and back: unlimited admits all, and the
	 * return to a limit starts with a full burst. */
	struct fn_switch *sw = mk(2, HZ);
	struct fn_vnic_conf c = cf(MAC(1), 0, 10, true);
	c.rx_pps = 1000;
	uint32_t id = add_conf(sw, c, 0);
	assert_int_equal(rx_flood(sw, id, 64, 0, 99999, 1000, NULL), 32);
	c = cf(MAC(1), 0, 10, true);
	assert_int_equal(fn_switch_vnic_update(sw, id, &c, 100000), 0);
	assert_int_equal(rx_flood(sw, id, 64, 100000, 199999, 1000, NULL), 100);
	c.rx_pps = 1000;
	c.rx_pps_burst = 0;
	assert_int_equal(fn_switch_vnic_update(sw, id, &c, 200000), 0);
	assert_int_equal(rx_flood(sw, id, 64, 200000, 299999, 1000, NULL), 32);
	fn_switch_free(sw);
}

/* A copy of everything an update may touch. */
struct snap {
	struct fn_vnic vnics[8];
	struct fn_fib_slot slots[64];
	struct fn_fib fib;
	uint32_t n_vnics;
};

static void
snap_take(const struct fn_switch *sw, struct snap *s)
{
	assert_true(sw->max_vnics <= 8 && sw->fib->mask < 64);
	memcpy(s->vnics, sw->vnics, sw->max_vnics * sizeof(*sw->vnics));
	memcpy(s->slots, sw->fib->slots, (sw->fib->mask + 1) * sizeof(*s->slots));
	s->fib = *sw->fib;
	s->n_vnics = sw->n_vnics;
}

static void
snap_same(const struct fn_switch *sw, const struct snap *s, const char *what)
{
	for (uint32_t i = 0; i < sw->max_vnics; i++) {
		const struct fn_vnic *x = &sw->vnics[i], *y = &s->vnics[i];
		if (x->in_use != y->in_use || x->mac != y->mac || x->uplink != y->uplink ||
		    x->vlan != y->vlan || x->local != y->local ||
		    x->dom_next != y->dom_next || x->dom_prev != y->dom_prev ||
		    memcmp(&x->rx_pkts, &y->rx_pkts, sizeof(x->rx_pkts)) ||
		    memcmp(&x->lim, &y->lim, sizeof(x->lim)) ||
		    memcmp(x->ctr, y->ctr, sizeof(x->ctr)) ||
		    x->conf.mac != y->conf.mac || x->conf.rx_pps != y->conf.rx_pps)
			fail_msg("%s: vnic %u changed (dom_next %u -> %u, dom_prev %u -> %u)",
				 what, i, y->dom_next, x->dom_next, y->dom_prev, x->dom_prev);
	}
	for (uint32_t j = 0; j <= sw->fib->mask; j++)
		if (memcmp(&sw->fib->slots[j], &s->slots[j], sizeof(s->slots[j])))
			fail_msg("%s: fib slot %u changed", what, j);
	assert_int_equal(sw->fib->count, s->fib.count);
	assert_int_equal(sw->n_vnics, s->n_vnics);
}

static void
test_update_failure_changes_nothing(void **state)
{
	(void)state;
	struct fn_switch *sw = mk(8, HZ);
	struct fn_vnic_conf c = cf(MAC(1), 0, 10, true);
	c.rx_pps = 1000;
	uint32_t a = add_conf(sw, c, 0);
	uint32_t b = add(sw, MAC(2), 0, 10, true);
	uint32_t d = add(sw, MAC(3), 0, 10, true);
	(void)add(sw, MAC(1), 1, NONE, true);
	(void)d;
	assert_int_equal(rx_flood(sw, a, 64, 0, 9, 1, NULL), 10);   /* some state */
	struct snap s;
	snap_take(sw, &s);

	static const struct { const char *what; uint64_t mac; uint16_t uplink, vlan;
			      uint64_t rx_pps, rx_pps_burst; int rc; } k[] = {
		{ "mac clash",          MAC(2), 0, 10,     1000, 0, -EEXIST },
		{ "mac clash (head)",   MAC(3), 0, 10,     1000, 0, -EEXIST },
		{ "move into clash",    MAC(1), 1, NONE,   1000, 0, -EEXIST },
		{ "vlan 0",             MAC(1), 0, 0,      1000, 0, -EINVAL },
		{ "vlan 4095",          MAC(1), 0, 4095,   1000, 0, -EINVAL },
		{ "group mac",          MCAST,  0, 10,     1000, 0, -EINVAL },
		{ "zero mac",           0,      0, 10,     1000, 0, -EINVAL },
		{ "uplink 2",           MAC(1), 2, 10,     1000, 0, -EINVAL },
		{ "absurd burst",       MAC(9), 1, 10,     1000, UINT64_C(1) << 50, -ERANGE },
	};
	for (size_t i = 0; i < ARRAY_LEN(k); i++) {
		/* try it on a (the tail) and on b (in the middle) */
		for (uint32_t *p = (uint32_t[]){ a, b, NOV }; *p != NOV; p++) {
			if (*p == b && k[i].mac == MAC(2))
				continue;   /* that is b's own MAC */
			c = cf(k[i].mac, k[i].uplink, k[i].vlan, false);
			c.rx_pps = k[i].rx_pps;
			c.rx_pps_burst = k[i].rx_pps_burst;
			int rc = fn_switch_vnic_update(sw, *p, &c, 5);
			if (rc != k[i].rc)
				fail_msg("%s: rc %d, expected %d", k[i].what, rc, k[i].rc);
			snap_same(sw, &s, k[i].what);
			sw_check(sw);
		}
	}
	c = cf(MAC(7), 0, 10, true);
	assert_int_equal(fn_switch_vnic_update(sw, 5, &c, 0), -ENOENT);   /* free slot */
	assert_int_equal(fn_switch_vnic_update(sw, 8, &c, 0), -ENOENT);   /* out of range */
	assert_int_equal(fn_switch_vnic_update(sw, NOV, &c, 0), -ENOENT);
	snap_same(sw, &s, "no such vnic");
	fn_switch_free(sw);
}

static void
test_del_add_reuses_slot(void **state)
{
	(void)state;
	struct fn_switch *sw = mk(3, HZ);
	uint32_t a = add(sw, MAC(1), 0, NONE, true);
	uint32_t b = add(sw, MAC(2), 0, 10, true);
	uint32_t c = add(sw, MAC(3), 1, 10, true);
	assert_int_equal(a, 0);
	assert_int_equal(b, 1);
	assert_int_equal(c, 2);
	struct fn_vnic_conf x = cf(MAC(4), 0, NONE, true);
	uint32_t id = 99;
	assert_int_equal(fn_switch_vnic_add(sw, &x, 0, &id), -ENOSPC);
	assert_int_equal(id, 99);
	/* Same MAC again in the same domain: EEXIST, even with room. */
	assert_int_equal(fn_switch_vnic_del(sw, c), 0);
	x = cf(MAC(1), 0, NONE, true);
	assert_int_equal(fn_switch_vnic_add(sw, &x, 0, &id), -EEXIST);
	assert_int_equal(sw->n_vnics, 2);
	sw_check(sw);

	sw->vnics[b].ctr[FN_VC_rx_drop_rate] = 5;
	assert_int_equal(fn_switch_vnic_del(sw, b), 0);
	assert_int_equal(fn_switch_vnic_del(sw, b), -ENOENT);
	assert_int_equal(fn_switch_vnic_del(sw, 3), -ENOENT);
	assert_int_equal(fn_switch_vnic_del(sw, NOV), -ENOENT);
	assert_int_equal(sw->n_vnics, 1);
	assert_int_equal(sw->fib->count, 2);
	assert_int_equal(head_of(sw, 0, 10), FN_FIB_MISS);
	sw_check(sw);
	/* The lowest free slot is reused, fresh. */
	uint32_t d = add(sw, MAC(2), 0, 10, true);
	assert_int_equal(d, b);
	assert_int_equal(vc(sw, d, FN_VC_rx_drop_rate), 0);
	uint32_t e = add(sw, MAC(5), 1, 10, true);
	assert_int_equal(e, c);
	assert_int_equal(sw->fib->count, 6);
	fn_switch_free(sw);
}

/* 4096 vNICs in 128 domains (2 uplinks x 64 VLANs), 32 MACs reused in
 * every domain: each classifies to itself, broadcasts reach exactly the 32
 * of the domain. */
static void
test_4096_vnics(void **state)
{
	(void)state;
	enum { N = 4096, PER = 32 };
	struct fn_switch *sw = fn_switch_create(N, 2, HZ, MAXF);
	assert_non_null(sw);
#define DOM_UPLINK(i) ((uint16_t)(((i) / PER) % 2))
#define DOM_VLAN(i)   ((uint16_t)((i) / PER / 2 == 0 ? NONE : 1 + (i) / PER / 2))
#define VMAC(i)       (UINT64_C(0x020000000001) | (uint64_t)((i) % PER) << 32)
	for (uint32_t i = 0; i < N; i++) {
		struct fn_vnic_conf c = cf(VMAC(i), DOM_UPLINK(i), DOM_VLAN(i), true);
		uint32_t id;
		assert_int_equal(fn_switch_vnic_add(sw, &c, 0, &id), 0);
		assert_int_equal(id, i);
	}
	struct fn_vnic_conf c = cf(MAC(0xfff), 0, 5, true);
	uint32_t id;
	assert_int_equal(fn_switch_vnic_add(sw, &c, 0, &id), -ENOSPC);
	sw_check(sw);
	assert_int_equal(sw->fib->count, N + N / PER);
	for (uint32_t i = 0; i < N; i++) {
		uint16_t vlan = DOM_VLAN(i);
		uint32_t t = 999;
		bool strip;
		enum fn_verdict vd = fn_switch_rx_classify(
			sw, DOM_UPLINK(i), frame(VMAC(i), MAC(0xee), vlan, 64), 64, &t, &strip);
		if (vd != FN_TO_VNIC || t != i)
			fail_msg("vnic %u: verdict %d target %u", i, vd, t);
		assert_int_equal(strip, vlan != NONE);
		/* the other uplink has the same MAC in the same VLAN, as another vNIC */
		vd = fn_switch_rx_classify(sw, (uint16_t)!DOM_UPLINK(i),
					   frame(VMAC(i), MAC(0xee), vlan, 64), 64, &t, &strip);
		assert_int_equal(vd, FN_TO_VNIC);
		assert_int_equal(t, i ^ PER);
		/* a VLAN beyond the configured ones */
		vd = fn_switch_rx_classify(sw, DOM_UPLINK(i), frame(VMAC(i), MAC(0xee), 100, 64),
					   64, &t, &strip);
		assert_int_equal(vd, FN_DROP);
		if (i % PER == 0) {
			vd = fn_switch_rx_classify(sw, DOM_UPLINK(i),
						   frame(BCAST, MAC(0xee), vlan, 64), 64, &t, &strip);
			assert_int_equal(vd, FN_FLOOD);
			uint32_t want[PER];
			for (uint32_t j = 0; j < PER; j++)
				want[j] = i + j;
			expect_flood(sw, t, NOV, want, PER);
		}
	}
	assert_int_equal(uc(sw, 0, FN_UC_rx_drop_no_vnic) + uc(sw, 1, FN_UC_rx_drop_no_vnic), N);
	/* Delete every other vNIC; the rest still classify. */
	for (uint32_t i = 0; i < N; i += 2)
		assert_int_equal(fn_switch_vnic_del(sw, i), 0);
	sw_check(sw);
	for (uint32_t i = 0; i < N; i++) {
		uint32_t t = 999;
		bool strip;
		enum fn_verdict vd = fn_switch_rx_classify(
			sw, DOM_UPLINK(i), frame(VMAC(i), MAC(0xee), DOM_VLAN(i), 64), 64, &t, &strip);
		assert_int_equal(vd, i % 2 ? FN_TO_VNIC : FN_DROP);
		if (i % 2)
			assert_int_equal(t, i);
	}
	fn_switch_free(sw);
}

static void
test_counters_reset(void **state)
{
	(void)state;
	struct fn_switch *sw = mk(4, HZ);
	uint32_t a = add(sw, MAC(1), 0, NONE, true);
	uint32_t b = add(sw, MAC(2), 1, NONE, true);
	for (int c = 0; c < FN_VC_MAX; c++) {
		sw->vnics[a].ctr[c] = 100 + (uint64_t)c;
		sw->vnics[b].ctr[c] = 200 + (uint64_t)c;
	}
	for (int c = 0; c < FN_UC_MAX; c++)
		sw->uplink_ctr[0][c] = sw->uplink_ctr[1][c] = 300;

	fn_switch_counters_reset(sw, 4);        /* no such vNIC: nothing */
	fn_switch_counters_reset(sw, 1000);
	for (int c = 0; c < FN_VC_MAX; c++)
		assert_int_equal(vc(sw, a, (enum fn_vnic_counter)c), 100 + (uint64_t)c);
	fn_switch_counters_reset(sw, a);
	for (int c = 0; c < FN_VC_MAX; c++) {
		assert_int_equal(vc(sw, a, (enum fn_vnic_counter)c), 0);
		assert_int_equal(vc(sw, b, (enum fn_vnic_counter)c), 200 + (uint64_t)c);
	}
	for (int c = 0; c < FN_UC_MAX; c++)
		assert_int_equal(uc(sw, 0, (enum fn_uplink_counter)c), 300);
	fn_switch_counters_reset(sw, NOV);
	for (int c = 0; c < FN_VC_MAX; c++)
		assert_int_equal(vc(sw, b, (enum fn_vnic_counter)c), 0);
	for (uint16_t u = 0; u < 2; u++)
		for (int c = 0; c < FN_UC_MAX; c++)
			assert_int_equal(uc(sw, u, (enum fn_uplink_counter)c), 0);
	/* Resetting counters does not touch forwarding or limits. */
	sw_check(sw);
	uint32_t t;
	bool strip;
	assert_int_equal(fn_switch_rx_classify(sw, 1, frame(MAC(2), 0x02, NONE, 60), 60,
					       &t, &strip), FN_TO_VNIC);
	assert_int_equal(t, b);
	assert_int_equal(uc(sw, 1, FN_UC_rx_packets), 1);
	/* Counter names exist for every counter. */
	for (int c = 0; c < FN_VC_MAX; c++)
		assert_non_null(fn_vnic_counter_names[c]);
	for (int c = 0; c < FN_UC_MAX; c++)
		assert_non_null(fn_uplink_counter_names[c]);
	fn_switch_free(sw);
}

/* ---- the L3 guard in fn_switch_tx_classify ------------------------------- */

/* An untagged IPv4/UDP frame src:sport -> dst:dport from `mac` to `dst`. */
static const uint8_t *
udp4(uint64_t dst, uint64_t mac, uint32_t src_ip, uint16_t sport, uint16_t dport)
{
	frame(dst, mac, NONE, 60);
	uint8_t *h = buf + 14;
	memset(h, 0, 46);
	h[0] = 0x45;
	h[3] = 46;
	h[8] = 64;
	h[9] = 17;
	h[12] = (uint8_t)(src_ip >> 24), h[13] = (uint8_t)(src_ip >> 16);
	h[14] = (uint8_t)(src_ip >> 8), h[15] = (uint8_t)src_ip;
	h[16] = 10, h[19] = 2;
	h[20] = (uint8_t)(sport >> 8), h[21] = (uint8_t)sport;
	h[22] = (uint8_t)(dport >> 8), h[23] = (uint8_t)dport;
	h[25] = 26;
	return buf;
}

/* An ARP reply from `mac` saying sender IP `spa` is at `sha`. */
static const uint8_t *
arp_reply(uint64_t mac, uint64_t sha, uint32_t spa)
{
	frame(MAC(0xb), mac, NONE, 60);
	uint8_t *a = buf + 12;
	memset(a, 0, 48);
	a[0] = 0x08, a[1] = 0x06;
	a[3] = 1, a[4] = 0x08, a[6] = 6, a[7] = 4, a[9] = 2;
	fn_mac_store(a + 10, sha);
	a[16] = (uint8_t)(spa >> 24), a[17] = (uint8_t)(spa >> 16);
	a[18] = (uint8_t)(spa >> 8), a[19] = (uint8_t)spa;
	return buf;
}

/* An ICMPv6 router advertisement from fe80::1 (16 bytes of ICMPv6). */
static const uint8_t *
ra6(uint64_t mac)
{
	frame(MCAST6, mac, NONE, 70);
	uint8_t *h = buf + 12;
	memset(h, 0, 58);
	h[0] = 0x86, h[1] = 0xdd;
	h[2] = 0x60;
	h[7] = 16;           /* payload length */
	h[8] = 58;           /* ICMPv6 */
	h[9] = 255;
	h[10] = 0xfe, h[11] = 0x80, h[25] = 1;
	h[26] = 0xff, h[27] = 0x02, h[41] = 1;
	h[42] = 134;         /* router advertisement */
	return buf;
}

/* Every guard verdict lands in its counter, and nowhere else; ip, dhcp-server
 * and ra change live; a frame from an allowed source still switches. */
static void
test_l3_guard(void **state)
{
	(void)state;
	struct fn_switch *sw = mk(4, HZ);
	struct fn_vnic_conf ca = cf(MAC(0xa), 0, NONE, true);
	char e[160];
	assert_int_equal(fn_ipset_parse("10.0.0.1,2001:db8::1", &ca.ip, e, sizeof(e)), 0);
	uint32_t a = add_conf(sw, ca, 0), b = add(sw, MAC(0xb), 0, NONE, true), t = NOV;
	const uint32_t ten1 = 0x0a000001, ten9 = 0x0a000009;
	assert_true(sw->vnics[a].l3_guard);
	assert_true(sw->vnics[b].l3_guard);     /* dhcp-server and ra deny */

	assert_int_equal(fn_switch_tx_classify(sw, a, udp4(MAC(0xb), MAC(0xa), ten1, 4000, 5000),
					       60, &t), FN_TO_VNIC);
	assert_int_equal(t, b);
	assert_int_equal(fn_switch_tx_classify(sw, a, udp4(MAC(0xb), MAC(0xa), ten9, 4000, 5000),
					       60, &t), FN_DROP);
	assert_int_equal(vc(sw, a, FN_VC_tx_drop_ip_spoof), 1);
	/* a DHCP offer: from its own address, still not a server */
	assert_int_equal(fn_switch_tx_classify(sw, a, udp4(BCAST, MAC(0xa), ten1, 67, 68),
					       60, &t), FN_DROP);
	assert_int_equal(vc(sw, a, FN_VC_tx_drop_dhcp_server), 1);
	/* ARP poisoning: a claims b's address */
	assert_int_equal(fn_switch_tx_classify(sw, a, arp_reply(MAC(0xa), MAC(0xa), 0x0a000002),
					       60, &t), FN_DROP);
	assert_int_equal(vc(sw, a, FN_VC_tx_drop_arp_spoof), 1);
	assert_int_equal(fn_switch_tx_classify(sw, a, arp_reply(MAC(0xa), MAC(0xa), ten1),
					       60, &t), FN_TO_VNIC);
	/* a truncated IPv4 header: IHL 15 needs 60 bytes, 46 are there */
	udp4(MAC(0xb), MAC(0xa), ten1, 4000, 5000);
	buf[14] = 0x4f;
	assert_int_equal(fn_switch_tx_classify(sw, a, buf, 60, &t), FN_DROP);
	assert_int_equal(vc(sw, a, FN_VC_tx_drop_l3_malformed), 1);

	/* b has ip any: any source, but no DHCP server and no RA */
	assert_int_equal(fn_switch_tx_classify(sw, b, udp4(MAC(0xa), MAC(0xb), ten9, 4000, 5000),
					       60, &t), FN_TO_VNIC);
	assert_int_equal(fn_switch_tx_classify(sw, b, udp4(BCAST, MAC(0xb), ten9, 67, 68),
					       60, &t), FN_DROP);
	assert_int_equal(vc(sw, b, FN_VC_tx_drop_dhcp_server), 1);
	assert_int_equal(fn_switch_tx_classify(sw, b, ra6(MAC(0xb)), 70, &t), FN_DROP);
	assert_int_equal(vc(sw, b, FN_VC_tx_drop_ra), 1);
	/* the same garbage IPv4 header passes without ip: nobody takes it as DHCP */
	udp4(MAC(0xa), MAC(0xb), ten1, 67, 68);
	buf[14] = 0x4f;
	assert_int_equal(fn_switch_tx_classify(sw, b, buf, 60, &t), FN_TO_VNIC);

	/* live: b may serve DHCP and advertise routes; a moves to 10.0.0.9 */
	struct fn_vnic_conf cb = sw->vnics[b].conf;
	cb.dhcp_server = cb.ra = true;
	assert_int_equal(fn_switch_vnic_update(sw, b, &cb, 10), 0);
	assert_false(sw->vnics[b].l3_guard);    /* nothing left to check */
	assert_int_equal(fn_switch_tx_classify(sw, b, udp4(BCAST, MAC(0xb), ten9, 67, 68),
					       60, &t), FN_FLOOD);
	assert_int_equal(fn_switch_tx_classify(sw, b, ra6(MAC(0xb)), 70, &t), FN_FLOOD);
	ca = sw->vnics[a].conf;
	assert_int_equal(fn_ipset_parse("10.0.0.9", &ca.ip, e, sizeof(e)), 0);
	assert_int_equal(fn_switch_vnic_update(sw, a, &ca, 20), 0);
	assert_int_equal(fn_switch_tx_classify(sw, a, udp4(MAC(0xb), MAC(0xa), ten9, 4000, 5000),
					       60, &t), FN_TO_VNIC);
	assert_int_equal(fn_switch_tx_classify(sw, a, udp4(MAC(0xb), MAC(0xa), ten1, 4000, 5000),
					       60, &t), FN_DROP);
	assert_int_equal(vc(sw, a, FN_VC_tx_drop_ip_spoof), 2);   /* carried over */
	/* ip any again: no source check */
	memset(&ca.ip, 0, sizeof(ca.ip));
	assert_int_equal(fn_switch_vnic_update(sw, a, &ca, 30), 0);
	assert_int_equal(fn_switch_tx_classify(sw, a, udp4(MAC(0xb), MAC(0xa), ten1, 4000, 5000),
					       60, &t), FN_TO_VNIC);

	/* every frame sent is in exactly one counter: a sent 9, b 6 */
	static const enum fn_vnic_counter drops[] = {
		FN_VC_tx_drop_spoof, FN_VC_tx_drop_ip_spoof, FN_VC_tx_drop_arp_spoof,
		FN_VC_tx_drop_nd_spoof, FN_VC_tx_drop_dhcp_server, FN_VC_tx_drop_ra,
		FN_VC_tx_drop_l3_malformed, FN_VC_tx_drop_local_denied,
		FN_VC_tx_drop_malformed, FN_VC_tx_drop_no_uplink,
	};
	uint64_t sum_a = 0, sum_b = 0;
	for (size_t i = 0; i < ARRAY_LEN(drops); i++) {
		sum_a += vc(sw, a, drops[i]);
		sum_b += vc(sw, b, drops[i]);
	}
	/* tx_packets is the adapter's to count; here: the frames not dropped */
	assert_int_equal(sum_a, 9 - 4);
	assert_int_equal(sum_b, 6 - 4);
	fn_switch_free(sw);
}

/* A set fn_ipset_parse could not have made is refused by conf_check. */
static void
test_l3_conf_check(void **state)
{
	(void)state;
	struct fn_switch *sw = mk(2, HZ);
	struct fn_vnic_conf c = cf(MAC(1), 0, NONE, true);
	uint32_t id;
	c.ip.n4 = 1;                            /* prefixes, yet "any" */
	assert_int_equal(fn_switch_vnic_add(sw, &c, 0, &id), -EINVAL);
	c.ip.restricted = true;
	c.ip.v4[0].len = 33;
	assert_int_equal(fn_switch_vnic_add(sw, &c, 0, &id), -EINVAL);
	c.ip.v4[0].len = 32;
	c.ip.n6 = FN_L3_MAX_PREFIXES + 1;
	assert_int_equal(fn_switch_vnic_add(sw, &c, 0, &id), -EINVAL);
	c.ip.n6 = 1;
	c.ip.v6[0].len = 129;
	assert_int_equal(fn_switch_vnic_add(sw, &c, 0, &id), -EINVAL);
	c.ip.v6[0].len = 128;
	c.ip.v4[0].addr = 0x0a000005;           /* 10.0.0.5/24: host bits */
	c.ip.v4[0].len = 24;
	assert_int_equal(fn_switch_vnic_add(sw, &c, 0, &id), -EINVAL);
	c.ip.v4[0].addr = 0x0a000000;
	c.ip.v6[0].addr[15] = 1;                /* ::1/64: host bits */
	c.ip.v6[0].len = 64;
	assert_int_equal(fn_switch_vnic_add(sw, &c, 0, &id), -EINVAL);
	c.ip.v6[0].len = 128;
	assert_int_equal(fn_switch_vnic_add(sw, &c, 0, &id), 0);
	fn_switch_free(sw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_args),
		cmocka_unit_test(test_conf_check),
		cmocka_unit_test(test_rx_demux),
		cmocka_unit_test(test_rx_malformed),
		cmocka_unit_test(test_rx_flood_domains),
		cmocka_unit_test(test_tx_classify),
		cmocka_unit_test(test_tx_flood),
		cmocka_unit_test(test_rx_policer),
		cmocka_unit_test(test_tx_shaper),
		cmocka_unit_test(test_sharing_defaults),
		cmocka_unit_test(test_admission),
		cmocka_unit_test(test_uplink_set_all_or_nothing),
		cmocka_unit_test(test_rx_queues),
		cmocka_unit_test(test_update_mac),
		cmocka_unit_test(test_update_domain),
		cmocka_unit_test(test_update_local),
		cmocka_unit_test(test_update_rate_mid_run),
		cmocka_unit_test(test_update_failure_changes_nothing),
		cmocka_unit_test(test_del_add_reuses_slot),
		cmocka_unit_test(test_4096_vnics),
		cmocka_unit_test(test_counters_reset),
		cmocka_unit_test(test_rx_dequeue_bulk_is_per_frame),
		cmocka_unit_test(test_l3_guard),
		cmocka_unit_test(test_l3_conf_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
