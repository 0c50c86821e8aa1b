/*
 * cgroup.c - a session's own cgroup on the cgroup v2 hierarchy (see
 * cgroup.h and the kernel's Documentation/admin-guide/cgroup-v2.rst).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <syslog.h>
#include <unistd.h>

#include "core/util.h"
#include "core/proc.h"
#include "cgroup.h"

#define MAX_DEPTH 64
#define NAME_MAX_LEN 64
#define FREEZE_WAIT_MS 1000

bool lo_cgroup_test_no_kill_file;

int lo_cgroup2_mount(char *buf, size_t size)
{
	char line[4096];
	int r = -ENOENT;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* id parent major:minor root mountpoint opts... - fstype src opts */
		char root[PATH_MAX], mnt[PATH_MAX], fstype[64];
		const char *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2 ||
		    sscanf(dash + 3, "%63s", fstype) != 1)
			continue;
		/* An escaped mount point (a space in it) is not worth decoding. */
		if (strcmp(fstype, "cgroup2") == 0 && strcmp(root, "/") == 0 && strlen(mnt) < size &&
		    !strchr(mnt, '\\')) {
			strcpy(buf, mnt);
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

int lo_cgroup_of(pid_t pid, char *buf, size_t size)
{
	char path[64], line[PATH_MAX + 8];
	int r = -ENOENT;
	FILE *f;

	if (size == 0)
		return -ENAMETOOLONG;
	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		size_t len = strcspn(line, "\n");

		line[len] = '\0';
		if (strncmp(line, "0::/", 4) == 0) {
			if (len - 3 >= size) {
				r = -ENAMETOOLONG;
				break;
			}
			memcpy(buf, line + 3, len - 2);
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

bool lo_cgroup_path_valid(const char *cg)
{
	size_t comps = 0, len = 0;

	if (!cg || cg[0] != '/' || strlen(cg) >= LO_CGROUP_PATH_MAX)
		return false;
	for (const char *p = cg + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			if (len == 0 || len > NAME_MAX_LEN ||
			    (p[-1] == '.' && (len == 1 || (len == 2 && p[-2] == '.'))))
				return false;
			comps++;
			len = 0;
			if (*p == '\0')
				break;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("_-.@:\\", *p)))
			return false;
		len++;
	}
	return comps <= 8;
}

bool lo_cgroup_below(const char *cg, const char *base)
{
	size_t len = strlen(base);

	if (strcmp(base, "/") == 0)
		return cg[0] == '/';
	return strlen(cg) >= len && strncmp(cg, base, len) == 0 &&
	       (cg[len] == '\0' || cg[len] == '/');
}

static int check_cgroupfs(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return -errno;
	return sf.f_type == CGROUP2_SUPER_MAGIC ? 0 : -EMEDIUMTYPE;
}

/* An O_PATH descriptor of the top of the v2 hierarchy, checked. */
static int open_top(void)
{
	char mnt[PATH_MAX];
	int fd, r;

	r = lo_cgroup2_mount(mnt, sizeof(mnt));
	if (r < 0)
		return r;
	fd = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = check_cgroupfs(fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/*
 * A descriptor of directory CG, each component opened O_NOFOLLOW from
 * the checked top; with CREATE, missing components are made (mode 0755)
 * and *ret_created says whether the last one was. Returns the fd or a
 * negative errno.
 */
static int open_cg(const char *cg, bool create, bool *ret_created)
{
	char comp[NAME_MAX_LEN + 1];
	const char *p;
	int fd, r;

	if (ret_created)
		*ret_created = false;
	if (strcmp(cg, "/") != 0 && !lo_cgroup_path_valid(cg))
		return -EINVAL;
	fd = open_top();
	if (fd < 0)
		return fd;
	for (p = cg + 1; *p;) {
		size_t len = strcspn(p, "/");
		int nfd;

		memcpy(comp, p, len);
		comp[len] = '\0';
		p += len;
		if (*p == '/')
			p++;
		if (ret_created)
			*ret_created = false;
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, comp, 0755) == 0) {
				if (ret_created)
					*ret_created = true;
			} else if (errno != EEXIST) {
				r = -errno;
				close(fd);
				return r;
			}
			nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		r = nfd < 0 ? -errno : 0;
		close(fd);
		if (r < 0)
			return r;
		fd = nfd;
		r = check_cgroupfs(fd);
		if (r < 0) {
			close(fd);
			return r;
		}
	}
	return fd;
}

static int write_at(int dirfd, const char *name, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;
	int fd = openat(dirfd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	do
		n = write(fd, value, len);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	close(fd);
	return (size_t)n == len ? 0 : -EIO;
}

int lo_cgroup_id(const char *cg, uint64_t *ret_id)
{
	struct stat st;
	int fd = open_cg(cg, false, NULL);

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	close(fd);
	*ret_id = (uint64_t)st.st_ino;
	return 0;
}

int lo_cgroup_create(const char *cg, uint64_t *ret_id)
{
	struct stat st;
	bool created = false;
	int fd;

	if (!lo_cgroup_path_valid(cg))
		return -EINVAL;
	fd = open_cg(cg, true, &created);
	if (fd < 0)
		return fd;
	if (!created) {
		close(fd);
		return -EEXIST;
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	close(fd);
	*ret_id = (uint64_t)st.st_ino;
	return 0;
}

int lo_cgroup_attach(const char *cg, pid_t pid)
{
	char buf[32];
	int fd, r;

	if (pid <= 0)
		return -EINVAL;
	fd = open_cg(cg, false, NULL);
	if (fd < 0)
		return fd;
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	r = write_at(fd, "cgroup.procs", buf);
	close(fd);
	return r;
}

/* Read all of NAME in DIRFD into a malloc'd NUL-terminated buffer. */
static int read_all_at(int dirfd, const char *name, char **ret)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), r = 0;

	if (!buf || fd < 0) {
		r = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (cap - len < 2) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				r = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = buf;
	buf = NULL;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

/* A directory stream of DIRFD's own directory ("." of it: the same
 * directory, on the mount checked, whatever is mounted there since),
 * in *RET_DIR; DIRFD stays the caller's. 0 or a negative errno. */
static int dir_stream(int dirfd, DIR **ret_dir)
{
	int dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	*ret_dir = NULL;
	if (dfd < 0)
		return -errno;
	*ret_dir = fdopendir(dfd);
	if (!*ret_dir) {
		int e = errno;
		close(dfd);
		return -e;
	}
	return 0;
}

struct pidv {
	pid_t *v;
	size_t n, cap;
};

static int procs_at(int dirfd, struct pidv *pv, int depth)
{
	char *text = NULL, *line, *save = NULL;
	struct dirent *de;
	DIR *d;
	int r;

	if (depth > MAX_DEPTH)
		return -ELOOP;
	r = read_all_at(dirfd, "cgroup.procs", &text);
	if (r < 0)
		return r;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		long pid = strtol(line, NULL, 10);

		if (pid <= 0)
			continue;
		if (pv->n == pv->cap) {
			size_t cap = pv->cap ? pv->cap * 2 : 64;
			pid_t *nv = realloc(pv->v, cap * sizeof(*nv));
			if (!nv) {
				free(text);
				return -ENOMEM;
			}
			pv->v = nv;
			pv->cap = cap;
		}
		pv->v[pv->n++] = (pid_t)pid;
	}
	free(text);
	r = dir_stream(dirfd, &d);
	if (!d)
		return r < 0 ? r : -EIO;
	while ((de = readdir(d))) {
		int cfd;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		cfd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0)
			continue;	/* removed meanwhile */
		r = procs_at(cfd, pv, depth + 1);
		close(cfd);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

int lo_cgroup_procs(const char *cg, pid_t **ret_pids, size_t *ret_n)
{
	struct pidv pv = { 0 };
	int fd = open_cg(cg, false, NULL), r;

	if (fd < 0)
		return fd;
	r = procs_at(fd, &pv, 0);
	close(fd);
	if (r < 0) {
		free(pv.v);
		return r;
	}
	*ret_pids = pv.v;
	*ret_n = pv.n;
	return 0;
}

/* The value of KEY in cgroup.events text BUF: 0, 1, or -EBADMSG. */
static int events_key(const char *buf, const char *key)
{
	size_t len = strlen(key);

	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, len) == 0 && p[len] == ' ')
			return p[len + 1] == '1';
	return -EBADMSG;
}

static int read_events(int fd, const char *key)
{
	char buf[256];
	ssize_t n;

	do
		n = pread(fd, buf, sizeof(buf) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return events_key(buf, key);
}

/* Wait until KEY of cgroup.events in DIRFD is VALUE, or DEADLINE_MS. */
static int wait_events(int dirfd, const char *key, int value, int64_t deadline_ms)
{
	int fd = openat(dirfd, "cgroup.events", O_RDONLY | O_NOFOLLOW | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	for (;;) {
		struct pollfd p = { fd, POLLPRI, 0 };
		int64_t left;

		r = read_events(fd, key);
		if (r < 0 || r == value) {
			r = r < 0 ? r : 0;
			break;
		}
		left = deadline_ms - lo_now_ms();
		if (left <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		/* POLLPRI wakes us at the change; the bound only covers a
		 * change between the read and the poll's arming. */
		if (poll(&p, 1, (int)(left > 100 ? 100 : left)) < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
	}
	close(fd);
	return r;
}

int lo_cgroup_populated(const char *cg)
{
	int fd = open_cg(cg, false, NULL), efd, r;

	if (fd < 0)
		return fd;
	efd = openat(fd, "cgroup.events", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	r = efd < 0 ? -errno : read_events(efd, "populated");
	if (efd >= 0)
		close(efd);
	close(fd);
	return r;
}

int lo_cgroup_wait_empty(const char *cg, int64_t deadline_ms)
{
	int fd = open_cg(cg, false, NULL), r;

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	r = wait_events(fd, "populated", 0, deadline_ms);
	close(fd);
	return r;
}

/* The fallback of lo_cgroup_kill: freeze, SIGKILL each, thaw. */
static int freeze_and_kill(const char *cg, int fd)
{
	pid_t *pids = NULL;
	size_t n = 0;
	int r;

	r = write_at(fd, "cgroup.freeze", "1");
	if (r < 0)
		return r;
	/* Not frozen in time (a task in an uninterruptible sleep): kill
	 * what is listed anyway; the caller loops until populated 0. */
	(void)wait_events(fd, "frozen", 1, lo_now_ms() + FREEZE_WAIT_MS);
	r = lo_cgroup_procs(cg, &pids, &n);
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct lo_proc_handle h;
		char now[LO_CGROUP_PATH_MAX];

		if (lo_proc_handle_open(pids[i], &h) < 0)
			continue;
		/* Checked after the handle pinned the process: still ours. */
		if (lo_cgroup_of(pids[i], now, sizeof(now)) == 0 && lo_cgroup_below(now, cg))
			lo_proc_handle_signal(&h, SIGKILL);
		lo_proc_handle_close(&h);
	}
	free(pids);
	/* Thawed whatever happened: a killed task exits only once thawed,
	 * and a cgroup left frozen would hang the next user of the name. */
	{
		int t = write_at(fd, "cgroup.freeze", "0");
		if (r == 0)
			r = t;
	}
	return r;
}

int lo_cgroup_kill(const char *cg)
{
	int fd = open_cg(cg, false, NULL), r;

	if (fd < 0)
		return fd;
	r = lo_cgroup_test_no_kill_file ? -ENOENT : write_at(fd, "cgroup.kill", "1");
	if (r == -ENOENT)
		r = freeze_and_kill(cg, fd);
	close(fd);
	return r;
}

/* Remove every cgroup below DIRFD, depth first. */
static int remove_below(int dirfd, int depth)
{
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (depth > MAX_DEPTH)
		return -ELOOP;
	r = dir_stream(dirfd, &d);
	if (!d)
		return r < 0 ? r : -EIO;
	while ((de = readdir(d))) {
		int cfd, e;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		cfd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0)
			continue;
		e = remove_below(cfd, depth + 1);
		close(cfd);
		if (e == 0 && unlinkat(dirfd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
			e = -errno;
		if (e < 0 && r == 0)
			r = e;
	}
	closedir(d);
	return r;
}

int lo_cgroup_remove(const char *cg)
{
	char parent[LO_CGROUP_PATH_MAX];
	const char *base;
	int fd, pfd, r;

	if (!lo_cgroup_path_valid(cg))
		return -EINVAL;
	fd = open_cg(cg, false, NULL);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	r = remove_below(fd, 0);
	close(fd);
	if (r < 0)
		return r;
	base = strrchr(cg, '/');
	memcpy(parent, cg, (size_t)(base - cg));
	parent[base - cg] = '\0';
	pfd = open_cg(parent[0] ? parent : "/", false, NULL);
	if (pfd < 0)
		return pfd;
	r = unlinkat(pfd, base + 1, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
	close(pfd);
	return r;
}

/* "N" or "rN", the session ids a session cgroup is named after. */
static bool session_name(const char *name)
{
	const char *p = name[0] == 'r' ? name + 1 : name;

	if (!*p || strlen(name) > 16)
		return false;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

int lo_cgroup_sweep(const char *root, bool (*has_record)(void *ctx, const char *name),
		    void *ctx, const struct lo_log *log)
{
	struct dirent *de;
	DIR *d;
	int fd, dfd, removed = 0;

	if (!lo_cgroup_path_valid(root))
		return -EINVAL;
	fd = open_cg(root, false, NULL);
	if (fd < 0)
		return fd;
	dfd = dup(fd);
	d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		int e = -errno;
		if (dfd >= 0)
			close(dfd);
		close(fd);
		return e;
	}
	while ((de = readdir(d))) {
		char cg[LO_CGROUP_PATH_MAX];
		const char *id = de->d_name;
		bool kept = strncmp(id, "kept-", 5) == 0;
		struct stat st;
		int pop, r;

		if (de->d_type != DT_DIR || id[0] == '.')
			continue;
		if (kept)
			id += 5;
		if (!session_name(id) || has_record(ctx, id))
			continue;
		if ((size_t)snprintf(cg, sizeof(cg), "%s/%s", root, de->d_name) >= sizeof(cg))
			continue;
		/* Made by root, as every cgroup of ours is. */
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
		    st.st_uid != 0)
			continue;
		pop = lo_cgroup_populated(cg);
		if (pop < 0)
			continue;
		if (pop && kept)
			continue;
		if (pop) {
			lo_log(log, LOG_NOTICE, "sweep: cgroup %s has no session record: ending it", cg);
			if (lo_cgroup_kill(cg) < 0 || lo_cgroup_wait_empty(cg, lo_now_ms() + 2000) < 0) {
				lo_log(log, LOG_ERR, "sweep: cgroup %s: cannot end what runs in it", cg);
				continue;
			}
		}
		r = lo_cgroup_remove(cg);
		if (r < 0) {
			lo_log(log, LOG_ERR, "sweep: cannot remove cgroup %s: %s", cg, strerror(-r));
			continue;
		}
		lo_log(log, LOG_INFO, "sweep: removed cgroup %s (no session record)", cg);
		removed++;
	}
	closedir(d);
	close(fd);
	return removed;
}
