/*
 * plugins.c - load plugin providers from [logoff] plugin_dir; see
 * plugins.h. The file checks follow sudo's plugin loading (sudo_load_plugins:
 * owned by root, not writable by others) and OpenSSH's safe_path.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper/plugins.h"
#include "providers/providers.h"

static void *handles[LO_MAX_PROVIDERS];
/* The fds the plugins were loaded through stay open: dlopen knows an
 * object by its name, and a reused /proc/self/fd/N would name the one
 * loaded before. */
static int fds[LO_MAX_PROVIDERS];
static size_t n_handles;

/* Owned by root (or, not root, by us or root) and not writable by group
 * or others. */
static bool safe_owner(const struct stat *st)
{
	return lo_stat_trusted(st, geteuid());
}

static int load_one(const char *dir, int dfd, const char *name,
		    const struct logoff_provider **ret, char **ret_error)
{
	char file[256], fdpath[64];
	const struct logoff_provider *p;
	struct stat st;
	void *h;
	int fd;

	snprintf(file, sizeof(file), "%s.so", name);
	fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;	/* before anything else can change it */
		*ret_error = lo_strdupf("%s/%s: %s", dir, file,
					e == ELOOP ? "refusing a plugin that is a symlink" : strerror(e));
		return e == ELOOP ? -EPERM : -e;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !safe_owner(&st)) {
		close(fd);
		*ret_error = lo_strdupf("%s/%s: refusing a plugin that is not a regular file owned "
					"by root, or is writable by group or others", dir, file);
		return -EPERM;
	}
	/* The file checked is the file loaded: no window to swap it. */
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	h = dlopen(fdpath, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		*ret_error = lo_strdupf("%s/%s: cannot load: %s", dir, file, e ? e : "dlopen failed");
		close(fd);
		return -ENOEXEC;
	}
	p = dlsym(h, "logoff_provider");
	if (!p) {
		dlclose(h);
		*ret_error = lo_strdupf("%s/%s: no symbol 'logoff_provider' (a plugin exports one "
					"struct logoff_provider of that name)", dir, file);
		close(fd);
		return -ENOEXEC;
	}
	if (LOGOFF_ABI_GET_MAJOR(p->abi_version) != LOGOFF_ABI_MAJOR) {
		*ret_error = lo_strdupf("%s/%s: plugin ABI %u.%u, pam_logoff speaks %u.%u", dir, file,
					LOGOFF_ABI_GET_MAJOR(p->abi_version),
					LOGOFF_ABI_GET_MINOR(p->abi_version), LOGOFF_ABI_MAJOR,
					LOGOFF_ABI_MINOR);
		dlclose(h);
		close(fd);
		return -EPROTO;
	}
	if (!p->name || strcmp(p->name, name) != 0) {
		*ret_error = lo_strdupf("%s/%s: the plugin calls itself '%s'", dir, file,
					p->name ? p->name : "(null)");
		dlclose(h);
		close(fd);
		return -EINVAL;
	}
	fds[n_handles] = fd;
	handles[n_handles++] = h;
	*ret = p;
	return 0;
}

int lo_plugins_load(const struct lo_config *config, struct lo_provider_entry **ret_table,
		    char **ret_error)
{
	struct lo_provider_entry *table;
	size_t n = 0, nb = 0;
	struct stat st;
	int dfd = -1, r = 0;

	*ret_table = NULL;
	*ret_error = NULL;
	while (lo_builtin_providers[nb].provider)
		nb++;
	table = calloc(nb + config->n_providers + 1, sizeof(*table));
	if (!table)
		return -ENOMEM;
	for (size_t i = 0; i < nb; i++)
		table[n++] = lo_builtin_providers[i];

	for (size_t i = 0; i < config->n_providers; i++) {
		const char *name = config->providers[i];

		if (lo_provider_find(lo_builtin_providers, name))
			continue;
		if (!lo_plugin_name_valid(name)) {
			*ret_error = lo_strdupf("'%s' is not a valid plugin name", name);
			r = -EINVAL;
			break;
		}
		if (dfd < 0) {
			dfd = open(config->plugin_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (dfd < 0) {
				r = -errno;
				*ret_error = lo_strdupf("%s: %s", config->plugin_dir, strerror(-r));
				break;
			}
			if (fstat(dfd, &st) < 0 || !safe_owner(&st)) {
				*ret_error = lo_strdupf("%s: refusing a plugin directory not owned by "
							"root or writable by group or others",
							config->plugin_dir);
				r = -EPERM;
				break;
			}
		}
		r = load_one(config->plugin_dir, dfd, name, &table[n].provider, ret_error);
		if (r < 0)
			break;
		n++;
	}
	if (dfd >= 0)
		close(dfd);
	if (r < 0) {
		lo_plugins_free(table);
		return r;
	}
	*ret_table = table;
	return 0;
}

void lo_plugins_free(struct lo_provider_entry *table)
{
	while (n_handles > 0) {
		dlclose(handles[--n_handles]);
		close(fds[n_handles]);
	}
	free(table);
}
