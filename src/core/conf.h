/*
 * conf.h - logoff.conf and its drop-ins (inih), value parsers, and the
 * provider table entry through which the core asks a provider what it
 * can do.
 * Conventions: see util.h.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_CORE_CONF_H
#define LO_CORE_CONF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "logoff/provider.h"
#include "core/util.h"
#include "core/limits.h"

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
	struct lo_limits_config limits;	/* [limits], [limits.user.NAME], [limits.group.NAME] */
	bool collect;			/* lo_config_check: gather every error, go on */
	char *errors;			/* its errors, one a line */
	int first_err;			/* the negative errno of the first of them */
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

/*
 * Check PATH and its drop-ins as lo_config_load reads them, but go on
 * after an error to find the next: every bad value, unknown key or
 * section, syntax error and unsafe file, each on a line of its own
 * naming file, line and key, in *RET_ERRORS (malloc'd; NULL when the
 * config is valid). Used by `logoff --check-config`.
 * Returns 0 when valid, else the negative errno of the first error
 * (as lo_config_load would return it).
 */
int lo_config_check(const char *path, const struct lo_provider_entry *table, char **ret_errors);

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

/* True when NAME may name a plugin provider: 1..32 of [a-z0-9_]. */
bool lo_plugin_name_valid(const char *name);

/* The entry of provider NAME in TABLE, or NULL. */
const struct lo_provider_entry *lo_provider_find(const struct lo_provider_entry *table,
						 const char *name);

/* Keys of the [logoff] section (src/core/config.c). */
extern const struct logoff_config_key lo_core_config_keys[];

#endif /* LO_CORE_CONF_H */
