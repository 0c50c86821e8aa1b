/*
 * future.c - a test plugin built for ABI 2.0: refused, with a message
 * naming both versions.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <logoff/provider.h>

static int future_logon(struct logoff_support *s, unsigned int flags)
{
	return 0;
}

__attribute__((visibility("default"))) const struct logoff_provider logoff_provider = {
	LOGOFF_ABI_MKVERSION(2, 0), "future", future_logon, future_logon, NULL,
};
