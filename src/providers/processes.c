/*
 * processes.c - the processes provider: at logoff, ends every process of
 * the session. SIGTERM and SIGCONT, [processes] grace seconds, then
 * SIGKILL, all through pidfds so a reused pid is never hit.
 *
 * Which processes are the session's (match):
 *   cgroup those in the session's own cgroup v2 (systemd's session-N.scope,
 *          or one the admin sets up: [processes] cgroup_pattern), and in
 *          the cgroups below it; ended with cgroup.kill when that cannot
 *          hit anything that must survive, else by signals as below.
 *          Without such a scope (no logind, and systemd not managing the
 *          tree), one of our own, <cgroup_root>/<id>, made at logon with
 *          the login manager moved in, and ended by it at logoff
 *          (end_own_cgroup: leave, keep apart, SIGTERM, grace,
 *          cgroup.kill, populated 0, rmdir);
 *   audit  those whose audit session id is the one this login created;
 *   user   the user's, but only when the user has no other session in the
 *          registry;
 *   auto   cgroup when the session has a cgroup (logind's or ours), else
 *          audit when this login created an audit session, else user.
 * Never the calling process or its ancestors (the login manager), never a
 * process of exclude_users, never one running a root-owned program listed
 * in keep_commands; with match=user never one that started after the
 * logoff began.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/statfs.h>
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <syslog.h>
#include <unistd.h>

#include "core/core.h"
#include "core/cgroup.h"
#include "providers/providers.h"

static const char *const match_choices[] = { "auto", "cgroup", "audit", "user", NULL };

static const struct logoff_config_key keys[] = {
	{ "match", LOGOFF_CONFIG_STRING, "auto", match_choices },
	/* The last component of the login manager's cgroup must match this
	 * (fnmatch) for the session to have a cgroup of its own. */
	{ "cgroup_pattern", LOGOFF_CONFIG_STRING, "session-*.scope", NULL },
	/* Where sessions get a cgroup of their own (no logind), relative to
	 * the top of the cgroup v2 hierarchy. */
	{ "cgroup_root", LOGOFF_CONFIG_STRING, "/logoff", NULL },
	{ "grace", LOGOFF_CONFIG_SECONDS, "5", NULL },
	{ "exclude_users", LOGOFF_CONFIG_LIST, "root", NULL },
	{ "keep_commands", LOGOFF_CONFIG_LIST, "", NULL },	/* program names or paths */
	{ NULL, 0, NULL, NULL },
};

#define MAX_ROUNDS 8
#define MAX_ANCESTORS 64
#define MAX_KSIDS 256
#define KILL_WAIT_MS 2000
/* After the chain's deadline (ctx->deadline_ms), how long SIGKILLed
 * processes are waited for: what close_session allows a closer. */
#define DEADLINE_KILL_WAIT_MS 300

struct matcher {
	bool audit;
	const char *cgroup;	/* match=cgroup: the session's cgroup, relative to the v2 root */
	uint32_t session;
	uid_t uid;
	uid_t excluded[LO_MAX_PROVIDERS * 4];
	size_t n_excluded;
	bool exclude_error;	/* exclude_users unreadable: end nothing */
	unsigned long long started_before;	/* match=user: start-time cutoff, ticks */
	bool unprivileged;	/* not root: only our own uid can be signalled */
	pid_t ksids[MAX_KSIDS];	/* match=user: kernel sessions of the logoff's processes */
	size_t n_ksids;
	const char *keep;
	pid_t ancestors[MAX_ANCESTORS];
	size_t n_ancestors;
};

struct victims {
	struct lo_proc_handle *h;
	size_t n, cap;
};

/* The cgroup v2 path of PID, into BUF: lo_cgroup_of. */
static int cgroup_of(pid_t pid, char *buf, size_t size)
{
	return lo_cgroup_of(pid, buf, size);
}

/* The identity of cgroup CG (relative to the v2 root): its cgroup id
 * (lo_cgroup_id), which the kernel never gives another cgroup while the
 * system runs. 0 when it cannot be read. */
static unsigned long long cgroup_id(const char *cg)
{
	uint64_t id = 0;

	if (!cg || lo_cgroup_id(cg, &id) < 0)
		return 0;
	return (unsigned long long)id;
}

/*
 * At logon: the session's own cgroup. The login manager must run in a
 * cgroup whose name matches cgroup_pattern and that this login made: its
 * parent runs elsewhere (sshd's listener in sshd.service, while
 * pam_systemd put the session in session-N.scope). su or sudo inside a
 * login run in their caller's scope, which is not theirs to end.
 * Kept in the record with the cgroup's id, checked again at logoff.
 */
static void find_session_cgroup(struct logoff_support *s)
{
	char cg[PATH_MAX], pcg[PATH_MAX], id[32];
	unsigned long long ino;
	const char *base;

	if (cgroup_of(getpid(), cg, sizeof(cg)) < 0 || strcmp(cg, "/") == 0)
		return;
	base = strrchr(cg, '/') + 1;
	if (fnmatch(s->config(s, "cgroup_pattern"), base, 0) != 0)
		return;
	if (cgroup_of(getppid(), pcg, sizeof(pcg)) < 0 || strcmp(cg, pcg) == 0 ||
	    (strncmp(pcg, cg, strlen(cg)) == 0 && pcg[strlen(cg)] == '/'))
		return;
	ino = cgroup_id(cg);
	if (ino == 0)
		return;
	snprintf(id, sizeof(id), "%llu", ino);
	if (s->set_data(s, "cgroup_id", id) == 0)
		s->set_data(s, "cgroup", cg);
}

/* True for a session id that may name a cgroup of ours: the audit
 * session id (digits) or a registry id ("r" and digits), so a session
 * cgroup never looks like "kept-N" or an interface file. */
static bool cgroup_name_valid(const char *id)
{
	const char *p = id[0] == 'r' ? id + 1 : id;

	if (!*p || strlen(id) > 16)
		return false;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/*
 * At logon, where no session cgroup of logind holds the login manager:
 * a cgroup of the session's own, <cgroup_root>/<id>, and the calling
 * process (the login manager's session process: sshd's monitor, su,
 * login) moved into it before the user's shell is forked, so everything
 * the session starts is born inside it. The caller of su (getppid()) is
 * never moved. When the login manager already runs in a session cgroup
 * of ours (su inside such a session), the new one is made below it, so
 * the outer session's logoff ends the inner one as well.
 * Not where systemd manages the tree (/run/systemd/system): systemd is
 * the single writer of its cgroup tree, and cgroups made or processes
 * moved behind its back break its accounting (systemd's "Control Group
 * APIs and Delegation"). Returns a reason to show when no writable cgroup
 * v2 exists, NULL otherwise.
 */
static const char *own_cgroup(struct logoff_support *s)
{
	static const char none[] = "no writable cgroup v2: processes found by audit session or user";
	const char *root = s->config(s, "cgroup_root"), *id = s->identity->session_id;
	char from[LO_CGROUP_PATH_MAX], cg[LO_CGROUP_PATH_MAX], num[32];
	const char *parent = root;
	uint64_t ino = 0;
	int r;

	if (s->rollback || !s->privileged || access("/run/systemd/system", F_OK) == 0)
		return NULL;
	if (!root || !lo_cgroup_path_valid(root) || !cgroup_name_valid(id)) {
		s->log(s, LOG_WARNING, "cgroup_root %s or session id %s cannot name a cgroup",
		       root ? root : "(none)", id);
		return none;
	}
	if (lo_cgroup_of(getpid(), from, sizeof(from)) < 0)
		return none;
	if (lo_cgroup_below(from, root) && strcmp(from, root) != 0 &&
	    strncmp(from + strlen(root), "/kept-", 6) != 0)
		parent = from;
	if ((size_t)snprintf(cg, sizeof(cg), "%s/%s", parent, id) >= sizeof(cg) ||
	    !lo_cgroup_path_valid(cg))
		return none;
	r = lo_cgroup_create(cg, &ino);
	if (r < 0) {
		s->log(s, r == -EEXIST ? LOG_ERR : LOG_DEBUG, "cannot create cgroup %s: %s", cg,
		       strerror(-r));
		return none;
	}
	snprintf(num, sizeof(num), "%llu", (unsigned long long)ino);
	/* Recorded before anything moves in: a record always names a
	 * populated cgroup of ours, so the sweep never takes it for an
	 * orphan. */
	/* Three durable writes of the record, each one a cost of every
	 * login: cgroup_from also marks the cgroup as ours. */
	if (s->set_data(s, "cgroup_from", from) < 0 || s->set_data(s, "cgroup_id", num) < 0 ||
	    s->set_data(s, "cgroup", cg) < 0)
		goto undo;
	r = lo_cgroup_attach(cg, getpid());
	if (r < 0) {
		s->log(s, LOG_WARNING, "cannot move %d into cgroup %s: %s", (int)getpid(), cg,
		       strerror(-r));
		goto undo;
	}
	return NULL;
undo:
	s->set_data(s, "cgroup", NULL);
	s->set_data(s, "cgroup_id", NULL);
	s->set_data(s, "cgroup_from", NULL);
	lo_cgroup_remove(cg);
	return none;
}

/*
 * match=auto: the session's cgroup when it has one (logind's scope, or
 * one of our own), so under su, runuser and sudo only what the session
 * started ends; else audit when this login created an audit session,
 * else user.
 */
static const char *mode_of(struct logoff_support *s)
{
	const char *m = s->config(s, "match");

	if (strcmp(m, "auto") == 0)
		return s->get_data(s, "cgroup") ? "cgroup" :
		       s->identity->audit_session ? "audit" : "user";
	return m;
}

static int processes_logon(struct logoff_support *s, unsigned flags)
{
	const char *mode, *match = s->config(s, "match"), *why = NULL;

	find_session_cgroup(s);
	/* match=audit and match=user are an admin's choice of search: no
	 * cgroup is made for them. */
	if (!s->get_data(s, "cgroup") &&
	    (strcmp(match, "auto") == 0 || strcmp(match, "cgroup") == 0))
		why = own_cgroup(s);
	mode = mode_of(s);
	if (strcmp(mode, "audit") == 0 && !s->identity->audit_session)
		s->set_status(s, "match=audit, but this login created no audit session "
			      "(pam_loginuid): nothing will be ended");
	else if (strcmp(mode, "cgroup") == 0 && !s->get_data(s, "cgroup"))
		s->set_status(s, "match=cgroup, but the login manager runs in no session cgroup "
			      "(cgroup_pattern %s)%s%s: nothing will be ended",
			      s->config(s, "cgroup_pattern"), why ? "; " : "", why ? why : "");
	else if (strcmp(mode, "cgroup") == 0)
		s->set_status(s, "match=cgroup: %s%s", s->get_data(s, "cgroup"),
			      s->get_data(s, "cgroup_from") ? " (own)" : "");
	else
		s->set_status(s, "match=%s%s%s", mode, why ? "; " : "", why ? why : "");
	return 0;
}

static void matcher_init(struct logoff_support *s, struct matcher *m, const char *mode)
{
	bool audit = strcmp(mode, "audit") == 0, user = strcmp(mode, "user") == 0;
	const char *list = s->config(s, "exclude_users");
	char *words[LO_MAX_PROVIDERS * 4];
	int n = lo_split_list(list, words, sizeof(words) / sizeof(*words));
	pid_t p = getpid();

	memset(m, 0, sizeof(*m));
	m->audit = audit;
	m->cgroup = strcmp(mode, "cgroup") == 0 ? s->get_data(s, "cgroup") : NULL;
	m->unprivileged = !s->privileged;
	if (user) {
		struct timespec ts;
		long hz = sysconf(_SC_CLK_TCK);
		/* /proc/PID/stat's start time counts clock ticks since boot. */
		if (hz > 0 && clock_gettime(CLOCK_BOOTTIME, &ts) == 0)
			m->started_before = (unsigned long long)ts.tv_sec * (unsigned long long)hz +
					    (unsigned long long)ts.tv_nsec * (unsigned long long)hz /
					    1000000000ULL + 1;
	}
	m->session = (uint32_t)strtoul(s->identity->session_id, NULL, 10);
	m->uid = s->identity->uid;
	m->keep = s->config(s, "keep_commands");
	/* Fail closed: an exclusion list we cannot read protects everyone. */
	m->exclude_error = n < 0;
	for (int i = 0; i < n; i++) {
		struct passwd pw, *res = NULL;
		char buf[4096];

		if (getpwnam_r(words[i], &pw, buf, sizeof(buf), &res) == 0 && res)
			m->excluded[m->n_excluded++] = res->pw_uid;
		else if (isdigit((unsigned char)words[i][0]))
			m->excluded[m->n_excluded++] = (uid_t)strtoul(words[i], NULL, 10);
		free(words[i]);
	}
	/* Ourselves and every ancestor up to init: the helper, the login
	 * manager that called close_session, its parents. */
	while (p > 1 && m->n_ancestors < MAX_ANCESTORS) {
		pid_t pp = 0;
		m->ancestors[m->n_ancestors++] = p;
		if (lo_proc_info(p, &pp, NULL, NULL, NULL, NULL) < 0)
			break;
		p = pp;
	}
}

/*
 * Kept when the program the process runs (/proc/PID/exe) is listed, by
 * absolute path or by file name, and is a file owned by root that only
 * root can write. The process name (comm) is not used: any process can
 * set its own with prctl(PR_SET_NAME), and a user can run a copy of a
 * program under any name from their home.
 */
static bool keep_program(const char *keep, pid_t pid)
{
	char link[64], exe[PATH_MAX];
	const char *base;
	struct stat st;
	ssize_t n;

	if (!keep || !*keep)
		return false;
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	/* A program replaced by a package upgrade while it runs: still the
	 * same program. */
	if ((size_t)n > 10 && strcmp(exe + n - 10, " (deleted)") == 0)
		exe[n - 10] = '\0';
	if (stat(link, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022))
		return false;
	base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	return lo_list_contains(keep, exe) || lo_list_contains(keep, base);
}

/* Kept when PID or one of its ancestors runs a kept program: keeping
 * tmux or screen means keeping what runs inside them. */
static bool kept(const struct matcher *m, pid_t pid)
{
	if (!m->keep || !*m->keep)
		return false;
	for (int depth = 0; pid > 1 && depth < MAX_ANCESTORS; depth++) {
		pid_t ppid = 0;

		if (keep_program(m->keep, pid))
			return true;
		if (lo_proc_info(pid, &ppid, NULL, NULL, NULL, NULL) < 0)
			return false;
		pid = ppid;
	}
	return false;
}

static bool matches(struct matcher *m, pid_t pid)
{
	uint32_t sid = UINT32_MAX;
	pid_t ppid = 0;
	uid_t uid;
	char state = 0;

	for (size_t i = 0; i < m->n_ancestors; i++)
		if (m->ancestors[i] == pid)
			return false;
	if (lo_proc_info(pid, &ppid, &uid, m->audit ? &sid : NULL, &state, NULL) < 0)
		return false;
	/* Kernel threads (children of kthreadd) and the already dead. */
	if (pid == 2 || ppid == 2 || state == 'Z' || state == 'X')
		return false;
	if (m->cgroup) {
		char cg[PATH_MAX];
		size_t len = strlen(m->cgroup);

		if (cgroup_of(pid, cg, sizeof(cg)) < 0 || strncmp(cg, m->cgroup, len) != 0 ||
		    (cg[len] != '\0' && cg[len] != '/'))
			return false;
	} else if (m->audit ? sid != m->session : uid != m->uid) {
		return false;
	}
	if (m->unprivileged && uid != geteuid())
		return false;
	for (size_t i = 0; i < m->n_excluded; i++)
		if (m->excluded[i] == uid)
			return false;
	if (m->started_before) {
		/* The user's next login may start while this logoff waits out
		 * its grace period. What started after the logoff began is
		 * this session's only when it is in a kernel session (setsid)
		 * of the processes found before: the fork of a process that
		 * dodges SIGTERM, not a new login, which sshd or login put in
		 * a session of its own. */
		unsigned long long start;
		pid_t ksid = 0;
		bool known = false;

		if (lo_proc_session(pid, &ksid, &start) < 0)
			return false;
		for (size_t i = 0; i < m->n_ksids; i++)
			known |= m->ksids[i] == ksid;
		if (start > m->started_before && !known)
			return false;
		if (start <= m->started_before && !known && m->n_ksids < MAX_KSIDS)
			m->ksids[m->n_ksids++] = ksid;
	}
	if (kept(m, pid))
		return false;
	return true;
}

static void victims_clear(struct victims *v)
{
	for (size_t i = 0; i < v->n; i++)
		lo_proc_handle_close(&v->h[i]);
	v->n = 0;
}

static int victims_add(struct victims *v, const struct lo_proc_handle *h)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		struct lo_proc_handle *n = realloc(v->h, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		v->h = n;
		v->cap = cap;
	}
	v->h[v->n++] = *h;
	return 0;
}

/* Collect handles on matching processes, at most MAX. A process is
 * checked once without a handle, so the many that are not the session's
 * cost no pidfd; a match gets its handle and is checked again after: if
 * the pid was reused in between, that check sees the new process but the
 * signal can only reach the one the handle pinned, which is then gone. A
 * process missed because its pid was reused between the two is found by
 * the next round. */
static int scan(struct matcher *m, struct victims *v, size_t max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int r = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)) && v->n < max) {
		struct lo_proc_handle h;
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		int e;

		if (*end || pid <= 1 || !matches(m, (pid_t)pid))
			continue;
		e = lo_proc_handle_open((pid_t)pid, &h);
		if (e == -EMFILE || e == -ENFILE) {
			/* Out of descriptors before a single handle: an error,
			 * never "nothing to end". */
			if (v->n == 0)
				r = e;
			break;
		}
		if (e < 0)
			continue;
		if (!matches(m, (pid_t)pid)) {
			lo_proc_handle_close(&h);
			continue;
		}
		r = victims_add(v, &h);
		if (r < 0) {
			lo_proc_handle_close(&h);
			break;
		}
	}
	closedir(d);
	return r;
}

static void signal_all(struct victims *v, int sig)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->h[i].pid > 0)
			lo_proc_handle_signal(&v->h[i], sig);
}

/* Wait until every victim exited or DEADLINE_MS; returns how many are
 * still alive. Exited ones are closed and get pid 0. */
static size_t wait_all(struct victims *v, int64_t deadline_ms)
{
	struct pollfd *pfd = calloc(v->n ? v->n : 1, sizeof(*pfd));
	size_t *map = calloc(v->n ? v->n : 1, sizeof(*map));
	size_t alive = 0;

	if (!pfd || !map) {
		free(pfd);
		free(map);
		return v->n;
	}
	for (;;) {
		bool fallback = false;
		int64_t left;
		int n;

		alive = 0;
		for (size_t i = 0; i < v->n; i++) {
			struct lo_proc_handle *h = &v->h[i];
			if (h->pid == 0)
				continue;
			if (h->pidfd < 0 && lo_proc_handle_exited(h)) {
				h->pid = 0;
				continue;
			}
			fallback |= h->pidfd < 0;
			pfd[alive] = (struct pollfd){ h->pidfd, POLLIN, 0 };
			map[alive++] = i;
		}
		if (alive == 0)
			break;
		left = deadline_ms - lo_now_ms();
		if (left <= 0)
			break;
		if (fallback && left > 20)
			left = 20;
		n = poll(pfd, alive, (int)(left > 1000 ? 1000 : left));
		if (n < 0 && errno != EINTR)
			break;
		for (size_t k = 0; n > 0 && k < alive; k++)
			if (pfd[k].revents) {
				lo_proc_handle_close(&v->h[map[k]]);
				v->h[map[k]].pid = 0;
			}
		/* Many exits arrive together: gather them before polling the
		 * whole set again. */
		if (n > 0 && alive > 64)
			usleep(1000);
	}
	free(pfd);
	free(map);
	return alive;
}

/* True when PID's cgroup is M's session cgroup or below it. */
static bool in_cgroup(const struct matcher *m, pid_t pid)
{
	char cg[PATH_MAX];
	size_t len = strlen(m->cgroup);

	return cgroup_of(pid, cg, sizeof(cg)) == 0 && strncmp(cg, m->cgroup, len) == 0 &&
	       (cg[len] == '\0' || cg[len] == '/');
}

/*
 * match=cgroup: end the whole cgroup with one write to cgroup.kill
 * (Linux 5.14), when nothing in it must survive: no ancestor of ours (the
 * login manager sits in its session scope while it runs close_session),
 * no process of exclude_users, nothing kept. Returns how many processes
 * it held, 0 when it was not used.
 */
static unsigned cgroup_kill(struct logoff_support *s, struct matcher *m)
{
	pid_t *pids = NULL;
	size_t n = 0;
	unsigned count = 0;

	if (lo_cgroup_procs(m->cgroup, &pids, &n) < 0)
		return 0;
	for (size_t k = 0; k < n; k++) {
		pid_t pid = pids[k];
		uid_t uid;
		bool blocks = false;

		for (size_t i = 0; i < m->n_ancestors; i++)
			blocks |= m->ancestors[i] == pid;
		if (lo_proc_info(pid, NULL, &uid, NULL, NULL, NULL) == 0)
			for (size_t i = 0; i < m->n_excluded; i++)
				blocks |= m->excluded[i] == uid;
		blocks |= kept(m, pid);
		if (blocks) {
			free(pids);
			return 0;
		}
		count++;
	}
	free(pids);
	if (count == 0 || lo_cgroup_kill(m->cgroup) < 0)
		return 0;
	s->log(s, LOG_DEBUG, "cgroup.kill: %s (%u processes)", m->cgroup, count);
	return count;
}

/* Move PID out of session cgroup CG: back to FROM (where the login
 * manager was at logon), else to the parent of cgroup_root ROOT, else to
 * the top. FROM may be gone, or refuse processes by the no-internal-
 * process rule (-EBUSY, controllers enabled there since). */
static int leave_cgroup(pid_t pid, const char *cg, const char *from, const char *root)
{
	char up[LO_CGROUP_PATH_MAX];
	const char *slash = root ? strrchr(root, '/') : NULL;
	int r = -ENOENT;

	if (from && (strcmp(from, "/") == 0 || lo_cgroup_path_valid(from)) &&
	    !lo_cgroup_below(from, cg)) {
		r = lo_cgroup_attach(from, pid);
		if (r == 0 || r == -ESRCH)
			return r;
	}
	if (slash && slash != root && (size_t)(slash - root) < sizeof(up)) {
		memcpy(up, root, (size_t)(slash - root));
		up[slash - root] = '\0';
		if (!lo_cgroup_below(up, cg)) {
			r = lo_cgroup_attach(up, pid);
			if (r == 0 || r == -ESRCH)
				return r;
		}
	}
	return lo_cgroup_attach("/", pid);
}

/* "PID (comm) ..." of what is left in CG, into BUF, control characters
 * replaced: comm is the user's to set. */
static void survivors(const char *cg, char *buf, size_t size)
{
	pid_t *pids = NULL;
	size_t n = 0, used = 0;

	buf[0] = '\0';
	if (lo_cgroup_procs(cg, &pids, &n) < 0)
		return;
	for (size_t i = 0; i < n && used + 1 < size; i++) {
		char comm[16] = "?";
		int w;

		lo_proc_info(pids[i], NULL, NULL, NULL, NULL, comm);
		for (char *c = comm; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
				*c = '?';
		w = snprintf(buf + used, size - used, "%s%d (%s)", used ? ", " : "", (int)pids[i],
			     comm);
		if (w < 0 || (size_t)w >= size - used)
			break;
		used += (size_t)w;
	}
	free(pids);
}

/*
 * The session's own cgroup M->cgroup (made at logon): the processes that
 * run this logoff (ourselves, the closer or helper, the login manager
 * that called close_session) leave it first; processes of exclude_users
 * and kept ones move to <cgroup_root>/kept-<id>, where no logoff of
 * pam_logoff ends them; then every process left gets SIGTERM and
 * SIGCONT, GRACE seconds (or until DEADLINE) to exit, cgroup.kill, and the
 * cgroup is removed. Success only once the cgroup is empty and gone.
 */
static int end_own_cgroup(struct logoff_support *s, struct matcher *m, unsigned grace,
			  int64_t deadline)
{
	const char *cg = m->cgroup, *from = s->get_data(s, "cgroup_from");
	const char *root = s->config(s, "cgroup_root");
	char keptcg[LO_CGROUP_PATH_MAX], left[200];
	pid_t *pids = NULL;
	size_t n = 0;
	unsigned termed = 0, moved = 0;
	bool killed = false, have_kept = false;
	int64_t until;
	int r;

	for (size_t i = 0; i < m->n_ancestors; i++)
		if (in_cgroup(m, m->ancestors[i])) {
			r = leave_cgroup(m->ancestors[i], cg, from, root);
			if (r < 0 && r != -ESRCH) {
				s->set_status(s, "match=cgroup: cannot move %d out of %s: %s; nothing "
					      "ended", (int)m->ancestors[i], cg, strerror(-r));
				return r;
			}
		}
	r = lo_cgroup_procs(cg, &pids, &n);
	if (r < 0) {
		s->set_status(s, "match=cgroup: cannot list %s: %s", cg, strerror(-r));
		return r;
	}
	snprintf(keptcg, sizeof(keptcg), "%s/kept-%s", root, s->identity->session_id);
	for (size_t i = 0; i < n; i++) {
		struct lo_proc_handle h;
		bool keep = m->exclude_error;
		uid_t uid;

		if (lo_proc_info(pids[i], NULL, &uid, NULL, NULL, NULL) < 0)
			continue;
		for (size_t k = 0; k < m->n_excluded; k++)
			keep |= m->excluded[k] == uid;
		if (keep || kept(m, pids[i])) {
			uint64_t ino;

			if (!have_kept) {
				int e = lo_cgroup_create(keptcg, &ino);
				have_kept = e == 0 || e == -EEXIST;
			}
			if (have_kept && lo_cgroup_attach(keptcg, pids[i]) == 0)
				moved++;
			continue;
		}
		if (lo_proc_handle_open(pids[i], &h) < 0)
			continue;
		/* Checked once the handle pins it: still in the session. */
		if (in_cgroup(m, pids[i])) {
			lo_proc_handle_signal(&h, SIGTERM);
			lo_proc_handle_signal(&h, SIGCONT);
			termed++;
		}
		lo_proc_handle_close(&h);
	}
	free(pids);
	until = lo_now_ms() + (int64_t)grace * 1000;
	if (deadline && deadline < until)
		until = deadline;
	r = lo_cgroup_wait_empty(cg, until);
	if (r == -ETIMEDOUT) {
		killed = true;
		r = lo_cgroup_kill(cg);
		until = lo_now_ms() + KILL_WAIT_MS;
		if (deadline && deadline + DEADLINE_KILL_WAIT_MS < until)
			until = deadline + DEADLINE_KILL_WAIT_MS;
		if (r == 0)
			r = lo_cgroup_wait_empty(cg, until);
	}
	if (r < 0) {
		survivors(cg, left, sizeof(left));
		s->set_status(s, "match=cgroup: %s still holds %s after cgroup.kill (%s)", cg,
			      *left ? left : "processes", strerror(-r));
		return -EBUSY;
	}
	r = lo_cgroup_remove(cg);
	if (r < 0) {
		s->set_status(s, "match=cgroup: %s is empty but cannot be removed: %s", cg,
			      strerror(-r));
		return r;
	}
	/* An empty kept cgroup (its processes exited during the grace) is
	 * removed now; a populated one stays for the sweep. */
	if (have_kept && lo_cgroup_populated(keptcg) == 0)
		lo_cgroup_remove(keptcg);
	s->set_status(s, "match=cgroup: ended %s (%u process%s sent SIGTERM%s)%s%s", cg, termed,
		      termed == 1 ? "" : "es", killed ? ", then cgroup.kill" : "",
		      moved ? ", kept apart in " : "", moved ? keptcg : "");
	s->log(s, LOG_DEBUG, "cgroup %s ended and removed; %u kept in %s", cg, moved, keptcg);
	return 0;
}

static int processes_logoff(struct logoff_support *s, unsigned flags)
{
	const char *mode;
	bool audit, user;
	struct matcher m;
	struct victims v = { 0 };
	struct rlimit rl;
	unsigned grace = 5, ended = 0, killed = 0, survived = 0, cgkilled = 0;
	int64_t deadline;
	bool late = false;
	size_t batch;
	int r = 0;

	if (flags != 0)
		return -EINVAL;
	/* In the login manager's process no parent ends this logoff at
	 * [logoff] timeout: its waits end there themselves. */
	deadline = lo_support_deadline_ms(s);
	if (s->rollback) {
		/* open_session is being undone: the session never ran
		 * anything, and what runs under the user's uid now belongs
		 * to other logins. */
		const char *cg = s->get_data(s, "cgroup");

		/* Our own cgroup holds only the login manager now: it goes
		 * back, and the cgroup with it. */
		if (cg && s->get_data(s, "cgroup_from") && s->privileged) {
			leave_cgroup(getpid(), cg, s->get_data(s, "cgroup_from"),
				     s->config(s, "cgroup_root"));
			lo_cgroup_remove(cg);
		}
		s->set_status(s, "rollback: nothing to end");
		return 0;
	}
	mode = mode_of(s);
	audit = strcmp(mode, "audit") == 0;
	user = strcmp(mode, "user") == 0;
	if (audit && !s->identity->audit_session) {
		s->set_status(s, "match=audit without an audit session: nothing ended");
		return 0;
	}
	if (strcmp(mode, "cgroup") == 0 && !s->get_data(s, "cgroup")) {
		s->set_status(s, "match=cgroup without a session cgroup: nothing ended");
		return 0;
	}
	if (strcmp(mode, "cgroup") == 0) {
		const char *id = s->get_data(s, "cgroup_id");
		char now[32];

		/* Gone, or removed and made again for someone else: nothing
		 * in it is this session's. */
		snprintf(now, sizeof(now), "%llu", cgroup_id(s->get_data(s, "cgroup")));
		if (!id || strcmp(id, now) != 0) {
			s->set_status(s, "match=cgroup: %s is gone or is another cgroup now: nothing "
				      "ended", s->get_data(s, "cgroup"));
			return 0;
		}
	}
	if (user) {
		int others = s->user_sessions(s);
		if (others != 0) {
			s->set_status(s, "match=user: %s has %d other session%s, nothing ended",
				      s->identity->user, others, others == 1 ? "" : "s");
			return 0;
		}
	}
	lo_parse_seconds(s->config(s, "grace"), &grace);
	matcher_init(s, &m, mode);
	if (m.exclude_error) {
		s->set_status(s, "exclude_users has too many entries: nothing ended");
		return -E2BIG;
	}
	/* Our own cgroup: ended by it and removed. Not root (a user's own
	 * `logoff`): the signals below, within the cgroup, and the sweep
	 * removes the empty cgroup. */
	if (m.cgroup && s->get_data(s, "cgroup_from") && s->privileged)
		return end_own_cgroup(s, &m, grace, deadline);
	if (m.cgroup)
		cgkilled = cgroup_kill(s, &m);
	if (user) {
		for (size_t i = 0; i < m.n_excluded; i++)
			if (m.excluded[i] == m.uid) {
				s->set_status(s, "match=user: %s is in exclude_users, nothing ended",
					      s->identity->user);
				return 0;
			}
	}
	/* One pidfd per process: a batch takes what the fd limit leaves
	 * (logoff-helper and close_session's closer raise it to the hard
	 * limit), so 10,000 processes are signalled at once, not in rounds
	 * that each wait for the last one's exits (docs/performance.md, B3). */
	batch = 65536;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < batch + 64)
		batch = rl.rlim_cur > 128 ? rl.rlim_cur - 64 : 64;

	/* Rounds, because a process may fork while we signal its siblings. */
	for (int round = 0; round < MAX_ROUNDS; round++) {
		size_t left;

		/* A new login of the user between rounds makes the user's
		 * processes its processes too. */
		if (user && round > 0 && s->user_sessions(s) != 0) {
			s->log(s, LOG_INFO, "%s logged on again; stopping", s->identity->user);
			break;
		}
		int64_t term_until, kill_until;

		r = scan(&m, &v, batch);
		if (r < 0 || v.n == 0)
			break;
		/* Past the deadline with processes left: no new round (and
		 * no SIGTERM without its grace); the sweep runs this again. */
		if (deadline && lo_now_ms() >= deadline) {
			late = true;
			victims_clear(&v);
			break;
		}
		term_until = lo_now_ms() + (int64_t)grace * 1000;
		if (deadline && deadline < term_until)
			term_until = deadline;
		signal_all(&v, SIGTERM);
		signal_all(&v, SIGCONT);
		left = wait_all(&v, term_until);
		ended += (unsigned)(v.n - left);
		if (left > 0) {
			size_t before = left;
			signal_all(&v, SIGKILL);
			kill_until = lo_now_ms() + KILL_WAIT_MS;
			if (deadline && deadline + DEADLINE_KILL_WAIT_MS < kill_until)
				kill_until = deadline + DEADLINE_KILL_WAIT_MS;
			left = wait_all(&v, kill_until);
			killed += (unsigned)(before - left);
			survived = (unsigned)left;
		}
		victims_clear(&v);
	}
	free(v.h);
	if (cgkilled)
		s->set_status(s, "match=cgroup: ended %u process%s with cgroup.kill%s", cgkilled,
			      cgkilled == 1 ? "" : "es", survived ? ", some survived" : "");
	else
		s->set_status(s, "match=%s: ended %u process%s (%u with SIGKILL)%s%s%s", mode,
			      ended + killed, ended + killed == 1 ? "" : "es", killed,
			      survived ? ", some survived" : "",
			      late ? ", stopped at the logoff's deadline" : "",
			      s->privileged ? "" : "; not root: only processes of our own uid");
	s->log(s, LOG_DEBUG, "ended %u processes, %u with SIGKILL", ended + killed, killed);
	if (r < 0)
		return r;
	if (late)
		return -ETIMEDOUT;
	return survived ? -EBUSY : 0;
}

const struct logoff_provider lo_provider_processes = {
	.abi_version = LOGOFF_ABI_VERSION,
	.name = "processes",
	.logon = processes_logon,
	.logoff = processes_logoff,
	.config_keys = keys,
};
