/*
 * core.h - the pam_logoff provider-chain core: logging, config, the
 * session registry, the chain, subobject releasers and safe spawning.
 * Shared by pam_logoff.so, logoff-helper and the tests; nothing here is
 * exported from the module (see pam/pam_logoff.map).
 *
 * Conventions: functions return 0 (or a count) on success and a negative
 * errno value on failure; out-parameters are named ret_*; free functions
 * accept NULL. Times are in seconds unless a name says _ms.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_CORE_H
#define LO_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "logoff/provider.h"

#define LO_ATTR_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ---------------------------------------------------------------- log */

/*
 * Where log lines go: the module maps FN to pam_syslog, the helper to
 * syslog, the tests to a buffer. PRIORITY is a syslog LOG_* value; MSG is
 * one line without a newline. LOG_DEBUG lines reach FN only when DEBUG.
 */
struct lo_log {
	void (*fn)(void *ctx, int priority, const char *msg);
	void *ctx;
	bool debug;
};

/* Format and emit one line through LOG (NULL: discarded). %m works. */
void lo_log(const struct lo_log *log, int priority, const char *fmt, ...) LO_ATTR_PRINTF(3, 4);
void lo_logv(const struct lo_log *log, int priority, const char *fmt, va_list ap);

/* Log FN for programs: "PREFIX: MSG" on stderr. CTX is the prefix. */
void lo_log_stderr(void *ctx, int priority, const char *msg);

/* ---------------------------------------------------------- safe text */

/*
 * The length in bytes (1..4) of the character at S when it may reach a
 * terminal, a log line or JSON as it is: printable ASCII (0x20..0x7e), or
 * one UTF-8 sequence of a code point from U+00A0 on (shortest form, not a
 * surrogate, at most U+10FFFF: RFC 3629). 0 for a control character
 * (C0 0x00..0x1f and DEL 0x7f; the C1 controls U+0080..U+009F of ECMA-48,
 * which xterm and others obey, U+009B being CSI, whether encoded as UTF-8
 * "\xc2\x80".."\xc2\x9f" or as raw 8-bit bytes) and for any byte that
 * does not start a valid sequence; also 0 for the invisible format
 * characters that reorder or hide text (U+061C, U+200B..U+200F,
 * U+2028..U+202E, U+2060..U+2069, U+FEFF: UAX #9's bidirectional
 * controls, the zero-width ones, line and paragraph separators).
 * S is NUL-terminated; a sequence cut
 * by the NUL is not valid. The one definition of printable text for
 * lo_text_safe and lo_cli_sanitize.
 */
size_t lo_text_char(const char *s);

/*
 * Copy TEXT into BUF (SIZE bytes, always NUL-terminated when SIZE > 0)
 * so that it can be shown to an administrator: tab becomes a space, and
 * every byte of a character lo_text_char refuses (a control character,
 * C1 included, or a byte that is not valid UTF-8) becomes '?'. Valid
 * UTF-8 of other characters is kept, so names in any language survive.
 * The result has as many bytes as TEXT (one '?' per byte replaced),
 * truncated at a character boundary to fit; BUF may be TEXT (in place).
 * Used for every string a user or the network can set (file names,
 * PAM_RHOST, PAM_TTY, users, session names, hook output) on its way to a
 * log line (lo_logv), logoff(1)'s output and its --json.
 * Returns the length written.
 */
size_t lo_text_safe(char *buf, size_t size, const char *text);

/* ------------------------------------------------------- trusted files */

struct stat;

/*
 * True when ST (a file's or directory's stat) is owned by root, or by
 * ALSO when ALSO is not 0, and is not writable by group or others: the
 * rule for a file root reads or runs on someone's word, as sudo has it
 * for sudoers and plugins and OpenSSH's safe_path for authorized_keys.
 * The one check behind lo_config_load's files and drop-in directory (as
 * root), plugin loading and lo_path_trusted.
 */
bool lo_stat_trusted(const struct stat *st, uid_t also);

/*
 * Check that the regular file PATH (absolute) can be trusted as a
 * program root runs: its canonical path (realpath(3): no symlink left)
 * is walked from "/" with O_PATH|O_NOFOLLOW, and the file and every
 * directory on the way must pass lo_stat_trusted(ALSO), so that nobody
 * but root (or ALSO) can change or replace the file between the check
 * and its use, as OpenSSH's safe_path walks the parents. Unlike
 * safe_path, a directory writable by others is accepted when it has the
 * sticky bit and its owner passes (/tmp): there only an entry's owner,
 * the directory's owner or root may rename or remove an entry
 * (unlink(2), rename(2): EPERM), and the entry on the way must pass
 * itself. Use the canonical path, never PATH: a symlink on PATH is not
 * checked and could be changed.
 * Returns 0 with the canonical path in *RET_PATH (malloc'd), or a
 * negative errno with a malloc'd message naming the component refused
 * (PATH is for the caller to name) in *RET_ERROR: -EINVAL (not absolute), -EPERM (a component not
 * trusted, or not a regular file), -ENOMEM, or the errno of realpath
 * or openat (-ENOENT, -EACCES, ...).
 */
int lo_path_trusted(const char *path, uid_t also, char **ret_path, char **ret_error);

/* -------------------------------------------------------------- config */

#define LO_CONFIG_PATH SYSCONFDIR "/security/logoff.conf"
#ifndef LO_PLUGIN_DIR
#define LO_PLUGIN_DIR "/usr/lib/logoff/providers"
#endif
#define LO_MAX_PROVIDERS 32

struct lo_config_entry {
	char *section;
	char *key;
	char *value;
};


struct lo_config;
struct lo_log;

/*
 * A provider as the core knows it: its ABI struct and what it can do,
 * which only the provider itself can say. Tables of them end with an
 * entry whose PROVIDER is NULL; the built-in one is lo_builtin_providers
 * (src/providers/providers.h), which the core never names: each program
 * hands it to lo_config_load.
 */
struct lo_provider_entry {
	const struct logoff_provider *provider;
	unsigned flags;		/* LO_PROVIDER_* */
	/*
	 * Whether its logoff can run in the login manager's own process
	 * under CONFIG: it starts no process and waits only under the
	 * chain's deadline (lo_config_logoff_in_process). NULL: never.
	 */
	bool (*logoff_here)(const struct lo_config *config);
	/*
	 * The sweep's last step, after every stale record was logged off,
	 * as root: release what the provider made for sessions that no
	 * record names any more (a record lost, a removal that failed).
	 * HAS_RECORD(CTX, ID) says whether session ID still has a record
	 * (true for one it cannot read); lines go to LOG. NULL: nothing.
	 */
	void (*sweep)(const struct lo_config *config,
		      bool (*has_record)(void *ctx, const char *id), void *ctx,
		      const struct lo_log *log);
};

/* Compiled into pam_logoff (else a plugin, loaded by logoff-helper alone
 * and run in a child of its own). */
#define LO_PROVIDER_BUILTIN 0x1u
/* Its logoff cannot block outside this process: processes (its waits end
 * at its bound, pidfd polls), keyring (keyctl calls that do no I/O),
 * hooks (each hook a child with its own deadline). The others (a file
 * system that does not answer, a KCM or mount daemon) run, out of the
 * login manager's process, in a child of their own killed at the bound. */
#define LO_PROVIDER_NEVER_BLOCKS 0x2u
/* Never abandoned after [logoff] retries: processes, since what it could
 * not end is alive, and a session with a live process is never reported
 * logged off (design: "A logoff that cannot show that nothing of the
 * session lives is never reported as done"). Root can still abandon it by
 * name with `logoff --gc --abandon` (lo_ctx.abandon). */
#define LO_PROVIDER_NEVER_ABANDONED 0x4u

/*
 * A parsed and validated logoff.conf plus its drop-ins. Built by
 * lo_config_load; values of provider sections are looked up with
 * lo_config_value, which falls back to the provider's declared default.
 */
struct lo_config {
	char *path;			/* the main file */
	char *registry;			/* [logoff] registry, absolute */
	char *providers[LO_MAX_PROVIDERS]; /* [logoff] providers, logon order */
	size_t n_providers;
	char *required[LO_MAX_PROVIDERS]; /* [logoff] required */
	size_t n_required;
	unsigned timeout;		/* [logoff] timeout, seconds */
	unsigned gc_interval;		/* [logoff] gc_interval, seconds; 0: no sweep at logon */
	unsigned provider_timeout;	/* [logoff] provider_timeout, seconds; 0: a share of timeout */
	unsigned retries;		/* [logoff] retries: timed-out logoffs retried, 0..100 */
	char *protected_ttys;		/* [logoff] protected_ttys, a LOGOFF_CONFIG_LIST */
	char *plugin_dir;		/* [logoff] plugin_dir: NAME.so of plugin providers */
	char *providers_where;		/* "file:line" of [logoff] providers, for errors */
	char **pending;			/* sections perhaps of plugins: name, "file:line" pairs */
	size_t n_pending;
	struct lo_config_entry *entries; /* provider sections, file order */
	size_t n_entries;
	const struct lo_provider_entry *table; /* providers it was checked against */
};

/*
 * Read PATH, then PATH.d/ *.conf in lexical order (a later value wins),
 * with inih. Every section must be [logoff] or a provider's name from
 * against TABLE (the providers known, ended by an entry whose provider is
 * NULL: lo_builtin_providers, or logoff-helper's table with the loaded
 * plugins), every key one that section declares, every value of its
 * declared type. With a TABLE of built-in providers only (no entry
 * without LO_PROVIDER_BUILTIN), a provider that is not built in is a
 * plugin: its name
 * must be 1..32 of [a-z0-9_] and [logoff] plugin_dir must hold NAME.so
 * (else an error naming the file and line of providers), and the keys of
 * its section are kept unchecked: only logoff-helper loads plugins, and it
 * loads the config again with their table (lo_plugins_load), strictly.
 * When running as root each file must be a regular file owned by root and
 * not writable by group or others, and is never reached through a symlink
 * (as sudo and OpenSSH's safe_path); otherwise owned by root or the caller.
 * A missing PATH is not an error (defaults apply); a missing PATH.d is not
 * either.
 * Returns 0 and *ret_config, or a negative errno and *ret_error, a
 * malloc'd message that names the file, line and key: -EINVAL for a
 * syntax error, unknown section/key/provider or bad value, -E2BIG for
 * more than LO_MAX_PROVIDERS providers or required, -EPERM for an unsafe
 * file, -ENOMEM, or the errno of open/read.
 */
int lo_config_load(const char *path, const struct lo_provider_entry *table,
		   struct lo_config **ret_config, char **ret_error);

/*
 * Parse DATA (LEN bytes, no NUL needed at the end) as lo_config_load
 * parses one file, without a drop-in directory or the file checks of
 * lo_config_load; NAME stands for the file in messages. The same checks
 * of sections, keys, values, plugins and required apply afterwards.
 * Returns as lo_config_load does.
 */
int lo_config_parse_buffer(const char *data, size_t len, const char *name,
			   const struct lo_provider_entry *table,
			   struct lo_config **ret_config, char **ret_error);

/* The built-in defaults, as lo_config_load with a missing file. */
int lo_config_defaults(const struct lo_provider_entry *table, struct lo_config **ret_config);

/* Value of KEY in SECTION: the last one set, else the key's declared
 * default, else NULL. The pointer lives as long as CONFIG. */
const char *lo_config_value(const struct lo_config *config, const char *section, const char *key);

/* True when provider NAME is listed in [logoff] required. */
bool lo_config_required(const struct lo_config *config, const char *name);

void lo_config_free(struct lo_config *config);

/* Parse a LOGOFF_CONFIG_SECONDS value: 0..86400. Returns 0 or -EINVAL. */
int lo_parse_seconds(const char *s, unsigned *ret);
/* Parse a LOGOFF_CONFIG_BOOL value. Returns 0 or -EINVAL. */
int lo_parse_bool(const char *s, bool *ret);
/* Split a LOGOFF_CONFIG_LIST value on spaces and commas into at most MAX
 * malloc'd words. Returns the count or -E2BIG / -ENOMEM. */
int lo_split_list(const char *s, char **ret_words, size_t max);
/* True when WORD is in the LOGOFF_CONFIG_LIST value LIST. */
bool lo_list_contains(const char *list, const char *word);

/* ------------------------------------------------------------ registry */

#define LO_REGISTRY_DEFAULT "/run/logoff"
#define LO_RECORD_FORMAT 1
#define LO_ID_MAX 32
#define LO_NAME_MAX 64
#define LO_VALUE_MAX 4095

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

/* Add or remove a subobject in memory (no write). Add returns 0, or 1 when
 * it was already there; remove returns 0 or -ENOENT. */
int lo_record_add_sub(struct lo_record *record, const char *provider, int kind, const char *value);
int lo_record_remove_sub(struct lo_record *record, const char *provider, int kind,
			 const char *value);

/* ---------------------------------------------------------------- proc */

/* Kernel session id (field 6, getsid) and start time of PID. */
int lo_proc_session(pid_t pid, pid_t *ret_sid, unsigned long long *ret_start);
/* Start time of PID (field 22 of /proc/PID/stat, clock ticks since boot). */
int lo_proc_starttime(pid_t pid, unsigned long long *ret);
/* True when PID is alive and started at START: the same process, not a
 * reuse of its pid. A zombie thread-group leader whose other threads
 * still run (it called pthread_exit()) is alive. */
bool lo_proc_alive(pid_t pid, unsigned long long start);
/* True when some thread of PID's thread group is not a zombie, read from
 * /proc/PID/task/TID/stat (proc(5)); for a process whose /proc/PID/stat
 * shows 'Z', this tells a dead process from a leader that called
 * pthread_exit() while other threads run. False when PID is gone. */
bool lo_proc_group_alive(pid_t pid);
/* Whether every live thread of PID (started at START) is stopped (state
 * 'T', or 't' under a tracer: proc(5)), as after SIGSTOP. Returns 1 when
 * stopped, 0 when some thread still runs, -ESRCH when PID is gone or now
 * names another process, or -errno. */
int lo_proc_group_stopped(pid_t pid, unsigned long long start);
/* The controlling terminal of PID as /proc/PID/stat field 7 gives it
 * (a dev_t, 0 for none). */
int lo_proc_tty(pid_t pid, unsigned *ret_tty_nr);
/* Parent pid, real uid, audit session id (UINT32_MAX when unset), state
 * letter and comm of PID from /proc. Any pointer may be NULL. */
int lo_proc_info(pid_t pid, pid_t *ret_ppid, uid_t *ret_uid, uint32_t *ret_sessionid,
		 char *ret_state, char ret_comm[16]);
/*
 * The audit session id of the calling process if this login created it:
 * pam_loginuid earlier in the stack wrote /proc/self/loginuid, which gives
 * the process a new session id; an id equal to the parent's, or one a
 * process older than the caller already has, is inherited and is not
 * this login's.
 * Returns 0 and *ret_id, or -ENOENT.
 */
int lo_proc_own_audit_session(uint32_t *ret_id);

/*
 * A handle on one process that a reused pid can never redirect: a pidfd
 * where the kernel has pidfd_open (Linux 5.3), else the pid and its start
 * time, checked again before every signal (a window of a few
 * microseconds; valgrind and old kernels take this path).
 */
struct lo_proc_handle {
	pid_t pid;
	unsigned long long start;
	int pidfd;		/* -1 without pidfd support */
};

/* Open a handle on PID. Returns 0, -ESRCH when it is gone, or -errno
 * (-EMFILE). */
int lo_proc_handle_open(pid_t pid, struct lo_proc_handle *ret);
/* Send SIG to the process of H. Returns 0, -ESRCH when it is gone (or its
 * pid now names another process), or -errno. */
int lo_proc_handle_signal(const struct lo_proc_handle *h, int sig);
/* True when the process of H has exited: a zombie counts as exited, a
 * zombie leader whose other threads still run does not. */
bool lo_proc_handle_exited(const struct lo_proc_handle *h);
void lo_proc_handle_close(struct lo_proc_handle *h);

/* "PID:STARTTIME" for a process subobject. Returns 0 or -errno. */
int lo_process_value(pid_t pid, char *buf, size_t size);

/* ------------------------------------------------------------- release */

/*
 * Remove PATH (absolute) and everything below it. Every directory on the
 * way to PATH is opened one component at a time with O_NOFOLLOW; below it
 * entries are removed with unlinkat relative to directory fds, symlinks
 * are removed, never followed, and a directory on another mount than PATH
 * (another file system, or a bind mount of the same one: told apart by
 * mount id, see lo_fd_mount_id) is left in place, never entered, and
 * counted; so is PATH itself when it is a mount point. A missing PATH is
 * success. What is left is logged to LOG (may be NULL).
 * Returns 0, or -EBUSY when something on another mount was left, -ELOOP
 * when PATH itself is reached through a symlink, or the errno of the first
 * removal that failed.
 */
int lo_release_path(const char *path, const struct lo_log *log);
/* lo_release_path, and when it returns an error, the path of the first
 * entry it left (a mount point, or what it failed to remove) in LEFT
 * (SIZE bytes, "" when none is known). */
int lo_release_path_left(const char *path, const struct lo_log *log, char *left, size_t size);

/*
 * Remove PATH (absolute) when it is an empty directory, and nothing else:
 * one rmdir of its last component relative to its parent, opened
 * O_NOFOLLOW. Neither PATH nor anything mounted on it is ever opened, so
 * this cannot wait on a file system server (a FUSE daemon) and never
 * blocks the caller (the login manager, in an in-process logoff). A
 * missing PATH is success. Returns 0, -ENOTEMPTY (or -EEXIST) when it has
 * entries, -EBUSY when something is mounted on it, -ENOTDIR, another
 * unlinkat errno (-EACCES, -EPERM, -EROFS), or the errno of opening its
 * parent.
 */
int lo_release_empty_dir(const char *path);

/*
 * Is PATH (absolute) an empty directory on its parent's mount? Decided
 * without waiting on whatever may be mounted on PATH: its mount id comes
 * from an O_PATH descriptor (lo_fd_mount_id: statx with
 * AT_STATX_DONT_SYNC, which a FUSE file system answers from its cache,
 * or fdinfo) and is compared with its parent's first; only then is it
 * listed. Returns 1 yes, 0 no (entries, a mount point, not a directory,
 * or a symlink), -ENOENT when it does not exist, or another -errno.
 */
int lo_dir_empty_here(const char *path);

/*
 * End the process of a process subobject VALUE ("PID:STARTTIME") with
 * SIGKILL, and its process group when it leads one. A process that is
 * gone, or whose pid now belongs to another process (start time differs),
 * counts as released: a reused pid is never signalled. Returns 0, -EINVAL
 * for a bad VALUE, or the errno of pidfd_open/signal (-EPERM).
 */
int lo_release_process(const char *value, const struct lo_log *log);

/* The serial of a keyring subobject VALUE: decimal, 1..INT32_MAX, nothing
 * else. Returns 0 and *RET_SERIAL, or -EINVAL. */
int lo_keyring_serial(const char *value, int32_t *ret_serial);

/*
 * Revoke the keyring of a keyring subobject VALUE (its serial, decimal)
 * that a session of UID made, from any process: the one that possesses it
 * or one that never did (logoff-helper, `logoff --gc`). Key permissions
 * are checked against the fsuid and root's capabilities do not bypass
 * them, so the calling thread's fsuid is UID for the two keyctl calls and
 * is restored before this returns. First the serial must still name a
 * keyring owned by UID (keyctl_describe as UID: type "keyring", that uid),
 * so a serial the kernel reused for someone else's key, or for a key of
 * another type, is never revoked. As pam_keyinit's `revoke`, the keyring
 * is revoked (keyctl_revoke), not unlinked: no process that still holds
 * it as its session keyring, and nothing linked to it, can reach a key
 * through it afterwards.
 * Returns 0 when it revoked the keyring; 1 when there was nothing to
 * revoke: the key is gone, revoked or expired (ENOKEY, EKEYREVOKED,
 * EKEYEXPIRED), the kernel has no keyrings, or the serial now names a key
 * that is not a keyring of UID (logged as a warning); or -EINVAL for a bad
 * VALUE, -EPERM when the fsuid cannot be switched (not root), -EACCES when
 * the keyring's owner may not revoke it (its permissions were changed),
 * or another keyctl error.
 */
int lo_release_keyring(const char *value, uid_t uid, const struct lo_log *log);

/* Release one subobject of any kind the core knows: a path, a process, a
 * keyring (lo_release_keyring, checked against UID, the session's), a
 * mount (lo_release_mount, retried for LO_MOUNT_RELEASE_MS, never
 * detached) or, when built with libkrb5, a krb5 ccache (destroyed as the
 * uid and gid its value carries). Returns 0 when it is released or was
 * already gone, -ENOTSUP for a kind the core cannot release (a ccache
 * without libkrb5), or the releaser's -errno. */
int lo_release_subobject(int kind, const char *value, uid_t uid, const struct lo_log *log);

/* --------------------------------------------------------------- mount */

/* How long the core retries a busy mount a provider left tracked, in ms. */
#define LO_MOUNT_RELEASE_MS 1000

/* One line of /proc/self/mountinfo (proc(5)); strings are malloc'd, with
 * the kernel's octal escapes (\040 for a space ...) undone. */
struct lo_mount {
	unsigned id;		/* field 1: the mount id; reused after an unmount */
	unsigned parent;	/* field 2: the parent mount's id */
	char *target;		/* field 5: the mount point */
	char *fstype;		/* first field after " - ": "tmpfs", "fuse.sshfs" */
	char *super_options;	/* last field: "rw,user_id=1000,group_id=1000" */
};

/* Read FILE (NULL: /proc/self/mountinfo) into a malloc'd array, in file
 * order. Returns 0 with *RET and *RET_N, -EBADMSG for a line it cannot
 * parse, -ENOMEM, or fopen's -errno. Free with lo_mountinfo_free. */
int lo_mountinfo_read(const char *file, struct lo_mount **ret, size_t *ret_n);
void lo_mountinfo_free(struct lo_mount *m, size_t n);

/* The id of the mount the open file FD is on (mountinfo field 1): statx
 * STATX_MNT_ID (Linux 5.8), else /proc/self/fdinfo (Linux 3.15). Unlike
 * st_dev it tells a bind mount from the file system it was taken from.
 * Returns 0, -ENOTSUP when the kernel shows neither, or -errno. */
int lo_fd_mount_id(int fd, uint64_t *ret);

/* True for a canonical absolute path as mountinfo shows mount points:
 * not "/", no empty, "." or ".." component, no trailing slash, no
 * control character, shorter than PATH_MAX. */
bool lo_mount_path_valid(const char *path);

/*
 * The value of a mount subobject for the mount ID (mountinfo field 1)
 * whose mount point is TARGET: "ID:UNIQUE:TARGET", UNIQUE the mount's
 * never-reused id (statx STATX_MNT_ID_UNIQUE, Linux 6.8; 0 before). It is
 * checked first that the topmost mount at TARGET, reached without
 * following any symlink, is mount ID and TARGET its root. Returns 0,
 * -EINVAL for a TARGET that is not lo_mount_path_valid, -ELOOP when a
 * symlink is on the way, -ESTALE when TARGET is not (or no longer, or not
 * on top) the root of mount ID, -ENAMETOOLONG when SIZE is too small, or
 * the errno of opening the path.
 */
int lo_mount_value(const char *target, unsigned id, char *buf, size_t size);

/* What lo_release_mount did. */
enum lo_umount_how {
	LO_UMOUNT_GONE = 0,	/* the mount was no longer there: nothing to do */
	LO_UMOUNT_UNMOUNTED,	/* unmounted */
	LO_UMOUNT_DETACHED,	/* busy until the deadline: detached (MNT_DETACH) */
};

/*
 * Unmount the mount of subobject VALUE ("ID:UNIQUE:PATH", see
 * lo_mount_value). Each attempt checks that mountinfo still lists mount ID
 * at PATH, opens PATH's parent directory with openat2
 * RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS as O_PATH (a per-component
 * O_NOFOLLOW walk where openat2 is missing), checks with statx that the
 * topmost mount on the last component is mount ID (and UNIQUE, when
 * recorded and the kernel has it) and that the name is its root, then
 * calls umount2("/proc/self/fd/P/NAME", UMOUNT_NOFOLLOW). An EBUSY is
 * retried after 50 ms, doubling up to 1 s, until DEADLINE_MS
 * (CLOCK_MONOTONIC, ms; at least one attempt); then, with LAZY, the mount
 * is detached with MNT_DETACH. *RET_HOW (may be NULL) says what was done.
 * Returns 0 (also when the mount was gone), -EINVAL for a bad VALUE,
 * -EBUSY when it is still mounted (busy, or covered by another mount),
 * -ELOOP when a symlink now lies on PATH, or the errno of umount2 or of
 * opening the path.
 */
int lo_release_mount(const char *value, int64_t deadline_ms, bool lazy, const struct lo_log *log,
		     int *ret_how);

/* ----------------------------------------- krb5 ccache (release_krb5cc.c)
 * Built only with libkrb5 (HAVE_KRB5, configure --with-krb5). */

/*
 * Can the krb5 provider destroy the credential cache NAME (a KRB5CCNAME
 * value) of the session of user UID at logoff, from logoff-helper, which
 * may run outside the session's processes (`logoff`, the sweep)?
 *   FILE:/path or /path, DIR:/dir (a collection: its primary cache),
 *   DIR::/dir/tkt... (one cache of a collection): yes.
 *   KEYRING:persistent:UID[:SUB] (UID empty or the user's) and
 *   KEYRING:user:COLL[:SUB]: yes, the kernel keeps them per uid.
 *   KEYRING:session|process|thread:..., legacy KEYRING:NAME: no, they
 *   belong to the session's processes; MEMORY, KCM, API and others: no.
 * Parsed as krb5_cc_resolve(3) does: the type precedes the first colon;
 * a name without one is a FILE. Returns 0, setting *RET_SHARED (may be
 * NULL) for a keyring collection name, whose primary cache every session
 * of the user shares; -EINVAL for a malformed name (a relative path, a
 * newline, longer than LO_VALUE_MAX - 32), -EPERM for another uid's
 * persistent keyring, -ENOTSUP for a type that is not reachable. *RET_WHY
 * (may be NULL) gets a static reason on failure.
 */
int lo_krb5_ccache_check(const char *name, uid_t uid, bool *ret_shared, const char **ret_why);

/* The value of a LOGOFF_SUBOBJECT_KRB5_CCACHE subobject: "UID:GID:NAME",
 * the session user's ids first, so the core's releaser knows with whose
 * privileges to destroy NAME. Returns 0 or -ENAMETOOLONG. */
int lo_krb5_ccache_value(uid_t uid, gid_t gid, const char *name, char *buf, size_t size);

/* Split such a VALUE. *RET_NAME points into VALUE. Returns 0 or -EINVAL. */
int lo_krb5_ccache_parse(const char *value, uid_t *ret_uid, gid_t *ret_gid, const char **ret_name);

/*
 * Destroy the cache of the subobject VALUE ("UID:GID:NAME") with
 * krb5_cc_resolve(3) and krb5_cc_destroy(3), in a forked child (no exec)
 * that first becomes UID and GID: supplementary groups from initgroups(3)
 * for USER, none when USER is NULL (the core's releaser, which has no
 * name), then setresgid, setresuid, each checked, so permissions and
 * keyring ownership keep it to the user's own caches. A FILE cache (and
 * the file of a DIR cache) must moreover be a regular file owned by UID
 * with one link, in a DIR collection owned by UID: libkrb5 overwrites
 * what it opens with zeros, so a symlink or a hard link would wipe
 * another cache. The child (lo_spawn_run with FN and KEEP_GROUP) stays in
 * the caller's process group (the helper's deadline reaches it) and gets
 * 10 s, then SIGKILL; one that outlives SIGKILL by 1 s is left unreaped.
 * Returns 0 when it was destroyed, 1 when there was no such cache (a
 * missing DIR collection is not made again), -EINVAL for a bad VALUE or
 * name, -ENOTSUP for a type that cannot be reached, -EACCES when it is
 * not UID's to destroy, -EPERM when the child could not become UID,
 * -ETIMEDOUT, -ECHILD when the application reaped the child before it
 * reported anything, -EIO for any other libkrb5 error. MSG (may be NULL)
 * gets a short reason. Failures are logged to LOG (may be NULL).
 */
int lo_release_krb5_ccache(const char *value, const char *user, const struct lo_log *log,
			   char *msg, size_t msg_size);

/* --------------------------------------------------------------- spawn */

/*
 * A child to run: argv and envp built before fork. With RUN_AS_USER the
 * child drops supplementary groups (initgroups for USER), gid, then uid,
 * and checks each took, before execve; it exits 127 when any step fails.
 * Without RUN_AS_USER, a child of root (euid 0) becomes root in every uid
 * and gid, with no supplementary groups and no CPU, FSIZE, AS or DATA
 * limit: under su or sudo the application's real uid is the user's, who
 * could otherwise signal it.
 * The child always gets: default signal dispositions and an empty mask,
 * its own session (setsid, so it leads a process group), umask 022, stdin
 * from /dev/null, stdout and stderr to a pipe (CAPTURE) or /dev/null, no
 * other fds, cwd CWD (or "/").
 * With FN set there is no exec: after the same preparation the child
 * calls FN(ARG) and _exits with what it returns (PATH, ARGV and ENVP are
 * unused; the environment is left to FN). For work that needs the
 * deadline and the hygiene of a child but no program of its own.
 * With KEEP_GROUP the child does not make a session of its own: it stays
 * in the caller's process group, so a deadline of the caller's own
 * parent (which signals that group) reaches it too. Such a child is
 * started and waited for with lo_spawn_run only, and at its deadline gets
 * SIGKILL alone (lo_spawn_start and lo_spawn_detached refuse it).
 */
struct lo_spawn {
	const char *path;	/* absolute */
	char *const *argv;
	char *const *envp;
	bool run_as_user;
	const char *user;
	uid_t uid;
	gid_t gid;
	const char *cwd;
	bool capture;
	int (*fn)(void *arg);	/* run instead of execve when set */
	void *arg;
	bool keep_group;	/* no setsid: stays in the caller's process group */
};

/* The longest line lo_spawn_wait hands to LINE_FN whole, in bytes; the
 * rest of a longer line is dropped, never taken for a line of its own. */
#define LO_PROTOCOL_LINE_MAX 1022

/* Close every fd from LOWFD up: close_range(2) where the kernel has it,
 * else a loop bounded at 65536, as pam_modutil_sanitize does. For a child
 * between fork and exec. */
void lo_close_from(int lowfd);

/* Fork and exec SPAWN (or call its FN). Returns 0 with *ret_pid, *ret_pidfd (a pidfd, -1
 * without pidfd support) and *ret_outfd (read end of the output pipe, or -1), or -EINVAL
 * (no absolute PATH without FN, or KEEP_GROUP) or the -errno of pipe2, fork or
 * pidfd_open. */
int lo_spawn_start(const struct lo_spawn *spawn, pid_t *ret_pid, int *ret_pidfd, int *ret_outfd);

/*
 * Wait for the child PID (PIDFD) until DEADLINE_MS (CLOCK_MONOTONIC, ms),
 * passing each output line read from OUTFD (or -1) to LINE_FN. At the
 * deadline SIGTERM goes to its process group, then SIGKILL after
 * GRACE_MS. The deadline holds even against a child that writes without
 * pause. The child is reaped, unless it outlives SIGKILL by GRACE_MS / 2
 * (uninterruptible sleep, such as a wait on a stopped FUSE server): it is
 * then left, never waited for without a bound. So the call returns by
 * DEADLINE_MS + 1.5 x GRACE_MS at the latest. Returns 0 with *ret_status (a waitpid status; -1 when
 * the application reaped it first or it was left), or -ETIMEDOUT when it
 * had to be killed.
 */
int lo_spawn_wait(pid_t pid, int pidfd, int outfd, int64_t deadline_ms, int64_t grace_ms,
		  void (*line_fn)(void *ctx, const char *line), void *ctx, int *ret_status);

/*
 * Start SPAWN and wait for it until DEADLINE_MS (CLOCK_MONOTONIC, ms),
 * passing each output line (with CAPTURE) to LINE_FN(CTX, LINE): the two
 * calls above in one, and the only way to run a KEEP_GROUP child. One
 * that leads its own group is ended as lo_spawn_wait ends it; a
 * KEEP_GROUP one gets SIGKILL alone at DEADLINE_MS (through its pidfd,
 * which a reused pid cannot redirect) and is left unreaped when it
 * outlives that by GRACE_MS (ms): the call returns by DEADLINE_MS +
 * GRACE_MS. Returns 0 with *RET_STATUS (a waitpid status; -1 when the
 * application reaped it first or it was left), -ETIMEDOUT when it had to
 * be killed (*RET_STATUS as before), or lo_spawn_start's -errno when it
 * could not be started (*RET_STATUS -1).
 */
int lo_spawn_run(const struct lo_spawn *spawn, int64_t deadline_ms, int64_t grace_ms,
		 void (*line_fn)(void *ctx, const char *line), void *ctx, int *ret_status);

/*
 * Start SPAWN (CAPTURE must be false) as a grandchild that init adopts, and
 * reap the middle process at once: for work that must not hold, or be
 * waited for by, the caller (the sweep open_session starts).
 * Returns 0, -EINVAL, -EAGAIN (the second fork failed) or fork's -errno.
 */
int lo_spawn_detached(const struct lo_spawn *spawn);

/* CLOCK_MONOTONIC now, in milliseconds. */
int64_t lo_now_ms(void);

/* ---------------------------------------------------------------- chain */

/*
 * Everything the chain needs from its caller. The module fills in the PAM
 * environment functions; the helper leaves them NULL.
 */
struct lo_ctx {
	const struct lo_config *config;
	struct lo_registry *registry;
	struct lo_log log;
	const char *(*pam_getenv)(void *pamh, const char *name);
	/* Set NAME=VALUE; VALUE NULL removes NAME (pam_putenv("NAME")). */
	int (*pam_putenv)(void *pamh, const char *name, const char *value);
	void *pamh;
	bool privileged;	/* geteuid() == 0 */
	/* lo_chain_logoff refuses (-EACCES) a record of another uid than this
	 * one, when set: the id came from somewhere a user may reach (the PAM
	 * environment). */
	bool check_uid;
	uid_t expect_uid;
	/*
	 * Plugins (providers that are not built in). In the module, which
	 * never loads one, RUN_PLUGIN runs a plugin provider's logon (or the
	 * logoff of a rollback) in logoff-helper: it must return the
	 * provider's result (0 or a negative errno; -EIO when the helper
	 * crashed or could not run) after the helper has written the record,
	 * and pass each PAM environment change the plugin made to PUTENV_FN
	 * (ENV_CTX, NAME, VALUE; VALUE NULL removes NAME);
	 * the chain then takes that provider's status, subobjects and data
	 * from the record. In the helper, ISOLATE_PLUGINS runs each plugin's
	 * logon and logoff in a forked child, so a plugin that crashes takes
	 * only itself down.
	 */
	int (*run_plugin)(const struct lo_ctx *ctx, const char *id, const char *name, bool logon,
			  bool rollback,
			  int (*putenv_fn)(void *env_ctx, const char *name, const char *value),
			  void *env_ctx);
	bool isolate_plugins;
	/*
	 * The logoff runs in the login manager's own process
	 * (LO_LOGOFF_IN_PROCESS, see lo_chain_logoff): a directory
	 * subobject is released with lo_release_empty_dir alone, never
	 * entered; what cannot be released so stays tracked (-EIO), and
	 * close_session forks the closer to release it.
	 */
	bool in_process;
	/*
	 * CLOCK_MONOTONIC milliseconds (lo_now_ms) by which the logoff must
	 * be done, 0 for none. Set for an in-process logoff, which no parent
	 * can kill at the [logoff] timeout: the providers' waits (the
	 * processes provider's grace, a hook's timeout) end there instead.
	 */
	int64_t deadline_ms;
	/*
	 * `logoff --gc --abandon NAME`: lo_chain_logoff abandons provider
	 * NAME of the session at once (as after its last retry: state
	 * abandoned, what it tracked dropped from the record unreleased and
	 * logged) and logs the others off as usual. NULL: none.
	 */
	const char *abandon;
};

/*
 * lo_chain_logoff FLAGS. IN_PROCESS: the caller is the login manager
 * itself and will run the chain only when nothing the session tracks can
 * block it: every provider of the record has a logoff_here (its entry)
 * and every subobject is an empty directory on its parent's mount
 * (lo_dir_empty_here). Otherwise -EAGAIN is returned with nothing
 * changed (the record not claimed), and the caller forks a closer.
 */
#define LO_LOGOFF_IN_PROCESS 1u

/* What a chain without ctx->deadline_ms (a closer or logoff-helper that
 * its parent kills at [logoff] timeout) keeps back from that timeout, so
 * it stops its last provider and writes the record before the kill. */
#define LO_CHAIN_RESERVE_MS 400

/* What the module knows about a login at open_session. */
struct lo_login {
	const char *user, *service, *tty, *rhost;
	uid_t uid;
	gid_t gid;
	const char *home;
	pid_t leader_pid;	/* getpid() of the PAM application */
};

/*
 * Log the session on: choose the session id (audit session this login
 * created, else one allocated from the registry), write its record, export
 * LOGOFF_SESSION_ID, then call each configured provider's logon in order.
 * A provider whose logon fails is marked failed and will not be logged
 * off; if it is required, the providers already logged on are logged off
 * again in reverse order (rollback), the record deleted, and -ECANCELED
 * returned. If the record that marks the session active cannot be written
 * (a full or read-only registry), the same rollback happens and the write
 * error is returned: a session is never left open without a record that
 * lets it be logged off. Returns 0 and the id in RET_ID (LO_ID_MAX+1
 * bytes), or a negative errno (registry errors, -ECANCELED).
 */
int lo_chain_logon(const struct lo_ctx *ctx, const struct lo_login *login, char *ret_id);

/*
 * Log session ID off: every provider that is logged on gets its logoff, in
 * reverse logon order, even when an earlier one failed; what a provider
 * left tracked is released by the core and counted as its fault.
 * Every provider gets its turn (as MAPI calls every provider's Logoff):
 * each logoff is bounded, by [logoff] provider_timeout when set and at
 * most by the chain deadline (ctx->deadline_ms, else now + [logoff]
 * timeout less LO_CHAIN_RESERVE_MS) less a reserve of timeout / (2 x the
 * providers to log off) for each provider after it, so each one after a
 * hung one still has at least that reserve. Where it may block
 * (no LO_PROVIDER_NEVER_BLOCKS, plugins) and the chain is not in the login
 * manager's process, the logoff runs in a forked child of its own,
 * killed with SIGKILL at the bound (and left unreaped if it does not
 * die); others get the bound as lo_support_deadline_ms. A provider that
 * overruns is marked timed-out, keeps what it tracked in the record, has
 * its retries counted, and the chain goes on; past [logoff] retries it is
 * abandoned (LOG_CRIT naming what stays unreleased) and no longer holds
 * the record. FLAGS is
 * 0 or LO_LOGOFF_IN_PROCESS (anything else: -EINVAL). The record is
 * deleted when the last support reference drops and nothing is left tracked; otherwise it stays,
 * state failed. The record is claimed first, under the registry lock: its
 * closer becomes this process and its state closing; a record another
 * live process holds as closer gives -EBUSY and is left to it, and a claim
 * that cannot be written gives its write error before any provider runs.
 * Returns 0 when everything was released, -EIO when
 * something was not (record kept), -ENOENT for no such record, -EACCES
 * when ctx->check_uid is set and the record belongs to another uid, or a
 * registry error (lo_record_read's: -EPERM, -EBADMSG, -EPROTO ...), and
 * with LO_LOGOFF_IN_PROCESS -EAGAIN when the session tracks something
 * that needs a closer of its own, and -ETIMEDOUT when a provider stopped
 * at ctx->deadline_ms (the session is kept timed-out).
 */
int lo_chain_logoff(const struct lo_ctx *ctx, const char *id, unsigned flags);

/*
 * After a logoff ran past its deadline and its helper was killed: mark
 * the providers that had not finished timed-out (the one that was logging
 * off gets one more in its retries count) and the session
 * timed-out, and end every process subobject still tracked (a hung hook),
 * so nothing that was running outlives the deadline. The record stays for
 * the sweep. Done under the registry lock, and only when no live process
 * holds the session as its closer: a helper that outlived SIGKILL, or a
 * logoff that claimed the session since, keeps it (-EBUSY).
 * Returns 0, -EBUSY, -ENOENT, or a registry error.
 */
int lo_chain_mark_timed_out(const struct lo_ctx *ctx, const char *id);

/* For the built-in providers, whose support objects the chain made: the
 * chain's ctx->in_process and ctx->deadline_ms (0: no deadline). */
bool lo_support_in_process(const struct logoff_support *s);
int64_t lo_support_deadline_ms(const struct logoff_support *s);

/* -------------------------------------------------------------- logoff */

/*
 * How a logoff of one session ended (lo_logoff_session). Every caller
 * maps it to its own return (a PAM code, an exit status) and nothing else.
 */
enum lo_logoff_outcome {
	LO_LOGOFF_DONE,		/* every provider logged off, record deleted */
	LO_LOGOFF_PARTIAL,	/* something was not released; record kept failed */
	LO_LOGOFF_NO_SESSION,	/* no such record (already logged off) */
	LO_LOGOFF_OTHER_UID,	/* check_uid set and the record is another uid's */
	LO_LOGOFF_BUSY,		/* another live process is logging it off */
	LO_LOGOFF_TIMED_OUT,	/* stopped at [logoff] timeout; record kept timed-out */
	LO_LOGOFF_ERROR,	/* record refused or unreadable, registry error, no closer */
};

/*
 * Exit status of logoff-helper --session (and of the forked closer, which
 * is the same program minus the exec): one number per outcome that a
 * process can report by itself. The helper's usage text documents them.
 */
enum lo_helper_exit {
	LO_HELPER_DONE = 0,
	LO_HELPER_PARTIAL = 1,
	LO_HELPER_ERROR = 2,		/* usage, config, registry, record refused */
	LO_HELPER_NO_SESSION = 3,
	LO_HELPER_OTHER_UID = 4,
	LO_HELPER_BUSY = 5,
};

/* The exit status for R, what lo_logoff_run (lo_chain_logoff) returned:
 * 0 done, -EIO partial, -ENOENT no session, -EACCES another uid's,
 * -EBUSY busy, anything else an error. */
enum lo_helper_exit lo_helper_exit_of(int r);

/* A short English name of OUTCOME for logs ("logged off", "partial"...). */
const char *lo_logoff_outcome_name(enum lo_logoff_outcome outcome);

/*
 * One logoff of session SESSION, as close_session, `logoff SESSION`,
 * `logoff --gc --abandon` and the sweep ask for it.
 */
struct lo_logoff_request {
	const char *session;		/* a valid id (lo_id_valid) */
	const struct lo_config *config;	/* timeout (s), registry, providers, table */
	const char *config_path;	/* logoff.conf, for logoff-helper --config */
	const char *helper;		/* absolute path of logoff-helper */
	bool check_uid;			/* refuse a record of another uid than UID */
	uid_t uid;
	bool debug;			/* LOG_DEBUG lines too */
	const char *abandon;		/* abandon this provider at once (root); NULL: none */
	/*
	 * The caller is the login manager (close_session): the chain may
	 * run in this very process, when nothing the config and the record
	 * name can block (lo_config_logoff_in_process, then
	 * LO_LOGOFF_IN_PROCESS), else in a closer forked from it without
	 * an exec, when every provider is built in. False, or with a
	 * plugin or ABANDON: always logoff-helper, which alone loads
	 * plugins.
	 */
	bool in_login_manager;
	const struct lo_log *log;	/* this process's lines; NULL: none */
	/* Each line a closer or the helper writes ("<N>message", see
	 * lo_priority_prefix), with LINE_CTX. */
	void (*line_fn)(void *ctx, const char *line);
	void *line_ctx;
	struct lo_registry *registry;	/* open registry to use; NULL: opened when needed */
};

/*
 * Log REQ->session off: the one function that does it. It chooses where
 * the chain runs (see lo_logoff_request.in_login_manager), holds the
 * deadline of [logoff] timeout seconds from now (a closer past it gets
 * SIGTERM, then SIGKILL 600 ms later: the call returns within timeout +
 * 1 s), marks a record whose logoff was stopped there timed-out
 * (lo_chain_mark_timed_out), and reads the record again when the closer
 * was reaped by the application (a SIGCHLD handler) or killed: a record
 * gone is a logoff done. *RET gets the outcome. Returns 0, or -EINVAL (an
 * invalid id) or fork/pidfd's -errno when no logoff could be started
 * (*RET is then LO_LOGOFF_ERROR). Design: "The flow" in
 * docs/architecture.md.
 */
int lo_logoff_session(const struct lo_logoff_request *req, enum lo_logoff_outcome *ret);

/*
 * The chain's one body, wherever it runs (in process, the forked closer,
 * logoff-helper --session): open CTX->config's registry when
 * CTX->registry is NULL (and close it after), run lo_chain_logoff(CTX,
 * ID, FLAGS), log the result at LOG_DEBUG. Returns lo_chain_logoff's
 * result, or lo_registry_open's error (-ENOENT: no registry, so no such
 * session), logged.
 */
int lo_logoff_run(struct lo_ctx *ctx, const char *id, unsigned flags);

/* ------------------------------------------------------------- session */

/*
 * Can close_session log a session off under CONFIG in its own process,
 * without forking a closer? Only when the real uid is the effective one
 * (not under su or sudo) and every provider in [logoff] providers says
 * so through its entry's logoff_here (tmpdir always; processes without
 * keep_commands; hooks with nothing in its logoff_dir that run-parts
 * would consider): their logoffs then start no process and wait only
 * under ctx->deadline_ms. The record decides the rest (see
 * LO_LOGOFF_IN_PROCESS). A process is spent only where isolation buys
 * something: a hook, a plugin, a deadline on a release that can block.
 */
bool lo_config_logoff_in_process(const struct lo_config *config);




/* "<N>text" -> N (a syslog priority) and *LINE moved past it; -1 and
 * *LINE untouched when there is no such prefix. */
int lo_priority_prefix(const char **line);

/*
 * What a record says about its session, as `logoff --list` shows it:
 *   "active"   its login manager (leader pid + start time) is alive;
 *   "opening"  the same, while open_session runs;
 *   "closing"  a live process (closer) is running its logoff chain;
 *   "stale"    its login manager is gone, or its logoff was interrupted;
 *   "failed"   a release failed or timed out (the record was kept).
 * *RET_WHY (may be NULL) gets a short reason for stale and failed, else "".
 */
const char *lo_session_view(const struct lo_record *rec, const char **ret_why);

/* True for the sessions the sweep logs off: stale and failed ones. */
bool lo_session_needs_sweep(const struct lo_record *rec);

/*
 * True at most once per INTERVAL seconds per registry ([logoff]
 * gc_interval): <registry>/gc-stamp's mtime is when the last sweep was
 * started. One fstatat when not due; false for 0 or a read-only registry.
 */
bool lo_gc_due(struct lo_registry *registry, unsigned interval);

/*
 * Log off every stale or failed session of CTX->registry, each with
 * lo_logoff_session (PROTO with its session and registry set). A record
 * that cannot be read is logged and skipped, never released. REPORT (may
 * be NULL) gets each session swept, with the reason and the outcome; a
 * session that was closed meanwhile (LO_LOGOFF_NO_SESSION) is neither
 * reported nor counted. Returns 0 with the counts (a session being
 * logged off by another process counts in neither), or the error of
 * listing the registry.
 */
int lo_sweep(const struct lo_ctx *ctx, const struct lo_logoff_request *proto,
	     void (*report)(void *rctx, const struct lo_record *rec, const char *why,
			    enum lo_logoff_outcome outcome),
	     void *rctx, unsigned *ret_swept, unsigned *ret_failed);

/* True when NAME may name a plugin provider: 1..32 of [a-z0-9_]. */
bool lo_plugin_name_valid(const char *name);


/*
 * Call the logon (LOGON) or logoff of the one provider NAME of session ID
 * in this process, with ROLLBACK as support->rollback, and write the
 * record after it: what logoff-helper does for ctx->run_plugin of the
 * module. The provider's result goes to *RET_RESULT. Returns 0, -ENOENT
 * (no such record or provider in it), or a registry error.
 */
int lo_chain_provider_call(const struct lo_ctx *ctx, const char *id, const char *name, bool logon,
			   bool rollback, int *ret_result);

/* The entry of provider NAME in TABLE, or NULL. */
const struct lo_provider_entry *lo_provider_find(const struct lo_provider_entry *table,
						 const char *name);

/* Keys of the [logoff] section (src/core/config.c). */
extern const struct logoff_config_key lo_core_config_keys[];

/* --------------------------------------------------------------- misc */

/*
 * The whole environment of what pam_logoff starts as root with no
 * environment of its own to pass on (the closer, logoff-helper, the
 * sweep): a fixed PATH of root's directories, never the user's or the
 * application's, which whoever logged in may have set (a PATH with a
 * directory the user writes would let the user run code as root).
 * Hooks get the same with /usr/local in front (src/providers/hooks.c).
 */
#define LO_SAFE_PATH "/usr/sbin:/usr/bin:/sbin:/bin"
#define LO_SAFE_PATH_ENV "PATH=" LO_SAFE_PATH

/* malloc'd printf; NULL on ENOMEM. */
char *lo_strdupf(const char *fmt, ...) LO_ATTR_PRINTF(1, 2);
/* Write all of BUF to FD, retrying on EINTR and short writes. */
int lo_write_all(int fd, const void *buf, size_t len);

/*
 * Open the directory PATH (absolute, no "." or ".." component) without
 * following a symlink or magic link anywhere on it, the last component
 * included: openat2 with RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS
 * (Linux 5.6), else (ENOSYS: older kernels and valgrind; EPERM: a
 * seccomp filter) lo_open_dir_walk. FLAGS is O_PATH (a handle that
 * opens nothing mounted there for reading: the mount releaser) or
 * O_RDONLY (a directory to list or remove entries from: the path
 * releaser); O_DIRECTORY and O_CLOEXEC are added. The one symlink-free
 * walk of the releasers.
 * Returns the fd, or -EINVAL (a bad PATH or FLAGS), -ELOOP (a symlink on
 * the way or at the end), -ENOTDIR, -ENOENT, -EACCES, -ENOMEM or
 * another errno of openat2/openat.
 */
int lo_open_dir_nofollow(const char *path, int flags);

/* lo_open_dir_nofollow without openat2: PATH opened one component at a
 * time from "/" with O_NOFOLLOW, a symlink reported as -ELOOP (which
 * O_DIRECTORY|O_NOFOLLOW says as ENOTDIR). The same arguments and
 * returns. Called directly only by the tests, which cannot take openat2
 * away. */
int lo_open_dir_walk(const char *path, int flags);

/*
 * The parent directory of PATH opened with lo_open_dir_nofollow(FLAGS),
 * and PATH's last component copied into RET_NAME (NAME_MAX + 1 bytes),
 * for a call relative to the parent (*at(2), never following RET_NAME).
 * Returns the fd, -EINVAL for a PATH that is relative, "/", ends with
 * '/', has a "." or ".." component or a last one longer than NAME_MAX,
 * or lo_open_dir_nofollow's -errno for the parent.
 */
int lo_open_parent_nofollow(const char *path, int flags, char *ret_name);

/*
 * Raise this process's soft RLIMIT_NOFILE to its hard limit, as the
 * programs that end a session's processes do first (logoff-helper,
 * logoff(1), close_session's closer): they hold one pidfd per process
 * being ended, so a session of thousands of processes is signalled in
 * one batch (docs/performance.md, B3). Never lowers a limit, never
 * touches the hard one. Returns 0, or getrlimit's or setrlimit's -errno
 * (callers go on with the limit they have).
 */
int lo_nofile_raise(void);

#endif /* LO_CORE_H */
