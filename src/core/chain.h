/*
 * chain.h - the provider chain: logon, logoff, one provider's call, and
 * the context its callers fill in.
 * Conventions: see util.h.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_CORE_CHAIN_H
#define LO_CORE_CHAIN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "logoff/provider.h"
#include "core/util.h"
#include "core/conf.h"
#include "core/registry.h"

/*
 * Everything the chain needs from its caller. The module fills in the PAM
 * environment functions; the helper leaves them NULL.
 */
struct lo_ctx {
	const struct lo_config *config;
	struct lo_registry *registry;
	struct lo_log log;
	const char *(*pam_getenv)(void *pamh, const char *name);
	/* Set NAME=VALUE; VALUE NULL removes NAME (pam_putenv("NAME")). */
	int (*pam_putenv)(void *pamh, const char *name, const char *value);
	void *pamh;
	bool privileged;	/* geteuid() == 0 */
	/* lo_chain_logoff refuses (-EACCES) a record of another uid than this
	 * one, when set: the id came from somewhere a user may reach (the PAM
	 * environment). */
	bool check_uid;
	uid_t expect_uid;
	/*
	 * Plugins (providers that are not built in). In the module, which
	 * never loads one, RUN_PLUGIN runs a plugin provider's logon (or the
	 * logoff of a rollback) in logoff-helper: it must return the
	 * provider's result (0 or a negative errno; -EIO when the helper
	 * crashed or could not run) after the helper has written the record,
	 * and pass each PAM environment change the plugin made to PUTENV_FN
	 * (ENV_CTX, NAME, VALUE; VALUE NULL removes NAME);
	 * the chain then takes that provider's status, subobjects and data
	 * from the record. In the helper, ISOLATE_PLUGINS runs each plugin's
	 * logon and logoff in a forked child, so a plugin that crashes takes
	 * only itself down.
	 */
	int (*run_plugin)(const struct lo_ctx *ctx, const char *id, const char *name, bool logon,
			  bool rollback,
			  int (*putenv_fn)(void *env_ctx, const char *name, const char *value),
			  void *env_ctx);
	bool isolate_plugins;
	/*
	 * The logoff runs in the login manager's own process
	 * (LO_LOGOFF_IN_PROCESS, see lo_chain_logoff): a directory
	 * subobject is released with lo_release_empty_dir alone, never
	 * entered; what cannot be released so stays tracked (-EIO), and
	 * close_session forks the closer to release it.
	 */
	bool in_process;
	/*
	 * CLOCK_MONOTONIC milliseconds (lo_now_ms) by which the logoff must
	 * be done, 0 for none. Set for an in-process logoff, which no parent
	 * can kill at the [logoff] timeout: the providers' waits (the
	 * processes provider's grace, a hook's timeout) end there instead.
	 */
	int64_t deadline_ms;
	/*
	 * `logoff --gc --abandon NAME`: lo_chain_logoff abandons provider
	 * NAME of the session at once (as after its last retry: state
	 * abandoned, what it tracked dropped from the record unreleased and
	 * logged) and logs the others off as usual. NULL: none.
	 */
	const char *abandon;
};

/*
 * lo_chain_logoff FLAGS. IN_PROCESS: the caller is the login manager
 * itself and will run the chain only when nothing the session tracks can
 * block it: every provider of the record has a logoff_here (its entry)
 * and every subobject is an empty directory on its parent's mount
 * (lo_dir_empty_here). Otherwise -EAGAIN is returned with nothing
 * changed (the record not claimed), and the caller forks a closer.
 */
#define LO_LOGOFF_IN_PROCESS 1u

/* What a chain without ctx->deadline_ms (a closer or logoff-helper that
 * its parent kills at [logoff] timeout) keeps back from that timeout, so
 * it stops its last provider and writes the record before the kill. */
#define LO_CHAIN_RESERVE_MS 400

/* What the module knows about a login at open_session. */
struct lo_login {
	const char *user, *service, *tty, *rhost;
	uid_t uid;
	gid_t gid;
	const char *home;
	pid_t leader_pid;	/* getpid() of the PAM application */
	/* XDG_SESSION_ID from the PAM environment: the session id that
	 * pam_systemd or pam_elogind, earlier in the stack, got from logind
	 * (pam_systemd(8)); NULL or not lo_logind_id_valid: none recorded. */
	const char *logind;
};

/*
 * Log the session on: choose the session id (audit session this login
 * created, else one allocated from the registry), write its record, export
 * LOGOFF_SESSION_ID, then call each configured provider's logon in order.
 * A provider whose logon fails is marked failed and will not be logged
 * off; if it is required, the providers already logged on are logged off
 * again in reverse order (rollback), the record deleted, and -ECANCELED
 * returned. If the record that marks the session active cannot be written
 * (a full or read-only registry), the same rollback happens and the write
 * error is returned: a session is never left open without a record that
 * lets it be logged off. Returns 0 and the id in RET_ID (LO_ID_MAX+1
 * bytes), or a negative errno (registry errors, -ECANCELED).
 */
int lo_chain_logon(const struct lo_ctx *ctx, const struct lo_login *login, char *ret_id);

/*
 * Log session ID off: every provider that is logged on gets its logoff, in
 * reverse logon order, even when an earlier one failed; what a provider
 * left tracked is released by the core and counted as its fault.
 * Every provider gets its turn (as MAPI calls every provider's Logoff):
 * each logoff is bounded, by [logoff] provider_timeout when set and at
 * most by the chain deadline (ctx->deadline_ms, else now + [logoff]
 * timeout less LO_CHAIN_RESERVE_MS) less a reserve of timeout / (2 x the
 * providers to log off) for each provider after it, so each one after a
 * hung one still has at least that reserve. Where it may block
 * (no LO_PROVIDER_NEVER_BLOCKS, plugins) and the chain is not in the login
 * manager's process, the logoff runs in a forked child of its own,
 * killed with SIGKILL at the bound (and left unreaped if it does not
 * die); others get the bound as lo_support_deadline_ms. A provider that
 * overruns is marked timed-out, keeps what it tracked in the record, has
 * its retries counted, and the chain goes on; past [logoff] retries it is
 * abandoned (LOG_CRIT naming what stays unreleased) and no longer holds
 * the record. FLAGS is
 * 0 or LO_LOGOFF_IN_PROCESS (anything else: -EINVAL). The record is
 * deleted when the last support reference drops and nothing is left tracked; otherwise it stays,
 * state failed. The record is claimed first, under the registry lock: its
 * closer becomes this process and its state closing; a record another
 * live process holds as closer gives -EBUSY and is left to it, and a claim
 * that cannot be written gives its write error before any provider runs.
 * Returns 0 when everything was released, -EIO when
 * something was not (record kept), -ENOENT for no such record, -EACCES
 * when ctx->check_uid is set and the record belongs to another uid, or a
 * registry error (lo_record_read's: -EPERM, -EBADMSG, -EPROTO ...), and
 * with LO_LOGOFF_IN_PROCESS -EAGAIN when the session tracks something
 * that needs a closer of its own, and -ETIMEDOUT when a provider stopped
 * at ctx->deadline_ms (the session is kept timed-out).
 */
int lo_chain_logoff(const struct lo_ctx *ctx, const char *id, unsigned flags);

/*
 * After a logoff ran past its deadline and its helper was killed: mark
 * the providers that had not finished timed-out (the one that was logging
 * off gets one more in its retries count) and the session
 * timed-out, and end every process subobject still tracked (a hung hook),
 * so nothing that was running outlives the deadline. The record stays for
 * the sweep. Done under the registry lock, and only when no live process
 * holds the session as its closer: a helper that outlived SIGKILL, or a
 * logoff that claimed the session since, keeps it (-EBUSY).
 * Returns 0, -EBUSY, -ENOENT, or a registry error.
 */
int lo_chain_mark_timed_out(const struct lo_ctx *ctx, const char *id);

/*
 * Call the logon (LOGON) or logoff of the one provider NAME of session ID
 * in this process, with ROLLBACK as support->rollback, and write the
 * record after it: what logoff-helper does for ctx->run_plugin of the
 * module. The provider's result goes to *RET_RESULT. Returns 0, -ENOENT
 * (no such record or provider in it), or a registry error.
 */
int lo_chain_provider_call(const struct lo_ctx *ctx, const char *id, const char *name, bool logon,
			   bool rollback, int *ret_result);

#endif /* LO_CORE_CHAIN_H */
