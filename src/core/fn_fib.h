/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FN_FIB_H
#define FN_FIB_H
/*
 * fn_fib: the forwarding table, an exact-match map from
 * (uplink, VLAN, MAC) to a 32-bit value (a vNIC index).
 *
 * It plays the part of the CAM in the research prototype: authoritative,
 * so a miss means "drop", never "flood". Open addressing with linear
 * probing in one flat array of 16-byte slots (four per cache line): a hit
 * usually costs one cache miss, and there is no per-entry allocation.
 * Deletion shifts the following cluster back instead of leaving
 * tombstones, so lookups never slow down as vNICs come and go.
 *
 * The table is sized at creation to at least twice the entries it may
 * hold (load factor <= 0.5 keeps probe sequences short). It is not
 * thread-safe: the data plane reads it only while the control plane is
 * not writing (see fn_switch.h).
 */
#include <stdint.h>

#define FN_FIB_MISS UINT32_MAX

struct fn_fib_slot {
	uint64_t key;     /**< mac << 16 | vlan code; 0 = empty slot */
	uint16_t uplink;
	uint16_t pad;
	uint32_t value;
};

struct fn_fib {
	struct fn_fib_slot *slots;
	uint32_t mask;        /**< slot count - 1 (power of two) */
	uint32_t count;
	uint32_t max_entries;
};

/** Create a table for up to max_entries keys. @return NULL on no memory. */
struct fn_fib *fn_fib_create(uint32_t max_entries);
void fn_fib_free(struct fn_fib *fib);

/** Insert. @return 0, -EEXIST (key present), -ENOSPC (table full). */
int fn_fib_add(struct fn_fib *fib, uint16_t uplink, uint16_t vlan,
	       uint64_t mac, uint32_t value);
/** Change the value of an existing key. @return 0 or -ENOENT. */
int fn_fib_replace(struct fn_fib *fib, uint16_t uplink, uint16_t vlan,
		   uint64_t mac, uint32_t value);
/** Remove. @return 0 or -ENOENT. */
int fn_fib_del(struct fn_fib *fib, uint16_t uplink, uint16_t vlan,
	       uint64_t mac);

/* Slot key: never 0 for a valid entry because bit 15 is always set. */
static inline uint64_t
fn_fib_key(uint16_t vlan, uint64_t mac)
{
	return mac << 16 | 0x8000 | (vlan & 0x0fff) |
	       (vlan == 0xffff ? 0x1000 : 0);
}

/*
 * Home slot hash; the caller keeps the low bits. A single multiply is not
 * enough here: bit i of a product depends only on bits <= i of the key, so
 * the low bits of (key * C) >> 32 never see the top of the MAC, and vNICs
 * numbered in the first bytes of their MAC (02:NN:NN:00:00:01) all land in
 * one cluster (mean probe length n/2 at 4096 keys). splitmix64's finalizer
 * sends every key and uplink bit to every result bit.
 */
static inline uint32_t
fn_fib_hash(uint64_t key, uint16_t uplink)
{
	uint64_t h = key + uplink * UINT64_C(0x9e3779b97f4a7c15);
	h = (h ^ (h >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	h = (h ^ (h >> 27)) * UINT64_C(0x94d049bb133111eb);
	return (uint32_t)(h ^ (h >> 31));
}

/** Look a key up. @return its value, or FN_FIB_MISS. */
static inline uint32_t
fn_fib_lookup(const struct fn_fib *fib, uint16_t uplink, uint16_t vlan,
	      uint64_t mac)
{
	uint64_t key = fn_fib_key(vlan, mac);
	uint32_t i = fn_fib_hash(key, uplink) & fib->mask;
	for (;;) {
		const struct fn_fib_slot *s = &fib->slots[i];
		if (s->key == key && s->uplink == uplink)
			return s->value;
		if (s->key == 0)
			return FN_FIB_MISS;
		i = (i + 1) & fib->mask;
	}
}

#endif /* FN_FIB_H */
