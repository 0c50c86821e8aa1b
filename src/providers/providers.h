/*
 * providers.h - the built-in providers. Each uses only the support object
 * it is given (include/logoff/provider.h) and the core's releasers.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_PROVIDERS_H
#define LO_PROVIDERS_H

#include <stdbool.h>

#include "providers/support.h"
#include "logoff/provider.h"

/* A private per-session TMPDIR under [tmpdir] base (src/providers/tmpdir.c). */
extern const struct logoff_provider lo_provider_tmpdir;
/* Ends the session's processes at logoff (src/providers/processes.c). */
extern const struct logoff_provider lo_provider_processes;
struct lo_config;
struct lo_log;
struct lo_record;
struct lo_proc_handle;
struct lo_proc_index;
/* Its logoff can run in the login manager's process under CONFIG unless
 * [processes] keep_commands is set: that looks at each process's program,
 * which may sit on a file system whose server does not answer. */
bool lo_processes_logoff_here(const struct lo_config *config);
/* The sweep's last step (lo_provider_entry.sweep): session cgroups under
 * [processes] cgroup_root that no record names are ended and removed
 * (lo_cgroup_sweep), when processes is in [logoff] providers. */
void lo_processes_sweep(const struct lo_config *config,
			bool (*has_record)(void *ctx, const char *id), void *ctx,
			const struct lo_log *log);
/*
 * The session's processes, as the processes provider ends them at logoff
 * (src/providers/processes.c), for `logoff SESSION` and its --warn: the
 * same match ([processes] match; auto decided from WHO and CGROUP, the
 * session cgroup its record holds or NULL, as at logoff), exclude_users
 * and keep_commands of CONFIG. WHO is the session as a provider sees it
 * (its session id, uid, audit flag and leader pid are used); LEADER_START
 * is the leader's start time in clock ticks since boot. OTHER_SESSIONS is the number
 * of the user's other live sessions (a negative errno when unknown): with
 * match=user and any other, only the login manager's descendants are the
 * session's. The calling process is never one of them. PRIVILEGED false:
 * only processes of the caller's uid. INDEX NULL: /proc is scanned; else
 * only the processes INDEX (lo_proc_index_build) lists in the session's
 * cgroup, audit session or uid are looked at (each read again from
 * /proc, so one gone since is skipped, but one started since is missed:
 * for views, never for a logoff). FN is called with a handle on each,
 * after all handles are taken; the handles close when this returns.
 * Returns how many there were, or -ENOMEM, -E2BIG (exclude_users too
 * long), -errno reading /proc.
 */
int lo_processes_each(const struct lo_config *config, const struct logoff_identity *who,
		      unsigned long long leader_start, const char *cgroup, int other_sessions,
		      bool privileged, const struct lo_proc_index *index,
		      void (*fn)(void *ctx, const struct lo_proc_handle *h), void *ctx);
/*
 * One pass over /proc for views of many sessions (`logoff --list`, the
 * limits sweep): each process's uid, audit session and cgroup, sorted
 * three ways, so finding one session's processes costs a binary search
 * and its own processes instead of a scan of every process (S sessions
 * and P processes: P + S log P reads instead of S x P; docs/performance.md,
 * B7). Into *RET (free with lo_proc_index_free, which accepts NULL).
 * Returns 0, -ENOMEM, or -errno opening /proc. Processes that exit during
 * the pass are left out.
 */
int lo_proc_index_build(struct lo_proc_index **ret);
void lo_proc_index_free(struct lo_proc_index *index);
/* Runs the logon.d and logoff.d hooks (src/providers/hooks.c). */
extern const struct logoff_provider lo_provider_hooks;
/* The hooks' logoff can run in the login manager's process under CONFIG
 * when [hooks] logoff_dir does not exist, or holds nothing run-parts would
 * consider (only dotfiles, backups "~" and ".dpkg-" leftovers): no hook can
 * start from it. False for anything else, an unreadable or symlinked
 * directory included (the hooks provider then reports it). */
bool lo_hooks_logoff_here(const struct lo_config *config);
/* Unmounts the session's mounts at logoff (src/providers/mounts.c). */
extern const struct logoff_provider lo_provider_mounts;
/* A new session keyring per session, revoked at logoff (src/providers/keyring.c). */
extern const struct logoff_provider lo_provider_keyring;
#ifdef HAVE_KRB5
/* Destroys the session's KRB5CCNAME credential cache at logoff, as the
 * user (src/providers/krb5.c); only when built with libkrb5. */
extern const struct logoff_provider lo_provider_krb5;
#endif

/* The built-in providers and what each can do, ended by an entry whose
 * provider is NULL (src/providers/builtin.c): what pam_logoff.so,
 * logoff-helper and logoff(1) hand to lo_config_load. */
extern const struct lo_provider_entry lo_builtin_providers[];

#endif
