/*
 * proc.c - what the core reads about processes from /proc.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/proc.h"

static int read_small(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	close(fd);
	buf[n] = '\0';
	return (int)n;
}

/* Fields of /proc/PID/stat after the comm, which may hold spaces and
 * parentheses: everything after the last ')' is plain. */
static int read_stat_tty(pid_t pid, char *state, pid_t *ppid, unsigned long long *start,
			 char comm[16], pid_t *sess, unsigned *tty)
{
	char path[64], buf[1024];
	char *open_paren, *close_paren, *p;
	int r, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	r = read_small(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren || close_paren[1] != ' ')
		return -EBADMSG;
	if (comm) {
		size_t len = (size_t)(close_paren - open_paren - 1);
		if (len > 15)
			len = 15;
		memcpy(comm, open_paren + 1, len);
		comm[len] = '\0';
	}
	p = close_paren + 2;	/* field 3: state */
	if (state)
		*state = *p;
	for (field = 3; field < 22 && p; field++) {
		if (field == 4 && ppid)
			*ppid = (pid_t)strtol(p, NULL, 10);
		if (field == 6 && sess)
			*sess = (pid_t)strtol(p, NULL, 10);
		if (field == 7 && tty)
			*tty = (unsigned)strtoul(p, NULL, 10);
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		return -EBADMSG;
	if (start)
		*start = strtoull(p, NULL, 10);
	return 0;
}

static int read_stat(pid_t pid, char *state, pid_t *ppid, unsigned long long *start,
		     char comm[16], pid_t *sess)
{
	return read_stat_tty(pid, state, ppid, start, comm, sess, NULL);
}

int lo_proc_tty(pid_t pid, unsigned *ret_tty_nr)
{
	return read_stat_tty(pid, NULL, NULL, NULL, NULL, NULL, ret_tty_nr);
}

/* Calls FN with the state letter of every task (thread) of PID from
 * /proc/PID/task/TID/stat; stops early when FN returns false. Returns
 * the number of tasks seen, or -errno. */
static int each_task_state(pid_t pid, bool (*fn)(void *ctx, char state), void *ctx)
{
	char path[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char sp[96], buf[1024], *close_paren;
		char *end;
		long tid = strtol(de->d_name, &end, 10);

		if (*end || tid <= 0)
			continue;
		snprintf(sp, sizeof(sp), "/proc/%d/task/%ld/stat", (int)pid, tid);
		if (read_small(sp, buf, sizeof(buf)) < 0)
			continue;	/* that thread is gone */
		close_paren = strrchr(buf, ')');
		if (!close_paren || close_paren[1] != ' ')
			continue;
		n++;
		if (!fn(ctx, close_paren[2]))
			break;
	}
	closedir(d);
	return n;
}

static bool note_live(void *ctx, char state)
{
	if (state != 'Z' && state != 'X') {
		*(bool *)ctx = true;
		return false;
	}
	return true;
}

bool lo_proc_group_alive(pid_t pid)
{
	bool live = false;

	return each_task_state(pid, note_live, &live) > 0 && live;
}

struct stopped_ctx {
	bool running;
	bool live;
};

static bool note_stopped(void *ctx, char state)
{
	struct stopped_ctx *c = ctx;

	if (state == 'Z' || state == 'X')
		return true;
	c->live = true;
	/* T: stopped by a signal; t: stopped by a tracer. */
	if (state != 'T' && state != 't') {
		c->running = true;
		return false;
	}
	return true;
}

int lo_proc_group_stopped(pid_t pid, unsigned long long start)
{
	struct stopped_ctx c = { false, false };
	unsigned long long now = 0;
	char state = 0;
	int r;

	r = read_stat(pid, &state, NULL, &now, NULL, NULL);
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	if (now != start)
		return -ESRCH;
	if (state == 'T' || state == 't')
		return 1;
	if (state != 'Z' && state != 'X')
		return 0;
	/* A zombie leader: the group lives on in its other threads. */
	r = each_task_state(pid, note_stopped, &c);
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	if (!c.live)
		return -ESRCH;
	return c.running ? 0 : 1;
}

bool lo_proc_alive(pid_t pid, unsigned long long start)
{
	unsigned long long now = 0;
	char state = 0;

	if (pid <= 0 || read_stat(pid, &state, NULL, &now, NULL, NULL) < 0)
		return false;
	if (now != start)
		return false;
	/* A leader that called pthread_exit() shows 'Z' while its other
	 * threads run: the process is alive until the last one exits. */
	return (state != 'Z' && state != 'X') || lo_proc_group_alive(pid);
}

int lo_proc_session(pid_t pid, pid_t *ret_sid, unsigned long long *ret_start)
{
	return read_stat(pid, NULL, NULL, ret_start, NULL, ret_sid);
}

int lo_proc_starttime(pid_t pid, unsigned long long *ret)
{
	return read_stat(pid, NULL, NULL, ret, NULL, NULL);
}

int lo_proc_info(pid_t pid, pid_t *ret_ppid, uid_t *ret_uid, uint32_t *ret_sessionid,
		 char *ret_state, char ret_comm[16])
{
	char path[64], buf[4096];
	int r;

	/* With the uid, status alone also gives the state and ppid: one
	 * file instead of two, for each process the processes provider
	 * looks at (docs/performance.md, B1). */
	if ((ret_ppid || ret_state || ret_comm) && !(ret_uid && !ret_comm)) {
		r = read_stat(pid, ret_state, ret_ppid, NULL, ret_comm, NULL);
		if (r < 0)
			return r;
	}
	if (ret_uid) {
		char *p;
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
		r = read_small(path, buf, sizeof(buf));
		if (r < 0)
			return r;
		p = strstr(buf, "\nUid:");
		if (!p)
			return -EBADMSG;
		*ret_uid = (uid_t)strtoul(p + 5, NULL, 10);
		if (ret_state && !ret_comm) {
			p = strstr(buf, "\nState:");
			if (!p)
				return -EBADMSG;
			p += 7;
			while (*p == ' ' || *p == '\t')
				p++;
			*ret_state = *p;
		}
		if (ret_ppid && !ret_comm) {
			p = strstr(buf, "\nPPid:");
			if (!p)
				return -EBADMSG;
			*ret_ppid = (pid_t)strtol(p + 6, NULL, 10);
		}
	}
	if (ret_sessionid) {
		snprintf(path, sizeof(path), "/proc/%d/sessionid", (int)pid);
		r = read_small(path, buf, 32);
		if (r < 0) {
			/* A kernel without audit has no sessionid file. */
			if (r != -ENOENT)
				return r;
			*ret_sessionid = UINT32_MAX;
		} else {
			*ret_sessionid = (uint32_t)strtoul(buf, NULL, 10);
		}
	}
	return 0;
}

int lo_proc_own_audit_session(uint32_t *ret_id)
{
	uint32_t self, parent;
	int r;

	r = lo_proc_info(getpid(), NULL, NULL, &self, NULL, NULL);
	if (r < 0)
		return r;
	if (self == UINT32_MAX)
		return -ENOENT;
	r = lo_proc_info(getppid(), NULL, NULL, &parent, NULL, NULL);
	if (r < 0 || parent == self)
		return -ENOENT;
	/* Differing from the parent is not enough: a process whose parent
	 * exited was reparented to init or a subreaper, whose id differs too.
	 * pam_loginuid has just made a new session, so nothing older than us
	 * is in it; if an older process is, the id is inherited. */
	{
		DIR *d = opendir("/proc");
		struct dirent *de;
		pid_t me = getpid();
		unsigned long long my_start = 0, start;

		if (!d)
			return -errno;
		lo_proc_starttime(me, &my_start);
		while ((de = readdir(d))) {
			char *end;
			long pid = strtol(de->d_name, &end, 10);
			uint32_t sid;

			if (*end || pid <= 0 || pid == me)
				continue;
			/* Processes started after us (a daemon an earlier session
			 * module left, such as pam_mount's) joined our new
			 * session; one older than us brought the id with it. */
			if (lo_proc_info((pid_t)pid, NULL, NULL, &sid, NULL, NULL) == 0 && sid == self &&
			    lo_proc_starttime((pid_t)pid, &start) == 0 && start < my_start) {
				closedir(d);
				return -ENOENT;
			}
		}
		closedir(d);
	}
	*ret_id = self;
	return 0;
}

int lo_process_value(pid_t pid, char *buf, size_t size)
{
	unsigned long long start;
	int r = lo_proc_starttime(pid, &start);

	if (r < 0)
		return r;
	snprintf(buf, size, "%d:%llu", (int)pid, start);
	return 0;
}

int lo_proc_handle_open(pid_t pid, struct lo_proc_handle *ret)
{
	unsigned long long start;
	int r;

	ret->pid = pid;
	ret->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (ret->pidfd < 0) {
		if (errno != ENOSYS)
			return -errno;
		ret->pidfd = -1;
	}
	/* Read after the pidfd is open: if the pid was reused in between,
	 * what we read describes the process the pidfd pinned or one the
	 * signal cannot reach. */
	r = lo_proc_starttime(pid, &start);
	if (r < 0) {
		lo_proc_handle_close(ret);
		return r == -ENOENT ? -ESRCH : r;
	}
	ret->start = start;
	return 0;
}

int lo_proc_handle_signal(const struct lo_proc_handle *h, int sig)
{
	unsigned long long now;

	if (h->pidfd >= 0)
		return syscall(SYS_pidfd_send_signal, h->pidfd, sig, NULL, 0) < 0 ? -errno : 0;
	if (lo_proc_starttime(h->pid, &now) < 0 || now != h->start)
		return -ESRCH;
	return kill(h->pid, sig) < 0 ? -errno : 0;
}

bool lo_proc_handle_exited(const struct lo_proc_handle *h)
{
	unsigned long long now;
	char state = 0;

	/* A pidfd of a thread-group leader polls readable only once the
	 * whole group has exited (pidfd_open(2); checked on Linux 6.18 with
	 * a leader that called pthread_exit() while a thread ran). */
	if (h->pidfd >= 0) {
		struct pollfd p = { h->pidfd, POLLIN, 0 };
		return poll(&p, 1, 0) > 0;
	}
	if (lo_proc_starttime(h->pid, &now) < 0 || now != h->start)
		return true;
	if (lo_proc_info(h->pid, NULL, NULL, NULL, &state, NULL) < 0)
		return true;
	return (state == 'Z' || state == 'X') && !lo_proc_group_alive(h->pid);
}

void lo_proc_handle_close(struct lo_proc_handle *h)
{
	if (h->pidfd >= 0)
		close(h->pidfd);
	h->pidfd = -1;
}
