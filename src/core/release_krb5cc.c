/*
 * release_krb5cc.c - Kerberos credential caches (MIT libkrb5): which
 * cache names pam_logoff can destroy, and destroying one with the
 * privileges of the session's user. Built only with --with-krb5 (HAVE_KRB5).
 *
 * The name comes from KRB5CCNAME in the session's PAM environment, which
 * the user may be able to set (pam_env's user_readenv), so it is never
 * trusted: the cache is destroyed in a forked child that has dropped to
 * the user's uid and gid, where file permissions and keyring ownership
 * keep it from touching a cache that is not the user's. The child does
 * not exec: it loads libkrb5 (dlopen), calls it and reports its result by
 * exit status. It runs in the closer close_session forks from the login
 * manager, in logoff-helper (`logoff`, the sweep), or in a rollback inside
 * the login manager itself; dlopen and libkrb5 after fork are safe only as
 * long as no other thread of the application held a lock the child needs
 * (glibc's malloc is fork-safe): the child's deadline bounds the other
 * case.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <krb5.h>

#include "core/util.h"
#include "core/registry.h"
#include "core/release.h"
#include "core/spawn.h"

/* How long the child may take. Destroying a cache is local work (a file
 * or a few keys), but a FILE or DIR cache can sit on a hung network file
 * system; the helper's own deadline still applies on top. */
#define DESTROY_TIMEOUT_MS 10000
/* After SIGKILL: a child stuck in uninterruptible sleep is left, never
 * waited for without a bound. */
#define KILL_GRACE_MS 1000

/* Exit statuses of the child: the result of one destroy. */
enum {
	CHILD_DESTROYED = 0,
	CHILD_GONE = 1,		/* there was no such cache */
	CHILD_REFUSED = 2,	/* not a cache of this user */
	CHILD_FAILED = 3,	/* a libkrb5 error */
	CHILD_DROP_FAILED = 4,	/* could not become the user */
};

/* True when S is all decimal digits (and not empty). */
static bool all_digits(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int lo_krb5_ccache_check(const char *name, uid_t uid, bool *ret_shared, const char **ret_why)
{
	const char *sep, *residual;
	const char *why_dummy;
	bool shared_dummy;

	if (!ret_why)
		ret_why = &why_dummy;
	if (!ret_shared)
		ret_shared = &shared_dummy;
	*ret_shared = false;
	*ret_why = "a malformed cache name";
	if (!name || !*name || strlen(name) > LO_VALUE_MAX - 32 || strpbrk(name, "\n\r"))
		return -EINVAL;

	/* libkrb5's own parse (krb5_cc_resolve): the type is what precedes
	 * the first colon; no colon at all means FILE. */
	sep = strchr(name, ':');
	if (!sep) {
		*ret_why = "a FILE cache needs an absolute path";
		return name[0] == '/' ? 0 : -EINVAL;
	}
	residual = sep + 1;
	if (strncmp(name, "FILE:", 5) == 0) {
		*ret_why = "a FILE cache needs an absolute path";
		return residual[0] == '/' ? 0 : -EINVAL;
	}
	if (strncmp(name, "DIR:", 4) == 0) {
		/* DIR:dir is a collection (resolved to its primary cache),
		 * DIR::dir/tkt... one cache in it. */
		*ret_why = "a DIR cache needs an absolute path";
		if (residual[0] == ':')
			residual++;
		else
			/* The collection's primary cache is every session's of
			 * the user that uses the collection. */
			*ret_shared = true;
		return residual[0] == '/' ? 0 : -EINVAL;
	}
	if (strncmp(name, "KEYRING:", 8) == 0) {
		const char *anchor = residual, *coll, *sub;
		size_t alen, clen;

		coll = strchr(anchor, ':');
		if (!coll) {
			*ret_why = "a legacy KEYRING cache lives in the session keyring, which only "
				   "the session's processes reach";
			return -ENOTSUP;
		}
		alen = (size_t)(coll - anchor);
		coll++;
		sub = strchr(coll, ':');
		clen = sub ? (size_t)(sub - coll) : strlen(coll);
		if (alen == 10 && strncmp(anchor, "persistent", 10) == 0) {
			/* The collection is a uid; empty means the caller's,
			 * which in the child is the user's. */
			if (clen > 0) {
				char buf[16];
				unsigned long n;

				*ret_why = "a malformed persistent keyring uid";
				if (clen >= sizeof(buf) || !all_digits(coll, clen))
					return -EINVAL;
				memcpy(buf, coll, clen);
				buf[clen] = '\0';
				n = strtoul(buf, NULL, 10);
				if (n != (unsigned long)uid) {
					*ret_why = "the persistent keyring of another uid";
					return -EPERM;
				}
			}
		} else if (alen == 4 && strncmp(anchor, "user", 4) == 0) {
			*ret_why = "a KEYRING:user cache needs a collection name";
			if (clen == 0)
				return -EINVAL;
		} else {
			/* session, process, thread: keyrings of the session's
			 * processes, out of reach of logoff-helper when it runs
			 * from `logoff` or the sweep. */
			*ret_why = "only KEYRING:persistent and KEYRING:user caches can be reached "
				   "from outside the session";
			return -ENOTSUP;
		}
		/* A collection name resolves to its primary cache, which every
		 * session of the user shares: the keyrings are per uid. */
		*ret_shared = sub == NULL;
		return 0;
	}
	*ret_why = "only FILE, DIR and KEYRING caches are destroyed by pam_logoff";
	return -ENOTSUP;
}

int lo_krb5_ccache_value(uid_t uid, gid_t gid, const char *name, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%u:%u:%s", (unsigned)uid, (unsigned)gid, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int lo_krb5_ccache_parse(const char *value, uid_t *ret_uid, gid_t *ret_gid, const char **ret_name)
{
	const char *p = value, *colon;
	unsigned long ids[2];

	/* The uid and gid come first and are written by the provider, so a
	 * cache name (which has colons of its own) can never change them. */
	for (int i = 0; i < 2; i++) {
		char buf[16];

		colon = p ? strchr(p, ':') : NULL;
		if (!colon || (size_t)(colon - p) >= sizeof(buf) || !all_digits(p, (size_t)(colon - p)))
			return -EINVAL;
		memcpy(buf, p, (size_t)(colon - p));
		buf[colon - p] = '\0';
		errno = 0;
		ids[i] = strtoul(buf, NULL, 10);
		if (errno || ids[i] >= (unsigned long)UINT32_MAX)
			return -EINVAL;
		p = colon + 1;
	}
	if (!*p)
		return -EINVAL;
	*ret_uid = (uid_t)ids[0];
	*ret_gid = (gid_t)ids[1];
	*ret_name = p;
	return 0;
}

/* ------------------------------------------------------------ child */

/* One line for the parent, "STATUS message", then the same exit status:
 * the line still tells the result when the application reaps the child
 * first (a SIGCHLD handler, or SIGCHLD ignored, in a rollback inside the
 * login manager). */
static __attribute__((noreturn)) LO_ATTR_PRINTF(3, 4) void child_exit(int fd, int status,
								      const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int n;

	n = snprintf(msg, sizeof(msg), "%d ", status);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	lo_write_all(fd, msg, strlen(msg));
	_exit(status);
}

/* PATH, not followed, must be of TYPE (S_IFREG or S_IFDIR) and owned by
 * UID; its lstat in *ST. A missing PATH is no cache: CHILD_GONE. */
static void check_own(int fd, const char *path, uid_t uid, mode_t type, struct stat *st)
{
	if (lstat(path, st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			child_exit(fd, CHILD_GONE, "no such cache");
		child_exit(fd, errno == EACCES ? CHILD_REFUSED : CHILD_FAILED, "%s: %s", path,
			   strerror(errno));
	}
	if ((st->st_mode & S_IFMT) != type)
		child_exit(fd, CHILD_REFUSED, "%s is not a %s", path,
			   type == S_IFDIR ? "directory" : "regular file");
	if (st->st_uid != uid)
		child_exit(fd, CHILD_REFUSED, "%s is owned by uid %u", path, (unsigned)st->st_uid);
}

/*
 * A FILE cache, or one file of a DIR collection, must be the user's own
 * regular file with no other name: libkrb5 opens the name (following a
 * symlink), unlinks it and overwrites what it opened with zeros, which
 * through a symlink or a hard link would wipe another cache.
 */
static void check_file(int fd, const char *path, uid_t uid)
{
	struct stat st;

	check_own(fd, path, uid, S_IFREG, &st);
	if (st.st_nlink > 1)
		child_exit(fd, CHILD_REFUSED, "%s has %ju hard links", path, (uintmax_t)st.st_nlink);
}

/* The directory of a DIR collection: the user's own, not a symlink. A
 * missing one is not made again (resolving DIR:dir would create it). */
static void check_dir(int fd, const char *dir, uid_t uid)
{
	struct stat st;

	check_own(fd, dir, uid, S_IFDIR, &st);
}

/* The parent directory of PATH, for check_dir. */
static void check_parent(int fd, const char *path, uid_t uid)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		child_exit(fd, CHILD_REFUSED, "%s is not in a directory of its own", path);
	*slash = '\0';
	check_dir(fd, dir, uid);
}

static bool krb5_gone(krb5_error_code code)
{
	return code == KRB5_FCC_NOFILE || code == KRB5_CC_NOTFOUND || code == ENOENT;
}

static bool krb5_refused(krb5_error_code code)
{
	return code == KRB5_FCC_PERM || code == EACCES || code == EPERM ||
	       code == KRB5_KCC_INVALID_UID;
}

/*
 * libkrb5 is loaded here, in the child, when a cache is to be destroyed:
 * linked into pam_logoff.so it was mapped and relocated, with
 * libk5crypto, libcom_err, libkrb5support and libresolv, at every
 * pam_start of every login, for a provider most sessions never use
 * (docs/performance.md, B1). MIT's soname has been libkrb5.so.3 since
 * krb5 1.0.
 */
#define KRB5_SONAME "libkrb5.so.3"
static struct {
	krb5_error_code (*init_secure_context)(krb5_context *);
	const char *(*get_error_message)(krb5_context, krb5_error_code);
	krb5_error_code (*cc_resolve)(krb5_context, const char *, krb5_ccache *);
	const char *(*cc_get_name)(krb5_context, krb5_ccache);
	krb5_error_code (*cc_get_principal)(krb5_context, krb5_ccache, krb5_principal *);
	void (*free_principal)(krb5_context, krb5_principal);
	krb5_error_code (*cc_destroy)(krb5_context, krb5_ccache);
} k5;

/* Fill k5. Returns NULL, or dlerror's message. */
static const char *load_krb5(void)
{
	void *h = dlopen(KRB5_SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *e;

	if (!h)
		return (e = dlerror()) ? e : KRB5_SONAME ": cannot load";
#define K5_SYM(f)                                                    \
	if (!(*(void **)&k5.f = dlsym(h, "krb5_" #f)))                 \
		return (e = dlerror()) ? e : "krb5_" #f ": not found";
	K5_SYM(init_secure_context)
	K5_SYM(get_error_message)
	K5_SYM(cc_resolve)
	K5_SYM(cc_get_name)
	K5_SYM(cc_get_principal)
	K5_SYM(free_principal)
	K5_SYM(cc_destroy)
#undef K5_SYM
	return NULL;
}

/* What destroy_child is to destroy, and as whom. */
struct destroy_args {
	const char *user;	/* for initgroups; NULL: no supplementary groups */
	uid_t uid;
	gid_t gid;
	const char *name;
};

/*
 * The child, run by lo_spawn_run: signals reset, stdin /dev/null, stdout
 * the pipe to the parent, nothing else of the caller's open (the
 * registry lock, pidfds, the login manager's sockets), so a child that
 * hangs pins none of it. Never returns: child_exit says the result.
 */
static int destroy_child(void *arg)
{
	const struct destroy_args *da = arg;
	const char *user = da->user, *name = da->name;
	uid_t uid = da->uid;
	gid_t gid = da->gid;
	int fd = STDOUT_FILENO;
	krb5_context ctx = NULL;
	krb5_ccache cc = NULL;
	krb5_error_code code;
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	/* The pipe carries the one result line: nothing libkrb5 might
	 * print goes there (stdin is /dev/null, read-write). */
	if (dup2(STDIN_FILENO, STDERR_FILENO) < 0)
		_exit(CHILD_FAILED);

	/* Groups first, then gid, then uid: once the uid is gone the others
	 * can no longer be changed. Without root there is nothing to drop
	 * (a non-root application: it can only be the user itself), and the
	 * checks below refuse any other uid. */
	if (geteuid() == 0) {
		if (user ? initgroups(user, gid) < 0 : setgroups(0, NULL) < 0)
			child_exit(fd, CHILD_DROP_FAILED, "cannot set the groups of uid %u: %s",
				   (unsigned)uid, strerror(errno));
	}
	if (setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		child_exit(fd, CHILD_DROP_FAILED, "cannot become uid %u gid %u: %s", (unsigned)uid,
			   (unsigned)gid, strerror(errno));
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 || ru != uid ||
	    eu != uid || su != uid || rg != gid || eg != gid || sg != gid ||
	    (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)))
		child_exit(fd, CHILD_DROP_FAILED, "still privileged after dropping to uid %u",
			   (unsigned)uid);
	umask(077);
	if (chdir("/") < 0)
		child_exit(fd, CHILD_FAILED, "cannot chdir to /: %s", strerror(errno));

	if (name[0] == '/')
		check_file(fd, name, uid);
	else if (strncmp(name, "FILE:", 5) == 0)
		check_file(fd, name + 5, uid);
	else if (strncmp(name, "DIR::", 5) == 0)
		check_parent(fd, name + 5, uid);
	else if (strncmp(name, "DIR:", 4) == 0)
		check_dir(fd, name + 4, uid);

	/* A secure context reads no KRB5_CONFIG or other variable from the
	 * environment, which in the login manager is not ours to trust. */
	{
		const char *e = load_krb5();
		if (e)
			child_exit(fd, CHILD_FAILED, "cannot load libkrb5: %s", e);
	}
	code = k5.init_secure_context(&ctx);
	if (code) {
		const char *m = k5.get_error_message(NULL, code);
		child_exit(fd, CHILD_FAILED, "cannot initialize libkrb5: %s", m);
	}
	code = k5.cc_resolve(ctx, name, &cc);
	if (code == 0 && strncmp(name, "DIR:", 4) == 0) {
		/* The cache file itself, now that the collection named its
		 * primary: ":/dir/tkt..." */
		const char *sub = k5.cc_get_name(ctx, cc);

		if (sub && sub[0] == ':') {
			check_parent(fd, sub + 1, uid);
			check_file(fd, sub + 1, uid);
		}
	}
	if (code == 0 && strncmp(name, "KEYRING:", 8) == 0) {
		/* Resolving a keyring name makes an empty cache for it, and
		 * destroying that succeeds: a cache without a principal was
		 * not there. */
		krb5_principal princ = NULL;
		krb5_error_code c = k5.cc_get_principal(ctx, cc, &princ);

		k5.free_principal(ctx, princ);
		if (krb5_gone(c)) {
			k5.cc_destroy(ctx, cc);
			child_exit(fd, CHILD_GONE, "no such cache");
		}
	}
	if (code == 0)
		code = k5.cc_destroy(ctx, cc);	/* frees cc, whatever the result */
	if (code == 0)
		child_exit(fd, CHILD_DESTROYED, "destroyed");
	{
		const char *m = k5.get_error_message(ctx, code);
		int status = krb5_gone(code) ? CHILD_GONE : krb5_refused(code) ? CHILD_REFUSED
										: CHILD_FAILED;
		child_exit(fd, status, "%s", m ? m : "unknown libkrb5 error");
	}
}

/* --------------------------------------------------------------- parent */

/* The child's one line, "STATUS message", into the buffer CTX
 * (struct result_line). */
struct result_line {
	char buf[256];
	bool got;
};

static void result_line(void *ctx, const char *line)
{
	struct result_line *rl = ctx;

	if (!rl->got)
		snprintf(rl->buf, sizeof(rl->buf), "%s", line);
	rl->got = true;
}

int lo_release_krb5_ccache(const char *value, const char *user, const struct lo_log *log,
			   char *msg, size_t msg_size)
{
	struct result_line rl = { .got = false };
	struct destroy_args da = { .user = user };
	/* The child stays in the caller's process group, so the helper's
	 * own deadline reaches it too. */
	struct lo_spawn sp = { .cwd = "/", .capture = true, .fn = destroy_child, .arg = &da,
			       .keep_group = true };
	const char *name, *why, *text, *buf = rl.buf;
	uid_t uid;
	gid_t gid;
	int status, code, r;

	if (msg && msg_size)
		msg[0] = '\0';
	if (lo_krb5_ccache_parse(value, &uid, &gid, &name) < 0) {
		if (msg)
			snprintf(msg, msg_size, "not a UID:GID:NAME value");
		return -EINVAL;
	}
	r = lo_krb5_ccache_check(name, uid, NULL, &why);
	if (r < 0) {
		if (msg)
			snprintf(msg, msg_size, "%s", why);
		return r == -EPERM ? -EACCES : r;
	}
	da.uid = uid;
	da.gid = gid;
	da.name = name;
	/* The line the child wrote before it exited (or was killed) reaches
	 * result_line whatever becomes of the child: the application may
	 * reap it first, and one left in uninterruptible sleep is not waited
	 * for. */
	r = lo_spawn_run(&sp, lo_now_ms() + DESTROY_TIMEOUT_MS, KILL_GRACE_MS, result_line, &rl,
			 &status);
	if (r < 0 && r != -ETIMEDOUT)
		return r;
	/* "STATUS message" */
	code = buf[0] >= '0' && buf[0] <= '9' && buf[1] == ' ' ? buf[0] - '0' : -1;
	text = code >= 0 ? buf + 2 : buf;
	if (msg)
		snprintf(msg, msg_size, "%s", r == -ETIMEDOUT ? "timed out" : text);
	if (r < 0) {
		lo_log(log, LOG_ERR, "krb5 ccache %s: not destroyed within %d s; killed", name,
		       DESTROY_TIMEOUT_MS / 1000);
		return r;
	}
	if (status != -1)
		code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	else if (code < 0) {
		/* Reaped by the application before it said anything. */
		lo_log(log, LOG_ERR, "krb5 ccache %s: the child's result was lost", name);
		return -ECHILD;
	}
	switch (code) {
	case CHILD_DESTROYED:
		lo_log(log, LOG_DEBUG, "krb5 ccache %s destroyed as uid %u", name, (unsigned)uid);
		return 0;
	case CHILD_GONE:
		lo_log(log, LOG_DEBUG, "krb5 ccache %s was already gone", name);
		return 1;
	case CHILD_REFUSED:
		lo_log(log, LOG_ERR, "krb5 ccache %s: refused, not a cache of uid %u: %s", name,
		       (unsigned)uid, text);
		return -EACCES;
	default:
		lo_log(log, LOG_ERR, "krb5 ccache %s: cannot destroy it: %s", name,
		       text[0] ? text : "the child died");
		return code == CHILD_DROP_FAILED ? -EPERM : -EIO;
	}
}
