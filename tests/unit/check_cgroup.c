/*
 * check_cgroup.c - the session cgroup mechanics (src/core/cgroup.c):
 * paths that could leave cgroupfs are refused; as root on a host with a
 * cgroup v2 hierarchy, a cgroup is made, filled, ended with cgroup.kill
 * and with the freeze fallback (a fork-and-exit chain included), emptied
 * and removed; a cgroup made again has another id; the sweep removes
 * only orphans of ours.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <signal.h>
#include <sys/wait.h>

#include "testutil.h"
#include "core/cgroup.h"

static char base[64];

/* Root and a writable v2 hierarchy, else the test passes vacuously
 * (the e2e tests skip with 77 in that case). */
static bool usable(void)
{
	char mnt[4096];
	uint64_t id;

	if (geteuid() != 0 || lo_cgroup2_mount(mnt, sizeof(mnt)) < 0)
		return false;
	snprintf(base, sizeof(base), "/lo-unit-%d", (int)getpid());
	if (lo_cgroup_create(base, &id) < 0)
		return false;
	return true;
}

static void teardown(void)
{
	if (base[0])
		lo_cgroup_remove(base);
	base[0] = '\0';
}

/* A child in CG that pauses, or with CHAIN forks and exits for ever. */
static pid_t child_in(const char *cg, bool chain)
{
	int p[2];
	char c;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(1);
		while (chain) {
			pid_t q = fork();
			if (q > 0)
				_exit(0);
		}
		for (;;)
			pause();
	}
	close(p[0]);
	ck_assert_int_eq(lo_cgroup_attach(cg, pid), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	close(p[1]);
	return pid;
}

START_TEST(test_paths)
{
	ck_assert(lo_cgroup_path_valid("/logoff"));
	ck_assert(lo_cgroup_path_valid("/logoff/r12"));
	ck_assert(lo_cgroup_path_valid("/user.slice/user-1000.slice/session-3.scope"));
	ck_assert(!lo_cgroup_path_valid("/"));
	ck_assert(!lo_cgroup_path_valid("logoff"));
	ck_assert(!lo_cgroup_path_valid("/logoff/../etc"));
	ck_assert(!lo_cgroup_path_valid("/logoff/."));
	ck_assert(!lo_cgroup_path_valid("/logoff//1"));
	ck_assert(!lo_cgroup_path_valid("/logoff/"));
	ck_assert(!lo_cgroup_path_valid("/a b"));
	ck_assert(!lo_cgroup_path_valid("/a/b/c/d/e/f/g/h/i"));
	ck_assert(lo_cgroup_below("/logoff/1", "/logoff"));
	ck_assert(lo_cgroup_below("/logoff", "/logoff"));
	ck_assert(!lo_cgroup_below("/logoff1", "/logoff"));
	ck_assert(lo_cgroup_below("/x", "/"));
	ck_assert_int_eq(lo_cgroup_create("/../x", &(uint64_t){ 0 }), -EINVAL);
	ck_assert_int_eq(lo_cgroup_remove("/logoff/.."), -EINVAL);
}
END_TEST

static void end_and_remove(bool fallback, bool chain)
{
	char cg[128], sub[160];
	pid_t a, b, *pids = NULL;
	size_t n = 0;
	uint64_t id = 0;

	if (!usable())
		return;
	snprintf(cg, sizeof(cg), "%s/7", base);
	snprintf(sub, sizeof(sub), "%s/7/sub", base);
	ck_assert_int_eq(lo_cgroup_create(cg, &id), 0);
	ck_assert(id != 0);
	ck_assert_int_eq(lo_cgroup_create(cg, &id), -EEXIST);
	ck_assert_int_eq(lo_cgroup_create(sub, &id), 0);
	a = child_in(cg, false);
	b = child_in(sub, chain);
	ck_assert_int_eq(lo_cgroup_populated(cg), 1);
	ck_assert_int_eq(lo_cgroup_procs(cg, &pids, &n), 0);
	ck_assert_uint_ge(n, 2);
	free(pids);
	/* Populated: cannot go. */
	ck_assert_int_eq(lo_cgroup_remove(cg), -EBUSY);
	ck_assert_int_eq(lo_cgroup_wait_empty(cg, lo_now_ms() + 50), -ETIMEDOUT);
	lo_cgroup_test_no_kill_file = fallback;
	ck_assert_int_eq(lo_cgroup_kill(cg), 0);
	lo_cgroup_test_no_kill_file = false;
	ck_assert_int_eq(lo_cgroup_wait_empty(cg, lo_now_ms() + 5000), 0);
	ck_assert_int_eq(lo_cgroup_populated(cg), 0);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	ck_assert_int_eq(lo_cgroup_remove(cg), 0);
	ck_assert_int_eq(lo_cgroup_id(cg, &id), -ENOENT);
	ck_assert_int_eq(lo_cgroup_remove(cg), 0);	/* missing: success */
}

START_TEST(test_kill_file)
{
	end_and_remove(false, false);
}
END_TEST

START_TEST(test_freeze_fallback)
{
	end_and_remove(true, false);
}
END_TEST

START_TEST(test_freeze_fallback_fork_chain)
{
	end_and_remove(true, true);
}
END_TEST

START_TEST(test_remade_has_another_id)
{
	char cg[128];
	uint64_t one = 0, two = 0;

	if (!usable())
		return;
	snprintf(cg, sizeof(cg), "%s/9", base);
	ck_assert_int_eq(lo_cgroup_create(cg, &one), 0);
	ck_assert_int_eq(lo_cgroup_remove(cg), 0);
	ck_assert_int_eq(lo_cgroup_create(cg, &two), 0);
	ck_assert(one != two);
	ck_assert_int_eq(lo_cgroup_id(cg, &one), 0);
	ck_assert(one == two);
}
END_TEST

static bool record_of_6(void *ctx, const char *id)
{
	(void)ctx;
	return strcmp(id, "6") == 0;
}

START_TEST(test_sweep)
{
	char cg[128];
	uint64_t id;
	pid_t a, b;
	int r;

	if (!usable())
		return;
	const char *names[] = { "5", "6", "r8", "kept-7", "kept-6", "foo" };
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		snprintf(cg, sizeof(cg), "%s/%s", base, names[i]);
		ck_assert_int_eq(lo_cgroup_create(cg, &id), 0);
	}
	snprintf(cg, sizeof(cg), "%s/r8", base);
	a = child_in(cg, false);
	snprintf(cg, sizeof(cg), "%s/kept-7", base);
	b = child_in(cg, false);
	r = lo_cgroup_sweep(base, record_of_6, NULL, NULL);
	ck_assert_int_eq(r, 2);	/* 5 (empty) and r8 (ended) */
	waitpid(a, NULL, 0);
	snprintf(cg, sizeof(cg), "%s/5", base);
	ck_assert_int_eq(lo_cgroup_id(cg, &id), -ENOENT);
	snprintf(cg, sizeof(cg), "%s/r8", base);
	ck_assert_int_eq(lo_cgroup_id(cg, &id), -ENOENT);
	snprintf(cg, sizeof(cg), "%s/6", base);
	ck_assert_int_eq(lo_cgroup_id(cg, &id), 0);
	snprintf(cg, sizeof(cg), "%s/kept-6", base);
	ck_assert_int_eq(lo_cgroup_id(cg, &id), 0);
	snprintf(cg, sizeof(cg), "%s/foo", base);
	ck_assert_int_eq(lo_cgroup_id(cg, &id), 0);
	/* The kept process is never ended; once it is gone its cgroup goes. */
	ck_assert_int_eq(kill(b, 0), 0);
	kill(b, SIGKILL);
	waitpid(b, NULL, 0);
	snprintf(cg, sizeof(cg), "%s/kept-7", base);
	ck_assert_int_eq(lo_cgroup_wait_empty(cg, lo_now_ms() + 5000), 0);
	ck_assert_int_eq(lo_cgroup_sweep(base, record_of_6, NULL, NULL), 1);
	ck_assert_int_eq(lo_cgroup_id(cg, &id), -ENOENT);
}
END_TEST

static Suite *cgroup_suite(void)
{
	Suite *s = suite_create("cgroup");
	TCase *tc = tcase_create("paths");

	tcase_add_test(tc, test_paths);
	suite_add_tcase(s, tc);
	tc = tcase_create("lifecycle");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_kill_file);
	tcase_add_test(tc, test_freeze_fallback);
	tcase_add_test(tc, test_freeze_fallback_fork_chain);
	tcase_add_test(tc, test_remade_has_another_id);
	tcase_add_test(tc, test_sweep);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(cgroup_suite)
