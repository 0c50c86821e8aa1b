/*
 * check_chain.c - the provider chain: order, reverse order, failure
 * isolation, rollback of required providers, reserved flags, leftovers
 * released by the core, reference counts and record deletion.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "providers/providers.h"
#include "testutil.h"

static char calls[1024];
static char record_path[1024];
static bool record_missing_during_logoff;
static char env[512];

#define PROVIDER(NAME, LOGON_RET, LOGOFF_RET)                                           \
	static int NAME##_logon(struct logoff_support *s, unsigned f)                   \
	{                                                                               \
		size_t len = strlen(calls);                                             \
		snprintf(calls + len, sizeof(calls) - len, "%son:%s", len ? " " : "", #NAME); \
		return LOGON_RET;                                                       \
	}                                                                               \
	static int NAME##_logoff(struct logoff_support *s, unsigned f)                  \
	{                                                                               \
		size_t len = strlen(calls);                                             \
		snprintf(calls + len, sizeof(calls) - len, "%soff:%s%s", len ? " " : "", #NAME, \
			 s->rollback ? "!" : "");                                       \
		if (!tu_exists(record_path))                                            \
			record_missing_during_logoff = true;                            \
		return f ? -EINVAL : LOGOFF_RET;                                        \
	}                                                                               \
	static const struct logoff_provider p_##NAME = { LOGOFF_ABI_VERSION, #NAME,     \
							 NAME##_logon, NAME##_logoff, NULL };

PROVIDER(a, 0, 0)
PROVIDER(b, 0, 0)
PROVIDER(c, 0, 0)
PROVIDER(bad, -EIO, 0)
PROVIDER(failoff, 0, -EIO)

/* Tracks a real directory at logon and "forgets" to release it. */
static int leaky_logon(struct logoff_support *s, unsigned f)
{
	int r = s->track(s, LOGOFF_SUBOBJECT_PATH, tu_path("leak"));
	if (r == 0)
		r = mkdir(tu_path("leak"), 0700) < 0 ? -errno : 0;
	return r;
}
static int leaky_logoff(struct logoff_support *s, unsigned f)
{
	return 0;
}
static const struct logoff_provider p_leaky = { LOGOFF_ABI_VERSION, "leaky", leaky_logon,
						leaky_logoff, NULL };

/* Tracks something the core cannot release: a keyring subobject whose
 * value is no key serial (lo_release_keyring says -EINVAL). */
static int stuck_logon(struct logoff_support *s, unsigned f)
{
	return s->track(s, LOGOFF_SUBOBJECT_KEYRING, "not-a-serial");
}
/* Tracks a directory like leaky; its logoff puts a file into it, as a
 * process of the user would during a logoff. */
static int filler_logoff(struct logoff_support *s, unsigned f)
{
	tu_write(tu_path("leak/late"), "x", 0600);
	return 0;
}
static const struct logoff_provider p_filler = { LOGOFF_ABI_VERSION, "filler", leaky_logon,
						 filler_logoff, NULL };

static const struct logoff_provider p_stuck = { LOGOFF_ABI_VERSION, "stuck", stuck_logon,
						leaky_logoff, NULL };

/* Tracks, releases and untracks correctly; uses addref/release. */
static int tidy_logon(struct logoff_support *s, unsigned f)
{
	int r = s->track(s, LOGOFF_SUBOBJECT_PATH, tu_path("tidy"));
	if (r == 0)
		r = mkdir(tu_path("tidy"), 0700) < 0 ? -errno : 0;
	s->set_status(s, "made %s", tu_path("tidy"));
	return r;
}
static int tidy_logoff(struct logoff_support *s, unsigned f)
{
	int kind;
	const char *v;

	s->addref(s);
	ck_assert_int_eq(s->subobject(s, 0, &kind, &v), 0);
	ck_assert_int_eq(kind, LOGOFF_SUBOBJECT_PATH);
	ck_assert_int_eq(s->subobject(s, 1, &kind, &v), -ENOENT);
	ck_assert_int_eq(rmdir(tu_path("tidy")), 0);
	ck_assert_int_eq(s->untrack(s, LOGOFF_SUBOBJECT_PATH, tu_path("tidy")), 0);
	ck_assert_int_eq(s->untrack(s, LOGOFF_SUBOBJECT_PATH, tu_path("tidy")), -ENOENT);
	s->release(s);
	/* The record outlives the provider's own references. */
	ck_assert(tu_exists(record_path));
	return 0;
}
static const struct logoff_provider p_tidy = { LOGOFF_ABI_VERSION, "tidy", tidy_logon,
					       tidy_logoff, NULL };

static const struct logoff_provider p_future = { LOGOFF_ABI_MKVERSION(2, 0), "future",
						 a_logon, a_logoff, NULL };

/* Puts a variable into the PAM environment at logon. */
static int envy_logon(struct logoff_support *s, unsigned f)
{
	return s->putenv(s, "ENVY", "1");
}
static const struct logoff_provider p_envy = { LOGOFF_ABI_VERSION, "envy", envy_logon,
					       leaky_logoff, NULL };

/* Grows its record with data until refused, then tries to track one
 * more subobject and to shrink a value; the results are checked by
 * test_record_growth_refused. Spaces are percent-encoded: each 4095-byte
 * value takes about 12 KiB of record. */
static int greedy_n, greedy_data_r, greedy_track_r, greedy_shrink_r;
static int greedy_logon(struct logoff_support *s, unsigned f)
{
	char big[4096], key[16];

	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (greedy_n = 0; greedy_n < 1000; greedy_n++) {
		snprintf(key, sizeof(key), "k%d", greedy_n);
		if ((greedy_data_r = s->set_data(s, key, big)) != 0)
			break;
	}
	big[0] = '/';
	greedy_track_r = s->track(s, LOGOFF_SUBOBJECT_PATH, big);
	greedy_shrink_r = s->set_data(s, "k0", "small");
	return 0;
}
static const struct logoff_provider p_greedy = { LOGOFF_ABI_VERSION, "greedy", greedy_logon,
						 leaky_logoff, NULL };

/* Cannot show its work done the first time (as the processes provider
 * when a process survives): -EBUSY; done the second time. */
static int busy_calls;
static int busy_logoff(struct logoff_support *s, unsigned f)
{
	(void)f;
	if (busy_calls++ == 0) {
		s->set_status(s, "survived: 4242 (stubborn)");
		return -EBUSY;
	}
	return 0;
}
static const struct logoff_provider p_busy = { LOGOFF_ABI_VERSION, "busy", leaky_logon,
					       busy_logoff, NULL };

static const struct lo_provider_entry table[] = {
	{ .provider = &p_a }, { .provider = &p_b }, { .provider = &p_c }, { .provider = &p_bad }, { .provider = &p_failoff }, { .provider = &p_leaky }, { .provider = &p_stuck },
	{ .provider = &p_tidy }, { .provider = &p_future }, { .provider = &p_envy }, { .provider = &p_greedy }, { .provider = &p_filler }, { .provider = &p_busy },
	{ .provider = NULL },
};

/* For LO_LOGOFF_IN_PROCESS, which runs only the providers whose logoff
 * may run in the login manager's process (a logoff_here in their entry):
 * test providers under the built-in names, with the built-in flags.
 * "hooks" logs its calls like a; "tmpdir" is leaky; "processes" is
 * filler in table_filled and stuck in table_stuck. */
static bool here(const struct lo_config *config)
{
	(void)config;
	return true;
}
static const struct logoff_provider p_here_hooks = { LOGOFF_ABI_VERSION, "hooks", a_logon,
						     a_logoff, NULL };
static const struct logoff_provider p_here_tmpdir = { LOGOFF_ABI_VERSION, "tmpdir", leaky_logon,
						      leaky_logoff, NULL };
static const struct logoff_provider p_here_filler = { LOGOFF_ABI_VERSION, "processes",
						      leaky_logon, filler_logoff, NULL };
static const struct logoff_provider p_here_stuck = { LOGOFF_ABI_VERSION, "processes",
						     stuck_logon, leaky_logoff, NULL };
#define HOOKS_FLAGS LO_PROVIDER_NEVER_BLOCKS
#define PROCESSES_FLAGS (LO_PROVIDER_NEVER_BLOCKS | LO_PROVIDER_NEVER_ABANDONED)
static const struct lo_provider_entry table_here[] = {
	{ .provider = &p_here_hooks, .flags = HOOKS_FLAGS, .logoff_here = here }, { .provider = &p_here_tmpdir, .flags = 0, .logoff_here = here }, { .provider = &p_a }, { .provider = NULL },
};
static const struct lo_provider_entry table_filled[] = {
	{ .provider = &p_here_filler, .flags = PROCESSES_FLAGS, .logoff_here = here }, { .provider = NULL },
};
static const struct lo_provider_entry table_stuck[] = {
	{ .provider = &p_here_hooks, .flags = HOOKS_FLAGS, .logoff_here = here }, { .provider = &p_here_stuck, .flags = PROCESSES_FLAGS, .logoff_here = here }, { .provider = NULL },
};

static int put(void *h, const char *name, const char *value)
{
	size_t len = strlen(env);
	if (value)
		snprintf(env + len, sizeof(env) - len, "%s=%s;", name, value);
	else
		snprintf(env + len, sizeof(env) - len, "-%s;", name);
	return 0;
}


static void setup(void)
{
	tu_reg_setup();
	calls[0] = env[0] = '\0';
	record_missing_during_logoff = false;
}

static struct lo_ctx make_ctx_with(const char *conf, const struct lo_provider_entry *tbl)
{
	struct lo_ctx ctx = tu_ctx(conf, tbl);

	ctx.privileged = false;
	ctx.pam_putenv = put;
	return ctx;
}

static struct lo_ctx make_ctx(const char *conf)
{
	return make_ctx_with(conf, table);
}

static const char *logind_id;	/* XDG_SESSION_ID of the next logon() */

static int logon(struct lo_ctx *ctx, char *id)
{
	struct lo_login login = { .user = "tester", .service = "check", .tty = "pts/9",
				  .rhost = "", .uid = getuid(), .gid = getgid(), .home = "/",
				  .leader_pid = getpid(), .logind = logind_id };
	int r = lo_chain_logon(ctx, &login, id);

	if (r == 0)
		snprintf(record_path, sizeof(record_path), "%s", tu_path("reg/sessions/"));
	if (r == 0)
		strncat(record_path, id, sizeof(record_path) - strlen(record_path) - 1);
	return r;
}

START_TEST(test_order_and_reverse_order)
{
	struct lo_ctx ctx = make_ctx("[logoff]\nproviders = a b c\n");
	char id[LO_ID_MAX + 1];

	ck_assert_int_eq(logon(&ctx, id), 0);
	ck_assert_str_eq(calls, "on:a on:b on:c");
	ck_assert(tu_exists(record_path));
	ck_assert_msg(strstr(env, "LOGOFF_SESSION_ID="), "%s", env);
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), 0);
	ck_assert_str_eq(calls, "on:a on:b on:c off:c off:b off:a");
	ck_assert(!record_missing_during_logoff);
	ck_assert(!tu_exists(record_path));
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), -ENOENT);
}
END_TEST

/* logind's id (XDG_SESSION_ID, from pam_systemd earlier in the stack)
 * is recorded as given when it is one; anything else, such as a value a
 * module before us put into the PAM environment to reach a path or a log
 * line, is not recorded at all. */
START_TEST(test_logind_id_recorded_only_when_valid)
{
	const char *given[] = { "c7", "../../etc", "c7\nstate closed", "" };
	const char *recorded[] = { "c7", "", "", "" };
	struct lo_ctx ctx = make_ctx("[logoff]\nproviders = a\n");

	for (size_t i = 0; i < sizeof(given) / sizeof(given[0]); i++) {
		struct lo_record *rec = NULL;
		char id[LO_ID_MAX + 1];

		logind_id = given[i];
		ck_assert_int_eq(logon(&ctx, id), 0);
		logind_id = NULL;
		ck_assert_int_eq(lo_record_read(tu_reg, id, &rec, NULL), 0);
		ck_assert_str_eq(rec->logind, recorded[i]);
		ck_assert_int_eq(rec->state, LO_SESSION_ACTIVE);
		lo_record_free(rec);
		ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), 0);
	}
}
END_TEST

START_TEST(test_failed_logon_not_logged_off)
{
	struct lo_ctx ctx = make_ctx("[logoff]\nproviders = a bad c\n");
	struct lo_record *rec = NULL;
	char id[LO_ID_MAX + 1];

	ck_assert_int_eq(logon(&ctx, id), 0);
	ck_assert_int_eq(lo_record_read(tu_reg, id, &rec, NULL), 0);
	ck_assert_int_eq(lo_record_status(rec, "bad")->state, LO_PROVIDER_FAILED);
	ck_assert_int_eq(lo_record_status(rec, "bad")->result, -EIO);
	ck_assert_int_eq(lo_record_status(rec, "c")->state, LO_PROVIDER_LOGGED_ON);
	ck_assert_int_eq(rec->state, LO_SESSION_ACTIVE);
	lo_record_free(rec);
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), 0);
	ck_assert_str_eq(calls, "on:a on:bad on:c off:c off:a");
}
END_TEST

START_TEST(test_failure_isolated)
{
	struct lo_ctx ctx = make_ctx("[logoff]\nproviders = a failoff c\n");
	char id[LO_ID_MAX + 1];

	ck_assert_int_eq(logon(&ctx, id), 0);
	lo_chain_logoff(&ctx, id, 0);
	/* failoff failed; a still got its logoff. */
	ck_assert_str_eq(calls, "on:a on:failoff on:c off:c off:failoff off:a");
	ck_assert_msg(strstr(tu_log, "failoff: logoff failed"), "%s", tu_log);
	ck_assert(!tu_exists(record_path));
}
END_TEST

START_TEST(test_required_rollback)
{
	struct lo_ctx ctx = make_ctx("[logoff]\nproviders = a b bad c\nrequired = bad\n");
	char id[LO_ID_MAX + 1];
	DIR *d;
	struct dirent *de;
	int n = 0;

	ck_assert_int_eq(logon(&ctx, id), -ECANCELED);
	/* "!": each logoff knew it was a rollback inside open_session. */
	ck_assert_str_eq(calls, "on:a on:b on:bad off:b! off:a!");
	d = opendir(tu_path("reg/sessions"));
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	ck_assert_int_eq(n, 0);
}
END_TEST

START_TEST(test_rollback_clears_environment)
{
	struct lo_ctx ctx = make_ctx("[logoff]\nproviders = envy bad\nrequired = bad\n");
	char id[LO_ID_MAX + 1];

	ck_assert_int_eq(logon(&ctx, id), -ECANCELED);
	/* Set during logon, removed again by the rollback. */
	ck_assert_msg(strstr(env, "LOGOFF_SESSION_ID=") && strstr(env, "ENVY=1;"), "%s", env);
	ck_assert_msg(strstr(env, "-ENVY;") && strstr(env, "-LOGOFF_SESSION_ID;"), "%s", env);
}
END_TEST

START_TEST(test_reserved_flags)
{
	struct lo_ctx ctx = make_ctx("[logoff]\nproviders = a\n");
	char id[LO_ID_MAX + 1];

	ck_assert_int_eq(logon(&ctx, id), 0);
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 2), -EINVAL);
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, ~0u), -EINVAL);
	ck_assert_str_eq(calls, "on:a");
	ck_assert(tu_exists(record_path));
	/* The built-in providers refuse non-zero flags before anything. */
	ck_assert_int_eq(lo_provider_tmpdir.logoff(NULL, 1), -EINVAL);
	ck_assert_int_eq(lo_provider_processes.logoff(NULL, 1), -EINVAL);
	ck_assert_int_eq(lo_provider_hooks.logoff(NULL, 1), -EINVAL);
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), 0);
}
END_TEST

START_TEST(test_leftovers_released_by_core)
{
	struct lo_ctx ctx = make_ctx("[logoff]\nproviders = leaky tidy\n");
	char id[LO_ID_MAX + 1];

	ck_assert_int_eq(logon(&ctx, id), 0);
	ck_assert(tu_exists(tu_path("leak")));
	ck_assert(tu_exists(tu_path("tidy")));
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), 0);
	ck_assert(!tu_exists(tu_path("leak")));
	ck_assert(!tu_exists(tu_path("tidy")));
	ck_assert_msg(strstr(tu_log, "leaky: left subobject"), "%s", tu_log);
	ck_assert(!tu_exists(record_path));
}
END_TEST

START_TEST(test_unreleasable_keeps_record_failed)
{
	struct lo_ctx ctx = make_ctx("[logoff]\nproviders = a stuck\n");
	struct lo_record *rec = NULL;
	char id[LO_ID_MAX + 1];

	ck_assert_int_eq(logon(&ctx, id), 0);
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), -EIO);
	ck_assert_int_eq(lo_record_read(tu_reg, id, &rec, NULL), 0);
	ck_assert_int_eq(rec->state, LO_SESSION_FAILED);
	ck_assert_int_eq(lo_record_status(rec, "stuck")->state, LO_PROVIDER_FAILED);
	ck_assert_uint_eq(lo_record_status(rec, "stuck")->faults, 1);
	ck_assert_int_eq(lo_record_status(rec, "a")->state, LO_PROVIDER_LOGGED_OFF);
	ck_assert_uint_eq(rec->n_sub, 1);
	lo_record_free(rec);
}
END_TEST

/* A provider that returns -EBUSY (something it ends may live on) keeps
 * the record failed with nothing tracked, and the next logoff (the
 * sweep's) runs it again and deletes the record. */
START_TEST(test_busy_keeps_record_and_retries)
{
	struct lo_ctx ctx = make_ctx("[logoff]\nproviders = a busy\n");
	struct lo_record *rec = NULL;
	char id[LO_ID_MAX + 1];

	busy_calls = 0;
	ck_assert_int_eq(logon(&ctx, id), 0);
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), -EIO);
	ck_assert_int_eq(lo_record_read(tu_reg, id, &rec, NULL), 0);
	ck_assert_int_eq(rec->state, LO_SESSION_FAILED);
	ck_assert_uint_eq(rec->n_sub, 0);
	ck_assert_int_eq(lo_record_status(rec, "busy")->state, LO_PROVIDER_FAILED);
	ck_assert_int_eq(lo_record_status(rec, "busy")->result, -EBUSY);
	ck_assert_str_eq(lo_record_status(rec, "busy")->message, "survived: 4242 (stubborn)");
	ck_assert(lo_session_needs_sweep(rec));
	lo_record_free(rec);
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), 0);
	ck_assert_int_eq(busy_calls, 2);
	ck_assert(!tu_exists(record_path));
}
END_TEST

START_TEST(test_abi_major_mismatch_refused)
{
	struct lo_ctx ctx = make_ctx("[logoff]\nproviders = future b\n");
	char id[LO_ID_MAX + 1];

	ck_assert_int_eq(logon(&ctx, id), 0);
	/* The 2.0 provider's code never ran. */
	ck_assert_str_eq(calls, "on:b");
	ck_assert_msg(strstr(tu_log, "provider ABI 2.0"), "%s", tu_log);
	lo_chain_logoff(&ctx, id, 0);
	ck_assert_str_eq(calls, "on:b off:b");
}
END_TEST

START_TEST(test_other_uid_refused)
{
	struct lo_ctx ctx = make_ctx("[logoff]\nproviders = a\n");
	char id[LO_ID_MAX + 1];

	ck_assert_int_eq(logon(&ctx, id), 0);
	ctx.check_uid = true;
	ctx.expect_uid = getuid() + 1;
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), -EACCES);
	ck_assert_str_eq(calls, "on:a");
	ck_assert(tu_exists(record_path));
	ctx.expect_uid = getuid();
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), 0);
	ck_assert(!tu_exists(record_path));
}
END_TEST

START_TEST(test_timed_out_marking)
{
	struct lo_ctx ctx = make_ctx("[logoff]\nproviders = a\n");
	struct lo_record *rec = NULL;
	char id[LO_ID_MAX + 1];

	ck_assert_int_eq(logon(&ctx, id), 0);
	ck_assert_int_eq(lo_chain_mark_timed_out(&ctx, id), 0);
	ck_assert_int_eq(lo_record_read(tu_reg, id, &rec, NULL), 0);
	ck_assert_int_eq(rec->state, LO_SESSION_TIMED_OUT);
	ck_assert_int_eq(lo_record_status(rec, "a")->state, LO_PROVIDER_TIMED_OUT);
	lo_record_free(rec);
	/* A timed-out provider is logged off when the session is retried. */
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), 0);
	ck_assert_str_eq(calls, "on:a off:a");
	ck_assert(!tu_exists(record_path));
}
END_TEST

/* Make CHILD (alive) the closer of session ID, as a logoff in another
 * process would. */
static void set_closer(const char *id, pid_t child)
{
	struct lo_record *rec = NULL;

	ck_assert_int_eq(lo_record_read(tu_reg, id, &rec, NULL), 0);
	rec->state = LO_SESSION_CLOSING;
	rec->closer_pid = child;
	ck_assert_int_eq(lo_proc_starttime(child, &rec->closer_start), 0);
	ck_assert_int_eq(lo_record_write(tu_reg, rec), 0);
	lo_record_free(rec);
}

START_TEST(test_live_closer_keeps_the_session)
{
	struct lo_ctx ctx = make_ctx("[logoff]\nproviders = a\n");
	struct lo_record *rec = NULL;
	char id[LO_ID_MAX + 1];
	pid_t child;

	ck_assert_int_eq(logon(&ctx, id), 0);
	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	set_closer(id, child);
	/* Another logoff of it, and the timed-out marking of a helper that
	 * outlived SIGKILL, both leave it to the live closer. */
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), -EBUSY);
	ck_assert_int_eq(lo_chain_mark_timed_out(&ctx, id), -EBUSY);
	ck_assert_str_eq(calls, "on:a");
	ck_assert_int_eq(lo_record_read(tu_reg, id, &rec, NULL), 0);
	ck_assert_int_eq(rec->state, LO_SESSION_CLOSING);
	ck_assert_int_eq(rec->closer_pid, child);
	ck_assert_str_eq(lo_session_view(rec, NULL), "closing");
	lo_record_free(rec);

	/* Once the closer is dead the session is stale and taken over. */
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	ck_assert_int_eq(lo_record_read(tu_reg, id, &rec, NULL), 0);
	ck_assert_str_eq(lo_session_view(rec, NULL), "stale");
	lo_record_free(rec);
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), 0);
	ck_assert_str_eq(calls, "on:a off:a");
	ck_assert(!tu_exists(record_path));
}
END_TEST

START_TEST(test_unwritable_claim_touches_nothing)
{
	struct lo_ctx ctx = make_ctx("[logoff]\nproviders = a\n");
	char id[LO_ID_MAX + 1];

	ck_assert_int_eq(logon(&ctx, id), 0);
	if (geteuid() == 0)
		return;	/* root writes through the mode; the tmpfs test covers root */
	ck_assert_int_eq(chmod(tu_path("reg/sessions"), 0555), 0);
	/* The claim's EACCES comes back as EPERM: EACCES means "another
	 * uid's session" to the callers of lo_chain_logoff. */
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), -EPERM);
	ck_assert_str_eq(calls, "on:a");
	ck_assert_int_eq(chmod(tu_path("reg/sessions"), 0755), 0);
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), 0);
	ck_assert_str_eq(calls, "on:a off:a");
}
END_TEST

/* track and set_data refuse to grow a record past what lo_record_read
 * accepts (less the room kept for the logoff's own updates), with
 * -E2BIG; the record stays whole and readable and the logoff, which
 * rewrites it with longer status messages, still completes. */
START_TEST(test_record_growth_refused)
{
	struct lo_ctx ctx = make_ctx("[logoff]\nproviders = a greedy\n");
	struct lo_record *rec = NULL;
	char id[LO_ID_MAX + 1];
	struct stat st;

	ck_assert_int_eq(logon(&ctx, id), 0);
	ck_assert_int_eq(greedy_data_r, -E2BIG);
	ck_assert_int_eq(greedy_track_r, -E2BIG);
	ck_assert_int_eq(greedy_shrink_r, 0);
	ck_assert_int_gt(greedy_n, 50);
	ck_assert_int_eq(stat(record_path, &st), 0);
	ck_assert_int_le(st.st_size, LO_RECORD_MAX_BYTES - LO_RECORD_RESERVE_BYTES);
	ck_assert_int_gt(st.st_size, LO_RECORD_MAX_BYTES / 2);
	ck_assert_int_eq(lo_record_read(tu_reg, id, &rec, NULL), 0);
	/* Nothing refused is in the record: no subobject, greedy_n keys, k0
	 * shrunk. */
	ck_assert_uint_eq(rec->n_sub, 0);
	ck_assert_uint_eq(rec->n_data, (size_t)greedy_n);
	ck_assert_str_eq(lo_record_get_data(rec, "greedy", "k0"), "small");
	lo_record_free(rec);
	fprintf(stderr, "record growth: %d values of 4095 bytes kept, record %lld bytes\n",
		greedy_n, (long long)st.st_size);
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), 0);
	ck_assert(!tu_exists(record_path));
}
END_TEST

/* LO_LOGOFF_IN_PROCESS: the chain runs in the caller only when every
 * subobject is an empty directory on its parent's mount. */
START_TEST(test_in_process_empty_dir)
{
	struct lo_ctx ctx = make_ctx_with("[logoff]\nproviders = hooks tmpdir\n", table_here);
	char id[LO_ID_MAX + 1];

	ck_assert_int_eq(logon(&ctx, id), 0);
	ck_assert(tu_exists(tu_path("leak")));
	ctx.in_process = true;
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, LO_LOGOFF_IN_PROCESS), 0);
	ck_assert_str_eq(calls, "on:a off:a");
	ck_assert(!tu_exists(tu_path("leak")));
	ck_assert(!tu_exists(record_path));
}
END_TEST

/* Refused: the record is exactly as it was, not claimed; then what a
 * forked closer does removes the whole tree. */
static void assert_untouched(const char *id, const char *calls_then)
{
	struct lo_record *rec = NULL;

	ck_assert_str_eq(calls, calls_then);
	ck_assert_int_eq(lo_record_read(tu_reg, id, &rec, NULL), 0);
	ck_assert_int_eq(rec->state, LO_SESSION_ACTIVE);
	ck_assert_int_eq(rec->closer_pid, 0);
	for (size_t i = 0; i < rec->n_status; i++)
		ck_assert_int_eq(rec->status[i].state, LO_PROVIDER_LOGGED_ON);
	lo_record_free(rec);
}

START_TEST(test_in_process_refused_untouched)
{
	struct lo_ctx ctx = make_ctx_with("[logoff]\nproviders = hooks tmpdir\n", table_here);
	char id[LO_ID_MAX + 1];

	ck_assert_int_eq(logon(&ctx, id), 0);
	tu_write(tu_path("leak/file"), "data", 0600);
	ctx.in_process = true;
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, LO_LOGOFF_IN_PROCESS), -EAGAIN);
	assert_untouched(id, "on:a");
	ck_assert(tu_exists(tu_path("leak/file")));
	ctx.in_process = false;
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), 0);
	ck_assert(!tu_exists(tu_path("leak")));
	ck_assert(!tu_exists(record_path));
}
END_TEST

/* A mount on the tracked directory: refused without entering it. */
START_TEST(test_in_process_mount_point_refused)
{
	struct lo_ctx ctx = make_ctx_with("[logoff]\nproviders = hooks tmpdir\n", table_here);
	char id[LO_ID_MAX + 1];

	if (geteuid() != 0)
		return;	/* needs mount(2); the root run covers it */
	ck_assert_int_eq(logon(&ctx, id), 0);
	if (mount("tmpfs", tu_path("leak"), "tmpfs", 0, "size=1m") < 0)
		return;	/* no mount permission in this container */
	ctx.in_process = true;
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, LO_LOGOFF_IN_PROCESS), -EAGAIN);
	assert_untouched(id, "on:a");
	umount2(tu_path("leak"), MNT_DETACH);
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, LO_LOGOFF_IN_PROCESS), 0);
	ck_assert(!tu_exists(record_path));
}
END_TEST

START_TEST(test_in_process_other_kinds_refused)
{
	struct lo_ctx ctx = make_ctx_with("[logoff]\nproviders = hooks processes\n", table_stuck);
	char id[LO_ID_MAX + 1];

	ck_assert_int_eq(logon(&ctx, id), 0);
	ctx.in_process = true;
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, LO_LOGOFF_IN_PROCESS), -EAGAIN);
	assert_untouched(id, "on:a");
}
END_TEST

/* The session was opened with a provider whose logoff needs a closer
 * (here "a"): refused, whatever today's config says. */
START_TEST(test_in_process_record_providers_decide)
{
	struct lo_ctx ctx = make_ctx_with("[logoff]\nproviders = a tmpdir\n", table_here);
	char id[LO_ID_MAX + 1];

	ck_assert_int_eq(logon(&ctx, id), 0);
	ctx.in_process = true;
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, LO_LOGOFF_IN_PROCESS), -EAGAIN);
	assert_untouched(id, "on:a");
	ck_assert(tu_exists(tu_path("leak")));
}
END_TEST

/* Empty when the logoff began, filled during it: in process the
 * directory is only rmdir'ed, so the file survives and the record stays
 * failed, and a closer then removes the tree. */
START_TEST(test_in_process_filled_since_left_for_closer)
{
	struct lo_ctx ctx = make_ctx_with("[logoff]\nproviders = processes\n", table_filled);
	struct lo_record *rec = NULL;
	char id[LO_ID_MAX + 1];

	ck_assert_int_eq(logon(&ctx, id), 0);
	ctx.in_process = true;
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, LO_LOGOFF_IN_PROCESS), -EIO);
	ck_assert(tu_exists(tu_path("leak/late")));
	ck_assert_int_eq(lo_record_read(tu_reg, id, &rec, NULL), 0);
	ck_assert_int_eq(rec->state, LO_SESSION_FAILED);
	ck_assert_int_eq(rec->closer_pid, 0);
	ck_assert_int_eq(rec->n_sub, 1);
	ck_assert_str_eq(rec->sub[0].value, tu_path("leak"));
	lo_record_free(rec);
	ctx.in_process = false;
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), 0);
	ck_assert(!tu_exists(tu_path("leak")));
	ck_assert(!tu_exists(record_path));
}
END_TEST

static Suite *chain_suite(void)
{
	Suite *s = suite_create("chain");
	TCase *tc = tcase_create("order");

	tcase_add_checked_fixture(tc, setup, tu_reg_teardown);
	tcase_add_test(tc, test_order_and_reverse_order);
	tcase_add_test(tc, test_failed_logon_not_logged_off);
	tcase_add_test(tc, test_logind_id_recorded_only_when_valid);
	tcase_add_test(tc, test_failure_isolated);
	tcase_add_test(tc, test_required_rollback);
	tcase_add_test(tc, test_rollback_clears_environment);
	tcase_add_test(tc, test_reserved_flags);
	tcase_add_test(tc, test_abi_major_mismatch_refused);
	tcase_add_test(tc, test_other_uid_refused);
	suite_add_tcase(s, tc);
	tc = tcase_create("subobjects");
	tcase_add_checked_fixture(tc, setup, tu_reg_teardown);
	tcase_add_test(tc, test_leftovers_released_by_core);
	tcase_add_test(tc, test_unreleasable_keeps_record_failed);
	tcase_add_test(tc, test_timed_out_marking);
	tcase_add_test(tc, test_live_closer_keeps_the_session);
	tcase_add_test(tc, test_unwritable_claim_touches_nothing);
	tcase_add_test(tc, test_record_growth_refused);
	tcase_add_test(tc, test_in_process_empty_dir);
	tcase_add_test(tc, test_in_process_refused_untouched);
	tcase_add_test(tc, test_in_process_mount_point_refused);
	tcase_add_test(tc, test_in_process_other_kinds_refused);
	tcase_add_test(tc, test_in_process_record_providers_decide);
	tcase_add_test(tc, test_in_process_filled_since_left_for_closer);
	tcase_add_test(tc, test_busy_keeps_record_and_retries);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(chain_suite)
