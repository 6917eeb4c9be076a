/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FN_ETH_H
#define FN_ETH_H
/*
 * fn_eth: Ethernet header parsing for the classifier, pure and inline.
 *
 * A frame is reduced to what switching needs: destination and source MAC
 * as 48-bit integers (first octet most significant, so the group bit is bit
 * 40), and the VLAN ID of one optional 802.1Q tag. Only one tag is parsed:
 * an inner tag (QinQ) stays part of the payload. A frame the parser rejects
 * is counted by the caller under the verdict's name and dropped; parsing
 * never reads past `len`.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define FN_ETH_HLEN      14
#define FN_VLAN_HLEN     4
#define FN_ETH_P_8021Q   0x8100
#define FN_VLAN_NONE     0xffff  /**< "untagged" in every VLAN field */
#define FN_VLAN_MAX      4094    /**< highest VLAN ID a vNIC may use */
#define FN_MAC_BCAST     UINT64_C(0xffffffffffff)
#define FN_MAC_GROUP_BIT (UINT64_C(1) << 40)

/** Verdicts, as an X-macro so the names double as counter names. */
#define FN_ETH_VERDICTS(X) \
	X(OK,        "ok") \
	X(RUNT,      "shorter than an Ethernet header") \
	X(TRUNC_TAG, "802.1Q tag truncated") \
	X(OVERSIZE,  "longer than the maximum frame size")

enum fn_eth_verdict {
#define FN_X(n, s) FN_ETH_##n,
	FN_ETH_VERDICTS(FN_X)
#undef FN_X
};

struct fn_eth_info {
	uint64_t dst;      /**< destination MAC, 48 bits */
	uint64_t src;      /**< source MAC, 48 bits */
	uint16_t vlan;     /**< VLAN ID, or FN_VLAN_NONE */
	uint16_t hlen;     /**< bytes of Ethernet + tag header (14 or 18) */
};

static inline uint64_t
fn_mac_load(const uint8_t *p)
{
	return ((uint64_t)p[0] << 40) | ((uint64_t)p[1] << 32) |
	       ((uint64_t)p[2] << 24) | ((uint64_t)p[3] << 16) |
	       ((uint64_t)p[4] << 8) | (uint64_t)p[5];
}

static inline void
fn_mac_store(uint8_t *p, uint64_t mac)
{
	for (int i = 5; i >= 0; i--, mac >>= 8)
		p[i] = (uint8_t)mac;
}

static inline bool
fn_mac_is_group(uint64_t mac)
{
	return (mac & FN_MAC_GROUP_BIT) != 0;
}

/**
 * Parse the header of a frame of `len` bytes (no FCS).
 * @param max_len  largest acceptable frame, tag included.
 * @return FN_ETH_OK and fills `fi`, or the reason to drop the frame.
 */
static inline enum fn_eth_verdict
fn_eth_parse(const uint8_t *d, uint32_t len, uint32_t max_len,
	     struct fn_eth_info *fi)
{
	if (len < FN_ETH_HLEN)
		return FN_ETH_RUNT;
	if (len > max_len)
		return FN_ETH_OVERSIZE;
	fi->dst = fn_mac_load(d);
	fi->src = fn_mac_load(d + 6);
	uint16_t type = (uint16_t)(d[12] << 8 | d[13]);
	if (type != FN_ETH_P_8021Q) {
		fi->vlan = FN_VLAN_NONE;
		fi->hlen = FN_ETH_HLEN;
		return FN_ETH_OK;
	}
	if (len < FN_ETH_HLEN + FN_VLAN_HLEN)
		return FN_ETH_TRUNC_TAG;
	fi->vlan = (uint16_t)((d[14] << 8 | d[15]) & 0x0fff);
	fi->hlen = FN_ETH_HLEN + FN_VLAN_HLEN;
	return FN_ETH_OK;
}

/** Parse "aa:bb:cc:dd:ee:ff" (case-insensitive). @return 0 or -1. */
int fn_mac_parse(const char *s, uint64_t *mac);
/** Format a MAC into buf (at least 18 bytes). @return buf. */
char *fn_mac_format(uint64_t mac, char *buf);

#endif /* FN_ETH_H */
