/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fnd_extstats: losses that happen outside fairnic's own code, read where
 * they are counted, so that every frame still lands in exactly one counter:
 *  - an uplink port's imissed / rx_nombuf / ierrors (frames the port
 *    dropped before fairnic's rx burst could see them), from ethdev stats;
 *  - a tap vNIC's kernel-side tx_dropped / rx_dropped (the tap's queue
 *    to fairnic overflowed, or the kernel dropped what fairnic wrote), from
 *    the interface's statistics in sysfs.
 * Values are read when stats are shown; `stats reset` records a baseline
 * that later reads subtract, because neither source can be zeroed safely
 * from here.
 */
#include <dirent.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <rte_ethdev.h>
#include "fnd.h"

/*
 * DPDK 22.11's af_packet PMD does not report its socket's drops (frames the
 * kernel could not put in the full ring): imissed stays 0. We read them
 * from the socket ourselves: the PMD's AF_PACKET sockets bound to the
 * uplink's interface, PACKET_STATISTICS. The kernel zeroes those on every
 * read, so they are accumulated here (one reader: the control thread).
 */
static uint64_t
af_packet_drops(struct fnd_uplink *up)
{
	struct dirent *e;

	/* up->ifname: the interface fnd_kif found behind the uplink */
	if (strncmp(up->devargs, "net_af_packet", 13) != 0 || up->ifname[0] == '\0')
		return 0;
	unsigned int ifindex = if_nametoindex(up->ifname);
	DIR *d = opendir("/proc/self/fd");
	if (ifindex == 0 || d == NULL) {
		if (d != NULL)
			closedir(d);
		return up->kernel_drops;
	}
	while ((e = readdir(d)) != NULL) {
		int fd = atoi(e->d_name), dom;
		socklen_t len = sizeof(dom);
		struct sockaddr_ll sll;
		struct tpacket_stats_v3 st;

		if (e->d_name[0] < '0' || e->d_name[0] > '9' ||
		    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) != 0 || dom != AF_PACKET)
			continue;
		len = sizeof(sll);
		if (getsockname(fd, (struct sockaddr *)&sll, &len) != 0 ||
		    (unsigned int)sll.sll_ifindex != ifindex)
			continue;
		len = sizeof(st);
		if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
			up->kernel_drops += st.tp_drops;
	}
	closedir(d);
	return up->kernel_drops;
}

int
fnd_uplink_port_drops(uint16_t u, uint64_t out[FND_PORT_DROPS])
{
	struct rte_eth_stats st;
	if (rte_eth_stats_get(fnd.uplinks[u].port, &st) != 0)
		return -1;
	out[0] = st.imissed + af_packet_drops(&fnd.uplinks[u]);
	out[1] = st.rx_nombuf;
	out[2] = st.ierrors;
	return 0;
}

static int
read_u64(const char *ifname, const char *what, uint64_t *v)
{
	char path[128];
	unsigned long long x;
	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, what);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	int ok = fscanf(f, "%llu", &x) == 1;
	fclose(f);
	if (!ok)
		return -1;
	*v = x;
	return 0;
}

int
fnd_tap_kernel_drops(const char *ifname, uint64_t out[FND_TAP_DROPS])
{
	/* The kernel's tx is towards fairnic (the vNIC's tx), its rx is what
	 * fairnic wrote (the vNIC's rx). */
	uint64_t tx, rx;                /* out is untouched on failure */
	if (read_u64(ifname, "tx_dropped", &tx) != 0 ||
	    read_u64(ifname, "rx_dropped", &rx) != 0)
		return -1;
	out[0] = tx;
	out[1] = rx;
	return 0;
}
