/*
 * session_loop - many sessions through the real pam_logoff.so, fast: each
 * of WORKERS forked processes runs COUNT open/close pairs in-process
 * through libpam (pam_start_confdir, pam_open_session, pam_close_session,
 * pam_end), as a busy login manager would, without an exec per session.
 *
 *   session_loop CONFDIR SERVICE USER WORKERS COUNT
 *
 * With SESSION_LOOP_KEEP=PATH (the module), PATH is loaded once before
 * the workers start and kept: libpam's dlopen of it at every pam_start
 * then finds it mapped and relocated, as in a login manager that keeps
 * its modules, instead of mapping, relocating and unmapping it (and its
 * libraries) for every session, which dominates on a virtual machine.
 *
 * Prints "open ID" for every session opened (one write(2) a line, so
 * lines of parallel workers never mix in an O_APPEND file) and a summary
 * "sessions N open-failed N close-failed N no-id N ms N" at the end. Exit
 * 0 when every open and close succeeded, 1 otherwise, 3 on usage errors,
 * 77 without pam_start_confdir.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	for (int i = 0; i < n; i++)
		fprintf(stderr, "pam: %s\n", msg[i]->msg);
	*resp = NULL;
	return n ? PAM_CONV_ERR : PAM_SUCCESS;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One worker: COUNT sessions; the exit status packs nothing, the counts
 * go through a pipe as one line. */
static void worker(const char *confdir, const char *service, const char *user, long count,
		   int out)
{
#ifdef HAVE_PAM_START_CONFDIR
	struct pam_conv c = { conv, NULL };
	long open_failed = 0, close_failed = 0, no_id = 0;
	char line[128];
	int n;

	for (long i = 0; i < count; i++) {
		pam_handle_t *pamh = NULL;
		const char *id;
		int r = pam_start_confdir(service, user, &c, confdir, &pamh);

		if (r != PAM_SUCCESS) {
			fprintf(stderr, "pam_start: %s\n", pam_strerror(pamh, r));
			open_failed++;
			continue;
		}
		pam_set_item(pamh, PAM_TTY, "pts/42");
		pam_set_item(pamh, PAM_RHOST, "192.0.2.7");
		r = pam_open_session(pamh, 0);
		if (r != PAM_SUCCESS) {
			fprintf(stderr, "pam_open_session: %s\n", pam_strerror(pamh, r));
			open_failed++;
			pam_end(pamh, r);
			continue;
		}
		id = pam_getenv(pamh, "LOGOFF_SESSION_ID");
		if (id) {
			n = snprintf(line, sizeof(line), "open %s\n", id);
			if (write(1, line, (size_t)n) != n)
				no_id++;
		} else {
			no_id++;
		}
		r = pam_close_session(pamh, 0);
		if (r != PAM_SUCCESS) {
			fprintf(stderr, "pam_close_session: %s\n", pam_strerror(pamh, r));
			close_failed++;
		}
		pam_end(pamh, r);
	}
	n = snprintf(line, sizeof(line), "%ld %ld %ld\n", open_failed, close_failed, no_id);
	if (write(out, line, (size_t)n) != n)
		_exit(1);
	_exit(0);
#else
	_exit(77);
#endif
}

int main(int argc, char **argv)
{
	long workers, count, open_failed = 0, close_failed = 0, no_id = 0;
	long long start;
	int fds[2], status, bad = 0;

	if (argc != 6 || (workers = atol(argv[4])) < 1 || workers > 64 || (count = atol(argv[5])) < 1) {
		fprintf(stderr, "usage: session_loop CONFDIR SERVICE USER WORKERS COUNT\n");
		return 3;
	}
#ifndef HAVE_PAM_START_CONFDIR
	fprintf(stderr, "libpam has no pam_start_confdir\n");
	return 77;
#endif
	if (getenv("SESSION_LOOP_KEEP") && !dlopen(getenv("SESSION_LOOP_KEEP"), RTLD_NOW)) {
		fprintf(stderr, "session_loop: %s\n", dlerror());
		return 3;
	}
	if (pipe(fds) < 0)
		return 3;
	start = now_ms();
	for (long w = 0; w < workers; w++) {
		pid_t pid = fork();
		if (pid < 0)
			return 3;
		if (pid == 0) {
			close(fds[0]);
			worker(argv[1], argv[2], argv[3], count, fds[1]);
		}
	}
	close(fds[1]);
	{
		FILE *f = fdopen(fds[0], "r");
		long a, b, c;
		while (f && fscanf(f, "%ld %ld %ld", &a, &b, &c) == 3) {
			open_failed += a;
			close_failed += b;
			no_id += c;
		}
		if (f)
			fclose(f);
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad++;
	fflush(stdout);
	fprintf(stderr, "sessions %ld open-failed %ld close-failed %ld no-id %ld workers-failed %d ms %lld\n",
		workers * count, open_failed, close_failed, no_id, bad, now_ms() - start);
	return open_failed || close_failed || no_id || bad ? 1 : 0;
}
