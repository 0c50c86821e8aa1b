/*
 * providers.h - the built-in providers. Each uses only the support object
 * it is given (include/logoff/provider.h) and the core's releasers.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_PROVIDERS_H
#define LO_PROVIDERS_H

#include <stdbool.h>

#include "logoff/provider.h"

/* A private per-session TMPDIR under [tmpdir] base (src/providers/tmpdir.c). */
extern const struct logoff_provider lo_provider_tmpdir;
/* Ends the session's processes at logoff (src/providers/processes.c). */
extern const struct logoff_provider lo_provider_processes;
/* Runs the logon.d and logoff.d hooks (src/providers/hooks.c). */
extern const struct logoff_provider lo_provider_hooks;
/* True when hook directory DIR does not exist, or holds nothing run-parts
 * would consider (only dotfiles, backups "~" and ".dpkg-" leftovers): no
 * hook can start from it. False for anything else, an unreadable or
 * symlinked DIR included (the hooks provider then reports it). */
bool lo_hooks_dir_idle(const char *dir);
/* Unmounts the session's mounts at logoff (src/providers/mounts.c). */
extern const struct logoff_provider lo_provider_mounts;
/* A new session keyring per session, revoked at logoff (src/providers/keyring.c). */
extern const struct logoff_provider lo_provider_keyring;
#ifdef HAVE_KRB5
/* Destroys the session's KRB5CCNAME credential cache at logoff, as the
 * user (src/providers/krb5.c); only when built with libkrb5. */
extern const struct logoff_provider lo_provider_krb5;
#endif

#endif
