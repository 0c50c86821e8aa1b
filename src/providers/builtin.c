/*
 * builtin.c - the table of providers compiled into pam_logoff, with what
 * each one can do (struct lo_provider_entry). Each program hands it to
 * lo_config_load; the core never names it.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include "providers/support.h"
#include "providers/providers.h"

/* tmpdir's logoff is rmdir of an empty directory in the login manager's
 * process; the record decides whether it is (LO_LOGOFF_IN_PROCESS). */
static bool always(const struct lo_config *config)
{
	(void)config;
	return true;
}

const struct lo_provider_entry lo_builtin_providers[] = {
	{ .provider = &lo_provider_tmpdir, .flags = LO_PROVIDER_BUILTIN, .logoff_here = always },
	{ .provider = &lo_provider_processes,
	  .flags = LO_PROVIDER_BUILTIN | LO_PROVIDER_NEVER_BLOCKS | LO_PROVIDER_NEVER_ABANDONED,
	  .logoff_here = lo_processes_logoff_here, .sweep = lo_processes_sweep },
	{ .provider = &lo_provider_hooks, .flags = LO_PROVIDER_BUILTIN | LO_PROVIDER_NEVER_BLOCKS,
	  .logoff_here = lo_hooks_logoff_here },
	{ .provider = &lo_provider_mounts, .flags = LO_PROVIDER_BUILTIN },
	{ .provider = &lo_provider_keyring, .flags = LO_PROVIDER_BUILTIN | LO_PROVIDER_NEVER_BLOCKS },
#ifdef HAVE_KRB5
	{ .provider = &lo_provider_krb5, .flags = LO_PROVIDER_BUILTIN },
#endif
	{ .provider = NULL },
};
