/*
 * pam_floor.so - B1's floor: the least a session module can do that
 * spends one process at close_session, as pam_logoff must to hold its
 * deadline. open_session does nothing; close_session forks a child that
 * calls _exit(0) at once and waits for it. Built and used by `make bench`
 * only, never installed.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_modules.h>

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	pid_t pid = fork();

	if (pid < 0)
		return PAM_SESSION_ERR;
	if (pid == 0)
		_exit(0);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return PAM_SUCCESS;
}
