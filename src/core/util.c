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
