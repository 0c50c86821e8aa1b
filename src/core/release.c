/*
 * release.c - the core's releasers for subobject kinds it knows: path,
 * process, keyring, mount (src/core/release_mount.c) and, with libkrb5,
 * krb5 ccache (src/core/release_krb5cc.c). A provider releases its own
 * subobjects; these run for whatever it left tracked, and providers use
 * them for the releasing itself.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <keyutils.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "core/util.h"
#include "core/proc.h"
#include "core/release.h"

/* Deeper trees than this are left in place (and reported) rather than
 * risking the fd limit of the login manager's process. */
#define MAX_DEPTH 512
/* Passes over a directory after the first, for the whole tree: a writer
 * racing the removal cannot make the work grow with the tree's depth. */
#define EXTRA_PASSES 64

struct rm_state {
	dev_t dev;
	uint64_t mnt_id;	/* the mount PATH is on */
	bool have_mnt_id;	/* false: the kernel shows none, st_dev only */
	unsigned kept;		/* entries on another mount */
	char rel[PATH_MAX];	/* the directory being emptied, relative to PATH */
	char left[PATH_MAX];	/* the first entry left, relative to PATH */
	int extra_passes;	/* budget left, see EXTRA_PASSES */
	int err;		/* first removal error */
	const struct lo_log *log;
};

static void rm_error(struct rm_state *st, int err)
{
	if (!st->err)
		st->err = err;
}

/* Remember NAME (in the directory being emptied) as left in place, when
 * it is the first. */
static void rm_left(struct rm_state *st, const char *name)
{
	size_t len = strlen(st->rel);

	if (st->left[0] || len + 1 + strlen(name) >= sizeof(st->left))
		return;
	memcpy(st->left, st->rel, len);
	if (len)
		st->left[len++] = '/';
	strcpy(st->left + len, name);
}

/* A mount point met again on a later pass over its directory is counted
 * once. */
static void rm_kept(struct rm_state *st, int pass, const char *name)
{
	if (pass == 0 || !st->kept)
		st->kept++;
	rm_left(st, name);
}

/* Is the directory FD on another mount than PATH? A bind mount of a
 * directory of the same file system has the same st_dev: only the mount
 * id tells it apart, and entering it would empty the directory it shows,
 * wherever that is. */
static bool other_mount(const struct rm_state *st, int fd, const struct stat *sb)
{
	uint64_t id;

	if (sb->st_dev != st->dev)
		return true;
	if (!st->have_mnt_id)
		return false;
	/* Unknown: not entered. */
	return lo_fd_mount_id(fd, &id) < 0 || id != st->mnt_id;
}

/* Empty the directory DFD (which is on st->dev); closes DFD. */
static void rm_contents(int dfd, struct rm_state *st, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	bool again = true;

	if (!d) {
		rm_error(st, -errno);
		close(dfd);
		return;
	}
	/* Removing while reading can make readdir skip entries on some file
	 * systems: read until a pass removes nothing, within the budget,
	 * since someone may still be writing into the directory. */
	for (int pass = 0; again && (pass == 0 || st->extra_passes-- > 0); pass++) {
		again = false;
		rewinddir(d);
		while ((de = readdir(d))) {
			struct stat sb;

			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			/* What readdir says is not a directory is unlinked at
			 * once, without an fstatat: one call a file, as rm -rf
			 * (docs/performance.md, B4). unlinkat never follows a
			 * symlink; on a file that is a mount point it fails
			 * with EBUSY, and that entry is kept and counted as a
			 * directory on another file system would be. A name
			 * swapped for a directory since readdir (EISDIR) takes
			 * the path below. */
			if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN) {
				if (unlinkat(dfd, de->d_name, 0) == 0) {
					again = true;
					continue;
				}
				if (errno == ENOENT)
					continue;
				if (errno == EBUSY) {
					st->kept++;
					continue;
				}
				if (errno != EISDIR && errno != EPERM) {
					rm_error(st, -errno);
					continue;
				}
			}
			if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
				if (errno != ENOENT) {
					rm_error(st, -errno);
					rm_left(st, de->d_name);
				}
				continue;
			}
			if (sb.st_dev != st->dev) {
				/* A mount point (or a file on another fs): never
				 * crossed, never removed. */
				rm_kept(st, pass, de->d_name);
				continue;
			}
			if (S_ISDIR(sb.st_mode)) {
				int sub;

				if (depth >= MAX_DEPTH) {
					rm_error(st, -ELOOP);
					rm_left(st, de->d_name);
					continue;
				}
				sub = openat(dfd, de->d_name,
					     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC |
					     O_NOATIME);
				if (sub < 0 && errno == EPERM)
					sub = openat(dfd, de->d_name,
						     O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
						     O_CLOEXEC);
				if (sub < 0) {
					if (errno != ENOENT) {
						rm_error(st, -errno);
						rm_left(st, de->d_name);
					}
					continue;
				}
				/* Checked on the fd: the name may have been swapped
				 * for a mount point since fstatat. */
				if (fstat(sub, &sb) < 0 || other_mount(st, sub, &sb)) {
					close(sub);
					rm_kept(st, pass, de->d_name);
					continue;
				}
				{
					size_t len = strlen(st->rel);

					/* Past PATH_MAX (a racing rename deepening
					 * the tree) the names stay those of the
					 * parent: only the report is less precise. */
					if (len + 1 + strlen(de->d_name) < sizeof(st->rel)) {
						if (len)
							st->rel[len] = '/';
						strcpy(st->rel + len + (len ? 1 : 0), de->d_name);
					}
					rm_contents(sub, st, depth + 1);
					st->rel[len] = '\0';
				}
				if (unlinkat(dfd, de->d_name, AT_REMOVEDIR) == 0)
					again = true;
				else if (errno != ENOENT && errno != ENOTEMPTY && errno != EBUSY) {
					rm_error(st, -errno);
					rm_left(st, de->d_name);
				}
			} else if (unlinkat(dfd, de->d_name, 0) == 0) {
				again = true;
			} else if (errno != ENOENT) {
				rm_error(st, -errno);
				rm_left(st, de->d_name);
			}
		}
	}
	closedir(d);
}

int lo_release_path(const char *path, const struct lo_log *log)
{
	return lo_release_path_left(path, log, NULL, 0);
}

int lo_release_path_left(const char *path, const struct lo_log *log, char *left, size_t size)
{
	struct rm_state *st = NULL;
	struct stat sb;
	char name[NAME_MAX + 1];
	uint64_t pmnt;
	int pfd = -1, dfd, r;

	if (left && size)
		left[0] = '\0';
	/* Two PATH_MAX buffers: not on the stack of the login manager. */
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->log = log;
	st->extra_passes = EXTRA_PASSES;
	/* The parent directory and the last name; "/" itself is refused. */
	pfd = lo_open_parent_nofollow(path, O_RDONLY, name);
	if (pfd < 0) {
		r = pfd == -ENOENT ? 0 : pfd;
		pfd = -1;
		goto out;
	}
	if (fstatat(pfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
		r = errno == ENOENT ? 0 : -errno;
		goto out;
	}
	if (!S_ISDIR(sb.st_mode)) {
		r = unlinkat(pfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
		goto out;
	}
	dfd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		r = errno == ENOENT ? 0 : -errno;
		goto out;
	}
	if (fstat(dfd, &sb) < 0) {
		r = -errno;
		close(dfd);
		goto out;
	}
	st->dev = sb.st_dev;
	st->have_mnt_id = lo_fd_mount_id(dfd, &st->mnt_id) == 0;
	/* PATH itself a mount point (a bind mount over the session's
	 * directory): its contents are not the session's to remove. */
	if (st->have_mnt_id && lo_fd_mount_id(pfd, &pmnt) == 0 && pmnt != st->mnt_id) {
		close(dfd);
		lo_log(log, LOG_WARNING, "%s: a mount point; left in place, not entered", path);
		if (left && size)
			snprintf(left, size, "%s", path);
		r = -EBUSY;
		goto out;
	}
	rm_contents(dfd, st, 0);
	if (unlinkat(pfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && !st->kept)
		rm_error(st, -errno);
	if (st->kept) {
		lo_log(log, LOG_WARNING,
		       "%s: left %u entr%s on another file system or mount in place (%s%s%s)", path,
		       st->kept, st->kept == 1 ? "y" : "ies", path, st->left[0] ? "/" : "", st->left);
		r = st->err ? st->err : -EBUSY;
	} else {
		r = st->err;
		if (r < 0)
			lo_log(log, LOG_WARNING, "%s: left %s%s%s in place: %s", path, path,
			       st->left[0] ? "/" : "", st->left, strerror(-r));
	}
	if (r < 0 && left && size)
		snprintf(left, size, "%s%s%s", path, st->left[0] ? "/" : "", st->left);
out:
	if (pfd >= 0)
		close(pfd);
	free(st);
	return r;
}

int lo_release_empty_dir(const char *path)
{
	char name[NAME_MAX + 1];
	int pfd = lo_open_parent_nofollow(path, O_RDONLY, name), r = 0;

	if (pfd < 0)
		return pfd == -ENOENT ? 0 : pfd;
	/* rmdir looks the name up in the parent without crossing into a
	 * mount on it (that is -EBUSY), and removes only an empty directory. */
	if (unlinkat(pfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		r = -errno;
	close(pfd);
	return r;
}

int lo_dir_empty_here(const char *path)
{
	char name[NAME_MAX + 1];
	uint64_t pmnt, mnt;
	struct stat st;
	struct dirent *de;
	DIR *d;
	int pfd = lo_open_parent_nofollow(path, O_RDONLY, name), fd, dfd, r = 1;

	if (pfd < 0)
		return pfd;
	/* O_PATH: the file system mounted on NAME, if any, is not opened;
	 * lo_fd_mount_id asks it nothing it must wait for (statx with
	 * AT_STATX_DONT_SYNC, or fdinfo). */
	fd = openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		close(pfd);
		return r;
	}
	if (lo_fd_mount_id(pfd, &pmnt) < 0 || lo_fd_mount_id(fd, &mnt) < 0 || mnt != pmnt ||
	    fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		close(fd);
		close(pfd);
		return 0;
	}
	close(pfd);
	/* "." of the O_PATH descriptor: the same directory, on the mount
	 * just checked, whatever is mounted on NAME since. */
	dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(fd);
	if (dfd < 0)
		return -errno;
	d = fdopendir(dfd);
	if (!d) {
		r = -errno;
		close(dfd);
		return r;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			r = 0;
			break;
		}
	closedir(d);
	return r;
}

static int parse_process(const char *value, pid_t *ret_pid, unsigned long long *ret_start)
{
	char *end;
	long pid;

	errno = 0;
	pid = strtol(value, &end, 10);
	if (errno || end == value || *end != ':' || pid <= 1 || pid > INT_MAX)
		return -EINVAL;
	value = end + 1;
	*ret_start = strtoull(value, &end, 10);
	if (errno || end == value || *end)
		return -EINVAL;
	*ret_pid = (pid_t)pid;
	return 0;
}

int lo_release_process(const char *value, const struct lo_log *log)
{
	struct lo_proc_handle h;
	unsigned long long start;
	pid_t pid;
	int r;

	r = parse_process(value, &pid, &start);
	if (r < 0)
		return r;
	r = lo_proc_handle_open(pid, &h);
	if (r == -ESRCH)
		return 0;
	if (r < 0)
		return r;
	/* Another start time: the recorded process is gone and its pid now
	 * belongs to someone else. */
	if (h.start != start) {
		lo_proc_handle_close(&h);
		return 0;
	}
	if (getpgid(pid) == pid)
		r = kill(-pid, SIGKILL) < 0 && errno != ESRCH ? -errno : 0;
	else
		r = lo_proc_handle_signal(&h, SIGKILL);
	lo_proc_handle_close(&h);
	if (r == -ESRCH)
		r = 0;
	if (r == 0)
		lo_log(log, LOG_DEBUG, "process %d ended (SIGKILL)", (int)pid);
	return r;
}

int lo_keyring_serial(const char *value, int32_t *ret_serial)
{
	char *end;
	long v;

	if (!value || !isdigit((unsigned char)value[0]))
		return -EINVAL;
	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || *end || v <= 0 || v > INT32_MAX)
		return -EINVAL;
	*ret_serial = (int32_t)v;
	return 0;
}

/*
 * Key permissions are checked against the fsuid (security/keys/permission.c)
 * and root's capabilities do not bypass them: a process that does not
 * possess a user's keyring can view and revoke it only with that user's
 * fsuid. The fsuid, unlike the euid, is per thread and gives the user no
 * right to signal or trace this process (the login manager at rollback),
 * and going back to 0 restores the file capabilities it dropped.
 */
static int fsuid_enter(uid_t uid, uid_t *ret_old)
{
	uid_t old = (uid_t)setfsuid((uid_t)-1);	/* only reads it */

	*ret_old = old;
	if (old == uid)
		return 0;
	setfsuid(uid);
	if ((uid_t)setfsuid((uid_t)-1) != uid)
		return -EPERM;
	return 0;
}

static int fsuid_leave(uid_t old)
{
	setfsuid(old);
	return (uid_t)setfsuid((uid_t)-1) == old ? 0 : -EPERM;
}

/* What keyctl calls say about a key that no longer exists (or has been
 * revoked, invalidated or has expired): nothing left to release. */
static bool key_gone(int err)
{
	return err == ENOKEY || err == EKEYREVOKED || err == EKEYEXPIRED;
}

/*
 * Check (describe, as UID) that SERIAL still names a keyring owned by UID,
 * then revoke it. Returns 0 revoked, 1 nothing to revoke, or -errno.
 */
static int revoke_own_keyring(int32_t serial, uid_t uid, const struct lo_log *log)
{
	char *desc = NULL, *type, *end;
	unsigned long owner;
	int r;

	if (keyctl_describe_alloc(serial, &desc) < 0) {
		r = errno;
		if (key_gone(r) || r == ENOSYS) {
			lo_log(log, LOG_DEBUG, "keyring %d: already gone", (int)serial);
			return 1;
		}
		if (r == EACCES) {
			/* The owner of a keyring we made can always view it: the
			 * serial now names a key someone else owns. */
			lo_log(log, LOG_WARNING, "keyring %d: not viewable by uid %u, so not this "
			       "session's; left alone", (int)serial, (unsigned)uid);
			return 1;
		}
		return -r;
	}
	/* "type;uid;gid;perm;description" */
	type = desc;
	end = strchr(desc, ';');
	r = 1;
	if (!end)
		goto out;
	*end++ = '\0';
	errno = 0;
	owner = strtoul(end, &end, 10);
	if (errno || *end != ';')
		goto out;
	if (strcmp(type, "keyring") != 0 || owner != (unsigned long)uid) {
		/* Our keyring is gone and its serial was reused: never revoke
		 * someone else's key. */
		lo_log(log, LOG_WARNING, "key %d is now a %s of uid %lu, not a keyring of uid %u; "
		       "left alone", (int)serial, type, owner, (unsigned)uid);
		goto out;
	}
	/* Between the check and here the keyring could only be replaced by a
	 * new key drawing the same random 31-bit serial: not a race anyone
	 * can win on purpose. */
	if (keyctl_revoke(serial) < 0) {
		r = key_gone(errno) ? 1 : -errno;
		goto out;
	}
	lo_log(log, LOG_DEBUG, "keyring %d revoked", (int)serial);
	r = 0;
out:
	free(desc);
	return r;
}

int lo_release_keyring(const char *value, uid_t uid, const struct lo_log *log)
{
	int32_t serial;
	uid_t old;
	int r, r2;

	r = lo_keyring_serial(value, &serial);
	if (r < 0)
		return r;
	r = fsuid_enter(uid, &old);
	if (r < 0) {
		fsuid_leave(old);
		lo_log(log, LOG_ERR, "keyring %d: cannot act as uid %u", (int)serial, (unsigned)uid);
		return r;
	}
	r = revoke_own_keyring(serial, uid, log);
	r2 = fsuid_leave(old);
	if (r2 < 0) {
		lo_log(log, LOG_CRIT, "cannot restore fsuid %u", (unsigned)old);
		return r2;
	}
	return r;
}

int lo_release_subobject(int kind, const char *value, uid_t uid, const struct lo_log *log)
{
	int r;

	switch (kind) {
	case LOGOFF_SUBOBJECT_PATH:
		return lo_release_path(value, log);
	case LOGOFF_SUBOBJECT_PROCESS:
		return lo_release_process(value, log);
	case LOGOFF_SUBOBJECT_MOUNT:
		return lo_release_mount(value, lo_now_ms() + LO_MOUNT_RELEASE_MS, false, log, NULL);
	case LOGOFF_SUBOBJECT_KEYRING:
		r = lo_release_keyring(value, uid, log);
		return r < 0 ? r : 0;
	case LOGOFF_SUBOBJECT_KRB5_CCACHE:
#ifdef HAVE_KRB5
		/* Safe without the session record: the value carries the
		 * user's uid and gid (written by the krb5 provider, never
		 * taken from the user), and the cache is destroyed with those
		 * privileges only: root's only for root's own session. (The
		 * owner of the cache file would not do: a user can name another
		 * user's cache in KRB5CCNAME.) Without a user name there are
		 * no supplementary groups, which only takes privileges away. */
		{
			r = lo_release_krb5_ccache(value, NULL, log, NULL, 0);
			return r < 0 ? r : 0;
		}
#else
		/* Not built with libkrb5: nothing here can destroy it. */
		return -ENOTSUP;
#endif
	default:
		return -ENOTSUP;
	}
}
