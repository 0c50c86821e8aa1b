/*
 * release_mount.c - the core's mount table reader and mount releaser: a mount is
 * unmounted only through a directory fd reached without following any
 * symlink, and only while the mount at the name is still the one meant.
 *
 * Why through the parent directory: an O_PATH fd on the mount's own root
 * pins the mount, so umount2("/proc/self/fd/N") on it fails with EBUSY
 * (it only works with MNT_DETACH). An O_PATH fd on the directory that
 * holds the mount point pins the parent mount instead, and
 * umount2("/proc/self/fd/P/NAME", UMOUNT_NOFOLLOW) then unmounts the mount
 * on NAME: the magic link is followed to the fd's directory, the last
 * component never through a symlink.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "core/release.h"

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif
#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif
#ifndef UMOUNT_NOFOLLOW
#define UMOUNT_NOFOLLOW 0x00000008
#endif

/* Busy unmounts are retried after BACKOFF_FIRST_MS, doubling up to
 * BACKOFF_MAX_MS, until the deadline. */
#define BACKOFF_FIRST_MS 50
#define BACKOFF_MAX_MS 1000

/* ----------------------------------------------------------- mountinfo */

/* Undo the octal escapes (\040 space, \011 tab, \012 newline, \134
 * backslash) of a mountinfo field, in place. */
static void unescape(char *s)
{
	char *w = s;

	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			char c = (char)((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0'));
			if (c) {
				*w++ = c;
				p += 3;
				continue;
			}
		}
		*w++ = *p;
	}
	*w = '\0';
}

/* Parse one line (modified in place) into M. */
static int parse_line(char *line, struct lo_mount *m)
{
	char *sep = strstr(line, " - "), *tok[6], *save = NULL, *p, *fstype, *super, *end;
	unsigned long id, parent;
	int n = 0;

	if (!sep)
		return -EBADMSG;
	*sep = '\0';
	fstype = sep + 3;
	for (p = strtok_r(line, " ", &save); p && n < 6; p = strtok_r(NULL, " ", &save))
		tok[n++] = p;
	if (n < 6)
		return -EBADMSG;
	/* After the separator: fstype, source (which may be empty), super
	 * options; none holds an unescaped space. */
	end = strchr(fstype, ' ');
	super = strrchr(fstype, ' ');
	if (!end || !super)
		return -EBADMSG;
	*end = '\0';
	super++;
	errno = 0;
	id = strtoul(tok[0], &p, 10);
	if (errno || *p || id > UINT_MAX)
		return -EBADMSG;
	parent = strtoul(tok[1], &p, 10);
	if (errno || *p || parent > UINT_MAX)
		return -EBADMSG;
	unescape(tok[4]);
	unescape(fstype);
	unescape(super);
	m->id = (unsigned)id;
	m->parent = (unsigned)parent;
	m->target = strdup(tok[4]);
	m->fstype = strdup(fstype);
	m->super_options = strdup(super);
	if (!m->target || !m->fstype || !m->super_options)
		return -ENOMEM;
	return 0;
}

int lo_mountinfo_read(const char *file, struct lo_mount **ret, size_t *ret_n)
{
	FILE *f = fopen(file ? file : "/proc/self/mountinfo", "re");
	struct lo_mount *v = NULL;
	size_t n = 0, cap = 0, len = 0;
	char *line = NULL;
	int r = 0;

	*ret = NULL;
	*ret_n = 0;
	if (!f)
		return -errno;
	while (getline(&line, &len, f) > 0) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (n == cap) {
			size_t c = cap ? cap * 2 : 64;
			struct lo_mount *nv = realloc(v, c * sizeof(*nv));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
			cap = c;
		}
		memset(&v[n], 0, sizeof(v[n]));
		r = parse_line(line, &v[n]);
		n++;
		if (r < 0)
			break;
	}
	if (r == 0 && ferror(f))
		r = -EIO;
	free(line);
	fclose(f);
	if (r < 0) {
		lo_mountinfo_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

void lo_mountinfo_free(struct lo_mount *m, size_t n)
{
	if (!m)
		return;
	for (size_t i = 0; i < n; i++) {
		free(m[i].target);
		free(m[i].fstype);
		free(m[i].super_options);
	}
	free(m);
}

bool lo_mount_path_valid(const char *path)
{
	size_t len = path ? strlen(path) : 0;
	const char *c;

	if (len < 2 || len >= PATH_MAX || path[0] != '/' || path[len - 1] == '/')
		return false;
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	/* Every component: not empty, not "." or "..". */
	for (c = path + 1;; ) {
		const char *e = strchr(c, '/');
		size_t l = e ? (size_t)(e - c) : strlen(c);

		if (l == 0 || l > NAME_MAX || (l == 1 && c[0] == '.') ||
		    (l == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!e)
			break;
		c = e + 1;
	}
	return true;
}

/* ------------------------------------------------------------- opening */

/* The mount id of the O_PATH fd FD from /proc/self/fdinfo (Linux 3.15),
 * for kernels whose statx has no STATX_MNT_ID (before 5.8). */
static int fdinfo_mnt_id(int fd, uint64_t *ret)
{
	char path[64], line[256];
	FILE *f;
	int r = -ENOTSUP;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *end;
		unsigned long long v;

		if (strncmp(line, "mnt_id:", 7) != 0)
			continue;
		/* strtoull, unlike sscanf, reports an out-of-range id. */
		errno = 0;
		v = strtoull(line + 7, &end, 10);
		if (end != line + 7 && !errno && (*end == '\n' || *end == '\0')) {
			*ret = v;
			r = 0;
		}
		break;
	}
	fclose(f);
	return r;
}

/* The mount id of NAME in directory PFD (not followed), from the fdinfo
 * of an O_PATH descriptor: the file system is asked nothing. */
static int name_mount_id(int pfd, const char *name, uint64_t *ret)
{
	int fd = openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = fdinfo_mnt_id(fd, ret);
	close(fd);
	return r;
}

int lo_fd_mount_id(int fd, uint64_t *ret)
{
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID, &sx) == 0 &&
	    (sx.stx_mask & STATX_MNT_ID)) {
		*ret = sx.stx_mnt_id;
		return 0;
	}
	return fdinfo_mnt_id(fd, ret);
}

/*
 * mount_at for a NAME that refuses stat: the mount id from the fdinfo of
 * an O_PATH, O_NOFOLLOW descriptor, the mount root when that differs from
 * PFD's mount. A symlink at NAME opens as itself, on PFD's mount, so it
 * is never taken for a mount root. No unique id (0).
 */
static int mount_at_opath(int pfd, const char *name, uint64_t *ret_id, uint64_t *ret_unique,
			  bool *ret_root)
{
	uint64_t pid;
	int r = name_mount_id(pfd, name, ret_id);

	if (r < 0)
		return r;
	r = lo_fd_mount_id(pfd, &pid);
	if (r < 0)
		return r;
	*ret_root = pid != *ret_id;
	*ret_unique = 0;
	return 0;
}

/*
 * What is at NAME in directory PFD, never following NAME if it is a
 * symlink and never asking a FUSE server (AT_STATX_DONT_SYNC): the id of
 * the topmost mount there, its unique id (0 when the kernel has none,
 * before Linux 6.8), and whether NAME is that mount's root.
 */
static int mount_at(int pfd, const char *name, uint64_t *ret_id, uint64_t *ret_unique,
		    bool *ret_root)
{
	const int at = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_DONT_SYNC;
	struct statx sx;
	bool have_root;

	if (statx(pfd, name, at, STATX_TYPE | STATX_MNT_ID, &sx) < 0) {
		if (errno != EACCES)
			return -errno;
		/* A FUSE mount made without allow_other (as users' are)
		 * answers no stat but its owner's, root's included
		 * (fuse_allow_current_process): see it through an O_PATH
		 * descriptor, which asks the file system nothing. */
		return mount_at_opath(pfd, name, ret_id, ret_unique, ret_root);
	}
	if (S_ISLNK(sx.stx_mode))
		return -ELOOP;
	have_root = sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT;
	*ret_root = sx.stx_attributes & STATX_ATTR_MOUNT_ROOT;
	if (sx.stx_mask & STATX_MNT_ID) {
		*ret_id = sx.stx_mnt_id;
	} else {
		int r = name_mount_id(pfd, name, ret_id);

		if (r < 0)
			return r;
	}
	if (!have_root) {
		/* NAME is an entry of PFD's directory: it is on another
		 * mount than the directory exactly when it is a mount root. */
		uint64_t pid = 0;
		int r = lo_fd_mount_id(pfd, &pid);

		if (r < 0)
			return r;
		*ret_root = pid != *ret_id;
	}
	*ret_unique = 0;
	if (statx(pfd, name, at, STATX_MNT_ID_UNIQUE, &sx) == 0 &&
	    (sx.stx_mask & STATX_MNT_ID_UNIQUE))
		*ret_unique = sx.stx_mnt_id;
	return 0;
}

/* --------------------------------------------------------------- values */

int lo_mount_value(const char *target, unsigned id, char *buf, size_t size)
{
	char name[NAME_MAX + 1];
	uint64_t top, unique;
	bool root;
	int pfd, r;

	if (!lo_mount_path_valid(target))
		return -EINVAL;
	pfd = lo_open_parent_nofollow(target, O_PATH, name);
	if (pfd < 0)
		return pfd;
	r = mount_at(pfd, name, &top, &unique, &root);
	close(pfd);
	if (r < 0)
		return r;
	if (top != id || !root)
		return -ESTALE;
	if ((size_t)snprintf(buf, size, "%u:%" PRIu64 ":%s", id, unique, target) >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* "ID:UNIQUE:PATH" -> its parts; PATH points into VALUE. */
static int parse_value(const char *value, unsigned *ret_id, uint64_t *ret_unique,
		       const char **ret_path)
{
	unsigned long long id, unique;
	char *end;

	if (!value || value[0] < '0' || value[0] > '9')
		return -EINVAL;
	errno = 0;
	id = strtoull(value, &end, 10);
	if (errno || *end != ':' || id == 0 || id > UINT_MAX || end[1] < '0' || end[1] > '9')
		return -EINVAL;
	unique = strtoull(end + 1, &end, 10);
	if (errno || *end != ':' || !lo_mount_path_valid(end + 1))
		return -EINVAL;
	*ret_id = (unsigned)id;
	*ret_unique = unique;
	*ret_path = end + 1;
	return 0;
}

/* ------------------------------------------------------------ unmounting */

/*
 * One attempt to unmount the mount ID (UNIQUE, when not 0) at PATH with
 * umount2 FLAGS. *RET_HOW: LO_UMOUNT_GONE when that mount is no longer
 * mounted at PATH (unmounted by someone else, or its id now names another
 * mount), else what this call did. -EBUSY when it is busy or another
 * mount covers it.
 */
static int umount_once(const char *path, unsigned id, uint64_t unique, int flags, int *ret_how)
{
	struct lo_mount *m = NULL;
	size_t n = 0;
	bool listed = false;
	char name[NAME_MAX + 1];
	char proc[64 + NAME_MAX];
	uint64_t top = 0, uq = 0;
	bool root;
	int pfd, r;

	*ret_how = LO_UMOUNT_GONE;
	r = lo_mountinfo_read(NULL, &m, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && !listed; i++)
		listed = m[i].id == id && strcmp(m[i].target, path) == 0;
	lo_mountinfo_free(m, n);
	if (!listed)
		return 0;
	pfd = lo_open_parent_nofollow(path, O_PATH, name);
	if (pfd < 0)
		return pfd;
	r = mount_at(pfd, name, &top, &uq, &root);
	if (r < 0)
		goto out;
	if (top != id) {
		r = -EBUSY;	/* another mount on top of it */
		goto out;
	}
	if (unique && uq && uq != unique)
		goto out;	/* the id was reused by a newer mount */
	if (!root) {
		r = -ESTALE;
		goto out;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", pfd, name);
	if (umount2(proc, UMOUNT_NOFOLLOW | flags) == 0)
		*ret_how = flags & MNT_DETACH ? LO_UMOUNT_DETACHED : LO_UMOUNT_UNMOUNTED;
	else if (errno != EINVAL)	/* EINVAL: unmounted since the check */
		r = -errno;
out:
	close(pfd);
	return r;
}

int lo_release_mount(const char *value, int64_t deadline_ms, bool lazy, const struct lo_log *log,
		     int *ret_how)
{
	const char *path;
	unsigned id;
	uint64_t unique;
	int64_t delay = BACKOFF_FIRST_MS;
	int how = LO_UMOUNT_GONE, r;

	if (ret_how)
		*ret_how = LO_UMOUNT_GONE;
	r = parse_value(value, &id, &unique, &path);
	if (r < 0)
		return r;
	for (;;) {
		int64_t left;

		r = umount_once(path, id, unique, 0, &how);
		if (r != -EBUSY)
			break;
		left = deadline_ms - lo_now_ms();
		if (left <= 0)
			break;
		if (delay > left)
			delay = left;
		{
			struct timespec ts = { delay / 1000, (delay % 1000) * 1000000L };
			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
		delay = delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay * 2;
	}
	if (r == -EBUSY && lazy) {
		r = umount_once(path, id, unique, MNT_DETACH, &how);
		if (r == 0 && how == LO_UMOUNT_DETACHED)
			lo_log(log, LOG_WARNING, "%s was busy; detached (MNT_DETACH)", path);
	}
	if (r == 0 && how == LO_UMOUNT_UNMOUNTED)
		lo_log(log, LOG_DEBUG, "%s unmounted", path);
	if (ret_how)
		*ret_how = how;
	return r;
}
