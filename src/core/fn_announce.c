/* SPDX-License-Identifier: BSD-3-Clause */
/* fn_announce: the RARP self-announcement frame (see fn_announce.h). */
#include <string.h>
#include "fn_announce.h"
#include "fn_eth.h"

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint32_t
fn_announce_rarp(uint8_t *buf, uint64_t mac, uint16_t vlan)
{
	uint32_t h = FN_ETH_HLEN;

	memset(buf, 0, FN_ANNOUNCE_FRAME_MAX);
	fn_mac_store(buf, FN_MAC_BCAST);
	fn_mac_store(buf + 6, mac);
	if (vlan != FN_VLAN_NONE) {
		put16(buf + 12, FN_ETH_P_8021Q);
		put16(buf + 14, vlan);
		h += FN_VLAN_HLEN;
	}
	put16(buf + h - 2, FN_ETH_P_RARP);
	uint8_t *a = buf + h;
	put16(a, 1);                    /* hardware type: Ethernet */
	put16(a + 2, 0x0800);           /* protocol type: IPv4 */
	a[4] = 6;                       /* hardware address length */
	a[5] = 4;                       /* protocol address length */
	put16(a + 6, 3);                /* opcode: reverse request */
	fn_mac_store(a + 8, mac);       /* sender hardware address */
	fn_mac_store(a + 18, mac);      /* target hardware address */
	/* protocol addresses 0, then padding to the 60-byte minimum */
	return h + 46;
}
