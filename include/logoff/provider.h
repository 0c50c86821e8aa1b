/*
 * logoff/provider.h - the pam_logoff provider ABI, version 1.0.
 *
 * A provider is one identity provider of a login session: something that
 * opens resources for the session at logon and releases them at logoff.
 * The model is MAPI's provider logon/logoff (IABLogon::Logoff,
 * IMSLogon::Logoff): at logoff a provider releases its open subobjects,
 * then its status object, then the support object the core gave it.
 *
 * Versioning follows sudo_plugin.h: abi_version is the first member of
 * every struct, the major number must match exactly, new members are only
 * ever appended and are gated on the minor number.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LOGOFF_PROVIDER_H
#define LOGOFF_PROVIDER_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LOGOFF_ABI_MAJOR 1
#define LOGOFF_ABI_MINOR 0
/* Pack a major and minor number into one abi_version value. */
#define LOGOFF_ABI_MKVERSION(major, minor) (((unsigned)(major) << 16) | (unsigned)(minor))
#define LOGOFF_ABI_VERSION LOGOFF_ABI_MKVERSION(LOGOFF_ABI_MAJOR, LOGOFF_ABI_MINOR)
#define LOGOFF_ABI_GET_MAJOR(v) ((unsigned)(v) >> 16)
#define LOGOFF_ABI_GET_MINOR(v) ((unsigned)(v) & 0xffffu)

/*
 * Kinds of subobject the core knows how to release. A provider tracks each
 * resource it opens for a session *before* it opens it, so that a crash in
 * between leaves a record of it; whatever is still tracked after the
 * provider's logoff is released by the core and counted as a provider fault.
 */
enum logoff_subobject_kind {
	/* value "PID:STARTTIME": STARTTIME is field 22 of /proc/PID/stat
	 * (clock ticks since boot), so a reused pid is never signalled.
	 * Released with SIGKILL to the process group it leads (or the
	 * process) through a pidfd. */
	LOGOFF_SUBOBJECT_PROCESS = 1,
	/* value: an absolute path. Released by removing it recursively with
	 * openat/unlinkat, never following a symlink and never crossing into
	 * another file system. */
	LOGOFF_SUBOBJECT_PATH = 2,
	/* value: a key serial number (decimal) of a keyring owned by the
	 * session's uid. Released by revoking it (keyctl_revoke) as that uid,
	 * after checking that the serial still names a keyring of that uid:
	 * a reused serial is never revoked. */
	LOGOFF_SUBOBJECT_KEYRING = 3,
	/* value "UID:GID:NAME": a credential cache NAME (a KRB5CCNAME value
	 * such as FILE:/tmp/krb5cc_1000_ab12) and the uid and gid of the
	 * session's user. Released by destroying the cache in a child that
	 * runs as UID and GID (never with more privileges), FILE, DIR and
	 * KEYRING (persistent, user) caches only; a missing one counts as
	 * released. Reserved for the krb5 provider; released by the core
	 * only when pam_logoff was built with libkrb5. */
	LOGOFF_SUBOBJECT_KRB5_CCACHE = 4,
	/* value "ID:UNIQUE:TARGET": ID the mount's id (field 1 of
	 * /proc/self/mountinfo), UNIQUE its never-reused id (statx
	 * STATX_MNT_ID_UNIQUE, Linux 6.8; 0 when the kernel has none),
	 * TARGET its mount point, canonical and absolute. Released by
	 * unmounting TARGET, reached without following any symlink, only
	 * while the mount there is still that one; a busy mount is retried
	 * for a second and never detached. Tracked by the mounts provider. */
	LOGOFF_SUBOBJECT_MOUNT = 5,
};

/* Priorities for support->log: the syslog(3) LOG_* values. */

/*
 * The identity of the session, filled in by the core from the PAM items and
 * the passwd entry at logon, and from the session record at logoff. Strings
 * are never NULL ("" where PAM had no value) and live as long as the
 * support object.
 */
struct logoff_identity {
	const char *session_id;	/* LOGOFF_SESSION_ID: audit id or "rN" */
	const char *user;	/* PAM_USER */
	uid_t uid;
	gid_t gid;
	const char *home;	/* pw_dir */
	const char *service;	/* PAM_SERVICE */
	const char *tty;	/* PAM_TTY */
	const char *rhost;	/* PAM_RHOST */
	pid_t leader_pid;	/* the process that called pam_open_session */
	int audit_session;	/* 1 when session_id is an audit session id
				 * this login created (pam_loginuid) */
};

/*
 * The support object: what the core hands a provider at logon and again at
 * logoff. All of a provider's contact with the session goes through it;
 * providers never touch PAM, the registry or each other directly.
 * Every function returns 0 or a positive count on success and a negative
 * errno value on failure, unless said otherwise.
 */
struct logoff_support {
	unsigned int abi_version;	/* LOGOFF_ABI_VERSION of the core */
	const struct logoff_identity *identity;

	/* Log one line at a syslog priority (LOG_ERR .. LOG_DEBUG), printf
	 * style, prefixed with the provider's name. LOG_DEBUG lines appear only
	 * with the `debug` module argument. */
	void (*log)(struct logoff_support *support, int priority, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

	/* Value of variable NAME in the session's PAM environment, or NULL.
	 * At logoff (which runs in logoff-helper) the PAM environment is not
	 * reachable and this returns NULL: keep what logoff needs in a
	 * subobject. */
	const char *(*getenv)(struct logoff_support *support, const char *name);

	/* Set NAME=VALUE in the session's PAM environment (pam_putenv). Only
	 * during logon. Errors: -EINVAL for a bad name, -ENOTSUP at logoff,
	 * -ENOMEM. */
	int (*putenv)(struct logoff_support *support, const char *name, const char *value);

	/* Record a subobject of KIND (enum logoff_subobject_kind) with VALUE
	 * in the session record, durably (the record is rewritten before this
	 * returns). Tracking the same KIND and VALUE twice is a no-op.
	 * Errors: -EINVAL for an unknown kind or a VALUE that is empty, longer
	 * than 4095 bytes or, for a path, not absolute; -E2BIG when the
	 * session record would grow past its limit (1 MiB, less room kept for
	 * the logoff's own updates): not tracked, so do not open the
	 * resource; -ENOSPC, -EIO and other write errors from the registry. */
	int (*track)(struct logoff_support *support, int kind, const char *value);

	/* Forget a subobject once the provider has released it. Errors:
	 * -ENOENT if it is not tracked by this provider, registry write
	 * errors. */
	int (*untrack)(struct logoff_support *support, int kind, const char *value);

	/* Walk this provider's tracked subobjects: INDEX from 0; sets *ret_kind
	 * and *ret_value (valid until the next track/untrack). Returns 0, or
	 * -ENOENT past the last one. */
	int (*subobject)(struct logoff_support *support, size_t index, int *ret_kind,
			 const char **ret_value);

	/* Set the message of this provider's status object (shown by
	 * `logoff --status`), printf style; at most 255 bytes are kept. */
	int (*set_status)(struct logoff_support *support, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));

	/* Value of KEY in the provider's section of logoff.conf, or the default
	 * the provider declared in config_keys. NULL for an undeclared key. */
	const char *(*config)(struct logoff_support *support, const char *key);

	/* Number of other open sessions of the same user in the registry
	 * (the user's other logins), or a negative errno. */
	int (*user_sessions)(struct logoff_support *support);

	/* Keep a small piece of this provider's state in the session record,
	 * durably (rewritten before this returns), for its logoff, which runs
	 * in another process: KEY is 1..32 of [a-z0-9_], VALUE at most 4095
	 * bytes; VALUE NULL removes KEY. Not a subobject: the core never
	 * releases data. Errors: -EINVAL for a bad KEY or VALUE, -ENOMEM,
	 * -E2BIG when the session record would grow past its limit (as for
	 * track; the old VALUE is kept), registry write errors (-ENOSPC,
	 * -EIO). */
	int (*set_data)(struct logoff_support *support, const char *key, const char *value);

	/* The VALUE set_data kept for KEY, or NULL. Valid until the next
	 * set_data of that KEY. */
	const char *(*get_data)(struct logoff_support *support, const char *key);

	/* Take and drop a reference on the support object. The core holds one
	 * for each provider that is logged on; a provider that hands work to
	 * something that outlives its logoff call takes its own. When the last
	 * reference of a session is dropped the session record is deleted
	 * (kept, marked failed, while a subobject is still tracked). */
	void (*addref)(struct logoff_support *support);
	void (*release)(struct logoff_support *support);

	/* 1 when the core runs with root privileges; providers that need root
	 * skip their work otherwise and say so with set_status. */
	int privileged;

	/* 1 when this logoff undoes a logon that open_session could not
	 * complete (a required provider failed, or the record could not be
	 * written). It then runs inside the login manager's process and the
	 * session never started: release only what this provider opened;
	 * end nothing else of the user's. */
	int rollback;

	void *core;	/* private to the core */
};

/* Types of a config key, checked when logoff.conf is read. */
enum logoff_config_type {
	LOGOFF_CONFIG_STRING = 1,
	LOGOFF_CONFIG_SECONDS,	/* a whole number of seconds, 0..86400 */
	LOGOFF_CONFIG_BOOL,	/* yes/no, true/false, on/off, 1/0 */
	LOGOFF_CONFIG_PATH,	/* an absolute path */
	LOGOFF_CONFIG_LIST,	/* words separated by spaces or commas */
};

/* One key a provider accepts in its section of logoff.conf. */
struct logoff_config_key {
	const char *name;
	enum logoff_config_type type;
	const char *default_value;
	/* For a STRING key with a fixed set of values: a NULL-terminated list
	 * of them, else NULL. */
	const char *const *choices;
};

/*
 * A provider. Built-in providers and plugins use the same struct.
 *
 * logon(support, flags): called at pam_sm_open_session, in configured
 * order. Returns 0, or a negative errno: the provider is then marked failed
 * and is not logged off; if it is `required`, the providers already logged
 * on are logged off again and open_session fails.
 *
 * logoff(support, flags): called at pam_sm_close_session (in
 * logoff-helper), by `logoff`, or by the stale-session sweep, in reverse
 * logon order. Releases every subobject the provider opened (untracking
 * each), then its status object. FLAGS is reserved in ABI 1.0 and must be
 * 0; the core never passes anything else, and rejects any other value with
 * EINVAL (as MAPI's IABLogon::Logoff ulFlags). Returns 0 or a negative
 * errno; every provider is logged off even when an earlier one failed.
 */
struct logoff_provider {
	unsigned int abi_version;	/* LOGOFF_ABI_VERSION the provider was built with */
	const char *name;		/* [a-z0-9_]+, also its logoff.conf section */
	int (*logon)(struct logoff_support *support, unsigned int flags);
	int (*logoff)(struct logoff_support *support, unsigned int flags);
	/* Keys accepted in the provider's section, terminated by a {NULL}
	 * entry; NULL for none. */
	const struct logoff_config_key *config_keys;
};

#ifdef __cplusplus
}
#endif
#endif /* LOGOFF_PROVIDER_H */
