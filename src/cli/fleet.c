/*
 * fleet.c - logoff(1) across a node set through ClusterShell; see fleet.h.
 *
 * Why a helper on ClusterShell's Task API rather than clush(1): the
 * helper reports each host's exit status and its stdout and stderr apart,
 * in one tab-separated record per line (no parsing of clush's
 * "node: line" text, which a host name with ':' would make ambiguous),
 * and it gives each host a worker of its own, so a --message holding
 * "%hosts" (which clush takes as a request to run the command once for
 * the whole set) reaches every host as text. It takes no options: every
 * argument is data.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli/fleet.h"
#include "core/spawn.h"
#include "core/util.h"

#define FLEET_PATH LIBEXECDIR "/logoff/logoff-fleet"
#define EXIT_NOPKG 69	/* EX_UNAVAILABLE: the helper found no ClusterShell */

struct buf {
	char *p;
	size_t len, cap;
	bool failed;	/* ENOMEM: what follows is lost */
};

static void buf_add(struct buf *b, const char *s, size_t len)
{
	if (b->failed)
		return;
	if (b->len + len + 1 > b->cap) {
		size_t cap = (b->len + len + 1) * 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

struct fleet_host {
	const char *name;
	struct buf out, err;
	int status;	/* exit status; -1 until known */
	bool timed_out;
};

struct fleet {
	struct fleet_host *h;
	size_t n;
	char **hosts;	/* lo_fleet_expand: what came back */
	size_t n_hosts;
	bool bad_host;
	bool nopkg;
};

/* The helper to run: logoff-fleet beside this program (a build tree),
 * when its path is trusted as logoff-helper's is, else the installed
 * one; malloc'd. */
static char *fleet_helper(void)
{
	char self[PATH_MAX], *slash, *checked = NULL, *err = NULL;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	uid_t ruid = getuid();

	if (n > 0 && (size_t)n < sizeof(self) - sizeof("logoff-fleet")) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			strcpy(slash + 1, "logoff-fleet");
			if (access(self, F_OK) == 0 &&
			    lo_path_trusted(self, ruid == geteuid() ? ruid : 0, &checked, &err) == 0)
				return checked;
			free(err);
		}
	}
	return strdup(FLEET_PATH);
}

/* The helper's environment: what ssh and ClusterShell read, nothing else
 * (no PYTHON*: the helper runs with python3 -I anyway). */
static char **fleet_env(void)
{
	static const char *const keep[] = {
		"HOME", "USER", "LOGNAME", "SSH_AUTH_SOCK", "LOGOFF_SSH",
		"CLUSTERSHELL_CFGDIR", "XDG_CONFIG_HOME", "LANG", "LC_ALL", NULL,
	};
	size_t n = 0;
	char **env = calloc(sizeof(keep) / sizeof(keep[0]) + 1, sizeof(*env));
	const char *path = getenv("PATH");

	if (!env)
		return NULL;
	env[n++] = lo_strdupf("PATH=%s", path && *path ? path : LO_SAFE_PATH);
	for (size_t i = 0; keep[i]; i++) {
		const char *v = getenv(keep[i]);
		if (v)
			env[n++] = lo_strdupf("%s=%s", keep[i], v);
	}
	for (size_t i = 0; i < n; i++)
		if (!env[i]) {
			for (size_t k = 0; k < n; k++)
				free(env[k]);
			free(env);
			return NULL;
		}
	return env;
}

static struct fleet_host *fleet_find(struct fleet *f, const char *name, size_t len)
{
	for (size_t i = 0; i < f->n; i++)
		if (strlen(f->h[i].name) == len && strncmp(f->h[i].name, name, len) == 0)
			return &f->h[i];
	return NULL;
}

/* One record of the helper (see logoff-fleet): "!\tMSG", "h\tHOST", or
 * "HOST\tKIND\tTEXT". Anything else (a Python traceback) is its error. */
static void fleet_line(void *ctx, const char *line)
{
	struct fleet *f = ctx;
	const char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
	char safe[LO_PROTOCOL_LINE_MAX + 2];
	struct fleet_host *h;

	if (t1 && t1 == line + 1 && line[0] == '!') {
		lo_text_safe(safe, sizeof(safe), t1 + 1);
		fprintf(stderr, "logoff: %s\n", safe);
		if (strstr(line, "needs ClusterShell"))
			f->nopkg = true;
		return;
	}
	if (t1 && t1 == line + 1 && line[0] == 'h' && !t2) {
		char **v = realloc(f->hosts, (f->n_hosts + 2) * sizeof(*v));
		if (!v)
			return;
		f->hosts = v;
		if (!lo_cli_host_valid(t1 + 1)) {
			lo_text_safe(safe, sizeof(safe), t1 + 1);
			fprintf(stderr, "logoff: --server: '%.80s' in the node set is not a host name\n",
				safe);
			f->bad_host = true;
			return;
		}
		if ((f->hosts[f->n_hosts] = strdup(t1 + 1)))
			f->hosts[++f->n_hosts] = NULL;
		return;
	}
	h = t2 && t2 == t1 + 2 ? fleet_find(f, line, (size_t)(t1 - line)) : NULL;
	if (!h) {
		lo_text_safe(safe, sizeof(safe), line);
		fprintf(stderr, "logoff: logoff-fleet: %s\n", safe);
		return;
	}
	switch (t1[1]) {
	case 'o':
		buf_add(&h->out, t2 + 1, strlen(t2 + 1));
		buf_add(&h->out, "\n", 1);
		break;
	case 'O':
		buf_add(&h->out, t2 + 1, strlen(t2 + 1));
		break;
	case 'e':
		buf_add(&h->err, t2 + 1, strlen(t2 + 1));
		buf_add(&h->err, "\n", 1);
		break;
	case 'x': {
		char *end;
		long st = strtol(t2 + 1, &end, 10);
		h->status = *end || st < 0 || st > 255 ? 255 : (int)st;
		break;
	}
	case 't':
		h->timed_out = true;
		break;
	default:
		break;
	}
}

/* Run the helper with ARGV[1..] until DEADLINE_MS, its records to F.
 * Returns its exit status, or a negative errno when it did not run. */
static int fleet_spawn(struct fleet *f, char **argv, int64_t deadline_ms)
{
	char *helper = fleet_helper(), **env = fleet_env();
	int status = -1, r = -ENOMEM;

	if (!helper || !env)
		goto out;
	argv[0] = helper;
	struct lo_spawn sp = { .path = helper, .argv = argv, .envp = env, .capture = true };
	fflush(NULL);
	r = lo_spawn_run(&sp, deadline_ms, 2000, fleet_line, f, &status);
	if (r == -ETIMEDOUT) {
		fprintf(stderr, "logoff: %s did not finish in time\n", helper);
		r = 255;
	} else if (r < 0) {
		fprintf(stderr, "logoff: cannot run %s: %s\n", helper, strerror(-r));
	} else if (status >= 0 && WIFEXITED(status)) {
		r = WEXITSTATUS(status);
		if (r == 127)
			fprintf(stderr, "logoff: cannot run %s (is python3 installed?)\n", helper);
	} else {
		fprintf(stderr, "logoff: %s ended abnormally\n", helper);
		r = 255;
	}
out:
	argv[0] = NULL;
	free(helper);
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
	return r;
}

int lo_fleet_expand(const char *nodeset, char ***ret_hosts, size_t *ret_n)
{
	struct fleet f = { 0 };
	char *argv[] = { NULL, (char *)"expand", (char *)nodeset, NULL };
	int r, ret = -EINVAL;

	if (!lo_cli_nodeset_valid(nodeset))
		return -EINVAL;
	r = fleet_spawn(&f, argv, lo_now_ms() + (int64_t)60 * 1000);
	if (r < 0) {
		ret = r;
		goto out;
	}
	if (f.nopkg || r == EXIT_NOPKG) {
		ret = -ENOPKG;
		goto out;
	}
	if (r != 0 || f.bad_host)
		goto out;
	if (f.n_hosts == 0) {
		fprintf(stderr, "logoff: --server '%s': the node set is empty\n", nodeset);
		goto out;
	}
	*ret_hosts = f.hosts;
	*ret_n = f.n_hosts;
	f.hosts = NULL;
	f.n_hosts = 0;
	ret = 0;
out:
	lo_strv_free(f.hosts, f.n_hosts);
	return ret;
}

/* The remote command line: logoff and OPTS's words, each quoted. */
static char *remote_command(const struct lo_cli_opts *o)
{
	struct buf b = { 0 };
	char **words = NULL;
	size_t n = 0;

	if (lo_cli_remote_args(o, &words, &n) < 0)
		return NULL;
	buf_add(&b, "logoff", 6);
	for (size_t i = 0; i < n; i++) {
		buf_add(&b, " ", 1);
		buf_add(&b, words[i], strlen(words[i]));
	}
	lo_strv_free(words, n);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/* Strings a host sent, made safe as the local output's are (json-c
 * passes C1 controls and invalid UTF-8 through). */
static void json_safe(json_object *j)
{
	switch (json_object_get_type(j)) {
	case json_type_string: {
		const char *s = json_object_get_string(j);
		size_t len = strlen(s) + 1;
		char *copy = malloc(len);
		if (copy) {
			lo_text_safe(copy, len, s);
			if (strcmp(copy, s) != 0)
				json_object_set_string(j, copy);
			free(copy);
		}
		break;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(j); i++)
			json_safe(json_object_array_get_idx(j, i));
		break;
	case json_type_object: {
		json_object_object_foreach(j, key, val) {
			(void)key;
			json_safe(val);
		}
		break;
	}
	default:
		break;
	}
}

/* The last line of H's stderr, or what happened, for "error". */
static char *host_error(const struct fleet_host *h)
{
	char safe[1024];

	if (h->timed_out || h->status < 0)
		return lo_strdupf("no answer within the time allowed");
	if (h->err.len) {
		const char *end = h->err.p + h->err.len - 1, *start = end;
		while (start > h->err.p && start[-1] != '\n')
			start--;
		snprintf(safe, sizeof(safe), "%.*s", (int)(end - start), start);
		lo_text_safe(safe, sizeof(safe), safe);
		if (safe[0])
			return lo_strdupf("%s", safe);
	}
	return lo_strdupf("exit status %d", h->status);
}

static void print_json(const struct lo_cli_opts *o, struct fleet *f)
{
	json_object *top = json_object_new_object(), *arr = json_object_new_array();

	json_object_object_add(top, "schema", json_object_new_string(LO_FLEET_SCHEMA));
	json_object_object_add(top, "hosts", arr);
	for (size_t i = 0; i < f->n; i++) {
		struct fleet_host *h = &f->h[i];
		json_object *j = json_object_new_object(), *got = NULL, *v = NULL;
		const char *key = o->mode == LO_CLI_STATUS ? "session" : "sessions";

		json_object_object_add(j, "host", json_object_new_string(h->name));
		json_object_object_add(j, "status", h->timed_out || h->status < 0 ? NULL :
					json_object_new_int(h->status));
		if (h->out.p && !h->out.failed)
			got = json_tokener_parse(h->out.p);
		if (got && o->mode == LO_CLI_STATUS)
			v = json_object_get(got);
		else if (got)
			json_object_object_get_ex(got, "sessions", &v), v = v ? json_object_get(v) : NULL;
		if (v) {
			json_safe(v);
			json_object_object_add(j, key, v);
		}
		if (!v || h->status != 0) {
			char *e = host_error(h);
			json_object_object_add(j, "error", e ? json_object_new_string(e) : NULL);
			free(e);
		}
		json_object_put(got);
		json_object_array_add(arr, j);
	}
	puts(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(top);
}

/* Each line of TEXT, made safe, to F after PREFIX; SKIP_FIRST drops a
 * table's header. */
static void print_lines(FILE *out, const char *prefix, const char *text, bool skip_first)
{
	char line[2048];

	for (const char *p = text; p && *p;) {
		size_t len = strcspn(p, "\n");
		if (!skip_first) {
			snprintf(line, sizeof(line), "%.*s", (int)len, p);
			lo_text_safe(line, sizeof(line), line);
			fprintf(out, "%s%s\n", prefix, line);
		}
		skip_first = false;
		p += len + (p[len] == '\n');
	}
}

static void print_text(const struct lo_cli_opts *o, struct fleet *f)
{
	bool table = o->mode == LO_CLI_LIST || o->mode == LO_CLI_QUERY;
	size_t width = 4;
	char prefix[LO_HOST_MAX + 32];

	for (size_t i = 0; i < f->n; i++)
		if (strlen(f->h[i].name) > width)
			width = strlen(f->h[i].name);
	if (table) {
		/* One table: the first header a host sent with rows under it
		 * (--list: any host's), behind HOST. --query of hosts without
		 * a session ("No sessions.", no header): each line behind its
		 * host. */
		const struct fleet_host *hd = NULL;

		for (size_t i = 0; i < f->n && !hd; i++) {
			const char *nl = f->h[i].out.p ? strchr(f->h[i].out.p, '\n') : NULL;
			if (nl && nl[1])
				hd = &f->h[i];
		}
		for (size_t i = 0; i < f->n && !hd && o->mode == LO_CLI_LIST; i++)
			if (f->h[i].out.p && f->h[i].out.len)
				hd = &f->h[i];
		table = hd != NULL;
		if (hd && hd->out.p) {
			char head[1024];
			snprintf(head, sizeof(head), "%.*s", (int)strcspn(hd->out.p, "\n"), hd->out.p);
			lo_text_safe(head, sizeof(head), head);
			printf("%-*s %s\n", (int)width, "HOST", head);
		}
	}
	for (size_t i = 0; i < f->n; i++) {
		if (table)
			snprintf(prefix, sizeof(prefix), "%-*s ", (int)width, f->h[i].name);
		else
			snprintf(prefix, sizeof(prefix), "%s: ", f->h[i].name);
		print_lines(stdout, prefix, f->h[i].out.p, table);
	}
}

int lo_fleet_run(const struct lo_cli_opts *o, char *const *hosts, size_t n)
{
	struct fleet f = { 0 };
	char *command = remote_command(o), **argv = calloc(n + 4, sizeof(*argv));
	int64_t deadline = lo_now_ms() +
			   ((int64_t)(o->warn ? o->warn_seconds : 0) + LO_FLEET_TIMEOUT) * 1000;
	int r, ret = LO_EXIT_USAGE;

	f.h = calloc(n ? n : 1, sizeof(*f.h));
	if (!command || !argv || !f.h)
		goto out;
	argv[1] = (char *)"run";
	argv[2] = command;
	for (size_t i = 0; i < n; i++) {
		argv[3 + i] = hosts[i];
		f.h[i] = (struct fleet_host){ .name = hosts[i], .status = -1 };
	}
	f.n = n;
	r = fleet_spawn(&f, argv, deadline);
	if (r < 0 || r == EXIT_NOPKG || r == 2 || f.nopkg)
		goto out;
	if (o->json)
		print_json(o, &f);
	else
		print_text(o, &f);
	fflush(stdout);
	ret = LO_EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		struct fleet_host *h = &f.h[i];
		char pre[LO_HOST_MAX + 32];
		int st = h->timed_out || h->status < 0 ? 255 : h->status;

		snprintf(pre, sizeof(pre), "logoff: %s: ", h->name);
		if (h->err.len && (!o->json || st != 0))
			print_lines(stderr, pre, h->err.p, false);
		if (st == 255)
			fprintf(stderr, "logoff: %s: unreachable or no answer (ssh status 255)\n",
				h->name);
		else if (st != 0)
			fprintf(stderr, "logoff: %s: failed with exit status %d\n", h->name, st);
		if (st > ret)
			ret = st;
	}
out:
	for (size_t i = 0; f.h && i < f.n; i++) {
		free(f.h[i].out.p);
		free(f.h[i].err.p);
	}
	free(f.h);
	free(argv);
	free(command);
	return ret;
}
