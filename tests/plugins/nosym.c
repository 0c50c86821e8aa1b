/*
 * nosym.c - a test plugin that exports its provider under the wrong
 * name: refused, naming the missing symbol.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <logoff/provider.h>

static int nosym_logon(struct logoff_support *s, unsigned int flags)
{
	return 0;
}

__attribute__((visibility("default"))) const struct logoff_provider logoff_provider_v1 = {
	LOGOFF_ABI_VERSION, "nosym", nosym_logon, nosym_logon, NULL,
};
