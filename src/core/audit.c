/*
 * audit.c - the audit trail of logoffs: the reason a record carries, and
 * the one line (and libaudit record) each logoff writes. See audit.h.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#ifdef HAVE_LIBAUDIT
#include <libaudit.h>
#endif

#include "core/util.h"
#include "core/registry.h"
#include "core/logoff.h"
#include "core/audit.h"

/* "D" of "idle limit D": 1 to 16 of [0-9a-z]. */
static bool duration_word(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 16)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && !islower((unsigned char)s[i]))
			return false;
	return true;
}

bool lo_logoff_reason_valid(const char *reason, uid_t uid)
{
	static const char *const limits[] = { "idle limit", "active limit", "disconnected limit" };
	const char *p;

	if (!reason)
		return false;
	if (strcmp(reason, LO_REASON_LOGOUT) == 0 || strcmp(reason, LO_REASON_STALE) == 0)
		return true;
	if (strncmp(reason, "logoff by uid ", 14) == 0) {
		unsigned long long u = 0;
		p = reason + 14;
		if (!isdigit((unsigned char)*p) || (p[0] == '0' && p[1]) || strlen(p) > 10)
			return false;
		for (; *p; p++) {
			if (!isdigit((unsigned char)*p))
				return false;
			u = u * 10 + (unsigned)(*p - '0');
		}
		return u == 0 || u == (unsigned long long)uid;
	}
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		size_t n = strlen(limits[i]);
		if (strncmp(reason, limits[i], n) != 0)
			continue;
		if (reason[n] == '\0')
			return true;
		return reason[n] == ' ' && duration_word(reason + n + 1);
	}
	return false;
}

int lo_logoff_set_reason(struct lo_registry *registry, const char *id, const char *reason)
{
	struct lo_record *rec = NULL;
	int r;

	if (registry->readonly)
		return -EROFS;
	r = lo_registry_lock(registry);
	if (r < 0)
		return r;
	r = lo_record_read(registry, id, &rec, NULL);
	if (r < 0)
		goto out;
	if (!lo_logoff_reason_valid(reason, rec->uid)) {
		r = -EINVAL;
		goto out;
	}
	r = lo_record_set_data(rec, LO_REASON_DATA_OWNER, LO_REASON_DATA_KEY, reason);
	if (r < 0)
		goto out;
	r = lo_record_write(registry, rec);
out:
	lo_registry_unlock(registry);
	lo_record_free(rec);
	return r;
}

const char *lo_logoff_reason(const struct lo_record *rec, const char *fallback)
{
	const char *carried = rec ? lo_record_get_data(rec, LO_REASON_DATA_OWNER,
						       LO_REASON_DATA_KEY) : NULL;

	if (carried && lo_logoff_reason_valid(carried, rec->uid))
		return carried;
	return fallback && *fallback ? fallback : LO_REASON_LOGOUT;
}

/* TEXT made safe (lo_text_safe) and a single token: spaces, and colons
 * that end a word (": " is the line's separator), become '?', so a user
 * name cannot add a field to the line; an X display ":10" stays. */
static const char *token(const char *text, char *buf, size_t size)
{
	lo_text_safe(buf, size, text ? text : "");
	for (char *p = buf; *p; p++)
		if (*p == ' ' || (*p == ':' && (p[1] == ' ' || p[1] == '\0')))
			*p = '?';
	return buf[0] ? buf : "-";
}

/* "partial: WHAT": what AFTER still tracks, or the providers that did
 * not log off. */
#define LO_SAFE_VALUE_MAX 512

static void partial_what(const struct lo_record *after, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	if (!after) {
		snprintf(buf, size, "record kept");
		return;
	}
	for (size_t i = 0; i < after->n_sub && n + 1 < size; i++) {
		char value[LO_SAFE_VALUE_MAX];
		int w;

		/* A value is a path the user may have named ("/x: result
		 * done"): no space in it, so the line splits one way only. */
		lo_text_safe(value, sizeof(value), after->sub[i].value ? after->sub[i].value : "");
		for (char *p = value; *p; p++)
			if (*p == ' ')
				*p = '?';
		w = snprintf(buf + n, size - n, "%s%s %s", i ? ", " : "",
			     lo_subobject_kind_name(after->sub[i].kind), value);
		if (w < 0 || (size_t)w >= size - n) {
			/* Cut: say so where it was cut. */
			if (size > 4)
				memcpy(buf + size - 4, "...", 4);
			return;
		}
		n += (size_t)w;
	}
	if (after->n_sub)
		return;
	for (size_t i = 0; i < after->n_status && n + 1 < size; i++) {
		const struct lo_status *st = &after->status[i];
		int w;

		if (st->state != LO_PROVIDER_FAILED && st->state != LO_PROVIDER_TIMED_OUT)
			continue;
		w = snprintf(buf + n, size - n, "%s%s %s", n ? ", " : "", st->name,
			     lo_provider_state_name(st->state));
		if (w < 0 || (size_t)w >= size - n)
			return;
		n += (size_t)w;
	}
	if (!n)
		snprintf(buf, size, "record kept");
}

static const char *result_text(enum lo_logoff_outcome outcome, const struct lo_record *after,
			       char *buf, size_t size)
{
	char what[320];

	switch (outcome) {
	case LO_LOGOFF_DONE:
		return "done";
	case LO_LOGOFF_PARTIAL:
		partial_what(after, what, sizeof(what));
		snprintf(buf, size, "partial: %s", what);
		return buf;
	case LO_LOGOFF_TIMED_OUT:
		return "timed out";
	default:
		return "failed";
	}
}

size_t lo_audit_format(char *buf, size_t size, const char *id, const struct lo_record *before,
		       const char *reason, enum lo_logoff_outcome outcome,
		       const struct lo_record *after)
{
	char res[400], why[LO_REASON_MAX + 1], user[256], name[LO_NAME_MAX + 1];
	char logind[LO_LOGIND_ID_MAX + 16] = "";
	const char *rt;

	if (size == 0)
		return 0;
	snprintf(why, sizeof(why), "%s", reason ? reason : LO_REASON_LOGOUT);
	rt = result_text(outcome, after, res, sizeof(res));
	if (!before) {
		snprintf(buf, size, "logoff: session %s: reason %s: result %s", id, why, rt);
	} else {
		if (before->logind && *before->logind)
			snprintf(logind, sizeof(logind), " logind %s", before->logind);
		snprintf(buf, size, "logoff: session %s (%s) user %s uid %u%s: reason %s: result %s",
			 id, token(before->name ? before->name : id, name, sizeof(name)),
			 token(before->user, user, sizeof(user)), (unsigned)before->uid, logind, why,
			 rt);
	}
	/* The reason may be a caller's free text, the result a subobject's
	 * value: the whole line is made safe once more. */
	return lo_text_safe(buf, size, buf);
}

#ifdef HAVE_LIBAUDIT
/* The AUDIT_USER_LOGOUT record. Every failure is ignored: no audit in
 * the kernel (EPROTONOSUPPORT), no right to write (EPERM in a container),
 * no auditd (ECONNREFUSED). */
static void audit_record(const char *id, const struct lo_record *before, const char *reason,
			 enum lo_logoff_outcome outcome)
{
	char *r = NULL, *acct = NULL, *msg = NULL;
	char why[LO_REASON_MAX + 1], user[256];
	int fd = audit_open();

	if (fd < 0)
		return;
	lo_text_safe(why, sizeof(why), reason);
	lo_text_safe(user, sizeof(user), before && before->user ? before->user : "?");
	/* Values with spaces are quoted, others hex-encoded, as auditd
	 * expects (audit_encode_nv_string(3)). */
	r = audit_encode_nv_string("reason", why, 0);
	acct = audit_encode_nv_string("acct", user, 0);
	if (r && acct)
		msg = lo_strdupf("op=logoff %s logoff_id=%s %s", r, id, acct);
	if (msg)
		audit_log_user_message(fd, AUDIT_USER_LOGOUT, msg, NULL, NULL,
				       before && before->tty && *before->tty ? before->tty : NULL,
				       outcome == LO_LOGOFF_DONE);
	free(msg);
	free(acct);
	free(r);
	audit_close(fd);
}
#endif

void lo_audit_logoff(const char *id, const struct lo_record *before, const char *reason,
		     enum lo_logoff_outcome outcome, const struct lo_record *after)
{
	char line[1024];

	lo_audit_format(line, sizeof(line), id, before, reason, outcome, after);
	syslog(LOG_AUTHPRIV | (outcome == LO_LOGOFF_DONE ? LOG_NOTICE : LOG_WARNING), "%s", line);
#ifdef HAVE_LIBAUDIT
	{
		int saved = errno;
		audit_record(id, before, reason, outcome);
		errno = saved;
	}
#endif
}
