/*
 * hooks.c - the hooks provider: run-parts of [hooks] logon_dir at logon
 * and logoff_dir at logoff, each hook a child with a deadline, a fresh
 * environment and no inherited fds (as pam_exec, see src/core/spawn.c).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "providers/support.h"
#include "providers/providers.h"

static const char *const run_as_choices[] = { "root", "user", NULL };

static const struct logoff_config_key keys[] = {
	{ "logon_dir", LOGOFF_CONFIG_PATH, SYSCONFDIR "/security/logoff/logon.d", NULL },
	{ "logoff_dir", LOGOFF_CONFIG_PATH, SYSCONFDIR "/security/logoff/logoff.d", NULL },
	{ "timeout", LOGOFF_CONFIG_SECONDS, "10", NULL },
	{ "run_as", LOGOFF_CONFIG_STRING, "root", run_as_choices },
	{ NULL, 0, NULL, NULL },
};

/* Root's fixed PATH with /usr/local in front, where an administrator's
 * hooks may expect their tools (pam_logoff(8), "Hooks"). */
#define HOOK_PATH "/usr/local/sbin:/usr/local/bin:" LO_SAFE_PATH
#define KILL_GRACE_MS 2000
/* Under a chain deadline (an in-process logoff): as close_session waits
 * for a closer that outlives its deadline. */
#define CHAIN_KILL_GRACE_MS 600

/* run-parts' rules: no dotfiles, no backups, no package manager leftovers. */
static int hook_filter(const struct dirent *d)
{
	const char *n = d->d_name;
	size_t len = strlen(n);

	return n[0] != '.' && len > 0 && n[len - 1] != '~' && !strstr(n, ".dpkg-");
}

/* Files we run must be owned by root (by the caller when not root) and
 * not writable by group or others, as sudo and OpenSSH demand of what
 * they execute as root. */
static bool safe_owner(const struct stat *st, uid_t owner)
{
	return st->st_uid == owner && !(st->st_mode & 022);
}

/* A hook's output goes to syslog; a chatty hook must not flood it. */
#define MAX_OUTPUT_LINES 100

struct hook_out {
	struct logoff_support *s;
	const char *name;
	unsigned lines;
};

static void hook_line(void *ctx, const char *line)
{
	struct hook_out *o = ctx;

	if (o->lines++ < MAX_OUTPUT_LINES)
		o->s->log(o->s, LOG_INFO, "%s: %s", o->name, line);
	else if (o->lines == MAX_OUTPUT_LINES + 1)
		o->s->log(o->s, LOG_WARNING, "%s: more output than %d lines; the rest is dropped",
			  o->name, MAX_OUTPUT_LINES);
}

/* Run one hook; returns its waitpid status, -1 when unknown, or a
 * negative errno (-ETIMEDOUT when it had to be killed). */
static int run_hook(struct logoff_support *s, const char *path, const char *name,
		    const char *type, unsigned timeout, bool as_user)
{
	const struct logoff_identity *id = s->identity;
	char *env[9] = { NULL };
	char *argv[] = { (char *)path, NULL };
	struct lo_spawn sp = {
		.path = path, .argv = argv, .envp = env, .run_as_user = as_user,
		.user = id->user, .uid = id->uid, .gid = id->gid, .cwd = "/", .capture = true,
	};
	struct hook_out out = { s, name, 0 };
	char procval[64];
	bool tracked = false;
	int64_t deadline = lo_now_ms() + (int64_t)timeout * 1000;
	int64_t chain_deadline = lo_support_deadline_ms(s);
	pid_t pid;
	int pidfd, outfd, status = -1, r;

	/* Exactly the documented variables; nothing from the PAM
	 * environment, never PAM_AUTHTOK. */
	env[0] = lo_strdupf("PAM_USER=%s", id->user);
	env[1] = lo_strdupf("PAM_SERVICE=%s", id->service);
	env[2] = lo_strdupf("PAM_TTY=%s", id->tty);
	env[3] = lo_strdupf("PAM_RHOST=%s", id->rhost);
	env[4] = lo_strdupf("PAM_TYPE=%s", type);
	env[5] = lo_strdupf("LOGOFF_SESSION_ID=%s", id->session_id);
	env[6] = lo_strdupf("PATH=%s", HOOK_PATH);
	env[7] = lo_strdupf("HOME=%s", as_user && *id->home ? id->home : "/");
	for (int i = 0; i < 8; i++)
		if (!env[i]) {
			r = -ENOMEM;
			goto out;
		}
	r = lo_spawn_start(&sp, &pid, &pidfd, &outfd);
	if (r < 0) {
		s->log(s, LOG_ERR, "%s: cannot start: %s", name, strerror(-r));
		goto out;
	}
	/* While it runs the hook is a subobject: if the whole logoff runs
	 * past its deadline, the core ends it. */
	if (lo_process_value(pid, procval, sizeof(procval)) == 0)
		tracked = s->track(s, LOGOFF_SUBOBJECT_PROCESS, procval) == 0;
	/* A logoff in the login manager's process has a deadline of its
	 * own, which no parent enforces: the hook ends there too. */
	if (chain_deadline && chain_deadline < deadline)
		deadline = chain_deadline;
	r = lo_spawn_wait(pid, pidfd, outfd, deadline, chain_deadline ? CHAIN_KILL_GRACE_MS :
			  KILL_GRACE_MS, hook_line, &out, &status);
	if (tracked)
		s->untrack(s, LOGOFF_SUBOBJECT_PROCESS, procval);
	if (r == 0)
		r = status;
out:
	for (int i = 0; i < 8; i++)
		free(env[i]);
	return r;
}

/* Append " NAME=WHAT" to the status message MSG of SIZE bytes, holding
 * *LEN; cut at SIZE - 1 (the status object holds 255 bytes anyway). */
static void note(char *msg, size_t size, size_t *len, const char *name, const char *what)
{
	if (*len < size - 1)
		*len += (size_t)snprintf(msg + *len, size - *len, " %s=%s", name, what);
	if (*len >= size)
		*len = size - 1;
}

static int run_dir(struct logoff_support *s, const char *dir, const char *type)
{
	uid_t owner = s->privileged ? 0 : geteuid();
	struct dirent **names = NULL;
	struct stat st;
	char msg[256] = "";
	size_t mlen = 0;
	unsigned timeout = 10, ran = 0, failed = 0;
	bool as_user = strcmp(s->config(s, "run_as"), "user") == 0;
	bool bound_hit = false;
	int dfd, n;

	lo_parse_seconds(s->config(s, "timeout"), &timeout);
	if (as_user && !s->privileged && s->identity->uid != geteuid()) {
		s->set_status(s, "run_as=user needs root; no hook run");
		return 0;
	}
	if (!s->privileged)
		as_user = false;	/* already the caller's ids */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		int e = errno;

		if (e == ENOENT) {
			s->set_status(s, "%s: no hook directory", type);
			return 0;
		}
		/* O_DIRECTORY|O_NOFOLLOW on a symlink says ELOOP or ENOTDIR. */
		if ((e == ELOOP || e == ENOTDIR) && lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
			s->log(s, LOG_ERR, "%s: refusing a hook directory that is a symlink", dir);
		else
			s->log(s, LOG_ERR, "%s: %s", dir, strerror(e));
		s->set_status(s, "%s: hook directory refused: %s", type, dir);
		return -e;
	}
	if (fstat(dfd, &st) < 0 || !safe_owner(&st, owner)) {
		s->log(s, LOG_ERR, "%s: refusing a hook directory not owned by uid %u or writable "
		       "by group or others", dir, (unsigned)owner);
		s->set_status(s, "%s: hook directory refused: %s", type, dir);
		close(dfd);
		return -EPERM;
	}
	n = scandirat(dfd, ".", &names, hook_filter, alphasort);
	if (n < 0) {
		int e = errno;
		close(dfd);
		return -e;
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char path[PATH_MAX], what[32];
		int status;

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
			/* run-parts would follow it; a hook run as root is only
			 * ever the file in the checked directory. */
			s->log(s, LOG_ERR, "%s: refusing a hook that is a symlink", path);
			note(msg, sizeof(msg), &mlen, name, "refused");
			failed++;
			continue;
		}
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
		    !(st.st_mode & S_IXUSR))
			continue;	/* run-parts skips what is not an executable file */
		if (!safe_owner(&st, owner)) {
			s->log(s, LOG_ERR, "%s: refusing a hook not owned by uid %u or writable by "
			       "group or others", path, (unsigned)owner);
			note(msg, sizeof(msg), &mlen, name, "refused");
			failed++;
			continue;
		}
		status = run_hook(s, path, name, type, timeout, as_user);
		ran++;
		/* Stopped at the provider's bound (lo_support_deadline_ms),
		 * not at its own timeout: the provider timed out, and the
		 * sweep runs the hooks again. The rest would get no time. */
		if (status == -ETIMEDOUT && lo_support_deadline_ms(s) &&
		    lo_now_ms() >= lo_support_deadline_ms(s)) {
			s->log(s, LOG_ERR, "%s: stopped at the logoff's bound, killed", name);
			note(msg, sizeof(msg), &mlen, name, "stopped");
			bound_hit = true;
			break;
		}
		if (status == -ETIMEDOUT) {
			s->log(s, LOG_ERR, "%s: timed out after %u s, killed", name, timeout);
			snprintf(what, sizeof(what), "timed-out");
			failed++;
		} else if (status >= 0 && WIFEXITED(status)) {
			if (WEXITSTATUS(status) != 0) {
				failed++;
				s->log(s, LOG_WARNING, "%s: exited with status %d", name,
				       WEXITSTATUS(status));
			}
			snprintf(what, sizeof(what), "%d", WEXITSTATUS(status));
		} else if (status >= 0 && WIFSIGNALED(status)) {
			failed++;
			s->log(s, LOG_ERR, "%s: killed by signal %d", name, WTERMSIG(status));
			snprintf(what, sizeof(what), "signal-%d", WTERMSIG(status));
		} else {
			snprintf(what, sizeof(what), "%s", status == -1 ? "unknown" : "error");
			if (status != -1)
				failed++;
		}
		note(msg, sizeof(msg), &mlen, name, what);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	close(dfd);
	s->set_status(s, "%s: %u hook%s ran, %u failed;%s", type, ran, ran == 1 ? "" : "s", failed,
		      mlen ? msg : " none");
	return bound_hit ? -ETIMEDOUT : failed ? -EIO : 0;
}

/* True when hook directory DIR does not exist, or holds nothing
 * run-parts would consider: no hook can start from it. */
static bool dir_idle(const char *dir)
{
	struct dirent *de;
	bool idle = true;
	DIR *d;
	int fd;

	if (!dir || !*dir)
		return true;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	while (idle && (de = readdir(d)))
		idle = !hook_filter(de);
	closedir(d);
	return idle;
}

bool lo_hooks_logoff_here(const struct lo_config *config)
{
	return dir_idle(lo_config_value(config, "hooks", "logoff_dir"));
}

static int hooks_logon(struct logoff_support *s, unsigned flags)
{
	/* A failing logon hook is reported in the status, not a failed
	 * logon: the session's logoff hooks must still run at close. */
	run_dir(s, s->config(s, "logon_dir"), "open_session");
	return 0;
}

static int hooks_logoff(struct logoff_support *s, unsigned flags)
{
	if (flags != 0)
		return -EINVAL;
	return run_dir(s, s->config(s, "logoff_dir"), "close_session");
}

const struct logoff_provider lo_provider_hooks = {
	.abi_version = LOGOFF_ABI_VERSION,
	.name = "hooks",
	.logon = hooks_logon,
	.logoff = hooks_logoff,
	.config_keys = keys,
};
