/*
 * check_audit.c - the audit trail of logoffs: which reasons a record may
 * carry, the reason chosen for a logoff, and the one line's form with
 * hostile user names and reasons.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include "testutil.h"
#include "core/audit.h"

/* A record of uid 1001 as lo_record_parse builds one. */
static struct lo_record *record(const char *user, const char *reason)
{
	struct lo_record *rec = calloc(1, sizeof(*rec));

	ck_assert_ptr_nonnull(rec);
	snprintf(rec->id, sizeof(rec->id), "12");
	rec->user = strdup(user);
	rec->name = strdup("pts/3");
	rec->logind = strdup("7");
	rec->uid = 1001;
	if (reason)
		ck_assert_int_eq(lo_record_set_data(rec, LO_REASON_DATA_OWNER, LO_REASON_DATA_KEY,
						    reason), 0);
	return rec;
}

START_TEST(test_reason_valid)
{
	ck_assert(lo_logoff_reason_valid("logout", 1001));
	ck_assert(lo_logoff_reason_valid("stale", 1001));
	ck_assert(lo_logoff_reason_valid("logoff by uid 0", 1001));
	ck_assert(lo_logoff_reason_valid("logoff by uid 1001", 1001));
	ck_assert(lo_logoff_reason_valid("idle limit 15min", 1001));
	ck_assert(lo_logoff_reason_valid("active limit 8h", 1001));
	ck_assert(lo_logoff_reason_valid("disconnected limit 30min", 1001));
	ck_assert(lo_logoff_reason_valid("idle limit", 1001));

	/* Another user may not be named as the one who logged it off. */
	ck_assert(!lo_logoff_reason_valid("logoff by uid 1002", 1001));
	ck_assert(!lo_logoff_reason_valid("logoff by uid 01001", 1001));
	ck_assert(!lo_logoff_reason_valid("logoff by uid 99999999999", 1001));
	ck_assert(!lo_logoff_reason_valid("logoff by uid ", 1001));
	ck_assert(!lo_logoff_reason_valid("logoff by uid 0 ", 1001));
	ck_assert(!lo_logoff_reason_valid("idle limit 15 min", 1001));
	ck_assert(!lo_logoff_reason_valid("idle limit 15MIN", 1001));
	ck_assert(!lo_logoff_reason_valid("idle limit \x1b[31m", 1001));
	ck_assert(!lo_logoff_reason_valid("idle limit 15min: result done", 1001));
	ck_assert(!lo_logoff_reason_valid("root did it", 1001));
	ck_assert(!lo_logoff_reason_valid("", 1001));
	ck_assert(!lo_logoff_reason_valid(NULL, 1001));
}
END_TEST

START_TEST(test_reason_chosen)
{
	struct lo_record *carried = record("alice", "logoff by uid 0");
	struct lo_record *forged = record("alice", "logoff by uid 4242");
	struct lo_record *none = record("alice", NULL);

	ck_assert_str_eq(lo_logoff_reason(carried, "stale"), "logoff by uid 0");
	ck_assert_str_eq(lo_logoff_reason(forged, "stale"), "stale");
	ck_assert_str_eq(lo_logoff_reason(forged, NULL), "logout");
	ck_assert_str_eq(lo_logoff_reason(none, "idle limit 15min"), "idle limit 15min");
	ck_assert_str_eq(lo_logoff_reason(NULL, NULL), "logout");
	lo_record_free(carried);
	lo_record_free(forged);
	lo_record_free(none);
}
END_TEST

START_TEST(test_line)
{
	struct lo_record *rec = record("alice", NULL);
	struct lo_record *after = record("alice", NULL);
	char line[1024];

	lo_audit_format(line, sizeof(line), "12", rec, "logout", LO_LOGOFF_DONE, NULL);
	ck_assert_str_eq(line, "logoff: session 12 (pts/3) user alice uid 1001 logind 7: "
			       "reason logout: result done");
	lo_audit_format(line, sizeof(line), "12", rec, "stale", LO_LOGOFF_TIMED_OUT, NULL);
	ck_assert_str_eq(line, "logoff: session 12 (pts/3) user alice uid 1001 logind 7: "
			       "reason stale: result timed out");
	lo_audit_format(line, sizeof(line), "12", NULL, "stale", LO_LOGOFF_ERROR, NULL);
	ck_assert_str_eq(line, "logoff: session 12: reason stale: result failed");

	/* Partial: what the record still tracks. */
	ck_assert_int_eq(lo_record_add_sub(after, "tmpdir", LOGOFF_SUBOBJECT_PATH, "/tmp/x"), 0);
	ck_assert_int_eq(lo_record_add_sub(after, "processes", LOGOFF_SUBOBJECT_PROCESS, "4:5"), 0);
	lo_audit_format(line, sizeof(line), "12", rec, "logout", LO_LOGOFF_PARTIAL, after);
	ck_assert_str_eq(line, "logoff: session 12 (pts/3) user alice uid 1001 logind 7: "
			       "reason logout: result partial: path /tmp/x, process 4:5");
	lo_record_free(rec);
	lo_record_free(after);
}
END_TEST

/* A user name and a caller's reason with control characters, C1 CSI,
 * a newline, spaces and colons: one line, no control byte, the user one
 * token. */
START_TEST(test_line_hostile)
{
	struct lo_record *rec = record("ev\x1b]0;il\n: result done\xc2\x9b", NULL);
	char line[1024];

	lo_audit_format(line, sizeof(line), "12", rec, "idle\r\nlimit\x1b[2J", LO_LOGOFF_DONE, NULL);
	for (const char *p = line; *p; p++)
		ck_assert_msg((unsigned char)*p >= 0x20 && *p != 0x7f, "control byte in '%s'", line);
	ck_assert_ptr_null(strstr(line, "\xc2\x9b"));
	ck_assert_str_eq(line, "logoff: session 12 (pts/3) user ev?]0;il???result?done?? uid 1001 "
			       "logind 7: reason idle??limit?[2J: result done");
	lo_record_free(rec);
	/* A colon inside a word stays (an X display), one at its end does not. */
	rec = record("bob:", NULL);
	free(rec->name);
	rec->name = strdup(":10");
	lo_audit_format(line, sizeof(line), "12", rec, "stale", LO_LOGOFF_DONE, NULL);
	ck_assert_str_eq(line, "logoff: session 12 (:10) user bob? uid 1001 logind 7: reason stale: "
			       "result done");
	/* A long reason is cut, the line still ends with its result. */
	{
		char longr[600];
		memset(longr, 'x', sizeof(longr) - 1);
		longr[sizeof(longr) - 1] = '\0';
		lo_audit_format(line, sizeof(line), "12", rec, longr, LO_LOGOFF_DONE, NULL);
		ck_assert_ptr_nonnull(strstr(line, ": result done"));
		ck_assert_uint_lt(strlen(line), 400);
	}
	lo_record_free(rec);
}
END_TEST

/* The reason written into a record is read back by the logoff, and a
 * refused one is never written. */
START_TEST(test_set_reason)
{
	struct lo_registry *reg = NULL;
	struct lo_record *rec = record("alice", NULL), *back = NULL;
	char path[512], *err = NULL;

	snprintf(path, sizeof(path), "%s/reg", tu_dir);
	ck_assert_int_eq(lo_registry_open(path, LO_REGISTRY_CREATE, &reg, &err), 0);
	rec->uid = getuid();
	ck_assert_int_eq(lo_record_write(reg, rec), 0);
	ck_assert_int_eq(lo_logoff_set_reason(reg, "12", "root did it"), -EINVAL);
	ck_assert_int_eq(lo_logoff_set_reason(reg, "13", "logout"), -ENOENT);
	ck_assert_int_eq(lo_record_read(reg, "12", &back, NULL), 0);
	ck_assert_str_eq(lo_logoff_reason(back, "stale"), "stale");
	lo_record_free(back);
	ck_assert_int_eq(lo_logoff_set_reason(reg, "12", "logoff by uid 0"), 0);
	ck_assert_int_eq(lo_record_read(reg, "12", &back, NULL), 0);
	ck_assert_str_eq(lo_logoff_reason(back, "stale"), "logoff by uid 0");
	lo_record_free(back);
	lo_record_free(rec);
	lo_registry_close(reg);
}
END_TEST

static Suite *audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *reasons = tcase_create("reasons");
	TCase *line = tcase_create("line");

	tcase_add_checked_fixture(reasons, tu_setup, tu_teardown);
	tcase_add_test(reasons, test_reason_valid);
	tcase_add_test(reasons, test_reason_chosen);
	tcase_add_test(reasons, test_set_reason);
	tcase_add_test(line, test_line);
	tcase_add_test(line, test_line_hostile);
	suite_add_tcase(s, reasons);
	suite_add_tcase(s, line);
	return s;
}

TU_MAIN(audit_suite)
