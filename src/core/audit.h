/*
 * audit.h - the audit trail of logoffs: one line per logoff in syslog
 * (authpriv), and with libaudit an AUDIT_USER_LOGOUT record, naming the
 * session, the user, who or what ended it (the reason) and the result.
 * Modeled on the Windows pair 4647 ("User initiated logoff") / 4634
 * ("An account was logged off") that auditors correlate by logon id:
 * here the one line carries both, keyed by the session id (and logind's
 * id when recorded).
 * Conventions: see util.h.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_CORE_AUDIT_H
#define LO_CORE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/util.h"
#include "core/registry.h"

enum lo_logoff_outcome;

/* The longest reason, in bytes: longer ones are cut in the line. */
#define LO_REASON_MAX 128

/*
 * The record's data entry that carries the reason of a logoff asked for
 * by someone other than the login manager (`data @core reason TEXT`).
 * "@core" cannot be a provider's name (lo_plugin_name_valid), so no
 * provider's set_data can write it.
 */
#define LO_REASON_DATA_OWNER "@core"
#define LO_REASON_DATA_KEY "reason"

/* The reasons pam_logoff itself gives. */
#define LO_REASON_LOGOUT "logout"	/* pam_sm_close_session on its own */
#define LO_REASON_STALE "stale"		/* the sweep (`logoff --gc`) */

/*
 * True when REASON may be read back from the record of a session of
 * uid UID and put in the audit trail: "logout", "stale", "logoff by uid
 * N" where N is 0 or UID (only root or the session's own user may log a
 * session off, lo_cli_may_logoff), or "idle limit D", "active limit D",
 * "disconnected limit D" (D: 1 to 16 of [0-9a-z], a duration as
 * logoff.conf writes it, "15min"; "idle limit" alone too). Anything
 * else (a control character, another uid, free text) is refused, so
 * whoever could write a record cannot forge an arbitrary reason into
 * root's audit trail.
 */
bool lo_logoff_reason_valid(const char *reason, uid_t uid);

/*
 * Carry REASON in the record of session ID, for the process that will
 * run its logoff chain (close_session in the login manager, a forked
 * closer, logoff-helper, the sweep) to name it in the audit line: what
 * `logoff SESSION` writes before it signals the session, and what the
 * limits sweep writes before it acts. Read, set and written under the
 * registry lock. REASON must pass lo_logoff_reason_valid for the
 * record's uid. Returns 0, -EINVAL (a reason refused), -ENOENT (no such
 * record), -EROFS (a registry opened read-only: a user facing root's
 * registry cannot write; close_session then says "logout"), or
 * lo_record_read's and lo_record_write's errors.
 */
int lo_logoff_set_reason(struct lo_registry *registry, const char *id, const char *reason);

/*
 * The reason to write for a logoff of REC (may be NULL): the one the
 * record carries when it passes lo_logoff_reason_valid, else FALLBACK
 * (the caller's, lo_logoff_request.reason), else "logout".
 */
const char *lo_logoff_reason(const struct lo_record *rec, const char *fallback);

/*
 * Format the audit line of a logoff of session ID into BUF (SIZE bytes,
 * NUL-terminated):
 *   logoff: session ID (NAME) user USER uid UID[ logind L]: reason R: result RES
 * BEFORE is the record as the logoff found it (NULL when it could not be
 * read: then only "logoff: session ID: reason R: result RES"); AFTER the
 * record as the logoff left it (NULL: gone). RES is "done", "partial:
 * WHAT" (the subobjects still tracked, or the providers that failed),
 * "timed out" or "failed". Every string passes lo_text_safe, and USER
 * has its spaces and colons replaced by '?', so the line splits the
 * same way whatever a user or the network named. Returns the length.
 */
size_t lo_audit_format(char *buf, size_t size, const char *id, const struct lo_record *before,
		       const char *reason, enum lo_logoff_outcome outcome,
		       const struct lo_record *after);

/*
 * Write the audit line (lo_audit_format) with syslog(3), facility
 * authpriv, LOG_NOTICE for a logoff done and LOG_WARNING otherwise,
 * whatever the calling process does with its other lines (pam_syslog,
 * a pipe to the parent, stderr): the trail has one place. Built with
 * libaudit (configure --with-libaudit), also an AUDIT_USER_LOGOUT record
 * (audit_log_user_message(3): "op=logoff reason=R logoff_id=ID acct=U",
 * result success only for "done"); an audit socket that cannot be
 * opened or written (no audit in the kernel, EPERM or ECONNREFUSED in a
 * container) is ignored: the logoff never fails for it. Called once per
 * logoff by lo_logoff_session, for the outcomes done, partial, timed
 * out and error; nothing for no session, busy or another uid's.
 */
void lo_audit_logoff(const char *id, const struct lo_record *before, const char *reason,
		     enum lo_logoff_outcome outcome, const struct lo_record *after);

#endif /* LO_CORE_AUDIT_H */
