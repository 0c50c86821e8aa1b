/*
 * check_config.c - logoff.conf parsing: defaults, drop-in order, and every
 * error path naming file, line and key.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include "testutil.h"

static struct lo_config *load_ok(const char *text)
{
	struct lo_config *c = NULL;
	char *err = NULL;
	int r;

	tu_write(tu_path("logoff.conf"), text, 0644);
	r = lo_config_load(tu_path("logoff.conf"), lo_builtin_providers, &c, &err);
	ck_assert_msg(r == 0, "load failed: %s", err ? err : "?");
	ck_assert_ptr_null(err);
	return c;
}

/* Load TEXT, expect failure R and a message containing each of NEEDLES. */
static void load_fails(const char *text, int expect, const char *n1, const char *n2)
{
	struct lo_config *c = NULL;
	char *err = NULL;
	int r;

	tu_write(tu_path("logoff.conf"), text, 0644);
	r = lo_config_load(tu_path("logoff.conf"), lo_builtin_providers, &c, &err);
	ck_assert_int_eq(r, expect);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, n1), "'%s' not in '%s'", n1, err);
	if (n2)
		ck_assert_msg(strstr(err, n2), "'%s' not in '%s'", n2, err);
	free(err);
}

START_TEST(test_missing_file_gives_defaults)
{
	struct lo_config *c = NULL;
	char *err = NULL;

	ck_assert_int_eq(lo_config_load(tu_path("nothing.conf"), lo_builtin_providers, &c, &err), 0);
	ck_assert_str_eq(c->registry, "/run/logoff");
	ck_assert_uint_eq(c->timeout, 30);
	ck_assert_uint_eq(c->n_providers, 3);
	ck_assert_str_eq(c->providers[0], "tmpdir");
	ck_assert_str_eq(c->providers[2], "hooks");
	ck_assert_str_eq(lo_config_value(c, "processes", "grace"), "5");
	ck_assert_str_eq(lo_config_value(c, "tmpdir", "base"), "/tmp/logoff");
	ck_assert_ptr_null(lo_config_value(c, "tmpdir", "nonesuch"));
	lo_config_free(c);
}
END_TEST

START_TEST(test_values_and_comments)
{
	struct lo_config *c = load_ok("[logoff]\n"
				      "registry = /run/x\n"
				      "providers = hooks, tmpdir   # logon order\n"
				      "timeout = 7 ; inline\n"
				      "required = tmpdir\n"
				      "[processes]\n"
				      "grace = 2\n"
				      "keep_commands = tmux screen\n");
	ck_assert_str_eq(c->registry, "/run/x");
	ck_assert_uint_eq(c->n_providers, 2);
	ck_assert_str_eq(c->providers[0], "hooks");
	ck_assert_str_eq(c->providers[1], "tmpdir");
	ck_assert_uint_eq(c->timeout, 7);
	ck_assert(lo_config_required(c, "tmpdir"));
	ck_assert(!lo_config_required(c, "hooks"));
	ck_assert_str_eq(lo_config_value(c, "processes", "grace"), "2");
	ck_assert(lo_list_contains(lo_config_value(c, "processes", "keep_commands"), "screen"));
	ck_assert(!lo_list_contains(lo_config_value(c, "processes", "keep_commands"), "scr"));
	lo_config_free(c);
}
END_TEST

START_TEST(test_dropins_lexical_later_wins)
{
	struct lo_config *c = NULL;
	char *err = NULL;

	tu_write(tu_path("logoff.conf"), "[processes]\ngrace = 1\n", 0644);
	ck_assert_int_eq(mkdir(tu_path("logoff.conf.d"), 0755), 0);
	tu_write(tu_path("logoff.conf.d/20-b.conf"), "[processes]\ngrace = 3\n", 0644);
	tu_write(tu_path("logoff.conf.d/10-a.conf"), "[processes]\ngrace = 2\n", 0644);
	tu_write(tu_path("logoff.conf.d/30-c.conf.dpkg-old"), "[bogus]\n", 0644);
	ck_assert_int_eq(lo_config_load(tu_path("logoff.conf"), lo_builtin_providers, &c, &err), 0);
	ck_assert_str_eq(lo_config_value(c, "processes", "grace"), "3");
	lo_config_free(c);

	tu_write(tu_path("logoff.conf.d/40-bad.conf"), "[processes]\n\ngrace = soon\n", 0644);
	ck_assert_int_eq(lo_config_load(tu_path("logoff.conf"), lo_builtin_providers, &c, &err), -EINVAL);
	ck_assert_msg(strstr(err, "logoff.conf.d/40-bad.conf:3:"), "%s", err);
	free(err);
}
END_TEST

START_TEST(test_errors_name_file_line_key)
{
	load_fails("[logoff]\n[nonesuch]\nx = 1\n", -EINVAL, "logoff.conf:2: unknown section",
		   "[nonesuch]");
	load_fails("[logoff]\ntimeout = 5\n  [empty-unknown]\n", -EINVAL, "logoff.conf:3: unknown section",
		   "[empty-unknown]");
	load_fails("[logoff]\nproviders = tmpdir hooks tmpdir\n", -EINVAL, ":2: [logoff] providers",
		   "'tmpdir' is listed twice");
	{
		char text[1024] = "[logoff]\nproviders =";
		for (int i = 0; i < LO_MAX_PROVIDERS + 1; i++)
			strcat(text, " x");
		strcat(text, "\n");
		load_fails(text, -E2BIG, ":2:", "too many providers");
	}
	load_fails("[logoff]\n\nfoo = 1\n", -EINVAL, "logoff.conf:3: unknown key 'foo'", "[logoff]");
	load_fails("[logoff]\ntimeout = 30s\n", -EINVAL, "logoff.conf:2: [logoff] timeout", "seconds");
	load_fails("[logoff]\ntimeout = 86401\n", -EINVAL, ":2:", "timeout");
	load_fails("[logoff]\ntimeout = 0\n", -EINVAL, ":2:", "at least 1 second");
	load_fails("[logoff]\ntimeout = 00\n", -EINVAL, ":2:", "at least 1 second");
	load_fails("[logoff]\nproviders = tmpdir frobnicate\n", -EINVAL, ":2:", "unknown provider");
	load_fails("[logoff]\nregistry = run/logoff\n", -EINVAL, "registry", "absolute");
	load_fails("[processes]\nmatch = everything\n", -EINVAL, ":2: [processes] match",
		   "allowed values");
	load_fails("[hooks]\nrun_as = nobody\n", -EINVAL, "run_as", NULL);
	load_fails("[logoff]\nthis is not ini\n", -EINVAL, "logoff.conf:2: syntax error", NULL);
	load_fails("[logoff]\nproviders = tmpdir\nrequired = hooks\n", -EINVAL, "required",
		   "'hooks'");
}
END_TEST

START_TEST(test_unsafe_files_refused)
{
	struct lo_config *c = NULL;
	char *err = NULL;

	tu_write(tu_path("real.conf"), "[logoff]\n", 0644);
	ck_assert_int_eq(symlink(tu_path("real.conf"), tu_path("logoff.conf")), 0);
	ck_assert_int_eq(lo_config_load(tu_path("logoff.conf"), lo_builtin_providers, &c, &err), -ELOOP);
	ck_assert_msg(strstr(err, "symlink"), "%s", err);
	free(err);
	unlink(tu_path("logoff.conf"));

	if (geteuid() == 0) {
		tu_write(tu_path("logoff.conf"), "[logoff]\n", 0666);
		ck_assert_int_eq(lo_config_load(tu_path("logoff.conf"), lo_builtin_providers, &c, &err), -EPERM);
		ck_assert_msg(strstr(err, "logoff.conf") && strstr(err, "writable"), "%s", err);
		free(err);
		chmod(tu_path("logoff.conf"), 0644);
		ck_assert_int_eq(chown(tu_path("logoff.conf"), 65534, 0), 0);
		ck_assert_int_eq(lo_config_load(tu_path("logoff.conf"), lo_builtin_providers, &c, &err), -EPERM);
		ck_assert_msg(strstr(err, "not owned by root"), "%s", err);
		free(err);
		ck_assert_int_eq(chown(tu_path("logoff.conf"), 0, 0), 0);
		/* A drop-in directory anyone can write is refused too. */
		ck_assert_int_eq(mkdir(tu_path("logoff.conf.d"), 0777), 0);
		chmod(tu_path("logoff.conf.d"), 0777);
		ck_assert_int_eq(lo_config_load(tu_path("logoff.conf"), lo_builtin_providers, &c, &err), -EPERM);
		ck_assert_msg(strstr(err, "logoff.conf.d") && strstr(err, "drop-in"), "%s", err);
		free(err);
	}
	/* A drop-in directory that is a symlink is refused, as root or not. */
	rmdir(tu_path("logoff.conf.d"));
	ck_assert_int_eq(mkdir(tu_path("elsewhere"), 0755), 0);
	ck_assert_int_eq(symlink(tu_path("elsewhere"), tu_path("logoff.conf.d")), 0);
	ck_assert_int_lt(lo_config_load(tu_path("logoff.conf"), lo_builtin_providers, &c, &err), 0);
	ck_assert_msg(strstr(err, "logoff.conf.d") && strstr(err, "symlink"), "%s", err);
	free(err);
	/* lo_config_check keeps the main file's errors when the drop-in
	 * directory is refused after it: both are named. */
	tu_write(tu_path("logoff.conf"), "[logoff]\ntimeout = soon\n", 0644);
	ck_assert_int_lt(lo_config_check(tu_path("logoff.conf"), lo_builtin_providers, &err), 0);
	ck_assert_msg(err && strstr(err, "logoff.conf:2") && strstr(err, "timeout") &&
		      strstr(err, "logoff.conf.d") && strstr(err, "symlink"), "%s", err);
	free(err);
}
END_TEST

START_TEST(test_parse_helpers)
{
	unsigned u;
	bool b;
	char *w[2];

	ck_assert_int_eq(lo_parse_seconds("0", &u), 0);
	ck_assert_int_eq(lo_parse_seconds("86400", &u), 0);
	ck_assert_uint_eq(u, 86400);
	ck_assert_int_eq(lo_parse_seconds("-1", &u), -EINVAL);
	ck_assert_int_eq(lo_parse_seconds("", &u), -EINVAL);
	ck_assert_int_eq(lo_parse_bool("Yes", &b), 0);
	ck_assert(b);
	ck_assert_int_eq(lo_parse_bool("off", &b), 0);
	ck_assert(!b);
	ck_assert_int_eq(lo_parse_bool("maybe", &b), -EINVAL);
	ck_assert_int_eq(lo_split_list("a b c", w, 2), -E2BIG);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
	tcase_add_test(tc, test_missing_file_gives_defaults);
	tcase_add_test(tc, test_values_and_comments);
	tcase_add_test(tc, test_dropins_lexical_later_wins);
	tcase_add_test(tc, test_parse_helpers);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
	tcase_add_test(tc, test_errors_name_file_line_key);
	tcase_add_test(tc, test_unsafe_files_refused);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(config_suite)
