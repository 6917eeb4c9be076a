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
 *    clock rate, maximum frame and packet-buffer pool taken from the input,
 *    then operations, each checked against a model kept here (written from
 *    fn_switch.h, fn_sched.h, fn_bufacct.h, fn_codel.h and, through
 *    l3_ref.h, fn_l3.h; the switch is never asked what to expect):
 *
 *    control  add / update / delete a vNIC (MACs from a small pool so that
 *             clashes happen; bad MACs, VLANs, uplinks, weights, queue
 *             sizes, absurd limits, guarantees above ceilings too; L3
 *             guard settings: ip any, none or a few prefixes from a small
 *             pool of IPv4/IPv6 addresses and lengths, dhcp-server and ra
 *             allow/deny, and sets to refuse: a length past the family's,
 *             more than FN_L3_MAX_PREFIXES of a family, prefixes with
 *             restricted false); updates of one setting (guarantees around
 *             what the capacity leaves, rx-queue below what is queued,
 *             police, AQM, weights, limits, the L3 settings);
 *             uplink capacities (uplink_set); the pool (fn_switch_buffers);
 *             guests connecting and leaving (vnic_ready); counter resets.
 *             Every return code is predicted (with both EINVAL and ERANGE
 *             applicable, either is taken; fn_sched's own buckets hold 1 to
 *             10 ms, so a rate in between may or may not be -ERANGE); a
 *             refused call must change nothing (vNICs, fib, schedulers,
 *             pool, capacities); resolved defaults are checked.
 *    wire     frames from an uplink: rx_classify (verdict, target, strip,
 *             flood membership, uplink counters), then each target's
 *             receive queue (rx_enqueue) when its guest is connected.
 *    tx round a polling round of one transmit scheduler (or four in a row),
 *             driven as the data plane (fnd_dp.c) drives it: begin, then
 *             next / take frames from the guest / tx_classify each / done
 *             / refund what was switched locally, with the uplink's room
 *             cutting budgets and rounds cut short at random; frames to
 *             local vNICs go to their receive queues.
 *    guest    frames a guest sends outside any round (tx_classify does
 *             not care which), from its own MAC, each with an L3 body:
 *             IPv4 UDP (ports 67, 68, 53, 546, 547, ...) or other, ARP
 *             request / reply / probe / gratuitous, IPv6 UDP, ICMPv6 RS /
 *             RA / NS / NA / redirect / echo / MLD with link-layer options
 *             (its MAC or another, bad lengths), behind extension headers
 *             and fragment headers (first, later, RFC 7112's evasion, one
 *             too many), sources and targets from the pool, 0.0.0.0, ::
 *             and link-local EUI-64 addresses, or bytes from the input;
 *             whole, cut short (length fields kept or rewritten) or
 *             padded. The frames of tx rounds are such L3 frames too, now
 *             and then.
 *    rx round the same for one receive scheduler: each served queue gives
 *             up to its budget of head frames to rx_dequeue (CoDel), or
 *             rx_discard when the guest's ring is full or the guest left;
 *             a queue found empty gets rx_queue_empty. Wire frames may
 *             arrive between services.
 *    queue    direct enqueue (random lengths, or until refused) / dequeue
 *             (true or made-up sojourn) / discard / queue_empty; standing
 *             queues over time (arrivals, a dequeue or none, time passing,
 *             drains through CoDel or past it).
 *    time     small steps and jumps.
 *
 *    The model predicts exactly: every verdict and counter, the L3 guard's
 *    included (after the MAC and tag check, ref_check() of fuzz/l3_ref.h,
 *    an independent reference also checked against fn_l3 by fuzz_l3.c,
 *    judges the frame under a policy built from the model's own copy of
 *    the vNIC's mac, ip, dhcp_server and ra; its verdict names one of the
 *    six tx_drop_* L3 counters, or the frame is forwarded as before); a
 *    frame tx_classify drops is counted in exactly one counter of its
 *    vNIC, one it sends on in none; each queue's frames, bytes and FIFO
 *    order; the pool's verdict for every offered
 *    frame (rx-queue limit, then the dynamic threshold with alpha 1 over
 *    the model's own recount); every CoDel decision (a transcription of
 *    Linux's codel_dequeue(), cut per head frame as fn_codel.h describes);
 *    rx_sojourn_max; which flows are awake. Only the policer's admit/drop
 *    is observed rather than predicted (bounded instead), and the
 *    schedulers' choices (checked by their invariants; fuzz_sched.c
 *    checks the shares).
 *
 *    After every operation: each vNIC in use is found in the fib under its
 *    own key, with the L3 settings the model gave it and its guard on iff
 *    they check anything (ip restricted, or a DHCP-server or RA deny);
 *    every domain list is symmetric, acyclic, homogeneous and headed by
 *    its fib entry under the broadcast MAC; fib count == vNICs +
 *    non-empty domains; the fib probing invariant; every counter against
 *    the model; the pool's shared_used and reserved against a recount over
 *    all vNICs; no queue above its rx-queue bytes (unless it held more
 *    when the limit was lowered, and has not grown since); every frame
 *    offered to a queue since the last reset is in exactly one place
 *    (queued, delivered, or one drop counter); each vNIC's flows are
 *    members of its uplink's schedulers only, tx awake iff its guest is
 *    connected, rx awake as the model says; capacities as set, and the
 *    guarantees on an uplink never above a nonzero capacity; the policer
 *    (rx-police on) never admitted more than burst + rate * time since the
 *    vNIC was (re)configured; no flow served more than its ceilings allow
 *    since then (rate * time + burst + its last service, in bits and in
 *    frames); no scheduler carried more than its capacity allows since it
 *    was set. In rounds: a flow is offered only when it is a member of
 *    that scheduler and awake (transmit: its guest connected); budgets are
 *    1..FN_SCHED_BURST; a lone unlimited flow (the only flow of its
 *    scheduler, no ceiling, unlimited link) is offered service in every
 *    round, and from its third full round in a row (taking its whole
 *    budget each time, frames of one size) gets at least a full quantum
 *    less one frame per round.
 *
 * A failed check prints what and aborts, which libFuzzer reports as a crash.
 * Build options (FUZZ_SWITCH_CFLAGS for run.sh): -DFUZZ_TRACE prints each
 * operation (replaying a crash); -DFUZZ_STATS counts at exit how often each
 * path was reached; -DFUZZ_KNOWN_BUGS also checks what reported, unfixed
 * core bugs break (see FUZZ_KNOWN_BUGS below and fuzz/README.md).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_switch.h"
#include "l3_ref.h"

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

#ifdef FUZZ_TRACE
#define TRACE(...) fprintf(stderr, __VA_ARGS__)
#else
#define TRACE(...) do { } while (0)
#endif

/* Build with -DFUZZ_STATS to count, at exit, how often each path and
 * check was reached (to see what a corpus exercises). */
#define STATS(X) \
	X(enq_ok) X(drop_rate) X(drop_qlimit) X(drop_pool) X(deq_deliver) \
	X(deq_codel_drop) X(deq_tail) X(deq_bulk) X(discard_full) X(discard_gone) X(queue_empty) \
	X(q_over) X(tx_service) X(tx_capped) X(rx_service) X(rx_capped) \
	X(ceil_limited) X(lone_round) X(lone_checked) X(add_ok) X(add_edquot) \
	X(update_ok) X(update_edquot) X(uplink_ok) X(uplink_edquot) X(uplink_erange) \
	X(buffers_ok) X(tune) X(refund) X(refund_capped) X(cap_exhausted) \
	X(l3_conf_inval) X(l3_restricted) \
	X(l3_ok) X(l3_ip_spoof) X(l3_arp_spoof) X(l3_nd_spoof) X(l3_dhcp_server) \
	X(l3_ra) X(l3_malformed)
enum {
#define X(n) ST_##n,
	STATS(X)
#undef X
	ST_MAX
};
#ifdef FUZZ_STATS
static uint64_t stats[ST_MAX];
static const char *const stat_names[] = {
#define X(n) #n,
	STATS(X)
#undef X
};
static void
stats_print(void)
{
	for (int i = 0; i < ST_MAX; i++)
		fprintf(stderr, "stat %-22s %llu\n", stat_names[i], (unsigned long long)stats[i]);
}
int LLVMFuzzerInitialize(int *argc, char ***argv);
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	atexit(stats_print);
	return 0;
}
#define STAT(n) (stats[ST_##n]++)
#else
#define STAT(n) do { } while (0)
#endif

#define NV   8
#define NU   2
#define NS   (NU + 1)           /* schedulers per direction: uplinks, then local */
#define QCAP 4096               /* model FIFO per vNIC (> any pool used here) */
#define POOL_MAX 3000
#define NONE FN_VLAN_NONE
#define NOUP FN_UPLINK_NONE
#define NOV  FN_VNIC_NONE
#define BCAST FN_MAC_BCAST
#define MAC(n) (UINT64_C(0x020000000000) | (uint64_t)(n))
#define RX 0
#define TX 1

typedef unsigned __int128 u128;

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

/* ---- switch program: the model ---------------------------------------------- */

/* CoDel, Linux's codel_dequeue() cut at each head frame (fn_codel.h):
 * phase 0 = the head starts a dequeue; 1 = it follows the drop that entered
 * the dropping state; 2 = it follows a drop inside the dropping loop. */
struct mcodel {
	uint64_t first_above, drop_next;
	uint32_t count, lastcount;
	bool dropping;
	uint8_t phase;
};

struct mvnic {
	bool in_use, local, ready, rx_awake;
	uint64_t mac;
	uint16_t uplink, vlan;
	struct fn_vnic_conf conf;   /* resolved by the model */
	/* since the last (re)configuration */
	uint64_t t_cfg;
	uint64_t pol_pkts, pol_bytes;               /* through the policer */
	uint64_t svc_pkts[2], svc_bytes[2];         /* reported to done() */
	uint64_t last_pkts[2], last_bytes[2];       /* the last service */
	/* receive queue: FIFO in q_len/q_t */
	uint32_t q_head, q_n, reserve;
	uint64_t q_bytes;
	uint64_t q_over;            /* bytes held above a lowered limit, 0: none */
	struct mcodel cd;
	uint64_t sojourn_max;
	uint64_t offered, delivered;        /* since the last counter reset */
};

struct msched {
	uint64_t cap;               /* bits/s, 0 = unlimited */
	uint64_t t_cap;
	uint64_t bytes, last_bytes; /* since t_cap */
	/* the lone-flow streak (transmit) */
	uint32_t streak, lone_id, lone_len;
};

struct prog {
	struct fn_switch *sw;
	uint64_t hz, now;
	uint32_t max_frame;
	uint32_t buf_total, buf_system, rxq_reserve;
	struct mvnic m[NV];
	struct msched sch[2][NS];
	uint64_t vctr[NV][FN_VC_MAX];
	uint64_t uctr[NU][FN_UC_MAX];
	uint8_t frame[9100 + 64];
};

static uint32_t q_len[NV][QCAP];
static uint64_t q_t[NV][QCAP];

static uint32_t
sidx(uint16_t uplink)
{
	return uplink == NOUP ? NU : uplink;
}

static struct fn_sched *
sched_of(const struct prog *p, int dir, uint32_t k)
{
	return dir == RX ? &p->sw->rx_sched[k] : &p->sw->tx_sched[k];
}

/* Control operations end any lone-flow streak. */
static void
streaks_end(struct prog *p)
{
	for (int k = 0; k < NS; k++)
		p->sch[TX][k].streak = 0;
}

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

/* A guarantee: mostly none, else near the ceiling, or anything. */
static uint64_t
pick_min(struct rd *r, uint64_t ceil)
{
	uint8_t b = u8(r);
	if (b < 144)
		return 0;
	switch (b % 6) {
	case 0: return ceil ? ceil : 1000000;
	case 1: return ceil + 1;
	case 2: return ceil / 2 + 1;
	case 3: return 1 + u16(r) * UINT64_C(1000);
	default: return pick_rate(r);
	}
}

static uint32_t
pick_weight(struct rd *r)
{
	static const uint32_t t[] = { 1, 2, 3, 100, FN_SCHED_WEIGHT_MAX,
				      FN_SCHED_WEIGHT_MAX + 1 };
	uint8_t b = u8(r);
	if (b < 128)
		return 0;
	b %= 8;
	return b < 6 ? t[b] : b == 6 ? u16(r) : u32(r);
}

static uint64_t
pick_queue(const struct prog *p, struct rd *r)
{
	uint32_t fr = p->max_frame + FN_VLAN_HLEN;
	uint8_t b = u8(r);
	if (b < 144)
		return 0;
	switch (b % 8) {
	case 0: return fr - 1;
	case 1: return fr;
	case 2: return 2 * (uint64_t)fr;
	case 3: return 10000;
	case 4: return 100000;
	case 5: return u16(r);
	case 6: return u32(r);
	default: return u64(r);
	}
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

/* ---- the L3 guard: settings ------------------------------------------------ */

/* Addresses of the vNICs' `ip` sets and of the frames' sources, so that
 * frames hit allowed and foreign sources alike (0.0.0.0 and :: last). */
static const uint32_t pool4[8] = {
	0x0a000005, 0x0a000006, 0x0a000105, 0xc0a80101,
	0x0a000000, 0xac100001, 0x0a000004, 0,
};
static const uint8_t pool4_len[8] = { 32, 32, 24, 31, 16, 8, 0, 30 };
static const uint8_t pool6[8][16] = {
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 5 },     /* 2001:db8:1::5 */
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 6 },
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 5 },
	{ 0xfe, 0x80, [15] = 1 },                       /* fe80::1 */
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 1 },               /* 2001:db8:1:: */
	{ 0xfd, 0x00, [15] = 1 },
	{ 0xfe, 0x80 },                                 /* fe80:: */
	{ 0 },                                          /* :: */
};
static const uint8_t pool6_len[8] = { 128, 128, 64, 127, 48, 10, 0, 126 };

/* A prefix from one input byte: the address (bits 0-2) and length (3-5)
 * from the pools, host bits cleared (fn_l3.h's prefixes have none). */
static void
add_prefix4(struct fn_ipset *s, uint8_t x)
{
	unsigned len = pool4_len[x >> 3 & 7];
	if (s->n4 >= FN_L3_MAX_PREFIXES)
		return;
	s->v4[s->n4].addr = len ? pool4[x & 7] & ~UINT32_C(0) << (32 - len) : 0;
	s->v4[s->n4++].len = (uint8_t)len;
}

static void
add_prefix6(struct fn_ipset *s, uint8_t x)
{
	unsigned len = pool6_len[x >> 3 & 7];
	if (s->n6 >= FN_L3_MAX_PREFIXES)
		return;
	struct fn_prefix6 *q = &s->v6[s->n6++];
	memcpy(q->addr, pool6[x & 7], 16);
	for (unsigned i = len; i < 128; i++)
		q->addr[i / 8] &= (uint8_t)~(0x80 >> i % 8);
	q->len = (uint8_t)len;
}

/*
 * L3 settings: one byte (bit 0 dhcp-server allow, bit 1 ra allow, bits
 * 2-3 ip: any, none, a list, a list made odd; bits 4-5 and 6-7 a list's
 * IPv4 and IPv6 counts), one byte per prefix (add_prefix*), and for an
 * odd list one byte saying how: a length of 33+ or 129+, a count past
 * FN_L3_MAX_PREFIXES, prefixes with restricted false (all refused), or
 * both families full (accepted). Byte 0: the defaults (ip any, DHCP
 * server and RA denied).
 */
static void
gen_l3conf(struct rd *r, struct fn_vnic_conf *c)
{
	uint8_t a = u8(r);
	struct fn_ipset *s = &c->ip;
	memset(s, 0, sizeof(*s));
	c->dhcp_server = a & 1;
	c->ra = a >> 1 & 1;
	unsigned kind = a >> 2 & 3;
	if (kind == 0)
		return;
	s->restricted = true;
	if (kind == 1)
		return;
	for (unsigned i = 0; i < (a >> 4 & 3u); i++)
		add_prefix4(s, u8(r));
	for (unsigned i = 0; i < (a >> 6 & 3u); i++)
		add_prefix6(s, u8(r));
	if (kind == 2)
		return;
	uint8_t t = u8(r);
	switch (t % 6) {
	case 0:
		add_prefix4(s, t);
		s->v4[s->n4 - 1].len = t & 8 ? 33 : 255;
		break;
	case 1:
		add_prefix6(s, t);
		s->v6[s->n6 - 1].len = t & 8 ? 129 : 255;
		break;
	case 2:
		s->n4 = (uint8_t)(FN_L3_MAX_PREFIXES + 1 + t / 6 % 200);
		break;
	case 3:
		s->n6 = (uint8_t)(FN_L3_MAX_PREFIXES + 1 + t / 6 % 200);
		break;
	case 4:
		if (s->n4 + s->n6 == 0)
			add_prefix4(s, t);
		s->restricted = false;
		break;
	default:
		for (unsigned i = 0; i < FN_L3_MAX_PREFIXES; i++) {
			add_prefix4(s, (uint8_t)(t + 5 * i));
			add_prefix6(s, (uint8_t)(t + 3 * i));
		}
		break;
	}
}

/* fn_l3.h's set: counts up to FN_L3_MAX_PREFIXES, lengths within the
 * family, `any` (restricted false) empty. */
static bool
model_ipset_ok(const struct fn_ipset *s)
{
	if (s->n4 > FN_L3_MAX_PREFIXES || s->n6 > FN_L3_MAX_PREFIXES ||
	    (!s->restricted && s->n4 + s->n6 > 0))
		return false;
	for (unsigned i = 0; i < s->n4; i++)
		if (s->v4[i].len > 32)
			return false;
	for (unsigned i = 0; i < s->n6; i++)
		if (s->v6[i].len > 128)
			return false;
	return true;
}

static bool
ipset_same(const struct fn_ipset *a, const struct fn_ipset *b)
{
	if (a->restricted != b->restricted || a->n4 != b->n4 || a->n6 != b->n6)
		return false;
	for (unsigned i = 0; i < a->n4 && i < FN_L3_MAX_PREFIXES; i++)
		if (a->v4[i].addr != b->v4[i].addr || a->v4[i].len != b->v4[i].len)
			return false;
	for (unsigned i = 0; i < a->n6 && i < FN_L3_MAX_PREFIXES; i++)
		if (memcmp(a->v6[i].addr, b->v6[i].addr, 16) != 0 ||
		    a->v6[i].len != b->v6[i].len)
			return false;
	return true;
}

/* The guard of a vNIC as the model configured it. */
static struct fn_l3_policy
model_l3(const struct fn_vnic_conf *c)
{
	struct fn_l3_policy pol;
	memset(&pol, 0, sizeof(pol));
	pol.mac = c->mac;
	pol.dhcp_server = c->dhcp_server;
	pol.ra = c->ra;
	pol.ip = c->ip;
	return pol;
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
	uint8_t f = u8(r);
	c->local = (f & 3) != 0;
	c->rx_police = (f >> 1) % 3 == 0;
	c->rx_aqm = (f >> 3) % 8 < 5 ? FN_AQM_CODEL : (f >> 3) % 8 < 7 ? FN_AQM_TAIL
									: (uint8_t)(2 + (f >> 6));
	c->rx_rate = pick_rate(r);
	c->rx_burst = pick_burst(p, r);
	c->rx_pps = pick_rate(r);
	c->rx_pps_burst = pick_burst(p, r);
	c->tx_rate = pick_rate(r);
	c->tx_burst = pick_burst(p, r);
	c->tx_pps = pick_rate(r);
	c->tx_pps_burst = pick_burst(p, r);
	c->rx_min = pick_min(r, c->rx_rate);
	c->tx_min = pick_min(r, c->tx_rate);
	c->rx_weight = pick_weight(r);
	c->tx_weight = pick_weight(r);
	c->rx_queue = pick_queue(p, r);
	gen_l3conf(r, c);
}

/* Error classes a configuration may be refused with. */
#define E_INVAL 1
#define E_RANGE 2

static int
rc_class(int rc)
{
	return rc == -EINVAL ? E_INVAL : rc == -ERANGE ? E_RANGE : 0;
}

/* Exact accounting (fn_tb.h): a bucket of `rate` with depth `units` needs
 * rate < 2^62 and units * hz < 2^62. */
static bool
bucket_too_big(uint64_t rate, u128 units, uint64_t hz)
{
	const u128 lim = (u128)1 << 62;
	return rate && (rate >= lim || units * hz >= lim);
}

/* fn_sched's guarantee and capacity buckets hold 1 to 10 ms of their rate
 * (its choice, in no header), never less than a quantum: the shallowest
 * and the deepest they may be. Rates whose deep bucket cannot be counted
 * exactly may be refused (-ERANGE); those whose shallow one cannot, must. */
static uint64_t
sched_depth(uint64_t rate)
{
	uint64_t b = rate / 8 / 1000;
	return b < FN_SCHED_QUANTUM ? FN_SCHED_QUANTUM : b;
}

static uint64_t
cap_depth_max(uint64_t rate)
{
	uint64_t b = rate / 8 / 100;
	return b < FN_SCHED_QUANTUM ? FN_SCHED_QUANTUM : b;
}

/* 0: fits either way, 1: may be refused, 2: must be. A default bucket
 * is capped below the exact-accounting limit (2^62 / hz bits), so only a
 * rate that cannot be counted at all is refused. */
static int
sched_bucket_range(uint64_t rate, uint64_t hz)
{
	uint64_t most = (UINT64_C(1) << 62) / hz / 8 - 1;
	uint64_t lo = sched_depth(rate), hi = cap_depth_max(rate);
	if (lo > most)
		lo = most;
	if (hi > most)
		hi = most;
	if (bucket_too_big(rate, (u128)lo * 8, hz))
		return 2;
	return bucket_too_big(rate, (u128)hi * 8, hz);
}

/* The model's conf_check: resolves defaults in place. @return 0 or the set
 * of error classes that apply (the switch must return one of them);
 * *may_range: -ERANGE is acceptable too (a guarantee's bucket). */
static int
model_conf(const struct prog *p, struct fn_vnic_conf *c, bool *may_range)
{
	*may_range = false;
	if (c->mac == 0 || c->mac > BCAST || (c->mac & FN_MAC_GROUP_BIT))
		return E_INVAL;
	if (c->vlan != NONE && (c->vlan < 1 || c->vlan > 4094))
		return E_INVAL;
	if (c->uplink != NOUP && c->uplink >= NU)
		return E_INVAL;
	int e = 0;
	uint64_t fr = p->max_frame + FN_VLAN_HLEN, two = 2 * fr;
	/* bursts: 10 ms of the rate, at least two frames / 32 packets */
	if (!c->rx_burst)
		c->rx_burst = c->rx_rate / 800 > two ? c->rx_rate / 800 : two;
	if (!c->tx_burst)
		c->tx_burst = c->tx_rate / 800 > two ? c->tx_rate / 800 : two;
	if (!c->rx_pps_burst)
		c->rx_pps_burst = c->rx_pps / 100 > 32 ? c->rx_pps / 100 : 32;
	if (!c->tx_pps_burst)
		c->tx_pps_burst = c->tx_pps / 100 > 32 ? c->tx_pps / 100 : 32;
	if ((c->rx_rate && c->rx_burst < fr) || (c->tx_rate && c->tx_burst < fr))
		e |= E_INVAL;           /* no frame could ever conform */
	if (!c->rx_weight)
		c->rx_weight = 1;
	if (!c->tx_weight)
		c->tx_weight = 1;
	if (c->rx_weight > FN_SCHED_WEIGHT_MAX || c->tx_weight > FN_SCHED_WEIGHT_MAX)
		e |= E_INVAL;
	/* rx-queue: FN_RXQ_DEFAULT_MS at the ceiling (whole kB per ms; at
	 * FN_RXQ_UNLIMITED_RATE without one), at least FN_RXQ_DEFAULT_MIN */
	if (!c->rx_queue) {
		uint64_t q = (c->rx_rate ? c->rx_rate : FN_RXQ_UNLIMITED_RATE) / 8 / 1000 *
			     FN_RXQ_DEFAULT_MS;
		c->rx_queue = q > FN_RXQ_DEFAULT_MIN ? q : FN_RXQ_DEFAULT_MIN;
	}
	if (c->rx_queue < fr || c->rx_aqm > FN_AQM_TAIL)
		e |= E_INVAL;
	if (!model_ipset_ok(&c->ip))
		e |= E_INVAL;
	/* a guarantee above the ceiling (policing: no receive ceiling) */
	uint64_t rx_ceil = c->rx_police ? 0 : c->rx_rate;
	if ((rx_ceil && c->rx_min > rx_ceil) || (c->tx_rate && c->tx_min > c->tx_rate))
		e |= E_INVAL;
	uint64_t hz = p->hz;
	if (bucket_too_big(c->rx_rate, (u128)c->rx_burst * 8, hz) ||
	    bucket_too_big(c->rx_pps, c->rx_pps_burst, hz) ||
	    bucket_too_big(c->tx_rate, (u128)c->tx_burst * 8, hz) ||
	    bucket_too_big(c->tx_pps, c->tx_pps_burst, hz))
		e |= E_RANGE;
	int rx = sched_bucket_range(c->rx_min, hz), tx = sched_bucket_range(c->tx_min, hz);
	if (rx == 2 || tx == 2)
		e |= E_RANGE;
	else if (rx || tx)
		*may_range = true;
	return e;
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

static uint64_t
model_min_sum(const struct prog *p, uint16_t uplink, int dir, int except)
{
	uint64_t s = 0;
	for (int i = 0; i < NV; i++)
		if (p->m[i].in_use && i != except && p->m[i].uplink == uplink)
			s += dir == RX ? p->m[i].conf.rx_min : p->m[i].conf.tx_min;
	return s;
}

/* Would c's guarantees overfill its uplink's capacities? */
static bool
model_over(const struct prog *p, const struct fn_vnic_conf *c, int self)
{
	if (c->uplink == NOUP)
		return false;
	uint64_t rc = p->sch[RX][c->uplink].cap, tc = p->sch[TX][c->uplink].cap;
	return (c->rx_min && rc && model_min_sum(p, c->uplink, RX, self) + c->rx_min > rc) ||
	       (c->tx_min && tc && model_min_sum(p, c->uplink, TX, self) + c->tx_min > tc);
}

/* (Re)configured now: the ceilings and the policer count from here. */
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
	m->pol_pkts = m->pol_bytes = 0;
	memset(m->svc_pkts, 0, sizeof(m->svc_pkts));
	memset(m->svc_bytes, 0, sizeof(m->svc_bytes));
	memset(m->last_pkts, 0, sizeof(m->last_pkts));
	memset(m->last_bytes, 0, sizeof(m->last_bytes));
	/* a queue above a lowered limit only drains */
	m->q_over = m->q_bytes > c->rx_queue ? m->q_bytes : 0;
	if (m->q_over)
		STAT(q_over);
}

/* ---- snapshots: what a refused call must leave as it was -------------------- */

struct snap {
	struct fn_vnic v[NV];
	struct fn_fib_slot slots[64];
	uint32_t fib_count, n_vnics;
	struct fn_sched s[2][NS];
	struct fn_sched_flow f[2][NS][NV];
	struct fn_bufacct buf;
	uint32_t rxq_reserve;
	uint64_t cap[2][NS];
};

static struct snap snap_before;

static void
snap_take(const struct prog *p, struct snap *s)
{
	const struct fn_switch *sw = p->sw;
	CHECK(sw->fib->mask < 64);
	memcpy(s->v, sw->vnics, sizeof(s->v));
	memcpy(s->slots, sw->fib->slots, (sw->fib->mask + 1) * sizeof(s->slots[0]));
	s->fib_count = sw->fib->count;
	s->n_vnics = sw->n_vnics;
	for (int d = 0; d < 2; d++)
		for (int k = 0; k < NS; k++) {
			const struct fn_sched *x = sched_of(p, d, k);
			s->s[d][k] = *x;
			memcpy(s->f[d][k], x->flows, sizeof(s->f[d][k]));
			s->cap[d][k] = d == RX ? sw->rx_cap[k] : sw->tx_cap[k];
		}
	s->buf = sw->buf;
	s->rxq_reserve = sw->rxq_reserve;
}

static void
snap_same(const struct prog *p, const struct snap *s)
{
	const struct fn_switch *sw = p->sw;
	for (int i = 0; i < NV; i++) {
		const struct fn_vnic *a = &sw->vnics[i], *b = &s->v[i];
		CHECK_EQ(a->in_use, b->in_use);
		if (a->in_use)   /* everything: address, domain order, tokens, queue, counters */
			CHECK(memcmp(a, b, sizeof(*a)) == 0);
	}
	CHECK(memcmp(s->slots, sw->fib->slots,
		     (sw->fib->mask + 1) * sizeof(s->slots[0])) == 0);
	CHECK_EQ(sw->fib->count, s->fib_count);
	CHECK_EQ(sw->n_vnics, s->n_vnics);
	for (int d = 0; d < 2; d++)
		for (int k = 0; k < NS; k++) {
			const struct fn_sched *x = sched_of(p, d, k);
			CHECK(memcmp(x, &s->s[d][k], sizeof(*x)) == 0);
			CHECK(memcmp(x->flows, s->f[d][k], sizeof(s->f[d][k])) == 0);
			CHECK_EQ(d == RX ? sw->rx_cap[k] : sw->tx_cap[k], s->cap[d][k]);
		}
	CHECK(memcmp(&sw->buf, &s->buf, sizeof(s->buf)) == 0);
	CHECK_EQ(sw->rxq_reserve, s->rxq_reserve);
}

/* ---- control operations ---------------------------------------------------- */

static void
check_resolved(const struct fn_vnic_conf *c, const struct fn_vnic_conf *mc)
{
	CHECK(ipset_same(&c->ip, &mc->ip));     /* nothing to resolve there */
	CHECK_EQ(c->dhcp_server, mc->dhcp_server);
	CHECK_EQ(c->ra, mc->ra);
	CHECK_EQ(c->rx_burst, mc->rx_burst);
	CHECK_EQ(c->rx_pps_burst, mc->rx_pps_burst);
	CHECK_EQ(c->tx_burst, mc->tx_burst);
	CHECK_EQ(c->tx_pps_burst, mc->tx_pps_burst);
	CHECK_EQ(c->rx_weight, mc->rx_weight);
	CHECK_EQ(c->tx_weight, mc->tx_weight);
	CHECK_EQ(c->rx_queue, mc->rx_queue);
}

static void
op_add(struct prog *p, struct rd *r)
{
	struct fn_vnic_conf c, mc;
	gen_conf(p, r, &c);
	mc = c;
	bool may;
	int e = model_conf(p, &mc, &may), want = 0;
	int slot = -1, n_in = 0;
	for (int i = 0; i < NV; i++) {
		if (!p->m[i].in_use && slot < 0)
			slot = i;
		n_in += p->m[i].in_use;
	}
	if (!e && model_over(p, &mc, -1))
		want = -EDQUOT;
	else if (!e && slot < 0)
		want = -ENOSPC;
	else if (!e && (uint64_t)(n_in + 1) * p->rxq_reserve >
			       (p->buf_total - p->buf_system) / 2)
		want = -ENOSPC;         /* no room for its reserve */
	else if (!e && model_find(p, mc.uplink, mc.vlan, mc.mac) >= 0)
		want = -EEXIST;
	uint32_t id = 0xdead;
	snap_take(p, &snap_before);
	int rc = fn_switch_vnic_add(p->sw, &c, p->now, &id);
	TRACE("add mac %012llx uplink %u vlan %u local %d police %d aqm %u rx %llu/%llu "
	      "pps %llu/%llu tx %llu/%llu pps %llu/%llu min %llu/%llu w %u/%u q %llu -> %d id %u\n",
	      (unsigned long long)c.mac, c.uplink, c.vlan, c.local, c.rx_police, c.rx_aqm,
	      (unsigned long long)c.rx_rate, (unsigned long long)c.rx_burst,
	      (unsigned long long)c.rx_pps, (unsigned long long)c.rx_pps_burst,
	      (unsigned long long)c.tx_rate, (unsigned long long)c.tx_burst,
	      (unsigned long long)c.tx_pps, (unsigned long long)c.tx_pps_burst,
	      (unsigned long long)c.rx_min, (unsigned long long)c.tx_min,
	      c.rx_weight, c.tx_weight, (unsigned long long)c.rx_queue, rc, id);
	TRACE("  ip restricted %d n4 %u n6 %u dhcp-server %d ra %d\n", c.ip.restricted,
	      c.ip.n4, c.ip.n6, c.dhcp_server, c.ra);
	if (!model_ipset_ok(&mc.ip))
		STAT(l3_conf_inval);
	if (e) {
		CHECK(rc_class(rc) & (e | (may ? E_RANGE : 0)));
	} else if (!(may && rc == -ERANGE)) {
		CHECK_EQ(rc, want);
	}
	if (rc == -EDQUOT)
		STAT(add_edquot);
	if (rc) {
		CHECK_EQ(id, 0xdead);
		snap_same(p, &snap_before);
		return;
	}
	streaks_end(p);
	STAT(add_ok);
	CHECK_EQ(id, slot);
	check_resolved(&c, &mc);
	struct mvnic *m = &p->m[id];
	memset(m, 0, sizeof(*m));
	m->reserve = p->rxq_reserve;
	model_set(p, id, &mc);
	memset(p->vctr[id], 0, sizeof(p->vctr[id]));
	if (u8(r) & 1) {                /* its guest connects at once */
		fn_switch_vnic_ready(p->sw, id, true);
		m->ready = true;
	}
}

static void
do_update(struct prog *p, uint32_t id, struct fn_vnic_conf *c)
{
	struct fn_vnic_conf mc = *c;
	int e = 0, want = 0;
	bool may = false;
	if (id >= NV || !p->m[id].in_use) {
		want = -ENOENT;
	} else {
		const struct mvnic *m = &p->m[id];
		e = model_conf(p, &mc, &may);
		if (!e && model_over(p, &mc, (int)id))
			want = -EDQUOT;
		else if (!e && (mc.mac != m->mac || mc.uplink != m->uplink ||
				mc.vlan != m->vlan) &&
			 model_find(p, mc.uplink, mc.vlan, mc.mac) >= 0)
			want = -EEXIST;
	}
	snap_take(p, &snap_before);
	int rc = fn_switch_vnic_update(p->sw, id, c, p->now);
	TRACE("update %u mac %012llx uplink %u vlan %u local %d police %d aqm %u rx %llu pps %llu "
	      "tx %llu pps %llu min %llu/%llu q %llu -> %d\n", id,
	      (unsigned long long)c->mac, c->uplink, c->vlan, c->local, c->rx_police,
	      c->rx_aqm, (unsigned long long)c->rx_rate, (unsigned long long)c->rx_pps,
	      (unsigned long long)c->tx_rate, (unsigned long long)c->tx_pps,
	      (unsigned long long)c->rx_min, (unsigned long long)c->tx_min,
	      (unsigned long long)c->rx_queue, rc);
	TRACE("  ip restricted %d n4 %u n6 %u dhcp-server %d ra %d\n", c->ip.restricted,
	      c->ip.n4, c->ip.n6, c->dhcp_server, c->ra);
	if (!model_ipset_ok(&mc.ip))
		STAT(l3_conf_inval);
	if (e) {
		CHECK(rc_class(rc) & (e | (may ? E_RANGE : 0)));
	} else if (!(may && rc == -ERANGE)) {
		CHECK_EQ(rc, want);
	}
	if (rc == -EDQUOT)
		STAT(update_edquot);
	if (rc) {
		snap_same(p, &snap_before);
		return;
	}
	STAT(update_ok);
	streaks_end(p);
	check_resolved(c, &mc);
	model_set(p, id, &mc);
}

static void
op_update(struct prog *p, struct rd *r)
{
	uint32_t id = u8(r) % (NV + 1);
	struct fn_vnic_conf c;
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
	do_update(p, id, &c);
}

/* One setting of a vNIC changes, the rest stays: guarantees around what is
 * left of the capacity (admission control), the queue limit (below what
 * it holds), policing, AQM, weights, limits, the L3 guard. */
static void
op_tune(struct prog *p, struct rd *r)
{
	uint32_t id = u8(r) % NV;
	if (!p->m[id].in_use)
		return;
	STAT(tune);
	struct fn_vnic_conf c = p->m[id].conf;
	uint8_t what = u8(r);
	switch (what % 9) {
	case 0: case 1: case 2:
		if (what & 0x80)
			c.uplink = (uint16_t)(u8(r) % NU);      /* taking them along */
		for (int d = 0; d < 2; d++) {
			uint64_t cap = c.uplink == NOUP ? 0 : p->sch[d][c.uplink].cap;
			uint64_t sum = model_min_sum(p, c.uplink, d, (int)id);
			uint64_t left = cap > sum ? cap - sum : 0;
			uint64_t *min = d == RX ? &c.rx_min : &c.tx_min;
			uint8_t b = u8(r);
			switch (b % 6) {
			case 0: *min = left; break;
			case 1: *min = left + 1; break;
			case 2: *min = left / 2; break;
			case 3: *min = 0; break;
			case 4: break;
			default: *min = pick_rate(r); break;
			}
		}
		break;
	case 3: {
		uint64_t held = p->m[id].q_bytes;
		uint8_t b = u8(r);
		c.rx_queue = b % 4 < 2 ? held / 2 : b % 4 == 2 ? held + 1 : pick_queue(p, r);
		break;
	}
	case 4:
		c.rx_police = !c.rx_police;
		break;
	case 5:
		c.rx_aqm = c.rx_aqm == FN_AQM_CODEL ? FN_AQM_TAIL : FN_AQM_CODEL;
		break;
	case 6:
		c.rx_weight = pick_weight(r);
		c.tx_weight = pick_weight(r);
		break;
	case 8:
		gen_l3conf(r, &c);
		break;
	default:
		c.rx_rate = pick_rate(r);
		c.rx_pps = pick_rate(r);
		c.tx_rate = pick_rate(r);
		c.tx_pps = pick_rate(r);
		c.rx_burst = c.tx_burst = c.rx_pps_burst = c.tx_pps_burst = 0;
		break;
	}
	do_update(p, id, &c);
}

static void
op_del(struct prog *p, struct rd *r)
{
	uint32_t id = u8(r) % (NV + 1);
	bool ok = id < NV && p->m[id].in_use;
	TRACE("del %u\n", id);
	CHECK_EQ(fn_switch_vnic_del(p->sw, id), ok ? 0 : -ENOENT);
	if (ok) {
		p->m[id].in_use = false;
		streaks_end(p);
	}
}

static void
op_ready(struct prog *p, struct rd *r)
{
	uint8_t b = u8(r);
	uint32_t id = b % (NV + 1);
	bool on = b & 0x80;
	TRACE("ready %u %d\n", id, on);
	fn_switch_vnic_ready(p->sw, id < NV ? id : 1000, on);
	if (id < NV && p->m[id].in_use) {
		p->m[id].ready = on;
		streaks_end(p);
	}
}

static uint64_t
pick_cap(const struct prog *p, struct rd *r, uint16_t u, int dir)
{
	uint64_t sum = u < NU ? model_min_sum(p, u, dir, -1) : 0;
	uint8_t b = u8(r);
	switch (b % 8) {
	case 0: case 1: return 0;
	case 2: return sum;
	case 3: return sum ? sum - 1 : 0;
	case 4: return sum + 1 + u16(r);
	default: return pick_rate(r);
	}
}

/* The capacity bucket of a scheduler, brought to `now` (fn_tb's refill,
 * written again): refused changes must leave it worth the same. */
static int64_t
cap_tokens_at(const struct fn_sched *s, uint64_t now)
{
	if (s->cap_p.unlimited)
		return 0;
	__int128 t = s->cap_tb.tokens;
	if (now > s->cap_tb.last)
		t += (__int128)(now - s->cap_tb.last) * s->cap_p.rate;
	return t > s->cap_p.max_tokens ? s->cap_p.max_tokens : (int64_t)t;
}

static void
op_uplink_set(struct prog *p, struct rd *r)
{
	static const uint16_t us[] = { 0, 1, 0, 1, 0, 1, 2, NOUP };
	uint16_t u = us[u8(r) % 8];
	uint64_t rate[2];
	rate[RX] = pick_cap(p, r, u, RX);
	rate[TX] = pick_cap(p, r, u, TX);
	int want = 0;
	bool may_range = false;     /* either 0 or -ERANGE */
	if (u >= NU) {
		want = -EINVAL;
	} else {
		for (int d = 0; d < 2; d++)
			if (rate[d] && model_min_sum(p, u, d, -1) > rate[d])
				want = -EDQUOT;
		/* exact accounting: refused when even the shallowest bucket
		 * cannot be, accepted when the deepest can */
		for (int d = 0; d < 2 && !want; d++) {
			int b = sched_bucket_range(rate[d], p->hz);
			if (b == 2)
				want = -ERANGE;
			else if (b)
				may_range = true;
		}
	}
	int64_t before[2] = { 0, 0 };
	if (u < NU)
		for (int d = 0; d < 2; d++)
			before[d] = cap_tokens_at(sched_of(p, d, u), p->now);
	snap_take(p, &snap_before);
	int rc = fn_switch_uplink_set(p->sw, u, rate[RX], rate[TX], p->now);
	TRACE("uplink_set %u rx %llu tx %llu -> %d\n", u, (unsigned long long)rate[RX],
	      (unsigned long long)rate[TX], rc);
	if (may_range && !want && rc == -ERANGE)
		want = -ERANGE;
	CHECK_EQ(rc, want);
	if (rc == -EDQUOT)
		STAT(uplink_edquot);
	if (rc == -ERANGE)
		STAT(uplink_erange);
	if (rc) {
		/* nothing changes; the buckets may only have been brought to now */
		for (int d = 0; u < NU && d < 2; d++) {
			const struct fn_sched *s = sched_of(p, d, u);
			const struct fn_tb_profile *was = &snap_before.s[d][u].cap_p;
			/* field by field: a profile written back may differ in padding */
			CHECK_EQ(s->cap_p.rate, was->rate);
			CHECK_EQ(s->cap_p.unit_cost, was->unit_cost);
			CHECK_EQ(s->cap_p.max_tokens, was->max_tokens);
			CHECK_EQ(s->cap_p.unlimited, was->unlimited);
			snap_before.s[d][u].cap_p = s->cap_p;
			snap_before.s[d][u].cap_tb = s->cap_tb;
			CHECK_EQ(cap_tokens_at(s, p->now), before[d]);
		}
		snap_same(p, &snap_before);
		return;
	}
	streaks_end(p);
	STAT(uplink_ok);
	for (int d = 0; d < 2; d++) {
		struct msched *ms = &p->sch[d][u];
		ms->cap = rate[d];
		ms->t_cap = p->now;
		ms->bytes = ms->last_bytes = 0;
	}
}

static void
op_buffers(struct prog *p, struct rd *r)
{
	uint32_t total = u16(r) % (POOL_MAX + 1), system = u16(r) % (POOL_MAX + 100);
	int n_in = 0;
	for (int i = 0; i < NV; i++)
		n_in += p->m[i].in_use;
	int want = n_in ? -EBUSY : system > total ? -EINVAL : 0;
	snap_take(p, &snap_before);
	int rc = fn_switch_buffers(p->sw, total, system);
	TRACE("buffers %u %u -> %d\n", total, system, rc);
	CHECK_EQ(rc, want);
	if (rc) {
		snap_same(p, &snap_before);
		return;
	}
	STAT(buffers_ok);
	p->buf_total = total;
	p->buf_system = system;
	/* half of what is left may be reserved, split over the table */
	uint32_t res = (total - system) / 2 / NV;
	p->rxq_reserve = res > FN_RXQ_RESERVE_MAX ? FN_RXQ_RESERVE_MAX : res;
	CHECK_EQ(p->sw->rxq_reserve, p->rxq_reserve);
}

static void
op_reset(struct prog *p, struct rd *r)
{
	uint8_t b = u8(r) % (NV + 2);
	uint32_t id = b < NV ? b : b == NV ? NOV : 1000;
	fn_switch_counters_reset(p->sw, id);
	TRACE("reset %u\n", id);
	for (uint32_t i = 0; i < NV; i++) {
		if (id != NOV && id != i)
			continue;
		struct mvnic *m = &p->m[i];
		memset(p->vctr[i], 0, sizeof(p->vctr[i]));
		m->sojourn_max = 0;
		m->offered = m->q_n;     /* what is queued stays accounted */
		m->delivered = 0;
	}
	if (id == NOV)
		memset(p->uctr, 0, sizeof(p->uctr));
}

/* ---- receive queues ------------------------------------------------------------ */

static uint64_t
model_reserved(const struct prog *p)
{
	uint64_t s = 0;
	for (int i = 0; i < NV; i++)
		if (p->m[i].in_use)
			s += p->m[i].reserve;
	return s;
}

static uint64_t
model_shared(const struct prog *p)
{
	uint64_t s = 0;
	for (int i = 0; i < NV; i++)
		if (p->m[i].in_use && p->m[i].q_n > p->m[i].reserve)
			s += p->m[i].q_n - p->m[i].reserve;
	return s;
}

/* fn_bufacct.h: the queue's byte limit, then its reserve, then the
 * dynamic threshold (alpha 1) over the shared buffers still free. */
static int
model_buf(const struct prog *p, uint32_t id, uint32_t len)
{
	const struct mvnic *m = &p->m[id];
	if (m->q_bytes + len > m->conf.rx_queue)
		return FN_BUF_QUEUE_LIMIT;
	if (m->q_n >= m->reserve) {
		uint64_t used = (uint64_t)p->buf_system + model_reserved(p) + model_shared(p);
		uint64_t free_ = used >= p->buf_total ? 0 : p->buf_total - used;
		if (free_ == 0 || m->q_n - m->reserve >= free_)
			return FN_BUF_POOL;
	}
	return FN_BUF_OK;
}

/* Offer a frame to vNIC id's queue, as the adapter does when its guest
 * is connected (otherwise the adapter counts it and the core never sees
 * it). */
static void
offer(struct prog *p, uint32_t id, uint32_t len)
{
	struct mvnic *m = &p->m[id];
	CHECK(m->in_use);
	if (!m->ready)
		return;
	uint64_t *ctr = p->sw->vnics[id].ctr;
	uint64_t c_rate = ctr[FN_VC_rx_drop_rate], c_lim = ctr[FN_VC_rx_drop_queue_limit],
		 c_pool = ctr[FN_VC_rx_drop_pool];
	int bv = model_buf(p, id, len);
	bool ok = fn_switch_rx_enqueue(p->sw, id, len, p->now);
	TRACE("  enqueue %u len %u at %llu -> %d (model %d, held %u)\n", id, len,
	      (unsigned long long)p->now, ok, bv, m->q_n);
	m->offered++;
	uint64_t d_rate = ctr[FN_VC_rx_drop_rate] - c_rate,
		 d_lim = ctr[FN_VC_rx_drop_queue_limit] - c_lim,
		 d_pool = ctr[FN_VC_rx_drop_pool] - c_pool;
	CHECK_EQ(d_rate + d_lim + d_pool, ok ? 0 : 1);
	if (d_rate) {
		/* the policer: only with rx-police on and a limit */
		CHECK(m->conf.rx_police && (m->conf.rx_rate || m->conf.rx_pps));
		p->vctr[id][FN_VC_rx_drop_rate]++;
		STAT(drop_rate);
		return;
	}
	if (m->conf.rx_police) {
		m->pol_pkts++;
		m->pol_bytes += len;
	}
	CHECK_EQ(ok ? FN_BUF_OK : d_lim ? FN_BUF_QUEUE_LIMIT : FN_BUF_POOL, bv);
	if (!ok) {
		p->vctr[id][d_lim ? FN_VC_rx_drop_queue_limit : FN_VC_rx_drop_pool]++;
		if (d_lim)
			STAT(drop_qlimit);
		else
			STAT(drop_pool);
		return;
	}
	STAT(enq_ok);
	CHECK(m->q_n < QCAP);
	uint32_t at = (m->q_head + m->q_n) % QCAP;
	q_len[id][at] = len;
	q_t[id][at] = p->now;
	m->q_n++;
	m->q_bytes += len;
	if (m->q_n == 1)
		m->rx_awake = true;     /* woken on the first frame */
}

static uint32_t
pop_head(struct prog *p, uint32_t id, uint64_t *t)
{
	struct mvnic *m = &p->m[id];
	CHECK(m->q_n > 0);
	uint32_t len = q_len[id][m->q_head];
	*t = q_t[id][m->q_head];
	m->q_head = (m->q_head + 1) % QCAP;
	m->q_n--;
	m->q_bytes -= len;
	if (m->q_over && m->q_bytes <= m->conf.rx_queue)
		m->q_over = 0;
	else if (m->q_over)
		m->q_over = m->q_bytes;
	return len;
}

static uint64_t
codel_law(uint64_t t, uint64_t interval, uint32_t count)
{
	return t + (uint64_t)((double)interval / sqrt((double)count));
}

/* Linux's codel_should_drop(). */
static bool
codel_ok(struct mcodel *c, const struct prog *p, uint64_t sojourn, uint64_t backlog)
{
	uint64_t target = p->hz / 200, interval = p->hz / 10;
	if (sojourn < target || backlog <= p->max_frame) {
		c->first_above = 0;
		return false;
	}
	if (c->first_above == 0) {
		c->first_above = p->now + interval;
		return false;
	}
	return p->now > c->first_above;
}

/* One head frame through Linux's codel_dequeue(). @return true: drop. */
static bool
codel_decide(struct mcodel *c, const struct prog *p, uint64_t sojourn, uint64_t backlog)
{
	uint64_t now = p->now, interval = p->hz / 10;
	bool ok = codel_ok(c, p, sojourn, backlog);
	uint8_t phase = c->phase;
	c->phase = 0;
	switch (phase) {
	case 1:         /* dequeued after the drop that entered: returned */
		return false;
	case 2:         /* the while loop after a drop */
		if (!ok) {
			c->dropping = false;
			return false;
		}
		c->drop_next = codel_law(c->drop_next, interval, c->count);
		if (now < c->drop_next)
			return false;
		c->count++;
		c->phase = 2;
		return true;
	}
	if (c->dropping) {
		if (!ok) {
			c->dropping = false;
			return false;
		}
		if (now < c->drop_next)
			return false;
		c->count++;
		c->phase = 2;
		return true;
	}
	if (!ok)
		return false;
	c->dropping = true;
	uint32_t delta = c->count - c->lastcount;
	c->count = delta > 1 && now - c->drop_next < 16 * interval ? delta : 1;
	c->lastcount = c->count;
	c->drop_next = codel_law(now, interval, c->count);
	c->phase = 1;
	return true;
}

/* The queue was found empty (at a dequeue's start, or after a drop). */
static void
codel_empty(struct mcodel *c)
{
	if (c->phase == 0)
		c->dropping = false;
	else
		c->first_above = 0;     /* codel_should_drop(NULL) */
	if (c->phase == 2)
		c->dropping = false;
	c->phase = 0;
}

/* The head frame leaves through rx_dequeue, or (taken: true) has already
 * left, delivered, in a run that rx_dequeue_bulk took: the model must
 * agree it is delivered. @return true: delivered. */
static bool
dequeue_head_(struct prog *p, uint32_t id, bool true_sojourn, uint64_t sojourn,
	      uint32_t *len, bool taken)
{
	struct mvnic *m = &p->m[id];
	uint64_t t;
	*len = pop_head(p, id, &t);
	if (true_sojourn)
		sojourn = p->now - t;
	bool ok = taken || fn_switch_rx_dequeue(p->sw, id, *len, p->now, sojourn);
	bool want = true;
	if (m->conf.rx_aqm == FN_AQM_CODEL)
		want = !codel_decide(&m->cd, p, sojourn,
				     m->q_bytes > UINT32_MAX ? UINT32_MAX : m->q_bytes);
#ifdef FN_AQM_SMALL
	/* a small frame is never the one dropped; CoDel's schedule goes on */
	if (*len <= FN_AQM_SMALL)
		want = true;
#endif
	TRACE("  dequeue %u len %u sojourn %llu at %llu -> %d\n", id, *len,
	      (unsigned long long)sojourn, (unsigned long long)p->now, ok);
	CHECK_EQ(ok, want);
	if (sojourn > m->sojourn_max)
		m->sojourn_max = sojourn;
	if (m->conf.rx_aqm != FN_AQM_CODEL)
		STAT(deq_tail);
	if (ok) {
		m->delivered++;
		STAT(deq_deliver);
	} else {
		p->vctr[id][FN_VC_rx_drop_aqm]++;
		STAT(deq_codel_drop);
	}
	return ok;
}

static bool
dequeue_head(struct prog *p, uint32_t id, bool true_sojourn, uint64_t sojourn,
	     uint32_t *len)
{
	return dequeue_head_(p, id, true_sojourn, sojourn, len, false);
}

/* Up to n head frames with one sojourn (a run that arrived together):
 * either rx_dequeue_bulk takes them all, or each goes through rx_dequeue;
 * the model judges every frame either way. */
static void
dequeue_run(struct prog *p, uint32_t id, uint32_t n, uint64_t sojourn, bool bulk)
{
	struct mvnic *m = &p->m[id];
	uint32_t len, k = n < m->q_n ? n : m->q_n;
	uint64_t bytes = 0;
	for (uint32_t i = 0; i < k; i++)
		bytes += q_len[id][(m->q_head + i) % QCAP];
	bool taken = bulk && k > 0 &&
		     fn_switch_rx_dequeue_bulk(p->sw, id, k, bytes, p->now, sojourn);
	if (taken)
		STAT(deq_bulk);
	for (uint32_t i = 0; i < k; i++)
		dequeue_head_(p, id, false, sojourn, &len, taken);
}

static void
discard_head(struct prog *p, uint32_t id, enum fn_vnic_counter why)
{
	uint64_t t;
	uint32_t len = pop_head(p, id, &t);
	TRACE("  discard %u len %u why %d\n", id, len, why);
	fn_switch_rx_discard(p->sw, id, len, why);
	p->vctr[id][why]++;
	if (why == FN_VC_rx_drop_guest_full)
		STAT(discard_full);
	else
		STAT(discard_gone);
}

static void
queue_empty(struct prog *p, uint32_t id)
{
	struct mvnic *m = &p->m[id];
	CHECK_EQ(m->q_n, 0);
	TRACE("  queue_empty %u\n", id);
	fn_switch_rx_queue_empty(p->sw, id);
	STAT(queue_empty);
	codel_empty(&m->cd);
	m->rx_awake = false;
}

/* Direct use of the queue functions, outside any round. */
static void
op_queue(struct prog *p, struct rd *r)
{
	uint8_t b = u8(r);
	uint32_t id = b % NV;
	struct mvnic *m = &p->m[id];
	if (!m->in_use)
		return;
	uint32_t n = 1 + u8(r) % 64, len;
	switch (b / NV % 7) {
	case 0: {               /* arrivals of random lengths */
		uint32_t base = u16(r) % (2 * p->max_frame + 64);
		for (uint32_t i = 0; i < n; i++)
			offer(p, id, base + (i * 7) % 61);
		break;
	}
	case 1: {               /* arrivals until one is refused */
		uint32_t base = 1 + u16(r) % (p->max_frame + 4);
		uint64_t drops = p->vctr[id][FN_VC_rx_drop_queue_limit] +
				 p->vctr[id][FN_VC_rx_drop_pool] + p->vctr[id][FN_VC_rx_drop_rate];
		for (uint32_t i = 0; i < QCAP && m->ready; i++) {
			offer(p, id, base);
			if (p->vctr[id][FN_VC_rx_drop_queue_limit] + p->vctr[id][FN_VC_rx_drop_pool] +
			    p->vctr[id][FN_VC_rx_drop_rate] != drops)
				break;
		}
		break;
	}
	case 2:                 /* dequeues, true sojourn */
		for (uint32_t i = 0; i < n && m->q_n; i++)
			dequeue_head(p, id, true, 0, &len);
		break;
	case 3: {               /* a run's dequeues, a sojourn the caller made up */
		uint8_t sh = u8(r);
		/* bulk runs mostly near CoDel's target, where it matters */
		uint64_t s = (uint64_t)u16(r) << (sh & 0x80 ? sh % 24 : sh % 40);
		dequeue_run(p, id, n, s, sh & 0x80);
		break;
	}
	case 4:                 /* discards */
		for (uint32_t i = 0; i < n && m->q_n; i++)
			discard_head(p, id, i & 1 ? FN_VC_rx_drop_guest_full
						  : FN_VC_rx_drop_not_connected);
		break;
	default:
		if (m->q_n == 0)
			queue_empty(p, id);
		break;
	}
}

/* A standing queue over time, for CoDel: each step 1..3 frames arrive and
 * one leaves (true sojourn) or none, then time passes; now and then the
 * queue is drained (through CoDel, or discarded past it) and found empty. */
static void
op_pressure(struct prog *p, struct rd *r)
{
	uint32_t id = u8(r) % NV;
	struct mvnic *m = &p->m[id];
	if (!m->in_use || !m->ready)
		return;
	uint32_t steps = 1 + u8(r) % 128, len = 1 + u16(r) % (p->max_frame + 4), dlen;
	uint64_t dt = (1 + u8(r) % 64) * (p->hz / 2000 + 1);      /* 0.5 .. 32 ms */
	uint8_t arrive = 1 + u8(r) % 3;
	TRACE("pressure %u steps %u len %u dt %llu arrive %u\n", id, steps, len,
	      (unsigned long long)dt, arrive);
	for (uint32_t i = 0; i < steps; i++) {
		uint8_t c = u8(r);
		for (uint8_t a = 0; a < arrive; a++)
			offer(p, id, len);
		if (c % 4 && m->q_n)            /* or nobody was served this step */
			dequeue_head(p, id, true, 0, &dlen);
		if (c >= 240) {                 /* drained: delivered, or discarded */
			while (m->q_n) {
				if (c & 1)
					dequeue_head(p, id, true, 0, &dlen);
				else
					discard_head(p, id, FN_VC_rx_drop_guest_full);
			}
			queue_empty(p, id);
		}
		p->now += dt;
	}
}

/* ---- frames ---------------------------------------------------------------------- */

/* L3 bodies (after the Ethernet header) of the kinds the L3 guard judges,
 * from the input: sources and targets from the pools, ports that matter,
 * extension-header chains and fragments, ND options, cuts. The verdict is
 * never chosen here: guest_frames() asks l3_ref.h. */

#define L3_ROOM   320           /* bytes an L3 body may take */
#define OTHER_MAC UINT64_C(0x0200000000ff)

static const uint16_t l3_ports[8] = { 67, 68, 53, 546, 547, 1234, 0, 65535 };

static void
put16(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void
put32(uint8_t *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b + 2, v);
}

/* A frame's IPv4 address: the pool (0.0.0.0 at 7), one more, or any. */
static uint32_t
pick4(struct rd *r)
{
	uint8_t b = u8(r) % 10;
	return b < 8 ? pool4[b] : b == 8 ? 0x0a000007 : u32(r);
}

/* A frame's IPv6 address: the pool (:: at 7), the EUI-64 link-local
 * address of the sender's MAC or of another, or two more. */
static void
pick6(const struct prog *p, struct rd *r, uint32_t from, uint8_t *a)
{
	static const uint8_t more[2][16] = {
		{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 7 }, { 0xfe, 0x80, [15] = 2 },
	};
	uint8_t b = u8(r) % 12;
	if (b < 8)
		memcpy(a, pool6[b], 16);
	else if (b < 10)
		ref_eui64(b == 8 ? p->m[from].mac : OTHER_MAC, a);
	else
		memcpy(a, more[b - 10], 16);
}

/* UDP ports and length at u; @return the UDP bytes there: a whole header
 * and 0..12 bytes of data, or a header cut short (its datagram too). */
static uint32_t
udp_hdr(struct rd *r, uint8_t *u)
{
	uint8_t b = u8(r);
	uint32_t n = 8 + (b >> 6) * 4;
	put16(u, l3_ports[b & 7]);
	put16(u + 2, l3_ports[b >> 3 & 7]);
	put16(u + 4, n);
	if (u8(r) >= 224)
		n = b % 8;
	return n;
}

/* IPv4: UDP, or TCP / ICMP / IGMP; whole, the first fragment (MF), a
 * later one; with a Router Alert option or without. */
static uint32_t
ipv4_body(struct rd *r, uint8_t *h, bool udp)
{
	static const uint16_t frags[5] = { 0, 0x4000, 0x2000, 0x2001, 0x0001 };
	static const uint8_t protos[4] = { 6, 1, 2, 6 };
	uint8_t f = u8(r);
	uint32_t hl = f & 8 ? 24 : 20;
	h[0] = (uint8_t)(0x40 | hl / 4);
	put16(h + 6, frags[(f & 7) % 5]);
	h[8] = 64;
	h[9] = udp ? 17 : protos[f >> 4 & 3];
	if (hl == 24) {
		h[20] = 0x94;
		h[21] = 4;
	}
	put32(h + 12, pick4(r));
	put32(h + 16, f & 0x80 ? 0xffffffff : 0x0a000001);
	uint32_t l4 = udp ? udp_hdr(r, h + hl) : (f >> 6 & 1) * 8;
	put16(h + 2, hl + l4);
	return hl + l4;
}

/* ARP: request, reply, probe (sender 0.0.0.0), gratuitous (target =
 * sender); the sender's MAC its own mostly; a header broken now and then. */
static uint32_t
arp_body(const struct prog *p, struct rd *r, uint32_t from, uint8_t *h)
{
	static const uint16_t ops[4] = { 1, 2, 1, 3 };
	uint8_t f = u8(r);
	put16(h, 1);
	put16(h + 2, 0x0800);
	h[4] = 6;
	h[5] = 4;
	put16(h + 6, ops[f & 3]);
	fn_mac_store(h + 8, (f >> 2 & 3) == 3 ? OTHER_MAC : p->m[from].mac);
	uint32_t spa = pick4(r);
	put32(h + 14, spa);
	put32(h + 24, f & 0x10 ? spa : pick4(r));
	if ((f & 0xe0) == 0xe0)
		h[f % 6] ^= 0x10;
	return 28;
}

/* ICMPv6: RS, RA, NS, NA, redirect, echo, MLD reports; a target from the
 * pool, up to two options (link-layer ones with its own MAC or another,
 * lengths 0 or past the end now and then); cut inside now and then. */
static uint32_t
icmp6_msg(const struct prog *p, struct rd *r, uint32_t from, uint8_t *m)
{
	static const uint8_t types[8] = { 133, 134, 135, 136, 137, 128, 143, 131 };
	static const uint8_t otypes[4] = { 1, 2, 14, 1 };
	uint8_t t = u8(r), type = types[t & 7];
	uint32_t n = type == 134 ? 16 : type == 135 || type == 136 ? 24 :
		     type == 137 ? 40 : 8;
	m[0] = type;
	if (type >= 135 && type <= 137)
		pick6(p, r, from, m + 8);
	for (unsigned i = 0; i < (t >> 3 & 3u) % 3; i++, n += 8) {
		uint8_t o = u8(r);
		m[n] = otypes[o & 3];
		m[n + 1] = o & 0x10 ? (o & 0x20 ? 0 : 3) : 1;
		fn_mac_store(m + n + 2, o & 4 ? OTHER_MAC : p->m[from].mac);
	}
	if (t >= 224)
		n = u8(r) % (n + 1);
	return n;
}

/* IPv6 with UDP or ICMPv6 behind no extension header, hop-by-hop, a first
 * or later fragment header, a first fragment then destination options
 * (the evasion of RFC 7112, with what follows cut), hop-by-hop then
 * destination options, or one header more than fn_l3 walks. */
static uint32_t
ipv6_body(const struct prog *p, struct rd *r, uint32_t from, uint8_t *h, bool icmp)
{
	uint8_t e = u8(r), ext[FN_L3_MAX_EXT + 1];
	unsigned next = 0;
	uint16_t fo = 0x0001;
	h[0] = 0x60;
	h[7] = 255;
	pick6(p, r, from, h + 8);
	h[24] = 0xff;
	h[25] = 0x02;
	h[39] = e & 0x80 ? 2 : 1;
	switch (e & 7) {
	case 2: ext[next++] = 0; break;
	case 3: ext[next++] = 44; break;
	case 4: ext[next++] = 44; fo = 0x0009; break;
	case 5: ext[next++] = 44; ext[next++] = 60; break;
	case 6: ext[next++] = 0; ext[next++] = 60; break;
	case 7: while (next <= FN_L3_MAX_EXT) ext[next++] = 60; break;
	default: break;
	}
	uint8_t *nh = h + 6;
	uint32_t off = 40;
	for (unsigned i = 0; i < next; i++, off += 8) {
		*nh = ext[i];
		nh = h + off;
		if (ext[i] == 44) {
			put16(h + off + 2, fo);
		} else {
			h[off + 2] = 1;         /* PadN */
			h[off + 3] = 4;
		}
	}
	*nh = icmp ? 58 : 17;
	off += icmp ? icmp6_msg(p, r, from, h + off) : udp_hdr(r, h + off);
	put16(h + 4, off - 40);
	return off;
}

/*
 * An L3 body for a frame from vNIC `from` at d + 14, its ethertype in d:
 * IPv4 (UDP or other), ARP, IPv6 (UDP or ICMPv6), or bytes from the input
 * (bit 7: with a plausible version and length). Then cut short (the
 * length fields left pointing past the end, or rewritten to the cut), or
 * followed by Ethernet padding. @return the body's length.
 */
static uint32_t
gen_l3_body(struct prog *p, struct rd *r, uint32_t from, uint8_t *d)
{
	static const uint16_t raw[3] = { 0x0800, 0x86dd, 0x0806 };
	uint8_t *h = d + FN_ETH_HLEN, s = u8(r);
	uint16_t type;
	uint32_t n;
	memset(h, 0, L3_ROOM);
	switch (s & 7) {
	case 0: case 4:
		type = 0x0800;
		n = ipv4_body(r, h, (s & 7) == 0);
		break;
	case 1:
		type = 0x0806;
		n = arp_body(p, r, from, h);
		break;
	case 2: case 3:
		type = 0x86dd;
		n = ipv6_body(p, r, from, h, (s & 7) == 3);
		break;
	default:
		type = raw[(s & 7) - 5];
		n = u8(r) % 161;
		for (uint32_t i = 0; i < n; i++)
			h[i] = u8(r);
		if ((s & 0x80) && type == 0x0800 && n >= 4) {
			h[0] = 0x45;
			put16(h + 2, n);
		} else if ((s & 0x80) && type == 0x86dd && n >= 40) {
			h[0] = 0x60;
			put16(h + 4, n - 40);
		}
		break;
	}
	CHECK(n <= L3_ROOM - 40);
	put16(d + 12, type);
	uint8_t c = u8(r);
	if (c >= 144) {
		uint32_t keep = u8(r) % (n + 1);
		if (c >= 200 && type == 0x0800 && keep >= 4)
			put16(h + 2, keep);
		if (c >= 200 && type == 0x86dd && keep >= 40)
			put16(h + 4, keep - 40);
		memset(h + keep, 0, n - keep);
		n = keep;
	} else if (c & 1) {
		n += 8 + c % 32;        /* zeros after the datagram */
	}
	return n;
}

/* Build a frame in p->frame; returns its length. forced: a length to use. */
static uint32_t
gen_frame(struct prog *p, struct rd *r, int from, int64_t forced)
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
	if (forced >= 0)
		len = (uint32_t)forced;
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
	case 0:
		dst = p->m[k / 6 % NV].mac;
		if (from >= 0) {        /* mostly a peer in the sender's domain */
			const struct mvnic *f = &p->m[from];
			for (uint32_t i = 0, j = k / 6 % NV; i < NV; i++, j = (j + 1) % NV)
				if ((int)j != from && p->m[j].in_use && p->m[j].uplink == f->uplink &&
				    p->m[j].vlan == f->vlan) {
					dst = p->m[j].mac;
					break;
				}
		}
		break;
	case 1: dst = p->m[k / 6 % NV].mac; break;
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
	} else if (from >= 0 && k % 16 >= 2 && k % 16 <= 6) {
		/* an L3 frame, of its own length unless one is forced */
		uint32_t n = gen_l3_body(p, r, (uint32_t)from, d);
		if (forced < 0)
			len = FN_ETH_HLEN + n;
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

/* A frame from the wire, `copies` times: classified each time, then
 * queued for its target(s) (tag stripped first, as the adapter does). */
static void
wire_frame(struct prog *p, struct rd *r, uint32_t copies)
{
	uint16_t u = u8(r) % NU;
	uint32_t len = gen_frame(p, r, -1, -1);
	for (uint32_t c = 0; c < copies; c++) {
		uint64_t dst, src;
		uint16_t vid;
		bool tagged;
		uint32_t target = 0xdead;
		bool strip = false;
		enum fn_verdict vd = fn_switch_rx_classify(p->sw, u, p->frame, len,
							   &target, &strip);
		TRACE("rx uplink %u len %u dst %012llx type %02x%02x -> %d target %u\n", u,
		      len, (unsigned long long)fn_mac_load(p->frame), p->frame[12],
		      p->frame[13], vd, target);
		p->uctr[u][FN_UC_rx_packets]++;
		p->uctr[u][FN_UC_rx_bytes] += len;
		if (!model_parse(p, p->frame, len, &dst, &src, &vid, &tagged)) {
			CHECK_EQ(vd, FN_DROP);
			p->uctr[u][FN_UC_rx_drop_malformed]++;
			continue;
		}
		if (vid == 0)
			vid = NONE;
		uint32_t qlen = len - (tagged ? FN_VLAN_HLEN : 0);
		if (dst & FN_MAC_GROUP_BIT) {
			uint32_t want = vid == 4095 ? 0 : domain_set(p, u, vid);
			if (want == 0) {
				CHECK_EQ(vd, FN_DROP);
				p->uctr[u][FN_UC_rx_drop_no_vnic]++;
				continue;
			}
			CHECK_EQ(vd, FN_FLOOD);
			CHECK_EQ(strip, tagged);
			uint32_t order[NV], n;
			check_flood(p, target, NOV, want, order, &n);
			for (uint32_t i = 0; i < n; i++)
				offer(p, order[i], qlen);
			continue;
		}
		int id = vid == 4095 ? -1 : model_find(p, u, vid, dst);
		if (id < 0) {
			CHECK_EQ(vd, FN_DROP);
			p->uctr[u][FN_UC_rx_drop_no_vnic]++;
			continue;
		}
		CHECK_EQ(vd, FN_TO_VNIC);
		CHECK_EQ(target, id);
		CHECK_EQ(strip, tagged);
		offer(p, (uint32_t)id, qlen);
	}
}

/* The counter of each L3 verdict but OK (fn_counters.h's descriptions). */
static enum fn_vnic_counter
model_l3_counter(enum fn_l3_verdict v)
{
	switch (v) {
	case FN_L3_IP_SPOOF:    return FN_VC_tx_drop_ip_spoof;
	case FN_L3_ARP_SPOOF:   return FN_VC_tx_drop_arp_spoof;
	case FN_L3_ND_SPOOF:    return FN_VC_tx_drop_nd_spoof;
	case FN_L3_DHCP_SERVER: return FN_VC_tx_drop_dhcp_server;
	case FN_L3_RA:          return FN_VC_tx_drop_ra;
	case FN_L3_MALFORMED:   return FN_VC_tx_drop_l3_malformed;
	default:                CHECK(0); return FN_VC_MAX;
	}
}

static uint64_t
ctr_sum(const struct fn_vnic *v)
{
	uint64_t s = 0;
	for (int c = 0; c < FN_VC_MAX; c++)
		s += v->ctr[c];
	return s;
}

/* `n` copies of the frame in p->frame sent by vNIC id: tx_classify each.
 * @return the bytes switched to a local vNIC (not over the link). */
static uint64_t
guest_frames(struct prog *p, uint32_t id, uint32_t len, uint32_t n)
{
	uint64_t local = 0;
	struct mvnic *m = &p->m[id];
	uint64_t dst = 0, src = 0;
	uint16_t vid;
	bool tagged = false;
	bool ok = model_parse(p, p->frame, len, &dst, &src, &vid, &tagged);
	/* past the MAC check, the L3 guard: the reference's verdict on the
	 * model's own copy of the vNIC's settings */
	enum fn_l3_verdict l3 = FN_L3_OK;
	if (ok && src == m->mac && !tagged) {
		struct fn_l3_policy pol = model_l3(&m->conf);
		l3 = ref_check(&pol, p->frame + FN_ETH_HLEN, len - FN_ETH_HLEN,
			       (uint16_t)(p->frame[12] << 8 | p->frame[13]));
#ifdef FUZZ_STATS
		stats[ST_l3_ok + l3] += n;
		if (pol.ip.restricted)
			STAT(l3_restricted);
#endif
	}
	for (uint32_t f = 0; f < n; f++) {
		uint32_t target = 0xdead;
		uint64_t before = ctr_sum(&p->sw->vnics[id]);
		enum fn_verdict vd = fn_switch_tx_classify(p->sw, id, p->frame, len, &target);
		TRACE("  tx from %u len %u dst %012llx src %012llx type %02x%02x -> %d target %u"
		      " (l3 %d)\n", id, len, (unsigned long long)fn_mac_load(p->frame),
		      (unsigned long long)fn_mac_load(p->frame + 6), p->frame[12],
		      p->frame[13], vd, target, l3);
		/* a drop is counted once, a frame sent on is not counted here */
		CHECK_EQ(ctr_sum(&p->sw->vnics[id]) - before, vd == FN_DROP);
		uint64_t *ctr = p->vctr[id];
		if (!ok) {
			CHECK_EQ(vd, FN_DROP);
			ctr[FN_VC_tx_drop_malformed]++;
			continue;
		}
		if (src != m->mac || tagged) {
			CHECK_EQ(vd, FN_DROP);
			ctr[FN_VC_tx_drop_spoof]++;
			continue;
		}
		if (l3 != FN_L3_OK) {
			CHECK_EQ(vd, FN_DROP);
			ctr[model_l3_counter(l3)]++;
			continue;
		}
		if (dst & FN_MAC_GROUP_BIT) {
			CHECK_EQ(vd, FN_FLOOD);
			uint32_t want = m->local ? domain_set(p, m->uplink, m->vlan) &
						   ~(1u << id) : 0;
			for (int i = 0; i < NV; i++)
				if (!p->m[i].local)
					want &= ~(1u << i);
			uint32_t order[NV], k;
			check_flood(p, target, id, want, order, &k);
			for (uint32_t i = 0; i < k; i++)
				offer(p, order[i], len);
			continue;
		}
		int peer = model_find(p, m->uplink, m->vlan, dst);
		if (peer >= 0) {
			if ((uint32_t)peer == id || !m->local || !p->m[peer].local) {
				CHECK_EQ(vd, FN_DROP);
				ctr[FN_VC_tx_drop_local_denied]++;
			} else {
				CHECK_EQ(vd, FN_TO_VNIC);
				CHECK_EQ(target, peer);
				offer(p, (uint32_t)peer, len);
				local += len;
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
	return local;
}

/* Frames a guest sends outside a polling round (tx_classify does not care
 * which round): an L3 body always, from its own MAC, to a local peer in
 * its domain, broadcast, multicast or an unknown unicast MAC; 1..4 copies. */
static void
op_guest(struct prog *p, struct rd *r)
{
	uint8_t b = u8(r), k = u8(r);
	uint32_t id = b % NV;
	const struct mvnic *m = &p->m[id];
	if (!m->in_use)
		return;
	uint64_t dst = k % 4 == 1 ? BCAST : k % 4 == 2 ? UINT64_C(0x333300000001)
						       : UINT64_C(0x0200000000ee);
	for (uint32_t j = 0; k % 4 == 0 && j < NV; j++)
		if (j != id && p->m[j].in_use && p->m[j].uplink == m->uplink &&
		    p->m[j].vlan == m->vlan) {
			dst = p->m[j].mac;
			break;
		}
	memset(p->frame, 0, FN_ETH_HLEN);
	fn_mac_store(p->frame, dst);
	fn_mac_store(p->frame + 6, m->mac);
	uint32_t len = FN_ETH_HLEN + gen_l3_body(p, r, id, p->frame);
	TRACE("guest %u\n", id);
	guest_frames(p, id, len, 1 + b / NV % 4);
}

/* ---- rounds ------------------------------------------------------------------------ */

/* A service of flow id in scheduler (dir, k) reported to done(). */
static void
account(struct prog *p, int dir, uint32_t k, uint32_t id, uint32_t frames, uint64_t bytes,
	uint64_t link_bytes)
{
	struct mvnic *m = &p->m[id];
	m->svc_pkts[dir] += frames;
	m->svc_bytes[dir] += bytes;
	m->last_pkts[dir] = frames;
	m->last_bytes[dir] = bytes;
	struct msched *ms = &p->sch[dir][k];
	ms->bytes += link_bytes;
	ms->last_bytes = link_bytes;
	if (dir == TX)
		STAT(tx_service);
	else
		STAT(rx_service);
	if (ms->cap && dir == TX)
		STAT(tx_capped);
	if (ms->cap && dir == RX)
		STAT(rx_capped);
	const struct fn_vnic_conf *c = &m->conf;
	if (dir == TX ? c->tx_rate || c->tx_pps : !c->rx_police && (c->rx_rate || c->rx_pps))
		STAT(ceil_limited);
}

/* What next() returned must be a member of this scheduler, awake. */
static void
check_offer(const struct prog *p, int dir, uint32_t k, uint32_t id, uint32_t budget)
{
	CHECK(id < NV);
	const struct mvnic *m = &p->m[id];
	CHECK(m->in_use);
	CHECK_EQ(sidx(m->uplink), k);
	CHECK(dir == TX ? m->ready : m->rx_awake);
	CHECK(budget >= 1 && budget <= FN_SCHED_BURST);
}

/* The only flow of transmit scheduler k, if it is connected, unlimited
 * and its link too: its id, else -1. */
static int
lone_flow(const struct prog *p, uint32_t k)
{
	int id = -1;
	for (int i = 0; i < NV; i++)
		if (p->m[i].in_use && sidx(p->m[i].uplink) == k) {
			if (id >= 0)
				return -1;
			id = i;
		}
	if (id < 0)
		return -1;
	const struct mvnic *m = &p->m[id];
	if (!m->ready || m->conf.tx_rate || m->conf.tx_pps || p->sch[TX][k].cap)
		return -1;
	return id;
}

/* A well-formed untagged frame from vNIC `from` to a local peer in its
 * domain (if it has one and `local`), else to an unknown unicast MAC (the
 * uplink). @return its length. */
static uint32_t
busy_frame(struct prog *p, struct rd *r, uint32_t from, bool local)
{
	const struct mvnic *f = &p->m[from];
	uint64_t dst = UINT64_C(0x0200000000ee);
	for (uint32_t j = 0; local && j < NV; j++)
		if (j != from && p->m[j].in_use && p->m[j].uplink == f->uplink &&
		    p->m[j].vlan == f->vlan) {
			dst = p->m[j].mac;
			break;
		}
	uint32_t len = 60 + u8(r) * (p->max_frame - 60) / 255;
	memset(p->frame, 0, len);
	fn_mac_store(p->frame, dst);
	fn_mac_store(p->frame + 6, f->mac);
	p->frame[12] = 0x08;
	return len;
}

/* mix: a busy link, every service taking its whole budget, frames to the
 * uplink and to local peers in turn (the link's capacity with refunds). */
static void
tx_round(struct prog *p, struct rd *r, uint32_t k, bool mix)
{
	struct fn_sched *s = &p->sw->tx_sched[k];
	struct msched *ms = &p->sch[TX][k];
	int lone = lone_flow(p, k);
	uint32_t max_services = lone >= 0 ? 512 : 1 + u8(r) % 64;
	uint32_t lone_len = 0;
	if (lone >= 0) {
		/* frames of one size, the same as last round mostly */
		uint8_t b = u8(r);
		lone_len = ms->streak && b < 192 ? ms->lone_len
			   : 14 + (uint32_t)u16(r) % (p->max_frame - 13);
		if (ms->streak && (ms->lone_id != (uint32_t)lone || ms->lone_len != lone_len))
			ms->streak = 0;
	}
	TRACE("tx round %u at %llu lone %d len %u streak %u\n", k,
	      (unsigned long long)p->now, lone, lone_len, ms->streak);
	fn_sched_begin(s, p->now);
	uint32_t services = 0, budget, id;
	uint64_t round_bytes = 0;
	bool complete = false;
	for (;;) {
		if (services == max_services)
			break;
		if ((id = fn_sched_next(s, &budget)) == FN_SCHED_NONE) {
			complete = true;
			if (ms->cap && s->cap_tb.tokens <= 0)
				STAT(cap_exhausted);
			break;
		}
		TRACE(" tx next %u budget %u\n", id, budget);
		check_offer(p, TX, k, id, budget);
		if (lone >= 0)
			CHECK_EQ(id, lone);
		uint32_t n, len;
		if (lone >= 0) {
			/* takes its whole budget */
			n = budget;
			len = gen_frame(p, r, (int)id, lone_len);
		} else if (mix) {
			n = budget;
			len = busy_frame(p, r, id, services & 1);
		} else {
			uint8_t b = u8(r);
			if (b >= 200)           /* the uplink's room */
				budget = 1 + b % budget;
			b = u8(r);
			n = b < 128 ? budget : b % (budget + 1);
			len = gen_frame(p, r, (int)id, -1);
		}
		uint64_t local = guest_frames(p, id, len, n);
		uint64_t bytes = (uint64_t)n * len;
		fn_sched_done(s, id, n, bytes, n < budget);
		if (local) {    /* switched here, not sent over the link */
			fn_sched_refund(s, local);
			STAT(refund);
			if (ms->cap)
				STAT(refund_capped);
		}
		account(p, TX, k, id, n, bytes, bytes - local);
		round_bytes += bytes;
		services++;
	}
	if (lone >= 0) {
		/* work conserving: a lone flow is served in every round */
		CHECK(services > 0);
		/* From the third full round in a row, the last one left its
		 * deficit within (-len, 0]: this one gives at least a quantum
		 * less one frame. */
		STAT(lone_round);
		if (complete && ms->streak >= 2) {
			STAT(lone_checked);
			CHECK(round_bytes + lone_len >= FN_SCHED_QUANTUM);
		}
		if (complete) {
			ms->streak++;
			ms->lone_id = (uint32_t)lone;
			ms->lone_len = lone_len;
		} else {
			ms->streak = 0;
		}
	} else {
		ms->streak = 0;
	}
}

/* One round of transmit scheduler k, or a few in a row at the same time
 * (the data plane's rounds are much shorter than any clock step here). */
static void
op_tx_round(struct prog *p, struct rd *r)
{
	uint8_t b = u8(r);
	uint32_t reps = b / NS % 4 == 0 ? 4 : 1;
	bool mix = b / NS % 8 == 4;
	if (mix)
		reps = 4;
	for (uint32_t i = 0; i < reps; i++)
		tx_round(p, r, b % NS, mix);
}

static void
op_rx_round(struct prog *p, struct rd *r)
{
	uint32_t k = u8(r) % NS;
	struct fn_sched *s = &p->sw->rx_sched[k];
	uint32_t max_services = 1 + u8(r) % 64;
	TRACE("rx round %u at %llu\n", k, (unsigned long long)p->now);
	fn_sched_begin(s, p->now);
	uint32_t budget, id, len;
	for (uint32_t services = 0; services < max_services; services++) {
		if ((id = fn_sched_next(s, &budget)) == FN_SCHED_NONE)
			break;
		TRACE(" rx next %u budget %u\n", id, budget);
		check_offer(p, RX, k, id, budget);
		struct mvnic *m = &p->m[id];
		uint8_t b = u8(r);
		if (b >= 224)                   /* the round's work budget */
			budget = 1 + b % budget;
		uint32_t n = 0;
		uint64_t bytes = 0;
		if (!m->ready) {
			/* the guest left: nobody to wait for */
			while (m->q_n)
				discard_head(p, id, FN_VC_rx_drop_not_connected);
		} else {
			b = u8(r);
			uint32_t full_at = b >= 224 ? b % budget : UINT32_MAX;
			uint32_t taken = 0;
			while (taken < budget && m->q_n) {
				if (taken == full_at) {
					/* the guest's ring is full: the rest waits */
					discard_head(p, id, FN_VC_rx_drop_guest_full);
					break;
				}
				taken++;
				if (dequeue_head(p, id, true, 0, &len)) {
					n++;
					bytes += len;
				}
			}
		}
		bool empty = m->q_n == 0;
		fn_sched_done(s, id, n, bytes, empty);
		account(p, RX, k, id, n, bytes, bytes);
		if (empty)
			queue_empty(p, id);
		if (u8(r) >= 240)               /* wire frames between services */
			wire_frame(p, r, 1 + u8(r) % 8);
	}
}

/* ---- invariants ------------------------------------------------------------------------ */

/* sent (since t0, `last` of it in the last service) within rate * dt +
 * depth (+ one unit of debt for frame ceilings: the budget is whole
 * frames, at least one with any credit). */
static void
check_ceiling(const struct prog *p, uint64_t rate, u128 depth, uint64_t sent, uint64_t last,
	      uint64_t t0, bool bits)
{
	if (!rate)
		return;
	__int128 hz = (__int128)p->hz, dt = (__int128)(p->now - t0);
	if (bits)
		CHECK((__int128)(sent - last) * 8 * hz < (__int128)depth * 8 * hz +
							  (__int128)rate * dt + 1);
	else
		CHECK((__int128)sent * hz < (__int128)depth * hz + (__int128)rate * dt + hz);
}

static void
check_all(const struct prog *p)
{
	const struct fn_switch *sw = p->sw;
	uint32_t in_use = 0, heads = 0;
	uint32_t n_flows[NS] = { 0 };
	for (uint32_t i = 0; i < NV; i++) {
		const struct fn_vnic *v = &sw->vnics[i];
		const struct mvnic *m = &p->m[i];
		CHECK_EQ(v->in_use, m->in_use);
		for (uint32_t k = 0; k < NS; k++) {
			bool here = m->in_use && sidx(m->uplink) == k;
			CHECK_EQ(sw->rx_sched[k].flows[i].member, here);
			CHECK_EQ(sw->tx_sched[k].flows[i].member, here);
			if (!here)
				continue;
			n_flows[k]++;
			CHECK_EQ(sw->tx_sched[k].flows[i].awake, m->ready);
			CHECK_EQ(sw->rx_sched[k].flows[i].awake, m->rx_awake);
		}
		if (!v->in_use)
			continue;   /* a free slot's counters are nobody's */
		for (int c = 0; c < FN_VC_MAX; c++)
			CHECK_EQ(v->ctr[c], p->vctr[i][c]);
		in_use++;
		CHECK_EQ(v->mac, m->mac);
		CHECK_EQ(v->uplink, m->uplink);
		CHECK_EQ(v->vlan, m->vlan);
		CHECK_EQ(v->local, m->local);
		/* the L3 guard as configured, on when it checks anything */
		CHECK(ipset_same(&v->conf.ip, &m->conf.ip));
		CHECK_EQ(v->conf.dhcp_server, m->conf.dhcp_server);
		CHECK_EQ(v->conf.ra, m->conf.ra);
		CHECK_EQ(v->l3_guard, m->conf.ip.restricted || !m->conf.dhcp_server ||
				      !m->conf.ra);
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

		/* the receive queue */
		const struct fn_vnic_conf *c = &m->conf;
		CHECK_EQ(v->rxq.held, m->q_n);
		CHECK_EQ(v->rxq.bytes, m->q_bytes);
		CHECK_EQ(v->rxq.reserve, m->reserve);
		CHECK_EQ(v->rxq.byte_limit, c->rx_queue);
		CHECK(v->rxq.bytes <= c->rx_queue || (m->q_over && v->rxq.bytes <= m->q_over));
		CHECK_EQ(v->rx_sojourn_max, m->sojourn_max);
		/* every frame offered is in exactly one place */
		const uint64_t *vc = v->ctr;
		CHECK_EQ(m->offered, v->rxq.held + m->delivered + vc[FN_VC_rx_drop_rate] +
					     vc[FN_VC_rx_drop_queue_limit] + vc[FN_VC_rx_drop_pool] +
					     vc[FN_VC_rx_drop_aqm] + vc[FN_VC_rx_drop_guest_full] +
					     vc[FN_VC_rx_drop_not_connected]);

		/* the policer: tokens within bounds, and never more admitted
		 * since the last (re)configuration than burst + rate * elapsed */
		__int128 dt = (__int128)(p->now - m->t_cfg), hz = (__int128)p->hz;
		CHECK(v->rx_bits.tokens <= v->lim.rx_bits.max_tokens);
		CHECK(v->rx_pkts.tokens <= v->lim.rx_pkts.max_tokens);
		CHECK(v->rx_bits.tokens >= 0 && v->rx_pkts.tokens >= 0);
		if (c->rx_police && c->rx_pps)
			CHECK((__int128)m->pol_pkts * hz <=
			      (__int128)c->rx_pps_burst * hz + (__int128)c->rx_pps * dt);
		if (c->rx_police && c->rx_rate)
			CHECK((__int128)m->pol_bytes * 8 * hz <=
			      (__int128)c->rx_burst * 8 * hz + (__int128)c->rx_rate * dt);
		/* the schedulers' ceilings (policing replaces the receive one) */
		check_ceiling(p, c->tx_rate, c->tx_burst, m->svc_bytes[TX], m->last_bytes[TX],
			      m->t_cfg, true);
		check_ceiling(p, c->tx_pps, c->tx_pps_burst, m->svc_pkts[TX], m->last_pkts[TX],
			      m->t_cfg, false);
		if (!c->rx_police) {
			check_ceiling(p, c->rx_rate, c->rx_burst, m->svc_bytes[RX],
				      m->last_bytes[RX], m->t_cfg, true);
			check_ceiling(p, c->rx_pps, c->rx_pps_burst, m->svc_pkts[RX],
				      m->last_pkts[RX], m->t_cfg, false);
		}
	}
	CHECK_EQ(sw->n_vnics, in_use);
	CHECK_EQ(sw->fib->count, in_use + heads);
	fib_check(sw->fib);
	for (int u = 0; u < NU; u++)
		for (int c = 0; c < FN_UC_MAX; c++)
			CHECK_EQ(sw->uplink_ctr[u][c], p->uctr[u][c]);

	/* the pool: totals against a recount over all vNICs */
	uint64_t reserved = 0, shared = 0;
	for (uint32_t i = 0; i < NV; i++) {
		const struct fn_bufq *q = &sw->vnics[i].rxq;
		if (!sw->vnics[i].in_use)
			continue;
		reserved += q->reserve;
		shared += q->held > q->reserve ? q->held - q->reserve : 0;
	}
	CHECK_EQ(sw->buf.reserved, reserved);
	CHECK_EQ(sw->buf.shared_used, shared);
	CHECK_EQ(sw->buf.total, p->buf_total);
	CHECK_EQ(sw->buf.system, p->buf_system);
	CHECK_EQ(reserved, model_reserved(p));
	CHECK_EQ(shared, model_shared(p));

	/* schedulers: members, capacities, guarantees under capacities */
	for (uint32_t k = 0; k < NS; k++) {
		CHECK_EQ(sw->rx_sched[k].n_flows, n_flows[k]);
		CHECK_EQ(sw->tx_sched[k].n_flows, n_flows[k]);
		CHECK_EQ(sw->rx_cap[k], p->sch[RX][k].cap);
		CHECK_EQ(sw->tx_cap[k], p->sch[TX][k].cap);
		uint16_t u = k == NU ? NOUP : (uint16_t)k;
		for (int d = 0; d < 2; d++) {
			const struct msched *ms = &p->sch[d][k];
			uint64_t sum = model_min_sum(p, u, d, -1);
			CHECK_EQ(fn_switch_min_sum(sw, u, d == RX ? FN_DIR_RX : FN_DIR_TX, NOV), sum);
			if (ms->cap)
				CHECK(sum <= ms->cap);
			check_ceiling(p, ms->cap, cap_depth_max(ms->cap), ms->bytes, ms->last_bytes,
				      ms->t_cap, true);
		}
	}
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
	/* until told, room for every queue's reserve (fn_switch_create) */
	p.buf_total = 2 * NV * FN_RXQ_RESERVE_MAX;
	p.buf_system = 0;
	p.rxq_reserve = FN_RXQ_RESERVE_MAX;
	if (b / 15 % 4 != 0)
		op_buffers(&p, r);
	p.now = u32(r);
	check_all(&p);
	while (r->n) {
		uint8_t op = u8(r);
		switch (op % 32) {
		case 0: case 1: case 2: op_add(&p, r); break;
		case 3: op_update(&p, r); break;
		case 4: op_tune(&p, r); break;
		case 5: op_del(&p, r); break;
		case 6: case 7: op_ready(&p, r); break;
		case 8: op_uplink_set(&p, r); break;
		case 9: op_buffers(&p, r); break;
		case 10: case 11: case 12: wire_frame(&p, r, 1); break;
		case 13: wire_frame(&p, r, 1 + u8(r)); break;
		case 14: op_queue(&p, r); break;
		case 15: op_pressure(&p, r); break;
		case 16: case 17: case 18: case 19: op_tx_round(&p, r); break;
		case 20: case 21: case 22: case 23: op_rx_round(&p, r); break;
		case 24: op_reset(&p, r); break;
		case 25:      /* a jump: up to about 2^47 cycles */
			p.now += (uint64_t)u16(r) << (u8(r) % 32);
			break;
		case 31: op_guest(&p, r); break;
		default:      /* a step of a few cycles to a few periods */
			p.now += (uint64_t)u8(r) * (op / 32 + 1) * (p.hz / 1000 + 1);
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
