/*
 * util.h - logging, safe text, trusted files and small helpers shared
 * by every part of pam_logoff.
 *
 * Conventions: functions return 0 (or a count) on success and a negative
 * errno value on failure; out-parameters are named ret_*; free functions
 * accept NULL. Times are in seconds unless a name says _ms.
 * Every header of src/core/ includes this one first.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_CORE_UTIL_H
#define LO_CORE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "logoff/provider.h"

#define LO_ATTR_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* The longest value of a subobject or a data line, in bytes: the record
 * holds no longer one, and the support object's track and set_data
 * refuse one (include/logoff/provider.h). */
#define LO_VALUE_MAX 4095

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

/* CLOCK_MONOTONIC now, in milliseconds. */
int64_t lo_now_ms(void);

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

#endif /* LO_CORE_UTIL_H */
