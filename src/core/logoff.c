/*
 * logoff.c - the one way a session is logged off: lo_logoff_session
 * chooses where the chain runs (in the login manager's process, in a
 * closer forked from it, or in logoff-helper), holds the deadline, marks
 * a timed-out record, and returns a typed outcome. lo_logoff_run is the
 * one body that runs the chain wherever that is.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "core/util.h"
#include "core/conf.h"
#include "core/registry.h"
#include "core/spawn.h"
#include "core/chain.h"
#include "core/logoff.h"
#include "core/audit.h"

/* SIGTERM to SIGKILL for a closer past [logoff] timeout: the call returns
 * by timeout + 1.5 x this (lo_spawn_wait), within timeout + 1 s. */
#define CLOSER_GRACE_MS 600

int lo_priority_prefix(const char **line)
{
	const char *l = *line;

	if (l[0] == '<' && l[1] >= '0' && l[1] <= '7' && l[2] == '>') {
		*line = l + 3;
		return l[1] - '0';
	}
	return -1;
}

enum lo_helper_exit lo_helper_exit_of(int r)
{
	switch (r) {
	case 0:
		return LO_HELPER_DONE;
	case -EIO:
		return LO_HELPER_PARTIAL;
	case -ENOENT:
		return LO_HELPER_NO_SESSION;
	case -EACCES:
		return LO_HELPER_OTHER_UID;
	case -EBUSY:
		return LO_HELPER_BUSY;
	default:
		return LO_HELPER_ERROR;	/* the record could not be read or written */
	}
}

/* A closer's or logoff-helper's exit status as an outcome. */
static enum lo_logoff_outcome outcome_of_exit(int code)
{
	switch (code) {
	case LO_HELPER_DONE:
		return LO_LOGOFF_DONE;
	case LO_HELPER_PARTIAL:
		return LO_LOGOFF_PARTIAL;
	case LO_HELPER_NO_SESSION:
		return LO_LOGOFF_NO_SESSION;
	case LO_HELPER_OTHER_UID:
		return LO_LOGOFF_OTHER_UID;
	case LO_HELPER_BUSY:
		return LO_LOGOFF_BUSY;
	default:
		return LO_LOGOFF_ERROR;
	}
}

const char *lo_logoff_outcome_name(enum lo_logoff_outcome outcome)
{
	static const char *const names[] = {
		[LO_LOGOFF_DONE] = "logged off",
		[LO_LOGOFF_PARTIAL] = "partial",
		[LO_LOGOFF_NO_SESSION] = "no session",
		[LO_LOGOFF_OTHER_UID] = "another uid's session",
		[LO_LOGOFF_BUSY] = "being logged off by another process",
		[LO_LOGOFF_TIMED_OUT] = "timed out",
		[LO_LOGOFF_ERROR] = "error",
	};

	return (unsigned)outcome < sizeof(names) / sizeof(names[0]) && names[outcome] ?
		       names[outcome] : "?";
}

int lo_logoff_run(struct lo_ctx *ctx, const char *id, unsigned flags)
{
	struct lo_registry *opened = NULL;
	char *err = NULL;
	int r;

	if (!ctx->registry) {
		r = lo_registry_open(ctx->config->registry, 0, &opened, &err);
		if (r < 0) {
			/* No registry: nothing was ever opened with it. */
			lo_log(&ctx->log, r == -ENOENT ? LOG_DEBUG : LOG_ERR, "%s",
			       err ? err : strerror(-r));
			free(err);
			return r;
		}
		ctx->registry = opened;
	}
	r = lo_chain_logoff(ctx, id, flags);
	if (r == 0)
		lo_log(&ctx->log, LOG_DEBUG, "session %s: every provider logged off%s, record "
		       "deleted", id, ctx->in_process ? " in this process" : "");
	else if (r == -ENOENT)
		lo_log(&ctx->log, LOG_DEBUG, "session %s: no record", id);
	else if (r == -EAGAIN)
		lo_log(&ctx->log, LOG_DEBUG, "session %s: tracks what may block; logged off by a "
		       "forked closer", id);
	if (opened) {
		lo_registry_close(opened);
		ctx->registry = NULL;
	}
	return r;
}

/* In the forked closer: "<N>message" lines to the pipe on fd 2, as
 * logoff-helper --prefix-priority writes them. */
static void log_to_parent(void *ctx, int priority, const char *msg)
{
	dprintf(STDERR_FILENO, "<%d>%s\n", priority, msg);
}

/*
 * The forked closer: what logoff-helper's main does for --session ID
 * [--uid UID], minus the exec. lo_spawn's child has already reset
 * signals and the mask, made a session, put /dev/null on 0 and the pipe
 * on 1 and 2, closed every other fd, become root in every id without
 * groups or the CPU/FSIZE/AS/DATA limits, set umask 022 and cwd "/".
 */
static int closer(void *arg)
{
	const struct lo_logoff_request *req = arg;
	/* What the exec'd helper starts with: PATH as its whole
	 * environment (hooks get their own), its name in ps. The array is
	 * static: no allocation, no page copied from the login manager. */
	static char *env[] = { (char *)LO_SAFE_PATH_ENV, NULL };
	extern char **environ;
	struct lo_ctx ctx = {
		.config = req->config,
		.log = { .fn = log_to_parent, .debug = req->debug },
		.privileged = geteuid() == 0,
		.check_uid = req->check_uid,
		.expect_uid = req->uid,
	};

	environ = env;
	prctl(PR_SET_NAME, "logoff-close", 0, 0, 0);
	lo_nofile_raise();
	return lo_helper_exit_of(lo_logoff_run(&ctx, req->session, 0));
}

/* Where the chain runs. */
enum place {
	IN_PROCESS,	/* the login manager's own process */
	FORKED,		/* a closer forked from it, no exec */
	HELPER,		/* logoff-helper, which alone loads plugins */
};

static bool builtin_only(const struct lo_config *config)
{
	for (size_t i = 0; i < config->n_providers; i++) {
		const struct lo_provider_entry *e = lo_provider_find(config->table,
								     config->providers[i]);

		if (!e || !(e->flags & LO_PROVIDER_BUILTIN))
			return false;
	}
	return true;
}

static enum place choose_place(const struct lo_logoff_request *req)
{
	if (!req->in_login_manager || req->abandon || !builtin_only(req->config))
		return HELPER;
	return lo_config_logoff_in_process(req->config) ? IN_PROCESS : FORKED;
}

/* The record after a closer that was reaped by someone else or killed:
 * gone means done. */
static enum lo_logoff_outcome from_record(const struct lo_logoff_request *req,
					  struct lo_registry *registry)
{
	struct lo_registry *opened = NULL;
	struct lo_record *rec = NULL;
	char *err = NULL;
	int r;

	if (!registry && lo_registry_open(req->config->registry, 0, &opened, &err) < 0) {
		free(err);
		return LO_LOGOFF_ERROR;
	}
	r = lo_record_read(registry ? registry : opened, req->session, &rec, NULL);
	lo_record_free(rec);
	lo_registry_close(opened);
	return r == -ENOENT ? LO_LOGOFF_DONE : LO_LOGOFF_PARTIAL;
}

/* Past the deadline: the closer was killed; the record says so. */
static void mark_timed_out(const struct lo_logoff_request *req)
{
	struct lo_ctx ctx = {
		.config = req->config,
		.registry = req->registry,
		.privileged = geteuid() == 0,
	};
	struct lo_registry *opened = NULL;
	char *err = NULL;

	if (req->log)
		ctx.log = *req->log;
	if (!ctx.registry) {
		if (lo_registry_open(req->config->registry, 0, &opened, &err) < 0) {
			free(err);
			return;
		}
		ctx.registry = opened;
	}
	lo_chain_mark_timed_out(&ctx, req->session);
	lo_registry_close(opened);
}

/* The chain in this process: -EAGAIN when a closer must take over (the
 * record tracks what may block, or a TMPDIR was filled during the
 * logoff), else 0 with *RET the outcome. */
static int run_here(const struct lo_logoff_request *req, int64_t deadline,
		    enum lo_logoff_outcome *ret)
{
	struct lo_ctx ctx = {
		.config = req->config,
		.registry = req->registry,
		.privileged = geteuid() == 0,
		.check_uid = req->check_uid,
		.expect_uid = req->uid,
		.in_process = true,
		.deadline_ms = deadline,
	};
	int r;

	if (req->log)
		ctx.log = *req->log;
	r = lo_logoff_run(&ctx, req->session, LO_LOGOFF_IN_PROCESS);
	if (r == -EIO) {
		/* A TMPDIR filled during the logoff (a process writing as
		 * it exited): the record is kept failed, and the forked
		 * closer, under what is left of the deadline, removes the
		 * tree now. */
		lo_log(&ctx.log, LOG_INFO, "session %s: what is left is released by a forked "
		       "closer", req->session);
		return -EAGAIN;
	}
	if (r == -EAGAIN)
		return r;
	if (r == -ETIMEDOUT)
		mark_timed_out(req);
	*ret = r == -ETIMEDOUT ? LO_LOGOFF_TIMED_OUT : outcome_of_exit(lo_helper_exit_of(r));
	return 0;
}

static int logoff_session(const struct lo_logoff_request *req, enum lo_logoff_outcome *ret)
{
	char *env[] = { (char *)LO_SAFE_PATH_ENV, NULL };
	char *argv[14], uid[16];
	int n = 0, r, pidfd, outfd, status = -1;
	int64_t deadline = lo_now_ms() + (int64_t)req->config->timeout * 1000;
	enum place place = choose_place(req);
	struct lo_spawn sp = { .envp = env, .cwd = "/", .capture = true };
	pid_t pid;

	*ret = LO_LOGOFF_ERROR;
	if (!lo_id_valid(req->session))
		return -EINVAL;
	if (place == IN_PROCESS) {
		r = run_here(req, deadline, ret);
		if (r != -EAGAIN)
			return r;
		place = FORKED;
	}
	if (place == FORKED) {
		/* The path is never exec'd: lo_spawn needs one to be set. */
		sp.path = req->helper;
		sp.fn = closer;
		sp.arg = (void *)req;
	} else {
		argv[n++] = (char *)req->helper;
		argv[n++] = (char *)"--session";
		argv[n++] = (char *)req->session;
		argv[n++] = (char *)"--config";
		argv[n++] = (char *)req->config_path;
		argv[n++] = (char *)"--prefix-priority";
		if (req->check_uid) {
			snprintf(uid, sizeof(uid), "%u", (unsigned)req->uid);
			argv[n++] = (char *)"--uid";
			argv[n++] = uid;
		}
		if (req->debug)
			argv[n++] = (char *)"--debug";
		if (req->abandon) {
			argv[n++] = (char *)"--abandon";
			argv[n++] = (char *)req->abandon;
		}
		argv[n] = NULL;
		sp.path = req->helper;
		sp.argv = argv;
	}
	r = lo_spawn_start(&sp, &pid, &pidfd, &outfd);
	if (r < 0)
		return r;
	r = lo_spawn_wait(pid, pidfd, outfd, deadline, CLOSER_GRACE_MS, req->line_fn,
			  req->line_ctx, &status);
	if (r == -ETIMEDOUT) {
		mark_timed_out(req);
		*ret = LO_LOGOFF_TIMED_OUT;
		return 0;
	}
	if (r < 0)
		return r;
	if (status != -1 && WIFEXITED(status))
		*ret = outcome_of_exit(WEXITSTATUS(status));
	else
		/* The application reaped the closer first (a SIGCHLD
		 * handler), or it was killed: the record tells. */
		*ret = from_record(req, req->registry);
	return 0;
}

/* The record of REQ->session as it is now, NULL when there is none or
 * it cannot be read (the chain says why). Without REQ->registry, the
 * registry is opened for this read only: the logoff between the two
 * reads must have every descriptor the registry would hold (a login
 * manager under a low RLIMIT_NOFILE, tests/faults/rlimits.sh). */
static struct lo_record *record_now(const struct lo_logoff_request *req)
{
	struct lo_registry *registry = req->registry, *opened = NULL;
	struct lo_record *rec = NULL;
	char *err = NULL;

	if (!registry && lo_registry_open(req->config->registry, 0, &opened, &err) == 0)
		registry = opened;
	free(err);
	if (registry && lo_record_read(registry, req->session, &rec, NULL) < 0)
		rec = NULL;
	lo_registry_close(opened);
	return rec;
}

/*
 * The one logoff, and its one audit line: the record read before (who
 * the session was, the reason it carries) and after (what lives on),
 * whichever process ran the chain.
 */
int lo_logoff_session(const struct lo_logoff_request *req, enum lo_logoff_outcome *ret)
{
	struct lo_record *before = NULL, *after = NULL;
	int r;

	*ret = LO_LOGOFF_ERROR;
	if (!lo_id_valid(req->session))
		return -EINVAL;
	before = record_now(req);
	r = logoff_session(req, ret);
	if (r < 0)
		*ret = LO_LOGOFF_ERROR;
	if (*ret == LO_LOGOFF_DONE || *ret == LO_LOGOFF_PARTIAL || *ret == LO_LOGOFF_TIMED_OUT ||
	    *ret == LO_LOGOFF_ERROR) {
		enum lo_logoff_outcome said = *ret;

		if (*ret != LO_LOGOFF_DONE)
			after = record_now(req);
		/* A chain that stopped at its own deadline exits as an error
		 * (the helper's exit codes have none for it); the record it
		 * kept says timed-out. */
		if (said == LO_LOGOFF_ERROR && after && after->state == LO_SESSION_TIMED_OUT)
			said = LO_LOGOFF_TIMED_OUT;
		lo_audit_logoff(req->session, before, lo_logoff_reason(before, req->reason), said,
				after);
	}
	lo_record_free(after);
	lo_record_free(before);
	return r;
}
