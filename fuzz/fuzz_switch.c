/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for fn_switch and fn_fib (build and run: fuzz/run.sh).
 *
 * The input is a little program. Its first byte picks one of two machines:
 *
 *  - fib model check (first byte % 4 == 0): a small fn_fib (1..16 entries,
 *    so 16 or 32 slots and long wrapping clusters) against an array model
 *    over a universe of 120 keys (3 uplinks x 5 VLAN codes x 8 MACs) under
 *    add / del / replace / lookup; after every step the return code, the
 *    count, every key's lookup and the probing invariant are compared.
 *
 *  - switch program (otherwise): a switch of 8 vNICs and 2 uplinks with a
 *    clock rate and maximum frame taken from the input; then operations
 *    add / update / delete a vNIC (MACs from a small pool so that clashes
 *    happen; bad MACs, VLANs, uplinks and absurd limits too), frames from
 *    the wire (rx_classify, flood iteration, rx_admit), frames from a guest
 *    (tx_budget, tx_classify, flood, delivery, tx_charge), time jumps and
 *    counter resets. A model kept here (vNIC table, every counter) predicts
 *    each return code, verdict, target, flood membership and counter
 *    exactly. After every operation the switch's structure is checked:
 *    each vNIC in use is found in the fib under its own key; every domain
 *    list is symmetric, acyclic, homogeneous and headed by its fib entry
 *    under the broadcast MAC; fib count == vNICs + non-empty domains; the
 *    fib probing invariant holds; no limiter admitted more than
 *    burst + rate * time since it was (re)configured.
 *
 * A failed check prints what and aborts, which libFuzzer reports as a crash.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_switch.h"

#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #c);                                \
			abort();                                              \
		}                                                             \
	} while (0)
#define CHECK_EQ(a, b)                                                        \
	do {                                                                  \
		long long _a = (long long)(a), _b = (long long)(b);           \
		if (_a != _b) {                                               \
			fprintf(stderr, "%s:%d: check failed: %s == %s (%lld != %lld)\n", \
				__FILE__, __LINE__, #a, #b, _a, _b);          \
			abort();                                              \
		}                                                             \
	} while (0)

/* Build with -DFUZZ_TRACE to print each operation when replaying a crash. */
#ifdef FUZZ_TRACE
#define TRACE(...) fprintf(stderr, __VA_ARGS__)
#else
#define TRACE(...) do { } while (0)
#endif

#define NV   8
#define NU   2
#define NONE FN_VLAN_NONE
#define NOUP FN_UPLINK_NONE
#define NOV  FN_VNIC_NONE
#define BCAST FN_MAC_BCAST
#define MAC(n) (UINT64_C(0x020000000000) | (uint64_t)(n))

/* ---- input reader -------------------------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint8_t
u8(struct rd *r)
{
	if (r->n == 0)
		return 0;
	r->n--;
	return *r->p++;
}
static uint16_t
u16(struct rd *r)
{
	return (uint16_t)(u8(r) | u8(r) << 8);
}
static uint32_t
u32(struct rd *r)
{
	return (uint32_t)u16(r) | (uint32_t)u16(r) << 16;
}
static uint64_t
u64(struct rd *r)
{
	return (uint64_t)u32(r) | (uint64_t)u32(r) << 32;
}

/* ---- fib model check --------------------------------------------------- */

static const uint16_t fib_uplinks[] = { 0, 1, 0xffff };
static const uint16_t fib_vlans[] = { NONE, 0, 1, 4095, 10 };
static const uint64_t fib_macs[] = {
	0, 1, BCAST, MAC(1), MAC(2), UINT64_C(0x800000000000),
	UINT64_C(0x000000010000), UINT64_C(0xfffffffffffe),
};
#define FIB_NK (3 * 5 * 8)

static void
key_of(unsigned k, uint16_t *u, uint16_t *v, uint64_t *m)
{
	*u = fib_uplinks[k % 3];
	*v = fib_vlans[(k / 3) % 5];
	*m = fib_macs[(k / 15) % 8];
}

static void
fib_check(const struct fn_fib *fib)
{
	uint32_t used = 0;
	for (uint32_t j = 0; j <= fib->mask; j++) {
		const struct fn_fib_slot *s = &fib->slots[j];
		if (s->key == 0)
			continue;
		used++;
		for (uint32_t i = fn_fib_hash(s->key, s->uplink) & fib->mask; i != j;
		     i = (i + 1) & fib->mask) {
			CHECK(fib->slots[i].key != 0);
			CHECK(!(fib->slots[i].key == s->key &&
				fib->slots[i].uplink == s->uplink));
		}
	}
	CHECK_EQ(used, fib->count);
	CHECK(fib->count <= fib->max_entries);
}

static void
run_fib(struct rd *r)
{
	uint32_t max = 1 + u8(r) % 16;
	struct fn_fib *fib = fn_fib_create(max);
	CHECK(fib != NULL);
	struct { int present; uint32_t value; } model[FIB_NK] = { { 0, 0 } };
	uint32_t count = 0;
	while (r->n) {
		uint8_t op = u8(r) % 4;
		unsigned k = u8(r) % FIB_NK;
		uint32_t val = u32(r);
		uint16_t u, v;
		uint64_t m;
		key_of(k, &u, &v, &m);
		int rc, want;
		switch (op) {
		case 0:
			rc = fn_fib_add(fib, u, v, m, val);
			want = model[k].present ? -EEXIST : count == max ? -ENOSPC : 0;
			if (want == 0) {
				model[k].present = 1;
				model[k].value = val;
				count++;
			}
			break;
		case 1:
			rc = fn_fib_del(fib, u, v, m);
			want = model[k].present ? 0 : -ENOENT;
			if (want == 0) {
				model[k].present = 0;
				count--;
			}
			break;
		case 2:
			rc = fn_fib_replace(fib, u, v, m, val);
			want = model[k].present ? 0 : -ENOENT;
			if (want == 0)
				model[k].value = val;
			break;
		default:
			rc = 0;
			want = 0;
			break;
		}
		CHECK_EQ(rc, want);
		CHECK_EQ(fib->count, count);
		fib_check(fib);
		for (unsigned i = 0; i < FIB_NK; i++) {
			key_of(i, &u, &v, &m);
			CHECK_EQ(fn_fib_lookup(fib, u, v, m),
				 model[i].present ? model[i].value : FN_FIB_MISS);
		}
	}
	fn_fib_free(fib);
}

/* ---- switch program -------------------------------------------------------- */

struct mvnic {
	bool in_use, local;
	uint64_t mac;
	uint16_t uplink, vlan;
	struct fn_vnic_conf conf;   /* resolved by the model */
	/* since the last (re)configuration */
	uint64_t t_cfg;
	uint64_t rx_pkts, rx_bytes, tx_pkts, tx_bytes, tx_last_bytes;
};

struct prog {
	struct fn_switch *sw;
	uint64_t hz, now;
	uint32_t max_frame;
	struct mvnic m[NV];
	uint64_t vctr[NV][FN_VC_MAX];
	uint64_t uctr[NU][FN_UC_MAX];
	uint8_t frame[9100 + 64];
};

static const uint64_t rates[] = {
	0, 1, 3, 1000, 24000, 1000000, 100000000, 10000000000,
	(UINT64_C(1) << 62) - 1, UINT64_C(1) << 62,
};

static uint64_t
pick_rate(struct rd *r)
{
	uint8_t b = u8(r);
	if (b < 128)
		return 0;
	b %= 12;
	return b < 10 ? rates[b] : b == 10 ? u64(r) : u32(r);
}

static uint64_t
pick_burst(const struct prog *p, struct rd *r)
{
	uint8_t b = u8(r) % 14;
	static const uint64_t t[] = {
		0, 0, 0, 1, 31, 100, 1000000, (UINT64_C(1) << 61) - 1,
		UINT64_C(1) << 61, (UINT64_C(1) << 61) + 1, UINT64_MAX,
	};
	if (b < 11)
		return t[b];
	if (b == 11)
		return p->max_frame + FN_VLAN_HLEN - 1 + (u8(r) & 1);
	return b == 12 ? u64(r) : u16(r);
}

static uint64_t
pool_mac(struct rd *r)
{
	static const uint64_t pool[] = {
		MAC(1), MAC(2), MAC(3), MAC(4), MAC(1) | UINT64_C(0x0a0000000000),
		0, UINT64_C(0x01005e000001), BCAST, (UINT64_C(1) << 48) | 2,
	};
	uint8_t b = u8(r) % 10;
	return b < 9 ? pool[b] : u64(r);
}

static void
gen_conf(struct prog *p, struct rd *r, struct fn_vnic_conf *c)
{
	static const uint16_t uplinks[] = { 0, 1, NOUP, 2 };
	static const uint16_t vlans[] = { NONE, NONE, 1, 10, 4094, 0, 4095, 5000 };
	memset(c, 0, sizeof(*c));
	c->mac = pool_mac(r);
	c->uplink = uplinks[u8(r) % 4];
	c->vlan = vlans[u8(r) % 8];
	c->local = u8(r) & 1;
	c->rx_rate = pick_rate(r);
	c->rx_burst = pick_burst(p, r);
	c->rx_pps = pick_rate(r);
	c->rx_pps_burst = pick_burst(p, r);
	c->tx_rate = pick_rate(r);
	c->tx_burst = pick_burst(p, r);
	c->tx_pps = pick_rate(r);
	c->tx_pps_burst = pick_burst(p, r);
}

/* The model's conf_check, written from fn_switch.h's documentation. */
static int
model_conf(const struct prog *p, struct fn_vnic_conf *c)
{
	if (c->mac == 0 || c->mac > BCAST || (c->mac & FN_MAC_GROUP_BIT))
		return -EINVAL;
	if (c->vlan != NONE && (c->vlan < 1 || c->vlan > 4094))
		return -EINVAL;
	if (c->uplink != NOUP && c->uplink >= NU)
		return -EINVAL;
	uint64_t two = 2 * (uint64_t)(p->max_frame + FN_VLAN_HLEN);
	if (!c->rx_burst)
		c->rx_burst = c->rx_rate / 800 > two ? c->rx_rate / 800 : two;
	if (!c->tx_burst)
		c->tx_burst = c->tx_rate / 800 > two ? c->tx_rate / 800 : two;
	if (!c->rx_pps_burst)
		c->rx_pps_burst = c->rx_pps / 100 > 32 ? c->rx_pps / 100 : 32;
	if (!c->tx_pps_burst)
		c->tx_pps_burst = c->tx_pps / 100 > 32 ? c->tx_pps / 100 : 32;
	if (c->rx_rate && c->rx_burst < p->max_frame + FN_VLAN_HLEN)
		return -EINVAL;
	/* exact accounting: burst (in units) < 2^62 / hz, rate < 2^62 */
	const unsigned __int128 lim = (unsigned __int128)1 << 62;
	struct { uint64_t rate; unsigned __int128 burst; } b[] = {
		{ c->rx_rate, (unsigned __int128)c->rx_burst * 8 },
		{ c->rx_pps, c->rx_pps_burst },
		{ c->tx_rate, (unsigned __int128)c->tx_burst * 8 },
		{ c->tx_pps, c->tx_pps_burst },
	};
	for (int i = 0; i < 4; i++)
		if (b[i].rate && (b[i].rate >= lim || b[i].burst >= lim / p->hz))
			return -ERANGE;
	return 0;
}

static int
model_find(const struct prog *p, uint16_t uplink, uint16_t vlan, uint64_t mac)
{
	for (int i = 0; i < NV; i++)
		if (p->m[i].in_use && p->m[i].uplink == uplink && p->m[i].vlan == vlan &&
		    p->m[i].mac == mac)
			return i;
	return -1;
}

static void
model_set(struct prog *p, uint32_t id, const struct fn_vnic_conf *c)
{
	struct mvnic *m = &p->m[id];
	m->in_use = true;
	m->mac = c->mac;
	m->uplink = c->uplink;
	m->vlan = c->vlan;
	m->local = c->local;
	m->conf = *c;
	m->t_cfg = p->now;
	m->rx_pkts = m->rx_bytes = m->tx_pkts = m->tx_bytes = m->tx_last_bytes = 0;
}

/* What a failed add or update must leave as it was. */
struct snap {
	struct fn_vnic v[NV];
	struct fn_fib_slot slots[64];
	uint32_t fib_count, n_vnics;
};

static void
snap_take(const struct prog *p, struct snap *s)
{
	CHECK(p->sw->fib->mask < 64);
	memcpy(s->v, p->sw->vnics, sizeof(s->v));
	memcpy(s->slots, p->sw->fib->slots, (p->sw->fib->mask + 1) * sizeof(s->slots[0]));
	s->fib_count = p->sw->fib->count;
	s->n_vnics = p->sw->n_vnics;
}

static void
snap_same(const struct prog *p, const struct snap *s)
{
	const struct fn_switch *sw = p->sw;
	for (int i = 0; i < NV; i++) {
		const struct fn_vnic *a = &sw->vnics[i], *b = &s->v[i];
		CHECK_EQ(a->in_use, b->in_use);
		if (!a->in_use)
			continue;
		CHECK_EQ(a->mac, b->mac);
		CHECK_EQ(a->uplink, b->uplink);
		CHECK_EQ(a->vlan, b->vlan);
		CHECK_EQ(a->local, b->local);
		CHECK_EQ(a->dom_next, b->dom_next);   /* flood order too */
		CHECK_EQ(a->dom_prev, b->dom_prev);
		CHECK(memcmp(&a->rx_bits, &b->rx_bits, sizeof(a->rx_bits)) == 0);
		CHECK(memcmp(&a->rx_pkts, &b->rx_pkts, sizeof(a->rx_pkts)) == 0);
		CHECK(memcmp(&a->tx_bits, &b->tx_bits, sizeof(a->tx_bits)) == 0);
		CHECK(memcmp(&a->tx_pkts, &b->tx_pkts, sizeof(a->tx_pkts)) == 0);
		CHECK(memcmp(a->ctr, b->ctr, sizeof(a->ctr)) == 0);
		CHECK_EQ(a->conf.rx_pps, b->conf.rx_pps);
		CHECK_EQ(a->conf.tx_burst, b->conf.tx_burst);
		CHECK_EQ(a->lim.rx_bits.max_tokens, b->lim.rx_bits.max_tokens);
		CHECK_EQ(a->lim.tx_pkts.rate, b->lim.tx_pkts.rate);
	}
	CHECK(memcmp(s->slots, sw->fib->slots,
		     (sw->fib->mask + 1) * sizeof(s->slots[0])) == 0);
	CHECK_EQ(sw->fib->count, s->fib_count);
	CHECK_EQ(sw->n_vnics, s->n_vnics);
}

static void
op_add(struct prog *p, struct rd *r)
{
	struct fn_vnic_conf c, mc;
	gen_conf(p, r, &c);
	mc = c;
	int want = model_conf(p, &mc);
	int slot = -1;
	for (int i = 0; i < NV && slot < 0; i++)
		if (!p->m[i].in_use)
			slot = i;
	if (want == 0 && slot < 0)
		want = -ENOSPC;
	if (want == 0 && model_find(p, mc.uplink, mc.vlan, mc.mac) >= 0)
		want = -EEXIST;
	uint32_t id = 0xdead;
	struct snap before;
	snap_take(p, &before);
	int rc = fn_switch_vnic_add(p->sw, &c, p->now, &id);
	TRACE("add mac %012llx uplink %u vlan %u local %d rx %llu/%llu pps %llu/%llu tx %llu/%llu pps %llu/%llu -> %d id %u\n",
	      (unsigned long long)c.mac, c.uplink, c.vlan, c.local,
	      (unsigned long long)c.rx_rate, (unsigned long long)c.rx_burst,
	      (unsigned long long)c.rx_pps, (unsigned long long)c.rx_pps_burst,
	      (unsigned long long)c.tx_rate, (unsigned long long)c.tx_burst,
	      (unsigned long long)c.tx_pps, (unsigned long long)c.tx_pps_burst, rc, id);
	CHECK_EQ(rc, want);
	if (rc) {
		CHECK_EQ(id, 0xdead);
		snap_same(p, &before);
		return;
	}
	CHECK_EQ(id, slot);
	/* bursts resolved as documented */
	CHECK_EQ(c.rx_burst, mc.rx_burst);
	CHECK_EQ(c.rx_pps_burst, mc.rx_pps_burst);
	CHECK_EQ(c.tx_burst, mc.tx_burst);
	CHECK_EQ(c.tx_pps_burst, mc.tx_pps_burst);
	model_set(p, id, &mc);
	memset(p->vctr[id], 0, sizeof(p->vctr[id]));
}

static void
op_update(struct prog *p, struct rd *r)
{
	uint32_t id = u8(r) % (NV + 1);
	struct fn_vnic_conf c, mc;
	gen_conf(p, r, &c);
	/* often keep the address and change the rest, or the reverse */
	if (id < NV && p->m[id].in_use) {
		uint8_t b = u8(r) % 4;
		if (b == 0) {
			c.mac = p->m[id].mac;
			c.uplink = p->m[id].uplink;
			c.vlan = p->m[id].vlan;
		} else if (b == 1) {
			struct fn_vnic_conf keep = p->m[id].conf;
			keep.mac = c.mac;
			keep.uplink = c.uplink;
			keep.vlan = c.vlan;
			c = keep;
		}
	}
	mc = c;
	int want;
	if (id >= NV || !p->m[id].in_use) {
		want = -ENOENT;
	} else {
		want = model_conf(p, &mc);
		const struct mvnic *m = &p->m[id];
		if (want == 0 && (mc.mac != m->mac || mc.uplink != m->uplink ||
				  mc.vlan != m->vlan) &&
		    model_find(p, mc.uplink, mc.vlan, mc.mac) >= 0)
			want = -EEXIST;
	}
	struct snap before;
	snap_take(p, &before);
	int rc = fn_switch_vnic_update(p->sw, id, &c, p->now);
	TRACE("update %u mac %012llx uplink %u vlan %u local %d -> %d\n", id,
	      (unsigned long long)c.mac, c.uplink, c.vlan, c.local, rc);
	CHECK_EQ(rc, want);
	if (rc == 0)
		model_set(p, id, &mc);
	else
		snap_same(p, &before);
}

static void
op_del(struct prog *p, struct rd *r)
{
	uint32_t id = u8(r) % (NV + 1);
	bool ok = id < NV && p->m[id].in_use;
	TRACE("del %u\n", id);
	CHECK_EQ(fn_switch_vnic_del(p->sw, id), ok ? 0 : -ENOENT);
	if (ok)
		p->m[id].in_use = false;
}

/* Build a frame in p->frame; returns its length. */
static uint32_t
gen_frame(struct prog *p, struct rd *r, int from)
{
	uint32_t mf = p->max_frame, len;
	uint8_t b = u8(r);
	switch (b % 12) {
	case 0: len = b / 12 % 20; break;             /* 0..19: runts, short tags */
	case 1: len = mf - 1; break;
	case 2: len = mf; break;
	case 3: len = mf + 1; break;
	case 4: len = mf + 3; break;
	case 5: len = mf + 4; break;
	case 6: len = mf + 5; break;
	case 7: len = u16(r) % (mf + 64); break;
	default: len = 60 + b % 40; break;
	}
	uint8_t *d = p->frame;
	CHECK(len <= sizeof(p->frame));
	memset(d, 0, len < 64 ? 64 : len);
	if (u8(r) % 16 == 0) {                        /* raw bytes from the input */
		for (uint32_t i = 0; i < len && r->n; i++)
			d[i] = u8(r);
		return len;
	}
	/* destination */
	uint64_t dst;
	uint8_t k = u8(r);
	switch (k % 6) {
	case 0: case 1: dst = p->m[k / 6 % NV].mac; break;
	case 2: dst = BCAST; break;
	case 3: dst = UINT64_C(0x333300000001) ^ (k & 0x10); break;  /* multicast */
	case 4: dst = pool_mac(r); break;
	default: dst = u64(r); break;
	}
	/* source: the guest's own MAC mostly */
	uint64_t src = from >= 0 && u8(r) % 8 ? p->m[from].mac : pool_mac(r);
	fn_mac_store(d, dst & BCAST);
	fn_mac_store(d + 6, src & BCAST);
	/* tag */
	k = u8(r);
	int tag = from >= 0 ? k % 8 == 0 : k % 4 != 0;
	if (tag) {
		uint16_t vid;
		switch (k / 8 % 6) {
		case 0: vid = 0; break;
		case 1: vid = 4095; break;
		case 2: vid = u16(r); break;       /* PCP/DEI bits too */
		default: vid = p->m[k / 48 % NV].vlan; break;
		}
		d[12] = 0x81, d[13] = 0x00;
		d[14] = (uint8_t)(vid >> 8), d[15] = (uint8_t)vid;
		d[16] = 0x08, d[17] = 0x00;
	} else {
		uint16_t type = k % 16 == 1 ? 0x88a8 : 0x0800;   /* QinQ outer: not a tag */
		d[12] = (uint8_t)(type >> 8), d[13] = (uint8_t)type;
	}
	return len;
}

/* The model's header parse. @return false if malformed. */
static bool
model_parse(const struct prog *p, const uint8_t *d, uint32_t len, uint64_t *dst,
	    uint64_t *src, uint16_t *vid, bool *tagged)
{
	if (len < 14)
		return false;
	*tagged = d[12] == 0x81 && d[13] == 0x00;
	if (*tagged && len < 18)
		return false;
	if (len > p->max_frame + (*tagged ? 4 : 0))
		return false;
	*dst = fn_mac_load(d);
	*src = fn_mac_load(d + 6);
	*vid = *tagged ? (uint16_t)((d[14] << 8 | d[15]) & 0xfff) : NONE;
	return true;
}

/* Flood members as the switch lists them must be exactly `want` (a bit
 * set over the vNIC slots), each once. */
static void
check_flood(const struct prog *p, uint32_t head, uint32_t from, uint32_t want,
	    uint32_t *order, uint32_t *n)
{
	uint32_t got = 0;
	*n = 0;
	for (uint32_t m = fn_switch_flood_first(p->sw, head, from); m != NOV;
	     m = fn_switch_flood_next(p->sw, m, from)) {
		CHECK(m < NV);
		CHECK(!(got & 1u << m));
		got |= 1u << m;
		order[(*n)++] = m;
	}
	CHECK_EQ(got, want);
}

static uint32_t
domain_set(const struct prog *p, uint16_t uplink, uint16_t vlan)
{
	uint32_t s = 0;
	for (int i = 0; i < NV; i++)
		if (p->m[i].in_use && p->m[i].uplink == uplink && p->m[i].vlan == vlan)
			s |= 1u << i;
	return s;
}

/* Deliver to vNIC `id`: rx_admit, with the counter the model expects. */
static void
deliver(struct prog *p, uint32_t id, uint32_t len)
{
	bool ok = fn_switch_rx_admit(p->sw, id, len, p->now);
	TRACE("  admit %u len %u at %llu -> %d\n", id, len, (unsigned long long)p->now, ok);
	const struct fn_vnic_conf *c = &p->m[id].conf;
	if (!c->rx_rate && !c->rx_pps)
		CHECK(ok);
	if (!ok) {
		p->vctr[id][FN_VC_rx_drop_rate]++;
		return;
	}
	p->m[id].rx_pkts++;
	p->m[id].rx_bytes += len;
}

static void
op_rx(struct prog *p, struct rd *r)
{
	uint16_t u = u8(r) % NU;
	uint32_t len = gen_frame(p, r, -1);
	uint64_t dst, src;
	uint16_t vid;
	bool tagged;
	uint32_t target = 0xdead;
	bool strip = false;
	enum fn_verdict vd = fn_switch_rx_classify(p->sw, u, p->frame, len, &target, &strip);
	TRACE("rx uplink %u len %u dst %012llx type %02x%02x -> %d target %u\n", u, len,
	      (unsigned long long)fn_mac_load(p->frame), p->frame[12], p->frame[13], vd, target);

	p->uctr[u][FN_UC_rx_packets]++;
	p->uctr[u][FN_UC_rx_bytes] += len;
	if (!model_parse(p, p->frame, len, &dst, &src, &vid, &tagged)) {
		CHECK_EQ(vd, FN_DROP);
		p->uctr[u][FN_UC_rx_drop_malformed]++;
		return;
	}
	if (vid == 0)
		vid = NONE;
	if (dst & FN_MAC_GROUP_BIT) {
		uint32_t want = vid == 4095 ? 0 : domain_set(p, u, vid);
		if (want == 0) {
			CHECK_EQ(vd, FN_DROP);
			p->uctr[u][FN_UC_rx_drop_no_vnic]++;
			return;
		}
		CHECK_EQ(vd, FN_FLOOD);
		CHECK_EQ(strip, tagged);
		uint32_t order[NV], n;
		check_flood(p, target, NOV, want, order, &n);
		for (uint32_t i = 0; i < n; i++)
			deliver(p, order[i], len);
		return;
	}
	int id = vid == 4095 ? -1 : model_find(p, u, vid, dst);
	if (id < 0) {
		CHECK_EQ(vd, FN_DROP);
		p->uctr[u][FN_UC_rx_drop_no_vnic]++;
		return;
	}
	CHECK_EQ(vd, FN_TO_VNIC);
	CHECK_EQ(target, id);
	CHECK_EQ(strip, tagged);
	deliver(p, (uint32_t)id, len);
}

static void
op_tx(struct prog *p, struct rd *r)
{
	uint32_t id = u8(r) % NV;
	if (!p->m[id].in_use)
		return;
	struct mvnic *m = &p->m[id];
	uint32_t max = 1 + u8(r) % 64;
	uint32_t budget = fn_switch_tx_budget(p->sw, id, p->now, max);
	CHECK(budget <= max);
	if (!m->conf.tx_rate && !m->conf.tx_pps)
		CHECK_EQ(budget, max);
	uint32_t take = budget ? 1 + u8(r) % budget : 0;
	if (take > 4)
		take = 4 + take % 4;   /* keep programs short: a few frames */
	uint64_t bytes = 0;
	for (uint32_t f = 0; f < take; f++) {
		uint32_t len = gen_frame(p, r, (int)id);
		bytes += len;
		uint32_t target = 0xdead;
		enum fn_verdict vd = fn_switch_tx_classify(p->sw, id, p->frame, len, &target);
		TRACE("tx from %u len %u dst %012llx src %012llx type %02x%02x -> %d target %u\n",
		      id, len, (unsigned long long)fn_mac_load(p->frame),
		      (unsigned long long)fn_mac_load(p->frame + 6), p->frame[12], p->frame[13],
		      vd, target);
		uint64_t dst, src;
		uint16_t vid;
		bool tagged;
		uint64_t *ctr = p->vctr[id];
		if (!model_parse(p, p->frame, len, &dst, &src, &vid, &tagged)) {
			CHECK_EQ(vd, FN_DROP);
			ctr[FN_VC_tx_drop_malformed]++;
			continue;
		}
		if (src != m->mac || tagged) {
			CHECK_EQ(vd, FN_DROP);
			ctr[FN_VC_tx_drop_spoof]++;
			continue;
		}
		if (dst & FN_MAC_GROUP_BIT) {
			CHECK_EQ(vd, FN_FLOOD);
			uint32_t want = m->local ? domain_set(p, m->uplink, m->vlan) &
						   ~(1u << id) : 0;
			for (int i = 0; i < NV; i++)
				if (!p->m[i].local)
					want &= ~(1u << i);
			uint32_t order[NV], n;
			check_flood(p, target, id, want, order, &n);
			for (uint32_t i = 0; i < n; i++)
				deliver(p, order[i], len);
			continue;
		}
		int peer = model_find(p, m->uplink, m->vlan, dst);
		if (peer >= 0) {
			if (peer == id || !m->local || !p->m[peer].local) {
				CHECK_EQ(vd, FN_DROP);
				ctr[FN_VC_tx_drop_local_denied]++;
			} else {
				CHECK_EQ(vd, FN_TO_VNIC);
				CHECK_EQ(target, peer);
				deliver(p, (uint32_t)peer, len);
			}
			continue;
		}
		if (m->uplink == NOUP) {
			CHECK_EQ(vd, FN_DROP);
			ctr[FN_VC_tx_drop_no_uplink]++;
			continue;
		}
		CHECK_EQ(vd, FN_TO_UPLINK);
	}
	fn_switch_tx_charge(p->sw, id, take, bytes);
	m->tx_pkts += take;
	m->tx_bytes += bytes;
	if (take)
		m->tx_last_bytes = bytes;
}

static void
op_reset(struct prog *p, struct rd *r)
{
	uint8_t b = u8(r) % (NV + 2);
	uint32_t id = b < NV ? b : b == NV ? NOV : 1000;
	fn_switch_counters_reset(p->sw, id);
	TRACE("reset %u\n", id);
	if (id == NOV) {
		memset(p->vctr, 0, sizeof(p->vctr));
		memset(p->uctr, 0, sizeof(p->uctr));
	} else if (id < NV) {
		memset(p->vctr[id], 0, sizeof(p->vctr[id]));
	}
}

/* Everything the model can see, and the structure of the switch. */
static void
check_all(const struct prog *p)
{
	const struct fn_switch *sw = p->sw;
	uint32_t in_use = 0, heads = 0;
	for (uint32_t i = 0; i < NV; i++) {
		const struct fn_vnic *v = &sw->vnics[i];
		const struct mvnic *m = &p->m[i];
		CHECK_EQ(v->in_use, m->in_use);
		if (!v->in_use)
			continue;   /* a free slot's counters are nobody's */
		for (int c = 0; c < FN_VC_MAX; c++)
			CHECK_EQ(v->ctr[c], p->vctr[i][c]);
		in_use++;
		CHECK_EQ(v->mac, m->mac);
		CHECK_EQ(v->uplink, m->uplink);
		CHECK_EQ(v->vlan, m->vlan);
		CHECK_EQ(v->local, m->local);
		CHECK_EQ(fn_fib_lookup(sw->fib, v->uplink, v->vlan, v->mac), i);
		uint32_t head = fn_fib_lookup(sw->fib, v->uplink, v->vlan, BCAST);
		CHECK(head < NV);
		CHECK_EQ(sw->vnics[head].dom_prev, NOV);
		if (v->dom_prev == NOV) {
			CHECK_EQ(head, i);
			heads++;
		}
		uint32_t steps = 0, prev = NOV, seen = 0;
		for (uint32_t x = head; x != NOV; prev = x, x = sw->vnics[x].dom_next) {
			CHECK(++steps <= NV);
			CHECK(x < NV);
			CHECK(sw->vnics[x].in_use);
			CHECK_EQ(sw->vnics[x].uplink, v->uplink);
			CHECK_EQ(sw->vnics[x].vlan, v->vlan);
			CHECK_EQ(sw->vnics[x].dom_prev, prev);
			seen |= 1u << x;
		}
		CHECK_EQ(seen, domain_set(p, v->uplink, v->vlan));

		/* Limiters: tokens within bounds, and never more admitted since
		 * the last (re)configuration than burst + rate * elapsed. */
		const struct fn_vnic_conf *c = &m->conf;
		__int128 dt = (__int128)(p->now - m->t_cfg), hz = (__int128)p->hz;
		CHECK(v->rx_bits.tokens <= v->lim.rx_bits.max_tokens);
		CHECK(v->rx_pkts.tokens <= v->lim.rx_pkts.max_tokens);
		CHECK(v->tx_bits.tokens <= v->lim.tx_bits.max_tokens);
		CHECK(v->tx_pkts.tokens <= v->lim.tx_pkts.max_tokens);
		CHECK(v->rx_bits.tokens >= 0 && v->rx_pkts.tokens >= 0);
		if (c->rx_pps)
			CHECK((__int128)m->rx_pkts * hz <=
			      (__int128)c->rx_pps_burst * hz + (__int128)c->rx_pps * dt);
		if (c->rx_rate)
			CHECK((__int128)m->rx_bytes * 8 * hz <=
			      (__int128)c->rx_burst * 8 * hz + (__int128)c->rx_rate * dt);
		if (c->tx_pps)
			CHECK((__int128)m->tx_pkts * hz <
			      (__int128)c->tx_pps_burst * hz + (__int128)c->tx_pps * dt + hz);
		if (c->tx_rate)
			CHECK((__int128)(m->tx_bytes - m->tx_last_bytes) * 8 * hz <
			      (__int128)c->tx_burst * 8 * hz + (__int128)c->tx_rate * dt + 1);
	}
	CHECK_EQ(sw->n_vnics, in_use);
	CHECK_EQ(sw->fib->count, in_use + heads);
	fib_check(sw->fib);
	for (int u = 0; u < NU; u++)
		for (int c = 0; c < FN_UC_MAX; c++)
			CHECK_EQ(sw->uplink_ctr[u][c], p->uctr[u][c]);
}

static void
run_switch(struct rd *r)
{
	static const uint64_t hzs[] = { 1000, 1000000, 1000000000, 2400000000,
					3000000000 };
	static const uint32_t frames[] = { 60, 1514, 9000 };
	static struct prog p;
	memset(&p, 0, sizeof(p));
	uint8_t b = u8(r);
	p.hz = hzs[b % 5];
	p.max_frame = frames[b / 5 % 3];
	p.sw = fn_switch_create(NV, NU, p.hz, p.max_frame);
	CHECK(p.sw != NULL);
	p.now = u32(r);
	while (r->n) {
		uint8_t op = u8(r);
		switch (op % 16) {
		case 0: case 1: op_add(&p, r); break;
		case 2: op_update(&p, r); break;
		case 3: op_del(&p, r); break;
		case 4: case 5: case 6: case 7: op_rx(&p, r); break;
		case 8: case 9: case 10: op_tx(&p, r); break;
		case 11: op_reset(&p, r); break;
		case 12:      /* a jump: up to about 2^47 cycles */
			p.now += (uint64_t)u16(r) << (u8(r) % 32);
			break;
		default:      /* a step of a few cycles to a few periods */
			p.now += (uint64_t)u8(r) * (op / 16 + 1) * (p.hz / 1000 + 1);
			break;
		}
		check_all(&p);
	}
	fn_switch_free(p.sw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = { data, size };
	if (size == 0)
		return 0;
	if (u8(&r) % 4 == 0)
		run_fib(&r);
	else
		run_switch(&r);
	return 0;
}
