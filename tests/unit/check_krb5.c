/*
 * check_krb5.c - the krb5 provider's core pieces
 * (src/core/release_krb5cc.c): which cache names are accepted, the UID:GID:NAME subobject value, and
 * destroying real FILE and DIR caches as an unprivileged uid (root only;
 * those cases are skipped otherwise). Without libkrb5 only the config
 * case runs: `krb5` must then be an unknown provider.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <sys/wait.h>

#include "testutil.h"

#ifdef HAVE_KRB5
#include <krb5.h>
#endif

/* A uid and gid no account uses. */
#define TEST_UID 64998
#define TEST_GID 64998

START_TEST(config_provider)
{
	const char *text = "[logoff]\nproviders = tmpdir krb5\n[krb5]\nretain = yes\n";
	struct lo_config *cfg = NULL;
	char *err = NULL;
	int r;

	tu_write(tu_path("logoff.conf"), text, 0644);
	r = lo_config_load(tu_path("logoff.conf"), lo_builtin_providers, &cfg, &err);
#ifdef HAVE_KRB5
	ck_assert_msg(r == 0, "%s", err);
	ck_assert_str_eq(lo_config_value(cfg, "krb5", "retain"), "yes");
	lo_config_free(cfg);
	tu_write(tu_path("logoff.conf"), "[krb5]\nretain = perhaps\n", 0644);
	r = lo_config_load(tu_path("logoff.conf"), lo_builtin_providers, &cfg, &err);
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_msg(strstr(err, "logoff.conf:2: [krb5] retain"), "%s", err);
#else
	/* Not built: the usual unknown-provider error, with file and line. */
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_msg(strstr(err, "logoff.conf:2:") && strstr(err, "unknown provider"), "%s", err);
#endif
	free(err);
}
END_TEST

#ifdef HAVE_KRB5
START_TEST(names)
{
	static const struct {
		const char *name;
		int ret;
		bool shared;
	} cases[] = {
		{ "FILE:/tmp/krb5cc_1000_ab12", 0, false },
		{ "/tmp/krb5cc_1000", 0, false },
		{ "FILE:krb5cc", -EINVAL, false },
		{ "krb5cc", -EINVAL, false },
		{ "FILE:", -EINVAL, false },
		{ "DIR:/run/user/1000/krb5cc", 0, true },	/* a collection: shared */
		{ "DIR::/run/user/1000/krb5cc/tkt", 0, false },
		{ "DIR:run/krb5cc", -EINVAL, false },
		{ "KEYRING:persistent:1000", 0, true },
		{ "KEYRING:persistent:", 0, true },
		{ "KEYRING:persistent:1000:krb_ccache_x1", 0, false },
		{ "KEYRING:persistent:0", -EPERM, false },
		{ "KEYRING:persistent:10x", -EINVAL, false },
		{ "KEYRING:user:krb5cc", 0, true },
		{ "KEYRING:user:krb5cc:tkt", 0, false },
		{ "KEYRING:user:", -EINVAL, false },
		{ "KEYRING:session:krb5cc", -ENOTSUP, false },
		{ "KEYRING:process:krb5cc", -ENOTSUP, false },
		{ "KEYRING:thread:krb5cc", -ENOTSUP, false },
		{ "KEYRING:krb5cc", -ENOTSUP, false },
		{ "KEYRING:persistent", -ENOTSUP, false },	/* legacy: collection "persistent" */
		{ "KCM:1000", -ENOTSUP, false },
		{ "MEMORY:x", -ENOTSUP, false },
		{ "API:x", -ENOTSUP, false },
		{ "0:0:FILE:/etc/shadow", -ENOTSUP, false },
		{ "FILE:/tmp/a\nb", -EINVAL, false },
		{ "", -EINVAL, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = NULL;
		bool shared = true;
		int r = lo_krb5_ccache_check(cases[i].name, 1000, &shared, &why);

		ck_assert_msg(r == cases[i].ret, "%s: %d, expected %d", cases[i].name, r,
			      cases[i].ret);
		if (r == 0)
			ck_assert_msg(shared == cases[i].shared, "%s: shared %d", cases[i].name,
				      shared);
		else
			ck_assert_msg(why && *why, "%s: no reason", cases[i].name);
	}
	ck_assert_int_eq(lo_krb5_ccache_check(NULL, 0, NULL, NULL), -EINVAL);
}
END_TEST

START_TEST(values)
{
	char buf[64];
	const char *name;
	uid_t uid;
	gid_t gid;

	ck_assert_int_eq(lo_krb5_ccache_value(1000, 100, "FILE:/tmp/cc", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "1000:100:FILE:/tmp/cc");
	ck_assert_int_eq(lo_krb5_ccache_parse(buf, &uid, &gid, &name), 0);
	ck_assert_uint_eq(uid, 1000);
	ck_assert_uint_eq(gid, 100);
	ck_assert_str_eq(name, "FILE:/tmp/cc");
	/* A name cannot forge the ids: they are the first two fields. */
	ck_assert_int_eq(lo_krb5_ccache_value(1000, 100, "0:0:FILE:/etc/shadow", buf, sizeof(buf)),
			 0);
	ck_assert_int_eq(lo_krb5_ccache_parse(buf, &uid, &gid, &name), 0);
	ck_assert_uint_eq(uid, 1000);
	ck_assert_str_eq(name, "0:0:FILE:/etc/shadow");
	ck_assert_int_eq(lo_krb5_ccache_value(1, 1, "FILE:/a/rather/long/name/for/this/buffer/x",
					      buf, 16), -ENAMETOOLONG);
	static const char *const bad[] = { "", "1000", "1000:100", "1000:100:", ":100:FILE:/a",
					   "1000::FILE:/a", "x:1:FILE:/a", "1:2x:FILE:/a",
					   "-1:1:FILE:/a", "4294967295:1:FILE:/a",
					   "99999999999999999999:1:FILE:/a" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(lo_krb5_ccache_parse(bad[i], &uid, &gid, &name) == -EINVAL, "%s",
			      bad[i]);
	/* The core releaser refuses what it cannot parse or reach. */
	ck_assert_int_eq(lo_release_subobject(LOGOFF_SUBOBJECT_KRB5_CCACHE, "FILE:/tmp/x", 0, NULL),
			 -EINVAL);
	ck_assert_int_eq(lo_release_subobject(LOGOFF_SUBOBJECT_KRB5_CCACHE, "1000:100:KCM:1000",
					      0, NULL), -ENOTSUP);
}
END_TEST

/* ---------------------------------------------- destroying, as root */

/* An initialized (ticketless) FILE cache at PATH owned by OWNER. */
static void make_cache(const char *name, const char *path, uid_t owner)
{
	krb5_context ctx;
	krb5_principal p;
	krb5_ccache cc;

	ck_assert_int_eq(krb5_init_context(&ctx), 0);
	ck_assert_int_eq(krb5_parse_name(ctx, "user@LOGOFF.TEST", &p), 0);
	ck_assert_int_eq(krb5_cc_resolve(ctx, name, &cc), 0);
	ck_assert_int_eq(krb5_cc_initialize(ctx, cc, p), 0);
	krb5_cc_close(ctx, cc);
	krb5_free_principal(ctx, p);
	krb5_free_context(ctx);
	ck_assert_int_eq(chown(path, owner, TEST_GID), 0);
}

static char value[512];

static const char *val(const char *name)
{
	ck_assert_int_eq(lo_krb5_ccache_value(TEST_UID, TEST_GID, name, value, sizeof(value)), 0);
	return value;
}

static void root_setup(void)
{
	tu_setup();
	/* The test uid must reach its directory below the test dir. */
	chmod(tu_dir, 0711);
	ck_assert_int_eq(mkdir(tu_path("u"), 0700), 0);
	ck_assert_int_eq(chown(tu_path("u"), TEST_UID, TEST_GID), 0);
}

START_TEST(destroy_file)
{
	char name[600], msg[256];

	snprintf(name, sizeof(name), "FILE:%s", tu_path("u/cc"));
	make_cache(name, tu_path("u/cc"), TEST_UID);
	ck_assert_int_eq(lo_release_krb5_ccache(val(name), NULL, NULL, msg, sizeof(msg)), 0);
	ck_assert(!tu_exists(tu_path("u/cc")));
	/* Already gone: released, and nothing made. */
	ck_assert_int_eq(lo_release_krb5_ccache(val(name), NULL, NULL, msg, sizeof(msg)), 1);
	ck_assert(!tu_exists(tu_path("u/cc")));

	/* The same through the core's releaser, as for a leftover. */
	make_cache(name, tu_path("u/cc"), TEST_UID);
	ck_assert_int_eq(lo_release_subobject(LOGOFF_SUBOBJECT_KRB5_CCACHE, val(name), 0, NULL), 0);
	ck_assert(!tu_exists(tu_path("u/cc")));
}
END_TEST

START_TEST(destroy_refused)
{
	char name[600], msg[256];
	struct stat st;

	/* Root's cache, though in the user's directory. */
	snprintf(name, sizeof(name), "FILE:%s", tu_path("u/rootcc"));
	make_cache(name, tu_path("u/rootcc"), 0);
	ck_assert_int_eq(lo_release_krb5_ccache(val(name), NULL, NULL, msg, sizeof(msg)), -EACCES);
	ck_assert_msg(strstr(msg, "owned by uid 0"), "%s", msg);
	ck_assert(tu_exists(tu_path("u/rootcc")));

	/* A symlink of the user's to the user's own other cache: libkrb5
	 * would wipe the target through it. */
	snprintf(name, sizeof(name), "FILE:%s", tu_path("u/other"));
	make_cache(name, tu_path("u/other"), TEST_UID);
	ck_assert_int_eq(symlink(tu_path("u/other"), tu_path("u/link")), 0);
	ck_assert_int_eq(lchown(tu_path("u/link"), TEST_UID, TEST_GID), 0);
	snprintf(name, sizeof(name), "FILE:%s", tu_path("u/link"));
	ck_assert_int_eq(lo_release_krb5_ccache(val(name), NULL, NULL, msg, sizeof(msg)), -EACCES);
	ck_assert_msg(strstr(msg, "not a regular file"), "%s", msg);
	ck_assert_int_eq(stat(tu_path("u/other"), &st), 0);
	ck_assert_int_gt(st.st_size, 0);

	/* A second name of it (hard link). */
	ck_assert_int_eq(link(tu_path("u/other"), tu_path("u/hard")), 0);
	snprintf(name, sizeof(name), "FILE:%s", tu_path("u/hard"));
	ck_assert_int_eq(lo_release_krb5_ccache(val(name), NULL, NULL, msg, sizeof(msg)), -EACCES);
	ck_assert_msg(strstr(msg, "hard links"), "%s", msg);
	ck_assert_int_eq(stat(tu_path("u/other"), &st), 0);
	ck_assert_int_gt(st.st_size, 0);

	/* The user's own cache in a directory only root may write: root
	 * could unlink it, the user cannot. */
	ck_assert_int_eq(mkdir(tu_path("rootdir"), 0755), 0);
	snprintf(name, sizeof(name), "FILE:%s", tu_path("rootdir/cc"));
	make_cache(name, tu_path("rootdir/cc"), TEST_UID);
	ck_assert_int_eq(lo_release_krb5_ccache(val(name), NULL, NULL, msg, sizeof(msg)), -EACCES);
	ck_assert(tu_exists(tu_path("rootdir/cc")));
}
END_TEST

START_TEST(destroy_dir)
{
	char name[600], file[600], msg[256];

	/* A collection whose directory is gone is not made again. */
	snprintf(name, sizeof(name), "DIR:%s", tu_path("u/ccdir"));
	ck_assert_int_eq(lo_release_krb5_ccache(val(name), NULL, NULL, msg, sizeof(msg)), 1);
	ck_assert(!tu_exists(tu_path("u/ccdir")));

	ck_assert_int_eq(mkdir(tu_path("u/ccdir"), 0700), 0);
	ck_assert_int_eq(chown(tu_path("u/ccdir"), TEST_UID, TEST_GID), 0);
	snprintf(file, sizeof(file), "DIR::%s", tu_path("u/ccdir/tkt"));
	make_cache(file, tu_path("u/ccdir/tkt"), TEST_UID);
	tu_write(tu_path("u/ccdir/primary"), "tkt\n", 0600);
	ck_assert_int_eq(chown(tu_path("u/ccdir/primary"), TEST_UID, TEST_GID), 0);
	ck_assert_int_eq(lo_release_krb5_ccache(val(name), NULL, NULL, msg, sizeof(msg)), 0);
	ck_assert(!tu_exists(tu_path("u/ccdir/tkt")));

	/* A collection directory that is not the user's. */
	ck_assert_int_eq(mkdir(tu_path("u/rootcol"), 0777), 0);
	snprintf(name, sizeof(name), "DIR:%s", tu_path("u/rootcol"));
	ck_assert_int_eq(lo_release_krb5_ccache(val(name), NULL, NULL, msg, sizeof(msg)), -EACCES);
	ck_assert_msg(strstr(msg, "owned by uid 0"), "%s", msg);
}
END_TEST
#endif

static Suite *krb5_suite(void)
{
	Suite *s = suite_create("krb5");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
	tcase_add_test(tc, config_provider);
	suite_add_tcase(s, tc);
#ifdef HAVE_KRB5
	tc = tcase_create("names");
	tcase_add_test(tc, names);
	tcase_add_test(tc, values);
	suite_add_tcase(s, tc);
	/* A child per destroy that becomes TEST_UID: root only. */
	if (geteuid() != 0) {
		fprintf(stderr, "check_krb5: not root: the destroy cases are skipped\n");
		return s;
	}
	tc = tcase_create("destroy");
	tcase_add_checked_fixture(tc, root_setup, tu_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, destroy_file);
	tcase_add_test(tc, destroy_refused);
	tcase_add_test(tc, destroy_dir);
	suite_add_tcase(s, tc);
#endif
	return s;
}

TU_MAIN(krb5_suite)
