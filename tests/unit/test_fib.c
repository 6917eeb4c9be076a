/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for fn_fib, the exact-match forwarding table.
 *
 * Besides the API results, every test checks the table's structural
 * invariant after it mutates it (fib_check): each stored key can be reached
 * from its home slot without crossing an empty slot, no key is stored
 * twice, and `count` is the number of occupied slots. Backward-shift
 * deletion is the delicate part, so it is exercised with hand-made
 * collision clusters that wrap around the end of a small table, in every
 * insertion and deletion order, and by a long random churn against a
 * trivial array model.
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

#include "fn_eth.h"
#include "fn_fib.h"

/* ---- helpers ------------------------------------------------------------ */

/* splitmix64: deterministic, seedable, good enough for test data. */
static uint64_t rng_state;
static uint64_t
rnd(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}
static uint32_t
rnd_below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}
/* A random unicast MAC (group bit clear). */
static uint64_t
rnd_mac(void)
{
	return rnd() & FN_MAC_BCAST & ~FN_MAC_GROUP_BIT;
}

static uint32_t
home_of(const struct fn_fib *fib, const struct fn_fib_slot *s)
{
	return fn_fib_hash(s->key, s->uplink) & fib->mask;
}

/* The structural invariant of linear probing without tombstones. */
static void
fib_check(const struct fn_fib *fib)
{
	uint32_t n = fib->mask + 1, used = 0;
	for (uint32_t j = 0; j < n; j++) {
		const struct fn_fib_slot *s = &fib->slots[j];
		if (s->key == 0)
			continue;
		used++;
		for (uint32_t i = home_of(fib, s); i != j; i = (i + 1) & fib->mask) {
			/* a hole between home and slot: lookups would miss it */
			assert_int_not_equal(fib->slots[i].key, 0);
			/* the same key twice: the earlier copy shadows this one */
			assert_false(fib->slots[i].key == s->key &&
				     fib->slots[i].uplink == s->uplink);
		}
	}
	assert_int_equal(used, fib->count);
	assert_true(fib->count <= fib->max_entries);
}

/* ---- basic API ------------------------------------------------------------ */

static void
test_create_bounds(void **state)
{
	(void)state;
	assert_null(fn_fib_create(0));
	assert_null(fn_fib_create((UINT32_C(1) << 29) + 1));
	static const struct { uint32_t max, slots; } t[] = {
		{ 1, 16 }, { 8, 16 }, { 9, 32 }, { 16, 32 }, { 17, 64 },
		{ 4096, 8192 }, { 4097, 16384 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct fn_fib *fib = fn_fib_create(t[i].max);
		assert_non_null(fib);
		assert_int_equal(fib->mask + 1, t[i].slots);
		assert_int_equal(fib->max_entries, t[i].max);
		assert_int_equal(fib->count, 0);
		fn_fib_free(fib);
	}
	fn_fib_free(NULL);
}

/* One step of a scripted scenario: operation, key, value, expected result. */
enum op { ADD, DEL, REPL, LOOK };
struct step {
	enum op op;
	uint16_t uplink, vlan;
	uint64_t mac;
	uint32_t value;   /* ADD/REPL: value to store; LOOK: expected value */
	int rc;           /* ADD/DEL/REPL: expected return code */
	uint32_t count;   /* expected count after the step */
};

static void
run_steps(struct fn_fib *fib, const struct step *s, size_t n)
{
	for (size_t i = 0; i < n; i++, s++) {
		int rc = 0;
		switch (s->op) {
		case ADD:
			rc = fn_fib_add(fib, s->uplink, s->vlan, s->mac, s->value);
			break;
		case DEL:
			rc = fn_fib_del(fib, s->uplink, s->vlan, s->mac);
			break;
		case REPL:
			rc = fn_fib_replace(fib, s->uplink, s->vlan, s->mac, s->value);
			break;
		case LOOK:
			assert_int_equal(fn_fib_lookup(fib, s->uplink, s->vlan, s->mac),
					 s->value);
			break;
		}
		if (rc != s->rc)
			fail_msg("step %zu: rc %d, expected %d", i, rc, s->rc);
		if (fib->count != s->count)
			fail_msg("step %zu: count %u, expected %u", i, fib->count, s->count);
		fib_check(fib);
	}
}

#define M1 UINT64_C(0x020000000001)
#define M2 UINT64_C(0x020000000002)
#define MISS FN_FIB_MISS
#define NONE FN_VLAN_NONE

static void
test_add_lookup_del_replace(void **state)
{
	(void)state;
	static const struct step s[] = {
		{ LOOK, 0, NONE, M1, MISS,        0,       0 },
		{ DEL,  0, NONE, M1, 0,           -ENOENT, 0 },
		{ REPL, 0, NONE, M1, 5,           -ENOENT, 0 },
		{ ADD,  0, NONE, M1, 7,           0,       1 },
		{ LOOK, 0, NONE, M1, 7,           0,       1 },
		{ LOOK, 0, NONE, M2, MISS,        0,       1 },
		{ ADD,  0, NONE, M1, 8,           -EEXIST, 1 },
		{ LOOK, 0, NONE, M1, 7,           0,       1 },   /* EEXIST kept the value */
		{ REPL, 0, NONE, M1, 9,           0,       1 },
		{ LOOK, 0, NONE, M1, 9,           0,       1 },
		{ ADD,  0, NONE, M2, 0,           0,       2 },   /* value 0 is a value */
		{ LOOK, 0, NONE, M2, 0,           0,       2 },
		{ DEL,  0, NONE, M1, 0,           0,       1 },
		{ LOOK, 0, NONE, M1, MISS,        0,       1 },
		{ DEL,  0, NONE, M1, 0,           -ENOENT, 1 },
		{ LOOK, 0, NONE, M2, 0,           0,       1 },
		{ ADD,  0, NONE, M1, 3,           0,       2 },   /* re-add after delete */
		{ LOOK, 0, NONE, M1, 3,           0,       2 },
		{ ADD,  0, NONE, FN_MAC_BCAST, 4, 0,       3 },   /* broadcast is a key too */
		{ LOOK, 0, NONE, FN_MAC_BCAST, 4, 0,       3 },
		{ ADD,  0, NONE, 0, 0xfffffffe,   0,       4 },   /* MAC 0 is storable */
		{ LOOK, 0, NONE, 0, 0xfffffffe,   0,       4 },
		{ DEL,  0, NONE, 0, 0,            0,       3 },
		{ DEL,  0, NONE, FN_MAC_BCAST, 0, 0,       2 },
		{ DEL,  0, NONE, M2, 0,           0,       1 },
		{ DEL,  0, NONE, M1, 0,           0,       0 },
	};
	struct fn_fib *fib = fn_fib_create(16);
	run_steps(fib, s, sizeof(s) / sizeof(s[0]));
	fn_fib_free(fib);
}

/* The key is (uplink, VLAN, MAC): the same MAC in another VLAN or on another
 * uplink is another entry. Untagged (0xffff), VLAN 4095 and VLAN 0 are three
 * different keys, none aliasing another. */
static void
test_keys_distinct(void **state)
{
	(void)state;
	static const uint16_t uplinks[] = { 0, 1, 7, 0xfffe, 0xffff };
	static const uint16_t vlans[] = { NONE, 4095, 0, 1, 10, 4094 };
	static const uint64_t macs[] = { M1, M2, FN_MAC_BCAST };
	const size_t nu = 5, nv = 6, nm = 3;
	struct fn_fib *fib = fn_fib_create(nu * nv * nm);

	/* Keys of different VLAN codes differ and are never 0 (the empty slot). */
	for (size_t a = 0; a < nv; a++) {
		assert_int_not_equal(fn_fib_key(vlans[a], 0), 0);
		for (size_t b = a + 1; b < nv; b++)
			assert_int_not_equal(fn_fib_key(vlans[a], M1),
					     fn_fib_key(vlans[b], M1));
	}
	uint32_t v = 0;
	for (size_t u = 0; u < nu; u++)
		for (size_t l = 0; l < nv; l++)
			for (size_t m = 0; m < nm; m++) {
				/* before adding, the key is unknown */
				assert_int_equal(fn_fib_lookup(fib, uplinks[u], vlans[l], macs[m]),
						 MISS);
				assert_int_equal(fn_fib_add(fib, uplinks[u], vlans[l],
							    macs[m], v++), 0);
			}
	fib_check(fib);
	assert_int_equal(fib->count, nu * nv * nm);
	v = 0;
	for (size_t u = 0; u < nu; u++)
		for (size_t l = 0; l < nv; l++)
			for (size_t m = 0; m < nm; m++)
				assert_int_equal(fn_fib_lookup(fib, uplinks[u], vlans[l], macs[m]),
						 v++);
	/* Deleting one of them leaves every sibling in place. */
	assert_int_equal(fn_fib_del(fib, 1, 4095, M1), 0);
	assert_int_equal(fn_fib_lookup(fib, 1, 4095, M1), MISS);
	assert_int_equal(fn_fib_del(fib, 1, 4095, M1), -ENOENT);
	v = 0;
	for (size_t u = 0; u < nu; u++)
		for (size_t l = 0; l < nv; l++)
			for (size_t m = 0; m < nm; m++, v++)
				if (!(uplinks[u] == 1 && vlans[l] == 4095 && macs[m] == M1))
					assert_int_equal(fn_fib_lookup(fib, uplinks[u], vlans[l],
								       macs[m]), v);
	fib_check(fib);
	fn_fib_free(fib);
}

static void
test_full(void **state)
{
	(void)state;
	struct fn_fib *fib = fn_fib_create(5);
	for (uint32_t i = 0; i < 5; i++)
		assert_int_equal(fn_fib_add(fib, 0, NONE, M1 + i, i), 0);
	assert_int_equal(fn_fib_add(fib, 0, NONE, M1 + 5, 5), -ENOSPC);
	/* A present key still reports EEXIST, not ENOSPC, when full. */
	assert_int_equal(fn_fib_add(fib, 0, NONE, M1 + 4, 9), -EEXIST);
	assert_int_equal(fn_fib_lookup(fib, 0, NONE, M1 + 5), MISS);
	assert_int_equal(fn_fib_replace(fib, 0, NONE, M1 + 2, 42), 0);
	assert_int_equal(fib->count, 5);
	assert_int_equal(fn_fib_del(fib, 0, NONE, M1 + 0), 0);
	assert_int_equal(fn_fib_add(fib, 0, NONE, M1 + 5, 5), 0);
	assert_int_equal(fn_fib_add(fib, 0, NONE, M1 + 6, 6), -ENOSPC);
	for (uint32_t i = 1; i < 6; i++)
		assert_int_equal(fn_fib_lookup(fib, 0, NONE, M1 + i), i == 2 ? 42 : i);
	fib_check(fib);
	fn_fib_free(fib);
}

/* ---- many entries ---------------------------------------------------------- */

struct ent {
	uint16_t uplink, vlan;
	uint64_t mac;
	uint32_t value;
	int present;
};

static void
check_all(const struct fn_fib *fib, const struct ent *e, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t got = fn_fib_lookup(fib, e[i].uplink, e[i].vlan, e[i].mac);
		if (got != (e[i].present ? e[i].value : MISS))
			fail_msg("entry %u (uplink %u vlan %u mac %012llx): got %u want %u",
				 i, e[i].uplink, e[i].vlan, (unsigned long long)e[i].mac,
				 got, e[i].present ? e[i].value : MISS);
	}
}

/* n distinct keys with random MACs; VLAN and uplink vary too. */
static struct ent *
random_keys(uint32_t n)
{
	struct ent *e = calloc(n, sizeof(*e));
	static const uint16_t vlans[] = { NONE, 1, 100, 4094 };
	for (uint32_t i = 0; i < n; i++) {
again:
		e[i] = (struct ent){ .uplink = (uint16_t)rnd_below(2),
				     .vlan = vlans[rnd_below(4)],
				     .mac = rnd_mac(), .value = i };
		for (uint32_t j = 0; j < i; j++)
			if (e[j].mac == e[i].mac && e[j].vlan == e[i].vlan &&
			    e[j].uplink == e[i].uplink)
				goto again;
	}
	return e;
}

static void
many(uint32_t n)
{
	struct fn_fib *fib = fn_fib_create(n);
	struct ent *e = random_keys(n);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(fn_fib_add(fib, e[i].uplink, e[i].vlan, e[i].mac, i), 0);
		e[i].present = 1;
	}
	assert_int_equal(fib->count, n);
	assert_int_equal(fn_fib_add(fib, 1, 7, M1, 0), -ENOSPC);
	fib_check(fib);
	check_all(fib, e, n);
	/* Delete a random half, in random order. */
	uint32_t *perm = malloc(n * sizeof(*perm));
	for (uint32_t i = 0; i < n; i++)
		perm[i] = i;
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = rnd_below(i + 1), t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (uint32_t k = 0; k < n / 2; k++) {
		struct ent *x = &e[perm[k]];
		assert_int_equal(fn_fib_del(fib, x->uplink, x->vlan, x->mac), 0);
		x->present = 0;
	}
	assert_int_equal(fib->count, n - n / 2);
	fib_check(fib);
	check_all(fib, e, n);
	/* Then the rest; the table ends empty. */
	for (uint32_t k = n / 2; k < n; k++) {
		struct ent *x = &e[perm[k]];
		assert_int_equal(fn_fib_del(fib, x->uplink, x->vlan, x->mac), 0);
		x->present = 0;
	}
	assert_int_equal(fib->count, 0);
	for (uint32_t j = 0; j <= fib->mask; j++)
		assert_int_equal(fib->slots[j].key, 0);
	check_all(fib, e, n);
	free(perm);
	free(e);
	fn_fib_free(fib);
}

static void
test_many_4096(void **state)
{
	(void)state;
	rng_state = 4096;
	many(4096);
}

static void
test_many_8192(void **state)
{
	(void)state;
	rng_state = 8192;
	many(8192);
}

/* ---- collisions and wraparound ----------------------------------------------- */

/* Find a MAC whose key (uplink 0, untagged) has the given home slot in a
 * table with `mask`, distinct from the `n` already in `have`. */
static uint64_t
mac_with_home(uint32_t home, uint32_t mask, const uint64_t *have, size_t n)
{
	for (uint64_t m = UINT64_C(0x020000000000);; m++) {
		if ((fn_fib_hash(fn_fib_key(NONE, m), 0) & mask) != home)
			continue;
		size_t i;
		for (i = 0; i < n && have[i] != m; i++)
			;
		if (i == n)
			return m;
	}
}

static int
next_perm(uint8_t *a, int n)
{
	int i = n - 2;
	while (i >= 0 && a[i] >= a[i + 1])
		i--;
	if (i < 0)
		return 0;
	int j = n - 1;
	while (a[j] <= a[i])
		j--;
	uint8_t t = a[i]; a[i] = a[j]; a[j] = t;
	for (int l = i + 1, r = n - 1; l < r; l++, r--) {
		t = a[l]; a[l] = a[r]; a[r] = t;
	}
	return 1;
}

/*
 * A 16-slot table with six keys whose home slots are 14, 14, 15, 15, 0 and
 * 14: one cluster that wraps from slot 14 to slot 3, mixing keys displaced
 * past the end with keys at home. Every insertion order times every
 * deletion order (720 x 720 runs); after each deletion every key is
 * checked and the invariant verified.
 */
static void
test_wraparound_all_orders(void **state)
{
	(void)state;
	static const uint32_t homes[] = { 14, 14, 15, 15, 0, 14 };
	enum { N = 6 };
	uint64_t mac[N];
	for (int i = 0; i < N; i++)
		mac[i] = mac_with_home(homes[i], 15, mac, (size_t)i);
	struct fn_fib *fib = fn_fib_create(8);
	assert_int_equal(fib->mask, 15);

	uint8_t ins[N] = { 0, 1, 2, 3, 4, 5 };
	unsigned runs = 0, wrapped = 0;
	do {
		uint8_t del[N] = { 0, 1, 2, 3, 4, 5 };
		do {
			int present[N] = { 0 };
			for (int k = 0; k < N; k++) {
				assert_int_equal(fn_fib_add(fib, 0, NONE, mac[ins[k]], ins[k]), 0);
				present[ins[k]] = 1;
			}
			/* the cluster must really wrap past the last slot */
			if (fib->slots[15].key && fib->slots[0].key && fib->slots[1].key)
				wrapped++;
			for (int k = 0; k < N; k++) {
				assert_int_equal(fn_fib_del(fib, 0, NONE, mac[del[k]]), 0);
				present[del[k]] = 0;
				for (int i = 0; i < N; i++)
					assert_int_equal(fn_fib_lookup(fib, 0, NONE, mac[i]),
							 present[i] ? (uint32_t)i : MISS);
				fib_check(fib);
			}
			assert_int_equal(fib->count, 0);
			runs++;
		} while (next_perm(del, N));
	} while (next_perm(ins, N));
	assert_int_equal(runs, 720 * 720);
	assert_int_equal(wrapped, runs);
	fn_fib_free(fib);
}

/* ---- churn against a model ------------------------------------------------- */

/*
 * `ops` random operations over a universe of keys larger than the table, so
 * that -EEXIST, -ENOENT and -ENOSPC all occur. The model is a flag and a
 * value per universe key.
 */
static void
churn(uint32_t max_entries, struct ent *u, uint32_t nu, uint32_t ops)
{
	struct fn_fib *fib = fn_fib_create(max_entries);
	uint32_t count = 0;
	unsigned seen[4][3] = { { 0 } };   /* op x {ok, error, lookup-miss} */
	for (uint32_t i = 0; i < ops; i++) {
		struct ent *x = &u[rnd_below(nu)];
		uint32_t op = rnd_below(4), val = (uint32_t)rnd();
		int rc, want;
		switch (op) {
		case ADD:
			rc = fn_fib_add(fib, x->uplink, x->vlan, x->mac, val);
			want = x->present ? -EEXIST : count == max_entries ? -ENOSPC : 0;
			if (want == 0) {
				x->present = 1;
				x->value = val;
				count++;
			}
			break;
		case DEL:
			rc = fn_fib_del(fib, x->uplink, x->vlan, x->mac);
			want = x->present ? 0 : -ENOENT;
			if (want == 0) {
				x->present = 0;
				count--;
			}
			break;
		case REPL:
			rc = fn_fib_replace(fib, x->uplink, x->vlan, x->mac, val);
			want = x->present ? 0 : -ENOENT;
			if (want == 0)
				x->value = val;
			break;
		default:
			rc = (int)fn_fib_lookup(fib, x->uplink, x->vlan, x->mac);
			want = x->present ? (int)x->value : (int)MISS;
			break;
		}
		if (rc != want)
			fail_msg("op %u (%d) on uplink %u vlan %u mac %012llx: %d, expected %d",
				 i, (int)op, x->uplink, x->vlan, (unsigned long long)x->mac,
				 rc, want);
		seen[op][op == LOOK ? (x->present ? 0 : 2) : rc == 0 ? 0 : 1]++;
		assert_int_equal(fib->count, count);
		if ((i & 0xffff) == 0 || max_entries <= 16)
			fib_check(fib);
	}
	fib_check(fib);
	check_all(fib, u, nu);
	/* Every outcome was exercised. */
	for (int op = 0; op < 3; op++)
		assert_true(seen[op][0] > 0 && seen[op][1] > 0);
	assert_true(seen[LOOK][0] > 0 && seen[LOOK][2] > 0);
	fn_fib_free(fib);
}

static void
test_churn_large(void **state)
{
	(void)state;
	rng_state = 1;
	/* 3000 keys into a table of 2048: full often enough to see ENOSPC. */
	struct ent *u = random_keys(3000);
	for (uint32_t i = 0; i < 3000; i++)
		u[i].present = 0;
	churn(2048, u, 3000, 1000000);
	free(u);
}

/* A tiny table where every key collides with many others: all 24 keys have
 * their home in slots 13..15 or 0 of 16, so every cluster wraps. */
static void
test_churn_colliding(void **state)
{
	(void)state;
	rng_state = 2;
	enum { N = 24 };
	uint64_t mac[N];
	struct ent u[N];
	for (int i = 0; i < N; i++) {
		mac[i] = mac_with_home((13 + (uint32_t)i % 4) & 15, 15, mac, (size_t)i);
		u[i] = (struct ent){ .uplink = 0, .vlan = NONE, .mac = mac[i] };
	}
	churn(8, u, N, 200000);
}

/* ---- hash quality ------------------------------------------------------------ */

/*
 * The table promises "a hit usually costs one cache miss": that needs every
 * MAC bit to reach the slot index, whatever bytes an operator varies when
 * numbering vNICs. For each pattern, 4096 keys in 8192 slots: the mean
 * probe length of a hit must stay near the 1.5 of linear probing at load
 * 0.5 and no key may be far from home.
 */
static uint64_t
pat_mac(int p, uint32_t i)
{
	switch (p) {
	case 0: return UINT64_C(0x525400000000) | i;              /* last bytes */
	case 1: return UINT64_C(0x020000000001) | (uint64_t)i << 24; /* bytes 1-3 */
	case 2: return UINT64_C(0x020000000001) | (uint64_t)i << 28; /* bytes 1-2 */
	case 3: return UINT64_C(0x000000000001) | (uint64_t)(i & 0x3f) << 42 |
		       (uint64_t)(i >> 6) << 32;                  /* byte 0 and 1 */
	case 4: return UINT64_C(0x02aabbccddee);                  /* one MAC ... */
	default: return UINT64_C(0x020000000000) | (uint64_t)(i & 1) << 8;
	}
}

static void
test_hash_spread(void **state)
{
	(void)state;
	for (int p = 0; p < 6; p++) {
		struct fn_fib *fib = fn_fib_create(4096);
		for (uint32_t i = 0; i < 4096; i++) {
			uint16_t vlan = NONE, uplink = 0;
			if (p == 4)              /* ... in 4094 VLANs on 2 uplinks */
				vlan = (uint16_t)(1 + i % 2048), uplink = (uint16_t)(i / 2048);
			if (p == 5)              /* 2 MACs x 2048 VLANs */
				vlan = (uint16_t)(1 + (i >> 1));
			assert_int_equal(fn_fib_add(fib, uplink, vlan, pat_mac(p, i), i), 0);
		}
		uint64_t sum = 0, max = 0;
		for (uint32_t j = 0; j <= fib->mask; j++) {
			const struct fn_fib_slot *s = &fib->slots[j];
			if (s->key == 0)
				continue;
			uint64_t d = ((j - home_of(fib, s)) & fib->mask) + 1;
			sum += d;
			max = d > max ? d : max;
		}
		double mean = (double)sum / fib->count;
		if (mean > 2.5 || max > 64)
			fail_msg("pattern %d: mean probe %.2f, max %llu", p, mean,
				 (unsigned long long)max);
		fn_fib_free(fib);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_bounds),
		cmocka_unit_test(test_add_lookup_del_replace),
		cmocka_unit_test(test_keys_distinct),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_many_4096),
		cmocka_unit_test(test_many_8192),
		cmocka_unit_test(test_wraparound_all_orders),
		cmocka_unit_test(test_churn_large),
		cmocka_unit_test(test_churn_colliding),
		cmocka_unit_test(test_hash_spread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
