/*
 * logoff.h - the one logoff path (lo_logoff_session), its typed
 * outcome, the helper's exit codes, session views and the sweep.
 * Conventions: see util.h.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_CORE_LOGOFF_H
#define LO_CORE_LOGOFF_H

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
#include "core/chain.h"

/*
 * How a logoff of one session ended (lo_logoff_session). Every caller
 * maps it to its own return (a PAM code, an exit status) and nothing else.
 */
enum lo_logoff_outcome {
	LO_LOGOFF_DONE,		/* every provider logged off, record deleted */
	LO_LOGOFF_PARTIAL,	/* something was not released; record kept failed */
	LO_LOGOFF_NO_SESSION,	/* no such record (already logged off) */
	LO_LOGOFF_OTHER_UID,	/* check_uid set and the record is another uid's */
	LO_LOGOFF_BUSY,		/* another live process is logging it off */
	LO_LOGOFF_TIMED_OUT,	/* stopped at [logoff] timeout; record kept timed-out */
	LO_LOGOFF_ERROR,	/* record refused or unreadable, registry error, no closer */
};

/*
 * Exit status of logoff-helper --session (and of the forked closer, which
 * is the same program minus the exec): one number per outcome that a
 * process can report by itself. The helper's usage text documents them.
 */
enum lo_helper_exit {
	LO_HELPER_DONE = 0,
	LO_HELPER_PARTIAL = 1,
	LO_HELPER_ERROR = 2,		/* usage, config, registry, record refused */
	LO_HELPER_NO_SESSION = 3,
	LO_HELPER_OTHER_UID = 4,
	LO_HELPER_BUSY = 5,
};

/* The exit status for R, what lo_logoff_run (lo_chain_logoff) returned:
 * 0 done, -EIO partial, -ENOENT no session, -EACCES another uid's,
 * -EBUSY busy, anything else an error. */
enum lo_helper_exit lo_helper_exit_of(int r);

/* A short English name of OUTCOME for logs ("logged off", "partial"...). */
const char *lo_logoff_outcome_name(enum lo_logoff_outcome outcome);

/*
 * One logoff of session SESSION, as close_session, `logoff SESSION`,
 * `logoff --gc --abandon` and the sweep ask for it.
 */
struct lo_logoff_request {
	const char *session;		/* a valid id (lo_id_valid) */
	const struct lo_config *config;	/* timeout (s), registry, providers, table */
	const char *config_path;	/* logoff.conf, for logoff-helper --config */
	const char *helper;		/* absolute path of logoff-helper */
	bool check_uid;			/* refuse a record of another uid than UID */
	uid_t uid;
	bool debug;			/* LOG_DEBUG lines too */
	const char *abandon;		/* abandon this provider at once (root); NULL: none */
	/*
	 * The caller is the login manager (close_session): the chain may
	 * run in this very process, when nothing the config and the record
	 * name can block (lo_config_logoff_in_process, then
	 * LO_LOGOFF_IN_PROCESS), else in a closer forked from it without
	 * an exec, when every provider is built in. False, or with a
	 * plugin or ABANDON: always logoff-helper, which alone loads
	 * plugins.
	 */
	bool in_login_manager;
	const struct lo_log *log;	/* this process's lines; NULL: none */
	/* Each line a closer or the helper writes ("<N>message", see
	 * lo_priority_prefix), with LINE_CTX. */
	void (*line_fn)(void *ctx, const char *line);
	void *line_ctx;
	struct lo_registry *registry;	/* open registry to use; NULL: opened when needed */
	/*
	 * Who or what ends the session, for the audit line (audit.h):
	 * "logoff by uid N" (logoff(1)), "stale" (the sweep's default),
	 * "idle limit 15min" (the limits sweep), free text made safe. NULL:
	 * "logout" (close_session). A reason the record carries
	 * (lo_logoff_set_reason) wins over this one.
	 */
	const char *reason;
};

/*
 * Log REQ->session off: the one function that does it. It chooses where
 * the chain runs (see lo_logoff_request.in_login_manager), holds the
 * deadline of [logoff] timeout seconds from now (a closer past it gets
 * SIGTERM, then SIGKILL 600 ms later: the call returns within timeout +
 * 1 s), marks a record whose logoff was stopped there timed-out
 * (lo_chain_mark_timed_out), and reads the record again when the closer
 * was reaped by the application (a SIGCHLD handler) or killed: a record
 * gone is a logoff done. *RET gets the outcome. Returns 0, or -EINVAL (an
 * invalid id) or fork/pidfd's -errno when no logoff could be started
 * (*RET is then LO_LOGOFF_ERROR). Writes the logoff's one audit line
 * (lo_audit_logoff, audit.h) for the outcomes done, partial, timed out
 * and error, with the reason lo_logoff_reason picks from the record as
 * found and REQ->reason. Design: "The flow" in docs/architecture.md.
 */
int lo_logoff_session(const struct lo_logoff_request *req, enum lo_logoff_outcome *ret);

/*
 * The chain's one body, wherever it runs (in process, the forked closer,
 * logoff-helper --session): open CTX->config's registry when
 * CTX->registry is NULL (and close it after), run lo_chain_logoff(CTX,
 * ID, FLAGS), log the result at LOG_DEBUG. Returns lo_chain_logoff's
 * result, or lo_registry_open's error (-ENOENT: no registry, so no such
 * session), logged.
 */
int lo_logoff_run(struct lo_ctx *ctx, const char *id, unsigned flags);

/*
 * Can close_session log a session off under CONFIG in its own process,
 * without forking a closer? Only when the real uid is the effective one
 * (not under su or sudo) and every provider in [logoff] providers says
 * so through its entry's logoff_here (tmpdir always; processes without
 * keep_commands; hooks with nothing in its logoff_dir that run-parts
 * would consider): their logoffs then start no process and wait only
 * under ctx->deadline_ms. The record decides the rest (see
 * LO_LOGOFF_IN_PROCESS). A process is spent only where isolation buys
 * something: a hook, a plugin, a deadline on a release that can block.
 */
bool lo_config_logoff_in_process(const struct lo_config *config);

/* "<N>text" -> N (a syslog priority) and *LINE moved past it; -1 and
 * *LINE untouched when there is no such prefix. */
int lo_priority_prefix(const char **line);

/*
 * What a record says about its session, as `logoff --list` shows it:
 *   "active"   its login manager (leader pid + start time) is alive;
 *   "opening"  the same, while open_session runs;
 *   "closing"  a live process (closer) is running its logoff chain;
 *   "stale"    its login manager is gone, or its logoff was interrupted;
 *   "failed"   a release failed or timed out (the record was kept).
 * *RET_WHY (may be NULL) gets a short reason for stale and failed, else "".
 */
const char *lo_session_view(const struct lo_record *rec, const char **ret_why);

/* True for the sessions the sweep logs off: stale and failed ones. */
bool lo_session_needs_sweep(const struct lo_record *rec);

/*
 * True at most once per INTERVAL seconds per registry ([logoff]
 * gc_interval): <registry>/gc-stamp's mtime is when the last sweep was
 * started. One fstatat when not due; false for 0 or a read-only registry.
 */
bool lo_gc_due(struct lo_registry *registry, unsigned interval);

/*
 * Log off every stale or failed session of CTX->registry, each with
 * lo_logoff_session (PROTO with its session and registry set). A record
 * that cannot be read is logged and skipped, never released. REPORT (may
 * be NULL) gets each session swept, with the reason and the outcome; a
 * session that was closed meanwhile (LO_LOGOFF_NO_SESSION) is neither
 * reported nor counted. Returns 0 with the counts (a session being
 * logged off by another process counts in neither), or the error of
 * listing the registry.
 */
int lo_sweep(const struct lo_ctx *ctx, const struct lo_logoff_request *proto,
	     void (*report)(void *rctx, const struct lo_record *rec, const char *why,
			    enum lo_logoff_outcome outcome),
	     void *rctx, unsigned *ret_swept, unsigned *ret_failed);

#endif /* LO_CORE_LOGOFF_H */
