/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fnd_kif: the kernel interface behind an af_packet or af_xdp uplink.
 *
 * Two kernel offloads break a software switch that reads frames through
 * these sockets (issue 6, item 9; seen on a veth with default offloads):
 *
 *  - Partial checksums. A local sender (a veth peer, a container) leaves
 *    TCP/UDP checksums for "hardware" to finish; the socket hands the frame
 *    over unfinished and DPDK 22.11's PMDs do not say so. fairnic finishes
 *    them in software (fn_csum; counted as rx_csum_completed), so nothing
 *    is asked of the interface.
 *  - VLAN tags in metadata. With rx-vlan-hw-parse (ethtool's rxvlan) on,
 *    the kernel takes the 802.1Q tag out of the frame into the skb. The
 *    af_packet PMD puts it back (it reads tp_vlan_tci); AF_XDP has nowhere
 *    to carry it, so a tagged frame reaches fairnic untagged and no VLAN
 *    vNIC matches it. At start, fairnic turns rxvlan off on an af_xdp
 *    uplink's interface; when it cannot, VLAN vNICs are refused on that
 *    uplink with the ethtool remedy. On a veth the tag comes from the
 *    peer's transmit offload instead, which only the peer can turn off:
 *    that is logged with the remedy.
 *  - Super-frames. A local sender's TSO/GSO segments (up to 64 KB) reach an
 *    af_packet socket whole and are cut to its slot; fairnic drops and
 *    counts them (rx_drop_truncated) and logs the remedy once (fnd_dp.c).
 *    A veth peer of an XDP program sends none: the kernel turns its GSO off.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <rte_ethdev.h>
#include "fnd.h"

/* The iface= argument of an af_packet/af_xdp devargs string. */
static int
devargs_iface(const char *devargs, char *ifname, size_t len)
{
	const char *p = strstr(devargs, "iface=");
	if (p == NULL)
		return -1;
	size_t n = strcspn(p + 6, ",");
	if (n == 0 || n >= len)
		return -1;
	memcpy(ifname, p + 6, n);
	ifname[n] = '\0';
	return 0;
}

static int
ethtool(int fd, const char *ifname, void *cmd)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = cmd;
	return ioctl(fd, SIOCETHTOOL, &ifr);
}

/* Turn rxvlan off; @return 0 when it is off (or the device has none). */
static int
rxvlan_off(int fd, const char *ifname, char *why, size_t len)
{
	struct ethtool_value v = { .cmd = ETHTOOL_GFLAGS };

	if (ethtool(fd, ifname, &v) != 0) {
		snprintf(why, len, "cannot read its features: %s", strerror(errno));
		return -1;
	}
	if (!(v.data & ETH_FLAG_RXVLAN))
		return 0;
	v.cmd = ETHTOOL_SFLAGS;
	v.data &= ~(uint32_t)ETH_FLAG_RXVLAN;
	if (ethtool(fd, ifname, &v) != 0) {
		snprintf(why, len, "cannot turn rx-vlan-hw-parse off: %s", strerror(errno));
		return -1;
	}
	fprintf(stderr, "fairnicd: %s: turned rx-vlan-hw-parse off, so that "
		"VLAN tags reach fairnic in the frame\n", ifname);
	return 0;
}

static bool
is_veth(int fd, const char *ifname)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	return ethtool(fd, ifname, &di) == 0 && strcmp(di.driver, "veth") == 0;
}

void
fnd_kif_prepare(struct fnd_uplink *up)
{
	struct rte_eth_dev_info info;
	char why[160];

	up->csum_fix = false;
	up->strips_vlan = false;
	up->ifname[0] = '\0';
	if (rte_eth_dev_info_get(up->port, &info) != 0 || info.driver_name == NULL)
		return;
	bool xdp = strcmp(info.driver_name, "net_af_xdp") == 0;
	bool pkt = strcmp(info.driver_name, "net_af_packet") == 0;
	if (!xdp && !pkt)
		return;
	up->csum_fix = true;
	if (devargs_iface(up->devargs, up->ifname, sizeof(up->ifname)) != 0)
		return;
	if (!xdp)
		return;         /* af_packet: the PMD restores VLAN tags itself */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		snprintf(why, sizeof(why), "cannot check it: %s", strerror(errno));
	} else if (is_veth(fd, up->ifname)) {
		fprintf(stderr, "fairnicd: uplink %s: %s is a veth: VLAN tags its peer "
			"inserts as metadata (txvlan, on by default) cannot reach AF_XDP; "
			"for VLAN vNICs run `ethtool -K PEER txvlan off` on the peer, or "
			"use net_af_packet, which restores them\n", up->name, up->ifname);
	}
	if (fd < 0 || rxvlan_off(fd, up->ifname, why, sizeof(why)) != 0) {
		up->strips_vlan = true;
		fprintf(stderr, "fairnicd: uplink %s: %s %s; VLAN vNICs are refused "
			"on it (remedy: ethtool -K %s rxvlan off)\n",
			up->name, up->ifname, why, up->ifname);
	}
	if (fd >= 0)
		close(fd);
}
