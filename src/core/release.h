/*
 * release.h - the subobject releasers (path, process, keyring, mount,
 * krb5 ccache): what the core releases of what a provider left tracked.
 * Conventions: see util.h.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_CORE_RELEASE_H
#define LO_CORE_RELEASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "logoff/provider.h"
#include "core/util.h"

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

#endif /* LO_CORE_RELEASE_H */
