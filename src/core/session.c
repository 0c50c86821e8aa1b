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
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "cgroup.h"
#include "providers/providers.h"

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

int lo_logoff_exit_status(int r)
{
	switch (r) {
	case 0:
		return 0;
	case -EIO:
		return 1;
	case -ENOENT:
		return 3;
	case -EACCES:
		return 4;
	case -EBUSY:
		return 5;
	default:
		return 2;	/* the record could not be read or written */
	}
}

bool lo_config_builtin_only(const struct lo_config *config)
{
	for (size_t i = 0; i < config->n_providers; i++)
		if (!lo_provider_find(NULL, config->providers[i]))
			return false;
	return true;
}

bool lo_provider_in_process(const char *name)
{
	return strcmp(name, "tmpdir") == 0 || strcmp(name, "processes") == 0 ||
	       strcmp(name, "hooks") == 0;
}

bool lo_provider_may_block(const char *name)
{
	return strcmp(name, "processes") != 0 && strcmp(name, "keyring") != 0 &&
	       strcmp(name, "hooks") != 0;
}

bool lo_provider_abandonable(const char *name)
{
	return strcmp(name, "processes") != 0;
}

bool lo_config_logoff_in_process(const struct lo_config *config)
{
	const char *keep = lo_config_value(config, "processes", "keep_commands");

	/* Mixed ids (su, sudo: the real uid is the user's) let the user
	 * signal this process: the closer, root in every id, they cannot. */
	if (getuid() != geteuid())
		return false;
	for (size_t i = 0; i < config->n_providers; i++) {
		const char *name = config->providers[i];

		if (!lo_provider_in_process(name))
			return false;
		if (strcmp(name, "hooks") == 0 &&
		    !lo_hooks_dir_idle(lo_config_value(config, "hooks", "logoff_dir")))
			return false;
		/* keep_commands stats each process's program, which may sit
		 * on a file system whose server does not answer. */
		if (strcmp(name, "processes") == 0 && keep && *keep)
			return false;
	}
	return true;
}

/* The logoff of CALL in this process (see lo_helper_call's
 * in_process_log): -EAGAIN when the record tracks something that needs a
 * closer, or the registry cannot be opened here (the closer then reports
 * it as it always has); otherwise 0 with *RET_STATUS the status an
 * exiting helper would give, or -ETIMEDOUT when a provider stopped at
 * DEADLINE (the record is kept timed-out). */
static int logoff_in_process(const struct lo_helper_call *call, int64_t deadline,
			     int *ret_status)
{
	struct lo_registry *registry = NULL;
	char *err = NULL;
	int r;

	r = lo_registry_open(call->fork_config->registry, 0, &registry, &err);
	free(err);
	if (r < 0)
		return -EAGAIN;
	{
		struct lo_ctx ctx = {
			.config = call->fork_config,
			.registry = registry,
			.log = *call->in_process_log,
			.privileged = geteuid() == 0,
			.check_uid = call->check_uid,
			.expect_uid = call->uid,
			.in_process = true,
			.deadline_ms = deadline,
		};

		r = lo_chain_logoff(&ctx, call->session, LO_LOGOFF_IN_PROCESS);
		if (r == 0)
			lo_log(&ctx.log, LOG_DEBUG, "session %s: every provider logged off in this "
			       "process (nothing tracked could block), record deleted", call->session);
		else if (r == -ENOENT)
			lo_log(&ctx.log, LOG_DEBUG, "session %s: no record", call->session);
		else if (r == -EAGAIN)
			lo_log(&ctx.log, LOG_DEBUG, "session %s: tracks what may block; logged off "
			       "by a forked closer", call->session);
	}
	lo_registry_close(registry);
	/* A TMPDIR filled during the logoff (a process writing as it
	 * exited): the record is kept failed, and the forked closer,
	 * under what is left of the deadline, removes the tree now. */
	if (r == -EIO) {
		lo_log(call->in_process_log, LOG_INFO, "session %s: what is left is released by a "
		       "forked closer", call->session);
		return -EAGAIN;
	}
	if (r == -EAGAIN || r == -ETIMEDOUT)
		return r;
	*ret_status = W_EXITCODE(lo_logoff_exit_status(r), 0);
	return 0;
}

/* In the forked child: "<N>message" lines to the pipe on fd 2, as
 * logoff-helper --prefix-priority writes them. */
static void log_to_parent(void *ctx, int priority, const char *msg)
{
	dprintf(STDERR_FILENO, "<%d>%s\n", priority, msg);
}

/*
 * lo_helper_call's child when it has a fork_config: what logoff-helper's
 * main does for --session ID [--uid UID], minus the exec. lo_spawn's child
 * has already reset signals and the mask, made a session, put /dev/null
 * on 0 and the pipe on 1 and 2, closed every other fd, become root in
 * every id without groups or the CPU/FSIZE/AS/DATA limits, set umask 022
 * and cwd "/".
 */
static int logoff_child(void *arg)
{
	const struct lo_helper_call *call = arg;
	struct lo_registry *registry = NULL;
	struct rlimit rl;
	char *err = NULL;
	int r;

	/* What the exec'd helper starts with: PATH as its whole
	 * environment (hooks get their own), its name in ps. The array is
	 * static: no allocation, no page copied from the login manager. */
	static char *env[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	extern char **environ;

	environ = env;
	prctl(PR_SET_NAME, "logoff-close", 0, 0, 0);
	/* One pidfd per process being ended: the whole hard limit. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	r = lo_registry_open(call->fork_config->registry, 0, &registry, &err);
	if (r < 0) {
		log_to_parent(NULL, r == -ENOENT ? LOG_DEBUG : LOG_ERR, err ? err : strerror(-r));
		free(err);
		return r == -ENOENT ? 3 : 2;
	}
	{
		struct lo_ctx ctx = {
			.config = call->fork_config,
			.registry = registry,
			.log = { .fn = log_to_parent, .debug = call->debug },
			.privileged = geteuid() == 0,
			.check_uid = call->check_uid,
			.expect_uid = call->uid,
		};

		r = lo_chain_logoff(&ctx, call->session, 0);
		if (r == 0)
			lo_log(&ctx.log, LOG_DEBUG, "session %s: every provider logged off, record "
			       "deleted", call->session);
		else if (r == -ENOENT)
			lo_log(&ctx.log, LOG_DEBUG, "session %s: no record", call->session);
	}
	/* Freed although the process ends: valgrind's leak check follows
	 * forked children. */
	lo_registry_close(registry);
	return lo_logoff_exit_status(r);
}

int lo_helper_call(const struct lo_helper_call *call, int *ret_status)
{
	char *env[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	char *argv[14], uid[16];
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
	if (call->abandon && !call->gc) {
		argv[n++] = (char *)"--abandon";
		argv[n++] = (char *)call->abandon;
	}
	argv[n] = NULL;
	{
		struct lo_spawn sp = { .path = call->helper, .argv = argv, .envp = env, .cwd = "/",
				       .capture = true };
		int64_t deadline = lo_now_ms() + (int64_t)call->timeout * 1000;

		if (call->fork_config && !call->gc && !call->abandon) {
			sp.fn = logoff_child;
			sp.arg = (void *)call;
			if (call->in_process_log && lo_config_logoff_in_process(call->fork_config)) {
				r = logoff_in_process(call, deadline, ret_status);
				if (r != -EAGAIN)
					return r;
			}
		}

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

/* lo_cgroup_sweep's HAS_RECORD: a record it cannot read counts. */
static bool has_record(void *rctx, const char *id)
{
	const struct lo_ctx *ctx = rctx;
	struct lo_record *rec = NULL;
	int r = lo_record_read(ctx->registry, id, &rec, NULL);

	lo_record_free(rec);
	return r != -ENOENT;
}

/* Session cgroups of the processes provider that no record names: a
 * record lost, or a removal that failed. Nothing of ours is left behind. */
static void sweep_cgroups(const struct lo_ctx *ctx)
{
	const char *root;
	bool listed = false;
	int r;

	for (size_t i = 0; i < ctx->config->n_providers; i++)
		listed |= strcmp(ctx->config->providers[i], "processes") == 0;
	root = lo_config_value(ctx->config, "processes", "cgroup_root");
	if (!listed || !ctx->privileged || !root)
		return;
	r = lo_cgroup_sweep(root, has_record, (void *)ctx, &ctx->log);
	if (r < 0 && r != -ENOENT)
		lo_log(&ctx->log, LOG_WARNING, "sweep: cgroup_root %s: %s", root, strerror(-r));
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
	/* After the records: a session logged off just now has removed its
	 * cgroup, and one whose logoff failed keeps its record. */
	sweep_cgroups(ctx);
	*ret_swept = swept;
	*ret_failed = failed;
	return 0;
}
