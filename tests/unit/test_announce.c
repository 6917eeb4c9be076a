/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_announce: the RARP self-announcement, byte for byte against the
 * frame QEMU's net/announce.c builds (written out by hand here), and its
 * schedule. The parser must see it as an ordinary frame of that VLAN.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "fn_announce.h"
#include "fn_eth.h"

static const uint8_t qemu_rarp[60] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff,     /* broadcast */
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56,     /* the guest's MAC */
	0x80, 0x35,                             /* RARP */
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04,     /* Ethernet, IPv4, 6, 4 */
	0x00, 0x03,                             /* reverse request */
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0, 0, 0, 0,
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0, 0, 0, 0,
	/* 18 bytes of padding: zero */
};

static void
test_untagged_is_qemus_frame(void **state)
{
	uint8_t buf[FN_ANNOUNCE_FRAME_MAX];
	(void)state;
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(fn_announce_rarp(buf, UINT64_C(0x525400123456), FN_VLAN_NONE), 60);
	assert_memory_equal(buf, qemu_rarp, 60);
}

static void
test_tagged_carries_the_vlan(void **state)
{
	uint8_t buf[FN_ANNOUNCE_FRAME_MAX];
	struct fn_eth_info fi;
	(void)state;
	assert_int_equal(fn_announce_rarp(buf, UINT64_C(0x525400123456), 4094), 64);
	assert_memory_equal(buf, qemu_rarp, 12);
	assert_int_equal(buf[12], 0x81);
	assert_int_equal(buf[13], 0x00);
	assert_int_equal(buf[14], 0x0f);
	assert_int_equal(buf[15], 0xfe);
	assert_memory_equal(buf + 16, qemu_rarp + 12, 48);
	/* and the parser agrees: VLAN 4094, RARP, from that MAC */
	assert_int_equal(fn_eth_parse(buf, 64, 1518, &fi), FN_ETH_OK);
	assert_int_equal(fi.vlan, 4094);
	assert_int_equal(buf[fi.hlen - 2] << 8 | buf[fi.hlen - 1], FN_ETH_P_RARP);
	assert_true(fi.src == UINT64_C(0x525400123456));
	assert_true(fi.dst == FN_MAC_BCAST);
}

static void
test_schedule_is_qemus(void **state)
{
	(void)state;
	/* QEMU's announce defaults: 5 rounds, initial 50 ms, step 100 ms */
	static const uint32_t gap[FN_ANNOUNCE_ROUNDS - 1] = { 50, 150, 250, 350 };
	for (uint32_t r = 1; r < FN_ANNOUNCE_ROUNDS; r++)
		assert_int_equal(fn_announce_gap_ms(r), gap[r - 1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_untagged_is_qemus_frame),
		cmocka_unit_test(test_tagged_carries_the_vlan),
		cmocka_unit_test(test_schedule_is_qemus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
