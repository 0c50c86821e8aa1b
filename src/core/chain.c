/*
 * chain.c - the provider chain: logon in configured order, logoff in
 * reverse, each provider with its own support object (MAPI's provider
 * logon/logoff model, see docs/architecture.md).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "core/conf.h"
#include "core/registry.h"
#include "core/proc.h"
#include "core/release.h"
#include "core/chain.h"

#include "chain_impl.h"

/* How long a provider's child killed at its bound is waited for before it
 * is left unreaped (uninterruptible sleep on a hung file system). */
#define BOUND_KILL_WAIT_MS 300


static struct support_impl *impl(struct logoff_support *s)
{
	return (struct support_impl *)s;
}

static struct lo_status *status_of(struct support_impl *si)
{
	return &si->chain->rec->status[si->status_index];
}

static void set_state(struct support_impl *si, int state, int result)
{
	struct lo_status *st = status_of(si);

	st->state = state;
	st->result = result;
	st->since = time(NULL);
}

/* ------------------------------------------------ support functions */

static void sup_log(struct logoff_support *s, int priority, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	errno = saved;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lo_log(&impl(s)->chain->ctx->log, priority, "%s: %s", impl(s)->name, msg);
}

static const char *sup_getenv(struct logoff_support *s, const char *name)
{
	struct chain *c = impl(s)->chain;

	if (!c->logon || !c->ctx->pam_getenv || !name)
		return NULL;
	return c->ctx->pam_getenv(c->ctx->pamh, name);
}

static int sup_putenv(struct logoff_support *s, const char *name, const char *value)
{
	struct chain *c = impl(s)->chain;

	if (!name || !*name || strchr(name, '=') || !value)
		return -EINVAL;
	if (!c->logon || !c->ctx->pam_putenv)
		return -ENOTSUP;
	if (c->n_env < sizeof(c->env_names) / sizeof(c->env_names[0])) {
		bool seen = false;
		for (size_t i = 0; i < c->n_env; i++)
			seen |= strcmp(c->env_names[i], name) == 0;
		if (!seen) {
			char *copy = strdup(name);
			if (!copy)
				return -ENOMEM;
			c->env_names[c->n_env++] = copy;
		}
	}
	return c->ctx->pam_putenv(c->ctx->pamh, name, value);
}

static int sup_track(struct logoff_support *s, int kind, const char *value)
{
	struct support_impl *si = impl(s);
	struct chain *c = si->chain;
	int r;

	if (kind == LOGOFF_SUBOBJECT_PATH && (!value || value[0] != '/'))
		return -EINVAL;
	r = lo_record_add_sub(c->rec, si->name, kind, value);
	if (r != 0)
		return r < 0 ? r : 0;
	/* Durable before the provider opens the resource: a crash after this
	 * point leaves a record of it for the sweep. */
	r = lo_record_grow(c->ctx->registry, c->rec);
	if (r < 0) {
		lo_record_remove_sub(c->rec, si->name, kind, value);
		sup_log(s, LOG_ERR, "cannot record subobject %s: %s", value, strerror(-r));
	}
	return r;
}

static int sup_untrack(struct logoff_support *s, int kind, const char *value)
{
	struct support_impl *si = impl(s);
	int r = lo_record_remove_sub(si->chain->rec, si->name, kind, value ? value : "");

	if (r < 0)
		return r;
	if (!si->chain->logon)
		lo_log(&si->chain->ctx->log, LOG_DEBUG, "session %s: %s: released %s %s",
		       si->chain->rec->id, si->name, lo_subobject_kind_name(kind), value);
	return lo_record_write(si->chain->ctx->registry, si->chain->rec);
}

static int sup_set_data(struct logoff_support *s, const char *key, const char *value)
{
	struct support_impl *si = impl(s);
	struct lo_record *rec = si->chain->rec;
	const char *old = lo_record_get_data(rec, si->name, key);
	char *saved = old ? strdup(old) : NULL;
	int r;

	if (old && !saved)
		return -ENOMEM;
	r = lo_record_set_data(rec, si->name, key, value);
	if (r == 0) {
		r = lo_record_grow(si->chain->ctx->registry, rec);
		if (r < 0)	/* not durable: not kept */
			lo_record_set_data(rec, si->name, key, saved);
	}
	free(saved);
	return r;
}

static const char *sup_get_data(struct logoff_support *s, const char *key)
{
	struct support_impl *si = impl(s);

	return lo_record_get_data(si->chain->rec, si->name, key);
}

static int sup_subobject(struct logoff_support *s, size_t index, int *ret_kind,
			 const char **ret_value)
{
	struct support_impl *si = impl(s);
	struct lo_record *rec = si->chain->rec;

	for (size_t i = 0; i < rec->n_sub; i++) {
		if (strcmp(rec->sub[i].provider, si->name) != 0)
			continue;
		if (index-- == 0) {
			*ret_kind = rec->sub[i].kind;
			*ret_value = rec->sub[i].value;
			return 0;
		}
	}
	return -ENOENT;
}

static int sup_set_status(struct logoff_support *s, const char *fmt, ...)
{
	struct lo_status *st = status_of(impl(s));
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->message, sizeof(st->message), fmt, ap);
	va_end(ap);
	/* The record format is line based: keep the message on one line. */
	for (char *p = st->message; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return 0;
}

static const char *sup_config(struct logoff_support *s, const char *key)
{
	struct support_impl *si = impl(s);

	return lo_config_value(si->chain->ctx->config, si->name, key);
}

static int sup_user_sessions(struct logoff_support *s)
{
	struct chain *c = impl(s)->chain;

	/* Live logins only: a stale record of the user must not keep the
	 * user's leftovers alive, nor its own sweep from ending them. */
	return lo_registry_count_user_live(c->ctx->registry, c->rec->uid, c->rec->id);
}

static void chain_finish(struct chain *c);

static void sup_addref(struct logoff_support *s)
{
	if (impl(s)->chain->isolated)
		return;
	impl(s)->refs++;
	impl(s)->chain->refs++;
}

static void sup_release(struct logoff_support *s)
{
	struct support_impl *si = impl(s);

	/* In a plugin's child nothing outlives the call: the session and
	 * its references stay with the process that forked it. */
	if (si->refs <= 0 || si->chain->isolated)
		return;
	si->refs--;
	if (--si->chain->refs == 0)
		chain_finish(si->chain);
}

/* ------------------------------------------------------------ chain */

static void chain_init(struct chain *c, const struct lo_ctx *ctx, struct lo_record *rec,
		       bool logon)
{
	memset(c, 0, sizeof(*c));
	c->ctx = ctx;
	c->rec = rec;
	c->logon = logon;
	c->identity = (struct logoff_identity){
		.session_id = rec->id,
		.user = rec->user,
		.uid = rec->uid,
		.gid = rec->gid,
		.home = rec->home,
		.service = rec->service,
		.tty = rec->tty,
		.rhost = rec->rhost,
		.leader_pid = rec->leader_pid,
		.audit_session = rec->audit,
	};
	c->n = rec->n_status < LO_MAX_PROVIDERS ? rec->n_status : LO_MAX_PROVIDERS;
	for (size_t i = 0; i < c->n; i++) {
		struct support_impl *si = &c->sup[i];
		const struct lo_provider_entry *entry;

		si->chain = c;
		si->name = rec->status[i].name;
		si->status_index = i;
		entry = lo_provider_find(ctx->config->table, si->name);
		si->provider = entry ? entry->provider : NULL;
		si->flags = entry ? entry->flags : 0;
		si->pub = (struct logoff_support){
			.abi_version = LOGOFF_ABI_VERSION,
			.identity = &c->identity,
			.log = sup_log,
			.getenv = sup_getenv,
			.putenv = sup_putenv,
			.track = sup_track,
			.untrack = sup_untrack,
			.subobject = sup_subobject,
			.set_data = sup_set_data,
			.get_data = sup_get_data,
			.set_status = sup_set_status,
			.config = sup_config,
			.user_sessions = sup_user_sessions,
			.addref = sup_addref,
			.release = sup_release,
			.privileged = ctx->privileged,
			.core = si,
		};
	}
}

/* Release with the core's releasers whatever provider SI still has
 * tracked; each one is a fault of the provider. Returns how many could not
 * be released. */
static unsigned release_leftovers(struct support_impl *si)
{
	struct chain *c = si->chain;
	struct lo_record *rec = c->rec;
	unsigned left = 0;
	size_t i = 0;

	while (i < rec->n_sub) {
		struct lo_subobject *sub = &rec->sub[i];
		int r;

		if (strcmp(sub->provider, si->name) != 0) {
			i++;
			continue;
		}
		/* In the login manager's process, a directory is only ever
		 * rmdir'ed: one that filled up since stays for the closer. */
		if (c->ctx->in_process && sub->kind == LOGOFF_SUBOBJECT_PATH)
			r = lo_release_empty_dir(sub->value);
		else
			r = lo_release_subobject(sub->kind, sub->value, rec->uid, &c->ctx->log);
		status_of(si)->faults++;
		if (r < 0) {
			lo_log(&c->ctx->log, LOG_ERR, "%s: could not release subobject %s: %s",
			       si->name, sub->value, strerror(-r));
			left++;
			i++;
			continue;
		}
		lo_log(&c->ctx->log, LOG_WARNING, "%s: left subobject %s tracked; released by "
		       "the core", si->name, sub->value);
		/* Removes rec->sub[i]; the next one moves into place. */
		lo_record_remove_sub(rec, si->name, sub->kind, sub->value);
	}
	return left;
}

/* Last reference dropped: delete the record, or keep it marked failed
 * while something is still tracked, or timed-out when a provider stopped
 * at the chain's deadline (its logoff runs again in the sweep). */
static void chain_finish(struct chain *c)
{
	int r;

	c->finished = true;
	if (c->timed_out) {
		c->rec->state = LO_SESSION_TIMED_OUT;
		c->rec->closer_pid = 0;
		c->rec->closer_start = 0;
		r = lo_record_write(c->ctx->registry, c->rec);
		lo_log(&c->ctx->log, LOG_ERR, "session %s: a provider's logoff timed out; the others "
		       "had their turn; record kept for `logoff --gc`", c->rec->id);
		c->finish_result = r < 0 && r != -EACCES ? r : -ETIMEDOUT;
		return;
	}
	if (c->rec->n_sub == 0 && !c->busy) {
		r = lo_record_delete(c->ctx->registry, c->rec->id);
		/* -EACCES from lo_chain_logoff means "another uid's session". */
		c->finish_result = r == -ENOENT ? 0 : r == -EACCES ? -EIO : r;
		if (r < 0 && r != -ENOENT)
			lo_log(&c->ctx->log, LOG_ERR, "session %s: cannot delete record: %s",
			       c->rec->id, strerror(-r));
		return;
	}
	c->rec->state = LO_SESSION_FAILED;
	c->rec->closer_pid = 0;
	c->rec->closer_start = 0;
	r = lo_record_write(c->ctx->registry, c->rec);
	if (r == -EACCES)
		r = -EIO;
	if (c->rec->n_sub == 0)
		lo_log(&c->ctx->log, LOG_ERR, "session %s: something of it may still run; record "
		       "kept for `logoff --gc`", c->rec->id);
	else
		lo_log(&c->ctx->log, LOG_ERR, "session %s: %zu subobject%s could not be released; "
		       "record kept for `logoff --gc`", c->rec->id, c->rec->n_sub,
		       c->rec->n_sub == 1 ? "" : "s");
	c->finish_result = r < 0 ? r : -EIO;
}

static int abi_check(struct support_impl *si)
{
	if (!si->provider)
		return -ENOENT;
	if (LOGOFF_ABI_GET_MAJOR(si->provider->abi_version) != LOGOFF_ABI_MAJOR) {
		lo_log(&si->chain->ctx->log, LOG_ERR, "%s: provider ABI %u.%u, core speaks %u.x",
		       si->name, LOGOFF_ABI_GET_MAJOR(si->provider->abi_version),
		       LOGOFF_ABI_GET_MINOR(si->provider->abi_version), LOGOFF_ABI_MAJOR);
		return -EPROTO;
	}
	return 0;
}

/* ---------------------------------------------------------- plugins */

static bool is_builtin(const struct support_impl *si)
{
	return si->flags & LO_PROVIDER_BUILTIN;
}

/* False for a provider the sweep never abandons (LO_PROVIDER_NEVER_ABANDONED). */
static bool abandonable(const struct support_impl *si)
{
	return !(si->flags & LO_PROVIDER_NEVER_ABANDONED);
}

/* Take what FRESH (the record as another process left it) holds of
 * provider NAME into REC: its status object, subobjects and data. */
static int merge_provider(struct lo_record *rec, const struct lo_record *fresh, const char *name)
{
	const struct lo_status *fs = NULL;
	size_t i = 0;
	int r = 0;

	for (size_t k = 0; k < fresh->n_status; k++)
		if (strcmp(fresh->status[k].name, name) == 0)
			fs = &fresh->status[k];
	if (fs) {
		struct lo_status *st = lo_record_status(rec, name);
		if (st) {
			st->state = fs->state;
			st->result = fs->result;
			st->faults = fs->faults;
			st->since = fs->since;
			st->retries = fs->retries;
			memcpy(st->message, fs->message, sizeof(st->message));
		}
	}
	while (i < rec->n_sub) {
		if (strcmp(rec->sub[i].provider, name) == 0)
			lo_record_remove_sub(rec, name, rec->sub[i].kind, rec->sub[i].value);
		else
			i++;
	}
	for (size_t k = 0; k < fresh->n_sub && r >= 0; k++)
		if (strcmp(fresh->sub[k].provider, name) == 0)
			r = lo_record_add_sub(rec, name, fresh->sub[k].kind, fresh->sub[k].value);
	for (i = rec->n_data; i-- > 0;)
		if (strcmp(rec->data[i].provider, name) == 0)
			lo_record_set_data(rec, name, rec->data[i].key, NULL);
	for (size_t k = 0; k < fresh->n_data && r >= 0; k++)
		if (strcmp(fresh->data[k].provider, name) == 0)
			r = lo_record_set_data(rec, name, fresh->data[k].key, fresh->data[k].value);
	return r < 0 ? r : 0;
}

/* After another process ran provider SI: take its state from the record. */
static void reload_provider(struct support_impl *si)
{
	struct chain *c = si->chain;
	struct lo_record *fresh = NULL;

	if (lo_record_read(c->ctx->registry, c->rec->id, &fresh, NULL) == 0)
		merge_provider(c->rec, fresh, si->name);
	lo_record_free(fresh);
}

/* Reap child PID, waiting until UNTIL_MS (CLOCK_MONOTONIC; 0: as long as
 * it takes) through PIDFD (-1: short sleeps). True with *RET_STATUS (-1
 * when it could not be reaped) once it is gone; false at UNTIL_MS. */
static bool reap_until(pid_t pid, int pidfd, int64_t until_ms, int *ret_status)
{
	for (;;) {
		pid_t w = waitpid(pid, ret_status, until_ms ? WNOHANG : 0);
		int64_t left;

		if (w == pid)
			return true;
		if (w < 0 && errno != EINTR) {
			*ret_status = -1;
			return true;
		}
		if (!until_ms)
			continue;
		left = until_ms - lo_now_ms();
		if (left <= 0)
			return false;
		if (pidfd >= 0) {
			struct pollfd p = { pidfd, POLLIN, 0 };
			poll(&p, 1, left > 1000 ? 1000 : (int)left);
		} else {
			struct timespec ts = { 0, 10L * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
}

/* A provider's logon or logoff in a forked child: a plugin's in
 * logoff-helper, so a crash takes only the child down and is recorded;
 * a built-in one that may block, so it can be stopped at its bound. With
 * BOUND_MS (not 0) the child leads a process group of its own, which gets
 * SIGKILL at BOUND_MS: -ETIMEDOUT. A child that outlives SIGKILL by
 * BOUND_KILL_WAIT_MS (uninterruptible sleep on a hung file system) is
 * left unreaped: it can run no more of its code, and the chain goes on. */
static int run_isolated(struct support_impl *si, bool logon, int64_t bound_ms)
{
	struct chain *c = si->chain;
	int status = 0, pidfd = -1;
	pid_t pid;

	/* The child starts from the record as it is now. */
	lo_record_write(c->ctx->registry, c->rec);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
		int r;

		/* Its own group: what it forks is killed with it. */
		if (bound_ms)
			setpgid(0, 0);
		/* A crash is a death by its signal, whatever handler the
		 * program installed (a sanitizer's would turn it into exit 1). */
		for (size_t k = 0; k < sizeof(crash_signals) / sizeof(crash_signals[0]); k++)
			signal(crash_signals[k], SIG_DFL);
		c->isolated = true;
		r = logon ? si->provider->logon(&si->pub, 0) : si->provider->logoff(&si->pub, 0);
		lo_record_write(c->ctx->registry, c->rec);
		_exit(r < 0 && r > -256 ? -r : r < 0 ? EIO : 0);
	}
	if (bound_ms) {
		/* Also here: the kill below must find the group even if the
		 * child has not run yet. */
		setpgid(pid, pid);
		pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	}
	if (!reap_until(pid, pidfd, bound_ms, &status)) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		if (!reap_until(pid, pidfd, lo_now_ms() + BOUND_KILL_WAIT_MS, &status))
			lo_log(&c->ctx->log, LOG_ERR, "session %s: %s: process %d outlived SIGKILL "
			       "(uninterruptible sleep); left", c->rec->id, si->name, (int)pid);
		if (pidfd >= 0)
			close(pidfd);
		/* What it tracked before it was stopped stays tracked. */
		reload_provider(si);
		sup_set_status(&si->pub, "%s stopped at its bound", logon ? "logon" : "logoff");
		lo_log(&c->ctx->log, LOG_ERR, "session %s: %s: %s did not end by its bound; "
		       "killed", c->rec->id, si->name, logon ? "logon" : "logoff");
		return -ETIMEDOUT;
	}
	if (pidfd >= 0)
		close(pidfd);
	reload_provider(si);
	if (status != -1 && WIFSIGNALED(status)) {
		sup_set_status(&si->pub, "%s crashed: signal %d (%s)", logon ? "logon" : "logoff",
			       WTERMSIG(status), strsignal(WTERMSIG(status)));
		lo_log(&c->ctx->log, LOG_ERR, "session %s: %s: %s crashed: signal %d (%s)",
		       c->rec->id, si->name, logon ? "logon" : "logoff", WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
		return -EIO;
	}
	if (status == -1 || !WIFEXITED(status))
		return -EIO;
	return -WEXITSTATUS(status);
}

/* A PAM environment change a plugin made in logoff-helper. */
static int external_putenv(void *env_ctx, const char *name, const char *value)
{
	struct support_impl *si = env_ctx;

	if (!value) {
		struct chain *c = si->chain;
		return c->ctx->pam_putenv ? c->ctx->pam_putenv(c->ctx->pamh, name, NULL) : -ENOTSUP;
	}
	return sup_putenv(&si->pub, name, value);
}

/* A plugin's logon, or a rollback's logoff, from the module: in
 * logoff-helper, never in the login manager's process. */
static int run_external(struct support_impl *si, bool logon)
{
	struct chain *c = si->chain;
	int r;

	r = lo_record_write(c->ctx->registry, c->rec);
	if (r < 0)
		return r;
	r = c->ctx->run_plugin(c->ctx, c->rec->id, si->name, logon, si->pub.rollback,
			       external_putenv, si);
	reload_provider(si);
	return r;
}

/* The provider's logon or logoff, wherever it must run. */
static int call_provider(struct support_impl *si, bool logon)
{
	int (*fn)(struct logoff_support *, unsigned);
	int r;

	if (!si->provider && si->chain->ctx->run_plugin && lo_plugin_name_valid(si->name))
		return run_external(si, logon);
	r = abi_check(si);
	if (r < 0)
		return r;
	fn = logon ? si->provider->logon : si->provider->logoff;
	if (!fn)
		return 0;
	if (si->chain->ctx->isolate_plugins && !is_builtin(si))
		return run_isolated(si, logon, logon ? 0 : si->bound_ms);
	/* Out of the login manager's process, a built-in logoff that may
	 * block gets a child it can be stopped in; in that process none
	 * runs (LO_LOGOFF_IN_PROCESS), and nothing is forked per provider. */
	if (!logon && si->bound_ms && !si->chain->ctx->in_process && is_builtin(si) &&
	    !(si->flags & LO_PROVIDER_NEVER_BLOCKS))
		return run_isolated(si, false, si->bound_ms);
	r = fn(&si->pub, 0);
	/* The ABI says 0 or a negative errno; a positive value is success,
	 * as it is for a plugin's child. */
	return r > 0 ? 0 : r;
}

/* [logoff] retries of the chain's config (3 without one). */
static unsigned retries_allowed(const struct chain *c)
{
	return c->ctx->config ? c->ctx->config->retries : 3;
}

/* Give up on provider SI: what it still tracks is dropped from the record,
 * not released (its releaser is what hangs), and named in one LOG_CRIT
 * line for an admin; the session no longer waits for it. WHY says why. */
static void abandon(struct support_impl *si, const char *why)
{
	struct chain *c = si->chain;
	struct lo_record *rec = c->rec;
	char list[1024] = "";
	size_t len = 0, i = 0;
	unsigned n = 0;

	while (i < rec->n_sub) {
		struct lo_subobject *sub = &rec->sub[i];
		int w;

		if (strcmp(sub->provider, si->name) != 0) {
			i++;
			continue;
		}
		if (len < sizeof(list)) {
			w = snprintf(list + len, sizeof(list) - len, "%s%s %s", n ? ", " : "",
				     lo_subobject_kind_name(sub->kind), sub->value);
			len = w < 0 ? sizeof(list) : len + (size_t)w;
			if (len >= sizeof(list))
				memcpy(list + sizeof(list) - 5, "...", 4);
		}
		n++;
		/* Removes rec->sub[i]; the next one moves into place. */
		lo_record_remove_sub(rec, si->name, sub->kind, sub->value);
	}
	set_state(si, LO_PROVIDER_ABANDONED, -ETIMEDOUT);
	sup_set_status(&si->pub, "abandoned (%s): %u subobject%s left unreleased", why, n,
		       n == 1 ? "" : "s");
	lo_log(&c->ctx->log, LOG_CRIT, "session %s (user %s): provider %s abandoned (%s); left "
	       "unreleased and no longer tracked: %s", rec->id, rec->user, si->name, why,
	       n ? list : "nothing");
	lo_record_write(c->ctx->registry, rec);
}

/* " (logind ID)" when logind's id of the session is known, else "": for
 * the one line per provider that logon and logoff log, so the journal
 * lines of both sides of one session can be matched. */
static const char *logind_note(const struct lo_record *r, char *buf, size_t size)
{
	if (!r->logind || !*r->logind)
		return "";
	snprintf(buf, size, " (logind %s)", r->logind);
	return buf;
}

/* Log off one provider: its logoff, then the core's releasers for what
 * it left, then the core's reference on its support object. A provider
 * stopped at its bound keeps what it tracked (its releaser would hang
 * on it the same way) and is retried by the sweep, up to [logoff]
 * retries times; then it is abandoned. */
static int logoff_one(struct support_impl *si)
{
	struct chain *c = si->chain;
	struct lo_status *st = status_of(si);
	int r, state = st->state;
	unsigned left;
	char note[LO_LOGIND_ID_MAX + 16];

	if (c->ctx->abandon && strcmp(c->ctx->abandon, si->name) == 0 &&
	    state != LO_PROVIDER_ABANDONED) {
		abandon(si, "logoff --gc --abandon");
		return -EIO;
	}
	if (state == LO_PROVIDER_TIMED_OUT && st->retries > retries_allowed(c) &&
	    abandonable(si)) {
		char why[64];
		snprintf(why, sizeof(why), "timed out %u times", st->retries);
		abandon(si, why);
		return -EIO;
	}
	/* -EBUSY: the provider could not show that what it ends is gone
	 * (the processes provider naming a survivor); run it again. */
	if (state == LO_PROVIDER_LOGGED_ON || state == LO_PROVIDER_LOGGING_OFF ||
	    state == LO_PROVIDER_TIMED_OUT ||
	    (state == LO_PROVIDER_FAILED && status_of(si)->result == -EBUSY)) {
		set_state(si, LO_PROVIDER_LOGGING_OFF, 0);
		lo_record_write(c->ctx->registry, c->rec);
		lo_log(&c->ctx->log, LOG_DEBUG, "session %s: %s: logging off", c->rec->id, si->name);
		r = call_provider(si, false);
		st = status_of(si);
		if (r < 0)
			lo_log(&c->ctx->log, LOG_ERR, "%s: logoff failed: %s", si->name,
			       strerror(-r));
		if (r == -ETIMEDOUT && (c->ctx->deadline_ms || si->bound_ms)) {
			/* Stopped at its bound: what it tracked stays tracked,
			 * and the chain goes on to the next provider. */
			st->retries++;
			if (st->retries > retries_allowed(c) && abandonable(si)) {
				char why[64];
				snprintf(why, sizeof(why), "timed out %u times", st->retries);
				abandon(si, why);
				return -EIO;
			}
			set_state(si, LO_PROVIDER_TIMED_OUT, r);
			c->timed_out = true;
			if (st->retries > retries_allowed(c))
				/* Never abandoned: what it ends may be alive. */
				lo_log(&c->ctx->log, LOG_CRIT, "session %s (user %s): %s: logoff timed "
				       "out %u times; never abandoned, the record stays and every "
				       "sweep tries again", c->rec->id, c->rec->user, si->name,
				       st->retries);
			else
				lo_log(&c->ctx->log, LOG_ERR, "session %s: %s: logoff timed out (%u of "
				       "%u allowed); what it tracks stays for `logoff --gc`",
				       c->rec->id, si->name, st->retries, retries_allowed(c) + 1);
			lo_record_write(c->ctx->registry, c->rec);
			return r;
		}
		left = release_leftovers(si);
		set_state(si, r < 0 || left ? LO_PROVIDER_FAILED : LO_PROVIDER_LOGGED_OFF, r);
		/* Something it ends may live on: the record stays. */
		c->busy |= r == -EBUSY;
		lo_log(&c->ctx->log, r < 0 || left ? LOG_ERR : LOG_INFO, "session %s%s: %s: %s%s%s",
		       c->rec->id, logind_note(c->rec, note, sizeof(note)), si->name,
		       r < 0 || left ? "logoff failed" : "logged off", st->message[0] ? ": " : "",
		       st->message);
	} else {
		/* Never logged on, or failed: nothing to log off, but nothing
		 * it tracked may outlive the session either. */
		r = 0;
		left = release_leftovers(si);
	}
	if (c->rec->n_sub > 0 || c->refs > 1)
		lo_record_write(c->ctx->registry, c->rec);
	return r < 0 ? r : left ? -EIO : 0;
}

/* True when logoff_one will call SI's logoff. */
static bool will_run(const struct support_impl *si)
{
	const struct lo_status *st = &si->chain->rec->status[si->status_index];

	if (si->chain->ctx->abandon && strcmp(si->chain->ctx->abandon, si->name) == 0)
		return false;
	return st->state == LO_PROVIDER_LOGGED_ON || st->state == LO_PROVIDER_LOGGING_OFF ||
	       (st->state == LO_PROVIDER_FAILED && st->result == -EBUSY) ||
	       (st->state == LO_PROVIDER_TIMED_OUT && (st->retries <= retries_allowed(si->chain) ||
						      !abandonable(si)));
}

/*
 * Set the bound of provider I (the next to log off; those after it are
 * 0..I-1). The chain's time is split so a hung provider cannot take the
 * turn of the ones after it: each after it is kept a reserve of SHARE_MS
 * (timeout / (2 x providers to run)), and this one may use the rest, or
 * [logoff] provider_timeout when that is shorter. A provider before it that
 * overran stopped at the deadline less its own reserves, so this one has
 * at least SHARE_MS; what earlier ones did not use flows on to it.
 */
static void set_bound(struct chain *c, size_t i, int64_t deadline_ms, int64_t share_ms)
{
	struct support_impl *si = &c->sup[i];
	int64_t now = lo_now_ms(), bound;
	size_t after = 0;

	for (size_t k = 0; k < i; k++)
		after += will_run(&c->sup[k]);
	bound = deadline_ms - share_ms * (int64_t)after;
	if (c->ctx->config && c->ctx->config->provider_timeout &&
	    now + (int64_t)c->ctx->config->provider_timeout * 1000 < bound)
		bound = now + (int64_t)c->ctx->config->provider_timeout * 1000;
	/* A turn, however short, rather than a bound already past. */
	if (bound < now + 100)
		bound = now + 100;
	si->bound_ms = bound;
}

/* Choose the session id and create its record (written, not yet any
 * provider logged on). */
static int create_record(const struct lo_ctx *ctx, struct lo_record *rec)
{
	uint32_t audit;
	int r;

	if (lo_proc_own_audit_session(&audit) == 0) {
		snprintf(rec->id, sizeof(rec->id), "%u", audit);
		rec->audit = true;
		r = lo_record_create(ctx->registry, rec);
		if (r != -EEXIST)
			return r;
		lo_log(&ctx->log, LOG_WARNING, "a record for audit session %u exists already; "
		       "using a registry id", audit);
		rec->audit = false;
	}
	for (int tries = 0; tries < 16; tries++) {
		r = lo_registry_alloc_id(ctx->registry, rec->id);
		if (r < 0)
			return r;
		r = lo_record_create(ctx->registry, rec);
		if (r != -EEXIST)
			return r;
	}
	return -EEXIST;
}

/* A new record of LOGIN, state opening, one pending status per provider
 * of the config, not yet written. */
static int new_record(const struct lo_ctx *ctx, const struct lo_login *login,
		      struct lo_record **ret)
{
	const struct lo_config *cfg = ctx->config;
	struct lo_record *rec = calloc(1, sizeof(*rec));

	*ret = rec;
	if (!rec)
		return -ENOMEM;
	rec->user = strdup(login->user);
	rec->home = strdup(login->home ? login->home : "");
	rec->service = strdup(login->service ? login->service : "");
	rec->tty = strdup(login->tty ? login->tty : "");
	rec->rhost = strdup(login->rhost ? login->rhost : "");
	rec->logind = strdup(lo_logind_id_valid(login->logind) ? login->logind : "");
	rec->status = calloc(cfg->n_providers ? cfg->n_providers : 1, sizeof(*rec->status));
	if (!rec->user || !rec->home || !rec->service || !rec->tty || !rec->rhost || !rec->logind ||
	    !rec->status)
		return -ENOMEM;
	rec->uid = login->uid;
	rec->gid = login->gid;
	rec->leader_pid = login->leader_pid;
	lo_proc_starttime(login->leader_pid, &rec->leader_start);
	rec->created = time(NULL);
	rec->state = LO_SESSION_OPENING;
	for (size_t i = 0; i < cfg->n_providers; i++) {
		rec->status[i].name = strdup(cfg->providers[i]);
		if (!rec->status[i].name)
			return -ENOMEM;
		rec->status[i].since = rec->created;
		rec->n_status++;
	}
	return 0;
}

/* Log each provider on in order. Returns how many were tried: c->n, or
 * the index after a required provider that failed. */
static size_t logon_each(struct chain *c, bool *ret_failed_required)
{
	const struct lo_ctx *ctx = c->ctx;
	char note[LO_LOGIND_ID_MAX + 16];
	size_t i;

	*ret_failed_required = false;
	for (i = 0; i < c->n; i++) {
		struct support_impl *si = &c->sup[i];
		int r = call_provider(si, true);

		if (r == 0) {
			/* The core's reference, dropped after the provider's
			 * logoff. */
			si->refs = 1;
			c->refs++;
			set_state(si, LO_PROVIDER_LOGGED_ON, 0);
			lo_log(&ctx->log, LOG_INFO, "session %s%s: %s: logged on%s%s", c->rec->id,
			       logind_note(c->rec, note, sizeof(note)), si->name,
			       status_of(si)->message[0] ? ": " : "", status_of(si)->message);
		} else {
			set_state(si, LO_PROVIDER_FAILED, r);
			lo_log(&ctx->log, LOG_ERR, "%s: logon failed: %s", si->name, strerror(-r));
			/* A failed logon is not logged off, but what it opened
			 * before failing is still released. */
			release_leftovers(si);
			if (lo_config_required(ctx->config, si->name)) {
				*ret_failed_required = true;
				return i;
			}
		}
		lo_record_write(ctx->registry, c->rec);
	}
	return i;
}

/* Undo a logon: log off the N providers before the one that failed (or
 * all), in reverse order, as a rollback, and take what they put in the
 * PAM environment back out. */
static void roll_back(struct chain *c, size_t n)
{
	const struct lo_ctx *ctx = c->ctx;

	while (n-- > 0) {
		struct support_impl *si = &c->sup[n];

		if (si->refs == 0)
			continue;
		si->pub.rollback = 1;
		logoff_one(si);
		sup_release(&si->pub);
	}
	if (!c->finished)
		chain_finish(c);
	/* The login goes on without this module (with `optional`): leave
	 * nothing of the undone session in its environment. */
	if (ctx->pam_putenv) {
		for (size_t k = 0; k < c->n_env; k++)
			ctx->pam_putenv(ctx->pamh, c->env_names[k], NULL);
		ctx->pam_putenv(ctx->pamh, "LOGOFF_SESSION_ID", NULL);
	}
}

int lo_chain_logon(const struct lo_ctx *ctx, const struct lo_login *login, char *ret_id)
{
	struct lo_record *rec = NULL;
	struct chain *c = NULL;
	bool failed_required;
	size_t tried;
	int r;

	r = new_record(ctx, login, &rec);
	if (r < 0)
		goto out;
	r = create_record(ctx, rec);
	if (r < 0) {
		lo_log(&ctx->log, LOG_ERR, "cannot create the session record in %s: %s",
		       ctx->registry->path, strerror(-r));
		goto out;
	}
	c = malloc(sizeof(*c));
	if (!c) {
		lo_record_delete(ctx->registry, rec->id);
		r = -ENOMEM;
		goto out;
	}
	chain_init(c, ctx, rec, true);
	if (ctx->pam_putenv) {
		r = ctx->pam_putenv(ctx->pamh, "LOGOFF_SESSION_ID", rec->id);
		if (r < 0)
			lo_log(&ctx->log, LOG_ERR, "cannot set LOGOFF_SESSION_ID: %s", strerror(-r));
	}
	tried = logon_each(c, &failed_required);
	r = 0;
	if (failed_required) {
		lo_log(&ctx->log, LOG_ERR, "required provider %s failed; logging the others off",
		       c->sup[tried].name);
		r = -ECANCELED;
	} else if (c->refs > 0 || rec->n_sub > 0) {
		rec->state = LO_SESSION_ACTIVE;
		r = lo_record_write(ctx->registry, rec);
		/* Without this record the logoff would skip providers it
		 * believes never logged on: undo the logon instead. */
		if (r < 0)
			lo_log(&ctx->log, LOG_ERR, "cannot write the session record: %s; logging "
			       "the providers off again", strerror(-r));
	} else {
		/* No provider is logged on: there is nothing to log off. */
		lo_record_delete(ctx->registry, rec->id);
	}
	if (r < 0) {
		roll_back(c, tried);
		goto out;
	}
	strcpy(ret_id, rec->id);
out:
	if (c)
		for (size_t k = 0; k < c->n_env; k++)
			free(c->env_names[k]);
	free(c);
	lo_record_free(rec);
	return r;
}

/* LO_LOGOFF_IN_PROCESS: can nothing REC tracks block its release? The
 * providers the session was opened with (not today's config: it may have
 * changed since, or come from another pam.d line) are tmpdir, processes
 * and hooks alone, and what is tracked is directories, each empty and no
 * mount point: each is one rmdir. */
static bool releases_in_process(const struct lo_ctx *ctx, const struct lo_record *rec)
{
	for (size_t i = 0; i < rec->n_status; i++) {
		const struct lo_provider_entry *e =
			lo_provider_find(ctx->config->table, rec->status[i].name);

		if (!e || !e->logoff_here)
			return false;
	}
	for (size_t i = 0; i < rec->n_sub; i++) {
		int r;

		if (rec->sub[i].kind != LOGOFF_SUBOBJECT_PATH)
			return false;
		r = lo_dir_empty_here(rec->sub[i].value);
		if (r != 1 && r != -ENOENT)
			return false;
	}
	return true;
}

int lo_chain_logoff(const struct lo_ctx *ctx, const char *id, unsigned flags)
{
	struct lo_record *rec = NULL;
	struct chain *c = NULL;
	char *err = NULL;
	int r, failed = 0;

	if (flags & ~LO_LOGOFF_IN_PROCESS)
		return -EINVAL;
	/* Read, check and claim the record in one locked step, so two
	 * logoffs of one session (close_session and `logoff`) never both
	 * run the chain. */
	r = lo_registry_lock(ctx->registry);
	if (r < 0) {
		lo_log(&ctx->log, LOG_ERR, "%s: cannot lock the registry: %s", ctx->registry->path,
		       strerror(-r));
		return r;
	}
	r = lo_record_read(ctx->registry, id, &rec, &err);
	if (r < 0) {
		lo_registry_unlock(ctx->registry);
		if (r != -ENOENT)
			lo_log(&ctx->log, LOG_ERR, "%s", err ? err : strerror(-r));
		free(err);
		/* -EACCES is kept for "another uid's session". */
		return r == -EACCES ? -EPERM : r;
	}
	if (ctx->check_uid && rec->uid != ctx->expect_uid) {
		lo_registry_unlock(ctx->registry);
		lo_log(&ctx->log, LOG_ERR, "session %s belongs to uid %u, not %u: refusing to log "
		       "it off", id, (unsigned)rec->uid, (unsigned)ctx->expect_uid);
		lo_record_free(rec);
		return -EACCES;
	}
	if (rec->closer_pid > 0 && rec->closer_pid != getpid() &&
	    lo_proc_alive(rec->closer_pid, rec->closer_start)) {
		lo_registry_unlock(ctx->registry);
		lo_log(&ctx->log, LOG_INFO, "session %s is being logged off by process %d", id,
		       (int)rec->closer_pid);
		lo_record_free(rec);
		return -EBUSY;
	}
	if (ctx->abandon && !lo_record_status(rec, ctx->abandon)) {
		lo_registry_unlock(ctx->registry);
		lo_log(&ctx->log, LOG_ERR, "session %s has no provider '%s' to abandon", id,
		       ctx->abandon);
		lo_record_free(rec);
		return -ESRCH;
	}
	if ((flags & LO_LOGOFF_IN_PROCESS) && !releases_in_process(ctx, rec)) {
		lo_registry_unlock(ctx->registry);
		lo_record_free(rec);
		return -EAGAIN;
	}
	rec->state = LO_SESSION_CLOSING;
	rec->closer_pid = getpid();
	lo_proc_starttime(rec->closer_pid, &rec->closer_start);
	r = lo_record_write(ctx->registry, rec);
	lo_registry_unlock(ctx->registry);
	if (r < 0) {
		/* Unclaimed, another logoff could run the chain beside this
		 * one: touch nothing. */
		lo_log(&ctx->log, LOG_ERR, "session %s: cannot mark it closing: %s; not logged off",
		       id, strerror(-r));
		lo_record_free(rec);
		/* -EACCES is kept for "another uid's session". */
		return r == -EACCES ? -EPERM : r;
	}
	lo_log(&ctx->log, LOG_DEBUG, "session %s (%s, %s): logoff begins, %zu provider%s", id,
	       rec->name, rec->user, rec->n_status, rec->n_status == 1 ? "" : "s");
	c = malloc(sizeof(*c));
	if (!c) {
		lo_record_free(rec);
		return -ENOMEM;
	}
	chain_init(c, ctx, rec, false);

	/* Every provider holds one reference for the duration of the chain,
	 * so the record outlives all their logoffs. */
	for (size_t i = 0; i < c->n; i++) {
		c->sup[i].refs = 1;
		c->refs++;
	}
	{
		/* A closer or logoff-helper is killed by its parent at
		 * [logoff] timeout: stop short of that to write the record. */
		int64_t start = lo_now_ms();
		int64_t deadline = ctx->deadline_ms ? ctx->deadline_ms :
				   start + (int64_t)(ctx->config ? ctx->config->timeout : 30) * 1000 -
				   LO_CHAIN_RESERVE_MS;
		size_t to_run = 0;
		int64_t share;

		for (size_t i = 0; i < c->n; i++)
			to_run += will_run(&c->sup[i]);
		share = to_run && deadline > start ? (deadline - start) / (2 * (int64_t)to_run) : 0;
		for (size_t i = c->n; i-- > 0;) {
			if (will_run(&c->sup[i]))
				set_bound(c, i, deadline, share);
			if (logoff_one(&c->sup[i]) < 0)
				failed++;
			sup_release(&c->sup[i].pub);
		}
	}
	if (!c->finished)
		chain_finish(c);	/* no provider at all */
	r = c->finish_result;
	if (r == 0 && failed)
		lo_log(&ctx->log, LOG_WARNING, "session %s: %d provider%s reported a failure; "
		       "everything tracked was released", id, failed, failed == 1 ? "" : "s");
	free(c);
	lo_record_free(rec);
	return r;
}

int lo_chain_mark_timed_out(const struct lo_ctx *ctx, const char *id)
{
	struct lo_record *rec = NULL;
	size_t i = 0;
	int r;

	r = lo_registry_lock(ctx->registry);
	if (r < 0)
		return r;
	r = lo_record_read(ctx->registry, id, &rec, NULL);
	if (r < 0)
		goto out;
	/* A helper that outlived SIGKILL (uninterruptible sleep), or another
	 * logoff that claimed the session since, is still working on it:
	 * leave the record to that process. */
	if (rec->closer_pid > 0 && rec->closer_pid != getpid() &&
	    lo_proc_alive(rec->closer_pid, rec->closer_start)) {
		lo_log(&ctx->log, LOG_WARNING, "session %s: process %d is still logging it off; left "
		       "to it", id, (int)rec->closer_pid);
		r = -EBUSY;
		goto out;
	}
	for (size_t k = 0; k < rec->n_status; k++) {
		struct lo_status *st = &rec->status[k];
		if (st->state == LO_PROVIDER_LOGGING_OFF || st->state == LO_PROVIDER_LOGGED_ON) {
			/* The one that was running when the closer was killed
			 * used a try; those after it never ran. */
			if (st->state == LO_PROVIDER_LOGGING_OFF)
				st->retries++;
			st->state = LO_PROVIDER_TIMED_OUT;
			st->result = -ETIMEDOUT;
			st->since = time(NULL);
		}
	}
	/* A hook still running past the deadline is ended now. */
	while (i < rec->n_sub) {
		struct lo_subobject *s = &rec->sub[i];
		if (s->kind == LOGOFF_SUBOBJECT_PROCESS &&
		    lo_release_process(s->value, &ctx->log) == 0) {
			lo_record_remove_sub(rec, s->provider, s->kind, s->value);
			continue;
		}
		i++;
	}
	rec->state = LO_SESSION_TIMED_OUT;
	rec->closer_pid = 0;
	rec->closer_start = 0;
	r = lo_record_write(ctx->registry, rec);
out:
	lo_registry_unlock(ctx->registry);
	lo_record_free(rec);
	return r;
}

int lo_chain_provider_call(const struct lo_ctx *ctx, const char *id, const char *name, bool logon,
			   bool rollback, int *ret_result)
{
	struct lo_record *rec = NULL;
	struct support_impl *si = NULL;
	struct chain *c;
	int r;

	*ret_result = -ENOENT;
	r = lo_record_read(ctx->registry, id, &rec, NULL);
	if (r < 0)
		return r;
	c = malloc(sizeof(*c));
	if (!c) {
		lo_record_free(rec);
		return -ENOMEM;
	}
	chain_init(c, ctx, rec, logon);
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->sup[i].name, name) == 0)
			si = &c->sup[i];
	if (!si) {
		r = -ENOENT;
	} else {
		/* References a provider takes and drops here must never finish
		 * the chain: the session is the module's, not ours. */
		c->refs = (int)c->n + 1;
		si->pub.rollback = rollback;
		*ret_result = call_provider(si, logon);
		r = lo_record_write(ctx->registry, rec);
	}
	for (size_t k = 0; k < c->n_env; k++)
		free(c->env_names[k]);
	free(c);
	lo_record_free(rec);
	return r;
}
