/*
 * krb5.c - the krb5 provider: destroys the session's Kerberos credential
 * cache at logoff.
 *
 * It opens nothing itself: pam_krb5 or pam_sss earlier in the stack made
 * the cache and named it in KRB5CCNAME. Logon notes that name in the
 * session record, because logoff runs in logoff-helper, which has no PAM
 * environment; logoff destroys exactly that cache, with the user's
 * privileges (src/core/release_krb5cc.c). No KRB5CCNAME means nothing to
 * do: the default cache (/tmp/krb5cc_UID) may be shared with the user's
 * other sessions, so it is never guessed.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "providers/support.h"
#include "providers/providers.h"

static const struct logoff_config_key keys[] = {
	{ "retain", LOGOFF_CONFIG_BOOL, "no", NULL },
	{ NULL, 0, NULL, NULL },
};

static int krb5_logon(struct logoff_support *s, unsigned flags)
{
	const struct logoff_identity *id = s->identity;
	const char *name = s->getenv(s, "KRB5CCNAME");
	char value[LO_VALUE_MAX + 1];
	const char *why = NULL;
	bool shared;
	int r;

	if (!name || !*name) {
		s->set_status(s, "no KRB5CCNAME in the PAM environment: no credential cache to "
			      "destroy");
		return 0;
	}
	r = lo_krb5_ccache_check(name, id->uid, &shared, &why);
	if (r < 0) {
		/* Not ours to destroy; the login goes on, and the status
		 * object says why the cache will outlive the session. */
		s->log(s, LOG_WARNING, "%s: %s; it will not be destroyed at logoff", name, why);
		s->set_status(s, "%s: %s; not destroyed at logoff", name, why);
		return 0;
	}
	r = lo_krb5_ccache_value(id->uid, id->gid, name, value, sizeof(value));
	if (r < 0)
		return r;
	r = s->set_data(s, "ccache", name);
	if (r < 0)
		return r;
	r = s->track(s, LOGOFF_SUBOBJECT_KRB5_CCACHE, value);
	if (r < 0)
		return r;
	s->set_status(s, "noted %s%s", name,
		      shared ? " (shared by the user's sessions: destroyed by the last one)" : "");
	return 0;
}

/* Status messages are cut at 255 bytes anyway: truncation is fine. */
static LO_ATTR_PRINTF(3, 4) void say(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

/* Release one tracked cache. Returns 0 (destroyed, gone or retained, and
 * untracked) or a negative errno; *RET_MSG gets the status message. */
static int release_one(struct logoff_support *s, const char *value, bool retain, char *ret_msg,
		       size_t size)
{
	const struct logoff_identity *id = s->identity;
	char why[256];
	const char *name;
	bool shared = false;
	uid_t uid;
	gid_t gid;
	int r;

	if (lo_krb5_ccache_parse(value, &uid, &gid, &name) < 0) {
		say(ret_msg, size, "cannot read the tracked cache '%s'", value);
		return -EINVAL;
	}
	if (retain) {
		say(ret_msg, size, "retained %s", name);
		s->untrack(s, LOGOFF_SUBOBJECT_KRB5_CCACHE, value);
		return 0;
	}
	r = lo_krb5_ccache_check(name, uid, &shared, NULL);
	if (r == 0 && shared) {
		int others = s->user_sessions(s);

		/* A keyring collection (KEYRING:persistent:UID): the user's
		 * other sessions use the same primary cache. Left to the last
		 * one; a count that cannot be read keeps it too. */
		if (others != 0) {
			if (others > 0)
				say(ret_msg, size, "retained %s: shared with the user's %d other "
					 "session%s", name, others, others == 1 ? "" : "s");
			else
				say(ret_msg, size, "retained %s: cannot count the user's other "
					 "sessions (%s)", name, strerror(-others));
			s->untrack(s, LOGOFF_SUBOBJECT_KRB5_CCACHE, value);
			return 0;
		}
	}
	r = lo_release_krb5_ccache(value, id->user, NULL, why, sizeof(why));
	if (r >= 0) {
		say(ret_msg, size, r == 0 ? "destroyed %s" : "%s was already gone", name);
		s->untrack(s, LOGOFF_SUBOBJECT_KRB5_CCACHE, value);
		return 0;
	}
	if (r == -EACCES || r == -ENOTSUP || r == -EINVAL) {
		/* Refused for good: not the user's cache (another user's file,
		 * a symlink, a type out of reach). Retrying can never change
		 * that, and root must not try; a record kept for it would only
		 * fail every sweep. */
		say(ret_msg, size, "refused %s: %s", name, why);
		s->log(s, LOG_ERR, "refused to destroy %s: %s", name, why);
		s->untrack(s, LOGOFF_SUBOBJECT_KRB5_CCACHE, value);
		return r;
	}
	/* Anything else may pass (a timeout, a libkrb5 error): left tracked,
	 * so the core's releaser tries again, and the sweep after it. */
	say(ret_msg, size, "cannot destroy %s: %s", name, why);
	s->log(s, LOG_ERR, "cannot destroy %s: %s", name, why);
	return r;
}

static int krb5_logoff(struct logoff_support *s, unsigned flags)
{
	char msg[256] = "", value[LO_VALUE_MAX + 1];
	const char *v = NULL;
	bool retain = false;
	size_t i = 0;
	int kind, r, err = 0;

	if (flags != 0)
		return -EINVAL;
	if (lo_parse_bool(s->config(s, "retain"), &retain) < 0)
		retain = false;
	while (s->subobject(s, i, &kind, &v) == 0) {
		if (kind != LOGOFF_SUBOBJECT_KRB5_CCACHE) {
			i++;
			continue;
		}
		/* V is valid only until the next untrack. */
		snprintf(value, sizeof(value), "%s", v);
		r = release_one(s, value, retain, msg, sizeof(msg));
		if (r < 0) {
			err = r;
			/* Still tracked: step over it. */
			if (s->subobject(s, i, &kind, &v) == 0 && strcmp(v, value) == 0)
				i++;
		}
	}
	/* Nothing tracked: logon's message (no KRB5CCNAME, a cache out of
	 * reach) or an earlier logoff's still says what happened. */
	if (msg[0])
		s->set_status(s, "%s", msg);
	return err;
}

const struct logoff_provider lo_provider_krb5 = {
	.abi_version = LOGOFF_ABI_VERSION,
	.name = "krb5",
	.logon = krb5_logon,
	.logoff = krb5_logoff,
	.config_keys = keys,
};
