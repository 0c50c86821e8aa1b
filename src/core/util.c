/*
 * util.c - logging and small helpers shared by the core.
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"

void lo_logv(const struct lo_log *log, int priority, const char *fmt, va_list ap)
{
	char buf[1024];

	if (!log || !log->fn)
		return;
	if (priority == LOG_DEBUG && !log->debug)
		return;
	/* vsnprintf expands %m from errno, as syslog(3) does. */
	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* One line, no control characters: a logged string (a path, a
	 * user's value) can never start a line of its own, which the helper's
	 * reader would take for a priority or protocol line, nor drive the
	 * terminal of an administrator reading the log (a C1 CSI). */
	lo_text_safe(buf, sizeof(buf), buf);
	log->fn(log->ctx, priority, buf);
}

size_t lo_text_char(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned cp;
	size_t n;

	if (u[0] >= 0x20 && u[0] < 0x7f)
		return 1;
	/* 0xc0, 0xc1 and 0xf5.. never start a sequence (RFC 3629 s. 3);
	 * 0x80..0xbf only continue one, so a raw C1 byte is refused here. */
	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		n = 2, cp = u[0] & 0x1f;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		n = 3, cp = u[0] & 0x0f;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		n = 4, cp = u[0] & 0x07;
	else
		return 0;
	/* A NUL is not a continuation byte: never read past the string. */
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (u[i] & 0x3f);
	}
	/* C1 controls (below U+00A0), overlong forms, surrogates and code
	 * points past U+10FFFF. */
	if (cp < 0xa0 || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* Invisible format characters that reorder or hide what an admin
	 * reads ("Trojan Source", CVE-2021-42574): the bidirectional
	 * embeddings, overrides and isolates, the zero-width ones, the
	 * line and paragraph separators, the Arabic letter mark and the
	 * byte order mark (Unicode's Cf and Zl/Zp classes, UAX #9). */
	if (cp == 0x61c || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff)
		return 0;
	return n;
}

size_t lo_text_safe(char *buf, size_t size, const char *text)
{
	size_t r = 0, w = 0;

	if (size == 0)
		return 0;
	/* W never passes R (one byte out per byte in), so BUF may be TEXT. */
	while (text[r]) {
		size_t n = lo_text_char(text + r);

		if (n == 0) {
			if (w + 1 >= size)
				break;
			buf[w++] = text[r] == '\t' ? ' ' : '?';
			r++;
			continue;
		}
		if (w + n >= size)
			break;
		memmove(buf + w, text + r, n);
		w += n;
		r += n;
	}
	buf[w] = '\0';
	return w;
}

void lo_log(const struct lo_log *log, int priority, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	errno = saved;
	lo_logv(log, priority, fmt, ap);
	va_end(ap);
	errno = saved;
}

void lo_log_stderr(void *ctx, int priority, const char *msg)
{
	fprintf(stderr, "%s: %s%s\n", ctx ? (const char *)ctx : "logoff",
		priority <= LOG_ERR ? "error: " : priority == LOG_WARNING ? "warning: " : "", msg);
}

char *lo_strdupf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

int lo_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int64_t lo_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool lo_stat_trusted(const struct stat *st, uid_t also)
{
	if (st->st_mode & 022)
		return false;
	return st->st_uid == 0 || (also != 0 && st->st_uid == also);
}

/* A directory on the way to a trusted file: trusted itself, or sticky
 * (see lo_path_trusted) with a trusted owner. */
static bool dir_trusted(const struct stat *st, uid_t also)
{
	struct stat owner_only = *st;

	if (!(st->st_mode & S_ISVTX))
		return lo_stat_trusted(st, also);
	owner_only.st_mode &= ~(mode_t)022;
	return lo_stat_trusted(&owner_only, also);
}

int lo_path_trusted(const char *path, uid_t also, char **ret_path, char **ret_error)
{
	char *real = NULL, *walk = NULL, *save = NULL;
	struct stat st;
	int fd = -1, ret = -EINVAL;

	*ret_path = NULL;
	*ret_error = NULL;
	if (!path || path[0] != '/') {
		*ret_error = strdup("not an absolute path");
		goto out;
	}
	real = realpath(path, NULL);
	if (!real) {
		ret = -errno;
		*ret_error = strdup(strerror(-ret));
		goto out;
	}
	walk = strdup(real);
	if (!walk) {
		ret = -ENOMEM;
		goto out;
	}
	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		ret = -errno;
		*ret_error = lo_strdupf("/: %s", strerror(-ret));
		goto out;
	}
	if (!dir_trusted(&st, also)) {
		ret = -EPERM;
		*ret_error = strdup("directory / is not owned by root or is writable by group or "
				    "others");
		goto out;
	}
	/* Each component opened below the one checked before it: the walk
	 * sees the same inodes it checks, and a symlink put in since
	 * realpath(3) is refused, not followed. */
	for (char *c = strtok_r(walk, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		/* strtok_r ends C with a NUL where a '/' was: the prefix of
		 * REAL reached so far is UPTO bytes, as WALK is a copy. */
		int upto = (int)(c + strlen(c) - walk);
		bool last = (size_t)upto == strlen(real);
		int next = openat(fd, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);

		if (next < 0 || fstat(next, &st) < 0) {
			ret = -errno;
			if (next >= 0)
				close(next);
			*ret_error = lo_strdupf("%.*s: %s", upto, real, strerror(-ret));
			goto out;
		}
		close(fd);
		fd = next;
		ret = -EPERM;
		if (S_ISLNK(st.st_mode)) {
			*ret_error = lo_strdupf("%.*s became a symlink", upto, real);
			goto out;
		}
		if (!last && !(S_ISDIR(st.st_mode) && dir_trusted(&st, also))) {
			*ret_error = lo_strdupf("directory %.*s is not owned by %s or is writable "
						"by group or others", upto, real,
						also ? "root or the caller" : "root");
			goto out;
		}
		if (last && !S_ISREG(st.st_mode)) {
			*ret_error = lo_strdupf("%s is not a regular file", real);
			goto out;
		}
		if (last && !lo_stat_trusted(&st, also)) {
			*ret_error = lo_strdupf("%s is not owned by %s or is writable by group or "
						"others", real,
						also ? "root or the caller" : "root");
			goto out;
		}
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EPERM;
		*ret_error = lo_strdupf("%s is not a regular file", real);
		goto out;
	}
	*ret_path = real;
	real = NULL;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(real);
	free(walk);
	return ret;
}

int lo_nofile_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur >= rl.rlim_max)
		return 0;
	rl.rlim_cur = rl.rlim_max;
	return setrlimit(RLIMIT_NOFILE, &rl) < 0 ? -errno : 0;
}

/* ------------------------------------------------- no-symlink opening */

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef RESOLVE_NO_MAGICLINKS
#define RESOLVE_NO_MAGICLINKS 0x02
#endif
#ifndef RESOLVE_NO_SYMLINKS
#define RESOLVE_NO_SYMLINKS 0x04
#endif

/* struct open_how of openat2(2), declared here: <linux/openat2.h> is
 * missing from older kernel headers. */
struct lo_open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};

/* True for an absolute PATH shorter than PATH_MAX without a "." or ".."
 * component. */
static bool dir_path_valid(const char *path)
{
	if (!path || path[0] != '/' || strlen(path) >= PATH_MAX)
		return false;
	for (const char *c = path; *c; ) {
		size_t l = strcspn(c, "/");

		if ((l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += l;
		c += *c == '/';
	}
	return true;
}

int lo_open_dir_walk(const char *path, int flags)
{
	int how = flags | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	char *copy, *save = NULL;
	int fd, r = 0;

	if ((flags != O_PATH && flags != O_RDONLY) || !dir_path_valid(path))
		return -EINVAL;
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	fd = open("/", flags | O_DIRECTORY | O_CLOEXEC);
	for (char *c = strtok_r(copy, "/", &save); fd >= 0 && c; c = strtok_r(NULL, "/", &save)) {
		int next = openat(fd, c, how);

		if (next < 0) {
			struct stat st;

			r = -errno;
			/* O_DIRECTORY|O_NOFOLLOW on a symlink says ENOTDIR. */
			if (r == -ENOTDIR && fstatat(fd, c, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode))
				r = -ELOOP;
		}
		close(fd);
		fd = next;
	}
	if (fd < 0 && r == 0)
		r = -errno;
	free(copy);
	return r < 0 ? r : fd;
}

int lo_open_dir_nofollow(const char *path, int flags)
{
	struct lo_open_how how = {
		.flags = (uint64_t)(flags | O_DIRECTORY | O_CLOEXEC),
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	if ((flags != O_PATH && flags != O_RDONLY) || !dir_path_valid(path))
		return -EINVAL;
	fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	if (fd >= 0)
		return fd;
	if (errno != ENOSYS && errno != EPERM)	/* EPERM: a seccomp filter */
		return -errno;
	return lo_open_dir_walk(path, flags);
}

int lo_open_parent_nofollow(const char *path, int flags, char *ret_name)
{
	char parent[PATH_MAX];
	const char *slash;
	size_t plen;

	if (!dir_path_valid(path))
		return -EINVAL;
	slash = strrchr(path, '/');
	if (!slash[1] || strlen(slash + 1) > NAME_MAX)
		return -EINVAL;
	strcpy(ret_name, slash + 1);
	plen = slash == path ? 1 : (size_t)(slash - path);
	memcpy(parent, path, plen);
	parent[plen] = '\0';
	return lo_open_dir_nofollow(parent, flags);
}
