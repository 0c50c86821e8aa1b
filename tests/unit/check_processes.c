/*
 * check_processes.c - the processes provider's matching against real
 * processes: audit sessions, user sessions, exclusions, keep_commands,
 * SIGKILL after the grace period, the caller never ended. Needs root (a
 * new audit session, setuid); without root the program exits 77 (skip).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "testutil.h"

/* A uid no account uses: its processes are only the ones made here. */
#define TEST_UID 64999


/* Run ARGV as a child, as UID when uid >= 0. */
static pid_t start(int uid, const char *path, const char *arg0, const char *a1, const char *a2)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (uid >= 0 && (setgid((gid_t)uid) < 0 || setuid((uid_t)uid) < 0))
			_exit(126);
		execl(path, arg0, a1, a2, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static long read_pidfile(const char *name)
{
	char buf[32] = "";
	FILE *f = fopen(tu_path(name), "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return buf[0] ? strtol(buf, NULL, 10) : -1;
}

static void kill_pidfile(const char *name)
{
	long pid = read_pidfile(name);
	if (pid > 1)
		kill((pid_t)pid, SIGKILL);
}

/* The sleep that keepsh started (its pid in inner.pid) still runs. */
static bool inner_alive(void)
{
	char buf[32] = "";
	FILE *f = fopen(tu_path("inner.pid"), "r");
	char state = 0;
	long pid;

	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		return false;
	}
	fclose(f);
	pid = strtol(buf, NULL, 10);
	return pid > 1 && lo_proc_info((pid_t)pid, NULL, NULL, NULL, &state, NULL) == 0 &&
	       state != 'Z';
}

static bool alive(pid_t pid)
{
	int status;
	return waitpid(pid, &status, WNOHANG) == 0;
}

/* Reap PID, waiting up to 10 s; returns the terminating signal or -1. */
static int death_signal(pid_t pid)
{
	int status;

	for (int i = 0; i < 1000; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return WIFSIGNALED(status) ? WTERMSIG(status) : -1;
		usleep(10000);
	}
	return -1;
}

static struct lo_ctx ctx_for(const char *conf)
{
	return tu_ctx(conf, NULL);
}

/* A record with only the processes provider logged on, whose login
 * manager is this process (a live session) or, with STALE, a process that
 * is gone. */
static void make_record_as(const char *id, uid_t uid, bool audit, bool stale)
{
	struct lo_record r;
	struct lo_status st;

	memset(&r, 0, sizeof(r));
	memset(&st, 0, sizeof(st));
	if (stale) {
		pid_t gone = fork();
		if (gone == 0)
			_exit(0);
		waitpid(gone, NULL, 0);
		r.leader_pid = gone;
		r.leader_start = 1;
	} else {
		r.leader_pid = getpid();
		ck_assert_int_eq(lo_proc_starttime(getpid(), &r.leader_start), 0);
	}
	snprintf(r.id, sizeof(r.id), "%s", id);
	r.user = (char *)"test";
	r.home = r.service = r.tty = r.rhost = (char *)"";
	r.uid = uid;
	r.gid = uid;
	r.audit = audit;
	r.state = LO_SESSION_ACTIVE;
	st.name = (char *)"processes";
	st.state = LO_PROVIDER_LOGGED_ON;
	r.status = &st;
	r.n_status = 1;
	ck_assert_int_eq(lo_record_create(tu_reg, &r), 0);
	free(r.name);	/* the name the registry gave it */
}

static void make_record(const char *id, uid_t uid, bool audit)
{
	make_record_as(id, uid, audit, false);
}

START_TEST(test_audit_session_ended_caller_spared)
{
	pid_t outside, inside;
	int status;

	outside = start(-1, "/bin/sleep", "sleep", "60", NULL);
	inside = fork();
	if (inside == 0) {
		/* A new audit session, as pam_loginuid makes one. */
		int fd = open("/proc/self/loginuid", O_WRONLY);
		uint32_t sid;
		char id[16];
		pid_t s1, s2, keep, inner, fake, stubborn;
		char innercmd[1200];
		struct lo_ctx ctx;

		if (fd < 0 || write(fd, "64999", 5) != 5)
			_exit(10);
		close(fd);
		if (lo_proc_info(getpid(), NULL, NULL, &sid, NULL, NULL) < 0 || sid == UINT32_MAX)
			_exit(11);
		s1 = start(-1, "/bin/sleep", "sleep", "60", NULL);
		s2 = start(TEST_UID, "/bin/sleep", "sleep", "60", NULL);
		keep = start(-1, tu_path("keepme"), "keepme", "60", NULL);
		/* Something running inside a kept program is kept with it. */
		snprintf(innercmd, sizeof(innercmd), "sleep 60 & echo $! > '%s'; wait",
			 tu_path("inner.pid"));
		inner = start(-1, tu_path("keepsh"), "keepsh", "-c", innercmd);
		/* Same name, but a copy the user owns: not kept. */
		fake = start(-1, tu_path("u/keepme"), "keepme", "60", NULL);
		stubborn = start(-1, "/bin/sh", "sh", "-c", "trap '' TERM; while :; do sleep 1; done");
		usleep(200000);
		snprintf(id, sizeof(id), "%u", sid);
		make_record(id, TEST_UID, true);
		{
			char conf[2048];
			/* By absolute path: kept programs are root's files. */
			snprintf(conf, sizeof(conf), "[processes]\nmatch = audit\ngrace = 1\n"
				 "exclude_users =\nkeep_commands = %s %s\n", tu_path("keepme"),
				 tu_path("keepsh"));
			ctx = ctx_for(conf);
		}
		if (lo_chain_logoff(&ctx, id, 0) != 0)
			_exit(12);
		if (death_signal(s1) != SIGTERM || death_signal(s2) != SIGTERM)
			_exit(13);
		if (death_signal(fake) != SIGTERM)
			_exit(16);
		if (death_signal(stubborn) != SIGKILL)
			_exit(14);
		if (!alive(keep))
			_exit(15);
		if (!alive(inner) || !inner_alive())
			_exit(17);
		kill(keep, SIGKILL);
		kill(inner, SIGKILL);
		kill_pidfile("inner.pid");
		_exit(0);
	}
	ck_assert_int_eq(waitpid(inside, &status, 0), inside);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed at step %d",
		      WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status));
	/* Not in the session: untouched. */
	ck_assert(alive(outside));
	kill(outside, SIGKILL);
	waitpid(outside, &status, 0);
}
END_TEST

START_TEST(test_user_match_waits_for_last_session)
{
	pid_t p;
	struct lo_ctx ctx;
	struct lo_record *rec = NULL;

	p = start(TEST_UID, "/bin/sleep", "sleep", "60", NULL);
	usleep(100000);
	make_record("r1", TEST_UID, false);
	make_record("r2", TEST_UID, false);
	ctx = ctx_for("[processes]\nmatch = user\ngrace = 1\n");
	/* r2 is still open: the user's processes belong to it too. */
	ck_assert_int_eq(lo_chain_logoff(&ctx, "r1", 0), 0);
	ck_assert(alive(p));
	ck_assert_int_eq(lo_record_read(tu_reg, "r1", &rec, NULL), -ENOENT);
	ck_assert_int_eq(lo_chain_logoff(&ctx, "r2", 0), 0);
	ck_assert_int_eq(death_signal(p), SIGTERM);
}
END_TEST

/* Another record of the user whose login manager is gone is no login:
 * the user's processes are ended, and that record's own sweep ends what
 * the user left after it. */
START_TEST(test_user_match_stale_other_ignored)
{
	pid_t p, q;
	struct lo_ctx ctx;
	struct lo_record *rec = NULL;

	p = start(TEST_UID, "/bin/sleep", "sleep", "60", NULL);
	usleep(100000);
	make_record("r1", TEST_UID, false);
	make_record_as("r2", TEST_UID, false, true);
	ctx = ctx_for("[processes]\nmatch = user\ngrace = 1\n");
	ck_assert_int_eq(lo_chain_logoff(&ctx, "r1", 0), 0);
	ck_assert_int_eq(death_signal(p), SIGTERM);
	ck_assert_int_eq(lo_record_read(tu_reg, "r1", &rec, NULL), -ENOENT);
	q = start(TEST_UID, "/bin/sleep", "sleep", "60", NULL);
	usleep(100000);
	ck_assert_int_eq(lo_chain_logoff(&ctx, "r2", 0), 0);
	ck_assert_int_eq(death_signal(q), SIGTERM);
}
END_TEST

static void *spin(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* A process of TEST_UID whose main thread called pthread_exit() while
 * another thread runs: /proc shows its leader as a zombie. */
static pid_t start_zombie_leader(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		pthread_t t;

		if (setgid(TEST_UID) < 0 || setuid(TEST_UID) < 0)
			_exit(126);
		/* Ignores SIGTERM, so only SIGKILL ends it. */
		signal(SIGTERM, SIG_IGN);
		if (pthread_create(&t, NULL, spin, NULL) != 0)
			_exit(127);
		pthread_exit(NULL);
	}
	/* Wait until the leader shows 'Z'. */
	for (int i = 0; i < 500; i++) {
		char state = 0;
		if (lo_proc_info(pid, NULL, NULL, NULL, &state, NULL) == 0 && state == 'Z')
			break;
		usleep(2000);
	}
	return pid;
}

START_TEST(test_zombie_leader_alive)
{
	pid_t pid = start_zombie_leader();
	struct lo_proc_handle h, nopidfd;
	unsigned long long st;
	char state = 0;

	ck_assert_int_eq(lo_proc_info(pid, NULL, NULL, NULL, &state, NULL), 0);
	ck_assert_int_eq(state, 'Z');
	ck_assert_int_eq(lo_proc_starttime(pid, &st), 0);
	ck_assert(lo_proc_group_alive(pid));
	ck_assert(lo_proc_alive(pid, st));
	ck_assert_int_eq(lo_proc_handle_open(pid, &h), 0);
	ck_assert(!lo_proc_handle_exited(&h));
	/* Without a pidfd (old kernels, valgrind): the same answer. */
	nopidfd = h;
	nopidfd.pidfd = -1;
	ck_assert(!lo_proc_handle_exited(&nopidfd));
	ck_assert_int_eq(lo_proc_group_stopped(pid, st), 0);
	ck_assert_int_eq(lo_proc_handle_signal(&h, SIGSTOP), 0);
	for (int i = 0; i < 500 && lo_proc_group_stopped(pid, st) != 1; i++)
		usleep(2000);
	ck_assert_int_eq(lo_proc_group_stopped(pid, st), 1);
	ck_assert_int_eq(lo_proc_handle_signal(&h, SIGKILL), 0);
	ck_assert_int_eq(death_signal(pid), SIGKILL);
	ck_assert(lo_proc_handle_exited(&h));
	ck_assert(!lo_proc_alive(pid, st));
	lo_proc_handle_close(&h);
}
END_TEST

/* No process of TEST_UID left: every pid under /proc checked. */
static int count_uid_processes(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		uid_t uid;
		char state = 0;

		if (*end || pid <= 1)
			continue;
		if (lo_proc_info((pid_t)pid, NULL, &uid, NULL, NULL, NULL) == 0 &&
		    lo_proc_info((pid_t)pid, NULL, NULL, NULL, &state, NULL) == 0 &&
		    uid == TEST_UID && (state != 'Z' || lo_proc_group_alive((pid_t)pid))) {
			char comm[16] = "";
			pid_t ppid = 0, ksid = 0;
			unsigned long long st = 0;

			lo_proc_info((pid_t)pid, &ppid, NULL, NULL, NULL, comm);
			lo_proc_session((pid_t)pid, &ksid, &st);
			fprintf(stderr, "left: %ld %c ppid %d sid %d start %llu %s\n", pid, state,
				(int)ppid, (int)ksid, st, comm);
			n++;
		}
	}
	closedir(d);
	return n;
}

/* match=user: a zombie leader with a live thread, a fork-and-exit chain
 * that ignores SIGTERM, and a child that calls setsid() on SIGTERM after
 * its parent exits: none outlives the logoff, which reports success only
 * because none does. */
START_TEST(test_user_match_escapes_ended)
{
	pid_t zombie, chain, setsider;
	struct lo_record *rec = NULL;
	struct lo_ctx ctx;
	int r;

	ck_assert_int_eq(count_uid_processes(), 0);
	zombie = start_zombie_leader();
	chain = fork();
	if (chain == 0) {
		if (setgid(TEST_UID) < 0 || setuid(TEST_UID) < 0)
			_exit(126);
		signal(SIGTERM, SIG_IGN);
		for (;;) {
			pid_t c = fork();
			if (c > 0)
				_exit(0);	/* the child goes on */
			if (c < 0)
				usleep(1000);
		}
	}
	setsider = start(TEST_UID, "/bin/sh", "sh", "-c",
			 "trap '(setsid sh -c \"trap \\\"\\\" TERM; sleep 60\" &); exit 0' TERM; "
			 "while :; do sleep 0.05; done");
	usleep(300000);
	make_record("r9", TEST_UID, false);
	ctx = ctx_for("[processes]\nmatch = user\ngrace = 1\nexclude_users = root\n");
	r = lo_chain_logoff(&ctx, "r9", 0);
	if (r != 0 && lo_record_read(tu_reg, "r9", &rec, NULL) == 0) {
		fprintf(stderr, "r9: %s\n", rec->status[0].message);
		lo_record_free(rec);
	}
	ck_assert_int_eq(r, 0);
	waitpid(zombie, NULL, WNOHANG);
	waitpid(chain, NULL, WNOHANG);
	waitpid(setsider, NULL, WNOHANG);
	ck_assert_int_eq(count_uid_processes(), 0);
	death_signal(zombie);
	death_signal(setsider);
}
END_TEST

/* keep_commands by identity: the listed root-owned file, by device and
 * inode. A copy of the same program elsewhere is not kept, nor another
 * root-owned program bind-mounted over the kept path (in a mount
 * namespace of its own, as a user can in an unprivileged user namespace),
 * though /proc/PID/exe then names the kept path. */
START_TEST(test_keep_by_identity)
{
	pid_t inside = fork();
	int status;

	if (inside == 0) {
		int fd = open("/proc/self/loginuid", O_WRONLY);
		uint32_t sid;
		char id[16], conf[2048], cmd[2048];
		pid_t kept_p, copy_p, spoof_p, named_p;
		struct lo_ctx ctx;

		if (fd < 0 || write(fd, "64999", 5) != 5)
			_exit(10);
		close(fd);
		if (lo_proc_info(getpid(), NULL, NULL, &sid, NULL, NULL) < 0 || sid == UINT32_MAX)
			_exit(11);
		snprintf(cmd, sizeof(cmd), "cp /bin/sleep '%s'", tu_path("othercopy"));
		if (system(cmd) != 0)
			_exit(12);
		chmod(tu_dir, 0711);	/* TEST_UID runs the programs in it */
		kept_p = start(TEST_UID, tu_path("keepme"), "keepme", "60", NULL);
		copy_p = start(TEST_UID, tu_path("othercopy"), "keepme", "60", NULL);
		/* Listed by name: found in /usr/bin:/bin. */
		named_p = start(TEST_UID, "/usr/bin/tail", "tail", "-f", "/dev/null");
		spoof_p = fork();
		if (spoof_p == 0) {
			if (unshare(CLONE_NEWNS) < 0 ||
			    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
			    mount(tu_path("othercopy"), tu_path("keepme"), "none", MS_BIND, NULL) < 0)
				_exit(120);
			if (setgid(TEST_UID) < 0 || setuid(TEST_UID) < 0)
				_exit(121);
			execl(tu_path("keepme"), "keepme", "60", (char *)NULL);
			_exit(122);
		}
		usleep(300000);
		snprintf(id, sizeof(id), "%u", sid);
		make_record(id, TEST_UID, true);
		/* Bad entries are ignored: relative, missing, user-owned. */
		snprintf(conf, sizeof(conf), "[processes]\nmatch = audit\ngrace = 1\n"
			 "keep_commands = %s ./keepme /nonexistent %s tail\n", tu_path("keepme"),
			 tu_path("u/keepme"));
		ctx = ctx_for(conf);
		if (lo_chain_logoff(&ctx, id, 0) != 0)
			_exit(13);
		if (!alive(kept_p))
			_exit(14);
		if (death_signal(copy_p) != SIGTERM)
			_exit(15);
		if (death_signal(spoof_p) != SIGTERM)
			_exit(16);
		if (!alive(named_p))
			_exit(17);
		kill(kept_p, SIGKILL);
		waitpid(kept_p, NULL, 0);
		kill(named_p, SIGKILL);
		waitpid(named_p, NULL, 0);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(inside, &status, 0), inside);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed at step %d",
		      WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status));
}
END_TEST

START_TEST(test_user_match_fork_on_term_caught)
{
	struct lo_ctx ctx;
	char cmd[1200];
	pid_t p;
	long esc;
	char state = 0;

	/* On SIGTERM it starts a child and exits: the child, started after
	 * the logoff began, is in the same kernel session, so it is the
	 * session's and is ended in the next round. */
	snprintf(cmd, sizeof(cmd), "trap 'sleep 0.3; sleep 60 & echo $! > %s; exit 0' TERM; "
		 "while :; do sleep 0.05; done", tu_path("u/esc.pid"));
	chmod(tu_dir, 0711);	/* the user writes into u/, which it owns */
	p = start(TEST_UID, "/bin/sh", "sh", "-c", cmd);
	usleep(200000);
	make_record("r8", TEST_UID, false);
	ctx = ctx_for("[processes]\nmatch = user\ngrace = 1\n");
	ck_assert_int_eq(lo_chain_logoff(&ctx, "r8", 0), 0);
	ck_assert_int_ne(death_signal(p), -2);
	esc = read_pidfile("u/esc.pid");
	ck_assert_int_gt(esc, 1);
	usleep(100000);
	ck_assert_msg(lo_proc_info((pid_t)esc, NULL, NULL, NULL, &state, NULL) < 0 || state == 'Z',
		      "the child started on SIGTERM escaped the logoff");
	kill_pidfile("u/esc.pid");
}
END_TEST

/* A sleeper of TEST_UID, then a logoff of record ID (not an audit
 * session) under CONF: the sleeper must survive it. */
static void assert_logoff_spares(const char *id, const char *conf)
{
	pid_t p = start(TEST_UID, "/bin/sleep", "sleep", "60", NULL);
	struct lo_ctx ctx;
	int status;

	usleep(100000);
	/* Its login manager is gone: no process descends from it. */
	make_record_as(id, TEST_UID, false, true);
	ctx = ctx_for(conf);
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), 0);
	ck_assert(alive(p));
	kill(p, SIGKILL);
	waitpid(p, &status, 0);
}

START_TEST(test_excluded_user_untouched)
{
	assert_logoff_spares("r5", "[processes]\nmatch = user\nexclude_users = root 64999\n");
}
END_TEST

START_TEST(test_audit_without_session_ends_nothing)
{
	assert_logoff_spares("r6", "[processes]\nmatch = audit\n");
}
END_TEST

static void copy_keepme(void)
{
	char cmd[1200];

	tu_reg_setup();
	snprintf(cmd, sizeof(cmd), "cp /bin/sleep '%s' && cp /bin/sh '%s' && mkdir '%s' && "
		 "cp /bin/sleep '%s' && chown -R %d '%s'", tu_path("keepme"), tu_path("keepsh"),
		 tu_path("u"), tu_path("u/keepme"), TEST_UID, tu_path("u"));
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_own_audit_session)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		int fd = open("/proc/self/loginuid", O_WRONLY);
		uint32_t id;
		pid_t other;

		/* Inherited from the test runner: not ours. */
		if (lo_proc_own_audit_session(&id) == 0 && id != UINT32_MAX) {
			/* Only possible when the runner itself has no
			 * session and we... cannot be: fail loudly. */
			_exit(20);
		}
		if (fd < 0 || write(fd, "64999", 5) != 5)
			_exit(21);
		close(fd);
		/* A fresh session of our own, like pam_loginuid makes. */
		if (lo_proc_own_audit_session(&id) != 0)
			_exit(22);
		/* A process started after us joined the session (a daemon an
		 * earlier module left): still ours. */
		other = start(-1, "/bin/sleep", "sleep", "60", NULL);
		usleep(100000);
		if (lo_proc_own_audit_session(&id) != 0)
			_exit(23);
		kill(other, SIGKILL);
		waitpid(other, NULL, 0);
		/* A reparented process (as su whose parent shell exited): its
		 * parent is now init, whose id differs, but we, older, hold
		 * the id: inherited, not its own. */
		{
			int p[2];
			char verdict = 0;

			if (pipe(p) < 0)
				_exit(24);
			other = fork();
			if (other == 0) {
				if (fork() == 0) {
					usleep(100000);	/* its parent is gone by now */
					verdict = getppid() != getpid() &&
						  lo_proc_own_audit_session(&id) == -ENOENT ? 'y' : 'n';
					if (write(p[1], &verdict, 1) != 1)
						_exit(1);
					_exit(0);
				}
				_exit(0);
			}
			waitpid(other, NULL, 0);
			close(p[1]);
			if (read(p[0], &verdict, 1) != 1 || verdict != 'y')
				_exit(25);
		}
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "step %d",
		      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}
END_TEST

static Suite *processes_suite(void)
{
	Suite *s = suite_create("processes");
	TCase *tc = tcase_create("match");

	tcase_add_checked_fixture(tc, copy_keepme, tu_reg_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_audit_session_ended_caller_spared);
	tcase_add_test(tc, test_user_match_waits_for_last_session);
	tcase_add_test(tc, test_excluded_user_untouched);
	tcase_add_test(tc, test_user_match_fork_on_term_caught);
	tcase_add_test(tc, test_audit_without_session_ends_nothing);
	tcase_add_test(tc, test_own_audit_session);
	tcase_add_test(tc, test_user_match_stale_other_ignored);
	tcase_add_test(tc, test_zombie_leader_alive);
	tcase_add_test(tc, test_user_match_escapes_ended);
	tcase_add_test(tc, test_keep_by_identity);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	/* Every test here needs root: say so instead of passing empty. */
	if (geteuid() != 0) {
		printf("SKIP: check_processes needs root (audit sessions, setuid)\n");
		return 77;
	}
	sr = srunner_create(processes_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
