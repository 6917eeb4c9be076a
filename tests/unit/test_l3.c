/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_l3: the layer-3 guard. Real frames (hex as `tcpdump -xx` prints
 * them: Ethernet header first) judged under a table of policies; every
 * prefix of each frame, and each frame with its datagram cut short and
 * its length fields to match; extension-header chains, ND options and
 * fragments built to order; `ip` values parsed, refused and formatted.
 * Every frame is judged from a heap copy of exactly its length, so a read
 * past the end is an AddressSanitizer report.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "fn_l3.h"

#define MAC_GUEST UINT64_C(0x525400123456)
#define MAC_OTHER UINT64_C(0x525400abcdef)
#define GUEST_IP  "10.0.0.5,2001:db8:1::5"
#define GUEST_LL  "fe80::5054:ff:fe12:3456"   /* EUI-64 of MAC_GUEST */
#define ETH_HLEN  14

static const char *const vnames[] = {
#define FN_X(n, s) #n,
	FN_L3_VERDICTS(FN_X)
#undef FN_X
};

static const char *
vname(enum fn_l3_verdict v)
{
	return (unsigned)v < FN_L3_VERDICT_MAX ? vnames[v] : "(out of range)";
}

#define assert_verdict(got, want) \
	assert_string_equal(vname(got), vname(want))

/* ---- frames ---- */

struct pkt {
	uint8_t b[512];
	uint32_t len;
};

static int
hexval(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* A frame from its hex dump (spaces ignored). */
static struct pkt
load(const char *hex)
{
	struct pkt f = { .len = 0 };
	for (const char *s = hex; *s != '\0';) {
		if (*s == ' ') {
			s++;
			continue;
		}
		assert_true(f.len < sizeof(f.b) && s[1] != '\0');
		f.b[f.len++] = (uint8_t)(hexval(s[0]) << 4 | hexval(s[1]));
		s += 2;
	}
	return f;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Judge `n` bytes of L3 from a heap copy of exactly that size, by the
 * inline fast path and by the full check: they must agree. */
static enum fn_l3_verdict
judge_l3(const struct fn_l3_policy *p, const uint8_t *l3, uint32_t n,
	 uint16_t type)
{
	uint8_t *c = malloc(n);
	assert_true(c != NULL || n == 0);
	if (n > 0)
		memcpy(c, l3, n);
	enum fn_l3_verdict v = fn_l3_check(p, c, n, type);
	enum fn_l3_verdict full = fn_l3_check_full(p, c, n, type);
	free(c);
	assert_int_equal(v, full);
	return v;
}

static enum fn_l3_verdict
judge(const struct fn_l3_policy *p, const struct pkt *f)
{
	return judge_l3(p, f->b + ETH_HLEN, f->len - ETH_HLEN, get16(f->b + 12));
}

static struct fn_l3_policy
pol(const char *ip, uint64_t mac, bool dhcp_server, bool ra)
{
	struct fn_l3_policy p = { .mac = mac, .dhcp_server = dhcp_server, .ra = ra };
	char err[256] = "";
	if (fn_ipset_parse(ip, &p.ip, err, sizeof(err)) != 0)
		fail_msg("ip %s: %s", ip, err);
	return p;
}

/* ---- the captured frames ---- */

/* DNS query 10.0.0.5:40000 -> 10.0.0.1:53 (A example.com).
 *   Ethernet 0x0000, IPv4 0x000e (IHL 5, len 57), UDP 0x0022 */
static const char ipv4_udp[] =
	/* 0x0000 */ "5254 0000 0001 5254 0012 3456 0800 4500 "
	/* 0x0010 */ "0039 1c46 4000 4011 0a69 0a00 0005 0a00 "
	/* 0x0020 */ "0001 9c40 0035 0025 d3ed abcd 0100 0001 "
	/* 0x0030 */ "0000 0000 0000 0765 7861 6d70 6c65 0363 "
	/* 0x0040 */ "6f6d 0000 0100 01";

/* IGMPv3 report 10.0.0.5 -> 224.0.0.22 (join 239.1.2.3), with the
 * Router Alert option: IHL 6 (0x46), option 94 04 00 00 at 0x0022, IGMP at
 * 0x0026; padded to 60 bytes */
static const char ipv4_igmp_opts[] =
	/* 0x0000 */ "0100 5e00 0016 5254 0012 3456 0800 4600 "
	/* 0x0010 */ "0028 0000 4000 0102 fab4 0a00 0005 e000 "
	/* 0x0020 */ "0016 9404 0000 2200 e8f9 0000 0001 0400 "
	/* 0x0030 */ "0000 ef01 0203 0000 0000 0000";

/* DHCPDISCOVER 0.0.0.0:68 -> 255.255.255.255:67, chaddr 52:54:00:12:34:56.
 *   IPv4 0x000e (len 328), UDP 0x0022, BOOTP 0x002a (op 1), cookie 0x0116,
 *   options 53=1 (discover), 55, 61 */
static const char dhcp4_discover[] =
	/* 0x0000 */ "ffff ffff ffff 5254 0012 3456 0800 4500 "
	/* 0x0010 */ "0148 0000 0000 4011 79a6 0000 0000 ffff "
	/* 0x0020 */ "ffff 0044 0043 0134 b2f7 0101 0600 3903 "
	/* 0x0030 */ "f326 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0040 */ "0000 0000 0000 5254 0012 3456 0000 0000 "
	/* 0x0050 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0060 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0070 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0080 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0090 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00a0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00b0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00c0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00d0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00e0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00f0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0100 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0110 */ "0000 0000 0000 6382 5363 3501 0137 0401 "
	/* 0x0120 */ "0306 0f3d 0701 5254 0012 3456 ff00 0000 "
	/* 0x0130 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0140 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0150 */ "0000 0000 0000";

/* DHCPREQUEST (renewing) 10.0.0.5:68 -> 10.0.0.1:67, ciaddr 10.0.0.5 */
static const char dhcp4_renew[] =
	/* 0x0000 */ "5254 0000 0001 5254 0012 3456 0800 4500 "
	/* 0x0010 */ "0148 1c46 4000 4011 095a 0a00 0005 0a00 "
	/* 0x0020 */ "0001 0044 0043 0134 6fbf 0101 0600 5a1e "
	/* 0x0030 */ "0b77 0000 0000 0a00 0005 0000 0000 0000 "
	/* 0x0040 */ "0000 0000 0000 5254 0012 3456 0000 0000 "
	/* 0x0050 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0060 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0070 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0080 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0090 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00a0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00b0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00c0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00d0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00e0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00f0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0100 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0110 */ "0000 0000 0000 6382 5363 3501 033d 0701 "
	/* 0x0120 */ "5254 0012 3456 ff00 0000 0000 0000 0000 "
	/* 0x0130 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0140 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0150 */ "0000 0000 0000";

/* DHCPOFFER 10.0.0.5:67 -> 255.255.255.255:68 (the guest runs a server:
 * yiaddr 10.0.0.9 to 52:54:00:ab:cd:ef); UDP at 0x0022 */
static const char dhcp4_offer[] =
	/* 0x0000 */ "ffff ffff ffff 5254 0012 3456 0800 4500 "
	/* 0x0010 */ "0148 1c46 4000 4011 135b 0a00 0005 ffff "
	/* 0x0020 */ "ffff 0043 0044 0134 6f5e 0201 0600 3903 "
	/* 0x0030 */ "f326 0000 0000 0000 0000 0a00 0009 0a00 "
	/* 0x0040 */ "0005 0000 0000 5254 00ab cdef 0000 0000 "
	/* 0x0050 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0060 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0070 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0080 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0090 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00a0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00b0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00c0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00d0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00e0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00f0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0100 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0110 */ "0000 0000 0000 6382 5363 3501 0236 040a "
	/* 0x0120 */ "0000 0533 0400 000e 1001 04ff ffff 0003 "
	/* 0x0130 */ "040a 0000 05ff 0000 0000 0000 0000 0000 "
	/* 0x0140 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0150 */ "0000 0000 0000";

/* DHCPACK 10.0.0.5:67 -> 10.0.0.9:68 */
static const char dhcp4_ack[] =
	/* 0x0000 */ "5254 00ab cdef 5254 0012 3456 0800 4500 "
	/* 0x0010 */ "0148 1c46 4000 4011 0952 0a00 0005 0a00 "
	/* 0x0020 */ "0009 0043 0044 0134 6255 0201 0600 3903 "
	/* 0x0030 */ "f326 0000 0000 0000 0000 0a00 0009 0a00 "
	/* 0x0040 */ "0005 0000 0000 5254 00ab cdef 0000 0000 "
	/* 0x0050 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0060 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0070 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0080 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0090 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00a0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00b0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00c0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00d0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00e0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00f0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0100 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0110 */ "0000 0000 0000 6382 5363 3501 0536 040a "
	/* 0x0120 */ "0000 0533 0400 000e 1001 04ff ffff 0003 "
	/* 0x0130 */ "040a 0000 05ff 0000 0000 0000 0000 0000 "
	/* 0x0140 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0150 */ "0000 0000 0000";

/* The same DHCPOFFER with a Router Alert option: IHL 6, UDP at 0x0026
 * (the bytes at 0x0022, 94 04 00 00, are not ports) */
static const char dhcp4_offer_opts[] =
	/* 0x0000 */ "ffff ffff ffff 5254 0012 3456 0800 4600 "
	/* 0x0010 */ "014c 1c46 4000 4011 7e52 0a00 0005 ffff "
	/* 0x0020 */ "ffff 9404 0000 0043 0044 0134 6f5e 0201 "
	/* 0x0030 */ "0600 3903 f326 0000 0000 0000 0000 0a00 "
	/* 0x0040 */ "0009 0a00 0005 0000 0000 5254 00ab cdef "
	/* 0x0050 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0060 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0070 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0080 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0090 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00a0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00b0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00c0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00d0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00e0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x00f0 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0100 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0110 */ "0000 0000 0000 0000 0000 6382 5363 3501 "
	/* 0x0120 */ "0236 040a 0000 0533 0400 000e 1001 04ff "
	/* 0x0130 */ "ffff 0003 040a 0000 05ff 0000 0000 0000 "
	/* 0x0140 */ "0000 0000 0000 0000 0000 0000 0000 0000 "
	/* 0x0150 */ "0000 0000 0000 0000 0000";

/* ARP request: who-has 10.0.0.1 tell 10.0.0.5 (sha 52:54:00:12:34:56).
 *   ARP 0x000e: htype 1, ptype 0800, hlen 6, plen 4, op 1, sha 0x0016,
 *   spa 0x001c, tha 0x0020, tpa 0x0026; padded to 60 */
static const char arp_request[] =
	/* 0x0000 */ "ffff ffff ffff 5254 0012 3456 0806 0001 "
	/* 0x0010 */ "0800 0604 0001 5254 0012 3456 0a00 0005 "
	/* 0x0020 */ "0000 0000 0000 0a00 0001 0000 0000 0000 "
	/* 0x0030 */ "0000 0000 0000 0000 0000 0000";

/* ARP reply: 10.0.0.5 is-at 52:54:00:12:34:56, to 10.0.0.1 */
static const char arp_reply[] =
	/* 0x0000 */ "5254 0000 0001 5254 0012 3456 0806 0001 "
	/* 0x0010 */ "0800 0604 0002 5254 0012 3456 0a00 0005 "
	/* 0x0020 */ "5254 0000 0001 0a00 0001 0000 0000 0000 "
	/* 0x0030 */ "0000 0000 0000 0000 0000 0000";

/* ARP probe (RFC 5227): who-has 10.0.0.5 tell 0.0.0.0 */
static const char arp_probe[] =
	/* 0x0000 */ "ffff ffff ffff 5254 0012 3456 0806 0001 "
	/* 0x0010 */ "0800 0604 0001 5254 0012 3456 0000 0000 "
	/* 0x0020 */ "0000 0000 0000 0a00 0005 0000 0000 0000 "
	/* 0x0030 */ "0000 0000 0000 0000 0000 0000";

/* Gratuitous ARP for the guest's own 10.0.0.5 (spa = tpa = 10.0.0.5) */
static const char arp_garp_own[] =
	/* 0x0000 */ "ffff ffff ffff 5254 0012 3456 0806 0001 "
	/* 0x0010 */ "0800 0604 0001 5254 0012 3456 0a00 0005 "
	/* 0x0020 */ "0000 0000 0000 0a00 0005 0000 0000 0000 "
	/* 0x0030 */ "0000 0000 0000 0000 0000 0000";

/* Gratuitous ARP claiming the gateway's 10.0.0.1 (spa = tpa = 10.0.0.1) */
static const char arp_garp_foreign[] =
	/* 0x0000 */ "ffff ffff ffff 5254 0012 3456 0806 0001 "
	/* 0x0010 */ "0800 0604 0001 5254 0012 3456 0a00 0001 "
	/* 0x0020 */ "0000 0000 0000 0a00 0001 0000 0000 0000 "
	/* 0x0030 */ "0000 0000 0000 0000 0000 0000";

/* Echo request 2001:db8:1::5 -> 2001:db8:1::1 behind a hop-by-hop and a
 * destination options header.
 *   IPv6 0x000e (nh 0, plen 32), hop-by-hop 0x0036 (nh 60, PadN),
 *   destination options 0x003e (nh 58, PadN), ICMPv6 0x0046 (type 128) */
static const char ipv6_ext_echo[] =
	/* 0x0000 */ "5254 0000 0001 5254 0012 3456 86dd 6000 "
	/* 0x0010 */ "0000 0020 0040 2001 0db8 0001 0000 0000 "
	/* 0x0020 */ "0000 0000 0005 2001 0db8 0001 0000 0000 "
	/* 0x0030 */ "0000 0000 0001 3c00 0104 0000 0000 3a00 "
	/* 0x0040 */ "0104 0000 0000 8000 8070 1234 0001 6162 "
	/* 0x0050 */ "6364 6566 6768";

/* Router advertisement from fe80::5054:ff:fe12:3456 behind a hop-by-hop and
 * a destination options header (an RA-guard evasion): ICMPv6 at 0x0046
 * (type 134), options SLLA and prefix 2001:db8:1::/64 */
static const char ipv6_ext_ra[] =
	/* 0x0000 */ "3333 0000 0001 5254 0012 3456 86dd 6000 "
	/* 0x0010 */ "0000 0048 00ff fe80 0000 0000 0000 5054 "
	/* 0x0020 */ "00ff fe12 3456 ff02 0000 0000 0000 0000 "
	/* 0x0030 */ "0000 0000 0001 3c00 0104 0000 0000 3a00 "
	/* 0x0040 */ "0104 0000 0000 8600 2e46 4000 0708 0000 "
	/* 0x0050 */ "0000 0000 0000 0101 5254 0012 3456 0304 "
	/* 0x0060 */ "40c0 0001 5180 0000 3840 0000 0000 2001 "
	/* 0x0070 */ "0db8 0001 0000 0000 0000 0000 0000";

/* First fragment (offset 0, M) of a DHCPv6 reply 2001:db8:1::5:547 ->
 * 2001:db8:1::9:546.
 *   IPv6 0x000e (nh 44, plen 40), fragment 0x0036 (nh 17, offset 0, M),
 *   UDP 0x003e */
static const char ipv6_frag_first[] =
	/* 0x0000 */ "5254 0000 0001 5254 0012 3456 86dd 6000 "
	/* 0x0010 */ "0000 0028 2c40 2001 0db8 0001 0000 0000 "
	/* 0x0020 */ "0000 0000 0005 2001 0db8 0001 0000 0000 "
	/* 0x0030 */ "0000 0000 0009 1100 0001 dead beef 0223 "
	/* 0x0040 */ "0222 005e 22bc 0712 3456 0001 000a 0003 "
	/* 0x0050 */ "0001 5254 0012 3456 000d 0040 0000";

/* A later fragment (offset 32) whose data starts with 02 23 02 22: ports
 * 547 -> 546 to a parser that forgets the offset */
static const char ipv6_frag_later[] =
	/* 0x0000 */ "5254 0000 0001 5254 0012 3456 86dd 6000 "
	/* 0x0010 */ "0000 0018 2c40 2001 0db8 0001 0000 0000 "
	/* 0x0020 */ "0000 0000 0005 2001 0db8 0001 0000 0000 "
	/* 0x0030 */ "0000 0000 0009 1100 0020 dead beef 0223 "
	/* 0x0040 */ "0222 0000 0000 0000 0000 0000 0000";

/* The first fragment (offset 0, M) of a DHCPv6 reply
 * fe80::5054:ff:fe12:3456 -> fe80::5054:ff:feab:cdef whose UDP header is
 * pushed into the second fragment by a destination options header (the
 * fragment evasion of RFC 7112).
 *   IPv6 0x000e (nh 44, plen 16), fragment 0x0036 (nh 60, offset 0, M),
 *   destination options 0x003e (nh 17, PadN), no UDP byte */
static const char ipv6_frag_evasion[] =
	/* 0x0000 */ "5254 00ab cdef 5254 0012 3456 86dd 6000 "
	/* 0x0010 */ "0000 0010 2c40 fe80 0000 0000 0000 5054 "
	/* 0x0020 */ "00ff fe12 3456 fe80 0000 0000 0000 5054 "
	/* 0x0030 */ "00ff feab cdef 3c00 0001 dead beef 1100 "
	/* 0x0040 */ "0104 0000 0000";

/* Neighbour solicitation 2001:db8:1::5 -> ff02::1:ff00:1 for
 * 2001:db8:1::1 with a source link-layer option (52:54:00:12:34:56).
 *   ICMPv6 0x0036 (type 135), target 0x003e, option 0x004e (type 1, len 1) */
static const char ns_slla[] =
	/* 0x0000 */ "3333 ff00 0001 5254 0012 3456 86dd 6000 "
	/* 0x0010 */ "0000 0020 3aff 2001 0db8 0001 0000 0000 "
	/* 0x0020 */ "0000 0000 0005 ff02 0000 0000 0000 0000 "
	/* 0x0030 */ "0001 ff00 0001 8700 9767 0000 0000 2001 "
	/* 0x0040 */ "0db8 0001 0000 0000 0000 0000 0001 0101 "
	/* 0x0050 */ "5254 0012 3456";

/* Unicast neighbour solicitation (reachability) 2001:db8:1::5 ->
 * 2001:db8:1::1 for 2001:db8:1::1, no options */
static const char ns_nud[] =
	/* 0x0000 */ "5254 0000 0001 5254 0012 3456 86dd 6000 "
	/* 0x0010 */ "0000 0018 3aff 2001 0db8 0001 0000 0000 "
	/* 0x0020 */ "0000 0000 0005 2001 0db8 0001 0000 0000 "
	/* 0x0030 */ "0000 0000 0001 8700 ef77 0000 0000 2001 "
	/* 0x0040 */ "0db8 0001 0000 0000 0000 0000 0001";

/* Neighbour advertisement 2001:db8:1::5 -> 2001:db8:1::1, target
 * 2001:db8:1::5 (S, O), target link-layer option 52:54:00:12:34:56.
 *   ICMPv6 0x0036 (type 136), target 0x003e, option 0x004e (type 2, len 1) */
static const char na_tlla[] =
	/* 0x0000 */ "5254 0000 0001 5254 0012 3456 86dd 6000 "
	/* 0x0010 */ "0000 0020 3aff 2001 0db8 0001 0000 0000 "
	/* 0x0020 */ "0000 0000 0005 2001 0db8 0001 0000 0000 "
	/* 0x0030 */ "0000 0000 0001 8800 05ae 6000 0000 2001 "
	/* 0x0040 */ "0db8 0001 0000 0000 0000 0000 0005 0201 "
	/* 0x0050 */ "5254 0012 3456";

/* Solicited neighbour advertisement (S), target 2001:db8:1::5, no options */
static const char na_plain[] =
	/* 0x0000 */ "5254 0000 0001 5254 0012 3456 86dd 6000 "
	/* 0x0010 */ "0000 0018 3aff 2001 0db8 0001 0000 0000 "
	/* 0x0020 */ "0000 0000 0005 2001 0db8 0001 0000 0000 "
	/* 0x0030 */ "0000 0000 0001 8800 ae73 4000 0000 2001 "
	/* 0x0040 */ "0db8 0001 0000 0000 0000 0000 0005";

/* Duplicate address detection: NS :: -> ff02::1:ff00:5 for 2001:db8:1::5.
 *   source 0x0016 (::), ICMPv6 0x0036 (type 135), target 0x003e */
static const char ns_dad[] =
	/* 0x0000 */ "3333 ff00 0005 5254 0012 3456 86dd 6000 "
	/* 0x0010 */ "0000 0018 3aff 0000 0000 0000 0000 0000 "
	/* 0x0020 */ "0000 0000 0000 ff02 0000 0000 0000 0000 "
	/* 0x0030 */ "0001 ff00 0005 8700 4ce4 0000 0000 2001 "
	/* 0x0040 */ "0db8 0001 0000 0000 0000 0000 0005";

/* MLDv2 report :: -> ff02::16 (change to exclude ff02::1:ff00:5), sent
 * before DAD: hop-by-hop with Router Alert at 0x0036, ICMPv6 0x003e (143) */
static const char mld2_unspec[] =
	/* 0x0000 */ "3333 0000 0016 5254 0012 3456 86dd 6000 "
	/* 0x0010 */ "0000 0024 0001 0000 0000 0000 0000 0000 "
	/* 0x0020 */ "0000 0000 0000 ff02 0000 0000 0000 0000 "
	/* 0x0030 */ "0000 0000 0016 3a00 0502 0000 0100 8f00 "
	/* 0x0040 */ "6f85 0000 0001 0400 0000 ff02 0000 0000 "
	/* 0x0050 */ "0000 0000 0001 ff00 0005";

/* Router solicitation fe80::5054:ff:fe12:3456 -> ff02::2 with a source
 * link-layer option: ICMPv6 0x0036 (type 133), option 0x003e */
static const char rs[] =
	/* 0x0000 */ "3333 0000 0002 5254 0012 3456 86dd 6000 "
	/* 0x0010 */ "0000 0010 3aff fe80 0000 0000 0000 5054 "
	/* 0x0020 */ "00ff fe12 3456 ff02 0000 0000 0000 0000 "
	/* 0x0030 */ "0000 0000 0002 8500 71b5 0000 0000 0101 "
	/* 0x0040 */ "5254 0012 3456";

/* Router solicitation :: -> ff02::2 (a host without an address yet,
 * RFC 4861 6.3.7): ICMPv6 0x0036 (type 133), no options */
static const char rs_unspec[] =
	/* 0x0000 */ "3333 0000 0002 5254 0012 3456 86dd 6000 "
	/* 0x0010 */ "0000 0008 3aff 0000 0000 0000 0000 0000 "
	/* 0x0020 */ "0000 0000 0000 ff02 0000 0000 0000 0000 "
	/* 0x0030 */ "0000 0000 0002 8500 7bb8 0000 0000";

/* The same with a source link-layer option (52:54:00:12:34:56) at 0x003e,
 * which RFC 4861 6.1.1 forbids from :: */
static const char rs_unspec_slla[] =
	/* 0x0000 */ "3333 0000 0002 5254 0012 3456 86dd 6000 "
	/* 0x0010 */ "0000 0010 3aff 0000 0000 0000 0000 0000 "
	/* 0x0020 */ "0000 0000 0000 ff02 0000 0000 0000 0000 "
	/* 0x0030 */ "0000 0000 0002 8500 f3f2 0000 0000 0101 "
	/* 0x0040 */ "5254 0012 3456";

/* Router advertisement fe80::5054:ff:fe12:3456 -> ff02::1: ICMPv6 0x0036
 * (type 134, 16 bytes), SLLA 0x0046, prefix information 0x004e */
static const char ra[] =
	/* 0x0000 */ "3333 0000 0001 5254 0012 3456 86dd 6000 "
	/* 0x0010 */ "0000 0038 3aff fe80 0000 0000 0000 5054 "
	/* 0x0020 */ "00ff fe12 3456 ff02 0000 0000 0000 0000 "
	/* 0x0030 */ "0000 0000 0001 8600 2e46 4000 0708 0000 "
	/* 0x0040 */ "0000 0000 0000 0101 5254 0012 3456 0304 "
	/* 0x0050 */ "40c0 0001 5180 0000 3840 0000 0000 2001 "
	/* 0x0060 */ "0db8 0001 0000 0000 0000 0000 0000";

/* Redirect fe80::5054:ff:fe12:3456 -> 2001:db8:1::9: use fe80::1 for
 * 2001:db8:2::1. ICMPv6 0x0036 (type 137), target 0x003e, destination 0x004e */
static const char redirect[] =
	/* 0x0000 */ "5254 00ab cdef 5254 0012 3456 86dd 6000 "
	/* 0x0010 */ "0000 0028 3aff fe80 0000 0000 0000 5054 "
	/* 0x0020 */ "00ff fe12 3456 2001 0db8 0001 0000 0000 "
	/* 0x0030 */ "0000 0000 0009 8900 9a5e 0000 0000 fe80 "
	/* 0x0040 */ "0000 0000 0000 0000 0000 0000 0001 2001 "
	/* 0x0050 */ "0db8 0002 0000 0000 0000 0000 0001";

/* DHCPv6 solicit fe80::5054:ff:fe12:3456:546 -> ff02::1:2:547.
 *   UDP 0x0036, DHCPv6 0x003e (msg 1): client id, IA_NA, elapsed time */
static const char dhcp6_solicit[] =
	/* 0x0000 */ "3333 0001 0002 5254 0012 3456 86dd 6000 "
	/* 0x0010 */ "0000 0034 1101 fe80 0000 0000 0000 5054 "
	/* 0x0020 */ "00ff fe12 3456 ff02 0000 0000 0000 0000 "
	/* 0x0030 */ "0000 0001 0002 0222 0223 0034 b3f5 01a1 "
	/* 0x0040 */ "b2c3 0001 000e 0001 0001 2c4d 5e6f 5254 "
	/* 0x0050 */ "0012 3456 0003 000c 0000 0001 0000 0000 "
	/* 0x0060 */ "0000 0000 0008 0002 0000";

/* DHCPv6 advertise fe80::5054:ff:fe12:3456:547 ->
 * fe80::5054:ff:feab:cdef:546 (msg 2 at 0x003e): the guest acts as a server */
static const char dhcp6_advertise[] =
	/* 0x0000 */ "5254 00ab cdef 5254 0012 3456 86dd 6000 "
	/* 0x0010 */ "0000 0030 1140 fe80 0000 0000 0000 5054 "
	/* 0x0020 */ "00ff fe12 3456 fe80 0000 0000 0000 5054 "
	/* 0x0030 */ "00ff feab cdef 0223 0222 0030 8422 02a1 "
	/* 0x0040 */ "b2c3 0001 000e 0001 0001 2c4d 5e6f 5254 "
	/* 0x0050 */ "0012 3456 0002 000e 0001 0001 2c4d 5e6f "
	/* 0x0060 */ "5254 0012 3456";

/* DHCPv6 reply, same addresses (msg 7 at 0x003e) */
static const char dhcp6_reply[] =
	/* 0x0000 */ "5254 00ab cdef 5254 0012 3456 86dd 6000 "
	/* 0x0010 */ "0000 0030 1140 fe80 0000 0000 0000 5054 "
	/* 0x0020 */ "00ff fe12 3456 fe80 0000 0000 0000 5054 "
	/* 0x0030 */ "00ff feab cdef 0223 0222 0030 7f22 07a1 "
	/* 0x0040 */ "b2c3 0001 000e 0001 0001 2c4d 5e6f 5254 "
	/* 0x0050 */ "0012 3456 0002 000e 0001 0001 2c4d 5e6f "
	/* 0x0060 */ "5254 0012 3456";


/* ---- policies ---- */

#define OK   FN_L3_OK
#define IPS  FN_L3_IP_SPOOF
#define ARPS FN_L3_ARP_SPOOF
#define NDS  FN_L3_ND_SPOOF
#define DHCP FN_L3_DHCP_SERVER
#define RA   FN_L3_RA
#define MAL  FN_L3_MALFORMED

enum {
	ANY,            /* defaults: ip any, dhcp-server deny, ra deny */
	OPEN,           /* ip any, both allowed: nothing checked */
	ANY_DHCP,       /* ip any, dhcp-server allow, ra deny */
	ANY_RA,         /* ip any, dhcp-server deny, ra allow */
	GUEST,          /* its two addresses, both denied */
	GUEST_OPEN,     /* its two addresses, both allowed */
	NONE,           /* ip none */
	OTHER_MAC,      /* its addresses, but another vNIC MAC */
	LAN,            /* prefixes incl. fe80::/64, another vNIC MAC */
	NPOL
};

static struct fn_l3_policy P[NPOL];

static int
setup(void **state)
{
	(void)state;
	P[ANY] = pol("any", MAC_GUEST, false, false);
	P[OPEN] = pol("any", MAC_GUEST, true, true);
	P[ANY_DHCP] = pol("any", MAC_GUEST, true, false);
	P[ANY_RA] = pol("any", MAC_GUEST, false, true);
	P[GUEST] = pol(GUEST_IP, MAC_GUEST, false, false);
	P[GUEST_OPEN] = pol(GUEST_IP, MAC_GUEST, true, true);
	P[NONE] = pol("none", MAC_GUEST, false, false);
	P[OTHER_MAC] = pol(GUEST_IP, MAC_OTHER, false, false);
	P[LAN] = pol("10.0.0.0/24,2001:db8:1::/64,fe80::/64", MAC_OTHER, false, false);
	return 0;
}

#define F(n) #n, n
static const struct {
	const char *name, *hex;
	enum fn_l3_verdict v[NPOL];
} table[] = {
	/*                      ANY   OPEN  A_DH  A_RA  GUEST G_OP  NONE  O_MAC LAN */
	{ F(ipv4_udp),         { OK,   OK,   OK,   OK,   OK,   OK,   IPS,  OK,   OK } },
	{ F(ipv4_igmp_opts),   { OK,   OK,   OK,   OK,   OK,   OK,   IPS,  OK,   OK } },
	{ F(dhcp4_discover),   { OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK } },
	{ F(dhcp4_renew),      { OK,   OK,   OK,   OK,   OK,   OK,   IPS,  OK,   OK } },
	{ F(dhcp4_offer),      { DHCP, OK,   OK,   DHCP, DHCP, OK,   IPS,  DHCP, DHCP } },
	{ F(dhcp4_ack),        { DHCP, OK,   OK,   DHCP, DHCP, OK,   IPS,  DHCP, DHCP } },
	{ F(dhcp4_offer_opts), { DHCP, OK,   OK,   DHCP, DHCP, OK,   IPS,  DHCP, DHCP } },
	{ F(arp_request),      { OK,   OK,   OK,   OK,   OK,   OK,   ARPS, ARPS, ARPS } },
	{ F(arp_reply),        { OK,   OK,   OK,   OK,   OK,   OK,   ARPS, ARPS, ARPS } },
	{ F(arp_probe),        { OK,   OK,   OK,   OK,   OK,   OK,   OK,   ARPS, ARPS } },
	{ F(arp_garp_own),     { OK,   OK,   OK,   OK,   OK,   OK,   ARPS, ARPS, ARPS } },
	{ F(arp_garp_foreign), { OK,   OK,   OK,   OK,   ARPS, ARPS, ARPS, ARPS, ARPS } },
	{ F(ipv6_ext_echo),    { OK,   OK,   OK,   OK,   OK,   OK,   IPS,  OK,   OK } },
	{ F(ipv6_ext_ra),      { RA,   OK,   RA,   OK,   RA,   OK,   IPS,  IPS,  RA } },
	{ F(ipv6_frag_first),  { DHCP, OK,   OK,   DHCP, DHCP, OK,   IPS,  DHCP, DHCP } },
	{ F(ipv6_frag_later),  { OK,   OK,   OK,   OK,   OK,   OK,   IPS,  OK,   OK } },
	{ F(ipv6_frag_evasion),{ MAL,  OK,   MAL,  MAL,  MAL,  MAL,  MAL,  MAL,  MAL } },
	{ F(ns_slla),          { OK,   OK,   OK,   OK,   OK,   OK,   IPS,  NDS,  NDS } },
	{ F(ns_nud),           { OK,   OK,   OK,   OK,   OK,   OK,   IPS,  OK,   OK } },
	{ F(na_tlla),          { OK,   OK,   OK,   OK,   OK,   OK,   IPS,  NDS,  NDS } },
	{ F(na_plain),         { OK,   OK,   OK,   OK,   OK,   OK,   IPS,  OK,   OK } },
	{ F(ns_dad),           { OK,   OK,   OK,   OK,   OK,   OK,   NDS,  OK,   OK } },
	{ F(mld2_unspec),      { OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK } },
	{ F(rs),               { OK,   OK,   OK,   OK,   OK,   OK,   IPS,  IPS,  NDS } },
	{ F(rs_unspec),        { OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK } },
	{ F(rs_unspec_slla),   { OK,   OK,   OK,   OK,   MAL,  MAL,  MAL,  MAL,  MAL } },
	{ F(ra),               { RA,   OK,   RA,   OK,   RA,   OK,   IPS,  IPS,  RA } },
	{ F(redirect),         { RA,   OK,   RA,   OK,   RA,   OK,   IPS,  IPS,  RA } },
	{ F(dhcp6_solicit),    { OK,   OK,   OK,   OK,   OK,   OK,   IPS,  IPS,  OK } },
	{ F(dhcp6_advertise),  { DHCP, OK,   OK,   DHCP, DHCP, OK,   IPS,  IPS,  DHCP } },
	{ F(dhcp6_reply),      { DHCP, OK,   OK,   DHCP, DHCP, OK,   IPS,  IPS,  DHCP } },
};
#define NFRAMES (sizeof(table) / sizeof(table[0]))

/* Every captured frame under every policy. */
static void
test_frames_under_policies(void **state)
{
	(void)state;
	for (size_t i = 0; i < NFRAMES; i++) {
		struct pkt f = load(table[i].hex);
		for (int k = 0; k < NPOL; k++) {
			enum fn_l3_verdict v = judge(&P[k], &f);
			if (v != table[i].v[k])
				fail_msg("%s under policy %d: %s, expected %s",
					 table[i].name, k, vname(v), vname(table[i].v[k]));
		}
	}
}

/* Bytes of the L3 header the frame needs whole: the datagram's length
 * (IPv4, IPv6) or ARP's fixed 28 bytes. */
static uint32_t
l3_need(const struct pkt *f)
{
	const uint8_t *h = f->b + ETH_HLEN;
	switch (get16(f->b + 12)) {
	case FN_ETH_P_IPV4:
		return get16(h + 2);
	case FN_ETH_P_IPV6:
		return 40u + get16(h + 4);
	default:
		return 28;
	}
}

/* Every prefix of every frame: short of its own length fields it is
 * malformed (ip restricted) or passes unjudged (ip any); from there on
 * (Ethernet padding) it is judged as the whole frame. */
static void
test_every_prefix(void **state)
{
	(void)state;
	for (size_t i = 0; i < NFRAMES; i++) {
		struct pkt f = load(table[i].hex);
		uint32_t n = f.len - ETH_HLEN, need = l3_need(&f);
		assert_true(need <= n);
		for (int k = 0; k < NPOL; k++)
			for (uint32_t cut = 0; cut <= n; cut++) {
				enum fn_l3_verdict want = cut >= need ? table[i].v[k] :
					P[k].ip.restricted ? MAL : OK;
				enum fn_l3_verdict v = judge_l3(&P[k], f.b + ETH_HLEN, cut,
								get16(f.b + 12));
				if (v != want)
					fail_msg("%s cut to %u under policy %d: %s, expected %s",
						 table[i].name, cut, k, vname(v), vname(want));
			}
	}
}

/* ---- datagrams cut short, length fields to match ---- */

struct step {
	uint32_t from;          /* L3 length from which ... */
	enum fn_l3_verdict v;   /* ... this is the verdict */
};

/* Judge the frame's datagram at every length k up to its own, with the
 * IPv4 total length / IPv6 payload length rewritten to k. */
static void
sweep(const char *name, const char *hex, int k, const struct step *s, int ns)
{
	struct pkt f = load(hex);
	uint16_t type = get16(f.b + 12);
	uint32_t need = l3_need(&f);
	uint8_t b[512];
	for (uint32_t len = 0; len <= need; len++) {
		memcpy(b, f.b + ETH_HLEN, len);
		if (type == FN_ETH_P_IPV4 && len >= 4)
			put16(b + 2, (uint16_t)len);
		if (type == FN_ETH_P_IPV6 && len >= 40)
			put16(b + 4, (uint16_t)(len - 40));
		enum fn_l3_verdict want = s[0].v;
		for (int i = 0; i < ns && s[i].from <= len; i++)
			want = s[i].v;
		enum fn_l3_verdict v = judge_l3(&P[k], b, len, type);
		if (v != want)
			fail_msg("%s as a %u-byte datagram under policy %d: %s, expected %s",
				 name, len, k, vname(v), vname(want));
	}
}

#define SWEEP(frame, k, ...) do { \
	const struct step s_[] = { __VA_ARGS__ }; \
	sweep(#frame, frame, k, s_, (int)(sizeof(s_) / sizeof(s_[0]))); \
} while (0)

/* IPv4: ports need a whole UDP header after the IP header (and options). */
static void
test_ipv4_datagram_cut(void **state)
{
	(void)state;
	SWEEP(dhcp4_offer, ANY, { 0, OK }, { 28, DHCP });
	SWEEP(dhcp4_offer, GUEST, { 0, MAL }, { 20, OK }, { 28, DHCP });
	SWEEP(dhcp4_offer_opts, ANY, { 0, OK }, { 32, DHCP });
	SWEEP(dhcp4_offer_opts, GUEST, { 0, MAL }, { 24, OK }, { 32, DHCP });
	/* 0.0.0.0 passes only as a visible 68 -> 67 */
	SWEEP(dhcp4_discover, GUEST, { 0, MAL }, { 20, IPS }, { 28, OK });
	SWEEP(ipv4_udp, NONE, { 0, MAL }, { 20, IPS });
	SWEEP(ipv4_igmp_opts, GUEST, { 0, MAL }, { 24, OK });
}

/* IPv6: the extension chain, then a whole UDP / ICMPv6 header, then the
 * ND fixed part and whole options. */
static void
test_ipv6_datagram_cut(void **state)
{
	(void)state;
	/* hop-by-hop 40..47, destination options 48..55, ICMPv6 from 56 */
	SWEEP(ipv6_ext_ra, ANY, { 0, OK }, { 60, RA });
	SWEEP(ipv6_ext_ra, GUEST, { 0, MAL }, { 56, OK }, { 60, RA });
	SWEEP(ipv6_ext_echo, GUEST, { 0, MAL }, { 56, OK });
	/* fragment header 40..47, UDP from 48: a first fragment with the
	 * UDP header cut is malformed under any guard */
	SWEEP(ipv6_frag_first, ANY, { 0, OK }, { 48, MAL }, { 56, DHCP });
	SWEEP(ipv6_frag_first, ANY_DHCP, { 0, OK }, { 48, MAL }, { 56, OK });
	SWEEP(ipv6_frag_first, OPEN, { 0, OK });
	SWEEP(ipv6_frag_first, GUEST, { 0, MAL }, { 56, DHCP });
	SWEEP(ipv6_frag_later, GUEST, { 0, MAL }, { 48, OK });
	SWEEP(ipv6_frag_later, ANY, { 0, OK });
	/* fragment header 40..47, destination options 48..55, no UDP */
	SWEEP(ipv6_frag_evasion, ANY, { 0, OK }, { 48, MAL });
	SWEEP(ipv6_frag_evasion, ANY_RA, { 0, OK }, { 48, MAL });
	SWEEP(ipv6_frag_evasion, GUEST, { 0, MAL });
	SWEEP(ipv6_frag_evasion, OPEN, { 0, OK });
	/* NS: fixed part 24, SLLA 8 */
	SWEEP(ns_slla, GUEST, { 0, MAL }, { 40, OK }, { 44, MAL }, { 64, OK },
	      { 65, MAL }, { 72, OK });
	SWEEP(ns_slla, OTHER_MAC, { 0, MAL }, { 40, OK }, { 44, MAL }, { 64, OK },
	      { 65, MAL }, { 72, NDS });
	SWEEP(ns_slla, ANY, { 0, OK });
	SWEEP(na_tlla, LAN, { 0, MAL }, { 40, OK }, { 44, MAL }, { 64, OK },
	      { 65, MAL }, { 72, NDS });
	SWEEP(na_plain, GUEST, { 0, MAL }, { 40, OK }, { 44, MAL }, { 64, OK });
	/* from ::, the type must show NS (and the target the guest's) */
	SWEEP(ns_dad, GUEST, { 0, MAL }, { 40, IPS }, { 44, MAL }, { 64, OK });
	SWEEP(ns_dad, NONE, { 0, MAL }, { 40, IPS }, { 44, MAL }, { 64, NDS });
	/* hop-by-hop 40..47, ICMPv6 from 48 */
	SWEEP(mld2_unspec, GUEST, { 0, MAL }, { 48, IPS }, { 52, OK });
	/* RS: fixed part 8, SLLA 8 */
	SWEEP(rs, GUEST, { 0, MAL }, { 40, OK }, { 44, MAL }, { 48, OK },
	      { 49, MAL }, { 56, OK });
	SWEEP(rs, LAN, { 0, MAL }, { 40, OK }, { 44, MAL }, { 48, OK },
	      { 49, MAL }, { 56, NDS });
	/* from ::, the type must show RS; then no SLLA */
	SWEEP(rs_unspec, GUEST, { 0, MAL }, { 40, IPS }, { 44, MAL }, { 48, OK });
	SWEEP(rs_unspec, ANY, { 0, OK });
	SWEEP(rs_unspec_slla, NONE, { 0, MAL }, { 40, IPS }, { 44, MAL }, { 48, OK },
	      { 49, MAL });
	SWEEP(rs_unspec_slla, ANY, { 0, OK });
	/* RA and redirect: the type is enough, their bodies are not judged */
	SWEEP(ra, ANY, { 0, OK }, { 44, RA });
	SWEEP(ra, GUEST, { 0, MAL }, { 40, OK }, { 44, RA });
	SWEEP(ra, GUEST_OPEN, { 0, MAL }, { 40, OK });
	SWEEP(redirect, ANY, { 0, OK }, { 44, RA });
	SWEEP(dhcp6_advertise, ANY, { 0, OK }, { 48, DHCP });
	SWEEP(dhcp6_advertise, GUEST, { 0, MAL }, { 40, OK }, { 48, DHCP });
	SWEEP(dhcp6_solicit, GUEST, { 0, MAL }, { 40, OK });
}

/* ---- IPv4 ---- */

/* Broken headers: malformed with ip restricted, unjudged with ip any
 * (even a DHCP offer: no receiver would take it). */
static void
test_ipv4_broken_headers(void **state)
{
	(void)state;
	struct pkt offer = load(dhcp4_offer), f;
	static const struct {
		uint32_t off;
		uint8_t v;
	} pokes[] = {
		{ 14, 0x65 },   /* version 6 */
		{ 14, 0x35 },   /* version 3 */
		{ 14, 0x44 },   /* IHL 4 */
		{ 14, 0x40 },   /* IHL 0 */
		{ 16, 0x00 },   /* total length 19 < IHL (with byte 17) */
	};
	for (size_t i = 0; i < sizeof(pokes) / sizeof(pokes[0]); i++) {
		f = offer;
		f.b[pokes[i].off] = pokes[i].v;
		if (pokes[i].off == 16)
			f.b[17] = 0x13;
		assert_verdict(judge(&P[ANY], &f), OK);
		assert_verdict(judge(&P[GUEST], &f), MAL);
		assert_verdict(judge(&P[GUEST_OPEN], &f), MAL);
		assert_verdict(judge(&P[OPEN], &f), OK);
	}
	/* total length one past the frame */
	f = offer;
	put16(f.b + 16, (uint16_t)(get16(f.b + 16) + 1));
	assert_verdict(judge(&P[ANY], &f), OK);
	assert_verdict(judge(&P[GUEST], &f), MAL);
	/* options past the total length: IHL 15 in a 59-byte datagram */
	f = offer;
	f.b[14] = 0x4f;
	put16(f.b + 16, 59);
	f.len = ETH_HLEN + 59;
	assert_verdict(judge(&P[ANY], &f), OK);
	assert_verdict(judge(&P[GUEST], &f), MAL);
	/* ... and IHL 15 past the frame */
	f = load(ipv4_udp);
	f.b[14] = 0x4f;
	assert_verdict(judge(&P[GUEST], &f), MAL);
	/* IHL 15 inside a long datagram is a header: judged (ports at 60) */
	f = offer;
	f.b[14] = 0x4f;
	assert_verdict(judge(&P[ANY], &f), OK);
	assert_verdict(judge(&P[GUEST], &f), OK);
	/* total length short of the frame: the rest is Ethernet padding */
	f = offer;
	memset(f.b + f.len, 0xee, 18);
	f.len += 18;
	assert_verdict(judge(&P[ANY], &f), DHCP);
	assert_verdict(judge(&P[GUEST], &f), DHCP);
	/* a header of 19 bytes */
	assert_verdict(judge_l3(&P[GUEST], offer.b + ETH_HLEN, 19, FN_ETH_P_IPV4), MAL);
	assert_verdict(judge_l3(&P[ANY], offer.b + ETH_HLEN, 19, FN_ETH_P_IPV4), OK);
}

/* Only a first fragment shows ports; every fragment shows its source. */
static void
test_ipv4_fragments(void **state)
{
	(void)state;
	struct pkt offer = load(dhcp4_offer), disc = load(dhcp4_discover), f;
	static const struct {
		uint16_t frag;
		enum fn_l3_verdict offer, disc;
	} c[] = {
		{ 0x0000, DHCP, OK },   /* whole */
		{ 0x4000, DHCP, OK },   /* DF: not an offset */
		{ 0x2000, DHCP, OK },   /* MF, offset 0: the first fragment */
		{ 0x2001, OK,   IPS },  /* offset 8: no ports */
		{ 0x00b9, OK,   IPS },  /* last fragment */
		{ 0x1000, OK,   IPS },  /* offset's top bit */
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		f = offer;
		put16(f.b + 20, c[i].frag);
		assert_verdict(judge(&P[ANY], &f), c[i].offer);
		assert_verdict(judge(&P[GUEST], &f), c[i].offer);
		f.b[29] = 6;    /* from 10.0.0.6: the source is still judged */
		assert_verdict(judge(&P[GUEST], &f), IPS);
		f = disc;
		put16(f.b + 20, c[i].frag);
		assert_verdict(judge(&P[GUEST], &f), c[i].disc);
		assert_verdict(judge(&P[ANY], &f), OK);
	}
}

/* A first fragment (MF, offset 0) whose UDP header is cut would carry its
 * ports in the next fragment: malformed while the DHCP guard is on. */
static void
test_ipv4_first_fragment(void **state)
{
	(void)state;
	struct pkt offer = load(dhcp4_offer), disc = load(dhcp4_discover), f;
	static const struct {
		uint16_t frag;
		bool first, offset0;
	} c[] = {
		{ 0x2000, true,  true },        /* MF */
		{ 0x6000, true,  true },        /* DF and MF */
		{ 0xa000, true,  true },        /* the reserved bit, MF */
		{ 0x0000, false, true },        /* not a fragment */
		{ 0x4000, false, true },        /* DF */
		{ 0x2001, false, false },       /* MF, offset 8 */
		{ 0x0001, false, false },       /* the last fragment */
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		for (uint32_t k = 0; k <= 8; k++) {
			bool cut = k < 8 && c[i].first;
			enum fn_l3_verdict server = k == 8 && c[i].offset0 ? DHCP : OK;
			f = offer;
			put16(f.b + 20, c[i].frag);
			put16(f.b + 16, (uint16_t)(20 + k));
			const uint8_t *l3 = f.b + ETH_HLEN;
			assert_verdict(judge_l3(&P[ANY], l3, 20 + k, FN_ETH_P_IPV4), cut ? MAL : server);
			assert_verdict(judge_l3(&P[ANY_RA], l3, 20 + k, FN_ETH_P_IPV4), cut ? MAL : server);
			assert_verdict(judge_l3(&P[GUEST], l3, 20 + k, FN_ETH_P_IPV4), cut ? MAL : server);
			/* without the DHCP guard: today's rules */
			assert_verdict(judge_l3(&P[ANY_DHCP], l3, 20 + k, FN_ETH_P_IPV4), OK);
			assert_verdict(judge_l3(&P[GUEST_OPEN], l3, 20 + k, FN_ETH_P_IPV4), OK);
			assert_verdict(judge_l3(&P[NONE], l3, 20 + k, FN_ETH_P_IPV4), cut ? MAL : IPS);
			/* TCP: no header a guard reads */
			f.b[23] = 6;
			assert_verdict(judge_l3(&P[ANY], l3, 20 + k, FN_ETH_P_IPV4), OK);
			assert_verdict(judge_l3(&P[GUEST], l3, 20 + k, FN_ETH_P_IPV4), OK);
			/* from 0.0.0.0: malformed is judged before the source */
			f = disc;
			put16(f.b + 20, c[i].frag);
			put16(f.b + 16, (uint16_t)(20 + k));
			enum fn_l3_verdict client = k == 8 && c[i].offset0 ? OK : IPS;
			assert_verdict(judge_l3(&P[GUEST], l3, 20 + k, FN_ETH_P_IPV4), cut ? MAL : client);
			assert_verdict(judge_l3(&P[GUEST_OPEN], l3, 20 + k, FN_ETH_P_IPV4), client);
			assert_verdict(judge_l3(&P[ANY], l3, 20 + k, FN_ETH_P_IPV4), cut ? MAL : OK);
		}
	/* with IP options: the UDP header counts from the end of them */
	f = load(dhcp4_offer_opts);
	put16(f.b + 20, 0x2000);
	for (uint32_t k = 0; k <= 8; k++) {
		put16(f.b + 16, (uint16_t)(24 + k));
		assert_verdict(judge_l3(&P[ANY], f.b + ETH_HLEN, 24 + k, FN_ETH_P_IPV4),
			       k < 8 ? MAL : DHCP);
	}
}

/* DHCPv4: clients pass, servers and relays are dropped unless allowed;
 * the source check comes first. */
static void
test_dhcp4(void **state)
{
	(void)state;
	struct pkt disc = load(dhcp4_discover), offer = load(dhcp4_offer), f;
	/* 0.0.0.0 only as 68 -> 67 UDP */
	f = disc;
	put16(f.b + 36, 68);            /* 68 -> 68 */
	assert_verdict(judge(&P[GUEST], &f), IPS);
	assert_verdict(judge(&P[ANY], &f), DHCP);
	f = disc;
	put16(f.b + 34, 67);            /* 67 -> 67: a relay */
	assert_verdict(judge(&P[GUEST], &f), IPS);
	assert_verdict(judge(&P[ANY], &f), DHCP);
	assert_verdict(judge(&P[OPEN], &f), OK);
	f = disc;
	f.b[23] = 6;                    /* TCP 68 -> 67 */
	assert_verdict(judge(&P[GUEST], &f), IPS);
	assert_verdict(judge(&P[ANY], &f), OK);
	/* a discover from an own address is just UDP */
	f = disc;
	memcpy(f.b + 26, "\x0a\x00\x00\x05", 4);
	assert_verdict(judge(&P[GUEST], &f), OK);
	f.b[29] = 7;
	assert_verdict(judge(&P[GUEST], &f), IPS);
	/* the offer: its own source, yet a server */
	assert_verdict(judge(&P[GUEST], &offer), DHCP);
	assert_verdict(judge(&P[GUEST_OPEN], &offer), OK);
	struct fn_l3_policy p = P[GUEST];
	p.ra = true;                    /* ra has nothing to do with it */
	assert_verdict(judge(&p, &offer), DHCP);
	p = P[GUEST];
	p.dhcp_server = true;
	assert_verdict(judge(&p, &offer), OK);
	f = offer;
	f.b[29] = 6;                    /* from 10.0.0.6: spoofed first */
	assert_verdict(judge(&P[GUEST], &f), IPS);
	assert_verdict(judge(&P[GUEST_OPEN], &f), IPS);
	assert_verdict(judge(&P[ANY], &f), DHCP);
	/* either port gives a server away */
	f = offer;
	put16(f.b + 34, 1234);          /* 1234 -> 68 */
	assert_verdict(judge(&P[ANY], &f), DHCP);
	put16(f.b + 36, 1235);          /* 1234 -> 1235 */
	assert_verdict(judge(&P[ANY], &f), OK);
	put16(f.b + 34, 67);            /* 67 -> 1235 */
	assert_verdict(judge(&P[ANY], &f), DHCP);
	/* UDP 67 in another protocol is not DHCP */
	f = offer;
	f.b[23] = 6;
	assert_verdict(judge(&P[ANY], &f), OK);
	/* a renewal from the guest's own address */
	f = load(dhcp4_renew);
	assert_verdict(judge(&P[GUEST], &f), OK);
	f.b[29] = 6;
	assert_verdict(judge(&P[GUEST], &f), IPS);
}

/* 0.0.0.0/0 allows every source, not 0.0.0.0 (only DHCP may use it). */
static void
test_ipv4_prefixes(void **state)
{
	(void)state;
	struct pkt f = load(ipv4_udp);
	static const struct {
		const char *ip;
		enum fn_l3_verdict v;
	} c[] = {
		{ "10.0.0.5", OK }, { "10.0.0.4", IPS }, { "10.0.0.6", IPS },
		{ "10.0.0.4/31", OK }, { "10.0.0.4/32", IPS }, { "10.0.0.0/29", OK },
		{ "10.0.0.8/29", IPS }, { "10.0.0.0/8", OK }, { "11.0.0.0/8", IPS },
		{ "0.0.0.0/0", OK }, { "0.0.0.0/1", OK }, { "128.0.0.0/1", IPS },
		{ "2001:db8:1::5", IPS }, { "none", IPS }, { "any", OK },
		{ "192.168.0.1,172.16.0.0/12,10.0.0.5", OK },
		{ "1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5,6.6.6.6,7.7.7.7,8.8.8.8,"
		  "9.9.9.9,10.10.10.10,11.11.11.11,12.12.12.12,13.13.13.13,14.14.14.14,"
		  "15.15.15.15,10.0.0.5", OK },
		{ "1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5,6.6.6.6,7.7.7.7,8.8.8.8,"
		  "9.9.9.9,10.10.10.10,11.11.11.11,12.12.12.12,13.13.13.13,14.14.14.14,"
		  "15.15.15.15,10.0.0.6", IPS },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct fn_l3_policy p = pol(c[i].ip, MAC_GUEST, false, false);
		if (judge(&p, &f) != c[i].v)
			fail_msg("ip %s: %s", c[i].ip, vname(judge(&p, &f)));
	}
	struct fn_l3_policy all = pol("0.0.0.0/0", MAC_GUEST, false, false);
	memset(f.b + 26, 0, 4);         /* 0.0.0.0:40000 -> 10.0.0.1:53 */
	assert_verdict(judge(&all, &f), IPS);
	memcpy(f.b + 26, "\xfe\xff\xff\xff", 4);
	assert_verdict(judge(&all, &f), OK);
	f = load(dhcp4_discover);
	assert_verdict(judge(&all, &f), OK);
}

/* ---- ARP ---- */

static void
test_arp(void **state)
{
	(void)state;
	struct pkt f;
	/* a probe asks; as a reply (or anything else) it is a lie */
	f = load(arp_probe);
	put16(f.b + 20, 2);
	assert_verdict(judge(&P[GUEST], &f), ARPS);
	put16(f.b + 20, 3);
	assert_verdict(judge(&P[GUEST], &f), ARPS);
	assert_verdict(judge(&P[ANY], &f), OK);
	/* the gateway's address is fine once the guest owns it */
	struct fn_l3_policy lan = pol("10.0.0.0/24", MAC_GUEST, false, false);
	f = load(arp_garp_foreign);
	assert_verdict(judge(&lan, &f), OK);
	f.b[29] = 0x01; /* sender 10.1.0.1 */
	assert_verdict(judge(&lan, &f), ARPS);
	/* the sender MAC, not the Ethernet source, is the vNIC's */
	f = load(arp_reply);
	f.b[27] ^= 1;
	assert_verdict(judge(&P[GUEST], &f), ARPS);
	f = load(arp_reply);
	f.b[11] ^= 1;
	assert_verdict(judge(&P[GUEST], &f), OK);
	/* the target is the guest's business */
	f = load(arp_request);
	memcpy(f.b + 38, "\xc0\xa8\x00\x01", 4);
	assert_verdict(judge(&P[GUEST], &f), OK);
	/* a reply from 0.0.0.0 even when 0.0.0.0/0 is allowed */
	struct fn_l3_policy all = pol("0.0.0.0/0", MAC_GUEST, false, false);
	f = load(arp_probe);
	assert_verdict(judge(&all, &f), OK);
	put16(f.b + 20, 2);
	assert_verdict(judge(&all, &f), ARPS);
	f = load(arp_garp_foreign);
	assert_verdict(judge(&all, &f), OK);
}

/* Only Ethernet/IPv4 ARP of at least 28 bytes, and only with ip restricted. */
static void
test_arp_malformed(void **state)
{
	(void)state;
	struct pkt req = load(arp_request), f;
	static const struct {
		uint32_t off;
		uint8_t v;
	} pokes[] = {
		{ 14, 0x01 },   /* htype 0x0101 */
		{ 15, 0x06 },   /* htype 6 (IEEE 802) */
		{ 16, 0x86 },   /* ptype 0x8600 */
		{ 17, 0x01 },   /* ptype 0x0801 */
		{ 18, 0x08 },   /* hlen 8 */
		{ 19, 0x10 },   /* plen 16 */
		{ 19, 0x00 },   /* plen 0 */
	};
	for (size_t i = 0; i < sizeof(pokes) / sizeof(pokes[0]); i++) {
		f = req;
		f.b[pokes[i].off] = pokes[i].v;
		assert_verdict(judge(&P[GUEST], &f), MAL);
		assert_verdict(judge(&P[NONE], &f), MAL);
		assert_verdict(judge(&P[OTHER_MAC], &f), MAL);  /* before the MAC */
		assert_verdict(judge(&P[ANY], &f), OK);
	}
	assert_verdict(judge_l3(&P[GUEST], req.b + ETH_HLEN, 27, FN_ETH_P_ARP), MAL);
	assert_verdict(judge_l3(&P[GUEST], req.b + ETH_HLEN, 28, FN_ETH_P_ARP), OK);
	assert_verdict(judge_l3(&P[ANY], req.b + ETH_HLEN, 27, FN_ETH_P_ARP), OK);
	assert_verdict(judge_l3(&P[GUEST], req.b + ETH_HLEN, 0, FN_ETH_P_ARP), MAL);
}

/* ---- IPv6 built to order ---- */

#define G6 "2001:db8:1::5"

/* An IPv6 datagram from `src` to ff02::1: the extension headers `ext`
 * (8 bytes each with a PadN, AH 24 with its length in 4-byte words, a
 * fragment header with offset|flags `frag`), then `nh` carrying `pl`.
 * @return its length. */
static uint32_t
ip6(uint8_t *b, const char *src, const uint8_t *ext, int next, uint16_t frag,
    uint8_t nh, const uint8_t *pl, uint32_t pln)
{
	memset(b, 0, 40);
	b[0] = 0x60;
	b[7] = 255;
	assert_int_equal(inet_pton(AF_INET6, src, b + 8), 1);
	assert_int_equal(inet_pton(AF_INET6, "ff02::1", b + 24), 1);
	uint8_t *nhp = b + 6;
	uint32_t off = 40;
	for (int i = 0; i < next; i++) {
		uint32_t hl = ext[i] == 51 ? 24 : 8;
		*nhp = ext[i];
		nhp = b + off;
		memset(b + off, 0, hl);
		if (ext[i] == 51) {
			b[off + 1] = 4;         /* (4 + 2) x 4 bytes */
		} else if (ext[i] == 44) {
			put16(b + off + 2, frag);
		} else {
			b[off + 2] = 1;         /* PadN of 4 */
			b[off + 3] = 4;
		}
		off += hl;
	}
	*nhp = nh;
	if (pln > 0)
		memcpy(b + off, pl, pln);
	off += pln;
	put16(b + 4, (uint16_t)(off - 40));
	return off;
}

/* An ICMPv6 message: its fixed part (the target, if any, at 8), then the
 * options. @return its length. */
static uint32_t
icmp(uint8_t *m, uint8_t type, const char *target, const uint8_t *opt,
     uint32_t optlen)
{
	uint32_t fixed = type == 133 ? 8 : type == 134 ? 16 :
			 type == 135 || type == 136 ? 24 : type == 137 ? 40 : 8;
	memset(m, 0, fixed);
	m[0] = type;
	if (target != NULL)
		assert_int_equal(inet_pton(AF_INET6, target, m + 8), 1);
	if (optlen > 0)
		memcpy(m + fixed, opt, optlen);
	return fixed + optlen;
}

/* Judge ICMPv6 `type` from `src`, right after the IPv6 header. */
static enum fn_l3_verdict
nd(const struct fn_l3_policy *p, const char *src, uint8_t type,
   const char *target, const uint8_t *opt, uint32_t optlen)
{
	uint8_t m[256], b[512];
	uint32_t n = icmp(m, type, target, opt, optlen);
	n = ip6(b, src, NULL, 0, 0, 58, m, n);
	return judge_l3(p, b, n, FN_ETH_P_IPV6);
}

#define OPT(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })
#define NOOPT    NULL, 0
#define MACG     0x52, 0x54, 0x00, 0x12, 0x34, 0x56
#define MACO     0x52, 0x54, 0x00, 0xab, 0xcd, 0xef

/* Every kind of extension header, up to FN_L3_MAX_EXT of them. */
static void
test_ext_chain(void **state)
{
	(void)state;
	static const uint8_t kinds[] = { 0, 43, 44, 51, 60 };
	uint8_t ra_m[16], b[512];
	uint32_t n;
	icmp(ra_m, 134, NULL, NOOPT);
	for (size_t i = 0; i < sizeof(kinds); i++) {
		n = ip6(b, GUEST_LL, &kinds[i], 1, 0, 58, ra_m, 16);
		assert_verdict(judge_l3(&P[ANY], b, n, FN_ETH_P_IPV6), RA);
		assert_verdict(judge_l3(&P[GUEST], b, n, FN_ETH_P_IPV6), RA);
		assert_verdict(judge_l3(&P[GUEST_OPEN], b, n, FN_ETH_P_IPV6), OK);
		/* its length past the end (a fragment header has none) */
		b[41] += kinds[i] == 51 ? 6 : 3;
		assert_verdict(judge_l3(&P[ANY], b, n, FN_ETH_P_IPV6), kinds[i] == 44 ? RA : OK);
		assert_verdict(judge_l3(&P[GUEST], b, n, FN_ETH_P_IPV6), kinds[i] == 44 ? RA : MAL);
	}
	/* FN_L3_MAX_EXT deep is walked; one more is malformed whatever ip
	 * says, even announced without its bytes: an RA may hide behind it */
	uint8_t deep[FN_L3_MAX_EXT + 2];
	memset(deep, 60, sizeof(deep));
	for (int d = 0; d <= FN_L3_MAX_EXT + 1; d++) {
		bool over = d > FN_L3_MAX_EXT;
		n = ip6(b, GUEST_LL, deep, d, 0, 58, ra_m, 16);
		assert_verdict(judge_l3(&P[ANY], b, n, FN_ETH_P_IPV6), over ? MAL : RA);
		assert_verdict(judge_l3(&P[GUEST], b, n, FN_ETH_P_IPV6), over ? MAL : RA);
		assert_verdict(judge_l3(&P[GUEST_OPEN], b, n, FN_ETH_P_IPV6), over ? MAL : OK);
		assert_verdict(judge_l3(&P[OPEN], b, n, FN_ETH_P_IPV6), OK);
	}
	n = ip6(b, GUEST_LL, deep, FN_L3_MAX_EXT, 0, 60, NULL, 0);
	assert_verdict(judge_l3(&P[ANY], b, n, FN_ETH_P_IPV6), MAL);
	n = ip6(b, GUEST_LL, deep, FN_L3_MAX_EXT - 1, 0, 60, NULL, 0);
	assert_verdict(judge_l3(&P[ANY], b, n, FN_ETH_P_IPV6), OK);   /* cut */
	assert_verdict(judge_l3(&P[GUEST], b, n, FN_ETH_P_IPV6), MAL);
	static const uint8_t mix[] = { 0, 43, 44, 51, 60, 51, 43, 60, 60 };
	n = ip6(b, GUEST_LL, mix, 8, 0, 58, ra_m, 16);
	assert_verdict(judge_l3(&P[ANY], b, n, FN_ETH_P_IPV6), RA);
	n = ip6(b, GUEST_LL, mix, 9, 0, 58, ra_m, 16);
	assert_verdict(judge_l3(&P[ANY], b, n, FN_ETH_P_IPV6), MAL);
	/* fragments: the offset hides the rest, the flags do not */
	static const struct {
		uint16_t frag;
		enum fn_l3_verdict any, unspec;
	} fr[] = {
		{ 0x0001, RA, IPS },    /* M: a first fragment */
		{ 0x0006, RA, IPS },    /* reserved bits */
		{ 0x0008, OK, IPS },    /* offset 8 */
		{ 0x8000, OK, IPS },
		{ 0xfff9, OK, IPS },
	};
	for (size_t i = 0; i < sizeof(fr) / sizeof(fr[0]); i++) {
		n = ip6(b, GUEST_LL, &kinds[2], 1, fr[i].frag, 58, ra_m, 16);
		assert_verdict(judge_l3(&P[ANY], b, n, FN_ETH_P_IPV6), fr[i].any);
		assert_verdict(judge_l3(&P[GUEST], b, n, FN_ETH_P_IPV6), fr[i].any);
		n = ip6(b, "::", &kinds[2], 1, fr[i].frag, 58, ra_m, 16);
		assert_verdict(judge_l3(&P[GUEST], b, n, FN_ETH_P_IPV6), fr[i].unspec);
	}
	/* a fragment header needs its 8 bytes */
	n = ip6(b, G6, &kinds[2], 1, 0, 59, NULL, 0);
	assert_verdict(judge_l3(&P[GUEST], b, n, FN_ETH_P_IPV6), OK);
	put16(b + 4, 7);
	assert_verdict(judge_l3(&P[GUEST], b, n - 1, FN_ETH_P_IPV6), MAL);
	assert_verdict(judge_l3(&P[ANY], b, n - 1, FN_ETH_P_IPV6), OK);
	/* ESP, no next header, TCP: the walk stops, the source is judged */
	static const uint8_t stop[] = { 50, 59, 6 };
	for (size_t i = 0; i < sizeof(stop); i++) {
		n = ip6(b, G6, kinds, 1, 0, stop[i], ra_m, 16);
		assert_verdict(judge_l3(&P[ANY], b, n, FN_ETH_P_IPV6), OK);
		assert_verdict(judge_l3(&P[GUEST], b, n, FN_ETH_P_IPV6), OK);
		n = ip6(b, "::", kinds, 1, 0, stop[i], ra_m, 16);
		assert_verdict(judge_l3(&P[GUEST], b, n, FN_ETH_P_IPV6), IPS);
		n = ip6(b, "2001:db8:1::6", kinds, 1, 0, stop[i], ra_m, 16);
		assert_verdict(judge_l3(&P[GUEST], b, n, FN_ETH_P_IPV6), IPS);
	}
	/* UDP behind the chain */
	static const uint8_t udp[8] = { 0x02, 0x23, 0x02, 0x22, 0, 8, 0, 0 };
	n = ip6(b, G6, mix, 5, 0, 17, udp, 8);
	assert_verdict(judge_l3(&P[ANY], b, n, FN_ETH_P_IPV6), DHCP);
	assert_verdict(judge_l3(&P[GUEST], b, n, FN_ETH_P_IPV6), DHCP);
}

/* RFC 7112: a first fragment (offset 0) holds the whole chain and the
 * UDP / ICMPv6 header; one cut short is malformed under any guard, where
 * an unfragmented datagram cut the same way passes with ip any. */
static void
test_ipv6_first_fragment(void **state)
{
	(void)state;
	static const uint8_t frag[] = { 44 }, frag_dst[] = { 44, 60 },
			     hop_frag[] = { 0, 44 }, dst[] = { 60 };
	static const uint8_t reply[8] = { 0x02, 0x23, 0x02, 0x22, 0, 8, 0, 0 };
	const uint16_t V6 = FN_ETH_P_IPV6;
	uint8_t ra_m[16], b[512];
	uint32_t n;
	icmp(ra_m, 134, NULL, NOOPT);
	/* UDP cut to k bytes behind a fragment header */
	for (uint32_t k = 0; k <= 8; k++) {
		bool cut = k < 8;
		n = ip6(b, G6, frag, 1, 0x0001, 17, reply, k);          /* M */
		assert_verdict(judge_l3(&P[ANY], b, n, V6), cut ? MAL : DHCP);
		assert_verdict(judge_l3(&P[ANY_DHCP], b, n, V6), cut ? MAL : OK);
		assert_verdict(judge_l3(&P[ANY_RA], b, n, V6), cut ? MAL : DHCP);
		assert_verdict(judge_l3(&P[GUEST], b, n, V6), cut ? MAL : DHCP);
		assert_verdict(judge_l3(&P[GUEST_OPEN], b, n, V6), cut ? MAL : OK);
		assert_verdict(judge_l3(&P[NONE], b, n, V6), cut ? MAL : IPS);
		assert_verdict(judge_l3(&P[OPEN], b, n, V6), OK);
		n = ip6(b, G6, frag, 1, 0x0000, 17, reply, k);          /* atomic */
		assert_verdict(judge_l3(&P[ANY], b, n, V6), cut ? MAL : DHCP);
		n = ip6(b, G6, frag, 1, 0x0007, 17, reply, k);          /* M, reserved */
		assert_verdict(judge_l3(&P[ANY], b, n, V6), cut ? MAL : DHCP);
		/* a later fragment has no UDP header to cut */
		n = ip6(b, G6, frag, 1, 0x0009, 17, reply, k);
		assert_verdict(judge_l3(&P[ANY], b, n, V6), OK);
		assert_verdict(judge_l3(&P[GUEST], b, n, V6), OK);
		/* unfragmented: a cut header passes with ip any, as before */
		n = ip6(b, G6, NULL, 0, 0, 17, reply, k);
		assert_verdict(judge_l3(&P[ANY], b, n, V6), cut ? OK : DHCP);
		assert_verdict(judge_l3(&P[GUEST], b, n, V6), cut ? OK : DHCP);
		n = ip6(b, G6, dst, 1, 0, 17, reply, k);
		assert_verdict(judge_l3(&P[ANY], b, n, V6), cut ? OK : DHCP);
		/* TCP: no header a guard reads */
		n = ip6(b, G6, frag, 1, 0x0001, 6, reply, k);
		assert_verdict(judge_l3(&P[ANY], b, n, V6), OK);
	}
	/* ICMPv6 cut to k bytes behind hop-by-hop and a fragment header */
	for (uint32_t k = 0; k <= 4; k++) {
		bool cut = k < 4;
		n = ip6(b, GUEST_LL, hop_frag, 2, 0x0001, 58, ra_m, k);
		assert_verdict(judge_l3(&P[ANY], b, n, V6), cut ? MAL : RA);
		assert_verdict(judge_l3(&P[ANY_DHCP], b, n, V6), cut ? MAL : RA);
		assert_verdict(judge_l3(&P[ANY_RA], b, n, V6), cut ? MAL : OK);
		assert_verdict(judge_l3(&P[GUEST_OPEN], b, n, V6), cut ? MAL : OK);
		assert_verdict(judge_l3(&P[OPEN], b, n, V6), OK);
		n = ip6(b, GUEST_LL, hop_frag, 1, 0, 58, ra_m, k);     /* hop-by-hop only */
		assert_verdict(judge_l3(&P[ANY], b, n, V6), cut ? OK : RA);
		assert_verdict(judge_l3(&P[GUEST_OPEN], b, n, V6), OK);
	}
	/* the chain after the fragment header cut: its header short of 2
	 * bytes, or its length past the end */
	n = ip6(b, G6, frag_dst, 2, 0x0001, 17, reply, 8);
	for (uint32_t k = 0; k < 8; k++) {
		put16(b + 4, (uint16_t)(8 + k));
		assert_verdict(judge_l3(&P[ANY], b, 48 + k, V6), MAL);
		assert_verdict(judge_l3(&P[ANY_DHCP], b, 48 + k, V6), MAL);
		assert_verdict(judge_l3(&P[OPEN], b, 48 + k, V6), OK);
	}
	put16(b + 4, (uint16_t)(n - 40));
	assert_verdict(judge_l3(&P[ANY], b, n, V6), DHCP);
	b[49] = 2;                      /* destination options of 24 bytes */
	assert_verdict(judge_l3(&P[ANY], b, n, V6), MAL);
	assert_verdict(judge_l3(&P[ANY_RA], b, n, V6), MAL);
	n = ip6(b, G6, dst, 1, 0, 17, reply, 8);
	b[41] = 2;                      /* unfragmented: as before */
	assert_verdict(judge_l3(&P[ANY], b, n, V6), OK);
	assert_verdict(judge_l3(&P[GUEST], b, n, V6), MAL);
	/* a fragment header itself cut shows no offset: not known as a first
	 * fragment */
	n = ip6(b, G6, frag, 1, 0x0001, 17, reply, 0);
	for (uint32_t k = 0; k < 8; k++) {
		put16(b + 4, (uint16_t)k);
		assert_verdict(judge_l3(&P[ANY], b, 40 + k, V6), OK);
		assert_verdict(judge_l3(&P[GUEST], b, 40 + k, V6), MAL);
	}
	/* an extension header before the fragment header cut: unfragmented
	 * as far as anyone can tell */
	n = ip6(b, G6, hop_frag, 2, 0x0001, 17, reply, 8);
	b[41] = 9;
	assert_verdict(judge_l3(&P[ANY], b, n, V6), OK);
	assert_verdict(judge_l3(&P[GUEST], b, n, V6), MAL);
}

static void
test_ipv6_header(void **state)
{
	(void)state;
	struct pkt ra_f = load(ra), f;
	static const uint8_t ver[] = { 0x40, 0x70, 0x00, 0xf0 };
	for (size_t i = 0; i < sizeof(ver); i++) {
		f = ra_f;
		f.b[14] = ver[i];
		assert_verdict(judge(&P[ANY], &f), OK);
		assert_verdict(judge(&P[GUEST], &f), MAL);
		assert_verdict(judge(&P[GUEST_OPEN], &f), MAL);
	}
	f = ra_f;
	f.b[14] = 0x6f;                 /* traffic class, not version */
	assert_verdict(judge(&P[ANY], &f), RA);
	f = ra_f;                       /* payload length one past */
	put16(f.b + 18, (uint16_t)(get16(f.b + 18) + 1));
	assert_verdict(judge(&P[ANY], &f), OK);
	assert_verdict(judge(&P[GUEST], &f), MAL);
	f = ra_f;                       /* padding after the datagram */
	memset(f.b + f.len, 0, 10);
	f.len += 10;
	assert_verdict(judge(&P[ANY], &f), RA);
	/* ND options end with the datagram, not the frame */
	f = load(ns_slla);
	memcpy(f.b + f.len, "\x01\x00\x01\x09\xff", 5);
	f.len += 5;
	assert_verdict(judge(&P[GUEST], &f), OK);
	assert_verdict(judge_l3(&P[GUEST], ra_f.b + ETH_HLEN, 39, FN_ETH_P_IPV6), MAL);
	assert_verdict(judge_l3(&P[ANY], ra_f.b + ETH_HLEN, 39, FN_ETH_P_IPV6), OK);
	assert_verdict(judge_l3(&P[GUEST], ra_f.b + ETH_HLEN, 0, FN_ETH_P_IPV6), MAL);
}

/* A NA's target, and a DAD probe's, must be the guest's own. */
static void
test_nd_targets(void **state)
{
	(void)state;
	struct fn_l3_policy v4 = pol("10.0.0.5", MAC_GUEST, false, false);
	struct fn_l3_policy net = pol("2001:db8:1::/64", MAC_GUEST, false, false);
	static const struct {
		const char *target;
		enum fn_l3_verdict na, dad, dad_v4, dad_net;
	} c[] = {
		{ G6,                         OK,  OK,  NDS, OK },
		{ "2001:db8:1::6",            NDS, NDS, NDS, OK },
		{ "2001:db8:1::4",            NDS, NDS, NDS, OK },
		{ "2001:db8:2::5",            NDS, NDS, NDS, NDS },
		{ GUEST_LL,                   OK,  OK,  NDS, OK },
		{ "fe80::5054:ff:fe12:3457",  NDS, NDS, NDS, NDS },
		{ "fe80::5054:ff:feab:cdef",  NDS, NDS, NDS, NDS },
		{ "fe80::5254:ff:fe12:3456",  NDS, NDS, NDS, NDS },  /* U/L unflipped */
		{ "::",                       NDS, NDS, NDS, NDS },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		const char *t = c[i].target;
		assert_verdict(nd(&P[GUEST], G6, 136, t, NOOPT), c[i].na);
		assert_verdict(nd(&P[GUEST], GUEST_LL, 136, t, NOOPT), c[i].na);
		assert_verdict(nd(&P[GUEST], "::", 135, t, NOOPT), c[i].dad);
		assert_verdict(nd(&v4, "::", 135, t, NOOPT), c[i].dad_v4);
		assert_verdict(nd(&net, "::", 135, t, NOOPT), c[i].dad_net);
		/* resolving a neighbour: any target */
		assert_verdict(nd(&P[GUEST], G6, 135, t, NOOPT), OK);
		assert_verdict(nd(&P[ANY], G6, 136, t, NOOPT), OK);
		assert_verdict(nd(&P[ANY], "::", 135, t, NOOPT), OK);
		/* never from :: (a NA), a foreign source is spoofed first */
		assert_verdict(nd(&P[GUEST], "::", 136, t, NOOPT), IPS);
		assert_verdict(nd(&P[GUEST], "2001:db8:1::6", 136, t, NOOPT), IPS);
	}
}

/* Link-layer address options in RS, NS and NA must carry the vNIC's MAC;
 * options must be whole and not empty. */
static void
test_nd_options(void **state)
{
	(void)state;
	const struct fn_l3_policy *g = &P[GUEST], *a = &P[ANY];
	static const uint8_t types[] = { 133, 135, 136 };
	for (size_t i = 0; i < sizeof(types); i++) {
		uint8_t t = types[i];
		const char *tg = t == 133 ? NULL : G6;
		assert_verdict(nd(g, G6, t, tg, OPT(1, 1, MACG)), OK);
		assert_verdict(nd(g, G6, t, tg, OPT(2, 1, MACG)), OK);
		assert_verdict(nd(g, G6, t, tg, OPT(1, 1, MACO)), NDS);
		assert_verdict(nd(g, G6, t, tg, OPT(2, 1, MACO)), NDS);
		assert_verdict(nd(a, G6, t, tg, OPT(2, 1, MACO)), OK);
		/* the second option lies */
		assert_verdict(nd(g, G6, t, tg, OPT(2, 1, MACG, 1, 1, MACO)), NDS);
		assert_verdict(nd(g, G6, t, tg, OPT(14, 1, 1, 2, 3, 4, 5, 6, 2, 1, MACO)), NDS);
		/* other options: not judged */
		assert_verdict(nd(g, G6, t, tg, OPT(14, 1, MACO, 2, 1, MACG)), OK);
		assert_verdict(nd(g, G6, t, tg, OPT(99, 3, MACO, MACO, MACO, 0, 0, 0, 0)), OK);
		/* a longer link-layer option: the MAC is still at its start */
		assert_verdict(nd(g, G6, t, tg, OPT(1, 2, MACG, 0, 0, 0, 0, 0, 0, 0, 0)), OK);
		assert_verdict(nd(g, G6, t, tg, OPT(1, 2, MACO, 0, 0, 0, 0, 0, 0, 0, 0)), NDS);
		/* malformed: length 0, past the end, a stray byte */
		assert_verdict(nd(g, G6, t, tg, OPT(1, 0, MACG)), MAL);
		assert_verdict(nd(g, G6, t, tg, OPT(14, 0, 0, 0, 0, 0, 0, 0)), MAL);
		assert_verdict(nd(g, G6, t, tg, OPT(1, 1, MACG, 14, 0)), MAL);
		assert_verdict(nd(g, G6, t, tg, OPT(1, 2, MACG)), MAL);
		assert_verdict(nd(g, G6, t, tg, OPT(1, 1, MACG, 2)), MAL);
		assert_verdict(nd(g, G6, t, tg, OPT(1)), MAL);
		assert_verdict(nd(a, G6, t, tg, OPT(1, 0, MACG)), OK);
		/* malformed is judged before the source, the source before ND */
		assert_verdict(nd(g, "2001:db8:1::6", t, tg, OPT(1, 0, MACO)), MAL);
		assert_verdict(nd(g, "2001:db8:1::6", t, tg, OPT(1, 1, MACO)), IPS);
		assert_verdict(nd(&P[NONE], G6, t, tg, OPT(1, 1, MACO)), IPS);
	}
	/* a NA for someone else with a lying option: ND either way */
	assert_verdict(nd(g, G6, 136, "2001:db8:1::6", OPT(2, 1, MACO)), NDS);
	/* a DAD probe's options too */
	assert_verdict(nd(g, "::", 135, G6, OPT(1, 1, MACO)), NDS);
	assert_verdict(nd(g, "::", 135, G6, OPT(1, 0, MACG)), MAL);
	/* RA and redirect bodies are not judged: their own guard is */
	const struct fn_l3_policy *go = &P[GUEST_OPEN];
	assert_verdict(nd(go, GUEST_LL, 134, NULL, OPT(1, 1, MACO)), OK);
	assert_verdict(nd(go, GUEST_LL, 134, NULL, OPT(1, 0, MACO)), OK);
	assert_verdict(nd(go, GUEST_LL, 137, "fe80::1", OPT(2, 1, MACO)), OK);
	assert_verdict(nd(go, GUEST_LL, 137, "fe80::1", OPT(2, 0)), OK);
	assert_verdict(nd(g, GUEST_LL, 137, "fe80::1", OPT(2, 1, MACO)), RA);
	assert_verdict(nd(g, GUEST_LL, 134, NULL, OPT(1, 0, MACO)), RA);
}

/* RS 8 bytes, NS and NA 24; other ICMPv6 needs its 4-byte header. */
static void
test_nd_fixed_parts(void **state)
{
	(void)state;
	static const struct {
		uint8_t type;
		uint32_t fixed;
	} c[] = { { 133, 8 }, { 135, 24 }, { 136, 24 } };
	uint8_t m[64], b[128];
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		icmp(m, c[i].type, c[i].type == 133 ? NULL : G6, NOOPT);
		for (uint32_t len = 0; len <= c[i].fixed; len++) {
			uint32_t n = ip6(b, G6, NULL, 0, 0, 58, m, len);
			enum fn_l3_verdict want = len < 4 || len == c[i].fixed ? OK : MAL;
			assert_verdict(judge_l3(&P[GUEST], b, n, FN_ETH_P_IPV6), want);
			assert_verdict(judge_l3(&P[ANY], b, n, FN_ETH_P_IPV6), OK);
		}
	}
	/* the RA guard needs only the type: a 4-byte RA is one */
	icmp(m, 134, NULL, NOOPT);
	for (uint32_t len = 0; len <= 16; len++) {
		uint32_t n = ip6(b, GUEST_LL, NULL, 0, 0, 58, m, len);
		assert_verdict(judge_l3(&P[GUEST], b, n, FN_ETH_P_IPV6), len < 4 ? OK : RA);
		assert_verdict(judge_l3(&P[ANY], b, n, FN_ETH_P_IPV6), len < 4 ? OK : RA);
	}
}

/* :: is a source only for DAD (NS) and MLD reports, whatever the set. */
static void
test_unspecified_source(void **state)
{
	(void)state;
	struct fn_l3_policy all = pol("::/0", MAC_GUEST, false, false);
	static const struct {
		uint8_t type;
		enum fn_l3_verdict guest, any;
	} c[] = {
		{ 135, OK,  OK },       /* DAD (target: the guest's) */
		{ 131, OK,  OK },       /* MLDv1 report */
		{ 143, OK,  OK },       /* MLDv2 report */
		{ 130, IPS, OK },       /* MLD query */
		{ 132, IPS, OK },       /* MLD done */
		{ 128, IPS, OK },       /* echo request */
		{ 133, OK,  OK },       /* RS (RFC 4861 6.3.7) */
		{ 136, IPS, OK },       /* NA */
		{ 134, IPS, RA },       /* RA: spoofed first */
		{ 137, IPS, RA },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		const char *t = c[i].type == 135 || c[i].type == 136 ? G6 : NULL;
		assert_verdict(nd(&P[GUEST], "::", c[i].type, t, NOOPT), c[i].guest);
		assert_verdict(nd(&all, "::", c[i].type, t, NOOPT), c[i].guest);
		assert_verdict(nd(&P[ANY], "::", c[i].type, t, NOOPT), c[i].any);
	}
	/* ::/0 lets every other source through */
	assert_verdict(nd(&all, "2001:db8:9::1", 128, NULL, NOOPT), OK);
	assert_verdict(nd(&all, "fe80::1", 136, "fe80::1", NOOPT), OK);
	/* UDP from :: (a DHCPv6 client uses its link-local address) */
	uint8_t b[128];
	static const uint8_t sol[8] = { 0x02, 0x22, 0x02, 0x23, 0, 8, 0, 0 };
	uint32_t n = ip6(b, "::", NULL, 0, 0, 17, sol, 8);
	assert_verdict(judge_l3(&P[GUEST], b, n, FN_ETH_P_IPV6), IPS);
	assert_verdict(judge_l3(&P[ANY], b, n, FN_ETH_P_IPV6), OK);
}

/* RFC 4861 6.3.7: an RS may come from :: ; then it carries no source
 * link-layer option (6.1.1: receivers discard one that does, so it is
 * malformed, whatever MAC the option holds). */
static void
test_rs_unspecified(void **state)
{
	(void)state;
	const struct fn_l3_policy *g = &P[GUEST];
	static const int pols[] = { GUEST, NONE, OTHER_MAC, LAN, GUEST_OPEN };
	for (size_t i = 0; i < sizeof(pols) / sizeof(pols[0]); i++) {
		const struct fn_l3_policy *p = &P[pols[i]];
		assert_verdict(nd(p, "::", 133, NULL, NOOPT), OK);
		assert_verdict(nd(p, "::", 133, NULL, OPT(1, 1, MACG)), MAL);
		assert_verdict(nd(p, "::", 133, NULL, OPT(1, 1, MACO)), MAL);
		assert_verdict(nd(p, "::", 133, NULL, OPT(1, 2, MACG, 0, 0, 0, 0, 0, 0, 0, 0)), MAL);
		/* behind another option */
		assert_verdict(nd(p, "::", 133, NULL, OPT(14, 1, 0, 0, 0, 0, 0, 0, 1, 1, MACG)), MAL);
	}
	/* other options are judged as from any source */
	assert_verdict(nd(g, "::", 133, NULL, OPT(14, 1, MACO)), OK);
	assert_verdict(nd(g, "::", 133, NULL, OPT(2, 1, MACG)), OK);
	assert_verdict(nd(g, "::", 133, NULL, OPT(2, 1, MACO)), NDS);
	assert_verdict(nd(g, "::", 133, NULL, OPT(2, 0, MACG)), MAL);
	assert_verdict(nd(g, "::", 133, NULL, OPT(14, 1)), MAL);
	/* a fixed part cut short: malformed, as from any source */
	uint8_t b[64];
	static const uint8_t rs4[4] = { 133, 0, 0, 0 };
	uint32_t n = ip6(b, "::", NULL, 0, 0, 58, rs4, 4);
	assert_verdict(judge_l3(g, b, n, FN_ETH_P_IPV6), MAL);
	/* from an address, the SLLA is fine when it is the vNIC's */
	assert_verdict(nd(g, G6, 133, NULL, OPT(1, 1, MACG)), OK);
	assert_verdict(nd(g, GUEST_LL, 133, NULL, OPT(1, 1, MACG)), OK);
	/* ip any: ND structure is not judged */
	assert_verdict(nd(&P[ANY], "::", 133, NULL, OPT(1, 1, MACO)), OK);
	assert_verdict(nd(&P[ANY], "::", 133, NULL, NOOPT), OK);
	assert_verdict(nd(&P[OPEN], "::", 133, NULL, OPT(1, 1, MACG)), OK);
	/* only RS gains ::, and NS keeps its rule (an SLLA of its own MAC) */
	assert_verdict(nd(g, "::", 134, NULL, NOOPT), IPS);
	assert_verdict(nd(g, "::", 136, G6, NOOPT), IPS);
	assert_verdict(nd(g, "::", 137, "fe80::1", NOOPT), IPS);
	assert_verdict(nd(g, "::", 135, G6, OPT(1, 1, MACG)), OK);
}

/* The EUI-64 link-local address counts once the set holds any IPv6. */
static void
test_link_local_source(void **state)
{
	(void)state;
	static const struct {
		const char *ip;
		uint64_t mac;
		const char *src;
		enum fn_l3_verdict v;
	} c[] = {
		{ "10.0.0.5",                 MAC_GUEST, GUEST_LL, IPS },
		{ "none",                     MAC_GUEST, GUEST_LL, IPS },
		{ "2001:db8:1::5",            MAC_GUEST, GUEST_LL, OK },
		{ "10.0.0.5,2001:db8:9::/48", MAC_GUEST, GUEST_LL, OK },
		{ GUEST_IP,                   MAC_OTHER, GUEST_LL, IPS },
		{ GUEST_IP,                   MAC_OTHER, "fe80::5054:ff:feab:cdef", OK },
		{ "fe80::/64",                MAC_OTHER, GUEST_LL, OK },
		{ "fe80::/10",                MAC_OTHER, "fe80:0:0:1::5", OK },
		{ GUEST_IP,                   MAC_GUEST, "fe80::1", IPS },
		{ GUEST_IP,                   MAC_GUEST, "fe80::5054:ff:fe12:3457", IPS },
		{ GUEST_IP,                   MAC_GUEST, "fe80::5254:ff:fe12:3456", IPS },
		{ GUEST_IP,                   MAC_GUEST, "fe80:0:0:1:5054:ff:fe12:3456", IPS },
		{ GUEST_IP,                   MAC_GUEST, "fec0::5054:ff:fe12:3456", IPS },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct fn_l3_policy p = pol(c[i].ip, c[i].mac, false, false);
		if (nd(&p, c[i].src, 128, NULL, NOOPT) != c[i].v)
			fail_msg("%s from %s: %s", c[i].ip, c[i].src,
				 vname(nd(&p, c[i].src, 128, NULL, NOOPT)));
	}
}

/* DHCPv6: clients pass, servers and relays (from 547, to 546) do not. */
static void
test_dhcp6(void **state)
{
	(void)state;
	static const struct {
		uint16_t sport, dport;
		enum fn_l3_verdict v;
	} c[] = {
		{ 546, 547, OK }, { 547, 546, DHCP }, { 547, 547, DHCP },
		{ 1234, 546, DHCP }, { 547, 1234, DHCP }, { 546, 546, DHCP },
		{ 1234, 547, OK }, { 67, 68, OK },
	};
	uint8_t u[8] = { 0, 0, 0, 0, 0, 8, 0, 0 }, b[128];
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		put16(u, c[i].sport);
		put16(u + 2, c[i].dport);
		uint32_t n = ip6(b, GUEST_LL, NULL, 0, 0, 17, u, 8);
		assert_verdict(judge_l3(&P[ANY], b, n, FN_ETH_P_IPV6), c[i].v);
		assert_verdict(judge_l3(&P[GUEST], b, n, FN_ETH_P_IPV6), c[i].v);
		assert_verdict(judge_l3(&P[GUEST_OPEN], b, n, FN_ETH_P_IPV6), OK);
		assert_verdict(judge_l3(&P[OPEN], b, n, FN_ETH_P_IPV6), OK);
		n = ip6(b, "2001:db8:1::6", NULL, 0, 0, 17, u, 8);
		assert_verdict(judge_l3(&P[GUEST], b, n, FN_ETH_P_IPV6), IPS);
		/* as ICMPv6 or behind ESP: not UDP */
		n = ip6(b, GUEST_LL, NULL, 0, 0, 58, u, 8);
		assert_verdict(judge_l3(&P[ANY], b, n, FN_ETH_P_IPV6), OK);
		n = ip6(b, GUEST_LL, NULL, 0, 0, 50, u, 8);
		assert_verdict(judge_l3(&P[ANY], b, n, FN_ETH_P_IPV6), OK);
	}
}

/* ---- the rest ---- */

static void
test_eui64(void **state)
{
	(void)state;
	uint8_t a[16];
	assert_int_equal(inet_pton(AF_INET6, GUEST_LL, a), 1);
	assert_true(fn_l3_is_eui64_ll(a, MAC_GUEST));
	assert_false(fn_l3_is_eui64_ll(a, MAC_OTHER));
	for (int i = 0; i < 16; i++)
		for (int bit = 0; bit < 8; bit++) {
			a[i] ^= (uint8_t)(1 << bit);
			if (fn_l3_is_eui64_ll(a, MAC_GUEST))
				fail_msg("byte %d bit %d flipped still matches", i, bit);
			a[i] ^= (uint8_t)(1 << bit);
		}
	/* the U/L bit flips both ways */
	assert_int_equal(inet_pton(AF_INET6, "fe80::ff:fe00:1", a), 1);
	assert_true(fn_l3_is_eui64_ll(a, UINT64_C(0x020000000001)));
	assert_false(fn_l3_is_eui64_ll(a, UINT64_C(0x000000000001)));
	assert_int_equal(inet_pton(AF_INET6, "fe80::200:ff:fe00:1", a), 1);
	assert_true(fn_l3_is_eui64_ll(a, UINT64_C(0x000000000001)));
	/* random MACs against the layout written out */
	srand(42);
	for (int k = 0; k < 1000; k++) {
		uint64_t mac = 0;
		for (int i = 0; i < 6; i++)
			mac = mac << 8 | (uint64_t)(rand() & 0xff);
		uint8_t m[6];
		for (int i = 0; i < 6; i++)
			m[i] = (uint8_t)(mac >> (40 - 8 * i));
		uint8_t e[16] = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, (uint8_t)(m[0] ^ 2), m[1],
				  m[2], 0xff, 0xfe, m[3], m[4], m[5] };
		assert_true(fn_l3_is_eui64_ll(e, mac));
		assert_false(fn_l3_is_eui64_ll(e, mac ^ (UINT64_C(1) << (rand() % 48))));
	}
}

static void
test_active(void **state)
{
	(void)state;
	for (int m = 0; m < 8; m++) {
		struct fn_l3_policy p = pol(m & 1 ? "10.0.0.5" : "any", MAC_GUEST,
					    m & 2, m & 4);
		assert_int_equal(fn_l3_active(&p), m != 6);
	}
	assert_false(fn_l3_active(&P[OPEN]));
	assert_true(fn_l3_active(&P[ANY]));
	struct fn_l3_policy none = pol("none", MAC_GUEST, true, true);
	assert_true(fn_l3_active(&none));
}

/* Ethertypes other than IPv4, ARP, IPv6 are not looked at. */
static void
test_other_ethertypes(void **state)
{
	(void)state;
	static const uint16_t types[] = { 0x8035, 0x88cc, 0x8100, 0x88a8, 0x8847,
					  0x0000, 0xffff, 0x0801, 0x86de, 0x0805 };
	uint8_t junk[60];
	memset(junk, 0xa5, sizeof(junk));
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		for (int k = 0; k < NPOL; k++) {
			assert_verdict(judge_l3(&P[k], junk, 0, types[i]), OK);
			assert_verdict(judge_l3(&P[k], junk, sizeof(junk), types[i]), OK);
		}
}

/* Random frames of each ethertype (headers mostly plausible): exact-size
 * copies never read past the end; ip any never reports a spoof, and with
 * everything allowed nothing is judged. */
static void
test_random_frames(void **state)
{
	(void)state;
	static const uint16_t types[] = { FN_ETH_P_IPV4, FN_ETH_P_IPV6, FN_ETH_P_ARP };
	static const uint8_t nh[] = { 0, 43, 44, 51, 60, 58, 17, 50, 59, 6 };
	uint8_t b[160];
	srand(7);
	for (int it = 0; it < 200000; it++) {
		uint16_t type = types[rand() % 3];
		uint32_t len = (uint32_t)rand() % sizeof(b);
		for (uint32_t i = 0; i < len; i++)
			b[i] = (uint8_t)(rand() % 4 ? rand() % 4 : rand());
		if (type == FN_ETH_P_IPV4 && len >= 4 && rand() % 4) {
			b[0] = (uint8_t)(0x45 + rand() % 2);
			put16(b + 2, (uint16_t)(len - (uint32_t)rand() % 3));
		} else if (type == FN_ETH_P_IPV6 && len >= 40 && rand() % 4) {
			b[0] = 0x60;
			put16(b + 4, (uint16_t)(len - 40 - (uint32_t)rand() % 3));
			for (uint32_t o = 6; o < len; o += 8 * (1 + (uint32_t)rand() % 2))
				b[o] = nh[rand() % sizeof(nh)];
		} else if (type == FN_ETH_P_ARP && len >= 8 && rand() % 4) {
			memcpy(b, "\x00\x01\x08\x00\x06\x04", 6);
		}
		for (int k = 0; k < NPOL; k++) {
			enum fn_l3_verdict v = judge_l3(&P[k], b, len, type);
			assert_true((unsigned)v < FN_L3_VERDICT_MAX);
			if (k == OPEN)
				assert_verdict(v, OK);
			if (k == ANY)   /* malformed: deep chains, first fragments */
				assert_true(v == OK || v == DHCP || v == RA ||
					    (v == MAL && type != FN_ETH_P_ARP));
		}
	}
}

/* ---- ip values ---- */

/* fn_ipset_equal: every field counts, padding does not. */
static void
test_ipset_equal(void **state)
{
	(void)state;
	struct fn_ipset a, b;
	memset(&a, 0xaa, sizeof(a));            /* different padding */
	memset(&b, 0x55, sizeof(b));
	assert_int_equal(fn_ipset_parse("10.0.0.0/24,2001:db8::1", &a, NULL, 0), 0);
	assert_int_equal(fn_ipset_parse("10.0.0.0/24,2001:db8::1", &b, NULL, 0), 0);
	assert_true(fn_ipset_equal(&a, &b));
	b.v4[0].len = 25;
	assert_false(fn_ipset_equal(&a, &b));
	b.v4[0].len = 24;
	b.v6[0].addr[15] = 2;
	assert_false(fn_ipset_equal(&a, &b));
	assert_int_equal(fn_ipset_parse("none", &b, NULL, 0), 0);
	assert_int_equal(fn_ipset_parse("any", &a, NULL, 0), 0);
	assert_false(fn_ipset_equal(&a, &b));   /* both empty, one restricted */
}

/* format, then parse that: the same set */
static void
round_trip(const struct fn_ipset *s)
{
	char buf[FN_IPSET_STRLEN], err[256] = "";
	struct fn_ipset t;
	size_t n = fn_ipset_format(s, buf, sizeof(buf));
	assert_true(n < sizeof(buf));
	assert_int_equal(n, strlen(buf));
	if (fn_ipset_parse(buf, &t, err, sizeof(err)) != 0)
		fail_msg("\"%s\" does not parse back: %s", buf, err);
	if (!fn_ipset_equal(s, &t))
		fail_msg("\"%s\" parses back to another set", buf);
}

static void
test_parse_good(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} c[] = {
		{ "any", "any" },
		{ "none", "none" },
		{ "10.0.0.5", "10.0.0.5" },
		{ "10.0.0.5/32", "10.0.0.5" },
		{ "10.0.0.5/032", "10.0.0.5" },
		{ "10.0.0.0/24", "10.0.0.0/24" },
		{ "10.0.0.0/24,10.0.0.0/25", "10.0.0.0/24,10.0.0.0/25" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
		{ "0.0.0.0/8", "0.0.0.0/8" },
		{ "128.0.0.0/1", "128.0.0.0/1" },
		{ "223.255.255.255,240.0.0.0/4,255.255.255.255,126.255.255.255,128.0.0.1",
		  "223.255.255.255,240.0.0.0/4,255.255.255.255,126.255.255.255,128.0.0.1" },
		{ "2001:DB8:0:0:0:0:0:1", "2001:db8::1" },
		{ "2001:db8::1/128", "2001:db8::1" },
		{ "2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1" },
		{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" },
		{ "2001:db8:0:0:1::/80", "2001:db8:0:0:1::/80" },
		{ "fe80::/10", "fe80::/10" },
		{ "fe80::/64,2001:db8::/32", "fe80::/64,2001:db8::/32" },
		{ "::/0", "::/0" },
		{ "::/127", "::/127" },
		{ "::2", "::2" },
		{ "::ffff:10.0.0.5", "::ffff:10.0.0.5" },
		{ "feff::1", "feff::1" },
		{ "2001:db8::1,10.0.0.1,2001:db8::2,10.0.0.2",
		  "10.0.0.1,10.0.0.2,2001:db8::1,2001:db8::2" },
		{ GUEST_IP, GUEST_IP },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct fn_ipset s;
		char err[256] = "", buf[FN_IPSET_STRLEN];
		if (fn_ipset_parse(c[i].in, &s, err, sizeof(err)) != 0)
			fail_msg("\"%s\": %s", c[i].in, err);
		assert_int_equal(fn_ipset_format(&s, buf, sizeof(buf)), strlen(c[i].out));
		assert_string_equal(buf, c[i].out);
		round_trip(&s);
	}
	/* what the structure holds */
	struct fn_ipset s;
	memset(&s, 0x5a, sizeof(s));
	assert_int_equal(fn_ipset_parse("any", &s, NULL, 0), 0);
	assert_false(s.restricted);
	assert_int_equal(s.n4 + s.n6, 0);
	assert_int_equal(fn_ipset_parse("none", &s, NULL, 0), 0);
	assert_true(s.restricted);
	assert_int_equal(s.n4 + s.n6, 0);
	assert_int_equal(fn_ipset_parse("2001:db8::/32,10.1.2.0/23,192.0.2.7", &s, NULL, 0), 0);
	assert_true(s.restricted);
	assert_int_equal(s.n4, 2);
	assert_int_equal(s.v4[0].addr, 0x0a010200);
	assert_int_equal(s.v4[0].len, 23);
	assert_int_equal(s.v4[1].addr, 0xc0000207);
	assert_int_equal(s.v4[1].len, 32);
	assert_int_equal(s.n6, 1);
	assert_memory_equal(s.v6[0].addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	assert_int_equal(s.v6[0].len, 32);
	/* 16 of each family fit */
	char many[1024] = "";
	for (int i = 0; i < FN_L3_MAX_PREFIXES; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
			 "10.0.%d.0/24,2001:db8:%x::/48,", i, i);
	many[strlen(many) - 1] = '\0';
	assert_int_equal(fn_ipset_parse(many, &s, NULL, 0), 0);
	assert_int_equal(s.n4, FN_L3_MAX_PREFIXES);
	assert_int_equal(s.n6, FN_L3_MAX_PREFIXES);
	round_trip(&s);
}

/* Each refusal names the bad element; nothing is written to the set. */
static void
test_parse_errors(void **state)
{
	(void)state;
#define EXP "(expected ADDR[/LEN],... e.g. 10.0.0.5,2001:db8::5/64)"
#define BADADDR(a) { a, "invalid address \"" a "\" in ip " EXP }
	static const struct {
		const char *in, *err;
	} c[] = {
		{ "", "empty ip (expected any, none or ADDR[/LEN],... e.g. "
		      "10.0.0.5,2001:db8::5/64)" },
		BADADDR("10.0.0.256"),
		BADADDR("10.0.0"),
		BADADDR("10.0.0.1.2"),
		BADADDR("1.2.3.04"),
		BADADDR("2001:db8::1::2"),
		BADADDR("2001:db8:1:2:3:4:5:6:7"),
		BADADDR("fe80::1%eth0"),
		BADADDR(" 10.0.0.5"),
		BADADDR("10.0.0.5 "),
		BADADDR("ANY"),
		BADADDR("None"),
		BADADDR("anything"),
		BADADDR("/24"),
		BADADDR("10.0.0.5:80"),
		BADADDR("[2001:db8::1]"),
		BADADDR("12345::"),
		BADADDR(":::"),
		{ "10.0.0.5\n", "invalid address \"10.0.0.5?\" in ip " EXP },
		{ "\x1b[2J", "invalid address \"?[2J\" in ip " EXP },
		BADADDR("0x0a000005"),
		BADADDR("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255.1"),
		{ "10.0.0.5,10.0.0.256/24",
		  "invalid address \"10.0.0.256/24\" in ip " EXP },
		{ "10.0.0.5/24", "10.0.0.5/24: host bits set (did you mean 10.0.0.0/24?)" },
		{ "10.0.0.1/0", "10.0.0.1/0: host bits set (did you mean 0.0.0.0/0?)" },
		{ "2001:db8::5/64",
		  "2001:db8::5/64: host bits set (did you mean 2001:db8::/64?)" },
		{ "2001:db8::1:0/111",
		  "2001:db8::1:0/111: host bits set (did you mean 2001:db8::/111?)" },
		{ "10.0.0.1/33", "invalid prefix length \"33\" in ip element "
				 "10.0.0.1/33 (expected 0..32)" },
		{ "2001:db8::/129", "invalid prefix length \"129\" in ip element "
				    "2001:db8::/129 (expected 0..128)" },
		{ "10.0.0.0/", "invalid prefix length \"\" in ip element "
			       "10.0.0.0/ (expected 0..32)" },
		{ "10.0.0.0/-8", "invalid prefix length \"-8\" in ip element "
				 "10.0.0.0/-8 (expected 0..32)" },
		{ "10.0.0.0/+8", "invalid prefix length \"+8\" in ip element "
				 "10.0.0.0/+8 (expected 0..32)" },
		{ "10.0.0.0/8a", "invalid prefix length \"8a\" in ip element "
				 "10.0.0.0/8a (expected 0..32)" },
		{ "10.0.0.0/0008", "invalid prefix length \"0008\" in ip element "
				   "10.0.0.0/0008 (expected 0..32)" },
		{ "10.0.0.0/ 8", "invalid prefix length \" 8\" in ip element "
				 "10.0.0.0/ 8 (expected 0..32)" },
		{ "10.0.0.0/8/8", "invalid prefix length \"8/8\" in ip element "
				  "10.0.0.0/8/8 (expected 0..32)" },
		{ "::/4294967424", "invalid prefix length \"4294967424\" in ip element "
				   "::/4294967424 (expected 0..128)" },
		{ "224.0.0.1", "224.0.0.1: multicast address" },
		{ "239.255.255.255", "239.255.255.255: multicast address" },
		{ "224.0.0.0/4", "224.0.0.0/4: multicast address" },
		{ "ff02::1", "ff02::1: multicast address" },
		{ "ff00::/8", "ff00::/8: multicast address" },
		{ "127.0.0.1", "127.0.0.1: loopback address" },
		{ "127.0.0.0/8", "127.0.0.0/8: loopback address" },
		{ "::1", "::1: loopback address" },
		{ "0.0.0.0", "unspecified address 0.0.0.0 in ip (DHCP from 0.0.0.0 "
			     "passes without it)" },
		{ "0.0.0.0/32", "unspecified address 0.0.0.0/32 in ip (DHCP from "
				"0.0.0.0 passes without it)" },
		{ "::", "unspecified address :: in ip (DAD and MLD from :: pass "
			"without it)" },
		{ "0:0::0/128", "unspecified address 0:0::0/128 in ip (DAD and MLD "
				"from :: pass without it)" },
		{ "10.0.0.5,10.0.0.5", "10.0.0.5: listed twice in ip" },
		{ "10.0.0.5/32,10.0.0.5", "10.0.0.5: listed twice in ip" },
		{ "2001:db8::1,2001:DB8:0::1", "2001:DB8:0::1: listed twice in ip" },
		{ "10.0.0.1,,10.0.0.2", "empty element in ip " EXP },
		{ ",10.0.0.1", "empty element in ip " EXP },
		{ "10.0.0.1,", "empty element in ip " EXP },
		{ ",", "empty element in ip " EXP },
		{ "any,10.0.0.1", "any in a list of addresses (ip is any, none, or addresses)" },
		{ "10.0.0.1,none", "none in a list of addresses (ip is any, none, or addresses)" },
		{ "any,any", "any in a list of addresses (ip is any, none, or addresses)" },
		{ "none,", "none in a list of addresses (ip is any, none, or addresses)" },
		{ "1.0.0.1,1.0.0.2,1.0.0.3,1.0.0.4,1.0.0.5,1.0.0.6,1.0.0.7,1.0.0.8,"
		  "1.0.0.9,1.0.0.10,1.0.0.11,1.0.0.12,1.0.0.13,1.0.0.14,1.0.0.15,"
		  "1.0.0.16,::5,1.0.0.17", "more than 16 IPv4 prefixes" },
		{ "::1:1,::1:2,::1:3,::1:4,::1:5,::1:6,::1:7,::1:8,::1:9,::1:10,"
		  "::1:11,::1:12,::1:13,::1:14,::1:15,::1:16,::1:17", "more than 16 IPv6 prefixes" },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct fn_ipset s, before;
		char err[256] = "";
		memset(&s, 0x5a, sizeof(s));
		before = s;
		assert_int_equal(fn_ipset_parse(c[i].in, &s, err, sizeof(err)), -1);
		if (strcmp(err, c[i].err) != 0)
			fail_msg("\"%s\": \"%s\", expected \"%s\"", c[i].in, err, c[i].err);
		assert_memory_equal(&s, &before, sizeof(s));
		assert_int_equal(fn_ipset_parse(c[i].in, &s, NULL, 0), -1);
		/* a short buffer: cut, terminated */
		char small[12];
		memset(small, 'x', sizeof(small));
		assert_int_equal(fn_ipset_parse(c[i].in, &s, small, 8), -1);
		assert_int_equal(strlen(small), strlen(c[i].err) < 7 ? strlen(c[i].err) : 7);
		assert_memory_equal(small, c[i].err, strlen(small));
		assert_int_equal(small[8], 'x');
	}
	/* a long element is quoted in part: one short line */
	char longs[600], err[256];
	memset(longs, '1', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	struct fn_ipset s;
	assert_int_equal(fn_ipset_parse(longs, &s, err, sizeof(err)), -1);
	assert_true(strlen(err) < 160);
	assert_non_null(strstr(err, "invalid address \"111111"));
	assert_null(strchr(err, '\n'));
}

static void
test_format(void **state)
{
	(void)state;
	struct fn_ipset s;
	const char *full = "10.0.0.0/24,2001:db8::/64";
	size_t n = strlen(full);
	assert_int_equal(fn_ipset_parse("2001:db8::/64,10.0.0.0/24", &s, NULL, 0), 0);
	/* like snprintf: the length it needs, a terminated prefix, no more */
	assert_int_equal(fn_ipset_format(&s, NULL, 0), n);
	for (size_t size = 1; size <= n + 3; size++) {
		char buf[64];
		memset(buf, '#', sizeof(buf));
		assert_int_equal(fn_ipset_format(&s, buf, size), n);
		size_t got = size - 1 < n ? size - 1 : n;
		assert_int_equal(strlen(buf), got);
		assert_memory_equal(buf, full, got);
		assert_int_equal(buf[size], '#');
	}
	char buf[8];
	assert_int_equal(fn_ipset_parse("any", &s, NULL, 0), 0);
	assert_int_equal(fn_ipset_format(&s, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "any");
	assert_int_equal(fn_ipset_format(&s, buf, 2), 3);
	assert_string_equal(buf, "a");
	assert_int_equal(fn_ipset_parse("none", &s, NULL, 0), 0);
	assert_int_equal(fn_ipset_format(&s, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "none");
	/* the longest set there is fills FN_IPSET_STRLEN exactly */
	char big[FN_IPSET_STRLEN + 64] = "";
	for (int i = 0; i < FN_L3_MAX_PREFIXES; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big),
			 "255.255.%d.254/31,", 200 + i);
	for (int i = 0; i < FN_L3_MAX_PREFIXES; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big),
			 "fe8%x:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127,", i);
	big[strlen(big) - 1] = '\0';
	assert_int_equal(fn_ipset_parse(big, &s, NULL, 0), 0);
	char out[FN_IPSET_STRLEN + 64];
	assert_int_equal(fn_ipset_format(&s, out, sizeof(out)), FN_IPSET_STRLEN - 1);
	assert_string_equal(out, big);
	/* a count out of range is clamped, not followed past the arrays */
	s.n4 = 200;
	s.n6 = 17;
	assert_int_equal(fn_ipset_format(&s, out, sizeof(out)), FN_IPSET_STRLEN - 1);
}

static uint32_t
rnd32(void)
{
	return (uint32_t)rand() << 16 ^ (uint32_t)rand();
}

/* Random valid sets survive format -> parse. */
static void
test_round_trip_random(void **state)
{
	(void)state;
	static const char *const bases[] = { "2001:db8::", "fe80::", "::ffff:0:0", "::",
					     "64:ff9b::", "fd00::", "2001:db8:0:0:1::" };
	srand(1234);
	for (int it = 0; it < 3000; it++) {
		struct fn_ipset s;
		memset(&s, 0, sizeof(s));
		s.restricted = true;
		unsigned want4 = (unsigned)rand() % 17, want6 = (unsigned)rand() % 17;
		while (s.n4 < want4) {
			uint8_t len = (uint8_t)(rand() % 4 ? 32 - rand() % 9 : rand() % 33);
			uint32_t a = rnd32() & (len ? ~UINT32_C(0) << (32 - len) : 0);
			bool dup = false;
			for (unsigned i = 0; i < s.n4; i++)
				dup |= s.v4[i].addr == a && s.v4[i].len == len;
			if (dup || a >> 28 == 0xe || a >> 24 == 127 || (a == 0 && len == 32))
				continue;
			s.v4[s.n4].addr = a;
			s.v4[s.n4++].len = len;
		}
		while (s.n6 < want6) {
			uint8_t a[16], len = (uint8_t)(rand() % 3 ? 128 - rand() % 80 : rand() % 129);
			assert_int_equal(inet_pton(AF_INET6, bases[rand() % 7], a), 1);
			for (int i = 0; i < 16; i++)
				if (rand() % 3 == 0)
					a[i] = (uint8_t)(rand() % 4 ? rand() % 3 : rand());
			for (int i = 0; i < 16; i++) {
				int keep = len - 8 * i;
				a[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff00 >> keep);
			}
			static const uint8_t zero[16], one[16] = { [15] = 1 };
			bool dup = a[0] == 0xff || (len == 128 && (!memcmp(a, zero, 16) ||
								  !memcmp(a, one, 16)));
			for (unsigned i = 0; i < s.n6; i++)
				dup |= !memcmp(s.v6[i].addr, a, 16) && s.v6[i].len == len;
			if (dup)
				continue;
			memcpy(s.v6[s.n6].addr, a, 16);
			s.v6[s.n6++].len = len;
		}
		round_trip(&s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_under_policies),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_ipv4_datagram_cut),
		cmocka_unit_test(test_ipv6_datagram_cut),
		cmocka_unit_test(test_ipv4_broken_headers),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_ipv4_first_fragment),
		cmocka_unit_test(test_dhcp4),
		cmocka_unit_test(test_ipv4_prefixes),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_arp_malformed),
		cmocka_unit_test(test_ext_chain),
		cmocka_unit_test(test_ipv6_first_fragment),
		cmocka_unit_test(test_ipv6_header),
		cmocka_unit_test(test_nd_targets),
		cmocka_unit_test(test_nd_options),
		cmocka_unit_test(test_nd_fixed_parts),
		cmocka_unit_test(test_unspecified_source),
		cmocka_unit_test(test_rs_unspecified),
		cmocka_unit_test(test_link_local_source),
		cmocka_unit_test(test_dhcp6),
		cmocka_unit_test(test_eui64),
		cmocka_unit_test(test_active),
		cmocka_unit_test(test_other_ethertypes),
		cmocka_unit_test(test_random_frames),
		cmocka_unit_test(test_ipset_equal),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip_random),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
