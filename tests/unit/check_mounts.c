/*
 * check_mounts.c - the core's mount releaser and the mounts provider
 * against real mounts: unmounted only through a symlink-free path and
 * only while the mount there is the one recorded, busy mounts retried
 * then left or detached, covered mounts left, the provider's paths and
 * its last-session rule. The mount tests need root and run each in a
 * private mount namespace (nothing they mount outlives the test); without
 * root only the parsing tests run.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <sched.h>
#include <sys/mount.h>

#include "testutil.h"
#include "providers/providers.h"

static struct lo_log logger;

/* A path below the test dir in a buffer of its own (tu_path's are
 * reused after a few calls). */
#define PATH_COPY(var, rel) char var[1100]; snprintf(var, sizeof(var), "%s", tu_path(rel))

static void setup(void)
{
	tu_setup();
	logger = tu_logger();
}

/* A mount namespace of the test's own: whatever it mounts vanishes with
 * the test's process, even when an assertion fails half way. */
static void ns_setup(void)
{
	setup();
	ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
	ck_assert_int_eq(mount("none", "/", "", MS_REC | MS_PRIVATE, NULL), 0);
}

static void ns_reg_setup(void)
{
	tu_reg_setup();
	logger = tu_logger();
	ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
	ck_assert_int_eq(mount("none", "/", "", MS_REC | MS_PRIVATE, NULL), 0);
}

/* Detach what a test left mounted below its dir, so the dir can go. */
static void ns_detach_all(void)
{
	for (int round = 0; round < 8; round++) {
		struct lo_mount *m = NULL;
		size_t n = 0, len = strlen(tu_dir), left = 0;

		if (lo_mountinfo_read(NULL, &m, &n) < 0)
			return;
		for (size_t i = n; i-- > 0;)
			if (strncmp(m[i].target, tu_dir, len) == 0 && m[i].target[len] == '/') {
				umount2(m[i].target, MNT_DETACH);
				left++;
			}
		lo_mountinfo_free(m, n);
		if (!left)
			return;
	}
}

static void ns_teardown(void)
{
	ns_detach_all();
	tu_teardown();
}

static void ns_reg_teardown(void)
{
	ns_detach_all();
	tu_reg_teardown();
}

/* The id mountinfo gives the topmost mount on PATH, or 0. */
static unsigned mount_id(const char *path)
{
	struct lo_mount *m = NULL;
	size_t n = 0;
	unsigned id = 0;

	ck_assert_int_eq(lo_mountinfo_read(NULL, &m, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].target, path) == 0)
			id = m[i].id;	/* a later line is mounted on top */
	lo_mountinfo_free(m, n);
	return id;
}

static unsigned tmpfs_at(const char *path)
{
	mkdir(path, 0755);
	ck_assert_msg(mount("lo-check", path, "tmpfs", 0, "size=64k") == 0, "mount %s: %s", path,
		      strerror(errno));
	return mount_id(path);
}

static const char *value_of(const char *path)
{
	static char buf[LO_VALUE_MAX + 1];

	ck_assert_int_eq(lo_mount_value(path, mount_id(path), buf, sizeof(buf)), 0);
	return buf;
}

/* ------------------------------------------------------------- parsing */

START_TEST(test_mountinfo_parsed)
{
	unsigned long id = 0;
	struct lo_mount *m = NULL;
	size_t n = 0;

	tu_write(tu_path("mi"),
		 "26 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
		 "61 26 0:52 / /home/a\\040b/net\\134x rw shared:7 - fuse.sshfs a@h:/ rw,user_id=1000,group_id=1000\n"
		 "62 26 0:53 / /srv rw - tmpfs  rw,size=4k\n", 0600);
	ck_assert_int_eq(lo_mountinfo_read(tu_path("mi"), &m, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(m[1].id, 61);
	ck_assert_uint_eq(m[1].parent, 26);
	ck_assert_str_eq(m[1].target, "/home/a b/net\\x");
	ck_assert_str_eq(m[1].fstype, "fuse.sshfs");
	ck_assert_str_eq(m[1].super_options, "rw,user_id=1000,group_id=1000");
	/* An empty source: the super options are still the last field. */
	ck_assert_str_eq(m[2].fstype, "tmpfs");
	ck_assert_str_eq(m[2].super_options, "rw,size=4k");
	lo_mountinfo_free(m, n);
	tu_write(tu_path("bad"), "26 1 254:0 / / rw,relatime ext4 /dev/vda rw\n", 0600);
	ck_assert_int_eq(lo_mountinfo_read(tu_path("bad"), &m, &n), -EBADMSG);
	ck_assert_int_eq(lo_mountinfo_read(tu_path("missing"), &m, &n), -ENOENT);
	/* The real one parses, and holds the root. */
	ck_assert_int_eq(lo_mountinfo_read(NULL, &m, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].target, "/") == 0)
			id = m[i].id;
	ck_assert_uint_ne(id, 0);
	lo_mountinfo_free(m, n);
}
END_TEST

START_TEST(test_path_validity)
{
	ck_assert(lo_mount_path_valid("/home/u/net"));
	ck_assert(lo_mount_path_valid("/a b/c"));
	ck_assert(!lo_mount_path_valid("/"));
	ck_assert(!lo_mount_path_valid(""));
	ck_assert(!lo_mount_path_valid("home/u"));
	ck_assert(!lo_mount_path_valid("/home/../etc"));
	ck_assert(!lo_mount_path_valid("/home/u/.."));
	ck_assert(!lo_mount_path_valid("/home/./u"));
	ck_assert(!lo_mount_path_valid("/home//u"));
	ck_assert(!lo_mount_path_valid("/home/u/"));
	ck_assert(!lo_mount_path_valid("/home/u\nx"));
	ck_assert_int_eq(lo_release_mount("/no/id", 0, false, &logger, NULL), -EINVAL);
	ck_assert_int_eq(lo_release_mount("12:0:relative", 0, false, &logger, NULL), -EINVAL);
	ck_assert_int_eq(lo_release_mount("12:x:/a", 0, false, &logger, NULL), -EINVAL);
	ck_assert_int_eq(lo_release_mount("0:0:/a", 0, false, &logger, NULL), -EINVAL);
	ck_assert_int_eq(lo_release_mount("12:0:/a/../b", 0, false, &logger, NULL), -EINVAL);
	ck_assert_int_eq(lo_release_subobject(LOGOFF_SUBOBJECT_MOUNT, "12", 0, &logger), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------ releasing */

START_TEST(test_unmounted)
{
	PATH_COPY(m, "m");
	char value_of_gone[LO_VALUE_MAX + 1];
	int how = -1;

	tmpfs_at(m);
	snprintf(value_of_gone, sizeof(value_of_gone), "%s", value_of(m));
	ck_assert_int_eq(lo_release_mount(value_of_gone, lo_now_ms() + 1000, false, &logger, &how),
			 0);
	ck_assert_int_eq(how, LO_UMOUNT_UNMOUNTED);
	ck_assert_uint_eq(mount_id(m), 0);
	/* Again: it is gone, which is success. */
	ck_assert_int_eq(lo_release_mount(value_of_gone, lo_now_ms(), false, &logger, &how), 0);
	ck_assert_int_eq(how, LO_UMOUNT_GONE);
}
END_TEST

START_TEST(test_core_releaser_unmounts)
{
	PATH_COPY(m, "m");
	char value[LO_VALUE_MAX + 1];

	tmpfs_at(m);
	snprintf(value, sizeof(value), "%s", value_of(m));
	ck_assert_int_eq(lo_release_subobject(LOGOFF_SUBOBJECT_MOUNT, value, 0, &logger), 0);
	ck_assert_uint_eq(mount_id(m), 0);
	ck_assert_int_eq(lo_release_subobject(LOGOFF_SUBOBJECT_MOUNT, value, 0, &logger), 0);
}
END_TEST

START_TEST(test_symlinks_refused)
{
	char buf[LO_VALUE_MAX + 1], value[LO_VALUE_MAX + 1];
	unsigned id;
	int how = -1;

	mkdir(tu_path("real"), 0755);
	id = tmpfs_at(tu_path("real/m"));
	ck_assert_int_eq(symlink(tu_path("real"), tu_path("link")), 0);
	ck_assert_int_eq(symlink(tu_path("real/m"), tu_path("sym")), 0);
	/* A symlink on the way, or as the last component: never followed. */
	ck_assert_int_eq(lo_mount_value(tu_path("link/m"), id, buf, sizeof(buf)), -ELOOP);
	ck_assert_int_eq(lo_mount_value(tu_path("sym"), id, buf, sizeof(buf)), -ELOOP);
	/* A record naming the mount by a path through a symlink matches no
	 * mount point of the table: nothing is unmounted. */
	snprintf(value, sizeof(value), "%u:0:%s", id, tu_path("link/m"));
	ck_assert_int_eq(lo_release_mount(value, lo_now_ms(), true, &logger, &how), 0);
	ck_assert_int_eq(how, LO_UMOUNT_GONE);
	ck_assert_uint_eq(mount_id(tu_path("real/m")), id);
	/* Not a mount at all. */
	mkdir(tu_path("plain"), 0755);
	ck_assert_int_eq(lo_mount_value(tu_path("plain"), id, buf, sizeof(buf)), -ESTALE);
	ck_assert_int_eq(lo_mount_value(tu_path("missing"), id, buf, sizeof(buf)), -ENOENT);
}
END_TEST

START_TEST(test_another_mount_untouched)
{
	PATH_COPY(m, "m");
	char value[LO_VALUE_MAX + 1], stale[LO_VALUE_MAX + 1];
	unsigned long long uid = 0;
	unsigned id;
	int how = -1;

	id = tmpfs_at(m);
	snprintf(value, sizeof(value), "%s", value_of(m));
	/* Another id: the recorded mount is gone; this one is not it. */
	snprintf(stale, sizeof(stale), "%u:0:%s", id + 100000, m);
	ck_assert_int_eq(lo_release_mount(stale, lo_now_ms(), true, &logger, &how), 0);
	ck_assert_int_eq(how, LO_UMOUNT_GONE);
	ck_assert_uint_eq(mount_id(m), id);
	/* Same id, another unique id: the id was reused by a newer mount. */
	ck_assert_int_eq(sscanf(strchr(value, ':') + 1, "%llu", &uid), 1);
	if (uid) {
		snprintf(stale, sizeof(stale), "%u:%llu:%s", id, uid + 1, m);
		ck_assert_int_eq(lo_release_mount(stale, lo_now_ms(), true, &logger, &how), 0);
		ck_assert_int_eq(how, LO_UMOUNT_GONE);
		ck_assert_uint_eq(mount_id(m), id);
	}
	ck_assert_int_eq(lo_release_mount(value, lo_now_ms(), false, &logger, &how), 0);
	ck_assert_uint_eq(mount_id(m), 0);
}
END_TEST

START_TEST(test_busy_left_then_detached)
{
	PATH_COPY(m, "m");
	char value[LO_VALUE_MAX + 1], file[1200];
	int64_t start;
	int fd, how = -1;

	tmpfs_at(m);
	snprintf(value, sizeof(value), "%s", value_of(m));
	snprintf(file, sizeof(file), "%s/open", m);
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	start = lo_now_ms();
	ck_assert_int_eq(lo_release_mount(value, start + 400, false, &logger, &how), -EBUSY);
	/* Retried with backoff until the deadline, not past it by much. */
	ck_assert_int_ge(lo_now_ms() - start, 390);
	ck_assert_int_lt(lo_now_ms() - start, 1400);
	ck_assert_uint_ne(mount_id(m), 0);
	ck_assert_int_eq(lo_release_subobject(LOGOFF_SUBOBJECT_MOUNT, value, 0, &logger), -EBUSY);
	ck_assert_uint_ne(mount_id(m), 0);
	ck_assert_int_eq(lo_release_mount(value, lo_now_ms(), true, &logger, &how), 0);
	ck_assert_int_eq(how, LO_UMOUNT_DETACHED);
	ck_assert_uint_eq(mount_id(m), 0);
	/* The open file lives on in the detached file system. */
	ck_assert_int_eq(write(fd, "x", 1), 1);
	close(fd);
}
END_TEST

START_TEST(test_covered_mount_left)
{
	PATH_COPY(m, "m");
	char lower[LO_VALUE_MAX + 1], upper[LO_VALUE_MAX + 1];
	unsigned low, up;
	int how = -1;

	low = tmpfs_at(m);
	snprintf(lower, sizeof(lower), "%s", value_of(m));
	up = tmpfs_at(m);
	ck_assert_uint_ne(low, up);
	snprintf(upper, sizeof(upper), "%s", value_of(m));
	/* The lower one cannot be reached while another covers it. */
	ck_assert_int_eq(lo_release_mount(lower, lo_now_ms(), true, &logger, &how), -EBUSY);
	ck_assert_uint_eq(mount_id(m), up);
	ck_assert_int_eq(lo_release_mount(upper, lo_now_ms(), false, &logger, &how), 0);
	ck_assert_int_eq(how, LO_UMOUNT_UNMOUNTED);
	ck_assert_uint_eq(mount_id(m), low);
	ck_assert_int_eq(lo_release_mount(lower, lo_now_ms(), false, &logger, &how), 0);
	ck_assert_int_eq(how, LO_UMOUNT_UNMOUNTED);
	ck_assert_uint_eq(mount_id(m), 0);
}
END_TEST

/* ------------------------------------------------------------- provider */

static const struct lo_provider_entry table[] = {
	{ .provider = &lo_provider_mounts, .flags = LO_PROVIDER_BUILTIN }, { .provider = NULL },
};

static int put(void *h, const char *name, const char *value)
{
	return 0;
}

static int logon_as(struct lo_ctx *ctx, const char *user, const char *home, char *id)
{
	struct lo_login login = { .user = user, .service = "check", .tty = "pts/9", .rhost = "",
				  .uid = 64998, .gid = 64998, .home = home,
				  .leader_pid = getpid() };

	return lo_chain_logon(ctx, &login, id);
}

static struct lo_ctx mounts_ctx(const char *extra)
{
	char conf[2048];
	struct lo_ctx ctx;

	snprintf(conf, sizeof(conf), "[logoff]\nproviders = mounts\nrequired = mounts\n"
		 "[mounts]\npaths = %s/%%u/net %%h/media/%%U\ntimeout = 1\n%s", tu_dir, extra);
	ctx = tu_ctx(conf, table);
	ctx.pam_putenv = put;
	return ctx;
}

START_TEST(test_provider_unmounts_paths)
{
	struct lo_ctx ctx = mounts_ctx("");
	char id[LO_ID_MAX + 1], home[1100], want[2300], net[1100], other[1100];
	struct lo_record *rec = NULL;

	/* tu_path's buffers are reused: keep copies. */
	snprintf(net, sizeof(net), "%s", tu_path("tester/net"));
	snprintf(other, sizeof(other), "%s", tu_path("someone/net"));
	snprintf(home, sizeof(home), "%s/home", tu_dir);
	mkdir(tu_path("tester"), 0755);
	mkdir(tu_path("someone"), 0755);
	mkdir(tu_path("home"), 0755);
	mkdir(tu_path("home/media"), 0755);
	ck_assert_int_eq(logon_as(&ctx, "tester", home, id), 0);
	ck_assert_int_eq(lo_record_read(tu_reg, id, &rec, NULL), 0);
	/* %u, %h and %U expanded; the repeated slash of "%h/" dropped. */
	snprintf(want, sizeof(want), "%s/tester/net\n%s/home/media/64998", tu_dir, tu_dir);
	ck_assert_str_eq(lo_record_get_data(rec, "mounts", "paths") ?: "(none)", want);
	lo_record_free(rec);
	tmpfs_at(net);
	tmpfs_at(tu_path("tester/net/deeper"));
	tmpfs_at(tu_path("home/media/64998"));
	tmpfs_at(other);
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), 0);
	ck_assert_uint_eq(mount_id(tu_path("tester/net/deeper")), 0);
	ck_assert_uint_eq(mount_id(net), 0);
	ck_assert_uint_eq(mount_id(tu_path("home/media/64998")), 0);
	ck_assert_uint_ne(mount_id(other), 0);
	ck_assert_int_eq(lo_record_read(tu_reg, id, &rec, NULL), -ENOENT);
}
END_TEST

START_TEST(test_provider_refuses_escaping_names)
{
	struct lo_ctx ctx = mounts_ctx("");
	char id[LO_ID_MAX + 1];

	ck_assert_int_eq(logon_as(&ctx, "..", "/home/x", id), -ECANCELED);
	ck_assert_int_eq(logon_as(&ctx, "a/b", "/home/x", id), -ECANCELED);
	ck_assert_int_eq(logon_as(&ctx, ".", "/home/x", id), -ECANCELED);
	ck_assert_int_eq(logon_as(&ctx, "tester", "relative", id), -ECANCELED);
	ck_assert_int_eq(logon_as(&ctx, "tester", "/home/../etc", id), -ECANCELED);
	ck_assert_msg(strstr(tu_log, "cannot be a path component"), "%s", tu_log);
	ck_assert_int_eq(logon_as(&ctx, "tester", "/home/tester", id), 0);
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), 0);
}
END_TEST

START_TEST(test_provider_waits_for_last_session)
{
	struct lo_ctx ctx = mounts_ctx("");
	char a[LO_ID_MAX + 1], b[LO_ID_MAX + 1];
	PATH_COPY(net, "tester/net");

	mkdir(tu_path("tester"), 0755);
	ck_assert_int_eq(logon_as(&ctx, "tester", "/nonexistent", a), 0);
	ck_assert_int_eq(logon_as(&ctx, "tester", "/nonexistent", b), 0);
	tmpfs_at(net);
	ck_assert_int_eq(lo_chain_logoff(&ctx, a, 0), 0);
	ck_assert_uint_ne(mount_id(net), 0);
	ck_assert_int_eq(lo_chain_logoff(&ctx, b, 0), 0);
	ck_assert_uint_eq(mount_id(net), 0);
}
END_TEST

START_TEST(test_provider_busy_kept_for_the_sweep)
{
	struct lo_ctx ctx = mounts_ctx("");
	char id[LO_ID_MAX + 1], file[1200];
	PATH_COPY(net, "tester/net");
	struct lo_record *rec = NULL;
	int fd;

	mkdir(tu_path("tester"), 0755);
	ck_assert_int_eq(logon_as(&ctx, "tester", "/nonexistent", id), 0);
	tmpfs_at(net);
	snprintf(file, sizeof(file), "%s/open", net);
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), -EIO);
	ck_assert_uint_ne(mount_id(net), 0);
	ck_assert_int_eq(lo_record_read(tu_reg, id, &rec, NULL), 0);
	ck_assert_int_eq(rec->state, LO_SESSION_FAILED);
	ck_assert_uint_eq(rec->n_sub, 1);
	ck_assert_int_eq(rec->sub[0].kind, LOGOFF_SUBOBJECT_MOUNT);
	ck_assert_msg(strstr(rec->status[0].message, "busy, left"), "%s", rec->status[0].message);
	lo_record_free(rec);
	/* Free again: the next logoff (the sweep) unmounts it. */
	close(fd);
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), 0);
	ck_assert_uint_eq(mount_id(net), 0);
	ck_assert_int_eq(lo_record_read(tu_reg, id, &rec, NULL), -ENOENT);
}
END_TEST

static Suite *mounts_suite(bool root)
{
	Suite *s = suite_create("mounts");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, setup, tu_teardown);
	tcase_add_test(tc, test_mountinfo_parsed);
	tcase_add_test(tc, test_path_validity);
	suite_add_tcase(s, tc);
	if (!root)
		return s;
	tc = tcase_create("release");
	tcase_add_checked_fixture(tc, ns_setup, ns_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_unmounted);
	tcase_add_test(tc, test_core_releaser_unmounts);
	tcase_add_test(tc, test_symlinks_refused);
	tcase_add_test(tc, test_another_mount_untouched);
	tcase_add_test(tc, test_busy_left_then_detached);
	tcase_add_test(tc, test_covered_mount_left);
	suite_add_tcase(s, tc);
	tc = tcase_create("provider");
	tcase_add_checked_fixture(tc, ns_reg_setup, ns_reg_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_provider_unmounts_paths);
	tcase_add_test(tc, test_provider_refuses_escaping_names);
	tcase_add_test(tc, test_provider_waits_for_last_session);
	tcase_add_test(tc, test_provider_busy_kept_for_the_sweep);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	bool root = geteuid() == 0;
	int failed;

	if (!root)
		printf("note: check_mounts runs only its parsing tests without root\n");
	sr = srunner_create(mounts_suite(root));
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
