/*
 * check_cli.c - logoff(1)'s decisions: argument parsing, SESSION
 * validation, the permission rules, terminal names, message sanitizing,
 * quoting for --server, close matches.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <syslog.h>

#include "testutil.h"
#include "cli/cli.h"

/* Parse a NULL-terminated list of words after "logoff". */
static int parse(struct lo_cli_opts *o, char **err, ...)
{
	char *argv[32] = { (char *)"logoff" };
	int argc = 1;
	va_list ap;
	char *w;

	va_start(ap, err);
	while ((w = va_arg(ap, char *)) && argc < 31)
		argv[argc++] = w;
	va_end(ap);
	argv[argc] = NULL;
	*err = NULL;
	return lo_cli_parse(argc, argv, o, err);
}

/* Expect a usage error whose message contains WHAT. */
#define REFUSED(what, ...)                                                                   \
	do {                                                                                 \
		struct lo_cli_opts o_;                                                       \
		char *e_ = NULL;                                                             \
		ck_assert_int_eq(parse(&o_, &e_, __VA_ARGS__, NULL), -EINVAL);               \
		ck_assert_msg(e_ && strstr(e_, what), "'%s' not in '%s'", what, e_ ? e_ : ""); \
		free(e_);                                                                    \
	} while (0)

START_TEST(test_parse_modes)
{
	struct lo_cli_opts o;
	char *err;

	ck_assert_int_eq(parse(&o, &err, NULL), 0);
	ck_assert_int_eq(o.mode, LO_CLI_LOGOFF);
	ck_assert_ptr_null(o.session);
	ck_assert_str_eq(o.config, LO_CONFIG_PATH);

	ck_assert_int_eq(parse(&o, &err, "pts/3", "-v", NULL), 0);
	ck_assert_str_eq(o.session, "pts/3");
	ck_assert(o.verbose);

	ck_assert_int_eq(parse(&o, &err, "-lv", "--json", NULL), 0);
	ck_assert_int_eq(o.mode, LO_CLI_LIST);
	ck_assert(o.json && o.verbose);

	ck_assert_int_eq(parse(&o, &err, "--status=sshd-7", "--json", NULL), 0);
	ck_assert_int_eq(o.mode, LO_CLI_STATUS);
	ck_assert_str_eq(o.session, "sshd-7");

	ck_assert_int_eq(parse(&o, &err, "--warn", "30", "--message", "bye", "r5", NULL), 0);
	ck_assert(o.warn);
	ck_assert_uint_eq(o.warn_seconds, 30);
	ck_assert_str_eq(o.message, "bye");
	ck_assert_str_eq(o.session, "r5");

	/* The Windows spellings. */
	ck_assert_int_eq(parse(&o, &err, "12", "/server:host-1", "/V", NULL), 0);
	ck_assert_str_eq(o.server, "host-1");
	ck_assert(o.verbose);
	ck_assert_str_eq(o.session, "12");

	ck_assert_int_eq(parse(&o, &err, "--gc", NULL), 0);
	ck_assert_int_eq(o.mode, LO_CLI_GC);
	ck_assert_int_eq(parse(&o, &err, "--", "r1", NULL), 0);
	ck_assert_str_eq(o.session, "r1");
}
END_TEST

/* --gc --abandon PROVIDER SESSION: one SESSION, a provider name, only
 * with --gc; plain --gc still takes no SESSION. */
START_TEST(test_parse_abandon)
{
	struct lo_cli_opts o;
	char *err;

	ck_assert_int_eq(parse(&o, &err, "--gc", "--abandon", "crashy", "42", NULL), 0);
	ck_assert_int_eq(o.mode, LO_CLI_GC);
	ck_assert_str_eq(o.abandon, "crashy");
	ck_assert_str_eq(o.session, "42");
	ck_assert_int_eq(parse(&o, &err, "--abandon=krb5", "sshd-7", "--gc", NULL), 0);
	ck_assert_str_eq(o.abandon, "krb5");
	ck_assert_int_eq(parse(&o, &err, "--gc", NULL), 0);
	ck_assert_ptr_null(o.abandon);

	REFUSED("--abandon needs a PROVIDER", "--gc", "--abandon");
	REFUSED("not a provider name", "--gc", "--abandon", "../x", "42");
	REFUSED("not a provider name", "--gc", "--abandon", "", "42");
	REFUSED("--abandon goes with --gc", "--abandon", "crashy", "42");
	REFUSED("--abandon goes with --gc", "--list", "--abandon", "crashy");
	REFUSED("needs a SESSION", "--gc", "--abandon", "crashy");
	REFUSED("more than one session", "--gc", "--abandon", "crashy", "42", "43");
	REFUSED("--gc and --limits take no SESSION", "--gc", "42");
}
END_TEST

/* --limits takes no SESSION; --check-config takes one absolute FILE, as
 * the next word or after '=', else checks --config's file. */
START_TEST(test_parse_limits_check_config)
{
	struct lo_cli_opts o;
	char *err;

	ck_assert_int_eq(parse(&o, &err, "--limits", "-v", NULL), 0);
	ck_assert_int_eq(o.mode, LO_CLI_LIMITS);
	ck_assert(o.verbose);
	ck_assert_ptr_null(o.session);

	ck_assert_int_eq(parse(&o, &err, "--check-config", NULL), 0);
	ck_assert_int_eq(o.mode, LO_CLI_CHECK_CONFIG);
	ck_assert_str_eq(o.check_file, LO_CONFIG_PATH);
	ck_assert_int_eq(parse(&o, &err, "--config", "/etc/x.conf", "--check-config", NULL), 0);
	ck_assert_str_eq(o.check_file, "/etc/x.conf");
	ck_assert_int_eq(parse(&o, &err, "--check-config", "/tmp/a.conf", NULL), 0);
	ck_assert_str_eq(o.check_file, "/tmp/a.conf");
	ck_assert_ptr_null(o.session);
	ck_assert_int_eq(parse(&o, &err, "--check-config=/tmp/b.conf", NULL), 0);
	ck_assert_str_eq(o.check_file, "/tmp/b.conf");

	REFUSED("--limits take no SESSION", "--limits", "42");
	REFUSED("exclude each other", "--limits", "--gc");
	REFUSED("exclude each other", "--check-config", "--list");
	REFUSED("expected an absolute path", "--check-config", "logoff.conf");
	REFUSED("expected an absolute path", "--check-config=logoff.conf");
	REFUSED("takes one FILE", "--check-config=/a.conf", "/b.conf");
	REFUSED("does not go with --server", "--check-config", "--server", "h");
	REFUSED("go with a logoff", "--limits", "--warn", "5");
	REFUSED("unknown option '--limit'", "--limit");
}
END_TEST

START_TEST(test_parse_refused)
{
	REFUSED("unknown option '--bogus'", "--bogus");
	REFUSED("unknown option '-x'", "-x");
	REFUSED("more than one session", "r1", "r2");
	REFUSED("exclude each other", "--list", "--gc");
	REFUSED("--json goes with", "--json", "r1");
	REFUSED("--message goes with --warn", "--message", "hi", "r1");
	REFUSED("--warn 'soon'", "--warn", "soon");
	REFUSED("--warn '86401'", "--warn", "86401");
	REFUSED("--warn ''", "--warn");
	REFUSED("--status needs a SESSION", "--status");
	REFUSED("take no SESSION", "--list", "r1");
	REFUSED("go with a logoff", "--gc", "--force");
	REFUSED("not a host name", "--server", "-oProxyCommand=sh", "--list");
	REFUSED("not a host name", "--server", "a b");
	REFUSED("does not go with --server", "--server", "h", "--config", "/etc/x.conf");
	/* The helper is never the caller's to name (a sudoers rule for logoff). */
	REFUSED("unknown option '--helper'", "--helper", "/tmp/x", "--gc");
	REFUSED("absolute path", "--config", "relative.conf");
	REFUSED("'..'", "../../etc/passwd");
	REFUSED("empty", "");
	REFUSED("not ASCII", "caf\xc3\xa9");
	REFUSED("control character", "a\tb");
	REFUSED("longer than 64", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	REFUSED("starts with", "/etc/passwd");
	REFUSED("not a session id or name", "a;b");
}
END_TEST

START_TEST(test_session_invalid)
{
	ck_assert_ptr_null(lo_cli_session_invalid("pts/3", 5));
	ck_assert_ptr_null(lo_cli_session_invalid("4294967294", 10));
	ck_assert_ptr_null(lo_cli_session_invalid(":0", 2));
	/* A NUL inside a counted string: refused, not truncated. */
	ck_assert_str_eq(lo_cli_session_invalid("r1\0../x", 7), "contains a NUL byte");
	ck_assert_str_eq(lo_cli_session_invalid("", 0), "empty");
	ck_assert_str_eq(lo_cli_session_invalid(NULL, 0), "empty");
	ck_assert_str_eq(lo_cli_session_invalid("pts/../3", 8), "contains '..'");
	/* Only LEN bytes count, whatever follows them (found by
	 * tests/fuzz/fuzz_names: strstr and the validators read on to a
	 * NUL past LEN). */
	ck_assert_ptr_null(lo_cli_session_invalid("pts/3/../x", 5));
	ck_assert_ptr_null(lo_cli_session_invalid("r1!!", 2));
	ck_assert_ptr_null(lo_cli_session_invalid("sshd-7\n", 6));
}
END_TEST

static struct lo_record rec_of(uid_t uid, const char *tty, const char *name)
{
	struct lo_record r;

	memset(&r, 0, sizeof(r));
	r.uid = uid;
	r.tty = (char *)tty;
	r.name = (char *)name;
	return r;
}

START_TEST(test_permission_rules)
{
	struct lo_record own = rec_of(1000, "/dev/pts/3", "pts/3");
	struct lo_record other = rec_of(1001, "ssh", "sshd-7");
	struct lo_record console = rec_of(1000, "/dev/console", "console");
	struct lo_record byname = rec_of(1000, "", "cron-r4");

	ck_assert_int_eq(lo_cli_may_logoff(1000, &own, "console", false), LO_EXIT_OK);
	ck_assert_int_eq(lo_cli_may_logoff(1000, &other, "console", false), LO_EXIT_DENIED);
	/* --force does not make another user's session yours. */
	ck_assert_int_eq(lo_cli_may_logoff(1000, &other, "console", true), LO_EXIT_DENIED);
	ck_assert_int_eq(lo_cli_may_logoff(0, &other, "console", false), LO_EXIT_OK);
	ck_assert_int_eq(lo_cli_may_logoff(1000, &console, "console", false), LO_EXIT_PROTECTED);
	ck_assert_int_eq(lo_cli_may_logoff(0, &console, "console", false), LO_EXIT_PROTECTED);
	ck_assert_int_eq(lo_cli_may_logoff(0, &console, "console", true), LO_EXIT_OK);
	/* Only root's --force counts. */
	ck_assert_int_eq(lo_cli_may_logoff(1000, &console, "console", true), LO_EXIT_PROTECTED);
	ck_assert_int_eq(lo_cli_may_logoff(1000, &byname, "console cron-r4", false),
			 LO_EXIT_PROTECTED);
	ck_assert_int_eq(lo_cli_may_logoff(1000, &own, "", false), LO_EXIT_OK);
}
END_TEST

START_TEST(test_tty_paths)
{
	char p[64];

	ck_assert_int_eq(lo_cli_tty_path(136 << 8 | 3, p, sizeof(p)), 0);
	ck_assert_str_eq(p, "/dev/pts/3");
	/* pts 300: major 137, minor 44. */
	ck_assert_int_eq(lo_cli_tty_path(137 << 8 | 44, p, sizeof(p)), 0);
	ck_assert_str_eq(p, "/dev/pts/300");
	ck_assert_int_eq(lo_cli_tty_path(4 << 8 | 1, p, sizeof(p)), 0);
	ck_assert_str_eq(p, "/dev/tty1");
	ck_assert_int_eq(lo_cli_tty_path(4 << 8 | 65, p, sizeof(p)), 0);
	ck_assert_str_eq(p, "/dev/ttyS1");
	ck_assert_int_eq(lo_cli_tty_path(0, p, sizeof(p)), -ENOENT);
	ck_assert_int_eq(lo_cli_tty_path(8 << 8 | 1, p, sizeof(p)), -ENOENT);	/* a disk */
}
END_TEST

START_TEST(test_sanitize)
{
	char b[128];

	lo_cli_sanitize("line1\nline2\ttab", b, sizeof(b));
	ck_assert_str_eq(b, "line1\r\nline2\ttab");
	/* Escape sequences and C1 controls never reach a terminal. */
	lo_cli_sanitize("\x1b]0;pwned\x07x\xc2\x9by", b, sizeof(b));
	ck_assert_str_eq(b, "?]0;pwned?x??y");
	lo_cli_sanitize("caf\xc3\xa9 \xe2\x82\xac \xff", b, sizeof(b));
	ck_assert_str_eq(b, "caf\xc3\xa9 \xe2\x82\xac ?");
	/* Overlong encodings are not UTF-8. */
	lo_cli_sanitize("\xc0\xaf", b, sizeof(b));
	ck_assert_str_eq(b, "??");
	/* A raw C1 byte (CSI, 0x9b) and U+0085 (NEL) in UTF-8 form. */
	lo_cli_sanitize("a\x9b" "2Jb\xc2\x85" "c", b, sizeof(b));
	ck_assert_str_eq(b, "a?2Jb??c");
	ck_assert_uint_lt(lo_cli_sanitize("aaaaaaaaaaaaaaaaaaaa", b, 8), 8);
}
END_TEST

/* What reaches a log line, logoff(1)'s output and --json:
 * lo_text_safe, also behind lo_logv. */
static char logged[1024];

static void log_to_buffer(void *ctx, int priority, const char *msg)
{
	(void)ctx;
	(void)priority;
	snprintf(logged, sizeof(logged), "%s", msg);
}

START_TEST(test_text_safe)
{
	char b[128];
	struct lo_log log = { .fn = log_to_buffer };

	/* C1 controls as UTF-8 (U+0080, U+009B CSI, U+009F): each byte '?'. */
	ck_assert_uint_eq(lo_text_safe(b, sizeof(b), "a\xc2\x80" "b\xc2\x9b" "31mc\xc2\x9f"), 12);
	ck_assert_str_eq(b, "a??b??31mc??");
	/* Raw 8-bit C1 bytes (0x80..0x9f, not part of any UTF-8 sequence),
	 * other stray continuation bytes, 0xff, an overlong '/', a surrogate
	 * and a sequence cut by the end. */
	lo_text_safe(b, sizeof(b), "x\x9b" "31my\x85z\x80\xbf\xff");
	ck_assert_str_eq(b, "x?31my?z???");
	lo_text_safe(b, sizeof(b), "\xc0\xaf|\xed\xa0\x80|\xe2\x82");
	ck_assert_str_eq(b, "??|???|??");
	/* C0 controls and DEL; tab is a space. */
	lo_text_safe(b, sizeof(b), "\x1b[2J\r\nx\ty\x7f");
	ck_assert_str_eq(b, "?[2J??x y?");
	/* Valid UTF-8 of other characters is kept: U+00A0 (the first after
	 * C1), Latin, Cyrillic, CJK, an emoji (4 bytes). */
	lo_text_safe(b, sizeof(b), "\xc2\xa0J\xc3\xbcrgen \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd "
				   "\xe7\x94\xb0\xe4\xb8\xad \xf0\x9f\x98\x80");
	ck_assert_str_eq(b, "\xc2\xa0J\xc3\xbcrgen \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd "
			    "\xe7\x94\xb0\xe4\xb8\xad \xf0\x9f\x98\x80");
	/* Truncated at a character boundary, NUL-terminated. */
	ck_assert_uint_eq(lo_text_safe(b, 5, "ab\xe2\x82\xac"), 2);
	ck_assert_str_eq(b, "ab");
	ck_assert_uint_eq(lo_text_safe(b, 6, "ab\xe2\x82\xac"), 5);
	ck_assert_uint_eq(lo_text_safe(b, 0, "ab"), 0);
	/* In place. */
	snprintf(b, sizeof(b), "%s", "p\xc2\x9bq");
	lo_text_safe(b, sizeof(b), b);
	ck_assert_str_eq(b, "p??q");
	/* Trojan Source: U+202E (RLO) and U+2066 (LRI) reorder what is
	 * shown, U+200B hides a character, U+FEFF too; U+2030 (per mille)
	 * just after the range is text. */
	lo_text_safe(b, sizeof(b), "a\xe2\x80\xae" "b\xe2\x81\xa6" "c\xe2\x80\x8b" "d\xef\xbb\xbf" "e\xe2\x80\xb0");
	ck_assert_str_eq(b, "a???b???c???d???e\xe2\x80\xb0");
	ck_assert_uint_eq(lo_text_char("\xc2\x9f"), 0);
	ck_assert_uint_eq(lo_text_char("\xc2\xa0"), 2);
	ck_assert_uint_eq(lo_text_char("\x9b"), 0);
	ck_assert_uint_eq(lo_text_char(""), 0);

	/* A log line (a file name from a TMPDIR, a PAM_RHOST) goes through it. */
	lo_log(&log, LOG_ERR, "%s: cannot remove %s", "tmpdir", "/tmp/u/f\xc2\x9b" "2J\x9b\n<3>x");
	ck_assert_str_eq(logged, "tmpdir: cannot remove /tmp/u/f??2J??<3>x");
	lo_log(&log, LOG_ERR, "from %s", "h\xc3\xa9te");
	ck_assert_str_eq(logged, "from h\xc3\xa9te");
}
END_TEST

START_TEST(test_shell_quote_and_remote_args)
{
	struct lo_cli_opts o;
	char *err, *q, **v = NULL;
	size_t n = 0;

	q = lo_cli_shell_quote("it's $(rm -rf /)");
	ck_assert_str_eq(q, "'it'\\''s $(rm -rf /)'");
	free(q);

	ck_assert_int_eq(parse(&o, &err, "--server", "h", "-v", "--warn", "5", "--message",
			       "a'b", "pts/3", NULL), 0);
	ck_assert_int_eq(lo_cli_remote_args(&o, &v, &n), 0);
	ck_assert_uint_eq(n, 7);
	ck_assert_str_eq(v[0], "'-v'");
	ck_assert_str_eq(v[1], "'--warn'");
	ck_assert_str_eq(v[2], "'5'");
	ck_assert_str_eq(v[4], "'a'\\''b'");
	ck_assert_str_eq(v[5], "'--'");
	ck_assert_str_eq(v[6], "'pts/3'");
	ck_assert_ptr_null(v[7]);
	lo_strv_free(v, n);
}
END_TEST

/* --server NODESET and --user NAME: what ClusterShell may expand, and
 * nothing that a shell or ssh would read as code or an option. */
START_TEST(test_nodeset_and_user)
{
	struct lo_cli_opts o;
	char *err, **v = NULL;
	size_t n = 0;

	ck_assert(lo_cli_server_is_nodeset("node[1-4]"));
	ck_assert(lo_cli_server_is_nodeset("a,b"));
	ck_assert(lo_cli_server_is_nodeset("@login"));
	ck_assert(!lo_cli_server_is_nodeset("alice@host"));
	ck_assert(!lo_cli_server_is_nodeset("host.example"));
	ck_assert(lo_cli_nodeset_valid("node[1-4],login[01-08],@gpu"));
	ck_assert(!lo_cli_nodeset_valid("-oProxyCommand=sh,a"));
	ck_assert(!lo_cli_nodeset_valid("a,b;id"));
	ck_assert(!lo_cli_nodeset_valid("a, b"));
	ck_assert(!lo_cli_nodeset_valid("a,$(id)"));
	ck_assert(!lo_cli_nodeset_valid(""));
	ck_assert(lo_cli_user_valid("alice"));
	ck_assert(lo_cli_user_valid("alice@EXAMPLE.COM"));
	ck_assert(lo_cli_user_valid("host1$"));
	ck_assert(!lo_cli_user_valid("-root"));
	ck_assert(!lo_cli_user_valid("a$b"));
	ck_assert(!lo_cli_user_valid("a b"));
	ck_assert(!lo_cli_user_valid("a;id"));
	ck_assert(!lo_cli_user_valid(""));

	REFUSED("not a host name or node set", "--server", "-n[1-2]", "--list");
	REFUSED("not a host name or node set", "--server", "n[1-2];id", "--list");
	REFUSED("not a user name", "--user", "-oProxyCommand=x");
	REFUSED("not a user name", "--user", "a`id`");
	REFUSED("--user needs a NAME", "--user");
	REFUSED("--user NAME logs off", "--user", "alice", "r1");
	REFUSED("--user NAME logs off", "--user", "alice", "--list");

	ck_assert_int_eq(parse(&o, &err, "--server", "node[1-4]", "--user", "alice", "--warn",
			       "2", "--message", "a'b; $(id)", NULL), 0);
	ck_assert_str_eq(o.server, "node[1-4]");
	ck_assert_str_eq(o.user, "alice");
	ck_assert_int_eq(lo_cli_remote_args(&o, &v, &n), 0);
	ck_assert_uint_eq(n, 6);
	ck_assert_str_eq(v[2], "'--user'");
	ck_assert_str_eq(v[3], "'alice'");
	ck_assert_str_eq(v[5], "'a'\\''b; $(id)'");
	lo_strv_free(v, n);

	/* --status's SESSION stays its value on the remote side. */
	ck_assert_int_eq(parse(&o, &err, "--server", "a,b", "--status", "r1", "--json", NULL), 0);
	ck_assert_int_eq(lo_cli_remote_args(&o, &v, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(v[0], "'--status'");
	ck_assert_str_eq(v[1], "'r1'");
	ck_assert_str_eq(v[2], "'--json'");
	lo_strv_free(v, n);
}
END_TEST

START_TEST(test_close_matches)
{
	ck_assert_uint_eq(lo_cli_distance("pts/3", "pts/3"), 0);
	ck_assert_uint_eq(lo_cli_distance("pts/4", "pts/3"), 1);
	ck_assert_uint_eq(lo_cli_distance("sshd-7", "sshd-17"), 1);
	ck_assert_uint_eq(lo_cli_distance("", "abc"), 3);
	ck_assert(lo_cli_close_match("pts/4", "pts/3"));
	ck_assert(lo_cli_close_match("sshd", "sshd-7"));
	ck_assert(!lo_cli_close_match("pts/4", "sshd-7"));
}
END_TEST

/* Only local displays: a "host:0" would have the child connect elsewhere. */
START_TEST(test_display_local)
{
	ck_assert(lo_cli_display_local(":0"));
	ck_assert(lo_cli_display_local(":10"));
	ck_assert(lo_cli_display_local(":10.0"));
	ck_assert(lo_cli_display_local(":1234567"));
	ck_assert(!lo_cli_display_local(NULL));
	ck_assert(!lo_cli_display_local(""));
	ck_assert(!lo_cli_display_local(":"));
	ck_assert(!lo_cli_display_local("::0"));
	ck_assert(!lo_cli_display_local("host:0"));
	ck_assert(!lo_cli_display_local("localhost:10.0"));
	ck_assert(!lo_cli_display_local(":0."));
	ck_assert(!lo_cli_display_local(":0.0.0"));
	ck_assert(!lo_cli_display_local(":12345678"));
	ck_assert(!lo_cli_display_local(":0/../x"));
	ck_assert(!lo_cli_display_local(":0 "));
	ck_assert(!lo_cli_display_local("pts/3"));
	ck_assert(!lo_cli_display_local("/tmp/.X11-unix/X0"));
}
END_TEST

/* Windows' spellings of help and query user: "/?" prints the help,
 * --query takes a USER or SESSION, --json goes with it. */
START_TEST(test_parse_query_and_help)
{
	struct lo_cli_opts o;
	char *err;

	ck_assert_int_eq(parse(&o, &err, "/?", NULL), 0);
	ck_assert_int_eq(o.mode, LO_CLI_HELP);

	/* --disconnect SESSION, Windows' tsdiscon. */
	ck_assert_int_eq(parse(&o, &err, "--disconnect", ":10", NULL), 0);
	ck_assert_int_eq(o.mode, LO_CLI_DISCONNECT);
	ck_assert_str_eq(o.session, ":10");
	REFUSED("--disconnect needs a SESSION", "--disconnect");
	REFUSED("exclude each other", "--disconnect", "--list", ":10");
	REFUSED("--json goes with", "--disconnect", ":10", "--json");
	REFUSED("--warn and --force go with a logoff", "--disconnect", ":10", "--warn", "5");
	REFUSED("--user NAME", "--disconnect", ":10", "--user", "alice");
	REFUSED("session '-x'", "--disconnect", "--", "-x");
	{
		char **w = NULL;
		size_t n = 0;
		ck_assert_int_eq(parse(&o, &err, "--disconnect", ":10", "--server", "h1", NULL), 0);
		ck_assert_int_eq(lo_cli_remote_args(&o, &w, &n), 0);
		ck_assert_uint_eq(n, 3);
		ck_assert_str_eq(w[0], "'--disconnect'");
		ck_assert_str_eq(w[1], "'--'");
		ck_assert_str_eq(w[2], "':10'");
		lo_strv_free(w, n);
	}
	/* After "--" it is a SESSION, and not a valid one. */
	REFUSED("session '/?'", "--", "/?");

	ck_assert_int_eq(parse(&o, &err, "--query", NULL), 0);
	ck_assert_int_eq(o.mode, LO_CLI_QUERY);
	ck_assert_ptr_null(o.session);
	ck_assert_int_eq(parse(&o, &err, "--query", "pts/3", "--json", NULL), 0);
	ck_assert_str_eq(o.session, "pts/3");
	ck_assert(o.json);
	/* A user name that is no session name is an argument too. */
	ck_assert_int_eq(parse(&o, &err, "--query", "CORP\\alice", NULL), 0);
	ck_assert_str_eq(o.session, "CORP\\alice");
	ck_assert_int_eq(parse(&o, &err, "--query", "j\xc3\xa9r\xc3\xb4me", NULL), 0);

	/* --server runs the same query there. */
	{
		char **w = NULL;
		size_t n = 0;
		ck_assert_int_eq(parse(&o, &err, "--query", "alice", "--json", "/server:h1", NULL), 0);
		ck_assert_int_eq(lo_cli_remote_args(&o, &w, &n), 0);
		ck_assert_uint_eq(n, 4);
		ck_assert_str_eq(w[0], "'--query'");
		ck_assert_str_eq(w[1], "'--json'");
		ck_assert_str_eq(w[2], "'--'");
		ck_assert_str_eq(w[3], "'alice'");
		lo_strv_free(w, n);
	}

	REFUSED("control character", "--query", "al\033[31mice");
	REFUSED("contains a space", "--query", "al ice");
	REFUSED("starts with '-'", "--query", "--", "-x");
	REFUSED("more than one session", "--query", "alice", "bob");
	REFUSED("exclude each other", "--query", "--list");
	REFUSED("--warn and --force go with a logoff", "--query", "--force");
}
END_TEST

/* quser's IDLE TIME and STATE columns. */
START_TEST(test_quser_columns)
{
	char b[16];

	lo_cli_quser_idle(-1, b, sizeof(b));
	ck_assert_str_eq(b, "-");
	lo_cli_quser_idle(0, b, sizeof(b));
	ck_assert_str_eq(b, ".");
	lo_cli_quser_idle(59, b, sizeof(b));
	ck_assert_str_eq(b, ".");
	lo_cli_quser_idle(60, b, sizeof(b));
	ck_assert_str_eq(b, "1");
	lo_cli_quser_idle(3599, b, sizeof(b));
	ck_assert_str_eq(b, "59");
	lo_cli_quser_idle(3600, b, sizeof(b));
	ck_assert_str_eq(b, "1:00");
	lo_cli_quser_idle(2 * 3600 + 5 * 60 + 59, b, sizeof(b));
	ck_assert_str_eq(b, "2:05");
	lo_cli_quser_idle(86399, b, sizeof(b));
	ck_assert_str_eq(b, "23:59");
	lo_cli_quser_idle(86400, b, sizeof(b));
	ck_assert_str_eq(b, "1+00:00");
	lo_cli_quser_idle(3 * 86400 + 4 * 3600 + 7 * 60, b, sizeof(b));
	ck_assert_str_eq(b, "3+04:07");

	ck_assert_str_eq(lo_cli_quser_state("active", false, false), "Active");
	ck_assert_str_eq(lo_cli_quser_state("opening", false, true), "active");
	ck_assert_str_eq(lo_cli_quser_state("active", true, false), "Disc");
	ck_assert_str_eq(lo_cli_quser_state("closing", true, false), "Closing");
	ck_assert_str_eq(lo_cli_quser_state("stale", false, true), "stale");
	ck_assert_str_eq(lo_cli_quser_state("failed", false, false), "Stale");
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("cli");

	tcase_add_test(tc, test_parse_modes);
	tcase_add_test(tc, test_parse_refused);
	tcase_add_test(tc, test_parse_abandon);
	tcase_add_test(tc, test_parse_limits_check_config);
	tcase_add_test(tc, test_session_invalid);
	tcase_add_test(tc, test_permission_rules);
	tcase_add_test(tc, test_tty_paths);
	tcase_add_test(tc, test_sanitize);
	tcase_add_test(tc, test_text_safe);
	tcase_add_test(tc, test_shell_quote_and_remote_args);
	tcase_add_test(tc, test_nodeset_and_user);
	tcase_add_test(tc, test_close_matches);
	tcase_add_test(tc, test_display_local);
	tcase_add_test(tc, test_parse_query_and_help);
	tcase_add_test(tc, test_quser_columns);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(cli_suite)
