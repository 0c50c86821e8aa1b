/*
 * cgroup.h - a session's own cgroup on the cgroup v2 hierarchy: find the
 * hierarchy, create a cgroup, move a process in, list, kill, wait until
 * empty, remove. The behaviour follows the kernel's
 * Documentation/admin-guide/cgroup-v2.rst ("Core Interface Files",
 * "Processes", "Organizing Processes", "No Internal Process Constraint").
 *
 * A cgroup is named by its path relative to the top of the v2 hierarchy,
 * "/logoff/42" ("CG" below): never a path of the mount. Every path is
 * resolved one component at a time from an O_PATH descriptor of the v2
 * mount whose file system is checked (fstatfs: CGROUP2_SUPER_MAGIC), with
 * O_NOFOLLOW, so a path that came from a session record can reach no
 * file outside cgroupfs.
 *
 * Conventions of util.h: 0 or a negative errno, ret_* out-parameters,
 * times in ms where a name says _ms (CLOCK_MONOTONIC, lo_now_ms).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_CGROUP_H
#define LO_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* Longest CG handled, in bytes with the NUL. */
#define LO_CGROUP_PATH_MAX 1024

/*
 * Where the cgroup v2 hierarchy is mounted: the first "cgroup2" line of
 * /proc/self/mountinfo whose root is "/" (a hybrid host's
 * /sys/fs/cgroup/unified counts). Into BUF (SIZE bytes). Returns 0,
 * -ENOENT without one (or only one with an escaped mount point), or the
 * errno of fopen.
 */
int lo_cgroup2_mount(char *buf, size_t size);

/*
 * The cgroup v2 path of PID ("/logoff/42"), the "0::" line of
 * /proc/PID/cgroup (cgroup-v2.rst, "Processes"), into BUF. Returns 0,
 * -ENOENT when the process has no such line (or is gone), -ENAMETOOLONG,
 * or the errno of open.
 */
int lo_cgroup_of(pid_t pid, char *buf, size_t size);

/*
 * True when CG is a valid cgroup path for us: absolute, at most 8
 * components of 1..64 of [A-Za-z0-9_.@:\-] (systemd's unit names, such
 * as "session-3.scope" or "user@1000.service", fit), none "." or "..",
 * no "//", no trailing '/', shorter than LO_CGROUP_PATH_MAX. "/" is not.
 * An interface file name ("cgroup.procs") passes, but is never opened as
 * a cgroup: every component is opened O_DIRECTORY.
 */
bool lo_cgroup_path_valid(const char *cg);

/* True when CG is BASE or below it ("/a/b" is below "/a", "/ab" is not). */
bool lo_cgroup_below(const char *cg, const char *base);

/*
 * The identity of cgroup CG: the inode number of its directory, which is
 * the cgroup id the kernel gives each cgroup (kernfs node id; 64 bits,
 * never reused while the system runs), so a cgroup removed and made again
 * under the same name has another one. Returns 0 and *ret_id, -EINVAL for
 * a bad CG, -ENOENT when it does not exist, -EMEDIUMTYPE when the path
 * leaves cgroupfs, or the errno of open.
 */
int lo_cgroup_id(const char *cg, uint64_t *ret_id);

/*
 * Make cgroup CG: its missing ancestors first, each with mkdirat relative
 * to its parent's descriptor, mode 0755 (root-owned: we run as root), no
 * symlink followed. An existing CG is not an error for the ancestors and
 * is -EEXIST for CG itself (somebody else's). Returns 0 and *ret_id (as
 * lo_cgroup_id), or -EINVAL, -EEXIST, -EMEDIUMTYPE, the errno of mkdirat
 * (-EACCES, -EROFS, -EAGAIN past cgroup.max.descendants).
 */
int lo_cgroup_create(const char *cg, uint64_t *ret_id);

/*
 * Move process PID (the whole thread group) into CG: one write of the pid
 * to CG/cgroup.procs (cgroup-v2.rst, "Organizing Processes"). Returns 0,
 * or -EINVAL, -ESRCH (no such process), -EBUSY (the no-internal-process
 * rule: CG enables controllers for its children), -EACCES/-EPERM
 * (delegation: the writer needs write access to the common ancestor's
 * cgroup.procs), -ENOENT, -EMEDIUMTYPE.
 */
int lo_cgroup_attach(const char *cg, pid_t pid);

/*
 * Every process in CG and the cgroups below it, from each cgroup.procs:
 * a malloc'd array in *ret_pids (free it) of *ret_n pids, each once per
 * cgroup it was seen in (a process moving between two reads may appear
 * twice or not at all: callers loop until populated 0). Returns 0 or a
 * negative errno (-ENOMEM, -ENOENT, -EMEDIUMTYPE, -ELOOP past 64 levels).
 */
int lo_cgroup_procs(const char *cg, pid_t **ret_pids, size_t *ret_n);

/*
 * Is CG (or a cgroup below it) populated? The "populated" key of
 * CG/cgroup.events (cgroup-v2.rst, "cgroup.events"). Returns 1, 0, or a
 * negative errno (-ENOENT when CG is gone, -EBADMSG without the key).
 */
int lo_cgroup_populated(const char *cg);

/*
 * Wait until CG's cgroup.events says "populated 0", or DEADLINE_MS
 * (CLOCK_MONOTONIC ms, lo_now_ms). As the kernel doc says, a change of
 * the file is a "file modified" event: poll(2) reports POLLPRI (and
 * POLLERR); the file is read again after every wake, and at least every
 * 100 ms (a wake the poll missed costs no more). Returns 0 when empty
 * (or CG is gone), -ETIMEDOUT, or a negative errno.
 */
int lo_cgroup_wait_empty(const char *cg, int64_t deadline_ms);

/*
 * SIGKILL every process in CG and below: one write of "1" to
 * CG/cgroup.kill (Linux 5.14; the kernel kills the whole subtree, and a
 * process forking at that moment cannot escape). Where cgroup.kill does
 * not exist (older kernels), CG is frozen (cgroup.freeze 1, waiting up
 * to 1 s for "frozen 1" in cgroup.events), each process listed is sent
 * SIGKILL through a pidfd (a frozen process cannot fork or exit, so a
 * listed pid is not reused; SIGKILL reaches a frozen task), then CG is
 * thawed so the killed can exit. Does not wait for the exits: see
 * lo_cgroup_wait_empty. Returns 0, or -EINVAL, -ENOENT, -EMEDIUMTYPE, the
 * errno of the writes.
 */
int lo_cgroup_kill(const char *cg);

/* For tests only: when true, lo_cgroup_kill acts as if cgroup.kill did
 * not exist and takes the freeze fallback. */
extern bool lo_cgroup_test_no_kill_file;

/*
 * Remove CG and every cgroup below it, depth first, with rmdir only (a
 * cgroup directory holds only interface files, which go with it; a
 * populated cgroup cannot be removed: -EBUSY). A missing CG is success.
 * Returns 0, -EBUSY, -EINVAL, -EMEDIUMTYPE, -ELOOP (past 64 levels), or
 * the errno of unlinkat.
 */
int lo_cgroup_remove(const char *cg);

/*
 * The sweep's part for cgroups: every cgroup directly below ROOT (the
 * [processes] cgroup_root) that names a session ("N" or "rN") for which
 * HAS_RECORD(CTX, NAME) is false is a session whose record was lost: it
 * is ours (only root can make a directory in ROOT, and the name is one
 * only pam_logoff gives), so what still runs in it is ended with
 * cgroup.kill (waiting up to 2 s for populated 0) and it is removed,
 * with every cgroup below it. A "kept-N" cgroup without a record of N is
 * removed once empty; its processes are never ended. Any other name is
 * left alone. HAS_RECORD must say true for a record it cannot read. Each
 * removal is logged to LOG. Returns the number of cgroups removed, or a
 * negative errno of opening ROOT (-ENOENT: nothing was ever made).
 */
struct lo_log;
int lo_cgroup_sweep(const char *root, bool (*has_record)(void *ctx, const char *name),
		    void *ctx, const struct lo_log *log);

#endif /* LO_CGROUP_H */
