/*
 * builtin.c - the table of providers compiled into pam_logoff.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include "core/core.h"
#include "providers/providers.h"

const struct logoff_provider *const lo_builtin_providers[] = {
	&lo_provider_tmpdir,
	&lo_provider_processes,
	&lo_provider_hooks,
	&lo_provider_mounts,
	&lo_provider_keyring,
#ifdef HAVE_KRB5
	&lo_provider_krb5,
#endif
	NULL,
};
