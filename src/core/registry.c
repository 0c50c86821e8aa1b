/*
 * registry.c - session records under <registry>/sessions/<id>.
 *
 * A record is a small text file, one fact a line, tokens separated by one
 * space and percent-encoded, ending in "end" so a truncated record is
 * recognised. It is always written to a temp file in the same directory,
 * fsync'd and renamed, under an flock on <registry>/lock (0600), and read
 * relative to the directory fd with O_NOFOLLOW.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "core/registry.h"
#include "core/logoff.h"
#include "core/proc.h"


static const char *const session_states[] = { "opening", "active", "closing", "failed",
					      "timed-out" };
static const char *const provider_states[] = { "pending", "logged-on", "logging-off",
					       "logged-off", "failed", "timed-out", "abandoned" };
static const char *const kind_names[] = { NULL, "process", "path", "keyring", "krb5-ccache",
					  "mount" };

const char *lo_session_state_name(int state)
{
	if (state < 0 || state > LO_SESSION_TIMED_OUT)
		return "unknown";
	return session_states[state];
}

const char *lo_subobject_kind_name(int kind)
{
	if (kind <= 0 || kind > LOGOFF_SUBOBJECT_MOUNT)
		return "unknown";
	return kind_names[kind];
}

const char *lo_provider_state_name(int state)
{
	if (state < 0 || state > LO_PROVIDER_ABANDONED)
		return "unknown";
	return provider_states[state];
}

static int lookup(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

bool lo_id_valid(const char *id)
{
	size_t len = id ? strlen(id) : 0;

	if (len == 0 || len > LO_ID_MAX || id[0] == '-' || id[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '_' && id[i] != '-')
			return false;
	return true;
}

/* ------------------------------------------------------------ open */

/* Open NAME below DIRFD as a directory, creating it with CREATE, and check
 * its owner (the caller; with READONLY also root) and that only the owner
 * can write it. */
static int open_dir(int dirfd, const char *name, const char *shown, int flags,
		    char **ret_error)
{
	bool create = flags & LO_REGISTRY_CREATE, readonly = flags & LO_REGISTRY_READONLY;
	struct stat st;
	int fd;

	bool made = false;

	if (create && mkdirat(dirfd, name, 0755) == 0)
		made = true;
	else if (create && errno != EEXIST) {
		*ret_error = lo_strdupf("%s: cannot create the registry directory: %m", shown);
		return -errno;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		struct stat lst;
		/* O_DIRECTORY|O_NOFOLLOW on a symlink to a directory says
		 * ENOTDIR: report what it is. */
		if (e == ENOTDIR && fstatat(dirfd, name, &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(lst.st_mode))
			e = ELOOP;
		if (e == ELOOP || e == ENOTDIR)
			*ret_error = lo_strdupf("%s: refusing a registry directory that is a symlink "
						"or not a directory", shown);
		else
			*ret_error = lo_strdupf("%s: %s", shown, strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		*ret_error = lo_strdupf("%s: %s", shown, strerror(e));
		return -e;
	}
	/* Readable by everyone whatever the application's umask: what we
	 * made is 0755; what an admin made is left as it is. */
	if (made && fchmod(fd, 0755) == 0)
		st.st_mode = (st.st_mode & ~07777) | 0755;
	if ((st.st_uid != geteuid() && !(readonly && st.st_uid == 0)) || (st.st_mode & 022)) {
		close(fd);
		*ret_error = lo_strdupf("%s: refusing a registry directory not owned by uid %u%s or "
					"writable by group or others (mode %04o)", shown,
					(unsigned)geteuid(), readonly ? " or root" : "",
					(unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return fd;
}

/* open_dir of the subdirectory NAME of REG's directory, named
 * "<registry>/NAME" in a message. Returns its fd or a -errno. */
static int open_subdir(const struct lo_registry *reg, const char *name, int flags,
		       char **ret_error)
{
	char *shown = lo_strdupf("%s/%s", reg->path, name);
	int r;

	if (!shown)
		return -ENOMEM;
	r = open_dir(reg->dirfd, name, shown, flags, ret_error);
	free(shown);
	return r;
}

int lo_registry_open(const char *path, int flags, struct lo_registry **ret_registry,
		     char **ret_error)
{
	struct lo_registry *reg;
	struct stat st;
	bool top_made = false;
	int r;

	if (flags & LO_REGISTRY_READONLY)
		flags &= ~LO_REGISTRY_CREATE;

	*ret_registry = NULL;
	*ret_error = NULL;
	if (!path || path[0] != '/') {
		*ret_error = lo_strdupf("registry path '%s' is not absolute", path ? path : "");
		return -EINVAL;
	}
	reg = calloc(1, sizeof(*reg));
	if (!reg || !(reg->path = strdup(path))) {
		free(reg);
		return -ENOMEM;
	}
	reg->dirfd = reg->sessfd = reg->usersfd = reg->namesfd = reg->lockfd = -1;
	reg->readonly = flags & LO_REGISTRY_READONLY;
	if (flags & LO_REGISTRY_CREATE) {
		/* Only the last component is made; its parent (/run) must exist. */
		if (mkdir(path, 0755) == 0)
			top_made = true;
		else if (errno != EEXIST) {
			r = -errno;
			*ret_error = lo_strdupf("%s: cannot create the registry: %m", path);
			goto fail;
		}
	}
	r = open_dir(AT_FDCWD, path, path, flags & ~LO_REGISTRY_CREATE, ret_error);
	if (r < 0)
		goto fail;
	reg->dirfd = r;
	if (top_made)
		fchmod(reg->dirfd, 0755);
	if (fstat(reg->dirfd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	reg->owner = st.st_uid;
	/* Everything below must belong to the registry's owner. */
	if (st.st_uid != geteuid())
		flags = LO_REGISTRY_READONLY;
	r = open_subdir(reg, "sessions", flags, ret_error);
	if (r < 0)
		goto fail;
	reg->sessfd = r;
	r = open_subdir(reg, "users", flags, ret_error);
	if (r < 0)
		goto fail;
	reg->usersfd = r;
	r = open_subdir(reg, "names", flags, ret_error);
	if (r == -ENOENT && !(flags & LO_REGISTRY_CREATE)) {
		/* Written before names existed, or read-only: names resolve
		 * by a scan. */
		free(*ret_error);
		*ret_error = NULL;
		r = -1;
	} else if (r < 0) {
		goto fail;
	}
	reg->namesfd = r;
	if (!(flags & LO_REGISTRY_READONLY)) {
		/* The lock is a file only the owner can open (0600): every
		 * directory here is readable, and flock needs no more than a
		 * read-only fd, so locking one of them would let any user
		 * stall every login. */
		r = openat(reg->dirfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		/* On a read-only file system the records can still be read
		 * (logoff --list, --status) under the lock: flock needs only
		 * a read-only fd, and every write fails later with EROFS. */
		if (r < 0 && errno == EROFS)
			r = openat(reg->dirfd, "lock", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (r < 0 || fstat(r, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
		    (st.st_mode & 077)) {
			int e = r < 0 ? errno : EPERM;
			if (r >= 0)
				close(r);
			*ret_error = lo_strdupf("%s/lock: %s", path, e == EPERM ?
						"refusing a lock file not owned by the registry's "
						"owner or accessible by others" : strerror(e));
			r = -e;
			goto fail;
		}
		reg->lockfd = r;
	} else {
		reg->readonly = true;
	}
	*ret_registry = reg;
	return 0;
fail:
	lo_registry_close(reg);
	return r;
}

void lo_registry_close(struct lo_registry *registry)
{
	if (!registry)
		return;
	if (registry->dirfd >= 0)
		close(registry->dirfd);
	if (registry->sessfd >= 0)
		close(registry->sessfd);
	if (registry->usersfd >= 0)
		close(registry->usersfd);
	if (registry->namesfd >= 0)
		close(registry->namesfd);
	if (registry->lockfd >= 0)
		close(registry->lockfd);
	free(registry->path);
	free(registry);
}

int lo_registry_lock(struct lo_registry *registry)
{
	/* A reader that cannot write never locks: an flock a user holds on
	 * root's registry would stall every login. Readers need no lock,
	 * since every write is a rename. */
	if (registry->readonly || registry->lockfd < 0)
		return -EROFS;
	if (registry->lockdepth++ > 0)
		return 0;
	while (flock(registry->lockfd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			registry->lockdepth--;
			return -errno;
		}
	}
	return 0;
}

void lo_registry_unlock(struct lo_registry *registry)
{
	if (registry->lockdepth > 0 && --registry->lockdepth == 0)
		flock(registry->lockfd, LOCK_UN);
}

/* ----------------------------------------------------------- encode */

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		char *p;
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_printf(struct buf *b, const char *fmt, ...) LO_ATTR_PRINTF(2, 3);
static void buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		buf_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* One token: " " then the value percent-encoded; "" is written as "-". */
static void buf_token(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	buf_add(b, " ", 1);
	if (!s || !*s) {
		buf_add(b, "-", 1);
		return;
	}
	if (strcmp(s, "-") == 0) {
		buf_add(b, "%2D", 3);
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '%') {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			buf_add(b, e, 3);
		} else {
			buf_add(b, (const char *)p, 1);
		}
	}
}

char *lo_record_format(const struct lo_record *r)
{
	struct buf b = { 0 };

	buf_printf(&b, "logoff-record %d\n", LO_RECORD_FORMAT);
	buf_add(&b, "id", 2), buf_token(&b, r->id), buf_add(&b, "\n", 1);
	buf_add(&b, "user", 4), buf_token(&b, r->user), buf_add(&b, "\n", 1);
	buf_printf(&b, "uid %u\ngid %u\n", (unsigned)r->uid, (unsigned)r->gid);
	buf_add(&b, "home", 4), buf_token(&b, r->home), buf_add(&b, "\n", 1);
	buf_add(&b, "service", 7), buf_token(&b, r->service), buf_add(&b, "\n", 1);
	buf_add(&b, "tty", 3), buf_token(&b, r->tty), buf_add(&b, "\n", 1);
	buf_add(&b, "rhost", 5), buf_token(&b, r->rhost), buf_add(&b, "\n", 1);
	if (r->name && *r->name)
		buf_add(&b, "name", 4), buf_token(&b, r->name), buf_add(&b, "\n", 1);
	if (lo_logind_id_valid(r->logind))
		buf_add(&b, "logind", 6), buf_token(&b, r->logind), buf_add(&b, "\n", 1);
	buf_printf(&b, "leader %d %llu\naudit %d\ncreated %lld\nstate %s\n", (int)r->leader_pid,
		   r->leader_start, r->audit ? 1 : 0, (long long)r->created,
		   lo_session_state_name(r->state));
	if (r->closer_pid > 0)
		buf_printf(&b, "closer %d %llu\n", (int)r->closer_pid, r->closer_start);
	for (size_t i = 0; i < r->n_status; i++) {
		const struct lo_status *s = &r->status[i];
		buf_add(&b, "provider", 8);
		buf_token(&b, s->name);
		buf_printf(&b, " %s %d %u %lld", lo_provider_state_name(s->state), s->result,
			   s->faults, (long long)s->since);
		buf_token(&b, s->message);
		buf_add(&b, "\n", 1);
		/* A line of its own, only when there is something to count:
		 * the provider line keeps its shape for older readers. */
		if (s->retries) {
			buf_add(&b, "retries", 7);
			buf_token(&b, s->name);
			buf_printf(&b, " %u\n", s->retries);
		}
	}
	for (size_t i = 0; i < r->n_sub; i++) {
		const struct lo_subobject *s = &r->sub[i];
		buf_add(&b, "subobject", 9);
		buf_token(&b, s->provider);
		buf_printf(&b, " %s", kind_names[s->kind]);
		buf_token(&b, s->value);
		buf_add(&b, "\n", 1);
	}
	for (size_t i = 0; i < r->n_data; i++) {
		const struct lo_data *d = &r->data[i];
		buf_add(&b, "data", 4);
		buf_token(&b, d->provider);
		buf_token(&b, d->key);
		buf_token(&b, d->value);
		buf_add(&b, "\n", 1);
	}
	buf_add(&b, "end\n", 4);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/* ----------------------------------------------------------- decode */

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

/* Decode token S in place; -EBADMSG on a bad escape or a NUL. */
static int token_decode(char *s)
{
	char *w = s;

	if (strcmp(s, "-") == 0) {
		*s = '\0';
		return 0;
	}
	for (char *p = s; *p; p++) {
		if (*p == '%') {
			int h = hexval(p[1]), l = h < 0 ? -1 : hexval(p[2]);
			if (h < 0 || l < 0 || (h == 0 && l == 0))
				return -EBADMSG;
			*w++ = (char)(h << 4 | l);
			p += 2;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return 0;
}

/* Split LINE into at most MAX space-separated tokens. */
static size_t split(char *line, char **tok, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (n == max)
			return max + 1;
		tok[n++] = t;
	}
	return n;
}

static int parse_ull(const char *s, unsigned long long max, unsigned long long *ret)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EBADMSG;
	errno = 0;
	*ret = strtoull(s, &end, 10);
	if (errno || *end || *ret > max)
		return -EBADMSG;
	return 0;
}

static int parse_ll(const char *s, long long *ret)
{
	char *end;

	errno = 0;
	*ret = strtoll(s, &end, 10);
	if (errno || *end || end == s)
		return -EBADMSG;
	return 0;
}

static int dup_field(char **field, char *tok)
{
	if (*field)
		return -EBADMSG;	/* a fact given twice */
	if (token_decode(tok) < 0)
		return -EBADMSG;
	*field = strdup(tok);
	return *field ? 0 : -ENOMEM;
}

/* What record_parse has read of a record after its header line. */
struct parse_ctx {
	struct lo_record *r;
	bool ended;	/* the "end" line */
	bool have_ids;	/* the "uid" line */
};

/* The parsers of record_keys: TOK holds the line's tokens, the key first
 * and as many as the key's entry says; OFF is the entry's field offset.
 * Each returns 0, -EBADMSG for a line it refuses or -ENOMEM. */

static int key_end(struct parse_ctx *c, char **tok, size_t off)
{
	c->ended = true;
	return 0;
}

static int key_id(struct parse_ctx *c, char **tok, size_t off)
{
	if (c->r->id[0] || token_decode(tok[1]) < 0 || !lo_id_valid(tok[1]))
		return -EBADMSG;
	strcpy(c->r->id, tok[1]);
	return 0;
}

/* user, home, service, tty, rhost: the string at OFF, given once. */
static int key_fact(struct parse_ctx *c, char **tok, size_t off)
{
	return dup_field((char **)((char *)c->r + off), tok[1]);
}

static int key_name(struct parse_ctx *c, char **tok, size_t off)
{
	if (c->r->name || token_decode(tok[1]) < 0 || !lo_session_name_valid(tok[1]))
		return -EBADMSG;
	c->r->name = strdup(tok[1]);
	return c->r->name ? 0 : -ENOMEM;
}

static int key_logind(struct parse_ctx *c, char **tok, size_t off)
{
	if (c->r->logind || token_decode(tok[1]) < 0 || !lo_logind_id_valid(tok[1]))
		return -EBADMSG;
	c->r->logind = strdup(tok[1]);
	return c->r->logind ? 0 : -ENOMEM;
}

static int key_closer(struct parse_ctx *c, char **tok, size_t off)
{
	unsigned long long u;

	if (parse_ull(tok[1], INT_MAX, &u) < 0 || u == 0 ||
	    parse_ull(tok[2], ULLONG_MAX, &c->r->closer_start) < 0)
		return -EBADMSG;
	c->r->closer_pid = (pid_t)u;
	return 0;
}

/* uid, gid: an id below 2^32 - 1 (that is "no id") in the field at OFF;
 * the uid line must be given. uid_t and gid_t are both unsigned int. */
_Static_assert(sizeof(uid_t) == sizeof(gid_t), "uid_t and gid_t differ");
static int key_ugid(struct parse_ctx *c, char **tok, size_t off)
{
	unsigned long long u;

	if (parse_ull(tok[1], UINT32_MAX - 1, &u) < 0)
		return -EBADMSG;
	*(uid_t *)((char *)c->r + off) = (uid_t)u;
	if (off == offsetof(struct lo_record, uid))
		c->have_ids = true;
	return 0;
}

static int key_leader(struct parse_ctx *c, char **tok, size_t off)
{
	unsigned long long u;

	if (parse_ull(tok[1], INT_MAX, &u) < 0)
		return -EBADMSG;
	c->r->leader_pid = (pid_t)u;
	return parse_ull(tok[2], ULLONG_MAX, &c->r->leader_start);
}

static int key_audit(struct parse_ctx *c, char **tok, size_t off)
{
	unsigned long long u;

	if (parse_ull(tok[1], 1, &u) < 0)
		return -EBADMSG;
	c->r->audit = u == 1;
	return 0;
}

static int key_created(struct parse_ctx *c, char **tok, size_t off)
{
	long long ll;

	if (parse_ll(tok[1], &ll) < 0)
		return -EBADMSG;
	c->r->created = (time_t)ll;
	return 0;
}

static int key_state(struct parse_ctx *c, char **tok, size_t off)
{
	int s = lookup(session_states, 5, tok[1]);

	if (s < 0)
		return -EBADMSG;
	c->r->state = s;
	return 0;
}

/* provider NAME STATE RESULT FAULTS SINCE MESSAGE */
static int key_provider(struct parse_ctx *c, char **tok, size_t off)
{
	struct lo_record *r = c->r;
	struct lo_status *s, *ns;
	int st = lookup(provider_states, 7, tok[2]);
	unsigned long long u;
	long long ll;

	if (st < 0 || token_decode(tok[1]) < 0 || token_decode(tok[6]) < 0 ||
	    strlen(tok[6]) >= sizeof(s->message) || !*tok[1])
		return -EBADMSG;
	ns = realloc(r->status, (r->n_status + 1) * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	r->status = ns;
	s = &ns[r->n_status];
	memset(s, 0, sizeof(*s));
	if (parse_ll(tok[3], &ll) < 0 || ll < -4096 || ll > 0 ||
	    parse_ull(tok[4], UINT32_MAX, &u) < 0)
		return -EBADMSG;
	s->result = (int)ll;
	s->faults = (unsigned)u;
	if (parse_ll(tok[5], &ll) < 0)
		return -EBADMSG;
	s->since = (time_t)ll;
	s->state = st;
	strcpy(s->message, tok[6]);
	s->name = strdup(tok[1]);
	if (!s->name)
		return -ENOMEM;
	r->n_status++;
	return 0;
}

/* retries NAME N: follows its provider's line; given once, never 0. */
static int key_retries(struct parse_ctx *c, char **tok, size_t off)
{
	struct lo_status *s;
	unsigned long long u;

	if (token_decode(tok[1]) < 0 || !(s = lo_record_status(c->r, tok[1])) || s->retries ||
	    parse_ull(tok[2], 1000000, &u) < 0 || u == 0)
		return -EBADMSG;
	s->retries = (unsigned)u;
	return 0;
}

static int key_data(struct parse_ctx *c, char **tok, size_t off)
{
	int res;

	if (token_decode(tok[1]) < 0 || token_decode(tok[2]) < 0 || token_decode(tok[3]) < 0 ||
	    !*tok[1] || lo_record_get_data(c->r, tok[1], tok[2]))
		return -EBADMSG;
	res = lo_record_set_data(c->r, tok[1], tok[2], tok[3]);
	if (res < 0 && res != -ENOMEM)
		return -EBADMSG;
	return res < 0 ? res : 0;
}

static int key_subobject(struct parse_ctx *c, char **tok, size_t off)
{
	int kind = lookup(kind_names, 6, tok[2]), res;

	if (kind <= 0 || token_decode(tok[1]) < 0 || token_decode(tok[3]) < 0 || !*tok[3])
		return -EBADMSG;
	res = lo_record_add_sub(c->r, tok[1], kind, tok[3]);
	return res < 0 ? res : 0;
}

/* The lines of a record after its header: KEY with NTOK tokens (the key
 * included), read by PARSE; OFF is the field of a shared parser. A line
 * whose key is not here, or that has another number of tokens, is
 * malformed. */
static const struct record_key {
	const char *key;
	size_t ntok;
	int (*parse)(struct parse_ctx *c, char **tok, size_t off);
	size_t off;
} record_keys[] = {
	{ "end", 1, key_end, 0 },
	{ "id", 2, key_id, 0 },
	{ "user", 2, key_fact, offsetof(struct lo_record, user) },
	{ "home", 2, key_fact, offsetof(struct lo_record, home) },
	{ "service", 2, key_fact, offsetof(struct lo_record, service) },
	{ "tty", 2, key_fact, offsetof(struct lo_record, tty) },
	{ "rhost", 2, key_fact, offsetof(struct lo_record, rhost) },
	{ "name", 2, key_name, 0 },
	{ "logind", 2, key_logind, 0 },
	{ "closer", 3, key_closer, 0 },
	{ "uid", 2, key_ugid, offsetof(struct lo_record, uid) },
	{ "gid", 2, key_ugid, offsetof(struct lo_record, gid) },
	{ "leader", 3, key_leader, 0 },
	{ "audit", 2, key_audit, 0 },
	{ "created", 2, key_created, 0 },
	{ "state", 2, key_state, 0 },
	{ "provider", 7, key_provider, 0 },
	{ "retries", 3, key_retries, 0 },
	{ "data", 4, key_data, 0 },
	{ "subobject", 4, key_subobject, 0 },
};

/* The first line: "logoff-record FORMAT". */
static int record_header(char **tok, size_t n, const char **ret_why)
{
	unsigned long long u;

	if (n != 2 || strcmp(tok[0], "logoff-record") != 0) {
		*ret_why = "not a session record";
		return -EBADMSG;
	}
	if (parse_ull(tok[1], INT_MAX, &u) < 0)
		return -EBADMSG;
	if (u != LO_RECORD_FORMAT) {
		*ret_why = "record format version not supported";
		return -EPROTO;
	}
	return 0;
}

static int record_line(struct parse_ctx *c, char **tok, size_t n)
{
	for (size_t i = 0; i < sizeof(record_keys) / sizeof(record_keys[0]); i++)
		if (record_keys[i].ntok == n && strcmp(record_keys[i].key, tok[0]) == 0)
			return record_keys[i].parse(c, tok, record_keys[i].off);
	return -EBADMSG;
}

/* After the last line: the facts every record has, and "" (not NULL)
 * for the ones that were "-" or not given. */
static int record_complete(struct parse_ctx *c, bool header, const char **ret_why)
{
	struct lo_record *r = c->r;
	char **facts[] = { &r->home, &r->service, &r->tty, &r->rhost, &r->logind };

	if (!header || !c->ended || !r->id[0] || !r->user || !c->have_ids) {
		*ret_why = "record is truncated or incomplete";
		return -EBADMSG;
	}
	for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++)
		if (!*facts[i] && !(*facts[i] = strdup("")))
			return -ENOMEM;
	if (!r->name && !(r->name = strdup(r->id)))
		return -ENOMEM;
	return 0;
}

static int record_parse(char *text, struct lo_record **ret, const char **ret_why)
{
	struct parse_ctx c = { .r = calloc(1, sizeof(*c.r)) };
	bool header = false;
	char *save = NULL;
	int res = 0;

	if (!c.r)
		return -ENOMEM;
	*ret_why = "malformed line";
	for (char *line = strtok_r(text, "\n", &save); line && res == 0;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tok[8];
		size_t n = split(line, tok, 7);

		if (c.ended || n == 0 || n > 7)
			res = -EBADMSG;
		else if (header)
			res = record_line(&c, tok, n);
		else
			res = record_header(tok, n, ret_why);
		header = true;	/* the loop ends at the first line refused */
	}
	if (res == 0)
		res = record_complete(&c, header, ret_why);
	if (res < 0) {
		lo_record_free(c.r);
		return res;
	}
	*ret = c.r;
	return 0;
}

int lo_record_parse(const char *data, size_t len, struct lo_record **ret_record,
		    const char **ret_why)
{
	char *text;
	int r;

	*ret_record = NULL;
	*ret_why = NULL;
	if (len > LO_RECORD_MAX_BYTES) {
		*ret_why = "record too large";
		return -EBADMSG;
	}
	if (memchr(data, '\0', len)) {
		*ret_why = "record contains a NUL byte";
		return -EBADMSG;
	}
	/* record_parse splits the text in place. */
	text = malloc(len + 1);
	if (!text)
		return -ENOMEM;
	memcpy(text, data, len);
	text[len] = '\0';
	r = record_parse(text, ret_record, ret_why);
	free(text);
	return r;
}

/* ------------------------------------------------------------- I/O */

static int write_temp(struct lo_registry *reg, const struct lo_record *record, size_t max_bytes,
		      char *tmpname, size_t size)
{
	char *text;
	int fd, r;

	if (!lo_id_valid(record->id))
		return -EINVAL;
	text = lo_record_format(record);
	if (!text)
		return -ENOMEM;
	/* A record lo_record_read would refuse is never written. */
	if (strlen(text) > max_bytes) {
		free(text);
		return -E2BIG;
	}
	snprintf(tmpname, size, ".tmp.%s.%d", record->id, (int)getpid());
	fd = openat(reg->sessfd, tmpname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		    0644);
	if (fd < 0) {
		free(text);
		return -errno;
	}
	r = fchmod(fd, 0644) < 0 ? -errno : 0;	/* whatever the umask */
	if (r == 0)
		r = lo_write_all(fd, text, strlen(text));
	/* fsync before rename: after a crash the name points at a whole
	 * record or the old one, never at an empty file. */
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	free(text);
	if (r < 0)
		unlinkat(reg->sessfd, tmpname, 0);
	return r;
}

static int index_add(struct lo_registry *reg, const struct lo_record *record)
{
	char uid[16];
	int ufd, fd;

	snprintf(uid, sizeof(uid), "%u", (unsigned)record->uid);
	if (mkdirat(reg->usersfd, uid, 0755) < 0 && errno != EEXIST)
		return -errno;
	ufd = openat(reg->usersfd, uid, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ufd < 0)
		return -errno;
	fchmod(ufd, 0755);
	fd = openat(ufd, record->id, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		close(ufd);
		return -e;
	}
	fchmod(fd, 0644);
	close(fd);
	close(ufd);
	return 0;
}

static void index_remove(struct lo_registry *reg, uid_t uid, const char *id)
{
	char name[16];
	int ufd;

	snprintf(name, sizeof(name), "%u", (unsigned)uid);
	ufd = openat(reg->usersfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ufd < 0)
		return;
	unlinkat(ufd, id, 0);
	close(ufd);
	/* Fails with ENOTEMPTY while the user has other sessions: fine. */
	unlinkat(reg->usersfd, name, AT_REMOVEDIR);
}

/* ------------------------------------------------------------ names */

bool lo_session_name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > LO_NAME_MAX || name[0] == '.' || name[0] == '/' || name[0] == '-' ||
	    name[len - 1] == '/' || strstr(name, "..") || strstr(name, "//"))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.:/-", name[i]))
			return false;
	return true;
}

bool lo_logind_id_valid(const char *id)
{
	size_t len = id ? strlen(id) : 0;

	if (len == 0 || len > LO_LOGIND_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(id[i] >= '0' && id[i] <= '9') && !(id[i] >= 'a' && id[i] <= 'z') &&
		    !(id[i] >= 'A' && id[i] <= 'Z'))
			return false;
	return true;
}

/* The name a tty gives a session: "/dev/pts/3" -> "pts/3" when that is a
 * character device, an X display (":0") as it is; "" otherwise (sshd's
 * "ssh", cron's "cron"). */
static void tty_name(const char *tty, char *buf, size_t size)
{
	char dev[PATH_MAX];
	struct stat st;
	const char *t = tty;

	buf[0] = '\0';
	if (!t || !*t)
		return;
	if (strncmp(t, "/dev/", 5) == 0)
		t += 5;
	if (!lo_session_name_valid(t) || strlen(t) >= size)
		return;
	if (t[0] != ':') {
		snprintf(dev, sizeof(dev), "/dev/%s", t);
		if (stat(dev, &st) < 0 || !S_ISCHR(st.st_mode))
			return;
	}
	strcpy(buf, t);
}

/* "<service>-<id>", the service reduced to [A-Za-z0-9_.-]. */
static void service_name(const char *service, const char *id, char *buf, size_t size)
{
	char svc[LO_NAME_MAX - LO_ID_MAX];
	size_t n = 0;

	for (const char *p = service ? service : ""; *p && n < sizeof(svc) - 1; p++) {
		bool keep = isalnum((unsigned char)*p) || *p == '_' || ((*p == '-' || *p == '.') && n > 0);
		svc[n] = keep ? *p : '_';
		n++;
	}
	svc[n] = '\0';
	snprintf(buf, size, "%s-%s", n ? svc : "session", id);
}

/* names/ file of a valid NAME: '/' becomes "%2F" (names have no '%'). */
static void name_file(const char *name, char *buf, size_t size)
{
	size_t n = 0;

	for (const char *p = name; *p && n + 4 < size; p++) {
		if (*p == '/') {
			memcpy(buf + n, "%2F", 3);
			n += 3;
		} else {
			buf[n++] = *p;
		}
	}
	buf[n] = '\0';
}

/* The id names/FILE points at, into ID. */
static int name_read(struct lo_registry *reg, const char *file, char *id)
{
	char text[LO_ID_MAX + 2];
	ssize_t n;
	int fd = openat(reg->namesfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != reg->owner) {
		close(fd);
		return -EPERM;
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -EBADMSG;
	text[n] = '\0';
	text[strcspn(text, "\n")] = '\0';
	if (!lo_id_valid(text))
		return -EBADMSG;
	strcpy(id, text);
	return 0;
}

/* Point names/FILE at ID: a temp file renamed over it. */
static int name_write(struct lo_registry *reg, const char *file, const char *id, bool replace)
{
	char tmp[64];
	int fd, r;

	snprintf(tmp, sizeof(tmp), ".tmp.%s.%d", id, (int)getpid());
	fd = openat(reg->namesfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	/* The errno, not EIO: a full registry says "No space left". */
	r = fchmod(fd, 0644) < 0 ? -errno : 0;
	if (r == 0) {
		char line[LO_ID_MAX + 2];
		int n = snprintf(line, sizeof(line), "%s\n", id);
		r = lo_write_all(fd, line, (size_t)n);
	}
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat2(reg->namesfd, tmp, reg->namesfd, file,
				replace ? 0 : RENAME_NOREPLACE) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(reg->namesfd, tmp, 0);
	return r;
}

/*
 * True when the name at names/FILE may be taken over: the record it
 * points at is gone, or is stale because its login manager died without
 * closing it (a display manager restarted with a session open, a
 * SIGKILLed sshd). A stale holder keeps its record, for the sweep, and
 * is renamed to its id, so no two records show one name. A holder whose
 * logoff runs (closing) keeps its name.
 */
static bool name_free(struct lo_registry *reg, const char *file)
{
	char holder[LO_ID_MAX + 1];
	struct lo_record *rec = NULL;
	bool stale;

	if (name_read(reg, file, holder) < 0 ||
	    faccessat(reg->sessfd, holder, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return true;
	if (lo_record_read(reg, holder, &rec, NULL) < 0)
		return false;
	stale = (rec->state == LO_SESSION_ACTIVE || rec->state == LO_SESSION_OPENING) &&
		!lo_proc_alive(rec->leader_pid, rec->leader_start);
	if (stale) {
		char *id = strdup(rec->id);

		free(rec->name);
		rec->name = id;
		stale = id && lo_record_write(reg, rec) == 0;
	}
	lo_record_free(rec);
	return stale;
}

/*
 * Give RECORD the first free name of: its tty's, "<service>-<id>", its
 * id. A name is taken while the record it points at exists and is not
 * stale (name_free); otherwise it is taken over. Called with the lock
 * held.
 */
static int name_claim(struct lo_registry *reg, struct lo_record *rec)
{
	char cand[3][LO_NAME_MAX + 1];
	int r = 0;

	tty_name(rec->tty, cand[0], sizeof(cand[0]));
	service_name(rec->service, rec->id, cand[1], sizeof(cand[1]));
	snprintf(cand[2], sizeof(cand[2]), "%s", rec->id);
	for (int i = 0; i < 3; i++) {
		char file[3 * LO_NAME_MAX + 1];

		if (!cand[i][0] || !lo_session_name_valid(cand[i]))
			continue;
		if (reg->namesfd >= 0) {
			name_file(cand[i], file, sizeof(file));
			r = name_write(reg, file, rec->id, false);
			if (r == -EEXIST && name_free(reg, file))
				r = name_write(reg, file, rec->id, true);
			if (r == -EEXIST)
				continue;
			if (r < 0)
				return r;
		}
		free(rec->name);
		rec->name = strdup(cand[i]);
		return rec->name ? 0 : -ENOMEM;
	}
	return -EEXIST;
}

/* Drop names/NAME if it still points at ID. */
static void name_release(struct lo_registry *reg, const char *name, const char *id)
{
	char file[3 * LO_NAME_MAX + 1], holder[LO_ID_MAX + 1];

	if (reg->namesfd < 0 || !name || !lo_session_name_valid(name))
		return;
	name_file(name, file, sizeof(file));
	if (name_read(reg, file, holder) == 0 && strcmp(holder, id) == 0)
		unlinkat(reg->namesfd, file, 0);
}

static int record_store(struct lo_registry *reg, struct lo_record *record, bool create,
			size_t max_bytes)
{
	char tmp[64];
	int r;

	if (!create) {
		/* An update's temp file is written and fsync'd before the lock
		 * is taken: its text is the caller's, not the lock's, and an
		 * fsync (milliseconds on a disk) under the lock would queue
		 * every other login and logoff of the host behind it. Only
		 * the rename is under the lock. */
		r = write_temp(reg, record, max_bytes, tmp, sizeof(tmp));
		if (r < 0)
			return r;
	}
	r = lo_registry_lock(reg);
	if (r < 0) {
		if (!create)
			unlinkat(reg->sessfd, tmp, 0);
		return r;
	}
	if (create) {
		if (!lo_id_valid(record->id)) {
			r = -EINVAL;
			goto out;
		}
		if (faccessat(reg->sessfd, record->id, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			r = -EEXIST;
			goto out;
		}
		r = name_claim(reg, record);
		if (r < 0)
			goto out;
		/* The name is part of the record's text: written after the
		 * claim, under the lock. */
		r = write_temp(reg, record, max_bytes, tmp, sizeof(tmp));
		if (r < 0)
			goto fail;
	}
	if (renameat2(reg->sessfd, tmp, reg->sessfd, record->id,
		      create ? RENAME_NOREPLACE : 0) < 0) {
		r = -errno;
		unlinkat(reg->sessfd, tmp, 0);
		goto fail;
	}
	if (create) {
		r = index_add(reg, record);
		if (r < 0) {
			unlinkat(reg->sessfd, record->id, 0);
			goto fail;
		}
	}
	goto out;
fail:
	if (create)
		name_release(reg, record->name, record->id);
out:
	lo_registry_unlock(reg);
	return r;
}

int lo_record_write(struct lo_registry *registry, const struct lo_record *record)
{
	return record_store(registry, (struct lo_record *)record, false, LO_RECORD_MAX_BYTES);
}

int lo_record_grow(struct lo_registry *registry, const struct lo_record *record)
{
	return record_store(registry, (struct lo_record *)record, false,
			    LO_RECORD_MAX_BYTES - LO_RECORD_RESERVE_BYTES);
}

int lo_record_create(struct lo_registry *registry, struct lo_record *record)
{
	return record_store(registry, record, true, LO_RECORD_MAX_BYTES - LO_RECORD_RESERVE_BYTES);
}

int lo_record_read(struct lo_registry *registry, const char *id, struct lo_record **ret_record,
		   char **ret_error)
{
	struct stat st;
	char *text = NULL;
	const char *why = NULL;
	size_t len = 0;
	int fd, r;

	*ret_record = NULL;
	if (ret_error)
		*ret_error = NULL;
	if (!lo_id_valid(id)) {
		if (ret_error)
			*ret_error = lo_strdupf("'%s' is not a valid session id", id ? id : "");
		return -EINVAL;
	}
	fd = openat(registry->sessfd, id, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		if (ret_error && r != -ENOENT)
			*ret_error = lo_strdupf("%s/sessions/%s: %s", registry->path, id,
						r == -ELOOP ? "refusing a record that is a symlink"
							    : strerror(-r));
		return r == -ELOOP ? -EPERM : r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != registry->owner || (st.st_mode & 022)) {
		r = -EPERM;
		why = "refusing a record that is not a regular file owned by the registry's "
		      "owner, or is writable by group or others";
		goto out;
	}
	if (st.st_size > (off_t)LO_RECORD_MAX_BYTES) {
		r = -EBADMSG;
		why = "record too large";
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		r = -ENOMEM;
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, text + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EBADMSG;
			goto out;
		}
		len += (size_t)n;
	}
	r = lo_record_parse(text, len, ret_record, &why);
	if (r == 0 && strcmp((*ret_record)->id, id) != 0) {
		lo_record_free(*ret_record);
		*ret_record = NULL;
		r = -EBADMSG;
		why = "record names another session id";
	}
out:
	if (r < 0 && ret_error && !*ret_error)
		*ret_error = lo_strdupf("%s/sessions/%s: %s", registry->path, id,
					why ? why : strerror(-r));
	free(text);
	close(fd);
	return r;
}

int lo_record_delete(struct lo_registry *registry, const char *id)
{
	struct lo_record *rec = NULL;
	int r;

	if (!lo_id_valid(id))
		return -EINVAL;
	r = lo_registry_lock(registry);
	if (r < 0)
		return r;
	/* The index entry needs the uid; a record too corrupt to read has
	 * its entry left, which only makes match = user more careful. */
	lo_record_read(registry, id, &rec, NULL);
	if (unlinkat(registry->sessfd, id, 0) < 0)
		r = -errno;
	if (rec) {
		index_remove(registry, rec->uid, id);
		name_release(registry, rec->name, id);
	}
	lo_registry_unlock(registry);
	lo_record_free(rec);
	return r;
}

/* The index of UID's sessions (users/UID) as a directory stream in
 * *RET_DIR: 0, with NULL when the user has none; or a negative errno. */
static int open_user_index(struct lo_registry *registry, uid_t uid, DIR **ret_dir)
{
	char name[16];
	int fd;

	*ret_dir = NULL;
	snprintf(name, sizeof(name), "%u", (unsigned)uid);
	fd = openat(registry->usersfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	*ret_dir = fdopendir(fd);
	if (!*ret_dir) {
		int e = errno;
		close(fd);
		return -e;
	}
	return 0;
}

int lo_registry_count_user(struct lo_registry *registry, uid_t uid, const char *exclude_id)
{
	struct dirent *de;
	DIR *d;
	int n = 0, r;

	r = open_user_index(registry, uid, &d);
	if (r < 0 || !d)
		return r;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || (exclude_id && strcmp(de->d_name, exclude_id) == 0))
			continue;
		/* Count only entries whose record still exists. */
		if (faccessat(registry->sessfd, de->d_name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			n++;
	}
	closedir(d);
	return n;
}

int lo_registry_count_user_live(struct lo_registry *registry, uid_t uid, const char *exclude_id)
{
	struct dirent *de;
	DIR *d;
	int n = 0;
	int r = open_user_index(registry, uid, &d);

	if (r < 0 || !d)
		return r;
	while ((de = readdir(d))) {
		struct lo_record *rec = NULL;
		const char *view;

		if (de->d_name[0] == '.' || (exclude_id && strcmp(de->d_name, exclude_id) == 0))
			continue;
		r = lo_record_read(registry, de->d_name, &rec, NULL);
		if (r == -ENOENT)
			continue;
		/* A record that cannot be read may be a live login: counted,
		 * so that nothing of it is ended. */
		if (r < 0) {
			n++;
			continue;
		}
		view = lo_session_view(rec, NULL);
		if (strcmp(view, "active") == 0 || strcmp(view, "opening") == 0)
			n++;
		lo_record_free(rec);
	}
	closedir(d);
	return n;
}

int lo_registry_alloc_id(struct lo_registry *registry, char *buf)
{
	char text[32] = "";
	unsigned long long next = 1;
	ssize_t n;
	int fd, r;

	r = lo_registry_lock(registry);
	if (r < 0)
		return r;
	fd = openat(registry->dirfd, "next-id", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	n = pread(fd, text, sizeof(text) - 1, 0);
	if (n > 0) {
		text[n] = '\0';
		next = strtoull(text, NULL, 10);
		if (next == 0)
			next = 1;
	}
	for (;; next++) {
		snprintf(buf, LO_ID_MAX + 1, "r%llu", next);
		if (faccessat(registry->sessfd, buf, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
			break;
	}
	n = snprintf(text, sizeof(text), "%llu\n", next + 1);
	if (pwrite(fd, text, (size_t)n, 0) != n || ftruncate(fd, n) < 0)
		r = errno ? -errno : -EIO;
	close(fd);
out:
	lo_registry_unlock(registry);
	return r;
}

/* ----------------------------------------------------------- memory */

void lo_record_free(struct lo_record *record)
{
	if (!record)
		return;
	free(record->user);
	free(record->home);
	free(record->service);
	free(record->tty);
	free(record->rhost);
	free(record->logind);
	free(record->name);
	for (size_t i = 0; i < record->n_status; i++)
		free(record->status[i].name);
	free(record->status);
	for (size_t i = 0; i < record->n_sub; i++) {
		free(record->sub[i].provider);
		free(record->sub[i].value);
	}
	free(record->sub);
	for (size_t i = 0; i < record->n_data; i++) {
		free(record->data[i].provider);
		free(record->data[i].key);
		free(record->data[i].value);
	}
	free(record->data);
	free(record);
}

static bool data_key_valid(const char *key)
{
	size_t len = key ? strlen(key) : 0;

	if (len == 0 || len > 32)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!islower((unsigned char)key[i]) && !isdigit((unsigned char)key[i]) && key[i] != '_')
			return false;
	return true;
}

const char *lo_record_get_data(const struct lo_record *record, const char *provider,
			       const char *key)
{
	for (size_t i = 0; i < record->n_data; i++)
		if (strcmp(record->data[i].provider, provider) == 0 &&
		    strcmp(record->data[i].key, key) == 0)
			return record->data[i].value;
	return NULL;
}

int lo_record_set_data(struct lo_record *record, const char *provider, const char *key,
		       const char *value)
{
	struct lo_data *d;
	char *v;

	if (!data_key_valid(key) || !provider || !*provider ||
	    (value && strlen(value) > LO_VALUE_MAX))
		return -EINVAL;
	for (size_t i = 0; i < record->n_data; i++) {
		d = &record->data[i];
		if (strcmp(d->provider, provider) != 0 || strcmp(d->key, key) != 0)
			continue;
		if (!value) {
			free(d->provider);
			free(d->key);
			free(d->value);
			memmove(d, d + 1, (record->n_data - i - 1) * sizeof(*d));
			record->n_data--;
			return 0;
		}
		if (!(v = strdup(value)))
			return -ENOMEM;
		free(d->value);
		d->value = v;
		return 0;
	}
	if (!value)
		return 0;
	d = realloc(record->data, (record->n_data + 1) * sizeof(*d));
	if (!d)
		return -ENOMEM;
	record->data = d;
	d = &d[record->n_data];
	d->provider = strdup(provider);
	d->key = strdup(key);
	d->value = strdup(value);
	if (!d->provider || !d->key || !d->value) {
		free(d->provider);
		free(d->key);
		free(d->value);
		return -ENOMEM;
	}
	record->n_data++;
	return 0;
}

int lo_record_update_data(struct lo_registry *registry, const char *id, const char *owner,
			  const char *key, const char *value, bool if_absent)
{
	struct lo_record *rec = NULL;
	const char *old;
	int r;

	if (registry->readonly)
		return -EROFS;
	r = lo_registry_lock(registry);
	if (r < 0)
		return r;
	r = lo_record_read(registry, id, &rec, NULL);
	if (r < 0)
		goto out;
	old = lo_record_get_data(rec, owner, key);
	if (value ? old && (if_absent || strcmp(old, value) == 0) : !old)
		goto out;	/* as it is (or set meanwhile): nothing to write */
	r = lo_record_set_data(rec, owner, key, value);
	if (r == 0)
		r = value ? lo_record_grow(registry, rec) : lo_record_write(registry, rec);
out:
	lo_registry_unlock(registry);
	lo_record_free(rec);
	return r;
}

struct lo_status *lo_record_status(struct lo_record *record, const char *name)
{
	for (size_t i = 0; i < record->n_status; i++)
		if (strcmp(record->status[i].name, name) == 0)
			return &record->status[i];
	return NULL;
}

int lo_record_add_sub(struct lo_record *record, const char *provider, int kind, const char *value)
{
	struct lo_subobject *s;

	if (kind < LOGOFF_SUBOBJECT_PROCESS || kind > LOGOFF_SUBOBJECT_MOUNT || !value || !*value ||
	    strlen(value) > LO_VALUE_MAX)
		return -EINVAL;
	for (size_t i = 0; i < record->n_sub; i++)
		if (record->sub[i].kind == kind && strcmp(record->sub[i].provider, provider) == 0 &&
		    strcmp(record->sub[i].value, value) == 0)
			return 1;
	s = realloc(record->sub, (record->n_sub + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	record->sub = s;
	s = &s[record->n_sub];
	s->kind = kind;
	s->provider = strdup(provider);
	s->value = strdup(value);
	if (!s->provider || !s->value) {
		free(s->provider);
		free(s->value);
		return -ENOMEM;
	}
	record->n_sub++;
	return 0;
}

int lo_record_remove_sub(struct lo_record *record, const char *provider, int kind,
			 const char *value)
{
	for (size_t i = 0; i < record->n_sub; i++) {
		struct lo_subobject *s = &record->sub[i];
		if (s->kind == kind && strcmp(s->provider, provider) == 0 &&
		    strcmp(s->value, value) == 0) {
			free(s->provider);
			free(s->value);
			memmove(s, s + 1, (record->n_sub - i - 1) * sizeof(*s));
			record->n_sub--;
			return 0;
		}
	}
	return -ENOENT;
}

/* ---------------------------------------------------------- listing */

static int cmp_id(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

int lo_registry_list(struct lo_registry *registry, char ***ret_ids, size_t *ret_n)
{
	char **ids = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	*ret_ids = NULL;
	*ret_n = 0;
	fd = openat(registry->sessfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		char *id;

		if (!lo_id_valid(de->d_name))
			continue;	/* ".", "..", ".tmp.*" */
		if (n == cap) {
			char **nids = realloc(ids, (cap = cap ? cap * 2 : 16) * sizeof(*ids));
			if (!nids) {
				r = -ENOMEM;
				break;
			}
			ids = nids;
		}
		if (!(id = strdup(de->d_name))) {
			r = -ENOMEM;
			break;
		}
		ids[n++] = id;
	}
	closedir(d);
	if (r < 0) {
		lo_strv_free(ids, n);
		return r;
	}
	if (n > 1)
		qsort(ids, n, sizeof(*ids), cmp_id);
	*ret_ids = ids;
	*ret_n = n;
	return 0;
}

void lo_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

int lo_registry_find(struct lo_registry *registry, const char *session, char *ret_id)
{
	char file[3 * LO_NAME_MAX + 1];
	char **ids = NULL;
	size_t n = 0;
	int r;

	if (lo_id_valid(session) &&
	    faccessat(registry->sessfd, session, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		strcpy(ret_id, session);
		return 0;
	}
	if (!lo_session_name_valid(session))
		return lo_id_valid(session) ? -ENOENT : -EINVAL;
	if (registry->namesfd >= 0) {
		struct lo_record *rec = NULL;

		name_file(session, file, sizeof(file));
		r = name_read(registry, file, ret_id);
		/* lo_record_read returns 0 only with a record; clang's analyzer
		 * takes errno for possibly 0 after a failed openat. */
		if (r == 0 && lo_record_read(registry, ret_id, &rec, NULL) == 0 &&
		    strcmp(rec->name, session) == 0) { /* NOLINT(clang-analyzer-core.NullDereference) */
			lo_record_free(rec);
			return 0;
		}
		lo_record_free(rec);
		return -ENOENT;
	}
	/* A registry without names/: ask every record. */
	r = lo_registry_list(registry, &ids, &n);
	if (r < 0)
		return r;
	r = -ENOENT;
	for (size_t i = 0; i < n && r < 0; i++) {
		struct lo_record *rec = NULL;
		/* As above: a 0 return comes with a record. */
		if (lo_record_read(registry, ids[i], &rec, NULL) == 0 &&
		    strcmp(rec->name, session) == 0) { /* NOLINT(clang-analyzer-core.NullDereference) */
			strcpy(ret_id, ids[i]);
			r = 0;
		}
		lo_record_free(rec);
	}
	lo_strv_free(ids, n);
	return r;
}
