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
#include <sys/sysmacros.h>
#include <time.h>
#include <syslog.h>
#include <unistd.h>

#include "providers/support.h"
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

/* The identity of a program listed in keep_commands. */
struct keep_id {
	dev_t dev;
	ino_t ino;
};

#define MAX_KEEP 64
#define MAX_CGROUPS 64

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
	/* match=user: what the processes found before the cutoff were in,
	 * for those that start after it (see late_matches). */
	pid_t ksids[MAX_KSIDS];	/* kernel sessions */
	size_t n_ksids;
	uint32_t asids[MAX_KSIDS];	/* audit sessions (set ones only) */
	size_t n_asids;
	uint64_t cgroups[MAX_CGROUPS];	/* cgroup paths, hashed */
	size_t n_cgroups;
	const struct victims *known;	/* processes this logoff matched already */
	/* Only the login manager's descendants are this session's: with
	 * match=user while the user has another live session, with
	 * match=audit when this login made no audit session. */
	bool descendants;
	bool any_uid;		/* descendants of any uid (match=audit) */
	pid_t leader;
	unsigned long long leader_start;
	bool keep_set;		/* keep_commands is not empty */
	struct keep_id keep[MAX_KEEP];
	size_t n_keep;
	char keep_bad[128];	/* the first entry that was ignored, for the log */
	const char *keep_why;
	pid_t ancestors[MAX_ANCESTORS];
	size_t n_ancestors;
};

/* The processes a logoff holds handles on. SLOT maps a pid to its
 * index + 1 in H while that handle is open, so a scan skips what it
 * already holds without searching. */
struct victims {
	struct lo_proc_handle *h;
	size_t n, cap;
	size_t live;		/* handles open (pid != 0) */
	uint32_t *slot;
	size_t n_slot;		/* pid_max */
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
			      "(pam_loginuid): only the login manager's descendants will be ended");
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

/* What the matcher is built from: a provider's support object at logoff,
 * or a record and the config for `logoff SESSION` (lo_processes_each). */
struct scope {
	const char *mode;		/* cgroup, audit or user (never auto) */
	const char *cgroup;		/* the record's cgroup data, or NULL */
	const char *session_id;
	uid_t uid;
	const char *exclude_users;
	const char *keep_commands;
	bool privileged;
	bool audit_session;		/* the record's session id is an audit session */
	int other_sessions;		/* live ones, or a negative errno: unknown */
	pid_t leader;
	unsigned long long leader_start;
	bool all_ancestors;		/* false: only the calling process is spared */
};

/* Where keep_commands names without a slash are looked up: root's own
 * directories, never the caller's PATH. */
static const char *const keep_path[] = { "/usr/bin", "/bin", "/usr/sbin", "/sbin", NULL };

/* A program that may be listed: a regular file owned by root that no one
 * else can write. Its identity is taken with stat(), which follows a
 * symlink such as /usr/bin/editor to the program it names. */
static const char *keep_candidate(const char *path, struct stat *st)
{
	if (stat(path, st) < 0)
		return "not found";
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_uid != 0)
		return "not owned by root";
	if (st->st_mode & 022)
		return "writable by group or others";
	return NULL;
}

static void keep_add(struct matcher *m, const struct stat *st)
{
	for (size_t i = 0; i < m->n_keep; i++)
		if (m->keep[i].dev == st->st_dev && m->keep[i].ino == st->st_ino)
			return;
	if (m->n_keep < MAX_KEEP)
		m->keep[m->n_keep++] = (struct keep_id){ st->st_dev, st->st_ino };
}

/* keep_commands to identities, once per logoff: an absolute path, or a
 * name found in keep_path. An entry that names no safe program is
 * ignored (kept nothing is the safe side) and reported in keep_bad. */
static void keep_init(struct matcher *m, const char *list)
{
	char *words[MAX_KEEP];
	int n = lo_split_list(list, words, MAX_KEEP);

	m->keep_set = list && *list;
	if (n < 0) {
		snprintf(m->keep_bad, sizeof(m->keep_bad), "%s", "(the list)");
		m->keep_why = "more than 64 entries";
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *why = "not found in /usr/bin:/bin:/usr/sbin:/sbin";
		struct stat st;

		if (words[i][0] == '/') {
			why = keep_candidate(words[i], &st);
			if (!why)
				keep_add(m, &st);
		} else if (!strchr(words[i], '/')) {
			for (size_t k = 0; keep_path[k]; k++) {
				char path[PATH_MAX];
				const char *w;

				snprintf(path, sizeof(path), "%s/%s", keep_path[k], words[i]);
				w = keep_candidate(path, &st);
				if (!w) {
					keep_add(m, &st);
					why = NULL;
				} else if (strcmp(w, "not found") != 0 && why) {
					why = w;
				}
			}
		} else {
			why = "neither an absolute path nor a name";
		}
		if (why && !m->keep_why) {
			snprintf(m->keep_bad, sizeof(m->keep_bad), "%s", words[i]);
			m->keep_why = why;
		}
		free(words[i]);
	}
}

static void matcher_setup(struct matcher *m, const struct scope *sc)
{
	bool user = strcmp(sc->mode, "user") == 0;
	char *words[LO_MAX_PROVIDERS * 4];
	int n = lo_split_list(sc->exclude_users, words, sizeof(words) / sizeof(*words));
	pid_t p = getpid();

	memset(m, 0, sizeof(*m));
	m->audit = strcmp(sc->mode, "audit") == 0;
	m->cgroup = strcmp(sc->mode, "cgroup") == 0 ? sc->cgroup : NULL;
	m->unprivileged = !sc->privileged;
	/* Another live login of the user owns the user's processes too:
	 * then only what descends from this session's login manager is
	 * this session's (an unknown count is read the same way). */
	m->descendants = user && sc->other_sessions != 0;
	/* match=audit without an audit session of this login: nothing
	 * carries the session's mark but descent from its login manager. */
	if (m->audit && !sc->audit_session) {
		m->audit = false;
		m->descendants = m->any_uid = true;
	}
	m->leader = sc->leader;
	m->leader_start = sc->leader_start;
	if (user && !m->descendants) {
		struct timespec ts;
		long hz = sysconf(_SC_CLK_TCK);
		/* /proc/PID/stat's start time counts clock ticks since boot. */
		if (hz > 0 && clock_gettime(CLOCK_BOOTTIME, &ts) == 0)
			m->started_before = (unsigned long long)ts.tv_sec * (unsigned long long)hz +
					    (unsigned long long)ts.tv_nsec * (unsigned long long)hz /
					    1000000000ULL + 1;
	}
	m->session = (uint32_t)strtoul(sc->session_id, NULL, 10);
	m->uid = sc->uid;
	keep_init(m, sc->keep_commands);
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
	 * manager that called close_session, its parents. `logoff SESSION`
	 * spares only itself: the shell it runs in is the session's. */
	while (p > 1 && m->n_ancestors < MAX_ANCESTORS) {
		pid_t pp = 0;
		m->ancestors[m->n_ancestors++] = p;
		if (!sc->all_ancestors || lo_proc_info(p, &pp, NULL, NULL, NULL, NULL) < 0)
			break;
		p = pp;
	}
}

static void matcher_init(struct logoff_support *s, struct matcher *m, const char *mode)
{
	struct scope sc = {
		.mode = mode,
		.cgroup = s->get_data(s, "cgroup"),
		.session_id = s->identity->session_id,
		.uid = s->identity->uid,
		.exclude_users = s->config(s, "exclude_users"),
		.keep_commands = s->config(s, "keep_commands"),
		.privileged = s->privileged,
		.audit_session = s->identity->audit_session != 0,
		.other_sessions = strcmp(mode, "user") == 0 ? s->user_sessions(s) : 0,
		.leader = s->identity->leader_pid,
		.all_ancestors = true,
	};

	matcher_setup(m, &sc);
	if (m->keep_why)
		s->log(s, LOG_WARNING, "keep_commands: %s: %s; ignored (a kept program must be "
		       "root's: an absolute path or a name in /usr/bin:/bin:/usr/sbin:/sbin)",
		       m->keep_bad, m->keep_why);
}

/*
 * Kept when the program the process runs is one listed in keep_commands:
 * the same file, by device and inode, as the root-owned program the list
 * names. Neither the process name (comm: any process sets its own with
 * prctl) nor the path of /proc/PID/exe (a user can bind-mount any program
 * over a kept path in an unprivileged user namespace) is used.
 * statx() with AT_STATX_DONT_SYNC answers from what the kernel holds: a
 * program on a hung FUSE or NFS mount is looked up without asking its
 * server (checked on Linux 6.18 with a stopped FUSE server, where stat()
 * hangs). A process whose program cannot be looked up is not kept.
 */
static bool keep_program(const struct matcher *m, pid_t pid)
{
	char link[64];
	struct statx st;
	dev_t dev;

	if (m->n_keep == 0)
		return false;
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	if (statx(AT_FDCWD, link, AT_STATX_DONT_SYNC, STATX_INO, &st) < 0 ||
	    !(st.stx_mask & STATX_INO))
		return false;
	dev = makedev(st.stx_dev_major, st.stx_dev_minor);
	for (size_t i = 0; i < m->n_keep; i++)
		if (m->keep[i].dev == dev && m->keep[i].ino == (ino_t)st.stx_ino)
			return true;
	return false;
}

/* Kept when PID or one of its ancestors runs a kept program: keeping
 * tmux or screen means keeping what runs inside them. */
static bool kept(const struct matcher *m, pid_t pid)
{
	if (m->n_keep == 0)
		return false;
	for (int depth = 0; pid > 1 && depth < MAX_ANCESTORS; depth++) {
		pid_t ppid = 0;

		if (keep_program(m, pid))
			return true;
		if (lo_proc_info(pid, &ppid, NULL, NULL, NULL, NULL) < 0)
			return false;
		pid = ppid;
	}
	return false;
}

/* Is PID a descendant of M's live login manager? */
static bool descends_from_leader(const struct matcher *m, pid_t pid)
{
	for (int depth = 0; pid > 1 && depth < MAX_ANCESTORS; depth++) {
		pid_t ppid = 0;

		if (lo_proc_info(pid, &ppid, NULL, NULL, NULL, NULL) < 0)
			return false;
		if (ppid == m->leader && m->leader > 1)
			return lo_proc_alive(ppid, m->leader_start);
		pid = ppid;
	}
	return false;
}

static uint64_t hash_str(const char *str)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *str; str++)
		h = (h ^ (unsigned char)*str) * 1099511628211ULL;
	return h;
}

/* Is PID init, or this process or one of its ancestors? */
static bool is_ancestor(const struct matcher *m, pid_t pid)
{
	if (pid == 1)
		return true;
	for (size_t i = 0; i < m->n_ancestors; i++)
		if (m->ancestors[i] == pid)
			return true;
	return false;
}

static bool known_victim(const struct matcher *m, pid_t pid)
{
	const struct victims *v = m->known;

	return v && pid > 0 && (size_t)pid < v->n_slot && v->slot[pid] != 0;
}

/*
 * match=user, a process that started after the logoff began: the user's
 * next login may be starting while this logoff runs, and its processes
 * are not this session's. A new login writes its record before it starts
 * anything of the user's (open_session runs before the shell), and the
 * logoff stops as soon as it sees another live session (rechecked after
 * every scan, before any signal). What a login manager starts as the user
 * before that (sshd's unprivileged child, systemd --user) has a parent
 * that is not the session's, a kernel session and an audit session of its
 * own, and a cgroup of its own (user@UID.service) where systemd runs. So
 * a late process is this session's when
 *   - it is in a kernel session or an audit session of the processes
 *     found before the logoff began (a fork that kept its session), or
 *   - its parent is a process this logoff already holds (a child of a
 *     session process, whatever session it made for itself: setsid), or
 *   - it is an orphan in a cgroup that processes found before the logoff
 *     began ran in: a child forked on SIGTERM whose parent exited before
 *     the next scan, then called setsid(). An orphan's parent is init or
 *     the nearest child subreaper above it (prctl(2)
 *     PR_SET_CHILD_SUBREAPER: a container's init, a supervisor), so an
 *     ancestor of the login manager; and so of this logoff, which runs
 *     in the login manager or below it (or, swept, below the same init).
 */
static bool late_matches(const struct matcher *m, pid_t pid, pid_t ppid, pid_t ksid)
{
	uint32_t asid = UINT32_MAX;
	char cg[PATH_MAX];

	for (size_t i = 0; i < m->n_ksids; i++)
		if (m->ksids[i] == ksid)
			return true;
	if (known_victim(m, ppid))
		return true;
	if (lo_proc_info(pid, NULL, NULL, &asid, NULL, NULL) == 0 && asid != UINT32_MAX)
		for (size_t i = 0; i < m->n_asids; i++)
			if (m->asids[i] == asid)
				return true;
	if (is_ancestor(m, ppid) && cgroup_of(pid, cg, sizeof(cg)) == 0) {
		uint64_t h = hash_str(cg);
		for (size_t i = 0; i < m->n_cgroups; i++)
			if (m->cgroups[i] == h)
				return true;
	}
	return false;
}

/* match=user: remember what a process found before the cutoff is in. */
static void note_early(struct matcher *m, pid_t pid, pid_t ksid)
{
	uint32_t asid = UINT32_MAX;
	char cg[PATH_MAX];
	bool known = false;

	for (size_t i = 0; i < m->n_ksids; i++)
		known |= m->ksids[i] == ksid;
	if (!known && m->n_ksids < MAX_KSIDS)
		m->ksids[m->n_ksids++] = ksid;
	if (lo_proc_info(pid, NULL, NULL, &asid, NULL, NULL) == 0 && asid != UINT32_MAX) {
		known = false;
		for (size_t i = 0; i < m->n_asids; i++)
			known |= m->asids[i] == asid;
		if (!known && m->n_asids < MAX_KSIDS)
			m->asids[m->n_asids++] = asid;
	}
	if (cgroup_of(pid, cg, sizeof(cg)) == 0) {
		uint64_t h = hash_str(cg);
		known = false;
		for (size_t i = 0; i < m->n_cgroups; i++)
			known |= m->cgroups[i] == h;
		if (!known && m->n_cgroups < MAX_CGROUPS)
			m->cgroups[m->n_cgroups++] = h;
	}
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
	if (m->descendants && pid == m->leader)
		return false;
	if (lo_proc_info(pid, &ppid, &uid, m->audit ? &sid : NULL, &state, NULL) < 0)
		return false;
	/* Kernel threads (children of kthreadd) and the already dead; a
	 * zombie leader whose other threads run is alive (pthread_exit()). */
	if (pid == 2 || ppid == 2)
		return false;
	if ((state == 'Z' || state == 'X') && !lo_proc_group_alive(pid))
		return false;
	if (m->cgroup) {
		char cg[PATH_MAX];
		size_t len = strlen(m->cgroup);

		if (cgroup_of(pid, cg, sizeof(cg)) < 0 || strncmp(cg, m->cgroup, len) != 0 ||
		    (cg[len] != '\0' && cg[len] != '/'))
			return false;
	} else if (m->audit ? sid != m->session : !m->any_uid && uid != m->uid) {
		return false;
	}
	if (m->unprivileged && uid != geteuid())
		return false;
	for (size_t i = 0; i < m->n_excluded; i++)
		if (m->excluded[i] == uid)
			return false;
	if (m->descendants && !descends_from_leader(m, pid))
		return false;
	if (m->started_before) {
		unsigned long long start;
		pid_t ksid = 0;

		if (lo_proc_session(pid, &ksid, &start) < 0)
			return false;
		if (start > m->started_before && !late_matches(m, pid, ppid, ksid))
			return false;
		if (start <= m->started_before)
			note_early(m, pid, ksid);
	}
	if (kept(m, pid))
		return false;
	return true;
}

static void victims_forget(struct victims *v, size_t i)
{
	struct lo_proc_handle *h;

	if (!v->h || i >= v->n)
		return;
	h = &v->h[i];
	if (h->pid > 0 && (size_t)h->pid < v->n_slot)
		v->slot[h->pid] = 0;
	if (h->pid > 0)
		v->live--;
	lo_proc_handle_close(h);
	h->pid = 0;
}

static void victims_clear(struct victims *v)
{
	for (size_t i = 0; i < v->n; i++)
		victims_forget(v, i);
	v->n = 0;
}

/* Drop the closed handles, so a long fork chain does not grow the set. */
static void victims_compact(struct victims *v)
{
	size_t k = 0;

	for (size_t i = 0; i < v->n; i++) {
		if (v->h[i].pid == 0)
			continue;
		v->h[k] = v->h[i];
		if ((size_t)v->h[k].pid < v->n_slot)
			v->slot[v->h[k].pid] = (uint32_t)k + 1;
		k++;
	}
	v->n = k;
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
	if (h->pid > 0 && (size_t)h->pid < v->n_slot)
		v->slot[h->pid] = (uint32_t)v->n + 1;
	v->h[v->n++] = *h;
	v->live++;
	return 0;
}

static int victims_init(struct victims *v)
{
	char buf[32] = "";
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");
	unsigned long max = 4194304;

	if (f) {
		if (fgets(buf, sizeof(buf), f))
			max = strtoul(buf, NULL, 10);
		fclose(f);
	}
	if (max < 1024 || max > 4194304)
		max = 4194304;
	memset(v, 0, sizeof(*v));
	v->slot = calloc(max + 1, sizeof(*v->slot));
	if (!v->slot)
		return -ENOMEM;
	v->n_slot = max + 1;
	return 0;
}

static void victims_free(struct victims *v)
{
	victims_clear(v);
	free(v->h);
	free(v->slot);
	memset(v, 0, sizeof(*v));
}

/* Collect handles on matching processes not held yet, until V holds MAX;
 * SIG (0: none) goes to each one as soon as it is held: SIGSTOP stops a
 * fork-and-exit chain's newest process before it forks again.
 * A process is checked once without a handle, so the many that are not
 * the session's cost no pidfd; a match gets its handle and is checked
 * again after: if the pid was reused in between, that check sees the new
 * process but the signal can only reach the one the handle pinned, which
 * is then gone. A process missed because its pid was reused between the
 * two is found by the next scan. *RET_NEW counts what was added. */
/* The last pid the kernel gave out in our pid namespace
 * (/proc/sys/kernel/ns_last_pid, Linux 3.3 with CONFIG_CHECKPOINT_RESTORE;
 * a process in a child pid namespace gets a pid in ours too), or -1. */
static long last_pid(void)
{
	char buf[32];
	ssize_t n;
	int fd = open("/proc/sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* One pid of a scan: held already (skipped while it lives), or taken
 * when it matches. Returns 1 when taken, 0 when not, or a negative errno
 * that ends the scan (-EMFILE, -ENFILE, -ENOMEM). */
static int consider(struct matcher *m, struct victims *v, pid_t pid, int sig)
{
	struct lo_proc_handle h;
	int e;

	if ((size_t)pid < v->n_slot && v->slot[pid]) {
		/* Held: skipped while that process lives; a pid freed and
		 * reused since is looked at afresh. */
		size_t i = v->slot[pid] - 1;
		if (!lo_proc_handle_exited(&v->h[i]))
			return 0;
		victims_forget(v, i);
	}
	if (!matches(m, pid))
		return 0;
	e = lo_proc_handle_open(pid, &h);
	if (e == -EMFILE || e == -ENFILE)
		return e;
	if (e < 0)
		return 0;
	if (!matches(m, pid)) {
		lo_proc_handle_close(&h);
		return 0;
	}
	e = victims_add(v, &h);
	if (e < 0) {
		lo_proc_handle_close(&h);
		return e;
	}
	if (sig)
		lo_proc_handle_signal(&h, sig);
	return 1;
}

static int scan(struct matcher *m, struct victims *v, size_t max, int sig, size_t *ret_new)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int r = 0;

	*ret_new = 0;
	if (!d)
		return -errno;
	m->known = v;
	while ((de = readdir(d)) && v->live < max) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		int e;

		if (*end || pid <= 1)
			continue;
		e = consider(m, v, (pid_t)pid, sig);
		if (e == -EMFILE || e == -ENFILE) {
			/* Out of descriptors before a single handle: an error,
			 * never "nothing to end". */
			if (v->live == 0)
				r = e;
			break;
		}
		if (e < 0) {
			r = e;
			break;
		}
		*ret_new += (size_t)e;
	}
	closedir(d);
	return r;
}

/*
 * Every pid the kernel gave out after FROM (ns_last_pid before a scan)
 * is looked at directly, until ns_last_pid holds still over one pass: a
 * process made while the scan ran (which the scan may have missed: /proc
 * is read in batches, and a child whose fork is unfinished is skipped)
 * has one of those pids, and is attached by now when its parent is
 * stopped or gone (a fork finishes before a signal is handled). Adds what
 * matches to V (SIG to each) and counts it in *RET_NEW. Returns true when
 * the look-up covered everything, false when it could not (ns_last_pid
 * unreadable, or too many pids given out meanwhile).
 */
static bool check_new_pids(struct matcher *m, struct victims *v, long from, int sig,
			   size_t *ret_new)
{
	long to = last_pid(), pid_max = (long)v->n_slot - 1;

	*ret_new = 0;
	if (from < 0 || to < 0 || pid_max < 2)
		return false;
	for (int pass = 0; pass < 16; pass++) {
		long checked = 0, next;

		for (long pid = from; pid != to && checked <= 65536; checked++) {
			pid = pid >= pid_max ? 2 : pid + 1;
			if (consider(m, v, (pid_t)pid, sig) > 0)
				(*ret_new)++;
		}
		if (checked > 65536)
			return false;
		next = last_pid();
		if (next == to)
			return true;
		from = to;
		to = next;
	}
	return false;
}

/* Send SIG to the held processes from index FROM on. */
static void signal_all(struct victims *v, size_t from, int sig)
{
	for (size_t i = from; i < v->n; i++)
		if (v->h[i].pid > 0)
			lo_proc_handle_signal(&v->h[i], sig);
}

/* True when every held process has exited or stopped; exited ones are
 * forgotten. */
static bool all_stopped(struct victims *v)
{
	bool all = true;

	for (size_t i = 0; i < v->n; i++) {
		struct lo_proc_handle *h = &v->h[i];
		int r;

		if (h->pid == 0)
			continue;
		if (lo_proc_handle_exited(h)) {
			victims_forget(v, i);
			continue;
		}
		r = lo_proc_group_stopped(h->pid, h->start);
		if (r == -ESRCH)
			victims_forget(v, i);
		else if (r != 1)
			all = false;
	}
	return all;
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
		return v->live;
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
				victims_forget(v, i);
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
		/* A pidfd polls readable once the whole thread group has
		 * exited, not when a leader that called pthread_exit() is a
		 * zombie (lo_proc_handle_exited). */
		for (size_t k = 0; n > 0 && k < alive; k++)
			if (pfd[k].revents)
				victims_forget(v, map[k]);
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

/* What end_processes did, for the status object. */
struct tally {
	unsigned ended;		/* exited after SIGTERM, within grace */
	unsigned killed;	/* exited after SIGSTOP and SIGKILL */
	bool late;		/* the bound passed with processes left */
	bool relogin;		/* the user logged on again meanwhile */
	unsigned n_survivors;
	char survivors[160];	/* "PID (comm), ..." of the first few */
};

/* In the stop phase, how long a process may take to stop before SIGKILL
 * goes to everything held anyway (one in uninterruptible sleep stops
 * only when it wakes; SIGKILL ends one in a killable sleep). */
#define STOP_SETTLE_MS 1000
#define STOP_POLL_MS 2
/* How long the stop phase may run when the chain gives no deadline (the
 * helper's parent kills it at [logoff] timeout). */
#define NO_DEADLINE_STOP_MS 10000

/* COMM with anything but printable ASCII replaced: it is the user's. */
static void sanitize(char *str)
{
	for (; *str; str++)
		if ((unsigned char)*str < 0x20 || (unsigned char)*str >= 0x7f)
			*str = '?';
}

static void name_survivors(struct victims *v, struct tally *t)
{
	size_t len = 0;

	for (size_t i = 0; i < v->n; i++) {
		char comm[16] = "?";
		int w;

		if (v->h[i].pid == 0 || lo_proc_handle_exited(&v->h[i]))
			continue;
		t->n_survivors++;
		if (t->n_survivors > 4)
			continue;
		lo_proc_info(v->h[i].pid, NULL, NULL, NULL, NULL, comm);
		sanitize(comm);
		w = snprintf(t->survivors + len, sizeof(t->survivors) - len, "%s%d (%s)",
			     len ? ", " : "", (int)v->h[i].pid, comm);
		if (w > 0 && (size_t)w < sizeof(t->survivors) - len)
			len += (size_t)w;
	}
}

/*
 * The signal path: ends every process M matches, exactly.
 *
 * 1. SIGTERM (and SIGCONT) to each process found, rescanning as they exit,
 *    until none is left or [processes] grace has passed.
 * 2. Then SIGSTOP to every process held, rescanning, until a clean scan
 *    (below) finds nothing new and every process held is stopped; then
 *    SIGKILL to all of them, and again from the scan. A stopped process
 *    cannot fork, so a fork-and-exit chain, which outruns any
 *    scan-and-signal round, is held whole.
 * Success is a clean scan that finds nothing, with nothing held left.
 *
 * A scan is clean when no pid was given out while it ran (ns_last_pid the
 * same before and after): then nothing forked, the processes it reads can
 * only exit, and each one alive when it is read is seen. Without that
 * proof a scan can miss a running process: /proc is read in batches
 * (getdents), a batch skips a child whose fork is not finished, and by the
 * time the reader looks at its parent the parent may have exited. A busy
 * host's forks make scans unclean and this slower, never wrong. Where
 * ns_last_pid cannot be read, two scans in a row that find nothing count
 * instead (weaker: a fast chain can slip past both).
 * Bounded by DEADLINE (else grace + NO_DEADLINE_STOP_MS): at the bound
 * everything held gets SIGKILL, and what survives is named in T.
 */
static int end_processes(struct logoff_support *s, struct matcher *m, bool user, unsigned grace,
			 int64_t deadline, size_t batch, struct tally *t)
{
	struct victims v;
	int64_t term_until, bound, settle = 0;
	unsigned clean = 0, need = 1;
	size_t added = 0, exited_at_stop = 0;
	bool stopping = false, found = false, final = false;
	int r;

	r = victims_init(&v);
	if (r < 0)
		return r;
	term_until = lo_now_ms() + (int64_t)grace * 1000;
	if (deadline && deadline < term_until)
		term_until = deadline;
	bound = deadline ? deadline : term_until + NO_DEADLINE_STOP_MS;
	for (;;) {
		size_t first = v.n, fresh = 0, late = 0;
		long pid_before = last_pid();
		bool clean_scan;
		int64_t now;

		r = scan(m, &v, batch, stopping ? SIGSTOP : 0, &fresh);
		if (r < 0)
			break;
		/* The scan is proof only with what was made while it ran
		 * looked at too; without ns_last_pid, two scans in a row that
		 * find nothing are taken (one when there was never anything),
		 * which a fast fork-and-exit chain can slip past. In the stop
		 * phase the look-up follows all_stopped (below). */
		clean_scan = pid_before < 0;
		need = pid_before >= 0 ? 1 : found || fresh ? 2 : 1;
		if (!stopping && pid_before >= 0 && fresh == 0) {
			wait_all(&v, lo_now_ms());
			clean_scan = v.live == 0 && check_new_pids(m, &v, pid_before, 0, &late) &&
				     late == 0;
			fresh += late;
		}
		added += fresh;
		/* A new login of the user makes the user's processes its
		 * processes too: checked after each scan, before any signal
		 * reaches what it found (see late_matches). */
		if (fresh && user && !m->descendants && s->user_sessions(s) != 0) {
			s->log(s, LOG_INFO, "%s logged on again; stopping", s->identity->user);
			signal_all(&v, 0, SIGCONT);
			t->relogin = true;
			break;
		}
		now = lo_now_ms();
		if (!found && fresh && deadline && now >= deadline) {
			/* Past the bound before the first signal (the chain
			 * started late, or left this provider little): no
			 * grace, but never nothing; SIGTERM, then straight to
			 * the stop and SIGKILL below, within
			 * DEADLINE_KILL_WAIT_MS. */
			term_until = now;
		}
		found |= fresh > 0;
		if (final) {
			/* One scan after the last SIGKILL at the bound. */
			signal_all(&v, first, SIGKILL);
			wait_all(&v, lo_now_ms() + 50);
			if (fresh == 0 && v.live == 0 && pid_before >= 0)
				clean_scan = check_new_pids(m, &v, pid_before, SIGKILL, &late) &&
					     late == 0;
			if (fresh || v.live || !clean_scan)
				t->late = true;
			name_survivors(&v, t);
			break;
		}
		if (!stopping) {
			signal_all(&v, first, SIGTERM);
			signal_all(&v, first, SIGCONT);
			if (fresh == 0 && v.live == 0) {
				clean = clean_scan ? clean + 1 : 0;
				if (clean >= need)
					break;
				continue;
			}
			clean = 0;
			if (now < term_until) {
				wait_all(&v, term_until);
				victims_compact(&v);
				continue;
			}
			stopping = true;
			settle = now + STOP_SETTLE_MS;
			exited_at_stop = added - v.live;
		}
		signal_all(&v, 0, SIGSTOP);
		if (fresh == 0 && all_stopped(&v) && pid_before >= 0) {
			/* Everything held is stopped, so whatever it forked is
			 * attached now: look at every pid made since the scan
			 * began. */
			clean_scan = check_new_pids(m, &v, pid_before, SIGSTOP, &late) && late == 0;
			fresh += late;
			added += late;
		}
		if (fresh == 0 && clean_scan && all_stopped(&v)) {
			if (++clean >= need) {
				if (v.live == 0)
					break;
				signal_all(&v, 0, SIGKILL);
				wait_all(&v, lo_now_ms() + KILL_WAIT_MS < bound + DEADLINE_KILL_WAIT_MS ?
						     lo_now_ms() + KILL_WAIT_MS :
						     bound + DEADLINE_KILL_WAIT_MS);
				victims_compact(&v);
				clean = 0;
				continue;
			}
		} else {
			clean = 0;
		}
		now = lo_now_ms();
		if (now >= bound) {
			signal_all(&v, 0, SIGKILL);
			wait_all(&v, bound + DEADLINE_KILL_WAIT_MS);
			victims_compact(&v);
			final = true;
			continue;
		}
		if (now >= settle) {
			signal_all(&v, 0, SIGKILL);
			settle = now + STOP_SETTLE_MS;
		}
		usleep(STOP_POLL_MS * 1000);
	}
	if (!stopping)
		exited_at_stop = added - v.live;
	t->ended = (unsigned)exited_at_stop;
	t->killed = (unsigned)(added - v.live - exited_at_stop);
	victims_free(&v);
	return r;
}

/* A rollback: open_session is being undone. The session never ran
 * anything, and what runs under the user's uid now belongs to other
 * logins: nothing is ended. Our own cgroup holds only the login manager
 * now: it goes back, and the cgroup with it. */
static int processes_rollback(struct logoff_support *s)
{
	const char *cg = s->get_data(s, "cgroup");

	if (cg && s->get_data(s, "cgroup_from") && s->privileged) {
		leave_cgroup(getpid(), cg, s->get_data(s, "cgroup_from"),
			     s->config(s, "cgroup_root"));
		lo_cgroup_remove(cg);
	}
	s->set_status(s, "rollback: nothing to end");
	return 0;
}

/* match=cgroup with no session cgroup, or one that is gone or was
 * removed and made again for someone else: nothing in it is this
 * session's. True (status set) when there is nothing to end. */
static bool no_session_cgroup(struct logoff_support *s)
{
	const char *cg = s->get_data(s, "cgroup"), *id = s->get_data(s, "cgroup_id");
	char now[32];

	if (!cg) {
		s->set_status(s, "match=cgroup without a session cgroup: nothing ended");
		return true;
	}
	snprintf(now, sizeof(now), "%llu", cgroup_id(cg));
	if (!id || strcmp(id, now) != 0) {
		s->set_status(s, "match=cgroup: %s is gone or is another cgroup now: nothing ended",
			      cg);
		return true;
	}
	return false;
}

/* match=user: say when the user's other sessions narrow what is ended. */
static void note_other_sessions(struct logoff_support *s)
{
	int others = s->user_sessions(s);

	if (others < 0)
		s->log(s, LOG_WARNING, "cannot count %s's other sessions (%s): only the login "
		       "manager's descendants are ended", s->identity->user, strerror(-others));
	else if (others > 0)
		s->log(s, LOG_INFO, "%s has %d other live session%s: only the login manager's "
		       "descendants are ended", s->identity->user, others, others == 1 ? "" : "s");
}

/* One pidfd per process: a batch takes what the fd limit leaves
 * (logoff-helper and close_session's closer raise it to the hard limit),
 * so 10,000 processes are signalled at once, not in rounds that each
 * wait for the last one's exits (docs/performance.md, B3). */
static size_t pidfd_batch(void)
{
	struct rlimit rl;
	size_t batch = 65536;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < batch + 64)
		batch = rl.rlim_cur > 128 ? rl.rlim_cur - 64 : 64;
	return batch;
}

/* The status line of a logoff that ended T's processes. */
static void set_ended_status(struct logoff_support *s, const char *mode, const struct matcher *m,
			     const struct tally *t, unsigned cgkilled)
{
	unsigned n = t->ended + t->killed;

	if (cgkilled)
		s->set_status(s, "match=cgroup: ended %u process%s with cgroup.kill%s%s", cgkilled,
			      cgkilled == 1 ? "" : "es", t->n_survivors ? "; survived: " : "",
			      t->survivors);
	else if (t->relogin)
		s->set_status(s, "match=user: ended %u process%s; %s logged on again, the rest is "
			      "that session's", n, n == 1 ? "" : "es", s->identity->user);
	else
		s->set_status(s, "match=%s%s: ended %u process%s (%u with SIGKILL)%s%s%s%s%s",
			      mode, m->descendants ? " (the login manager's descendants)" : "",
			      n, n == 1 ? "" : "es", t->killed,
			      t->n_survivors ? "; survived: " : "", t->survivors,
			      t->n_survivors > 4 ? ", ..." : "",
			      t->late ? "; stopped at the logoff's bound" : "",
			      s->privileged ? "" : "; not root: only processes of our own uid");
	s->log(s, LOG_DEBUG, "ended %u processes, %u with SIGKILL", n, t->killed);
}

static int processes_logoff(struct logoff_support *s, unsigned flags)
{
	const char *mode;
	bool user;
	struct matcher m;
	struct tally t = { 0 };
	unsigned grace = 5, cgkilled = 0;
	int64_t deadline;
	int r;

	if (flags != 0)
		return -EINVAL;
	if (s->rollback)
		return processes_rollback(s);
	/* In the login manager's process no parent ends this logoff at
	 * [logoff] timeout: its waits end there themselves. */
	deadline = lo_support_deadline_ms(s);
	mode = mode_of(s);
	user = strcmp(mode, "user") == 0;
	if (strcmp(mode, "cgroup") == 0 && no_session_cgroup(s))
		return 0;
	if (user)
		note_other_sessions(s);
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
	for (size_t i = 0; user && i < m.n_excluded; i++)
		if (m.excluded[i] == m.uid) {
			s->set_status(s, "match=user: %s is in exclude_users, nothing ended",
				      s->identity->user);
			return 0;
		}
	r = end_processes(s, &m, user, grace, deadline, pidfd_batch(), &t);
	set_ended_status(s, mode, &m, &t, cgkilled);
	if (r < 0)
		return r;
	/* Something of the session may live on: never a success. At the
	 * chain's deadline the record is kept timed-out; otherwise failed
	 * (-EBUSY): both are run again by the sweep. */
	if (t.late || t.n_survivors)
		return deadline ? -ETIMEDOUT : -EBUSY;
	return 0;
}

/* ------------------------------------------------ the process index */

struct ix_entry {
	pid_t pid;
	uid_t uid;
	uint32_t asid;		/* audit session, UINT32_MAX when unset */
	char *cgroup;		/* relative to the v2 root, or NULL */
};

struct lo_proc_index {
	struct ix_entry *e;	/* by pid, as /proc lists them */
	size_t n;
	struct ix_entry **by_uid, **by_asid, **by_cgroup;	/* each by its key, then pid */
};

static int ix_cmp_uid(const void *a, const void *b)
{
	const struct ix_entry *x = *(struct ix_entry *const *)a, *y = *(struct ix_entry *const *)b;

	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int ix_cmp_asid(const void *a, const void *b)
{
	const struct ix_entry *x = *(struct ix_entry *const *)a, *y = *(struct ix_entry *const *)b;

	if (x->asid != y->asid)
		return x->asid < y->asid ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int ix_cmp_cgroup(const void *a, const void *b)
{
	const struct ix_entry *x = *(struct ix_entry *const *)a, *y = *(struct ix_entry *const *)b;
	int c = strcmp(x->cgroup ? x->cgroup : "", y->cgroup ? y->cgroup : "");

	return c ? c : (x->pid > y->pid) - (x->pid < y->pid);
}

void lo_proc_index_free(struct lo_proc_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->n; i++)
		free(ix->e[i].cgroup);
	free(ix->e);
	free(ix->by_uid);
	free(ix->by_asid);
	free(ix->by_cgroup);
	free(ix);
}

int lo_proc_index_build(struct lo_proc_index **ret)
{
	struct lo_proc_index *ix = calloc(1, sizeof(*ix));
	size_t cap = 0;
	struct dirent *de;
	DIR *d = NULL;
	int r = -ENOMEM;

	*ret = NULL;
	if (!ix)
		return -ENOMEM;
	d = opendir("/proc");
	if (!d) {
		r = -errno;
		goto out;
	}
	while ((de = readdir(d))) {
		char *end, cg[PATH_MAX];
		long pid = strtol(de->d_name, &end, 10);
		struct ix_entry *e;

		if (*end || pid <= 1)
			continue;
		if (ix->n == cap) {
			size_t ncap = cap ? cap * 2 : 1024;
			struct ix_entry *ne = reallocarray(ix->e, ncap, sizeof(*ne));
			if (!ne)
				goto out;
			ix->e = ne;
			cap = ncap;
		}
		e = &ix->e[ix->n];
		e->pid = (pid_t)pid;
		e->asid = UINT32_MAX;
		e->cgroup = NULL;
		/* A process gone meanwhile is simply not indexed. */
		if (lo_proc_info(e->pid, NULL, &e->uid, &e->asid, NULL, NULL) < 0)
			continue;
		if (cgroup_of(e->pid, cg, sizeof(cg)) == 0 && !(e->cgroup = strdup(cg)))
			goto out;
		ix->n++;
	}
	ix->by_uid = calloc(ix->n + 1, sizeof(struct ix_entry *));
	ix->by_asid = calloc(ix->n + 1, sizeof(struct ix_entry *));
	ix->by_cgroup = calloc(ix->n + 1, sizeof(struct ix_entry *));
	if (!ix->by_uid || !ix->by_asid || !ix->by_cgroup)
		goto out;
	for (size_t i = 0; i < ix->n; i++)
		ix->by_uid[i] = ix->by_asid[i] = ix->by_cgroup[i] = &ix->e[i];
	qsort(ix->by_uid, ix->n, sizeof(struct ix_entry *), ix_cmp_uid);
	qsort(ix->by_asid, ix->n, sizeof(struct ix_entry *), ix_cmp_asid);
	qsort(ix->by_cgroup, ix->n, sizeof(struct ix_entry *), ix_cmp_cgroup);
	*ret = ix;
	ix = NULL;
	r = 0;
out:
	if (d)
		closedir(d);
	lo_proc_index_free(ix);
	return r;
}

/* The first of V (N, sorted by CMP) not below KEY. */
static size_t ix_lower(struct ix_entry **v, size_t n, const struct ix_entry *key,
		       int (*cmp)(const void *, const void *))
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp(&v[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* What M could match in IX, a superset of what it does: the processes in
 * its cgroup or below, in its audit session, of its uid, or (descendants
 * of any uid) all. Each is then looked at in /proc as a scan would. */
static int scan_index(struct matcher *m, struct victims *v, const struct lo_proc_index *ix,
		      size_t max, size_t *ret_new)
{
	struct ix_entry key = { .pid = 0 };
	struct ix_entry **list;
	size_t i, len = m->cgroup ? strlen(m->cgroup) : 0;
	int r = 0;

	*ret_new = 0;
	m->known = v;
	if (m->cgroup) {
		key.cgroup = (char *)m->cgroup;
		list = ix->by_cgroup;
		i = ix_lower(list, ix->n, &key, ix_cmp_cgroup);
	} else if (m->audit) {
		key.asid = m->session;
		list = ix->by_asid;
		i = ix_lower(list, ix->n, &key, ix_cmp_asid);
	} else if (!m->any_uid) {
		key.uid = m->uid;
		list = ix->by_uid;
		i = ix_lower(list, ix->n, &key, ix_cmp_uid);
	} else {
		list = ix->by_uid;
		i = 0;
	}
	for (; i < ix->n && v->live < max; i++) {
		const struct ix_entry *e = list[i];
		int c;

		if (m->cgroup ? !e->cgroup || strncmp(e->cgroup, m->cgroup, len) != 0 :
		    m->audit ? e->asid != m->session : !m->any_uid && e->uid != m->uid)
			break;
		if (m->cgroup && e->cgroup[len] != '\0' && e->cgroup[len] != '/')
			continue;
		c = consider(m, v, e->pid, 0);
		if (c < 0) {
			if (!((c == -EMFILE || c == -ENFILE) && v->live))
				r = c;
			break;
		}
		*ret_new += (size_t)c;
	}
	return r;
}

/* ------------------------------------------- the session's processes */

int lo_processes_each(const struct lo_config *config, const struct logoff_identity *who,
		      unsigned long long leader_start, const char *cg, int other_sessions,
		      bool privileged, const struct lo_proc_index *index,
		      void (*fn)(void *ctx, const struct lo_proc_handle *h), void *ctx)
{
	const char *match = lo_config_value(config, "processes", "match");
	struct scope sc = {
		.cgroup = cg,
		.session_id = who->session_id,
		.uid = who->uid,
		.exclude_users = lo_config_value(config, "processes", "exclude_users"),
		.keep_commands = lo_config_value(config, "processes", "keep_commands"),
		.privileged = privileged,
		.audit_session = who->audit_session,
		.other_sessions = other_sessions,
		.leader = who->leader_pid,
		.leader_start = leader_start,
		.all_ancestors = false,
	};
	struct matcher *m = NULL;
	struct victims v;
	size_t fresh = 0;
	int r;

	/* As mode_of decides it at logoff, from the session. */
	if (!match || strcmp(match, "auto") == 0)
		match = cg ? "cgroup" : who->audit_session ? "audit" : "user";
	sc.mode = match;
	if (strcmp(match, "cgroup") == 0 && !cg)
		return 0;
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	matcher_setup(m, &sc);
	/* The login manager sees the session end and runs close_session:
	 * never signalled from here. */
	if (who->leader_pid > 1 && m->n_ancestors < MAX_ANCESTORS)
		m->ancestors[m->n_ancestors++] = who->leader_pid;
	r = m->exclude_error ? -E2BIG : victims_init(&v);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < m->n_excluded; i++)
		if (strcmp(match, "user") == 0 && m->excluded[i] == m->uid)
			goto done;
	/* Every handle is taken before FN runs for any of them: signalling
	 * a parent first would reparent its children away from the login
	 * manager. */
	r = index ? scan_index(m, &v, index, 65536, &fresh) : scan(m, &v, 65536, 0, &fresh);
	for (size_t i = 0; r >= 0 && i < v.n; i++)
		if (v.h[i].pid > 0)
			fn(ctx, &v.h[i]);
	if (r >= 0)
		r = (int)v.live;
done:
	victims_free(&v);
out:
	free(m);
	return r;
}

bool lo_processes_logoff_here(const struct lo_config *config)
{
	const char *keep = lo_config_value(config, "processes", "keep_commands");

	return !keep || !*keep;
}

void lo_processes_sweep(const struct lo_config *config,
			bool (*has_record)(void *ctx, const char *id), void *ctx,
			const struct lo_log *log)
{
	const char *root = lo_config_value(config, "processes", "cgroup_root");
	int r;

	if (!root)
		return;
	r = lo_cgroup_sweep(root, has_record, ctx, log);
	if (r < 0 && r != -ENOENT)
		lo_log(log, LOG_WARNING, "sweep: cgroup_root %s: %s", root, strerror(-r));
}

const struct logoff_provider lo_provider_processes = {
	.abi_version = LOGOFF_ABI_VERSION,
	.name = "processes",
	.logon = processes_logon,
	.logoff = processes_logoff,
	.config_keys = keys,
};
