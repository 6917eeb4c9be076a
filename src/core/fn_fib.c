/* SPDX-License-Identifier: BSD-3-Clause */
/* fn_fib: control-path half of the forwarding table (see fn_fib.h). */
#include <errno.h>
#include <stdlib.h>
#include "fn_fib.h"

struct fn_fib *
fn_fib_create(uint32_t max_entries)
{
	if (max_entries == 0 || max_entries > (UINT32_C(1) << 29))
		return NULL;
	uint32_t n = 16;
	while (n < 2 * max_entries)
		n <<= 1;
	struct fn_fib *fib = calloc(1, sizeof(*fib));
	if (fib == NULL)
		return NULL;
	fib->slots = calloc(n, sizeof(*fib->slots));
	if (fib->slots == NULL) {
		free(fib);
		return NULL;
	}
	fib->mask = n - 1;
	fib->max_entries = max_entries;
	return fib;
}

void
fn_fib_free(struct fn_fib *fib)
{
	if (fib != NULL)
		free(fib->slots);
	free(fib);
}

/* Index of the key's slot, or of the empty slot that ends its probe run. */
static uint32_t
fib_find(const struct fn_fib *fib, uint64_t key, uint16_t uplink)
{
	uint32_t i = fn_fib_hash(key, uplink) & fib->mask;
	while (fib->slots[i].key != 0 &&
	       !(fib->slots[i].key == key && fib->slots[i].uplink == uplink))
		i = (i + 1) & fib->mask;
	return i;
}

int
fn_fib_add(struct fn_fib *fib, uint16_t uplink, uint16_t vlan, uint64_t mac,
	   uint32_t value)
{
	uint64_t key = fn_fib_key(vlan, mac);
	uint32_t i = fib_find(fib, key, uplink);
	if (fib->slots[i].key != 0)
		return -EEXIST;
	if (fib->count >= fib->max_entries)
		return -ENOSPC;
	fib->slots[i] = (struct fn_fib_slot){ .key = key, .uplink = uplink,
					      .value = value };
	fib->count++;
	return 0;
}

int
fn_fib_replace(struct fn_fib *fib, uint16_t uplink, uint16_t vlan,
	       uint64_t mac, uint32_t value)
{
	uint32_t i = fib_find(fib, fn_fib_key(vlan, mac), uplink);
	if (fib->slots[i].key == 0)
		return -ENOENT;
	fib->slots[i].value = value;
	return 0;
}

int
fn_fib_del(struct fn_fib *fib, uint16_t uplink, uint16_t vlan, uint64_t mac)
{
	uint32_t i = fib_find(fib, fn_fib_key(vlan, mac), uplink);
	if (fib->slots[i].key == 0)
		return -ENOENT;
	/* Backward-shift deletion: move later members of the probe run into
	 * the hole when their home slot is not between the hole and them. */
	uint32_t hole = i, j = i;
	for (;;) {
		j = (j + 1) & fib->mask;
		struct fn_fib_slot *s = &fib->slots[j];
		if (s->key == 0)
			break;
		uint32_t home = fn_fib_hash(s->key, s->uplink) & fib->mask;
		/* distance from home to j vs. from hole to j, cyclically */
		if (((j - home) & fib->mask) >= ((j - hole) & fib->mask)) {
			fib->slots[hole] = *s;
			hole = j;
		}
	}
	fib->slots[hole] = (struct fn_fib_slot){ 0 };
	fib->count--;
	return 0;
}
