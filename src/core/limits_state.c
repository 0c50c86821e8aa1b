/*
 * limits_state.c - the warning state `logoff --limits` keeps per session
 * between sweeps, one small file per session under <registry>/limits;
 * see limits.h.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/limits.h"
#include "core/registry.h"
#include "core/util.h"

/* A whole number >= 0 at *P, then one space or the end of the line;
 * *P moves past it. strtoll, so an overflow is an error, not a wrap. */
static int parse_number(const char **p, long long *ret)
{
	char *end;

	if (!isdigit((unsigned char)**p))
		return -EBADMSG;
	errno = 0;
	*ret = strtoll(*p, &end, 10);
	if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
		return -EBADMSG;
	*p = end;
	return 0;
}

/* "warned T KIND [INPUT]\n" into *RET_AT, KIND (SIZE bytes), *RET_INPUT
 * (0 when absent). */
static int parse_state(const char *buf, long long *ret_at, char *kind, size_t size,
		       long long *ret_input)
{
	const char *p = buf;
	size_t len;

	*ret_input = 0;
	if (strncmp(p, "warned ", 7) != 0)
		return -EBADMSG;
	p += 7;
	if (parse_number(&p, ret_at) < 0 || *ret_at <= 0 || *p != ' ')
		return -EBADMSG;
	p++;
	len = strcspn(p, " \n");
	if (len == 0 || len >= size)
		return -EBADMSG;
	memcpy(kind, p, len);
	kind[len] = '\0';
	p += len;
	if (*p == ' ') {
		p++;
		if (parse_number(&p, ret_input) < 0)
			return -EBADMSG;
	}
	return *p == '\n' || *p == '\0' ? 0 : -EBADMSG;
}

int lo_limits_state_read(int dirfd, const char *id, struct lo_limits_state *ret)
{
	char buf[128], kind[16];
	struct stat st;
	long long at, input = 0;
	ssize_t n;
	int fd, r = -EBADMSG;

	if (!lo_id_valid(id))
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	/* O_NONBLOCK: a FIFO planted here must not hang the sweep. */
	fd = openat(dirfd, id, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno == ELOOP ? -EPERM : -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	/* Only a file this process (root) wrote: anything else in a
	 * directory that should hold nothing else is not trusted. */
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != geteuid() ||
	    (st.st_mode & 077)) {
		r = -EPERM;
		goto out;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		goto out;
	buf[n] = '\0';
	if (parse_state(buf, &at, kind, sizeof(kind), &input) < 0)
		goto out;
	if (strcmp(kind, "idle") == 0)
		ret->warned_for = LO_LIMIT_IDLE;
	else if (strcmp(kind, "disconnected") == 0)
		ret->warned_for = LO_LIMIT_DISCONNECTED;
	else if (strcmp(kind, "active") == 0)
		ret->warned_for = LO_LIMIT_ACTIVE;
	else
		goto out;
	ret->warned_at = (time_t)at;
	ret->input_at = (time_t)input;
	r = 0;
out:
	close(fd);
	if (r < 0)
		memset(ret, 0, sizeof(*ret));
	return r;
}

int lo_limits_state_write(int dirfd, const char *id, const struct lo_limits_state *state)
{
	char tmp[LO_ID_MAX + 16], buf[128];
	int fd, len, r;

	if (!lo_id_valid(id) || state->warned_for == LO_LIMIT_NONE || state->warned_at <= 0)
		return -EINVAL;
	snprintf(tmp, sizeof(tmp), ".%s.tmp", id);
	len = snprintf(buf, sizeof(buf), "warned %lld %s %lld\n", (long long)state->warned_at,
		       lo_limit_kind_name(state->warned_for),
		       (long long)(state->input_at > 0 ? state->input_at : 0));
	/* A leftover of a crashed sweep (ours: the directory is root's). */
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	r = lo_write_all(fd, buf, (size_t)len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && renameat(dirfd, tmp, dirfd, id) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dirfd, tmp, 0);
	return r;
}

int lo_limits_state_remove(int dirfd, const char *id)
{
	if (!lo_id_valid(id))
		return -EINVAL;
	return unlinkat(dirfd, id, 0) < 0 ? -errno : 0;
}
