/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FN_ANNOUNCE_H
#define FN_ANNOUNCE_H
/*
 * fn_announce: tell the wire where a vNIC now is.
 *
 * When a vNIC moves to another uplink or VLAN, or its MAC changes, the
 * switches upstream still send its traffic to the old port until the guest
 * speaks (a silent guest may never). QEMU solves the same problem after a
 * live migration with its self-announce: broadcast RARP frames from the
 * guest's MAC, repeated a few times with growing gaps, so every learning
 * switch on the path moves the MAC to the new port at once. fairnic sends
 * exactly QEMU's frame (net/announce.c) on the vNIC's new uplink and VLAN,
 * on QEMU's default schedule: 5 rounds, 50 ms first gap, +100 ms per round.
 *
 * Pure: the caller owns the buffer, the clock and the sending.
 */
#include <stdint.h>

#define FN_ANNOUNCE_ROUNDS     5
#define FN_ANNOUNCE_FIRST_MS   50
#define FN_ANNOUNCE_STEP_MS    100
#define FN_ANNOUNCE_FRAME_MAX  64    /**< 60 bytes, 64 with an 802.1Q tag */
#define FN_ETH_P_RARP          0x8035

/**
 * Write the RARP announcement of `mac` (tagged with `vlan` unless
 * FN_VLAN_NONE) into buf, which holds FN_ANNOUNCE_FRAME_MAX bytes.
 * @return the frame's length (without FCS): 60, or 64 when tagged.
 */
uint32_t fn_announce_rarp(uint8_t *buf, uint64_t mac, uint16_t vlan);

/** Milliseconds between round `sent` (1-based: rounds already sent) and the
 *  next one: 50, 150, 250, 350. */
static inline uint32_t
fn_announce_gap_ms(uint32_t sent)
{
	return FN_ANNOUNCE_FIRST_MS + FN_ANNOUNCE_STEP_MS * (sent - 1);
}

#endif /* FN_ANNOUNCE_H */
