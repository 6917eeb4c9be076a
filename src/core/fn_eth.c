/* SPDX-License-Identifier: BSD-3-Clause */
/* fn_eth: MAC address text conversion (control path). */
#include <ctype.h>
#include <stdio.h>
#include "fn_eth.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

int
fn_mac_parse(const char *s, uint64_t *mac)
{
	uint64_t m = 0;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);
		if (hi < 0 || lo < 0)
			return -1;
		m = m << 8 | (uint64_t)(hi << 4 | lo);
		s += 2;
		if (i < 5 && *s++ != ':')
			return -1;
	}
	if (*s != '\0')
		return -1;
	*mac = m;
	return 0;
}

char *
fn_mac_format(uint64_t mac, char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
		 (unsigned)(mac >> 40) & 0xff, (unsigned)(mac >> 32) & 0xff,
		 (unsigned)(mac >> 24) & 0xff, (unsigned)(mac >> 16) & 0xff,
		 (unsigned)(mac >> 8) & 0xff, (unsigned)mac & 0xff);
	return buf;
}
