/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FN_CSUM_H
#define FN_CSUM_H
/*
 * fn_csum: finish TCP/UDP checksums a Linux sender left to "hardware".
 *
 * A frame sent by a local stack through a veth (or any device that
 * advertises checksum offload) carries CHECKSUM_PARTIAL: its TCP/UDP
 * checksum field holds only the pseudo-header sum, for the NIC to finish.
 * An AF_PACKET or AF_XDP socket on the other end gets the frame as it is,
 * and DPDK 22.11's af_packet PMD drops the kernel's TP_STATUS_CSUMNOTREADY
 * flag, so the frame does not say so. A guest given that frame discards
 * it (bad checksum): ping works, TCP never connects.
 *
 * Recognising such a frame needs no flag: its checksum field equals the
 * folded pseudo-header sum exactly, and the full checksum does not verify.
 * Only then is it finished, as the kernel's skb_checksum_help() would.
 * A frame with a correct checksum is never touched; a corrupted one is
 * left corrupted unless its field happens to equal the pseudo-header sum
 * (1 in 65536 of corrupted frames).
 *
 * The same sockets cut a GSO/GRO super-frame (a local sender's 64 KB TCP
 * segment) to their slot size: such a frame is shorter than its own IP
 * length, and is reported as truncated rather than passed on.
 *
 * Handles IPv4 and IPv6 (hop-by-hop and destination-options headers),
 * behind up to two 802.1Q/802.1ad tags; fragments and frames with a
 * routing header are left alone. Never reads or writes past `len`.
 */
#include <stdint.h>

enum fn_csum_result {
	FN_CSUM_UNTOUCHED,   /**< not TCP/UDP, complete already, or unparsable */
	FN_CSUM_COMPLETED,   /**< held a partial checksum; now finished */
	FN_CSUM_TRUNCATED,   /**< IP says it is longer than the frame */
};

/** Cheap test first (the pseudo-header sum), full sum only on a match. */
enum fn_csum_result fn_csum_complete(uint8_t *frame, uint32_t len);

#endif /* FN_CSUM_H */
