/*
 * testutil.h - shared fixtures for the Check unit tests: a private temp
 * dir per test, a log sink that keeps the last lines, small file helpers.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_TESTUTIL_H
#define LO_TESTUTIL_H

#include <check.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "core/conf.h"
#include "core/registry.h"
#include "core/proc.h"
#include "core/release.h"
#include "core/spawn.h"
#include "core/chain.h"
#include "core/logoff.h"
#include "providers/providers.h"

static char tu_dir[256];
static char tu_log[8192];

static inline void tu_log_fn(void *ctx, int priority, const char *msg)
{
	size_t len = strlen(tu_log);

	snprintf(tu_log + len, sizeof(tu_log) - len, "%d:%s\n", priority, msg);
}

static inline struct lo_log tu_logger(void)
{
	struct lo_log l = { .fn = tu_log_fn, .ctx = NULL, .debug = true };
	return l;
}

static inline void tu_setup(void)
{
	snprintf(tu_dir, sizeof(tu_dir), "/tmp/lo-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tu_dir));
	chmod(tu_dir, 0700);
	tu_log[0] = '\0';
}

static inline void tu_teardown(void)
{
	/* The path releaser under test doubles as the cleaner: fixtures
	 * never use it for something a test then asserts on. */
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tu_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tu_dir);
}

/* The registry fixture: a fresh registry in the test dir, and a config
 * the test loads (freed at teardown). */
static struct lo_registry *tu_reg;
static struct lo_config *tu_cfg;

static inline const char *tu_path(const char *rel);

static inline void tu_reg_setup(void)
{
	char *err = NULL;

	tu_setup();
	ck_assert_int_eq(lo_registry_open(tu_path("reg"), true, &tu_reg, &err), 0);
}

static inline void tu_reg_teardown(void)
{
	lo_registry_close(tu_reg);
	tu_reg = NULL;
	lo_config_free(tu_cfg);
	tu_cfg = NULL;
	tu_teardown();
}

/* Load CONF (logoff.conf text) against TABLE (NULL: the built-in
 * providers) into tu_cfg and return a
 * context over tu_reg that logs to tu_log. */
static inline struct lo_ctx tu_ctx(const char *conf, const struct lo_provider_entry *table)
{
	struct lo_ctx ctx;
	char *err = NULL;
	int fd;

	fd = open(tu_path("logoff.conf"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, conf, strlen(conf)), (ssize_t)strlen(conf));
	close(fd);
	ck_assert_msg(lo_config_load(tu_path("logoff.conf"), table ? table : lo_builtin_providers,
				     &tu_cfg, &err) == 0, "%s", err);
	memset(&ctx, 0, sizeof(ctx));
	ctx.config = tu_cfg;
	ctx.registry = tu_reg;
	ctx.log = tu_logger();
	ctx.privileged = geteuid() == 0;
	return ctx;
}

/* Path below the test dir. */
static inline const char *tu_path(const char *rel)
{
	static char buf[8][1024];
	static int i;
	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tu_dir, rel);
	return buf[i];
}

static inline void tu_write(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(path, mode);
}

static inline bool tu_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

#define TU_MAIN(suite_fn)                                              \
	int main(void)                                                 \
	{                                                              \
		SRunner *sr = srunner_create(suite_fn());              \
		int failed;                                            \
		srunner_set_fork_status(sr, CK_FORK);                  \
		srunner_run_all(sr, CK_NORMAL);                        \
		failed = srunner_ntests_failed(sr);                    \
		srunner_free(sr);                                      \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;           \
	}

#endif
