/*
 * mounts.c - the mounts provider: at logoff, unmounts the file systems
 * that belong to the session: what is mounted on (or below) the per-user
 * mount points of [mounts] paths, and the FUSE mounts the user made
 * during the session.
 *
 * Logon (in the login manager's process) only reads: it expands `paths`
 * for this user and, with `fuse = yes`, notes the user's FUSE mounts that
 * exist already; both are kept in the session record (set_data) for the
 * logoff, which runs in logoff-helper.
 *
 * Which mounts are the session's:
 *   paths  every mount whose mount point is one of the expanded paths or
 *          lies below one (mountinfo's canonical mount points: a symlink
 *          the user planted never makes another path match);
 *   fuse   mounts of type fuse or fuse.* with user_id=UID in their super
 *          options that were not there at logon.
 * The logon baseline is a list of mount ids, and mount ids are reused:
 * a FUSE mount the session made can get the id of one that existed at
 * logon and was unmounted since. That errs on the safe side (such a mount
 * is left, never one that predates the session). What the ids cannot say
 * is which of the user's sessions made a mount, so nothing is unmounted
 * while the user has another session open (s->user_sessions): the last
 * session's logoff unmounts, as pam_mount counts its users. The FUSE
 * rule is also skipped when the logoff runs in another mount namespace
 * than the logon, where the same mounts have other ids.
 *
 * Each mount is tracked (LOGOFF_SUBOBJECT_MOUNT) before it is unmounted
 * and untracked after, with the core's releaser
 * (src/core/release_mount.c): a busy mount stays tracked, the record is
 * kept, state failed, and `logoff --gc` retries it. Deepest mounts go
 * first. Processes keep mounts busy: list mounts before processes in
 * [logoff] providers, so that the processes are ended first (logoff runs
 * in reverse logon order).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "providers/support.h"
#include "providers/providers.h"

static const struct logoff_config_key keys[] = {
	{ "paths", LOGOFF_CONFIG_LIST, "", NULL },	/* %u user, %U uid, %h home, %% */
	{ "fuse", LOGOFF_CONFIG_BOOL, "yes", NULL },
	{ "timeout", LOGOFF_CONFIG_SECONDS, "5", NULL },
	{ "lazy", LOGOFF_CONFIG_BOOL, "no", NULL },
	{ NULL, 0, NULL, NULL },
};

#define MAX_PATHS 32
/* Each pass unmounts what is reachable; a mount covered by another one is
 * reached in the next pass. */
#define MAX_PASSES 16
#define MAX_DEPTH 4096

/* ---------------------------------------------------------------- logon */

/* A value substituted into a path component: never one that could add or
 * climb a component. */
static bool component_safe(const char *v)
{
	if (!*v || strcmp(v, ".") == 0 || strcmp(v, "..") == 0 || strchr(v, '/'))
		return false;
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* Expand TMPL for the session's user into OUT: %u user name, %U uid, %h
 * home, %% a percent sign; repeated slashes and a trailing one dropped.
 * The result must be lo_mount_path_valid. */
static int expand(struct logoff_support *s, const char *tmpl, char *out, size_t size)
{
	const struct logoff_identity *id = s->identity;
	char buf[PATH_MAX * 2], uid[16];
	size_t n = 0, w = 0;

	snprintf(uid, sizeof(uid), "%u", (unsigned)id->uid);
	for (const char *p = tmpl; *p; p++) {
		const char *add;
		char one[2] = { *p, '\0' };

		if (*p != '%') {
			add = one;
		} else {
			switch (*++p) {
			case 'u':
				if (!component_safe(id->user)) {
					s->log(s, LOG_ERR, "%s: the user name cannot be a path component",
					       tmpl);
					return -EINVAL;
				}
				add = id->user;
				break;
			case 'U':
				add = uid;
				break;
			case 'h':
				if (id->home[0] != '/') {
					s->log(s, LOG_ERR, "%s: home directory \"%s\" is not absolute",
					       tmpl, id->home);
					return -EINVAL;
				}
				add = id->home;
				break;
			case '%':
				add = "%";
				break;
			default:
				s->log(s, LOG_ERR, "%s: unknown escape %%%c (%%u, %%U, %%h, %%%%)",
				       tmpl, *p ? *p : ' ');
				return -EINVAL;
			}
		}
		if (n + strlen(add) >= sizeof(buf))
			return -ENAMETOOLONG;
		memcpy(buf + n, add, strlen(add));
		n += strlen(add);
	}
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '/' && w > 0 && out[w - 1] == '/')
			continue;
		if (w + 1 >= size)
			return -ENAMETOOLONG;
		out[w++] = buf[i];
	}
	if (w > 1 && out[w - 1] == '/')
		w--;
	out[w] = '\0';
	if (!lo_mount_path_valid(out)) {
		s->log(s, LOG_ERR, "%s expands to \"%s\": not an absolute path without \".\" or "
		       "\"..\" components, or not below /", tmpl, out);
		return -EINVAL;
	}
	return 0;
}

static bool is_fuse(const struct lo_mount *m)
{
	return strcmp(m->fstype, "fuse") == 0 || strncmp(m->fstype, "fuse.", 5) == 0;
}

/* user_id=UID among the comma-separated super options: the uid that
 * fusermount recorded as the mount's owner. */
static bool fuse_of(const struct lo_mount *m, uid_t uid)
{
	char want[32];
	size_t len;

	len = (size_t)snprintf(want, sizeof(want), "user_id=%u", (unsigned)uid);
	for (const char *p = m->super_options; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, want, len) == 0 && (p[len] == ',' || p[len] == '\0'))
			return true;
	return false;
}

/* "DEV:INO" of our mount namespace. */
static int mount_ns(char *buf, size_t size)
{
	struct stat st;

	if (stat("/proc/self/ns/mnt", &st) < 0)
		return -errno;
	snprintf(buf, size, "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	return 0;
}

/* The FUSE baseline, kept as data "fuse": "NS ID ID ...", NS the mount
 * namespace and each ID a FUSE mount of the user that exists now. */
static int fuse_baseline(struct logoff_support *s, unsigned *ret_count)
{
	struct lo_mount *m = NULL;
	size_t n = 0, len;
	char value[LO_VALUE_MAX + 1];
	unsigned count = 0;
	int r;

	r = mount_ns(value, sizeof(value));
	if (r < 0)
		return r;
	r = lo_mountinfo_read(NULL, &m, &n);
	if (r < 0)
		return r;
	len = strlen(value);
	for (size_t i = 0; i < n; i++) {
		if (!is_fuse(&m[i]) || !fuse_of(&m[i], s->identity->uid))
			continue;
		if (len + 12 >= sizeof(value)) {
			r = -E2BIG;
			break;
		}
		len += (size_t)snprintf(value + len, sizeof(value) - len, " %u", m[i].id);
		count++;
	}
	lo_mountinfo_free(m, n);
	if (r < 0)
		return r;
	*ret_count = count;
	return s->set_data(s, "fuse", value);
}

static int mounts_logon(struct logoff_support *s, unsigned flags)
{
	char *words[MAX_PATHS], joined[LO_VALUE_MAX + 1] = "";
	size_t len = 0;
	unsigned fuse_count = 0;
	bool fuse = true;
	int n, r = 0;

	n = lo_split_list(s->config(s, "paths"), words, MAX_PATHS);
	if (n < 0) {
		s->log(s, LOG_ERR, "paths: more than %d entries", MAX_PATHS);
		return n;
	}
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];

		if (r == 0 && (r = expand(s, words[i], path, sizeof(path))) == 0) {
			if (len + strlen(path) + 1 >= sizeof(joined))
				r = -E2BIG;
			else
				len += (size_t)snprintf(joined + len, sizeof(joined) - len, "%s%s",
							len ? "\n" : "", path);
		}
		free(words[i]);
	}
	if (r < 0)
		return r;
	/* One path a line: lo_mount_path_valid allows no newline in one. */
	if (len && (r = s->set_data(s, "paths", joined)) < 0)
		return r;
	lo_parse_bool(s->config(s, "fuse"), &fuse);
	if (fuse) {
		r = fuse_baseline(s, &fuse_count);
		if (r < 0) {
			/* Without a baseline every FUSE mount of the user would
			 * look new: the FUSE rule is off for this session. */
			s->log(s, LOG_WARNING, "no FUSE baseline (%s): FUSE mounts will not be "
			       "unmounted at logoff", strerror(-r));
			fuse = false;
		}
	}
	if (fuse)
		s->set_status(s, "%d path%s; FUSE: on, %u mount%s of the user at logon kept", n,
			      n == 1 ? "" : "s", fuse_count, fuse_count == 1 ? "" : "s");
	else
		s->set_status(s, "%d path%s; FUSE: off", n, n == 1 ? "" : "s");
	return 0;
}

/* --------------------------------------------------------------- logoff */

enum outcome {
	COVERED = 0,	/* not reached: another mount on top of it */
	UNMOUNTED,
	DETACHED,
	GONE,		/* unmounted by someone else meanwhile */
	BUSY,
	FAILED,
};

struct target {
	unsigned id;
	char *path;
	enum outcome outcome;
	int err;
};

struct plan {
	char **paths;		/* expanded at logon */
	size_t n_paths;
	bool fuse;		/* the FUSE rule applies */
	unsigned *baseline;	/* FUSE mount ids at logon */
	size_t n_baseline;
	struct target *t;	/* everything met so far */
	size_t n_t;
	int64_t deadline_ms;
	bool lazy;
};

static void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n_paths; i++)
		free(p->paths[i]);
	free(p->paths);
	free(p->baseline);
	for (size_t i = 0; i < p->n_t; i++)
		free(p->t[i].path);
	free(p->t);
}

/* Read what logon kept. A fuse entry of another mount namespace turns
 * the FUSE rule off; NOTE says so. */
static int plan_load(struct logoff_support *s, struct plan *p, const char **note)
{
	const char *paths = s->get_data(s, "paths"), *fuse = s->get_data(s, "fuse");
	char ns[64];

	if (paths) {
		char *copy = strdup(paths), *save = NULL;

		if (!copy)
			return -ENOMEM;
		for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			char **v;

			if (!lo_mount_path_valid(l)) {
				s->log(s, LOG_ERR, "ignoring recorded path \"%s\"", l);
				continue;
			}
			v = realloc(p->paths, (p->n_paths + 1) * sizeof(*v));
			if (!v || !(v[p->n_paths] = strdup(l))) {
				if (v)
					p->paths = v;
				free(copy);
				return -ENOMEM;
			}
			p->paths = v;
			p->n_paths++;
		}
		free(copy);
	}
	if (fuse) {
		const char *sp = strchr(fuse, ' ');
		size_t nslen = sp ? (size_t)(sp - fuse) : strlen(fuse);

		if (mount_ns(ns, sizeof(ns)) < 0 || strlen(ns) != nslen ||
		    strncmp(ns, fuse, nslen) != 0) {
			*note = "; FUSE skipped: another mount namespace than at logon";
			return 0;
		}
		p->fuse = true;
		for (const char *q = sp; q && *q; ) {
			char *end;
			unsigned long id = strtoul(q, &end, 10);
			unsigned *v;

			if (end == q)
				break;
			v = realloc(p->baseline, (p->n_baseline + 1) * sizeof(*v));
			if (!v)
				return -ENOMEM;
			p->baseline = v;
			p->baseline[p->n_baseline++] = (unsigned)id;
			q = end;
		}
	}
	return 0;
}

static bool below(const char *target, const char *path)
{
	size_t len = strlen(path);

	return strncmp(target, path, len) == 0 && (target[len] == '\0' || target[len] == '/');
}

static bool selected(struct logoff_support *s, const struct plan *p, const struct lo_mount *m)
{
	for (size_t i = 0; i < p->n_paths; i++)
		if (below(m->target, p->paths[i]))
			return true;
	if (!p->fuse || !is_fuse(m) || !fuse_of(m, s->identity->uid))
		return false;
	for (size_t i = 0; i < p->n_baseline; i++)
		if (p->baseline[i] == m->id)
			return false;
	return true;
}

static struct target *target_of(struct plan *p, unsigned id, const char *path, bool add)
{
	struct target *t;

	for (size_t i = 0; i < p->n_t; i++)
		if (p->t[i].id == id && strcmp(p->t[i].path, path) == 0)
			return &p->t[i];
	if (!add)
		return NULL;
	t = realloc(p->t, (p->n_t + 1) * sizeof(*t));
	if (!t)
		return NULL;
	p->t = t;
	t = &t[p->n_t];
	t->path = strdup(path);
	if (!t->path)
		return NULL;
	t->id = id;
	t->outcome = COVERED;
	t->err = 0;
	p->n_t++;
	return t;
}

/* Depth of mount M[I] in the mount tree: children sort before parents. */
static unsigned depth_of(const struct lo_mount *m, size_t n, size_t i)
{
	unsigned d = 0;

	while (d < MAX_DEPTH) {
		size_t j;

		for (j = 0; j < n; j++)
			if (m[j].id == m[i].parent && j != i)
				break;
		if (j == n)
			break;
		i = j;
		d++;
	}
	return d;
}

struct candidate {
	size_t index;
	unsigned depth;
};

static int deeper_first(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	return x->depth < y->depth ? 1 : x->depth > y->depth ? -1 : 0;
}

/* Track, unmount, untrack one mount; sets T's outcome. True when it is
 * no longer mounted. */
static bool unmount_one(struct logoff_support *s, struct plan *p, struct target *t,
			const char *value)
{
	int how = LO_UMOUNT_GONE, r;
	bool tracked;

	/* Tracked before the unmount: an interrupted logoff leaves a record
	 * of it for the sweep. Unmounted even when it cannot be recorded. */
	r = s->track(s, LOGOFF_SUBOBJECT_MOUNT, value);
	tracked = r == 0;
	if (r < 0)
		s->log(s, LOG_WARNING, "cannot record %s before unmounting it: %s", t->path,
		       strerror(-r));
	r = lo_release_mount(value, p->deadline_ms, p->lazy, NULL, &how);
	if (r < 0) {
		t->outcome = r == -EBUSY ? BUSY : FAILED;
		t->err = r;
		s->log(s, LOG_ERR, "%s: %s", t->path, r == -EBUSY ? "busy, left mounted" :
		       strerror(-r));
		return false;
	}
	if (tracked)
		s->untrack(s, LOGOFF_SUBOBJECT_MOUNT, value);
	t->outcome = how == LO_UMOUNT_DETACHED ? DETACHED : how == LO_UMOUNT_UNMOUNTED ?
		     UNMOUNTED : GONE;
	s->log(s, how == LO_UMOUNT_DETACHED ? LOG_WARNING : LOG_INFO, "%s %s", t->path,
	       how == LO_UMOUNT_DETACHED ? "was busy; lazily detached" :
	       how == LO_UMOUNT_UNMOUNTED ? "unmounted" : "was unmounted already");
	return true;
}

/* One pass over the mount table: unmount, deepest first, every selected
 * mount that is reachable and not tried yet. Returns how many are gone,
 * or -errno. */
static int pass(struct logoff_support *s, struct plan *p)
{
	struct lo_mount *m = NULL;
	struct candidate *c = NULL;
	size_t n = 0, nc = 0;
	int done = 0, r;

	r = lo_mountinfo_read(NULL, &m, &n);
	if (r < 0)
		return r;
	c = calloc(n ? n : 1, sizeof(*c));
	if (!c) {
		lo_mountinfo_free(m, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct target *t;

		if (!selected(s, p, &m[i]))
			continue;
		t = target_of(p, m[i].id, m[i].target, false);
		if (t && t->outcome != COVERED)
			continue;
		c[nc++] = (struct candidate){ i, depth_of(m, n, i) };
	}
	qsort(c, nc, sizeof(*c), deeper_first);
	for (size_t k = 0; k < nc; k++) {
		const struct lo_mount *mi = &m[c[k].index];
		char value[LO_VALUE_MAX + 1];
		struct target *t = target_of(p, mi->id, mi->target, true);

		if (!t) {
			r = -ENOMEM;
			break;
		}
		r = lo_mount_value(mi->target, mi->id, value, sizeof(value));
		if (r == -ESTALE || r == -ENOENT) {
			r = 0;	/* covered, or gone meanwhile: see settle() */
			continue;
		}
		if (r < 0) {
			/* -ELOOP: a symlink where the mount point was. Kept
			 * in the record all the same, so the failure is not
			 * lost: the record stays failed and `logoff --gc`
			 * tries again. */
			t->outcome = FAILED;
			t->err = r;
			s->log(s, LOG_ERR, "%s: not unmounted: %s", t->path, strerror(-r));
			if ((size_t)snprintf(value, sizeof(value), "%u:0:%s", mi->id, mi->target) <
			    sizeof(value))
				s->track(s, LOGOFF_SUBOBJECT_MOUNT, value);
			r = 0;
			continue;
		}
		if (unmount_one(s, p, t, value))
			done++;
	}
	free(c);
	lo_mountinfo_free(m, n);
	return r < 0 ? r : done;
}

/* Mounts tracked by an earlier, interrupted logoff of this session. */
static void release_tracked(struct logoff_support *s, struct plan *p)
{
	const char *value;
	size_t i = 0;
	int kind;

	while (s->subobject(s, i, &kind, &value) == 0) {
		char copy[LO_VALUE_MAX + 1];
		const char *path;
		struct target *t;

		if (kind != LOGOFF_SUBOBJECT_MOUNT) {
			i++;
			continue;
		}
		snprintf(copy, sizeof(copy), "%s", value);
		path = strchr(copy, ':');
		path = path ? strchr(path + 1, ':') : NULL;
		t = target_of(p, (unsigned)strtoul(copy, NULL, 10), path ? path + 1 : copy, true);
		if (!t)
			return;
		if (!unmount_one(s, p, t, copy))
			i++;	/* still tracked */
	}
}

/* Mounts never reached (covered by another mount, or not reachable by
 * their path): left, unless they are gone from the table since. */
static void settle(struct plan *p)
{
	struct lo_mount *m = NULL;
	size_t n = 0;

	if (lo_mountinfo_read(NULL, &m, &n) < 0)
		return;
	for (size_t i = 0; i < p->n_t; i++) {
		bool listed = false;

		if (p->t[i].outcome != COVERED)
			continue;
		for (size_t j = 0; j < n && !listed; j++)
			listed = m[j].id == p->t[i].id && strcmp(m[j].target, p->t[i].path) == 0;
		if (!listed)
			p->t[i].outcome = GONE;
	}
	lo_mountinfo_free(m, n);
}

static const char *const outcome_words[] = {
	[COVERED] = "not reached (covered by another mount), left",
	[UNMOUNTED] = "unmounted",
	[DETACHED] = "lazily detached",
	[GONE] = "gone already",
	[BUSY] = "busy, left",
	[FAILED] = "not unmounted",
};

/* The status message: counts, then each mount and what happened to it,
 * then NOTE; cut at the status object's 255 bytes (the log has it all).
 * Returns -EBUSY when a mount was left busy or covered, the error of one
 * that failed otherwise, else 0. */
static int report(struct logoff_support *s, const struct plan *p, const char *empty,
		  const char *note)
{
	unsigned count[FAILED + 1] = { 0 };
	char msg[256];
	size_t len;
	int err = 0;

	for (size_t i = 0; i < p->n_t; i++) {
		count[p->t[i].outcome]++;
		if (p->t[i].outcome == BUSY || p->t[i].outcome == COVERED)
			err = err ? err : -EBUSY;
		else if (p->t[i].outcome == FAILED)
			err = p->t[i].err;
	}
	if (p->n_t == 0) {
		s->set_status(s, "%s%s", empty, note);
		return 0;
	}
	len = (size_t)snprintf(msg, sizeof(msg), "unmounted %u, detached %u, left %u:",
			       count[UNMOUNTED] + count[GONE], count[DETACHED],
			       count[BUSY] + count[COVERED] + count[FAILED]);
	for (size_t i = 0; i < p->n_t && len < sizeof(msg); i++)
		len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s %s %s",
					i ? ";" : "", p->t[i].path, outcome_words[p->t[i].outcome]);
	s->set_status(s, "%s%s", msg, note);
	return err;
}

static int mounts_logoff(struct logoff_support *s, unsigned flags)
{
	struct plan p = { 0 };
	const char *note = "";
	char why[128];
	unsigned timeout = 5;
	int others, r = 0;

	if (flags != 0)
		return -EINVAL;
	if (s->rollback) {
		/* Logon mounts nothing, and the session never ran. */
		s->set_status(s, "rollback: nothing to unmount");
		return 0;
	}
	if (!s->privileged) {
		s->set_status(s, "not root: nothing unmounted");
		return 0;
	}
	lo_parse_seconds(s->config(s, "timeout"), &timeout);
	lo_parse_bool(s->config(s, "lazy"), &p.lazy);
	p.deadline_ms = lo_now_ms() + (int64_t)timeout * 1000;
	/* What an interrupted logoff of this session had started on. */
	release_tracked(s, &p);
	others = s->user_sessions(s);
	if (others != 0) {
		/* The user's other sessions share the per-user mount points
		 * and may be using the FUSE mounts; the last one's logoff
		 * unmounts them. Fail closed when the registry cannot say. */
		if (others < 0)
			snprintf(why, sizeof(why), "cannot count %s's other sessions (%s): "
				 "nothing unmounted", s->identity->user, strerror(-others));
		else
			snprintf(why, sizeof(why), "%s has %d other session%s: nothing unmounted",
				 s->identity->user, others, others == 1 ? "" : "s");
		r = report(s, &p, why, "");
		if (r == 0 && others < 0)
			r = others;
		goto out;
	}
	r = plan_load(s, &p, &note);
	if (r < 0) {
		s->set_status(s, "cannot read the session's data: %s", strerror(-r));
		goto out;
	}
	for (int i = 0; i < MAX_PASSES; i++) {
		r = pass(s, &p);
		if (r == 0)
			break;
	}
	if (r < 0) {
		s->set_status(s, "cannot read the mount table: %s", strerror(-r));
		goto out;
	}
	settle(&p);
	r = report(s, &p, "nothing mounted", note);
out:
	plan_free(&p);
	return r;
}

const struct logoff_provider lo_provider_mounts = {
	.abi_version = LOGOFF_ABI_VERSION,
	.name = "mounts",
	.logon = mounts_logon,
	.logoff = mounts_logoff,
	.config_keys = keys,
};
