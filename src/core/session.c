/*
 * session.c - what pam_logoff.so, logoff-helper and logoff(1) share to log
 * a session off: running logoff-helper under a deadline (the one way a
 * session is logged off), telling a stale session from a live one, and
 * the sweep of stale sessions.
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
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

/* SIGTERM to SIGKILL for a helper past [logoff] timeout: close_session
 * returns by timeout + 1.5 x this (lo_spawn_wait), within timeout + 1 s. */
#define HELPER_GRACE_MS 600

int lo_priority_prefix(const char **line)
{
	const char *l = *line;

	if (l[0] == '<' && l[1] >= '0' && l[1] <= '7' && l[2] == '>') {
		*line = l + 3;
		return l[1] - '0';
	}
	return -1;
}

int lo_helper_call(const struct lo_helper_call *call, int *ret_status)
{
	char *env[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	char *argv[12], uid[16];
	int n = 0, r, pidfd, outfd;
	pid_t pid;

	*ret_status = -1;
	if (!call->gc && !lo_id_valid(call->session))
		return -EINVAL;
	argv[n++] = (char *)call->helper;
	if (call->gc) {
		argv[n++] = (char *)"--gc";
	} else {
		argv[n++] = (char *)"--session";
		argv[n++] = (char *)call->session;
	}
	argv[n++] = (char *)"--config";
	argv[n++] = (char *)call->config;
	argv[n++] = (char *)"--prefix-priority";
	if (call->check_uid) {
		snprintf(uid, sizeof(uid), "%u", (unsigned)call->uid);
		argv[n++] = (char *)"--uid";
		argv[n++] = uid;
	}
	if (call->debug)
		argv[n++] = (char *)"--debug";
	argv[n] = NULL;
	{
		struct lo_spawn sp = { .path = call->helper, .argv = argv, .envp = env, .cwd = "/",
				       .capture = true };
		int64_t deadline = lo_now_ms() + (int64_t)call->timeout * 1000;

		r = lo_spawn_start(&sp, &pid, &pidfd, &outfd);
		if (r < 0)
			return r;
		return lo_spawn_wait(pid, pidfd, outfd, deadline, HELPER_GRACE_MS, call->line_fn,
				     call->ctx, ret_status);
	}
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

int lo_sweep(const struct lo_ctx *ctx, const struct lo_helper_call *proto,
	     void (*report)(void *rctx, const struct lo_record *rec, const char *why, int result),
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
		struct lo_helper_call call = *proto;
		struct lo_record *rec = NULL;
		const char *why = NULL;
		char *err = NULL;
		int status = -1, result;

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
		call.gc = false;
		call.session = rec->id;
		r = lo_helper_call(&call, &status);
		if (r == -ETIMEDOUT) {
			lo_chain_mark_timed_out(ctx, rec->id);
			result = -ETIMEDOUT;
		} else if (r < 0) {
			result = r;
		} else if (status != -1 && WIFEXITED(status)) {
			result = WEXITSTATUS(status);
		} else {
			/* Reaped elsewhere or killed: the record tells. */
			struct lo_record *after = NULL;
			result = lo_record_read(ctx->registry, rec->id, &after, NULL) == -ENOENT ? 0 : 1;
			lo_record_free(after);
		}
		/* 3: the record went away between our read and the helper's:
		 * its own closer finished (it was seen closing just as that
		 * closer exited). Nothing of ours was released: not reported
		 * as logged off by the sweep. */
		if (result == 3) {
			lo_log(&ctx->log, LOG_DEBUG, "sweep: session %s: closed meanwhile", rec->id);
			lo_record_free(rec);
			continue;
		}
		/* 5: close_session or `logoff` is logging it off right now. */
		if (result == 0)
			swept++;
		else if (result != 5)
			failed++;
		lo_log(&ctx->log, result == 0 ? LOG_NOTICE :
				  result == 5 ? LOG_INFO : LOG_ERR,
		       "sweep: session %s (%s, user %s): %s: %s", rec->id, rec->name, rec->user, why,
		       result == 0 ? "logged off" :
		       result == 5 ? "being logged off by another process" :
		       result == -ETIMEDOUT ? "logoff timed out" : "logoff incomplete");
		if (report)
			report(rctx, rec, why, result);
		lo_record_free(rec);
	}
	lo_strv_free(ids, n);
	*ret_swept = swept;
	*ret_failed = failed;
	return 0;
}
