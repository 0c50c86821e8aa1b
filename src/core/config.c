/*
 * config.c - /etc/security/logoff.conf and logoff.conf.d/ *.conf, parsed
 * with inih and checked against the keys each provider declares.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "core/conf.h"
#include "core/registry.h"

const struct logoff_config_key lo_core_config_keys[] = {
	{ "registry", LOGOFF_CONFIG_PATH, LO_REGISTRY_DEFAULT, NULL },
	{ "providers", LOGOFF_CONFIG_LIST, "tmpdir processes hooks", NULL },
	{ "required", LOGOFF_CONFIG_LIST, "", NULL },
	{ "timeout", LOGOFF_CONFIG_SECONDS, "30", NULL },
	{ "gc_interval", LOGOFF_CONFIG_SECONDS, "300", NULL },
	{ "provider_timeout", LOGOFF_CONFIG_SECONDS, "0", NULL },
	{ "retries", LOGOFF_CONFIG_STRING, "3", NULL },
	{ "protected_ttys", LOGOFF_CONFIG_LIST, "console", NULL },
	{ "plugin_dir", LOGOFF_CONFIG_PATH, LO_PLUGIN_DIR, NULL },
	{ NULL, 0, NULL, NULL },
};

int lo_parse_seconds(const char *s, unsigned *ret)
{
	char *end;
	unsigned long v;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 86400)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

/* A whole number 0..MAX in decimal, digits only. */
static int parse_count(const char *s, unsigned max, unsigned *ret)
{
	char *end;
	unsigned long v;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

int lo_parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };

	for (size_t i = 0; yes[i]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

int lo_split_list(const char *s, char **ret_words, size_t max)
{
	size_t n = 0;

	while (*s) {
		size_t len;

		s += strspn(s, " \t,");
		len = strcspn(s, " \t,");
		if (len == 0)
			break;
		if (n == max) {
			while (n > 0)
				free(ret_words[--n]);
			return -E2BIG;
		}
		ret_words[n] = strndup(s, len);
		if (!ret_words[n]) {
			while (n > 0)
				free(ret_words[--n]);
			return -ENOMEM;
		}
		n++;
		s += len;
	}
	return (int)n;
}

bool lo_list_contains(const char *list, const char *word)
{
	size_t wlen = strlen(word);

	if (!list || wlen == 0)
		return false;
	while (*list) {
		size_t len;

		list += strspn(list, " \t,");
		len = strcspn(list, " \t,");
		if (len == 0)
			break;
		if (len == wlen && strncmp(list, word, len) == 0)
			return true;
		list += len;
	}
	return false;
}

bool lo_plugin_name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > 32)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!islower((unsigned char)name[i]) && !isdigit((unsigned char)name[i]) &&
		    name[i] != '_')
			return false;
	return true;
}

const struct lo_provider_entry *lo_provider_find(const struct lo_provider_entry *table,
						 const char *name)
{
	for (size_t i = 0; table && table[i].provider; i++)
		if (strcmp(table[i].provider->name, name) == 0)
			return &table[i];
	return NULL;
}

/* TABLE holds loaded plugins: a name it does not know is no provider. */
static bool has_plugins(const struct lo_provider_entry *table)
{
	for (size_t i = 0; table && table[i].provider; i++)
		if (!(table[i].flags & LO_PROVIDER_BUILTIN))
			return true;
	return false;
}

static const struct logoff_config_key *find_key(const struct logoff_config_key *keys,
						const char *name)
{
	for (size_t i = 0; keys && keys[i].name; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static const struct logoff_config_key *section_keys(const struct lo_config *config,
						    const char *section, bool *ret_known)
{
	const struct lo_provider_entry *e;

	int kind;

	*ret_known = true;
	if (strcmp(section, "logoff") == 0)
		return lo_core_config_keys;
	if (lo_limits_section(section, &kind, NULL))
		return kind == 0 ? lo_limits_config_keys : lo_limits_override_keys;
	e = lo_provider_find(config->table, section);
	if (e)
		return e->provider->config_keys;
	*ret_known = false;
	return NULL;
}

/* Check VALUE against KEY's type; a message in *ret_why on failure. */
static int check_value(const struct lo_config *config, const char *section,
		       const struct logoff_config_key *key, const char *value, const char **ret_why)
{
	unsigned u;
	bool b;

	switch (key->type) {
	case LOGOFF_CONFIG_SECONDS:
		*ret_why = "expected a whole number of seconds from 0 to 86400";
		return lo_parse_seconds(value, &u);
	case LOGOFF_CONFIG_BOOL:
		*ret_why = "expected yes or no";
		return lo_parse_bool(value, &b);
	case LOGOFF_CONFIG_PATH:
		*ret_why = "expected an absolute path";
		if (value[0] != '/' || strlen(value) >= PATH_MAX)
			return -EINVAL;
		return 0;
	case LOGOFF_CONFIG_LIST:
		if (strcmp(section, "logoff") == 0 &&
		    (strcmp(key->name, "providers") == 0 || strcmp(key->name, "required") == 0)) {
			char *words[LO_MAX_PROVIDERS];
			int n = lo_split_list(value, words, LO_MAX_PROVIDERS);
			int r = 0;

			*ret_why = "too many providers";
			if (n < 0)
				return n;
			for (int i = 0; i < n; i++) {
				/* Without a table of loaded plugins, a name that is not
				 * built in may be a plugin: checked once every file is
				 * read (plugin_dir may come later). */
				if (r == 0 && !lo_provider_find(config->table, words[i]) &&
				    (has_plugins(config->table) || !lo_plugin_name_valid(words[i]))) {
					*ret_why = "unknown provider";
					r = -EINVAL;
				}
				free(words[i]);
			}
			return r;
		}
		return 0;
	case LOGOFF_CONFIG_STRING:
		if (key->choices) {
			for (size_t i = 0; key->choices[i]; i++)
				if (strcmp(value, key->choices[i]) == 0)
					return 0;
			*ret_why = "not one of the allowed values";
			return -EINVAL;
		}
		return 0;
	}
	*ret_why = "key of unknown type";
	return -EINVAL;
}

struct parse_state {
	struct lo_config *config;
	const char *file;
	FILE *fp;
	int line;
	char *error;
	int err;
};

static void set_error(struct parse_state *st, int err, const char *fmt, ...) LO_ATTR_PRINTF(3, 4);
static const struct logoff_config_key *section_keys(const struct lo_config *config,
						    const char *section, bool *ret_known);

/* inih calls the handler only after it read the line, so counting lines in
 * the reader gives the handler the number of the line it is looking at.
 * Section headers are checked here too: inih reports a section only with
 * its first key, and an unknown section with no key would go unnoticed. */
static char *reader(char *str, int num, void *stream)
{
	struct parse_state *st = stream;
	char *r = fgets(str, num, st->fp);
	const char *p, *end;
	bool known;

	if (!r)
		return r;
	st->line++;
	p = str + strspn(str, " \t");
	end = strchr(p, ']');
	if (*p == '[' && end && !st->error) {
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)(end - p - 1), p + 1);
		section_keys(st->config, name, &known);
		if (!known && lo_plugin_name_valid(name)) {
			/* Perhaps a plugin's section: decided after the last file. */
			char *where = lo_strdupf("%s:%d", st->file, st->line);
			char **ns = realloc(st->config->pending,
					    (st->config->n_pending + 1) * 2 * sizeof(*ns));
			char *sec = strdup(name);
			if (!where || !ns || !sec) {
				free(where);
				free(sec);
				if (ns)
					st->config->pending = ns;
				set_error(st, -ENOMEM, "out of memory");
			} else {
				st->config->pending = ns;
				ns[st->config->n_pending * 2] = sec;
				ns[st->config->n_pending * 2 + 1] = where;
				st->config->n_pending++;
			}
		} else if (!known) {
			set_error(st, -EINVAL, "%s:%d: unknown section [%s]", st->file, st->line, name);
		}
	}
	return r;
}

/* Append MSG (NULL: out of memory) to C->errors, one a line. */
static void add_error(struct lo_config *c, int err, const char *msg)
{
	char *all = lo_strdupf("%s%s%s", c->errors ? c->errors : "", c->errors ? "\n" : "",
			       msg ? msg : "out of memory");

	if (c->first_err == 0)
		c->first_err = err < 0 ? err : -EINVAL;
	if (all) {
		free(c->errors);
		c->errors = all;
	}
}

static void set_error(struct parse_state *st, int err, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (st->error)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (st->config->collect) {
		/* lo_config_check: keep it and go on to the next line. */
		add_error(st->config, err, msg);
		free(msg);
		return;
	}
	st->error = msg;
	st->err = err;
}

/* '#' after white space starts a comment (inih only knows ';' inline). */
static char *strip_comment(const char *value)
{
	char *v = strdup(value);
	char *p;

	if (!v)
		return NULL;
	for (p = v; *p; p++)
		if (*p == '#' && (p == v || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	while (p > v && (p[-1] == ' ' || p[-1] == '\t'))
		*--p = '\0';
	return v;
}

/* The checks of core_keys beyond the key's type: 0, or -EINVAL with why
 * in *RET_WHY. */

static int check_timeout(struct lo_config *c, const char *v, const char **ret_why)
{
	/* A zero deadline would time out every logoff. */
	if (strspn(v, "0") != strlen(v))
		return 0;
	*ret_why = "a logoff needs at least 1 second";
	return -EINVAL;
}

/* Parses into c->retries too: store_parsed has nothing left to do. */
static int check_retries(struct lo_config *c, const char *v, const char **ret_why)
{
	if (parse_count(v, 100, &c->retries) == 0)
		return 0;
	*ret_why = "expected a whole number from 0 to 100";
	return -EINVAL;
}

/* The stores of core_keys: each takes V (malloc'd, checked) into the
 * config, and owns it; OFF is the key's field in struct lo_config. */

static void store_string(struct parse_state *st, const char *name, char *v, size_t off)
{
	char **field = (char **)((char *)st->config + off);

	free(*field);
	*field = v;
}

static void store_seconds(struct parse_state *st, const char *name, char *v, size_t off)
{
	lo_parse_seconds(v, (unsigned *)((char *)st->config + off));
	free(v);
}

static void store_parsed(struct parse_state *st, const char *name, char *v, size_t off)
{
	free(v);
}

/* providers, required: the words of V, each once. */
static void store_list(struct parse_state *st, const char *name, char *v, size_t off)
{
	struct lo_config *c = st->config;
	bool prov = strcmp(name, "providers") == 0;
	char **list = prov ? c->providers : c->required;
	size_t *n = prov ? &c->n_providers : &c->n_required;
	int r;

	if (prov) {
		free(c->providers_where);
		c->providers_where = lo_strdupf("%s:%d", st->file, st->line);
	}
	while (*n > 0)
		free(list[--*n]);
	r = lo_split_list(v, list, LO_MAX_PROVIDERS);
	if (r < 0) {
		set_error(st, r, "%s:%d: [logoff] %s = '%s': %s", st->file, st->line, name, v,
			  r == -E2BIG ? "too many providers" : strerror(-r));
		free(v);
		return;
	}
	*n = (size_t)r;
	for (size_t i = 0; i < *n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(list[i], list[j]) == 0) {
				set_error(st, -EINVAL, "%s:%d: [logoff] %s = '%s': '%s' is "
					  "listed twice", st->file, st->line, name, v, list[i]);
				i = *n;
				break;
			}
	free(v);
}

/* A key of a provider's (or a plugin's) section, kept as it is given for
 * lo_config_value. */
static void store_entry(struct parse_state *st, const char *section, const char *name, char *v)
{
	struct lo_config *c = st->config;
	struct lo_config_entry *e = realloc(c->entries, (c->n_entries + 1) * sizeof(*e));

	if (!e) {
		free(v);
		set_error(st, -ENOMEM, "out of memory");
		return;
	}
	c->entries = e;
	e = &c->entries[c->n_entries];
	e->section = strdup(section);
	e->key = strdup(name);
	e->value = v;
	if (!e->section || !e->key) {
		free(e->section);
		free(e->key);
		free(v);
		set_error(st, -ENOMEM, "out of memory");
		return;
	}
	c->n_entries++;
}

/* The keys the core reads into struct lo_config, by section and name:
 * CHECK (or NULL) after the key's type is checked, then STORE with OFF.
 * A key not here (a provider's) is kept by store_entry. */
static const struct core_key {
	const char *section;
	const char *name;
	int (*check)(struct lo_config *c, const char *v, const char **ret_why);
	void (*store)(struct parse_state *st, const char *name, char *v, size_t off);
	size_t off;
} core_keys[] = {
	{ "logoff", "registry", NULL, store_string, offsetof(struct lo_config, registry) },
	{ "logoff", "plugin_dir", NULL, store_string, offsetof(struct lo_config, plugin_dir) },
	{ "logoff", "protected_ttys", NULL, store_string,
	  offsetof(struct lo_config, protected_ttys) },
	{ "logoff", "timeout", check_timeout, store_seconds, offsetof(struct lo_config, timeout) },
	{ "logoff", "provider_timeout", NULL, store_seconds,
	  offsetof(struct lo_config, provider_timeout) },
	{ "logoff", "gc_interval", NULL, store_seconds, offsetof(struct lo_config, gc_interval) },
	{ "logoff", "retries", check_retries, store_parsed, 0 },
	{ "logoff", "providers", NULL, store_list, 0 },
	{ "logoff", "required", NULL, store_list, 0 },
};

static const struct core_key *find_core_key(const char *section, const char *name)
{
	for (size_t i = 0; i < sizeof(core_keys) / sizeof(core_keys[0]); i++)
		if (strcmp(core_keys[i].section, section) == 0 &&
		    strcmp(core_keys[i].name, name) == 0)
			return &core_keys[i];
	return NULL;
}

/* The declared key NAME of SECTION in *RET_KEY; NULL in a plugin's
 * section: its keys are checked by logoff-helper, the only process that
 * loads the plugin, when it is loaded. Returns 0, or -EINVAL with the
 * error (file, line, section, key) set for an unknown section or key. */
static int declared_key(struct parse_state *st, const char *section, const char *name,
			const struct logoff_config_key **ret_key)
{
	bool known;
	const struct logoff_config_key *keys = section_keys(st->config, section, &known);

	*ret_key = NULL;
	if (!known && !lo_plugin_name_valid(section)) {
		set_error(st, -EINVAL, "%s:%d: unknown section [%s]", st->file, st->line, section);
		return -EINVAL;
	}
	if (!known)
		return 0;
	*ret_key = find_key(keys, name);
	if (!*ret_key) {
		set_error(st, -EINVAL, "%s:%d: unknown key '%s' in [%s]", st->file, st->line, name,
			  section);
		return -EINVAL;
	}
	return 0;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;
	const struct logoff_config_key *key;
	const struct core_key *core;
	const char *why = NULL;
	char *v;
	int r;

	if (st->error || declared_key(st, section, name, &key) < 0)
		return 1;
	v = strip_comment(value);
	if (!v) {
		set_error(st, -ENOMEM, "out of memory");
		return 1;
	}
	if (lo_limits_section(section, NULL, NULL)) {
		r = lo_limits_config_set(&st->config->limits, section, name, v, &why);
		if (r < 0)
			set_error(st, r, "%s:%d: [%s] %s = '%s': %s", st->file, st->line, section,
				  name, v, r == -ENOMEM ? strerror(ENOMEM) : why);
		free(v);
		return 1;
	}
	core = find_core_key(section, name);
	r = key ? check_value(st->config, section, key, v, &why) : 0;
	if (r == 0 && core && core->check)
		r = core->check(st->config, v, &why);
	if (r < 0 && key && key->type == LOGOFF_CONFIG_STRING && key->choices) {
		/* Say which values are: a typo is then plain to see. */
		char allowed[256] = "";
		size_t len = 0;

		for (size_t i = 0; key->choices[i] && len < sizeof(allowed); i++)
			len += (size_t)snprintf(allowed + len, sizeof(allowed) - len, "%s%s",
						i ? ", " : "", key->choices[i]);
		set_error(st, r, "%s:%d: [%s] %s = '%s': %s: %s", st->file, st->line, section, name,
			  v, why, allowed);
		free(v);
		return 1;
	}
	if (r < 0) {
		set_error(st, r, "%s:%d: [%s] %s = '%s': %s", st->file, st->line, section, name, v,
			  why);
		free(v);
		return 1;
	}
	if (core)
		core->store(st, name, v, core->off);
	else
		store_entry(st, section, name, v);
	return 1;
}

/* Open FILE (relative to DIRFD, or absolute) safely: never through a
 * symlink, a regular file, and when root owned by root and not writable
 * by group or others. */
static int open_safe(int dirfd, const char *name, const char *file, FILE **ret, char **ret_error)
{
	struct stat st;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		int e = errno;
		if (e == ELOOP)
			*ret_error = lo_strdupf("%s: refusing a config file that is a symlink", file);
		else if (e != ENOENT)
			*ret_error = lo_strdupf("%s: %s", file, strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		*ret_error = lo_strdupf("%s: not a regular file", file);
		return -EINVAL;
	}
	if (geteuid() == 0 && !lo_stat_trusted(&st, 0)) {
		close(fd);
		*ret_error = lo_strdupf("%s: refusing a config file that is not owned by root or is "
					"writable by group or others", file);
		return -EPERM;
	}
	if (geteuid() != 0 && st.st_uid != 0 && st.st_uid != geteuid()) {
		close(fd);
		*ret_error = lo_strdupf("%s: refusing a config file owned by another user", file);
		return -EPERM;
	}
	*ret = fdopen(fd, "r");
	if (!*ret) {
		close(fd);
		return -ENOMEM;
	}
	return 0;
}

static int parse_stream(struct parse_state *st, char **ret_error);

static int parse_one(struct lo_config *c, int dirfd, const char *name, const char *file,
		     bool must_exist, char **ret_error)
{
	struct parse_state st = { .config = c, .file = file };
	int r;

	r = open_safe(dirfd, name, file, &st.fp, ret_error);
	if (r == -ENOENT && !must_exist)
		return 0;
	if (r == -ENOENT)
		*ret_error = lo_strdupf("%s: %s", file, strerror(ENOENT));
	if (r < 0)
		return r;
	return parse_stream(&st, ret_error);
}

/* Parse ST->fp (closed here) as the file ST->file. */
static int parse_stream(struct parse_state *st, char **ret_error)
{
	int r;

	r = ini_parse_stream(reader, st, handler, st);
	fclose(st->fp);
	st->fp = NULL;
	if (st->error) {
		*ret_error = st->error;
		return st->err;
	}
	if (r != 0) {
		*ret_error = lo_strdupf("%s:%d: syntax error (expected [section] or key = value)",
					st->file, r);
		return -EINVAL;
	}
	return 0;
}

/* In lo_config_check, an error of a whole file (unsafe, unreadable,
 * syntax) is kept and the next file read. */
static int collect(struct lo_config *c, int r, char **ret_error)
{
	if (!c->collect || r == 0 || r == -ENOMEM)
		return r;
	add_error(c, r, *ret_error);
	free(*ret_error);
	*ret_error = NULL;
	return 0;
}

static int conf_filter(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 5 && strcmp(d->d_name + len - 5, ".conf") == 0;
}

static struct lo_config *config_new(const struct lo_provider_entry *table)
{
	struct lo_config *c = calloc(1, sizeof(*c));
	int n;

	if (!c)
		return NULL;
	c->table = table;
	c->registry = strdup(LO_REGISTRY_DEFAULT);
	c->timeout = 30;
	c->gc_interval = 300;
	c->retries = 3;
	c->protected_ttys = strdup("console");
	c->plugin_dir = strdup(LO_PLUGIN_DIR);
	c->limits.base.warn = LO_LIMITS_WARN_DEFAULT;
	n = lo_split_list(lo_core_config_keys[1].default_value, c->providers, LO_MAX_PROVIDERS);
	if (!c->registry || !c->protected_ttys || !c->plugin_dir || n < 0) {
		lo_config_free(c);
		return NULL;
	}
	c->n_providers = (size_t)n;
	return c;
}

int lo_config_defaults(const struct lo_provider_entry *table, struct lo_config **ret_config)
{
	*ret_config = config_new(table);
	return *ret_config ? 0 : -ENOMEM;
}

/* The checks made once every file is read: plugins named in providers
 * and plugin sections exist in plugin_dir; required is part of
 * providers. PATH is the main file, named in messages. */
static int config_check(struct lo_config *c, const char *path, char **ret_error)
{
	/* Names that are not built in must be plugins that exist; a section
	 * that is neither built in nor a configured plugin is unknown. */
	for (size_t i = 0; i < c->n_providers; i++) {
		struct stat st;
		char *so;

		if (lo_provider_find(c->table, c->providers[i]))
			continue;
		so = lo_strdupf("%s/%s.so", c->plugin_dir, c->providers[i]);
		if (!so)
			return -ENOMEM;
		if (stat(so, &st) < 0 || !S_ISREG(st.st_mode)) {
			*ret_error = lo_strdupf("%s: [logoff] providers: unknown provider '%s' (not "
						"built in, and no plugin %s)", c->providers_where ?
						c->providers_where : path, c->providers[i], so);
			free(so);
			return -EINVAL;
		}
		free(so);
	}
	for (size_t i = 0; i < c->n_pending; i++) {
		struct stat st;
		char *so = lo_strdupf("%s/%s.so", c->plugin_dir, c->pending[i * 2]);
		bool found;

		if (!so)
			return -ENOMEM;
		/* Like a built-in provider's, a plugin's section may be there
		 * while the plugin is not in providers. */
		found = stat(so, &st) == 0 && S_ISREG(st.st_mode);
		if (!found) {
			*ret_error = lo_strdupf("%s: unknown section [%s] (not built in, and no "
						"plugin %s)", c->pending[i * 2 + 1], c->pending[i * 2],
						so);
			free(so);
			return -EINVAL;
		}
		free(so);
	}
	/* A required provider that is not in the chain can never be logged
	 * on: a mistake worth stopping for. */
	for (size_t i = 0; i < c->n_required; i++) {
		bool found = false;
		for (size_t j = 0; j < c->n_providers; j++)
			found |= strcmp(c->required[i], c->providers[j]) == 0;
		if (!found) {
			*ret_error = lo_strdupf("%s: [logoff] required names '%s', which is not in "
						"providers", path, c->required[i]);
			return -EINVAL;
		}
	}
	return 0;
}

static int config_load(const char *path, const struct lo_provider_entry *table, bool all,
		       struct lo_config **ret_config, char **ret_error)
{
	struct lo_config *c;
	struct dirent **names = NULL;
	char *dpath = NULL;
	int dfd = -1, n = 0, r;

	*ret_config = NULL;
	*ret_error = NULL;
	if (!path || path[0] != '/') {
		*ret_error = lo_strdupf("config path '%s' is not absolute", path ? path : "");
		return -EINVAL;
	}
	c = config_new(table);
	if (!c || !(c->path = strdup(path)) || !(dpath = lo_strdupf("%s.d", path))) {
		r = -ENOMEM;
		goto out;
	}
	c->collect = all;
	r = collect(c, parse_one(c, AT_FDCWD, path, path, false, ret_error), ret_error);
	if (r < 0)
		goto out;

	dfd = open(dpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0) {
		struct stat st;
		/* Whoever can write the directory can add a file to it. */
		if (fstat(dfd, &st) < 0 ||
		    (geteuid() == 0 && !lo_stat_trusted(&st, 0))) {
			*ret_error = lo_strdupf("%s: refusing a drop-in directory that is not owned "
						"by root or is writable by group or others", dpath);
			r = -EPERM;
			goto out;
		}
		n = scandirat(dfd, ".", &names, conf_filter, alphasort);
		if (n < 0) {
			r = -errno;
			*ret_error = lo_strdupf("%s: %m", dpath);
			n = 0;
			goto out;
		}
		for (int i = 0; i < n; i++) {
			char *file = lo_strdupf("%s/%s", dpath, names[i]->d_name);
			if (!file) {
				r = -ENOMEM;
				goto out;
			}
			r = collect(c, parse_one(c, dfd, names[i]->d_name, file, true, ret_error),
				    ret_error);
			free(file);
			if (r < 0)
				goto out;
		}
	} else if (errno != ENOENT) {
		r = -errno;
		*ret_error = errno == ELOOP || errno == ENOTDIR ?
			     lo_strdupf("%s: refusing a drop-in directory that is a symlink or not "
					"a directory", dpath) :
			     lo_strdupf("%s: %m", dpath);
		goto out;
	}
	r = collect(c, config_check(c, path, ret_error), ret_error);
	if (r < 0)
		goto out;
	if (c->errors) {
		*ret_error = c->errors;
		c->errors = NULL;
		r = c->first_err;
		goto out;
	}
	*ret_config = c;
	c = NULL;
	r = 0;
out:
	if (r == -ENOMEM && !*ret_error)
		*ret_error = strdup("out of memory");
	/* lo_config_check stopped by a refused drop-in directory: the errors
	 * gathered before it come first, none is lost. */
	if (c && c->collect && c->errors && r < 0 && r != -ENOMEM) {
		add_error(c, r, *ret_error ? *ret_error : strerror(-r));
		free(*ret_error);
		*ret_error = c->errors;
		c->errors = NULL;
		r = c->first_err;
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (dfd >= 0)
		close(dfd);
	free(dpath);
	lo_config_free(c);
	return r;
}

int lo_config_load(const char *path, const struct lo_provider_entry *table,
		   struct lo_config **ret_config, char **ret_error)
{
	return config_load(path, table, false, ret_config, ret_error);
}

int lo_config_check(const char *path, const struct lo_provider_entry *table, char **ret_errors)
{
	struct lo_config *c = NULL;
	int r = config_load(path, table, true, &c, ret_errors);

	lo_config_free(c);
	return r;
}

int lo_config_parse_buffer(const char *data, size_t len, const char *name,
			   const struct lo_provider_entry *table,
			   struct lo_config **ret_config, char **ret_error)
{
	struct lo_config *c;
	struct parse_state st = { .file = name };
	int r;

	*ret_config = NULL;
	*ret_error = NULL;
	c = config_new(table);
	if (!c || !(c->path = strdup(name))) {
		r = -ENOMEM;
		goto out;
	}
	st.config = c;
	/* fmemopen refuses a size of 0; an empty file sets nothing. */
	if (len > 0) {
		st.fp = fmemopen((void *)data, len, "r");
		if (!st.fp) {
			r = -errno;
			goto out;
		}
		r = parse_stream(&st, ret_error);
		if (r < 0)
			goto out;
	}
	r = config_check(c, name, ret_error);
	if (r < 0)
		goto out;
	*ret_config = c;
	c = NULL;
out:
	if (r == -ENOMEM && !*ret_error)
		*ret_error = strdup("out of memory");
	lo_config_free(c);
	return r;
}

const char *lo_config_value(const struct lo_config *config, const char *section, const char *key)
{
	const struct logoff_config_key *keys, *k;
	bool known;

	for (size_t i = config->n_entries; i > 0; i--) {
		const struct lo_config_entry *e = &config->entries[i - 1];
		if (strcmp(e->section, section) == 0 && strcmp(e->key, key) == 0)
			return e->value;
	}
	keys = section_keys(config, section, &known);
	k = find_key(keys, key);
	return k ? k->default_value : NULL;
}

bool lo_config_required(const struct lo_config *config, const char *name)
{
	for (size_t i = 0; i < config->n_required; i++)
		if (strcmp(config->required[i], name) == 0)
			return true;
	return false;
}

void lo_config_free(struct lo_config *config)
{
	if (!config)
		return;
	free(config->path);
	free(config->registry);
	free(config->protected_ttys);
	free(config->plugin_dir);
	free(config->providers_where);
	for (size_t i = 0; i < config->n_pending * 2; i++)
		free(config->pending[i]);
	free(config->pending);
	for (size_t i = 0; i < config->n_providers; i++)
		free(config->providers[i]);
	for (size_t i = 0; i < config->n_required; i++)
		free(config->required[i]);
	for (size_t i = 0; i < config->n_entries; i++) {
		free(config->entries[i].section);
		free(config->entries[i].key);
		free(config->entries[i].value);
	}
	free(config->entries);
	lo_limits_config_clear(&config->limits);
	free(config->errors);
	free(config);
}
