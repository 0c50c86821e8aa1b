/*
 * keyring.c - the keyring provider: a new session keyring per session, as
 * pam_keyinit makes one, that logoff revokes from whichever process runs it.
 *
 * Logon (in the login manager's process) joins a new anonymous session
 * keyring, which the session's processes inherit, gives it to the user and
 * links the user's keyring into it. Logoff (logoff-helper, maybe long after
 * the login manager is gone) revokes it by its serial with the core's
 * keyring releaser, which acts as the user and checks first that the serial
 * still names a keyring of the user's. Processes of the session that
 * outlive it then reach no key through it.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <keyutils.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "providers/support.h"
#include "providers/providers.h"

static const struct logoff_config_key keys[] = {
	{ "link_user", LOGOFF_CONFIG_BOOL, "yes", NULL },
	{ NULL, 0, NULL, NULL },
};

/*
 * What the session's user gets on the keyring. The kernel gives an
 * anonymous session keyring possessor-all and owner view, read, write;
 * setattr is added so the owner's processes outside the session may manage
 * it too. Write (or setattr) is what keyctl_revoke needs, view what
 * keyctl_describe needs: logoff runs in a process that does not possess
 * the keyring, with the user's fsuid (lo_release_keyring).
 */
#define SESSION_KEYRING_PERM                                                   \
	(KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_READ | KEY_USR_WRITE | KEY_USR_SETATTR)

static void forward_log(void *ctx, int priority, const char *msg)
{
	struct logoff_support *s = ctx;

	s->log(s, priority, "%s", msg);
}

static struct lo_log support_log(struct logoff_support *s)
{
	/* s->log drops LOG_DEBUG lines itself unless the module has debug. */
	return (struct lo_log){ .fn = forward_log, .ctx = s, .debug = true };
}

static bool is_user(uid_t uid)
{
	uid_t r, e, sv;

	return getresuid(&r, &e, &sv) == 0 && r == uid && e == uid;
}

/*
 * Link the user's keyring into SES. KEY_SPEC_USER_KEYRING names the user
 * keyring of the caller's real uid, so the link is made by a short child
 * that drops to the user (groups, gid, uid, in that order) and inherits
 * SES as its session keyring, so it possesses it. pam_keyinit instead sets
 * the real uid of the login manager itself for a moment; a child leaves
 * the login manager's credentials alone: no window in which the user's
 * processes may signal it, no uid change across an application's threads,
 * and su's real uid (the invoking user) stays as it was. The child only
 * makes system calls and reports errno through a pipe, which works even
 * when the application reaps the child first (a SIGCHLD handler).
 */
static int link_user_keyring(struct logoff_support *s, key_serial_t ses)
{
	const struct logoff_identity *id = s->identity;
	int fds[2], err = 0, status;
	ssize_t n;
	pid_t pid;

	if (is_user(id->uid))
		return keyctl_link(KEY_SPEC_USER_KEYRING, ses) < 0 ? -errno : 0;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(fds[0]);
		close(fds[1]);
		return -err;
	}
	if (pid == 0) {
		uid_t r, e, sv;

		close(fds[0]);
		if (setgroups(0, NULL) < 0 || setresgid(id->gid, id->gid, id->gid) < 0 ||
		    setresuid(id->uid, id->uid, id->uid) < 0)
			err = errno ? errno : EPERM;
		else if (getresuid(&r, &e, &sv) < 0 || r != id->uid || e != id->uid ||
			 sv != id->uid)
			err = EPERM;
		else if (keyctl_link(KEY_SPEC_USER_KEYRING, ses) < 0)
			err = errno;
		if (write(fds[1], &err, sizeof(err)) != (ssize_t)sizeof(err))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	do
		n = read(fds[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(err))
		err = EIO;	/* the child died before it could say */
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return -err;
}

/*
 * Give SES to the session's user. The kernel makes an anonymous session
 * keyring owned by the caller's real uid (root for sshd and login, the
 * invoking user for su). Root with CAP_SYS_ADMIN may chown a key it has
 * setattr on, which the possessor (this process, whose session keyring it
 * is) has: so the owner is set directly, and the keyring is charged to the
 * user's key quota, without changing any uid of the login manager as
 * pam_keyinit does (see link_user_keyring). As the user there is nothing
 * to change.
 */
static int give_to_user(struct logoff_support *s, key_serial_t ses)
{
	const struct logoff_identity *id = s->identity;
	int r;

	/* Owner first, permissions second: under su the keyring is briefly
	 * the invoking user's, who should not get setattr on it meanwhile. */
	if (!is_user(id->uid) && keyctl_chown(ses, id->uid, id->gid) < 0) {
		r = -errno;
		s->log(s, LOG_ERR, "cannot give keyring %d to %s: %s", (int)ses, id->user,
		       strerror(-r));
		return r;
	}
	if (keyctl_setperm(ses, SESSION_KEYRING_PERM) < 0) {
		r = -errno;
		s->log(s, LOG_ERR, "cannot set the permissions of keyring %d: %s", (int)ses,
		       strerror(-r));
		return r;
	}
	return 0;
}

/*
 * Logon failed after SES was joined: revoke it (this process possesses
 * it, which is enough), untrack it when TRACKED, and join a fresh
 * anonymous session keyring, so the session that may still go on (a
 * provider that is not required) does not inherit a revoked one. The fresh
 * one is the kernel's plain default, not tracked: nothing of the user's
 * is in it yet.
 */
static void abandon(struct logoff_support *s, key_serial_t ses, const char *value, bool tracked)
{
	if (keyctl_revoke(ses) < 0)
		s->log(s, LOG_ERR, "cannot revoke keyring %d: %m", (int)ses);
	else if (tracked)
		s->untrack(s, LOGOFF_SUBOBJECT_KEYRING, value);
	if (keyctl_join_session_keyring(NULL) < 0)
		s->log(s, LOG_WARNING, "cannot join a fresh session keyring: %m");
}

static int keyring_logon(struct logoff_support *s, unsigned flags)
{
	const struct logoff_identity *id = s->identity;
	bool link_user = true;
	char value[16];
	key_serial_t ses;
	int r;

	r = lo_parse_bool(s->config(s, "link_user"), &link_user);
	if (r < 0)
		return r;
	if (!s->privileged && !is_user(id->uid)) {
		s->set_status(s, "skipped: a keyring for %s needs root", id->user);
		return 0;
	}
	/* Anonymous, always new: joining a keyring by name would join any
	 * searchable keyring a user made under that name. */
	ses = keyctl_join_session_keyring(NULL);
	if (ses < 0) {
		if (errno == ENOSYS) {
			s->set_status(s, "skipped: the kernel has no keyrings");
			return 0;
		}
		r = -errno;
		s->log(s, LOG_ERR, "cannot join a new session keyring: %s", strerror(-r));
		return r;
	}
	/* Its serial exists only now: tracked at once, and revoked again if
	 * it cannot be tracked, so no keyring is left that logoff would not
	 * know of. */
	snprintf(value, sizeof(value), "%d", (int)ses);
	r = s->track(s, LOGOFF_SUBOBJECT_KEYRING, value);
	if (r < 0) {
		abandon(s, ses, value, false);
		return r;
	}
	r = give_to_user(s, ses);
	if (r == 0 && link_user) {
		r = link_user_keyring(s, ses);
		if (r < 0)
			s->log(s, LOG_ERR, "cannot link the user keyring of %s into keyring %d: %s",
			       id->user, (int)ses, strerror(-r));
	}
	if (r < 0) {
		abandon(s, ses, value, true);
		return r;
	}
	s->set_status(s, "session keyring %s%s", value, link_user ? ", user keyring linked" : "");
	return 0;
}

static int keyring_logoff(struct logoff_support *s, unsigned flags)
{
	struct lo_log log = support_log(s);
	unsigned revoked = 0, gone = 0, failed = 0;
	char last[16] = "", value[16];
	const char *v = NULL;
	size_t i = 0;
	int kind, r, err = 0;

	if (flags != 0)
		return -EINVAL;
	while (s->subobject(s, i, &kind, &v) == 0) {
		if (kind != LOGOFF_SUBOBJECT_KEYRING) {
			i++;
			continue;
		}
		snprintf(value, sizeof(value), "%s", v);
		/* As at close, so at rollback: the login manager possesses the
		 * keyring then, and the same checked revoke works. */
		r = lo_release_keyring(v, s->identity->uid, &log);
		if (r < 0) {
			s->log(s, LOG_ERR, "cannot revoke keyring %s: %s", value, strerror(-r));
			failed++;
			err = r;
			i++;
			continue;
		}
		s->untrack(s, kind, value);
		snprintf(last, sizeof(last), "%s", value);
		if (r == 0)
			revoked++;
		else
			gone++;
	}
	if (failed)
		s->set_status(s, "revoked %u, failed %u (%s)", revoked, failed, strerror(-err));
	else if (revoked)
		s->set_status(s, "revoked keyring %s", last);
	else if (gone)
		s->set_status(s, "keyring %s was already gone", last);
	else
		s->set_status(s, "no keyring to revoke");
	return err;
}

const struct logoff_provider lo_provider_keyring = {
	.abi_version = LOGOFF_ABI_VERSION,
	.name = "keyring",
	.logon = keyring_logon,
	.logoff = keyring_logoff,
	.config_keys = keys,
};
