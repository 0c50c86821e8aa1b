/*
 * tmpdir.c - the tmpdir provider: a private directory per session under
 * [tmpdir] base, exported as TMPDIR, removed at logoff with the core's
 * path releaser (no symlink followed, no file system crossed).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "providers/support.h"
#include "providers/providers.h"

static const struct logoff_config_key keys[] = {
	{ "base", LOGOFF_CONFIG_PATH, "/tmp/logoff", NULL },
	{ NULL, 0, NULL, NULL },
};

/*
 * Swap the planted NAME in PFD (PARENT) for a fresh root-owned 0711
 * directory in one step (RENAME_EXCHANGE): a user looping mkdir never
 * gets a window to plant it again. The planted entry keeps the fresh
 * one's random name, returned in ASIDE.
 */
static int replace_planted(struct logoff_support *s, int pfd, const char *parent,
			   const char *name, char aside[NAME_MAX + 1])
{
	char tmpl[PATH_MAX];
	const char *fresh;

	if ((size_t)snprintf(tmpl, sizeof(tmpl), "%s/.logoff-base.XXXXXX",
			     strcmp(parent, "/") == 0 ? "" : parent) >= sizeof(tmpl))
		return -ENAMETOOLONG;
	if (!mkdtemp(tmpl))
		return -errno;
	fresh = strrchr(tmpl, '/') + 1;
	snprintf(aside, NAME_MAX + 1, "%s", fresh);
	if (fchmodat(pfd, fresh, 0711, 0) < 0)
		goto fail;
	if (renameat2(pfd, fresh, pfd, name, RENAME_EXCHANGE) == 0)
		return 0;
	/* The planted entry went away meanwhile: just put ours there. */
	if (errno == ENOENT && renameat2(pfd, fresh, pfd, name, RENAME_NOREPLACE) == 0) {
		snprintf(aside, NAME_MAX + 1, "(gone)");
		return 0;
	}
fail:
	{
		int e = errno;
		unlinkat(pfd, fresh, AT_REMOVEDIR);
		s->log(s, LOG_ERR, "cannot replace %s/%s: %s", parent, name, strerror(e));
		return -e;
	}
}

/*
 * Open BASE, making it (0711) when missing. It must be a real directory
 * owned by root (by the caller when not root) and not writable by group
 * or others: otherwise another user could swap the session's dir. One
 * that is not, in a root-owned sticky directory such as /tmp, was planted
 * by a user (who could otherwise block every login by making it first):
 * it is renamed aside, which root may do there, and a new one made.
 */
static int open_base(struct logoff_support *s, const char *base)
{
	uid_t owner = s->privileged ? 0 : geteuid();
	char parent[PATH_MAX], aside[NAME_MAX + 1];
	const char *name;
	struct stat st, pst;
	int pfd, fd = -1;

	snprintf(parent, sizeof(parent), "%s", base);
	name = strrchr(base, '/') + 1;	/* base is absolute (config type PATH) */
	if (!*name)
		return -EINVAL;
	parent[name - base - 1 > 0 ? name - base - 1 : 1] = '\0';
	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0) {
		s->log(s, LOG_ERR, "cannot open %s: %m", parent);
		return -errno;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (mkdirat(pfd, name, 0711) == 0) {
			/* The umask may have taken bits; the mode is checked
			 * below in any case. */
			if (fchmodat(pfd, name, 0711, 0) < 0)
				s->log(s, LOG_WARNING, "cannot set the mode of %s: %m", base);
		} else if (errno != EEXIST) {
			s->log(s, LOG_ERR, "cannot create base %s: %m", base);
			fd = -errno;
			break;
		}
		fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &st) == 0 && st.st_uid == owner && !(st.st_mode & 022))
			break;
		if (fd >= 0)
			close(fd);
		fd = -EPERM;
		if (attempt == 0 && s->privileged && fstat(pfd, &pst) == 0 && pst.st_uid == 0 &&
		    (pst.st_mode & S_ISVTX) && replace_planted(s, pfd, parent, name, aside) == 0) {
			bool gone = strcmp(aside, "(gone)") == 0;
			s->log(s, LOG_WARNING, "%s was not a root-owned private directory; replaced%s%s%s%s",
			       base, gone ? "" : ", the old one is now ", gone ? "" : parent,
			       gone ? "" : "/", gone ? "" : aside);
			continue;
		}
		s->log(s, LOG_ERR, "%s: refusing a base that is a symlink, not a directory, not "
		       "owned by uid %u or writable by group or others", base, (unsigned)owner);
		break;
	}
	close(pfd);
	return fd;
}

/* A directory of this session's name is there already: left by a session
 * whose logoff never ran (a registry id reused after the registry was
 * lost). It is not this session's. Renamed aside within the root-owned
 * base, so the new one can be made at once, and tracked, so the helper
 * removes it at logoff under its deadline instead of open_session. */
static int set_stale_aside(struct logoff_support *s, int basefd, const char *base)
{
	const char *id = s->identity->session_id;
	char aside[NAME_MAX + 1], path[PATH_MAX];
	int r;

	snprintf(aside, sizeof(aside), ".stale.%s.%d.%lld", id, (int)getpid(), (long long)time(NULL));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", base, aside) >= sizeof(path))
		return -ENAMETOOLONG;
	r = s->track(s, LOGOFF_SUBOBJECT_PATH, path);
	if (r < 0)
		return r;
	if (renameat(basefd, id, basefd, aside) < 0) {
		r = -errno;
		s->untrack(s, LOGOFF_SUBOBJECT_PATH, path);
		return r;
	}
	s->log(s, LOG_WARNING, "%s/%s existed already; moved aside to %s, removed at logoff", base,
	       id, path);
	return 0;
}

static int tmpdir_logon(struct logoff_support *s, unsigned flags)
{
	const struct logoff_identity *id = s->identity;
	const char *base = s->config(s, "base");
	char path[PATH_MAX];
	int fd, r;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", base, id->session_id) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open_base(s, base);
	if (fd < 0)
		return fd;
	/* Tracked before it exists, so a crash in between still leaves a
	 * record of it. */
	r = s->track(s, LOGOFF_SUBOBJECT_PATH, path);
	if (r < 0)
		goto out;
	r = mkdirat(fd, id->session_id, 0700) < 0 ? -errno : 0;
	if (r == -EEXIST) {
		r = set_stale_aside(s, fd, base);
		if (r == 0)
			r = mkdirat(fd, id->session_id, 0700) < 0 ? -errno : 0;
	}
	if (r < 0) {
		/* Not made by us: what is at PATH (a stale tree that could not
		 * be set aside) is not ours to remove inside open_session. */
		s->untrack(s, LOGOFF_SUBOBJECT_PATH, path);
		s->log(s, LOG_ERR, "cannot create %s: %s", path, strerror(-r));
		goto out;
	}
	if (s->privileged && fchownat(fd, id->session_id, id->uid, id->gid, AT_SYMLINK_NOFOLLOW) < 0) {
		r = -errno;
		s->log(s, LOG_ERR, "cannot give %s to %s: %m", path, id->user);
		goto out;
	}
	r = s->putenv(s, "TMPDIR", path);
	if (r < 0 && r != -ENOTSUP)
		goto out;
	s->set_status(s, "created %s", path);
	r = 0;
out:
	close(fd);
	return r;
}

/* The core's releaser logs through the provider's log. */
static void release_log(void *ctx, int priority, const char *msg)
{
	struct logoff_support *s = ctx;

	s->log(s, priority, "%s", msg);
}

static int tmpdir_logoff(struct logoff_support *s, unsigned flags)
{
	const struct lo_log log = { .fn = release_log, .ctx = s, .debug = false };
	size_t i = 0;
	unsigned removed = 0, failed = 0;
	const char *value = NULL;
	char last[PATH_MAX] = "nothing", left[PATH_MAX] = "";
	int kind, r, err = 0;

	if (flags != 0)
		return -EINVAL;
	while (s->subobject(s, i, &kind, &value) == 0) {
		char path[PATH_MAX];

		if (kind != LOGOFF_SUBOBJECT_PATH) {
			i++;
			continue;
		}
		snprintf(path, sizeof(path), "%s", value);
		/* In the login manager's process the directory was empty when
		 * the logoff began (LO_LOGOFF_IN_PROCESS): rmdir alone, which
		 * cannot block on anything mounted in it. Filled since, it
		 * stays tracked and a forked closer removes it, under the
		 * deadline. */
		if (lo_support_in_process(s))
			r = lo_release_empty_dir(path);
		else
			r = lo_release_path_left(path, &log, left, sizeof(left));
		if (r < 0) {
			if (lo_support_in_process(s))
				s->log(s, LOG_NOTICE, "%s: %s since the logoff began; left to a "
				       "forked closer", path, strerror(-r));
			else
				s->log(s, LOG_ERR, "cannot remove %s: %s", path, strerror(-r));
			/* The status names what is left: the first entry of
			 * the first path that could not be removed. */
			if (!failed)
				memcpy(last, left[0] ? left : path, sizeof(last));
			failed++;
			err = r;
			i++;
			continue;
		}
		s->untrack(s, kind, path);
		if (!failed)
			memcpy(last, path, sizeof(last));
		removed++;
	}
	if (failed)
		s->set_status(s, "removed %u, failed %u (%s); left %s", removed, failed,
			      strerror(-err), last);
	else
		s->set_status(s, "removed %s", last);
	return err;
}

const struct logoff_provider lo_provider_tmpdir = {
	.abi_version = LOGOFF_ABI_VERSION,
	.name = "tmpdir",
	.logon = tmpdir_logon,
	.logoff = tmpdir_logoff,
	.config_keys = keys,
};
