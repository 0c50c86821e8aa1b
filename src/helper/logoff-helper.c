/*
 * logoff-helper - log one session off through the provider chain, out of
 * the login manager's process.
 *
 *   logoff-helper --session ID [--uid UID] [--config PATH] [--debug] [--prefix-priority]
 *   logoff-helper --gc [--config PATH] [--debug] [--syslog]
 *   logoff-helper --session ID --provider NAME [--logon] [--rollback] ...
 *   logoff-helper --session ID --abandon NAME [--config PATH] [--debug]
 *
 * --uid: refuse (exit 4) a session whose record belongs to another uid.
 * --gc: log off every stale or failed session, each in a child
 *   logoff-helper --session under the [logoff] timeout (what open_session
 *   starts, detached, once per [logoff] gc_interval).
 * --abandon NAME: root only; provider NAME of the session is abandoned at
 *   once (what it tracks is dropped from the record unreleased and named
 *   in a LOG_CRIT line) and the others are logged off: what the sweep does
 *   after [logoff] retries timed-out logoffs (`logoff --gc --abandon`).
 * --syslog: log to syslog (auth facility) instead of stderr.
 * --provider NAME: call only that provider's logon (--logon) or logoff
 *   (the logoff of a rollback with --rollback) and write the record: what
 *   pam_logoff.so runs for a plugin provider, since only this program
 *   loads plugins. The PAM environment comes in this program's
 *   environment as LOGOFF_PAMENV_NAME=VALUE; changes go to stdout as
 *   "\x1e=NAME=VALUE" (or "\x1e=NAME" to remove it), and the provider's
 *   result as "\x1e!N" (0 or a negative errno).
 *
 * Plugin providers named in [logoff] providers are loaded from [logoff]
 * plugin_dir (see plugins.h) and each plugin's logon and logoff runs in a
 * forked child, so one that crashes leaves the others to log off.
 *
 * pam_sm_close_session runs it (fork + exec, sanitized fds and
 * environment) under the [logoff] timeout deadline and kills its process
 * group when the deadline passes, so a release that blocks never holds
 * the login manager. It reads everything from the session record.
 *
 * Exit status: 0 everything released and the record deleted; 1 something
 * could not be released (record kept, state failed); 2 usage, config or
 * registry error (including a record refused as unsafe or corrupt); 3 no
 * such session; 4 the session belongs to another uid than --uid; 5 another
 * live process is logging the session off (close_session and logoff(1) at
 * once): it is left to that one. With --gc: 0 every stale session was
 * logged off, 1 some were not, 2 an error.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "core/core.h"
#include "providers/providers.h"
#include "helper/plugins.h"

#define PAMENV_PREFIX "LOGOFF_PAMENV_"

/* The module's PAM environment, handed over in ours. */
static const char *pamenv_get(void *pamh, const char *name)
{
	char var[256];

	if (snprintf(var, sizeof(var), PAMENV_PREFIX "%s", name) >= (int)sizeof(var))
		return NULL;
	return getenv(var);
}

static int pamenv_put(void *pamh, const char *name, const char *value)
{
	char var[256];

	/* A name as PAM takes it, a value on one line: the change travels
	 * to pam_logoff.so as one line. */
	/* pam_logoff.so takes names of up to 127 bytes. */
	if (!name[0] || strlen(name) > 127 || (!isalpha((unsigned char)name[0]) && name[0] != '_'))
		return -EINVAL;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return -EINVAL;
	if (value && strpbrk(value, "\n\r"))
		return -EINVAL;
	/* The line must reach pam_logoff.so whole (its reader splits lines
	 * at 1023 bytes). */
	if (strlen(name) + (value ? strlen(value) : 0) + 4 > LO_PROTOCOL_LINE_MAX)
		return -E2BIG;
	if (snprintf(var, sizeof(var), PAMENV_PREFIX "%s", name) >= (int)sizeof(var))
		return -EINVAL;
	if (value ? setenv(var, value, 1) : unsetenv(var))
		return -errno;
	/* RS first: a line a plugin prints by itself is never taken for one. */
	if (value)
		printf("\x1e=%s=%s\n", name, value);
	else
		printf("\x1e=%s\n", name);
	fflush(stdout);
	return 0;
}

/* Load the plugins the config names, then the config again, checked
 * against their keys too. On failure the plugins are left out: their
 * logoff fails, the core still releases what they tracked, and every
 * other provider logs off. */
static void load_plugins(struct lo_ctx *ctx, const char *config_path, struct lo_config **config,
			 struct lo_provider_entry **table)
{
	struct lo_config *strict = NULL;
	char *err = NULL;
	bool any = false;

	for (size_t i = 0; i < (*config)->n_providers; i++)
		any |= !lo_provider_find(lo_builtin_providers, (*config)->providers[i]);
	if (!any)
		return;
	if (lo_plugins_load(*config, table, &err) < 0) {
		lo_log(&ctx->log, LOG_ERR, "%s; plugin providers not loaded", err ? err : "");
		free(err);
		return;
	}
	if (lo_config_load(config_path, *table, &strict, &err) < 0) {
		/* A plugin's section is wrong: leave the plugins out rather
		 * than run them on a config they did not accept. */
		lo_log(&ctx->log, LOG_ERR, "%s; plugin providers not loaded",
		       err ? err : "config refused with the plugins' keys");
		free(err);
		lo_plugins_free(*table);
		*table = NULL;
		return;
	}
	lo_config_free(*config);
	*config = strict;
}

static void log_syslog(void *ctx, int priority, const char *msg)
{
	syslog(priority, "%s", msg);
}

/* The sweep's helpers write "<N>message"; pass them on. */
static void sweep_line(void *ctx, const char *line)
{
	const struct lo_log *log = ctx;
	int priority = lo_priority_prefix(&line);

	lo_log(log, priority < 0 ? LOG_ERR : priority, "%s", line);
}

/* Leave the audit session this process inherited (a sweep started from
 * open_session would otherwise count as part of that login), when the
 * kernel lets root do so. Best effort. */
static void leave_audit_session(void)
{
	int fd = open("/proc/self/loginuid", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, "4294967295", 10) < 0) {
			/* loginuid_immutable, or not root: stay. */
		}
		close(fd);
	}
}

static int run_gc(struct lo_ctx *ctx, const char *config_path, const char *self)
{
	struct lo_logoff_request proto = {
		.config = ctx->config, .config_path = config_path, .helper = self,
		.debug = ctx->log.debug, .log = &ctx->log,
		.line_fn = sweep_line, .line_ctx = &ctx->log,
	};
	unsigned swept = 0, failed = 0;
	int r;

	r = lo_sweep(ctx, &proto, NULL, NULL, &swept, &failed);
	if (r < 0) {
		lo_log(&ctx->log, LOG_ERR, "%s: cannot list sessions: %s", ctx->registry->path,
		       strerror(-r));
		return 2;
	}
	lo_log(&ctx->log, swept || failed ? LOG_INFO : LOG_DEBUG,
	       "sweep: %u stale session%s logged off, %u not", swept, swept == 1 ? "" : "s",
	       failed);
	return failed ? 1 : 0;
}

/* "<N>message": the priority travels with the line so pam_logoff can
 * hand it to pam_syslog unchanged. */
static void log_prefixed(void *ctx, int priority, const char *msg)
{
	fprintf(stderr, "<%d>%s\n", priority, msg);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: logoff-helper --session ID [--uid UID] [--config PATH] [--debug]\n"
		   "       logoff-helper --gc [--config PATH] [--debug] [--syslog]\n"
		   "       logoff-helper --session ID --abandon PROVIDER [--config PATH] [--debug]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "session", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "uid", required_argument, NULL, 'u' },
		{ "debug", no_argument, NULL, 'd' },
		{ "prefix-priority", no_argument, NULL, 'p' },
		{ "gc", no_argument, NULL, 'g' },
		{ "syslog", no_argument, NULL, 'S' },
		{ "provider", required_argument, NULL, 'P' },
		{ "logon", no_argument, NULL, 'L' },
		{ "rollback", no_argument, NULL, 'R' },
		{ "abandon", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *id = NULL, *config_path = LO_CONFIG_PATH;
	struct lo_config *config = NULL;
	struct lo_registry *registry = NULL;
	struct lo_ctx ctx = { .log = { .fn = lo_log_stderr, .ctx = (void *)"logoff-helper" } };
	char *err = NULL;
	int c, r, ret = 2;
	bool gc = false, logon = false, rollback = false;
	const char *provider = NULL, *abandon = NULL;
	struct lo_provider_entry *table = NULL;

	while ((c = getopt_long(argc, argv, "s:c:u:dpgSP:LRA:h", opts, NULL)) != -1) {
		char *end;
		unsigned long u;

		switch (c) {
		case 'u':
			errno = 0;
			u = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || u >= UINT32_MAX) {
				lo_log(&ctx.log, LOG_ERR, "--uid '%s': not a uid", optarg);
				return 2;
			}
			ctx.check_uid = true;
			ctx.expect_uid = (uid_t)u;
			break;
		case 's':
			id = optarg;
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'd':
			ctx.log.debug = true;
			break;
		case 'p':
			ctx.log.fn = log_prefixed;
			break;
		case 'g':
			gc = true;
			break;
		case 'S':
			openlog("logoff-helper", LOG_PID, LOG_AUTHPRIV);
			ctx.log.fn = log_syslog;
			break;
		case 'P':
			provider = optarg;
			break;
		case 'L':
			logon = true;
			break;
		case 'R':
			rollback = true;
			break;
		case 'A':
			abandon = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if ((!id && !gc) || (id && gc) || (gc && ctx.check_uid) || optind != argc ||
	    ((logon || rollback) && !provider) || (provider && (gc || !lo_plugin_name_valid(provider))) ||
	    (abandon && (gc || provider || !lo_plugin_name_valid(abandon)))) {
		usage(stderr);
		return 2;
	}
	if (abandon && geteuid() != 0) {
		lo_log(&ctx.log, LOG_ERR, "--abandon needs root");
		return 2;
	}
	if (gc) {
		if (geteuid() != 0) {
			lo_log(&ctx.log, LOG_ERR, "--gc needs root");
			return 2;
		}
		leave_audit_session();
	} else if (!lo_id_valid(id)) {
		lo_log(&ctx.log, LOG_ERR, "--session '%s': not a valid session id", id);
		return 2;
	}
	lo_nofile_raise();

	r = lo_config_load(config_path, lo_builtin_providers, &config, &err);
	if (r < 0) {
		/* A session must still be logged off when the config broke
		 * after it was opened: go on with the defaults. */
		lo_log(&ctx.log, LOG_ERR, "%s; logging session %s off with the default settings",
		       err ? err : strerror(-r), id ? id : "(sweep)");
		free(err);
		err = NULL;
		if (lo_config_defaults(lo_builtin_providers, &config) < 0)
			goto out;
	}
	r = lo_registry_open(config->registry, 0, &registry, &err);
	if (r < 0) {
		lo_log(&ctx.log, r == -ENOENT ? LOG_DEBUG : LOG_ERR, "%s",
		       err ? err : strerror(-r));
		ret = r == -ENOENT ? (gc ? 0 : 3) : 2;
		goto out;
	}
	load_plugins(&ctx, config_path, &config, &table);
	ctx.config = config;
	ctx.registry = registry;
	ctx.privileged = geteuid() == 0;
	ctx.isolate_plugins = true;
	ctx.abandon = abandon;
	if (provider) {
		int result = -EIO;

		ctx.pam_getenv = logon ? pamenv_get : NULL;
		ctx.pam_putenv = logon ? pamenv_put : NULL;
		/* The module runs this in the child it forked itself: no other
		 * process can be closing the session meanwhile. */
		r = lo_chain_provider_call(&ctx, id, provider, logon, rollback, &result);
		printf("\x1e!%d\n", result);
		fflush(stdout);
		ret = r == -ENOENT ? 3 : r < 0 ? 2 : 0;
		goto out;
	}
	if (gc) {
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		/* The sweep runs this very program per session. */
		if (n <= 0) {
			lo_log(&ctx.log, LOG_ERR, "cannot find my own program: %m");
			goto out;
		}
		self[n] = '\0';
		ret = run_gc(&ctx, config_path, self);
		goto out;
	}

	ret = lo_helper_exit_of(lo_logoff_run(&ctx, id, 0));
out:
	free(err);
	lo_registry_close(registry);
	lo_config_free(config);
	if (table)
		lo_plugins_free(table);
	return ret;
}
