/*
 * escapee - processes that try to outlive their session's logoff, for
 * tests/faults/escape.sh (issue 14). One program, one mode a run:
 *
 *   escapee MODE DIR [LIFETIME]
 *
 *   chain    forks, and the parent exits, over and over, as fast as it
 *            can: a pid seen by a scan is gone by the time it is signalled
 *   zombie   the main thread calls pthread_exit() while a second thread
 *            runs: /proc shows the thread-group leader as Z, yet the
 *            process lives until SIGKILL
 *   setsid   on SIGTERM forks a child that calls setsid() and goes on
 *            (again on the next SIGTERM); the parent exits
 *   pgrp     on SIGTERM forks a child that calls setsid() and forks a
 *            grandchild that moves to a process group of its own (a
 *            session and a group that are both new); both parents exit
 *   bomb     a fork bomb: every process forks until fork() fails, then
 *            retries every 50 ms. Refuses to start unless RLIMIT_NPROC is
 *            set at most 1000 (ulimit -u), so it can never take the host
 *   control  only the heartbeat: run by root beside the test, its beats
 *            prove that time passed in which a live escapee beats too
 *
 *   escapee reaper PROGRAM [ARG...]
 *
 *   runs PROGRAM as a child subreaper (PR_SET_CHILD_SUBREAPER): every
 *   process orphaned below it, each dead link of a fork chain, is reaped
 *   here at once, not left to a PID 1 that may reap slowly (a chain makes
 *   thousands of zombies a second, and pid_max may be 32768). Exits with
 *   PROGRAM's status as soon as PROGRAM exits.
 *
 * Every process it starts:
 *   - appends "PID STARTTIME" (STARTTIME: field 22 of /proc/PID/stat, clock
 *     ticks since boot) to DIR/pids as it starts (chain: every
 *     CHAIN_RECORD generations), so a checker can tell a live escapee from
 *     a new process that reused its pid;
 *   - beats DIR/hb every BEAT_MS: "PID COUNTER", fixed width, written at
 *     offset 0, so a file that stops changing means nothing beats any more;
 *   - ignores SIGHUP (as nohup does), so only the logoff's own signals end
 *     it, never a hangup from the login manager closing the terminal;
 *   - exits by itself LIFETIME seconds (default 120, at most 900) after
 *     the first process started, and the chain after CHAIN_MAX generations:
 *     a failing test leaves nothing that runs for ever.
 * DIR/ready is created once the escape is armed (its handler is installed,
 * its thread runs, its first fork is done, the bomb has hit its limit).
 *
 * Exit 0, or 2 on usage errors and when it cannot start.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BEAT_MS 50
#define CHAIN_RECORD 256
#define CHAIN_MAX 5000000UL
#define BOMB_NPROC_MAX 1000
#define LIFETIME_MAX_S 900

static int hb_fd = -1, pids_fd = -1;
static const char *dir;
static int64_t end_ms, last_beat_ms;
static unsigned long long beats;
static volatile sig_atomic_t got_term;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	/* Interrupted by SIGTERM: the caller looks at got_term at once. */
	nanosleep(&ts, NULL);
}

/* Field 22 of /proc/self/stat, after the ")" that ends the command name
 * (which may itself hold spaces and parentheses). 0 when unreadable. */
static unsigned long long start_time(void)
{
	char buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	/* After ") ": state is field 3, start time field 22. */
	p += 2;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (p)
		start = strtoull(p, NULL, 10);
	return start;
}

static void record_self(void)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%d %llu\n", (int)getpid(), start_time());

	/* O_APPEND: lines of many processes never mix. */
	if (write(pids_fd, line, (size_t)n) < 0)
		return;
}

static void beat(void)
{
	char line[32];
	int64_t now = now_ms();
	int n;

	if (now - last_beat_ms < BEAT_MS)
		return;
	last_beat_ms = now;
	n = snprintf(line, sizeof(line), "%10d %12llu\n", (int)getpid(), ++beats);
	if (pwrite(hb_fd, line, (size_t)n, 0) < 0)
		return;
}

static bool expired(void)
{
	return now_ms() >= end_ms;
}

static void mark_ready(void)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/ready", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

/* Beat until the lifetime ends. */
static void live(void)
{
	while (!expired()) {
		beat();
		sleep_ms(BEAT_MS / 2);
	}
}

static int run_chain(void)
{
	record_self();
	for (unsigned long gen = 0; gen < CHAIN_MAX && !expired(); gen++) {
		pid_t pid;

		beat();
		if (gen % CHAIN_RECORD == 0)
			record_self();
		pid = fork();
		if (pid < 0) {
			sleep_ms(10);
			continue;
		}
		if (pid > 0)
			_exit(0);
		if (gen == 0)
			mark_ready();
	}
	return 0;
}

static void *zombie_thread(void *arg)
{
	(void)arg;
	live();
	/* The whole process, which its leader's pthread_exit() left to us. */
	exit(0);
	return NULL;
}

static int run_zombie(void)
{
	pthread_t t;

	record_self();
	if (pthread_create(&t, NULL, zombie_thread, NULL) != 0)
		return 2;
	mark_ready();
	pthread_exit(NULL);
}

/*
 * setsid and pgrp: the escape is done from the main loop, not the
 * handler, right after SIGTERM interrupts the sleep. The handler is
 * inherited, so the escaped child escapes again on the next SIGTERM.
 */
static int run_on_term(bool pgrp)
{
	struct sigaction sa = { .sa_handler = on_term };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0)
		return 2;
	record_self();
	mark_ready();
	while (!expired()) {
		pid_t pid;

		beat();
		if (!got_term) {
			sleep_ms(BEAT_MS / 2);
			continue;
		}
		got_term = 0;
		pid = fork();
		if (pid < 0)
			continue;
		if (pid > 0)
			_exit(0);
		if (setsid() < 0)
			_exit(0);
		if (pgrp) {
			/* A session leader cannot leave its group: its child
			 * does, into a group that is neither the session's nor
			 * the old one. */
			pid = fork();
			if (pid != 0)
				_exit(0);
			if (setpgid(0, 0) < 0)
				_exit(0);
		}
		record_self();
		/* A fresh period: beat at once. */
		last_beat_ms = 0;
	}
	return 0;
}

static int run_bomb(void)
{
	struct rlimit rl;
	bool full = false;

	if (getrlimit(RLIMIT_NPROC, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > BOMB_NPROC_MAX) {
		fprintf(stderr, "escapee: bomb needs ulimit -u %d or less\n", BOMB_NPROC_MAX);
		return 2;
	}
	record_self();
	while (!expired()) {
		pid_t pid;

		beat();
		pid = fork();
		if (pid == 0) {
			record_self();
			last_beat_ms = 0;
			continue;
		}
		if (pid > 0)
			continue;
		if (!full) {
			/* The first process to meet the limit: the bomb is as
			 * big as it can get. */
			full = true;
			mark_ready();
		}
		sleep_ms(50);
	}
	return 0;
}

static int run_reaper(char **argv)
{
	pid_t main_pid, pid;
	int status;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		perror("escapee: PR_SET_CHILD_SUBREAPER");
		return 2;
	}
	main_pid = fork();
	if (main_pid < 0) {
		perror("escapee: fork");
		return 2;
	}
	if (main_pid == 0) {
		execvp(argv[0], argv);
		perror("escapee: exec");
		_exit(127);
	}
	for (;;) {
		pid = waitpid(-1, &status, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			return 2;
		if (pid == main_pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
}

int main(int argc, char **argv)
{
	char path[4096];
	long lifetime = 120;
	const char *mode;

	if (argc >= 3 && strcmp(argv[1], "reaper") == 0)
		return run_reaper(argv + 2);

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: escapee chain|zombie|setsid|pgrp|bomb|control DIR [LIFETIME]\n"
				"       escapee reaper PROGRAM [ARG...]\n");
		return 2;
	}
	mode = argv[1];
	dir = argv[2];
	if (argc == 4) {
		lifetime = strtol(argv[3], NULL, 10);
		if (lifetime <= 0 || lifetime > LIFETIME_MAX_S) {
			fprintf(stderr, "escapee: LIFETIME must be 1..%d s\n", LIFETIME_MAX_S);
			return 2;
		}
	}
	end_ms = now_ms() + lifetime * 1000;
	signal(SIGHUP, SIG_IGN);
	snprintf(path, sizeof(path), "%s/hb", dir);
	hb_fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	snprintf(path, sizeof(path), "%s/pids", dir);
	pids_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (hb_fd < 0 || pids_fd < 0) {
		perror("escapee: open");
		return 2;
	}
	beat();
	if (strcmp(mode, "chain") == 0)
		return run_chain();
	if (strcmp(mode, "zombie") == 0)
		return run_zombie();
	if (strcmp(mode, "setsid") == 0)
		return run_on_term(false);
	if (strcmp(mode, "pgrp") == 0)
		return run_on_term(true);
	if (strcmp(mode, "bomb") == 0)
		return run_bomb();
	if (strcmp(mode, "control") == 0) {
		mark_ready();
		live();
		return 0;
	}
	fprintf(stderr, "escapee: unknown mode '%s'\n", mode);
	return 2;
}
