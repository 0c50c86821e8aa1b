/*
 * cli.c - argument parsing and the rules of logoff(1); see cli.h.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

const char *lo_cli_session_invalid(const char *counted, size_t len)
{
	char s[LO_NAME_MAX + 1];

	if (!counted || len == 0)
		return "empty";
	if (strnlen(counted, len) != len)
		return "contains a NUL byte";
	if (len > LO_NAME_MAX)
		return "longer than 64 bytes";
	/* COUNTED need not end in a NUL at LEN: the string checks below
	 * must not read past it. */
	memcpy(s, counted, len);
	s[len] = '\0';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80)
			return "not ASCII";
		if (c < 0x20 || c == 0x7f)
			return "contains a control character";
	}
	if (strstr(s, ".."))
		return "contains '..'";
	if (s[0] == '/' || s[0] == '.')
		return "starts with '/' or '.'";
	if (!lo_id_valid(s) && !lo_session_name_valid(s))
		return "not a session id or name (letters, digits and _ . : / - only)";
	return NULL;
}

bool lo_cli_host_valid(const char *host)
{
	size_t len = host ? strlen(host) : 0;

	if (len == 0 || len > LO_HOST_MAX || host[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)host[i]) && !strchr("._:@%[]-", host[i]))
			return false;
	return true;
}

bool lo_cli_server_is_nodeset(const char *server)
{
	return server && (server[0] == '@' || strpbrk(server, ",["));
}

bool lo_cli_nodeset_valid(const char *nodeset)
{
	size_t len = nodeset ? strlen(nodeset) : 0;

	if (len == 0 || len > LO_NODESET_MAX || nodeset[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)nodeset[i]) && !strchr("._:@%[],-", nodeset[i]))
			return false;
	return true;
}

bool lo_cli_user_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > LO_USER_MAX || name[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._@-", name[i]) &&
		    !(name[i] == '$' && i == len - 1))
			return false;
	return true;
}

static int parse_warn(const char *v, unsigned *ret)
{
	char *end;
	unsigned long u;

	if (!v || !isdigit((unsigned char)v[0]))
		return -EINVAL;
	errno = 0;
	u = strtoul(v, &end, 10);
	if (errno || *end || u > LO_WARN_MAX)
		return -EINVAL;
	*ret = (unsigned)u;
	return 0;
}

#define FAIL(err, ...)                                    \
	do {                                              \
		*(err) = lo_strdupf(__VA_ARGS__);         \
		return -EINVAL;                           \
	} while (0)

/* getopt_long's values of the long options without a short one. */
enum {
	OPT_GC = 256,
	OPT_VERSION,
	OPT_JSON,
	OPT_FORCE,
	OPT_STATUS,
	OPT_WARN,
	OPT_MESSAGE,
	OPT_SERVER,
	OPT_CONFIG,
	OPT_ABANDON,
	OPT_USER,
	OPT_QUERY,
	OPT_LIMITS,
	OPT_CHECK_CONFIG,
	OPT_DISCONNECT,
};

/* "-" first: every word that is no option comes back, in order, as 1
 * (argv is never permuted); ":" next: a missing value is ':', not '?',
 * and getopt_long prints nothing. */
static const char short_options[] = "-:vlh";

static const struct option long_options[] = {
	{ "verbose", no_argument, NULL, 'v' },
	{ "list", no_argument, NULL, 'l' },
	{ "help", no_argument, NULL, 'h' },
	{ "gc", no_argument, NULL, OPT_GC },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "status", required_argument, NULL, OPT_STATUS },
	{ "warn", required_argument, NULL, OPT_WARN },
	{ "message", required_argument, NULL, OPT_MESSAGE },
	{ "server", required_argument, NULL, OPT_SERVER },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "abandon", required_argument, NULL, OPT_ABANDON },
	{ "user", required_argument, NULL, OPT_USER },
	{ "query", no_argument, NULL, OPT_QUERY },
	{ "limits", no_argument, NULL, OPT_LIMITS },
	{ "check-config", optional_argument, NULL, OPT_CHECK_CONFIG },
	{ "disconnect", no_argument, NULL, OPT_DISCONNECT },
	{ NULL, 0, NULL, 0 },
};

/* What lo_cli_parse gathers beyond OPTS. */
struct cli_state {
	struct lo_cli_opts *o;
	int mode_count;		/* --list, --status, --gc, --limits, --check-config, --help, --version */
	bool config_given;
	char **error;
};

/* True when ARG ("--NAME" or "--NAME=VALUE") spells a long option in
 * full: getopt_long would take an abbreviation, logoff(1) does not. */
static bool long_option_whole(const char *arg)
{
	size_t len = strcspn(arg + 2, "=");

	for (const struct option *l = long_options; l->name; l++)
		if (strlen(l->name) == len && strncmp(l->name, arg + 2, len) == 0)
			return true;
	return false;
}

static void cli_mode(struct cli_state *s, int mode)
{
	s->o->mode = mode;
	s->mode_count++;
}

/* A word that is no option: /v, /server:HOST (Windows' logoff, any
 * case), /? (its help) unless after "--", else the SESSION. */
static int cli_word(struct cli_state *s, const char *a, bool only_args)
{
	if (!only_args && strcmp(a, "/?") == 0) {
		cli_mode(s, LO_CLI_HELP);
		return 0;
	}
	if (!only_args && strcasecmp(a, "/v") == 0) {
		s->o->verbose = true;
		return 0;
	}
	if (!only_args && strncasecmp(a, "/server:", 8) == 0) {
		s->o->server = a + 8;
		return 0;
	}
	if (s->o->session)
		FAIL(s->error, "more than one session given: '%s' and '%s'", s->o->session, a);
	s->o->session = a;
	return 0;
}

/* An option with its value V, which getopt_long found given. */
static int cli_value(struct cli_state *s, int opt, const char *v)
{
	struct lo_cli_opts *o = s->o;

	switch (opt) {
	case OPT_STATUS:
		if (o->session)
			FAIL(s->error, "more than one session given: '%s' and '%s'", o->session, v);
		cli_mode(s, LO_CLI_STATUS);
		o->session = v;
		return 0;
	case OPT_WARN:
		if (parse_warn(v, &o->warn_seconds) < 0)
			FAIL(s->error, "--warn '%s': expected whole seconds from 0 to %d", v,
			     LO_WARN_MAX);
		o->warn = true;
		return 0;
	case OPT_MESSAGE:
		if (strlen(v) > LO_MESSAGE_MAX)
			FAIL(s->error, "--message: longer than %d bytes", LO_MESSAGE_MAX);
		o->message = v;
		return 0;
	case OPT_SERVER:
		o->server = v;
		return 0;
	case OPT_USER:
		if (!lo_cli_user_valid(v))
			FAIL(s->error, "--user '%.80s': not a user name", v);
		o->user = v;
		return 0;
	case OPT_CONFIG:
		if (v[0] != '/')
			FAIL(s->error, "--config '%s': expected an absolute path", v);
		o->config = v;
		s->config_given = true;
		return 0;
	default: /* OPT_ABANDON */
		if (!lo_plugin_name_valid(v))
			FAIL(s->error, "--abandon '%.80s': not a provider name", v);
		o->abandon = v;
		return 0;
	}
}

/* An option given without its value (OPT, getopt_long's optopt). */
static int cli_missing(struct cli_state *s, int opt)
{
	switch (opt) {
	case OPT_STATUS:
		FAIL(s->error, "--status needs a SESSION");
	case OPT_WARN:
		FAIL(s->error, "--warn '': expected whole seconds from 0 to %d", LO_WARN_MAX);
	case OPT_MESSAGE:
		FAIL(s->error, "--message needs a TEXT");
	case OPT_SERVER:
		FAIL(s->error, "--server needs a HOST");
	case OPT_CONFIG:
		FAIL(s->error, "--config '': expected an absolute path");
	case OPT_USER:
		FAIL(s->error, "--user needs a NAME");
	default: /* OPT_ABANDON */
		FAIL(s->error, "--abandon needs a PROVIDER: logoff --gc --abandon PROVIDER SESSION");
	}
}

/* What getopt_long returned, C, for the word ARG. */
static int cli_option(struct cli_state *s, int c, const char *arg)
{
	bool is_long = strncmp(arg, "--", 2) == 0;

	if (c == 1)
		return cli_word(s, optarg, false);
	if (is_long && (c == '?' || !long_option_whole(arg)))
		FAIL(s->error, "unknown option '%s'", arg);
	switch (c) {
	case '?':
		FAIL(s->error, "unknown option '-%c'", optopt);
	case ':':
		return cli_missing(s, optopt);
	case 'v':
		s->o->verbose = true;
		return 0;
	case 'l':
		cli_mode(s, LO_CLI_LIST);
		return 0;
	case 'h':
		cli_mode(s, LO_CLI_HELP);
		return 0;
	case OPT_GC:
		cli_mode(s, LO_CLI_GC);
		return 0;
	case OPT_VERSION:
		cli_mode(s, LO_CLI_VERSION);
		return 0;
	case OPT_LIMITS:
		cli_mode(s, LO_CLI_LIMITS);
		return 0;
	case OPT_CHECK_CONFIG:
		cli_mode(s, LO_CLI_CHECK_CONFIG);
		if (optarg && optarg[0] != '/')
			FAIL(s->error, "--check-config '%.80s': expected an absolute path", optarg);
		s->o->check_file = optarg;
		return 0;
	case OPT_JSON:
		s->o->json = true;
		return 0;
	case OPT_FORCE:
		s->o->force = true;
		return 0;
	case OPT_QUERY:
		cli_mode(s, LO_CLI_QUERY);
		return 0;
	case OPT_DISCONNECT:
		cli_mode(s, LO_CLI_DISCONNECT);
		return 0;
	default:
		return cli_value(s, c, optarg);
	}
}

/* The SESSION and --server HOST given, each valid. */
static int cli_check_values(const struct cli_state *s)
{
	struct lo_cli_opts *o = s->o;

	/* `logoff --check-config FILE`: the word is the FILE, not a session. */
	if (o->mode == LO_CLI_CHECK_CONFIG && o->session) {
		if (o->check_file)
			FAIL(s->error, "--check-config takes one FILE ('%.80s' and '%.80s')",
			     o->check_file, o->session);
		if (o->session[0] != '/')
			FAIL(s->error, "--check-config '%.80s': expected an absolute path",
			     o->session);
		o->check_file = o->session;
		o->session = NULL;
	}
	if (o->mode == LO_CLI_CHECK_CONFIG && !o->check_file)
		o->check_file = o->config;
	if (o->session && o->mode == LO_CLI_QUERY) {
		const char *why = lo_cli_query_arg_invalid(o->session);
		if (why) {
			char shown[LO_NAME_MAX + 1];
			lo_text_safe(shown, sizeof(shown), o->session);
			FAIL(s->error, "--query '%s': %s", shown, why);
		}
	} else if (o->session) {
		const char *why = lo_cli_session_invalid(o->session, strlen(o->session));
		if (why)
			FAIL(s->error, "session '%.80s': %s", o->session, why);
	}
	if (o->server && !(lo_cli_server_is_nodeset(o->server) ?
			   lo_cli_nodeset_valid(o->server) : lo_cli_host_valid(o->server)))
		FAIL(s->error, "--server '%.80s': not a host name or node set", o->server);
	if (o->server && s->config_given)
		FAIL(s->error, "--config names a local file; it does not go with --server");
	return 0;
}

/* The options that go only with a mode, or only with each other. */
static int cli_check_modes(const struct cli_state *s)
{
	const struct lo_cli_opts *o = s->o;

	if (o->json && o->mode != LO_CLI_LIST && o->mode != LO_CLI_STATUS &&
	    o->mode != LO_CLI_QUERY)
		FAIL(s->error, "--json goes with --list, --status or --query");
	if (o->abandon && o->mode != LO_CLI_GC)
		FAIL(s->error, "--abandon goes with --gc: logoff --gc --abandon PROVIDER SESSION");
	if (o->abandon && !o->session)
		FAIL(s->error, "--gc --abandon %s needs a SESSION", o->abandon);
	if ((o->mode == LO_CLI_LIST || o->mode == LO_CLI_LIMITS ||
	     (o->mode == LO_CLI_GC && !o->abandon)) && o->session)
		FAIL(s->error, "--list, --gc and --limits take no SESSION ('%s')", o->session);
	if (o->mode == LO_CLI_DISCONNECT && !o->session)
		FAIL(s->error, "--disconnect needs a SESSION (Windows' tsdiscon SESSION)");
	if (o->mode == LO_CLI_CHECK_CONFIG && o->server)
		FAIL(s->error, "--check-config checks a local file; it does not go with --server");
	if (o->message && !o->warn)
		FAIL(s->error, "--message goes with --warn");
	if (o->user && (o->mode != LO_CLI_LOGOFF || o->session))
		FAIL(s->error, "--user NAME logs off every session of NAME: no SESSION, --list, "
		     "--status or --gc with it");
	if ((o->warn || o->force) && o->mode != LO_CLI_LOGOFF)
		FAIL(s->error, "--warn and --force go with a logoff, not --list, --status or --gc");
	return 0;
}

int lo_cli_parse(int argc, char *const *argv, struct lo_cli_opts *o, char **ret_error)
{
	struct cli_state s = { .o = o, .error = ret_error };
	int c, r;

	memset(o, 0, sizeof(*o));
	o->config = LO_CONFIG_PATH;
	*ret_error = NULL;
	optind = 0;	/* getopt_long starts afresh at argv[1] */
	for (;;) {
		/* The word getopt_long is at: a long option is always a word
		 * of its own, a short one may be one of a group ("-lv"). */
		int at = optind > 0 ? optind : 1;

		c = getopt_long(argc, argv, short_options, long_options, NULL);
		if (c == -1)
			break;
		if ((r = cli_option(&s, c, argv[at])) < 0)
			return r;
	}
	/* After "--" every word is a SESSION, "/v" too. */
	for (int i = optind; i < argc; i++)
		if ((r = cli_word(&s, argv[i], true)) < 0)
			return r;
	if (s.mode_count > 1)
		FAIL(ret_error, "--list, --status, --query, --disconnect, --gc, --limits, "
		     "--check-config, --help and --version exclude each other");
	if (o->mode == LO_CLI_HELP || o->mode == LO_CLI_VERSION)
		return 0;
	if ((r = cli_check_values(&s)) < 0)
		return r;
	return cli_check_modes(&s);
}

int lo_cli_may_logoff(uid_t caller, const struct lo_record *rec, const char *protected,
		      bool force)
{
	const char *tty = rec->tty ? rec->tty : "";

	if (caller != 0 && caller != rec->uid)
		return LO_EXIT_DENIED;
	if (strncmp(tty, "/dev/", 5) == 0)
		tty += 5;
	if (protected && ((*tty && lo_list_contains(protected, tty)) ||
			  (rec->name && lo_list_contains(protected, rec->name))))
		return force && caller == 0 ? LO_EXIT_OK : LO_EXIT_PROTECTED;
	return LO_EXIT_OK;
}

int lo_cli_tty_path(unsigned tty_nr, char *buf, size_t size)
{
	unsigned major = (tty_nr >> 8) & 0xfff;
	unsigned minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);

	if (major >= 136 && major <= 143)
		snprintf(buf, size, "/dev/pts/%u", minor + (major - 136) * 256);
	else if (major == 4 && minor < 64)
		snprintf(buf, size, "/dev/tty%u", minor);
	else if (major == 4 && minor < 256)
		snprintf(buf, size, "/dev/ttyS%u", minor - 64);
	else
		return -ENOENT;
	return 0;
}

size_t lo_cli_sanitize(const char *text, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t n = 0;

	if (size == 0)
		return 0;
	while (*p && n + 5 < size) {
		size_t u;

		if (*p == '\n') {
			buf[n++] = '\r';
			buf[n++] = '\n';
			p++;
		} else if (*p == '\t') {
			buf[n++] = (char)*p++;
		} else if ((u = lo_text_char((const char *)p)) > 0) {
			memcpy(buf + n, p, u);
			n += u;
			p += u;
		} else {
			buf[n++] = '?';
			p++;
		}
	}
	buf[n] = '\0';
	return n;
}

char *lo_cli_shell_quote(const char *arg)
{
	size_t len = 2;
	char *q, *w;

	for (const char *p = arg; *p; p++)
		len += *p == '\'' ? 4 : 1;
	q = malloc(len + 1);
	if (!q)
		return NULL;
	w = q;
	*w++ = '\'';
	for (const char *p = arg; *p; p++) {
		if (*p == '\'') {
			memcpy(w, "'\\''", 4);
			w += 4;
		} else {
			*w++ = *p;
		}
	}
	*w++ = '\'';
	*w = '\0';
	return q;
}

int lo_cli_remote_args(const struct lo_cli_opts *o, char ***ret_argv, size_t *ret_n)
{
	const char *words[14];
	char warn[16], **v;
	size_t n = 0;

	if (o->mode == LO_CLI_LIST)
		words[n++] = "--list";
	else if (o->mode == LO_CLI_GC)
		words[n++] = "--gc";
	else if (o->mode == LO_CLI_STATUS) {
		/* Its SESSION right after it: "--status --json" would make
		 * "--json" the session. */
		words[n++] = "--status";
		words[n++] = o->session;
	} else if (o->mode == LO_CLI_QUERY) {
		words[n++] = "--query";
	} else if (o->mode == LO_CLI_DISCONNECT) {
		words[n++] = "--disconnect";
	}
	if (o->verbose)
		words[n++] = "-v";
	if (o->json)
		words[n++] = "--json";
	if (o->force)
		words[n++] = "--force";
	if (o->warn) {
		snprintf(warn, sizeof(warn), "%u", o->warn_seconds);
		words[n++] = "--warn";
		words[n++] = warn;
	}
	if (o->user) {
		words[n++] = "--user";
		words[n++] = o->user;
	}
	if (o->message) {
		words[n++] = "--message";
		words[n++] = o->message;
	}
	if (o->session && o->mode != LO_CLI_STATUS) {
		words[n++] = "--";
		words[n++] = o->session;
	}
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		v[i] = lo_cli_shell_quote(words[i]);
		if (!v[i]) {
			lo_strv_free(v, i);
			return -ENOMEM;
		}
	}
	*ret_argv = v;
	*ret_n = n;
	return 0;
}

unsigned lo_cli_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[LO_NAME_MAX + 2];

	if (la > LO_NAME_MAX || lb > LO_NAME_MAX)
		return 100;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb] > 100 ? 100 : row[lb];
}

bool lo_cli_close_match(const char *wanted, const char *candidate)
{
	return lo_cli_distance(wanted, candidate) <= 2 ||
	       (strlen(wanted) >= 2 && strstr(candidate, wanted)) ||
	       (strlen(candidate) >= 2 && strstr(wanted, candidate));
}

bool lo_cli_display_local(const char *display)
{
	const char *p;

	if (!display || display[0] != ':' || !display[1])
		return false;
	p = display + 1 + strspn(display + 1, "0123456789");
	if (p == display + 1 || p - display > 8)
		return false;
	if (*p == '.')
		p++, p += strspn(p, "0123456789");
	return *p == '\0' && p[-1] != '.';
}

const char *lo_cli_query_arg_invalid(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (len == 0)
		return "empty";
	if (!lo_cli_session_invalid(s, len))
		return NULL;
	if (len > LO_NAME_MAX)
		return "longer than 64 bytes";
	if (s[0] == '-')
		return "starts with '-'";
	for (const char *p = s; *p;) {
		size_t u = lo_text_char(p);
		if (u == 0)
			return "contains a control character or invalid UTF-8";
		if (*p == ' ')
			return "contains a space";
		p += u;
	}
	return NULL;
}

void lo_cli_quser_idle(long idle, char *buf, size_t size)
{
	if (idle < 0)
		snprintf(buf, size, "-");
	else if (idle < 60)
		snprintf(buf, size, ".");
	else if (idle < 3600)
		snprintf(buf, size, "%ld", idle / 60);
	else if (idle < 86400)
		snprintf(buf, size, "%ld:%02ld", idle / 3600, idle / 60 % 60);
	else
		snprintf(buf, size, "%ld+%02ld:%02ld", idle / 86400, idle / 3600 % 24,
			 idle / 60 % 60);
}

const char *lo_cli_quser_state(const char *view, bool disconnected, bool lower)
{
	if (strcmp(view, "closing") == 0)
		return lower ? "closing" : "Closing";
	if (strcmp(view, "stale") == 0 || strcmp(view, "failed") == 0)
		return lower ? "stale" : "Stale";
	if (disconnected)
		return lower ? "disc" : "Disc";
	return lower ? "active" : "Active";
}
