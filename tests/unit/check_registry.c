/*
 * check_registry.c - session records: round trip, atomic write, lock,
 * O_NOFOLLOW, ownership, corrupt/truncated/future records refused, ids.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>

#include "testutil.h"


static struct lo_record *sample(const char *id)
{
	struct lo_record *r = calloc(1, sizeof(*r));

	snprintf(r->id, sizeof(r->id), "%s", id);
	r->user = strdup("alice");
	r->home = strdup("/home/alice smith");
	r->service = strdup("sshd");
	r->tty = strdup("");
	r->rhost = strdup("::1%eth0");
	r->logind = strdup("c42");
	r->uid = 1000;
	r->gid = 100;
	r->leader_pid = 4242;
	r->leader_start = 123456789ULL;
	r->audit = true;
	r->created = 1700000000;
	r->state = LO_SESSION_ACTIVE;
	r->status = calloc(2, sizeof(*r->status));
	r->status[0].name = strdup("tmpdir");
	r->status[0].state = LO_PROVIDER_LOGGED_ON;
	snprintf(r->status[0].message, sizeof(r->status[0].message), "created /tmp/x\nnewline");
	r->status[1].name = strdup("hooks");
	r->status[1].state = LO_PROVIDER_FAILED;
	r->status[1].result = -EIO;
	r->status[1].faults = 2;
	r->n_status = 2;
	ck_assert_int_eq(lo_record_add_sub(r, "tmpdir", LOGOFF_SUBOBJECT_PATH, "/tmp/a dir/%x"), 0);
	ck_assert_int_eq(lo_record_add_sub(r, "hooks", LOGOFF_SUBOBJECT_PROCESS, "99:12"), 0);
	ck_assert_int_eq(lo_record_add_sub(r, "hooks", LOGOFF_SUBOBJECT_PROCESS, "99:12"), 1);
	ck_assert_int_eq(lo_record_set_data(r, "krb5", "ccache", "FILE:/tmp/a b%"), 0);
	ck_assert_int_eq(lo_record_set_data(r, "krb5", "gone", "x"), 0);
	ck_assert_int_eq(lo_record_set_data(r, "krb5", "gone", NULL), 0);
	ck_assert_int_eq(lo_record_set_data(r, "krb5", "Bad-Key", "x"), -EINVAL);
	return r;
}

START_TEST(test_round_trip)
{
	struct lo_record *w = sample("r7"), *r = NULL;
	char *err = NULL;
	struct stat st;
	mode_t old = umask(077);	/* an application's tight umask changes nothing */

	ck_assert_int_eq(lo_record_create(tu_reg, w), 0);
	umask(old);
	ck_assert_int_eq(lo_record_create(tu_reg, w), -EEXIST);
	ck_assert_int_eq(stat(tu_path("reg/sessions/r7"), &st), 0);
	/* Readable by everyone, like utmp, so `logoff --list` works for
	 * users; writable by the owner only. */
	ck_assert_uint_eq(st.st_mode & 0777, 0644);
	ck_assert_int_eq(stat(tu_path("reg"), &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0755);
	ck_assert(tu_exists(tu_path("reg/users/1000/r7")));

	ck_assert_int_eq(lo_record_read(tu_reg, "r7", &r, &err), 0);
	ck_assert_str_eq(lo_record_get_data(r, "krb5", "ccache"), "FILE:/tmp/a b%");
	ck_assert_ptr_null(lo_record_get_data(r, "krb5", "gone"));
	ck_assert_uint_eq(r->n_data, 1);
	ck_assert_str_eq(r->user, "alice");
	ck_assert_str_eq(r->home, "/home/alice smith");
	ck_assert_str_eq(r->tty, "");
	ck_assert_str_eq(r->rhost, "::1%eth0");
	ck_assert_str_eq(r->logind, "c42");
	ck_assert_uint_eq(r->uid, 1000);
	ck_assert_uint_eq(r->gid, 100);
	ck_assert_int_eq(r->leader_pid, 4242);
	ck_assert(r->leader_start == 123456789ULL);
	ck_assert(r->audit);
	ck_assert_int_eq(r->state, LO_SESSION_ACTIVE);
	ck_assert_uint_eq(r->n_status, 2);
	ck_assert_str_eq(r->status[0].message, "created /tmp/x\nnewline");
	ck_assert_int_eq(r->status[1].result, -EIO);
	ck_assert_uint_eq(r->status[1].faults, 2);
	ck_assert_uint_eq(r->n_sub, 2);
	ck_assert_str_eq(r->sub[0].value, "/tmp/a dir/%x");
	ck_assert_int_eq(r->sub[1].kind, LOGOFF_SUBOBJECT_PROCESS);
	ck_assert_int_eq(lo_registry_count_user(tu_reg, 1000, NULL), 1);
	ck_assert_int_eq(lo_registry_count_user(tu_reg, 1000, "r7"), 0);

	ck_assert_int_eq(lo_record_delete(tu_reg, "r7"), 0);
	ck_assert(!tu_exists(tu_path("reg/sessions/r7")));
	ck_assert(!tu_exists(tu_path("reg/users/1000")));
	{ struct lo_record *gone = NULL; ck_assert_int_eq(lo_record_read(tu_reg, "r7", &gone, NULL), -ENOENT); }
	lo_record_free(w);
	lo_record_free(r);
}
END_TEST

START_TEST(test_write_is_atomic_and_leaves_no_temp)
{
	struct lo_record *w = sample("5");
	struct lo_record *r = NULL;
	int n = 0;

	ck_assert_int_eq(lo_record_create(tu_reg, w), 0);
	for (int i = 0; i < 50; i++) {
		w->status[0].faults = (unsigned)i;
		ck_assert_int_eq(lo_record_write(tu_reg, w), 0);
	}
	ck_assert_int_eq(lo_record_read(tu_reg, "5", &r, NULL), 0);
	ck_assert_uint_eq(r->status[0].faults, 49);
	lo_record_free(r);
	/* Only the record itself is in sessions/: no temp file left. */
	{
		DIR *d = opendir(tu_path("reg/sessions"));
		struct dirent *de;
		while ((de = readdir(d)))
			if (de->d_name[0] != '.' || strncmp(de->d_name, ".tmp", 4) == 0)
				n++;
		closedir(d);
	}
	ck_assert_int_eq(n, 1);
	lo_record_free(w);
}
END_TEST

START_TEST(test_lock_excludes_other_process)
{
	pid_t pid;
	int status;

	struct stat st;

	/* The lock is a file only the registry's owner can open: the
	 * directories are readable by everyone, and a user who could flock
	 * one of them would stall every login. */
	ck_assert_int_eq(stat(tu_path("reg/lock"), &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(lo_registry_lock(tu_reg), 0);
	pid = fork();
	if (pid == 0) {
		int fd = open(tu_path("reg/lock"), O_RDWR);
		/* Held by the parent: a non-blocking attempt must fail. */
		_exit(flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	lo_registry_unlock(tu_reg);
	pid = fork();
	if (pid == 0) {
		int fd = open(tu_path("reg/lock"), O_RDWR);
		_exit(flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	/* Another process holding a lock on the readable sessions directory
	 * does not stop a writer. */
	pid = fork();
	if (pid == 0) {
		int fd = open(tu_path("reg/sessions"), O_RDONLY | O_DIRECTORY);
		flock(fd, LOCK_EX);
		pause();
		_exit(0);
	}
	usleep(100000);
	ck_assert_int_eq(lo_registry_lock(tu_reg), 0);
	lo_registry_unlock(tu_reg);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
END_TEST

static void expect_refused(const char *id, const char *text, int expect, const char *why)
{
	struct lo_record *r = NULL;
	char *err = NULL;
	char path[512];

	snprintf(path, sizeof(path), "reg/sessions/%s", id);
	tu_write(tu_path(path), text, 0600);
	ck_assert_int_eq(lo_record_read(tu_reg, id, &r, &err), expect);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, why) && strstr(err, id), "'%s' not in '%s'", why, err);
	free(err);
}

START_TEST(test_corrupt_records_refused)
{
	struct lo_record *w = sample("9");
	char *good;
	size_t len;
	FILE *f;

	ck_assert_int_eq(lo_record_create(tu_reg, w), 0);
	f = fopen(tu_path("reg/sessions/9"), "r");
	good = calloc(1, 8192);
	len = fread(good, 1, 8191, f);
	fclose(f);
	ck_assert_uint_gt(len, 100);

	/* Truncated anywhere before "end": refused. */
	for (size_t cut = 0; cut < len - 4; cut += 7) {
		char *t = strndup(good, cut);
		struct lo_record *r = NULL;
		tu_write(tu_path("reg/sessions/9"), t, 0600);
		ck_assert_int_lt(lo_record_read(tu_reg, "9", &r, NULL), 0);
		ck_assert_ptr_null(r);
		free(t);
	}
	expect_refused("9", "logoff-record 2\nid 9\nend\n", -EPROTO, "format version");
	expect_refused("9", "hello\n", -EBADMSG, "not a session record");
	expect_refused("9", "logoff-record 1\nid 8\nuser a\nuid 1\ngid 1\nend\n", -EBADMSG,
		       "another session");
	expect_refused("9", "logoff-record 1\nid 9\nuser a\nuser b\nuid 1\ngid 1\nend\n", -EBADMSG,
		       "malformed");
	expect_refused("9", "logoff-record 1\nid 9\nuser %00\nuid 1\ngid 1\nend\n", -EBADMSG,
		       "malformed");
	expect_refused("9", "logoff-record 1\nid 9\nuser a\nuid 1\ngid 1\ndata p ../k v\nend\n",
		       -EBADMSG, "malformed");
	expect_refused("9", "logoff-record 1\nid 9\nuser a\nuid 1\ngid 1\ndata p k v\ndata p k w\nend\n",
		       -EBADMSG, "malformed");
	/* logind's id: letters and digits only, given once; a record
	 * without one reads as "" (every record written before it). */
	expect_refused("9", "logoff-record 1\nid 9\nuser a\nuid 1\ngid 1\nlogind ../x\nend\n",
		       -EBADMSG, "malformed");
	expect_refused("9", "logoff-record 1\nid 9\nuser a\nuid 1\ngid 1\nlogind c1%0a\nend\n",
		       -EBADMSG, "malformed");
	expect_refused("9", "logoff-record 1\nid 9\nuser a\nuid 1\ngid 1\nlogind 1\nlogind 2\nend\n",
		       -EBADMSG, "malformed");
	{
		struct lo_record *r = NULL;
		tu_write(tu_path("reg/sessions/9"), "logoff-record 1\nid 9\nuser a\nuid 1\ngid 1\nend\n",
			 0644);
		ck_assert_int_eq(lo_record_read(tu_reg, "9", &r, NULL), 0);
		ck_assert_str_eq(r->logind, "");
		lo_record_free(r);
	}
	ck_assert(!lo_logind_id_valid(NULL));
	ck_assert(!lo_logind_id_valid(""));
	ck_assert(!lo_logind_id_valid("c-1"));
	ck_assert(!lo_logind_id_valid("1 2"));
	ck_assert(!lo_logind_id_valid("\xc3\xa9"));
	ck_assert(!lo_logind_id_valid("0123456789012345678901234567890123456789012345678901234567890123x"));
	ck_assert(lo_logind_id_valid("0123456789012345678901234567890123456789012345678901234567890123"));
	ck_assert(lo_logind_id_valid("c3"));
	free(good);
	lo_record_free(w);
}
END_TEST

START_TEST(test_unsafe_records_refused)
{
	struct lo_record *r = NULL;
	char *err = NULL;

	tu_write(tu_path("target"), "logoff-record 1\n", 0600);
	ck_assert_int_eq(symlink(tu_path("target"), tu_path("reg/sessions/s1")), 0);
	ck_assert_int_eq(lo_record_read(tu_reg, "s1", &r, &err), -EPERM);
	free(err);
	tu_write(tu_path("reg/sessions/s2"), "logoff-record 1\n", 0664);
	ck_assert_int_eq(lo_record_read(tu_reg, "s2", &r, &err), -EPERM);
	ck_assert_msg(strstr(err, "group or others"), "%s", err);
	free(err);
	/* Ids that could name a path outside sessions/ never reach a path. */
	ck_assert_int_eq(lo_record_read(tu_reg, "../target", &r, &err), -EINVAL);
	free(err);
	ck_assert(!lo_id_valid(".."));
	ck_assert(!lo_id_valid("a/b"));
	ck_assert(!lo_id_valid("-rf"));
	ck_assert(!lo_id_valid(""));
	ck_assert(!lo_id_valid("012345678901234567890123456789012"));
	ck_assert(lo_id_valid("r12"));
	ck_assert(lo_id_valid("4294967294"));
}
END_TEST

START_TEST(test_unsafe_registry_refused)
{
	struct lo_registry *r2 = NULL;
	char *err = NULL;

	ck_assert_int_eq(mkdir(tu_path("open"), 0755), 0);
	ck_assert_int_eq(chmod(tu_path("open"), 0777), 0);
	ck_assert_int_eq(lo_registry_open(tu_path("open"), LO_REGISTRY_CREATE, &r2, &err), -EPERM);
	ck_assert_msg(strstr(err, "open") && strstr(err, "0777"), "%s", err);
	free(err);
	ck_assert_int_eq(symlink(tu_path("reg"), tu_path("link")), 0);
	ck_assert_int_eq(lo_registry_open(tu_path("link"), false, &r2, &err), -ELOOP);
	ck_assert_msg(strstr(err, "symlink"), "%s", err);
	free(err);
	ck_assert_int_eq(lo_registry_open(tu_path("missing"), false, &r2, &err), -ENOENT);
	free(err);
}
END_TEST

START_TEST(test_alloc_ids_unique)
{
	char a[LO_ID_MAX + 1], b[LO_ID_MAX + 1];
	struct lo_record *w = sample("r2");

	ck_assert_int_eq(lo_record_create(tu_reg, w), 0);
	ck_assert_int_eq(lo_registry_alloc_id(tu_reg, a), 0);
	ck_assert_str_eq(a, "r1");
	/* r2 is taken by a record: skipped. */
	ck_assert_int_eq(lo_registry_alloc_id(tu_reg, b), 0);
	ck_assert_str_eq(b, "r3");
	lo_record_free(w);
}
END_TEST

/* Create a record for ID on TTY for SERVICE; returns its name. */
/* A record of ID on TTY by SERVICE whose login manager is this process
 * (live), named by lo_record_create; returns its name. */
static char *create_named(const char *id, const char *tty, const char *service)
{
	struct lo_record *w = sample(id);
	char *name;

	w->leader_pid = getpid();
	ck_assert_int_eq(lo_proc_starttime(getpid(), &w->leader_start), 0);

	free(w->tty);
	w->tty = strdup(tty);
	free(w->service);
	w->service = strdup(service);
	ck_assert_int_eq(lo_record_create(tu_reg, w), 0);
	name = strdup(w->name);
	lo_record_free(w);
	return name;
}

START_TEST(test_session_names)
{
	char id[LO_ID_MAX + 1];
	struct lo_record *r = NULL;
	char *n1, *n2, *n3, *n4;

	/* The first session on a tty is named after it, a second one there
	 * after its service and id; no tty gives the service form. */
	n1 = create_named("7", "/dev/null", "sshd");
	ck_assert_str_eq(n1, "null");
	n2 = create_named("r12", "/dev/null", "su-l");
	ck_assert_str_eq(n2, "su-l-r12");
	n3 = create_named("8", "ssh", "sshd");
	ck_assert_str_eq(n3, "sshd-8");
	n4 = create_named("r13", ":0", "../../x y");
	ck_assert_str_eq(n4, ":0");
	ck_assert(tu_exists(tu_path("reg/names/null")));

	/* Resolution by id and by name; the name is in the record. */
	ck_assert_int_eq(lo_registry_find(tu_reg, "sshd-8", id), 0);
	ck_assert_str_eq(id, "8");
	ck_assert_int_eq(lo_registry_find(tu_reg, "r12", id), 0);
	ck_assert_str_eq(id, "r12");
	ck_assert_int_eq(lo_registry_find(tu_reg, "null", id), 0);
	ck_assert_str_eq(id, "7");
	ck_assert_int_eq(lo_record_read(tu_reg, "8", &r, NULL), 0);
	ck_assert_str_eq(r->name, "sshd-8");
	lo_record_free(r);

	/* Gone with its record; the tty's name is free for the next one. */
	ck_assert_int_eq(lo_record_delete(tu_reg, "7"), 0);
	ck_assert(!tu_exists(tu_path("reg/names/null")));
	ck_assert_int_eq(lo_registry_find(tu_reg, "null", id), -ENOENT);
	free(n1);
	n1 = create_named("9", "/dev/null", "login");
	ck_assert_str_eq(n1, "null");
	ck_assert_int_eq(lo_registry_find(tu_reg, "null", id), 0);
	ck_assert_str_eq(id, "9");

	/* A holder whose login manager died without closing it (a display
	 * manager restarted with a session open) is stale: the next session
	 * on its display takes the name over, the stale record keeps its
	 * place for the sweep under its id. A closing holder keeps it. */
	{
		struct lo_record *w = sample("r20");
		pid_t dead = fork();
		char *n5, *n6, *n7, *n8;

		if (dead == 0)
			_exit(0);
		ck_assert_int_eq(lo_proc_starttime(dead, &w->leader_start), 0);
		ck_assert_int_eq(waitpid(dead, NULL, 0), dead);
		w->leader_pid = dead;
		free(w->tty);
		w->tty = strdup(":1");
		ck_assert_int_eq(lo_record_create(tu_reg, w), 0);
		ck_assert_str_eq(w->name, ":1");
		lo_record_free(w);
		n5 = create_named("r21", ":1", "lightdm");
		ck_assert_str_eq(n5, ":1");
		ck_assert_int_eq(lo_registry_find(tu_reg, ":1", id), 0);
		ck_assert_str_eq(id, "r21");
		ck_assert_int_eq(lo_record_read(tu_reg, "r20", &r, NULL), 0);
		ck_assert_str_eq(r->name, "r20");
		lo_record_free(r);
		/* Its sweep leaves the new holder's name alone. */
		ck_assert_int_eq(lo_record_delete(tu_reg, "r20"), 0);
		ck_assert_int_eq(lo_registry_find(tu_reg, ":1", id), 0);
		ck_assert_str_eq(id, "r21");
		/* r21's login manager (this process) lives: a second session
		 * there is named after its service. */
		n6 = create_named("r22", ":1", "lightdm");
		ck_assert_str_eq(n6, "lightdm-r22");
		/* A closing holder keeps its name even with its opener gone. */
		ck_assert_int_eq(lo_record_read(tu_reg, "r21", &r, NULL), 0);
		r->state = LO_SESSION_CLOSING;
		r->leader_pid = dead;
		ck_assert_int_eq(lo_record_write(tu_reg, r), 0);
		lo_record_free(r);
		n7 = create_named("r23", ":1", "lightdm");
		ck_assert_str_eq(n7, "lightdm-r23");
		/* A live process at the leader's pid that is not the leader
		 * (the pid reused after the login manager died, or any
		 * process a user starts there) does not keep the name: the
		 * leader is known by pid and start time. */
		w = sample("r24");
		w->leader_pid = getpid();
		ck_assert_int_eq(lo_proc_starttime(getpid(), &w->leader_start), 0);
		w->leader_start += 1;
		free(w->tty);
		w->tty = strdup(":2");
		ck_assert_int_eq(lo_record_create(tu_reg, w), 0);
		ck_assert_str_eq(w->name, ":2");
		lo_record_free(w);
		n8 = create_named("r25", ":2", "lightdm");
		ck_assert_str_eq(n8, ":2");
		ck_assert_int_eq(lo_registry_find(tu_reg, ":2", id), 0);
		ck_assert_str_eq(id, "r25");
		free(n5);
		free(n6);
		free(n7);
		free(n8);
	}

	/* Nothing that could leave the registry reaches a path. */
	ck_assert_int_eq(lo_registry_find(tu_reg, "../../etc/passwd", id), -EINVAL);
	ck_assert_int_eq(lo_registry_find(tu_reg, "", id), -EINVAL);
	ck_assert_int_eq(lo_registry_find(tu_reg, "pts/../../x", id), -EINVAL);
	ck_assert_int_eq(lo_registry_find(tu_reg, "/etc/passwd", id), -EINVAL);
	ck_assert_int_eq(lo_registry_find(tu_reg, "caf\xc3\xa9", id), -EINVAL);
	ck_assert_int_eq(lo_registry_find(tu_reg, "nosuch", id), -ENOENT);
	ck_assert(lo_session_name_valid("pts/3"));
	ck_assert(lo_session_name_valid(":0"));
	ck_assert(!lo_session_name_valid("pts//3"));
	ck_assert(!lo_session_name_valid("pts/"));
	ck_assert(!lo_session_name_valid(".hidden"));
	ck_assert(!lo_session_name_valid("-rf"));
	ck_assert(!lo_session_name_valid("a b"));
	ck_assert(!lo_session_name_valid(
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	free(n1);
	free(n2);
	free(n3);
	free(n4);
}
END_TEST

START_TEST(test_list_sorted)
{
	const char *ids[] = { "r10", "12", "r9", "3" };
	char **got = NULL;
	size_t n = 0;

	for (size_t i = 0; i < 4; i++)
		free(create_named(ids[i], "", "cron"));
	tu_write(tu_path("reg/sessions/.tmp.r1.99"), "partial", 0644);
	ck_assert_int_eq(lo_registry_list(tu_reg, &got, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(got[0], "3");
	ck_assert_str_eq(got[1], "12");
	ck_assert_str_eq(got[2], "r9");
	ck_assert_str_eq(got[3], "r10");
	lo_strv_free(got, n);
}
END_TEST

START_TEST(test_closer_round_trip)
{
	struct lo_record *w = sample("r5"), *r = NULL;

	w->state = LO_SESSION_CLOSING;
	w->closer_pid = getpid();
	ck_assert_int_eq(lo_proc_starttime(getpid(), &w->closer_start), 0);
	ck_assert_int_eq(lo_record_create(tu_reg, w), 0);
	ck_assert_int_eq(lo_record_read(tu_reg, "r5", &r, NULL), 0);
	ck_assert_int_eq(r->closer_pid, getpid());
	ck_assert(r->closer_start == w->closer_start);
	/* A live closer: the session is closing, not stale. */
	ck_assert_str_eq(lo_session_view(r, NULL), "closing");
	r->closer_start++;
	ck_assert_str_eq(lo_session_view(r, NULL), "stale");
	r->state = LO_SESSION_ACTIVE;
	ck_assert_str_eq(lo_session_view(r, NULL), "stale");	/* leader 4242 is not ours */
	r->leader_pid = getpid();
	r->leader_start = w->closer_start;
	ck_assert_str_eq(lo_session_view(r, NULL), "active");
	r->state = LO_SESSION_FAILED;
	ck_assert_str_eq(lo_session_view(r, NULL), "failed");
	ck_assert(lo_session_needs_sweep(r));
	lo_record_free(r);
	lo_record_free(w);
}
END_TEST

/* lo_record_update_data: set, set only where absent, remove; the rest
 * of the record is kept. */
START_TEST(test_update_data)
{
	struct lo_record *w = sample("r6"), *r = NULL;

	ck_assert_int_eq(lo_record_create(tu_reg, w), 0);
	ck_assert_int_eq(lo_record_update_data(tu_reg, "r6", "@core", "disconnected_since",
					       "1700000100", true), 0);
	ck_assert_int_eq(lo_record_update_data(tu_reg, "r6", "@core", "disconnected_since",
					       "1700000200", true), 0);
	ck_assert_int_eq(lo_record_read(tu_reg, "r6", &r, NULL), 0);
	ck_assert_str_eq(lo_record_get_data(r, "@core", "disconnected_since"), "1700000100");
	ck_assert_str_eq(lo_record_get_data(r, "krb5", "ccache"), "FILE:/tmp/a b%");
	ck_assert_uint_eq(r->n_sub, 2);
	lo_record_free(r);
	ck_assert_int_eq(lo_record_update_data(tu_reg, "r6", "@core", "disconnected_since",
					       "1700000200", false), 0);
	ck_assert_int_eq(lo_record_read(tu_reg, "r6", &r, NULL), 0);
	ck_assert_str_eq(lo_record_get_data(r, "@core", "disconnected_since"), "1700000200");
	lo_record_free(r);
	ck_assert_int_eq(lo_record_update_data(tu_reg, "r6", "@core", "disconnected_since", NULL,
					       false), 0);
	ck_assert_int_eq(lo_record_read(tu_reg, "r6", &r, NULL), 0);
	ck_assert_ptr_null(lo_record_get_data(r, "@core", "disconnected_since"));
	lo_record_free(r);
	ck_assert_int_eq(lo_record_update_data(tu_reg, "r404", "@core", "x", "1", false), -ENOENT);
	ck_assert_int_eq(lo_record_update_data(tu_reg, "r6", "@core", "Bad-Key", "1", false),
			 -EINVAL);
	lo_record_free(w);
}
END_TEST

static Suite *registry_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("records");

	tcase_add_checked_fixture(tc, tu_reg_setup, tu_reg_teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_write_is_atomic_and_leaves_no_temp);
	tcase_add_test(tc, test_lock_excludes_other_process);
	tcase_add_test(tc, test_alloc_ids_unique);
	tcase_add_test(tc, test_session_names);
	tcase_add_test(tc, test_list_sorted);
	tcase_add_test(tc, test_closer_round_trip);
	tcase_add_test(tc, test_update_data);
	suite_add_tcase(s, tc);
	tc = tcase_create("hostile");
	tcase_add_checked_fixture(tc, tu_reg_setup, tu_reg_teardown);
	tcase_add_test(tc, test_corrupt_records_refused);
	tcase_add_test(tc, test_unsafe_records_refused);
	tcase_add_test(tc, test_unsafe_registry_refused);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(registry_suite)
