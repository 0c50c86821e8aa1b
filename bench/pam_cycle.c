/*
 * pam_cycle - the login manager's side of a session, timed: N x
 * (pam_start_confdir, pam_open_session, pam_close_session, pam_end)
 * against SERVICE in the private CONFDIR (never /etc/pam.d).
 *
 *   pam_cycle [-n N] [-w WORKERS] [-f NOFILE] [-m AT,...] [-o [-H] [-C]] [-s] CONFDIR SERVICE USER
 *
 * -n N       cycles per worker (default 100)
 * -w W       W worker processes run their N cycles at once, started
 *            together (default 1); the time is from the start to the last
 *            worker's end
 * -f NOFILE  set RLIMIT_NOFILE (soft and hard) to NOFILE first, as a
 *            login manager with that limit
 * -m AT,...  print this process's VmRSS after cycle AT (one worker only)
 * -o         open only: N sessions are opened and never closed (pam_end
 *            without close); the LOGOFF_SESSION_ID of each is printed
 * -H         with -o: then hold them live (this process is their login
 *            manager) until stdin reaches EOF
 * -C         with -o: before each open, move back to the cgroup (v2) this
 *            process started in, so each session gets a cgroup of its own
 *            beside the others (as the login managers of separate logins
 *            do) rather than one inside the last (as su inside a login)
 * -s         spin: each cycle is a fixed loop of arithmetic (SPIN_LOOPS
 *            additions, no system call, no PAM call) instead of a PAM
 *            cycle: what the machine gives W workers in user space alone,
 *            B5's reference for "two cores"
 *
 * Prints one line of KEY=VALUE: cycles, workers, nofile, wall_ns,
 * ns_per_cycle, cycles_per_s, then rss_kib_AT for each -m. Exit 0, or 1
 * when a PAM call failed (with the PAM error on stderr), 2 for usage.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#define MAX_MARKS 8

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	for (int i = 0; i < n; i++)
		fprintf(stderr, "pam: %s\n", msg[i]->msg);
	*resp = NULL;
	return n ? PAM_CONV_ERR : PAM_SUCCESS;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static bool open_only, spin;
static char home_procs[3200];	/* -C: cgroup.procs of the starting cgroup */

/* -C: where this process starts, as the path of its cgroup.procs. */
static int find_home_cgroup(void)
{
	char line[2048], mnt[1024] = "", cg[2048] = "";
	FILE *f = fopen("/proc/mounts", "re");

	while (f && fgets(line, sizeof(line), f)) {
		char dev[256], dir[1024], type[64];
		if (sscanf(line, "%255s %1023s %63s", dev, dir, type) == 3 &&
		    strcmp(type, "cgroup2") == 0) {
			snprintf(mnt, sizeof(mnt), "%s", dir);
			break;
		}
	}
	if (f)
		fclose(f);
	f = fopen("/proc/self/cgroup", "re");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(cg, sizeof(cg), "%s", line + 3);
		}
	if (f)
		fclose(f);
	if (!mnt[0] || !cg[0])
		return -1;
	snprintf(home_procs, sizeof(home_procs), "%s%s/cgroup.procs", mnt,
		 strcmp(cg, "/") == 0 ? "" : cg);
	return 0;
}

static void go_home(void)
{
	FILE *f;

	if (!home_procs[0] || !(f = fopen(home_procs, "we")))
		return;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
}

/* -s: about as long as a pam_logoff cycle on a small machine (2-3 ms). */
#define SPIN_LOOPS 3000000UL

static int cycle(const char *confdir, const char *service, const char *user)
{
	struct pam_conv c = { conv, NULL };
	pam_handle_t *pamh = NULL;
	int r;

	if (spin) {
		volatile unsigned long x = 0;

		for (unsigned long i = 0; i < SPIN_LOOPS; i++)
			x += i;
		return 0;
	}
#ifdef HAVE_PAM_START_CONFDIR
	r = pam_start_confdir(service, user, &c, confdir, &pamh);
#else
	r = PAM_SYSTEM_ERR;
#endif
	if (r != PAM_SUCCESS) {
		fprintf(stderr, "pam_start_confdir: %s\n", pam_strerror(pamh, r));
		return -1;
	}
	pam_set_item(pamh, PAM_TTY, "pts/42");
	pam_set_item(pamh, PAM_RHOST, "192.0.2.7");
	r = pam_open_session(pamh, 0);
	if (r != PAM_SUCCESS) {
		fprintf(stderr, "pam_open_session: %s\n", pam_strerror(pamh, r));
		pam_end(pamh, r);
		return -1;
	}
	if (open_only) {
		const char *id = pam_getenv(pamh, "LOGOFF_SESSION_ID");

		go_home();
		printf("%s\n", id ? id : "");
		pam_end(pamh, PAM_SUCCESS);
		return 0;
	}
	r = pam_close_session(pamh, 0);
	if (r != PAM_SUCCESS)
		fprintf(stderr, "pam_close_session: %s\n", pam_strerror(pamh, r));
	pam_end(pamh, r);
	return r == PAM_SUCCESS ? 0 : -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: pam_cycle [-n N] [-w WORKERS] [-f NOFILE] [-m AT,...] [-o [-H] [-C]] "
			"[-s] CONFDIR SERVICE USER\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long n = 100, workers = 1, nofile = 0, marks[MAX_MARKS], rss[MAX_MARKS];
	int n_marks = 0, c, go[2], failed = 0;
	bool hold = false;
	int64_t start, end;

	while ((c = getopt(argc, argv, "n:w:f:m:oHCs")) != -1) {
		switch (c) {
		case 'n':
			n = atol(optarg);
			break;
		case 'w':
			workers = atol(optarg);
			break;
		case 'f':
			nofile = atol(optarg);
			break;
		case 'm':
			for (char *p = strtok(optarg, ","); p && n_marks < MAX_MARKS;
			     p = strtok(NULL, ","))
				marks[n_marks++] = atol(p);
			break;
		case 'o':
			open_only = true;
			break;
		case 'H':
			hold = true;
			break;
		case 'C':
			if (find_home_cgroup() < 0) {
				fprintf(stderr, "pam_cycle: -C: no cgroup v2\n");
				return 2;
			}
			break;
		case 's':
			spin = true;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 3 || n < 1 || workers < 1 || workers > 256 ||
	    (n_marks && workers != 1))
		usage();
	if (nofile > 0) {
		struct rlimit rl = { (rlim_t)nofile, (rlim_t)nofile };
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			perror("setrlimit RLIMIT_NOFILE");
			return 2;
		}
	}
	{
		struct rlimit rl;
		getrlimit(RLIMIT_NOFILE, &rl);
		nofile = (long)rl.rlim_cur;
	}

	if (open_only) {
		if (workers != 1)
			usage();
		for (long i = 0; i < n; i++)
			if (cycle(argv[optind], argv[optind + 1], argv[optind + 2]) < 0)
				return 1;
		fflush(stdout);
		if (hold) {
			char buf[64];
			fprintf(stderr, "pam_cycle: holding %ld sessions\n", n);
			while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
				;
		}
		return 0;
	}
	if (workers == 1) {
		int m = 0;

		start = now_ns();
		for (long i = 1; i <= n; i++) {
			if (cycle(argv[optind], argv[optind + 1], argv[optind + 2]) < 0)
				return 1;
			if (m < n_marks && marks[m] == i)
				rss[m++] = rss_kib();
		}
		end = now_ns();
	} else {
		pid_t pids[256];
		char b;

		/* The workers wait on a pipe, so all start at once. */
		if (pipe(go) < 0)
			return 2;
		for (long w = 0; w < workers; w++) {
			pids[w] = fork();
			if (pids[w] < 0) {
				perror("fork");
				return 2;
			}
			if (pids[w] == 0) {
				close(go[1]);
				if (read(go[0], &b, 1) < 0)
					_exit(2);
				for (long i = 0; i < n; i++)
					if (cycle(argv[optind], argv[optind + 1], argv[optind + 2]) < 0)
						_exit(1);
				_exit(0);
			}
		}
		close(go[0]);
		start = now_ns();
		close(go[1]);
		for (long w = 0; w < workers; w++) {
			int status;
			while (waitpid(pids[w], &status, 0) < 0 && errno == EINTR)
				;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				failed = 1;
		}
		end = now_ns();
	}
	printf("cycles=%ld workers=%ld nofile=%ld wall_ns=%" PRId64 " ns_per_cycle=%" PRId64
	       " cycles_per_s=%.1f", n * workers, workers, nofile, end - start,
	       (end - start) / (n * workers), (double)(n * workers) * 1e9 / (double)(end - start));
	for (int m = 0; m < n_marks; m++)
		printf(" rss_kib_%ld=%ld", marks[m], rss[m]);
	printf("\n");
	return failed;
}
