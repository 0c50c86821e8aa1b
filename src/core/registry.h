/*
 * registry.h - the session registry: records, ids, names, the per-user
 * index and the lock.
 * Conventions: see util.h.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_CORE_REGISTRY_H
#define LO_CORE_REGISTRY_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "logoff/provider.h"
#include "core/util.h"

#define LO_REGISTRY_DEFAULT "/run/logoff"
#define LO_RECORD_FORMAT 1
#define LO_ID_MAX 32
#define LO_NAME_MAX 64

/* Session states (the record as a whole). */
enum lo_session_state {
	LO_SESSION_OPENING = 0,
	LO_SESSION_ACTIVE,
	LO_SESSION_CLOSING,
	LO_SESSION_FAILED,	/* a release failed; `logoff --gc` retries */
	LO_SESSION_TIMED_OUT,	/* the logoff deadline passed */
};

/* Status object states (one provider in one session). */
enum lo_provider_state {
	LO_PROVIDER_PENDING = 0,	/* not logged on yet */
	LO_PROVIDER_LOGGED_ON,
	LO_PROVIDER_LOGGING_OFF,
	LO_PROVIDER_LOGGED_OFF,
	LO_PROVIDER_FAILED,
	LO_PROVIDER_TIMED_OUT,	/* its logoff overran its bound; the sweep retries it */
	/* Its logoff timed out more than [logoff] retries times (or root ran
	 * `logoff --gc --abandon`): no longer run, what it tracked dropped
	 * from the record unreleased (named in a LOG_CRIT line). */
	LO_PROVIDER_ABANDONED,
};

/* Names as records and `logoff --json` spell them ("active", "logged-on",
 * "process"); "unknown" for a value out of range. */
const char *lo_session_state_name(int state);
const char *lo_provider_state_name(int state);
const char *lo_subobject_kind_name(int kind);

struct lo_status {
	char *name;		/* provider name */
	int state;		/* enum lo_provider_state */
	int result;		/* last logon/logoff return, negative errno or 0 */
	unsigned faults;	/* subobjects the core had to release for it */
	time_t since;		/* when state was last set, epoch seconds */
	/* Logoffs of this provider that timed out so far (record line
	 * "retries NAME N", absent for 0); more than [logoff] retries
	 * abandons it. */
	unsigned retries;
	char message[256];
};

struct lo_subobject {
	char *provider;
	int kind;		/* enum logoff_subobject_kind */
	char *value;
};

/* A piece of provider state (support->set_data). */
struct lo_data {
	char *provider;
	char *key;		/* [a-z0-9_]{1,32} */
	char *value;
};

/* One session record, in memory. */
struct lo_record {
	char id[LO_ID_MAX + 1];
	char *user, *home, *service, *tty, *rhost;
	char *name;		/* unique session name (lo_session_name_valid) */
	char *logind;		/* logind's (elogind's) id of the same session, "" if none */
	uid_t uid;
	gid_t gid;
	pid_t leader_pid;
	unsigned long long leader_start;	/* clock ticks since boot */
	bool audit;		/* id is an audit session id this login created */
	time_t created;
	int state;		/* enum lo_session_state */
	pid_t closer_pid;	/* the process running the logoff chain, 0: none */
	unsigned long long closer_start;	/* its start time, clock ticks */
	struct lo_status *status;
	size_t n_status;
	struct lo_subobject *sub;
	size_t n_sub;
	struct lo_data *data;
	size_t n_data;
};

struct lo_registry {
	char *path;
	int dirfd;		/* the registry directory */
	int sessfd;		/* <registry>/sessions */
	int usersfd;		/* <registry>/users: users/<uid>/<id> index */
	int namesfd;		/* <registry>/names: names/<name> -> id; -1 if absent */
	int lockfd;		/* <registry>/lock, 0600; -1 when read-only */
	uid_t owner;		/* owner of the registry directory */
	bool readonly;		/* opened to read only: never locked or written */
	int lockdepth;
};

/* lo_registry_open flags. */
#define LO_REGISTRY_CREATE 1	/* make missing directories */
#define LO_REGISTRY_READONLY 2	/* read another owner's (root's) registry */

/*
 * Open the registry at PATH (absolute). With LO_REGISTRY_CREATE, missing
 * directories are made (0755: records are readable by everyone, like utmp,
 * so `logoff --list` works for any user; only the owner writes). The
 * registry and its subdirectories are opened with O_NOFOLLOW and must be
 * owned by the caller, or with LO_REGISTRY_READONLY by root too, and not
 * writable by group or others. A registry owned by someone else is always
 * opened read-only: lo_registry_lock then fails with -EROFS. The lock is
 * <registry>/lock, a file of mode 0600 that only the owner can open, so a
 * user can never hold the lock that logins take.
 * Returns 0 and *ret_registry, or a negative errno and a message in
 * *ret_error: -ENOENT (missing, no CREATE), -EPERM (unsafe owner/mode),
 * -ELOOP (a symlink), and the errno of mkdir/open.
 */
int lo_registry_open(const char *path, int flags, struct lo_registry **ret_registry,
		     char **ret_error);
void lo_registry_close(struct lo_registry *registry);

/* Take/drop the registry lock (flock on <registry>/lock), nestable.
 * Held only around record reads and writes, never across a provider call.
 * -EROFS on a registry opened read-only. */
int lo_registry_lock(struct lo_registry *registry);
void lo_registry_unlock(struct lo_registry *registry);

/* True when ID is a valid session id: 1..32 of [A-Za-z0-9_-], not
 * starting with '-' or '.', so it can never name a path outside the
 * registry. */
bool lo_id_valid(const char *id);

/* Allocate a new registry id "rN" (a counter kept in <registry>/next-id)
 * into BUF (at least LO_ID_MAX+1 bytes). Takes the lock. */
int lo_registry_alloc_id(struct lo_registry *registry, char *buf);

/* Largest record lo_record_read accepts, in bytes; no write makes one
 * larger. */
#define LO_RECORD_MAX_BYTES ((size_t)1024 * 1024)
/* Room kept below LO_RECORD_MAX_BYTES for what the logoff itself adds to
 * a record (states, times, status messages of at most LO_MAX_PROVIDERS
 * providers): a subobject or data (lo_record_grow) may not eat into it. */
#define LO_RECORD_RESERVE_BYTES ((size_t)64 * 1024)

/* Write RECORD atomically: a temp file in sessions/, fsync, rename over
 * sessions/<id>, so a reader sees the old or the new record, never a half
 * one. Also adds the users/<uid>/<id> index entry. Takes the lock.
 * Errors: -EINVAL (bad id), -E2BIG when the record's text would exceed
 * LO_RECORD_MAX_BYTES (it could not be read back), write errors (-ENOSPC,
 * -EROFS, -EIO ...); on error the previous record is left as it was. */
int lo_record_write(struct lo_registry *registry, const struct lo_record *record);

/* lo_record_write for a record that just grew by a subobject (track) or
 * provider data (set_data): -E2BIG, nothing written, when its text would
 * exceed LO_RECORD_MAX_BYTES - LO_RECORD_RESERVE_BYTES. The caller takes
 * the addition back out of RECORD. */
int lo_record_grow(struct lo_registry *registry, const struct lo_record *record);

/*
 * Create RECORD's file only if no record of its id exists (-EEXIST), and
 * give the session its name (RECORD->name is replaced): the first of
 *   1. its tty without "/dev/" ("pts/3", "tty1") when that is a character
 *      device, or an X display (":0") as it is;
 *   2. "<service>-<id>" ("sshd-7", "su-l-r12"), the service reduced to
 *      [A-Za-z0-9_.-];
 *   3. the id;
 * that no existing record holds. So the first session on a tty is named
 * after it and a second one there (su inside ssh) after its service.
 * Names are indexed in <registry>/names/ (names/pts%2F3 holds the id).
 */
int lo_record_create(struct lo_registry *registry, struct lo_record *record);

/*
 * Read sessions/<ID> (O_NOFOLLOW). The record must be a regular file owned
 * by the registry's owner, not group/other accessible, of a known format
 * version and complete. Returns 0 and *ret_record, or -ENOENT, -EINVAL
 * (bad id), -EPERM (owner/mode), -EPROTO (future format), -EBADMSG
 * (corrupt or truncated), with a message in *ret_error when non-NULL.
 */
int lo_record_read(struct lo_registry *registry, const char *id, struct lo_record **ret_record,
		   char **ret_error);

/*
 * Parse a record's text, DATA of LEN bytes (no NUL needed at the end), as
 * lo_record_read does once it has read the file: the format is the one
 * described at the top of registry.c. Returns 0 and *RET_RECORD (free
 * with lo_record_free), or -EBADMSG (corrupt, truncated, a NUL byte, more
 * than 1 MiB), -EPROTO (another format version), -ENOMEM, with a static
 * message saying why in *RET_WHY. Does not compare the id with a file
 * name: lo_record_read does that.
 */
int lo_record_parse(const char *data, size_t len, struct lo_record **ret_record,
		    const char **ret_why);

/* RECORD in the text format lo_record_parse reads (what lo_record_write
 * stores); malloc'd, NULL on ENOMEM. */
char *lo_record_format(const struct lo_record *record);

/* Delete sessions/<ID> and its index entry. -ENOENT if it was not there. */
int lo_record_delete(struct lo_registry *registry, const char *id);

/*
 * True when NAME is a valid session name: 1..64 of [A-Za-z0-9_.:/-], not
 * starting with '.', '/' or '-', not ending with '/', without ".." or
 * "//". So neither a name nor an id can name a path outside the registry.
 */
bool lo_session_name_valid(const char *name);

/*
 * True when ID can be a logind (or elogind) session id: 1 to
 * LO_LOGIND_ID_MAX ASCII letters and digits, the ids logind gives ("42",
 * "c3"; systemd's session_id_valid() takes letters and digits only).
 * pam_logoff records it beside its own id and never acts on it.
 */
#define LO_LOGIND_ID_MAX 64
bool lo_logind_id_valid(const char *id);

/*
 * Resolve SESSION, a session id or name, into RET_ID (LO_ID_MAX+1 bytes).
 * Returns 0, -ENOENT when no record has that id or name, -EINVAL when
 * SESSION is neither a valid id nor a valid name (it touched no path).
 */
int lo_registry_find(struct lo_registry *registry, const char *session, char *ret_id);

/* Every record id, sorted (strverscmp), into a malloc'd array of malloc'd
 * strings; free with lo_strv_free. Returns 0 or -errno. */
int lo_registry_list(struct lo_registry *registry, char ***ret_ids, size_t *ret_n);
void lo_strv_free(char **v, size_t n);

/* Number of records in the index of UID other than EXCLUDE_ID. */
int lo_registry_count_user(struct lo_registry *registry, uid_t uid, const char *exclude_id);
/* Like lo_registry_count_user, but only the live ones: records whose
 * login manager (leader pid + start time) still runs and that are not
 * being or have not been logged off (lo_session_view "active" or
 * "opening"). A stale record (the sweep's to finish) is no login of the
 * user. A record that cannot be read is counted. Returns the count or
 * -errno. */
int lo_registry_count_user_live(struct lo_registry *registry, uid_t uid, const char *exclude_id);

void lo_record_free(struct lo_record *record);

/* Status object of provider NAME in RECORD, or NULL. */
struct lo_status *lo_record_status(struct lo_record *record, const char *name);

/* Provider data in memory (no write): set (VALUE NULL removes) returns 0,
 * -EINVAL for a bad key or value, -ENOMEM; get returns the value or NULL. */
int lo_record_set_data(struct lo_record *record, const char *provider, const char *key,
		       const char *value);
const char *lo_record_get_data(const struct lo_record *record, const char *provider,
			       const char *key);

/*
 * Set data KEY of OWNER in the record of session ID to VALUE (NULL
 * removes it) and write the record, under the registry's lock: read,
 * changed, written (lo_record_grow when it grows), so no other change made
 * meanwhile is lost. Nothing is written when the value is already so, or,
 * with IF_ABSENT, when the record holds any value for KEY.
 * Returns 0, -EROFS (a read-only registry), the errors of lo_registry_lock,
 * lo_record_read (-ENOENT: the session is gone), lo_record_set_data and
 * lo_record_grow / lo_record_write.
 */
int lo_record_update_data(struct lo_registry *registry, const char *id, const char *owner,
			  const char *key, const char *value, bool if_absent);

/* Add or remove a subobject in memory (no write). Add returns 0, or 1 when
 * it was already there; remove returns 0 or -ENOENT. */
int lo_record_add_sub(struct lo_record *record, const char *provider, int kind, const char *value);
int lo_record_remove_sub(struct lo_record *record, const char *provider, int kind,
			 const char *value);

#endif /* LO_CORE_REGISTRY_H */
