/*
 * logoff-helper - the provider chain out of the login manager's process.
 * Three programs in one binary, chosen by the options:
 *
 *   logoff-helper --session ID [--uid UID] [--abandon NAME] [--config PATH]
 *                 [--debug] [--prefix-priority]
 *     Log session ID off: lo_logoff_run, the body the in-process path and
 *     the forked closer run too. lo_logoff_session (src/core/logoff.c)
 *     starts it when [logoff] providers names a plugin (only this program
 *     loads plugins) and for `logoff SESSION` of a plugin session, under
 *     the [logoff] timeout, killing its process group at the deadline.
 *     --uid: refuse a record of another uid. --abandon NAME (root only):
 *     provider NAME is abandoned at once (what it tracks is dropped from
 *     the record unreleased, named in a LOG_CRIT line) and the others log
 *     off, as the sweep does after [logoff] retries timed-out logoffs.
 *     --prefix-priority: each log line as "<N>message" on stderr, which
 *     the caller hands to syslog at priority N.
 *
 *   logoff-helper --session ID --provider NAME [--logon] [--rollback]
 *     One plugin provider's logon (--logon) or logoff (--rollback: the
 *     logoff of a failed logon), record written: what pam_logoff.so runs
 *     per plugin provider. The PAM environment comes in as
 *     LOGOFF_PAMENV_NAME=VALUE; changes go to stdout as "\x1e=NAME=VALUE"
 *     (or "\x1e=NAME" to remove), the provider's result as "\x1e!N" (0 or
 *     a negative errno).
 *
 *   logoff-helper --gc [--config PATH] [--debug] [--syslog]
 *     The sweep (root only): every stale, failed or timed-out session,
 *     each logged off by this program's --session under the timeout. What
 *     open_session starts, detached, once per [logoff] gc_interval, and
 *     what `logoff --gc` runs. --syslog: log to syslog (authpriv).
 *
 * Plugins named in [logoff] providers load from [logoff] plugin_dir (see
 * plugins.h); each plugin's logon and logoff runs in a forked child, so
 * one that crashes leaves the others to log off.
 *
 * Exit status, enum lo_helper_exit (src/core/logoff.h), which
 * lo_logoff_session maps back to an outcome: 0 everything released and
 * the record deleted; 1 something not released (record kept, failed); 2
 * usage, config or registry error, or a record refused as unsafe or
 * corrupt; 3 no such session; 4 the record is another uid's than --uid;
 * 5 another live process is logging the session off. --gc: 0 every stale
 * session logged off, 1 some not, 2 an error.
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

#include "core/util.h"
#include "core/conf.h"
#include "core/registry.h"
#include "core/spawn.h"
#include "core/chain.h"
#include "core/logoff.h"
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

/* "<N>message": the priority travels with the line so pam_logoff can
 * hand it to pam_syslog unchanged. */
static void log_prefixed(void *ctx, int priority, const char *msg)
{
	fprintf(stderr, "<%d>%s\n", priority, msg);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: logoff-helper --session ID [--uid UID] [--config PATH] [--debug] [--prefix-priority]\n"
		   "       logoff-helper --session ID --abandon PROVIDER [--config PATH] [--debug]\n"
		   "       logoff-helper --session ID --provider NAME [--logon] [--rollback] [--config PATH]\n"
		   "       logoff-helper --gc [--config PATH] [--debug] [--syslog]\n");
}

/* What the command line asks for: one of three programs. */
struct args {
	enum { RUN_SESSION, RUN_PROVIDER, RUN_GC } run;
	const char *id;			/* --session */
	const char *config_path;	/* --config */
	const char *provider;		/* --provider */
	const char *abandon;		/* --abandon */
	bool logon, rollback;		/* --logon, --rollback */
};

/* Parse ARGV into ARGS and CTX's log and uid check. Returns true to go
 * on; false to exit at once with *RET_EXIT (LO_HELPER_DONE after --help,
 * LO_HELPER_ERROR after a usage error, both printed). */
static bool parse_args(int argc, char **argv, struct args *args, struct lo_ctx *ctx,
		       int *ret_exit)
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
	bool gc = false;
	char *end;
	unsigned long u;
	int c;

	while ((c = getopt_long(argc, argv, "s:c:u:dpgSP:LRA:h", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			errno = 0;
			u = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || u >= UINT32_MAX) {
				lo_log(&ctx->log, LOG_ERR, "--uid '%s': not a uid", optarg);
				goto error;
			}
			ctx->check_uid = true;
			ctx->expect_uid = (uid_t)u;
			break;
		case 's': args->id = optarg; break;
		case 'c': args->config_path = optarg; break;
		case 'd': ctx->log.debug = true; break;
		case 'p': ctx->log.fn = log_prefixed; break;
		case 'g': gc = true; break;
		case 'S':
			openlog("logoff-helper", LOG_PID, LOG_AUTHPRIV);
			ctx->log.fn = log_syslog;
			break;
		case 'P': args->provider = optarg; break;
		case 'L': args->logon = true; break;
		case 'R': args->rollback = true; break;
		case 'A': args->abandon = optarg; break;
		case 'h':
			usage(stdout);
			*ret_exit = LO_HELPER_DONE;
			return false;
		default:
			usage(stderr);
			goto error;
		}
	}
	args->run = gc ? RUN_GC : args->provider ? RUN_PROVIDER : RUN_SESSION;
	if (!args->id == !gc || (gc && ctx->check_uid) || optind != argc ||
	    ((args->logon || args->rollback) && !args->provider) ||
	    (args->provider && (gc || !lo_plugin_name_valid(args->provider))) ||
	    (args->abandon && (gc || args->provider || !lo_plugin_name_valid(args->abandon)))) {
		usage(stderr);
		goto error;
	}
	if ((gc || args->abandon) && geteuid() != 0) {
		lo_log(&ctx->log, LOG_ERR, "--%s needs root", gc ? "gc" : "abandon");
		goto error;
	}
	if (!gc && !lo_id_valid(args->id)) {
		lo_log(&ctx->log, LOG_ERR, "--session '%s': not a valid session id", args->id);
		goto error;
	}
	return true;
error:
	*ret_exit = LO_HELPER_ERROR;
	return false;
}

/* --provider: one plugin provider's logon or logoff, for pam_logoff.so,
 * which runs this in the child it forked itself (so no other process can
 * be closing the session meanwhile). The result goes to stdout. */
static int run_provider(struct lo_ctx *ctx, const struct args *args)
{
	int result = -EIO, r;

	ctx->pam_getenv = args->logon ? pamenv_get : NULL;
	ctx->pam_putenv = args->logon ? pamenv_put : NULL;
	r = lo_chain_provider_call(ctx, args->id, args->provider, args->logon, args->rollback,
				   &result);
	printf("\x1e!%d\n", result);
	fflush(stdout);
	return r == -ENOENT ? LO_HELPER_NO_SESSION : r < 0 ? LO_HELPER_ERROR : LO_HELPER_DONE;
}

/* --gc: every stale or failed session, each logged off by this very
 * program (--session) under the [logoff] timeout. 0 all logged off, 1
 * some not, 2 an error. */
static int run_gc(struct lo_ctx *ctx, const struct args *args)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct lo_logoff_request proto = {
		.config = ctx->config, .config_path = args->config_path, .helper = self,
		.debug = ctx->log.debug, .log = &ctx->log,
		.line_fn = sweep_line, .line_ctx = &ctx->log,
	};
	unsigned swept = 0, failed = 0;
	int r;

	if (n <= 0) {
		lo_log(&ctx->log, LOG_ERR, "cannot find my own program: %m");
		return LO_HELPER_ERROR;
	}
	self[n] = '\0';
	r = lo_sweep(ctx, &proto, NULL, NULL, &swept, &failed);
	if (r < 0) {
		lo_log(&ctx->log, LOG_ERR, "%s: cannot list sessions: %s", ctx->registry->path,
		       strerror(-r));
		return LO_HELPER_ERROR;
	}
	lo_log(&ctx->log, swept || failed ? LOG_INFO : LOG_DEBUG,
	       "sweep: %u stale session%s logged off, %u not", swept, swept == 1 ? "" : "s",
	       failed);
	return failed ? LO_HELPER_PARTIAL : LO_HELPER_DONE;
}

/* The config, or the defaults when it broke after the session opened (a
 * session must still be logged off). Returns 0 or a negative errno. */
static int load_config(struct lo_ctx *ctx, const struct args *args, struct lo_config **ret)
{
	char *err = NULL;
	int r = lo_config_load(args->config_path, lo_builtin_providers, ret, &err);

	if (r >= 0)
		return 0;
	lo_log(&ctx->log, LOG_ERR, "%s; logging session %s off with the default settings",
	       err ? err : strerror(-r), args->id ? args->id : "(sweep)");
	free(err);
	return lo_config_defaults(lo_builtin_providers, ret);
}

int main(int argc, char **argv)
{
	struct args args = { .config_path = LO_CONFIG_PATH };
	struct lo_ctx ctx = { .log = { .fn = lo_log_stderr, .ctx = (void *)"logoff-helper" } };
	struct lo_config *config = NULL;
	struct lo_registry *registry = NULL;
	struct lo_provider_entry *table = NULL;
	char *err = NULL;
	int r, ret;

	if (!parse_args(argc, argv, &args, &ctx, &ret))
		return ret;
	if (args.run == RUN_GC)
		leave_audit_session();
	/* One pidfd per process being ended: use the whole hard limit. */
	lo_nofile_raise();
	ret = LO_HELPER_ERROR;
	if (load_config(&ctx, &args, &config) < 0)
		goto out;
	r = lo_registry_open(config->registry, 0, &registry, &err);
	if (r < 0) {
		/* No registry yet: nothing was ever opened. */
		lo_log(&ctx.log, r == -ENOENT ? LOG_DEBUG : LOG_ERR, "%s", err ? err : strerror(-r));
		if (r == -ENOENT)
			ret = args.run == RUN_GC ? LO_HELPER_DONE : LO_HELPER_NO_SESSION;
		goto out;
	}
	load_plugins(&ctx, args.config_path, &config, &table);
	ctx.config = config;
	ctx.registry = registry;
	ctx.privileged = geteuid() == 0;
	ctx.isolate_plugins = true;
	ctx.abandon = args.abandon;
	switch (args.run) {
	case RUN_PROVIDER:
		ret = run_provider(&ctx, &args);
		break;
	case RUN_GC:
		ret = run_gc(&ctx, &args);
		break;
	case RUN_SESSION:
		ret = lo_helper_exit_of(lo_logoff_run(&ctx, args.id, 0));
		break;
	}
out:
	free(err);
	lo_registry_close(registry);
	lo_config_free(config);
	if (table)
		lo_plugins_free(table);
	return ret;
}
