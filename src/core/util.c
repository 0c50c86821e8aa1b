/*
 * util.c - logging and small helpers shared by the core.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

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
	 * reader would take for a priority or protocol line. */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = *p == '\t' ? ' ' : '?';
	log->fn(log->ctx, priority, buf);
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
