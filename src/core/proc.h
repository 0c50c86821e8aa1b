/*
 * proc.h - /proc readers and pidfd process handles.
 * Conventions: see util.h.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_CORE_PROC_H
#define LO_CORE_PROC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "logoff/provider.h"
#include "core/util.h"

/* Kernel session id (field 6, getsid) and start time of PID. */
int lo_proc_session(pid_t pid, pid_t *ret_sid, unsigned long long *ret_start);
/* Start time of PID (field 22 of /proc/PID/stat, clock ticks since boot). */
int lo_proc_starttime(pid_t pid, unsigned long long *ret);
/* True when PID is alive and started at START: the same process, not a
 * reuse of its pid. A zombie thread-group leader whose other threads
 * still run (it called pthread_exit()) is alive. */
bool lo_proc_alive(pid_t pid, unsigned long long start);
/* True when some thread of PID's thread group is not a zombie, read from
 * /proc/PID/task/TID/stat (proc(5)); for a process whose /proc/PID/stat
 * shows 'Z', this tells a dead process from a leader that called
 * pthread_exit() while other threads run. False when PID is gone. */
bool lo_proc_group_alive(pid_t pid);
/* Whether every live thread of PID (started at START) is stopped (state
 * 'T', or 't' under a tracer: proc(5)), as after SIGSTOP. Returns 1 when
 * stopped, 0 when some thread still runs, -ESRCH when PID is gone or now
 * names another process, or -errno. */
int lo_proc_group_stopped(pid_t pid, unsigned long long start);
/* The controlling terminal of PID as /proc/PID/stat field 7 gives it
 * (a dev_t, 0 for none). */
int lo_proc_tty(pid_t pid, unsigned *ret_tty_nr);
/* Parent pid, real uid, audit session id (UINT32_MAX when unset), state
 * letter and comm of PID from /proc. Any pointer may be NULL. */
int lo_proc_info(pid_t pid, pid_t *ret_ppid, uid_t *ret_uid, uint32_t *ret_sessionid,
		 char *ret_state, char ret_comm[16]);
/*
 * The audit session id of the calling process if this login created it:
 * pam_loginuid earlier in the stack wrote /proc/self/loginuid, which gives
 * the process a new session id; an id equal to the parent's, or one a
 * process older than the caller already has, is inherited and is not
 * this login's.
 * Returns 0 and *ret_id, or -ENOENT.
 */
int lo_proc_own_audit_session(uint32_t *ret_id);

/*
 * A handle on one process that a reused pid can never redirect: a pidfd
 * where the kernel has pidfd_open (Linux 5.3), else the pid and its start
 * time, checked again before every signal (a window of a few
 * microseconds; valgrind and old kernels take this path).
 */
struct lo_proc_handle {
	pid_t pid;
	unsigned long long start;
	int pidfd;		/* -1 without pidfd support */
};

/* Open a handle on PID. Returns 0, -ESRCH when it is gone, or -errno
 * (-EMFILE). */
int lo_proc_handle_open(pid_t pid, struct lo_proc_handle *ret);
/* Send SIG to the process of H. Returns 0, -ESRCH when it is gone (or its
 * pid now names another process), or -errno. */
int lo_proc_handle_signal(const struct lo_proc_handle *h, int sig);
/* True when the process of H has exited: a zombie counts as exited, a
 * zombie leader whose other threads still run does not. */
bool lo_proc_handle_exited(const struct lo_proc_handle *h);
void lo_proc_handle_close(struct lo_proc_handle *h);

/* "PID:STARTTIME" for a process subobject. Returns 0 or -errno. */
int lo_process_value(pid_t pid, char *buf, size_t size);

#endif /* LO_CORE_PROC_H */
