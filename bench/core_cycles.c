/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * core_cycles: what fairnic's pure core costs per frame on the 64 B VM ->
 * VM path, in CPU cycles, without vhost's copies (which dominate `make
 * bench`'s Mpps and its noise). It runs the core calls the data plane
 * makes, in the data plane's order, for two vNICs on one uplink, vm1
 * sending flat out to vm2 (IPv4/UDP from 10.0.0.1 to 10.0.0.2), 64 frames
 * per polling round:
 *   classify   fn_switch_tx_classify per frame (what a switch must do),
 *              without any L3 guard (ip any, dhcp-server and ra allow);
 *   guard      the same with the default guard (dhcp-server deny, ra deny:
 *              IPv4 frames are looked at for DHCP ports);
 *   ip         + `ip` set on both vNICs (5 IPv4 and 2 IPv6 prefixes, the
 *              sender's address 4th), the source checked per frame;
 *   queues     + the receive queue: admission per frame, fn_fifo, one
 *                CoDel verdict per run (fn_switch_rx_dequeue_bulk);
 *   schedulers + the transmit and receive schedulers, no limits;
 *   sharing    + guarantees, weights, ceilings (bits and frames) and link
 *                capacities in both directions, none binding (as the
 *                sharing row of `make bench`).
 * Each stage is timed with the TSC over 2^22 frames, the stages taking
 * turns; the median of 15 runs of each is printed, and the difference
 * between stages is what each adds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>
#include "fn_fifo.h"
#include "fn_switch.h"

#define FRAMES   (1u << 21)
#define RUNS     15
#define BURST    32
#define HZ       UINT64_C(2300000000)   /* simulated clock: rates never bind */

enum stage { CLASSIFY, GUARD, IPSET, QUEUES, SCHEDULERS, SHARING, N_STAGES };
static const char *const stage_name[N_STAGES] = {
	"classify (source MAC check, MAC lookup, counters), no L3 guard",
	"+ default L3 guard (dhcp-server deny, ra deny)",
	"+ ip set on both vNICs (source address checked)",
	"+ receive queue (admission, fifo, CoDel per run)",
	"+ schedulers in both directions, no limits",
	"+ min, weight, ceilings, uplink capacity (not binding)",
};

static struct fn_switch *
make_switch(enum stage st, uint32_t *vm1, uint32_t *vm2)
{
	struct fn_switch *sw = fn_switch_create(8, 1, HZ, 1514);
	if (sw == NULL || fn_switch_buffers(sw, 65535, 4096) != 0)
		exit(1);
	struct fn_vnic_conf c = { .uplink = 0, .vlan = FN_VLAN_NONE, .local = true };
	char err[160];
	if (st == CLASSIFY)
		c.dhcp_server = c.ra = true;
	if (st >= IPSET && fn_ipset_parse("192.168.7.0/24,172.16.0.9,10.9.0.0/16,"
					  "2001:db8::5,fd00:1::/64,10.0.0.1,10.0.0.2",
					  &c.ip, err, sizeof(err)) != 0) {
		fprintf(stderr, "core_cycles: %s\n", err);
		exit(1);
	}
	if (st == SHARING) {
		if (fn_switch_uplink_set(sw, 0, 100000000000ull, 100000000000ull, 0) != 0)
			exit(1);
		c.rx_rate = c.tx_rate = 100000000000ull;
		c.rx_pps = c.tx_pps = 100000000;
		c.rx_min = c.tx_min = 1000000000;
		c.rx_weight = 3;
		c.tx_weight = 2;
	}
	c.mac = 0x525400000001ull;
	if (fn_switch_vnic_add(sw, &c, 0, vm1) != 0)
		exit(1);
	c.mac = 0x525400000002ull;
	if (fn_switch_vnic_add(sw, &c, 0, vm2) != 0)
		exit(1);
	fn_switch_vnic_ready(sw, *vm1, true);
	fn_switch_vnic_ready(sw, *vm2, true);
	return sw;
}

/* Cycles per frame of one run of stage st. */
static double
run(enum stage st)
{
	static uint8_t frame[64];
	static struct fn_fifo_pool pool;
	struct fn_fifo q;
	uint32_t vm1, vm2, target, budget, id;
	struct fn_switch *sw = make_switch(st, &vm1, &vm2);
	struct fn_sched *tx = &sw->tx_sched[0], *rx = &sw->rx_sched[0];
	const uint64_t src = 0x525400000001ull, dst = 0x525400000002ull;
	for (int i = 0; i < 6; i++) {
		frame[i] = (uint8_t)(dst >> (40 - 8 * i));
		frame[6 + i] = (uint8_t)(src >> (40 - 8 * i));
	}
	/* IPv4/UDP 10.0.0.1:4000 -> 10.0.0.2:5000 (checksums are not checked) */
	static const uint8_t ip[28] = { 0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0,
		10, 0, 0, 1, 10, 0, 0, 2, 0x0f, 0xa0, 0x13, 0x88, 0, 26, 0, 0 };
	frame[12] = 0x08;
	memcpy(frame + 14, ip, sizeof(ip));
	if (pool.mem == NULL && fn_fifo_pool_init(&pool, 65536) != 0)
		exit(1);
	fn_fifo_init(&q);
	uint64_t now = 1, sink = 0;
	uint32_t done = 0;
	uint64_t t0 = __rdtsc();
	while (done < FRAMES) {
		now += 2 * BURST * 230;         /* a round at 10 Mpps */
		/* transmit: vm1's guest gives a burst per visit (vm2's none) */
		uint32_t taken = 0;
		if (st >= SCHEDULERS)
			fn_sched_begin(tx, now);
		for (int visit = 0; visit < 2 * 2; visit++) {
			if (st >= SCHEDULERS) {
				if ((id = fn_sched_next(tx, &budget)) == FN_SCHED_NONE)
					break;
			} else {
				id = visit % 2 ? vm2 : vm1;
				budget = BURST;
			}
			uint32_t n = id == vm1 && taken < 2 * BURST ? budget : 0;
			for (uint32_t i = 0; i < n; i++) {
				if (fn_switch_tx_classify(sw, vm1, frame, 60, &target) != FN_TO_VNIC)
					exit(2);
				sink += target;
				if (st >= QUEUES) {
					if (fn_switch_rx_enqueue(sw, target, 60, now))
						fn_fifo_push(&pool, &q, frame, now);
				}
			}
			taken += n;
			if (st >= SCHEDULERS)
				fn_sched_done(tx, id, n, (uint64_t)n * 60, n < budget);
		}
		done += taken;
		if (st < QUEUES)
			continue;
		/* receive: vm2's queue is delivered by the receive scheduler */
		if (st >= SCHEDULERS)
			fn_sched_begin(rx, now);
		while (!fn_fifo_empty(&q)) {
			if (st >= SCHEDULERS) {
				if ((id = fn_sched_next(rx, &budget)) == FN_SCHED_NONE)
					break;
			} else {
				id = vm2;
				budget = BURST;
			}
			void **items;
			uint64_t at;
			uint32_t n = 0, r;
			while (n < budget && (r = fn_fifo_run(&q, &items, &at)) > 0) {
				if (r > budget - n)
					r = budget - n;
				if (!fn_switch_rx_dequeue_bulk(sw, id, r, (uint64_t)r * 60, now, now - at))
					exit(3);
				fn_fifo_pop(&pool, &q, r);
				n += r;
			}
			bool empty = fn_fifo_empty(&q);
			if (st >= SCHEDULERS)
				fn_sched_done(rx, id, n, (uint64_t)n * 60, empty);
			if (empty)
				fn_switch_rx_queue_empty(sw, id);
		}
	}
	uint64_t cycles = __rdtsc() - t0;
	if (sink != (uint64_t)done * vm2 || (st >= QUEUES && sw->vnics[vm2].rxq.held != 0))
		exit(4);
	fn_switch_free(sw);
	return (double)cycles / done;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int
main(void)
{
	double med[N_STAGES];
	printf("fairnic core, 64 B VM -> VM, TSC cycles per frame (median of %d runs of %u frames)\n\n",
	       RUNS, FRAMES);
	printf("| stage | cycles/frame | adds |\n|---|---|---|\n");
	/* stages interleaved, so that a noisy spell of the machine hits all */
	double r[N_STAGES][RUNS];
	for (int i = 0; i < RUNS; i++)
		for (int st = 0; st < N_STAGES; st++)
			r[st][i] = run((enum stage)st);
	for (int st = 0; st < N_STAGES; st++) {
		qsort(r[st], RUNS, sizeof(r[st][0]), cmp);
		med[st] = r[st][RUNS / 2];
		if (st == 0)
			printf("| %s | %.1f | |\n", stage_name[st], med[st]);
		else
			printf("| %s | %.1f | %+.1f |\n", stage_name[st], med[st], med[st] - med[st - 1]);
	}
	printf("\nthe L3 guard with ip set adds %.1f cycles per frame (%.1f of them the default guard)\n",
	       med[IPSET] - med[CLASSIFY], med[GUARD] - med[CLASSIFY]);
	printf("scheduling and sharing add %.1f cycles per frame over the queues alone\n",
	       med[SHARING] - med[QUEUES]);
	return 0;
}
