/*
 * check_release.c - the core's releasers: the path releaser never follows
 * a symlink or crosses a mount; the process releaser never signals a
 * reused pid.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "testutil.h"

static struct lo_log logger;

static void setup(void)
{
	tu_setup();
	logger = tu_logger();
}

START_TEST(test_tree_removed)
{
	char rel[256];

	ck_assert_int_eq(mkdir(tu_path("s"), 0700), 0);
	for (int d = 0; d < 20; d++) {
		snprintf(rel, sizeof(rel), "s/d%d", d);
		ck_assert_int_eq(mkdir(tu_path(rel), 0700), 0);
		for (int f = 0; f < 100; f++) {
			snprintf(rel, sizeof(rel), "s/d%d/f%d", d, f);
			tu_write(tu_path(rel), "x", 0600);
		}
	}
	ck_assert_int_eq(mkfifo(tu_path("s/fifo"), 0600), 0);
	ck_assert_int_eq(mkdir(tu_path("s/ro"), 0700), 0);
	tu_write(tu_path("s/ro/f"), "x", 0600);
	chmod(tu_path("s/ro"), 0500);	/* unwritable to its owner: still removed by root */
	ck_assert_int_eq(lo_release_path(tu_path("s"), &logger), geteuid() == 0 ? 0 : -EACCES);
	if (geteuid() == 0)
		ck_assert(!tu_exists(tu_path("s")));
}
END_TEST

/* The scale: 100,000 files in 1,000 directories, a symlink to
 * outside planted in every directory. */
START_TEST(test_100k_files_removed)
{
	char rel[256];

	ck_assert_int_eq(mkdir(tu_path("big"), 0700), 0);
	ck_assert_int_eq(mkdir(tu_path("outside"), 0700), 0);
	tu_write(tu_path("outside/keep"), "x", 0600);
	for (int d = 0; d < 1000; d++) {
		int dfd;

		snprintf(rel, sizeof(rel), "big/d%d", d);
		ck_assert_int_eq(mkdir(tu_path(rel), 0700), 0);
		dfd = open(tu_path(rel), O_RDONLY | O_DIRECTORY);
		ck_assert_int_ge(dfd, 0);
		for (int f = 0; f < 100; f++) {
			char name[16];
			int fd;
			snprintf(name, sizeof(name), "f%d", f);
			fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL, 0600);
			ck_assert_int_ge(fd, 0);
			close(fd);
		}
		ck_assert_int_eq(symlinkat(tu_path("outside"), dfd, "out"), 0);
		close(dfd);
	}
	ck_assert_int_eq(lo_release_path(tu_path("big"), &logger), 0);
	ck_assert(!tu_exists(tu_path("big")));
	ck_assert(tu_exists(tu_path("outside/keep")));
}
END_TEST

START_TEST(test_deep_tree_removed)
{
	char rel[8192] = "deep";

	ck_assert_int_eq(mkdir(tu_path(rel), 0700), 0);
	ck_assert_int_eq(chdir(tu_path(rel)), 0);
	for (int i = 0; i < 200; i++) {
		ck_assert_int_eq(mkdir("d", 0700), 0);
		ck_assert_int_eq(chdir("d"), 0);
	}
	tu_write("leaf", "x", 0600);
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(lo_release_path(tu_path("deep"), &logger), 0);
	ck_assert(!tu_exists(tu_path("deep")));
}
END_TEST

START_TEST(test_symlinks_inside_not_followed)
{
	/* Outside the tree: a file and a dir the session's links point at. */
	ck_assert_int_eq(mkdir(tu_path("outside"), 0700), 0);
	tu_write(tu_path("outside/keep"), "precious", 0600);
	ck_assert_int_eq(mkdir(tu_path("s"), 0700), 0);
	ck_assert_int_eq(symlink(tu_path("outside"), tu_path("s/to-dir")), 0);
	ck_assert_int_eq(symlink(tu_path("outside/keep"), tu_path("s/to-file")), 0);
	ck_assert_int_eq(symlink("/", tu_path("s/to-root")), 0);
	ck_assert_int_eq(lo_release_path(tu_path("s"), &logger), 0);
	ck_assert(!tu_exists(tu_path("s")));
	ck_assert(tu_exists(tu_path("outside/keep")));
}
END_TEST

START_TEST(test_symlink_on_the_way_refused)
{
	ck_assert_int_eq(mkdir(tu_path("real"), 0700), 0);
	ck_assert_int_eq(mkdir(tu_path("real/s"), 0700), 0);
	tu_write(tu_path("real/s/f"), "x", 0600);
	ck_assert_int_eq(symlink(tu_path("real"), tu_path("link")), 0);
	/* The session's path reached through a symlink: nothing removed. */
	ck_assert_int_eq(lo_release_path(tu_path("link/s"), &logger), -ELOOP);
	ck_assert(tu_exists(tu_path("real/s/f")));
	/* The path itself a symlink: the link goes, its target stays. */
	ck_assert_int_eq(symlink(tu_path("real/s"), tu_path("s2")), 0);
	ck_assert_int_eq(lo_release_path(tu_path("s2"), &logger), 0);
	ck_assert(!tu_exists(tu_path("s2")));
	ck_assert(tu_exists(tu_path("real/s/f")));
}
END_TEST

/* The releasers' one no-symlink walk (lo_open_dir_nofollow, and the
 * walk it falls back to without openat2), as the path releaser opens
 * with it (O_RDONLY) and the mount releaser (O_PATH): a symlink planted
 * in the middle of the path or as its last component is refused with
 * -ELOOP, never followed. */
START_TEST(test_nofollow_walk_refuses_symlinks)
{
	static int (*const open_fn[])(const char *, int) = { lo_open_dir_nofollow,
							      lo_open_dir_walk };
	static const int flags[] = { O_RDONLY, O_PATH };
	char name[NAME_MAX + 1];
	struct stat st;
	int fd;

	ck_assert_int_eq(mkdir(tu_path("real"), 0700), 0);
	ck_assert_int_eq(mkdir(tu_path("real/a"), 0700), 0);
	ck_assert_int_eq(mkdir(tu_path("real/a/b"), 0700), 0);
	tu_write(tu_path("real/f"), "x", 0600);
	ck_assert_int_eq(symlink(tu_path("real"), tu_path("link")), 0);
	ck_assert_int_eq(symlink(tu_path("real/a"), tu_path("real/last")), 0);
	for (size_t i = 0; i < sizeof(open_fn) / sizeof(open_fn[0]); i++)
		for (size_t j = 0; j < sizeof(flags) / sizeof(flags[0]); j++) {
			fd = open_fn[i](tu_path("real/a/b"), flags[j]);
			ck_assert_int_ge(fd, 0);
			ck_assert_int_eq(fstat(fd, &st), 0);
			ck_assert(S_ISDIR(st.st_mode));
			close(fd);
			/* A symlink in the middle, and as the last component. */
			ck_assert_int_eq(open_fn[i](tu_path("link/a/b"), flags[j]), -ELOOP);
			ck_assert_int_eq(open_fn[i](tu_path("real/last"), flags[j]), -ELOOP);
			ck_assert_int_eq(open_fn[i](tu_path("real/last/b"), flags[j]), -ELOOP);
			ck_assert_int_eq(open_fn[i](tu_path("real/f"), flags[j]), -ENOTDIR);
			ck_assert_int_eq(open_fn[i](tu_path("real/none"), flags[j]), -ENOENT);
			ck_assert_int_eq(open_fn[i](tu_path("real/a/../a"), flags[j]), -EINVAL);
			ck_assert_int_eq(open_fn[i]("real/a", flags[j]), -EINVAL);
			ck_assert_int_eq(open_fn[i](tu_path("real/a"), O_RDWR), -EINVAL);
		}
	/* The parent: a symlink on the way is refused; a symlink as the last
	 * component is not opened, only named for a call relative to the
	 * parent that does not follow it. */
	for (size_t j = 0; j < sizeof(flags) / sizeof(flags[0]); j++) {
		ck_assert_int_eq(lo_open_parent_nofollow(tu_path("link/a"), flags[j], name), -ELOOP);
		ck_assert_int_eq(lo_open_parent_nofollow(tu_path("real/last/b"), flags[j], name),
				 -ELOOP);
		fd = lo_open_parent_nofollow(tu_path("real/last"), flags[j], name);
		ck_assert_int_ge(fd, 0);
		ck_assert_str_eq(name, "last");
		ck_assert_int_eq(fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
		ck_assert(S_ISLNK(st.st_mode));
		close(fd);
		ck_assert_int_eq(lo_open_parent_nofollow("/", flags[j], name), -EINVAL);
		ck_assert_int_eq(lo_open_parent_nofollow(tu_path("real/"), flags[j], name), -EINVAL);
		ck_assert_int_eq(lo_open_parent_nofollow(tu_path("real/.."), flags[j], name),
				 -EINVAL);
	}
	/* Both releasers through it: nothing behind the symlinks touched. */
	ck_assert_int_eq(lo_release_empty_dir(tu_path("link/a/b")), -ELOOP);
	ck_assert_int_eq(lo_dir_empty_here(tu_path("link/a/b")), -ELOOP);
	ck_assert_int_eq(lo_release_path(tu_path("real/last/b"), &logger), -ELOOP);
	ck_assert(tu_exists(tu_path("real/a/b")));
}
END_TEST

/* A KEEP_GROUP child (krb5 ccache destruction runs so): it stays in the
 * caller's process group, its line reaches the caller, and at the
 * deadline it alone gets SIGKILL, at once. */
static int say_group(void *arg)
{
	printf("%d %ld\n", 7, (long)getpgrp());
	fflush(stdout);
	return 7;
}

static int sleep_long(void *arg)
{
	sleep(30);
	return 0;
}

static void keep_line(void *ctx, const char *line)
{
	snprintf(ctx, 64, "%s", line);
}

START_TEST(test_spawn_run_keep_group)
{
	struct lo_spawn sp = { .cwd = "/", .capture = true, .fn = say_group, .keep_group = true };
	char line[64] = "", want[64];
	int status = 0, pidfd, outfd;
	int64_t start;
	pid_t pid;

	ck_assert_int_eq(lo_spawn_run(&sp, lo_now_ms() + 5000, 1000, keep_line, line, &status), 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	snprintf(want, sizeof(want), "7 %ld", (long)getpgrp());
	ck_assert_str_eq(line, want);

	sp.fn = sleep_long;
	start = lo_now_ms();
	ck_assert_int_eq(lo_spawn_run(&sp, start + 200, 1000, NULL, NULL, &status), -ETIMEDOUT);
	ck_assert_int_lt(lo_now_ms() - start, 1200);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	/* Only lo_spawn_run knows to signal it alone. */
	ck_assert_int_eq(lo_spawn_start(&sp, &pid, &pidfd, &outfd), -EINVAL);
}
END_TEST

START_TEST(test_missing_and_bad_paths)
{
	ck_assert_int_eq(lo_release_path(tu_path("nothing"), &logger), 0);
	ck_assert_int_eq(lo_release_path("relative/path", &logger), -EINVAL);
	ck_assert_int_eq(lo_release_path("/", &logger), -EINVAL);
	ck_assert_int_eq(lo_release_path(tu_path(".."), &logger), -EINVAL);
}
END_TEST

START_TEST(test_mount_inside_not_crossed)
{
	if (geteuid() != 0)
		return;	/* needs mount(2); the root run covers it */
	ck_assert_int_eq(mkdir(tu_path("s"), 0700), 0);
	ck_assert_int_eq(mkdir(tu_path("s/mnt"), 0700), 0);
	tu_write(tu_path("s/file"), "x", 0600);
	if (mount("tmpfs", tu_path("s/mnt"), "tmpfs", 0, "size=1m") < 0)
		return;	/* no mount permission in this container */
	tu_write(tu_path("s/mnt/other-fs"), "keep", 0600);
	ck_assert_int_eq(lo_release_path(tu_path("s"), &logger), -EBUSY);
	ck_assert(!tu_exists(tu_path("s/file")));
	ck_assert(tu_exists(tu_path("s/mnt/other-fs")));
	ck_assert_msg(strstr(tu_log, "another file system"), "%s", tu_log);
	umount2(tu_path("s/mnt"), MNT_DETACH);
}
END_TEST

/* A bind mount of a directory of the same file system has the same
 * st_dev: only its mount id shows it is not the session's. Not entered,
 * named as left; a bind mount over PATH itself is not entered either. */
START_TEST(test_bind_mount_inside_not_entered)
{
	char left[PATH_MAX];

	if (geteuid() != 0)
		return;
	ck_assert_int_eq(mkdir(tu_path("outside"), 0700), 0);
	tu_write(tu_path("outside/keep"), "precious", 0600);
	ck_assert_int_eq(mkdir(tu_path("s"), 0700), 0);
	ck_assert_int_eq(mkdir(tu_path("s/a"), 0700), 0);
	ck_assert_int_eq(mkdir(tu_path("s/a/bind"), 0700), 0);
	tu_write(tu_path("s/a/file"), "x", 0600);
	if (mount(tu_path("outside"), tu_path("s/a/bind"), "none", MS_BIND, NULL) < 0)
		return;	/* no mount permission in this container */
	ck_assert_int_eq(lo_release_path_left(tu_path("s"), &logger, left, sizeof(left)), -EBUSY);
	ck_assert(tu_exists(tu_path("outside/keep")));
	ck_assert(!tu_exists(tu_path("s/a/file")));
	ck_assert_str_eq(left, tu_path("s/a/bind"));
	ck_assert_msg(strstr(tu_log, "s/a/bind"), "%s", tu_log);
	umount2(tu_path("s/a/bind"), MNT_DETACH);

	ck_assert_int_eq(mkdir(tu_path("t"), 0700), 0);
	ck_assert_int_eq(mount(tu_path("outside"), tu_path("t"), "none", MS_BIND, NULL), 0);
	ck_assert_int_eq(lo_release_path_left(tu_path("t"), &logger, left, sizeof(left)), -EBUSY);
	ck_assert(tu_exists(tu_path("outside/keep")));
	ck_assert_str_eq(left, tu_path("t"));
	umount2(tu_path("t"), MNT_DETACH);
	ck_assert_int_eq(lo_release_path(tu_path("s"), &logger), 0);
	ck_assert_int_eq(lo_release_path(tu_path("t"), &logger), 0);
	ck_assert(!tu_exists(tu_path("s")) && !tu_exists(tu_path("t")));
	ck_assert(tu_exists(tu_path("outside/keep")));
}
END_TEST

/* The in-process release: an empty directory is removed with one rmdir;
 * anything else is refused and left exactly as it was. */
START_TEST(test_empty_dir_only)
{
	ck_assert_int_eq(mkdir(tu_path("e"), 0700), 0);
	ck_assert_int_eq(mkdir(tu_path("full"), 0700), 0);
	tu_write(tu_path("full/keep"), "x", 0600);
	tu_write(tu_path("file"), "x", 0600);
	ck_assert_int_eq(mkdir(tu_path("target"), 0700), 0);
	ck_assert_int_eq(symlink(tu_path("target"), tu_path("link")), 0);

	ck_assert_int_eq(lo_dir_empty_here(tu_path("e")), 1);
	ck_assert_int_eq(lo_dir_empty_here(tu_path("full")), 0);
	ck_assert_int_eq(lo_dir_empty_here(tu_path("file")), 0);
	ck_assert_int_eq(lo_dir_empty_here(tu_path("link")), 0);
	ck_assert_int_eq(lo_dir_empty_here(tu_path("nothing")), -ENOENT);
	ck_assert_int_eq(lo_dir_empty_here("relative"), -EINVAL);
	ck_assert_int_eq(lo_dir_empty_here("/"), -EINVAL);

	ck_assert_int_eq(lo_release_empty_dir(tu_path("full")), -ENOTEMPTY);
	ck_assert(tu_exists(tu_path("full/keep")));
	ck_assert_int_eq(lo_release_empty_dir(tu_path("link")), -ENOTDIR);
	ck_assert(tu_exists(tu_path("link")) && tu_exists(tu_path("target")));
	ck_assert_int_eq(lo_release_empty_dir(tu_path("nothing")), 0);
	ck_assert_int_eq(lo_release_empty_dir(tu_path("e")), 0);
	ck_assert(!tu_exists(tu_path("e")));
}
END_TEST

/* A mount on the directory: not empty "here", and rmdir says EBUSY
 * without entering it. */
START_TEST(test_empty_dir_mount_point)
{
	if (geteuid() != 0)
		return;	/* needs mount(2); the root run covers it */
	ck_assert_int_eq(mkdir(tu_path("m"), 0700), 0);
	if (mount("tmpfs", tu_path("m"), "tmpfs", 0, "size=1m") < 0)
		return;	/* no mount permission in this container */
	ck_assert_int_eq(lo_dir_empty_here(tu_path("m")), 0);
	ck_assert_int_eq(lo_release_empty_dir(tu_path("m")), -EBUSY);
	tu_write(tu_path("m/on-the-mount"), "keep", 0600);
	ck_assert_int_eq(lo_release_empty_dir(tu_path("m")), -EBUSY);
	ck_assert(tu_exists(tu_path("m/on-the-mount")));
	umount2(tu_path("m"), MNT_DETACH);
	ck_assert_int_eq(lo_dir_empty_here(tu_path("m")), 1);
	ck_assert_int_eq(lo_release_empty_dir(tu_path("m")), 0);
}
END_TEST

/* What could not be removed is named: an entry the release may not
 * unlink (an immutable file needs chattr; a directory it cannot open
 * will do, as a user). */
START_TEST(test_left_named)
{
	char left[PATH_MAX];

	if (geteuid() == 0)
		return;	/* root opens and empties any directory */
	ck_assert_int_eq(mkdir(tu_path("s"), 0700), 0);
	ck_assert_int_eq(mkdir(tu_path("s/locked"), 0700), 0);
	tu_write(tu_path("s/locked/f"), "x", 0600);
	chmod(tu_path("s/locked"), 0);
	ck_assert_int_lt(lo_release_path_left(tu_path("s"), &logger, left, sizeof(left)), 0);
	ck_assert_str_eq(left, tu_path("s/locked"));
	chmod(tu_path("s/locked"), 0700);
}
END_TEST

START_TEST(test_device_node_removed_not_opened)
{
	if (geteuid() != 0)
		return;
	ck_assert_int_eq(mkdir(tu_path("s"), 0700), 0);
	ck_assert_int_eq(mknod(tu_path("s/null"), S_IFCHR | 0600, makedev(1, 3)), 0);
	ck_assert_int_eq(lo_release_path(tu_path("s"), &logger), 0);
	ck_assert(!tu_exists(tu_path("s")));
	ck_assert(tu_exists("/dev/null"));
}
END_TEST

static pid_t spawn_sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		setpgid(0, 0);
		execl("/bin/sleep", "sleep", "60", (char *)NULL);
		_exit(127);
	}
	usleep(20000);
	return pid;
}

START_TEST(test_process_killed)
{
	pid_t pid = spawn_sleeper();
	char value[64];
	int status;

	ck_assert_int_eq(lo_process_value(pid, value, sizeof(value)), 0);
	ck_assert_int_eq(lo_release_process(value, &logger), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGKILL);
}
END_TEST

START_TEST(test_reused_pid_not_signalled)
{
	pid_t pid = spawn_sleeper();
	unsigned long long start;
	char value[64];
	int status;

	ck_assert_int_eq(lo_proc_starttime(pid, &start), 0);
	/* Same pid, other start time: the record describes a process that
	 * is gone and whose pid now belongs to someone else. */
	snprintf(value, sizeof(value), "%d:%llu", (int)pid, start + 1);
	ck_assert_int_eq(lo_release_process(value, &logger), 0);
	usleep(50000);
	ck_assert_int_eq(waitpid(pid, &status, WNOHANG), 0);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	ck_assert_int_eq(lo_release_process("1:1", &logger), -EINVAL);
	ck_assert_int_eq(lo_release_process("abc", &logger), -EINVAL);
	ck_assert_int_eq(lo_release_process("123:", &logger), -EINVAL);
}
END_TEST

static Suite *release_suite(void)
{
	Suite *s = suite_create("release");
	TCase *tc = tcase_create("path");

	tcase_add_checked_fixture(tc, setup, tu_teardown);
	tcase_add_test(tc, test_tree_removed);
	tcase_add_test(tc, test_deep_tree_removed);
	tcase_add_test(tc, test_missing_and_bad_paths);
	suite_add_tcase(s, tc);
	tc = tcase_create("path-scale");
	tcase_add_checked_fixture(tc, setup, tu_teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_100k_files_removed);
	suite_add_tcase(s, tc);
	tc = tcase_create("path-traps");
	tcase_add_checked_fixture(tc, setup, tu_teardown);
	tcase_add_test(tc, test_symlinks_inside_not_followed);
	tcase_add_test(tc, test_symlink_on_the_way_refused);
	tcase_add_test(tc, test_nofollow_walk_refuses_symlinks);
	tcase_add_test(tc, test_mount_inside_not_crossed);
	tcase_add_test(tc, test_device_node_removed_not_opened);
	tcase_add_test(tc, test_bind_mount_inside_not_entered);
	tcase_add_test(tc, test_left_named);
	tcase_add_test(tc, test_empty_dir_only);
	tcase_add_test(tc, test_empty_dir_mount_point);
	suite_add_tcase(s, tc);
	tc = tcase_create("process");
	tcase_add_checked_fixture(tc, setup, tu_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_process_killed);
	tcase_add_test(tc, test_reused_pid_not_signalled);
	tcase_add_test(tc, test_spawn_run_keep_group);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(release_suite)
