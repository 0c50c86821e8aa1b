/*
 * check_limits.c - session time limits: the duration parser, the
 * [limits] sections of logoff.conf, precedence and exemptions, every
 * transition of lo_limits_decide under a clock the test sets, and the
 * per-session warning state file (hostile files refused).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <pwd.h>

#include "testutil.h"
#include "core/limits.h"

/* ------------------------------------------------------------ parser */

static uint64_t dur(const char *s)
{
	uint64_t v = 12345;

	ck_assert_msg(lo_parse_duration(s, &v) == 0, "'%s' refused", s);
	return v;
}

static void dur_fails(const char *s, int expect)
{
	uint64_t v = 777;

	ck_assert_msg(lo_parse_duration(s, &v) == expect, "'%s': expected %d", s, expect);
	ck_assert_msg(v == 777, "'%s': the result was touched on error", s);
}

START_TEST(test_duration_units)
{
	ck_assert_uint_eq(dur("900"), 900);
	ck_assert_uint_eq(dur(" 900 "), 900);
	ck_assert_uint_eq(dur("45s"), 45);
	ck_assert_uint_eq(dur("45sec"), 45);
	ck_assert_uint_eq(dur("15min"), 900);
	ck_assert_uint_eq(dur("15m"), 900);
	ck_assert_uint_eq(dur("2h"), 7200);
	ck_assert_uint_eq(dur("1d"), 86400);
	ck_assert_uint_eq(dur("1h30min"), 5400);
	ck_assert_uint_eq(dur("1h 30min"), 5400);
	ck_assert_uint_eq(dur("1d2h3m4s"), 86400 + 7200 + 180 + 4);
	ck_assert_uint_eq(dur("1m1m"), 120);
	ck_assert_uint_eq(dur("007min"), 420);
}
END_TEST

START_TEST(test_duration_zero_and_empty)
{
	ck_assert_uint_eq(dur(""), 0);
	ck_assert_uint_eq(dur("   "), 0);
	ck_assert_uint_eq(dur("0"), 0);
	ck_assert_uint_eq(dur("0s"), 0);
	ck_assert_uint_eq(dur("0h0min"), 0);
}
END_TEST

START_TEST(test_duration_junk)
{
	dur_fails("-5", -EINVAL);
	dur_fails("+5", -EINVAL);
	dur_fails("1.5h", -EINVAL);
	dur_fails("15 min", -EINVAL);	/* a bare number is only alone */
	dur_fails("1h30", -EINVAL);
	dur_fails("h", -EINVAL);
	dur_fails("min", -EINVAL);
	dur_fails("15mins", -EINVAL);
	dur_fails("15M", -EINVAL);
	dur_fails("2w", -EINVAL);
	dur_fails("2 h", -EINVAL);
	dur_fails("15min#x", -EINVAL);
	dur_fails("0x10", -EINVAL);
	dur_fails("1h,30min", -EINVAL);
	ck_assert_int_eq(lo_parse_duration(NULL, NULL), -EINVAL);
}
END_TEST

START_TEST(test_duration_overflow)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)LO_DURATION_MAX);
	ck_assert_uint_eq(dur(buf), LO_DURATION_MAX);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)LO_DURATION_MAX + 1);
	dur_fails(buf, -ERANGE);
	dur_fails("99999999999999999999999999", -ERANGE);	/* beyond uint64_t */
	dur_fails("99999999999999999999999999s", -ERANGE);
	dur_fails("36601d", -ERANGE);
	dur_fails("36599d36599d", -ERANGE);			/* the sum, not a term */
	dur_fails("18446744073709551615d", -ERANGE);		/* a term times its unit */
	ck_assert_uint_eq(dur("36599d"), 36599ULL * 86400);
}
END_TEST

START_TEST(test_duration_format)
{
	char b[LO_DURATION_STR_MAX];
	const char *round[] = { "15min", "1h30min", "45s", "8h", "1d2h3min4s", "30min" };

	ck_assert_str_eq(lo_format_duration(0, b, sizeof(b)), "0");
	ck_assert_str_eq(lo_format_duration(900, b, sizeof(b)), "15min");
	ck_assert_str_eq(lo_format_duration(5400, b, sizeof(b)), "1h30min");
	ck_assert_str_eq(lo_format_duration(LO_DURATION_MAX, b, sizeof(b)), "36600d");
	for (size_t i = 0; i < sizeof(round) / sizeof(round[0]); i++)
		ck_assert_str_eq(lo_format_duration(dur(round[i]), b, sizeof(b)), round[i]);
}
END_TEST

/* ------------------------------------------------------------ config */

static struct lo_config *load_ok(const char *text)
{
	struct lo_config *c = NULL;
	char *err = NULL;
	int r;

	tu_write(tu_path("logoff.conf"), text, 0644);
	r = lo_config_load(tu_path("logoff.conf"), lo_builtin_providers, &c, &err);
	ck_assert_msg(r == 0, "load failed: %s", err ? err : "?");
	return c;
}

static void load_fails(const char *text, const char *n1, const char *n2)
{
	struct lo_config *c = NULL;
	char *err = NULL;

	tu_write(tu_path("logoff.conf"), text, 0644);
	ck_assert_int_lt(lo_config_load(tu_path("logoff.conf"), lo_builtin_providers, &c, &err),
			 0);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, n1), "'%s' not in '%s'", n1, err);
	if (n2)
		ck_assert_msg(strstr(err, n2), "'%s' not in '%s'", n2, err);
	free(err);
}

START_TEST(test_config_defaults)
{
	struct lo_config *c = load_ok("[logoff]\ntimeout = 10\n");

	ck_assert_uint_eq(c->limits.base.idle, 0);
	ck_assert_uint_eq(c->limits.base.active, 0);
	ck_assert_uint_eq(c->limits.base.disconnected, 0);
	ck_assert_uint_eq(c->limits.base.warn, 120);
	ck_assert_int_eq(c->limits.base.action, LO_LIMIT_ACTION_LOGOFF);
	ck_assert_uint_eq(c->limits.n_overrides, 0);
	ck_assert(!lo_limits_any(&c->limits));
	lo_config_free(c);
	/* warn and exemptions alone set no limit; one in an override does. */
	c = load_ok("[limits]\nwarn = 5min\nexempt_users = root\n[limits.user.x]\nwarn = 1s\n");
	ck_assert(!lo_limits_any(&c->limits));
	lo_config_free(c);
	c = load_ok("[limits.group.g]\nactive = 1h\n");
	ck_assert(lo_limits_any(&c->limits));
	lo_config_free(c);
}
END_TEST

START_TEST(test_config_values)
{
	struct lo_config *c = load_ok("[limits]\n"
				      "idle = 15min   # a comment\n"
				      "active = 8h\n"
				      "disconnected = 1800\n"
				      "warn = 0\n"
				      "action = disconnect\n"
				      "exempt_users = root, backup\n"
				      "exempt_groups = wheel\n"
				      "[limits.group.students]\n"
				      "idle = 5min\n"
				      "[limits.user.alice]\n"
				      "active = 0\n"
				      "[limits.group.students]\n"
				      "warn = 1min\n");

	ck_assert_uint_eq(c->limits.base.idle, 900);
	ck_assert_uint_eq(c->limits.base.active, 8 * 3600);
	ck_assert_uint_eq(c->limits.base.disconnected, 1800);
	ck_assert_uint_eq(c->limits.base.warn, 0);
	ck_assert_int_eq(c->limits.base.action, LO_LIMIT_ACTION_DISCONNECT);
	ck_assert_str_eq(c->limits.exempt_users, "root, backup");
	ck_assert_str_eq(c->limits.exempt_groups, "wheel");
	/* Two [limits.group.students] sections are one override. */
	ck_assert_uint_eq(c->limits.n_overrides, 2);
	ck_assert(c->limits.overrides[0].group);
	ck_assert_str_eq(c->limits.overrides[0].name, "students");
	ck_assert_uint_eq(c->limits.overrides[0].limits.idle, 300);
	ck_assert_uint_eq(c->limits.overrides[0].limits.warn, 60);
	ck_assert_uint_eq(c->limits.overrides[0].limits.set, LO_LIMIT_SET_IDLE | LO_LIMIT_SET_WARN);
	ck_assert(!c->limits.overrides[1].group);
	ck_assert_str_eq(c->limits.overrides[1].name, "alice");
	ck_assert_uint_eq(c->limits.overrides[1].limits.set, LO_LIMIT_SET_ACTIVE);
	lo_config_free(c);
}
END_TEST

START_TEST(test_config_dropin_wins)
{
	struct lo_config *c;

	mkdir(tu_path("logoff.conf.d"), 0755);
	tu_write(tu_path("logoff.conf.d/50-limits.conf"), "[limits]\nidle = 30min\n", 0644);
	c = load_ok("[limits]\nidle = 15min\nwarn = 1min\n");
	ck_assert_uint_eq(c->limits.base.idle, 1800);
	ck_assert_uint_eq(c->limits.base.warn, 60);
	lo_config_free(c);
}
END_TEST

START_TEST(test_config_refused)
{
	load_fails("[limits]\nidle = 15 minutes\n", "logoff.conf:2: [limits] idle = '15 minutes'",
		   "expected a duration");
	load_fails("[limits]\n\nactive = 99999999999d\n", "logoff.conf:3: [limits] active",
		   "too long");
	load_fails("[limits]\naction = kill\n", "logoff.conf:2: [limits] action = 'kill'",
		   "allowed values: logoff, disconnect");
	load_fails("[limits]\nidle_time = 5\n", "logoff.conf:2: unknown key 'idle_time' in [limits]",
		   NULL);
	/* Exemptions belong to [limits] only. */
	load_fails("[limits.user.bob]\nexempt_users = bob\n",
		   "unknown key 'exempt_users' in [limits.user.bob]", NULL);
	load_fails("[limits.host.x]\nidle = 5\n", "unknown section [limits.host.x]", NULL);
	load_fails("[limits.user.]\nidle = 5\n", "unknown section [limits.user.]", NULL);
	load_fails("[limits.group.students]\nwarn = -1\n",
		   "[limits.group.students] warn = '-1'", NULL);
}
END_TEST

/* The allowed values are named for every enumerated key, not only
 * action: the processes provider's match, for one. */
START_TEST(test_config_choices_named)
{
	load_fails("[processes]\nmatch = everything\n", "[processes] match = 'everything'",
		   "allowed values: ");
}
END_TEST

/* lo_config_check goes on after an error and names every one. */
START_TEST(test_config_check_all)
{
	char *errors = NULL;
	int r;

	mkdir(tu_path("logoff.conf.d"), 0755);
	tu_write(tu_path("logoff.conf.d/10-x.conf"), "[limits]\nwarn = soon\n", 0644);
	tu_write(tu_path("logoff.conf"),
		 "[logoff]\ntimeout = lots\n[limits]\nidle = 5x\naction = reboot\nidle = 10min\n",
		 0644);
	r = lo_config_check(tu_path("logoff.conf"), lo_builtin_providers, &errors);
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_ptr_nonnull(errors);
	ck_assert_msg(strstr(errors, "logoff.conf:2: [logoff] timeout"), "%s", errors);
	ck_assert_msg(strstr(errors, "logoff.conf:4: [limits] idle = '5x'"), "%s", errors);
	ck_assert_msg(strstr(errors, "logoff.conf:5: [limits] action = 'reboot'"), "%s", errors);
	ck_assert_msg(strstr(errors, "10-x.conf:2: [limits] warn = 'soon'"), "%s", errors);
	free(errors);

	errors = NULL;
	tu_write(tu_path("logoff.conf.d/10-x.conf"), "[limits]\nwarn = 30s\n", 0644);
	tu_write(tu_path("logoff.conf"), "[limits]\nidle = 10min\n", 0644);
	ck_assert_int_eq(lo_config_check(tu_path("logoff.conf"), lo_builtin_providers, &errors),
			 0);
	ck_assert_ptr_null(errors);
}
END_TEST

/* -------------------------------------------------------- precedence */

static struct lo_config *prec_cfg(void)
{
	return load_ok("[limits]\n"
		       "idle = 15min\nactive = 8h\n"
		       "exempt_users = svc\nexempt_groups = admins\n"
		       "[limits.group.staff]\nidle = 1h\n"
		       "[limits.group.students]\nidle = 5min\nwarn = 30s\n"
		       "[limits.user.alice]\nactive = 2h\n"
		       "[limits.user.carol]\nidle = 0\naction = disconnect\n");
}

START_TEST(test_precedence)
{
	struct lo_config *c = prec_cfg();
	struct lo_limits l;
	bool exempt;
	const char *none[] = { "users" };
	const char *both[] = { "users", "students", "staff" };
	const char *staff[] = { "staff" };

	lo_limits_effective(&c->limits, "dave", none, 1, &l, &exempt);
	ck_assert(!exempt);
	ck_assert_uint_eq(l.idle, 900);
	ck_assert_uint_eq(l.active, 8 * 3600);
	ck_assert_uint_eq(l.warn, 120);

	/* The first group section in config order (staff), whatever the
	 * order of the user's groups. */
	lo_limits_effective(&c->limits, "dave", both, 3, &l, &exempt);
	ck_assert_uint_eq(l.idle, 3600);
	ck_assert_uint_eq(l.warn, 120);

	/* The user section over the group's, key by key. */
	lo_limits_effective(&c->limits, "alice", both, 3, &l, &exempt);
	ck_assert_uint_eq(l.idle, 3600);
	ck_assert_uint_eq(l.active, 2 * 3600);

	lo_limits_effective(&c->limits, "carol", staff, 1, &l, &exempt);
	ck_assert_uint_eq(l.idle, 0);
	ck_assert_uint_eq(l.active, 8 * 3600);
	ck_assert_int_eq(l.action, LO_LIMIT_ACTION_DISCONNECT);
	lo_config_free(c);
}
END_TEST

START_TEST(test_exemptions)
{
	struct lo_config *c = prec_cfg();
	struct lo_limits l;
	bool exempt;
	const char *admins[] = { "users", "admins" };
	const char *none[] = { "users" };

	lo_limits_effective(&c->limits, "svc", none, 1, &l, &exempt);
	ck_assert(exempt);
	ck_assert_uint_eq(l.idle + l.active + l.disconnected, 0);
	lo_limits_effective(&c->limits, "alice", admins, 2, &l, &exempt);
	ck_assert(exempt);
	/* "svc" as a group name is no exemption of a user. */
	lo_limits_effective(&c->limits, "dave", (const char *[]){ "svc" }, 1, &l, &exempt);
	ck_assert(!exempt);
	lo_config_free(c);
}
END_TEST

/* ------------------------------------------------------- transitions */

#define T0 ((time_t)1700000000)

static struct lo_limits mk(uint64_t idle, uint64_t active, uint64_t disc, uint64_t warn)
{
	struct lo_limits l = { .idle = idle, .active = active, .disconnected = disc,
			       .warn = warn };
	return l;
}

static struct lo_limits_decision decide(const struct lo_limits *l, const struct lo_limits_input *in)
{
	struct lo_limits_decision d;

	ck_assert_int_eq(lo_limits_decide(l, in, &d), 0);
	return d;
}

START_TEST(test_nothing)
{
	struct lo_limits l = mk(0, 0, 0, 120);
	struct lo_limits_input in = { .now = T0 + 100, .logon = T0, .idle = 50 };
	struct lo_limits_decision d = decide(&l, &in);

	ck_assert_int_eq(d.verdict, LO_LIMITS_NOTHING);
	ck_assert_int_eq(d.kind, LO_LIMIT_NONE);
	ck_assert_int_eq(d.at, 0);

	/* Idle 15min, warn 2min: at idle 5min the limit is 10min away. */
	l = mk(900, 0, 0, 120);
	in.idle = 300;
	d = decide(&l, &in);
	ck_assert_int_eq(d.verdict, LO_LIMITS_NOTHING);
	ck_assert_int_eq(d.kind, LO_LIMIT_IDLE);
	ck_assert_int_eq(d.at, T0 + 100 - 300 + 900);
	ck_assert_int_eq(d.left, 600);
	ck_assert_str_eq(d.reason, "idle limit 15min");
}
END_TEST

START_TEST(test_idle_unknown_never_acts)
{
	struct lo_limits l = mk(900, 0, 0, 120);
	struct lo_limits_input in = { .now = T0 + 86400, .logon = T0, .idle = -1 };
	struct lo_limits_decision d = decide(&l, &in);

	ck_assert_int_eq(d.verdict, LO_LIMITS_NOTHING);
	ck_assert_int_eq(d.kind, LO_LIMIT_NONE);

	/* Warned for idle, then idle can no longer be measured: cancelled. */
	in.warned_at = T0 + 86000;
	in.warned_for = LO_LIMIT_IDLE;
	d = decide(&l, &in);
	ck_assert_int_eq(d.verdict, LO_LIMITS_CANCEL);
}
END_TEST

/* warn -> wait -> act, with the whole warning even when the sweep came
 * late, and the action at the limit when it came on time. */
START_TEST(test_idle_warn_wait_act)
{
	struct lo_limits l = mk(900, 0, 0, 120);
	struct lo_limits_input in = { .logon = T0, .idle = 780 };
	struct lo_limits_decision d;

	/* Last input at T0; now T0+780: the limit (T0+900) is 120 s away. */
	in.now = T0 + 780;
	d = decide(&l, &in);
	ck_assert_int_eq(d.verdict, LO_LIMITS_WARN);
	ck_assert_int_eq(d.kind, LO_LIMIT_IDLE);
	ck_assert_int_eq(d.left, 120);
	ck_assert_int_eq(d.at, T0 + 900);

	/* One second earlier: nothing yet. */
	in.now = T0 + 779;
	in.idle = 779;
	ck_assert_int_eq(decide(&l, &in).verdict, LO_LIMITS_NOTHING);

	/* Warned at T0+780, no input since. */
	in.warned_at = T0 + 780;
	in.warned_for = LO_LIMIT_IDLE;
	in.now = T0 + 899;
	in.idle = 899;
	d = decide(&l, &in);
	ck_assert_int_eq(d.verdict, LO_LIMITS_WAIT);
	ck_assert_int_eq(d.left, 1);
	in.now = T0 + 900;
	in.idle = 900;
	d = decide(&l, &in);
	ck_assert_int_eq(d.verdict, LO_LIMITS_ACT);
	ck_assert_int_eq(d.action, LO_LIMIT_ACTION_LOGOFF);
	ck_assert_str_eq(d.reason, "idle limit 15min");

	/* A late sweep: first seen at idle 20min, warned then, acts 2min
	 * after the warning, not at once. */
	memset(&in, 0, sizeof(in));
	in.logon = T0;
	in.now = T0 + 1200;
	in.idle = 1200;
	d = decide(&l, &in);
	ck_assert_int_eq(d.verdict, LO_LIMITS_WARN);
	ck_assert_int_eq(d.left, 120);
	in.warned_at = T0 + 1200;
	in.warned_for = LO_LIMIT_IDLE;
	in.now = T0 + 1319;
	in.idle = 1319;
	ck_assert_int_eq(decide(&l, &in).verdict, LO_LIMITS_WAIT);
	in.now = T0 + 1320;
	in.idle = 1320;
	ck_assert_int_eq(decide(&l, &in).verdict, LO_LIMITS_ACT);
}
END_TEST

START_TEST(test_idle_input_cancels)
{
	struct lo_limits l = mk(900, 0, 0, 120);
	struct lo_limits_input in = { .logon = T0, .warned_at = T0 + 800,
				      .warned_for = LO_LIMIT_IDLE, .warned_input = T0 + 20 };
	struct lo_limits_decision d;

	/* Input at T0+801, after the warning. */
	in.now = T0 + 850;
	in.idle = 49;
	d = decide(&l, &in);
	ck_assert_int_eq(d.verdict, LO_LIMITS_CANCEL);
	ck_assert_int_eq(d.kind, LO_LIMIT_IDLE);
	ck_assert_str_eq(d.reason, "idle limit 15min");

	/* Input in the very second of the warning: terminal times are whole
	 * seconds, and the key pressed must keep the session. */
	in.idle = 50;
	ck_assert_int_eq(decide(&l, &in).verdict, LO_LIMITS_CANCEL);
	/* The same without the input seen at the warning. */
	in.warned_input = 0;
	ck_assert_int_eq(decide(&l, &in).verdict, LO_LIMITS_CANCEL);

	/* No input since the one seen at the warning: it goes on. */
	in.warned_input = T0 + 20;
	in.idle = 830;
	ck_assert_int_eq(decide(&l, &in).verdict, LO_LIMITS_WAIT);
	in.warned_input = 0;
	ck_assert_int_eq(decide(&l, &in).verdict, LO_LIMITS_WAIT);

	/* The limit removed from the config meanwhile: cancelled too. */
	l.idle = 0;
	ck_assert_int_eq(decide(&l, &in).verdict, LO_LIMITS_CANCEL);
}
END_TEST

START_TEST(test_no_warning)
{
	struct lo_limits l = mk(600, 0, 0, 0);
	struct lo_limits_input in = { .logon = T0, .now = T0 + 599, .idle = 599 };

	ck_assert_int_eq(decide(&l, &in).verdict, LO_LIMITS_NOTHING);
	in.now = T0 + 600;
	in.idle = 600;
	ck_assert_int_eq(decide(&l, &in).verdict, LO_LIMITS_ACT);
}
END_TEST

/* The active limit acts while the user types, and input never cancels
 * its warning. */
START_TEST(test_active_acts_while_busy)
{
	struct lo_limits l = mk(900, 8 * 3600, 0, 120);
	struct lo_limits_input in = { .logon = T0, .idle = 0 };
	struct lo_limits_decision d;

	in.now = T0 + 8 * 3600 - 120;
	d = decide(&l, &in);
	ck_assert_int_eq(d.verdict, LO_LIMITS_WARN);
	ck_assert_int_eq(d.kind, LO_LIMIT_ACTIVE);
	ck_assert_str_eq(d.reason, "active limit 8h");

	in.warned_at = in.now;
	in.warned_for = LO_LIMIT_ACTIVE;
	in.now = T0 + 8 * 3600 - 1;
	in.idle = 0;
	ck_assert_int_eq(decide(&l, &in).verdict, LO_LIMITS_WAIT);
	in.now = T0 + 8 * 3600;
	d = decide(&l, &in);
	ck_assert_int_eq(d.verdict, LO_LIMITS_ACT);
	ck_assert_str_eq(d.reason, "active limit 8h");
}
END_TEST

START_TEST(test_disconnected)
{
	struct lo_limits l = mk(0, 0, 1800, 120);
	struct lo_limits_input in = { .logon = T0, .idle = -1, .disconnected_since = T0 + 100 };
	struct lo_limits_decision d;

	in.now = T0 + 100 + 1680;
	d = decide(&l, &in);
	ck_assert_int_eq(d.verdict, LO_LIMITS_WARN);
	ck_assert_int_eq(d.kind, LO_LIMIT_DISCONNECTED);
	ck_assert_str_eq(d.reason, "disconnected limit 30min");
	in.warned_at = in.now;
	in.warned_for = LO_LIMIT_DISCONNECTED;
	in.now += 120;
	ck_assert_int_eq(decide(&l, &in).verdict, LO_LIMITS_ACT);
	/* A client attached again: cancelled. */
	in.disconnected_since = 0;
	ck_assert_int_eq(decide(&l, &in).verdict, LO_LIMITS_CANCEL);
	/* Left again after the warning: a new disconnection, cancelled. */
	in.disconnected_since = in.warned_at + 10;
	ck_assert_int_eq(decide(&l, &in).verdict, LO_LIMITS_CANCEL);

	/* With action = disconnect, the disconnected limit still logs off:
	 * a session without a client cannot be disconnected. */
	l.action = LO_LIMIT_ACTION_DISCONNECT;
	in = (struct lo_limits_input){ .logon = T0, .idle = -1, .disconnected_since = T0 + 100,
				       .now = T0 + 100 + 1680 };
	d = decide(&l, &in);
	ck_assert_int_eq(d.verdict, LO_LIMITS_WARN);
	ck_assert_int_eq(d.action, LO_LIMIT_ACTION_LOGOFF);
	in.warned_at = in.now;
	in.warned_for = LO_LIMIT_DISCONNECTED;
	in.now += 120;
	d = decide(&l, &in);
	ck_assert_int_eq(d.verdict, LO_LIMITS_ACT);
	ck_assert_int_eq(d.action, LO_LIMIT_ACTION_LOGOFF);
	/* ... while the idle limit disconnects. */
	l = mk(600, 0, 0, 0);
	l.action = LO_LIMIT_ACTION_DISCONNECT;
	in = (struct lo_limits_input){ .logon = T0, .idle = 700, .now = T0 + 800 };
	d = decide(&l, &in);
	ck_assert_int_eq(d.verdict, LO_LIMITS_ACT);
	ck_assert_int_eq(d.action, LO_LIMIT_ACTION_DISCONNECT);
}
END_TEST

/* Of several limits, the earliest is taken. */
START_TEST(test_earliest_limit)
{
	struct lo_limits l = mk(900, 3600, 0, 60);
	struct lo_limits_input in = { .logon = T0, .now = T0 + 3000, .idle = 100 };
	struct lo_limits_decision d = decide(&l, &in);

	/* idle reached at T0+3800, active at T0+3600. */
	ck_assert_int_eq(d.verdict, LO_LIMITS_NOTHING);
	ck_assert_int_eq(d.kind, LO_LIMIT_ACTIVE);
	ck_assert_int_eq(d.at, T0 + 3600);
	in.idle = 850;
	d = decide(&l, &in);
	ck_assert_int_eq(d.kind, LO_LIMIT_IDLE);
	ck_assert_int_eq(d.verdict, LO_LIMITS_WARN);
}
END_TEST

START_TEST(test_decide_refuses)
{
	struct lo_limits l = mk(900, 0, 0, 120);
	struct lo_limits_input in = { .now = T0, .logon = T0, .idle = 0, .warned_at = T0 + 5,
				      .warned_for = LO_LIMIT_IDLE };
	struct lo_limits_decision d;

	ck_assert_int_eq(lo_limits_decide(&l, &in, &d), -EINVAL);	/* clock went back */
	ck_assert_int_eq(lo_limits_decide(NULL, &in, &d), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------- state */

static int state_dir(void)
{
	int fd;

	mkdir(tu_path("limits"), 0700);
	fd = open(tu_path("limits"), O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	return fd;
}

START_TEST(test_state_round_trip)
{
	int dfd = state_dir();
	struct lo_limits_state s = { .warned_at = T0, .warned_for = LO_LIMIT_ACTIVE,
				     .input_at = T0 - 30 }, r;
	struct stat st;

	ck_assert_int_eq(lo_limits_state_read(dfd, "42", &r), -ENOENT);
	ck_assert_int_eq(lo_limits_state_write(dfd, "42", &s), 0);
	ck_assert_int_eq(fstatat(dfd, "42", &st, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(lo_limits_state_read(dfd, "42", &r), 0);
	ck_assert_int_eq(r.warned_at, T0);
	ck_assert_int_eq(r.warned_for, LO_LIMIT_ACTIVE);
	ck_assert_int_eq(r.input_at, T0 - 30);
	ck_assert_int_eq(faccessat(dfd, ".42.tmp", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	ck_assert_int_eq(lo_limits_state_remove(dfd, "42"), 0);
	ck_assert_int_eq(lo_limits_state_read(dfd, "42", &r), -ENOENT);
	/* Ids that are no ids never reach a path. */
	ck_assert_int_eq(lo_limits_state_write(dfd, "../42", &s), -EINVAL);
	ck_assert_int_eq(lo_limits_state_read(dfd, "..", &r), -EINVAL);
	ck_assert_int_eq(lo_limits_state_remove(dfd, "a/b"), -EINVAL);
	close(dfd);
}
END_TEST

/* A symlink in place of a state file is not followed, neither to read
 * nor to write; a file of another owner, open to others, with a second
 * link, or not parsing, is refused. */
START_TEST(test_state_hostile)
{
	int dfd = state_dir();
	struct lo_limits_state s = { .warned_at = T0, .warned_for = LO_LIMIT_IDLE }, r;
	char target[300], buf[64] = "";
	FILE *f;

	snprintf(target, sizeof(target), "%s", tu_path("target"));
	tu_write(target, "warned 1700000000 idle\n", 0600);
	ck_assert_int_eq(symlinkat(target, dfd, "7"), 0);
	ck_assert_int_eq(lo_limits_state_read(dfd, "7", &r), -EPERM);
	ck_assert_int_eq(r.warned_at, 0);
	/* Written by rename over the link: the target stays as it was. */
	ck_assert_int_eq(lo_limits_state_write(dfd, "7", &s), 0);
	f = fopen(target, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	ck_assert_str_eq(buf, "warned 1700000000 idle\n");

	/* Open to group and others. */
	tu_write(tu_path("limits/8"), "warned 1700000000 idle\n", 0644);
	ck_assert_int_eq(lo_limits_state_read(dfd, "8", &r), -EPERM);
	/* A hard link to somebody's file. */
	tu_write(tu_path("limits/9"), "warned 1700000000 idle\n", 0600);
	ck_assert_int_eq(linkat(dfd, "9", dfd, "9b", 0), 0);
	ck_assert_int_eq(lo_limits_state_read(dfd, "9", &r), -EPERM);
	/* Not ours to parse. */
	tu_write(tu_path("limits/10"), "warned soon idle\n", 0600);
	ck_assert_int_eq(lo_limits_state_read(dfd, "10", &r), -EBADMSG);
	tu_write(tu_path("limits/11"), "warned 1700000000 reboot\n", 0600);
	ck_assert_int_eq(lo_limits_state_read(dfd, "11", &r), -EBADMSG);
	tu_write(tu_path("limits/11"), "warned 99999999999999999999999 idle\n", 0600);
	ck_assert_int_eq(lo_limits_state_read(dfd, "11", &r), -EBADMSG);
	tu_write(tu_path("limits/11"), "warned 1700000000 idle 5 more\n", 0600);
	ck_assert_int_eq(lo_limits_state_read(dfd, "11", &r), -EBADMSG);
	tu_write(tu_path("limits/11"), "warned 1700000000 idle -5\n", 0600);
	ck_assert_int_eq(lo_limits_state_read(dfd, "11", &r), -EBADMSG);
	/* Without INPUT (0: unknown) it is read. */
	tu_write(tu_path("limits/11"), "warned 1700000000 idle\n", 0600);
	ck_assert_int_eq(lo_limits_state_read(dfd, "11", &r), 0);
	ck_assert_int_eq(r.input_at, 0);
	/* A FIFO does not hang the reader. */
	ck_assert_int_eq(mkfifoat(dfd, "12", 0600), 0);
	ck_assert_int_eq(lo_limits_state_read(dfd, "12", &r), -EPERM);
	/* Owned by another user (as root only: only root can give a file
	 * away). */
	if (geteuid() == 0) {
		struct passwd *nobody = getpwnam("nobody");
		ck_assert_ptr_nonnull(nobody);
		tu_write(tu_path("limits/13"), "warned 1700000000 idle\n", 0600);
		ck_assert_int_eq(fchownat(dfd, "13", nobody->pw_uid, nobody->pw_gid, 0), 0);
		ck_assert_int_eq(lo_limits_state_read(dfd, "13", &r), -EPERM);
	}
	close(dfd);
}
END_TEST

static Suite *limits_suite(void)
{
	Suite *s = suite_create("limits");
	TCase *tc;

	tc = tcase_create("duration");
	tcase_add_test(tc, test_duration_units);
	tcase_add_test(tc, test_duration_zero_and_empty);
	tcase_add_test(tc, test_duration_junk);
	tcase_add_test(tc, test_duration_overflow);
	tcase_add_test(tc, test_duration_format);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
	tcase_add_test(tc, test_config_defaults);
	tcase_add_test(tc, test_config_values);
	tcase_add_test(tc, test_config_dropin_wins);
	tcase_add_test(tc, test_config_refused);
	tcase_add_test(tc, test_config_choices_named);
	tcase_add_test(tc, test_config_check_all);
	tcase_add_test(tc, test_precedence);
	tcase_add_test(tc, test_exemptions);
	suite_add_tcase(s, tc);

	tc = tcase_create("decide");
	tcase_add_test(tc, test_nothing);
	tcase_add_test(tc, test_idle_unknown_never_acts);
	tcase_add_test(tc, test_idle_warn_wait_act);
	tcase_add_test(tc, test_idle_input_cancels);
	tcase_add_test(tc, test_no_warning);
	tcase_add_test(tc, test_active_acts_while_busy);
	tcase_add_test(tc, test_disconnected);
	tcase_add_test(tc, test_earliest_limit);
	tcase_add_test(tc, test_decide_refuses);
	suite_add_tcase(s, tc);

	tc = tcase_create("state");
	tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
	tcase_add_test(tc, test_state_round_trip);
	tcase_add_test(tc, test_state_hostile);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(limits_suite)
