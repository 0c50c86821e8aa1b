/*
 * logoff - list the sessions pam_logoff keeps, log one off, sweep stale
 * ones. Modeled on the Windows logoff command
 * (`logoff [sessionname | sessionID] [/server:servername] [/v]`) and on
 * IUserIdentityManager::Logoff: log the identity off and return to the
 * caller when that is done.
 *
 *   logoff [SESSION] [-v] [--warn SECONDS [--message TEXT]] [--force]
 *   logoff -l | --list [--json]
 *   logoff --status SESSION [--json]
 *   logoff --gc [-v]
 *   logoff --limits [-v]
 *   logoff --check-config [FILE]
 *   any of them with --server HOST
 *
 * A logoff first signals the session's processes, so that its login
 * manager closes the session the normal way (its pam_sm_close_session
 * runs the chain); when it does not within [logoff] timeout, or is gone,
 * this command runs the chain itself through logoff-helper, the same way
 * close_session does. See logoff(1).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <dirent.h>
#include <grp.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "cli/fleet.h"
#include "cli/rdp.h"
#include "core/util.h"
#include "core/conf.h"
#include "core/registry.h"
#include "core/proc.h"
#include "core/chain.h"
#include "core/logoff.h"
#include "core/audit.h"
#include "core/limits.h"
#include "providers/providers.h"

#define HELPER_PATH LIBEXECDIR "/logoff/logoff-helper"
#define POLL_MS 50
#define MAX_TERMINALS 16

struct app {
	struct lo_cli_opts o;
	char reason[64];		/* "logoff by uid N", or the limit that acted: the audit reason */
	struct lo_config *config;
	struct lo_registry *registry;	/* NULL: no registry yet, so no sessions */
	uid_t uid;
	char caller[64];		/* the caller's user name */
	const char *helper;		/* HELPER_PATH, or the checked one beside us */
	char *helper_checked;		/* its canonical path (malloc'd) */
	struct lo_log log;		/* syslog up to info; errors to stderr; the rest with -v */
	struct lo_proc_index *index;	/* one /proc pass for views of many sessions, or NULL */
	bool stderr_is_journal;		/* stderr is systemd's journal stream (JOURNAL_STREAM) */
};

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	interrupted = sig;
}

/* Every action goes to syslog, auth facility, with who asked. */
static void audit(const struct app *a, int priority, const char *fmt, ...) LO_ATTR_PRINTF(3, 4);
static void audit(const struct app *a, int priority, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	lo_text_safe(buf, sizeof(buf), buf);
	syslog(priority, "%s (requested by %s, uid %u)", buf, a->caller, (unsigned)a->uid);
}

static void verbose(const struct app *a, const char *fmt, ...) LO_ATTR_PRINTF(2, 3);
static void verbose(const struct app *a, const char *fmt, ...)
{
	va_list ap;

	if (!a->o.verbose)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Lines of the core (lo_logv made them safe) and of logoff-helper,
 * relayed as they came: made safe here again, as the helper's output is
 * another program's. */
static void cli_log(void *ctx, int priority, const char *msg)
{
	const struct app *a = ctx;
	char buf[1024];

	lo_text_safe(buf, sizeof(buf), msg);
	/* The chain's lines (one per provider logged off, and every error)
	 * reach syslog as the module's do, wherever the chain ran: here, in
	 * a forked closer, or in logoff-helper (helper_line). */
	if (priority <= LOG_INFO)
		syslog(priority, "%s", buf);
	if (priority <= LOG_WARNING && !a->stderr_is_journal)
		fprintf(stderr, "logoff: %s\n", buf);
	else if (a->o.verbose)
		printf("  %s\n", buf), fflush(stdout);
}

/*
 * True when standard error is the journal's stream: systemd sets
 * JOURNAL_STREAM to "DEVICE:INODE" of the stream it connected to stderr
 * (systemd.exec(5), "Environment variables in spawned processes"). Then
 * a warning or error that cli_log has sent to syslog is not written to
 * stderr too, which would put it into the journal twice.
 */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	char *end = NULL;
	struct stat st;

	if (!js || js[0] < '0' || js[0] > '9')
		return false;
	errno = 0;
	dev = strtoull(js, &end, 10);
	if (errno || *end != ':' || end[1] < '0' || end[1] > '9')
		return false;
	ino = strtoull(end + 1, &end, 10);
	if (errno || *end != '\0' || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* logoff-helper's lines ("<N>message") as they come. */
static void helper_line(void *ctx, const char *line)
{
	int priority = lo_priority_prefix(&line);

	cli_log(ctx, priority < 0 ? LOG_ERR : priority, line);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: logoff [SESSION] [-v] [--warn SECONDS [--message TEXT]] [--force]\n"
		"       logoff --user NAME [-v] [--warn SECONDS [--message TEXT]] [--force]\n"
		"       logoff -l | --list [--json]\n"
		"       logoff --status SESSION [--json]\n"
		"       logoff --query [USER | SESSION] [--json]\n"
		"       logoff --disconnect SESSION\n"
		"       logoff --gc [-v]\n"
		"       logoff --gc --abandon PROVIDER SESSION [-v]\n"
		"       logoff --limits [-v]\n"
		"       logoff --check-config [FILE]\n"
		"       (each also with --server HOST|NODESET; /v and /server:HOST are accepted)\n"
		"\n"
		"SESSION is a session id or name as --list shows them; without one, the\n"
		"caller's own session is logged off.\n"
		"\n"
		"  -l, --list          list sessions: ID NAME USER TTY SERVICE RHOST STATE SINCE IDLE\n"
		"                      LOGIND (logind's id of the same session, - if none)\n"
		"      --status SESSION  each provider's status object and tracked subobjects\n"
		"      --query [USER | SESSION]  sessions as Windows' quser shows them:\n"
		"                      USERNAME SESSIONNAME ID STATE IDLE TIME LOGON TIME\n"
		"                      NEXT LIMIT; '>' marks the caller's own session\n"
		"      --disconnect SESSION  end the connection of the RDP client attached to an\n"
		"                      xrdp session and keep the session (root)\n"
		"      --json          machine-readable output of --list, --status and --query\n"
		"                      (--query: schema 1, docs/logoff-query.schema.json)\n"
		"  -v, --verbose       print each action as it happens\n"
		"      --warn SECONDS  write a message to the session's terminals, then wait\n"
		"      --message TEXT  the message for --warn\n"
		"      --force         (root) log off a session on a protected tty\n"
		"      --server HOST   run the same command on HOST over ssh (BatchMode), or on\n"
		"                      every host of a ClusterShell node set (node[1-4], a,b, @group)\n"
		"      --user NAME     log off every session of user NAME (root for another user's)\n"
		"      --gc            log off every stale or failed session (root)\n"
		"      --abandon PROVIDER  with --gc and SESSION: give up on PROVIDER (what it\n"
		"                      tracks is left unreleased) and log the rest off (root)\n"
		"      --limits        enforce [limits]: warn, then log off idle, disconnected\n"
		"                      or too long sessions (root)\n"
		"      --check-config [FILE]  check logoff.conf (or FILE) and its drop-ins;\n"
		"                      print every error\n"
		"      --config PATH   logoff.conf to read (default %s)\n"
		"  -h, --help, /?      this text\n"
		"      --version       the version\n"
		"\n"
		"Exit status: 0 done, 1 partly released, 2 usage or registry error,\n"
		"3 permission denied, 4 no such session, 5 protected tty, 130 cancelled.\n",
		LO_CONFIG_PATH);
}

/* ------------------------------------------------------------- server */

static int run_remote(const struct app *a, const char *host)
{
	const char *ssh = getenv("LOGOFF_SSH");
	char **words = NULL, **argv;
	size_t n = 0, k = 0;

	if (!ssh || !*ssh)
		ssh = "ssh";
	if (lo_cli_remote_args(&a->o, &words, &n) < 0)
		return LO_EXIT_USAGE;
	argv = calloc(n + 8, sizeof(*argv));
	if (!argv) {
		lo_strv_free(words, n);
		return LO_EXIT_USAGE;
	}
	argv[k++] = (char *)ssh;
	argv[k++] = (char *)"-o";
	argv[k++] = (char *)"BatchMode=yes";
	argv[k++] = (char *)"--";
	argv[k++] = (char *)host;
	argv[k++] = (char *)"logoff";
	for (size_t i = 0; i < n; i++)
		argv[k++] = words[i];
	argv[k] = NULL;
	fflush(NULL);
	execvp(ssh, argv);
	fprintf(stderr, "logoff: cannot run %s: %s\n", ssh, strerror(errno));
	free(argv);
	lo_strv_free(words, n);
	return LO_EXIT_USAGE;
}

/* --server NODESET: expanded by ClusterShell; one host (not a @group)
 * keeps the ssh path above, several go through ClusterShell (fleet.c). */
static int run_server(const struct app *a)
{
	char **hosts = NULL;
	size_t n = 0;
	int r;

	if (!lo_cli_server_is_nodeset(a->o.server))
		return run_remote(a, a->o.server);
	r = lo_fleet_expand(a->o.server, &hosts, &n);
	if (r == -ENOMEM)
		fprintf(stderr, "logoff: %s\n", strerror(-r));
	if (r < 0)
		return LO_EXIT_USAGE;
	if (n == 1 && a->o.server[0] != '@')
		r = run_remote(a, hosts[0]);	/* execs ssh; returns on failure */
	else
		r = lo_fleet_run(&a->o, hosts, n);
	lo_strv_free(hosts, n);
	return r;
}

/* ------------------------------------------------------------ records */

/* "/dev/pts/3" for a record whose tty is a terminal device, else "". */
static void record_tty_path(const struct lo_record *rec, char *buf, size_t size)
{
	struct stat st;
	const char *t = rec->tty ? rec->tty : "";

	buf[0] = '\0';
	if (!*t || strstr(t, ".."))
		return;
	if (strncmp(t, "/dev/", 5) == 0)
		snprintf(buf, size, "%s", t);
	else if (lo_session_name_valid(t) && t[0] != ':')
		snprintf(buf, size, "/dev/%s", t);
	if (buf[0] && (stat(buf, &st) < 0 || !S_ISCHR(st.st_mode)))
		buf[0] = '\0';
}

static void format_idle(long idle, char *buf, size_t size)
{
	if (idle < 0)
		snprintf(buf, size, "-");
	else if (idle < 60)
		snprintf(buf, size, ".");
	else if (idle < 3600)
		snprintf(buf, size, "%ldm", idle / 60);
	else if (idle < 86400)
		snprintf(buf, size, "%ldh%02ldm", idle / 3600, idle / 60 % 60);
	else
		snprintf(buf, size, "%ldd", idle / 86400);
}

static void format_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M", &tm))
		snprintf(buf, size, "%lld", (long long)t);
}

/* Record strings come from PAM items a login manager took from the
 * network (PAM_RHOST) or a user: never let one drive root's terminal
 * (lo_text_safe: no C0 or C1 control, no invalid UTF-8). */
#define SAFE_MAX 512
static const char *safe(const char *s, char buf[SAFE_MAX])
{
	lo_text_safe(buf, SAFE_MAX, s ? s : "");
	return buf;
}

/* A JSON string of S made safe as safe() does: json-c escapes C0
 * controls but passes C1 ones (U+009B is CSI to xterm) and invalid
 * UTF-8 through raw, to whatever prints the output. NULL stays null. */
static json_object *json_text(const char *s)
{
	json_object *j;
	char *copy;

	if (!s)
		return NULL;
	copy = strdup(s);
	if (!copy)
		return NULL;
	lo_text_safe(copy, strlen(copy) + 1, copy);
	j = json_object_new_string(copy);
	free(copy);
	return j;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* ------------------------------------------------------ the helper */

/* The program this command runs to log a session off, with the caller's
 * rights (root's under sudo): never one the caller names. It is
 * logoff-helper beside this program's own executable when there is one
 * (a build tree: `make check` runs it from there), which only whoever
 * can write this program's directory can place, else the installed
 * HELPER_PATH. A sudoers rule names the installed logoff, whose
 * directory has no logoff-helper. The one found beside must still pass
 * lo_path_trusted (root, or the caller when not root, owns it and every
 * directory above it), and its checked canonical path is what runs. */
static int find_helper(struct app *a)
{
	char self[PATH_MAX], *slash, b[SAFE_MAX], e[SAFE_MAX], *err = NULL;
	uid_t ruid = getuid();
	ssize_t n;
	int r;

	a->helper = HELPER_PATH;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || (size_t)n >= sizeof(self) - sizeof("logoff-helper"))
		return LO_EXIT_OK;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return LO_EXIT_OK;
	strcpy(slash + 1, "logoff-helper");
	if (access(self, F_OK) < 0)
		return LO_EXIT_OK;
	r = lo_path_trusted(self, ruid == geteuid() ? ruid : 0, &a->helper_checked, &err);
	if (r < 0) {
		fprintf(stderr, "logoff: %s refused: %s\n", safe(self, b),
			safe(err ? err : strerror(-r), e));
		audit(a, LOG_WARNING, "refused helper %s: %s", safe(self, b),
		      safe(err ? err : strerror(-r), e));
		free(err);
		return LO_EXIT_DENIED;
	}
	a->helper = a->helper_checked;
	return LO_EXIT_OK;
}

/* ---------------------------------------------- the session's processes */

/* Call FN with a handle on each process of REC's session: the ones the
 * processes provider ends at logoff, under the same config
 * (lo_processes_each: match, exclude_users, keep_commands), so this
 * command and close_session agree on what the session is. Never this
 * process or the session's login manager. IX: a view's /proc index
 * (a->index), NULL to scan /proc now (anything that signals). */
static void each_session_process(const struct app *a, const struct lo_record *rec,
				 const struct lo_proc_index *ix,
				 void (*fn)(void *ctx, const struct lo_proc_handle *h), void *ctx)
{
	const char *match = lo_config_value(a->config, "processes", "match");
	const char *cg = lo_record_get_data(rec, "processes", "cgroup");
	int others = 0;
	const struct logoff_identity who = {
		.session_id = rec->id, .user = rec->user, .uid = rec->uid, .gid = rec->gid,
		.home = rec->home, .service = rec->service, .tty = rec->tty, .rhost = rec->rhost,
		.leader_pid = rec->leader_pid, .audit_session = rec->audit,
	};
	int r;

	/* The user's other live logins matter only with match = user (as
	 * lo_processes_each decides auto); counting them reads every record
	 * of the user, so a view of S sessions does not count per session. */
	if (!match || strcmp(match, "auto") == 0)
		match = cg ? "cgroup" : rec->audit ? "audit" : "user";
	if (strcmp(match, "user") == 0 && a->registry)
		others = lo_registry_count_user_live(a->registry, rec->uid, rec->id);
	r = lo_processes_each(a->config, &who, rec->leader_start, cg, others, geteuid() == 0, ix,
			      fn, ctx);

	if (r < 0)
		verbose(a, "cannot list the processes of session %s: %s", rec->id, strerror(-r));
}

/* ------------------------------------------ the session's terminals */

/*
 * The terminals a session holds are the controlling terminals of its
 * processes (as the processes provider matches them), plus its PAM_TTY
 * when that is a terminal device. sshd sets PAM_TTY to "ssh" at
 * open_session and allocates the pty afterwards; one ssh connection
 * multiplexed with ControlMaster carries a pty per channel; so the
 * record's tty alone names none of them. Nothing is stored: the view is
 * taken from /proc each time, so it is never out of date.
 *
 * A terminal is *counted* for the session (its idle time, and finding
 * the session by `logoff pts/N`) only when the session's user owns the
 * device (sshd and login chown it to the user) or it is the PAM_TTY the
 * login manager gave. A process can only hold a terminal it could open,
 * but a session of root or of another user that holds the caller's
 * terminal (su from it) must not make it the caller's session.
 */
struct terminal {
	char path[64];		/* /dev/pts/3 */
	bool counted;
	time_t atime;		/* last input: the kernel updates a tty's atime on
				 * read, at most every 8 seconds (tty_update_time) */
	pid_t holder;		/* a process that holds it as controlling terminal */
};

struct terminals {
	struct terminal t[MAX_TERMINALS];
	size_t n;
	const struct lo_record *rec;
	char pam_tty[64];	/* the record's PAM_TTY as a device, or "" */
};

static void add_terminal(struct terminals *t, const char *path, pid_t holder)
{
	struct terminal *e;
	struct stat st;

	for (size_t k = 0; k < t->n; k++)
		if (strcmp(t->t[k].path, path) == 0) {
			if (!t->t[k].holder)
				t->t[k].holder = holder;
			return;
		}
	if (t->n >= MAX_TERMINALS || strlen(path) >= sizeof(e->path) ||
	    stat(path, &st) < 0 || !S_ISCHR(st.st_mode))
		return;
	e = &t->t[t->n++];
	strcpy(e->path, path);
	e->counted = st.st_uid == t->rec->uid || strcmp(path, t->pam_tty) == 0;
	e->atime = st.st_atime;
	e->holder = holder;
}

static void terminal_of(void *ctx, const struct lo_proc_handle *h)
{
	unsigned nr = 0;
	char path[64];

	if (lo_proc_tty(h->pid, &nr) == 0 && nr != 0 && lo_cli_tty_path(nr, path, sizeof(path)) == 0)
		add_terminal(ctx, path, h->pid);
}

static void session_terminals(const struct app *a, const struct lo_record *rec,
			      struct terminals *t)
{
	t->n = 0;
	t->rec = rec;
	record_tty_path(rec, t->pam_tty, sizeof(t->pam_tty));
	if (t->pam_tty[0])
		add_terminal(t, t->pam_tty, 0);
	each_session_process(a, rec, a->index, terminal_of, t);
}

/* Seconds since the last input on any counted terminal of the session
 * (the most recent atime, as w(1) reads one tty's), or -1 when it has
 * none: idle unknown. */
static long terminals_idle(const struct terminals *t)
{
	time_t now = time(NULL), last = 0;
	bool any = false;

	for (size_t i = 0; i < t->n; i++)
		if (t->t[i].counted && (!any || t->t[i].atime > last))
			last = t->t[i].atime, any = true;
	if (!any)
		return -1;
	return last < now ? (long)(now - last) : 0;
}

/* A graphical session's X authority: XAUTHORITY from the environment
 * of a process of the session whose DISPLAY is the session's. */
struct x_env {
	const char *display;
	char xauthority[PATH_MAX];
	char dbus[512];		/* DBUS_SESSION_BUS_ADDRESS of that process, or "" */
	bool found;
};

static void x_env_of(void *ctx, const struct lo_proc_handle *h)
{
	struct x_env *x = ctx;
	char path[64], buf[32768];
	const char *xa = NULL, *bus = NULL;
	bool ours = false;
	size_t len = 0;
	ssize_t n;
	int fd;

	if (x->found)
		return;
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)h->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	for (const char *e = buf; e < buf + len; e += strlen(e) + 1) {
		if (strncmp(e, "DISPLAY=", 8) == 0)
			ours = strcmp(e + 8, x->display) == 0;
		else if (strncmp(e, "XAUTHORITY=", 11) == 0 && e[11] == '/')
			xa = e + 11;
		else if (strncmp(e, "DBUS_SESSION_BUS_ADDRESS=", 25) == 0)
			bus = e + 25;
	}
	if (ours && xa && strlen(xa) < sizeof(x->xauthority)) {
		strcpy(x->xauthority, xa);
		x->found = true;
	}
	if (ours && bus && !x->dbus[0] && strlen(bus) < sizeof(x->dbus))
		strcpy(x->dbus, bus);
	/* Other environments (tokens, passwords) are not kept around, nor
	 * copied into a child forked later. */
	explicit_bzero(buf, sizeof(buf));
}

/* The session's idle time in seconds: the most recent input on its
 * terminals (terminals_idle) or, for a session on a local X display, on
 * its X server (lo_cli_x_idle, as the session's user): input on either
 * is input, so a user working in the browser of a desktop whose xterm
 * sits idle is not idle. -1 when neither can say: unknown. Never more
 * than the session's age: a terminal's access time the user set into
 * the past (touch -a) does not make an old idle time out of a new
 * session. */
static long session_idle(const struct app *a, const struct lo_record *rec,
			 const struct terminals *t)
{
	struct x_env x = { .display = rec->tty };
	long idle = terminals_idle(t), xi = -1;
	time_t now = time(NULL);
	char err[128];

	if (lo_cli_display_local(rec->tty) && rec->uid != 0) {
		each_session_process(a, rec, a->index, x_env_of, &x);
		explicit_bzero(&x.dbus, sizeof(x.dbus));
		fflush(stdout);
		if (lo_cli_x_idle(rec->tty, x.found ? x.xauthority : NULL, rec->user, rec->uid,
				  rec->gid, rec->home, &xi, err, sizeof(err)) < 0) {
			if (a->o.verbose)
				fprintf(stderr, "logoff: session %s: idle time of display %s "
					"unknown: %s\n", rec->id, rec->tty, err);
			xi = -1;
		}
		if (xi >= 0 && (idle < 0 || xi < idle))
			idle = xi;
	}
	if (idle >= 0 && rec->created <= now && idle > (long)(now - rec->created))
		idle = (long)(now - rec->created);
	return idle;
}

/* ------------------------------------ the session's remote desktop client */

/* The record's data entry where the sweep keeps since when an xrdp
 * session's client has been gone (epoch seconds): `data @core
 * disconnected_since T`. "@core" is no provider's name. */
#define DISC_OWNER LO_REASON_DATA_OWNER
#define DISC_KEY "disconnected_since"
/* How long `logoff --disconnect` waits for the client's connection to end. */
#define DISCONNECT_WAIT_MS 10000
/* How often it measures meanwhile (each is a pass over /proc). */
#define DISCONNECT_POLL_MS 250

struct pids {
	pid_t *v;
	size_t n, cap;
	bool failed;
};

static void pid_of(void *ctx, const struct lo_proc_handle *h)
{
	struct pids *p = ctx;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 32;
		pid_t *v = reallocarray(p->v, cap, sizeof(*v));
		if (!v) {
			p->failed = true;
			return;
		}
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = h->pid;
}

/* The display number N of an X display name ":N" or ":N.S", or -1. */
static long display_number(const char *tty)
{
	char *end;
	long n;

	if (!tty || tty[0] != ':' || tty[1] < '0' || tty[1] > '9')
		return -1;
	errno = 0;
	n = strtol(tty + 1, &end, 10);
	if (errno || (*end && *end != '.') || n < 0 || n > 65535 - LO_VNC_PORT_BASE)
		return -1;
	return n;
}

/* A session that xrdp-sesman opened on a local X display: the only kind
 * whose client is measured (rdp.h). */
static bool rdp_session(const struct lo_record *rec)
{
	return rec->service && strcmp(rec->service, LO_XRDP_SERVICE) == 0 &&
	       lo_cli_display_local(rec->tty) && display_number(rec->tty) >= 0;
}

/* Since when the record says REC's client has been gone, 0 when it does
 * not (or says something that is no past time: never trusted). */
static time_t recorded_disc_since(const struct lo_record *rec)
{
	const char *v = lo_record_get_data(rec, DISC_OWNER, DISC_KEY);
	unsigned long long t = 0;
	char *end;

	if (!v || *v < '0' || *v > '9')
		return 0;
	errno = 0;
	t = strtoull(v, &end, 10);
	if (errno || *end || t == 0 || t > (unsigned long long)time(NULL) ||
	    (time_t)t < rec->created)
		return 0;
	return (time_t)t;
}

/*
 * Whether REC's xrdp client is attached, into *C: measured from /proc
 * (lo_rdp_measure) when we are root, unknown when that fails (never a
 * guess: the disconnected limit pauses rather than act on it); for other
 * callers, what the sweep last recorded: disconnected while the record
 * holds a disconnected_since, else unknown. Sessions that are not
 * xrdp's are unknown.
 */
static void session_rdp(const struct app *a, const struct lo_record *rec,
			struct lo_rdp_client *c)
{
	struct pids p = { 0 };
	int r = -EPERM;

	memset(c, 0, sizeof(*c));
	if (!rdp_session(rec))
		return;
	if (geteuid() == 0) {
		each_session_process(a, rec, a->index, pid_of, &p);
		r = p.failed ? -ENOMEM : lo_rdp_measure(p.v, p.n, (unsigned)display_number(rec->tty), c);
		free(p.v);
		if (r < 0)
			verbose(a, "session %s: cannot tell whether a client is attached: %s",
				rec->id, strerror(-r));
	}
	if (r < 0)
		memset(c, 0, sizeof(*c));
	if (geteuid() != 0 && recorded_disc_since(rec) > 0)
		c->state = LO_RDP_DISCONNECTED;
}

/*
 * Keep REC's record in step with C, as root measured it: when a client
 * is attached, or whether one is cannot be told, no disconnected_since
 * (a time that is not known to hold never stays to act later); when none
 * is, the time it was first seen gone (NOW, unless recorded already,
 * also by another run meanwhile: set only where absent). Both go through
 * the registry under its lock, never by what REC (read earlier, maybe
 * before another run changed it) says. Returns since when the session
 * has had no client, as the record holds it now, 0 when it has one,
 * that is unknown, or the time could not be kept (then the disconnected
 * limit does not act on it).
 */
static time_t track_disconnected(const struct app *a, const struct lo_record *rec,
				 const struct lo_rdp_client *c, time_t now)
{
	struct lo_record *fresh = NULL;
	time_t since = 0;
	char v[24];
	int r;

	if (c->state != LO_RDP_DISCONNECTED) {
		r = lo_record_update_data(a->registry, rec->id, DISC_OWNER, DISC_KEY, NULL, false);
	} else {
		snprintf(v, sizeof(v), "%lld", (long long)now);
		r = lo_record_update_data(a->registry, rec->id, DISC_OWNER, DISC_KEY, v, true);
		/* What the record holds now, this run's or another's. */
		if (r == 0 && (r = lo_record_read(a->registry, rec->id, &fresh, NULL)) == 0)
			since = recorded_disc_since(fresh);
		lo_record_free(fresh);
	}
	if (r < 0 && r != -ENOENT)
		fprintf(stderr, "logoff: session %s: cannot record its client's %s: %s\n", rec->id,
			c->state == LO_RDP_DISCONNECTED ? "departure" : "state", strerror(-r));
	return c->state == LO_RDP_DISCONNECTED && r == 0 ? since : 0;
}

/*
 * The limits L as they apply to a session whose client is C. With
 * action = disconnect, the idle and active limits act only on a session
 * with an xrdp client attached: on any other there is no client to
 * disconnect, and the admin asked for none to be logged off, so they do
 * nothing. (The disconnected limit always logs off: lo_limits_decide.)
 */
static void limits_for_client(struct lo_limits *l, const struct lo_rdp_client *c)
{
	if (l->action == LO_LIMIT_ACTION_DISCONNECT && c->state != LO_RDP_ATTACHED)
		l->idle = l->active = 0;
}

/*
 * End the connection of the client C attached to REC (lo_rdp_disconnect)
 * and wait, up to DISCONNECT_WAIT_MS, until the session is measured
 * without one; then record since when. WHY is the audit line's reason
 * ("by uid N", "idle limit 15min"). Returns LO_EXIT_OK, or
 * LO_EXIT_PARTIAL (said on stderr) when the client could not be ended.
 */
static int disconnect_client(struct app *a, const struct lo_record *rec,
			     struct lo_rdp_client *c, const char *why)
{
	struct lo_proc_index *ix = a->index;
	char u[SAFE_MAX];
	int64_t deadline = lo_now_ms() + DISCONNECT_WAIT_MS;
	int r;

	/* A departure recorded before this client came is no longer true:
	 * the time kept below is this disconnect's. */
	r = lo_record_update_data(a->registry, rec->id, DISC_OWNER, DISC_KEY, NULL, false);
	if (r < 0 && r != -ENOENT) {
		fprintf(stderr, "logoff: session %s: cannot record its client's state: %s\n",
			rec->id, strerror(-r));
		return LO_EXIT_PARTIAL;
	}
	r = lo_rdp_disconnect(c);

	if (r < 0 && r != -ESRCH) {
		fprintf(stderr, "logoff: session %s: cannot end its client's connection: %s\n",
			rec->id, r == -EBUSY ? "xrdp serves every client from one process "
			"(xrdp.ini fork = false); ending it would disconnect them all" :
			r == -EINVAL ? "the xrdp process that serves it was not found" :
			strerror(-r));
		return LO_EXIT_PARTIAL;
	}
	/* Measured afresh: the process index of a sweep is older. */
	a->index = NULL;
	do {
		poll(NULL, 0, DISCONNECT_POLL_MS);
		session_rdp(a, rec, c);
	} while (c->state == LO_RDP_ATTACHED && lo_now_ms() < deadline);
	a->index = ix;
	if (c->state != LO_RDP_DISCONNECTED) {
		fprintf(stderr, "logoff: session %s: %s\n", rec->id,
			c->state == LO_RDP_ATTACHED ? "a client is still attached after 10 s" :
			"cannot tell any more whether a client is attached");
		return LO_EXIT_PARTIAL;
	}
	track_disconnected(a, rec, c, time(NULL));
	audit(a, LOG_NOTICE, "session %s (%s, user %s): client disconnected: %s", rec->id,
	      rec->name, safe(rec->user, u), why);
	return LO_EXIT_OK;
}

/* The terminal to show for a session: its PAM_TTY when that is one,
 * else its first counted terminal ("pts/3"), else the PAM_TTY as
 * recorded ("ssh"), or NULL. */
static const char *terminals_shown(const struct terminals *t)
{
	if (t->pam_tty[0])
		return t->rec->tty;
	for (size_t i = 0; i < t->n; i++)
		if (t->t[i].counted)
			return t->t[i].path + 5;
	return t->rec->tty;
}

/* Before a view looks at the processes of N sessions: one pass over
 * /proc for all of them (lo_proc_index_build), kept until exit. Without
 * it (one session, or no memory), each scans /proc itself. */
static void views_index(struct app *a, size_t n)
{
	int r;

	if (a->index || n < 2)
		return;
	r = lo_proc_index_build(&a->index);
	if (r < 0)
		verbose(a, "cannot index /proc (%s): scanning it for each session", strerror(-r));
}

/* PID's ancestry reaches LEADER, the login manager's process that opened
 * the session (the same process: its start time is the recorded one). */
static bool descends_from(pid_t pid, pid_t leader, unsigned long long leader_start)
{
	unsigned long long start;

	for (int depth = 0; pid > 1 && leader > 1 && depth < 64; depth++) {
		pid_t ppid;

		if (pid == leader)
			return lo_proc_starttime(pid, &start) == 0 && start == leader_start;
		if (lo_proc_info(pid, &ppid, NULL, NULL, NULL, NULL) < 0)
			return false;
		pid = ppid;
	}
	return false;
}

/* The session that holds terminal PATH (/dev/pts/3), counted as its own,
 * into ID. When several sessions count it (match = user sees every
 * process of the user in each of the user's sessions), the one whose
 * login manager the holding process descends from. Returns 0, -ENOENT,
 * or -ENOTUNIQ when that still leaves more than one. */
static int find_by_terminal(struct app *a, const char *path, char *id)
{
	char **ids = NULL, first[LO_ID_MAX + 1] = "";
	size_t n = 0, found = 0, descended = 0;
	int ret = -ENOENT;

	if (!a->registry || lo_registry_list(a->registry, &ids, &n) < 0)
		return -ENOENT;
	views_index(a, n);
	for (size_t i = 0; i < n; i++) {
		struct lo_record *rec = NULL;
		struct terminals t;

		if (lo_record_read(a->registry, ids[i], &rec, NULL) < 0)
			continue;
		session_terminals(a, rec, &t);
		for (size_t k = 0; k < t.n; k++) {
			const struct terminal *e = &t.t[k];
			bool desc;

			if (!e->counted || strcmp(e->path, path) != 0)
				continue;
			desc = e->holder > 0 && descends_from(e->holder, rec->leader_pid,
							      rec->leader_start);
			if (!found || (desc && !descended))
				snprintf(first, sizeof(first), "%s", rec->id);
			found++;
			descended += desc;
			break;
		}
		lo_record_free(rec);
	}
	if (found == 1 || (found > 1 && descended == 1)) {
		strcpy(id, first);
		ret = 0;
	} else if (found > 1) {
		ret = -ENOTUNIQ;
	}
	lo_strv_free(ids, n);
	return ret;
}

/* "pts/3", "tty1", "/dev/pts/3": the device path of a terminal name
 * into BUF, or false for anything else. */
static bool terminal_name(const char *name, char *buf, size_t size)
{
	const char *t = strncmp(name, "/dev/", 5) == 0 ? name + 5 : name;
	const char *digits;

	if (strncmp(t, "pts/", 4) == 0)
		digits = t + 4;
	else if (strncmp(t, "tty", 3) == 0)
		digits = t + 3;
	else
		return false;
	if (!*digits || strlen(digits) > 7 || strspn(digits, "0123456789") != strlen(digits))
		return false;
	snprintf(buf, size, "/dev/%s", t);
	return true;
}

/* ------------------------------------------------------------- --list */

static json_object *session_json(const struct app *a, const struct lo_record *rec)
{
	json_object *j = json_object_new_object(), *terms = json_object_new_array();
	const char *why = NULL;
	const char *view = lo_session_view(rec, &why);
	struct terminals t;
	long idle;

	session_terminals(a, rec, &t);
	idle = session_idle(a, rec, &t);
	for (size_t i = 0; i < t.n; i++)
		if (t.t[i].counted)
			json_object_array_add(terms, json_object_new_string(t.t[i].path + 5));

	json_object_object_add(j, "id", json_text(rec->id));
	json_object_object_add(j, "name", json_text(rec->name));
	json_object_object_add(j, "user", json_text(rec->user));
	json_object_object_add(j, "uid", json_object_new_int64(rec->uid));
	json_object_object_add(j, "tty", json_text(rec->tty));
	json_object_object_add(j, "service", json_text(rec->service));
	json_object_object_add(j, "rhost", json_text(rec->rhost));
	json_object_object_add(j, "logind_session", rec->logind && *rec->logind ? json_text(rec->logind) : NULL);
	json_object_object_add(j, "state", json_object_new_string(view));
	json_object_object_add(j, "reason", why && *why ? json_text(why) : NULL);
	json_object_object_add(j, "since", json_object_new_int64(rec->created));
	json_object_object_add(j, "idle", idle < 0 ? NULL : json_object_new_int64(idle));
	json_object_object_add(j, "leader_pid", json_object_new_int64(rec->leader_pid));
	json_object_object_add(j, "audit_session", json_object_new_boolean(rec->audit));
	json_object_object_add(j, "terminals", terms);
	return j;
}

static void print_json(json_object *j)
{
	puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
}

static json_object *host_object(void)
{
	json_object *j = json_object_new_object();
	char host[256] = "";

	gethostname(host, sizeof(host) - 1);
	json_object_object_add(j, "host", json_text(host));
	return j;
}

/* The record ID of a listing into *REC. False when there is none to
 * show: ended meanwhile, or refused (said on stderr, and *RET becomes
 * LO_EXIT_PARTIAL: a refused record is never shown, nor skipped in
 * silence). */
static bool read_listed(const struct app *a, const char *id, struct lo_record **rec, int *ret)
{
	char *err = NULL;
	int r = lo_record_read(a->registry, id, rec, &err);

	if (r == -ENOENT)
		return false;
	if (r < 0) {
		fprintf(stderr, "logoff: %s\n", err ? err : strerror(-r));
		free(err);
		*ret = LO_EXIT_PARTIAL;
		return false;
	}
	return true;
}

static int cmd_list(struct app *a)
{
	json_object *top = NULL, *arr = NULL;
	char **ids = NULL;
	size_t n = 0;
	int ret = LO_EXIT_OK;

	if (a->registry) {
		int r = lo_registry_list(a->registry, &ids, &n);
		if (r < 0) {
			fprintf(stderr, "logoff: %s: cannot list sessions: %s\n", a->registry->path,
				strerror(-r));
			return LO_EXIT_USAGE;
		}
	}
	views_index(a, n);
	if (a->o.json) {
		top = host_object();
		arr = json_object_new_array();
		json_object_object_add(top, "sessions", arr);
	} else {
		printf("%-10s %-14s %-12s %-12s %-10s %-16s %-8s %-16s %-6s %s\n", "ID", "NAME",
		       "USER", "TTY", "SERVICE", "RHOST", "STATE", "SINCE", "IDLE", "LOGIND");
	}
	for (size_t i = 0; i < n; i++) {
		struct lo_record *rec = NULL;
		char since[32], idle[32];

		if (!read_listed(a, ids[i], &rec, &ret))
			continue;
		if (a->o.json) {
			json_object_array_add(arr, session_json(a, rec));
		} else {
			char u[SAFE_MAX], tt[SAFE_MAX], sv[SAFE_MAX], rh[SAFE_MAX];
			struct terminals t;

			session_terminals(a, rec, &t);
			format_time(rec->created, since, sizeof(since));
			format_idle(session_idle(a, rec, &t), idle, sizeof(idle));
			printf("%-10s %-14s %-12s %-12s %-10s %-16s %-8s %-16s %-6s %s\n", rec->id,
			       rec->name, safe(rec->user, u), or_dash(safe(terminals_shown(&t), tt)),
			       or_dash(safe(rec->service, sv)), or_dash(safe(rec->rhost, rh)),
			       lo_session_view(rec, NULL), since, idle, or_dash(rec->logind));
		}
		lo_record_free(rec);
	}
	if (top)
		print_json(top);
	lo_strv_free(ids, n);
	return ret;
}

/* ----------------------------------------------------------- --status */

static int cmd_status(struct app *a, const struct lo_record *rec)
{
	const char *why = NULL;
	const char *view = lo_session_view(rec, &why);
	char since[32];

	if (a->o.json) {
		json_object *j = session_json(a, rec), *prov = json_object_new_array(),
			    *subs = json_object_new_array();

		for (size_t i = 0; i < rec->n_status; i++) {
			const struct lo_status *s = &rec->status[i];
			json_object *p = json_object_new_object();
			json_object_object_add(p, "name", json_text(s->name));
			json_object_object_add(p, "state",
					       json_object_new_string(lo_provider_state_name(s->state)));
			json_object_object_add(p, "result", json_object_new_int(s->result));
			json_object_object_add(p, "error", s->result < 0 ?
					       json_object_new_string(strerror(-s->result)) : NULL);
			json_object_object_add(p, "faults", json_object_new_int64(s->faults));
			json_object_object_add(p, "since", json_object_new_int64(s->since));
			json_object_object_add(p, "message", json_text(s->message));
			json_object_array_add(prov, p);
		}
		for (size_t i = 0; i < rec->n_sub; i++) {
			const struct lo_subobject *s = &rec->sub[i];
			json_object *o = json_object_new_object();
			json_object_object_add(o, "provider", json_text(s->provider));
			json_object_object_add(o, "kind",
					       json_object_new_string(lo_subobject_kind_name(s->kind)));
			json_object_object_add(o, "value", json_text(s->value));
			json_object_array_add(subs, o);
		}
		json_object_object_add(j, "providers", prov);
		json_object_object_add(j, "subobjects", subs);
		print_json(j);
		return LO_EXIT_OK;
	}
	char b1[SAFE_MAX], b2[SAFE_MAX], b3[SAFE_MAX], b4[SAFE_MAX], idle[32];
	struct terminals t;
	size_t shown = 0;

	session_terminals(a, rec, &t);
	format_time(rec->created, since, sizeof(since));
	format_idle(session_idle(a, rec, &t), idle, sizeof(idle));
	printf("Session %s (%s): user %s (uid %u), service %s, tty %s, from %s\n", rec->id,
	       rec->name, safe(rec->user, b1), (unsigned)rec->uid, or_dash(safe(rec->service, b2)),
	       or_dash(safe(rec->tty, b3)), or_dash(safe(rec->rhost, b4)));
	printf("Terminals:");
	for (size_t i = 0; i < t.n; i++)
		if (t.t[i].counted)
			printf(" %s", t.t[i].path + 5), shown++;
	printf("%s; idle %s\n", shown ? "" : " none", idle);
	if (rec->logind && *rec->logind)
		printf("logind:  session %s\n", rec->logind);
	printf("State:   %s%s%s%s, since %s; login manager pid %d\n", view, why && *why ? " (" : "",
	       why && *why ? why : "", why && *why ? ")" : "", since, (int)rec->leader_pid);
	printf("Providers (logon order):\n");
	for (size_t i = 0; i < rec->n_status; i++) {
		const struct lo_status *s = &rec->status[i];
		printf("  %-12s %-12s %s%s%s\n", safe(s->name, b1), lo_provider_state_name(s->state),
		       safe(s->message, b2), s->result < 0 ? "; error: " : "",
		       s->result < 0 ? strerror(-s->result) : "");
	}
	printf("Subobjects:%s\n", rec->n_sub ? "" : " none");
	for (size_t i = 0; i < rec->n_sub; i++)
		printf("  %-12s %-12s %s\n", safe(rec->sub[i].provider, b1),
		       lo_subobject_kind_name(rec->sub[i].kind), safe(rec->sub[i].value, b2));
	return LO_EXIT_OK;
}

/* ---------------------------------------------------------- resolving */

static void print_close_matches(const struct app *a, const char *wanted)
{
	char **ids = NULL;
	size_t n = 0, shown = 0;

	if (!a->registry || lo_registry_list(a->registry, &ids, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct lo_record *rec = NULL;
		if (lo_record_read(a->registry, ids[i], &rec, NULL) < 0)
			continue;
		if (lo_cli_close_match(wanted, rec->id) || lo_cli_close_match(wanted, rec->name)) {
			char u[SAFE_MAX];
			fprintf(stderr, "%s  %s (%s, user %s)\n", shown ? "" : "logoff: close matches:\n",
				rec->name, rec->id, safe(rec->user, u));
			shown++;
		}
		lo_record_free(rec);
	}
	if (!shown)
		fprintf(stderr, "logoff: `logoff --list` shows every session\n");
	lo_strv_free(ids, n);
}

/* The caller's own session: LOGOFF_SESSION_ID, else the audit session of
 * this process, else its terminal. */
static int find_own(struct app *a, char *id)
{
	const char *env = getenv("LOGOFF_SESSION_ID");
	char buf[32];
	FILE *f;

	if (!a->registry)
		return -ENOENT;
	if (env && lo_id_valid(env) && lo_registry_find(a->registry, env, id) == 0)
		return 0;
	f = fopen("/proc/self/sessionid", "re");
	if (f) {
		bool got = fgets(buf, sizeof(buf), f) != NULL;
		fclose(f);
		buf[strcspn(buf, "\n")] = '\0';
		if (got && strcmp(buf, "4294967295") != 0 && lo_id_valid(buf) &&
		    lo_registry_find(a->registry, buf, id) == 0)
			return 0;
	}
	for (int fd = 0; fd <= 2; fd++) {
		const char *tty = ttyname(fd);
		if (tty && strncmp(tty, "/dev/", 5) == 0 &&
		    (lo_registry_find(a->registry, tty + 5, id) == 0 ||
		     find_by_terminal(a, tty, id) == 0))
			return 0;
	}
	return -ENOENT;
}

/* Resolve the SESSION argument (NULL: the caller's own) and read it. */
static int resolve(struct app *a, const char *session, struct lo_record **ret)
{
	char id[LO_ID_MAX + 1];
	char *err = NULL;
	int r;

	*ret = NULL;
	if (!session) {
		if (find_own(a, id) < 0) {
			fprintf(stderr, "logoff: this process is in no session pam_logoff knows (no "
				"LOGOFF_SESSION_ID, audit session or terminal with a record); name "
				"one: logoff SESSION\n");
			return LO_EXIT_UNKNOWN;
		}
	} else {
		char dev[64];

		r = a->registry ? lo_registry_find(a->registry, session, id) : -ENOENT;
		/* An ssh session's pty is not its PAM_TTY: found by the
		 * terminals its processes hold. */
		if (r == -ENOENT && terminal_name(session, dev, sizeof(dev)))
			r = find_by_terminal(a, dev, id);
		if (r == -ENOTUNIQ) {
			fprintf(stderr, "logoff: terminal '%s' is held by more than one session; "
				"name one by its id (logoff --list)\n", session);
			return LO_EXIT_UNKNOWN;
		}
		if (r == -EINVAL) {
			fprintf(stderr, "logoff: session '%s': not a session id or name\n", session);
			return LO_EXIT_USAGE;
		}
		if (r < 0) {
			fprintf(stderr, "logoff: no session '%s'\n", session);
			print_close_matches(a, session);
			return LO_EXIT_UNKNOWN;
		}
	}
	r = lo_record_read(a->registry, id, ret, &err);
	if (r == -ENOENT) {
		fprintf(stderr, "logoff: session '%s' ended meanwhile\n", session ? session : id);
		return LO_EXIT_UNKNOWN;
	}
	if (r < 0) {
		/* Refused records are never trusted: an admin must look. */
		fprintf(stderr, "logoff: %s\n", err ? err : strerror(-r));
		free(err);
		return LO_EXIT_USAGE;
	}
	return LO_EXIT_OK;
}

/* ------------------------------------------------------------ --query */

/*
 * The limit that acts next on a session, for --query's NEXT LIMIT
 * column and "next_limit" in its JSON: which one ("idle", "active",
 * "disconnected"), what it does ("logoff", "disconnect") and when
 * (epoch seconds).
 */
struct next_limit {
	const char *limit;
	const char *action;
	time_t at;
};

/*
 * REC's user as the account database names it (getpwuid_r of the
 * recorded uid: with sssd or winbind, "ALICE" or "alice@corp" typed at
 * login is "alice"), else the recorded PAM_USER, into USER (USER_SIZE
 * bytes); and the names of that user's groups (primary first) into
 * NAMES, at most MAX. Limits match these, never the name as typed.
 * Groups that cannot be resolved are left out.
 */
static void session_account(const struct lo_record *rec, char *user, size_t user_size,
			    char names[][LO_NAME_MAX + 1], size_t max, size_t *ret_n);

/*
 * The limit of [limits] that acts next on REC (IDLE seconds idle, -1
 * unknown), as the limits sweep decides it (lo_limits_effective,
 * lo_limits_decide) from what is known now: a warning already given is
 * not looked at, so the time is when the limit is reached. C is the
 * session's client (session_rdp). False when none will: no limit set,
 * the user or a group exempt, a protected tty.
 */
static bool next_limit_of(const struct app *a, const struct lo_record *rec, long idle,
			  const struct lo_rdp_client *c, struct next_limit *ret)
{
	struct lo_limits_input in = { 0 };
	struct lo_limits_decision d;
	struct lo_limits l;
	char groups[64][LO_NAME_MAX + 1], account[LO_NAME_MAX * 4];
	const char *gp[64];
	size_t ng = 0;
	bool exempt = false;

	if (lo_cli_may_logoff(0, rec, a->config->protected_ttys, false) == LO_EXIT_PROTECTED)
		return false;
	session_account(rec, account, sizeof(account), groups, 64, &ng);
	for (size_t i = 0; i < ng; i++)
		gp[i] = groups[i];
	lo_limits_effective(&a->config->limits, account, gp, ng, &l, &exempt);
	if (exempt)
		return false;
	limits_for_client(&l, c);
	in.now = time(NULL);
	in.logon = rec->created;
	in.idle = idle;
	/* Gone since the sweep recorded it; not recorded yet: from now. */
	if (c->state == LO_RDP_DISCONNECTED)
		in.disconnected_since = recorded_disc_since(rec) ? recorded_disc_since(rec) : in.now;
	if (lo_limits_decide(&l, &in, &d) < 0 || d.kind == LO_LIMIT_NONE || d.at == 0)
		return false;
	ret->limit = lo_limit_kind_name(d.kind);
	ret->action = d.action == LO_LIMIT_ACTION_DISCONNECT ? "disconnect" : "logoff";
	ret->at = d.at;
	return true;
}

/* T as ISO 8601 with the local offset: "2026-12-06T02:30:00+01:00". */
static void format_iso(time_t t, char *buf, size_t size)
{
	struct tm tm;
	char z[8];

	if (!localtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm) ||
	    !strftime(z, sizeof(z), "%z", &tm) || strlen(z) != 5) {
		snprintf(buf, size, "1970-01-01T00:00:00+00:00");
		return;
	}
	snprintf(buf + strlen(buf), size - strlen(buf), "%.3s:%s", z, z + 3);
}

static json_object *query_json(const struct app *a, const struct lo_record *rec, long idle,
			       bool own)
{
	json_object *j = json_object_new_object();
	const char *view = lo_session_view(rec, NULL);
	struct lo_rdp_client c;
	struct next_limit nl;
	time_t since;
	char when[40];

	session_rdp(a, rec, &c);
	since = c.state == LO_RDP_DISCONNECTED ? recorded_disc_since(rec) : 0;

	format_iso(rec->created, when, sizeof(when));
	json_object_object_add(j, "user", json_text(rec->user));
	json_object_object_add(j, "uid", json_object_new_int64(rec->uid));
	json_object_object_add(j, "session_name", json_text(rec->name ? rec->name : rec->id));
	json_object_object_add(j, "id", json_text(rec->id));
	json_object_object_add(j, "state", json_object_new_string(
		lo_cli_quser_state(view, c.state == LO_RDP_DISCONNECTED, true)));
	json_object_object_add(j, "idle_seconds", idle < 0 ? NULL : json_object_new_int64(idle));
	json_object_object_add(j, "logon_time", json_object_new_string(when));
	json_object_object_add(j, "logon_epoch", json_object_new_int64(rec->created));
	json_object_object_add(j, "own", json_object_new_boolean(own));
	json_object_object_add(j, "logind_session",
			       rec->logind && *rec->logind ? json_text(rec->logind) : NULL);
	json_object_object_add(j, "client", c.state == LO_RDP_UNKNOWN ? NULL :
			       json_object_new_string(lo_rdp_state_name(c.state)));
	if (since > 0) {
		format_iso(since, when, sizeof(when));
		json_object_object_add(j, "disconnected_since", json_object_new_string(when));
		json_object_object_add(j, "disconnected_epoch", json_object_new_int64(since));
	} else {
		json_object_object_add(j, "disconnected_since", NULL);
		json_object_object_add(j, "disconnected_epoch", NULL);
	}
	if (next_limit_of(a, rec, idle, &c, &nl)) {
		json_object *l = json_object_new_object();
		format_iso(nl.at, when, sizeof(when));
		json_object_object_add(l, "limit", json_object_new_string(nl.limit));
		json_object_object_add(l, "action", json_object_new_string(nl.action));
		json_object_object_add(l, "at", json_object_new_string(when));
		json_object_object_add(l, "at_epoch", json_object_new_int64(nl.at));
		json_object_object_add(j, "next_limit", l);
	} else {
		json_object_object_add(j, "next_limit", NULL);
	}
	return j;
}

static void query_line(const struct app *a, const struct lo_record *rec, long idle, bool own)
{
	char u[SAFE_MAX], n[SAFE_MAX], idle_s[16], logon[32], limit[64] = "-";
	struct lo_rdp_client c;
	struct next_limit nl;

	session_rdp(a, rec, &c);
	lo_cli_quser_idle(idle, idle_s, sizeof(idle_s));
	format_time(rec->created, logon, sizeof(logon));
	if (next_limit_of(a, rec, idle, &c, &nl)) {
		struct tm tm;
		char at[16] = "?";
		if (localtime_r(&nl.at, &tm))
			strftime(at, sizeof(at), "%H:%M", &tm);
		snprintf(limit, sizeof(limit), "%s %s at %s", nl.limit, nl.action, at);
	}
	printf("%c%-20s %-18s %5s  %-7s %9s  %-16s  %s\n", own ? '>' : ' ', safe(rec->user, u),
	       safe(rec->name ? rec->name : rec->id, n), rec->id,
	       lo_cli_quser_state(lo_session_view(rec, NULL), c.state == LO_RDP_DISCONNECTED, false),
	       idle_s, logon, limit);
}

/*
 * `logoff --query [USER | SESSION]`: one line per session, as Windows'
 * `query user` (quser) prints them, '>' before the caller's own. The
 * argument is a session (id or name) when one matches, else a user; one
 * that names neither is an unknown session (LO_EXIT_UNKNOWN). With
 * --json, schema 1 of docs/logoff-query.schema.json.
 */
static int cmd_query(struct app *a)
{
	const char *arg = a->o.session;
	json_object *top = NULL, *arr = NULL;
	char **ids = NULL, own[LO_ID_MAX + 1] = "", only[LO_ID_MAX + 1] = "";
	size_t n = 0, shown = 0;
	int ret = LO_EXIT_OK;

	if (a->registry) {
		int r = lo_registry_list(a->registry, &ids, &n);
		if (r < 0) {
			fprintf(stderr, "logoff: %s: cannot list sessions: %s\n", a->registry->path,
				strerror(-r));
			return LO_EXIT_USAGE;
		}
		if (arg && lo_registry_find(a->registry, arg, only) < 0)
			only[0] = '\0';
	}
	views_index(a, n);
	if (find_own(a, own) < 0)
		own[0] = '\0';
	if (a->o.json) {
		top = host_object();
		json_object_object_add(top, "schema", json_object_new_int(1));
		arr = json_object_new_array();
		json_object_object_add(top, "sessions", arr);
	}
	for (size_t i = 0; i < n; i++) {
		struct lo_record *rec = NULL;
		struct terminals t;
		long idle;

		if (!read_listed(a, ids[i], &rec, &ret))
			continue;
		if (arg && (only[0] ? strcmp(rec->id, only) != 0 : strcmp(rec->user, arg) != 0)) {
			lo_record_free(rec);
			continue;
		}
		session_terminals(a, rec, &t);
		idle = session_idle(a, rec, &t);
		if (!a->o.json && shown == 0)
			printf(" %-20s %-18s %5s  %-7s %9s  %-16s  %s\n", "USERNAME", "SESSIONNAME",
			       "ID", "STATE", "IDLE TIME", "LOGON TIME", "NEXT LIMIT");
		if (a->o.json)
			json_object_array_add(arr, query_json(a, rec, idle,
							      strcmp(rec->id, own) == 0));
		else
			query_line(a, rec, idle, strcmp(rec->id, own) == 0);
		shown++;
		lo_record_free(rec);
	}
	lo_strv_free(ids, n);
	if (arg && shown == 0 && ret == LO_EXIT_OK) {
		char b[SAFE_MAX];
		json_object_put(top);
		fprintf(stderr, "logoff: no session or user '%s'\n", safe(arg, b));
		return LO_EXIT_UNKNOWN;
	}
	if (top)
		print_json(top);
	else if (shown == 0)
		printf("No sessions.\n");
	return ret;
}

/* ------------------------------------------------------------- --warn */

#define NOTIFY_SEND "/usr/bin/notify-send"
#define XMESSAGE "/usr/bin/xmessage"

/*
 * A warning to a graphical session on a local X display, besides its
 * terminals (the user may be in any window): a desktop notification (notify-send, as the
 * user, on the session's D-Bus) where the session's processes name a
 * session bus, else an X message window (xmessage, as the user, on the
 * display, gone after SECONDS or a click). Started detached (never
 * waited for), as the session's user with only what it needs in its
 * environment. TEXT may hold the CR, LF and BEL of a terminal warning:
 * they are dropped or made plain newlines here. Returns 0, -ENOTTY (no
 * local display, or root's session), -ENOENT (neither program
 * installed) or lo_spawn_detached's -errno.
 */
static int warn_display(const struct app *a, const struct lo_record *rec, const char *text,
			unsigned seconds)
{
	struct x_env x = { .display = rec->tty };
	char plain[1024], xauth[PATH_MAX + 16], bus[600], home[PATH_MAX + 8], timeout[16];
	char *env[5], *argv[10];
	size_t n = 0, e = 0, len = 0;
	struct lo_spawn sp = { .cwd = "/", .run_as_user = true, .user = rec->user,
			       .uid = rec->uid, .gid = rec->gid };

	if (!lo_cli_display_local(rec->tty) || rec->uid == 0 || !rec->user)
		return -ENOTTY;
	for (const char *p = text; *p && len < sizeof(plain) - 1; p++)
		if (*p == '\n' ? len > 0 && plain[len - 1] != '\n' : *p != '\r' && *p != '\a')
			plain[len++] = *p;
	while (len && plain[len - 1] == '\n')
		len--;
	plain[len] = '\0';
	each_session_process(a, rec, a->index, x_env_of, &x);
	if (x.found) {
		snprintf(xauth, sizeof(xauth), "XAUTHORITY=%s", x.xauthority);
		env[e++] = xauth;
	}
	if (rec->home) {
		snprintf(home, sizeof(home), "HOME=%s", rec->home);
		env[e++] = home;
	}
	if (x.dbus[0] && access(NOTIFY_SEND, X_OK) == 0) {
		snprintf(bus, sizeof(bus), "DBUS_SESSION_BUS_ADDRESS=%s", x.dbus);
		env[e++] = bus;
		argv[n++] = (char *)"notify-send";
		argv[n++] = (char *)"--urgency=critical";
		argv[n++] = (char *)"--app-name=logoff";
		argv[n++] = (char *)"--";
		argv[n++] = (char *)"logoff";
		argv[n++] = plain;
		sp.path = NOTIFY_SEND;
	} else if (access(XMESSAGE, X_OK) == 0) {
		snprintf(timeout, sizeof(timeout), "%u", seconds ? seconds : 1);
		argv[n++] = (char *)"xmessage";
		argv[n++] = (char *)"-display";
		argv[n++] = (char *)rec->tty;
		argv[n++] = (char *)"-center";
		argv[n++] = (char *)"-timeout";
		argv[n++] = timeout;
		argv[n++] = plain;
		sp.path = XMESSAGE;
	} else {
		return -ENOENT;
	}
	argv[n] = NULL;
	env[e] = NULL;
	sp.argv = argv;
	sp.envp = env;
	return lo_spawn_detached(&sp);
}

static int warn_terminal(const char *path, const char *text)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	int r;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || !isatty(fd)) {
		close(fd);
		return -ENOTTY;
	}
	r = lo_write_all(fd, text, strlen(text));
	close(fd);
	return r;
}

/* The text of --warn for REC into TEXT (SIZE bytes). */
static void warn_text(const struct app *a, const struct lo_record *rec, char *text, size_t size)
{
	char now[32], body[LO_MESSAGE_MAX * 2 + 8];
	size_t len;

	format_time(time(NULL), now, sizeof(now));
	if (a->o.message)
		snprintf(body, sizeof(body), "%s", a->o.message);
	else
		snprintf(body, sizeof(body), "Session %s of %s will be logged off. Save your work.",
			 rec->name, rec->user);
	len = (size_t)snprintf(text, size,
			       "\r\n\a*** Message from %s (logoff) at %s ***\r\n", a->caller, now);
	len += lo_cli_sanitize(body, text + len, size - len);
	snprintf(text + len, size - len, "\r\n(logoff in %u second%s)\r\n",
		 a->o.warn_seconds, a->o.warn_seconds == 1 ? "" : "s");
}

/* Warn the terminals of each of the N sessions RECS, then wait once (a
 * --user logoff warns all of the user's sessions at the same time);
 * LO_EXIT_CANCELLED on Ctrl-C. */
static int warn_and_wait(struct app *a, const struct lo_record *const *recs, size_t n)
{
	char text[LO_MESSAGE_MAX * 2 + 512];
	struct sigaction sa = { .sa_handler = on_interrupt };
	struct terminals *ts = calloc(n ? n : 1, sizeof(*ts));
	int64_t deadline;

	if (!ts) {
		fprintf(stderr, "logoff: %s\n", strerror(ENOMEM));
		return LO_EXIT_USAGE;
	}
	/* Cancellable from before the first terminal is warned: a Ctrl-C
	 * as soon as the message shows must cancel, not kill us with the
	 * warning out and no "cancelled" after it. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (size_t k = 0; k < n; k++) {
		const struct lo_record *rec = recs[k];
		struct terminals *t = &ts[k];

		warn_text(a, rec, text, sizeof(text));
		session_terminals(a, rec, t);
		if (t->n == 0)
			verbose(a, "session %s has no terminal to warn", rec->id);
		for (size_t i = 0; i < t->n; i++) {
			int r = warn_terminal(t->t[i].path, text);
			if (r < 0)
				fprintf(stderr, "logoff: cannot warn %s: %s\n", t->t[i].path,
					strerror(-r));
			else
				verbose(a, "warned %s", t->t[i].path);
		}
		if (lo_cli_display_local(rec->tty)) {
			int r = warn_display(a, rec, text, a->o.warn_seconds);
			if (r < 0)
				fprintf(stderr, "logoff: cannot warn display %s: %s\n", rec->tty,
					r == -ENOENT ? "neither " NOTIFY_SEND " nor " XMESSAGE
						       " is installed" : strerror(-r));
			else
				verbose(a, "warned display %s", rec->tty);
		}
		audit(a, LOG_NOTICE, "warned session %s (%s, user %s): logoff in %u s", rec->id,
		      rec->name, rec->user, a->o.warn_seconds);
	}

	deadline = lo_now_ms() + (int64_t)a->o.warn_seconds * 1000;
	while (!interrupted && lo_now_ms() < deadline) {
		int64_t left = deadline - lo_now_ms();
		poll(NULL, 0, left > 200 ? 200 : (int)(left > 0 ? left : 0));
	}
	sa.sa_handler = SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (interrupted) {
		for (size_t k = 0; k < n; k++) {
			fprintf(stderr, "logoff: cancelled; session %s was not logged off\n",
				recs[k]->id);
			audit(a, LOG_NOTICE, "logoff of session %s (%s) cancelled", recs[k]->id,
			      recs[k]->name);
			for (size_t i = 0; i < ts[k].n; i++)
				warn_terminal(ts[k].t[i].path, "\r\n*** logoff cancelled ***\r\n");
		}
		free(ts);
		return LO_EXIT_CANCELLED;
	}
	free(ts);
	return LO_EXIT_OK;
}

/* ------------------------------------------------------------ logoff */

static bool record_exists(const struct app *a, const char *id)
{
	return faccessat(a->registry->sessfd, id, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Wait until the record of ID is gone or DEADLINE_MS; while a live
 * process is logging it off (closing), up to EXTEND_MS longer. */
/*
 * While another process logs the session off (its login manager's
 * close_session, or another logoff), what its record says: with -v,
 * each provider's state as it changes ("logging-off", then the result
 * with its status message); on a terminal (stderr, without -v), one
 * progress line rewritten in place: the time left, the session's
 * processes left, the provider being logged off. Nothing extra when
 * stderr is no terminal. The record is read, never syslog: the chain
 * may run in another process on this host.
 */
struct watch {
	char seen[LO_MAX_PROVIDERS * 4][80];	/* "NAME STATE" already shown */
	size_t n_seen;
	bool progress;
	bool shown;		/* a progress line is on the terminal */
	int64_t next_ms;	/* when the progress line is next rewritten */
};

static void count_one(void *ctx, const struct lo_proc_handle *h)
{
	(void)h;
	(*(size_t *)ctx)++;
}

static void watch_clear(struct watch *w)
{
	if (w->shown)
		fputs("\r\033[K", stderr);
	w->shown = false;
}

static void watch_record(const struct app *a, const char *id, int64_t deadline_ms,
			 struct watch *w)
{
	struct lo_record *rec = NULL;
	const char *current = NULL;
	char b1[SAFE_MAX], b2[SAFE_MAX];

	if ((!a->o.verbose && !w->progress) || lo_record_read(a->registry, id, &rec, NULL) < 0)
		return;
	for (size_t i = 0; i < rec->n_status; i++) {
		const struct lo_status *st = &rec->status[i];
		char key[80];
		bool seen = false;

		if (st->state == LO_PROVIDER_LOGGING_OFF && !current)
			current = st->name;
		if (st->state < LO_PROVIDER_LOGGING_OFF)
			continue;
		snprintf(key, sizeof(key), "%.60s %d", st->name, st->state);
		for (size_t k = 0; k < w->n_seen && !seen; k++)
			seen = strcmp(w->seen[k], key) == 0;
		if (seen || w->n_seen >= sizeof(w->seen) / sizeof(w->seen[0]))
			continue;
		strcpy(w->seen[w->n_seen++], key);
		if (a->o.verbose) {
			watch_clear(w);
			printf("  provider %s: %s%s%s\n", safe(st->name, b1),
			       lo_provider_state_name(st->state), st->message[0] ? ": " : "",
			       safe(st->message, b2));
			fflush(stdout);
		}
	}
	if (w->progress && lo_now_ms() >= w->next_ms) {
		int64_t left = deadline_ms - lo_now_ms();
		size_t procs = 0;

		each_session_process(a, rec, NULL, count_one, &procs);
		fprintf(stderr, "\rlogoff: session %s: %lld s left, %zu process%s, %s%s\033[K", id,
			(long long)(left > 0 ? (left + 999) / 1000 : 0), procs, procs == 1 ? "" : "es",
			current ? "logging off " : "waiting for the login manager",
			current ? safe(current, b1) : "");
		w->shown = true;
		w->next_ms = lo_now_ms() + 500;
	}
	lo_record_free(rec);
}

static bool wait_gone(const struct app *a, const char *id, int64_t deadline_ms, int64_t extend_ms)
{
	struct watch w = { .progress = !a->o.verbose && isatty(STDERR_FILENO) };
	bool extended = false, gone = false;

	for (;;) {
		if (!record_exists(a, id)) {
			gone = true;
			break;
		}
		watch_record(a, id, deadline_ms, &w);
		if (lo_now_ms() >= deadline_ms) {
			struct lo_record *rec = NULL;
			bool closing = false;

			if (!extended && lo_record_read(a->registry, id, &rec, NULL) == 0)
				closing = strcmp(lo_session_view(rec, NULL), "closing") == 0;
			lo_record_free(rec);
			if (!closing)
				break;
			watch_clear(&w);
			verbose(a, "session %s is being logged off by process; waiting for it", id);
			deadline_ms = lo_now_ms() + extend_ms;
			extended = true;
		}
		poll(NULL, 0, POLL_MS);
	}
	watch_clear(&w);
	return gone;
}

/* Per-session lock (root, or the registry's owner): one logoff runs, a
 * second one waits for it and reports its outcome. The holder unlinks the
 * lock file before it unlocks, so a lock got on an unlinked file means
 * that logoff is over. Returns the fd (or -1 when there is none to take);
 * *WAITED is set for a second run that found the first one finished. */
static int lock_session(const struct app *a, const char *id, bool *waited)
{
	struct stat st;
	int dfd, fd = -1;

	*waited = false;
	if (a->registry->readonly)
		return -1;
	if (mkdirat(a->registry->dirfd, "locks", 0700) < 0 && errno != EEXIST)
		return -1;
	dfd = openat(a->registry->dirfd, "locks", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	if (fstat(dfd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077)) {
		close(dfd);
		return -1;
	}
	for (;;) {
		struct stat fst, lst;
		bool blocked = false;

		fd = openat(dfd, id, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			break;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			verbose(a, "another logoff of session %s is running; waiting for it", id);
			blocked = true;
			while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
				;
		}
		if (fstat(fd, &fst) == 0 && fstatat(dfd, id, &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
		    fst.st_ino == lst.st_ino && fst.st_dev == lst.st_dev)
			break;	/* ours: the holder before us died, or there was none */
		close(fd);
		fd = -1;
		if (blocked) {
			*waited = true;	/* that logoff finished */
			break;
		}
	}
	close(dfd);
	return fd;
}

static void unlock_session(const struct app *a, const char *id, int fd)
{
	struct stat fst, lst;
	int dfd;

	if (fd < 0)
		return;
	dfd = openat(a->registry->dirfd, "locks", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* Only our own file: a later logoff may have made a new one. */
	if (dfd >= 0 && fstat(fd, &fst) == 0 && fstatat(dfd, id, &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
	    fst.st_ino == lst.st_ino && fst.st_dev == lst.st_dev)
		unlinkat(dfd, id, 0);
	if (dfd >= 0)
		close(dfd);
	close(fd);
}

/* The outcome, from the record: gone is done; kept says what failed. */
static int report(const struct app *a, const char *id, const char *name, const char *user)
{
	struct lo_record *rec = NULL;
	int r = lo_record_read(a->registry, id, &rec, NULL);

	if (r == -ENOENT) {
		printf("Session %s (%s) of %s logged off.\n", id, name, user);
		audit(a, LOG_NOTICE, "session %s (%s, user %s) logged off", id, name, user);
		return LO_EXIT_OK;
	}
	fprintf(stderr, "logoff: session %s (%s) of %s: logoff incomplete (%s)\n", id, name, user,
		rec ? lo_session_view(rec, NULL) : strerror(-r));
	for (size_t i = 0; rec && i < rec->n_status; i++) {
		const struct lo_status *s = &rec->status[i];
		char m[SAFE_MAX], pn[SAFE_MAX];
		if (s->state == LO_PROVIDER_FAILED || s->state == LO_PROVIDER_TIMED_OUT)
			fprintf(stderr, "  %s: %s: %s\n", safe(s->name, pn),
				lo_provider_state_name(s->state),
				s->message[0] ? safe(s->message, m) :
				s->result < 0 ? strerror(-s->result) : "");
	}
	for (size_t i = 0; rec && i < rec->n_sub; i++) {
		char v[SAFE_MAX], pn[SAFE_MAX];
		fprintf(stderr, "  not released: %s %s %s\n", safe(rec->sub[i].provider, pn),
			lo_subobject_kind_name(rec->sub[i].kind), safe(rec->sub[i].value, v));
	}
	audit(a, LOG_ERR, "session %s (%s, user %s): logoff incomplete", id, name, user);
	lo_record_free(rec);
	return LO_EXIT_PARTIAL;
}

struct signaller {
	const struct app *a;
	size_t sent;
};

/* SIGHUP first: an interactive shell ignores SIGTERM. */
static void signal_one(void *ctx, const struct lo_proc_handle *h)
{
	struct signaller *sg = ctx;
	char comm[16] = "?", cb[SAFE_MAX];

	lo_proc_info(h->pid, NULL, NULL, NULL, NULL, comm);
	if (lo_proc_handle_signal(h, SIGHUP) < 0)
		return;
	lo_proc_handle_signal(h, SIGTERM);
	lo_proc_handle_signal(h, SIGCONT);
	verbose(sg->a, "signal SIGHUP, SIGTERM to process %d (%s)", (int)h->pid, safe(comm, cb));
	sg->sent++;
}

/* The request for session ID, as this command makes it: through
 * logoff-helper, checked against the caller's uid unless root. */
static struct lo_logoff_request request(struct app *a, const char *id)
{
	return (struct lo_logoff_request){
		.session = id, .config = a->config, .config_path = a->o.config,
		.helper = a->helper, .check_uid = a->uid != 0, .uid = a->uid,
		.debug = a->o.verbose, .abandon = a->o.abandon, .log = &a->log,
		.line_fn = helper_line, .line_ctx = a, .registry = a->registry,
		.reason = a->reason,
	};
}

/* Log session ID off, the way close_session does. */
static enum lo_logoff_outcome run_logoff(struct app *a, const char *id)
{
	struct lo_logoff_request req = request(a, id);
	enum lo_logoff_outcome outcome;
	int r;

	verbose(a, "running %s --session %s", a->helper, id);
	r = lo_logoff_session(&req, &outcome);
	if (r < 0)
		fprintf(stderr, "logoff: cannot run %s: %s\n", a->helper, strerror(-r));
	else if (outcome == LO_LOGOFF_TIMED_OUT)
		fprintf(stderr, "logoff: session %s: the logoff did not finish within %u s\n", id,
			a->config->timeout);
	return outcome;
}

static int cmd_logoff(struct app *a, struct lo_record *rec)
{
	char id[LO_ID_MAX + 1], name[LO_NAME_MAX + 1], user[256];
	const char *view;
	bool waited = false;
	enum lo_logoff_outcome outcome;
	int rule, lock = -1, ret;
	int64_t timeout_ms = (int64_t)a->config->timeout * 1000;

	snprintf(id, sizeof(id), "%s", rec->id);
	snprintf(name, sizeof(name), "%s", rec->name);
	lo_text_safe(user, sizeof(user), rec->user ? rec->user : "");
	rule = lo_cli_may_logoff(a->uid, rec, a->config->protected_ttys, a->o.force);
	if (rule == LO_EXIT_DENIED) {
		fprintf(stderr, "logoff: permission denied: session %s (%s) belongs to %s; only root "
			"may log off another user's session\n", id, name, user);
		audit(a, LOG_WARNING, "denied: logoff of session %s (%s) of user %s", id, name, user);
		return LO_EXIT_DENIED;
	}
	if (rule == LO_EXIT_PROTECTED) {
		fprintf(stderr, "logoff: session %s (%s) is on a protected tty ([logoff] "
			"protected_ttys = %s)%s\n", id, name, a->config->protected_ttys,
			a->uid == 0 ? "; --force overrides" : "");
		audit(a, LOG_WARNING, "refused: logoff of session %s (%s) on a protected tty", id,
		      name);
		return LO_EXIT_PROTECTED;
	}
	if (a->o.force && lo_cli_may_logoff(a->uid, rec, a->config->protected_ttys, false) ==
				  LO_EXIT_PROTECTED)
		audit(a, LOG_WARNING, "--force: logging off session %s (%s) on a protected tty", id,
		      name);
	audit(a, LOG_NOTICE, "logoff of session %s (%s, user %s, service %s)", id, name, user,
	      or_dash(rec->service));
	if (a->o.warn) {
		ret = warn_and_wait(a, (const struct lo_record *const *)&rec, 1);
		if (ret != LO_EXIT_OK)
			return ret;
	}
	/* A terminal hangup as the session ends must not stop us first. */
	signal(SIGHUP, SIG_IGN);

	lock = lock_session(a, id, &waited);
	if (waited)
		return report(a, id, name, user);
	/* Whichever process runs the chain (close_session once the login
	 * manager sees its session end, or logoff-helper below) names this
	 * command as the reason in its audit line. A user facing root's
	 * registry cannot write it (-EROFS): close_session says "logout". */
	if (!a->registry->readonly) {
		int rr = lo_logoff_set_reason(a->registry, id, a->reason);
		if (rr < 0 && rr != -ENOENT)
			verbose(a, "cannot record the reason of the logoff of session %s: %s", id,
				strerror(-rr));
	}

	/* 1. Ask the login manager: its session's processes go, it sees the
	 * session end and runs close_session as usual. */
	view = lo_session_view(rec, NULL);
	if (strcmp(view, "active") == 0 || strcmp(view, "opening") == 0) {
		struct signaller sg = { .a = a };

		each_session_process(a, rec, NULL, signal_one, &sg);
		if (sg.sent > 0) {
			verbose(a, "waiting up to %u s for the login manager (pid %d, %s) to close "
				"session %s", a->config->timeout, (int)rec->leader_pid,
				or_dash(rec->service), id);
			if (wait_gone(a, id, lo_now_ms() + timeout_ms, timeout_ms + 2000))
				goto done;
			verbose(a, "the login manager did not close session %s", id);
		} else {
			verbose(a, "session %s has no process to signal", id);
		}
	} else if (strcmp(view, "closing") == 0) {
		verbose(a, "session %s is being logged off; waiting for it", id);
		if (wait_gone(a, id, lo_now_ms() + timeout_ms + 2000, 0))
			goto done;
	} else {
		verbose(a, "session %s is %s: its login manager will not close it", id, view);
	}

	/* 2. Run the chain ourselves, the way close_session does. Without
	 * root we cannot: but while the login manager lives it may still be
	 * closing the session (another logoff signalled it first), so wait
	 * for that before giving up. */
	if (a->registry->readonly && lo_proc_alive(rec->leader_pid, rec->leader_start) &&
	    wait_gone(a, id, lo_now_ms() + timeout_ms, timeout_ms + 2000))
		goto done;
	if (a->registry->readonly) {
		/* The record is root's (0700 registry) and nothing setuid is
		 * ours: what is left is finished by root's sweep, which a
		 * login of any user starts once gc_interval has passed. */
		struct stat gst;
		char when[64] = "";

		if (a->config->gc_interval && fstatat(a->registry->dirfd, "gc-stamp", &gst,
						      AT_SYMLINK_NOFOLLOW) == 0) {
			time_t due = gst.st_mtime + (time_t)a->config->gc_interval;
			struct tm tm;
			if (due > time(NULL) && localtime_r(&due, &tm))
				strftime(when, sizeof(when), " after %H:%M:%S", &tm);
		}
		fprintf(stderr, "logoff: session %s (%s): the login manager did not close it, and "
			"its record is root's: the rest (releasing what it tracks, deleting the "
			"record) is done by root's sweep: the logoff-gc timer, or the next login "
			"on this host%s%s\n", id, name, a->config->gc_interval ? "" : " (never: "
			"[logoff] gc_interval = 0)", when);
		ret = report(a, id, name, user);
		unlock_session(a, id, lock);
		return ret;
	}
	outcome = run_logoff(a, id);
	if (outcome == LO_LOGOFF_BUSY) {
		/* The login manager began its close_session meanwhile. */
		verbose(a, "the login manager is logging session %s off; waiting for it", id);
		wait_gone(a, id, lo_now_ms() + timeout_ms + 2000, 0);
	} else if (outcome == LO_LOGOFF_ERROR) {
		/* The record was refused or the helper could not run: an
		 * error, not a partial release. */
		fprintf(stderr, "logoff: session %s (%s) was not logged off\n", id, name);
		unlock_session(a, id, lock);
		return LO_EXIT_USAGE;
	}
done:
	ret = report(a, id, name, user);
	unlock_session(a, id, lock);
	return ret;
}

/* ------------------------------------------------------------- --user */

/* Whether the caller may log off NAME's sessions: root, or NAME is the
 * caller (by uid when NAME resolves, else by name). */
static bool user_is_caller(const struct app *a, const char *name)
{
	struct passwd pw, *pwr = NULL;
	char buf[4096];

	if (getpwnam_r(name, &pw, buf, sizeof(buf), &pwr) == 0 && pwr)
		return pwr->pw_uid == a->uid;
	return strcmp(name, a->caller) == 0;
}

/* `logoff --user NAME`: every session of NAME, each as `logoff SESSION`
 * logs it off, under the same rules (another user's sessions need root;
 * a protected tty needs root's --force). With --warn all of them are
 * warned at once, then each is logged off. No session is no error. The
 * exit status is the first failure's, or 0. */
static int cmd_user(struct app *a)
{
	struct lo_record **recs = NULL;
	char **ids = NULL, u[SAFE_MAX];
	size_t n = 0, m = 0;
	int ret = LO_EXIT_OK, r;

	if (a->uid != 0 && !user_is_caller(a, a->o.user)) {
		fprintf(stderr, "logoff: permission denied: only root may log off another user's "
			"sessions (--user %s)\n", a->o.user);
		audit(a, LOG_WARNING, "denied: logoff --user %s", a->o.user);
		return LO_EXIT_DENIED;
	}
	if (a->registry && (r = lo_registry_list(a->registry, &ids, &n)) < 0) {
		fprintf(stderr, "logoff: %s: cannot list sessions: %s\n", a->registry->path,
			strerror(-r));
		return LO_EXIT_USAGE;
	}
	recs = calloc(n ? n : 1, sizeof(struct lo_record *));
	if (!recs) {
		lo_strv_free(ids, n);
		return LO_EXIT_USAGE;
	}
	views_index(a, n);
	for (size_t i = 0; i < n; i++) {
		struct lo_record *rec = NULL;

		if (lo_record_read(a->registry, ids[i], &rec, NULL) < 0)
			continue;
		if (!rec->user || strcmp(rec->user, a->o.user) != 0) {
			lo_record_free(rec);
			continue;
		}
		/* A refused one is refused (and said) by cmd_logoff now, and
		 * its terminals get no warning. */
		if (lo_cli_may_logoff(a->uid, rec, a->config->protected_ttys, a->o.force) !=
		    LO_EXIT_OK) {
			bool warn = a->o.warn;
			a->o.warn = false;
			r = cmd_logoff(a, rec);
			a->o.warn = warn;
			if (ret == LO_EXIT_OK)
				ret = r;
			lo_record_free(rec);
			continue;
		}
		recs[m++] = rec;
	}
	lo_strv_free(ids, n);
	if (m == 0 && ret == LO_EXIT_OK)
		printf("No sessions of %s.\n", safe(a->o.user, u));
	audit(a, LOG_NOTICE, "logoff --user %s: %zu session%s", a->o.user, m, m == 1 ? "" : "s");
	if (m > 0 && a->o.warn) {
		r = warn_and_wait(a, (const struct lo_record *const *)recs, m);
		if (r != LO_EXIT_OK) {
			ret = r;
			goto out;
		}
		a->o.warn = false;
	}
	for (size_t i = 0; i < m; i++) {
		r = cmd_logoff(a, recs[i]);
		if (ret == LO_EXIT_OK)
			ret = r;
	}
out:
	for (size_t i = 0; i < m; i++)
		lo_record_free(recs[i]);
	free(recs);
	return ret;
}

/* --------------------------------------------------------------- --gc */

static void gc_report(void *ctx, const struct lo_record *rec, const char *why,
		      enum lo_logoff_outcome outcome)
{
	char u[SAFE_MAX];

	printf("%s (%s, user %s): %s: %s\n", rec->id, rec->name, safe(rec->user, u), why,
	       outcome == LO_LOGOFF_DONE ? "logged off" :
	       outcome == LO_LOGOFF_BUSY ? "being logged off by another process" :
	       outcome == LO_LOGOFF_TIMED_OUT ? "timed out, record kept" :
	       "incomplete, record kept");
}

static int cmd_gc(struct app *a)
{
	struct lo_ctx ctx = { .config = a->config, .registry = a->registry, .log = a->log,
			      .privileged = geteuid() == 0 };
	struct lo_logoff_request proto = request(a, NULL);
	unsigned swept = 0, failed = 0;
	int r;

	proto.reason = LO_REASON_STALE;

	if (a->registry ? a->registry->readonly : geteuid() != 0) {
		fprintf(stderr, "logoff: permission denied: --gc needs root\n");
		audit(a, LOG_WARNING, "denied: --gc");
		return LO_EXIT_DENIED;
	}
	if (!a->registry) {
		printf("No stale sessions.\n");
		return LO_EXIT_OK;
	}
	audit(a, LOG_NOTICE, "sweep of stale sessions");
	r = lo_sweep(&ctx, &proto, gc_report, a, &swept, &failed);
	if (r < 0) {
		fprintf(stderr, "logoff: %s: %s\n", a->registry->path, strerror(-r));
		return LO_EXIT_USAGE;
	}
	if (swept == 0 && failed == 0)
		printf("No stale sessions.\n");
	else
		printf("%u stale session%s logged off, %u not.\n", swept, swept == 1 ? "" : "s",
		       failed);
	return failed ? LO_EXIT_PARTIAL : LO_EXIT_OK;
}

/* `logoff --gc --abandon PROVIDER SESSION`: what the sweep does after
 * [logoff] retries timed-out logoffs of PROVIDER, at once: PROVIDER is
 * abandoned (what it tracks is left unreleased and logged), the other
 * providers are logged off, the record deleted. Root only. */
static int cmd_abandon(struct app *a, const struct lo_record *rec)
{
	const char *view = lo_session_view(rec, NULL);
	enum lo_logoff_outcome outcome;

	if (!lo_record_status((struct lo_record *)rec, a->o.abandon)) {
		fprintf(stderr, "logoff: session %s has no provider '%s'\n", rec->id, a->o.abandon);
		return LO_EXIT_USAGE;
	}
	if (strcmp(view, "active") == 0 || strcmp(view, "opening") == 0) {
		fprintf(stderr, "logoff: session %s is %s; --abandon is for stale or failed sessions "
			"(log it off with `logoff %s`)\n", rec->id, view, rec->id);
		return LO_EXIT_USAGE;
	}
	audit(a, LOG_CRIT, "abandon provider %s of session %s", a->o.abandon, rec->id);
	outcome = run_logoff(a, rec->id);
	if (outcome == LO_LOGOFF_DONE) {
		printf("%s: provider %s abandoned, session logged off.\n", rec->id, a->o.abandon);
		return LO_EXIT_OK;
	}
	if (outcome == LO_LOGOFF_TIMED_OUT)
		return LO_EXIT_PARTIAL;
	if (outcome == LO_LOGOFF_BUSY) {
		fprintf(stderr, "logoff: session %s is being logged off by another process\n",
			rec->id);
		return LO_EXIT_PARTIAL;
	}
	fprintf(stderr, "logoff: session %s: provider %s %s; record kept\n", rec->id,
		a->o.abandon, outcome == LO_LOGOFF_PARTIAL ?
		"abandoned, but another provider did not release" : "not abandoned");
	return outcome == LO_LOGOFF_PARTIAL ? LO_EXIT_PARTIAL : LO_EXIT_USAGE;
}

/* ----------------------------------------------------------- --limits */

/* The names of the groups of REC's user (primary first) into NAMES, at
 * most MAX; *RET_N their count. Unresolvable groups are left out. */
static void session_account(const struct lo_record *rec, char *user, size_t user_size,
			    char names[][LO_NAME_MAX + 1], size_t max, size_t *ret_n)
{
	size_t size = 16384;
	char *buf = malloc(size);
	gid_t *gids = NULL;
	int ng = 64, r;

	*ret_n = 0;
	snprintf(user, user_size, "%s", rec->user ? rec->user : "");
	for (;;) {
		struct passwd pw, *pwp = NULL;
		char *bigger;

		if (!buf)
			goto out;
		r = getpwuid_r(rec->uid, &pw, buf, size, &pwp);
		if (r == 0 && pwp) {
			snprintf(user, user_size, "%s", pwp->pw_name);
			break;
		}
		if (r != ERANGE || size >= (1u << 20))
			break;
		size *= 2;
		bigger = realloc(buf, size);
		if (!bigger)
			goto out;
		buf = bigger;
	}
	/* getgrouplist says how many there are when the array is short. */
	for (int tries = 0; tries < 4; tries++) {
		gid_t *more = reallocarray(gids, (size_t)ng, sizeof(*gids));
		int want = ng;

		if (!more)
			goto out;
		gids = more;
		if (getgrouplist(user, rec->gid, gids, &ng) >= 0)
			break;
		if (ng <= want)
			ng = want * 2;
		if (tries == 3)
			ng = 0;
	}
	if (ng <= 0) {
		gids[0] = rec->gid;
		ng = 1;
	}
	for (int i = 0; i < ng && *ret_n < max; i++) {
		for (;;) {
			struct group gr, *grp = NULL;
			char *bigger;

			r = getgrgid_r(gids[i], &gr, buf, size, &grp);
			if (r == 0 && grp && strlen(grp->gr_name) <= LO_NAME_MAX)
				snprintf(names[(*ret_n)++], LO_NAME_MAX + 1, "%s", grp->gr_name);
			if (r != ERANGE || size >= (1u << 24))
				break;
			/* A group with many members: its entry needs more. */
			size *= 2;
			bigger = realloc(buf, size);
			if (!bigger)
				goto out;
			buf = bigger;
		}
	}
out:
	free(gids);
	free(buf);
}

/* <registry>/limits, root's and closed to others, made on first use;
 * a directory that is not ours is refused (-EPERM). */
static int limits_dir(const struct app *a)
{
	struct stat st;
	int fd;

	if (mkdirat(a->registry->dirfd, "limits", 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(a->registry->dirfd, "limits", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077)) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

struct limits_count {
	unsigned checked, warned, cancelled, acted, disconnected, failed;
};

/* Write TEXT to every terminal of REC's session, never blocking (a
 * terminal nobody reads fills and is then skipped); a graphical session
 * gets it on its display too, for SECONDS (warn_display). */
static void tell_terminals(const struct app *a, const struct lo_record *rec, const char *text,
			   unsigned seconds)
{
	struct terminals t;

	session_terminals(a, rec, &t);
	if (t.n == 0)
		verbose(a, "  session %s has no terminal to tell", rec->id);
	for (size_t i = 0; i < t.n; i++) {
		int r = warn_terminal(t.t[i].path, text);
		if (r < 0)
			verbose(a, "  cannot write to %s: %s", t.t[i].path, strerror(-r));
		else
			verbose(a, "  wrote to %s", t.t[i].path);
	}
	if (lo_cli_display_local(rec->tty)) {
		int r = warn_display(a, rec, text, seconds);
		if (r < 0)
			verbose(a, "  cannot show it on display %s: %s", rec->tty, strerror(-r));
		else
			verbose(a, "  shown on display %s", rec->tty);
	}
}

static void limits_warn(const struct app *a, const struct lo_record *rec, const char *user,
			const struct lo_limits_input *in, const struct lo_limits_decision *d,
			int dirfd, struct limits_count *n)
{
	struct lo_limits_state state = { .warned_at = in->now, .warned_for = d->kind,
					 .input_at = in->idle >= 0 ? in->now - in->idle : 0 };
	char now[32], text[512], dur[LO_DURATION_STR_MAX];
	int r;

	format_time(state.warned_at, now, sizeof(now));
	lo_format_duration((uint64_t)d->left, dur, sizeof(dur));
	snprintf(text, sizeof(text),
		 "\r\n\a*** Message from logoff at %s ***\r\n"
		 "Session %s of %s will be %s in %s (%s).%s\r\n",
		 now, rec->name, user,
		 d->action == LO_LIMIT_ACTION_LOGOFF ? "logged off" : "disconnected", dur,
		 d->reason, d->kind == LO_LIMIT_IDLE ? " Press a key to stay logged on." :
		 " Save your work.");
	/* The state first: a warning shown must be one the next sweep knows. */
	r = lo_limits_state_write(dirfd, rec->id, &state);
	if (r < 0) {
		fprintf(stderr, "logoff: session %s: cannot keep its warning: %s\n", rec->id,
			strerror(-r));
		n->failed++;
		return;
	}
	tell_terminals(a, rec, text, d->left > 0 ? (unsigned)d->left : 1);
	syslog(LOG_NOTICE, "session %s (%s, user %s): %s: warned, %s in %ld s", rec->id, rec->name,
	       user, d->reason, d->action == LO_LIMIT_ACTION_LOGOFF ? "logoff" : "disconnect",
	       d->left);
	n->warned++;
}

static void limits_cancel(const struct app *a, const struct lo_record *rec, const char *user,
			  const struct lo_limits_decision *d, int dirfd, struct limits_count *n)
{
	lo_limits_state_remove(dirfd, rec->id);
	tell_terminals(a, rec, "\r\n*** logoff cancelled: input received ***\r\n", 10);
	syslog(LOG_NOTICE, "session %s (%s, user %s): %s: cancelled, input since the warning",
	       rec->id, rec->name, user, d->reason);
	n->cancelled++;
}

static void limits_act(struct app *a, struct lo_record *rec, const char *user,
		       const struct lo_limits_decision *d, struct lo_rdp_client *client, int dirfd,
		       struct limits_count *n)
{
	char id[LO_ID_MAX + 1], name[LO_NAME_MAX + 1], saved[sizeof(a->reason)];
	int ret;

	snprintf(id, sizeof(id), "%s", rec->id);
	snprintf(name, sizeof(name), "%s", rec->name);
	if (d->action == LO_LIMIT_ACTION_DISCONNECT) {
		/* Only a session with a client attached gets here
		 * (limits_for_client); it is kept, its client let go. */
		ret = disconnect_client(a, rec, client, d->reason);
		lo_limits_state_remove(dirfd, id);
		syslog(ret == LO_EXIT_OK ? LOG_NOTICE : LOG_ERR, "session %s (%s, user %s): %s: %s",
		       id, name, user, d->reason, ret == LO_EXIT_OK ? "disconnected" :
		       "disconnect failed");
		if (ret == LO_EXIT_OK)
			n->disconnected++;
		else
			n->failed++;
		return;
	}
	/* The one logoff path, as `logoff SESSION` by root, with the limit
	 * as the reason its audit line gives. */
	snprintf(saved, sizeof(saved), "%s", a->reason);
	snprintf(a->reason, sizeof(a->reason), "%s", d->reason);
	ret = cmd_logoff(a, rec);
	snprintf(a->reason, sizeof(a->reason), "%s", saved);
	lo_limits_state_remove(dirfd, id);
	syslog(ret == LO_EXIT_OK ? LOG_NOTICE : LOG_ERR, "session %s (%s, user %s): %s: %s", id,
	       name, user, d->reason, ret == LO_EXIT_OK ? "logged off" : "logoff incomplete");
	if (ret == LO_EXIT_OK)
		n->acted++;
	else
		n->failed++;
}

/* Decide for one live session and do what is decided. */
static void limits_one(struct app *a, struct lo_record *rec, int dirfd, struct limits_count *n)
{
	struct lo_limits l;
	struct lo_limits_state state;
	struct lo_limits_input in = { 0 };
	struct lo_limits_decision d;
	struct lo_rdp_client client;
	struct terminals terms;
	char groups[64][LO_NAME_MAX + 1], user[256], account[LO_NAME_MAX * 4];
	char dur[LO_DURATION_STR_MAX];
	const char *gp[64];
	size_t ng;
	bool exempt;
	int r;

	lo_text_safe(user, sizeof(user), rec->user ? rec->user : "");
	if (lo_cli_may_logoff(0, rec, a->config->protected_ttys, false) == LO_EXIT_PROTECTED) {
		verbose(a, "%s (%s, user %s): on a protected tty; skipped", rec->id, rec->name, user);
		lo_limits_state_remove(dirfd, rec->id);
		return;
	}
	session_account(rec, account, sizeof(account), groups, 64, &ng);
	for (size_t i = 0; i < ng; i++)
		gp[i] = groups[i];
	lo_limits_effective(&a->config->limits, account, gp, ng, &l, &exempt);
	if (exempt) {
		verbose(a, "%s (%s, user %s): exempt; skipped", rec->id, rec->name, user);
		lo_limits_state_remove(dirfd, rec->id);
		return;
	}
	n->checked++;
	r = lo_limits_state_read(dirfd, rec->id, &state);
	if (r < 0 && r != -ENOENT) {
		/* Not a file this command wrote: never trusted, replaced. */
		syslog(LOG_WARNING, "session %s: refusing its limits state file: %s", rec->id,
		       strerror(-r));
		fprintf(stderr, "logoff: session %s: refusing its limits state file: %s\n", rec->id,
			strerror(-r));
		lo_limits_state_remove(dirfd, rec->id);
	}
	in.now = time(NULL);
	in.logon = rec->created;
	session_terminals(a, rec, &terms);
	in.idle = session_idle(a, rec, &terms);
	session_rdp(a, rec, &client);
	in.disconnected_since = track_disconnected(a, rec, &client, in.now);
	limits_for_client(&l, &client);
	in.warned_at = state.warned_at;
	in.warned_for = state.warned_for;
	in.warned_input = state.input_at;
	if (in.warned_at > in.now) {
		/* The clock went back: warn anew rather than act on it. */
		lo_limits_state_remove(dirfd, rec->id);
		in.warned_at = 0;
		in.warned_for = LO_LIMIT_NONE;
		in.warned_input = 0;
	}
	if (lo_limits_decide(&l, &in, &d) < 0)
		return;
	if (d.verdict == LO_LIMITS_ACT && a->index) {
		/* The /proc index was taken when the sweep began, and each
		 * logoff before this one may have taken seconds: a terminal
		 * opened since (the user back at work in a new one) must count.
		 * Measured again from a scan of /proc before acting. */
		struct lo_proc_index *ix = a->index;

		a->index = NULL;
		session_terminals(a, rec, &terms);
		in.idle = session_idle(a, rec, &terms);
		in.now = time(NULL);
		session_rdp(a, rec, &client);
		in.disconnected_since = track_disconnected(a, rec, &client, in.now);
		a->index = ix;
		lo_limits_effective(&a->config->limits, account, gp, ng, &l, &exempt);
		limits_for_client(&l, &client);
		if (lo_limits_decide(&l, &in, &d) < 0)
			return;
	}
	switch (d.verdict) {
	case LO_LIMITS_NOTHING:
		if (d.kind == LO_LIMIT_NONE)
			verbose(a, "%s (%s, user %s): idle %s: no limit", rec->id, rec->name, user,
				in.idle < 0 ? "unknown" : lo_format_duration((uint64_t)in.idle, dur,
									     sizeof(dur)));
		else
			verbose(a, "%s (%s, user %s): idle %s: %s reached in %ld s", rec->id,
				rec->name, user, in.idle < 0 ? "unknown" :
				lo_format_duration((uint64_t)in.idle, dur, sizeof(dur)), d.reason,
				d.left);
		break;
	case LO_LIMITS_WARN:
		verbose(a, "%s (%s, user %s): %s: warn, %s in %ld s", rec->id, rec->name, user,
			d.reason, lo_limit_action_names[d.action], d.left);
		limits_warn(a, rec, user, &in, &d, dirfd, n);
		break;
	case LO_LIMITS_WAIT:
		verbose(a, "%s (%s, user %s): %s: warned, %s in %ld s", rec->id, rec->name, user,
			d.reason, lo_limit_action_names[d.action], d.left);
		break;
	case LO_LIMITS_CANCEL:
		verbose(a, "%s (%s, user %s): %s: input since the warning: cancel", rec->id,
			rec->name, user, d.reason);
		limits_cancel(a, rec, user, &d, dirfd, n);
		break;
	case LO_LIMITS_ACT:
		verbose(a, "%s (%s, user %s): %s: %s", rec->id, rec->name, user, d.reason,
			lo_limit_action_names[d.action]);
		limits_act(a, rec, user, &d, &client, dirfd, n);
		break;
	}
}

/* State files of sessions that have no record any more, and temporary
 * files a crashed sweep left; with ALL, every one (no limit is set: a
 * warning given under an old config must not count under a new one). */
static void limits_prune(const struct app *a, int dirfd, bool all)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (all || e->d_name[0] == '.' || !lo_id_valid(e->d_name) ||
		    !record_exists(a, e->d_name))
			unlinkat(dirfd, e->d_name, 0);
	}
	closedir(d);
}

/*
 * `logoff --limits`: every live session against the [limits] of the
 * config (logoff.conf(5)): warn, cancel a warning when input came, or
 * log the session off through cmd_logoff, as root's `logoff SESSION`.
 * Root only; run by logoff-limits.timer or cron.
 */
static int cmd_limits(struct app *a)
{
	struct limits_count n = { 0 };
	char **ids = NULL;
	size_t nids = 0;
	int dirfd, r;

	if (a->registry ? a->registry->readonly : geteuid() != 0) {
		fprintf(stderr, "logoff: permission denied: --limits needs root\n");
		audit(a, LOG_WARNING, "denied: --limits");
		return LO_EXIT_DENIED;
	}
	if (!a->registry) {
		printf("No sessions.\n");
		return LO_EXIT_OK;
	}
	dirfd = limits_dir(a);
	if (dirfd < 0) {
		fprintf(stderr, "logoff: %s/limits: %s\n", a->registry->path,
			dirfd == -EPERM ? "not a directory of root's closed to others; refused" :
			strerror(-dirfd));
		return LO_EXIT_USAGE;
	}
	/* One sweep at a time (the timer, cron, an admin's run): two would
	 * race on the warning state and act twice. */
	if (flock(dirfd, LOCK_EX | LOCK_NB) < 0) {
		close(dirfd);
		if (errno != EWOULDBLOCK) {
			fprintf(stderr, "logoff: %s/limits: cannot lock: %s\n", a->registry->path,
				strerror(errno));
			return LO_EXIT_USAGE;
		}
		printf("Another logoff --limits is running; nothing done.\n");
		return LO_EXIT_OK;
	}
	if (!lo_limits_any(&a->config->limits)) {
		limits_prune(a, dirfd, true);
		close(dirfd);
		printf("No limits configured.\n");
		return LO_EXIT_OK;
	}
	r = lo_registry_list(a->registry, &ids, &nids);
	if (r < 0) {
		fprintf(stderr, "logoff: %s: %s\n", a->registry->path, strerror(-r));
		close(dirfd);
		return LO_EXIT_USAGE;
	}
	views_index(a, nids);
	for (size_t i = 0; i < nids; i++) {
		struct lo_record *rec = NULL;

		if (lo_record_read(a->registry, ids[i], &rec, NULL) < 0)
			continue;	/* gone meanwhile, or refused: the sweep's to report */
		if (strcmp(lo_session_view(rec, NULL), "active") == 0)
			limits_one(a, rec, dirfd, &n);
		lo_record_free(rec);
	}
	lo_strv_free(ids, nids);
	limits_prune(a, dirfd, false);
	close(dirfd);
	/* The count goes to syslog when something was done: a run every 30
	 * seconds that did nothing is not worth a line. */
	if (n.warned || n.cancelled || n.acted || n.disconnected || n.failed)
		syslog(LOG_NOTICE, "limits: %u session%s checked, %u warned, %u cancelled, "
		       "%u logged off, %u disconnected, %u failed", n.checked,
		       n.checked == 1 ? "" : "s", n.warned, n.cancelled, n.acted, n.disconnected,
		       n.failed);
	printf("%u session%s checked: %u warned, %u cancelled, %u logged off, %u disconnected, "
	       "%u failed.\n", n.checked, n.checked == 1 ? "" : "s", n.warned, n.cancelled, n.acted,
	       n.disconnected, n.failed);
	return n.failed ? LO_EXIT_PARTIAL : LO_EXIT_OK;
}

/* -------------------------------------------------------- --disconnect */

/*
 * `logoff --disconnect SESSION` (Windows' tsdiscon): end the connection
 * of the xrdp client attached to SESSION. The session and every process
 * of it go on; its user can connect again, and the disconnected limit
 * counts from now. Root only: the process that serves the client is
 * xrdp's. A session without a client is left as it is (exit 0); one whose
 * client cannot be measured (not an xrdp Xvnc session) is LO_EXIT_USAGE.
 */
static int cmd_disconnect(struct app *a, const struct lo_record *rec)
{
	struct lo_rdp_client c;
	char why[64], n[SAFE_MAX];
	int ret;

	if (geteuid() != 0 || !a->registry || a->registry->readonly) {
		fprintf(stderr, "logoff: permission denied: --disconnect needs root\n");
		audit(a, LOG_WARNING, "denied: --disconnect %s", rec->id);
		return LO_EXIT_DENIED;
	}
	safe(rec->name ? rec->name : rec->id, n);
	if (strcmp(lo_session_view(rec, NULL), "active") != 0) {
		fprintf(stderr, "logoff: session %s (%s) is %s: no client to disconnect\n", rec->id,
			n, lo_session_view(rec, NULL));
		return LO_EXIT_USAGE;
	}
	if (!rdp_session(rec)) {
		fprintf(stderr, "logoff: session %s (%s) is not a remote desktop session of xrdp "
			"(service %s on a display): no client to disconnect\n", rec->id, n,
			LO_XRDP_SERVICE);
		return LO_EXIT_USAGE;
	}
	session_rdp(a, rec, &c);
	if (c.state == LO_RDP_UNKNOWN) {
		fprintf(stderr, "logoff: session %s (%s): no Xvnc of the session listens on port "
			"%ld: cannot tell whether a client is attached\n", rec->id, n,
			LO_VNC_PORT_BASE + display_number(rec->tty));
		return LO_EXIT_USAGE;
	}
	if (c.state == LO_RDP_DISCONNECTED) {
		track_disconnected(a, rec, &c, time(NULL));
		printf("Session %s (%s) has no client attached; nothing to do.\n", rec->id, n);
		return LO_EXIT_OK;
	}
	snprintf(why, sizeof(why), "disconnect by uid %u", (unsigned)a->uid);
	ret = disconnect_client(a, rec, &c, why);
	if (ret == LO_EXIT_OK)
		printf("Session %s (%s) disconnected; the session goes on.\n", rec->id, n);
	return ret;
}

/* `logoff --check-config [FILE]`: every error of FILE and its drop-ins. */
static int cmd_check_config(const struct app *a)
{
	char *errors = NULL;
	struct stat st;
	int r;

	/* A missing logoff.conf means the defaults; a FILE named and
	 * missing is a mistake. */
	if (a->o.check_file != a->o.config && lstat(a->o.check_file, &st) < 0) {
		fprintf(stderr, "%s: %m\n", a->o.check_file);
		return LO_EXIT_USAGE;
	}
	r = lo_config_check(a->o.check_file, lo_builtin_providers, &errors);
	if (r == 0) {
		printf("%s: OK\n", a->o.check_file);
		return LO_EXIT_OK;
	}
	fprintf(stderr, "%s\n", errors ? errors : strerror(-r));
	free(errors);
	return LO_EXIT_USAGE;
}

/* --------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	struct app a = { .uid = getuid() };
	struct lo_record *rec = NULL;
	struct passwd pw, *pwr = NULL;
	char pwbuf[4096], *err = NULL;
	int r, ret;

	a.log = (struct lo_log){ .fn = cli_log, .ctx = &a };
	snprintf(a.reason, sizeof(a.reason), "logoff by uid %u", (unsigned)a.uid);
	if (lo_cli_parse(argc, argv, &a.o, &err) < 0) {
		fprintf(stderr, "logoff: %s\nTry 'logoff --help'.\n", err ? err : "bad arguments");
		free(err);
		return LO_EXIT_USAGE;
	}
	a.log.debug = a.o.verbose;
	if (a.o.mode == LO_CLI_HELP) {
		usage(stdout);
		return LO_EXIT_OK;
	}
	if (a.o.mode == LO_CLI_VERSION) {
		printf("logoff (pam_logoff) %s\n", PACKAGE_VERSION);
		return LO_EXIT_OK;
	}
	if (a.o.server)
		return run_server(&a);
	if (a.o.mode == LO_CLI_CHECK_CONFIG)
		return cmd_check_config(&a);

	if (getpwuid_r(a.uid, &pw, pwbuf, sizeof(pwbuf), &pwr) == 0 && pwr)
		/* A name from NSS (LDAP, sssd) reaches syslog and the
		 * terminals of --warn: made safe once, here. */
		lo_text_safe(a.caller, sizeof(a.caller), pwr->pw_name);
	else
		snprintf(a.caller, sizeof(a.caller), "uid %u", (unsigned)a.uid);
	openlog("logoff", LOG_PID, LOG_AUTHPRIV);
	a.stderr_is_journal = stderr_is_journal();
	lo_nofile_raise();

	r = lo_config_load(a.o.config, lo_builtin_providers, &a.config, &err);
	if (r < 0) {
		fprintf(stderr, "logoff: %s\n", err ? err : strerror(-r));
		free(err);
		return LO_EXIT_USAGE;
	}
	/* Read-write when the registry is ours (root's, or a user's own in
	 * tests), read-only when it is root's and we are not. */
	r = lo_registry_open(a.config->registry, 0, &a.registry, &err);
	if (r == -EPERM && geteuid() != 0) {
		free(err);
		err = NULL;
		r = lo_registry_open(a.config->registry, LO_REGISTRY_READONLY, &a.registry, &err);
	}
	if (r < 0 && r != -ENOENT) {
		fprintf(stderr, "logoff: %s\n", err ? err : strerror(-r));
		free(err);
		lo_config_free(a.config);
		return LO_EXIT_USAGE;
	}
	free(err);

	ret = find_helper(&a);
	if (ret != LO_EXIT_OK)
		goto out;
	switch (a.o.mode) {
	case LO_CLI_LIST:
		ret = cmd_list(&a);
		break;
	case LO_CLI_LIMITS:
		ret = cmd_limits(&a);
		break;
	case LO_CLI_GC:
		if (!a.o.abandon) {
			ret = cmd_gc(&a);
		} else if (geteuid() != 0 || !a.registry || a.registry->readonly) {
			fprintf(stderr, "logoff: permission denied: --abandon needs root\n");
			audit(&a, LOG_WARNING, "denied: --gc --abandon %s %s", a.o.abandon,
			      a.o.session);
			ret = LO_EXIT_DENIED;
		} else {
			ret = resolve(&a, a.o.session, &rec);
			if (ret == LO_EXIT_OK)
				ret = cmd_abandon(&a, rec);
		}
		break;
	case LO_CLI_QUERY:
		ret = cmd_query(&a);
		break;
	case LO_CLI_DISCONNECT:
		ret = resolve(&a, a.o.session, &rec);
		if (ret == LO_EXIT_OK)
			ret = cmd_disconnect(&a, rec);
		break;
	case LO_CLI_STATUS:
		ret = resolve(&a, a.o.session, &rec);
		if (ret == LO_EXIT_OK)
			ret = cmd_status(&a, rec);
		break;
	default:
		if (a.o.user) {
			ret = cmd_user(&a);
			break;
		}
		ret = resolve(&a, a.o.session, &rec);
		if (ret == LO_EXIT_OK)
			ret = cmd_logoff(&a, rec);
		break;
	}
out:
	lo_record_free(rec);
	lo_registry_close(a.registry);
	lo_config_free(a.config);
	lo_proc_index_free(a.index);
	free(a.helper_checked);
	closelog();
	return ret;
}
