/*
 * spawn_procs - B3's session: N processes of USER that end on SIGTERM,
 * then COMMAND (which is to end them) timed until every one is reaped.
 *
 *   spawn_procs USER N COMMAND [ARG...]
 *
 * With SPAWN_CGROUP set to a cgroup v2 directory (a session's cgroup),
 * each child joins it (writes itself to its cgroup.procs) before it
 * becomes USER, as a login's processes are in their session's cgroup;
 * this process stays where it is.
 *
 * Runs as root. Forks N children, each of which becomes USER (groups,
 * gid, uid) and waits in pause(2), so SIGTERM ends it at once. When all
 * are up, COMMAND starts (its output to stderr), and the time from its
 * start until this process has reaped the last of the N is measured;
 * this process stays root, so neither the logoff nor pkill -u ends it.
 * Whatever is left after 120 s is killed with SIGKILL and reaped.
 * Prints "procs=N spawn_ms=S reap_ms=R left=L status=X" (X: COMMAND's
 * exit status). Exit 0 when all N were ended by COMMAND, else 1.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out;
static bool killed_all;

static void on_alarm(int sig)
{
	timed_out = 1;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY };
	struct passwd *pw;
	long n;
	pid_t *pids, cmd;
	int ready[2], status = -1, cmd_status = -1;
	long by_cmd = 0, left;
	int64_t t0, t1, t2;
	char b;
	const char *cgroup = getenv("SPAWN_CGROUP");
	char procs[4096];

	if (argc < 4 || (n = atol(argv[2])) < 1) {
		fprintf(stderr, "usage: spawn_procs USER N COMMAND [ARG...]\n");
		return 2;
	}
	if (!(pw = getpwnam(argv[1]))) {
		fprintf(stderr, "spawn_procs: no user %s\n", argv[1]);
		return 2;
	}
	if (cgroup && snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup) >= (int)sizeof(procs)) {
		fprintf(stderr, "spawn_procs: SPAWN_CGROUP too long\n");
		return 2;
	}
	pids = calloc((size_t)n, sizeof(*pids));
	if (!pids || pipe(ready) < 0)
		return 2;
	setrlimit(RLIMIT_NPROC, &inf);
	t0 = now_us();
	for (long i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("spawn_procs: fork");
			for (long j = 0; j < i; j++)
				kill(pids[j], SIGKILL);
			while (wait(NULL) > 0 || errno == EINTR)
				;
			return 2;
		}
		if (pids[i] == 0) {
			close(ready[0]);
			if (cgroup) {
				FILE *f = fopen(procs, "we");
				/* "0" is the writing process itself (cgroup-v2.rst). */
				if (!f || fputs("0", f) == EOF || fclose(f) == EOF)
					_exit(126);
			}
			if (setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
			    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
				_exit(127);
			/* One byte when ready: the parent counts N of them. */
			if (write(ready[1], "r", 1) != 1)
				_exit(127);
			close(ready[1]);
			for (;;)
				pause();
		}
	}
	close(ready[1]);
	for (long i = 0; i < n; i++)
		if (read(ready[0], &b, 1) != 1) {
			fprintf(stderr, "spawn_procs: a child did not start\n");
			break;
		}
	close(ready[0]);
	t1 = now_us();

	cmd = fork();
	if (cmd == 0) {
		dup2(2, 1);
		execvp(argv[3], argv + 3);
		_exit(127);
	}
	{
		/* After 120 s whatever is left gets SIGKILL: nothing outlives
		 * the run. */
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm;
		sigaction(SIGALRM, &sa, NULL);
		alarm(120);
	}
	t2 = t1;
	for (;;) {
		pid_t p = wait(&status);

		if (p < 0) {
			if (errno != EINTR)
				break;	/* ECHILD: all reaped */
			if (timed_out && !killed_all) {
				for (long i = 0; i < n; i++)
					kill(pids[i], SIGKILL);
				if (cmd_status == -1)
					kill(cmd, SIGKILL);
				killed_all = true;
			}
			continue;
		}
		if (p == cmd) {
			cmd_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			continue;
		}
		if (!killed_all && ++by_cmd == n)
			t2 = now_us();
	}
	alarm(0);
	left = n - by_cmd;
	printf("procs=%ld spawn_ms=%.1f reap_ms=%.2f left=%ld status=%d\n", n,
	       (double)(t1 - t0) / 1000, (double)(t2 - t1) / 1000, left, cmd_status);
	free(pids);
	return left == 0 ? 0 : 1;
}
