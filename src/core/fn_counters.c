/* SPDX-License-Identifier: BSD-3-Clause */
#include "fn_counters.h"

const char *const fn_vnic_counter_names[FN_VC_MAX] = {
#define FN_X(n, h) #n,
	FN_VNIC_COUNTERS(FN_X)
#undef FN_X
};

const char *const fn_uplink_counter_names[FN_UC_MAX] = {
#define FN_X(n, h) #n,
	FN_UPLINK_COUNTERS(FN_X)
#undef FN_X
};
