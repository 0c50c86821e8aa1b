/*
 * rdp.c - is an xrdp client attached to a session: see rdp.h.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/rdp.h"
#include "core/proc.h"

const char *lo_rdp_state_name(enum lo_rdp_state state)
{
	switch (state) {
	case LO_RDP_ATTACHED:
		return "attached";
	case LO_RDP_DISCONNECTED:
		return "disconnected";
	default:
		return "unknown";
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* N hex digits at *P into V (N <= 16), *P moved past them. */
static bool hex(const char **p, size_t n, uint64_t *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		int d = hexval((*p)[i]);
		if (d < 0)
			return false;
		*v = *v << 4 | (uint64_t)d;
	}
	*p += n;
	return true;
}

/* "ADDR:PORT" as the kernel prints it: 8 or 32 hex digits of 32-bit words
 * in host order (%08X of each __be32 read as a u32), a colon, 4 hex digits
 * of the port. Into a 16-byte IPv6 address (IPv4 mapped); *WORDS is 1 or
 * 4, the address's width. */
static bool endpoint(const char **p, uint8_t addr[16], uint16_t *port, size_t *ret_words)
{
	size_t words = 0;
	uint64_t v;

	while (hexval((*p)[words * 8]) >= 0 && words < 5) {
		const char *q = *p + words * 8;
		for (size_t i = 0; i < 8; i++)
			if (hexval(q[i]) < 0)
				return false;
		words++;
	}
	if (words != 1 && words != 4)
		return false;
	*ret_words = words;
	memset(addr, 0, 16);
	if (words == 1) {
		uint32_t w;
		if (!hex(p, 8, &v))
			return false;
		w = (uint32_t)v;
		addr[10] = addr[11] = 0xff;
		memcpy(addr + 12, &w, 4);
	} else {
		for (size_t i = 0; i < 4; i++) {
			uint32_t w;
			if (!hex(p, 8, &v))
				return false;
			w = (uint32_t)v;
			memcpy(addr + 4 * i, &w, 4);
		}
	}
	if (**p != ':')
		return false;
	(*p)++;
	if (!hex(p, 4, &v))
		return false;
	*port = (uint16_t)v;
	return **p == ' ';
}

static const char *skip_space(const char *p)
{
	while (*p == ' ')
		p++;
	return p;
}

/* Skip one white-space separated field. */
static const char *skip_field(const char *p)
{
	p = skip_space(p);
	while (*p && *p != ' ' && *p != '\n')
		p++;
	return p;
}

/* Past N fields at *P, the decimal field that follows, into *V, and *P
 * moved past it: false when the line ends before it or it is no number
 * ending the line or followed by a space. */
static bool decimal_after(const char **p, int n, unsigned long long *v)
{
	const char *q = *p;
	char *end;

	for (int i = 0; i < n; i++) {
		q = skip_field(q);
		if (!*q || *q == '\n')
			return false;
	}
	q = skip_space(q);
	if (*q < '0' || *q > '9')
		return false;
	errno = 0;
	*v = strtoull(q, &end, 10);
	if (errno || (*end != ' ' && *end != '\n' && *end))
		return false;
	*p = end;
	return true;
}

int lo_tcp_parse_line(const char *line, struct lo_tcp_sock *ret)
{
	const char *p = skip_space(line);
	uint64_t v;
	unsigned long long ino, uid;
	size_t lw = 0, rw = 0;

	memset(ret, 0, sizeof(*ret));
	/* "sl:" */
	if (hexval(*p) < 0)
		return -EINVAL;
	while (hexval(*p) >= 0)
		p++;
	if (*p++ != ':')
		return -EINVAL;
	p = skip_space(p);
	if (!endpoint(&p, ret->local, &ret->lport, &lw))
		return -EINVAL;
	p = skip_space(p);
	/* Both ends of one table's line have the table's width. */
	if (!endpoint(&p, ret->remote, &ret->rport, &rw) || rw != lw)
		return -EINVAL;
	p = skip_space(p);
	if (!hex(&p, 2, &v) || *p != ' ')
		return -EINVAL;
	ret->state = (unsigned)v;
	/* tx_queue:rx_queue tr:tm->when retrnsmt, then uid; timeout, then inode */
	if (!decimal_after(&p, 3, &uid) || uid > UINT32_MAX || !decimal_after(&p, 1, &ino))
		return -EINVAL;
	ret->uid = (uid_t)uid;
	ret->inode = ino;
	return 0;
}

/* X in the ascending array V (N): a binary search. 0 is no inode. */
static bool in_set(const uint64_t *v, size_t n, uint64_t x)
{
	size_t lo = 0, hi = n;

	if (x == 0)
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] == x)
			return true;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* X in the array V (N), in any order. */
static bool in_list(const uint64_t *v, size_t n, uint64_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* The entry at the other end of E, in its namespace, or NULL. */
static const struct lo_tcp_sock *peer_of(const struct lo_tcp_sock *tab, size_t n,
					 const struct lo_tcp_sock *e)
{
	for (size_t i = 0; i < n; i++) {
		const struct lo_tcp_sock *p = &tab[i];
		if (p != e && p->netns == e->netns && p->state == LO_TCP_ESTABLISHED &&
		    p->lport == e->rport && p->rport == e->lport &&
		    memcmp(p->local, e->remote, 16) == 0 && memcmp(p->remote, e->local, 16) == 0)
			return p;
	}
	return NULL;
}

/* The ports xrdp listens on (its daemon), per namespace: at most this
 * many are kept (a user cannot make xrdp listen). */
#define MAX_XRDP_LISTENERS 16

struct listener {
	uint64_t netns;
	uint16_t port;
};

static bool xrdp_listens(const struct listener *l, size_t n, uint64_t netns, uint16_t port)
{
	for (size_t i = 0; i < n; i++)
		if (l[i].netns == netns && l[i].port == port)
			return true;
	return false;
}

/* Whether a socket owned by UID was made by root or xrdp's account: no
 * user can make one. */
static bool privileged(uid_t uid, uid_t xrdp_uid)
{
	return uid == 0 || (xrdp_uid != (uid_t)-1 && uid == xrdp_uid);
}

enum lo_rdp_state lo_rdp_classify(const struct lo_tcp_sock *tab, size_t n, uint16_t port,
				  const uint64_t *session, size_t ns, const uint64_t *xrdp,
				  size_t nx, uid_t xrdp_uid, uint64_t *ret_xrdp_inode)
{
	struct listener xl[MAX_XRDP_LISTENERS];
	size_t nxl = 0;
	bool listener = false, unsure = false;

	for (size_t i = 0; i < n; i++) {
		const struct lo_tcp_sock *t = &tab[i];

		if (t->state != LO_TCP_LISTEN)
			continue;
		if (t->lport == port && in_set(session, ns, t->inode))
			listener = true;
		else if (in_set(xrdp, nx, t->inode) && nxl < MAX_XRDP_LISTENERS)
			xl[nxl++] = (struct listener){ t->netns, t->lport };
	}
	if (!listener)
		return LO_RDP_UNKNOWN;
	/* No xrdp daemon seen (not running, or a program this check does not
	 * recognise): nothing is known of its clients, and an attached one
	 * must never look gone. */
	if (nxl == 0)
		return LO_RDP_UNKNOWN;
	/* From the connecting side: one pass over the table for each
	 * connection to the VNC port that root or xrdp's account made (no
	 * user can add to them, so this stays linear in the table). */
	for (size_t i = 0; i < n; i++) {
		const struct lo_tcp_sock *p = &tab[i], *e;
		bool client;

		if (p->state != LO_TCP_ESTABLISHED || p->rport != port ||
		    in_set(session, ns, p->inode))
			continue;
		/* The client end: xrdp's, and xrdp dialled it (its port is not
		 * one xrdp listens on: a user's socket bound to the VNC port
		 * and connected to xrdp's RDP port is not a client). */
		client = in_set(xrdp, nx, p->inode) && !xrdp_listens(xl, nxl, p->netns, p->lport);
		/* Else a connection root or xrdp's account made that is not
		 * known as xrdp's (an xrdp process not recognised, an admin's
		 * viewer): it may be a client, so the session is not known to
		 * have none. A user's connection is never one. */
		if (!client && (in_set(xrdp, nx, p->inode) || !privileged(p->uid, xrdp_uid)))
			continue;
		/* The server end: the session's, accepted on the VNC port. */
		e = peer_of(tab, n, p);
		if (!e || !in_set(session, ns, e->inode))
			continue;
		if (!client) {
			unsure = true;
			continue;
		}
		if (ret_xrdp_inode)
			*ret_xrdp_inode = p->inode;
		return LO_RDP_ATTACHED;
	}
	return unsure ? LO_RDP_UNKNOWN : LO_RDP_DISCONNECTED;
}

/* ---------------------------------------------------------- /proc */

struct inodes {
	uint64_t *v;
	size_t n, cap;
};

static int inodes_add(struct inodes *s, uint64_t x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		uint64_t *v = reallocarray(s->v, cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* S in ascending order, for in_set. */
static void inodes_sort(struct inodes *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
}

/* Whether a failed open of something under /proc/PID means the process is
 * gone or not ours to read (it adds nothing: root is refused a process
 * being set up in another namespace, which is not xrdp's), rather than a
 * failure that leaves what is read incomplete. */
static bool vanished(int err)
{
	return err == ENOENT || err == ESRCH || err == EACCES || err == EPERM;
}

/* The socket inodes PID holds, added to S. 0 (a process gone or not
 * readable adds none), -ENOMEM, or the errno of a failed open or read
 * (-EMFILE, -EIO):
 * never a partial answer that could make an attached client look gone. */
static int sockets_of(pid_t pid, struct inodes *s)
{
	char path[64], link[64];
	struct dirent *e;
	DIR *d;
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return vanished(errno) ? 0 : -errno;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	for (;;) {
		unsigned long long ino;
		ssize_t len;
		char *end;

		errno = 0;
		if (r < 0 || !(e = readdir(d)))
			break;
		if (e->d_name[0] == '.')
			continue;
		/* A descriptor closed meanwhile (ENOENT) held nothing. */
		len = readlinkat(fd, e->d_name, link, sizeof(link) - 1);
		if (len < 0 && !vanished(errno)) {
			r = -errno;
			break;
		}
		if (len <= 0)
			continue;
		link[len] = '\0';
		/* "socket:[INODE]" (proc(5), /proc/PID/fd). */
		if (strncmp(link, "socket:[", 8) != 0 || link[8] < '0' || link[8] > '9')
			continue;
		errno = 0;
		ino = strtoull(link + 8, &end, 10);
		if (errno == 0 && end[0] == ']' && end[1] == '\0')
			r = inodes_add(s, ino);
	}
	/* readdir's error (the process gone meanwhile: ENOENT, nothing). */
	if (r == 0 && errno && !vanished(errno))
		r = -errno;
	closedir(d);
	return r;
}

/* PID's network namespace (the inode of /proc/PID/ns/net), 0 unknown. */
static uint64_t netns_of(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

struct table {
	struct lo_tcp_sock *v;
	size_t n, cap;
};

/* /proc/PID/net/tcp and tcp6 into T, tagged NETNS. 0; -ESRCH when PID
 * is gone (no tcp table: read the namespace through another process);
 * -ENOMEM, -EIO, or the errno of a failed open. tcp6 may be missing
 * only where the kernel has no IPv6 (our own /proc/self/net/tcp6 is
 * missing too); else PID went between the two reads. */
static int read_tables(pid_t pid, uint64_t netns, struct table *t)
{
	static const char *const names[] = { "tcp", "tcp6" };

	for (size_t k = 0; k < 2; k++) {
		char path[64], line[512];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid, names[k]);
		f = fopen(path, "re");
		if (!f) {
			if (errno == ENOENT && k == 1 && access("/proc/self/net/tcp6", F_OK) < 0 &&
			    errno == ENOENT)
				continue;
			return vanished(errno) ? -ESRCH : -errno;
		}
		while (fgets(line, sizeof(line), f)) {
			struct lo_tcp_sock s;

			if (lo_tcp_parse_line(line, &s) < 0)
				continue;
			if (s.state != LO_TCP_ESTABLISHED && s.state != LO_TCP_LISTEN)
				continue;
			s.netns = netns;
			if (t->n == t->cap) {
				size_t cap = t->cap ? t->cap * 2 : 64;
				struct lo_tcp_sock *v = reallocarray(t->v, cap, sizeof(*v));
				if (!v) {
					fclose(f);
					return -ENOMEM;
				}
				t->v = v;
				t->cap = cap;
			}
			t->v[t->n++] = s;
		}
		if (ferror(f)) {
			fclose(f);
			return -EIO;
		}
		fclose(f);
	}
	return 0;
}

/* What makes a process an xrdp process (rdp.h): the program file's
 * identity and path, and the account. */
struct xrdp_id {
	bool have;		/* LO_XRDP_PATH exists */
	dev_t dev;		/* of the file LO_XRDP_PATH names (symlinks followed) */
	ino_t ino;
	char real[PATH_MAX];	/* its path with symlinks resolved */
	uid_t uid;		/* of LO_XRDP_USER, (uid_t)-1 when no such account */
};

static void xrdp_id_get(struct xrdp_id *id)
{
	struct passwd pw, *pwp = NULL;
	struct stat st;
	char buf[4096];

	memset(id, 0, sizeof(*id));
	id->uid = (uid_t)-1;
	if (getpwnam_r(LO_XRDP_USER, &pw, buf, sizeof(buf), &pwp) == 0 && pwp)
		id->uid = pwp->pw_uid;
	if (stat(LO_XRDP_PATH, &st) == 0 && realpath(LO_XRDP_PATH, id->real)) {
		id->have = true;
		id->dev = st.st_dev;
		id->ino = st.st_ino;
	}
}

/* PID's four uids (/proc/PID/status "Uid:\tREAL\tEFFECTIVE\tSAVED\tFS",
 * proc(5)) are all one, into *RET. */
static bool one_uid(pid_t pid, uid_t *ret)
{
	char path[64], line[256];
	unsigned long u[4];
	bool ok = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		const char *p = line + 4;
		int i;

		if (strncmp(line, "Uid:", 4) != 0)
			continue;
		for (i = 0; i < 4; i++) {
			char *end;

			p += strspn(p, " \t");
			if (*p < '0' || *p > '9')
				break;
			errno = 0;
			u[i] = strtoul(p, &end, 10);
			if (errno)
				break;
			p = end;
		}
		ok = i == 4;
		for (i = 1; ok && i < 4; i++)
			ok = u[i] == u[0];
		break;
	}
	fclose(f);
	if (ok)
		*ret = (uid_t)u[0];
	return ok;
}

/* Whether PID is an xrdp process: it runs the file LO_XRDP_PATH names
 * (the same inode, or, replaced by a package upgrade while it runs, the
 * same path marked " (deleted)"), and its four uids are all root's or all
 * the xrdp account's. 1 or 0 (also for a process gone, one that runs no
 * program, a kernel thread, or one root may not read); a negative errno
 * when its program cannot be read otherwise. */
static int is_xrdp(pid_t pid, const struct xrdp_id *id)
{
	char path[64], exe[PATH_MAX + 16];
	struct stat st;
	ssize_t len;
	uid_t uid;

	if (!id->have)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (stat(path, &st) < 0)
		return vanished(errno) ? 0 : -errno;
	if (st.st_dev != id->dev || st.st_ino != id->ino) {
		len = readlink(path, exe, sizeof(exe) - 1);
		if (len < 0)
			return vanished(errno) ? 0 : -errno;
		exe[len] = '\0';
		if (strncmp(exe, id->real, strlen(id->real)) != 0 ||
		    strcmp(exe + strlen(id->real), " (deleted)") != 0)
			return 0;
	}
	return one_uid(pid, &uid) && (uid == 0 || (id->uid != (uid_t)-1 && uid == id->uid));
}

/* Whether PID runs an Xvnc (TigerVNC's X server: Xvnc, or Xtigervnc, the
 * file Debian's Xvnc alternative names). */
static bool is_vnc_server(pid_t pid)
{
	char path[64], exe[PATH_MAX + 16];
	const char *base;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	len = readlink(path, exe, sizeof(exe) - 1);
	if (len <= 0)
		return false;
	exe[len] = '\0';
	if (len > 10 && strcmp(exe + len - 10, " (deleted)") == 0)
		exe[len - 10] = '\0';
	base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	return strcmp(base, "Xvnc") == 0 || strcmp(base, "Xtigervnc") == 0;
}

/* Every xrdp process: its sockets into X, and the one holding WANT (when
 * not 0) into *RET_PID. */
static int xrdp_sockets(const struct xrdp_id *id, struct inodes *x, uint64_t want,
			pid_t *ret_pid)
{
	struct dirent *e;
	DIR *d = opendir("/proc");
	int r = 0;

	if (!d)
		return -errno;
	for (;;) {
		char *end;
		long pid;
		size_t before = x->n;

		errno = 0;
		if (r < 0 || !(e = readdir(d)))
			break;
		pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0 || (r = is_xrdp((pid_t)pid, id)) <= 0)
			continue;
		r = sockets_of((pid_t)pid, x);
		if (want && ret_pid && in_list(x->v + before, x->n - before, want))
			*ret_pid = (pid_t)pid;
	}
	if (r == 0 && errno)
		r = -errno;
	closedir(d);
	inodes_sort(x);
	return r;
}

int lo_rdp_measure(const pid_t *pids, size_t n, unsigned display, struct lo_rdp_client *ret)
{
	struct inodes session = { 0 }, xrdp = { 0 }, seen = { 0 };
	struct table tab = { 0 };
	struct xrdp_id id;
	uint64_t inode = 0;
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	if (display > 65535 - LO_VNC_PORT_BASE)
		return -EINVAL;
	xrdp_id_get(&id);
	/* The session's side is its VNC server's: the listener and the
	 * connections it accepted. A program of the user's that listens on
	 * the port does not make a session of another kind disconnected. */
	for (size_t i = 0; i < n && r == 0; i++) {
		uint64_t ns;

		if (!is_vnc_server(pids[i]))
			continue;
		r = sockets_of(pids[i], &session);
		ns = netns_of(pids[i]);
		if (r == 0 && ns && !in_list(seen.v, seen.n, ns)) {
			size_t before = tab.n;

			r = read_tables(pids[i], ns, &tab);
			if (r == -ESRCH) {
				/* Gone meanwhile: another process of the same
				 * namespace reads it. */
				tab.n = before;
				r = 0;
			} else if (r == 0) {
				r = inodes_add(&seen, ns);
			}
		}
	}
	inodes_sort(&session);
	if (r == 0 && session.n > 0) {
		/* Without the session's listener, nothing more to read. */
		bool listener = false;

		for (size_t i = 0; i < tab.n && !listener; i++)
			listener = tab.v[i].state == LO_TCP_LISTEN &&
				   tab.v[i].lport == LO_VNC_PORT_BASE + display &&
				   in_set(session.v, session.n, tab.v[i].inode);
		if (listener) {
			r = xrdp_sockets(&id, &xrdp, 0, NULL);
			if (r == 0)
				ret->state = lo_rdp_classify(tab.v, tab.n,
							     (uint16_t)(LO_VNC_PORT_BASE + display),
							     session.v, session.n, xrdp.v, xrdp.n,
							     id.uid, &inode);
		}
	}
	if (r == 0 && ret->state == LO_RDP_ATTACHED) {
		/* The process serving that connection, for --disconnect. */
		xrdp.n = 0;
		ret->xrdp_inode = inode;
		r = xrdp_sockets(&id, &xrdp, inode, &ret->xrdp_pid);
		if (r == 0 && (!ret->xrdp_pid || lo_proc_starttime(ret->xrdp_pid,
								    &ret->xrdp_start) < 0))
			ret->xrdp_pid = 0;
	}
	free(session.v);
	free(xrdp.v);
	free(seen.v);
	free(tab.v);
	if (r < 0)
		memset(ret, 0, sizeof(*ret));
	return r;
}

/* Whether PID holds a listening TCP socket (it serves every client): 1
 * or 0, or a negative errno when that cannot be read (then it is not
 * signalled). */
static int listens(pid_t pid)
{
	struct inodes s = { 0 };
	struct table t = { 0 };
	int r = sockets_of(pid, &s);

	inodes_sort(&s);
	if (r == 0)
		r = read_tables(pid, 0, &t);
	for (size_t i = 0; r == 0 && i < t.n; i++)
		if (t.v[i].state == LO_TCP_LISTEN && in_set(s.v, s.n, t.v[i].inode))
			r = 1;
	free(s.v);
	free(t.v);
	return r;
}

/* Whether PID holds the socket INODE: 1 or 0, or a negative errno. */
static int holds(pid_t pid, uint64_t inode)
{
	struct inodes s = { 0 };
	int r = sockets_of(pid, &s);

	if (r == 0)
		r = in_list(s.v, s.n, inode);
	free(s.v);
	return r;
}

int lo_rdp_disconnect(const struct lo_rdp_client *client)
{
	struct lo_proc_handle h;
	struct xrdp_id id;
	pid_t ppid = 0;
	int r;

	if (client->state != LO_RDP_ATTACHED || client->xrdp_pid <= 0)
		return -EINVAL;
	r = lo_proc_handle_open(client->xrdp_pid, &h);
	if (r < 0)
		return r;
	/* With the process pinned: the same one, still xrdp, a child of
	 * xrdp's daemon (one client's), still holding that connection. */
	xrdp_id_get(&id);
	if (h.start != client->xrdp_start)
		r = -ESRCH;
	else if ((r = is_xrdp(h.pid, &id)) <= 0)
		r = r < 0 ? r : -EPERM;
	else if (lo_proc_info(h.pid, &ppid, NULL, NULL, NULL, NULL) < 0 || ppid <= 1 ||
		 is_xrdp(ppid, &id) != 1)
		r = -EBUSY;
	else if ((r = holds(h.pid, client->xrdp_inode)) <= 0)
		r = r < 0 ? r : -ESRCH;
	else if ((r = listens(h.pid)) != 0)
		r = r > 0 ? -EBUSY : r;
	else
		r = lo_proc_handle_signal(&h, SIGTERM);
	lo_proc_handle_close(&h);
	return r;
}
