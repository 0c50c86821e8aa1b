/*
 * cli.h - the parts of logoff(1) that decide rather than act: argument
 * parsing, SESSION validation, the permission rules, terminal names,
 * message sanitizing, quoting for --server, close matches. Kept apart
 * from logoff.c so the unit tests (tests/unit/check_cli.c) reach them.
 *
 * The command line follows the Windows logoff command
 * (`logoff [sessionname | sessionID] [/server:servername] [/v]`,
 * ../shared/seeds/004) with GNU long options; "/v" and "/server:NAME"
 * are accepted as aliases of -v and --server=NAME.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_CLI_H
#define LO_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/util.h"
#include "core/conf.h"
#include "core/registry.h"
#include "core/proc.h"
#include "core/chain.h"
#include "core/logoff.h"

/* Exit statuses of logoff(1), documented in logoff(1). */
enum {
	LO_EXIT_OK = 0,
	LO_EXIT_PARTIAL = 1,	/* something was not released; it says what */
	LO_EXIT_USAGE = 2,	/* bad arguments or config; nothing touched */
	LO_EXIT_DENIED = 3,	/* permission denied; nothing touched */
	LO_EXIT_UNKNOWN = 4,	/* no such session; close matches listed */
	LO_EXIT_PROTECTED = 5,	/* on a protected tty; root may --force */
	LO_EXIT_CANCELLED = 130	/* Ctrl-C during --warn; nothing touched */
};

enum lo_cli_mode {
	LO_CLI_LOGOFF = 0,	/* log SESSION (default: the caller's) off */
	LO_CLI_LIST,		/* -l, --list */
	LO_CLI_STATUS,		/* --status SESSION */
	LO_CLI_GC,		/* --gc */
	LO_CLI_HELP,		/* -h, --help */
	LO_CLI_VERSION,		/* --version */
	LO_CLI_QUERY,		/* --query [USER|SESSION]: Windows' quser */
	LO_CLI_LIMITS,		/* --limits: enforce [limits] on every session */
	LO_CLI_CHECK_CONFIG,	/* --check-config [FILE] */
	LO_CLI_DISCONNECT,	/* --disconnect SESSION: Windows' tsdiscon */
};

#define LO_WARN_MAX 86400	/* seconds */
#define LO_MESSAGE_MAX 1024	/* bytes */
#define LO_HOST_MAX 255		/* bytes */
#define LO_NODESET_MAX 1024	/* bytes of a --server node set */
#define LO_USER_MAX 256		/* bytes of a --user NAME */

struct lo_cli_opts {
	int mode;		/* enum lo_cli_mode */
	const char *session;	/* SESSION argument, NULL: the caller's own; with
				 * --query, USER or SESSION, NULL: every session */
	bool verbose;		/* -v, /v */
	bool json;		/* --json (with --list, --status or --query) */
	bool force;		/* --force: root overrides protected_ttys */
	bool warn;		/* --warn given */
	unsigned warn_seconds;	/* --warn SECONDS, 0..LO_WARN_MAX */
	const char *message;	/* --message TEXT */
	const char *server;	/* --server HOST or NODESET, /server:HOST */
	const char *user;	/* --user NAME: every session of NAME */
	const char *config;	/* --config PATH (default LO_CONFIG_PATH) */
	const char *abandon;	/* --gc --abandon PROVIDER SESSION (root) */
	const char *check_file;	/* --check-config FILE, else the config (--config) */
};

/*
 * The arguments that run the same command on a --server host: OPTS
 * without --server and --config, each word shell-quoted, into
 * a malloc'd NULL-terminated array of malloc'd strings (free with
 * lo_strv_free and the count in *RET_N). Returns 0 or -ENOMEM.
 */
int lo_cli_remote_args(const struct lo_cli_opts *opts, char ***ret_argv, size_t *ret_n);

/*
 * Parse ARGV (ARGC words, argv[0] the program) into OPTS. Checks every
 * value and every combination (--abandon PROVIDER only with --gc and one
 * SESSION, PROVIDER as lo_plugin_name_valid says; --json only with --list/--status,
 * --limits and --check-config take no SESSION, except that the one word
 * after --check-config is its FILE, absolute, in opts->check_file (also
 * as --check-config=FILE; default: opts->config),
 * --message only with --warn, one SESSION at most, SESSION valid as
 * lo_cli_session_valid says, HOST as lo_cli_host_valid says).
 * Options may come before or after SESSION and short ones may be grouped
 * ("-lv"); a long option's value is "--name=VALUE" or the next word; a
 * long option must be spelled in full (no abbreviations); after "--"
 * every word is a SESSION. Parsed with getopt_long(3): its globals
 * (optind, optarg, optopt) are reset (optind = 0) and changed, so it is
 * not for threads; it may be called again for another ARGV.
 * Returns 0, or -EINVAL with a malloc'd message naming the argument in
 * *RET_ERROR (*RET_ERROR NULL when that message could not be allocated).
 * ARGV is not modified (never permuted); OPTS points into it.
 */
int lo_cli_parse(int argc, char *const *argv, struct lo_cli_opts *opts, char **ret_error);

/*
 * NULL when S may be used as a SESSION (a session id or name, see
 * lo_id_valid and lo_session_name_valid), else why not: empty, longer
 * than LO_NAME_MAX bytes, not ASCII, a control character, "..", a
 * leading '/' or '.'. LEN is S's length as given (a NUL before LEN is
 * refused), so callers with counted strings can pass them whole.
 */
const char *lo_cli_session_invalid(const char *s, size_t len);

/* True when HOST may be passed to ssh: 1..LO_HOST_MAX of
 * [A-Za-z0-9._:@%[]-], not starting with '-'. */
bool lo_cli_host_valid(const char *host);

/*
 * True when SERVER (a --server value) is a ClusterShell node set rather
 * than one ssh destination: it starts with '@' (a group: "@login") or
 * holds ',' or '[' ("a,b", "node[1-4]"). "alice@host" stays one host.
 * The set itself is expanded by ClusterShell (NodeSet, as `nodeset -e`
 * does), never here. Source: ClusterShell docs, "Node sets handling".
 */
bool lo_cli_server_is_nodeset(const char *server);

/*
 * True when NODESET may be handed to ClusterShell for expansion:
 * 1..LO_NODESET_MAX bytes of [A-Za-z0-9._:@%[],-], not starting with
 * '-'. Every host it expands to must still pass lo_cli_host_valid.
 */
bool lo_cli_nodeset_valid(const char *nodeset);

/*
 * True when NAME may be given to --user: 1..LO_USER_MAX bytes of
 * [A-Za-z0-9._@-] (and a final '$', as Samba machine accounts end),
 * not starting with '-'. Nothing of a shell or an option can pass.
 */
bool lo_cli_user_valid(const char *name);

/*
 * The permission rules of logoff(1) for a caller of uid CALLER and REC:
 * root may log off anything; anyone else only sessions of their own uid
 * (LO_EXIT_DENIED). A session whose tty (without "/dev/") or name is
 * listed in PROTECTED (a LOGOFF_CONFIG_LIST, [logoff] protected_ttys) is
 * refused (LO_EXIT_PROTECTED) unless FORCE and CALLER is root.
 * Returns LO_EXIT_OK, LO_EXIT_DENIED or LO_EXIT_PROTECTED.
 */
int lo_cli_may_logoff(uid_t caller, const struct lo_record *rec, const char *protected,
		      bool force);

/*
 * The device path of a controlling terminal as /proc/PID/stat field 7
 * gives it: /dev/pts/N (majors 136-143), /dev/ttyN (major 4, minor <
 * 64), /dev/ttySN (major 4, minor 64-255). Returns 0 with the path in
 * BUF (SIZE bytes), or -ENOENT for 0 or another kind of device.
 */
int lo_cli_tty_path(unsigned tty_nr, char *buf, size_t size);

/*
 * Copy TEXT into BUF (SIZE bytes, NUL-terminated) fit for a terminal:
 * newlines become "\r\n", tabs stay, other control characters (escape
 * sequences) and bytes that are not valid UTF-8 or are C1 controls
 * become '?', as wall(1) does. Returns the length written.
 */
size_t lo_cli_sanitize(const char *text, char *buf, size_t size);

/* ARG in single quotes for a POSIX shell (ssh passes a command line to
 * the remote shell); malloc'd, NULL on ENOMEM. */
char *lo_cli_shell_quote(const char *arg);

/* Edit distance between A and B (insertions, deletions, substitutions),
 * capped at 100; used to list close matches of an unknown SESSION. */
unsigned lo_cli_distance(const char *a, const char *b);

/* True when CANDIDATE (an id or name) is close to WANTED: an edit
 * distance of at most 2, or one contains the other. */
bool lo_cli_close_match(const char *wanted, const char *candidate);

/*
 * True for a local X display name, ":N" or ":N.S" (N and S digits, N at
 * most 7 of them): the only displays whose idle time logoff asks for. A
 * "host:N" display would make the child connect elsewhere.
 */
bool lo_cli_display_local(const char *display);

/* How long lo_cli_x_idle waits for the X server's answer (ms). */
#define LO_CLI_X_IDLE_MS 2000

/*
 * The idle time of X display DISPLAY (lo_cli_display_local) in seconds,
 * as its X server counts it: XScreenSaverQueryInfo's idle (MIT-SCREEN-
 * SAVER extension, libXss(3)), the time since the last input event.
 * Asked in a child that has become USER (UID, GID; never root: -EINVAL)
 * with XAUTHORITY (or HOME/.Xauthority when NULL) as its only
 * environment, libX11 and libXss loaded with dlopen there. Waits up to
 * LO_CLI_X_IDLE_MS. Returns 0 with *RET_SECONDS, -EINVAL, -ETIMEDOUT,
 * -EIO (no answer: no library, display refused, no extension; why in ERR,
 * ERR_SIZE bytes) or lo_spawn_run's -errno.
 */
int lo_cli_x_idle(const char *display, const char *xauthority, const char *user, uid_t uid,
		  gid_t gid, const char *home, long *ret_seconds, char *err, size_t err_size);

/*
 * NULL when S may be the argument of --query (USER or SESSION), else why
 * not: a SESSION as lo_cli_session_invalid says, or a user name: 1 to
 * LO_NAME_MAX bytes of printable characters (lo_text_char: UTF-8 and
 * NSS names such as "DOMAIN\user" included), no space, not starting
 * with '-'. A user name is only ever compared with records' user
 * lines, never used as a path.
 */
const char *lo_cli_query_arg_invalid(const char *s);

/*
 * The IDLE TIME column of `logoff --query`, as Windows' quser (query
 * user) prints it: "." under a minute, whole minutes ("5") under an
 * hour, "H:MM" under a day, "D+HH:MM" from a day on; "-" for IDLE < 0
 * (unknown: no terminal of the session's own, nor an X display that
 * reports it). IDLE is in seconds; BUF of SIZE bytes (16 is enough).
 */
void lo_cli_quser_idle(long idle, char *buf, size_t size);

/*
 * The STATE column of `logoff --query` for VIEW (lo_session_view):
 * quser's "Active" for active and opening, "Disc" when DISCONNECTED (a
 * remote graphical session known to have no client attached), "Closing"
 * while a logoff runs, "Stale" for stale and failed (the sweep's to
 * finish). LOWER gives the --json spelling: "active", "disc",
 * "closing", "stale" (schema 1 of docs/logoff-query.schema.json).
 */
const char *lo_cli_quser_state(const char *view, bool disconnected, bool lower);

#endif /* LO_CLI_H */
