/*
 * session.c - telling a stale session from a live one, and the sweep of
 * stale sessions (each logged off with lo_logoff_session, logoff.c).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "core/conf.h"
#include "core/registry.h"
#include "core/proc.h"
#include "core/chain.h"
#include "core/logoff.h"
#include "core/audit.h"

bool lo_config_logoff_in_process(const struct lo_config *config)
{
	/* Mixed ids (su, sudo: the real uid is the user's) let the user
	 * signal this process: the closer, root in every id, they cannot. */
	if (getuid() != geteuid())
		return false;
	for (size_t i = 0; i < config->n_providers; i++) {
		const struct lo_provider_entry *e = lo_provider_find(config->table,
								     config->providers[i]);

		if (!e || !e->logoff_here || !e->logoff_here(config))
			return false;
	}
	return true;
}

const char *lo_session_view(const struct lo_record *rec, const char **ret_why)
{
	const char *why = "";
	const char *view;

	switch (rec->state) {
	case LO_SESSION_FAILED:
		view = "failed";
		why = "a release failed";
		break;
	case LO_SESSION_TIMED_OUT:
		view = "failed";
		why = "its logoff ran past the timeout";
		break;
	case LO_SESSION_CLOSING:
		if (rec->closer_pid > 0 && lo_proc_alive(rec->closer_pid, rec->closer_start)) {
			view = "closing";
		} else {
			view = "stale";
			why = "its logoff was interrupted";
		}
		break;
	default:
		if (lo_proc_alive(rec->leader_pid, rec->leader_start)) {
			view = rec->state == LO_SESSION_OPENING ? "opening" : "active";
		} else {
			view = "stale";
			why = "its login manager is gone";
		}
		break;
	}
	if (ret_why)
		*ret_why = why;
	return view;
}

bool lo_session_needs_sweep(const struct lo_record *rec)
{
	const char *v = lo_session_view(rec, NULL);

	return strcmp(v, "stale") == 0 || strcmp(v, "failed") == 0;
}

bool lo_gc_due(struct lo_registry *registry, unsigned interval)
{
	struct timespec now, times[2];
	struct stat st;
	bool due = false;
	int fd;

	if (interval == 0 || registry->readonly)
		return false;
	/* The common case costs one fstatat and takes no lock. */
	if (fstatat(registry->dirfd, "gc-stamp", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    clock_gettime(CLOCK_REALTIME, &now) == 0 && st.st_mtime <= now.tv_sec &&
	    now.tv_sec - st.st_mtime < (time_t)interval)
		return false;
	if (lo_registry_lock(registry) < 0)
		return false;
	/* Again under the lock: of logins that start together, one sweeps. */
	if (clock_gettime(CLOCK_REALTIME, &now) == 0 &&
	    (fstatat(registry->dirfd, "gc-stamp", &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	     st.st_mtime > now.tv_sec || now.tv_sec - st.st_mtime >= (time_t)interval)) {
		fd = openat(registry->dirfd, "gc-stamp",
			    O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644);
		if (fd >= 0) {
			times[0] = times[1] = now;
			due = futimens(fd, times) == 0;
			close(fd);
		}
	}
	lo_registry_unlock(registry);
	return due;
}

/* lo_cgroup_sweep's HAS_RECORD: a record it cannot read counts. */
static bool has_record(void *rctx, const char *id)
{
	const struct lo_ctx *ctx = rctx;
	struct lo_record *rec = NULL;
	int r = lo_record_read(ctx->registry, id, &rec, NULL);

	lo_record_free(rec);
	return r != -ENOENT;
}

/* What providers made for sessions whose record is gone (their entry's
 * sweep): nothing of ours is left behind. */
static void sweep_providers(const struct lo_ctx *ctx)
{
	if (!ctx->privileged)
		return;
	for (size_t i = 0; i < ctx->config->n_providers; i++) {
		const struct lo_provider_entry *e = lo_provider_find(ctx->config->table,
								     ctx->config->providers[i]);

		if (e && e->sweep)
			e->sweep(ctx->config, has_record, (void *)ctx, &ctx->log);
	}
}

int lo_sweep(const struct lo_ctx *ctx, const struct lo_logoff_request *proto,
	     void (*report)(void *rctx, const struct lo_record *rec, const char *why,
			    enum lo_logoff_outcome outcome),
	     void *rctx, unsigned *ret_swept, unsigned *ret_failed)
{
	char **ids = NULL;
	size_t n = 0;
	unsigned swept = 0, failed = 0;
	int r;

	*ret_swept = *ret_failed = 0;
	r = lo_registry_list(ctx->registry, &ids, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct lo_logoff_request req = *proto;
		enum lo_logoff_outcome outcome;
		struct lo_record *rec = NULL;
		const char *why = NULL;
		char *err = NULL;

		r = lo_record_read(ctx->registry, ids[i], &rec, &err);
		if (r == -ENOENT)
			continue;	/* closed meanwhile */
		if (r < 0) {
			/* Never trusted, never released: an admin must look. */
			lo_log(&ctx->log, LOG_ERR, "%s; skipped", err ? err : strerror(-r));
			free(err);
			failed++;
			continue;
		}
		if (!lo_session_needs_sweep(rec)) {
			lo_record_free(rec);
			continue;
		}
		lo_session_view(rec, &why);
		req.session = rec->id;
		req.registry = ctx->registry;
		if (!req.reason)
			req.reason = LO_REASON_STALE;
		if (lo_logoff_session(&req, &outcome) < 0)
			outcome = LO_LOGOFF_ERROR;
		/* The record went away between our read and the closer's:
		 * its own closer finished (it was seen closing just as that
		 * closer exited). Nothing of ours was released: not reported
		 * as logged off by the sweep. */
		if (outcome == LO_LOGOFF_NO_SESSION) {
			lo_log(&ctx->log, LOG_DEBUG, "sweep: session %s: closed meanwhile", rec->id);
			lo_record_free(rec);
			continue;
		}
		/* Busy: close_session or `logoff` is logging it off now. */
		if (outcome == LO_LOGOFF_DONE)
			swept++;
		else if (outcome != LO_LOGOFF_BUSY)
			failed++;
		lo_log(&ctx->log, outcome == LO_LOGOFF_DONE ? LOG_NOTICE :
				  outcome == LO_LOGOFF_BUSY ? LOG_INFO : LOG_ERR,
		       "sweep: session %s (%s, user %s): %s: %s", rec->id, rec->name, rec->user, why,
		       outcome == LO_LOGOFF_DONE ? "logged off" :
		       outcome == LO_LOGOFF_BUSY ? "being logged off by another process" :
		       outcome == LO_LOGOFF_TIMED_OUT ? "logoff timed out" : "logoff incomplete");
		if (report)
			report(rctx, rec, why, outcome);
		lo_record_free(rec);
	}
	lo_strv_free(ids, n);
	/* After the records: a session logged off just now has released
	 * what it made (its cgroup), and one whose logoff failed keeps its
	 * record. */
	sweep_providers(ctx);
	*ret_swept = swept;
	*ret_failed = failed;
	return 0;
}
