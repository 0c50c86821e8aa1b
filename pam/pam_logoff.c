/*
 * pam_logoff.c - the PAM session module: thin entry points over the
 * provider-chain core.
 *
 *   session optional pam_logoff.so [debug] [quiet] [config=PATH] [helper=PATH]
 *                                  [providers=LIST]
 *
 * open_session logs the session's providers on in this process (they are
 * built in, short, and some must act here: pam_putenv). close_session runs
 * the logoff chain in a forked child of this process (logoff-helper when
 * a plugin provider is configured) under the [logoff] timeout deadline,
 * so a release that blocks can never hold the login manager.
 *
 * PAM return codes exist only in this file.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "core/util.h"
#include "core/conf.h"
#include "core/registry.h"
#include "core/spawn.h"
#include "core/chain.h"
#include "core/logoff.h"
#include "providers/providers.h"

/* The core is built with -fvisibility=hidden; the version script then
 * keeps these two as the module's only exports. */
#define LO_EXPORT PAM_EXTERN __attribute__((visibility("default")))

#define HELPER_PATH LIBEXECDIR "/logoff/logoff-helper"
/* pam_set_data key: the session as open_session made it. */
#define DATA_SESSION "pam_logoff_session"

struct session_data {
	char id[LO_ID_MAX + 1];
	uid_t uid;	/* so close needs no NSS lookup (the user may be gone) */
};

struct args {
	bool debug;
	bool quiet;
	const char *config;
	const char *helper;
	const char *providers;	/* providers=LIST: replaces [logoff] providers */
};

/* Unknown arguments are logged and ignored, as pam_systemd does: a typo
 * in pam.d must not lock anyone out. */
static void parse_argv(pam_handle_t *pamh, int argc, const char **argv, struct args *a)
{
	a->debug = false;
	a->quiet = false;
	a->config = LO_CONFIG_PATH;
	a->helper = HELPER_PATH;
	a->providers = NULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "debug") == 0)
			a->debug = true;
		else if (strcmp(argv[i], "quiet") == 0)
			a->quiet = true;
		else if (strncmp(argv[i], "config=", 7) == 0 && argv[i][7] == '/')
			a->config = argv[i] + 7;
		else if (strncmp(argv[i], "providers=", 10) == 0)
			a->providers = argv[i] + 10;
		else if (strncmp(argv[i], "helper=", 7) == 0 && argv[i][7] == '/')
			a->helper = argv[i] + 7;
		else
			pam_syslog(pamh, LOG_WARNING, "unknown or invalid argument '%s', ignored",
				   argv[i]);
	}
}

struct log_ctx {
	pam_handle_t *pamh;
	bool quiet;
};

/* The sink of the core's lines (lo_logv made them safe) and of the
 * helper's, relayed as they came: made safe here again, as the helper's
 * output is another program's (a plugin's or a hook's words in it). */
static void log_pam(void *ctx, int priority, const char *msg)
{
	struct log_ctx *l = ctx;
	char buf[1024];

	if (l->quiet && priority > LOG_WARNING)
		return;
	lo_text_safe(buf, sizeof(buf), msg);
	pam_syslog(l->pamh, priority, "%s", buf);
}

struct plugin_args;

/* What the chain's ctx->pamh points at in this module. */
struct module_ctx {
	pam_handle_t *pamh;
	const struct plugin_args *plugin;
};

static const char *env_get(void *mctx, const char *name)
{
	return pam_getenv(((struct module_ctx *)mctx)->pamh, name);
}

static int env_put(void *mctx, const char *name, const char *value)
{
	pam_handle_t *pamh = ((struct module_ctx *)mctx)->pamh;
	/* "NAME" without '=' removes it (pam_putenv(3)). */
	char *s = value ? lo_strdupf("%s=%s", name, value) : strdup(name);
	int r;

	if (!s)
		return -ENOMEM;
	r = pam_putenv(pamh, s);
	free(s);
	if (!value && r == PAM_BAD_ITEM)
		return 0;	/* was not set */
	return r == PAM_SUCCESS ? 0 : r == PAM_BUF_ERR ? -ENOMEM : -EINVAL;
}

static void free_data(pam_handle_t *pamh, void *data, int error_status)
{
	free(data);
}

static const char *item(pam_handle_t *pamh, int type)
{
	const void *v = NULL;

	if (pam_get_item(pamh, type, &v) != PAM_SUCCESS || !v)
		return "";
	return v;
}

/* Load the config; at close a broken config falls back to the defaults,
 * because the session must still be logged off. */
static int load_config(pam_handle_t *pamh, const struct args *a, bool fallback,
		       struct lo_config **ret)
{
	char *err = NULL;
	int r = lo_config_load(a->config, lo_builtin_providers, ret, &err);

	if (r < 0) {
		pam_syslog(pamh, LOG_ERR, "%s", err ? err : strerror(-r));
		free(err);
		if (!fallback)
			return r;
		pam_syslog(pamh, LOG_ERR, "using the default settings to log the session off");
		return lo_config_defaults(lo_builtin_providers, ret);
	}
	return 0;
}

/* The helper writes "<N>message" lines. */
static void helper_line(void *ctx, const char *line)
{
	int priority = lo_priority_prefix(&line);

	log_pam(ctx, priority < 0 ? LOG_ERR : priority, line);
}

/*
 * providers=LIST (spaces or commas; one pam.d word, so commas): this
 * service line's providers, in logon order, instead of [logoff]
 * providers; e.g. providers=tmpdir for cron. Each must be built in or a
 * plugin in [logoff] plugin_dir; [logoff] required keeps only the names
 * in LIST. An invalid LIST fails open_session, naming it: a session must
 * not silently get other providers than its pam.d line says.
 */
static int set_providers(pam_handle_t *pamh, struct lo_config *config, const char *list)
{
	char *words[LO_MAX_PROVIDERS];
	size_t keep = 0;
	int n = lo_split_list(list, words, LO_MAX_PROVIDERS);

	if (n < 0) {
		pam_syslog(pamh, LOG_ERR, "providers=%s: %s", list,
			   n == -E2BIG ? "too many providers" : strerror(-n));
		return n;
	}
	for (int i = 0; i < n; i++) {
		struct stat st;
		char *so = NULL;
		bool dup = false;

		for (int j = 0; j < i; j++)
			dup |= strcmp(words[i], words[j]) == 0;
		if (!dup && !lo_provider_find(lo_builtin_providers, words[i]) &&
		    (!lo_plugin_name_valid(words[i]) ||
		     !(so = lo_strdupf("%s/%s.so", config->plugin_dir, words[i])) ||
		     stat(so, &st) < 0 || !S_ISREG(st.st_mode))) {
			pam_syslog(pamh, LOG_ERR, "providers=%s: unknown provider '%s' (not built in, "
				   "and no plugin in %s)", list, words[i], config->plugin_dir);
			free(so);
			for (int k = 0; k < n; k++)
				free(words[k]);
			return -EINVAL;
		}
		free(so);
		if (dup) {
			pam_syslog(pamh, LOG_ERR, "providers=%s: '%s' is listed twice", list, words[i]);
			for (int k = 0; k < n; k++)
				free(words[k]);
			return -EINVAL;
		}
	}
	while (config->n_providers > 0)
		free(config->providers[--config->n_providers]);
	for (int i = 0; i < n; i++)
		config->providers[config->n_providers++] = words[i];
	for (size_t i = 0; i < config->n_required; i++) {
		bool listed = false;
		for (size_t j = 0; j < config->n_providers; j++)
			listed |= strcmp(config->required[i], config->providers[j]) == 0;
		if (listed)
			config->required[keep++] = config->required[i];
		else
			free(config->required[i]);
	}
	config->n_required = keep;
	return 0;
}

/* ------------------------------------------------------------ plugins */

struct plugin_run {
	struct log_ctx *lc;
	int (*putenv_fn)(void *env_ctx, const char *name, const char *value);
	void *env_ctx;
	int result;
	bool got_result;
};

static bool env_name_valid(const char *n, size_t len)
{
	if (len == 0 || (!isalpha((unsigned char)n[0]) && n[0] != '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!isalnum((unsigned char)n[i]) && n[i] != '_')
			return false;
	return true;
}

/* The helper's lines: RS "=NAME=VALUE" / RS "=NAME" (the plugin changed
 * the PAM environment), RS "!N" (its result), else "<N>message". */
static void plugin_line(void *ctx, const char *line)
{
	struct plugin_run *pr = ctx;

	if (line[0] == '\x1e' && line[1] == '=') {
		line++;
		const char *eq = strchr(line + 1, '=');
		size_t len = eq ? (size_t)(eq - line - 1) : strlen(line + 1);
		char name[128];

		if (!env_name_valid(line + 1, len) || len >= sizeof(name)) {
			log_pam(pr->lc, LOG_ERR, "a plugin set an invalid PAM environment name");
			return;
		}
		memcpy(name, line + 1, len);
		name[len] = '\0';
		pr->putenv_fn(pr->env_ctx, name, eq ? eq + 1 : NULL);
	} else if (line[0] == '\x1e' && line[1] == '!') {
		char *end;

		line++;
		long v = strtol(line + 1, &end, 10);
		if (*end == '\0' && v <= 0 && v > -4096) {
			pr->result = (int)v;
			pr->got_result = true;
		}
	} else {
		helper_line(pr->lc, line);
	}
}

struct plugin_args {
	const struct args *a;
	struct log_ctx *lc;
	unsigned timeout;
};

/* ctx->run_plugin: a plugin provider's logon (or a rollback's logoff) in
 * logoff-helper; this process never loads a plugin. */
static int run_plugin(const struct lo_ctx *ctx, const char *id, const char *name, bool logon,
		      bool rollback, int (*putenv_fn)(void *, const char *, const char *),
		      void *env_ctx)
{
	const struct plugin_args *pa = ((struct module_ctx *)ctx->pamh)->plugin;
	pam_handle_t *pamh = ((struct module_ctx *)ctx->pamh)->pamh;
	struct plugin_run pr = { .lc = pa->lc, .putenv_fn = putenv_fn, .env_ctx = env_ctx,
				 .result = -EIO };
	char **penv = pam_getenvlist(pamh), **envp;
	char *argv[14];
	size_t n = 0, k = 0;
	int r, status = -1, pidfd, outfd;
	pid_t pid;

	for (char **e = penv; e && *e; e++)
		n++;
	envp = calloc(n + 2, sizeof(*envp));
	if (!envp) {
		r = -ENOMEM;
		goto out;
	}
	envp[k++] = strdup(LO_SAFE_PATH_ENV);
	for (size_t i = 0; i < n; i++)
		envp[k++] = lo_strdupf("LOGOFF_PAMENV_%s", penv[i]);
	for (size_t i = 0; i < k; i++)
		if (!envp[i]) {
			r = -ENOMEM;
			goto out;
		}
	n = 0;
	argv[n++] = (char *)pa->a->helper;
	argv[n++] = (char *)"--session";
	argv[n++] = (char *)id;
	argv[n++] = (char *)"--provider";
	argv[n++] = (char *)name;
	if (logon)
		argv[n++] = (char *)"--logon";
	if (rollback)
		argv[n++] = (char *)"--rollback";
	argv[n++] = (char *)"--config";
	argv[n++] = (char *)pa->a->config;
	argv[n++] = (char *)"--prefix-priority";
	if (pa->a->debug)
		argv[n++] = (char *)"--debug";
	argv[n] = NULL;
	{
		struct lo_spawn sp = { .path = pa->a->helper, .argv = argv, .envp = envp, .cwd = "/",
				       .capture = true };
		r = lo_spawn_start(&sp, &pid, &pidfd, &outfd);
		if (r == 0)
			r = lo_spawn_wait(pid, pidfd, outfd, lo_now_ms() + (int64_t)pa->timeout * 1000,
					  1000, plugin_line, &pr, &status);
	}
	if (r < 0) {
		pam_syslog(pamh, LOG_ERR, "%s: cannot run the plugin's %s in %s: %s", name,
			   logon ? "logon" : "logoff", pa->a->helper, strerror(-r));
		r = -EIO;
	} else if (!pr.got_result) {
		pam_syslog(pamh, LOG_ERR, "%s: the plugin's %s ended without a result (helper status "
			   "%d)", name, logon ? "logon" : "logoff", status);
		r = -EIO;
	} else {
		r = pr.result;
	}
out:
	for (size_t i = 0; envp && i < k; i++)
		free(envp[i]);
	free(envp);
	for (char **e = penv; e && *e; e++)
		free(*e);
	free(penv);
	return r;
}

/* Start the sweep of stale sessions, at most once per [logoff]
 * gc_interval, detached: the login never waits for it. */
static void maybe_sweep(pam_handle_t *pamh, const struct args *a, const struct lo_config *config,
			struct lo_registry *registry)
{
	char *env[] = { (char *)LO_SAFE_PATH_ENV, NULL };
	char *hargv[] = { (char *)a->helper, (char *)"--gc", (char *)"--syslog",
			  (char *)"--config", (char *)a->config, NULL };
	struct lo_spawn sp = { .path = a->helper, .argv = hargv, .envp = env, .cwd = "/" };
	int r;

	if (geteuid() != 0 || !lo_gc_due(registry, config->gc_interval))
		return;
	r = lo_spawn_detached(&sp);
	if (r < 0)
		pam_syslog(pamh, LOG_WARNING, "cannot start the sweep of stale sessions: %s",
			   strerror(-r));
	else if (a->debug)
		pam_syslog(pamh, LOG_DEBUG, "started the sweep of stale sessions");
}

LO_EXPORT int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct args a;
	struct log_ctx lc = { pamh, false };
	struct lo_config *config = NULL;
	struct lo_registry *registry = NULL;
	struct passwd pw, *pwr = NULL;
	char pwbuf[4096], id[LO_ID_MAX + 1] = "";
	const char *user = NULL;
	char *err = NULL;
	int r, ret = PAM_SESSION_ERR;

	parse_argv(pamh, argc, argv, &a);
	lc.quiet = a.quiet;
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user || !*user) {
		pam_syslog(pamh, LOG_ERR, "cannot determine the user name");
		return PAM_SESSION_ERR;
	}
	if (getpwnam_r(user, &pw, pwbuf, sizeof(pwbuf), &pwr) != 0 || !pwr) {
		pam_syslog(pamh, LOG_ERR, "unknown user '%s'", user);
		return PAM_USER_UNKNOWN;
	}
	if (load_config(pamh, &a, false, &config) < 0)
		goto out;
	if (a.providers && set_providers(pamh, config, a.providers) < 0)
		goto out;
	r = lo_registry_open(config->registry, LO_REGISTRY_CREATE, &registry, &err);
	if (r < 0) {
		pam_syslog(pamh, LOG_ERR, "%s", err ? err : strerror(-r));
		goto out;
	}
	{
		struct plugin_args pa = { .a = &a, .lc = &lc, .timeout = config->timeout };
		struct module_ctx mctx = { .pamh = pamh, .plugin = &pa };
		struct lo_ctx ctx = {
			.config = config,
			.registry = registry,
			.log = { .fn = log_pam, .ctx = &lc, .debug = a.debug },
			.pam_getenv = env_get,
			.pam_putenv = env_put,
			.pamh = &mctx,
			.privileged = geteuid() == 0,
			.run_plugin = run_plugin,
		};
		struct lo_login login = {
			.user = user,
			.service = item(pamh, PAM_SERVICE),
			.tty = item(pamh, PAM_TTY),
			.rhost = item(pamh, PAM_RHOST),
			.uid = pwr->pw_uid,
			.gid = pwr->pw_gid,
			.home = pwr->pw_dir,
			.leader_pid = getpid(),
			.logind = pam_getenv(pamh, "XDG_SESSION_ID"),
		};

		r = lo_chain_logon(&ctx, &login, id);
	}
	if (r < 0) {
		pam_syslog(pamh, LOG_ERR, "session logon failed: %s", strerror(-r));
		goto out;
	}
	/* Kept where only this module can reach it: the copy in the PAM
	 * environment can be overwritten by a later module (pam_env with
	 * user_readenv) and must not decide which session close logs off. */
	{
		struct session_data *copy = calloc(1, sizeof(*copy));
		if (copy) {
			memcpy(copy->id, id, sizeof(copy->id));
			copy->uid = pwr->pw_uid;
		}
		if (!copy || pam_set_data(pamh, DATA_SESSION, copy, free_data) != PAM_SUCCESS) {
			free(copy);
			pam_syslog(pamh, LOG_WARNING, "cannot keep the session id in PAM data; close "
				   "will use LOGOFF_SESSION_ID");
		}
	}
	if (a.debug)
		pam_syslog(pamh, LOG_DEBUG, "session %s opened for %s", id, user);
	maybe_sweep(pamh, &a, config, registry);
	ret = PAM_SUCCESS;
out:
	free(err);
	lo_registry_close(registry);
	lo_config_free(config);
	return ret;
}

/*
 * A close run without the privileges a logoff needs: systemd's (sd-pam)
 * calls pam_close_session after dropping to the user's uid, and other
 * applications close after setuid() to the user. The registry is root's,
 * so the chain cannot claim the record, and releasing the session's
 * processes, mounts and keyring needs root anyway. Nothing is attempted
 * and nothing is reported to the user: the record stays as it is, and
 * once the session's login manager (the process that opened it) is gone
 * it shows as stale, so the next sweep (`logoff --gc`, logoff-gc.timer,
 * or a later open_session) logs it off. True when that is the case; a
 * registry this process owns (an unprivileged test setup) is logged off
 * the normal way.
 */
static bool unprivileged_close(pam_handle_t *pamh, const struct lo_config *config, const char *id)
{
	struct stat st;

	if (geteuid() == 0 || (stat(config->registry, &st) == 0 && st.st_uid == geteuid()))
		return false;
	pam_syslog(pamh, LOG_NOTICE, "session %s: closed by uid %u, which cannot log it off; "
		   "left for the sweep (logoff --gc)", id, (unsigned)geteuid());
	return true;
}

/*
 * The session this close is for, and its user's uid: our own copy when
 * open_session ran in this process; the PAM environment otherwise, which
 * a user may have touched, so PAM_USER's uid is then checked against the
 * record's (only a session of this login's user is ever logged off
 * here). Returns 1 with *RET_ID and *RET_UID, 0 when there is nothing to
 * log off (our open_session did not run or made no record, as
 * pam_systemd treats PAM_NO_MODULE_DATA), or -1 after logging why not.
 */
static int session_to_close(pam_handle_t *pamh, const struct args *a, const char **ret_id,
			    uid_t *ret_uid)
{
	const void *data = NULL;
	const char *id, *user = NULL;
	struct passwd pw, *pwr = NULL;
	char pwbuf[4096];

	if (pam_get_data(pamh, DATA_SESSION, &data) == PAM_SUCCESS && data) {
		const struct session_data *sd = data;

		*ret_id = sd->id;
		*ret_uid = sd->uid;
		return 1;
	}
	id = pam_getenv(pamh, "LOGOFF_SESSION_ID");
	if (!id || !*id) {
		if (a->debug)
			pam_syslog(pamh, LOG_DEBUG, "no LOGOFF_SESSION_ID: nothing to log off");
		return 0;
	}
	if (!lo_id_valid(id)) {
		pam_syslog(pamh, LOG_ERR, "LOGOFF_SESSION_ID '%s' is not a valid session id", id);
		return -1;
	}
	if (pam_get_item(pamh, PAM_USER, (const void **)&user) != PAM_SUCCESS || !user ||
	    getpwnam_r(user, &pw, pwbuf, sizeof(pwbuf), &pwr) != 0 || !pwr) {
		pam_syslog(pamh, LOG_ERR, "session %s: cannot resolve the user; not logged off", id);
		return -1;
	}
	*ret_id = id;
	*ret_uid = pwr->pw_uid;
	return 1;
}

/* OUTCOME of session ID's logoff as close_session's return, logged. */
static int close_result(pam_handle_t *pamh, const struct args *a, const char *id,
			unsigned timeout, enum lo_logoff_outcome outcome)
{
	switch (outcome) {
	case LO_LOGOFF_DONE:
	case LO_LOGOFF_NO_SESSION:
		if (a->debug)
			pam_syslog(pamh, LOG_DEBUG, "session %s logged off", id);
		return PAM_SUCCESS;
	case LO_LOGOFF_BUSY:
		/* `logoff` or the sweep is logging this session off now. */
		pam_syslog(pamh, LOG_INFO, "session %s is being logged off by another process", id);
		return PAM_SUCCESS;
	case LO_LOGOFF_TIMED_OUT:
		pam_syslog(pamh, LOG_ERR, "session %s: logoff did not finish within %u s; stopped, "
			   "session left for the sweep", id, timeout);
		return PAM_SESSION_ERR;
	default:
		pam_syslog(pamh, LOG_ERR, "session %s: logoff incomplete (%s); see logoff --status %s",
			   id, lo_logoff_outcome_name(outcome), id);
		return PAM_SESSION_ERR;
	}
}

LO_EXPORT int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct args a;
	struct log_ctx lc = { pamh, false };
	struct lo_config *config = NULL;
	enum lo_logoff_outcome outcome;
	const char *id = NULL;
	uid_t uid = 0;
	int r, ret;

	parse_argv(pamh, argc, argv, &a);
	lc.quiet = a.quiet;
	r = session_to_close(pamh, &a, &id, &uid);
	if (r <= 0)
		return r == 0 ? PAM_SUCCESS : PAM_SESSION_ERR;
	if (load_config(pamh, &a, true, &config) < 0)
		return PAM_SESSION_ERR;
	if (unprivileged_close(pamh, config, id)) {
		ret = PAM_SUCCESS;
	} else {
		const struct lo_log log = { .fn = log_pam, .ctx = &lc, .debug = a.debug };
		const struct lo_logoff_request req = {
			.session = id, .config = config, .config_path = a.config,
			.helper = a.helper, .check_uid = true, .uid = uid, .debug = a.debug,
			.in_login_manager = true, .log = &log,
			.line_fn = helper_line, .line_ctx = &lc,
		};

		r = lo_logoff_session(&req, &outcome);
		if (r < 0) {
			pam_syslog(pamh, LOG_ERR, "cannot run %s: %s", a.helper, strerror(-r));
			ret = PAM_SESSION_ERR;
		} else {
			ret = close_result(pamh, &a, id, config->timeout, outcome);
		}
	}
	lo_config_free(config);
	return ret;
}
