/*
 * pam_session_test - drive pam_logoff.so through the real libpam with
 * pam_start_confdir, so the service file lives in the build tree.
 *
 *   pam_session_test CONFDIR SERVICE USER [COMMAND]
 *
 * PAM_TTY is $PAM_TEST_TTY, or "pts/42" when that is unset; PAM_RHOST
 * is $PAM_TEST_RHOST, or "192.0.2.7". With
 * $PAM_TEST_CLOSE_AS set to a user name, the process drops to that user
 * (groups, gid, uid: all three ids, as systemd's (sd-pam) does) before it
 * calls pam_close_session.
 * $PAM_TEST_PUTENV, when set, holds NAME=VALUE lines that are each given
 * to pam_putenv(3) before the session opens, as an application does with
 * what the user asked for (sshd's SetEnv, login -p).
 * Opens a session, prints the PAM environment it got (one NAME=VALUE a
 * line), runs COMMAND with /bin/sh -c and that environment (the session's
 * "work"), closes the session. Exit 0 when both PAM calls succeeded, 1
 * when open failed, 2 when close failed, 3 on usage errors. The calling
 * test asserts on the side effects.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_appl.h>

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	/* A session stack asks nothing; print what a module says. */
	for (int i = 0; i < n; i++)
		fprintf(stderr, "pam: %s\n", msg[i]->msg);
	*resp = NULL;
	return n ? PAM_CONV_ERR : PAM_SUCCESS;
}

int main(int argc, char **argv)
{
	struct pam_conv c = { conv, NULL };
	pam_handle_t *pamh = NULL;
	char **env;
	int r, ret = 0;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: pam_session_test CONFDIR SERVICE USER [COMMAND]\n");
		return 3;
	}
#ifdef HAVE_PAM_START_CONFDIR
	r = pam_start_confdir(argv[2], argv[3], &c, argv[1], &pamh);
#else
	fprintf(stderr, "libpam has no pam_start_confdir\n");
	return 77;
#endif
	if (r != PAM_SUCCESS) {
		fprintf(stderr, "pam_start: %s\n", pam_strerror(pamh, r));
		return 3;
	}
	pam_set_item(pamh, PAM_TTY, getenv("PAM_TEST_TTY") ? getenv("PAM_TEST_TTY") : "pts/42");
	pam_set_item(pamh, PAM_RHOST, getenv("PAM_TEST_RHOST") ? getenv("PAM_TEST_RHOST") : "192.0.2.7");
	if (getenv("PAM_TEST_PUTENV")) {
		char *list = strdup(getenv("PAM_TEST_PUTENV")), *save = NULL;

		for (char *v = list ? strtok_r(list, "\n", &save) : NULL; v;
		     v = strtok_r(NULL, "\n", &save))
			if (pam_putenv(pamh, v) != PAM_SUCCESS)
				fprintf(stderr, "pam_putenv %s failed\n", v);
		free(list);
	}
	r = pam_open_session(pamh, 0);
	if (r != PAM_SUCCESS) {
		fprintf(stderr, "pam_open_session: %s\n", pam_strerror(pamh, r));
		pam_end(pamh, r);
		return 1;
	}
	env = pam_getenvlist(pamh);
	for (char **e = env; e && *e; e++)
		printf("%s\n", *e);
	fflush(stdout);
	if (argc == 5) {
		pid_t pid = fork();
		if (pid == 0) {
			execle("/bin/sh", "sh", "-c", argv[4], (char *)NULL, env);
			_exit(127);
		}
		waitpid(pid, NULL, 0);
	}
	for (char **e = env; e && *e; e++)
		free(*e);
	free(env);
	if (getenv("PAM_TEST_CLOSE_AS")) {
		const struct passwd *pw = getpwnam(getenv("PAM_TEST_CLOSE_AS"));

		if (!pw || setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
			perror("PAM_TEST_CLOSE_AS");
			pam_end(pamh, PAM_SUCCESS);
			return 3;
		}
	}
	r = pam_close_session(pamh, 0);
	if (r != PAM_SUCCESS) {
		fprintf(stderr, "pam_close_session: %s\n", pam_strerror(pamh, r));
		ret = 2;
	}
	pam_end(pamh, r);
	return ret;
}
