/*
 * spawn.c - safe child processes: hooks and logoff-helper.
 *
 * The order in the child follows pam_exec and OpenSSH's subprocess():
 * signals reset, own session, stdin from /dev/null, no inherited fds,
 * groups, gid, uid dropped in that order and checked, chdir, execve.
 * The parent waits on a pidfd against a CLOCK_MONOTONIC deadline, then
 * SIGTERM, a grace period, SIGKILL to the process group, and always reaps.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "core/spawn.h"

void lo_close_from(int lowfd)
{
#ifdef HAVE_CLOSE_RANGE
	if (close_range((unsigned)lowfd, ~0U, 0) == 0)
		return;
#endif
	/* Bounded fallback, as pam_modutil_sanitize does. */
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = lowfd; fd < max; fd++)
		close(fd);
}

static __attribute__((noreturn)) void child(const struct lo_spawn *sp, int outfd)
{
	sigset_t all;
	int nullfd;

	for (int sig = 1; sig < NSIG; sig++) {
		/* glibc's signal() refuses the signals it keeps for itself
		 * (32 and 33), so SIG_IGN inherited for them from the
		 * application would survive execve; the system call resets
		 * them too. An all-zero kernel sigaction is SIG_DFL, no flags
		 * and an empty mask whatever the architecture's layout. */
		if (signal(sig, SIG_DFL) == SIG_ERR && sig != SIGKILL && sig != SIGSTOP) {
			unsigned long ksa[8] = { 0 };

			syscall(SYS_rt_sigaction, sig, ksa, NULL, (size_t)(NSIG - 1) / 8);
		}
	}
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (!sp->keep_group && setsid() < 0)
		_exit(127);

	/* Above 2 first: if the application runs with 0-2 closed, the pipe or
	 * /dev/null may sit on 0-2 already, and dup2 onto itself would leave
	 * it close-on-exec. */
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nullfd >= 0 && nullfd < 3)
		nullfd = fcntl(nullfd, F_DUPFD_CLOEXEC, 3);
	if (outfd >= 0 && outfd < 3)
		outfd = fcntl(outfd, F_DUPFD_CLOEXEC, 3);
	if (nullfd < 0 || (sp->capture && outfd < 0))
		_exit(127);
	if (dup2(nullfd, 0) < 0)
		_exit(127);
	if (dup2(outfd >= 0 ? outfd : nullfd, 1) < 0 || dup2(outfd >= 0 ? outfd : nullfd, 2) < 0)
		_exit(127);
	lo_close_from(3);

	if (sp->run_as_user) {
		/* Groups first, then gid, then uid: once the uid is gone the
		 * others can no longer be changed. Each step is checked, as
		 * OpenSSH does after permanently_set_uid. */
		if (initgroups(sp->user, sp->gid) < 0 || setresgid(sp->gid, sp->gid, sp->gid) < 0 ||
		    setresuid(sp->uid, sp->uid, sp->uid) < 0)
			_exit(127);
		if (getuid() != sp->uid || geteuid() != sp->uid || getgid() != sp->gid ||
		    getegid() != sp->gid)
			_exit(127);
		if (sp->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
			_exit(127);
	} else if (geteuid() == 0) {
		/* Under su or sudo the application's real uid is the user's:
		 * a child left so could be stopped or killed by that user in
		 * the middle of another user's logoff. Root all the way, with
		 * root's groups only, and none of the limits pam_limits set
		 * for the user. */
		static const int limits[] = { RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_AS, RLIMIT_DATA };
		struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY }, nf;

		if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			_exit(127);
		for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
			setrlimit(limits[i], &inf);
		/* Nor an application's few descriptors (a login manager
		 * started with `ulimit -n 10`): at least the kernel's
		 * default soft limit, 1024, so the helper can open its
		 * pipes and start hooks. */
		if (getrlimit(RLIMIT_NOFILE, &nf) == 0 && nf.rlim_cur < 1024) {
			nf.rlim_cur = 1024;
			if (nf.rlim_max < nf.rlim_cur)
				nf.rlim_max = nf.rlim_cur;
			setrlimit(RLIMIT_NOFILE, &nf);
		}
	}
	umask(022);
	if (chdir(sp->cwd ? sp->cwd : "/") < 0 && chdir("/") < 0)
		_exit(127);
	if (sp->fn)
		_exit(sp->fn(sp->arg));
	execve(sp->path, sp->argv, sp->envp);
	_exit(127);
}

static int start(const struct lo_spawn *spawn, pid_t *ret_pid, int *ret_pidfd, int *ret_outfd)
{
	int pipefd[2] = { -1, -1 };
	pid_t pid;
	int pidfd;

	*ret_pid = -1;
	*ret_pidfd = -1;
	if (ret_outfd)
		*ret_outfd = -1;
	if (!spawn->fn && (!spawn->path || spawn->path[0] != '/'))
		return -EINVAL;
	if (spawn->capture && pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;
		if (pipefd[0] >= 0) {
			close(pipefd[0]);
			close(pipefd[1]);
		}
		return -e;
	}
	if (pid == 0)
		child(spawn, pipefd[1]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	/* The child is ours and not reaped yet, so its pid cannot be reused
	 * before pidfd_open. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0 && errno == ENOSYS) {
		/* No pidfds (old kernel, valgrind): lo_spawn_wait polls with
		 * waitid instead. */
		pidfd = -1;
	} else if (pidfd < 0) {
		int e = errno;
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (pipefd[0] >= 0)
			close(pipefd[0]);
		return -e;
	}
	*ret_pid = pid;
	*ret_pidfd = pidfd;
	if (ret_outfd)
		*ret_outfd = pipefd[0];
	else if (pipefd[0] >= 0)
		close(pipefd[0]);
	return 0;
}

int lo_spawn_start(const struct lo_spawn *spawn, pid_t *ret_pid, int *ret_pidfd, int *ret_outfd)
{
	/* lo_spawn_wait signals a group the child would not lead. */
	if (spawn->keep_group)
		return -EINVAL;
	return start(spawn, ret_pid, ret_pidfd, ret_outfd);
}

struct linebuf {
	char buf[1024];
	size_t len;
	bool skipping;		/* the rest of an overlong line: dropped */
};

static void drain(int fd, struct linebuf *lb, void (*line_fn)(void *, const char *), void *ctx,
		  bool *eof)
{
	ssize_t n = read(fd, lb->buf + lb->len, sizeof(lb->buf) - 1 - lb->len);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		*eof = true;
		if (lb->len > 0 && line_fn && !lb->skipping) {
			lb->buf[lb->len] = '\0';
			line_fn(ctx, lb->buf);
		}
		lb->len = 0;
		return;
	}
	lb->len += (size_t)n;
	for (;;) {
		char *nl = memchr(lb->buf, '\n', lb->len);
		size_t used;
		bool was_skipping = lb->skipping;

		if (!nl && lb->len < sizeof(lb->buf) - 1)
			break;
		used = nl ? (size_t)(nl - lb->buf) + 1 : lb->len;
		lb->buf[nl ? used - 1 : used] = '\0';
		/* An overlong line is passed on cut, once; what follows up to
		 * its newline is dropped, never taken for a line of its own. */
		lb->skipping = !nl;
		if (line_fn && !was_skipping)
			line_fn(ctx, lb->buf);
		memmove(lb->buf, lb->buf + used, lb->len - used);
		lb->len -= used;
	}
}

static int reap(pid_t pid, int *ret_status)
{
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, 0);
		if (r == pid) {
			*ret_status = status;
			return 0;
		}
		if (r < 0 && errno == EINTR)
			continue;
		/* ECHILD: the application reaped it (a SIGCHLD handler with
		 * waitpid(-1)); the exit status is lost. */
		*ret_status = -1;
		return 0;
	}
}

/* Has the child exited (not reaped yet)? Without a pidfd, waitid with
 * WNOWAIT looks without reaping; ECHILD means the application reaped it. */
static bool exited(pid_t pid, int pidfd, short revents)
{
	siginfo_t si;

	if (pidfd >= 0)
		return revents & POLLIN;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == ECHILD;
	return si.si_pid == pid;
}

/* After the child exited, what is already in the pipe is read, but no
 * more than this: a descendant that keeps the pipe open and writes must
 * not hold us. */
#define DRAIN_MAX_MS 200

/* Wait for the child to exit until DEADLINE_MS, reading output meanwhile.
 * Returns true when it exited. The deadline is checked on every pass, so
 * a child that writes without pause cannot outlive it. */
static bool wait_exit(pid_t pid, int pidfd, int *outfd, struct linebuf *lb, int64_t deadline_ms,
		      void (*line_fn)(void *, const char *), void *ctx)
{
	for (;;) {
		struct pollfd pfd[2] = { { pidfd, POLLIN, 0 }, { *outfd, POLLIN, 0 } };
		int64_t left = deadline_ms - lo_now_ms();
		bool done;
		int n;

		if (left < 0)
			left = 0;
		if (pidfd < 0 && left > 10)
			left = 10;
		n = poll(pfd, 2, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno != EINTR)
			return false;
		if (n > 0 && *outfd >= 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			bool eof = false;
			drain(*outfd, lb, line_fn, ctx, &eof);
			if (eof) {
				close(*outfd);
				*outfd = -1;
			}
		}
		done = exited(pid, pidfd, n > 0 ? pfd[0].revents : 0);
		if (done && *outfd >= 0) {
			int64_t stop = lo_now_ms() + DRAIN_MAX_MS;
			struct pollfd o = { *outfd, POLLIN, 0 };
			while (lo_now_ms() < stop && poll(&o, 1, 0) > 0) {
				bool eof = false;
				drain(*outfd, lb, line_fn, ctx, &eof);
				if (eof)
					break;
			}
			close(*outfd);
			*outfd = -1;
		}
		if (done)
			return true;
		if (lo_now_ms() >= deadline_ms)
			return false;
	}
}

/* SIGKILL to the child PID alone, through PIDFD when there is one: not
 * reaped yet, so the pid is still the child's, and the pidfd pins it even
 * when a handler of the application reaps it meanwhile. */
static void kill_child(pid_t pid, int pidfd)
{
	if (pidfd >= 0)
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	else
		kill(pid, SIGKILL);
}

/* lo_spawn_wait for a child that leads its own process group (GROUP:
 * SIGTERM, GRACE_MS, SIGKILL to the group) or one that stays in the
 * caller's (SIGKILL to it alone at the deadline). */
static int wait_child(pid_t pid, int pidfd, int outfd, int64_t deadline_ms, int64_t grace_ms,
		      bool group, void (*line_fn)(void *ctx, const char *line), void *ctx,
		      int *ret_status)
{
	struct linebuf lb = { .len = 0 };
	int r = 0;

	if (!wait_exit(pid, pidfd, &outfd, &lb, deadline_ms, line_fn, ctx)) {
		bool dead = false;
		int64_t kill_grace = grace_ms;

		r = -ETIMEDOUT;
		if (group) {
			/* The child leads its own process group (setsid):
			 * signal the whole group so its descendants go too. */
			kill(-pid, SIGTERM);
			kill(-pid, SIGCONT);
			dead = wait_exit(pid, pidfd, &outfd, &lb, lo_now_ms() + grace_ms, line_fn, ctx);
			/* Before the reap, so the group id cannot have been
			 * reused: whatever of the group is still there dies. */
			kill(-pid, SIGKILL);
			kill_grace = grace_ms / 2;
		} else {
			kill_child(pid, pidfd);
		}
		/* A process in uninterruptible sleep (a hung mount) does not
		 * die even of SIGKILL: never wait for it without a bound. It
		 * is left unreaped; the application or init reaps it when it
		 * finally goes. */
		if (!dead && !wait_exit(pid, pidfd, &outfd, &lb, lo_now_ms() + kill_grace, line_fn,
					ctx)) {
			if (outfd >= 0)
				close(outfd);
			if (pidfd >= 0)
				close(pidfd);
			*ret_status = -1;
			return r;
		}
	}
	if (outfd >= 0)
		close(outfd);
	reap(pid, ret_status);
	if (pidfd >= 0)
		close(pidfd);
	return r;
}

int lo_spawn_wait(pid_t pid, int pidfd, int outfd, int64_t deadline_ms, int64_t grace_ms,
		  void (*line_fn)(void *ctx, const char *line), void *ctx, int *ret_status)
{
	return wait_child(pid, pidfd, outfd, deadline_ms, grace_ms, true, line_fn, ctx, ret_status);
}

int lo_spawn_run(const struct lo_spawn *spawn, int64_t deadline_ms, int64_t grace_ms,
		 void (*line_fn)(void *ctx, const char *line), void *ctx, int *ret_status)
{
	pid_t pid;
	int pidfd = -1, outfd = -1, r;

	*ret_status = -1;
	r = start(spawn, &pid, &pidfd, spawn->capture ? &outfd : NULL);
	if (r < 0)
		return r;
	return wait_child(pid, pidfd, spawn->capture ? outfd : -1, deadline_ms, grace_ms,
			  !spawn->keep_group, line_fn, ctx, ret_status);
}

int lo_spawn_detached(const struct lo_spawn *spawn)
{
	int status = 0;
	pid_t pid;

	if (!spawn->path || spawn->path[0] != '/' || spawn->capture || spawn->keep_group)
		return -EINVAL;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* The middle process exits at once, so the child is
		 * reparented to init (or a subreaper) and the application
		 * never sees it: it has no child to wait for. */
		pid_t c = fork();
		if (c == 0)
			child(spawn, -1);
		_exit(c < 0 ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return 0;	/* reaped by the application: it did exit */
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EAGAIN;
}
