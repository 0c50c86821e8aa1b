/*
 * spawn.h - safe children: fork, sanitise, drop privileges, exec or
 * call, wait against a deadline.
 * Conventions: see util.h.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_CORE_SPAWN_H
#define LO_CORE_SPAWN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "logoff/provider.h"
#include "core/util.h"

/*
 * A child to run: argv and envp built before fork. With RUN_AS_USER the
 * child drops supplementary groups (initgroups for USER), gid, then uid,
 * and checks each took, before execve; it exits 127 when any step fails.
 * Without RUN_AS_USER, a child of root (euid 0) becomes root in every uid
 * and gid, with no supplementary groups and no CPU, FSIZE, AS or DATA
 * limit: under su or sudo the application's real uid is the user's, who
 * could otherwise signal it.
 * The child always gets: default signal dispositions and an empty mask,
 * its own session (setsid, so it leads a process group), umask 022, stdin
 * from /dev/null, stdout and stderr to a pipe (CAPTURE) or /dev/null, no
 * other fds, cwd CWD (or "/").
 * With FN set there is no exec: after the same preparation the child
 * calls FN(ARG) and _exits with what it returns (PATH, ARGV and ENVP are
 * unused; the environment is left to FN). For work that needs the
 * deadline and the hygiene of a child but no program of its own.
 * With KEEP_GROUP the child does not make a session of its own: it stays
 * in the caller's process group, so a deadline of the caller's own
 * parent (which signals that group) reaches it too. Such a child is
 * started and waited for with lo_spawn_run only, and at its deadline gets
 * SIGKILL alone (lo_spawn_start and lo_spawn_detached refuse it).
 */
struct lo_spawn {
	const char *path;	/* absolute */
	char *const *argv;
	char *const *envp;
	bool run_as_user;
	const char *user;
	uid_t uid;
	gid_t gid;
	const char *cwd;
	bool capture;
	int (*fn)(void *arg);	/* run instead of execve when set */
	void *arg;
	bool keep_group;	/* no setsid: stays in the caller's process group */
};

/* The longest line lo_spawn_wait hands to LINE_FN whole, in bytes; the
 * rest of a longer line is dropped, never taken for a line of its own. */
#define LO_PROTOCOL_LINE_MAX 1022

/* Close every fd from LOWFD up: close_range(2) where the kernel has it,
 * else a loop bounded at 65536, as pam_modutil_sanitize does. For a child
 * between fork and exec. */
void lo_close_from(int lowfd);

/* Fork and exec SPAWN (or call its FN). Returns 0 with *ret_pid, *ret_pidfd (a pidfd, -1
 * without pidfd support) and *ret_outfd (read end of the output pipe, or -1), or -EINVAL
 * (no absolute PATH without FN, or KEEP_GROUP) or the -errno of pipe2, fork or
 * pidfd_open. */
int lo_spawn_start(const struct lo_spawn *spawn, pid_t *ret_pid, int *ret_pidfd, int *ret_outfd);

/*
 * Wait for the child PID (PIDFD) until DEADLINE_MS (CLOCK_MONOTONIC, ms),
 * passing each output line read from OUTFD (or -1) to LINE_FN. At the
 * deadline SIGTERM goes to its process group, then SIGKILL after
 * GRACE_MS. The deadline holds even against a child that writes without
 * pause. The child is reaped, unless it outlives SIGKILL by GRACE_MS / 2
 * (uninterruptible sleep, such as a wait on a stopped FUSE server): it is
 * then left, never waited for without a bound. So the call returns by
 * DEADLINE_MS + 1.5 x GRACE_MS at the latest. Returns 0 with *ret_status (a waitpid status; -1 when
 * the application reaped it first or it was left), or -ETIMEDOUT when it
 * had to be killed.
 */
int lo_spawn_wait(pid_t pid, int pidfd, int outfd, int64_t deadline_ms, int64_t grace_ms,
		  void (*line_fn)(void *ctx, const char *line), void *ctx, int *ret_status);

/*
 * Start SPAWN and wait for it until DEADLINE_MS (CLOCK_MONOTONIC, ms),
 * passing each output line (with CAPTURE) to LINE_FN(CTX, LINE): the two
 * calls above in one, and the only way to run a KEEP_GROUP child. One
 * that leads its own group is ended as lo_spawn_wait ends it; a
 * KEEP_GROUP one gets SIGKILL alone at DEADLINE_MS (through its pidfd,
 * which a reused pid cannot redirect) and is left unreaped when it
 * outlives that by GRACE_MS (ms): the call returns by DEADLINE_MS +
 * GRACE_MS. Returns 0 with *RET_STATUS (a waitpid status; -1 when the
 * application reaped it first or it was left), -ETIMEDOUT when it had to
 * be killed (*RET_STATUS as before), or lo_spawn_start's -errno when it
 * could not be started (*RET_STATUS -1).
 */
int lo_spawn_run(const struct lo_spawn *spawn, int64_t deadline_ms, int64_t grace_ms,
		 void (*line_fn)(void *ctx, const char *line), void *ctx, int *ret_status);

/*
 * Start SPAWN (CAPTURE must be false) as a grandchild that init adopts, and
 * reap the middle process at once: for work that must not hold, or be
 * waited for by, the caller (the sweep open_session starts).
 * Returns 0, -EINVAL, -EAGAIN (the second fork failed) or fork's -errno.
 */
int lo_spawn_detached(const struct lo_spawn *spawn);

#endif /* LO_CORE_SPAWN_H */
