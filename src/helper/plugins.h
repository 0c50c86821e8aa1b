/*
 * plugins.h - loading plugin providers. Compiled into logoff-helper only:
 * no other program of pam_logoff, and never the login manager's process
 * (pam_logoff.so), loads a plugin.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_PLUGINS_H
#define LO_PLUGINS_H

#include "core/util.h"
#include "core/conf.h"
#include "core/registry.h"
#include "core/spawn.h"
#include "core/chain.h"
#include "core/logoff.h"

/*
 * Load the plugin providers CONFIG names (those not built in) from
 * CONFIG->plugin_dir/NAME.so, and return in *RET_TABLE a table of the
 * built-in providers (lo_builtin_providers) followed by them, flags 0,
 * ended by an entry whose provider is NULL (free with lo_plugins_free). Each file must be a regular file reached without a
 * symlink and, when root, owned by root and not writable by group or
 * others, in a directory that is too; it is opened once and that very
 * file is dlopen'ed (through /proc/self/fd), RTLD_NOW | RTLD_LOCAL. It
 * must export `struct logoff_provider logoff_provider` whose name is NAME
 * and whose ABI major is LOGOFF_ABI_MAJOR. Only logoff-helper calls this.
 * Returns 0, or -EPERM (unsafe file), -ENOENT, -ENOEXEC (dlopen failed,
 * symbol missing), -EPROTO (ABI major mismatch, naming both versions),
 * -EINVAL (name mismatch), -ENOMEM, with a message in *RET_ERROR.
 */
int lo_plugins_load(const struct lo_config *config, struct lo_provider_entry **ret_table,
		    char **ret_error);
void lo_plugins_free(struct lo_provider_entry *table);

#endif
