/*
 * cli.c - argument parsing and the rules of logoff(1); see cli.h.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
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

/* "--name=value" or "--name value": the value, advancing *I; NULL when
 * ARG is not NAME. *MISSING is set when NAME has no value. */
static const char *opt_value(int argc, char *const *argv, int *i, const char *name,
			     bool *matched, bool *missing)
{
	const char *arg = argv[*i];
	size_t n = strlen(name);

	*matched = false;
	if (strncmp(arg, name, n) != 0)
		return NULL;
	if (arg[n] == '=') {
		*matched = true;
		return arg + n + 1;
	}
	if (arg[n] != '\0')
		return NULL;
	*matched = true;
	if (*i + 1 >= argc || !argv[*i + 1]) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

int lo_cli_parse(int argc, char *const *argv, struct lo_cli_opts *o, char **ret_error)
{
	bool modes = false, only_args = false, config_given = false;
	int mode_count = 0;

	memset(o, 0, sizeof(*o));
	o->config = LO_CONFIG_PATH;
	*ret_error = NULL;
#define FAIL(...)                                         \
	do {                                              \
		*ret_error = lo_strdupf(__VA_ARGS__);      \
		return -EINVAL;                           \
	} while (0)

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		bool matched = false, missing = false;

		if (only_args || a[0] != '-' || a[1] == '\0') {
			if (!only_args && strcasecmp(a, "/v") == 0) {
				o->verbose = true;
				continue;
			}
			if (!only_args && strncasecmp(a, "/server:", 8) == 0) {
				o->server = a + 8;
				continue;
			}
			if (o->session)
				FAIL("more than one session given: '%s' and '%s'", o->session, a);
			o->session = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_args = true;
			continue;
		}
		if (a[1] != '-') {
			/* Short options, which may be grouped: -lv. */
			for (const char *p = a + 1; *p; p++) {
				if (*p == 'v')
					o->verbose = true;
				else if (*p == 'l')
					o->mode = LO_CLI_LIST, mode_count++;
				else if (*p == 'h')
					o->mode = LO_CLI_HELP, mode_count++;
				else
					FAIL("unknown option '-%c'", *p);
			}
			continue;
		}
		if (strcmp(a, "--verbose") == 0) {
			o->verbose = true;
		} else if (strcmp(a, "--list") == 0) {
			o->mode = LO_CLI_LIST, mode_count++;
		} else if (strcmp(a, "--gc") == 0) {
			o->mode = LO_CLI_GC, mode_count++;
		} else if (strcmp(a, "--help") == 0) {
			o->mode = LO_CLI_HELP, mode_count++;
		} else if (strcmp(a, "--version") == 0) {
			o->mode = LO_CLI_VERSION, mode_count++;
		} else if (strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (strcmp(a, "--force") == 0) {
			o->force = true;
		} else if ((v = opt_value(argc, argv, &i, "--status", &matched, &missing)) ||
			   matched) {
			if (missing)
				FAIL("--status needs a SESSION");
			if (o->session)
				FAIL("more than one session given: '%s' and '%s'", o->session, v);
			o->mode = LO_CLI_STATUS, mode_count++;
			o->session = v;
		} else if ((v = opt_value(argc, argv, &i, "--warn", &matched, &missing)) || matched) {
			if (missing || parse_warn(v, &o->warn_seconds) < 0)
				FAIL("--warn '%s': expected whole seconds from 0 to %d", v ? v : "",
				     LO_WARN_MAX);
			o->warn = true;
		} else if ((v = opt_value(argc, argv, &i, "--message", &matched, &missing)) ||
			   matched) {
			if (missing)
				FAIL("--message needs a TEXT");
			if (strlen(v) > LO_MESSAGE_MAX)
				FAIL("--message: longer than %d bytes", LO_MESSAGE_MAX);
			o->message = v;
		} else if ((v = opt_value(argc, argv, &i, "--server", &matched, &missing)) ||
			   matched) {
			if (missing)
				FAIL("--server needs a HOST");
			o->server = v;
		} else if ((v = opt_value(argc, argv, &i, "--config", &matched, &missing)) ||
			   matched) {
			if (missing || v[0] != '/')
				FAIL("--config '%s': expected an absolute path", v ? v : "");
			o->config = v;
			config_given = true;
		} else if ((v = opt_value(argc, argv, &i, "--abandon", &matched, &missing)) ||
			   matched) {
			if (missing)
				FAIL("--abandon needs a PROVIDER: logoff --gc --abandon PROVIDER SESSION");
			if (!lo_plugin_name_valid(v))
				FAIL("--abandon '%.80s': not a provider name", v);
			o->abandon = v;
		} else {
			FAIL("unknown option '%s'", a);
		}
	}
	modes = mode_count > 1;
	if (modes)
		FAIL("--list, --status, --gc, --help and --version exclude each other");
	if (o->mode == LO_CLI_HELP || o->mode == LO_CLI_VERSION)
		return 0;
	if (o->session) {
		const char *why = lo_cli_session_invalid(o->session, strlen(o->session));
		if (why)
			FAIL("session '%.80s': %s", o->session, why);
	}
	if (o->server && !lo_cli_host_valid(o->server))
		FAIL("--server '%.80s': not a host name", o->server);
	if (o->server && config_given)
		FAIL("--config names a local file; it does not go with --server");
	if (o->json && o->mode != LO_CLI_LIST && o->mode != LO_CLI_STATUS)
		FAIL("--json goes with --list or --status");
	if (o->abandon && o->mode != LO_CLI_GC)
		FAIL("--abandon goes with --gc: logoff --gc --abandon PROVIDER SESSION");
	if (o->abandon && !o->session)
		FAIL("--gc --abandon %s needs a SESSION", o->abandon);
	if ((o->mode == LO_CLI_LIST || (o->mode == LO_CLI_GC && !o->abandon)) && o->session)
		FAIL("--list and --gc take no SESSION ('%s')", o->session);
	if (o->message && !o->warn)
		FAIL("--message goes with --warn");
	if ((o->warn || o->force) && o->mode != LO_CLI_LOGOFF)
		FAIL("--warn and --force go with a logoff, not --list, --status or --gc");
	return 0;
#undef FAIL
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
	const char *words[12];
	char warn[16], **v;
	size_t n = 0;

	if (o->mode == LO_CLI_LIST)
		words[n++] = "--list";
	else if (o->mode == LO_CLI_GC)
		words[n++] = "--gc";
	else if (o->mode == LO_CLI_STATUS)
		words[n++] = "--status";
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
	if (o->message) {
		words[n++] = "--message";
		words[n++] = o->message;
	}
	if (o->session) {
		if (o->mode != LO_CLI_STATUS)
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
